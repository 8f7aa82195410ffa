"""The course through real nbgrader: validate, the committed release, and a golden autograde.

For every assignment, a throw-away course (see nbgrader_course.py) regenerates the release with a
fresh gradebook and autogrades a class made of: the reference solutions (full marks), the untouched
release (zero), and every wrong answer of the bank in tests/wrong_answers/ (each loses exactly the
points of the tests it names). The slow nbgrader work of an assignment starts when its first test
asks for it, two jobs at a time; each assignment is an xdist group, so under `make test` the six
are shared out between the workers and each assignment's work is done once.
"""

import importlib
import re
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nbgrader_course import (REPO, TempCourse, assignments, filled_release, nbgrader,
                             notebook_file, stderr_outputs)

ASSIGNMENTS = assignments()
pytestmark = pytest.mark.slow


def bank_module_name(assignment):
    """'01-computational-graphs' -> 'a01_computational_graphs'."""
    return "a" + re.sub(r"[^0-9a-z]+", "_", assignment.lower())


def wrong_answers(assignment):
    try:
        module = importlib.import_module(f"wrong_answers.{bank_module_name(assignment)}")
    except ModuleNotFoundError:
        return []
    return module.WRONG_ANSWERS


BANK = [(a, w) for a in ASSIGNMENTS for w in wrong_answers(a)]


def one_worker(assignment):
    """The xdist group of an assignment's tests: one worker does its nbgrader work."""
    return pytest.mark.xdist_group(f"pipeline-{assignment}")


BY_ASSIGNMENT = [pytest.param(a, id=a, marks=one_worker(a)) for a in ASSIGNMENTS]
BANK_PARAMS = [pytest.param(a, w, id=f"{a}:{w['name']}", marks=one_worker(a)) for a, w in BANK]


def grade_class(assignment, root):
    """Regenerate the release in a fresh course and autograde the whole made-up class."""
    course = TempCourse(root, [assignment])
    started = time.perf_counter()
    generated = course.generate(assignment).read_bytes()
    name = notebook_file(REPO / "source", assignment).name
    course.submit("solutions", assignment, filled_release(assignment), name)
    course.submit("blank", assignment,
                  nbformat.read(notebook_file(REPO / "release", assignment), as_version=4), name)
    for wrong in wrong_answers(assignment):
        course.submit(wrong["name"], assignment,
                      filled_release(assignment, {wrong["cell"]: wrong["source"]}), name)
    course.autograde(assignment)
    students = ["solutions", "blank"] + [w["name"] for w in wrong_answers(assignment)]
    return {
        "generated_release": generated,
        "scores": {s: course.scores(assignment, s) for s in students},
        "solutions_stderr": stderr_outputs(course.autograded(assignment, "solutions")),
        "seconds": time.perf_counter() - started,
    }


def run_release_to_first_stub(assignment):
    """Execute the committed release until the first error; return that error's name and cell."""
    path = notebook_file(REPO / "release", assignment)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        failed = next(i for i, c in enumerate(nb.cells) if any(
            o.get("output_type") == "error" for o in c.get("outputs", [])))
        return error.ename, nb.cells[failed]
    return None, None


class Jobs:
    """Futures of the nbgrader jobs, keyed by (job, assignment): `jobs["class", a].result()`.

    An assignment's four jobs are submitted when a test first asks for one of them (the class
    first: it takes longest); two run at a time."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures = {}

    def __getitem__(self, key):
        _, a = key
        if key not in self.futures:
            submit = self.pool.submit
            self.futures["class", a] = submit(grade_class, a, self.tmp_path_factory.mktemp(a))
            self.futures["validate-source", a] = submit(
                nbgrader, "validate", notebook_file(REPO / "source", a), cwd=REPO, check=False)
            self.futures["validate-release", a] = submit(
                nbgrader, "validate", "--invert", notebook_file(REPO / "release", a), cwd=REPO,
                check=False)
            self.futures["first-stub", a] = submit(run_release_to_first_stub, a)
        return self.futures[key]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    jobs = Jobs(tmp_path_factory)
    yield jobs
    jobs.pool.shutdown(wait=True, cancel_futures=True)


def test_there_are_seven_assignments():
    assert len(ASSIGNMENTS) == 7, ASSIGNMENTS


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_source_passes_nbgrader_validate(pipeline, assignment):
    out = pipeline["validate-source", assignment].result().stdout
    assert "Success! Your notebook passes all the tests." in out, out[-3000:]


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_release_fails_nbgrader_validate(pipeline, assignment):
    out = pipeline["validate-release", assignment].result().stdout
    assert "Success! The notebook does not pass any tests." in out, out[-3000:]


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_committed_release_is_regenerated_identically(pipeline, assignment):
    generated = pipeline["class", assignment].result()["generated_release"]
    committed = notebook_file(REPO / "release", assignment).read_bytes()
    assert generated == committed, (
        f"release/{assignment} is out of date with source/{assignment}: run `make release` "
        f"and commit the result")


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_release_runs_up_to_its_first_stub(pipeline, assignment):
    ename, cell = pipeline["first-stub", assignment].result()
    assert ename == "NotImplementedError", (
        f"the release of {assignment} must run without error until a test calls the first "
        f"stub, but the first error was {ename} in:\n{cell.source if cell else ''}")


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_solutions_get_full_marks_without_stderr(pipeline, assignment):
    graded = pipeline["class", assignment].result()
    scores = graded["scores"]["solutions"]
    lost = {test: s for test, s in scores.items() if s[0] != s[1]}
    assert scores and not lost, f"the reference solution loses points on {lost}"
    assert not graded["solutions_stderr"], graded["solutions_stderr"]
    print(f"{assignment}: {len(scores)} test cells, {sum(m for _, m in scores.values()):g} points,"
          f" class of {len(graded['scores'])} graded in {graded['seconds']:.1f} s")


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_untouched_release_scores_zero(pipeline, assignment):
    scores = pipeline["class", assignment].result()["scores"]["blank"]
    earned = {test: s for test, s in scores.items() if s[0]}
    assert not earned, f"the blank release earns points on {earned}: a test does not call the stub"


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_bank_has_wrong_answers(assignment):
    assert len(wrong_answers(assignment)) >= 5, f"{assignment} needs at least 5 wrong answers"


@pytest.mark.parametrize("assignment,wrong", BANK_PARAMS)
def test_wrong_answer_loses_exactly_its_tests(pipeline, assignment, wrong):
    scores = pipeline["class", assignment].result()["scores"][wrong["name"]]
    unknown = set(wrong["fails"]) - set(scores)
    assert not unknown, f"{wrong['name']}: no test cell {sorted(unknown)}"
    should_fail = {t: s for t, s in scores.items() if t in wrong["fails"] and s[0] != 0}
    should_pass = {t: s for t, s in scores.items() if t not in wrong["fails"] and s[0] != s[1]}
    assert not should_fail, f"{wrong['name']} ({wrong['mistake']}) was not caught by {should_fail}"
    assert not should_pass, f"{wrong['name']} also lost points on {should_pass}"
