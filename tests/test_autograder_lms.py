"""The learning platforms' import files (autograder/lms.py): Canvas's gradebook CSV and Moodle's
grade import CSV, with the identity columns from a roster and from a platform export's file
names (no nbgrader run)."""

import csv
import io
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from autograder import intake, lms, results  # noqa: E402

A, B = "01-computational-graphs", "02-modular-backprop"


def rows():
    r = results.Result
    return [r("ada", A, results.GRADED, 9.5, 10), r("ada", B, results.GRADED, 12, 12),
            r("bob", A, results.NO_SUBMISSION, 0, 10), r("bob", B, results.TIMED_OUT, 0, 12)]


def table(text):
    return list(csv.reader(io.StringIO(text)))


def test_canvas_csv_has_canvas_columns_points_possible_and_blank_for_nothing_handed_in(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("Student,Name,SIS User ID,SIS Login ID,Section,Email\n"
                      "ada,\"Lovelace, Ada\",S-001,ada@uni.example,L01,ada@uni.example\n"
                      "bob,\"Babbage, Bob\",S-002,bob@uni.example,L02,\n")
    people = lms.identities([], roster)
    lines = table(lms.canvas_csv(rows(), [A, B], people))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A, B]
    assert lines[1] == ["    Points Possible", "", "", "", "", "10", "12"]
    assert lines[2] == ["Lovelace, Ada", "", "S-001", "ada@uni.example", "L01", "9.5", "12"]
    # no submission: empty (Canvas keeps what it has); timed out: 0
    assert lines[3] == ["Babbage, Bob", "", "S-002", "bob@uni.example", "L02", "", "0"]
    assert len(lines) == 4


def test_canvas_user_ids_come_from_the_names_of_a_canvas_export(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / f"ada_12345_678901_{A}.ipynb").write_text("{}")
    (export / f"bob_LATE_23456_789012_{A}.ipynb").write_text("{}")
    found = intake.collect(export, tmp_path / "work", [A, B]).files
    assert {(f.student, f.platform, f.account) for f in found} == {
        ("ada", "canvas", "12345"), ("bob", "canvas", "23456")}
    lines = table(lms.canvas_csv(rows(), [A], lms.identities(found)))
    assert [line[:2] for line in lines[2:]] == [["ada", "12345"], ["bob", "23456"]]


def test_moodle_csv_maps_by_username_email_or_id_number(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("username,email,ID number,full name\n"
                      "ada,ada@uni.example,1001,Ada Lovelace\nbob,,1002,Bob Babbage\n")
    lines = table(lms.moodle_csv(rows(), [A, B], lms.identities([], roster)))
    assert lines == [["Username", "Email address", "ID number", "Full name", A, B],
                     ["ada", "ada@uni.example", "1001", "Ada Lovelace", "9.5", "12"],
                     ["bob", "", "1002", "Bob Babbage", "", "0"]]


def test_moodle_full_names_come_from_the_folders_of_a_moodle_export(tmp_path):
    export = tmp_path / "export"
    for name in ("Ada Lovelace_4711", "Bob Babbage_4712"):
        folder = export / f"{name}_assignsubmission_file_"
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_text("{}")
    found = sorted(intake.collect(export, tmp_path / "work", [A]).files, key=lambda f: f.path)
    assert [(f.platform, f.account, f.full_name) for f in found] == [
        ("moodle", "4711", "Ada Lovelace"), ("moodle", "4712", "Bob Babbage")]
    rows_ = [results.Result(found[0].student, A, results.GRADED, 7, 10)]
    lines = table(lms.moodle_csv(rows_, [A], lms.identities(found)))
    # the student id is made from the name: no username, the full name to map by hand
    assert lines[1] == ["", "", "", "Ada Lovelace", "7"]
