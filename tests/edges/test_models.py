"""The model is a replaceable part: reasoning models, adapting to what a model refuses, failover when a
model is gone, the shutdown-date watch, and what the new models bill — over real HTTP, through the
real `openai` client against a fake that answers as OpenAI's reasoning models do (tests/fakes.py)."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

import pytest
from conftest import ADMIN, TZ, write_env
from fakes import FakeModelSpec

from botan_line.adapters.openai_api import LLM
from botan_line.config import BotConfig
from botan_line.core.ports import Ask, ModelGone
from botan_line.ops.cli import main

QUESTIONS = [
    "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？",
    "昨日から新しいゲーム始めたんだけど、ボスが強すぎて全然勝てないんだよね",
    "週末に友達と水族館行く予定なんだけど、おすすめの回り方ってある？",
    "最近ハマってる曲があって、一日中ずっと同じの聴いてるんだよね",
    "今日の晩ごはん何にするか決められなくて迷ってる、何がいいと思う？",
]


def config(**values) -> BotConfig:
    return BotConfig.model_validate(values)


def regular(bot, user="Utest1"):
    for _ in range(3):  # not a new user any more: ordinary questions go to the cheap tier
        bot.say("ありがとう", user=user)


def test_every_question_is_answered_by_the_reasoning_models_with_the_default_config(sbot):
    regular(sbot)
    answers = [sbot.say(q) for q in QUESTIONS]
    rows = [r for r in sbot.ledger() if r.normalized or r.layer in ("layer2", "fallback")][-5:]
    assert [r.layer for r in rows] == ["layer2"] * 5  # 0 fixed lines
    assert all(a not in sbot.lines("botan", "fallback") for a in answers)
    call = sbot.ai.answered_calls()[-1]
    assert call["model"] == "gpt-6-luna" and "max_tokens" not in call
    assert (call["reasoning_effort"], call["temperature"]) == ("none", 0.8)  # sampling works at effort none
    assert call["max_completion_tokens"] == 200
    assert len(sbot.ai.calls()) == len(sbot.ai.answered_calls())  # nothing refused, nothing retried


def test_gpt_6_1_sol_as_the_strong_tier_is_asked_at_its_lowest_effort(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(tiers={"strong": {"model": "gpt-6.1-sol"}}))
    bot.ai.queue("はぁ？あたし機械じゃないし！", completion_tokens=20)
    bot.say("どうせ中身は機械なんでしょ、人間だって証明してみなよ")  # a new fan's banter: strong
    call = bot.ai.answered_calls()[-1]
    assert call["model"] == "gpt-6.1-sol" and call["reasoning_effort"] == "low"
    assert "temperature" not in call  # it takes sampling parameters at no effort
    assert call["max_completion_tokens"] == 200 + 1024  # room to reason before the reply
    row = bot.last()
    assert (row.layer, row.tier, row.model) == ("layer2", "strong", "gpt-6.1-sol")
    assert row.reasoning_tokens == 90 and row.completion_tokens == 20 + 90  # the fake's low effort
    expected = (row.prompt_tokens * 2.00 + row.completion_tokens * 10.00) / 1e6 * 150
    assert row.yen == pytest.approx(expected)  # reasoning billed as output


def test_an_operator_who_kept_gpt_4o_is_still_answered_until_it_shuts_down(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(tiers={"cheap": {"model": "gpt-4o-mini", "max_tokens": 150},
                                                    "strong": {"model": "gpt-4o"}}))  # fmt: skip
    regular(bot)
    bot.say(QUESTIONS[0])
    call = bot.ai.answered_calls()[-1]
    assert call["model"] == "gpt-4o-mini" and call["max_completion_tokens"] == 150
    assert call["temperature"] == 0.8 and "reasoning_effort" not in call
    assert bot.last().layer == "layer2"


def test_a_local_servers_model_is_sent_what_it_always_was(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, config=config(tiers={"cheap": {"model": "llama3.1:8b"},
                                                    "strong": {"model": "qwen2.5:14b"}}))  # fmt: skip
    regular(bot)
    bot.say(QUESTIONS[0])
    call = bot.ai.answered_calls()[-1]
    assert (call["model"], call["max_tokens"], call["temperature"]) == ("llama3.1:8b", 200, 0.8)
    assert "reasoning_effort" not in call and "max_completion_tokens" not in call


# --- a model newer than the profiles: the adapter adapts once and remembers -------------------------
NOVA = FakeModelSpec(
    reasoning=True, efforts=("low", "medium", "high"), default_effort="medium", sampling="never"
)


def test_a_model_nobody_described_is_adapted_to_once_and_remembered(make_bot, sqlite_url, caplog):
    bot = make_bot(sqlite_url, config=config(tiers={"cheap": {"model": "gpt-7-nova"}}))
    bot.ai.models["gpt-7-nova"] = NOVA
    regular(bot)
    caplog.set_level(logging.WARNING, "botan_line.adapters.openai_api")
    assert bot.say(QUESTIONS[0]) not in bot.lines("botan", "fallback")
    refused = [c for c in bot.ai.calls() if c not in bot.ai.answered_calls()]
    assert [("max_tokens" in c, "temperature" in c) for c in refused] == [(True, True), (False, True)]
    answered = bot.ai.answered_calls()[-1]
    assert "max_tokens" not in answered and "temperature" not in answered
    assert answered["max_completion_tokens"] >= 200 + 1024  # room for its default (medium) reasoning
    logged = [r.getMessage() for r in caplog.records]
    assert sum("gpt-7-nova refuses max_tokens" in m for m in logged) == 1
    assert sum("gpt-7-nova refuses temperature" in m for m in logged) == 1
    calls = len(bot.ai.calls())
    assert bot.say(QUESTIONS[1]) not in bot.lines("botan", "fallback")
    assert len(bot.ai.calls()) == calls + 1  # remembered: sent right the first time
    assert len([m for m in (r.getMessage() for r in caplog.records) if "refuses" in m]) == 2  # logged once


def test_a_refused_effort_is_raised_to_the_lowest_it_accepts(openai_fake):
    openai_fake.models["gpt-7-nova"] = NOVA
    llm = LLM("k", openai_fake.url + "/v1", timeout=5, max_retries=0, rng=random.Random(1))
    done = llm.complete(Ask("gpt-7-nova", 200, effort="none"), [{"role": "user", "content": "hi"}],
                        deadline=10**9)  # fmt: skip
    assert done.text and openai_fake.calls()[-1]["reasoning_effort"] == "low"
    assert [c["reasoning_effort"] for c in openai_fake.calls()] == ["none", "low"]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({"error_code": "unsupported_parameter", "error_param": "messages"}, "unsupported_parameter"),
        ({"error_code": "model_not_found", "error_param": "model"}, "model_not_found"),
    ],
)
def test_a_refusal_that_no_change_can_fix_is_a_gone_model(openai_fake, script, reason):
    openai_fake.queue(
        "Unsupported parameter: 'messages' is not supported with this model.", status=400, **script
    )
    llm = LLM("k", openai_fake.url + "/v1", timeout=5, max_retries=0)
    with pytest.raises(ModelGone) as err:
        llm.complete(Ask("gpt-6-luna", 200), [{"role": "user", "content": "hi"}], deadline=10**9)
    assert (err.value.model, err.value.reason) == ("gpt-6-luna", reason)
    assert len(openai_fake.calls()) == 1


def test_a_retired_model_is_gone(openai_fake):
    openai_fake.retire("gpt-6-luna")
    llm = LLM("k", openai_fake.url + "/v1", timeout=5, max_retries=3)
    with pytest.raises(ModelGone) as err:
        llm.complete(Ask("gpt-6-luna", 200), [{"role": "user", "content": "hi"}], deadline=10**9)
    assert (err.value.model, err.value.reason) == ("gpt-6-luna", "model_not_found")
    assert len(openai_fake.calls()) == 1  # never retried


# --- a gone model never silences her -----------------------------------------------------------------
def test_a_gone_cheap_model_fails_over_to_the_strong_tier_and_the_admins_are_told_once(sbot):
    regular(sbot)
    sbot.ai.retire("gpt-6-luna")
    first = sbot.say(QUESTIONS[0])
    assert first not in sbot.lines("botan", "fallback")
    row = sbot.last()
    assert (row.layer, row.tier, row.model, row.guard) == ("layer2", "strong", "gpt-6-sol", "gone:cheap,pass")
    notices = [p for p in sbot.line.pushes() if p["to"] == ADMIN]
    assert len(notices) == 1 and "gpt-6-luna" in notices[0]["messages"][0]["text"]
    calls = len(sbot.ai.calls())
    assert sbot.say(QUESTIONS[1]) not in sbot.lines("botan", "fallback")
    assert [c["model"] for c in sbot.ai.calls()[calls:]] == ["gpt-6-sol"]  # straight to the other tier
    assert len([p for p in sbot.line.pushes() if p["to"] == ADMIN]) == 1  # told once
    sbot.clock.advance(86400)  # a new day: the configured model is tried again (it may be back)
    sbot.say(QUESTIONS[2])
    assert sbot.ai.calls()[-2]["model"] == "gpt-6-luna"


def test_a_guard_rejection_is_retried_on_the_tier_that_still_works(sbot):
    regular(sbot)
    sbot.ai.retire("gpt-6-luna")
    sbot.ai.queue("（牡丹らしく元気に）え〜いいじゃん！")  # rejected by the guard
    sbot.ai.queue("え〜いいじゃん！どんな映画？")
    assert sbot.say(QUESTIONS[0]) == "え〜いいじゃん！どんな映画？"
    guard = sbot.last().guard
    assert guard.startswith("gone:cheap,reject:") and guard.endswith(",pass") and guard.count(",") == 2
    retried = sbot.ai.answered_calls()[-2:]
    assert [c["model"] for c in retried] == ["gpt-6-sol", "gpt-6-sol"]
    assert [c["temperature"] for c in retried] == [0.8, 0.3]  # the retry is cooler on the same tier


def test_with_both_models_gone_she_says_her_line_and_the_ledger_says_why(sbot):
    regular(sbot)
    sbot.ai.retire("gpt-6-luna")
    sbot.ai.retire("gpt-6-sol")
    assert sbot.say(QUESTIONS[0]) in sbot.lines("botan", "fallback")
    assert sbot.last().guard == "gone:cheap,gone:strong"
    assert len([p for p in sbot.line.pushes() if p["to"] == ADMIN]) == 2  # one notice per model


# --- the shutdown watch ------------------------------------------------------------------------------
def test_a_model_ten_days_from_shutdown_is_logged_noticed_and_shown(sbot, caplog):
    today = datetime.fromtimestamp(sbot.clock.t, TZ).date()
    date = (today + timedelta(days=10)).isoformat()
    sbot.ai.set_shutdown("gpt-6-luna", date)
    caplog.set_level(logging.WARNING)
    sbot.worker._housekeeping()  # start-up: the first pass reads the dates
    assert any(
        f"gpt-6-luna (cheap) shuts down on {date} (10 days left)" in r.getMessage() for r in caplog.records
    )
    notices = [p for p in sbot.line.pushes() if p["to"] == ADMIN]
    assert len(notices) == 1 and date in notices[0]["messages"][0]["text"]
    sbot.worker._last_models = 0.0  # the next day's check: no second notice
    sbot.worker._housekeeping()
    assert len([p for p in sbot.line.pushes() if p["to"] == ADMIN]) == 1
    stats = sbot.say("/stats today text", user=ADMIN)
    assert f"gpt-6-luna（cheap）: {date} に提供終了（あと10日）" in stats


def test_an_unreachable_model_list_is_not_an_error(sbot, caplog):
    sbot.ai.stop()  # a local server without /v1/models, or no network
    caplog.set_level(logging.INFO)
    sbot.worker._housekeeping()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sbot.line.pushes() == []


def test_check_names_a_retiring_model_and_exits_non_zero(
    tmp_path, characters_dir, openai_fake, clean_environ, capsys
):
    date = (datetime.now(TZ).date() + timedelta(days=10)).isoformat()
    openai_fake.set_shutdown("gpt-6-sol", date)
    env = write_env(tmp_path, characters_dir, OPENAI_BASE_URL=openai_fake.url + "/v1", OPENAI_API_KEY="k")
    assert main(["--env-file", env, "check"]) == 1
    out = capsys.readouterr().out
    assert f"model gpt-6-sol (strong) shuts down on {date} (10 days left)" in out
    openai_fake.set_shutdown("gpt-6-sol", None)  # resolved: the date was withdrawn
    assert main(["--env-file", env, "check"]) == 0


def test_check_knows_the_announced_dates_without_the_api(tmp_path, characters_dir, clean_environ, capsys):
    config_file = tmp_path / "botan.yaml"  # warn early enough that 2027-01-14 is always inside it
    config_file.write_text("tiers:\n  cheap: {model: gpt-4o-mini}\nlifecycle: {warn_days: 365}\n")
    env = write_env(tmp_path, characters_dir, BOTAN_CONFIG=config_file)
    assert main(["--env-file", env, "check"]) == 1  # no API configured: the profile's date
    out = capsys.readouterr().out
    assert "model gpt-4o-mini (cheap) shuts down on 2027-01-14" in out and "move to gpt-6-luna" in out
    config_file.write_text(
        "lifecycle: {warn_days: 365}\n"
    )  # resolved: the defaults shut down on no known date
    assert main(["--env-file", env, "check"]) == 0
