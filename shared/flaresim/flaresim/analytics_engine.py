"""Workers Analytics Engine (`writeDataPoint`), simulated: production's checks, points kept in SQLite.

Points land in one table laid out like the Analytics Engine SQL API's columns (`timestamp`,
`index1`, `blob1`..`blob20`, `double1`..`double20`, `_sample_interval`), with a view per dataset,
so a production query such as `SELECT blob1, SUM(double1) FROM telemetry GROUP BY blob1` runs
locally as written (SQLite's dialect, not ClickHouse's: `NOW() - INTERVAL` does not exist here).
Query with `runtime.analytics_engine.query(sql)` or `flaresim ae-sql "SELECT ..."`.

Checks and texts follow workerd (`src/workerd/api/analytics-engine*.{h,c++}`): indexes are
checked first, then blobs, then doubles; each call counts against 250 per invocation before it
is checked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyodide.ffi import JsException

from flaresim import context
from flaresim.js_coercion import js_string
from flaresim.rpc_values import check_transferable

MAX_INDEXES = 1
MAX_INDEX_BYTES = 96
MAX_ARRAY_MEMBERS = 20
MAX_BLOB_BYTES = 16 * 1024  # per point, all blobs together (5,120 before 2025-06-20)
MAX_POINTS_PER_INVOCATION = 250
PREFIX = "writeDataPoint(): "
TABLE = "data_points"

_BLOBS = [f"blob{i}" for i in range(1, MAX_ARRAY_MEMBERS + 1)]
_DOUBLES = [f"double{i}" for i in range(1, MAX_ARRAY_MEMBERS + 1)]
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (dataset TEXT NOT NULL, timestamp TEXT NOT NULL, "
    "index1 TEXT NOT NULL DEFAULT '', "
    + "".join(f"{b} TEXT NOT NULL DEFAULT '', " for b in _BLOBS)
    + "".join(f"{d} REAL NOT NULL DEFAULT 0, " for d in _DOUBLES)
    + "_sample_interval INTEGER NOT NULL DEFAULT 1)"
)
_INSERT = (
    f"INSERT INTO {TABLE} (dataset, timestamp, index1, {', '.join(_BLOBS)}, {', '.join(_DOUBLES)}) "
    f"VALUES ({', '.join('?' * (3 + 2 * MAX_ARRAY_MEMBERS))})"
)


class AnalyticsEngineStore:
    """Every dataset's points for one runtime, in one SQLite database."""

    def __init__(self, connection: sqlite3.Connection, clock: Callable[[], float]) -> None:
        self.db = connection
        self.db.execute(_SCHEMA)
        self.clock = clock
        self._views: set[str] = set()

    def dataset(self, name: str) -> AnalyticsEngineDataset:
        """The binding object for one dataset; also makes `FROM <name>` work in queries."""
        if name not in self._views and name != TABLE:
            quoted_name = '"' + name.replace('"', '""') + '"'
            literal = "'" + name.replace("'", "''") + "'"
            self.db.execute(
                f"CREATE VIEW IF NOT EXISTS {quoted_name} AS SELECT * FROM {TABLE} WHERE dataset = {literal}"
            )
            self._views.add(name)
        return AnalyticsEngineDataset(self, name)

    def insert(self, dataset: str, index: str, blobs: list[str], doubles: list[float]) -> None:
        moment = datetime.fromtimestamp(self.clock(), tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        row: list[str | float] = [dataset, moment, index]
        row += blobs + [""] * (MAX_ARRAY_MEMBERS - len(blobs))
        row += doubles + [0.0] * (MAX_ARRAY_MEMBERS - len(doubles))
        self.db.execute(_INSERT, row)

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Run a query against the local store; rows as dicts keyed by column name."""
        return query(self.db, sql, *params)


def query(connection: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of `sql` as dicts (column name -> value)."""
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def open_readonly(state_dir: Path) -> sqlite3.Connection:
    """The store of a `flaresim dev` state folder, opened so queries cannot change it."""
    path = Path(state_dir) / "analytics_engine.sqlite3"
    if not path.is_file():
        raise FileNotFoundError(f"no Analytics Engine data under {state_dir} yet ({path.name} is missing)")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _type_error(text: str) -> JsException:
    return JsException(PREFIX + text, "TypeError")


def _array(point: dict[str, Any], field: str) -> list[Any]:
    value = point.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise JsException(
            f"Failed to execute 'writeDataPoint' on 'AnalyticsEngineDataset': the '{field}' field of the data "
            "point must be an array.",
            "TypeError",
        )
    return value


def _bytes_or_text(value: Any) -> bytes | None:
    """A blob or index as workerd reads it: bytes, or a string (anything else coerced to one)."""
    if value is None:
        return None
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    if hasattr(value, "to_bytes") and not isinstance(value, int):  # a js.Uint8Array
        return value.to_bytes()
    if isinstance(value, dict):
        return b"[object Object]"
    return js_string(value).encode()


def _number(value: Any) -> float:
    """JavaScript's ToNumber for what a Python value becomes in JS."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def _count_point() -> None:
    # Counted per invocation, on contexts that keep the count (see kv._count_operation).
    request = context.request_var.get()
    used = getattr(request, "ae_data_points", None)
    if request is None or used is None:
        return
    request.ae_data_points = used = used + 1
    if used > MAX_POINTS_PER_INVOCATION:
        raise JsException("Analytics Engine write limit exceeded.")


def validate_point(point: dict[str, Any]) -> tuple[str, list[str], list[float]]:
    """Check a data point as workerd does; return (index1, blobs, doubles) as stored."""
    indexes = _array(point, "indexes")
    if len(indexes) > MAX_INDEXES:
        raise _type_error(f"Maximum of {MAX_INDEXES} indexes supported.")
    index = b""
    if indexes and indexes[0] is not None:
        index = _bytes_or_text(indexes[0]) or b""
        if len(index) > MAX_INDEX_BYTES:
            raise _type_error(f"Size of indexes[0] exceeds {MAX_INDEX_BYTES} bytes).")
    blobs = _array(point, "blobs")
    if len(blobs) > MAX_ARRAY_MEMBERS:
        raise _type_error(f"Maximum of {MAX_ARRAY_MEMBERS} blobs supported.")
    stored_blobs, total = [], 0
    for blob in blobs:
        data = _bytes_or_text(blob)
        if data is not None:
            total += len(data)
            if total > MAX_BLOB_BYTES:
                raise _type_error(f"Cumulative size of blobs exceeds {MAX_BLOB_BYTES} bytes).")
        stored_blobs.append("" if data is None else data.decode("utf-8", errors="replace"))
    doubles = _array(point, "doubles")
    if len(doubles) > MAX_ARRAY_MEMBERS:
        raise _type_error(f"Maximum of {MAX_ARRAY_MEMBERS} doubles supported.")
    return index.decode("utf-8", errors="replace"), stored_blobs, [_number(d) for d in doubles]


class AnalyticsEngineDataset:
    """One dataset binding (`env.EVENTS`); satisfies `flarekit.platform.AnalyticsEngineDataset`."""

    _flaresim_binding = True
    _js_name = "AnalyticsEngineDataset"

    def __init__(self, store: AnalyticsEngineStore, dataset: str) -> None:
        self._store = store
        self._dataset = dataset

    def __repr__(self) -> str:
        return f"<AnalyticsEngineDataset {self._dataset}>"

    def writeDataPoint(self, point: Any = None, /, **fields: Any) -> None:  # noqa: N802 - the JavaScript name
        """Record one point; synchronous and returns None, as in production (do not await it)."""
        if point is None:
            point = fields  # keyword arguments arrive as the one trailing object
        elif not isinstance(point, dict):
            raise JsException(
                "Failed to execute 'writeDataPoint' on 'AnalyticsEngineDataset': parameter 1 is not of type "
                "'AnalyticsEngineDataPoint'.",
                "TypeError",
            )
        check_transferable(point)  # tuples fail in the SDK before reaching workerd
        _count_point()
        index, blobs, doubles = validate_point(point)
        self._store.insert(self._dataset, index, blobs, doubles)
