"""`botan-line eval`, the persona check before a model change, against the fake OpenAI server through
the real `openai` client: every sister's fixed conversations, the guard and her voice rules, yen."""

from __future__ import annotations

import json

from conftest import write_env

from botan_line.ops.cli import main


def env_for(tmp_path, characters_dir, ai):
    return write_env(tmp_path, characters_dir, OPENAI_BASE_URL=ai.url + "/v1", OPENAI_API_KEY="k")


def test_every_sisters_conversations_are_sent_as_layer2_sends_them(tmp_path, characters_dir, openai_fake,
                                                                  clean_environ, capsys):  # fmt: skip
    env = env_for(tmp_path, characters_dir, openai_fake)
    assert main(["--env-file", env, "eval", "--tier", "cheap"]) == 0
    out = capsys.readouterr().out
    assert "cheap gpt-6-luna: 18/18 passed" in out
    calls = openai_fake.calls()
    assert len(calls) == 18 and {c["model"] for c in calls} == {"gpt-6-luna"}
    assert all(c["reasoning_effort"] == "none" and "max_tokens" not in c for c in calls)
    worried = [
        c for c in calls if c["messages"][-2]["role"] == "system" and "冗談" in c["messages"][-2]["content"]
    ]
    assert len(worried) == 3  # each sister's worry carries the careful instruction after the persona
    reaction = [c for c in calls if any(m["role"] == "assistant" for m in c["messages"])]
    assert len(reaction) == 3  # a reaction follows her own line


def test_rejections_are_listed_with_their_reasons_and_fail_the_check(tmp_path, characters_dir, openai_fake,
                                                                    clean_environ, capsys):  # fmt: skip
    openai_fake.queue("私はAIなので、感情はありません。")  # breaks character
    openai_fake.queue("（牡丹らしく）おはよ〜！")  # a label leaking into the line
    env = env_for(tmp_path, characters_dir, openai_fake)
    assert main(["--env-file", env, "eval", "--tier", "cheap", "--sister", "botan"]) == 1
    out = capsys.readouterr().out
    assert "cheap gpt-6-luna: 4/6 passed (failed: reject:" in out


def test_a_candidate_model_is_tried_at_its_lowest_effort_and_priced(tmp_path, characters_dir, openai_fake,
                                                                   clean_environ, capsys):  # fmt: skip
    env = env_for(tmp_path, characters_dir, openai_fake)
    argv = [
        "--env-file",
        env,
        "eval",
        "--tier",
        "strong",
        "--model",
        "gpt-6.1-sol",
        "--sister",
        "kasho",
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    (summary,) = report["summary"]
    assert (summary["model"], summary["passed"], summary["total"]) == ("gpt-6.1-sol", 6, 6)
    assert summary["reasoning_tokens"] == 6 * 90 and summary["yen"] > 0
    assert {c["reasoning_effort"] for c in openai_fake.calls()} == {"low"}


def test_without_a_model_configured_it_says_how_to_set_one(tmp_path, characters_dir, clean_environ, capsys):
    env = write_env(tmp_path, characters_dir)
    assert main(["--env-file", env, "eval"]) == 2
    assert "eval needs a model: set OPENAI_API_KEY" in capsys.readouterr().err
