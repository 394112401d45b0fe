"""The portal's own tokens for platforms and partners (plugin ``twin_access``): issuing,
every JWT attack of the policy notes, revocation, deleted accounts, key rotation and the
JWKS, all through HTTP requests against the app and the CLI groups of ``ckan twin``.

``twin_access_whoami`` is the observable: it says which account a request ran as. A
refused token answers 401 with the reason (German / English) and reads nothing.

The helpers at the top are shared with test_access_partners.py and test_access_policies.py.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import jwt
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.exceptions import CkanConfigurationException
from ckan.tests import factories
from ckan.tests.helpers import call_action
from click.testing import CliRunner, Result

from ckanext.twin.access import cli, keys, store
from ckanext.twin.access.accounts import Principal, principal_of
from ckanext.twin.access.plugin import AccessPlugin

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://test.ckan.net"  # ckan.site_url of the test ini: issuer and audience
PLUGINS = "twin_policy twin_access twin_search twin"
WHOAMI = "/api/3/action/twin_access_whoami"

ACCESS_CONFIG = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.twin.partners_file", str(ROOT / "config" / "partners.yaml")),
    pytest.mark.ckan_config("ckanext.twin.platforms_file",
                            str(ROOT / "config" / "platforms.yaml")),
]
pytestmark = [*ACCESS_CONFIG, pytest.mark.usefixtures("with_plugins", "clean_db")]


# -- shared helpers ---------------------------------------------------------------------------

def invoke(group: click.Group, *args: str, ok: bool = True) -> Result:
    """A ``ckan twin token|keys`` command, in this process (the lead wires the groups into
    ``ckan twin``)."""
    result = CliRunner().invoke(group, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.stderr
    return result


def rotate(algorithm: str = "EdDSA") -> str:
    """A new active key; its kid."""
    return invoke(cli.keys, "rotate", "--algorithm", algorithm).stdout.split()[0]


def issue(*args: str) -> str:
    """A token from ``token issue`` (default: for the Digital Twin)."""
    result = invoke(cli.token, "issue", *(args or ("--platform", "digital-twin")))
    return result.stdout.strip()


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def header_of(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def whoami(app: Any, token: str, status: int = 200, raw: bool = False) -> dict[str, Any]:
    """The answer of ``twin_access_whoami`` with ``token`` (as ``Bearer`` unless ``raw``)."""
    value = token if raw else f"Bearer {token}"
    response = app.get(WHOAMI, headers={"Authorization": value}, status=status)
    return response.json


def refusal(app: Any, token: str) -> str:
    """The reason a token is refused (asserting the 401 and its JSON shape)."""
    answer = whoami(app, token, status=401)
    assert answer["success"] is False
    assert answer["error"]["__type"] == "Authorization Error"
    return answer["error"]["message"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}." \
           f"{b64(signature)}"


def good_claims(**changes: Any) -> dict[str, Any]:
    """Claims the portal would issue now, changed: None drops a claim, a callable gets the
    current time (``exp=lambda now: now - 120``)."""
    now = int(time.time())
    claims = {"iss": SITE, "aud": SITE, "sub": "platform:digital-twin", "jti": "x",
              "iat": now, "nbf": now, "exp": now + 600}
    claims.update({name: value(now) if callable(value) else value
                   for name, value in changes.items()})
    return {name: value for name, value in claims.items() if value is not None}


def sign_with_active_key(claims: dict[str, Any], **header: Any) -> str:
    """``claims`` signed with the active key, as the portal signs, with ``header`` added
    (any values, also those PyJWT would not write)."""
    key = store.active_key()
    assert key is not None
    private = keys.load_private(key.private_pem, key.algorithm)
    unsigned = compact({"alg": key.algorithm, "kid": key.kid, "typ": "JWT", **header},
                       claims).rsplit(".", 1)[0]
    algorithm = jwt.algorithms.get_default_algorithms()[key.algorithm]
    return f"{unsigned}.{b64(algorithm.sign(unsigned.encode(), private))}"


# -- issuing and reading as the account -------------------------------------------------------

def test_issued_token_reads_as_the_platform_account(app):
    kid = rotate()
    result = invoke(cli.token, "issue", "--platform", "digital-twin", "--lifetime", "120")
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.count(".") == 2  # stdout: the token only
    claims = claims_of(token)
    assert f"token {claims['jti']}, key {kid}" in result.stderr

    answer = whoami(app, token)["result"]

    assert answer == {"user": "platform-digital-twin",
                      "principal": {"kind": "platform", "id": "digital-twin",
                                    "subject": "platform:digital-twin"},
                      "token": {"kid": kid, "jti": claims["jti"], "iss": SITE,
                                "exp": claims["exp"]}}
    assert header_of(token) == {"alg": "EdDSA", "kid": kid, "typ": "JWT"}
    assert claims["iss"] == claims["aud"] == SITE and claims["sub"] == "platform:digital-twin"
    assert claims["iat"] == claims["nbf"] and claims["exp"] - claims["iat"] == 120
    account = model.User.by_name("platform-digital-twin")
    assert not account.sysadmin and account.password is None  # no login but the token
    assert principal_of(account) == Principal("platform", "digital-twin")


def test_raw_authorization_header_works_too(app):
    rotate()
    assert whoami(app, issue(), raw=True)["result"]["user"] == "platform-digital-twin"


def test_anonymous_and_ckan_api_tokens_are_left_to_ckan(app):
    rotate()
    assert app.get(WHOAMI).json["result"] == {"user": None, "principal": None, "token": None}
    steward = factories.User()
    ckan_token = call_action("api_token_create", {"user": steward["name"]},
                             user=steward["name"], name="t")["token"]

    answer = app.get(WHOAMI, headers={"Authorization": ckan_token}).json["result"]

    assert answer == {"user": steward["name"], "principal": None, "token": None}


@pytest.mark.parametrize("args, message", [
    (("--platform", "no-such-platform"), "unknown platform 'no-such-platform'"),
    (("--partner", "atlantis"), "unknown partner 'atlantis'"),
    (("--platform", "Digital/Twin"), "malformed platform id 'Digital/Twin'"),
    (("--partner", "garching"), "partner 'garching' has no organization yet"),
])
def test_issue_names_what_is_wrong_and_creates_nothing(args, message):
    rotate()

    result = invoke(cli.token, "issue", *args, ok=False)

    assert result.exit_code == 1 and message in result.stderr and result.stdout == ""
    assert store.issued_tokens(include_expired=True) == []
    assert model.Session.query(model.User).filter(model.User.name.like("platform-%")
                                                  | model.User.name.like("partner-%")).count() == 0


def test_issue_needs_exactly_one_principal_and_an_active_key():
    both = invoke(cli.token, "issue", "--platform", "tempus", "--partner", "garching", ok=False)
    assert both.exit_code == 2 and "exactly one of --platform ID or --partner ID" in both.stderr

    keyless = invoke(cli.token, "issue", "--platform", "tempus", ok=False)
    assert keyless.exit_code == 1
    assert "no active signing key: create one with `ckan twin keys rotate`" in keyless.stderr


@pytest.mark.ckan_config("ckanext.twin.jwt.max_lifetime", "600")
@pytest.mark.ckan_config("ckanext.twin.jwt.lifetime", "300")
def test_lifetime_is_bounded_by_the_configured_maximum():
    rotate()
    too_long = invoke(cli.token, "issue", "--platform", "tempus", "--lifetime", "601", ok=False)
    assert too_long.exit_code == 1
    assert "lifetime 601 s is out of range: 1 to 600 s" in too_long.stderr

    claims = claims_of(issue("--platform", "tempus", "--lifetime", "600"))
    assert claims["exp"] - claims["iat"] == 600


def test_token_list_shows_issued_and_revoked():
    rotate()
    first, second = claims_of(issue())["jti"], claims_of(issue("--platform", "tempus"))["jti"]
    invoke(cli.token, "revoke", first)

    lines = invoke(cli.token, "list").stdout.splitlines()

    assert [line.split()[:2] for line in lines] == [[second, "platform:tempus"],
                                                   [first, "platform:digital-twin"]]
    assert lines[1].split()[-2] == "revoked" and lines[0].endswith("-")


# -- the attacks of the policy notes ----------------------------------------------------------

def _alg_none(jti: str) -> str:
    key = store.active_key()
    return compact({"alg": "none", "kid": key.kid, "typ": "JWT"}, good_claims(jti=jti))


def _hs256_with_public_key(jti: str) -> str:
    """HMAC-signed with the bytes of the published public key as the secret."""
    key = store.active_key()
    header = {"alg": "HS256", "kid": key.kid, "typ": "JWT"}
    unsigned = compact(header, good_claims(jti=jti)).rsplit(".", 1)[0]
    secret = key.public_pem.encode()
    return f"{unsigned}.{b64(hmac.new(secret, unsigned.encode(), hashlib.sha256).digest())}"


def _alg_swapped(jti: str) -> str:
    """Claims the active EdDSA key signs ES256 tokens."""
    key = store.active_key()
    return compact({"alg": "ES256", "kid": key.kid}, good_claims(jti=jti), b"\0" * 64)


EXPIRED = {"iat": lambda now: now - 4000, "nbf": lambda now: now - 4000,
           "exp": lambda now: now - 120}  # beyond the 30 s leeway


def _signed(header: dict[str, Any] | None = None, **claims: Any):
    return lambda jti: sign_with_active_key(good_claims(**{"jti": jti, **claims}),
                                            **(header or {}))


ATTACKS = {
    "alg none": (_alg_none, "alg \"none\" is not allowed"),
    "HS256 signed with the public key": (_hs256_with_public_key, "alg \"HS256\" is not allowed"),
    "alg of another key type": (_alg_swapped, "alg ES256 does not match key"),
    "kid path traversal": (_signed({"kid": "../../../../etc/passwd"}),
                           'kid "../../../../etc/passwd" is malformed'),
    "kid too long": (_signed({"kid": "k" * 65}), "is malformed"),
    "kid not a string": (_signed({"kid": 7}), "kid 7 is malformed"),
    "unknown kid": (_signed({"kid": "20990101-000000000000"}),
                    "unknown or retired key (kid) 20990101-000000000000"),
    "attacker jku": (_signed({"jku": "http://127.0.0.1:1/jwks.json"}),
                     "header parameter jku is not allowed"),
    "attacker x5u": (_signed({"x5u": "http://127.0.0.1:1/cert.pem"}),
                     "header parameter x5u is not allowed"),
    "embedded x5c": (_signed({"x5c": ["MIIB"]}), "header parameter x5c is not allowed"),
    "embedded jwk": (_signed({"jwk": {"kty": "oct", "k": "c2VjcmV0"}}),
                     "header parameter jwk is not allowed"),
    "crit": (_signed({"crit": ["exp"]}), "header parameter crit is not allowed"),
    "typ of another kind": (_signed({"typ": "dpop+jwt"}), 'typ "dpop+jwt" is not a JWT'),
    "expired": (_signed(**EXPIRED), "token expired (exp)"),
    "nbf in the future": (_signed(nbf=lambda now: now + 600, exp=lambda now: now + 1200),
                          "token not yet valid (nbf is in the future)"),
    "iat in the future": (_signed(iat=lambda now: now + 600, exp=lambda now: now + 1200),
                          "token not yet valid (iat is in the future)"),
    "no exp": (_signed(exp=None), "claim exp missing"),
    "no iat": (_signed(iat=None), "claim iat missing"),
    "no nbf": (_signed(nbf=None), "claim nbf missing"),
    "no aud": (_signed(aud=None), "claim aud missing"),
    "no sub": (_signed(sub=None), "claim sub missing"),
    "wrong iss": (_signed(iss="https://evil.example"),
                  'unknown issuer (iss) "https://evil.example"'),
    "partial iss": (_signed(iss="http://test.ckan"), 'unknown issuer (iss) "http://test.ckan"'),
    "iss as a list": (_signed(iss=[SITE]), "unknown issuer (iss)"),
    "wrong aud": (_signed(aud="https://other-portal.example"), "wrong audience (aud)"),
    "partial aud": (_signed(aud="http://test.ckan"), "wrong audience (aud)"),
    "lives too long": (_signed(exp=lambda now: now + 86400 * 30),
                       "token lives longer than 86400 s"),
    "float-bomb exp": (_signed(exp=1e400), "token malformed"),
    "sub of nobody": (_signed(sub="admin"), 'sub "admin" names no platform or partner'),
    "sub of an unknown platform": (_signed(sub="platform:pentagon"),
                                   "platform:pentagon is not registered"),
    "jti not issued here": (lambda jti: _signed()("forged-jti"),
                            'token "forged-jti" was not issued here'),
    "jti issued to another subject": (_signed(sub="platform:tempus"), "was not issued here"),
    "bad signature": (lambda jti: _signed()(jti)[:-6] + "AAAAAA", "invalid signature"),
    "not a JWS": (lambda jti: "eyJraWQiOiJhIn0.bm90IGpzb24.", "token is not a compact JWS"),
}


def test_every_attack_is_refused_with_its_reason(app):
    """One test for all of ATTACKS (one app and database for the lot keeps it fast); the
    assertion lists every attack that was not refused for the expected reason."""
    rotate()
    token = issue()
    jti = claims_of(token)["jti"]
    assert whoami(app, token)["result"]["user"] == "platform-digital-twin"  # the real one works

    answers = {}
    for attack, (forge, _) in ATTACKS.items():
        response = app.get(WHOAMI, headers={"Authorization": f"Bearer {forge(jti)}"})
        answers[attack] = f"{response.status_code} {json.dumps(response.json)}"

    assert {attack: answer for attack, answer in answers.items()
            if not (answer.startswith("401 ") and ATTACKS[attack][1] in
                    json.loads(answer[4:])["error"]["message"])} == {}
    assert all(" / " in answer for answer in answers.values())  # German, then English
    assert whoami(app, token)["result"]["user"] == "platform-digital-twin"


def test_refused_token_reads_nothing_anywhere(app):
    """Not even what anonymous users read: pages and the API answer 401."""
    rotate()
    expired = _signed(**EXPIRED)(claims_of(issue())["jti"])
    headers = {"Authorization": f"Bearer {expired}"}
    app.get("/dataset", status=200)
    app.get(WHOAMI, status=200)

    for url in ("/dataset", "/api/3/action/package_search", "/catalog.ttl", WHOAMI):
        response = app.get(url, headers=headers, status=401)
        assert response.json["error"]["message"].endswith("token expired (exp)")
        assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_oversized_token_is_refused_unread(app):
    rotate()
    jti = claims_of(issue())["jti"]
    bloated = sign_with_active_key(good_claims(jti=jti, padding="x" * 9000))

    assert "token larger than 8192 bytes" in refusal(app, bloated)
    assert "token larger than 8192 bytes" in refusal(app, "a" * 70000 + ".b.c")


def test_token_without_kid_is_ours_when_it_names_an_issuer(app):
    """CKAN's own API tokens have neither kid nor iss: a token with an iss is ours to
    judge, and without a kid it is refused rather than left to CKAN as anonymous."""
    rotate()
    key = store.active_key()
    token = jwt.encode(good_claims(jti=claims_of(issue())["jti"]),
                       keys.load_private(key.private_pem, key.algorithm), algorithm="EdDSA")

    assert "kid missing from the header" in refusal(app, token)


def test_encrypted_token_is_refused(app):
    jwe = ".".join([b64(json.dumps({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "k"}).encode()),
                    "a", "b", "c", "d"])

    assert "token is not a compact JWS" in refusal(app, jwe)


# -- revocation, deleted and sysadmin accounts --------------------------------------------------

def test_revoked_token_reads_nothing(app):
    rotate()
    token = issue()
    jti = claims_of(token)["jti"]
    assert whoami(app, token)["result"]["token"]["jti"] == jti

    result = invoke(cli.token, "revoke", jti)

    assert "revoked" in result.stdout and "platform:digital-twin" in result.stdout
    assert f'token "{jti}" was revoked' in refusal(app, token)
    assert "already revoked" in invoke(cli.token, "revoke", jti).stdout


def test_deleted_account_reads_nothing_and_reactivating_it_revives_no_old_token(app):
    rotate()
    old = issue()
    site_user = call_action("get_site_user")["name"]
    call_action("user_delete", {"ignore_auth": True, "user": site_user},
                id="platform-digital-twin")

    assert "the account of platform:digital-twin is deleted or missing" in refusal(app, old)

    new = issue()  # reactivates the account
    assert whoami(app, new)["result"]["user"] == "platform-digital-twin"
    assert "was revoked" in refusal(app, old)


def test_account_made_sysadmin_is_refused(app):
    rotate()
    token = issue()
    account = model.User.by_name("platform-digital-twin")
    account.sysadmin = True
    model.Session.commit()

    assert "is a sysadmin" in refusal(app, token)


def test_name_taken_by_someone_else_is_never_adopted():
    rotate()
    factories.User(name="platform-tempus")

    result = invoke(cli.token, "issue", "--platform", "tempus", ok=False)

    assert result.exit_code == 1
    assert "user 'platform-tempus' exists but is not the account of platform:tempus" \
        in result.stderr
    assert principal_of(model.User.by_name("platform-tempus")) is None


def test_tokens_only_read(app):
    rotate()
    headers = {"Authorization": issue()}
    assert app.get("/dataset", headers=headers).status_code == 200  # pages read as well

    create = app.post("/api/3/action/package_create", json={"name": "x"}, headers=headers,
                      status=403)
    assert "tokens only allow reading" in create.json["error"]["message"]
    assert app.post(WHOAMI, json={}, headers=headers).json["result"]["user"] \
        == "platform-digital-twin"  # side-effect-free actions may be POSTed


# -- key rotation and the JWKS ------------------------------------------------------------------

def test_rotation_keeps_old_tokens_valid_until_the_old_key_is_retired(app):
    first = rotate("EdDSA")
    old = issue()
    second = rotate("ES256")
    new = issue()

    assert header_of(old)["kid"] == first
    assert header_of(new) == {"alg": "ES256", "kid": second, "typ": "JWT"}
    assert whoami(app, old)["result"]["token"]["kid"] == first
    assert whoami(app, new)["result"]["token"]["kid"] == second
    assert [key["kid"] for key in app.get("/.well-known/jwks.json").json["keys"]] \
        == [second, first]

    active = invoke(cli.keys, "retire", second, ok=False)
    assert active.exit_code == 1 and "`keys rotate` first" in active.stderr
    assert "left the JWKS" in invoke(cli.keys, "retire", first).stdout

    assert f"unknown or retired key (kid) {first}" in refusal(app, old)
    assert whoami(app, new)["result"]["token"]["kid"] == second
    assert [key["kid"] for key in app.get("/.well-known/jwks.json").json["keys"]] == [second]
    listing = invoke(cli.keys, "list").stdout.splitlines()
    assert listing[0].startswith(f"{second}  ES256") and "active" in listing[0]
    assert listing[1].startswith(f"{first}  EdDSA") and "retired" in listing[1]


@pytest.mark.ckan_config("ckanext.twin.jwt.max_lifetime", "600")
@pytest.mark.ckan_config("ckanext.twin.jwt.lifetime", "300")
def test_superseded_key_leaves_the_jwks_once_its_tokens_are_outlived(app):
    first = rotate()
    old = issue()
    rotate()
    assert "verifies until" in invoke(cli.keys, "list").stdout.splitlines()[1]
    # The rotation happened longer ago than the longest token lifetime (plus leeway).
    model.Session.execute(sa.text(
        f"UPDATE {store.KEYS} SET superseded_at = now() - :age WHERE kid = :kid"),
        {"age": timedelta(seconds=631), "kid": first})
    model.Session.commit()

    assert first not in [key["kid"] for key in app.get("/.well-known/jwks.json").json["keys"]]
    assert "unknown or retired key" in refusal(app, old)
    assert invoke(cli.keys, "list").stdout.splitlines()[1].endswith("outlived")


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_es256_and_rs256_keys_are_accepted(app, algorithm):
    kid = rotate(algorithm)
    token = issue()

    assert header_of(token)["alg"] == algorithm
    assert whoami(app, token)["result"]["token"]["kid"] == kid


def test_jwks_publishes_public_keys_that_verify_the_tokens(app):
    rotate("RS256")
    rotate("ES256")
    rotate("EdDSA")
    token = issue()

    response = app.get("/.well-known/jwks.json")

    assert response.headers["Content-Type"] == "application/jwk-set+json"
    assert "max-age=60" in response.headers["Cache-Control"]
    document = response.json
    assert [(key["kty"], key["alg"], key["use"]) for key in document["keys"]] == [
        ("OKP", "EdDSA", "sig"), ("EC", "ES256", "sig"), ("RSA", "RS256", "sig")]
    assert not any(secret in key for key in document["keys"]
                   for secret in ("d", "p", "q", "dp", "dq", "qi", "k"))
    # Any JWT library can verify the portal's tokens with the published keys alone.
    published = jwt.PyJWKSet.from_dict(document)[header_of(token)["kid"]]
    assert jwt.decode(token, published.key, algorithms=["EdDSA"], audience=SITE,
                      issuer=SITE)["sub"] == "platform:digital-twin"


def test_jwks_is_empty_without_keys(app):
    assert app.get("/.well-known/jwks.json").json == {"keys": []}


# -- configuration --------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, message", [
    ("leeway", 61, "ckanext.twin.jwt.leeway must be between 0 and 60 seconds, got 61"),
    ("lifetime", 90000, "ckanext.twin.jwt.lifetime must be positive and at most "
                        "ckanext.twin.jwt.max_lifetime, got 90000"),
    ("max_token_bytes", 100, "ckanext.twin.jwt.max_token_bytes must be between 512 and "
                             "65536, got 100"),
    ("jwks_cache_ttl", 30, "ckanext.twin.jwt.jwks_cache_ttl must be at least "
                           "ckanext.twin.jwt.jwks_cooldown, got 30"),
])
def test_options_out_of_range_stop_the_plugin(ckan_config, monkeypatch, option, value, message):
    monkeypatch.setitem(ckan_config, f"ckanext.twin.jwt.{option}", value)

    with pytest.raises(CkanConfigurationException, match=message):
        AccessPlugin().configure(ckan_config)


@pytest.mark.parametrize("options, message", [
    ({"ckan.plugins": "twin_access twin_search twin"},
     "twin_access needs the plugin twin_policy, which decides what tokens read: add it to "
     "ckan.plugins"),
    ({"ckan.plugins": PLUGINS, "ckanext.twin.jwt.leeway": "61"},
     "ckanext.twin.jwt.leeway must be between 0 and 60 seconds, got 61"),
])
def test_start_up_stops_on_a_wrong_setup_with_one_line(make_ini, run, options, message):
    result = run("ckan", "-c", str(make_ini(options)), "config", "declaration", "twin_access")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == [message, "Aborted!"]
    assert "Traceback" not in result.stderr


def test_reasons_echo_token_values_escaped_and_short(app):
    rotate()
    issue()
    injected = sign_with_active_key(good_claims(jti="x\r\nSet-Cookie: ckan=stolen" + "y" * 500))

    response = app.get(WHOAMI, headers={"Authorization": f"Bearer {injected}"}, status=401)

    message = response.json["error"]["message"]
    assert 'token "x\\r\\nSet-Cookie: ckan=stolen' in message and "..." in message
    assert len(message) < 300
    assert "Set-Cookie" not in response.headers
    assert "\n" not in response.headers["WWW-Authenticate"]
