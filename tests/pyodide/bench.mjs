// Benchmarks of the Pyodide tier (driven by bench/pyodide.py, which writes docs/performance.md):
//  - cold import: a fresh interpreter per run, time to import each Worker's main module (the
//    start-up work workerd's snapshot saves at deploy time, a proxy for a cold start without it);
//  - per request: the median wall time and process CPU time of Default.fetch over N requests for
//    every `bench` entry the smoke files export (Python, the SDK's conversions, this harness's small
//    JS share; the CPU figure also counts local fake servers in this process; workerd's CPU time per
//    request is the production figure both approximate);
//  - where that time goes: up to 100 more requests per row under V8's sampling profiler, the main
//    thread's time per request by category (lib/cpu_breakdown.mjs).
//
//   node --experimental-wasm-stack-switching tests/pyodide/bench.mjs PLAN.json [requests] [import runs]
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startProfiler } from "./lib/cpu_breakdown.mjs";
import { installOutbound } from "./lib/outbound.mjs";
import { World } from "./lib/world.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function coldImports(plan, runs) {
  const rows = [];
  for (const worker of plan.workers) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const { isolate } = await new World([worker]).worker(worker.name);
      times.push(isolate.importMs);
    }
    rows.push({ worker: worker.name, median_ms: median(times), runs });
  }
  return rows;
}

async function requestBenches(plan, count) {
  const rows = [];
  for (const file of readdirSync(path.join(HERE, "smoke")).filter((f) => f.endsWith(".mjs")).sort()) {
    const module = await import(pathToFileURL(path.join(HERE, "smoke", file)).href);
    if (!module.bench?.length) continue;
    const context = { plan, ...((await module.setup?.({ plan })) ?? {}) };
    try {
      for (const entry of module.bench) {
        const handle = await context.world.worker(entry.worker);
        await entry.prepare?.(context);
        const times = [];
        const cpu = [];
        const profiled = Math.min(count, 100);
        let profiler; // started after the timed requests: sampling would slow them down
        for (let i = 0; i < count + 20 + profiled; i++) {
          // `request` rows go through Default.fetch; `rpc` rows ([method, ...args]) call Default's RPC method.
          const [method, ...args] = entry.rpc ? entry.rpc(context, i) : ["fetch", entry.request(context, i)];
          const call = () => handle.call("Default", method, args);
          if (i >= count + 20) {
            // The breakdown pass: the profiler counts the request's own time only.
            profiler ??= await startProfiler();
            const response = await profiler.run(call);
            if (response instanceof Response) await response.arrayBuffer();
            await context.world.settle();
            continue;
          }
          const cpuBefore = process.cpuUsage();
          const started = performance.now();
          const response = await call();
          const elapsed = performance.now() - started;
          const used = process.cpuUsage(cpuBefore);
          if (i >= 20) cpu.push((used.user + used.system) / 1000);
          if (response instanceof Response) await response.arrayBuffer();
          await context.world.settle(); // background work of this request must not overlap the next
          if (i >= 20) times.push(elapsed); // the first requests warm the isolate up
          if (response?.status >= 400) throw new Error(`${entry.name}: status ${response.status}`);
        }
        await context.world.settle();
        const { wallMs, ms } = await profiler.stop();
        const breakdown = { requests: profiled, wall_ms: wallMs / profiled, ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v / profiled])) };
        rows.push({ name: entry.name, worker: entry.worker, median_ms: median(times), median_cpu_ms: median(cpu), target_ms: entry.target_ms ?? null, requests: count, breakdown });
      }
    } finally {
      await module.teardown?.(context);
    }
  }
  return rows;
}

const [planPath, count = "300", runs = "3"] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, "utf8"));
installOutbound();
const imports = await coldImports(plan, Number(runs));
const requests = await requestBenches(plan, Number(count));
console.log(JSON.stringify({ imports, requests }));
process.exit(0);
