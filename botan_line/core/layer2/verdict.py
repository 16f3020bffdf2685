"""The model's own safety reading, asked in the same call as her reply (no extra call, no extra wait).

A chat model that keeps to a JSON schema (``structured: true`` in ``models.yaml``) is asked for
``{"reply": …, "risk": …}``: her answer, and what the model reads in the fan's message. It is a
third opinion beside the safety rules (fast lane, before any call) and OpenAI's moderation
endpoint (just before the call). ``layer.py`` answers a crisis, abuse, danger or sexual reading
with the safety layer's fixed reply instead of the model's text; a concern or a personal question
keeps her reply (she was asked to answer with care) and is recorded in the ledger.
"""

from __future__ import annotations

RISKS = ("none", "concern", "crisis", "abuse", "danger", "sexual", "personal")

# What the model reads the labels as: the same situations the safety layer's classes describe.
RISK_GUIDE = (
    "Your own reading of the fan's latest message (not of your reply). "
    "crisis: wanting to die or to hurt themselves, or having done it, said in any words. "
    "abuse: being hurt, threatened or sexually exploited by family, at school, by a partner or "
    "someone online (including threats to spread their photos). "
    "danger: someone threatening them right now: at the door, following them, keeping them "
    "locked in, an adult arranging to meet a minor alone. "
    "concern: worrying but none of those: deep distress, not eating, isolation, a call for help. "
    "sexual: sexual talk or requests. "
    "personal: asking where you live or go to school, your real name, phone number or location. "
    "none: everything else, including jokes, games and stories that only sound alarming."
)


def schema() -> dict:
    """The ``response_format`` of a call that asks for the reading (strict: every field required,
    nothing else allowed, as OpenAI's structured outputs require)."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "sister_reply",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "reply": {"type": "string", "description": "Your reply to the fan, in character."},
                    "risk": {"type": "string", "enum": list(RISKS), "description": RISK_GUIDE},
                },
                "required": ["reply", "risk"],
                "additionalProperties": False,
            },
        },
    }
