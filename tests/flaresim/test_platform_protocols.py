"""flaresim's binding objects satisfy the Protocols in `flarekit.platform` that code is typed against."""

from __future__ import annotations

from pathlib import Path

from flarekit import platform
from flaresim.runtime import ServiceBinding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_kv_and_analytics_engine_bindings_in_a_workers_env_satisfy_their_protocols(flaresim):
    env = flaresim.load_worker(FIXTURES / "kv_worker").isolates[0].env
    assert isinstance(env.KV, platform.KVNamespace)
    assert isinstance(env.EVENTS, platform.AnalyticsEngineDataset)
    assert not isinstance(env.EVENTS, platform.KVNamespace)


def test_a_service_binding_is_a_fetcher(flaresim):
    assert isinstance(ServiceBinding(flaresim, "kv-worker", None), platform.Fetcher)


def test_the_workers_ai_binding_satisfies_its_protocol(flaresim):
    from flaresim.ai import WorkersAI

    assert isinstance(WorkersAI(flaresim), platform.WorkersAI)
