// The two workerd-internal modules the workers-runtime-sdk imports, and nothing else.
//
// workerd registers both as JS modules before it imports the main module
// (python-entrypoint-helper.ts `setupPatches`: `registerJsModule('_pyodide_entrypoint_helper', ...)`
// and `registerJsModule('_cloudflare_compat_flags', COMPATIBILITY_FLAGS)`). We do the same with
// small JS objects: the SDK reads a handful of fields from them, listed below.

// Compatibility flags whose value the Python side can observe, with the date they become default
// (workerd's compatibility-date.capnp). A flag named in wrangler.toml is on whatever the date.
const FLAG_DATES = {
  rpc: "2024-04-03",
  python_workers_force_new_vendor_path: "2025-08-11",
  python_no_global_handlers: "2025-08-14",
  python_workflows: "2025-09-20",
  python_workers_20250116: "2025-09-29",
  python_dedicated_snapshot: "2025-10-16",
  python_check_rng_state: "2025-12-16",
  python_request_headers_preserve_commas: "2026-02-17",
  python_workflows_implicit_dependencies: "2026-02-25",
  enable_python_external_sdk: "2026-04-21",
  python_process_pth_files: "2026-05-26",
};

/** `_cloudflare_compat_flags`: one boolean per flag, as workerd computes them for the Worker. */
export function compatFlags(compatibilityDate, explicitFlags = []) {
  const flags = {};
  for (const [name, date] of Object.entries(FLAG_DATES)) flags[name] = compatibilityDate >= date;
  for (const name of explicitFlags) flags[name] = true;
  return flags;
}

// Imitates workerd's patchWaitUntil: only a real ExecutionContext (by its toString tag) is patched,
// so a Python awaitable handed to `ctx.waitUntil` is copied (kept alive) until it settles and then
// destroyed. A Durable Object's state is not patched, exactly as in production.
const patched = new WeakSet();
function patchWaitUntil(ctx) {
  let tag;
  try {
    tag = Object.prototype.toString.call(ctx);
  } catch {}
  if (tag !== "[object ExecutionContext]" || patched.has(ctx)) return;
  const original = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (p) =>
    original(
      (async () => {
        if (p && "copy" in p) p = p.copy();
        await p;
        if (p && "destroy" in p) p.destroy();
      })(),
    );
  patched.add(ctx);
}

/**
 * `_pyodide_entrypoint_helper`: what the SDK reads from it is `cloudflareWorkersModule` (the JS
 * module `cloudflare:workers`, for `from workers import env, wait_until`), `cloudflareSocketsModule`,
 * `doAnImport` (dynamic JS imports) and `patchWaitUntil`.
 */
export function entrypointHelper({ env, waitUntil }) {
  const cloudflareWorkersModule = { env, waitUntil, WorkerEntrypoint: class WorkerEntrypoint {} };
  return {
    cloudflareWorkersModule,
    cloudflareSocketsModule: {},
    workerEntrypoint: cloudflareWorkersModule.WorkerEntrypoint,
    patchWaitUntil,
    async doAnImport(name) {
      if (name === "cloudflare:workers") return cloudflareWorkersModule;
      throw new Error(`No such module "${name}" (the Pyodide tier provides only cloudflare:workers)`);
    },
  };
}
