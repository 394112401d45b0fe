"""The configuration of a partner harvest source: which partner, and what it may cost.

Stewards type it as JSON into the source form (or the API). ckanext-harvest shows what
``parse`` raises next to the field, so every message names the key and what was expected.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from harvesters.dcat.pages import DEFAULT_MAX_DURATION, DEFAULT_MAX_PAGES
from harvesters.fetch import MIB, FetchLimits
from harvesters.safeguards import DEFAULT_MAX_SHARE
from harvesters.vocabularies import default_vocabularies

from ckanext.twin.partners import Partner
from ckanext.twin.policy.terms import CLASSIFICATIONS


DEFAULT_LICENSE = "http://dcat-ap.de/def/licenses/other-closed"


class SourceConfigError(ValueError):
    """The source configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class SourceConfig:
    """``partner``: the registry id whose municipality the datasets belong to (required).

    ``allowed_hosts``: hosts that may be reached although they are loopback or private
    (demo and test catalogs on 127.0.0.1), and that next-page links may lead to.
    """

    partner: str
    allowed_hosts: tuple[str, ...] = ()
    max_pages: int = DEFAULT_MAX_PAGES
    max_page_mb: float = 50.0
    max_duration_s: float = DEFAULT_MAX_DURATION
    timeout_s: float = 30.0
    max_withdrawal_share: float = DEFAULT_MAX_SHARE
    conditional_requests: bool = True
    import_batch_size: int = 100  # records one harvest object carries to the import stage
    # For datasets whose payload names no licence URI (as GovData's harvester does):
    # no licence given means no rights granted.
    default_license: str = DEFAULT_LICENSE
    # CSW only: records per GetRecords page, and a CQL filter on the catalog's records.
    page_size: int = 100
    constraint: str | None = None
    # What the partner declares for every dataset of the catalog, for the access policies
    # (DCAT-AP.de has no such properties): unset, a dataset counts as personal and secret.
    personal_data: bool | None = None
    classification: str | None = None

    def limits(self) -> FetchLimits:
        return FetchLimits(max_bytes=int(self.max_page_mb * MIB), timeout=self.timeout_s,
                           deadline=max(self.timeout_s, 120.0),
                           allowed_hosts=frozenset(self.allowed_hosts))

    def fingerprint(self, partner: Partner) -> str:
        """Changes when what the registry decides for this source's datasets changes."""
        text = json.dumps([self.partner, asdict(partner)], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_NUMBERS: dict[str, tuple[type, float, float | None]] = {
    # key: (type, smallest allowed, largest allowed)
    "max_pages": (int, 1, None),
    "max_page_mb": (float, 0.001, None),
    "max_duration_s": (float, 1, None),
    "timeout_s": (float, 1, None),
    "max_withdrawal_share": (float, 0, 1),
    "import_batch_size": (int, 1, 1000),
    "page_size": (int, 1, 1000),
}
# Keys that only one protocol's harvester understands (``twin_dcat``, ``twin_csw``).
_PROTOCOL_KEYS = {"dcat": {"conditional_requests"}, "csw": {"page_size", "constraint"}}


def parse(text: str | None, partners: dict[str, Partner], protocol: str = "dcat") -> SourceConfig:
    """The configuration in ``text`` (JSON), checked against the partner registry.

    ``protocol``: "dcat" or "csw"; each accepts its own keys besides the common ones.
    """
    if not text or not text.strip():
        raise SourceConfigError(
            'the configuration must name the partner, e.g. {"partner": "garching"}; '
            f"known partners: {', '.join(sorted(partners))}")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SourceConfigError(f"the configuration is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise SourceConfigError("the configuration must be a JSON object ({...})")
    own = _PROTOCOL_KEYS[protocol]
    others = set().union(*_PROTOCOL_KEYS.values()) - own
    known = {"partner", "allowed_hosts", "default_license", "personal_data",
             "classification", *_NUMBERS, *own} - others
    unknown = sorted(set(data) - known)
    if unknown:
        raise SourceConfigError(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(known))}")
    partner = data.get("partner")
    if not isinstance(partner, str) or partner not in partners:
        raise SourceConfigError(f"'partner' must be one of {', '.join(sorted(partners))}, "
                                f"got {partner!r}")
    values: dict[str, Any] = {"partner": partner}
    hosts = data.get("allowed_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
        raise SourceConfigError("'allowed_hosts' must be a list of host names or addresses, "
                                'e.g. ["127.0.0.1"]')
    values["allowed_hosts"] = tuple(h.strip() for h in hosts)
    for key, (kind, low, high) in _NUMBERS.items():
        if key not in data or key not in known:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or (kind is int and not isinstance(value, int)):
            raise SourceConfigError(f"{key!r} must be {'a whole' if kind is int else 'a'} "
                                    f"number, got {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SourceConfigError(f"{key!r} must be {bounds}, got {value!r}")
        values[key] = kind(value)
    for key in ("conditional_requests", "personal_data"):
        if key in data:
            if not isinstance(data[key], bool):
                raise SourceConfigError(f"{key!r} must be true or false, got {data[key]!r}")
            values[key] = data[key]
    if "classification" in data:
        if data["classification"] not in CLASSIFICATIONS:
            raise SourceConfigError(f"'classification' must be one of "
                                    f"{', '.join(CLASSIFICATIONS)}, got {data['classification']!r}")
        values["classification"] = data["classification"]
    if "constraint" in data:
        constraint = data["constraint"]
        if not isinstance(constraint, str) or not constraint.strip():
            raise SourceConfigError("'constraint' must be a CQL filter as text, e.g. "
                                    '"apiso:Subject LIKE \'%opendata%\'"')
        values["constraint"] = constraint.strip()
    if "default_license" in data:
        licence = data["default_license"]
        uri = default_vocabularies().normalise("licenses", str(licence)) \
            if isinstance(licence, str) else None
        if not uri:
            raise SourceConfigError(f"'default_license' must be a licence of the DCAT-AP.de "
                                    f"licence list, e.g. {DEFAULT_LICENSE}, got {licence!r}")
        values["default_license"] = uri
    return SourceConfig(**values)
