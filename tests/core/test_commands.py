"""Chat commands, in-process: who may run what, and what it costs (nothing). Groups go through the webhook."""

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
def test_a_non_admin_gets_the_unknown_command_answer_and_nothing_runs(core, name, caplog):
    args = {
        "approve": " 1",
        "reject": " 1",
        "budget": " 5",
        "learn": " botan ほげ => ふが",
        "stats": " month",
    }
    reply = core.say(f"/{name}{args.get(name, '')}", user="Ufan")
    assert reply in core.lines("botan", "unknown_command")
    assert core.ledger()[-1].pattern == "unknown"
    assert core.say("/nosuchcommand", user="Ufan") in core.lines("botan", "unknown_command")
    assert core.ledger()[-1].pattern == "unknown"  # indistinguishable from an unknown command
    assert f"non-admin tried an admin command: /{name}" in caplog.text
    assert core.services.store.state("layer2_paused") is None
    assert core.services.store.state("budget_monthly_yen") is None
    row = core.ledger()[-1]
    assert (row.layer, row.yen) == ("command", 0)
    assert core.model.calls == []


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
def test_an_admin_runs_every_admin_command(core, name, arg, expect):
    reply = core.say(f"/{name} {arg}".strip(), user=ADMIN)
    assert expect in reply
    assert core.ledger()[-1].layer == "command"
    assert core.model.calls == []


def test_help_is_role_aware(core):
    fan = core.say("/help", user="Ufan")
    admin = core.say("/help", user=ADMIN)
    assert "/forget" in fan and "/whoami" in fan and "/stats" not in fan
    assert "/stats" in admin and "/approve" in admin and "/forget" in admin


def test_whoami_shows_the_users_own_id(core):
    assert "Unewoperator" in core.say("/whoami", user="Unewoperator")


def test_forget_deletes_history_with_every_sister(core):
    core.model.answer("え〜聞きたい聞きたい！どんな映画だったの？")
    core.say("最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？")
    core.say("/yuri")
    core.say("ありがとう")
    assert core.services.store.history("Utest1", "botan", 10)
    reply = core.say("/forget")
    assert reply in core.lines("yuri", "forget")
    assert core.services.store.history("Utest1", "botan", 10) == []
    assert core.services.store.history("Utest1", "yuri", 10) == []


def test_budget_command_changes_the_monthly_budget(core):
    from botan_line.core.layer2 import monthly_budget

    def budget():
        return monthly_budget(core.services.store, core.services.settings.config)

    core.say("/budget 1,200円", user=ADMIN)
    assert budget() == 1200
    assert "数字" in core.say("/budget たくさん", user=ADMIN)
    for nonsense in ("nan", "inf", "-5"):  # never a way to switch the limits off
        assert "数字" in core.say(f"/budget {nonsense}", user=ADMIN)
    assert budget() == 1200


def test_in_groups_only_harmless_commands_run_and_only_when_addressed(core):
    assert core.say("/whoami", user="Um1", chat="group") == ""  # not addressed: she keeps quiet
    shown = core.say("/whoami", user="Um1", chat="group", mentioned=True)
    assert shown and "Um1" not in shown  # no user IDs in front of a group
    stats = core.say("/stats", user=ADMIN, chat="group", mentioned=True)
    assert stats and "メッセージ" not in stats  # no reports either, even for an admin
    assert core.say("/yuri", user="Um1", chat="group")
    assert core.user_sister("Um1") == "yuri"


def test_commands_never_reach_layer1_or_layer2(core):
    core.say("/おはよう")
    assert core.last().layer == "command"
    assert core.model.calls == []


def test_the_readme_command_table_is_generated_from_the_command_table():
    from pathlib import Path

    from botan_line.characters.loader import load_characters
    from botan_line.core.commands import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- commands:start")[1].split("\n", 1)[1].split("<!-- commands:end -->")[0]
    assert block.strip() == markdown_table(
        load_characters(Path(__file__).resolve().parents[2] / "characters")
    )


def test_a_full_width_slash_is_a_command_not_a_paid_model_call(core):
    assert "使えるコマンド" in core.say("／help")  # what a Japanese IME types
    assert core.last().layer == "command"
    core.say("／ｙｕｒｉ")
    assert core.user_sister() == "yuri"
    assert core.model.calls == []


def test_a_fourth_sister_folder_gets_her_command_and_report_column(make_core, characters_dir):
    import shutil

    from botan_line.core.stats import short_names

    shutil.copytree(characters_dir / "yuri", characters_dir / "ran")
    persona = characters_dir / "ran" / "persona.yaml"
    text = (
        persona.read_text(encoding="utf-8")
        .replace("id: yuri", "id: ran")
        .replace("display_name: ユリ", "display_name: 蘭（らん）")
    )
    persona.write_text(text, encoding="utf-8")
    for name in ("greetings.yaml", "patterns.yaml"):  # her lines must be her own: keep only the persona
        (characters_dir / "ran" / name).unlink()
    safety = characters_dir / "safety.yaml"
    text = safety.read_text(encoding="utf-8")
    for field, line in (
        ("crisis_reply", "{name}、話してくれてありがとう。\\n{contacts}"),
        ("abuse_reply", "{name}は悪くないよ。189に電話してね。\\n{contacts}"),
        ("danger_reply", "{name}、今すぐ110に電話して。\\n{contacts}"),
    ):
        text = text.replace(f"{field}:\n", f'{field}:\n  ran: "{line}"\n', 1)
    safety.write_text(text, encoding="utf-8")
    core = make_core()
    assert "/ran" in core.say("/help")
    core.say("/ran")
    assert core.user_sister() == "ran"
    assert short_names(core.services.characters.current)["ran"] == "蘭"
