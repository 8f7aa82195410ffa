"""The bank of hostile submissions (tests/hostile/) graded as a TA grades: `python -m autograder
grade` (what `make autograde` runs), sandboxed, in a class with honest students.

Two real runs side by side: the honest students alone, and the same honest students with one
hostile student per entry of the bank. The hostile code aims at the real paths of its run: the
throw-away nbgrader course its notebook is graded in (gradebook with the hidden tests, source/
with the solutions), the folder of the class's submissions, the grader's output folder, and a
TA home and exchange planted with secrets. Then:
- the honest students' grades, test by test and in the gradebook, are those of the honest run;
- nothing outside the output folder changed (hashed before and after), no connection got out;
- each hostile student's row says what happened: its status, the note naming what stopped it or
  the limit it ran into, the canary's verdict (zero when tampered), the scan's flags with lines;
- report.html lists every flag with the student's line.
The finer per-kernel checks (exit reasons, own folder unchanged) are in test_sandbox.py.
"""

import html
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import merge, results, sandbox
from autograder_class import read_csv
from conftest import require_system_tool
from hostile import BANK, BY_NAME, TEST_LIMITS, one_or_more
from hostile.world import LoopbackServer, World, hostile_notebook, leaks
from nbgrader_course import REPO, filled_release, notebook_file, venv_environment
from wrong_answers.a02_modular_backprop import WRONG_ANSWERS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile-class")]

ASSIGNMENTS = sorted({h.assignment for h in BANK})
CELL_TIMEOUT = 8       # seconds: the endless loop's cell is interrupted after this
NOTEBOOK_TIMEOUT = 90  # seconds: no notebook of this class needs more than a few
BOMB_BOUND = 60        # seconds: a bomb's notebook is over by then, kernel start included
RUN_TIMEOUT = 1200     # seconds for one whole run (it takes two to four minutes)


def honest_class():
    """{(student, assignment): notebook}: a solved notebook per assignment and a wrong answer."""
    students = {(f"honest-{a[:2]}", a): filled_release(a) for a in ASSIGNMENTS}
    wrong = WRONG_ANSWERS[0]
    students["wrong-02", "02-modular-backprop"] = filled_release(
        "02-modular-backprop", {wrong["cell"]: wrong["source"]})
    return students


def write_class(folder, students):
    """nbgrader's tree: folder/<student>/<assignment>/<notebook>."""
    for (student, assignment), nb in students.items():
        target = folder / student / assignment
        target.mkdir(parents=True)
        nbformat.write(nb, target / notebook_file(REPO / "source", assignment).name)


def grade(submissions, out, jobs):
    """`python -m autograder grade` as a TA runs it, with the sandbox tests' small limits."""
    limits = [arg for item in sandbox.describe_limits(TEST_LIMITS).split()
              for arg in ("--limit", item)]
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
         "--jobs", str(jobs), "--cell-timeout", str(CELL_TIMEOUT),
         "--timeout", str(NOTEBOOK_TIMEOUT), *limits],
        cwd=REPO, env={**venv_environment(), "BACKPROP_SANDBOX": "require"},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def graded_run(out, process):
    stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    run = {"returncode": process.returncode, "log": stdout + stderr, "out": out}
    if process.returncode == 0:
        run["grades"] = {(r["student"], r["assignment"]): r for r in read_csv(out / "grades.csv")}
        run["tests"] = {(r["student"], r["assignment"], r["test"]): r
                        for r in read_csv(out / "tests.csv")}
        run["gradebook"] = merge.gradebook_scores(out / "gradebook.db")
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    require_system_tool("bwrap")
    root = tmp_path_factory.mktemp("hostile-class")
    world = World(root / "world", ASSIGNMENTS)
    server = LoopbackServer()
    honest = honest_class()
    honest_dir, mixed_dir = root / "honest-class", root / "class"
    honest_out, mixed_out = root / "graded-honest", root / "graded"
    write_class(honest_dir, honest)
    hostile = {}
    for entry in BANK:
        places = world.places(entry.assignment, server.port, SUBMISSIONS=mixed_dir, OUT=mixed_out,
                              COURSE_ROOT=mixed_out / "work" / "jobs" / entry.assignment
                              / entry.name)
        hostile[entry.name, entry.assignment] = hostile_notebook(entry, places)
    write_class(mixed_dir, {**honest, **hostile})
    watched = [("honest-class", honest_dir), ("class", mixed_dir)]
    before = world.digest(extra=watched)

    started, processes = time.perf_counter(), {}
    try:
        processes["honest"] = grade(honest_dir, honest_out, jobs=1)
        processes["mixed"] = grade(mixed_dir, mixed_out, jobs=2)
        done = {"honest": graded_run(honest_out, processes["honest"]),
                "mixed": graded_run(mixed_out, processes["mixed"])}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
        server.close()
    after = world.digest(extra=watched)
    print(f"both runs: {time.perf_counter() - started:.0f} s")
    for name, run in done.items():
        assert run["returncode"] == 0, f"the {name} run failed:\n{run['log'][-4000:]}"
    return {**done, "changes": sorted(set(before.items()) ^ set(after.items())),
            "hits": server.hits, "honest_keys": sorted(honest)}


def test_the_runs_say_students_code_ran_sandboxed_with_the_limits_given(runs):
    for run in (runs["honest"], runs["mixed"]):
        assert "students' code runs sandboxed" in run["log"], run["log"][-2000:]
        assert sandbox.describe_limits(TEST_LIMITS) in run["log"]
    assert "NOT sandboxed" not in (runs["mixed"]["out"] / "report.html").read_text()
    # and the kernels got them: the memory bomb was stopped at the run's limit, not the default
    _, _, notes = hostile_record(runs, "memory-bomb")
    limit = f"more than {TEST_LIMITS.total_memory_bytes / sandbox.GiB:g} GiB of memory"
    assert TEST_LIMITS.total_memory_bytes != sandbox.Limits().total_memory_bytes
    assert any(limit in n for n in notes), notes


def test_honest_students_get_the_grades_they_get_without_hostile_ones(runs):
    honest, mixed = runs["honest"], runs["mixed"]
    for key in runs["honest_keys"]:
        alone, beside = honest["grades"][key], mixed["grades"][key]
        assert (beside["status"], beside["score"]) == (alone["status"], alone["score"]), key
        assert alone["status"] == results.GRADED, alone
        tests_alone = {k[2]: (r["score"], r["outcome"]) for k, r in honest["tests"].items()
                       if k[:2] == key}
        tests_beside = {k[2]: (r["score"], r["outcome"]) for k, r in mixed["tests"].items()
                        if k[:2] == key}
        assert tests_beside == tests_alone and tests_alone, key
        book_alone = {k: v for k, v in honest["gradebook"].items() if k[:2] == key}
        book_beside = {k: v for k, v in mixed["gradebook"].items() if k[:2] == key}
        assert book_beside == book_alone and book_alone, key
    wrong = honest["grades"]["wrong-02", "02-modular-backprop"]
    full = honest["grades"]["honest-02", "02-modular-backprop"]
    assert float(wrong["score"]) < float(full["score"]) == float(full["max_score"])


def test_nothing_outside_the_output_folder_changed(runs):
    assert not runs["changes"], runs["changes"][:20]


def test_no_connection_reached_the_grader(runs):
    assert runs["hits"] == 0


def test_no_hostile_file_landed_in_the_output_folder(runs):
    planted = [p for p in runs["mixed"]["out"].rglob("*")
               if p.name in ("evil", "filler", "evil.py") or p.name.startswith(".bashrc")]
    assert not planted, planted
    grades = (runs["mixed"]["out"] / "grades.csv").read_bytes()
    assert b"pwned" not in grades and b"pwned" not in (runs["mixed"]["out"] /
                                                       "gradebook.db").read_bytes()


def hostile_record(runs, name):
    entry = BY_NAME[name]
    record = results.load_result(runs["mixed"]["out"], entry.assignment, name)
    assert record, f"{name}: no result stored"
    notes = [n["text"] for n in record.notes]
    return entry, record, notes


@pytest.mark.parametrize("name", [h.name for h in BANK])
def test_each_hostile_student_gets_the_status_its_code_earned(runs, name):
    entry, record, notes = hostile_record(runs, name)
    expect = entry.expect
    row = runs["mixed"]["grades"][name, entry.assignment]
    report = f"{name}: {row['status']} {row['score']}/{row['max_score']}: {row['notes']}"
    print(report)
    assert record.timings["total"] < BOMB_BOUND, report
    texts = one_or_more(expect.status)
    if expect.outcome == "kernel-died":
        assert row["status"] == results.KERNEL_DIED and float(row["score"]) == 0, report
        assert any(text in note for text in texts for note in notes), report
        return
    # graded, and every hostile act asks for a person's look
    assert row["status"] == results.NEEDS_REVIEW, report
    autograded = runs["mixed"]["out"] / record.autograded
    nb = nbformat.read(autograded, as_version=4)
    assert not leaks(nb), f"the sandbox leaked: {leaks(nb)}"
    if texts != ("graded",):
        assert any(text in note for text in texts for note in notes), report
    if expect.error:
        errors = [e["message"] for e in record.cell_errors if e["cell"] == entry.cell]
        assert any(name in e for name in one_or_more(expect.error) for e in errors), \
            (errors, report)
    honest = runs["mixed"]["tests"]
    own = {k[2]: r["score"] for k, r in honest.items() if k[:2] == (name, entry.assignment)}
    reference = {k[2]: r["score"] for k, r in honest.items()
                 if k[:2] == (f"honest-{entry.assignment[:2]}", entry.assignment)}
    if expect.canary == "tampered":
        assert float(row["score"]) == 0 and any(n.startswith("TAMPERED") for n in notes), report
    elif expect.scores == "baseline":
        assert own == reference, report
    for kind in expect.scan:
        assert any(n.startswith(f"[{kind}] {entry.cell}, line ") for n in notes), \
            f"no [{kind}] flag with a line: {report}"


def test_deleting_its_own_files_leaves_the_graded_notebook_whole(runs):
    entry, record, _ = hostile_record(runs, "delete-own-files")
    nb = nbformat.read(runs["mixed"]["out"] / record.autograded, as_version=4)
    release = nbformat.read(notebook_file(REPO / "release", entry.assignment), as_version=4)
    assert len(nb.cells) == len(release.cells)
    assert all(t["score"] == t["max_score"] for t in record.tests)


def test_the_report_lists_every_flag_with_the_students_line(runs):
    report = (runs["mixed"]["out"] / "report.html").read_text()
    for entry in BANK:
        _, record, _ = hostile_record(runs, entry.name)
        assert f">{entry.name}</a>" in report, f"{entry.name} is not in the report's list"
        for note in record.notes:
            if note["level"] == "review":
                assert html.escape(note["text"]) in report, (entry.name, note["text"])


def test_canary_flags_name_the_line_that_replaced_a_checker(runs):
    """The hostile cell starts with a blank line: the kernel numbers lines without it."""
    _, _, notes = hostile_record(runs, "replace-checker")
    located = {"check_grad was replaced": "course.gradcheck.check_grad = lambda",
               "numpy.allclose was replaced": "np.allclose = lambda"}
    for what, code in located.items():
        assert any(what in n and n.startswith("[tamper] tanh-function, line ") and code in n
                   for n in notes), (what, notes)
