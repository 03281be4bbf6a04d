"""Tools that run beside the system, never inside it: benchmarks, the station simulator, the
demo, the sample registry, the contract export and the worker-process supervisor used by them.

Production code (`recall.domain`, `recall.service`, `recall.adapters`, `streams`, `schemas`)
never imports this package; the CLI does, lazily, for its `bench`, `demo` and `simulate`
commands. The import contracts in `pyproject.toml` enforce that.
"""
