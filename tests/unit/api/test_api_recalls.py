"""/recalls for each role: the register in scope, the dossier, the closure report, and the
regulator's evaluate and close."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import RecallTransitionRow
from recall.domain.access import Principal
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import (
    DONE,
    EXPERT,
    FIRM,
    OPEN,
    PROVINCE,
    PUBLIC,
    SH_RECALL,
    SHANGHAI,
    STATION,
    TAIYUAN,
    TAIYUAN_MAKER,
    seed_recalls,
)


@pytest.fixture(autouse=True)
def _recalls(db: sessionmaker[Session]) -> None:
    seed_recalls(db)


def _ids(as_: AsPrincipal, principal: Principal, query: str = "") -> set[str]:
    response = as_(principal).get(f"/recalls?limit=500{query}")
    assert response.status_code == 200, response.text
    return {item["recall_id"] for item in response.json()["items"]}


def test_register_in_scope(as_: AsPrincipal) -> None:
    assert _ids(as_, PROVINCE) == _ids(as_, TAIYUAN) == {DONE, OPEN}
    assert _ids(as_, SHANGHAI) == {SH_RECALL}
    assert _ids(as_, FIRM) == {DONE, OPEN}  # its own, by manufacturer code
    assert _ids(as_, PROVINCE, "&state=completed") == {DONE}


def test_filters_are_validated(as_: AsPrincipal) -> None:
    assert as_(PROVINCE).get("/recalls?category=toys").status_code == 422
    bad_region = as_(PROVINCE).get("/recalls?region=140005")  # county digits under no city
    assert bad_region.status_code == 422
    assert "city digits" in bad_region.json()["detail"]


def test_list_items_carry_rates_and_forecast(as_: AsPrincipal) -> None:
    items = as_(TAIYUAN).get("/recalls?sort=start").json()["items"]
    assert [i["recall_id"] for i in items] == [DONE, OPEN]
    done = items[0]
    assert done["manufacturer_code"] == TAIYUAN_MAKER
    assert 0.6 < done["raw_rate"] < 0.7
    assert done["forecast_low80"] <= done["forecast_final_rate"] <= done["forecast_high80"]


def test_pages_and_csv(as_: AsPrincipal) -> None:
    first = as_(PROVINCE).get("/recalls?limit=1").json()
    second = as_(PROVINCE).get(first["next"]).json()
    assert second["next"] is None
    assert {first["items"][0]["recall_id"], second["items"][0]["recall_id"]} == {DONE, OPEN}
    exported = as_(PROVINCE).get("/recalls?format=csv&limit=1")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["召回编号 / Recall id", "召回类型 / Kind"]
    assert {row[0] for row in rows[1:]} == {DONE, OPEN}


def test_dossier_has_progress_rates_forecast(as_: AsPrincipal) -> None:
    response = as_(FIRM).get(f"/recalls/{OPEN}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["sequence"] for r in body["reports"]] == [1, 2, 3]
    assert {r["scope"] for r in body["rates"]} >= {"consumer", "overall"}
    forecast = body["forecast"]
    assert forecast["low80"] <= forecast["final_rate"] <= forecast["high80"]
    assert body["history"][0]["to_state"] == "announced"
    assert body["evaluation"] is None


def test_closure_report_is_html_in_scope_only(as_: AsPrincipal) -> None:
    report = as_(TAIYUAN).get(f"/recalls/{DONE}/closure-report")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert DONE in report.text
    assert as_(SHANGHAI).get(f"/recalls/{DONE}/closure-report").status_code == 404


def test_closure_report_pdf_is_asked_for_with_format(as_: AsPrincipal) -> None:
    pdf = as_(TAIYUAN).get(f"/recalls/{DONE}/closure-report?format=pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'inline; filename="closure-report-{DONE}.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    accept_only = {"Accept": "application/pdf"}  # one rule: the query parameter decides
    html = as_(FIRM).get(f"/recalls/{DONE}/closure-report?format=html", headers=accept_only)
    assert html.headers["content-type"].startswith("text/html")
    assert as_(TAIYUAN).get(f"/recalls/{DONE}/closure-report?format=docx").status_code == 422


def test_closure_report_pdf_outside_scope_reads_as_missing(as_: AsPrincipal) -> None:
    hidden = as_(SHANGHAI).get(f"/recalls/{DONE}/closure-report?format=pdf")
    missing = as_(SHANGHAI).get("/recalls/RC-NONE/closure-report?format=pdf")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert hidden.json()["detail"] == f"no recall {DONE!r}"
    assert as_(EXPERT).get(f"/recalls/{DONE}/closure-report?format=pdf").status_code == 404


def test_closure_report_declares_html_and_pdf(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/recalls/{recall_id}/closure-report"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/html", "application/pdf"}


def test_outside_scope_reads_as_missing(as_: AsPrincipal) -> None:
    hidden = as_(SHANGHAI).get(f"/recalls/{DONE}")
    missing = as_(SHANGHAI).get("/recalls/RC-NONE")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["title"] == missing.json()["title"]
    assert hidden.json()["detail"] == f"no recall {DONE!r}"


@pytest.mark.parametrize("principal", [EXPERT, STATION, PUBLIC], ids=lambda p: p.role.value)
def test_roles_without_recalls(as_: AsPrincipal, principal: Principal) -> None:
    assert as_(principal).get("/recalls").status_code == 403
    assert as_(principal).get(f"/recalls/{DONE}").status_code == 404


def test_regulator_evaluates_then_closes(as_: AsPrincipal, db: sessionmaker[Session]) -> None:
    evaluated = as_(TAIYUAN).post(f"/recalls/{DONE}/evaluate")
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["transition"]["to_state"] == "evaluated"
    assert evaluated.json()["evaluation"]["verdict"] == "effective"
    closed = as_(PROVINCE).post(f"/recalls/{DONE}/close", json={"reason": "结案 filed"})
    assert closed.status_code == 200, closed.text
    assert as_(TAIYUAN).get(f"/recalls/{DONE}").json()["state"] == "closed"
    with db() as session:
        who = session.scalars(
            select(RecallTransitionRow.who)
            .where(RecallTransitionRow.recall_id == DONE)
            .order_by(RecallTransitionRow.position)
        ).all()
    assert who[-2:] == ["acc-taiyuan", "acc-shanxi"]


def test_firm_sees_its_recall_but_may_not_evaluate(as_: AsPrincipal) -> None:
    refused = as_(FIRM).post(f"/recalls/{DONE}/evaluate")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert as_(SHANGHAI).post(f"/recalls/{DONE}/evaluate").status_code == 404
    assert as_(SHANGHAI).post("/recalls/RC-NONE/close", json={"reason": "x"}).status_code == 404


def test_evaluating_a_recall_in_progress_is_a_conflict(as_: AsPrincipal) -> None:
    response = as_(TAIYUAN).post(f"/recalls/{OPEN}/evaluate")
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/illegal-transition"
