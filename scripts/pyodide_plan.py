#!/usr/bin/env python3
"""Write the plan the Pyodide tier runs from (tests/pyodide/run.mjs reads it).

Python does what it does best here and Node does the rest: this script parses each Worker's
`wrangler.toml` with flaresim's own config loader (so both runtimes see the same bindings, vars and
secrets from `.dev.vars.example`), fetches into `.cache/wheels/` the wheels production vendors
(through `scripts/vendor.py`, the code that fills `python_modules/`), and the wheels of the pytest
pinned in requirements-dev.txt for running flarekit's unit tests inside Pyodide.

Usage: scripts/pyodide_plan.py [WORKER_DIR ...] [--out build/pyodide/plan.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import vendor  # noqa: E402  (scripts/vendor.py)

from flaresim.config import load_worker_config  # noqa: E402

FIXTURES = ROOT / "tests" / "pyodide" / "fixtures"
# Test Workers with flarekit vendored, driven by smoke cases (their Durable Objects on the real SDK).
HOSTS = [ROOT / "tests" / "fixtures" / "flarekit_host"]
FLAREKIT_TESTS = ROOT / "tests" / "flarekit"


def pinned(requirement: str) -> str:
    """`name==version` as pinned in requirements-dev.txt, so both tiers run the same tool."""
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if re.match(rf"^{re.escape(requirement)}==", line.strip()):
            return line.strip()
    raise SystemExit(f"requirements-dev.txt pins no {requirement}")


def worker_entry(directory: Path) -> dict:
    config = load_worker_config(directory, environ={}, dev_vars=".dev.vars.example")
    requirements, local = vendor.read_bundle_spec(directory)
    wheels = vendor.download_wheels([vendor.WORKERS_SDK, *requirements])
    return {
        "name": config.name,
        "dir": str(config.directory),
        "src_dir": str(config.main.parent),
        "main_module": config.main.stem,
        "compatibility_date": config.compatibility_date,
        "compatibility_flags": list(config.compatibility_flags),
        "vars": dict(config.vars),
        "secrets": dict(config.secrets),
        "kv_namespaces": [{"binding": kv.binding, "id": kv.id} for kv in config.kv_namespaces],
        "durable_objects": [
            {"name": d.name, "class_name": d.class_name, "script_name": d.script_name} for d in config.durable_objects
        ],
        "services": [{"binding": s.binding, "service": s.service, "entrypoint": s.entrypoint} for s in config.services],
        "ai_binding": config.ai_binding,
        "analytics_engine": [{"binding": a.binding, "dataset": a.dataset} for a in config.analytics_engine],
        "wheels": [str(w) for w in wheels],
        "local_packages": {name: str(path) for name, path in local.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workers", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "pyodide" / "plan.json")
    args = parser.parse_args()
    workers = args.workers or sorted(p.parent for p in (ROOT / "workers").glob("*/wrangler.toml"))
    entries = [worker_entry(w.resolve()) for w in workers]
    # flarekit's tests see what production vendors beside flarekit: the SDK and every Worker's deps.
    deployed = sorted({wheel for entry in entries for wheel in entry["wheels"]})
    plan = {
        "root": str(ROOT),
        "workers": entries,
        "fixtures": [worker_entry(p.parent) for p in sorted(FIXTURES.glob("*/wrangler.toml"))],
        "hosts": [worker_entry(h) for h in HOSTS],
        "pytest": {
            "wheels": [str(w) for w in vendor.download_wheels([pinned("pytest")])] + deployed,
            "flarekit": str(ROOT / "shared" / "flarekit" / "flarekit"),
            "tests": str(FLAREKIT_TESTS),
            "pyproject": str(ROOT / "pyproject.toml"),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(plan, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
