"""Merge: one nbgrader gradebook, `OUT/gradebook.db`, from every result of the run.

Workers each graded into a gradebook of their own (SQLite takes one writer at a time); this
builds the class's gradebook in one writer at the end: the assignments and their cells copied
from the templates (through nbgrader's API), every student of the roster, and one submission per
handed-in (student, assignment) with the score of each test cell. The TA can then use
nbgrader's own tools on it (`nbgrader export`, the formgrader).

Submissions that could not be run (timed out, kernel died, unreadable...) get 0 on every cell,
marked "needs manual grade" and flagged, so the formgrader shows them; "needs review" ones are
flagged too. The database is written to a temporary file and renamed, and rebuilt only when
the results changed (a manifest of what went in is kept beside it), so a re-run leaves it alone.
"""

import json
import os
import shutil
from pathlib import Path

from autograder import results

MANIFEST = "gradebook.manifest.json"


def copy_assignment(src, dst, name):
    """Copy assignment `name`, its notebooks and cells, from Gradebook src to Gradebook dst."""
    a = src.find_assignment(name)
    dst.update_or_create_assignment(name, duedate=a.duedate)
    for nb in a.notebooks:
        dst.update_or_create_notebook(nb.name, name)
        for c in nb.source_cells:
            dst.update_or_create_source_cell(c.name, nb.name, name, cell_type=c.cell_type,
                                             locked=c.locked, source=c.source,
                                             checksum=c.checksum)
        for c in nb.grade_cells:
            dst.update_or_create_grade_cell(c.name, nb.name, name, max_score=c.max_score,
                                            cell_type=c.cell_type)
        for c in nb.solution_cells:
            dst.update_or_create_solution_cell(c.name, nb.name, name)
        for c in nb.task_cells:
            dst.update_or_create_task_cell(c.name, nb.name, name, max_score=c.max_score,
                                           cell_type=c.cell_type)


def manifest(rows, templates):
    return {
        "templates": {a: t.spec.fingerprint for a, t in sorted(templates.items())},
        "rows": [[r.student, r.assignment, r.status, [[t["id"], t["score"]] for t in r.tests]]
                 for r in rows],
    }


def build_gradebook(out, rows, templates, students):
    """Write OUT/gradebook.db from rows ([results.Result]) unless it is up to date.
    Returns True when it was (re)written."""
    from nbgrader.api import Assignment, Gradebook, Student

    out = Path(out)
    target = out / "gradebook.db"
    wanted = manifest(rows, templates)
    manifest_path = out / "work" / MANIFEST
    if target.exists() and manifest_path.exists():
        try:
            if json.loads(manifest_path.read_text()) == wanted:
                return False
        except ValueError:
            pass
    tmp = out / ".gradebook.db.tmp"
    if tmp.exists():
        tmp.unlink()
    names = sorted(templates)
    if names:
        shutil.copy(templates[names[0]].gradebook, tmp)  # schema and alembic version included
    with Gradebook(f"sqlite:///{tmp}") as gb:
        for name in names[1:]:
            with Gradebook(f"sqlite:///{templates[name].gradebook}") as src:
                copy_assignment(src, gb, name)
        for student in students:
            gb.update_or_create_student(student)
        session = gb.db
        assignments = {a.name: a for a in session.query(Assignment)}
        student_rows = {s.id: s for s in session.query(Student)}
        with session.no_autoflush:
            add_submissions(session, rows, assignments, student_rows)
        session.commit()
    os.replace(tmp, target)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(wanted))
    return True


def add_submissions(session, rows, assignments, student_rows):
    """One SubmittedAssignment per handed-in row, with a Grade per grade cell."""
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook

    for row in rows:
        if row.status == results.NO_SUBMISSION or row.assignment not in assignments:
            continue
        assignment = assignments[row.assignment]
        submission = SubmittedAssignment(assignment=assignment,
                                         student=student_rows[row.student])
        scores = {t["id"]: t["score"] for t in row.tests}
        unrun = row.status in (results.TIMED_OUT, results.KERNEL_DIED,
                               results.GRADING_ERROR, results.UNREADABLE)
        for notebook in assignment.notebooks:
            nb = SubmittedNotebook(notebook=notebook, assignment=submission,
                                   flagged=row.status != results.GRADED)
            for cell in notebook.grade_cells:
                score = scores.get(cell.name) if row.scored else 0.0
                Grade(cell_id=cell.id, notebook=nb, auto_score=score,
                      needs_manual_grade=unrun or score is None)
            for cell in notebook.solution_cells:
                Comment(cell_id=cell.id, notebook=nb)
            for cell in notebook.task_cells:
                Comment(cell_id=cell.id, notebook=nb)
                Grade(cell_id=cell.id, notebook=nb, needs_manual_grade=True)
        session.add(submission)


def gradebook_scores(db_path):
    """{(student, assignment, test id): score} of a gradebook (for checks and the benchmark)."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{db_path}") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for nb in submission.notebooks:
                    for grade in nb.grades:
                        scores[submission.student.id, assignment.name, grade.name] = grade.score
    return scores
