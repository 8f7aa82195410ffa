"""Static checks of the source notebooks: the nbgrader rules that otherwise bite at grading time.

They read each assignment's jupytext script (`source/<a>/<a>.py`, the source of truth), as
autograder/sources.py turns it into a notebook."""

import ast
import re

import pytest

from autograder import sources
from nbgrader_course import REPO, assignments

ASSIGNMENTS = assignments()
GRADE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def load(assignment):
    return sources.read_script(REPO / "source" / assignment / f"{assignment}.py")


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_without_outputs(assignment):
    nb = load(assignment)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"cells {dirty} of {assignment} have outputs: clear them before committing"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_are_unique_and_stable_names(assignment):
    ids = [nbgrader_meta(c)["grade_id"] for c in load(assignment).cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {assignment}"
    bad = [i for i in ids if not GRADE_ID.match(i)]
    assert not bad, f"grade_ids must be kebab-case [a-z0-9-]: {bad}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_test_cells_have_points_and_end_in_assert(assignment):
    for cell in load(assignment).cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        assert meta.get("points", 0) > 0, f"{meta['grade_id']} has no points"
        assert meta.get("locked"), f"{meta['grade_id']} must be locked"
        body = ast.parse(cell.source).body
        assert body and isinstance(body[-1], ast.Assert), (
            f"{meta['grade_id']} must end with an assert statement (nbgrader reads a numeric "
            f"last expression as partial credit)")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_a_visible_and_a_hidden_test(assignment):
    cells = load(assignment).cells
    solutions = [nbgrader_meta(c)["grade_id"] for c in cells if nbgrader_meta(c).get("solution")]
    tests = {nbgrader_meta(c)["grade_id"]: c.source for c in cells if nbgrader_meta(c).get("grade")}
    assert solutions, f"{assignment} has no exercises"
    for exercise in solutions:
        source = next(c.source for c in cells if nbgrader_meta(c).get("grade_id") == exercise)
        assert "### BEGIN SOLUTION" in source, f"{exercise}: no solution region"
        assert f"test-{exercise}" in tests, f"{exercise}: no visible test cell test-{exercise}"
        hidden = tests.get(f"test-{exercise}-hidden", "")
        assert "### BEGIN HIDDEN TESTS" in hidden, f"{exercise}: no hidden tests"
