"""The Tensor engine: every primitive's VJP and JVP (driven by `op_table.OP_TABLE`), operators,
methods, indexing, ties and kinks, the neural-network functions, numpy interoperability, and the
structure and semantics of `Tensor.backward()`.
"""

import numpy as np
import pytest

import course
from course import Tensor, ops
from course.tracing import Primitive, topological_order
from op_table import (DIFFERENTIABLE_ARGS, OP_TABLE, as_array, assert_close, assert_dot_product,
                      evaluate, numerical_jvp, numerical_vjp, rng_for, sample_inputs)


def cases(mode):
    """The table as pytest params; a case with a known engine bug in `mode` is a strict xfail."""
    return [pytest.param(case, id=case.name,
                         marks=[pytest.mark.xfail(strict=True, reason=case.xfail[mode])]
                         if mode in case.xfail else [])
            for case in OP_TABLE]


def _setup(case):
    """Seeded inputs from the case's domain, and a random upstream gradient (never all ones)."""
    rng = rng_for(case.name)
    xs = sample_inputs(case.shapes, case.domains(), rng)
    out = evaluate(case.fn, xs)
    u = rng.standard_normal(out.shape)
    return rng, xs, u


# --- the op table: every primitive, both modes ------------------------------------------------

@pytest.mark.parametrize("case", cases("vjp"))
def test_vjp_matches_finite_differences(case):
    _, xs, u = _setup(case)
    value, vjp_fn = course.vjp(case.fn, *xs)
    np.testing.assert_allclose(value, evaluate(case.fn, xs), rtol=1e-13, atol=0)
    grads = vjp_fn(u)
    assert isinstance(grads, tuple) and len(grads) == len(xs)
    for i, (got, expected) in enumerate(zip(grads, numerical_vjp(case.fn, xs, u))):
        assert type(got) is np.ndarray, f"vjp returned {type(got).__name__} for input {i}"
        assert_close(got, expected, f"{case.name}: course.vjp, input {i}")


@pytest.mark.parametrize("case", cases("backward"))
def test_backward_matches_finite_differences(case):
    _, xs, u = _setup(case)
    leaves = [Tensor(x.copy(), requires_grad=True) for x in xs]
    out = case.fn(*leaves)
    assert isinstance(out, Tensor) and out.requires_grad
    out.backward(grad=u)
    for i, (leaf, expected) in enumerate(zip(leaves, numerical_vjp(case.fn, xs, u))):
        assert type(leaf.grad) is np.ndarray and leaf.grad.dtype == np.float64
        assert_close(leaf.grad, expected, f"{case.name}: Tensor.backward, input {i}")


@pytest.mark.parametrize("case", cases("jvp"))
def test_jvp_matches_finite_differences(case):
    rng, xs, _ = _setup(case)
    vs = [rng.standard_normal(x.shape) for x in xs]
    value, tangent = course.jvp(case.fn, tuple(xs), tuple(vs))
    np.testing.assert_allclose(value, evaluate(case.fn, xs), rtol=1e-13, atol=0)
    assert_close(tangent, numerical_jvp(case.fn, xs, vs), f"{case.name}: course.jvp")


@pytest.mark.parametrize("case", cases("dot"))
def test_jvp_and_vjp_agree_by_the_dot_product_test(case):
    rng, xs, u = _setup(case)
    vs = [rng.standard_normal(x.shape) for x in xs]
    _, vjp_fn = course.vjp(case.fn, *xs)
    vjps = vjp_fn(u)
    _, jv = course.jvp(case.fn, tuple(xs), tuple(vs))
    assert_dot_product(u, jv, vjps, vs, f"{case.name}: all inputs")
    for i in range(len(xs)):  # one input at a time: a wrong rule cannot hide behind another
        only = [v if k == i else np.zeros_like(v) for k, v in enumerate(vs)]
        _, jv_i = course.jvp(case.fn, tuple(xs), tuple(only))
        assert_dot_product(u, jv_i, vjps, only, f"{case.name}: input {i}")


@pytest.mark.parametrize("case", cases("record"))
def test_case_records_the_primitives_it_declares(case):
    _, xs, _ = _setup(case)
    out = case.fn(*[Tensor(x, requires_grad=True) for x in xs])
    recorded = {node._op.name for node in topological_order(out) if node._parents}
    missing = set(case.primitives) - recorded
    assert not missing, (f"{case.name} declares {sorted(missing)} but records only "
                         f"{sorted(recorded)}")


def _primitives():
    return {p.name: p for p in vars(ops).values() if isinstance(p, Primitive)}


def test_every_primitive_has_rules_for_its_differentiable_args():
    undeclared = set(_primitives()) - set(DIFFERENTIABLE_ARGS)
    assert not undeclared, (f"primitives {sorted(undeclared)} of course.ops are missing from "
                            f"op_table.DIFFERENTIABLE_ARGS: declare them and add table cases")
    for name, p in _primitives().items():
        args = DIFFERENTIABLE_ARGS[name]
        if args == "variadic":
            assert p.vjp_argnum is not None, f"{name}: no vjp_argnum rule"
            assert p.jvp_argnum is not None, f"{name}: no jvp_argnum rule"
            continue
        assert set(p.vjps) == set(args), f"{name}: VJP rules for {sorted(p.vjps)}, expected {args}"
        assert set(p.jvps) == set(args), f"{name}: JVP rules for {sorted(p.jvps)}, expected {args}"


def test_every_primitive_appears_in_the_op_table():
    tested = {name for case in OP_TABLE for name in case.primitives}
    untested = set(_primitives()) - tested
    assert not untested, f"primitives without a case in op_table.OP_TABLE: {sorted(untested)}"
    unknown = (tested | set(DIFFERENTIABLE_ARGS)) - set(_primitives())
    assert not unknown, f"op_table names primitives that course.ops does not define: {unknown}"


# --- operators and methods: values and types ---------------------------------------------------

X = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]])
Y = np.array([[1.5, 0.5, 2.5], [0.75, 1.25, 2.0]])   # positive
A = np.array([[2.0, -1.0, 0.5], [0.5, 3.0, -2.0]])

EXPRESSIONS = [
    ("t + 2", lambda t, s: t + 2, lambda x, y: x + 2),
    ("2 + t", lambda t, s: 2 + t, lambda x, y: 2 + x),
    ("arr + t", lambda t, s: A + t, lambda x, y: A + x),
    ("t + arr", lambda t, s: t + A, lambda x, y: x + A),
    ("t - 2", lambda t, s: t - 2, lambda x, y: x - 2),
    ("2 - t", lambda t, s: 2 - t, lambda x, y: 2 - x),
    ("arr - t", lambda t, s: A - t, lambda x, y: A - x),
    ("2 * t", lambda t, s: 2 * t, lambda x, y: 2 * x),
    ("t * arr", lambda t, s: t * A, lambda x, y: x * A),
    ("t / 2", lambda t, s: t / 2, lambda x, y: x / 2),
    ("2 / s", lambda t, s: 2 / s, lambda x, y: 2 / y),
    ("arr / s", lambda t, s: A / s, lambda x, y: A / y),
    ("t ** 3", lambda t, s: t ** 3, lambda x, y: x ** 3),
    ("2 ** t", lambda t, s: 2 ** t, lambda x, y: 2 ** x),
    ("s ** t", lambda t, s: s ** t, lambda x, y: y ** x),
    ("-t", lambda t, s: -t, lambda x, y: -x),
    ("t @ s.T", lambda t, s: t @ s.T, lambda x, y: x @ y.T),
    ("arr @ t.T", lambda t, s: A @ t.T, lambda x, y: A @ x.T),
    ("t.T @ arr", lambda t, s: t.T @ A, lambda x, y: x.T @ A),
    ("t.exp()", lambda t, s: t.exp(), np.exp),
    ("s.log()", lambda t, s: s.log(), lambda x, y: np.log(y)),
    ("t.tanh()", lambda t, s: t.tanh(), np.tanh),
    ("t.sigmoid()", lambda t, s: t.sigmoid(), lambda x, y: 1 / (1 + np.exp(-x))),
    ("t.relu()", lambda t, s: t.relu(), lambda x, y: np.maximum(x, 0)),
    ("maximum(t, s)", lambda t, s: course.maximum(t, s), lambda x, y: np.maximum(x, y)),
]


@pytest.mark.parametrize("traced", [True, False], ids=["traced", "constant"])
@pytest.mark.parametrize("expr, tensor_fn, numpy_fn", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_operator_values_and_result_type(expr, tensor_fn, numpy_fn, traced):
    t, s = Tensor(X.copy(), requires_grad=traced), Tensor(Y.copy(), requires_grad=traced)
    out = tensor_fn(t, s)
    assert type(out) is Tensor, f"{expr} returned {type(out).__name__}"
    assert out.requires_grad is traced
    np.testing.assert_allclose(out.data, numpy_fn(X, Y), rtol=1e-14)


def test_operators_on_python_scalars_and_zero_dim_tensors():
    t = Tensor(3.0, requires_grad=True)
    y = 2 * t ** 2 - 1 / t + t / 4
    y.backward()
    assert y.shape == () and abs(y.item() - (18 - 1 / 3 + 0.75)) < 1e-14
    assert abs(t.grad - (4 * 3 + 1 / 9 + 0.25)) < 1e-14 and t.grad.shape == ()


def test_power_of_two_tensors_gradients():
    # d(x**y)/dx = y x**(y-1), d(x**y)/dy = x**y log x
    x, y = Tensor(np.array([0.5, 2.0]), requires_grad=True), Tensor(np.array([3.0, -1.5]),
                                                                     requires_grad=True)
    (x ** y).backward(grad=np.array([0.7, -1.3]))
    np.testing.assert_allclose(x.grad, np.array([0.7, -1.3]) * y.data * x.data ** (y.data - 1))
    np.testing.assert_allclose(y.grad, np.array([0.7, -1.3]) * x.data ** y.data * np.log(x.data))


def test_power_with_negative_base_and_constant_exponent():
    x = Tensor(np.array([-2.0, -0.5, 1.5]), requires_grad=True)
    (x ** 3).backward(grad=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad, np.array([1.0, 2.0, 3.0]) * 3 * x.data ** 2)


def test_power_zero_at_zero_has_gradient_zero():
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x ** 0).backward(grad=np.array([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


COMPARISONS = [
    ("<", lambda a, b: a < b), ("<=", lambda a, b: a <= b), (">", lambda a, b: a > b),
    (">=", lambda a, b: a >= b), ("==", lambda a, b: a == b), ("!=", lambda a, b: a != b),
]


@pytest.mark.parametrize("op_name, op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
@pytest.mark.parametrize("other", ["number", "array", "constant", "traced"])
@pytest.mark.parametrize("tensor_on_left", [True, False], ids=["t-op-other", "other-op-t"])
def test_comparisons_return_plain_boolean_arrays(op_name, op, other, tensor_on_left):
    t = Tensor(X.copy(), requires_grad=True)
    o = {"number": 0.5, "array": A, "constant": Tensor(A),
         "traced": Tensor(A, requires_grad=True)}[other]
    o_plain = o.data if isinstance(o, Tensor) else o
    result = op(t, o) if tensor_on_left else op(o, t)
    expected = op(X, o_plain) if tensor_on_left else op(o_plain, X)
    assert type(result) is np.ndarray and result.dtype == np.bool_, (
        f"t {op_name} {other} returned {type(result).__name__}")
    np.testing.assert_array_equal(result, expected)


def test_tensor_dtype_and_conversions():
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(np.arange(3)).dtype == np.float64
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="part of a graph"):
        np.asarray(t)
    np.testing.assert_array_equal(np.asarray(t.detach()), [1.0, 2.0])
    assert t.numpy() is not t.data


@pytest.mark.parametrize("method", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, -2, (0, 2), (2, -3), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_values_and_gradient_shapes(method, axis, keepdims):
    x = rng_for(f"{method}{axis}{keepdims}").permutation(24).reshape(2, 3, 4) * 0.5
    t = Tensor(x, requires_grad=True)
    out = getattr(t, method)(axis=axis, keepdims=keepdims)
    expected = getattr(np, method if method != "max" else "amax")(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)
    out.backward(grad=np.ones(out.shape) * 1.5)
    assert t.grad.shape == x.shape


def test_reshape_call_styles_agree():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(x)
    for shape in [(6, 4), (4, -1), (24,), (-1,), (2, 12, 1)]:
        np.testing.assert_array_equal(t.reshape(*shape).data, x.reshape(shape))
        np.testing.assert_array_equal(t.reshape(shape).data, x.reshape(shape))
        np.testing.assert_array_equal(t.reshape(list(shape)).data, x.reshape(shape))


def test_transpose_call_styles_agree():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(x)
    np.testing.assert_array_equal(t.T.data, x.T)
    np.testing.assert_array_equal(t.transpose().data, x.transpose())
    np.testing.assert_array_equal(t.transpose(2, 0, 1).data, x.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.transpose((1, 0, 2)).data, x.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.transpose([1, 0, 2]).data, x.transpose(1, 0, 2))


# --- indexing --------------------------------------------------------------------------------

def test_integer_array_index_with_repeats_adds_gradients():
    x = Tensor(np.array([1.0, -2.0, 3.0, -4.0]), requires_grad=True)
    y = x[np.array([0, 0, 2, 0])]
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 3.0, 1.0])
    y.backward(grad=np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 3.0, 0.0])   # 1 + 2 + 4 reach x[0]


def test_repeated_pairs_of_indices_add_gradients():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    x[np.array([0, 1, 0]), np.array([2, 0, 2])].backward(grad=np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 101.0], [10.0, 0.0, 0.0]])


def test_boolean_mask_index():
    x = Tensor(np.array([[1.0, -2.0], [3.0, -4.0]]), requires_grad=True)
    mask = x > 0
    assert type(mask) is np.ndarray
    y = x[mask]
    np.testing.assert_array_equal(y.data, [1.0, 3.0])
    y.backward(grad=np.array([5.0, 7.0]))
    np.testing.assert_array_equal(x.grad, [[5.0, 0.0], [7.0, 0.0]])


def test_basic_indexing_scatters_the_gradient_back():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x[1:, ::2]
    np.testing.assert_array_equal(y.data, x.data[1:, ::2])
    y.backward(grad=np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[0, 0, 0, 0], [1, 0, 2, 0], [3, 0, 4, 0]])
    x[-1, 2].backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]])


# --- ties and kinks: the documented choices ----------------------------------------------------

def test_max_reduction_splits_the_gradient_among_ties():
    """A tie among k maxima gives each of them 1/k of the upstream gradient."""
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).backward(grad=np.array([1.0, 6.0]))
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [2.0, 2.0, 2.0]], rtol=1e-15)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]], rtol=1e-15)
    x.max(axis=0, keepdims=True).backward(grad=np.array([[4.0, 1.0, 1.0]]))
    np.testing.assert_allclose(x.grad, [[0.0, 1.0, 1.0], [4.0, 0.0, 0.0]], rtol=1e-15)


def test_max_reduction_ties_in_forward_mode():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    v = np.array([[5.0, 1.0, 2.0], [3.0, 6.0, 9.0]])
    _, tangent = course.jvp(lambda t: t.max(axis=1), (x,), (v,))
    np.testing.assert_allclose(tangent, [1.5, 6.0], rtol=1e-15)   # the mean of the tied tangents
    u = np.array([0.3, -1.7])   # the tie rule is the same in both modes: the dot-product test holds
    g = course.vjp(lambda t: t.max(axis=1), x)[1](u)[0]
    assert abs(np.sum(u * tangent) - np.sum(g * v)) < 1e-14


def test_maximum_splits_a_tie_equally():
    x, y = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True), Tensor(np.array([2.0, 2.0, 1.0]),
                                                                         requires_grad=True)
    course.maximum(x, y).backward(grad=np.array([1.0, 4.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 1.0])
    np.testing.assert_array_equal(y.grad, [1.0, 2.0, 0.0])
    _, tangent = course.jvp(course.maximum, (x.data, y.data), (np.array([1.0, 1.0, 1.0]),
                                                               np.array([3.0, 3.0, 3.0])))
    np.testing.assert_array_equal(tangent, [3.0, 2.0, 1.0])


def test_relu_at_exactly_zero_has_gradient_zero():
    x = np.array([0.0, 1.0, -1.0])
    np.testing.assert_array_equal(course.grad(lambda t: t.relu().sum())(x), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(course.jvp(lambda t: t.relu(), (x,), (np.ones(3),))[1],
                                  [0.0, 1.0, 0.0])


def test_maximum_with_zero_is_a_routing_gate_not_relu():
    """maximum(x, 0) at x == 0 is a tie: half the gradient (relu gives 0 there)."""
    x = np.array([0.0, 1.0, -1.0])
    np.testing.assert_array_equal(course.grad(lambda t: course.maximum(t, 0.0).sum())(x),
                                  [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(course.grad(lambda t: np.maximum(t, 0).sum())(x),
                                  [0.5, 1.0, 0.0])


# --- softmax, log_softmax, cross_entropy -------------------------------------------------------

def test_softmax_and_log_softmax_values():
    x = rng_for("softmax").standard_normal((3, 4))
    for axis in (-1, 0, 1):
        p = course.softmax(Tensor(x), axis=axis).data
        np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-14)
        e = np.exp(x)
        np.testing.assert_allclose(p, e / e.sum(axis=axis, keepdims=True), rtol=1e-13)
        np.testing.assert_allclose(course.log_softmax(Tensor(x), axis=axis).data, np.log(p),
                                   rtol=1e-13, atol=1e-15)


def test_softmax_is_stable_for_large_scores():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    p = course.softmax(Tensor(x)).data
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-14)
    lp = course.log_softmax(Tensor(x)).data
    assert np.all(np.isfinite(lp))
    assert np.all(np.isfinite(course.grad(lambda t: course.cross_entropy(t, [1, 0]))(x)))


def test_cross_entropy_value_and_p_minus_y_gradient():
    rng = rng_for("cross-entropy")
    logits, labels = rng.standard_normal((5, 4)), np.array([3, 0, 3, 1, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = course.value_and_grad(lambda z: course.cross_entropy(z, labels))(logits)
    np.testing.assert_allclose(loss, -np.mean(np.log(p[np.arange(5), labels])), rtol=1e-13)
    one_hot = np.eye(4)[labels]
    np.testing.assert_allclose(grad, (p - one_hot) / 5, rtol=1e-12, atol=1e-16)
    t = Tensor(logits, requires_grad=True)
    course.cross_entropy(t, list(labels)).backward(grad=np.array(0.3))   # a list of labels works
    np.testing.assert_allclose(t.grad, 0.3 * (p - one_hot) / 5, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 3]), r"labels must lie in \[0, 3\)"),
    (np.array([-1, 0]), r"labels must lie in \[0, 3\)"),
    (np.array([0.0, 1.0]), r"labels must be 2 integers"),
    (np.array([[0], [1]]), r"labels must be 2 integers \(shape \(2,\)\)"),
    (np.array([0, 1, 2]), r"labels must be 2 integers"),
])
def test_cross_entropy_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        course.cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), labels)


def test_cross_entropy_rejects_logits_that_are_not_a_batch():
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        course.cross_entropy(Tensor(np.zeros(3)), np.array([0]))


# --- numpy interoperability -----------------------------------------------------------------

def _interop(name, fn, expected, bug=None):
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(name, fn, expected, id=name, marks=marks)


@pytest.mark.parametrize("name, fn, expected", [
    _interop("np.exp(t)", lambda t: np.exp(t), lambda x: np.exp(x)),
    _interop("np.sum(t, axis=0)", lambda t: np.sum(t, axis=0), lambda x: np.sum(x, axis=0)),
    _interop("np.mean(t, axis=1, keepdims=True)", lambda t: np.mean(t, axis=1, keepdims=True),
             lambda x: np.mean(x, axis=1, keepdims=True)),
    _interop("np.mean(t)", lambda t: np.mean(t), lambda x: np.mean(x)),
    _interop("array @ t", lambda t: A.T @ t, lambda x: A.T @ x),
    _interop("np.matmul(array, t)", lambda t: np.matmul(A.T, t), lambda x: A.T @ x),
    _interop("np.maximum(t, 0)", lambda t: np.maximum(t, 0), lambda x: np.maximum(x, 0)),
    _interop("np.max(t, axis=None)", lambda t: np.max(t, axis=None), lambda x: np.max(x)),
    _interop("array + t", lambda t: A + t, lambda x: A + x),
    _interop("np.reshape(t, -1)", lambda t: np.reshape(t, -1), lambda x: np.reshape(x, -1)),
    _interop("np.max(t)", lambda t: np.max(t), lambda x: np.max(x)),
    _interop("np.sum(t)", lambda t: np.sum(t), lambda x: np.sum(x)),
])
def test_numpy_functions_dispatch_to_the_engine(name, fn, expected):
    t = Tensor(X.copy(), requires_grad=True)
    out = fn(t)
    assert type(out) is Tensor and out.requires_grad, f"{name} did not give a traced Tensor"
    np.testing.assert_allclose(out.data, expected(X), rtol=1e-14)
    u = rng_for(name).standard_normal(out.shape)
    out.backward(grad=u)
    assert_close(t.grad, numerical_vjp(lambda z: fn(z), [X], u)[0], name)
    g = course.vjp(fn, X)[1](u)[0]
    assert_close(g, t.grad, f"{name} under course.vjp", rtol=1e-14)


def test_unsupported_numpy_function_on_a_traced_tensor_raises_a_clear_type_error():
    t = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.sin is not differentiable by the course engine"):
        np.sin(t)
    with pytest.raises(TypeError, match=r"np\.sin is not differentiable"):
        course.grad(lambda z: np.sin(z).sum())(X)
    with pytest.raises(TypeError, match=r"np\.cumsum is not differentiable"):
        np.cumsum(t)


def test_unsupported_numpy_function_on_a_constant_tensor_computes():
    np.testing.assert_array_equal(np.sin(Tensor(X)), np.sin(X))
    np.testing.assert_array_equal(np.cumsum(Tensor(X)), np.cumsum(X))


def test_unsupported_numpy_function_taking_a_list_of_tensors():
    with pytest.raises(TypeError, match="not differentiable"):
        np.concatenate([Tensor(X, requires_grad=True), Tensor(X)])
    np.testing.assert_array_equal(np.concatenate([Tensor(X), Tensor(X)]),
                                  np.concatenate([X, X]))


def test_shape_queries_work_on_traced_tensors():
    t = Tensor(X, requires_grad=True)
    assert np.shape(t) == (2, 3)
    assert np.ndim(t) == 2


# --- graph structure --------------------------------------------------------------------------

def test_fan_out_adds_the_gradients_of_every_use():
    x = Tensor(np.array([0.5, -2.0, 3.0]), requires_grad=True)
    (x * x + x).backward(grad=np.array([1.0, 2.0, -1.0]))
    np.testing.assert_allclose(x.grad, np.array([1.0, 2.0, -1.0]) * (2 * x.data + 1))


def test_diamond():
    # a -> b = exp(a), a -> c = tanh(a), (b, c) -> d = b * c
    a = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    b, c = a.exp(), a.tanh()
    d = b * c
    d.backward(grad=np.array([2.0, -0.5]))
    ea, ta = np.exp(a.data), np.tanh(a.data)
    np.testing.assert_allclose(a.grad, np.array([2.0, -0.5]) * (ea * ta + ea * (1 - ta ** 2)),
                               rtol=1e-14)


def test_shared_subexpression():
    x, y = Tensor(np.array([1.5, -0.5]), requires_grad=True), Tensor(np.array([2.0, 3.0]),
                                                                     requires_grad=True)
    s = x * y
    (s * s + s.sigmoid() + s).sum().backward()
    sv = x.data * y.data
    sig = 1 / (1 + np.exp(-sv))
    ds = 2 * sv + sig * (1 - sig) + 1
    np.testing.assert_allclose(x.grad, ds * y.data, rtol=1e-14)
    np.testing.assert_allclose(y.grad, ds * x.data, rtol=1e-14)


def test_deep_chain_of_ten_thousand_ops():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for k in range(10_000):
        y = y * 1.0001 if k % 2 else y + 0.001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** 5000, rtol=1e-12)

    def chain(z):
        for k in range(10_000):
            z = z * 1.0001 if k % 2 else z + 0.001
        return z.sum()
    np.testing.assert_allclose(course.grad(chain)(x.data), 1.0001 ** 5000, rtol=1e-12)


def test_detach_stops_the_gradient():
    x = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    (x * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 3.0])


# --- backward(): semantics and errors ---------------------------------------------------------

def test_second_backward_gives_the_same_gradients():
    """backward() recomputes and overwrites .grad: it never accumulates."""
    rng = rng_for("second-backward")
    x, w = Tensor(rng.standard_normal((3, 2)), requires_grad=True), Tensor(rng.standard_normal(2),
                                                                           requires_grad=True)
    loss = ((x @ w).tanh() * (x @ w)).sum()
    loss.backward()
    first = x.grad.copy(), w.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad, first[0])
    np.testing.assert_array_equal(w.grad, first[1])
    u = rng.standard_normal(3)
    y = x @ w
    y.backward(grad=u)
    y.backward(grad=u)
    np.testing.assert_allclose(w.grad, x.data.T @ u, rtol=1e-14)


def test_backward_of_another_output_overwrites_the_leaf_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_leaf_gradients_are_independent_arrays():
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    (c + a).sum().backward()       # a's gradient is a sum over the broadcast axis
    a.grad[:] = -1.0
    np.testing.assert_array_equal(c.grad, np.ones((2, 3)))
    u = np.array([1.0, 2.0, 3.0])
    (a + 0).backward(grad=u)
    a.grad[0] = 50.0
    np.testing.assert_array_equal(u, [1.0, 2.0, 3.0])     # the caller's grad= is not aliased
    a.grad[0] = 50.0
    a.backward(grad=u)
    np.testing.assert_array_equal(a.grad, u)
    assert a.grad is not u


def test_leaf_gradients_that_are_views_of_one_buffer_are_independent():
    a, b = Tensor(np.ones(4), requires_grad=True), Tensor(np.ones(4), requires_grad=True)
    (a.reshape(2, 2) + b.reshape(2, 2)).backward(grad=np.ones((2, 2)))
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0, 1.0])


def test_backward_on_a_non_scalar_without_grad_raises():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"single-element output.*shape \(2, 3\).*pass grad="):
        (x * 2).backward()


def test_backward_with_a_grad_of_the_wrong_shape_raises():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError,
                       match=r"grad has shape \(3, 2\) but the tensor has shape \(2, 3\)"):
        (x * 2).backward(grad=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but the tensor has shape \(\)"):
        x.sum().backward(grad=np.ones(2))


def test_backward_on_a_constant_raises():
    with pytest.raises(RuntimeError, match="nothing to differentiate"):
        (Tensor(np.ones(2)) * 2).sum().backward()


def test_single_element_outputs_need_no_grad():
    x = Tensor(np.array([[2.0]]), requires_grad=True)
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [[3.0]])


def test_gradients_are_float64_arrays_of_the_leaf_shape():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    unused = Tensor(np.array([5.0]), requires_grad=True)
    assert x.grad is None
    (x * 2).sum().backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float64 and x.grad.shape == (2,)
    assert unused.grad is None
    assert as_array(x.grad).tolist() == [2.0, 2.0]
