"""The statuses, and the per-submission result files in OUT/results/ (what makes runs resumable).

A result is a small JSON file, `OUT/results/<assignment>/<student>.json`, written atomically (to a
temporary file, then renamed) the moment a submission is graded. A later run skips every
submission whose result exists and whose `input_hash` matches: the notebook as graded, the
assignment's template and the grading settings. So re-running is idempotent, and a run killed
half way loses nothing that was finished.
"""

import hashlib
import json
import os
import tempfile
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
# Statuses that come from running the notebook (the others are decided before).
RUN_STATUSES = (GRADED, NEEDS_REVIEW, TIMED_OUT, KERNEL_DIED, GRADING_ERROR)


def note(text, level="info"):
    """A note on a submission: level "info" (a repair, for the record) or "review" (a person
    should look)."""
    assert level in ("info", "review"), level
    return {"level": level, "text": text}


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


def load_result(out, assignment, student):
    """The stored result, or None (missing, unreadable, or of another schema)."""
    path = result_path(out, assignment, student)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("schema") == SCHEMA else None


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
