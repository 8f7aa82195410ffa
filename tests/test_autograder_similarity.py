"""The similarity report and the engine-copy flag, on a real graded class of 03-vector-backprop.

- ada hands in the solutions; copycat hands in ada's notebook with every local variable renamed;
- paster pastes a function of the engine (course/backward_check.py's `_unbroadcast`) into the
  reduction exercise and leaves the rest blank;
- honest1 and honest2 fill in only the one-line exercises (among them a cell of three one-line
  derivatives), with the same one-liners as ada's.

Exactly two things are reported in report.html: ada and copycat, and paster with the engine's
function; paster's notes carry the engine-copy flag (for review, the score unchanged).
"""

import ast
import csv
import io
import re
import sys
import textwrap
import tokenize
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from autograder import pipeline, similarity  # noqa: E402
from autograder.cells import grade_id, is_solution  # noqa: E402
from autograder.demo import filled_release  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("similarity")]
ASSIGNMENT = "03-vector-backprop"
PASTED = "_unbroadcast"   # a function of course/backward_check.py
PASTED_INTO = "reduction-vjps"


def renamed_locals(code):
    """`code` with every name assigned inside a function renamed (its arguments kept: tests
    call them by keyword), as a student who copies and disguises would."""
    stored = {node.id for fn in ast.walk(ast.parse(code))
              if isinstance(fn, (ast.FunctionDef, ast.Lambda))
              for node in ast.walk(fn) if isinstance(node, ast.Name)
              and isinstance(node.ctx, ast.Store)}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        text = f"my_{tok.string}_value" if tok.type == tokenize.NAME and tok.string in stored \
            else tok.string
        out.append((tok.type, text))
    return tokenize.untokenize(out)


def engine_source(name):
    function = next(f for f in similarity.engine_functions() if f.where.split(": ")[1]
                    .startswith(f"{name},"))
    return function.code


def release():
    return nbformat.read(REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                         as_version=4)


def write(class_dir, student, nb):
    folder = class_dir / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    class_dir = tmp_path_factory.mktemp("class")
    ada = filled_release(REPO_ROOT, ASSIGNMENT)
    write(class_dir, "ada", ada)

    copycat = nbformat.from_dict(ada)
    renamed = 0
    for cell in copycat.cells:
        if cell.cell_type == "code" and is_solution(cell):
            new = renamed_locals(cell.source)
            renamed += new != cell.source
            cell.source = new
    assert renamed >= 3
    write(class_dir, "copycat", copycat)

    paster = release()
    for cell in paster.cells:
        if grade_id(cell) == PASTED_INTO:
            cell.source = textwrap.dedent(engine_source(PASTED)) + "\n\n" + cell.source
    write(class_dir, "paster", paster)

    given = similarity.cell_sources(release())
    short = {gid for gid, code in similarity.cell_sources(ada).items()
             if similarity.fingerprint(code, given[gid]) is None}
    # the one-liners, and the cell of three one-line derivatives between released def lines
    assert len(short) >= 3 and "elementwise-derivations" in short, short
    for student in ("honest1", "honest2"):
        nb = release()
        for cell in nb.cells:
            if grade_id(cell) in short:
                cell.source = similarity.cell_sources(ada)[grade_id(cell)]
        write(class_dir, student, nb)

    out = tmp_path_factory.mktemp("graded")
    summary = pipeline.grade_class(class_dir, out, jobs=2, log=lambda _: None)
    assert summary.graded_now == 5
    return out, short


def reported(out):
    """The summaries of the report's near-identical section: [(student, other, cells)]."""
    html = (out / "report.html").read_text()
    section = html.split("<h2>Near-identical solutions</h2>")[1].split("<h2>")[0]
    return [(m[1], m[2], m[3]) for m in re.finditer(
        r"<summary>[^:]+: <b>([^<]+)</b> and <b>([^<]+)</b>: ([^<]*)</summary>", section)]


def test_exactly_the_renamed_copy_and_the_pasted_engine_function_are_reported(graded):
    out, short = graded
    pairs = reported(out)
    assert len(pairs) == 2, pairs
    (student, other, cells), (paster, engine, pasted_cells) = pairs
    assert (student, other) == ("ada", "copycat")
    compared = {gid for gid in similarity.cell_sources(release()) if gid not in short}
    assert {c.split(" (")[0] for c in cells.split(", ")} == compared
    assert paster == "paster"
    assert re.fullmatch(rf"course/backward_check\.py: {PASTED}, line \d+", engine), engine
    assert pasted_cells.startswith(f"{PASTED_INTO} (")
    html = (out / "report.html").read_text()
    assert "honest1" not in html.split("<h2>Near-identical solutions</h2>")[1]


def test_the_pasted_engine_function_is_a_scan_flag_for_review(graded):
    out, _ = graded
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["paster"]["status"] == "needs review"
    assert "the engine's own code (course/backward_check.py" in rows["paster"]["notes"]
    for student in ("ada", "copycat", "honest1", "honest2"):
        assert "engine's own code" not in rows[student]["notes"], student
    assert rows["copycat"]["score"] == rows["ada"]["score"]
