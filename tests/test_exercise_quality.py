"""Exercises worth grading (issue 13): checks of the notebooks as a student and a TA see them.

- No line of a solution (15 characters or more, whitespace aside) stands anywhere in the released
  notebook outside its own solution cell: not in the prose, an example, a hint or a test.
- Every visible test fails on at least one answer of the wrong-answer bank (the golden autograde
  in test_nbgrader_pipeline.py proves each answer loses exactly the tests it lists).
- Every notebook states its total points at its top, and the README's table of assignments,
  exercises and points is the notebooks'.
"""

import re

import nbformat
import pytest

from autograder.course_layout import BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, REPO, assignments
from autograder.demo import wrong_answers
from autograder.sources import read_script

ASSIGNMENTS = assignments()
END_SOLUTION = "### END SOLUTION"
MIN_LINE = 15            # characters, whitespace aside: shorter lines are what anyone writes


def source_notebook(assignment):
    return read_script(REPO / "source" / assignment / f"{assignment}.py")


def release_notebook(assignment):
    return nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def meta(cell):
    return cell.metadata.get("nbgrader") or {}


def squeezed(text):
    return re.sub(r"\s+", "", text)


def solution_lines(cell):
    """The lines between nbgrader's solution markers (the whole cell when it has none)."""
    lines = cell.source.splitlines()
    if not any(line.strip() == BEGIN_SOLUTION for line in lines):
        return lines
    inside, found = False, []
    for line in lines:
        if line.strip() == BEGIN_SOLUTION:
            inside = True
        elif line.strip() == END_SOLUTION:
            inside = False
        elif inside:
            found.append(line)
    return found


def telling_lines(cell):
    """The solution lines long enough to give the answer away, squeezed, comments dropped."""
    found = set()
    for line in solution_lines(cell):
        code = line.split("#", 1)[0] if cell.cell_type == "code" else line
        if len(squeezed(code)) >= MIN_LINE:
            found.add(squeezed(code))
    return found


def exercises(nb):
    return [meta(c)["grade_id"] for c in nb.cells if meta(c).get("solution")]


def graded_cells(nb):
    """{grade_id: (points, hidden)} of the graded test cells."""
    return {meta(c)["grade_id"]: (float(meta(c).get("points", 0)), BEGIN_HIDDEN_TESTS in c.source)
            for c in nb.cells if meta(c).get("grade")}


def total_points(nb):
    return sum(points for points, _ in graded_cells(nb).values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_line_outside_its_solution_cell(assignment):
    source, release = source_notebook(assignment), release_notebook(assignment)
    leaks = []
    for cell in source.cells:
        if not meta(cell).get("solution"):
            continue
        own = meta(cell)["grade_id"]
        for line in telling_lines(cell):
            for i, other in enumerate(release.cells):
                if meta(other).get("grade_id") != own and line in squeezed(other.source):
                    where = meta(other).get("grade_id") or f"cell {i} ({other.cell_type})"
                    leaks.append(f"{own}: {line!r} stands in {where}")
    assert not leaks, ("solution lines on the student's page (rewrite the prose, example, hint "
                       "or test so it does not give the line away):\n  " + "\n  ".join(leaks))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_visible_test_fails_on_some_wrong_answer(assignment):
    visible = {gid for gid, (_, hidden) in graded_cells(source_notebook(assignment)).items()
               if not hidden}
    caught = {gid for wrong in wrong_answers(REPO, assignment) for gid in wrong["fails"]}
    silent = sorted(visible - caught)
    assert not silent, (f"visible tests that no answer of tests/wrong_answers/ fails (a visible "
                        f"test must catch a typical mistake before grading): {silent}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_three_wrong_answers(assignment):
    counts = {gid: 0 for gid in exercises(source_notebook(assignment))}
    for wrong in wrong_answers(REPO, assignment):
        counts[wrong["cell"]] = counts.get(wrong["cell"], 0) + 1
    thin = {gid: n for gid, n in counts.items() if n < 3}
    assert not thin, f"exercises with fewer than three typical wrong answers in the bank: {thin}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_notebook_states_its_total_at_the_top(assignment):
    nb = source_notebook(assignment)
    total = total_points(nb)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    stated = re.findall(r"(\d+) points", first.source)
    assert stated and float(stated[0]) == total, (
        f"the first text cell of {assignment} must state its total, '{total:g} points' "
        f"(found {stated or 'none'})")


def readme_points_table():
    """{assignment: (exercises, points)} from the README's table of assignments."""
    rows = {}
    for line in (REPO / "README.md").read_text().splitlines():
        match = re.match(r"\|\s*`?(\d\d-[a-z0-9-]+)`?\s*\|.*?\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*$",
                         line)
        if match:
            rows[match[1]] = (int(match[2]), float(match[3]))
    return rows


def test_the_readme_points_table_is_the_notebooks():
    expected = {a: (len(exercises(nb)), total_points(nb))
                for a in ASSIGNMENTS for nb in [source_notebook(a)]}
    assert readme_points_table() == expected, (
        "README.md's table of assignments (| assignment | what | exercises | points |) must "
        f"list each notebook's exercises and points: {expected}")
