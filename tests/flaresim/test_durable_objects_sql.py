"""`ctx.storage.sql`: exec, its cursor, and the rules and messages production applies."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyodide.ffi import JsException

from flaresim.rpc_values import JsDict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
async def storage(flaresim):
    counters = flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER
    instance = await flaresim.durable_objects.instance_of(counters.getByName("sql"))
    return instance.ctx.storage


@pytest.fixture
def sql(storage):
    sql = storage.sql
    sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)")
    sql.exec("INSERT INTO t (id, name, score, data) VALUES (?, ?, ?, ?)", 1, "one", 1.5, b"\x01")
    sql.exec("INSERT INTO t (id, name, score, data) VALUES (?, ?, ?, ?)", 2, "two", 2.0, None)
    return sql


def test_rows_are_dicts_with_attribute_access_in_query_order(sql):
    rows = sql.exec("SELECT id, name, score FROM t ORDER BY id").toArray()
    assert rows == [{"id": 1, "name": "one", "score": 1.5}, {"id": 2, "name": "two", "score": 2}]
    assert isinstance(rows[0], JsDict)
    assert rows[1].name == "two"


def test_whole_numbers_come_back_as_int_and_blobs_as_memoryview(sql):
    row = sql.exec("SELECT score, data FROM t WHERE id = 1").one()
    assert isinstance(row.data, memoryview) and bytes(row.data) == b"\x01"
    assert type(sql.exec("SELECT score FROM t WHERE id = 2").one().score) is int
    assert sql.exec("SELECT data FROM t WHERE id = 2").one().data is None


def test_integers_beyond_2_to_the_53_lose_precision_as_js_numbers_do(sql):
    value = sql.exec("SELECT 9007199254740993 AS big").one().big
    assert value == 9007199254740992.0
    assert isinstance(value, float)


def test_numbers_are_bound_as_doubles_and_booleans_as_text(sql):
    sql.exec("CREATE TABLE typed (label TEXT, flag)")
    sql.exec("INSERT INTO typed VALUES (?, ?)", 5, True)
    row = sql.exec("SELECT label, flag, typeof(flag) AS kind FROM typed").one()
    assert row == {"label": "5.0", "flag": "true", "kind": "text"}


def test_iterating_the_cursor_yields_rows_and_counts_them(sql):
    cursor = sql.exec("SELECT name FROM t ORDER BY id")
    assert cursor.columnNames == ["name"]
    names = [row.name for row in cursor]
    assert names == ["one", "two"]
    assert cursor.rowsRead == 2
    assert cursor.rowsWritten == 0


def test_next_gives_done_and_value_like_a_js_iterator(sql):
    cursor = sql.exec("SELECT id FROM t ORDER BY id")
    assert cursor.next() == {"done": False, "value": {"id": 1}}
    assert cursor.next().value.id == 2
    end = cursor.next()
    assert end.done is True and end.value is None


def test_raw_gives_value_lists(sql):
    cursor = sql.exec("SELECT id, name FROM t ORDER BY id")
    raw = cursor.raw()
    assert raw.columnNames == ["id", "name"]
    assert raw.toArray() == [[1, "one"], [2, "two"]]
    assert list(sql.exec("SELECT id FROM t WHERE id = 2").raw()) == [[2]]


def test_writes_report_rows_written(sql):
    cursor = sql.exec("UPDATE t SET score = score + 1")
    assert cursor.rowsWritten == 2
    assert cursor.columnNames == []
    assert cursor.toArray() == []


def test_one_requires_exactly_one_row(sql):
    assert sql.exec("SELECT name FROM t WHERE id = ?", 1).one() == {"name": "one"}
    with pytest.raises(JsException, match=r"^Error: Expected exactly one result from SQL query, but got no results\.$"):
        sql.exec("SELECT name FROM t WHERE id = 99").one()
    with pytest.raises(JsException, match="but got multiple results"):
        sql.exec("SELECT name FROM t").one()


def test_several_statements_run_in_one_call_with_bindings_for_the_last(sql):
    cursor = sql.exec("INSERT INTO t (id, name) VALUES (3, 'three'); SELECT name FROM t WHERE id = ?", 3)
    assert cursor.toArray() == [{"name": "three"}]
    sql.exec("CREATE TABLE s (x TEXT); INSERT INTO s VALUES ('a;b');")
    assert sql.exec("SELECT x FROM s").one().x == "a;b"


def test_only_the_last_statement_may_have_bindings(sql):
    with pytest.raises(JsException, match="only the last statement can have parameters"):
        sql.exec("SELECT ?; SELECT 1", 1)


def test_transactions_in_sql_are_refused_with_production_advice(sql):
    for statement in ("BEGIN", "BEGIN TRANSACTION", "SAVEPOINT sp", "COMMIT"):
        with pytest.raises(JsException, match=r"please use the state\.storage\.transaction\(\)"):
            sql.exec(statement)


def test_internal_tables_and_most_pragmas_are_off_limits(storage, sql):
    storage.kv.put("k", "v")
    with pytest.raises(JsException, match=r"access to _cf_KV\.key is prohibited: SQLITE_AUTH"):
        sql.exec("SELECT * FROM _cf_KV")
    with pytest.raises(JsException, match="not authorized"):
        sql.exec("CREATE TABLE _cf_mine (x)")
    with pytest.raises(JsException, match="not authorized"):
        sql.exec("PRAGMA journal_mode = DELETE")
    assert sql.exec("PRAGMA table_info(t)").toArray()[0].name == "id"


def test_more_than_100_bindings_are_refused(sql):
    placeholders = ", ".join("?" * 101)
    with pytest.raises(JsException, match="too many SQL variables: SQLITE_ERROR"):
        sql.exec(f"SELECT {placeholders}", *range(101))
    assert len(sql.exec(f"SELECT {', '.join('?' * 100)}", *range(100)).raw().toArray()[0]) == 100


def test_a_statement_over_100_kb_is_refused(sql):
    query = "SELECT '" + "x" * 100_000 + "'"
    with pytest.raises(JsException, match="statement too long: SQLITE_TOOBIG"):
        sql.exec(query)


def test_sql_errors_carry_sqlite_message_and_code(sql):
    with pytest.raises(JsException, match=r'^Error: near "SELEC": syntax error: SQLITE_ERROR$'):
        sql.exec("SELEC 1")
    with pytest.raises(JsException, match=r"UNIQUE constraint failed: t\.id: SQLITE_CONSTRAINT"):
        sql.exec("INSERT INTO t (id) VALUES (1)")
    with pytest.raises(JsException, match="Wrong number of parameter bindings for SQL query"):
        sql.exec("SELECT ?")


def test_tuples_cannot_be_bound(sql):
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        sql.exec("SELECT ?", (1, 2))


def test_database_size_counts_used_pages(sql):
    before = sql.databaseSize
    assert before > 0
    sql.exec("CREATE TABLE filler (x BLOB)")
    sql.exec("INSERT INTO filler VALUES (zeroblob(200000))")
    assert sql.databaseSize > before + 150_000
