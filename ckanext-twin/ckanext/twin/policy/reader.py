"""Policy files (YAML, or the same as JSON, or ODRL JSON-LD) into :class:`Policy` objects.

Policies are edited by hand by the municipalities, so every problem of a file is reported,
each as ``FILE:LINE: message`` pointing at the place to fix, and a policy with any problem
is refused as a whole: applying the parts that were understood would fail open for the
rules that were not. Read like ``partners.yaml``, from the composed node tree (line numbers,
duplicate keys, numbers that should have been text).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ckanext.twin.partners import YamlReader
from ckanext.twin.policy.model import (CONFLICTS, EFFECTS, MATCHES, RULE_ID, Constraint,
                                       Failed, Gatherer, Policy, PolicyError, Problem, Rule)
from ckanext.twin.policy.odrl import from_odrl
from ckanext.twin.policy.terms import TERM_ORDER, TERMS, Term, read_delay

if TYPE_CHECKING:
    from ckanext.twin.policy.platforms import Platforms

__all__ = ["PolicyError", "load_policies", "parse_policy"]

_TOP_KEYS = ("municipality", "conflict", "rules")
_RULE_KEYS = ("id", "platform", "effect", "action", "match", "when")
_QUOTED = ("'", '"')
T = TypeVar("T")


class _PolicyReader(YamlReader, Gatherer):
    error = Problem

    def __init__(self, path: str, partners: Collection[str], platforms: Platforms,
                 expected: str | None) -> None:
        super().__init__(path)
        self.partners = partners
        self.platforms = platforms
        self.expected = expected
        self.problems: list[str] = []

    # -- the file ----------------------------------------------------------------------------

    def policy(self, root: Node | None, text: str) -> Policy | None:
        if root is None:
            self.problems.append(f"{self.path}:1: the policy is empty")
            return None
        top = self.attempt(lambda: self.mapping(root, "the policy", _TOP_KEYS))
        if top is None:
            return None
        municipality = self.attempt(lambda: self.municipality(root, top.get("municipality")))
        conflict = self.attempt(lambda: self.conflict(root, top.get("conflict")))
        rules = self.attempt(lambda: self.rules(root, top.get("rules")))
        if self.problems or municipality is None or conflict is None or rules is None:
            return None
        return Policy(municipality, conflict, rules, self.path, text)

    def municipality(self, root: Node, node: Node | None) -> str:
        if node is None:
            self.fail(root, "municipality is missing: the partner id whose datasets this "
                            "policy decides on")
        value = self.text(node, "the policy", "municipality")
        if value not in self.partners:
            self.fail(node, f'municipality "{value}" is no partner '
                            f'(partners: {", ".join(self.partners)})')
        if self.expected is not None and value != self.expected:
            self.fail(node, f'municipality "{value}" does not match "{self.expected}", the '
                            "municipality this policy is for (a policy file is named after "
                            "it)")
        return value

    def conflict(self, root: Node, node: Node | None) -> str:
        if node is None:
            self.fail(root, "conflict is missing: ODRL's default \"invalid\" would void the "
                            "whole policy; write conflict: prohibit (a prohibition wins over "
                            "a permission) or conflict: perm (a permission wins)")
        value = self.text(node, "the policy", "conflict")
        if value == "invalid":
            self.fail(node, 'conflict "invalid" voids the whole policy in ODRL: write '
                            "prohibit or perm")
        if value not in CONFLICTS:
            self.fail(node, f'unknown conflict "{value}" (allowed: {", ".join(CONFLICTS)})')
        return value

    def rules(self, root: Node, node: Node | None) -> tuple[Rule, ...]:
        if node is None:
            self.fail(root, "rules is missing: list the rules (rules: [] admits nothing)")
        if not isinstance(node, SequenceNode):
            self.fail(node, "rules must be a list of rules")
        before = len(self.problems)
        found = [(item, self.attempt(lambda item=item, n=n: self.rule(item, n)))
                 for n, item in enumerate(node.value, 1)]
        seen: dict[str, Node] = {}
        for item, rule in found:
            if rule is None:
                continue
            if rule.id in seen:
                first = seen[rule.id].start_mark.line + 1
                self.problems.append(f'{self.path}:{item.start_mark.line + 1}: rule id '
                                     f'"{rule.id}" is already used by the rule on line {first}')
            seen.setdefault(rule.id, item)
        if len(self.problems) > before:
            raise Failed
        return tuple(rule for _, rule in found if rule is not None)

    # -- one rule ----------------------------------------------------------------------------

    def rule(self, node: Node, number: int) -> Rule:
        what = _label(node, number)
        fields = self.mapping(node, what, _RULE_KEYS)
        missing = [key for key in ("platform", "effect", "when") if key not in fields]
        if missing:
            self.fail(node, f"{what}: missing {', '.join(missing)}")
        before = len(self.problems)
        rule_id = self.attempt(lambda: self.rule_id(fields.get("id"), what, number))
        platform = self.attempt(lambda: self.platform(fields["platform"], what))
        effect = self.attempt(lambda: self.choice(fields["effect"], what, "effect", EFFECTS))
        match = "all" if "match" not in fields else \
            self.attempt(lambda: self.choice(fields["match"], what, "match", MATCHES))
        action = self.attempt(lambda: self.action(fields.get("action"), platform, what))
        constraints = self.attempt(lambda: self.when(fields["when"], what, effect))
        if len(self.problems) > before:
            raise Failed
        if match != "all" and sum(c.term != "embargo" for c in constraints) < 2:
            self.fail(fields.get("match", node),
                      f"{what}: match: {match} needs at least two terms in when besides "
                      "embargo (with fewer, leave match out)")
        return Rule(rule_id, platform, effect, action, match, constraints,
                    node.start_mark.line + 1)

    def rule_id(self, node: Node | None, what: str, number: int) -> str:
        if node is None:
            return f"rule-{number}"
        value = self.text(node, what, "id")
        if not RULE_ID.fullmatch(value):
            self.fail(node, f'{what}: id "{value}" must be 1-60 lowercase letters, digits '
                            "or -")
        return value

    def platform(self, node: Node, what: str) -> str:
        value = self.text(node, what, "platform")
        if value not in self.platforms:
            self.fail(node, f'{what}: unknown platform "{value}" '
                            f'(platforms: {", ".join(self.platforms)})')
        return value

    def choice(self, node: Node, what: str, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(node, what, key)
        if value not in allowed:
            self.fail(node, f'{what}: unknown {key} "{value}" (allowed: {", ".join(allowed)})')
        return value

    def action(self, node: Node | None, platform: str | None, what: str) -> str | None:
        expected = self.platforms[platform].action if platform is not None else None
        if node is None:
            return expected
        value = self.text(node, what, "action")
        if expected is not None and value != expected:
            self.fail(node, f'{what}: action "{value}" does not fit platform "{platform}", '
                            f"whose action is {expected} (leave action out)")
        return value

    def when(self, node: Node, what: str, effect: str | None) -> tuple[Constraint, ...]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what}: when must map terms to {{operator: value}} "
                            "({} for no condition)")
        before, seen = len(self.problems), set()
        found = []
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            found.append(self.attempt(lambda key=key, value=value, name=name: self.term(
                key, value, name, seen, what, effect)))
            seen.add(name)
        if len(self.problems) > before:
            raise Failed
        return tuple(sorted(found, key=lambda c: TERM_ORDER[c.term]))  # type: ignore

    def term(self, key: Node, value: Node, name: str, seen: set[str], what: str,
             effect: str | None) -> Constraint:
        if name not in TERMS:
            self.fail(key, f'{what}: when: unknown term "{name}" '
                           f"(allowed: {', '.join(TERMS)})")
        if name in seen:
            self.fail(key, f'{what}: when: term "{name}" appears twice')
        if effect == "prohibit" and name == "embargo":
            self.fail(key, f"{what}: when: embargo only delays permissions; a prohibition "
                           "cannot carry it")
        return self.constraint(TERMS[name], key, value, f"{what}: when: {name}")

    def constraint(self, term: Term, key: Node, node: Node, where: str) -> Constraint:
        if not isinstance(node, MappingNode) or len(node.value) != 1:
            self.fail(node, f"{where}: give exactly one operator, as {{operator: value}} "
                            f"(allowed: {', '.join(term.operators)})")
        operator_node, argument = node.value[0]
        operator = operator_node.value if isinstance(operator_node, ScalarNode) else "?"
        if operator not in term.operators:
            self.fail(operator_node, f'{where}: unknown operator "{operator}" '
                                     f"(allowed: {', '.join(term.operators)})")
        return Constraint(term.name, operator, self.values(term, argument, where),
                          key.start_mark.line + 1)

    def values(self, term: Term, node: Node, where: str) -> tuple[str, ...] | bool | int:
        if term.kind == "flag":
            if (not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:bool"
                    or node.value.lower() not in ("true", "false")):
                self.fail(node, f"{where}: write true or false (unquoted), got "
                                f"{getattr(node, 'value', '?')!r}")
            return node.value.lower() == "true"
        if term.kind == "days":
            return self.read(node, where, read_delay)
        if not isinstance(node, SequenceNode) or not node.value:
            self.fail(node, f"{where}: give a list of values, e.g. [{_example(term)}]")
        seen: set[str] = set()
        for item in node.value:
            if term.name == "area" and isinstance(item, ScalarNode) and \
                    item.style not in _QUOTED:
                self.fail(item, f'{where}: write the prefix quoted, "{item.value}": an '
                                "unquoted number loses its leading zero")
            value = self.read(item, where, term.read)  # type: ignore[arg-type]
            if value in seen:
                self.fail(item, f'{where}: "{item.value}" is listed twice')
            seen.add(value)
        return tuple(sorted(seen, key=term.order))

    def read(self, node: Node, where: str, read: Callable[[str], T]) -> T:
        raw = self.text(node, where, "value")
        try:
            return read(raw)
        except ValueError as error:
            self.fail(node, f"{where}: {error}")


def _label(node: Node, number: int) -> str:
    """How messages name a rule: by its id if it has a plain one, else by position."""
    for key, value in node.value if isinstance(node, MappingNode) else ():
        if getattr(key, "value", None) == "id" and isinstance(value, ScalarNode) \
                and value.value.strip():
            return f'rule "{value.value.strip()}"'
    return f"rule #{number}"


def _example(term: Term) -> str:
    return {"area": '"09162"', "classification": "public"}.get(term.name, "...")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def parse_policy(text: str, source: str, partners: Collection[str], platforms: Platforms,
                 municipality: str | None = None) -> Policy:
    """The policy in ``text`` (YAML, JSON, or ODRL JSON-LD with ``@context``).

    ``municipality`` is the one the policy must be for (the file's stem, the organization
    of an API call); ``source`` names the text in messages.
    """
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text, object_pairs_hook=_unique_keys)
        except _DuplicateKey as error:
            raise PolicyError([f"{source}: key {error.args[0]!r} appears twice in one object"]) \
                from error
        except ValueError:
            document = None  # not JSON: YAML will say where it goes wrong
        if isinstance(document, dict) and "@context" in document:
            policy = from_odrl(document, source, partners, platforms)
            if municipality is not None and policy.municipality != municipality:
                raise PolicyError([f"{source}: assigner: the policy is for "
                                   f'"{policy.municipality}", not for "{municipality}"'])
            return replace(policy, text=text)
    reader = _PolicyReader(source, partners, platforms, municipality)
    try:
        root = reader.compose(text)
    except Problem as problem:
        raise PolicyError([str(problem)]) from None
    policy = reader.policy(root, text)
    if policy is None:
        raise PolicyError(reader.problems)
    return policy


def load_policies(directory: str | PathLike[str], partners: Collection[str],
                  platforms: Platforms) -> dict[str, Policy]:
    """Every ``*.yaml`` policy in ``directory`` by municipality; problems of all files at once.

    Partners without a file have no policy, which denies all their datasets everywhere.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise PolicyError([f"{folder}: not a directory of policies"])
    problems: list[str] = []
    policies: dict[str, Policy] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.stem not in partners:
            problems.append(f"{path}:1: no partner \"{path.stem}\": a policy file is named "
                            f"after its municipality (partners: {', '.join(partners)})")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}:1: cannot read: {error}")
            continue
        try:
            policies[path.stem] = parse_policy(text, str(path), partners, platforms, path.stem)
        except PolicyError as error:
            problems.extend(error.problems)
    if problems:
        raise PolicyError(problems)
    return policies
