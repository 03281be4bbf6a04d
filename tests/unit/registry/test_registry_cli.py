"""`recall registry change` refuses a bad change before publishing; `recall registry changes`
lists the audit trail (SQLite, real migrations; no broker needed for either)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry
from recall.tools.registry.sample import SampleSizes, generate


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)
    sizes = SampleSizes(manufacturers=2, products_per_manufacturer=1, standards=2, labs=1)
    load_registry(make_session_factory(make_engine(url)), generate(3, sizes), by="科员甲")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "240")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing listens: never reached
    from recall.cli.main import app

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["registry", *args])

    return invoke


def test_a_change_needs_exactly_one_of_entry_or_retire(cli: Any) -> None:
    result = cli("change", "standards", "GB 4706.1-2005", "--reason", "r")
    assert result.exit_code == 1
    assert "exactly one of --entry" in result.output


def test_a_section_that_cannot_retire_is_refused_before_publishing(cli: Any) -> None:
    result = cli("change", "manufacturers", "X", "--retire", "--reason", "r")
    assert result.exit_code == 1
    assert "cannot be retired" in result.output


def test_an_entry_whose_key_differs_is_refused(cli: Any) -> None:
    entry = '{"code": "GB 1-2020", "title": "t", "category": "children"}'
    result = cli("change", "standards", "GB 2-2020", "--entry", entry, "--reason", "r")
    assert result.exit_code == 1
    assert "natural key" in result.output


def test_changes_lists_the_audit_trail_of_a_load(cli: Any) -> None:
    result = cli("changes", "--section", "standards", "--key", "GB 4706.1-2005")
    assert result.exit_code == 0, result.output
    assert "GB 4706.1-2005" in result.output and "科员甲" in result.output
    assert "new entry" in result.output
