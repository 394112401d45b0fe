"""Visibility and permission labels changed without touching anything else of a dataset.

A policy change can move thousands of datasets between platforms; re-indexing each through
``package_show`` would cost tens of milliseconds apiece. The PostgreSQL index instead gets
the new ``capacity`` and labels written into its rows in one statement, in the caller's
transaction, so the change is visible to searches exactly when it is committed. With Solr
each dataset is re-indexed by CKAN as the transaction sees it, before the commit.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from ckanext.twin.search import backend, schema


def _capacity(private: bool) -> str:
    return "private" if private else "public"


def relabel(conn: Any, items: list[dict[str, Any]]) -> None:
    """``items``: ``{"id", "private", "labels"}`` per dataset."""
    if backend.selected() != backend.POSTGRES:
        from ckan import logic

        # Solr sees the transaction's state now (no commit of the caller's session here:
        # ``search.rebuild`` would commit it halfway through a policy change).
        context = {"ignore_auth": True, "validate": False, "use_cache": False}
        for item in items:
            logic.index_update_package(context, item["id"], defer_commit=True)
        return
    if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": schema.TABLE}).scalar():
        return  # nothing indexed yet
    rows = [{**item, "capacity": _capacity(item["private"])} for item in items]
    # The stored CKAN dicts are JSON text inside the document; their ``private`` changes too.
    conn.execute(sa.text(f"""
        UPDATE {schema.TABLE} t
           SET capacity = i.capacity, permission_labels = i.labels,
               fields = t.fields || jsonb_build_object(
                   'capacity', jsonb_build_array(i.capacity),
                   'permission_labels', to_jsonb(i.labels)),
               doc = t.doc || jsonb_build_object(
                   'capacity', i.capacity, 'permission_labels', to_jsonb(i.labels))
                 || CASE WHEN t.doc ? 'data_dict' THEN jsonb_build_object('data_dict',
                      ((t.doc ->> 'data_dict')::jsonb
                        || jsonb_build_object('private', i.private))::text) ELSE '{{}}' END
                 || CASE WHEN t.doc ? 'validated_data_dict' THEN jsonb_build_object(
                      'validated_data_dict', ((t.doc ->> 'validated_data_dict')::jsonb
                        || jsonb_build_object('private', i.private))::text) ELSE '{{}}' END,
               indexed_at = now()
          FROM jsonb_to_recordset(CAST(:rows AS jsonb))
               AS i(id text, private boolean, capacity text, labels text[])
         WHERE t.id = i.id"""), {"rows": json.dumps(rows)})
