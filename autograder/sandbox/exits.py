"""What the sandbox says after a run: why each kernel stopped, and which cells ran into a limit.

The launcher appends one line per kernel start and exit to the run folder's events.jsonl;
`kernel_exits` reads the exits back as `KernelExit` (its `reason` a launcher.StopReason).
A kernel that survives a limit leaves it in a cell's error output instead (a MemoryError at the
address-space limit, a failed fork, a full scratch folder, a cell interrupted at the per-cell
time limit): `cell_limit` tells which `CellLimit` an error output shows, for the whole grader
(the worker's notes, extract.py's time-limit note, the report's status lines).
"""

import enum
import json
from dataclasses import dataclass

from autograder.cells import cell_name
from autograder.sandbox.launcher import StopReason


@dataclass(frozen=True)
class KernelExit:
    """How one kernel stopped. reason: None when it exited by itself (shutdown, or the student's
    os._exit / sys.exit), else the StopReason. message: one sentence for the report."""

    cwd: str
    started: float
    seconds: float
    returncode: int | None
    reason: StopReason | None
    message: str
    mode: str


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
            reason = event.get("reason")
            exits.append(KernelExit(event.get("cwd", ""), event.get("started", 0.0),
                                    event.get("seconds", 0.0), event.get("returncode"),
                                    StopReason(reason) if reason else None,
                                    event.get("message", ""), event.get("mode", "")))
    return exits


class CellLimit(enum.Enum):
    """A limit a cell ran into and survived; the value is what the notes say of it."""

    MEMORY = "the memory limit was reached (MemoryError)"
    TIME = "a cell ran past the time limit and was interrupted"
    PROCESSES = "the process limit was reached (a fork or a thread failed)"
    THREADS = "the process limit was reached (a thread failed)"
    SCRATCH = "the scratch space is full (No space left on device)"
    FILE_SIZE = "a file reached the size limit (File too large)"


# (text in an error output's "ename: evalue", the limit it shows): the first that matches wins.
CELL_LIMIT_ERRORS = (
    ("MemoryError", CellLimit.MEMORY),
    ("CellTimeoutError", CellLimit.TIME),         # nbgrader's Execute, at Execute.timeout
    ("TimeoutError", CellLimit.TIME),
    ("KeyboardInterrupt", CellLimit.TIME),        # the interrupt sent at the timeout
    ("[Errno 11]", CellLimit.PROCESSES),          # EAGAIN from fork: RLIMIT_NPROC
    ("can't start new thread", CellLimit.THREADS),
    ("[Errno 28]", CellLimit.SCRATCH),            # ENOSPC: a tmpfs is full
    ("[Errno 27]", CellLimit.FILE_SIZE),          # EFBIG: RLIMIT_FSIZE
)


def cell_limit(output):
    """The CellLimit an output of a cell shows (an error output), or None."""
    if output.get("output_type") != "error":
        return None
    text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    return next((limit for key, limit in CELL_LIMIT_ERRORS if key in text), None)


def limit_errors(nb):
    """[(cell, CellLimit)] for each error output of an executed notebook's code cells that
    shows a limit. cell: its grade_id, or "cell N"."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            limit = cell_limit(output)
            if limit is not None:
                found.append((cell_name(cell, index), limit))
    return found
