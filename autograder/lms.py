"""The grades as the learning platforms import them: `canvas-grades.csv` for Canvas's gradebook
import, `moodle-grades.csv` for Moodle's grade import (written beside grades.csv).

Both have one row per student and one column per assignment graded (the score in points); a
student with no submission gets an empty cell (the platform keeps what it has, so a grade
entered there by hand is not overwritten with 0). Who a row is comes from the roster's columns
(name, email, username, ID number, SIS user id, SIS login id, section, Canvas id) and from the
names of a platform's own export files (intake.platform_identity: Canvas's user id, the full
name Moodle wrote); the student id stands in for a name that nothing gives.

Canvas (the layout of its own gradebook export, which its import reads back): the columns
`Student, ID, SIS User ID, SIS Login ID, Section`, then one per assignment, and a second row
`    Points Possible` with each assignment's points; an assignment column whose title Canvas does
not know becomes a new assignment with those points. Canvas finds a student by ID (its user id),
SIS User ID or SIS Login ID. Relied on: Canvas's guide "How do I import grades in the
Gradebook?" (community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/
ta-p/807), and its GradebookImporter specs in canvas-lms
(spec/controllers/gradebook_uploads_controller_spec.rb: the header, the "    Points Possible"
row, a new column creating an assignment with those points).

Moodle (Grades > Import > CSV file): any columns; at import the teacher maps one identity
column ("Map from") to a user field ("Map to": username, ID number or email address; MoodleDocs
"Grade import", the mapping form in grade/import/csv), and each assignment column to a grade
item. Moodle reads no points from the file: each grade item's maximum grade must be the
assignment's points (the README says how).
"""

import csv
import io

from autograder import plan, results
from autograder.tables import number

# roster column (normalised as plan.roster_rows does) -> identity field
ROSTER_FIELDS = {
    "name": "name", "fullname": "name", "studentname": "name",
    "email": "email", "emailaddress": "email", "mail": "email",
    "username": "username", "login": "username", "user": "username",
    "idnumber": "id_number",
    "sisuserid": "sis_user_id", "sisloginid": "sis_login_id", "section": "section",
    "canvasid": "canvas_id", "canvasuserid": "canvas_id",
}
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS = "    Points Possible"   # Canvas's own spelling, four spaces and all
MOODLE_COLUMNS = ["Username", "Email address", "ID number", "Full name"]


def identities(files, roster=None):
    """{student: {field: value}} (fields: the values of ROSTER_FIELDS) from the intake's files
    (intake.Found) and the roster CSV; the roster wins where both say something."""
    people = {}
    for f in files:
        if f.student and f.platform:
            person = people.setdefault(f.student, {})
            if f.platform == "canvas":
                person.setdefault("canvas_id", f.account)
            elif f.platform == "moodle":   # the id is made from the name: no username
                person.setdefault("name", f.full_name)
                person.setdefault("username", "")
            elif f.platform == "blackboard":
                person.setdefault("username", f.student)
    for student, columns in plan.roster_rows(roster) if roster else []:
        person = people.setdefault(student, {})
        for column, value in columns.items():
            if column in ROSTER_FIELDS:
                person[ROSTER_FIELDS[column]] = value
    return people


def scores(rows, assignments):
    """{student: {assignment: the cell's text}} of rows ([results.Result]), in roster order."""
    table = {}
    for r in rows:
        if r.assignment in assignments:
            table.setdefault(r.student, {})[r.assignment] = (
                "" if r.status == results.NO_SUBMISSION else number(r.score))
    return table


def points(rows, assignments):
    """{assignment: its points}, as the rows say."""
    return {a: next((r.max_score for r in rows if r.assignment == a), None) for a in assignments}


def canvas_csv(rows, assignments, people):
    """canvas-grades.csv: see the module's docstring."""
    top = points(rows, assignments)
    lines = [CANVAS_COLUMNS + list(assignments),
             [CANVAS_POINTS, "", "", "", ""] + [number(top[a]) for a in assignments]]
    for student, row in scores(rows, assignments).items():
        who = people.get(student, {})
        lines.append([who.get("name", student), who.get("canvas_id", ""),
                      who.get("sis_user_id", ""), who.get("sis_login_id", ""),
                      who.get("section", "")] + [row.get(a, "") for a in assignments])
    return _csv(lines)


def moodle_csv(rows, assignments, people):
    """moodle-grades.csv: see the module's docstring. A student whose username nothing gives
    has the student id as username (an nbgrader or JupyterHub login is usually the platform's
    username), except one known only from a Moodle export (whose id is made from the name)."""
    lines = [MOODLE_COLUMNS + list(assignments)]
    for student, row in scores(rows, assignments).items():
        who = people.get(student, {})
        lines.append([who.get("username", student), who.get("email", ""), who.get("id_number", ""),
                      who.get("name", "")] + [row.get(a, "") for a in assignments])
    return _csv(lines)


def _csv(lines):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    return buffer.getvalue()
