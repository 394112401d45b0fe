"""Reading policy files: canonical values, digests, and every bad input with FILE:LINE."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckanext.twin.policy.model import Constraint, PolicyError, Rule
from ckanext.twin.policy.platforms import Platforms
from ckanext.twin.policy.reader import load_policies, parse_policy

AR = "http://publications.europa.eu/resource/authority/access-right/"
LIC = "http://dcat-ap.de/def/licenses/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"

GARCHING = """\
# Zugriffsrichtlinie der Stadt Garching
municipality: garching
conflict: prohibit
rules:
  - id: offene-daten
    platform: opendata
    effect: permit
    when:
      personal_data: {eq: false}
      license: {isAnyOf: [dl-zero-de/2.0, dl-by-de/2.0]}
      access_rights: {isAnyOf: [PUBLIC]}
  - platform: tempus
    effect: permit
    match: any
    when:
      theme: {isAnyOf: [TRAN, ENVI]}
      area: {isPartOf: ["09184", "09162"]}
      embargo: {gteq: P30D}
  - platform: opendata
    effect: prohibit
    when:
      classification: {isAnyOf: [secret, internal]}
"""

# The same policy: other comments, layout, key and rule order, URIs for codes, defaults
# written out.
GARCHING_AGAIN = f"""\
municipality: garching
rules:
  - platform: opendata
    id: rule-3
    action: distribute
    effect: prohibit
    when: {{classification: {{isAnyOf: [internal, secret]}}}}
  - id: rule-2
    platform: tempus
    effect: permit
    match: any
    when:
      embargo: {{gteq: P30D}}
      area: {{isPartOf: ["09162", "09184"]}}
      theme: {{isAnyOf: ["{THEME}ENVI", TRAN]}}
  - id: offene-daten
    platform: opendata
    match: all
    effect: permit
    when:
      access_rights: {{isAnyOf: ["{AR}PUBLIC"]}}
      license: {{isAnyOf: ["{LIC}dl-by-de/2.0", dl-zero-de/2.0]}}
      personal_data: {{eq: false}}
conflict: prohibit
"""


def parse(text: str, platforms: Platforms, partners: list[str], source: str = "garching.yaml",
          municipality: str | None = "garching"):
    return parse_policy(text, source, partners, platforms, municipality)


def test_a_policy_reads_into_canonical_rules(platforms, partner_ids) -> None:
    policy = parse(GARCHING, platforms, partner_ids)
    assert (policy.municipality, policy.conflict, policy.source) == ("garching", "prohibit",
                                                                     "garching.yaml")
    assert policy.text == GARCHING
    assert policy.rules == (
        Rule("offene-daten", "opendata", "permit", "distribute", "all", (
            Constraint("access_rights", "isAnyOf", (AR + "PUBLIC",), 11),
            Constraint("license", "isAnyOf", (LIC + "dl-by-de/2.0", LIC + "dl-zero-de/2.0"), 10),
            Constraint("personal_data", "eq", False, 9)), 5),
        Rule("rule-2", "tempus", "permit", "use", "any", (
            Constraint("theme", "isAnyOf", (THEME + "ENVI", THEME + "TRAN"), 16),
            Constraint("area", "isPartOf", ("09162", "09184"), 17),
            Constraint("embargo", "gteq", 30, 18)), 12),
        Rule("rule-3", "opendata", "prohibit", "distribute", "all", (
            Constraint("classification", "isAnyOf", ("internal", "secret"), 22),), 19))


def test_to_dict_is_the_yaml_shape_with_canonical_values(platforms, partner_ids) -> None:
    document = parse(GARCHING, platforms, partner_ids).to_dict()
    assert document["rules"][1] == {
        "id": "rule-2", "platform": "tempus", "effect": "permit", "action": "use",
        "match": "any", "when": {"theme": {"isAnyOf": [THEME + "ENVI", THEME + "TRAN"]},
                                 "area": {"isPartOf": ["09162", "09184"]},
                                 "embargo": {"gteq": "P30D"}}}
    assert document["rules"][0]["when"]["personal_data"] == {"eq": False}
    assert json.loads(json.dumps(document)) == document


def test_equal_policies_have_equal_digests(platforms, partner_ids) -> None:
    first = parse(GARCHING, platforms, partner_ids)
    again = parse(GARCHING_AGAIN, platforms, partner_ids)
    assert first.digest == again.digest
    assert len(first.digest) == 64 and int(first.digest, 16) >= 0
    as_json = json.dumps(first.to_dict(), indent=2)
    assert parse(as_json, platforms, partner_ids).digest == first.digest
    changed = parse(GARCHING.replace("P30D", "P31D"), platforms, partner_ids)
    assert changed.digest != first.digest
    perm = parse(GARCHING.replace("conflict: prohibit", "conflict: perm"), platforms,
                 partner_ids)
    assert perm.digest != first.digest


def test_json_text_reads_with_its_lines(platforms, partner_ids) -> None:
    text = ('{"municipality": "garching", "conflict": "perm",\n'
            ' "rules": [{"platform": "opendata", "effect": "permit",\n'
            '            "when": {"area": {"isPartOf": [9184]}}}]}')
    with pytest.raises(PolicyError) as raised:
        parse(text, platforms, partner_ids, "upload.json")
    assert raised.value.problems == [
        'upload.json:3: rule #1: when: area: write the prefix quoted, "9184": an unquoted '
        "number loses its leading zero"]


def test_an_empty_rule_list_is_a_policy_that_admits_nothing(platforms, partner_ids) -> None:
    policy = parse("municipality: garching\nconflict: perm\nrules: []\n", platforms,
                   partner_ids)
    assert policy.rules == ()


RULE = """\
municipality: garching
conflict: prohibit
rules:
  - id: r
    platform: tempus
    effect: permit
    when:
      {when}
"""
ALL_THEMES = "AGRI, ECON, EDUC, ENER, ENVI, GOVE, HEAL, INTR, JUST, REGI, SOCI, TECH, TRAN"


@pytest.mark.parametrize("when, line, message", [
    ("themes: {isAnyOf: [TRAN]}", 8,
     'rule "r": when: unknown term "themes" (allowed: access_rights, license, theme, area, '
     "embargo, personal_data, classification)"),
    ("theme: {isAllOf: [TRAN]}", 8,
     'rule "r": when: theme: unknown operator "isAllOf" (allowed: isAnyOf, isNoneOf)'),
    ("theme: {isAnyOf: [TRAN], isNoneOf: [GOVE]}", 8,
     'rule "r": when: theme: give exactly one operator, as {operator: value} '
     "(allowed: isAnyOf, isNoneOf)"),
    ("theme: {isAnyOf: [TRAFFIC]}", 8,
     f'rule "r": when: theme: unknown theme "TRAFFIC" (allowed: {ALL_THEMES} or their URIs)'),
    ("theme: {isAnyOf: [OP_DATPRO]}", 8,
     f'rule "r": when: theme: unknown theme "OP_DATPRO" (allowed: {ALL_THEMES} or their URIs)'),
    ("theme: {isAnyOf: TRAN}", 8,
     'rule "r": when: theme: give a list of values, e.g. [...]'),
    ("theme: {isAnyOf: []}", 8, 'rule "r": when: theme: give a list of values, e.g. [...]'),
    ("theme: {isAnyOf: [TRAN, TRAN]}", 8, 'rule "r": when: theme: "TRAN" is listed twice'),
    ("access_rights: {isAnyOf: [public]}", 8,
     'rule "r": when: access_rights: unknown access right "public" (allowed: NON_PUBLIC, '
     "PUBLIC, RESTRICTED or their URIs)"),
    ("access_rights: {isAnyOf: [PUBLIC, " + AR + "PUBLIC]}", 8,
     f'rule "r": when: access_rights: "{AR}PUBLIC" is listed twice'),
    ("license: {isAnyOf: [dl-by-de/3.0]}", 8,
     'rule "r": when: license: unknown licence "dl-by-de/3.0" (allowed: apache, bsd, cc-by, '
     "cc-by-de/3.0, cc-by-nc, cc-by-nc-de/3.0, cc-by-nc/4.0, cc-by-nd, cc-by-nd/3.0, "
     "cc-by-nd/4.0, cc-by-sa, cc-by-sa-de/3.0, cc-by-sa/4.0, cc-by/4.0, cc-zero, ccpdm/1.0, "
     "dl-by-de/1.0, dl-by-de/2.0, dl-by-nc-de/1.0, dl-zero-de/2.0, geoNutz/20131001, "
     "geonutz/20130319, gfdl, gpl/3.0, mozilla, odbl, odby, odcpddl, officialWork, "
     "other-closed, other-commercial, other-freeware, other-open, other-opensource "
     "or their URIs)"),
    ("license: {isAnyOf: [" + LIC + "cc-by/4_0]}", 8,
     f'rule "r": when: license: unknown licence "{LIC}cc-by/4_0" (allowed: apache, bsd, '
     "cc-by, cc-by-de/3.0, cc-by-nc, cc-by-nc-de/3.0, cc-by-nc/4.0, cc-by-nd, cc-by-nd/3.0, "
     "cc-by-nd/4.0, cc-by-sa, cc-by-sa-de/3.0, cc-by-sa/4.0, cc-by/4.0, cc-zero, ccpdm/1.0, "
     "dl-by-de/1.0, dl-by-de/2.0, dl-by-nc-de/1.0, dl-zero-de/2.0, geoNutz/20131001, "
     "geonutz/20130319, gfdl, gpl/3.0, mozilla, odbl, odby, odcpddl, officialWork, "
     "other-closed, other-commercial, other-freeware, other-open, other-opensource "
     "or their URIs)"),
    ("area: {isPartOf: [9162]}", 8,
     'rule "r": when: area: write the prefix quoted, "9162": an unquoted number loses its '
     "leading zero"),
    ("area: {isPartOf: [09162]}", 8,
     'rule "r": when: area: write the prefix quoted, "09162": an unquoted number loses its '
     "leading zero"),
    ('area: {isPartOf: ["0916"]}', 8,
     'rule "r": when: area: area "0916" is no Regionalschlüssel prefix: 2, 3, 5, 9 or 12 '
     'digits (Land, Regierungsbezirk, Kreis, Verband, Gemeinde), e.g. "09162"'),
    ('area: {isAnyOf: ["09162"]}', 8,
     'rule "r": when: area: unknown operator "isAnyOf" (allowed: isPartOf)'),
    ("embargo: {gteq: 30}", 8, 'rule "r": when: embargo: value must be text, quote it: "30"'),
    ("embargo: {gteq: P3651D}", 8,
     'rule "r": when: embargo: embargo "P3651D" is no delay in days: write P<n>D with n from '
     "0 to 3650, e.g. P30D"),
    ("embargo: {gteq: P1M}", 8,
     'rule "r": when: embargo: embargo "P1M" is no delay in days: write P<n>D with n from '
     "0 to 3650, e.g. P30D"),
    ('personal_data: {eq: "false"}', 8,
     "rule \"r\": when: personal_data: write true or false (unquoted), got 'false'"),
    ("personal_data: {eq: no}", 8,
     "rule \"r\": when: personal_data: write true or false (unquoted), got 'no'"),
    ("classification: {isAnyOf: [intern]}", 8,
     'rule "r": when: classification: unknown classification "intern" (allowed: public, '
     "internal, confidential, secret)"),
    ("theme: {isAnyOf: [TRAN]}\n      theme: {isAnyOf: [ENVI]}", 9,
     'rule "r": when: term "theme" appears twice'),
])
def test_bad_terms_name_file_and_line(platforms, partner_ids, when, line, message) -> None:
    with pytest.raises(PolicyError) as raised:
        parse(RULE.format(when=when), platforms, partner_ids)
    assert raised.value.problems == [f"garching.yaml:{line}: {message}"]
    assert str(raised.value) == f"garching.yaml:{line}: {message}"


@pytest.mark.parametrize("text, problems", [
    ("municipality: eching\nconflict: perm\nrules: []\n",
     ['1: municipality "eching" does not match "garching", the municipality this policy is '
      "for (a policy file is named after it)"]),
    ("municipality: gotham\nconflict: perm\nrules: []\n",
     ['1: municipality "gotham" is no partner (partners: muenchen, eching, garching, '
      "hallbergmoos, ismaning, neufahrn, oberschleissheim, unterschleissheim, haimhausen, "
      "nuernberg, augsburg)"]),
    ("municipality: garching\nrules: []\n",
     ["1: conflict is missing: ODRL's default \"invalid\" would void the whole policy; write "
      "conflict: prohibit (a prohibition wins over a permission) or conflict: perm "
      "(a permission wins)"]),
    ("municipality: garching\nconflict: invalid\nrules: []\n",
     ['2: conflict "invalid" voids the whole policy in ODRL: write prohibit or perm']),
    ("municipality: garching\nconflict: deny\nrules: []\n",
     ['2: unknown conflict "deny" (allowed: prohibit, perm)']),
    ("municipality: garching\nconflict: perm\nconflict: prohibit\nrules: []\n",
     ["3: the policy: key 'conflict' appears twice"]),
    ("municipality: garching\nconflict: perm\n",
     ["1: rules is missing: list the rules (rules: [] admits nothing)"]),
    ("municipality: garching\nconflict: perm\nrules: []\nversion: 2\n",
     ["4: the policy: unknown key 'version' (allowed: municipality, conflict, rules)"]),
    ("municipality: garching\nconflict: perm\nrules: {a: 1}\n",
     ["3: rules must be a list of rules"]),
    ("", ["1: the policy is empty"]),
    ("municipality: garching\nconflict: [perm\n", ["3: malformed YAML: expected ',' or ']', "
                                                   "but got '<stream end>' (while parsing a flow "
                                                   "sequence from line 2)"]),
    ("- a\n- b\n", ["1: the policy must be a mapping of keys to values"]),
])
def test_bad_policies_name_file_and_line(platforms, partner_ids, text, problems) -> None:
    with pytest.raises(PolicyError) as raised:
        parse(text, platforms, partner_ids)
    assert raised.value.problems == [f"garching.yaml:{problem}" for problem in problems]


BAD_RULES = """\
municipality: garching
conflict: prohibit
rules:
  - id: twin
    platform: digital-twin
    effect: permit
    action: distribute
    when: {}
  - id: twin
    platform: geoportal
    effect: permit
    when: {}
  - id: Twin
    platform: tempos
    effect: allow
    when: {}
  - platform: opendata
    effect: permit
    match: any
    when: {theme: {isAnyOf: [TRAN]}, embargo: {gteq: P1D}}
  - platform: opendata
    effect: permit
    match: some
    when: {}
  - platform: opendata
    effect: prohibit
    when: {embargo: {gteq: P1D}}
  - platform: opendata
    when: {}
  - platform: opendata
    effect: permit
    when: {}
    unless: {}
  - id: twin
    platform: partner-space
    effect: permit
    when: {theme: {isAnyOf: [TRAN]}, area: {isPartOf: ["091"]}}
"""


def test_every_problem_of_a_file_is_reported(platforms, partner_ids) -> None:
    with pytest.raises(PolicyError) as raised:
        parse(BAD_RULES, platforms, partner_ids)
    assert raised.value.problems == [
        'garching.yaml:7: rule "twin": action "distribute" does not fit platform '
        '"digital-twin", whose action is use (leave action out)',
        'garching.yaml:13: rule "Twin": id "Twin" must be 1-60 lowercase letters, digits or -',
        'garching.yaml:14: rule "Twin": unknown platform "tempos" (platforms: opendata, '
        "digital-twin, geoportal, tempus, partner-space)",
        'garching.yaml:15: rule "Twin": unknown effect "allow" (allowed: permit, prohibit)',
        "garching.yaml:19: rule #4: match: any needs at least two terms in when besides "
        "embargo (with fewer, leave match out)",
        'garching.yaml:23: rule #5: unknown match "some" (allowed: all, any, one)',
        "garching.yaml:27: rule #6: when: embargo only delays permissions; a prohibition "
        "cannot carry it",
        "garching.yaml:28: rule #7: missing effect",
        "garching.yaml:33: rule #8: unknown key 'unless' (allowed: id, platform, effect, "
        "action, match, when)",
        'garching.yaml:34: rule id "twin" is already used by the rule on line 9',
    ]
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_a_rule_id_the_default_numbering_takes_is_a_duplicate(platforms, partner_ids) -> None:
    text = RULE.format(when="{}").replace("id: r", "id: rule-2") + \
        "  - platform: opendata\n    effect: permit\n    when: {}\n"
    with pytest.raises(PolicyError) as raised:
        parse(text, platforms, partner_ids)
    assert raised.value.problems == [
        'garching.yaml:9: rule id "rule-2" is already used by the rule on line 4']


def test_a_file_loaded_from_a_folder(tmp_path: Path, platforms, partner_ids) -> None:
    (tmp_path / "garching.yaml").write_text(GARCHING, encoding="utf-8")
    (tmp_path / "README.md").write_text("# not a policy\n", encoding="utf-8")
    policies = load_policies(tmp_path, partner_ids, platforms)
    assert list(policies) == ["garching"]
    assert policies["garching"].source == str(tmp_path / "garching.yaml")
    assert policies["garching"].digest == parse(GARCHING, platforms, partner_ids).digest


def test_problems_of_all_files_at_once(tmp_path: Path, platforms, partner_ids) -> None:
    (tmp_path / "garching.yaml").write_text(GARCHING.replace("conflict: prohibit\n", ""),
                                            encoding="utf-8")
    (tmp_path / "eching.yaml").write_text(GARCHING, encoding="utf-8")
    (tmp_path / "gotham.yaml").write_text(GARCHING, encoding="utf-8")
    (tmp_path / "muenchen.yaml").write_bytes(b"municipality: m\xfcnchen\n")
    with pytest.raises(PolicyError) as raised:
        load_policies(tmp_path, partner_ids, platforms)
    partners = ", ".join(partner_ids)
    assert raised.value.problems == [
        f'{tmp_path}/eching.yaml:2: municipality "garching" does not match "eching", the '
        "municipality this policy is for (a policy file is named after it)",
        f"{tmp_path}/garching.yaml:2: conflict is missing: ODRL's default \"invalid\" would "
        "void the whole policy; write conflict: prohibit (a prohibition wins over a "
        "permission) or conflict: perm (a permission wins)",
        f'{tmp_path}/gotham.yaml:1: no partner "gotham": a policy file is named after its '
        f"municipality (partners: {partners})",
        f"{tmp_path}/muenchen.yaml:1: cannot read: 'utf-8' codec can't decode byte 0xfc in "
        "position 15: invalid start byte",
    ]


def test_not_a_folder(tmp_path: Path, platforms, partner_ids) -> None:
    with pytest.raises(PolicyError) as raised:
        load_policies(tmp_path / "missing", partner_ids, platforms)
    assert raised.value.problems == [f"{tmp_path / 'missing'}: not a directory of policies"]
