"""Which fan questions mean the same thing, and what a learned question pattern must ask.

Each wording is read twice, offline: by the run-time reader (``characters/meaning.py``: the shared
lexicon, question kind, negation, subject), and by a morphological analyser (MeCab through fugashi,
with the UniDic-lite dictionary) for the content words the lexicon does not know — each becomes a
concept of its own with every form it may take (surface, base form, reading: 読ん = 読む = よむ), so
the service can spot it later without the analyser. Wordings whose readings agree (same kind of
question, negation and subject, most concepts shared) form one candidate; its ``meaning`` is what
the service matches every later wording against.

Only the miner imports this (offline: ``botan-line review``, ``botan-line learned mine``, or a child
process for ``/candidates``), so the dictionary (≈14 MB of mapped pages) never weighs on the
service's workers. A synonym dictionary (Sudachi's, as ``chikkarpy``) was tried and left out: its
only release builds with ``pkg_resources``, which current setuptools no longer ships, so a fresh
clone could not install it; the lexicon holds the synonyms this domain needs. Word vectors (chiVe,
as shipped in ``ja-ginza``: rows shared and nearest neighbours, as a table built offline) were tried
too and left out: on the 15 tuning authors grouping stayed at 53.9%, end to end went 40.4 → 40.5%
and recall given approval 63.2 → 63.4%, wrong matches 0.87 → 0.88%. Fans split on phrasing (朝強い /
朝型, 連敗したら / 負けたとき), not on words vectors call synonyms, and what vectors call close is as
often an opposite or a sibling (連敗/連勝, ヘッドホン/イヤホン, 朝/夕方).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from botan_line.characters import lexicon
from botan_line.characters import meaning as meanings
from botan_line.characters.normalize import fold, normalize

THRESHOLD = 0.55  # how alike two wordings must be to meet (similarity below); measured in bench/paraphrase.py
CONTENT_POS = ("名詞", "動詞", "形容詞", "形状詞", "副詞")
FRAMING = 0.5  # what a new word that frames more than it names (行く, 前, 全然) weighs in similarity


@functools.cache
def _tagger():
    import fugashi  # noqa: PLC0415 - heavy: only the miner pays for it

    return fugashi.Tagger()


def _hira(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in text)


# never content words: what a loanword folds into when its long vowel goes (カラー is から), or the
# そう of 読めそう and そうでしたか
_PARTICLES = frozenset(
    {"から", "まで", "より", "ので", "のに", "けど", "だけ", "まだ", "もう", "また", "たら", "なら", "そう"}
)


_HAS_KANJI = re.compile("[\u4e00-\u9fff]")


def _usable(form: str) -> bool:
    """A form worth spotting: two characters or more (not a particle a loanword folded into), or a
    single kanji (読, 歌)."""
    if form in _PARTICLES:
        return False
    return len(form) >= 2 or (len(form) == 1 and ord(form) in range(0x4E00, 0xA000))


def _framing(f) -> bool:
    """A word the analyser tags as one that mostly frames another: a verb that may be an auxiliary
    (行く in 行ったら, 見る, 置く), a noun that may be an adverb (前, 以外, 今季), an adverb (全然, すぐ)."""
    return f.pos2 == "非自立可能" or f.pos3 == "副詞可能" or f.pos1 == "副詞"


def new_words(text: str, unknown: Iterable[str], framing: set[str] | None = None) -> dict[str, list[str]]:
    """Concepts for the content words inside the pieces the reader could not explain:
    ``w:<reading>`` → its forms (surface, base form, stem, reading), folded as messages are.
    ``framing``, when given, receives the ones that frame more than they name (``_framing``)."""
    pieces = [p for p in unknown if p]
    if not pieces:
        return {}
    out: dict[str, list[str]] = {}
    for w in _tagger()(unicodedata.normalize("NFKC", text)):
        f = w.feature
        surface = fold(w.surface, contained=True)
        if f.pos1 not in CONTENT_POS or f.pos2 == "数詞" or not surface:
            continue
        if not any(
            surface in p or (p in surface and (_usable(p) or not _HAS_KANJI.search(surface))) for p in pieces
        ):
            continue  # an ending left over (る of 起きる where 起き is known) makes no new word; みかん split by か does
        reading = _hira(f.lForm or f.kana or w.surface)
        forms = {surface, fold(f.lemma or "", contained=True), fold(f.orthBase or "", contained=True)}
        if f.pos1 in ("動詞", "形容詞"):  # inflected: the stem is what every form shares (読ん, 読む → 読)
            stem = fold(w.surface, contained=True)
            base = fold(f.orthBase or w.surface, contained=True)
            common = "".join(a for a, b in zip(stem, base, strict=False) if a == b)
            forms = {common, base} if common else {base}
        else:
            forms.add(fold(reading, contained=True))
        usable = sorted(x for x in forms if x and _usable(x))
        if usable:
            # 飼う and 買う read alike: a lemma in kanji names the word, its reading only when it has none
            lemma = (f.lemma or "").partition("-")[0]
            key = lemma if _HAS_KANJI.search(lemma) else reading
            cid = f"w:{fold(key, contained=True) or surface}"
            have = out.setdefault(cid, [])
            have += [x for x in usable if x not in have]
            if framing is not None and _framing(f):
                framing.add(cid)
    return out


@dataclass
class Wording:
    text: str  # the key Layer 1 saw (normalised, without her name)
    raw: str  # the words as the fan typed them (without her name), for the analyser
    reading: meanings.Reading | None = None
    words: dict[str, list[str]] = field(default_factory=dict)  # its own new concepts
    framing: set[str] = field(default_factory=set)  # those of them that frame more than they name


class Analyst:
    """Reads wordings for one sister: the shared lexicon, the sisters' names, and every new word met."""

    def __init__(self, names: Mapping[str, Iterable[str]] = {}, sister: str | None = None,
                 extra: Mapping[str, Iterable[str]] = {}):  # fmt: skip
        self.names = {k: list(v) for k, v in names.items()}
        self.sister = sister
        self.extra: dict[str, list[str]] = {k: list(v) for k, v in extra.items()}
        self._reader: meanings.Reader | None = None

    @property
    def reader(self) -> meanings.Reader:
        if self._reader is None:
            self._reader = meanings.Reader(self.extra, self.names, self.sister)
        return self._reader

    def learn(self, wordings: Iterable[Wording]) -> None:
        """Find the new content words of every wording, then read each with all of them known."""
        wordings = list(wordings)
        base = meanings.Reader({}, self.names, self.sister)
        for w in wordings:
            n = normalize(w.raw)
            first = base.read(n.text, n.question, n.breaks, n.loans)
            w.framing = set()
            w.words = new_words(w.raw, first.unknown_words, w.framing)
            for cid, forms in w.words.items():
                have = self.extra.setdefault(cid, [])
                have += [f for f in forms if f not in have]
        self._reader = None
        for w in wordings:
            n = normalize(w.raw)
            w.reading = self.reader.read(n.text, n.question, n.breaks, n.loans)

    def read(self, text: str) -> meanings.Reading:
        n = normalize(text)
        return self.reader.read(n.text, n.question, n.breaks, n.loans)


ADDED = 0.3  # what one wording only adds (context, a time word) weighs this much against sharing
_TIME_IDS = frozenset(line.partition(":")[0].strip() for line in lexicon.TIMES.strip().splitlines())


def _weight(cid: str, framing: Collection[str] = ()) -> float:
    return FRAMING if cid in framing else meanings.weight(cid)


def similarity(a: meanings.Reading, b: meanings.Reading, framing: Collection[str] = ()) -> float:
    """How surely two wordings ask one question, 0..1: the concepts they share, against what one says
    where the other says something else (another object, the opposite: counted in full) and what one
    only adds (context, a time word: counted lightly). 0 when the negation, the subject or the kind
    of question differs, or when one tells and the other asks: 「おすすめのラノベ読んでみた、面白かった」
    needs another answer than 「おすすめのラノベある？」, and 「三姉妹ずっと応援する」 than 「三姉妹って仲いい？」.
    New words in ``framing`` (the analyser's 行く, 前, 全然: ``_framing``) weigh half: 「カラオケ行ったら
    何歌う？」 and 「カラオケで何歌う？」 differ by how they are said, not by what they ask."""
    if (a.negated, a.fan, a.about, a.statement) != (b.negated, b.fan, b.about, b.statement):
        return 0.0
    if a.statement:  # what fans tell is learned word for word: テスト勉強中 is not 勉強になりました, nor
        return 0.0  # 今日プリクラを買ったんだけど失敗した 今日古着屋で…, whose objects the reader cannot see
    # 描いて投稿しても大丈夫？ and 自分で絵を描く？; 苦手な食べ物ある？ and 今朝何食べた？; 読書以外の趣味 and 読書中の本
    for turn in lexicon.TURNS:
        if (turn in a.concepts) != (turn in b.concepts):
            return 0.0
    if meanings.usual_or_next(a.usual, a.concepts.keys(), b.usual, b.concepts.keys()):
        return 0.0  # いつも何時から配信してる？ and 次の配信いつ？
    ka = a.concepts.keys() | a.implied.keys() if a.implied else a.concepts.keys()  # しよる says 今
    kb = b.concepts.keys() | b.implied.keys() if b.implied else b.concepts.keys()
    for one, other in lexicon.APART:  # 今なに読んでる？ and 初めて読むならどれ？
        if (one & ka and other & kb and not one & kb) or (other & ka and one & kb and not other & kb):
            return 0.0
    for thing, kinds in lexicon.KINDS.items():
        if (
            thing in a.concepts
            and thing in b.concepts
            and kinds & a.concepts.keys() != kinds & b.concepts.keys()
        ):
            return 0.0  # 次の歌枠いつ？ and 次の配信いつ？: another kind of stream, or any
    named = a.concepts.keys() | b.concepts.keys()
    measured = bool(lexicon.MEASURES & named)  # ランク何？ and ランクいくつ？ ask one thing
    timelike = bool(lexicon.TIMELIKE & named)  # 好きな季節はいつ？ and どの季節が好き？ too
    fa = {meanings.family_of(x, measured, timelike) for x in a.asks}
    fb = {meanings.family_of(x, measured, timelike) for x in b.asks}
    if fa and fb and not fa & fb:
        return 0.0
    never = meanings.PRECISE_OR_WHO  # (ストレス発散してる？ and どうしてる？ may still be one question)
    if (a.yes_no and b.asks.intersection(never)) or (b.yes_no and a.asks.intersection(never)):
        return 0.0  # 誕生日配信やる？ is not 誕生日いつ？, まだ起きてる？ not 誰が一番に起きる？
    has_a, has_b = a.concepts.keys() | a.implied.keys(), b.concepts.keys() | b.implied.keys()
    for yn, has_yn, has_other in ((a, has_a, has_b), (b, has_b, has_a)):
        if yn.has and not has_yn & lexicon.STANCE and has_other & lexicon.STANCE:
            return 0.0  # 家に犬とか猫おるん？ asks whether she has one, 犬と猫どっちが好き？ which she likes
    said = has_a & has_b  # ラノベ says 本 (lexicon.IMPLIES)
    if not said - lexicon.GENERIC and not _within(a, b, said):
        return 0.0  # sharing only 好き or 今 is sharing no topic
    if _bare(a) != _bare(b) and not said - _TIME_IDS:
        return 0.0  # 今日なにしてた？ asks about the day; 今日のひるめしなに？ about one thing in it
    if _sister_only(a) != _sister_only(b) and not said - _SISTER:
        return 0.0  # お姉ちゃんってどんな感じ？ asks about her sister; 姉妹で喧嘩する？ about one thing between them
    # what one says without its word (一番よく聴く: 好き; 今期: 今) is shared with the other's word
    # ... and what both say only before the clause that asks (仕事終わりに…) is shared context, weighed lightly
    ta, tb = a.tail or a.concepts, b.tail or b.concepts
    shared = sum(
        _weight(c, framing) * (1.0 if c in ta or c in tb or c in a.implied or c in b.implied else ADDED)
        for c in has_a & has_b
        if c in a.concepts or c in b.concepts
    )
    only_a = sum(_weight(c, framing) for c in ta if c not in has_b)
    only_b = sum(_weight(c, framing) for c in tb if c not in has_a)
    instead = min(only_a, only_b)
    return shared / (shared + instead + ADDED * (max(only_a, only_b) - instead))


def _bare(r: meanings.Reading) -> bool:
    """A question that names nothing but a time in the clause that asks (今日なにしてた？, 最近どう？)."""
    return not ((r.tail or r.concepts).keys() - _TIME_IDS)


_SISTER = frozenset({"sisters", "opinion_person"}) | _TIME_IDS


def _sister_only(r: meanings.Reading) -> bool:
    """A question about her sister and nothing else (お姉ちゃんってどんな感じ？, どんな人？)."""
    topics = (r.tail or r.concepts).keys() - lexicon.GENERIC
    return "sisters" in topics and not topics - _SISTER


def _within(a: meanings.Reading, b: meanings.Reading, said: set[str]) -> bool:
    """Two or more concepts shared, and one wording says nothing else: 「今何読んでる？」 (今, 読む) and
    「今読んでる本なに？」 ask one thing though both words are of those that alone name no topic;
    「最近好きなアニメ」 and 「最近好きなゲーム」 (each with a word of its own) do not."""
    return len(said) >= 2 and (a.concepts.keys() <= said or b.concepts.keys() <= said)


def _apart(a: list[meanings.Reading], b: list[meanings.Reading]) -> bool:
    """Two groups of two or more wordings each, one of which always says what the other never does
    (好きなアニソン ×2 and 好きなアニメ ×2): two questions, however alike each pair looks. One wording
    leaving a word out (次いつ？ next to 次の配信いつ？) is no such evidence."""
    if len(a) < 2 or len(b) < 2:
        return False
    for one, other in ((a, b), (b, a)):
        always = set.intersection(*(set(r.concepts) for r in one)) - lexicon.SOFT
        if any(all(c not in r.concepts for r in other) for c in always):
            return True
    return False


# おはみかん, こんばんわんこ: a greeting in a playful shape of the fan's own, not a question about みかん
_GREETING = re.compile(
    r"^(?:おは|おっは|こんばん|ばんわ|こんにち|おやす)(?!な|し|こ|か|だ|ず|ぎ|ら|つ|や|い)"
)


def _greeting(text: str) -> bool:
    return len(text) <= 10 and bool(_GREETING.match(text))  # こんにちわんこそば


def cluster(wordings: list[Wording], threshold: float = THRESHOLD) -> list[list[Wording]]:
    """Group read wordings: the most similar pairs first, two groups merging only when every wording of
    one resembles every wording of the other (complete link: no chains of near-misses). A wording
    with no content words (a bare verb, a reaction) never joins anything and is never a candidate."""
    read = [w for w in wordings if w.reading and w.reading.concepts and not _greeting(w.text)]
    readings = [w.reading for w in read if w.reading is not None]  # one per wording of ``read``
    framing: set[str] = set().union(*(w.framing for w in read))
    pairs = []
    close: set[tuple[int, int]] = set()
    for i in range(len(read)):
        for j in range(i + 1, len(read)):
            sim = similarity(readings[i], readings[j], framing)
            if sim >= threshold:
                pairs.append((-sim, i, j))
                close.add((i, j))
    group = {i: [i] for i in range(len(read))}  # wording → the members of its group (shared lists)
    for _sim, i, j in sorted(pairs):
        gi, gj = group[i], group[j]
        if gi is gj or not all((min(x, y), max(x, y)) in close for x in gi for y in gj):
            continue
        if _apart([readings[x] for x in gi], [readings[y] for y in gj]):
            continue
        gi.extend(gj)
        for y in gj:
            group[y] = gi
    out, done = [], set()
    for i in range(len(read)):
        if id(group[i]) not in done:
            done.add(id(group[i]))
            out.append([read[x] for x in sorted(group[i])])
    return out


def strays(members: list[Wording]) -> list[Wording]:
    """The wordings of a group of three or more whose question is at least as much about topics of the
    lexicon none of the others has as about the ones they share (「今日何してた？」 ×3 and
    「今日のディナーは？」): perhaps another question, met through what they share. Its own words (``w:``
    concepts) do not count: one wording saying コミック where the others say 漫画 is the analyser's
    guess, not another topic."""
    if len(members) < 3:
        return []
    out = []
    for m in members:
        r = _read(m)
        others = [_read(o) for o in members if o is not m]
        own = shared = 0.0
        for c in r.tail or r.concepts:
            if c in lexicon.GENERIC:
                continue
            if any(c in o.concepts for o in others):
                shared += _weight(c)
            elif not c.startswith("w:"):
                own += _weight(c)
        if own and own >= shared:
            out.append(m)
    return out if len(out) < len(members) - 1 else []


def _read(w: Wording) -> meanings.Reading:
    if w.reading is None:
        raise ValueError(f"wording {w.text!r} was not read: Analyst.learn reads every wording first")
    return w.reading


# drafted wordings kept per learned question: each is one more signature in every worker (~2.7 KB, bench/layer1.py
# --also); of 472 candidates of two pairs, 1.3 on average were kept and 3% had more than four
MAX_ALSO = 4


def meaning_of(
    members: list[Wording],
    analyst: Analyst,
    threshold: float = meanings.DEFAULT_THRESHOLD,
    drafted: Iterable[Wording] = (),
) -> dict:
    """The ``meaning`` of a learned pattern (loader.Meaning, as stored in its body) for these wordings.

    Wordings that mostly tell something (コンビニのやつ買ってみた、うまかった) get no concepts: their
    pattern answers those words (its triggers), never a question that shares them (コンビニで何買う？)
    — a meaning only ever matches questions. ``drafted``: other wordings of the question a model
    wrote offline (read by ``analyst`` already); those that ask it the same way (``_also``) become
    ``also`` variants, so 「十八番は？」 drafted beside 「カラオケでよく歌う曲は？」 answers a fan who says
    十八番."""
    readings = [_read(m) for m in members]
    sig = meanings.signature_of(readings, threshold)
    # told, or asking about no topic — nothing but 好き (タピ好き？ with タピ unread), or one light word
    # (今好き？): answered by its own words only, never a meaning that every 〜好き？ would meet. Two light
    # words make a topic (今なに読んでる？: now + read)
    topic = sig.required.keys() - (lexicon.GENERIC - lexicon.SOFT)
    told = (
        2 * sum(r.statement for r in readings) > len(readings)
        or not topic
        or (topic <= lexicon.SOFT and len(topic) < 2)
    )
    own = analyst.extra

    def forms(cid: str) -> list[str]:
        return list(own.get(cid, [])) if cid.startswith("w:") else []

    drafted = list(drafted)
    drafted_r = [_read(d) for d in drafted]
    also = [] if told else _also(sig, drafted_r)
    variants = [{"concepts": {cid: forms(cid) for cid in c}, "example": drafted[i].raw} for i, c in also]
    return {
        "examples": [m.raw for m in members],
        "concepts": {} if told else {cid: forms(cid) for cid in sig.required},
        "optional": {} if told else {cid: forms(cid) for cid in sorted(sig.optional)},
        "loose": sorted(sig.loose),
        "closed": sig.closed,
        "ask": sig.ask,
        "negated": sig.negated,
        "fan": sig.fan,
        "about": sorted(sig.about),
        "threshold": sig.threshold,
        **({"usual": True} if sig.usual else {}),
        **({"current": True} if sig.current else {}),
        **({"also": variants} if variants else {}),
    }


def _also(sig: meanings.Signature, drafted: list[meanings.Reading]) -> list[tuple[int, list[str]]]:
    """The concepts of each drafted wording that asks what ``sig`` asks, the same way: no statement, the
    same negation, subject and sister, yes/no only if the question is, a kind of question that agrees,
    something more than 好き or 今, every time word of the question (次, 今日), every concept the fans'
    wordings did not say said by two drafted wordings or more (one model's slip is not a synonym) —
    and not the question's own concepts again or with a word left out, nor another drafted
    wording's."""
    seen = {frozenset(sig.required)}
    known = sig.required.keys() | sig.optional
    support: dict[str, int] = {}  # how many drafted wordings say each concept
    for r in drafted:
        for cid in r.concepts:
            support[cid] = support.get(cid, 0) + 1
    out: list[tuple[int, list[str]]] = []
    for i, r in enumerate(drafted):
        if r.statement or (r.negated, r.fan, r.about) != (sig.negated, sig.fan, sig.about):
            continue
        if r.yes_no != sig.closed:  # カラオケ好き？ drafted for カラオケでよく歌う曲は？ asks something else
            continue
        if (
            sig.ask
            and r.asks
            and meanings.ASK_FAMILY[sig.ask] not in {meanings.ASK_FAMILY[a] for a in r.asks}
        ):
            continue
        said = frozenset(r.concepts)  # the whole wording: its context is part of what it asks
        if not said - lexicon.GENERIC or said in seen or said < sig.required.keys():
            continue  # the question with a word left out is the question's own to judge (loose)
        if any(cid in _TIME_IDS and cid not in said for cid in sig.required):
            continue  # 次の配信のゲーム without 次: another time is another question
        if any(cid not in known and support[cid] < 2 for cid in said):
            continue  # a word the fans did not use, in one drafted wording only: perhaps another question
        seen.add(said)
        out.append((i, sorted(said)))
    return out[:MAX_ALSO]


def signature(body: dict) -> meanings.Signature:
    return meanings.Signature(
        required={cid: meanings.weight(cid) for cid in body["concepts"]},
        optional=frozenset(body.get("optional", {})),
        loose=frozenset(body.get("loose", [])),
        closed=body.get("closed", False),
        ask=body.get("ask"),
        negated=body.get("negated", False),
        fan=body.get("fan", False),
        about=frozenset(body.get("about", [])),
        threshold=body.get("threshold", meanings.DEFAULT_THRESHOLD),
        usual=body.get("usual", False),
        current=body.get("current", False),
    )


# --- what an approval will catch -----------------------------------------------------------------
SWAPS = (  # a different question made from one of the merged wordings: (what it changes, from, to)
    ("好き嫌い", "好き", "嫌い"),
    ("好き嫌い", "すき", "きらい"),
    ("好き嫌い", "苦手", "好き"),
    ("いつ→どこ", "いつ", "どこ"),
    ("何→いつ", "何", "いつ"),
    ("なに→いつ", "なに", "いつ"),
    ("今→昨日", "今日", "昨日"),
    ("次→前回", "次", "前回"),
    ("最近→昔", "最近", "昔"),
)


class Shown(TypedDict):
    """One wording the review shows: its score, why it would not be answered ("" when it would), and
    whether a fan really sent it."""

    text: str
    score: float
    why: str
    seen: bool
    drafted: NotRequired[bool]  # a wording a model drafted offline, kept with the meaning (``also``)


def preview(members: list[Wording], body: dict, analyst: Analyst, others: Iterable[str],
            sisters: Mapping[str, str], limit: int = 4) -> dict:  # fmt: skip
    """For the review: unseen wordings it would answer and the nearest different questions it will
    not, each with its score — from what fans really sent (``others``), and made from the merged
    wordings (a synonym swapped in; a sister's name, the opposite, another question word)."""
    sig = signature(body)
    mine = {m.text for m in members}
    would: list[Shown] = []
    wont: list[Shown] = []
    for text in dict.fromkeys(others):
        if text in mine:
            continue
        r = analyst.read(text)
        if not set(r.concepts) & set(sig.required):
            continue
        v = meanings.judge(sig, r)
        (would if v.ok else wont).append({"text": text, "score": round(v.score, 2), "why": v.reason,
                                          "seen": True})  # fmt: skip
    made_yes: list[Shown] = []
    made_no: list[Shown] = []
    for m in members:
        for cid in sig.required:
            if cid.startswith("w:"):
                continue
            forms = meanings.concept_forms(cid)
            here = [f for f in forms if f in m.text]
            if not here:
                continue
            old = max(here, key=len)
            for new in forms:
                if new != old and len(new) > 1 and new not in m.text:
                    text = m.text.replace(old, new, 1)
                    v = meanings.judge(sig, analyst.reader.read(text, True))
                    if v.ok:
                        made_yes.append({"text": text, "score": round(v.score, 2), "why": "", "seen": False})
                    break
        for _what, old, new in SWAPS:
            if old in m.text:
                text = m.text.replace(old, new, 1)
                v = meanings.judge(sig, analyst.reader.read(text, True))
                (made_yes if v.ok else made_no).append(
                    {"text": text, "score": round(v.score, 2), "why": v.reason, "seen": False})  # fmt: skip
        for name in list(sisters.values())[:3]:
            text = f"{name}の{m.text}"
            v = meanings.judge(sig, analyst.reader.read(fold(text), True))
            (made_yes if v.ok else made_no).append(
                {"text": text, "score": round(v.score, 2), "why": v.reason, "seen": False})  # fmt: skip
    would += [w for w in made_yes if w["text"] not in mine]
    wont += made_no
    would = list({w["text"]: w for w in sorted(would, key=lambda w: -w["score"])}.values())[:limit]
    wont = list({w["text"]: w for w in sorted(wont, key=lambda w: -w["score"])}.values())[:limit]
    return {"would": would, "wont": wont}
