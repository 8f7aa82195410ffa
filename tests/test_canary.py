"""The canary cell (autograder/canary.py): its checks, run in this process on a namespace built
like a notebook's, catch each kind of tampering and nothing in an honest one; its report is read
back, and attributed to the cell and line that did it. (The same cell in a sandboxed kernel, on
real hostile submissions: tests/test_sandbox.py.)"""

import builtins
import json
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import course
import course.gradcheck
import course.ops
from autograder import canary, canary_payload
from autograder.cells import cells_by_id, grade_id, is_locked, is_test
from nbgrader_course import REPO, filled_release, notebook_file

ASSIGNMENT = "01-computational-graphs"


def release():
    return nbformat.read(notebook_file(REPO / "release", ASSIGNMENT), as_version=4)


@pytest.fixture
def notebook_namespace():
    """The globals a notebook has after its locked cells ran (setup, helpers)."""
    namespace = {"__name__": "__main__"}
    for cell in release().cells:
        if cell.cell_type == "code" and is_locked(cell) and not is_test(cell):
            exec(compile(cell.source, f"<{grade_id(cell)}>", "exec"), namespace)
    return namespace


def run_canary(namespace, capsys):
    params = canary.canary_parameters(release(), "abc123")
    capsys.readouterr()
    canary_payload._canary(params, namespace)
    out = capsys.readouterr().out.strip().splitlines()[-1]
    prefix, nonce, report = out.split(" ", 2)
    assert (prefix, nonce) == ("BACKPROP-CANARY", "abc123")
    report = json.loads(report)
    hooks = sys.gettrace() is not None or sys.getprofile() is not None   # coverage, a debugger
    return [p["what"] for p in report["problems"] if not (hooks and "hook" in p["what"])], report


def test_an_honest_namespace_passes(notebook_namespace, capsys):
    problems, report = run_canary(notebook_namespace, capsys)
    assert problems == []
    assert report["checks"] > 100


def test_a_decorated_engine_function_imported_by_another_module_is_no_tampering(
        notebook_namespace, capsys, monkeypatch):
    """A wrapped function (functools.wraps, @contextmanager) of one course module, imported by
    another: both modules hold the wrapper, which is the home module's own, not a replacement."""
    import functools

    import course.figures
    import course.timing

    wrapper = functools.wraps(course.timing.best_time)(lambda *args, **kwargs: None)
    monkeypatch.setattr(course.timing, "helper", wrapper, raising=False)
    monkeypatch.setattr(course.figures, "helper", wrapper, raising=False)
    problems, _ = run_canary(notebook_namespace, capsys)
    assert problems == []


def test_replaced_allclose_is_caught_and_located(notebook_namespace, capsys, monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    problems, report = run_canary(notebook_namespace, capsys)
    assert any("numpy.allclose" in p for p in problems), problems
    where = next(p["where"] for p in report["problems"]
                 if "numpy.allclose was replaced" in p["what"])
    assert where[0] == __file__


def test_a_checker_that_accepts_everything_is_caught(notebook_namespace, capsys, monkeypatch):
    monkeypatch.setattr(course.gradcheck, "check_vjp", lambda *args, **kwargs: None)
    notebook_namespace["check_vjp"] = course.gradcheck.check_vjp
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("accepted a known-wrong gradient" in p for p in problems), problems
    assert any("course.gradcheck.check_vjp was replaced" in p for p in problems), problems


def test_a_deeper_change_in_the_checker_is_caught(notebook_namespace, capsys, monkeypatch):
    monkeypatch.setattr(course.gradcheck, "_compare", lambda *args, **kwargs: None)
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("accepted a known-wrong gradient" in p for p in problems), problems
    assert any("_compare" in p for p in problems), problems


def test_a_redefined_checking_helper_is_caught(notebook_namespace, capsys):
    def close(got, expected, tol=1e-9):
        return True

    notebook_namespace["close"] = close          # imported by the setup cell from gradcheck
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("close no longer points to course.gradcheck.close" in p for p in problems), problems
    assert any("close() does not tell" in p for p in problems), problems


def test_a_redefined_helper_of_a_locked_cell_is_caught(notebook_namespace, capsys):
    def engine_gradients(build, *numbers):
        return 0.0, [0.0 for _ in numbers]

    notebook_namespace["engine_gradients"] = engine_gradients    # defined by a locked cell
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("helper engine_gradients was replaced" in p for p in problems), problems


def test_a_changed_engine_rule_is_caught(notebook_namespace, capsys, monkeypatch):
    monkeypatch.setitem(course.ops.multiply.vjps, 0, lambda g, ans, x, y: g * x)
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("multiply.vjps[0] was replaced" in p for p in problems), problems


def test_a_swapped_engine_function_is_caught(notebook_namespace, capsys, monkeypatch):
    monkeypatch.setattr(course, "grad", course.jacrev)
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("course.grad" in p for p in problems), problems


def test_a_replaced_builtin_is_caught(notebook_namespace, capsys, monkeypatch):
    monkeypatch.setattr(builtins, "round", lambda x, n=None: 0)
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("builtins.round" in p for p in problems), problems


def test_a_rebound_import_is_caught(notebook_namespace, capsys):
    notebook_namespace["check_vjp"] = lambda *args, **kwargs: None
    problems, _ = run_canary(notebook_namespace, capsys)
    assert any("check_vjp no longer points to course.gradcheck.check_vjp" in p
               for p in problems), problems


# --- the cell in a notebook ---------------------------------------------------------------------

def test_the_cell_is_added_once_and_stripped():
    nb = filled_release(ASSIGNMENT)
    count = len(nb.cells)
    with_canary = canary.add_canary_cell(nb, reference=release())
    assert len(nb.cells) == count                      # the original is not changed
    assert len(with_canary.cells) == count + 1 and canary._is_canary(with_canary.cells[-1])
    again = canary.add_canary_cell(with_canary, reference=release())
    assert len(again.cells) == count + 1
    assert with_canary.cells[-1].source != again.cells[-1].source      # a new nonce
    nbformat.validate(again)
    assert "metadata" in again.cells[-1] and "nbgrader" not in again.cells[-1].metadata
    assert len(canary.strip_canary_cell(again).cells) == count


def test_the_cell_leaves_no_names_behind(notebook_namespace, capsys):
    before = set(notebook_namespace)
    source = canary.canary_source(canary.canary_parameters(release(), "ff00"))
    exec(compile(source, "<canary>", "exec"), notebook_namespace)
    assert set(notebook_namespace) == before
    assert "BACKPROP-CANARY ff00 " in capsys.readouterr().out


def _with_output(nb, text=None, error=None):
    cell = nb.cells[-1]
    if text is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if error is not None:
        cell.outputs = [nbformat.v4.new_output("error", ename=error, evalue="x", traceback=[])]
    return nb


def _line(report):
    return f"BACKPROP-CANARY beef {json.dumps(report)}\n"


def test_the_cell_does_not_change_when_the_payload_changes_on_disk(monkeypatch):
    """A worker lives for a whole run: an edited canary_payload.py (a git pull while grading)
    must not change the code it pastes into the cells: the file is read once, at import."""
    import linecache

    before = canary.add_canary_cell(filled_release(ASSIGNMENT), nonce="beef",
                                    reference=release()).cells[-1].source
    path = canary_payload._canary.__code__.co_filename
    assert Path(path) == canary.PAYLOAD
    text = Path(path).read_text()
    edited = text.replace("    problems = []\n", "    problems = []  # edited meanwhile\n", 1)
    shifted = ["# a line added while the worker runs\n"] * 12 + edited.splitlines(keepends=True)
    monkeypatch.setitem(linecache.cache, path, (0, None, shifted, path))  # mtime None: kept
    read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *args, **kwargs: "".join(shifted)
                        if self == canary.PAYLOAD else read_text(self, *args, **kwargs))
    # what reading the file again would paste
    assert canary._payload_function(canary.PAYLOAD.read_text()) != canary._payload_function(text)
    after = canary.add_canary_cell(filled_release(ASSIGNMENT), nonce="beef",
                                   reference=release()).cells[-1].source
    assert after == before and "\ndef _canary(params, namespace):\n" in after
    assert canary._payload_function(text) in after      # the function, as it was


def test_reading_the_report():
    nb = canary.add_canary_cell(filled_release(ASSIGNMENT), nonce="beef", reference=release())
    assert not canary.read_canary(filled_release(ASSIGNMENT)).present
    silent = canary.read_canary(nb)
    assert silent.tampered and "did not report" in silent.flags[0].message
    failed = canary.read_canary(_with_output(nb, error="NameError"))
    assert failed.tampered and "NameError" in failed.flags[0].message
    forged = canary.read_canary(_with_output(
        nb, text='BACKPROP-CANARY 0000 {"nonce": "0000", "checks": 1, "problems": []}\n'))
    assert forged.tampered
    good = canary.read_canary(_with_output(
        nb, text='BACKPROP-CANARY beef {"nonce": "beef", "checks": 9, "problems": []}\n'))
    assert good.ran and not good.tampered and good.checks == 9


def test_a_problem_is_located_in_the_cell_that_caused_it():
    nb = canary.add_canary_cell(filled_release(ASSIGNMENT), nonce="beef", reference=release())
    cell = cells_by_id(nb)["max-backward"]
    cell.source += "\nimport numpy as np\nnp.allclose = lambda *a, **k: True\n"
    line = cell.source.splitlines().index("np.allclose = lambda *a, **k: True") + 1
    filename = f"/tmp/ipykernel_7/{canary._murmur2(cell.source, canary.SEED)}.py"
    report = {"nonce": "beef", "checks": 3, "problems": [
        {"what": "numpy.allclose was replaced", "where": [filename, line]}]}
    result = canary.read_canary(_with_output(nb, text=_line(report)))
    assert result.tampered
    [flag] = result.flags
    assert (flag.kind, flag.cell, flag.line, flag.code) == (
        "tamper", "max-backward", line, "np.allclose = lambda *a, **k: True")


def test_a_problem_is_located_in_a_cell_that_starts_with_blank_lines():
    """IPython drops a cell's leading blank lines before compiling it: the kernel's line numbers
    count from the first line of code, the flag's from the cell's first line."""
    from IPython.core.inputtransformer2 import TransformerManager

    nb = canary.add_canary_cell(filled_release(ASSIGNMENT), nonce="beef", reference=release())
    cell = cells_by_id(nb)["max-backward"]
    patch = "np.allclose = lambda *a, **k: True"
    cell.source = "\n  \n\n" + cell.source + f"\nimport numpy as np\n{patch}\n"
    compiled = TransformerManager().transform_cell(cell.source).splitlines()
    filename = f"/tmp/ipykernel_7/{canary._murmur2(cell.source, canary.SEED)}.py"
    report = {"nonce": "beef", "checks": 3, "problems": [
        {"what": "numpy.allclose was replaced", "where": [filename, compiled.index(patch) + 1]}]}
    [flag] = canary.read_canary(_with_output(nb, text=_line(report))).flags
    assert flag.line == cell.source.splitlines().index(patch) + 1 and flag.code == patch


@pytest.mark.parametrize("text", ["", "a", "ab", "abc", "abcd", "abcde", "été ∂x/∂y",
                                  "x" * 1001])
def test_cell_file_names_match_ipykernel(text):
    from ipykernel.compiler import murmur2_x86

    assert canary._murmur2(text, canary.SEED) == murmur2_x86(text, canary.SEED)


def test_a_global_that_shadows_a_builtin_is_for_review_only():
    nb = canary.add_canary_cell(filled_release(ASSIGNMENT), nonce="beef", reference=release())
    report = {"nonce": "beef", "checks": 3, "problems": [
        {"what": "the notebook's global sum shadows the builtin: an int", "where": None,
         "severity": "review"}]}
    result = canary.read_canary(_with_output(nb, text=_line(report)))
    assert not result.tampered and [f.kind for f in result.flags] == ["shadowing"]


def test_shadowing_sum_in_an_honest_namespace_is_reported_not_tampering(notebook_namespace, capsys):
    notebook_namespace["sum"] = 0
    params = canary.canary_parameters(release(), "abc123")
    canary_payload._canary(params, notebook_namespace)
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1].split(" ", 2)[2])
    assert [p["severity"] for p in report["problems"] if "sum" in p["what"]] == ["review"]
