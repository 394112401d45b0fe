"""A pycsw 2.6.2 catalog of ISO 19139 records, served on 127.0.0.1: the real CSW peer.

Tests, the benchmark and the demo harvest talk to a real CSW server rather than canned
answers, so that paging, sorting and constraints behave as a partner's server does. This
script runs under ``.venv-pycsw/bin/python`` (scripts/pycsw.sh) and cannot import the
project. It

- loads the XML records found under the given files and directories (recursively) into a
  SQLite repository (pycsw's ``setup_db`` and ``load_records``, profile apiso), or re-uses
  the repository when a stamp says the records and pycsw did not change;
- serves ``pycsw.wsgi.application`` on ``http://127.0.0.1:<port>/csw`` (other paths: 404)
  with a small threaded wsgiref server, never on another interface;
- prints ``ready <url>`` on stdout once it answers, and nothing else there (callers read
  stdout until that line); what it loaded and what pycsw refused goes to stderr;
- stops cleanly on SIGTERM or SIGINT.

Usage: pycsw_server.py --records DIR_OR_FILE [...] --database FILE [--port N] (0: any free).
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import os
import signal
import socketserver
import sys
import threading
import time
import warnings
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

warnings.simplefilter("ignore")  # pycsw 2.6.2 imports pkg_resources and old shapely names

from pycsw import __version__ as PYCSW_VERSION  # noqa: E402
from pycsw.core import admin, config  # noqa: E402

HOST = "127.0.0.1"
PATH = "/csw"
TABLE = "records"
MAX_RECORDS = 1000  # the largest page a client gets; the harvester asks for 100
LAYOUT = "1"  # bump when the way records are loaded changes: a new stamp reloads them

CONFIG = """\
[server]
home={home}
url={url}
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=en-US
maxrecords={max_records}
pretty_print=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=ckanext-twin test catalog
identification_abstract=ISO 19139 records served by pycsw for ckanext-twin
identification_keywords=catalogue,discovery,metadata
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=ckanext-twin
provider_url={url}
contact_name=ckanext-twin
contact_position=Developer
contact_address=Marienplatz 8
contact_city=Muenchen
contact_stateorprovince=Bayern
contact_postalcode=80331
contact_country=Germany
contact_phone=+49-89-0
contact_fax=+49-89-0
contact_email=opendata@example.org
contact_url={url}
contact_hours=0800h - 1600h CET
contact_instructions=During hours of service
contact_role=pointOfContact

[repository]
database={database}
table={table}

[metadata:inspire]
enabled=false
"""


def main() -> int:
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, _stop)
    options = _arguments()
    database = Path(options.database).resolve()
    paths = [Path(p) for p in options.records]
    _load(paths, _record_files(paths), database)
    server = _server(options.port)
    url = f"http://{HOST}:{server.server_address[1]}{PATH}"
    settings = database.with_name(f"{database.name}.{os.getpid()}.cfg")
    settings.write_text(CONFIG.format(home=Path(config.__file__).parents[1], url=url,
                                      max_records=MAX_RECORDS, table=TABLE,
                                      database=f"sqlite:///{database}"), encoding="utf-8")
    os.environ["PYCSW_CONFIG"] = str(settings)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    print(f"ready {url}", flush=True)
    sys.stdout = open(os.devnull, "w")  # pycsw.wsgi prints every request's path
    try:
        while thread.is_alive():
            thread.join(1.0)
    finally:
        server.shutdown()
        server.server_close()
        settings.unlink(missing_ok=True)
    return 0


def _stop(number: int, frame: object) -> None:
    raise SystemExit(0)  # unwinds through the finally blocks: no half-built files are left


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", nargs="+", required=True,
                        help="ISO XML files or directories (searched recursively)")
    parser.add_argument("--database", required=True, help="the SQLite repository file")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0: any free")
    return parser.parse_args()


def _record_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_file():
            files.append(path.resolve())
        elif path.is_dir():
            # named as load_records names them (links inside are not resolved)
            files += sorted(p for p in path.resolve().rglob("*.xml") if p.is_file())
        else:
            raise SystemExit(f"pycsw_server: no such file or directory: {path}")
    return files


# -- the repository -----------------------------------------------------------------------------

def _load(paths: list[Path], files: list[Path], database: Path) -> None:
    """Creates and fills ``database`` from ``paths`` unless its stamp says it holds exactly
    ``files`` (the XML files found under them).

    The stamp holds a digest of pycsw's version and of each file's place and content, then
    what pycsw did not load and why; a re-used database reports the same as a fresh load.
    """
    stamp = database.with_name(database.name + ".stamp")
    digest = _digest(paths, files)
    if database.exists() and stamp.exists():
        lines = stamp.read_text(encoding="utf-8").splitlines()
        if lines and lines[0] == digest:
            _say(f"re-using {database} ({len(files)} files unchanged)")
            _report(paths, lines[1:])
            return
    database.parent.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    building = database.with_name(f"{database.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    started = time.monotonic()
    refusals = _Refusals()
    logging.getLogger("pycsw").addHandler(refusals)
    logging.getLogger("pycsw").propagate = False
    url = f"sqlite:///{building}"
    try:
        admin.setup_db(url, TABLE, str(building.parent))
        loaded = _load_all(config.StaticContext(), url, paths)
        building.replace(database)
    finally:
        building.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    _say(f"loaded {len(loaded)} of {len(files)} files into {database} in {seconds:.1f} s")
    roots = [p.resolve() for p in paths]
    report = ["\t".join([*map(str, _place(roots, path)), refusals.reason(path)])
              for path in files if str(path) not in loaded]
    stamp.write_text("\n".join([digest, *report]) + "\n", encoding="utf-8")
    _report(paths, report)


def _load_all(context: config.StaticContext, url: str, paths: list[Path]) -> set[str]:
    """Every file through pycsw's own ``load_records``: one call per directory, since each
    call reflects the table anew (a third of the time per call).

    ``load_records`` commits once per record; on SQLite each commit is a disk sync, so the
    sync is switched off while loading (the database is rebuilt from the files anyway).
    """
    from sqlalchemy import event
    from pycsw.core.repository import Repository

    engine = Repository.create_engine(url)
    event.listen(engine, "connect",
                 lambda connection, _: connection.execute("PRAGMA synchronous=OFF"))
    engine.dispose()
    loaded: set[str] = set()
    for path in paths:
        loaded.update(admin.load_records(context, url, TABLE, str(path.resolve()),
                                         recursive=True))
    engine.dispose()
    return loaded


def _digest(paths: list[Path], files: list[Path]) -> str:
    """The same for the same files under the same relative names, wherever they are."""
    digest = hashlib.sha256(f"pycsw {PYCSW_VERSION} layout {LAYOUT}\n".encode())
    roots = [p.resolve() for p in paths]
    for path in files:
        index, name = _place(roots, path)
        digest.update(f"{index} {name}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _place(roots: list[Path], path: Path) -> tuple[int, str]:
    """Which of the given files or directories ``path`` came from, and its name there."""
    for index, root in enumerate(roots):
        if root == path:
            return index, ""
        if root in path.parents:
            return index, path.relative_to(root).as_posix()
    raise ValueError(f"{path} is not under {roots}")


def _report(paths: list[Path], lines: list[str]) -> None:
    """``not loaded: <file as the caller named it>: <pycsw's reason>``, one line each."""
    for line in lines:
        index, name, reason = line.split("\t", 2)
        path = paths[int(index)] / name if name else paths[int(index)]
        _say(f"not loaded: {path}: {reason}")


class _Refusals(logging.Handler):
    """pycsw's reasons for not loading a file (it logs them and goes on)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        self.messages.append(message)

    def reason(self, path: Path) -> str:
        said = [m for m in self.messages if str(path) in m]
        reason = said[-1].replace(str(path), path.name) if said else "no reason given"
        return " ".join(reason.split())


# -- serving ------------------------------------------------------------------------------------

class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _application(environ: dict, start_response):  # type: ignore[no-untyped-def]
    if environ.get("PATH_INFO") != PATH:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [f"not found: the catalog answers on {PATH}\n".encode()]
    from pycsw.wsgi import application
    return application(environ, start_response)


def _server(port: int) -> WSGIServer:
    try:
        return make_server(HOST, port, _application, server_class=_ThreadingServer,
                           handler_class=_QuietHandler)
    except OSError as error:
        raise SystemExit(f"pycsw_server: error: cannot listen on {HOST}:{port}: "
                         f"{error.strerror or error}") from None


def _say(message: str) -> None:
    print(f"pycsw_server: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
