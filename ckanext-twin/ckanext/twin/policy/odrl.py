"""Policies as ODRL 2.2 JSON-LD, and ODRL documents back into policies.

The export lets other data spaces read what a municipality allows; the import lets a
municipality maintain its policy in an ODRL tool. Import is strict where ODRL engines are
lax: a remote ``@context`` is never fetched (it could redefine every term), a missing
``conflict`` is refused instead of defaulting to ``invalid`` (which voids the policy), and
an unknown leftOperand, operator or key is an error, never silently dropped: dropping a
constraint widens a permission.

Encoding (profile ``twin:`` = ``https://w3id.org/ckanext-twin/odrl#``): one ``Set`` per
municipality; ``assigner`` the organization, ``target`` its datasets as an
``AssetCollection``, ``assignee`` the platform's URL; a rule's id is its uid's fragment;
``match: all`` is the plain constraint list, ``any``/``one`` an ``or``/``xone`` logical
constraint beside the embargo (which always applies in addition).
"""
from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, NoReturn

from ckanext.twin.policy.model import (CONFLICTS, RULE_ID, Constraint, Failed, Gatherer, Policy,
                                       PolicyError, Problem, Rule)
from ckanext.twin.policy.terms import (BY_LEFT_OPERAND, DELAY, EMBARGO_REFERENCE, ODRL_CONTEXT,
                                       TERM_ORDER, TERMS, TWIN, TWIN_PROFILE, Term, compact,
                                       read_delay, write_delay)

if TYPE_CHECKING:
    from ckanext.twin.policy.platforms import Platform, Platforms

XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
LOGICAL = {"all": "and", "any": "or", "one": "xone"}
MATCH_OF = {operator: match for match, operator in LOGICAL.items()}
_ORGANIZATION = re.compile(r"(https?://.+)/organization/([^/#?]+)")
_TOP_KEYS = ("@context", "@type", "uid", "profile", "conflict", "assigner", "target",
             "permission", "prohibition")
_RULE_KEYS = ("uid", "assignee", "action", "constraint")


def to_odrl(policy: Policy, platforms: Platforms, version: int, base_url: str) -> dict[str, Any]:
    """The policy as an ODRL 2.2 ``Set`` (JSON-LD), version ``version`` of the portal at
    ``base_url``."""
    base = base_url.rstrip("/")
    uid = f"{base}/policy/{policy.municipality}/{version}"
    organization = f"{base}/organization/{policy.municipality}"
    lists: dict[str, list[dict[str, Any]]] = {"permit": [], "prohibit": []}
    for rule in policy.rules:
        entry: dict[str, Any] = {"uid": f"{uid}#{rule.id}",
                                 "assignee": platforms[rule.platform].url,
                                 "action": rule.action}
        constraints = _constraints(rule)
        if constraints:
            entry["constraint"] = constraints
        lists[rule.effect].append(entry)
    return {"@context": [ODRL_CONTEXT, {"twin": TWIN}], "@type": "Set", "uid": uid,
            "profile": TWIN_PROFILE, "conflict": policy.conflict, "assigner": organization,
            "target": {"@type": "AssetCollection", "uid": organization},
            "permission": lists["permit"], "prohibition": lists["prohibit"]}


def _constraints(rule: Rule) -> list[dict[str, Any]]:
    if rule.match == "all":
        return [_constraint(c) for c in rule.constraints]
    combined = [_constraint(c) for c in rule.constraints if c.term != "embargo"]
    embargo = [_constraint(c) for c in rule.constraints if c.term == "embargo"]
    return [{LOGICAL[rule.match]: {"@list": combined}}, *embargo]


def _constraint(constraint: Constraint) -> dict[str, Any]:
    term = TERMS[constraint.term]
    encoded: dict[str, Any] = {"leftOperand": term.left_operand, "operator": constraint.operator}
    if term.kind == "days":
        encoded["rightOperandReference"] = EMBARGO_REFERENCE
        encoded[DELAY] = {"@value": write_delay(int(constraint.values)), "@type": XSD_DURATION}
    elif term.kind == "flag":
        encoded["rightOperand"] = bool(constraint.values)
    else:
        assert term.to_iri is not None
        encoded["rightOperand"] = [{"@id": term.to_iri(value)}
                                   for value in constraint.values]  # type: ignore[union-attr]
    return encoded


class _OdrlReader(Gatherer):
    """Reads an ODRL document, recording every problem as ``SOURCE: json.path: message``."""

    def __init__(self, source: str, partners: Collection[str], platforms: Platforms) -> None:
        self.source = source
        self.partners = partners
        self.platforms = platforms
        self.problems: list[str] = []

    def at(self, path: str, message: str) -> str:
        return f"{self.source}: {path or '(document)'}: {message}"

    def fail(self, path: str, message: str) -> NoReturn:
        raise Problem(self.at(path, message))

    def keys(self, value: Any, path: str, allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "must be a JSON object")
        for key in value:
            if key not in allowed:
                self.fail(_at(path, key), f"unknown key (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                self.fail(_at(path, key), "missing")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
        return value.strip()

    # -- the policy --------------------------------------------------------------------------

    def policy(self, document: Any) -> Policy | None:
        top = self.attempt(lambda: self.keys(document, "", _TOP_KEYS,
                                             ("@context", "@type", "profile", "assigner",
                                              "target")))
        if top is None:
            return None
        self.attempt(lambda: self.context(top["@context"]))
        self.attempt(lambda: self.type(top["@type"]))
        self.attempt(lambda: self.profile(top["profile"]))
        if "uid" in top:
            self.attempt(lambda: self.string(top["uid"], "uid"))
        conflict = self.attempt(lambda: self.conflict(top.get("conflict")))
        municipality = self.attempt(lambda: self.assigner(top["assigner"], top["target"]))
        rules = self.attempt(lambda: self.rules(top))
        if self.problems or conflict is None or municipality is None or rules is None:
            return None
        text = json.dumps(document, ensure_ascii=False, indent=2)
        return Policy(municipality, conflict, rules, self.source, text)

    def context(self, context: Any) -> None:
        entries = context if isinstance(context, list) else [context]
        if ODRL_CONTEXT not in entries:
            self.fail("@context", f"must include {ODRL_CONTEXT}")
        for index, entry in enumerate(entries):
            path = f"@context[{index}]" if isinstance(context, list) else "@context"
            if isinstance(entry, str):
                if entry != ODRL_CONTEXT:
                    self.fail(path, f'remote context "{entry}" is not fetched: only '
                                    f"{ODRL_CONTEXT} is known (define prefixes inline)")
            elif isinstance(entry, dict):
                for key, value in entry.items():
                    if key != "twin" or value != TWIN:
                        self.fail(_at(path, key), f'only the prefix "twin": "{TWIN}" may be '
                                                  "defined here")
            else:
                self.fail(path, "must be the ODRL context or an object of prefixes")

    def type(self, value: Any) -> None:
        if compact(self.string(value, "@type")) != "Set":
            self.fail("@type", f'must be "Set", got "{value}"')

    def profile(self, value: Any) -> None:
        if value != TWIN_PROFILE:
            self.fail("profile", f'must be "{TWIN_PROFILE}" (the twin: terms are defined '
                                 f"there), got {json.dumps(value)}")

    def conflict(self, value: Any) -> str:
        if value is None:
            self.fail("conflict", "missing: ODRL's default \"invalid\" would void the whole "
                                  'policy; give "prohibit" or "perm"')
        conflict = compact(self.string(value, "conflict"))
        if conflict == "invalid":
            self.fail("conflict", '"invalid" voids the whole policy: give "prohibit" or "perm"')
        if conflict not in CONFLICTS:
            self.fail("conflict", f'unknown conflict "{value}" (allowed: {", ".join(CONFLICTS)})')
        return conflict

    def assigner(self, assigner: Any, target: Any) -> str:
        uri = self.string(assigner, "assigner")
        found = _ORGANIZATION.fullmatch(uri)
        if found is None:
            self.fail("assigner", f'"{uri}" is no organization of the portal '
                                  "(<portal>/organization/<partner id>)")
        municipality = found.group(2)
        if municipality not in self.partners:
            self.fail("assigner", f'"{municipality}" is no partner '
                                  f"(partners: {', '.join(self.partners)})")
        if isinstance(target, dict):
            self.keys(target, "target", ("@type", "uid"), ("@type", "uid"))
            if compact(str(target["@type"])) != "AssetCollection":
                self.fail("target.@type", f'must be "AssetCollection", got "{target["@type"]}"')
            target = target["uid"]
        if target != uri:
            self.fail("target", f"must be the assigner's datasets, {uri}")
        return municipality

    def rules(self, top: dict[str, Any]) -> tuple[Rule, ...]:
        before, found = len(self.problems), []
        for key, effect in (("permission", "permit"), ("prohibition", "prohibit")):
            items = top.get(key, [])
            if not isinstance(items, list):
                self.fail(key, "must be a list of rules")
            for index, item in enumerate(items):
                path, number = f"{key}[{index}]", len(found) + 1
                found.append((path, self.attempt(
                    lambda item=item, path=path, number=number, effect=effect:
                    self.rule(item, path, number, effect))))
        seen: dict[str, str] = {}
        for path, rule in found:
            if rule is not None and rule.id in seen:
                self.problems.append(self.at(f"{path}.uid", f'rule id "{rule.id}" is already '
                                                            f"used by {seen[rule.id]}"))
            if rule is not None:
                seen.setdefault(rule.id, path)
        if len(self.problems) > before:
            raise Failed
        return tuple(rule for _, rule in found if rule is not None)

    def rule(self, item: Any, path: str, number: int, effect: str) -> Rule:
        fields = self.keys(item, path, _RULE_KEYS, ("assignee", "action"))
        rule_id = f"rule-{number}"
        if "uid" in fields:
            uid = self.string(fields["uid"], f"{path}.uid")
            rule_id = uid.rpartition("#")[2]
            if "#" not in uid or not RULE_ID.fullmatch(rule_id):
                self.fail(f"{path}.uid", f'"{uid}" must end in #<rule id> (1-60 lowercase '
                                         "letters, digits or -)")
        platform = self.assignee(fields["assignee"], f"{path}.assignee")
        action = compact(self.string(fields["action"], f"{path}.action"))
        if action != platform.action:
            self.fail(f"{path}.action", f'"{action}" does not fit {platform.url} '
                                        f'("{platform.id}"), whose action is {platform.action}')
        constraints, match = self.constraints(fields.get("constraint", []),
                                              f"{path}.constraint", effect)
        return Rule(rule_id, platform.id, effect, action, match, constraints, 0)

    def assignee(self, value: Any, path: str) -> Platform:
        url = self.string(value, path)
        if url not in self.platforms.by_url:
            known = ", ".join(f"{p.url} ({p.id})" for p in self.platforms.values())
            self.fail(path, f'unknown assignee "{url}" (platforms: {known})')
        return self.platforms.by_url[url]

    # -- constraints -------------------------------------------------------------------------

    def constraints(self, items: Any, path: str,
                    effect: str) -> tuple[tuple[Constraint, ...], str]:
        if not isinstance(items, list):
            self.fail(path, "must be a list of constraints")
        match, before = "all", len(self.problems)
        plain: list[tuple[str, Constraint | None]] = []
        for index, item in enumerate(items):
            at = f"{path}[{index}]"
            logical = [key for key in LOGICAL.values() if isinstance(item, dict) and key in item]
            if logical:
                if match != "all" or len(items) - 1 > sum(_is_embargo(i) for i in items):
                    self.fail(at, "a logical constraint can stand only beside the embargo "
                                  "constraint (one per rule)")
                match = MATCH_OF[logical[0]]
                operands, base = self.operands(item, at, logical[0])
                plain += [(f"{base}[{i}]", self.attempt(
                    lambda o=o, i=i: self.constraint(o, f"{base}[{i}]")))
                    for i, o in enumerate(operands)]
            else:
                plain.append((at, self.attempt(lambda item=item, at=at:
                                               self.constraint(item, at))))
        if len(self.problems) > before:
            raise Failed
        seen: dict[str, str] = {}
        for at, constraint in plain:
            assert constraint is not None
            if constraint.term in seen:
                self.fail(at, f"{constraint.term} is constrained twice in one rule "
                              f"(first at {seen[constraint.term]})")
            seen[constraint.term] = at
            if constraint.term == "embargo" and effect == "prohibit":
                self.fail(at, "embargo only delays permissions; a prohibition cannot carry it")
        found = tuple(sorted((c for _, c in plain if c is not None),
                             key=lambda c: TERM_ORDER[c.term]))
        if match != "all" and sum(c.term != "embargo" for c in found) < 2:
            self.fail(path, f"{LOGICAL[match]} needs at least two constraints besides the "
                            "embargo")
        return found, match

    def operands(self, item: dict[str, Any], path: str,
                 operator: str) -> tuple[list[Any], str]:
        """The constraints a logical constraint combines, and their JSON path."""
        self.keys(item, path, (operator,))
        value, base = item[operator], f"{path}.{operator}"
        if isinstance(value, dict):
            self.keys(value, base, ("@list",), ("@list",))
            value, base = value["@list"], f"{base}.@list"
        if not isinstance(value, list) or not value:
            self.fail(base, "must list the constraints it combines")
        return value, base

    def constraint(self, item: Any, path: str) -> Constraint:
        if isinstance(item, dict) and any(key in item for key in LOGICAL.values()):
            self.fail(path, "logical constraints cannot be nested")
        fields = self.keys(item, path, ("leftOperand", "operator", "rightOperand",
                                        "rightOperandReference", DELAY),
                           ("leftOperand", "operator"))
        left = compact(self.string(fields["leftOperand"], f"{path}.leftOperand"))
        term = BY_LEFT_OPERAND.get(left)
        if term is None:
            self.fail(f"{path}.leftOperand", f'unknown leftOperand "{fields["leftOperand"]}" '
                                             f"(allowed: {', '.join(BY_LEFT_OPERAND)})")
        operator = compact(self.string(fields["operator"], f"{path}.operator"))
        if operator not in term.operators:
            self.fail(f"{path}.operator", f'unknown operator "{fields["operator"]}" for '
                                          f"{term.left_operand} (allowed: "
                                          f"{', '.join(term.operators)})")
        return Constraint(term.name, operator, self.value(term, fields, path), 0)

    def value(self, term: Term, fields: dict[str, Any],
              path: str) -> tuple[str, ...] | bool | int:
        expected = ({"rightOperandReference", DELAY} if term.kind == "days"
                    else {"rightOperand"})
        for key in sorted({"rightOperand", "rightOperandReference", DELAY} - expected):
            if key in fields:
                self.fail(f"{path}.{key}", f"not used with {term.left_operand}")
        for key in sorted(expected - fields.keys()):
            self.fail(_at(path, key), "missing")
        if term.kind == "days":
            reference = compact(str(fields["rightOperandReference"]))
            if reference != EMBARGO_REFERENCE:
                self.fail(f"{path}.rightOperandReference", f"must be {EMBARGO_REFERENCE}")
            delay = fields[DELAY]
            if isinstance(delay, dict):
                self.keys(delay, f"{path}.{DELAY}", ("@value", "@type"), ("@value",))
                delay = delay["@value"]
            try:
                return read_delay(self.string(delay, f"{path}.{DELAY}"))
            except ValueError as error:
                self.fail(f"{path}.{DELAY}", str(error))
        right = fields["rightOperand"]
        if term.kind == "flag":
            if not isinstance(right, bool):
                self.fail(f"{path}.rightOperand", "must be true or false")
            return right
        items = right if isinstance(right, list) else [right]
        values: list[str] = []
        for index, entry in enumerate(items):
            at = f"{path}.rightOperand[{index}]" if isinstance(right, list) else \
                f"{path}.rightOperand"
            iri = entry.get("@id") if isinstance(entry, dict) and entry.keys() == {"@id"} \
                else None
            if not isinstance(iri, str):
                self.fail(at, 'must be {"@id": "<IRI>"}')
            try:
                value = term.from_iri(iri)  # type: ignore[misc]
            except ValueError as error:
                self.fail(at, str(error))
            if value in values:
                self.fail(at, f'"{iri}" is listed twice')
            values.append(value)
        if not values:
            self.fail(f"{path}.rightOperand", "must list at least one value")
        return tuple(sorted(values, key=term.order))


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_embargo(item: Any) -> bool:
    return isinstance(item, dict) and compact(str(item.get("leftOperand", ""))) == \
        TERMS["embargo"].left_operand


def from_odrl(document: dict[str, Any], source: str, partners: Collection[str],
              platforms: Platforms) -> Policy:
    """The policy an ODRL document (as ``to_odrl`` writes it) states, or :class:`PolicyError`
    with every problem at its JSON path."""
    reader = _OdrlReader(source, partners, platforms)
    policy = reader.policy(document)
    if policy is None:
        raise PolicyError(reader.problems or [f"{source}: (document): not a policy"])
    return policy
