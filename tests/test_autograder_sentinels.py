"""No hidden test and no solution reaches a student: sentinel strings planted in both are found
nowhere in the feedback pages or the report.

The course graded is a copy of this one whose 03-vector-backprop has a sentinel comment in every
hidden-test region and every solution region (tests/sentinels.py). The students hand in work made
from the real (sentinel-free) notebooks, including the cases where nbgrader copies hidden code
back into the graded notebook and its error output: deleted hidden-test cells (put back from the
gradebook), an answer that raises inside the hidden tests (the traceback shows the hidden lines),
an answer that writes to stderr when the hidden tests call it, and an edited hidden-test cell.
The sentinels must be in the graded notebooks (the test would prove nothing otherwise) and in no
file of feedback/, report.html or the CSV files.
"""

import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from autograder import pipeline  # noqa: E402
from autograder.cells import grade_id  # noqa: E402
from autograder.demo import noisy_answer  # noqa: E402
from autograder_class import ASSIGNMENT, NOTEBOOK_TIMEOUT, cell_index, solved, submit  # noqa: E402
from sentinels import plant  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sentinels")]


def hidden_ids(nb):
    return [gid for gid in map(grade_id, nb.cells) if gid and gid.endswith("-hidden")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO_ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    sentinels = plant(course / "source")
    assert sentinels.of_kind("HIDDEN") and sentinels.of_kind("SOLUTION")

    folder = tmp_path_factory.mktemp("class")
    submit(folder, "solutions", solved())
    nb = solved()
    for gid in hidden_ids(nb):
        del nb.cells[cell_index(nb, gid)]
    submit(folder, "deleted-hidden-tests", nb)
    nb = solved(overrides={"elementwise-vjp": "def elementwise_vjp(local_grad):\n"
                                              "    def vjp(upstream, x, y):\n"
                                              "        if np.ndim(x) > 2:\n"
                                              "            raise ValueError('too big for me')\n"
                                              "        return upstream * local_grad(x, y)\n"
                                              "    return vjp\n"})
    submit(folder, "raises-in-hidden-tests", nb)
    nb = solved()
    i = cell_index(nb, "relu-jacobian")
    nb.cells[i].source = noisy_answer(nb.cells[i].source)
    submit(folder, "stderr-in-hidden-tests", nb)
    nb = solved()
    nb.cells[cell_index(nb, "test-softmax-vjp-hidden")].source = "assert True\n"
    submit(folder, "edited-hidden-test", nb)

    out = tmp_path_factory.mktemp("graded")
    summary = pipeline.grade_class(folder, out, course_root=course, jobs=2,
                                   timeout=NOTEBOOK_TIMEOUT)
    return sentinels, out, summary


def test_every_submission_was_graded(graded):
    _, _, summary = graded
    assert {r.status for r in summary.rows} <= {"graded", "needs review"}
    assert len(summary.rows) == 5


def test_the_graded_notebooks_do_hold_the_sentinels(graded):
    sentinels, out, _ = graded
    found = set()
    for path in (out / "autograded").rglob("*.ipynb"):
        found |= set(sentinels.found_in(path.read_bytes()))
    assert found & sentinels.of_kind("HIDDEN"), "the planted hidden tests did not run"


def test_no_sentinel_in_feedback_report_or_tables(graded):
    sentinels, out, _ = graded
    files = sorted((out / "feedback").rglob("*")) + [
        out / name for name in ("report.html", "grades.csv", "tests.csv", "intake.csv",
                                "canvas-grades.csv", "moodle-grades.csv")]
    files = [f for f in files if f.is_file()]
    assert len(files) >= 5 + 4
    leaks = {f.relative_to(out).as_posix(): sentinels.found_in(f.read_bytes()) for f in files}
    leaks = {f: s for f, s in leaks.items() if s}
    assert not leaks, f"secret text in what students and TAs read: {leaks}"


def test_feedback_still_says_how_each_hidden_test_went(graded):
    _, out, _ = graded
    page = (out / "feedback" / "raises-in-hidden-tests" / f"{ASSIGNMENT}.html").read_text()
    assert "hidden test test-elementwise-vjp-hidden" in page
    assert "ValueError: too big for me" in page
