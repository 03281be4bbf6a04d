"""`recall stats` (figures as the province reports them) and `recall leads` from the shell."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.cli.common import sessions
from recall.config import load_settings
from recall.domain.access import Role
from tests.support.cli_accounts import account, audited
from tests.support.leads import station, stored_report
from tests.support.statistics_seed import seed_province_figures

from .support import Invoke


@pytest.fixture
def db(recall_cli: Invoke) -> sessionmaker[Session]:
    return sessions(load_settings())


def test_stats_per_year_as_json(recall_cli: Invoke, db: sessionmaker[Session]) -> None:
    seed_province_figures(db)
    shanxi = account(db, "shanxi", region="140000")
    result = recall_cli("stats", "--as", shanxi, "--per", "year", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    rows = {r["year"]: r for r in body["rows"]}
    assert rows["2025"]["lead_shares_percent"] == {
        "purchase_sampling": 40.0,
        "injury_reports": 20.0,
        "media": 20.0,
        "complaints": 20.0,
        "other": 0.0,
    }
    assert rows["2025"]["value_recalled"] == 199500.0
    assert rows["2026"]["recalls_by_tier"] == {"county": 0, "city": 0, "province": 1}
    assert body["total"]["units_affected"] == 1250
    assert audited(db, shanxi) == [("statistics.read", "140000:all", "done", None)]


def test_stats_one_month_table_is_bilingual(recall_cli: Invoke, db: sessionmaker[Session]) -> None:
    seed_province_figures(db)
    taiyuan = account(db, "taiyuan", region="140100")
    result = recall_cli("stats", "--as", taiyuan, "--month", "2025-03", "--by-category")
    assert result.exit_code == 0, result.output
    assert "月份 / Month" in result.output
    assert "县级 / County" in result.output
    assert "2 (50.0%)" in result.output  # Taiyuan's March: 2 of 4 leads from purchase sampling
    assert "199,500.00" in result.output
    assert "合计 / Total" in result.output


def test_stats_refuses_a_non_regulator_and_bad_months(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    public = account(db, "p", Role.PUBLIC)
    refused = recall_cli("stats", "--as", public)
    assert refused.exit_code == 1
    assert "regulators' only" in refused.output
    regulator = account(db, "r", region="140000")
    bad = recall_cli("stats", "--as", regulator, "--month", "2025-13")
    assert bad.exit_code == 1
    assert "YYYY-MM" in bad.output


def test_leads_record_dismiss_from_the_shell(recall_cli: Invoke, db: sessionmaker[Session]) -> None:
    taiyuan = account(db, "taiyuan", region="140100")
    datong = account(db, "datong", region="140200")
    args = [
        "leads", "record", "--source", "complaint", "--reference", "12315-5",
        "--jurisdiction", "140105", "--category", "appliances", "--kind", "electric_kettle",
        "--brand", "Acme", "--model", "K1", "--hazard", "fire", "--summary", "smoke",
        "--received-at", "2025-05-01T08:00:00+08:00",
    ]  # fmt: skip
    first = recall_cli(*args, "--as", taiyuan)
    assert first.exit_code == 0, first.output
    assert "recorded" in first.output
    assert "already recorded" in recall_cli(*args, "--as", taiyuan).output
    listed = recall_cli("leads", "list", "--state", "pending")
    lead_id = next(w for w in listed.output.split() if w.count("-") == 4)
    outside = recall_cli("leads", "dismiss", lead_id, "--reason", "no", "--as", datong)
    assert outside.exit_code == 1
    assert "outside the area" in outside.output
    done = recall_cli(
        "leads", "dismiss", lead_id, "--reason", "duplicate of 12315-4", "--as", taiyuan
    )
    assert done.exit_code == 0, done.output
    again = recall_cli("leads", "accept", lead_id, "--reason", "r", "--as", taiyuan)
    assert again.exit_code == 1
    assert "already dismissed" in again.output
    shown = recall_cli("leads", "show", lead_id)
    assert "duplicate of 12315-4" in shown.output
    assert [a for a, *_ in audited(db, taiyuan)] == [
        "lead.record",
        "lead.record",
        "lead.dismiss",
        "lead.accept",
    ]
    bad = recall_cli(*[a if a != "fire" else "boredom" for a in args], "--as", taiyuan)
    assert bad.exit_code == 1
    assert "hazard" in bad.output


def test_leads_help_names_every_command(recall_cli: Invoke) -> None:
    out = recall_cli("leads", "--help").output
    for command in ("list", "show", "record", "accept", "merge", "dismiss"):
        assert command in out


def _record(recall_cli: Invoke, account_id: str, reference: str) -> str:
    result = recall_cli(
        "leads", "record", "--source", "media", "--reference", reference,
        "--jurisdiction", "140105", "--category", "appliances", "--kind", "electric_kettle",
        "--brand", "acme", "--model", "k-9", "--hazard", "fire", "--summary", "reported",
        "--as", account_id,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return next(w for w in result.output.split() if w.count("-") == 4)


def test_leads_accept_then_merge_from_the_shell(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    taiyuan = account(db, "taiyuan", region="140100")
    first = _record(recall_cli, taiyuan, "NEWS-1")
    accepted = recall_cli("leads", "accept", first, "--reason", "new product", "--as", taiyuan)
    assert accepted.exit_code == 0, accepted.output
    opened = accepted.output.split("opened investigation ")[1].split()[0]
    assert "媒体报道 / media report NEWS-1" in recall_cli("investigations", "show", opened).output
    second = _record(recall_cli, taiyuan, "NEWS-2")  # the same product and hazard
    refused = recall_cli("leads", "accept", second, "--reason", "story", "--as", taiyuan)
    assert refused.exit_code == 1
    assert f"--into {opened}" in refused.output  # what to do instead: merge
    merged = recall_cli(
        "leads", "merge", second, "--into", opened, "--reason", "same", "--as", taiyuan
    )
    assert merged.exit_code == 0, merged.output
    assert "NEWS-2" in recall_cli("investigations", "show", opened).output


def test_newsroom_reports_in_the_record_become_media_leads_once(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    with db.begin() as session:
        session.add_all([station("ST-NEWS", "media"), station("ST-HOSP", "hospital")])
        session.add_all([stored_report(1, "ST-NEWS"), stored_report(2, "ST-HOSP")])
    first = recall_cli("leads", "import-media")
    assert first.exit_code == 0, first.output
    assert "queued (已入队) 1 media lead(s)" in first.output
    assert "queued (已入队) 0 media lead(s)" in recall_cli("leads", "import-media").output
    listed = recall_cli("leads", "list", "--state", "pending").output
    assert "media" in listed
    assert str(uuid.UUID(int=1)) in listed  # the reference is the report's event id
    assert str(uuid.UUID(int=2)) not in listed  # a hospital's report is evidence, not a lead
    assert "fire" in listed


def test_a_refused_newsroom_report_is_listed_with_why(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    broken = stored_report(7, "ST-NEWS")
    broken.payload = {"mechanism": "fire_flame", "injury_nature": "burn_scald"}  # no product
    with db.begin() as session:
        session.add_all([station("ST-NEWS", "media"), broken, stored_report(8, "ST-NEWS")])
    first = recall_cli("leads", "import-media")
    assert first.exit_code == 0, first.output
    assert "queued (已入队) 1 media lead(s)" in first.output
    assert "refused (未入队) 1 report(s)" in first.output
    assert "recall leads refused" in first.output  # where to look next
    refused = recall_cli("leads", "refused")
    assert refused.exit_code == 0, refused.output
    assert str(uuid.UUID(int=7)) in refused.output
    assert "product" in refused.output  # the missing field is named
    again = recall_cli("leads", "import-media").output
    assert "queued (已入队) 0 media lead(s)" in again
    assert "refused" not in again, "a refused report is not read again"
