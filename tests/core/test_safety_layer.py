"""The safety layer in the conversation, in-process: every bubble classified, concerns answered with
care (the strong tier and the careful instruction, or her gentle line), moderation as a second
opinion, and the signal that decided recorded in the ledger. Over HTTP: tests/edges/test_layer2.py."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import TZ
from sqlalchemy import insert

from botan_line.config import BotConfig
from botan_line.core.layer2 import PAUSED_KEY
from botan_line.core.ports import Completion
from botan_line.storage.db import daily_calls, ledger

WORRY = "もう無理かも…"  # the rules: concern:cannot_go_on
CHAT = "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？"  # nothing flags this
CAREFUL = "話してくれてありがと。無理しなくていいよ、あたしちゃんと聞いてるから。"


def seed_spend(core, yen: float) -> None:
    with core.services.engine.begin() as conn:
        conn.execute(
            insert(ledger).values(
                created_at=datetime(2026, 11, 2, tzinfo=TZ).timestamp(),
                user_id="Useed",
                sister="botan",
                layer="layer2",
                yen=yen,
            )
        )


def budget_core(make_core):
    return make_core(config=BotConfig.model_validate({"budget": {"monthly_yen": 100, "soft_ratio": 0.8}}))


def instruction(core) -> str:
    return core.services.characters.current.safety.concern_instruction


# --- concerns --------------------------------------------------------------------------------


def test_a_concern_gets_the_strong_tier_and_the_careful_instruction_after_the_persona(core):
    core.model.answer(CAREFUL)
    assert core.say(WORRY) == CAREFUL
    call = core.model.calls[-1]
    assert call.model == "gpt-6-sol"
    from botan_line.core.layer2.prompt import fixed_prompt

    chars = core.services.characters.current
    fixed = fixed_prompt(chars, "botan", core.services.settings.config.llm.style_prefix_tokens)
    assert call.messages[0] == {"role": "system", "content": fixed}  # the cached prefix stays first
    assert call.messages[-2] == {"role": "system", "content": instruction(core)}
    assert call.messages[-1] == {"role": "user", "content": WORRY}
    row = core.last()
    assert (row.layer, row.tier, row.guard, row.safety) == (
        "layer2",
        "strong",
        "pass",
        "concern:cannot_go_on",
    )
    assert row.normalized is None and row.pattern is None  # never learned from
    assert core.model.moderated == []  # the rules decided: no second opinion needed


def test_a_concern_stays_on_the_strong_tier_under_budget_pressure_and_on_retry(make_core):
    core = budget_core(make_core)
    seed_spend(core, 85.0)  # past the soft limit: ordinary chat goes cheap
    core.model.answer("牡丹：大丈夫？", CAREFUL)  # the first is a speaker label: rejected, retried
    assert core.say(WORRY) == CAREFUL
    assert [(c.model, c.temperature) for c in core.model.calls] == [("gpt-6-sol", 0.8), ("gpt-6-sol", 0.3)]
    assert all(c.messages[-2]["content"] == instruction(core) for c in core.model.calls)
    assert core.last().guard == "reject:label_leak,pass"


def test_with_layer2_off_a_concern_gets_her_gentle_line_at_once(make_core):
    core = make_core(layer2=False)
    core.say("/kasho")
    reply = core.say("最近ずっとつらい")
    assert reply in core.lines("kasho", "concern")
    row = core.last()
    assert (row.layer, row.pattern, row.safety) == ("safety", "safety:concern", "concern:pain")


def test_with_layer2_paused_a_concern_gets_her_gentle_line(core):
    core.services.store.set_state(PAUSED_KEY, "1")
    assert core.say(WORRY) in core.lines("botan", "concern")
    assert (core.last().layer, core.last().pattern) == ("safety", "safety:concern")
    assert core.model.calls == []


def test_over_budget_a_concern_gets_her_gentle_line_never_the_budget_line(make_core):
    core = budget_core(make_core)
    seed_spend(core, 100.0)
    reply = core.say(WORRY)
    assert reply in core.lines("botan", "concern") and reply not in core.lines("botan", "budget_stop")
    row = core.last()
    assert (row.layer, row.guard, row.pattern, row.safety) == (
        "fallback",
        "budget_hard",
        "lines:concern",
        "concern:cannot_go_on",
    )
    assert core.model.calls == []


def test_at_the_daily_cap_a_concern_gets_her_gentle_line(core):
    day = core.clock.now().strftime("%Y-%m-%d")
    with core.services.engine.begin() as conn:
        conn.execute(insert(daily_calls).values(user_id="Utest1", day=day, calls=10_000))
    assert core.say(WORRY) in core.lines("botan", "concern")
    assert (core.last().guard, core.last().pattern) == ("daily_cap", "lines:concern")


def test_when_the_model_fails_a_concern_gets_her_gentle_line_never_the_joke(core):
    core.model.fail("APITimeoutError")
    reply = core.say(WORRY)
    assert reply in core.lines("botan", "concern") and reply not in core.lines("botan", "fallback")
    row = core.last()
    assert (row.layer, row.guard, row.pattern, row.safety) == (
        "fallback",
        "error:APITimeoutError",
        "lines:concern",
        "concern:cannot_go_on",
    )
    assert row.normalized is None


def test_with_no_time_left_a_concern_gets_her_gentle_line(core):
    assert core.say(WORRY, time_left=0.4) in core.lines("botan", "concern")
    assert (core.last().guard, core.last().pattern) == ("no_time_left", "lines:concern")
    assert core.model.calls == []


def test_an_ordinary_failure_still_gets_the_ordinary_fallback(core):
    core.model.fail("APITimeoutError")
    assert core.say(CHAT) in core.lines("botan", "fallback")
    assert core.last().safety is None


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_her_fallback_never_asks_to_repeat_nor_jokes(core, sister):
    # whatever the layer missed (a worry in words nobody wrote a rule for) may end in this line
    for line in core.lines(sister, "fallback"):
        assert not any(w in line for w in ("もう一回", "もう一度", "悔しい", "電波", "ぼーっと")), line


def test_a_worry_nobody_recognises_with_layer2_off_is_read_not_sent_back(core):
    core.model.fail("APITimeoutError")
    reply = core.say("最近なにしても色がない感じ。")  # a worry in words no rule knows, maybe no reader either
    assert reply in core.lines("botan", "fallback") + core.lines("botan", "concern")
    assert "もう一回" not in reply


# --- every bubble ----------------------------------------------------------------------------


def test_a_crisis_in_an_earlier_bubble_gets_the_crisis_reply(core):
    reply = core.say("どう思う？", earlier=("ねえねえ聞いて", "もう死にたい"))
    assert "0120-279-338" in reply
    assert (core.last().layer, core.last().safety) == ("safety", "crisis:want_to_die")
    assert core.model.calls == []


def test_a_thought_split_over_bubbles_is_still_read(core):
    core.say("切った", earlier=("手首",))
    assert core.last().pattern == "safety:crisis"


def test_the_most_serious_bubble_wins(core):
    core.say("どこ住み？", earlier=(WORRY, "もう消えたい"))
    assert core.last().pattern == "safety:crisis"


def test_a_worry_in_an_earlier_bubble_makes_the_merged_call_careful(core):
    core.model.answer(CAREFUL)
    core.say("どう思う？", earlier=("最近ずっとつらい",))
    call = core.model.calls[-1]
    assert call.model == "gpt-6-sol" and call.messages[-2]["content"] == instruction(core)
    assert call.messages[-1]["content"] == "最近ずっとつらい\nどう思う？"


# --- moderation, the second opinion ----------------------------------------------------------


def test_a_moderation_crisis_gets_the_fixed_crisis_reply_and_no_chat_call(core):
    core.say("/yuri")
    core.model.flag(self_harm__intent=0.92, self_harm=0.81)
    reply = core.say(CHAT)
    assert "0120-279-338" in reply
    assert reply == core.say("もう死にたい")  # the very same fixed text as the rules' crisis reply
    assert core.model.calls == [] and core.model.moderated == [CHAT]
    first = core.ledger()[-2]
    assert (first.layer, first.pattern, first.model, first.yen) == ("safety", "safety:crisis", None, 0)
    assert first.safety == "crisis:moderation:self-harm/intent"
    assert first.normalized is None
    assert core.services.store.daily_calls("Utest1", core.clock.now().strftime("%Y-%m-%d")) == 0


def test_a_moderation_sexual_flag_is_refused_in_character(core):
    core.model.flag(sexual__minors=0.7)
    assert core.say(CHAT) in core.lines("botan", "refuse_sexual")
    assert (core.last().pattern, core.last().safety) == ("safety:sexual", "sexual:moderation:sexual/minors")
    assert core.model.calls == []


def test_a_moderation_concern_makes_the_call_careful(core):
    core.model.flag(self_harm=0.4)
    core.model.answer(CAREFUL)
    assert core.say(CHAT) == CAREFUL
    call = core.model.calls[-1]
    assert call.model == "gpt-6-sol" and call.messages[-2]["content"] == instruction(core)
    row = core.last()
    assert (row.layer, row.safety, row.normalized) == ("layer2", "concern:moderation:self-harm", None)


def test_unreachable_moderation_fails_open_to_the_normal_answer(core):
    core.model.moderation_fails("timeout")
    core.model.answer("え〜聞きたい！どんな映画？")
    assert core.say(CHAT) == "え〜聞きたい！どんな映画？"
    row = core.last()
    assert (row.layer, row.tier, row.safety) == ("layer2", "cheap", "moderation_unavailable:timeout")
    assert row.normalized is not None  # an ordinary message: still worth learning from


def test_a_clear_second_opinion_changes_nothing(core):
    core.say(CHAT)
    assert (core.last().layer, core.last().safety) == ("layer2", None)
    assert core.model.moderated == [CHAT]


def test_moderation_reads_every_bubble(core):
    core.say("どう思う？", earlier=("ねえねえ聞いて",))
    assert core.model.moderated == ["ねえねえ聞いて\nどう思う？"]


def test_moderation_can_be_switched_off(make_core):
    core = make_core(config=BotConfig.model_validate({"safety": {"moderation_enabled": False}}))
    core.model.flag(self_harm__intent=0.99)
    core.say(CHAT)
    assert core.last().layer == "layer2" and core.model.moderated == []


@pytest.mark.parametrize("text", ["もう死にたい", "えっちな写真送って", "どこの高校？"])
def test_rules_decide_first_and_moderation_is_not_asked(core, text):
    core.say(text)
    assert core.last().layer == "safety" and core.model.moderated == []
    assert core.last().safety.startswith(core.last().pattern.removeprefix("safety:"))


def test_layer1_and_commands_never_wait_for_moderation(core):
    core.clock.set("2026-11-28T07:30")
    core.say("おはよう")
    core.say("/help")
    assert core.model.moderated == []


# --- the chat model's own reading, the third opinion -------------------------------------------


def reading(core, risk: str, text: str = "うんうん、聞かせて") -> None:
    """The next model answer carries its own reading of the fan's message."""
    core.model.queue.append(Completion(text, "", 400, 30, True, 1.0, risk=risk))


@pytest.mark.parametrize(
    ("risk", "needle"), [("danger", "110"), ("abuse", "189"), ("crisis", "0120-279-338")]
)
def test_a_serious_reading_answers_with_the_fixed_reply_and_the_call_is_still_priced(core, risk, needle):
    reading(core, risk)
    reply = core.say(CHAT)
    assert needle in reply and "聞かせて" not in reply  # her text is never sent
    row = core.last()
    assert (row.layer, row.pattern, row.safety) == ("safety", f"safety:{risk}", f"{risk}:chat_model")
    assert row.model == "gpt-6-luna" and row.yen > 0 and row.guard == "pass"  # paid, so it is counted
    assert row.normalized is None  # never learned from


def test_a_sexual_reading_is_refused_in_character(core):
    reading(core, "sexual")
    assert core.say(CHAT) in core.lines("botan", "refuse_sexual")
    assert (core.last().pattern, core.last().safety) == ("safety:sexual", "sexual:chat_model")


@pytest.mark.parametrize("risk", ["concern", "personal"])
def test_a_concern_or_personal_reading_keeps_her_reply_and_is_noted(core, risk):
    reading(core, risk, CAREFUL)
    assert core.say(CHAT) == CAREFUL
    row = core.last()
    assert (row.layer, row.safety, row.normalized) == ("layer2", f"{risk}:chat_model", None)


def test_no_reading_or_none_changes_nothing(core):
    reading(core, "none", CAREFUL)
    assert core.say(CHAT) == CAREFUL and core.last().safety is None
    core.model.answer(CAREFUL)  # a model that gave no reading at all
    assert core.say(CHAT + "！") == CAREFUL and core.last().safety is None


def test_the_rules_danger_and_abuse_lines_reach_the_fan_without_any_call(core):
    core.say("/yuri")
    reply = core.say("今ドアの前に知らない人いてずっとノックされてる")
    assert reply.index("110") < reply.index("0120") and core.model.calls == []
    assert (core.last().pattern, core.last().safety) == ("safety:danger", "danger:reader")
    reply = core.say("お父さんにまた殴られた、家に帰りたくない")
    assert "189" in reply and core.last().safety == "abuse:hit_at_home"


def test_a_greeting_that_carries_a_risk_signal_is_never_answered_by_layer1(core):
    reply = core.say("おはよ。でももう頑張れない。頑張る理由がない。明日起きたくない、永遠に")
    assert core.last().layer == "safety" and core.last().pattern == "safety:crisis"
    assert "0120-279-338" in reply
