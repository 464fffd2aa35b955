#!/usr/bin/env python3
"""Per-request CPU of monitoring: what a Worker spends to observe one request (step by step, and end
to end on the real AI proxy: `bench/monitoring_overhead.py`), what the MetricsAggregator spends to
count it, what rendering /metrics and /api/stats costs, and the same pure steps and the import of
opentelemetry-api under Pyodide 0.28.2 (`bench/monitoring_pyodide.mjs`, Node).

Writes its section of docs/performance.md.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Keep bench/ off the path: bench/flaresim.py would shadow the flaresim package.
sys.path[:] = [str(ROOT / "shared" / "flarekit")] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import flaresim  # noqa: E402, F401 - installs the workers/js shims

_spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

from opentelemetry import trace  # noqa: E402

from flarekit.metrics import prometheus  # noqa: E402
from flarekit.metrics.observation import Observation  # noqa: E402
from flarekit.metrics.record import parse_record  # noqa: E402
from flarekit.metrics.rollup_store import RollupStore  # noqa: E402
from flarekit.metrics.stats import WINDOWS, build_stats  # noqa: E402
from flarekit.tracing import otlp_json, otlp_proto  # noqa: E402
from flarekit.tracing.propagation import extract, inject  # noqa: E402
from flarekit.tracing.provider import TracerProvider  # noqa: E402
from flarekit.tracing.sampling import sampler  # noqa: E402
from flarekit.tracing.semconv import (  # noqa: E402
    end_genai_span,
    end_http_server_span,
    start_genai_span,
    start_http_server_span,
)

T0 = 1_790_000_000.0
HEADERS = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "user-agent": "openai-python/3"}


class Sql:
    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", isolation_level=None)
        self.db.row_factory = sqlite3.Row

    def exec(self, query: str, *params: Any) -> Any:
        rows = [dict(r) for r in self.db.execute(query, params).fetchall()]
        return type("Cursor", (), {"toArray": lambda self: rows})()


def per_call_us(fn, number: int) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


def observe_request(tracer) -> dict[str, Any]:
    """What the observer and the proxy do for one sampled chat completion, minus I/O."""
    obs = Observation(worker="ai-proxy", method="POST", started_ms=1_790_000_000_000)
    server = start_http_server_span(tracer, "POST", "https://proxy.example/v1/chat/completions", extract(HEADERS))
    with trace.use_span(server):
        genai = start_genai_span(tracer, operation="chat", provider="openai", request_model="gpt-4o-mini", stream=True)
        inject({}, genai.get_span_context())
        end_genai_span(genai, response_model="gpt-4o-mini", input_tokens=120, output_tokens=40, finish_reasons=["stop"])
    obs.set(route="/v1/chat/completions", status=200, model="gpt-4o-mini", provider="openai", key="team-a", cache="miss",
            input_tokens=120, output_tokens=40, cost_usd=0.000042, ttfb_ms=180.0)  # fmt: skip
    obs.attempt("openai", "ok", 230.0)
    end_http_server_span(server, 200, "/v1/chat/completions")
    return obs.to_record(1_790_000_000_250)


def pyodide_rows() -> list[list[str]]:
    """The pure per-request steps again under Pyodide 0.28.2 in Node (skipped, and said so, without Node)."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "pyodide").is_dir():
        return [["(Pyodide figures need Node and `npm ci`)", ""]]
    spec = importlib.util.spec_from_file_location("vendor", ROOT / "scripts" / "vendor.py")
    vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor)
    wheels = vendor.download_wheels(["opentelemetry-api==1.45.2"])[0].parent
    out = subprocess.run(
        ["node", str(BENCH / "monitoring_pyodide.mjs"), str(wheels), str(ROOT / "shared" / "flarekit" / "flarekit")],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return [
        ["Pyodide: observe one request, sampled", f"{figures['observe_us']:.0f} µs"],
        ["Pyodide: OTLP JSON encode (2 spans)", f"{figures['otlp_json_us']:.0f} µs"],
        ["Pyodide: OTLP protobuf encode (2 spans)", f"{figures['otlp_proto_us']:.0f} µs"],
        ["Pyodide: one record as JSON text (what crosses RPC)", f"{figures['record_json_us']:.0f} µs"],
        ["Pyodide: validate one record", f"{figures['parse_record_us']:.0f} µs"],
        ["Pyodide: `import opentelemetry.trace`, fresh interpreter", f"{figures['import_alone_ms']} ms"],
        ["Pyodide: the same after the stdlib a Worker imports anyway", f"{figures['import_after_stdlib_ms']} ms"],
    ]


def overhead_rows(requests: int = 1500) -> list[list[str]]:
    """The real proxy's CPU per request in flaresim, with and without its Observer."""
    spec = importlib.util.spec_from_file_location("monitoring_overhead", BENCH / "monitoring_overhead.py")
    overhead = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(overhead)
    cpu = asyncio.run(overhead.measure(requests))
    base = cpu["bypassed"]
    return [
        ["proxy request end to end, Observer bypassed (flaresim, CPython)", f"{base:.0f} µs"],
        ["  observed, sampled (as deployed)", f"{cpu['sampled']:.0f} µs (+{cpu['sampled'] - base:.0f} µs)"],
        ["  observed, not sampled", f"{cpu['not sampled']:.0f} µs (+{cpu['not sampled'] - base:.0f} µs)"],
    ]


def main() -> None:
    tracer = TracerProvider(sampler("parentbased_traceidratio", 1.0), {"service.name": "ai-proxy"}, clock=lambda: T0)
    tracer = tracer.get_tracer("flarekit", "0.1.0")
    unsampled = TracerProvider(sampler("traceidratio", 0.0), {}, clock=lambda: T0).get_tracer("flarekit")
    record = observe_request(tracer)
    server = start_http_server_span(tracer, "POST", "https://proxy.example/v1/chat/completions", None)
    with trace.use_span(server):
        end_genai_span(start_genai_span(tracer, operation="chat", provider="openai", request_model="m"), input_tokens=1)
    end_http_server_span(server, 200, "/v1/chat/completions")
    spans = server.buffer.spans
    resource = {"service.name": "ai-proxy", "service.version": "0.1.0", "cloud.provider": "cloudflare"}

    store = RollupStore(Sql())
    counter = iter(range(10**9))

    def apply() -> None:
        n = next(counter)
        r = dict(record, ts=1_790_000_000_000 + n * 37, key=f"key-{n % 20}", model=f"model-{n % 5}")
        store.apply(parse_record(r))

    per_apply = per_call_us(apply, 2000)
    window = WINDOWS["1h"]
    since = window.since(T0 + 3600)
    rows = [
        ["observe one request (server + GenAI span, record), sampled", f"{per_call_us(lambda: observe_request(tracer), 2000):.1f} µs"],
        ["observe one request, not sampled", f"{per_call_us(lambda: observe_request(unsampled), 2000):.1f} µs"],
        ["traceparent extract", f"{per_call_us(lambda: extract(HEADERS), 20000):.1f} µs"],
        ["OTLP JSON encode (2 spans)", f"{per_call_us(lambda: otlp_json.encode(resource, spans), 5000):.1f} µs"],
        ["OTLP protobuf encode (2 spans)", f"{per_call_us(lambda: otlp_proto.encode(resource, spans), 5000):.1f} µs"],
        ["aggregator: validate and count one record (SQLite)", f"{per_apply:.1f} µs (~{1e6 / per_apply:,.0f} records/s)"],
        ["/metrics render (100 label sets)", f"{per_call_us(lambda: prometheus.render(store.totals()), 20) / 1000:.2f} ms"],
        ["/api/stats?window=1h build", f"{per_call_us(lambda: build_stats(window, T0 + 3600, store.window('m', since), store.timeline('m', since, 60)), 20) / 1000:.2f} ms"],
    ]  # fmt: skip
    rows += overhead_rows()
    rows += pyodide_rows()
    body = report.table(["step", "CPU per call"], rows)
    body += (
        "\n\nEnd to end, the real proxy answers sequential chat completions from an upstream without delay "
        "(cache off, no per-key limits), its telemetry binding a stand-in that does no work; CPU of the whole "
        "process per request, `waitUntil` work included, best of 5 rounds. The difference is what monitoring adds: "
        "the server and GenAI spans, the record, and each request's share of the batched flush (one OTLP export "
        "and one `record_metrics` RPC per batch, a batch being what arrived within 20 ms), including flaresim's "
        "emulation of that RPC and fetch. Under Pyodide the pure steps cost 2-3x their CPython time (the observe, "
        "JSON and record lines): about 0.1 ms of Python per sampled request. What Python does not show is the "
        "SDK's side of each batch: one `waitUntil` (a Python coroutine made a JS promise, about 0.2 ms) and two "
        "binding calls; in the Pyodide tier harness an idle Worker, whose every request is its own batch, "
        "answers `GET /health` about 0.7 ms slower observed than with the Observer bypassed "
        "(`tests/pyodide/bench.mjs`, by hand). Under load a batch carries many requests and that share shrinks. The "
        "aggregator's line bounds one MetricsAggregator (one object serialises all records). JSON is the default "
        "over the binding because it encodes about 6x faster than the pure-Python protobuf. The import figures "
        "are paid once per deploy, not per request: workerd snapshots what the top level imports."
    )
    report.write_section("monitoring", "Monitoring: per-request cost (bench/monitoring.py)", body)


if __name__ == "__main__":
    main()
