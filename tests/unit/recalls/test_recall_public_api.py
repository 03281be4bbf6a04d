"""Pin the package's exported names so a rename is a conscious API change."""

from recall.domain import recalls


def test_exports_are_sorted_and_present() -> None:
    assert recalls.__all__ == sorted(recalls.__all__, key=lambda n: (not n.isupper(), n))
    for name in (
        "Recall",
        "validate_progress",
        "forecast_final_rate",
        "learn_prior",
        "DeadlineTracker",
        "evaluate_recall",
        "IllegalRecallTransition",
    ):
        assert name in recalls.__all__
    assert all(hasattr(recalls, name) for name in recalls.__all__)
