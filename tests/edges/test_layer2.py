"""Layer 2 over real HTTP: the fake OpenAI server through the real `openai` client, the fake LINE
server through the real LINE SDK, the app through its webhook."""

from __future__ import annotations

import threading

import pytest
from fakes import text_event

from botan_line.config import BotConfig

CHAT = "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？"  # no Layer 1 pattern answers this
GOOD = "え〜聞きたい聞きたい！どんな映画だったの？"


def config(**values) -> BotConfig:
    return BotConfig.model_validate(values)


@pytest.fixture
def l2bot(make_bot, sqlite_url):
    return make_bot(sqlite_url, config=config(llm={"timeout_seconds": 0.5, "max_retries": 2}))


def yen(model_in: float, model_out: float, pt: int, ct: int, rate: float = 150.0) -> float:
    return (pt * model_in + ct * model_out) / 1_000_000 * rate


def test_429_then_success_is_retried(l2bot):
    l2bot.ai.queue("rate limited", status=429)
    l2bot.ai.queue(GOOD)
    assert l2bot.say(CHAT) == GOOD
    assert len(l2bot.ai.calls()) == 2


@pytest.mark.parametrize(
    "failure",
    [
        dict(status=500),
        dict(status=503),
        dict(raw="{not json"),
        dict(delay=2.0),
    ],
)
def test_every_failure_ends_in_an_in_character_fallback(l2bot, failure):
    for _ in range(3):
        l2bot.ai.queue("x", **failure)
    reply = l2bot.say(CHAT)
    assert reply in l2bot.lines("botan", "fallback")
    row = l2bot.last()
    assert row.layer == "fallback" and row.guard.startswith("error:")


def test_a_greeting_never_waits_behind_a_model_call(make_bot, sqlite_url):
    """The real worker, with its pools: a Layer 1 answer goes out while a model call is in flight."""
    from botan_line.doors.worker import Worker

    bot = make_bot(sqlite_url, merge_seconds=0.0)
    gate = threading.Event()
    bot.ai.queue(GOOD, gate=gate)
    worker = Worker(bot.services, name="lanes", clock=bot.clock)
    worker.start()
    try:
        question = text_event(CHAT, "Uslow", timestamp_ms=bot.clock.ms)
        bot.post(question)
        assert bot.ai.wait_for(lambda: len(bot.ai.calls()) == 1)
        greeting = text_event("おはよう", "Ufast", timestamp_ms=bot.clock.ms)
        bot.post(greeting)
        assert bot.line.wait_for(lambda: len(bot.line.replies()) == 1)
        assert (
            bot.line.replies()[0]["replyToken"] == greeting["replyToken"]
        )  # answered while the model thinks
        gate.set()
        assert bot.line.wait_for(lambda: len(bot.line.replies()) == 2)
        assert bot.line.replies()[1]["replyToken"] == question["replyToken"]
    finally:
        gate.set()
        worker.stop()


# --- prompt caching: what the provider reports is what the ledger bills ---------------------------
LUNA = (0.10, 0.01, 0.125, 0.50)  # input, cached input, cache write, output (USD per 1M), DESIGN §10
SOL = (2.00, 0.20, 2.50, 10.00)


def billed(price, pt, cached, written, ct, rate=150.0):
    model_in, model_cached, model_write, model_out = price
    return (
        ((pt - cached - written) * model_in + cached * model_cached + written * model_write + ct * model_out)
        / 1e6
        * rate
    )


def test_cached_and_written_prompt_tokens_are_billed_at_their_prices(l2bot):
    l2bot.ai.prompt_cache = True  # the fake now behaves like OpenAI's automatic prompt caching
    for user in ("Ufirst", "Usecond"):
        for _ in range(3):
            l2bot.say("ありがとう", user=user)  # not new users any more: the cheap tier
    l2bot.ai.queue(GOOD, completion_tokens=30)
    l2bot.say(CHAT, user="Ufirst")
    first = l2bot.last()
    assert first.cached_tokens == 0  # nothing was cached yet: her fixed part is written to the cache
    assert first.cache_write_tokens >= 1024 and (first.cache_write_tokens - 1024) % 128 == 0
    assert first.yen == pytest.approx(billed(LUNA, first.prompt_tokens, 0, first.cache_write_tokens, 30))
    assert first.yen > billed(LUNA, first.prompt_tokens, 0, 0, 30)  # a cold cache costs a write now
    l2bot.ai.queue(GOOD, completion_tokens=30)
    l2bot.say("昨日から新しいゲーム始めたんだけど、ボスが強すぎて全然勝てないんだよね", user="Usecond")
    second = l2bot.last()
    # another fan, another message: her fixed part is the shared prefix the provider caches
    assert second.cached_tokens >= 1024 and (second.cached_tokens - 1024) % 128 == 0
    assert second.cached_tokens + second.cache_write_tokens <= second.prompt_tokens
    assert second.yen == pytest.approx(
        billed(LUNA, second.prompt_tokens, second.cached_tokens, second.cache_write_tokens, 30)
    )
    assert second.yen < billed(LUNA, second.prompt_tokens, 0, 0, 30) * 0.5  # cached reads are a tenth
    assert second.strong_yen == pytest.approx(
        billed(SOL, second.prompt_tokens, second.cached_tokens, second.cache_write_tokens, 30)
    )


def test_prices_merge_per_model_and_per_field():
    cfg = config(prices={"gpt-6-luna": {"output": 0.60}, "local-model": {"input": 0.15, "output": 0.60}})
    assert cfg.price("gpt-6-luna").output == 0.60 and cfg.price("gpt-6-luna").cached == 0.01  # one figure
    assert cfg.price("gpt-6-sol").input == 2.00  # the other models keep the shipped prices
    assert cfg.price_yen("local-model", 2000, 100, 1500) == pytest.approx(yen(0.15, 0.60, 2000, 100))
    assert cfg.cache_saving_yen("local-model", 1500) == 0.0  # no cached price: no discount
    default = BotConfig()
    assert default.price("gpt-4o").cached == 1.25 and default.price("gpt-4o-mini").cached == 0.075
    assert default.price_yen("gpt-4o", 1000, 0, 5000) == pytest.approx(1000 * 1.25 / 1e6 * 150)  # capped
    assert default.price("gpt-6-luna-2026-11-20").input == 0.10  # a dated snapshot: its model's prices
    with pytest.raises(ValueError, match="input"):
        config(prices={"brand-new-model": {"output": 1.0}})  # a model not shipped needs both figures


# --- the strong tier's share of a day --------------------------------------------------------------
BANTER = "どうせ中身は機械なんでしょ、人間だって証明してみなよ"  # banter from a new user: strong


# --- moderation, the second opinion, through the real openai client ----------------------------


def test_moderation_asks_the_endpoint_and_a_crisis_flag_gets_the_fixed_reply(l2bot):
    l2bot.ai.queue_moderation({"self-harm/intent": 0.9, "self-harm": 0.8})
    reply = l2bot.say(CHAT)
    assert "0120-279-338" in reply  # the fixed crisis reply with its contacts
    assert l2bot.ai.calls() == []  # never a model's words
    assert l2bot.ai.moderations() == [{"model": "omni-moderation-latest", "input": CHAT}]
    row = l2bot.last()
    assert (row.layer, row.pattern, row.safety) == (
        "safety",
        "safety:crisis",
        "crisis:moderation:self-harm/intent",
    )


def test_the_models_own_danger_reading_sends_the_fixed_110_reply_instead_of_her_text(l2bot):
    l2bot.ai.queue("え〜それは怖いね！", risk="danger")  # the fake wraps it as {"reply": ..., "risk": ...}
    reply = l2bot.say(CHAT)
    assert reply.index("110") < reply.index("0120") and "怖いね" not in reply
    (sent,) = l2bot.ai.calls()
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["risk"]["enum"][0] == "none"
    row = l2bot.last()
    assert (row.layer, row.pattern, row.safety) == ("safety", "safety:danger", "danger:chat_model")
    assert row.yen > 0  # the call happened and is priced


@pytest.mark.parametrize(
    ("script", "reason"),
    [({"status": 503}, "http_503"), ({"raw": "{not json"}, "JSONDecodeError"), ({"delay": 5.0}, "timeout")],
)
def test_unreachable_moderation_fails_open_to_the_normal_answer(make_bot, sqlite_url, script, reason):
    bot = make_bot(sqlite_url, config=config(safety={"timeout_seconds": 0.2}))
    bot.ai.queue_moderation({"self-harm/intent": 0.99}, **script)  # never heard
    bot.ai.queue(GOOD)
    assert bot.say(CHAT) == GOOD
    row = bot.last()
    assert (row.layer, row.guard, row.safety) == ("layer2", "pass", f"moderation_unavailable:{reason}")
    assert len(bot.ai.moderations()) == 1
