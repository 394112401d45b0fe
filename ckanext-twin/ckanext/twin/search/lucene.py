"""A parser for the Solr (Lucene classic) query syntax that CKAN and its extensions send.

It understands what CKAN core, ckanext-harvest and ckanext-dcat produce, plus what users type
into ``q``: bare terms, ``field:value``, quoted phrases, ``AND``/``OR``/``NOT`` (and ``&&``,
``||``, ``!``), ``+``/``-`` prefixes, parentheses, ``[x TO y]``/``{x TO y}`` ranges, ``*``
and ``?`` wildcards and ``*:*``. Anything else (boosts, fuzzy and proximity search, regular
expressions, local parameters, function queries) raises :class:`UnsupportedQuery` naming the
part, so no query is ever silently changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union


class UnsupportedQuery(ValueError):
    """The query uses syntax this backend does not translate."""


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the default field(s)
    text: str
    phrase: bool = False
    wildcard: bool = False  # text contains unescaped * or ?


@dataclass(frozen=True)
class Range:
    field: str
    low: str | None  # None: open
    high: str | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class Exists:
    field: str


@dataclass(frozen=True)
class Bool:
    """Lucene boolean query: all ``must``, none of ``must_not``, ``min_should`` of ``should``."""

    must: tuple[Node, ...] = ()
    should: tuple[Node, ...] = ()
    must_not: tuple[Node, ...] = ()
    min_should: int = 1


Node = Union[MatchAll, Term, Range, Exists, Bool]

_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT", "!": "NOT"}
_FIELD = re.compile(r"[A-Za-z_][\w.\-]*$")
_SPECIAL = set('+-&|!(){}[]^"~*?:\\/ ')


@dataclass
class _Token:
    kind: str  # TERM PHRASE RANGE LPAREN RPAREN OP PLUS MINUS FIELD
    value: str
    pos: int
    wildcard: bool = False
    extra: tuple = field(default_factory=tuple)


def _unsupported(what: str, pos: int, query: str) -> UnsupportedQuery:
    return UnsupportedQuery(f"{what} at position {pos + 1} of {query!r} is not supported")


def tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif query.startswith("{!", i):
            raise _unsupported("Solr local parameters '{!...}'", i, query)
        elif c == "(":
            tokens.append(_Token("LPAREN", c, i))
            i += 1
        elif c == ")":
            tokens.append(_Token("RPAREN", c, i))
            i += 1
        elif query.startswith("&&", i) or query.startswith("||", i):
            tokens.append(_Token("OP", _OPERATORS[query[i:i + 2]], i))
            i += 2
        elif c == "!":
            tokens.append(_Token("OP", "NOT", i))
            i += 1
        elif c in "+-" and (not tokens or _starts_clause(query, i)):
            tokens.append(_Token("PLUS" if c == "+" else "MINUS", c, i))
            i += 1
        elif c == '"':
            text, i = _read_phrase(query, i)
            tokens.append(_Token("PHRASE", text, i))
        elif c in "[{":
            token, i = _read_range(query, i)
            tokens.append(token)
        elif c == "^":
            raise _unsupported("boost '^'", i, query)
        elif c == "~":
            raise _unsupported("fuzzy or proximity search '~'", i, query)
        elif c == "/":
            raise _unsupported("regular expression '/.../'", i, query)
        elif c in "]}":
            raise UnsupportedQuery(f"unbalanced {c!r} at position {i + 1} of {query!r}")
        else:
            start = i
            text, wildcard, i = _read_word(query, i)
            colon = _skip_space(query, i)
            if colon < n and query[colon] == ":" and text and (not wildcard or text == "*"):
                tokens.append(_Token("FIELD", text, start))
                i = _skip_space(query, colon + 1)
            elif text in _OPERATORS:
                tokens.append(_Token("OP", _OPERATORS[text], start))
            else:
                tokens.append(_Token("TERM", text, start, wildcard=wildcard))
    return tokens


def _skip_space(query: str, i: int) -> int:
    while i < len(query) and query[i].isspace():
        i += 1
    return i


def _starts_clause(query: str, i: int) -> bool:
    """A '+' or '-' is a prefix only at the start of a clause, not inside a word."""
    return i == 0 or query[i - 1].isspace() or query[i - 1] in "(:"


def _read_word(query: str, i: int) -> tuple[str, bool, int]:
    out: list[str] = []
    wildcard = False
    n = len(query)
    while i < n:
        c = query[i]
        if c == "\\" and i + 1 < n:
            out.append(query[i + 1])
            i += 2
            continue
        if c in "*?":
            wildcard = True
            out.append(c)
            i += 1
            continue
        if c.isspace() or c in '()[]{}"^~:':
            break
        out.append(c)
        i += 1
    if not out and i < n:
        raise UnsupportedQuery(f"unexpected {query[i]!r} at position {i + 1} of {query!r}")
    return "".join(out), wildcard, i


def _read_phrase(query: str, i: int) -> tuple[str, int]:
    start = i
    i += 1
    out: list[str] = []
    while i < len(query):
        c = query[i]
        if c == "\\" and i + 1 < len(query):
            out.append(query[i + 1])
            i += 2
        elif c == '"':
            i += 1
            if i < len(query) and query[i] == "~":
                raise _unsupported("proximity search '\"...\"~'", i, query)
            return "".join(out), i
        else:
            out.append(c)
            i += 1
    raise UnsupportedQuery(f"unterminated phrase starting at position {start + 1} of {query!r}")


_RANGE = re.compile(r'([\[{])\s*("(?:[^"\\]|\\.)*"|\S+)\s+TO\s+("(?:[^"\\]|\\.)*"|[^\s\]}]+)\s*([\]}])')


def _read_range(query: str, i: int) -> tuple[_Token, int]:
    match = _RANGE.match(query, i)
    if not match:
        raise UnsupportedQuery(
            f"malformed range at position {i + 1} of {query!r}: expected [low TO high]")
    opening, low, high, closing = match.groups()

    def bound(value: str) -> str | None:
        if value == "*":
            return None
        if value.startswith('"'):
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        return value.replace("\\", "")

    token = _Token("RANGE", match.group(0), i,
                   extra=(bound(low), bound(high), opening == "[", closing == "]"))
    return token, match.end()


class _Parser:
    """Recursive descent: OR binds loosest, then AND (explicit or implicit), then NOT/+/-.

    With ``q.op=OR`` Lucene's flat clause list applies instead (:meth:`parse_flat`).
    """

    def __init__(self, query: str, default_and: bool):
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0
        self.default_and = default_and

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.parse_or(None)
        if self.peek() is not None:
            token = self.peek()
            raise UnsupportedQuery(
                f"unexpected {token.value!r} at position {token.pos + 1} of {self.query!r}")
        return node

    def parse_or(self, field_name: str | None) -> Node:
        if not self.default_and:
            return self.parse_flat(field_name)
        groups = [self.parse_and(field_name)]
        while (token := self.peek()) is not None and token.kind == "OP" and token.value == "OR":
            self.take()
            groups.append(self.parse_and(field_name))
        return groups[0] if len(groups) == 1 else _should(groups)

    def parse_flat(self, field_name: str | None) -> Node:
        """Lucene with ``q.op=OR``: every clause optional unless marked '+', '-' or AND."""
        occurs: list[list] = []
        joined_by_and = False
        while (token := self.peek()) is not None and token.kind != "RPAREN":
            if token.kind == "OP" and token.value in ("AND", "OR"):
                self.take()
                joined_by_and = token.value == "AND"
                if joined_by_and and occurs and occurs[-1][0] == "should":
                    occurs[-1][0] = "must"
                continue
            occur = "must" if joined_by_and else "should"
            while (token := self.peek()) is not None and (
                    token.kind in ("PLUS", "MINUS") or (token.kind, token.value) == ("OP", "NOT")):
                self.take()
                occur = "must" if token.kind == "PLUS" else "must_not"
            occurs.append([occur, self.parse_clause(field_name)])
            joined_by_and = False
        if not occurs:
            raise UnsupportedQuery(f"missing search term in {self.query!r}")
        picked = {kind: tuple(n for o, n in occurs if o == kind)
                  for kind in ("must", "should", "must_not")}
        if len(occurs) == 1 and occurs[0][0] != "must_not":
            return occurs[0][1]
        return Bool(must=picked["must"], should=picked["should"], must_not=picked["must_not"],
                    min_should=0 if picked["must"] else 1)

    def parse_and(self, field_name: str | None) -> Node:
        must: list[Node] = []
        must_not: list[Node] = []
        while True:
            token = self.peek()
            if token is None or token.kind == "RPAREN":
                break
            if token.kind == "OP" and token.value == "OR":
                break
            if token.kind == "OP" and token.value == "AND":
                self.take()
                following = self.peek()
                if following is None or following.kind == "RPAREN" or \
                        (following.kind == "OP" and following.value in ("AND", "OR")):
                    raise UnsupportedQuery(
                        f"missing search term after AND at position {token.pos + 1} "
                        f"of {self.query!r}")
                continue
            negate = False
            while (token := self.peek()) is not None and token.kind in ("PLUS", "MINUS", "OP") \
                    and token.value != "OR" and token.value != "AND":
                self.take()
                if token.kind == "MINUS" or token.value == "NOT":
                    negate = not negate
            node = self.parse_clause(field_name)
            (must_not if negate else must).append(node)
        if not must and not must_not:
            token = self.peek()
            where = f"at position {token.pos + 1}" if token else "at the end"
            raise UnsupportedQuery(f"missing search term {where} of {self.query!r}")
        if len(must) == 1 and not must_not:
            return must[0]
        return Bool(must=tuple(must), must_not=tuple(must_not))

    def parse_clause(self, field_name: str | None) -> Node:
        if self.peek() is None:
            raise UnsupportedQuery(f"missing search term at the end of {self.query!r}")
        token = self.take()
        if token.kind == "FIELD":
            if not _FIELD.match(token.value) and token.value != "*":
                raise UnsupportedQuery(
                    f"invalid field name {token.value!r} at position {token.pos + 1}")
            if field_name is not None:
                raise _unsupported("nested field", token.pos, self.query)
            return self.parse_clause(token.value)
        if token.kind == "LPAREN":
            node = self.parse_or(field_name)
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise UnsupportedQuery(
                    f"unbalanced '(' at position {token.pos + 1} of {self.query!r}")
            self.take()
            return node
        if token.kind == "PHRASE":
            return Term(field_name, token.value, phrase=True)
        if token.kind == "RANGE":
            if field_name is None:
                raise _unsupported("range without a field", token.pos, self.query)
            low, high, include_low, include_high = token.extra
            return Range(field_name, low, high, include_low, include_high)
        if token.kind == "TERM":
            if token.value == "*":
                return MatchAll() if field_name in (None, "*") else Exists(field_name)
            if field_name == "*":
                raise _unsupported("'*' as a field name", token.pos, self.query)
            return Term(field_name, token.value, wildcard=token.wildcard)
        raise UnsupportedQuery(
            f"unexpected {token.value!r} at position {token.pos + 1} of {self.query!r}")


def _should(nodes: list[Node]) -> Bool:
    return Bool(should=tuple(nodes), min_should=1)


def parse(query: str, default_and: bool = True) -> Node:
    """Parse ``query``; ``default_and`` is Solr's ``q.op=AND`` (CKAN's setting)."""
    return _Parser(query, default_and).parse()
