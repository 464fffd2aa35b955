"""Turn py-spy's raw (collapsed) samples into a report: a text summary of where the time goes, a
speedscope profile and a self-contained SVG flame graph (for scripts/profile.py, `make profile`).

Raw lines are `frame;frame;...;frame COUNT`, root first, each frame `function (path:line)`.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_FRAME = re.compile(r"(.*) \((.*):(\d+)\)$")

# Where a sample's time belongs: the frame nearest the leaf that one of these path fragments names
# (standard-library frames such as json or sqlite3 count for the code that called them).
COMPONENTS = (
    ("monitoring: Observer, spans, records, aggregator, dashboard", ("flarekit/metrics/", "flarekit/tracing/",
     "flarekit/alerts/", "telemetry_monitoring/", "ai_proxy/observing.py", "ai_proxy/model_spans.py")),
    ("flaresim: bindings, Durable Objects, KV, outbound fetch", ("flaresim/",)),
    ("uvicorn and httptools (the local HTTP server)", ("uvicorn/", "httptools/")),
    ("AI proxy", ("ai_proxy/",)),
    ("telemetry Worker: ingest, storage, query", ("telemetry_ingest/",)),
    ("Telegram bot", ("telegram_bot/",)),
    ("flarekit: cache, limits, LLM formats, usage, conversations", ("flarekit/",)),
    ("workers SDK shims", ("/shims/", "workers/")),
)  # fmt: skip
# py-spy names files relative to the import path: our packages by their own names.
OWN_CODE = ("flarekit/", "ai_proxy/", "telemetry_ingest/", "telemetry_monitoring/", "telegram_bot/", "entry.py")


@dataclass
class Samples:
    stacks: list[tuple[tuple[tuple[str, str, int], ...], int]] = field(default_factory=list)
    total: int = 0


def read_raw(path: Path) -> Samples:
    """The samples of a py-spy raw file; start-up (imports) left out."""
    samples = Samples()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = []
        for part in stack.split(";"):
            match = _FRAME.match(part)
            if match:
                frames.append((match.group(1), match.group(2), int(match.group(3))))
        if not frames or any("importlib" in path for _, path, _ in frames):
            continue
        samples.stacks.append((tuple(frames), int(count)))
        samples.total += int(count)
    return samples


def component(frames: tuple[tuple[str, str, int], ...]) -> str:
    for _, path, _ in reversed(frames):
        for name, fragments in COMPONENTS:
            if any(fragment in path for fragment in fragments):
                return name
    return "event loop, garbage collection, the rest"


def _short(path: str) -> str:
    for marker in ("/workers/", "/shared/", "/site-packages/", "/python3.11/", "/python3.13/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def summary(samples: Samples, top: int = 20) -> str:
    """Shares per component, the hottest functions (self time) and our own code's (inclusive)."""
    total = max(samples.total, 1)
    by_component: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in samples.stacks:
        by_component[component(frames)] += count
        name, path, line = frames[-1]
        self_time[f"{name} ({_short(path)}:{line})"] += count
        for key in {
            f"{n} ({_short(p)}:{ln})" for n, p, ln in frames if p.startswith(OWN_CODE) or "/" + OWN_CODE[0] in p
        }:
            inclusive[key] += count

    def lines(counter: Counter[str]) -> list[str]:
        return [f"  {100 * count / total:5.1f}%  {key}" for key, count in counter.most_common(top)]

    out = [f"{samples.total} samples (start-up excluded)", "", "Where the time goes (by the code nearest the leaf):"]
    out += lines(by_component)
    out += ["", f"Hottest functions, self time (top {top}):", *lines(self_time)]
    out += ["", f"Our code, inclusive time (top {top}):", *lines(inclusive)]
    return "\n".join(out) + "\n"


def speedscope(samples: Samples, name: str) -> dict:
    """The samples as a speedscope file (https://www.speedscope.app/file-format-schema.json)."""
    index: dict[tuple[str, str, int], int] = {}
    frames: list[dict] = []
    stacks, weights = [], []
    for stack, count in samples.stacks:
        ids = []
        for frame in stack:
            if frame not in index:
                index[frame] = len(frames)
                frames.append({"name": frame[0], "file": _short(frame[1]), "line": frame[2]})
            ids.append(index[frame])
        stacks.append(ids)
        weights.append(count)
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": frames},
        "profiles": [
            {"type": "sampled", "name": name, "unit": "none", "startValue": 0, "endValue": samples.total,
             "samples": stacks, "weights": weights}
        ],
        "name": name,
        "exporter": "scripts/profile_report.py",
    }  # fmt: skip


def flame_svg(samples: Samples, title: str, width: int = 1800, row: int = 16, min_px: float = 0.6) -> str:
    """A flame graph (root at the bottom) as one self-contained SVG; hover a box for its figures."""
    tree: dict = {"n": 0, "c": {}}
    for stack, count in samples.stacks:
        node = tree
        node["n"] += count
        for name, path, _ in stack:
            node = node["c"].setdefault(f"{name} ({_short(path)})", {"n": 0, "c": {}})
            node["n"] += count
    total = max(tree["n"], 1)
    boxes: list[tuple[int, float, float, str, int]] = []

    def walk(node: dict, depth: int, x: float) -> int:
        deepest = depth
        for key, child in sorted(node["c"].items()):
            w = child["n"] / total * width
            if w >= min_px:
                boxes.append((depth, x, w, key, child["n"]))
                deepest = max(deepest, walk(child, depth + 1, x))
            x += w
        return deepest

    depth = walk(tree, 0, 0.0) + 1
    height = depth * row + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
        f'font-size="11"><rect width="100%" height="100%" fill="#fdfdf8"/>'
        f'<text x="6" y="16" font-size="14">{html.escape(title)} ({samples.total} samples)</text>'
    ]
    for level, x, w, key, count in boxes:
        y = height - (level + 1) * row
        hue = 20 + (hash(key.split(" (")[-1]) % 40)
        label = html.escape(key[: int(w / 6.5)]) if w > 40 else ""  # cut before escaping: never mid-entity
        share = f"{100 * count / total:.1f}%"
        parts.append(
            f"<g><title>{html.escape(key)}: {count} samples, {share}</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="hsl({hue},85%,62%)"/>'
            f'<text x="{x + 2:.1f}" y="{y + row - 4}">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def write_report(raw: Path, out: Path, title: str) -> str:
    """Write summary.txt, profile.speedscope.json and flamegraph.svg next to each other; returns the summary."""
    samples = read_raw(raw)
    text = summary(samples)
    (out / "summary.txt").write_text(text)
    (out / "profile.speedscope.json").write_text(json.dumps(speedscope(samples, title)))
    (out / "flamegraph.svg").write_text(flame_svg(samples, title))
    return text
