// Phase "import": each Worker's main module, imported in a fresh isolate the way workerd imports it
// (entropy refused), must export `Default` and every Durable Object class its wrangler.toml binds
// to it, as subclasses of the SDK's WorkerEntrypoint / DurableObject (workerd's introspection).
import assert from "node:assert/strict";
import { exportedNames } from "./entrypoints.mjs";
import { World } from "./world.mjs";

export async function importChecks(report, plan) {
  for (const worker of plan.workers) {
    await report.check("import", `${worker.name}: main module imports and exports its classes`, async () => {
      const { isolate } = await new World([worker]).worker(worker.name);
      const entrypoints = exportedNames(isolate, "workerEntrypoints");
      const durableObjects = exportedNames(isolate, "durableObjects");
      assert.ok(entrypoints.includes("Default"), `${worker.name}: no Default(WorkerEntrypoint) in ${worker.main_module}.py (found ${entrypoints})`);
      for (const binding of worker.durable_objects.filter((d) => !d.script_name)) {
        assert.ok(
          durableObjects.includes(binding.class_name),
          `${worker.name}: wrangler.toml binds ${binding.name} to class ${binding.class_name}, but ${worker.main_module}.py does not export it as a DurableObject subclass (found ${durableObjects}); import it into the main module (and list it in __all__ if there is one)`,
        );
      }
      isolate.pyodide.runPython("import gc; gc.collect()");
      console.log(`        ${worker.name}: import ${isolate.importMs.toFixed(0)} ms, exports ${[...entrypoints, ...durableObjects].join(", ")}`);
    });
  }
}
