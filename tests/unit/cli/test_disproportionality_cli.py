"""`recall risk disproportionality` on SQLite: 2x2 tables against the category, by hand.

The appliances category in city 140100 over the last year (kettles by three makers):

    product   electric_shock   burns   mechanical   total
    P              6             4         0          10
    Q              5            40        50          95      (mirrors the category: balanced)
    R              5            40        50          95
    all           16            84       100         200

P x electric_shock: a=6, b=4, c=10, d=180, N=200.
  PRR = (6/10) / (10/190) = 11.4
  chi2 (Yates) = 200 (|6*180 - 4*10| - 100)^2 / (10 * 190 * 16 * 184) = 200 * 940^2 / 5,593,600
  ROR = 6*180 / (4*10) = 27; se = sqrt(1/6 + 1/4 + 1/10 + 1/180) = 0.722649
  E = 10 * 16 / 200 = 0.8; IC = log2(6.5 / 1.3) = log2(5)
Noise the filters must drop: P burns in Shanghai (scope), P burns 400 days ago (window),
a sampling result (type), and a children's product with its own signal (category).
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event
from recall.cli.common import sessions
from recall.config import load_settings
from schemas.common import make_product_key
from schemas.injury import InjuryReport

from .support import Invoke

USCC = "91140100MA0L2K3M4J"
P, Q, R = (make_product_key(USCC, "Acme", m) for m in ("K-1", "K-2", "K-3"))
TOY, DOLL = (make_product_key(USCC, "Toyco", m) for m in ("T-1", "T-2"))
TAIYUAN, SHANGHAI = "140105", "310101"
NOW = datetime.now(UTC)

# mechanism, injury nature -> the hazard `hazard_for_mechanism` derives
ELECTRIC = ("electric", "electric_shock")  # electric_shock
HOT = ("hot_object", "burn_scald")  # burns
FALL = ("fall", "fracture")  # mechanical
CHOKE = ("choking", "choking_suffocation")  # choking

PRR = (6 / 10) / (10 / 190)
CHI2 = 200 * 940**2 / (10 * 190 * 16 * 184)
ROR_SE = math.sqrt(1 / 6 + 1 / 4 + 1 / 10 + 1 / 180)
ROR_LOWER, ROR_UPPER = 27 * math.exp(-1.959964 * ROR_SE), 27 * math.exp(1.959964 * ROR_SE)

_ids = count()


def _injury(
    product: str,
    codes: tuple[str, str],
    *,
    category: str = "appliances",
    jurisdiction: str = TAIYUAN,
    days_ago: int = 30,
) -> Event:
    """A valid injury report (checked against the wire schema) as the store keeps it."""
    mechanism, nature = codes
    brand, model = product.split("/")[1:]
    occurred = NOW - timedelta(days=days_ago)
    payload = {
        "case_ref": f"case-{next(_ids)}",
        "occurred_at": occurred.isoformat(),
        "age_years": 30,
        "sex": "female",
        "body_part": "hand",
        "injury_nature": nature,
        "mechanism": mechanism,
        "disposition": "treated_released",
        "setting": "home",
        "activity": "housework",
        "product": {
            "category": category,
            "kind": "kettle" if category == "appliances" else "toy",
            "manufacturer_code": USCC,
            "brand": brand,
            "model": model,
        },
    }
    report = InjuryReport.model_validate(payload).model_dump(mode="json")
    return _event("injury_report", product, report, occurred, jurisdiction)


def _event(
    kind: str, product: str, payload: dict[str, Any], occurred: datetime, jurisdiction: str
) -> Event:
    n = next(_ids)
    return Event(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        type=kind,
        reporter_id="HOSP-1",
        jurisdiction=jurisdiction,
        product_key=product,
        occurred_at=occurred,
        sent_at=occurred,
        received_at=occurred,
        source_topic="events",
        source_partition=0,
        source_offset=n,
        payload=payload,
    )


def _cases() -> list[Event]:
    mix = [(P, ELECTRIC, 6), (P, HOT, 4)]
    mix += [(x, code, k) for x in (Q, R) for code, k in ((ELECTRIC, 5), (HOT, 40), (FALL, 50))]
    mix += [(TOY, CHOKE, 5), (DOLL, CHOKE, 1), (DOLL, FALL, 30)]
    events = [
        _injury(product, code, category="children" if product in (TOY, DOLL) else "appliances")
        for product, code, k in mix
        for _ in range(k)
    ]
    events += [_injury(P, HOT, jurisdiction=SHANGHAI) for _ in range(20)]
    events += [_injury(P, HOT, days_ago=400) for _ in range(20)]
    events.append(_event("sampling_result", P, {"items": []}, NOW, TAIYUAN))
    return events


@pytest.fixture
def db(recall_cli: Invoke) -> sessionmaker[Session]:
    """The CLI's database (after `recall_cli` set the environment), migrated and filled."""
    factory = sessions(load_settings())
    with factory.begin() as session:
        session.add_all(_cases())
    return factory


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {(r["product_key"], r["hazard"]): r for r in csv.DictReader(handle)}


def _line(output: str, product: str, hazard: str) -> str:
    return next(line for line in output.splitlines() if product in line and hazard in line)


@pytest.mark.usefixtures("db")
def test_disproportionate_pair_matches_hand_computation(recall_cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    result = recall_cli(
        "risk", "disproportionality", "--scope", "140100", "--category", "appliances",
        "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert list(rows) == [(P, "electric_shock")]  # the balanced Q and R are not signals
    row = rows[P, "electric_shock"]
    assert [int(row[k]) for k in "abcd"] == [6, 4, 10, 180]
    assert float(row["prr"]) == pytest.approx(PRR)
    assert float(row["chi2_yates"]) == pytest.approx(CHI2)
    assert float(row["ror"]) == pytest.approx(27.0)
    assert float(row["ror_lower"]) == pytest.approx(ROR_LOWER, rel=1e-5)
    assert float(row["ror_upper"]) == pytest.approx(ROR_UPPER, rel=1e-5)
    assert float(row["expected"]) == pytest.approx(0.8)
    assert float(row["ic"]) == pytest.approx(math.log2(5))
    assert float(row["ic025"]) > 0
    assert float(row["eb05"]) > 1
    assert (row["criteria_met"], row["signal"]) == ("3", "1")

    line = _line(result.output, P, "electric_shock")
    assert f"{PRR:.2f}" in line
    assert f"{CHI2:.2f}" in line
    assert f"27.00 [{ROR_LOWER:.2f}–{ROR_UPPER:.2f}]" in line
    assert "3/3 PRR ROR IC" in line
    assert Q not in result.output
    assert R not in result.output
    assert "injury reports (伤害报告) 200 " in result.output


@pytest.mark.usefixtures("db")
def test_all_lists_balanced_pairs_without_signal(recall_cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    result = recall_cli(
        "risk", "disproportionality", "--scope", "140100", "--category", "appliances", "--all",
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert len(rows) == 8  # P: 2 hazards; Q and R: 3 each
    assert next(iter(rows)) == (P, "electric_shock")  # strongest first
    assert [k for k, r in rows.items() if r["signal"] == "1"] == [(P, "electric_shock")]
    balanced = rows[Q, "burns"]
    # a=40 b=55 c=44 d=61: PRR = (40/95) / (44/105)
    assert [int(balanced[k]) for k in "abcd"] == [40, 55, 44, 61]
    assert float(balanced["prr"]) == pytest.approx((40 / 95) / (44 / 105))
    assert Q in result.output
    assert "0/3" in _line(result.output, Q, "burns")
    assert "EB prior (经验贝叶斯先验): default" in result.output  # 8 pairs: too few to fit


@pytest.mark.usefixtures("db")
def test_category_filter_and_scope(recall_cli: Invoke, tmp_path: Path) -> None:
    everywhere = recall_cli("risk", "disproportionality", "-o", str(tmp_path / "all.csv"))
    assert everywhere.exit_code == 0, everywhere.output
    rows = _rows(tmp_path / "all.csv")
    assert (TOY, "choking") in rows  # children: a=5 b=0 c=1 d=30
    # without a scope the 20 Shanghai burns join P's reports: b = 4 + 20
    assert int(rows[P, "electric_shock"]["b"]) == 24

    children = recall_cli("risk", "disproportionality", "--category", "children")
    assert children.exit_code == 0, children.output
    assert TOY in children.output
    assert P not in children.output

    shanghai = recall_cli("risk", "disproportionality", "--scope", "310000", "--all")
    assert shanghai.exit_code == 0, shanghai.output
    assert "injury reports (伤害报告) 20 " in shanghai.output
    assert "electric_shock" not in shanghai.output


@pytest.mark.usefixtures("db")
def test_min_cases_and_window(recall_cli: Invoke) -> None:
    strict = recall_cli(
        "risk", "disproportionality", "--category", "appliances", "--scope", "140100",
        "--min-cases", "7",
    )  # fmt: skip
    assert strict.exit_code == 0, strict.output
    assert "no pair meets the criteria; --all shows every pair" in strict.output
    longer = recall_cli("risk", "disproportionality", "--scope", "140100", "--days", "500")
    assert longer.exit_code == 0, longer.output
    assert "injury reports (伤害报告) 256 " in longer.output  # 200 + 36 children + 20 old


def test_refuses_bad_scope_and_category(recall_cli: Invoke) -> None:
    scope = recall_cli("risk", "disproportionality", "--scope", "14")
    assert scope.exit_code == 1
    assert "six ASCII digits" in scope.output
    category = recall_cli("risk", "disproportionality", "--category", "kettles")
    assert category.exit_code == 1
    assert "unknown category 'kettles'" in category.output
    assert "appliances" in category.output
