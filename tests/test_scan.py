"""The static scan (autograder/scan.py): the real solutions raise nothing; tampering, escapes and
borrowing the engine's rule are flagged with the cell and the line."""

import nbformat
import pytest

from autograder import scan
from nbgrader_course import REPO, assignments, filled_release, nbgrader_cells, notebook_file

ASSIGNMENTS = assignments()


def release(assignment):
    return nbformat.read(notebook_file(REPO / "release", assignment), as_version=4)


def source(assignment):
    return nbformat.read(notebook_file(REPO / "source", assignment), as_version=4)


def flags_for(assignment, cell, code, reference=True):
    nb = filled_release(assignment, {cell: code})
    return [f for f in scan.scan_notebook(nb, reference=release(assignment) if reference else None,
                                          assignment=assignment) if f.cell == cell]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solutions_raise_no_flag(assignment):
    nb = filled_release(assignment)
    assert [f.text() for f in scan.scan_notebook(nb, reference=release(assignment),
                                                 assignment=assignment)] == []
    # the instructor notebook scanned on its own: its demo cells are not tampering either
    assert [f.text() for f in scan.scan_notebook(source(assignment), assignment=assignment)] == []


def test_every_exercise_of_the_policy_exists():
    policy = scan.load_policy()
    grade_ids = {gid for a in ASSIGNMENTS for gid in nbgrader_cells(source(a), "solution")}
    named = {key.split("/")[-1] for key in policy.exercises}
    assert named <= grade_ids, f"engine_policy.toml names unknown exercises {named - grade_ids}"
    for key, entry in policy.exercises.items():
        for name in entry.get("allow", []) + entry.get("forbid", []):
            assert name in policy.categories or name in policy.engine_names, (key, name)


# --- borrowing the engine's rule --------------------------------------------------------------

CHEATS = [
    # (assignment, exercise, solution cell, the line that must be flagged)
    ("01-computational-graphs", "max-backward",
     "def max_backward(upstream, x, y):\n"
     "    _, (dx, dy) = engine_gradients(lambda a, b: a.max(b), x, y)\n"
     "    return dx * upstream, dy * upstream\n",
     "_, (dx, dy) = engine_gradients(lambda a, b: a.max(b), x, y)"),
    ("01-computational-graphs", "tanh-backward",
     "def tanh_backward(upstream, out):\n"
     "    x = Value(float(np.arctanh(out)))\n"
     "    x.tanh().backward()\n"
     "    return x.grad * upstream\n",
     "x = Value(float(np.arctanh(out)))"),
    ("01-computational-graphs", "tanh-backward",
     "from course.gate_rules import tanh_backward as rule\n"
     "def tanh_backward(upstream, out):\n"
     "    return rule(upstream, out)\n",
     "from course.gate_rules import tanh_backward as rule"),
    ("01-computational-graphs", "relative-error",
     "def relative_error(a, b):\n"
     "    return rel_error(a, b)\n",
     "return rel_error(a, b)"),
    ("01-computational-graphs", "divide-backward",
     "from course.gradcheck import numerical_vjp\n"
     "def divide_backward(upstream, x, y):\n"
     "    return numerical_vjp(lambda x, y: x / y, [x, y], upstream)\n",
     "from course.gradcheck import numerical_vjp"),
    ("02-modular-backprop", "divide-function",
     "class Divide(Function):\n"
     "    @staticmethod\n"
     "    def forward(ctx, x, y):\n"
     "        ctx.save_for_backward(x, y)\n"
     "        return x / y\n\n"
     "    @staticmethod\n"
     "    def backward(ctx, grad_d):\n"
     "        x, y = ctx.saved_tensors\n"
     "        return backprop(lambda a, b: a / b, grad_d, x, y)[1]\n",
     "return backprop(lambda a, b: a / b, grad_d, x, y)[1]"),
    ("02-modular-backprop", "tanh-function",
     "class Tanh(Function):\n"
     "    @staticmethod\n"
     "    def forward(ctx, x):\n"
     "        ctx.save_for_backward(x)\n"
     "        return np.tanh(x)\n\n"
     "    @staticmethod\n"
     "    def backward(ctx, grad_t):\n"
     "        (x,) = ctx.saved_tensors\n"
     "        rule = course.ops.tanh.vjps[0]\n"
     "        return rule(grad_t, np.tanh(x), x)\n",
     "rule = course.ops.tanh.vjps[0]"),
    ("03-vector-backprop", "relu-jacobian",
     "def relu_jacobian(x):\n    return course.jacrev(course.relu)(x)\n",
     "return course.jacrev(course.relu)(x)"),
    ("03-vector-backprop", "softmax-vjp",
     "from course import vjp as pullback\n"
     "def softmax_vjp(upstream, x):\n"
     "    return pullback(course.softmax, x)[1](upstream)[0]\n",
     "return pullback(course.softmax, x)[1](upstream)[0]"),
    ("04-matrix-backprop", "matmul-vjp",
     "def matmul_vjp(upstream, x, W):\n"
     "    xt, wt = course.Tensor(x, requires_grad=True), course.Tensor(W, requires_grad=True)\n"
     "    ((xt @ wt) * upstream).sum().backward()\n"
     "    return xt.grad, wt.grad\n",
     "xt, wt = course.Tensor(x, requires_grad=True), course.Tensor(W, requires_grad=True)"),
    ("05-forward-mode", "standardize-jvp",
     "def standardize_jvp(tangents, x):\n"
     "    return course.jvp(standardize, (x,), tangents)[1]\n",
     "return course.jvp(standardize, (x,), tangents)[1]"),
    ("05-forward-mode", "jacobian-fwd",
     "def jacobian_fwd(f, x):\n    return course.jacfwd(f)(np.asarray(x, dtype=np.float64))\n",
     "return course.jacfwd(f)(np.asarray(x, dtype=np.float64))"),
    ("05-forward-mode", "logsumexp-jvp",
     "grad_fn = course.grad\n"
     "def logsumexp_jvp(tangents, x):\n"
     "    return engine_vjp(logsumexp)(tangents[0], x)\n",
     "return engine_vjp(logsumexp)(tangents[0], x)"),
    ("06-higher-order", "hvp-rev-rev",
     "def hvp_rev_rev(f, x, v):\n    return course.hvp(f, x, v)\n",
     "return course.hvp(f, x, v)"),
    ("06-higher-order", "hessian",
     "def hessian(f, x):\n    return course.jacfwd(course.jacrev(f))(np.asarray(x, dtype=float))\n",
     "return course.jacfwd(course.jacrev(f))(np.asarray(x, dtype=float))"),
    ("06-higher-order", "silu-second-derivative",
     "def silu_second_derivative(x):\n"
     "    return nth_derivative(silu, 2)(np.asarray(x, dtype=float))\n",
     "return nth_derivative(silu, 2)(np.asarray(x, dtype=float))"),
]


@pytest.mark.parametrize("assignment, exercise, code, line", CHEATS,
                         ids=[f"{a[:2]}-{e}" for a, e, _, _ in CHEATS])
def test_borrowing_the_engine_is_flagged_with_its_line(assignment, exercise, code, line):
    flags = [f for f in flags_for(assignment, exercise, code) if f.kind == "engine"]
    assert flags, f"{exercise}: nothing flagged in\n{code}"
    assert any(f.code == line for f in flags), [f.text() for f in flags]
    flagged = flags[0]
    assert code.splitlines()[flagged.line - 1].strip() == flagged.code
    assert "engine" in flagged.message


ALLOWED = [
    ("05-forward-mode", "jacobian-fwd",
     "def jacobian_fwd(f, x):\n    x = np.asarray(x, dtype=np.float64)\n"
     "    return np.stack([course.jvp(f, (x,), (e,))[1] for e in np.eye(x.size)], axis=1)\n"),
    ("06-higher-order", "hessian",
     "def hessian(f, x):\n    x = np.asarray(x, dtype=np.float64)\n"
     "    return np.stack([course.hvp(f, x, e) for e in np.eye(x.size)], axis=1)\n"),
    ("06-higher-order", "newton-step",
     "def newton_step(f, x):\n    x = np.asarray(x, dtype=np.float64)\n"
     "    H = course.jacfwd(course.jacrev(f))(x)\n"
     "    return x - np.linalg.solve(H, course.grad(f)(x))\n"),
    ("03-vector-backprop", "softmax-vjp",      # the engine's forward softmax is fine
     "def softmax_vjp(upstream, x):\n    s = course.softmax(x)\n"
     "    return s * (upstream - (upstream * s).sum(axis=-1, keepdims=True))\n"),
]


@pytest.mark.parametrize("assignment, exercise, code", ALLOWED, ids=[e for _, e, _ in ALLOWED])
def test_what_an_exercise_allows_is_not_flagged(assignment, exercise, code):
    assert [f.text() for f in flags_for(assignment, exercise, code)] == []


def test_policy_lookup_prefers_the_assignment_specific_entry(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('[engine]\ntransforms = ["grad", "hvp"]\nattributes = []\n'
                    '[exercise.hessian]\nallow = ["transforms"]\nforbid = ["hvp"]\n'
                    '[exercise."07-x/hessian"]\nallow = ["hvp"]\n')
    policy = scan.load_policy(path)
    assert policy.allowed("06-higher-order", "hessian") == {"grad"}
    assert policy.allowed("07-x", "hessian") == {"hvp"}
    assert policy.allowed("06-higher-order", "unknown") == set()


# --- tampering and escapes --------------------------------------------------------------------

TAMPERING = [
    ("np.allclose = lambda *a, **k: True", "monkeypatch"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "monkeypatch"),
    ("import course.gradcheck as g\ng.check_vjp = lambda *a, **k: None", "monkeypatch"),
    ("setattr(np, 'allclose', lambda *a, **k: True)", "monkeypatch"),
    ("course.Value.__add__ = lambda self, other: self", "monkeypatch"),
    ("course.ops.multiply.vjps[0] = None", "monkeypatch"),
    ("check_vjp = lambda *a, **k: None", "shadowing"),
    ("def close(got, expected, tol=1e-9):\n    return True", "shadowing"),
    ("def engine_gradients(build, *numbers):\n    return 0, []", "shadowing"),
    ("len = lambda x: 0", "shadowing"),
    ("from numpy import isclose as close", "shadowing"),
    ("def f():\n    global close\n    close = None", "shadowing"),
    ("import builtins\nbuiltins.abs = lambda x: 0", "builtins"),
    ("__builtins__['abs'] = lambda x: 0", "builtins"),
    ("import sys\nsys.modules['numpy'] = None", "sys-modules"),
    ("import sys\nsys.modules.pop('course')", "sys-modules"),
    ("import sys\nsys.settrace(lambda *a: None)", "hooks"),
    ("import sys\nsys.addaudithook(print)", "hooks"),
    ("import sys\nframe = sys._getframe(1)", "introspection"),
    ("import ctypes", "hooks"),
    ("import gc\nobjects = gc.get_objects()", "hooks"),
    ("get_ipython().input_transformers_post.append(lambda lines: lines)", "ipython"),
    ("get_ipython().events.register('pre_run_cell', print)", "ipython"),
    ("!ls /", "ipython"),
    ("%env SECRET", "ipython"),
    ("import sys, io\nsys.stdout = io.StringIO()", "ipython"),
    ("open('/etc/passwd').read()", "files"),
    ("import os\nos.remove('x')", "files"),
    ("from pathlib import Path\nPath('x').write_text('y')", "files"),
    ("import shutil\nshutil.rmtree('/tmp/x')", "files"),
    ("np.save('x.npy', np.zeros(3))", "files"),
    ("import subprocess\nsubprocess.run(['ls'])", "processes"),
    ("import os\nos.system('ls')", "processes"),
    ("import os\nos.kill(os.getppid(), 9)", "processes"),
    ("import os\nos._exit(0)", "processes"),
    ("import multiprocessing", "processes"),
    ("import socket\nsocket.create_connection(('example.org', 80))", "network"),
    ("import urllib.request", "network"),
    ("exec('x = 1')", "dynamic-code"),
    ("eval('1 + 1')", "dynamic-code"),
    ("__import__('os')", "dynamic-code"),
    ("import importlib\nimportlib.reload(np)", "dynamic-code"),
    ("globals()['close'] = None", "dynamic-code"),
    ("def f(g):\n    return g.__code__", "introspection"),
    ("def f(g):\n    return g.__globals__['close']", "introspection"),
]


@pytest.mark.parametrize("code, kind", TAMPERING,
                         ids=[c.splitlines()[-1][:40] for c, _ in TAMPERING])
def test_tampering_is_flagged_with_its_line(code, kind):
    cell = ("def max_backward(upstream, x, y):\n"
            "    return upstream, upstream\n\n") + code + "\n"
    flags = flags_for("01-computational-graphs", "max-backward", cell)
    assert kind in {f.kind for f in flags}, (code, [f.text() for f in flags])
    lines = cell.splitlines()
    for flag in flags:
        assert flag.line > 3 and flag.code == lines[flag.line - 1].strip(), flag.text()


NOT_TAMPERING = [
    "def f(np):\n    np.allclose = None          # a parameter named np is not numpy",
    "class Holder:\n    allclose = None",
    "result = {}\nresult['np'] = np.zeros(3)",
    "import numpy as np\nimport course",          # the same imports again
    "from course.gradcheck import check_vjp",
    "x = np.linspace(0, 1, 5)\nprint(np.allclose(x, x))",
    "def helper(node):\n    node.grad = 0.0\n    return node",
    "import math\nvalue = math.exp(1.0)",
]


@pytest.mark.parametrize("code", NOT_TAMPERING, ids=[c.splitlines()[0][:40] for c in NOT_TAMPERING])
def test_ordinary_code_is_not_flagged(code):
    cell = "def max_backward(upstream, x, y):\n    return upstream, upstream\n\n" + code + "\n"
    assert [f.text() for f in flags_for("01-computational-graphs", "max-backward", cell)] == []


@pytest.mark.parametrize("assignment, cell", [("01-computational-graphs", "max-backward"),
                                              ("02-modular-backprop", "tanh-function")])
def test_a_throwaway_underscore_is_not_shadowing(assignment, cell):
    """`_` is every Python's throwaway name, and IPython rebinds it after each output: a
    student's `for _ in range(n)` hides nothing the tests use."""
    code = nbgrader_cells(source(assignment), "solution")[cell].source
    code += "\n\nfor _ in range(3):\n    pass\n_, __ = 1, 2\n"
    assert [f.text() for f in flags_for(assignment, cell, code)] == []


def test_cells_the_student_added_are_scanned_too():
    nb = filled_release("02-modular-backprop")
    nb.cells.insert(5, nbformat.v4.new_code_cell("import numpy as np\nnp.allclose = print"))
    flags = scan.scan_notebook(nb, reference=release("02-modular-backprop"))
    assert [(f.cell, f.line, f.kind) for f in flags] == [("cell 6", 2, "monkeypatch")]


def test_a_cell_that_is_not_python_is_reported_not_scanned():
    flags = flags_for("01-computational-graphs", "max-backward", "def max_backward(:\n    pass\n")
    assert [f.kind for f in flags] == ["syntax"] and flags[0].line == 1


def test_files_handed_in_beside_the_notebook(tmp_path):
    (tmp_path / "numpy.py").write_text("allclose = lambda *a, **k: True\n")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "__init__.py").write_text("")
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "01.ipynb").write_text("{}")
    released = tmp_path.parent / (tmp_path.name + "-release")
    released.mkdir()
    (released / "notes.txt").write_text("hi")
    flags = scan.scan_submission_files(tmp_path, released)
    assert sorted(f.cell for f in flags) == ["course", "numpy.py"]
    assert all(f.kind == "submitted-file" for f in flags)


def test_flag_text_names_the_cell_line_and_code():
    flag = scan.Flag("monkeypatch", "add-backward", 4, "np.allclose = lambda *a: True",
                     "replaces numpy.allclose")
    assert flag.text() == ("[monkeypatch] add-backward, line 4: replaces numpy.allclose\n"
                           "    np.allclose = lambda *a: True")
    assert flag.as_dict()["line"] == 4


# --- copying the engine's source --------------------------------------------------------------

def engine_code(qualname):
    from autograder import similarity

    return next(f.code for f in similarity.engine_functions()
                if f.where.split(": ")[1].startswith(f"{qualname},"))


def test_a_pasted_engine_function_is_flagged_even_with_its_names_changed():
    import re

    pasted = engine_code("_unbroadcast")       # course/backward_check.py
    for old, new in (("g", "grad"), ("lead", "extra"), ("stretched", "ones"),
                     ("_unbroadcast", "reduce_to")):      # variables (not `.shape`)
        pasted = re.sub(rf"(?<!\.)\b{old}\b", new, pasted)
    assert "grad.sum(" in pasted and "_unbroadcast" not in pasted
    code = pasted + "\n\n" + release_cell("03-vector-backprop", "reduction-vjps")
    flags = flags_for("03-vector-backprop", "reduction-vjps", code)
    assert [f.kind for f in flags] == ["engine-copy"]
    assert "course/backward_check.py: _unbroadcast" in flags[0].text()
    assert flags[0].line <= 3                  # near the top: the first line the two share


def test_short_code_alike_the_engine_is_not_a_copy():
    # one line of the engine's softmax (course/functional.py) is how anyone writes it
    code = ("def softmax_vjp(upstream, x, y):\n"
            "    return y * (upstream - (upstream * y).sum(axis=-1, keepdims=True))\n")
    assert [f for f in flags_for("03-vector-backprop", "softmax-vjp", code)
            if f.kind == "engine-copy"] == []


def release_cell(assignment, grade_id_):
    from autograder.cells import grade_id

    return next(c.source for c in release(assignment).cells if grade_id(c) == grade_id_)
