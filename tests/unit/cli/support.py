"""Shared by the CLI tests: the type of the `recall_cli` fixture."""

from __future__ import annotations

from collections.abc import Callable

from typer.testing import Result

Invoke = Callable[..., Result]
