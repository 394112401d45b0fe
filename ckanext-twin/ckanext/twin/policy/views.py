"""The policy pages: a partner's policy and its flows (organization tab), the operators'
overview, the stewards' panel on the dataset page.

Who sees what is decided by the actions' auth functions, so the pages, the API and the CLI
cannot disagree; the helpers return ``None`` to everyone else. Messages come in German and
English at once, like the harvest pages': CKAN's catalogues do not know them.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, Response

from ckanext.twin.logic.partners import registry as partner_registry
from ckanext.twin.policy import registry
from ckanext.twin.policy.explain import describe_rule
from ckanext.twin.policy.provenance import decision_anchor
from ckanext.twin.policy.reader import PolicyError, parse_policy

PAGE_SIZE = 50
NOT_ADMIN = ("Nur die Administratoren der Organisation sehen ihre Richtlinie. / "
             "Only the organization's administrators see its policy.")


def _context() -> dict[str, Any]:
    return {"user": tk.g.user}


def _lang() -> str:
    """The explanations exist in German and English; any other UI language reads English."""
    return "de" if (tk.h.lang() or "de") == "de" else "en"


def _partner_organization(id: str) -> dict[str, Any]:
    """The organization of a partner, or 404: only partners have policies."""
    try:
        organization = tk.get_action("organization_show")(
            _context(), {"id": id, "include_datasets": False})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, "Organisation nicht gefunden. / Organization not found.")
    if organization["name"] not in partner_registry():
        return tk.abort(404, "Diese Organisation ist kein Partner und hat keine Richtlinie. / "
                             "This organization is not a partner and has no policy.")
    return organization


def organization_policy(id: str) -> Any:
    """``/organization/<id>/policy``: the policy in force, what flows where, and why."""
    organization = _partner_organization(id)
    municipality = organization["name"]
    try:
        policy = tk.get_action("twin_policy_show")(_context(), {"municipality": municipality})
    except tk.NotAuthorized:
        return tk.abort(403, NOT_ADMIN)
    except tk.ObjectNotFound:
        policy = None  # none applied yet: nothing flows anywhere
    page = tk.h.get_page_number(tk.request.args)
    decisions = tk.get_action("twin_policy_decision_list")(
        _context(), {"municipality": municipality, "limit": PAGE_SIZE,
                     "offset": (page - 1) * PAGE_SIZE})
    rules, problems = _rules(policy)
    return tk.render("twin/policy/organization.html", {
        "group_dict": organization, "group_type": "organization", "policy": policy,
        "rules": rules, "problems": problems, "flows": _flows(municipality),
        "decisions": _shown(decisions["results"]), "count": decisions["count"],
        "page": page, "pages": max(1, -(-decisions["count"] // PAGE_SIZE))})


def organization_policy_odrl(id: str) -> Any:
    """``/organization/<id>/policy.jsonld``: the policy in force (or ``?version=``) as
    ODRL 2.2 JSON-LD."""
    municipality = _partner_organization(id)["name"]
    try:
        document = tk.get_action("twin_policy_export")(
            _context(), {"municipality": municipality,
                         "version": tk.request.args.get("version")})
    except tk.NotAuthorized:
        return tk.abort(403, NOT_ADMIN)
    except tk.ObjectNotFound:
        return tk.abort(404, "Keine solche Richtlinie. / No such policy.")
    except tk.ValidationError as error:
        return tk.abort(409, "Die gespeicherte Richtlinie gilt nicht mehr / The stored policy "
                             f"no longer holds: {'; '.join(error.error_dict['policy'])}")
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/ld+json")


def overview() -> Any:
    """``/policy``: admitted and denied per partner and platform (sysadmins); partners
    without any decision are listed too, so a missing policy shows."""
    try:
        flows = tk.get_action("twin_policy_flow_list")(_context(), {})
    except tk.NotAuthorized:
        return tk.abort(403, "Nur Betreiber sehen die Flüsse aller Kommunen. / "
                             "Only sysadmins see every municipality's flows.")
    partners, lang = partner_registry(), _lang()
    rows = {municipality: {"id": municipality, "partner": True, "flows": {},
                           "title": partner.title if lang == "de" else partner.title_en}
            for municipality, partner in partners.items()}
    for flow in flows["flows"]:  # decisions of datasets outside any partner's organization
        key = flow["municipality"] or ""
        row = rows.setdefault(key, {"id": key, "partner": False, "flows": {}, "title": key})
        row["flows"][flow["platform"]] = flow
    return tk.render("twin/policy/overview.html",
                     {"platforms": _platforms(), "rows": list(rows.values())})


def _platforms() -> list[dict[str, str]]:
    """The registry's platforms in the UI language, in its order."""
    lang = _lang()
    return [{"id": p.id, "title": p.title_in(lang),
             "description": p.description if lang == "de" else p.description_en}
            for p in registry.platforms().values()]


def _rules(policy: dict[str, Any] | None) -> tuple[dict[str, list[str]], list[str]]:
    """Each platform's rules in words, or the problems of a stored policy that no longer
    holds (a platform was removed since): it decides nothing until applied again."""
    if policy is None:
        return {}, []
    try:
        parsed = parse_policy(policy["text"], f"version {policy['version']}",
                              partner_registry(), registry.platforms(), policy["municipality"])
    except PolicyError as error:
        return {}, error.problems
    lang = _lang()
    return {platform: [describe_rule(rule, lang) for rule in parsed.rules
                       if rule.platform == platform]
            for platform in registry.platforms()}, []


def _flows(municipality: str) -> list[dict[str, Any]]:
    found = tk.get_action("twin_policy_flow_list")(_context(), {"municipality": municipality})
    counts = {flow["platform"]: flow for flow in found["flows"]}
    return [{**platform, **counts.get(platform["id"], {"admitted": 0, "denied": 0})}
            for platform in _platforms()]


def _shown(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decisions with what users recognise: the dataset's title and name, the platform's
    title, the explanation in the UI language, and the anchor the RDF points at."""
    lang = _lang()
    titles = {platform["id"]: platform["title"] for platform in _platforms()}
    ids = {decision["package_id"] for decision in decisions}
    datasets = {row.id: (row.name, row.title or row.name) for row in model.Session.query(
        model.Package.id, model.Package.name, model.Package.title).filter(
        model.Package.id.in_(ids))} if ids else {}
    shown = []
    for decision in decisions:
        name, title = datasets.get(decision["package_id"], (decision["package_id"],) * 2)
        shown.append({**decision, "dataset_name": name, "dataset_title": title,
                      "platform_title": titles.get(decision["platform"], decision["platform"]),
                      "text": decision["explanation"][lang],
                      "anchor": decision_anchor(decision)})
    return shown


def twin_policy_decisions(dataset_id: str) -> list[dict[str, Any]] | None:
    """The dataset's current decisions for its stewards (in the registry's platform order),
    ``None`` for everyone else."""
    try:
        found = tk.get_action("twin_policy_decision_list")(_context(), {"id": dataset_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None
    order = {platform: index for index, platform in enumerate(registry.platforms())}
    return sorted(_shown(found["results"]),
                  key=lambda decision: order.get(decision["platform"], len(order)))


def twin_policy_visible(organization: str) -> bool:
    """Whether the organization has a policy tab for the current user: partners only, and
    only for those who may read the policy."""
    if organization not in partner_registry():
        return False
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
