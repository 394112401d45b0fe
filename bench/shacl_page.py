"""How long SHACL validation of one catalog page (100 datasets) takes, and how much memory.

The page is the official DCAT-AP.de 3.0 example ``Dataset-und-Distribution.ttl`` cloned 100
times with distinct dataset and distribution URIs under one catalog, the size of a harvested
or published catalog page. Run: ``.venv/bin/python -m bench.shacl_page [copies]``. It prints
the wall-clock seconds of each step and the peak resident set size of the process; pyshacl is
called as ``ckanext.twin.dcat.validation.validate`` calls it (``inference="none"``,
``advanced=False``, no SHACL-JS, the parsed shapes graph reused), then with one of those
choices changed at a time, to show what each is worth.
"""
from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, Namespace

from ckanext.twin.dcat import validation

EXAMPLE = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "dcat-ap-de" / "examples"
           / "spec-v3.0" / "Dataset-und-Distribution.ttl")
EXAMPLE_ID = "12345678-9abc-4729-9044-f4d4ceaed491"
DCAT = Namespace("http://www.w3.org/ns/dcat#")


def catalog_page(copies: int) -> Graph:
    """``copies`` clones of the example dataset (own URIs, own blank nodes) in one catalog."""
    text = EXAMPLE.read_text(encoding="utf-8")
    page = Graph()
    for number in range(copies):
        page.parse(data=text.replace(EXAMPLE_ID, f"{number:08d}-9abc-4729-9044-f4d4ceaed491"),
                   format="turtle")
    catalogs = sorted(page.subjects(RDF.type, DCAT.Catalog))
    for extra in catalogs[1:]:  # every clone brought its own blank-node catalog; keep one
        for dataset in page.objects(extra, DCAT.dataset):
            page.add((catalogs[0], DCAT.dataset, dataset))
        page.remove((extra, None, None))
    return page


def timed(label: str, function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    print(f"{label:<50} {time.perf_counter() - start:6.2f} s")
    return value


def pyshacl_variants(page: Graph) -> None:
    """Raw pyshacl on the page plus vocabulary and class background, one option changed each."""
    background = validation.default_vocabularies().describe(
        o for o in page.objects() if isinstance(o, URIRef)) + validation.class_hierarchy()
    variants = {
        "as used (inference none, advanced off)": {},
        "inference='rdfs'": {"inference": "rdfs"},
        "advanced=True": {"advanced": True},
        "shapes re-read from the files": {"shacl_graph": None},
    }
    for label, change in variants.items():
        options = {"shacl_graph": validation.shapes_graph(), "inference": "none",
                   "advanced": False, "allow_warnings": True, "inplace": True, **change}
        if options["shacl_graph"] is None:
            options["shacl_graph"] = Graph()
            for name in validation.PROFILE:
                options["shacl_graph"].parse(validation.SHAPES_DIRECTORY / name, format="turtle")
        timed(f"pyshacl: {label}", pyshacl.validate, page + background, **options)


def main(copies: int = 100) -> None:
    page = timed(f"build page ({copies} datasets)", catalog_page, copies)
    print(f"{'page triples':<50} {len(page):6d}")
    timed("parse shapes (once per process)", validation.shapes_graph)
    timed("load vocabularies (once per process)", validation.default_vocabularies().names)
    timed("validate, first call", validation.validate, page)
    report = timed("validate, second call", validation.validate, page)
    print(f"{'violations / warnings / known defects':<50} "
          f"{len(report.violations)} / {len(report.warnings)} / {len(report.known_defects)}")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"{'peak RSS so far':<50} {peak_kib / 1024:6.0f} MiB")
    pyshacl_variants(page)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
