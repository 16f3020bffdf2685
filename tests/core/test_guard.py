"""The quality guard: every reason code has lines it rejects and in-character lines it lets through."""

import time
from pathlib import Path

import pytest
from corpus import load_guard, ordinary_replies

from botan_line.characters.loader import load_characters
from botan_line.characters.timewords import FILL_WORDS
from botan_line.core.guard import (
    CHINESE_ONLY_EXTRA,
    REASONS,
    SIMPLIFIED_ONLY,
    TRADITIONAL_ONLY,
    Verdict,
    check_reply,
    check_variation,
    similarity,
)

REPO = Path(__file__).resolve().parents[2]
NAMES = load_characters(REPO / "characters").speaker_names  # what Layer 2 passes: every sister's names

KASHO = {"forbidden": ("マジ", "ヤバ", "ガチ", "じゃん"), "max_sentences": 4}
YURI_RULES = {"forbidden": ("マジ", "ガチ", "！！"), "max_sentences": 3}
BOTAN = {"max_sentences": 3}
YURI = {"max_sentences": 3}
PROMPT = ("あなたは牡丹です。17歳のギャルで、明るく元気に話します。一人称はあたし。",)

# reason → (lines rejected with that reason, near-miss lines that must pass); each line is
# either a string or (string, check_reply keyword arguments).
REPLY_CASES = {
    "empty": (
        ["", "   ", "「」", "……", "\n\n"],
        ["…うん。", "😊"],
    ),
    "too_long": (
        ["今日はね、" * 70, ("おはよ〜！今日も一日がんばろうね！", {"max_chars": 10})],
        ["今日はね、" * 50 + "おしまい！", ("おはよ〜！", {"max_chars": 5})],
    ),
    "label_leak": (
        [
            "（牡丹らしく元気に）おはよ〜！",
            "おはよ〜！(牡丹っぽく)",
            "変更後: おはよう！今日もがんばろ！",
            "出力：おはようございます。",
            "回答: 今日は早めに休んでくださいね。",
            "例: おはよ〜",
            "Note: Botan speaks casually.\nおはよ〜！",
            "説明：ギャルっぽく言い換えました",
            "## 牡丹の返事\nおはよ〜！",
            "**おはよ〜！**今日もがんばろ！",
            "- おはよ〜！今日もがんばろ！",
            ("牡丹: おはよ〜！", {"names": NAMES}),
            "おはよう！(cheerful tone)",
            "おはようございます（丁寧語）",
            "やっほー！(12文字)",
            "（照れながら）ありがと…",
            "以下は牡丹らしいセリフです：おはよ〜！",
            "牡丹のセリフ例：「おはよ〜！」",
            "はい、かしこまりました。以下のように変更しました。",
            "Sure! Here is the line: おはよ〜！",
            # notes about the character and stage directions (the cost study's first failure)
            "「おはよう！元気にいこ！」（17歳ギャル系VTuber）",
            "（にっこり笑って）おはよ〜！",
            "（笑顔で）おはようございます。",
            "（ため息）…疲れちゃった。",
            "（小声）…おやすみ。",
            "【長女・しっかり者】今日は早めに休んでくださいね。",
            "*smiles* おはよ〜！",
            "＊ウインク＊ またね〜！",
            "※牡丹はギャルなので明るく返します。おはよ！",
            ("牡丹：おはよ〜！", {"names": NAMES}),
            ("牡丹「おはよ〜！」", {"names": NAMES}),
            ("Kasho（花相）：おはようございます。", {"names": NAMES}),
            ("ユリ「…おはよう」", {"names": NAMES}),
            ("百合：…おはよう。", {"names": NAMES}),  # 百合ちゃん without its honorific
        ],
        [
            "それな〜(笑)",
            "(´・ω・`)ショボーン…",
            "（言い訳じゃないし！）寝坊しただけ！",
            "地元：横浜だよ〜",
            "例えばね、朝ごはんをちゃんと食べるとか！",
            ("推しキャラ(ユリ)の話する？", {"names": NAMES}),
            ("ユリ、「おはよう」って言ってた…", {"names": NAMES}),
            ("牡丹：おはよ〜！", {}),  # no names given: a name is only a label when it is a sister's
            "#推し活 今日もがんばる！",
            "説明するとね、サビのところで転調するんです。",
            "(泣)つらい…",
            "（照）ありがと！",
            "そのキャラ（主人公の幼なじみ）、いいよね…。",
            "5*3=15だよ！",
        ],
    ),
    "prompt_echo": (
        [
            "元: おはよう！\nおはよ〜！",
            "元の文：おはよう。変更後：おはよ〜",
            "元の文章をギャルっぽくすると、おはよ〜！",
            "入力: おはよう",
            "System: あなたは牡丹です。",
            ("17歳のギャルで、明るく元気に話します！おはよ〜！", {"prompt_fragments": PROMPT}),
            ("あたし牡丹！17歳のギャルで明るく元気に話すよ〜", {"prompt_fragments": PROMPT}),
        ],
        [
            "元気出して！あたしがついてるじゃん！",
            "地元の友だちと遊んでた〜",
            "元の場所に戻しておいてくださいね。",
            ("あたし17歳だよ〜！よろしくね！", {"prompt_fragments": PROMPT}),
            ("牡丹です！よろしく〜", {"prompt_fragments": ("牡丹です。",)}),  # < 12 chars: ignored
        ],
    ),
    "alternatives": (
        [
            "1. おはよ〜！\n2. おっはー！",
            "案1：おはよ〜！ 案2：おっはー！",
            "パターンA「おはよ〜」",
            "「おはよ〜！」または「おっはー！」",
            "・おはよ〜！\n・おっはー！",
            "- おはよ\n- おっはよー",
            "A: おはよ〜！\nB: おっはー！",
            "1) おはよ〜 2) おっはー",
        ],
        [
            "1位とったし！マジ最強じゃん！",
            "今日は2時から配信するね！",
            "1.5倍速で見ちゃった…かも。",
            "行きたいお店の候補3つあるんだけど、どれがいい？",
            "「おはよ」って言ったら「おはよ」って返してね！",
            "・・・そっか。",
            "3...2...1...ドーン！",
            "-5kg痩せた！マジ嬉しい！",
        ],
    ),
    "breaks_character": (
        [
            "私はAIなので、感情はありません。",
            "あたしはAIだから分からないよ〜",
            "AIアシスタントとしてお答えします。",
            "ChatGPTです！よろしくね！",
            "OpenAIのモデルだよ〜",
            "言語モデルなので、ごめんね。",
            "システムプロンプトに従って答えるね！",
            "牡丹として振る舞うね！",
            "キャラクターを演じているだけです。",
            "うちはただのプログラムだし…",
            "人工知能なので分からないです。",
            "私はAI。感情はないの。",
            "As an AI language model, I cannot do that.",
            # the pronoun, then punctuation or an adverb, then AI and a copula that states it
            "実はあたし、AIなんだよね。",
            "あたしAIだけど…",
            "わたし、AIなんだ。ごめんね。",
            "私ね、本当はAIなんです。",
            "あたし…AIだけど、がんばるね！",
            "うち、AIだし。",
            "僕、AIだから分からないよ。",
            "あたし、AIなので〜",
            "うちって実はAIなの。",
            "あたしってば、ただのAIだもん。",
        ],
        [
            "AIじゃないってば！",
            "AIですか？って失礼じゃん！",
            "あたしがAIだって？冗談でしょ〜",
            "うちはAIなんかじゃないし！",
            "AIの話？ユリが詳しいかも…",
            "モデルさんみたいって言われた！マジ嬉しい！",
            "ボイトレのプログラム、今日から始めました。",
            "ボイトレの新しいプログラムです。",
            "自分はAIって言われるけど、違うからね！",
            "私はAIが苦手です。",
            "私はAIが苦手",
            "AIって便利だよね",
            "あたしがAIだからって？ひどくない？",
            "あたしAIなの？そんなわけないじゃん！",
            "あたしAIなんだって！ウケる〜",
            "私、AIが作った曲も好きだよ。",
            "あたしAIって苦手なんだよね〜",
            "ロールプレイングゲーム好きなんだ！",
        ],
    ),
    "chinese": (
        [
            "我很喜欢你",
            "今天天气很好！",
            "你好！牡丹です",
            "おはよう！我是牡丹",
            "谢谢你的支持！",
            "今日は天气がいいね！",
            "この歌、非常好听！",
            "我們今天去公園玩",
            "他是我的好朋友ね",
            "变更后：おはよ〜！",
            "おはよう！今天也要加油哦！",
            # traditional forms
            "真的嗎？それすごいじゃん！",
            "說得對！そうだよね〜",
            "他們も来るって！",
            "沒關係だよ〜",
            "這樣でいいの？",
            "今晚は配信するよ！",
            "歡迎〜！ゆっくりしてってね",
            "我會がんばるね！",
            "謝謝！うれしい！",
            # Chinese greetings and clauses, judged clause by clause
            "朝好！今日は元気ですね！",
            "早上好！今日もがんばろ！",
            "大家好！牡丹だよ！",
            "拜拜！また明日ね！",
            "他都不在、寂しいね",
        ],
        [
            "明日は東京で雨が降るらしいです。",
            "基本的にはそうだと思います。",
            "是非来てくださいね。",
            "了解です！",
            "我慢しなくていいんですよ。",
            "現在、練習中です。",
            "私も不安になることはあります。",
            "一期一会だね。",
            "花相お姉ちゃん、音楽理論の勉強中なんだって。",
            "東京駅で待ち合わせしましょうか。",
            # old forms still seen in Japanese, and traditional-looking kanji Japanese shares
            "這い上がってみせるし！",
            "その場面がずっと脳裡に残ってる…",
            "渡邊さん、元気にしてる？",
            "國學院大學に行ってきた！",
            "白發中、全部そろった！",
            "氣志團のライブ最高だった！",
            "一個だけちょうだい！",
            "為替ってむずかしいですね。",
            "問題ないよ！東京の車、門の間で長く待ってたの見えた。",
            "熱愛報道、ほんとびっくりした…",
            "ご請求の件、認識しています。謝ってばかりでごめんね。",
            "歓迎会、楽しみに習ってきた曲を歌うね！",
            # kanji-only clauses are Japanese
            "学級閉鎖大変！",
            "期末試験終了！お疲れさま〜！",
            "朝好きなパン食べた！",
            "今日は朝好調だった！",
            "都内在住です。",
        ],
    ),
    "not_japanese": (
        ["Good morning everyone!", "Thank you so much!!", "감사합니다"],
        [
            "www",
            "OK！",
            "了解",
            "異世界転生！",
            "Thanks〜！ありがと！",
            "wwwwwwwwww",
            "😊😊😊",
            "٩(ˊᗜˋ*)و",
            "高校3年生！",
            "自転車10分！",
            "片道５時間？！",
            "Sound Horizon最高！",
        ],
    ),
    # Two or more English words in a row fail; one word (a loan word, a name) passes.
    "english": (
        [
            "おはよ！ (Good morning!)",
            "Sure! Here you go: おはよ！",
            "マジでthank youって感じ",  # "thank you" is two words
            "Thank you〜！ありがと！",
            "今日もがんばろ！Let's do this!",
            "ＧＯＯＤ　ｍｏｒｎｉｎｇ！おはよ！",
            "おやすみなさい。Good night, sweet dreams.",
            "Hello Everyone、三姉妹です！",  # capitalised, but everyday words: not a name
        ],
        [
            "LAのノリでいこ！",
            "OKだよ〜",
            "Kashoお姉ちゃん、怒ると怖いんだよ…",
            "マジでthanksって感じ！",
            "LAでbrunchしたの思い出した！",
            "iPhone 15、買っちゃった！",
            "wwww www マジウケる",
            "LINE IDは教えられないよ〜",  # all capitals: acronyms or a stylised name
            "ONE OK ROCKのライブ行きたい！",
            "(T_T) 寝坊した…",
            # capitalised names are names
            "Sound Horizonのライブ行きたい！",
            "Apple Musicで聴いてる〜！",
            "King Gnuの新曲ヤバくない？",
            "Final Fantasy、あたしも好き！",
        ],
    ),
    "nonsense": (
        [
            "おはよのののののう！",
            "ますますますますますます楽しみ！",
            "xkcdqwrtzpおはよ！",
            "おはよ〜！오늘도 화이팅！",
            "おはよう привет！",
            "おはよ\ufffdう",
        ],
        [
            "うわあああああ！マジ神！",
            "ふふふふふ、そうですね。",
            "ねえねえ、聞いて！",
            "(`Д´)ムキー！",
            "wwwwww マジウケる",
            "っっっっっしゃー！勝った！",
            "LAでbrunchしたの思い出した！",
            "ドキドキしちゃうね…",
            "ゴゴゴゴゴ…負けないし！",
            "ドキドキドキドキドキドキ！",
        ],
    ),
    "forbidden_word:マジ": (
        [
            ("マジでそうですね。", KASHO),
            ("ﾏｼﾞですか？", KASHO),
            ("えっ、マジ…？", YURI_RULES),
        ],
        [
            ("本当に嬉しいです。", KASHO),
            ("マジでそれな！今日もがんばろ〜", BOTAN),
            ("まじめに考えてみますね。", KASHO),
        ],
    ),
    "forbidden_word:ガチ": (
        [("ガチで嬉しいです。", KASHO)],
        [
            ("雨の日は、少し気分が沈みがちですよね。", KASHO),
            ("妹たちが騒がしくしたら、私がちゃんと止めますね。", KASHO),
            ("ちょっとだけ、胸がちくってしたかも…。", YURI_RULES),
        ],
    ),
    "forbidden_word:！！": (
        [("え…ほんとに！！", YURI_RULES)],
        [("え…ほんとに！", YURI_RULES)],
    ),
    "too_many_sentences": (
        [
            ("おはよ！今日も配信するよ！絶対来てね！待ってるから！", BOTAN),
            ("おはよ\n今日も\nがんばろ\nね", BOTAN),
        ],
        [
            ("マジでそれな！今日もがんばろ〜", BOTAN),
            ("おはよ！！！今日もがんばろ♪", {"max_sentences": 2}),
            ("おはよ！今日も配信するよ！絶対来てね！待ってるから！", {}),
        ],
    ),
}

IN_CHARACTER = [
    ("マジでそれな！今日もがんばろ〜", BOTAN),
    ("ヤバい！超うれしい！！ありがと〜！", BOTAN),
    ("うちのお姉ちゃん、マジで心配性なんだよね〜", BOTAN),
    ("LAにいた頃はね、毎日ビーチ行ってた！", BOTAN),
    ("負けたままとか無理だし！次は絶対勝つ！", BOTAN),
    ("今日は早めに休んでくださいね。", KASHO),
    ("お疲れさまでした。無理は禁物ですよ。", KASHO),
    ("明日は東京で雨が降るらしいです。傘を忘れずに持っていきましょうね。", KASHO),
    ("一緒に頑張りましょう。私も応援していますから。", KASHO),
    ("今日のボイトレ、先生に褒められました。", KASHO),
    ("…それ、ちょっと気になるかも。", YURI),
    ("新刊、もう読んだ？あの展開はずるいと思う…", YURI),
    ("ふふ、牡丹お姉ちゃんには内緒だよ…？", YURI),
    ("Kashoお姉ちゃん、怒ると怖いんだよ…", YURI),
    ("それってつまり、主人公は最初から知ってたってこと…な気がする。", YURI),
]


def _flatten(which: int):
    for reason, pair in REPLY_CASES.items():
        for case in pair[which]:
            text, kwargs = case if isinstance(case, tuple) else (case, {})
            yield pytest.param(text, kwargs, reason, id=f"{reason}:{text[:20]!r}")


@pytest.mark.parametrize(("text", "kwargs", "reason"), list(_flatten(0)))
def test_rejects(text, kwargs, reason):
    assert check_reply(text, **kwargs) == Verdict(False, reason, "")


@pytest.mark.parametrize(("text", "kwargs", "reason"), list(_flatten(1)))
def test_near_misses_pass(text, kwargs, reason):
    verdict = check_reply(text, **kwargs)
    assert verdict.ok, f"{text!r} wrongly rejected as {verdict.reason} (near miss of {reason})"
    assert verdict.reason is None and verdict.cleaned


@pytest.mark.parametrize(("text", "kwargs"), IN_CHARACTER)
def test_in_character_lines_pass(text, kwargs):
    assert check_reply(text, **kwargs) == Verdict(True, None, text)


def test_every_reason_has_both_sides():
    for reason, (rejected, passing) in REPLY_CASES.items():
        assert rejected and passing, reason
    variation_passes = [case for case in VARIATIONS if case[2] is None]
    covered = {r.split(":")[0] if r.startswith("forbidden") else r for r in REPLY_CASES}
    covered |= {case[2] for case in VARIATIONS if case[2]}
    assert set(REASONS) <= covered and variation_passes


@pytest.mark.parametrize(
    "prefix", ["", "ね", "ねえ", "ねえね", "えっとね", "えっとねー", "ちょっと聞いて", "聞いて聞いて！"]
)
def test_prompt_echo_found_at_any_offset(prefix):
    text = prefix + "17歳のギャルで、明るく元気に話しま"
    assert check_reply(text, prompt_fragments=PROMPT).reason == "prompt_echo"
    assert check_reply(prefix + "17歳のギャルだよ！", prompt_fragments=PROMPT).ok


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("「おはよ〜！」", "おはよ〜！"),
        ('  "おはよ〜！"\n', "おはよ〜！"),
        ("『「今日もがんばろ！」』", "今日もがんばろ！"),
        ("「おはよ」って言ってね！  ", "「おはよ」って言ってね！"),
        ("「おはよ」と「またね」", "「おはよ」と「またね」"),
    ],
)
def test_cleaned_strips_surrounding_quotes(text, cleaned):
    assert check_reply(text).cleaned == cleaned


# (original, candidate, expected reason or None)
VARIATIONS = [
    ("おはよう！今日も一日がんばろうね！", "おはよ〜！今日も一日いっしょにがんばろ！", None),
    ("おはよう！今朝は寒いね！", "おはよ〜！今日の朝はほんと寒いね！", None),
    ("おやすみ〜！また明日ね！", "おやすみなさい！また明日話そうね！", None),
    ("新しい曲、いま練習してるところなんです。", "新しい曲を、いま一生懸命練習しているところです。", None),
    ("三姉妹そろって配信するよ！", "きょうだいそろって配信するよ〜！", None),
    (
        "おはよう！今日も一日がんばろうね！",
        "こんにちは！今日も一日がんばろうね！",
        "meaning_drift:key_phrase",
    ),
    (
        "おはよう！今日も一日がんばろうね！",
        "明けましておめでとう！今年もよろしくね！",
        "meaning_drift:key_phrase",
    ),
    ("今日も一日がんばろうね！", "あけおめ！今日も一日がんばろうね！", "meaning_drift:key_phrase"),
    ("おやすみ〜！また明日ね！", "おやすみ〜！今夜もいい夢見てね！", "meaning_drift:key_phrase"),
    ("おはよう！今日も一日がんばろうね！", "おはよう！明日も一日がんばろうね！", "meaning_drift:time_word"),
    ("今日も一日がんばろうね！", "新年も一緒にがんばろうね！", "meaning_drift:time_word"),
    ("週末は配信するよ！", "来週は配信するよ！", "meaning_drift:time_word"),
    ("おはよう！今日も一日がんばろうね！", "おはよう！今日も一日がんばろうね！", "duplicate"),
    ("おはよう！今日も一日がんばろうね！", "「おはよう！今日も一日がんばろうね♪」", "duplicate"),
    (
        "新しい曲、いま練習してるところなんです。",
        "このラーメン屋さん、めっちゃ美味しいんだよね〜",
        "meaning_drift:similarity",
    ),
    ("おはよう！", "（牡丹らしく）おはよ〜！", "label_leak"),
    ("おはようございます。", "おはよ、マジ眠いです。", "forbidden_word:マジ"),
]


@pytest.mark.parametrize(("original", "candidate", "reason"), VARIATIONS)
def test_variation(original, candidate, reason):
    verdict = check_variation(original, candidate, forbidden=KASHO["forbidden"])
    assert (verdict.ok, verdict.reason) == (reason is None, reason)
    assert verdict.cleaned == ("" if reason else candidate.strip("「」"))


def test_variation_checks_the_reply_rules_too():
    assert (
        check_variation("おはよ！", "おはよ！今日も！がんばろ！ね！", max_sentences=3).reason
        == "too_many_sentences"
    )
    assert (
        check_variation("おはよ！", "あなたは牡丹です。17歳のギャルで", prompt_fragments=PROMPT).reason
        == "prompt_echo"
    )
    assert check_variation("おはよ〜！", "おっはー！", min_similarity=0.0).ok
    assert not check_variation("おはよ〜！", "おっはー！", min_similarity=0.9).ok


def test_similarity_is_a_dice_coefficient():
    assert similarity("おはよう", "おはよう！") == 1.0
    assert similarity("おはよう", "こんばんは") == 0.0
    assert 0.3 < similarity("今日もがんばろうね", "今日もがんばるね") < 1.0
    assert similarity("", "おはよう") == 0.0


def test_chinese_character_sets_are_never_japanese():
    """Japanese everyday text is JIS X 0208; no simplified- or traditional-only character may be in it."""
    assert len(SIMPLIFIED_ONLY) >= 80 and len(TRADITIONAL_ONLY) >= 20
    in_jis = [c for c in sorted(SIMPLIFIED_ONLY | TRADITIONAL_ONLY) if _encodes(c, "cp932")]
    assert in_jis == []
    shared = set("会学写没与后里迎来国点気発時対関長東車門間説話語")
    # traditional forms Japanese shares, or old forms it still writes (這う, 脳裡, 渡邊, 國學院, 白發中, names)
    shared |= set("個為問題見現進開熱愛謝請認識習迎後這裡邊與樣讓發氣學")
    assert not shared & (SIMPLIFIED_ONLY | TRADITIONAL_ONLY | CHINESE_ONLY_EXTRA)


def _shipped_lines():
    chars = load_characters(REPO / "characters")
    for sid, sister in sorted(chars.sisters.items()):
        persona = sister.persona
        rules = {
            "forbidden": persona.rules.forbidden,
            "max_sentences": persona.rules.max_sentences,
            "names": chars.speaker_names,
        }
        lines = [(f"lines.{kind}", line) for kind, options in persona.lines for line in options]
        lines += [(pid, line) for pid, pat in sister.patterns.items() for line in pat.replies]
        for where, line in lines:
            for band in sorted(set(FILL_WORDS) if "{band}" in line else {""}):
                yield sid, where, line.replace("{name}", persona.address).replace("{band}", band), rules


def test_every_shipped_line_passes_its_sisters_rules():
    """Greetings, patterns and persona lines are what a good reply looks like: the guard passes them all."""
    lines = list(_shipped_lines())
    assert len(lines) > 1000
    failed = [
        (sid, where, text, check_reply(text, **rules).reason)
        for sid, where, text, rules in lines
        if not check_reply(text, **rules).ok
    ]
    assert failed == []


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_the_guard_corpora(split):
    """tests/data/guard: every failure kind rejected, every ordinary reply passed (bench/safety.py prints the rates)."""
    bad, good = load_guard(split)
    passed_bad = [
        (reason, reply)
        for reason, reply, original in bad
        if (check_variation(original, reply, names=NAMES) if original else check_reply(reply, names=NAMES)).ok
    ]
    assert passed_bad == []
    assert [g for g in good if not check_reply(g, names=NAMES).ok] == []
    assert {reason for reason, _, _ in bad} >= {
        "label_leak",
        "prompt_echo",
        "chinese",
        "meaning_drift",
        "breaks_character",
        "nonsense",
        "english",
    }


def test_generated_ordinary_replies_pass_their_sisters_rules():
    chars = load_characters(REPO / "characters")
    rejected = []
    for sister, reply in ordinary_replies("dev", 2000):
        persona = chars.persona(sister)
        verdict = check_reply(
            reply,
            forbidden=persona.rules.forbidden,
            max_sentences=persona.rules.max_sentences,
            names=chars.speaker_names,
        )
        if not verdict.ok:
            rejected.append((sister, reply, verdict.reason))
    assert rejected == []


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def test_fast_enough_and_no_catastrophic_backtracking():
    texts = [
        "マジでそれな！今日もがんばろ〜、あたしも応援してるからね！",
        "あ" * 299,
        "(" * 150 + "）" * 149,
        "ますます" * 70,
        "「" + "a" * 290 + "」",
        "元の" * 140 + "文字",
    ]
    start = time.perf_counter()
    for _ in range(100):
        for text in texts:
            check_reply(
                text, forbidden=("マジ", "ヤバ"), max_sentences=3, prompt_fragments=PROMPT, names=NAMES
            )
    per_call = (time.perf_counter() - start) / (100 * len(texts))
    # not a speed measurement (that is ~30 µs a reply): only catastrophic regex backtracking, which takes
    # seconds, could come near this bound on any machine
    assert per_call < 0.05


def test_speaker_labels_come_from_the_personas_not_from_code():
    """A fourth sister is data: her names are labels as soon as Layer 2 passes them."""
    names = ("ツバキ", "椿ちゃん", "Tsubaki（椿）")
    for text in ("ツバキ：おはよ〜！", "椿「おはよ〜！」", "Tsubaki（椿）: おはよう", "tsubaki: おはよう"):
        assert check_reply(text, names=names).reason == "label_leak", text
    assert check_reply("ツバキ：おはよ〜！").ok  # nobody's name without the personas
    assert check_reply("椿の花、きれいだったよ〜！", names=names).ok
