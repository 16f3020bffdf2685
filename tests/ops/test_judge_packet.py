"""bench/judge_packet.py: a rerun keeps the verdicts of what was judged, and only the rest goes to a reader."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("judge_packet", ROOT / "bench" / "judge_packet.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_rerun_keeps_verdicts_only_where_the_same_answer_met_the_same_line(tmp_path):
    jp = _module()
    before = [
        {"id": 1, "fan": "十八番は？", "sister": "botan", "pattern": "botan:karaoke", "times": 3, "kind": "authored",
         "her_possible_replies": ["カラオケ行きたい〜！"], "verdict": "wrong", "reason": "not an answer"},
        {"id": 2, "fan": "好きな色は？", "sister": "botan", "pattern": "botan:learned_4", "times": 2, "kind": "learned",
         "learned_from": ["好きな色なに", "何色が好き"], "verdict": "appropriate", "reason": ""},
    ]  # fmt: skip
    judged = tmp_path / "judged.jsonl"
    judged.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in before), encoding="utf-8")
    now = [
        # the same line, now answered by other lines: judged again
        {"id": 1, "fan": "十八番は？", "sister": "botan", "pattern": "botan:signature_song", "times": 3,
         "kind": "authored", "her_possible_replies": ["十八番はアゲアゲ系！"]},
        # the same wordings under another id: the verdict stays
        {"id": 2, "fan": "好きな色は？", "sister": "botan", "pattern": "botan:learned_7", "times": 4,
         "kind": "learned", "learned_from": ["何色が好き", "好きな色なに"]},
    ]  # fmt: skip
    kept, fresh = jp.carry(now, [judged])
    assert [i["pattern"] for i in kept] == ["botan:learned_7"] and kept[0]["verdict"] == "appropriate"
    assert kept[0]["times"] == 4 and kept[0]["carried"]
    assert [i["pattern"] for i in fresh] == ["botan:signature_song"] and "verdict" not in fresh[0]
