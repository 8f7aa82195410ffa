"""Every bad input of a real class gets a clear status, and the rest of the class is graded.

One real run (nbgrader, kernels, time limits) over a class of 03-vector-backprop made by
autograder_class.write_robustness_class: a good and a blank submission, and one student per bad
input: a notebook that is not JSON, a renamed one, a missing one, an empty folder, an empty file,
an unknown assignment, deleted test cells, copied graded cells, an edited locked cell, a cell that
raises, an endless cell, an endless notebook, a kernel that dies, stderr from a correct answer.
Then a second, small run over a learning platform's zip export.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from autograder import merge, pipeline, results, worker  # noqa: E402
from autograder_class import (ASSIGNMENT, CELL_TIMEOUT, FULL, NOTEBOOK_TIMEOUT,  # noqa: E402
                              read_csv, write_platform_zip, write_robustness_class)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("robustness")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    expected = write_robustness_class(folder)
    out = tmp_path_factory.mktemp("graded")
    started, wall_clock = time.perf_counter(), time.time()
    # The workers make their sandbox folders in a temporary folder of this module's own (TMPDIR
    # for them, tempfile.tempdir for the pool here, which cleans up after a killed one), so that
    # the check below sees theirs only, not those of other tests running at the same time.
    worker_tmp, saved = tempfile.mkdtemp(prefix="robust-"), os.environ.get("TMPDIR")
    os.environ["TMPDIR"], tempfile.tempdir = worker_tmp, worker_tmp
    try:
        summary = pipeline.grade_class(folder, out, jobs=2, timeout=NOTEBOOK_TIMEOUT,
                                       cell_timeout=CELL_TIMEOUT)
    finally:
        tempfile.tempdir = None
        if saved is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved
    return {"expected": expected, "out": out, "summary": summary, "started": wall_clock,
            "worker_tmp": Path(worker_tmp),
            "seconds": time.perf_counter() - started,
            "grades": {r["student"]: r for r in read_csv(out / "grades.csv")},
            "intake": read_csv(out / "intake.csv")}


STUDENTS = ["good", "blank", "invalid-json", "renamed", "missing-notebook", "empty-folder",
            "empty-file", "unknown-assignment", "deleted-tests", "duplicated-cells",
            "edited-locked", "cell-raises", "endless-cell", "endless-notebook", "kernel-dies",
            "stderr"]


def test_every_student_has_one_row(graded):
    assert sorted(graded["grades"]) == sorted(STUDENTS) == sorted(graded["expected"])
    assert {r["assignment"] for r in graded["grades"].values()} == {ASSIGNMENT}


@pytest.mark.parametrize("student", STUDENTS)
def test_each_submission_gets_its_status_and_score(graded, student):
    status, score = graded["expected"][student]
    row = graded["grades"][student]
    got = (row["status"], float(row["score"]), float(row["max_score"]))
    assert got == (status, score, FULL), row
    if status not in (results.GRADED, results.NO_SUBMISSION):
        assert row["notes"], f"{student}: a status other than graded must say why"


def test_the_notes_say_what_was_repaired(graded):
    notes = {s: r["notes"] for s, r in graded["grades"].items()}
    assert "my homework (2).ipynb" in notes["renamed"]
    assert "test-elementwise-vjp" in notes["deleted-tests"]
    assert "puts them back" in notes["deleted-tests"]
    assert "'elementwise-vjp' appears 2 times" in notes["duplicated-cells"]
    assert "test-relu-jacobian-hidden" in notes["edited-locked"]
    assert "per-cell time limit" in notes["endless-cell"]
    assert f"{NOTEBOOK_TIMEOUT:g} s limit" in notes["endless-notebook"]
    assert "stderr" in notes["stderr"]
    assert "not valid JSON" in notes["invalid-json"]
    assert "answers.py" in notes["missing-notebook"]


def test_the_unknown_assignment_is_reported_not_graded(graded):
    rows = [r for r in graded["intake"] if r["student"] == "unknown-assignment"]
    assert [r["action"] for r in rows] == ["unknown assignment"]
    assert "99-not-an-assignment" in rows[0]["note"]


def test_an_endless_notebook_is_stopped_at_the_notebook_limit(graded):
    record = results.load_result(graded["out"], ASSIGNMENT, "endless-notebook")
    assert record.timings["wall"] < NOTEBOOK_TIMEOUT + 15
    # and the limit is per notebook, not per cell: its 7 endless cells would take 7 x 5 s
    assert graded["seconds"] < 3 * NOTEBOOK_TIMEOUT + 60


def test_the_gradebook_holds_the_same_scores(graded):
    scores = merge.gradebook_scores(graded["out"] / "gradebook.db")
    for student, row in graded["grades"].items():
        mine = [v for (s, a, _), v in scores.items() if s == student and a == ASSIGNMENT]
        if row["status"] == results.NO_SUBMISSION:
            assert mine == []
        else:
            assert sum(v or 0 for v in mine) == float(row["score"]), student


def test_every_submission_has_feedback_and_the_report_lists_the_ones_to_look_at(graded):
    out = graded["out"]
    report = (out / "report.html").read_text()
    for student, row in graded["grades"].items():
        page = out / "feedback" / student / f"{ASSIGNMENT}.html"
        assert page.exists() == (row["status"] != results.NO_SUBMISSION), student
        if row["status"] in results.LOOK:
            assert f">{student}</a>" in report, f"{student} missing from the report's list"
    assert "data:image/png;base64," in report


def test_no_worker_or_kernel_is_left_running(graded):
    import psutil

    leftovers = [p for p in psutil.Process().children(recursive=True)
                 if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not leftovers, [p.cmdline() for p in leftovers]
    # nor a sandbox folder of a worker (the endless notebook's was killed: the pool cleans up)
    folders = [f for f in graded["worker_tmp"].glob(f"{worker.SANDBOX_PREFIX}*")
               if not psutil.pid_exists(int(f.name[len(worker.SANDBOX_PREFIX):].split("-")[0]))]
    assert not folders, folders


@pytest.fixture(scope="module")
def from_zip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zip")
    expected = write_platform_zip(folder / "export.zip")
    (folder / "roster.csv").write_text("student id,name\nzoe,Zoe\nalice,Alice\n")
    out = folder / "graded"
    pipeline.grade_class(folder / "export.zip", out, jobs=2, roster=folder / "roster.csv",
                         timeout=NOTEBOOK_TIMEOUT)
    return {"expected": expected, "grades": {r["student"]: r for r in
                                             read_csv(out / "grades.csv")},
            "intake": {r["file"]: r for r in read_csv(out / "intake.csv")}}


def test_a_platform_zip_is_graded_student_by_student(from_zip):
    got = {s: (r["status"], float(r["score"])) for s, r in from_zip["grades"].items()}
    assert got == from_zip["expected"]


def test_the_zip_files_that_were_not_used_are_listed(from_zip):
    intake = from_zip["intake"]
    assert intake["export/README.txt"]["action"] == "not attributed"
    assert intake["export/week3/.DS_Store"]["action"] == "ignored"
    macos = [r for f, r in intake.items() if f.startswith("__MACOSX/")]
    assert macos and all(r["action"] == "ignored" for r in macos)
    carol = next(r for f, r in intake.items() if "carol" in f)
    assert "by its cells" in carol["note"]
