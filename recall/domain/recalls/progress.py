"""Progress reports and the rules a report must satisfy before it is believed.

A firm reports *cumulative* counts per level each period. `validate_progress` returns every
violation it finds (field, code, English and Chinese message) and never corrects anything: a
decreasing count or a corrected count above the affected units is the firm's error to explain,
and a silent fix would hide exactly the behaviour a regulator must see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from recall.domain.recalls.model import LEVEL_ZH, REMEDY_ZH, RecallSpec, Remedy, SupplyLevel


@dataclass(frozen=True, slots=True)
class LevelProgress:
    """Cumulative counts for one level. `unreachable` maps a reason code to units."""

    located: int = 0
    notified: int = 0
    corrected: Mapping[Remedy, int] = field(default_factory=dict)
    unreachable: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Defensive copies: the caller's dicts cannot change a report after validation.
        object.__setattr__(self, "corrected", dict(self.corrected))
        object.__setattr__(self, "unreachable", dict(self.unreachable))

    @property
    def corrected_total(self) -> int:
        return sum(self.corrected.values())

    @property
    def unreachable_total(self) -> int:
        return sum(self.unreachable.values())

    def counts(self) -> Iterator[tuple[str, int]]:
        """Every count with its dotted field name, the unit the rules work on."""
        yield "located", self.located
        yield "notified", self.notified
        for remedy, units in self.corrected.items():
            yield f"corrected.{remedy}", units
        for reason, units in self.unreachable.items():
            yield f"unreachable.{reason}", units


EMPTY_LEVEL = LevelProgress()


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """One periodic report from the firm; `sequence` numbers reports from 1."""

    recall_id: str
    sequence: int
    period_start: dt.datetime
    period_end: dt.datetime
    submitted_at: dt.datetime
    levels: Mapping[SupplyLevel, LevelProgress]

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", dict(self.levels))

    def level(self, level: SupplyLevel) -> LevelProgress:
        return self.levels.get(level, EMPTY_LEVEL)

    @property
    def corrected_total(self) -> int:
        return sum(p.corrected_total for p in self.levels.values())

    @property
    def unreachable_total(self) -> int:
        return sum(p.unreachable_total for p in self.levels.values())

    @property
    def notified_total(self) -> int:
        return sum(p.notified for p in self.levels.values())

    @property
    def located_total(self) -> int:
        return sum(p.located for p in self.levels.values())


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: `field` is dotted (levels.consumer.corrected.repair), `code` is stable."""

    field: str
    code: str
    message: str
    message_zh: str


def validate_progress(
    report: ProgressReport,
    *,
    recalls: Mapping[str, RecallSpec],
    previous: ProgressReport | None = None,
) -> list[Violation]:
    """Check `report` against its recall and the previously accepted report; [] means valid."""
    spec = recalls.get(report.recall_id)
    if spec is None:
        return [
            Violation(
                "recall_id",
                "unknown_recall",
                f"report for unknown recall {report.recall_id!r}",
                f"召回编号 {report.recall_id!r} 不存在",
            )
        ]
    found = _check_times(report, spec, previous)
    found += _check_sequence(report, previous)
    for level in SupplyLevel:
        found += _check_level(level, report.level(level), spec, previous)
    return found


def _aware(value: dt.datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _check_times(
    report: ProgressReport, spec: RecallSpec, previous: ProgressReport | None
) -> list[Violation]:
    stamps = {
        "period_start": report.period_start,
        "period_end": report.period_end,
        "submitted_at": report.submitted_at,
    }
    naive = [name for name, value in stamps.items() if not _aware(value)]
    if naive:
        return [
            Violation(n, "naive_datetime", f"{n} has no time zone", f"{n} 缺少时区") for n in naive
        ]
    rules = [
        (
            report.period_end <= report.period_start,
            "period_end",
            "empty_period",
            "period_end must be after period_start",
            "报告期结束时间须晚于开始时间",
        ),
        (
            report.period_start < spec.start,
            "period_start",
            "before_recall_start",
            "period starts before the recall started",
            "报告期早于召回开始时间",
        ),
        (
            report.submitted_at < report.period_end,
            "submitted_at",
            "submitted_before_period_end",
            "report submitted before its period ended",
            "报告提交时间早于报告期结束",
        ),
    ]
    found = [Violation(f, code, en, zh) for broken, f, code, en, zh in rules if broken]
    if (
        previous is not None
        and _aware(previous.period_end)
        and report.period_start < previous.period_end
    ):
        found.append(
            Violation(
                "period_start",
                "overlaps_previous",
                f"period starts {report.period_start.isoformat()}, before the previous period "
                f"ended {previous.period_end.isoformat()}",
                "本期报告期与上一期重叠或早于上一期",
            )
        )
    return found


def _check_sequence(report: ProgressReport, previous: ProgressReport | None) -> list[Violation]:
    if previous is not None and previous.recall_id != report.recall_id:
        return [
            Violation(
                "recall_id",
                "previous_other_recall",
                f"previous report belongs to recall {previous.recall_id!r}",
                "上一期报告属于其他召回",
            )
        ]
    floor = 1 if previous is None else previous.sequence + 1
    if report.sequence < floor:
        return [
            Violation(
                "sequence",
                "sequence_not_increasing",
                f"sequence {report.sequence} must be at least {floor}",
                f"报告序号 {report.sequence} 应不小于 {floor}",
            )
        ]
    return []


def _check_level(
    level: SupplyLevel, now: LevelProgress, spec: RecallSpec, previous: ProgressReport | None
) -> list[Violation]:
    prefix = f"levels.{level}"
    zh = LEVEL_ZH[level]
    found: list[Violation] = []
    for name, units in now.counts():
        if units < 0:
            found.append(
                Violation(
                    f"{prefix}.{name}",
                    "negative_count",
                    f"{level} {name} is negative ({units})",
                    f"{zh} {name} 为负数",
                )
            )
    for remedy, units in now.corrected.items():
        if units > 0 and remedy not in spec.remedies:
            found.append(
                Violation(
                    f"{prefix}.corrected.{remedy}",
                    "remedy_not_offered",
                    f"{units} units corrected by {remedy}, which this recall does not offer",
                    f"{zh} 以未公布的措施“{REMEDY_ZH.get(remedy, str(remedy))}”纠正 {units} 件",
                )
            )
    if previous is not None:
        found += _check_monotone(prefix, zh, now, previous.level(level))
    found += _check_bounds(prefix, zh, now, spec.affected_at(level))
    return found


def _check_monotone(
    prefix: str, zh: str, now: LevelProgress, before: LevelProgress
) -> list[Violation]:
    current = dict(now.counts())
    found: list[Violation] = []
    for name, old in before.counts():
        new = current.get(name, 0)
        if new < old:
            found.append(
                Violation(
                    f"{prefix}.{name}",
                    "count_decreased",
                    f"{prefix}.{name} went down from {old} to {new}; "
                    "cumulative counts never decrease",
                    f"{zh} {name} 累计数由 {old} 降至 {new}，累计数不得减少",
                )
            )
    return found


def _check_bounds(prefix: str, zh: str, now: LevelProgress, affected: int) -> list[Violation]:
    found: list[Violation] = []
    settled = now.corrected_total + now.unreachable_total
    if settled > affected:
        found.append(
            Violation(
                f"{prefix}.corrected",
                "exceeds_affected",
                f"corrected ({now.corrected_total}) + unreachable ({now.unreachable_total}) = "
                f"{settled} exceeds the {affected} affected units",
                f"{zh} 已纠正数与无法联系数之和 {settled} 超过涉及数量 {affected}",
            )
        )
    for name, units in (("located", now.located), ("notified", now.notified)):
        if units > affected:
            found.append(
                Violation(
                    f"{prefix}.{name}",
                    "exceeds_affected",
                    f"{name} ({units}) exceeds the {affected} affected units",
                    f"{zh} {name} 数 {units} 超过涉及数量 {affected}",
                )
            )
    return found
