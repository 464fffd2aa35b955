"""Opening the SQLite databases that hold flaresim's state."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_database(path: Path | None) -> sqlite3.Connection:
    """A connection in autocommit mode; WAL so a crash of the dev server loses nothing committed.

    `path=None` gives an in-memory database (state that dies with the process).
    """
    if path is None:
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL skips the fsync per commit (WAL stays consistent); a power cut may lose the last
        # commits, which is acceptable for a development runtime.
        connection.execute("PRAGMA synchronous=NORMAL")
    return connection
