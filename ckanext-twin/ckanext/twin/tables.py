"""The portal's own tables (policies, decisions, signing keys, tokens), created on first use.

They are not CKAN models, so neither ``ckan db init`` nor its migrations know them; each
process creates what is missing when it first needs it, and again after ``ckan db clean``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def ensure(conn: Any, tables: Sequence[str], ddl: Sequence[str]) -> None:
    """Run ``ddl`` in ``conn``'s transaction if one of ``tables`` is missing (one cheap
    query when they all exist)."""
    names = {f"t{index}": table for index, table in enumerate(tables)}
    present = conn.execute(sa.text("SELECT " + " AND ".join(
        f"to_regclass(:{key}) IS NOT NULL" for key in names)), names).scalar()
    if present:
        return
    # Serialise the first use of several processes (web workers, consumers, the CLI).
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": tables[0]})
    for statement in ddl:
        conn.execute(sa.text(statement))
