"""What an online resource of an ISO record is: a data service, a download, or a web page.

ISO 19139 says little about a link: a URL, maybe a protocol (``OGC:WMS``, ``OGC:WMS-1.3.0-
http-get-capabilities``, ``WWW:DOWNLOAD-1.0-http--download``, ``INSPIRE Atom``, free text), a
function code (download, information, …), a name. Partners fill these in very unevenly, so
a link is recognised from all of them, in this order:

1. an OGC service (WMS, WFS, WMTS, WCS, CSW), OGC API or ATOM feed — from the protocol, the
   URL's ``service=`` parameter or path (``/wms``, ``wms_gn250``, ``wms.php``), for ATOM
   also the name — becomes a distribution with a ``dcat:DataService``;
2. function download/offlineAccess/order, a URL naming a file (``.csv``, ``.zip``) or a
   protocol naming a file type (``GLG:KML-2.0-http-get-map``) becomes a distribution (with
   ``dcat:downloadURL`` when the URL names a file);
3. function information/search, or a ``WWW:LINK`` protocol, becomes a web page
   (``foaf:page``);
4. anything else in the distribution info is a way to the data: a distribution.

Only ``http(s)`` URLs with a plain host name are kept, as CKAN's URL validator wants them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from harvesters.iso.record import IsoRecord, Link
from harvesters.vocabularies import default_vocabularies


class Kind(Enum):
    SERVICE = "service"
    DOWNLOAD = "download"
    PAGE = "page"


@dataclass(frozen=True)
class Standard:
    """A kind of data service: how it is recognised and what DCAT-AP.de says about it."""

    name: str
    file_type: str | None  # notation in the EU file-type table
    conforms_to: str  # dct:conformsTo of the dcat:DataService
    ogc_service: str | None  # SERVICE= of a GetCapabilities request
    protocol: re.Pattern[str]


STANDARDS = (
    Standard("WMTS", "WMTS_SRVC", "http://www.opengis.net/def/serviceType/ogc/wmts", "WMTS",
             re.compile(r"wmts|web map tile service", re.I)),
    Standard("WMS", "WMS_SRVC", "http://www.opengis.net/def/serviceType/ogc/wms", "WMS",
             re.compile(r"(?<![a-z])wms(?![a-z])|web map service", re.I)),
    Standard("WFS", "WFS_SRVC", "http://www.opengis.net/def/serviceType/ogc/wfs", "WFS",
             re.compile(r"(?<![a-z])wfs(?![a-z])|web feature service", re.I)),
    Standard("WCS", "WCS_SRVC", "http://www.opengis.net/def/serviceType/ogc/wcs", "WCS",
             re.compile(r"(?<![a-z])wcs(?![a-z])|web coverage service", re.I)),
    Standard("CSW", None, "http://www.opengis.net/def/serviceType/ogc/csw", "CSW",
             re.compile(r"(?<![a-z])csw(?![a-z])|catalog(ue)? service", re.I)),
    Standard("OGC API", None, "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core", None,
             re.compile(r"ogc\s*:?\s*api|ogcapi", re.I)),
    Standard("ATOM", "ATOM", "https://www.rfc-editor.org/rfc/rfc4287", None,
             re.compile(r"(?<![a-z])atom(?![a-z])", re.I)),
)
BY_NAME = {standard.name: standard for standard in STANDARDS}
# A path segment (or part of one, between non-letters) naming an OGC service.
_PATH_SERVICE = re.compile(r"(?<![a-z0-9])(wmts|wms|wfs|wcs|csw)(?![a-z0-9])")
_OGC_API_PATH = re.compile(r"/(collections|ogcapi)(/|$)")
_ATOM_PATH = re.compile(r"\.atom$|/atom(/|\.xml$|$)|/feeds?/")
_ATOM_NAME = re.compile(r"(?<![a-z])atom(?![a-z])", re.I)
_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]+")
# KVP parameters of an OGC request (not of the endpoint): dropped from the endpoint URL.
OGC_REQUEST_PARAMETERS = frozenset({
    "service", "request", "version", "acceptversions", "sections", "updatesequence",
    "typename", "typenames", "outputformat", "count", "maxfeatures", "startindex", "sortby",
    "resulttype", "propertyname", "filter", "featureid", "srsname", "layers", "styles", "bbox",
    "crs", "srs", "width", "height", "format", "transparent", "bgcolor", "exceptions",
    "query_layers", "info_format", "i", "j", "x", "y", "time", "elevation", "tilematrixset",
    "tilematrix", "tilerow", "tilecol", "coverageid", "subset", "resultformat",
    "elementsetname", "outputschema", "language"})
DOWNLOAD_FUNCTIONS = frozenset({"download", "offlineAccess", "order"})
PAGE_FUNCTIONS = frozenset({"information", "search", "browsing", "browseGraphic"})
# File extensions that name a web page or a script, not a file of data.
PAGE_EXTENSIONS = frozenset({"html", "htm", "php", "asp", "aspx", "jsp", "cgi", "do", "cfm"})
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_UNSAFE = re.compile(r"[\s<>\"{}|\\^`]")
# ISO 19119 service types (INSPIRE SpatialDataServiceType) and the standard they imply.
SERVICE_TYPE_DEFAULTS = {"view": "WMS", "download": "ATOM", "discovery": "CSW"}


@dataclass(frozen=True)
class Access:
    """A link as the mapping uses it: what it is, its URL, and for a service its standard,
    endpoint (without the parameters of one request) and capabilities document."""

    kind: Kind
    url: str
    link: Link
    standard: Standard | None = None
    endpoint: str | None = None
    capabilities: str | None = None
    extension: str | None = None  # a file's extension, lower case ("csv")


def web_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL CKAN accepts (characters an IRI may not hold
    percent-encoded); None otherwise (relative paths, s3://, ``http://...``)."""
    url = _UNSAFE.sub(lambda m: quote(m.group()), url.strip())
    try:
        parts = urlsplit(url)
        if parts.port is not None and not 0 < parts.port < 65536:
            return None
    except ValueError:  # a port that is no number
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or parts.username or not _HOST.match(host) \
            or ("." not in host and host != "localhost"):
        return None
    return url


def endpoint_key(url: str) -> str:
    """How two links to one service compare: host and path, case and http(s) ignored,
    without the parameters of an OGC request."""
    parts = urlsplit(url.strip())
    query = sorted((k.lower(), v) for k, v in parse_qsl(parts.query)
                   if k.lower() not in OGC_REQUEST_PARAMETERS)
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}?{urlencode(query)}"


def service_hint(record: IsoRecord) -> Standard | None:
    """The standard a service record's own links follow, from ``srv:serviceTypeVersion``
    (``OGC:WFS 2.0``), ``srv:serviceType`` (``WMS``, ``view``, ``download``)."""
    for text in (*record.service_versions, record.service_type or ""):
        for standard in STANDARDS:
            if standard.protocol.search(text):
                return standard
    default = SERVICE_TYPE_DEFAULTS.get((record.service_type or "").lower())
    return BY_NAME[default] if default else None


def classify(link: Link, hint: Standard | None = None) -> Access | None:
    """What ``link`` is (see the module docstring); None if its URL is unusable.

    ``hint``: the standard of the service record the link belongs to, used for the
    record's own endpoints when the link itself says nothing.
    """
    url = web_url(link.url)
    if url is None:
        return None
    parts = urlsplit(url)
    path = parts.path.lower()
    extension = _extension(path)
    standard = _named_standard(link, parts.query)
    if standard is None and protocol_file_type(link.protocol) is None:
        # The address alone names a service only where the link is not a page about it.
        if link.function not in PAGE_FUNCTIONS or link.protocol:
            standard = _addressed_standard(link, path)
        if standard is None and hint is not None and not extension and (
                link.operation or link.function in (None, *DOWNLOAD_FUNCTIONS)):
            standard = hint
    if standard is not None:
        return _service_access(url, link, standard)
    if link.function in DOWNLOAD_FUNCTIONS or extension or protocol_file_type(link.protocol):
        return Access(Kind.DOWNLOAD, url, link, extension=extension)
    if link.function in PAGE_FUNCTIONS or link.protocol.upper().startswith("WWW:LINK"):
        return Access(Kind.PAGE, url, link)
    return Access(Kind.DOWNLOAD, url, link)


def protocol_file_type(protocol: str) -> str | None:
    """The EU file type a protocol names: as a whole (``image/png``, ``OGC:WMS``) or by one of
    its words (``GLG:KML-2.0-http-get-map``)."""
    if not protocol:
        return None
    vocabularies = default_vocabularies()
    for candidate in (protocol, *_WORDS.findall(protocol)):
        uri = vocabularies.normalise("file-type", candidate)
        if uri:
            return uri
    return None


def _named_standard(link: Link, query: str) -> Standard | None:
    """The service standard the protocol or the ``service=`` parameter names."""
    for standard in STANDARDS:
        if link.protocol and standard.protocol.search(link.protocol):
            return standard
    requested = {k.lower(): v for k, v in parse_qsl(query)}.get("service", "").upper()
    return BY_NAME.get(requested)


def _addressed_standard(link: Link, path: str) -> Standard | None:
    """The standard the URL's path names (``/wms``, ``wms_gn250``, ``/collections``) or, for
    ATOM, the path or the link's name ("Downloaddienst (ATOM-Feed)")."""
    match = None if path.endswith((".html", ".htm")) else _PATH_SERVICE.search(path)
    if match:
        return BY_NAME[match.group(1).upper()]
    if _OGC_API_PATH.search(path):
        return BY_NAME["OGC API"]
    if _ATOM_PATH.search(path) or _ATOM_NAME.search(f"{link.name} {link.description}"):
        return BY_NAME["ATOM"]
    return None


def _service_access(url: str, link: Link, standard: Standard) -> Access:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in OGC_REQUEST_PARAMETERS]
    endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))
    capabilities = None
    if standard.ogc_service:
        request = {k.lower(): v.lower() for k, v in parse_qsl(parts.query)}.get("request")
        capabilities = url if request == "getcapabilities" else (
            f"{endpoint}{'&' if kept else '?'}SERVICE={standard.ogc_service}"
            "&REQUEST=GetCapabilities")
    return Access(Kind.SERVICE, url, link, standard, endpoint, capabilities)


def _extension(path: str) -> str | None:
    """The extension of the last path segment, if it is a file type of the EU table."""
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    extension = name.rsplit(".", 1)[-1]
    if not extension.isalnum() or extension in PAGE_EXTENSIONS \
            or default_vocabularies().normalise("file-type", extension) is None:
        return None
    return extension
