"""The agent's use case: signals from `risk.signals` open or join investigations.

A batch runs in one transaction that also queues what it announces (investigation events,
alerts) in the outbox, so a crash can lose neither. Handling is idempotent by evidence id
(the signal id): a redelivered signal is a duplicate and changes nothing. Each touched
investigation is loaded once and saved once per batch, with the version check, so a person
driving it meanwhile makes the batch fail (`ConcurrentUpdateError`) instead of being
overwritten; the agent then replays the signals one by one on fresh loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from recall.domain.investigations import (
    Evidence,
    EvidenceKind,
    Investigation,
    RiskLevel,
    Route,
    route_evidence,
)
from recall.domain.tiers import TierRules
from recall.service.investigations.records import opened_alert, save_and_announce
from recall.service.ports import OutputTopics, Storage, UnitOfWork, alert_record
from recall.service.tiers.alerts import investigation_escalated
from recall.service.tiers.owners import SignalFacts, place_all, place_signals
from recall.service.tiers.rules import default_rules
from schemas.risk import SignalRaised

AGENT = "risk-agent"
_KIND = {
    "live_nb": EvidenceKind.SIGNAL,
    "harmonic_nb": EvidenceKind.SIGNAL,
    "cold_start": EvidenceKind.SIGNAL,
    "severe_cluster": EvidenceKind.INJURY_CLUSTER,
    "fatal_case": EvidenceKind.INJURY_CLUSTER,
    "sampling_failure": EvidenceKind.SAMPLING_FAILURE,
}


@dataclass
class SignalOutcome:
    """What a batch did: ids opened, and how many signals were attached, repeated or ignored."""

    opened: list[str] = field(default_factory=list)
    attached: int = 0
    duplicate: int = 0
    ignored: int = 0


def evidence_from_signal(signal: SignalRaised) -> Evidence:
    summary = f"{signal.method}: " + " ".join(signal.explanation)
    return Evidence(
        evidence_id=signal.signal_id,
        kind=_KIND.get(signal.method, EvidenceKind.SIGNAL),
        summary=summary[:2000],
        occurred_at=signal.raised_at,
        risk_level=RiskLevel(signal.risk_level) if signal.risk_level else None,
        observed=signal.observed,
        expected=signal.expected,
        statistic=signal.statistic,
        threshold=signal.threshold,
        method=signal.method,
        window=signal.window,
    )


def handle_signals(
    storage: Storage,
    signals: Sequence[SignalRaised],
    *,
    topics: OutputTopics,
    tier_rules: TierRules | None = None,
) -> SignalOutcome:
    """Open or join investigations for a batch of signals, in one transaction.

    In the same transaction each signal and each open investigation it touched gets its owner
    (supervision tier), or moves up when the signal outgrew the owner (docs/tiers.md).
    """
    now = datetime.now(UTC)
    with storage.transaction() as tx:
        batch = _Batch(tx, signals, topics)
        for signal in signals:
            batch.route(signal, now)
        batch.save_all()
        _place(tx, signals, batch, tier_rules or default_rules(), now)
    return batch.outcome


def _place(
    tx: UnitOfWork,
    signals: Sequence[SignalRaised],
    batch: _Batch,
    rules: TierRules,
    now: datetime,
) -> None:
    """Owners for the batch's signals, then for the investigations they opened or joined.

    An investigation moved up (new facts outgrew its owner) is announced to the new owner with
    an `escalated` alert in this transaction; first assignments announce nothing."""
    tiers = tx.tiers
    if tiers is None:
        return
    facts = [
        SignalFacts(
            signal.signal_id,
            signal.product_key,
            signal.jurisdiction,
            RiskLevel(signal.risk_level) if signal.risk_level else None,
            signal.method,
        )
        for signal in signals
    ]
    place_signals(tiers, facts, rules=rules, at=now, actor=AGENT)
    touched = {
        loaded.investigation.investigation_id: loaded.investigation
        for loaded in batch.latest.values()
        if loaded.investigation is not None
    }
    moves = place_all(tiers, touched.values(), rules=rules, at=now, actor=AGENT)
    alerts = [investigation_escalated(m, touched[m.subject_id].category) for m in moves]
    records = [alert_record(a, batch.topics) for a in alerts if a is not None]
    if records:
        tx.outbox.add(records)


@dataclass
class _Loaded:
    """An investigation the batch works on, and its version when loaded (None: new)."""

    investigation: Investigation | None
    version: int | None


class _Batch:
    """The investigations one batch touches, each loaded once and saved once."""

    def __init__(
        self, tx: UnitOfWork, signals: Sequence[SignalRaised], topics: OutputTopics
    ) -> None:
        self.tx = tx
        self.signals = signals
        self.topics = topics
        self.outcome = SignalOutcome()
        self.latest: dict[tuple[str, str], _Loaded] = {}

    def route(self, signal: SignalRaised, now: datetime) -> None:
        key = (signal.product_key, signal.hazard)
        loaded = self._load(key)
        latest = loaded.investigation
        evidence = evidence_from_signal(signal)
        route = route_evidence(latest, evidence, product_key=key[0], hazard=key[1])
        if route.route is Route.DUPLICATE:
            self.outcome.duplicate += 1
        elif route.route is Route.IGNORE:
            self.outcome.ignored += 1
        elif route.route is Route.ATTACH and latest is not None:
            loaded.investigation = latest.attach_evidence(evidence, actor=AGENT, at=now)
            self.outcome.attached += 1
        else:
            self._save(loaded)  # the one it supersedes, first
            opened = Investigation.open(
                product_key=key[0],
                hazard=key[1],
                seq=route.seq,
                category=signal.category,
                jurisdiction=signal.jurisdiction or None,
                evidence=evidence,
                actor=AGENT,
                at=now,
                reason=f"signal {signal.method}: {evidence.summary[:300]}",
            )
            self.latest[key] = _Loaded(opened, None)
            self.outcome.opened.append(opened.investigation_id)

    def save_all(self) -> None:
        for loaded in self.latest.values():
            self._save(loaded)

    def _load(self, key: tuple[str, str]) -> _Loaded:
        if key not in self.latest:
            found = self.tx.investigations.latest_for(*key)
            self.latest[key] = _Loaded(found, len(found.audit) if found else None)
        return self.latest[key]

    def _save(self, loaded: _Loaded) -> None:
        investigation, version = loaded.investigation, loaded.version
        if investigation is None or len(investigation.audit) == version:
            return  # nothing there, or nothing changed
        new = version is None
        save_and_announce(
            self.tx,
            investigation,
            previous_version=version,
            topics=self.topics,
            alerts=[opened_alert(investigation)] if new else [],
            trigger_sent_at=self._trigger_time(investigation) if new else None,
        )

    def _trigger_time(self, investigation: Investigation) -> datetime | None:
        """When the station sent the event behind the opening signal (latency figures)."""
        first = investigation.evidence[0].evidence_id
        for signal in self.signals:
            if signal.signal_id == first and signal.trigger_sent_at is not None:
                return signal.trigger_sent_at
        return None
