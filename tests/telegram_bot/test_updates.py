"""Reading Telegram Updates: which chat, what was said, and whether a group message is for the bot."""

from __future__ import annotations

import pytest

from flaresim.fake_telegram import UpdateFactory
from telegram_bot.updates import PHOTO_NOTE, chat_id_of, parse_message, update_id_of

BOT_ID = 123456
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Flarekit", "username": "flarekit_bot"}


@pytest.fixture
def make() -> UpdateFactory:
    return UpdateFactory()


def test_a_private_text_message_is_read_with_its_chat_user_and_text(make):
    incoming = parse_message(make.text("  hello there  "))
    assert incoming is not None
    assert (incoming.chat_id, incoming.user_id, incoming.chat_type, incoming.text) == (
        1111111,
        1111111,
        "private",
        "hello there",
    )
    assert incoming.command is None
    assert incoming.addressed_to(BOT_ID, "flarekit_bot")


@pytest.mark.parametrize(
    ("text", "command", "target", "argument"),
    [
        ("/start", "start", None, ""),
        ("/model gpt-4o-mini", "model", None, "gpt-4o-mini"),
        ("/Reset@Flarekit_Bot", "reset", "flarekit_bot", ""),
        ("/retry@other_bot please", "retry", "other_bot", "please"),
    ],
)
def test_commands_are_parsed_with_their_target_and_argument(make, text, command, target, argument):
    incoming = parse_message(make.text(text))
    assert (incoming.command, incoming.command_target, incoming.argument) == (command, target, argument)


def test_in_a_group_only_mentions_replies_and_commands_for_this_bot_are_addressed(make):
    group = make.group_chat()
    user = make.user(2222, "Bo", "bo")

    def addressed(update):
        return parse_message(update).addressed_to(BOT_ID, "flarekit_bot")

    assert not addressed(make.text("just chatting", user=user, chat=group))
    assert addressed(make.text("@flarekit_bot what is 2+2?", user=user, chat=group))
    assert addressed(make.text("hey @FLAREKIT_BOT!", user=user, chat=group))
    assert not addressed(make.text("@flarekit_bot_fan hi", user=user, chat=group))
    assert addressed(make.text("/help", user=user, chat=group))
    assert addressed(make.text("/help@flarekit_bot", user=user, chat=group))
    assert not addressed(make.text("/help@other_bot", user=user, chat=group))
    earlier = make.bot_message(BOT, group, "an earlier answer")
    assert addressed(make.text("and why?", user=user, chat=group, reply_to=earlier))
    someone = make.message("a human message", user=make.user(3333), chat=group)
    assert not addressed(make.text("agreed", user=user, chat=group, reply_to=someone))


def test_the_bots_own_mention_is_removed_from_the_prompt(make):
    incoming = parse_message(make.text("@flarekit_bot  what is 2+2?", chat=make.group_chat()))
    assert incoming.prompt("flarekit_bot") == "what is 2+2?"


def test_mentions_are_found_by_utf16_offsets_after_emoji(make):
    incoming = parse_message(make.text("🎉🎉 @flarekit_bot hi", chat=make.group_chat()))
    assert incoming.mentions == ("flarekit_bot",)


def test_a_photo_caption_is_read_as_text_with_a_note_that_the_photo_is_unseen(make):
    incoming = parse_message(make.photo("what is in this picture?"))
    assert incoming.text == "what is in this picture?"
    assert incoming.prompt("") == f"{PHOTO_NOTE}\nwhat is in this picture?"
    bare = parse_message(make.photo())
    assert bare.text == "" and bare.prompt("") == "" and bare.has_media


@pytest.mark.parametrize(
    "update",
    [
        UpdateFactory().edited("changed my mind"),
        UpdateFactory().channel_post("news"),
        UpdateFactory().callback_query(),
        {"update_id": 5},
        {"update_id": "5", "message": {"chat": {"id": 1}, "from": {"id": 1}, "text": "x"}},
        {"update_id": 5, "message": "not an object"},
        {"update_id": 5, "message": {"text": "no chat"}},
        {"update_id": 5, "message": {"chat": {"id": 1, "type": "private"}, "text": "no sender"}},
        {"update_id": 5, "message": {"chat": {"id": 1}, "from": {"id": 9, "is_bot": True}, "text": "a bot"}},
    ],
)
def test_updates_the_bot_does_not_answer_parse_to_none(update):
    assert parse_message(update) is None


def test_every_kind_of_update_is_routed_to_its_chat(make):
    assert chat_id_of(make.edited("x")) == 1111111
    assert chat_id_of(make.channel_post("x", chat_id=-100777)) == -100777
    assert chat_id_of(make.callback_query()) == 1111111
    assert chat_id_of({"update_id": 1, "inline_query": {"id": "q"}}) is None
    assert update_id_of({"update_id": True}) is None
    assert update_id_of([]) is None
