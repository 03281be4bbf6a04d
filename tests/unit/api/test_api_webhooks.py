"""/webhooks: regulators subscribe within their own area only, see only their own
subscriptions, pause, resume, rotate, delete; the delivery log, dead letters, redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from recall.adapters.db.webhook_store import SqlWebhookStore
from recall.domain.access import Principal
from recall.domain.webhooks import Outcome, PauseRule
from recall.service.webhooks import fanout
from recall.service.webhooks.ports import AttemptResult, Settlement
from recall.service.webhooks.signing import signed_headers
from recall.tools.webhook_receiver import sample_alert
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import EXPERT, FIRM, PROVINCE, PUBLIC, SHANGHAI, STATION, TAIYUAN

BASE = "/webhooks/subscriptions"


def _create(as_: AsPrincipal, who: Principal, **body: object) -> dict[str, object]:
    response = as_(who).post(BASE, json={"url": "https://hooks.example/recall", **body})
    assert response.status_code == 200, response.text
    made: dict[str, object] = response.json()
    return made


def _id(made: dict[str, object]) -> str:
    subscription = made["subscription"]
    assert isinstance(subscription, dict)
    return str(subscription["subscription_id"])


def test_a_regulator_subscribes_in_its_own_area_and_gets_the_secret_once(
    as_: AsPrincipal,
) -> None:
    made = _create(
        as_,
        TAIYUAN,
        description="城市 / city desk",
        filters={"kinds": ["referral"], "severities": ["critical"], "regions": ["140105"]},
    )
    assert str(made["secret"]).startswith("whsec_")
    subscription = made["subscription"]
    assert isinstance(subscription, dict)
    assert subscription["owner_jurisdiction"] == "140100"  # the account's, not the body's
    assert subscription["state"] == "active"
    shown = as_(TAIYUAN).get(f"{BASE}/{_id(made)}").json()
    assert "secret" not in shown and shown["filters"]["regions"] == ["140105"]


def test_region_filters_outside_the_area_are_refused_with_a_reason(as_: AsPrincipal) -> None:
    response = as_(TAIYUAN).post(
        BASE, json={"url": "https://h.example/", "filters": {"regions": ["140200", "140105"]}}
    )
    assert response.status_code == 422
    assert "140200 lie outside your jurisdiction 140100" in response.json()["detail"]
    smuggled = as_(TAIYUAN).post(
        BASE, json={"url": "https://h.example/", "owner_jurisdiction": "140000"}
    )
    assert smuggled.status_code == 422  # unknown fields are refused, not ignored


@pytest.mark.parametrize(
    "url",
    [
        "ftp://h.example/",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@h.example/",
        "https://h.example/a b",
        "https://h.example:99999/",
        "https://h.example/" + "a" * 2048,
    ],
)
def test_only_plain_http_and_https_urls(as_: AsPrincipal, url: str) -> None:
    assert as_(PROVINCE).post(BASE, json={"url": url}).status_code == 422


@pytest.mark.parametrize("who", [EXPERT, STATION, FIRM, PUBLIC])
def test_other_roles_may_not_subscribe(as_: AsPrincipal, who: Principal) -> None:
    assert as_(who).post(BASE, json={"url": "https://h.example/"}).status_code == 403
    assert as_(who).get(BASE).status_code == 403


def test_only_the_owner_sees_or_touches_a_subscription(as_: AsPrincipal) -> None:
    sub = _id(_create(as_, TAIYUAN))
    mine = _id(_create(as_, PROVINCE))
    assert [i["subscription_id"] for i in as_(PROVINCE).get(BASE).json()["items"]] == [mine]
    for method, path in [
        ("get", f"{BASE}/{sub}"),
        ("patch", f"{BASE}/{sub}"),
        ("post", f"{BASE}/{sub}/pause"),
        ("post", f"{BASE}/{sub}/resume"),
        ("post", f"{BASE}/{sub}/rotate-secret"),
        ("get", f"{BASE}/{sub}/deliveries"),
        ("get", f"{BASE}/{sub}/dead-letters"),
        ("delete", f"{BASE}/{sub}"),
    ]:  # a province regulator does not see a city's subscription: 404, as if missing
        kwargs: dict[str, object] = {"json": {}} if method == "patch" else {}
        response = getattr(as_(PROVINCE), method)(path, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
    assert as_(SHANGHAI).get(f"{BASE}/nope").status_code == 404


def test_patch_pause_resume_rotate_delete(as_: AsPrincipal, db: sessionmaker[Session]) -> None:
    made = _create(as_, TAIYUAN)
    sub = _id(made)
    changed = as_(TAIYUAN).patch(
        f"{BASE}/{sub}", json={"url": "http://127.0.0.1:8080/h", "filters": {"kinds": ["referral"]}}
    )
    assert changed.status_code == 200
    assert changed.json()["url"] == "http://127.0.0.1:8080/h"
    assert changed.json()["filters"]["kinds"] == ["referral"]
    outside = as_(TAIYUAN).patch(f"{BASE}/{sub}", json={"filters": {"regions": ["310000"]}})
    assert outside.status_code == 422
    paused = as_(TAIYUAN).post(f"{BASE}/{sub}/pause", json={"reason": "maintenance"}).json()
    assert paused["state"] == "paused" and paused["paused_reason"] == "maintenance"
    store = SqlWebhookStore(db)
    fanout.fan_out(store, [sample_alert(1, "140105")], datetime.now(UTC))  # held while paused
    resumed = as_(TAIYUAN).post(f"{BASE}/{sub}/resume").json()
    assert resumed["subscription"]["state"] == "active" and resumed["waiting"] == 1
    rotated = as_(TAIYUAN).post(f"{BASE}/{sub}/rotate-secret").json()
    assert rotated["secret"] != made["secret"]
    now = datetime.now(UTC)
    [claim] = store.claim(now, now + timedelta(seconds=30), "t", 10, 10, {})
    headers = signed_headers(claim.secrets, claim.event_id, now, claim.payload)
    for secret in (rotated["secret"], made["secret"]):  # both verify during the grace period
        Webhook(str(secret)).verify(claim.payload, headers)
    deleted = as_(TAIYUAN).delete(f"{BASE}/{sub}")
    assert deleted.status_code == 200 and deleted.json()["subscription_id"] == sub
    assert as_(TAIYUAN).get(f"{BASE}/{sub}").status_code == 404
    assert store.claim(now, now, "t", 10, 10, {}) == []


def test_delivery_log_dead_letters_and_redelivery(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    sub = _id(_create(as_, TAIYUAN))
    store = SqlWebhookStore(db)
    now = datetime.now(UTC)
    fanout.fan_out(store, [sample_alert(n, "140105") for n in range(3)], now)
    fanout.fan_out(store, [sample_alert(9, "140202")], now)  # another city's: never queued
    rule = PauseRule(after_failures=100, after=timedelta(days=1))
    claims = store.claim(now, now + timedelta(seconds=30), "t", 10, 10, {})
    assert len(claims) == 3
    dead = claims[0]
    store.settle(dead, AttemptResult(now, 500, None, 40), Settlement(Outcome.DEAD, None, rule, now))
    log = as_(TAIYUAN).get(f"{BASE}/{sub}/deliveries?limit=2").json()
    assert len(log["items"]) == 2 and log["next"]
    rest = as_(TAIYUAN).get(log["next"]).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    letters = as_(TAIYUAN).get(f"{BASE}/{sub}/dead-letters").json()["items"]
    assert [d["event_id"] for d in letters] == [dead.event_id]
    assert letters[0]["log"][0]["status_code"] == 500 and letters[0]["state"] == "dead"
    only = as_(TAIYUAN).get(f"{BASE}/{sub}/deliveries?state=delivering").json()["items"]
    assert len(only) == 2
    again = as_(TAIYUAN).post(f"{BASE}/{sub}/deliveries/{dead.delivery_id}/redeliver")
    assert again.status_code == 200 and again.json()["state"] == "pending"
    missing = as_(TAIYUAN).post(f"{BASE}/{sub}/deliveries/nope/redeliver")
    assert missing.status_code == 404
