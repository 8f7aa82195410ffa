"""Running the autograder again: nothing is graded twice, and a run killed half way resumes.

The class: the demo class of 03-vector-backprop (autograder/demo.py): solutions, the blank
release, two wrong answers, and a notebook that is not JSON.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from autograder import pipeline  # noqa: E402
from autograder.course_layout import venv_environment  # noqa: E402
from autograder.demo import make_demo_class  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rerun")]
ASSIGNMENT = "03-vector-backprop"
OUTPUTS = ("grades.csv", "tests.csv", "intake.csv", "report.html", "gradebook.db")


def snapshot(out):
    """{path: (bytes, mtime)} of every output a TA or a student reads."""
    files = [out / name for name in OUTPUTS] + sorted((out / "feedback").rglob("*.html"))
    files += sorted((out / "results").rglob("*.json"))
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


@pytest.fixture(scope="module")
def demo_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    make_demo_class(folder, REPO_ROOT, [ASSIGNMENT])
    return folder


@pytest.fixture(scope="module")
def first_run(demo_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    summary = pipeline.grade_class(demo_class, out, jobs=2)
    return out, summary


def test_a_second_run_grades_nothing_and_changes_nothing(demo_class, first_run):
    out, first = first_run
    assert first.graded_now == 4 and first.reused == 0
    before = snapshot(out)
    second = pipeline.grade_class(demo_class, out, jobs=2)
    assert (second.graded_now, second.reused) == (0, 4)
    after = snapshot(out)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"a re-run rewrote {changed}"


def test_a_changed_notebook_alone_is_graded_again(demo_class, first_run, tmp_path):
    import shutil

    out = tmp_path / "graded"
    shutil.copytree(first_run[0], out)
    copy = tmp_path / "class"
    shutil.copytree(demo_class, copy)
    notebook = next((copy / "bob" / ASSIGNMENT).glob("*.ipynb"))
    notebook.write_text(notebook.read_text().replace("raise NotImplementedError()",
                                                     "raise NotImplementedError('not yet')", 1))
    third = pipeline.grade_class(copy, out, jobs=2)
    assert (third.graded_now, third.reused) == (1, 3)


def cli(*args):
    return [sys.executable, "-m", "autograder", "grade", *map(str, args)]


def test_a_killed_run_resumes_and_loses_no_finished_result(demo_class, first_run, tmp_path):
    out = tmp_path / "graded"
    run = subprocess.Popen(cli(demo_class, "--out", out, "--jobs", "1"), cwd=REPO_ROOT,
                           env=venv_environment(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list((out / "results").rglob("*.json")):
            assert run.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no result after 300 s"
            time.sleep(0.2)
        children = psutil.Process(run.pid).children(recursive=True)
        os.kill(run.pid, signal.SIGKILL)  # as a crash or `kill -9` would
        run.wait()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    kept = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in (out / "results").rglob("*.json")}
    assert 1 <= len(kept) < 4

    # the worker notices its parent is gone, kills its kernel and exits
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, [p.cmdline() for p in alive]

    resumed = subprocess.run(cli(demo_class, "--out", out, "--jobs", "2"), cwd=REPO_ROOT,
                             env=venv_environment(), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"{4 - len(kept)} graded now" in resumed.stdout, resumed.stdout
    for path in (out / "results").rglob("*.json"):
        if path.name in kept:
            assert (path.read_bytes(), path.stat().st_mtime_ns) == kept[path.name], path
    reference, _ = first_run
    for name in ("grades.csv", "tests.csv"):
        assert (out / name).read_text() == (reference / name).read_text(), name
