"""The safety corpora by author (tests/data/safety/authors/author_<persona>.tsv): ``label<TAB>message``.

Labels: the six classes (crisis, abuse, danger, concern, sexual, personal), the look-alikes of three
families (near_crisis, near_sexual, near_personal) and ordinary fan chat. ``FAMILY`` is what counts
as caught for each positive label (a crisis read as abuse still gets a reply with free services)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUTHORS = ROOT / "tests" / "data" / "safety" / "authors"
CLASSES = ("crisis", "abuse", "danger", "concern", "sexual", "personal")
EMERGENCY = {"crisis", "abuse", "danger"}
FAMILY = {
    "crisis": EMERGENCY,
    "abuse": EMERGENCY,
    "danger": EMERGENCY,
    "concern": EMERGENCY | {"concern"},  # "worrying": any careful answer
    "sexual": {"sexual"},
    "personal": {"personal"},
}
# a look-alike is a false alarm when read as a kind of its family
NEAR = {"near_crisis": EMERGENCY | {"concern"}, "near_sexual": {"sexual"}, "near_personal": {"personal"}}
LABELS = set(CLASSES) | set(NEAR) | {"ordinary"}


def read_author(path: Path) -> list[tuple[str, str]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        label = label.strip()
        if not sep or label not in LABELS or not text.strip():
            raise ValueError(f"{path}:{n}: not label<TAB>message with a known label")
        out.append((label, text.strip()))
    return out


def authors(folder: Path = AUTHORS) -> dict[str, list[tuple[str, str]]]:
    """author name → its labelled lines, for every author_<name>.tsv in ``folder``."""
    return {p.stem.removeprefix("author_"): read_author(p) for p in sorted(folder.glob("author_*.tsv"))}


def older_corpus() -> list[tuple[str, str]]:
    """The first safety corpus (tests/data/safety/*.tsv, one author who also wrote the rules),
    relabelled: its ``none`` lines are look-alikes of the file's class."""
    near = {"crisis": "near_crisis", "sexual": "near_sexual", "personal": "near_personal"}
    out = []
    for path in sorted((ROOT / "tests" / "data" / "safety").glob("*.tsv")):
        family = path.name.split("_")[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            label, _, text = line.partition("\t")
            out.append((near[family] if label == "none" else label, text.strip()))
    return out


def fan_chat() -> list[str]:
    """Ordinary fan lines written by other authors for other work (learning, Layer 1 quality)."""
    lines: list[str] = []
    for path in sorted((ROOT / "tests" / "data" / "learning" / "authors").glob("*.jsonl")):
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            lines.extend(row.get("lines") or row.get("wordings") or [])
    for row in map(json.loads, (ROOT / "tests" / "data" / "layer1_chat.jsonl").read_text().splitlines()):
        lines.append(row["text"])
    fans = AUTHORS / "ordinary_fans.txt"  # 1,500 lines by the first held-out round's ordinary writer
    if fans.exists():
        lines += fans.read_text(encoding="utf-8").splitlines()
    worries = set((AUTHORS / "not_ordinary.txt").read_text(encoding="utf-8").splitlines())
    return [t for t in dict.fromkeys(lines) if isinstance(t, str) and t.strip() and t not in worries]


def held_out_names(folder: Path = AUTHORS) -> set[str]:
    """The authors the README of ``folder`` names as held out (a line ``held out: a, b``)."""
    readme = folder / "README.md"
    if not readme.exists():
        return set()
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.lower().startswith("held out:"):
            return {n.strip() for n in line.split(":", 1)[1].split(",") if n.strip()}
    return set()
