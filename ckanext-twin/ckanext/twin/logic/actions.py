"""Action functions of the portal (IActions); their auth functions are in ``auth.py``."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.twin.dcat import reports


@tk.side_effect_free
def twin_dataset_validation_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """The DCAT-AP.de 3.0 validation report of one dataset, as the catalog publishes it.

    :param id: the dataset's id or name
    :returns: ``conforms``, ``violations``, ``warnings``, ``known_defects`` (each finding with
        ``severity``, ``focus``, ``path``, ``value``, ``message``, ``shape``, ``constraint``)
        and ``known_defect_reasons``; see ``ckanext.twin.dcat.validation.Report``
    """
    dataset_id = tk.get_or_bust(data_dict, "id")
    tk.check_access("twin_dataset_validation_show", context, {"id": dataset_id})
    dataset = tk.get_action("package_show")(dict(context), {"id": dataset_id})
    return reports.dataset_report(dataset).to_dict()
