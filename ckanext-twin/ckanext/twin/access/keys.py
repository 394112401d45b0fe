"""Asymmetric keys for tokens: making the portal's own, reading partners' JWKs.

Only three algorithms, each bound to one key type, so that a key can never be used with an
algorithm it was not made for (the classic confusions: ``alg=none``, or an RSA public key
used as an HMAC secret). A key is always known together with its algorithm, and a token
must name exactly that algorithm.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

ALGORITHMS = ("EdDSA", "ES256", "RS256")
DEFAULT_ALGORITHM = "EdDSA"
KID = re.compile(r"[A-Za-z0-9_-]{1,64}")
RSA_BITS = 3072
MIN_RSA_BITS = 2048  # weaker RSA keys in a partner's JWKS are ignored

PublicKey = Union[ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey]
PrivateKey = Union[ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]

# JWK members that carry private or symmetric key material: such a JWK is never used.
_SECRET_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


class UnusableKey(ValueError):
    """A key that cannot be used; the message says why."""


@dataclass(frozen=True)
class VerificationKey:
    """A public key with the one algorithm tokens signed by it must name."""

    kid: str
    algorithm: str
    key: PublicKey

    def jwk(self) -> dict[str, Any]:
        """The public JWK as published in the JWKS (with kid, alg, use)."""
        exporter = {"EdDSA": OKPAlgorithm, "ES256": ECAlgorithm, "RS256": RSAAlgorithm}
        public = exporter[self.algorithm].to_jwk(self.key, as_dict=True)
        return {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def new_kid(now: datetime | None = None) -> str:
    """A key id operators can read: the creation day and a random part."""
    day = (now or datetime.now(timezone.utc)).strftime("%Y%m%d")
    return f"{day}-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class NewKey:
    """Fresh key material, as PEM (PKCS#8 private, SubjectPublicKeyInfo public)."""

    kid: str
    algorithm: str
    private_pem: str
    public_pem: str


def create(algorithm: str) -> NewKey:
    """A fresh key pair for ``algorithm``: Ed25519, P-256 or RSA-3072."""
    private: PrivateKey
    if algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    else:
        raise UnusableKey(f"unknown algorithm {algorithm!r} (allowed: {', '.join(ALGORITHMS)})")
    return NewKey(
        kid=new_kid(), algorithm=algorithm,
        private_pem=private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode("ascii"),
        public_pem=private.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii"))


def load_private(pem: str, algorithm: str) -> PrivateKey:
    """A stored private key, checked against the algorithm stored with it."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if algorithm_for(key.public_key()) != algorithm:  # type: ignore[union-attr]
        raise UnusableKey(f"the stored key is not a {algorithm} key")
    return key  # type: ignore[return-value]


def load_public(kid: str, pem: str, algorithm: str) -> VerificationKey:
    """A stored public key, checked against the algorithm stored with it."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if algorithm_for(key) != algorithm:
        raise UnusableKey(f"key {kid}: the stored key is not a {algorithm} key")
    return VerificationKey(kid, algorithm, key)  # type: ignore[arg-type]


def algorithm_for(key: Any) -> str | None:
    """The one algorithm of ALGORITHMS a public key serves, or None."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
        return "RS256"
    return None


def from_jwk(jwk: Any) -> VerificationKey:
    """A partner IdP's JWK as a verification key; ``UnusableKey`` says why it is not usable.

    Usable: a signing key (``use`` absent or ``sig``, ``key_ops`` absent or with ``verify``)
    with a well-formed ``kid``, public only, of a type bound to one allowed algorithm, and
    an ``alg`` (if given) equal to that algorithm.
    """
    if not isinstance(jwk, dict):
        raise UnusableKey("not a JSON object")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not KID.fullmatch(kid):
        raise UnusableKey("no kid, or a kid other than 1-64 letters, digits, - or _")
    if jwk.get("use", "sig") != "sig":
        raise UnusableKey(f"key {kid}: use is {jwk.get('use')!r}, not sig")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise UnusableKey(f"key {kid}: key_ops do not allow verify")
    if any(member in jwk for member in _SECRET_MEMBERS):
        raise UnusableKey(f"key {kid}: carries private or symmetric key material")
    reader = {"OKP": OKPAlgorithm, "EC": ECAlgorithm, "RSA": RSAAlgorithm}.get(jwk.get("kty"))
    if reader is None:
        raise UnusableKey(f"key {kid}: key type {jwk.get('kty')!r} is not OKP, EC or RSA")
    try:
        key = reader.from_jwk(jwk)
    except (InvalidKeyError, ValueError, TypeError) as error:
        raise UnusableKey(f"key {kid}: malformed ({error})") from None
    algorithm = algorithm_for(key)
    if algorithm is None:
        raise UnusableKey(f"key {kid}: not Ed25519, P-256 or RSA of {MIN_RSA_BITS}+ bits")
    if jwk.get("alg", algorithm) != algorithm:
        raise UnusableKey(f"key {kid}: alg {jwk.get('alg')!r} does not fit its key type "
                        f"(expected {algorithm})")
    return VerificationKey(kid, algorithm, key)
