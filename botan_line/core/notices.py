"""Notices to fans, as the core knows them: when one is due, what it is called, and what she remembers.

A confirmed ``/announce`` is kept as a notice (``ScheduleNotice``) and sent by the worker when it is
due — at once, or at the time the admin gave (``parse_when``: the bot's timezone, Japan by default,
unless an offset is written). A notice whose time passed while the service was down goes out late
only within the grace (``line.notice_grace_minutes``), otherwise it is dropped and the admins are
told (``due``). Once sent, the sisters remember it for ``line.notice_memory_hours``: Layer 2 reads
what it announced (``stream_note``, a system message after her cached fixed part) and Layer 1's
stream lines name it (``stream_title`` fills ``{stream}``). The core only reads notices
(``Reads.remembered_notices``, ``Reads.notices``); the worker writes and sends them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

OPTIN, ALL = "optin", "all"  # multicast to the fans who asked / broadcast to every friend
SCHEDULED, SENDING, SENT, CANCELLED, DROPPED, FAILED = (
    "scheduled", "sending", "sent", "cancelled", "dropped", "failed",
)  # fmt: skip
SEND, WAIT, DROP = "send", "wait", "drop"
MAX_TITLE = 40


class NoticeChanged(Exception):
    """A notice changed between deciding and writing (another worker started sending it)."""


@dataclass(frozen=True)
class NoticeInfo:
    """One notice as the core reads it."""

    id: int
    sister: str
    text: str
    title: str | None
    audience: str  # optin | all
    due_at: float
    status: str  # scheduled | sending | sent | cancelled | dropped | failed
    sent_at: float | None = None
    recipients: int | None = None
    remember_until: float | None = None
    error: str | None = None  # why it was dropped, failed or is being retried (never a fan's words)


# --- what a notice is called ---------------------------------------------------------------------
_BRACKETS = (("『", "』"), ("【", "】"), ("「", "」"))  # in the order a title is looked for
_LABELS = {
    "お知らせ", "告知", "予告", "配信告知", "配信予定", "重要", "拡散希望", "緊急", "定期", "急告", "速報",
    "本日", "今夜", "今日", "明日", "予定", "報告", "ご報告", "告知です",
}  # fmt: skip


def title_of(text: str) -> str | None:
    """The stream's name in a notice: the first 『…』, else the first 【…】 that is not a label such as
    【お知らせ】, else the first 「…」; None when the notice names none."""
    for left, right in _BRACKETS:
        for found in re.finditer(f"{left}([^{left}{right}\n]{{1,{MAX_TITLE}}}){right}", text):
            title = found.group(1).strip()
            if title and title not in _LABELS:
                return title
    return None


# --- when --------------------------------------------------------------------------------------------
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?$")


def parse_when(words: list[str], tz: tzinfo) -> tuple[datetime, int]:
    """The time at the front of ``words`` (``2026-12-24T20:00``, ``2026-12-24 20:00``, with an optional
    offset such as ``+09:00`` or ``Z``; without one, ``tz``) and how many words it took.
    ValueError with a message an admin can act on when it is not a time."""
    if not words:
        raise ValueError("時刻がありません")
    text, used = words[0], 1
    if "T" not in text.upper() and len(words) > 1 and _TIME.match(words[1]):
        text, used = f"{text}T{words[1]}", 2
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"時刻が読めません: {text[:30]}") from None
    if len(text) <= 10:  # a date alone is not a time to send at
        raise ValueError(f"時刻がありません: {text[:30]}（例: 2026-12-24T20:00）")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz), used


def due(due_at: float, now: float, grace_seconds: float, started: bool) -> str:
    """What the worker does with a notice: ``send`` it, ``wait`` (not yet due), or ``drop`` it (its time
    passed longer than the grace ago, while nobody could send it). One already started is finished."""
    if now < due_at:
        return WAIT
    if started or now - due_at <= grace_seconds:
        return SEND
    return DROP


def local_time(ts: float, tz: tzinfo | None) -> str:
    """「12月24日(木) 20:00」."""
    when = datetime.fromtimestamp(ts, tz)
    return f"{when.month}月{when.day}日({'月火水木金土日'[when.weekday()]}) {when:%H:%M}"


# --- what she remembers ------------------------------------------------------------------------------
def remembered(reads, now: datetime) -> list[NoticeInfo]:
    """Notices sent recently enough that the sisters still know what they announced, newest first."""
    return reads.remembered_notices(now.timestamp())


def stream_title(reads, sister: str, now: datetime) -> str | None:
    """The name of the stream her own latest remembered notice announced (``{stream}``), if it named one."""
    mine = [n for n in remembered(reads, now) if n.sister == sister]
    return mine[0].title if mine and mine[0].title else None


def _day_word(then: datetime, now: datetime) -> str:
    days = (now.date() - then.date()).days
    return {0: "今日", 1: "昨日", 2: "おととい"}.get(days, f"{days}日前")


def stream_note(reads, chars, sister: str, now: datetime) -> str | None:
    """The system message after her fixed part: what the recent notices announced (hers first), or None.

    The same bytes for every fan (it changes when a notice is sent or forgotten, and at midnight), so
    the provider's cache keeps serving her fixed part and this note together."""
    found = remembered(reads, now)
    if not found:
        return None
    names = {sid: s.persona.display_name for sid, s in chars.sisters.items()}
    found = sorted(found, key=lambda n: n.sister != sister)  # hers first, each newest first
    lines = []
    for n in found[:3]:
        sent = datetime.fromtimestamp(n.sent_at or n.due_at, now.tzinfo)
        who = f"{names.get(n.sister, n.sister)}{'（あなた）' if n.sister == sister else ''}"
        named = f"（配信名: 『{n.title}』）" if n.title else ""
        text = " ".join(n.text.split())[:300]
        lines.append(
            f"・{who}が{local_time(sent.timestamp(), now.tzinfo)}（{_day_word(sent, now)}）に送ったお知らせ{named}：{text}"
        )
    return (
        "最近ファンに送ったお知らせ（配信の話が出たら、これを知っている前提で自然に話す。"
        "書かれていないことは作らない）\n" + "\n".join(lines)
    )
