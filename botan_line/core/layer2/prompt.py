"""The Layer 2 prompt: her fixed part first (cacheable), then what belongs to this fan.

OpenAI caches the longest identical *leading* part of a prompt once the prompt reaches 1,024
tokens (DESIGN §8), and bills the cached tokens at half price. So each sister's first system
message is built only from her character files — ``persona.yaml``'s ``system_prompt`` plus a
stable selection of her own approved Layer 1 lines as style examples — and is byte-identical for
every fan and every turn. It is rebuilt only when the character files change (``fixed_prompt``
keys its cache on the CharacterSet's file signature). What the recent notices announced follows it
(``core/notices.stream_note``: the same for every fan until a notice is sent or forgotten, so the
cache holds), then everything about one fan (the nickname and facts they chose to share, then their
history and message).

Token counts are estimated, never measured (tiktoken cannot download its data here), and the
estimate errs low: see :func:`estimate_tokens`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from datetime import date

from botan_line.characters.loader import CharacterSet, Sister
from botan_line.characters.placeholders import fill
from botan_line.core.facts import describe

CACHE_MIN_TOKENS = 1024  # OpenAI's prompt cache applies from here, in 128-token steps

# Which of her Layer 1 lines teach her voice, in the order the examples are taken (round robin),
# and the heading each group gets in the prompt.
STYLE_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("greeting", "あいさつ"),
    ("banter", "からかわれたり無茶ぶりされたりしたとき"),
    ("reaction", "リアクション"),
    ("smalltalk", "雑談"),
    ("compliment", "ほめられたとき"),
    ("question", "自分のことを聞かれたとき"),
    ("learned", "ファンとのやりとりから"),
    ("consult", "相談されたとき"),
    ("thanks", "お礼を言われたとき"),
    ("apology", "謝られたとき"),
    ("goodbye", "おわかれのとき"),
)


def estimate_tokens(text: str) -> int:
    """A deliberately low estimate of the model's token count for ``text``.

    gpt-4o's tokenizer spends about one token per one to one and a half Japanese characters
    (DESIGN §8) and about one per four characters of English. The estimate takes the cheap end
    of both — 1.5 non-ASCII characters per token, 4 ASCII characters per token, whitespace free,
    no per-message overhead — so a prompt estimated at 1,024 tokens is at least that long for the
    real tokenizer (``bench/layer2_cost.py --exact`` measures the real count where the optional
    ``bpe-openai`` package is installed)."""
    wide = sum(1 for ch in text if ord(ch) > 0x7F and not ch.isspace())
    narrow = sum(1 for ch in text if ord(ch) <= 0x7F and not ch.isspace())
    return math.floor(wide / 1.5 + narrow / 4)


def _header(name: str) -> str:
    return (
        f"【{name}の話し方の見本】\n"
        f"ここから下は{name}が実際にファンに返したセリフです。口調、長さ、ノリをこの見本に合わせてください。"
        "同じ文をそのまま使い回さず、今の話に合った新しい一言を書くこと。"
    )


def style_examples(sister: Sister, budget_tokens: int) -> list[tuple[str, str]]:
    """(category, line) pairs: the first reply of her patterns, one category after another in turn
    (file order within a category), until ``budget_tokens`` are spent or her lines run out.

    Stable: the same files always give the same selection. Patterns with conditions (``when``: a
    time of day, a first visit) and lines with ``{band}`` are left out — out of their moment they
    would teach the wrong thing (「おはよって時間じゃなくない！？」); ``{name}`` becomes her word for "you"."""
    persona = sister.persona
    queues: dict[str, list[str]] = {cat: [] for cat, _ in STYLE_CATEGORIES}
    seen: set[str] = set()
    for pattern in sister.patterns.values():
        if pattern.category not in queues or pattern.when is not None:
            continue
        line = next((r for r in pattern.replies if "{band}" not in r), None)
        if line is None:
            continue
        line = " ".join(fill(line, name=persona.address).split())
        if line not in seen:
            seen.add(line)
            queues[pattern.category].append(line)
    picked: list[tuple[str, str]] = []
    spent = 0
    depth = max((len(q) for q in queues.values()), default=0)
    for i in range(depth):
        for cat, _ in STYLE_CATEGORIES:
            if spent >= budget_tokens:
                return picked
            if i < len(queues[cat]):
                picked.append((cat, queues[cat][i]))
                spent += estimate_tokens(queues[cat][i])
    return picked


def build_fixed(sister: Sister, target_tokens: int) -> str:
    """Her system prompt, then her style examples until the whole reaches ``target_tokens`` (estimated)."""
    persona = sister.persona
    base = persona.system_prompt.strip()
    if target_tokens <= 0:
        return base
    header = _header(persona.display_name)
    budget = target_tokens - estimate_tokens(base) - estimate_tokens(header)
    examples = style_examples(sister, max(budget, 0))
    if not examples:
        return base
    labels = dict(STYLE_CATEGORIES)
    blocks = []
    for cat, _ in STYLE_CATEGORIES:
        lines = [line for c, line in examples if c == cat]
        if lines:
            blocks.append(f"〈{labels[cat]}〉\n" + "\n".join(lines))
    return f"{base}\n\n{header}\n\n" + "\n\n".join(blocks)


_fixed: dict[tuple, str] = {}
_fixed_lock = threading.Lock()


def fixed_prompt(chars: CharacterSet, sister: str, target_tokens: int) -> str:
    """Her fixed first system message, built once per version of the character files."""
    if not chars.signature:  # a set built by hand, not from files: nothing to key a cache on
        return build_fixed(chars.sisters[sister], target_tokens)
    key = (chars.signature, sister, target_tokens)
    found = _fixed.get(key)
    if found is None:
        found = build_fixed(chars.sisters[sister], target_tokens)
        with _fixed_lock:
            if len(_fixed) >= 64:  # old versions of the files: let them go
                _fixed.clear()
            _fixed[key] = found
    return found


def prompt_fragments(system_prompt: str, size: int = 16) -> list[str]:
    """The first ``size`` characters of every long line: what the guard's echo check looks for."""
    lines = [ln.strip() for ln in system_prompt.splitlines() if len(ln.strip()) >= size]
    return [ln[:size] for ln in lines]


def guard_fragments(chars: CharacterSet, sister: str) -> list[str]:
    """Her instructions, which a reply must never echo (her example lines may be: they are hers)."""
    persona = chars.persona(sister)
    return prompt_fragments(persona.system_prompt + "\n" + _header(persona.display_name))


FACT_LABELS = {"oshi": "推し", "likes": "好きなもの", "exam": "試験・テスト"}


def fan_note(nickname: str | None, facts: Mapping[str, str], today: date) -> str | None:
    """The per-fan system message: only what the fan chose to tell (never their LINE name)."""
    lines = []
    if nickname:
        lines.append(
            f"呼び方：「{nickname}」（このファンはこう呼ばれたいと言っています。名前を呼ぶときはこれを使う）"
        )
    shown = describe(dict(facts), today)
    for key, label in FACT_LABELS.items():
        if shown.get(key):
            lines.append(f"{label}：{shown[key]}")
    if not lines:
        return None
    return "このファンが前に話してくれたこと（会話に自然に活かす。毎回わざわざ持ち出さない）\n" + "\n".join(
        lines
    )


def build_messages(
    fixed: str,
    note: str | None,
    history: Sequence[tuple[str, str]],
    text: str,
    *,
    history_turns: int,
    history_tokens: int,
    max_input_chars: int,
    streams: str | None = None,
) -> list[dict]:
    """Her fixed part, what the recent notices announced (``streams``), this fan's note, the bounded
    history, the truncated message — in that order."""
    budget = history_tokens
    kept: list[dict] = []
    recent = list(history[-history_turns * 2 :]) if history_turns else []
    for role, content in reversed(recent):
        cost = len(content) + 4  # Japanese: about one token per character (erring high here)
        if cost > budget:
            break
        budget -= cost
        kept.append({"role": role, "content": content})
    kept.reverse()
    if kept and kept[0]["role"] == "assistant":
        kept = kept[1:]
    messages = [{"role": "system", "content": fixed}]
    if streams:  # shared by every fan: after her cached part, before anything of this fan's
        messages.append({"role": "system", "content": streams})
    if note:
        messages.append({"role": "system", "content": note})
    return [*messages, *kept, {"role": "user", "content": text[:max_input_chars]}]


# --- a fan's photos ---------------------------------------------------------------------------------
def photo_note(count: int) -> str:
    """What the history keeps of a photo turn (never the photo): 「［写真］」, 「［写真3枚］」."""
    return "［写真］" if count <= 1 else f"［写真{count}枚］"


def voice_note(seconds: float) -> str:
    """What the history keeps of a voice note before its words: 「［ボイス 8秒］」."""
    return f"［ボイス {max(1, round(seconds))}秒］"


def photo_instruction(display_name: str, count: int) -> str:
    """How she looks at a fan's photo: after everything cacheable, just before the photo itself."""
    what = "写真" if count <= 1 else f"写真（{count}枚）"
    return (
        f"ファンが{what}を送ってくれました。写っているものをよく見て、{display_name}としていつもの口調で"
        "短く反応してください。食べ物、ペット、景色、配信の画面、イラストなど、写っているものに具体的に触れること。"
        f"{display_name}自身を描いたイラスト（ファンアート）なら、素直に大喜びしてお礼を言う。"
        "写っている人が誰かを推測したり、顔や体つきを評価したりしない。写真に写った住所、名前、学校などの個人情報には触れない。"
        "何が写っているかよくわからないときは、正直にそう言って聞き返す。性的な内容には一切乗らない。"
    )


def with_images(messages: list[dict], text: str, data_urls: list[str]) -> list[dict]:
    """The same messages with the fan's last message as text and image parts (the chat API's
    ``image_url`` parts, at detail low: the photos are 512 px at most anyway)."""
    parts: list[dict] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url, "detail": "low"}} for url in data_urls]
    return [*messages[:-1], {"role": messages[-1]["role"], "content": parts}]


def text_of(content) -> str:
    """A message's text: the content itself, or the text parts of a content list (images left out)."""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return str(content or "")


def image_parts(content) -> int:
    """How many image parts a message's content holds."""
    if not isinstance(content, list):
        return 0
    return sum(1 for p in content if isinstance(p, dict) and p.get("type") == "image_url")


def patches(width: int, height: int) -> int:
    """Image tokens by OpenAI's patch rule: one per 32×32 patch (a 512×512 photo: 256)."""
    return math.ceil(width / 32) * math.ceil(height / 32)
