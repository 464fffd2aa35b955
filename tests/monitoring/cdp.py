"""A small Chrome DevTools Protocol client: headless Chromium driven over its websocket.

Enough for the dashboard test: open a page, run JavaScript, collect console errors and uncaught
exceptions, take a screenshot. No npm package and no driver binary: Debian's `chromium` and aiohttp.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

# The flags this machine needs (no sandbox as root, no GPU, no network beyond what the page asks).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
)
START_TIMEOUT_S = 30


def chromium_path() -> str:
    """The Chromium binary, or a test failure saying how to install it (never a silent skip)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is required for the dashboard browser test but was not found on PATH. "
        "Install Debian's package: `apt-get install -y chromium`.",
        pytrace=False,
    )


class Page:
    """One browser tab attached with a flat session: commands, events, console errors."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session_id: str) -> None:
        self._ws = ws
        self._session = session_id
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.errors: list[str] = []
        self.loads = 0
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._waiting:
                future = self._waiting.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(f"CDP error: {data['error']}"))
                else:
                    future.set_result(data.get("result", {}))
                continue
            self._event(data.get("method", ""), data.get("params", {}))

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(
                "exception: " + str(details.get("exception", {}).get("description", details.get("text")))
            )
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Page.loadEventFired":
            self.loads += 1

    async def send(self, method: str, **params: Any) -> Any:
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        await self._ws.send_json({"id": message_id, "sessionId": self._session, "method": method, "params": params})
        return await asyncio.wait_for(future, 30)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 20.0) -> Any:
        """Poll a JavaScript expression until it is truthy (the page refreshes itself asynchronously)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {expression!r} in the page")
            await asyncio.sleep(0.1)

    async def navigate(self, url: str) -> None:
        loads = self.loads
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")
        deadline = asyncio.get_running_loop().time() + 20
        while self.loads == loads and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> None:
        await self.send("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
        height = await self.evaluate("document.documentElement.scrollHeight")
        await self.send(
            "Emulation.setDeviceMetricsOverride", width=1400, height=int(height), deviceScaleFactor=1, mobile=False
        )
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def browser_page(user_data_dir: Path) -> AsyncIterator[Page]:
    """Start headless Chromium with a fresh profile and yield one attached page."""
    process = await asyncio.create_subprocess_exec(
        chromium_path(),
        *FLAGS,
        f"--user-data-dir={user_data_dir}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    drain = None
    try:
        endpoint = await _devtools_endpoint(process)
        drain = asyncio.create_task(_drain(process.stderr))  # a full pipe would stall Chromium
        async with aiohttp.ClientSession() as http, http.ws_connect(endpoint, max_msg_size=64 * 1024 * 1024) as ws:
            target = await _browser_command(ws, 1, "Target.createTarget", url="about:blank")
            attached = await _browser_command(ws, 2, "Target.attachToTarget", targetId=target["targetId"], flatten=True)
            page = Page(ws, attached["sessionId"])
            try:
                for domain in ("Page", "Runtime", "Log"):
                    await page.send(f"{domain}.enable")
                yield page
            finally:
                await page.close()
    finally:
        if drain is not None:
            drain.cancel()
        if process.returncode is None:
            process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(process.wait(), 10)


async def _drain(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.read(65536):
        pass


async def _devtools_endpoint(process: asyncio.subprocess.Process) -> str:
    assert process.stderr is not None
    lines = []

    async def read() -> str:
        while True:
            line = (await process.stderr.readline()).decode(errors="replace")
            if not line:
                raise RuntimeError("Chromium exited before opening DevTools:\n" + "".join(lines))
            lines.append(line)
            if "DevTools listening on " in line:
                return line.split("DevTools listening on ", 1)[1].strip()

    return await asyncio.wait_for(read(), START_TIMEOUT_S)


async def _browser_command(ws: aiohttp.ClientWebSocketResponse, message_id: int, method: str, **params: Any) -> Any:
    await ws.send_json({"id": message_id, "method": method, "params": params})
    async for message in ws:
        data = json.loads(message.data)
        if data.get("id") == message_id:
            if "error" in data:
                raise RuntimeError(f"CDP error: {data['error']}")
            return data["result"]
    raise RuntimeError("DevTools connection closed")
