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


@pytest.mark.parametrize(
    "a, b",
    [
        ("へー", "へえ"),
        ("へぇ", "へえ"),
        ("ねー聞いて", "ねえ聞いて"),
        ("へー、そうなんだ", "へえ そうなんだ"),
        ("かわいー", "かわいい"),
        ("いいなー", "いいなあ"),
        ("う〜ん", "うーん"),
        ("ウーーーン", "うーん"),
        ("確かに(笑)", "たしかに"),
        ("ありがとうございます笑", "ありがとうございます"),
        ("なるほどw", "なるほど"),
    ],
)
def test_spellings_of_the_same_word_meet(a, b):
    from botan_line.characters.normalize import fold

    assert fold(a) == fold(b.replace("たしかに", "確かに"))


@pytest.mark.parametrize(
    "a, b",
    [
        ("うーん", "うん"),  # thinking is not yes
        ("ふーん", "ふん"),  # "I see" is not "hmph"
        ("笑", ""),  # a laugh alone stays a laugh
        ("爆笑", "爆"),  # a kanji word ending in 笑 is not a trailing laugh
        ("おはよう", "おはよ"),  # う after よ spells a long o: the files list both
    ],
)
def test_spellings_that_mean_different_things_stay_apart(a, b):
    from botan_line.characters.normalize import fold

    assert fold(a) != fold(b)


def test_a_word_looked_for_inside_messages_keeps_a_final_vowel_it_cannot_spare():
    from botan_line.characters.normalize import fold

    assert fold("へえ") == "へ" and fold("へえ", contained=True) == "へえ"
    assert fold("かわいい", contained=True) == "かわい"


def test_loanwords_are_the_katakana_words_folding_shortens():
    assert normalize("好きなカラーは？").loans == ("から",)
    assert normalize("推しマーク、サッカー").loans == ("まく", "さっか")
    assert normalize("牡丹チャン、何カナ？そうダヨー").loans == ()


def test_emoji_and_then_a_space_end_a_sentence_but_emoji_inside_one_do_not():
    story = normalize("朝練なんよ〜🎺😪 何時に起きる？")
    assert story.breaks and story.text[story.breaks[0] :].startswith("何時")
    assert normalize("みかん🍊好き？").breaks == ()
    assert normalize("おはよう☀️").breaks == ()


def test_a_question_mark_spelt_out_by_a_voice_engine_is_a_question_mark():
    spoken = normalize("次の配信何時からはてな")
    assert spoken.question and spoken.text == normalize("次の配信何時から？").text
    assert not normalize("はてな").question and normalize("はてなブログ見てる").text.startswith("はてな")
