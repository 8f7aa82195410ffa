"""`course.Function`: user-defined nodes in the style of torch.autograd.Function."""

import numpy as np
import pytest

import course
from course import Function, Tensor, grad, hvp, jvp, vjp
from op_table import assert_close, assert_dot_product, numerical_jvp, numerical_vjp, rng_for


class Multiply(Function):
    """The lecture's example."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_z):
        x, y = ctx.saved_tensors
        return y * grad_z, x * grad_z


class MultiplyWithJvp(Multiply):
    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.saved_tensors
        return tx * y + x * ty


class Sigmoid(Function):
    """Saves its output: sigma'(x) = sigma(x) (1 - sigma(x))."""

    @staticmethod
    def forward(ctx, x):
        out = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * out * (1 - out)


class Cube(Function):
    """backward written with operators only: differentiable again (grad of grad)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 3 * x * x * t


RNG = rng_for("function")
A, B = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
U = RNG.standard_normal((2, 3))


def test_multiply_backward():
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    z = Multiply.apply(a, b)
    assert type(z) is Tensor and z.requires_grad
    np.testing.assert_array_equal(z.data, A * B)
    z.backward(grad=U)
    np.testing.assert_array_equal(a.grad, B * U)
    np.testing.assert_array_equal(b.grad, A * U)


def test_multiply_under_vjp_against_finite_differences():
    fn = lambda x, y: Multiply.apply(x, y).tanh()  # noqa: E731
    grads = vjp(fn, A, B)[1](U)
    expected = numerical_vjp(fn, [A, B], U)
    assert_close(grads[0], expected[0], "Multiply, input 0")
    assert_close(grads[1], expected[1], "Multiply, input 1")


def test_forward_and_backward_receive_plain_arrays():
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x, y):
            seen.append(("forward", type(x), type(y)))
            return x + y

        @staticmethod
        def backward(ctx, g):
            seen.append(("backward", type(g)))
            return g, g

    Spy.apply(Tensor(A, requires_grad=True), B).sum().backward()
    assert seen == [("forward", np.ndarray, np.ndarray), ("backward", np.ndarray)]


def test_sigmoid_function_that_saves_its_output():
    x = Tensor(A, requires_grad=True)
    y = Sigmoid.apply(x)
    np.testing.assert_allclose(y.data, 1 / (1 + np.exp(-A)), rtol=1e-15)
    y.backward(grad=U)
    assert_close(x.grad, numerical_vjp(lambda t: Sigmoid.apply(t), [A], U)[0], "Sigmoid")
    np.testing.assert_allclose(x.grad, course.grad(lambda t: (t.sigmoid() * U).sum())(A),
                               rtol=1e-13)


def test_a_function_with_broadcasting_inputs_gets_its_gradients_summed_back():
    class Add(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g          # both of the output's shape (2, 3)

    x, b = Tensor(A, requires_grad=True), Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    Add.apply(x, b).backward(grad=U)
    np.testing.assert_array_equal(x.grad, U)
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad, U.sum(axis=0), rtol=1e-15)


def test_backward_may_return_none_for_an_input():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x, k = Tensor(A, requires_grad=True), Tensor(np.array(2.5), requires_grad=True)
    Scale.apply(x, k).backward(grad=U)
    np.testing.assert_array_equal(x.grad, 2.5 * U)
    assert k.grad.shape == () and k.grad == 0.0
    gx, gk = vjp(lambda x, k: Scale.apply(x, k), A, 2.5)[1](U)
    np.testing.assert_array_equal(gx, 2.5 * U)
    assert np.shape(gk) == () and gk == 0.0


def test_backward_with_the_wrong_number_of_gradients_raises():
    class OneGradient(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = Tensor(A, requires_grad=True)
    with pytest.raises(ValueError, match=r"OneGradient.backward returned 1 gradient\(s\) but "
                                         r"forward takes 2 input\(s\)"):
        OneGradient.apply(x, B).sum().backward()


def test_missing_backward_raises_not_implemented():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    y = NoBackward.apply(Tensor(A, requires_grad=True)).sum()
    with pytest.raises(NotImplementedError, match="define backward"):
        y.backward()


class Recorder(Function):
    seen = []

    @staticmethod
    def forward(ctx, *inputs):
        Recorder.seen.append(ctx.needs_input_grad)
        return inputs[0] * 1.0

    @staticmethod
    def backward(ctx, g):
        return (g,) + (None,) * (len(ctx.needs_input_grad) - 1)


def test_needs_input_grad():
    Recorder.seen.clear()
    traced, constant = Tensor(A, requires_grad=True), Tensor(B)
    Recorder.apply(traced, constant, B)
    Recorder.apply(constant, traced)
    grad(lambda x, y: Recorder.apply(x, y).sum())(A, B)       # only argument 0 is traced
    grad(lambda x, y: Recorder.apply(x, y).sum(), argnums=1)(A, B)   # only argument 1
    Recorder.apply(A, B)                                       # nothing traced
    assert Recorder.seen == [(True, False, False), (False, True), (True, False), (False, True),
                             (False, False)]


def test_needs_input_grad_of_constant_tensors_is_false():
    Recorder.seen.clear()
    Recorder.apply(Tensor(A), B)
    assert Recorder.seen == [(False, False)]


def test_function_applied_to_constants():
    out = Multiply.apply(A, B)
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, A * B)
    out = Multiply.apply(Tensor(A), B)
    assert type(out) is Tensor and not out.requires_grad


def test_a_forward_that_returns_a_list_is_converted_to_float64():
    class ToList(Function):
        @staticmethod
        def forward(ctx, x):
            return [float(v) * 2 for v in x]

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ToList.apply(x)
    assert y.dtype == np.float64
    y.backward(grad=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, -2.0])


def test_function_with_jvp_in_forward_mode():
    V, W = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    fn = lambda x, y: MultiplyWithJvp.apply(x, y).exp()  # noqa: E731
    value, tangent = jvp(fn, (A, B), (V, W))
    np.testing.assert_allclose(value, np.exp(A * B), rtol=1e-15)
    assert_close(tangent, numerical_jvp(fn, [A, B], [V, W]), "MultiplyWithJvp, jvp")
    assert_dot_product(U, tangent, vjp(fn, A, B)[1](U), [V, W], "MultiplyWithJvp")
    _, only_x = jvp(lambda x: MultiplyWithJvp.apply(x, B), (A,), (V,))   # y is a constant
    np.testing.assert_allclose(only_x, V * B, rtol=1e-15)


def test_function_without_jvp_in_forward_mode_raises():
    with pytest.raises(NotImplementedError, match=r"Multiply defines no jvp\(ctx, \*tangents\)"):
        jvp(lambda x, y: Multiply.apply(x, y), (A, B), (A, B))


def test_function_inside_grad_of_grad():
    assert grad(lambda x: Cube.apply(x))(2.0) == 12.0
    assert grad(grad(lambda x: Cube.apply(x)))(2.0) == 12.0        # 6x
    assert grad(grad(lambda x: Cube.apply(x) * x))(3.0) == 12 * 9.0  # (x^4)'' = 12 x^2
    assert grad(grad(grad(lambda x: Cube.apply(x))))(2.0) == 6.0


def test_function_in_forward_over_reverse():
    v = np.array([1.0, -2.0, 0.5])
    x = np.array([0.5, 1.5, -1.0])
    np.testing.assert_allclose(hvp(lambda z: Cube.apply(z).sum(), x, v), 6 * x * v, rtol=1e-15)


def test_function_jvp_inside_reverse_mode():
    v = np.array([1.0, -2.0, 0.5])
    x = np.array([0.5, 1.5, -1.0])
    g = grad(lambda z: jvp(lambda y: Cube.apply(y), (z,), (v,))[1].sum())(x)
    np.testing.assert_allclose(g, 6 * x * v, rtol=1e-15)
