"""ODRL 2.2 JSON-LD export and import: the round trip, the encoding, and refused documents."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ckanext.twin.policy.model import PolicyError
from ckanext.twin.policy.odrl import from_odrl, to_odrl
from ckanext.twin.policy.reader import load_policies, parse_policy

POLICIES = Path(__file__).resolve().parents[2] / "config" / "policies"
BASE = "http://127.0.0.1:5000"
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
TWIN = "https://w3id.org/ckanext-twin/odrl#"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"

NEUFAHRN_LIKE = """\
municipality: neufahrn
conflict: perm
rules:
  - id: geo
    platform: geoportal
    effect: permit
    match: any
    when:
      theme: {isAnyOf: [REGI, ENVI]}
      area: {isPartOf: ["091780145"]}
      embargo: {gteq: P14D}
  - id: tempus-one
    platform: tempus
    effect: permit
    match: one
    when:
      theme: {isAnyOf: [TRAN]}
      classification: {isAnyOf: [public]}
  - id: no-personal
    platform: geoportal
    effect: prohibit
    when:
      personal_data: {eq: true}
  - platform: opendata
    effect: permit
    when: {}
"""


@pytest.fixture
def policy(platforms, partner_ids):
    return parse_policy(NEUFAHRN_LIKE, "neufahrn.yaml", partner_ids, platforms, "neufahrn")


@pytest.fixture
def document(policy, platforms) -> dict[str, Any]:
    return to_odrl(policy, platforms, 7, BASE + "/")


@pytest.mark.parametrize("stem", sorted(path.stem for path in POLICIES.glob("*.yaml")))
def test_every_shipped_policy_survives_the_round_trip(stem, platforms, partner_ids) -> None:
    policy = load_policies(POLICIES, partner_ids, platforms)[stem]
    document = to_odrl(policy, platforms, 1, BASE)
    text = json.dumps(document)
    back = from_odrl(json.loads(text), f"{stem}.jsonld", partner_ids, platforms)
    assert back.digest == policy.digest
    assert sorted(back.to_dict()["rules"], key=lambda r: r["id"]) == \
        sorted(policy.to_dict()["rules"], key=lambda r: r["id"])
    assert to_odrl(back, platforms, 1, BASE) == document


def test_the_encoding(document, policy) -> None:
    assert document["@context"] == [ODRL_CONTEXT, {"twin": TWIN}]
    assert document["@type"] == "Set"
    assert document["uid"] == f"{BASE}/policy/neufahrn/7"
    assert document["profile"] == "https://w3id.org/ckanext-twin/odrl"
    assert document["conflict"] == "perm"
    assert document["assigner"] == f"{BASE}/organization/neufahrn"
    assert document["target"] == {"@type": "AssetCollection",
                                  "uid": f"{BASE}/organization/neufahrn"}
    geo, one, opendata = document["permission"]
    assert geo == {
        "uid": f"{BASE}/policy/neufahrn/7#geo", "assignee": "https://geoportal.muenchen.de",
        "action": "use",
        "constraint": [
            {"or": {"@list": [
                {"leftOperand": "twin:theme", "operator": "isAnyOf",
                 "rightOperand": [{"@id": THEME + "ENVI"}, {"@id": THEME + "REGI"}]},
                {"leftOperand": "spatial", "operator": "isPartOf",
                 "rightOperand": [{"@id": "http://dcat-ap.de/def/politicalGeocoding/"
                                          "regionalKey/091780145"}]}]}},
            {"leftOperand": "dateTime", "operator": "gteq",
             "rightOperandReference": "twin:embargoDate",
             "twin:delay": {"@value": "P14D",
                            "@type": "http://www.w3.org/2001/XMLSchema#duration"}}]}
    assert one["constraint"] == [{"xone": {"@list": [
        {"leftOperand": "twin:theme", "operator": "isAnyOf",
         "rightOperand": [{"@id": THEME + "TRAN"}]},
        {"leftOperand": "twin:classification", "operator": "isAnyOf",
         "rightOperand": [{"@id": "twin:public"}]}]}}]
    assert opendata == {"uid": f"{BASE}/policy/neufahrn/7#rule-4",
                        "assignee": "https://opendata.muenchen.de", "action": "distribute"}
    assert document["prohibition"] == [{
        "uid": f"{BASE}/policy/neufahrn/7#no-personal",
        "assignee": "https://geoportal.muenchen.de", "action": "use",
        "constraint": [{"leftOperand": "twin:personalData", "operator": "eq",
                        "rightOperand": True}]}]


def test_parse_policy_takes_json_ld_text(document, policy, platforms, partner_ids) -> None:
    text = json.dumps(document, indent=1)
    read = parse_policy(text, "upload.jsonld", partner_ids, platforms, "neufahrn")
    assert read.digest == policy.digest
    assert (read.text, read.source) == (text, "upload.jsonld")
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "upload.jsonld", partner_ids, platforms, "garching")
    assert raised.value.problems == [
        'upload.jsonld: assigner: the policy is for "neufahrn", not for "garching"']


def test_duplicate_keys_in_json_ld(platforms, partner_ids) -> None:
    text = '{"@context": "http://www.w3.org/ns/odrl.jsonld", "conflict": "perm", ' \
           '"conflict": "prohibit"}'
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "upload.jsonld", partner_ids, platforms)
    assert raised.value.problems == ["upload.jsonld: key 'conflict' appears twice in one object"]


def test_a_logical_and_reads_as_match_all(document, platforms, partner_ids) -> None:
    changed = copy.deepcopy(document)
    changed["permission"][0]["constraint"][0] = {"and": [
        changed["permission"][0]["constraint"][0]["or"]["@list"][0]]}
    rule = from_odrl(changed, "x.jsonld", partner_ids, platforms).rules[0]
    assert (rule.id, rule.match, [c.term for c in rule.constraints]) == \
        ("geo", "all", ["theme", "embargo"])


def test_full_iris_read_like_compact_ones(document, platforms, partner_ids, policy) -> None:
    changed = copy.deepcopy(document)
    changed["conflict"] = "http://www.w3.org/ns/odrl/2/perm"
    changed["prohibition"][0]["constraint"][0]["leftOperand"] = TWIN + "personalData"
    changed["prohibition"][0]["constraint"][0]["operator"] = "odrl:eq"
    assert from_odrl(changed, "x.jsonld", partner_ids, platforms).digest == policy.digest


P0 = "permission[0]"
DELETE = object()


def _set(path: list[Any], value: Any) -> Any:
    """A change of the document: the value at ``path`` set, appended or (DELETE) removed."""
    def change(document: dict[str, Any]) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        elif isinstance(target, list) and path[-1] == len(target):
            target.append(value)
        else:
            target[path[-1]] = value
    return change


OR = ["permission", 0, "constraint", 0, "or", "@list"]


@pytest.mark.parametrize("change, problem", [
    (_set(["@context"], [ODRL_CONTEXT, "https://evil.example/context.jsonld"]),
     '@context[1]: remote context "https://evil.example/context.jsonld" is not fetched: '
     f"only {ODRL_CONTEXT} is known (define prefixes inline)"),
    (_set(["@context"], "https://evil.example/context.jsonld"),
     f"@context: must include {ODRL_CONTEXT}"),
    (_set(["@context", 1, "twin"], "https://evil.example/#"),
     f'@context[1].twin: only the prefix "twin": "{TWIN}" may be defined here'),
    (_set(["conflict"], DELETE),
     "conflict: missing: ODRL's default \"invalid\" would void the whole policy; give "
     '"prohibit" or "perm"'),
    (_set(["conflict"], "invalid"),
     'conflict: "invalid" voids the whole policy: give "prohibit" or "perm"'),
    (_set(["profile"], DELETE), "profile: missing"),
    (_set(["@type"], "Offer"), '@type: must be "Set", got "Offer"'),
    (_set(["obligation"], []),
     "obligation: unknown key (allowed: @context, @type, uid, profile, conflict, assigner, "
     "target, permission, prohibition)"),
    (_set(["assigner"], f"{BASE}/organization/gotham"),
     '''assigner: "gotham" is no partner (partners: muenchen, eching, garching, hallbergmoos, '''
     "ismaning, neufahrn, oberschleissheim, unterschleissheim, haimhausen, nuernberg, "
     "augsburg)"),
    (_set(["assigner"], "https://evil.example/neufahrn"),
     '''assigner: "https://evil.example/neufahrn" is no organization of the portal '''
     "(<portal>/organization/<partner id>)"),
    (_set(["target", "uid"], f"{BASE}/organization/muenchen"),
     f"target: must be the assigner's datasets, {BASE}/organization/neufahrn"),
    (_set(["permission", 0, "assignee"], "https://evil.example"),
     f'{P0}.assignee: unknown assignee "https://evil.example" (platforms: '
     "https://opendata.muenchen.de (opendata), https://digitaler-zwilling.muenchen.de "
     "(digital-twin), https://geoportal.muenchen.de (geoportal), https://tempus.muenchen.de "
     "(tempus), https://datenraum.muenchen.de (partner-space))"),
    (_set(["permission", 0, "action"], "distribute"),
     f'{P0}.action: "distribute" does not fit https://geoportal.muenchen.de ("geoportal"), '
     "whose action is use"),
    (_set(["permission", 0, "duty"], []),
     f"{P0}.duty: unknown key (allowed: uid, assignee, action, constraint)"),
    (_set(["permission", 0, "uid"], f"{BASE}/policy/neufahrn/7"),
     f'{P0}.uid: "{BASE}/policy/neufahrn/7" must end in #<rule id> (1-60 lowercase letters, '
     "digits or -)"),
    (_set([*OR, 0, "leftOperand"], "purpose"),
     f'{P0}.constraint[0].or.@list[0].leftOperand: unknown leftOperand "purpose" (allowed: '
     "twin:accessRights, twin:license, twin:theme, spatial, dateTime, twin:personalData, "
     "twin:classification)"),
    (_set([*OR, 1, "operator"], "isAnyOf"),
     f'{P0}.constraint[0].or.@list[1].operator: unknown operator "isAnyOf" for spatial '
     "(allowed: isPartOf)"),
    (_set([*OR, 1, "unit"], "km"),
     f"{P0}.constraint[0].or.@list[1].unit: unknown key (allowed: leftOperand, operator, "
     "rightOperand, rightOperandReference, twin:delay)"),
    (_set([*OR, 0, "rightOperand", 1], {"@id": THEME + "SPACE"}),
     f'{P0}.constraint[0].or.@list[0].rightOperand[1]: unknown theme "{THEME}SPACE" '
     "(allowed: AGRI, ECON, EDUC, ENER, ENVI, GOVE, HEAL, INTR, JUST, REGI, SOCI, TECH, "
     "TRAN or their URIs)"),
    (_set([*OR, 0, "rightOperand", 1], THEME + "ENVI"),
     f'{P0}.constraint[0].or.@list[0].rightOperand[1]: must be {{"@id": "<IRI>"}}'),
    (_set([*OR, 1, "rightOperand", 0], {"@id": "http://dcat-ap.de/def/politicalGeocoding/"
                                               "regionalKey/0917801"}),
     f'{P0}.constraint[0].or.@list[1].rightOperand[0]: area "0917801" is no '
     "Regionalschlüssel prefix: 2, 3, 5, 9 or 12 digits (Land, Regierungsbezirk, Kreis, "
     'Verband, Gemeinde), e.g. "09162"'),
    (_set([*OR, 2], {"and": []}), f"{P0}.constraint[0].or.@list[2]: logical constraints "
                                  "cannot be nested"),
    (_set(OR[:-1], []), f"{P0}.constraint[0].or: must list the constraints it combines"),
    (_set(["permission", 0, "constraint", 1, "twin:delay", "@value"], "P2W"),
     f'{P0}.constraint[1].twin:delay: embargo "P2W" is no delay in days: write P<n>D with n '
     "from 0 to 3650, e.g. P30D"),
    (_set(["permission", 0, "constraint", 1, "rightOperandReference"], "twin:modified"),
     f"{P0}.constraint[1].rightOperandReference: must be twin:embargoDate"),
    (_set(["permission", 0, "constraint", 1, "rightOperand"], "2025-01-01"),
     f"{P0}.constraint[1].rightOperand: not used with dateTime"),
    (_set(["prohibition", 0, "constraint", 0, "rightOperand"], "true"),
     "prohibition[0].constraint[0].rightOperand: must be true or false"),
    (_set(["prohibition", 0, "constraint", 1], {
        "leftOperand": "dateTime", "operator": "gteq",
        "rightOperandReference": "twin:embargoDate", "twin:delay": "P1D"}),
     "prohibition[0].constraint[1]: embargo only delays permissions; a prohibition cannot "
     "carry it"),
    (_set(["prohibition", 0, "constraint", 1], {
        "leftOperand": "twin:personalData", "operator": "eq", "rightOperand": False}),
     "prohibition[0].constraint[1]: personal_data is constrained twice in one rule (first "
     "at prohibition[0].constraint[0])"),
    (_set(["permission", 1, "constraint", 0, "xone", "@list"], [
        {"leftOperand": "twin:theme", "operator": "isAnyOf",
         "rightOperand": [{"@id": THEME + "TRAN"}]}]),
     "permission[1].constraint: xone needs at least two constraints besides the embargo"),
    (_set(["permission", 2, "uid"], f"{BASE}/policy/neufahrn/7#geo"),
     'permission[2].uid: rule id "geo" is already used by permission[0]'),
])
def test_refused_documents_name_the_json_path(document, platforms, partner_ids, change,
                                              problem) -> None:
    changed = copy.deepcopy(document)
    change(changed)
    with pytest.raises(PolicyError) as raised:
        from_odrl(changed, "neufahrn.jsonld", partner_ids, platforms)
    assert raised.value.problems == [f"neufahrn.jsonld: {problem}"]


def test_every_problem_of_a_document_is_reported(document, platforms, partner_ids) -> None:
    changed = copy.deepcopy(document)
    changed["conflict"] = "invalid"
    changed["permission"][1]["assignee"] = "https://evil.example/"
    changed["prohibition"][0]["constraint"][0]["leftOperand"] = "twin:owner"
    with pytest.raises(PolicyError) as raised:
        from_odrl(changed, "neufahrn.jsonld", partner_ids, platforms)
    assert [line.split(": ")[1] for line in raised.value.problems] == [
        "conflict", "permission[1].assignee", "prohibition[0].constraint[0].leftOperand"]


def test_a_document_that_is_no_object(platforms, partner_ids) -> None:
    with pytest.raises(PolicyError) as raised:
        from_odrl([], "x.jsonld", partner_ids, platforms)  # type: ignore[arg-type]
    assert raised.value.problems == ["x.jsonld: (document): must be a JSON object"]
