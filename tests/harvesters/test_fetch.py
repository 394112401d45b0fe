"""Safe HTTP: schemes, addresses, redirects, size and time limits, compression, ETag.

Every server here listens on 127.0.0.1, which is itself a loopback address: the tests allow it
explicitly (``LOCAL``), as a source on the intranet would be allowed. ``network_guard`` fails
any test that lets traffic (or a DNS lookup) leave the loopback interface.
"""
from __future__ import annotations

import gzip
import tracemalloc

import pytest
import requests

from harvesters.fetch import (
    MIB,
    FetchError,
    FetchLimits,
    URLRefused,
    address_kind,
    check_url,
    fetch,
    guarded_session,
    redact,
)

LOCAL = FetchLimits(allowed_hosts=frozenset({"127.0.0.1"}))
TURTLE = b'<http://example.org/d> <http://purl.org/dc/terms/title> "Titel"@de .\n'


def small(max_bytes: int = MIB, **changes: object) -> FetchLimits:
    return FetchLimits(max_bytes=max_bytes, allowed_hosts=frozenset({"127.0.0.1"}),
                       **changes)  # type: ignore[arg-type]


# -- a plain fetch ------------------------------------------------------------------------------

def test_fetch_returns_content_type_and_validators(http_server):
    url = http_server.content("/catalog.ttl", TURTLE, "text/turtle; charset=utf-8",
                              {"ETag": '"abc"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"})
    response = fetch(url, LOCAL)
    assert response.content == TURTLE
    assert response.status == 200
    assert response.content_type == "text/turtle; charset=utf-8"
    assert response.etag == '"abc"'
    assert response.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert not response.not_modified
    request = http_server.hits("/catalog.ttl")[0]
    assert "text/turtle" in request.header("Accept")
    assert request.header("Accept-Encoding") == "gzip, deflate"


def test_a_server_that_keeps_the_connection_open_is_read_to_the_end(http_server):
    """Python's http.server (HTTP/1.1) ignores the client's ``Connection: close``; the pool
    then closes the connection as soon as the body is complete."""
    def keep_alive(request):
        handler = request.handler
        handler.send_response(200)
        handler.send_header("Content-Type", "text/turtle")
        handler.send_header("Content-Length", str(len(TURTLE)))
        handler.end_headers()
        handler.wfile.write(TURTLE)
    url = http_server.route("/keep-alive.ttl", keep_alive)

    assert fetch(url, LOCAL).content == TURTLE


@pytest.mark.parametrize("status", [500, 404, 403, 204])
def test_an_unusable_status_is_an_error_with_the_status(http_server, status):
    url = http_server.status("/catalog.ttl", status)
    with pytest.raises(FetchError) as caught:
        fetch(url, LOCAL)
    assert str(caught.value) == f"{url}: HTTP {status}"
    assert caught.value.status == status


# -- schemes and addresses ----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/catalog.ttl",
                                 "gopher://127.0.0.1:70/_", "data:text/turtle,x",
                                 "javascript:alert(1)", "/relative/catalog.ttl"])
def test_only_http_and_https_are_fetched(url, network_guard):
    with pytest.raises(FetchError, match="only http and https"):
        fetch(url, LOCAL)
    assert network_guard.connects == [] and network_guard.lookups == []


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback address"), ("127.8.9.10", "loopback address"),
    ("::1", "loopback address"), ("10.1.2.3", "private address"),
    ("172.16.0.1", "private address"), ("172.31.255.254", "private address"),
    ("192.168.1.1", "private address"), ("fc00::1", "private address"),
    ("fd12:3456::1", "private address"), ("169.254.169.254", "link-local address"),
    ("fe80::1", "link-local address"), ("224.0.0.1", "multicast address"),
    ("ff02::1", "multicast address"), ("0.0.0.0", "unspecified address"),
    ("::", "unspecified address"), ("240.0.0.1", "reserved address"),
    ("100.64.0.1", "shared (carrier-grade NAT) address"),
    ("::ffff:127.0.0.1", "loopback address (embedded in the IPv6 address ::ffff:7f00:1)"),
    ("::ffff:169.254.169.254", "link-local address (embedded"),
    ("2002:7f00:1::1", "loopback address (embedded"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a00:5", "private address (embedded"),  # NAT64 of 10.0.0.5
    ("93.184.216.34", None), ("2606:4700:4700::1111", None), ("8.8.8.8", None),
])
def test_address_kinds(address, kind):
    found = address_kind(address)
    assert (found is None) if kind is None else found.startswith(kind)


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "10.0.0.5", "169.254.169.254",
                                  "[::ffff:127.0.0.1]", "0.0.0.0", "192.168.0.10"])
def test_a_non_public_address_is_refused_without_a_connection(host, network_guard):
    with pytest.raises(FetchError, match=r"refused \(.*address.*; add the host"):
        fetch(f"http://{host}:8080/catalog.ttl", FetchLimits())
    assert network_guard.connects == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1"])
def test_numeric_spellings_of_loopback_are_refused(host, network_guard):
    with pytest.raises(FetchError, match="resolves to 127.0.0.1, a loopback address"):
        fetch(f"http://{host}:8080/", FetchLimits())
    assert network_guard.connects == []


def test_a_name_resolving_to_a_private_address_is_refused(fake_dns, network_guard):
    fake_dns["intranet.example"] = ["10.0.0.5"]
    with pytest.raises(FetchError, match=r"intranet.example resolves to 10.0.0.5, a private "):
        fetch("http://intranet.example/catalog.ttl", FetchLimits())
    assert network_guard.connects == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(fake_dns):
    fake_dns["mixed.example"] = [["93.184.216.34", "127.0.0.1"]]
    with pytest.raises(FetchError, match="mixed.example resolves to 127.0.0.1, a loopback"):
        fetch("http://mixed.example/", FetchLimits())


def test_an_allowed_host_may_be_loopback(http_server):
    url = http_server.content("/c.ttl", TURTLE)
    assert fetch(url, LOCAL).content == TURTLE
    with pytest.raises(FetchError, match="127.0.0.1 is a loopback address|loopback address"):
        fetch(url, FetchLimits())
    assert http_server.hits("/c.ttl") and len(http_server.hits("/c.ttl")) == 1


def test_dns_rebinding_is_caught_at_connect_time(http_server, fake_dns, network_guard):
    """The name is public when checked and loopback when connected: the connection checks
    the address it connects to, so nothing reaches the loopback server."""
    http_server.content("/secret", b"internal")
    fake_dns["rebind.example"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(FetchError, match="refused before connecting: rebind.example resolves "
                                         "to 127.0.0.1, a loopback address"):
        fetch(f"http://rebind.example:{http_server.port}/secret", FetchLimits())
    assert http_server.hits("/secret") == []
    assert network_guard.connects == []
    assert network_guard.lookups == ["rebind.example", "rebind.example"]


def test_a_session_of_the_callers_own_gets_the_check_before_the_request(http_server):
    url = http_server.content("/c.ttl", TURTLE)
    with requests.Session() as session:
        with pytest.raises(FetchError, match="loopback"):
            fetch(url, FetchLimits(), session=session)
        assert fetch(url, LOCAL, session=session).content == TURTLE


def test_the_guarded_session_refuses_proxies(http_server):
    session = guarded_session(LOCAL)
    session.proxies = {"http": "http://127.0.0.1:3128"}
    with pytest.raises(FetchError, match="does not use proxies"):
        fetch(http_server.content("/c.ttl", TURTLE), LOCAL, session=session)


def test_credentials_never_appear_in_errors(http_server):
    url = http_server.status("/c.ttl", 500).replace("http://", "http://user:secret@")
    with pytest.raises(FetchError) as caught:
        fetch(url, LOCAL)
    assert "secret" not in str(caught.value) and "user" not in str(caught.value)
    assert redact("https://a:b@example.org/x?y=1") == "https://example.org/x?y=1"


# -- redirects ----------------------------------------------------------------------------------

def test_redirects_on_the_same_host_are_followed(http_server):
    http_server.content("/catalog.ttl", TURTLE)
    http_server.redirect("/old", "/moved", 301)
    start = http_server.redirect("/moved", http_server.url("/catalog.ttl"), 307)
    response = fetch(http_server.url("/old"), LOCAL)
    assert response.content == TURTLE
    assert response.url == http_server.url("/catalog.ttl")
    assert response.redirects == (http_server.url("/old"), start)


def test_a_redirect_to_another_host_is_refused_before_any_lookup(http_server, network_guard):
    url = http_server.redirect("/r", "https://evil.example/catalog.ttl")
    with pytest.raises(FetchError) as caught:
        fetch(url, LOCAL)
    assert str(caught.value) == (f"{url}: redirect to evil.example refused (another host than "
                                 "127.0.0.1)")
    assert "evil.example" not in network_guard.lookups


def test_a_redirect_to_loopback_is_refused_when_not_allowed(http_server):
    """The source is allowed as ``localhost``; 127.0.0.1 is another, unallowed host."""
    target = http_server.content("/internal", b"admin")
    url = http_server.redirect("/r", target)
    with pytest.raises(FetchError) as caught:
        fetch(url.replace("127.0.0.1", "localhost"),
              FetchLimits(allowed_hosts=frozenset({"localhost"})))
    assert caught.value.reason == "redirect to 127.0.0.1 refused (loopback address)"
    assert http_server.hits("/internal") == []


def test_a_redirect_to_the_metadata_address_is_refused_before_connecting(http_server,
                                                                          network_guard):
    url = http_server.redirect("/r", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchError) as caught:
        fetch(url, LOCAL)
    assert str(caught.value) == f"{url}: redirect to 169.254.169.254 refused (link-local address)"
    assert "169.254.169.254" not in network_guard.connects


@pytest.mark.parametrize("location, reason", [
    ("file:///etc/passwd", "redirect to file:///etc/passwd refused (only http and https)"),
    ("gopher://127.0.0.1:6379/_INFO", "refused (only http and https)"),
    ("http://[::ffff:169.254.169.254]/", "redirect to ::ffff:a9fe:a9fe refused (link-local "),
    ("http://10.0.0.1/", "redirect to 10.0.0.1 refused (private address)"),
    ("//evil.example/x", "redirect to evil.example refused (another host"),
])
def test_redirects_out_of_bounds_are_refused(http_server, network_guard, location, reason):
    url = http_server.redirect("/r", location)
    with pytest.raises(FetchError, match=reason.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        fetch(url, LOCAL)
    assert set(network_guard.connects) <= {"127.0.0.1"}


def test_a_redirect_to_an_allowed_host_is_followed(http_server):
    target = http_server.content("/catalog.ttl", TURTLE)
    url = http_server.redirect("/r", target).replace("127.0.0.1", "localhost")
    limits = FetchLimits(allowed_hosts=frozenset({"localhost", "127.0.0.1"}))
    assert fetch(url, limits).content == TURTLE


def test_https_to_http_redirects_are_refused():
    from harvesters.fetch import _check_redirect
    with pytest.raises(FetchError, match=r"from https down to http"):
        _check_redirect("https://a.example/", "https://a.example/", "http://a.example/x",
                        "a.example", FetchLimits())


def test_redirect_loops_end_at_the_limit(http_server):
    url = http_server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(url, LOCAL)
    assert len(http_server.hits("/loop")) == 6


def test_check_url_does_not_resolve_a_refused_other_host(network_guard):
    with pytest.raises(URLRefused, match="another host than a.example"):
        check_url("http://b.example/", FetchLimits(), origin="a.example")
    assert network_guard.lookups == []


# -- size ---------------------------------------------------------------------------------------

def test_a_declared_oversize_body_is_refused_without_reading_it(http_server):
    url = http_server.endless("/big", total=200 * MIB, declared=200 * MIB)
    with pytest.raises(FetchError) as caught:
        fetch(url, small())
    assert caught.value.reason == f"response exceeds the 1 MiB limit (Content-Length {200 * MIB})"
    assert http_server.hits("/big")[0].sent < 16 * MIB  # socket buffers, not the body


def test_200_mb_without_content_length_stops_at_the_limit(http_server):
    url = http_server.endless("/endless", total=200 * MIB, declared=None)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as caught:
            fetch(url, small())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == f"{url}: response exceeds the 1 MiB limit"
    assert http_server.hits("/endless")[0].sent < 16 * MIB
    assert peak < 4 * MIB


def test_200_mb_stop_at_the_default_50_mib(http_server):
    url = http_server.endless("/endless", total=200 * MIB, declared=None)
    with pytest.raises(FetchError, match="response exceeds the 50 MiB limit"):
        fetch(url, LOCAL)
    assert http_server.hits("/endless")[0].sent < 70 * MIB


def test_a_content_length_that_lies_low_reads_only_what_it_declared(http_server):
    url = http_server.endless("/lie", total=200 * MIB, declared=1000)
    response = fetch(url, small())
    assert len(response.content) == 1000
    assert http_server.hits("/lie")[0].sent < 16 * MIB


def test_a_body_shorter_than_its_content_length_is_an_error(http_server):
    url = http_server.route("/short", lambda r: (r.start(200, {"Content-Type": "text/turtle"},
                                                         5000), r.write(b"# only this")))
    with pytest.raises(FetchError, match="connection broken|response was complete"):
        fetch(url, small())


# -- compression --------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_are_decoded(http_server, encoding):
    body = TURTLE * 1000
    url = http_server.compressed("/c.ttl", body, encoding)
    assert fetch(url, small()).content == body


def test_a_gzip_bomb_is_stopped_at_the_decoded_limit(http_server):
    bomb = gzip.compress(b"\0" * (200 * MIB), 9)  # 200 MiB in about 200 KB
    url = http_server.content("/bomb.ttl", bomb, "text/turtle", {"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as caught:
            fetch(url, small(4 * MIB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "response exceeds the 4 MiB limit (decoded)"
    assert peak < 12 * MIB
    assert len(bomb) < 400_000


def test_a_gzip_bomb_against_the_default_limit(http_server):
    bomb = gzip.compress(b"\0" * (200 * MIB), 9)
    url = http_server.content("/bomb.ttl", bomb, "text/turtle", {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match=r"exceeds the 50 MiB limit \(decoded\)"):
        fetch(url, LOCAL)


def test_unrequested_encodings_and_corrupt_streams_are_errors(http_server):
    url = http_server.content("/br", b"\x0b\x02\x80", "text/turtle", {"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetch(url, LOCAL)
    url = http_server.content("/cut", gzip.compress(TURTLE * 100)[:-30], "text/turtle",
                              {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="truncated"):
        fetch(url, LOCAL)
    url = http_server.content("/bad", b"\x1f\x8bnot gzip at all", "text/turtle",
                              {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt"):
        fetch(url, LOCAL)


# -- time ---------------------------------------------------------------------------------------

def test_a_trickling_body_stops_at_the_deadline(http_server):
    """One byte every 0.2 s never trips a 5 s read timeout; the 1 s deadline stops it."""
    url = http_server.slow("/slow", delay=0.2)
    with pytest.raises(FetchError) as caught:
        fetch(url, small(timeout=5.0, deadline=1.0))
    assert caught.value.reason == "no complete response within the 1 s deadline"


def test_a_server_that_does_not_answer_times_out(http_server):
    import time as clock
    url = http_server.route("/silent", lambda r: clock.sleep(3))
    with pytest.raises(FetchError, match=r"no answer within 0.5 s|deadline"):
        fetch(url, small(timeout=0.5, deadline=10.0))


# -- conditional requests ---------------------------------------------------------------------

def test_etag_gives_304_not_modified(http_server):
    url = http_server.conditional("/c.ttl", TURTLE, etag='"v7"')
    first = fetch(url, LOCAL)
    assert first.etag == '"v7"' and first.content == TURTLE
    second = fetch(url, LOCAL, etag=first.etag)
    assert second.not_modified and second.status == 304 and second.content == b""
    assert second.etag == '"v7"'
    assert http_server.hits("/c.ttl")[1].header("If-None-Match") == '"v7"'
    changed = fetch(url, LOCAL, etag='"v6"')
    assert not changed.not_modified and changed.content == TURTLE


def test_last_modified_gives_304_not_modified(http_server):
    stamp = "Wed, 01 May 2024 10:00:00 GMT"
    url = http_server.conditional("/c.ttl", TURTLE, etag=None, last_modified=stamp)
    first = fetch(url, LOCAL)
    second = fetch(url, LOCAL, last_modified=first.last_modified)
    assert second.not_modified and second.last_modified == stamp
    assert http_server.hits("/c.ttl")[1].header("If-Modified-Since") == stamp


def test_a_304_without_validators_is_an_error(http_server):
    url = http_server.status("/c.ttl", 304, b"")
    with pytest.raises(FetchError, match="HTTP 304 to a request without validators"):
        fetch(url, LOCAL)


def test_limits_are_validated_and_hosts_normalised():
    assert FetchLimits(allowed_hosts=frozenset({"[::1]", "Example.ORG."})).allowed_hosts == \
        frozenset({"::1", "example.org"})
    with pytest.raises(ValueError):
        FetchLimits(max_bytes=0)
