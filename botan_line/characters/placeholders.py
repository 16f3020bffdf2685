"""The one way a character line's placeholders are filled, and checked the same way.

A line may name ``{name}`` (what the sister calls this fan) and ``{band}`` (the time of day in
words); a pattern's reply that holds only while a notice is remembered (``when.stream``) may also
name ``{stream}``, the stream her latest notice announced; the crisis reply may also name
``{contacts}``. Filling and checking both go through ``str.format_map``, so a line that passes
:func:`problem` can always be filled.
"""

from __future__ import annotations

PLACEHOLDERS = frozenset({"name", "band"})
STREAM = "stream"
PATTERN_PLACEHOLDERS = PLACEHOLDERS | {STREAM}  # {stream} only where when.stream makes sure there is one
CRISIS_PLACEHOLDERS = frozenset({"name", "contacts"})


def names(template: str, placeholder: str) -> bool:
    """Does ``template`` use ``{placeholder}``?"""
    return "{" + placeholder + "}" in template.replace("{{", "").replace("}}", "")


class _Strict(dict):
    def __init__(self, allowed: frozenset[str], values: dict[str, str]):
        super().__init__(values)
        self.allowed = allowed

    def __missing__(self, key: str) -> str:
        if key in self.allowed:
            return ""
        raise KeyError(key)


def fill(template: str, allowed: frozenset[str] = PATTERN_PLACEHOLDERS, **values: str) -> str:
    """``template`` with its placeholders replaced; an allowed placeholder without a value becomes ""."""
    return template.format_map(_Strict(allowed, values))


def problem(template: str, allowed: frozenset[str] = PLACEHOLDERS) -> str | None:
    """Why ``template`` cannot be filled (an unknown placeholder, a stray brace), or None."""
    try:
        fill(template, allowed)
    except KeyError as exc:
        names = ", ".join("{" + n + "}" for n in sorted(allowed))
        return f"unknown placeholder {{{exc.args[0]}}} (only {names}; write {{{{ and }}}} for literal braces)"
    except (ValueError, IndexError) as exc:
        return f"bad placeholder: {exc} (write {{{{ and }}}} for literal braces)"
    return None
