"""Every XML name and path the ISO 19139 reader uses, in one table (as owslib and pycsw keep them).

A record is read with one pass of precompiled ``etree.XPath`` objects (compiled once, at
import), each relative to the element named in its group: the metadata root, the chosen
identification element, a responsible party, an online resource, a keyword group, a legal
constraint, a temporal extent. Text-bearing elements (``gco:CharacterString``,
``gmx:Anchor``, ``gmd:PT_FreeText``) are told apart by their Clark names, listed here too.
"""
from __future__ import annotations

from lxml import etree

NAMESPACES = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml",  # GML 3.1 (ISO 19139:2007)
    "gml32": "http://www.opengis.net/gml/3.2",  # GML 3.2 (INSPIRE TG 2.0, GeoNetwork)
    "xlink": "http://www.w3.org/1999/xlink",
}
# ISO 19115-3 (mdb:MD_Metadata, 2.0 and the 1.0 draft): recognised to be refused clearly.
MDB_NAMESPACES = ("http://standards.iso.org/iso/19115/-3/mdb/2.0",
                  "http://standards.iso.org/iso/19115/-3/mdb/1.0")
ISO_19139_OUTPUT_SCHEMA = NAMESPACES["gmd"]


def clark(prefixed: str) -> str:
    """``gmd:title`` -> ``{http://www.isotc211.org/2005/gmd}title``."""
    prefix, local = prefixed.split(":")
    return f"{{{NAMESPACES[prefix]}}}{local}"


# -- element and attribute names -----------------------------------------------------------

ROOTS = {clark("gmd:MD_Metadata"): "gmd:MD_Metadata", clark("gmi:MI_Metadata"): "gmi:MI_Metadata"}
CHARACTER_STRING = clark("gco:CharacterString")
ANCHOR = clark("gmx:Anchor")
FREE_TEXT = clark("gmd:PT_FreeText")
LOCALISED_STRING = clark("gmd:LocalisedCharacterString")
URL = clark("gmd:URL")
HREF = f"{{{NAMESPACES['xlink']}}}href"
SERVICE_IDENTIFICATION = "SV_ServiceIdentification"  # local name: srv: (right) or gmd: (seen)
DATA_IDENTIFICATION = clark("gmd:MD_DataIdentification")
TIME_INSTANTS = {clark("gml:TimeInstant"), clark("gml32:TimeInstant")}
# The identifier of an ISO 19115-3 record, whichever version of its namespaces.
MDB_IDENTIFIER = etree.XPath("*[local-name()='metadataIdentifier']/*/*[local-name()='code']/*"
                             "/text()")


def _paths(**paths: str) -> dict[str, etree.XPath]:
    return {name: etree.XPath(path, namespaces=NAMESPACES) for name, path in paths.items()}


# -- relative to the metadata root (gmd:MD_Metadata / gmi:MI_Metadata) -------------------------

METADATA = _paths(
    file_identifier="gmd:fileIdentifier",
    language="gmd:language/gmd:LanguageCode/@codeListValue"
             " | gmd:language/gco:CharacterString/text()",
    hierarchy_levels="gmd:hierarchyLevel/gmd:MD_ScopeCode/@codeListValue",
    date_stamp="gmd:dateStamp/gco:Date | gmd:dateStamp/gco:DateTime",
    locales="gmd:locale/gmd:PT_Locale",
    contacts="gmd:contact/gmd:CI_ResponsibleParty",
    identifications="gmd:identificationInfo/*",
    links="gmd:distributionInfo//gmd:onLine/gmd:CI_OnlineResource",
    formats="gmd:distributionInfo//gmd:MD_Format/gmd:name",
    lineage="gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:statement",
)
LOCALE = _paths(language="gmd:languageCode/gmd:LanguageCode/@codeListValue")

# -- relative to the identification element (MD_DataIdentification, SV_ServiceIdentification)

IDENTIFICATION = _paths(
    title="gmd:citation/gmd:CI_Citation/gmd:title",
    dates="gmd:citation/gmd:CI_Citation/gmd:date/gmd:CI_Date",
    identifier_codes="gmd:citation/gmd:CI_Citation/gmd:identifier/*/gmd:code",
    abstract="gmd:abstract",
    points_of_contact="gmd:pointOfContact/gmd:CI_ResponsibleParty",
    cited_parties="gmd:citation/gmd:CI_Citation/gmd:citedResponsibleParty"
                  "/gmd:CI_ResponsibleParty",
    keyword_groups="gmd:descriptiveKeywords/gmd:MD_Keywords",
    legal_constraints="gmd:resourceConstraints/gmd:MD_LegalConstraints",
    use_limitations="gmd:resourceConstraints/gmd:MD_Constraints/gmd:useLimitation",
    classifications="gmd:resourceConstraints/gmd:MD_SecurityConstraints/gmd:classification"
                    "/gmd:MD_ClassificationCode/@codeListValue",
    languages="gmd:language/gmd:LanguageCode/@codeListValue"
              " | gmd:language/gco:CharacterString/text()",
    frequency="gmd:resourceMaintenance/gmd:MD_MaintenanceInformation"
              "/gmd:maintenanceAndUpdateFrequency/gmd:MD_MaintenanceFrequencyCode/@codeListValue",
    bboxes="gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox"
           " | srv:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox",
    temporal_extents="gmd:extent/gmd:EX_Extent/gmd:temporalElement/*/gmd:extent/*"
                     " | srv:extent/gmd:EX_Extent/gmd:temporalElement/*/gmd:extent/*",
    service_type="srv:serviceType/gco:LocalName/text() | srv:serviceType/gco:ScopedName/text()",
    service_type_versions="srv:serviceTypeVersion/gco:CharacterString/text()",
    operates_on="srv:operatesOn",
    coupled_resources="srv:coupledResource/srv:SV_CoupledResource/srv:identifier"
                      "/gco:CharacterString/text()",
    connect_points="srv:containsOperations/srv:SV_OperationMetadata/srv:connectPoint"
                   "/gmd:CI_OnlineResource",
)
CITATION_DATE = _paths(
    value="gmd:date/gco:Date | gmd:date/gco:DateTime",
    type="gmd:dateType/gmd:CI_DateTypeCode/@codeListValue"
         " | gmd:dateType/gmd:CI_DateTypeCode/text()",
)
IDENTIFIER = _paths(code_space="../gmd:codeSpace/gco:CharacterString/text()")
BBOX = _paths(
    west="gmd:westBoundLongitude/gco:Decimal/text()",
    east="gmd:eastBoundLongitude/gco:Decimal/text()",
    south="gmd:southBoundLatitude/gco:Decimal/text()",
    north="gmd:northBoundLatitude/gco:Decimal/text()",
)
TIME = _paths(  # relative to a gml:TimePeriod or gml:TimeInstant (GML 3.1 or 3.2)
    begin="gml:beginPosition | gml32:beginPosition"
          " | gml:begin/gml:TimeInstant/gml:timePosition"
          " | gml32:begin/gml32:TimeInstant/gml32:timePosition",
    end="gml:endPosition | gml32:endPosition"
        " | gml:end/gml:TimeInstant/gml:timePosition"
        " | gml32:end/gml32:TimeInstant/gml32:timePosition",
    instant="gml:timePosition | gml32:timePosition",
)
KEYWORDS = _paths(
    keywords="gmd:keyword",
    type="gmd:type/gmd:MD_KeywordTypeCode/@codeListValue",
    thesaurus="gmd:thesaurusName/gmd:CI_Citation/gmd:title",
)
LEGAL = _paths(
    access_codes="gmd:accessConstraints/gmd:MD_RestrictionCode/@codeListValue",
    use_codes="gmd:useConstraints/gmd:MD_RestrictionCode/@codeListValue",
    other="gmd:otherConstraints",
    use_limitations="gmd:useLimitation",
)

# -- relative to a gmd:CI_ResponsibleParty ----------------------------------------------------

PARTY = _paths(
    organisation="gmd:organisationName",
    individual="gmd:individualName",
    position="gmd:positionName",
    role="gmd:role/gmd:CI_RoleCode/@codeListValue",
    email="gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress",
    phone="gmd:contactInfo/gmd:CI_Contact/gmd:phone/gmd:CI_Telephone/gmd:voice",
    url="gmd:contactInfo/gmd:CI_Contact/gmd:onlineResource/gmd:CI_OnlineResource"
        "/gmd:linkage/gmd:URL/text()",
)

# -- relative to a gmd:CI_OnlineResource ------------------------------------------------------

LINK = _paths(
    url="gmd:linkage/gmd:URL/text()",
    protocol="gmd:protocol",
    name="gmd:name",
    description="gmd:description",
    function="gmd:function/gmd:CI_OnLineFunctionCode/@codeListValue",
    operation="../../srv:operationName/gco:CharacterString/text()",
)
