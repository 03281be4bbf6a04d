"""`recall registry …`: stations, manufacturers, products, standards, labs, experts."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from pydantic import ValidationError
from rich.table import Table

from recall.cli.common import console, fail, sessions, settings

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
) -> None:
    """Insert or update registry entries; events from unknown or disabled stations are refused."""
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
        counts = load_registry(sessions(settings()), registry)
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
