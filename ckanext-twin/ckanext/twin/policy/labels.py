"""Permission labels: the decisions as CKAN's read checks see them.

CKAN filters every search and every ``package_show`` (and so resources, downloads, DCAT
pages and activity streams) by labels: a reader sees a dataset when they share one. A
dataset keeps CKAN's own labels (``public`` only when it is public, else its organization's
members) and gains ``platform:<id>`` for each platform it is currently admitted to. A
platform's account carries only its platform's label and a partner's account the shared
space's and its own organization's, so a token never reads more than its policies admit —
not even public datasets that were not admitted for it.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ckan import model
from ckan.lib.plugins import DefaultPermissionLabels

from ckanext.twin.policy import registry, store

PREFIX = "platform:"
_default = DefaultPermissionLabels()


def platform_label(platform: str) -> str:
    return f"{PREFIX}{platform}"


def labels_for(dataset: Any, admitted: Iterable[str]) -> list[str]:
    """CKAN's labels of ``dataset`` (a Package or anything with its attributes) plus one
    per admitted platform (none unless the dataset is active)."""
    labels = list(_default.get_dataset_labels(dataset))
    if dataset.state == "active":
        labels += [platform_label(platform) for platform in admitted]
    return labels


class PolicyPermissionLabels(DefaultPermissionLabels):
    """The ``IPermissionLabels`` of ``twin_policy`` (CKAN uses only the first plugin's)."""

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return labels_for(dataset_obj, store.admitted_platforms(model.Session, dataset_obj.id))

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        from ckanext.twin.access.accounts import principal_of  # only with twin_access

        principal = principal_of(user_obj) if user_obj else None
        if principal is None:
            return super().get_user_dataset_labels(user_obj)
        if principal.kind == "platform":
            return [platform_label(principal.id)]
        organization = model.Group.get(principal.id)
        labels = [platform_label(registry.platforms().shared.id)]
        if organization is not None and organization.is_organization:
            labels.append(f"member-{organization.id}")
        return labels
