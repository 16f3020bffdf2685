"""The env file: one configuration for the service and the terminal.

The systemd unit runs ``botan-line --env-file /etc/botan-line/env serve`` and an operator runs
``botan-line --env-file /etc/botan-line/env stats``: both read the same file with this parser,
so the terminal sees exactly the database, characters and credentials the service uses.

**The file wins over the process environment.** A variable exported in an operator's shell (a
``BOTAN_DATABASE_URL`` left over from local development, say) would otherwise make a terminal
command quietly disagree with the service, which is the bug this file exists to prevent. A
shadowed variable is named in a note on stderr (its value never is). To try another value for
one command, copy the file and change it there.

The format is the strict subset of systemd's ``EnvironmentFile=`` syntax on which the two agree:
``NAME=value`` lines, ``#``/``;`` comment lines, values optionally in single or double quotes.
Everything the two would read differently (``export``, inline ``# comments``, backslashes,
quotes inside a value, line continuations) and repeated names are errors as ``file:line``.
A hand-written parser for that reason: python-dotenv accepts exactly those differing forms.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import MutableMapping
from pathlib import Path

from botan_line.errors import SettingsError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse(text: str, path: str = "env") -> dict[str, str]:
    """``NAME=value`` pairs of an env file; raises SettingsError with ``file:line: message``."""
    values: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{path}:{number}"
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("export "):
            raise SettingsError(f"{where}: remove 'export' (systemd does not understand it)")
        if "=" not in line:
            raise SettingsError(f"{where}: expected NAME=value")
        name, value = (part.strip() for part in line.split("=", 1))
        if not NAME.match(name):
            raise SettingsError(f"{where}: {name!r} is not a variable name (letters, digits, _)")
        if name in first_line:
            raise SettingsError(f"{where}: {name} is already set on line {first_line[name]}")
        values[name] = _value(value, where)
        first_line[name] = number
    return values


def _value(value: str, where: str) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        if len(value) < 2 or not value.endswith(quote):
            raise SettingsError(f"{where}: the value's closing {quote} is missing (or text follows it)")
        inner = value[1:-1]
        if quote == "'":
            if "'" in inner or "\\" in inner:
                raise SettingsError(f"{where}: no ' or \\ inside a single-quoted value")
            return inner
        out = []
        chars = iter(inner)
        for ch in chars:
            if ch == "\\":
                ch = next(chars, "")
                if ch not in ('"', "\\"):
                    raise SettingsError(f'{where}: only \\" and \\\\ may be escaped inside double quotes')
            elif ch == '"':
                raise SettingsError(f'{where}: write " inside a double-quoted value as \\"')
            out.append(ch)
        return "".join(out)
    if re.search(r"\s#", value):
        raise SettingsError(
            f"{where}: put comments on their own line (systemd would keep '#…' as part of the value)"
        )
    if "\\" in value or "'" in value or '"' in value:
        raise SettingsError(f"{where}: a value with quotes or backslashes must be quoted as a whole")
    return value


def read(path: Path) -> dict[str, str]:
    """Read and parse the env file at ``path``; every problem is one SettingsError line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"--env-file {path}: no such file") from None
    except PermissionError:
        raise SettingsError(
            f"--env-file {path}: permission denied (run as the service user: sudo -u botan botan-line …)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"--env-file {path}: cannot read it ({type(exc).__name__})") from None
    return parse(text, str(path))


def world_readable(path: Path) -> bool:
    """True when every user of the machine can read the file (it holds the channel secret)."""
    try:
        return bool(Path(path).stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def apply(values: dict[str, str], environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Put ``values`` into the environment (the file wins); return the names whose value it replaced."""
    environ = os.environ if environ is None else environ
    shadowed = sorted(name for name, value in values.items() if environ.get(name, value) != value)
    environ.update(values)
    return shadowed
