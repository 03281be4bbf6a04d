"""Per-station signing keys: derivation, verification, the key store, the sender and the CLI.

What must hold: a record verifies only under an active version of the station it claims; one
version of one station can be revoked without touching others; a station holds a credential
for itself alone; verification never raises, whatever the headers contain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from recall.adapters.db import key_store
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Station
from recall.config import Settings
from schemas.signing import (
    KEY_VERSION_HEADER,
    SIGNATURE_HEADER,
    NoSigningKeyError,
    ServerSideKeys,
    SigningKey,
    StationCredential,
    StationKeyring,
    derive_station_key,
    parse_key_version,
    sign,
    signing_headers,
    verify_record,
)

MASTER = "unit-test-master-secret-0123456789abcdef"
A, B = "HOSP-140105-001", "SCH-140105-002"
VALUE = b'{"event_id": "e-1"}'


def keyring(active: dict[str, set[int]]) -> StationKeyring:
    return StationKeyring(MASTER, {s: frozenset(v) for s, v in active.items()})


def signed(station: str, version: int, value: bytes = VALUE) -> list[tuple[str, bytes]]:
    key = SigningKey(station, version, derive_station_key(MASTER, station, version))
    return signing_headers(key, value)


# --- derivation and keyring ---------------------------------------------------------------------


def test_keys_differ_by_station_version_and_secret_and_are_stable() -> None:
    key = derive_station_key(MASTER, A, 1)
    assert len(key) == 32
    assert key == derive_station_key(MASTER, A, 1)
    others = {
        derive_station_key(MASTER, A, 2),
        derive_station_key(MASTER, B, 1),
        derive_station_key(MASTER + "x", A, 1),
        # the id is length-prefixed: no (id, version) pair can spell another's input
        derive_station_key(MASTER, A + "\x00", 1),
    }
    assert key not in others and len(others) == 4


@pytest.mark.parametrize("version", [0, -1, 2**31])
def test_versions_out_of_range_are_refused(version: int) -> None:
    with pytest.raises(ValueError, match="between 1 and"):
        derive_station_key(MASTER, A, version)


def test_keyring_gives_keys_of_active_versions_only() -> None:
    ring = keyring({A: {1, 2}, B: {3}})
    assert ring.key_for(A, 2) == derive_station_key(MASTER, A, 2)
    assert ring.key_for(A, 3) is None  # never issued
    assert ring.key_for(B, 1) is None  # revoked or never issued
    assert ring.key_for("NOBODY", 1) is None
    assert ring.current_version(A) == 2
    assert ring.current_version("NOBODY") is None
    assert MASTER not in repr(ring)


def test_refreshed_keyring_forgets_revoked_versions() -> None:
    ring = keyring({A: {1, 2}})
    assert ring.key_for(A, 1) is not None
    after = ring.refreshed({A: frozenset({2})})
    assert after.key_for(A, 1) is None
    assert after.key_for(A, 2) == derive_station_key(MASTER, A, 2)


# --- verify_record ------------------------------------------------------------------------------


def test_a_record_signed_with_an_active_key_verifies() -> None:
    assert verify_record(signed(A, 1), VALUE, A, keyring({A: {1}})) is None


def test_both_versions_verify_during_a_rotation_and_only_the_new_one_after() -> None:
    during = keyring({A: {1, 2}})
    assert verify_record(signed(A, 1), VALUE, A, during) is None
    assert verify_record(signed(A, 2), VALUE, A, during) is None
    after = keyring({A: {2}})
    problem = verify_record(signed(A, 1), VALUE, A, after)
    assert problem is not None and "key version 1 is not active" in problem
    assert verify_record(signed(A, 2), VALUE, A, after) is None


def test_revoking_one_station_leaves_the_others_working() -> None:
    ring = keyring({B: {1}})  # A's only version revoked
    assert verify_record(signed(A, 1), VALUE, A, ring) is not None
    assert verify_record(signed(B, 1), VALUE, B, ring) is None


def test_a_station_cannot_sign_as_another() -> None:
    ring = keyring({A: {1}, B: {1}})
    problem = verify_record(signed(A, 1), VALUE, B, ring)
    assert problem is not None and "does not match" in problem


def test_a_changed_value_fails() -> None:
    problem = verify_record(signed(A, 1), VALUE + b" ", A, keyring({A: {1}}))
    assert problem is not None and "does not match" in problem


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], f"missing {SIGNATURE_HEADER}"),
        ([(SIGNATURE_HEADER.upper(), b"ab")], f"missing {SIGNATURE_HEADER}"),
        ([(SIGNATURE_HEADER, b"ab" * 32)], f"missing {KEY_VERSION_HEADER}"),
        ([(SIGNATURE_HEADER, b"ab" * 32), (KEY_VERSION_HEADER, b"01")], "invalid"),
        ([(SIGNATURE_HEADER, b"ab" * 32), (KEY_VERSION_HEADER, b"+1")], "invalid"),
        ([(SIGNATURE_HEADER, b"ab" * 32), (KEY_VERSION_HEADER, b" 1")], "invalid"),
        ([(SIGNATURE_HEADER, b"ab" * 32), (KEY_VERSION_HEADER, "١".encode())], "invalid"),
        ([(SIGNATURE_HEADER, b"ab" * 32), (KEY_VERSION_HEADER, b"9" * 11)], "invalid"),
        ([(SIGNATURE_HEADER, b"ab" * 32), (KEY_VERSION_HEADER, b"7")], "not active"),
        ([(SIGNATURE_HEADER, b"x" * 10**6), (KEY_VERSION_HEADER, b"1")], "64 lowercase hex"),
    ],
)
def test_unverifiable_headers_say_what_is_wrong(
    headers: list[tuple[str, bytes]], expected: str
) -> None:
    problem = verify_record(headers, VALUE, A, keyring({A: {1}}))
    assert problem is not None and expected in problem
    assert len(problem) < 200  # nothing sent is echoed back at length


def test_duplicated_signing_headers_are_refused_even_if_one_is_right() -> None:
    good = signed(A, 1)
    for extra in (good[0], good[1]):
        problem = verify_record([*good, extra], VALUE, A, keyring({A: {1}}))
        assert problem is not None and "duplicate" in problem


def test_uppercase_hex_signature_is_refused_as_today() -> None:
    headers = signed(A, 1)
    upper = [(SIGNATURE_HEADER, headers[0][1].upper()), headers[1]]
    assert verify_record(upper, VALUE, A, keyring({A: {1}})) is not None


def test_none_or_odd_header_values_do_not_raise() -> None:
    odd: Any = [(SIGNATURE_HEADER, None), (KEY_VERSION_HEADER, None)]
    assert verify_record(odd, VALUE, A, keyring({A: {1}})) is not None
    junk: Any = [("only-one-element",), 42]
    assert verify_record(junk, VALUE, A, keyring({A: {1}})) is not None
    assert verify_record(None, VALUE, A, keyring({A: {1}})) is not None  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(
        st.tuples(
            st.sampled_from([SIGNATURE_HEADER, KEY_VERSION_HEADER, "other", ""]) | st.text(),
            st.binary(max_size=200),
        ),
        max_size=6,
    ),
    value=st.binary(max_size=200),
    station=st.text(max_size=40),
)
def test_verify_record_never_raises_and_never_accepts_forgeries(
    headers: list[tuple[str, bytes]], value: bytes, station: str
) -> None:
    assert verify_record(headers, value, station, keyring({A: {1}, station: {1}})) is not None


def test_parse_key_version_accepts_only_canonical_decimals() -> None:
    assert parse_key_version(b"1") == 1
    assert parse_key_version(b"2147483647") == 2**31 - 1
    for raw in (b"", b"0", b"2147483648", b"1.0", b"1e3", b"\xff", b"-1"):
        assert parse_key_version(raw) is None


# --- the sender's side: credentials and key sources ---------------------------------------------


def test_credential_round_trips_and_signs_only_as_its_station() -> None:
    credential = StationCredential.issued(MASTER, "LAB:140105:1", 3)
    text = credential.to_text()
    assert text.startswith("rk1:LAB:140105:1:3:")
    parsed = StationCredential.parse(text)
    assert parsed == credential
    assert parsed("LAB:140105:1").version == 3
    with pytest.raises(NoSigningKeyError, match="cannot sign events of"):
        parsed(A)
    assert credential.key.hex() not in repr(credential)


@pytest.mark.parametrize(
    "text",
    [
        "00" * 32,  # the old bare hex key: no station, no version
        "rk1:" + A + ":1:" + "zz" * 32,
        "rk1:" + A + ":0:" + "00" * 32,
        "rk1::1:" + "00" * 32,
        "rk1:" + A + ":1:" + "00" * 31,
        "rk2:" + A + ":1:" + "00" * 32,
    ],
)
def test_malformed_credentials_are_refused_without_echoing_the_key(text: str) -> None:
    with pytest.raises(ValueError, match="RECALL_STATION_KEY") as caught:
        StationCredential.parse(text)
    assert text.rsplit(":", 1)[-1] not in str(caught.value)


def test_server_side_keys_sign_with_the_newest_active_version() -> None:
    keys = ServerSideKeys(keyring({A: {1, 4}}))
    key = keys(A)
    assert (key.station_id, key.version) == (A, 4)
    assert key.key == derive_station_key(MASTER, A, 4)
    with pytest.raises(NoSigningKeyError, match="recall station key issue"):
        keys(B)


class _RecordingProducer:
    """Stands in for kafka-python's producer: records what would be published."""

    def __init__(self, **_options: Any) -> None:
        self.sent: list[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]] = []

    def send(
        self, topic: str, *, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Any:
        self.sent.append((topic, key, value, headers))
        return None


@pytest.fixture
def producer(monkeypatch: pytest.MonkeyPatch) -> list[_RecordingProducer]:
    made: list[_RecordingProducer] = []

    def make(**options: Any) -> _RecordingProducer:
        made.append(_RecordingProducer(**options))
        return made[-1]

    monkeypatch.setattr("recall.adapters.kafka.producer.KafkaProducer", make)
    return made


def _settings(**overrides: Any) -> Settings:
    return Settings(signing_secret=MASTER, **overrides)


def test_sender_signs_records_the_intake_accepts(producer: list[_RecordingProducer]) -> None:
    from recall.adapters.kafka.producer import StationSender

    ring = keyring({A: {1, 2}})
    StationSender(_settings(), keys=ServerSideKeys(ring)).send(A, VALUE)
    _topic, key, value, headers = producer[0].sent[0]
    assert key == A.encode() and dict(headers)[KEY_VERSION_HEADER] == b"2"
    assert verify_record(headers, value, A, ring) is None


def test_sender_with_a_station_credential_signs_only_as_that_station(
    producer: list[_RecordingProducer],
) -> None:
    from recall.adapters.kafka.producer import StationSender

    credential = StationCredential.issued(MASTER, A, 1).to_text()
    sender = StationSender(Settings(station_key=credential))
    sender.send(A, VALUE)
    assert verify_record(producer[0].sent[0][3], VALUE, A, keyring({A: {1}})) is None
    with pytest.raises(NoSigningKeyError):
        sender.send(B, VALUE)
    assert len(producer[0].sent) == 1  # the refused record was never queued


def test_sender_without_keys_never_derives_from_the_master_secret(
    producer: list[_RecordingProducer],
) -> None:
    from recall.adapters.kafka.producer import StationSender

    sender = StationSender(_settings())
    with pytest.raises(NoSigningKeyError, match="RECALL_STATION_KEY"):
        sender.send(A, VALUE)
    sender.send(A, VALUE, signed=False)  # tests of the intake's refusal still work
    assert producer[0].sent[0][3] == []


# --- the key store ------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    upgrade(url)  # the real migrations, 0004 included
    sessions = make_session_factory(make_engine(url))
    with sessions.begin() as session:
        for station in (A, B):
            session.add(
                Station(station_id=station, kind="hospital", name=station, jurisdiction="140105")
            )
    return sessions


def test_migration_creates_station_keys_keyed_by_station_and_version(
    db: sessionmaker[Session],
) -> None:
    bind = db.kw["bind"]
    table = inspect(bind)
    assert table.get_pk_constraint("station_keys")["constrained_columns"] == [
        "station_id",
        "version",
    ]
    columns = {c["name"] for c in table.get_columns("station_keys")}
    assert {"status", "created_at", "revoked_at", "revoked_by", "revoke_reason"} <= columns


def test_issue_rotate_revoke_one_station_at_a_time(db: sessionmaker[Session]) -> None:
    assert key_store.issue_key(db, A, by="alice") == 1
    assert key_store.issue_key(db, B, by="alice") == 1
    assert key_store.issue_key(db, A, by="alice") == 2
    assert key_store.active_versions(db) == {A: frozenset({1, 2}), B: frozenset({1})}
    key_store.revoke_key(db, A, 1, by="bob", reason="laptop stolen")
    ring = key_store.load_keyring(db, MASTER)
    assert ring.key_for(A, 1) is None
    assert ring.key_for(A, 2) == derive_station_key(MASTER, A, 2)
    assert ring.key_for(B, 1) == derive_station_key(MASTER, B, 1)
    revoked = key_store.list_keys(db, A)[0]
    assert (revoked.status, revoked.revoked_by, revoked.revoke_reason) == (
        "revoked",
        "bob",
        "laptop stolen",
    )
    assert revoked.revoked_at is not None
    assert [k.station_id for k in key_store.list_keys(db)] == sorted([A, A, B])


def test_a_revoked_version_number_is_never_reused(db: sessionmaker[Session]) -> None:
    key_store.issue_key(db, A, by="t")
    key_store.revoke_key(db, A, 1, by="t", reason="r")
    assert key_store.current_version(db, A) is None
    assert key_store.issue_key(db, A, by="t") == 2


def test_key_store_errors_say_what_to_do(db: sessionmaker[Session]) -> None:
    with pytest.raises(key_store.UnknownStationError, match="recall registry load"):
        key_store.issue_key(db, "NOBODY", by="t")
    with pytest.raises(key_store.UnknownKeyVersionError, match="recall station key list"):
        key_store.revoke_key(db, A, 9, by="t", reason="r")
    key_store.issue_key(db, A, by="t")
    key_store.revoke_key(db, A, 1, by="t", reason="r")
    with pytest.raises(key_store.KeyAlreadyRevokedError):
        key_store.revoke_key(db, A, 1, by="t", reason="again")


def test_loading_the_registry_issues_version_1_once_and_respects_revocations(
    tmp_path: Path,
) -> None:
    from recall.adapters.db.registry_store import load_registry
    from recall.tools.registry.sample import SampleSizes, generate

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    db = make_session_factory(make_engine(url))
    registry = generate(3, SampleSizes(manufacturers=3, products_per_manufacturer=1))
    stations = [s.station_id for s in registry.stations]
    counts = load_registry(db, registry)
    assert counts["station_keys_issued"] == len(stations)
    assert key_store.active_versions(db) == {s: frozenset({1}) for s in stations}
    key_store.revoke_key(db, stations[0], 1, by="t", reason="compromised")
    again = load_registry(db, registry)
    assert again["station_keys_issued"] == 0
    assert stations[0] not in key_store.active_versions(db)  # not silently re-enabled


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli(db: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("RECALL_STATION_KEY", "RECALL_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("RECALL_SIGNING_SECRET", MASTER)
    monkeypatch.setenv("COLUMNS", "240")
    from recall.cli.main import app

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["station", "key", *args])

    return invoke


def _credential_line(result: Result) -> StationCredential:
    lines = [line for line in result.stdout.splitlines() if line.startswith("rk1:")]
    assert len(lines) == 1, result.output
    return StationCredential.parse(lines[0])


def test_cli_issue_prints_a_working_credential_and_the_same_one_again(cli: Any) -> None:
    first = cli("issue", A, "--by", "alice")
    assert first.exit_code == 0, first.output
    credential = _credential_line(first)
    assert (credential.station_id, credential.version) == (A, 1)
    assert credential.key == derive_station_key(MASTER, A, 1)
    assert _credential_line(cli("issue", A)) == credential


def test_cli_rotate_then_revoke_the_old_version(cli: Any) -> None:
    cli("issue", A)
    rotated = cli("rotate", A, "--by", "alice")
    assert rotated.exit_code == 0, rotated.output
    assert _credential_line(rotated).version == 2
    assert f"recall station key revoke {A} 1" in rotated.output
    revoked = cli("revoke", A, "1", "--reason", "rotated", "--by", "bob")
    assert revoked.exit_code == 0, revoked.output
    listing = cli("list", A)
    assert listing.exit_code == 0
    assert "revoked" in listing.output and "rotated" in listing.output and "bob" in listing.output
    assert derive_station_key(MASTER, A, 2).hex() not in listing.output


def test_cli_errors_name_the_next_step(cli: Any) -> None:
    unknown = cli("issue", "NOBODY")
    assert unknown.exit_code == 1 and "recall registry load" in unknown.output
    missing = cli("revoke", A, "5", "--reason", "x")
    assert missing.exit_code == 1 and f"recall station key list {A}" in missing.output
    cli("issue", A)
    last = cli("revoke", A, "1", "--reason", "lost")
    assert last.exit_code == 0 and "no active key now" in last.output


def test_cli_send_without_a_station_key_says_how_to_get_one(cli: Any, tmp_path: Path) -> None:
    from recall.cli.main import app

    events = tmp_path / "events.jsonl"
    events.write_text('{"reporter_id": "X"}\n')
    result = CliRunner().invoke(app, ["station", "send", str(events)])
    assert result.exit_code == 1
    assert "recall station key issue" in result.output


def test_sign_is_hex_hmac_sha256() -> None:
    import hashlib
    import hmac

    key = derive_station_key(MASTER, A, 1)
    assert sign(key, VALUE) == hmac.new(key, VALUE, hashlib.sha256).hexdigest()


def test_upgrading_gives_already_registered_stations_version_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    old = make_session_factory(make_engine(url))
    with old.begin() as session:
        session.add(Station(station_id=A, kind="hospital", name=A, jurisdiction="140105"))
    upgrade(url)
    assert key_store.active_versions(old) == {A: frozenset({1})}
    assert key_store.list_keys(old, A)[0].created_by == "migration 0004"
