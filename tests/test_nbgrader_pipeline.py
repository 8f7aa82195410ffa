"""The course through real nbgrader: validate, the committed release, and a golden autograde.

For every assignment, a throw-away course (see nbgrader_course.py) regenerates the release with a
fresh gradebook and autogrades a class made of: the reference solutions (full marks), the untouched
release (zero), and every wrong answer of the bank in tests/wrong_answers/ (each loses exactly the
points of the tests it names). The wrong answers are packed into a few submissions (`batches`):
those of one submission sit in different cells and name no test in common, so the submission must
lose exactly the union of their tests, and each one's own tests can still be told apart. A
submission that does not is graded again one wrong answer at a time, so a failure names the wrong
answer at fault. This runs a notebook some 60 times for the seven assignments instead of some 230.

That the committed release runs without error up to its first stub is checked where a student
runs it, in the student pack's own environment (test_student_pack.py).

The slow nbgrader work of an assignment starts when its first test asks for it, two jobs at a time;
each assignment is an xdist group, so under `make test` the assignments are shared out between the
workers and each assignment's work is done once.
"""

import importlib
import re
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

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


def batches(bank):
    """The bank's wrong answers packed into submissions, [[wrong, ...], ...]: those of one
    submission are in different cells and name no test in common. First fit, the wrong answers
    that fail the most tests first."""
    packed = []
    for wrong in sorted(bank, key=lambda w: -len(w["fails"])):
        fits = (batch for batch in packed if all(
            wrong["cell"] != other["cell"] and not set(wrong["fails"]) & set(other["fails"])
            for other in batch))
        batch = next(fits, None)
        if batch is None:
            packed.append([wrong])
        else:
            batch.append(wrong)
    return packed


def lost_exactly(scores, fails):
    """Whether the tests in `fails` scored nothing and every other test full marks."""
    return all((s == 0) if test in fails else (s == m) for test, (s, m) in scores.items())


def grade_class(assignment, root):
    """Regenerate the release in a fresh course and autograde the whole made-up class.

    Returns the scores of "solutions", "blank" and each wrong answer by name, and for each wrong
    answer the tests it is excused from (those its batch-mates name: they fail in its submission
    whatever it does)."""
    course = TempCourse(root, [assignment])
    started = time.perf_counter()
    generated = course.generate(assignment).read_bytes()
    name = notebook_file(REPO / "source", assignment).name
    course.submit("solutions", assignment, filled_release(assignment), name)
    course.submit("blank", assignment,
                  nbformat.read(notebook_file(REPO / "release", assignment), as_version=4), name)
    packed = batches(wrong_answers(assignment))
    for k, batch in enumerate(packed):
        course.submit(f"batch-{k}", assignment,
                      filled_release(assignment, {w["cell"]: w["source"] for w in batch}), name)
    course.autograde(assignment)
    scores = {s: course.scores(assignment, s) for s in ("solutions", "blank")}
    excused, alone = {}, []
    for k, batch in enumerate(packed):
        together = course.scores(assignment, f"batch-{k}")
        if len(batch) > 1 and not lost_exactly(together, {t for w in batch for t in w["fails"]}):
            alone += batch
            continue
        for wrong in batch:
            scores[wrong["name"]] = together
            excused[wrong["name"]] = {t for other in batch if other is not wrong
                                      for t in other["fails"]}
    for wrong in alone:
        course.submit(f"alone-{wrong['name']}", assignment,
                      filled_release(assignment, {wrong["cell"]: wrong["source"]}), name)
    if alone:
        course.autograde(assignment, student="alone-*")
    for wrong in alone:
        scores[wrong["name"]] = course.scores(assignment, f"alone-{wrong['name']}")
        excused[wrong["name"]] = set()
    return {
        "generated_release": generated,
        "scores": scores,
        "excused": excused,
        "runs": 2 + len(packed) + len(alone),
        "solutions_stderr": stderr_outputs(course.autograded(assignment, "solutions")),
        "seconds": time.perf_counter() - started,
    }


class Jobs:
    """Futures of the nbgrader jobs, keyed by (job, assignment): `jobs["class", a].result()`.

    An assignment's three jobs are submitted when a test first asks for one of them (the class
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
def test_solutions_get_full_marks_without_stderr(pipeline, assignment, show_at_the_end):
    graded = pipeline["class", assignment].result()
    scores = graded["scores"]["solutions"]
    lost = {test: s for test, s in scores.items() if s[0] != s[1]}
    assert scores and not lost, f"the reference solution loses points on {lost}"
    assert not graded["solutions_stderr"], graded["solutions_stderr"]
    show_at_the_end(f"{assignment}: {len(scores)} test cells, "
                    f"{sum(m for _, m in scores.values()):g} points, class of "
                    f"{len(graded['scores'])} in {graded['runs']} submissions graded in "
                    f"{graded['seconds']:.1f} s")


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
    graded = pipeline["class", assignment].result()
    scores, excused = graded["scores"][wrong["name"]], graded["excused"][wrong["name"]]
    unknown = set(wrong["fails"]) - set(scores)
    assert not unknown, f"{wrong['name']}: no test cell {sorted(unknown)}"
    should_fail = {t: s for t, s in scores.items() if t in wrong["fails"] and s[0] != 0}
    should_pass = {t: s for t, s in scores.items()
                   if t not in wrong["fails"] and t not in excused and s[0] != s[1]}
    assert not should_fail, f"{wrong['name']} ({wrong['mistake']}) was not caught by {should_fail}"
    assert not should_pass, f"{wrong['name']} also lost points on {should_pass}"
