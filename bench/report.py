"""Write a benchmark's table into its own section of docs/performance.md.

Each benchmark owns the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, so scripts
can be rerun in any order without clobbering each other's figures.
"""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

PERFORMANCE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADER = "# Performance\n\nFigures written by the benchmark scripts under `bench/` (`make bench`); never by tests.\n"


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, {platform.system()}"
    )


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) this benchmark's section and print it."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = f"<!-- bench:{name} -->\n## {title}\n\n_Measured {stamp}, {machine()}._\n\n{body.strip()}\n<!-- /bench:{name} -->"
    text = PERFORMANCE.read_text() if PERFORMANCE.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    PERFORMANCE.parent.mkdir(parents=True, exist_ok=True)
    PERFORMANCE.write_text(text)
    print(section)
