"""Every legal and illegal lifecycle move, ordered-recall creation and the audit trail."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from recall.domain.errors import DomainError
from recall.domain.recalls import (
    ALLOWED_MOVES,
    IllegalRecallTransition,
    InvalidRecallError,
    Recall,
    RecallKind,
    RecallState,
    SupplyLevel,
    Verdict,
)

from .builders import day, make_spec

S = RecallState
WHO = "inspector.li"


def _new() -> Recall:
    return Recall.voluntary(make_spec(), who="firm", when=day(0), why="defect found in tests")


def _drive(recall: Recall, target: RecallState, at: float) -> None:
    """Make the one move to `target` with the method meant for it."""
    when, why = day(at), f"to {target}"
    if target is S.IN_PROGRESS:
        move = recall.start if recall.state is S.ANNOUNCED else recall.resume
        move(who=WHO, when=when, why=why)
    elif target is S.LAGGING:
        recall.mark_lagging(who=WHO, when=when, why=why)
    elif target is S.COMPLETED:
        recall.complete(who=WHO, when=when, why=why)
    elif target is S.EVALUATED:
        recall.evaluate(Verdict.EFFECTIVE, who=WHO, when=when, why=why)
    else:
        recall.close(who=WHO, when=when, why=why)


PATHS = {  # shortest legal path from announced to each state
    S.ANNOUNCED: [],
    S.IN_PROGRESS: [S.IN_PROGRESS],
    S.LAGGING: [S.IN_PROGRESS, S.LAGGING],
    S.COMPLETED: [S.IN_PROGRESS, S.COMPLETED],
    S.EVALUATED: [S.IN_PROGRESS, S.COMPLETED, S.EVALUATED],
    S.CLOSED: [S.IN_PROGRESS, S.COMPLETED, S.EVALUATED, S.CLOSED],
}


def _at(state: RecallState) -> Recall:
    recall = _new()
    for i, step in enumerate(PATHS[state], start=1):
        _drive(recall, step, i)
    assert recall.state is state
    return recall


def test_full_happy_path_records_every_step() -> None:
    recall = _new()
    recall.start(who=WHO, when=day(1), why="notices sent")
    recall.mark_lagging(who=WHO, when=day(60), why="forecast below target")
    recall.resume(who=WHO, when=day(90), why="second notice wave")
    recall.complete(who=WHO, when=day(300), why="firm declares completion")
    recall.evaluate(Verdict.EFFECTIVE, who=WHO, when=day(320), why="72% corrected")
    recall.close(who=WHO, when=day(330), why="closure report filed")
    assert recall.state is S.CLOSED
    assert recall.allowed_moves() == frozenset()
    assert recall.verdict is Verdict.EFFECTIVE
    steps = [(t.from_state, t.to_state) for t in recall.history]
    assert steps == [
        (None, S.ANNOUNCED),
        (S.ANNOUNCED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.LAGGING),
        (S.LAGGING, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.COMPLETED),
        (S.COMPLETED, S.EVALUATED),
        (S.EVALUATED, S.CLOSED),
    ]
    assert recall.history[2].who == WHO
    assert recall.history[2].why == "forecast below target"
    assert recall.history[5].why.startswith("effective:")


def test_lagging_recall_can_complete() -> None:
    recall = _at(S.LAGGING)
    t = recall.complete(who=WHO, when=day(10), why="firm stops")
    assert (t.from_state, t.to_state) == (S.LAGGING, S.COMPLETED)


@pytest.mark.parametrize(
    ("source", "target"),
    # announced is only ever a creation state: no method can move back to it
    [
        (a, b)
        for a, b in itertools.product(S, S)
        if b not in ALLOWED_MOVES[a] and b is not S.ANNOUNCED
    ],
)
def test_every_illegal_move_is_refused_with_state_and_allowed_moves(
    source: RecallState, target: RecallState
) -> None:
    recall = _at(source)
    with pytest.raises(IllegalRecallTransition) as info:
        _drive(recall, target, 50)
    message = str(info.value)
    assert f"is {source}" in message
    assert f"to {target}" in message
    assert "Allowed moves" in message
    assert recall.state is source  # nothing changed
    assert isinstance(info.value, DomainError)


def test_start_cannot_be_used_to_resume_and_resume_cannot_start() -> None:
    lagging = _at(S.LAGGING)
    with pytest.raises(IllegalRecallTransition):
        lagging.start(who=WHO, when=day(9), why="x")
    announced = _at(S.ANNOUNCED)
    with pytest.raises(IllegalRecallTransition):
        announced.resume(who=WHO, when=day(9), why="x")


def test_closed_message_says_terminal() -> None:
    with pytest.raises(IllegalRecallTransition, match="terminal"):
        _at(S.CLOSED).complete(who=WHO, when=day(99), why="x")


def test_transition_needs_aware_time_who_why_and_no_time_travel() -> None:
    recall = _new()
    with pytest.raises(InvalidRecallError, match="timezone-aware"):
        recall.start(who=WHO, when=dt.datetime(2024, 1, 2), why="x")
    with pytest.raises(InvalidRecallError, match="who"):
        recall.start(who=" ", when=day(1), why="x")
    with pytest.raises(InvalidRecallError, match="why"):
        recall.start(who=WHO, when=day(1), why="")
    with pytest.raises(InvalidRecallError, match="earlier"):
        recall.start(who=WHO, when=day(-1), why="x")
    assert recall.state is S.ANNOUNCED
    assert len(recall.history) == 1


def test_ordered_recall_only_from_recall_requested() -> None:
    spec = make_spec(kind=RecallKind.ORDERED, investigation_id="INV-7")
    recall = Recall.ordered(
        spec,
        investigation_id="INV-7",
        investigation_state="recall_requested",
        who="director.wang",
        when=day(0),
        why="defect confirmed",
    )
    assert recall.state is S.ANNOUNCED
    assert recall.history[0].who == "director.wang"
    for state in ("opened", "assigned", "concluded", "defect_confirmed", ""):
        with pytest.raises(IllegalRecallTransition, match="recall_requested"):
            Recall.ordered(
                spec,
                investigation_id="INV-7",
                investigation_state=state,
                who="d",
                when=day(0),
                why="x",
            )


def test_ordered_recall_refuses_mismatched_investigation_or_kind() -> None:
    spec = make_spec(kind=RecallKind.ORDERED, investigation_id="INV-7")
    with pytest.raises(InvalidRecallError, match="INV-8"):
        Recall.ordered(
            spec,
            investigation_id="INV-8",
            investigation_state="recall_requested",
            who="d",
            when=day(0),
            why="x",
        )
    with pytest.raises(InvalidRecallError, match="not ordered"):
        Recall.ordered(
            make_spec(),
            investigation_id="INV-7",
            investigation_state="recall_requested",
            who="d",
            when=day(0),
            why="x",
        )
    with pytest.raises(InvalidRecallError, match="not voluntary"):
        Recall.voluntary(spec, who="d", when=day(0), why="x")


def test_spec_rules() -> None:
    with pytest.raises(InvalidRecallError, match="investigation_id"):
        make_spec(kind=RecallKind.ORDERED)
    with pytest.raises(InvalidRecallError, match="category"):
        make_spec(category="toys")
    with pytest.raises(InvalidRecallError, match="no affected"):
        make_spec(affected={})
    with pytest.raises(InvalidRecallError, match="negative"):
        make_spec(affected={SupplyLevel.CONSUMER: -1, SupplyLevel.RETAILER: 5})
    with pytest.raises(InvalidRecallError, match="target_rate"):
        make_spec(target_rate=1.5)
    with pytest.raises(InvalidRecallError, match="target_date"):
        make_spec(target_date=day(-1))
    with pytest.raises(InvalidRecallError, match="timezone"):
        make_spec(start=dt.datetime(2024, 1, 1), target_date=day(5))
