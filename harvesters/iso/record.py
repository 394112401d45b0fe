"""One ISO 19139 metadata record (``gmd:MD_Metadata``, ``gmi:MI_Metadata``) as a plain model.

``read_record`` reads the element once, with the precompiled paths of ``paths.py``, into an
``IsoRecord``: what the DCAT-AP.de mapping (``dcat.py``) and the dataset-service coupling
(``coupling.py``) need, close to the XML and not yet interpreted (licences, themes and
access rights are decided by the mapping). What makes a record unusable raises
``RecordRefused`` naming the record; what is merely odd (an unparseable ``dateStamp``) is a
warning on the record, which is read anyway.

ISO 19115-3 (``mdb:MD_Metadata``) is recognised and refused with the remedy: the CSW
``outputSchema`` of ISO 19139.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lxml import etree

from harvesters.iso.paths import (
    BBOX,
    CITATION_DATE,
    DATA_IDENTIFICATION,
    HREF,
    IDENTIFICATION,
    IDENTIFIER,
    ISO_19139_OUTPUT_SCHEMA,
    KEYWORDS,
    LEGAL,
    LINK,
    LOCALE,
    MDB_IDENTIFIER,
    MDB_NAMESPACES,
    METADATA,
    PARTY,
    ROOTS,
    SERVICE_IDENTIFICATION,
    TIME,
    TIME_INSTANTS,
)
from harvesters.iso.text import Text, clean, first_text, language_tag, plain, read_text
from harvesters.xml import parse_xml

Moment = date | datetime  # a gco:Date is a date, a gco:DateTime a datetime
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")  # gco:Date also allows gYear, gYearMonth
_ZONED_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})$")
SERVICE_LEVELS = frozenset({"service"})


class RecordRefused(ValueError):
    """The element is no ISO 19139 record we can publish; the message says which and why."""

    def __init__(self, message: str, identifier: str | None = None) -> None:
        super().__init__(message)
        self.identifier = identifier


@dataclass(frozen=True)
class Party:
    """A ``gmd:CI_ResponsibleParty``: who, in which role, how to reach them."""

    role: str | None
    organisation: Text | None
    individual: str
    position: str
    email: str
    phone: str
    url: str

    @property
    def name(self) -> str:
        """The organisation, else the person, else the position."""
        return (self.organisation.text if self.organisation else "") or self.individual \
            or self.position


@dataclass(frozen=True)
class Keyword:
    """One ``gmd:keyword`` with its group's type and thesaurus title (and the thesaurus'
    Anchor href, if any)."""

    text: Text
    type: str | None
    thesaurus: str
    thesaurus_href: str | None


@dataclass(frozen=True)
class Constraint:
    """A text of the resource constraints: an ``otherConstraints`` or ``useLimitation`` of
    a ``MD_LegalConstraints`` (with its access and use restriction codes) or of a plain
    ``MD_Constraints`` (``legal`` False)."""

    text: Text
    access_codes: tuple[str, ...]
    use_codes: tuple[str, ...]
    legal: bool
    line: int | None


@dataclass(frozen=True)
class Link:
    """A ``gmd:CI_OnlineResource`` of the distribution info, or a service's connect point
    (``operation`` names its operation)."""

    url: str
    protocol: str
    name: str
    description: str
    function: str | None
    operation: str | None = None


@dataclass(frozen=True)
class BoundingBox:
    west: float
    east: float
    south: float
    north: float


@dataclass(frozen=True)
class Period:
    """A temporal extent as written (``gml:beginPosition`` …); an instant has start == end."""

    start: str | None
    end: str | None


@dataclass(frozen=True, eq=False)
class IsoRecord:
    """What the mapping and the coupling need of one ISO 19139 record.

    ``identifier`` is the fileIdentifier; ``resource_ids`` are what a service's operatesOn
    may name for it (the fileIdentifier, the citation identifier codes — with their code
    space — and the identification's ``@uuid``). ``kind`` is "service" for a service record
    and "dataset" for everything else (series, nonGeographicDataset, …, and records that
    describe a dataset together with the service that serves it). ``stamp`` is the
    dateStamp as written (a date or a datetime); ``date_stamp`` the same moment in UTC.
    Records compare by identity: ``couple`` keys on them.
    """

    identifier: str
    stamp: Moment | None
    kind: str
    hierarchy_level: str | None
    resource_ids: frozenset[str]
    operates_on: tuple[str, ...]
    warnings: tuple[str, ...]
    root: str  # gmd:MD_Metadata or gmi:MI_Metadata
    line: int | None
    language: str | None  # BCP 47 tag of the record's own language
    languages: tuple[str, ...]  # language codes of the resource, as written
    title: Text
    abstract: Text
    identifier_codes: tuple[str, ...]
    created: Moment | None
    published: Moment | None
    revised: Moment | None
    parties: tuple[Party, ...]  # of the identification (points of contact, cited parties)
    contacts: tuple[Party, ...]  # of the metadata (gmd:contact)
    keywords: tuple[Keyword, ...]
    constraints: tuple[Constraint, ...]
    classifications: tuple[str, ...]
    frequency: str | None
    bboxes: tuple[BoundingBox, ...]
    periods: tuple[Period, ...]
    links: tuple[Link, ...]
    formats: tuple[str, ...]
    lineage: Text | None
    service_type: str | None
    service_versions: tuple[str, ...]

    @property
    def date_stamp(self) -> datetime | None:
        """The dateStamp in UTC (a date at midnight; a time without zone taken as UTC)."""
        return utc(self.stamp) if self.stamp is not None else None

    @property
    def is_service(self) -> bool:
        return self.kind == "service"


def utc(moment: Moment) -> datetime:
    """A date (at midnight) or a datetime (without zone: taken as UTC) in UTC."""
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_moment(value: str) -> Moment | None:
    """An ``xs:date`` or ``xs:dateTime`` lexical form as a date or datetime (a ``gYear`` or
    ``gYearMonth``, which ``gco:Date`` allows too, as its first day); None otherwise."""
    text = value.strip()
    zoned = _ZONED_DATE.match(text)
    partial = _YEAR_MONTH.match(text)
    try:
        if _DATE.match(text):
            return date.fromisoformat(text)
        if partial:  # a gYear or gYearMonth: its first day
            return date(int(partial.group(1)), int(partial.group(2) or 1), 1)
        if zoned:  # "2021-01-05Z": the day is what matters
            return date.fromisoformat(zoned.group(1))
        if "T" in text:
            return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return None


def read_document(data: bytes, what: str = "record") -> IsoRecord:
    """Parses one ISO 19139 document (hardened, ``harvesters.xml``) and reads its root.

    Not well-formed XML, a DOCTYPE or an entity raise ``harvesters.xml.XMLRefused`` naming the
    line; the rest as ``read_record``.
    """
    return read_record(parse_xml(data, what))


def read_record(root: etree._Element) -> IsoRecord:
    """The record ``root`` (``gmd:MD_Metadata`` or ``gmi:MI_Metadata``) describes.

    Raises ``RecordRefused`` for ISO 19115-3, other roots, and records without
    fileIdentifier, identification, title or abstract.
    """
    return _Reader(root).read()


class _Reader:
    """Reads one record; collects warnings as it goes."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.warnings: list[str] = []
        self.identifier: str | None = None

    def refuse(self, message: str) -> RecordRefused:
        line = f" (line {self.root.sourceline})" if self.root.sourceline else ""
        who = f"record {self.identifier}{line}" if self.identifier else f"record{line}"
        return RecordRefused(f"{who}: {message}", self.identifier)

    def read(self) -> IsoRecord:
        root = self.root
        root_name = self._root_name()
        self.language = language_tag(next(filter(None, map(clean, METADATA["language"](root))),
                                          None))
        self.locales: Mapping[str, str] = {
            locale.get("id", ""): tag for locale in METADATA["locales"](root)
            for tag in [language_tag(next(iter(LOCALE["language"](locale)), None))] if tag}
        language, locales = self.language, self.locales
        self.identifier = plain(METADATA["file_identifier"](root)) or None
        if not self.identifier:
            raise self.refuse("no gmd:fileIdentifier; a record without identifier cannot be "
                              "kept apart from the others")
        levels = list(filter(None, map(clean, METADATA["hierarchy_levels"](root))))
        identification, service, is_service = self._identification(levels)
        title = first_text(IDENTIFICATION["title"](identification), language, locales)
        if title is None:
            raise self.refuse("no title (gmd:identificationInfo/*/gmd:citation/gmd:CI_Citation"
                              "/gmd:title); DCAT-AP.de requires dct:title")
        abstract = first_text(IDENTIFICATION["abstract"](identification), language, locales)
        if abstract is None:
            raise self.refuse("no abstract (gmd:identificationInfo/*/gmd:abstract); DCAT-AP.de "
                              "requires dct:description")
        created, published, revised = self._citation_dates(identification)
        codes = self._identifier_codes(identification)
        uuid = clean(identification.get("uuid"))
        service_part = service if service is not None else identification
        # Reading the parts adds warnings: the record is made when all are read.
        fields = dict(
            identifier=self.identifier,
            stamp=self._date_stamp(),
            kind="service" if is_service else "dataset",
            hierarchy_level=levels[0] if levels else None,
            resource_ids=frozenset(filter(None, {self.identifier, uuid, *codes})),
            operates_on=self._operates_on(service_part) if is_service else (),
            root=root_name,
            line=root.sourceline,
            language=language,
            languages=tuple(dict.fromkeys(filter(None, map(
                clean, IDENTIFICATION["languages"](identification))))),
            title=title,
            abstract=abstract,
            identifier_codes=codes,
            created=created, published=published, revised=revised,
            parties=self._parties(IDENTIFICATION["points_of_contact"](identification)
                                  + IDENTIFICATION["cited_parties"](identification)),
            contacts=self._parties(METADATA["contacts"](root)),
            keywords=self._keywords(identification),
            constraints=self._constraints(identification),
            classifications=tuple(filter(None, map(
                clean, IDENTIFICATION["classifications"](identification)))),
            frequency=next(filter(None, map(clean, IDENTIFICATION["frequency"](identification))),
                           None),
            bboxes=self._bboxes(identification),
            periods=self._periods(identification),
            links=self._links(METADATA["links"](root)
                              + IDENTIFICATION["connect_points"](service_part)),
            formats=tuple(dict.fromkeys(filter(None, (plain([e])
                                                      for e in METADATA["formats"](root))))),
            lineage=first_text(METADATA["lineage"](root), language, locales),
            service_type=next(filter(None, map(
                clean, IDENTIFICATION["service_type"](service_part))), None),
            service_versions=tuple(filter(None, map(
                clean, IDENTIFICATION["service_type_versions"](service_part)))),
        )
        return IsoRecord(**fields, warnings=tuple(self.warnings))

    # -- parts -----------------------------------------------------------------------------

    def _identification(self, levels: list[str]) -> tuple[etree._Element, etree._Element | None,
                                                           bool]:
        """The identification element to read, the service identification (if any), and
        whether the record is a service record.

        A record with an ``MD_DataIdentification`` describes a dataset, even when it also
        describes the service serving it (THREDDS/ncISO records); a record with only a
        ``SV_ServiceIdentification`` (or hierarchyLevel service) describes a service.
        """
        identifications = METADATA["identifications"](self.root)
        if not identifications:
            raise self.refuse("no gmd:identificationInfo (nothing describes the resource)")
        data = next((i for i in identifications if i.tag == DATA_IDENTIFICATION), None)
        service = next((i for i in identifications
                        if etree.QName(i).localname == SERVICE_IDENTIFICATION), None)
        is_service = data is None and (service is not None or bool(SERVICE_LEVELS & set(levels)))
        chosen = service if is_service else data
        return (identifications[0] if chosen is None else chosen), service, is_service

    def _root_name(self) -> str:
        tag = self.root.tag if isinstance(self.root.tag, str) else ""
        if tag in ROOTS:
            return ROOTS[tag]
        qname = etree.QName(tag) if tag else None
        if qname is not None and qname.namespace in MDB_NAMESPACES:
            self.identifier = next(iter(MDB_IDENTIFIER(self.root)), "").strip() or None
            raise self.refuse(
                "ISO 19115-3 (mdb:MD_Metadata) is not supported; ask the catalog for ISO 19139 "
                f"(CSW outputSchema {ISO_19139_OUTPUT_SCHEMA})")
        raise self.refuse(f"not an ISO 19139 record: the element is {tag or 'no element'}, "
                          "expected gmd:MD_Metadata or gmi:MI_Metadata")

    def _date_stamp(self) -> Moment | None:
        elements = METADATA["date_stamp"](self.root)
        if not elements:
            self.warnings.append("no gmd:dateStamp; dct:modified falls back to the citation's "
                                 "revision date, and the record is compared by content only")
            return None
        text = clean(elements[0].text)
        moment = parse_moment(text)
        if moment is None:
            self.warnings.append(f"gmd:dateStamp {text!r} (line {elements[0].sourceline}) is "
                                 "not a date or date-time; ignored")
        return moment

    def _citation_dates(self, identification: etree._Element
                        ) -> tuple[Moment | None, Moment | None, Moment | None]:
        """The newest creation, publication and revision date of the citation."""
        found: dict[str, list[Moment]] = {}
        for node in IDENTIFICATION["dates"](identification):
            values = CITATION_DATE["value"](node)
            kinds = [clean(k) for k in CITATION_DATE["type"](node) if clean(k)]
            if not values or not kinds:
                continue
            moment = parse_moment(clean(values[0].text))
            if moment is None:
                self.warnings.append(f"citation date {clean(values[0].text)!r} (line "
                                     f"{values[0].sourceline}) is not a date; ignored")
                continue
            found.setdefault(kinds[0], []).append(moment)
        newest = {kind: max(moments, key=utc) for kind, moments in found.items()}
        return newest.get("creation"), newest.get("publication"), newest.get("revision")

    def _identifier_codes(self, identification: etree._Element) -> tuple[str, ...]:
        """Citation identifier codes; a code with a code space also as code space + code."""
        codes: list[str] = []
        for element in IDENTIFICATION["identifier_codes"](identification):
            text = read_text(element, None, {})
            if text is None:
                continue
            code = text.text
            space = clean(next(iter(IDENTIFIER["code_space"](element)), ""))
            if space and not code.startswith(space) and space[-1:] in "/#:":
                codes.append(space + code)
            codes.append(code)
            if text.href and text.href.startswith(("http://", "https://")):
                codes.append(text.href)
        return tuple(dict.fromkeys(codes))

    def _operates_on(self, identification: etree._Element) -> tuple[str, ...]:
        """What ``srv:operatesOn`` (``@uuidref``, ``@xlink:href``) and
        ``srv:coupledResource`` name, as written; references into the record itself
        (``#DataIdentification``) are left out."""
        references: list[str] = []
        for element in IDENTIFICATION["operates_on"](identification):
            for value in (element.get("uuidref"), element.get(HREF)):
                value = clean(value)
                if value and not value.startswith("#"):
                    references.append(value)
        references += filter(None, map(clean, IDENTIFICATION["coupled_resources"](identification)))
        return tuple(dict.fromkeys(references))

    def _parties(self, elements: list[etree._Element]) -> tuple[Party, ...]:
        parties = []
        for element in elements:
            role = next(filter(None, map(clean, PARTY["role"](element))), None)
            party = Party(
                role=role,
                organisation=first_text(PARTY["organisation"](element), self.language,
                                        self.locales),
                individual=plain(PARTY["individual"](element)),
                position=plain(PARTY["position"](element)),
                email=plain(PARTY["email"](element)),
                phone=plain(PARTY["phone"](element)),
                url=next(filter(None, map(clean, PARTY["url"](element))), ""))
            if party.name:
                parties.append(party)
        return tuple(parties)

    def _keywords(self, identification: etree._Element) -> tuple[Keyword, ...]:
        keywords = []
        for group in IDENTIFICATION["keyword_groups"](identification):
            kind = next(filter(None, map(clean, KEYWORDS["type"](group))), None)
            thesaurus = first_text(KEYWORDS["thesaurus"](group), None, {})
            for element in KEYWORDS["keywords"](group):
                text = read_text(element, self.language, self.locales)
                if text is not None:
                    keywords.append(Keyword(text, kind, thesaurus.text if thesaurus else "",
                                            thesaurus.href if thesaurus else None))
        return tuple(keywords)

    def _constraints(self, identification: etree._Element) -> tuple[Constraint, ...]:
        constraints = []
        for legal in IDENTIFICATION["legal_constraints"](identification):
            access = tuple(filter(None, map(clean, LEGAL["access_codes"](legal))))
            use = tuple(filter(None, map(clean, LEGAL["use_codes"](legal))))
            for element in LEGAL["other"](legal) + LEGAL["use_limitations"](legal):
                text = read_text(element, self.language, self.locales)
                if text is not None:
                    constraints.append(Constraint(text, access, use, True, element.sourceline))
            if not LEGAL["other"](legal) and access:
                # An access restriction code alone ("restricted") still says something.
                constraints.append(Constraint(Text(""), access, use, True, legal.sourceline))
        for element in IDENTIFICATION["use_limitations"](identification):
            text = read_text(element, self.language, self.locales)
            if text is not None:
                constraints.append(Constraint(text, (), (), False, element.sourceline))
        return tuple(constraints)

    def _bboxes(self, identification: etree._Element) -> tuple[BoundingBox, ...]:
        boxes = []
        for element in IDENTIFICATION["bboxes"](identification):
            try:
                west, east, south, north = (float(clean(next(iter(BBOX[side](element)), "")))
                                            for side in ("west", "east", "south", "north"))
            except ValueError:
                self.warnings.append(f"gmd:EX_GeographicBoundingBox (line {element.sourceline}) "
                                     "lacks a coordinate or has one that is not a number; "
                                     "ignored")
                continue
            if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
                self.warnings.append(
                    f"gmd:EX_GeographicBoundingBox (line {element.sourceline}) is outside WGS 84 "
                    f"or inverted (west {west}, east {east}, south {south}, north {north}); "
                    "ignored")
                continue
            boxes.append(BoundingBox(west, east, south, north))
        return tuple(dict.fromkeys(boxes))

    def _periods(self, identification: etree._Element) -> tuple[Period, ...]:
        periods = []
        for element in IDENTIFICATION["temporal_extents"](identification):
            if element.tag in TIME_INSTANTS:
                instant = clean(next((e.text for e in TIME["instant"](element)), None))
                start = end = instant or None
            else:
                start = clean(next((e.text for e in TIME["begin"](element)), None)) or None
                end = clean(next((e.text for e in TIME["end"](element)), None)) or None
            if start or end:
                periods.append(Period(start, end))
        return tuple(dict.fromkeys(periods))

    def _links(self, elements: list[etree._Element]) -> tuple[Link, ...]:
        links = []
        for element in elements:
            url = clean(next(iter(LINK["url"](element)), ""))
            if not url:
                continue
            links.append(Link(
                url=url,
                protocol=plain(LINK["protocol"](element)),
                name=plain(LINK["name"](element), self.language, self.locales),
                description=plain(LINK["description"](element), self.language, self.locales),
                function=next(filter(None, map(clean, LINK["function"](element))), None),
                operation=next(filter(None, map(clean, LINK["operation"](element))), None)))
        return tuple(dict.fromkeys(links))
