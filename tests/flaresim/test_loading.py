"""Loading Workers the way workerd does: main module, exported classes, env, isolates."""

from __future__ import annotations

from pathlib import Path

import pytest

from flaresim.config import ConfigurationError, load_worker_config
from flaresim.runtime import WorkerError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("name", ["ai-proxy", "telemetry", "telegram-bot"])
async def test_each_worker_answers_health_with_its_name_and_version(flaresim, worker_client, worker_dirs, name):
    import tomllib

    host = flaresim.load_worker(worker_dirs[name])
    response = await worker_client(host).get("/health")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    version = tomllib.loads((worker_dirs[name] / "pyproject.toml").read_text())["project"]["version"]
    assert await response.json() == {"status": "ok", "worker": name, "version": version}


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        ("uuid4", OSError, "Cannot get entropy outside of request context"),
        ("random", RuntimeError, "Cannot use random.random() outside of request context"),
        ("secrets", OSError, "Cannot get entropy outside of request context"),
    ],
)
async def test_entropy_at_import_fails_like_production(flaresim, monkeypatch, kind, error, message):
    monkeypatch.setenv("ENTROPY_KIND", kind)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        flaresim.load_worker(FIXTURES / "entropy_worker")


async def test_entropy_inside_a_request_is_allowed(flaresim, worker_client, monkeypatch):
    monkeypatch.setenv("ENTROPY_KIND", "none")
    host = flaresim.load_worker(FIXTURES / "entropy_worker")
    response = await worker_client(host).get("/")
    assert len(await response.text()) == 36


async def test_isolates_keep_module_state_apart_but_share_bindings(flaresim, worker_client):
    host = flaresim.load_worker(FIXTURES / "counter_worker", isolates=2)
    client = worker_client(host)
    counts = [int((await (await client.get("/")).text()).split()[0]) for _ in range(4)]
    # Round-robin over two isolates, each with its own module-level counter.
    assert counts == [1, 1, 2, 2]


async def test_env_vars_reach_self_env_and_module_level_env(flaresim, worker_client):
    host = flaresim.load_worker(FIXTURES / "counter_worker", overrides={"GREETING": "hej"})
    text = await (await worker_client(host).get("/")).text()
    assert text.split()[1:3] == ["hej", "hej"]


async def test_named_entrypoints_are_exported_and_default_is_required(flaresim):
    host = flaresim.load_worker(FIXTURES / "counter_worker")
    assert set(host.isolates[0].entrypoints) == {"Default", "Helper"}


async def test_rpc_over_a_service_binding_converts_values_as_production(flaresim):
    from flaresim.runtime import ServiceBinding

    flaresim.load_worker(FIXTURES / "counter_worker")
    binding = ServiceBinding(flaresim, "counter-worker", None)
    result = await binding.add(2, 3)
    assert result == {"sum": 5, "none": None}
    assert result.sum == 5  # dicts come back with attribute access
    assert await binding.echo(3.0) == 3 and isinstance(await binding.echo(3.0), int)
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await binding.echo((1, 2))
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await binding.echo({"nested": [(1, 2)]})


async def test_an_exception_in_the_called_worker_arrives_as_a_js_error_with_its_traceback(flaresim):
    from pyodide.ffi import JsException

    from flaresim.runtime import ServiceBinding

    flaresim.load_worker(FIXTURES / "counter_worker")
    with pytest.raises(JsException, match="ValueError: callee broke"):
        await ServiceBinding(flaresim, "counter-worker", None).fail()


async def test_unknown_service_names_what_is_loaded(flaresim):
    from flaresim.runtime import ServiceBinding

    with pytest.raises(WorkerError, match="not running in flaresim"):
        await ServiceBinding(flaresim, "nope", None).fetch("http://x/")


def test_config_requires_the_python_workers_flag(tmp_path):
    (tmp_path / "wrangler.toml").write_text('name = "x"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-26"\n')
    with pytest.raises(ConfigurationError, match="python_workers"):
        load_worker_config(tmp_path)


def test_process_environment_overrides_vars_and_secrets(tmp_path):
    (tmp_path / "wrangler.toml").write_text(
        'name = "x"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-26"\n'
        'compatibility_flags = ["python_workers"]\n[vars]\nA = "from-toml"\n'
    )
    (tmp_path / ".dev.vars").write_text('B="from-dev-vars"\n')
    config = load_worker_config(tmp_path, {"A": "from-env", "B": "env-secret"})
    assert config.vars["A"] == "from-env"
    assert config.secrets["B"] == "env-secret"
    assert load_worker_config(tmp_path, {}).secrets["B"] == "from-dev-vars"


def test_naive_datetimes_cross_rpc_as_utc_whatever_the_machine_zone(monkeypatch):
    import datetime as dt
    import time

    from flaresim.rpc_values import transfer

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        moment = dt.datetime(2026, 1, 2, 3, 4, 5, 678000)
        assert transfer(moment) == moment
        aware = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        assert transfer(aware) == dt.datetime(2026, 1, 2, 1, 4, 5)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
