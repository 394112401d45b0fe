"""Translates Solr search parameters into SQL over the search table.

Two steps, so that German analysis happens in PostgreSQL exactly as at index time: the
text terms of all query trees are analysed in one round trip (``tsquery_sources``), then
the trees are compiled into one ``WHERE`` clause with the analysed queries bound as
parameters. A term that analyses to nothing (a stop word) drops out of its query, as in
Solr. Whatever cannot be expressed raises :class:`~.lucene.UnsupportedQuery`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ckanext.twin.search import datemath, lucene
from ckanext.twin.search import fields as F
from ckanext.twin.search.lucene import Bool, Exists, MatchAll, Node, Range, Term, UnsupportedQuery
from ckanext.twin.search.spatial import GEOMETRY_FIELD, BBox
from ckanext.twin.search.text import fold_query

TS_CONFIG = "twin_german"
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C, B, A
SUPPORTED_PARSERS = {"lucene", "dismax", "edismax"}
# Scoring and format details, and CKAN's own keys it has already folded into fq.
IGNORED_PARAMS = {"wt", "tie", "facet.sort", "q.alt", "indent", "echoParams", "fq_list",
                  "extras"}
KNOWN_PARAMS = {"q", "fq", "fl", "rows", "start", "sort", "facet", "facet.field",
                "facet.limit", "facet.mincount", "defType", "qf", "mm", "df", "q.op",
                "bf", "boost"} | IGNORED_PARAMS


@dataclass
class SearchRequest:
    q: str = "*:*"
    fq: list[str] = field(default_factory=list)
    fl: list[str] = field(default_factory=lambda: ["*"])
    rows: int = 10
    start: int = 0
    sort: str = "score desc"
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    def_type: str = "lucene"
    qf: list[str] = field(default_factory=lambda: ["text"])
    mm: str = "100%"
    default_and: bool = True
    df: str = "text"

    @classmethod
    def from_params(cls, q: str | None, params: Mapping[str, Any]) -> "SearchRequest":
        unknown = set(params) - KNOWN_PARAMS
        if unknown:
            raise UnsupportedQuery(f"search parameter(s) {sorted(unknown)} are not supported")
        for name in ("bf", "boost"):
            if params.get(name):
                raise UnsupportedQuery(f"function query parameter {name!r} is not supported")
        if str(params.get("wt", "json")) != "json":
            raise UnsupportedQuery("only wt=json is supported")
        request = cls(q=str(q) if q not in (None, "") else "*:*")
        request.fq = [f for f in _as_list(params.get("fq")) if f and f.strip()]
        request.fl = [f for f in re.split(r"[\s,]+", str(params.get("fl") or "*")) if f]
        request.rows = _int_param(params, "rows", 10)
        request.start = _int_param(params, "start", 0)
        request.sort = str(params.get("sort") or "score desc")
        if str(params.get("facet", "true")).lower() == "true":
            request.facet_fields = _as_list(params.get("facet.field"))
        request.facet_limit = _int_param(params, "facet.limit", 50)
        request.facet_mincount = _int_param(params, "facet.mincount", 1)
        request.def_type = str(params.get("defType") or "lucene")
        if request.def_type not in SUPPORTED_PARSERS:
            raise UnsupportedQuery(f"query parser defType={request.def_type!r} is not supported")
        qf = params.get("qf")
        if qf:
            request.qf = [re.sub(r"\^[\d.]+$", "", f) for f in str(qf).split()]
        request.mm = str(params.get("mm") or "100%")
        request.default_and = str(params.get("q.op") or "AND").upper() == "AND"
        request.df = str(params.get("df") or "text")
        for name in request.facet_fields + request.qf + [request.df]:
            _check_field(name)
        return request


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _int_param(params: Mapping[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UnsupportedQuery(f"{name} must be an integer, got {value!r}") from None


def _check_field(name: str) -> None:
    if not F.FIELD_NAME.match(name):
        raise UnsupportedQuery(f"invalid field name {name!r}")


# --- the query trees -------------------------------------------------------------------

def min_should_match(spec: str, clauses: int) -> int:
    """Solr's ``mm`` (e.g. ``2<-1 5<80%``): how many of ``clauses`` optional clauses must match."""
    spec = spec.strip()
    chosen = spec
    if "<" in spec:
        chosen = "100%"
        for condition in spec.split():
            limit, _, value = condition.partition("<")
            if not limit.isdigit() or not value:
                raise UnsupportedQuery(f"malformed mm={spec!r}")
            if clauses > int(limit):
                chosen = value
    try:
        if chosen.endswith("%"):
            amount = int(clauses * abs(int(chosen[:-1])) / 100)
            needed = amount if not chosen.startswith("-") else clauses - amount
        else:
            number = int(chosen)
            needed = clauses + number if number < 0 else number
    except ValueError:
        raise UnsupportedQuery(f"malformed mm={spec!r}") from None
    return max(1, min(clauses, needed))


def query_tree(request: SearchRequest) -> Node:
    """The tree of ``q``: dismax queries of plain words follow ``mm`` as Solr does."""
    if request.def_type in ("dismax", "edismax"):
        tokens = lucene.tokenize(request.q)
        if len(tokens) > 1 and all(t.kind in ("TERM", "PHRASE") for t in tokens):
            terms = tuple(Term(None, t.value, phrase=t.kind == "PHRASE", wildcard=t.wildcard)
                          for t in tokens)
            return Bool(should=terms, min_should=-1)  # -1: decided by mm after analysis
    return lucene.parse(request.q, default_and=request.default_and)


# --- compilation -----------------------------------------------------------------------

@dataclass(frozen=True)
class TextQuery:
    kind: str  # plain | phrase | prefix
    text: str

    def sql(self, param: str) -> str:
        function = {"plain": "plainto_tsquery", "phrase": "phraseto_tsquery",
                    "prefix": "to_tsquery"}[self.kind]
        return f"{function}('{TS_CONFIG}', :{param})::text"

    def argument(self) -> str:
        if self.kind == "prefix":
            return "'" + self.text.replace("\\", "\\\\").replace("'", "''") + "':*"
        return self.text


_PREFIX_TERM = re.compile(r"^[\w\-.]+\*$")


def _text_query(term: Term) -> TextQuery:
    text = fold_query(term.text)
    if term.wildcard and not term.phrase:
        if not _PREFIX_TERM.match(text) or text.count("*") != 1:
            raise UnsupportedQuery(
                f"wildcard {term.text!r} on a text field: only a trailing '*' is supported")
        return TextQuery("prefix", text[:-1])
    return TextQuery("phrase" if term.phrase else "plain", text)


class Compiler:
    """Compiles query trees to SQL, given the analysed form of their text terms."""

    def __init__(self, request: SearchRequest):
        self.request = request
        self.params: dict[str, Any] = {}
        self.analysed: dict[TextQuery, str] = {}
        self.rank_terms: list[str] = []

    # text terms: what needs analysing, and its result
    def text_queries(self, trees: Iterable[Node]) -> set[TextQuery]:
        found: set[TextQuery] = set()

        def walk(node: Node) -> None:
            if isinstance(node, Bool):
                for child in node.must + node.should + node.must_not:
                    walk(child)
            elif isinstance(node, Term) and self._targets_text(node):
                found.add(_text_query(node))

        for tree in trees:
            walk(tree)
        return found

    def _targets(self, term: Term) -> list[str]:
        if term.field is not None:
            return [term.field]
        if self.request.def_type in ("dismax", "edismax"):
            return ["text"] if "text" in self.request.qf else self.request.qf
        return [self.request.df]

    def _targets_text(self, term: Term) -> bool:
        return any(_is_text_target(f) for f in self._targets(term))

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # nodes
    def compile(self, node: Node, rank: bool = False) -> str | None:
        """SQL for ``node``; None when every term in it was a stop word."""
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, Term):
            parts = [self._term(name, node, rank) for name in self._targets(node)]
            parts = [p for p in parts if p is not None]
            return None if not parts else parts[0] if len(parts) == 1 else \
                "(" + " OR ".join(parts) + ")"
        if isinstance(node, Range):
            return self._range(node)
        if isinstance(node, Exists):
            _check_field(node.field)
            if node.field == GEOMETRY_FIELD:
                return "extent IS NOT NULL"
            if node.field in F.COLUMNS:
                return f"{node.field} IS NOT NULL"
            if node.field in F.ARRAY_COLUMNS:
                return f"cardinality({node.field}) > 0"
            return f"fields ? {self.bind(node.field)}"
        return self._bool(node, rank)

    def _bool(self, node: Bool, rank: bool) -> str | None:
        must = [s for s in (self.compile(c, rank) for c in node.must) if s is not None]
        should = [s for s in (self.compile(c, rank) for c in node.should) if s is not None]
        must_not = [s for s in (self.compile(c) for c in node.must_not) if s is not None]
        parts = list(must)
        if should:
            needed = node.min_should
            if needed < 0:
                needed = min_should_match(self.request.mm, len(should))
            if must and node.min_should == 0:
                needed = 0
            if needed == 1 or (needed > 1 and len(should) == 1):
                parts.append("(" + " OR ".join(should) + ")")
            elif needed >= len(should):
                parts.extend(should)
            elif needed > 1:
                total = " + ".join(f"({s})::int" for s in should)
                parts.append(f"({total}) >= {int(needed)}")
        elif node.should and not must:
            return None  # only stop words among the alternatives
        if not parts and not must_not:
            return None
        parts.extend(f"NOT ({s})" for s in must_not)
        if not must and not should and must_not:
            parts.insert(0, "TRUE")
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def _term(self, name: str, term: Term, rank: bool) -> str | None:
        _check_field(name)
        if name == GEOMETRY_FIELD:
            return self._intersects(term)
        if _is_text_target(name):
            if name in F.SUBSTRING_FIELDS:
                return self._substring(F.SUBSTRING_FIELDS[name], term)
            analysed = self.analysed[_text_query(term)]
            if not analysed:
                return None
            query = f"CAST({self.bind(analysed)} AS tsquery)"
            if rank:
                self.rank_terms.append(analysed)
            if name == "text":
                return f"tsv @@ {query}"
            if name in F.WEIGHT_OF_FIELD:
                weight = F.WEIGHT_OF_FIELD[name]
                return f"(tsv @@ {query} AND ts_filter(tsv, '{{{weight}}}') @@ {query})"
            return (f"to_tsvector('{TS_CONFIG}', coalesce(texts ->> {self.bind(name)}, ''))"
                    f" @@ {query}")
        value = term.text
        if F.is_date(name) and not term.wildcard:
            resolved = datemath.resolve(value)
            if resolved is None:
                raise UnsupportedQuery(f"{name}: {value!r} is not a date")
            if name in F.DATE_COLUMNS:
                return f"{name} = CAST({self.bind(resolved)} AS timestamptz)"
            value = resolved
        if name in F.ARRAY_COLUMNS:
            if term.wildcard and not term.phrase:
                return (f"EXISTS (SELECT 1 FROM unnest({name}) v "
                        f"WHERE v LIKE {self.bind(_like_pattern(value))})")
            return f"{name} @> ARRAY[CAST({self.bind(value)} AS text)]"
        if term.wildcard and not term.phrase:
            pattern = _like_pattern(value)
            if name in F.COLUMNS:
                return f"{name} LIKE {self.bind(pattern)}"
            return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(fields -> "
                    f"{self.bind(name)}) v WHERE v LIKE {self.bind(pattern)})")
        if name in F.COLUMNS:
            return f"{name} = {self.bind(value)}"
        return f"fields @> CAST({self.bind(json.dumps({name: [value]}))} AS jsonb)"

    def _intersects(self, term: Term) -> str:
        """Solr's spatial filter ``Intersects(ENVELOPE(minx, maxx, maxy, miny))``: datasets
        whose extent meets the box, edges included; a dataset without extent never does."""
        try:
            box = BBox.from_intersects(term.text)
        except ValueError as error:
            raise UnsupportedQuery(str(error)) from None
        corner = "postgis.ST_MakePoint(CAST({} AS double precision), CAST({} AS double precision))"
        low = corner.format(self.bind(box.minx), self.bind(box.miny))
        high = corner.format(self.bind(box.maxx), self.bind(box.maxy))
        # The envelope of its diagonal: a point or a line for a flat box, where
        # ST_MakeEnvelope would give a degenerate polygon that intersects nothing.
        return (f"postgis.ST_Intersects(extent, postgis.ST_SetSRID("
                f"postgis.ST_Envelope(postgis.ST_MakeLine({low}, {high})), 4326))")

    def _substring(self, column: str, term: Term) -> str:
        pattern = "%" + _like_pattern(term.text.replace("*", "")) + "%"
        return f"{column} ILIKE {self.bind(pattern)}"

    def _range(self, node: Range) -> str:
        _check_field(node.field)
        if _is_text_target(node.field):
            raise UnsupportedQuery(f"range on text field {node.field!r} is not supported")
        low, high = node.low, node.high
        if F.is_date(node.field):
            low, high = (_date_bound(node.field, b) for b in (low, high))
            if node.field in F.DATE_COLUMNS:
                value, cast = node.field, "timestamptz"
                return self._bounds(value, cast, low, high, node)
            return self._array_range(node, "v", "text", low, high)
        numeric = all(b is None or re.fullmatch(r"-?\d+(\.\d+)?", b) for b in (low, high))
        if numeric:
            return self._array_range(node, "v::numeric", "numeric", low, high,
                                     guard=r"v ~ '^-?[0-9]+(\.[0-9]+)?$'")
        if node.field in F.COLUMNS:
            return self._bounds(node.field, "text", low, high, node)
        return self._array_range(node, "v", "text", low, high)

    def _bounds(self, value: str, cast: str, low: str | None, high: str | None,
                node: Range) -> str:
        parts = []
        if low is not None:
            op = ">=" if node.include_low else ">"
            parts.append(f"{value} {op} CAST({self.bind(low)} AS {cast})")
        if high is not None:
            op = "<=" if node.include_high else "<"
            parts.append(f"{value} {op} CAST({self.bind(high)} AS {cast})")
        if not parts:
            return f"{value} IS NOT NULL" if value in F.COLUMNS | F.DATE_COLUMNS \
                else "TRUE"
        return "(" + " AND ".join(parts) + ")"

    def _array_range(self, node: Range, value: str, cast: str, low: str | None,
                     high: str | None, guard: str | None = None) -> str:
        condition = self._bounds(value, cast, low, high, node)
        if guard:
            condition = f"{guard} AND {condition}"
        return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(fields -> "
                f"{self.bind(node.field)}) v WHERE {condition})")


def _is_text_target(name: str) -> bool:
    return name in ("text", *F.WEIGHT_OF_FIELD, *F.SUBSTRING_FIELDS) or F.is_text(name)


def _date_bound(name: str, bound: str | None) -> str | None:
    if bound is None:
        return None
    resolved = datemath.resolve(bound)
    if resolved is None:
        raise UnsupportedQuery(f"{name}: range bound {bound!r} is not a date")
    return resolved


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


# --- sorting ---------------------------------------------------------------------------

_SORT_COLUMNS = {"score": "score", "metadata_modified": "metadata_modified",
                 "metadata_created": "metadata_created", "name": "name", "id": "id",
                 "title_string": "lower(title) {dir}, title"}


def order_by(sort: str) -> str:
    clauses = []
    for item in sort.split(","):
        words = item.split()
        if not words:
            continue
        if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
            raise UnsupportedQuery(f'Invalid "sort" parameter: {item.strip()!r} '
                                   f'(expected "<field> asc|desc")')
        name, direction = words[0], words[1].upper()
        _check_field(name)
        if name in _SORT_COLUMNS:
            clauses.append(_SORT_COLUMNS[name].format(dir=direction) + f" {direction}")
        else:
            clauses.append(f"doc -> '{name}' {direction} NULLS LAST")
    clauses.append("index_id")  # a stable order for paging
    return ", ".join(clauses)
