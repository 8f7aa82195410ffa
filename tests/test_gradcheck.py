"""course.gradcheck: correct rules pass, the wrong rules of tests/wrong_rules.py are rejected,
on both paths (element by element for small inputs, random directions for large ones)."""

import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from course.gradcheck import (MAX_ELEMENTWISE, GradientError, KinkWarning, PrecisionWarning,
                              check_grad, check_jvp, check_vjp, dot_product_test,
                              numerical_grad, numerical_vjp, random_inputs, rel_error)
from wrong_rules import WRONG_RULES, repeated_index, sigmoid, softmax


def unbroadcast(g, shape):
    """Sum g over the axes that broadcasting added or stretched, back to `shape`."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(a for a, n in enumerate(shape) if n == 1), keepdims=True)


def max_vjp(g, x, axis=None, keepdims=False):
    """The gradient of x.max(axis): split evenly among ties (JAX's convention)."""
    m = x.max(axis=axis, keepdims=True)
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    mask = x == m
    return g * mask / mask.sum(axis=axis, keepdims=True)


def index_vjp(g, x):
    grad = np.zeros_like(x)
    np.add.at(grad, repeated_index(x.size), g)
    return grad


def softmax_vjp(g, x):
    s = softmax(x)
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class Rule:
    name: str
    f: Callable
    vjp_fn: Callable
    jvp_fn: Callable
    shapes: tuple
    large_shapes: tuple
    positive: bool = False

    def inputs(self, large=False, seed=0):
        xs = random_inputs(*(self.large_shapes if large else self.shapes), seed=seed)
        return tuple(np.abs(x) for x in xs) if self.positive else xs


CORRECT_RULES = [
    Rule("exp", np.exp, lambda g, x: g * np.exp(x), lambda t, x: t[0] * np.exp(x),
         ((3, 4),), ((30, 20),)),
    Rule("log", np.log, lambda g, x: g / x, lambda t, x: t[0] / x,
         ((3, 4),), ((30, 20),), positive=True),
    Rule("tanh", np.tanh, lambda g, x: g * (1 - np.tanh(x) ** 2),
         lambda t, x: t[0] * (1 - np.tanh(x) ** 2), ((3, 4),), ((30, 20),)),
    Rule("sigmoid", sigmoid, lambda g, x: g * sigmoid(x) * (1 - sigmoid(x)),
         lambda t, x: t[0] * sigmoid(x) * (1 - sigmoid(x)), ((3, 4),), ((30, 20),)),
    Rule("square", lambda x: x ** 2, lambda g, x: 2 * g * x, lambda t, x: 2 * t[0] * x,
         ((3, 4),), ((30, 20),)),
    Rule("sin", np.sin, lambda g, x: g * np.cos(x), lambda t, x: t[0] * np.cos(x),
         ((3, 4),), ((30, 20),)),
    Rule("relu", lambda x: np.maximum(x, 0), lambda g, x: g * (x > 0),
         lambda t, x: t[0] * (x > 0), ((3, 4),), ((30, 20),)),
    Rule("add-broadcast", lambda x, b: x + b,
         lambda g, x, b: (unbroadcast(g, x.shape), unbroadcast(g, b.shape)),
         lambda t, x, b: t[0] + t[1],
         ((4, 3), (3,)), ((40, 120), (120,))),
    Rule("multiply-broadcast", lambda x, y: x * y,
         lambda g, x, y: (unbroadcast(g * y, x.shape), unbroadcast(g * x, y.shape)),
         lambda t, x, y: t[0] * y + x * t[1], ((2, 1, 3), (4, 1)), ((20, 1, 30), (40, 1))),
    Rule("sum", np.sum, lambda g, x: g * np.ones_like(x), lambda t, x: np.sum(t[0]),
         ((3, 4),), ((30, 20),)),
    Rule("sum-axis", lambda x: x.sum(axis=1), lambda g, x: np.broadcast_to(g[:, None], x.shape),
         lambda t, x: t[0].sum(axis=1), ((3, 4),), ((30, 20),)),
    Rule("sum-keepdims", lambda x: x.sum(axis=0, keepdims=True),
         lambda g, x: np.broadcast_to(g, x.shape), lambda t, x: t[0].sum(axis=0, keepdims=True),
         ((3, 4),), ((30, 20),)),
    Rule("matmul", lambda x, w: x @ w, lambda g, x, w: (g @ w.T, x.T @ g),
         lambda t, x, w: t[0] @ w + x @ t[1], ((4, 4), (4, 4)), ((40, 40), (40, 40))),
    Rule("matmul-rect", lambda x, w: x @ w, lambda g, x, w: (g @ w.T, x.T @ g),
         lambda t, x, w: t[0] @ w + x @ t[1], ((5, 3), (3, 4)), ((50, 30), (30, 40))),
    Rule("softmax", softmax, softmax_vjp,
         lambda t, x: softmax(x) * (t[0] - (t[0] * softmax(x)).sum(axis=-1, keepdims=True)),
         ((3, 4),), ((20, 30),)),
    Rule("max", lambda x: x.max(axis=1), lambda g, x: max_vjp(g, x, axis=1),
         lambda t, x: (t[0] * max_vjp(np.ones(x.shape[0]), x, axis=1)).sum(axis=1),
         ((3, 4),), ((30, 20),)),
    Rule("index-repeated", lambda x: x[repeated_index(x.size)], index_vjp,
         lambda t, x: t[0][repeated_index(x.size)], ((6,),), ((150,),)),
]


def rule_named(name, rules=CORRECT_RULES):
    return next(r for r in rules if r.name == name)


PATHS = pytest.mark.parametrize("large", [False, True], ids=["elementwise", "directional"])


def by_name(rules):
    return pytest.mark.parametrize("rule", rules, ids=[r.name for r in rules])


# --- correct rules pass -----------------------------------------------------------------------

@by_name(CORRECT_RULES)
@PATHS
def test_correct_vjp_passes(rule, large):
    inputs = rule.inputs(large)
    assert (max(x.size for x in inputs) > MAX_ELEMENTWISE) == large
    check_vjp(rule.f, rule.vjp_fn, *inputs)


@by_name(CORRECT_RULES)
@PATHS
def test_correct_jvp_passes(rule, large):
    check_jvp(rule.f, rule.jvp_fn, *rule.inputs(large))


@by_name(CORRECT_RULES)
@PATHS
def test_dot_product_passes(rule, large):
    dot_product_test(rule.f, rule.jvp_fn, rule.vjp_fn, *rule.inputs(large))


# --- wrong rules are rejected, and diagnosed -------------------------------------------------

WRONG_VJP = [r for r in WRONG_RULES if r.vjp_fn is not None]
WRONG_JVP = [r for r in WRONG_RULES if r.jvp_fn is not None]

# Each wrong rule must be diagnosed with its `kind` (tests/wrong_rules.py), except where the
# mistake cannot be seen. Along random directions (large inputs) which elements are wrong cannot
# be seen.
UNSEEN_ALONG_DIRECTIONS = {"index-overwrite"}


def diagnosed(rule, large, mode="vjp"):
    if large and mode == "vjp" and rule.name in UNSEEN_ALONG_DIRECTIONS:
        return "unknown"
    return rule.kind


def test_every_wrong_rule_names_a_kind_the_diagnosis_knows():
    from course.diagnose import KINDS

    assert {r.kind for r in WRONG_RULES} <= set(KINDS)


@by_name(WRONG_VJP)
@PATHS
def test_wrong_vjp_rejected(rule, large):
    inputs = rule.inputs(large)
    assert (inputs[rule.wrong_input].size > MAX_ELEMENTWISE) == large
    with pytest.raises(GradientError) as caught:
        check_vjp(rule.f, rule.vjp_fn, *inputs)
    assert caught.value.kind == diagnosed(rule, large)
    assert caught.value.input_index == rule.wrong_input


@by_name(WRONG_JVP)
@PATHS
def test_wrong_jvp_rejected(rule, large):
    with pytest.raises(GradientError) as caught:
        check_jvp(rule.f, rule.jvp_fn, *rule.inputs(large))
    assert caught.value.kind == diagnosed(rule, large, "jvp")
    assert caught.value.input_index == rule.wrong_input


# each wrong rule with both modes, and the correct rule for the same f
PARTNERS = {"exp-sign": "exp", "matmul-transposed": "matmul", "tanh-missing-upstream": "tanh",
            "multiply-swapped": "multiply-broadcast", "sigmoid-at-output": "sigmoid",
            "square-factor": "square", "sin-zeros": "sin", "softmax-diagonal": "softmax"}


@by_name([rule_named(name, WRONG_RULES) for name in PARTNERS])
def test_dot_product_rejects_a_wrong_rule_paired_with_a_correct_one(rule):
    correct = rule_named(PARTNERS[rule.name])
    inputs = rule.inputs()
    with pytest.raises(GradientError):
        dot_product_test(rule.f, correct.jvp_fn, rule.vjp_fn, *inputs)
    with pytest.raises(GradientError):
        dot_product_test(rule.f, rule.jvp_fn, correct.vjp_fn, *inputs)


@settings(max_examples=40)
@given(rule=st.sampled_from(WRONG_VJP), large=st.booleans(), seed=st.integers(0, 2**32 - 1))
@example(rule=rule_named("sum-ones-like", WRONG_RULES), large=True, seed=182)
def test_wrong_vjp_rejected_whatever_the_seeds(rule, large, seed):
    """Wrong rules fail for any random inputs and any seed of the upstream and directions.

    (Seed 182: sum(x) of 600 values cancels to a small output, so the rounding noise of the
    finite differences must be estimated from the terms inside f, not from the output.)"""
    with pytest.raises(GradientError):
        check_vjp(rule.f, rule.vjp_fn, *rule.inputs(large, seed=seed), seed=seed)


def test_ones_like_sum_only_passes_with_an_all_ones_upstream():
    """Why the upstream is random: with ones, `sum`'s backward as ones_like(x) looks right."""
    rule = rule_named("sum-ones-like", WRONG_RULES)
    (x,) = rule.inputs()
    check_vjp(rule.f, rule.vjp_fn, x, upstream=np.ones(()))
    with pytest.raises(GradientError):
        check_vjp(rule.f, rule.vjp_fn, x)


def test_a_wrong_element_among_many_is_found_along_random_directions():
    (x,) = random_inputs((100, 100))

    def vjp_one_wrong(g, x):
        grad = g * np.cos(x)
        grad[17, 42] *= 1.5
        return grad

    check_vjp(np.sin, lambda g, x: g * np.cos(x), x)
    with pytest.raises(GradientError):
        check_vjp(np.sin, vjp_one_wrong, x)


def test_a_large_smooth_loss_is_not_mistaken_for_a_kink():
    """Along a direction in many dimensions the one-sided differences of a convex loss differ
    by eps * d'Hd, which grows with the size; that is curvature, not a kink."""
    (x,) = random_inputs((600, 600))
    x = 0.1 * x
    check_vjp(lambda x: np.sum(x ** 2), lambda g, x: 2 * g * x, x)
    with pytest.raises(GradientError):
        check_vjp(lambda x: np.sum(x ** 2), lambda g, x: 2.001 * g * x, x)


# --- properties: tolerances a correct rule always meets ---------------------------------------

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
# values anywhere, and values within a few finite-difference steps of ReLU's kink at 0
values = st.floats(-3, 3) | st.floats(-3e-6, 3e-6)

ELEMENTWISE = {r.name: r for r in CORRECT_RULES
               if r.name in ("exp", "log", "tanh", "sigmoid", "relu", "square", "sin")}


@pytest.mark.filterwarnings("ignore::course.gradcheck.KinkWarning")
@settings(max_examples=60)
@given(name=st.sampled_from(sorted(ELEMENTWISE)), data=st.data())
def test_elementwise_rules_pass_on_any_values(name, data):
    """Any values hypothesis finds, exact zeros (ReLU's kink) and subnormals included."""
    rule = ELEMENTWISE[name]
    x = data.draw(hnp.arrays(np.float64, shapes,
                             elements=st.floats(0.1, 3.0) if rule.positive else values))
    check_vjp(rule.f, rule.vjp_fn, x)
    check_jvp(rule.f, rule.jvp_fn, x)


@settings(max_examples=40)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                max_side=5),
       data=st.data())
def test_broadcasting_rules_pass(shapes, data):
    x = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=values))
    y = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=values))
    for name in ("add-broadcast", "multiply-broadcast"):
        rule = rule_named(name)
        check_vjp(rule.f, rule.vjp_fn, x, y)
        check_jvp(rule.f, rule.jvp_fn, x, y)


@pytest.mark.filterwarnings("ignore::course.gradcheck.KinkWarning")
@settings(max_examples=60)
@given(x=hnp.arrays(np.float64, shapes, elements=values), data=st.data())
def test_reduction_rules_pass(x, data):
    """sum, mean and max with any axis and keepdims; ties in max (frequent here) are kinks."""
    axis = data.draw(st.none() | st.integers(0, x.ndim - 1))
    keepdims = data.draw(st.booleans())
    n = x.size if axis is None else x.shape[axis]

    def spread(g):   # the upstream of shape out.shape, broadcast back to x's shape
        if not keepdims and axis is not None:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, x.shape)

    check_vjp(lambda x: x.sum(axis=axis, keepdims=keepdims), lambda g, x: spread(g), x)
    check_vjp(lambda x: x.mean(axis=axis, keepdims=keepdims), lambda g, x: spread(g) / n, x)
    check_vjp(lambda x: x.max(axis=axis, keepdims=keepdims),
              lambda g, x: max_vjp(g, x, axis, keepdims), x)


MATCHED = [r for r in CORRECT_RULES if r.name in ("exp", "tanh", "sigmoid", "sum", "softmax")]


@settings(max_examples=40)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1),
       pair=st.permutations(range(len(MATCHED))).map(lambda p: p[:2]))
def test_dot_product_test_matches_pairs_and_rejects_mismatches(shape, seed, pair):
    (x,) = random_inputs(shape, seed=seed)
    a, b = MATCHED[pair[0]], MATCHED[pair[1]]
    dot_product_test(a.f, a.jvp_fn, a.vjp_fn, x, seed=seed)
    if b.f(x).shape == a.f(x).shape:
        with pytest.raises(GradientError):
            dot_product_test(a.f, a.jvp_fn, b.vjp_fn, x, seed=seed)


def test_dot_product_test_at_scale():
    """Machine precision still holds for a 512 x 512 matmul (sums of 512 products)."""
    rule = rule_named("matmul")
    x, w = random_inputs((512, 512), (512, 512))
    dot_product_test(rule.f, rule.jvp_fn, rule.vjp_fn, x, w)


def test_tiny_and_huge_gradients():
    """Elements far below the others (sigmoid'(20) ~ 2e-9) drown in rounding noise: they are
    judged against that noise, not relative to themselves."""
    x = np.array([-20.0, -3.0, 0.5, 4.0, 20.0])
    check_vjp(sigmoid, lambda g, x: g * sigmoid(x) * (1 - sigmoid(x)), x)
    check_vjp(lambda x: 1e8 * np.tanh(x), lambda g, x: 1e8 * g * (1 - np.tanh(x) ** 2), x)
    check_vjp(lambda x: 1e-8 * np.tanh(x), lambda g, x: 1e-8 * g * (1 - np.tanh(x) ** 2), x)
    with pytest.raises(GradientError):
        check_vjp(lambda x: 1e-8 * np.tanh(x), lambda g, x: 2e-8 * g * (1 - np.tanh(x) ** 2), x)


# --- kinks ------------------------------------------------------------------------------------

relu = rule_named("relu")


def test_kinks_are_skipped_by_default():
    x = np.array([-1.0, 0.0, 1e-9, 2.0])
    check_vjp(relu.f, relu.vjp_fn, x)
    check_vjp(relu.f, lambda g, x: g * (x >= 0), x)            # relu'(0) = 1 is fine too
    check_jvp(relu.f, relu.jvp_fn, x)
    with pytest.raises(GradientError) as caught:               # off the kink it still checks
        check_vjp(relu.f, lambda g, x: g * (x >= 0) * 2, x)
    assert caught.value.index == (3,)


# values on kinks, within one or a fraction of a step of them, and ties
EPS = 1e-6
near_kinks = st.sampled_from([0.0, 1e-12, -1e-12, EPS / 3, -EPS / 3, 0.7 * EPS, EPS, -EPS,
                              1.01 * EPS, 2.0, 2.0 + 1e-12, 2.0 - EPS / 3, 2.0 + 0.7 * EPS])


@pytest.mark.filterwarnings("ignore::course.gradcheck.KinkWarning")
@settings(max_examples=60)
@given(x=hnp.arrays(np.float64, shapes, elements=near_kinks | st.floats(-2.1, 2.1)),
       large=st.booleans(), data=st.data())
def test_correct_rules_pass_on_and_near_kinks(x, large, data):
    """Kinks and near-ties within a step of x: on both paths, correct rules are never blamed."""
    if large:
        x = np.tile(x, (MAX_ELEMENTWISE // x.size + 1,) + (1,) * (x.ndim - 1))
    axis = data.draw(st.none() | st.integers(0, x.ndim - 1))
    check_vjp(relu.f, relu.vjp_fn, x)
    check_jvp(relu.f, relu.jvp_fn, x)
    check_vjp(lambda x: x.max(axis=axis), lambda g, x: max_vjp(g, x, axis), x)
    check_vjp(lambda x: np.maximum(x, 0) + 10 * x, lambda g, x: g * ((x > 0) + 10), x)
    check_vjp(lambda x: 3 * np.abs(x) - x, lambda g, x: g * (3 * np.sign(x) - 1), x)


def test_a_check_with_only_kinks_warns():
    with pytest.warns(KinkWarning, match="input 0 .x. was not checked"):
        check_vjp(relu.f, relu.vjp_fn, np.zeros(5))
    with pytest.warns(KinkWarning, match="random direction"):
        check_vjp(relu.f, relu.vjp_fn, np.zeros(500))


def test_at_kinks_check_and_between():
    x = np.array([-1.0, 0.0, 2.0])

    def half(g, x):                                             # relu'(0) = 0.5
        return g * ((x > 0) + 0.5 * (x == 0))

    check_vjp(relu.f, half, x, at_kinks="check")
    with pytest.raises(GradientError) as caught:
        check_vjp(relu.f, relu.vjp_fn, x, at_kinks="check")
    assert caught.value.index == (1,)
    check_vjp(relu.f, relu.vjp_fn, x, at_kinks="between")
    check_vjp(relu.f, half, x, at_kinks="between")
    with pytest.raises(GradientError):
        check_vjp(relu.f, lambda g, x: g * ((x > 0) + 2.0 * (x == 0)), x, at_kinks="between")
    with pytest.raises(ValueError, match="at_kinks"):
        check_vjp(relu.f, relu.vjp_fn, x, at_kinks="ignore")


def test_ties_in_max():
    """The tie rule: JAX splits the gradient evenly, PyTorch's max(dim) picks one element."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 0.5]])

    def pick_first(g, x):
        grad = np.zeros_like(x)
        grad[np.arange(2), x.argmax(axis=1)] = g
        return grad

    def f(x):
        return x.max(axis=1)

    def even(g, x):
        return max_vjp(g, x, axis=1)

    for rule in (even, pick_first):
        check_vjp(f, rule, x)
        check_vjp(f, rule, x, at_kinks="between")
    check_vjp(f, even, x, at_kinks="check")
    with pytest.raises(GradientError):
        check_vjp(f, pick_first, x, at_kinks="check")


# --- structure errors, messages, warnings -----------------------------------------------------

matmul = rule_named("matmul-rect")


@pytest.mark.parametrize("result, kind, fragment", [
    (lambda g, x, w: g @ w.T, "count", "must return a tuple of 2 gradients"),
    (lambda g, x, w: (g @ w.T,), "count", "returned 1 gradient, but f has 2 inputs"),
    (lambda g, x, w: (g @ w.T, x.T @ g, g), "count", "returned 3 gradients"),
    (lambda g, x, w: (g @ w.T, None), "type", "dL/dw is None"),
    (lambda g, x, w: (g @ w.T, (x.T @ g).tolist()), "type", "dL/dw is a list"),
    (lambda g, x, w: (g @ w.T, "x.T @ g"), "type", "dL/dw is a str"),
    (lambda g, x, w: (g @ w.T, np.full((3, 4), np.inf)), "nonfinite", "dL/dw[0, 0]: expected"),
    (lambda g, x, w: ((x.T @ g).T, g @ w.T), "shape", "dL/dx must have the shape of x"),
], ids=["array", "one", "three", "none", "list", "str", "inf", "shape"])
def test_malformed_results_give_clear_errors(result, kind, fragment):
    with pytest.raises(GradientError, match=fragment.replace("[", r"\[")) as caught:
        check_vjp(matmul.f, result, *matmul.inputs())
    assert caught.value.kind == kind


def test_one_input_may_come_as_a_one_tuple_and_numbers_are_arrays():
    check_vjp(np.exp, lambda g, x: (g * np.exp(x),), np.array([0.5, 1.0]))
    check_vjp(lambda x: 3 * x, lambda g, x: float(3 * g), np.array(0.7))


def test_message_names_input_shape_and_element():
    x, w = matmul.inputs()
    with pytest.raises(GradientError) as caught:
        check_vjp(matmul.f, lambda g, x, w: (g @ w.T, 2 * x.T @ g), x, w)
    error = caught.value
    message = str(error)
    assert "input 1 (w)" in message and "(3, 4)" in message and "dL/dw[" in message
    assert len(message.splitlines()) <= 6
    assert isinstance(error, AssertionError)
    assert error.input_index == 1 and error.input_name == "w" and error.kind == "scale"
    assert error.expected.shape == error.got.shape == (3, 4)
    assert np.allclose(error.got, 2 * error.expected)
    assert "exactly 2 times the right one" in message and message.splitlines()[-1].startswith(
        "Hint: ")
    assert error.diagnosis.evidence["factor"] == 2


def test_message_for_an_unreduced_broadcast():
    rule = rule_named("add-unreduced-broadcast", WRONG_RULES)
    with pytest.raises(GradientError) as caught:
        check_vjp(rule.f, rule.vjp_fn, *rule.inputs())
    message = str(caught.value)
    assert "dL/db must have the shape of b, (3,), but has shape (4, 3)" in message
    assert "sum dL/db over the broadcast axes" in message


def test_message_without_parameter_names_and_for_large_inputs():
    def vjp_fn(g, *inputs):
        return -g

    with pytest.raises(GradientError, match=r"input 0\b.*dL/d\(input 0\)") as caught:
        check_vjp(lambda *xs: xs[0] * 1.0, vjp_fn, np.ones(3))
    assert caught.value.input_name is None
    with pytest.raises(GradientError, match="along a random direction") as caught:
        check_vjp(np.sin, lambda g, x: -g * np.cos(x), *random_inputs((300, 300)))
    assert caught.value.index is None and len(str(caught.value).splitlines()) <= 3


def test_jvp_messages():
    x, w = matmul.inputs()
    with pytest.raises(GradientError, match=r"only input 1 \(w\) moves") as caught:
        check_jvp(matmul.f, lambda t, x, w: t[0] @ w, x, w)
    assert caught.value.input_index == 1 and caught.value.got.shape == (5, 4)
    with pytest.raises(GradientError, match="must have the shape of f") as caught:
        check_jvp(matmul.f, lambda t, x, w: (t[0] @ w + x @ t[1]).T, x, w)
    assert caught.value.kind == "transpose"       # its transpose is the right tangent
    with pytest.raises(GradientError, match="must have the shape of f") as caught:
        check_jvp(matmul.f, lambda t, x, w: (t[0] @ w + x @ t[1])[:, :3], x, w)
    assert caught.value.kind == "shape"
    with pytest.raises(GradientError, match="must have the shape of f") as caught:
        dot_product_test(matmul.f, lambda t, x, w: (t[0] @ w + x @ t[1]).T, matmul.vjp_fn, x, w)


def test_float32_inputs_warn_and_are_checked_in_float64():
    (x,) = random_inputs((3, 4))
    tanh = rule_named("tanh")
    with pytest.warns(PrecisionWarning, match="float32"):
        check_vjp(tanh.f, tanh.vjp_fn, x.astype(np.float32))
    with pytest.warns(PrecisionWarning, match="f returns float32"):
        try:    # finite differences of a float32 function are mostly rounding noise
            check_vjp(lambda x: np.tanh(x).astype(np.float32), tanh.vjp_fn, x)
        except GradientError:
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_vjp(tanh.f, tanh.vjp_fn, x)          # float64: silent


def test_the_check_neither_changes_nor_trusts_what_it_passes_to_the_rule():
    (x,) = random_inputs((3, 4))
    before = x.copy()

    def vjp_in_place(g, x):
        g *= 1 - np.tanh(x) ** 2          # changes its arguments in place
        x *= 0
        return g

    check_vjp(np.tanh, vjp_in_place, x)
    assert np.array_equal(x, before)


def test_bad_calls_are_value_errors():
    with pytest.raises(ValueError, match="upstream has shape"):
        check_vjp(np.exp, lambda g, x: g * np.exp(x), np.ones(3), upstream=np.ones(4))
    with pytest.raises(ValueError, match="not finite"):
        check_vjp(np.log, lambda g, x: g / x, np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="not finite"):    # inside the domain, but within eps
        check_vjp(np.sqrt, lambda g, x: g / (2 * np.sqrt(x)), np.array([1.0, 1e-9]))


# --- helpers ----------------------------------------------------------------------------------

def test_numerical_grad_and_vjp():
    x, w = random_inputs((3, 2), (2, 4))
    assert np.allclose(numerical_grad(lambda x: np.sum(x ** 3), x), 3 * x ** 2, atol=1e-8)
    u = np.arange(12.0).reshape(3, 4)
    gx, gw = numerical_vjp(lambda x, w: x @ w, (x, w), u)
    assert np.allclose(gx, u @ w.T, atol=1e-8) and np.allclose(gw, x.T @ u, atol=1e-8)
    with pytest.raises(ValueError, match="scalar"):
        numerical_grad(np.exp, x)


def test_rel_error_is_cs231n():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error([1.0, 2.0], [1.0, -2.0]) == 1.0
    assert rel_error(1e-12, 0.0) == pytest.approx(1e-4)      # the 1e-8 floor


def test_random_inputs():
    a, b = random_inputs((3, 4), 5, seed=1)
    assert a.shape == (3, 4) and b.shape == (5,) and a.dtype == np.float64
    assert np.array_equal(a, random_inputs((3, 4), seed=1)[0])
    (x,) = random_inputs((1000,), away_from=(-1.0, 0.0, 1.0), margin=0.2)
    assert np.min(np.abs(x[:, None] - np.array([-1.0, 0.0, 1.0]))) >= 0.2
    (s,) = random_inputs(())
    assert s.shape == () and abs(s) >= 0.1


def test_check_vjp_on_a_512_matmul_is_fast():
    x, w = random_inputs((512, 512), (512, 512))
    rule = rule_named("matmul")
    check_vjp(rule.f, rule.vjp_fn, x, w)                         # warm-up
    times, matmul_times = [], []
    for _ in range(5):
        start = time.perf_counter()
        check_vjp(rule.f, rule.vjp_fn, x, w)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        x @ w
        matmul_times.append(time.perf_counter() - start)
    print(f"check_vjp 512x512 matmul: best {min(times) * 1e3:.1f} ms "
          f"({min(times) / min(matmul_times):.1f} matmuls)")
    assert min(times) < 2.0


# --- check_grad: through a JAX-style vjp ------------------------------------------------------

class Node:
    """A tiny stand-in for course.Tensor: a value and its parents with their local VJPs."""

    def __init__(self, value, parents=()):
        self.value, self.parents = np.asarray(value, dtype=np.float64), parents

    def _lift(self, other):
        return other if isinstance(other, Node) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        return type(self)(self.value + other.value, ((self, lambda g: g), (other, lambda g: g)))

    def __mul__(self, other):
        other = self._lift(other)
        return type(self)(self.value * other.value, ((self, lambda g: g * other.value),
                                                     (other, lambda g: g * self.value)))

    def __matmul__(self, other):
        return type(self)(self.value @ other.value, ((self, lambda g: g @ other.value.T),
                                                     (other, lambda g: self.value.T @ g)))

    def tanh(self):
        y = np.tanh(self.value)
        return type(self)(y, ((self, lambda g: g * (1 - y ** 2)),))

    def sum(self):
        return type(self)(self.value.sum(), ((self, lambda g: g * np.ones_like(self.value)),))


class SwappedMulNode(Node):
    def __mul__(self, other):
        other = self._lift(other)
        return type(self)(self.value * other.value, ((self, lambda g: g * self.value),
                                                     (other, lambda g: g * other.value)))


def stand_in_vjp(node_type):
    """A JAX-style vjp(f, *primals) -> (out, vjp_fn) over Nodes of the given type."""
    def vjp(f, *primals):
        leaves = [node_type(p) for p in primals]
        out = f(*leaves)

        def vjp_fn(u):
            order, seen = [], set()

            def visit(node):
                if id(node) not in seen:
                    seen.add(id(node))
                    for parent, _ in node.parents:
                        visit(parent)
                    order.append(node)

            visit(out)
            grads = {id(out): np.asarray(u, dtype=np.float64)}
            for node in reversed(order):
                for parent, rule in node.parents:
                    g = unbroadcast(rule(grads[id(node)]), parent.value.shape)
                    grads[id(parent)] = grads.get(id(parent), 0) + g
            return tuple(grads.get(id(leaf), np.zeros(leaf.value.shape)) for leaf in leaves)

        return out.value, vjp_fn
    return vjp


def affine_tanh(x, w, b):
    return (x @ w + b).tanh() * x.sum()


def test_check_grad_with_a_stand_in_engine():
    x, w, b = random_inputs((5, 3), (3, 4), (4,))
    check_grad(affine_tanh, x, w, b, vjp=stand_in_vjp(Node))
    with pytest.raises(GradientError, match="input 0 \\(x\\)"):
        check_grad(affine_tanh, x, w, b, vjp=stand_in_vjp(SwappedMulNode))
    big = random_inputs((50, 30), (30, 120), (120,))
    check_grad(affine_tanh, *big, vjp=stand_in_vjp(Node))
    with pytest.raises(GradientError, match="along a random direction"):
        check_grad(affine_tanh, *big, vjp=stand_in_vjp(SwappedMulNode))


ENGINE_FUNCTIONS = [
    ("affine-tanh", affine_tanh, ((5, 3), (3, 4), (4,))),
    ("mlp", lambda x, w1, w2: ((x @ w1).relu() @ w2).sigmoid().sum(), ((6, 4), (4, 5), (5, 2))),
    ("softmax", lambda x: x.exp() / x.exp().sum(axis=1, keepdims=True), ((3, 4),)),
    ("reductions", lambda x: x.max(axis=0) * x.mean(axis=1, keepdims=True) - x, ((3, 4),)),
    ("arithmetic", lambda x, y: x ** 2 / (y * y + 1.0) - 2.0 * x + y.exp().log(), ((3, 4), (4,))),
    ("index-repeated", lambda x: x[repeated_index(6)] * x[repeated_index(6)], ((6,),)),
    ("large", lambda x, w: (x @ w).tanh().sum(), ((40, 30), (30, 20))),
]


@pytest.mark.parametrize("name, f, shapes", ENGINE_FUNCTIONS, ids=[e[0] for e in ENGINE_FUNCTIONS])
def test_check_grad_on_the_engine(name, f, shapes):
    """Runs for real once course.transforms exists: the engine's gradients, and its forward
    mode against its reverse mode."""
    transforms = pytest.importorskip("course.transforms")
    inputs = random_inputs(*shapes, seed=3)
    check_grad(f, *inputs)

    def forward(*xs):
        return transforms.vjp(f, *xs)[0]

    def jvp_fn(tangents, *xs):
        return transforms.jvp(f, xs, tangents)[1]

    def vjp_fn(u, *xs):
        return transforms.vjp(f, *xs)[1](u)

    check_jvp(forward, jvp_fn, *inputs)
    dot_product_test(forward, jvp_fn, vjp_fn, *inputs)
