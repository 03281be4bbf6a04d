"""One example of the scope property, on any database: seed a random world, walk every
endpoint as each random principal, and add the checks made to a running tally that the test
session prints at its end (`report_checks`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.api.app import create_api
from recall.config import load_settings
from recall.domain.access import Principal, Role
from tests.unit.api.scope_walk import Walker, fake_publishers
from tests.unit.api.scope_world import WorldSpec, read_world, seed_world

OUTSIDER = Principal("acc-outsider", Role.PUBLIC)
"""Walked in every example besides the random principals: it sees none of the seeded objects,
so every example checks 404-without-change for every detail and action."""


def run_example(
    db: sessionmaker[Session],
    url: str,
    state_dir: Path,
    spec: WorldSpec,
    who: list[Principal],
    region_filter: str,
    tally: Counter[str],
) -> None:
    seed_world(db, spec)
    app = create_api(load_settings(database_url=url, state_dir=state_dir), sessions=db)
    published = fake_publishers(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        walker = Walker(app, client, db, lambda: read_world(db), published)
        for principal in [*who, OUTSIDER]:
            walker.walk(principal, region_filter)
    tally.update(walker.tally)
    tally["examples"] += 1
    tally["principals"] += len(who) + 1


NOT_CHECKS = ("examples", "principals", "list item not matched to a stored object")


class CheckReport:
    """A pytest plugin, registered by a test, that prints the checks in the terminal summary."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.tally: Counter[str] = Counter()

    def lines(self) -> list[str]:
        checks = sum(n for k, n in self.tally.items() if k not in NOT_CHECKS and "skipped" not in k)
        head = (
            f"{self.title}: {checks} checks over {self.tally['examples']} random worlds, "
            f"{self.tally['principals']} principals (random, and an outsider)"
        )
        return [head, *(f"  {n:6d}  {k}" for k, n in sorted(self.tally.items()))]

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.tally:
            terminalreporter.write_sep("-", self.title)
            for line in self.lines():
                terminalreporter.write_line(line)


def report_checks(config: pytest.Config, title: str) -> CheckReport:
    """The session's report named `title` (registered once, printed at the end)."""
    found = config.pluginmanager.get_plugin(title)
    if isinstance(found, CheckReport):
        return found
    report = CheckReport(title)
    config.pluginmanager.register(report, title)
    return report
