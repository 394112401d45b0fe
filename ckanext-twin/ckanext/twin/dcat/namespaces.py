"""Every RDF namespace the DCAT-AP.de profile uses, in one place.

The DCAT, DCT, FOAF, VCARD, … namespaces are ckanext-dcat's own objects, so triples made
here and there compare equal; DCAT-AP.de and GeoDCAT-AP are added.
"""
from __future__ import annotations

from ckanext.dcat.profiles.base import (ADMS, DCAT, DCATAP, DCT, FOAF, GSP, LOCN,  # noqa: F401
                                        OWL, SCHEMA, VCARD)
from rdflib import Namespace
from rdflib.namespace import RDF, SKOS  # noqa: F401

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
GEODCATAP = Namespace("http://data.europa.eu/930/")
PROV = Namespace("http://www.w3.org/ns/prov#")

CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
LICENSES = "http://dcat-ap.de/def/licenses/"
PLANNED_AVAILABILITY_DE = "http://dcat-ap.de/def/plannedAvailability/"
PLANNED_AVAILABILITY_EU = "http://publications.europa.eu/resource/authority/planned-availability/"

PREFIXES = {"dcatde": DCATDE, "geodcatap": GEODCATAP, "dcatap": DCATAP, "prov": PROV}
