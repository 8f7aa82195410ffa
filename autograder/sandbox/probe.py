"""Can bubblewrap run a kernel here? Asked once per interpreter, by running the real thing.

BACKPROP_SANDBOX (`MODE_VARIABLE`) chooses: auto (default: sandboxed where it runs), off
(never: for tests, or a TA who chooses it), require (refuse to grade unsandboxed).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.sandbox.launcher import bwrap_argv, pick_uid
from autograder.sandbox.limits import Limits
from autograder.sandbox.settings import launcher_settings

MODE_VARIABLE = "BACKPROP_SANDBOX"        # auto (default) | off | require

_PROBES = {}   # {python: (ok, reason, mode)}: one trial run per interpreter and process


def requested_mode():
    """BACKPROP_SANDBOX: 'auto' (default), 'off' or 'require'."""
    value = os.environ.get(MODE_VARIABLE, "auto").strip().lower() or "auto"
    if value in ("0", "no", "false", "none", "disable", "disabled"):
        value = "off"
    if value in ("1", "yes", "true", "on", "required"):
        value = "require"
    if value not in ("auto", "off", "require"):
        raise ValueError(f"{MODE_VARIABLE}={value!r}: expected auto, off or require")
    return value


def sandbox_available(python=None, refresh=False):
    """(True, how) when bubblewrap can run a kernel here, else (False, why not), in words.

    The answer comes from running the real thing once (bwrap with every option a kernel gets,
    the uid switch and the limits, starting `python`); it is cached per Python. BACKPROP_SANDBOX=off
    answers False without trying."""
    ok, reason, _ = sandbox_mode(python, refresh)
    return ok, reason


def sandbox_mode(python=None, refresh=False):
    """(ok, reason, mode) of sandbox_available, with the mode kernels run in when ok:
    "bwrap-root" (as root, each kernel a uid of its own) or "bwrap-user" (a user namespace)."""
    python = str(python or sys.executable)
    if requested_mode() == "off":
        return False, f"{MODE_VARIABLE}=off: the sandbox was turned off", None
    if refresh or python not in _PROBES:
        _PROBES[python] = trial(python)
    return _PROBES[python]


def trial(python):
    """(ok, reason, mode) of one trial run of the sandbox."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})", None
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bwrap is not installed (Debian/Ubuntu package: bubblewrap)", None
    mode = "bwrap-root" if os.geteuid() == 0 else "bwrap-user"
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        tmp = Path(tmp)
        settings = launcher_settings(tmp, python, mode, bwrap, Limits(), extra_readonly=())
        (tmp / "cwd").mkdir()
        runtime = tmp / "runtime"
        runtime.mkdir()
        uid = pick_uid() if mode == "bwrap-root" else None
        if uid is not None:
            os.chown(runtime, uid, uid)
        command = [python, "-c", "import sys; print('sandbox-ok', sys.version_info[0])"]
        argv = bwrap_argv(settings, cwd=str(tmp / "cwd"), runtime=runtime,
                          runtime_target=str(tmp / "client"), input_dir=None, uid=uid,
                          command=command)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bwrap could not run: {error}", None
        if "sandbox-ok" not in done.stdout:
            detail = (done.stderr or done.stdout).strip().splitlines()
            return False, (f"bwrap cannot run here (exit {done.returncode}: "
                           f"{detail[-1] if detail else 'no output'}); are user namespaces "
                           f"disabled?"), None
    how = ("bubblewrap as root, the kernel as a uid of its own" if mode == "bwrap-root"
           else "bubblewrap in a user namespace")
    return True, how, mode
