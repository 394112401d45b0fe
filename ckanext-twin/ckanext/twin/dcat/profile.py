"""The ``dcatap_de`` ckanext-dcat profile: DCAT-AP.de 3.0 on top of DCAT-AP 3 (scheming).

ckanext-dcat's ``euro_dcat_ap_3`` handles everything DCAT-AP 3 defines; this profile adds
the DCAT-AP.de properties (``properties.py``), carries deprecated 2.0 properties forward
to their successors before parsing, and emits the encodings the official shapes accept
(licence on every distribution, IANA media type IRIs, the portal's contributorID appended
to the partner's, as GovData's chain rule K13 requires).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable

import shapely
import shapely.geometry
from geomet import wkt
from ckan.plugins import plugin_loaded
from ckan.plugins.toolkit import config
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile
from ckanext.dcat.utils import resource_uri
from ckanext.dcat.profiles.base import namespaces as dcat_namespaces
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD, NamespaceManager
from rdflib.term import Node

from harvesters.vocabularies import default_vocabularies

from ckanext.twin.dcat.namespaces import (ADMS, DCAT, DCATDE, DCT, FOAF, GSP, LOCN, PREFIXES,
                                          PROV, RDF, SKOS)
from ckanext.twin.dcat.properties import (AGENT, DATASET_PROPERTIES, DISTRIBUTION_PROPERTIES,
                                          SUCCESSORS, URI, Property)
from ckanext.twin.policy import provenance

ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
OWN_CONTRIBUTOR_OPTION = "ckanext.twin.contributor_id"
# A comma separates keywords ("Verkehr, Radwege") unless it is a decimal comma ("PM2,5").
KEYWORD_SEPARATOR = re.compile(r",(?!\d)|(?<!\d),")
DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")


def _shape(literal: Node) -> Any:
    """A shapely geometry from a WKT or GeoJSON literal, or None."""
    text = str(literal)
    try:
        return shapely.from_geojson(text) if text.lstrip().startswith("{") \
            else shapely.from_wkt(text)
    except (shapely.errors.ShapelyError, ValueError):
        return None


class DCATAPDEProfile(EuropeanDCATAP3Profile):
    """DCAT-AP.de 3.0 for Catalog, Dataset, Distribution, DataService and DatasetSeries."""

    def __init__(self, graph: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(graph, *args, **kwargs)
        if not getattr(graph, "_twin_prefixes", False):  # ckanext-dcat: a profile per dataset
            # rdflib's default manager binds ~30 prefixes of unrelated vocabularies (brick,
            # csvw, …); the Turtle writer tries them for every IRI. A manager with only the
            # core ones plus DCAT-AP's writes the same prefixes that are used, faster.
            graph.namespace_manager = NamespaceManager(graph, bind_namespaces="core")
            for prefix, namespace in {**dcat_namespaces, **PREFIXES}.items():
                graph.bind(prefix, namespace)
            graph._twin_prefixes = True

    # -- parsing ----------------------------------------------------------------------

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> dict[str, Any]:
        distributions = list(self._distributions(dataset_ref))
        for subject in [dataset_ref, *distributions]:
            self._carry_forward(subject)
        self._identifier_notations(dataset_ref)
        self._forget_service_publishers(dataset_ref, distributions)
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        self._read(dataset_dict, dataset_ref, DATASET_PROPERTIES)
        for resource, distribution in zip(dataset_dict.get("resources", []), distributions):
            self._read(resource, distribution, DISTRIBUTION_PROPERTIES)
            mimetype = resource.get("mimetype") or ""
            if mimetype.startswith(IANA_MEDIA_TYPES):
                resource["mimetype"] = mimetype[len(IANA_MEDIA_TYPES):]
        return dataset_dict

    def _forget_service_publishers(self, dataset_ref: Node, distributions: list[Node]) -> None:
        """A data service published by the dataset's own publisher says nothing new: it is
        written from the dataset's (``_service_publishers``), so it is not stored twice."""
        publishers = set(self.g.objects(dataset_ref, DCT.publisher))
        for distribution in distributions:
            for service in self.g.objects(distribution, DCAT.accessService):
                for publisher in publishers:
                    self.g.remove((service, DCT.publisher, publisher))

    def _carry_forward(self, subject: Node) -> None:
        """Rewrite deprecated predicates of ``subject`` (and its periods) to successors."""
        subjects = [subject, *self.g.objects(subject, DCT.temporal)]
        for node in subjects:
            for successor in SUCCESSORS:
                for value in list(self.g.objects(node, successor.old)):
                    self.g.remove((node, successor.old, value))
                    if successor.translate:
                        value = successor.translate(value)
                    self.g.add((node, successor.new, value))

    def _identifier_notations(self, dataset_ref: Node) -> None:
        """ckanext-dcat writes ``adms:identifier [ skos:notation "x" ]`` but reads only
        literals (it would read the blank node's id): reduce the node to its notation."""
        for node in list(self.g.objects(dataset_ref, ADMS.identifier)):
            notation = self._object(node, SKOS.notation) if isinstance(node, BNode) else None
            if notation is not None:
                self.g.remove((dataset_ref, ADMS.identifier, node))
                self.g.add((dataset_ref, ADMS.identifier, notation))

    def _read(self, target: dict[str, Any], subject: Node,
              properties: Iterable[Property]) -> None:
        for prop in properties:
            if prop.kind == AGENT:
                agents = self._agents_details(subject, prop.predicate)
                if agents:
                    target[prop.field] = agents
                continue
            values = sorted(str(v) for v in self.g.objects(subject, prop.predicate))
            if values:
                target[prop.field] = values if prop.many else values[0]

    def _keywords(self, dataset_ref: Node) -> list[str]:
        """ckanext-dcat splits every keyword at its commas: "PM2,5" became the tags "PM2" and
        "5", and CKAN refused the dataset over the one-letter tag. CKAN tags allow no comma,
        so a decimal comma becomes a point ("PM2.5")."""
        keywords = []
        for value in self._object_value_list(dataset_ref, DCAT.keyword) or []:
            for part in KEYWORD_SEPARATOR.split(value):
                part = DECIMAL_COMMA.sub(".", part).strip()
                if part:
                    keywords.append(part)
        return list(dict.fromkeys(keywords))

    def _license(self, dataset_ref: Node) -> str:
        """The dataset's licence: its own ``dct:license`` or its first distribution's.

        Licences are dcat-ap.de URIs here, not CKAN licence-register ids."""
        for subject in [dataset_ref, *self._distributions(dataset_ref)]:
            licence = self._object(subject, DCT.license)
            if isinstance(licence, URIRef):
                return str(licence)
        return ""

    # -- serializing ------------------------------------------------------------------

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        super().graph_from_dataset(dataset_dict, dataset_ref)
        self._prov_attributions(dataset_ref)
        self._conforming_locations(dataset_ref)
        self._drop_empty_locations(dataset_ref)
        self._identifier_literal(dataset_ref)
        if (dataset_ref, RDF.type, DCAT.DatasetSeries) in self.g:
            # The shapes load no DCAT ontology: a series is a dcat:Dataset only if it says so.
            self.g.add((dataset_ref, RDF.type, DCAT.Dataset))
        self._write(dataset_dict, dataset_ref, DATASET_PROPERTIES)
        own = config.get(OWN_CONTRIBUTOR_OPTION)
        if own:
            self.g.add((dataset_ref, DCATDE.contributorID, URIRef(own)))
        self._policy_provenance(dataset_dict, dataset_ref)
        licence = dataset_dict.get("license_id") or ""
        for resource in dataset_dict.get("resources", []):
            distribution = URIRef(resource_uri(resource))
            self._write(resource, distribution, DISTRIBUTION_PROPERTIES)
            if licence.startswith("http") and (distribution, DCT.license, None) not in self.g:
                self.g.add((distribution, DCT.license, URIRef(licence)))
            self._media_type_as_iri(distribution)
            self._service_publishers(dataset_ref, distribution)

    def _identifier_literal(self, dataset_ref: Node) -> None:
        """ckanext-dcat writes an identifier that looks like a URI as an IRI; DCAT-AP.de wants
        ``dct:identifier`` a literal (geodata fileIdentifiers are often URLs)."""
        for value in list(self.g.objects(dataset_ref, DCT.identifier)):
            if isinstance(value, URIRef):
                self.g.remove((dataset_ref, DCT.identifier, value))
                self.g.add((dataset_ref, DCT.identifier, Literal(str(value))))

    def _service_publishers(self, dataset_ref: Node, distribution: URIRef) -> None:
        """DCAT-AP.de requires a publisher on every data service; ckanext-dcat keeps none for
        the services of a distribution: they are the dataset publisher's access routes."""
        publishers = list(self.g.objects(dataset_ref, DCT.publisher))
        for service in self.g.objects(distribution, DCAT.accessService):
            if (service, DCT.publisher, None) not in self.g:
                for publisher in publishers:
                    self.g.add((service, DCT.publisher, publisher))

    def _policy_provenance(self, dataset_dict: dict[str, Any], dataset_ref: Node) -> None:
        """The access-policy decisions as PROV-O, for readers who may see them (stewards)."""
        if plugin_loaded("twin_policy"):
            provenance.add_provenance(
                self.g, dataset_ref, provenance.decisions_for_reader(dataset_dict.get("id") or ""))

    def _prov_attributions(self, dataset_ref: Node) -> None:
        """ckanext-dcat reads ``prov:qualifiedAttribution``/``prov:agent`` (DCAT 3's terms)
        but writes them in the dcat: namespace, which DCAT does not define: write prov:."""
        for attribution in list(self.g.objects(dataset_ref, DCAT.qualifiedAttribution)):
            self.g.remove((dataset_ref, DCAT.qualifiedAttribution, attribution))
            self.g.add((dataset_ref, PROV.qualifiedAttribution, attribution))
            self.g.remove((attribution, RDF.type, DCAT.Attribution))
            self.g.add((attribution, RDF.type, PROV.Attribution))
            for agent in list(self.g.objects(attribution, DCAT.agent)):
                self.g.remove((attribution, DCAT.agent, agent))
                self.g.add((attribution, PROV.agent, agent))

    def _conforming_locations(self, dataset_ref: Node) -> None:
        """Locations as the official shapes accept them and ckanext-dcat reads them back.

        The shapes refuse ``locn:geometry`` literals, and ckanext-dcat's parser fails on any
        other geometry, so a geometry becomes its bounding box (a point: its centroid), and
        each of ``dcat:bbox``/``dcat:centroid`` is written once, as WKT (docs/dcat-ap-de.md).
        """
        for location in list(self.g.objects(dataset_ref, DCT.spatial)):
            geometries = list(self.g.objects(location, LOCN.geometry))
            self.g.remove((location, LOCN.geometry, None))
            for predicate in (DCAT.bbox, DCAT.centroid):
                values = list(self.g.objects(location, predicate))
                if len(values) > 1:
                    keep = next((v for v in values if getattr(v, "datatype", None)
                                 == GSP.wktLiteral), values[0])
                    self.g.remove((location, predicate, None))
                    self.g.add((location, predicate, keep))
            shape = next(filter(None, map(_shape, geometries)), None)
            if shape is None or not isinstance(location, BNode):
                continue  # ckanext-dcat reads no bbox of a named location (a URI says it all)
            predicate, derived = (DCAT.centroid, shape) if shape.geom_type == "Point" \
                else (DCAT.bbox, shape.envelope)
            if (location, predicate, None) not in self.g:
                # Four decimals, as ckanext-dcat writes WKT, so a re-serialization is equal.
                text = wkt.dumps(shapely.geometry.mapping(derived), decimals=4)
                self.g.add((location, predicate, Literal(text, datatype=GSP.wktLiteral)))

    def _drop_empty_locations(self, dataset_ref: Node) -> None:
        """ckanext-dcat emits a ``dct:Location`` even for a coverage with no usable value."""
        for location in list(self.g.objects(dataset_ref, DCT.spatial)):
            if isinstance(location, BNode) and \
                    set(self.g.predicate_objects(location)) <= {(RDF.type, DCT.Location)}:
                self.g.remove((dataset_ref, DCT.spatial, location))
                self.g.remove((location, None, None))

    def _write(self, source: dict[str, Any], subject: Node,
               properties: Iterable[Property]) -> None:
        for prop in properties:
            if prop.kind == AGENT:
                self._add_agents(subject, source, prop.field, prop.predicate)
                continue
            values = source.get(prop.field)
            if not values:
                continue
            for value in values if isinstance(values, list) else [values]:
                # A source's relative "URI" stays the literal it was, not a local IRI.
                is_iri = prop.kind == URI and ABSOLUTE_IRI.match(value)
                self.g.add((subject, prop.predicate, URIRef(value) if is_iri else Literal(value)))

    def _add_date_triple(self, subject: Node, predicate: URIRef, value: Any,
                         _type: Any = Literal) -> None:
        """ckanext-dcat's date triple, without dateutil for the ISO timestamps CKAN stores.

        Parsing every ``metadata_modified`` with dateutil was an eighth of a catalog page's
        time; ``fromisoformat`` yields the same ``isoformat()`` for these values."""
        if isinstance(value, str) and ISO_TIMESTAMP.match(value):
            moment = datetime.fromisoformat(value)
            self.g.add((subject, predicate, _type(moment.isoformat(), datatype=XSD.dateTime)))
        else:
            super()._add_date_triple(subject, predicate, value, _type)

    # ckanext-dcat parses an access service's contact points and publishers into lists but
    # serializes them expecting one dict: accept both, so parsed services serialize again.
    def _add_contact_to_graph(self, subject: Node, predicate: URIRef, contact: Any) -> None:
        for item in contact if isinstance(contact, list) else [contact]:
            super()._add_contact_to_graph(subject, predicate, item)

    def _add_agent_to_graph(self, subject: Node, predicate: URIRef, agent: Any) -> Node | None:
        added = None
        for item in agent if isinstance(agent, list) else [agent]:
            added = super()._add_agent_to_graph(subject, predicate, item)
        return added

    def _media_type_as_iri(self, distribution: URIRef) -> None:
        """``dcat:mediaType "text/csv"`` fails the shapes; the IANA IRI passes."""
        for value in list(self.g.objects(distribution, DCAT.mediaType)):
            if isinstance(value, Literal) and "/" in str(value):
                self.g.remove((distribution, DCAT.mediaType, value))
                self.g.add((distribution, DCAT.mediaType,
                            URIRef(IANA_MEDIA_TYPES + str(value).strip())))

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Node) -> None:
        super().graph_from_catalog(catalog_dict, catalog_ref)
        # ckanext-dcat writes the site locale ("de") as a literal; the shapes want the IRI.
        for language in list(self.g.objects(catalog_ref, DCT.language)):
            if isinstance(language, Literal):
                self.g.remove((catalog_ref, DCT.language, language))
                iri = default_vocabularies().normalise("language", str(language))
                if iri:
                    self.g.add((catalog_ref, DCT.language, URIRef(iri)))
        name = config.get("ckanext.twin.catalog_publisher_name")
        if name and (catalog_ref, DCT.publisher, None) not in self.g:
            uri = config.get("ckanext.twin.catalog_publisher_uri")
            publisher = URIRef(uri) if uri else BNode()
            self.g.add((publisher, RDF.type, FOAF.Agent))
            self.g.add((publisher, FOAF.name, Literal(name)))
            self.g.add((catalog_ref, DCT.publisher, publisher))
