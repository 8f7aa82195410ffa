"""A throw-away nbgrader course made from the repository's notebooks, driven by real nbgrader.

The pipeline tests use it to regenerate the release, to validate notebooks and to autograde a
class of made-up students (the solutions, the blank release, the wrong-answer bank).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder import demo
from autograder.cells import nbgrader_cells
from autograder.course_layout import REPO, assignments, notebook_file, venv_environment

__all__ = ["REPO", "NBGRADER_TIMEOUT", "TempCourse", "assignments", "filled_release", "nbgrader",
           "nbgrader_cells", "notebook_file", "stderr_outputs", "venv_environment"]

NBGRADER_TIMEOUT = 900  # seconds for one nbgrader command: a whole class of one assignment


def nbgrader(*args, cwd, check=True, timeout=NBGRADER_TIMEOUT):
    """Run a real nbgrader command with this Python; returns the CompletedProcess."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=cwd,
                            env=venv_environment(), capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


class TempCourse:
    """An nbgrader course root in a temporary folder, with the repository's configuration.

    nbgrader_config.py computes the course root from its own location, so a copy of it makes
    the copy's folder the root, with its own gradebook.
    """

    def __init__(self, root, assignment_names, repo=REPO):
        self.root, self.repo = Path(root), repo
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo / "nbgrader_config.py", self.root / "nbgrader_config.py")
        for name in assignment_names:
            shutil.copytree(repo / "source" / name, self.root / "source" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))

    def run(self, *args, check=True):
        return nbgrader(*args, cwd=self.root, check=check)

    def generate(self, assignment):
        self.run("generate_assignment", assignment, "--force")
        return notebook_file(self.root / "release", assignment)

    def submit(self, student, assignment, nb, name):
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / name)

    def autograde(self, assignment, student="*"):
        """Autograde the submitted students of `assignment` whose ids match the glob `student`
        (all of them by default) in one nbgrader run."""
        return self.run("autograde", assignment, "--force", f"--student={student}")

    def scores(self, assignment, student):
        """{test grade_id: (score, max_score)} from the gradebook, after autograde."""
        from nbgrader.api import Gradebook

        notebook = notebook_file(self.root / "source", assignment).stem
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            cells = gb.find_notebook(notebook, assignment).grade_cells
            return {c.name: (gb.find_grade(c.name, notebook, assignment, student).score,
                             c.max_score) for c in cells}

    def autograded(self, assignment, student):
        folder = self.root / "autograded" / student / assignment
        return nbformat.read(notebook_file(folder.parent, assignment), as_version=4)


def filled_release(assignment, overrides=None, repo=REPO):
    """The released notebook with every solution cell filled from the source solution (without
    nbgrader's markers), except the cells in `overrides` ({grade_id: cell source}): what a
    student would submit."""
    return demo.filled_release(repo, assignment, overrides)


def stderr_outputs(nb):
    """[(cell index, text)] of everything a notebook's cells wrote to stderr."""
    return [(i, out.get("text", "")) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("name") == "stderr"]
