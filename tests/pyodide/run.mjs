// The Pyodide tier: our Workers under real Pyodide 0.28.2 (Python 3.13) with the real
// workers-runtime-sdk, the closest this machine gets to workerd. Run by `make test-pyodide`:
//
//   node --experimental-wasm-stack-switching tests/pyodide/run.mjs build/pyodide/plan.json [phase ...]
//
// Phases (all by default): selftest (the harness still catches boundary violations), import (each
// Worker's main module loads under workerd's rules and exports what wrangler.toml expects), pytest
// (flarekit's pure unit tests), smoke (requests through each Worker: tests/pyodide/smoke/*.mjs).
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { clearRoutes, installOutbound } from "./lib/outbound.mjs";
import { importChecks } from "./lib/import_checks.mjs";
import { runFlarekitTests } from "./lib/pytest_runner.mjs";
import { Report } from "./lib/report.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PHASES = ["selftest", "import", "pytest", "smoke"];

const PYODIDE_VERSION = "0.28.2"; // what Python Workers run for Python 3.13

function preflight(root) {
  const installed = JSON.parse(readFileSync(path.join(root, "node_modules", "pyodide", "package.json"), "utf8")).version;
  if (installed !== PYODIDE_VERSION) {
    throw new Error(`node_modules/pyodide is ${installed}, production runs ${PYODIDE_VERSION}: run npm ci`);
  }
  // workerd's Python 3.13 runtime has JSPI (pyodide.ffi.run_sync works); Node 20 has it behind a flag.
  if (typeof WebAssembly.Suspender !== "function" && typeof WebAssembly.Suspending !== "function") {
    throw new Error("JSPI is unavailable: run Node 20 with --experimental-wasm-stack-switching (make test-pyodide does)");
  }
}

/** Run the cases of one module (`cases`, optional `setup(context)` returning extra context, `teardown`). */
async function runCaseModule(report, phase, file, plan) {
  const module = await import(pathToFileURL(file).href);
  const label = path.basename(file, ".mjs");
  let context = { plan };
  let setupOk = await report.check(phase, `${label}: setup`, async () => {
    context = { plan, ...((await module.setup?.({ plan })) ?? {}) };
  });
  if (!setupOk) return;
  try {
    for (const testCase of module.cases) {
      await report.check(phase, `${label}: ${testCase.name}`, async () => {
        await testCase.run(context).catch(async (error) => {
          throw withWorkerLogs(error, await context.world?.logs());
        });
        const failures = (await context.world?.settle()) ?? [];
        if (failures.length) throw new Error(`waitUntil work failed:\n${failures.map((f) => f?.message ?? f).join("\n")}`);
      });
    }
  } finally {
    await module.teardown?.(context);
    clearRoutes();
  }
}

function withWorkerLogs(error, logs) {
  if (!logs) return error;
  const text = error?.message?.includes("Traceback") ? error.message : (error?.stack ?? String(error));
  return new Error(`${text}\n-- what the Workers printed (last lines) --\n${logs}`);
}

function caseFiles(dir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".mjs"))
    .sort()
    .map((name) => path.join(dir, name));
}

async function main() {
  const [planPath, ...asked] = process.argv.slice(2);
  if (!planPath) throw new Error("usage: run.mjs PLAN.json [phase ...]");
  const plan = JSON.parse(readFileSync(planPath, "utf8"));
  const phases = asked.length ? asked : PHASES;
  for (const phase of phases) if (!PHASES.includes(phase)) throw new Error(`unknown phase ${phase} (one of ${PHASES})`);
  preflight(plan.root);
  installOutbound();
  const report = new Report();
  for (const phase of phases) {
    console.log(`== ${phase}`);
    if (phase === "selftest") for (const file of caseFiles(path.join(HERE, "selftest"))) await runCaseModule(report, phase, file, plan);
    if (phase === "import") await importChecks(report, plan);
    if (phase === "pytest") await runFlarekitTests(report, plan);
    if (phase === "smoke") for (const file of caseFiles(path.join(HERE, "smoke"))) await runCaseModule(report, phase, file, plan);
  }
  return report.finish();
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`pyodide tier could not run: ${error?.stack ?? error}`);
    process.exit(2);
  },
);
