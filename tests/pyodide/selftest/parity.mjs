// flaresim and Pyodide must agree: the probes of fixtures/parity_probe run on both (flaresim through
// scripts/pyodide_parity.py, in the project's venv) and every difference fails the tier, unless it
// is listed in KNOWN below, which mirrors the "Known differences" list in docs/local-dev.md. Fix the
// difference in flaresim (with a regression test in tests/flaresim/test_pyodide_parity.py), then
// remove its line here and in the docs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { send } from "../lib/driver.mjs";
import { World } from "../lib/world.mjs";

const PROBES = ["/request", "/kv", "/response"];

const LOAD_FAILURES = ["uuid-at-import", "random-at-import"];

// "probe path.to.field": why it differs (and who fixes it).
const KNOWN = {};

function differences(pyodide, flaresim, where = "") {
  if (JSON.stringify(pyodide) === JSON.stringify(flaresim)) return [];
  const bothObjects = [pyodide, flaresim].every((v) => v && typeof v === "object" && !Array.isArray(v));
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(pyodide), ...Object.keys(flaresim)])].sort();
    return keys.flatMap((key) => differences(pyodide[key], flaresim[key], where ? `${where}.${key}` : key));
  }
  const bothArrays = Array.isArray(pyodide) && Array.isArray(flaresim) && pyodide.length === flaresim.length;
  if (bothArrays) return pyodide.flatMap((v, i) => differences(v, flaresim[i], `${where}.${i}`));
  return [{ where, pyodide, flaresim }];
}

function failIfDifferent(probe, pyodide, flaresim) {
  const found = differences(pyodide, flaresim).filter((d) => !(`${probe} ${d.where}` in KNOWN));
  if (found.length) {
    const lines = found.map((d) => `  ${probe} ${d.where}: Pyodide ${JSON.stringify(d.pyodide)} / flaresim ${JSON.stringify(d.flaresim)}`);
    throw new Error(`flaresim differs from Pyodide:\n${lines.join("\n")}`);
  }
}

/** The Python exception a WorkerLoadError reports: the last "Type: message" line of the traceback. */
function pythonError(message) {
  const traceback = message.split("\n-- output --")[0].split("\n");
  const line = traceback.reverse().find((l) => /^[A-Za-z_][\w.]*: /.test(l));
  const [, type, text] = line.match(/^([\w.]+): (.*)$/);
  return { type: type.split(".").pop(), message: text };
}

export function setup({ plan }) {
  const fixture = (name) => plan.fixtures.find((f) => f.name === name);
  const python = path.join(plan.root, ".venv", "bin", "python");
  const script = path.join(plan.root, "scripts", "pyodide_parity.py");
  const run = (...args) => JSON.parse(execFileSync(python, [script, ...args], { encoding: "utf8" }));
  const flaresim = run(fixture("parity-probe").dir, ...PROBES);
  for (const name of LOAD_FAILURES) flaresim[`load ${name}`] = run("--load", fixture(name).dir);
  return { world: new World(plan.fixtures), flaresim };
}

const loadCases = LOAD_FAILURES.map((name) => ({
  name: `flaresim and Pyodide refuse ${name} alike`,
  async run({ plan, flaresim }) {
    let error;
    await new World(plan.fixtures).worker(name).catch((e) => (error = e));
    assert.ok(error, `${name} loaded under Pyodide`);
    failIfDifferent(`load ${name}`, pythonError(error.message), flaresim[`load ${name}`]);
  },
}));

export const cases = [...loadCases, ...PROBES.map((probe) => ({
  name: `flaresim and Pyodide agree on ${probe}`,
  async run({ world, flaresim }) {
    const answer = await send(world, "parity-probe", probe, { headers: { "x-probe": "yes" } });
    assert.equal(answer.status, 200, answer.text);
    failIfDifferent(probe, answer.json, flaresim[probe].body);
  },
}))];
