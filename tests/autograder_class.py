"""Made-up classes of submissions for the autograder's tests: good ones and every bad input.

`write_robustness_class(folder)` writes nbgrader's tree for 03-vector-backprop, one student per
bad input, and returns {student: what is expected}: the status, and the score when graded.
"""

import copy
import csv
import json
from pathlib import Path

import nbformat

from autograder.cells import grade_id, is_solution
from autograder.demo import filled_release, noisy_answer
from autograder.course_layout import REPO, notebook_file

ASSIGNMENT = "03-vector-backprop"
NOTEBOOK = notebook_file(REPO / "source", ASSIGNMENT).name
FULL = 31.0
CELL_TIMEOUT = 8       # seconds per cell in these runs
NOTEBOOK_TIMEOUT = 45  # seconds per notebook


def read_csv(path):
    """The rows of one of the grader's CSV files (grades.csv, tests.csv, intake.csv)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def cell_index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)


def solved(assignment=ASSIGNMENT, overrides=None):
    return filled_release(REPO, assignment, overrides)


def submit(folder, student, nb_or_bytes, name=NOTEBOOK, assignment=ASSIGNMENT):
    target = Path(folder) / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else nbformat.writes(nb_or_bytes).encode()
    (target / name).write_bytes(data)
    return target


def write_robustness_class(folder):
    """Every bad input of the issue, one student each, plus a good and a blank submission."""
    folder = Path(folder)
    expected = {}

    submit(folder, "good", solved())
    expected["good"] = ("graded", FULL)

    blank = nbformat.read(notebook_file(REPO / "release", ASSIGNMENT), as_version=4)
    submit(folder, "blank", blank)
    expected["blank"] = ("graded", 0.0)

    text = nbformat.writes(solved())
    submit(folder, "invalid-json", text[: len(text) // 3].encode())
    expected["invalid-json"] = ("unreadable notebook", 0.0)

    submit(folder, "renamed", solved(), name="my homework (2).ipynb")
    expected["renamed"] = ("graded", FULL)

    target = folder / "missing-notebook" / ASSIGNMENT
    target.mkdir(parents=True)
    (target / "answers.py").write_text("print('my answers')\n")
    expected["missing-notebook"] = ("no notebook", 0.0)

    (folder / "empty-folder" / ASSIGNMENT).mkdir(parents=True)
    expected["empty-folder"] = ("empty submission", 0.0)

    submit(folder, "empty-file", b"")
    expected["empty-file"] = ("empty submission", 0.0)

    unknown = folder / "unknown-assignment" / "99-not-an-assignment"
    unknown.mkdir(parents=True)
    nbformat.write(solved(), unknown / "99-not-an-assignment.ipynb")
    expected["unknown-assignment"] = ("no submission", 0.0)

    nb = solved()
    del nb.cells[cell_index(nb, "test-elementwise-vjp-hidden")]
    del nb.cells[cell_index(nb, "test-elementwise-vjp")]
    submit(folder, "deleted-tests", nb)
    expected["deleted-tests"] = ("graded", FULL)

    nb = solved()
    for gid in ("elementwise-vjp", "test-relu-jacobian"):
        i = cell_index(nb, gid)
        duplicate = copy.deepcopy(nb.cells[i])
        duplicate.id = f"copy-of-{gid}"  # a cell id of its own, as JupyterLab gives a copy
        nb.cells.insert(i + 1, duplicate)
    submit(folder, "duplicated-cells", nb)
    expected["duplicated-cells"] = ("graded", FULL)

    nb = solved(overrides={"relu-jacobian": "def relu_jacobian(x):\n"
                                            "    return np.diag((x >= 0).astype(float))\n"})
    nb.cells[cell_index(nb, "test-relu-jacobian-hidden")].source = "assert True\n"
    submit(folder, "edited-locked", nb)
    expected["edited-locked"] = ("needs review", FULL - 2)

    nb = solved()
    i = cell_index(nb, "elementwise-vjp")
    nb.cells[i].source = "raise ValueError('I give up')\n" + nb.cells[i].source
    submit(folder, "cell-raises", nb)
    expected["cell-raises"] = ("graded", FULL - 3)

    nb = solved()
    i = cell_index(nb, "elementwise-vjp")
    nb.cells[i].source = "while True:\n    pass\n"
    submit(folder, "endless-cell", nb)
    expected["endless-cell"] = ("needs review", FULL - 3)

    nb = solved()
    for cell in nb.cells:
        if is_solution(cell):
            cell.source = "import time\nwhile True:\n    time.sleep(0.01)\n"
    submit(folder, "endless-notebook", nb)
    expected["endless-notebook"] = ("timed out", 0.0)

    nb = solved()
    i = cell_index(nb, "elementwise-vjp")
    nb.cells[i].source = "import os\nos._exit(1)\n"
    submit(folder, "kernel-dies", nb)
    expected["kernel-dies"] = ("kernel died", 0.0)

    nb = solved()
    i = cell_index(nb, "elementwise-vjp")
    nb.cells[i].source = noisy_answer(nb.cells[i].source)
    submit(folder, "stderr", nb)
    expected["stderr"] = ("needs review", FULL - 3)
    return expected


def write_platform_zip(path, assignment=ASSIGNMENT):
    """A learning platform's export: per-student files with platform names, nested folders,
    files that are not notebooks, a macOS resource fork and a file nobody can be told from.

    Returns {student: expected status} for `assignment`.
    """
    import zipfile

    solution = nbformat.writes(solved(assignment)).encode()
    blank = nbformat.writes(nbformat.read(notebook_file(REPO / "release", assignment),
                                          as_version=4)).encode()
    entries = {
        "export/README.txt": b"Exported from the learning platform\n",
        f"export/week3/alice_123456_7890123_{assignment}.ipynb": solution,
        f"export/week3/bob_LATE_234567_8901234_{assignment}-1.ipynb": blank,
        "export/week3/carol_345678_9012345_my work.ipynb": solution,  # renamed: told by cells
        "export/week3/dave_456789_1234567_answers.txt": b"I wrote it on paper\n",
        f"export/week3/Erin Example_99887_assignsubmission_file_/{assignment}.ipynb": solution,
        f"__MACOSX/export/week3/._alice_123456_7890123_{assignment}.ipynb": b"\x00\x05\x16\x07",
        "export/week3/.DS_Store": b"\x00\x00\x00\x01Bud1",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return {"alice": ("graded", FULL), "bob": ("graded", 0.0), "carol": ("graded", FULL),
            "dave": ("no notebook", 0.0), "erin-example": ("graded", FULL),
            "zoe": ("no submission", 0.0)}
