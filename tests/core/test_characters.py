"""Character files: validation with file:line errors, `botan-line check`, hot reload."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from botan_line.characters.loader import CharacterStore, load_characters
from botan_line.errors import CharacterError

REPO = Path(__file__).resolve().parents[2]


def problems(root: Path) -> list[str]:
    with pytest.raises(CharacterError) as exc:
        load_characters(root)
    return exc.value.problems


def add_patterns(root: Path, sister: str, text: str, name: str = "patterns.yaml") -> Path:
    path = root / sister / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_files_are_valid():
    chars = load_characters(REPO / "characters")
    assert set(chars.sisters) == {"botan", "kasho", "yuri"}


def test_a_pattern_for_more_wordings_answers_with_the_lines_it_stands_for_while_they_exist():
    food = load_characters(REPO / "characters").pattern("botan", "favorite_food")
    alias = {"id": "learned_7", "category": "learned", "triggers": [{"exact": ["好物ってなに"]}],
             "replies": ["承認のときの写し"], "same_as": "favorite_food"}  # fmt: skip
    chars = load_characters(REPO / "characters", {"botan": ("database:learned/botan", {"patterns": [alias]})})
    assert chars.pattern("botan", "learned_7").replies == food.replies  # her lines as they are now
    gone = {**alias, "same_as": "no_longer_there"}
    chars = load_characters(REPO / "characters", {"botan": ("database:learned/botan", {"patterns": [gone]})})
    assert chars.pattern("botan", "learned_7").replies == ["承認のときの写し"]  # still loads: the copy


def test_unknown_field_is_reported_with_its_line(characters_dir):
    path = add_patterns(
        characters_dir,
        "botan",
        """patterns:
  - id: sample
    category: banter
    triggers:
      - exact: [てすとだよ]
    replys: [a, b]
""",
    )
    found = problems(characters_dir)
    assert any(p.startswith(f"{path}:6:") and "unknown field" in p for p in found), found


def test_missing_variations_and_bad_regex(characters_dir):
    path = add_patterns(
        characters_dir,
        "kasho",
        """patterns:
  - id: one_reply
    category: smalltalk
    triggers:
      - exact: [ひとつだけ]
    replies: [ひとつだけです。]
  - id: bad_regex
    category: smalltalk
    triggers:
      - regex: "(あいう"
    replies: [はい。, いいえ。]
""",
    )
    found = problems(characters_dir)
    assert any(p.startswith(f"{path}:6:") for p in found), found
    assert any(p.startswith(f"{path}:10:") and "bad regex" in p for p in found), found


def test_duplicate_id_and_claimed_trigger(characters_dir):
    path = add_patterns(
        characters_dir,
        "yuri",
        """patterns:
  - id: thanks
    category: thanks
    triggers:
      - exact: [さんきゅ]
    replies: [うん…, ふふ…]
  - id: another_morning
    category: greeting
    triggers:
      - exact: [おはよう]
    replies: [おはよ…, …おはよう]
""",
    )
    found = problems(characters_dir)
    assert any(p.startswith(f"{path}:2:") and "duplicate pattern id" in p for p in found), found
    assert any(p.startswith(f"{path}:7:") and "also claimed" in p for p in found), found


def test_stream_lines_name_the_stream_only_under_when_stream_and_share_triggers_freely(characters_dir):
    path = add_patterns(
        characters_dir,
        "botan",
        """patterns:
  - id: everyday
    category: compliment
    triggers:
      - exact: [配信見たよ]
    replies: [ありがと〜！, うれしい〜！]
  - id: named
    category: compliment
    triggers:
      - exact: [配信見たよ]
    when:
      stream: true
    replies: ["{stream}見てくれたの！？", "{stream}ありがと！"]
  - id: named_without_condition
    category: compliment
    triggers:
      - exact: [配信見てた]
    replies: ["{stream}見てくれたの？", ありがと！]
""",
    )
    found = problems(characters_dir)
    assert len(found) == 1 and found[0].startswith(f"{path}:14:") and "when.stream" in found[0], found


def test_sender_name_over_20_characters_and_broken_yaml(characters_dir):
    persona = characters_dir / "botan" / "persona.yaml"
    persona.write_text(
        persona.read_text(encoding="utf-8").replace(
            "display_name: 牡丹", "display_name: 牡丹牡丹牡丹牡丹牡丹牡丹牡丹牡丹牡丹牡丹牡丹"
        ),
        encoding="utf-8",
    )
    broken = add_patterns(characters_dir, "yuri", "patterns:\n  - id: x\n    replies: [a, b\n")
    found = problems(characters_dir)
    assert any(str(persona) in p and "display_name" in p for p in found), found
    assert any(p.startswith(f"{broken}:") and "invalid YAML" in p for p in found), found


def test_check_command_reports_file_line_and_exits_1(characters_dir):
    add_patterns(
        characters_dir,
        "botan",
        "patterns:\n  - id: Bad-Id\n    category: banter\n"
        "    triggers: [{exact: [てすと]}]\n    replies: [a, b]\n",
        name="learned.yaml",  # an export: check validates it as if imported
    )
    run = subprocess.run(
        [sys.executable, "-m", "botan_line", "check", str(characters_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert run.returncode == 1
    assert f"{characters_dir}/botan/learned.yaml:2:" in run.stdout
    ok = subprocess.run(
        [sys.executable, "-m", "botan_line", "check", str(REPO / "characters")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert ok.returncode == 0 and ok.stdout.strip().endswith("ok")


def test_start_up_refuses_invalid_files(characters_dir, tmp_path):
    add_patterns(characters_dir, "botan", "patterns: [{id: x}]\n")
    env = {
        "BOTAN_CHARACTERS_DIR": str(characters_dir),
        "BOTAN_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    run = subprocess.run(
        [sys.executable, "-m", "botan_line", "chat"],
        input="おはよう\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert run.returncode == 2
    assert "patterns.yaml:1:" in run.stderr


class Ticks:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_a_changed_file_is_picked_up_and_an_invalid_edit_never_replaces_the_live_set(characters_dir):
    ticks = Ticks()
    store = CharacterStore(characters_dir, check_every=2.0, clock=ticks)
    add_patterns(
        characters_dir,
        "botan",
        """patterns:
  - id: new_line
    category: smalltalk
    triggers:
      - exact: [あたらしいやつ]
    replies: [新しいのきた〜！, それ新作じゃん！]
""",
    )
    assert store.current.pattern("botan", "new_line") is None  # not yet: checks are throttled
    ticks.t = 3
    assert store.current.pattern("botan", "new_line") is not None
    add_patterns(characters_dir, "botan", "patterns: [{id: broken}]\n")
    ticks.t = 6
    assert store.current.pattern("botan", "new_line") is not None  # the old set keeps serving
    assert store.last_error and "patterns.yaml" in store.last_error[0]


def test_reload_under_concurrent_readers(characters_dir):
    store = CharacterStore(characters_dir)
    errors: list[Exception] = []
    stop = threading.Event()

    def reader():
        from botan_line.characters.matcher import Context

        while not stop.is_set():
            try:
                chars = store.current
                assert chars.matchers["botan"].match("ありがとう", False, Context("daytime")) is not None
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        add_patterns(
            characters_dir,
            "yuri",
            f"""patterns:
  - id: learned_{i}
    category: learned
    triggers:
      - exact: [じっけん{i}]
    replies: [実験{i}…かも, 実験{i}だと思う]
""",
        )
        assert store.reload() is None
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert store.current.pattern("yuri", "learned_4") is not None


def test_admin_reload_over_the_webhook(sbot):
    from conftest import ADMIN

    add_patterns(
        sbot.services.settings.characters_dir,
        "botan",
        """patterns:
  - id: fresh
    category: smalltalk
    triggers:
      - exact: [できたてほやほや]
    replies: [できたてじゃん！, ほやほやだね〜！]
""",
    )
    assert "再読み込み" in sbot.say("/reload", user=ADMIN)
    assert sbot.say("できたてほやほや") in ("できたてじゃん！", "ほやほやだね〜！")
