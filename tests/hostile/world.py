"""The world a hostile submission is graded in: a fake course with secrets, a TA home, an
exchange, a TCP server on the loopback, and a way to run one submission in a sandboxed kernel.

`World(root)` plants the secrets; `world.digest()` hashes everything the grader must keep intact
(the course root but its output folders, the home, the exchange, the repository's source/ and
course/), so that a test can prove nothing changed. `run(...)` executes one submission with
nbclient, as nbgrader would (errors allowed, cell timeouts interrupt the kernel), in the folder
nbgrader would use, and returns what happened.
"""

import hashlib
import socketserver
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError

from autograder import canary
from autograder.cells import grade_id, nbgrader_cells
from nbgrader_course import REPO, notebook_file

from . import LEAK_MARKERS

SECRET = "SANDBOX-SECRET-7f3a91"      # in every planted secret file


class _Counter(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.hits += 1


class LoopbackServer:
    """A TCP server on 127.0.0.1 that counts the connections it gets (it must get none)."""

    def __init__(self):
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Counter)
        self.server.hits = 0
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def hits(self):
        return self.server.hits

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class World:
    """A course root, a TA home and an exchange under `root`, with secrets planted."""

    def __init__(self, root, assignments=(), course=None):
        """course: an existing nbgrader course root to plant the secrets in (its gradebook is
        left alone), instead of a fake one under root."""
        self.root = Path(root)
        self.course = Path(course) if course else self.root / "course"
        self.home = self.root / "home"
        self.exchange = self.root / "exchange"
        for folder in (self.course / "source", self.home, self.exchange / "inbound",
                       self.course / "submitted" / "other-student"):
            folder.mkdir(parents=True, exist_ok=True)
        for name in assignments:
            source = notebook_file(REPO / "source", name)
            (self.course / "source" / name).mkdir(exist_ok=True)
            (self.course / "source" / name / source.name).write_bytes(source.read_bytes())
            other = self.course / "submitted" / "other-student" / name
            other.mkdir(exist_ok=True)
            (other / source.name).write_bytes(source.read_bytes())
        (self.course / "source" / "secret-notes.txt").write_text(f"{SECRET} the answers\n")
        if course is None:
            (self.course / "gradebook.db").write_text(f"{SECRET} grades\n")
        (self.home / "secret.txt").write_text(f"{SECRET} home\n")
        (self.home / ".bashrc").write_text("# the TA's shell\n")
        (self.exchange / "inbound" / "alice+a+1").write_text(f"{SECRET} exchange\n")

    def places(self, assignment, port, **real):
        """The placeholders' values; `real` overrides them with the paths of a real run
        (COURSE_ROOT, SUBMISSIONS, OUT)."""
        return {"COURSE_ROOT": self.course, "HOME": self.home, "EXCHANGE": self.exchange,
                "REPO": REPO, "PORT": port, "ASSIGNMENT": assignment,
                "SUBMISSIONS": self.course / "submitted", "OUT": self.course / "autograded",
                **real}

    def digest(self, skip=("autograded", "gradebook.db", "gradebook.db-journal"), extra=()):
        """{relative path: sha256} of what the grader must keep intact; extra: more
        (label, folder) pairs to hash whole."""
        found = {}
        roots = [("course", self.course), ("home", self.home), ("exchange", self.exchange),
                 ("repo-source", REPO / "source"), ("repo-release", REPO / "release"),
                 ("repo-course", REPO / "course"), ("repo-autograder", REPO / "autograder"),
                 *extra]
        for label, top in roots:
            for path in sorted(top.rglob("*")):
                rel = path.relative_to(top)
                if label == "course" and rel.parts and rel.parts[0] in skip:
                    continue
                if "__pycache__" in rel.parts or ".ipynb_checkpoints" in rel.parts:
                    continue
                key = f"{label}/{rel.as_posix()}"
                if path.is_symlink():
                    found[key] = "link:" + str(path.readlink())
                elif path.is_file():
                    found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    found[key] = "dir"
        return found


def hostile_notebook(entry, places):
    """What the hostile student hands in: the release filled with the reference solutions and
    the entry's code in its cell, its placeholders filled from `places`."""
    from nbgrader_course import filled_release

    source = nbformat.read(notebook_file(REPO / "source", entry.assignment), as_version=4)
    reference = nbgrader_cells(source, "solution")[entry.cell].source
    return filled_release(entry.assignment, {entry.cell: entry.source(reference, places)})


def submission(entry, world, port):
    """The hostile notebook with the canary appended, as the grader runs it; and the release."""
    nb = hostile_notebook(entry, world.places(entry.assignment, port))
    release = nbformat.read(notebook_file(REPO / "release", entry.assignment), as_version=4)
    return canary.add_canary_cell(nb, reference=release), release


@dataclass
class Outcome:
    """What running one submission came to."""

    outcome: str                       # "graded" or "kernel-died"
    seconds: float
    nb: object
    passed: dict = field(default_factory=dict)     # {test grade_id: no error output}
    exits: list = field(default_factory=list)      # sandbox.KernelExit
    canary: object = None                          # canary.CanaryResult (graded only)
    error: str = ""

    def cell_text(self, gid):
        """Everything the cell printed (streams and error names)."""
        for cell in self.nb.cells:
            if grade_id(cell) == gid:
                return "\n".join(o.get("text", "") if o.get("output_type") == "stream"
                                 else f"{o.get('ename', '')}: {o.get('evalue', '')}"
                                 for o in cell.get("outputs", []))
        return ""

    def leaks(self):
        return leaks(self.nb)

    def status(self):
        """The status line a report would show: what stopped the kernel, or the limits the
        notebook ran into, or the canary's verdict."""
        from autograder import sandbox

        if self.outcome != "graded":
            return "kernel died: " + (self.exits[-1].message if self.exits else "no record")
        parts = [f"{cell}: {limit.value}" for cell, limit in sandbox.limit_errors(self.nb)]
        if self.canary is not None and self.canary.tampered:
            parts.append(self.canary.summary())
        return "graded" + (" (" + "; ".join(parts) + ")" if parts else "")


def leaks(nb):
    """Lines of any output that say a hostile action worked (or show the secret itself)."""
    lines = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") or str(output.get("data", "")) + " ".join(
                output.get("traceback", []))
            lines += [line for line in text.splitlines()
                      if line.startswith(LEAK_MARKERS) or SECRET in line]
    return lines


def run(plan, nb, cwd, timeout=60):
    """Execute `nb` in plan's kernel with `cwd` as its folder, as nbgrader's Execute does."""
    from autograder import canary as canary_module

    cwd = Path(cwd)
    cwd.mkdir(parents=True, exist_ok=True)
    nb = nbformat.from_dict(nb)
    mark = plan.event_mark()
    client = plan.notebook_client(nb, cwd=cwd, timeout=timeout, allow_errors=True,
                                  interrupt_on_timeout=True,
                                  error_on_timeout={"ename": "CellTimeoutError", "evalue": "",
                                                    "traceback": ["CellTimeoutError"]})
    started = time.perf_counter()
    outcome, error = "graded", ""
    try:
        client.execute()
    except DeadKernelError as e:
        outcome, error = "kernel-died", str(e)
    seconds = time.perf_counter() - started
    for _ in range(50):            # the launcher writes its exit record as the kernel goes
        exits = plan.kernel_exits(since=mark)
        if exits:
            break
        time.sleep(0.1)
    passed = {gid: not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
              for gid, cell in nbgrader_cells(nb, "grade").items()}
    result = Outcome(outcome, seconds, nb, passed, exits, error=error)
    if outcome == "graded":
        result.canary = canary_module.read_canary(nb)
    return result
