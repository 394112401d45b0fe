"""Partners' own identity providers: ``token trust`` registers one (issuer + JWKS URL) for
one partner, its tokens then read as that partner's account and never as anyone else; the
JWKS comes from a scripted server on 127.0.0.1, fetched with limits, cached, and fetched
again at most once per cooldown however many unknown kids arrive. The cache's clock is
moved by the tests (``jwks.monotonic``); nothing waits.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from ckanext.twin.access import cli, jwks, store
from test_access_tokens import (ACCESS_CONFIG, SITE, claims_of, invoke,
                                issue, refusal, rotate, sign_with_active_key, whoami)

IDP = "https://login.garching.example/realms/daten"
JWKS_PATH = "/realms/daten/certs"

pytestmark = [*ACCESS_CONFIG,
              pytest.mark.ckan_config("ckanext.twin.jwt.jwks_allowed_hosts", "127.0.0.1"),
              pytest.mark.usefixtures("with_plugins", "clean_db")]


@dataclass
class IdentityProvider:
    """A partner's identity provider: signing keys and the JWKS document serving them."""

    server: Any
    keys: dict[str, Any] = field(default_factory=dict)  # kid -> private key
    extra: list[dict[str, Any]] = field(default_factory=list)  # further JWKS entries

    @property
    def jwks_url(self) -> str:
        return self.server.url(JWKS_PATH)

    def add_key(self, kid: str, private: Any = None) -> None:
        self.keys[kid] = private or ed25519.Ed25519PrivateKey.generate()

    def document(self) -> dict[str, Any]:
        found = []
        for kid, private in self.keys.items():
            exporter = {ed25519.Ed25519PrivateKey: OKPAlgorithm,
                        ec.EllipticCurvePrivateKey: ECAlgorithm,
                        rsa.RSAPrivateKey: RSAAlgorithm}
            kind = next(k for k in exporter if isinstance(private, k))
            found.append({**exporter[kind].to_jwk(private.public_key(), as_dict=True),
                          "kid": kid, "use": "sig"})
        return {"keys": found + self.extra}

    def token(self, kid: str = "k1", alg: str | None = None, private: Any = None,
              **claims: Any) -> str:
        """A token of this IdP for Garching, signed with key ``kid`` (or ``private``)."""
        private = private or self.keys[kid]
        alg = alg or ("EdDSA" if isinstance(private, ed25519.Ed25519PrivateKey) else
                      "ES256" if isinstance(private, ec.EllipticCurvePrivateKey) else "RS256")
        now = int(time.time())
        values = {"iss": IDP, "aud": SITE, "sub": "partner:garching", "jti": str(uuid.uuid4()),
                  "iat": now, "nbf": now, "exp": now + 300, **claims}
        return jwt.encode(values, private, algorithm=alg, headers={"kid": kid})

    def fetches(self) -> int:
        return len(self.server.hits(JWKS_PATH))


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The JWKS cache's clock; tests move it forward by adding to ``clock[0]``."""
    now = [1_000_000.0]
    monkeypatch.setattr(jwks, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def idp(http_server, clock) -> IdentityProvider:
    """Garching's identity provider with one Ed25519 key ``k1``; Garching's organization."""
    factories.Organization(name="garching")
    factories.Organization(name="eching")
    provider = IdentityProvider(http_server)
    provider.add_key("k1")
    http_server.route(JWKS_PATH, lambda r: r.respond(
        200, json.dumps(provider.document()).encode(), {"Content-Type": "application/json"}))
    return provider


def trust(provider: IdentityProvider, partner: str = "garching", issuer: str = IDP,
          ok: bool = True) -> Any:
    return invoke(cli.token, "trust", "--partner", partner, "--issuer", issuer,
                  "--jwks-url", provider.jwks_url, ok=ok)


# -- accepted: for its own partner only ---------------------------------------------------------

def test_partner_idp_token_reads_as_the_partner_account(app, idp):
    result = trust(idp)
    assert result.stdout == (f"partner:garching: tokens of {IDP} accepted, keys k1 "
                             f"(from {idp.jwks_url})\n")
    token = idp.token()

    answer = whoami(app, token)["result"]

    assert answer == {"user": "partner-garching",
                      "principal": {"kind": "partner", "id": "garching",
                                    "subject": "partner:garching"},
                      "token": {"kid": "k1", "jti": claims_of(token)["jti"], "iss": IDP,
                                "exp": claims_of(token)["exp"]}}
    account = model.User.by_name("partner-garching")
    organization = model.Group.get("garching")
    assert not account.sysadmin
    assert [(m.group_id, m.capacity) for m in model.Session.query(model.Member).filter_by(
        table_name="user", table_id=account.id, state="active")] == [(organization.id, "member")]


@pytest.mark.parametrize("subject, reason", [
    ("partner:eching", "the identity provider of garching may not speak for partner:eching"),
    ("platform:digital-twin",
     "the identity provider of garching may not speak for platform:digital-twin"),
    ("partner:atlantis", "may not speak for partner:atlantis"),
])
def test_idp_speaks_for_its_partner_only(app, idp, subject, reason):
    trust(idp)

    assert reason in refusal(app, idp.token(sub=subject))


def test_idp_token_needs_the_portal_as_audience_and_a_short_life(app, idp):
    trust(idp)

    assert "wrong audience (aud)" in refusal(app, idp.token(aud=IDP))
    now = int(time.time())
    assert "token lives longer than 86400 s" in refusal(app, idp.token(exp=now + 90000))


def test_portal_issued_partner_token_reads_as_the_same_account(app, idp):
    rotate()
    token = issue("--partner", "garching")

    assert whoami(app, token)["result"]["user"] == "partner-garching"
    trust(idp)
    assert whoami(app, idp.token())["result"]["user"] == "partner-garching"


def test_portal_keys_do_not_sign_for_the_idp_and_the_idp_cannot_sign_for_the_portal(app, idp):
    rotate()
    trust(idp)
    portal_token = issue("--partner", "garching")
    with_idp_issuer = sign_with_active_key({**claims_of(portal_token), "iss": IDP})
    portal_kid = jwt.get_unverified_header(portal_token)["kid"]

    assert f"unknown key (kid) {portal_kid} of garching" in refusal(app, with_idp_issuer)

    idp.add_key(portal_kid)  # the IdP signs under the portal's kid, as the portal
    claiming_portal = idp.token(kid=portal_kid, iss=SITE, jti=claims_of(portal_token)["jti"])
    assert "invalid signature" in refusal(app, claiming_portal)


def test_alg_must_be_the_one_of_the_idp_key(app, idp):
    idp.add_key("ec", ec.generate_private_key(ec.SECP256R1()))
    trust(idp)
    assert whoami(app, idp.token(kid="ec"))["result"]["user"] == "partner-garching"
    forged = idp.token(kid="ec")
    header, payload, signature = forged.split(".")
    swapped = jwt.utils.base64url_encode(json.dumps({"alg": "EdDSA", "kid": "ec"}).encode())

    assert "alg EdDSA does not match key ec (ES256)" in refusal(
        app, f"{swapped.decode()}.{payload}.{signature}")


def test_untrusted_or_revoked_idp_tokens_read_nothing(app, idp):
    trust(idp)
    token, other = idp.token(), idp.token()
    jti = claims_of(token)["jti"]

    assert "not issued here: refused from any issuer" in invoke(cli.token, "revoke", jti).stdout
    assert f'token "{jti}" was revoked' in refusal(app, token)
    assert whoami(app, other)["result"]["user"] == "partner-garching"

    assert invoke(cli.token, "trusted").stdout.startswith(f"garching  {IDP}  {idp.jwks_url}  ")
    assert "refused from now on" in invoke(cli.token, "untrust", "--partner", "garching").stdout
    assert f'unknown issuer (iss) "{IDP}"' in refusal(app, other)
    assert invoke(cli.token, "trusted").stdout == ""
    untrusted = invoke(cli.token, "untrust", "--partner", "garching", ok=False)
    assert untrusted.exit_code == 1 and "has no trusted identity provider" in untrusted.stderr


def test_deleted_partner_account_reads_nothing_and_old_idp_tokens_stay_dead(app, idp):
    trust(idp)
    before = idp.token(iat=int(time.time()) - 5)
    site_user = call_action("get_site_user")["name"]
    call_action("user_delete", {"ignore_auth": True, "user": site_user}, id="partner-garching")
    assert "the account of partner:garching is deleted or missing" in refusal(app, before)

    trust(idp)  # registering again reactivates the account
    assert "issued before the account was reactivated" in refusal(app, before)
    assert whoami(app, idp.token(iat=int(time.time()) + 1))["result"]["user"] \
        == "partner-garching"


# -- the JWKS: bounded fetches, cooldown, unusable keys ---------------------------------------

def test_burst_of_random_kids_costs_one_fetch_per_cooldown(app, idp, clock):
    trust(idp)
    registered = idp.fetches()  # `trust` fetched once to check the JWKS
    assert whoami(app, idp.token())["result"]["user"] == "partner-garching"
    assert idp.fetches() == registered + 1
    attacker = ed25519.Ed25519PrivateKey.generate()

    def burst() -> None:
        for _ in range(40):
            kid = uuid.uuid4().hex
            assert f"unknown key (kid) {kid} of garching" in refusal(
                app, idp.token(kid=kid, private=attacker))

    burst()
    assert idp.fetches() == registered + 1  # not one more, within the cooldown
    idp.add_key("k2")  # the IdP rotates: its new key is unknown here until the next fetch
    rotated = idp.token(kid="k2")
    assert "unknown key (kid) k2 of garching" in refusal(app, rotated)

    clock[0] += 60  # ckanext.twin.jwt.jwks_cooldown
    burst()
    assert idp.fetches() == registered + 2  # exactly one refetch for the whole burst
    assert whoami(app, rotated)["result"]["token"]["kid"] == "k2"
    assert whoami(app, idp.token(kid="k1"))["result"]["token"]["kid"] == "k1"
    assert idp.fetches() == registered + 2


def test_keys_are_refreshed_after_the_cache_ttl_and_not_used_when_unreachable(
        app, idp, clock, http_server):
    trust(idp)
    token = idp.token()
    assert whoami(app, token)["result"]["user"] == "partner-garching"
    http_server.status(JWKS_PATH, 503)

    clock[0] += 299  # within ckanext.twin.jwt.jwks_cache_ttl: from the cache
    assert whoami(app, token)["result"]["user"] == "partner-garching"

    clock[0] += 1  # stale: refetched, and the IdP does not answer
    message = refusal(app, token)
    assert "the keys of garching cannot be fetched" in message and "HTTP 503" in message
    assert "cannot be fetched" in refusal(app, token)  # and no refetch before the cooldown
    assert len(http_server.hits(JWKS_PATH)) == 3


def test_unusable_jwks_entries_are_skipped(app, idp):
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"
    weak_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with_private = ec.generate_private_key(ec.SECP256R1())
    idp.extra = [
        {"kty": "oct", "kid": "hmac", "k": secret, "alg": "HS256"},
        {**OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate().public_key(),
                               as_dict=True)},  # no kid
        {**OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate().public_key(),
                               as_dict=True), "kid": "enc", "use": "enc"},
        {**RSAAlgorithm.to_jwk(weak_rsa.public_key(), as_dict=True), "kid": "weak"},
        {**ECAlgorithm.to_jwk(with_private, as_dict=True), "kid": "private"},
        {**OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate().public_key(),
                               as_dict=True), "kid": "mislabelled", "alg": "RS256"},
        {**OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate().public_key(),
                               as_dict=True), "kid": "../../etc/passwd"},
    ]

    result = trust(idp)

    assert "keys k1 (from" in result.stdout
    skipped = result.stderr.splitlines()
    assert len(skipped) == 7
    assert "key hmac: carries private or symmetric key material" in skipped[0]
    assert "no kid" in skipped[1] and "use is 'enc'" in skipped[2]
    assert "not Ed25519, P-256 or RSA of 2048+ bits" in skipped[3]
    assert "private or symmetric key material" in skipped[4]
    assert "alg 'RS256' does not fit its key type" in skipped[5]
    assert "no kid, or a kid other than" in skipped[6]
    hmac_token = jwt.encode({**claims_of(idp.token())}, jwt.utils.base64url_decode(secret),
                            algorithm="HS256", headers={"kid": "hmac"})
    assert 'alg "HS256" is not allowed' in refusal(app, hmac_token)
    signer = ed25519.Ed25519PrivateKey.generate()  # any key, under the encryption key's kid
    assert "unknown key (kid) enc of garching" in refusal(app, idp.token(kid="enc",
                                                                          private=signer))


def test_a_kid_listed_twice_is_ambiguous_and_unused(app, idp):
    idp.add_key("k2")
    idp.extra = [{**OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate().public_key(),
                                        as_dict=True), "kid": "k2"}]
    result = trust(idp)

    assert "keys k1 (from" in result.stdout
    assert "kid k2 appears more than once: none of its keys is used" in result.stderr
    assert "unknown key (kid) k2 of garching" in refusal(app, idp.token(kid="k2"))


# -- registration: checked first, nothing half-applied -----------------------------------------

@pytest.mark.parametrize("case, expected", [
    ("not json", "not JSON"),
    ("no keys", 'not a JWKS (expected an object with a "keys" list)'),
    ("no usable key", "no usable signing key"),
    ("redirect", "more than 0 redirects"),
    ("too large", "response exceeds the 64 KiB limit"),
    ("plain http elsewhere", "must use https"),
    ("own issuer", "is the portal's own issuer"),
    ("unknown partner", "unknown partner 'atlantis'"),
    ("issuer of another partner", "is already trusted for partner 'garching'"),
])
def test_bad_registrations_are_refused_and_nothing_is_stored(idp, http_server, case, expected):
    url, partner, issuer = idp.jwks_url, "eching", "https://login.eching.example"
    if case == "not json":
        url = http_server.content("/certs", b"<html>Login</html>", "text/html")
    elif case == "no keys":
        url = http_server.content("/certs", b'{"keys": {}}', "application/json")
    elif case == "no usable key":
        url = http_server.content("/certs", b'{"keys": [{"kty": "oct", "kid": "a", "k": "AA"}]}',
                                  "application/json")
    elif case == "redirect":
        url = http_server.redirect("/certs", idp.jwks_url)
    elif case == "too large":
        url = http_server.endless("/certs", 70 * 1024, content_type="application/json")
    elif case == "plain http elsewhere":
        url = "http://login.eching.example/certs"
    elif case == "own issuer":
        issuer = SITE
    elif case == "unknown partner":
        partner = "atlantis"
    else:
        trust(idp)
        issuer = IDP
    before = store.trusted()

    result = invoke(cli.token, "trust", "--partner", partner, "--issuer", issuer,
                    "--jwks-url", url, ok=False)

    assert result.exit_code == 1 and expected in result.stderr, result.stderr
    assert store.trusted() == before
    assert model.User.by_name("partner-eching") is None


def test_jwks_on_a_private_address_is_refused_unless_allowed(idp, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.twin.jwt.jwks_allowed_hosts", [])
    result = invoke(cli.token, "trust", "--partner", "garching", "--issuer", IDP,
                    "--jwks-url", idp.jwks_url.replace("http:", "https:"), ok=False)

    assert result.exit_code == 1 and "loopback address" in result.stderr
    assert idp.fetches() == 0 and store.trusted() == []
