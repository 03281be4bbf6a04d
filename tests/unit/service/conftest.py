"""Make the shared event builders (tests/unit/schemas/builders.py) importable as `builders`.

The schema tests' directory cannot be a package: it would be imported as `schemas` and shadow
the real wire-contract package, so the intake tests reach its builders by path.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SCHEMA_TESTS = str(Path(__file__).resolve().parents[1] / "schemas")
if _SCHEMA_TESTS not in sys.path:
    sys.path.insert(0, _SCHEMA_TESTS)
