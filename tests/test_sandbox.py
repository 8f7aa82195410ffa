"""The sandboxed kernel (autograder/sandbox/) against the bank of hostile submissions.

Fast tests check the plan (kernel spec, settings, nbgrader options), the bwrap command line and
the unsandboxed fallback. The slow ones run real kernels in bubblewrap: every hostile submission
of tests/hostile/ with nbclient, as nbgrader's Execute would, in a fake course whose secrets it
must not see and whose files it must not change, with each kernel's exit reason; and bombs beside
an honest notebook. The whole bank graded by `python -m autograder grade` in a class with honest
students is tests/test_hostile_class.py. Under CI a missing bwrap fails (conftest).
"""

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import canary, sandbox, scan
from autograder.sandbox import launcher, probe
from autograder.sandbox.plan import SOCKET_PATH_MAX
from autograder.sandbox.settings import launcher_settings
from conftest import require_system_tool
from hostile import BANK, BY_NAME, TEST_LIMITS, one_or_more
from hostile.world import LoopbackServer, World, run, submission
from nbgrader_course import REPO, filled_release, notebook_file

BOMB_BOUND = 60         # seconds: a bomb's notebook must be over by then

pytestmark = pytest.mark.xdist_group("sandbox")  # one worker makes the world and the bank's runs


@pytest.fixture(scope="module")
def bwrap_ready():
    require_system_tool("bwrap")
    ok, reason = sandbox.sandbox_available(refresh=True)
    if not ok:
        pytest.fail(f"bwrap is installed but the sandbox cannot run: {reason}")
    return reason


# --- the plan, fast -----------------------------------------------------------------------------

def test_plan_writes_a_kernel_spec_nbgrader_finds(tmp_path, monkeypatch):
    monkeypatch.setattr(probe, "_PROBES", {sys.executable: (True, "test", "bwrap-root")})
    plan = sandbox.prepare(tmp_path / "run", limits=TEST_LIMITS)
    spec = json.loads((tmp_path / "run/share/jupyter/kernels/backprop-sandbox/kernel.json")
                      .read_text())
    assert spec["argv"][:4] == [sys.executable, "-I",
                                str(REPO / "autograder" / "sandbox" / "launcher.py"), "launch"]
    assert spec["argv"][-3:] == ["ipykernel_launcher", "-f", "{connection_file}"]
    assert spec["interrupt_mode"] == "message"
    assert plan.sandboxed and plan.warning is None
    assert plan.env["JUPYTER_PATH"].split(os.pathsep)[0] == str(tmp_path / "run/share/jupyter")
    assert plan.nbgrader_args == [
        "--Execute.kernel_name=backprop-sandbox", "--KernelManager.transport=ipc",
        f"--KernelManager.connection_file={tmp_path / 'run/connect/kernel.json'}"]
    settings = json.loads((tmp_path / "run/sandbox.json").read_text())
    assert settings["limits"]["processes"] == TEST_LIMITS.processes
    assert str(REPO / "course") in settings["readonly"]

    from traitlets.config import Config

    config = plan.configure(Config())
    assert config.Execute.kernel_name == "backprop-sandbox"
    assert config.KernelManager.transport == "ipc"

    other = sandbox.prepare(tmp_path / "run2")    # a second run folder: its own kernel spec
    env, args = other.env, other.nbgrader_args
    assert args[0] == "--Execute.kernel_name=backprop-sandbox" and "JUPYTER_PATH" in env


def test_bwrap_command_shows_only_what_the_kernel_needs(tmp_path):
    settings = launcher_settings(tmp_path, sys.executable, "bwrap-root", "/usr/bin/bwrap",
                                 TEST_LIMITS, ())
    argv = launcher.bwrap_argv(settings, cwd="/srv/course/autograded/alice/a1",
                               runtime=tmp_path / "rt", runtime_target="/srv/run/connect",
                               input_dir=tmp_path / "in", uid=3_000_000_123,
                               command=[sys.executable, "-m", "ipykernel_launcher"])
    pairs = {(argv[i], argv[i + 2]) for i in range(len(argv) - 2)
             if argv[i] in ("--ro-bind", "--bind")}
    binds = {target for option, target in pairs}
    writable = {target for option, target in pairs if option == "--bind"}
    assert writable == {"/srv/run/connect"}          # the only writable folder on disk
    assert "/srv/course" not in binds and "/" not in binds and "/root" not in binds
    assert {"/usr", "/etc", str(REPO / "course"), sys.prefix} <= binds
    for flag in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent",
                 "--new-session", "--clearenv"):
        assert flag in argv
    tmpfs = [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"]
    assert set(tmpfs) == {"/dev/shm", "/tmp", launcher.HOME, "/srv/course/autograded/alice/a1"}
    setenv = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setenv"}
    assert setenv["JPY_PARENT_PID"] == "1" and setenv["HOME"] == launcher.HOME
    assert setenv["IPYTHONDIR"].startswith(launcher.HOME)
    assert setenv["MPLCONFIGDIR"].startswith(launcher.HOME)
    assert "PYTHONPATH" not in setenv


def test_without_root_the_kernel_gets_a_user_namespace(tmp_path):
    settings = launcher_settings(tmp_path, sys.executable, "bwrap-user", "/usr/bin/bwrap",
                                 TEST_LIMITS, ())
    argv = launcher.bwrap_argv(settings, cwd="/srv/a", runtime=tmp_path, runtime_target="/srv/c",
                               input_dir=None, uid=None, command=["python"])
    assert "--unshare-user" in argv and "--cap-add" not in argv
    inner = json.loads(argv[argv.index("inner") + 1])
    assert inner["uid"] is None and inner["limits"]["tasks"] == TEST_LIMITS.tasks


def test_the_launcher_needs_nothing_but_the_standard_library():
    """It runs with `python -I`, and inside the sandbox it is the only file of the grader: its
    imports (at any depth) are the standard library's, and without site-packages (`-S`) it
    loads and runs."""
    path = Path(launcher.__file__)
    tree = ast.parse(path.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported and imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names
    loaded = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import runpy, sys; runpy.run_path(sys.argv[1]); "
         "print(sorted({m.split('.')[0] for m in sys.modules if not m.startswith('__')} "
         "- sys.stdlib_module_names))", str(path)],
        capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
    usage = subprocess.run([sys.executable, "-I", "-S", str(path)], capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 2 and "usage: launcher.py launch" in usage.stderr


def test_a_launcher_whose_grader_is_gone_stops_its_kernel(tmp_path, monkeypatch):
    """The process that starts the launcher exits at once (as a worker killed while starting a
    kernel would): the launcher must not leave its kernel running until the wall-clock limit."""
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "off")  # the same launcher loop as in bwrap
    plan = sandbox.prepare(tmp_path / "run", limits=TEST_LIMITS)
    pid_file = tmp_path / "kernel.pid"
    kernel = [sys.executable, "-c", "import os, sys, time; open(sys.argv[1], 'w')"
              ".write(str(os.getpid())); time.sleep(600)", str(pid_file)]
    argv = [sys.executable, "-I", str(launcher.__file__), "launch",
            str(plan.run_dir / "sandbox.json"), "--", *kernel]
    # a parent that starts the launcher and is gone before the launcher can watch it
    subprocess.run([sys.executable, "-c", "import os, subprocess, sys; "
                    "os.environ['JPY_PARENT_PID'] = str(os.getpid()); "
                    "subprocess.Popen(sys.argv[1:], start_new_session=True)", *argv],
                   check=True, timeout=60)
    deadline = time.monotonic() + 20
    while not plan.kernel_exits() and time.monotonic() < deadline:
        time.sleep(0.1)
    exits = plan.kernel_exits()
    assert exits and exits[-1].reason == "terminated", exits
    if pid_file.exists():        # the kernel had started: it is gone too
        pid = int(pid_file.read_text())
        for _ in range(50):
            if not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie":
                break
            time.sleep(0.1)
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


def test_a_grader_that_died_but_is_not_yet_reaped_counts_as_gone(tmp_path, monkeypatch):
    """The starter exits and stays a zombie (its parent, this test, has not waited for it) while
    the launcher starts: `kill(pid, 0)` still succeeds on a zombie, and the launcher must not
    take it for a live grader and run its kernel until the wall-clock limit."""
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "off")
    plan = sandbox.prepare(tmp_path / "run", limits=TEST_LIMITS)
    kernel = [sys.executable, "-c", "import time; time.sleep(600)"]
    argv = [sys.executable, "-I", str(launcher.__file__), "launch",
            str(plan.run_dir / "sandbox.json"), "--", *kernel]
    starter = subprocess.Popen([sys.executable, "-c", "import os, subprocess, sys; "
                                "os.environ['JPY_PARENT_PID'] = str(os.getpid()); "
                                "subprocess.Popen(sys.argv[1:], start_new_session=True); "
                                "os._exit(0)", *argv])
    try:
        deadline = time.monotonic() + 30
        while not plan.kernel_exits() and time.monotonic() < deadline:
            time.sleep(0.1)
        exits = plan.kernel_exits()
        assert psutil.Process(starter.pid).status() == psutil.STATUS_ZOMBIE  # still unreaped
        assert exits and exits[-1].reason == "terminated", exits
    finally:
        starter.wait(timeout=60)


def test_a_folder_too_long_for_the_kernels_sockets_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ValueError, match="too long: the kernel's sockets"):
        sandbox.prepare(tmp_path / ("x" * SOCKET_PATH_MAX), limits=TEST_LIMITS)


def test_turned_off_the_plan_warns_and_grades_unsandboxed(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "off")
    ok, reason = sandbox.sandbox_available()
    assert not ok and "off" in reason
    plan = sandbox.prepare(tmp_path / "run")
    assert not plan.sandboxed and plan.mode == "unsandboxed"
    assert "NOT sandboxed" in plan.warning and "gradebook" in plan.warning
    assert plan.nbgrader_args        # the same kernel spec: limits and watchdog still apply


def test_required_but_missing_raises(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "require")
    monkeypatch.setattr(probe, "_PROBES", {sys.executable: (False, "no bwrap here", None)})
    with pytest.raises(RuntimeError, match="no bwrap here"):
        sandbox.prepare(tmp_path / "run")


def test_missing_bwrap_is_reported_in_words(monkeypatch):
    monkeypatch.setattr(probe.shutil, "which", lambda name: None)
    ok, reason, mode = probe.trial(sys.executable)
    assert not ok and "bubblewrap" in reason and mode is None


def test_exit_messages_say_what_stopped_the_kernel():
    limits = asdict(TEST_LIMITS)
    assert launcher.exit_message(128 + 24, None, limits)[0] == "cpu-time"
    assert "fork bomb" in launcher.exit_message(137, "processes", limits)[1]
    assert launcher.exit_message(0, None, limits) == (None, "the kernel exited (status 0)")
    assert launcher.exit_message(137, None, limits) == ("signal",
                                                        "the kernel was killed by SIGKILL")


# --- real kernels ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    assignments = sorted({h.assignment for h in BANK})
    return World(tmp_path_factory.mktemp("world"), assignments)


@pytest.fixture(scope="module")
def server():
    server = LoopbackServer()
    yield server
    server.close()


def _plan(root, name, limits=TEST_LIMITS):
    """A plan in root/run-<name>, or in a short temporary folder where that path is too long for
    the kernel's IPC sockets (pytest's tmp_path under an xdist worker can be)."""
    run_dir = Path(root) / f"run-{name}"
    if len(os.fsencode(run_dir / "connect" / "kernel-ipc-9")) > SOCKET_PATH_MAX:
        run_dir = Path(tempfile.mkdtemp(prefix=f"sbx-{name}-"))
    return sandbox.prepare(run_dir, limits=limits)


def _cwd(world, student, assignment):
    """The folder nbgrader runs a student's notebook in, with a data file beside it."""
    folder = world.course / "autograded" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text("x,y\n1,2\n")
    return folder


@pytest.fixture(scope="module")
def bank_runs(bwrap_ready, world, server, tmp_path_factory):
    """Every hostile submission and each assignment's honest one, run two at a time."""
    runs_root = tmp_path_factory.mktemp("runs")
    before = world.digest()

    def honest(assignment):
        nb = canary.add_canary_cell(
            filled_release(assignment),
            reference=nbformat.read(notebook_file(REPO / "release", assignment), as_version=4))
        return run(_plan(runs_root, f"honest-{assignment}"), nb,
                   _cwd(world, f"honest-{assignment}", assignment))

    def hostile(entry):
        nb, _ = submission(entry, world, server.port)
        folder = _cwd(world, entry.name, entry.assignment)
        files_before = {p.name: p.read_bytes() for p in folder.iterdir()}
        timeout = 8 if entry.name == "endless-loop" else 60
        outcome = run(_plan(runs_root, entry.name), nb, folder, timeout=timeout)
        outcome.files_unchanged = files_before == {p.name: p.read_bytes()
                                                   for p in folder.iterdir()}
        return outcome

    with ThreadPoolExecutor(max_workers=2) as pool:
        honest_jobs = {a: pool.submit(honest, a) for a in sorted({h.assignment for h in BANK})}
        hostile_jobs = {h.name: pool.submit(hostile, h) for h in BANK}
        results = {"honest": {a: j.result() for a, j in honest_jobs.items()},
                   "hostile": {n: j.result() for n, j in hostile_jobs.items()}}
    results["unchanged"] = before == world.digest()
    results["changes"] = sorted(set(before.items()) ^ set(world.digest().items()))
    results["hits"] = server.hits
    return results


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted({h.assignment for h in BANK}))
def test_honest_notebook_passes_in_the_sandbox_and_its_canary_too(bank_runs, assignment):
    result = bank_runs["honest"][assignment]
    assert result.outcome == "graded", result.error
    failed = [test for test, ok in result.passed.items() if not ok]
    assert not failed, f"the reference solution fails {failed} in the sandbox"
    assert result.canary.ran and not result.canary.tampered, [f.text() for f in result.canary.flags]


@pytest.mark.slow
@pytest.mark.parametrize("name", [h.name for h in BANK])
def test_hostile_submission(bank_runs, name):
    entry = BY_NAME[name]
    expect = entry.expect
    result = bank_runs["hostile"][name]
    honest = bank_runs["honest"][entry.assignment]
    report = (f"{name}: {result.status()} in {result.seconds:.1f} s; exits "
              f"{[(e.reason, e.message) for e in result.exits]}\n"
              f"{result.cell_text(entry.cell)[-1500:]}")
    print(report)
    assert not result.leaks(), f"the sandbox leaked: {result.leaks()}"
    assert result.outcome == expect.outcome, report
    assert any(text in result.status() for text in one_or_more(expect.status)), report
    assert result.seconds < BOMB_BOUND, report
    assert result.files_unchanged, "the notebook's own folder changed on disk"
    if expect.outcome == "kernel-died":
        assert result.exits and result.exits[-1].reason in one_or_more(expect.stopped_by), report
        assert result.exits[-1].message
    if expect.error:
        assert any(e in result.cell_text(entry.cell) for e in one_or_more(expect.error)), report
    if expect.scores == "baseline" and expect.outcome == "graded":
        assert result.passed == honest.passed, "the tests' results differ from the honest run"
    if expect.canary == "ok":
        assert result.canary.ran and not result.canary.tampered, \
            [f.text() for f in result.canary.flags]
    elif expect.canary == "tampered":
        assert result.canary.tampered, f"the canary missed it: {result.canary.summary()}"
        assert any(f.kind == "tamper" for f in result.canary.flags)
    flags = scan.scan_notebook(result.nb, reference=nbformat.read(
        notebook_file(REPO / "release", entry.assignment), as_version=4),
        assignment=entry.assignment)
    kinds = {f.kind for f in flags if f.cell == entry.cell}
    assert expect.scan <= kinds, f"scan flags {kinds}, expected {set(expect.scan)}:\n" + \
        "\n".join(f.text() for f in flags)
    assert all(f.line > 0 and f.code for f in flags if f.cell == entry.cell)


@pytest.mark.slow
def test_nothing_outside_the_scratch_folder_changed(bank_runs):
    assert bank_runs["unchanged"], bank_runs["changes"][:20]


@pytest.mark.slow
def test_no_connection_reached_the_grader(bank_runs):
    assert bank_runs["hits"] == 0


@pytest.mark.slow
def test_canary_names_the_line_that_replaced_a_checker(bank_runs):
    result = bank_runs["hostile"]["replace-allclose"]
    located = [f for f in result.canary.flags if f.cell == "tanh-function"]
    assert located and "np.allclose = lambda" in located[0].code, \
        [f.text() for f in result.canary.flags]
    helper = bank_runs["hostile"]["redefine-helper"]
    assert any("close" in f.message and f.cell == "tanh-function" and f.line
               for f in helper.canary.flags), [f.text() for f in helper.canary.flags]


@pytest.mark.slow
def test_bombs_beside_an_honest_notebook(bwrap_ready, world, server, tmp_path):
    """A fork bomb and a memory bomb graded at the same time as an honest notebook: the bombs
    are stopped within the bound, the honest notebook gets exactly its grades."""
    assignment = "02-modular-backprop"
    release = nbformat.read(notebook_file(REPO / "release", assignment), as_version=4)
    honest_nb = canary.add_canary_cell(filled_release(assignment), reference=release)
    baseline = run(_plan(tmp_path, "alone"), honest_nb, _cwd(world, "alone", assignment))
    jobs = {"honest": (honest_nb, "honest-beside")}
    for name in ("fork-bomb", "memory-bomb"):
        jobs[name] = (submission(BY_NAME[name], world, server.port)[0], name + "-beside")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {k: pool.submit(run, _plan(tmp_path, student), nb,
                                  _cwd(world, student, assignment))
                   for k, (nb, student) in jobs.items()}
        results = {k: f.result() for k, f in futures.items()}
    assert results["honest"].outcome == "graded"
    assert results["honest"].passed == baseline.passed
    assert not results["honest"].canary.tampered
    for name in ("fork-bomb", "memory-bomb"):
        assert results[name].outcome == "kernel-died"
        assert results[name].seconds < BOMB_BOUND
        assert results[name].exits[-1].reason in one_or_more(BY_NAME[name].expect.stopped_by)


@pytest.mark.slow
def test_wall_clock_limit_stops_a_kernel_that_ignores_interrupts(bwrap_ready, tmp_path):
    """The launcher's own bound on the kernel's life (GUIDE: bound the whole notebook from
    outside), for a cell that no timeout could interrupt."""
    limits = sandbox.Limits(**{**asdict(TEST_LIMITS), "wall_seconds": 5})
    plan = _plan(tmp_path, "wall", limits)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "while True:\n    time.sleep(0.1)")])
    result = run(plan, nb, tmp_path / "cwd", timeout=120)
    assert result.outcome == "kernel-died" and result.seconds < 30
    assert result.exits[-1].reason == "wall-clock"
    assert "5 s" in result.exits[-1].message


@pytest.mark.slow
def test_unsandboxed_fallback_still_grades_and_limits(world, tmp_path, monkeypatch):
    """bwrap "missing": the notebook is graded as usual (no hostile code runs here: outside a
    sandbox it would really reach the course)."""
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "off")
    assignment = "02-modular-backprop"
    plan = _plan(tmp_path, "fallback")
    assert not plan.sandboxed and plan.warning
    nb = filled_release(assignment)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import resource\nprint('AS', resource.getrlimit(resource.RLIMIT_AS)[0])"))
    result = run(plan, nb, _cwd(world, "fallback", assignment))
    assert result.outcome == "graded" and all(result.passed.values())
    assert f"AS {TEST_LIMITS.memory_bytes}" in nb_text(result.nb.cells[-1])
    assert result.exits and result.exits[-1].mode == "unsandboxed"


def nb_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []))
