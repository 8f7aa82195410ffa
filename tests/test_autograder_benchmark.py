"""The grading benchmark (benchmarks/grading.py) runs, and both graders agree (no timing is
asserted: the machine's cores are shared)."""

import sys
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import grading, report  # noqa: E402
from benchmarks.__main__ import parse_args  # noqa: E402
from autograder.cells import is_test  # noqa: E402
from autograder.course_layout import notebook_file  # noqa: E402


def test_compare_scores_lists_every_difference():
    a = {("s1", "x", "t1"): 1.0, ("s1", "x", "t2"): 2.0}
    b = {("s1", "x", "t1"): 1.0, ("s1", "x", "t2"): 0.0, ("s2", "x", "t1"): 1.0}
    assert grading.compare_scores(a, b) == [(("s1", "x", "t2"), 2.0, 0.0),
                                            (("s2", "x", "t1"), None, 1.0)]


def test_the_bench_command_grades_a_small_class_by_default():
    args = parse_args([])
    assert args.grading and args.class_size == 4 and args.class_assignments is None
    quick = parse_args(["--quick"])
    assert quick.class_size == 2 and quick.class_assignments == ["03-vector-backprop"]
    assert not parse_args(["--no-grading"]).grading


@pytest.mark.slow
def test_the_grading_benchmark_runs_and_the_graders_agree(tmp_path):
    r = grading.run(students=3, assignments=["03-vector-backprop"], jobs=2,
                    scratch=tmp_path / "scratch", log=lambda message: None)
    assert (r["notebooks"], r["students"]) == (3, 3)
    notebook = nbformat.read(notebook_file(REPO_ROOT / "source", "03-vector-backprop"), 4)
    test_cells = sum(is_test(cell) for cell in notebook.cells)
    assert r["cells"] == 3 * test_cells  # scores compared cell by cell, or run() raises
    assert r["baseline"]["seconds"] > 0 and r["autograder"]["seconds"] > 0
    split = r["autograder"]["split"]
    assert split["kernel_start"] > 0 and split["execute"] > 0
    table, verdicts = report.rows({"grading": r})
    assert [row[1] for row in table] == ["nbgrader generate + autograde, sequential (baseline)",
                                         "autograder, 2 workers"]
    assert len(verdicts) == 1
    lines = report.checks_line({"grading": r})
    assert any("identical scores" in line for line in lines)
    assert any("kernel start" in line for line in lines)
