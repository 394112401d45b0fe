"""Generated DCAT-AP.de 3.0 catalogs in pages, for harvesting tests and benchmarks.

``catalog_pages(n, page_size, page_url)`` writes ``n`` datasets of Munich (title, description,
publisher, contributorID, theme, keywords, contact point, political geocoding, dct:identifier,
dct:modified, one CSV distribution with accessURL, downloadURL, licence dl-by-de/2.0 and its
attribution text) in pages of ``page_size`` with Hydra paging links, as Turtle (default),
RDF/XML or JSON-LD. Dataset URIs and contents do not depend on where the pages are served, so
record hashes are the same on every run and port. Datasets can be changed, duplicated or
dated individually to test change detection and duplicate resolution.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rdflib import Graph

PORTAL = "https://opendata.muenchen.de"
PUBLISHER = f"{PORTAL}/organization/landeshauptstadt-muenchen"
THEMES = ("GOVE", "TRAN", "ENVI", "EDUC", "SOCI", "ECON", "HEAL", "REGI")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@dataclass
class Options:
    """Per-dataset variations; index -> value."""

    identifiers: dict[int, str] = field(default_factory=dict)  # duplicate identifiers
    modified: dict[int, datetime] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)  # a changed dataset
    hydra: str = "ckanext-dcat"  # or "view": hydra:view / PartialCollectionView with IRIs


def identifier(i: int) -> str:
    return f"muenchen-{i:06d}"


def dataset_turtle(i: int, options: Options | None = None) -> str:
    """One dataset and its distribution in Turtle (without prefixes)."""
    options = options or Options()
    key = options.identifiers.get(i, identifier(i))
    uri = f"{PORTAL}/dataset/{identifier(i)}"
    modified = options.modified.get(i, EPOCH + timedelta(hours=i))
    title = options.titles.get(i, f"Datensatz {i}: Verkehrszählung Stadtbezirk {i % 25 + 1}")
    theme = THEMES[i % len(THEMES)]
    return f"""
<{uri}> a dcat:Dataset ;
    dct:identifier "{key}" ;
    dct:title "{title}"@de ;
    dct:description "Zählstellen und Tageswerte im Stadtbezirk {i % 25 + 1}, Datensatz {i}."@de ;
    dct:publisher <{PUBLISHER}> ;
    dcatde:contributorID <http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen> ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/{theme}> ;
    dcat:keyword "Verkehr"@de, "Stadtbezirk {i % 25 + 1}"@de ;
    dct:modified "{modified.strftime('%Y-%m-%dT%H:%M:%S')}"^^xsd:dateTime ;
    dct:issued "2023-01-01"^^xsd:date ;
    dcatde:politicalGeocodingLevelURI <http://dcat-ap.de/def/politicalGeocoding/Level/municipality> ;
    dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/regionalKey/091620000000> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Mobilitätsreferat"@de ;
                        vcard:hasEmail <mailto:opendata@muenchen.de> ] ;
    dcat:distribution <{uri}/distribution/csv> .
<{uri}/distribution/csv> a dcat:Distribution ;
    dct:title "Tageswerte (CSV)"@de ;
    dcat:accessURL <{PORTAL}/data/{identifier(i)}.csv> ;
    dcat:downloadURL <{PORTAL}/data/{identifier(i)}.csv> ;
    dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;
    dcatde:licenseAttributionByText "Landeshauptstadt München, dl-de/by-2-0"@de ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> .
"""


def page_turtle(number: int, pages: int, total: int, page_size: int,
                page_url: Callable[[int], str], options: Options | None = None,
                next_number: int | None = None) -> str:
    """Page ``number`` (1-based) of a catalog of ``total`` datasets in ``pages`` pages.

    ``next_number``: where the page's next link leads (default: the following page, none
    after the last) — set it to build cycles.
    """
    options = options or Options()
    first = (number - 1) * page_size
    listed = ", ".join(f"<{PORTAL}/dataset/{identifier(i)}>"
                       for i in range(first, min(first + page_size, total)))
    body = [PREFIXES, f"""
<{PORTAL}/catalog> a dcat:Catalog ;
    dct:title "Datenportal München"@de ;
    {f"dcat:dataset {listed} ;" if listed else ""}
    dct:publisher <{PUBLISHER}> .
<{PUBLISHER}> a foaf:Organization ; foaf:name "Landeshauptstadt München"@de .
"""]
    for i in range(first, min(first + page_size, total)):
        body.append(dataset_turtle(i, options))
    if next_number is None and number < pages:
        next_number = number + 1
    link = f'"{page_url(next_number)}"' if next_number else None
    if options.hydra == "ckanext-dcat":  # as ckanext-dcat writes it: literals, both names
        body.append(f"""
<{page_url(number)}> a hydra:PagedCollection ;
    hydra:totalItems {total} ;
    hydra:itemsPerPage {page_size} ;
    hydra:firstPage "{page_url(1)}" ;
    hydra:lastPage "{page_url(pages)}" {f'''; hydra:nextPage {link} ;
    hydra:next {link}''' if link else ""} .
""")
    else:  # Hydra core: a collection with a PartialCollectionView, IRIs
        body.append(f"""
<{PORTAL}/catalog> hydra:totalItems {total} ;
    hydra:view <{page_url(number)}> .
<{page_url(number)}> a hydra:PartialCollectionView ;
    hydra:first <{page_url(1)}> ;
    hydra:last <{page_url(pages)}> {f'; hydra:next <{page_url(next_number)}>'
                                    if next_number else ""} .
""")
    return "".join(body)


def catalog_pages(total: int, page_size: int, page_url: Callable[[int], str],
                  options: Options | None = None, fmt: str = "turtle",
                  links: dict[int, int] | None = None) -> list[bytes]:
    """All pages of a generated catalog, serialised as ``fmt`` (turtle, xml, json-ld, nt).

    ``links``: page number -> page number its next link leads to (for cycles).
    """
    pages = max(1, -(-total // page_size))
    documents = []
    for number in range(1, pages + 1):
        text = page_turtle(number, pages, total, page_size, page_url, options,
                           (links or {}).get(number))
        if fmt == "turtle":
            documents.append(text.encode("utf-8"))
        else:
            documents.append(Graph().parse(data=text, format="turtle")
                             .serialize(format=fmt, encoding="utf-8"))
    return documents


MEDIA_TYPES = {"turtle": "text/turtle", "xml": "application/rdf+xml",
               "json-ld": "application/ld+json", "nt": "application/n-triples"}
