"""nbgrader's exchange, round trip, with real nbgrader and two students (autograder/exchange.py).

A local exchange folder, an instructor course made from a planted copy of source/ (a sentinel in
every solution and hidden-test region, see sentinels.py) and two student home folders, each with
its own ~/.jupyter/nbgrader_config.py (course id, exchange root, student id):

  `make release-exchange` (every assignment) -> each student `fetch_assignment`s 01, solves it
  (alice correctly, bob with a wrong answer from tests/wrong_answers), runs `nbgrader validate`
  (the JupyterLab "Validate" button) and `submit`s -> the instructor `collect`s ->
  `make autograde` on submitted/ -> nbgrader's `generate_feedback` in the course (its pages would
  leak hidden tests) -> `python -m autograder.exchange feedback` replaces them with the
  autograder's pages and releases those -> each student `fetch_feedback`s.

Identity: nbgrader takes a student's id from the OS user (pwd, not $USER; `jovyan` defers to
$JUPYTERHUB_USER). The tests run as one OS user (root in CI), so each student's config sets
`CourseDirectory.student_id`, which `submit` and `fetch_feedback` use instead; HOME gives each
student their own config and nbgrader cache (~/.local/share/jupyter/nbgrader_cache), which
`fetch_feedback` needs to find their feedback. `collect` would warn that a submission "claims to
be submitted by alice but is owned by root": `--CollectApp.check_owner=False` here only.
"""

import csv
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import REPO, assignments, nbgrader_cells, notebook_file, venv_environment
from sentinels import shared_planted_course
from wrong_answers.a01_computational_graphs import WRONG_ANSWERS

if str(REPO) not in sys.path:   # `pytest` started from elsewhere: find autograder/
    sys.path.insert(0, str(REPO))

from autograder import exchange  # noqa: E402

# One worker runs this module and test_student_pack.py: they share sentinels.shared_planted_course.
pytestmark = pytest.mark.xdist_group("planted-course")

ASSIGNMENT = "01-computational-graphs"
WRONG = WRONG_ANSWERS[0]
STUDENTS = {"alice": None, "bob": WRONG}   # student -> the wrong answer they hand in (None: right)
COURSE_ID = "backprop"
TIMEOUT = 900


def run(argv, cwd, env, check=True):
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def student_env(home):
    env = venv_environment()
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env.pop(name, None)
    env["HOME"] = str(home)
    env["MPLCONFIGDIR"] = str(home / ".matplotlib")
    return env


def nbgrader_as(student, home, *args, check=True):
    return run([sys.executable, "-m", "nbgrader", *args], cwd=home, env=student_env(home),
               check=check)


def make(*args):
    """`make` in the repository with the Python running the tests (never reinstalling it)."""
    venv = Path(sys.prefix)
    return run(["make", "-C", REPO, f"VENV={venv}", "-o", f"{venv}/.stamp-lab", *args],
               cwd=REPO, env=venv_environment())


def solve(fetched, wrong):
    """The fetched notebook with every solution cell filled from the repository's source/ (no
    sentinels: a student's own code may show in feedback), but `wrong` if given."""
    nb = nbformat.read(fetched, as_version=4)
    solutions = nbgrader_cells(nbformat.read(notebook_file(REPO / "source", ASSIGNMENT),
                                             as_version=4), "solution")
    for grade_id, cell in nbgrader_cells(nb, "solution").items():
        cell.source = (wrong["source"] if wrong and grade_id == wrong["cell"]
                       else solutions[grade_id].source)
    nbformat.write(nb, fetched)


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    """The whole round trip, once; every test reads what it left behind."""
    planted, sentinels = shared_planted_course(tmp_path_factory)
    base = tmp_path_factory.mktemp("exchange-trip")
    course = base / "course"
    shutil.copytree(planted.root, course)
    ex = base / "exchange"
    notebook_name = notebook_file(REPO / "release", ASSIGNMENT).name
    out = {"base": base, "course": course, "exchange": ex, "sentinels": sentinels,
           "notebook": notebook_name, "validate": {}, "homes": {}}

    out["make_release"] = make("release-exchange", f"EXCHANGE={ex}")

    def student_works(student):
        """fetch, solve, validate, submit: what one student does (both work at once)."""
        wrong, home = STUDENTS[student], base / "home" / student
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(ex)!r}\n"
            f"c.CourseDirectory.student_id = {student!r}\n")
        nbgrader_as(student, home, "fetch_assignment", ASSIGNMENT)
        fetched = home / ASSIGNMENT / notebook_name
        fetched_bytes = fetched.read_bytes()
        solve(fetched, wrong)
        validated = nbgrader_as(student, home, "validate", fetched, check=False)
        nbgrader_as(student, home, "submit", ASSIGNMENT)
        return home, fetched_bytes, validated

    with ThreadPoolExecutor(max_workers=2) as pool:
        for student, (home, fetched_bytes, validated) in zip(STUDENTS, pool.map(student_works, STUDENTS)):
            out["homes"][student] = home
            out.setdefault("fetched", {})[student] = fetched_bytes
            out["validate"][student] = validated

    exchange.nbgrader("collect", ASSIGNMENT, "--CollectApp.check_owner=False", exchange=ex,
                      course_root=course)

    graded = base / "graded"
    out["graded"] = graded
    out["autograde"] = make("autograde", f"SUBMISSIONS={course / 'submitted'}", f"OUT={graded}",
                            f"ASSIGNMENTS={ASSIGNMENT}", "JOBS=2",
                            f"AUTOGRADE_ARGS=--course {course}")

    # A TA who runs nbgrader's generate_feedback as usual (on the autograder's graded notebooks
    # and gradebook): its pages land in the course's feedback/, where release_feedback looks.
    shutil.copytree(graded / "autograded", course / "autograded")
    run([sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT, "--force",
         f"--CourseDirectory.db_url=sqlite:///{graded / 'gradebook.db'}"],
        cwd=course, env=venv_environment())
    out["nbgrader_feedback"] = {
        s: (course / "feedback" / s / ASSIGNMENT / notebook_name.replace(".ipynb", ".html"))
        .read_text() for s in STUDENTS}

    out["deliver"] = run([sys.executable, "-m", "autograder.exchange", "feedback",
                          "--exchange", ex, "--feedback", graded / "feedback",
                          "--course", course, ASSIGNMENT], cwd=REPO, env=venv_environment())
    for student, home in out["homes"].items():
        nbgrader_as(student, home, "fetch_feedback", ASSIGNMENT)
    return out


@pytest.mark.slow
def test_make_release_exchange_releases_every_assignment(trip):
    outbound = trip["exchange"] / COURSE_ID / "outbound"
    assert sorted(p.name for p in outbound.iterdir()) == assignments()
    for a in assignments():
        released = notebook_file(REPO / "release", a)
        assert (outbound / a / released.name).read_bytes() == released.read_bytes(), a


@pytest.mark.slow
def test_planted_release_equals_the_committed_one(trip):
    """The sentinels sit in regions nbgrader removes: the instructor's release of the planted
    source is byte for byte the committed release the students fetched."""
    for a in assignments():
        committed = notebook_file(REPO / "release", a)
        assert (trip["course"] / "release" / a / committed.name).read_bytes() == committed.read_bytes()


@pytest.mark.slow
def test_each_student_fetches_the_release(trip):
    committed = notebook_file(REPO / "release", ASSIGNMENT).read_bytes()
    for student, data in trip["fetched"].items():
        assert data == committed, student


@pytest.mark.slow
def test_validate_passes_the_right_answer_and_names_the_failing_tests(trip):
    sentinels = trip["sentinels"]
    right = trip["validate"]["alice"].stdout + trip["validate"]["alice"].stderr
    assert "Success! Your notebook passes all the tests." in right, right[-3000:]

    wrong = trip["validate"]["bob"].stdout + trip["validate"]["bob"].stderr
    fails = WRONG["fails"]
    assert f"VALIDATION FAILED ON {len(fails)} CELL(S)!" in wrong, wrong[-3000:]
    bob_nb = nbformat.read(trip["homes"]["bob"] / ASSIGNMENT / trip["notebook"], as_version=4)
    tests = nbgrader_cells(bob_nb, "grade")
    for test_id, cell in tests.items():
        # nbgrader validate shows a failed cell's source, long lines cut at about 80 characters
        lines = [line.strip()[:60] for line in cell.source.splitlines() if line.strip()]
        shown = all(line in wrong for line in lines)
        assert shown == (test_id in fails), (
            f"validate output {'lacks' if test_id in fails else 'shows'} {test_id}")
    for output in (right, wrong):
        assert not sentinels.found_in(output), "validate showed hidden tests or solutions"


@pytest.mark.slow
def test_collect_brings_each_submission_with_its_secret(trip):
    for student in STUDENTS:
        folder = trip["course"] / "submitted" / student / ASSIGNMENT
        assert (folder / trip["notebook"]).is_file(), student
        assert (folder / "timestamp.txt").is_file() and (folder / "submission_secret.txt").is_file()


@pytest.mark.slow
def test_autograde_scores_the_collected_submissions(trip):
    with open(trip["graded"] / "tests.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["assignment"] == ASSIGNMENT]
    by_student = {}
    for r in rows:
        by_student.setdefault(r["student"], {})[r["test"]] = (float(r["score"]), float(r["max_score"]))
    assert set(by_student) == set(STUDENTS), trip["autograde"].stdout[-2000:]
    alice, bob = by_student["alice"], by_student["bob"]
    assert alice and all(s == m for s, m in alice.values()), alice
    assert {t for t, (s, m) in bob.items() if s != m} == set(WRONG["fails"]), bob
    assert all(bob[t][0] == 0 for t in WRONG["fails"]), bob


@pytest.mark.slow
def test_nbgrader_own_feedback_shows_hidden_tests(trip):
    """Why `autograder.exchange feedback` delivers the autograder's pages: nbgrader's feedback
    holds the hidden tests (its issues 917 and 1363). If this starts failing, nbgrader stopped
    leaking; the delivery is still right, only this explanation is out of date."""
    sentinels = trip["sentinels"]
    for student, page in trip["nbgrader_feedback"].items():
        assert set(sentinels.found_in(page)) & sentinels.of_kind("HIDDEN"), student


@pytest.mark.slow
def test_students_fetch_the_autograders_feedback_without_hidden_tests(trip):
    sentinels = trip["sentinels"]
    stem = trip["notebook"].replace(".ipynb", "")
    for student, home in trip["homes"].items():
        pages = sorted((home / ASSIGNMENT / "feedback").glob(f"*/{stem}.html"))
        assert len(pages) == 1, f"{student} fetched {pages}"
        text = pages[0].read_text()
        ours = (trip["graded"] / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
        assert text == ours, f"{student} did not get the autograder's page"
        assert not sentinels.found_in(text), f"{student}'s feedback shows {sentinels.found_in(text)}"
    bob_page = next((trip["homes"]["bob"] / ASSIGNMENT / "feedback").glob(f"*/{stem}.html")).read_text()
    for test_id in WRONG["fails"]:
        assert test_id in bob_page


def test_exchange_cli_and_make_target_refuse_without_their_folders(tmp_path):
    result = run([sys.executable, "-m", "autograder.exchange", "feedback", "--exchange", tmp_path],
                 cwd=REPO, env=venv_environment(), check=False)
    assert result.returncode != 0 and "--feedback" in result.stderr
    venv = Path(sys.prefix)
    env = {k: v for k, v in venv_environment().items() if k != "EXCHANGE"}
    result = run(["make", "-C", REPO, f"VENV={venv}", "-o", f"{venv}/.stamp-lab",
                  "release-exchange"], cwd=REPO, env=env, check=False)
    assert result.returncode != 0 and "EXCHANGE=" in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())


def test_staging_replaces_nbgraders_pages_and_skips_students_without_ours(tmp_path):
    """Only the autograder's pages are staged for release_feedback; a page nbgrader generated
    earlier (hidden tests and all) is removed, even for a student the autograder has none for."""
    course = tmp_path / "course"
    stem = notebook_file(REPO / "release", ASSIGNMENT).stem
    shutil.copytree(REPO / "release" / ASSIGNMENT, course / "release" / ASSIGNMENT)
    for student in ("alice", "bob"):
        submitted = course / "submitted" / student / ASSIGNMENT
        submitted.mkdir(parents=True)
        (submitted / f"{stem}.ipynb").write_text("{}")
        (submitted / "timestamp.txt").write_text("2025-01-01 00:00:00.000000 UTC")
        (submitted / "submission_secret.txt").write_text(f"secret-of-{student}")
        nbgrader_page = course / "feedback" / student / ASSIGNMENT / f"{stem}.html"
        nbgrader_page.parent.mkdir(parents=True)
        nbgrader_page.write_text("nbgrader's page: ### BEGIN HIDDEN TESTS")
    ours = tmp_path / "graded" / "feedback" / "alice" / f"{ASSIGNMENT}.html"
    ours.parent.mkdir(parents=True)
    ours.write_text("the autograder's page")

    staged, missing = exchange.stage_feedback(tmp_path / "graded" / "feedback", ASSIGNMENT, course)
    assert (staged, missing) == (["alice"], ["bob"])
    alice = course / "feedback" / "alice" / ASSIGNMENT
    assert (alice / f"{stem}.html").read_text() == "the autograder's page"
    assert (alice / "submission_secret.txt").read_text() == "secret-of-alice"
    assert (alice / "timestamp.txt").is_file()
    assert not (course / "feedback" / "bob" / ASSIGNMENT).exists()
