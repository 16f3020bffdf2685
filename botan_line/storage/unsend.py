"""Taking a message back (送信取消): every stored copy of its text goes, its figures stay.

LINE's ``unsend`` event names only the message id; every row that keeps a fan's words records the
id of the message it came from (migration 0012), so the text is found without guessing by content:
the conversation history, the facts she kept (and a nickname asked for in it), the ledger's
normalised text (the row's figures stay: cost, layer, tokens), the learning candidates mined from
it (unless another fan still said the same words), and the stored webhook event itself. Her reply
was already sent and stays sent.
"""

from __future__ import annotations

import json

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection

from botan_line.core.model import Unsend
from botan_line.storage.db import candidates, fan_facts, history, inbox, ledger, users

_LEADS = 3  # a trigger form may be its text with a short particle left in front by a removed name cut off


def take_back(conn: Connection, e: Unsend) -> None:
    said = conn.execute(
        select(ledger.c.sister, ledger.c.normalized).where(
            ledger.c.user_id == e.user_id,
            ledger.c.message_id == e.message_id,
            ledger.c.normalized.is_not(None),
        )
    ).all()
    conn.execute(
        update(ledger)
        .where(ledger.c.user_id == e.user_id, ledger.c.message_id == e.message_id)
        .values(normalized=None, reply=None)
    )
    conn.execute(delete(history).where(history.c.user_id == e.user_id, history.c.message_id == e.message_id))
    conn.execute(
        delete(fan_facts).where(fan_facts.c.user_id == e.user_id, fan_facts.c.message_id == e.message_id)
    )
    conn.execute(
        update(users)
        .where(users.c.user_id == e.user_id, users.c.nickname_message_id == e.message_id)
        .values(nickname=None, nickname_message_id=None)
    )
    for sister, text in {(r.sister, r.normalized) for r in said}:
        _out_of_candidates(conn, sister, text)
    _out_of_inbox(conn, e)


def _came_from(form: str, text: str) -> bool:
    return form == text or (text.endswith(form) and 0 < len(text) - len(form) <= _LEADS)


def _out_of_candidates(conn: Connection, sister: str, text: str) -> None:
    """The words leave the candidates mined from them — unless another fan's message still says them
    (then they are that fan's words too). An approved candidate is a learned pattern now: it stays."""
    still = conn.scalar(
        select(ledger.c.id).where(ledger.c.sister == sister, ledger.c.normalized == text).limit(1)
    )
    if still is not None:
        return
    rows = conn.execute(
        select(candidates).where(candidates.c.sister == sister, candidates.c.status != "approved")
    ).all()
    for row in rows:
        members = json.loads(row.members) if row.members else [{"text": row.trigger, "users": row.users}]
        triggers = json.loads(row.triggers) if row.triggers else [row.trigger]
        if text not in {m.get("text") for m in members} and text not in triggers and row.trigger != text:
            continue
        kept = [m for m in members if m.get("text") != text]
        if not kept:
            conn.execute(delete(candidates).where(candidates.c.id == row.id))
            continue
        theirs = {m["text"] for m in kept}
        forms = [f for f in triggers if not _came_from(f, text) or any(_came_from(f, t) for t in theirs)]
        conn.execute(
            update(candidates)
            .where(candidates.c.id == row.id)
            .values(
                trigger=row.trigger if row.trigger != text else kept[0]["text"],
                triggers=json.dumps(forms or [kept[0]["text"]], ensure_ascii=False),
                members=json.dumps(kept, ensure_ascii=False),
                users=max(0, row.users - 1),
            )
        )


def _out_of_inbox(conn: Connection, e: Unsend) -> None:
    """The stored webhook event keeps the message's id and type, not its words."""
    key = (e.chat_id or e.user_id)[:80]
    rows = conn.execute(
        select(inbox.c.id, inbox.c.body).where(
            and_(
                inbox.c.chat_key == key, inbox.c.event_type == "message", inbox.c.body.contains(e.message_id)
            )
        )
    ).all()
    for row in rows:
        try:
            event = json.loads(row.body)
        except ValueError:
            continue
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, dict) or message.get("id") != e.message_id:
            continue
        for field in ("text", "emojis", "mention", "keywords"):
            message.pop(field, None)
        if message.get("type") == "text":
            message["text"] = ""  # LINE's schema wants one: what was written is gone
        conn.execute(
            update(inbox)
            .where(inbox.c.id == row.id)
            .values(body=json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        )
