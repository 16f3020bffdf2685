"""The OpenAI edge over real HTTP: the real `openai` client against the fake server (chat retries
honour Retry-After; moderation fails open).

Sleeps are injected and recorded, the monotonic clock moves only when the edge "sleeps": nothing
here waits for real time."""

from __future__ import annotations

import json
import random
import time
from email.utils import formatdate

import pytest
from fakes import FakeOpenAI

from botan_line.adapters.openai_api import JITTER, LLM, LLMUnavailable, Moderation, retry_after
from botan_line.core.ports import Ask

MESSAGES = [{"role": "user", "content": "やっほー"}]


class Time:
    """A monotonic clock that only the injected sleep moves."""

    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def edge(ai, time: Time, *, max_retries=3, seed=1, wall=lambda: 1_800_000_000.0) -> LLM:
    return LLM("k", ai.url + "/v1", timeout=5, max_retries=max_retries, sleep=time.sleep,
               monotonic=time.monotonic, wall=wall, rng=random.Random(seed))  # fmt: skip


def call(llm: LLM, time: Time, seconds: float = 40.0):
    return llm.complete(Ask("gpt-4o-mini", 50, temperature=0.8), MESSAGES, deadline=time.now + seconds)


def test_retry_after_in_seconds_is_waited_for_at_least_and_a_little_more(openai_fake):
    time = Time()
    openai_fake.queue("slow down", status=429, headers={"retry-after": "2"})
    openai_fake.queue("おまたせ！")
    done = call(edge(openai_fake, time), time)
    assert done.text == "おまたせ！"
    assert len(time.slept) == 1 and 2.0 <= time.slept[0] <= 2.0 * (1 + JITTER)
    assert len(openai_fake.calls()) == 2


def test_retry_after_ms_wins_over_retry_after(openai_fake):
    time = Time()
    openai_fake.queue("slow down", status=429, headers={"retry-after-ms": "1500", "retry-after": "30"})
    openai_fake.queue("おまたせ！")
    call(edge(openai_fake, time), time)
    assert 1.5 <= time.slept[0] <= 1.5 * (1 + JITTER)


def test_retry_after_as_an_http_date(openai_fake):
    time = Time()
    wall = 1_800_000_000.0
    openai_fake.queue("slow down", status=429, headers={"retry-after": formatdate(wall + 3, usegmt=True)})
    openai_fake.queue("おまたせ！")
    call(edge(openai_fake, time, wall=lambda: wall), time)
    assert 3.0 <= time.slept[0] <= 3.0 * (1 + JITTER)


def test_a_503_with_retry_after_is_honoured_too(openai_fake):
    time = Time()
    openai_fake.queue("busy", status=503, headers={"retry-after": "4"})
    openai_fake.queue("おまたせ！")
    call(edge(openai_fake, time), time)
    assert 4.0 <= time.slept[0] <= 5.0


def test_a_retry_after_past_the_deadline_gives_up_at_once(openai_fake):
    time = Time()
    openai_fake.queue("slow down", status=429, headers={"retry-after": "30"})
    openai_fake.queue("never asked for")
    with pytest.raises(LLMUnavailable) as err:
        call(edge(openai_fake, time), time, seconds=20)
    assert err.value.reason == "RateLimitError"
    assert time.slept == [] and len(openai_fake.calls()) == 1  # no wait that nobody would see


def test_a_retry_must_leave_time_for_the_attempt_itself(openai_fake):
    time = Time()
    openai_fake.queue("slow down", status=429, headers={"retry-after": "5"})
    with pytest.raises(LLMUnavailable):
        call(edge(openai_fake, time), time, seconds=5.5)  # 5 s of waiting leaves < 1 s to answer
    assert time.slept == []


def test_without_a_hint_the_backoff_grows_with_jitter(openai_fake):
    time = Time()
    for _ in range(3):
        openai_fake.queue("oops", status=500)
    openai_fake.queue("なおった！")
    assert call(edge(openai_fake, time), time).text == "なおった！"
    first, second, third = time.slept
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0 and 1.0 <= third <= 2.0


def test_workers_refused_together_do_not_come_back_together(openai_fake):
    waits = []
    for seed in range(8):
        time = Time()
        openai_fake.queue("slow down", status=429, headers={"retry-after": "1"})
        openai_fake.queue("おまたせ！")
        call(edge(openai_fake, time, seed=seed), time)
        waits.append(time.slept[0])
    assert all(1.0 <= w <= 1.25 for w in waits)
    assert len({round(w, 6) for w in waits}) == len(waits)  # spread, not in lockstep


def test_the_clients_own_retries_stay_off(openai_fake):
    time = Time()
    openai_fake.queue("slow down", status=429)
    with pytest.raises(LLMUnavailable):
        call(edge(openai_fake, time, max_retries=0), time)
    assert len(openai_fake.calls()) == 1


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "x", "retry-after": "2"}, 2.0),
        ({}, None),
    ],
)
def test_reading_the_hint(headers, expected):
    assert retry_after(headers, now=0.0) == expected


def test_cached_tokens_are_read_from_the_usage(openai_fake):
    time = Time()
    openai_fake.queue("やっほ〜！", prompt_tokens=1800, cached_tokens=1536)
    done = call(edge(openai_fake, time), time)
    assert (done.prompt_tokens, done.cached_tokens) == (1800, 1536)


def test_a_server_without_prompt_token_details_reports_none_cached(openai_fake):
    time = Time()
    body = (
        '{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
        '"message":{"role":"assistant","content":"はーい"},"finish_reason":"stop"}],'
        '"usage":{"prompt_tokens":50,"completion_tokens":5,"total_tokens":55}}'
    )
    openai_fake.queue(raw=body)
    done = call(edge(openai_fake, time), time)
    assert (done.text, done.prompt_tokens, done.cached_tokens) == ("はーい", 50, 0)


# --- moderation: a second opinion that fails open ---------------------------------------------
@pytest.fixture
def ai():
    with FakeOpenAI() as fake:
        yield fake


def moderate(ai, text="死にたい", *, timeout=2.0, deadline_in=5.0):
    llm = LLM("k", ai.url + "/v1", timeout=5, max_retries=0)
    return llm.moderate(
        text, model="omni-moderation-latest", timeout=timeout, deadline=time.monotonic() + deadline_in
    )


def test_scores_come_back_by_the_apis_category_names(ai):
    ai.queue_moderation({"self-harm/intent": 0.9, "sexual/minors": 0.2})
    result = moderate(ai)
    assert result.available and result.flagged and result.reason is None
    assert result.scores["self-harm/intent"] == pytest.approx(0.9)
    assert result.scores["sexual/minors"] == pytest.approx(0.2)
    assert result.model == "omni-moderation-2024-09-26"
    assert ai.moderations() == [{"model": "omni-moderation-latest", "input": "死にたい"}]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({"status": 500}, "http_500"),
        ({"status": 429}, "http_429"),
        ({"status": 401}, "http_401"),
        ({"raw": '{"id": "modr-1", "results": ['}, "JSONDecodeError"),
        ({"raw": '{"id": "modr-1", "model": "m", "results": []}'}, "IndexError"),
    ],
)
def test_any_failure_is_an_unavailable_result_not_an_exception(ai, script, reason):
    ai.queue_moderation(**script)
    result = moderate(ai)
    assert result == Moderation(False, reason=reason, latency_ms=result.latency_ms)
    assert len(ai.moderations()) == 1  # one attempt: there is no time for a second


def test_a_slow_answer_times_out_within_the_budget(ai):
    ai.queue_moderation({"self-harm/intent": 0.9}, delay=30)
    started = time.monotonic()
    result = moderate(ai, timeout=0.2)
    assert (result.available, result.reason) == (False, "timeout")
    assert time.monotonic() - started < 2


def test_no_time_left_means_no_call(ai):
    result = moderate(ai, deadline_in=0.0)
    assert (result.available, result.reason) == (False, "no_time")
    assert ai.moderations() == []


# --- a fan's photo, moderated as an image ------------------------------------------------------
def test_an_image_is_moderated_for_the_image_categories_only(ai):
    import base64

    from corebot import photo

    url = "data:image/jpeg;base64," + base64.b64encode(photo(64, 48)).decode()
    ai.queue_moderation({"sexual": 0.8, "sexual/minors": 0.9, "harassment": 0.7})
    llm = LLM("k", ai.url + "/v1", timeout=5, max_retries=0)
    result = llm.moderate_image(url, model="omni-moderation-latest", timeout=2, deadline=time.monotonic() + 5)
    assert result.available and result.scores["sexual"] == pytest.approx(0.8)
    assert result.scores["sexual/minors"] == 0 and result.scores["harassment"] == 0  # text only
    (sent,) = ai.image_moderations()
    assert sent["input"] == [{"type": "image_url", "image_url": {"url": url}}]


# --- a voice note, transcribed ---------------------------------------------------------------------
def transcribe(ai, audio, t: Time, *, model="gpt-transcribe", language="ja", filename="voice.m4a", retries=2):
    return edge(ai, t, max_retries=retries).transcribe(
        audio, filename=filename, model=model, language=language, timeout=20, deadline=t.now + 40
    )


def test_a_voice_note_is_uploaded_as_multipart_and_its_words_come_back(ai):
    from fakes import voice

    heard = transcribe(ai, bytearray(voice("おはよう")), Time())
    assert (heard.text, heard.model) == ("おはよう", "gpt-transcribe")
    (upload,) = ai.transcriptions()
    assert upload == {"model": "gpt-transcribe", "language": "ja", "response_format": "json",
                      "filename": "voice.m4a", "size": len(voice("おはよう"))}  # fmt: skip


def test_a_language_the_model_refuses_is_dropped_once(ai):
    from fakes import voice

    ai.queue_transcript(status=400, message="Unsupported parameter: 'language'", param="language")
    assert transcribe(ai, voice("こんにちは"), Time()).text == "こんにちは"
    assert [u.get("language") for u in ai.transcriptions()] == ["ja", None]


@pytest.mark.parametrize(
    ("arrange", "kwargs", "reason"),
    [
        (lambda ai: [ai.queue_transcript(status=500) for _ in range(3)], {}, "InternalServerError"),
        (lambda ai: None, {"model": "whisper-9"}, "model_not_found"),
        (lambda ai: ai.retire("gpt-transcribe"), {}, "model_not_found"),
        (lambda ai: None, {"filename": "voice.aac"}, "http_400"),
    ],
)
def test_a_transcription_that_fails_says_why_in_a_short_code(ai, arrange, kwargs, reason):
    from fakes import voice

    arrange(ai)
    t = Time()
    with pytest.raises(LLMUnavailable) as found:
        transcribe(ai, voice("もしもし"), t, **kwargs)
    assert found.value.reason == reason
    assert len(t.slept) == (2 if reason == "InternalServerError" else 0)  # retried like a chat call


# --- the model's own reading, in the same call ---------------------------------------------------


def reading_call(llm: LLM, time: Time, model: str = "gpt-6-luna"):
    from botan_line.core.layer2.verdict import schema

    ask = Ask(model, 200, effort="none", response_format=schema())
    return llm.complete(ask, MESSAGES, deadline=time.now + 40)


def test_a_structured_answer_gives_her_reply_and_the_models_reading(openai_fake):
    time = Time()
    openai_fake.queue("それはつらかったね…", risk="concern")
    done = reading_call(edge(openai_fake, time), time)
    assert (done.text, done.risk) == ("それはつらかったね…", "concern")
    (sent,) = openai_fake.calls()
    fmt = sent["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["properties"]["risk"]["enum"][0] == "none"


def test_a_server_that_ignores_the_format_is_read_as_plain_text(openai_fake):
    time = Time()
    openai_fake.queue("やっほー！")
    done = reading_call(edge(openai_fake, time), time, model="llama3.1:8b")  # unknown: a lenient local server
    assert (done.text, done.risk) == ("やっほー！", None)


@pytest.mark.parametrize("content", ['{"reply": "途中で切れ', '{"answer": "ちがう形"}', '{"reply": 3}'])
def test_a_structured_answer_cut_short_or_misshapen_shows_no_half_object(openai_fake, content):
    time = Time()
    body = (
        '{"id": "x", "object": "chat.completion", "created": 1, "model": "gpt-6-luna", "choices": '
        '[{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": %s}}]}'
    )
    openai_fake.queue(raw=body % json.dumps(content))
    done = reading_call(edge(openai_fake, time), time)
    assert (done.text, done.risk) == ("", None)  # the guard rejects an empty reply: the turn retries


def test_a_model_that_refuses_schemas_is_asked_without_one_from_then_on(openai_fake):
    from dataclasses import replace

    from fakes import FAKE_MODELS

    openai_fake.models["gpt-6-luna"] = replace(FAKE_MODELS["gpt-6-luna"], structured=False)
    time = Time()
    llm = edge(openai_fake, time)
    openai_fake.queue("やっほー！")
    first = reading_call(llm, time)
    openai_fake.queue("またね！")
    second = reading_call(llm, time)
    assert (first.text, first.risk, second.text) == ("やっほー！", None, "またね！")
    bodies = openai_fake.calls()
    assert ["response_format" in b for b in bodies] == [True, False, False]  # refused once, then not sent
