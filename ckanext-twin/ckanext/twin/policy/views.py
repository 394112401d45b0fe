"""The policy pages: a partner's policy and its flows (organization tab), the operators'
overview, the stewards' panel on the dataset page.

Who sees what is decided by the actions' auth functions, so the pages, the API and the CLI
cannot disagree; the helpers return ``None`` to everyone else.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response

from ckanext.twin.policy import registry
from ckanext.twin.policy.explain import describe_rule

PAGE_SIZE = 50


def _context() -> dict[str, Any]:
    return {"user": tk.g.user}


def organization_policy(id: str) -> Any:
    """``/organization/<id>/policy``: the policy in force, what flows where, and why."""
    try:
        organization = tk.get_action("organization_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Organization not found"))
    try:
        policy = tk.get_action("twin_policy_show")(_context(),
                                                   {"municipality": organization["name"]})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the administrators of this organization see its policy"))
    except (tk.ObjectNotFound, tk.ValidationError):
        policy = None  # not a partner, or no policy applied yet: nothing flows anywhere
    page = max(tk.asint(tk.request.args.get("page", 1)), 1)
    decisions = tk.get_action("twin_policy_decision_list")(
        _context(), {"municipality": organization["name"], "limit": PAGE_SIZE,
                     "offset": (page - 1) * PAGE_SIZE})
    return tk.render("twin/policy/organization.html", {
        "group_dict": organization, "group_type": "organization", "policy": policy,
        "rules": _rules(policy), "flows": _flows(organization["name"]),
        "decisions": decisions, "page": page, "page_size": PAGE_SIZE})


def organization_policy_odrl(id: str) -> Any:
    """``/organization/<id>/policy.jsonld``: the policy in force as ODRL 2.2 JSON-LD."""
    try:
        document = tk.get_action("twin_policy_export")(
            _context(), {"municipality": id, "version": tk.request.args.get("version")})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the administrators of this organization see its policy"))
    except (tk.ObjectNotFound, tk.ValidationError):
        return tk.abort(404, tk._("No policy"))
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/ld+json")


def overview() -> Any:
    """``/policy``: admitted and denied per municipality and platform (sysadmins)."""
    try:
        flows = tk.get_action("twin_policy_flow_list")(_context(), {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins see every municipality's flows"))
    table: dict[str, dict[str, dict[str, int]]] = {}
    for flow in flows["flows"]:
        table.setdefault(flow["municipality"] or "", {})[flow["platform"]] = flow
    return tk.render("twin/policy/overview.html", {
        "platforms": list(registry.platforms().values()), "table": table})


def _rules(policy: dict[str, Any] | None) -> dict[str, list[str]]:
    """Each platform's rules in words, in the registry's order."""
    if policy is None:
        return {}
    from ckanext.twin.logic.partners import registry as partners
    from ckanext.twin.policy.reader import parse_policy

    parsed = parse_policy(policy["text"], policy["source"], partners(), registry.platforms(),
                          policy["municipality"])
    lang = tk.h.lang() or "de"
    return {platform: [describe_rule(rule, lang) for rule in parsed.rules
                       if rule.platform == platform]
            for platform in registry.platforms()}


def _flows(municipality: str) -> list[dict[str, Any]]:
    found = tk.get_action("twin_policy_flow_list")(_context(), {"municipality": municipality})
    counts = {flow["platform"]: flow for flow in found["flows"]}
    return [{"platform": platform, **counts.get(platform.id, {"admitted": 0, "denied": 0})}
            for platform in registry.platforms().values()]


def twin_policy_decisions(dataset_id: str) -> list[dict[str, Any]] | None:
    """The dataset's current decisions for its stewards, ``None`` for everyone else."""
    try:
        found = tk.get_action("twin_policy_decision_list")(_context(), {"id": dataset_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None
    titles = {p.id: p.title_in(tk.h.lang() or "de") for p in registry.platforms().values()}
    return [{**decision, "title": titles.get(decision["platform"], decision["platform"])}
            for decision in found["results"]]


def twin_policy_visible(organization: str) -> bool:
    """Whether the current user may see the organization's policy tab."""
    try:
        tk.check_access("twin_policy_show", _context(), {"municipality": organization})
        return True
    except tk.NotAuthorized:
        return False


def blueprint() -> Blueprint:
    pages = Blueprint("twin_policy", __name__)
    pages.add_url_rule("/organization/<id>/policy", view_func=organization_policy)
    pages.add_url_rule("/organization/<id>/policy.jsonld", view_func=organization_policy_odrl)
    pages.add_url_rule("/policy", view_func=overview)
    return pages


def get_helpers() -> dict[str, Any]:
    return {"twin_policy_decisions": twin_policy_decisions,
            "twin_policy_visible": twin_policy_visible}
