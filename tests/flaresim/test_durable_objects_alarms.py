"""Durable Object alarms: set/get/delete, delivery by the runtime's clock, retries, persistence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyodide.ffi import JsException

from flaresim.clock import FakeClock
from flaresim.runtime import Runtime

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def counters(flaresim):
    return flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER


@pytest.fixture
async def storage(flaresim, counters):
    instance = await flaresim.durable_objects.instance_of(counters.getByName("alarmed"))
    return instance.ctx.storage


def now_ms(clock: FakeClock) -> int:
    return int(clock.now() * 1000)


async def test_set_get_and_delete_an_alarm(storage, flaresim_clock):
    assert await storage.getAlarm() is None
    when = now_ms(flaresim_clock) + 60_000
    await storage.setAlarm(when)
    assert await storage.getAlarm() == when
    await storage.setAlarm(when + 5)  # one alarm per object: a new time replaces the old
    assert await storage.getAlarm() == when + 5
    await storage.deleteAlarm()
    assert await storage.getAlarm() is None


async def test_an_alarm_may_be_given_as_a_datetime(storage, flaresim_clock):
    moment = dt.datetime.fromtimestamp(flaresim_clock.now() + 3600, dt.UTC)
    await storage.setAlarm(moment)
    assert await storage.getAlarm() == int(moment.timestamp() * 1000)


async def test_an_alarm_in_the_past_is_moved_to_now(storage, flaresim_clock):
    await storage.setAlarm(1000)
    assert await storage.getAlarm() == now_ms(flaresim_clock)


async def test_set_alarm_refuses_times_at_or_before_the_epoch_and_non_dates(storage):
    with pytest.raises(JsException, match="setAlarm\\(\\) cannot be called with an alarm time <= 0"):
        await storage.setAlarm(0)
    with pytest.raises(JsException, match="parameter 1 is not of type 'Date'"):
        await storage.setAlarm("soon")


async def test_a_class_without_an_alarm_handler_cannot_set_an_alarm(flaresim):
    env = flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env
    with pytest.raises(JsException, match="must have an alarm\\(\\) handler in order to call setAlarm\\(\\)"):
        await env.LEGACY.getByName("x").set_alarm()


async def test_the_alarm_runs_when_the_clock_reaches_it(flaresim, storage, flaresim_clock):
    await storage.setAlarm(now_ms(flaresim_clock) + 60_000)
    await flaresim.advance(59)
    assert await storage.get("alarm_log") is None
    await flaresim.advance(1)
    assert await storage.get("alarm_log") == [{"retryCount": 0, "isRetry": False, "ready": True}]
    # While alarm() ran, getAlarm() said None; afterwards the alarm is gone.
    assert await storage.get("alarm_seen") is None
    assert await storage.getAlarm() is None
    await flaresim.advance(3600)
    assert len(await storage.get("alarm_log")) == 1


async def test_run_due_alarms_reports_how_many_ran(flaresim, counters, flaresim_clock):
    for name in ("a", "b"):
        instance = await flaresim.durable_objects.instance_of(counters.getByName(name))
        await instance.ctx.storage.setAlarm(now_ms(flaresim_clock) + 1000)
    assert await flaresim.durable_objects.run_due_alarms() == 0
    flaresim_clock.advance(1)
    assert await flaresim.durable_objects.run_due_alarms() == 2


async def test_a_failing_alarm_is_retried_with_exponential_backoff(flaresim, storage, flaresim_clock):
    await storage.put("alarm_failures", 2)
    await storage.setAlarm(now_ms(flaresim_clock) + 10_000)
    await flaresim.advance(10)
    await flaresim.advance(1.9)
    assert len(await storage.get("alarm_log")) == 1
    await flaresim.advance(0.1)  # first retry 2 s after the failure
    await flaresim.advance(3.9)
    assert len(await storage.get("alarm_log")) == 2
    await flaresim.advance(0.1)  # second retry 4 s after the second failure
    log = await storage.get("alarm_log")
    assert [(entry.retryCount, entry.isRetry) for entry in log] == [(0, False), (1, True), (2, True)]
    assert await storage.getAlarm() is None


async def test_a_failing_alarm_gives_up_after_six_retries(flaresim, storage, flaresim_clock):
    await storage.put("alarm_failures", 100)
    await storage.setAlarm(now_ms(flaresim_clock) + 1000)
    await flaresim.advance(1)
    for delay in (2, 4, 8, 16, 32, 64):
        await flaresim.advance(delay)
    log = await storage.get("alarm_log")
    assert [entry.retryCount for entry in log] == [0, 1, 2, 3, 4, 5, 6]
    assert await storage.getAlarm() is None
    await flaresim.advance(10_000)
    assert len(await storage.get("alarm_log")) == 7


async def test_an_alarm_handler_may_set_the_next_alarm(flaresim, storage, flaresim_clock):
    start = now_ms(flaresim_clock)
    await storage.put("alarm_rearm_ms", start + 120_000)
    await storage.setAlarm(start + 60_000)
    await flaresim.advance(60)
    assert await storage.getAlarm() == start + 120_000
    await flaresim.advance(60)
    assert len(await storage.get("alarm_log")) == 2
    assert await storage.getAlarm() is None


async def test_an_alarm_recreates_an_evicted_object(flaresim, counters, storage, flaresim_clock):
    await storage.setAlarm(now_ms(flaresim_clock) + 5000)
    flaresim.durable_objects.evict_all()
    await flaresim.advance(5)
    info = await counters.getByName("alarmed").info()
    assert info.constructions == 2
    assert (await storage.get("alarm_log"))[0].ready is True


async def test_alarms_survive_a_restart_and_wake_their_object(tmp_path):
    state, clock = tmp_path / "state", FakeClock()
    first = Runtime(state, clock=clock, environ={}, dev_vars=".dev.vars.example")
    try:
        counters = first.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER
        instance = await first.durable_objects.instance_of(counters.getByName("sleeper"))
        await instance.ctx.storage.setAlarm(now_ms(clock) + 60_000)
    finally:
        await first.close()

    second = Runtime(state, clock=clock, environ={}, dev_vars=".dev.vars.example")
    try:
        counters = second.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER
        assert second.durable_objects.next_alarm_ms() == now_ms(clock) + 60_000
        await second.advance(60)
        assert second.durable_objects.live_instances() == 1
        stub = counters.getByName("sleeper")
        instance = await second.durable_objects.instance_of(stub)
        assert [entry.retryCount for entry in await instance.ctx.storage.get("alarm_log")] == [0]
        assert await instance.ctx.storage.getAlarm() is None
    finally:
        await second.close()
