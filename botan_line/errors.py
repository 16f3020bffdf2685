"""Exceptions that carry a message safe to show to an operator.

Everything else is logged with its traceback and the user gets a fixed in-character line;
exception texts never reach a LINE user.
"""


class BotanError(Exception):
    """Base class: ``str(exc)`` is a one-line message an operator can act on."""


class SettingsError(BotanError):
    """A missing or malformed setting; start-up stops with this one line."""


class CharacterError(BotanError):
    """Invalid character files. ``problems`` holds ``file:line: message`` strings."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class LearningError(BotanError):
    """An approval, rejection or learned pattern that cannot be applied; the message is safe to
    show to the admin (it is Japanese: admins read it in LINE)."""
