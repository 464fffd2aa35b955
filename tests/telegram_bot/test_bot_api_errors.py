"""Bot API answers are classified into what the outbox should do next."""

from __future__ import annotations

import pytest

from telegram_bot.bot_api import EntityError, NotModified, Rejected, RetryAfter, Transient, classify


def test_a_successful_answer_gives_its_result():
    assert classify("sendMessage", 200, {"ok": True, "result": {"message_id": 7}}) == {"message_id": 7}


def test_flood_control_carries_retry_after_in_seconds():
    body = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 17",
        "parameters": {"retry_after": 17},
    }
    with pytest.raises(RetryAfter) as caught:
        classify("sendMessage", 429, body)
    assert caught.value.retry_after == 17


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, Transient),
        (200, "<html>proxy error</html>", Transient),
        (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: can't parse entities: Unsupported start tag"},
            EntityError,
        ),
        (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified: same"},
            NotModified,
        ),
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}, Rejected),
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, Rejected),
    ],
)
def test_failures_are_named_by_what_to_do_next(status, body, error):
    with pytest.raises(error):
        classify("sendMessage", status, body)
