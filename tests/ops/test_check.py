"""The check behind `botan-line check` and the console's problem list: file:line problems as data."""

from __future__ import annotations

from botan_line.characters.check import check_characters, where


def test_a_valid_set_gives_one_summary_line_per_sister(characters_dir):
    result = check_characters(characters_dir)
    assert result.ok and result.problems == []
    assert [line.split(":")[0] for line in result.summary] == ["botan", "kasho", "yuri"]
    assert all("patterns" in line and "reply variations" in line for line in result.summary)


def test_problems_keep_the_loaders_file_line_and_split_into_place_and_message(characters_dir):
    patterns = characters_dir / "kasho" / "patterns.yaml"
    text = patterns.read_text(encoding="utf-8")
    patterns.write_text(text.replace("patterns:\n", "patterns:\n  - id: Bad-Id\n    replies: [a]\n", 1))
    result = check_characters(characters_dir)
    assert not result.ok and result.summary == []
    mine = [p for p in result.problems if p.startswith(f"{patterns}:")]
    assert mine, result.problems
    file, line, message = where(mine[0])
    bad_line = text[: text.index("patterns:\n")].count("\n") + 2  # the line after `patterns:`
    assert (file, line) == (str(patterns), bad_line) and message and not message.startswith(":")


def test_where_leaves_a_problem_without_a_place_whole():
    assert where("no character folders found") == ("", None, "no character folders found")
    assert where("a/b.yaml:7: x: y") == ("a/b.yaml", 7, "x: y")
