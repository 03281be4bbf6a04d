"""Risk by region: the roll-up (pure), `GET /statistics/risk-by-region` and its scope,
`GET /regions`, the region names a frame sends its page, and the page's route.

Signals are spread over two counties of Taiyuan, one of Datong and one of Shanghai; the
expected figures are counted from that list in the test, never typed in by hand.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import RiskSignalRow
from recall.adapters.db.read_model_rows import signal_row
from recall.adapters.db.registry_store import load_registry
from recall.adapters.db.storage import SqlStorage
from recall.domain.access import Principal, Role
from recall.domain.region_risk import (
    Bucket,
    DayCount,
    OpenCount,
    SignalCount,
    child_of,
    roll_up,
    series,
    shown_region,
)
from recall.domain.vocabulary import RiskLevel
from recall.service.accounts.commands import NewAccount, add_account
from recall.service.investigations.signals import handle_signals
from recall.service.ports import OutputTopics
from recall.service.regions.names import PlaceNames
from recall.service.regions.ports import RegionName
from recall.tools.registry.places import CITIES, names
from schemas.registry import RegionEntry, RegistryFile
from schemas.risk import SignalRaised
from tests.unit.api.conftest import AsPrincipal

NOW = datetime.now(UTC).replace(microsecond=0)
TOPICS = OutputTopics(investigations="t.inv", effectiveness="t.eff", alerts="t.alerts")
LEVELS = ("low", "medium", "high", "serious")
CATEGORIES = ("appliances", "children", "electronics")
COUNTIES = ("140105", "140106", "140212", "310101")  # Xiaodian, Yingze, Xinrong; Shanghai
# (jurisdiction, category, level, days ago): every county gets a different mix.
SPREAD = [
    (county, CATEGORIES[(i + j) % 3], LEVELS[(i * 3 + j) % 4], 3 + 17 * j + i)
    for i, county in enumerate(COUNTIES)
    for j in range(4 + 2 * i)
]
OLD = ("140105", "appliances", "serious", 400)  # outside the default year


def _signal(n: int, jurisdiction: str, category: str, level: str, days_ago: int) -> SignalRaised:
    raised = NOW - timedelta(days=days_ago)
    return SignalRaised(
        signal_id=f"rr-{n}",
        product_key=f"91140105MA0000000X/acme/p{n}",
        hazard="fire",
        category=category,
        jurisdiction=jurisdiction,
        method="live_nb",
        risk_level=level,
        day=raised.date().isoformat(),
        observed=5.0,
        expected=1.0,
        threshold=3.0,
        statistic=5.0,
        window="7d",
        explanation=("test",),
        trigger_event_id=f"ev-rr-{n}",
        raised_at=raised,
    )


@pytest.fixture
def seeded(db: sessionmaker[Session]) -> list[SignalRaised]:
    """Region names, the signals of SPREAD (+ one too old) and one investigation opened for
    the first signal of each county (the real path: `handle_signals`)."""
    regions = [RegionEntry(code=c, name_zh=zh, name_en=en) for c, (zh, en) in names().items()]
    regions.append(RegionEntry(code="310101", name_zh="黄浦区", name_en="Huangpu District"))
    load_registry(db, RegistryFile(regions=tuple(regions)))
    signals = [_signal(n, *spec) for n, spec in enumerate([*SPREAD, OLD])]
    with db.begin() as session:
        session.add_all(RiskSignalRow(**signal_row(s)) for s in signals)
    for county in COUNTIES:
        first = next(s for s in signals if s.jurisdiction == county)
        opened = handle_signals(SqlStorage(db), [first], topics=TOPICS)
        assert len(opened.opened) == 1
    return signals


def _regulator(region: str) -> Principal:
    return Principal(f"reg-{region}", Role.REGULATOR, region=region)


def _expected(signals: list[SignalRaised], prefix: str, cut: int) -> dict[str, Counter[str]]:
    """Signals of the last year under `prefix`, per part (code cut to `cut` digits) and
    category, counted straight from the list."""
    since = NOW - timedelta(days=365)
    out: dict[str, Counter[str]] = {}
    for s in signals:
        if s.jurisdiction.startswith(prefix) and s.raised_at >= since:
            part = s.jurisdiction[:cut].ljust(6, "0")
            out.setdefault(part, Counter())[s.category] += 1
    return out


def _highest(signals: list[SignalRaised], part_prefix: str) -> str | None:
    since = NOW - timedelta(days=365)
    levels = [
        RiskLevel(s.risk_level.value)
        for s in signals
        if s.jurisdiction.startswith(part_prefix) and s.raised_at >= since
    ]
    return max(levels, key=lambda lv: lv.rank).value if levels else None


# --- the pure roll-up ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "code", "part"),
    [
        ("140000", "140105", "140100"),
        ("140000", "140100", "140100"),
        ("140000", "140000", "140000"),
        ("140100", "140105", "140105"),
        ("140105", "140105", "140105"),
        ("110000", "110101", "110101"),  # Beijing: counties under the 市辖区 grouping
        ("420000", "429004", "429004"),  # Hubei: a province-administered county
        ("140100", "140212", None),
        ("140105", "140106", None),
    ],
)
def test_the_part_of_a_region_that_holds_a_code(region: str, code: str, part: str | None) -> None:
    assert child_of(region, code) == part


def test_a_region_is_shown_inside_the_area_narrowed_when_wider_and_never_beside_it() -> None:
    assert shown_region("140105", None) == "140105"
    assert shown_region("140000", "140106") == "140106"
    assert shown_region("140105", "140000") == "140105"
    assert shown_region("140105", "140100") == "140105"
    assert shown_region("140105", "140106") is None
    assert shown_region("140100", "140200") is None


def test_the_highest_level_is_by_rank_not_by_name() -> None:
    risk = roll_up(
        "140100",
        ["140105", "140106"],
        [SignalCount("140105", "toys", "medium", 4), SignalCount("140105", "toys", "high", 1)],
        [OpenCount("140106", "toys", 2), OpenCount(None, "toys", 5)],
    )
    assert risk.children == ("140105", "140106")
    assert risk.by_child["140105"].highest is RiskLevel.HIGH  # "medium" > "high" as text
    assert risk.by_child["140105"].signals == 5
    assert risk.by_child["140106"].open_investigations == 2
    assert risk.total.open_investigations == 2  # an investigation without a region: nowhere


def test_the_series_lists_every_bucket_with_zeros_and_weeks_start_on_monday() -> None:
    first, last = date(2026, 1, 1), date(2026, 3, 31)  # a Thursday … a Tuesday
    counts = [DayCount(date(2026, 1, 1), "a", 2), DayCount(date(2026, 1, 4), "b", 1),
              DayCount(date(2026, 3, 30), "a", 5)]  # fmt: skip
    weeks = series(counts, first, last, Bucket.WEEK)
    assert weeks[0].period == date(2025, 12, 29) and weeks[0].period.weekday() == 0
    assert weeks[0].signals == 3 and weeks[0].by_category == {"a": 2, "b": 1}
    assert all(b.period - a.period == timedelta(days=7) for a, b in pairwise(weeks))
    assert weeks[-1].period == date(2026, 3, 30) and weeks[-1].signals == 5
    assert sum(p.signals for p in weeks) == sum(c.count for c in counts)
    months = series(counts, first, last, Bucket.MONTH)
    assert [p.period for p in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [p.signals for p in months] == [3, 0, 5]


# --- the endpoint ----------------------------------------------------------------------------


def _cells(body: dict[str, object]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for cell in body["cells"]:  # type: ignore[attr-defined]
        out.setdefault(cell["region"], Counter())[cell["category"]] = cell["signals"]
    return {k: v for k, v in out.items() if sum(v.values())}


def test_a_province_sees_its_cities_by_category(
    as_: AsPrincipal, seeded: list[SignalRaised]
) -> None:
    response = as_(_regulator("140000")).get("/statistics/risk-by-region")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"] == "140000" and body["level"] == "province"
    assert [c["region"] for c in body["children"]] == sorted(CITIES)  # every city, even empty
    expected = _expected(seeded, "14", 4)
    assert _cells(body) == expected
    by_child = {c["region"]: c for c in body["children"]}
    for city in ("140100", "140200"):
        assert by_child[city]["signals"] == sum(expected[city].values())
        assert by_child[city]["highest_risk_level"] == _highest(seeded, city[:4])
    assert by_child["140300"]["signals"] == 0
    assert by_child["140100"]["open_investigations"] == 2  # one per Taiyuan county
    assert body["total"]["signals"] == sum(sum(c.values()) for c in expected.values())
    assert sum(p["signals"] for p in body["series"]) == body["total"]["signals"]
    assert all(date.fromisoformat(p["period"]).weekday() == 0 for p in body["series"])
    assert "310101" not in response.text


def test_a_city_sees_its_counties_and_a_wider_window_counts_older_signals(
    as_: AsPrincipal, seeded: list[SignalRaised]
) -> None:
    client = as_(_regulator("140000"))
    body = client.get("/statistics/risk-by-region", params={"region": "140100"}).json()
    assert body["path"] == ["140000", "140100"]
    assert [c["region"] for c in body["children"]] == sorted(
        c for c in names() if c.startswith("1401") and c != "140100"
    )
    assert _cells(body) == _expected(seeded, "1401", 6)
    older = client.get(
        "/statistics/risk-by-region",
        params={"region": "140105", "from": (NOW - timedelta(days=500)).isoformat(),
                "bucket": "month"},
    ).json()  # fmt: skip
    in_xiaodian = [s for s in seeded if s.jurisdiction == "140105"]
    assert older["total"]["signals"] == len(in_xiaodian)  # the 400-day-old one too
    assert older["bucket"] == "month"
    assert all(date.fromisoformat(p["period"]).day == 1 for p in older["series"])


def test_a_county_sees_itself_only_never_its_neighbour_nor_the_province(
    as_: AsPrincipal, seeded: list[SignalRaised]
) -> None:
    client = as_(_regulator("140105"))
    own = client.get("/statistics/risk-by-region").json()
    assert own["region"] == "140105" and own["level"] == "county"
    assert [c["region"] for c in own["children"]] == ["140105"]
    assert _cells(own) == _expected(seeded, "140105", 6)
    for wider in ("140000", "140100"):  # narrowed to the county, as a list's filter is
        narrowed = client.get("/statistics/risk-by-region", params={"region": wider})
        assert narrowed.status_code == 200
        assert narrowed.json()["children"] == own["children"]
        assert narrowed.json()["series"] == own["series"]
        assert "140106" not in narrowed.text and "140212" not in narrowed.text
    beside = client.get("/statistics/risk-by-region", params={"region": "140106"})
    assert beside.status_code == 404
    assert "140106" not in json.dumps(beside.json().get("errors"))
    assert client.get("/statistics/risk-by-region", params={"region": "310101"}).status_code == 404


def test_only_regulators_read_risk_by_region(as_: AsPrincipal, seeded: list[SignalRaised]) -> None:
    expert = Principal("exp", Role.EXPERT, expert_id="EXP-001")
    assert as_(expert).get("/statistics/risk-by-region").status_code == 403
    firm = Principal("firm", Role.FIRM, manufacturer_code="91140105MA0000000X")
    assert as_(firm).get("/statistics/risk-by-region").status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"region": "14x000"},
        {"region": "140005"},
        {"bucket": "day"},
        {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"from": "2016-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_queries_are_422(as_: AsPrincipal, params: dict[str, str]) -> None:
    response = as_(_regulator("140000")).get("/statistics/risk-by-region", params=params)
    assert response.status_code == 422, response.text


def test_region_names_are_listed_under_a_code(as_: AsPrincipal, seeded: list[SignalRaised]) -> None:
    body = as_(_regulator("140105")).get("/regions", params={"under": "140100"}).json()
    codes = [item["code"] for item in body["items"]]
    assert codes == sorted(c for c in names() if c.startswith("1401"))
    taiyuan = next(item for item in body["items"] if item["code"] == "140100")
    assert (taiyuan["name_zh"], taiyuan["name_en"]) == ("太原市", "Taiyuan")
    own = as_(_regulator("140105")).get("/regions").json()
    assert [item["code"] for item in own["items"]] == ["140105"]


# --- names in the frame ----------------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _signed_in(app: FastAPI, db: sessionmaker[Session], region: str) -> TestClient:
    issued = add_account(
        SqlAccountStorage(db),
        NewAccount(f"regulator {region}", Role.REGULATOR, region=region),
        by="cli:test",
        at=datetime.now(UTC),
    )
    client = TestClient(app, raise_server_exceptions=False)
    signed = client.post("/dashboard/login", content=f"token={issued.token}", headers=FORM,
                         follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303
    return client


def _context(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="page-context">(.*?)</script>', html)
    assert found is not None
    context: dict[str, object] = json.loads(found.group(1))
    return context


def test_the_frame_names_the_county_its_city_and_province_but_no_neighbour(
    app: FastAPI, db: sessionmaker[Session], seeded: list[SignalRaised]
) -> None:
    client = _signed_in(app, db, "140105")
    chinese = client.get("/dashboard/regions?lang=zh_CN")
    assert chinese.status_code == 200
    assert "小店区 (140105)" in chinese.text  # the header's who
    places = _context(chinese.text)["places"]
    assert places == {"140000": "山西省", "140100": "太原市", "140105": "小店区"}
    english = _context(client.get("/dashboard/regions?lang=en").text)["places"]
    assert english == {c: names()[c][1] for c in ("140000", "140100", "140105")}


def test_the_frame_of_a_province_names_everything_under_it(
    app: FastAPI, db: sessionmaker[Session], seeded: list[SignalRaised]
) -> None:
    client = _signed_in(app, db, "140000")
    places = _context(client.get("/dashboard?lang=zh_CN").text)["places"]
    assert places == {c: zh for c, (zh, _) in names().items()}
    assert "310101" not in places  # registered, but outside the province


def test_without_registered_names_the_header_keeps_the_code(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    page = _signed_in(app, db, "140100").get("/dashboard?lang=zh_CN")
    assert "监管部门 · 140100" in page.text
    assert _context(page.text)["places"] == {}


class _CountingNames:
    def __init__(self) -> None:
        self.calls: list[tuple[str | None, tuple[str, ...]]] = []

    def region_names(self, prefix: str | None, codes: Collection[str] = ()) -> list[RegionName]:
        self.calls.append((prefix, tuple(codes)))
        return [RegionName("140105", "小店区", "Xiaodian District")]


def test_names_are_read_once_per_region_until_they_expire() -> None:
    reads, now = _CountingNames(), [0.0]
    cache = PlaceNames(reads, ttl_s=300, clock=lambda: now[0])
    assert cache.around("140105")["140105"].name("en") == "Xiaodian District"
    cache.around("140105")
    assert reads.calls == [("140105", ("140100", "140000"))]  # one query: below and above
    now[0] = 299.0
    cache.around("140105")
    assert len(reads.calls) == 1
    now[0] = 301.0
    cache.around("140105")
    assert len(reads.calls) == 2
    cache.forget()
    cache.around("140105")
    assert len(reads.calls) == 3


def test_the_page_is_in_the_navigation_and_needs_a_session(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    anonymous = TestClient(app).get("/dashboard/regions", follow_redirects=False)
    assert anonymous.status_code == 303
    page = _signed_in(app, db, "140000").get("/dashboard/regions?region=140100&lang=en")
    assert page.status_code == 200
    assert re.search(r'href="/dashboard/regions"\s+aria-current="page"', page.text)
    assert 'data-region="140100"' in page.text
    odd = _signed_in(app, db, "140000").get('/dashboard/regions?region="><b>')
    assert 'data-region=""' in odd.text
