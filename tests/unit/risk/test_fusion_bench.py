"""The fused-score benchmark at toy size: structure and figures computed (no timing)."""

from recall.tools.bench.fusion import (
    CURVE_DAYS,
    FOUND_SOON_DAYS,
    FOUND_WITHIN_DAYS,
    METHODS,
    delay_curve,
    head_to_head,
    run_fusion_benchmark,
    spread,
)


def test_a_tiny_run_replays_through_assess_and_scores_every_method() -> None:
    seen: list[int] = []
    result = run_fusion_benchmark(
        products=40, days=90, seed=7, defect_share=0.4, progress=seen.append
    )
    assert seen[-1] == 90
    assert result.events > 0 and result.defects > 0
    assert [m.method for m in result.methods] == list(METHODS)
    fused = result.methods[0]
    assert result.k == result.defects and fused.opened == result.k, "exactly K opened"
    for m in result.methods:
        assert 0 <= m.found_soon <= m.found_early <= m.found <= m.opened <= result.defects
        assert (m.median_delay is None) == (m.found == 0)
    assert fused.found > 0


def test_the_spread_lists_every_run_per_method() -> None:
    runs = [run_fusion_benchmark(products=30, days=90, seed=s, defect_share=0.4) for s in (1, 2)]
    rows = spread(runs)
    assert [r.method for r in rows] == list(METHODS)
    assert all(len(r.found) == 2 and len(r.median_delay) == 2 for r in rows)


def test_the_delay_curve_and_head_to_head_agree_with_the_counts() -> None:
    result = run_fusion_benchmark(products=40, days=90, seed=7, defect_share=0.4)
    fused, sampling = result.methods[0], result.methods[METHODS.index("sampling")]
    for m in (fused, sampling):
        curve = delay_curve(m)
        assert len(curve) == len(CURVE_DAYS) + 1 and list(curve) == sorted(curve)
        assert curve[CURVE_DAYS.index(FOUND_SOON_DAYS)] == m.found_soon
        assert curve[CURVE_DAYS.index(FOUND_WITHIN_DAYS)] == m.found_early
        assert curve[-1] == m.found and len(m.opened_days) == m.opened
    both = {i for i, _ in fused.opened_days} & {i for i, _ in sampling.opened_days}
    assert sum(head_to_head(fused, sampling, result.defect_indices)) == len(
        both & result.defect_indices
    )
