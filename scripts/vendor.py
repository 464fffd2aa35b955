#!/usr/bin/env python3
"""Fill a Worker's `python_modules/` with what production loads next to its `src/`.

Production (compat date >= 2025-08-11) imports vendored packages only from `python_modules/` beside
`wrangler.toml`, and since 2026-04-21 the `workers` SDK itself must be vendored there. This script
puts there:
  - our own packages listed in `[tool.flarekit.bundle] local` of the Worker's pyproject.toml
    (flarekit): symlinked with `--link` so local edits are live, copied otherwise;
  - the Worker's `[project] dependencies` and the pinned workers-runtime-sdk, as pure-Python wheels
    for Python 3.13 downloaded from PyPI into `.cache/wheels/` and unpacked.

Usage: scripts/vendor.py WORKER_DIR [--link] [--out DIR]
  --out DIR  build a deployable copy of the Worker in DIR (wrangler.toml, src/, python_modules/)
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEEL_CACHE = ROOT / ".cache" / "wheels"
# Pinned: the SDK's binding wrappers define how values cross into Python in production.
WORKERS_SDK = "workers-runtime-sdk==1.9.5"


def read_bundle_spec(worker: Path) -> tuple[list[str], dict[str, Path]]:
    data = tomllib.loads((worker / "pyproject.toml").read_text())
    requirements = list(data.get("project", {}).get("dependencies", []))
    local = data.get("tool", {}).get("flarekit", {}).get("bundle", {}).get("local", {})
    return requirements, {name: (worker / path).resolve() for name, path in local.items()}


def download_wheels(requirements: list[str]) -> list[Path]:
    """Pure-Python wheels for CPython 3.13 (what Pyodide 0.28 runs), cached between runs."""
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:16]
    target = WHEEL_CACHE / key
    stamp = target / ".complete"
    if not stamp.exists():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                "--platform",
                "any",
                "--python-version",
                "3.13",
                "--implementation",
                "py",
                "--abi",
                "none",
                "--dest",
                str(target),
                *requirements,
            ],
            check=True,
        )
        stamp.touch()
    return sorted(target.glob("*.whl"))


def unpack_wheel(wheel: Path, destination: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(destination)


def vendor(worker: Path, destination: Path, link: bool) -> None:
    requirements, local = read_bundle_spec(worker)
    if destination.is_symlink() or destination.is_file():
        destination.unlink()
    elif destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for wheel in download_wheels([WORKERS_SDK, *requirements]):
        unpack_wheel(wheel, destination)
    for name, source in local.items():
        if not (source / "__init__.py").is_file():
            raise SystemExit(f"{worker}/pyproject.toml: local package {name!r} -> {source} is not a package")
        target = destination / name
        if link:
            target.symlink_to(Path(_relative(source, destination)), target_is_directory=True)
        else:
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _relative(source: Path, start: Path) -> str:
    import os

    return os.path.relpath(source, start)


def build(worker: Path, out: Path) -> None:
    """A self-contained copy of the Worker, ready for `wrangler deploy` (no symlinks)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(worker / "wrangler.toml", out / "wrangler.toml")
    shutil.copytree(worker / "src", out / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    vendor(worker, out / "python_modules", link=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("worker", type=Path)
    parser.add_argument("--link", action="store_true", help="symlink our packages (local development)")
    parser.add_argument("--out", type=Path, help="build a deployable copy of the Worker here")
    args = parser.parse_args()
    worker = args.worker.resolve()
    if args.out:
        build(worker, args.out.resolve())
    else:
        vendor(worker, worker / "python_modules", link=args.link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
