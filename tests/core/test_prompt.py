"""The Layer 2 prompt: her fixed, cacheable part from her own lines, then the fan's part.

Pure tests on the real character files, then over real HTTP (the real `openai` client against the
fake server) that the leading system message is the same bytes for every fan and every turn."""

from __future__ import annotations

from datetime import date

import pytest

from botan_line.characters.loader import load_characters
from botan_line.characters.placeholders import fill
from botan_line.config import BotConfig
from botan_line.core.guard import check_reply
from botan_line.core.layer2 import prompt
from botan_line.core.layer2.prompt import CACHE_MIN_TOKENS, estimate_tokens, fixed_prompt, style_examples

TARGET = BotConfig().llm.style_prefix_tokens


@pytest.fixture(scope="module")
def chars(request):
    from conftest import REPO

    return load_characters(REPO / "characters")


def test_the_estimate_takes_the_cheap_end_of_the_tokenizer():
    assert estimate_tokens("") == 0
    assert estimate_tokens("あいうえおかきくけこ" * 3) == 20  # 30 Japanese characters / 1.5
    assert estimate_tokens("hello world") == 2  # 10 letters / 4; the space is free
    assert estimate_tokens(" \n\t　" * 10) == 0  # whitespace is free, the ideographic space too
    text = "おはよ〜キミ！今日もいちにち一緒にがんばろ！ OK?"
    assert estimate_tokens(text) <= len(text) / 1.5  # never more than the design's lowest ratio


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_her_fixed_part_is_her_prompt_then_her_own_lines_and_long_enough_to_cache(chars, sister):
    fixed = fixed_prompt(chars, sister, TARGET)
    persona = chars.persona(sister)
    assert fixed.startswith(persona.system_prompt.strip())
    assert estimate_tokens(fixed) >= CACHE_MIN_TOKENS  # the conservative estimate, not the real count
    assert "{" not in fixed and "}" not in fixed  # every placeholder filled
    examples = style_examples(chars.sisters[sister], 10**6)
    hers = {
        " ".join(fill(r, name=persona.address).split())
        for p in chars.sisters[sister].patterns.values()
        for r in p.replies
    }
    used = [line for _, line in examples if line in fixed]
    assert len(used) >= 20 and all(line in hers for line in used)  # only her own lines
    others = {
        line
        for sid in chars.sisters
        if sid != sister
        for _, line in style_examples(chars.sisters[sid], 10**6)
    }
    assert not any(line in fixed for line in others)


def test_examples_cover_her_kinds_of_line_and_skip_lines_tied_to_a_moment(chars):
    sister = chars.sisters["botan"]
    examples = style_examples(sister, TARGET)
    kinds = {cat for cat, _ in examples}
    assert {"greeting", "banter", "smalltalk", "compliment", "question"} <= kinds
    timed = {r for p in sister.patterns.values() if p.when is not None for r in p.replies}
    assert not any(line in timed for _, line in examples)
    assert not any("{band}" in line for _, line in examples)


def test_the_same_files_give_the_same_bytes_and_a_changed_file_a_new_prompt(characters_dir):
    first = load_characters(characters_dir)
    again = load_characters(characters_dir)
    assert fixed_prompt(first, "botan", TARGET) == fixed_prompt(again, "botan", TARGET)
    assert fixed_prompt(first, "botan", TARGET) is fixed_prompt(again, "botan", TARGET)  # built once
    path = characters_dir / "botan" / "greetings.yaml"
    old = "やっほ〜！呼んだ？牡丹ちゃん参上〜！"
    assert old in path.read_text(encoding="utf-8")
    path.write_text(
        path.read_text(encoding="utf-8").replace(old, "やっほー！牡丹ちゃん、ただいま参上！"), "utf-8"
    )
    edited = load_characters(characters_dir)
    assert edited.signature != first.signature
    rebuilt = fixed_prompt(edited, "botan", TARGET)
    assert "牡丹ちゃん、ただいま参上！" in rebuilt and old not in rebuilt


def test_without_a_target_the_prompt_is_her_system_prompt(chars):
    assert fixed_prompt(chars, "yuri", 0) == chars.persona("yuri").system_prompt.strip()


def test_her_own_example_line_is_no_prompt_echo_but_her_instructions_are(chars):
    fragments = prompt.guard_fragments(chars, "botan")
    line = next(line for _, line in style_examples(chars.sisters["botan"], TARGET) if len(line) > 20)
    assert check_reply(line, prompt_fragments=fragments).reason != "prompt_echo"
    leaked = "ここから下は牡丹が実際にファンに返したセリフです！"
    assert check_reply(leaked, prompt_fragments=fragments).reason == "prompt_echo"


def test_the_fan_note_holds_only_what_the_fan_chose_to_tell():
    today = date(2026, 11, 28)
    assert prompt.fan_note(None, {}, today) is None
    note = prompt.fan_note("ミカ", {"oshi": "ユリ", "exam": "2026-12-03 期末テスト"}, today)
    assert "「ミカ」" in note and "推し：ユリ" in note and "12月3日の期末テスト（あと5日）" in note
    assert "好きなもの" not in note
    gone = prompt.fan_note(None, {"exam": "2026-11-01 テスト"}, today)
    assert gone is None  # an exam long past is not brought up


def test_messages_are_fixed_part_then_note_then_history_then_message():
    messages = prompt.build_messages(
        "FIXED",
        "NOTE",
        [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d")],
        "今日はね",
        history_turns=1,
        history_tokens=100,
        max_input_chars=3,
    )
    assert messages == [
        {"role": "system", "content": "FIXED"},
        {"role": "system", "content": "NOTE"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d"},
        {"role": "user", "content": "今日は"},
    ]


# --- over real HTTP --------------------------------------------------------------------------
CHATS = [
    "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？",
    "昨日から新しいゲーム始めたんだけど難しくてさ",
    "今日の夕方の空がきれいで写真いっぱい撮っちゃった",
    "部活の先輩が引退しちゃって寂しいかも",
]


def test_the_leading_system_message_is_the_same_bytes_for_every_fan_and_turn(core):
    core.say("これからはミカって呼んでね", user="Umika")
    for turn, text in enumerate(CHATS * 2):
        for user in ("Umika", "Uother", "Uthird"):
            core.model.answer(f"{turn}回目、聞かせてくれてありがと〜！")
            core.say(text, user=user)
            core.clock.advance(30)
    core.say("/yuri", user="Uother")
    core.model.answer("そうなんだ…。もう少し聞かせてほしいな。")
    core.say(CHATS[0], user="Uother")
    calls = core.model.calls
    botan = [c.messages for c in calls[:-1]]
    assert len(botan) == 24
    assert len({m[0]["content"] for m in botan}) == 1  # byte-identical, whoever and whenever
    assert all(m[0]["role"] == "system" for m in botan)
    chars = core.services.characters.current
    assert botan[0][0]["content"] == fixed_prompt(chars, "botan", TARGET)
    assert estimate_tokens(botan[0][0]["content"]) >= CACHE_MIN_TOKENS
    yuri = calls[-1].messages[0]["content"]
    assert yuri != botan[0][0]["content"] and yuri == fixed_prompt(chars, "yuri", TARGET)
    # what is about one fan comes after the fixed part, and only in that fan's calls
    mika = [m for m in botan if "ミカ" in m[1]["content"]]
    assert len(mika) == 8 and all(m[1]["role"] == "system" and "「ミカ」" in m[1]["content"] for m in mika)
    others = [m for m in botan if m not in mika]
    assert not any("ミカ" in x["content"] for m in others for x in m[:-1] if x["role"] == "system")
