"""Typing seams for Faust, whose stubs lag its runtime.

`StreamT` does not declare `take_events` (Faust ≥ 0.10 has it), and `App.timer` is untyped.
Declaring the gap once here keeps `mypy --strict` meaningful everywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import faust

Stream: TypeAlias = Any  # faust.Stream at run time; its stub lacks take_events
TimerFn = Callable[[], Awaitable[None]]


def timer(
    app: faust.App, seconds: float, *, on_leader: bool = False
) -> Callable[[TimerFn], TimerFn]:
    """`app.timer` with a type: registers `fn` to run every `seconds`."""

    def register(fn: TimerFn) -> TimerFn:
        app.timer(seconds, on_leader=on_leader)(fn)
        return fn

    return register
