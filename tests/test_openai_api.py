"""The OpenAI edge through the real openai client against the local fake: moderation fails open."""

import time

import pytest
from fakes import FakeOpenAI

from botan_line.adapters.openai_api import LLM, Moderation


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
