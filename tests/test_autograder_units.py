"""The autograder's parts, without running nbgrader: collecting, planning, feedback, tables.

The real runs (nbgrader, kernels, time limits) are in the other test_autograder_*.py files.
"""

import copy
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `autograder` is a folder of the repository, not installed
    sys.path.insert(0, str(REPO_ROOT))

from autograder import extract, feedback, intake, plan, progress, results, tables  # noqa: E402
from autograder.__main__ import parse_args  # noqa: E402
from autograder.cells import (cell_name, cells_by_id, grade_id, grade_ids, is_solution,  # noqa: E402
                              nbgrader_cells, points)
from autograder.course_layout import notebook_file  # noqa: E402
from autograder.demo import filled_release, noisy_answer  # noqa: E402
from autograder.templates import spec_from_notebooks  # noqa: E402

ASSIGNMENT = "03-vector-backprop"


@pytest.fixture(scope="module")
def spec():
    """The spec of 03-vector-backprop from the committed source and release (no nbgrader)."""
    source = notebook_file(REPO_ROOT / "source", ASSIGNMENT)
    release = notebook_file(REPO_ROOT / "release", ASSIGNMENT)
    return spec_from_notebooks(ASSIGNMENT, nbformat.read(source, as_version=4),
                               nbformat.read(release, as_version=4), source.name, "fp")


def solved_bytes(nb=None):
    return nbformat.writes(nb or filled_release(REPO_ROOT, ASSIGNMENT)).encode()


def cell_of(nb, gid):
    return cells_by_id(nb)[gid]


# --- the spec ---------------------------------------------------------------------------------

def test_spec_knows_the_tests_their_points_and_which_are_hidden(spec):
    ids = [t.id for t in spec.tests]
    assert "test-elementwise-vjp" in ids and "test-elementwise-vjp-hidden" in ids
    hidden = {t.id for t in spec.tests if t.hidden}
    assert hidden == {i for i in ids if i.endswith("-hidden")}
    assert spec.max_score == sum(t.points for t in spec.tests) > 0
    assert "elementwise-vjp" in spec.solutions and "elementwise-vjp" not in spec.locked
    assert spec.locked["test-elementwise-vjp-hidden"][1] != cell_of(
        nbformat.read(notebook_file(REPO_ROOT / "source", ASSIGNMENT), as_version=4),
        "test-elementwise-vjp-hidden").source, "the spec must keep the released (public) text"


# --- collecting -------------------------------------------------------------------------------

@pytest.mark.parametrize("parts, student, original", [
    (("alice_123456_7890123_03-vector-backprop.ipynb",), "alice", "03-vector-backprop.ipynb"),
    (("bob_LATE_234567_8901234_hw.ipynb",), "bob", "hw.ipynb"),
    (("carol_345678_03-vector-backprop.ipynb",), "carol", "03-vector-backprop.ipynb"),
    (("HW 3_dave_attempt_2024-10-01-12-30-00_nb.ipynb",), "dave", "nb.ipynb"),
    (("Erin Example_99887_assignsubmission_file_", "nb.ipynb"), "erin-example", "nb.ipynb"),
    (("week3", "frank", "my work.ipynb"), "frank", "my work.ipynb"),
    (("gina", "hw_3_final.ipynb"), "gina", "hw_3_final.ipynb"),  # not a Canvas name
    (("README.txt",), None, "README.txt"),
])
def test_platform_file_names_are_attributed(parts, student, original):
    assert intake.attribute_platform_file(parts) == (student, original)


def test_student_ids_are_safe_folder_names():
    assert intake.student_id(" Ann Lee/../x ") == "Ann-Lee-..-x"
    assert intake.student_id("..") is None
    assert intake.student_id("a.b-c_d@e") == "a.b-c_d@e"


def test_an_nbgrader_tree_is_collected_with_empty_and_system_folders(tmp_path):
    (tmp_path / "submitted" / "alice" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "submitted" / "alice" / ASSIGNMENT / "nb.ipynb").write_text("{}")
    checkpoints = tmp_path / "submitted" / "alice" / ASSIGNMENT / ".ipynb_checkpoints"
    checkpoints.mkdir()
    (checkpoints / "x.ipynb").write_text("")
    (tmp_path / "submitted" / "bob" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "99-other").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "99-other" / "x.ipynb").write_text("{}")
    found = intake.collect(tmp_path, tmp_path / "work", [ASSIGNMENT])
    assert found.layout == "nbgrader"
    assert found.folders == {("alice", ASSIGNMENT), ("bob", ASSIGNMENT), ("bob", "99-other")}
    by_path = {f.path: f for f in found.files}
    assert by_path[f"alice/{ASSIGNMENT}/nb.ipynb"].student == "alice"
    assert by_path[f"alice/{ASSIGNMENT}/.ipynb_checkpoints/x.ipynb"].action == "ignored"
    assert by_path["bob/99-other/x.ipynb"].assignment == "99-other"


def test_unzipping_refuses_paths_outside_the_folder(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.txt", "x")
        z.writestr("/abs.txt", "x")
        z.writestr("ok/alice_123456_1_nb.ipynb", "{}")
    target = intake.extract_zip(archive, tmp_path / "out")
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert files == ["ok/alice_123456_1_nb.ipynb"]
    assert not (tmp_path / "evil.txt").exists()


def test_a_file_that_is_neither_folder_nor_zip_is_refused(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="neither a folder nor a zip"):
        intake.collect(tmp_path / "x.csv", tmp_path / "work", [ASSIGNMENT])


# --- planning ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, stem", [("03-vector-backprop (1).ipynb", "03-vector-backprop"),
                                        ("03-vector-backprop-2.ipynb", "03-vector-backprop"),
                                        ("03-Vector-Backprop copy.ipynb", "03-vector-backprop"),
                                        ("hw.IPYNB", "hw")])
def test_copy_marks_are_taken_off_names(name, stem):
    assert plan.clean_stem(name) == stem


def test_the_assignment_of_a_platform_file_comes_from_its_name_then_its_cells(tmp_path, spec):
    other = copy.deepcopy(spec)
    other.name, other.notebook = "02-other", "02-other.ipynb"
    for t in other.tests:
        t.id = "other-" + t.id
    other.solutions = ["other-x"]
    other.locked = {}
    specs = {spec.name: spec, other.name: other}
    path = tmp_path / "x.ipynb"
    path.write_bytes(solved_bytes())
    named = intake.Found(path="p", file=path, student="a", original="03-vector-backprop (1).ipynb")
    assert plan.guess_assignment(named, specs, sorted(specs)) == (ASSIGNMENT, "by its name")
    renamed = intake.Found(path="p", file=path, student="a", original="homework.ipynb")
    assert plan.guess_assignment(renamed, specs, sorted(specs)) == (ASSIGNMENT, "by its cells")
    path.write_text("not json")
    assert plan.guess_assignment(renamed, specs, sorted(specs))[0] is None
    assert plan.guess_assignment(renamed, specs, [ASSIGNMENT])[0] == ASSIGNMENT


def test_a_good_notebook_is_graded_as_handed_in(spec):
    data = solved_bytes()
    out, notes = plan.check_notebook(data, spec.notebook, spec)
    assert out == data and notes == []


def test_a_renamed_notebook_is_graded_under_the_expected_name(spec):
    _, notes = plan.check_notebook(solved_bytes(), "my work.ipynb", spec)
    assert [n["level"] for n in notes] == ["info"]
    assert "my work.ipynb" in notes[0]["text"] and spec.notebook in notes[0]["text"]


@pytest.mark.parametrize("data, error", [(b"", plan.Empty), (b"  \n", plan.Empty),
                                         (b'{"cells": [', plan.Unreadable),
                                         (b'{"a": 1}', plan.Unreadable),
                                         (b"\xff\xfe\x00garbage", plan.Unreadable)])
def test_empty_and_unreadable_notebooks_are_told_apart(spec, data, error):
    with pytest.raises(error):
        plan.check_notebook(data, spec.notebook, spec)


def test_a_copied_graded_cell_keeps_its_first_copy(spec):
    nb = filled_release(REPO_ROOT, ASSIGNMENT)
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "elementwise-vjp")
    copy_cell = copy.deepcopy(nb.cells[index])
    copy_cell.source += "\n# my second try"
    copy_cell.id = "my-copy"
    nb.cells.insert(index + 1, copy_cell)
    out, notes = plan.check_notebook(solved_bytes(nb), spec.notebook, spec)
    graded = nbformat.reads(out.decode(), as_version=4)
    ids = [grade_id(c) for c in graded.cells if grade_id(c)]
    assert len(ids) == len(set(ids))
    assert "# my second try" in graded.cells[index + 1].source  # the copy still runs
    assert any("'elementwise-vjp' appears 2 times" in n["text"] for n in notes)


def test_deleted_tests_and_edited_locked_cells_are_noted(spec):
    nb = filled_release(REPO_ROOT, ASSIGNMENT)
    nb.cells.remove(cell_of(nb, "test-elementwise-vjp"))
    cell_of(nb, "test-relu-jacobian").source = "assert True"
    cell_of(nb, "intro").source += "\nmy notes"
    _, notes = plan.check_notebook(solved_bytes(nb), spec.notebook, spec)
    text = {n["level"]: n["text"] for n in notes if "edited" in n["text"]}
    assert "test-relu-jacobian" in text["review"]  # a test edited: a person should look
    assert "intro" in text["info"]                   # a text cell: for the record
    assert any("test-elementwise-vjp were deleted" in n["text"] for n in notes)


def test_the_wrong_notebook_is_flagged(spec):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    _, notes = plan.check_notebook(nbformat.writes(nb).encode(), spec.notebook, spec)
    assert [n["level"] for n in notes] == ["review"]


def test_cell_marks_are_read_from_nbformat_nodes_and_broken_json_alike(spec):
    nb = filled_release(REPO_ROOT, ASSIGNMENT)
    raw = json.loads(nbformat.writes(nb))
    assert grade_ids(nb) == grade_ids(raw) == spec.ids
    assert set(nbgrader_cells(nb, "solution")) == set(spec.solutions)
    assert {t.id: t.points for t in spec.tests} == {
        gid: points(c) for gid, c in nbgrader_cells(nb, "grade").items()
        if c.cell_type == "code"}
    broken = {"cells": [{"metadata": "oops"}, {"metadata": {"nbgrader": ["x"]}}, "not a cell",
                        {"metadata": {"nbgrader": {"grade_id": 7, "solution": True}}},
                        {"metadata": {"nbgrader": {"grade_id": "ok", "points": None}}}]}
    assert grade_ids(broken) == {"ok"} and grade_ids({"cells": "x"}) == grade_ids([]) == set()
    assert [grade_id(c) for c in broken["cells"]] == [None, None, None, None, "ok"]
    assert is_solution(broken["cells"][3]) and points(broken["cells"][4]) == 0.0
    assert cell_name(broken["cells"][4], 4) == "ok" and cell_name(broken["cells"][0], 0) == "cell 1"


def test_the_roster_reads_a_named_column_or_the_first(tmp_path):
    (tmp_path / "a.csv").write_text("name,Student\nAnn,ann1\nBob,bob2\n\n")
    (tmp_path / "b.csv").write_text("ann1\nbob2\n")
    assert plan.read_roster(tmp_path / "a.csv") == ["ann1", "bob2"]
    assert plan.read_roster(tmp_path / "b.csv") == ["ann1", "bob2"]


# --- results, tables, progress ----------------------------------------------------------------

def test_results_are_written_atomically_and_read_back(tmp_path):
    result = results.Result(student="s", assignment="a", status=results.NEEDS_REVIEW, score=1.5,
                            max_score=2.0, tests=[{"id": "t", "score": 1.5}],
                            notes=[results.note("n", "review")], timings={"total": 1.0})
    results.write_result(tmp_path, result)
    assert results.load_result(tmp_path, "a", "s") == result
    assert not list((tmp_path / "results" / "a").glob(".*"))  # no temporary file left
    results.result_path(tmp_path, "a", "t").write_text('{"schema": 1, "sco')  # torn write
    assert results.load_result(tmp_path, "a", "t") is None


def test_result_files_of_earlier_runs_are_read_or_graded_again(tmp_path):
    """A result file as the autograder wrote it before results.Result (same fields, a dict)
    is read; one of another schema, or missing a field, counts as missing (graded again)."""
    earlier = {"schema": 1, "student": "s", "assignment": "a", "notebook": "a.ipynb",
               "input_hash": "abc", "source": "s/a/a.ipynb", "status": "graded", "score": 2.0,
               "max_score": 2.0, "tests": [], "cell_errors": [], "notes": [],
               "timings": {"total": 3.0}, "autograded": "autograded/s/a/a.ipynb"}
    path = results.result_path(tmp_path, "a", "s")
    results.write_json_atomic(path, earlier)
    read = results.load_result(tmp_path, "a", "s")
    assert read.to_json() == earlier and read.scored
    for changed in ({**earlier, "schema": 2}, {k: v for k, v in earlier.items() if k != "status"},
                    [earlier]):
        results.write_json_atomic(path, changed)
        assert results.load_result(tmp_path, "a", "s") is None
    results.write_json_atomic(path, {**earlier, "added_later": 1})    # a newer field: ignored
    assert results.load_result(tmp_path, "a", "s").to_json() == earlier


def test_unchanged_outputs_are_not_rewritten(tmp_path):
    assert results.write_if_changed(tmp_path / "f.txt", "x")
    assert not results.write_if_changed(tmp_path / "f.txt", "x")
    assert results.write_if_changed(tmp_path / "f.txt", b"y")


def test_grades_csv_has_one_row_per_student_and_assignment():
    rows = [results.Result(student="a", assignment="x", score=3.0, max_score=4.0,
                           status=results.NEEDS_REVIEW, notes=[results.note("n1", "review"),
                                                               results.note("n2")]),
            results.Result(student="b", assignment="x", score=0.0, max_score=4.0,
                           status=results.NO_SUBMISSION, notes=[])]
    assert tables.grades_csv(rows) == ("student,assignment,score,max_score,status,notes\n"
                                       "a,x,3,4,needs review,n1; n2\n"
                                       "b,x,0,4,no submission,\n")


def test_the_progress_line_says_done_total_elapsed_rate_and_time_left():
    now = [0.0]
    stream = io.StringIO()
    bar = progress.Progress(4, stream=stream, clock=lambda: now[0])
    now[0] = 30.0
    bar.update("alice 03: graded 21/21")
    assert stream.getvalue() == ("[1/4] 30 s, 2.0 notebooks/min, about 1 min 30 s left | "
                                 "alice 03: graded 21/21\n")
    assert progress.duration(3725) == "1 h 02 min"


# --- what a graded notebook says, and what feedback shows -------------------------------------

SECRET = "SECRET-HIDDEN-CODE-1234"


def graded_notebook(spec):
    """An autograded-like notebook: hidden tests with their (secret) source back in, outputs."""
    nb = filled_release(REPO_ROOT, ASSIGNMENT)
    hidden = cell_of(nb, "test-elementwise-vjp-hidden")
    hidden.source += f"\n### BEGIN HIDDEN TESTS\n# {SECRET}\nassert False\n### END HIDDEN TESTS"
    hidden.outputs = [
        nbformat.v4.new_output("stream", name="stderr",
                               text=f"x.py:3: UserWarning: w\n  {SECRET}\n"),
        nbformat.v4.new_output("error", ename="GradientError",
                               evalue="relu_vjp: wrong at index 0\nHint: mask x > 0",
                               traceback=[f"\x1b[0;31m----> 3 {SECRET}\x1b[0m"]),
    ]
    visible = cell_of(nb, "test-elementwise-vjp")
    visible.source = f"# {SECRET} (the instructor's copy, put back by nbgrader)\n" + visible.source
    visible.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="shape",
                                              traceback=["Traceback", "AssertionError: shape"])]
    answer = cell_of(nb, "elementwise-vjp")
    answer.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<script>alert(1)</script>", "text/plain": "<b>plain</b>"})]
    noisy = cell_of(nb, "test-relu-jacobian")
    noisy.outputs = [nbformat.v4.new_output("stream", name="stderr", text="debug\n")]
    return nb


def test_extract_keeps_no_trace_of_hidden_code(spec):
    nb = graded_notebook(spec)
    scores = {t.id: (0.0 if t.id in ("test-elementwise-vjp-hidden", "test-elementwise-vjp",
                                      "test-relu-jacobian") else t.points, t.points)
              for t in spec.tests}
    tests, cell_errors, notes = extract.tests_and_notes(nb, scores, spec)
    by_id = {t["id"]: t for t in tests}
    hidden = by_id["test-elementwise-vjp-hidden"]
    assert hidden["message"].startswith("GradientError: relu_vjp: wrong at index 0")
    assert "traceback" not in hidden and "stderr" not in hidden
    assert SECRET not in json.dumps(tests)
    assert by_id["test-elementwise-vjp"]["traceback"]
    assert by_id["test-relu-jacobian"]["outcome"] == "failed"
    assert any("test-relu-jacobian" in n["text"] and n["level"] == "review" for n in notes)


def test_feedback_shows_no_hidden_code_no_instructor_text_and_no_html(spec):
    nb = graded_notebook(spec)
    release = nbformat.read(notebook_file(REPO_ROOT / "release", ASSIGNMENT), as_version=4)
    scores = {t.id: (0.0 if t.hidden else t.points, t.points) for t in spec.tests}
    tests, _, notes = extract.tests_and_notes(nb, scores, spec)
    row = results.Result(student="ann", assignment=ASSIGNMENT, status=results.GRADED,
                         score=7.0, max_score=spec.max_score, notes=notes, tests=tests)
    html = feedback.render(row, spec, release, nb)
    assert SECRET not in html
    assert "<script>" not in html and "&lt;b&gt;plain&lt;/b&gt;" in html
    assert "hidden test test-elementwise-vjp-hidden" in html
    assert "GradientError: relu_vjp: wrong at index 0" in html
    assert "def elementwise_vjp" in html  # the student's own answer is shown


def test_a_noisy_answer_still_defines_the_function():
    source = "def f(x):\n    return 2 * x\n"
    namespace = {}
    exec(noisy_answer(source), namespace)
    assert namespace["f"](3) == 6


# --- the command line and make ----------------------------------------------------------------

def test_the_command_line_defaults():
    args = parse_args(["grade"])
    assert args.submissions is None and args.out is None and args.jobs is None
    with pytest.raises(SystemExit):
        parse_args(["grade", "x", "--jobs", "0"])


def test_limits_are_read_from_the_command_line_in_units():
    from autograder import sandbox

    args = parse_args(["grade", "x", "--limit", "total_memory=1.5GiB", "--limit", "cpu=90",
                       "--limit", "Processes=8", "--limit", "scratch=512m"])
    assert (args.limits.total_memory_bytes, args.limits.cpu_seconds, args.limits.processes,
            args.limits.scratch_bytes) == (3 * sandbox.GiB // 2, 90, 8, 512 * sandbox.MiB)
    assert args.limits.memory_bytes == sandbox.Limits().memory_bytes  # the rest: defaults
    assert parse_args(["grade"]).limits == sandbox.Limits()
    # what the run prints reads back as the same limits
    described = sandbox.describe_limits(args.limits)
    assert sandbox.parse_limits(described.split()) == args.limits


@pytest.mark.parametrize("item, says", [
    ("ram=2GiB", "NAME one of memory"), ("memory", "NAME=VALUE"),
    ("memory=lots", "not a size"), ("processes=2.5", "not a whole number"),
    ("wall=soon", "not a number of seconds"), ("cpu=0", "must be positive")])
def test_a_bad_limit_is_refused_in_words(item, says, capsys):
    with pytest.raises(SystemExit):
        parse_args(["grade", "x", "--limit", item])
    assert says in capsys.readouterr().err


def test_make_autograde_passes_its_variables_on():
    dry = subprocess.run(["make", "-n", "autograde", "SUBMISSIONS=export.zip", "OUT=out",
                          "JOBS=3", "ROSTER=class.csv", "ASSIGNMENTS=03-vector-backprop"],
                         cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    line = " ".join(dry.replace("\\\n", " ").split())
    assert ('-m autograder grade "export.zip" --out "out" --assignments 03-vector-backprop '
            '--jobs 3 --roster "class.csv"') in line
    demo = subprocess.run(["make", "-n", "autograde"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout
    assert "-m autograder grade" in demo and "--out" not in demo
    assert "--assignments" not in demo  # every assignment handed in, not Makefile's list


def test_the_cluster_options_one_or_the_other_and_through_make():
    assert parse_args(["grade", "x", "--cluster", "tcp://h:8786"]).cluster == "tcp://h:8786"
    assert parse_args(["grade", "x", "--scheduler-file", "s.json"]).scheduler_file == "s.json"
    with pytest.raises(SystemExit):
        parse_args(["grade", "x", "--cluster", "tcp://h:8786", "--scheduler-file", "s.json"])
    for variable, option in (("CLUSTER=tcp://h:8786", '--cluster "tcp://h:8786"'),
                             ("SCHEDULER_FILE=s.json", '--scheduler-file "s.json"')):
        dry = subprocess.run(["make", "-n", "autograde", variable], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout
        line = " ".join(dry.replace("\\\n", " ").split())
        assert option in line, line
        if not (REPO_ROOT / ".venv" / ".stamp-cluster").exists():
            assert "-e '.[cluster]'" in dry          # the extra is installed first
