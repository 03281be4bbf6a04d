"""The recall pages (召回) and the figures they draw: the frames need a session and carry the
id as text; `GET /recalls/{id}` gives one curve point per report and level, the forecast band
up to the target date, the deadlines, incidents before and after the start and residual risk,
each derived from the stored reports and incidents; the register marks overdue reports and
filters by verdict without leaving the account's scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.storage import SqlStorage
from recall.domain.access import Role
from recall.domain.recalls import Incident, IncidentKind
from recall.domain.recalls.post_recall import remaining_unit_days
from recall.service.accounts.commands import NewAccount, add_account
from recall.service.recalls.ports import RecallIncident
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import (
    DONE,
    FIRM,
    NOW,
    OPEN,
    SH_RECALL,
    SHANGHAI,
    TAIYUAN,
    seed_recall,
    seed_recalls,
)
from tests.unit.recalls_cli.recalls_cli_support import corrected_at

FORM = {"content-type": "application/x-www-form-urlencoded"}
LATE = "RC-LATE-1"  # Taiyuan: started 100 days ago, one report, then nothing
AFFECTED = 1000  # the seed's consumer units
DAY = 86_400.0


@pytest.fixture(autouse=True)
def _recalls(db: sessionmaker[Session]) -> None:
    seed_recalls(db)
    seed_recall(db, LATE, days_ago=100, reports=1)


def _signed_in(app: FastAPI, db: sessionmaker[Session], region: str) -> TestClient:
    new = NewAccount(f"regulator {region}", Role.REGULATOR, region=region)
    token = add_account(SqlAccountStorage(db), new, by="cli:test", at=datetime.now(UTC)).token
    client = TestClient(app, raise_server_exceptions=False)
    response = client.post(
        "/dashboard/login", content=f"token={token}", headers=FORM, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _detail(as_: AsPrincipal, recall_id: str) -> dict[str, Any]:
    response = as_(TAIYUAN).get(f"/recalls/{recall_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- the frames --------------------------------------------------------------------------


def test_the_recall_pages_need_a_session(app: FastAPI) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/dashboard/recalls", f"/dashboard/recalls/{OPEN}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/dashboard/login"


def test_the_register_and_a_recall_page_render_in_chinese(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _signed_in(app, db, "140100")
    register = client.get("/dashboard/recalls?lang=zh_CN")
    assert register.status_code == 200
    assert "<h1>召回登记" in register.text
    assert 'aria-current="page">召回</a>' in register.text
    page = client.get(f"/dashboard/recalls/{OPEN}")
    assert page.status_code == 200
    assert f'data-id="{OPEN}"' in page.text
    assert 'role="img" aria-label="折线图' in page.text
    assert "/dashboard/static/recall.js" in page.text


def test_a_recall_id_in_the_address_is_text_never_markup(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _signed_in(app, db, "140100")
    page = client.get('/dashboard/recalls/x"><img src=x onerror=alert(1)>')
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert 'data-id="x&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page.text
    assert client.get("/dashboard/recalls/" + "x" * 65).status_code == 404
    assert client.get("/dashboard/recalls/" + "x" * 64).status_code == 200


# --- the recall's figures ----------------------------------------------------------------


def test_each_report_carries_its_rates_per_level(as_: AsPrincipal) -> None:
    body = _detail(as_, OPEN)
    start = _when(body["start"])
    assert [r["sequence"] for r in body["reports"]] == [1, 2, 3]
    for report in body["reports"]:
        rates = {r["scope"]: r for r in report["rates"]}
        assert set(rates) == {"consumer", "overall"}
        day = (_when(report["period_end"]) - start).total_seconds() / DAY
        corrected = corrected_at(day)
        assert rates["consumer"]["corrected"] == rates["overall"]["corrected"] == corrected
        assert rates["consumer"]["raw_rate"] == pytest.approx(corrected / AFFECTED)
    latest = {r["scope"]: r for r in body["reports"][-1]["rates"]}
    assert latest == {r["scope"]: r for r in body["rates"]}  # the last point is "now"


def test_the_band_runs_from_the_last_report_to_the_target_date(as_: AsPrincipal) -> None:
    body = _detail(as_, OPEN)
    start, target = _when(body["start"]), _when(body["target_date"])
    band = body["forecast_band"]
    last_report = (_when(body["reports"][-1]["period_end"]) - start).total_seconds() / DAY
    assert band[0]["day"] == pytest.approx(last_report)
    assert band[-1]["day"] == pytest.approx((target - start).total_seconds() / DAY)
    assert _when(band[-1]["at"]) == target
    assert [p["day"] for p in band] == sorted(p["day"] for p in band)
    observed = body["reports"][-1]["rates"][-1]["raw_rate"]
    for point in band:
        assert observed <= point["low80"] + 1e-9
        assert point["low80"] <= point["rate"] <= point["high80"]
    assert body["target_forecast"] == band[-1]
    assert body["forecast"]["coverage"] == 0.8


def test_a_completed_recall_has_no_band(as_: AsPrincipal) -> None:
    body = _detail(as_, DONE)
    assert body["state"] == "completed"
    assert body["forecast_band"] == []
    assert body["target_forecast"] is None


def test_deadlines_follow_the_reporting_schedule(as_: AsPrincipal) -> None:
    for recall_id, received in ((OPEN, 3), (LATE, 1)):
        body = _detail(as_, recall_id)
        start = _when(body["start"])
        now = datetime.now(UTC)
        for d in body["deadlines"]:
            due = _when(d["due"])
            assert due == start + timedelta(days=30 * d["sequence"])
            if d["sequence"] <= received:
                assert d["status"] == "on_time"  # the seed reports exactly at the deadline
                assert _when(d["submitted_at"]) == due
            elif due < now:
                assert d["status"] == "overdue"
                assert d["days_late"] == pytest.approx((now - due).total_seconds() / DAY, abs=0.01)
            else:
                assert d["status"] == "pending"
    late = _detail(as_, LATE)
    overdue = [d["sequence"] for d in late["deadlines"] if d["status"] == "overdue"]
    assert overdue == [2, 3]
    assert [r["missed_sequences"] for r in late["referrals"]] == [overdue]


def _note(db: sessionmaker[Session], recall_id: str, days: list[float]) -> dict[str, Any]:
    """Injuries of the recall's product on `days` relative to its start, as intake notes them."""
    storage = SqlStorage(db)
    with storage.transaction() as tx:
        loaded = tx.recalls.get(recall_id)
        assert loaded is not None
        spec = loaded.spec
        noted = [
            RecallIncident(
                recall_id,
                Incident(
                    str(uuid.uuid4()),
                    IncidentKind.INJURY,
                    spec.start + timedelta(days=d),
                    spec.product_key,
                    None,
                ),
                after_start=d >= 0,
            )
            for d in days
        ]
        tx.recalls.add_incidents(noted)
    return {"start": spec.start}


def test_injuries_before_and_after_the_start_and_their_rates(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    days = [-300.0, -200.0, -45.0, -10.0, 5.0, 50.0, 95.0]
    _note(db, OPEN, days)
    body = _detail(as_, OPEN)
    post = body["post_recall"]
    before = sum(1 for d in days if d < 0)
    after = len(days) - before
    assert (post["before"], post["after"]) == (before, after)
    assert sum(p["injuries"] for p in post["periods"] if not p["after_start"]) == before
    assert sum(p["injuries"] for p in post["periods"] if p["after_start"]) == after
    assert all(p["sampling_failures"] == 0 for p in post["periods"])
    # before: every affected unit in use over the look-back; after: only those still in use
    start = _when(body["start"])
    elapsed = (datetime.now(UTC) - start).total_seconds() / DAY
    removed = [
        ((_when(r["period_end"]) - start).total_seconds() / DAY, o["corrected"] + o["unreachable"])
        for r in body["reports"]
        for o in r["rates"]
        if o["scope"] == "overall"
    ]
    years_before = AFFECTED * post["lookback_days"] / 365.25
    years_after = remaining_unit_days(AFFECTED, removed, elapsed) / 365.25
    assert post["rate_before"] == pytest.approx(before / years_before)
    assert post["rate_after"] == pytest.approx(after / years_after, rel=1e-3)
    assert post["change"] == pytest.approx(post["rate_after"] / post["rate_before"] - 1)


def test_residual_risk_is_units_still_in_use_times_the_incident_rate(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    _note(db, OPEN, [3.0, 40.0, 80.0])
    body = _detail(as_, OPEN)
    risk = body["residual_risk"]
    overall = next(r for r in body["rates"] if r["scope"] == "overall")
    assert risk["uncorrected_units"] == AFFECTED - overall["corrected"] - overall["unreachable"]
    assert risk["incidents"] == body["post_recall"]["after"] == 3
    assert risk["unit_years"] == pytest.approx(body["post_recall"]["unit_years_after"], rel=1e-3)
    assert risk["rate_per_unit_year"] == pytest.approx(3 / risk["unit_years"])
    assert risk["expected_per_year"] == pytest.approx(
        risk["rate_per_unit_year"] * risk["uncorrected_units"]
    )
    assert risk["expected_low"] <= risk["expected_per_year"] <= risk["expected_high"]
    assert risk["confidence"] == 0.95


def test_actions_and_the_closure_report_follow_the_state_and_role(as_: AsPrincipal) -> None:
    assert _detail(as_, OPEN)["allowed_actions"] == []
    done = _detail(as_, DONE)
    assert done["allowed_actions"] == ["evaluate"]
    assert done["closure_report"] is None
    assert as_(FIRM).get(f"/recalls/{DONE}").json()["allowed_actions"] == []  # sees, not acts
    assert as_(TAIYUAN).post(f"/recalls/{DONE}/evaluate").status_code == 200
    evaluated = _detail(as_, DONE)
    assert evaluated["allowed_actions"] == ["close"]
    assert evaluated["closure_report"] == f"/recalls/{DONE}/closure-report"
    assert as_(TAIYUAN).get(evaluated["closure_report"]).status_code == 200


# --- the register ------------------------------------------------------------------------


def _items(as_: AsPrincipal, principal: Any, query: str = "") -> dict[str, dict[str, Any]]:
    response = as_(principal).get(f"/recalls?limit=100{query}")
    assert response.status_code == 200, response.text
    return {i["recall_id"]: i for i in response.json()["items"]}


def test_the_register_gives_the_next_report_due_and_marks_it_overdue(as_: AsPrincipal) -> None:
    items = _items(as_, TAIYUAN)
    for recall_id, received in ((OPEN, 3), (LATE, 1)):
        item = items[recall_id]
        due = _when(item["start"]) + timedelta(days=30 * (received + 1))
        assert _when(item["next_report_due"]) == due
        assert item["report_overdue"] is (due < datetime.now(UTC))
    assert items[LATE]["report_overdue"] and not items[OPEN]["report_overdue"]
    assert items[DONE]["next_report_due"] is None  # completed: owes no more reports
    assert _when(items[LATE]["next_report_due"]) < NOW


def test_the_verdict_filter_stays_in_scope(as_: AsPrincipal) -> None:
    assert as_(TAIYUAN).post(f"/recalls/{DONE}/evaluate").status_code == 200
    assert set(_items(as_, TAIYUAN, "&verdict=effective")) == {DONE}
    assert set(_items(as_, TAIYUAN, "&verdict=ineffective")) == set()
    assert set(_items(as_, SHANGHAI, "&verdict=effective")) == set()
    assert set(_items(as_, SHANGHAI)) == {SH_RECALL}
    assert as_(TAIYUAN).get("/recalls?verdict=great").status_code == 422
    assert as_(SHANGHAI).get(f"/recalls/{LATE}").status_code == 404
