"""A small, real identity provider for the single sign-on tests: discovery and JWKS over HTTP.

`http.server` on 127.0.0.1 with a free port, in a thread, so the verifier's own HTTP code
(urllib, timeouts, JSON, discovery) is what runs. The test changes what it serves (`keys`,
`mode`) between requests and reads what was asked (`hits`). Keys are made with
`cryptography`; tokens are signed with PyJWT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "recall-api"
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/jwks"

Mode = Literal["up", "down", "hang"]


@dataclass(frozen=True)
class SigningKey:
    """A private key with the `kid` and `alg` its JWK is published under."""

    kid: str
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    alg: str

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, ec.generate_private_key(ec.SECP256R1()), "ES256")

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            data = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            data = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**data, "kid": self.kid, "use": "sig", "alg": self.alg}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(
            claims, self.private, algorithm=self.alg, headers={"kid": kid or self.kid}
        )


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """`alg: none` and no signature: what a verifier that trusts the header would accept."""
    return jwt.encode(claims, "", algorithm="none", headers={"kid": kid})


def hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token MACed with `secret`, built by hand: PyJWT refuses to use a PEM public key
    as an HMAC secret, which is exactly the algorithm-confusion forgery under test."""

    def part(data: dict[str, Any]) -> bytes:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": kid}) + b"." + part(claims)
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


@dataclass
class IdentityProvider:
    """Serves discovery and the JWKS; `mode` "down" answers 503, "hang" never answers."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    mode: Mode = "up"
    hits: Counter[str] = field(default_factory=Counter)
    release: threading.Event = field(default_factory=threading.Event)
    server: _Server | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.idp = self
        # A short poll interval: `shutdown` waits for the loop to notice, once per test.
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()

    def stop(self) -> None:
        self.release.set()  # let a hanging request go before the server closes
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def claims(self, subject: str | None, **changes: Any) -> dict[str, Any]:
        """Claims of a good token for `subject`; a change to None removes that claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + 300,
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}


class _Server(ThreadingHTTPServer):
    idp: IdentityProvider


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        idp = self.server.idp
        idp.hits[self.path] += 1
        if idp.mode == "hang":
            idp.release.wait(timeout=30)
            return
        documents: dict[str, dict[str, Any]] = {
            DISCOVERY: {"issuer": idp.issuer, "jwks_uri": idp.issuer + JWKS},
            JWKS: {"keys": list(idp.keys)},
        }
        if idp.mode == "down" or self.path not in documents:
            self.send_error(503 if idp.mode == "down" else 404)
            return
        body = json.dumps(documents[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # the base's name
        """Quiet: the tests read `hits`, not the server's access log."""
