"""``botan-line check``'s first half: validate every character file, as data the terminal and the console both show.

Each problem is one ``file:line: message`` line, exactly as the loader reports it; ``where`` splits
one for a page that shows the place and the message apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from botan_line.errors import CharacterError

_PLACE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class CheckResult:
    problems: list[str] = field(default_factory=list)  # file:line: message
    summary: list[str] = field(default_factory=list)  # one line per sister when the set loads

    @property
    def ok(self) -> bool:
        return not self.problems


def check_characters(root: Path) -> CheckResult:
    """Load the character set at ``root`` the way the service does — learned.yaml exports checked as
    if imported (``botan-line learned import``) — and say its problems, or what it holds."""
    from botan_line.characters.loader import learned_from_files, load_characters

    try:
        chars = load_characters(root, learned_from_files(root))
    except CharacterError as exc:
        return CheckResult(problems=list(exc.problems))
    summary = []
    for sid, sister in chars.sisters.items():
        stickers = f", {len(sister.stickers.stickers)} stickers" if sister.stickers else ""
        summary.append(
            f"{sid}: {len(sister.patterns)} patterns, "
            f"{sum(len(p.replies) for p in sister.patterns.values())} reply variations{stickers}"
        )
    return CheckResult(summary=summary)


def where(problem: str) -> tuple[str, int | None, str]:
    """``"botan/patterns.yaml:12: unknown field"`` → (file, 12, message); (``""``, None, problem) otherwise."""
    found = _PLACE.match(problem)
    if found is None:
        return "", None, problem
    return found["file"], int(found["line"]), found["message"]
