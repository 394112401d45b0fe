"""Keeps the harvesting core's tests on the loopback interface.

``network_guard`` (autouse) makes any connection to an address other than 127.0.0.1/::1 and any
DNS lookup of a name other than ``localhost`` fail — and records it, failing the test: a
refused URL must be refused before anything leaves the process. ``fake_dns`` lets a test give
names addresses (looked up through the same guard). ``http_server`` comes from tests/conftest.py.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from support.servers import LOOPBACK

# -- keeping every test on the loopback interface ---------------------------------------------

@dataclass
class NetworkGuard:
    dns: dict[str, list[str | list[str]]] = field(default_factory=dict)  # fake_dns entries
    lookups: list[str] = field(default_factory=list)  # names resolved (fake, localhost)
    violations: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in guard.dns:
            guard.lookups.append(name)
            answers = guard.dns[name]
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            results = []
            for address in [answer] if isinstance(answer, str) else answer:
                if ":" in address:
                    results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "",
                                    (address, port, 0, 0)))
                else:
                    results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            return results
        if name != "localhost" and not _numeric(name):
            guard.violations.append(f"DNS lookup of {name}")
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no names ({name})")
        if name == "localhost":
            guard.lookups.append(name)
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(self, address):  # type: ignore[no-untyped-def]
        host = address[0] if isinstance(address, tuple) else str(address)
        guard.connects.append(host)
        if host not in LOOPBACK:
            guard.violations.append(f"connection to {host}")
            raise ConnectionRefusedError(f"tests connect to loopback only, not {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield guard
    assert not guard.violations, "traffic left the loopback interface: " + "; ".join(
        guard.violations)


def _numeric(name: str) -> bool:
    """IP literals, including the forms inet_aton accepts (2130706433, 0x7f.1): no DNS."""
    try:
        socket.inet_pton(socket.AF_INET6, name.split("%")[0])
        return True
    except OSError:
        pass
    try:
        socket.inet_aton(name)
        return True
    except OSError:
        return False


@pytest.fixture
def fake_dns(network_guard: NetworkGuard) -> dict[str, list[str | list[str]]]:
    """Name -> answers, one per lookup (the last one stays); an answer is an address or a
    list of addresses."""
    return network_guard.dns
