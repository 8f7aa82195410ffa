"""Broadcasting in every binary operation: the forward pass broadcasts like numpy, and every
gradient comes back with its input's shape (summed over the copies broadcasting made).
"""

import numpy as np
import pytest

import course
from course import Tensor, ops
from course.tracing import unbroadcast
from op_table import (BINARY, assert_close, assert_dot_product, evaluate, numerical_jvp,
                      numerical_vjp, rng_for, sample_inputs)

PAIRS = [((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((), (2, 3)), ((2, 1, 3), (4, 1)),
         ((1, 1), (3,)), ((2, 3), (3,)), ((1,), (2, 2))]
SHAPE_PAIRS = [pytest.param(a, b, id=f"{a}x{b}") for a, b in PAIRS] + \
              [pytest.param(b, a, id=f"{b}x{a}") for a, b in PAIRS]
OPS = [pytest.param(op, id=op.name) for op in BINARY]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape_x, shape_y", SHAPE_PAIRS)
def test_binary_op_broadcasts_and_unbroadcasts(op, shape_x, shape_y):
    name = f"{op.name}{shape_x}{shape_y}"
    rng = rng_for(name)
    xs = sample_inputs((shape_x, shape_y), op.domains, rng)
    out_shape = np.broadcast_shapes(shape_x, shape_y)
    out = evaluate(op.fn, xs)
    assert out.shape == out_shape

    u = rng.standard_normal(out_shape)
    expected = numerical_vjp(op.fn, xs, u)
    grads = course.vjp(op.fn, *xs)[1](u)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    op.fn(*leaves).backward(grad=u)
    for i, shape in enumerate((shape_x, shape_y)):
        assert grads[i].shape == shape, f"{name}: vjp of input {i} has shape {grads[i].shape}"
        assert leaves[i].grad.shape == shape
        assert_close(grads[i], expected[i], f"{name}: course.vjp, input {i}")
        assert_close(leaves[i].grad, expected[i], f"{name}: Tensor.backward, input {i}")

    vs = [rng.standard_normal(x.shape) for x in xs]
    _, jv = course.jvp(op.fn, tuple(xs), tuple(vs))
    assert jv.shape == out_shape
    assert_close(jv, numerical_jvp(op.fn, xs, vs), f"{name}: course.jvp")
    assert_dot_product(u, jv, grads, vs, f"{name}: dot-product test")


@pytest.mark.parametrize("op", OPS)
def test_broadcasting_against_constants(op):
    """Only the Tensor gets a gradient; the constant (an array or a number) is broadcast too."""
    rng = rng_for(f"const-{op.name}")
    x, c = sample_inputs(((3,), (2, 3)), op.domains, rng)
    u = rng.standard_normal((2, 3))
    t = Tensor(x, requires_grad=True)
    op.fn(t, c).backward(grad=u)
    assert t.grad.shape == (3,)
    assert_close(t.grad, numerical_vjp(lambda z: op.fn(z, c), [x], u)[0], f"{op.name}(t, array)")
    number = float(c[0, 0])
    op.fn(t, number).backward(grad=u[0])
    assert_close(t.grad, numerical_vjp(lambda z: op.fn(z, number), [x], u[0])[0],
                 f"{op.name}(t, number)")


@pytest.mark.parametrize("shape_x, shape_w", [((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5)),
                                              ((1, 3, 4), (2, 4, 5)), ((4,), (3, 4, 2))])
def test_matmul_broadcasts_its_batch_axes(shape_x, shape_w):
    rng = rng_for(f"matmul{shape_x}{shape_w}")
    x, w = rng.standard_normal(shape_x), rng.standard_normal(shape_w)
    u = rng.standard_normal(np.matmul(x, w).shape)
    gx, gw = course.vjp(lambda a, b: a @ b, x, w)[1](u)
    assert gx.shape == shape_x and gw.shape == shape_w
    ex, ew = numerical_vjp(lambda a, b: a @ b, [x, w], u)
    assert_close(gx, ex, "matmul, input 0")
    assert_close(gw, ew, "matmul, input 1")


def test_broadcast_then_reduce():
    """A bias added to a batch and summed: the bias gradient is the column sum of u."""
    rng = rng_for("bias")
    x, b = rng.standard_normal((5, 3)), rng.standard_normal(3)
    u = rng.standard_normal(5)
    gb = course.vjp(lambda x, b: (x + b).tanh().sum(axis=1), x, b)[1](u)[1]
    np.testing.assert_allclose(gb, ((1 - np.tanh(x + b) ** 2) * u[:, None]).sum(axis=0),
                               rtol=1e-13)


@pytest.mark.parametrize("g_shape, shape", [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)),
                                            ((2, 3), ()), ((4, 2, 3), (2, 1)), ((2, 3), (2, 3)),
                                            ((4, 1, 3), (1, 1, 3))])
def test_unbroadcast_sums_over_the_broadcast_axes(g_shape, shape):
    g = rng_for(f"unbroadcast{g_shape}{shape}").standard_normal(g_shape)
    out = unbroadcast(g, shape)
    assert np.shape(out) == shape
    # The adjoint of broadcasting: <unbroadcast(g), v> == <g, broadcast_to(v)> for any v.
    v = rng_for("v").standard_normal(shape)
    np.testing.assert_allclose(np.sum(out * v), np.sum(g * np.broadcast_to(v, g_shape)), rtol=1e-13)


def test_unbroadcast_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"cannot be summed to the input's shape \(4,\)"):
        unbroadcast(np.ones((2, 3)), (4,), ops.add, 0)


def test_a_function_rule_with_a_wrong_shape_is_reported():
    class Wrong(course.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return np.ones(5)

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient of shape \(5,\) from Wrong.*shape \(3,\)"):
        Wrong.apply(x).sum().backward()
