"""Grading on a real Dask cluster (`--cluster`): a `dask scheduler` and two `dask worker`
processes on 127.0.0.1 (benchmarks/dask_processes.py), started here and stopped at the end.

The class: the demo class of 03-vector-backprop (4 notebooks to run, one settled without). The
cluster must give the grades the local pool gives, byte for byte, with one of its workers
killed half way, and stop its work on Ctrl-C. A notebook whose grading kills its worker each
time ends as `kernel died`; a scheduler that cannot be reached is an error before anything is
done.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from autograder import cluster, pipeline, results  # noqa: E402
from autograder.cells import is_solution  # noqa: E402
from autograder.course_layout import venv_environment  # noqa: E402
from autograder.demo import make_demo_class  # noqa: E402
from benchmarks.dask_processes import DaskProcesses, free_port  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cluster")]
ASSIGNMENT = "03-vector-backprop"
TABLES = ("grades.csv", "tests.csv")

# Put first in a solution cell: the kernel (unsandboxed) kills the Dask worker process above it
# (the nanny's child), as a grading that brings its machine down would.
KILL_MY_DASK_WORKER = """\
import os, signal, psutil
for _p in psutil.Process().parents():
    if _p.parent() is not None and "-m dask worker" in " ".join(_p.parent().cmdline()):
        os.kill(_p.pid, signal.SIGKILL)
"""


def tables(out):
    return {name: (Path(out) / name).read_text() for name in TABLES}


def files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def quiet_grade(class_dir, out, **where):
    with open(os.devnull, "w") as devnull:
        return pipeline.grade_class(class_dir, out, jobs=2, log=lambda _: None,
                                    progress_stream=devnull, **where)


def kernels_under(dask, index):
    return [p for p in dask.worker_processes(index) if "ipykernel" in " ".join(_cmdline(p))]


def _cmdline(proc):
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.2)


def scheduler_tasks(address):
    import distributed

    with distributed.Client(address, timeout=10, set_as_default=False) as client:
        return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


@pytest.fixture(scope="module")
def demo_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    make_demo_class(folder, REPO_ROOT, [ASSIGNMENT])
    return folder


@pytest.fixture(scope="module")
def local_run(demo_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    summary = quiet_grade(demo_class, out)
    assert summary.graded_now == 4
    return out


@pytest.fixture(scope="module")
def dask(tmp_path_factory):
    with DaskProcesses(workers=2, threads=1, folder=tmp_path_factory.mktemp("dask")) as d:
        yield d


def test_the_cluster_grades_as_the_local_pool_does(demo_class, local_run, dask, tmp_path):
    out = tmp_path / "graded"
    summary = quiet_grade(demo_class, out, cluster_address=dask.address)
    assert (summary.graded_now, summary.workers) == (4, 2)
    assert tables(out) == tables(local_run)
    # written here, as the local pool writes them: results, graded notebooks, logs, pages
    for name in ("results", "autograded", "feedback", f"work/logs/{ASSIGNMENT}"):
        assert files(out / name) == files(local_run / name), name
    # a second run through the cluster is incremental: nothing is sent
    again = quiet_grade(demo_class, out, cluster_address=dask.address)
    assert (again.graded_now, again.reused) == (0, 4)
    assert tables(out) == tables(local_run)


def test_an_unreachable_scheduler_is_an_error_at_the_start(demo_class, tmp_path):
    out = tmp_path / "graded"
    address = f"tcp://127.0.0.1:{free_port()}"       # nothing listens there
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(demo_class),
                          "--out", str(out), "--cluster", address], cwd=REPO_ROOT,
                         env=venv_environment(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr[-2000:]
    assert f"cannot reach the Dask scheduler at {address}" in run.stderr, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert not out.exists(), "nothing is done before the scheduler answers"
    assert time.monotonic() - started < cluster.CONNECT_TIMEOUT + 30


def test_without_distributed_the_cluster_option_says_what_to_install():
    probe = ("import sys; sys.modules['distributed'] = None\n"   # as if it were not installed
             "from autograder import cluster\n"
             "try:\n    cluster.connect('tcp://127.0.0.1:1')\n"
             "except cluster.ClusterError as e:\n    print(e)\n")
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60)
    assert "pip install -e '.[cluster]'" in run.stdout, run.stdout + run.stderr


def test_ctrl_c_cancels_the_work_on_the_cluster(demo_class, dask, tmp_path):
    out = tmp_path / "graded"
    run = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(demo_class),
                            "--out", str(out), "--cluster", dask.address], cwd=REPO_ROOT,
                           env=venv_environment(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for(lambda: kernels_under(dask, 0) or kernels_under(dask, 1), 300,
                 "kernel on a Dask worker")
        os.kill(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 130, err[-2000:]
    assert "interrupted" in err
    # the futures are cancelled and the station's teardown stops the grading processes
    wait_for(lambda: not kernels_under(dask, 0) and not kernels_under(dask, 1), 30,
             "end of the kernels on the workers")
    wait_for(lambda: scheduler_tasks(dask.address) == 0, 30, "empty scheduler")
    assert not [p for i in (0, 1) for p in dask.worker_processes(i)
                if "autograder.worker" in " ".join(_cmdline(p))]


def test_a_worker_killed_mid_run_has_its_notebook_graded_elsewhere(demo_class, local_run, dask,
                                                                  tmp_path):
    """Last of the module's uses of `dask`: worker 0 stays dead."""
    out = tmp_path / "graded"
    outcome = {}

    def grade():
        try:
            outcome["summary"] = quiet_grade(demo_class, out, cluster_address=dask.address)
        except BaseException as e:  # noqa: BLE001  (reported by the assertion below)
            outcome["error"] = e

    thread = threading.Thread(target=grade)
    thread.start()
    try:
        wait_for(lambda: kernels_under(dask, 0) or "summary" in outcome or "error" in outcome,
                 300, "kernel on worker 0")
        assert not outcome, "the run ended before worker 0 graded anything"
        dask.kill_worker(0)          # the nanny and everything below it: a lost machine
    finally:
        thread.join(600)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["summary"].graded_now == 4
    assert tables(out) == tables(local_run)


def test_a_notebook_that_kills_its_worker_each_time_is_kernel_died(demo_class, local_run,
                                                                   tmp_path):
    """Unsandboxed workers (the sandbox's PID namespace would hide the worker from the kernel),
    and the scheduler gives a task up after its second lost worker."""
    class_dir = tmp_path / "class"
    ada = next((demo_class / "ada" / ASSIGNMENT).glob("*.ipynb"))
    for student in ("honest", "killer"):
        (class_dir / student / ASSIGNMENT).mkdir(parents=True)
        shutil.copy(ada, class_dir / student / ASSIGNMENT / ada.name)
    killer = class_dir / "killer" / ASSIGNMENT / ada.name
    nb = nbformat.read(killer, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code" and is_solution(c))
    first.source = KILL_MY_DASK_WORKER + first.source
    nbformat.write(nb, killer)

    with DaskProcesses(workers=2, threads=1, folder=tmp_path / "dask",
                       env={"BACKPROP_SANDBOX": "off"},
                       scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}) as d:
        summary = quiet_grade(class_dir, tmp_path / "graded", cluster_address=d.address)
    by_student = {r.student: r for r in summary.rows}
    assert by_student["killer"].status == results.KERNEL_DIED
    assert any("stopped the Dask worker" in n["text"] for n in by_student["killer"].notes)
    assert by_student["honest"].status == results.GRADED
    reference = {r.split(",")[0]: r.split(",")[2] for r in tables(local_run)["grades.csv"]
                 .splitlines()[1:]}
    assert f"{by_student['honest'].score:g}" == reference["ada"]
