"""`check_subject`: a single sign-on subject names an account; the account alone gives the scope."""

from __future__ import annotations

from recall.domain.access import Principal, Role
from recall.service.accounts.commands import (
    AuthFailure,
    NewAccount,
    add_account,
    check_subject,
    disable_account,
)

from .builders import at, storage

BY = "cli:li"


def test_the_one_enabled_account_of_that_name_is_the_principal() -> None:
    store = storage()
    added = add_account(
        store, NewAccount("li.wei", Role.REGULATOR, region="140100"), by=BY, at=at(0)
    )
    add_account(store, NewAccount("Li.Wei", Role.REGULATOR, region="110000"), by=BY, at=at(1))

    result = check_subject(store, "li.wei")

    assert result.principal == Principal(added.account.account_id, Role.REGULATOR, "140100")
    assert result.failure is None


def test_no_account_of_that_name_is_an_unknown_subject() -> None:
    store = storage()
    add_account(store, NewAccount("li.wei", Role.REGULATOR, region="140100"), by=BY, at=at(0))
    result = check_subject(store, "li.we")
    assert (result.principal, result.failure) == (None, AuthFailure.UNKNOWN_SUBJECT)


def test_only_disabled_accounts_of_that_name_mean_disabled_and_a_successor_wins() -> None:
    store = storage()
    old = add_account(store, NewAccount("li.wei", Role.PUBLIC), by=BY, at=at(0)).account
    disable_account(store, old.account_id, by=BY, at=at(1))
    assert check_subject(store, "li.wei").failure is AuthFailure.DISABLED

    new = add_account(store, NewAccount("li.wei", Role.PUBLIC), by=BY, at=at(2)).account
    assert check_subject(store, "li.wei").principal == Principal(new.account_id, Role.PUBLIC)


def test_two_enabled_accounts_of_one_name_are_ambiguous() -> None:
    store = storage()
    for minute, region in enumerate(("140100", "140200")):
        new = NewAccount("li.wei", Role.REGULATOR, region=region)
        add_account(store, new, by=BY, at=at(minute))
    result = check_subject(store, "li.wei")
    assert (result.principal, result.failure) == (None, AuthFailure.AMBIGUOUS_SUBJECT)
