"""The sandboxed kernel (autograder/sandbox.py) against the bank of hostile submissions.

Fast tests check the plan (kernel spec, settings, nbgrader options), the bwrap command line and
the unsandboxed fallback. The slow ones run real kernels in bubblewrap: every hostile submission
of tests/hostile/ with nbclient, as nbgrader's Execute would, in a fake course whose secrets it
must not see and whose files it must not change; bombs beside an honest notebook; and a class with
hostile students through real `nbgrader autograde`. Under CI a missing bwrap fails (conftest).
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder import canary, sandbox, scan
from conftest import require_system_tool
from hostile import BANK, BY_NAME
from hostile.world import LoopbackServer, World, leaks, run, submission
from nbgrader_course import REPO, TempCourse, filled_release, notebook_file, venv_environment

# Small limits, so that the bombs are stopped quickly and cannot hurt the machine.
TEST_LIMITS = sandbox.Limits(memory_bytes=3 * sandbox.GiB, cpu_seconds=120, tasks=128,
                             processes=16, total_memory_bytes=1 * sandbox.GiB,
                             wall_seconds=180, scratch_bytes=64 * sandbox.MiB,
                             tmp_bytes=16 * sandbox.MiB, file_bytes=32 * sandbox.MiB)
BOMB_BOUND = 60         # seconds: a bomb's notebook must be over by then


@pytest.fixture(scope="module")
def bwrap_ready():
    require_system_tool("bwrap")
    ok, reason = sandbox.sandbox_available(refresh=True)
    if not ok:
        pytest.fail(f"bwrap is installed but the sandbox cannot run: {reason}")
    return reason


# --- the plan, fast -----------------------------------------------------------------------------

def test_plan_writes_a_kernel_spec_nbgrader_finds(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_PROBES", {sys.executable: (True, "test", "bwrap-root")})
    plan = sandbox.prepare(tmp_path / "run", limits=TEST_LIMITS)
    spec = json.loads((tmp_path / "run/share/jupyter/kernels/backprop-sandbox/kernel.json")
                      .read_text())
    assert spec["argv"][:4] == [sys.executable, "-I", str(REPO / "autograder" / "sandbox.py"),
                                "launch"]
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

    env, args = sandbox.sandbox_environment(tmp_path / "run2")
    assert args[0] == "--Execute.kernel_name=backprop-sandbox" and "JUPYTER_PATH" in env


def test_bwrap_command_shows_only_what_the_kernel_needs(tmp_path):
    settings = sandbox._settings(tmp_path, sys.executable, "bwrap-root", "/usr/bin/bwrap",
                                 TEST_LIMITS, ())
    argv = sandbox._bwrap_argv(settings, cwd="/srv/course/autograded/alice/a1",
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
    assert set(tmpfs) == {"/dev/shm", "/tmp", sandbox.HOME, "/srv/course/autograded/alice/a1"}
    setenv = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setenv"}
    assert setenv["JPY_PARENT_PID"] == "1" and setenv["HOME"] == sandbox.HOME
    assert setenv["IPYTHONDIR"].startswith(sandbox.HOME)
    assert setenv["MPLCONFIGDIR"].startswith(sandbox.HOME)
    assert "PYTHONPATH" not in setenv


def test_without_root_the_kernel_gets_a_user_namespace(tmp_path):
    settings = sandbox._settings(tmp_path, sys.executable, "bwrap-user", "/usr/bin/bwrap",
                                 TEST_LIMITS, ())
    argv = sandbox._bwrap_argv(settings, cwd="/srv/a", runtime=tmp_path, runtime_target="/srv/c",
                               input_dir=None, uid=None, command=["python"])
    assert "--unshare-user" in argv and "--cap-add" not in argv
    inner = json.loads(argv[argv.index("inner") + 1])
    assert inner["uid"] is None and inner["limits"]["tasks"] == TEST_LIMITS.tasks


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
    monkeypatch.setattr(sandbox, "_PROBES", {sys.executable: (False, "no bwrap here", None)})
    with pytest.raises(RuntimeError, match="no bwrap here"):
        sandbox.prepare(tmp_path / "run")


def test_missing_bwrap_is_reported_in_words(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    ok, reason, mode = sandbox._probe(sys.executable)
    assert not ok and "bubblewrap" in reason and mode is None


def test_exit_messages_say_what_stopped_the_kernel():
    limits = sandbox.asdict(TEST_LIMITS)
    assert sandbox._exit_message(128 + 24, None, limits)[0] == "cpu-time"
    assert "fork bomb" in sandbox._exit_message(137, "processes", limits)[1]
    assert sandbox._exit_message(0, None, limits) == (None, "the kernel exited (status 0)")
    assert sandbox._exit_message(137, None, limits) == ("signal",
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
    return sandbox.prepare(Path(root) / f"run-{name}", limits=limits)


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


def one_or_more(expected):
    """An expectation that accepts one value or any of a tuple of them."""
    return expected if isinstance(expected, tuple) else (expected,)


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
        assert expect.error in result.cell_text(entry.cell), report
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
    located = [f for f in result.canary.flags if f.cell == "add-function"]
    assert located and "np.allclose = lambda" in located[0].code, \
        [f.text() for f in result.canary.flags]
    helper = bank_runs["hostile"]["redefine-helper"]
    assert any("close" in f.message and f.cell == "add-function" and f.line
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
    limits = sandbox.Limits(**{**sandbox.asdict(TEST_LIMITS), "wall_seconds": 5})
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


# --- real nbgrader ----------------------------------------------------------------------------

NBGRADER_CLASS = ["read-secrets", "write-outside", "network", "fork-bomb", "os-exit",
                  "kill-parent", "delete-own-files", "replace-checker", "input-transformer"]


def _grade_class(course, world, assignment, students, plan):
    """Submit every student (with the canary) to `course`, then autograde them one at a time
    with the sandbox's kernel; returns ({student: result}, unchanged?, changes)."""
    course.generate(assignment)
    release = nbformat.read(notebook_file(course.root / "release", assignment), as_version=4)
    name = notebook_file(REPO / "source", assignment).name
    for student, nb in students.items():
        course.submit(student, assignment, canary.add_canary_cell(nb, reference=release), name)
    before = world.digest() if world else {}
    env = {**venv_environment(), **plan.env}
    results = {}
    for student in students:
        mark = plan.event_mark()
        done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment,
                               "--student", student, "--force", *plan.nbgrader_args],
                              cwd=course.root, env=env, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        graded = course.root / "autograded" / student / assignment / name
        result = {"returncode": done.returncode, "exits": plan.kernel_exits(since=mark),
                  "log": done.stdout[-2000:] + done.stderr[-3000:]}
        if graded.exists():
            nb = nbformat.read(graded, as_version=4)
            result.update(scores=course.scores(assignment, student), nb=nb,
                          canary=canary.read_canary(nb))
        results[student] = result
    after = world.digest() if world else {}
    return results, before == after, sorted(set(before.items()) ^ set(after.items()))


@pytest.mark.slow
def test_a_class_with_hostile_students_through_real_nbgrader(bwrap_ready, server, tmp_path):
    """Honest students graded alone, and again in a class with hostile ones: the same grades;
    the hostile ones see no secret, change nothing, and get the status their code earned."""
    from nbgrader_course import nbgrader_cells
    from wrong_answers.a02_modular_backprop import WRONG_ANSWERS

    assignment = "02-modular-backprop"
    wrong = WRONG_ANSWERS[0]
    honest = {"honest": filled_release(assignment),
              "wrong": filled_release(assignment, {wrong["cell"]: wrong["source"]})}
    hostile_course = TempCourse(tmp_path / "hostile", [assignment])
    world = World(tmp_path / "hostile-world", course=hostile_course.root)
    source = nbformat.read(notebook_file(REPO / "source", assignment), as_version=4)
    hostile = {}
    for name in NBGRADER_CLASS:
        entry = BY_NAME[name]
        reference = nbgrader_cells(source, "solution")[entry.cell].source
        hostile[name] = filled_release(assignment, {entry.cell: entry.source(
            reference, world.places(assignment, server.port))})

    with ThreadPoolExecutor(max_workers=2) as pool:
        alone = pool.submit(_grade_class, TempCourse(tmp_path / "honest", [assignment]), None,
                            assignment, honest, _plan(tmp_path, "nbgrader-honest"))
        mixed = pool.submit(_grade_class, hostile_course, world, assignment,
                            {**honest, **hostile}, _plan(tmp_path, "nbgrader-hostile"))
        alone, _, _ = alone.result()
        mixed, unchanged, changes = mixed.result()

    for student in honest:
        assert alone[student]["returncode"] == 0, alone[student]["log"]
        assert mixed[student]["scores"] == alone[student]["scores"], student
        assert not mixed[student]["canary"].tampered
    assert unchanged, changes[:20]
    assert server.hits == 0
    for name in NBGRADER_CLASS:
        expect, result = BY_NAME[name].expect, mixed[name]
        print(name, result["returncode"], [(e.reason, e.message) for e in result["exits"]],
              result.get("canary") and result["canary"].summary())
        if expect.outcome == "kernel-died":
            assert result["returncode"] != 0 and "nb" not in result, result["log"]
            assert "DeadKernelError" in result["log"] or "Kernel died" in result["log"], \
                result["log"]
            assert result["exits"][-1].reason in one_or_more(expect.stopped_by)
            continue
        assert result["returncode"] == 0, result["log"]
        assert not leaks(result["nb"]), (name, leaks(result["nb"]))
        if expect.canary == "tampered":
            assert result["canary"].tampered, name
        else:
            assert not result["canary"].tampered, [f.text() for f in result["canary"].flags]
            assert result["scores"] == alone["honest"]["scores"], name
