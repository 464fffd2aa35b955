"""The bot's settings are read once from env, with errors naming the variable and value."""

from __future__ import annotations

import pytest

from flarekit.errors import ConfigurationError
from telegram_bot.config import Secret, parse_config


class Env:
    def __init__(self, **values: str) -> None:
        self.__dict__.update(values)


def test_defaults_give_a_working_bot_with_three_hour_memory():
    config = parse_config(Env(ENVIRONMENT="development", TELEGRAM_BOT_TOKEN="42:abc"))
    assert config.api_base == "https://api.telegram.org"
    assert config.idle_reset_seconds == 10800
    assert config.bot_id == 42
    assert config.allow_everyone  # development default
    assert config.stream_private


def test_in_production_an_unset_allow_list_lets_nobody_in():
    config = parse_config(Env(TELEGRAM_BOT_TOKEN="42:abc"))
    assert config.production
    assert not config.is_allowed(1)


def test_allowed_users_are_ids_or_everyone():
    config = parse_config(Env(TELEGRAM_ALLOWED_USERS="11, 22,"))
    assert config.is_allowed(11) and config.is_allowed(22) and not config.is_allowed(33)
    assert parse_config(Env(TELEGRAM_ALLOWED_USERS="*")).is_allowed(33)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_ALLOWED_USERS", "alice"),
        ("BOT_MESSAGES_PER_MINUTE", "ten"),
        ("BOT_IDLE_RESET_SECONDS", "5"),
        ("BOT_STREAM", "always"),
        ("TELEGRAM_API_BASE", "api.telegram.org"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name, value):
    with pytest.raises(ConfigurationError, match=name):
        parse_config(Env(**{name: value}))


def test_secrets_do_not_show_in_the_configs_repr():
    config = parse_config(Env(TELEGRAM_BOT_TOKEN="42:very-secret", TELEGRAM_WEBHOOK_SECRET="hush"))
    assert "very-secret" not in repr(config) and "hush" not in repr(config)
    assert config.bot_token == "42:very-secret" and isinstance(config.bot_token, Secret)
