"""Flex cards for admins on a phone: the report (key figures, layer shares as bars, pushes against
the quota) and the learning candidates (one bubble each, with approve and reject buttons).

Pure functions: figures in, ``(alt_text, container)`` out, where the container is Flex Message JSON
(``FlexBubble`` / ``FlexCarousel`` of LINE's Messaging API) and the alt text is what a notification
and a client without Flex show.
"""

from __future__ import annotations

from collections.abc import Sequence

from botan_line.core.model import LAYERS
from botan_line.core.quota import PushUsage
from botan_line.core.stats import Report

GREY, INK, ACCENT, WARN = "#8c8c8c", "#333333", "#d6457a", "#e03131"
LAYER_BARS = tuple((n.key, n.label_ja, n.color) for n in LAYERS.values() if n.message)
MAX_ALT = 400
MAX_BUBBLES = 10


def _text(text: str, **style) -> dict:
    return {"type": "text", "text": text or " ", "wrap": True, **style}


def _row(label: str, value: str, color: str = INK) -> dict:
    return {"type": "box", "layout": "horizontal", "contents": [
        _text(label, size="sm", color=GREY, flex=4),
        _text(value, size="sm", color=color, align="end", weight="bold", flex=5),
    ]}  # fmt: skip


def bar(share: float, color: str) -> dict:
    """A horizontal bar ``share`` (0..1) full: LINE's progress-bar pattern (a box inside a box)."""
    pct = max(0, min(100, round(share * 100)))
    inner = {"type": "box", "layout": "vertical", "contents": [{"type": "filler"}],
             "width": f"{max(pct, 1)}%", "height": "8px", "backgroundColor": color if pct else "#e9ecef"}  # fmt: skip
    return {"type": "box", "layout": "vertical", "contents": [inner], "height": "8px",
            "backgroundColor": "#e9ecef", "cornerRadius": "4px", "flex": 6, "margin": "sm"}  # fmt: skip


def _bar_row(label: str, share: float, color: str) -> dict:
    return {"type": "box", "layout": "horizontal", "alignItems": "center", "spacing": "sm", "contents": [
        _text(label, size="xs", color=GREY, flex=3, wrap=False),
        bar(share, color),
        _text(f"{share:.0%}", size="xs", color=INK, align="end", flex=2, wrap=False),
    ]}  # fmt: skip


def _yen(value: float) -> str:
    return f"¥{value:,.0f}" if value >= 100 else f"¥{value:,.2f}"


def push_text(u: PushUsage) -> str:
    if u.reading is None:
        return f"{u.counted:,}通（上限は未取得）"
    if u.limit is None:
        return f"{u.used:,}通（上限なし）"
    return f"{u.used:,} / {u.limit:,}通"


def stats_card(
    report: Report, names: dict[str, str], pushes: PushUsage, period: str, retiring: Sequence[str] = ()
) -> tuple[str, dict]:
    """The report as one bubble; the alt text carries the same key figures in one line.
    ``retiring``: a line per configured model that shuts down soon (shown first, in the alt text too)."""
    f = report.overall
    share = pushes.share
    alt = (
        f"📊 {report.label}: メッセージ {f.messages:,}件、Layer1 {f.share('layer1'):.0f}%、"
        f"費用 {_yen(f.yen)}、削減 {f.reduction:.0f}%、プッシュ {push_text(pushes)}"
    )
    alt = "\n".join([*retiring, alt])
    body: list[dict] = [_text(line, size="xs", color=WARN) for line in retiring]
    body += [
        _row("メッセージ", f"{f.messages:,}件"),
        _row("コマンド", f"{f.commands:,}件"),
        _row("AI費用", _yen(f.yen)),
        _row("全部strongなら", _yen(f.all_strong_yen)),
        _row("削減率", f"{f.reduction:.1f}%", ACCENT),
        {"type": "separator", "margin": "md"},
        _text("応答の内訳", size="xs", color=GREY, margin="md"),
    ]
    body += [_bar_row(label, f.share(key) / 100, color) for key, label, color in LAYER_BARS]
    if f.fixed:
        body.append(_row("AIの代わりの定型文", f"{f.fixed:,}件（削減に含めず）", WARN))
    body += [
        {"type": "separator", "margin": "md"},
        _text("プッシュ（今月）", size="xs", color=GREY, margin="md"),
    ]
    body.append(_row("使用", push_text(pushes), WARN if share is not None and share >= 0.8 else INK))
    if share is not None:
        body.append(_bar_row("上限比", min(share, 1.0), WARN if share >= 0.8 else "#7048e8"))
    if report.sisters:
        body += [{"type": "separator", "margin": "md"}, _text("姉妹別", size="xs", color=GREY, margin="md")]
        for sid, s in report.sisters.items():
            body.append(
                _row(names.get(sid, sid), f"{s.messages:,}件・L1 {s.share('layer1'):.0f}%・{_yen(s.yen)}")
            )
    bubble = {
        "type": "bubble",
        "size": "mega",
        "header": {"type": "box", "layout": "vertical", "contents": [
            _text(f"📊 {report.label}", weight="bold", size="lg", color=INK),
            _text("利用状況とコスト", size="xs", color=GREY),
        ]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [
            _button("テキストで", f"/stats {period} text"),
            _button("今月", "/stats month"),
        ]},
    }  # fmt: skip
    return alt[:MAX_ALT], bubble


def _button(label: str, text: str, style: str = "link") -> dict:
    return {"type": "button", "style": style, "height": "sm",
            "action": {"type": "message", "label": label, "text": text}}  # fmt: skip


STRICTER = 0.9  # the 厳しめ button: answer only wordings the question explains almost wholly


def _meaning_lines(c) -> list[dict]:
    """What approving a question pattern will catch: a few unseen wordings it would answer, the
    nearest different questions it will not (with why), its threshold and a note for the admin."""
    out = []
    if getattr(c, "note", None):
        out.append(_text(f"⚠ {c.note[:90]}", size="xs", color=WARN))
    meaning = getattr(c, "meaning", None)
    if not meaning:
        return out
    out.append(_text(f"言い換えにも答えます（しきい値 {meaning.get('threshold', 0.75):g}）", size="xs", color=GREY,
                     margin="md"))  # fmt: skip
    out += [_text(f"○「{w['text'][:30]}」", size="xs", color=INK) for w in getattr(c, "would", ())[:2]]
    out += [
        _text(f"×「{w['text'][:30]}」 {w['why'][:24]}", size="xs", color=GREY)
        for w in getattr(c, "wont", ())[:2]
    ]
    return out


def candidates_card(found, names: dict[str, str]) -> tuple[str, dict]:
    """One bubble per candidate (at most ten), each with 承認 and 却下 buttons that send the command."""
    shown = list(found)[:MAX_BUBBLES]
    bubbles = []
    for c in shown:
        what = f"「{c.trigger[:60]}」" if c.kind == "pattern" else f"{c.pattern_id} の言い換え"
        replies = [_text(f"→ {r[:80]}", size="sm", color=INK) for r in c.replies[:3]]
        replies += _meaning_lines(c)
        bubbles.append({
            "type": "bubble",
            "size": "kilo",
            "header": {"type": "box", "layout": "vertical", "contents": [
                _text(f"#{c.id} {names.get(c.sister, c.sister)}", weight="bold", color=ACCENT),
                _text(f"{c.users}人が送った言葉" if c.users else "追加の候補", size="xs", color=GREY),
            ]},
            "body": {"type": "box", "layout": "vertical", "spacing": "sm",
                     "contents": [_text(what, weight="bold", size="sm"), *replies]},
            "footer": {"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [
                _button("承認", f"/approve {c.id}", "primary"),
                _button("却下", f"/reject {c.id}", "secondary"),
                *([_button("厳しめ", f"/approve {c.id} しきい値{STRICTER:g}")] if getattr(c, "meaning", None) else []),
            ]},
        })  # fmt: skip
    heads = "、".join(
        (f"#{c.id}「{c.trigger[:12]}」" if c.kind == "pattern" else f"#{c.id} {c.pattern_id}")
        + (f"{c.users}人" if c.users else "")
        for c in shown
    )
    alt = f"承認待ちの候補 {len(shown)}件: {heads}"
    return alt[:MAX_ALT], {"type": "carousel", "contents": bubbles}
