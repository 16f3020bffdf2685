"""Where a pattern is written: a ledger's ``sister:pattern_id`` → the file and line a writer edits."""

from __future__ import annotations

from pathlib import Path


def pattern_source(chars, pattern: str | None, root: Path) -> str | None:
    """``botan:morning`` → ``botan/greetings.yaml:12`` (relative to ``root`` when inside it), else None
    (fixed persona lines, stickers and commands are not patterns)."""
    sister, _, pattern_id = (pattern or "").partition(":")
    found = chars.sisters[sister].source.get(pattern_id) if sister in chars.sisters else None
    if found is None:
        return None
    path, line = found
    try:
        path = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        pass
    return f"{path}:{line}"
