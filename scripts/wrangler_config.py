#!/usr/bin/env python3
"""Keep each Worker's wrangler.toml consistent with the shared root wrangler.toml.

The root file holds what all Workers share: compatibility date and flags, KV namespace ids (by
binding name) and each Worker's Durable Object migrations. wrangler reads only the per-Worker files,
so they repeat those fields; this script checks that they agree (`--check`, the default, run by
`make test`) or rewrites the date, flags and KV ids in place (`--fix`).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> dict:
    return tomllib.loads(path.read_text())


def worker_files() -> list[Path]:
    return sorted(ROOT.glob("workers/*/wrangler.toml"))


def problems_for(path: Path, shared: dict) -> list[str]:
    data = load(path)
    where = path.relative_to(ROOT)
    found = []
    if data.get("compatibility_date") != shared["compatibility_date"]:
        found.append(
            f"{where}: compatibility_date {data.get('compatibility_date')!r} != root {shared['compatibility_date']!r}"
        )
    if data.get("compatibility_flags") != shared["compatibility_flags"]:
        found.append(
            f"{where}: compatibility_flags {data.get('compatibility_flags')!r} != root {shared['compatibility_flags']!r}"
        )
    ids = shared.get("kv_namespaces", {})
    for kv in data.get("kv_namespaces", []):
        expected = ids.get(kv.get("binding"))
        if expected is None:
            found.append(f"{where}: KV binding {kv.get('binding')!r} has no id in the root wrangler.toml")
        elif kv.get("id") != expected:
            found.append(f"{where}: KV binding {kv['binding']!r} id {kv.get('id')!r} != root {expected!r}")
    expected_migrations = shared.get("migrations", {}).get(data.get("name"), [])
    if data.get("migrations", []) != expected_migrations:
        found.append(f"{where}: migrations differ from the root wrangler.toml [migrations.{data.get('name')}]")
    hosted = {b["class_name"] for b in data.get("durable_objects", {}).get("bindings", []) if "script_name" not in b}
    declared = {c for m in data.get("migrations", []) for c in m.get("new_sqlite_classes", [])}
    for cls in sorted(hosted - declared):
        found.append(f"{where}: Durable Object class {cls!r} has no new_sqlite_classes migration")
    return found


def fix(path: Path, shared: dict) -> None:
    text = path.read_text()
    text = re.sub(r'(?m)^compatibility_date = ".*"$', f'compatibility_date = "{shared["compatibility_date"]}"', text)
    flags = ", ".join(f'"{f}"' for f in shared["compatibility_flags"])
    text = re.sub(r"(?m)^compatibility_flags = \[.*\]$", f"compatibility_flags = [{flags}]", text)
    for binding, namespace_id in shared.get("kv_namespaces", {}).items():
        text = re.sub(
            rf'(binding = "{re.escape(binding)}"\s*\nid = )"[^"]*"',
            rf'\g<1>"{namespace_id}"',
            text,
        )
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report disagreements (the default)")
    mode.add_argument("--fix", action="store_true", help="rewrite date, flags and KV ids from the root file")
    args = parser.parse_args()
    shared = load(ROOT / "wrangler.toml")
    if args.fix:
        for path in worker_files():
            fix(path, shared)
    found = [p for path in worker_files() for p in problems_for(path, shared)]
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"wrangler config: {len(worker_files())} Workers agree with the root wrangler.toml")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
