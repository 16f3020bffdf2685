"""The review page's data: the /approve text an admin would type, candidates through AdminTools, weakest patterns."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from botan_line.doors.review import ReviewError, approve_command, open_candidates, reject_command, weakest

ORIGINAL = ["わかる〜！", "それな〜"]


@pytest.mark.parametrize(
    ("edited", "command"),
    [
        (ORIGINAL, "/approve 12"),
        (["  わかる〜！ ", "", "それな〜"], "/approve 12"),  # blanks and spaces are not edits
        ([*ORIGINAL, "寂しいよね〜"], "/approve 12 + 寂しいよね〜"),
        ([*ORIGINAL, "一", "二"], "/approve 12 + 一 | 二"),
        (["それな〜", "わかる〜！"], "/approve 12 それな〜 | わかる〜！"),  # reordered: the whole list
        (["わかる〜！"], "/approve 12 わかる〜！"),  # one removed
        (["新しい返事だよ！", *ORIGINAL], "/approve 12 新しい返事だよ！ | わかる〜！ | それな〜"),
    ],
)
def test_approve_command_says_what_changed_the_way_an_admin_would_type_it(edited, command):
    assert approve_command(12, edited, ORIGINAL) == command


@pytest.mark.parametrize(
    ("edited", "problem"),
    [
        ([], "at least one reply"),
        (["", "  "], "at least one reply"),
        (["A | B"], "cannot contain |"),
        (["全角｜区切り"], "cannot contain |"),
        (["+1 だよ！"], "cannot start with +"),
        (["＋1 だよ！", "それな〜"], "cannot start with +"),
    ],
)
def test_edits_approve_would_misread_are_refused(edited, problem):
    with pytest.raises(ReviewError, match=problem):
        approve_command(12, edited, ORIGINAL)


def test_an_added_reply_may_start_with_plus_because_the_mark_comes_first():
    assert approve_command(3, [*ORIGINAL, "+αだよ"], ORIGINAL) == "/approve 3 + +αだよ"


def test_reject_command():
    assert reject_command(7) == "/reject 7"


class Admin:
    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    def candidates(self, limit):
        self.asked.append(limit)
        return self.answer


def test_open_candidates_asks_admin_tools_and_reads_either_answer_shape():
    found = [SimpleNamespace(id=1), SimpleNamespace(id=2)]
    plain = Admin(found)
    assert open_candidates(plain, limit=20) == found and plain.asked == [20]
    assert open_candidates(Admin((found, False))) == found  # (found, mined): when mining reports itself


def test_weakest_patterns_carry_the_file_and_line_of_the_pattern(tmp_path):
    greetings = tmp_path / "botan" / "greetings.yaml"
    chars = SimpleNamespace(sisters={"botan": SimpleNamespace(source={"night": (str(greetings), 41)})})
    report = SimpleNamespace(
        overall=SimpleNamespace(
            weakest=[
                SimpleNamespace(pattern="botan:night", uses=5, followed=1, percent=20.0),
                SimpleNamespace(pattern="yuri:gone", uses=3, followed=0, percent=0.0),  # no such sister now
            ]
        )
    )
    night, gone = weakest(report, chars, tmp_path)
    assert (night.pattern, night.uses, night.followed, night.source) == (
        "botan:night",
        5,
        1,
        "botan/greetings.yaml:41",
    )
    assert gone.source is None
