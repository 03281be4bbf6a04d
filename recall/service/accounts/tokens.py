"""Bearer tokens: `rt1_<token_id>_<secret>`, stored only as the SHA-256 of the whole text.

- `token_id`: 16 random URL-safe characters, the public half. The account is looked up by
  it, so SQL never compares secrets, and failures can be rate-limited per token id.
- `secret`: 32 random bytes, URL-safe base64 (43 characters).
- A random 256-bit secret needs no slow password hash: there is nothing to guess, and a fast
  hash keeps every request cheap. The stored digest is compared with `hmac.compare_digest`.

The URL-safe alphabet contains `_`, so a token is cut at fixed positions, never split on `_`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

PREFIX = "rt1_"
TOKEN_ID_LENGTH = 16
SECRET_LENGTH = 43  # 32 bytes in unpadded URL-safe base64
TOKEN_LENGTH = len(PREFIX) + TOKEN_ID_LENGTH + 1 + SECRET_LENGTH
_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A fresh token: `text` is shown once; `token_id` and `sha256` are what is stored."""

    text: str
    token_id: str
    sha256: str

    def __repr__(self) -> str:  # never print the secret by accident
        return f"IssuedToken(token_id={self.token_id!r}, text='***')"


def issue() -> IssuedToken:
    """A new random token."""
    token_id = secrets.token_urlsafe(12)  # 12 bytes → 16 characters
    text = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    return IssuedToken(text=text, token_id=token_id, sha256=digest(text))


def token_id_of(text: str) -> str | None:
    """The public half of a well-formed token, or None for anything else."""
    if len(text) != TOKEN_LENGTH or not text.startswith(PREFIX) or not set(text[4:]) <= _ALPHABET:
        return None
    cut = len(PREFIX) + TOKEN_ID_LENGTH
    if text[cut] != "_":
        return None
    return text[len(PREFIX) : cut]


def digest(text: str) -> str:
    """Hex SHA-256 of the whole token text."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def matches(text: str, stored_sha256: str) -> bool:
    """Constant-time comparison of a presented token with a stored digest."""
    return hmac.compare_digest(digest(text), stored_sha256)
