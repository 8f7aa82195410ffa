"""A made-up class, so that `make autograde` with no submissions shows the whole pipeline work.

`make_demo_class(folder)` writes nbgrader's tree, `folder/<student>/<assignment>/<notebook>`,
made from the course's own notebooks:

    ada     the reference solutions (full marks)
    bob     the release as handed out, untouched (zero)
    carol   the first wrong answer of tests/wrong_answers/ for each assignment
    dan     the second wrong answer
    eve     broken files, one kind per assignment, in turn: a notebook that is not valid JSON,
            a renamed notebook, a copied (duplicated) graded cell, an edited test cell plus a
            warning on stderr, an empty folder, and nothing at all

`filled_release(course_root, assignment, overrides)` is what a student hands in: the release
with every answer cell filled from the source's solution, except the ones overridden.
"""

import copy
import importlib.util
import re
from pathlib import Path

import nbformat

from autograder.cells import is_solution, is_test, nbgrader_cells
from autograder.course_layout import REPO, assignments as course_assignments, notebook_file

BROKEN_KINDS = ("invalid-json", "renamed", "duplicated-cell", "edited-test-and-stderr",
                "empty-folder", "nothing")


def filled_release(course_root, assignment, overrides=None):
    """The released notebook with every solution cell filled from the source solution, except
    the cells in `overrides` ({grade_id: cell source})."""
    course_root = Path(course_root)
    release = nbformat.read(notebook_file(course_root / "release", assignment), as_version=4)
    source = nbformat.read(notebook_file(course_root / "source", assignment), as_version=4)
    solutions = nbgrader_cells(source, "solution")
    overrides = overrides or {}
    unknown = set(overrides) - set(solutions)
    if unknown:
        raise KeyError(f"{assignment}: no solution cell with grade_id {sorted(unknown)}")
    for gid, cell in nbgrader_cells(release, "solution").items():
        cell.source = overrides.get(gid, strip_solution_markers(solutions[gid].source))
    return release


def strip_solution_markers(source):
    """A solution cell as a student would write it: without nbgrader's marker lines."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def noisy_answer(source):
    """An answer cell whose first function also prints to stderr each time it is called (a
    correct answer with a debugging print left in)."""
    match = re.search(r"^def (\w+)\(", source, re.MULTILINE)
    if match is None:
        return source + "\nimport sys\nprint('debugging output', file=sys.stderr)\n"
    name = match[1]
    return (f"{source}\n\n"
            f"import functools as _functools, sys as _sys\n"
            f"_quiet_{name} = {name}\n\n"
            f"@_functools.wraps(_quiet_{name})\n"
            f"def {name}(*args, **kwargs):\n"
            f"    print('debug: {name} called', file=_sys.stderr)\n"
            f"    return _quiet_{name}(*args, **kwargs)\n")


def bank_module_name(assignment):
    """'01-computational-graphs' -> 'a01_computational_graphs'."""
    return "a" + re.sub(r"[^0-9a-z]+", "_", assignment.lower())


def wrong_answers(course_root, assignment):
    """WRONG_ANSWERS of tests/wrong_answers/<module>.py, or [] when there is none."""
    path = Path(course_root) / "tests" / "wrong_answers" / f"{bank_module_name(assignment)}.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"_bank_{bank_module_name(assignment)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "WRONG_ANSWERS", []))


def broken(kind, course_root, assignment, folder):
    """Write eve's broken submission of `kind` into folder (her assignment folder)."""
    name = notebook_file(Path(course_root) / "source", assignment).name
    nb = filled_release(course_root, assignment)
    if kind == "nothing":
        return
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "invalid-json":
        text = nbformat.writes(nb)
        (folder / name).write_text(text[: len(text) // 2])  # cut off half way, as a bad upload
    elif kind == "renamed":
        nbformat.write(nb, folder / f"{Path(name).stem} (1).ipynb")
    elif kind == "duplicated-cell":
        answer = next(i for i, c in enumerate(nb.cells) if is_solution(c))
        duplicate = copy.deepcopy(nb.cells[answer])
        duplicate.id = "a-copied-cell"  # JupyterLab gives a pasted cell an id of its own
        nb.cells.insert(answer + 1, duplicate)
        nbformat.write(nb, folder / name)
    elif kind == "edited-test-and-stderr":
        test = next(c for c in nb.cells if is_test(c))
        test.source = "assert True  # my answer is surely right"
        answer = next(c for c in nb.cells if is_solution(c))
        answer.source = noisy_answer(answer.source)
        nbformat.write(nb, folder / name)
    # "empty-folder": the folder alone


def make_demo_class(folder, course_root=REPO, assignments=None):
    """Write the demo class into folder (nbgrader's tree); returns a one-line description."""
    folder = Path(folder)
    names = assignments or course_assignments(course_root)
    counts = {}
    for index, assignment in enumerate(names):
        notebook = notebook_file(Path(course_root) / "source", assignment).name

        def submit(student, nb, assignment=assignment, notebook=notebook):
            target = folder / student / assignment
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target / notebook)
            counts[student] = counts.get(student, 0) + 1

        submit("ada", filled_release(course_root, assignment))
        submit("bob", nbformat.read(notebook_file(Path(course_root) / "release", assignment),
                                    as_version=4))
        bank = wrong_answers(course_root, assignment)
        for student, wrong in zip(("carol", "dan"), bank):
            submit(student, filled_release(course_root, assignment,
                                           {wrong["cell"]: wrong["source"]}))
        kind = BROKEN_KINDS[index % len(BROKEN_KINDS)]
        broken(kind, course_root, assignment, folder / "eve" / assignment)
        counts.setdefault("eve", 0)
    return (f"{len(counts)} students x {len(names)} assignments: ada (solutions), bob (blank), "
            f"carol and dan (wrong answers), eve (broken files)")
