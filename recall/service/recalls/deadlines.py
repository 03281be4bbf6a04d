"""The deadline check, on a timer: overdue progress reports, referrals, post-recall incidents.

Each notice and referral is announced once: the keys of those already sent are stored with
the recall in the same transaction as the alerts that announce them, so running the check
again after a failure (or on another worker) repeats nothing. Each referral also opens its
enforcement case in that transaction (`recall.service.cases.opening`, docs/cases.md).
"""

from __future__ import annotations

from datetime import datetime

from recall.domain.cases import DEFAULT_CASE_DAYS
from recall.service.cases.opening import open_case
from recall.service.cases.ports import CaseRepository
from recall.service.ports import OutputTopics, Storage, alert_record
from recall.service.recalls import figures
from recall.service.recalls.effectiveness import Decisions
from recall.service.recalls.outgoing import (
    ineffective_alert,
    overdue_alert,
    referral_alert,
)
from recall.service.recalls.ports import LoadedRecall, RecallRepository
from schemas.risk import Alert, AlertKind


def check_deadlines(
    storage: Storage,
    topics: OutputTopics,
    now: datetime,
    *,
    misses_for_referral: int = 2,
    case_days: int = DEFAULT_CASE_DAYS,
) -> Decisions:
    """Emit ProgressReportOverdue once per missed report and a referral after repeated misses;
    each referral opens its enforcement case (`case_days` to an outcome)."""
    decisions = Decisions()
    with storage.transaction() as tx:
        for loaded in tx.recalls.active():
            alerts = _missed_reports(
                tx.recalls, tx.cases, loaded, now, misses_for_referral, decisions, case_days
            )
            alerts += _post_recall(tx.recalls, loaded, now, decisions)
            tx.outbox.add([alert_record(alert, topics) for alert in alerts])
    return decisions


def _missed_reports(
    recalls: RecallRepository,
    cases: CaseRepository,
    loaded: LoadedRecall,
    now: datetime,
    misses_for_referral: int,
    decisions: Decisions,
    case_days: int,
) -> list[Alert]:
    tracker = figures.deadline_tracker(loaded, now, misses_for_referral=misses_for_referral)
    alerts = [overdue_alert(loaded, notice, now) for notice in tracker.overdue_notices(now)]
    for referral in tracker.referrals(now):
        alert = referral_alert(loaded, referral, now)
        open_case(cases, loaded, referral, alert_id=alert.alert_id, now=now, case_days=case_days)
        alerts.append(alert)
    if tracker.sent_keys != loaded.sent_keys:
        recalls.mark_sent(loaded.recall_id, tracker.sent_keys)
    decisions.alerts += [alert.kind for alert in alerts]
    return alerts


def _post_recall(
    recalls: RecallRepository, loaded: LoadedRecall, now: datetime, decisions: Decisions
) -> list[Alert]:
    """Injuries arrive between progress reports: judge them on the timer too."""
    noted = recalls.incidents(loaded.recall_id)
    after = sum(1 for n in noted if n.after_start)
    if not after:
        return []
    finding = figures.ineffective(loaded, noted, now)
    if finding is None:
        return []
    decisions.alerts.append(AlertKind.RECALL_INEFFECTIVE)
    return [ineffective_alert(loaded, finding, after, now)]
