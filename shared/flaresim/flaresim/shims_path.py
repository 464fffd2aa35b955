"""Put flaresim's stand-ins for `workers`, `js` and `pyodide` on the import path."""

from __future__ import annotations

import sys
from pathlib import Path

SHIMS_DIR = Path(__file__).parent / "shims"


def install_shims() -> None:
    """Make `import workers`, `import js` and `import pyodide.ffi` resolve to flaresim's versions."""
    path = str(SHIMS_DIR)
    if path not in sys.path:
        sys.path.insert(0, path)
