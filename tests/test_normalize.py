import pytest

from botan_line.characters.normalize import normalize


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("おはよう", "おはよう"),
        ("おはよー", "おはよ"),
        ("おはよ〜〜", "おはよ"),
        ("ｵﾊﾖｳ", "おはよう"),
        ("オハヨウ", "おはよう"),
        ("おはようございまーす!!", "おはようございます"),
        ("おはよぉ", "おはよ"),
        ("  おやすみ😴💤  ", "おやすみ"),
        ("ありがとう！！！", "ありがとう"),
        ("ありがとう♡♡", "ありがとう"),
        ("すごいいいいい", "すごい"),
        ("ｗｗｗｗｗ", "w"),
        ("ＡＩなの", "aiなの"),
        ("こんにちは。", "こんにちは"),
        ("「ただいま」", "ただいま"),
        ("ﾏｼﾞで", "まじで"),
        ("ファン", "ふぁん"),  # a small vowel that is not a stretch stays
    ],
)
def test_fold(raw, folded):
    assert normalize(raw).text == folded


@pytest.mark.parametrize(
    "raw, question",
    [
        ("おはよう？", True),
        ("おはよう?", True),
        ("おはよう", False),
        ("元気!", False),
    ],
)
def test_question_mark_is_remembered(raw, question):
    assert normalize(raw).question is question
