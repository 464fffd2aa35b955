// Where a bench row's time goes under Pyodide: runs one `bench` row of a smoke file (as bench.mjs
// does) and prints, per request: the wall time; the main thread's time by category from V8's
// sampling profiler (lib/cpu_breakdown.mjs: Python, JSPI stack switching, Pyodide's JS glue, sql.js,
// this harness's JS, GC, Node, idle); then, unless `sort` is "none", the row again with cProfile on
// in every interpreter of the scenario: each interpreter's Python time and top functions.
//
//   node --experimental-wasm-stack-switching tests/pyodide/profile.mjs PLAN.json SMOKE_FILE "ROW NAME" [requests] [sort]
//
// e.g. `... profile.mjs build/pyodide/plan.json ai_proxy "chat completion, cache hit (ai-proxy)" 300 tottime`.
// cProfile slows Python down (about 2x here), so read it for proportions, not times.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CATEGORY_NAMES, startProfiler } from "./lib/cpu_breakdown.mjs";
import { installOutbound } from "./lib/outbound.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const PROFILER = `
import cProfile, io, pstats, time
_pyodide_tier_profile = {"profile": cProfile.Profile(time.perf_counter)}
`;

/** Run `count` requests of a row as bench.mjs does; `around(call)` may wrap each call (the profiler). */
async function timed(handle, entry, context, count, offset, around = (call) => call()) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const [method, ...args] = entry.rpc ? entry.rpc(context, offset + i) : ["fetch", entry.request(context, offset + i)];
    const started = performance.now();
    const response = await around(() => handle.call("Default", method, args));
    times.push(performance.now() - started);
    if (response instanceof Response) await response.arrayBuffer();
    await context.world.settle();
  }
  return times;
}

async function main() {
  const [planPath, smokeFile, rowName, count = "300", sort = "tottime"] = process.argv.slice(2);
  if (!rowName) throw new Error('usage: profile.mjs PLAN.json SMOKE_FILE "ROW NAME" [requests] [sort]');
  const plan = JSON.parse(readFileSync(planPath, "utf8"));
  installOutbound();
  const module = await import(pathToFileURL(path.join(HERE, "smoke", `${smokeFile.replace(/\.mjs$/, "")}.mjs`)).href);
  const entry = module.bench?.find((row) => row.name === rowName);
  if (!entry) throw new Error(`no bench row ${JSON.stringify(rowName)} in ${smokeFile} (rows: ${module.bench?.map((r) => r.name)})`);
  const context = { plan, ...((await module.setup?.({ plan })) ?? {}) };
  try {
    const handle = await context.world.worker(entry.worker);
    await entry.prepare?.(context);
    const n = Number(count);
    await timed(handle, entry, context, 30, 0); // warm up (loads every Worker the row reaches)
    const plain = await timed(handle, entry, context, n, 30);
    const wall = median(plain);
    console.log(`${rowName}: wall per request, median of ${n}: ${wall.toFixed(3)} ms`);
    const profiler = await startProfiler();
    await timed(handle, entry, context, n, 30 + n, profiler.run);
    const { wallMs, ms } = await profiler.stop();
    console.log(`main thread under V8's sampling profiler, per request (the request only, not its waitUntil work; mean of ${n}, ${(wallMs / n).toFixed(3)} ms wall):`);
    for (const name of CATEGORY_NAMES) {
      if (ms[name] / wallMs >= 0.005) console.log(`  ${(ms[name] / n).toFixed(3).padStart(8)} ms  ${((100 * ms[name]) / wallMs).toFixed(0).padStart(3)}%  ${name}`);
    }
    if (sort === "none") return;
    const isolates = [];
    for (const [name, pending] of context.world.workers) {
      const { isolate } = await pending;
      isolate.pyodide.runPython(PROFILER);
      isolates.push([name, isolate]);
    }
    // On for the request only (as the breakdown above): its waitUntil work is left out.
    const toggles = isolates.map(([, isolate]) => [
      isolate.pyodide.runPython("_pyodide_tier_profile['profile'].enable"),
      isolate.pyodide.runPython("_pyodide_tier_profile['profile'].disable"),
    ]);
    const profiledCall = async (call) => {
      for (const [enable] of toggles) enable();
      try {
        return await call();
      } finally {
        for (const [, disable] of toggles) disable();
      }
    };
    const profiled = await timed(handle, entry, context, n, 30 + 2 * n, profiledCall);
    console.log(`with cProfile on (during each request, not its waitUntil work): ${median(profiled).toFixed(3)} ms wall per request`);
    for (const [name, isolate] of isolates) {
      const report = isolate.pyodide.runPython(`
_out = io.StringIO()
try:
    _stats = pstats.Stats(_pyodide_tier_profile["profile"], stream=_out)
except TypeError:  # nothing ran in this interpreter during the requests
    _stats = None
if _stats is None:
    _out.write(f"== {${JSON.stringify(name)}}: no Python ran during the requests\\n")
else:
    _python_ms = _stats.total_tt * 1000 / ${n}
    _out.write(f"== {${JSON.stringify(name)}}: Python {_python_ms:.3f} ms per request (under cProfile)\\n")
    # Own time by package: the Worker's package, flarekit, the SDK (workers), other vendored
    # packages, the stdlib (pyodide's webloop and asyncio apart), built-ins, this harness's helpers.
    _groups = {}
    for (_file, _line, _fn), (_cc, _nc, _tt, _ct, _callers) in _stats.stats.items():
        if _file.startswith("/session/metadata/python_modules/"):
            _key = _file.split("/")[4]
        elif _file.startswith("/session/metadata/"):
            _key = "worker: " + _file.split("/")[3].removesuffix(".py")
        elif _file.startswith("/lib/python313.zip/"):
            _mod = _file.split("/")[3].removesuffix(".py")
            _key = "stdlib: " + (_mod + "/" + _file.split("/")[4].removesuffix(".py") if _mod in ("pyodide", "_pyodide") else _mod)
        elif _file.startswith("/pyodide_tier/"):
            _key = "harness (workerd's entrypoint helper)"
        else:
            _key = "built-ins (C functions, JS calls)"
        _groups[_key] = _groups.get(_key, 0.0) + _tt
    _total = sum(_groups.values()) or 1.0
    for _key, _tt in sorted(_groups.items(), key=lambda kv: -kv[1])[:15]:
        _out.write(f"  {_tt * 1000 / ${n}:8.3f} ms {100 * _tt / _total:4.0f}%  {_key}\\n")
    _stats.sort_stats(${JSON.stringify(sort)}).print_stats(40)
_out.getvalue()`);
      console.log(report);
    }
  } finally {
    await module.teardown?.(context);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error?.stack ?? error);
    process.exit(1);
  },
);
