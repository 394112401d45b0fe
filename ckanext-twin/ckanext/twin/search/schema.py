"""The search table, its indexes and the German text search configuration.

The DDL is idempotent and applied on first use by each process, and again if the table
disappears (``ckan db clean`` and the test fixtures drop every table they can see).
Dataset extents live in a PostGIS column; PostGIS is installed in schema ``postgis``, off
the search path (scripts/database.sh), so SQL names its types and functions ``postgis.*``.
"""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from ckanext.twin.search.documents import extent_wkb

log = logging.getLogger(__name__)

TABLE = "twin_search_document"
EXTENT_TYPE = "postgis.geometry(Geometry, 4326)"
# The ``extent`` value from the WKB (hex) that ``documents`` computes; NULL stays NULL.
EXTENT_FROM_WKB = "postgis.ST_GeomFromWKB(decode(CAST({param} AS text), 'hex'), 4326)"

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
      extent {EXTENT_TYPE},
      indexed_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # Columns added after the first release: added and filled from ``fields`` in place
    # (``extent`` from ``doc``, in Python: see ``_fill_extents``).
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS dataset_type text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS permission_labels text[] NOT NULL DEFAULT '{{}}'",
    f"""UPDATE {TABLE} SET dataset_type = fields -> 'dataset_type' ->> 0,
          permission_labels = ARRAY(SELECT jsonb_array_elements_text(
              coalesce(fields -> 'permission_labels', '[]'::jsonb)))
        WHERE dataset_type IS NULL AND fields ? 'dataset_type'""",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS extent {EXTENT_TYPE}",
    # lz4 compresses the large JSON columns in a fraction of pglz's time (docs/search.md,
    # "Write cost"); values written before keep pglz until they are written again. Left
    # as it is where PostgreSQL was built without lz4.
    f"""
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '{TABLE}'::regclass
                 AND attname IN ('doc', 'fields', 'texts') AND attcompression <> 'l') THEN
        ALTER TABLE {TABLE} ALTER COLUMN doc SET COMPRESSION lz4,
          ALTER COLUMN fields SET COMPRESSION lz4, ALTER COLUMN texts SET COMPRESSION lz4;
      END IF;
    EXCEPTION WHEN feature_not_supported THEN NULL;
    END $$
    """,
    f"CREATE INDEX IF NOT EXISTS {TABLE}_fields_idx ON {TABLE} USING gin (fields)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_labels_idx ON {TABLE} USING gin (permission_labels)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_tsv_idx ON {TABLE} USING gin (tsv)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_id_idx ON {TABLE} (id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_name_idx ON {TABLE} (name)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_modified_idx ON {TABLE} (metadata_modified)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_extent_idx ON {TABLE} USING gist (extent)",
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
            _require_postgis(conn)
            upgrading = _lacks_extent(conn)
            for statement in _STATEMENTS:
                conn.execute(sa.text(statement))
            if upgrading:
                _fill_extents(conn)
        _ready.add(key)


def _require_postgis(conn: sa.engine.Connection) -> None:
    if conn.execute(sa.text("SELECT to_regtype('postgis.geometry')")).scalar() is None:
        raise RuntimeError(
            f"PostGIS is missing from database {conn.engine.url.database!r}: the search "
            "index needs it in schema 'postgis' (CREATE SCHEMA postgis; CREATE EXTENSION "
            "postgis SCHEMA postgis; as scripts/database.sh does)")


def _lacks_extent(conn: sa.engine.Connection) -> bool:
    """True for a table indexed before extents were: its rows need theirs computed."""
    return bool(conn.execute(sa.text("""
        SELECT to_regclass(:t) IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(:t)
            AND attname = 'extent' AND NOT attisdropped)"""), {"t": TABLE}).scalar())


def _fill_extents(conn: sa.engine.Connection) -> None:
    """Computes the extent of every indexed dataset from the document it was indexed with."""
    rows = conn.execute(
        sa.text(f"SELECT index_id, doc FROM {TABLE} WHERE strpos(doc::text, 'spatial') > 0"),
        execution_options={"stream_results": True, "max_row_buffer": 500})
    extents = [{"index_id": index_id, "extent": wkb}
               for index_id, doc in rows if (wkb := extent_wkb(doc))]
    if extents:
        conn.execute(sa.text(f"UPDATE {TABLE} SET extent = "
                             f"{EXTENT_FROM_WKB.format(param=':extent')} "
                             f"WHERE index_id = :index_id"), extents)
    log.info("Search index upgraded: %d indexed datasets got an extent", len(extents))
