"""Layer 2 over real HTTP: the fake OpenAI server through the real `openai` client, the fake LINE
server through the real LINE SDK, the app through its webhook."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from conftest import ADMIN, TZ
from fakes import text_event
from sqlalchemy import insert

from botan_line.config import BotConfig
from botan_line.storage.db import ledger

CHAT = "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？"  # no Layer 1 pattern answers this
GOOD = "え〜聞きたい聞きたい！どんな映画だったの？"


def config(**values) -> BotConfig:
    return BotConfig.model_validate(values)


@pytest.fixture
def l2bot(make_bot, sqlite_url):
    return make_bot(sqlite_url, config=config(llm={"timeout_seconds": 0.5, "max_retries": 2}))


def yen(model_in: float, model_out: float, pt: int, ct: int, rate: float = 150.0) -> float:
    return (pt * model_in + ct * model_out) / 1_000_000 * rate


def test_an_ordinary_message_goes_to_the_cheap_tier_and_is_priced_from_usage(l2bot):
    for _ in range(3):  # not a new user any more: three messages
        l2bot.say("ありがとう")
    l2bot.ai.queue(GOOD, prompt_tokens=1200, completion_tokens=80)
    assert l2bot.say(CHAT) == GOOD
    call = l2bot.ai.calls()[-1]
    assert call["model"] == "gpt-6-luna"
    row = l2bot.last()
    assert (row.layer, row.model, row.tier, row.guard) == ("layer2", "gpt-6-luna", "cheap", "pass")
    assert (row.prompt_tokens, row.completion_tokens) == (1200, 80)
    assert row.yen == pytest.approx(yen(0.10, 0.50, 1200, 80))
    assert row.strong_yen == pytest.approx(yen(2.00, 10.00, 1200, 80))


def test_a_switch_by_command_counts_as_just_switched(l2bot):
    for _ in range(3):
        l2bot.say("ありがとう")
    l2bot.say("/kasho")
    l2bot.ai.queue("そうなのですね。よければ、もう少し詳しく聞かせてください。")
    l2bot.say(CHAT)
    assert l2bot.last().score == 0.3  # just switched (DESIGN §3), nothing else
    l2bot.clock.advance(600)
    l2bot.ai.queue("そうなのですね。よければ、もう少し詳しく聞かせてください。")
    l2bot.say(CHAT)
    assert l2bot.last().score == 0.0


def test_a_new_users_banter_goes_to_the_strong_tier(l2bot):
    l2bot.ai.queue("はぁ？あたしがAIとかありえないし！ちゃんと心あるもん！")
    l2bot.say("どうせ中身は機械なんでしょ、人間だって証明してみなよ")
    assert l2bot.ai.calls()[-1]["model"] == "gpt-6-sol"
    assert l2bot.last().tier == "strong" and l2bot.last().score >= 0.7


def test_the_system_prompt_is_a_fixed_prefix_and_history_is_carried_and_bounded(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(llm={"history_turns": 2, "max_input_chars": 20}))
    for i in range(4):
        bot.ai.queue(f"{i}回目のお返事だよ〜！聞いてくれてありがと！")
        bot.say(f"{i}回目の話なんだけど、今日はいろいろあって長くなるけどいい？")
    messages = bot.ai.calls()[-1]["messages"]
    persona = bot.services.characters.current.persona("botan")
    assert messages[0]["role"] == "system" and messages[0]["content"].startswith(
        persona.system_prompt.strip()
    )
    assert {m["content"] for m in (c["messages"][0] for c in bot.ai.calls())} == {messages[0]["content"]}
    history = messages[1:-1]
    assert len(history) == 4  # two turns of (user, assistant)
    assert history[0]["content"].startswith("1回目") and history[-1]["content"].startswith("2回目のお返事")
    assert len(messages[-1]["content"]) == 20  # the user's message, truncated


def test_history_is_bounded_by_tokens_too(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(llm={"history_turns": 10, "history_tokens": 60}))
    for _ in range(3):
        bot.ai.queue(GOOD)
        bot.say(CHAT)
    history = bot.ai.calls()[-1]["messages"][1:-1]
    assert sum(len(m["content"]) + 4 for m in history) <= 60


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


@pytest.mark.parametrize(
    "bad",
    [
        "（牡丹らしく元気に）おはよ〜！",
        "出力: やっほ〜元気？",
        "元: おはよう 変更後: おはよ〜",
        "我很喜欢你，谢谢你的支持！",
        "私はAIなので、感情はありませんが応援しています。",
        "ChatGPTとしてお答えします。",
        "",
        "1. おはよ！\n2. おっはー！\n3. やっほ！",
        "あ" + "え〜それな！" * 80,
    ],
)
def test_no_rejected_text_ever_reaches_line(l2bot, bad):
    l2bot.ai.queue(bad)
    l2bot.ai.queue(bad)
    reply = l2bot.say(CHAT)
    assert reply in l2bot.lines("botan", "fallback")
    assert bad not in l2bot.line.sent_texts() or bad == ""
    row = l2bot.last()
    assert row.layer == "fallback" and row.guard.count("reject:") == 2
    assert len(l2bot.ai.calls()) == 2  # retried once, on the other tier
    assert {c["model"] for c in l2bot.ai.calls()} == {"gpt-6-luna", "gpt-6-sol"}


def test_a_rejected_output_retried_successfully_is_sent(l2bot):
    l2bot.ai.queue("（ここで牡丹は照れながら）ありがと！")
    l2bot.ai.queue(GOOD)
    assert l2bot.say(CHAT) == GOOD
    assert l2bot.last().guard.startswith("reject:") and l2bot.last().guard.endswith("pass")


def test_kashos_own_rules_are_enforced(l2bot):
    l2bot.say("/kasho")
    l2bot.ai.queue("マジでそれな！わかる〜！")
    l2bot.ai.queue("そのお話、とても素敵だと思います。ぜひ続きを聞かせてください。")
    assert l2bot.say(CHAT) == "そのお話、とても素敵だと思います。ぜひ続きを聞かせてください。"
    assert "forbidden_word" in l2bot.last().guard


def seed_spend(bot, yen_spent: float, when: datetime) -> None:
    with bot.services.engine.begin() as conn:
        conn.execute(
            insert(ledger).values(
                created_at=when.timestamp(),
                user_id="Useed",
                sister="botan",
                layer="layer2",
                model="gpt-4o",
                yen=yen_spent,
            )
        )


@pytest.fixture
def budget_bot(make_bot, sqlite_url):
    return make_bot(sqlite_url, config=config(budget={"monthly_yen": 100, "soft_ratio": 0.8}))


def test_below_the_soft_limit_the_router_decides(budget_bot):
    seed_spend(budget_bot, 79.99, datetime(2026, 11, 2, tzinfo=TZ))
    budget_bot.ai.queue("はぁ？あたしは機械じゃないし！")
    budget_bot.say("どうせ中身は機械なんでしょ、人間だって証明してみなよ")
    assert budget_bot.ai.calls()[-1]["model"] == "gpt-6-sol"
    assert budget_bot.line.pushes() == []


def test_past_the_soft_limit_everything_is_cheap_and_admins_are_told_once(budget_bot):
    seed_spend(budget_bot, 80.0, datetime(2026, 11, 2, tzinfo=TZ))
    for _ in range(2):
        budget_bot.ai.queue("はぁ？あたしは機械じゃないし！")
        budget_bot.say("どうせ中身は機械なんでしょ、人間だって証明してみなよ")
    assert {c["model"] for c in budget_bot.ai.calls()} == {"gpt-6-luna"}
    notices = budget_bot.line.pushes()
    assert len(notices) == 1 and notices[0]["to"] == ADMIN


def test_at_the_hard_limit_layer2_stops_but_layer1_still_answers(budget_bot):
    seed_spend(budget_bot, 100.0, datetime(2026, 11, 2, tzinfo=TZ))
    reply = budget_bot.say(CHAT)
    assert reply in budget_bot.lines("botan", "budget_stop")
    assert budget_bot.ai.calls() == []
    budget_bot.say("ありがとう")
    assert budget_bot.last().layer == "layer1"
    budget_bot.say(CHAT)
    assert len([p for p in budget_bot.line.pushes() if p["to"] == ADMIN]) == 1


def test_the_month_boundary_resets_the_budget(budget_bot):
    seed_spend(budget_bot, 100.0, datetime(2026, 11, 30, 23, 0, tzinfo=TZ))
    budget_bot.clock.set("2026-11-30T23:59")
    budget_bot.say(CHAT)
    assert budget_bot.last().layer == "fallback"
    budget_bot.clock.set("2026-12-01T00:00")
    budget_bot.ai.queue(GOOD)
    assert budget_bot.say(CHAT) == GOOD


def test_a_users_daily_cap_gives_lets_talk_tomorrow_lines(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(budget={"per_user_daily_calls": 2}))
    for _ in range(2):
        bot.ai.queue(GOOD)
        assert bot.say(CHAT) == GOOD
    assert bot.say(CHAT) in bot.lines("botan", "daily_cap")
    assert bot.say(CHAT, user="Uother") != ""  # another user is not affected
    bot.clock.advance(86400)
    bot.ai.queue(GOOD)
    assert bot.say(CHAT) == GOOD


def test_no_key_and_no_base_url_means_layer2_off(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, openai_api_key="", openai_base_url="")
    assert bot.say(CHAT) in bot.lines("botan", "fallback")
    assert bot.last().guard == "layer2_off"


def test_pause_and_resume(sbot):
    sbot.say("/pause", user=ADMIN)
    assert sbot.say(CHAT) in sbot.lines("botan", "fallback")
    assert sbot.ai.calls() == []
    sbot.say("/resume", user=ADMIN)
    sbot.ai.queue(GOOD)
    assert sbot.say(CHAT) == GOOD


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


def test_the_report_shows_the_cached_share_and_what_caching_saved(l2bot):
    from botan_line.core import stats
    from botan_line.storage.admin import report

    l2bot.ai.queue(GOOD, prompt_tokens=2000, cached_tokens=1536, completion_tokens=40)
    l2bot.say(CHAT)
    row = l2bot.last()
    assert (row.prompt_tokens, row.cached_tokens) == (2000, 1536)
    r = report(
        l2bot.services.engine,
        l2bot.services.settings.config,
        None,
        "today",
        datetime.fromtimestamp(row.created_at + 60, TZ),
    )
    f = r.overall
    assert f.cached_tokens == 1536 and f.cached_share == pytest.approx(76.8)
    saved = 1536 * (0.10 - 0.01) / 1e6 * 150  # an ordinary message: the cheap tier
    assert row.model == "gpt-6-luna" and f.cache_saved_yen == pytest.approx(saved)
    assert "キャッシュ 77%" in stats.format_line(r)
    assert "saved by caching" in stats.format_cli(r, stats.projection(r))


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


def test_the_strong_tier_keeps_to_its_share_of_the_day(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(budget={"max_strong_share": 0.25, "strong_grace_calls": 2}))
    for i in range(12):
        bot.ai.queue("はぁ？あたしは機械じゃないし！")
        bot.say(BANTER, user=f"Unew{i}")
    models = [c["model"] for c in bot.ai.calls()]
    strong = [m == "gpt-6-sol" for m in models]
    assert strong[:2] == [True, True]  # the day's first strong calls are let through
    assert sum(strong) <= 2 + 0.25 * 12 and sum(strong) < 12
    for n in range(3, 13):  # never above the share once the grace is spent
        assert sum(strong[:n]) <= max(2, 0.25 * n + 1)
    capped = [r for r in bot.ledger() if r.layer == "layer2" and r.score >= 0.7 and r.tier == "cheap"]
    assert capped  # important messages that went cheap because the day's share was spent
    day = datetime.fromtimestamp(bot.clock.t, TZ).strftime("%Y-%m-%d")
    assert bot.services.store.tier_calls(day) == {"strong": sum(strong), "cheap": 12 - sum(strong)}
    bot.clock.advance(86400)  # a new day, a new share
    bot.ai.queue("はぁ？あたしは機械じゃないし！")
    bot.say(BANTER, user="Unext")
    assert bot.ai.calls()[-1]["model"] == "gpt-6-sol"


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


def test_the_rules_decide_without_asking_moderation(l2bot):
    l2bot.say("もう死にたい")
    assert l2bot.ai.moderations() == [] and l2bot.last().safety == "crisis:want_to_die"
