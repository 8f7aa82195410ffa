"""course.widgets without a browser: the models' numbers against the engine, the checks of a
student's code, and the static figures.

The models are plain Python; the ipywidgets views run here too (without a kernel, a widget is
just an object), so "moving a slider" is setting its `.value`.
"""

import re
import warnings

import numpy as np
import pytest

import course
from course import diagnose as course_diagnose
from course import gradcheck
from course.diagnose import WORDS
from course.figures import edge_gradients
from course.scalar_gates import GATES
from course.scalar_gates import sigmoid as _sigmoid
from course.value import Value
from course.widgets import (CostModel, ForwardVsReverse, GateModel, GatePatterns, GraphExplorer,
                            GraphModel, MatmulGradients, MatmulModel, ReluGradients, ReluModel,
                            VanishingGradients, VanishingModel, checking, describe_mismatch)
from course.widgets.graph import NEURON_INPUTS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def neuron_by_hand(w0, x0, w1, x1, w2):
    leaves = [Value(v) for v in (w0, x0, w1, x1, w2)]
    out = (leaves[0] * leaves[1] + leaves[2] * leaves[3] + leaves[4]).sigmoid()
    out.backward()
    return out.data, dict(zip(("w0", "x0", "w1", "x1", "w2"), (v.grad for v in leaves)))


def sigmoid_grad(a):
    return _sigmoid(a) * (1.0 - _sigmoid(a))


# --- graph explorer ------------------------------------------------------------------------------

def test_graph_model_defaults_to_the_lecture_neuron():
    model = GraphModel()
    out, grads = neuron_by_hand(**NEURON_INPUTS)
    assert model.values == NEURON_INPUTS
    assert model.output == pytest.approx(out)
    assert model.gradients == pytest.approx(grads)
    assert len(model.order) == 10


def test_setting_an_input_recomputes_forward_and_backward(rng):
    model = GraphModel()
    for _ in range(5):
        values = dict(zip(NEURON_INPUTS, rng.uniform(-3, 3, size=5)))
        model.set(**values)
        out, grads = neuron_by_hand(**values)
        assert model.output == pytest.approx(out, rel=1e-12)
        assert model.gradients == pytest.approx(grads, rel=1e-12)
        # every edge carries what course.figures says flows along it
        expected = [(p.data, g) for p, _, g in edge_gradients(model.root)]
        got = [(e.value, e.grad) for e in model.edges]
        assert np.allclose(got, expected, rtol=1e-12, atol=0)


def test_moving_a_slider_updates_readout_labels_and_figure():
    view = GraphExplorer()
    before_png, before_html = view.png(), view.readout.value
    view.sliders["x0"].value = 0.75                      # as dragging the slider does
    assert view.model.values["x0"] == 0.75
    out, grads = neuron_by_hand(**{**NEURON_INPUTS, "x0": 0.75})
    assert view.model.gradients["w0"] == pytest.approx(grads["w0"])
    assert f"{grads['w0']:.4g}" in view.readout.value
    assert view.readout.value != before_html
    assert view.png() != before_png
    # the labels drawn on the edges are the engine's numbers
    figure = view.model.figure()
    for edge, (value_label, grad_label) in zip(view.model.edges, figure.labels):
        assert value_label.text == f"{edge.value:.3g}"
        assert grad_label.text == f"{edge.grad:.3g}"
    assert figure.output_labels[0].text == f"{out:.3g}"


def test_set_from_code_matches_slider_and_is_clipped():
    view = GraphExplorer(lambda a, b: a * b + a, a=1.0, b=2.0)
    view.set(a=100.0)
    control = view.model.control("a")
    assert view.model.values["a"] == control.max
    assert view.model.gradients["a"] == pytest.approx(view.model.values["b"] + 1.0)
    with pytest.raises(KeyError):
        view.set(c=1.0)


def test_fan_out_adds_up_like_the_copy_gate():
    model = GraphModel(lambda x, y: x * y + x, x=1.5, y=-2.0)
    assert model.gradients["x"] == pytest.approx(-2.0 + 1.0)
    into = [e for e in model.edges if model.order[e.parent].label == "x"]
    assert len(into) == 2
    assert sum(e.grad for e in into) == pytest.approx(model.gradients["x"])


def test_layout_is_computed_once_per_structure():
    model = GraphModel()
    first = model.figure()
    model.set(w0=-1.0, x1=3.0)
    assert model.figure() is first                       # same structure: same drawing
    routed = GraphModel(lambda a, b: a.max(b), a=1.0, b=2.0)
    before = routed.figure()
    routed.set(a=3.0)
    assert routed.figure() is before
    assert routed.gradients == pytest.approx({"a": 1.0, "b": 0.0})


def test_outside_the_domain_keeps_the_last_picture_and_says_why():
    model = GraphModel(lambda x: x.log(), x=2.0, ranges={"x": (-1.0, 3.0)})
    model.set(x=-0.5)
    assert model.error and "not defined" in model.error
    assert "not defined" in model.readout_html()
    assert model.gradients["x"] == pytest.approx(0.5)   # still the last good state
    assert model.png().startswith(PNG_SIGNATURE)


def test_an_expression_that_is_not_a_value_is_refused():
    with pytest.raises(TypeError, match="course.Value"):
        GraphModel(lambda x: 2.0, x=1.0)
    with pytest.raises(TypeError, match="no input named"):
        GraphModel(lambda x: x * 2, y=1.0)


# --- the student's rules, on the graph -----------------------------------------------------------

def sigmoid_backward(upstream, out):
    return out * (1.0 - out) * upstream


def multiply_backward(upstream, x, y):
    return y * upstream, x * upstream


def test_correct_rules_mark_nothing():
    model = GraphModel(rules={"sigmoid": sigmoid_backward, "multiply": multiply_backward,
                              "add": lambda g, x, y: (g, g)})
    assert model.checking
    assert model.mismatched_edges == []
    assert model.problems == []
    assert model.student_gradients == pytest.approx(model.gradients)
    assert model.numerical_gradients == pytest.approx(model.gradients, rel=1e-6)
    assert "agree" in model.readout_html()


def edges_into(model, op):
    return sorted((e.parent, e.child, e.k) for e in model.edges if model.order[e.child].op == op)


def test_a_wrong_multiply_rule_is_marked_on_exactly_its_edges():
    def no_swap(upstream, x, y):
        return x * upstream, y * upstream

    model = GraphModel(rules={"multiply": no_swap})
    assert sorted(model.mismatched_edges) == edges_into(model, "multiply")
    assert len(model.mismatched_edges) == 4
    for e in model.edges:
        if e.problems:
            assert e.student != pytest.approx(e.grad)
            assert e.numerical == pytest.approx(e.grad, rel=1e-6)
            assert e.mark.startswith("yours")
    assert any(WORDS["swapped_inputs"] in p for p in model.problems)
    # the student's whole backward pass goes wrong where the mistake spreads: the inputs
    at_gate = model.gradients["w2"]      # the add gates pass the same gradient to each product
    assert model.student_gradients["w0"] == pytest.approx(NEURON_INPUTS["w0"] * at_gate)
    assert model.student_gradients["w2"] == pytest.approx(model.gradients["w2"])


def test_a_rule_without_the_upstream_is_marked_where_the_upstream_is_not_one():
    def forgets_upstream(upstream, out):
        return out * (1.0 - out)

    neuron = GraphModel(rules={"sigmoid": forgets_upstream})
    assert neuron.mismatched_edges == []       # at the output the upstream gradient is 1
    chained = GraphModel(lambda x: x.sigmoid().sigmoid(), x=0.3,
                         rules={"sigmoid": forgets_upstream})
    assert chained.mismatched_edges == [(0, 1, 0)]   # x -> first sigmoid, whose upstream != 1
    assert "upstream" in chained.problems[0]


def test_a_rule_that_takes_the_input_where_it_needs_the_output():
    def from_input(upstream, out):
        x = out                                     # pretend out were x: sigma(x)(1 - sigma(x))
        return _sigmoid(x) * (1 - _sigmoid(x)) * upstream

    model = GraphModel(rules={"sigmoid": from_input})
    sigmoid_index = len(model.order) - 1
    assert model.mismatched_edges == [(sigmoid_index - 1, sigmoid_index, 0)]


def test_a_rule_that_raises_is_reported_not_raised():
    def unfinished(upstream, x, y):
        raise NotImplementedError()

    model = GraphModel(rules={"multiply": unfinished})
    assert sorted(model.mismatched_edges) == edges_into(model, "multiply")
    assert all("NotImplementedError" in p for p in model.problems)
    assert model.student_gradients is None
    assert model.png().startswith(PNG_SIGNATURE)


def test_a_function_subclass_is_a_rule_too():
    class Sigmoid(course.Function):
        @staticmethod
        def forward(ctx, x):
            s = 1.0 / (1.0 + np.exp(-x))
            ctx.save_for_backward(s)
            return s

        @staticmethod
        def backward(ctx, grad):
            (s,) = ctx.saved_tensors
            return s * (1 - s) * grad

    assert GraphModel(rules={"sigmoid": Sigmoid}).mismatched_edges == []

    class WrongForward(Sigmoid):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(np.tanh(x))
            return np.tanh(x)

    model = GraphModel(rules={"sigmoid": WrongForward})
    assert len(model.mismatched_edges) == 1
    assert any("forward" in p for p in model.problems)


def test_a_wrong_copy_rule_is_marked_on_the_copies():
    def copy_backward(upstream_1, upstream_2):
        return upstream_1                      # forgets to add the second copy's gradient

    model = GraphModel(lambda x, y: x * y + x, x=1.5, y=-2.0,
                       rules={"copy": copy_backward})
    x_index = next(i for i, n in enumerate(model.order) if n.label == "x")
    assert sorted(e.parent for e in model.edges if e.mark) == [x_index, x_index]
    assert model.student_gradients["x"] != pytest.approx(model.gradients["x"])
    assert GraphModel(lambda x, y: x * y + x, x=1.5, y=-2.0,
                      rules={"copy": lambda a, b: a + b}).mismatched_edges == []


def test_rule_names_and_signatures():
    assert checking.gate_name("sigmoid_backward") == "sigmoid"
    assert checking.gate_name("*") == "multiply"
    with pytest.raises(KeyError):
        checking.gate_name("softmax")

    def pow_backward(upstream, x, n):
        return n * x ** (n - 1) * upstream

    model = GraphModel(lambda x: (x ** 3).tanh(), x=0.7,
                       rules={"pow": pow_backward, "tanh": lambda upstream, out:
                              (1 - out ** 2) * upstream})
    assert model.mismatched_edges == []


# --- describing a mismatch -----------------------------------------------------------------------

def test_describe_mismatch_gives_the_numbers_and_course_diagnoses_words():
    text = describe_mismatch(0.25, -0.25, numerical=0.25, where="dL/dx")
    assert text.startswith("dL/dx: yours -0.25, engine 0.25, numerical 0.25")
    assert text.endswith(f"({WORDS['sign']})")
    assert WORDS["missing_upstream"] in describe_mismatch(0.5, 0.25, upstream=2.0)
    multiply = GATES["multiply"].forward
    assert WORDS["swapped_inputs"] in describe_mismatch(
        3.0, -2.0, others=[-2.0, 3.0], f=multiply, inputs=(-2.0, 3.0), upstream=1.0)
    assert WORDS["transpose"] in describe_mismatch(np.ones((2, 3)), np.ones((3, 2)))
    assert describe_mismatch(1.0, 1.7) == "yours 1.7, engine 1"     # no kind fits: numbers only


def test_describe_mismatch_takes_its_verdict_from_course_diagnose(monkeypatch):
    """The widgets name a mistake with the verdict and the words of the graded tests."""
    seen = {}

    def diagnose(got, expected=None, **evidence):
        seen.update(evidence)
        return course_diagnose.Diagnosis("missing_upstream", "", (), "", {})

    monkeypatch.setattr(course_diagnose, "diagnose", diagnose)
    text = describe_mismatch(1.0, 1.7, upstream=3.0)
    assert seen["shape"] == () and seen["upstream"] == 3.0
    assert text.endswith(f"({WORDS['missing_upstream']})")
    assert not hasattr(checking, "MISTAKE_WORDS")     # one table of words: course.diagnose's


# --- gate patterns -------------------------------------------------------------------------------

def _overwriting_copy(upstream_1, upstream_2):
    """The fan-out written with `=` where `+=` belongs: the last use wins."""
    grad = upstream_1
    grad = upstream_2
    return grad


def _flipped_multiply(upstream, x, y):
    return -upstream * y, -upstream * x


def _doubled_add(upstream, x, y):
    return 2 * upstream, 2 * upstream


@pytest.mark.parametrize("rules, gate, kind", [
    ({"copy_backward": _overwriting_copy}, "copy", "not_accumulated"),
    ({"multiply_backward": _flipped_multiply}, "multiply", "sign"),
    ({"add_backward": _doubled_add}, "add", "scale"),
])
def test_gate_widget_names_a_mistake_as_course_diagnose_does(rules, gate, kind):
    """The readout and the figure's text alternative say what course.diagnose (the graded
    tests' diagnosis) says: an overwritten copy gradient is an accumulation mistake, not "off
    by a constant factor"."""
    widget = GatePatterns(**rules)
    model = widget.model
    words = WORDS[kind]
    mine = [p for p in model.problems if p.startswith(f"{gate} gate")]
    assert mine and all(p.endswith(f"({words})") for p in mine), model.problems
    assert len(mine) == len(model.problems)           # the other gates have no rule: no problem
    assert words in re.sub(r"<[^>]+>", "", model.readout_html())
    assert words in model.alt_text()
    assert kind != "not_accumulated" or WORDS["scale"] not in model.alt_text()
    # the same verdict as course.diagnose on the same evidence
    g = model.gates[gate]
    got, expected = g.student[0], g.reference[0]
    if gate == "copy":
        evidence = dict(f=lambda x: np.repeat(np.reshape(x, (1,)), 2),
                        inputs=(np.array(g.inputs[0]),), upstream=np.array(g.upstream))
    else:
        evidence = dict(f=np.vectorize(GATES[gate].forward), upstream=np.array(g.upstream[0]),
                        inputs=tuple(np.array(v) for v in g.inputs))
    assert course_diagnose.diagnose(np.array(got), np.array(expected), input_index=0,
                                    **evidence).kind == kind


def test_gate_patterns_with_random_upstream(rng):
    model = GateModel()
    for _ in range(10):
        x, y = rng.uniform(-4, 4, size=2)
        g, g2 = rng.uniform(-3, 3, size=2)
        model.set(x=x, y=y, g=g, g2=g2)
        x, y, g, g2 = (model.values[k] for k in ("x", "y", "g", "g2"))
        gates = model.gates
        assert gates["add"].reference == pytest.approx((g, g))                 # distribute
        assert gates["multiply"].reference == pytest.approx((g * y, g * x))    # swap
        assert gates["max"].reference == pytest.approx((g, 0.0) if x > y else (0.0, g))  # route
        assert gates["copy"].reference == pytest.approx((g + g2,))             # accumulate
        assert all(model.patterns().values())


def test_max_gate_tie_splits_the_gradient():
    model = GateModel(x=1.0, y=1.0, g=2.0)
    assert model.gates["max"].reference == pytest.approx((1.0, 1.0))


def test_gate_patterns_mark_only_the_wrong_gate():
    def max_backward(upstream, x, y):
        return upstream, upstream                     # does not route

    view = GatePatterns(multiply_backward=multiply_backward, max_backward=max_backward,
                        copy_backward=lambda a, b: a + b, add_backward=lambda g, x, y: (g, g))
    gates = view.model.gates
    assert [k for k in range(2) if gates["max"].wrong(k)] == [1 if view.model.values["x"] >
                                                              view.model.values["y"] else 0]
    assert not any(gates[name].wrong(k) for name in ("add", "multiply") for k in range(2))
    assert not gates["copy"].wrong(0)
    assert view.model.patterns(student=True) == {"add": True, "multiply": True, "max": False,
                                                 "copy": True}
    assert all("max gate" in p for p in view.model.problems)
    before = view.png()
    view.sliders["g"].value = -1.0
    assert view.png() != before
    assert "-1" in view.readout.value


# --- vanishing gradients -------------------------------------------------------------------------

@pytest.mark.parametrize("x, depth, w", [(0.0, 1, 1.0), (1.5, 5, 1.0), (-2.0, 8, 2.5),
                                         (3.0, 12, -1.0)])
def test_vanishing_gradient_is_the_product_of_local_gradients(x, depth, w):
    model = VanishingModel(x, depth, w)
    h, product = x, 1.0
    for k in range(depth):
        a = w * h
        assert model.local_gradients[k] == pytest.approx(w * sigmoid_grad(a))
        assert abs(model.sigmoid_locals[k]) <= 0.25
        product *= w * sigmoid_grad(a)
        h = _sigmoid(a)
    assert model.input_gradient == pytest.approx(product, rel=1e-12)
    assert model.gradients[-1] == 1.0
    assert len(model.gradients) == depth + 1


def test_vanishing_slider_and_student_rule():
    view = VanishingGradients(x=0.5, depth=4)
    view.sliders["depth"].value = 9
    assert len(view.model.gradients) == 10
    assert f"{sigmoid_grad(0.5):.4g}" in view.readout.value
    good = VanishingModel(1.0, 6, sigmoid_backward=sigmoid_backward)
    assert good.problems == [] and good.student_gradients == pytest.approx(good.gradients)
    bad = VanishingModel(1.0, 6, sigmoid_backward=lambda upstream, out: out * (1 - out))
    assert len(bad.problems) == 5           # every layer but the last, whose upstream is 1
    assert bad.student_gradients != pytest.approx(bad.gradients)


# --- vectors and matrices ------------------------------------------------------------------------

def test_relu_view_masks_the_upstream_gradient():
    model = ReluModel(n=10, shift=0.2, seed=3)
    assert model.downstream == pytest.approx(model.upstream * (model.x > 0))
    assert np.all(np.abs(model.upstream) >= 0.5)          # random, never all ones or near 0
    view = ReluGradients(n=6)
    view.sliders["n"].value = 12
    assert view.model.x.shape == (12,)
    view.sliders["shift"].value = -1.0
    assert view.model.downstream == pytest.approx(view.model.upstream * (view.model.x > 0))


def test_relu_view_marks_exactly_the_wrong_entries():
    def wrong(upstream, x):
        return upstream * (x >= 0.5)

    model = ReluModel(n=12, seed=1, relu_vjp=wrong)
    expected = (model.x > 0) & (model.x < 0.5)
    assert expected.any()
    assert np.array_equal(model.wrong, expected)
    assert ReluModel(n=12, seed=1, relu_vjp=lambda u, x: u * (x > 0)).problems == []


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 4), (5, 2, 3), (6, 6, 1)])
def test_matmul_view_gradients_for_slider_chosen_shapes(shape):
    view = MatmulGradients()
    N, D, M = shape
    view.set(N=N, D=D, M=M)
    model = view.model
    assert model.x.shape == (N, D) and model.W.shape == (D, M)
    assert model.dx == pytest.approx(model.upstream @ model.W.T)
    assert model.dW == pytest.approx(model.x.T @ model.upstream)
    assert model.dx.shape == model.x.shape and model.dW.shape == model.W.shape
    assert f"({N}, {D})" in view.readout.value


def test_matmul_view_checks_a_student_vjp():
    def transposed(upstream, x, W):
        return upstream @ W.T, upstream.T @ x      # dL/dW transposed

    model = MatmulModel(N=2, D=3, M=4, matmul_vjp=transposed)
    assert model.wrong[0] is not None and not model.wrong[0].any()
    assert model.wrong[1] is None                 # a shape error: no element comparison
    assert WORDS["transpose"] in " ".join(model.problems)
    square = MatmulModel(N=3, D=3, M=3, matmul_vjp=transposed)
    assert square.wrong[1].any() and WORDS["transpose"] in " ".join(square.problems)
    good = MatmulModel(N=2, D=3, M=4, matmul_vjp=lambda u, x, W: (u @ W.T, x.T @ u))
    assert good.problems == []


# --- forward vs reverse --------------------------------------------------------------------------

@pytest.mark.parametrize("n, m", [(1, 1), (5, 1), (1, 6), (4, 3), (10, 10)])
def test_forward_and_reverse_pass_counts(n, m):
    model = CostModel(n, m)
    assert model.counts["jacfwd"] == {"jvp": n, "vjp": 0}
    assert model.counts["jacrev"] == {"jvp": 0, "vjp": m}
    assert model.jacobian.shape == (m, n)
    assert model.jacobian_fwd == pytest.approx(model.jacobian)
    f = model.function()
    numerical = np.stack([gradcheck.numerical_grad(lambda x, i=i: f(x)[i], model.x)
                          for i in range(m)])
    assert model.jacobian == pytest.approx(numerical, rel=1e-6, abs=1e-8)


def test_forward_vs_reverse_counts_a_students_jacobian():
    def jacobian_fwd(f, x):
        columns = []
        for j in range(x.size):
            e = np.zeros_like(x)
            e[j] = 1.0
            columns.append(course.jvp(f, (x,), (e,))[1])
        return np.stack(columns, axis=1)

    view = ForwardVsReverse(n=3, m=5, jacobian=jacobian_fwd)
    assert view.model.problems == []
    assert view.model.counts["yours"] == {"jvp": 3, "vjp": 0}
    view.sliders["n"].value = 7
    assert view.model.counts["yours"] == {"jvp": 7, "vjp": 0}
    assert "7" in view.readout.value
    wrong = CostModel(3, 3, jacobian=lambda f, x: jacobian_fwd(f, x).T)
    assert wrong.wrong is not None and wrong.wrong.any()


# --- static figures ------------------------------------------------------------------------------

ALL_VIEWS = [GraphExplorer, GatePatterns, VanishingGradients, ReluGradients, MatmulGradients,
             ForwardVsReverse]


@pytest.mark.parametrize("view_class", ALL_VIEWS, ids=lambda c: c.__name__)
def test_static_figure_renders_without_a_kernel(view_class):
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # e.g. a glyph missing from the font
        view = view_class()
        png = view.png()
        assert png.startswith(PNG_SIGNATURE)
        width, height = view.model.pixel_size()
        assert int.from_bytes(png[16:20], "big") == width
        assert int.from_bytes(png[20:24], "big") == height
        assert view._repr_png_() == png
    bundle = view.controls._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "run the notebook" in bundle["text/plain"]


def test_models_do_not_need_ipywidgets():
    import subprocess
    import sys
    code = ("import sys, course.widgets as w; m = w.GraphModel(); m.set(w0=1.0); m.png(); "
            "w.GateModel().png(); assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_executed_playground_has_a_png_per_widget_in_html(repo_root, tmp_path):
    """The static-figure approach end to end: execute the playground as nbconvert does (nbclient
    stores the widget state), export to HTML, and find one <img> per widget."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(repo_root / "playground" / "gradient-flow.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    widgets = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if "application/vnd.jupyter.widget-view+json" in o.get("data", {}))
    pngs = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {}))
    assert widgets == pngs >= 8
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "stream" and o.name == "stderr" or o.output_type == "error"]
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', body)) == pngs
