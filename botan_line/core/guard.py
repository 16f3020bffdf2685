"""The quality guard: every Layer 2 reply and every generated variation passes here first.

Pure functions, no I/O. Each check is a precompiled regex or a set lookup over a short
string, run in the order of REASONS; the first failing check names the reason code stored in
the ledger ("reject:<reason>"). The heuristics are tuned to reject what small models actually
produced (DESIGN §5) while letting ordinary in-character lines through: a false reject costs a
retry or a fallback line, so every rule is deliberately narrow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None  # machine-readable reason code when rejected
    cleaned: str  # the text to send when ok; "" when rejected


# check_reply's codes in the order they are checked, then check_variation's own.
# forbidden_word is reported as "forbidden_word:<the word>".
REASONS = (
    "empty",
    "too_long",
    "prompt_echo",
    "alternatives",
    "label_leak",
    "breaks_character",
    "chinese",
    "not_japanese",
    "english",
    "nonsense",
    "forbidden_word",
    "too_many_sentences",
    "duplicate",
    "meaning_drift:key_phrase",
    "meaning_drift:time_word",
    "meaning_drift:similarity",
)

# --- text helpers -------------------------------------------------------------------------

_KATA_TO_HIRA = str.maketrans({cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)})
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30f6]+")  # translate only these: str.translate is slow on CJK
_QUOTES = {"「": "」", "『": "』", '"': '"', "“": "”", "'": "'", "‘": "’"}
_KANA = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fd\u30fe]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
_WORD = re.compile(r"[^\W_]")  # any letter or digit, any script
_NON_WORD = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"(.)\1+")  # www → w: laughter is short
_SCRIPT_LETTER = re.compile(r"[a-z0-9\u0400-\u04ff\u3400-\u9fff\uac00-\ud7a3]")  # not kaomoji parts
_SENTENCE_END = re.compile(r"[。!?\n]+")  # on NFKC text, so ！？ are already ASCII


def _strip_quotes(text: str) -> str:
    """「おはよ」 → おはよ, but 「おはよ」って言って stays as it is."""
    t = text.strip()
    while len(t) >= 2 and _QUOTES.get(t[0]) == t[-1]:
        inner = t[1:-1]
        if t[0] in inner or t[-1] in inner:
            break
        t = inner.strip()
    return t


def _light(text: str) -> str:
    """NFKC, lower case, katakana → hiragana; punctuation kept (word boundaries matter)."""
    return _hira(unicodedata.normalize("NFKC", text).lower())


def _hira(text: str) -> str:
    return _KATAKANA_RUN.sub(lambda m: m.group().translate(_KATA_TO_HIRA), text)


def _squash(text: str) -> str:
    """Letters and digits only, from the light form: the text the similarity and echo checks see."""
    return _NON_WORD.sub("", _light(text))


# --- leaked labels, echoed prompts, alternatives, markdown ----------------------------------
# Literal alternations are fast in re; (?i) and leading lookbehinds are not, so the English
# words are matched on lower-cased text and the label regexes only run when there is a colon.

# A label counts only at the start of the text, a line, or after a bracket/space: 地元: is fine.
_AT = r"(?:^|(?<=[\s「『(\[【*#>・-]))"
_ECHO_LABEL = re.compile(
    _AT + r"(?:元|元の?(?:文章?|セリフ|台詞|発言|テキスト)|原文|入力|指示|条件|制約|ユーザー?|システム"
    r"|input|original|system|user|prompt|instruction)\s*:",
    re.M,
)
_ECHO_PHRASE = re.compile(r"元の(?:文章?|セリフ|台詞)(?!字)")
_LABEL = re.compile(
    _AT
    + r"(?:変更[前後]|修正[前後版]?|出力例?|回答例?|返答例?|返信例?|応答|例文?|注意?|補足|説明|解説|翻訳|訳"
    r"|備考|セリフ|台詞|言い換え|書き換え|バリエーション|note|notes|output|answer|reply"
    r"|response|translation|explanation|example|assistant|variation)\s*:",
    re.M,
)
# A parenthesised note about how the line is written: （牡丹らしく元気に）, (cheerful tone).
# Kaomoji, (笑), (泣) and asides such as （言い訳じゃないし） do not match.
_META_PAREN = re.compile(
    r"[(\[【][^()\[\]【】\n]{0,40}?(?:らしく|っぽく|口調|語調|トーン|ニュアンス|補足|説明|解説|注[:釈記]"
    r"|翻訳|和訳|直訳|意訳|敬語|丁寧語|タメ口|言い換え|書き換え|バリエーション|文字数|\d+文字|キャラ設定"
    r"|note|style|tone|translation|character|persona|cheerful|casual|polite"
    r"|ながら(?=[)\]】]))[^()\[\]【】\n]{0,40}[)\]】]"
)
# A note about the character (（17歳ギャル系VTuber）, [長女・しっかり者]) or a stage direction
# (（笑顔で）, （にっこり笑って）, （ため息）): short, no sentence punctuation, and either a word about
# the character or the shape of a direction. (笑), (泣), (ユリ) and （言い訳じゃないし！） pass.
_CHAR_NOTE = re.compile(
    r"[(\[【［][^()\[\]【】!?\n]{0,24}?(?:\d+歳|歳の|系|vtuber|vチューバー|ギャル|長女|次女|三女|末っ子|キャラ|設定|性格|年齢|人格"
    r"|女子高生|jk|役柄|演技|口癖)[^()\[\]【】!?\n]{0,24}[)\]】］]"
)
_DIRECTION = re.compile(
    r"[(\[【［][^()\[\]【】!?\n、。]{0,20}?(?<!の)(?:[^のにとがはもけら]て|[^のん]で|ながら|つつ|ように|風に|気味に|顔|声で|小声|目線|笑み|微笑|ほほえ"
    r"|ぽーず|ウインク|ういんく|ため息|溜息|拍手|うなず|頷|首をかしげ|肩をすくめ|照れ|にっこり|にこっと|じと目|ジト目|ドヤ|どや)[)\]】］]"
)
_ACTION = re.compile(r"(?<![*\w])\*(?!\*)[^*\n]{1,30}(?<![*\s])\*(?![*\w])")  # *smiles*, ＊にっこり＊
# A sister's name as a speaker label (牡丹：…, Kasho（花相）: …, ユリ「…」): the names are the
# personas' data (display names and nicknames), compiled once per tuple of names.
_NAME_PARTS = re.compile(r"[()\[\]【】「」『』\s・/]+")  # on NFKC text: Kasho(花相) → kasho, 花相
_HONORIFIC = re.compile(r"(?:お姉ちゃん|おねえちゃん|お姉さん|姉ちゃん|姉さん|ちゃん|さん|さま|様|姉)$")
_SPEAKER_HINT = re.compile(r"[:「『]")  # on NFKC text


@lru_cache(maxsize=16)
def _speaker_label(names: tuple[str, ...]) -> re.Pattern | None:
    """Each name, its parts (Kasho（花相） → kasho, 花相) and its stem without an honorific (百合ちゃん → 百合;
    not a lone kana: お姉 → お), followed by a colon (at a label's place) or, at the start of a line, by
    an opening quote."""
    forms: set[str] = set()
    for name in names:
        whole = unicodedata.normalize("NFKC", name).lower().strip()
        for form in (whole, *_NAME_PARTS.split(whole)):
            stem = _HONORIFIC.sub("", form)
            forms.update(f for f in (form, stem) if len(f) >= 2 or _HAN.fullmatch(f) or (f and f == whole))
    if not forms:
        return None
    alt = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"{_AT}(?:{alt})\s*:|^\s*(?:{alt})\s*[「『]", re.M)


# Phrases only a model talking about its output uses: 以下のように変更しました, Here is the line:
_META_PHRASE = re.compile(
    r"以下の(?:ように|とおり|通り|セリフ|文)|以下は|セリフ例|(?:変更|修正|言い換え|書き換え|アレンジ)(?:しました|した文|後の)"
    r"|here is|here's|revised:|rewritten:"
)
_MARKUP_HINT = re.compile(r"[#*>`]")
_BRACKET = re.compile(r"[(\[【［]")
_MARKDOWN = re.compile(r"^\s*#{1,6}\s|\*\*[^*\n]+\*\*|^\s*>\s|```", re.M)
# A list item at the start of a line: "1. " "(2)" "A: " "- " "・…" but not 3...2...1 or ・・・.
_ITEM_LINE = re.compile(
    r"^\s*(?:\d{1,2}[.)](?![\d.])|\(\d{1,2}\)|[A-E][.):](?![A-Za-z0-9.])|[-*•]\s|・(?![・.]))", re.M
)
_ALT_INLINE = re.compile(
    r"(?:案|パターン|候補|バリエーション)\s*[0-9a-z一二三](?![つ個人件位回日時分])|(?:option|version)\s*[0-9]|1[.)]\s[^\n]*?\s2[.)]\s"
    r"|[」』\"”]\s*(?:または|もしくは|あるいは|or|/)\s*[「『\"“]"
)

# --- breaking character ------------------------------------------------------------------

_META_WORDS = re.compile(  # on lower-cased text
    r"openai|open ai|gpt|llm|language model|as an ai|言語モデル|aiアシスタント|aiモデル|システムプロンプト|プロンプト|として振る舞"
    r"|キャラクターを演じ|キャラを演じ|ロールプレイ(?!ング)|学習データ|訓練データ|トレーニングデータ|プログラムされ"
)
# "AI" only in a first-person admission: 「AIじゃないってば！」 and 「AIですか？って失礼じゃん」 are banter.
_ME = r"(?:私|わたし|あたし|わたくし|うち|僕|ボク|自分)"
_BOT = r"(?:AI|人工知能|ボット|チャットボット)"
_BOT_WORD = re.compile(_BOT + "|プログラム")
# Between the pronoun and "AI" of 「実はあたし、AIなんだよね」 「あたしね、本当はAIなの」: at most a topic
# particle, punctuation and an adverb; then a copula that states it (not …だって, …なの？, …だからって).
_ME_GAP = (
    r"(?:は|も|って(?:ば|さ)?|ね[ぇえー]?|さ[ぁあー]?|[、,.…・\s!〜~ー]"
    r"|実は|じつは|本当は|ほんとは|ほんとうは|ホントは|実際|正直|もともと|元々|ただの|単なる|所詮|一応){0,6}"
)
_ADMIT = r"(?:なんだ|なんです|なの|だけど|だけれど|だし|だから|なので|です|でして|だよ|だもん|である)(?!って|っけ|か|\?)"
_AI_ADMISSION = re.compile(
    rf"{_ME}(?:は|も)(?:ただの|単なる)?(?:{_BOT}|プログラム)"
    r"(?!じゃ|では|ちゃう|な(?:んか)?じゃ|って|扱い|と(?!して)|に|が|を|の(?:話|こと))"
    rf"|{_ME}{_ME_GAP}{_BOT}{_ADMIT}"
    rf"|{_BOT}(?:です(?!か)|でして|なので|だから(?!って)|である|として|に(?:すぎ|過ぎ)|の{_ME}|なんです(?!か))"
)

# --- Chinese -----------------------------------------------------------------------------

# Simplified forms that Japanese writing never uses: none of them is in JIS X 0208, the
# everyday Japanese set (the test suite checks this). Shared forms such as 会 学 写 没 与 后
# 里 迎 来 国 点 are deliberately absent.
SIMPLIFIED_ONLY = frozenset(
    "们这说话语你么吗给还过时对让问题为开关见现进边样东车门间长发热爱觉讯谢请认识读习欢动种实经头两书电钱"
    "买卖饭讲远运谁岁级乐贵亲妈饿钟视频节页图应该虽极丽员务业产风飞马鸟鱼龙达连选记许论设试诉词讨闻闭阳阴"
    "队际须顾颜类红线练结绝续终绍约纸织总战汉汤银错铁馆饮鸡帮办处备复够块场师帅带张录忆态怀惊惯戏护报拥择"
    "换显晚术杀杂权构标树桥检满环疗码离稳笔简观规览贝负责购费赛转轻较输迟释钢闹阅难验鲜齐齿变众优传伤伟侧"
    "储净减则刚创别剧劳势单历压县叹启呜响唤啰园围圆圣坚坛坝垫夺奋妇宁宠审宪宫寻导尔尘层岛岭币帐庆库庙废异"
    "弹强归彻忧恶恼执扩扫扬扰抚抢拟挡挤挥损掳摄摆摇敌斋旷昙晓晕暂杨枪柜栏椭毁毕汇泼泽洁测济浏浓涂润涨渐滚"
    "灭灵灾灿烂烦烧焕爷牵狮狱猎珐琐畅盏监盘矿砖础硕确祸穷窍竞笼筹签紧纠纤纪纯纲纳纵纷纹纺组细绑绕绘络统继"
    "绩绪维绵综绿缓编缘缩罗罚罢职联肃肠肤肿胁胜脑脸腊舰艺苏茧药获营萝蓝虑蚁补衬袭计订训议证评译诗诚诞询详"
    "误诸课调谈谊谋谎谜谣谱贞贡财贤败货质贩贪贫贯贴贷贸贺资赌赏赔赖赚赞赢赵趋跃轨轮软载辅辆辈辉辩迁违逊递"
    "逻遗邓邮邻郑鉴针钓钥铃铅铺链销锁锅键镇镜闪闯闲闷阁阵阶陆陈险隐雾韩顶项顺顽顿预领额飘饥饰饱饼驱驶驻骂"
    "骗骑骤鲁鸣鸭鹅龟"
)
# Traditional forms that Japanese writing never uses, likewise outside JIS X 0208 (the test suite
# checks this too): 說 is not 説, 晚 not 晩, 絕 not 絶, 歲 not 歳, 錄 not 録, 產 not 産.
TRADITIONAL_ONLY = frozenset("嗎說妳祂喔囉嗨唷啥喲咧嘿哎嘍噢呃咦懂搞趕褲賬貓產雞幫辦夠錄絕閱歲晚眾")
# Chinese particles and forms that exist in JIS as rare, radical or old (traditional) characters
# but that no present-day Japanese sentence uses. Old forms still seen in Japanese are absent:
# 這 (這う), 裡 (脳裡), 邊 (渡邊), 學 (國學院), 發 (白發中), 氣 (氣志團), 與 樣 讓 (names), 個 為.
CHINESE_ONLY_EXTRA = frozenset("很呢吧啊呀嗯您她它哪怎哦嘛啦咱气个从听无們麼會沒對關覺讀寫歡")
_ZH_CHAR = re.compile("[" + "".join(sorted(SIMPLIFIED_ONLY | TRADITIONAL_ONLY | CHINESE_ONLY_EXTRA)) + "]")
_ZH_PHRASE = re.compile(
    r"我是|是的|不是|就是|可以|没有|非常好|的了|了的"
    r"|這[個樣是裡麼些邊]|那[個裡]|一樣|讓[我你他]|天氣|學習|因為|謝謝"
    # greetings and set phrases, only as a clause of their own: 朝好き and 大家好き are Japanese
    r"|(?:朝好|早上好|早安|午安|中午好|下午好|大家好|加油|拜拜|再见|不客气|好的|怎样)(?=[!?、。,\s~〜]|$)"
)
_ZH_FUNCTION = re.compile(r"[的了是在我你也都不就和他]")
_CLAUSE_END = re.compile(r"[。!?\n、,]+")  # on NFKC text

# --- English -----------------------------------------------------------------------------

# Two or more English words in a row are a translation or a preamble leaking in: 「おはよ！ (Good
# morning!)」, 「Sure! Here you go: おはよ！」, even 「thank youって感じ」. One word is a loan word or a
# name (LAのノリ, OKだよ, Kashoお姉ちゃん); www is laughter, not a word; and a run written all in
# capitals is acronyms or a stylised name (LINE ID, ONE OK ROCK).
_EN_WORD = r"(?![wW]+(?![A-Za-z]))[A-Za-z]+(?:['’-][A-Za-z]+)*"
_EN_RUN = re.compile(rf"(?<![A-Za-z'’-]){_EN_WORD}(?:,?[ \t]+{_EN_WORD})+")


# A run of capitalised words is a name (Sound Horizon, Apple Music, King Gnu, Final Fantasy) unless
# one of them is an everyday English word: Good Morning, Thank You, Happy Birthday leak as English.
_EVERYDAY = frozenset(
    "good morning night evening afternoon thank thanks you hello hi hey see here is are was the a an i my me "
    "it let lets let's do this that sweet dreams sure so much very everyone love and or to of in for with have "
    "nice day happy birthday year how what yes no ok okay please sorry welcome bye goodbye as ai language model "
    "cannot can't i'm we our your be going go".split()
)


def _is_name(run: str) -> bool:
    words = [w.strip(",") for w in run.split()]
    return all(w[0].isupper() for w in words) and not any(w.lower() in _EVERYDAY for w in words)


def _english(nfkc: str) -> bool:
    return any(not m.group().isupper() and not _is_name(m.group()) for m in _EN_RUN.finditer(nfkc))


# --- nonsense ----------------------------------------------------------------------------

# The same kana five times in a row, except kana people stretch on purpose (あああ, っっっ, ははは).
# Hiragana only: katakana runs are manga sound effects (ゴゴゴゴゴ, ドキドキドキドキドキドキ).
_KANA_RUN = re.compile(
    r"([かきくけこがぎぐげごさしすせそざじずぜぞたちつてとだぢづでどなにぬねのばびぶべぼぱぴぷぺぽまみむめもやゆよらりるれろ])\1{4}"
)
_UNIT_REPEAT = re.compile(r"([\u3041-\u3096]{2,4}?)\1{5,}")  # a 2-4 kana unit six times: ますますます…
_LATIN_WORD = re.compile(r"[a-z]{8,}")
_VOWELS = frozenset("aeiouy")
_FOREIGN = re.compile(
    r"[\u0370-\u04ff\u0600-\u06ff\u0900-\u097f\u0e01-\u0e4e\uac00-\ud7a3\ufffd\ue000-\uf8ff\x00-\x08]"
)
# Words of other scripts; single letters are kaomoji parts: (´・ω・`), (`Д´), (๑•̀ㅂ•́)و.
_GARBAGE = re.compile(
    r"[\uac00-\ud7a3]{2}|[\u0400-\u04ff]{3}|[\u0370-\u03ff]{3}|[\u0600-\u06ff]{3}"
    r"|[\u0e01-\u0e3a\u0e40-\u0e4e]{3}|[\u0900-\u097f]{3}|[\ufffd\ue000-\uf8ff\x00-\x08]"
)


def _nonsense(low: str) -> bool:
    if _KANA_RUN.search(low) or (_FOREIGN.search(low) and _GARBAGE.search(low)):
        return True
    if any(len(set(m.group(1))) > 1 for m in _UNIT_REPEAT.finditer(low)):
        return True
    # a latin "word" of 8+ letters without a vowel, not just a stretched wwwwwwww
    return any(not _VOWELS.intersection(w) and len(set(w)) >= 3 for w in _LATIN_WORD.findall(low))


def _chinese(nfkc: str) -> bool:
    """Chinese-only characters or phrases anywhere, or a clause built like Chinese.

    Judged clause by clause: a kanji-only clause is Japanese (学級閉鎖大変！ 高校3年生！ 片道5時間？！)
    unless it leans on Chinese function characters (他都不在, 我的朋友)."""
    if _ZH_CHAR.search(nfkc) or _ZH_PHRASE.search(nfkc):
        return True
    for s in _CLAUSE_END.split(nfkc):
        kana = len(_KANA.findall(s))
        if kana * 5 > len(s):  # plenty of kana: Japanese, whatever its kanji
            continue
        han = len(_HAN.findall(s))
        functions = len(set(_ZH_FUNCTION.findall(s)))
        if han >= 3 and (functions >= 3 or (kana == 0 and functions >= 2)):
            return True
    return False


# --- prompt fragments, forbidden words ---------------------------------------------------

_ECHO_WINDOW = 12  # a prompt fragment counts when 12 consecutive letters of it are in the reply
_HALF = _ECHO_WINDOW // 2


@lru_cache(maxsize=64)
def _fragment_grams(fragments: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The 6- and 12-letter stretches of the squashed fragments (fragments under 12: none)."""
    halves: set[str] = set()
    windows: set[str] = set()
    for frag in fragments:
        f = _squash(frag)
        if len(f) >= _ECHO_WINDOW:
            halves.update(f[i : i + _HALF] for i in range(len(f) - _HALF + 1))
            windows.update(f[i : i + _ECHO_WINDOW] for i in range(len(f) - _ECHO_WINDOW + 1))
    return frozenset(halves), frozenset(windows)


def _echoes(squashed: str, fragments: Sequence[str]) -> bool:
    halves, windows = _fragment_grams(tuple(fragments))
    n = len(squashed)
    # Any shared 12-letter stretch contains a shared 6-letter one at a multiple of 6: a cheap
    # first pass, then the exact check.
    if not windows or not any(squashed[i : i + _HALF] in halves for i in range(0, n - _HALF + 1, _HALF)):
        return False
    return any(squashed[i : i + _ECHO_WINDOW] in windows for i in range(n - _ECHO_WINDOW + 1))


@lru_cache(maxsize=64)
def _forbidden_forms(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """NFKC + lower case, but no kana folding: ガチ is slang, が+ち is grammar (なりがち, がちゃんと)."""
    return tuple((w, unicodedata.normalize("NFKC", w).lower()) for w in words if w.strip())


# --- the checks --------------------------------------------------------------------------


def _reject(reason: str) -> Verdict:
    return Verdict(False, reason, "")


def check_reply(
    text: str,
    *,
    forbidden: Sequence[str] = (),
    max_sentences: int | None = None,
    max_chars: int = 300,
    prompt_fragments: Sequence[str] = (),
    names: Sequence[str] = (),
) -> Verdict:
    """Every Layer 2 output passes this before a user sees it.

    ``names``: every sister's display name and nicknames (``CharacterSet.speaker_names``), so that a
    reply written as a script (牡丹：…, ユリ「…」) is rejected whoever the sisters are."""
    cleaned = _strip_quotes(text or "")
    if not _WORD.search(cleaned) and not cleaned.strip("…・.。、！？!?〜ー~ "):
        return _reject("empty")
    if len(cleaned) > max_chars:
        return _reject("too_long")
    nfkc = unicodedata.normalize("NFKC", cleaned)
    low = nfkc.lower()
    colon = ":" in nfkc
    speaker = _speaker_label(tuple(names)) if names else None
    if (
        (colon and _ECHO_LABEL.search(low))
        or _ECHO_PHRASE.search(nfkc)
        or (prompt_fragments and _echoes(_NON_WORD.sub("", _hira(low)), prompt_fragments))
    ):
        return _reject("prompt_echo")
    if _ALT_INLINE.search(low) or len(_ITEM_LINE.findall(nfkc)) >= 2:
        return _reject("alternatives")
    if (
        (colon and _LABEL.search(low))
        or _META_PAREN.search(low)
        or (_BRACKET.search(nfkc) and (_CHAR_NOTE.search(low) or _DIRECTION.search(nfkc)))
        or ("*" in nfkc and _ACTION.search(nfkc))
        or "※" in nfkc
        or (speaker is not None and _SPEAKER_HINT.search(nfkc) and speaker.search(low))
        or _META_PHRASE.search(low)
        or _ITEM_LINE.search(nfkc)
        or (_MARKUP_HINT.search(nfkc) and _MARKDOWN.search(nfkc))
    ):
        return _reject("label_leak")
    if _META_WORDS.search(low) or (_BOT_WORD.search(nfkc) and _AI_ADMISSION.search(nfkc)):
        return _reject("breaks_character")
    if _chinese(nfkc):
        return _reject("chinese")
    # No kana and no kanji: another language (Good morning everyone!, 감사합니다), unless short
    # (www, OK!). Kanji-only clauses and names with kanji (Sound Horizon最高！) are judged above and below.
    letters = _STRETCHED.sub(r"\1", "".join(_SCRIPT_LETTER.findall(low)))
    if not _KANA.search(nfkc) and not _HAN.search(letters) and len(letters.strip("0123456789")) > 4:
        return _reject("not_japanese")
    if _english(nfkc):
        return _reject("english")
    if _nonsense(low):
        return _reject("nonsense")
    for word, form in _forbidden_forms(tuple(forbidden)):  # ﾏｼﾞ is マジ; まじ is not
        if form in low:
            return _reject(f"forbidden_word:{word}")
    if (
        max_sentences is not None
        and sum(1 for s in _SENTENCE_END.split(nfkc) if _WORD.search(s)) > max_sentences
    ):
        return _reject("too_many_sentences")
    return Verdict(True, None, cleaned)


# --- keeping the meaning of a variation --------------------------------------------------
# Matched on the light form (NFKC, lower case, hiragana). "tokens|tokens", "class [class…]".

# Greetings and set phrases: the set of classes must be the same before and after.
_KEY_PHRASES = [
    ("おはよ|おっは|ぐっも|good morning", "ohayo"),
    ("こんにちは|こんにちわ|こんちは|こんちゃ", "konnichiwa"),
    ("こんばんは|こんばんわ|ばんわ", "konbanwa"),
    ("おやすみ|お休みなさい|ぐっない|ぐんない|good night", "oyasumi"),
    ("ありがと|有難う|有り難う|ありがたい|感謝|さんきゅ|thank|thx", "arigato"),
    ("ごめん|ご免|すみません|すいません|申し訳|めんご|sorry", "gomen"),
    ("ただいま", "tadaima"),
    ("おかえり|お帰り", "okaeri"),
    ("いってきま|行ってきま|いってくる|行ってくる", "ittekimasu"),
    ("いってらっしゃ|行ってらっしゃ|いってら", "itterasshai"),
    ("はじめまして|初めまして", "hajimemashite"),
    ("よろしく|宜しく|ことよろ", "yoroshiku"),
    ("おつかれ|お疲れ|おつです", "otsukare"),
    ("またね|また明日|またあした|ばいばい|さよなら|さようなら|じゃあね|じゃね", "bye"),
    ("おめでと|おめっと|あけおめ", "omedeto"),
]
# Time words → the time classes they imply (今朝 = today + morning). Greetings imply a time of
# day too, so 「おはよう！」 → 「おはよう、朝だよ！」 keeps its meaning.
_TIME_WORDS = [
    ("今朝", "today morning"),
    ("今夜|今晩|今宵|こんや", "today night"),
    ("今日|本日|きょう", "today"),
    ("明朝", "tomorrow morning"),
    ("明晩", "tomorrow night"),
    ("明日|あした", "tomorrow"),
    ("明後日|あさって", "day_after_tomorrow"),
    ("昨夜|昨晩|ゆうべ", "yesterday night"),
    ("昨日|きのう", "yesterday"),
    ("一昨日|おととい", "day_before_yesterday"),
    ("毎朝", "every_day morning"),
    ("毎晩|毎夜", "every_day night"),
    ("毎日", "every_day"),
    ("朝|午前|もーにんぐ|おはよ|おっは|ぐっも", "morning"),
    ("昼|正午|午後|こんにちは|こんにちわ|こんちは", "daytime"),
    ("夕", "evening"),
    ("夜|晩|こんばんは|こんばんわ|ばんわ|おやすみ|ぐっない", "night"),
    ("週末|土日", "weekend"),
    ("今週", "this_week"),
    ("来週", "next_week"),
    ("先週", "last_week"),
    ("今月", "this_month"),
    ("来月", "next_month"),
    ("先月", "last_month"),
    ("今年|ことし|ことよろ", "this_year"),
    ("来年", "next_year"),
    ("去年|昨年", "last_year"),
    ("あけおめ|明けまして|あけまして|謹賀新年|新年|正月|元旦|元日|年始|初詣", "new_year"),
    ("年末|大晦日|大みそか|良いお年|よいお年", "year_end"),
    ("くりすます|めりくり", "christmas"),
    ("誕生日|たんじょうび|ばーすでー|birthday", "birthday"),
    ("春", "spring"),
    ("夏", "summer"),
    ("秋", "autumn"),
    ("冬", "winter"),
    *[(d + "曜", d + "曜") for d in "月火水木金土日"],
]
_LOOKAHEAD = {"きょう": "(?!だい|み|りょ|し|つ|ぎ|ふ|ゆ)"}  # not 兄弟 興味 協力 教室 …


def _class_matcher(table: list[tuple[str, str]]) -> tuple[re.Pattern, dict[str, frozenset[str]]]:
    """One alternation of literal tokens, longest first (fast in re), plus token → classes."""
    classes: dict[str, frozenset[str]] = {}
    for tokens, names in table:
        for token in tokens.split("|"):
            classes[token] = classes.get(token, frozenset()) | frozenset(names.split())
    ordered = sorted(classes, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) + _LOOKAHEAD.get(t, "") for t in ordered)), classes


_KEY_RE, _KEY_CLASSES = _class_matcher(_KEY_PHRASES)
_TIME_RE, _TIME_CLASSES = _class_matcher(_TIME_WORDS)


def _classes(pattern: re.Pattern, classes: dict[str, frozenset[str]], light: str) -> frozenset[str]:
    return frozenset().union(*(classes[m] for m in pattern.findall(light)))


def similarity(a: str, b: str) -> float:
    """Dice coefficient over the character bigrams of the squashed texts (0..1)."""
    return _dice(_squash(a), _squash(b))


def _dice(fa: str, fb: str) -> float:
    ba = {fa[i : i + 2] for i in range(max(1, len(fa) - 1))}
    bb = {fb[i : i + 2] for i in range(max(1, len(fb) - 1))}
    return 2 * len(ba & bb) / (len(ba) + len(bb)) if fa and fb else 0.0


def check_variation(
    original: str,
    candidate: str,
    *,
    forbidden: Sequence[str] = (),
    max_sentences: int | None = None,
    max_chars: int = 300,
    min_similarity: float = 0.3,
    prompt_fragments: Sequence[str] = (),
    names: Sequence[str] = (),
) -> Verdict:
    """check_reply plus 'keeps the meaning' for a new variation of an existing line.

    Rejected as "duplicate" when only punctuation, spacing or emoji differ from the original;
    then the greeting classes and the time-word classes must be unchanged, and the bigram
    similarity must reach min_similarity."""
    verdict = check_reply(
        candidate,
        forbidden=forbidden,
        max_sentences=max_sentences,
        max_chars=max_chars,
        prompt_fragments=prompt_fragments,
        names=names,
    )
    if not verdict.ok:
        return verdict
    orig = _strip_quotes(original)
    so, sc = _squash(orig), _squash(verdict.cleaned)
    if so == sc:
        return _reject("duplicate")
    lo, lc = _light(orig), _light(verdict.cleaned)
    if _classes(_KEY_RE, _KEY_CLASSES, lo) != _classes(_KEY_RE, _KEY_CLASSES, lc):
        return _reject("meaning_drift:key_phrase")
    if _classes(_TIME_RE, _TIME_CLASSES, lo) != _classes(_TIME_RE, _TIME_CLASSES, lc):
        return _reject("meaning_drift:time_word")
    if _dice(so, sc) < min_similarity:
        return _reject("meaning_drift:similarity")
    return verdict
