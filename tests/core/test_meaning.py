"""Meaning matching: two wordings of one question meet, two questions sharing words do not."""

from __future__ import annotations

import pytest

from botan_line.characters.loader import Pattern
from botan_line.characters.matcher import Context, Matcher
from botan_line.characters.normalize import normalize
from botan_line.storage.learned import threshold_from

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
NAMES = {"botan": ["牡丹", "牡丹ちゃん", "ぼたんちゃん"], "yuri": ["ユリ", "ユリちゃん"]}


def matcher(*examples_by_id):
    patterns = [
        Pattern.model_validate(
            {"id": pid, "category": "question", "meaning": {"examples": ex}, "replies": ["うん", "そうだよ"]}
        )  # fmt: skip
        for pid, ex in examples_by_id
    ]
    return Matcher(patterns, sister="botan", names=NAMES)


def ask(m, text):
    n = normalize(text)
    found = m.match(n.text, n.question, Context("daytime"), n.breaks, n.loans)
    return found.pattern.id if found else None


FOOD = ("food", ["好きな食べ物なに？", "好物ってなに？", "好きな食べ物教えて"])
BIRTHDAY = ("birthday", ["誕生日いつ？", "誕生日っていつ？", "誕生日教えて"])


@pytest.mark.parametrize(
    "text", ["牡丹ちゃんの好きな食べ物ってなんですか？", "すきなたべもの教えて〜", "好物は？"]
)
def test_other_wordings_of_the_question_meet(text):
    assert ask(matcher(FOOD, BIRTHDAY), text) == "food"


@pytest.mark.parametrize(
    "text",
    ["嫌いな食べ物は？", "好きな飲み物は？", "ユリちゃんの好きな食べ物は？", "配信いつ？", "誕生日プレゼント何がいい？",
     "ちなみに私の好きな食べ物はカレーです"],
)  # fmt: skip
def test_different_questions_sharing_words_do_not(text):
    assert ask(matcher(FOOD, BIRTHDAY), text) not in ("food", "birthday")


def test_when_is_not_what():
    m = matcher(("next_when", ["次の配信いつ？", "次の配信っていつ？", "次いつ配信する？"]))
    assert ask(m, "次の枠いつ〜？") == "next_when"
    assert ask(m, "次の配信なにやるの？") is None
    assert ask(m, "前回の配信いつだった？") is None


def test_when_she_began_is_not_when_a_stream_starts_nor_why_she_began():
    m = matcher(
        ("debut", ["VTuberデビューいつ？", "VTuber始めたのいつ？", "いつデビューしたの？"]),
        ("start_time", ["配信って何時から始まるの？", "配信何時から？", "配信始まるの何時？"]),
    )
    assert ask(m, "VTuberデビューっていつだったの？") == "debut"
    assert ask(m, "配信は何時に始まる？") == "start_time"
    assert ask(m, "配信始めたのっていつ頃？") != "start_time"  # her career, not tonight's stream
    assert ask(m, "VTuberになったきっかけって何ですか？") is None  # why, not when
    assert ask(m, "どうしてVTuberやろうって思ったの？") is None


def test_a_stricter_threshold_answers_fewer_wordings():
    loose = matcher(("food", FOOD[1]))
    strict = Matcher([Pattern.model_validate({"id": "food", "category": "question", "replies": ["a", "b"],
                      "meaning": {"examples": FOOD[1], "threshold": 1.0}})], sister="botan", names=NAMES)  # fmt: skip
    text = "最近好きな食べ物ある？"
    assert ask(loose, text) == "food" and ask(strict, text) is None


def test_threshold_is_read_from_an_approval():
    assert threshold_from(["しきい値0.85", "返事"]) == (0.85, ["返事"])
    assert threshold_from(["返事"]) == (None, ["返事"])


@pytest.mark.parametrize("text, expected", [("こんにちわ", "hello"), ("おはようござます", "morning"),
                                            ("ごんにちは", None), ("こんにちか", None)])  # fmt: skip
def test_a_greeting_forgives_only_a_slip_of_the_finger(text, expected):
    m = Matcher([Pattern.model_validate({"id": "hello", "category": "greeting", "replies": ["a", "b"],
                                         "triggers": [{"exact": ["こんにちは"]}]}),
                 Pattern.model_validate({"id": "morning", "category": "greeting", "replies": ["c", "d"],
                                         "triggers": [{"exact": ["おはようございます"]}]})])  # fmt: skip
    assert ask(m, text) == expected


def test_a_question_followed_by_its_reason_is_read_from_the_sentence_that_asks():
    m = matcher(BIRTHDAY)
    assert ask(m, "ねえねえ、誕生日いつなの？お祝いしたい") == "birthday"
    assert normalize("誕生日いつ？お祝いしたい").breaks == (5,)


def test_a_yes_no_question_is_not_a_when_question():
    m = matcher(BIRTHDAY)
    assert ask(m, "誕生日配信やる？") is None


def test_a_word_most_wordings_said_may_be_left_out_once_when_nothing_takes_its_place():
    m = matcher(("rank", ["今のランク教えて", "ランクいまどのへん？", "ランクどこ？"]))
    assert ask(m, "ランク何帯？") == "rank"  # 今 left out
    assert ask(m, "最高ランクどこまでいった？") is None  # something else in its place


def test_a_negation_before_a_noun_is_what_is_asked():
    m = matcher(("hours", ["一日何時間練習してる？", "練習時間どれくらい？", "毎日何時間練習してるの？"]))
    assert ask(m, "練習しない日ある？") is None


def test_sharing_only_a_frame_is_sharing_no_topic():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    ws = [Wording(t, t) for t in ["好きなすいつなに", "好きなすいつは", "すいつ何派", "好きなあにめなに"]]
    Analyst({}, "botan").learn(ws)
    groups = [[w.text for w in g] for g in cluster(ws)]
    assert ["好きなすいつなに", "好きなすいつは", "すいつ何派"] in groups
    assert ["好きなあにめなに"] in groups


def test_two_groups_one_of_which_always_says_what_the_other_never_does_stay_apart():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    texts = ["好きなあにそんなに", "一番好きなあにそん教えて", "好きなあにめなに", "一番好きなあにめ教えて"]
    ws = [Wording(t, t) for t in texts]
    Analyst({}, "botan").learn(ws)
    groups = sorted(sorted(w.text for w in g) for g in cluster(ws))
    assert groups == [sorted(texts[:2]), sorted(texts[2:])]


def test_what_fans_told_is_learned_without_a_meaning_so_no_question_meets_it():
    from botan_line.ops.paraphrase import Analyst, Wording, meaning_of

    told = [
        Wording(t, t)
        for t in [
            "こんびにのやつ買ってみたうまかった",
            "こんびにで買ったぷりんうまかったです",
            "こんびにの新作買った",
        ]
    ]
    asked = [
        Wording(t, t) for t in ["こんびにで何買う", "こんびにでよく買うものなに", "こんびにで何買ってる"]
    ]
    analyst = Analyst({}, "botan")
    analyst.learn(told + asked)
    assert meaning_of(told, analyst)["concepts"] == {}
    assert meaning_of(asked, analyst)["concepts"]


def test_a_message_naming_a_sister_is_not_answered_by_words_inside_it():
    m = Matcher([Pattern.model_validate({"id": "tried", "category": "smalltalk", "replies": ["a", "b"],
                                         "triggers": [{"regex": "おすすめ.*読んだ", "scope": "contains"}]})],
                sister="botan", names=NAMES)  # fmt: skip
    assert ask(m, "おすすめ読んだよ") == "tried"
    assert ask(m, "ユリのおすすめ読んだよ") is None


def test_learned_meanings_are_compact():
    p = Pattern.model_validate({"id": "q", "category": "learned", "replies": ["a", "b"],
                                "meaning": {"examples": ["誕生日いつ？"], "concepts": {"birthday": [], "w:x": ["えっくす"]},
                                            "loose": ["w:x"], "ask": "when"}})  # fmt: skip
    assert p.meaning.concepts == {"birthday": (), "w:x": ("えっくす",)} and p.meaning.loose == ("w:x",)
    assert not hasattr(p.meaning, "__dict__")
    with pytest.raises(ValueError):
        Pattern.model_validate({"id": "q", "category": "learned", "replies": ["a", "b"],
                                "meaning": {"examples": ["x"], "nonsense": 1}})  # fmt: skip


def test_a_katakana_word_is_content_even_where_its_letters_spell_a_particle():
    # カラー folds to から and マーク to まく: read as letters, 「好きなカラーは？」 asked only 好き
    m = matcher(("oshi", ["推しは？", "好きなのは？", "推しって誰？"]))
    assert ask(m, "推しは誰？") == "oshi"
    for text in ("好きなカラーは？", "推しマークある？", "好きなおやつは？", "好きなキャラは？"):
        assert ask(m, text) is None, text


def test_katakana_the_lexicon_lists_or_a_name_stays_what_it_is():
    assert ask(matcher(FOOD), "マジで好きな食べ物なに？") == "food"
    assert ask(matcher(FOOD), "ユリちゃんの好きな食べ物は？") is None  # about her sister, as before
    assert ask(matcher(FOOD, BIRTHDAY), "今日のディナーなに？") is None  # a meal is not her favourite food


def test_a_wording_that_tells_never_joins_the_ones_that_ask():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    texts = [
        "おすすめのラノベある？",
        "なんかおすすめのラノベない？",
        "おすすめのラノベ読んでみた、面白かった",
    ]
    ws = [Wording(t, t) for t in texts]
    Analyst({}, "yuri").learn(ws)
    groups = sorted(sorted(w.raw for w in g) for g in cluster(ws))
    assert groups == [sorted(texts[:2]), [texts[2]]]


def test_a_wording_with_a_topic_no_other_has_is_set_aside():
    from botan_line.ops.paraphrase import Analyst, Wording, strays

    asked = ["今日何してた？", "今日なにしてたの？", "今日は何してましたか？"]
    ws = [Wording(t, t) for t in [*asked, "今日のディナーは？"]]
    Analyst({}, "botan").learn(ws)
    assert [w.raw for w in strays(ws)] == ["今日のディナーは？"]
    assert strays(ws[:3]) == []
    comic = [
        Wording(t, t) for t in ["おすすめの漫画ある？", "おすすめの漫画教えて", "おすすめのコミックある？"]
    ]
    Analyst({}, "botan").learn(comic)
    assert strays(comic) == []  # a word of its own is not another topic


def test_a_bare_question_after_its_context_is_about_that_context():
    m = matcher(
        ("sing", ["歌うまくなるにはどうしたらいい？", "歌上手くなる方法ある？", "歌がうまくなるコツ教えて"])
    )
    assert ask(m, "歌うまくなりたいんだけど、なにからやればいい？") == "sing"
    assert ask(m, "FPSうまくなりたいんだけど、なにからやればいい？") is None


@pytest.mark.parametrize(
    "text", ["牡丹チャン、好きな食べ物は何カナ？😋", "好きな食べ物はナニかなー？", "好きな食べ物教えてネー"]
)
def test_katakana_said_for_effect_is_not_a_loanword(text):
    assert ask(matcher(FOOD), text) == "food"


def test_english_words_fans_mix_in_are_read_and_short_ones_only_stand_alone():
    assert ask(matcher(FOOD), "Fav foodは？") == "food"
    assert ask(matcher(FOOD), "favorite food 教えて！") == "food"
    drinks = matcher(("drink", ["好きな飲み物は？", "好きな飲み物なに？", "好きなドリンク教えて"]))
    assert ask(drinks, "Fav drinkなに？") == "drink"
    la = matcher(("la", ["LAってどんな感じだった？", "LAでの生活どうだった？", "LA時代どうだった？"]))
    assert ask(la, "LAってどうだった？") == "la"
    assert ask(la, "playってどうだった？") is None  # not the la of play


def test_a_line_ending_in_na_tells_unless_it_is_kana():
    from botan_line.characters import meaning

    reader = meaning.Reader()
    assert reader.read(normalize("教えてくれたラノベ読んでみたよ、面白かったナ").text).statement
    assert not reader.read(normalize("おすすめのラノベってどれかな").text).statement


def test_a_new_word_that_only_frames_the_question_weighs_half():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster, similarity

    texts = ["昼何時に起きるの", "何時ごろ起きますか", "起床時間何時"]
    ws = [Wording(t, t) for t in texts]
    Analyst({}, "botan").learn(ws)
    assert ws[0].framing == {"w:昼"}  # 昼: a noun the analyser says may be an adverb
    assert not ws[1].framing and not ws[2].framing
    a, b = ws[0].reading, ws[2].reading
    assert similarity(a, b, ws[0].framing) > similarity(a, b)
    assert [sorted(w.raw for w in g) for g in cluster(ws)] == [sorted(texts)]
    karaoke = [Wording(t, t) for t in ["からおけ行ったらいつも何歌う", "からおけの十八番なに"]]
    Analyst({}, "botan").learn(karaoke)
    assert karaoke[0].framing == {"w:行く"} and not karaoke[1].framing  # 行く may be an auxiliary


def test_two_frame_words_and_nothing_else_make_a_topic():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    reading = ["今何読んでる", "今読んでる本なに", "最近何読んでる"]
    others = ["最近好きなあにめなに", "最近好きなげむなに", "今何してる"]
    ws = [Wording(t, t) for t in reading + others]
    Analyst({}, "yuri").learn(ws)
    groups = sorted(sorted(w.raw for w in g) for g in cluster(ws))
    assert sorted(reading) in groups, groups
    for text in others:  # each with a word of its own, or sharing one frame word only
        assert [text] in groups, groups


def test_what_fans_are_called_is_not_what_to_call_her():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    her = ["なんて呼んだらいいかな？", "呼び方どうすればいい？", "なんて呼べばいい？"]
    fans = ["てかうちらのこと何て呼ぶんだっけ？", "リスナーのこと何て呼んでる？"]
    ws = [Wording(t, t) for t in her + fans]
    Analyst({}, "yuri").learn(ws)
    groups = sorted(sorted(w.raw for w in g) for g in cluster(ws))
    assert sorted(her) in groups and sorted(fans) in groups, groups


@pytest.mark.parametrize(
    "text", ["いつも何飲んでる？", "一番よく飲むドリンクってなに？", "普段なに飲んでるの？"]
)
def test_a_habit_or_superlative_asks_for_her_favourite(text):
    m = matcher(("drink", ["好きな飲み物なに？", "好きな飲み物は？", "好きなドリンク教えて"]), FOOD)
    assert ask(m, text) == "drink"


@pytest.mark.parametrize("text", ["一番苦手な飲み物は？", "昨日なに飲んだ？", "いつも何時に寝てる？"])
def test_a_habit_does_not_stand_in_for_a_dislike_a_time_or_another_topic(text):
    m = matcher(("drink", ["好きな飲み物なに？", "好きな飲み物は？", "好きなドリンク教えて"]))
    assert ask(m, text) is None


def test_a_habit_costs_nothing_against_a_question_that_does_not_need_a_favourite():
    m = matcher(("wake", ["何時に起きる？", "起きる時間は何時？", "朝何時に起きてる？"]))
    assert ask(m, "いつも何時に起きてるの？") == "wake"


def test_an_age_since_which_asks_when():
    m = matcher(("began_singing", ["歌はいつから始めたの？", "歌っていつから？", "いつから歌ってるの？"]))
    assert ask(m, "何歳から歌ってるの？") == "began_singing"
    assert ask(m, "何歳？") is None


def test_please_tell_me_is_a_request_not_a_wish():
    m = matcher(FOOD)
    assert ask(m, "好きな食べ物、教えてほしいな") == "food"
    assert ask(m, "そういえば好きな食べ物ってなに？") == "food"


def test_a_concept_stands_in_for_the_one_it_implies_and_then_costs_nothing():
    m = matcher(
        ("recommend_game", ["おすすめのゲームある？", "おすすめゲーム教えて", "おすすめのゲームなに？"]),
        ("anime_now", ["今見てるアニメなに？", "最近見てるアニメある？", "今なんのアニメ見てる？"]),
    )
    assert ask(m, "今期のアニメ何見てる？") == "anime_now"
    assert ask(m, "好きなゲーム教えて") is None  # her favourite is not a recommendation
    assert ask(m, "嫌いなゲームある？") is None


def test_a_time_frame_costs_little_in_a_when_question_and_a_start_in_a_why_question():
    m = matcher(
        ("bedtime", ["何時に寝る？", "何時に寝てる？", "いつも何時に寝るの？"]),
        ("why_vtuber", ["なんでVTuberになったの？", "VTuberになった理由は？", "どうしてVTuberになったの？"]),
    )
    assert ask(m, "寝る時間って何時？") == "bedtime"
    assert ask(m, "夜は何時に寝るんですか？") == "bedtime"
    assert ask(m, "VTuber始めたきっかけは？") == "why_vtuber"
    assert ask(m, "VTuber始めたのいつ？") is None


def test_asking_which_of_two_asks_which_she_likes():
    m = matcher(
        ("dog_or_cat", ["犬と猫どっちが好き？", "犬派？猫派？好きなのは？", "犬と猫、好きなのはどっち？"])
    )
    assert ask(m, "イヌとネコならどっち？") == "dog_or_cat"


def test_a_superlative_of_skill_or_asking_who_is_no_favourite():
    m = matcher(("game", ["好きなゲームなに？", "好きなゲームは？", "好きなゲーム教えて"]))
    assert ask(m, "一番よくやるゲームは？") == "game"
    assert ask(m, "一番得意なゲームは？") is None
    assert ask(m, "三姉妹で一番ゲームうまいの誰？") is None


def test_a_yes_no_question_and_a_who_or_how_question_are_two_questions():
    m = matcher(
        ("still_up", ["まだ起きてる？", "まだ起きてるの？", "もう寝た？まだ起きてる？"]),
        ("english", ["英語話せる？", "英語しゃべれる？", "英語話せるの？"]),
    )
    assert ask(m, "朝一番に起きるのって誰？") is None
    assert ask(m, "どうやったら英語話せるようになる？") is None
    assert ask(m, "英語って話せるの？") == "english"


def test_having_grown_curious_tells_and_asks_nothing():
    from botan_line.characters.meaning import Reader

    for text in ("今日図書館が急に気になり始めた", "古着屋が気になってきた"):
        n = normalize(text)
        reading = Reader().read(n.text, n.question, n.breaks, n.loans)
        assert reading.statement and not reading.request, text


def test_a_closing_nan_is_the_copula_and_a_yes_no_question_is_no_how_question():
    m = matcher(("english", ["英語話せる？", "英語しゃべれる？", "英語できる人なん？"]))
    assert ask(m, "英語ペラペラなん？") == "english"
    assert ask(m, "どうしたら英語話せるようになる？") is None


@pytest.mark.parametrize(
    "text", ["どうしても食べれないものってなに？", "これだけはガチで無理！って食べ物ある？"]
)
def test_food_she_cannot_eat_is_not_her_favourite(text):
    m = matcher(FOOD, ("dislike_food", ["嫌いな食べ物ある？", "苦手な食べ物は？", "食べられないものある？"]))
    assert ask(m, text) == "dislike_food"


# --- after the eighth held-out pair (hakata, engineer) was measured and judged ----------------------
def test_food_she_cannot_eat_in_dialect_is_not_what_she_ate():
    m = matcher(("cannot_eat", ["食べきらんもの何", "食べられんもんってある", "食べれんものある？"]))
    assert ask(m, "食べれんもんって何？") == "cannot_eat"
    assert ask(m, "お昼もう食べた？何食べたと？") is None


def test_asking_whether_it_is_really_her_is_not_asking_about_a_book():
    m = matcher(("book_now", ["今読んでる本なに", "最近読んでる本なに", "何の本読んでる？"]))
    assert ask(m, "いま読んでる本は？") == "book_now"
    for text in ("これ本人？", "本物のユリちゃん？", "本人確認していい？"):
        assert ask(m, text) is None, text


def test_quitting_is_not_how_she_began():
    m = matcher(
        ("began", ["VTuberになったきっかけは？", "どうしてVTuberになったの？", "VTuber始めた理由は？"])
    )
    assert ask(m, "VTuberになろうと思ったきっかけ教えて") == "began"
    assert ask(m, "VTuberやめたいって思ったことある？") is None


def test_a_playful_good_morning_asks_nothing_about_now():
    m = matcher(("listening_now", ["最近なに聴いてる？", "最近何聴いてるの？", "今なに聴いてる？"]))
    assert ask(m, "おはようございまんもす") is None
    assert ask(m, "最近なに聴いてるの？") == "listening_now"


def test_a_hakata_progressive_is_not_the_night():
    m = matcher(
        ("game_now", ["最近何のゲームしてる？", "今やってるゲームなに？", "最近ハマってるゲームは？"])
    )
    assert ask(m, "最近何のゲームしよると？") == "game_now"
    night = matcher(("night", ["夜なにしてる？", "夜は何してるの？", "夜って何してる？"]))
    assert ask(night, "何のゲームしよると？") is None


def test_what_a_fan_says_she_did_in_hakata_dialect_asks_nothing():
    m = matcher(
        ("practice", ["毎日の発声練習って何してます？", "ボイトレ何やってますか？", "発声練習のやり方教えて"])
    )
    assert ask(m, "教えてもらった発声練習やってみたばい") is None
    assert ask(m, "発声練習って何やってる？") == "practice"


def test_three_wordings_of_her_voice_training_routine_make_one_candidate():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    texts = [
        "毎日どんなボイトレをしてますか",
        "ボイトレのルーティン教えてください",
        "ボイストレーニングのメニューって何ですか",
    ]
    ws = [Wording(normalize(t).text, t) for t in texts]
    Analyst({}, "kasho").learn(ws)
    assert [sorted(w.raw for w in g) for g in cluster(ws)] == [sorted(texts)]


def test_a_yes_no_question_ending_in_aru_asks():
    m = matcher(
        ("go_to_song", ["カラオケで絶対歌う曲は？", "カラオケの十八番って何？", "カラオケで毎回歌う曲教えて"])
    )
    assert ask(m, "カラオケで絶対歌う曲ある") == "go_to_song"


def test_a_drafted_wording_answers_like_its_question_and_keeps_its_negation_and_subject():
    learned = Pattern.model_validate({
        "id": "learned_1", "category": "question", "replies": ["カラオケはいつもあれ！", "定番はあの曲！"],
        "meaning": {"examples": ["カラオケでよく歌う曲は？"], "concepts": {"karaoke": [], "sing": [], "music": []},
                    "ask": "what", "also": [{"concepts": {"signature_song": []}, "example": "十八番は？"}]},
    })  # fmt: skip
    m = Matcher([learned], sister="botan", names=NAMES)
    assert ask(m, "十八番は？") == "learned_1"
    assert ask(m, "カラオケで歌う曲なに？") == "learned_1"
    assert ask(m, "ユリちゃんの十八番は？") is None  # about her sister
    assert ask(m, "十八番じゃない曲は？") is None  # negated
    assert ask(m, "十八番の歌詞どこで見れる？") is None  # where, and more content


def _read_all(*texts):
    from botan_line.ops.paraphrase import Analyst, Wording

    words = [Wording(normalize(t).text, t) for t in texts]
    Analyst(NAMES, "botan").learn(words)
    return words


@pytest.mark.parametrize("text", ["おやすみんみん", "おやすみ", "おやすみなさい〜", "おやすみんご"])
def test_a_goodnight_in_any_spelling_is_no_day_off(text):
    (w,) = _read_all(text)
    assert "day_off" not in w.reading.concepts


@pytest.mark.parametrize(
    "text", ["おやすみの日何してる？", "お休みの日は何してる？", "おやすみって何してるの？"]
)
def test_a_day_off_in_hiragana_is_still_one(text):
    (w,) = _read_all(text)
    assert "day_off" in w.reading.concepts


def test_a_question_about_the_day_and_one_about_a_thing_in_it_stay_apart():
    from botan_line.ops.paraphrase import cluster

    words = _read_all(
        "今日なにしてた？", "今日は何をしましたか", "おつ〜 今日なにしてたん", "今日のひるめしなに"
    )
    assert sorted(len(g) for g in cluster(words)) == [1, 3]


def test_what_a_fan_is_in_the_middle_of_tells():
    (busy, asking) = _read_all("テスト勉強中", "今なに中？")
    assert busy.reading.statement and not asking.reading.statement


def test_a_question_about_nothing_but_liking_learns_no_meaning():
    from botan_line.ops.paraphrase import Analyst, Wording, meaning_of

    words = [Wording(normalize(t).text, t) for t in ("タピ好き？🧋",)]
    analyst = Analyst(NAMES, "botan")
    analyst.learn(words)
    assert meaning_of(words, analyst)["concepts"] == {}  # else every 〜好き？ would meet it


def test_what_fans_tell_meets_only_the_same_telling():
    from botan_line.ops.paraphrase import cluster

    words = _read_all("テスト勉強中", "勉強になりました", "今日プリクラを買ったんだけどちょっと失敗した",
                      "今日古着屋で買ったんだけどちょっと失敗した", "テスト勉強中！")  # fmt: skip
    assert sorted(len(g) for g in cluster(words)) == [1, 1, 1, 1, 1]


def test_two_light_words_make_a_topic_one_does_not():
    from botan_line.ops.paraphrase import Analyst, Wording, meaning_of

    def concepts(*texts: str) -> set[str]:
        words = [Wording(normalize(t).text, t) for t in texts]
        analyst = Analyst(NAMES, "yuri")
        analyst.learn(words)
        return set(meaning_of(words, analyst)["concepts"])

    assert {"now", "read"} <= concepts(
        "いま何読んでる？", "最近なに読んでるの", "今読んでるのなに"
    )  # 今なに読んでる？
    assert concepts("今好き？", "いま好き？") == set()  # a light word and 好き: no topic


def test_a_fans_own_nickname_for_her_is_her_name():
    from botan_line.characters.loader import load_characters

    chars = load_characters(REPO / "characters")
    assert {"ぼたぴ", "ぼーちゃん", "ゆりりん", "かしょねぇ"} <= {
        n for s in chars.sisters.values() for n in s.persona.nicknames
    }
    from botan_line.characters.meaning import Reader

    names = {sid: s.persona.nicknames for sid, s in chars.sisters.items()}
    botan, yuri = Reader({}, names, "botan"), Reader({}, names, "yuri")
    asked, plain = normalize("ぼたぴの好きな食べ物なに").text, normalize("好きな食べ物なに").text
    # her own nickname frames the question, as 牡丹ちゃん does; it is no word of its own
    assert botan.read(asked).concepts.keys() == botan.read(plain).concepts.keys()
    assert yuri.read(asked).about == {"botan"}


def test_asking_leave_or_where_to_start_is_its_own_question():
    from botan_line.ops.paraphrase import cluster

    # the tenth pair's judging: 〜ても大丈夫？ asks leave, not skill; 何から読めば asks where to start
    words = _read_all(
        "絵得意？", "お絵かき得意ですか", "絵を描いて投稿しても大丈夫？", "ファンアート描いてもいいですか？"
    )
    groups = sorted(sorted(w.raw for w in g) for g in cluster(words))
    assert groups == [
        ["お絵かき得意ですか", "絵得意？"],
        ["ファンアート描いてもいいですか？", "絵を描いて投稿しても大丈夫？"],
    ]
    words = _read_all(
        "ラノベ読んでみたいんだけど何から読めばいい？",
        "今ハマって読んでるラノベってなに？",
        "いま何のラノベ読んでる？",
    )
    assert sorted(len(g) for g in cluster(words)) == [1, 2]


def test_asking_leave_never_groups_with_asking_whether_she_does_it():
    from botan_line.ops.paraphrase import cluster

    words = _read_all("自分で絵を描いたりする？", "イラスト描いたりする？", "絵を描いて投稿しても大丈夫？")
    assert sorted(len(g) for g in cluster(words)) == [1, 2]


def test_a_light_word_left_unsaid_may_not_be_replaced_by_another():
    # learned from 最近なに聴いてる？ and kin: 最近 is the topic, 聴く may go unsaid, but 読む in its place
    # asks another question
    m = matcher(("listening", ["最近なに聴いてる？", "いま何聴いてるの", "最近なにハマってる？"]))
    assert ask(m, "最近なに聴いてるの？") == "listening"
    assert ask(m, "最近ハマってるのなに？") == "listening"
    assert ask(m, "最近なに読んでる？") is None
    assert ask(m, "最近なに見てる？") is None


# --- after the eleventh held-out pair (okinawa, net) was measured and judged -----------------------
def test_again_and_again_says_how_often_and_asks_no_amount():
    m = matcher(
        (
            "fav_movie",
            ["お気に入りの映画ある？", "何回も見ちゃうくらい好きな映画ってある？", "好きな映画って？"],
        )
    )
    assert ask(m, "一番好きな映画って何？") == "fav_movie"
    assert ask(m, "映画なら何が好き？") == "fav_movie"
    assert ask(m, "最近見た映画なに？") is None


def test_what_was_it_asks_what():
    (breakfast,) = _read_all("今日の朝食なんだった？")
    assert breakfast.reading.asks == {"what"} and not breakfast.reading.yes_no


def test_the_morning_is_a_time_of_its_own():
    (ate, routine) = _read_all("今朝何食べた？", "朝って何してる？")
    assert "morning" in ate.reading.concepts and "now" not in ate.reading.concepts
    assert "morning" in routine.reading.concepts


def test_a_dislike_never_groups_with_a_question_without_one():
    from botan_line.ops.paraphrase import cluster

    words = _read_all("今朝何食べた？", "嫌いな食べ物って何？", "苦手な食べ物ある？", "食べれないものある？")
    assert sorted(len(g) for g in cluster(words)) == [1, 3]


@pytest.mark.parametrize("text", ["教えてくれたボイトレやってみたさー", "ボイトレやってみたで"])
def test_what_a_fan_did_in_okinawan_or_kansai_speech_tells(text):
    (told,) = _read_all(text)
    assert told.reading.statement


# --- after the twelfth held-out pair (dosanko, papa) was measured and judged -----------------------
def test_a_time_word_is_no_topic_a_light_word_may_go_unsaid_beside():
    # learned from 最近なに見てる？: 最近 alone does not stand for what she watches
    m = matcher(("watching", ["最近なに見てる？", "最近見てるやつなに？"]))
    assert ask(m, "最近なに見てるの？") == "watching"
    assert ask(m, "最近いいことあった？") is None
    assert ask(m, "最近なにゲーやってんの？") is None


@pytest.mark.parametrize("text", ["次の配信もがんばれ", "明日の歌枠頑張って", "テストファイト"])
def test_a_cheer_tells(text):
    (cheer,) = _read_all(text)
    assert cheer.reading.statement


def test_a_kind_of_stream_named_is_another_question_than_any_stream():
    from botan_line.ops.paraphrase import similarity

    sing, any_stream, sing_again = _read_all("次の歌枠いつ？", "次の配信いつ？", "次歌う配信はいつ？")
    assert similarity(sing.reading, any_stream.reading) == 0.0
    assert similarity(sing.reading, sing_again.reading) > 0.55


def test_a_nod_is_no_method_and_what_a_stream_holds_is_not_when_it_is():
    from botan_line.ops.paraphrase import similarity

    nod, tips, content, when = _read_all(
        "ほうほう", "FPS上達の方法教えて", "次回の配信内容教えて", "次の配信いつ？"
    )
    assert not nod.reading.concepts and tips.reading.asks == {"how"}
    assert similarity(content.reading, when.reading) == 0.0


def test_becoming_is_a_beginning_and_liking_survives_it():
    became, why, fell = _read_all(
        "VTuberになったきっかけって何？", "どうしてVTuberになったの？", "いつからラノベ好きになったの？"
    )
    assert "began" in became.reading.concepts and "began" in why.reading.concepts
    assert {"like", "began", "light_novel"} <= fell.reading.concepts.keys()
    (quarrel,) = _read_all("姉妹でケンカになったりする？")
    assert "began" not in quarrel.reading.concepts


def test_a_noun_that_names_a_question_asks_nothing_in_a_line_that_tells():
    told, reason, asked = _read_all(
        "教えていただいた方法、今夜からやってみます。", "理由があって休みました", "上達の方法は？"
    )
    assert told.reading.statement and reason.reading.statement and not asked.reading.statement


def test_fans_words_for_a_good_thing_a_stronger_aim_and_no_motivation():
    from botan_line.ops.paraphrase import similarity

    good, glad, aim, better, none, gone = _read_all(
        "最近いいことあった？", "最近嬉しかったことある？", "エイム良くするにはどうすればいい？",
        "FPS強くなるコツ教えて", "勉強のやる気出ないときどうしたらいい？", "勉強やる気出す方法教えて",
    )  # fmt: skip
    assert similarity(good.reading, glad.reading) > 0.55
    assert similarity(aim.reading, better.reading) > 0.55
    assert not none.reading.negated and similarity(none.reading, gone.reading) > 0.55


def test_a_learned_question_about_a_kind_of_stream_answers_only_that_kind():
    m = matcher(("next_singing", ["次の歌枠いつ？", "次の歌配信いつ？", "次歌う配信はいつ？"]))
    assert ask(m, "歌枠の次はいつやる？") == "next_singing"
    assert ask(m, "次の配信いつ？") is None
    assert ask(m, "次のゲーム配信いつ？") is None
    m = matcher(("next_stream", ["次の配信いつ？", "次の配信っていつ？", "次いつ配信する？"]))
    assert ask(m, "次の三姉妹配信いつ？") is None


def test_what_she_reads_now_is_not_what_a_newcomer_should_start_with():
    from botan_line.ops.paraphrase import similarity

    now, now_too, first, beginner = _read_all(
        "今なに読んでる？", "最近読んでるラノベって何？", "はじめて読むならどのラノベがいい？", "ラノベ初心者なんだけど何から読めばいい？"
    )  # fmt: skip
    assert similarity(now.reading, now_too.reading) > 0.55
    assert similarity(first.reading, beginner.reading) > 0.55
    assert (
        similarity(now.reading, first.reading) == 0.0 and similarity(now_too.reading, beginner.reading) == 0.0
    )
    m = matcher(("reading_now", ["今なに読んでる？", "最近読んでるラノベ何？", "いま読んでる本教えて"]))
    assert ask(m, "ラノベ初心者なんだけど何から読めばいい？") is None


def test_a_thing_not_eaten_is_asked_about_and_a_thanks_tells():
    from botan_line.ops.paraphrase import similarity

    never, who, thanks = _read_all(
        "絶対食べないものって何？", "ご飯当番って誰？", "感度それにしてみる、ありがと"
    )
    assert never.reading.negated and similarity(never.reading, who.reading) == 0.0
    assert "cook" in who.reading.concepts and thanks.reading.statement


def test_a_measure_asked_as_what_or_how_much_is_one_question():
    from botan_line.ops.paraphrase import similarity

    what, much, date, when = _read_all(
        "今のランクなに？", "ランクいくつ？", "次回配信の予定日教えて", "次の配信いつ？"
    )
    assert similarity(what.reading, much.reading) > 0.55
    assert date.reading.asks == {"when"} and similarity(date.reading, when.reading) > 0.55
    (birthday,) = _read_all("バースデーいつなん？")
    assert birthday.reading.asks == {"when"}  # バースデイ no longer swallows the い of いつ


def test_besides_a_thing_asks_another_question_and_an_older_fans_kana_asks_yes_or_no():
    from botan_line.ops.paraphrase import similarity

    besides, now, good, who = _read_all(
        "読書以外に趣味ある？", "読書中の本なあに", "料理は得意ですかな", "料理上手なのは誰？"
    )
    assert "besides" in besides.reading.concepts and now.reading.asks == {"what"}
    assert similarity(besides.reading, now.reading) == 0.0
    assert good.reading.yes_no and similarity(good.reading, who.reading) == 0.0
    m = matcher(("hobby", ["趣味なに？", "趣味って何？", "趣味教えて"]))
    assert ask(m, "本以外の趣味なに？") is None
    assert ask(m, "趣味はなに？") == "hobby"


def test_what_a_fan_tried_and_liked_tells_and_a_season_asked_when_is_asked_which():
    from botan_line.ops.paraphrase import similarity

    tried, colour, when, which = _read_all(
        "言ってたリップ試してみた！色めっちゃ好き",
        "好きな色教えて",
        "好きな季節はいつ？",
        "どの季節が一番好き？",
    )
    assert tried.reading.statement and similarity(tried.reading, colour.reading) == 0.0
    assert similarity(when.reading, which.reading) > 0.55


def test_a_loanword_folded_into_a_particle_is_never_learned_as_a_word():
    from botan_line.ops.paraphrase import new_words

    words = new_words("カラーだと何が好き？", ["から"])
    assert all("から" not in forms for forms in words.values())


def test_what_she_usually_does_is_not_what_comes_next():
    from botan_line.ops.paraphrase import Analyst, meaning_of, signature, similarity

    m = matcher(
        (
            "usual_time",
            ["いつも何時から配信してる？", "配信はだいたい何時から？", "普段の配信って何時スタート？"],
        )
    )
    assert ask(m, "次の配信いつ？") is None
    assert ask(m, "いつも何時ごろ配信してるの？") == "usual_time"
    usual, next_one = _read_all("だいたい何時に配信始めるの？", "次の配信はいつかしら")
    assert similarity(usual.reading, next_one.reading) == 0.0
    members = _read_all("いつも何時から配信？", "配信っていつも何時から？", "だいたい何時に配信始めるの？")
    body = meaning_of(members, Analyst(NAMES, "botan"))
    assert body["usual"] and signature(body).usual  # kept with a learned pattern, read back


def test_a_dialect_progressive_keeps_its_verb_and_a_story_told_without_punctuation_is_context():
    from botan_line.ops.paraphrase import similarity

    iyo, plain, story, bare = _read_all(
        "毎朝何時に起きよるん",  # 起きよる: the frame きよる shares its き with 起き
        "朝何時に起きるの？",
        "カレンダーに推しの誕生日書き込みよるんです誕生日はいつですか",  # no 。: んです ends the story
        "誕生日いつ？",
    )
    assert "wake" in iyo.reading.concepts and not any(c.startswith("w:") for c in iyo.reading.concepts)
    assert similarity(iyo.reading, plain.reading) > 0.55
    assert set(story.reading.tail) == {"birthday"} and similarity(story.reading, bare.reading) == 1.0


def test_a_stream_date_is_a_stream_and_a_promise_to_go_is_not_asking_for_it():
    from botan_line.ops.paraphrase import similarity

    date, when, promise = _read_all("次の配信日教えて", "次の配信いつ？", "それ今度絶対行く")
    assert "stream" in date.reading.concepts and similarity(date.reading, when.reading) == 1.0
    assert similarity(date.reading, promise.reading) == 0.0


def test_an_ending_left_over_makes_no_new_word_and_a_playful_greeting_groups_with_nothing():
    from botan_line.ops.paraphrase import cluster, new_words

    assert new_words("起きよる", ["起"]) == {"w:起きる": ["起き", "起きる"]}  # the stem itself was not read
    assert new_words("朝起きるの何時", ["る"]) == {}  # only an ending was
    words = _read_all("みかん好き？", "みかんって好きなん？", "蜜柑はお好きですか", "おはみかん")
    groups = cluster(words)
    assert not any(w.text == "おはみかん" for g in groups for w in g)
    assert any(len(g) == 3 for g in groups)


def test_a_light_novel_is_a_book_a_worry_may_flutter_and_lets_both_try_tells():
    from botan_line.ops.paraphrase import similarity

    book, novel, manga, advice, cheer, fight, worry = _read_all(
        "今読んでる本なに？",
        "今読みよるラノベ教えて",
        "今読んでる漫画なに？",
        "受験勉強のコツ教えて",
        "うちも受験頑張るけん一緒に頑張ろ",
        "三人ってけんかするん？",
        "妹のことではらはらするのってどっち？",
    )
    assert similarity(book.reading, novel.reading) > 0.55 and similarity(book.reading, manga.reading) == 0.0
    assert cheer.reading.statement and similarity(advice.reading, cheer.reading) == 0.0
    assert "worry" in worry.reading.concepts and similarity(fight.reading, worry.reading) < 0.55


def test_dog_or_cat_is_not_her_favourite_animal_and_a_dog_is_not_a_cat():
    m = matcher(
        ("dog_or_cat", ["犬と猫どっちが好き？", "犬派？猫派？", "猫と犬ならどっち？"]),
        ("animal", ["好きな動物なに？", "好きな動物は？", "一番好きな動物教えて"]),
    )
    assert ask(m, "イヌとネコならどっち？") == "dog_or_cat"
    assert ask(m, "お気に入りの動物って何？") == "animal"
    assert ask(m, "好きな生き物ってある？") == "animal"
    dogs = matcher(("dogs", ["犬好き？", "犬って好き？", "わんこ好き？"]))
    assert ask(dogs, "犬は好き？") == "dogs"
    assert ask(dogs, "猫好き？") is None


def test_what_was_taught_or_laughed_at_in_dialect_tells_and_asks_nothing():
    from botan_line.characters.meaning import Reader

    for text in (
        "教えてもろた発声練習やってみました",
        "教えてくれたストレッチやってみた",
        "配信見ちょったけど笑ったが",
    ):
        n = normalize(text)
        reading = Reader().read(n.text, n.question, n.breaks, n.loans)
        assert reading.statement and not reading.request, text
    n = normalize("発声練習のやり方教えてもらえますか")
    assert Reader().read(n.text, n.question, n.breaks, n.loans).request


def test_carrying_a_burden_is_no_height_and_a_greeting_pun_joins_no_question():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    texts = ["背は何センチ", "身長何センチ", "身長教えて", "あんまり背負いこまんと頑張ってください"]
    ws = [Wording(t, t) for t in texts]
    Analyst({}, "kasho").learn(ws)
    groups = [sorted(w.raw for w in g) for g in cluster(ws)]
    assert sorted(texts[:3]) in groups and [texts[3]] in groups
    pets = [Wording(t, t) for t in ["犬派猫派", "犬と猫ならどっち", "こんにちわんこそば"]]
    Analyst({}, "botan").learn(pets)
    assert [sorted(w.raw for w in g) for g in cluster(pets)] == [["犬と猫ならどっち", "犬派猫派"]]


def test_a_question_without_a_question_mark_that_ends_in_masu_still_asks():
    m = matcher(
        ("disliked_food", ["嫌いな食べ物ある？", "苦手な食べ物は？", "嫌いな食べ物なに？"]),
        ("singer", ["好きな歌手いる？", "好きな歌手は？", "好きなアーティスト誰？"]),
    )
    assert ask(m, "食べ物で嫌いなもん、何かあります") == "disliked_food"
    assert ask(m, "お気に入りの歌手さんおらはります") == "singer"
    assert ask(m, "嫌いな食べ物、克服しました") is None  # told, not asked


def test_what_comes_before_kagoshima_don_or_souieba_is_context():
    m = matcher(("height", ["身長何センチ？", "身長どのくらい？", "背どのくらい？"]))
    assert ask(m, "会社の先輩が145cmでかわいかった、そういえば身長どのくらい？") == "height"
    assert ask(m, "仕事で背比べしちょったどん、身長何センチ？") == "height"
    assert ask(m, "どんくらい背ある？") == "height"


def test_kagoshima_dogen_asks_how_and_shiritaka_asks():
    m = matcher(
        ("aim", ["エイム上達するにはどうすればいい？", "エイムのコツは？", "エイム良くする方法ある？"])
    )
    assert ask(m, "エイム良くするにはどげんすればよか？") == "aim"
    from botan_line.characters.meaning import Reader

    n = normalize("配信いつも何時からか知りたか")
    assert Reader().read(n.text, n.question, n.breaks, n.loans).request


def test_a_shared_story_before_two_questions_does_not_make_them_one():
    from botan_line.ops.paraphrase import Analyst, Wording, cluster

    texts = [
        "最近仕事終わってアニメ見るのにハマっちょっど、好きなアニメ知りたか",
        "いつも何時から配信しちょっと？仕事終わりに間に合うか知りたか",
    ]
    ws = [Wording(t, t) for t in texts]
    Analyst({}, "yuri").learn(ws)
    assert len(cluster(ws)) == 2
    m = matcher(("stream_time", ["いつも何時から配信？", "配信は普段何時から？", "いつも何時に配信始まる？"]))
    assert ask(m, "いつも何時から配信してる？仕事終わりに間に合うか知りたい") == "stream_time"


def test_a_cheer_or_a_plan_of_the_fans_asks_nothing():
    m = matcher(("next_stream", ["次の配信いつ？", "次の配信の日にち教えて", "次回の配信日おしえて"]))
    assert ask(m, "次の配信いつですか？") == "next_stream"
    assert ask(m, "次の配信も頑張ってください") is None
    weekend = matcher(("weekend", ["今週末の予定は何ですか", "週末の予定教えて", "週末なにするの？"]))
    assert ask(weekend, "週末ためしてみよっかな") is None
    assert ask(weekend, "週末は何するの？") == "weekend"


def test_the_game_she_plays_now_is_not_the_next_streams_game_and_a_throat_is_no_which():
    m = matcher(
        (
            "next_game",
            ["次の配信のゲームなに？", "次の配信って何のゲームやるの？", "今度の配信のゲームは何？"],
        )
    )
    assert ask(m, "次回の配信で遊ぶゲーム教えて") == "next_game"
    assert ask(m, "いま何のゲームやってる？") is None
    from botan_line.characters.meaning import Reader

    n = normalize("おしえてもらったのどのれんしゅうやってみました")
    assert Reader().read(n.text, n.question, n.breaks, n.loans).statement


def test_a_progressive_asks_what_she_does_now_and_so_not_the_next_streams_game():
    next_game = matcher(
        (
            "next_game",
            ["次の配信のゲームなに？", "次の配信って何のゲームやるの？", "今度の配信のゲームは何？"],
        )
    )
    assert ask(next_game, "げむなにしよる") is None  # no 今: the progressive says it
    assert ask(next_game, "何のゲームしてるの？") is None
    assert ask(next_game, "次回の配信で遊ぶゲーム教えて") == "next_game"
    playing = matcher(("playing", ["何のゲームしてるの？", "げーむなにやってる？", "どんなゲームしとるん"]))
    assert ask(playing, "いまなんのゲームやってる") == "playing"
    assert ask(playing, "げむなにしよる") == "playing"
    assert ask(playing, "次の配信のゲームなに？") is None
    assert ask(playing, "次の配信って何のゲームやるの？") is None
    from botan_line.ops.paraphrase import Analyst, similarity

    analyst = Analyst()
    assert similarity(analyst.read("げむなにしよる"), analyst.read("次の配信って何のゲームやるの")) == 0.0
    assert similarity(analyst.read("げむなにしよる"), analyst.read("今なんのゲームやってる？")) > 0.75


def test_dialect_endings_that_tell_a_request_in_tsugaru_and_two_words_that_read_alike():
    from botan_line.ops.paraphrase import Analyst, Wording, similarity

    analyst = Analyst()
    for told in (
        "言うとったやつ飲んでみたに",
        "たぴおかっての飲んでみだ初めてだったじゃ",
        "おすすめの菓子買ってみだけどめがったじゃ",
    ):
        assert analyst.read(told).statement, told  # Ise 〜たに, Tsugaru 〜じゃ and 〜てみだ tell
    assert not analyst.read("好きな飲み物って何だの").statement
    song, season = analyst.read("好きな曲教えでけ"), analyst.read("好きな季節教えでけ")
    assert song.request and similarity(song, season) == 0.0  # 教えでけ asks, and is no word the two share
    pet, shop = (
        Wording("なんか動物飼っとる？", "なんか動物飼っとる？"),
        Wording("こんびにで何買うん", "こんびにで何買うん"),
    )
    analyst.learn([pet, shop])
    assert pet.words.keys().isdisjoint(shop.words)  # 飼う is not 買う, though both read かう


def test_whether_she_has_one_is_not_which_she_likes():
    from botan_line.ops.paraphrase import Analyst, similarity

    analyst = Analyst()
    like = analyst.read("犬と猫どっちが好き？")
    assert similarity(analyst.read("家に犬とか猫おるん？"), like) == 0.0  # whether she has one, not which
    assert similarity(analyst.read("ペット飼ってる？"), analyst.read("好きな動物は？")) == 0.0
    assert similarity(analyst.read("犬派ですか猫派ですか"), like) > 0.55
    assert similarity(analyst.read("好きな曲ある？"), analyst.read("好きな曲何？")) > 0.55  # asks for one
    assert similarity(analyst.read("おすすめのアニメある？"), analyst.read("おすすめのアニメ何？")) > 0.55


def test_tsugaru_voicing_a_performance_and_a_reason_after_the_question():
    from botan_line.ops.paraphrase import Analyst, similarity

    analyst = Analyst()
    assert "like" in analyst.read("好ぎな食べ物なんだべ").concepts  # Tsugaru voices 好き
    stage = analyst.read("本番で緊張しない方法ってありますか？")
    assert "book" not in stage.concepts and similarity(stage, analyst.read("緊張しないコツは？")) == 1.0
    why = analyst.read("誕生日はいつだの？お祝いしたいはんで")
    assert "want" not in why.tail  # the reason after the question says why it asks, not what


def test_a_question_about_her_sister_alone_is_not_one_about_something_between_them():
    from botan_line.ops.paraphrase import Analyst, similarity

    analyst = Analyst()
    alone = analyst.read("お姉ちゃんってどんな感じなん？")
    assert similarity(alone, analyst.read("姉妹で喧嘩するん？")) == 0.0  # a quarrel is one thing between them
    assert similarity(alone, analyst.read("三姉妹って仲いい？")) == 0.0
    assert similarity(alone, analyst.read("お姉ちゃんってどんな人？")) > 0.55  # the same question
    assert similarity(analyst.read("三姉妹って仲いい？"), analyst.read("姉妹仲良し？")) > 0.55
