"""The bot's configuration: one frozen record parsed once per isolate from `env`.

Vars (wrangler.toml `[vars]`) and secrets (`.dev.vars` locally, `wrangler secret put` in production):

    TELEGRAM_BOT_TOKEN        secret; the token from @BotFather ("123456:ABC...")
    TELEGRAM_WEBHOOK_SECRET   secret; Telegram sends it back in X-Telegram-Bot-Api-Secret-Token
    TELEGRAM_API_BASE         default https://api.telegram.org (tests and the sandbox point it elsewhere)
    TELEGRAM_ALLOWED_USERS    comma-separated user ids, or * for everyone; unset: nobody in production
    TELEGRAM_BOT_USERNAME     the bot's @username without @, for mentions in groups (else asked via getMe)
    PROXY_API_KEY             secret; the bot's own key for the AI proxy
    BOT_MODEL                 the model alias asked of the proxy until a chat picks one with /model
    BOT_SYSTEM_PROMPT         the system message sent first in every conversation
    BOT_MESSAGES_PER_MINUTE   per chat (default 10)
    BOT_TOKENS_PER_DAY        per chat, prompt plus answer (default 100000)
    BOT_HISTORY_TOKENS        the history sent with each message is trimmed to this (default 3000)
    BOT_IDLE_RESET_SECONDS    a conversation idle this long starts afresh (default 10800, 3 h)
    BOT_PROXY_TIMEOUT_SECONDS how long to wait for the proxy's answer (default 60)
    BOT_MAX_ANSWER_TOKENS     max_tokens asked of the model (default 1024)
    BOT_STREAM                "private" (stream answers in private chats, the default) or "off"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flarekit.errors import ConfigurationError

DEFAULT_API_BASE = "https://api.telegram.org"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant chatting on Telegram. Answer concisely. "
    "You may use Markdown: **bold**, *italic*, `code`, fenced code blocks and [links](https://example.com)."
)


class Secret(str):
    """A string whose repr is masked, so a logged config does not leak the token."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


@dataclass(frozen=True)
class BotConfig:
    bot_token: Secret
    webhook_secret: Secret
    api_base: str
    allow_everyone: bool
    allowed_users: frozenset[int]
    bot_username: str
    proxy_key: Secret
    model: str
    system_prompt: str
    messages_per_minute: int
    tokens_per_day: int
    history_tokens: int
    idle_reset_seconds: int
    proxy_timeout_seconds: float
    max_answer_tokens: int
    stream_private: bool
    production: bool

    @property
    def bot_id(self) -> int:
        """The bot's own user id: the digits before the colon of its token."""
        head = self.bot_token.split(":", 1)[0]
        return int(head) if head.isdigit() else 0

    def is_allowed(self, user_id: int) -> bool:
        return self.allow_everyone or user_id in self.allowed_users


def _text(env: Any, name: str, default: str = "") -> str:
    value = getattr(env, name, None)
    return default if value is None else str(value).strip()


def _number(env: Any, name: str, default: float, *, minimum: float = 0, integer: bool = True) -> Any:
    raw = _text(env, name)
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a {'whole ' if integer else ''}number, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _allowed_users(raw: str) -> tuple[bool, frozenset[int]]:
    if raw == "*":
        return True, frozenset()
    ids = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigurationError(f"TELEGRAM_ALLOWED_USERS must be '*' or comma-separated user ids, got {part!r}")
        ids.add(int(part))
    return False, frozenset(ids)


def parse_config(env: Any) -> BotConfig:
    """Read and validate every setting; errors name the variable and the bad value."""
    production = _text(env, "ENVIRONMENT", "production") == "production"
    stream = _text(env, "BOT_STREAM", "private").lower()
    if stream not in ("private", "off"):
        raise ConfigurationError(f"BOT_STREAM must be 'private' or 'off', got {stream!r}")
    allow_everyone, allowed = _allowed_users(_text(env, "TELEGRAM_ALLOWED_USERS", "" if production else "*"))
    api_base = _text(env, "TELEGRAM_API_BASE", DEFAULT_API_BASE).rstrip("/")
    if not api_base.startswith(("https://", "http://")):
        raise ConfigurationError(f"TELEGRAM_API_BASE must be an http(s) URL, got {api_base!r}")
    return BotConfig(
        bot_token=Secret(_text(env, "TELEGRAM_BOT_TOKEN")),
        webhook_secret=Secret(_text(env, "TELEGRAM_WEBHOOK_SECRET")),
        api_base=api_base,
        allow_everyone=allow_everyone,
        allowed_users=allowed,
        bot_username=_text(env, "TELEGRAM_BOT_USERNAME").lstrip("@").lower(),
        proxy_key=Secret(_text(env, "PROXY_API_KEY")),
        model=_text(env, "BOT_MODEL"),
        system_prompt=_text(env, "BOT_SYSTEM_PROMPT") or DEFAULT_SYSTEM_PROMPT,
        messages_per_minute=_number(env, "BOT_MESSAGES_PER_MINUTE", 10),
        tokens_per_day=_number(env, "BOT_TOKENS_PER_DAY", 100_000),
        history_tokens=_number(env, "BOT_HISTORY_TOKENS", 3000, minimum=100),
        idle_reset_seconds=_number(env, "BOT_IDLE_RESET_SECONDS", 3 * 3600, minimum=60),
        proxy_timeout_seconds=_number(env, "BOT_PROXY_TIMEOUT_SECONDS", 60.0, minimum=0.01, integer=False),
        max_answer_tokens=_number(env, "BOT_MAX_ANSWER_TOKENS", 1024, minimum=16),
        stream_private=stream == "private",
        production=production,
    )


_CACHE: dict[int, tuple[Any, BotConfig]] = {}


def config_for(env: Any) -> BotConfig:
    """The parsed config of this isolate's env (parsed on first use, then reused)."""
    cached = _CACHE.get(id(env))
    if cached is not None and cached[0] is env:
        return cached[1]
    config = parse_config(env)
    if len(_CACHE) > 8:  # one env per isolate; a bound in case a host hands out fresh ones
        _CACHE.clear()
    _CACHE[id(env)] = (env, config)
    return config
