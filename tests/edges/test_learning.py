"""The learning loop: mining (paraphrases grouped), PII exclusion, approvals into the database, offline variations."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ADMIN

from botan_line.adapters.openai_api import LLM
from botan_line.characters.loader import load_characters
from botan_line.core.safety import has_personal_data
from botan_line.ops import learning
from botan_line.storage import learned
from botan_line.wiring import CHECK_SECONDS

REPO = Path(__file__).resolve().parents[2]
QUESTION = "推しの配信が終わっちゃって寂しいんだけど、どうしたらいい？"
ANSWERS = [
    "わかる〜！推しロスってマジしんどいよね。アーカイブ見返そ！",
    "それな〜、あたしも配信終わりは寂しくなる！次の配信まで一緒に待と？",
    "寂しいのは推しが好きな証拠じゃん！感想とか書いてみたら？",
]


def ask(bot, users, text=QUESTION, start=0):
    for i, user in enumerate(users, start):
        bot.ai.queue(ANSWERS[i % len(ANSWERS)])
        bot.say(text, user=user)


def learned_rows(engine):
    from sqlalchemy import select

    from botan_line.storage.db import learned_patterns

    with engine.connect() as conn:
        return conn.execute(select(learned_patterns).order_by(learned_patterns.c.id)).all()


def test_a_message_from_three_users_becomes_a_candidate_and_approval_makes_it_layer1(bot):
    ask(bot, ["Ua", "Ub"])
    assert "候補はありません" in bot.say("/candidates", user=ADMIN)  # two users: not yet
    ask(bot, ["Uc"], start=2)
    listing = bot.say("/candidates text", user=ADMIN)
    cand_id = int(re.search(r"#(\d+)", listing).group(1))
    assert "3人" in listing
    assert "承認しました" in bot.say(f"/approve {cand_id}", user=ADMIN)
    bot.clock.advance(CHECK_SECONDS)  # every process looks at the learned patterns' version this often
    (row,) = learned_rows(bot.services.engine)
    assert row.approved_by == ADMIN and row.pattern_id == f"learned_{cand_id}"
    assert not (
        bot.services.settings.characters_dir / "botan" / "learned.yaml"
    ).exists()  # the database holds it
    calls = len(bot.ai.calls())
    reply = bot.say(QUESTION, user="Ud")
    assert reply in ANSWERS
    assert bot.last().layer == "layer1" and bot.last().pattern == f"botan:learned_{cand_id}"
    assert len(bot.ai.calls()) == calls  # free from now on


def test_threshold_is_configurable(make_bot, sqlite_url):
    from botan_line.config import BotConfig

    bot = make_bot(sqlite_url, config=BotConfig.model_validate({"learning": {"min_distinct_users": 2}}))
    ask(bot, ["Ua", "Ub"])
    assert "#" in bot.say("/candidates", user=ADMIN)


def test_one_user_asking_three_times_is_not_enough(sbot):
    ask(sbot, ["Ua", "Ua", "Ua"])
    assert "候補はありません" in sbot.say("/candidates", user=ADMIN)


@pytest.mark.parametrize(
    "text",
    [
        "電話番号は090-1234-5678だけど、かけてくれる？",
        "メールはfan@example.comだよ、連絡してくれる？",
        "東京都新宿区西新宿2-8-1に住んでるんだけど近い？",
        "私の名前は山田花子です、覚えてくれる？",
    ],
)
def test_messages_with_personal_data_never_become_candidates(sbot, text):
    assert has_personal_data(text)
    ask(sbot, ["Ua", "Ub", "Uc"], text=text)
    assert "候補はありません" in sbot.say("/candidates", user=ADMIN)
    assert all(row.normalized is None for row in sbot.ledger() if row.layer == "layer2")


@pytest.mark.parametrize("text", ["推しの配信が楽しみ", "今日は雨だね", "ゲームで負けた"])
def test_ordinary_messages_are_not_personal_data(text):
    assert not has_personal_data(text)


def test_rejected_and_failed_outputs_are_never_learned(sbot):
    for user in ("Ua", "Ub", "Uc"):
        sbot.ai.queue("（牡丹らしく）えー！")
        sbot.ai.queue("出力: えー！")
        sbot.say(QUESTION, user=user)
    assert "候補はありません" in sbot.say("/candidates", user=ADMIN)


def test_reject_means_never_proposed_again(sbot):
    ask(sbot, ["Ua", "Ub", "Uc"])
    cand_id = int(re.search(r"#(\d+)", sbot.say("/candidates text", user=ADMIN)).group(1))
    assert "却下" in sbot.say(f"/reject {cand_id}", user=ADMIN)
    ask(sbot, ["Ud"])
    assert "候補はありません" in sbot.say("/candidates", user=ADMIN)
    assert learned_rows(sbot.services.engine) == []


def test_learn_adds_a_pattern_the_next_message_matches(sbot):
    reply = sbot.say(
        "/learn kasho 推し活 => 推し活、素敵だと思います。 | 応援する気持ちは大切ですね。", user=ADMIN
    )
    assert "learned_" in reply
    sbot.say("/kasho")
    assert sbot.say("推し活！") in ("推し活、素敵だと思います。", "応援する気持ちは大切ですね。")
    assert sbot.last().layer == "layer1"
    load_characters(sbot.services.settings.characters_dir)  # still a valid set


def test_learn_refuses_a_trigger_another_pattern_claims_and_leaves_the_database_intact(sbot):
    sbot.say("/learn botan ためし => ためしだよ！", user=ADMIN)
    before = learned_rows(sbot.services.engine)
    reply = sbot.say("/learn botan おはよう => おは！", user=ADMIN)  # おはよう belongs to `morning`
    assert "適用できません" in reply
    assert learned_rows(sbot.services.engine) == before


def test_concurrent_approvals_all_land_and_the_set_still_loads(sbot):
    engine, store = sbot.services.engine, sbot.services.characters
    ids = []
    for i in range(8):
        ids.append(learned.learn(engine, store, "yuri", f"じっけんばんごう{i}", [f"実験{i}…かも"], ADMIN))
    # now approve many candidates from several threads at once
    from sqlalchemy import insert

    from botan_line.storage.db import candidates

    with engine.begin() as conn:
        new = [
            conn.execute(
                insert(candidates)
                .values(
                    sister="botan",
                    kind="pattern",
                    trigger=f"へいれつ{i}",
                    replies=f'["並列{i}だよ！", "並列{i}じゃん！"]',
                    users=3,
                    status="open",
                    created_at=0,
                )
                .returning(candidates.c.id)
            ).scalar_one()
            for i in range(10)
        ]
    errors = []

    def approve(cid):
        try:
            learned.decide_now(engine, store, cid, ADMIN, approve_it=True)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(cid,)) for cid in new]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store.reload()
    assert all(store.current.pattern("botan", f"learned_{cid}") for cid in new)
    assert len(ids) == 8 and all(store.current.pattern("yuri", pid) for pid in ids)


def test_vary_keeps_only_guard_passing_meaning_keeping_new_lines(sbot):
    chars = sbot.services.characters.current
    original = chars.pattern("botan", "morning").replies
    sbot.ai.queue("おはよ〜！今日もいっしょにがんばろ〜ね！")  # a faithful paraphrase
    sbot.ai.queue("こんにちは！今日もがんばろ！")  # the meaning drifted: a morning greeting became こんにちは
    sbot.ai.queue("（牡丹らしく）おはよ！")  # a label leak
    sbot.ai.queue(original[3])  # the very line it was asked to vary
    llm = LLM("k", sbot.ai.url + "/v1", timeout=5, max_retries=0)
    result = learning.vary(
        sbot.services.engine,
        sbot.services.characters,
        llm,
        model="gpt-4o-mini",
        sister="botan",
        pattern_id="morning",
        n=4,
    )
    assert result["kept"] == ["おはよ〜！今日もいっしょにがんばろ〜ね！"]
    assert sum(result["rejected"].values()) == 3
    assert result["rejected"].get("duplicate") == 1
    assert any(reason.startswith("meaning_drift") for reason in result["rejected"])
    open_ = learned.open_candidates(sbot.services.engine)
    assert [(c.kind, c.pattern_id) for c in open_] == [("variation", "morning")]
    learned.decide_now(sbot.services.engine, sbot.services.characters, open_[0].id, ADMIN, approve_it=True)
    assert (
        "おはよ〜！今日もいっしょにがんばろ〜ね！"
        in sbot.services.characters.current.pattern("botan", "morning").replies
    )
    assert "おはよ〜！今日もいっしょにがんばろ〜ね！" not in original  # a new line, not an old one


def test_approvals_from_several_processes_at_once_all_land(sbot, tmp_path):
    import os

    from sqlalchemy import insert

    from botan_line.storage.db import candidates

    engine = sbot.services.engine
    with engine.begin() as conn:
        ids = [
            conn.execute(
                insert(candidates)
                .values(
                    sister="yuri",
                    kind="pattern",
                    trigger=f"べつのぷろせす{i}",
                    replies=f'["別々{i}…かも", "別々{i}だと思う"]',
                    users=3,
                    status="open",
                    created_at=0,
                )
                .returning(candidates.c.id)
            ).scalar_one()
            for i in range(5)
        ]
    env = dict(
        os.environ,
        BOTAN_DATABASE_URL=sbot.services.settings.database_url,
        BOTAN_DATA_DIR=str(tmp_path),
        BOTAN_CHARACTERS_DIR=str(sbot.services.settings.characters_dir),
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "botan_line", "review", "--approve", str(i)],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in ids
    ]
    assert [p.wait(120) for p in procs] == [0] * len(ids)
    sbot.services.characters.reload()
    assert all(sbot.services.characters.current.pattern("yuri", f"learned_{i}") for i in ids)


def _open_candidate(engine, trigger: str, replies: str) -> int:
    from sqlalchemy import insert

    from botan_line.storage.db import candidates

    with engine.begin() as conn:
        return conn.execute(
            insert(candidates)
            .values(sister="kasho", kind="pattern", trigger=trigger, replies=replies, users=3, status="open",
                    created_at=0)
            .returning(candidates.c.id)
        ).scalar_one()  # fmt: skip


def test_an_approval_checked_before_another_change_is_not_written(core):
    """/approve is planned (checked) while deciding and written with the reply; a change of the learned
    patterns in between makes the write fail, so the transaction rolls back and the event is re-decided."""
    from botan_line.core.model import Decision

    engine, characters = core.services.engine, core.services.characters
    first = _open_candidate(engine, "れいのけん", '["例の件ですね。"]')
    other = _open_candidate(engine, "べつのけん", '["別の件ですね。"]')
    with engine.connect() as conn:
        plan = learned.plan_approval(conn, characters, first, ADMIN)
    learned.decide_now(engine, characters, other, ADMIN, approve_it=True)  # lands in between
    with pytest.raises(learned.LearningError, match="重なりました"):
        core.services.store.apply(Decision(effects=[plan]), core.clock.now())
    assert learned.get_candidate(engine, first).status == "open"
    assert [r.pattern_id for r in learned_rows(engine)] == [f"learned_{other}"]
    with engine.connect() as conn:  # planned again, it goes through
        plan = learned.plan_approval(
            conn, characters, first, ADMIN, replies=["例の件、承知しました。"], add=True
        )
    core.services.store.apply(Decision(effects=[plan]), core.clock.now())
    assert learned.get_candidate(engine, first).replies == ["例の件ですね。", "例の件、承知しました。"]


def test_an_approval_that_would_break_the_set_is_refused_while_deciding(core):
    cand = _open_candidate(core.services.engine, "おはよう", '["おはようございます。"]')  # `morning` owns it
    reply = core.say(f"/approve {cand}", user=ADMIN)
    assert "適用できません" in reply and learned_rows(core.services.engine) == []
    assert core.last().layer == "command"


def test_approve_with_added_replies_and_full_width_punctuation(core):
    cand = _open_candidate(core.services.engine, "すいせんのはな", '["水仙、きれいですよね。"]')
    reply = core.say(f"/approve {cand} ＋ 香りも素敵だと思います！｜春が待ち遠しいですね？", user=ADMIN)
    assert "返事3件" in reply
    core.clock.advance(CHECK_SECONDS)
    pattern = core.services.characters.current.pattern("kasho", f"learned_{cand}")
    assert pattern.replies == ["水仙、きれいですよね。", "香りも素敵だと思います！", "春が待ち遠しいですね？"]
    with core.services.engine.connect() as conn:
        from sqlalchemy import select

        from botan_line.storage.db import learned_audit

        (audit,) = conn.execute(select(learned_audit)).all()
    assert (audit.admin, audit.action, audit.candidate_id) == (ADMIN, "approve", cand)


def test_reject_is_written_with_the_reply_and_a_decided_candidate_cannot_be_approved(core):
    cand = _open_candidate(core.services.engine, "きょうのてんき", '["晴れるといいですね。"]')
    assert "却下しました" in core.say(f"/reject {cand}", user=ADMIN)
    assert learned.get_candidate(core.services.engine, cand).status == "rejected"
    assert "すでに処理済み" in core.say(f"/approve {cand}", user=ADMIN)
    assert "番号を指定して" in core.say("/approve これ", user=ADMIN)
