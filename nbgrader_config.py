"""nbgrader configuration for the course (nbgrader 0.9.6).

nbgrader reads this file from the folder it is started in; every path here is computed
from this file's own location, so commands work from any checkout. Each option below was
checked against the installed nbgrader 0.9.6: nbgrader only *warns* about an unknown or
misspelled option, so `tests/test_nbgrader_config.py` checks that each one exists.
"""

from pathlib import Path

c = get_config()  # noqa: F821  (traitlets provides get_config to config files)

COURSE_ROOT = Path(__file__).resolve().parent

# Layout: source/<assignment>/<assignment>.py, the jupytext script, from which
# source/<assignment>/<assignment>.ipynb is built (autograder/sources.py) -> release/<assignment>/
# <assignment>.ipynb (students).
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# nbgrader copies every other file of source/<assignment>/ into the release: never the script,
# which holds the solutions and hidden tests. (So assignment folders ship no .py of their own:
# code students need lives in course/.) The rest is nbgrader's default list.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]

# The TA's gradebook lives in the course root (nbgrader's default, written out so it is never
# relative to the current folder). `make release` overrides it with a throw-away database.
# SQLite allows one writer at a time: grade one student at a time per gradebook.
c.CourseDirectory.db_url = f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"

# What replaces a solution region in the student's copy. nbgrader 0.9 wants a dict keyed by
# kernel language and applies one stub to every cell (it cannot name the cell's exercise).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Seconds per cell when autograding (per cell, not per notebook: bound the whole run from
# outside too).
c.Execute.timeout = 60

# A student who deletes a grade cell gets it back (otherwise it stays "needs manual grade").
c.OverwriteCells.add_missing_cells = True
