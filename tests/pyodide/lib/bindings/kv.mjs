// Workers KV as workerd's `KvNamespace` presents it to JavaScript, over an in-memory Map.
//
// The class is named `KvNamespace` because the SDK's `_EnvWrapper` picks its Python wrapper by the
// JS constructor name. Python keyword arguments arrive as one trailing options object (Pyodide's
// rule), so `kv.put(k, v, expirationTtl=60)` lands here as `put(k, v, {expirationTtl: 60})`.
// Missing keys give JS `null` (the SDK turns it into None); bulk reads give a `Map`; list results
// are plain objects shaped as workerd's. Limits and messages follow production (as flaresim's kv.py).

const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 25 * 1024 * 1024;
const MAX_METADATA_BYTES = 1024;
const MIN_TTL_SECONDS = 60;
const MAX_LIST_LIMIT = 1000;
const MAX_BULK_KEYS = 100;
const INT32 = [-(2 ** 31), 2 ** 31 - 1];
const TYPES = ["text", "json", "arrayBuffer", "stream"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fail(operation, status, message) {
  return new Error(`KV ${operation} failed: ${status} ${message}`);
}

function checkKey(key, operation) {
  key = String(key);
  if (key === "") throw new TypeError("Key names cannot be empty.");
  if (key === "." || key === "..") throw new TypeError(`Illegal key name "${key}". Please use a different name.`);
  const length = encoder.encode(key).length;
  if (length > MAX_KEY_BYTES)
    throw fail(operation, 414, `UTF-8 encoded length of ${length} exceeds key length limit of ${MAX_KEY_BYTES}.`);
  return key;
}

function int32(name, value) {
  if (typeof value !== "number") throw new TypeError(`Failed to execute 'put' on 'KvNamespace': ${name} must be a number.`);
  if (value < INT32[0] || value > INT32[1])
    throw new TypeError(`Value out of range. Must be between ${INT32[0]} and ${INT32[1]} (inclusive).`);
  return Math.trunc(value);
}

async function toBytes(value) {
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (value instanceof ReadableStream) return new Uint8Array(await new Response(value).arrayBuffer());
  throw new TypeError("KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.");
}

function decode(bytes, type) {
  if (type === "text") return decoder.decode(bytes);
  if (type === "json") return JSON.parse(decoder.decode(bytes));
  if (type === "arrayBuffer") return bytes.slice().buffer;
  if (type === "stream") return new Response(bytes.slice()).body;
  throw new TypeError(`Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream". Got "${type}".`);
}

function readType(options) {
  const type = typeof options === "string" ? options : (options?.type ?? "text");
  if (!TYPES.includes(type)) decode(new Uint8Array(), type);
  return type;
}

const byUtf8 = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export class KvNamespace {
  /** `entries` is shared by every isolate bound to the same namespace id; `clock` gives ms. */
  constructor(entries = new Map(), clock = Date.now) {
    this.entries = entries;
    this.clock = clock;
  }

  _live(key) {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiration !== undefined && entry.expiration * 1000 <= this.clock()) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  async get(key, options) {
    const type = readType(options);
    if (Array.isArray(key)) {
      if (!["text", "json"].includes(type)) throw fail("GET_BULK", 400, `Invalid type "${type}": bulk reads only support "text" and "json".`);
      if (key.length > MAX_BULK_KEYS) throw fail("GET_BULK", 400, `You can request a maximum of ${MAX_BULK_KEYS} keys.`);
      const found = new Map();
      for (const k of key) {
        const entry = this._live(checkKey(k, "GET_BULK"));
        found.set(String(k), entry ? decode(entry.value, type) : null);
      }
      return found;
    }
    const entry = this._live(checkKey(key, "GET"));
    return entry ? decode(entry.value, type) : null;
  }

  async getWithMetadata(key, options) {
    const type = readType(options);
    const entry = this._live(checkKey(key, "GET"));
    if (!entry) return { value: null, metadata: null, cacheStatus: null };
    return { value: decode(entry.value, type), metadata: entry.metadata ?? null, cacheStatus: null };
  }

  async put(key, value, options = {}) {
    key = checkKey(key, "PUT");
    options ??= {};
    const bytes = await toBytes(value);
    const now = this.clock() / 1000;
    let expiration;
    if (options.expirationTtl != null) {
      const ttl = int32("expirationTtl", options.expirationTtl);
      if (ttl < MIN_TTL_SECONDS) throw fail("PUT", 400, `Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least ${MIN_TTL_SECONDS}.`);
      expiration = Math.floor(now) + ttl;
    } else if (options.expiration != null) {
      expiration = int32("expiration", options.expiration);
      if (expiration < now + MIN_TTL_SECONDS)
        throw fail("PUT", 400, `Invalid expiration of ${expiration}. Expiration times must be at least ${MIN_TTL_SECONDS} seconds in the future.`);
    }
    if (bytes.length > MAX_VALUE_BYTES) throw fail("PUT", 413, `Value length of ${bytes.length} exceeds limit of ${MAX_VALUE_BYTES}.`);
    let metadata;
    if (options.metadata != null) {
      const length = encoder.encode(JSON.stringify(options.metadata)).length;
      if (length > MAX_METADATA_BYTES) throw fail("PUT", 413, `Metadata length of ${length} exceeds limit of ${MAX_METADATA_BYTES}.`);
      metadata = structuredClone(options.metadata);
    }
    this.entries.set(key, { value: bytes, expiration, metadata });
  }

  async delete(key) {
    this.entries.delete(checkKey(key, "DELETE"));
  }

  async list(options = {}) {
    options ??= {};
    const limit = options.limit ?? MAX_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
      throw fail("LIST", 400, `Invalid key_count_limit of ${limit}. Please specify an integer between 1 and ${MAX_LIST_LIMIT}.`);
    const prefix = options.prefix ?? "";
    const after = options.cursor ? Buffer.from(options.cursor, "base64url").toString() : null;
    const names = [...this.entries.keys()]
      .filter((k) => k.startsWith(prefix) && (after === null || byUtf8(k, after) > 0) && this._live(k))
      .sort(byUtf8);
    const page = names.slice(0, limit).map((name) => {
      const { expiration, metadata } = this.entries.get(name);
      const key = { name };
      if (expiration !== undefined) key.expiration = expiration;
      if (metadata !== undefined) key.metadata = structuredClone(metadata);
      return key;
    });
    const complete = names.length <= limit;
    const result = { keys: page, list_complete: complete, cacheStatus: null };
    if (!complete) result.cursor = Buffer.from(page[page.length - 1].name).toString("base64url");
    return result;
  }
}
