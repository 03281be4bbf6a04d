"""Settings for API authentication: limits and single sign-on, read from RECALL_* variables."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import ValidationError

from recall.api.auth import AuthLimits
from recall.api.oidc import OidcConfig
from recall.config import Settings, load_settings

ISSUER = "https://sso.example.gov.cn/realms/recall"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets counts, not the developer's shell."""
    for name in list(os.environ):
        if name.startswith("RECALL_") or name in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}:
            monkeypatch.delenv(name)


def test_by_default_the_old_limits_hold_and_single_sign_on_is_off() -> None:
    settings = Settings()
    assert AuthLimits.from_settings(settings) == AuthLimits(per_address=20, per_token=5)
    assert AuthLimits.from_settings(settings).window_s == 300.0
    assert OidcConfig.from_settings(settings) is None


def test_the_environment_sets_the_limits_and_the_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "RECALL_API_AUTH_FAILURES_PER_ADDRESS": "200",
        "RECALL_API_AUTH_FAILURES_PER_TOKEN": "3",
        "RECALL_API_AUTH_FAILURE_WINDOW_S": "600",
        "RECALL_OIDC_ISSUER": ISSUER,
        "RECALL_OIDC_AUDIENCE": "recall-api",
        "RECALL_OIDC_ACCOUNT_CLAIM": "preferred_username",
        "RECALL_OIDC_ALGORITHMS": "PS256, ES384",
        "RECALL_OIDC_LEEWAY_S": "10",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert AuthLimits.from_settings(settings) == AuthLimits(200, 3, 600.0)
    assert OidcConfig.from_settings(settings) == OidcConfig(
        issuer=ISSUER,
        audience="recall-api",
        algorithms=("PS256", "ES384"),
        account_claim="preferred_username",
        jwks_url=None,
        leeway_s=10.0,
        timeout_s=5.0,
    )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"oidc_audience": None}, "RECALL_OIDC_AUDIENCE"),
        ({"oidc_issuer": "http://sso.example.gov.cn"}, "https"),
        ({"oidc_jwks_url": "http://10.0.0.5/jwks"}, "RECALL_OIDC_JWKS_URL"),
        ({"oidc_jwks_url": "file:///etc/keys.json"}, "RECALL_OIDC_JWKS_URL"),
        ({"oidc_algorithms": "RS256,HS256"}, "refuses HS256"),
        ({"oidc_algorithms": "none"}, "refuses none"),
        ({"oidc_algorithms": " , "}, "an empty list"),
        ({"oidc_account_claim": "sub; drop"}, "oidc_account_claim"),
        ({"api_auth_failures_per_token": 0}, "api_auth_failures_per_token"),
        ({"api_auth_failure_window_s": 0}, "api_auth_failure_window_s"),
    ],
)
def test_unsafe_or_incomplete_settings_are_refused_at_start_up(
    changes: dict[str, Any], match: str
) -> None:
    values: dict[str, Any] = {"oidc_issuer": ISSUER, "oidc_audience": "recall-api"}
    values.update(changes)
    with pytest.raises(ValidationError, match=match):
        load_settings(**values)


def test_plain_http_is_allowed_on_loopback_only() -> None:
    settings = Settings(oidc_issuer="http://127.0.0.1:8081/realms/x", oidc_audience="recall-api")
    assert settings.oidc_issuer == "http://127.0.0.1:8081/realms/x"
