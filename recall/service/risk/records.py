"""The records a risk assessment announces, built from its drafts: `SignalRaised` and
`RiskScoreUpdated`.

One builder for the live agent (`streams.agents.risk`, which produces them) and the replay
(`recall.service.risk.replay`, which reports and stores them without producing): a replayed
signal or score is byte-for-byte the record the live agent would have produced at that time.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from recall.service.risk.assessment import ScoreDraft, SignalDraft
from schemas.risk import RiskScoreUpdated, ScoreContribution, SignalRaised


def signal_raised(signal: SignalDraft, now: datetime) -> SignalRaised:
    """The `risk.signals` record of a decided signal, raised at `now`."""
    sent = signal.trigger_sent_ts
    return SignalRaised(
        signal_id=signal.signal_id,
        product_key=signal.product_key,
        hazard=signal.hazard,
        category=signal.category,
        jurisdiction=signal.jurisdiction,
        method=signal.method,
        risk_level=signal.risk_level,
        day=signal.day,
        observed=signal.observed,
        expected=signal.expected,
        threshold=finite(signal.threshold),
        statistic=finite(signal.statistic),
        window=signal.window,
        explanation=signal.explanation,
        trigger_event_id=signal.trigger_event_id,
        raised_at=now,
        trigger_sent_at=datetime.fromtimestamp(sent, UTC) if sent else None,
    )


def score_updated(score: ScoreDraft, now: datetime) -> RiskScoreUpdated:
    """The `risk.scores` record of a score worth announcing, as of `now`."""
    return RiskScoreUpdated(
        product_key=score.product_key,
        score=score.score,
        risk_level=score.risk_level,
        explanation=score.explanation,
        updated_at=now,
        contributions=tuple(
            ScoreContribution(
                key=c.key,
                label=c.label,
                points=c.points,
                max_points=c.max_points,
                detail=c.detail,
            )
            for c in score.contributions
        ),
    )


def finite(value: float) -> float:
    """An infinite threshold or statistic (a baseline of zeros) as 1e9: JSON has no infinity."""
    return value if math.isfinite(value) else 1e9
