"""Photos and voice notes over the real path: a signed webhook, the inbox, the worker's two lanes, the
LINE SDK fetching content from the fake LINE's data host, the openai client sending image parts,
image moderation and a multipart transcription upload to the fake OpenAI (checked against LINE's
OpenAPI documents as every other request)."""

from __future__ import annotations

import base64
from pathlib import Path

from corebot import photo
from fakes import FakeFiles, audio_event, image_event, text_event, voice
from sqlalchemy import select

from botan_line.storage.db import inbox as inbox_table

KITTY = "このネコちゃん、まんまるでかわいすぎ！名前なんていうの？"


def outcomes(bot) -> dict[str, str]:
    with bot.services.engine.connect() as conn:
        return {r.event_id: r.outcome for r in conn.execute(select(inbox_table))}


def chat_images(ai) -> list[str]:
    """Every image URL sent in a chat request."""
    return [
        p["image_url"]["url"]
        for body in ai.calls()
        for m in body["messages"]
        if isinstance(m["content"], list)
        for p in m["content"]
        if p["type"] == "image_url"
    ]


def test_a_photo_is_fetched_from_the_data_host_moderated_seen_and_answered(sbot, tmp_path):
    original = photo(3000, 4000)
    sbot.line.add_content("901", original)
    sbot.ai.queue(KITTY)
    event = image_event(message_id="901", timestamp_ms=sbot.clock.ms)
    assert sbot.deliver(event) == [KITTY]
    assert sbot.line.content_fetches() == ["901"]  # once
    (image,) = chat_images(sbot.ai)
    assert sbot.ai.images_seen == [(375, 500)]  # 3000×4000, decoded at 1/8 as it arrived
    assert sbot.ai.image_moderations()[0]["input"][0]["image_url"]["url"] == image
    assert sbot.line.replies()[0]["replyToken"] == event["replyToken"]
    row = sbot.last()
    assert (row.layer, row.media, row.image_tokens) == ("layer2", "image", 12 * 16)
    # no byte of it anywhere on disk: neither the photo nor the copy the model saw
    seen = base64.b64decode(image.split(",", 1)[1])
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert original[-4096:] not in data and seen[-2048:] not in data, path
            assert image[-400:].encode() not in data, path


def test_content_that_expired_or_never_existed_gets_her_line_and_the_reason(sbot):
    sbot.line.add_content("old", photo())
    sbot.line.expire_content("old")
    assert sbot.deliver(image_event(message_id="old", timestamp_ms=sbot.clock.ms))[0] in sbot.lines(
        "botan", "photo_failed"
    )
    assert sbot.last().guard == "fetch:expired"
    sbot.deliver(image_event(message_id="nobody", timestamp_ms=sbot.clock.ms))
    assert sbot.last().guard == "fetch:not_found"
    assert sbot.ai.calls() == [] and sbot.ai.image_moderations() == []


def test_content_over_the_size_cap_is_cut_off_while_streaming(make_bot, sqlite_url):
    from botan_line.config import BotConfig

    bot = make_bot(sqlite_url, config=BotConfig.model_validate({"media": {"max_image_bytes": 200_000}}))
    bot.line.add_content("huge", photo(4000, 3000))
    bot.deliver(image_event(message_id="huge", timestamp_ms=bot.clock.ms))
    assert bot.last().guard == "fetch:too_large"


def test_an_image_set_sent_in_two_webhooks_is_one_turn_and_one_reply(sbot):
    events = []
    for i in range(1, 4):
        sbot.line.add_content(f"set{i}", photo(1200, 900, (60 * i, 100, 160)))
        events.append(
            image_event(message_id=f"set{i}", image_set=("S1", i, 3), timestamp_ms=sbot.clock.ms + i)
        )
    sbot.ai.queue("三枚とも最高じゃん！どれが一番のお気に入り？")
    sbot.post(*events[:2])
    sbot.worker.drain()
    assert sbot.line.replies() == [] and sbot.line.content_fetches() == []  # waiting for the third
    sbot.post(events[2])
    sbot.work()
    assert len(sbot.line.replies()) == 1 and sbot.line.replies()[0]["replyToken"] == events[2]["replyToken"]
    assert len(chat_images(sbot.ai)) == 3 and len(sbot.ai.calls()) == 1
    found = outcomes(sbot)
    assert [found[e["webhookEventId"]] for e in events] == ["merged", "merged", "replied"]
    assert sbot.last().media == "image:3"


def test_a_photo_waits_only_so_long_for_the_rest_of_its_set(sbot):
    sbot.line.add_content("lone", photo())
    sbot.post(image_event(message_id="lone", image_set=("S2", 1, 2), timestamp_ms=sbot.clock.ms))
    sbot.work()  # the clock moves past the wait: the photo that came is answered alone
    assert len(sbot.line.replies()) == 1 and sbot.last().media == "image"


def test_the_fast_lane_never_waits_for_a_photo(sbot):
    sbot.line.add_content("p", photo())
    sbot.ai.queue(KITTY)
    sbot.post(image_event("Uphoto", message_id="p", timestamp_ms=sbot.clock.ms),
              *[text_event("おはよう", f"Ugreet{i}", timestamp_ms=sbot.clock.ms) for i in range(5)])  # fmt: skip
    sbot.worker.step()  # one pass of the fast lane
    assert len(sbot.line.replies()) == 5  # every greeting answered
    assert sbot.line.content_fetches() == []  # the photo is not fetched there
    sbot.work()
    assert sbot.line.sent_texts()[-1] == KITTY


def test_words_written_right_after_a_photo_join_it(sbot):
    sbot.line.add_content("cat", photo())
    sbot.ai.queue(KITTY)
    words = text_event("うちの猫見て！", timestamp_ms=sbot.clock.ms + 500)
    sbot.post(image_event(message_id="cat", timestamp_ms=sbot.clock.ms), words)
    sbot.work()
    (call,) = sbot.ai.calls()
    assert call["messages"][-1]["content"][0] == {"type": "text", "text": "うちの猫見て！"}
    assert [r["replyToken"] for r in sbot.line.replies()] == [words["replyToken"]]


def test_a_sexual_image_is_refused_and_no_model_sees_it(sbot):
    sbot.line.add_content("x", photo())
    sbot.ai.queue_moderation({"sexual": 0.4, "sexual/minors": 0.9})  # minors: text only, never for images
    texts = sbot.deliver(image_event(message_id="x", timestamp_ms=sbot.clock.ms))
    assert texts[0] in sbot.lines("botan", "refuse_sexual")
    assert sbot.ai.calls() == []
    assert sbot.last().safety == "sexual:moderation:image:sexual"


def test_external_content_is_fetched_from_its_url_without_our_token(sbot):
    with FakeFiles() as files:
        files.files["/photos/1.jpg"] = ("image/jpeg", photo())
        sbot.ai.queue(KITTY)
        event = image_event(external_url=files.url + "/photos/1.jpg", timestamp_ms=sbot.clock.ms)
        assert sbot.deliver(event) == [KITTY]
        (request,) = files.requests
        assert "authorization" not in request.headers
    assert sbot.line.content_fetches() == []


def test_a_spoken_good_morning_is_transcribed_and_answered_by_layer1(sbot):
    sbot.clock.set("2026-11-28T07:30")
    sbot.line.add_content("v1", voice("おはよう"), "audio/x-m4a", preparing=1)  # one 202 first
    texts = sbot.deliver(audio_event(message_id="v1", duration_ms=8000, timestamp_ms=sbot.clock.ms))
    assert texts and sbot.last().layer == "layer1" and sbot.last().pattern == "botan:morning"
    assert sbot.ai.calls() == []  # no chat call
    (upload,) = sbot.ai.transcriptions()
    assert (upload["model"], upload["language"], upload["filename"]) == ("gpt-transcribe", "ja", "voice.m4a")
    assert upload["size"] == len(voice("おはよう"))
    assert sbot.line.content_fetches() == ["v1", "v1"]
    assert sbot.last().audio_seconds == 8.0 and sbot.last().yen > 0


def test_a_voice_note_is_answered_in_her_voice_by_layer2_on_its_words(sbot):
    words = "明日テストなんだけど全然勉強してなくてやばい"
    sbot.line.add_content("v2", voice(words), "audio/x-m4a")
    sbot.ai.queue("え、今からでも間に合うって！一緒にがんばろ！")
    sbot.deliver(audio_event(message_id="v2", duration_ms=6000, timestamp_ms=sbot.clock.ms))
    (call,) = sbot.ai.calls()
    assert call["messages"][-1] == {"role": "user", "content": words}
    history = sbot.services.store.history("Utest1", "botan", 4)
    assert history[0] == ("user", f"［ボイス 6秒］{words}")


def test_a_transcription_error_is_her_line_never_a_traceback(sbot):
    sbot.line.add_content("v3", voice("こんばんは"), "audio/x-m4a")
    sbot.ai.queue_transcript(status=500)
    sbot.ai.queue_transcript(status=500)
    sbot.ai.queue_transcript(status=500)
    texts = sbot.deliver(audio_event(message_id="v3", duration_ms=3000, timestamp_ms=sbot.clock.ms))
    assert texts[0] in sbot.lines("botan", "voice_failed")
    assert sbot.last().guard == "transcribe:InternalServerError"
    assert outcomes(sbot)  # replied, not failed
    assert set(outcomes(sbot).values()) == {"replied"}


def test_with_layer2_off_photos_and_voice_get_her_own_lines_at_once(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, openai_api_key="", openai_base_url="")
    assert bot.deliver(image_event(message_id="p", timestamp_ms=bot.clock.ms))[0] in bot.lines(
        "botan", "photo_later"
    )
    assert bot.deliver(audio_event(message_id="v", timestamp_ms=bot.clock.ms))[0] in bot.lines(
        "botan", "voice_later"
    )
    assert bot.line.content_fetches() == []


def test_content_comes_from_the_data_host_not_the_api_host(make_bot, sqlite_url):
    from conftest import spec_checked_line

    with spec_checked_line() as data:
        bot = make_bot(sqlite_url, line_api_data_url=data.url)
        data.add_content("d1", photo())
        bot.ai.queue(KITTY)
        assert bot.deliver(image_event(message_id="d1", timestamp_ms=bot.clock.ms)) == [KITTY]
        assert data.content_fetches() == ["d1"] and bot.line.content_fetches() == []
        assert len(bot.line.replies()) == 1  # replies go to the API host
    assert data.violations == []
