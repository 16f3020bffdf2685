"""A few small things a fan chose to share, remembered until /forget: their 推し, a thing they like, an exam date.

Three keys and no more (``KEYS``), one short value each, the newest winning — so what is kept
about a fan is bounded by construction. Only plain statements count (「ユリ推しです」「好きな食べ物は
ラーメン」「来週の金曜…」 is not a date we keep; 「試験は3月5日」 is); questions, negations and the past do
not. Nothing is kept from a message with personal data in it (``core/safety.py`` decides), nor a
value the nickname checks would refuse (insults, sexual words, romance roles), nor a crush
(「好きな人」 names a third person). Exam dates are stored as ISO dates and shown to the model only
until a week after they pass. Facts are noted from messages that reach Layer 2 — the only layer
that uses them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from botan_line.characters.normalize import fold
from botan_line.core import safety
from botan_line.core.model import SetFact
from botan_line.core.nickname import refusal

KEYS = ("oshi", "likes", "exam")
MAX_VALUE_CHARS = 20
MAX_LIKE_CHARS = 12  # a longer "thing" is a sentence, not a like

_V = r"[「『]?(?P<v>[^\s、。,.!?！？「」『』]{1,20}?)[」』]?"
_END = r"(?=$|[\s、。,.!！♪☆★♡♥〜~…w笑]|[\U0001f000-\U0001faff])"
_STATE = r"(?:です|だよ|なんだ|なんです|なの|だから|かな|でーす|ですね|だね|だ|)(?:けど|よね|よ|ね|な|さ|わ)?"
_OSHI = (
    re.compile(rf"(?:最推し|推しメン|推しキャラ|推し)(?:は|って)\s*{_V}{_STATE}{_END}"),
    re.compile(rf"{_V}(?:が|ちゃんが|さんが)?(?:最推し|推し){_STATE}{_END}"),
)
_LIKES = (
    re.compile(rf"好きな(?P<what>[^\s、。はがを]{{1,8}}?)(?:は|って)\s*{_V}{_STATE}{_END}"),
    re.compile(rf"{_V}(?:が|も)(?:大|だい|超|めっちゃ|すごく)?好き{_STATE}{_END}"),
)
_KIND = r"(?P<kind>期末テスト|中間テスト|期末試験|中間試験|小テスト|共通テスト|定期テスト|テスト|試験|入試|受験|模試|検定|面接)"
_WHEN = r"(?P<when>\d{1,2}月\d{1,2}日|\d{1,2}/\d{1,2}|明日|あした|明後日|あさって|今日|きょう)"
_EXAM = (
    re.compile(rf"{_KIND}(?:は|が|って|の日は|本番は)?\s*{_WHEN}"),
    re.compile(
        rf"{_WHEN}(?:に|は|が|の)?\s*(?:[^\s、。!?！？]{{0,8}}?の)?{_KIND}"
    ),  # 「明日は英語の小テスト」
)
_NOT_VALUES = {
    "誰", "だれ", "何", "なに", "なん", "どこ", "どれ", "どっち", "いない", "いる", "ない", "ある", "それ", "これ",
    "あれ", "みんな", "全部", "ぜんぶ", "そう", "自分", "キミ", "きみ", "君", "あなた", "お前", "おまえ",
}  # fmt: skip
_PEOPLE = re.compile(r"^(?:人|ひと|子|男|女|男子|女子|タイプ|異性|相手|芸能人)$")
_SELF_NO = re.compile(r"(?:私|わたし|僕|ぼく|俺|おれ|あたし|うち|自分)の$")


def _clean(value: str) -> str:
    return re.sub(r"^[\W_]+|[\W_]+$", "", unicodedata.normalize("NFKC", value).strip())


def _ok(value: str, raw: str, rules, sister_names: frozenset[str], max_chars: int = MAX_VALUE_CHARS) -> bool:
    """The nickname checks (personal data, safety words, insults, romance roles) with a longer cap."""
    if not value or value in _NOT_VALUES or fold(value) in sister_names:
        return False
    return refusal(value, raw, rules=rules, max_chars=max_chars) is None


def _exam_date(when: str, today: date) -> date | None:
    if when in ("今日", "きょう"):
        return today
    if when in ("明日", "あした"):
        return today + timedelta(days=1)
    if when in ("明後日", "あさって"):
        return today + timedelta(days=2)
    m = re.fullmatch(r"(\d{1,2})(?:月|/)(\d{1,2})日?", when)
    if not m:
        return None
    month, day = int(m.group(1)), int(m.group(2))
    for year in (today.year, today.year + 1):  # 「1月18日」 said in November is next January
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found >= today - timedelta(days=7):
            return found
    return None


def extract(raw: str, now: datetime, rules, sister_names: frozenset[str] = frozenset()) -> dict[str, str]:
    """key → value for each fact this raw message states (``exam``: ``YYYY-MM-DD kind``)."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > 200 or safety.has_personal_data(raw):
        return {}
    found: dict[str, str] = {}
    for pattern in _OSHI:  # a sister is the most likely 推し: her name is welcome here
        m = pattern.search(text)
        v = _clean(m.group("v")) if m else ""
        if v == "箱":
            found["oshi"] = "箱推し（三姉妹みんな）"
            break
        if m and _ok(v, raw, rules, frozenset()):
            found["oshi"] = v
            break
    crush = re.search(r"好きな(?:人|ひと|子)", text)  # names someone else: never kept
    for pattern in () if crush else _LIKES:
        m = pattern.search(text)
        if not m:
            continue
        what = m.groupdict().get("what")
        before = text[: m.start()]
        if what is not None and (
            _PEOPLE.match(what) or (before.endswith("の") and not _SELF_NO.search(before))
        ):
            continue  # 「牡丹の好きな色は」 is about her, not the fan
        v = _clean(m.group("v"))
        if v.endswith(("ところ", "とこ")):
            continue
        if _ok(v, raw, rules, sister_names, MAX_LIKE_CHARS):
            found["likes"] = f"{v}（{what}）" if what and len(v) + len(what) + 2 <= MAX_VALUE_CHARS else v
            break
    for pattern in _EXAM:
        m = pattern.search(text)
        if m and not re.search(r"(?:終わった|だった|でした|あった|ありました)", text[m.end() :][:12]):
            when = _exam_date(m.group("when"), now.date())
            if when is not None:
                found["exam"] = f"{when.isoformat()} {m.group('kind')}"
                break
    return found


def remember(user_id: str, raw: str, now: datetime, rules, sister_names=frozenset()) -> list[SetFact]:
    """The effects that keep what this message shares (none for most messages)."""
    return [SetFact(user_id, k, v) for k, v in extract(raw, now, rules, sister_names).items()]


def describe(facts: dict[str, str], today: date) -> dict[str, str]:
    """Facts as the prompt shows them: exam dates in words, gone a week after the day."""
    shown: dict[str, str] = {}
    for key in KEYS:
        value = facts.get(key)
        if not value:
            continue
        if key == "exam":
            day, _, kind = value.partition(" ")
            try:
                when = date.fromisoformat(day)
            except ValueError:
                continue
            left = (when - today).days
            if left < -7:
                continue
            tail = f"（あと{left}日）" if left > 0 else "（今日）" if left == 0 else "（もう終わった）"
            value = f"{when.month}月{when.day}日の{kind or '試験'}{tail}"
        shown[key] = value
    return shown
