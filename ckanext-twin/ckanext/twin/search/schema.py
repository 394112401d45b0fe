"""The search table, its indexes and the German text search configuration.

The DDL is idempotent and applied on first use by each process, and again if the table
disappears (``ckan db clean`` and the test fixtures drop every table they can see).
"""
from __future__ import annotations

import threading

import sqlalchemy as sa

TABLE = "twin_search_document"

_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'twin_german') THEN
        CREATE TEXT SEARCH CONFIGURATION twin_german (COPY = german);
        ALTER TEXT SEARCH CONFIGURATION twin_german
          ALTER MAPPING FOR word, hword, hword_part, asciiword, asciihword, hword_asciipart
          WITH unaccent, german_stem;
      END IF;
    END $$
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
      index_id text PRIMARY KEY,
      id text NOT NULL,
      name text,
      site_id text,
      entity_type text,
      state text,
      capacity text,
      dataset_type text,
      permission_labels text[] NOT NULL DEFAULT '{{}}',
      title text,
      metadata_created timestamptz,
      metadata_modified timestamptz,
      doc jsonb NOT NULL,
      fields jsonb NOT NULL,
      texts jsonb NOT NULL,
      tsv tsvector NOT NULL,
      indexed_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # Columns added after the first release: added and filled from ``fields`` in place.
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS dataset_type text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS permission_labels text[] NOT NULL DEFAULT '{{}}'",
    f"""UPDATE {TABLE} SET dataset_type = fields -> 'dataset_type' ->> 0,
          permission_labels = ARRAY(SELECT jsonb_array_elements_text(
              coalesce(fields -> 'permission_labels', '[]'::jsonb)))
        WHERE dataset_type IS NULL AND fields ? 'dataset_type'""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_fields_idx ON {TABLE} USING gin (fields)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_labels_idx ON {TABLE} USING gin (permission_labels)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_tsv_idx ON {TABLE} USING gin (tsv)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_id_idx ON {TABLE} (id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_name_idx ON {TABLE} (name)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_modified_idx ON {TABLE} (metadata_modified)",
)

_lock = threading.Lock()
_ready: set[str] = set()


def ensure(engine: sa.engine.Engine, force: bool = False) -> None:
    """Create what is missing; cheap after the first call for an engine."""
    key = str(engine.url)
    if key in _ready and not force:
        return
    with _lock:
        with engine.begin() as conn:
            # Serialise concurrent first calls from several processes (web, consumers).
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": TABLE})
            for statement in _STATEMENTS:
                conn.execute(sa.text(statement))
        _ready.add(key)
