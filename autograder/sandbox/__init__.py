"""Run students' kernels in a bubblewrap sandbox, under resource limits, from nbgrader.

nbgrader and the gradebook stay outside. The kernel runs inside `bwrap` and sees:

- read-only: the system (/usr, /etc and the /bin, /lib links), the Python that runs the kernel
  (its prefix and the venv), the `course` package, and any extra folder the grader names;
- writable, size-capped tmpfs: the notebook's working folder (a fresh copy of the files handed
  in beside the notebook, notebooks excluded), /tmp, /dev/shm and a home folder with its own
  IPYTHONDIR and MPLCONFIGDIR; all of it disappears with the kernel;
- one private folder on disk for its connection file and the IPC sockets that nbgrader talks to
  it through (`KernelManager.transport = "ipc"`), write-protected once the sockets exist;
- nothing else: not the course root (source/, release/, the gradebook, submitted/, autograded/),
  not the exchange, not the TA's home or other students' files. No network (its own network
  namespace), its own PID, IPC and UTS namespaces, a new session, and it dies with the grader.

Limits (`Limits`): per process address space, CPU seconds and file size (setrlimit inside the
sandbox); processes + threads (RLIMIT_NPROC, counted per sandbox: as root the kernel runs as a
uid of its own, otherwise in a user namespace of its own); and, from a watchdog outside, the
kernel's wall-clock lifetime, the number of processes and the resident memory of all of them
together. A limit that stops the kernel is written to the run folder's events.jsonl, which
`KernelExit` reads back for the report.

Where bubblewrap is missing or cannot run (no user namespaces, macOS), the same kernel spec
runs the kernel unsandboxed, still under the limits and the watchdog; `SandboxPlan.warning`
says so, for the grader's output and report. BACKPROP_SANDBOX=off forces that (for tests, or a
TA who chooses it); BACKPROP_SANDBOX=require makes `prepare` raise instead.

One module per job, split where the process boundary is:

    limits.py    Limits, and the grader's --limit NAME=VALUE texts
    probe.py     can bubblewrap run here? (one trial run per interpreter; BACKPROP_SANDBOX)
    settings.py  what the launcher is told (sandbox.json)
    plan.py      the kernel spec in a run folder, and nbgrader's settings for it (prepare)
    exits.py     why each kernel stopped (KernelExit), which cells ran into a limit (CellLimit)
    launcher.py  the launcher process around each kernel: standard library only

Use: `plan = sandbox.prepare(run_dir)`, then see plan.py.
"""

from autograder.sandbox.exits import CellLimit, KernelExit, cell_limit, limit_errors
from autograder.sandbox.launcher import GiB, MiB, StopReason
from autograder.sandbox.limits import Limits, describe_limits, parse_limits
from autograder.sandbox.plan import KERNEL_NAME, SandboxPlan, prepare
from autograder.sandbox.probe import MODE_VARIABLE, sandbox_available

__all__ = ["KERNEL_NAME", "MODE_VARIABLE", "CellLimit", "GiB", "KernelExit", "Limits", "MiB",
           "SandboxPlan", "StopReason", "cell_limit", "describe_limits", "limit_errors",
           "parse_limits", "prepare", "sandbox_available"]
