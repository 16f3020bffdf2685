"""Layer 1 matching on the real character files, and on small synthetic sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from botan_line.characters.loader import Pattern, load_characters
from botan_line.characters.matcher import Context, Matcher, required_literal
from botan_line.characters.normalize import normalize

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chars():
    return load_characters(REPO / "characters")


def match(chars, sister, text, band="daytime", **ctx):
    n = normalize(text)
    m = chars.matchers[sister].match(n.text, n.question, Context(band, **ctx))
    return m.pattern.id if m else None


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_a_plain_casual_hello_is_a_hello_not_a_pun(chars, sister):
    assert match(chars, sister, "こんちゃ〜") == "hello"  # common: not the "what a unique greeting" lines
    assert match(chars, sister, "こんにちわん") == "playful_hello"


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize("text", ["おはよう", "おはよー", "おはよ〜〜", "ｵﾊﾖｳ", "おはようございまーす!!"])
def test_morning_greeting_variants_match_in_the_morning(chars, sister, text):
    assert match(chars, sister, text, "morning") == "morning"


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_the_same_words_get_a_different_pattern_late_at_night(chars, sister):
    assert match(chars, sister, "おはよう", "night") not in (None, "morning")


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize(
    "text",
    [
        "おはようって英語で何て言うの？",
        "こんにちはの語源を教えて",
        "おやすみって韓国語でなんて言う？",
        "ありがとうを丁寧に言うとどうなるの",
        "昨日の配信で言ってたゲームのタイトル、なんだっけ？ずっと考えてるんだけど思い出せなくて",
    ],
)
def test_a_greeting_word_inside_a_real_question_goes_to_layer2(chars, sister, text):
    assert match(chars, sister, text, "morning") is None


@pytest.mark.parametrize(
    "sister, text, expected",
    [
        ("botan", "ありがとう", "thanks"),
        ("kasho", "ありがと！", "thanks"),
        ("yuri", "ただいま", "im_home"),
        ("botan", "AIなの？", "are_you_ai"),
        ("kasho", "かわいい", "youre_cute"),
    ],
)
def test_everyday_messages_match(chars, sister, text, expected):
    assert match(chars, sister, text) == expected


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_every_sister_has_enough_content(chars, sister):
    patterns = chars.sisters[sister].patterns.values()
    greetings = [p for p in patterns if p.category in ("greeting", "thanks", "apology", "goodbye")]
    assert sum(len(p.replies) for p in greetings) >= 40
    assert len([p for p in patterns if p.category not in ("greeting", "thanks", "apology", "goodbye")]) >= 60
    assert len([p for p in patterns if p.category == "banter"]) >= 15


def test_no_line_is_shared_between_sisters(chars):
    owner = {}
    for sid, sister in chars.sisters.items():
        lines = [r for p in sister.patterns.values() for r in p.replies]
        lines += [
            line
            for key in type(sister.persona.lines).model_fields
            for line in getattr(sister.persona.lines, key)
        ]
        for line in lines:
            assert owner.setdefault(line, sid) == sid, line


def _pattern(
    pid, *, exact=None, keywords=None, regex=None, scope=None, when=None, max_length=20, allow_question=False
):
    trigger = {k: v for k, v in dict(exact=exact, keywords=keywords, regex=regex, scope=scope).items() if v}
    return Pattern.model_validate(
        dict(
            id=pid,
            category="smalltalk",
            triggers=[trigger],
            when=when,
            max_length=max_length,
            allow_question=allow_question,
            replies=["いいね", "そうなんだ"],
        )
    )


def test_exact_beats_keywords_beats_regex():
    m = Matcher(
        [
            _pattern("kw", keywords=["ねむ"]),
            _pattern("ex", exact=["ねむい"]),
            _pattern("re", regex="ねむ.*", scope="contains"),
        ]
    )
    assert m.match("ねむい", False, Context("night")).pattern.id == "ex"
    assert m.match("ねむすぎ", False, Context("night")).pattern.id == "kw"


def test_contained_triggers_only_match_short_messages():
    m = Matcher([_pattern("tired", keywords=["疲れた"], max_length=12)])
    assert m.match("今日は疲れた", False, Context("night"))
    assert m.match("今日は本当に色々あって疲れたけど楽しかったよ", False, Context("night")) is None


def test_conditions_first_visit_and_chat_kind():
    m = Matcher(
        [
            _pattern("hi_new", exact=["はじめまして"], when={"first_visit": True}),
            _pattern("hi_group", exact=["みんな"], when={"chat": "group"}),
        ]
    )
    assert m.match("はじめまして", False, Context("daytime", first_visit=True))
    assert m.match("はじめまして", False, Context("daytime", first_visit=False)) is None
    assert m.match("みんな", False, Context("daytime", chat="group"))
    assert m.match("みんな", False, Context("daytime")) is None


def test_overlapping_claims_are_reported_and_disjoint_ones_are_not():
    clash = Matcher([_pattern("a", exact=["おはよ"]), _pattern("b", exact=["おはよー"])])
    assert clash.conflicts and clash.conflicts[0][:2] == ("a", "b")
    fine = Matcher(
        [
            _pattern("a", exact=["おはよ"], when={"time": ["morning"]}),
            _pattern("b", exact=["おはよ"], when={"time": ["night"]}),
        ]
    )
    assert fine.conflicts == []


@pytest.mark.parametrize(
    "regex, literal",
    [
        ("^ねむい+$", "ねむ"),
        ("(おは|こん)よう", "よう"),
        ("a|b", None),
        ("てすと\\d+", "てすと"),
    ],
)
def test_regexes_are_anchored_on_a_literal_they_require(regex, literal):
    assert required_literal(regex) == literal


def test_regex_without_literal_is_still_matched():
    m = Matcher([_pattern("digits", regex="[0-9]+")])
    assert m.match("12345", False, Context("daytime")).pattern.id == "digits"


def test_a_repeated_keyword_does_not_stand_in_for_the_others():
    m = Matcher([_pattern("prove", keywords=["人間", "証明"])])
    assert m.match("人間人間", False, Context("daytime")) is None
    assert m.match("人間と人間", False, Context("daytime")) is None
    assert m.match("人間だと証明", False, Context("daytime")) is not None


# --- one slip of the finger: forgiven in a greeting, never where it writes another word -------------------
GREETINGS = ("greeting", "thanks", "apology", "goodbye")


def found(chars, sister, text, band="daytime", **ctx):
    n = normalize(text)
    return chars.matchers[sister].match(n.text, n.question, Context(band, **ctx))


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize(
    "text, band, category",
    [("おはようござます", "morning", "greeting"), ("おはよおございます", "morning", "greeting"),
     ("おはようごございます", "morning", "greeting"), ("こんにちわ", "daytime", "greeting"),
     ("こんばんわです", "evening", "greeting"), ("おやすみにさい", "night", "greeting"),
     ("ありがとぅ", "daytime", "thanks"), ("ありがとうござます", "daytime", "thanks"),
     ("ありがとおう", "daytime", "thanks"), ("ごめんなさぃ", "daytime", "apology")],
)  # fmt: skip
def test_a_typo_in_a_greeting_is_still_that_greeting(chars, sister, text, band, category):
    assert found(chars, sister, text, band).pattern.category == category


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize("band", ["morning", "night"])
@pytest.mark.parametrize(
    "text",
    [
        "はじめました",  # 始めました, not はじめまして
        "いってくれ",  # 言ってくれ, not いってくる
        "いってます",  # 言ってます, not いってきます
        "いってるね",  # 言ってるね, not いってくるね
        "出かけてる",  # she is out, not 出かけてくる
        "帰ってきてよ",  # come home, not 帰ってきたよ
        "帰れました",  # could get home, not 帰りました
        "いただけます",  # can have it, not いただきます
        "じゃあまだ",  # not yet, not じゃあまた
        "まだあした",  # still tomorrow, not またあした
        "まだあとで",  # later still, not またあとで
        "またつくるね",  # I'll make it again, not またくるね
        "ごめんだね",  # no thanks, not ごめんね
        "ごめんだよ",
        "こんばんです",  # 今晩です, not こんばんはです
        "おやすみの",  # the day off's ..., not おやすみ
        "おやすみで",
        "おはようの",
        "ありがとうの",
        "ひさしぶりに",  # the message goes on
        "すみませんが",
    ],
)
def test_a_word_one_kana_from_a_greeting_is_not_that_greeting(chars, sister, band, text):
    m = found(chars, sister, text, band)
    assert m is None or m.pattern.category not in GREETINGS, m.pattern.id


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_a_closing_particle_leaves_a_trigger_as_it_was_but_not_a_prohibition(chars, sister):
    assert found(chars, sister, "また明日ね！").pattern.category == "goodbye"
    assert found(chars, sister, "ごめんなさいね").pattern.category == "apology"
    assert found(chars, sister, "へえ〜そうなんだ", after="told").pattern.id == "i_see"
    for text in ("わかったら", "勉強するな"):  # if you understand; don't study
        assert found(chars, sister, text) is None
    m = found(chars, sister, "無視するな")  # don't ignore me: not "I'll ignore you"
    assert m is None or m.trigger != "無視する"


def _greeting(pid, *phrases):
    return Pattern.model_validate(
        {"id": pid, "category": "greeting", "triggers": [{"exact": list(phrases)}], "replies": ["a", "b"]}
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("おはようごさいます", "morning"),  # one wrong, on the same key
        ("おはようございす", "morning"),  # one missing inside
        ("おはようごございます", "morning"),  # a tap repeated
        ("おばようございます", "morning"),  # a voiced twin inside
        ("おはようございまさ", None),  # the last one wrong: only its small twin is forgiven
        ("おはようございま", None),  # cut short
        ("おはようございますね", "morning"),  # a closing particle
        ("おはようございますの", None),  # the message goes on
        ("おはようございますに", None),
        ("おはようごぎざいます", None),  # one too many, not a tap repeated
        ("ぼはようございます", None),  # the first one
        ("ありがとぅ", "thanks"),
        ("ありがという", None),  # two places changed, not one (ありがとうね)
        ("hallo", None),
        ("helo", None),  # a latin greeting is not a flick keyboard's slip
    ],
)
def test_what_counts_as_one_slip(text, expected):
    m = Matcher([_greeting("morning", "おはようございます"), _greeting("thanks", "ありがとう", "ありがとうね"),
                 _greeting("hello", "hello")])  # fmt: skip
    found_ = m.match(normalize(text).text, False, Context("morning"))
    assert (found_.pattern.id if found_ else None) == expected


# --- what she recommended: tried it (done) or will try it (to come), by the verb's tense ----------------
@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize("after", ["nothing", "told"])
@pytest.mark.parametrize(
    "text",
    ["おすすめの本読んだ", "教えてくれたアニメ見てみた", "おすすめのパン食べてみました", "言ってたカフェ行ってきた",
     "おすすめのリップ買った", "おすすめのアニメ一気見しちゃった", "例のゲームやってみたら面白かった"],
)  # fmt: skip
def test_having_tried_what_she_recommended_is_tried(chars, sister, after, text):
    liked = "面白かった" in text  # she is glad with them instead of asking how it was
    assert match(chars, sister, text, after=after) == (
        "liked_recommendation" if liked else "tried_recommendation"
    )


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize(
    "text",
    ["読んでみる", "見てみます", "やってみよう", "今度行く", "試してみたい", "チェックする", "おすすめの本読んでみる",
     "おすすめのゲームやってみよう", "おすすめのお茶、帰りに買ってみます", "おすすめの曲試してみたい"],
)  # fmt: skip
def test_promising_to_try_is_will_try(chars, sister, text):
    assert match(chars, sister, text, after="told") == "will_try"


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize(
    "text, not_this",
    [("見てみた", "will_try"), ("食べてみました", "will_try"), ("今日初めて食べてみた", "will_try"),
     ("おすすめの本読んだら感想言うね", "tried_recommendation"), ("おすすめの映画見たかった", "tried_recommendation"),
     ("おすすめの本読みたい", "tried_recommendation"), ("おすすめの見た目", "tried_recommendation")],
)  # fmt: skip
def test_the_other_tense_is_not_taken_for_it(chars, sister, text, not_this):
    assert match(chars, sister, text, after="told") != not_this


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize(
    "text",
    ["見た？", "おすすめの映画見た？", "まだ見てない", "おすすめの映画まだ見てない", "おすすめのアニメ見たことない",
     "見てみる？", "試してみない？", "今度の配信なにやる", "明日どこ行く"],
)  # fmt: skip
def test_a_question_or_a_negation_is_neither_tried_nor_will_try(chars, sister, text):
    assert match(chars, sister, text, after="told") not in ("tried_recommendation", "will_try")


# --- the archive: watched already (done, again, in the past) or still to watch --------------------
@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize(
    "text, expected",
    [("アーカイブ最後まで見終わった！", "archive_watched"), ("歌枠のアーカイブ、もう5回聴いた", "archive_watched"),
     ("アーカイブ2周目してる", "archive_watched"), ("見逃したけどアーカイブで見たよ", "archive_watched"),
     ("あとでアーカイブ見るね", "archive_watch"), ("アーカイブ見たいけど時間ない", "archive_watch"),
     ("見逃した…アーカイブで追います", "archive_watch"), ("アーカイブ途中まで見た、続きは夜に", "archive_watch")],
)  # fmt: skip
def test_an_archive_already_watched_is_thanked_not_waited_for(chars, sister, text, expected):
    assert match(chars, sister, text) == expected


# --- a bare 「おー」 is interest, not praise; 「すごいですね」 is praise ------------------------------
@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
@pytest.mark.parametrize("text, expected", [("おー", "oh"), ("おお！", "oh"), ("すごいですね", "impressed")])
def test_a_bare_oh_is_interest_and_praise_is_praise(chars, sister, text, expected):
    assert match(chars, sister, text, after="told") == expected


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_a_greeting_glued_to_a_word_of_the_fans_own_is_a_playful_greeting(chars, sister):
    assert match(chars, sister, "おはみかん🍊", "morning") == "playful_morning"
    assert match(chars, sister, "こんばんみかん", "evening") == "playful_evening"
    assert match(chars, sister, "おはこ", "morning") != "playful_morning"  # 十八番, not a greeting
    assert match(chars, sister, "おはなし", "morning") != "playful_morning"
    assert match(chars, sister, "おはつです", "morning") != "playful_morning"  # お初: a first visit
    assert match(chars, sister, "おはやいね", "morning") != "playful_morning"  # お早い
