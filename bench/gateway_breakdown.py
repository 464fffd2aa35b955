"""Where the proxy's time goes: py-spy's raw samples of the proxy process, as a share per component."""

from __future__ import annotations

import re
from pathlib import Path

# Components of a request, by the frames on its stack: the first rule with a matching frame wins.
COMPONENTS = [
    (
        "RateLimiter round trip (the Durable Object runs in process here, with its SQLite)",
        [("_call", "ratelimit/client.py")],
    ),
    (
        "upstream HTTP call (workers.fetch shim + aiohttp client)",
        [("post", "llm/transport.py"), ("read_body", "llm/transport.py")],
    ),
    (
        "after-response work (batched spend, token corrections, telemetry)",
        [("after_response", "ai_proxy/proxy_call.py")],
    ),
    (
        "workers/js shims used by the handler (Request, Response, headers)",
        [("", "workers/response.py"), ("", "workers/request.py"), ("", "workers/_body.py"), ("", "js/__init__.py")],
    ),
    ("gateway logic (keys, JSON, routing, failover, records)", [("handle", "ai_proxy/app.py")]),
    (
        "flaresim request plumbing (ASGI adapter, isolate dispatch)",
        [("fetch", "flaresim/worker_host.py"), ("", "flaresim/asgi_adapter.py")],
    ),
    ("uvicorn HTTP server", [("", "uvicorn/")]),
]
_FRAME = re.compile(r"(.*) \((.*):\d+\)")


def breakdown(raw: Path) -> list[list[str]]:
    """Shares of py-spy samples (raw format) per component, start-up excluded."""
    shares: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [m.groups() for m in map(_FRAME.match, stack.split(";")) if m]
        if not frames or any("importlib" in path for _, path in frames):
            continue
        total += int(count)
        name = next(
            (
                name
                for name, rules in COMPONENTS
                if any(fn.endswith(f) and part in path for fn, path in frames for f, part in rules)
            ),
            "event loop, garbage collection, the rest",
        )
        shares[name] = shares.get(name, 0) + int(count)
    return [[name, f"{100 * count / total:.0f}%"] for name, count in sorted(shares.items(), key=lambda i: -i[1])]
