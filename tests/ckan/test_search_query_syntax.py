"""The Solr query syntax CKAN sends, parsed and checked without a database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ckanext.twin.search import datemath, lucene
from ckanext.twin.search.lucene import Bool, Exists, MatchAll, Range, Term
from ckanext.twin.search.translate import SearchRequest, min_should_match, order_by


@pytest.mark.parametrize("query, tree", [
    ("*:*", MatchAll()),
    ("", MatchAll()),
    ('+site_id:"default" +state:active',
     Bool(must=(Term("site_id", "default", phrase=True), Term("state", "active")))),
    ('+permission_labels:("public" OR "member-1")',
     Bool(should=(Term("permission_labels", "public", phrase=True),
                  Term("permission_labels", "member-1", phrase=True)))),
    ("-dataset_type:harvest", Bool(must_not=(Term("dataset_type", "harvest"),))),
    ("a AND NOT b", Bool(must=(Term(None, "a"),), must_not=(Term(None, "b"),))),
    ("name:foo*", Term("name", "foo*", wildcard=True)),
    ("organization:*", Exists("organization")),
    ("metadata_modified:[2020-01-01T00:00:00Z TO NOW}",
     Range("metadata_modified", "2020-01-01T00:00:00Z", "NOW", True, False)),
    ("res_url:http\\://x.de/a", Term("res_url", "http://x.de/a")),
    ("_query_store : true", Term("_query_store", "true")),
    ("my-dataset", Term(None, "my-dataset")),
])
def test_parse(query, tree):
    assert lucene.parse(query) == tree


def test_q_op_or_keeps_required_and_prohibited_clauses():
    assert lucene.parse("+a b -c", default_and=False) == Bool(
        must=(Term(None, "a"),), should=(Term(None, "b"),), must_not=(Term(None, "c"),),
        min_should=0)


@pytest.mark.parametrize("query, named", [
    ("a^2", "boost '^'"), ("a~1", "'~'"), ('"a b"~2', "proximity"),
    ("{!join from=x}y", "local parameters"), ("title:/x.*/", "regular expression"),
    ("(a", "unbalanced '('"), ("a AND", "after AND"), ("a OR", "missing search term"),
    ("a:b:c", "nested field"), ("x:[a TO", "malformed range"),
])
def test_refused_with_the_part_named(query, named):
    with pytest.raises(lucene.UnsupportedQuery, match=None) as error:
        lucene.parse(query)
    assert named in str(error.value)


@pytest.mark.parametrize("spec, clauses, needed", [
    ("2<-1 5<80%", 1, 1), ("2<-1 5<80%", 2, 2), ("2<-1 5<80%", 3, 2),
    ("2<-1 5<80%", 5, 4), ("2<-1 5<80%", 10, 8), ("100%", 4, 4), ("1", 4, 1),
    ("-25%", 4, 3),
])
def test_minimum_should_match(spec, clauses, needed):
    assert min_should_match(spec, clauses) == needed


def test_date_math():
    now = datetime(2026, 3, 15, 10, 30, 5, tzinfo=timezone.utc)
    assert datemath.resolve("NOW/DAY", now) == "2026-03-15T00:00:00.000000Z"
    assert datemath.resolve("NOW-1MONTH/DAY", now) == "2026-02-15T00:00:00.000000Z"
    assert datemath.resolve("2024-01-31T00:00:00Z+1MONTH") == "2024-02-29T00:00:00.000000Z"
    assert datemath.resolve("NOW-1FORTNIGHT", now) is None
    assert datemath.resolve("yesterday", now) is None


def test_request_parameters_are_checked():
    with pytest.raises(lucene.UnsupportedQuery, match="bf"):
        SearchRequest.from_params("x", {"bf": "recip(ms(NOW,metadata_modified),1,1,1)"})
    with pytest.raises(lucene.UnsupportedQuery, match="defType"):
        SearchRequest.from_params("x", {"defType": "knn"})
    with pytest.raises(lucene.UnsupportedQuery, match="rows"):
        SearchRequest.from_params("x", {"rows": "many"})
    with pytest.raises(lucene.UnsupportedQuery, match="sort"):
        order_by("name")
    assert order_by("score desc, title_string asc").startswith("score DESC, lower(title) ASC")
