"""The chat console: talk to the sisters through exactly the pipeline LINE uses."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime

from botan_line.core.model import LAYERS, Decision, SaveUser, Turn
from botan_line.settings import Settings
from botan_line.wiring import build


def run_chat(
    settings: Settings,
    *,
    sister: str | None,
    user_id: str,
    now: datetime | None,
    as_json: bool,
    name: str | None = None,
    stdin=None,
    stdout=None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    services = build(settings)
    chars = services.characters.current
    tz = settings.tz
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    if sister:
        if sister not in chars.sisters:
            print(
                f"error: unknown sister {sister!r} (choose from {', '.join(chars.sisters)})", file=sys.stderr
            )
            return 2
        user = services.store.user(user_id)
        services.store.apply(
            Decision(effects=[SaveUser(replace(user, sister=sister))]), now or datetime.now(tz)
        )
    interactive = stdin.isatty() and not as_json
    if interactive:
        state = (
            "on" if services.layer2.enabled else "off: the sisters answer from their files and fixed lines"
        )
        print(f"botan-line chat — Layer 2 {state}. /help for commands, Ctrl-D to leave.", file=stdout)
    while True:
        if interactive:
            stdout.write("あなた> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if not text.strip():
            continue
        turn = Turn(user_id=user_id, text=text, now=now or datetime.now(tz), display_name=name)
        decision = services.conversation.on_text(turn, services.store)
        services.store.apply(decision, turn.now)
        for message in decision.messages:
            entry = decision.ledger
            if as_json:
                stdout.write(
                    json.dumps(
                        {
                            "sister": message.sister,
                            "layer": entry.layer if entry else None,
                            "text": message.text,
                            "pattern": entry.pattern if entry and entry.layer != "layer2" else None,
                            "model": entry.model if entry else None,
                            "tier": entry.tier if entry else None,
                            "yen": round(entry.yen, 4) if entry else 0.0,
                            "guard": entry.guard if entry else None,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            else:
                display = (
                    chars.sisters[message.sister].persona.display_name
                    if message.sister in chars.sisters
                    else message.sister
                )
                mark = LAYERS[entry.layer].mark if entry and entry.layer in LAYERS else "?"
                stdout.write(f"{display} [{mark}]> {message.text}\n")
        stdout.flush()
    return 0
