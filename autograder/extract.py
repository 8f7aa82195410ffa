"""What a graded notebook says: the score of every test cell and why each failed.

Scores come from the job's own gradebook (nbgrader's verdict); reasons from the autograded
notebook's outputs. For a hidden test only the outcome and the error's message line are kept
(exception type and message): never its traceback, which shows the hidden code, nor what it
wrote to stderr (a warning prints the source line it was raised from).
"""

import re

from autograder.cells import cell_name, cells_by_id, grade_id
from autograder.sandbox.exits import CellLimit, cell_limit

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MAX_TEXT = 4000           # characters kept of a message, a traceback or stderr
MISSING_CELL_MARK = "was missing from the submission"  # nbgrader's note in a restored cell


def plain(text):
    """Text without terminal colour codes."""
    return ANSI.sub("", text or "")


def clip(text, limit=MAX_TEXT, keep="head"):
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return (text[:limit] + f"\n... ({cut} more characters)" if keep == "head"
            else f"... ({cut} characters before)\n" + text[-limit:])


def error_outputs(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def stderr_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stderr")


def message(error):
    """'ValueError: the message' (the exception type and its message, no traceback)."""
    ename, evalue = error.get("ename", "Error"), plain(error.get("evalue", ""))
    return clip(f"{ename}: {evalue}" if evalue else ename)


def outcome(score, max_score):
    if score is None:
        return "not graded"
    if score >= max_score:
        return "passed"
    return "failed" if score <= 0 else "partial"


def read_scores(db_url, notebook, assignment, student):
    """{grade_id: (score, max_score)} of a student's notebook in a gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        submitted = gb.find_submission_notebook(notebook, assignment, student)
        return {g.name: (g.score if g.auto_score is not None or g.manual_score is not None
                         else None, g.max_score) for g in submitted.grades}


def tests_and_notes(nb, scores, spec, cell_timeout=None):
    """(tests, cell_errors, notes) of an autograded notebook.

    tests: one dict per test cell of the spec, in notebook order: id, hidden, score, max_score,
    outcome, message (the error; for a visible test also traceback and stderr), restored.
    cell_errors: [{cell, message}] for the student's own cells that raised.
    notes: review notes (points lost to stderr alone, per-cell time limits).
    """
    from autograder.results import note

    cells = cells_by_id(nb)
    tests, notes, stderr_only, timeouts = [], [], [], []
    for test in spec.tests:
        score, max_score = scores.get(test.id, (None, test.points))
        cell = cells.get(test.id)
        entry = {"id": test.id, "hidden": test.hidden, "score": score, "max_score": max_score,
                 "outcome": outcome(score, max_score), "message": None, "restored": False}
        if cell is not None:
            entry["restored"] = MISSING_CELL_MARK in cell.source[:300]
            errors = error_outputs(cell)
            stderr = stderr_text(cell)
            if errors:
                entry["message"] = message(errors[-1])
                if any(cell_limit(e) is CellLimit.TIME for e in errors):
                    timeouts.append(test.id)
                if not test.hidden:
                    entry["traceback"] = clip(plain("\n".join(errors[-1].get("traceback", []))),
                                              keep="tail")
            elif stderr and entry["outcome"] != "passed":
                entry["message"] = ("no error, but the cell wrote to stderr, which nbgrader "
                                    "counts as a failure")
                stderr_only.append(test.id)
            if stderr and not test.hidden:
                entry["stderr"] = clip(plain(stderr))
        tests.append(entry)

    cell_errors = []
    test_ids = {t.id for t in spec.tests}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or grade_id(cell) in test_ids:
            continue
        errors = error_outputs(cell)
        if errors:
            cell_errors.append({"cell": cell_name(cell, index), "message": message(errors[-1])})
            if any(cell_limit(e) is CellLimit.TIME for e in errors):
                timeouts.append(cell_name(cell, index))

    if stderr_only:
        notes.append(note(f"test(s) {', '.join(stderr_only)} raised no error but wrote to "
                          f"stderr, and nbgrader scores that 0", "review"))
    if timeouts:
        limit = f" ({cell_timeout} s)" if cell_timeout else ""
        notes.append(note(f"cell(s) {', '.join(timeouts)} were stopped at the per-cell time "
                          f"limit{limit}", "review"))
    return tests, cell_errors, notes
