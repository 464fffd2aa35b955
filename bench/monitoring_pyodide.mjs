// Per-request CPU of monitoring under Pyodide 0.28.2 (what production runs), for bench/monitoring.py.
// Usage: node bench/monitoring_pyodide.mjs WHEEL_DIR FLAREKIT_DIR  -> one JSON line of microseconds.
// Only the pure parts run here (no workers SDK): observing a request, encoding its spans, reading a record,
// and what importing opentelemetry-api costs at a Worker's start (fresh interpreters, one per figure).
import { loadPyodide } from "pyodide";
import fs from "node:fs";
import path from "node:path";

const [WHEELS, FLAREKIT] = process.argv.slice(2);
async function interpreter() {
  const py = await loadPyodide();
  for (const w of fs.readdirSync(WHEELS).filter((name) => name.endsWith(".whl"))) py.unpackArchive(new Uint8Array(fs.readFileSync(WHEELS + "/" + w)), "wheel");
  return py;
}
// Import cost: alone (the stdlib it pulls in included), then after the stdlib a Worker imports anyway.
const STDLIB = "import asyncio, contextlib, contextvars, dataclasses, enum, inspect, json, logging, os, re, threading, typing, urllib.parse, uuid";
const importMs = [];
for (const before of ["", STDLIB]) {
  const fresh = await interpreter();
  fresh.runPython(before);
  importMs.push(fresh.runPython("import time\nt = time.perf_counter()\nimport opentelemetry.trace\n(time.perf_counter() - t) * 1000"));
}
const py = await interpreter();
function copy(src, dst) {
  py.FS.mkdirTree(dst);
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    if (e.name === "__pycache__") continue;
    const s = path.join(src, e.name), d = dst + "/" + e.name;
    if (e.isDirectory()) copy(s, d); else py.FS.writeFile(d, fs.readFileSync(s));
  }
}
copy(FLAREKIT, "/lib/fk/flarekit");
const out = py.runPython(`
import sys, time, json
sys.path.insert(0, "/lib/fk")
from opentelemetry import trace
from flarekit.metrics.observation import Observation
from flarekit.metrics.record import parse_record
from flarekit.tracing import otlp_json, otlp_proto
from flarekit.tracing.propagation import extract, inject
from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.sampling import sampler
from flarekit.tracing.semconv import end_genai_span, end_http_server_span, start_genai_span, start_http_server_span
HEADERS = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
tracer = TracerProvider(sampler("parentbased_traceidratio", 1.0), {"service.name": "ai-proxy"}, clock=lambda: 1790000000.0).get_tracer("flarekit")
def observe():
    obs = Observation(worker="ai-proxy", method="POST", started_ms=1790000000000)
    server = start_http_server_span(tracer, "POST", "https://proxy.example/v1/chat/completions", extract(HEADERS))
    with trace.use_span(server):
        g = start_genai_span(tracer, operation="chat", provider="openai", request_model="gpt-4o-mini", stream=True)
        inject({}, g.get_span_context())
        end_genai_span(g, response_model="gpt-4o-mini", input_tokens=120, output_tokens=40, finish_reasons=["stop"])
    obs.set(route="/v1/chat/completions", status=200, model="gpt-4o-mini", provider="openai", key="team-a", cache="miss", input_tokens=120, output_tokens=40, cost_usd=0.000042, ttfb_ms=180.0)
    obs.attempt("openai", "ok", 230.0)
    end_http_server_span(server, 200, "/v1/chat/completions")
    return server, obs.to_record(1790000000250)
def per(fn, n):
    for _ in range(50): fn()
    t = time.perf_counter()
    for _ in range(n): fn()
    return (time.perf_counter() - t) / n * 1e6
server, record = observe()
spans = server.buffer.spans
res = {"service.name": "ai-proxy"}
json.dumps({
  "observe_us": round(per(observe, 2000), 1),
  "otlp_json_us": round(per(lambda: otlp_json.encode(res, spans), 2000), 1),
  "otlp_proto_us": round(per(lambda: otlp_proto.encode(res, spans), 2000), 1),
  "parse_record_us": round(per(lambda: parse_record(record), 2000), 1),
  "record_json_us": round(per(lambda: json.dumps([record], separators=(",", ":")), 2000), 1),
})
`);
const figures = JSON.parse(out);
figures.import_alone_ms = Math.round(importMs[0]);
figures.import_after_stdlib_ms = Math.round(importMs[1]);
console.log(JSON.stringify(figures));
