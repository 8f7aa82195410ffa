"""The kernel launcher: the process between jupyter_client and a student's kernel.

A sandbox kernel spec (plan.py) starts `python -I launcher.py launch SETTINGS.json -- KERNEL...`.
The launcher prepares the kernel's private folder (its connection file, the sockets, a copy of the
files handed in beside the notebook), starts bubblewrap (or, unsandboxed, the kernel itself under
rlimits), watches the process tree from outside (wall-clock lifetime, processes, resident memory,
the connection folder) and, when the kernel stops, appends why to the run's events.jsonl
(exits.py reads it back). Inside the sandbox the same file runs again as `inner`: it sets the
rlimits, drops to the kernel's own uid (as root), copies the inputs into place and execs the
kernel.

It must import nothing outside the standard library: it runs with `python -I`, and inside the
sandbox only this one file is shown (tests/test_sandbox.py runs it with `python -I -S`).
It stops the kernel when the process that started it is gone, however that happened.
"""

import enum
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
from pathlib import Path

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


class StopReason(enum.StrEnum):
    """What stopped a kernel (KernelExit.reason; None: it exited by itself, by a shutdown or the
    student's os._exit / sys.exit). The values are what events.jsonl holds."""

    WALL_CLOCK = "wall-clock"                  # the watchdog: limits.wall_seconds
    PROCESSES = "processes"                    # the watchdog: limits.processes
    MEMORY = "memory"                          # the watchdog: limits.total_memory_bytes
    CONNECTION_FOLDER = "connection-folder"    # the watchdog: files written beside the sockets
    CPU_TIME = "cpu-time"                      # RLIMIT_CPU (SIGXCPU)
    FILE_SIZE = "file-size"                    # RLIMIT_FSIZE (SIGXFSZ)
    SIGNAL = "signal"                          # killed by another signal
    TERMINATED = "terminated"                  # by the grader: a timeout, a shutdown, or it is gone
    SETUP = "setup"                            # the sandbox could not start the kernel


def exit_message(returncode, reason, limits, detail=""):
    """(StopReason or None, message) for a kernel that stopped with `returncode` (bwrap's:
    128 + signal). reason: what the watchdog saw, if anything; limits: Limits as a dict."""
    if reason == StopReason.WALL_CLOCK:
        return reason, (f"stopped: the kernel ran longer than {limits['wall_seconds']:g} s in "
                        f"all (wall-clock limit)")
    if reason == StopReason.PROCESSES:
        return reason, (f"stopped: the notebook started more than {limits['processes']} "
                        f"processes (a fork bomb?){detail}")
    if reason == StopReason.MEMORY:
        return reason, (f"stopped: the notebook's processes used more than "
                        f"{limits['total_memory_bytes'] / GiB:g} GiB of memory together{detail}")
    if reason == StopReason.CONNECTION_FOLDER:
        return reason, f"stopped: the notebook wrote into its connection folder{detail}"
    if reason == StopReason.TERMINATED:
        return reason, "stopped by the grader (timeout or shutdown)"
    if reason == StopReason.SETUP:
        return reason, f"the sandbox could not start the kernel{detail}"
    if returncode is None:
        return StopReason.SIGNAL, "the kernel's launcher lost track of it"
    signum = returncode - 128 if returncode > 128 else (-returncode if returncode < 0 else 0)
    if signum == signal.SIGXCPU:
        return StopReason.CPU_TIME, (f"stopped: a process of the notebook used more than "
                                     f"{limits['cpu_seconds']} s of CPU time (CPU limit)")
    if signum == signal.SIGXFSZ:
        return StopReason.FILE_SIZE, (f"stopped: the notebook wrote a file larger than "
                                      f"{limits['file_bytes'] / MiB:g} MiB")
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return StopReason.SIGNAL, f"the kernel was killed by {name}"
    if returncode == 0:
        return None, "the kernel exited (status 0)"
    return None, f"the kernel exited with status {returncode}"


# --- the bwrap command line --------------------------------------------------------------------

def bwrap_argv(settings, cwd, runtime, runtime_target, input_dir, uid, command, env=None):
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
    mounts.add("--ro-bind", settings["launcher"], f"{INSIDE}/launcher.py")
    if input_dir is not None:
        mounts.add("--ro-bind", str(input_dir), f"{INSIDE}/input")
    mounts.add("--bind", str(runtime), runtime_target)
    mounts.tmpfs(cwd, limits["scratch_bytes"])
    argv += mounts.argv + ["--chdir", cwd, "--clearenv"]
    for name, value in (env or _inner_env(settings)).items():
        argv += ["--setenv", name, value]
    inner = {"uid": uid, "limits": limits, "inputs": f"{INSIDE}/input" if input_dir else None}
    argv += ["--", settings["python"], "-I", f"{INSIDE}/launcher.py", "inner", json.dumps(inner),
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


def pick_uid():
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
            return StopReason.PROCESSES, f" ({processes} processes)"
        resident = sum(r for _, r in tree)
        if resident > self.limits["total_memory_bytes"]:
            return StopReason.MEMORY, f" ({resident / GiB:.1f} GiB resident)"
        if self.runtime is not None:
            try:
                entries = list(os.scandir(self.runtime))
                size = sum(e.stat(follow_symlinks=False).st_size for e in entries
                           if e.is_file(follow_symlinks=False))
            except OSError:
                entries, size = [], 0
            if len(entries) > 32 or size > MiB:
                return StopReason.CONNECTION_FOLDER, f" ({len(entries)} files, {size} bytes)"
        return None


def launch(settings_path, command):
    """Start the kernel `command` (sandboxed, or not), watch it, record how it stopped."""
    # A stop (the parent's death signal among them) that comes before the kernel exists is
    # remembered, not fatal: the launcher must still record why it did not start one.
    stopping, started_kernel = [], []

    def stop(signum, _frame):
        stopping.append(signum)
        for proc in started_kernel:
            _kill(proc)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, stop)
    _die_with_parent(signal.SIGTERM)
    parent = _parent()
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

    if parent is None or stopping:
        reason, message = exit_message(None, StopReason.TERMINATED, limits)
        record({"event": "exit", "seconds": 0.0, "returncode": None, "reason": reason,
                "message": message})
        return 70
    try:
        if mode == "unsandboxed":
            env = dict(os.environ)
            argv = command
            runtime = None
            limited = limits
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
            uid = pick_uid() if mode == "bwrap-root" else None
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
            argv = bwrap_argv(settings, cwd=cwd, runtime=runtime, runtime_target=client_dir,
                              input_dir=inputs, uid=uid, command=command)
            limited = None      # bwrap's child sets them inside (inner)
        proc = subprocess.Popen(argv, env=env, preexec_fn=_dies_with(os.getpid(), limited))
        started_kernel.append(proc)
        if stopping:                    # stopped while the kernel was being started
            _kill(proc)
    except (_SetupError, OSError, ValueError, KeyError) as error:
        reason, message = exit_message(None, StopReason.SETUP, limits, f": {error}")
        record({"event": "exit", "seconds": 0.0, "returncode": None, "reason": reason,
                "message": message})
        print(f"sandbox launcher: {error}", file=sys.stderr)
        _cleanup(private)
        return 70

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
        if os.getppid() != parent:      # the grader is gone: nobody will read the notebook
            stopping.append("parent")
            _kill(proc)
            break
        if time.monotonic() > deadline:
            reason = StopReason.WALL_CLOCK
        elif reason is None:
            found = watchdog.verdict()
            if found:
                reason, detail = found
        if reason:
            _kill(proc)
            break
    returncode = proc.wait()
    if stopping and reason is None:
        reason = StopReason.TERMINATED
    reason, message = exit_message(returncode, reason, limits, detail)
    record({"event": "exit", "seconds": round(time.time() - started, 3),
            "returncode": returncode, "reason": reason, "message": message})
    _cleanup(private)
    return returncode


class _SetupError(Exception):
    pass


def _parent():
    """The pid of the process that started this launcher, or None when it is gone already.

    jupyter_client names itself in JPY_PARENT_PID. When that process died before the launcher
    got this far, PR_SET_PDEATHSIG will never fire: the launcher was handed to init (or a
    subreaper), and it must not start a kernel that nobody will stop."""
    ppid = os.getppid()
    named = os.environ.get("JPY_PARENT_PID", "")
    if named.isdigit() and int(named) != ppid and not _alive(int(named)):
        return None
    return ppid


def _alive(pid):
    """Whether `pid` runs: a zombie (exited, not yet reaped by its own parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:       # "pid (name) state ...": name may hold ")"
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _dies_with(launcher, limits=None):
    """The preexec_fn of the launcher's child (bwrap, or the unsandboxed kernel): die with the
    launcher (at once if it is gone already); `limits` (a dict of Limits) set as rlimits."""
    def preexec():
        _die_with_parent(signal.SIGKILL)
        if os.getppid() != launcher:
            os._exit(1)
        if limits is not None:
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
    for root, _, files in os.walk(source):
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
        print("usage: launcher.py launch SETTINGS.json -- KERNEL COMMAND...\n"
              "       launcher.py inner PARAMS_JSON -- KERNEL COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    action, argument, command = argv[0], argv[1], argv[split + 1:]
    if action == "launch":
        return launch(argument, command)
    if action == "inner":
        return inner(json.loads(argument), command)
    print(f"launcher.py: unknown action {action!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
