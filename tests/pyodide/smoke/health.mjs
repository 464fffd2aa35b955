// Every Worker answers GET /health with its name and version.
import assert from "node:assert/strict";
import { makeRequest, send } from "../lib/driver.mjs";
import { World } from "../lib/world.mjs";

export function setup({ plan }) {
  return { world: new World(plan.workers) };
}

export const cases = [
  {
    name: "GET /health answers 200 with the Worker's name on every Worker",
    async run({ plan, world }) {
      for (const worker of plan.workers) {
        const response = await send(world, worker.name, "/health");
        assert.equal(response.status, 200, `${worker.name}: ${response.text}`);
        assert.equal(response.headers.get("content-type"), "application/json");
        assert.equal(response.json.status, "ok");
        assert.equal(response.json.worker, worker.name);
      }
    },
  },
  {
    name: "an unknown path answers 404 in the Worker's error format",
    async run({ plan, world }) {
      for (const worker of plan.workers) {
        const response = await send(world, worker.name, "/no-such-route", { method: "POST", body: "x" });
        assert.equal(response.status, 404, `${worker.name}: ${response.text}`);
      }
    },
  },
];

// Rows of the per-request benchmark (tests/pyodide/bench.mjs, bench/pyodide.py).
export const bench = ["ai-proxy", "telemetry", "telegram-bot"].map((worker) => ({
  name: `GET /health (${worker})`,
  worker,
  request: () => makeRequest(worker, "/health"),
}));
