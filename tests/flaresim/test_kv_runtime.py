"""KV behaviour that belongs to flaresim's runtime rather than to the binding's contract:
per-invocation limits, persistence, fault switches, housekeeping."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyodide.ffi import JsException

from flaresim import kv as kv_module
from flaresim.clock import FakeClock
from flaresim.dev_server import apply_fault_switches
from flaresim.runtime import Runtime, ServiceBinding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


async def test_one_invocation_may_make_1000_kv_operations_and_no_more(flaresim):
    flaresim.load_worker(FIXTURES / "kv_worker")
    worker = ServiceBinding(flaresim, "kv-worker", None)
    assert await worker.kv_many("get", ["k"], 1000) == 1000
    with pytest.raises(JsException, match=r"^Error: Too many API requests by single worker invocation\.$"):
        await worker.kv_many("get", ["k"], 1001)
    # A new invocation starts counting again; a bulk read counts as one operation.
    assert await worker.kv_many("get", [[f"k{i}" for i in range(100)]], 1000) == 1000


async def test_a_key_written_through_a_request_is_read_back_by_the_next(flaresim, worker_client):
    client = worker_client(flaresim.load_worker(FIXTURES / "kv_worker"))
    assert (await client.request("PUT", "/kv/colour", body="teal")).status == 201
    response = await client.get("/kv/colour")
    assert (response.status, await response.text()) == (200, "teal")
    assert (await client.get("/kv/other")).status == 404


async def test_kv_state_survives_a_new_runtime_on_the_same_state_folder(tmp_path):
    clock = FakeClock()
    first = Runtime(tmp_path, clock=clock, environ={})
    await first.kv.namespace("ns").put("k", "persisted", expirationTtl=3600)
    await first.close()
    second = Runtime(tmp_path, clock=clock, environ={})
    try:
        assert await second.kv.namespace("ns").get("k") == "persisted"
        assert await second.kv.namespace("other-ns").get("k") is None  # namespaces are separate
    finally:
        await second.close()


async def test_a_failed_put_raises_a_transient_error_and_writes_nothing(flaresim):
    kv = flaresim.kv.namespace("ns")
    await kv.put("k", "old")
    await flaresim.advance(1)
    flaresim.kv.faults.write_failure_rate = 1.0
    with pytest.raises(JsException) as caught:
        await kv.put("k", "new", metadata={"m": 1})
    assert caught.value.message == "KV PUT failed: 500 Internal Server Error"
    with pytest.raises(JsException, match="KV DELETE failed: 500"):
        await kv.delete("k")
    flaresim.kv.faults.write_failure_rate = 0.0
    assert await kv.getWithMetadata("k") == {"value": "old", "metadata": None, "cacheStatus": None}
    await kv.put("k", "new")  # the failed write did not count against the one-write-per-second rule


async def test_a_partial_failure_rate_fails_some_writes_the_same_way_every_run(flaresim):
    async def outcomes() -> list[bool]:
        runtime_faults = flaresim.kv.faults
        runtime_faults.rng.seed(7)
        results = []
        for i in range(40):
            try:
                await kv.put(f"k{i}", "v")
                results.append(True)
            except JsException:
                results.append(False)
        return results

    kv = flaresim.kv.namespace("ns")
    flaresim.kv.enforce_write_rate = False
    flaresim.kv.faults.write_failure_rate = 0.5
    first = await outcomes()
    assert 5 < first.count(False) < 35
    assert await outcomes() == first
    stored = [k.name for k in (await kv.list())["keys"]]
    assert stored == sorted(f"k{i}" for i, ok in enumerate(first) if ok)


async def test_read_faults_fail_reads_like_production(flaresim):
    flaresim.kv.faults.read_failure_rate = 1.0
    with pytest.raises(JsException, match=r"KV GET failed: 500 Internal Server Error"):
        await flaresim.kv.namespace("ns").get("k")


def test_the_dev_server_fault_switch_comes_from_the_environment(flaresim):
    apply_fault_switches(flaresim, {"FLARESIM_KV_WRITE_FAILURE_RATE": "0.25"})
    assert flaresim.kv.faults.write_failure_rate == 0.25
    from flaresim.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="FLARESIM_KV_WRITE_FAILURE_RATE"):
        apply_fault_switches(flaresim, {"FLARESIM_KV_WRITE_FAILURE_RATE": "lots"})


async def test_the_write_rate_rule_can_be_switched_off(tmp_path):
    runtime = Runtime(tmp_path, clock=FakeClock(), enforce_kv_write_rate=False, environ={})
    try:
        kv = runtime.kv.namespace("ns")
        for i in range(3):
            await kv.put("k", str(i))
        assert await kv.get("k") == "2"
    finally:
        await runtime.close()


async def test_expired_values_are_deleted_from_storage_eventually(flaresim, monkeypatch):
    monkeypatch.setattr(kv_module, "PURGE_EVERY_WRITES", 10)
    kv = flaresim.kv.namespace("ns")
    for i in range(5):
        await kv.put(f"old{i}", "v", expirationTtl=60)
    await flaresim.advance(61)
    for i in range(5):
        await kv.put(f"new{i}", "v")
    rows = flaresim.kv.db.execute("SELECT count(*) FROM kv").fetchone()[0]
    assert rows == 5


def test_the_write_rate_memory_is_bounded_and_counts_what_it_forgets():
    rate = kv_module._WriteRate(memory=3)
    for i in range(5):
        rate.record(("ns", f"k{i}".encode()), 100.0)
    assert rate.forgotten == 2
    assert not rate.too_soon(("ns", b"k0"), 100.5)  # forgotten, so not refused
    assert rate.too_soon(("ns", b"k4"), 100.5)
    rate.record(("ns", b"later"), 102.0)  # entries older than a second are dropped without counting
    assert rate.forgotten == 2 and not rate.too_soon(("ns", b"k4"), 102.0)


def test_the_binding_is_truthy_but_has_no_length_and_cannot_be_iterated(flaresim):
    kv = flaresim.kv.namespace("ns")
    assert bool(kv)
    with pytest.raises(TypeError, match=r"'KvNamespace' object has no len\(\)"):
        len(kv)
    with pytest.raises(TypeError, match="'KvNamespace' object is not iterable"):
        iter(kv)
