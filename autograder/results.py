"""The statuses, what grading one student's assignment came to (`Result`), and the result files
in OUT/results/ (what makes runs resumable).

A Result is one row of grades.csv. For a notebook that was run it is also a small JSON file,
`OUT/results/<assignment>/<student>.json`, written atomically (to a temporary file, then
renamed) the moment the notebook is graded. A later run skips every submission whose result
exists and whose `input_hash` matches: the notebook as graded, the assignment's template and the
grading settings. So re-running is idempotent, and a run killed half way loses nothing that was
finished. A file that cannot be read as a Result (torn, of another schema, from an older or
newer autograder) counts as missing: that notebook is graded again.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

SCHEMA = 1

# What a row of grades.csv can say (the `status` column).
GRADED = "graded"                  # graded; the notes may list repairs made before grading
NEEDS_REVIEW = "needs review"      # graded, but something a person should look at (see notes)
NO_SUBMISSION = "no submission"    # on the roster, nothing handed in for this assignment
EMPTY = "empty submission"         # an empty folder, or an empty (0-byte) notebook
NO_NOTEBOOK = "no notebook"        # files were handed in, but no notebook among them
UNREADABLE = "unreadable notebook" # not valid JSON, or not a Jupyter notebook
TIMED_OUT = "timed out"            # the whole notebook ran longer than the time limit
KERNEL_DIED = "kernel died"        # the Python kernel exited while running the notebook
GRADING_ERROR = "grading error"    # nbgrader failed on it for another reason (see notes)

STATUSES = (GRADED, NEEDS_REVIEW, NO_SUBMISSION, EMPTY, NO_NOTEBOOK, UNREADABLE, TIMED_OUT,
            KERNEL_DIED, GRADING_ERROR)
# Statuses the report lists under "needs a human look".
LOOK = (NEEDS_REVIEW, EMPTY, NO_NOTEBOOK, UNREADABLE, TIMED_OUT, KERNEL_DIED, GRADING_ERROR)
# Statuses whose score is nbgrader's (the others score 0: nothing ran to the end).
SCORED = (GRADED, NEEDS_REVIEW)


def note(text, level="info"):
    """A note on a submission: level "info" (a repair, for the record) or "review" (a person
    should look)."""
    assert level in ("info", "review"), level
    return {"level": level, "text": text}


@dataclass
class Result:
    """What grading came to for one student and assignment.

    status: one of STATUSES. score, max_score: points (score None: a test nbgrader did not
    grade). tests: one dict per test cell, in notebook order (extract.tests_and_notes: id, hidden,
    score, max_score, outcome, message, ...). cell_errors: [{cell, message}] of the student's own
    cells that raised. notes: [note()], the repairs and what a person should look at.
    For a notebook that ran: notebook (its file name as graded), input_hash (plan.Job's),
    source (where it came from, relative to the input), autograded (nbgrader's graded notebook,
    relative to OUT; an absolute path while a worker reports it; None when it did not run to
    its end), timings (seconds: worker.py's phases, pool.py's wall)."""

    student: str
    assignment: str
    status: str
    score: float | None = None
    max_score: float | None = None
    tests: list = field(default_factory=list)
    cell_errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    notebook: str = ""
    input_hash: str = ""
    source: str = ""
    autograded: str | None = None
    timings: dict = field(default_factory=dict)

    @property
    def scored(self):
        """Whether the score is nbgrader's (the notebook ran to its end)."""
        return self.status in SCORED

    def to_json(self):
        """The result as a JSON-ready dict, with the schema it is written in."""
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_json(cls, data):
        """The Result of to_json's dict; ValueError when it is not one (of this schema)."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"not a result of schema {SCHEMA}")
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as e:     # a field missing
            raise ValueError(f"not a result: {e}") from None


def sha256(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def result_path(out, assignment, student):
    return Path(out) / "results" / assignment / f"{student}.json"


def write_json_atomic(path, data):
    """Write JSON to path so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_result(out, result):
    """Store a Result in OUT/results/<assignment>/<student>.json, atomically."""
    write_json_atomic(result_path(out, result.assignment, result.student), result.to_json())


def load_result(out, assignment, student):
    """The stored Result, or None (missing, unreadable, or of another schema)."""
    path = result_path(out, assignment, student)
    try:
        return Result.from_json(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


def write_if_changed(path, data):
    """Write bytes or text to path unless it already holds exactly that (a re-run then leaves
    the file, and its modification time, alone). Atomic. Returns True when written."""
    path = Path(path)
    data = data.encode() if isinstance(data, str) else data
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True
