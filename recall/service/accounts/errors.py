"""Why an account operation is refused; each message says what to do instead."""

from __future__ import annotations


class AccountError(Exception):
    """An account operation that cannot be done; the message says what to do instead."""


class InvalidAccountError(AccountError):
    pass


class UnknownAccountError(AccountError):
    pass


class AccountDisabledError(AccountError):
    pass
