"""The shape of the code, held by tests: which package may import which, and what importing the core loads.

The direction, lowest first: the shared leaves (errors, clock, yamlio, envfile) → config → characters →
core → storage and adapters (never each other) → settings → wiring → doors → ops (the terminal). A module
may import its own package and anything lower. Every import counts, inside functions too: an import
tucked into a function is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "botan_line"
RANK = {
    "errors": 0, "clock": 0, "yamlio": 0, "envfile": 0, "__init__": 0,
    "config": 1,
    "characters": 2,
    "core": 3,
    "storage": 4, "adapters": 4,
    "settings": 5,
    "wiring": 6,
    "doors": 7,
    "ops": 8, "__main__": 8,
}  # fmt: skip
PEERS_APART = {frozenset({"storage", "adapters"})}  # the same rank, and still independent


def family(module: str) -> str:
    """``botan_line.core.layer2.tiers`` → ``core``; ``botan_line.settings`` → ``settings``."""
    parts = module.split(".")
    if len(parts) < 2 or (parts[1].startswith("__") and parts[1] != "__main__"):
        return "__init__"  # the package itself (botan_line.__version__)
    return parts[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every botan_line import in a file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("botan_line"):
            found.append((node.lineno, node.module))
            found += [
                (node.lineno, f"{node.module}.{a.name}") for a in node.names if node.module == "botan_line"
            ]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("botan_line")]
    return found


def violations() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        mine = family(".".join(rel.with_suffix("").parts))
        for line, module in imports_of(path):
            theirs = family(module)
            if theirs == mine:
                continue
            if theirs not in RANK or mine not in RANK:
                out.append(f"{rel}:{line}: {module} belongs to no known family (add it to RANK)")
            elif RANK[theirs] > RANK[mine] or frozenset({mine, theirs}) in PEERS_APART:
                out.append(f"{rel}:{line}: {mine} must not import {module} ({theirs})")
    return out


def test_no_import_goes_against_the_direction():
    assert violations() == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    from botan_line.ops import learning\n    import botan_line.doors.worker\n"
    )
    assert imports_of(sample) == [(2, "botan_line.ops"), (3, "botan_line.doors.worker")]


CORE_MODULES = sorted(
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
    for p in (PACKAGE / "core").rglob("*.py")
    if p.name != "__init__.py"
)


def test_importing_the_core_loads_no_sdk_database_or_web_framework():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE_MODULES)
        + "heavy = [m for m in ('openai', 'linebot', 'sqlalchemy', 'flask', 'httpx', 'fugashi', 'gunicorn') "
        "if m in sys.modules]\nprint(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("module", CORE_MODULES)
def test_every_core_module_imports_on_its_own(module):
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True)


@pytest.mark.slow
def test_the_package_type_checks_and_lints_clean():
    """mypy (pyproject's [tool.mypy], the pydantic plugin) and ruff hold on every module: a seam typed
    wrong, or a Protocol a caller no longer meets, fails here instead of at run time."""
    root = PACKAGE.parent
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "botan_line"], cwd=root, capture_output=True, text=True, timeout=600
    )
    assert mypy.returncode == 0, mypy.stdout[-4000:]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "botan_line", "tests", "bench"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout[-4000:]
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "botan_line", "tests", "bench"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert formatted.returncode == 0, formatted.stdout[-4000:]
