"""CSW 2.0.2 GetRecords as the harvester speaks it: the request it sends, the answers it reads.

One POST per page: ``GetRecords`` with ``typeNames="gmd:MD_Metadata"``, ``outputSchema`` ISO
19139 (gmd), ``ElementSetName`` full, ``resultType`` results, sorted by ``apiso:Identifier``
ascending (so that pages of one walk partition the result set), ``startPosition`` counted
from 1, and optionally a ``csw:CqlText`` constraint from the source's configuration. The
request is built with OWSLib's namespace table and ``fes.SortBy``; OWSLib does no HTTP and
no parsing here (``harvesters.fetch`` and ``harvesters.xml`` do).

CQL as pycsw 2.6.2 understands it: ``property operator literal``, operators in lower case
(``apiso:Subject like '%opendata%'``; ``LIKE`` is refused as "Invalid CQL request"),
conditions joined by ``and`` or ``or`` (not both). Other servers (GeoNetwork) take full
OGC CQL. Whatever the server refuses comes back as an ``ows:ExceptionReport``, whose text
``CswException`` carries.

Every XML name this module reads is in ``PATHS``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree
from owslib.fes import SortBy, SortProperty
from owslib.namespaces import Namespaces
from owslib.util import nspath_eval

CSW_VERSION = "2.0.2"
OUTPUT_SCHEMA = "http://www.isotc211.org/2005/gmd"
TYPE_NAMES = "gmd:MD_Metadata"  # servers answer gmi:MI_Metadata records to it as well
ELEMENT_SET = "full"
SORT_PROPERTY = "apiso:Identifier"
CONTENT_TYPE = "application/xml"
SCHEMA_LOCATION = ("http://www.opengis.net/cat/csw/2.0.2 "
                   "http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd")

NAMESPACES = {**Namespaces().get_namespaces(["csw", "gmd", "gmi", "ogc", "ows", "ows110",
                                             "xsi"]),
              "apiso": "http://www.opengis.net/cat/csw/apiso/1.0"}

PATHS = {
    # roots of an answer
    "response": "csw:GetRecordsResponse",
    "exception_report": ("ows:ExceptionReport", "ows110:ExceptionReport"),
    # in csw:GetRecordsResponse
    "search_results": "csw:SearchResults",
    "matched": "@numberOfRecordsMatched",
    "returned": "@numberOfRecordsReturned",
    "next_record": "@nextRecord",
    # in ows:ExceptionReport (OWS 1.0 for CSW 2.0.2; some servers answer OWS 1.1)
    "exception": ("ows:Exception", "ows110:Exception"),
    "exception_code": "@exceptionCode",
    "exception_locator": "@locator",
    "exception_text": ("ows:ExceptionText", "ows110:ExceptionText"),
}


def get_records(start: int, max_records: int, cql: str | None = None,
                sort_property: str = SORT_PROPERTY) -> bytes:
    """The GetRecords request for ``max_records`` full ISO records from ``start`` (1-based),
    as UTF-8 XML."""
    if start < 1 or max_records < 1:
        raise ValueError(f"startPosition ({start}) and maxRecords ({max_records}) must be "
                         "positive")
    nsmap = {prefix: NAMESPACES[prefix] for prefix in ("csw", "ogc", "gmd", "apiso", "xsi")}
    root = etree.Element(_name("csw:GetRecords"), nsmap=nsmap)
    for name, value in (("service", "CSW"), ("version", CSW_VERSION), ("resultType", "results"),
                        ("startPosition", str(start)), ("maxRecords", str(max_records)),
                        ("outputFormat", CONTENT_TYPE), ("outputSchema", OUTPUT_SCHEMA)):
        root.set(name, value)
    root.set(_name("xsi:schemaLocation"), SCHEMA_LOCATION)
    query = etree.SubElement(root, _name("csw:Query"), typeNames=TYPE_NAMES)
    etree.SubElement(query, _name("csw:ElementSetName")).text = ELEMENT_SET
    if cql is not None and cql.strip():
        constraint = etree.SubElement(query, _name("csw:Constraint"), version="1.1.0")
        etree.SubElement(constraint, _name("csw:CqlText")).text = cql.strip()
    query.append(SortBy([SortProperty(sort_property, "ASC")]).toXML())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -- answers ------------------------------------------------------------------------------------

class AnswerError(ValueError):
    """The answer is no GetRecords response. ``looks_like_error_page``: it is not CSW at all
    (an HTML page, another XML document), the signature of a broken backend or a login page."""

    def __init__(self, reason: str, looks_like_error_page: bool = False) -> None:
        self.reason, self.looks_like_error_page = reason, looks_like_error_page
        super().__init__(reason)


class CswException(AnswerError):
    """The server answered with an ``ows:ExceptionReport``; the message quotes it."""

    def __init__(self, code: str | None, locator: str | None, text: str) -> None:
        self.code, self.locator, self.text = code, locator, text
        where = f" (locator {locator!r})" if locator else ""
        super().__init__(f"the server answered with an exception report: {code or 'no code'}"
                         f"{where}: {text or 'no text'}")


@dataclass(frozen=True)
class SearchResults:
    """What one GetRecords answer holds. ``records``: each element child of
    ``csw:SearchResults`` (ISO 19139 ``gmd:MD_Metadata``, ``gmi:MI_Metadata``, ISO 19115-3
    ``mdb:MD_Metadata`` or anything else: the mapping decides), each a deep copy that owns
    its document, with the source line numbers of the answer."""

    matched: int
    declared_returned: int | None
    next_record: int | None
    records: list[etree._Element]


def read_answer(root: etree._Element) -> SearchResults:
    """The search results of a parsed answer; raises ``CswException`` or ``AnswerError``."""
    if root.tag in _names("exception_report"):
        raise _exception(root)
    if root.tag != _name(PATHS["response"]):
        raise AnswerError(f"not a CSW GetRecords response: the document is <{_shown(root)}>",
                          looks_like_error_page=True)
    results = root.find(_name(PATHS["search_results"]))
    if results is None:
        raise AnswerError(f"the response has no <{PATHS['search_results']}> (line "
                          f"{root.sourceline})")
    matched = _number(results, "matched", required=True)
    assert matched is not None
    records = [copy.deepcopy(child) for child in results.iterchildren(etree.Element)]
    return SearchResults(matched=matched, declared_returned=_number(results, "returned"),
                         next_record=_number(results, "next_record"), records=records)


def _exception(root: etree._Element) -> CswException:
    exception = next((e for e in root.iterchildren(*_names("exception"))), None)
    if exception is None:
        return CswException(None, None, " ".join("".join(root.itertext()).split()))
    text = " ".join(" ".join(t.text or "" for t in exception.iterchildren(
        *_names("exception_text"))).split())
    return CswException(exception.get(_attribute("exception_code")),
                        exception.get(_attribute("exception_locator")), text)


def _number(element: etree._Element, key: str, required: bool = False) -> int | None:
    name = _attribute(key)
    value = element.get(name)
    if value is None:
        if required:
            raise AnswerError(f"<{PATHS['search_results']}> (line {element.sourceline}) has no "
                              f"{name}")
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise AnswerError(f"<{PATHS['search_results']}> (line {element.sourceline}): {name} "
                          f"is not a whole number: {value!r}") from None
    if number < 0:
        raise AnswerError(f"<{PATHS['search_results']}> (line {element.sourceline}): {name} "
                          f"is negative: {number}")
    return number


def _name(path: str) -> str:
    return nspath_eval(path, NAMESPACES)


def _names(key: str) -> tuple[str, ...]:
    return tuple(_name(path) for path in PATHS[key])


def _attribute(key: str) -> str:
    return PATHS[key].removeprefix("@")


def _shown(element: etree._Element) -> str:
    name = etree.QName(element)
    return f"{name.localname} xmlns={name.namespace}" if name.namespace else name.localname
