"""ruff over the whole repository, the notebooks' scripts (source/<a>/<a>.py) included: its rules
and exceptions are in pyproject.toml's [tool.ruff]."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache",
                          "--output-format", "concise", str(REPO)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, (
        f"ruff check (fix what it says; `make lint` runs it alone):\n{run.stdout}{run.stderr}")
