"""An ISO record (with the services coupled to it) as one DCAT-AP.de dataset graph.

The graph is what the ``dcatap_de`` profile reads (``ckanext-twin/ckanext/twin/dcat/
profile.py``) and what the official shapes accept: the extent as ``dct:spatial [ a
dct:Location ; dcat:bbox "POLYGON((…))"^^gsp:wktLiteral ]``, access services as
``dcat:accessService [ a dcat:DataService ; dcat:endpointURL … ]`` of a distribution, contact
points as vCard, agents as ``foaf:Agent`` with ``foaf:name``, the licence on every
distribution (and on the dataset, where the profile reads it first), originator and
custodian in their DCAT-AP.de 3.0 terms (``geodcatap:``). What the partner registry decides
(contributorID, political geocoding, the publisher of record) is added by the CKAN side; the
record's own publisher is written as the payload's claim, which the CKAN side compares and
overrides. The table of ISO elements and DCAT-AP.de properties is in ``docs/csw.md``.

Only vocabulary values the shapes accept are written (themes, languages, frequencies, file
types, licences, access rights); anything else is left out with a warning, as is a URL that
is not an http(s) address CKAN accepts.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from harvesters.dcat.records import DCAT
from harvesters.iso.links import Access, Kind, Standard, classify, endpoint_key, \
    protocol_file_type, service_hint, web_url
from harvesters.iso.record import IsoRecord, Party, Period, RecordRefused, parse_moment
from harvesters.iso.rights import Rights, read_rights
from harvesters.iso.text import Text
from harvesters.iso.themes import ThemeTable, data_themes, default_themes, is_theme_code
from harvesters.vocabularies import Vocabularies, default_vocabularies

ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
GEODCATAP = Namespace("http://data.europa.eu/930/")

# ISO 19115 CI_RoleCode -> property of the dataset (pointOfContact: dcat:contactPoint).
ROLE_PROPERTIES = {"publisher": DCT.publisher, "originator": GEODCATAP.originator,
                   "custodian": GEODCATAP.custodian, "author": DCT.creator}
# Whose name a data service is published under when the record has no publisher.
PUBLISHER_ROLES = ("publisher", "owner", "custodian", "pointOfContact", "resourceProvider",
                   "distributor", "originator", "author", "principalInvestigator")
# Keyword groups that classify the record for INSPIRE monitoring rather than describe it.
TECHNICAL_THESAURI = ("spatial scope", "service classification", "spatialdataservicecategory",
                      "registryid")
TECHNICAL_KEYWORD = re.compile(r"^https?://inspire\.ec\.europa\.eu/metadata-?codelist/", re.I)
# CKAN tags hold letters, digits, blanks, "-", "_", "." (a comma separates tags for the profile).
_NOT_IN_TAG = re.compile(r"[^\w \-.,]+")
MAX_TAG_LENGTH = 100
_GYEAR = re.compile(r"^\d{4}$")
_GYEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")


class Mapped(NamedTuple):
    """One dataset: its graph, its subject, and what was left out or decided on the way."""

    graph: Graph
    subject: URIRef
    warnings: list[str]


class _Triples(list[tuple[Node, Node, Node]]):
    """The triples being written, with ``Graph.add``'s signature: the graph is made of them
    in one go at the end, which costs half of adding them to a graph one by one."""

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        self.append(triple)


@dataclass
class _Distribution:
    """A distribution being assembled: a link of the record or an endpoint of a service."""

    access: Access
    service: IsoRecord | None = None  # the coupled service record whose endpoint this is
    names: list[str] = field(default_factory=list)


def to_graph(record: IsoRecord, services: Sequence[IsoRecord], record_url: str, *,
             vocabularies: Vocabularies | None = None,
             themes: ThemeTable | None = None) -> Mapped:
    """The DCAT-AP.de graph of ``record`` and the ``services`` coupled to it.

    ``record_url`` is the record's address at the source (GetRecordById): the dataset's
    subject unless the record has exactly one http(s) resource identifier, and its landing
    page when nothing else can be. Raises ``RecordRefused`` when ``record_url`` is no IRI.
    """
    if not _IRI.match(record_url or ""):
        raise RecordRefused(f"record {record.identifier}: its address {record_url!r} is no IRI",
                            record.identifier)
    return _Mapper(record, vocabularies or default_vocabularies(),
                   themes or default_themes()).map(services, record_url)


class _Mapper:
    def __init__(self, record: IsoRecord, vocabularies: Vocabularies,
                 themes: ThemeTable) -> None:
        self.record = record
        self.vocabularies = vocabularies
        self.themes = themes
        self.graph = _Triples()
        self.warnings: list[str] = []
        self.agents: dict[Party, BNode] = {}

    def map(self, services: Sequence[IsoRecord], record_url: str) -> Mapped:
        record, g = self.record, self.graph
        subject = self._subject(record_url)
        rights = read_rights(record, self.vocabularies)
        self.warnings += rights.warnings
        g.add((subject, RDF.type, DCAT.Dataset))
        self._text(subject, DCT.title, record.title)
        self._text(subject, DCT.description, record.abstract)
        g.add((subject, DCT.identifier, Literal(record.identifier)))
        for code in record.identifier_codes:
            node = BNode()
            g.add((subject, ADMS.identifier, node))
            g.add((node, RDF.type, ADMS.Identifier))
            g.add((node, SKOS.notation, Literal(code)))
        self._date(subject, DCT.modified, record.stamp or record.revised)
        self._date(subject, DCT.issued, record.published or record.created)
        self._keywords(subject)
        for theme in data_themes(record.keywords, self.themes, self.vocabularies):
            g.add((subject, DCAT.theme, URIRef(theme)))
        self._vocabulary(subject, DCT.language, "language",
                         record.languages or (() if record.language is None else
                                              (record.language,)), "resource language")
        if record.frequency:
            self._vocabulary(subject, DCT.accrualPeriodicity, "frequency", (record.frequency,),
                             "maintenance frequency")
        if rights.access_rights:
            g.add((subject, DCT.accessRights, URIRef(rights.access_rights)))
        self._parties(subject)
        self._spatial(subject)
        for period in record.periods:
            self._period(subject, period)
        if record.lineage is not None:
            statement = BNode()
            g.add((subject, DCT.provenance, statement))
            g.add((statement, RDF.type, DCT.ProvenanceStatement))
            self._text(statement, RDFS.label, record.lineage)
        if rights.licence:
            g.add((subject, DCT.license, URIRef(rights.licence)))
        else:
            self.warnings.append("no licence recognised in the resource constraints; the "
                                 "source's default licence applies")
        distributions, pages = self._accesses(services)
        for distribution in distributions:
            self._distribution(subject, distribution, rights)
        for page in pages:
            g.add((subject, FOAF.page, URIRef(page)))
        if not distributions:
            g.add((subject, DCAT.landingPage, URIRef(pages[0] if pages else record_url)))
        graph = Graph(store="SimpleMemory")  # no named graphs needed: the lighter store
        graph += g
        return Mapped(graph, subject, self.warnings)

    # -- the dataset ---------------------------------------------------------------------

    def _subject(self, record_url: str) -> URIRef:
        """The record's http(s) resource identifier if it has exactly one, else its address."""
        own = {code for code in self.record.identifier_codes
               if code.startswith(("http://", "https://")) and web_url(code) == code}
        return URIRef(own.pop() if len(own) == 1 else record_url)

    def _text(self, subject: BNode | URIRef, predicate: URIRef, text: Text) -> None:
        self.graph.add((subject, predicate, Literal(text.text, lang=text.language)))
        for language, value in text.translations:
            self.graph.add((subject, predicate, Literal(value, lang=language)))

    def _date(self, subject: URIRef, predicate: URIRef, moment: date | None) -> None:
        if moment is not None:
            self.graph.add((subject, predicate, _moment_literal(moment)))

    def _keywords(self, subject: URIRef) -> None:
        seen: set[str] = set()
        for keyword in self.record.keywords:
            thesaurus = keyword.thesaurus.casefold()
            if any(t in thesaurus for t in TECHNICAL_THESAURI) \
                    or TECHNICAL_KEYWORD.match(keyword.text.href or "") \
                    or is_theme_code(keyword, self.vocabularies):
                continue
            tag = tag_text(keyword.text.text)
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                self.graph.add((subject, DCAT.keyword, Literal(tag, lang=self.record.language)))

    def _vocabulary(self, subject: URIRef, predicate: URIRef, vocabulary: str,
                    values: Sequence[str], what: str) -> None:
        for value in values:
            uri = self.vocabularies.normalise(vocabulary, value)
            if uri:
                self.graph.add((subject, predicate, URIRef(uri)))
            else:
                self.warnings.append(f"{what} {value!r} is not in the EU {vocabulary} table; "
                                     "left out")

    def _parties(self, subject: URIRef) -> None:
        record, g = self.record, self.graph
        contacts = [p for p in record.parties if p.role == "pointOfContact"] \
            or list(record.contacts)
        for party in dict.fromkeys(contacts):
            contact = self._contact(party)
            if contact is not None:
                g.add((subject, DCAT.contactPoint, contact))
        written: set[URIRef] = set()
        for party in record.parties:
            predicate = ROLE_PROPERTIES.get(party.role or "")
            if predicate is None or (predicate == DCT.publisher and predicate in written):
                continue  # DCAT-AP.de: at most one publisher
            written.add(predicate)
            g.add((subject, predicate, self._agent(party)))

    def _contact(self, party: Party) -> BNode | None:
        """A vCard; None (with a warning) when it gives no way to reach anyone, which
        DCAT-AP.de requires."""
        email = _EMAIL.match(party.email.removeprefix("mailto:")) and _mailto(party.email)
        phone = _telephone(party.phone)
        # A contact form in place of the address (Destatis) is the contact's web address.
        url = next(filter(None, (web_url(u) for u in (party.url, party.email) if u)), None)
        if not (email or phone or url):
            self.warnings.append(f"the point of contact {party.name!r} has no e-mail address, "
                                 "telephone number or web address; not published as "
                                 "dcat:contactPoint")
            return None
        node, g = BNode(), self.graph
        g.add((node, RDF.type, VCARD.Organization if party.organisation else VCARD.Individual))
        g.add((node, VCARD.fn, Literal(party.name)))
        if email:
            g.add((node, VCARD.hasEmail, email))
        if phone:
            g.add((node, VCARD.hasTelephone, URIRef(phone)))
        if url:
            g.add((node, VCARD.hasURL, URIRef(url)))
        return node

    def _agent(self, party: Party) -> BNode:
        if party in self.agents:
            return self.agents[party]
        node, g = BNode(), self.graph
        g.add((node, RDF.type, FOAF.Agent))
        g.add((node, FOAF.name, Literal(party.name)))
        if _EMAIL.match(party.email.removeprefix("mailto:")):
            g.add((node, FOAF.mbox, _mailto(party.email)))
        url = web_url(party.url) if party.url else None
        if url:
            g.add((node, FOAF.homepage, URIRef(url)))
        self.agents[party] = node
        return node

    def _spatial(self, subject: URIRef) -> None:
        boxes = [b for b in self.record.bboxes if b.west <= b.east]
        if len(boxes) < len(self.record.bboxes):
            self.warnings.append("a bounding box crossing the antimeridian (west > east) is "
                                 "left out")
        if not boxes:
            return
        west, east = min(b.west for b in boxes), max(b.east for b in boxes)
        south, north = min(b.south for b in boxes), max(b.north for b in boxes)
        location, g = BNode(), self.graph
        g.add((subject, DCT.spatial, location))
        g.add((location, RDF.type, DCT.Location))
        w, e, s, n = map(_number, (west, east, south, north))
        if (west, south) == (east, north):
            g.add((location, DCAT.centroid, Literal(f"POINT({w} {s})", datatype=GSP.wktLiteral)))
        else:
            g.add((location, DCAT.bbox, Literal(
                f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))", datatype=GSP.wktLiteral)))

    def _period(self, subject: URIRef, period: Period) -> None:
        values = {}
        for predicate, text in ((DCAT.startDate, period.start), (DCAT.endDate, period.end)):
            if not text:
                continue
            literal = _temporal_literal(text)
            if literal is None:
                self.warnings.append(f"temporal extent {text!r} is not a date, date-time or "
                                     "year; left out")
            else:
                values[predicate] = literal
        if values:
            node, g = BNode(), self.graph
            g.add((subject, DCT.temporal, node))
            g.add((node, RDF.type, DCT.PeriodOfTime))
            for predicate, literal in values.items():
                g.add((node, predicate, literal))

    # -- distributions -------------------------------------------------------------------

    def _accesses(self, services: Sequence[IsoRecord]) -> tuple[list[_Distribution], list[str]]:
        """The distributions (the record's links, then the endpoints of coupled services,
        each endpoint once) and the web pages."""
        record = self.record
        hint = service_hint(record) if record.is_service else None
        distributions: dict[str, _Distribution] = {}
        pages: dict[str, None] = {}
        unusable: list[str] = []
        for link in record.links:
            access = classify(link, hint)
            if access is None:
                unusable.append(link.url)
            elif access.kind is Kind.PAGE:
                pages.setdefault(access.url)
            else:
                self._add(distributions, _Distribution(access), None)
        for service in ([] if record.is_service else services):
            found = False
            for link in service.links:
                access = classify(link, service_hint(service))
                if access is not None and access.kind is Kind.SERVICE:
                    found = True
                    self._add(distributions, _Distribution(access, service), service)
            if not found:
                self.warnings.append(f"the coupled service {service.identifier} has no "
                                     "endpoint URL this mapping recognises; left out")
        if unusable:
            shown = ", ".join(repr(u) for u in unusable[:3])
            more = f" and {len(unusable) - 3} more" if len(unusable) > 3 else ""
            self.warnings.append(f"{len(unusable)} online resource(s) are not http(s) URLs with "
                                 f"a host name and are left out: {shown}{more}")
        return list(distributions.values()), [p for p in pages if p]

    @staticmethod
    def _add(distributions: dict[str, _Distribution], new: _Distribution,
             service: IsoRecord | None) -> None:
        access = new.access
        key = f"service {endpoint_key(access.endpoint)}" if access.kind is Kind.SERVICE \
            and access.endpoint else f"{access.kind.value} {access.url}"
        known = distributions.get(key)
        if known is None:
            distributions[key] = new
            known = new
        elif service is not None and known.service is None:
            known.service = service
        for name in (access.link.name, access.link.description):
            if name and name not in known.names:
                known.names.append(name)

    def _distribution(self, subject: URIRef, distribution: _Distribution,
                      rights: Rights) -> None:
        access, service, g = distribution.access, distribution.service, self.graph
        node = BNode()
        g.add((subject, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCAT.accessURL, URIRef(access.url)))
        if access.kind is Kind.DOWNLOAD and access.extension:
            g.add((node, DCAT.downloadURL, URIRef(access.url)))
        title = service.title.text if service else (distribution.names or [None])[0]
        if title:
            g.add((node, DCT.title, Literal(title, lang=self.record.language)))
        description = access.link.description
        if description and description != title:
            g.add((node, DCT.description, Literal(description, lang=self.record.language)))
        file_type = self._file_type(access)
        if file_type:
            g.add((node, DCT["format"], URIRef(file_type)))
        if rights.licence:
            g.add((node, DCT.license, URIRef(rights.licence)))
        if rights.attribution:
            g.add((node, DCATDE.licenseAttributionByText, Literal(rights.attribution)))
        if access.kind is Kind.SERVICE and access.standard is not None:
            self._data_service(subject, node, distribution, access.standard, file_type)

    def _file_type(self, access: Access) -> str | None:
        """The EU file type: the service's, the file's extension's, the protocol's, or that of
        the record's format if it names only one."""
        if access.standard is not None:
            return self.vocabularies.normalise("file-type", access.standard.file_type) \
                if access.standard.file_type else None
        uri = self.vocabularies.normalise("file-type", access.extension) \
            if access.extension else protocol_file_type(access.link.protocol)
        if uri is None and len(self.record.formats) == 1:
            uri = self.vocabularies.normalise("file-type", self.record.formats[0])
        return uri

    def _data_service(self, subject: URIRef, distribution: BNode, spec: _Distribution,
                      standard: Standard, file_type: str | None) -> None:
        access, owner = spec.access, spec.service or self.record
        publisher = _publisher(owner)
        if publisher is None:
            self.warnings.append(f"the {standard.name} at {access.endpoint} is not described as "
                                 "a dcat:DataService: its record names no organisation to "
                                 "publish it under")
            return
        node, g = BNode(), self.graph
        g.add((distribution, DCAT.accessService, node))
        g.add((node, RDF.type, DCAT.DataService))
        title = owner.title.text if spec.service or owner.is_service else (
            (spec.names or [None])[0]
            or f"{standard.name} {urlsplit(access.endpoint or access.url).hostname}")
        g.add((node, DCT.title, Literal(title, lang=owner.language)))
        g.add((node, DCAT.endpointURL, URIRef(access.endpoint or access.url)))
        if access.capabilities:
            g.add((node, DCAT.endpointDescription, URIRef(access.capabilities)))
        g.add((node, DCT.conformsTo, URIRef(standard.conforms_to)))
        if file_type:
            g.add((node, DCT["format"], URIRef(file_type)))
        g.add((node, DCT.publisher, self._agent(publisher)))
        g.add((node, DCAT.servesDataset, subject))
        if spec.service is not None:
            rights = read_rights(spec.service, self.vocabularies)
            if rights.licence:
                g.add((node, DCT.license, URIRef(rights.licence)))
            if rights.access_rights:
                g.add((node, DCT.accessRights, URIRef(rights.access_rights)))


def _publisher(record: IsoRecord) -> Party | None:
    """Who a data service is published under: the record's publisher, else its first party
    in the order of ``PUBLISHER_ROLES``, else the metadata contact."""
    ranked = sorted(record.parties, key=lambda p: PUBLISHER_ROLES.index(p.role)
                    if p.role in PUBLISHER_ROLES else len(PUBLISHER_ROLES))
    return next(iter(ranked), None) or next(iter(record.contacts), None)


def tag_text(keyword: str) -> str:
    """A keyword as CKAN accepts it as a tag: other characters become blanks, at most 100
    characters; "" if less than two remain."""
    text = " ".join(_NOT_IN_TAG.sub(" ", keyword).split())
    if len(text) > MAX_TAG_LENGTH:
        text = text[:MAX_TAG_LENGTH].rsplit(" ", 1)[0]
    return text if len(text) >= 2 else ""


def _moment_literal(moment: date | datetime) -> Literal:
    if isinstance(moment, datetime):
        return Literal(moment.isoformat(), datatype=XSD.dateTime)
    return Literal(moment.isoformat(), datatype=XSD.date)


def _temporal_literal(text: str) -> Literal | None:
    """A GML time position as xsd:date, xsd:dateTime, xsd:gYear or xsd:gYearMonth."""
    if _GYEAR.match(text):
        return Literal(text, datatype=XSD.gYear)
    if _GYEAR_MONTH.match(text):
        return Literal(text, datatype=XSD.gYearMonth)
    moment = parse_moment(text)
    return _moment_literal(moment) if moment is not None else None


def _number(value: float) -> str:
    """A coordinate with at most six decimals (about 0.1 m), without trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _mailto(email: str) -> URIRef:
    return URIRef("mailto:" + quote(email.removeprefix("mailto:").strip(), safe="@.+-_!$&'*=~"))


def _telephone(phone: str) -> str | None:
    """``(+49) 611 535-5526`` -> ``tel:+496115355526``; None without enough digits."""
    written = phone.strip().lstrip("(")
    digits = re.sub(r"\D", "", written)
    if written.startswith("00"):
        digits = digits[2:]
    if len(digits) < 4:
        return None
    return f"tel:{'+' if written.startswith(('+', '00')) else ''}{digits}"
