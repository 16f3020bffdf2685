"""botan-line: three VTuber sisters chatting with their fans on LINE."""

import sys

__version__ = "0.1.0"

MIN_PYTHON = (3, 11)

# Refuse an old interpreter in one line before any module uses 3.11 features (this file itself
# stays readable by old Pythons). pip already refuses to install on one; this catches a checkout
# run directly (PYTHONPATH=. python3.10 -m botan_line …).
if sys.version_info < MIN_PYTHON:
    sys.stderr.write(
        f"botan-line needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer, this is {sys.version.split()[0]}. "
        "Ubuntu 24.04 ships 3.12 (sudo apt install python3-venv); on Ubuntu 22.04 install python3.11 "
        "and python3.11-venv from the deadsnakes PPA.\n"
    )
    raise SystemExit(2)
