"""The JAX-style transforms: grad, value_and_grad, vjp, jvp, jacrev, jacfwd, hvp, and
higher-order derivatives (grad of grad, forward-over-reverse, reverse-over-reverse).
"""

import numpy as np
import pytest

import course
from course import grad, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp
from op_table import assert_close, rng_for

RNG = rng_for("transforms")
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)


def f2(x, y):
    return (x * y).sum() + (x ** 2).sum() + course.tanh(y).sum()   # y may be a plain array


# --- grad and value_and_grad ---------------------------------------------------------------

def test_grad_with_an_int_argnums():
    np.testing.assert_allclose(grad(f2)(X, Y), Y + 2 * X, rtol=1e-14)
    np.testing.assert_allclose(grad(f2, argnums=1)(X, Y), X + 1 - np.tanh(Y) ** 2, rtol=1e-14)
    assert type(grad(f2)(X, Y)) is np.ndarray and grad(f2)(X, Y).shape == X.shape


def test_grad_with_a_tuple_of_argnums():
    gx, gy = grad(f2, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(gx, Y + 2 * X, rtol=1e-14)
    np.testing.assert_allclose(gy, X + 1 - np.tanh(Y) ** 2, rtol=1e-14)
    gy_, gx_ = grad(f2, argnums=(1, 0))(X, Y)
    np.testing.assert_array_equal(gx_, gx)
    np.testing.assert_array_equal(gy_, gy)
    single = grad(f2, argnums=(0,))(X, Y)
    assert isinstance(single, tuple) and len(single) == 1


def test_value_and_grad():
    value, g = value_and_grad(f2)(X, Y)
    np.testing.assert_allclose(value, np.sum(X * Y) + np.sum(X ** 2) + np.sum(np.tanh(Y)),
                               rtol=1e-14)
    np.testing.assert_allclose(g, grad(f2)(X, Y), rtol=1e-15)
    value, (gx, gy) = value_and_grad(f2, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(gy, X + 1 - np.tanh(Y) ** 2, rtol=1e-14)


def test_grad_of_a_scalar_input():
    g = grad(lambda x: x ** 3)(2.0)
    assert np.shape(g) == () and g == 12.0


def test_grad_of_a_non_scalar_output_raises():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(3,\)"):
        grad(lambda x: x * 2)(X)
    with pytest.raises(TypeError, match="scalar output"):
        value_and_grad(lambda x: x.reshape(1, 3).sum(axis=1))(X)


def test_grad_of_a_function_that_ignores_its_input_is_zero():
    np.testing.assert_array_equal(grad(lambda x: 3.0)(X), np.zeros(3))
    np.testing.assert_array_equal(grad(lambda x, y: y.sum())(X, Y), np.zeros(3))


# --- vjp ------------------------------------------------------------------------------------

def test_vjp_returns_the_value_and_a_tuple_of_gradients():
    u = RNG.standard_normal(3)
    out, vjp_fn = vjp(lambda x: x.tanh() * 2, X)
    np.testing.assert_allclose(out, np.tanh(X) * 2, rtol=1e-15)
    grads = vjp_fn(u)
    assert isinstance(grads, tuple) and len(grads) == 1
    np.testing.assert_allclose(grads[0], u * 2 * (1 - np.tanh(X) ** 2), rtol=1e-14)
    # vjp_fn can be called again with another cotangent
    np.testing.assert_allclose(vjp_fn(2 * u)[0], 2 * grads[0], rtol=1e-14)


def test_vjp_gives_zeros_for_inputs_the_output_does_not_depend_on():
    W = RNG.standard_normal((2, 2))
    out, vjp_fn = vjp(lambda x, w, y: x * 3, X, W, Y)
    gx, gw, gy = vjp_fn(np.ones(3) * 0.5)
    np.testing.assert_array_equal(gx, np.full(3, 1.5))
    assert gw.shape == (2, 2) and not gw.any()
    assert gy.shape == (3,) and not gy.any()
    _, vjp_fn = vjp(lambda x: np.ones(2), X)      # depends on nothing
    np.testing.assert_array_equal(vjp_fn(np.ones(2))[0], np.zeros(3))


def test_vjp_with_a_cotangent_of_the_wrong_shape_raises():
    _, vjp_fn = vjp(lambda x: x * 2, X)
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\) but must have shape \(3,\)"):
        vjp_fn(np.ones(2))


# --- jvp ------------------------------------------------------------------------------------

def test_jvp_with_several_inputs():
    vx, vy = RNG.standard_normal(3), RNG.standard_normal(3)
    out, tangent = jvp(lambda x, y: x * y + x.exp(), (X, Y), (vx, vy))
    np.testing.assert_allclose(out, X * Y + np.exp(X), rtol=1e-15)
    np.testing.assert_allclose(tangent, vx * Y + X * vy + np.exp(X) * vx, rtol=1e-14)
    _, only_y = jvp(lambda x, y: x * y + x.exp(), (X, Y), (np.zeros(3), vy))
    np.testing.assert_allclose(only_y, X * vy, rtol=1e-14)


def test_jvp_argument_errors():
    with pytest.raises(TypeError, match="takes tuples"):
        jvp(lambda x: x, X, X)
    with pytest.raises(ValueError, match=r"2 primal\(s\) but 1 tangent\(s\)"):
        jvp(lambda x, y: x * y, (X, Y), (X,))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\) but must have shape \(3,\)"):
        jvp(lambda x: x, (X,), (np.ones(2),))


def test_jvp_of_a_function_that_ignores_its_input_is_zero():
    out, tangent = jvp(lambda x: np.ones(2) * 3, (X,), (np.ones(3),))
    np.testing.assert_array_equal(tangent, np.zeros(2))


def test_backward_inside_jvp_raises():
    with pytest.raises(RuntimeError, match="forward-mode"):
        jvp(lambda x: x.sum().backward(), (X,), (np.ones(3),))


# --- Jacobians ------------------------------------------------------------------------------

JACOBIAN_CASES = [
    ("linear", lambda x: np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]) @ x, (3,)),
    ("tanh-layer", lambda x: (np.arange(6.0).reshape(2, 3) @ x + 1).tanh(), (3,)),
    ("matrix-to-vector", lambda x: (x * x).sum(axis=0), (2, 3)),
    ("vector-to-scalar", lambda x: x.exp().sum(), (3,)),
    ("scalar-to-vector", lambda x: x * np.array([1.0, 2.0, 3.0]) + x ** 2, ()),
    ("matrix-to-matrix", lambda x: course.softmax(x, axis=1), (2, 3)),
    ("max-and-relu", lambda x: x.relu() * x.max(), (4,)),
]


@pytest.mark.parametrize("name, f, shape", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_jacrev_and_jacfwd_agree_and_have_shape_out_plus_in(name, f, shape):
    x = rng_for(name).standard_normal(shape)
    out_shape = np.shape(vjp(f, x)[0])
    J_rev, J_fwd = jacrev(f)(x), jacfwd(f)(x)
    assert J_rev.shape == out_shape + shape, f"jacrev: {J_rev.shape}"
    assert J_fwd.shape == out_shape + shape, f"jacfwd: {J_fwd.shape}"
    np.testing.assert_allclose(J_rev, J_fwd, rtol=1e-13, atol=1e-15)
    # Numerator layout: J[i..., j...] = d out[i...] / d x[j...]; J @ v is the jvp.
    v = rng_for(name + "v").standard_normal(shape)
    jv = jvp(f, (x,), (v,))[1]
    np.testing.assert_allclose(np.tensordot(J_rev, v, axes=len(shape)), jv, rtol=1e-12, atol=1e-14)


def test_jacobian_of_a_linear_map_is_its_matrix():
    W = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    np.testing.assert_array_equal(jacrev(lambda x: W @ x)(X), W)    # J[i, j] = dy_i / dx_j
    np.testing.assert_array_equal(jacfwd(lambda x: W @ x)(X), W)


def test_jacobian_with_argnums():
    W = RNG.standard_normal((2, 3))
    J = jacrev(lambda w, x: w @ x, argnums=1)(W, X)
    np.testing.assert_allclose(J, W, rtol=1e-15)
    np.testing.assert_allclose(jacfwd(lambda w, x: w @ x, argnums=1)(W, X), W, rtol=1e-15)
    J_w = jacrev(lambda w, x: w @ x)(W, X)
    assert J_w.shape == (2, 2, 3)
    np.testing.assert_allclose(J_w[1, 1], X, rtol=1e-15)
    assert not J_w[1, 0].any()


def test_the_lectures_relu_jacobian():
    """x = (1, -2, 3, -1): the ReLU Jacobian is diag(1, 0, 1, 0), and J.T @ (4, -1, 5, 9) =
    (4, 0, 5, 0): the gradient passes where the input was positive."""
    x = np.array([1.0, -2.0, 3.0, -1.0])
    expected = np.diag([1.0, 0.0, 1.0, 0.0])
    J = jacrev(lambda t: t.relu())(x)
    np.testing.assert_array_equal(J, expected)
    np.testing.assert_array_equal(jacfwd(lambda t: t.relu())(x), expected)
    upstream = np.array([4.0, -1.0, 5.0, 9.0])
    np.testing.assert_array_equal(J.T @ upstream, [4.0, 0.0, 5.0, 0.0])
    np.testing.assert_array_equal(vjp(lambda t: t.relu(), x)[1](upstream)[0], [4.0, 0.0, 5.0, 0.0])


# --- second derivatives ------------------------------------------------------------------------

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


SECOND_DERIVATIVES = [
    ("exp", lambda x: x.exp(), lambda x: np.exp(x)),
    ("tanh", lambda x: x.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", lambda x: x.sigmoid(),
     lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))),
    ("cube", lambda x: x ** 3, lambda x: 6 * x),
    ("log", lambda x: x.log(), lambda x: -1 / x ** 2),
    ("x*exp(x)", lambda x: x * x.exp(), lambda x: (x + 2) * np.exp(x)),
    ("1/x", lambda x: 1 / x, lambda x: 2 / x ** 3),
    ("2**x", lambda x: 2 ** x, lambda x: np.log(2) ** 2 * 2 ** x),
    ("x**x", lambda x: x ** x, lambda x: x ** x * ((np.log(x) + 1) ** 2 + 1 / x)),
    ("log_softmax", lambda x: course.log_softmax(x.reshape(1) * np.array([1.0, 2.0]))[0],
     lambda x: -(np.exp(x) * np.exp(2 * x)) / (np.exp(x) + np.exp(2 * x)) ** 2),
]


@pytest.mark.parametrize("name, f, f2_exact", SECOND_DERIVATIVES,
                         ids=[c[0] for c in SECOND_DERIVATIVES])
@pytest.mark.parametrize("x0", [0.7, 1.9])
def test_grad_of_grad_is_the_second_derivative(name, f, f2_exact, x0):
    got = grad(grad(f))(x0)
    assert np.shape(got) == ()
    np.testing.assert_allclose(got, f2_exact(x0), rtol=1e-12)


def test_third_derivative():
    np.testing.assert_allclose(grad(grad(grad(lambda x: x ** 3 + x.exp())))(0.5),
                               6 + np.exp(0.5), rtol=1e-13)


def _f_hessian(x):
    W = np.array([[1.0, -0.5, 0.3], [0.2, 0.7, -1.1], [0.4, 0.0, 0.9]])
    return (x ** 3).sum() + (x.exp() * x[0]).sum() + ((W @ x).tanh() * x).sum() \
        + course.log_softmax(x)[1]


def test_hvp_matches_finite_differences_of_the_gradient():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    eps = 1e-5
    fd = (grad(_f_hessian)(x + eps * v) - grad(_f_hessian)(x - eps * v)) / (2 * eps)
    assert_close(hvp(_f_hessian, x, v), fd, "hvp vs finite differences of grad", rtol=1e-8)


def test_hvp_matches_the_hessians_of_every_mode_combination():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    Hv = hvp(_f_hessian, x, v)
    H_fr = jacfwd(jacrev(_f_hessian))(x)
    H_rr = jacrev(jacrev(_f_hessian))(x)
    H_ff = jacfwd(jacfwd(_f_hessian))(x)
    H_rf = jacrev(jacfwd(_f_hessian))(x)
    for name, H in [("jacfwd(jacrev)", H_fr), ("jacrev(jacrev)", H_rr), ("jacfwd(jacfwd)", H_ff),
                    ("jacrev(jacfwd)", H_rf)]:
        assert H.shape == (3, 3)
        np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-14, err_msg=f"{name} not symmetric")
        np.testing.assert_allclose(H @ v, Hv, rtol=1e-12, atol=1e-14, err_msg=name)


def test_reverse_over_reverse_hvp():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    rr = grad(lambda z: (grad(_f_hessian)(z) * v).sum())(x)
    np.testing.assert_allclose(rr, hvp(_f_hessian, x, v), rtol=1e-12, atol=1e-14)


def test_hvp_of_a_matrix_input():
    x, v = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    f = lambda z: (z.tanh() @ z.T).sum() + course.softmax(z, axis=0).max()  # noqa: E731
    Hv = hvp(f, x, v)
    assert Hv.shape == (2, 3)
    H = jacfwd(jacrev(f))(x)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(np.tensordot(H, v, axes=2), Hv, rtol=1e-12, atol=1e-14)


def _cross_entropy_hessian_case():
    """Per row n: H_n = (diag(p_n) - p_n p_n^T) / N, whatever the labels."""
    logits, labels = RNG.standard_normal((3, 4)), np.array([1, 0, 3])
    v = RNG.standard_normal((3, 4))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = (p * v - p * np.sum(p * v, axis=1, keepdims=True)) / 3
    return (lambda z: course.cross_entropy(z, labels)), logits, v, expected


def test_hessian_of_cross_entropy_reverse_over_reverse():
    f, logits, v, expected = _cross_entropy_hessian_case()
    rr = grad(lambda z: (grad(f)(z) * v).sum())(logits)
    np.testing.assert_allclose(rr, expected, rtol=1e-12, atol=1e-15)


def test_hessian_of_cross_entropy_forward_over_reverse():
    f, logits, v, expected = _cross_entropy_hessian_case()
    np.testing.assert_allclose(hvp(f, logits, v), expected, rtol=1e-12, atol=1e-15)


# --- nesting -------------------------------------------------------------------------------------

def test_no_perturbation_confusion():
    """d/dx [x * d/dy (x y)] = d/dx [x * x] = 2x: the inner grad must not see the outer x as a
    variable of its own."""
    for x0 in (3.0, -1.5):
        assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(x0) == 2 * x0
        inner = lambda x: x * jvp(lambda y: x * y, (2.0,), (1.0,))[1]  # noqa: E731
        assert jvp(inner, (x0,), (1.0,))[1] == 2 * x0
        assert grad(inner)(x0) == 2 * x0


def test_transforms_leave_the_inputs_untouched():
    x = X.copy()
    grad(lambda z: (z * z).sum())(x)
    hvp(lambda z: (z ** 3).sum(), x, np.ones(3))
    np.testing.assert_array_equal(x, X)


def test_transforms_accept_tensors_and_python_numbers():
    t = course.Tensor(X)
    np.testing.assert_allclose(grad(lambda z: (z * z).sum())(t), 2 * X, rtol=1e-15)
    assert grad(lambda z: z * z)(3) == 6.0
