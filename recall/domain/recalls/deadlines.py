"""Required progress reports as expected events with deadlines, overdue notices and referrals.

Report k is due at start + k × cadence (plus an optional grace period). The clock is always a
parameter (`now`), so the same events replayed give the same notices. Rules, each chosen for
an auditable edge:

* a report submitted exactly at its deadline is on time (`submitted_at <= due`);
* with no report, the expectation is overdue only once `now > due`;
* a late report closes the expectation but stays `late`, and a late report is a *miss*;
* the tracker reads only receipts with `submitted_at <= now`, so asking about the past is exact;
* each overdue notice and each referral carries a stable key and is emitted once;
* N consecutive misses (default 2) or an explicit refusal produce a `Referral` to enforcement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from recall.domain.recalls.errors import InvalidRecallError
from recall.domain.recalls.model import days_between, require_aware


class Timeliness(StrEnum):
    PENDING = "pending"  # not yet due
    ON_TIME = "on_time"
    LATE = "late"  # received after the deadline
    OVERDUE = "overdue"  # past the deadline, nothing received
    UNSCHEDULED = "unscheduled"  # a report number the schedule does not expect


@dataclass(frozen=True, slots=True)
class ExpectedReport:
    recall_id: str
    sequence: int
    due: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.recall_id}/report/{self.sequence}"


@dataclass(frozen=True, slots=True)
class ReportReceipt:
    recall_id: str
    sequence: int
    submitted_at: dt.datetime
    timeliness: Timeliness
    days_late: float


@dataclass(frozen=True, slots=True)
class ExpectationStatus:
    expected: ExpectedReport
    timeliness: Timeliness
    submitted_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class OverdueNotice:
    """A reminder to the firm; `key` makes re-emission after a restart harmless."""

    key: str
    recall_id: str
    sequence: int
    due: dt.datetime
    detected_at: dt.datetime
    days_overdue: float


@dataclass(frozen=True, slots=True)
class Referral:
    """A hand-over to enforcement with the reasons a regulator would cite."""

    key: str
    recall_id: str
    referred_at: dt.datetime
    reasons: tuple[str, ...]
    missed_sequences: tuple[int, ...]
    refused: bool


def reporting_schedule(
    recall_id: str,
    start: dt.datetime,
    cadence_days: int,
    count: int,
    *,
    grace_days: int = 0,
) -> tuple[ExpectedReport, ...]:
    """`count` reports; report k covers the period ending start + k × cadence and is due
    `grace_days` later (wall-clock days in start's zone)."""
    require_aware(start, "start")
    if cadence_days <= 0 or count <= 0 or grace_days < 0:
        raise InvalidRecallError("a schedule needs cadence_days > 0, count > 0, grace_days ≥ 0")
    step, grace = dt.timedelta(days=cadence_days), dt.timedelta(days=grace_days)
    return tuple(
        ExpectedReport(recall_id, k, start + k * step + grace) for k in range(1, count + 1)
    )


def next_report_due(start: dt.datetime, cadence_days: int, last_sequence: int) -> dt.datetime:
    """When the report after `last_sequence` is due, by `reporting_schedule`'s rule (report k
    at start + k × cadence): what a register line shows without loading every report."""
    require_aware(start, "start")
    if cadence_days <= 0 or last_sequence < 0:
        raise InvalidRecallError("next_report_due needs cadence_days > 0 and last_sequence ≥ 0")
    return start + (last_sequence + 1) * dt.timedelta(days=cadence_days)


class DeadlineTracker:
    """Tracks one recall's expected reports. Restore after a restart by passing `sent_keys`."""

    def __init__(
        self,
        schedule: Sequence[ExpectedReport],
        *,
        misses_for_referral: int = 2,
        sent_keys: Iterable[str] = (),
    ) -> None:
        if not schedule or misses_for_referral < 1:
            raise InvalidRecallError(
                "a tracker needs a non-empty schedule and misses_for_referral ≥ 1"
            )
        self.recall_id = schedule[0].recall_id
        self._expected = {e.sequence: e for e in sorted(schedule, key=lambda e: e.sequence)}
        self._misses = misses_for_referral
        self._receipts: dict[int, ReportReceipt] = {}
        self._refusal: tuple[dt.datetime, str] | None = None
        self._sent: set[str] = set(sent_keys)

    @property
    def sent_keys(self) -> frozenset[str]:
        """Keys of notices and referrals already emitted (persist these)."""
        return frozenset(self._sent)

    def receive(self, sequence: int, submitted_at: dt.datetime) -> ReportReceipt:
        """Record a report; a duplicate delivery returns the first receipt unchanged."""
        require_aware(submitted_at, "submitted_at")
        if sequence in self._receipts:
            return self._receipts[sequence]
        expected = self._expected.get(sequence)
        if expected is None:
            receipt = ReportReceipt(
                self.recall_id, sequence, submitted_at, Timeliness.UNSCHEDULED, 0.0
            )
        else:
            late = days_between(expected.due, submitted_at)
            status = Timeliness.ON_TIME if submitted_at <= expected.due else Timeliness.LATE
            receipt = ReportReceipt(self.recall_id, sequence, submitted_at, status, max(late, 0.0))
        self._receipts[sequence] = receipt
        return receipt

    def refuse(self, when: dt.datetime, why: str) -> None:
        """The firm declared it will not act or report: grounds for an immediate referral."""
        require_aware(when, "when")
        if self._refusal is None:
            self._refusal = (when, why)

    def status(self, now: dt.datetime) -> list[ExpectationStatus]:
        """Every expectation as seen at `now`."""
        require_aware(now, "now")
        return [self._status_of(e, now) for e in self._expected.values()]

    def _status_of(self, expected: ExpectedReport, now: dt.datetime) -> ExpectationStatus:
        receipt = self._receipts.get(expected.sequence)
        if receipt is not None and receipt.submitted_at <= now:
            return ExpectationStatus(expected, receipt.timeliness, receipt.submitted_at)
        state = Timeliness.OVERDUE if now > expected.due else Timeliness.PENDING
        return ExpectationStatus(expected, state, None)

    def overdue_notices(self, now: dt.datetime) -> list[OverdueNotice]:
        """Notices for expectations overdue at `now` that were not noticed before."""
        notices = []
        for st in self.status(now):
            key = f"{st.expected.key}/overdue"
            if st.timeliness is Timeliness.OVERDUE and key not in self._sent:
                self._sent.add(key)
                due = st.expected.due
                notices.append(
                    OverdueNotice(
                        key, self.recall_id, st.expected.sequence, due, now, days_between(due, now)
                    )
                )
        return notices

    def referrals(self, now: dt.datetime) -> list[Referral]:
        """New referrals at `now`: one per run of consecutive misses, one for a refusal."""
        found = [r for r in (self._refusal_referral(now), *self._miss_referrals(now)) if r]
        for referral in found:
            self._sent.add(referral.key)
        return found

    def _refusal_referral(self, now: dt.datetime) -> Referral | None:
        key = f"{self.recall_id}/referral/refusal"
        if self._refusal is None or self._refusal[0] > now or key in self._sent:
            return None
        when, why = self._refusal
        reason = f"firm refused on {when.isoformat()}: {why}"
        return Referral(key, self.recall_id, now, (reason,), (), True)

    def _miss_referrals(self, now: dt.datetime) -> list[Referral]:
        runs: list[list[ExpectationStatus]] = [[]]
        for st in self.status(now):
            if st.timeliness in (Timeliness.LATE, Timeliness.OVERDUE):
                runs[-1].append(st)
            elif runs[-1]:
                runs.append([])
        out = []
        for run in runs:
            if len(run) < self._misses:
                continue
            key = f"{self.recall_id}/referral/missed-from/{run[0].expected.sequence}"
            if key not in self._sent:
                out.append(self._miss_referral(key, run, now))
        return out

    def _miss_referral(self, key: str, run: list[ExpectationStatus], now: dt.datetime) -> Referral:
        reasons = tuple(
            f"report {st.expected.sequence} due {st.expected.due.isoformat()}: "
            + ("submitted late " + st.submitted_at.isoformat() if st.submitted_at else "missing")
            for st in run
        )
        seqs = tuple(st.expected.sequence for st in run)
        header = f"{len(run)} consecutive reports missed their deadline"
        return Referral(key, self.recall_id, now, (header, *reasons), seqs, False)
