"""Message-level authentication of station records: per-station, versioned, revocable keys.

Kafka ACLs say who may write to the intake topic, but not that a record's content was written
by the station it names. Each station signs its record value with HMAC-SHA256 under its own
key, so a station cannot report as another. HMAC costs ~1 µs per record, cheap enough for the
intake hot path where a public-key signature (~50 µs) would not be.

A station key is derived (HKDF-SHA256, RFC 5869) from the server's master secret, the station
id and a version number. The database therefore stores no secret at all — only which versions
of which station are active (`station_keys`) — and one version of one station can be revoked,
or a new version issued, without touching any other station. A record names the version it was
signed with (`x-recall-key-version`), so during a rotation both versions verify.

A station machine never holds the master secret: it is provisioned with one *credential*
(`rk1:<station_id>:<version>:<hex key>`, printed by `recall station key issue`) and can sign
only as that station. Tools that run next to the server (simulations, the demo, benchmarks,
tests) sign for many stations through `ServerSideKeys`, a keyring-based key source they must
ask for explicitly.

The scheme is part of the wire contract, so it lives in `schemas` next to the event models:
a station's integrator reads (or vendors) one package to learn how to sign. Everything here is
pure (no database, no Kafka): `recall.adapters.db.key_store` reads the active versions, the
Kafka producer and the intake service use these functions.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

SIGNATURE_HEADER = "x-recall-signature"
KEY_VERSION_HEADER = "x-recall-key-version"
REPORTER_HEADER = "x-recall-reporter"

CREDENTIAL_PREFIX = "rk1"
"""Format tag of a station credential; a future format gets a new tag, never a silent change."""

MAX_KEY_VERSION = 2**31 - 1
"""Versions are SQL integers; anything larger in a header is refused before any lookup."""

_HKDF_SALT = b"recall-tracker/station-keys/v1"
_SIGNATURE_HEX_LENGTH = 64
_MAX_VERSION_DIGITS = len(str(MAX_KEY_VERSION))

KeyRef = tuple[str, int]
"""(station id, version): names one station key."""


# --- derivation -------------------------------------------------------------------------------


def derive_station_key(master_secret: str, station_id: str, version: int) -> bytes:
    """The 32-byte key of one version of one station.

    HKDF-SHA256 with the master secret as input keying material. The station id is
    length-prefixed in `info` so no (id, version) pair can collide with another, whatever
    characters ids contain. With a 32-byte output HKDF-Expand is a single HMAC block.
    """
    if not 1 <= version <= MAX_KEY_VERSION:
        raise ValueError(f"key version must be between 1 and {MAX_KEY_VERSION}, not {version}")
    station = station_id.encode("utf-8")
    info = b"station-key" + len(station).to_bytes(4, "big") + station + version.to_bytes(4, "big")
    prk = hmac.digest(_HKDF_SALT, master_secret.encode("utf-8"), hashlib.sha256)
    return hmac.digest(prk, info + b"\x01", hashlib.sha256)


def sign(key: bytes, value: bytes) -> str:
    """Hex HMAC-SHA256 of a record value: what goes in `x-recall-signature`."""
    return hmac.new(key, value, hashlib.sha256).hexdigest()


def signing_headers(key: SigningKey, value: bytes) -> list[tuple[str, bytes]]:
    """The two headers a signed record carries."""
    return [
        (SIGNATURE_HEADER, sign(key.key, value).encode("ascii")),
        (KEY_VERSION_HEADER, str(key.version).encode("ascii")),
    ]


# --- the server's view: which keys are active ---------------------------------------------------


class StationKeyring:
    """The active key versions of every station, with the keys derived on demand and cached.

    Built from the master secret and `station_keys` (see `key_store.load_keyring`); rebuilt
    when the registry is refreshed. Only active (station, version) pairs are ever derived, so
    the cache is bounded by the registry, not by what hostile records claim.
    """

    __slots__ = ("_active", "_cache", "_secret")

    def __init__(
        self,
        master_secret: str,
        active: Mapping[str, frozenset[int]],
        *,
        _cache: dict[KeyRef, bytes] | None = None,
    ) -> None:
        self._secret = master_secret
        self._active: dict[str, frozenset[int]] = {
            station: frozenset(versions) for station, versions in active.items() if versions
        }
        self._cache: dict[KeyRef, bytes] = {}
        if _cache:
            self._cache = {ref: k for ref, k in _cache.items() if self.is_active(*ref)}

    def __repr__(self) -> str:  # never the secret, never the keys
        keys = sum(len(v) for v in self._active.values())
        return f"StationKeyring(stations={len(self._active)}, active_keys={keys})"

    def is_active(self, station_id: str, version: int) -> bool:
        return version in self._active.get(station_id, frozenset())

    def active_versions(self, station_id: str) -> frozenset[int]:
        return self._active.get(station_id, frozenset())

    def current_version(self, station_id: str) -> int | None:
        """The newest active version: the one a server-side sender signs with."""
        versions = self._active.get(station_id)
        return max(versions) if versions else None

    def key_for(self, station_id: str, version: int) -> bytes | None:
        """The key of an active version; None when unknown or revoked."""
        ref = (station_id, version)
        key = self._cache.get(ref)
        if key is None:
            if not self.is_active(station_id, version):
                return None
            key = self._cache[ref] = derive_station_key(self._secret, station_id, version)
        return key

    def refreshed(self, active: Mapping[str, frozenset[int]]) -> StationKeyring:
        """A keyring with new active versions that keeps the still-active derived keys."""
        return StationKeyring(self._secret, active, _cache=self._cache)


def verify_record(
    headers: Sequence[tuple[str, bytes]],
    value: bytes,
    station_id: str,
    keyring: StationKeyring,
) -> str | None:
    """None when `value` is signed by an active key of `station_id`, else what to fix.

    Never raises, whatever the headers hold (non-ASCII, huge, None, duplicated): a hostile
    record must become a dead letter, not a crash. Duplicated signature or version headers are
    refused rather than resolved, so no reader can be tricked into checking a different header
    than another reader. The messages name only constants and a bounded version number, so
    nothing a sender controls is echoed back at length.
    """
    try:
        return _verify(headers, value, station_id, keyring)
    except Exception:  # defence in depth: verification must never stop the intake
        return f"unreadable {SIGNATURE_HEADER} / {KEY_VERSION_HEADER} headers"


def _verify(
    headers: Sequence[tuple[str, bytes]], value: bytes, station_id: str, keyring: StationKeyring
) -> str | None:
    signature, version_raw, problem = _signing_headers(headers)
    if signature is None:
        return problem
    version, problem = _key_version(version_raw)
    if version is None:
        return problem
    key = keyring.key_for(station_id, version)
    if key is None:
        return (
            f"key version {version} is not active for this station (revoked or never"
            " issued); install the station's current key (`recall station key issue`)"
        )
    if len(signature) != _SIGNATURE_HEX_LENGTH:
        return f"invalid {SIGNATURE_HEADER} header: expected 64 lowercase hex characters"
    if not hmac.compare_digest(sign(key, value).encode("ascii"), signature):
        return (
            f"signature does not match the record under key version {version}; the value"
            " changed after signing or the station's key is wrong"
        )
    return None


def _key_version(raw: bytes | None) -> tuple[int | None, str | None]:
    if raw is None:
        return None, (
            f"missing {KEY_VERSION_HEADER} header; the station must sign with a versioned"
            " key from `recall station key issue`"
        )
    version = parse_key_version(raw)
    if version is None:
        return None, f"invalid {KEY_VERSION_HEADER} header: expected a decimal version number"
    return version, None


def _signing_headers(
    headers: Sequence[tuple[str, bytes]],
) -> tuple[bytes | None, bytes | None, str | None]:
    signature: bytes | None = None
    version: bytes | None = None
    for name, raw in headers or ():
        if name == SIGNATURE_HEADER:
            if signature is not None:
                return None, None, f"duplicate {SIGNATURE_HEADER} header; send exactly one"
            signature = raw if isinstance(raw, bytes) else b""
        elif name == KEY_VERSION_HEADER:
            if version is not None:
                return None, None, f"duplicate {KEY_VERSION_HEADER} header; send exactly one"
            version = raw if isinstance(raw, bytes) else b""
    if signature is None:
        return None, None, f"missing {SIGNATURE_HEADER} header; sign records with the station's key"
    return signature, version, None


def parse_key_version(raw: bytes) -> int | None:
    """A canonical ASCII decimal (no sign, no padding, no leading zero) in range, else None."""
    if not 0 < len(raw) <= _MAX_VERSION_DIGITS or not raw.isdigit() or raw.startswith(b"0"):
        return None
    version = int(raw)  # bytes.isdigit() is ASCII-only, so this cannot fail
    return version if version <= MAX_KEY_VERSION else None


# --- the sender's view: which key to sign with ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One station key as a sender holds it. `repr` hides the key."""

    station_id: str
    version: int
    key: bytes = field(repr=False)


class NoSigningKeyError(LookupError):
    """A sender was asked to sign as a station it holds no key for."""


KeySource = Callable[[str], SigningKey]
"""What `StationSender` signs with: station id → the key to use, or `NoSigningKeyError`."""


@dataclass(frozen=True, slots=True)
class StationCredential:
    """What one station machine is provisioned with: its id, key version and key.

    Text form `rk1:<station_id>:<version>:<64 hex>` (RECALL_STATION_KEY). It signs only as
    its own station: a station cannot sign as another even by mistake.
    """

    station_id: str
    version: int
    key: bytes = field(repr=False)

    def __call__(self, station_id: str) -> SigningKey:
        if station_id != self.station_id:
            raise NoSigningKeyError(
                f"this station's key (RECALL_STATION_KEY) belongs to {self.station_id!r};"
                f" it cannot sign events of {station_id!r}"
            )
        return SigningKey(self.station_id, self.version, self.key)

    def to_text(self) -> str:
        """The value to put in RECALL_STATION_KEY on the station machine. A secret."""
        return f"{CREDENTIAL_PREFIX}:{self.station_id}:{self.version}:{self.key.hex()}"

    @classmethod
    def parse(cls, text: str) -> StationCredential:
        """Read RECALL_STATION_KEY; ValueError names what is wrong but never echoes the key."""
        prefix, sep, rest = text.strip().partition(":")
        if prefix != CREDENTIAL_PREFIX or not sep:
            raise ValueError(
                "RECALL_STATION_KEY must look like rk1:<station_id>:<version>:<hex key>;"
                " print it with `recall station key issue STATION_ID` on the server"
            )
        station_id, _, tail = rest.rpartition(":")
        station_id, _, version_text = station_id.rpartition(":")
        version = parse_key_version(version_text.encode("ascii", "replace"))
        if not station_id or version is None:
            raise ValueError(
                "RECALL_STATION_KEY has no station id or no valid version;"
                " copy the whole line printed by `recall station key issue`"
            )
        if len(tail) != 64:
            raise ValueError("RECALL_STATION_KEY's key part must be 64 hex characters")
        try:
            key = bytes.fromhex(tail)
        except ValueError:
            raise ValueError("RECALL_STATION_KEY's key part is not hexadecimal") from None
        return cls(station_id, version, key)

    @classmethod
    def issued(cls, master_secret: str, station_id: str, version: int) -> StationCredential:
        """The credential of an issued key version (server side: needs the master secret)."""
        return cls(station_id, version, derive_station_key(master_secret, station_id, version))


class ServerSideKeys:
    """Sign as any station with an active key: for tools that run next to the server.

    Simulations, the demo, benchmarks and tests play many stations at once. They hold the
    master secret anyway, and sign with each station's newest active version, so a revoked
    or unissued station is refused here exactly as the intake would refuse it.
    """

    __slots__ = ("_keyring",)

    def __init__(self, keyring: StationKeyring) -> None:
        self._keyring = keyring

    def __repr__(self) -> str:
        return f"ServerSideKeys({self._keyring!r})"

    def __call__(self, station_id: str) -> SigningKey:
        version = self._keyring.current_version(station_id)
        key = None if version is None else self._keyring.key_for(station_id, version)
        if version is None or key is None:
            raise NoSigningKeyError(
                f"station {station_id!r} has no active key;"
                f" issue one with `recall station key issue {station_id}`"
            )
        return SigningKey(station_id, version, key)
