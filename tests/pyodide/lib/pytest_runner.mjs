// Phase "pytest": flarekit's pure unit tests (tests/flarekit/) with pytest, inside Pyodide on
// Python 3.13. The interpreter is laid out like a Worker's (flarekit and the SDK in
// python_modules, the two workerd stubs registered) so flarekit imports as it does in production;
// pytest and its dependencies are the wheels pinned in requirements-dev.txt. Selection rules live in
// py/pytest_plugin.py. The closing line of pytest's own output is part of the tier's output.
import { existsSync, readFileSync } from "node:fs";
import { PYTHON_MODULES, copyTree, installWheels, loadHelper, newInterpreter } from "./isolate.mjs";
import { compatFlags, entrypointHelper } from "./workerd_stubs.mjs";

export async function runFlarekitTests(report, plan) {
  const { pytest } = plan;
  await report.check("pytest", "flarekit unit tests under Python 3.13", async () => {
    if (!existsSync(pytest.tests)) {
      console.log(`        (no ${pytest.tests} yet: nothing to run)`);
      return;
    }
    const { pyodide, output } = await newInterpreter();
    const worker = plan.workers[0];
    pyodide.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper({ env: {}, waitUntil: () => {} }));
    pyodide.registerJsModule("_cloudflare_compat_flags", compatFlags(worker.compatibility_date, worker.compatibility_flags));
    installWheels(pyodide, pytest.wheels, PYTHON_MODULES);
    copyTree(pyodide, pytest.flarekit, `${PYTHON_MODULES}/flarekit`);
    copyTree(pyodide, pytest.tests, "/tests/flarekit");
    pyodide.FS.writeFile("/tests/pyproject.toml", readFileSync(pytest.pyproject));
    pyodide.FS.writeFile("/tests/pytest.ini", "[pytest]\n");
    pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_MODULES)})`);
    const plugin = loadHelper(pyodide, "pytest_plugin");
    const filterwarnings = JSON.parse(
      pyodide.runPython(
        `import json, tomllib; json.dumps(tomllib.load(open("/tests/pyproject.toml", "rb"))["tool"]["pytest"]["ini_options"].get("filterwarnings", []))`,
      ),
    );
    const args = [
      "/tests/flarekit",
      "-c", "/tests/pytest.ini",
      "--rootdir", "/tests",
      "--confcutdir", "/tests/flarekit",
      "--pyodide-pyproject", "/tests/pyproject.toml",
      "--strict-markers",
      "-p", "no:cacheprovider",
      "-p", "no:faulthandler",
      "--capture", "sys",
      "-q",
      "-ra",
      ...filterwarnings.flatMap((w) => ["-W", w]),
    ];
    pyodide.globals.set("pytest_args", pyodide.toPy(args));
    pyodide.globals.set("pytest_plugin", plugin);
    const exitCode = await pyodide.runPythonAsync(`import pytest; int(pytest.main(list(pytest_args), plugins=[pytest_plugin]))`);
    console.log(output.map((line) => `        ${line}`).join("\n"));
    // 5 = nothing collected: fine while tests/flarekit holds no test that can run here.
    if (exitCode !== 0 && exitCode !== 5) throw new Error(`pytest exited with ${exitCode} (see its output above)`);
  });
}
