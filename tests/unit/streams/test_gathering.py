"""The off-path stages' gather window (`streams.gathering`)."""

from __future__ import annotations

from pathlib import Path

from recall.config import Settings
from streams.gathering import background_window


def test_the_configured_gather_is_the_window(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, background_gather_s=1.5)
    assert background_window(settings, 0.05) == 1.5


def test_a_window_never_goes_below_the_stages_floor(tmp_path: Path) -> None:
    """0 answers the projectors' fetches at once; for Faust's `within` it would mean "wait for a
    full batch", so the agents keep their own floor."""
    settings = Settings(state_dir=tmp_path, background_gather_s=0)
    assert background_window(settings, 0.2) == 0.2


def test_the_default_gathers_for_a_second(tmp_path: Path) -> None:
    assert Settings(state_dir=tmp_path).background_gather_s == 1.0
