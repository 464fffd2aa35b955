"""flaresim's stand-in for Pyodide's top-level package (only what Workers code touches)."""

__version__ = "0.28.2"
