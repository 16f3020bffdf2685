"""Build step: the default characters ship inside the wheel, so an installed package runs alone.

The character files stay where the writers edit them (``characters/`` at the top of the
checkout); this maps that folder into the package as ``botan_line/default_characters``, which
``settings.default_characters_dir()`` finds in an installed wheel. Everything else about the
package is declared in ``pyproject.toml``. Approved ``learned.yaml`` files are server state,
never part of a release. The web console's templates and static files (the vendored chart
library included) are package data of ``botan_line.doors``.
"""

from pathlib import Path

from setuptools import find_packages, setup

CHARACTERS = "botan_line.default_characters"
# the console's pages, styles, scripts and the vendored chart library (botan_line/doors/console_ui)
CONSOLE_UI = ["console_ui/templates/*.html", "console_ui/static/*", "console_ui/static/vendor/*"]
ROOT = Path(__file__).resolve().parent
# one sub-package per sister folder: a new sister's folder is packaged with no change here
sisters = sorted(
    p.name for p in (ROOT / "characters").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
)

setup(
    packages=find_packages(include=["botan_line", "botan_line.*"])
    + [CHARACTERS]
    + [f"{CHARACTERS}.{s}" for s in sisters],
    package_dir={CHARACTERS: "characters"},
    package_data={
        CHARACTERS: ["*.yaml", "README.md"],
        **{f"{CHARACTERS}.{s}": ["*.yaml"] for s in sisters},
        "botan_line.doors": CONSOLE_UI,
        "botan_line": ["models.yaml"],  # the model profiles (what each model takes, costs, and when it stops)
        # LINE's webhook schema (the door checks events against it) and the safety reader's table
        "botan_line.core": ["line_webhook.yml", "safety_model.tsv.gz", "safety_readings.tsv"],
    },
    exclude_package_data={f"{CHARACTERS}.{s}": ["learned.yaml"] for s in sisters},
)
