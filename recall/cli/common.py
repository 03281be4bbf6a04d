"""Shared CLI helpers: settings, console, database sessions, error exits."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from recall.config import Settings, load_settings

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
