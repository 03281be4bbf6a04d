"""Replay: re-assess the stored history with today's risk rules, offline, announcing nothing.

Why: after a risk-rule change (a threshold, a new signal method) the operators want to know
what the rules would have said about the events already received, and the read model's scores
recomputed with them, without re-alerting anyone about old events.

How: the stored events (`StoredEvent`, from the system of record's `events` table) are read in
arrival order — receipt time, then source position — which is the order the live `assess_risk`
agent saw them in, so the lateness rules (watermark, late cases) decide as they did live. They
are cut into batches of the live agent's size (`RISK_BATCH`), each batch parsed with the
agent's own parser (`case_from_canonical`) and folded into per-product states with its own use
case (`assess`), with `now` the batch's latest receipt time: the time the live agent would have
assessed it. Nothing here re-implements a rule.

What it writes (`ReplayTarget`): only the recomputed scores that differ from the stored ones,
to the read model's `risk_scores`, stamped with the replay's start time (a live score updated
after it still wins the read model's newer-wins upsert). What it never does: produce to Kafka
(`risk.signals`, `risk.scores`, `risk.regional`, alerts), write `risk_signals`, alerts, outbox
rows, webhooks or investigations, or touch the live per-product states (`product_to_risk`):
every event replayed is older than the replay, so nothing it finds is news to act on. The
signals the rules raise now are compared with the stored ones and reported (`SignalOutcome`),
for a person to judge.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import structlog

from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.service.risk.assessment import ScoreDraft, SignalDraft, assess
from recall.service.risk.cases import Case, case_from_canonical
from recall.service.risk.records import score_updated, signal_raised
from recall.service.risk.state import MAX_AGE_DAYS, ProductRiskState
from schemas.risk import RiskScoreUpdated, SignalRaised

log = structlog.get_logger(__name__)
T = TypeVar("T")

RISK_BATCH = 1000
"""Events per assessment, as the live agent takes them at full load (`streams.agents.risk`)."""
REPLAYED_TYPES = ("injury_report", "sampling_result")
"""The only types that reach a risk state; the others parse to no case."""
SCORE_TOLERANCE = 0.005
"""Scores closer than this are the same score (the read model keeps floats)."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One `events` row, as much of it as the canonical record's parser reads."""

    event_id: str
    type: str
    jurisdiction: str
    product_key: str | None
    payload: Mapping[str, Any]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ReplayWindow:
    """Which stored events to replay: received in [since, until), of one category if given.

    States start empty at `since`: the products' baselines are learned from the window only.
    """

    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None


class ReplaySource(Protocol):
    def count(self, window: ReplayWindow) -> int:
        """How many stored events of `REPLAYED_TYPES` the window holds (for progress)."""
        ...

    def pages(self, window: ReplayWindow, size: int) -> Iterator[Sequence[StoredEvent]]:
        """The window's events of `REPLAYED_TYPES` naming a product, in arrival order
        (receipt time, then source position), `size` at a time (the last may be shorter)."""
        ...


@dataclass(frozen=True, slots=True)
class StoredScore:
    score: float
    risk_level: str | None


@dataclass(frozen=True, slots=True)
class ReplayedScore:
    """A recomputed score with where its product belongs, from its replayed state (the read
    model prefers the registry's facts when it has them)."""

    record: RiskScoreUpdated
    jurisdiction: str
    category: str


class ReplayTarget(Protocol):
    def stored_scores(self, product_keys: Collection[str]) -> Mapping[str, StoredScore]:
        """The read model's current score of each of these products that has one."""
        ...

    def stored_signals(self, product_keys: Collection[str]) -> Mapping[str, str]:
        """signal_id -> product_key of every stored signal of these products."""
        ...

    def write_scores(self, scores: Sequence[ReplayedScore]) -> int:
        """Store these scores in the read model (newer-wins); how many rows changed."""
        ...


@dataclass(frozen=True, slots=True)
class ReplayRules:
    """What the live agent reads beside the events: the same sources, today's values."""

    units: Mapping[str, int] = field(default_factory=dict)
    disproportionality: Mapping[str, Mapping[str, DisproportionalityEvidence]] = field(
        default_factory=dict
    )
    max_age_days: int = MAX_AGE_DAYS


@dataclass(frozen=True, slots=True)
class SignalOutcome:
    """A signal the rules raise now (`new`: not stored; `stored`: raised live too), or a stored
    one they no longer raise (`gone`, without a record: only its id and product)."""

    status: str
    signal_id: str
    product_key: str
    record: SignalRaised | None = None


@dataclass
class ReplaySummary:
    events: int = 0
    cases: int = 0
    unreadable: int = 0  # a record the parser refuses (the live agent dead-lettered it)
    failed: int = 0  # a case whose assessment raised (the live agent isolated it)
    set_aside: int = 0  # future or late: remembered, no effect (as live)
    products: int = 0
    signals_now: int = 0
    signals_stored: int = 0  # of the replayed products, in the read model before the replay
    signals_new: int = 0  # raised now, not stored
    signals_gone: int = 0  # stored, not raised now
    scores_changed: int = 0  # differs from the stored score (or none stored)
    scores_written: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class Replayer:
    """The in-memory half: per-product states, the latest score and the signals raised."""

    def __init__(self, rules: ReplayRules, category: str | None = None) -> None:
        self.rules, self.category = rules, category
        self.states: dict[str, bytes] = {}  # as the live table keeps them: compact, and a
        # failing assessment leaves the kept bytes as they were
        self.scores: dict[str, tuple[ScoreDraft, str, str]] = {}  # with jurisdiction, category
        self.signals: dict[str, SignalRaised] = {}
        self.summary = ReplaySummary()

    def feed(self, events: Sequence[StoredEvent]) -> None:
        """Assess one batch as the live agent would have, at its latest receipt time."""
        if not events:
            return
        now = max(e.received_at for e in events)
        grouped: dict[str, list[Case]] = defaultdict(list)
        for event in events:
            self.summary.events += 1
            try:
                case = case_from_canonical(
                    canonical_record(event), event.received_at.timestamp(), now
                )
            except Exception:  # as the live agent, which dead-letters it (and goes on)
                self.summary.unreadable += 1
                continue
            if case is None or (self.category is not None and case.category != self.category):
                continue
            grouped[case.product_key].append(case)
        for product_key, cases in grouped.items():
            self.summary.cases += len(cases)
            raw = self.states.get(product_key, b"")
            try:
                raw = self._assess(product_key, raw, cases, now)
            except Exception:  # as the live agent: retry one case at a time, isolate the one
                for case in cases:
                    try:
                        raw = self._assess(product_key, raw, [case], now)
                    except Exception as error:
                        self.summary.failed += 1
                        log.warning("replay case failed", product_key=product_key, error=error)
            self.states[product_key] = raw

    def _assess(self, product_key: str, raw: bytes, cases: list[Case], now: datetime) -> bytes:
        """`assess` on the state loaded from its bytes, as the agent loads it; the new bytes."""
        result = assess(
            ProductRiskState.from_bytes(raw),
            cases,
            self.rules.units.get(product_key),
            now,
            self.rules.max_age_days,
            disproportionality=self.rules.disproportionality.get(product_key),
        )
        self.summary.set_aside += result.late + result.future
        for signal in result.signals:
            self._raise(signal, now)
        if result.score is not None:
            state = result.state
            self.scores[product_key] = (result.score, state.jurisdiction, state.category)
        return result.state.to_bytes()

    def _raise(self, signal: SignalDraft, now: datetime) -> None:
        self.signals.setdefault(signal.signal_id, signal_raised(signal, now))


def canonical_record(event: StoredEvent) -> dict[str, Any]:
    """The `events.canonical` record of a stored event, as far as the risk parser reads it:
    the intake stored exactly the payload that flowed on (`Accepted.payload`)."""
    return {
        "event": {
            "event_id": event.event_id,
            "type": event.type,
            "jurisdiction": event.jurisdiction,
            "payload": dict(event.payload),
        },
        "product_key": event.product_key,
        "received_at": event.received_at.isoformat(),
    }


def replay(
    source: ReplaySource,
    target: ReplayTarget,
    rules: ReplayRules,
    *,
    started_at: datetime,
    window: ReplayWindow | None = None,
    dry_run: bool = False,
    batch: int = RISK_BATCH,
    progress: Callable[[int], None] | None = None,
    report: Callable[[SignalOutcome], None] | None = None,
) -> ReplaySummary:
    """Replay the window's stored events; store changed scores (unless `dry_run`); report.

    `progress` is called with the number of events of each batch done; `report` with every
    signal outcome (new, stored, gone). Scores are stamped `started_at`. Running it twice
    writes nothing the second time (the scores are then the stored ones).
    """
    window = window or ReplayWindow()
    clock = time.perf_counter()
    replayer = Replayer(rules, window.category)
    for page in source.pages(window, batch):
        replayer.feed(page)
        if progress is not None:
            progress(len(page))
    summary = replayer.summary
    summary.dry_run = dry_run
    summary.products = len(replayer.states)
    summary.signals_now = len(replayer.signals)
    _compare_signals(replayer, target, summary, report)
    changed = _changed_scores(replayer, target, started_at)
    summary.scores_changed = len(changed)
    if not dry_run:
        summary.scores_written = sum(
            target.write_scores(chunk) for chunk in _chunks(changed, CHUNK)
        )
    summary.seconds = time.perf_counter() - clock
    log.info("replay done", **vars(summary))
    return summary


CHUNK = 1000
"""Products per read-model query or write."""


def _compare_signals(
    replayer: Replayer,
    target: ReplayTarget,
    summary: ReplaySummary,
    report: Callable[[SignalOutcome], None] | None,
) -> None:
    keys = sorted(replayer.states)
    stored: dict[str, str] = {}
    for chunk in _chunks(keys, CHUNK):
        stored.update(target.stored_signals(chunk))
    summary.signals_stored = len(stored)
    for signal_id, record in sorted(replayer.signals.items()):
        status = "stored" if signal_id in stored else "new"
        summary.signals_new += status == "new"
        if report is not None:
            report(SignalOutcome(status, signal_id, record.product_key, record))
    for signal_id, product_key in sorted(stored.items()):
        if signal_id not in replayer.signals:
            summary.signals_gone += 1
            if report is not None:
                report(SignalOutcome("gone", signal_id, product_key))


def _changed_scores(
    replayer: Replayer, target: ReplayTarget, started_at: datetime
) -> list[ReplayedScore]:
    """The replayed scores that differ from the stored ones, as records of `started_at`."""
    out: list[ReplayedScore] = []
    keys = sorted(replayer.scores)
    for chunk in _chunks(keys, CHUNK):
        stored = target.stored_scores(chunk)
        for key in chunk:
            draft, jurisdiction, category = replayer.scores[key]
            level = draft.risk_level.value if draft.risk_level else None
            known = stored.get(key)
            if (
                known is None
                or abs(known.score - draft.score) >= SCORE_TOLERANCE
                or known.risk_level != level
            ):
                record = score_updated(draft, started_at)
                out.append(ReplayedScore(record, jurisdiction, category))
    return out


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
