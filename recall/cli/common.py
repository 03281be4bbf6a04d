"""Shared CLI helpers: settings, console, database sessions, error exits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from recall.config import Settings, load_settings

if TYPE_CHECKING:
    from recall.service.ports import OutputTopics, Storage

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as error:
        fail(f"configuration error: {error}")


def operator(by: str | None) -> str:
    """Who runs a server-side command, for the record: `--by`, else `cli:<login name>`."""
    if by:
        return by
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli:unknown"


def fail(message: str, hint: str | None = None) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    if hint:
        err_console.print(f"[yellow]next:[/] {hint}")
    raise typer.Exit(code=1)


def sessions(cfg: Settings, *, migrate: bool = True) -> sessionmaker[Session]:
    from recall.adapters.db.engine import make_engine, make_session_factory
    from recall.adapters.db.migrate import upgrade

    if migrate:
        upgrade(cfg.sqlalchemy_url)
    return make_session_factory(make_engine(cfg.sqlalchemy_url))


def open_storage() -> Storage:
    """Units of work over the configured database (migrated first)."""
    from recall.adapters.db.storage import SqlStorage

    return SqlStorage(sessions(settings()))


def output_topics() -> OutputTopics:
    """The outbox topics as this installation names them (`RECALL_TOPIC_PREFIX`)."""
    from recall.service.ports import OutputTopics

    return OutputTopics.resolved(settings().topic_name)


def utc_minutes(moment: datetime | None, missing: str = "") -> str:
    """A stored time as `YYYY-MM-DD HH:MM UTC` (SQLite hands back naive datetimes; every
    stored time is UTC); `missing` when there is none."""
    if moment is None:
        return missing
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def check_scope(scope: str | None) -> None:
    """Refuse a `--scope` that is not a GB/T 2260 jurisdiction code, with an example."""
    from rich.markup import escape

    from recall.domain.jurisdiction import JurisdictionError, validate

    if scope is None:
        return
    try:
        validate(scope)
    except JurisdictionError as error:
        fail(escape(str(error)), "e.g. --scope 140000 (province), 140100 (city)")
