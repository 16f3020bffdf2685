"""Chat commands over the real webhook: who may run what, and what it costs (nothing)."""

from __future__ import annotations

import pytest
from conftest import ADMIN

from botan_line.core.commands import commands

ADMIN_COMMANDS = sorted(c.name for c in commands.table.values() if c.admin_only)


def test_the_admin_command_set_is_what_the_operator_expects():
    assert ADMIN_COMMANDS == sorted(
        [
            "stats",
            "budget",
            "reload",
            "pause",
            "resume",
            "candidates",
            "approve",
            "reject",
            "learn",
            "announce",
        ]
    )


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
def test_a_non_admin_gets_the_unknown_command_answer_and_nothing_runs(bot, name, caplog):
    args = {
        "approve": " 1",
        "reject": " 1",
        "budget": " 5",
        "learn": " botan ほげ => ふが",
        "stats": " month",
    }
    reply = bot.say(f"/{name}{args.get(name, '')}", user="Ufan")
    assert reply in bot.lines("botan", "unknown_command")
    assert bot.ledger()[-1].pattern == "unknown"
    assert bot.say("/nosuchcommand", user="Ufan") in bot.lines("botan", "unknown_command")
    assert bot.ledger()[-1].pattern == "unknown"  # indistinguishable from an unknown command
    assert f"non-admin tried an admin command: /{name}" in caplog.text
    assert bot.services.store.state("layer2_paused") is None
    assert bot.services.store.state("budget_monthly_yen") is None
    row = bot.ledger()[-1]
    assert (row.layer, row.yen) == ("command", 0)
    assert bot.ai.calls() == []


@pytest.mark.parametrize(
    "name, arg, expect",
    [
        ("stats", "today", "メッセージ"),
        ("budget", "5000", "¥5,000"),
        ("reload", "", "再読み込み"),
        ("pause", "", "停止"),
        ("resume", "", "再開"),
        ("candidates", "", "候補"),
        ("approve", "999", "見つからない"),
        ("reject", "999", "見つからない"),
        ("learn", "botan ためしのことば => ためしの返事だよ！", "learned_"),
    ],
)
def test_an_admin_runs_every_admin_command(bot, name, arg, expect):
    reply = bot.say(f"/{name} {arg}".strip(), user=ADMIN)
    assert expect in reply
    assert bot.ledger()[-1].layer == "command"
    assert bot.ai.calls() == []


def test_help_is_role_aware(sbot):
    fan = sbot.say("/help", user="Ufan")
    admin = sbot.say("/help", user=ADMIN)
    assert "/forget" in fan and "/whoami" in fan and "/stats" not in fan
    assert "/stats" in admin and "/approve" in admin and "/forget" in admin


def test_whoami_shows_the_users_own_id(sbot):
    assert "Unewoperator" in sbot.say("/whoami", user="Unewoperator")


def test_forget_deletes_history_with_every_sister(sbot):
    sbot.ai.queue("え〜聞きたい聞きたい！どんな映画だったの？")
    sbot.say("最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？")
    sbot.say("/yuri")
    sbot.say("ありがとう")
    assert sbot.services.store.history("Utest1", "botan", 10)
    reply = sbot.say("/forget")
    assert reply in sbot.lines("yuri", "forget")
    assert sbot.services.store.history("Utest1", "botan", 10) == []
    assert sbot.services.store.history("Utest1", "yuri", 10) == []


def test_budget_command_changes_the_monthly_budget(sbot):
    from botan_line.core.layer2 import monthly_budget

    def budget():
        return monthly_budget(sbot.services.store, sbot.services.settings.config)

    sbot.say("/budget 1,200円", user=ADMIN)
    assert budget() == 1200
    assert "数字" in sbot.say("/budget たくさん", user=ADMIN)
    for nonsense in ("nan", "inf", "-5"):  # never a way to switch the limits off
        assert "数字" in sbot.say(f"/budget {nonsense}", user=ADMIN)
    assert budget() == 1200


def test_in_groups_only_harmless_commands_run_and_only_when_addressed(sbot):
    from fakes import text_event

    ts = sbot.clock.ms
    assert (
        sbot.deliver(text_event("/whoami", "Um1", source_type="group", group_id="Cg", timestamp_ms=ts)) == []
    )
    shown = sbot.deliver(
        text_event(
            "@bot /whoami", "Um1", source_type="group", group_id="Cg", mentioned_self=True, timestamp_ms=ts
        )
    )
    assert shown and "Um1" not in shown[0]  # no user IDs in front of a group
    stats = sbot.deliver(
        text_event(
            "@bot /stats", ADMIN, source_type="group", group_id="Cg", mentioned_self=True, timestamp_ms=ts
        )
    )
    assert stats and "メッセージ" not in stats[0]  # no reports either, even for an admin
    assert sbot.deliver(text_event("/yuri", "Um1", source_type="group", group_id="Cg", timestamp_ms=ts))
    assert sbot.user_sister("Um1") == "yuri"


def test_commands_never_reach_layer1_or_layer2(sbot):
    sbot.say("/おはよう")
    assert sbot.last().layer == "command"
    assert sbot.ai.calls() == []


def test_the_readme_command_table_is_generated_from_the_command_table():
    from pathlib import Path

    from botan_line.characters.loader import load_characters
    from botan_line.core.commands import markdown_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- commands:start")[1].split("\n", 1)[1].split("<!-- commands:end -->")[0]
    assert block.strip() == markdown_table(
        load_characters(Path(__file__).resolve().parents[1] / "characters")
    )
