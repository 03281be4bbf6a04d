"""What the closure report (召回结案报告) shows: gathered by the service, rendered by an adapter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from recall.domain.recalls import (
    Evaluation,
    ExpectationStatus,
    FdaCheck,
    Forecast,
    OverdueNotice,
    PostRecallSummary,
    ProgressReport,
    RecallIneffective,
    RecallSpec,
    RecallTransition,
    Referral,
    ResidualRisk,
)


@dataclass(frozen=True, slots=True)
class ClosureReportData:
    """Everything the closure report shows; optional parts print as 'none recorded'."""

    spec: RecallSpec
    history: Sequence[RecallTransition]
    reports: Sequence[ProgressReport]
    generated_at: dt.datetime
    evaluation: Evaluation | None = None
    forecast: Forecast | None = None
    fda: FdaCheck | None = None
    deadlines: Sequence[ExpectationStatus] = ()
    notices: Sequence[OverdueNotice] = ()
    referrals: Sequence[Referral] = ()
    post_recall: PostRecallSummary | None = None
    ineffective: RecallIneffective | None = None
    residual: ResidualRisk | None = None
