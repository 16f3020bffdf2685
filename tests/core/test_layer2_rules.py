"""Layer 2's rules in-process (the core and a model fed from a queue): the tier router, the guard and its
retry, budgets, the daily cap, the strong tier's daily share, pause, the prompt's shape and history, and
what the ledger prices. The OpenAI client itself, retries and moderation over HTTP are edge tests
(tests/edges/test_layer2.py, tests/edges/test_models.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import ADMIN, TZ

from botan_line.config import BotConfig
from botan_line.core import stats
from botan_line.storage.admin import report

CHAT = "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？"  # no Layer 1 pattern answers this
GOOD = "え〜聞きたい聞きたい！どんな映画だったの？"
BANTER = "どうせ中身は機械なんでしょ、人間だって証明してみなよ"  # banter from a new user: strong


def config(**values) -> BotConfig:
    return BotConfig.model_validate(values)


def yen(model_in: float, model_out: float, pt: int, ct: int, rate: float = 150.0) -> float:
    return (pt * model_in + ct * model_out) / 1_000_000 * rate


def regular(core, user="Utest1"):
    for _ in range(3):  # not a new user any more
        core.say("ありがとう", user=user)


# --- the router ---------------------------------------------------------------------------------------
def test_an_ordinary_message_goes_to_the_cheap_tier_and_is_priced_from_usage(core):
    regular(core)
    core.model.answer_with(GOOD, prompt_tokens=1200, completion_tokens=80)
    assert core.say(CHAT) == GOOD
    assert core.model.calls[-1].model == "gpt-6-luna"
    row = core.last()
    assert (row.layer, row.model, row.tier, row.guard) == ("layer2", "gpt-6-luna", "cheap", "pass")
    assert (row.prompt_tokens, row.completion_tokens) == (1200, 80)
    assert row.yen == pytest.approx(yen(0.10, 0.50, 1200, 80))
    assert row.strong_yen == pytest.approx(yen(2.00, 10.00, 1200, 80))


def test_reasoning_and_cache_writes_are_priced_as_billed(core):
    regular(core)
    core.model.answer_with(GOOD, prompt_tokens=2000, completion_tokens=120, cached_tokens=1024,
                           cache_write_tokens=512, reasoning_tokens=90)  # fmt: skip
    core.say(CHAT)
    row = core.last()
    assert (row.reasoning_tokens, row.cache_write_tokens, row.cached_tokens) == (90, 512, 1024)
    assert row.yen == pytest.approx((464 * 0.10 + 1024 * 0.01 + 512 * 0.125 + 120 * 0.50) / 1e6 * 150)


def test_a_switch_by_command_counts_as_just_switched(core):
    regular(core)
    core.say("/kasho")
    core.say(CHAT)
    assert core.last().score == 0.3  # just switched (DESIGN §3), nothing else
    core.clock.advance(600)
    core.say(CHAT)
    assert core.last().score == 0.0


def test_a_new_users_banter_goes_to_the_strong_tier(core):
    core.say(BANTER)
    assert core.model.calls[-1].model == "gpt-6-sol"
    assert core.last().tier == "strong" and core.last().score >= 0.7


def test_the_strong_tier_keeps_to_its_share_of_the_day(make_core):
    core = make_core(config=config(budget={"max_strong_share": 0.25, "strong_grace_calls": 2}))
    for i in range(12):
        core.say(BANTER, user=f"Unew{i}")
    strong = [c.model == "gpt-6-sol" for c in core.model.calls]
    assert strong[:2] == [True, True]  # the day's first strong calls are let through
    assert sum(strong) <= 2 + 0.25 * 12 and sum(strong) < 12
    for n in range(3, 13):  # never above the share once the grace is spent
        assert sum(strong[:n]) <= max(2, 0.25 * n + 1)
    capped = [r for r in core.ledger() if r.layer == "layer2" and r.score >= 0.7 and r.tier == "cheap"]
    assert capped  # important messages that went cheap because the day's share was spent
    day = core.clock.now().strftime("%Y-%m-%d")
    assert core.services.store.tier_calls(day) == {"strong": sum(strong), "cheap": 12 - sum(strong)}
    core.clock.advance(86400)  # a new day, a new share
    core.say(BANTER, user="Unext")
    assert core.model.calls[-1].model == "gpt-6-sol"


# --- the prompt ----------------------------------------------------------------------------------------
def test_the_system_prompt_is_a_fixed_prefix_and_history_is_carried_and_bounded(make_core):
    core = make_core(config=config(llm={"history_turns": 2, "max_input_chars": 20}))
    for i in range(4):
        core.model.answer(f"{i}回目のお返事だよ〜！聞いてくれてありがと！")
        core.say(f"{i}回目の話なんだけど、今日はいろいろあって長くなるけどいい？")
    messages = core.model.calls[-1].messages
    persona = core.services.characters.current.persona("botan")
    assert messages[0]["role"] == "system" and messages[0]["content"].startswith(
        persona.system_prompt.strip()
    )
    assert {c.messages[0]["content"] for c in core.model.calls} == {messages[0]["content"]}
    history = messages[1:-1]
    assert len(history) == 4  # two turns of (user, assistant)
    assert history[0]["content"].startswith("1回目") and history[-1]["content"].startswith("2回目のお返事")
    assert len(messages[-1]["content"]) == 20  # the user's message, truncated


def test_history_is_bounded_by_tokens_too(make_core):
    core = make_core(config=config(llm={"history_turns": 10, "history_tokens": 60}))
    for _ in range(3):
        core.say(CHAT)
    history = core.model.calls[-1].messages[1:-1]
    assert sum(len(m["content"]) + 4 for m in history) <= 60


# --- the guard and its one retry -------------------------------------------------------------------------
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
def test_no_rejected_text_is_ever_said(core, bad):
    core.model.answer(bad, bad)
    reply = core.say(CHAT)
    assert reply in core.lines("botan", "fallback")
    row = core.last()
    assert row.layer == "fallback" and row.guard.count("reject:") == 2
    assert [c.model for c in core.model.calls] == [
        "gpt-6-luna",
        "gpt-6-sol",
    ]  # retried once, on the other tier


def test_a_rejected_output_retried_successfully_is_said(core):
    regular(core)
    core.model.answer("（ここで牡丹は照れながら）ありがと！", GOOD)
    assert core.say(CHAT) == GOOD
    assert core.last().guard.startswith("reject:") and core.last().guard.endswith("pass")
    assert [c.model for c in core.model.calls] == ["gpt-6-luna", "gpt-6-sol"]  # the retry: the other tier


def test_kashos_own_rules_are_enforced(core):
    core.say("/kasho")
    core.model.answer(
        "マジでそれな！わかる〜！", "そのお話、とても素敵だと思います。ぜひ続きを聞かせてください。"
    )
    assert core.say(CHAT) == "そのお話、とても素敵だと思います。ぜひ続きを聞かせてください。"
    assert "forbidden_word" in core.last().guard


def test_a_failed_call_ends_in_her_fallback_line(core):
    core.model.fail("APITimeoutError")
    assert core.say(CHAT) in core.lines("botan", "fallback")
    assert (core.last().layer, core.last().guard) == ("fallback", "error:APITimeoutError")


# --- budgets, caps and switches ------------------------------------------------------------------------------
@pytest.fixture
def budget_core(make_core):
    return make_core(config=config(budget={"monthly_yen": 100, "soft_ratio": 0.8}))


def test_below_the_soft_limit_the_router_decides(budget_core):
    budget_core.spend(79.99, datetime(2026, 11, 2, tzinfo=TZ))
    budget_core.say(BANTER)
    assert budget_core.model.calls[-1].model == "gpt-6-sol" and budget_core.notices == []


def test_past_the_soft_limit_everything_is_cheap_and_admins_are_told_once(budget_core):
    budget_core.spend(80.0, datetime(2026, 11, 2, tzinfo=TZ))
    for _ in range(2):
        budget_core.say(BANTER)
    assert {c.model for c in budget_core.model.calls} == {"gpt-6-luna"}
    assert [n.to for n in budget_core.notices] == [ADMIN]


def test_at_the_hard_limit_layer2_stops_but_layer1_still_answers(budget_core):
    budget_core.spend(100.0, datetime(2026, 11, 2, tzinfo=TZ))
    assert budget_core.say(CHAT) in budget_core.lines("botan", "budget_stop")
    assert budget_core.model.calls == []
    budget_core.say("ありがとう")
    assert budget_core.last().layer == "layer1"
    budget_core.say(CHAT)
    assert [n.to for n in budget_core.notices] == [ADMIN]  # told once


def test_the_month_boundary_resets_the_budget(budget_core):
    budget_core.spend(100.0, datetime(2026, 11, 30, 23, 0, tzinfo=TZ))
    budget_core.clock.set("2026-11-30T23:59")
    budget_core.say(CHAT)
    assert budget_core.last().layer == "fallback"
    budget_core.clock.set("2026-12-01T00:00")
    budget_core.model.answer(GOOD)
    assert budget_core.say(CHAT) == GOOD


def test_a_users_daily_cap_gives_lets_talk_tomorrow_lines(make_core):
    core = make_core(config=config(budget={"per_user_daily_calls": 2}))
    for _ in range(2):
        core.model.answer(GOOD)
        assert core.say(CHAT) == GOOD
    assert core.say(CHAT) in core.lines("botan", "daily_cap")
    assert core.say(CHAT, user="Uother") != ""  # another user is not affected
    core.clock.advance(86400)
    core.model.answer(GOOD)
    assert core.say(CHAT) == GOOD


def test_without_a_model_layer2_is_off(make_core):
    core = make_core(layer2=False)
    assert core.say(CHAT) in core.lines("botan", "fallback")
    assert core.last().guard == "layer2_off"


def test_pause_and_resume(core):
    core.say("/pause", user=ADMIN)
    assert core.say(CHAT) in core.lines("botan", "fallback")
    assert core.model.calls == []
    core.say("/resume", user=ADMIN)
    core.model.answer(GOOD)
    assert core.say(CHAT) == GOOD


def test_the_rules_decide_without_asking_moderation(core):
    core.say("もう死にたい")
    assert core.model.moderated == [] and core.last().safety == "crisis:want_to_die"


def test_the_report_shows_the_cached_share_and_what_caching_saved(core):
    regular(core)
    core.model.answer_with(GOOD, prompt_tokens=2000, completion_tokens=40, cached_tokens=1536)
    core.say(CHAT)
    row = core.last()
    r = report(core.services.engine, core.services.settings.config, None, "today",
               datetime.fromtimestamp(row.created_at + 60, TZ))  # fmt: skip
    f = r.overall
    assert f.cached_tokens == 1536 and f.cached_share == pytest.approx(76.8)
    assert row.model == "gpt-6-luna" and f.cache_saved_yen == pytest.approx(1536 * (0.10 - 0.01) / 1e6 * 150)
    assert "キャッシュ 77%" in stats.format_line(r)
    assert "saved by caching" in stats.format_cli(r, stats.projection(r))
