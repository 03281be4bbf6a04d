"""Placing a batch of signals gives the owners placing them one at a time gives, in fewer reads.

`handle_signals` places a whole batch's signals at once (`place_signals`): the owners, the
products' regions and the firms' homes read once, the new regions and moves written once. The
owners must not depend on where batch boundaries fall — a worker's batches are whatever the
broker handed it — so the same signals are placed here once as one batch and once one by one,
on two SQLite databases, and every signal's move and every investigation's owner compared.
The batch covers what the rules read in order: a product's second city (the first signal
must not see it), a signal repeated in the batch, a death, a registered firm, a signal
without a region.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import InvestigationRow, Manufacturer, TierMoveRow
from recall.adapters.db.storage import SqlStorage
from recall.service.investigations.signals import handle_signals
from recall.service.tiers.rules import default_rules
from schemas.risk import SignalRaised
from tests.support.investigations import OTHER_PRODUCT, PRODUCT, TOPICS, signal

RULES = default_rules()
ELSEWHERE = "91310000MA1FL0000X/other/m-1"  # a firm the registry does not know


def _storage(path: Path) -> SqlStorage:
    url = f"sqlite:///{path}"
    upgrade(url)
    storage = SqlStorage(make_session_factory(make_engine(url)))
    with storage.sessions.begin() as session:
        session.add(
            Manufacturer(credit_code=PRODUCT.split("/")[0], name="Acme", jurisdiction="140100")
        )
    return storage


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[SqlStorage, SqlStorage]]:
    a, b = _storage(tmp_path / "batch.db"), _storage(tmp_path / "one-by-one.db")
    yield a, b
    for storage in (a, b):
        storage.sessions.kw["bind"].dispose()


def _signals() -> list[SignalRaised]:
    return [
        signal("s1", product_key=ELSEWHERE, risk_level="high"),  # county 140105
        signal("s2", product_key=ELSEWHERE, risk_level="high", jurisdiction="140202"),  # 2 cities
        signal("s1", product_key=ELSEWHERE, risk_level="high"),  # repeated: placed once
        signal("s3", product_key=ELSEWHERE, hazard="fire", method="fatal_case"),  # a death
        signal("s4", product_key=PRODUCT, risk_level="high"),  # the firm's home, 140100
        signal("s5", product_key=OTHER_PRODUCT, risk_level="high", jurisdiction=""),  # no region
        signal("s6", product_key=ELSEWHERE, risk_level="high", jurisdiction="140106"),
    ]


def _placed(storage: SqlStorage) -> tuple[set[tuple[object, ...]], dict[str, str | None]]:
    with storage.sessions() as session:
        signals: set[tuple[object, ...]] = {
            (m.subject_id, m.from_owner, m.to_owner, m.rule, m.region, m.reason)
            for m in session.scalars(select(TierMoveRow).where(TierMoveRow.kind == "signal"))
        }
        owners = {
            row.investigation_id: row.owner for row in session.scalars(select(InvestigationRow))
        }
    return signals, owners


def test_a_batch_places_its_signals_as_one_by_one_would(
    two: tuple[SqlStorage, SqlStorage],
) -> None:
    batched, one_by_one = two
    handle_signals(batched, _signals(), topics=TOPICS, tier_rules=RULES)
    for each in _signals():
        handle_signals(one_by_one, [each], topics=TOPICS, tier_rules=RULES)
    signals, owners = _placed(batched)
    assert (signals, owners) == _placed(one_by_one)
    by_signal = {subject: to for subject, _, to, *_ in signals}
    assert by_signal["s1"] == "140105", "the first signal does not see the second city"
    assert by_signal["s2"] == "140000", "the second city takes the signal to the province"
    assert by_signal["s4"] == "140100", "the registered firm's home"
    assert "s5" not in by_signal, "no region: no owner, and the batch goes on"
    assert len(signals) == 5
    assert set(owners.values()) >= {"140000", "140100"}


def test_a_replayed_batch_writes_nothing_more(two: tuple[SqlStorage, SqlStorage]) -> None:
    storage, _ = two
    handle_signals(storage, _signals(), topics=TOPICS, tier_rules=RULES)
    before = _placed(storage)
    handle_signals(storage, _signals(), topics=TOPICS, tier_rules=RULES)
    assert _placed(storage) == before
    with storage.sessions() as session:
        moves = session.scalars(select(TierMoveRow)).all()
    assert len(moves) == len({m.move_id for m in moves})


def _tier_statements(storage: SqlStorage, signals: int, first: int) -> int:
    """Statements on the tier tables while one batch of `signals` new signals is handled."""
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    batch = [
        signal(f"s{i}", product_key=f"{ELSEWHERE[:-1]}{i}", risk_level="high")
        for i in range(first, first + signals)
    ]
    engine = storage.sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        outcome = handle_signals(storage, batch, topics=TOPICS, tier_rules=RULES)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(outcome.opened) == signals
    tables = ("tier_moves", "tier_regions", "manufacturers")
    return sum(1 for s in statements if any(t in s for t in tables))


def test_placing_a_batch_reads_and_writes_the_tier_tables_a_fixed_number_of_times(
    two: tuple[SqlStorage, SqlStorage],
) -> None:
    """~7 statements a signal and ~5 an investigation before, each ~1 ms in a busy worker
    (py-spy, `recall bench pipeline`): now the same few a batch, however many signals."""
    storage, _ = two
    few = _tier_statements(storage, 3, first=0)
    many = _tier_statements(storage, 30, first=100)
    assert many == few <= 8
    placed, owners = _placed(storage)
    assert len(placed) == 33 and all(owners.values())
