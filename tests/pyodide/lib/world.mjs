// Everything the runtime around our Workers provides, for one test scenario: each Worker's isolate
// (loaded on first use), its env of JS bindings built from wrangler.toml (as the plan lists them),
// the storage those bindings share, and the work left running after responses (waitUntil).
//
// Several Workers live in one Node process, each in its own Pyodide interpreter, so a service
// binding or a Durable Object stub crosses from one interpreter to another as it would cross from
// one isolate to another on workerd.
import { Ai } from "./bindings/ai.mjs";
import { AnalyticsEngineDataset } from "./bindings/analytics.mjs";
import { DurableObjectHost, DurableObjectNamespace } from "./bindings/durable_objects.mjs";
import { KvNamespace } from "./bindings/kv.mjs";
import { Fetcher } from "./bindings/service.mjs";
import { ExecutionContext, currentContext, moduleWaitUntil } from "./context.mjs";
import { instantiate } from "./entrypoints.mjs";
import { loadIsolate } from "./isolate.mjs";

export class World {
  /** `workers`: plan entries (scripts/pyodide_plan.py); `overrides`: {workerName: {VAR: value}}. */
  constructor(workers, { overrides = {}, extraBindings = {} } = {}) {
    this.plans = new Map(workers.map((w) => [w.name, w]));
    this.overrides = overrides;
    this.extraBindings = extraBindings;
    this.workers = new Map();
    this.kv = new Map();
    this.analytics = new Map();
    this.doHosts = new Map();
    this.ai = new Ai(); // one Workers AI for the scenario: cases may set world.ai.answer
    this.backgroundContext = new ExecutionContext();
    this.contexts = [];
  }

  worker(name) {
    if (!this.plans.has(name)) throw new Error(`No Worker named ${JSON.stringify(name)} in this scenario`);
    if (!this.workers.has(name)) this.workers.set(name, this._load(this.plans.get(name)));
    return this.workers.get(name);
  }

  workerByService(service) {
    return this.worker(service);
  }

  kvEntries(id) {
    if (!this.kv.has(id)) this.kv.set(id, new Map());
    return this.kv.get(id);
  }

  dataPoints(dataset) {
    if (!this.analytics.has(dataset)) this.analytics.set(dataset, []);
    return this.analytics.get(dataset);
  }

  doHost(workerName, className) {
    const key = `${workerName}/${className}`;
    if (!this.doHosts.has(key)) this.doHosts.set(key, new DurableObjectHost(this, workerName, className));
    return this.doHosts.get(key);
  }

  buildEnv(plan) {
    const env = { ...plan.vars, ...plan.secrets, ...(this.overrides[plan.name] ?? {}) };
    for (const kv of plan.kv_namespaces) env[kv.binding] = new KvNamespace(this.kvEntries(kv.id));
    for (const d of plan.durable_objects) {
      env[d.name] = new DurableObjectNamespace(this.doHost(d.script_name ?? plan.name, d.class_name));
    }
    for (const s of plan.services) env[s.binding] = new Fetcher(this, s.service, s.entrypoint ?? "Default");
    if (plan.ai_binding) env[plan.ai_binding] = this.ai;
    for (const a of plan.analytics_engine) env[a.binding] = new AnalyticsEngineDataset(this.dataPoints(a.dataset));
    for (const [name, make] of Object.entries(this.extraBindings[plan.name] ?? {})) env[name] = make(this);
    return env;
  }

  async _load(plan) {
    const env = this.buildEnv(plan);
    const isolate = await loadIsolate(plan, { env, waitUntil: moduleWaitUntil(this.backgroundContext) });
    return new WorkerHandle(this, plan, isolate, env);
  }

  /** The last lines each loaded Worker printed (logging, print), for a failure report. */
  async logs(lines = 30) {
    const parts = [];
    for (const [name, pending] of this.workers) {
      const worker = await pending.catch(() => null);
      const output = worker?.isolate.output.slice(-lines) ?? [];
      if (output.length) parts.push(`[${name}]\n${output.join("\n")}`);
    }
    return parts.join("\n");
  }

  /** Wait for all waitUntil work (and alarms due within a second); return what failed. */
  async settle() {
    const failures = [];
    for (;;) {
      const contexts = [this.backgroundContext, ...this.contexts.splice(0)];
      await Promise.all(contexts.map((ctx) => ctx.drain()));
      for (const ctx of contexts) failures.push(...ctx.takeFailures());
      if (!this.contexts.length && !this.backgroundContext.pending.size) return failures;
    }
  }
}

export class WorkerHandle {
  constructor(world, plan, isolate, env) {
    this.world = world;
    this.plan = plan;
    this.isolate = isolate;
    this.env = env;
  }

  /** One event on a fresh instance of `entrypoint`, as workerd delivers a request or an RPC call. */
  async call(entrypoint, method, args) {
    const ctx = new ExecutionContext();
    this.world.contexts.push(ctx);
    return currentContext.run(ctx, async () => {
      const entry = await instantiate(this.isolate, entrypoint, "WorkerEntrypoint", ctx, this.env);
      try {
        return await entry.call(method, ...args);
      } finally {
        ctx.drain().finally(() => entry.destroy());
      }
    });
  }

  fetch(request) {
    return this.call("Default", "fetch", [request]);
  }
}
