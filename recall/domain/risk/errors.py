"""Exception tree of the risk-assessment domain.

    DomainError
    └── RiskError
        ├── UnknownCodeError        a code string outside the shared vocabularies
        ├── InvalidInputError       a number outside its meaningful range
        ├── UnknownMethodError      a detector name not in the registry
        └── OutOfOrderPeriodError   a live detector fed an earlier or repeated period

Adapters catch `RiskError` (or `DomainError`) to turn a refused input into a clear message.
"""

from recall.domain.errors import DomainError


class RiskError(DomainError):
    """A risk-assessment rule refused its input."""


class UnknownCodeError(RiskError):
    """A code string is not one of the shared values (see `codes.py`)."""


class InvalidInputError(RiskError):
    """A count, probability or parameter is outside the range where the maths holds."""


class UnknownMethodError(RiskError):
    """No detector is registered under this name."""


class OutOfOrderPeriodError(RiskError):
    """A live detector received a period at or before the last one it has seen."""
