"""`recall station key …`: issue, rotate, revoke and list station signing keys (server side)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import console, err_console, fail, operator, sessions, settings

if TYPE_CHECKING:
    from recall.config import Settings

app = typer.Typer(
    help="Station signing keys: issue, rotate, revoke one version of one station, list.\n\n"
    "A key is derived from RECALL_SIGNING_SECRET, the station id and a version, so the"
    " database holds no secret; it records which versions are active. Run these on the server.",
    no_args_is_help=True,
)

_BY_HELP = "Who does this, recorded with the key (default: cli:<your login name>)."


@app.command("issue")
def key_issue(
    station_id: str = typer.Argument(..., help="The registered station to provision."),
    by: str | None = typer.Option(None, "--by", help=_BY_HELP),
) -> None:
    """Print the station's current key as a RECALL_STATION_KEY line (issuing one if none is active).

    The line (rk1:<station>:<version>:<hex>) is a secret: install it on that station only.
    Printing it again gives the same line until the key is rotated or revoked.
    """
    from recall.adapters.db.key_store import StationKeyError, current_version, issue_key

    cfg = settings()
    factory = sessions(cfg)
    version = current_version(factory, station_id)
    fresh = version is None
    if version is None:
        try:
            version = issue_key(factory, station_id, by=operator(by))
        except StationKeyError as error:
            fail(escape(str(error)), "recall registry load FILE")
    _print_credential(cfg, station_id, version, "issued now" if fresh else "active")


@app.command("rotate")
def key_rotate(
    station_id: str = typer.Argument(..., help="The station whose key is replaced."),
    by: str | None = typer.Option(None, "--by", help=_BY_HELP),
) -> None:
    """Issue the station's next key version and print it; older versions stay active for now.

    Install the new line on the station, then revoke the old version with
    `recall station key revoke STATION_ID OLD_VERSION --reason rotated`.
    """
    from recall.adapters.db.key_store import StationKeyError, issue_key, list_keys

    cfg = settings()
    factory = sessions(cfg)
    try:
        version = issue_key(factory, station_id, by=operator(by))
    except StationKeyError as error:
        fail(escape(str(error)), "recall registry load FILE")
    _print_credential(cfg, station_id, version, "issued now")
    older = [k.version for k in list_keys(factory, station_id) if k.status == "active"]
    older = [v for v in older if v != version]
    if older:
        err_console.print(
            f"still active: version(s) {', '.join(map(str, older))}; once the station uses"
            f" version {version}: recall station key revoke {escape(station_id)}"
            f" {older[-1]} --reason rotated"
        )


@app.command("revoke")
def key_revoke(
    station_id: str = typer.Argument(..., help="The station whose key version is revoked."),
    version: int = typer.Argument(..., min=1, help="The key version to revoke (see `list`)."),
    reason: str = typer.Option(
        ..., "--reason", help="Why, kept with the key (e.g. 'laptop stolen', 'rotated')."
    ),
    by: str | None = typer.Option(None, "--by", help=_BY_HELP),
) -> None:
    """Revoke one key version of one station; other versions and stations keep working.

    Records signed with it are refused from the worker's next registry refresh on.
    """
    from recall.adapters.db.key_store import (
        StationKeyError,
        current_version,
        revoke_key,
    )

    cfg = settings()
    factory = sessions(cfg)
    if not reason.strip():
        fail("--reason must say why the key is revoked")
    try:
        revoke_key(factory, station_id, version, by=operator(by), reason=reason.strip())
    except StationKeyError as error:
        fail(escape(str(error)), f"recall station key list {escape(station_id)}")
    console.print(f"revoked key version {version} of station {escape(station_id)}")
    if current_version(factory, station_id) is None:
        err_console.print(
            f"[yellow]station {escape(station_id)} has no active key now and cannot send;[/]"
            f" give it a new one with `recall station key rotate {escape(station_id)}`"
        )


@app.command("list")
def key_list(
    station_id: str | None = typer.Argument(
        None, help="Only this station's keys (default: every station)."
    ),
) -> None:
    """Show key versions with their status and who issued or revoked them (never the keys)."""
    from recall.adapters.db.key_store import list_keys

    rows = list_keys(sessions(settings()), station_id)
    if not rows:
        fail(
            "no station keys" + (f" for {escape(station_id)}" if station_id else ""),
            "recall registry load FILE issues version 1 to every station",
        )
    table = Table("station", "version", "status", "created", "by", "revoked", "by", "reason")
    for row in rows:
        table.add_row(
            escape(row.station_id),
            str(row.version),
            row.status,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            escape(row.created_by),
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
            escape(row.revoked_by or ""),
            escape(row.revoke_reason or ""),
        )
    console.print(table)


def _print_credential(cfg: Settings, station_id: str, version: int, state: str) -> None:
    """The credential on stdout alone (so it can be piped into a secret store), notes on stderr."""
    from schemas.signing import StationCredential

    credential = StationCredential.issued(
        cfg.signing_secret.get_secret_value(), station_id, version
    )
    typer.echo(credential.to_text())
    err_console.print(
        f"station {escape(station_id)} key version {version} ({state}): set this line as"
        " RECALL_STATION_KEY on that station; it is a secret"
    )
