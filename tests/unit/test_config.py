"""Settings: what production refuses, and that secrets never reach a log line or an error."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from recall.config import DEV_SIGNING_SECRET, Settings, mask_database_url
from schemas.signing import StationCredential

GOOD_SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0-Zq"
PG = "postgresql://recall:pg-pass-123@db.internal:5432/recall"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test passes counts, not the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("RECALL_") or name in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}:
            monkeypatch.delenv(name)


def production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "production",
        "signing_secret": GOOD_SECRET,
        "KAFKA_BOOTSTRAP_SERVERS": "kafka-1.internal:9093",
        "kafka_security_protocol": "SASL_SSL",
        "DATABASE_URL": PG,
    }
    values.update(overrides)
    return Settings(**values)


def refused(match: str, **overrides: Any) -> str:
    with pytest.raises(ValidationError, match=match) as caught:
        production(**overrides)
    return str(caught.value)


def test_a_sound_production_configuration_is_accepted() -> None:
    settings = production()
    assert settings.kafka_client_options()["security_protocol"] == "SASL_SSL"
    assert settings.metrics_host == "127.0.0.1"  # metrics bind to loopback unless told


@pytest.mark.parametrize(
    "secret",
    [
        DEV_SIGNING_SECRET + " ",
        " " + DEV_SIGNING_SECRET,
        GOOD_SECRET + "\n",
        "\t" + GOOD_SECRET,
    ],
)
def test_production_refuses_padded_secrets_without_printing_them(secret: str) -> None:
    message = refused("whitespace", signing_secret=secret)
    assert secret.strip() not in message


@pytest.mark.parametrize(
    ("secret", "match"),
    [
        (DEV_SIGNING_SECRET, "development value"),
        (DEV_SIGNING_SECRET.upper() + "-prod", "development value"),
        ("a1B2c3D4e5F6g7H8", "at least 32"),
        ("0123456789abcdef0123456789abcde", "at least 32"),  # 31 characters
        ("abababababababababababababababab12", "distinct"),
    ],
)
def test_production_refuses_weak_secrets(secret: str, match: str) -> None:
    message = refused(match, signing_secret=secret)
    assert secret not in message


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT", "plaintext"])
def test_production_refuses_kafka_without_tls_unless_told(protocol: str) -> None:
    refused("RECALL_ALLOW_PLAINTEXT_KAFKA", kafka_security_protocol=protocol)
    allowed = production(kafka_security_protocol=protocol, allow_plaintext_kafka=True)
    assert allowed.allow_plaintext_kafka


def test_production_accepts_ssl_kafka() -> None:
    assert production(kafka_security_protocol="SSL").kafka_security_protocol == "SSL"


@pytest.mark.parametrize("url", ["sqlite:///srv/recall.db", "SQLITE:////tmp/x.db"])
def test_production_refuses_sqlite(url: str) -> None:
    refused("SQLite", DATABASE_URL=url)


def test_development_keeps_its_conveniences() -> None:
    settings = Settings(signing_secret=DEV_SIGNING_SECRET)
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.sqlalchemy_url.startswith("sqlite")


@pytest.mark.parametrize(
    ("url", "hidden", "kept"),
    [
        (PG, ["pg-pass-123"], ["recall:***@db.internal:5432/recall"]),
        (
            "postgresql://db/recall?user=r&password=q-secret-1&sslmode=require",
            ["q-secret-1"],
            ["password=***", "sslmode=require", "user=r"],
        ),
        (
            "postgresql://u:p-1@h/db?sslpassword=s-2&auth_token=t-3&api_key=k-4",
            ["p-1", "s-2", "t-3", "k-4"],
            ["sslpassword=***", "auth_token=***", "api_key=***"],
        ),
        (
            "postgresql://u:p%40ss@h1:5432,h2:5432/db?PASSWORD=x-5",
            ["p%40ss", "x-5"],
            ["h1:5432,h2:5432"],
        ),
    ],
)
def test_database_urls_are_masked(url: str, hidden: list[str], kept: list[str]) -> None:
    masked = mask_database_url(url)
    for secret in hidden:
        assert secret not in masked
    for part in kept:
        assert part in masked


def test_settings_never_show_secrets_in_masked_repr_or_str() -> None:
    url = "postgresql://recall:pg-pass-123@db/recall?password=qp-456"
    credential = StationCredential.issued(GOOD_SECRET, "HOSP-1", 1).to_text()
    settings = Settings(
        signing_secret=GOOD_SECRET,
        DATABASE_URL=url,
        station_key=credential,
        kafka_sasl_password="sasl-pass-789",
    )
    dumped = settings.masked()
    for text in (str(dumped), repr(settings), str(settings)):
        for secret in ("pg-pass-123", "qp-456", GOOD_SECRET, credential, "sasl-pass-789"):
            assert secret not in text
    assert dumped["database_url"].startswith("postgresql://recall:***@db/recall")
    assert settings.database_url == url  # the real value is still there for the engine


def test_a_malformed_station_key_fails_at_start_up_without_echoing_it() -> None:
    bare_hex = "ab" * 32  # the old format: no station id, no version
    with pytest.raises(ValidationError, match="rk1:") as caught:
        Settings(station_key=bare_hex)
    assert bare_hex not in str(caught.value)
