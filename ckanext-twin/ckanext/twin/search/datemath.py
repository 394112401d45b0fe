"""Solr date math (``NOW-7DAYS/DAY``, ``2024-01-01T00:00:00Z+1YEAR``) to UTC instants."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from dateutil.relativedelta import relativedelta

from ckanext.twin.search.fields import normalise_date

_UNITS = {"YEAR": "years", "MONTH": "months", "DAY": "days", "DATE": "days", "HOUR": "hours",
          "MINUTE": "minutes", "SECOND": "seconds", "MILLI": "microseconds",
          "MILLISECOND": "microseconds"}
_STEP = re.compile(r"([+-]\d+|/)([A-Z]+?)S?(?=[+\-/]|$)")
_BASE = re.compile(r"^(NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)")


def _truncate(moment: datetime, unit: str) -> datetime:
    order = ["years", "months", "days", "hours", "minutes", "seconds", "microseconds"]
    keep = order.index(unit)
    reset = {"months": 1, "days": 1, "hours": 0, "minutes": 0, "seconds": 0,
             "microseconds": 0}
    return moment.replace(**{k[:-1]: v for k, v in reset.items() if order.index(k) > keep})


def resolve(expression: str, now: datetime | None = None) -> str | None:
    """The normalised instant of ``expression``, or None if it is not a Solr date."""
    text = expression.strip().upper()
    base = _BASE.match(text)
    if not base:
        return normalise_date(expression) if re.match(r"^\d{4}-\d{2}", expression) else None
    if base.group(1) == "NOW":
        moment = now or datetime.now(timezone.utc)
    else:
        moment = datetime.fromisoformat(base.group(1).replace("Z", "+00:00"))
    rest = text[base.end():]
    consumed = 0
    for step in _STEP.finditer(rest):
        if step.start() != consumed:
            return None
        consumed = step.end()
        operator, unit = step.groups()
        if unit not in _UNITS:
            return None
        if operator == "/":
            moment = _truncate(moment, _UNITS[unit])
        else:
            amount = int(operator) * (1000 if unit.startswith("MILLI") else 1)
            moment = moment + relativedelta(**{_UNITS[unit]: amount})
    if consumed != len(rest):
        return None
    return normalise_date(moment)
