"""The learned patterns and their candidates in the database: what the service reads and writes.

- ``LearnedSource`` is what every worker's character store polls (the version counter, cheaply) and
  loads: the ``learned_patterns`` table is the source of truth for every worker on every machine.
- ``plan_approval`` / ``write_approval`` (and the rejection pair) are ``/approve`` and ``/reject``:
  checked while the command is decided (would every character file still load with it?), written
  by the ``Approve`` effect in the same transaction as the admin's reply. ``approve``, ``learn`` and
  ``decide_now`` are the same for operator tools.
- Every change bumps ``learned_version`` (what workers poll) and is audited (who, when, what).

Mining, ``learned.yaml`` export and import, and drafting variations are offline work:
``ops/learning.py``.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update

from botan_line.characters.loader import CharacterStore, load_characters
from botan_line.characters.normalize import normalize
from botan_line.core.commands import parse_edit
from botan_line.core.model import Approve, Reject
from botan_line.core.ports import Candidate
from botan_line.errors import CharacterError, LearningError
from botan_line.storage.db import candidates, learned_audit, learned_patterns, learned_version


@dataclass(frozen=True)
class ReviewedCandidate(Candidate):
    """A candidate with what the review shows besides its wordings: the meaning its pattern will match
    by, a few unseen wordings it would answer and the nearest questions it will not (``would`` and
    ``wont``: {"text", "score", "why", "seen"}), and a note for the admin."""

    meaning: dict | None = None
    would: tuple[dict, ...] = ()
    wont: tuple[dict, ...] = ()
    note: str | None = None

    @property
    def threshold(self) -> float | None:
        return self.meaning.get("threshold") if self.meaning else None


def _candidate(row) -> ReviewedCandidate:
    triggers = tuple(json.loads(row.triggers)) if row.triggers else (row.trigger,)
    members = tuple(json.loads(row.members)) if row.members else ({"text": row.trigger, "users": row.users},)
    review = json.loads(row.meaning) if getattr(row, "meaning", None) else {}
    return ReviewedCandidate(
        row.id,
        row.sister,
        row.kind,
        row.pattern_id,
        row.trigger,
        json.loads(row.replies),
        row.users,
        row.status,
        triggers,
        members,
        review.get("meaning"),
        tuple(review.get("would", ())),
        tuple(review.get("wont", ())),
        getattr(row, "note", None),
    )


THRESHOLD_WORDS = re.compile(
    r"^\s*(?:しきい値|閾値|threshold|t)\s*[=:＝：]?\s*([0-9０-９.．]+)\s*$", re.IGNORECASE
)


def threshold_from(replies: list[str] | None) -> tuple[float | None, list[str] | None]:
    """``/approve 12 しきい値0.8 | 返事…``: a first item that sets the pattern's threshold (0.3–1.0,
    higher is stricter), taken out of the replies."""
    if not replies:
        return None, replies
    m = THRESHOLD_WORDS.match(unicodedata.normalize("NFKC", replies[0]))
    if not m:
        return None, replies
    try:
        value = float(m.group(1))
    except ValueError:
        raise LearningError("しきい値は 0.3〜1.0 の数で書いてね（例: しきい値0.8）") from None
    if not 0.3 <= value <= 1.0:
        raise LearningError(
            "しきい値は 0.3〜1.0 の数で書いてね（大きいほど厳しく、言い換えに答えにくくなります）"
        )
    return value, (replies[1:] or None)


def open_candidates(engine: Engine, limit: int = 50) -> list[Candidate]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(candidates)
            .where(candidates.c.status == "open")
            .order_by(candidates.c.users.desc(), candidates.c.id)
            .limit(limit)
        ).all()
    return [_candidate(r) for r in rows]


def get_candidate(engine: Engine, cand_id: int) -> Candidate | None:
    with engine.connect() as conn:
        row = conn.execute(select(candidates).where(candidates.c.id == cand_id)).first()
    return _candidate(row) if row else None


# --- the learned patterns in the database ---------------------------------------------------
class LearnedSource:
    """What a CharacterStore reads: the version counter (cheap) and the learned patterns."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(learned_version.c.version).where(learned_version.c.id == 1)) or 0)

    def load(self) -> tuple[int, dict]:
        with self.engine.connect() as conn:
            version = int(
                conn.scalar(select(learned_version.c.version).where(learned_version.c.id == 1)) or 0
            )
            rows = conn.execute(select(learned_patterns).order_by(learned_patterns.c.id)).all()
        return version, as_files(rows)


def as_files(rows) -> dict[str, tuple[str, dict]]:
    """learned_patterns rows → per sister ("database:learned/<sister>", learned.yaml-shaped dict)."""
    out: dict[str, dict] = {}
    for r in rows:
        data = out.setdefault(r.sister, {"patterns": [], "variations": {}})
        body = json.loads(r.body)
        if r.kind == "variation":
            data["variations"][r.pattern_id] = body["replies"]
        else:
            data["patterns"].append(body)
    return {sister: (f"database:learned/{sister}", data) for sister, data in out.items()}


def _bump(conn: Connection, now: float) -> None:
    """First write of every change: serialises writers (a row lock) and tells every worker."""
    conn.execute(
        update(learned_version)
        .where(learned_version.c.id == 1)
        .values(version=learned_version.c.version + 1, changed_at=now)
    )


def _check(conn: Connection, store: CharacterStore, changes: list[tuple[str, str, str, dict | None]]) -> None:
    """Would the character set still load with these (sister, kind, pattern_id, body|None) changes?"""
    rows = {(r.sister, r.kind, r.pattern_id): r for r in conn.execute(select(learned_patterns)).all()}

    @dataclass
    class _Row:
        sister: str
        kind: str
        pattern_id: str
        body: str

    merged = {k: _Row(r.sister, r.kind, r.pattern_id, r.body) for k, r in rows.items()}
    for sister, kind, pattern_id, body in changes:
        if body is None:
            merged.pop((sister, kind, pattern_id), None)
        else:
            merged[(sister, kind, pattern_id)] = _Row(
                sister, kind, pattern_id, json.dumps(body, ensure_ascii=False)
            )
    try:
        load_characters(store.root, as_files(merged.values()))
    except CharacterError as exc:
        raise LearningError("この変更は適用できません: " + exc.problems[0].split(": ", 1)[-1]) from None


def _write(
    conn: Connection,
    sister: str,
    kind: str,
    pattern_id: str,
    body: dict,
    admin: str,
    now: float,
    *,
    action: str,
    candidate_id: int | None = None,
) -> None:
    text = json.dumps(body, ensure_ascii=False)
    conn.execute(
        delete(learned_patterns).where(
            learned_patterns.c.sister == sister,
            learned_patterns.c.kind == kind,
            learned_patterns.c.pattern_id == pattern_id,
        )
    )
    conn.execute(
        insert(learned_patterns).values(
            sister=sister,
            kind=kind,
            pattern_id=pattern_id,
            body=text,
            candidate_id=candidate_id,
            approved_by=admin,
            approved_at=now,
        )
    )
    conn.execute(
        insert(learned_audit).values(
            at=now,
            admin=admin,
            action=action,
            sister=sister,
            pattern_id=pattern_id,
            candidate_id=candidate_id,
            detail=text,
        )
    )


def _version(conn: Connection) -> int:
    return int(conn.scalar(select(learned_version.c.version).where(learned_version.c.id == 1)) or 0)


def _open(conn: Connection, cand_id: int) -> ReviewedCandidate:
    row = conn.execute(select(candidates).where(candidates.c.id == cand_id)).first()
    if row is None or row.status != "open":
        raise LearningError(f"候補 #{cand_id} は見つからないか、すでに処理済みです")
    return _candidate(row)


def plan_approval(
    conn: Connection,
    store: CharacterStore,
    cand_id: int,
    admin: str,
    *,
    replies: list[str] | None = None,
    add: bool = False,
) -> Approve:
    """What approving candidate ``cand_id`` will write, checked: the whole character set still loads
    with it. Only reads; raises LearningError with a message for the admin.

    ``replies``: the admin's own text, replacing the candidate's, or added to them with ``add``.
    The result is the ``Approve`` effect ``write_approval`` applies (in the decision's transaction,
    for /approve) as long as no other change of the learned patterns came in between."""
    version = _version(conn)
    cand = _open(conn, cand_id)
    threshold, replies = threshold_from(replies)
    if not (replies or cand.replies):
        raise LearningError(
            f"#{cand_id} には返事がありません。/approve {cand_id} 返事 | 返事 で書いてください"
        )
    lines = (
        [*cand.replies, *(r for r in replies or [] if r not in cand.replies)]
        if add
        else (replies or cand.replies)
    )
    body: dict[str, object]
    if cand.kind == "variation":
        if cand.pattern_id is None:  # a variation extends a pattern (``vary`` always names it)
            raise LearningError(f"候補 #{cand_id} には元のパターンがありません")
        old = conn.execute(
            select(learned_patterns.c.body).where(
                learned_patterns.c.sister == cand.sister,
                learned_patterns.c.kind == "variation",
                learned_patterns.c.pattern_id == cand.pattern_id,
            )
        ).scalar()
        known = json.loads(old)["replies"] if old else []
        key, body = cand.pattern_id, {"replies": [*known, *(r for r in lines if r not in known)]}
    else:
        key = f"learned_{cand.id}"
        body = {
            "id": key,
            "category": "learned",
            "triggers": [{"exact": list(cand.triggers)}],
            "replies": lines,
        }
        if cand.meaning and cand.meaning.get("concepts"):
            body["meaning"] = {**cand.meaning, **({"threshold": threshold} if threshold else {})}
        if cand.pattern_id and not replies:  # more wordings of one of hers: her lines for it, kept current
            body["same_as"] = cand.pattern_id
    _check(conn, store, [(cand.sister, cand.kind, key, body)])
    return Approve(cand.id, admin, cand.sister, cand.kind, key, json.dumps(body, ensure_ascii=False),
                   tuple(lines), version)  # fmt: skip


def write_approval(conn: Connection, plan: Approve, now: float) -> None:
    """Write a checked approval in the caller's transaction — unless the learned patterns changed
    since it was checked, or the candidate was decided meanwhile: then LearningError (roll back and
    plan again). The version counter's compare-and-set is also what tells every worker."""
    bumped = conn.execute(
        update(learned_version)
        .where(learned_version.c.id == 1, learned_version.c.version == plan.version)
        .values(version=learned_version.c.version + 1, changed_at=now)
    )
    if bumped.rowcount != 1:
        raise LearningError("ほかの変更と重なりました。もう一度どうぞ")
    decided = conn.execute(
        update(candidates)
        .where(candidates.c.id == plan.candidate_id, candidates.c.status == "open")
        .values(status="approved", decided_at=now, decided_by=plan.admin,
                replies=json.dumps(list(plan.replies), ensure_ascii=False))
    )  # fmt: skip
    if decided.rowcount != 1:
        raise LearningError(f"候補 #{plan.candidate_id} は見つからないか、すでに処理済みです")
    _write(conn, plan.sister, plan.kind, plan.pattern_id, json.loads(plan.body), plan.admin, now,
           action="approve", candidate_id=plan.candidate_id)  # fmt: skip


def approve(
    conn: Connection,
    store: CharacterStore,
    cand_id: int,
    admin: str,
    *,
    replies: list[str] | None = None,
    add: bool = False,
    now: float | None = None,
) -> Candidate:
    """Approve candidate ``cand_id`` in the caller's transaction (operator tools): lock the learned
    patterns first (so concurrent approvers queue up instead of failing), then plan and write."""
    now = time.time() if now is None else now
    _bump(conn, now)
    plan = plan_approval(conn, store, cand_id, admin, replies=replies, add=add)
    write_approval(conn, plan, now)
    return _candidate(conn.execute(select(candidates).where(candidates.c.id == cand_id)).one())


def plan_rejection(conn: Connection, cand_id: int, admin: str) -> Reject:
    """Check that candidate ``cand_id`` is open; the ``Reject`` effect ``write_rejection`` applies."""
    _open(conn, cand_id)
    return Reject(cand_id, admin)


def write_rejection(conn: Connection, plan: Reject, now: float) -> None:
    done = conn.execute(
        update(candidates)
        .where(candidates.c.id == plan.candidate_id, candidates.c.status == "open")
        .values(status="rejected", decided_at=now, decided_by=plan.admin)
    )
    if done.rowcount != 1:
        raise LearningError(f"候補 #{plan.candidate_id} は見つからないか、すでに処理済みです")


def reject(conn: Connection, cand_id: int, admin: str, now: float | None = None) -> Candidate:
    cand = _open(conn, cand_id)
    write_rejection(conn, Reject(cand_id, admin), time.time() if now is None else now)
    return cand


def decide_now(
    engine: Engine,
    store: CharacterStore,
    cand_id: int,
    admin: str,
    *,
    approve_it: bool,
    edit: str | None = None,
) -> Candidate:
    """One transaction for an approval or rejection, then this process reloads at once (the others
    within their next version check)."""
    replies, add = parse_edit(edit)
    with engine.begin() as conn:
        if approve_it:
            cand = approve(conn, store, cand_id, admin, replies=replies, add=add)
        else:
            cand = reject(conn, cand_id, admin)
    if approve_it:
        store.reload()
    return cand


def learn(
    engine: Engine, store: CharacterStore, sister: str, trigger: str, replies: list[str], admin: str
) -> str:
    """Add a reviewed pattern directly (the admin wrote it). Returns the new pattern id."""
    if sister not in store.current.sisters:
        raise LearningError(f"{sister} という姉妹はいません（{' / '.join(store.current.sisters)}）")
    folded = normalize(trigger).text
    if not folded or not replies:
        raise LearningError("書き方: /learn <姉妹> <きっかけの言葉> => <返事>（返事は | で複数可）")
    now = time.time()
    with engine.begin() as conn:
        cand_id = conn.execute(
            insert(candidates)
            .values(
                sister=sister,
                kind="pattern",
                trigger=folded,
                triggers=json.dumps([folded], ensure_ascii=False),
                replies=json.dumps(replies, ensure_ascii=False),
                users=0,
                status="open",
                created_at=now,
            )
            .returning(candidates.c.id)
        ).scalar_one()
    try:
        decide_now(engine, store, cand_id, admin, approve_it=True)
    except LearningError:
        with engine.begin() as conn:
            reject(conn, cand_id, admin)
        raise
    return f"learned_{cand_id}"
