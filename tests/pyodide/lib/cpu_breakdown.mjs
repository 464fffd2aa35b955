// Where the main thread's time goes while some requests run: V8's sampling CPU profiler (through
// node:inspector) over the run, each sample's leaf function put in a category. Python executes as
// WebAssembly (the CPython interpreter compiled into pyodide.asm.wasm), so "Python" is our code,
// the SDK and the stdlib together; Pyodide's JS glue (proxies, to_js/to_py, calls across) is
// pyodide.asm.js, and `promisingApply` in it is JSPI's stack switching (Node 20's experimental
// implementation allocates a fresh stack per promising call: --wasm-stack-switching-stack-size,
// 984 KB by default); the rest is this harness's JS fakes, sql.js (a second WebAssembly module,
// told apart by the JS that called into it), Node's own work (fetch, the local servers' HTTP), the
// garbage collector and idle time (waiting for the event loop or a socket).
import { Session } from "node:inspector/promises";

export const PYTHON = "Python: our code, the SDK, the stdlib (WebAssembly)";
export const JSPI = "JSPI stack switching (promisingApply)";
export const GLUE = "Pyodide JS glue: proxies, conversions, calls across";
export const SQLJS = "sql.js (the harness's SQLite)";
export const HARNESS = "harness JS (tests/pyodide/lib: KV, Durable Objects, RPC, servers)";
export const GC = "garbage collector";
export const IDLE = "idle (waiting for the event loop or a socket)";
export const NODE = "Node internals (fetch, HTTP, streams, timers)";
export const OTHER = "V8 other";
export const CATEGORY_NAMES = [PYTHON, JSPI, GLUE, SQLJS, HARNESS, GC, IDLE, NODE, OTHER];

const isWasm = (frame) => frame.url.startsWith("wasm://") || /^(wasm-function|js-to-wasm|wasm-to-js)/.test(frame.functionName);

function direct(frame) {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return GC;
  if (functionName === "(idle)") return IDLE;
  if (functionName === "(program)" || functionName === "(root)") return OTHER;
  if (functionName === "promisingApply") return JSPI;
  if (url.includes("sql-wasm") || url.includes("/sql.js/")) return SQLJS;
  if (url.includes("/pyodide/")) return GLUE;
  if (url.includes("/tests/pyodide/")) return HARNESS;
  if (url.startsWith("node:") || url === "") return NODE;
  return OTHER;
}

/** Categories by profile node id: a WebAssembly frame belongs to the module its nearest JS caller is in. */
function categories(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map();
  const of = (id) => {
    if (memo.has(id)) return memo.get(id);
    const frame = nodes.get(id).callFrame;
    let category;
    if (!isWasm(frame)) category = direct(frame);
    else {
      let up = parent.get(id);
      while (up !== undefined && isWasm(nodes.get(up).callFrame)) up = parent.get(up);
      category = up !== undefined && direct(nodes.get(up).callFrame) === SQLJS ? SQLJS : PYTHON;
    }
    memo.set(id, category);
    return category;
  };
  return of;
}

/**
 * One profile over many requests: `await profiler.run(work)` for each (only the time inside `run`
 * is counted: a request's waitUntil work and the driver's own time between requests are not), then
 * `await profiler.stop()` for {wallMs, ms: {category: ms}}. The profiler runs throughout (starting
 * and stopping it per request would cost more than the requests); sample times are mapped onto
 * performance.now() from the moment it started.
 */
export async function startProfiler(intervalUs = 100) {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
  const windows = [];
  const before = performance.now();
  await session.post("Profiler.start");
  const origin = (before + performance.now()) / 2; // performance.now() at the profile's startTime
  return {
    async run(work) {
      const started = performance.now();
      try {
        return await work();
      } finally {
        windows.push([started, performance.now()]);
      }
    },
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      const categoryOf = categories(profile);
      const ms = Object.fromEntries(CATEGORY_NAMES.map((name) => [name, 0]));
      // A sample stands for the time until the next one; it counts if it falls inside a window.
      let w = 0;
      let at = profile.startTime;
      const times = profile.timeDeltas.map((delta) => (at += delta));
      for (let i = 0; i < profile.samples.length; i++) {
        const when = origin + (times[i] - profile.startTime) / 1000;
        const until = i + 1 < times.length ? origin + (times[i + 1] - profile.startTime) / 1000 : when;
        while (w < windows.length && windows[w][1] < when) w++;
        if (w === windows.length) break;
        const [from, to] = windows[w];
        const inside = Math.min(until, to) - Math.max(when, from);
        if (inside > 0) ms[categoryOf(profile.samples[i])] += inside;
      }
      return { wallMs: windows.reduce((sum, [from, to]) => sum + (to - from), 0), ms };
    },
  };
}
