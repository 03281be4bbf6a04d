"""The layering of docs/architecture.md, checked on every test run.

The import contracts live in pyproject.toml (`[tool.importlinter]`); this runs them with
import-linter and adds a check import-linter does not make: no two modules import each other,
directly or through others (a cycle at any depth, not only between siblings).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("recall", "streams", "schemas")


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    imported = graph.find_modules_directly_imported_by(child)
                    work.append((child, iter(sorted(imported))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    # A package's __init__ importing its own submodules is not a cycle worth reporting.
    for module in list(graph.modules):
        for child in graph.find_children(module):
            if graph.direct_import_exists(importer=module, imported=child):
                graph.remove_import(importer=module, imported=child)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    """The checker itself can fail: a hand-made a -> b -> c -> a is reported."""
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("recall.domain.risk.matrix", "recall.service.ports"),
        ("recall.service.ports", "recall.adapters.db.storage"),
        ("schemas.topics", "recall.config"),
        ("recall.adapters.db.storage", "streams.app"),
    ],
)
def test_an_upward_import_breaks_the_contracts(
    importer: str, imported: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each layering rule can fail: one upward import added to the real graph breaks a
    contract that the real graph keeps."""
    from importlinter.application import use_cases
    from importlinter.application.app_config import settings
    from importlinter.application.ports.building import GraphBuilder
    from importlinter.configuration import configure

    configure()
    use_cases._register_built_in_contract_types()  # what `lint-imports` does first
    real_builder: GraphBuilder = settings.GRAPH_BUILDER  # `settings` is untyped (__getattr__)
    added: list[tuple[str, str]] = []

    class Builder(GraphBuilder):
        def build(
            self,
            root_package_names: list[str],
            cache_dir: str | None,
            include_external_packages: bool = False,
            exclude_type_checking_imports: bool = False,
        ) -> grimp.ImportGraph:
            graph = real_builder.build(
                root_package_names=root_package_names,
                cache_dir=cache_dir,
                include_external_packages=include_external_packages,
                exclude_type_checking_imports=exclude_type_checking_imports,
            )
            for a, b in added:
                graph.add_import(importer=a, imported=b)
            return graph

    def broken() -> set[str]:
        options = use_cases.read_user_options(config_filename=str(ROOT / "pyproject.toml"))
        report = use_cases.create_report(options, cache_dir=None)
        return {c.name for c, check in report.get_contracts_and_checks() if not check.kept}

    monkeypatch.setattr(settings, "GRAPH_BUILDER", Builder())
    before = broken()
    added.append((importer, imported))
    assert broken() - before
