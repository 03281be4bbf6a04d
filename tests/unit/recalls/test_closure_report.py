"""The closure report renders the SVG curve and the key figures, bilingual, escaped."""

from __future__ import annotations

import re

from recall.adapters.reports import ClosureReportData, correction_chart_svg, render_closure_report
from recall.domain.recalls import (
    DeadlineTracker,
    Recall,
    SupplyLevel,
    Verdict,
    evaluate_recall,
    forecast_final_rate,
    reporting_schedule,
    residual_risk,
    summarise_incidents,
)
from recall.domain.recalls.effectiveness import correction_curve

from .builders import START, consumer, day, make_report, make_spec
from .test_recall_post_recall import _inc


def _data() -> ClosureReportData:
    spec = make_spec(title="Stroller <folding> hinge")
    reports = [
        make_report(
            k,
            {
                SupplyLevel.RETAILER: consumer(min(200, 80 * k), notified=200),
                SupplyLevel.CONSUMER: consumer(100 * k, notified=700, lost=10),
            },
        )
        for k in range(1, 7)
    ]
    recall = Recall.voluntary(spec, who="firm", when=day(0), why="hinge pinches fingers")
    recall.start(who="firm", when=day(1), why="letters sent")
    recall.complete(who="inspector.li", when=day(190), why="done")
    evaluation = evaluate_recall(spec, reports[-1])
    recall.evaluate(evaluation.verdict, who="inspector.li", when=day(200), why="rate met")
    tracker = DeadlineTracker(reporting_schedule("R-1", START, 30, 6, grace_days=15))
    for r in reports:
        tracker.receive(r.sequence, r.submitted_at)
    curve = correction_curve(spec, reports)
    forecast = forecast_final_rate([(p.day, p.rate) for p in curve[:3]])
    return ClosureReportData(
        spec=spec,
        history=recall.history,
        reports=reports,
        generated_at=day(210),
        evaluation=evaluation,
        forecast=forecast,
        deadlines=tracker.status(day(210)),
        referrals=tracker.referrals(day(210)),
        post_recall=summarise_incidents(spec, [_inc(1, -20), _inc(2, 10)], now=day(210)),
        residual=residual_risk(190, 2, 500.0),
    )


def test_report_has_svg_curve_and_key_figures() -> None:
    data = _data()
    html = render_closure_report(data)
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 1
    assert 'class="observed"' in html
    assert 'class="forecast"' in html
    for heading in ("召回结案报告", "Recall closure report", "时间线", "Timeline", "效果评估"):
        assert heading in html
    assert "R-1" in html
    assert "91140100MA0XXXXXX1/Brand/Model-1" in html
    assert "主动召回" in html
    assert "消费者 Consumer" in html
    assert "合计 Overall" in html
    assert "80.0%" in html  # overall raw: (200 + 600) / 1000
    assert "80.8%" in html  # overall adjusted: 800 / (1000 - 10)
    assert re.search(r"FDA .*<strong>B</strong>", html)  # high risk, direct notice
    assert data.evaluation is not None
    assert data.evaluation.verdict is Verdict.EFFECTIVE
    assert "有效 / effective" in html
    assert "inspector.li" in html
    assert "on_time" in html
    assert "移送 Referrals: 无 none" in html


def test_user_text_is_escaped() -> None:
    html = render_closure_report(_data())
    assert "Stroller &lt;folding&gt; hinge" in html
    assert "<folding>" not in html


def test_chart_without_data_still_renders() -> None:
    svg = correction_chart_svg([], None, 0.7)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert 'class="target"' in svg
