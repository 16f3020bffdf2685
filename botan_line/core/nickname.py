"""A fan's chosen name: 「ミカって呼んで」 and its many forms, recognised, checked, and confirmed in her voice.

``find_request`` reads a raw message and returns the name asked for (None: no such request).
``refusal`` says why a name cannot be kept: personal data (``core/safety.py`` decides), the safety
rules' words, insults and pet names, odd characters, or too long. :class:`NicknameLayer` sits
before Layer 1 in the table: it answers a request with her ``nickname_set`` line (the new name
already in ``{name}``) and a ``SetNickname`` effect, or with her ``nickname_refused`` line and no
effect. The nickname is per fan and shared by the sisters; ``/forget`` removes it.

Precision first: a wrong nickname is worse than none. 「ミカって呼んでいい？」 asks permission to call
*her* something, 「ミカって呼ばれてた」 is the past, 「LINEで呼んで」 is not a name, and a bare
「ミカでいいよ」 is a name only when something says so — 「呼び方は」「私のことは」 in the same message,
or her own last line asking what to call the fan (otherwise 「ラーメンでいいよ」 would become one).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace

from botan_line.characters.normalize import fold
from botan_line.core import safety
from botan_line.core.conversation import TurnContext
from botan_line.core.model import Decision, SetNickname

# --- recognising a request -------------------------------------------------------------------
_Q, _QE = '「『"“', '」』"”'  # quotes a name may be written in
_NAME = rf"[{_Q}]?(?P<name>[^\s、。,.!?！？{_Q}{_QE}]{{1,30}}?)[{_QE}]?"
_END = r"(?=$|[\s、。,.!?！？♪☆★♡♥〜~ー…w笑]|[\U0001f000-\U0001faff])"
_NAME_END = r"(?=$|[\s、。,.!?！？♪☆★♡♥…]|[\U0001f000-\U0001faff])"  # ー and 〜 may be part of a name
_PLEASE = (
    r"(?:ね|よ|な|ほしい|欲しい|ください|下さい|くださ|くれ|くれる|くれない|くれません|くれませんか|くれたら|くれると|"
    r"もらえる|もらえない|もらえますか|もらえたら|もらえると|もらいたい|みて|ちょうだい|いいよ|いいから|もいいよ|"
    r"もいいから|いいですよ|嬉しい|うれしい|嬉しいな|うれしいな|です|ok|オッケー|おっけー|いただけますか|"
    r"いただけませんか|いただけると|いただけたら|いただきたい|いただけない|もらえませんか)*"
)
# 「ミカって呼んで」「ミカと呼んでください」「ミカって呼びなさい」「ミカって呼べ」
_CALL_ME = re.compile(rf"{_NAME}(?:って|と)(?:呼|よ)(?:んで{_PLEASE}{_END}|びなさい|べ{_END})", re.I)
# 「みんなからはミカって呼ばれてる」 (now, not 「呼ばれてた」), 「ミカって呼ばれたい」
_CALLED = re.compile(rf"{_NAME}(?:って|と)(?:呼|よ)ば(?:れて(?:る|ます|います|いる)(?![たけ])|れたい)", re.I)
_OK = r"(?:で(?:いい|お願い|おねがい|よろしく|頼む|たのむ|ok|おけ|オッケー|大丈夫|呼んで|よんで)|がいい|が(?:うれしい|嬉しい)|にして)"
# 「あだ名はミカ」「呼び方はミカでいいよ」「ニックネームはミカです」
_ALIAS = re.compile(
    rf"(?<!ファンの)(?<!ふぁんの)(?<!リスナーの)(?<!みんなの)(?<!視聴者の)"  # 「ファンの呼び名は…」 asks the fandom's name
    rf"(?:呼び方|呼びかた|よびかた|呼び名|よびな|あだ名|あだな|アダ名|ニックネーム|愛称)(?:は|を)\s*{_NAME}"
    rf"(?:{_OK}|です|だよ|だから|でーす|{_NAME_END})",
    re.I,
)
# 「私のことはミカでいいよ」「僕のことはケンで呼んで」: the fan names themself, so 「でいい」 is about them
_SELF = r"(?:私|わたし|ワタシ|僕|ぼく|ボク|俺|おれ|オレ|あたし|アタシ|うち|ウチ|自分|わし)のこと(?:は|を|も)?"
_SELF_OK = re.compile(rf"{_SELF}\s*{_NAME}{_OK}", re.I)
# after she asked what to call them: 「ミカでいいよ」「ミカでお願い」「ミカがいいな」「ミカにして」
_ANSWER = re.compile(rf"^\s*{_NAME}(?:{_OK}|で{_NAME_END})", re.I)
_ASKED = re.compile(
    r"呼べば|呼んだら|呼んでほしい|呼ばれたい|呼び方|呼びかた|呼び名|あだ名|ニックネーム|なんて呼|何て呼"
)
_HINTS = (  # no request without one of these: most messages leave at this check
    "呼", "よん", "よば", "よび", "あだ名", "あだな", "アダ名", "ニックネーム", "愛称", "でいい", "でお願い", "がいい",
    "にして",
)  # fmt: skip

# openings that stand before the name and are not part of it: 「じゃあ」「これからは」「私のことは」
_LEAD = re.compile(
    r"^(?:(?:じゃあ|じゃぁ|えっと|あのね|それなら|それじゃあ|そしたら|ちなみに|よかったら|良かったら|できれば|"
    r"できたら|とりあえず)|(?:これから|今日から|今から|今度から|次から|明日から|みんなから|友達から|友だちから|"
    r"家族から|周りから|まわりから|みんなに|友達に|友だちに|家族に|周りに|学校で|クラスで|職場で|普段|ふだん|"
    r"いつも|ここでは|この先)(?:は|も)?|" + _SELF + ")"
)
_HONORIFIC = re.compile(r"(?:お姉ちゃん|お姉さん|姉さん|姉|ちゃん|さん|くん|君|様|さま|たん|っち)$")
NOT_NAMES = {  # answers about *how* to be called, or no name at all
    "呼び捨て", "よびすて", "ちゃん付け", "ちゃんづけ", "さん付け", "さんづけ", "くん付け", "君付け", "下の名前",
    "名前", "なまえ", "本名", "あだ名", "あだな", "ニックネーム", "それ", "これ", "そう", "なんて", "何て", "なん",
    "なんと", "何と", "なに", "何", "なんでも", "何でも", "好き", "すき", "好きに", "普通", "ふつう", "適当",
    "てきとう", "まだない", "ない", "なし", "特にない", "とくにない", "秘密", "ひみつ", "内緒", "ないしょ",
}  # fmt: skip
_FOLDED_NOT_NAMES = frozenset(fold(n) for n in NOT_NAMES)
# a candidate ending like a sentence is not a name: 「あだ名はまだないよ」「呼び方はなんでもいい」
_PREDICATE = re.compile(
    r"(?:ない|たい|ます|です|でも|いい|して|って|てる|けど|から|よね|だけ|とか|なの|だよ|ある|いる|する|った|でしょ|ますか|ですか)$"
)


# a question word, with the particle an odd space left on it, asks a name (「呼び方は 何が いい？」)
_ASKING = re.compile(r"^(?:何|なに|なん|どれ|どんな|誰|だれ)(?:が|を|は|に|で|と)?$")


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    return re.sub(r"^[\W_]+|[\W_]+$", "", name)


def _strip_lead(name: str, sister_names: tuple[str, ...]) -> str:
    """Take openings (「じゃあ」「これからは」) and a sister's name with an honorific off the front."""
    for _ in range(4):
        before = name
        name = _LEAD.sub("", name)
        for nick in sister_names:  # 「ユリちゃんミカって呼んで」; a bare ユリ is left: it may begin ユリカ
            distinct = _HONORIFIC.search(nick) or re.search(r"[\u4e00-\u9fff]", nick)
            if distinct and name.startswith(nick) and len(name) > len(nick):
                name = name[len(nick) :]
        if name == before:
            break
    return name


@functools.lru_cache(maxsize=16)
def _forms(sister_names: tuple[str, ...]) -> frozenset[str]:
    forms = set()
    for n in sister_names:
        forms.add(fold(n))
        forms.add(fold(_HONORIFIC.sub("", n)))
    return frozenset(f for f in forms if f)


def sister_forms(sister_names) -> frozenset[str]:
    """The sisters' names folded, with and without an honorific: never a fan's nickname."""
    return _forms(tuple(sister_names))


@dataclass(frozen=True)
class Request:
    name: str  # as the fan wrote it (NFKC, trimmed)


def find_request(
    text: str, *, last_reply: str | None = None, sister_names: tuple[str, ...] = ()
) -> Request | None:
    """The name a raw message asks to be called, or None. ``last_reply``: her previous line to this
    fan (a bare 「ミカでいいよ」 is a name only after she asked); ``sister_names``: the sisters'
    nicknames, taken off the front (「ユリちゃんミカって呼んで」) and never the fan's own name."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw or len(raw) > 120 or not any(h in raw for h in _HINTS):
        return None
    match = _CALL_ME.search(raw) or _CALLED.search(raw) or _ALIAS.search(raw) or _SELF_OK.search(raw)
    if match is None and last_reply and _ASKED.search(last_reply):
        match = _ANSWER.search(raw)
    if match is None:
        return None
    name = _clean(_strip_lead(match.group("name"), sister_names))
    folded = fold(name)
    if not name or folded in _FOLDED_NOT_NAMES or _PREDICATE.search(name) or _ASKING.match(name):
        return None
    if folded in sister_forms(sister_names):
        return None  # 「牡丹って呼んで」: about her name, not theirs
    return Request(name)


def may_answer_a_question(text: str) -> bool:
    """Could this be 「ミカでいいよ」 after she asked what to call them? (Then her last line is read.)"""
    return bool(_ANSWER.search(unicodedata.normalize("NFKC", text).strip()))


# --- checking a name ---------------------------------------------------------------------------
# The whole name (honorific taken off): short words that are also parts of real names (かすみ, くずは).
REFUSED_NAMES = (
    "ばか", "あほ", "くず", "ごみ", "かす", "ぶす", "でぶ", "はげ", "ちび", "きもい", "きも", "うざい", "のろま",
    "ぼけ", "ぶた", "まぬけ", "しね", "はにー", "まま", "ぱぱ", "あなた", "おまえ", "お前", "てめえ", "貴様",
)  # fmt: skip
# Anywhere in the name: insults, sexual words, and romance, servitude or family roles (two of the
# sisters are minors).
REFUSED_PARTS = (
    "馬鹿", "阿呆", "死ね", "殺", "ころす", "奴隷", "うんこ", "うんち", "糞", "くそ", "きちがい", "池沼",
    "ちんこ", "ちんちん", "まんこ", "おっぱい", "ちくび", "乳首", "えろ", "へんたい", "変態", "せっくす", "処女",
    "ご主人", "主人", "旦那", "だんな", "だーりん", "彼氏", "彼女", "恋人", "嫁", "ぱぱ", "おにい", "お兄",
    "兄貴", "あにき", "兄様", "にいに", "おじさま", "王子", "飼い主", "お父さん", "おとうさん", "お母さん",
    "おかあさん", "様", "殿", "陛下", "ぺっと",
)  # fmt: skip
TOO_LONG, PERSONAL, UNSAFE, REFUSED, CHARACTERS = (
    "too_long",
    "personal",
    "unsafe",
    "refused_word",
    "characters",
)
_ALLOWED = re.compile(r"^[\w・ー〜~\-.' ]+$")
_FOLDED_NAMES = frozenset(fold(w) for w in REFUSED_NAMES)
_FOLDED_PARTS = tuple(fold(w) for w in REFUSED_PARTS)


def refusal(name: str, raw: str, *, rules, max_chars: int, refused_words: tuple[str, ...] = ()) -> str | None:
    """Why ``name`` (asked for in the raw message ``raw``) is not kept, or None when it may be.

    ``rules``: the character set's safety rules (their sexual and crisis words apply to the name);
    ``refused_words``: more words never taken, matched anywhere in the folded name."""
    if len(name) > max_chars:
        return TOO_LONG
    if safety.has_personal_data(raw) or safety.has_personal_data(name):
        return PERSONAL
    if not _ALLOWED.match(name) or name.isdigit():
        return CHARACTERS
    folded = fold(name)
    if safety.classify(name, rules) is not None:  # the classifier reads raw text
        return UNSAFE
    core = fold(_HONORIFIC.sub("", name)) or folded
    parts = (*_FOLDED_PARTS, *(fold(w) for w in refused_words if fold(w)))
    if core in _FOLDED_NAMES or folded in _FOLDED_NAMES or any(p in folded for p in parts):
        return REFUSED
    return None


# --- the layer ----------------------------------------------------------------------------------
def chosen(
    ctx: TurnContext, text: str, *, max_chars: int, refused_words: tuple[str, ...] = ()
) -> tuple[str | None, str | None]:
    """(the name ``text`` asks for, why it is refused or None); (None, None) when it asks for none."""
    names = tuple(
        n for s in ctx.chars.sisters.values() for n in (*s.persona.nicknames, s.persona.display_name)
    )
    request = find_request(text, sister_names=names)
    if request is None and may_answer_a_question(text):
        last = ctx.reads.history(ctx.user.user_id, ctx.sister, 1)  # did she just ask?
        said = next((t for role, t in reversed(last) if role == "assistant"), None)
        request = find_request(text, last_reply=said, sister_names=names)
    if request is None:
        return None, None
    why = refusal(
        request.name, text, rules=ctx.chars.safety, max_chars=max_chars, refused_words=refused_words
    )
    return request.name, why


class NicknameLayer:
    """「ミカって呼んで」: she confirms with the new name (``lines.nickname_set``), or asks for another.

    Only a message on its own: bubbles merged behind a Layer 2 call are one thought, answered by
    Layer 2, which keeps the nickname they ask for (``core/memory.py``)."""

    name = "nickname"
    counts_as_message = True

    def __init__(self, max_chars: int = 10, refused_words: tuple[str, ...] = ()):
        self.max_chars = max_chars
        self.refused_words = refused_words

    def answer(self, ctx: TurnContext) -> Decision | None:
        if ctx.turn.earlier:
            return None
        name, why = chosen(ctx, ctx.turn.text, max_chars=self.max_chars, refused_words=self.refused_words)
        if name is None:
            return None
        if why is not None:
            return ctx.say_line("nickname_refused", "layer1").record(guard=f"nickname:{why}")
        named = replace(ctx, user=replace(ctx.user, nickname=name))
        decision = named.say_line("nickname_set", "layer1")
        decision.effects.append(SetNickname(ctx.user.user_id, name))
        return decision
