"""`recall registry …`: stations, manufacturers, products, standards, labs, experts."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from pydantic import ValidationError
from rich.table import Table

from recall.cli.common import console, fail, operator, sessions, settings

app = typer.Typer(help="Load and generate the registries that intake and investigations rely on.")


@app.command()
def load(
    file: Path | None = typer.Argument(
        None, help="Registry JSON file (see `recall registry sample`)."
    ),
    sample: bool = typer.Option(
        False, "--sample", help="Load a generated realistic registry instead."
    ),
    seed: int = typer.Option(7, help="Seed for --sample."),
    by: str | None = typer.Option(None, "--by", help="Who loads it, for the audit trail."),
) -> None:
    """Insert or update registry entries; events from unknown or disabled stations are refused.

    Every entry that actually changes is audited (`recall registry changes`)."""
    from recall.adapters.db.registry_store import load_registry
    from recall.tools.registry.sample import generate
    from schemas.registry import RegistryFile

    if file is None and not sample:
        fail("give a registry FILE or --sample", "recall registry load --sample")
    try:
        registry = generate(seed) if sample else RegistryFile.model_validate_json(file.read_bytes())  # type: ignore[union-attr]
    except (OSError, ValidationError) as error:
        fail(f"cannot read the registry: {error}")
    with console.status("loading registry…"):
        counts = load_registry(sessions(settings()), registry, by=operator(by))
    table = Table("section", "entries", title="registry loaded")
    for section, count in counts.items():
        table.add_row(section, f"{count:,}")
    console.print(table)


@app.command("sample")
def write_sample(
    output: Path = typer.Argument(..., help="Where to write the registry JSON."),
    seed: int = typer.Option(7),
) -> None:
    """Write a generated realistic registry (81 stations, 1,285 manufacturers, …) to a file."""
    from recall.tools.registry.sample import generate

    output.write_bytes(
        orjson.dumps(generate(seed).model_dump(mode="json"), option=orjson.OPT_INDENT_2)
    )
    console.print(f"wrote {output}")


SECTIONS_HELP = (
    "regions, stations, manufacturers, product_kinds, products, standards, labs, experts"
)


@app.command("change")
def change(
    section: str = typer.Argument(..., help=f"Registry section: {SECTIONS_HELP}."),
    key: str = typer.Argument(
        ...,
        help="The entry's natural key: station_id, credit_code, standard code, lab_id, expert_id,"
        " region code, kind, or product key.",
    ),
    entry: str | None = typer.Option(
        None,
        "--entry",
        help="The whole new entry as JSON, or @FILE; as in a registry file's section"
        ' (e.g. \'{"code": "GB 1-2020", "title": "…", "category": "children",'
        ' "status": "superseded", "superseded_by": "GB 1-2026"}\').',
    ),
    retire: bool = typer.Option(
        False,
        "--retire",
        help="Retire the entry instead: a station is disabled, a standard withdrawn (from today,"
        " China time), a lab's accreditation revoked, an expert made inactive.",
    ),
    reason: str = typer.Option(..., "--reason", help="Why: a notice number, a decision."),
    by: str | None = typer.Option(None, "--by", help="Who makes the change (default: login)."),
) -> None:
    """Publish one registry change on `registry.changes`; a worker applies and audits it.

    Intake judges by it at once on the worker that applied it, and on every other intake worker
    within RECALL_REGISTRY_REFRESH_SECONDS (15 s by default).

    Examples:

      recall registry change standards "GB 6675-2003" --retire --reason "公告 2026-12"

      recall registry change labs LAB-001 --entry @lab.json --reason "scope extended"
    """
    import uuid
    from datetime import UTC, datetime

    from recall.adapters.kafka.registry_publisher import publish_change
    from schemas.registry import RegistryChange

    if retire == (entry is not None):
        fail("give exactly one of --entry JSON|@FILE or --retire", "recall registry change --help")
    document = None
    if entry is not None:
        try:
            text = Path(entry[1:]).read_text() if entry.startswith("@") else entry
            document = orjson.loads(text)
        except (OSError, orjson.JSONDecodeError) as error:
            fail(f"cannot read --entry: {error}")
    try:
        record = RegistryChange.model_validate_json(
            orjson.dumps(
                {
                    "change_id": str(uuid.uuid4()),
                    "section": section,
                    "key": key,
                    "operation": "retire" if retire else "upsert",
                    "entry": document,
                    "by": operator(by),
                    "at": datetime.now(UTC).isoformat(),
                    "reason": reason,
                }
            )
        )
    except ValidationError as error:
        fail(f"the change is not valid: {error}", "recall registry change --help")
    try:
        publish_change(settings(), record)
    except Exception as error:  # broker down or unreachable: say so, nothing was applied
        fail(f"could not publish to registry.changes: {error}", "is the broker up? `recall up`")
    console.print(f"published change {record.change_id} ({record.operation.value} {section} {key})")


@app.command("changes")
def changes(
    section: str | None = typer.Option(None, "--section", help="Only this section."),
    key: str | None = typer.Option(None, "--key", help="Only this entry."),
    limit: int = typer.Option(50, "--limit", min=1, max=5000),
) -> None:
    """The registry's audit trail, newest first: who changed what, when, why, before → after."""
    from recall.adapters.db.registry_store import list_changes

    rows = list_changes(sessions(settings()), section=section, key=key, limit=limit)
    table = Table("when (UTC)", "section", "key", "op", "source", "by", "reason", "before → after")
    for row in rows:
        table.add_row(
            row.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.section,
            row.entry_key,
            row.operation,
            row.source,
            row.changed_by,
            row.reason,
            _difference(row.before, row.after),
        )
    console.print(table)
    if not rows:
        console.print("no registry changes recorded")


def _difference(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    if before is None:
        return "new entry"
    after = after or {}
    moved = [
        f"{name}: {before.get(name)!r} → {value!r}"
        for name, value in after.items()
        if before.get(name) != value
    ]
    return "; ".join(moved) or "no difference"
