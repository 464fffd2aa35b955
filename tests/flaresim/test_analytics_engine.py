"""Analytics Engine: production's checks on `writeDataPoint`, and local SQL over what was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyodide.ffi import JsException

from flarekit.platform import AnalyticsEngineDataset
from flaresim import cli
from flaresim.clock import FakeClock
from flaresim.runtime import Runtime, ServiceBinding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def dataset(flaresim):
    return flaresim.analytics_engine.dataset("events")


def rows(runtime: Runtime, sql: str = "SELECT * FROM events") -> list[dict]:
    return runtime.analytics_engine.query(sql)


def test_a_point_is_written_synchronously_and_queried_by_dataset_name(flaresim, dataset, flaresim_clock):
    assert isinstance(dataset, AnalyticsEngineDataset)
    result = dataset.writeDataPoint({"blobs": ["/v1/chat", "gpt"], "doubles": [12.5, 300], "indexes": ["tenant-a"]})
    assert result is None  # not a coroutine: production's call is synchronous
    (row,) = rows(flaresim)
    assert (row["index1"], row["blob1"], row["blob2"], row["double1"], row["double2"]) == (
        "tenant-a",
        "/v1/chat",
        "gpt",
        12.5,
        300.0,
    )
    assert row["blob3"] == "" and row["double3"] == 0  # unset fields read as empty, as in the SQL API
    assert row["timestamp"] == "2026-09-21 14:13:20"  # the runtime's (fake) clock: 1_790_000_000 s
    assert row["_sample_interval"] == 1 and row["dataset"] == "events"


def test_an_empty_point_and_keyword_fields_are_valid(flaresim, dataset):
    dataset.writeDataPoint({})
    dataset.writeDataPoint()
    dataset.writeDataPoint(blobs=["kw"], doubles=[1])
    assert [r["blob1"] for r in rows(flaresim)] == ["", "", "kw"]


def test_datasets_are_kept_apart(flaresim, dataset):
    other = flaresim.analytics_engine.dataset("other")
    dataset.writeDataPoint(blobs=["mine"])
    other.writeDataPoint(blobs=["theirs"])
    assert [r["blob1"] for r in rows(flaresim)] == ["mine"]
    assert [r["blob1"] for r in rows(flaresim, "SELECT blob1 FROM other")] == ["theirs"]


def test_missing_blobs_keep_their_position_and_bytes_are_stored_as_text(flaresim, dataset):
    dataset.writeDataPoint(blobs=[None, b"raw", 7, True])
    (row,) = rows(flaresim)
    assert [row["blob1"], row["blob2"], row["blob3"], row["blob4"]] == ["", "raw", "7", "true"]


def test_a_production_style_aggregate_query_runs_locally(flaresim, dataset):
    for route, latency in [("/a", 10), ("/a", 30), ("/b", 5)]:
        dataset.writeDataPoint(blobs=[route], doubles=[latency])
    result = rows(
        flaresim, "SELECT blob1 AS route, SUM(_sample_interval) AS n, AVG(double1) AS avg FROM events GROUP BY blob1"
    )
    assert result == [{"route": "/a", "n": 2, "avg": 20.0}, {"route": "/b", "n": 1, "avg": 5.0}]


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"blobs": ["x"] * 21}, "writeDataPoint(): Maximum of 20 blobs supported."),
        ({"doubles": [1.0] * 21}, "writeDataPoint(): Maximum of 20 doubles supported."),
        ({"indexes": ["a", "b"]}, "writeDataPoint(): Maximum of 1 indexes supported."),
        ({"indexes": ["i" * 97]}, "writeDataPoint(): Size of indexes[0] exceeds 96 bytes)."),
        ({"blobs": ["x" * 10_000, "y" * 6_385]}, "writeDataPoint(): Cumulative size of blobs exceeds 16384 bytes)."),
        # indexes are checked before blobs, as workerd does
        ({"indexes": ["a", "b"], "blobs": ["x"] * 21}, "writeDataPoint(): Maximum of 1 indexes supported."),
    ],
)
def test_points_over_productions_limits_are_refused_with_its_messages(flaresim, dataset, point, message):
    with pytest.raises(JsException) as caught:
        dataset.writeDataPoint(point)
    assert (caught.value.name, caught.value.message) == ("TypeError", message)
    assert rows(flaresim) == []


def test_points_exactly_at_the_limits_are_accepted(flaresim, dataset):
    dataset.writeDataPoint(
        {"blobs": ["x" * 16_384 if i == 0 else None for i in range(20)], "doubles": [1.0] * 20, "indexes": ["é" * 48]}
    )
    (row,) = rows(flaresim)
    assert len(row["blob1"]) == 16_384 and row["double20"] == 1 and row["index1"] == "é" * 48


def test_fields_that_are_not_lists_and_tuples_are_refused(dataset):
    with pytest.raises(JsException, match="must be an array"):
        dataset.writeDataPoint({"blobs": "not-a-list"})
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        dataset.writeDataPoint({"doubles": (1, 2)})


async def test_one_invocation_may_write_250_points_and_no_more(flaresim):
    flaresim.load_worker(FIXTURES / "kv_worker")
    worker = ServiceBinding(flaresim, "kv-worker", None)
    assert await worker.ae_write([{"doubles": [i]} for i in range(250)]) == 250
    with pytest.raises(JsException, match=r"^Error: Analytics Engine write limit exceeded\.$"):
        await worker.ae_write([{"doubles": [i]} for i in range(251)])
    assert len(rows(flaresim, "SELECT * FROM fixture_events")) == 500  # each point before the limit was kept


async def test_a_worker_writes_points_through_its_binding(flaresim, worker_client):
    client = worker_client(flaresim.load_worker(FIXTURES / "kv_worker"))
    response = await client.post("/events", json={"blobs": ["signup"], "doubles": [1], "indexes": ["eu"]})
    assert response.status == 200
    assert rows(flaresim, "SELECT index1, blob1, double1 FROM fixture_events") == [
        {"index1": "eu", "blob1": "signup", "double1": 1.0}
    ]


async def test_the_ae_sql_command_queries_a_state_folder_read_only(tmp_path, capsys):
    runtime = Runtime(tmp_path, clock=FakeClock(), environ={})
    events = runtime.analytics_engine.dataset("events")
    events.writeDataPoint(blobs=["a"], doubles=[2])
    events.writeDataPoint(blobs=["b"], doubles=[3])
    await runtime.close()

    assert (
        cli.main(["ae-sql", "SELECT blob1, double1 FROM events ORDER BY blob1", "--state", str(tmp_path), "--json"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [{"blob1": "a", "double1": 2.0}, {"blob1": "b", "double1": 3.0}]

    assert cli.main(["ae-sql", "SELECT count(*) AS n FROM events", "--state", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == ["n", "2"]

    assert cli.main(["ae-sql", "DELETE FROM data_points", "--state", str(tmp_path)]) == 1
    assert "readonly" in capsys.readouterr().err


def test_the_ae_sql_command_explains_an_empty_state_folder(tmp_path, capsys):
    assert cli.main(["ae-sql", "SELECT 1", "--state", str(tmp_path / "nothing")]) == 1
    assert "no Analytics Engine data" in capsys.readouterr().err
