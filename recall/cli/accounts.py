"""`recall accounts …`: add, list, disable and rotate the accounts of the regulator API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import console, err_console, fail, operator, sessions, settings
from recall.domain.access import Role

if TYPE_CHECKING:
    from recall.adapters.db.account_store import SqlAccountStorage
    from recall.service.accounts.commands import IssuedAccount

app = typer.Typer(
    help="Accounts of the regulator API: add (prints its bearer token once), list, disable,"
    " rotate.\n\nEach account has a role (regulator, expert, station, firm, public) and the"
    " scope that role needs; only a SHA-256 of each token is stored. Run these on the server.",
    no_args_is_help=True,
)

_BY_HELP = "Who does this, recorded in the audit log (default: cli:<your login name>)."


def _storage() -> SqlAccountStorage:
    from recall.adapters.db.account_store import SqlAccountStorage

    return SqlAccountStorage(sessions(settings()))


@app.command("add")
def accounts_add(
    name: str = typer.Argument(..., help="Who the account is for (a person, an office, a system)."),
    role: Role = typer.Option(..., "--role", help="What the account may see and do."),
    region: str | None = typer.Option(
        None, "--region", help="regulator: its GB/T 2260 area, e.g. 140000, 140100, 140105."
    ),
    station: str | None = typer.Option(
        None, "--station", help="station/firm: the registered reporter id."
    ),
    manufacturer: str | None = typer.Option(
        None, "--manufacturer", help="firm: its unified social credit code."
    ),
    expert: str | None = typer.Option(None, "--expert", help="expert: its expert registry id."),
    by: str | None = typer.Option(None, "--by", help=_BY_HELP),
) -> None:
    """Create an account and print its bearer token on stdout, once (it is never shown again)."""
    from recall.service.accounts.commands import AccountError, NewAccount, add_account

    new = NewAccount(name, role, region, station, manufacturer, expert)
    try:
        issued = add_account(_storage(), new, by=operator(by), at=datetime.now(UTC))
    except AccountError as error:
        fail(escape(str(error)), "recall accounts add --help lists the options of each role")
    _print_token(issued, "created")


@app.command("list")
def accounts_list(
    all_: bool = typer.Option(False, "--all", help="Include disabled accounts."),
) -> None:
    """Show accounts with their role, scope and state (never their tokens)."""
    from recall.service.accounts.commands import list_accounts

    views = [v for v in list_accounts(_storage()) if all_ or v.enabled]
    if not views:
        fail("no accounts" + ("" if all_ else " enabled"), "recall accounts add NAME --role ROLE …")
    table = Table("account", "name", "role", "scope", "created", "by", "rotated", "disabled")
    for v in views:
        scope = " ".join(
            f"{label}={value}"
            for label, value in (
                ("region", v.region),
                ("station", v.station_id),
                ("manufacturer", v.manufacturer_code),
                ("expert", v.expert_id),
            )
            if value
        )
        table.add_row(
            v.account_id,
            escape(v.name),
            v.role.value,
            escape(scope),
            f"{v.created_at:%Y-%m-%d %H:%M}",
            escape(v.created_by),
            f"{v.rotated_at:%Y-%m-%d %H:%M}" if v.rotated_at else "",
            f"{v.disabled_at:%Y-%m-%d %H:%M} by {escape(v.disabled_by or '')}"
            if v.disabled_at
            else "",
        )
    console.print(table)


@app.command("disable")
def accounts_disable(
    account_id: str = typer.Argument(..., help="The account to disable (see `list`)."),
    by: str | None = typer.Option(None, "--by", help=_BY_HELP),
) -> None:
    """Disable an account: its token stops working at once. This cannot be undone."""
    from recall.service.accounts.commands import AccountError, disable_account

    try:
        view = disable_account(_storage(), account_id, by=operator(by), at=datetime.now(UTC))
    except AccountError as error:
        fail(escape(str(error)), "recall accounts list --all")
    console.print(f"disabled account {view.account_id} ({escape(view.name)}, {view.role.value})")


@app.command("rotate")
def accounts_rotate(
    account_id: str = typer.Argument(..., help="The account whose token is replaced."),
    by: str | None = typer.Option(None, "--by", help=_BY_HELP),
) -> None:
    """Print a new bearer token for the account, once; the old token stops working at once."""
    from recall.service.accounts.commands import AccountError, rotate_token

    try:
        issued = rotate_token(_storage(), account_id, by=operator(by), at=datetime.now(UTC))
    except AccountError as error:
        fail(escape(str(error)), "recall accounts list --all")
    _print_token(issued, "rotated")


def _print_token(issued: IssuedAccount, state: str) -> None:
    """The token alone on stdout (so it can be piped into a secret store), notes on stderr."""
    typer.echo(issued.token)
    account = issued.account
    err_console.print(
        f"account {account.account_id} ({escape(account.name)}, {account.role.value}) {state}."
        " The line above is its bearer token: a secret, shown this once and never again."
        " Send it as `Authorization: Bearer <token>`; if it is lost, run"
        f" `recall accounts rotate {account.account_id}`."
    )
