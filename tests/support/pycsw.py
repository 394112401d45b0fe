"""A real pycsw 2.6.2 CSW server on 127.0.0.1, for tests and benchmarks.

``pycsw_catalog(records, database)`` runs ``scripts/pycsw_server.py`` under
``.venv-pycsw/bin/python`` (made by ``scripts/pycsw.sh``) as a subprocess on a free loopback
port, waits until it prints ``ready <url>``, yields a ``Catalog`` (``catalog.url`` is the CSW
endpoint, ``http://127.0.0.1:<port>/csw``) and stops the server afterwards. The server re-uses
``database`` when the records did not change, so a fixed database path makes restarts fast.

``FIXTURE_FOLDERS`` are the ISO record folders of ``tests/fixtures/iso19139`` (not
``csw-responses/``, which holds CSW answers); ``NOT_LOADED`` lists the files among them that
pycsw 2.6.2 does not load, and why.
"""
from __future__ import annotations

import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-pycsw" / "bin" / "python"
SERVER = ROOT / "scripts" / "pycsw_server.py"
ISO_FIXTURES = ROOT / "tests" / "fixtures" / "iso19139"
FIXTURE_FOLDERS = tuple(sorted(p for p in ISO_FIXTURES.iterdir()
                               if p.is_dir() and p.name != "csw-responses"))
CACHE = ROOT / "var" / "pycsw"  # git-ignored; databases re-used while their records stay

_DUPLICATE = "same fileIdentifier as {}, loaded first (pycsw keeps one record per identifier)"
# Fixture files (relative to tests/fixtures/iso19139) that pycsw 2.6.2 does not load.
NOT_LOADED = {
    "ckanext-spatial/gemini2.1__error_bad_xml.xml": "not well-formed XML",
    "ckanext-spatial/gemini2.1__service1_newer.xml":
        _DUPLICATE.format("ckanext-spatial/gemini2.1__service1.xml"),
    "ckanext-spatial/gemini2.1__source2__same_dataset.xml":
        _DUPLICATE.format("ckanext-spatial/gemini2.1__source1__same_dataset.xml"),
    "ckanext-spatial/iso19139__dataset.xml":
        _DUPLICATE.format("ckanext-spatial/gemini2.1__dataset1.xml"),
    "de-ingrid/10453eff-59fa-42e9-a3e1-6e3cd99e2a05_full.xml":
        "pycsw crashes on its gmd:referenceSystemInfo without a code (TypeError)",
    "de-mrmap/vogtlandkreis_bestandsplan_dataset.xml":
        _DUPLICATE.format("de-gdk-destatis-vogtland/2c4d65c8-b56c-445d-8374-d3492a7d959e.xml"),
    "intl-owslib/inspire-geoportal__suvim_wms_service_nobbox.xml":
        "pycsw crashes on this service record without a bbox (AttributeError)",
    "intl-owslib/iso_mi.xml":
        _DUPLICATE.format("intl-owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml"),
    "pycsw-edge/duplicatefileid__AVHRR.2012.7Agg.xml":
        _DUPLICATE.format("pycsw-edge/duplicatefileid__AVHRR.2011.7Agg.xml"),
    "pycsw-edge/iso19115-3__auscope-3d-model.xml":
        "ISO 19115-3 (mdb:MD_Metadata): pycsw 2.6.2 knows no such metadata format",
    "pycsw-edge/iso19115-3__metawal.wallonie.be-srv.xml":
        "ISO 19115-3 (mdb:MD_Metadata): pycsw 2.6.2 knows no such metadata format",
}

START_TIMEOUT = 180.0  # seconds; loading 2,000 records takes about 25 s on two cores
STOP_TIMEOUT = 10.0


class PycswError(RuntimeError):
    """The server could not be started; the message ends with the tail of its log."""


@dataclass
class Catalog:
    """A running pycsw server: its CSW ``url`` and the files it did not load (path as
    passed, under the given folders → pycsw's reason)."""

    url: str
    log: Path
    not_loaded: dict[Path, str] = field(default_factory=dict)


@contextmanager
def pycsw_catalog(records: Iterable[Path], database: Path | None = None, *, port: int = 0,
                  timeout: float = START_TIMEOUT) -> Iterator[Catalog]:
    """A pycsw server with the ISO XML ``records`` (files or folders, searched recursively)
    for the duration of the block. Without ``database``, a fresh one in a temporary folder;
    ``port`` 0: a free port."""
    if not PYTHON.exists():
        raise PycswError(f"{PYTHON} does not exist: run scripts/pycsw.sh (make test does)")
    with tempfile.TemporaryDirectory(prefix="twin-pycsw-") as work:
        database = database or Path(work) / "records.sqlite"
        log = Path(work) / "server.log"
        command = [str(PYTHON), str(SERVER), "--records", *map(str, records),
                   "--database", str(database), "--port", str(port)]
        with log.open("wb") as errors:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors,
                                       stdin=subprocess.DEVNULL, cwd=ROOT,
                                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
        try:
            url = _ready(process, log, timeout)
            yield Catalog(url=url, log=log, not_loaded=_not_loaded(log))
        finally:
            _stop(process)


def _ready(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    """The URL from the server's ``ready <url>`` line, waiting at most ``timeout`` s."""
    lines: queue.Queue[bytes] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.put(process.stdout.readline()),  # type: ignore
                     daemon=True).start()
    try:
        line = lines.get(timeout=timeout).decode().strip()
    except queue.Empty:
        raise PycswError(f"pycsw was not ready within {timeout:g} s{_tail(log)}") from None
    if not line.startswith("ready "):
        process.wait(STOP_TIMEOUT)
        raise PycswError(f"pycsw did not start (exit {process.returncode}){_tail(log)}")
    return line.split(" ", 1)[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    if process.stdout is not None:
        process.stdout.close()


def _not_loaded(log: Path) -> dict[Path, str]:
    prefix = "pycsw_server: not loaded: "
    refused = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(prefix):
            path, _, reason = line[len(prefix):].partition(": ")
            refused[Path(path)] = reason
    return refused


def _tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return (":\n" + "\n".join(text[-lines:])) if text else " (nothing logged)"
