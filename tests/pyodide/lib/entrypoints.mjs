// The JS half of workerd's Python entrypoint helper (python-entrypoint-helper.ts): how a call from
// the runtime reaches a method of a Python class exported by the main module.
//
//  - an instance is made per request for a WorkerEntrypoint, once per id for a Durable Object, by
//    calling the Python class with (ctx, env) as raw JS objects (the SDK wraps them);
//  - `fetch` goes through introspection.wrapper_func with relaxed arity (extra args dropped), its
//    arguments converted by python_from_rpc (a JS Request becomes a workers.Request);
//  - `connect` and a Durable Object's alarm / webSocket* handlers get the raw JS arguments, relaxed;
//  - every other method (RPC) goes through wrapper_func with strict arity;
//  - every call is made "promising" (JSPI), so Python may use pyodide.ffi.run_sync.

const DO_RAW_HANDLERS = new Set(["alarm", "webSocketMessage", "webSocketClose", "webSocketError"]);

function callPython(fn, relaxed, args) {
  return fn.callWithOptions({ relaxed, promising: true }, ...args);
}

/** Names of the exported classes of `kind` ("workerEntrypoints", "durableObjects"). */
export function exportedNames(isolate, kind) {
  return isolate.classes[kind].map((c) => c.className);
}

/**
 * A JS object standing for a Python entrypoint instance: `await entry.call("fetch", request)`.
 * `kind` is "WorkerEntrypoint" or "DurableObject".
 */
export async function instantiate(isolate, className, kind, ctx, env) {
  const exported = kind === "DurableObject" ? "durableObjects" : "workerEntrypoints";
  if (!exportedNames(isolate, exported).includes(className)) {
    throw new TypeError(`There is no '${className}' class defined in the Python Worker's main module`);
  }
  const cls = isolate.main[className];
  const instance = await callPython(cls, false, [ctx, env]);
  cls.destroy();
  return {
    instance,
    async call(method, ...args) {
      const member = instance[method];
      if (typeof member !== "function") {
        member?.destroy?.();
        throw new TypeError(`Method ${method} does not exist`);
      }
      try {
        if (method === "connect" || (kind === "DurableObject" && DO_RAW_HANDLERS.has(method))) {
          return await callPython(member, true, args);
        }
        const relaxed = method === "fetch" || method === "test";
        return await callPython(isolate.introspection.wrapper_func, false, [relaxed, instance, method, ...args]);
      } finally {
        member.destroy();
      }
    },
    destroy() {
      instance.destroy();
    },
  };
}
