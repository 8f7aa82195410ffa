"""A solution that borrows the reference engine is graded, and flagged for a person with its line."""

import csv
import subprocess
import sys

import pytest

from autograder_class import solved, submit
from autograder.course_layout import venv_environment

pytestmark = pytest.mark.slow

BORROWED = ("import course\n\n"
            "def relu_vjp(upstream, x):\n"
            "    return course.vjp(lambda t: t.relu(), x)[1](upstream)[0]\n")


def test_engine_call_in_a_solution_is_flagged_with_its_line_and_not_penalised(tmp_path):
    submissions = tmp_path / "submitted"
    submit(submissions, "honest", solved())
    submit(submissions, "borrower", solved(overrides={"relu-vjp": BORROWED}))
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out",
                    str(out)], check=True, env=venv_environment(), capture_output=True,
                   timeout=600, stdin=subprocess.DEVNULL)
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows["honest"]["status"] == "graded" and not rows["honest"]["notes"]
    borrower = rows["borrower"]
    assert borrower["status"] == "needs review"
    assert borrower["score"] == borrower["max_score"] == rows["honest"]["score"]
    assert "relu-vjp, line 4" in borrower["notes"] and "course.vjp(" in borrower["notes"]
    assert "course.vjp(" in (out / "report.html").read_text()
