#!/usr/bin/env python3
"""Check a `wrangler deploy --dry-run --outdir` bundle: the Worker's modules and flarekit are in it,
nothing from tests/ or flaresim is.

Usage: scripts/check_bundle.py WORKER_DIR BUNDLE_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

FORBIDDEN_PARTS = {"flaresim", "tests", "conftest.py"}


def check(worker: Path, bundle: Path) -> list[str]:
    problems = []
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    for source in sorted((worker / "src").rglob("*.py")):
        name = source.relative_to(worker / "src").as_posix()
        if name not in files:
            problems.append(f"missing Worker module {name}")
    flarekit = Path(__file__).resolve().parent.parent / "shared" / "flarekit" / "flarekit"
    for source in sorted(flarekit.rglob("*.py")):
        name = "python_modules/flarekit/" + source.relative_to(flarekit).as_posix()
        if name not in files:
            problems.append(f"missing flarekit module {name}")
    if "python_modules/workers/__init__.py" not in files:
        problems.append("missing the vendored workers-runtime-sdk (python_modules/workers)")
    for name in sorted(files):
        if FORBIDDEN_PARTS & set(Path(name).parts) or Path(name).name.startswith("test_"):
            problems.append(f"must not ship {name}")
    return problems


def main() -> int:
    worker, bundle = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    problems = check(worker, bundle)
    for problem in problems:
        print(f"{worker.name}: {problem}", file=sys.stderr)
    if not problems:
        count = sum(1 for p in bundle.rglob("*.py"))
        print(f"{worker.name}: bundle ok ({count} Python modules)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
