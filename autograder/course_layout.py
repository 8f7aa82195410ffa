"""Where the course lives: its assignments, their notebooks, and how to run nbgrader on them.

A course root is a folder holding `nbgrader_config.py` and `source/<assignment>/`, each with its
jupytext script `<assignment>.py` and the notebook built from it, `<assignment>.ipynb`
(autograder/sources.py); the course root is the repository itself, or a copy of it (in tests).
nbgrader_config.py computes the root from its own location, so a copy of it makes its folder a
course root (see the GUIDE).
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# nbgrader's markers (its defaults; the course does not change them).
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
BEGIN_SOLUTION = "### BEGIN SOLUTION"


def assignments(course_root=REPO):
    """The assignment folders of source/ that hold a notebook or its script, in order."""
    source = Path(course_root) / "source"
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and not p.name.startswith(".")
                  and (any(p.glob("*.ipynb")) or (p / f"{p.name}.py").exists()))


def notebook_file(folder, assignment):
    """The one notebook of `assignment` in `folder` (a source/ or release/ folder)."""
    notebooks = sorted((Path(folder) / assignment).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise ValueError(f"{Path(folder) / assignment} must hold exactly one notebook, "
                         f"not {len(notebooks)}")
    return notebooks[0]


def venv_environment(base=None):
    """The environment for nbgrader subprocesses: this Python's bin folder first on PATH
    (nbgrader runs `alembic`, and the kernel must be this environment's `python3`)."""
    env = dict(os.environ if base is None else base)
    bin_dir, path = str(Path(sys.executable).parent), env.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        env["PATH"] = f"{bin_dir}{os.pathsep}{path}" if path else bin_dir
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
