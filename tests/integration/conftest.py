from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recall.config import Settings
from tests.support.pipeline import Pipeline


@pytest.fixture
def pipeline(broker_settings: Settings, database_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline.create(broker_settings, database_url, tmp_path)
    yield p
    p.close()
