"""A held observation (a stream still running) waits for release(), but not forever."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from flarekit.metrics.observation import Observation
from flarekit.metrics.request_observer import Observer


async def test_a_held_record_waits_for_the_stream_to_end():
    obs = Observation(worker="ai-proxy", method="POST", started_ms=0)
    obs.hold()
    waiter = asyncio.ensure_future(obs.wait_released())
    await asyncio.sleep(0)
    assert not waiter.done()
    obs.release()
    await waiter
    assert obs.error_type == ""


async def test_a_stream_that_never_releases_is_recorded_with_an_error_type():
    obs = Observation(worker="ai-proxy", method="POST", started_ms=0)
    obs.hold()
    await obs.wait_released(timeout_s=0.01)
    assert obs.error_type == "stream_not_released"


async def test_an_unheld_observation_does_not_wait():
    obs = Observation(worker="ai-proxy", method="GET", started_ms=0)
    await asyncio.wait_for(obs.wait_released(), 1)


def test_an_observer_reads_its_tracing_configuration_once_whatever_env_object_a_request_brings():
    observer = Observer("ai-proxy", "1.0")
    first = observer.tracing(SimpleNamespace(OTEL_EXPORTER_OTLP_ENDPOINT="https://collector:4318"))
    again = observer.tracing(SimpleNamespace())  # production wraps env anew for every request
    assert again is first and again.config.endpoint == "https://collector:4318/v1/traces"
