"""Lead triage through the API (/leads) and the audited impartial panels (/investigations/…/panels).

Seed (tests/unit/api/seed.py): investigations opened by signals in Taiyuan, Datong and
Shanghai; the Taiyuan manufacturer's credit code carries 140105, so it is a local firm for the
Taiyuan cases; experts EXP-001 (linked to it), EXP-002 (140105), EXP-003 (140100), EXP-004
(Shanghai).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import AuditEntry, InvestigationEvidenceRow
from tests.unit.api import seed
from tests.unit.api.conftest import AsPrincipal


@pytest.fixture
def ids(db: sessionmaker[Session]) -> dict[str, str]:
    return seed.seed_investigations(db)


def report(reference: str, *, where: str = "140105", model: str = "new-1", **over: Any) -> Any:
    body = {
        "source": "complaint",
        "reference": reference,
        "jurisdiction": where,
        "product": {
            "category": "appliances",
            "kind": "electric_kettle",
            "brand": "Acme",
            "model": model,
            "manufacturer_code": seed.TAIYUAN_MAKER,
        },
        "hazard": "fire",
        "summary": "壶底座冒烟 the kettle base smoked",
        "received_at": "2024-05-02T08:00:00+08:00",
    }
    return body | over


def test_record_is_idempotent_and_scoped(as_: AsPrincipal) -> None:
    client = as_(seed.TAIYUAN)
    first = client.post("/leads", json=report("12315-0001"))
    assert first.status_code == 200, first.text
    again = client.post("/leads", json=report("12315-0001", model="other"))
    assert again.json()["created"] is False
    assert again.json()["lead"]["product_key"].endswith("/acme/new-1")  # the stored one
    lead = first.json()["lead"]
    assert (lead["state"], lead["allowed_actions"]) == ("pending", ["accept", "merge", "dismiss"])
    assert lead["recorded_by"] == seed.TAIYUAN.account_id
    # Datong is outside Taiyuan: neither recorded nor seen
    assert client.post("/leads", json=report("12315-0002", where="140202")).status_code == 404
    assert as_(seed.SHANGHAI).get(f"/leads/{lead['lead_id']}").status_code == 404
    assert as_(seed.PROVINCE).get(f"/leads/{lead['lead_id']}").status_code == 200
    assert [x["lead_id"] for x in as_(seed.SHANGHAI).get("/leads").json()] == []
    assert as_(seed.EXPERT).get("/leads").status_code == 403


def test_a_bad_lead_is_refused_with_the_field(as_: AsPrincipal) -> None:
    bad = as_(seed.TAIYUAN).post("/leads", json=report("12315-9", hazard="no_such_hazard"))
    assert bad.status_code == 422
    assert "hazard" in bad.text


def test_accept_opens_an_investigation_with_the_lead_as_evidence(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    client = as_(seed.TAIYUAN)
    lead_id = client.post("/leads", json=report("12315-0003")).json()["lead"]["lead_id"]
    accepted = client.post(f"/leads/{lead_id}/accept", json={"reason": "3 complaints, same model"})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["state"], body["decided_by"], body["reason"]) == (
        "accepted",
        seed.TAIYUAN.account_id,
        "3 complaints, same model",
    )
    inv = client.get(f"/investigations/{body['investigation_id']}").json()
    assert inv["state"] == "opened"
    assert inv["evidence"][0]["evidence_id"] == lead_id
    assert inv["evidence"][0]["kind"] == "manual"
    again = client.post(f"/leads/{lead_id}/dismiss", json={"reason": "changed my mind"})
    assert again.status_code == 409
    assert "already accepted" in again.json()["detail"]
    with db() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject == lead_id)
        ).all()
    assert sorted(actions) == ["lead.accept", "lead.dismiss"]


def test_accept_is_refused_while_an_investigation_is_open_merge_instead(
    as_: AsPrincipal, ids: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = as_(seed.TAIYUAN)
    # k-2 is an open fire investigation of the Taiyuan maker's model k-2
    lead_id = client.post("/leads", json=report("MEDIA-7", model="k-2", source="media")).json()[
        "lead"
    ]["lead_id"]
    refused = client.post(f"/leads/{lead_id}/accept", json={"reason": "newspaper story"})
    assert refused.status_code == 409
    assert "attach evidence to it instead" in refused.json()["detail"]
    # a Datong investigation is outside Taiyuan: 404, and the lead stays pending
    outside = client.post(
        f"/leads/{lead_id}/merge", json={"investigation_id": ids["k-4"], "reason": "same"}
    )
    assert outside.status_code == 404
    merged = client.post(
        f"/leads/{lead_id}/merge", json={"investigation_id": ids["k-2"], "reason": "same product"}
    )
    assert merged.status_code == 200, merged.text
    assert (merged.json()["state"], merged.json()["investigation_id"]) == ("merged", ids["k-2"])
    with db() as session:
        evidence = session.scalars(
            select(InvestigationEvidenceRow.evidence_id).where(
                InvestigationEvidenceRow.investigation_id == ids["k-2"]
            )
        ).all()
    assert lead_id in evidence


def test_dismiss_needs_a_reason_and_keeps_it(as_: AsPrincipal) -> None:
    client = as_(seed.TAIYUAN)
    lead_id = client.post("/leads", json=report("12315-0004")).json()["lead"]["lead_id"]
    assert client.post(f"/leads/{lead_id}/dismiss", json={"reason": ""}).status_code == 422
    done = client.post(f"/leads/{lead_id}/dismiss", json={"reason": "not a product defect"})
    assert done.json()["state"] == "dismissed"
    assert done.json()["allowed_actions"] == []
    pending = client.get("/leads?state=pending").json()
    assert lead_id not in [x["lead_id"] for x in pending]


def test_panel_for_a_local_firm_is_out_of_area_and_audited(
    as_: AsPrincipal, ids: dict[str, str]
) -> None:
    client = as_(seed.TAIYUAN)
    target = ids["k-1"]  # 140105; the maker's home (from its credit code) is 140105: local
    assigned = client.post(f"/investigations/{target}/assign", json={"size": 2})
    assert assigned.status_code == 200, assigned.text
    # EXP-004 (Shanghai) is the only out-of-area one; EXP-003 (same city) fills the seat
    assert assigned.json()["investigation"]["expert_ids"] == ["EXP-004", "EXP-003"]
    panels = client.get(f"/investigations/{target}/panels").json()
    assert len(panels) == 1
    panel = panels[0]
    assert (panel["rule"], panel["home"], panel["actor"]) == (
        "out_of_area",
        "140105",
        seed.TAIYUAN.account_id,
    )
    assert "EXP-003" in panel["fallback"]
    assert [m["expert_id"] for m in panel["chosen"]] == ["EXP-004", "EXP-003"]
    assert "out of area (异地)" in panel["chosen"][0]["why"]
    assert panel["excluded"] == [
        {"expert_id": "EXP-001", "why": None, "reasons": ["conflict_of_interest"]}
    ]
    assert as_(seed.SHANGHAI).get(f"/investigations/{target}/panels").status_code == 404
