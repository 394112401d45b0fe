"""A pysolr-compatible connection whose index is a PostgreSQL table.

CKAN core and the extensions only ever call ``add``, ``delete``, ``search`` and
``commit`` on the object ``make_connection`` returns; implementing exactly that surface
keeps every caller (indexing, ``package_search``, counts, autocomplete, the
``search-index`` CLI, ``harvest_source_clear``) unchanged. Writes commit at once, as Solr
with ``ckan.search.solr_commit`` does; bulk imports can write many documents per statement
with :func:`batched_writes`.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterable, Iterator, TypeVar

import pysolr
import sqlalchemy as sa
from ckan import model
from ckan.lib.search.common import (SearchQueryError, SolrConnectionError,
                                    solr_datetime_decoder)
from sqlalchemy.exc import OperationalError, ProgrammingError

from ckanext.twin.search import schema, translate
from ckanext.twin.search.documents import IndexRow, build_row
from ckanext.twin.search.lucene import UnsupportedQuery

log = logging.getLogger(__name__)
T = TypeVar("T")

# Any number of documents in one statement and one round trip: they travel as one JSON
# array of the records ``_record`` writes. The index is derived data (``ckan search-index
# rebuild`` recreates it), so its writes do not wait for the WAL flush (docs/search.md,
# "Write cost"); on an autocommit connection the two statements are one transaction.
_UPSERT = sa.text(f"""
    SET LOCAL synchronous_commit TO OFF;
    INSERT INTO {schema.TABLE} (index_id, id, name, site_id, entity_type, state, capacity,
        dataset_type, permission_labels, title, metadata_created, metadata_modified, doc, fields,
        texts, tsv, extent, indexed_at)
    SELECT r.index_id, r.id, r.name, r.site_id, r.entity_type, r.state, r.capacity,
        r.dataset_type, r.permission_labels, r.title, r.metadata_created, r.metadata_modified,
        r.doc, r.fields, r.texts,
        setweight(to_tsvector('{translate.TS_CONFIG}', r.wa), 'A') ||
        setweight(to_tsvector('{translate.TS_CONFIG}', r.wb), 'B') ||
        setweight(to_tsvector('{translate.TS_CONFIG}', r.wc), 'C') ||
        setweight(to_tsvector('{translate.TS_CONFIG}', r.wd), 'D'),
        {schema.EXTENT_FROM_WKB.format(param="r.extent")},
        now()
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(index_id text, id text, name text,
        site_id text, entity_type text, state text, capacity text, dataset_type text,
        permission_labels text[], title text, metadata_created timestamptz,
        metadata_modified timestamptz, doc jsonb, fields jsonb, texts jsonb,
        wa text, wb text, wc text, wd text, extent text)
    ON CONFLICT (index_id) DO UPDATE SET
        id = EXCLUDED.id, name = EXCLUDED.name, site_id = EXCLUDED.site_id,
        entity_type = EXCLUDED.entity_type, state = EXCLUDED.state,
        capacity = EXCLUDED.capacity, dataset_type = EXCLUDED.dataset_type,
        permission_labels = EXCLUDED.permission_labels, title = EXCLUDED.title,
        metadata_created = EXCLUDED.metadata_created,
        metadata_modified = EXCLUDED.metadata_modified, doc = EXCLUDED.doc,
        fields = EXCLUDED.fields, texts = EXCLUDED.texts, tsv = EXCLUDED.tsv,
        extent = EXCLUDED.extent, indexed_at = EXCLUDED.indexed_at
""")


def _record(row: IndexRow) -> str:
    """The row as one record of the ``_UPSERT`` payload (JSON)."""
    record = {k: v for k, v in row.__dict__.items() if k != "weighted"}
    record.update(zip(("wa", "wb", "wc", "wd"), row.weighted))
    return json.dumps(record, default=str)


class _Pending:
    """Index writes held back by :func:`batched_writes`: index_id -> record, the latest
    version of each document (one statement cannot upsert a row twice)."""

    def __init__(self, size: int):
        self.size = size
        self.records: dict[str, str] = {}
        self.connection: PostgresSearchConnection | None = None  # the last one that added


_pending: ContextVar[_Pending | None] = ContextVar("twin_search_pending", default=None)


@contextmanager
def batched_writes(size: int = 100) -> Iterator[None]:
    """Write the documents indexed inside the block together, ``size`` per statement.

    For bulk imports: every ``add`` (CKAN's ``index_for('Package').update_dict`` and
    ``index_package`` call it) is held back and written when ``size`` documents are
    pending, when the block ends, and before any other use of the index (``search``,
    ``delete``, ``commit``), so code inside the block still reads its own writes. If the
    block raises, the documents not yet written are dropped, as the transaction that
    created their datasets is normally rolled back too; ``ckan search-index rebuild -o``
    indexes any dataset that is missing. Blocks do not nest (the inner block is part of
    the outer one) and apply to the current thread or task only.
    """
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(_Pending(size))
    try:
        yield
        _flush()
    finally:
        _pending.reset(token)


def _flush() -> None:
    """Write what :func:`batched_writes` holds back."""
    pending = _pending.get()
    if pending is not None and pending.connection is not None and pending.records:
        records, pending.records = pending.records, {}
        pending.connection._write(records)


class PostgresSearchConnection:
    """Stands in for ``pysolr.Solr``; ``url`` names the backend in CKAN's messages."""

    url = "postgresql search backend"

    def __init__(self, engine: sa.engine.Engine, decode_dates: bool = True):
        self.engine = engine
        self.decode_dates = decode_dates

    # -- plumbing ---------------------------------------------------------------------

    def _run(self, work: Callable[[sa.engine.Connection], T], autocommit: bool = False) -> T:
        """Run ``work`` in a transaction (with ``autocommit``: each statement it sends is
        one), re-creating the table once if it was dropped."""
        schema.ensure(self.engine)
        try:
            return self._run_once(work, autocommit)
        except ProgrammingError as error:
            if getattr(error.orig, "pgcode", None) != "42P01":  # undefined_table
                raise
        schema.ensure(self.engine, force=True)
        return self._run_once(work, autocommit)

    def _run_once(self, work: Callable[[sa.engine.Connection], T], autocommit: bool) -> T:
        if not autocommit:
            with self.engine.begin() as conn:
                return work(conn)
        # The statements go in one round trip, without a BEGIN and a COMMIT of their own.
        with self.engine.connect() as conn:
            return work(conn.execution_options(isolation_level="AUTOCOMMIT"))

    def _write(self, records: dict[str, str]) -> None:
        """Upsert the records (index_id -> ``_record``) in one statement."""
        if not records:
            return
        payload = "[" + ",".join(records.values()) + "]"
        try:
            self._run(lambda conn: conn.execute(_UPSERT, {"rows": payload}), autocommit=True)
        except sa.exc.SQLAlchemyError as error:
            named = ", ".join(list(records)[:3]) + (", …" if len(records) > 3 else "")
            raise pysolr.SolrError(f"could not index {len(records)} document(s) ({named}): "
                                   f"{getattr(error, 'orig', None) or error}") from error

    # -- pysolr surface ---------------------------------------------------------------

    def add(self, docs: Iterable[dict[str, Any]], commit: bool = True, **_: Any) -> None:
        """Index ``docs`` in one statement (or hold them back in :func:`batched_writes`)."""
        records = {row.index_id: _record(row) for row in map(build_row, docs)}
        pending = _pending.get()
        if pending is None:
            self._write(records)
            return
        pending.connection = self
        pending.records.update(records)
        if len(pending.records) >= pending.size:
            _flush()

    def delete(self, id: str | list[str] | None = None, q: str | None = None,
               commit: bool = True, **_: Any) -> None:
        if id is None and q is None:
            raise ValueError('You must specify "id" or "q".')
        _flush()
        if id is not None:
            ids = [id] if isinstance(id, str) else list(id)
            statement = sa.text(f"DELETE FROM {schema.TABLE} WHERE id = ANY(:ids)")
            self._run(lambda conn: conn.execute(statement, {"ids": ids}))
            return
        compiler, where = self._where(translate.SearchRequest(q=q), q_rank=False)
        statement = sa.text(f"DELETE FROM {schema.TABLE} WHERE {where}")
        self._run(lambda conn: conn.execute(statement, compiler.params))

    def commit(self, *args: Any, **kwargs: Any) -> None:
        """Writes are committed when made; inside :func:`batched_writes`, here."""
        _flush()

    def optimize(self, *args: Any, **kwargs: Any) -> None:
        _flush()
        self._run(lambda conn: conn.execute(sa.text(f"ANALYZE {schema.TABLE}")))

    def ping(self, *args: Any, **kwargs: Any) -> str:
        self._run(lambda conn: conn.execute(sa.text("SELECT 1")))
        return "OK"

    def search(self, q: str | None = None, **params: Any) -> pysolr.Results:
        _flush()
        try:
            request = translate.SearchRequest.from_params(q, params)
            return self._run(lambda conn: self._search(conn, request))
        except UnsupportedQuery as error:
            raise SearchQueryError(str(error)) from error
        except OperationalError as error:
            log.error("Search backend unavailable: %s", error)
            raise SolrConnectionError("the search database is not reachable") from error

    # -- searching --------------------------------------------------------------------

    def _where(self, request: translate.SearchRequest, q_rank: bool = True,
               conn: sa.engine.Connection | None = None) -> tuple[translate.Compiler, str]:
        compiler = translate.Compiler(request)
        q_tree = translate.query_tree(request)
        fq_trees = [translate.lucene.parse(f, default_and=request.default_and)
                    for f in request.fq]
        needed = sorted(compiler.text_queries([q_tree, *fq_trees]),
                        key=lambda t: (t.kind, t.text))
        if needed:
            select = ", ".join(t.sql(f"t{i}") for i, t in enumerate(needed))
            args = {f"t{i}": t.argument() for i, t in enumerate(needed)}
            analyse = lambda c: c.execute(sa.text(f"SELECT {select}"), args).one()  # noqa: E731
            results = analyse(conn) if conn is not None else self._run(analyse)
            compiler.analysed = dict(zip(needed, results))
        parts = [compiler.compile(q_tree, rank=q_rank) or "FALSE"]
        parts += [compiler.compile(tree) or "TRUE" for tree in fq_trees]
        return compiler, " AND ".join(f"({p})" for p in parts)

    def _search(self, conn: sa.engine.Connection, request: translate.SearchRequest
                ) -> pysolr.Results:
        compiler, where = self._where(request, conn=conn)
        params = compiler.params
        if compiler.rank_terms:
            params["rank_query"] = " | ".join(f"({t})" for t in compiler.rank_terms)
            score = (f"ts_rank_cd('{translate.RANK_WEIGHTS}', tsv, "
                     f"CAST(:rank_query AS tsquery))")
        else:
            score = "0.0"
        matched = f"SELECT *, {score} AS score FROM {schema.TABLE} WHERE {where}"

        total = conn.execute(sa.text(f"SELECT count(*) FROM ({matched}) m"), params).scalar()
        order = translate.order_by(request.sort)
        docs: list[dict[str, Any]] = []
        if request.rows > 0 and request.start < total:
            page = conn.execute(sa.text(
                f"SELECT doc, score FROM ({matched}) m ORDER BY {order} "
                f"LIMIT :rows OFFSET :start"),
                {**params, "rows": request.rows, "start": request.start})
            docs = [self._project(doc, score, request.fl) for doc, score in page]
            if self.decode_dates:
                docs = [solr_datetime_decoder(doc) for doc in docs]
        facets = self._facets(conn, where, params, request) if request.facet_fields else {}
        return pysolr.Results({
            "responseHeader": {"status": 0, "params": {"q": request.q}},
            "response": {"numFound": total, "start": request.start, "docs": docs},
            "facet_counts": {"facet_fields": facets},
        })

    @staticmethod
    def _project(doc: dict[str, Any], score: float, fl: list[str]) -> dict[str, Any]:
        if "*" in fl:
            projected = dict(doc)
        else:
            projected = {key: doc[key] for key in fl if key in doc}
        if "score" in fl:
            projected["score"] = float(score)
        return projected

    @staticmethod
    def _facets(conn: sa.engine.Connection, where: str, params: dict[str, Any],
                request: translate.SearchRequest) -> dict[str, list[Any]]:
        # facet.mincount=0 also lists values that occur only outside the matches.
        if request.facet_mincount >= 1:
            source = f"SELECT fields, TRUE AS hit FROM {schema.TABLE} WHERE {where}"
        else:
            source = f"SELECT fields, ({where}) AS hit FROM {schema.TABLE}"
        rows = conn.execute(sa.text(f"""
            SELECT field, value, n FROM (
              SELECT f.field, v.value, count(*) FILTER (WHERE m.hit) AS n,
                     row_number() OVER (
                       PARTITION BY f.field
                       ORDER BY count(*) FILTER (WHERE m.hit) DESC, v.value) AS position
              FROM ({source}) m
              CROSS JOIN unnest(CAST(:facet_fields AS text[])) AS f(field)
              CROSS JOIN LATERAL jsonb_array_elements_text(
                  coalesce(m.fields -> f.field, '[]'::jsonb)) AS v(value)
              GROUP BY f.field, v.value
              HAVING count(*) FILTER (WHERE m.hit) >= :mincount
            ) counted
            WHERE CAST(:limit AS integer) IS NULL OR position <= :limit
            ORDER BY field, position"""),
            {**params, "facet_fields": list(dict.fromkeys(request.facet_fields)),
             "mincount": request.facet_mincount,
             "limit": request.facet_limit if request.facet_limit >= 0 else None})
        facets: dict[str, list[Any]] = {name: [] for name in request.facet_fields}
        for field_name, value, count in rows:
            facets[field_name].extend([value, count])
        return facets


def from_ckan_model(decode_dates: bool = True) -> PostgresSearchConnection:
    """The connection over CKAN's own database engine."""
    return PostgresSearchConnection(model.ensure_engine(), decode_dates)
