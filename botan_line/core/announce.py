"""/announce: an admin tells the fans who asked that a stream starts — previewed, priced, confirmed, once.

``/announce <sister> <text>`` answers with the announcement exactly as fans will see it (sent as her)
and what it costs: how many fans it reaches (those who turned notices on: ``/notify on``), that
every one of them counts against the month's push quota, and what is left. ``/announce all …``
reaches every friend by broadcast instead, for the rare notice that needs it; ``/announce at
2026-12-24T20:00 …`` sends it at that time (the bot's timezone, Japan by default, unless an offset is
written). The preview keeps a draft for the admin (shared state, so every worker sees it).
``/announce confirm`` turns the draft into a notice (``ScheduleNotice``) in the same transaction that
consumes the draft, so a second confirm finds nothing; the worker sends it when it is due, by
multicast in batches of ≤ 500 with LINE's retry key per batch (``storage/notices.py``), so a resend
never reaches anyone twice. A draft nobody confirms expires; ``/announce cancel`` drops it at once,
``/announce cancel 3`` a scheduled notice, and ``/announce list`` shows what is scheduled and sent.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from datetime import datetime

from botan_line.core import quota
from botan_line.core.model import CancelNotice, Decision, Outgoing, ScheduleNotice, SetState
from botan_line.core.notices import ALL, OPTIN, SCHEDULED, local_time, parse_when, title_of

DRAFT_KEY = "announce:{admin}"
CONFIRM, CANCEL, LIST = (
    ("confirm", "ok", "確定", "送信"),
    ("cancel", "取消", "やめる", "中止"),
    ("list", "一覧"),
)
MAX_UTF16 = 5000
STATUS_JA = {"scheduled": "予約中", "sending": "送信中", "sent": "送信済み", "cancelled": "取り消し済み",
             "dropped": "時間切れで送らず", "failed": "送信失敗"}  # fmt: skip
USAGE = (
    "書き方: /announce 姉妹 本文（姉妹は {names}）\n例: /announce botan 今夜21時から『マイクラ建築』やるよ〜！\n"
    "時刻を決めて送る: /announce at 2026-12-24T20:00 botan 本文（日本時間）\n"
    "友だち全員に送る: /announce all botan 本文\n予約の確認・取消: /announce list、/announce cancel 番号"
)


def _draft_key(ctx) -> str:
    return DRAFT_KEY.format(admin=ctx.turn.user.user_id)[:80]


def _draft(ctx) -> dict | None:
    raw = ctx.turn.reads.state(_draft_key(ctx))
    if not raw:
        return None
    try:
        draft = json.loads(raw)
    except ValueError:
        return None
    return draft if isinstance(draft, dict) and draft.get("id") else None


def _cfg(ctx):
    return ctx.admin.cfg if ctx.admin is not None else None


def _expiry_minutes(ctx) -> float:
    cfg = _cfg(ctx)
    return cfg.line.announce_expiry_minutes if cfg is not None else 10.0


def _zone(now: datetime) -> str:
    key = getattr(now.tzinfo, "key", "") or str(now.tzinfo)
    return "日本時間" if key in ("Asia/Tokyo", "Japan", "JST") else key


def command(ctx) -> Decision | str:
    """``ctx``: core.commands.CommandContext."""
    arg = ctx.arg.strip()
    word, _, rest = arg.partition(" ")
    if arg.lower() in CONFIRM:
        return confirm(ctx)
    if word.lower() in CANCEL:
        return cancel(ctx, rest.strip())
    if arg.lower() in LIST:
        return listing(ctx)
    names = " / ".join(ctx.turn.chars.sisters)
    try:
        audience, when, sister, text = _parse(ctx)
    except ValueError as exc:
        return f"{exc}\n{USAGE.format(names=names)}"
    if sister not in ctx.turn.chars.sisters or not text:
        return USAGE.format(names=names)
    if len(text.encode("utf-16-le")) // 2 > MAX_UTF16:
        return "本文が長すぎます（LINEの1メッセージは5000文字まで）。"
    if when is not None and when <= ctx.turn.now:
        return f"{local_time(when.timestamp(), when.tzinfo)} はもう過ぎています。これからの時刻を書いてください。"
    return preview(ctx, sister, text, audience, when)


def _parse(ctx) -> tuple[str, datetime | None, str, str]:
    """(audience, when or None, sister, body) from the message as the admin typed it: the body keeps its
    own characters and line breaks (commands see an NFKC-folded argument: 「！」→「!」)."""
    raw = ctx.turn.turn.text.strip()
    spans = list(re.finditer(r"\S+", raw))[1:]  # after /announce
    words = [unicodedata.normalize("NFKC", m.group()).lower() for m in spans]
    audience, when, i = OPTIN, None, 0
    while i < len(words):
        if words[i] == "all":
            audience, i = ALL, i + 1
        elif words[i] == "at":
            when, used = parse_when(words[i + 1 : i + 3], ctx.turn.now.tzinfo)
            i += 1 + used
        else:
            break
    if i >= len(words):
        return audience, when, "", ""
    body = raw[spans[i].end() :].strip()
    return audience, when, words[i], body


def _cost_lines(u: quota.PushUsage, recipients: int, who: str, now: datetime) -> list[str]:
    lines = [f"送り先: {who} {recipients:,}人", f"使う通数: {recipients:,}通（1人1通として数えられます）"]
    read = datetime.fromtimestamp(u.reading.read_at if u.reading else now.timestamp(), now.tzinfo)
    if u.limit is None or u.remaining is None:
        lines.append(f"今月の上限: なし（送った分だけ課金されます）。今月の使用 {u.used:,}通")
    else:
        lines.append(
            f"今月の残り: {u.remaining:,}通 → 送信後 {u.remaining - recipients:,}通"
            f"（上限 {u.limit:,}通、{read:%H:%M}時点のLINEの集計＋その後の送信）"
        )
    return lines


def _reach(ctx, u: quota.PushUsage, audience: str) -> tuple[int, str] | str:
    """(recipients, who they are), or why it cannot be sent."""
    if audience == OPTIN:
        fans = ctx.turn.reads.subscribers()
        if fans <= 0:
            return (
                "配信通知を受け取るファンがまだいません（ファンが /notify on や「配信通知オンにして」で登録します）。"
                "友だち全員に送るなら /announce all 姉妹 本文。"
            )
        return fans, "配信通知をオンにしているファン（マルチキャスト）"
    reach = u.reach
    assert reach is not None  # preview checked the reading
    recipients, exact = reach
    if recipients <= 0:
        return "送る相手がいません（友だちが0人です）。"
    who = (
        "友だち全員（ブロック中を除く・ブロードキャスト）"
        if exact
        else "このボットが知っているファン（LINEの友だち数が読めないため推定・ブロードキャスト）"
    )
    return recipients, who


def preview(
    ctx, sister: str, text: str, audience: str = OPTIN, when: datetime | None = None
) -> Decision | str:
    now = ctx.turn.now
    u = quota.usage(ctx.turn.reads, now)
    if u.reach is None:
        return "LINEからまだ今月の通数を読めていません。数分後にもう一度 /announce してください。"
    reach = _reach(ctx, u, audience)
    if isinstance(reach, str):
        return reach
    recipients, who = reach
    if u.remaining is not None and recipients > u.remaining:
        return (
            f"今月の残りは {u.remaining:,}通で、{recipients:,}人には送れません。"
            "上限を増やすか、来月に送ってください。"
        )
    minutes = _expiry_minutes(ctx)
    draft = {
        "id": str(uuid.UUID(int=ctx.turn.rng.getrandbits(128), version=4)),
        "sister": sister,
        "text": text,
        "audience": audience,
        "due_at": when.timestamp() if when is not None else None,
        "recipients": recipients,
        "expires_at": now.timestamp() + 60 * minutes,
    }
    at = "今すぐ" if when is None else f"{local_time(when.timestamp(), now.tzinfo)}（{_zone(now)}）"
    later = (
        ["（人数は今の数です。送る時点で通知をオンにしているファンに届きます）"]
        if when and audience == OPTIN
        else []
    )
    summary = "\n".join([
        "📣 お知らせのプレビュー（上のメッセージがそのまま届きます）",
        f"送信: {at}",
        *_cost_lines(u, recipients, who, now),
        *later,
        f"確定するには /announce confirm（{minutes:g}分以内）。やめるなら /announce cancel。",
    ])  # fmt: skip
    decision = ctx.turn.reply(
        summary, "command", effects=[SetState(_draft_key(ctx), json.dumps(draft, ensure_ascii=False))]
    )
    decision.messages.insert(0, Outgoing(sister, text))
    return decision


def confirm(ctx) -> Decision | str:
    draft = _draft(ctx)
    if draft is None:
        return "確認待ちのお知らせはありません。先に /announce 姉妹 本文 でプレビューしてください。"
    clear = SetState(_draft_key(ctx), "")
    now = ctx.turn.now
    if now.timestamp() >= float(draft.get("expires_at", 0)):
        return ctx.turn.reply("プレビューから時間が経ったので取り消しました。もう一度 /announce からどうぞ。",
                              "command", effects=[clear])  # fmt: skip
    u = quota.usage(ctx.turn.reads, now)
    recipients = int(draft.get("recipients") or 0)
    if u.remaining is not None and recipients > u.remaining:
        return ctx.turn.reply(
            f"今月の残り（{u.remaining:,}通）が足りなくなったので送りません。", "command", effects=[clear]
        )
    names = {sid: s.persona.display_name for sid, s in ctx.turn.chars.sisters.items()}
    sister = draft["sister"] if draft.get("sister") in names else ctx.turn.sister
    due_at = draft.get("due_at")
    if due_at is not None and float(due_at) <= now.timestamp():
        return ctx.turn.reply("予約の時刻が過ぎてしまったので取り消しました。もう一度 /announce からどうぞ。",
                              "command", effects=[clear])  # fmt: skip
    newest = ctx.turn.reads.notices(1)
    # the next number; two admins confirming in the same instant cannot both have it: the second insert
    # fails with its transaction and the worker decides that confirm again, with the number after
    notice_id = (newest[0].id if newest else 0) + 1
    audience = ALL if draft.get("audience") == ALL else OPTIN
    text = draft["text"]
    scheduled = ScheduleNotice(notice_id, draft["id"], sister, text, title_of(text), audience,
                               float(due_at) if due_at is not None else now.timestamp(),
                               ctx.turn.user.user_id)  # fmt: skip
    if due_at is None:
        said = f"{names[sister]}のお知らせを{recipients:,}人に送ります（#{notice_id}）。"
    else:
        said = (
            f"{names[sister]}のお知らせを{local_time(float(due_at), now.tzinfo)}に送ります（#{notice_id}）。"
            f"やめるなら /announce cancel {notice_id}"
        )
    return ctx.turn.reply(said, "command", effects=[clear, scheduled])


def cancel(ctx, which: str) -> Decision | str:
    """``/announce cancel``: the draft; ``/announce cancel 3``: a scheduled notice."""
    if not which:
        if _draft(ctx) is None:
            return "確認待ちのお知らせはありません。"
        return ctx.turn.reply(
            "お知らせの下書きを取り消しました。", "command", effects=[SetState(_draft_key(ctx), "")]
        )
    try:
        notice_id = int(which.lstrip("#＃"))
    except ValueError:
        return "番号で指定してください（例: /announce cancel 3）。番号は /announce list で確認できます。"
    found = next((n for n in ctx.turn.reads.notices(100) if n.id == notice_id), None)
    if found is None:
        return f"#{notice_id} のお知らせはありません。"
    if found.status != SCHEDULED:
        return f"#{notice_id} はもう{STATUS_JA.get(found.status, found.status)}です。"
    when = local_time(found.due_at, ctx.turn.now.tzinfo)
    return ctx.turn.reply(f"#{notice_id}（{when}の予約）を取り消しました。", "command",
                          effects=[CancelNotice(notice_id, ctx.turn.user.user_id)])  # fmt: skip


def listing(ctx) -> str:
    """What is scheduled, then the latest sent (or dropped) notices."""
    found = ctx.turn.reads.notices(30)
    if not found:
        return "お知らせはまだありません。"
    tz = ctx.turn.now.tzinfo
    names = {sid: s.persona.display_name for sid, s in ctx.turn.chars.sisters.items()}

    def line(n) -> str:
        whom = "全員" if n.audience == ALL else "通知オンのファン"
        count = f"・{n.recipients:,}人" if n.recipients is not None and n.status != SCHEDULED else ""
        body = " ".join(n.text.split())
        body = body[:20] + ("…" if len(body) > 20 else "")
        return (f"#{n.id} {local_time(n.sent_at or n.due_at, tz)} {names.get(n.sister, n.sister)} "
                f"{STATUS_JA.get(n.status, n.status)}（{whom}{count}）「{body}」")  # fmt: skip

    ahead = sorted((n for n in found if n.status in (SCHEDULED, "sending")), key=lambda n: n.due_at)
    done = [n for n in found if n not in ahead][:5]
    lines = ["予約中:", *map(line, ahead)] if ahead else ["予約中のお知らせはありません。"]
    if done:
        lines += ["最近のお知らせ:", *map(line, done)]
    if ahead:
        lines.append("取り消すには /announce cancel 番号")
    return "\n".join(lines)
