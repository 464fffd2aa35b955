// One Worker isolate: a fresh Pyodide interpreter laid out as workerd lays out a Python Worker,
// with the Worker's main module imported under workerd's top-level rules.
//
// What workerd does, and this file imitates:
//  - the Worker's modules (everything under src/) live in /session/metadata, the main module's folder,
//    which is first on sys.path;
//  - vendored packages live in /session/metadata/python_modules, inserted before site-packages, and
//    its .pth files are processed (compat >= 2026-05-26);
//  - `_pyodide_entrypoint_helper` and `_cloudflare_compat_flags` are registered JS modules
//    (workerd_stubs.mjs); nothing else of workerd's is provided;
//  - the main module is imported once, with entropy refused (py/entropy_guard.py), then the classes to
//    export are collected by introspection (py/introspection.py).
import { readFileSync, readdirSync, statSync } from "node:fs";
import nodeCrypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";
import { compatFlags, entrypointHelper } from "./workerd_stubs.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PY_DIR = path.join(HERE, "..", "py");
export const SESSION = "/session/metadata";
export const PYTHON_MODULES = `${SESSION}/python_modules`;

/** A fresh interpreter; its stdout/stderr are kept so a failure can show them. */
export async function newInterpreter() {
  const output = [];
  const pyodide = await loadPyodide({
    stdout: (line) => output.push(line),
    stderr: (line) => output.push(line),
  });
  return { pyodide, output };
}

/** Copy a host directory tree into Pyodide's FS (following symlinks, skipping caches). */
export function copyTree(pyodide, hostDir, fsDir) {
  pyodide.FS.mkdirTree(fsDir);
  for (const name of readdirSync(hostDir)) {
    if (name === "__pycache__" || name.endsWith(".pyc")) continue;
    const host = path.join(hostDir, name);
    const target = `${fsDir}/${name}`;
    if (statSync(host).isDirectory()) copyTree(pyodide, host, target);
    else pyodide.FS.writeFile(target, readFileSync(host));
  }
}

/** Unpack wheels (the same files scripts/vendor.py unpacks into python_modules/) into `fsDir`. */
export function installWheels(pyodide, wheels, fsDir) {
  pyodide.FS.mkdirTree(fsDir);
  for (const wheel of wheels) {
    // unpackArchive needs a plain Uint8Array (a Node Buffer is refused).
    pyodide.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel", { extractDir: fsDir });
  }
}

/**
 * Our stand-in for workerd's `_cloudflare` package (py/_cloudflare/), importable before the
 * vendored `.pth` files are processed, as the SDK's patch loader looks for it then.
 */
function installCloudflarePackage(pyodide) {
  copyTree(pyodide, path.join(PY_DIR, "_cloudflare"), "/pyodide_tier/workerd/_cloudflare");
  pyodide.runPython(`import sys\nif "/pyodide_tier/workerd" not in sys.path: sys.path.append("/pyodide_tier/workerd")`);
}

/** Load one of our own helper modules (py/NAME.py) under a private name the Worker cannot shadow. */
export function loadHelper(pyodide, name) {
  const moduleName = `_pyodide_tier_${name}`;
  pyodide.FS.mkdirTree("/pyodide_tier");
  pyodide.FS.writeFile(`/pyodide_tier/${moduleName}.py`, readFileSync(path.join(PY_DIR, `${name}.py`)));
  pyodide.runPython(`import sys\nif "/pyodide_tier" not in sys.path: sys.path.append("/pyodide_tier")`);
  return pyodide.pyimport(moduleName);
}

function setSearchPath(pyodide, processPth) {
  pyodide.runPython(`
import site, sys
sys.path.insert(0, ${JSON.stringify(SESSION)})
for i, entry in enumerate(sys.path):
    if "site-packages" in entry:
        sys.path.insert(i, ${JSON.stringify(PYTHON_MODULES)})
        break
if ${processPth ? "True" : "False"}:
    site.addsitedir(${JSON.stringify(PYTHON_MODULES)})
`);
}

// workerd's own getRandomValues throws this for entropy drawn at the top level by any path the
// Python-level guard does not know; Pyodide in Node draws through crypto.randomFillSync. A call the
// SDK's import patches allow (py/_cloudflare/allow_entropy.py) sets `permit.permitted` around itself.
async function withJsEntropyRefused(permit, fn) {
  const original = nodeCrypto.randomFillSync;
  nodeCrypto.randomFillSync = (...args) => {
    if (permit.permitted) return original.apply(nodeCrypto, args);
    throw new Error("Disallowed operation called within global scope");
  };
  try {
    return await fn();
  } finally {
    nodeCrypto.randomFillSync = original;
  }
}

/** Thrown when a Worker cannot be loaded the way workerd would load it. */
export class WorkerLoadError extends Error {}

/**
 * Build an isolate for `worker` (an entry of the plan written by scripts/pyodide_plan.py) and import
 * its main module. `env` is the JS env object (bindings.mjs), `waitUntil` what `cloudflare:workers`
 * exposes as waitUntil.
 */
export function loadIsolate(worker, options) {
  // One load at a time in this process: the JS entropy backstop patches Node's crypto for the whole
  // process during an import, and a second interpreter starting meanwhile (Python seeds its hashes
  // from it at start-up) would be refused. workerd loads each isolate on its own as well.
  const load = loading.then(() => loadIsolateNow(worker, options));
  loading = load.catch(() => undefined);
  return load;
}

let loading = Promise.resolve();

async function loadIsolateNow(worker, { env, waitUntil }) {
  const { pyodide, output } = await newInterpreter();
  const flags = compatFlags(worker.compatibility_date, worker.compatibility_flags);
  pyodide.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper({ env, waitUntil }));
  pyodide.registerJsModule("_cloudflare_compat_flags", flags);
  const permit = { permitted: false };
  pyodide.registerJsModule("_pyodide_tier_entropy_js", permit);
  installCloudflarePackage(pyodide);
  copyTree(pyodide, worker.src_dir, SESSION);
  installWheels(pyodide, worker.wheels, PYTHON_MODULES);
  for (const [name, dir] of Object.entries(worker.local_packages)) copyTree(pyodide, dir, `${PYTHON_MODULES}/${name}`);
  setSearchPath(pyodide, flags.python_process_pth_files);

  const guard = loadHelper(pyodide, "entropy_guard");
  const mainName = worker.main_module;
  const started = performance.now();
  guard.begin_import_phase();
  let main;
  try {
    main = await withJsEntropyRefused(permit, async () => {
      await pyodide.runPythonAsync(`import importlib; importlib.import_module(${JSON.stringify(mainName)})`);
      return pyodide.pyimport(mainName);
    });
  } catch (error) {
    throw new WorkerLoadError(
      `${worker.name}: importing the main module ${mainName}.py failed as it would on workerd:\n` +
        `${error.message}${output.length ? `\n-- output --\n${output.join("\n")}` : ""}`,
    );
  } finally {
    guard.end_import_phase();
  }
  const importMs = performance.now() - started;
  const introspection = loadHelper(pyodide, "introspection");
  const classes = introspection.collect_entrypoint_classes(main);
  return { worker, pyodide, output, main, introspection, classes, importMs, flags };
}
