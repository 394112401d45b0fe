"""The action API of the policies: the only way in, for pages, the CLI and partners alike."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.twin.logic.partners import registry as partner_registry
from ckanext.twin.policy import changes, registry, store
from ckanext.twin.policy.evaluate import Decision
from ckanext.twin.policy.explain import explain
from ckanext.twin.policy.odrl import to_odrl
from ckanext.twin.policy.reader import PolicyError, parse_policy

MAX_POLICY_BYTES = 256 * 1024
LIMIT = 1000


def _municipality(data_dict: dict[str, Any]) -> str:
    municipality = data_dict.get("municipality")
    if not isinstance(municipality, str) or not municipality:
        raise tk.ValidationError({"municipality": [tk._("Missing value")]})
    if municipality not in partner_registry():
        raise tk.ValidationError({"municipality": [
            tk._("{name} is not a partner (config/partners.yaml)").format(name=municipality)]})
    return municipality


def _stored(municipality: str, version: Any) -> store.StoredPolicy:
    versions = store.versions_of(model.Session, municipality)
    if version in (None, ""):
        if not versions:
            raise tk.ObjectNotFound(tk._("{name} has no policy yet").format(name=municipality))
        return versions[0]
    for stored in versions:
        if str(stored.version) == str(version):
            return stored
    raise tk.ObjectNotFound(tk._("{name} has no policy version {version}").format(
        name=municipality, version=version))


def _shown(stored: store.StoredPolicy) -> dict[str, Any]:
    return {"municipality": stored.municipality, "version": stored.version,
            "digest": stored.digest, "policy": stored.document, "text": stored.text,
            "source": stored.source, "applied_by": stored.applied_by,
            "applied_at": stored.applied_at.isoformat()}


@tk.side_effect_free
def twin_policy_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The policy in force for ``municipality`` (or its ``version``), with its history.

    :param municipality: partner id
    :param version: optional version number
    """
    municipality = _municipality(data_dict)
    tk.check_access("twin_policy_show", context, data_dict)
    shown = _shown(_stored(municipality, data_dict.get("version")))
    shown["versions"] = [{"version": s.version, "applied_at": s.applied_at.isoformat(),
                          "applied_by": s.applied_by, "source": s.source}
                         for s in store.versions_of(model.Session, municipality)]
    return shown


@tk.side_effect_free
def twin_policy_export(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The policy as ODRL 2.2 JSON-LD.

    :param municipality: partner id
    :param version: optional version number
    """
    municipality = _municipality(data_dict)
    tk.check_access("twin_policy_export", context, data_dict)
    stored = _stored(municipality, data_dict.get("version"))
    try:
        policy = parse_policy(stored.text, stored.source, partner_registry(),
                              registry.platforms(), municipality)
    except PolicyError as error:  # stored before a registry change it no longer fits
        raise tk.ValidationError({"policy": error.problems}) from error
    return to_odrl(policy, registry.platforms(), stored.version, tk.config["ckan.site_url"])


def twin_policy_update(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Validate and apply a new version of ``municipality``'s policy, then re-evaluate its
    datasets; the answer says per platform what was admitted and what withdrawn.

    :param municipality: partner id
    :param policy: the policy as YAML or JSON text (the format of config/policies), or as
        ODRL 2.2 JSON-LD (text or object, as ``twin_policy_export`` gives it)
    :param dry_run: only report what would move (default false)
    """
    municipality = _municipality(data_dict)
    tk.check_access("twin_policy_update", context, data_dict)
    text = data_dict.get("policy")
    if isinstance(text, dict):
        text = json.dumps(text, ensure_ascii=False)
    if not isinstance(text, str) or not text.strip():
        raise tk.ValidationError({"policy": [tk._("Missing value")]})
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise tk.ValidationError({"policy": [
            tk._("The policy is larger than {limit} bytes").format(limit=MAX_POLICY_BYTES)]})
    try:
        policy = parse_policy(text, "policy", partner_registry(), registry.platforms(),
                              municipality)
    except PolicyError as error:
        raise tk.ValidationError({"policy": error.problems}) from error
    dry_run = tk.asbool(data_dict.get("dry_run", False))
    applied = changes.apply_policies(model.Session, {municipality: policy},
                                     context.get("user"), date.today(), dry_run=dry_run)
    if dry_run:
        model.Session.rollback()
    else:
        model.repo.commit()
    return {"dry_run": dry_run, **applied.as_dict()}


def _explained(row: store.DecisionRow) -> dict[str, Any]:
    decision = Decision(platform=row.platform, admitted=row.admitted, reason=row.reason,
                        rules=tuple(row.rules), values=row.values,
                        unmet=tuple(tuple(pair) for pair in row.unmet))
    platforms = registry.platforms()
    return {**row.as_json(),
            "explanation": {lang: explain(decision, platforms, lang) for lang in ("de", "en")}}


@tk.side_effect_free
def twin_policy_decision_list(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Decisions with their explanation: those about dataset ``id``, or those of
    ``municipality`` (filtered by ``platform``, ``admitted``).

    :param id: dataset id or name
    :param municipality: partner id (when no ``id`` is given)
    :param platform: optional platform id
    :param admitted: optional true/false
    :param history: also decisions no longer in force (default false)
    :param limit: at most this many (default 100, at most 1000)
    :param offset: skip this many
    """
    package_id = None
    if data_dict.get("id"):
        package = model.Package.get(data_dict["id"])
        if package is None:
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        package_id = package.id
        data_dict = {**data_dict, "id": package.id}
    elif not data_dict.get("municipality"):
        raise tk.ValidationError({"id": [tk._("Give a dataset id or a municipality")]})
    tk.check_access("twin_policy_decision_list", context, data_dict)
    platform = data_dict.get("platform")
    if platform is not None and platform not in registry.platforms():
        raise tk.ValidationError({"platform": [
            tk._("Unknown platform {name}").format(name=platform)]})
    try:
        limit = min(int(data_dict.get("limit", 100)), LIMIT)
        offset = int(data_dict.get("offset", 0))
    except (TypeError, ValueError) as error:
        raise tk.ValidationError({"limit": [tk._("limit and offset must be numbers")]}) \
            from error
    admitted = data_dict.get("admitted")
    count, rows = store.list_decisions(
        model.Session, package_id=package_id,
        municipality=None if package_id else data_dict.get("municipality"),
        platform=platform, admitted=None if admitted in (None, "") else tk.asbool(admitted),
        history=tk.asbool(data_dict.get("history", False)), limit=max(limit, 0),
        offset=max(offset, 0))
    return {"count": count, "results": [_explained(row) for row in rows]}


@tk.side_effect_free
def twin_policy_flow_list(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Per municipality and platform: how many datasets flow there and how many do not.

    :param municipality: only this partner's (its admins may ask; all of them: sysadmins)
    """
    tk.check_access("twin_policy_flow_list", context, data_dict)
    counts = store.flow_counts(model.Session)
    if data_dict.get("municipality"):
        counts = {key: value for key, value in counts.items()
                  if key[0] == data_dict["municipality"]}
    return {"platforms": list(registry.platforms()),
            "flows": [{"municipality": m, "platform": p, "admitted": a, "denied": d}
                      for (m, p), (a, d) in sorted(
                          counts.items(), key=lambda item: (item[0][0] or "", item[0][1]))]}


def get_actions() -> dict[str, Any]:
    return {"twin_policy_show": twin_policy_show, "twin_policy_update": twin_policy_update,
            "twin_policy_export": twin_policy_export,
            "twin_policy_decision_list": twin_policy_decision_list,
            "twin_policy_flow_list": twin_policy_flow_list}
