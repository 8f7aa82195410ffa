"""The grader's side of the sandbox: a kernel spec in a run folder, and how nbgrader uses it.

    plan = prepare(run_dir)                   # kernel spec + settings in run_dir
    os.environ.update(plan.env)               # or env={**os.environ, **plan.env} for a subprocess
    plan.configure(config)                    # traitlets Config of nbgrader: kernel name, ipc
    # (or: nbgrader autograde ... *plan.nbgrader_args)
    mark = plan.event_mark()
    ... autograde one student ...
    for exit in plan.kernel_exits(since=mark): ...   # why each kernel stopped (exits.py)

One run folder per process that starts kernels; kernels in it run one at a time.
"""

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.exits import kernel_exits
from autograder.sandbox.limits import Limits
from autograder.sandbox.probe import MODE_VARIABLE, requested_mode, sandbox_mode
from autograder.sandbox.settings import LAUNCHER, launcher_settings

# A Unix socket's path holds at most 107 bytes (sockaddr_un's sun_path, on Linux). The kernel's
# IPC sockets are run_dir/connect/kernel-ipc-<n>, so run_dir must leave room for them.
SOCKET_PATH_MAX = 107

KERNEL_NAME = "backprop-sandbox"


@dataclass
class SandboxPlan:
    """A kernel spec in `run_dir` that runs kernels sandboxed (or, with a warning, not).

    sandboxed: whether kernels run in bubblewrap; reason: how, or why not; warning: a sentence
    for the grader's output and the report when they do not (None when they do); env: variables
    for the process that starts kernels (JUPYTER_PATH, so that the kernel spec is found);
    nbgrader_args: the same settings as command-line flags of `nbgrader autograde`."""

    run_dir: Path
    sandboxed: bool
    mode: str
    reason: str
    warning: str | None
    limits: Limits
    env: dict = field(default_factory=dict)
    nbgrader_args: list = field(default_factory=list)

    @property
    def connection_file(self):
        return str(self.run_dir / "connect" / "kernel.json")

    @property
    def events_file(self):
        return self.run_dir / "events.jsonl"

    def configure(self, config):
        """Point a traitlets Config (nbgrader's) at the sandboxed kernel, over IPC."""
        config.Execute.kernel_name = KERNEL_NAME
        config.KernelManager.transport = "ipc"
        config.KernelManager.connection_file = self.connection_file
        return config

    def kernel_manager_class(self):
        """A KernelManager class (a jupyter_client AsyncKernelManager) that starts this
        plan's kernel over IPC, without JUPYTER_PATH: for a preprocessor
        (`kwargs.setdefault("kernel_manager_class", plan.kernel_manager_class())` in an
        Execute subclass's __init__) or for nbclient used directly."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager

        kernels = str(self.run_dir / "share" / "jupyter" / "kernels")
        connection_file = self.connection_file

        class SandboxKernelManager(AsyncKernelManager):
            def __init__(self, **kwargs):
                specs = KernelSpecManager()
                specs.kernel_dirs = [kernels]
                kwargs.update(kernel_name=KERNEL_NAME, transport="ipc",
                              connection_file=connection_file, kernel_spec_manager=specs)
                super().__init__(**kwargs)

        return SandboxKernelManager

    def notebook_client(self, nb, cwd, timeout=60, **kwargs):
        """An nbclient NotebookClient that runs `nb` in this plan's kernel, in folder `cwd`."""
        from nbclient import NotebookClient

        return NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout,
                              kernel_manager_class=self.kernel_manager_class(),
                              resources={"metadata": {"path": str(cwd)}}, **kwargs)

    def event_mark(self):
        """A position in the events file: pass it to kernel_exits(since=...)."""
        try:
            return self.events_file.stat().st_size
        except FileNotFoundError:
            return 0

    def kernel_exits(self, since=0):
        """How each kernel started since `since` stopped: a list of KernelExit."""
        return kernel_exits(self.events_file, since)


def prepare(run_dir, limits=None, python=None, extra_readonly=()):
    """Write the sandbox kernel spec and its settings into `run_dir`; return a SandboxPlan.

    run_dir: a folder of the grader's, outside the course root (created if missing); one per
    process that starts kernels. limits: a Limits. python: the interpreter of the kernel (default:
    this one; it must have ipykernel and the course's packages). extra_readonly: more folders the
    kernel may read (e.g. data of an assignment)."""
    run_dir = Path(run_dir).resolve()
    socket = run_dir / "connect" / "kernel-ipc-9"
    if len(os.fsencode(socket)) > SOCKET_PATH_MAX:
        raise ValueError(f"the sandbox's folder {run_dir} is too long: the kernel's sockets "
                         f"({socket}) would pass the {SOCKET_PATH_MAX} bytes a Unix socket's path "
                         f"may hold; give it a shorter one (tempfile.mkdtemp() makes one)")
    limits = limits or Limits()
    python = str(python or sys.executable)
    wanted = requested_mode()
    ok, reason, mode = sandbox_mode(python)
    if ok:
        warning = None
    elif wanted == "require":
        raise RuntimeError(f"the sandbox is required ({MODE_VARIABLE}=require) but: {reason}")
    else:
        mode = "unsandboxed"
        warning = (f"WARNING: students' code is NOT sandboxed ({reason}). It runs with the "
                   f"grader's rights: it can read source/, the gradebook and other students' "
                   f"work, and use the network. Only the resource limits apply.")
    for sub in ("connect", "scratch"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(run_dir / "connect", 0o700)
    settings = launcher_settings(run_dir, python, mode, shutil.which("bwrap"), limits,
                                 extra_readonly)
    (run_dir / "sandbox.json").write_text(json.dumps(settings, indent=1))
    spec_dir = run_dir / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-I", str(LAUNCHER), "launch",
                 str(run_dir / "sandbox.json"), "--",
                 python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 (sandboxed: {mode})",
        "language": "python",
        "interrupt_mode": "message",   # the kernel is in a session of its own: no signals
        "metadata": {"debugger": False, "backprop_sandbox": mode},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    share = str(run_dir / "share" / "jupyter")
    jupyter_path = os.pathsep.join([share] + [p for p in os.environ.get("JUPYTER_PATH", "")
                                              .split(os.pathsep) if p and p != share])
    plan = SandboxPlan(run_dir=run_dir, sandboxed=mode != "unsandboxed", mode=mode,
                       reason=reason, warning=warning, limits=limits,
                       env={"JUPYTER_PATH": jupyter_path})
    plan.nbgrader_args = [f"--Execute.kernel_name={KERNEL_NAME}",
                          "--KernelManager.transport=ipc",
                          f"--KernelManager.connection_file={plan.connection_file}"]
    return plan

