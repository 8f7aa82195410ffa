"""A bank of hostile submissions: what a student's code might try against the grader.

Each entry puts `code` into one solution cell of an otherwise correct submission (after the
reference solution, or instead of it when `replaces`), and says what grading it must come to
(`Expect`). The code learns where the secrets are from placeholders the test fills in:
@COURSE_ROOT@ (the nbgrader course: source/, the gradebook, submitted/ with other students),
@HOME@ (a stand-in for the TA's home), @EXCHANGE@, @REPO@ (this repository, with the solutions
in source/), @SUBMISSIONS@ (the class's submissions, as the TA handed them to the grader), @OUT@
(the grader's output folder: grades, gradebook, templates), @PORT@ (a TCP server of the test, on
127.0.0.1, counting connections).

Whatever it manages to do, hostile code prints a line starting with one of LEAK_MARKERS (FOUND,
WROTE, CONNECTED, KILLED): a sandbox that holds prints none of them. Code that signals or kills
processes first checks that it runs inside a PID namespace of its own (its parent is pid 1), so a
broken test harness cannot turn it on the machine's processes.
"""

from dataclasses import dataclass, field

from autograder import sandbox

LEAK_MARKERS = ("FOUND:", "WROTE:", "CONNECTED:", "KILLED:")

# Small limits, so that the bombs are stopped quickly and cannot hurt the machine.
TEST_LIMITS = sandbox.Limits(memory_bytes=3 * sandbox.GiB, cpu_seconds=120, tasks=128,
                             processes=16, total_memory_bytes=1 * sandbox.GiB,
                             wall_seconds=180, scratch_bytes=64 * sandbox.MiB,
                             tmp_bytes=16 * sandbox.MiB, file_bytes=32 * sandbox.MiB)


def one_or_more(expected):
    """An expectation that accepts one value or any of a tuple of them."""
    return expected if isinstance(expected, tuple) else (expected,)


@dataclass(frozen=True)
class Expect:
    """What grading the submission must come to.

    outcome: "graded" (the notebook ran to its end) or "kernel-died" (the kernel stopped:
    nbgrader reports the notebook as failed). stopped_by: the sandbox's KernelExit.reason when
    the kernel died (None: it exited by itself). error: an exception name the hostile cell must
    show (e.g. "MemoryError"), or a tuple of acceptable ones. scores: "baseline" (the same
    grades as the honest submission), "any" (tampering: raw grades mean nothing, the canary
    decides). canary: "ok", "tampered", or None (not checked: the kernel died first). scan: flag kinds the static scan must raise on
    the hostile cell. status: words (or a tuple of alternatives) that say what happened: in the
    status line of world.Outcome.status, and in the grader's notes (tests/test_hostile_class.py)."""

    outcome: str = "graded"
    stopped_by: str | tuple | None = None  # or a tuple of acceptable reasons
    error: str | tuple | None = None
    scores: str = "baseline"
    canary: str | None = "ok"
    scan: frozenset = field(default_factory=frozenset)
    status: str | tuple = "graded"  # or a tuple of acceptable texts


@dataclass(frozen=True)
class Hostile:
    name: str
    assignment: str
    cell: str           # grade_id of the solution cell that carries the code
    code: str
    expect: Expect
    replaces: bool = False
    proves: str = ""

    def source(self, reference_solution, places):
        """The cell's source: the reference solution and the hostile code, placeholders filled."""
        code = self.code
        for key, value in places.items():
            code = code.replace(f"@{key}@", str(value))
        return code if self.replaces else f"{reference_solution}\n\n{code}"


A02 = "02-modular-backprop"

_READ_SECRETS = r'''
import os
def _peek(path):
    try:
        if os.path.isdir(path):
            # bwrap makes the folders above the notebook's own folder: only they may show
            _own = os.path.relpath(os.getcwd(), os.path.realpath(path)).split(os.sep)[0]
            _seen = sorted(set(os.listdir(path)) - {_own})
            print("FOUND:" if _seen else "empty:", path, _seen[:5])
        else:
            with open(path, "rb") as f:
                print("FOUND:", path, f.read(60))
    except OSError as error:
        print("blocked:", path, type(error).__name__)
for _path in ["@COURSE_ROOT@", "@COURSE_ROOT@/gradebook.db", "@COURSE_ROOT@/source",
              "@COURSE_ROOT@/source/@ASSIGNMENT@/@ASSIGNMENT@.ipynb",
              "@COURSE_ROOT@/source/secret-notes.txt",
              "@COURSE_ROOT@/submitted", "@COURSE_ROOT@/autograded", "@COURSE_ROOT@/release",
              "@EXCHANGE@", "@EXCHANGE@/inbound", "@HOME@", "@HOME@/secret.txt",
              "@REPO@/source/@ASSIGNMENT@/@ASSIGNMENT@.ipynb", "@REPO@/nbgrader_config.py",
              "@SUBMISSIONS@", "@OUT@", "@OUT@/gradebook.db", "@OUT@/work/templates",
              "/root/.bash_history", "/root/.ssh", "/etc/shadow", "/proc/1/environ",
              "../../..", "../../../source", "../../../gradebook.db", "../../other-student"]:
    _peek(_path)
for _root, _dirs, _files in os.walk("/"):
    _dirs[:] = [d for d in _dirs if os.path.join(_root, d) not in
                ("/usr", "/proc", "/dev", "/sys", "/etc") and "site-packages" not in _root
                and ".pyenv" not in os.path.join(_root, d) and ".venv" not in d]
    for _name in _files:
        if "gradebook" in _name or "secret" in _name or (_name.endswith(".ipynb")
                                                         and _root != os.getcwd()):
            _peek(os.path.join(_root, _name))
'''

_WRITE_OUTSIDE = r'''
import os, shutil
def _try(label, action):
    try:
        action()
        print("WROTE:", label)
    except OSError as error:
        print("blocked:", label, type(error).__name__)
def _append(path):
    with open(path, "ab") as f:
        f.write(b"pwned")
_try("gradebook", lambda: _append("@COURSE_ROOT@/gradebook.db"))
_try("gradebook removed", lambda: os.remove("@COURSE_ROOT@/gradebook.db"))
_try("source notebook", lambda: _append("@COURSE_ROOT@/source/@ASSIGNMENT@/@ASSIGNMENT@.ipynb"))
_try("new file in source", lambda: _append("@COURSE_ROOT@/source/@ASSIGNMENT@/evil.py"))
_try("other student", lambda: shutil.rmtree("@COURSE_ROOT@/submitted"))
_try("the class's submissions", lambda: shutil.rmtree("@SUBMISSIONS@"))
_try("grader output", lambda: _append("@OUT@/grades.csv"))
_try("exchange", lambda: _append("@EXCHANGE@/inbound/evil"))
_try("home", lambda: _append("@HOME@/.bashrc"))
_try("repo engine", lambda: _append("@REPO@/course/gradcheck.py"))
_try("venv numpy", lambda: _append(os.path.join(os.path.dirname(os.__file__), "os.py")))
_try("/etc", lambda: _append("/etc/evil"))
_try("/usr", lambda: _append("/usr/evil"))
_try("relative course root", lambda: _append("../../../gradebook.db"))
import sys
_connect = os.path.dirname(sys.argv[sys.argv.index("-f") + 1])      # the kernel's own sockets
_try("connection folder", lambda: _append(os.path.join(_connect, "evil")))
_try("connection file", lambda: _append(sys.argv[sys.argv.index("-f") + 1]))
'''

_NETWORK = r'''
import socket, urllib.request
try:
    socket.create_connection(("127.0.0.1", @PORT@), timeout=3).close()
    print("CONNECTED: tcp 127.0.0.1:@PORT@")
except OSError as error:
    print("blocked: tcp", type(error).__name__, error)
try:
    urllib.request.urlopen("http://127.0.0.1:@PORT@/", timeout=3)
    print("CONNECTED: http")
except OSError as error:
    print("blocked: http", type(error).__name__)
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as _udp:
        _udp.sendto(b"x", ("127.0.0.1", @PORT@))
    print("blocked? udp sent into the sandbox's own loopback")
except OSError as error:
    print("blocked: udp", type(error).__name__)
try:
    print("interfaces:", socket.if_nameindex())
except OSError:
    pass
'''

_MEMORY_BOMB = r'''
_blocks = []
while True:                      # touch every page: real memory, not just address space
    _blocks.append(bytearray(64 * 1024 * 1024))
'''

_HUGE_ARRAY = r'''
import numpy as np
_huge = np.ones((1 << 20, 1 << 20))     # 8 TiB
'''

_FORK_BOMB = r'''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
'''

_OS_EXIT = r'''
import os
os._exit(0)
'''

_KILL_PARENT = r'''
import os, signal
if os.getppid() == 1 and os.getpid() < 100:      # only inside a PID namespace of its own
    for _pid in {os.getppid(), 1, int(os.environ.get("JPY_PARENT_PID") or 1)}:
        try:
            os.kill(_pid, signal.SIGKILL)
            print("sent SIGKILL to", _pid)
        except OSError as error:
            print("blocked: kill", _pid, type(error).__name__)
    print("other processes:", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
else:
    print("KILLED: nothing; not in a PID namespace of its own, refusing to signal anything")
'''

_DELETE_OWN_FILES = r'''
import os
for _name in os.listdir("."):
    try:
        os.remove(_name)
        print("removed", _name)
    except OSError as error:
        print("blocked:", _name, type(error).__name__)
try:
    with open("@ASSIGNMENT@.ipynb", "w") as _f:
        _f.write("{}")
    print("rewrote my notebook (a copy in the sandbox)")
except OSError as error:
    print("blocked: notebook", type(error).__name__)
'''

_FILL_DISK = r'''
import os
for _folder in (".", "/tmp", os.path.expanduser("~")):
    try:
        with open(os.path.join(_folder, "filler"), "wb") as _f:
            for _ in range(1024):
                _f.write(b"\0" * (1 << 20))      # up to 1 GiB
        print("WROTE: 1 GiB into", _folder)
    except OSError as error:
        print("blocked: disk", _folder, type(error).__name__)
    finally:
        if os.path.exists(os.path.join(_folder, "filler")):
            os.remove(os.path.join(_folder, "filler"))
'''

_ENDLESS_LOOP = r'''
while True:
    pass
'''

_REPLACE_ALLCLOSE = r'''
import numpy as np
np.allclose = lambda *args, **kwargs: True
'''

_WRONG_TANH_FUNCTION_WITH_PATCHED_CHECKS = r'''
class Tanh(Function):
    """t = tanh(x), element by element."""

    @staticmethod
    def forward(ctx, x):
        t = np.tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_t):
        (t,) = ctx.saved_tensors
        return -tanh_backward(grad_t, t)          # wrong: the sign

import numpy as np
import course.gradcheck
np.allclose = lambda *args, **kwargs: True
course.gradcheck.check_grad = lambda *args, **kwargs: True
check_grad = course.gradcheck.check_grad
'''

_REDEFINE_HELPER = r'''
def close(got, expected, tol=1e-9):
    return True
'''

_INPUT_TRANSFORMER = r'''
def _neuter(lines):
    text = "".join(lines)
    return ["pass\n"] if ("assert" in text or "check_" in text) else lines
get_ipython().input_transformers_post.append(_neuter)
'''

_PATCH_ENGINE_RULE = r'''
import course.ops
course.ops.multiply.vjps[0] = lambda g, ans, x, y: g * y
'''

_FAKE_MODULE = r'''
import sys, types
_fake = types.ModuleType("course.gradcheck")
_fake.check_grad = lambda *args, **kwargs: True
sys.modules["course.gradcheck"] = _fake
'''

_TRACE_HOOK = r'''
import sys
def _spy(frame, event, arg):
    return _spy
sys.settrace(_spy)
'''

_AUDIT_HOOK = r'''
import sys
def _guard(event, args):
    if event == "open" and "course" in str(args[0]) and str(args[0]).endswith(".py"):
        raise PermissionError("no peeking at the engine's source")
sys.addaudithook(_guard)
'''

_ENGINE_CHEAT_SOFTMAX = r'''
def softmax_vjp(upstream, x, y):
    """dL/dx for y = softmax(x) along the last axis; upstream and y have x's shape. The shape of x."""
    (dx,) = course.vjp(lambda x: course.softmax(x, axis=-1), x)[1](upstream)
    return dx
'''

_ENGINE_CHEAT_HESSIAN = r'''
def hessian(f, params):
    """The (n, n) Hessian of scalar f(*params) over all entries of the arrays in params."""
    params = tuple(np.asarray(p, dtype=np.float64) for p in params)
    sizes = [p.size for p in params]
    stops = np.cumsum(sizes)

    def f_of_vector(z):
        return f(*[z[int(s) - n:int(s)].reshape(p.shape) for p, n, s in zip(params, sizes, stops)])

    return course.jacfwd(course.jacrev(f_of_vector))(np.concatenate([p.ravel() for p in params]))
'''

_ENGINE_CHEAT_VALUE = r'''
def tanh_backward(upstream, out):
    """Backward pass of t = tanh(x), from the gate's OUTPUT out = tanh(x). Returns dL/dx."""
    x = Value(float(np.arctanh(out))) if np.ndim(out) == 0 else None
    if x is None:
        return (1.0 - out ** 2) * upstream
    t = x.tanh()
    t.backward()
    return x.grad * upstream
'''

BANK = [
    Hostile("read-secrets", A02, "tanh-function", _READ_SECRETS,
            Expect(scan=frozenset({"files"})),
            proves="source/, the gradebook, submitted/, the exchange, the TA's home and the "
                   "repository's solutions are invisible; the notebook is graded as usual"),
    Hostile("write-outside", A02, "tanh-function", _WRITE_OUTSIDE,
            Expect(scan=frozenset({"files"})),
            proves="writes outside the scratch folder fail; nothing on disk changes"),
    Hostile("network", A02, "tanh-function", _NETWORK,
            Expect(scan=frozenset({"network"})),
            proves="no connection leaves the sandbox, not even to the grader's loopback"),
    Hostile("memory-bomb", A02, "tanh-function", _MEMORY_BOMB,
            Expect(outcome="kernel-died", stopped_by="memory", canary=None,
                   status="GiB of memory together"),
            proves="a bomb that touches its memory is stopped by the watchdog"),
    Hostile("huge-array", A02, "tanh-function", _HUGE_ARRAY,
            Expect(error="MemoryError", status="tanh-function: the memory limit was reached"),
            proves="an allocation past the address-space limit fails in the cell; the rest "
                   "of the notebook is graded"),
    Hostile("fork-bomb", A02, "tanh-function", _FORK_BOMB,
            # whichever watchdog limit trips first: the process count, or (on a loaded machine,
            # where the copies pile up before they are counted) their memory
            Expect(outcome="kernel-died", stopped_by=("processes", "memory"), canary=None,
                   scan=frozenset({"processes"}),
                   status=("a fork bomb?", "more than 1 GiB of memory together")),
            proves="a fork bomb is capped (RLIMIT_NPROC) and its notebook stopped"),
    Hostile("os-exit", A02, "tanh-function", _OS_EXIT,
            Expect(outcome="kernel-died", stopped_by=None, canary=None,
                   scan=frozenset({"processes"}), status="the kernel exited (status 0)"),
            proves="a kernel that exits is reported dead at once, not waited for"),
    Hostile("kill-parent", A02, "tanh-function", _KILL_PARENT,
            Expect(scan=frozenset({"processes"})),
            proves="the grader is out of reach: the kernel's parent is the sandbox's pid 1"),
    Hostile("delete-own-files", A02, "tanh-function", _DELETE_OWN_FILES,
            Expect(scan=frozenset({"files"})),
            proves="the kernel works on a copy: its autograded files stay as nbgrader wrote "
                   "them"),
    Hostile("fill-disk", A02, "tanh-function", _FILL_DISK,
            Expect(scan=frozenset({"files"})),
            proves="the scratch folder, /tmp and home are small tmpfs: a disk bomb fails"),
    Hostile("endless-loop", A02, "tanh-function", _ENDLESS_LOOP,
            Expect(error=("KeyboardInterrupt", "CellTimeoutError"),   # nbclient's, nbgrader's
                   status=("ran past the time limit", "stopped at the per-cell time limit")),
            proves="a cell timeout interrupts the sandboxed kernel (over the control "
                   "channel); the rest of the notebook is graded"),
    Hostile("replace-allclose", A02, "tanh-function", _REPLACE_ALLCLOSE,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"monkeypatch"})),
            proves="replacing numpy.allclose is caught by the canary"),
    Hostile("replace-checker", A02, "tanh-function", _WRONG_TANH_FUNCTION_WITH_PATCHED_CHECKS,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"monkeypatch", "shadowing"})),
            replaces=True,
            proves="a wrong rule hidden by replacing the checks is caught: zero and a flag"),
    Hostile("redefine-helper", A02, "tanh-function", _REDEFINE_HELPER,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"shadowing"})),
            proves="redefining the notebook's close() helper is caught"),
    Hostile("input-transformer", A02, "tanh-function", _INPUT_TRANSFORMER,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"ipython"})),
            proves="rewriting the tests' source before they run silences the canary too, "
                   "which counts as tampering"),
    Hostile("patch-engine-rule", A02, "tanh-function", _PATCH_ENGINE_RULE,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"monkeypatch"})),
            proves="changing a rule in the engine's tables is caught"),
    Hostile("fake-module", A02, "tanh-function", _FAKE_MODULE,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"sys-modules"})),
            proves="swapping a module in sys.modules is caught"),
    Hostile("trace-hook", A02, "tanh-function", _TRACE_HOOK,
            Expect(scan=frozenset({"hooks"})),
            proves="a trace hook does not outlive its cell (the kernel resets it), so the "
                   "tests run untraced; the scan flags it"),
    Hostile("audit-hook", A02, "tanh-function", _AUDIT_HOOK,
            Expect(scores="any", canary="tampered", status="TAMPERED",
                   scan=frozenset({"hooks"})),
            proves="an audit hook (it cannot be removed) that blinds the canary is caught: a "
                   "canary that cannot check counts as tampering"),
    Hostile("engine-softmax-vjp", "03-vector-backprop", "softmax-vjp", _ENGINE_CHEAT_SOFTMAX,
            Expect(scan=frozenset({"engine"})), replaces=True,
            proves="a VJP borrowed from course.vjp is flagged for a person (not penalised)"),
    Hostile("engine-hessian", "06-higher-order", "hessian", _ENGINE_CHEAT_HESSIAN,
            Expect(scan=frozenset({"engine"})), replaces=True,
            proves="a Hessian from jacfwd(jacrev(f)) is flagged where HVPs are the exercise"),
    Hostile("engine-value-backward", "01-computational-graphs", "tanh-backward",
            _ENGINE_CHEAT_VALUE, Expect(scan=frozenset({"engine"})), replaces=True,
            proves="a gate's gradient taken from course.Value.backward() is flagged"),
]

BY_NAME = {h.name: h for h in BANK}
