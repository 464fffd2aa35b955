// flarekit's Durable Objects (RateLimiter, Conversation, UsageLedger) under the real SDK, hosted by
// tests/fixtures/flarekit_host: its Default entrypoint calls them through stubs and flarekit's
// clients exactly as our Workers do, so every argument and result crosses the SDK's conversions
// twice (Worker -> object -> Worker) and the objects' SQL runs on sql.js.
import assert from "node:assert/strict";
import { World } from "../lib/world.mjs";

const HOST = "flarekit-host";
const rpm = (limit, algorithm = "sliding_window") => ({ name: "requests_per_minute", limit, window: 60, unit: "requests", algorithm });
const tpm = (limit) => ({ name: "tokens_per_minute", limit, window: 60, unit: "tokens", algorithm: "token_bucket" });

export function setup({ plan }) {
  return { world: new World(plan.hosts) };
}

async function rpc(world, method, ...args) {
  const handle = await world.worker(HOST);
  return handle.call("Default", method, args);
}

const limit = (world, subject, limits, cost, binding = "RATE_LIMITER") => rpc(world, "limit", binding, false, subject, limits, cost);
const call = (world, binding, name, method, ...args) => rpc(world, "call", binding, name, method, args);

export const cases = [
  {
    name: "RateLimiter: exactly the limit passes among 60 concurrent callers, each seeing a distinct count",
    async run({ world }) {
      const results = await Promise.all(Array.from({ length: 60 }, () => limit(world, "key:hot", [rpm(37)], { requests: 1 })));
      const allowed = results.filter((r) => r.allowed);
      assert.equal(allowed.length, 37);
      assert.deepEqual(new Set(results.map((r) => r.mode)), new Set(["exact"]));
      assert.deepEqual(allowed.map((r) => r.limits[0].remaining).sort((a, b) => a - b), Array.from({ length: 37 }, (_, i) => i));
      const refused = results.find((r) => !r.allowed);
      assert.equal(refused.headers["x-ratelimit-remaining-requests"], "0");
      assert.ok(Number(refused.headers["retry-after"]) >= 1);
      const stats = await call(world, "RATE_LIMITER", "key:hot", "stats");
      assert.deepEqual(stats.rejections, { requests_per_minute: 23 });
    },
  },
  {
    name: "RateLimiter: requests and tokens are taken together, all or nothing, and charges go past the limit",
    async run({ world }) {
      const limits = [rpm(10), tpm(1000)];
      const ok = await limit(world, "key:tokens", limits, { requests: 1, tokens: 900 });
      assert.equal(ok.allowed, true);
      assert.equal(ok.headers["x-ratelimit-remaining-tokens"], "100");
      const refused = await limit(world, "key:tokens", limits, { requests: 1, tokens: 200 });
      assert.equal(refused.allowed, false);
      assert.deepEqual(refused.rejected, ["tokens_per_minute"]);
      const charged = await rpc(world, "charge", "RATE_LIMITER", "key:tokens", limits, { tokens: 500 });
      assert.equal(charged.allowed, true);
      assert.equal(charged.limits[1].remaining, 0);
      const requests = charged.limits[0];
      assert.equal(requests.remaining, 9, "the refused call took no request");
    },
  },
  {
    name: "RateLimiter: an unreachable limiter degrades to per-isolate limits and says so",
    async run({ world }) {
      const result = await limit(world, "key:a", [rpm(3)], { requests: 1 }, "UNREACHABLE_LIMITER");
      assert.equal(result.mode, "degraded");
      assert.equal(result.headers["x-flarekit-ratelimit-mode"], "degraded");
      assert.ok(result.error);
    },
  },
  {
    name: "Conversation: appended messages come back in order within the history budget, with the system prompt",
    async run({ world }) {
      await call(world, "CONVERSATIONS", "chat:1", "create", { system_prompt: "Be brief.", model: "gpt-4o-mini", idle_ttl: null });
      const turns = Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `turn ${i} `.repeat(20), tokens: 50 }));
      const info = await call(world, "CONVERSATIONS", "chat:1", "append", turns);
      assert.equal(info.messages, 6);
      const history = await call(world, "CONVERSATIONS", "chat:1", "history", 200);
      assert.equal(history.messages[0].role, "system");
      assert.equal(history.messages[0].content, "Be brief.");
      const kept = history.messages.slice(1).map((m) => m.content.split(" ")[1]);
      assert.deepEqual(kept, kept.slice().sort(), "history is oldest first");
      assert.ok(history.dropped > 0 && kept.at(-1) === "5", `kept ${kept}, dropped ${history.dropped}`);
      assert.equal(history.settings.idle_ttl, null);
    },
  },
  {
    name: "UsageLedger: spend recorded concurrently adds up exactly, and the budget check sees it",
    async run({ world }) {
      const entry = { model: "gpt-4o-mini", input_tokens: 100, output_tokens: 10, cost_usd: 0.25 };
      await Promise.all(Array.from({ length: 8 }, () => call(world, "USAGE", "key:spender", "record", entry, null)));
      const summary = await call(world, "USAGE", "key:spender", "summary", null);
      assert.equal(summary.today.cost_usd, 2);
      assert.equal(summary.today.requests, 8);
      const check = await call(world, "USAGE", "key:spender", "check", { daily_usd: 2.5, monthly_usd: 100 }, null);
      assert.equal(check.status, "warn", JSON.stringify(check));
    },
  },
];

let benchSubject = 0;

export const bench = [
  {
    name: "RateLimiter.hit, 2 limits, via RateLimitClient (flarekit-host RPC)",
    worker: HOST,
    rpc: () => ["limit", "RATE_LIMITER", false, `key:${benchSubject++ % 16}`, [rpm(1_000_000), tpm(100_000_000)], { requests: 1, tokens: 300 }],
  },
  {
    // 100 checks inside one RPC: the wall time / 100 is what one check costs the calling Worker and the
    // object together (the client, the SDK's conversions both ways, the object's evaluation and SQL write).
    name: "100 x RateLimiter.hit, 2 limits, in one RPC (flarekit-host)",
    worker: HOST,
    rpc: () => ["limit_many", "RATE_LIMITER", `key:${benchSubject++ % 16}`, [rpm(1_000_000), tpm(100_000_000)], { requests: 1, tokens: 300 }, 100],
  },
];
