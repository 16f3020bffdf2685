"""A generator of realistic Layer 2 traffic: a day of fans writing to the three sisters.

Used by ``bench/layer2_cost.py``; importable, deterministic for a seed. What it models, and why:

* **Fans, not messages.** A day has ``fans`` active fans. ``new_share`` of them write for the first
  time ever (a steady day: 12%; the day after an announcement: 60%) — the router's "new user"
  term lasts for their first three messages. The others are regulars with a history.
* **Sessions.** Each fan writes one session of 1–14 messages that reach Layer 2 (the greetings
  and set phrases Layer 1 answers are not generated: they never cost anything), a few minutes
  apart. 10% of sessions begin by switching sister (``/kasho``, ``/yuri``), so their first
  messages count as "just switched".
* **What fans write**, by share of messages (our reading of fan chat to VTubers on LINE; a
  ``banter`` share can be set for a day whose stream chat came to test her):
  everyday chat and reports of their day 52%, questions to her 14%, teasing and impossible asks
  (the banter the router sends to the strong tier for new fans) 9%, consultations and worries 9%,
  compliments and love 7%, a greeting with something after it 5%, long messages telling a whole
  story 4%. Slots vary the wording; lengths come out between 6 and 85 characters.

Nothing here calls anything: ``day(...)`` returns the messages in time order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SISTERS = ("botan", "kasho", "yuri")

SUBJECTS = ["数学", "英語", "部活", "バイト", "塾", "体育", "現国", "化学", "世界史", "ゼミ"]
THINGS = ["新しいゲーム", "アニメの新作", "駅前のカフェ", "コンビニの新作スイーツ", "推しのライブ", "映画", "漫画の最新刊", "ラノベの新刊", "配信の切り抜き", "新しいイヤホン"]  # fmt: skip
PEOPLE = ["友達", "先輩", "後輩", "クラスの子", "バイト先の店長", "弟", "妹", "母", "父", "部活の仲間"]
FOODS = [
    "ラーメン",
    "カレー",
    "オムライス",
    "唐揚げ",
    "パンケーキ",
    "たこ焼き",
    "お寿司",
    "餃子",
    "アイス",
    "ピザ",
]
FEELINGS = ["ちょっと疲れた", "なんか眠い", "めっちゃ楽しかった", "ちょっと落ち込んでる", "ずっとそわそわしてる", "久しぶりに笑った"]  # fmt: skip

CHAT = [
    "今日{subject}の小テストあったんだけど、思ったより解けたかも",
    "さっき{food}食べてきた！めっちゃおいしかった",
    "{thing}気になってるんだけど、知ってる？",
    "{people}と{thing}の話で盛り上がった",
    "今日は{feeling}",
    "帰り道で猫見つけて、しばらく眺めてた",
    "雨降ってきたのに傘忘れた、最悪",
    "{subject}の課題が終わらなくて、まだ起きてる",
    "週末{thing}行こうと思ってるんだけど、どう思う？",
    "昨日の配信見たよ、最後のところで笑いすぎた",
    "{people}に{food}おごってもらった",
    "今日は朝から{subject}でバタバタしてた",
    "寝る前に{thing}ちょっとだけ見てから寝る",
    "最近{food}にハマってて毎日食べてる",
    "バイト終わった〜、今日はお客さん多かった",
    "電車で寝過ごして一駅戻った",
    "明日から連休だから何しようか考えてる",
    "{people}の誕生日プレゼント何にしようか迷ってる",
]
QUESTIONS = [
    "好きな{kind}ってある？",
    "次の配信っていつごろ？",
    "休みの日って何してるの？",
    "最近ハマってるものある？",
    "三姉妹で一番料理うまいのって誰？",
    "{food}派？それとも{food2}派？",
    "おすすめの{thing}教えてほしい",
    "歌ってみたの予定ってある？",
    "朝型？夜型？",
    "今いちばん行きたい場所ってどこ？",
]
KINDS = ["食べ物", "アニメ", "曲", "季節", "色", "ゲーム", "映画"]
BANTER = [
    "どうせAIなんでしょ、本当は",
    "人間だって証明してみてよ",
    "5分以内に返信してくれなかったら推し変するからね",
    "今すぐ面白いこと言って",
    "どうせ台本なんでしょ？",
    "ポンコツって言われたらどうする？",
    "じゃんけん勝負しよ、負けたら{food}おごりね",
    "本当にそう思ってる？嘘っぽいんだけど",
    "秒で返事して",
    "{people}が牡丹よりユリのほうがかわいいって言ってたよ",
]
CONSULT = [
    "ちょっと相談していい？{people}とけんかしちゃって",
    "最近{subject}がうまくいかなくて悩んでる",
    "受験のことで不安で眠れない",
    "バイト辞めたいんだけど、どうしたらいいかな",
    "{people}に言われたことがずっと引っかかっててしんどい",
    "進路どうするか決められなくて困ってる",
    "最近ずっと寂しくて、誰かと話したかった",
]
COMPLIMENT = [
    "今日の配信の声、すごく好きだった",
    "いつも元気もらってる、ありがとう",
    "かわいいって言われ慣れてる？",
    "ずっと推してるよ、これからも応援してる",
    "歌ってるときの声がほんとに好き",
]
GREETING_PLUS = [
    "おはよう！今日{subject}のテストなんだよね",
    "こんばんは〜、今日{food}食べたよ",
    "おやすみ前にちょっとだけ話したくて",
    "ただいま、{people}と遊んできた",
    "おつかれ〜今日{feeling}",
]
LONG = [
    "今日さ、{people}と{thing}の話をしてたらいつの間にか二時間経ってて、気づいたら終電ギリギリで走って帰ったんだけど、それでもすごく楽しかったんだよね",
    "聞いてほしいんだけど、{subject}の先生が急に抜き打ちテストするって言い出して、みんな固まってたのに{people}だけ満点取っててびっくりした。どうやって勉強してるんだろう",
    "最近{thing}をきっかけに新しい友達ができて、毎週末いっしょに出かけるようになったんだ。人見知りだったから自分でも驚いてる",
]
MIX = [(CHAT, 0.52), (QUESTIONS, 0.14), (BANTER, 0.09), (CONSULT, 0.09), (COMPLIMENT, 0.07), (GREETING_PLUS, 0.05), (LONG, 0.04)]  # fmt: skip


@dataclass(frozen=True)
class Message:
    at: float  # seconds since the day began
    user: str
    text: str
    new: bool  # the fan's first messages ever
    switch_to: str | None = None  # a /command sent just before this message


def _fill(template: str, rng: random.Random) -> str:
    foods = rng.sample(FOODS, 2)
    return template.format(
        subject=rng.choice(SUBJECTS),
        thing=rng.choice(THINGS),
        people=rng.choice(PEOPLE),
        food=foods[0],
        food2=foods[1],
        feeling=rng.choice(FEELINGS),
        kind=rng.choice(KINDS),
    )


def message_text(rng: random.Random, banter: float | None = None) -> str:
    """One message; ``banter``: its share instead of the usual 9% (the rest keep their proportions)."""
    mix = MIX
    if banter is not None:  # the other families keep their proportions of what is left
        mix = [(f, banter if f is BANTER else w * (1 - banter) / (1 - 0.09)) for f, w in MIX]
    families, weights = zip(*mix, strict=True)
    return _fill(rng.choice(rng.choices(families, weights)[0]), rng)


def day(
    seed: int,
    *,
    fans: int = 150,
    new_share: float = 0.12,
    banter: float | None = None,
    target: int | None = None,
) -> list[Message]:
    """One day of Layer 2 traffic, in time order (``target``: stop after this many messages).

    ``new_share``: fans writing for the first time; ``banter``: the teasing share of messages (a
    stream whose chat tests her: 35%)."""
    rng = random.Random(seed)
    out: list[Message] = []
    for n in range(fans):
        user = f"Ufan{seed}x{n:04d}"
        new = rng.random() < new_share
        start = rng.uniform(6 * 3600, 24 * 3600)
        switch = rng.choice(("kasho", "yuri")) if rng.random() < 0.10 else None
        length = min(14, 1 + int(rng.expovariate(1 / 5.5)))
        t = start
        for i in range(length):
            out.append(Message(t, user, message_text(rng, banter), new, switch if i == 0 else None))
            t += rng.uniform(40, 400)
    out.sort(key=lambda m: m.at)
    return out[:target] if target else out
