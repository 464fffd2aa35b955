"""opentelemetry-api, vendored in python_modules/, imports at a Worker's top level under flaresim as
on workerd: its import-time UUIDs are allowed (the SDK special-cases those modules), each isolate
gets its own copy, and any other import-time entropy still fails."""

from __future__ import annotations

import pytest
from monitoring_workers import worker_copy

from flaresim.runtime import WorkerError


async def test_opentelemetry_imports_in_each_isolate_from_python_modules(
    flaresim, worker_client, tmp_path, vendored_wheels
):
    host = flaresim.load_worker(worker_copy("otel_import", tmp_path, vendored_wheels), isolates=2)
    client = worker_client(host)
    answers = [await (await client.get("/")).json() for _ in range(2)]
    assert [a["module"] for a in answers] == ["otel-import#0:opentelemetry.trace", "otel-import#1:opentelemetry.trace"]
    assert all("/python_modules/opentelemetry/trace/" in a["file"] for a in answers)
    assert all(a["key"] == "per-request" and a["baggage"] and not a["recording"] for a in answers)


async def test_other_import_time_entropy_still_fails(flaresim, tmp_path, vendored_wheels):
    directory = worker_copy("otel_import", tmp_path, vendored_wheels)
    entry = directory / "src" / "entry.py"
    entry.write_text(
        entry.read_text().replace(
            "import opentelemetry.trace\n", "import opentelemetry.trace\nimport uuid\nuuid.uuid4()\n"
        )
    )
    with pytest.raises((OSError, RuntimeError, WorkerError), match="entropy"):
        flaresim.load_worker(directory)
