"""/announce: an admin tells every friend that a stream starts — previewed, priced, confirmed, once.

``/announce <sister> <text>`` answers with the announcement exactly as fans will see it (sent as
her) and what it costs: how many friends it reaches, that every one of them counts against the
month's push quota, and what is left. It keeps a draft for the admin (shared state, so every
worker sees it). ``/announce confirm`` turns the draft into an :class:`Announce` action — the
worker broadcasts it after saving the decision, with the draft's id as LINE's retry key, so a
resend never reaches anyone twice — and consumes the draft in the same transaction, so a second
confirm finds nothing. A draft nobody confirms expires; ``/announce cancel`` drops it at once.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import datetime

from botan_line.core import quota
from botan_line.core.model import Announce, Decision, Outgoing, SetState

DRAFT_KEY = "announce:{admin}"
CONFIRM, CANCEL = ("confirm", "ok", "確定", "送信"), ("cancel", "取消", "やめる", "中止")
MAX_UTF16 = 5000


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


def _expiry_minutes(ctx) -> float:
    cfg = ctx.admin.cfg if ctx.admin is not None else None
    return cfg.line.announce_expiry_minutes if cfg is not None else 10.0


def command(ctx) -> Decision | str:
    """``ctx``: core.commands.CommandContext."""
    arg = ctx.arg.strip()
    if arg.lower() in CONFIRM:
        return confirm(ctx)
    if arg.lower() in CANCEL:
        if _draft(ctx) is None:
            return "確認待ちのお知らせはありません。"
        return ctx.turn.reply(
            "お知らせの下書きを取り消しました。", "command", effects=[SetState(_draft_key(ctx), "")]
        )
    # the body as the admin typed it: commands see an NFKC-folded argument (「！」→「!」, 「…」→「...」)
    parts = ctx.turn.turn.text.strip().split(None, 2)
    sister = unicodedata.normalize("NFKC", parts[1]).lower() if len(parts) > 1 else ""
    text = parts[2].strip() if len(parts) > 2 else ""
    chars = ctx.turn.chars
    if sister not in chars.sisters or not text:
        names = " / ".join(chars.sisters)
        return (
            f"書き方: /announce 姉妹 本文（姉妹は {names}）\n例: /announce botan 今夜21時から配信するよ〜！"
        )
    if len(text.encode("utf-16-le")) // 2 > MAX_UTF16:
        return "本文が長すぎます（LINEの1メッセージは5000文字まで）。"
    return preview(ctx, sister, text)


def _cost_lines(u: quota.PushUsage, recipients: int, exact: bool, now: datetime) -> list[str]:
    who = (
        "友だち全員（ブロック中を除く）"
        if exact
        else "このボットが知っているファン（LINEの友だち数が読めないため推定）"
    )
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


def preview(ctx, sister: str, text: str) -> Decision | str:
    now = ctx.turn.now
    u = quota.usage(ctx.turn.reads, now)
    reach = u.reach
    if reach is None:
        return "LINEからまだ今月の通数を読めていません。数分後にもう一度 /announce してください。"
    recipients, exact = reach
    if recipients <= 0:
        return "送る相手がいません（友だちが0人です）。"
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
        "recipients": recipients,
        "expires_at": now.timestamp() + 60 * minutes,
    }
    summary = "\n".join([
        "📣 お知らせのプレビュー（上のメッセージがそのまま届きます）",
        *_cost_lines(u, recipients, exact, now),
        f"送るには /announce confirm（{minutes:g}分以内）。やめるなら /announce cancel。",
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
    if ctx.turn.now.timestamp() >= float(draft.get("expires_at", 0)):
        return ctx.turn.reply("プレビューから時間が経ったので取り消しました。もう一度 /announce からどうぞ。",
                              "command", effects=[clear])  # fmt: skip
    u = quota.usage(ctx.turn.reads, ctx.turn.now)
    recipients = int(draft.get("recipients") or 0)
    if u.remaining is not None and recipients > u.remaining:
        return ctx.turn.reply(
            f"今月の残り（{u.remaining:,}通）が足りなくなったので送りません。", "command", effects=[clear]
        )
    names = {sid: s.persona.display_name for sid, s in ctx.turn.chars.sisters.items()}
    sister = draft["sister"] if draft.get("sister") in names else ctx.turn.sister
    decision = ctx.turn.reply(
        f"{names[sister]}のお知らせを{recipients:,}人に送ります。", "command", effects=[clear]
    )
    decision.actions.append(
        Announce(draft["id"], sister, draft["text"], retry_key=draft["id"], recipients=recipients)
    )
    return decision
