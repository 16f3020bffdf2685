"""``botan-line eval``: a persona check before a tier moves to another model.

A small set of fixed conversations per sister (``characters/evals.yaml``: a greeting, banter, a
worry, a question about her sisters, a long message, a reaction to her own line) is sent to the
configured endpoint exactly as Layer 2 sends a fan's message — her fixed prompt, the history, the
careful instruction for a worry — with the parameters the model's profile gives the tier. Each
reply is checked by the quality guard and her voice rules (``persona.yaml`` ``rules``), and priced.
An operator runs it against the real API before changing models; the tests run it against the
fake OpenAI server.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import RootModel

from botan_line.characters.loader import CharacterSet
from botan_line.config import BotConfig, Strict, Tier
from botan_line.core.guard import check_reply
from botan_line.core.layer2 import profiles, prompt
from botan_line.core.layer2.layer import with_instruction
from botan_line.core.ports import LLMUnavailable, Model
from botan_line.errors import SettingsError
from botan_line.yamlio import YamlProblem, load_with_lines, validate

EVALS_FILE = "evals.yaml"
DEADLINE_SECONDS = 40.0  # what a live reply has: the reply token's window, with its margin


class Conversation(Strict):
    kind: Literal["greeting", "banter", "worry", "sisters", "long", "reaction"]
    say: str
    before: str | None = None  # the fan's line her previous one answered
    after: str | None = None  # her previous line (a reaction answers it)
    care: bool = False  # a worried fan: the careful instruction follows the persona


class EvalFile(RootModel[dict[str, list[Conversation]]]):
    """characters/evals.yaml: sister id → her conversations."""


def load_evals(root: Path, chars: CharacterSet) -> dict[str, list[Conversation]]:
    """Every sister's conversations from ``characters/evals.yaml`` (errors as ``file:line``)."""
    path = root / EVALS_FILE
    if not path.is_file():
        raise SettingsError(f"no {path}: the persona check needs its conversations there")
    try:
        data, lines = load_with_lines(path)
        found = validate(EvalFile, data, path, lines).root
    except YamlProblem as exc:
        raise SettingsError(exc.problems[0]) from None
    unknown = set(found) - set(chars.sisters)
    if unknown:
        raise SettingsError(f"{path}: no such sister {sorted(unknown)[0]!r}")
    return {sid: found.get(sid, []) for sid in chars.sisters}


@dataclass(frozen=True)
class Result:
    sister: str
    kind: str
    tier: str
    model: str
    verdict: str  # pass | reject:<reason> | error:<reason>
    reply: str
    prompt_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    completion_tokens: int = 0
    yen: float = 0.0
    latency_ms: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


def messages_for(chars: CharacterSet, cfg: BotConfig, sister: str, c: Conversation) -> list[dict]:
    """What Layer 2 would send for this conversation (a first-time fan with no facts)."""
    history = [("user", c.before or "…"), ("assistant", c.after)] if c.after else []
    messages = prompt.build_messages(
        prompt.fixed_prompt(chars, sister, cfg.llm.style_prefix_tokens),
        None,
        history,
        c.say,
        history_turns=cfg.llm.history_turns,
        history_tokens=cfg.llm.history_tokens,
        max_input_chars=cfg.llm.max_input_chars,
    )
    return with_instruction(messages, chars.safety.concern_instruction) if c.care else messages


def run(
    llm: Model,
    chars: CharacterSet,
    cfg: BotConfig,
    evals: dict[str, list[Conversation]],
    tiers: list[tuple[str, Tier]],
    clock=time.monotonic,
) -> list[Result]:
    """Every conversation of every sister on every tier given (name, tier), in order."""
    out = []
    for name, tier in tiers:
        for sister, conversations in evals.items():
            persona = chars.persona(sister)
            for c in conversations:
                started = clock()
                try:
                    done = llm.complete(profiles.ask(tier, cfg), messages_for(chars, cfg, sister, c),
                                        deadline=started + DEADLINE_SECONDS)  # fmt: skip
                except LLMUnavailable as exc:
                    out.append(Result(sister, c.kind, name, tier.model, f"error:{exc.reason}", ""))
                    continue
                verdict = check_reply(
                    done.text,
                    forbidden=persona.rules.forbidden,
                    max_sentences=persona.rules.max_sentences,
                    max_chars=cfg.llm.max_output_chars,
                    prompt_fragments=prompt.guard_fragments(chars, sister),
                    names=chars.speaker_names,
                )
                yen = cfg.price_yen(tier.model, done.prompt_tokens, done.completion_tokens, done.cached_tokens,
                                    done.cache_write_tokens)  # fmt: skip
                out.append(Result(sister, c.kind, name, tier.model, "pass" if verdict.ok else f"reject:{verdict.reason}",
                                  done.text, done.prompt_tokens, done.cached_tokens, done.reasoning_tokens,
                                  done.completion_tokens, yen, (clock() - started) * 1000))  # fmt: skip
    return out


def table(results: list[Result]) -> str:
    """One line per conversation, then one summary line per tier and model."""
    lines = [f"{'tier':<7}{'model':<16}{'sister':<8}{'kind':<10}{'verdict':<26}{'tokens in/cached/reason/out':>30}"
             f"{'yen':>9}{'ms':>7}  reply"]  # fmt: skip
    for r in results:
        tokens = f"{r.prompt_tokens}/{r.cached_tokens}/{r.reasoning_tokens}/{r.completion_tokens}"
        lines.append(f"{r.tier:<7}{r.model:<16}{r.sister:<8}{r.kind:<10}{r.verdict[:25]:<26}{tokens:>30}"
                     f"{r.yen:>9.4f}{r.latency_ms:>7.0f}  {r.reply[:40]}")  # fmt: skip
    lines.append("")
    for (tier, model), group in _groups(results).items():
        passed = sum(r.passed for r in group)
        failed = sorted({r.verdict for r in group if not r.passed})
        latency = statistics.median(r.latency_ms for r in group)
        lines.append(
            f"{tier} {model}: {passed}/{len(group)} passed"
            + (f" (failed: {', '.join(failed)})" if failed else "")
            + f"; tokens in {sum(r.prompt_tokens for r in group):,}, reasoning {sum(r.reasoning_tokens for r in group):,},"
            f" out {sum(r.completion_tokens for r in group):,}; ¥{sum(r.yen for r in group):.3f}"
            f" (¥{sum(r.yen for r in group) / len(group) * 1000:,.1f} per 1,000 replies); median {latency:.0f} ms"
        )
    return "\n".join(lines)


def _groups(results: list[Result]) -> dict[tuple[str, str], list[Result]]:
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.tier, r.model), []).append(r)
    return groups


def as_json(results: list[Result], today: date) -> dict:
    return {
        "date": today.isoformat(),
        "results": [dict(r.__dict__, passed=r.passed) for r in results],
        "summary": [
            {
                "tier": tier,
                "model": model,
                "passed": sum(r.passed for r in group),
                "total": len(group),
                "yen": round(sum(r.yen for r in group), 4),
                "reasoning_tokens": sum(r.reasoning_tokens for r in group),
            }
            for (tier, model), group in _groups(results).items()
        ],  # fmt: skip
    }
