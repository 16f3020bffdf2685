"""The console's review page as data: open candidates, the weakest patterns, and the admin command text.

Approving and rejecting are never done here: the console sends the command an admin would type in
LINE (``/approve 12``, ``/approve 12 返事 | 返事``, ``/approve 12 + 追加の返事``, ``/reject 12``) through
the conversation core as an admin, so whatever ``/approve`` does, the console does. This module only
writes that text and reads the candidates through the same ``AdminTools`` the commands are bound to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botan_line.characters.where import pattern_source

SEPARATORS = ("|", "｜")  # how /approve separates replies
ADD_MARKS = ("+", "＋")  # a leading one adds to the candidate's replies instead of replacing them


class ReviewError(ValueError):
    """An edit that /approve could not read as meant; the message is safe to show."""


def approve_command(cand_id: int, replies: list[str], original: list[str], threshold: str | None = None,
                    default: float | None = None) -> str:  # fmt: skip
    """The ``/approve`` an admin would type for these replies (one per list item, blanks ignored):
    the bare command when unchanged, ``+ new | …`` when replies were only added at the end, else the
    whole new list; ``しきい値0.85`` first when the admin changed the pattern's threshold."""
    command = _approve_replies(cand_id, replies, original)
    value = _threshold(threshold)
    if value is None or (default is not None and abs(value - default) < 1e-9):
        return command
    head, _, rest = command.partition(f"/approve {cand_id}")
    rest = rest.strip()
    if rest.startswith("+"):
        return f"/approve {cand_id} + しきい値{value:g} | {rest[1:].strip()}"
    return f"/approve {cand_id} しきい値{value:g}" + (f" | {rest}" if rest else "")


def _threshold(text: str | None) -> float | None:
    if text is None or not str(text).strip():
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ReviewError("the threshold is a number from 0.3 to 1.0") from None
    if not 0.3 <= value <= 1.0:
        raise ReviewError(
            "the threshold is a number from 0.3 to 1.0 (higher: stricter, fewer wordings answered)"
        )
    return value


def _approve_replies(cand_id: int, replies: list[str], original: list[str]) -> str:
    replies = [r.strip() for r in replies if r.strip()]
    original = [r.strip() for r in original]
    if not replies:
        raise ReviewError("keep at least one reply (or reject the candidate)")
    for reply in replies:
        if any(sep in reply for sep in SEPARATORS):
            raise ReviewError(f"a reply cannot contain | (it separates replies in /approve): {reply[:40]}")
    if replies == original:
        return f"/approve {cand_id}"
    if len(replies) > len(original) and replies[: len(original)] == original:
        return f"/approve {cand_id} + " + " | ".join(replies[len(original) :])
    if replies[0].startswith(ADD_MARKS):
        raise ReviewError("the first reply cannot start with + (that would add instead of replace)")
    return f"/approve {cand_id} " + " | ".join(replies)


def reject_command(cand_id: int) -> str:
    return f"/reject {cand_id}"


def open_candidates(admin, limit: int = 50) -> list:
    """Mine, then the open candidates, most asked first, through ``AdminTools.candidates``.

    A version of ``candidates`` that also says whether mining finished returns ``(found, mined)``;
    either shape is read here, so this is the one line to change when that lands."""
    found = admin.candidates(limit)
    return list(found[0] if isinstance(found, tuple) else found)


@dataclass(frozen=True)
class WeakPattern:
    pattern: str  # sister:pattern_id
    uses: int
    followed: int  # uses after which the fan wrote again within the report's window
    percent: float
    source: str | None  # file:line to edit


def weakest(report, chars, root: Path) -> list[WeakPattern]:
    """The report's weakest Layer 1 patterns (fewest fans writing back), each with where it is written."""
    return [
        WeakPattern(w.pattern, w.uses, w.followed, w.percent, pattern_source(chars, w.pattern, root))
        for w in report.overall.weakest
    ]
