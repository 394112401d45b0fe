"""Access policies (issue 6): decisions per second, and a policy change over 10,000 datasets.

Run: ``.venv/bin/python -m bench.policy [--ini config/ckan.ini] [--sizes 10000] [--rounds 5]
[--decisions-only] [--keep] [--profile]`` (``python -m bench`` runs it with defaults; about
5 minutes on 2 CPUs).

``bench_datasets`` generates the datasets of both parts, the same every time: round-robin
over the partners of ``config/partners.yaml``, with access rights, licences (some
distributions with their own), themes, areas, embargoes, personal-data flags and
classifications spread as in ``bench_dataset``, every value one the DCAT-AP.de schema
accepts. Decisions are taken as on ``DAY``.

1. Decisions, no CKAN: each dataset x the 5 platforms of ``config/platforms.yaml`` under its
   municipality's policy from ``config/policies``, one ``Evaluator`` per municipality.
   ``decide`` alone (facts read beforehand) and ``facts_of`` + ``decide`` (from the dataset
   dict), best of ``--rounds``. Target: at least 20,000 decisions a second. No anchor
   evaluates policies.
2. A policy change, in a fresh process on a fresh database ``twin_bench_policy_<size>``
   (``bench/_harvest.py``) with the portal's dataset plugins (``PLUGINS``). Seeding: the
   first dataset of each municipality through ``package_create``; the others validated
   through the same scheming schema and written as the rows ``package_create`` writes
   (package with its extras, resources, tags, organization membership, a "new package"
   activity) in bulk, checked against ``package_create``'s rows; then decided without a
   policy and indexed once with CKAN's ``rebuild`` (writes batched). Then ``ADMIT`` is
   applied to every municipality, then ``WITHDRAW`` (most datasets leave the open-data
   portal, others move between platforms). Ours: ``apply_policies`` + commit of the
   change (versions, decisions, ``package.private``, the search index relabelled in place,
   activity labels). Anchor, on the same datasets right after: what the change costs with
   stock CKAN and ``IPermissionLabels``, re-indexing them (``ckan.lib.search.rebuild``,
   one ``index_package`` per dataset, as ``ckan search-index rebuild`` does) - generous to
   the anchor, which is not charged for deciding. Target: ours under 60 s. After each
   application, anonymous ``package_search`` must find exactly the datasets the decisions
   admit to the open-data portal, and a label search per platform exactly those admitted
   there; after the anchor, the index must hold the labels our relabelling wrote.
   ``--profile`` runs the change under cProfile and prints the 30 most expensive calls.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import random
import sys
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from itertools import groupby
from pathlib import Path
from string import Template
from typing import Any

from bench._harvest import in_fresh_process, parse_arguments, peak_rss_mib, row, \
    site_context, start_ckan, stop_ckan
from bench.dcat_catalog import REPO, line, timed
from ckanext.twin.partners import Partner, load_partners
from ckanext.twin.policy.evaluate import Evaluator
from ckanext.twin.policy.facts import facts_of
from ckanext.twin.policy.model import Policy
from ckanext.twin.policy.platforms import Platforms, load_platforms
from ckanext.twin.policy.reader import load_policies, parse_policy

PARTNERS_FILE = REPO / "config" / "partners.yaml"
PLATFORMS_FILE = REPO / "config" / "platforms.yaml"
POLICIES_DIR = REPO / "config" / "policies"
# The portal's plugins that touch datasets (twin_policy first: CKAN asks only the first
# IPermissionLabels plugin); harvest because the harness migrates its tables.
PLUGINS = "twin_policy activity twin_search twin twin_dcat scheming_datasets dcat harvest"
OPTIONS = {"ckanext.twin.partners_file": str(PARTNERS_FILE),
           "ckanext.twin.platforms_file": str(PLATFORMS_FILE),
           "ckanext.twin.policies_dir": str(POLICIES_DIR)}
DATABASE = "twin_bench_policy_"
DAY = date(2026, 6, 1)  # decisions are taken as on this day; embargoes are set around it
RATE_TARGET = 20_000  # decisions a second, at least
SECONDS_TARGET = 60.0  # a policy change over 10,000 datasets, at most
SEED = 6  # issue 6

EU = "http://publications.europa.eu/resource/authority/"
LICENCES = "http://dcat-ap.de/def/licenses/"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
MUNICH = "091620000000"


# -- the datasets ------------------------------------------------------------------------------

def _weighted(*pairs: tuple[Any, int]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    values, weights = zip(*pairs)
    return values, weights


# Value (None: left out) and weight. Every value is one the DCAT-AP.de schema accepts; the
# fail-closed readings (a missing flag, a missing classification) are in the mix.
ACCESS = _weighted(("PUBLIC", 70), ("RESTRICTED", 15), ("NON_PUBLIC", 9), (None, 6))
LICENCE = _weighted(("dl-by-de/2.0", 35), ("dl-zero-de/2.0", 20), ("cc-by/4.0", 15),
                    ("cc-zero", 5), ("officialWork", 5), ("other-closed", 10),
                    ("other-commercial", 5), ("geoNutz/20131001", 5))
OWN_LICENCE = _weighted((None, 85), ("cc-by/4.0", 8), ("other-closed", 7))  # per distribution
THEMES = ("TRAN", "ENVI", "REGI", "GOVE", "EDUC", "HEAL", "ECON", "SOCI", "ENER", "AGRI",
          "TECH", "JUST")
THEME_COUNT = _weighted((0, 8), (1, 62), (2, 30))
AREA = _weighted(("own", 75), ("with-munich", 10), ("bavaria", 10), ("with-neighbour", 5))
EMBARGO = _weighted((None, 80), ("2025-01-31", 8), ("2026-05-15", 6), ("2027-01-31", 6))
PERSONAL = _weighted(("false", 82), ("true", 12), (None, 6))
CLASSIFICATION = _weighted(("public", 62), ("internal", 22), ("confidential", 7),
                           ("secret", 3), (None, 6))
FORMATS = ("CSV", "JSON", "GEOJSON", "WMS_SRVC", "PDF")
SUBJECTS = ("Verkehrszählung", "Luftqualität", "Bebauungspläne", "Haushalt", "Schulen",
            "Radwege", "Lärmkarte", "Bevölkerung", "Baustellen", "Gewässer")


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], tuple[int, ...]]) -> Any:
    return rng.choices(table[0], table[1])[0]


def _areas(rng: random.Random, partner: Partner, partners: Sequence[Partner]) -> list[str]:
    kind = _pick(rng, AREA)
    if kind == "bavaria":
        return [GEOCODING + "stateKey/09"]
    keys = [partner.regional_key]
    if kind == "with-munich":
        keys.append(MUNICH if partner.regional_key != MUNICH else partners[1].regional_key)
    elif kind == "with-neighbour":
        keys.append(rng.choice([p.regional_key for p in partners if p.id != partner.id]))
    return [GEOCODING + "regionalKey/" + key for key in keys]


def bench_dataset(number: int, partner: Partner, partners: Sequence[Partner],
                  rng: random.Random) -> dict[str, Any]:
    """Dataset ``number`` of ``partner``, as a steward would enter it (``package_create``
    input, which is also the ``package_show`` shape ``facts_of`` reads)."""
    subject = SUBJECTS[number % len(SUBJECTS)]
    dataset: dict[str, Any] = {
        "name": f"policy-bench-{number:05d}",
        "owner_org": partner.id,
        "title": f"{subject} {partner.title} ({number})",
        "notes": f"{subject}: generierter Datensatz Nr. {number} des Richtlinien-Benchmarks.",
        "tag_string": f"{subject},Benchmark",
        "license_id": LICENCES + _pick(rng, LICENCE),
        "theme": [EU + "data-theme/" + theme
                  for theme in rng.sample(THEMES, _pick(rng, THEME_COUNT))],
        "political_geocoding_uri": _areas(rng, partner, partners),
        "political_geocoding_level_uri": GEOCODING + "Level/" + partner.political_geocoding_level,
        "resources": [],
    }
    for key, value in (("access_rights", _pick(rng, ACCESS)),
                       ("embargo_until", _pick(rng, EMBARGO)),
                       ("personal_data", _pick(rng, PERSONAL)),
                       ("classification", _pick(rng, CLASSIFICATION))):
        if value is not None:
            dataset[key] = EU + "access-right/" + value if key == "access_rights" else value
    for position, fmt in enumerate(rng.sample(FORMATS, rng.randint(1, 3))):
        resource = {"name": f"{subject} ({fmt})", "format": EU + "file-type/" + fmt,
                    "url": f"https://daten.example.org/{partner.id}/{number}/{position}"}
        own = _pick(rng, OWN_LICENCE)
        if own is not None:
            resource["license"] = LICENCES + own
        dataset["resources"].append(resource)
    return dataset


def bench_datasets(count: int, partners: Sequence[Partner]) -> list[dict[str, Any]]:
    """``count`` datasets, round-robin over ``partners``; the same list every time."""
    rng = random.Random(SEED)
    return [bench_dataset(number, partners[(number - 1) % len(partners)], partners, rng)
            for number in range(1, count + 1)]


# -- the policy change of part 2 ---------------------------------------------------------------

ADMIT = Template("""\
# Benchmark (bench/policy.py): Freigabe für Portal, Zwilling und Datenraum.
municipality: $municipality
conflict: prohibit
rules:
  - id: offene-daten
    platform: opendata
    effect: permit
    when:
      access_rights: {isAnyOf: [PUBLIC]}
      personal_data: {eq: false}
  - id: zwilling
    platform: digital-twin
    effect: permit
    when:
      classification: {isAnyOf: [public, internal, confidential]}
  - id: partnerraum
    platform: partner-space
    effect: permit
    when:
      personal_data: {eq: false}
""")
WITHDRAW = Template("""\
# Benchmark (bench/policy.py): offen nur noch unter dl-zero, Raumbezug ins Geoportal und
# nach TEMPUS, Verwaltung und Personenbezug aus dem Zwilling.
municipality: $municipality
conflict: prohibit
rules:
  - id: offene-daten-dl-zero
    platform: opendata
    effect: permit
    when:
      access_rights: {isAnyOf: [PUBLIC]}
      license: {isAnyOf: [dl-zero-de/2.0]}
      personal_data: {eq: false}
      classification: {isAnyOf: [public]}
  - id: zwilling-ohne-verwaltung
    platform: digital-twin
    effect: permit
    when:
      theme: {isNoneOf: [GOVE, JUST]}
      classification: {isAnyOf: [public, internal]}
  - id: kein-personenbezug-im-zwilling
    platform: digital-twin
    effect: prohibit
    when:
      personal_data: {eq: true}
  - id: geoportal-raumbezug
    platform: geoportal
    effect: permit
    when:
      theme: {isAnyOf: [REGI, ENVI, TRAN, AGRI, ENER]}
      personal_data: {eq: false}
  - id: tempus-bayern
    platform: tempus
    effect: permit
    when:
      theme: {isAnyOf: [TRAN, ENVI]}
      area: {isPartOf: ["09"]}
      embargo: {gteq: P30D}
  - id: partnerraum
    platform: partner-space
    effect: permit
    when:
      personal_data: {eq: false}
""")


def bench_policies(template: Template, partners: Sequence[str],
                   platforms: Platforms) -> dict[str, Policy]:
    """``template`` as every partner's policy."""
    return {municipality: parse_policy(template.substitute(municipality=municipality),
                                       f"bench/policy.py ({municipality})", partners,
                                       platforms, municipality)
            for municipality in partners}


# -- part 1: decisions -------------------------------------------------------------------------

def decision_rates(datasets: Sequence[Mapping[str, Any]], evaluators: Mapping[str, Evaluator],
                   rounds: int) -> dict[str, Any]:
    """Seconds (best of ``rounds``) for ``decide`` alone and for ``facts_of`` + ``decide``,
    and what was decided."""
    facts = [facts_of(dataset, dataset["owner_org"]) for dataset in datasets]

    def decide_only() -> list[Any]:
        return [evaluators[f.municipality].decide(f, DAY) for f in facts]

    def end_to_end() -> list[Any]:
        return [evaluators[d["owner_org"]].decide(facts_of(d, d["owner_org"]), DAY)
                for d in datasets]

    alone = min(timed(decide_only)[0] for _ in range(rounds))
    both, decided = min((timed(end_to_end) for _ in range(rounds)), key=lambda t: t[0])
    outcomes = Counter((d.platform, d.admitted) for per_dataset in decided for d in per_dataset)
    reasons = Counter(d.reason for per_dataset in decided for d in per_dataset)
    return {"pairs": sum(len(per_dataset) for per_dataset in decided), "decide": alone,
            "end_to_end": both, "outcomes": outcomes, "reasons": reasons,
            "noted": sum(bool(f.notes) for f in facts)}


def report_rates(size: int, figures: dict[str, Any], rounds: int) -> None:
    pairs = figures["pairs"]
    print()
    row(f"{pairs:,} decisions ({size:,} datasets x 5)", f"best of {rounds}", "decisions/s",
        "against the target")
    for label, key in (("decide (facts read before)", "decide"),
                       ("facts_of + decide (from the dict)", "end_to_end")):
        rate = pairs / figures[key]
        met = "met" if rate >= RATE_TARGET else "NOT met"
        row(label, f"{figures[key]:.3f} s", f"{rate:,.0f}",
            f"{rate / RATE_TARGET:.1f}x ({RATE_TARGET:,}/s: {met})")
    outcomes = figures["outcomes"]
    line("admitted per platform", ", ".join(
        f"{p} {100 * outcomes[p, True] / (outcomes[p, True] + outcomes[p, False]):.0f} %"
        for p in dict.fromkeys(platform for platform, _ in outcomes)))
    line("reasons", ", ".join(f"{reason} {count:,}" for reason, count
                              in figures["reasons"].most_common()))
    line("datasets with a fail-closed reading (notes)", f"{figures['noted']:,} of {size:,}")


# -- part 2: seeding ---------------------------------------------------------------------------

@dataclass
class Stored:
    """The rows ``package_create`` writes for one dataset (the search index aside)."""

    package: dict[str, Any]
    resources: list[dict[str, Any]]
    tags: list[str]
    member: dict[str, Any]
    activity: dict[str, Any]


class BenchFailure(Exception):
    """The benchmark cannot vouch for its figures; the message says why."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # CKAN stores naive UTC


def _columns(table: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as CKAN's ``from_dict`` writes them into ``table``'s row: given columns,
    None for those marked ``remove_if_not_provided``; the others keep their defaults."""
    return {column.name: values.get(column.name) for column in table.c
            if column.name in values or column.doc == "remove_if_not_provided"}


# What ``model.Resource()`` starts with and ``from_dict`` keeps when the dict does not say.
_RESOURCE_INIT = {"format": "", "hash": ""}


def stored_rows(validated: dict[str, Any], user_id: str, now: datetime) -> Stored:
    """What ``package_create`` writes for a dataset the schema validated: the package as
    ``package_dict_save`` saves it, private as ``twin_policy`` leaves a dataset without a
    policy; resources as ``resource_dict_save``; the membership of
    ``package_owner_org_update``; the activity of ckanext-activity (its data: the
    validated dataset, where CKAN stores ``package_show``'s)."""
    from ckan import model

    package_id = str(uuid.uuid4())
    extras = {extra["key"]: extra["value"] for extra in validated.get("extras", [])}
    package = {**_columns(model.package_table, validated), "id": package_id, "extras": extras,
               "creator_user_id": user_id, "private": True, "state": "active",
               "metadata_created": now, "metadata_modified": now}
    resources = []
    for position, resource in enumerate(validated.get("resources", [])):
        given = {**_RESOURCE_INIT, **resource, "package_id": package_id}
        columns = _columns(model.resource_table, given)
        resources.append({**columns, "id": str(uuid.uuid4()), "position": position,
                          "state": "active", "metadata_modified": now, "created": now,
                          "extras": {k: v for k, v in given.items()
                                     if k not in columns and k not in
                                     ("extras", "revision_timestamp", "tracking_summary")}})
    owner = validated["owner_org"]
    shown = {**{k: v for k, v in validated.items() if k != "extras"}, **extras,
             "id": package_id, "private": True, "state": "active", "resources": resources}
    activity = {"id": str(uuid.uuid4()), "timestamp": now, "user_id": user_id,
                "object_id": package_id, "activity_type": "new package",
                "data": json.loads(json.dumps({"package": shown}, default=str)),
                "permission_labels": [f"member-{owner}"]}
    return Stored(package, resources, [tag["name"] for tag in validated.get("tags", [])],
                  {"id": str(uuid.uuid4()), "table_id": package_id, "table_name": "package",
                   "group_id": owner, "capacity": "organization", "state": "active"},
                  activity)


def _insert(conn: Any, table: Any, rows: Iterable[dict[str, Any]]) -> None:
    """Multi-row inserts, grouped by the columns given (the others keep their defaults)."""
    import sqlalchemy as sa

    by_keys = sorted(rows, key=lambda r: sorted(r))
    for _, group in groupby(by_keys, key=lambda r: sorted(r)):
        conn.execute(sa.insert(table), list(group))


def insert_datasets(conn: Any, datasets: Sequence[Stored]) -> None:
    """All rows of ``datasets`` in a few statements per table."""
    import sqlalchemy as sa
    from ckan import model
    from ckanext.activity.model import Activity

    names = sorted({name for stored in datasets for name in stored.tags})
    tag_ids = dict(conn.execute(sa.text(
        "SELECT name, id FROM tag WHERE vocabulary_id IS NULL AND name = ANY(:names)"),
        {"names": names}).all())
    new_tags = [{"id": str(uuid.uuid4()), "name": name} for name in names if name not in tag_ids]
    tag_ids.update((tag["name"], tag["id"]) for tag in new_tags)
    _insert(conn, model.package_table, [stored.package for stored in datasets])
    _insert(conn, model.tag_table, new_tags)
    _insert(conn, model.package_tag_table, [
        {"id": str(uuid.uuid4()), "package_id": stored.package["id"], "tag_id": tag_ids[name],
         "state": "active"} for stored in datasets for name in stored.tags])
    _insert(conn, model.member_table, [stored.member for stored in datasets])
    _insert(conn, model.resource_table, [r for stored in datasets for r in stored.resources])
    _insert(conn, Activity.__table__, [stored.activity for stored in datasets])


# Columns that differ between a dataset and its copy (ids, times) and say nothing of fidelity.
_VOLATILE = {"id", "metadata_created", "metadata_modified", "package_id", "table_id",
             "object_id", "timestamp", "created", "decided_at", "data"}


def snapshot(conn: Any, package_id: str) -> dict[str, Any]:
    """A dataset's rows in every table it has rows in, volatile columns (and the name, which
    the copy cannot share) left out."""
    import sqlalchemy as sa

    from ckanext.twin.policy import store

    def rows(sql: str, *also: str) -> list[dict[str, Any]]:
        found = conn.execute(sa.text(sql), {"id": package_id}).mappings().all()
        return [{k: v for k, v in r.items() if k not in _VOLATILE and k not in also}
                for r in found]

    return {
        "package": rows("SELECT * FROM package WHERE id = :id", "name"),
        "resources": rows("SELECT * FROM resource WHERE package_id = :id ORDER BY position"),
        "tags": rows("SELECT t.name, pt.state FROM package_tag pt JOIN tag t ON t.id = pt.tag_id"
                     " WHERE pt.package_id = :id ORDER BY t.name"),
        "members": rows("SELECT * FROM member WHERE table_id = :id"),
        "activities": rows("SELECT * FROM activity WHERE object_id = :id"),
        "resource views": rows("SELECT v.view_type FROM resource_view v JOIN resource r "
                               "ON r.id = v.resource_id WHERE r.package_id = :id"),
        "decisions": rows(f"SELECT * FROM {store.DECISIONS} WHERE package_id = :id "
                          "ORDER BY platform"),
    }


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where two snapshots differ, as JSON paths."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return [d for key in sorted(set(ours) | set(theirs))
                for d in differences(ours.get(key), theirs.get(key), f"{path}.{key}")]
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [d for i, (a, b) in enumerate(zip(ours, theirs))
                for d in differences(a, b, f"{path}[{i}]")]
    return [] if ours == theirs else [f"{path or '$'}: bulk {ours!r}, package_create {theirs!r}"]


def check_fidelity(conn: Any, created: Mapping[str, str], validated: Mapping[str, dict],
                   user_id: str) -> int:
    """Writes the bulk rows of each ``package_create``d dataset again, as a copy, in a
    savepoint, decides the copies as ``package_create`` decided the originals, and compares
    every row; rolls the copies back. The number of datasets compared."""
    from ckanext.twin.policy.datasets import dataset_rows
    from ckanext.twin.policy.enforcement import enforce

    savepoint = conn.begin_nested()
    try:
        copies = {}
        for name, package_id in created.items():
            stored = stored_rows(validated[name], user_id, _now())
            stored.package["name"] = f"{name}-bulk-copy"
            copies[name] = stored
        insert_datasets(conn, list(copies.values()))
        enforce(conn, list(dataset_rows(conn, ids=[s.package["id"] for s in copies.values()])),
                DAY)
        found = [f"{name}{d}" for name, package_id in created.items()
                 for d in differences(snapshot(conn, copies[name].package["id"]),
                                      snapshot(conn, package_id))]
    finally:
        savepoint.rollback()
    if found:
        raise BenchFailure("the bulk-written rows differ from package_create's: "
                           + "; ".join(found[:10]))
    return len(created)


def seed(datasets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The datasets in the database and the index (see the module docstring); timings."""
    import ckan.plugins.toolkit as tk
    from ckan import model
    from ckan.lib import plugins as lib_plugins
    from ckan.lib.search import rebuild

    from ckanext.twin.policy import changes
    from ckanext.twin.search.connection import batched_writes

    context = site_context()
    user_id = model.User.by_name(context["user"]).id
    plugin = lib_plugins.lookup_package_plugin("dataset")

    def validate(dataset: dict[str, Any]) -> dict[str, Any]:
        # A schema of its own for each dataset, as package_create: scheming adds its fields
        # to the schema it is given, and a reused one no longer moves them into extras.
        data, errors = lib_plugins.plugin_validate(
            plugin, dict(context, model=model, session=model.Session),
            dict(dataset, type="dataset"), plugin.create_package_schema(), "package_create")
        if errors:
            raise BenchFailure(f"generated dataset {dataset['name']} fails the schema: {errors}")
        return data

    validation, validated = timed(lambda: {d["name"]: validate(d) for d in datasets})
    first = {d["owner_org"]: d for d in reversed(datasets)}  # each municipality's first
    samples = [d for d in datasets if first[d["owner_org"]] is d]

    def create() -> dict[str, str]:
        return {d["name"]: tk.get_action("package_create")(dict(context), dict(d))["id"]
                for d in samples}

    creation, created = timed(create)
    compared = check_fidelity(model.Session, created, validated, user_id)
    model.Session.commit()
    now = _now()
    bulk = [stored_rows(validated[d["name"]], user_id, now) for d in datasets
            if d["name"] not in created]
    insertion = timed(lambda: (insert_datasets(model.Session, bulk), model.Session.commit()))[0]
    deciding = timed(lambda: (changes.reevaluate(model.Session, DAY, everything=True),
                              model.repo.commit()))[0]
    ids = [stored.package["id"] for stored in bulk]

    def index() -> None:
        with batched_writes(size=500):
            rebuild(package_ids=ids, quiet=True)

    indexing = timed(index)[0]
    return {"validation": validation, "created": len(created), "creation": creation,
            "compared": compared, "inserted": len(bulk), "insertion": insertion,
            "deciding": deciding, "indexing": indexing,
            "ids": ids + list(created.values())}


# -- part 2: the change and its anchor ---------------------------------------------------------

def visible() -> dict[str, Any]:
    """What the portal shows against what the decisions say: anonymous search, private
    flags, a label search per platform, and the decisions admitting to each platform."""
    import sqlalchemy as sa
    import ckan.plugins.toolkit as tk
    from ckan import model

    from ckanext.twin.policy import registry, store

    search = tk.get_action("package_search")
    conn = model.Session
    admitted = dict(conn.execute(sa.text(
        f"SELECT platform, count(*) FILTER (WHERE admitted) FROM {store.DECISIONS} "
        "WHERE current GROUP BY platform")).all())
    labelled = {platform.id: search(site_context(), {
        "rows": 0, "include_private": True,
        "fq": f'permission_labels:"{platform.label}"'})["count"]
        for platform in registry.platforms().values()}
    return {"anonymous": search({"user": "", "ignore_auth": False}, {"rows": 0})["count"],
            "public": conn.execute(sa.text(
                "SELECT count(*) FROM package WHERE type = 'dataset' AND state = 'active' "
                "AND NOT private")).scalar_one(),
            "admitted": admitted, "labelled": labelled,
            "open_data": registry.platforms().public.id}


def agrees(seen: dict[str, Any]) -> bool:
    """Anonymous readers and every platform's label find what the decisions admit."""
    return (seen["anonymous"] == seen["public"] == seen["admitted"].get(seen["open_data"], 0)
            and all(seen["labelled"][p] == seen["admitted"].get(p, 0) for p in seen["labelled"]))


def index_labels() -> str:
    """A digest of every indexed dataset's visibility and labels."""
    import sqlalchemy as sa
    from ckan import model

    from ckanext.twin.search import schema

    return model.Session.execute(sa.text(
        f"SELECT md5(coalesce(string_agg(id || ':' || capacity || ':' || array_to_string("
        f"ARRAY(SELECT unnest(permission_labels) ORDER BY 1), ','), ';' ORDER BY id), '')) "
        f"FROM {schema.TABLE} WHERE entity_type = 'package'")).scalar_one()


def apply(template: Template, profile: bool) -> dict[str, Any]:
    """``template`` applied to every municipality and committed, timed; what moved."""
    from ckan import model

    from ckanext.twin.logic.partners import registry as partner_registry
    from ckanext.twin.policy import changes, registry

    policies = bench_policies(template, list(partner_registry()), registry.platforms())
    user = site_context()["user"]

    def change() -> Any:
        applied = changes.apply_policies(model.Session, policies, user, DAY)
        model.repo.commit()
        return applied

    profiler = cProfile.Profile() if profile else None
    seconds, applied = timed(lambda: profiler.runcall(change) if profiler else change())
    if profiler:
        print("    cProfile of the change, 30 most expensive calls by cumulative time",
              flush=True)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    flows = {platform: (len(flow.admitted), len(flow.withdrawn),
                        flow.still_admitted + len(flow.admitted))
             for platform, flow in applied.outcome.flows.items()}
    return {"seconds": seconds, "datasets": applied.outcome.datasets,
            "relabelled": len(applied.outcome.relabelled), "flows": flows,
            "seen": visible()}


def change_in_fresh_process(size: int, ini: Path, keep: bool, profile: bool) -> dict[str, Any]:
    """Part 2 for ``size`` datasets; runs in a spawned process."""
    from ckan import model
    from ckan.cli.db import _run_migrations
    from ckan.lib.search import rebuild

    from ckanext.twin.logic.partners import sync_partners

    database = f"{DATABASE}{size}"
    app = start_ckan(ini, database, PLUGINS, OPTIONS)
    try:
        pooled = model.meta.engine  # as in start_ckan: migrations leave an unpooled engine
        _run_migrations("activity")
        model.meta.engine.dispose()
        model.init_model(pooled)
        logging.getLogger("ckan.lib.search").setLevel(logging.WARNING)  # a line per dataset
        with app._wsgi_app.test_request_context():
            partners = load_partners(PARTNERS_FILE)
            list(sync_partners(partners))
            started = peak_rss_mib()
            seeding = seed(bench_datasets(size, partners))
            ids = seeding.pop("ids")
            seeded = peak_rss_mib()
            before = visible()
            admit = apply(ADMIT, False)
            withdraw = apply(WITHDRAW, profile)
            relabelled = index_labels()

            def reindex() -> None:
                rebuild(package_ids=ids, quiet=True)

            anchor = timed(reindex)[0]
            after_anchor = visible()
            return {"seeding": seeding, "before": before, "admit": admit,
                    "withdraw": withdraw, "anchor": anchor, "after_anchor": after_anchor,
                    "same_labels": index_labels() == relabelled,
                    "rss_started": started, "rss_seeded": seeded, "rss_peak": peak_rss_mib()}
    finally:
        stop_ckan(database, keep)


def report_change(size: int, figures: dict[str, Any]) -> bool:
    """The change against the anchor, and whether every check held."""
    seeding, withdraw, anchor = figures["seeding"], figures["withdraw"], figures["anchor"]
    print()
    line(f"seeding {size:,} datasets", f"schema validation of all {seeding['validation']:.1f} s; "
         f"{seeding['created']} through package_create {seeding['creation']:.1f} s; "
         f"{seeding['inserted']:,} as their rows {seeding['insertion']:.1f} s")
    line("  bulk rows = package_create's rows", f"{seeding['compared']} of {seeding['created']}"
         " datasets compared, every table (package, extras, resources, tags, membership, "
         "activity, decisions)")
    line("  decided without a policy", f"{seeding['deciding']:.1f} s")
    line("  indexed with CKAN's rebuild (batched writes)",
         f"{seeding['indexing']:.1f} s, {seeding['inserted'] / seeding['indexing']:.0f}/s")
    print()
    row(f"policy change, {size:,} datasets", "ours (apply + commit)", "anchor (re-index)",
        "anchor / ours")
    for label, step in (("admit (no policy -> ADMIT)", figures["admit"]),
                        ("withdraw (ADMIT -> WITHDRAW)", withdraw)):
        row(label, f"{step['seconds']:.1f} s, {step['datasets'] / step['seconds']:,.0f}/s",
            f"{anchor:.1f} s, {size / anchor:,.0f}/s" if step is withdraw else "",
            f"{anchor / step['seconds']:.1f}x" if step is withdraw else "")
        row("  relabelled", f"{step['relabelled']:,} datasets", "")
        for platform, (admitted, withdrawn, now) in step["flows"].items():
            row(f"  {platform}", f"+{admitted:,} -{withdrawn:,} = {now:,}", "")
    met = "met" if withdraw["seconds"] < SECONDS_TARGET else "NOT met"
    line("target: a change over 10,000 datasets < 60 s",
         f"{withdraw['seconds']:.1f} s for {size:,}: {met}")
    line("anchor per dataset (package_show + index row)",
         f"{1000 * anchor / size:.1f} ms")
    checks = [("before any policy", figures["before"]), ("after ADMIT", figures["admit"]["seen"]),
              ("after WITHDRAW", withdraw["seen"]), ("after the anchor", figures["after_anchor"])]
    for label, seen in checks:
        line(f"anonymous search {label}",
             f"{seen['anonymous']:,} found, {seen['public']:,} public, "
             f"{seen['admitted'].get(seen['open_data'], 0):,} admitted to {seen['open_data']}; "
             f"labels {'agree' if agrees(seen) else 'DISAGREE'} with the decisions")
    line("index labels after ours = after CKAN's re-index",
         "yes" if figures["same_labels"] else "NO")
    line("peak RSS at the end (before / after seeding)",
         f"{figures['rss_peak']:.0f} MiB ({figures['rss_started']:.0f} / "
         f"{figures['rss_seeded']:.0f})")
    moved = figures["admit"]["seen"]["anonymous"] != withdraw["seen"]["anonymous"]
    return all(agrees(seen) for _, seen in checks) and figures["same_labels"] and moved


def main(argv: Sequence[str] = ()) -> None:
    def rounds_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rounds", type=int, default=5,
                            help="rounds of part 1, the best counts (default 5)")
        parser.add_argument("--decisions-only", action="store_true",
                            help="part 1 only (no CKAN, no database)")

    args = parse_arguments(argv, "bench.policy", __doc__, sizes="10000", unit="datasets",
                           databases=DATABASE, more=rounds_option)
    try:
        sizes = sorted(int(n) for n in args.sizes.split(","))
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1:
        sys.exit(f"bench: --sizes {args.sizes!r}: give positive dataset counts, comma-separated")
    if args.rounds < 1:
        sys.exit(f"bench: --rounds {args.rounds}: give a positive number of rounds")
    partners = load_partners(PARTNERS_FILE)
    platforms = load_platforms(PLATFORMS_FILE)
    policies = load_policies(POLICIES_DIR, [p.id for p in partners], platforms)
    evaluators = {p.id: Evaluator(policies.get(p.id), platforms) for p in partners}
    line("load average at the start (1 min)", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    line("decisions taken as on", DAY.isoformat())
    for size in sizes:
        report_rates(size, decision_rates(bench_datasets(size, partners), evaluators,
                                          args.rounds), args.rounds)
    failed = []
    for size in [] if args.decisions_only else sizes:
        print(f"\n  policy change, {size:,} datasets …", flush=True)
        try:
            figures = in_fresh_process(change_in_fresh_process, size, args.ini, args.keep,
                                       args.profile)
        except BenchFailure as error:
            sys.exit(f"bench: {error}")
        if not report_change(size, figures):
            failed.append(size)
    line("load average at the end (1 min)", f"{os.getloadavg()[0]:.2f}")
    if failed:
        sys.exit(f"bench: what the portal shows disagrees with the decisions at "
                 f"{', '.join(map(str, failed))} datasets (see above)")


if __name__ == "__main__":
    main(sys.argv[1:])
