"""Fixtures and helpers shared by the whole suite.

The policy for things outside Python (Chromium, bubblewrap, ...): a test that needs one calls
`require_system_tool`. On a developer's machine a missing tool skips the test with the reason;
under CI (`CI=true`, as `.ci/run` is started) it fails it, because there a missing system
package means `.ci/run` forgot to install it, and a skipped test would hide that.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np
import psutil
import pytest
from hypothesis import settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def running_under_ci() -> bool:
    """True when the environment variable CI says so (`true`, `1` or `yes`, any case)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


# Every test session gets a matplotlib config and cache folder of its own, which every kernel it
# starts inherits (and so do pytest-xdist's workers, from the controller's environment).
# matplotlib's font cache in the user's home is shared by all environments of the same matplotlib
# version: one written by another (or a since deleted) environment can lack fonts, and then every
# plotting cell warns on stderr, which nbgrader scores as a failure.
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="pytest-matplotlib-"))

# Every process a test starts inherits this session's mark (nbgrader, the autograder's workers,
# the sandbox launchers and the kernels pass the environment on), so that the check at the end of
# each module finds this session's own processes, and no other session's. Each pytest process
# (an xdist worker too) marks its own.
SESSION_MARK = "BACKPROP_TEST_SESSION"
os.environ[SESSION_MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"
# What must never outlive the module that started it (a kernel, its sandbox launcher, a grading
# worker, a Dask scheduler or worker); a server that a session-scoped fixture keeps is not
# among them.
MUST_END = ("ipykernel_launcher", "autograder/sandbox/launcher.py", "autograder.worker",
            "-m dask scheduler", "-m dask worker")

# Hypothesis: no per-example deadline (the machine's two cores are shared, so timings are
# noisy); under CI the examples are derandomized, so a rerun sees the same ones.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if running_under_ci() else "dev")


def require_system_tool(name: str, path: str | os.PathLike | None = None) -> str:
    """The path of a system program the calling test needs, e.g. `require_system_tool("bwrap")`
    or `require_system_tool("chromium", "/usr/bin/chromium")`.

    `path`, when given, is the one place to look (it must be an executable file); otherwise the
    program is looked up on PATH by `name`. When it is missing, the test is skipped, or failed
    under CI.
    """
    if path is not None:
        found = str(path) if os.path.isfile(path) and os.access(path, os.X_OK) else None
        where = str(path)
    else:
        found = shutil.which(name)
        where = f"{name!r} on PATH"
    if found:
        return found
    reason = (
        f"system tool {name} not found ({where}); install its Debian package "
        f"(.ci/run lists the packages the suite needs)"
    )
    if running_under_ci():
        pytest.fail(f"{reason}. Under CI a missing system package is a failure.", pytrace=False)
    pytest.skip(reason)


SUMMARY = "shown at the end of the run"


@pytest.fixture
def show_at_the_end(request):
    """`show_at_the_end(text)`: text for the end of pytest's output, in every run. (A print
    under `capsys.disabled()` would not show from an xdist worker.)"""
    return lambda text: request.node.user_properties.append((SUMMARY, text))


def pytest_terminal_summary(terminalreporter):
    texts = [text for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for key, text in report.user_properties if key == SUMMARY]
    if texts:
        terminalreporter.section("shown by the tests")
        for text in texts:
            terminalreporter.write_line(text)


@pytest.fixture
def system_tool():
    """`require_system_tool` as a fixture:
    `def test_x(system_tool): bwrap = system_tool("bwrap")`."""
    return require_system_tool


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (where pyproject.toml and nbgrader_config.py live)."""
    return REPO_ROOT


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded NumPy generator: the same numbers on every run of a test."""
    return np.random.default_rng(20240601)


@pytest.fixture
def artifacts_dir(request) -> Path:
    """A folder under test-artifacts/ named after the test, for screenshots, logs and
    notebooks a test leaves behind for a human to look at (kept after the run, git-ignored)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in request.node.nodeid)
    folder = REPO_ROOT / "test-artifacts" / safe
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def session_processes(kinds=MUST_END):
    """The live processes of this test session whose command line names one of `kinds`."""
    mark, found = os.environ[SESSION_MARK], []
    for proc in psutil.process_iter(["cmdline", "status"]):
        command = " ".join(proc.info["cmdline"] or ())
        if proc.info["status"] == psutil.STATUS_ZOMBIE or not any(k in command for k in kinds):
            continue
        try:
            if proc.environ().get(SESSION_MARK) == mark:
                found.append(proc)
        except psutil.Error:
            pass
    return found


@pytest.fixture(scope="module", autouse=True)
def no_kernel_outlives_its_module():
    """After each test module (its fixtures torn down): none of the kernels, sandbox launchers
    or grading workers it started is still running (a few seconds allowed to exit)."""
    yield
    _, alive = psutil.wait_procs(session_processes(), timeout=10)
    if alive:
        left = []
        for proc in alive:       # named, then stopped: the next module starts clean
            try:
                left.append(" ".join(proc.cmdline())[:200])
                proc.kill()
            except psutil.Error:
                pass
        if left:
            pytest.fail("processes this module started are still running:\n" + "\n".join(left),
                        pytrace=False)
