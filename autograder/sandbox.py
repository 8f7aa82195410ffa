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

Use (one run folder per process that runs kernels; kernels in it run one at a time):

    plan = sandbox.prepare(run_dir)           # kernel spec + settings in run_dir
    os.environ.update(plan.env)               # or env={**os.environ, **plan.env} for a subprocess
    plan.configure(config)                    # traitlets Config of nbgrader: kernel name, ipc
    # (or: nbgrader autograde ... *plan.nbgrader_args)
    mark = plan.event_mark()
    ... autograde one student ...
    for exit in plan.kernel_exits(since=mark): ...   # why each kernel stopped

This file is also the kernel launcher (`python sandbox.py launch|inner ...`): it must import
nothing outside the standard library.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

KERNEL_NAME = "backprop-sandbox"
MODE_VARIABLE = "BACKPROP_SANDBOX"        # auto (default) | off | require
HOME = "/home/student"                    # the kernel's home inside the sandbox
INSIDE = "/.sandbox"                      # where the launcher and the input copy appear inside
UID_BASE = 3_000_000_000                  # as root, each kernel runs as a uid of its own above this
UID_SPAN = 1_000_000
WATCH_INTERVAL = 0.2                      # seconds between two looks of the watchdog
PASS_ENV = ("NBGRADER_EXECUTION", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "PYTHONHASHSEED", "TZ", "MPLBACKEND", "SOURCE_DATE_EPOCH")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. Per process (setrlimit): memory_bytes (address space), cpu_seconds,
    file_bytes (largest file written), tasks (processes + threads, RLIMIT_NPROC, counted per
    sandbox). For the whole sandbox (watchdog): wall_seconds, processes, total_memory_bytes
    (resident). Sizes of the tmpfs: scratch_bytes (the working folder), tmp_bytes (/tmp, home,
    /dev/shm each)."""

    memory_bytes: int = 3 * GiB
    cpu_seconds: int = 600
    file_bytes: int = 64 * MiB
    tasks: int = 128
    wall_seconds: float = 1800.0
    processes: int = 24
    total_memory_bytes: int = 4 * GiB
    scratch_bytes: int = 256 * MiB
    tmp_bytes: int = 64 * MiB


LIMIT_UNITS = {"memory": "bytes", "cpu": "seconds", "file": "bytes", "tasks": "count",
               "wall": "seconds", "processes": "count", "total_memory": "bytes",
               "scratch": "bytes", "tmp": "bytes"}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": MiB, "mb": MiB,
               "mib": MiB, "g": GiB, "gb": GiB, "gib": GiB}


def _field(name):
    """The Limits field of a short name: memory -> memory_bytes, cpu -> cpu_seconds."""
    unit = LIMIT_UNITS[name]
    return f"{name}_{unit}" if unit != "count" else name


def parse_limits(items, base=None):
    """Limits from NAME=VALUE texts (the grader's --limit), on top of `base` (default Limits()).

    Names: memory, file, scratch, tmp, total_memory (sizes: 512MiB, 2GiB, 1g); cpu, wall
    (seconds); tasks, processes (counts). Raises ValueError saying what is wrong."""
    values = asdict(base or Limits())
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or name not in LIMIT_UNITS:
            raise ValueError(f"--limit {item!r}: expected NAME=VALUE with NAME one of "
                             f"{', '.join(LIMIT_UNITS)}")
        unit, text = LIMIT_UNITS[name], text.strip().lower()
        try:
            if unit == "bytes":
                number = text.rstrip("kmgib")
                value = int(float(number) * _SIZE_UNITS[text[len(number):]])
            else:
                value = float(text.removesuffix("s")) if unit == "seconds" else int(text)
        except (KeyError, ValueError):
            kind, example = {"bytes": ("size", "2GiB"), "seconds": ("number of seconds", "600"),
                             "count": ("whole number", "24")}[unit]
            raise ValueError(f"--limit {item!r}: {text!r} is not a {kind} "
                             f"(e.g. {name}={example})") from None
        if value <= 0:
            raise ValueError(f"--limit {item!r}: must be positive")
        values[_field(name)] = int(value) if unit == "seconds" and name == "cpu" else value
    return Limits(**values)


def describe_limits(limits):
    """The limits in words, for the grader's output: "memory=3GiB cpu=600s ..."."""
    parts = []
    for name, unit in LIMIT_UNITS.items():
        value = getattr(limits, _field(name))
        if unit == "bytes":
            parts.append(f"{name}={value / GiB:g}GiB" if value >= GiB
                         else f"{name}={value / MiB:g}MiB")
        else:
            parts.append(f"{name}={value:g}{'s' if unit == 'seconds' else ''}")
    return " ".join(parts)


# --- availability ------------------------------------------------------------------------------

_PROBES = {}


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
    python = str(python or sys.executable)
    if requested_mode() == "off":
        return False, f"{MODE_VARIABLE}=off: the sandbox was turned off"
    if refresh or python not in _PROBES:
        _PROBES[python] = _probe(python)
    ok, reason, _ = _PROBES[python]
    return ok, reason


def _probe(python):
    """(ok, reason, mode) of one trial run of the sandbox."""
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap needs Linux (this is {sys.platform})", None
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bwrap is not installed (Debian/Ubuntu package: bubblewrap)", None
    mode = "bwrap-root" if os.geteuid() == 0 else "bwrap-user"
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        tmp = Path(tmp)
        settings = _settings(tmp, python, mode, bwrap, Limits(), extra_readonly=())
        (tmp / "cwd").mkdir()
        runtime = tmp / "runtime"
        runtime.mkdir()
        uid = _pick_uid() if mode == "bwrap-root" else None
        if uid is not None:
            os.chown(runtime, uid, uid)
        command = [python, "-c", "import sys; print('sandbox-ok', sys.version_info[0])"]
        argv = _bwrap_argv(settings, cwd=str(tmp / "cwd"), runtime=runtime,
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


# --- the plan: a kernel spec and its settings in a run folder ----------------------------------

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
    def kernel_name(self):
        return KERNEL_NAME

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

    def kernel_manager_class(self, base=None):
        """A KernelManager class (default base: jupyter_client's AsyncKernelManager) that
        starts this plan's kernel over IPC, without JUPYTER_PATH: for a preprocessor
        (`kwargs.setdefault("kernel_manager_class", plan.kernel_manager_class())` in an
        Execute subclass's __init__) or for nbclient used directly."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager

        kernels = str(self.run_dir / "share" / "jupyter" / "kernels")
        connection_file = self.connection_file

        class SandboxKernelManager(base or AsyncKernelManager):
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
    limits = limits or Limits()
    python = str(python or sys.executable)
    wanted = requested_mode()
    ok, reason = sandbox_available(python)
    if ok:
        mode = _PROBES[python][2]
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
    settings = _settings(run_dir, python, mode, shutil.which("bwrap"), limits, extra_readonly)
    (run_dir / "sandbox.json").write_text(json.dumps(settings, indent=1))
    spec_dir = run_dir / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-I", str(Path(__file__).resolve()), "launch",
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


def sandbox_environment(run_dir, **kwargs):
    """(environment variables, extra nbgrader arguments) for `nbgrader autograde` in a
    subprocess, with kernels sandboxed (see prepare; the plan's warning is printed to stderr
    when they are not)."""
    plan = prepare(run_dir, **kwargs)
    if plan.warning:
        print(plan.warning, file=sys.stderr)
    return dict(plan.env), list(plan.nbgrader_args)


def _settings(run_dir, python, mode, bwrap, limits, extra_readonly):
    """The launcher's settings (JSON): where things are, what to show, the limits."""
    readonly = []
    for path in [sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix,
                 _python_prefix(python), _course_package(), *extra_readonly]:
        if path and os.path.isdir(path):
            path = os.path.realpath(path)
            if path not in readonly and not _is_system(path):
                readonly.append(path)
    return {
        "mode": mode,
        "bwrap": bwrap,
        "python": python,
        "readonly": readonly,
        "launcher": str(Path(__file__).resolve()),
        "scratch": str(Path(run_dir) / "scratch"),
        "events": str(Path(run_dir) / "events.jsonl"),
        "mpl_cache": _matplotlib_font_cache(),
        "limits": asdict(limits),
    }


def _is_system(path):
    return any(path == p or path.startswith(p + "/") for p in ("/usr", "/etc"))


def _python_prefix(python):
    """The venv of `python` (the folder above bin/), when it is one."""
    folder = Path(python).absolute().parent.parent
    return str(folder) if (folder / "pyvenv.cfg").exists() else None


def _course_package():
    """The folder of the `course` package the kernel imports (not imported here)."""
    import importlib.util

    spec = importlib.util.find_spec("course")
    if spec is None or not spec.origin:
        return None
    return str(Path(spec.origin).parent)


def _matplotlib_font_cache():
    """matplotlib's font list cache, copied into the kernel's config folder so that each
    kernel does not rebuild it (None when there is none)."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    name = f"fontlist-v{font_manager.FontManager.__version__}.json"
    path = Path(matplotlib.get_cachedir()) / name
    return str(path) if path.is_file() else None


# --- what the launcher reports -----------------------------------------------------------------

@dataclass(frozen=True)
class KernelExit:
    """How one kernel stopped. reason: None when it exited by itself (shutdown, or the student's
    os._exit / sys.exit), else what stopped it: "wall-clock", "processes", "memory",
    "connection-folder", "cpu-time", "signal", "terminated", "setup". message: one sentence for
    the report."""

    cwd: str
    started: float
    seconds: float
    returncode: int | None
    reason: str | None
    message: str
    mode: str

    @property
    def stopped_by_limit(self):
        return self.reason in ("wall-clock", "processes", "memory", "connection-folder",
                               "cpu-time", "file-size")


def kernel_exits(events_file, since=0):
    """The KernelExit of every kernel recorded in `events_file` after byte `since`."""
    try:
        with open(events_file, "rb") as f:
            f.seek(since)
            lines = f.read().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    exits = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "exit":
            exits.append(KernelExit(event.get("cwd", ""), event.get("started", 0.0),
                                    event.get("seconds", 0.0), event.get("returncode"),
                                    event.get("reason"), event.get("message", ""),
                                    event.get("mode", "")))
    return exits


LIMIT_ERRORS = {
    "MemoryError": "the memory limit was reached (MemoryError)",
    "CellTimeoutError": "a cell ran past the time limit and was interrupted",
    "KeyboardInterrupt": "a cell ran past the time limit and was interrupted",
    "[Errno 11]": "the process limit was reached (a fork or a thread failed)",
    "can't start new thread": "the process limit was reached (a thread failed)",
    "[Errno 28]": "the scratch space is full (No space left on device)",
    "[Errno 27]": "a file reached the size limit (File too large)",
}


def limit_errors(nb):
    """[(cell, what)] for each cell of an executed notebook whose error shows a limit of the
    sandbox (memory, time, processes, disk), for the report's status line. cell: its grade_id,
    or "cell N"."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            if output.get("output_type") != "error":
                continue
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            for key, what in LIMIT_ERRORS.items():
                if key in text:
                    name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
                    found.append((name, what))
                    break
    return found


def _exit_message(returncode, reason, limits, detail=""):
    """(reason, message) for a kernel that stopped with `returncode` (bwrap's: 128 + signal)."""
    if reason == "wall-clock":
        return reason, (f"stopped: the kernel ran longer than {limits['wall_seconds']:g} s in "
                        f"all (wall-clock limit)")
    if reason == "processes":
        return reason, (f"stopped: the notebook started more than {limits['processes']} "
                        f"processes (a fork bomb?){detail}")
    if reason == "memory":
        return reason, (f"stopped: the notebook's processes used more than "
                        f"{limits['total_memory_bytes'] / GiB:g} GiB of memory together{detail}")
    if reason == "connection-folder":
        return reason, f"stopped: the notebook wrote into its connection folder{detail}"
    if reason == "terminated":
        return reason, "stopped by the grader (timeout or shutdown)"
    if reason == "setup":
        return reason, f"the sandbox could not start the kernel{detail}"
    if returncode is None:
        return "signal", "the kernel's launcher lost track of it"
    signum = returncode - 128 if returncode > 128 else (-returncode if returncode < 0 else 0)
    if signum == signal.SIGXCPU:
        return "cpu-time", (f"stopped: a process of the notebook used more than "
                            f"{limits['cpu_seconds']} s of CPU time (CPU limit)")
    if signum == signal.SIGXFSZ:
        return "file-size", (f"stopped: the notebook wrote a file larger than "
                             f"{limits['file_bytes'] / MiB:g} MiB")
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return "signal", f"the kernel was killed by {name}"
    if returncode == 0:
        return None, "the kernel exited (status 0)"
    return None, f"the kernel exited with status {returncode}"


# --- the bwrap command line --------------------------------------------------------------------

def _bwrap_argv(settings, cwd, runtime, runtime_target, input_dir, uid, command, env=None):
    """The bwrap command that runs `command` (via the inner launcher) in the sandbox.

    cwd: the kernel's working folder (a tmpfs at that path inside); runtime: the private folder
    on disk for the connection file and sockets, shown at runtime_target; input_dir: files to
    copy into cwd (or None); uid: the uid to switch to, as root (or None)."""
    limits = settings["limits"]
    argv = [settings["bwrap"], "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if uid is None:
        argv += ["--unshare-user"]
    else:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    mounts = _Mounts()
    mounts.add("--ro-bind", "/usr", "/usr")
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            mounts.symlink(os.readlink(link), link)
        elif os.path.isdir(link):
            mounts.add("--ro-bind", link, link)
    mounts.add("--ro-bind", "/etc", "/etc")
    mounts.special("--proc", "/proc")
    mounts.special("--dev", "/dev")
    mounts.tmpfs("/dev/shm", limits["tmp_bytes"])
    mounts.tmpfs("/tmp", limits["tmp_bytes"])
    mounts.tmpfs(HOME, limits["tmp_bytes"])
    for path in settings["readonly"]:
        mounts.add("--ro-bind", path, path)
    mounts.add("--ro-bind", settings["launcher"], f"{INSIDE}/sandbox.py")
    if input_dir is not None:
        mounts.add("--ro-bind", str(input_dir), f"{INSIDE}/input")
    mounts.add("--bind", str(runtime), runtime_target)
    mounts.tmpfs(cwd, limits["scratch_bytes"])
    argv += mounts.argv + ["--chdir", cwd, "--clearenv"]
    for name, value in (env or _inner_env(settings)).items():
        argv += ["--setenv", name, value]
    inner = {"uid": uid, "limits": limits, "inputs": f"{INSIDE}/input" if input_dir else None}
    argv += ["--", settings["python"], "-I", f"{INSIDE}/sandbox.py", "inner", json.dumps(inner),
             "--", *command]
    return argv


class _Mounts:
    """bwrap mount options in order, creating each missing parent folder readable (bwrap would
    make it 0700, which the kernel's uid could not cross)."""

    def __init__(self):
        self.argv = []
        self.bound = []       # targets of binds: what is below them exists already
        self.made = {"/"}

    def _parents(self, target):
        parts = Path(target).parts
        for i in range(2, len(parts)):
            folder = str(Path(*parts[:i]))
            if folder in self.made or any(folder == b or folder.startswith(b + "/")
                                          for b in self.bound):
                continue
            self.argv += ["--perms", "0755", "--dir", folder]
            self.made.add(folder)

    def add(self, option, source, target):
        self._parents(target)
        self.argv += [option, source, target]
        self.bound.append(target)
        self.made.add(target)

    def symlink(self, source, target):
        self.argv += ["--symlink", source, target]
        self.made.add(target)

    def special(self, option, target):
        self.argv += [option, target]
        self.bound.append(target)
        self.made.add(target)

    def tmpfs(self, target, size):
        self._parents(target)
        self.argv += ["--perms", "1777", "--size", str(int(size)), "--tmpfs", target]
        self.made.add(target)


def _inner_env(settings):
    """The kernel's whole environment: nothing of the grader's but a few harmless settings
    (no JPY_PARENT_PID: in its own PID namespace the kernel would think its parent died)."""
    bindir = str(Path(settings["python"]).parent)
    env = {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME, "USER": "student", "LOGNAME": "student",
        "LANG": "C.UTF-8", "TMPDIR": "/tmp",
        "IPYTHONDIR": f"{HOME}/.ipython",
        "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
        "XDG_CACHE_HOME": f"{HOME}/.cache", "XDG_CONFIG_HOME": f"{HOME}/.config",
        "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter",
        "JUPYTER_DATA_DIR": f"{HOME}/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": f"{HOME}/.local/share/jupyter/runtime",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        # The kernel's parent is the sandbox's pid 1: "1" tells ipykernel not to poll it
        # (a real pid from outside would make it exit at once, as if its parent had died).
        "JPY_PARENT_PID": "1",
    }
    for name in PASS_ENV:
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _pick_uid():
    return UID_BASE + random.SystemRandom().randrange(UID_SPAN)


# --- the launcher (outside the sandbox) --------------------------------------------------------

def _die_with_parent(signum):
    """Linux: deliver `signum` to this process when its parent dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signum))   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _connection_file(command):
    """The path after -f in the kernel command."""
    for i, arg in enumerate(command[:-1]):
        if arg == "-f":
            return command[i + 1]
    raise SystemExit("sandbox launcher: the kernel command has no -f CONNECTION_FILE")


def _copy_inputs(source, dest, limit):
    """Copy the files handed in beside the notebook (not notebooks, not hidden files, no links)
    into dest, up to `limit` bytes in all."""
    total = 0
    for root, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = os.path.relpath(root, source)
        for name in files:
            path = os.path.join(root, name)
            if name.startswith(".") or name.endswith(".ipynb") or os.path.islink(path):
                continue
            size = os.path.getsize(path)
            if total + size > limit:
                continue
            os.makedirs(os.path.join(dest, rel), exist_ok=True)
            shutil.copyfile(path, os.path.join(dest, rel, name))
            total += size


class _Watchdog:
    """The kernel's process tree seen from outside: counts, memory, the connection folder."""

    def __init__(self, pid, limits, runtime, overhead):
        self.pid, self.limits, self.runtime = pid, limits, runtime
        self.overhead = overhead     # processes that are not the notebook's (bwrap, the kernel)
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.proc = os.path.isdir("/proc/self")

    def tree(self):
        """[(pid, resident bytes)] of the launcher's child and all its descendants."""
        if not self.proc:
            return []
        children, rss = {}, {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read().decode(errors="replace")
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            pid, ppid = int(entry.name), int(fields[1])
            children.setdefault(ppid, []).append(pid)
            rss[pid] = int(fields[21]) * self.page
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append((pid, rss.get(pid, 0)))
            todo.extend(children.get(pid, ()))
        return found

    def verdict(self):
        """(reason, detail) when a limit is broken, else None."""
        tree = self.tree()
        processes = len(tree) - self.overhead
        if processes > self.limits["processes"]:
            return "processes", f" ({processes} processes)"
        resident = sum(r for _, r in tree)
        if resident > self.limits["total_memory_bytes"]:
            return "memory", f" ({resident / GiB:.1f} GiB resident)"
        if self.runtime is not None:
            try:
                entries = list(os.scandir(self.runtime))
                size = sum(e.stat(follow_symlinks=False).st_size for e in entries
                           if e.is_file(follow_symlinks=False))
            except OSError:
                entries, size = [], 0
            if len(entries) > 32 or size > MiB:
                return "connection-folder", f" ({len(entries)} files, {size} bytes)"
        return None


def launch(settings_path, command):
    """Start the kernel `command` (sandboxed, or not), watch it, record how it stopped."""
    _die_with_parent(signal.SIGTERM)
    settings = json.loads(Path(settings_path).read_text())
    limits = settings["limits"]
    mode = settings["mode"]
    cwd = os.getcwd()
    started = time.time()
    private = None
    reason, detail = None, ""

    def record(event):
        event.update(cwd=cwd, started=started, mode=mode)
        try:
            with open(settings["events"], "a") as f:
                f.write(json.dumps(event) + "\n")
        except OSError:
            pass

    try:
        if mode == "unsandboxed":
            env = dict(os.environ)
            argv = command
            runtime = None
            preexec = _unsandboxed_preexec(limits)
        else:
            connection = os.path.realpath(_connection_file(command))
            info = json.loads(Path(connection).read_text())
            if info.get("transport") != "ipc":
                raise _SetupError("the sandboxed kernel has no network: set "
                                  "KernelManager.transport = 'ipc'")
            client_dir = os.path.dirname(connection)
            ip = info["ip"]
            if not os.path.isabs(ip) or os.path.dirname(os.path.realpath(ip)) != client_dir:
                raise _SetupError(f"the IPC sockets ({ip}) must be beside the connection file "
                                  f"({connection}): leave KernelManager.ip unset")
            os.makedirs(settings["scratch"], exist_ok=True)
            private = tempfile.mkdtemp(prefix="kernel-", dir=settings["scratch"])
            runtime = os.path.join(private, "runtime")
            inputs = os.path.join(private, "input")
            os.mkdir(runtime, 0o700)
            os.makedirs(os.path.join(inputs, "files"))
            os.makedirs(os.path.join(inputs, "mpl"))
            shutil.copyfile(connection, os.path.join(runtime, os.path.basename(connection)))
            # The client connects to <ip>-<port> beside its connection file: links to the
            # sockets the kernel creates in its private folder (which it sees at client_dir).
            name = os.path.basename(ip)
            for key in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
                link = f"{ip}-{info[key]}"
                if os.path.lexists(link):
                    os.remove(link)
                os.symlink(os.path.join(runtime, f"{name}-{info[key]}"), link)
            _copy_inputs(cwd, os.path.join(inputs, "files"), limits["scratch_bytes"] // 2)
            cache = settings.get("mpl_cache")
            if cache and os.path.isfile(cache):
                shutil.copyfile(cache, os.path.join(inputs, "mpl", os.path.basename(cache)))
            uid = _pick_uid() if mode == "bwrap-root" else None
            # Everything readable, nothing writable for the kernel but its runtime folder (where
            # it creates its sockets); the copied connection file stays the launcher's.
            for root, dirs, files in os.walk(inputs):
                for name in dirs:
                    os.chmod(os.path.join(root, name), 0o755)
                for name in files:
                    os.chmod(os.path.join(root, name), 0o644)
            os.chmod(inputs, 0o755)
            os.chmod(os.path.join(runtime, os.path.basename(connection)), 0o644)
            if uid is not None:
                os.chown(runtime, uid, uid)
            env = None
            argv = _bwrap_argv(settings, cwd=cwd, runtime=runtime, runtime_target=client_dir,
                               input_dir=inputs, uid=uid, command=command)
            preexec = None
        proc = subprocess.Popen(argv, env=env, preexec_fn=preexec or _child_preexec)
    except (_SetupError, OSError, ValueError, KeyError) as error:
        reason, message = _exit_message(None, "setup", limits, f": {error}")
        record({"event": "exit", "seconds": 0.0, "returncode": None, "reason": reason,
                "message": message})
        print(f"sandbox launcher: {error}", file=sys.stderr)
        _cleanup(private)
        return 70

    stopping = []

    def stop(signum, frame):
        stopping.append(signum)
        _kill(proc)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, stop)
    record({"event": "start", "pid": proc.pid})
    # bwrap, its reaper (pid 1 inside) and the kernel are not processes the notebook started
    watchdog = _Watchdog(proc.pid, limits, runtime, overhead=1 if runtime is None else 3)
    sockets = [f"{os.path.basename(info['ip'])}-{info[k]}" for k in
               ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")] \
        if runtime else []
    locked = not sockets
    deadline = time.monotonic() + limits["wall_seconds"]
    while proc.poll() is None:
        try:
            proc.wait(WATCH_INTERVAL)
            break
        except subprocess.TimeoutExpired:
            pass
        if not locked and all(os.path.exists(os.path.join(runtime, s)) for s in sockets):
            _lock(private, runtime)
            locked = True
        if time.monotonic() > deadline:
            reason = "wall-clock"
        elif reason is None:
            found = watchdog.verdict()
            if found:
                reason, detail = found
        if reason:
            _kill(proc)
            break
    returncode = proc.wait()
    if stopping and reason is None:
        reason = "terminated"
    reason, message = _exit_message(returncode, reason, limits, detail)
    record({"event": "exit", "seconds": round(time.time() - started, 3),
            "returncode": returncode, "reason": reason, "message": message})
    _cleanup(private)
    return returncode


class _SetupError(Exception):
    pass


def _child_preexec():
    """In bwrap's process: die when the launcher dies."""
    _die_with_parent(signal.SIGKILL)


def _unsandboxed_preexec(limits):
    def preexec():
        _die_with_parent(signal.SIGKILL)
        _set_limits(limits, tasks=False)
    return preexec


def _lock(private, runtime):
    """Once the kernel's sockets exist, take away its right to write into the folder."""
    try:
        if os.geteuid() == 0:
            os.chown(private, 0, 0)
            os.chown(runtime, 0, 0)
            os.chmod(runtime, 0o711)
        else:
            os.chmod(runtime, 0o500)
    except OSError:
        pass


def _kill(proc):
    try:
        proc.kill()
    except OSError:
        pass


def _cleanup(private):
    if private and os.path.isdir(private):
        def retry(function, path, _):
            try:
                os.chmod(os.path.dirname(path), 0o700)
                function(path)
            except OSError:
                pass
        shutil.rmtree(private, onerror=retry)


def _set_limits(limits, tasks=True):
    """setrlimit for this process (inherited by what it starts). tasks=False leaves
    RLIMIT_NPROC alone: outside a sandbox it would count all of the user's processes."""
    chosen = [(resource.RLIMIT_AS, limits["memory_bytes"]),
              (resource.RLIMIT_CPU, limits["cpu_seconds"]),
              (resource.RLIMIT_FSIZE, limits["file_bytes"]),
              (resource.RLIMIT_CORE, 0)]
    if tasks:
        chosen.append((resource.RLIMIT_NPROC, limits["tasks"]))
    for name, value in chosen:
        hard = value + 5 if name == resource.RLIMIT_CPU else value
        try:
            resource.setrlimit(name, (value, hard))
        except (ValueError, OSError):
            pass   # a hard limit already lower than ours stays


# --- the inner launcher (inside the sandbox) ---------------------------------------------------

def inner(params, command):
    """Inside the sandbox: limits, then (as root) become the kernel's own uid, copy the inputs
    (the notebook folder's files, matplotlib's font cache) into place, and become the kernel."""
    _set_limits(params["limits"])
    uid = params.get("uid")
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    inputs = params.get("inputs")
    if inputs:
        for sub, dest in (("files", os.getcwd()), ("mpl", os.environ.get("MPLCONFIGDIR"))):
            source = os.path.join(inputs, sub)
            if dest and os.path.isdir(source):
                _copy_tree(source, dest)
    os.execv(command[0], command)


def _copy_tree(source, dest):
    """Copy files (contents only: no modes, no owners, no links) from source into dest."""
    for root, dirs, files in os.walk(source):
        target = os.path.join(dest, os.path.relpath(root, source))
        try:
            os.makedirs(target, exist_ok=True)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    shutil.copyfile(path, os.path.join(target, name))
        except OSError as error:
            print(f"sandbox: could not copy the notebook's files: {error}", file=sys.stderr)


def main(argv):
    if len(argv) < 3 or "--" not in argv:
        print(__doc__.split("\n")[0], file=sys.stderr)
        print("usage: sandbox.py launch SETTINGS.json -- KERNEL COMMAND...\n"
              "       sandbox.py inner PARAMS_JSON -- KERNEL COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    action, argument, command = argv[0], argv[1], argv[split + 1:]
    if action == "launch":
        return launch(argument, command)
    if action == "inner":
        return inner(json.loads(argument), command)
    print(f"sandbox.py: unknown action {action!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
