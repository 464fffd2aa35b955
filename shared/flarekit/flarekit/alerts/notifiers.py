"""Where alert messages go: a Telegram admin chat (Bot API `sendMessage`) and a generic JSON webhook.

Telegram is called directly with the bot's token (`TELEGRAM_BOT_TOKEN`, `TELEGRAM_ADMIN_CHAT_ID`,
`TELEGRAM_API_BASE` for tests and local runs), not through the bot Worker: an alert about the bot
must not depend on the bot being healthy. Messages are plain text (no parse_mode), so nothing in a
summary can break Telegram's formatting. The webhook (`ALERT_WEBHOOK_URL`) receives one JSON
object per notification; `ALERT_WEBHOOK_TOKEN`, when set, is sent as a bearer token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import workers

from flarekit.alerts.incidents import Notification

log = logging.getLogger("flarekit.alerts")

DEFAULT_TELEGRAM_API = "https://api.telegram.org"


class Notifier(Protocol):
    @property
    def name(self) -> str:
        """Where notifications go ("telegram", "webhook"), for logs and counters."""
        ...

    async def send(self, notification: Notification) -> bool:
        """Deliver one notification; False when it could not be (never raises)."""
        ...


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def message_text(notification: Notification, dashboard_url: str | None = None) -> str:
    """The human message: what fired or resolved, since when, and where to look."""
    subject = f" [{notification.subject}]" if notification.subject else ""
    if notification.status == "firing":
        lines = [f"ALERT: {notification.rule}{subject}", notification.summary, f"since {_time(notification.opened_ms)}"]
    else:
        minutes = max((notification.at_ms - notification.opened_ms) // 60_000, 0)
        lines = [
            f"RESOLVED: {notification.rule}{subject}",
            f"after {minutes} min (opened {_time(notification.opened_ms)})",
        ]
    if dashboard_url:
        lines.append(dashboard_url)
    return "\n".join(lines)


def webhook_payload(notification: Notification, dashboard_url: str | None = None) -> dict[str, Any]:
    """The JSON a webhook receives."""
    return {
        "status": notification.status,
        "rule": notification.rule,
        "kind": notification.kind or None,
        "subject": notification.subject or None,
        "summary": notification.summary,
        "value": notification.value,
        "opened_at": notification.opened_ms,
        "at": notification.at_ms,
        "text": message_text(notification, dashboard_url),
        "dashboard": dashboard_url,
    }


async def _post(url: str, payload: dict[str, Any], headers: dict[str, str], what: str) -> bool:
    try:
        response = await workers.fetch(url, method="POST", headers=headers, body=json.dumps(payload))
        status = response.status
    except Exception as error:  # an unreachable channel is reported, and the incident retried later
        log.warning("%s notification failed: %s: %s", what, type(error).__name__, error)
        return False
    if not 200 <= status < 300:
        log.warning("%s notification refused: HTTP %s", what, status)
        return False
    return True


@dataclass(frozen=True)
class TelegramNotifier:
    api_base: str
    token: str
    chat_id: str
    dashboard_url: str | None = None
    name: str = "telegram"

    def __repr__(self) -> str:
        return f"TelegramNotifier(chat_id={self.chat_id!r})"  # never the token

    async def send(self, notification: Notification) -> bool:
        payload = {
            "chat_id": self.chat_id,
            "text": message_text(notification, self.dashboard_url),
            "disable_web_page_preview": True,
        }
        url = f"{self.api_base.rstrip('/')}/bot{self.token}/sendMessage"
        return await _post(url, payload, {"content-type": "application/json"}, "Telegram")


@dataclass(frozen=True)
class WebhookNotifier:
    url: str
    token: str | None = field(default=None, repr=False)
    dashboard_url: str | None = None
    name: str = "webhook"

    async def send(self, notification: Notification) -> bool:
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return await _post(self.url, webhook_payload(notification, self.dashboard_url), headers, "webhook")


def _var(env: Any, name: str) -> str | None:
    value = getattr(env, name, None)
    return value.strip() or None if isinstance(value, str) else None


def _telegram(env: Any, dashboard: str | None) -> Notifier | None:
    token, chat = _var(env, "TELEGRAM_BOT_TOKEN"), _var(env, "TELEGRAM_ADMIN_CHAT_ID")
    if not token or not chat:
        return None
    return TelegramNotifier(_var(env, "TELEGRAM_API_BASE") or DEFAULT_TELEGRAM_API, token, chat, dashboard)


def _webhook(env: Any, dashboard: str | None) -> Notifier | None:
    url = _var(env, "ALERT_WEBHOOK_URL")
    return WebhookNotifier(url, _var(env, "ALERT_WEBHOOK_TOKEN"), dashboard) if url else None


CHANNELS: dict[str, Callable[[Any, str | None], Notifier | None]] = {"telegram": _telegram, "webhook": _webhook}


def notifiers_from_env(env: Any) -> list[Notifier]:
    """Every channel configured in `env` (none is an error only in the sense that nothing is sent)."""
    dashboard = _var(env, "DASHBOARD_URL")
    return [n for n in (factory(env, dashboard) for factory in CHANNELS.values()) if n is not None]
