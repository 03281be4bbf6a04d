"""Exceptions of the recall-implementation and effectiveness domain.

The tree, so callers can catch at the right depth::

    DomainError                      (recall.domain.errors)
    └── RecallError                    anything this package refuses
        ├── InvalidRecallError         a value breaks a rule (naive datetime, negative count)
        ├── IllegalRecallTransition    a lifecycle move not allowed from the current state
        └── ForecastError              a curve cannot be forecast (no points, bad points)
            └── InsufficientHistoryError  too few finished recalls to learn a prior from

Progress-report checks do *not* raise: they return a list of violations, because a report
with three problems should be sent back to the firm with all three at once.
"""

from recall.domain.errors import DomainError


class RecallError(DomainError):
    """A recall rule refused an operation."""


class InvalidRecallError(RecallError):
    """A recall value or argument breaks a rule; the message names the field."""


class IllegalRecallTransition(RecallError):  # noqa: N818  # name fixed by issue 4
    """The recall cannot move to the requested state from the state it is in."""


class ForecastError(RecallError):
    """The correction curve cannot be forecast from the points given."""


class InsufficientHistoryError(ForecastError):
    """Too few finished recalls to learn an empirical-Bayes prior."""
