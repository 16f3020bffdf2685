#!/usr/bin/env python3
"""A month of synthetic fan traffic, and what Layer 1 saves before and after one review cycle.

    .venv/bin/python bench/month.py [--fans 120] [--seed 1] [--out var/month]

The generator (``generate``) writes one JSON line per message (``user``, ``text``, ``time``), the
format ``botan-line replay`` reads. It is synthetic but shaped like the traffic the sisters get:

- fans: each picks a sister (牡丹 half of them, the default; Kasho and ユリ a quarter each; a fan
  who prefers another sister switches with her /command first) and chats on 4–12 days of the month,
  mostly in the evening (weights per hour below), one session a day;
- a session: a greeting that fits the hour (with the usual spellings, stretches and slips), then
  2–6 turns drawn from: a common question from a pool of 24 intents, each asked in 3–4 wordings
  (a third of them addressed by name, 「牡丹ちゃん、…」); a reaction to her last line (なるほど,
  うんうん, 笑, すごいですね …); small talk (疲れた, 眠い …); a line about the fan's own day made
  of random parts, so no two are alike (these always need a real answer); then often a goodbye;
- month 2 uses the same pools with another seed: the same intents come back in their usual
  wordings, the personal lines are new.

Layer 2 is a fake OpenAI server (tests/fakes.py) that answers each question the same way every
time, with token counts from the prompt it was sent; prices are the configured ones. The cycle:
replay month 1 into a kept database (``replay --db``), ``botan-line review`` with every candidate
approved from a pipe, replay month 2 into the same database. Printed: Layer 1 share and the saving
against answering everything with the strong model, per month.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

HOUR_WEIGHTS = [2, 1, 1, 0, 0, 0, 1, 4, 5, 2, 2, 2, 5, 3, 2, 2, 3, 5, 6, 8, 10, 10, 9, 6]
SISTERS = (
    ("botan", 2, ["牡丹ちゃん", "牡丹"]),
    ("kasho", 1, ["Kashoさん", "花相さん"]),
    ("yuri", 1, ["ユリちゃん", "ユリ"]),
)
GREETINGS = {
    "morning": ["おはよう", "おはよー！", "おはようございます", "おはよ〜", "おっはー", "おはようござます"],
    "daytime": ["こんにちは", "こんにちはー", "こんちは！", "やっほー"],
    "evening": ["こんばんは", "こんばんは〜", "ばんわー", "ただいま！", "ただいまー"],
    "night": ["こんばんは", "まだ起きてる？", "寝れない…", "こんばんはー"],
}
GOODBYES = {
    "night": ["おやすみ", "おやすみなさい", "もう寝るね"],
    "other": ["またね", "また明日ね", "じゃあね〜", "ばいばい"],
}
REACTIONS = [
    "なるほど",
    "へー！",
    "そうなんだ",
    "うんうん",
    "たしかに",
    "わかる〜",
    "笑",
    "www",
    "すごいですね",
    "いいですね",
    "そうなんですね",
    "知らなかった！",
    "あはは",
    "おー",
    "そっか",
    "ですよね",
    "ありがとう！",
    "かわいい",
]
SMALLTALK = [
    "疲れた〜",
    "眠い",
    "お腹すいた",
    "暇だなー",
    "寒い",
    "暑い…",
    "雨だ",
    "お風呂入ってくる",
    "明日休み！",
    "テスト勉強中",
]
INTENTS = [
    ["おすすめの漫画教えて！", "なんかおすすめのマンガない？", "最近おすすめの漫画ある？"],
    ["{name}の好きなスイーツってなに？", "好きなスイーツある？", "{name}の好きなスイーツは？"],
    ["休みの日って何してるの？", "休日は何して過ごしてる？", "{name}って休みの日なにしてる？"],
    ["好きな季節はいつ？", "どの季節が一番好き？", "{name}の好きな季節って？"],
    ["朝ごはんはパン派？ごはん派？", "朝ごはんってパン？ご飯？", "朝はパン派？ご飯派？"],
    ["好きな動物ってなに？", "好きな動物いる？", "{name}の好きな動物は？"],
    ["カラオケで何歌う？", "カラオケの十八番ってなに？", "カラオケだと何歌うの？"],
    ["おすすめのアニメある？", "最近おすすめのアニメ教えて", "なんかおすすめのアニメない？"],
    ["好きなゲームある？", "{name}はどんなゲームが好き？", "好きなゲームってなに？"],
    ["犬派？猫派？", "犬と猫どっちが好き？", "{name}って犬派？猫派？"],
    ["夏休みの思い出ある？", "夏休みって何してた？", "夏休みの思い出教えて"],
    ["得意な料理ってある？", "料理得意？", "{name}って料理できるの？"],
    ["好きなお菓子なに？", "好きなお菓子ある？", "一番好きなお菓子は？"],
    ["最近ハマってることある？", "最近なにかハマってる？", "{name}が最近ハマってることは？"],
    ["おすすめの映画ある？", "最近おすすめの映画教えて", "なんかいい映画ない？"],
    ["苦手な食べ物ある？", "嫌いな食べ物ってある？", "{name}の苦手な食べ物は？"],
    ["どうやったら早起きできる？", "早起きのコツ教えて", "早起きするにはどうしたらいい？"],
    ["テスト勉強のコツある？", "勉強に集中するコツ教えて", "どうやったら勉強集中できる？"],
    ["推し活ってどうやったら楽しく続けられる？", "推し活を楽しく続けるコツある？", "推し活続けるコツ教えて"],
    ["好きな色は何色？", "何色が好きなの？", "{name}の好きな色は？"],
    ["誕生日いつ？", "{name}の誕生日っていつ？", "誕生日教えて"],
    ["行ってみたい国ある？", "海外で行きたいところある？", "どこの国に行ってみたい？"],
    ["三姉妹で一番しっかりしてるのは誰？", "姉妹で一番しっかり者は誰？", "三姉妹のしっかり者って誰？"],
    ["最近読んだ本でよかったのある？", "最近読んでよかった本ある？", "おすすめの本教えて"],
]
PERSONAL_A = [
    "今日",
    "さっき",
    "昨日",
    "今朝",
    "放課後",
    "バイト中",
    "部活で",
    "電車で",
    "お昼休みに",
    "帰り道に",
]
PERSONAL_B = [
    "友達と{x}の話で盛り上がった",
    "先生に{x}のことで褒められた",
    "{x}を買ったんだけどちょっと失敗した",
    "{x}が急に気になり始めた",
    "{x}の動画をずっと見てた",
    "{x}でちょっと嫌なことがあった",
    "{x}を初めて食べてみた",
    "{x}のことで弟とケンカした",
    "{x}の予約が取れなかった",
    "{x}のイベントに行ってきた",
]
PERSONAL_X = [
    "新しいカフェ",
    "駅前のパン屋",
    "文化祭",
    "期末テスト",
    "推しのライブ",
    "新作のゲーム",
    "猫カフェ",
    "古着屋",
    "カラオケ大会",
    "図書館",
    "プリクラ",
    "映画の続編",
    "部活の試合",
    "新しいスマホ",
    "マラソン大会",
    "お弁当",
]


def band(hour: int) -> str:
    return (
        "morning"
        if 5 <= hour < 10
        else "daytime"
        if hour < 17 and hour >= 10
        else "evening"
        if 17 <= hour < 22
        else "night"
    )


def generate(fans: int, seed: int, month: datetime) -> list[dict]:
    """The month's messages, in time order."""
    rng = random.Random(seed)
    out = []
    days = 30
    for f in range(fans):
        user = f"Ufan{f:04d}"
        sister, _w, names = rng.choices(SISTERS, weights=[w for _s, w, _n in SISTERS])[0]
        first = True
        for day in sorted(rng.sample(range(days), rng.randint(4, 12))):
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            t = month + timedelta(days=day, hours=hour, minutes=rng.randint(0, 50))
            lines = []
            if first and sister != "botan":
                lines.append(f"/{sister}")
            first = False
            lines.append(rng.choice(GREETINGS[band(hour)]))
            for _ in range(rng.randint(2, 6)):
                kind = rng.choices(("ask", "react", "small", "personal"), weights=(3, 4, 1, 2))[0]
                if kind == "ask":
                    text = rng.choice(rng.choice(INTENTS))
                    if "{name}" in text:
                        text = text.replace("{name}", rng.choice(names))
                    elif rng.random() < 0.25:
                        text = f"{rng.choice(names)}、{text}"
                    lines.append(text)
                elif kind == "react":
                    lines.append(rng.choice(REACTIONS))
                elif kind == "small":
                    lines.append(rng.choice(SMALLTALK))
                else:
                    x = rng.choice(PERSONAL_X)
                    lines.append(
                        rng.choice(PERSONAL_A)
                        + rng.choice(PERSONAL_B).replace("{x}", x)
                        + rng.choice(["", "んだよね", "笑", "…"])
                    )
            if rng.random() < 0.6:
                lines.append(rng.choice(GOODBYES["night" if band(hour) == "night" else "other"]))
            for i, text in enumerate(lines):
                out.append({"user": user, "text": text, "time": (t + timedelta(minutes=i)).isoformat()})
    out.sort(key=lambda m: m["time"])
    return out


def answer(body: dict) -> str:
    """The fake model: one answer per question and sister, always the same, in her register."""
    system = next((m["content"] for m in body.get("messages", []) if m["role"] == "system"), "")
    question = body["messages"][-1]["content"] if body.get("messages") else ""
    n = sum(map(ord, question)) % 3
    if "Kasho" in system[:200] or "花相" in system[:200]:
        return [
            "それは素敵な質問ですね。私なら、まずは身近なところから試してみると思います。",
            "ふふ、少し考えてしまいますね。あなたはどう思いますか？",
            "教えてくれてありがとうございます。よかったら、もう少し聞かせてください。",
        ][n]
    if "ユリ" in system[:200]:
        return [
            "うーん…わたしなら、のんびり考えてみるかも。",
            "そうなんだ…なんだか気になるね。もっと聞かせて？",
            "ふふ、それってちょっと物語みたいかも。",
        ][n]
    return [
        "え、それめっちゃ気になる！もっと教えて！",
        "わかる〜！あたしもそういうの好き！",
        "それいいじゃん！あたしもやってみたい！",
    ][n]


def replay(env: dict, path: Path, db: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "botan_line", "replay", str(path), "--db", db, "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fans", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="keep the generated months and the database here")
    parser.add_argument("--models", default=None, metavar="CHEAP,STRONG",
                        help="the tiers' models (default: the configured defaults)")  # fmt: skip
    args = parser.parse_args()
    from fakes import FakeOpenAI

    work = Path(args.out or tempfile.mkdtemp(prefix="botan-month-"))
    work.mkdir(parents=True, exist_ok=True)
    chars = work / "characters"
    shutil.rmtree(chars, ignore_errors=True)
    shutil.copytree(ROOT / "characters", chars, ignore=shutil.ignore_patterns("learned.yaml"))
    months = []
    for i, start in enumerate((datetime(2026, 11, 1), datetime(2026, 12, 1)), 1):
        path = work / f"month{i}.jsonl"
        msgs = generate(args.fans, args.seed * 100 + i, start)
        path.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in msgs), encoding="utf-8")
        months.append((path, len(msgs)))
    db = f"sqlite:///{work / 'month.db'}"
    (work / "month.db").unlink(missing_ok=True)
    with FakeOpenAI(
        default=answer, prompt_cache=True
    ) as ai:  # bills as OpenAI does: cached reads, cache writes
        env = dict(
            os.environ,
            BOTAN_CHARACTERS_DIR=str(chars),
            BOTAN_DATA_DIR=str(work),
            BOTAN_DATABASE_URL=db,
            OPENAI_API_KEY="fake",
            OPENAI_BASE_URL=ai.url + "/v1",
            BOTAN_LOG_LEVEL="ERROR",
        )
        if args.models:
            cheap, strong = args.models.split(",")
            config = work / "botan.yaml"
            config.write_text(f"tiers:\n  cheap: {{model: {cheap}}}\n  strong: {{model: {strong}}}\n")
            env["BOTAN_CONFIG"] = str(config)
        first = replay(env, months[0][0], db)
        review = subprocess.run(
            [sys.executable, "-m", "botan_line", "review", "--admin", "Ubench"],
            input="a\n" * 1000,
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        approved = review.stdout.count("  approved")
        second = replay(env, months[1][0], db)
    print(f"fans: {args.fans}, seed {args.seed}, models {args.models or 'default'}; files in {work}")
    for label, report, (_path, n) in (("month 1", first, months[0]), ("month 2", second, months[1])):
        o = report["overall"]
        print(
            f"{label}: {n} lines ({o['messages']} messages), Layer 1 {o['layers']['layer1']['percent']}%, "
            f"Layer 2 {o['layers']['layer2']['percent']}% (cheap {o['tiers']['cheap']['count']}, strong {o['tiers']['strong']['count']}), "
            f"¥{o['yen']:.2f} against ¥{o['all_strong_yen']:.2f} all-strong: saving {o['reduction_percent']}%"
        )
        if label == "month 1":
            print(f"review: {approved} candidate(s) approved from a pipe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
