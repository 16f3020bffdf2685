#!/usr/bin/env python3
"""A month of synthetic fan traffic, and what Layer 1 saves before and after one review cycle.

    .venv/bin/python bench/month.py [--fans 120] [--seed 1] [--dir tests/data/learning/authors] [--out var/month]

The generator (``generate``) writes one JSON line per message (``user``, ``text``, ``time``), the
format ``botan-line replay`` reads. It is synthetic but shaped like the traffic the sisters get:

- fans: each picks a sister (牡丹 half of them, the default; Kasho and ユリ a quarter each; a fan
  who prefers another sister switches with her /command first) and chats on 4–12 days of the month,
  mostly in the evening (weights per hour below), one session a day;
- a session: a greeting that fits the hour (with the usual spellings, stretches and slips), then
  2–6 turns drawn from: a question from the author files in ``--dir`` (``*_questions.jsonl``: per
  intent the sister it is for and 10 wordings; a quarter of those without her name get it in front,
  「牡丹ちゃん、…」); an everyday line from the same authors (``*_everyday.jsonl``: reactions to a
  stream, an archive, a recommendation tried, "is this really you?", cheers …); a reaction to her
  last line (なるほど, うんうん, 笑 …); small talk (疲れた, 眠い …); a line about the fan's own day made
  of random parts, so no two are alike (these always need a real answer); then often a goodbye;
- month 1 asks 60% of the intents (popular ones more often); month 2 asks mostly the same intents
  again (83% of its question lines carry a month-1 intent), a third of those in a wording month 1
  already had (about 29% of month 2's question lines repeat a month-1 text exactly) and the rest in
  wordings month 1 never used; the personal lines are new. ``--seed`` changes every choice.

Layer 2 is a fake OpenAI server (tests/fakes.py) that answers each question the same way every
time, with token counts from the prompt it was sent; prices are the configured ones. The cycle:
replay month 1 into a kept database (``replay --db``), ``botan-line review`` with every candidate
approved from a pipe, replay month 2 into the same database. Printed: Layer 1 share and the saving
against answering everything with the strong model, per month. Written: ``month2_layer1.jsonl`` in
the work folder, every Layer 1 answer of month 2 (the fan's line, her reply, the pattern, what a
learned pattern was learned from, and the intent or category the generator meant), for a reader who
did not write the patterns to judge; ``label agreement`` is the share of learned-pattern answers
whose fan line carries an intent the pattern was learned from.
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
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TZ = ZoneInfo("Asia/Tokyo")
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
MONTH1_SHARE = 0.6  # of the intents, asked in month 1
RETURNING = 0.83  # of month 2's questions: an intent month 1 had
REPEAT = 0.35  # of those: a text month 1 used (≈ 29% of month 2's question lines)


def load_authors(folder: Path) -> tuple[list[dict], list[dict]]:
    """Every intent (with its file, so the same id in two files stays two intents) and every
    everyday category of the author files."""
    intents, everyday = [], []
    for path in sorted(folder.glob("*_questions.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                intents.append({**d, "key": f"{path.stem.removesuffix('_questions')}:{d['intent']}"})
    for path in sorted(folder.glob("*_everyday.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                everyday.append(json.loads(line))
    if not intents:
        raise SystemExit(f"no *_questions.jsonl in {folder}")
    return intents, everyday


class Questions:
    """Which intent a fan asks about, in which wording, month by month."""

    def __init__(self, intents: list[dict], seed: int):
        rng = random.Random(seed * 7919 + 1)
        self.intents = intents
        order = list(range(len(intents)))
        rng.shuffle(order)
        cut = max(1, int(len(order) * MONTH1_SHARE))
        self.month1 = order[:cut]
        self.new = order[cut:] or order
        self.weight = {i: 1 / (1 + rank) ** 0.5 for rank, i in enumerate(order)}  # some are asked more
        self.used: dict[int, list[str]] = {}  # month 1: intent → texts asked

    def pick(self, rng: random.Random, sister: str, month: int) -> tuple[dict, str]:
        def fits(i: int) -> bool:
            return self.intents[i]["to"] in (sister, "any")

        if month == 1 or rng.random() < RETURNING:
            pool = [i for i in (self.month1 if month == 1 else self.used) if fits(i)]
        else:
            pool = [i for i in self.new if fits(i)]
        pool = pool or [i for i in range(len(self.intents)) if fits(i)] or list(range(len(self.intents)))
        i = rng.choices(pool, weights=[self.weight[i] for i in pool])[0]
        d = self.intents[i]
        if month == 1:
            text = rng.choice(d["wordings"][:7])  # month 1 draws from seven of the ten
            self.used.setdefault(i, []).append(text)
        elif i in self.used and rng.random() < REPEAT:
            text = rng.choice(self.used[i])
        else:
            fresh = [w for w in d["wordings"] if w not in self.used.get(i, ())]
            text = rng.choice(fresh or d["wordings"])
        return d, text


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


def generate(fans: int, seed: int, month: datetime, questions: Questions, everyday: list[dict],
             number: int) -> list[dict]:  # fmt: skip
    """The month's messages, in time order (``intent``: what a question or everyday line means)."""
    rng = random.Random(seed)
    out = []
    days = 30
    for f in range(fans):
        # month 2: the first half are month 1's fans coming back, the rest are new
        user = f"Ufan{f if number == 1 or f < fans // 2 else f + fans:04d}"
        sister, _w, names = rng.choices(SISTERS, weights=[w for _s, w, _n in SISTERS])[0]
        first = True
        for day in sorted(rng.sample(range(days), rng.randint(4, 12))):
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            t = month + timedelta(days=day, hours=hour, minutes=rng.randint(0, 50))
            lines: list[tuple[str, str | None]] = []
            if first and sister != "botan":
                lines.append((f"/{sister}", None))
            first = False
            lines.append((rng.choice(GREETINGS[band(hour)]), "greeting"))
            for _ in range(rng.randint(2, 6)):
                kind = rng.choices(
                    ("ask", "everyday", "react", "small", "personal"), weights=(3, 1, 3, 1, 2)
                )[0]
                if kind == "ask":
                    d, text = questions.pick(rng, sister, number)
                    named = any(n.lower() in text.lower() for s in SISTERS for n in s[2] + [s[2][0][:2]])
                    if not named and rng.random() < 0.25:
                        text = f"{rng.choice(names)}、{text}"
                    lines.append((text, d["key"]))
                elif kind == "everyday" and everyday:
                    cat = rng.choice(everyday)
                    lines.append((rng.choice(cat["lines"]), f"everyday:{cat['category']}"))
                elif kind == "react":
                    lines.append((rng.choice(REACTIONS), "reaction"))
                elif kind == "small":
                    lines.append((rng.choice(SMALLTALK), "smalltalk"))
                else:
                    x = rng.choice(PERSONAL_X)
                    lines.append((
                        rng.choice(PERSONAL_A)
                        + rng.choice(PERSONAL_B).replace("{x}", x)
                        + rng.choice(["", "んだよね", "笑", "…"]), "personal"
                    ))  # fmt: skip
            if rng.random() < 0.6:
                lines.append((rng.choice(GOODBYES["night" if band(hour) == "night" else "other"]), "goodbye"))
            for i, (text, intent) in enumerate(lines):
                out.append({"user": user, "text": text, "time": (t + timedelta(minutes=i)).isoformat(),
                            "intent": intent})  # fmt: skip
    out.sort(key=lambda m: m["time"])
    return out


def answer(body: dict) -> str:
    """The fake model: one answer per question and sister, always the same, in her register."""
    system = next((m["content"] for m in body.get("messages", []) if m["role"] == "system"), "")
    question = body["messages"][-1]["content"] if body.get("messages") else ""
    n = sum(map(ord, question)) % 3
    # whose prompt: the name in its first line (あなたは「花相（かしょう）」です). Every prompt names her sisters
    # a little later, so looking further (the first 200 characters, as this did before) gave 牡丹 and ユリ
    # Kasho's lines — which 牡丹's guard rejects (ございます), twice, at both tiers' price
    head = system.split("\n", 1)[0]
    if "Kasho" in head or "花相" in head:
        return [
            "それは素敵な質問ですね。私なら、まずは身近なところから試してみると思います。",
            "ふふ、少し考えてしまいますね。あなたはどう思いますか？",
            "教えてくれてありがとうございます。よかったら、もう少し聞かせてください。",
        ][n]
    if "ユリ" in head:
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
    parser.add_argument("--dir", default=str(ROOT / "tests/data/learning/authors"),
                        help="author files: *_questions.jsonl (and *_everyday.jsonl)")  # fmt: skip
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
    intents, everyday = load_authors(Path(args.dir))
    questions = Questions(intents, args.seed)
    months = []
    for i, start in enumerate((datetime(2026, 11, 1), datetime(2026, 12, 1)), 1):
        path = work / f"month{i}.jsonl"
        msgs = generate(args.fans, args.seed * 100 + i, start, questions, everyday, i)
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
    judged = layer1_answers(db, months[1][0], work / "month2_layer1.jsonl")
    print(f"fans: {args.fans}, seed {args.seed}, authors {args.dir}, models {args.models or 'default'}; "
          f"files in {work}")  # fmt: skip
    asked = [m for m in map(json.loads, months[1][0].read_text(encoding="utf-8").splitlines())
             if m["intent"] and ":" in m["intent"] and not m["intent"].startswith("everyday:")]  # fmt: skip
    firsts = [m for m in map(json.loads, months[0][0].read_text(encoding="utf-8").splitlines())
              if m["intent"] and ":" in m["intent"] and not m["intent"].startswith("everyday:")]  # fmt: skip
    seen_intents, seen_texts = {m["intent"] for m in firsts}, {m["text"] for m in firsts}
    if asked:
        print(f"month 2 questions: {len(asked)}, {sum(m['intent'] in seen_intents for m in asked) / len(asked):.0%} "
              f"with a month-1 intent, {sum(m['text'] in seen_texts for m in asked) / len(asked):.0%} "
              "a month-1 text exactly")  # fmt: skip
    for label, report, (_path, n) in (("month 1", first, months[0]), ("month 2", second, months[1])):
        o = report["overall"]
        print(
            f"{label}: {n} lines ({o['messages']} messages), Layer 1 {o['layers']['layer1']['percent']}%, "
            f"Layer 2 {o['layers']['layer2']['percent']}% (cheap {o['tiers']['cheap']['count']}, strong {o['tiers']['strong']['count']}), "
            f"¥{o['yen']:.2f} against ¥{o['all_strong_yen']:.2f} all-strong: saving {o['reduction_percent']}%"
        )
        if label == "month 1":
            print(f"review: {approved} candidate(s) approved from a pipe")
    print(f"month 2's Layer 1 answers for judging: {work / 'month2_layer1.jsonl'} ({judged['answers']} answers; "
          f"{judged['learned']} by learned patterns, label agreement {judged['agree']}/{judged['learned']})")  # fmt: skip
    return 0


def layer1_answers(db: str, month_file: Path, out: Path) -> dict:
    """Every Layer 1 answer of month 2, in order: the fan's line, her reply, the pattern, and for a
    learned pattern the wordings it was learned from (and what the generator meant by each)."""
    from sqlalchemy import create_engine, select

    from botan_line.storage.db import candidates, history, ledger

    lines = [json.loads(x) for x in month_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    meant: dict[tuple[str, str], str] = {}
    for m in lines:
        meant[(m["user"], m["text"])] = m["intent"]
    first = datetime.fromisoformat(lines[0]["time"]).replace(tzinfo=TZ).timestamp() if lines else 0
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.user_id, ledger.c.sister, ledger.c.pattern, ledger.c.reply, history.c.text)
            .select_from(
                ledger.outerjoin(
                    history,
                    (history.c.user_id == ledger.c.user_id)
                    & (history.c.created_at == ledger.c.created_at)
                    & (history.c.role == "user"),
                )
            )  # fmt: skip
            .where(ledger.c.layer == "layer1", ledger.c.created_at >= first)
            .order_by(ledger.c.id)
        ).all()
        cands = {f"{r.sister}:learned_{r.id}": r for r in conn.execute(select(candidates)).all()}
    engine.dispose()
    month1 = [
        json.loads(x) for x in month_file.with_name("month1.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    meant1 = {}
    for m in month1:
        meant1.setdefault(m["text"], m["intent"])
    counts = {"answers": 0, "learned": 0, "agree": 0}
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            item = {
                "fan": r.text,
                "reply": r.reply,
                "pattern": r.pattern,
                "meant": meant.get((r.user_id, r.text)),
            }
            cand = cands.get(r.pattern or "")
            if cand is not None:
                members = [m["text"] for m in json.loads(cand.members or "[]")]
                item["learned_from"] = members
                if cand.pattern_id:  # more wordings of one of hers: answered with that pattern's lines
                    item["same_as"] = f"{r.sister}:{cand.pattern_id}"
                item["learned_intents"] = sorted({meant1.get(t) or "?" for t in _raw_of(members, month1)})
                counts["learned"] += 1
                counts["agree"] += item["meant"] in item["learned_intents"]
            counts["answers"] += 1
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    return counts


def _raw_of(keys: list[str], month1: list[dict]) -> list[str]:
    """The month-1 texts whose normalised form (without a sister's name) is one of ``keys``."""
    from botan_line.characters.normalize import normalize

    out = []
    for m in month1:
        text = normalize(m["text"]).text
        if any(k and (k == text or k in text) for k in keys):
            out.append(m["text"])
    return out


if __name__ == "__main__":
    sys.exit(main())
