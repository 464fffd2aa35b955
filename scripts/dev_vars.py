#!/usr/bin/env python3
"""Create each Worker's `.dev.vars` from its committed `.dev.vars.example`, or add to an existing
one the names the example gained since it was copied (existing values are never changed).

Usage: scripts/dev_vars.py WORKER_DIR [WORKER_DIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path


def names_and_lines(path: Path) -> list[tuple[str | None, str]]:
    pairs = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        name = None
        if stripped and not stripped.startswith("#") and "=" in stripped:
            name = stripped.removeprefix("export ").split("=", 1)[0].strip()
        pairs.append((name, line))
    return pairs


def sync(worker: Path) -> None:
    example, target = worker / ".dev.vars.example", worker / ".dev.vars"
    if not example.is_file():
        return
    if not target.exists():
        target.write_text(example.read_text())
        print(f"created {target} (development credentials)")
        return
    present = {name for name, _ in names_and_lines(target) if name}
    missing = [line for name, line in names_and_lines(example) if name and name not in present]
    if missing:
        text = target.read_text()
        text += ("" if text.endswith("\n") or not text else "\n") + "# added from .dev.vars.example\n"
        target.write_text(text + "\n".join(missing) + "\n")
        print(f"added to {target}: {', '.join(line.split('=', 1)[0] for line in missing)}")


def main() -> int:
    for argument in sys.argv[1:]:
        sync(Path(argument))
    return 0


if __name__ == "__main__":
    sys.exit(main())
