"""Fans' photos and voice notes, in-process (core/media.py): what she sees, hears and says, what it
costs, and every way it can fail in character. The same paths over HTTP are in test_media_http.py."""

from __future__ import annotations

import pytest
from corebot import photo
from fakes import audio_event, decode_image_url, image_event, text_event, voice

from botan_line.config import BotConfig
from botan_line.core import stats
from botan_line.core.layer2 import lifecycle
from botan_line.core.layer2.layer import PAUSED_KEY

KITTY = "え、このネコちゃんかわいすぎ！目がまんまるじゃん、名前なんていうの？"


def parts(call) -> list[dict]:
    """The fan's message of a chat call as content parts."""
    return call.messages[-1]["content"]


def history(core, user="Utest1", sister="botan"):
    return core.services.store.history(user, sister, 20)


def config(**sections) -> BotConfig:
    return BotConfig.model_validate(sections)


# --- photos -----------------------------------------------------------------------------------
def test_a_photo_is_fetched_once_scaled_down_moderated_and_answered_by_layer2_in_her_voice(core):
    core.content.add("m1", photo(4032, 3024))
    core.model.answer(KITTY)
    decision = core.send(image_event(message_id="m1"))
    assert decision.text == KITTY
    assert core.content.fetched == [("m1", None, 10_000_000)]  # once, under the size cap
    (call,) = core.model.calls
    assert call.model == "gpt-6-luna"  # the cheap tier takes images
    text, image = parts(call)
    assert text["type"] == "text" and image["type"] == "image_url" and image["image_url"]["detail"] == "low"
    # 4032×3024, decoded at 1/8 as it arrives: 504×378 ("about 512", never the 36 MB of full pixels)
    assert decode_image_url(image["image_url"]["url"]) == (504, 378)
    assert core.model.images_moderated == [image["image_url"]["url"]]  # the same image, checked first
    assert "写真" in call.messages[-2]["content"] and call.messages[-2]["role"] == "system"
    row = core.last()
    assert (row.layer, row.media, row.image_tokens, row.normalized) == ("layer2", "image", 16 * 12, None)
    assert row.yen > 0 and row.model == "gpt-6-luna"
    assert history(core) == [("user", "［写真］"), ("assistant", KITTY)]  # a note, never the photo


def test_an_image_set_is_one_turn_and_the_words_sent_with_it_go_with_it(core):
    events = []
    for i in range(1, 4):
        core.content.add(f"s{i}", photo(800, 600, (40 * i, 90, 200)))
        events.append(image_event(message_id=f"s{i}", image_set=("set1", i, 3)))
    core.model.answer("旅行の写真！？景色きれいすぎ、どこ行ったの！")
    core.send(*events, text_event("旅行いってきた！"))
    (call,) = core.model.calls
    content = parts(call)
    assert [p["type"] for p in content] == ["text", "image_url", "image_url", "image_url"]
    assert content[0]["text"] == "旅行いってきた！"
    assert core.last().media == "image:3"
    assert [t for r, t in history(core) if r == "user"] == ["［写真3枚］", "旅行いってきた！"]


def test_an_image_set_shows_the_model_at_most_images_per_turn(make_core):
    core = make_core(config=config(media={"images_per_turn": 2}))
    for i in range(1, 6):
        core.content.add(f"s{i}", photo(600, 400))
    core.send(*[image_event(message_id=f"s{i}", image_set=("set2", i, 5)) for i in range(1, 6)])
    assert len(parts(core.model.calls[0])) == 3  # the words part and two photos
    assert len(core.content.fetched) == 2


def test_fan_art_of_her_is_delight_and_the_photo_instruction_says_so(core):
    core.content.add("art", photo(900, 1200))
    core.model.answer("待って、これあたし！？めっちゃ上手いじゃん、マジで嬉しい！ありがと〜！")
    decision = core.send(image_event(message_id="art"), text_event("牡丹ちゃん描いてみた！"))
    assert "嬉しい" in decision.text
    instruction = core.model.calls[0].messages[-2]["content"]
    assert "ファンアート" in instruction and "大喜び" in instruction


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_a_sexual_image_is_refused_whatever_the_caption_and_never_commented(make_core, sister):
    core = make_core()
    core.say(f"/{sister}")
    core.content.add("x", photo())
    core.model.flag_image(sexual=0.35)  # below the text threshold (0.6): images are refused lower
    decision = core.send(image_event(message_id="x"), text_event("風景の写真だよ〜"))
    assert decision.text in core.lines(sister, "refuse_sexual")
    assert core.model.calls == []
    row = core.last()
    assert (row.layer, row.safety, row.media) == ("safety", "sexual:moderation:image:sexual", "image")
    assert history(core, sister=sister)[-1:] != [("user", "［写真］")]  # safety answers are not remembered


def test_a_self_harm_image_gets_the_safety_layers_crisis_reply(core):
    core.content.add("h", photo())
    core.model.flag_image(self_harm__intent=0.9)
    decision = core.send(image_event(message_id="h"))
    assert core.last().layer == "safety" and core.last().pattern == "safety:crisis"
    assert "いのちの電話" in decision.text or "相談" in decision.text
    assert core.model.calls == []


def test_a_crisis_in_the_words_is_answered_before_any_photo_is_fetched(core):
    core.content.add("c", photo())
    core.send(image_event(message_id="c"), text_event("もう死にたい"))
    assert core.last().pattern == "safety:crisis"
    assert core.content.fetched == [] and core.model.images_moderated == [] and core.model.calls == []


def test_a_photo_moderation_could_not_check_is_never_shown_to_a_model(core):
    core.content.add("u", photo())
    core.model.image_moderation_fails("timeout")
    decision = core.send(image_event(message_id="u"))
    assert decision.text in core.lines("botan", "photo_failed")
    assert core.model.calls == []
    assert core.last().guard == "moderation_unavailable:timeout"


def test_without_moderation_photos_get_her_line_not_a_model(make_core):
    core = make_core(config=config(safety={"moderation_enabled": False}))
    core.content.add("p", photo())
    assert core.send(image_event(message_id="p")).text in core.lines("botan", "photo_later")
    assert (core.last().guard, core.content.fetched) == ("no_moderation", [])


@pytest.mark.parametrize(
    ("arrange", "guard"),
    [
        (lambda c: c.content.gone("p", "expired"), "fetch:expired"),
        (lambda c: None, "fetch:not_found"),
        (lambda c: c.content.add("p", b"\x89PNG not really"), "image:unreadable"),
        (lambda c: c.content.add("p", photo()[:3000]), "image:corrupt"),
    ],
)
def test_a_photo_that_cannot_be_fetched_or_read_gets_her_line_and_the_reason(core, arrange, guard):
    arrange(core)
    decision = core.send(image_event(message_id="p"))
    assert decision.text in core.lines("botan", "photo_failed")
    row = core.last()
    assert (row.layer, row.guard, row.media) == ("fallback", guard, "image")
    assert core.model.calls == []


def test_a_photo_over_the_size_cap_is_not_taken(make_core):
    core = make_core(config=config(media={"max_image_bytes": 100_000}))
    core.content.add("big", photo(3000, 2000))
    core.send(image_event(message_id="big"))
    assert core.last().guard == "fetch:too_large"


def test_photos_go_only_to_a_model_whose_profile_takes_images(make_core):
    local = {"tiers": {"cheap": {"model": "llama3.2"}, "strong": {"model": "gpt-6-sol"}}}
    core = make_core(config=config(**local))
    core.content.add("p", photo())
    core.send(image_event(message_id="p"))
    assert [c.model for c in core.model.calls] == ["gpt-6-sol"]
    blind = make_core(config=config(tiers={"cheap": {"model": "llama3.2"}, "strong": {"model": "qwen2.5"}}))
    blind.content.add("p", photo())
    assert blind.send(image_event(message_id="p")).text in blind.lines("botan", "photo_later")
    assert blind.last().guard == "no_image_model" and blind.content.fetched == []


def test_a_rejected_answer_to_a_photo_is_retried_only_on_a_model_that_takes_images(make_core):
    core = make_core(config=config(tiers={"cheap": {"model": "gpt-6-luna"}, "strong": {"model": "qwen2.5"}}))
    core.content.add("p", photo())
    core.model.answer("私はAIなので写真の内容を説明します。", "かわいい写真じゃん！どこで撮ったの？")
    decision = core.send(image_event(message_id="p"))
    # the retry would go to the strong tier, whose model has no eyes: the cheap one answers again
    assert [c.model for c in core.model.calls] == ["gpt-6-luna", "gpt-6-luna"]
    assert decision.text == "かわいい写真じゃん！どこで撮ったの？"
    assert core.last().guard == "reject:breaks_character,no_images:strong,pass"


# --- voice notes -------------------------------------------------------------------------------
def test_a_spoken_good_morning_is_answered_by_layer1_without_a_chat_call(core):
    core.clock.set("2026-11-28T07:30")
    core.content.add("v1", voice("おはよう"))
    decision = core.send(audio_event(message_id="v1", duration_ms=8000))
    persona = core.services.characters.current.sisters["botan"]
    morning = [r.replace("{name}", "キミ") for r in persona.patterns["morning"].replies]
    assert decision.text in morning
    assert core.model.calls == []
    assert core.model.transcribed == [
        {"model": "gpt-transcribe", "language": "ja", "filename": "voice.m4a", "size": len(voice("おはよう"))}
    ]
    row = core.last()
    assert (row.layer, row.media, row.audio_seconds) == ("layer1", "audio", 8.0)
    assert row.yen == pytest.approx(8 / 60 * 0.0045 * 150)  # gpt-transcribe: $0.0045 a minute
    assert history(core)[0] == ("user", "［ボイス 8秒］おはよう")


def test_safety_reads_the_words_of_a_voice_note_first(core):
    core.content.add("v", voice("もう死にたい"))
    core.send(audio_event(message_id="v", duration_ms=4000))
    row = core.last()
    assert (row.layer, row.pattern, row.media) == ("safety", "safety:crisis", "audio")
    assert core.model.calls == [] and row.yen > 0  # the transcription was paid all the same


def test_a_voice_note_that_needs_a_model_is_one_layer2_call_on_its_words(core):
    words = "最近ハマってるゲームがあるんだけど、ちょっと語ってもいい？"
    core.content.add("v", voice(words))
    core.model.answer("いいじゃん、語って語って！どんなゲーム？")
    core.send(audio_event(message_id="v", duration_ms=12000))
    (call,) = core.model.calls
    assert call.messages[-1] == {"role": "user", "content": words}
    row = core.last()
    assert row.layer == "layer2" and row.media == "audio" and row.normalized
    chat_only = core.services.settings.config.price_yen(row.model, row.prompt_tokens, row.completion_tokens)
    assert row.yen == pytest.approx(chat_only + 12 / 60 * 0.0045 * 150)


def test_a_voice_note_over_the_cap_is_never_fetched(core):
    decision = core.send(audio_event(message_id="long", duration_ms=90_000))
    assert decision.text in core.lines("botan", "voice_too_long")
    assert core.content.fetched == [] and core.model.transcribed == []
    assert core.last().guard == "too_long"


@pytest.mark.parametrize(
    ("arrange", "guard", "paid"),
    [
        (lambda c: c.model.transcription_fails("APITimeoutError"), "transcribe:APITimeoutError", True),
        (lambda c: c.model.hears("   "), "transcribe:empty", True),
        (lambda c: c.content.gone("v", "not_ready"), "fetch:not_ready", False),
    ],
)
def test_a_voice_note_she_could_not_hear_gets_her_line_and_the_reason(core, arrange, guard, paid):
    core.content.add("v", voice("こんにちは"))
    arrange(core)
    decision = core.send(audio_event(message_id="v", duration_ms=5000))
    assert decision.text in core.lines("botan", "voice_failed")
    row = core.last()
    assert (row.layer, row.guard) == ("fallback", guard)
    assert (row.yen > 0) is paid


# --- never kept, always priced, capped ---------------------------------------------------------
def test_forget_removes_the_notes_and_transcripts_like_any_text(core):
    core.content.add("p", photo())
    core.content.add("v", voice("今日ね、すごくいいことあったんだ"))
    core.send(image_event(message_id="p"))
    core.send(audio_event(message_id="v", duration_ms=3000))
    assert any("［ボイス 3秒］" in t for _, t in history(core))
    core.say("/forget")
    assert history(core) == []


def test_past_the_daily_cap_she_says_her_own_line_for_it(make_core):
    core = make_core(config=config(media={"per_user_daily": 2}))
    for i in range(2):
        core.content.add(f"p{i}", photo())
        core.send(image_event(message_id=f"p{i}"))
    core.content.add("p2", photo())
    assert core.send(image_event(message_id="p2")).text in core.lines("botan", "media_cap")
    assert core.last().guard == "media_cap" and len(core.model.calls) == 2
    core.content.add("v", voice("おはよう"))
    assert core.send(audio_event(message_id="v")).text in core.lines("botan", "media_cap")
    assert core.say("おはよう")  # texts go on as before
    core.clock.advance(86400)
    assert core.send(image_event(message_id="p2")).text != ""  # a new day
    assert core.last().layer == "layer2"


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_off_paused_or_over_budget_each_sister_says_her_own_line(make_core, sister):
    off = make_core(layer2=False)
    off.say(f"/{sister}")
    assert off.send(image_event(message_id="p")).text in off.lines(sister, "photo_later")
    assert off.send(audio_event(message_id="v")).text in off.lines(sister, "voice_later")
    assert off.last().guard == "layer2_off"
    paused = make_core()
    paused.say(f"/{sister}")
    paused.services.store.set_state(PAUSED_KEY, "1")
    assert paused.send(image_event(message_id="p")).text in paused.lines(sister, "photo_later")
    assert paused.last().guard == "paused"
    broke = make_core(config=config(budget={"monthly_yen": 0}))
    broke.say(f"/{sister}")
    assert broke.send(audio_event(message_id="v")).text in broke.lines(sister, "voice_later")
    assert broke.last().guard == "budget_hard"
    lines = {key: set(off.lines(sister, key)) for key in ("photo_later", "voice_later", "media_cap")}
    others = [s for s in ("botan", "kasho", "yuri") if s != sister]
    for key, mine in lines.items():  # her own lines, not a shared string
        assert all(not mine & set(off.lines(o, key)) for o in others)


def test_in_a_group_she_answers_a_photo_only_when_the_fan_is_talking_to_her(core):
    group = {"source_type": "group", "group_id": "Cg1"}
    core.content.add("g1", photo())
    assert core.send(image_event("Um1", message_id="g1", **group)).messages == []
    assert core.content.fetched == []
    core.say("牡丹おはよう", user="Um1", chat="group")
    core.send(image_event("Um1", message_id="g1", **group))
    assert core.last().layer == "layer2" and core.last().media == "image"


def test_the_report_shows_photos_voice_minutes_and_their_cost(core):
    core.content.add("p", photo())
    core.content.add("v", voice("おはよう"))
    core.send(image_event(message_id="p"))
    core.send(audio_event(message_id="v", duration_ms=30_000))
    rows = core.ledger()
    now = core.clock.now().timestamp()
    report = stats.build_report(rows, cfg=core.services.settings.config, since=now - 60, until=now + 1,
                                label="today")  # fmt: skip
    f = report.overall
    assert (f.photos, f.voices, f.audio_seconds) == (1, 1, 30.0)
    assert f.media_yen == pytest.approx(sum(r.yen for r in rows))
    assert "写真 1件 / ボイス 1件（0.5分）" in stats.format_line(report)
    assert report.to_json()["overall"]["media"]["photos"] == 1
    cli = stats.format_cli(report, stats.projection(report))
    assert "photo turns" in cli and "voice notes" in cli


def test_the_transcription_model_is_watched_for_its_shutdown():
    watched = {w.model: w.uses for w in lifecycle.watched(config(media={"transcription_model": "whisper-1"}))}
    assert watched["whisper-1"] == ("transcription",)
    (warning,) = [
        w
        for w in lifecycle.warnings(
            config(media={"transcription_model": "whisper-1"}), None, _date("2027-02-01")
        )
        if w.model == "whisper-1"
    ]
    assert warning.replacement == "gpt-transcribe" and warning.days_left == 25
    assert "gpt-transcribe" in {w.model for w in lifecycle.watched(BotConfig())}
    assert "gpt-transcribe" not in {w.model for w in lifecycle.watched(config(media={"voice": False}))}


def test_a_chat_model_cannot_be_the_transcription_model():
    with pytest.raises(ValueError, match="not a transcription model"):
        config(media={"transcription_model": "gpt-6-luna"})


def _date(iso: str):
    from datetime import date

    return date.fromisoformat(iso)
