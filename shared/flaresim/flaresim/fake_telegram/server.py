"""`FakeBotApi`: the Telegram Bot API as a real aiohttp server on 127.0.0.1, for tests and the sandbox.

It answers the methods a bot uses with Telegram's result shapes and error texts, records every call,
and plays scripted faults queued with `fail_next`. It is strict where Telegram is: an edit that
changes nothing, malformed HTML, empty or over-long text and unknown methods all get Telegram's 400s.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from flaresim.fake_telegram.entities import EntityError, parse_html

MESSAGE_LIMIT = 4096
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass(frozen=True)
class BotCall:
    """One request the bot made: method, parameters, when (by the fake's clock), and the status answered."""

    method: str
    params: dict[str, Any]
    at: float
    status: int


@dataclass
class Fault:
    """A scripted failure for the next calls of `method` (`*` for any)."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    disconnect: bool = False
    times: int = 1


@dataclass
class _Message:
    chat_id: int
    message_id: int
    text: str
    html: str | None
    history: list[str] = field(default_factory=list)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _BadRequest(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class FakeBotApi:
    """A Bot API server for one bot token; `url` is its base (what `TELEGRAM_API_BASE` is set to)."""

    def __init__(
        self,
        token: str = "123456:dev-bot-token",  # noqa: S107 - the dev token of .dev.vars.example
        *,
        username: str = "flarekit_bot",
        clock: Callable[[], float] = time.time,
        max_calls: int = 10_000,
    ) -> None:
        self.token = token
        self.clock = clock
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.me = {"id": bot_id, "is_bot": True, "first_name": "Flarekit", "username": username}
        self.calls: deque[BotCall] = deque(maxlen=max_calls)
        self.messages: dict[tuple[int, int], _Message] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.commands: list[dict[str, str]] = []
        self.faults: deque[Fault] = deque()
        self.url = ""
        self._next_message_id = 1
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda _p: self.me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "sendChatAction": lambda p: self._require(p, "chat_id", "action") and True,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": lambda p: self._require(p, "callback_query_id") and True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda _p: self.commands,
        }

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `host:port` (0: a free port); returns the base URL."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # -- what tests script and read -----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        disconnect: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail (429 with retry_after, 400, 5xx, or a dropped connection)."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                400: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
                403: "Forbidden: bot was blocked by the user",
            }.get(status, "Internal Server Error" if status == 500 else "Bad Gateway")
        if status == 429 and retry_after is None:
            retry_after = 1
        self.faults.append(Fault(method, status, description, retry_after, disconnect, times))

    def calls_of(self, method: str, *, ok_only: bool = True) -> list[BotCall]:
        """The recorded calls of one method (only the successful ones unless `ok_only=False`)."""
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def chat(self, chat_id: int) -> list[str]:
        """What the user of `chat_id` sees now: each message's current text, in order."""
        found = [m for (chat, _), m in self.messages.items() if chat == chat_id]
        return [m.text for m in sorted(found, key=lambda m: m.message_id)]

    def message(self, chat_id: int, message_id: int) -> _Message:
        return self.messages[(chat_id, message_id)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait (real time) until `predicate()` holds after some call; for the sandbox and live runs."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the bot did not make the expected Bot API calls in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    # -- HTTP ----------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if not raw:
            return params
        if request.content_type == "application/json":
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise _BadRequest("Bad Request: parameters must be a JSON object")
            params.update(body)
        else:
            for key, value in parse_qsl(raw.decode()):
                params[key] = json.loads(value) if value[:1] in "[{" else value
        return params

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*"):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._params(request)
        except (ValueError, _BadRequest) as error:
            return self._answer(method, {}, 400, {"ok": False, "error_code": 400, "description": str(error)})
        if request.match_info["token"] != self.token:
            return self._answer(method, params, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        fault = self._take_fault(method)
        if fault is not None:
            if fault.disconnect:
                self._record(method, params, 0)
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            return self._answer(method, params, fault.status, body)
        handler = self._methods.get(method)
        if handler is None:
            return self._answer(method, params, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        try:
            result = handler(params)
        except _BadRequest as error:
            return self._answer(method, params, 400, {"ok": False, "error_code": 400, "description": error.description})
        return self._answer(method, params, 200, {"ok": True, "result": result})

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        self.calls.append(BotCall(method, params, self.clock(), status))
        self._changed.set()

    def _answer(self, method: str, params: dict[str, Any], status: int, body: dict[str, Any]) -> web.Response:
        self._record(method, params, status)
        return web.json_response(body, status=status)

    # -- methods -------------------------------------------------------------------------------------

    @staticmethod
    def _require(params: dict[str, Any], *names: str) -> bool:
        for name in names:
            if params.get(name) in (None, ""):
                raise _BadRequest(
                    f"Bad Request: {name} is empty" if name == "text" else f"Bad Request: {name} is required"
                )
        return True

    @staticmethod
    def _render(params: dict[str, Any]) -> tuple[str, str | None]:
        text = str(params.get("text") or "")
        if not text.strip():
            raise _BadRequest("Bad Request: message text is empty")
        mode = str(params.get("parse_mode") or "")
        if mode.upper() == "HTML":
            try:
                visible = parse_html(text)
            except EntityError as error:
                raise _BadRequest(f"Bad Request: can't parse entities: {error}") from None
            html = text
        elif mode:
            raise _BadRequest(f"Bad Request: unsupported parse_mode {mode!r} in this fake")
        else:
            visible, html = text, None
        if not visible.strip():
            raise _BadRequest("Bad Request: text must be non-empty")
        if _utf16(visible) > MESSAGE_LIMIT:
            raise _BadRequest("Bad Request: message is too long")
        return visible, html

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "chat_id")
        chat_id = int(params["chat_id"])
        return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        visible, html = self._render(params)
        message_id = self._next_message_id
        self._next_message_id += 1
        self.messages[(chat["id"], message_id)] = _Message(chat["id"], message_id, visible, html)
        result: dict[str, Any] = {
            "message_id": message_id,
            "from": self.me,
            "chat": chat,
            "date": int(self.clock()),
            "text": visible,
        }
        reply = params.get("reply_parameters") or {}
        if isinstance(reply, dict) and reply.get("message_id"):
            result["reply_to_message"] = {"message_id": reply["message_id"], "chat": chat, "date": int(self.clock())}
        return result

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        self._require(params, "message_id")
        message = self.messages.get((chat["id"], int(params["message_id"])))
        if message is None:
            raise _BadRequest("Bad Request: message to edit not found")
        visible, html = self._render(params)
        if visible == message.text and html == message.html:
            raise _BadRequest(_NOT_MODIFIED)
        message.history.append(message.text)
        message.text, message.html = visible, html
        return {
            "message_id": message.message_id,
            "from": self.me,
            "chat": chat,
            "date": int(self.clock()),
            "text": visible,
        }

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        if self.messages.pop((chat["id"], int(params.get("message_id") or 0)), None) is None:
            raise _BadRequest("Bad Request: message to delete not found")
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _BadRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = str(params.get("secret_token") or "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _BadRequest("Bad Request: secret token contains unallowed characters")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": list(params.get("allowed_updates") or []),
            "max_connections": int(params.get("max_connections") or 40),
        }
        return True

    def _delete_webhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = {"url": ""}
        return True

    def _webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if info["url"]:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _BadRequest("Bad Request: commands must be a list of at most 100 BotCommand")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not _COMMAND.fullmatch(name):
                raise _BadRequest("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _BadRequest("Bad Request: command description must be 1-256 characters")
        self.commands = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True
