"""Property-based tests (hypothesis): random shapes, random broadcast-compatible pairs, random
reductions, and random compositions of 2-4 operations drawn from the op table. Reverse mode is
compared with finite differences, forward mode with reverse mode by the dot-product test.

Runs are derandomized under CI (the profile registered in conftest.py); locally each run explores
new examples. Array values come from a numpy generator seeded by a drawn integer, so a failing
example prints as shapes, operation names and a seed, all of which replay it exactly.
"""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import course
from course import Tensor
from op_table import (BINARY, UNARY, assert_close, assert_dot_product, evaluate, fd_noise,
                      numerical_vjp, sample_inputs, to_domain)

SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
SEEDS = st.integers(0, 2 ** 32 - 1)
UNARY_BY_NAME = {op.name: op for op in UNARY}
BINARY_BY_NAME = {op.name: op for op in BINARY}
RTOL = 1e-5                 # finite differences of compositions: looser than the op table's 1e-6


def check_against_finite_differences(fn, xs, rng, what):
    """Reverse mode (vjp and backward) vs central differences, and jvp vs vjp (dot product).

    Examples whose values overflow, or that sit within a step of a kink (relu at 0, a tie in a
    max: there the central differences change with the step), are rejected: no rule is at fault.
    """
    with np.errstate(all="ignore"):
        out = evaluate(fn, xs)
    assume(np.all(np.isfinite(out)) and np.max(np.abs(out), initial=0.0) < 1e4)
    u = rng.standard_normal(out.shape)
    with np.errstate(all="ignore"):
        fine, coarse = numerical_vjp(fn, xs, u, eps=1e-6), numerical_vjp(fn, xs, u, eps=1e-5)
    assume(all(np.all(np.isfinite(g)) for g in fine + coarse))
    noise = fd_noise(u, out, eps=1e-6)
    assume(all(np.max(np.abs(a - b), initial=0.0) <= noise + 1e-4 * np.max(np.abs(a), initial=0.0)
               for a, b in zip(fine, coarse)))

    value, vjp_fn = course.vjp(fn, *xs)
    np.testing.assert_allclose(value, out, rtol=1e-13, atol=0)
    grads = vjp_fn(u)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    fn(*leaves).backward(grad=u)
    for i, (g, expected) in enumerate(zip(grads, fine)):
        assert_close(g, expected, f"{what}: vjp, input {i}", rtol=RTOL, atol=noise)
        # backward() leaves .grad None on a leaf the output does not depend on (PyTorch's rule)
        leaf_grad = np.zeros(xs[i].shape) if leaves[i].grad is None else leaves[i].grad
        np.testing.assert_allclose(leaf_grad, g, rtol=1e-13, atol=1e-300)

    vs = [rng.standard_normal(x.shape) for x in xs]
    _, jv = course.jvp(fn, tuple(xs), tuple(vs))
    assert np.shape(jv) == out.shape
    assert_dot_product(u, jv, grads, vs, what)


@settings(max_examples=50, deadline=None)
@given(name=st.sampled_from(sorted(UNARY_BY_NAME)), shape=SHAPES, seed=SEEDS)
def test_unary_ops_on_random_shapes(name, shape, seed):
    op = UNARY_BY_NAME[name]
    rng = np.random.default_rng(seed)
    xs = sample_inputs((shape,), op.domains, rng)
    check_against_finite_differences(op.fn, xs, rng, f"{name} on {shape}")


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(BINARY_BY_NAME)), shapes=PAIRS, seed=SEEDS)
def test_binary_ops_on_random_broadcast_pairs(name, shapes, seed):
    op = BINARY_BY_NAME[name]
    rng = np.random.default_rng(seed)
    xs = sample_inputs(shapes.input_shapes, op.domains, rng)
    check_against_finite_differences(op.fn, xs, rng, f"{name} on {shapes.input_shapes}")


@st.composite
def reductions(draw):
    shape = draw(SHAPES)
    ndim = len(shape)
    axis = draw(st.none() | st.integers(-ndim, ndim - 1)
                | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
                .map(lambda axes: tuple(a - ndim if a % 2 else a for a in axes)))
    return draw(st.sampled_from(["sum", "mean", "max"])), shape, axis, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(reduction=reductions(), seed=SEEDS)
def test_reductions_on_random_shapes_and_axes(reduction, seed):
    method, shape, axis, keepdims = reduction
    rng = np.random.default_rng(seed)
    xs = sample_inputs((shape,), ("distinct" if method == "max" else "real",), rng)
    fn = lambda x: getattr(x, method)(axis=axis, keepdims=keepdims)  # noqa: E731
    expected_shape = getattr(np, "amax" if method == "max" else method)(
        xs[0], axis=axis, keepdims=keepdims).shape
    assert evaluate(fn, xs).shape == expected_shape
    check_against_finite_differences(fn, xs, rng, f"{method}(axis={axis}, keepdims={keepdims}) "
                                                  f"on {shape}")


# --- compositions -----------------------------------------------------------------------------

STEPS = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY_BY_NAME))),
    # (binary, op, the other operand: x or y, whether the running value h is on the left)
    st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY_BY_NAME)),
              st.sampled_from(["x", "y"]), st.booleans()),
)
FINALS = st.sampled_from([None, ("sum", None, False), ("sum", -1, False), ("mean", -1, True),
                          ("max", None, False), ("max", 0, True)])


def compose(steps, final):
    """f(x, y): start from h = x and apply the steps; inputs are mapped into each op's domain."""
    def f(x, y):
        h = x
        for step in steps:
            if step[0] == "unary":
                op = UNARY_BY_NAME[step[1]]
                h = op.fn(to_domain(h, op.domains[0]))
            else:
                op = BINARY_BY_NAME[step[1]]
                other = x if step[2] == "x" else y
                left, right = (h, other) if step[3] else (other, h)
                h = op.fn(to_domain(left, op.domains[0]), to_domain(right, op.domains[1]))
        if final is not None:
            method, axis, keepdims = final
            h = getattr(h, method)(axis=axis, keepdims=keepdims)
        return h

    return f


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(STEPS, min_size=2, max_size=4), final=FINALS,
       shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=4),
       seed=SEEDS)
def test_random_compositions(steps, final, shapes, seed):
    rng = np.random.default_rng(seed)
    xs = [0.8 * rng.standard_normal(s) for s in shapes.input_shapes]
    f = compose(steps, final)
    check_against_finite_differences(f, xs, rng, f"{steps} then {final} on {shapes.input_shapes}")
