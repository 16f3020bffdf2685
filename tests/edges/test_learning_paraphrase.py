"""Learning what fans really ask: paraphrases and name-addressed questions become one candidate, and
one approval serves every wording on every instance that shares the database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ADMIN
from test_learning import learned_rows

from botan_line.storage import learned
from botan_line.wiring import CHECK_SECONDS

REPO = Path(__file__).resolve().parents[2]
MANGA = ["おすすめの漫画教えて！", "なんかおすすめのマンガない？", "最近おすすめの漫画ある？"]
SWEETS = ["牡丹ちゃんの好きなスイーツってなに？", "牡丹の好きなスイーツは？", "好きなスイーツある？"]
ANSWER = "最近は恋愛ものにハマってる！キュンキュンしたいならマジおすすめ〜！"


def ask_all(bot, texts, reply=ANSWER, prefix="U"):
    for i, text in enumerate(texts):
        bot.ai.queue(reply)  # a deterministic model: the same answer every time
        bot.say(text, user=f"{prefix}{i}")
        assert bot.last().layer == "layer2"


def only_candidate(bot):
    listing = bot.say("/candidates text", user=ADMIN)
    ids = re.findall(r"#(\d+)", listing)
    assert len(ids) == 1, listing
    return int(ids[0]), listing


def test_three_wordings_from_three_fans_become_one_candidate_with_one_reply(bot):
    ask_all(bot, MANGA)
    cand_id, listing = only_candidate(bot)
    assert "3人" in listing
    cand = learned.get_candidate(bot.services.engine, cand_id)
    assert len(cand.members) == 3 and cand.replies == [ANSWER]  # all the same: one reply is enough
    assert "承認しました" in bot.say(f"/approve {cand_id}", user=ADMIN)
    bot.clock.advance(CHECK_SECONDS)  # the next look at the learned patterns' version
    for i, text in enumerate(MANGA):
        assert bot.say(text, user=f"Unew{i}") == ANSWER
        assert bot.last().layer == "layer1"


def test_a_different_request_in_the_same_frame_stays_apart(sbot):
    ask_all(sbot, MANGA)
    ask_all(sbot, ["おすすめのアニメ教えて！"], prefix="Uanime")
    cand_id, _ = only_candidate(sbot)
    assert "おすすめのあにめ教えて" not in learned.get_candidate(sbot.services.engine, cand_id).triggers


def test_questions_addressed_by_name_are_learned_without_the_name(bot):
    ask_all(bot, SWEETS)
    cand_id, _ = only_candidate(bot)
    bot.say(f"/approve {cand_id}", user=ADMIN)
    bot.clock.advance(CHECK_SECONDS)
    for i, text in enumerate([*SWEETS, "牡丹ちゃん、好きなスイーツってなに？"]):
        bot.say(text, user=f"Uask{i}")
        assert bot.last().layer == "layer1", text


def test_approve_with_the_admins_own_replies(sbot):
    ask_all(sbot, MANGA)
    cand_id, _ = only_candidate(sbot)
    mine = "少女漫画なら断然『ハチミツ日和』！泣けるから覚悟して！ | 最近はバトルものも読んでる！アツいよ〜！"
    assert "返事2件" in sbot.say(f"/approve {cand_id} {mine}", user=ADMIN)
    sbot.clock.advance(CHECK_SECONDS)
    assert sbot.say(MANGA[0], user="Ux") in [r.strip() for r in mine.split("|")]
    (row,) = learned_rows(sbot.services.engine)
    assert ANSWER not in row.body and row.approved_by == ADMIN


def test_after_one_approval_every_instance_on_the_database_answers_from_layer1(make_bot, database_url):
    first = make_bot(database_url)
    second = make_bot(database_url)  # another machine: its own process state, the same database
    ask_all(first, MANGA)
    cand_id, _ = only_candidate(first)
    second.say(MANGA[1], user="Ubefore")
    assert second.last().layer == "layer2"  # not learned yet
    first.say(f"/approve {cand_id}", user=ADMIN)
    second.clock.advance(CHECK_SECONDS)  # the next version check
    for i, text in enumerate(MANGA):
        assert second.say(text, user=f"Usecond{i}") == ANSWER
        assert second.last().layer == "layer1"


def test_review_takes_its_answers_from_a_pipe_and_learned_export_writes_yaml(sbot, tmp_path):
    ask_all(sbot, MANGA)
    ask_all(sbot, SWEETS, reply="いちごタルト一択！", prefix="Us")
    env = dict(
        os.environ,
        BOTAN_DATABASE_URL=sbot.services.settings.database_url,
        BOTAN_DATA_DIR=str(tmp_path),
        BOTAN_CHARACTERS_DIR=str(sbot.services.settings.characters_dir),
    )
    yes = "a\n" * 5
    run = subprocess.run(
        [sys.executable, "-m", "botan_line", "review", "--admin", "Ureviewer"],
        input=yes,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("approved") == 2 and "3 fan(s)" in run.stdout
    assert {r.approved_by for r in learned_rows(sbot.services.engine)} == {"Ureviewer"}
    export = subprocess.run(
        [sys.executable, "-m", "botan_line", "learned", "export"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    text = (sbot.services.settings.characters_dir / "botan" / "learned.yaml").read_text(encoding="utf-8")
    assert "いちごタルト一択！" in text
    check = subprocess.run(
        [sys.executable, "-m", "botan_line", "check", str(sbot.services.settings.characters_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout


def test_a_wording_with_a_topic_the_others_lack_is_left_out_and_the_review_says_so(bot):
    ask_all(bot, [*MANGA, "おすすめの漫画のアニメってある？"])
    cand_id, listing = only_candidate(bot)
    cand = learned.get_candidate(bot.services.engine, cand_id)
    assert sorted(m["text"] for m in cand.members) == sorted(
        ["おすすめの漫画教えて", "なんかおすすめのまんがない", "最近おすすめの漫画ある"]
    ), cand.members
    assert "おすすめのまんがのあにめってある" not in cand.triggers
    assert "⚠" in listing and "別の質問かもしれない" in listing


def test_a_wording_that_may_ask_something_else_is_only_shown_when_the_rest_is_too_few(bot):
    ask_all(bot, [*MANGA[:2], "おすすめの漫画のアニメってある？"])
    cand_id, listing = only_candidate(bot)
    assert len(learned.get_candidate(bot.services.engine, cand_id).members) == 3
    assert "別の質問かもしれません" in listing


FOOD = ["好きな食べ物ってなに？", "一番好きな食べ物って何があるの？"]  # 好きな食べ物は？ is hers already


def test_new_wordings_of_a_question_she_answers_learn_her_own_answer(bot):
    bot.say("好きな食べ物は？", user="Ufood")
    assert bot.last().layer == "layer1" and bot.last().pattern == "botan:favorite_food"
    ask_all(bot, FOOD, prefix="Ueat")
    cand_id, listing = only_candidate(bot)
    cand = learned.get_candidate(bot.services.engine, cand_id)
    food = bot.services.characters.current.pattern("botan", "favorite_food")
    assert cand.pattern_id == "favorite_food" and cand.replies == food.replies  # her answer, not the model's
    assert cand.users == 3 and "favorite_food" in listing
    assert "すきなたべものは" not in cand.triggers  # answered already: not a trigger of the new one
    assert "承認しました" in bot.say(f"/approve {cand_id}", user=ADMIN)
    bot.clock.advance(CHECK_SECONDS)
    (row,) = learned_rows(bot.services.engine)
    assert '"same_as": "favorite_food"' in row.body  # her lines as they are now, not a copy
    for i, text in enumerate([*FOOD, "好きな食べ物って何？"]):
        assert bot.say(text, user=f"Unew{i}") in food.replies, text
        assert bot.last().layer == "layer1"


def test_a_statement_sharing_a_word_with_a_reaction_of_hers_does_not_learn_it(bot):
    bot.say("また明日ね", user="Ubye")
    assert bot.last().layer == "layer1"  # her goodbye
    ask_all(bot, ["教えてくれてありがとう、さっそく明日やってみます"] * 2, prefix="Utry")
    listing = bot.say("/candidates text", user=ADMIN)
    assert "goodbye" not in listing and "bye" not in listing, listing


STRESS = ["ストレス解消法は？", "ストレスたまったらどうしてる？", "ストレス発散どうしてる？"]
DRAFTED = (
    "1. 息抜きってどうしてる？\n・憂鬱な時の気分転換は？\nストレス感じることある？\n牡丹の好きな曲は？\n\n"
    "憂鬱になったらどうやって気分転換してる？\nストレス解消法は？"
)


def mine_with(bot, llm_answer: str | None = None, status: int = 200):
    """Mine in-process with a rephraser that calls the fake OpenAI server through the real SDK."""
    from botan_line.adapters.openai_api import LLM
    from botan_line.ops import learning

    s = bot.services
    cfg = s.settings.config
    llm = LLM("test-key", bot.ai.url + "/v1", timeout=10, max_retries=0)
    bot.ai.queue(llm_answer or "overloaded", status=status)
    return learning.mine(s.engine, s.characters, min_users=cfg.learning.min_distinct_users,
                         max_replies=cfg.learning.max_replies_per_candidate,
                         rephrase=learning.rephraser(llm, cfg.tiers_for("botan").cheap.model, cfg))  # fmt: skip


def test_wordings_a_model_drafted_offline_answer_fans_who_use_other_words(bot):
    ask_all(bot, STRESS)
    bot.ai.queue("それ聞いちゃう？")
    assert bot.say("憂鬱なときって何して気分転換してる？", user="Ubefore") != ANSWER
    assert bot.last().layer == "layer2"
    assert mine_with(bot, DRAFTED) == 1
    asked = bot.ai.calls()[-1]["messages"][-1]["content"]
    assert all(k in asked for k in STRESS)  # the model saw the fans' wordings
    (cand,) = learned.open_candidates(bot.services.engine)
    also = [sorted(v["concepts"]) for v in cand.meaning["also"]]
    # kept: 憂鬱 (a word no fan used, drafted twice); left out: the question with a word left out
    # (息抜き: refresh without stress), a yes/no question, another question (drafted once) and a
    # fan's own wording again
    assert also == [["refresh", "w:憂鬱"]], also
    assert "憂鬱な時の気分転換は" in bot.say("/candidates text", user=ADMIN)  # the admin sees it first
    assert "承認しました" in bot.say(f"/approve {cand.id}", user=ADMIN)
    bot.clock.advance(CHECK_SECONDS)
    for i, text in enumerate(
        ["憂鬱なときって何して気分転換してる？", "牡丹ちゃん、憂鬱な日の気分転換は？", *STRESS]
    ):
        assert bot.say(text, user=f"Unew{i}") == ANSWER, text
        assert bot.last().layer == "layer1"
    for i, text in enumerate(["好きな曲は？", "憂鬱な時におすすめのゲームある？", "息抜きどうしてる？"]):
        bot.ai.queue("それ聞いちゃう？")
        assert bot.say(text, user=f"Uother{i}") != ANSWER, text


def test_a_model_that_fails_to_draft_leaves_the_candidate_as_it_was(bot):
    ask_all(bot, STRESS)
    assert mine_with(bot, status=500) == 1
    (cand,) = learned.open_candidates(bot.services.engine)
    assert "also" not in cand.meaning and len(cand.members) == 3
