"""Typing seams for Faust, whose stubs lag its runtime.

`StreamT` does not declare `take_events` (Faust ≥ 0.10 has it). Declaring the gap once here
keeps `mypy --strict` meaningful everywhere else. Timers are registered through
`streams.supervision.supervised_timer` only: a bare `app.timer` crashes its actor on the first
exception and leaves the worker half-dead (DESIGN.md §7).
"""

from __future__ import annotations

from typing import Any, TypeAlias

Stream: TypeAlias = Any  # faust.Stream at run time; its stub lacks take_events
