"""The CSV files: grades.csv (one row per student and assignment), tests.csv (one row per test
cell) and intake.csv (every input file and what became of it).

grades.csv is what a learning platform imports: student, assignment, score, max_score, status,
notes. Every student of the roster has a row for every assignment graded, with the reason in
`status` when there is no score to speak of (see results.STATUSES).
"""

import csv
import io

GRADES_COLUMNS = ["student", "assignment", "score", "max_score", "status", "notes"]
TESTS_COLUMNS = ["student", "assignment", "test", "hidden", "score", "max_score", "outcome",
                 "message"]
INTAKE_COLUMNS = ["file", "student", "assignment", "action", "note"]


def number(x):
    """3.0 -> '3', 2.5 -> '2.5', None -> ''."""
    return "" if x is None else f"{x:g}"


def notes_text(notes):
    return "; ".join(n["text"] for n in notes)


def first_line(text, limit=300):
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 3] + "..."


def to_csv(columns, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def grades_csv(rows):
    """rows: [results.Result]."""
    return to_csv(GRADES_COLUMNS, [
        [r.student, r.assignment, number(r.score), number(r.max_score), r.status,
         notes_text(r.notes)] for r in rows])


def tests_csv(rows):
    lines = []
    for r in rows:
        for t in r.tests:
            lines.append([r.student, r.assignment, t["id"], "yes" if t["hidden"] else "no",
                          number(t["score"]), number(t["max_score"]), t["outcome"],
                          first_line(t.get("message"))])
    return to_csv(TESTS_COLUMNS, lines)


def intake_csv(files):
    return to_csv(INTAKE_COLUMNS, [[f.path, f.student or "", f.assignment or "", f.action,
                                    f.note] for f in files])
