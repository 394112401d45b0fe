"""Safe HTTP for harvesting: one document per call, bounded in size, time and reach.

A harvest source is a URL a partner gives us, and every document it serves can point
elsewhere (redirects, next-page links). Fetching it must not become a way into the portal's own
network (server-side request forgery: ``http://169.254.169.254/`` cloud metadata, ``127.0.0.1``
admin ports, ``10.x`` intranet hosts), nor a way to exhaust memory or a harvest worker's time.
So every fetch here:

- accepts only ``http``/``https`` URLs, for the URL itself and for every redirect, which are
  followed one by one, never by ``requests`` itself;
- refuses hosts that resolve to a non-public address (loopback, private, link-local,
  multicast, unspecified, reserved, shared/CGNAT, and such addresses embedded in IPv6), unless
  the source explicitly allows the host in ``FetchLimits.allowed_hosts``;
- refuses a redirect to another host than the one asked for, unless that host is allowed too,
  and a redirect from ``https`` down to ``http``;
- reads the body in small pieces and stops as soon as the *decoded* size passes the limit
  (gzip and deflate are decoded here, piece by piece, so a compression bomb costs at most the
  limit), whatever ``Content-Length`` claims;
- stops at a total deadline, also against a server that trickles one byte at a time (a
  watchdog shuts the socket down when the deadline passes);
- supports conditional requests (``If-None-Match`` / ``If-Modified-Since`` → 304).

``fetch`` GETs; ``post`` sends a body (a CSW GetRecords request) under the same guards, and
follows only the redirects that keep the request a POST (307, 308).

DNS rebinding (the host resolves to a public address when checked and to a private one when
connected) is closed by the session ``guarded_session`` builds: its connections resolve the host
themselves, check every address and connect to the checked address, while TLS (SNI,
certificate check) and the ``Host`` header keep the host name. ``fetch`` uses such a session
unless the caller passes another one; with a session of its own, only the check before the
request protects, and the rebinding window between check and connect stays open. The guarded
session refuses proxies (a proxy resolves the host itself, out of our sight) and never reuses
a connection: every request, redirects included, is a fresh, checked connection.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util.connection import create_connection

MIB = 1024 * 1024
CHUNK = 64 * 1024  # read and inflate in pieces of this size
SCHEMES = ("http", "https")
REDIRECTS = (301, 302, 303, 307, 308)
KEEPS_METHOD = (307, 308)  # the redirects a POST may follow with its body
USER_AGENT = "ckanext-twin-harvester/1.0 (+https://github.com/ckanext-twin)"
RDF_ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
              "application/n-triples;q=0.7, text/n3;q=0.5, application/xml;q=0.3, */*;q=0.1")
XML_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"

# Networks not caught by the ipaddress properties below (Python 3.11): shared address space
# (RFC 6598) is neither private nor global, and IPv6 prefixes that embed an IPv4 address.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class FetchError(Exception):
    """A document that could not be fetched, with one sentence saying why.

    ``url`` is the URL that was asked for (not a redirect target), without user and password;
    ``status`` the HTTP status when the server answered with an unusable one.
    """

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url, self.reason, self.status = redact(url), reason, status
        super().__init__(f"{self.url}: {reason}")


class AddressRefused(OSError):
    """A host resolves to an address harvesting must not reach (raised before connecting)."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        self.host, self.address, self.kind = host, address, kind
        shown = address if host == address else f"{host} resolves to {address},"
        super().__init__(f"{shown} a {kind}; {ALLOW_HINT}")


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may cost, and which non-public hosts a source may reach.

    ``timeout``: seconds to connect, and seconds any single read may wait;
    ``deadline``: seconds for the whole fetch, redirects and body included;
    ``allowed_hosts``: host names or IP addresses (as written in the URL) that may be reached
    although they resolve to loopback/private addresses, and that redirects and next-page
    links may lead to although they are not the host asked for.
    """

    max_bytes: int = 50 * MIB
    timeout: float = 30.0
    deadline: float = 120.0
    max_redirects: int = 5
    allowed_hosts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_hosts",
                           frozenset(normalise_host(h) for h in self.allowed_hosts))
        for name in ("max_bytes", "timeout", "deadline"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchLimits.{name} must be positive")
        if self.max_redirects < 0:
            raise ValueError("FetchLimits.max_redirects must not be negative")

    def allows(self, host: str) -> bool:
        return normalise_host(host) in self.allowed_hosts


DEFAULT_LIMITS = FetchLimits()


@dataclass(frozen=True)
class Response:
    """A fetched document. ``url`` is the final URL (after redirects), the base for its links.

    ``not_modified``: the server answered 304 to a conditional request; ``content`` is empty
    and ``etag``/``last_modified`` are the validators to send next time.
    """

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    redirects: tuple[str, ...] = field(default=())  # the URLs redirected from, in order


# -- addresses ----------------------------------------------------------------------------------

def normalise_host(host: str) -> str:
    """Lower case, no brackets, no trailing dot; IP addresses in their canonical form."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return host


def address_kind(address: str) -> str | None:
    """Why ``address`` must not be reached (``"loopback address"``, …), or None if public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and (ip in _NAT64 or ip in _NAT64_LOCAL):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_kind(str(embedded))
            if inner:
                return f"{inner} (embedded in the IPv6 address {ip})"
    for kind, test in (("unspecified address", ip.is_unspecified),
                       ("loopback address", ip.is_loopback),
                       ("link-local address", ip.is_link_local),
                       ("multicast address", ip.is_multicast),
                       ("reserved address", ip.is_reserved),
                       ("private address", ip.is_private),
                       ("shared (carrier-grade NAT) address", ip in _SHARED)):
        if test:
            return kind
    if not ip.is_global:
        return "non-public address"
    return None


def resolve(host: str, port: int, limits: FetchLimits) -> list[tuple[Any, ...]]:
    """The addresses of ``host`` (getaddrinfo tuples), all checked; raises AddressRefused.

    A host with one non-public address among public ones is refused as a whole: which address
    a connection picks is not ours to predict. Allowed hosts are resolved but not checked.
    """
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    if not limits.allows(host):
        for info in infos:
            address = str(info[4][0])
            kind = address_kind(address)
            if kind:
                raise AddressRefused(normalise_host(host), normalise_host(address), kind)
    return infos


class URLRefused(ValueError):
    """A URL that must not be fetched. ``reason`` is short (``"link-local address"``); the
    message adds what an operator can do about it, where something can be done."""

    def __init__(self, reason: str, hint: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}; {hint}" if hint else reason)


ALLOW_HINT = "add the host to the source's allowed hosts to harvest from it"


def check_url(url: str, limits: FetchLimits, origin: str | None = None,
              resolve_host: bool = True) -> str:
    """Checks that ``url`` may be fetched; returns its normalised host, raises URLRefused.

    ``origin``: the host the chain started from; another host needs ``allowed_hosts``.
    The checks run in an order that sends nothing anywhere before a refusal: scheme, IP
    literal, other host, and only then a DNS lookup of a host name.
    """
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise URLRefused(f"only http and https, not {parts.scheme or 'a relative URL'}")
    try:
        raw_host, port = parts.hostname, parts.port
    except ValueError as error:  # a port that is not a number
        raise URLRefused(f"malformed URL ({error})") from None
    if not raw_host:
        raise URLRefused("the URL has no host")
    host = normalise_host(raw_host)
    allowed = limits.allows(host)
    literal = _ip_literal(host)
    if literal is not None and not allowed:
        kind = address_kind(literal)
        if kind:
            raise URLRefused(kind, ALLOW_HINT)
    if origin is not None and host != normalise_host(origin) and not allowed:
        raise URLRefused(f"another host than {normalise_host(origin)}",
                         "add it to the source's allowed hosts if it belongs to the partner")
    if resolve_host and literal is None:
        try:
            resolve(host, port or (443 if parts.scheme == "https" else 80), limits)
        except AddressRefused as refused:
            raise URLRefused(f"{refused.host} resolves to {refused.address}, a {refused.kind}",
                             ALLOW_HINT) from None
        except (socket.gaierror, UnicodeError) as error:
            raise URLRefused(f"host name not found: {host} ({error})") from None
    return host


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def redact(url: str) -> str:
    """``url`` without user name and password (they must not reach logs and reports)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=netloc))


# -- the guarded session: check at connect time, connect to the checked address -------------------

_local = threading.local()  # the watchdog of the fetch running in this thread


class _GuardedConnectionMixin:
    """Resolves, checks and connects in one step, so the checked address is the one used."""

    limits: FetchLimits  # set on the subclasses made by _pool_classes

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        try:
            infos = resolve(conn._dns_host, conn.port, self.limits)
        except socket.gaierror as error:
            raise NameResolutionError(conn.host, conn, error) from error
        except AddressRefused as refused:
            raise NewConnectionError(conn, str(refused)) from refused
        last: OSError | None = None
        for info in infos:
            try:
                sock = create_connection((info[4][0], conn.port), conn.timeout,
                                         source_address=conn.source_address,
                                         socket_options=conn.socket_options)
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    conn, f"Connection to {conn.host} timed out. "
                          f"(connect timeout={conn.timeout})") from error
            except OSError as error:
                last = error
                continue
            watchdog = getattr(_local, "watchdog", None)
            if watchdog is not None:
                watchdog.watch(sock)
            return sock
        raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class _NoReuseMixin:
    """Closes every connection after its response instead of pooling it: each request gets a
    fresh, checked connection (and its socket is known to the deadline watchdog). Harvesting
    fetches a few large documents, so keep-alive saves little."""

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            conn.close()
        super()._put_conn(None)  # type: ignore[misc]


def _pool_classes(limits: FetchLimits) -> dict[str, type]:
    connection = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection),
                      {"limits": limits})
    secure = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection),
                  {"limits": limits})
    return {"http": type("GuardedHTTPConnectionPool", (_NoReuseMixin, HTTPConnectionPool),
                         {"ConnectionCls": connection}),
            "https": type("GuardedHTTPSConnectionPool", (_NoReuseMixin, HTTPSConnectionPool),
                          {"ConnectionCls": secure})}


class GuardedAdapter(HTTPAdapter):
    """A transport adapter whose connections only reach addresses ``limits`` permits."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.limits)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise requests.exceptions.InvalidProxyURL(
            "the guarded harvesting session does not use proxies: a proxy resolves host names "
            "itself, so the address checks would not hold")

    def __getstate__(self) -> dict[str, Any]:  # keep pickling (requests supports it) working
        state = super().__getstate__()
        state["limits"] = self.limits
        return state


def guarded_session(limits: FetchLimits) -> requests.Session:
    """A session for harvesting whose connections check the address they connect to.

    Environment proxies and ``.netrc`` are ignored (``trust_env`` off): what a harvest reaches
    must not depend on the worker's environment.
    """
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = USER_AGENT
    adapter = GuardedAdapter(limits)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# -- deadline -------------------------------------------------------------------------------------

class _Watchdog:
    """Shuts the sockets of one fetch down when its deadline passes.

    Socket timeouts bound each read, not their sum: a server sending one byte every few
    seconds would never trip them. Shutting the socket down from a timer thread wakes any
    blocked read (headers, chunk sizes, body) at the deadline.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline  # time.monotonic() value
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


@contextmanager
def _watching(deadline: float) -> Iterator[_Watchdog]:
    watchdog = _Watchdog(deadline)
    previous = getattr(_local, "watchdog", None)
    _local.watchdog = watchdog
    try:
        yield watchdog
    finally:
        _local.watchdog = previous
        watchdog.cancel()


# -- fetching ---------------------------------------------------------------------------------

def fetch(url: str, limits: FetchLimits = DEFAULT_LIMITS, etag: str | None = None,
          last_modified: str | None = None, session: requests.Session | None = None, *,
          accept: str = RDF_ACCEPT) -> Response:
    """GETs ``url`` within ``limits``, following redirects one checked hop at a time.

    ``etag``/``last_modified``: the validators of the previous fetch; a 304 answer gives
    ``Response(not_modified=True)``. Any refusal or failure raises ``FetchError`` with one
    sentence; nothing is sent to a refused address. Without ``session``, a fresh
    ``guarded_session(limits)`` is used and closed.
    """
    return _guarded(url, limits, session, etag, last_modified, accept, None)


@dataclass(frozen=True)
class _Body:
    """What a POST sends."""

    data: bytes
    content_type: str


def post(url: str, body: bytes, content_type: str, limits: FetchLimits = DEFAULT_LIMITS,
         session: requests.Session | None = None, *, accept: str = XML_ACCEPT) -> Response:
    """POSTs ``body`` (of ``content_type``) to ``url`` under the same guards as ``fetch``:
    checked addresses, ``limits`` on size and time, one checked hop per redirect.

    A 307 or 308 redirect is followed with the same body; 301, 302 and 303 would turn the
    POST into a GET (as browsers do) and raise ``FetchError`` naming the new location, for an
    operator to put into the source's configuration.
    """
    return _guarded(url, limits, session, None, None, accept, _Body(body, content_type))


def _guarded(url: str, limits: FetchLimits, session: requests.Session | None,
             etag: str | None, last_modified: str | None, accept: str,
             body: _Body | None) -> Response:
    own = session is None
    session = session or guarded_session(limits)
    try:
        with _watching(time.monotonic() + limits.deadline) as watchdog:
            return _fetch(url, limits, etag, last_modified, session, accept, watchdog, body)
    finally:
        if own:
            session.close()


def _fetch(url: str, limits: FetchLimits, etag: str | None, last_modified: str | None,
           session: requests.Session, accept: str, watchdog: _Watchdog,
           body: _Body | None = None) -> Response:
    try:
        origin = check_url(url, limits)
    except URLRefused as error:
        raise FetchError(url, f"refused ({error})") from None
    headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate", "User-Agent": USER_AGENT,
               "Connection": "close"}
    if body is not None:
        headers["Content-Type"] = body.content_type
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, history = url, list[str]()
    while True:
        response = _request(session, url, current, headers, limits, watchdog, body)
        try:
            if response.status_code in REDIRECTS:
                if len(history) >= limits.max_redirects:
                    raise FetchError(url, f"more than {limits.max_redirects} redirects")
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(url, f"HTTP {response.status_code} redirect without a "
                                          "Location", response.status_code)
                target = urljoin(current, location.strip())
                _check_redirect(url, current, target, origin, limits)
                if body is not None and response.status_code not in KEEPS_METHOD:
                    raise FetchError(url, f"HTTP {response.status_code} redirect to "
                                          f"{redact(target)}: following it would turn the POST "
                                          "into a GET; use that URL instead",
                                     response.status_code)
                history.append(current)
                current = target
                continue
            return _answer(url, current, response, limits, watchdog, etag, last_modified,
                           tuple(history))
        finally:
            response.close()


def _check_redirect(url: str, current: str, target: str, origin: str,
                    limits: FetchLimits) -> None:
    parts = urlsplit(target)
    shown = normalise_host(parts.hostname) if parts.hostname else redact(target)
    if parts.scheme not in SCHEMES:
        raise FetchError(url, f"redirect to {redact(target)} refused (only http and https)")
    if urlsplit(current).scheme == "https" and parts.scheme == "http":
        raise FetchError(url, f"redirect to {redact(target)} refused (from https down to http)")
    try:
        check_url(target, limits, origin=origin)
    except URLRefused as error:
        raise FetchError(url, f"redirect to {shown} refused ({error.reason})") from None


def _request(session: requests.Session, url: str, current: str, headers: dict[str, str],
             limits: FetchLimits, watchdog: _Watchdog,
             body: _Body | None = None) -> requests.Response:
    remaining = watchdog.remaining()
    if remaining <= 0:
        raise FetchError(url, _deadline_reason(limits))
    wait = min(limits.timeout, remaining)
    try:
        response = session.request("GET" if body is None else "POST", current,
                                   data=None if body is None else body.data, headers=headers,
                                   timeout=(wait, wait), stream=True, allow_redirects=False)
    except requests.RequestException as error:
        raise FetchError(url, _describe(error, limits, watchdog, current)) from None
    watchdog.watch(_socket(response))
    return response


def _answer(url: str, current: str, response: requests.Response, limits: FetchLimits,
            watchdog: _Watchdog, etag: str | None, last_modified: str | None,
            history: tuple[str, ...]) -> Response:
    status = response.status_code
    new_etag = response.headers.get("ETag")
    new_modified = response.headers.get("Last-Modified")
    if status == 304:
        if not (etag or last_modified):
            raise FetchError(url, "HTTP 304 to a request without validators", status)
        return Response(url=current, status=status, content=b"",
                        content_type=response.headers.get("Content-Type"),
                        etag=new_etag or etag, last_modified=new_modified or last_modified,
                        not_modified=True, redirects=history)
    if status not in (200, 203):
        raise FetchError(url, f"HTTP {status}", status)
    content = _read_body(url, response, limits, watchdog)
    return Response(url=current, status=status, content=content,
                    content_type=response.headers.get("Content-Type"), etag=new_etag,
                    last_modified=new_modified, redirects=history)


def _read_body(url: str, response: requests.Response, limits: FetchLimits,
               watchdog: _Watchdog) -> bytes:
    """The decoded body, never more than ``limits.max_bytes`` of it in memory."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    decoder = _Decoder(encoding, url)
    declared = response.headers.get("Content-Length")
    if encoding == "identity" and declared and declared.strip().isdigit() \
            and int(declared) > limits.max_bytes:
        raise FetchError(url, f"response exceeds the {_size(limits.max_bytes)} limit "
                              f"(Content-Length {declared.strip()})")
    raw, sock = response.raw, _socket(response)
    pieces: list[bytes] = []
    total = received = 0
    try:
        while True:
            remaining = watchdog.remaining()
            if remaining <= 0 or watchdog.expired:
                raise FetchError(url, _deadline_reason(limits))
            # A server that keeps the connection open hands it back once the body is read,
            # and the pool closes it: then there is nothing left to wait for.
            if sock is not None and sock.fileno() != -1:
                sock.settimeout(min(limits.timeout, remaining))
            chunk = raw.read1(CHUNK, decode_content=False)
            if not chunk:
                break
            received += len(chunk)
            if received > limits.max_bytes:  # compressed or not, never more than the limit
                raise FetchError(url, f"response exceeds the {_size(limits.max_bytes)} limit")
            for piece in decoder.feed(chunk):
                total += len(piece)
                if total > limits.max_bytes:
                    raise FetchError(url, f"response exceeds the {_size(limits.max_bytes)} "
                                          "limit" + (" (decoded)" if encoding != "identity"
                                                     else ""))
                pieces.append(piece)
        decoder.finish()
    except FetchError:
        raise
    except (requests.RequestException, HTTPError, HTTPException, OSError) as error:
        if watchdog.expired or watchdog.remaining() <= 0:
            raise FetchError(url, _deadline_reason(limits)) from None
        raise FetchError(url, _describe(error, limits, watchdog, url)) from None
    if watchdog.expired:
        raise FetchError(url, _deadline_reason(limits))
    return b"".join(pieces)


class _Decoder:
    """Decodes a Content-Encoding piece by piece, each piece at most CHUNK bytes."""

    def __init__(self, encoding: str, url: str) -> None:
        if encoding in ("gzip", "x-gzip"):
            self._wbits: int | None = 16 + zlib.MAX_WBITS
        elif encoding == "deflate":
            self._wbits = None  # zlib-wrapped or raw: decided on the first bytes
        elif encoding == "identity":
            self._wbits = 0
        else:
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r} (only gzip and "
                                  "deflate were asked for)")
        self.url, self._pending = url, b""
        self._inflater: Any = None  # a zlib decompress object, made on the first bytes

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._wbits == 0:
            yield data
            return
        if self._inflater is None:
            self._pending += data
            if self._wbits is None:
                if len(self._pending) < 2:
                    return
                first, second = self._pending[0], self._pending[1]
                zlib_header = first & 0x0F == 8 and (first * 256 + second) % 31 == 0
                self._wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
            self._inflater = zlib.decompressobj(self._wbits)
            data, self._pending = self._pending, b""
        while data:
            try:
                piece = self._inflater.decompress(data, CHUNK)
            except zlib.error as error:
                raise FetchError(self.url, f"the compressed body is corrupt ({error})") from None
            if piece:
                yield piece
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if self._wbits == 16 + zlib.MAX_WBITS and rest[:2] == b"\x1f\x8b":
                    self._inflater = zlib.decompressobj(self._wbits)  # next gzip member
                    data = rest
                    continue
                return  # trailing bytes after the stream are ignored, as browsers do
            data = self._inflater.unconsumed_tail

    def finish(self) -> None:
        if self._wbits not in (0, None) and self._inflater is not None \
                and not self._inflater.eof:
            raise FetchError(self.url, "the compressed body is truncated")


def _socket(response: requests.Response) -> socket.socket | None:
    connection = getattr(response.raw, "connection", None)
    return getattr(connection, "sock", None)


def _describe(error: BaseException, limits: FetchLimits, watchdog: _Watchdog,
              current: str) -> str:
    """One sentence for a failed request, naming a refused address when that was the cause."""
    refused = _cause(error, AddressRefused)
    if refused is not None:
        return f"connection refused before connecting: {refused}"
    if watchdog.expired or watchdog.remaining() <= 0:
        return _deadline_reason(limits)
    if _cause(error, NameResolutionError) is not None or _cause(error, socket.gaierror):
        return f"host name not found: {urlsplit(current).hostname}"
    if isinstance(error, requests.Timeout) or _cause(error, socket.timeout) is not None:
        return f"no answer within {limits.timeout:g} s"
    if isinstance(error, requests.exceptions.ChunkedEncodingError) \
            or "IncompleteRead" in str(error):
        return "connection broken before the response was complete"
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS failed ({_innermost(error)})"
    if isinstance(error, (requests.ConnectionError, OSError)):
        return f"connection failed ({_innermost(error)})"
    return f"request failed ({_innermost(error)})"


def _cause(error: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    """The first exception of type ``kind`` in the chain of ``error`` (causes, reasons, args)."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        stack += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        stack += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
    return None


def _innermost(error: BaseException) -> str:
    while True:
        inner = error.__cause__ or getattr(error, "reason", None) or next(
            (a for a in getattr(error, "args", ()) if isinstance(a, BaseException)), None)
        if not isinstance(inner, BaseException):
            return str(error) or type(error).__name__
        error = inner


def _deadline_reason(limits: FetchLimits) -> str:
    return f"no complete response within the {limits.deadline:g} s deadline"


def _size(count: int) -> str:
    for unit, size in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"
