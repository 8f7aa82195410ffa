"""make autograde on untrusted code: sandboxed kernels, the canary, and the code scan, in real runs.

A class of three: an honest student, one whose solution borrows the reference engine (graded,
flagged for a person with the line, never penalised) and one who replaces the checker and
numpy.allclose (the canary catches it: zero, and flagged with the lines).
"""

import csv
import os
import subprocess
import sys

import pytest

from autograder_class import solved, submit
from autograder.course_layout import venv_environment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("integrity")]

BORROWED = ("import course\n\n"
            "def elementwise_vjp(local_grad):\n"
            "    return lambda u, x, y: course.vjp(lambda t: t * local_grad(x, y), x)[1](u)[0]\n")
TAMPERED = ("import numpy as np\n"
            "import course.gradcheck as gc\n\n"
            "def elementwise_vjp(local_grad):\n"
            "    return lambda upstream, x, y: upstream\n\n"
            "np.allclose = lambda *a, **k: True\n"
            "gc.check_vjp = lambda *a, **k: True\n")


def grade(submissions, out, **env):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out",
                           str(out)], env={**venv_environment(), **env}, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    return rows, done.stderr, (out / "report.html").read_text()


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class") / "submitted"
    submit(folder, "honest", solved())
    submit(folder, "borrower", solved(overrides={"elementwise-vjp": BORROWED}))
    submit(folder, "tamperer", solved(overrides={"elementwise-vjp": TAMPERED}))
    return folder


@pytest.fixture(scope="module")
def graded(submissions, tmp_path_factory):
    return grade(submissions, tmp_path_factory.mktemp("out"))


def test_honest_student_is_graded_in_full(graded):
    rows, _, _ = graded
    assert rows["honest"]["status"] == "graded" and not rows["honest"]["notes"]
    assert rows["honest"]["score"] == rows["honest"]["max_score"]


def test_engine_call_in_a_solution_is_flagged_with_its_line_and_not_penalised(graded):
    rows, _, report = graded
    borrower = rows["borrower"]
    assert borrower["status"] == "needs review"
    assert borrower["score"] == borrower["max_score"]
    assert "elementwise-vjp, line 4" in borrower["notes"] and "course.vjp(" in borrower["notes"]
    assert "course.vjp(" in report


def test_tampering_with_the_checker_scores_zero_and_is_flagged_with_its_lines(graded):
    rows, _, report = graded
    tamperer = rows["tamperer"]
    assert tamperer["status"] == "needs review" and float(tamperer["score"]) == 0
    assert "TAMPERED" in tamperer["notes"] and "gets 0" in tamperer["notes"]
    assert "line 7" in tamperer["notes"] and "line 8" in tamperer["notes"]
    assert "gc.check_vjp = lambda" in report


def test_the_run_says_how_students_code_was_isolated(graded, system_tool):
    system_tool("bwrap")
    _, log, report = graded
    assert "students' code runs sandboxed" in log
    assert "NOT sandboxed" not in report


def test_without_the_sandbox_grading_goes_on_with_a_clear_warning(submissions, tmp_path):
    rows, log, report = grade(submissions, tmp_path / "out", BACKPROP_SANDBOX="off")
    assert "WARNING: students' code is NOT sandboxed" in log
    assert "NOT sandboxed" in report
    assert rows["honest"]["score"] == rows["honest"]["max_score"]
    assert float(rows["tamperer"]["score"]) == 0
