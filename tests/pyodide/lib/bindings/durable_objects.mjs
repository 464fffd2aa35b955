// Durable Objects as workerd presents them: a `DurableObjectNamespace` binding, ids, stubs, and for
// each object one live instance of the Worker's Python class with a JS `DurableObjectState` as ctx.
//
// - The namespace's class name is what the SDK dispatches on (it wraps `get`/`getByName` results in
//   its _FetcherWrapper and leaves idFromName & co. raw).
// - A stub answers any method name (workerd stubs do): `fetch` reaches the object's fetch handler,
//   anything else is RPC with strict arity. Arguments and results cross as in production
//   (rpc_transfer.mjs), so a tuple or an unconvertible object fails where it would on workerd.
// - One instance per id, created on first use and kept (no eviction); `blockConcurrencyWhile`
//   holds later calls until it settles.
// - `ctx.storage` is a `DurableObjectStorage` (the SDK wraps that name): KV-style async methods over
//   a Map, synchronous `sql` over sql.js (sql_storage.mjs), `transactionSync`, and one alarm slot.
// - An alarm fires at its time on the real clock: the slot is cleared, then the object's `alarm`
//   handler gets raw JS `{retryCount, isRetry}` (relaxed arity). A failing alarm fails the case
//   (production would retry it up to 6 times; flaresim simulates the retries).
import { createHash, randomBytes } from "node:crypto";
import { instantiate } from "../entrypoints.mjs";
import { acrossRpc } from "../rpc_transfer.mjs";
import { SqlStorage, openDatabase } from "./sql_storage.mjs";

export class DurableObjectId {
  constructor(hex, name) {
    this._hex = hex;
    if (name !== undefined) this.name = name;
  }
  toString() {
    return this._hex;
  }
  equals(other) {
    return other instanceof DurableObjectId && other._hex === this._hex;
  }
}

export class DurableObjectStorage {
  constructor(db, onAlarmSet = () => {}) {
    this.sql = new SqlStorage(db);
    this._db = db;
    this._kv = new Map();
    this._alarm = null;
    this._onAlarmSet = onAlarmSet;
  }

  async get(keys) {
    if (Array.isArray(keys)) return new Map(keys.filter((k) => this._kv.has(k)).map((k) => [k, structuredClone(this._kv.get(k))]));
    return this._kv.has(keys) ? structuredClone(this._kv.get(keys)) : undefined;
  }

  async put(key, value) {
    const entries = typeof key === "object" && key !== null ? Object.entries(key) : [[key, value]];
    for (const [k, v] of entries) this._kv.set(k, structuredClone(v));
  }

  async delete(keys) {
    if (Array.isArray(keys)) return keys.filter((k) => this._kv.delete(k)).length;
    return this._kv.delete(keys);
  }

  async list(options = {}) {
    options ??= {};
    let keys = [...this._kv.keys()].sort();
    if (options.prefix) keys = keys.filter((k) => k.startsWith(options.prefix));
    if (options.start) keys = keys.filter((k) => k >= options.start);
    if (options.end) keys = keys.filter((k) => k < options.end);
    if (options.reverse) keys.reverse();
    if (options.limit) keys = keys.slice(0, options.limit);
    return new Map(keys.map((k) => [k, structuredClone(this._kv.get(k))]));
  }

  async deleteAll() {
    this._kv.clear();
  }

  async sync() {}

  transactionSync(fn) {
    this._db.exec("SAVEPOINT tx");
    try {
      const result = fn();
      this._db.exec("RELEASE tx");
      return result;
    } catch (error) {
      this._db.exec("ROLLBACK TO tx; RELEASE tx");
      throw error;
    }
  }

  async transaction(fn) {
    return await fn(this);
  }

  async getAlarm() {
    return this._alarm;
  }

  async setAlarm(time) {
    this._alarm = time instanceof Date ? time.getTime() : Number(time);
    this._onAlarmSet(this._alarm);
  }

  async deleteAlarm() {
    this._alarm = null;
    this._onAlarmSet(null);
  }
}

export class DurableObjectState {
  constructor(id, storage, waitUntil) {
    this.id = id;
    this.storage = storage;
    this._gate = Promise.resolve();
    this._waitUntil = waitUntil;
  }

  blockConcurrencyWhile(fn) {
    const result = Promise.resolve().then(() => fn());
    this._gate = this._gate.then(() => result.then(() => undefined, () => undefined));
    return result;
  }

  // Not patched by workerd (not an ExecutionContext): a Python coroutine must be wrapped in a task
  // and a proxy by the caller, as in production. The work is awaited by World.settle().
  waitUntil(promise) {
    this._waitUntil(promise);
  }

  acceptWebSocket() {
    throw new Error("WebSockets are not simulated by the Pyodide tier");
  }

  getWebSockets() {
    return [];
  }
}

/** Where a namespace's objects live: the Worker hosting the class, and its live instances. */
// Alarms due this soon are waited for by World.settle(), so a case sees their effects.
const SETTLE_WINDOW_MS = 1000;

export class DurableObjectHost {
  constructor(world, workerName, className) {
    this.world = world;
    this.workerName = workerName;
    this.className = className;
    this.instances = new Map();
    this.alarmTimers = new Map();
  }

  scheduleAlarm(id, time) {
    const key = id.toString();
    clearTimeout(this.alarmTimers.get(key));
    this.alarmTimers.delete(key);
    if (time === null) return;
    const delay = Math.max(0, time - Date.now());
    let fired;
    const done = new Promise((resolve) => (fired = resolve));
    const timer = setTimeout(() => {
      this.alarmTimers.delete(key);
      fired(this.runAlarm(id, time).catch((error) => this.world.backgroundContext.failures.push(error)));
    }, delay);
    timer.unref();
    this.alarmTimers.set(key, timer);
    if (delay <= SETTLE_WINDOW_MS) this.world.backgroundContext.waitUntil(done);
  }

  async runAlarm(id, time) {
    const { entry, state } = await this.instance(id);
    if (state.storage._alarm !== time) return; // replaced or deleted meanwhile
    state.storage._alarm = null;
    await state._gate;
    await entry.call("alarm", { retryCount: 0, isRetry: false });
  }

  async instance(id) {
    const key = id.toString();
    if (!this.instances.has(key)) {
      this.instances.set(
        key,
        (async () => {
          const worker = await this.world.worker(this.workerName);
          const storage = new DurableObjectStorage(await openDatabase(), (time) => this.scheduleAlarm(id, time));
          const state = new DurableObjectState(id, storage, (p) => this.world.backgroundContext.waitUntil(p));
          const entry = await instantiate(worker.isolate, this.className, "DurableObject", state, worker.env);
          return { entry, state };
        })(),
      );
    }
    return this.instances.get(key);
  }

  async call(id, method, args) {
    const { entry, state } = await this.instance(id);
    await state._gate;
    return entry.call(method, ...args);
  }
}

function stub(host, id) {
  const target = {
    id,
    name: id.name,
    fetch(input, init) {
      return host.call(id, "fetch", [new Request(input, init)]);
    },
  };
  return new Proxy(target, {
    get(obj, prop) {
      if (typeof prop !== "string" || prop in obj) return obj[prop];
      if (prop === "then") return undefined; // a stub is not a promise
      return (...args) => acrossRpc(args, (sent) => host.call(id, prop, sent));
    },
  });
}

export class DurableObjectNamespace {
  constructor(host) {
    this._host = host;
  }

  idFromName(name) {
    const hex = createHash("sha256").update(`${this._host.workerName}/${this._host.className}/${name}`).digest("hex");
    return new DurableObjectId(hex, name);
  }

  idFromString(hex) {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError("Invalid Durable Object ID: must be 64 hex digits");
    return new DurableObjectId(hex);
  }

  newUniqueId() {
    return new DurableObjectId(randomBytes(32).toString("hex"));
  }

  get(id) {
    return stub(this._host, id);
  }

  getByName(name) {
    return stub(this._host, this.idFromName(name));
  }

  jurisdiction() {
    return this;
  }
}
