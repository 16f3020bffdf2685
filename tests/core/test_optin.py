"""Notices are opt-in: /notify, her words and the rich menu turn them on and off, she confirms in her voice,
and the choice is stored with the fan, shown by /whoami, and gone after /forget or unfollowing."""

from __future__ import annotations

import pytest
from fakes import follow_event, postback_event, unfollow_event

from botan_line.characters.normalize import normalize
from botan_line.core.optin import wants

ASKS = ["配信通知オンにして", "通知オンにしてね！", "配信の通知ほしい", "通知ください", "通知をONにして",
        "配信始まったら通知して", "通知受け取りたい", "お知らせほしいです", "通知オンでお願いします"]  # fmt: skip
STOPS = ["通知いらない", "配信通知いらないかな", "通知オフにして", "通知止めて", "通知やめて", "通知切って",
         "通知もういらないです", "通知解除して", "お知らせいらない"]  # fmt: skip
NEITHER = ["LINEの通知オフにしてる", "通知ってどうやってオンにするの？", "通知来ない", "通知", "通知うるさい",
           "スマホの通知がいらない", "配信見たよ", "お知らせありがとう"]  # fmt: skip


@pytest.mark.parametrize("text", ASKS)
def test_her_words_that_ask_for_notices(text):
    assert wants(normalize(text).text) is True


@pytest.mark.parametrize("text", STOPS)
def test_her_words_that_stop_them(text):
    assert wants(normalize(text).text) is False


@pytest.mark.parametrize("text", NEITHER)
def test_words_about_something_else_are_left_alone(text):
    assert wants(normalize(text).text) is None


def test_asking_in_words_turns_notices_on_and_she_confirms_in_her_voice(core):
    said = core.say("配信通知オンにして")
    assert said in core.lines("botan", "notify_on")
    assert (core.last().layer, core.last().pattern) == ("layer1", "lines:notify_on")
    assert core.services.store.user("Utest1").notify is True
    assert "配信通知: オン" in core.say("/whoami")
    core.say("/kasho")
    said = core.say("通知いらない")
    assert said in core.lines("kasho", "notify_off")
    assert core.services.store.user("Utest1").notify is False
    assert "配信通知: オフ" in core.say("/whoami")


def test_the_command_turns_them_on_and_off_and_says_where_they_stand(core):
    assert "いまオフです" in core.say("/notify")
    assert core.say("/notify on") in core.lines("botan", "notify_on")
    assert core.last().layer == "command"
    assert "いまオンです" in core.say("/notify")
    assert core.say("/notify off") in core.lines("botan", "notify_off")
    assert core.services.store.user("Utest1").notify is False
    assert core.model.calls == []  # none of it costs anything


def test_forget_takes_the_notices_away_too(core):
    core.say("/notify on")
    core.say("/forget")
    assert core.services.store.user("Utest1").notify is False


def test_the_rich_menu_button_and_unfollowing(sbot):
    sbot.post(postback_event("notify=toggle", "Ufan1", timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert sbot.services.store.user("Ufan1").notify is True
    assert sbot.line.sent_texts()[-1] in sbot.lines("botan", "notify_on")
    sbot.post(postback_event("notify=toggle", "Ufan1", timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert sbot.services.store.user("Ufan1").notify is False
    sbot.post(postback_event("notify=on", "Ufan1", timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert sbot.services.store.user("Ufan1").notify is True
    sbot.post(unfollow_event("Ufan1", timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert sbot.services.store.user("Ufan1").notify is False  # blocked: nothing more goes to them
    sbot.post(follow_event("Ufan1", unblocked=True, timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert sbot.services.store.user("Ufan1").notify is False  # back as a friend: they ask again if they want


def test_in_a_group_her_words_do_not_sign_anyone_up(sbot):
    sbot.say("牡丹ちゃん、通知オンにして", user="Ug1", source_type="group")
    assert sbot.services.store.user("Ug1").notify is False
