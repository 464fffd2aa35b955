"""flarekit: the shared library vendored into every Flarekit Worker (runs on Pyodide and CPython)."""

__version__ = "0.1.0"
