// The telemetry Worker: a batch of 1,000 events stored in the JS KV namespace (the SDK's KV wrapper
// converting every call), its status, a replay of the same batch id, and a query over its time range
// returning every event in order.
import assert from "node:assert/strict";
import { makeRequest, send } from "../lib/driver.mjs";
import { World } from "../lib/world.mjs";

// TELEMETRY_INGEST_TOKEN / TELEMETRY_QUERY_TOKEN in workers/telemetry/.dev.vars.example
const INGEST = { authorization: "Bearer ingest-dev-token" };
const QUERY = { authorization: "Bearer query-dev-token" };
const START = Date.UTC(2026, 4, 1); // the events' own timestamps; the query range is in the past

// A request record as the AI proxy sends them (bench/telemetry.py sends the same shape).
function aiRequest(i, at) {
  return {
    event_type: "ai.request",
    timestamp: at + i,
    data: {
      time: at + i,
      key_name: "team-a",
      route: "/v1/chat/completions",
      model_alias: "gpt-4o",
      provider: "openai",
      status: 200,
      latency_ms: 812.5,
      input_tokens: 1200,
      output_tokens: 350,
      cost_usd: 0.0123,
      cache: "miss",
      error_type: null,
      seq: i,
    },
  };
}

const batchOf = (count, at, batchId) => ({ ...(batchId ? { batch_id: batchId } : {}), events: Array.from({ length: count }, (_, i) => aiRequest(i, at)) });

/** The Map behind the Worker's TELEMETRY namespace. */
function telemetryKv(world) {
  const { id } = world.plans.get("telemetry").kv_namespaces.find((kv) => kv.binding === "TELEMETRY");
  return world.kvEntries(id);
}

export function setup({ plan }) {
  return { world: new World(plan.workers) };
}

export const cases = [
  {
    name: "a batch of 1,000 events is accepted and stored in a few KV values, not one per event",
    async run({ world }) {
      const response = await send(world, "telemetry", "/api/telemetry/batch", { json: batchOf(1000, START, "smoke-1"), headers: INGEST });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json, { batch_id: "smoke-1", status: "completed", accepted: 1000, rejected: 0, errors: [] });
      const entries = telemetryKv(world);
      const chunks = [...entries.keys()].filter((key) => key.startsWith("telemetry:"));
      assert.ok(chunks.length >= 1 && chunks.length <= 4, `chunk writes: ${chunks}`);
      assert.ok(entries.has("batch:smoke-1"), "the batch outcome was not recorded");
      assert.ok(entries.has("batchrun:smoke-1"), "the batch was not marked as processing while it ran");
    },
  },
  {
    name: "the batch's status reads completed with its counts",
    async run({ world }) {
      const response = await send(world, "telemetry", "/api/telemetry/batch/smoke-1", { headers: QUERY });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json.status, "completed");
      assert.equal(response.json.accepted, 1000);
      assert.equal(response.json.events, 1000);
    },
  },
  {
    name: "the same batch id again answers its stored result without storing the events twice",
    async run({ world }) {
      const entries = telemetryKv(world);
      const before = entries.size;
      const response = await send(world, "telemetry", "/api/telemetry/batch", { json: batchOf(1000, START, "smoke-1"), headers: INGEST });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json.replayed, true);
      assert.equal(response.json.accepted, 1000);
      assert.equal(entries.size, before, "the replay wrote to KV");
    },
  },
  {
    name: "a query over the batch's range returns every event, oldest first, page by page",
    async run({ world }) {
      const seen = [];
      let cursor;
      for (let page = 0; page < 5; page++) {
        const params = new URLSearchParams({ start: String(START), end: String(START + 999), event_type: "ai.request", limit: "400" });
        if (cursor) params.set("cursor", cursor);
        const response = await send(world, "telemetry", `/api/telemetry/query?${params}`, { headers: QUERY });
        assert.equal(response.status, 200, response.text);
        seen.push(...response.json.events);
        cursor = response.json.cursor;
        if (!cursor) break;
      }
      assert.equal(seen.length, 1000);
      assert.deepEqual(seen.map((e) => e.data.seq), Array.from({ length: 1000 }, (_, i) => i));
      assert.equal(seen[0].event_type, "ai.request");
      assert.equal(seen[0].data.error_type, null);
      assert.equal(typeof seen[0].id, "string");
    },
  },
  {
    name: "an unknown batch answers 404 and ingest without the token 401",
    async run({ world }) {
      assert.equal((await send(world, "telemetry", "/api/telemetry/batch/no-such-batch", { headers: QUERY })).status, 404);
      assert.equal((await send(world, "telemetry", "/api/telemetry/batch", { json: batchOf(1, START) })).status, 401);
    },
  },
];

let benchBatch = 0;

export const bench = [
  {
    name: "telemetry batch of 1,000 events (telemetry)",
    worker: "telemetry",
    // A new batch id and a new time range each time: every request really ingests and writes.
    request: () => {
      benchBatch += 1;
      return makeRequest("telemetry", "/api/telemetry/batch", { json: batchOf(1000, START + benchBatch * 10_000, `bench-${benchBatch}`), headers: INGEST });
    },
  },
];
