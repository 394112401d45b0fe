"""The DCAT-AP.de properties the profile adds to ckanext-dcat's DCAT-AP 3, as one table.

Parsing and serializing both read this table, so they mirror each other by construction.
``SUCCESSORS`` lists the properties DCAT-AP.de 2.0 (or 3.0) deprecated and what replaces
them; the profile rewrites them before parsing, so 2.0 catalogs land in 3.0 fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rdflib import URIRef
from rdflib.term import Node

from ckanext.twin.dcat.namespaces import (DCAT, DCATAP, DCATDE, GEODCATAP, OWL,
                                          PLANNED_AVAILABILITY_DE, PLANNED_AVAILABILITY_EU,
                                          SCHEMA)

URI = "uri"
TEXT = "text"
AGENT = "agent"


@dataclass(frozen=True)
class Property:
    field: str  # CKAN field name (scheming)
    predicate: URIRef
    kind: str  # URI, TEXT or AGENT
    many: bool = False


DATASET_PROPERTIES = (
    Property("contributor_id", DCATDE.contributorID, URI, many=True),
    Property("political_geocoding_level_uri", DCATDE.politicalGeocodingLevelURI, URI),
    # Deprecated in 3.0 but still required by GovData's conventions (K08/K09).
    Property("political_geocoding_uri", DCATDE.politicalGeocodingURI, URI, many=True),
    Property("geocoding_description", DCATDE.geocodingDescription, TEXT),
    Property("legal_basis", DCATDE.legalBasis, TEXT),
    Property("quality_process_uri", DCATDE.qualityProcessURI, URI),
    Property("availability", DCATAP.availability, URI),
    Property("originator", GEODCATAP.originator, AGENT, many=True),
    Property("custodian", GEODCATAP.custodian, AGENT, many=True),
)

DISTRIBUTION_PROPERTIES = (
    Property("license_attribution_by_text", DCATDE.licenseAttributionByText, TEXT),
)


def _eu_planned_availability(value: Node) -> Node:
    """dcat-ap.de's ``plannedAvailability/stable`` is the EU table's ``.../STABLE``."""
    text = str(value)
    if isinstance(value, URIRef) and text.startswith(PLANNED_AVAILABILITY_DE):
        return URIRef(PLANNED_AVAILABILITY_EU + text[len(PLANNED_AVAILABILITY_DE):].upper())
    return value


@dataclass(frozen=True)
class Successor:
    old: URIRef
    new: URIRef
    translate: Callable[[Node], Node] | None = None


SUCCESSORS = (
    Successor(DCATDE.plannedAvailability, DCATAP.availability, _eu_planned_availability),
    Successor(DCATDE.originator, GEODCATAP.originator),
    Successor(DCATDE.maintainer, GEODCATAP.custodian),
    Successor(OWL.versionInfo, DCAT.version),
    Successor(SCHEMA.startDate, DCAT.startDate),
    Successor(SCHEMA.endDate, DCAT.endDate),
)
