"""A bank of WRONG implementations across the course's exercises, each labelled with its mistake.

Every entry is a wrong implementation and the correct one for the same exercise, with the
check the course runs on it (the real `course.gradcheck` checks):

    "vjp"        check_vjp(f, rule, *inputs)          rule(upstream, *inputs) -> gradients
    "jvp"        check_jvp(f, rule, *inputs)          rule(tangents, *inputs) -> output tangent
    "grad"       check_grad(rule, *inputs)            rule: a function of Tensors using a
                                                      course.Function subclass
    "traversal"  rule(root) on recipe(*Node leaves),  rule: a backward pass over the notebook's
                 then check_traversal(root)           Node graph

`kind` is the diagnosis (course.diagnose.KINDS) the wrong implementation must get; the correct
one must pass. Families follow the assignments: scalar gates (01), Function backward methods and
the backward traversal (02), vector VJPs (03), matrix VJPs (04), JVP rules (05). The functions
are written as a student would write them, in the notebooks' signatures.
"""

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from course import Function
from course.gradcheck import random_inputs

FAMILIES = ("scalar gate", "Function backward", "vector VJP", "matrix VJP", "JVP rule",
            "backward traversal")


@dataclass(frozen=True)
class Mistake:
    name: str
    family: str                 # one of FAMILIES
    kind: str                   # the diagnosis it must get
    description: str            # the mistake in words
    check: str                  # "vjp", "jvp", "grad" or "traversal"
    wrong: Callable
    correct: Callable
    f: Callable | None = None   # vjp/jvp: the function checked; traversal: the recipe
    inputs: Callable = tuple    # () -> the inputs (numbers for a traversal)
    options: dict = field(default_factory=dict)   # more keyword arguments for the check


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def repeated_index(n):
    return np.concatenate([np.arange(n), np.arange(0, n, 2)])


def unbroadcast(g, shape):
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(a for a, n in enumerate(shape) if n == 1), keepdims=True)


def inputs(*shapes, seed=0, scale=1.0, positive=False, shift=0.0):
    def make():
        xs = random_inputs(*shapes, seed=seed)
        return tuple((np.abs(x) if positive else x) * scale + shift for x in xs)
    return make


def constant(*arrays):
    return lambda: tuple(np.array(a, dtype=np.float64) for a in arrays)


BANK = []


def mistake(name, family, kind, description, check, wrong, correct, f=None, inputs=tuple,
            **options):
    BANK.append(Mistake(name, family, kind, description, check, wrong, correct, f, inputs,
                        options))


# --- 01: scalar gates, as backward functions of the gate ------------------------------------

def add_backward(upstream, x, y):
    return 1.0 * upstream, 1.0 * upstream


def multiply_backward(upstream, x, y):
    return y * upstream, x * upstream


def max_backward(upstream, x, y):
    share = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))
    return share * upstream, (1.0 - share) * upstream


def copy_gate(x):
    return np.stack([x, x])


TIES = constant([1.0, 2.0, -3.0, 0.5, 4.0, -1.0], [1.0, 5.0, -3.0, 0.5, -2.0, -1.0])

mistake("add-forgets-upstream", "scalar gate", "missing_upstream",
        "add_backward returns the local gradients 1 without the upstream gradient",
        "vjp", lambda upstream, x, y: (np.ones_like(x), np.ones_like(y)), add_backward,
        lambda x, y: x + y, inputs((4,), (4,), seed=1))
mistake("multiply-not-swapped", "scalar gate", "swapped_inputs",
        "multiply_backward gives each input its own value: dx = x * upstream",
        "vjp", lambda upstream, x, y: (x * upstream, y * upstream), multiply_backward,
        lambda x, y: x * y, inputs((4,), (4,), seed=2))
mistake("multiply-not-swapped-scalar", "scalar gate", "swapped_inputs",
        "the same, on numbers (shape ())",
        "vjp", lambda upstream, x, y: (x * upstream, y * upstream), multiply_backward,
        lambda x, y: x * y, inputs((), (), seed=110))
mistake("max-tie-goes-to-x", "scalar gate", "partial",
        "max_backward gives a tie all of the gradient to x instead of half to each",
        "vjp", lambda upstream, x, y: (np.where(x >= y, upstream, 0.0),
                                       np.where(x >= y, 0.0, upstream)),
        max_backward, np.maximum, TIES, at_kinks="check", seed=7)
mistake("max-forgets-upstream", "scalar gate", "missing_upstream",
        "max_backward returns the routing mask without the upstream gradient",
        "vjp", lambda upstream, x, y: (np.where(x > y, 1.0, 0.0), np.where(x > y, 0.0, 1.0)),
        max_backward, np.maximum, inputs((6,), (6,), seed=4))
mistake("copy-overwrites", "scalar gate", "not_accumulated",
        "copy_backward keeps the second gradient instead of adding both",
        "vjp", lambda upstream, x: upstream[1], lambda upstream, x: upstream[0] + upstream[1],
        copy_gate, inputs((4,), seed=3))
mistake("copy-averages", "scalar gate", "scale",
        "copy_backward averages the two gradients instead of adding them",
        "vjp", lambda upstream, x: (upstream[0] + upstream[1]) / 2,
        lambda upstream, x: upstream[0] + upstream[1], copy_gate, inputs((2, 3), seed=120))
mistake("sigmoid-of-output", "scalar gate", "output_for_input",
        "sigmoid_backward(upstream, out) applies sigmoid to the output again",
        "vjp", lambda upstream, x: sigmoid(sigmoid(x)) * (1 - sigmoid(sigmoid(x))) * upstream,
        lambda upstream, x: sigmoid(x) * (1 - sigmoid(x)) * upstream,
        sigmoid, inputs((5,), seed=5, scale=3.0))
mistake("relu-leaks", "scalar gate", "partial",
        "relu_backward lets 0.01 of the gradient through where x < 0",
        "vjp", lambda upstream, x: np.where(x > 0, upstream, 0.01 * upstream),
        lambda upstream, x: np.where(x > 0, upstream, 0.0),
        lambda x: np.maximum(x, 0.0), inputs((2, 4), seed=6))
mistake("exp-of-output", "scalar gate", "output_for_input",
        "exp_backward(upstream, out) takes exp of the output again",
        "vjp", lambda upstream, x: np.exp(np.exp(x)) * upstream,
        lambda upstream, x: np.exp(x) * upstream, np.exp, inputs((5,), seed=7))
mistake("log-forgets-upstream", "scalar gate", "missing_upstream",
        "log_backward returns 1 / x without the upstream gradient",
        "vjp", lambda upstream, x: 1.0 / x, lambda upstream, x: upstream / x,
        np.log, inputs((2, 3), seed=8, positive=True))
mistake("tanh-of-output", "scalar gate", "output_for_input",
        "tanh_backward(upstream, out) computes 1 - tanh(out)**2",
        "vjp", lambda upstream, x: (1 - np.tanh(np.tanh(x)) ** 2) * upstream,
        lambda upstream, x: (1 - np.tanh(x) ** 2) * upstream, np.tanh, inputs((6,), seed=9))
mistake("tanh-input-as-output", "scalar gate", "output_for_input",
        "tanh_backward(upstream, x) computes 1 - x**2 from the input",
        "vjp", lambda upstream, x: (1 - x ** 2) * upstream,
        lambda upstream, x: (1 - np.tanh(x) ** 2) * upstream, np.tanh, inputs((3, 4), seed=10))
mistake("pow-exponent-not-lowered", "scalar gate", "unknown",
        "pow_backward for x**3 computes 3 * x**3 instead of 3 * x**2",
        "vjp", lambda upstream, x: 3 * x ** 3 * upstream, lambda upstream, x: 3 * x ** 2 * upstream,
        lambda x: x ** 3, inputs((5,), seed=11))
mistake("tanh-sign", "scalar gate", "sign",
        "tanh_backward(upstream, out) returns (out**2 - 1) * upstream",
        "vjp", lambda upstream, x: (np.tanh(x) ** 2 - 1) * upstream,
        lambda upstream, x: (1 - np.tanh(x) ** 2) * upstream, np.tanh, inputs((5,), seed=13))
mistake("power-dy-forgets-upstream", "scalar gate", "missing_upstream",
        "power_backward for z = x**y returns x**y * log(x) for y, without the upstream gradient",
        "vjp", lambda upstream, x, y: (upstream * y * x ** (y - 1), x ** y * np.log(x)),
        lambda upstream, x, y: (upstream * y * x ** (y - 1), upstream * x ** y * np.log(x)),
        lambda x, y: x ** y, inputs((5,), (5,), seed=14, positive=True, shift=0.2))
mistake("divide-sign", "scalar gate", "sign",
        "divide_backward: d(x/y)/dy = +x/y**2",
        "vjp", lambda upstream, x, y: (upstream / y, upstream * x / y ** 2),
        lambda upstream, x, y: (upstream / y, -upstream * x / y ** 2),
        lambda x, y: x / y, inputs((4,), (4,), seed=12, shift=0.0))


# --- 02: Function backward methods (through the engine, check_grad) ----------------------------

class Multiply(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_z):
        x, y = ctx.saved_tensors
        return grad_z * y, grad_z * x


class MultiplyNotSwapped(Multiply):
    @staticmethod
    def backward(ctx, grad_z):
        x, y = ctx.saved_tensors
        return grad_z * x, grad_z * y


class Add(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad_z):
        return grad_z, grad_z


class AddForgetsY(Add):
    @staticmethod
    def backward(ctx, grad_z):
        return grad_z, None


class Max(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, grad_z):
        x, y = ctx.saved_tensors
        share = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))
        return share * grad_z, (1.0 - share) * grad_z


class MaxForgetsUpstream(Max):
    @staticmethod
    def backward(ctx, grad_z):
        x, y = ctx.saved_tensors
        share = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))
        return share, 1.0 - share


class MaxTieGoesToX(Max):
    @staticmethod
    def backward(ctx, grad_z):
        x, y = ctx.saved_tensors
        return np.where(x >= y, grad_z, 0.0), np.where(x >= y, 0.0, grad_z)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        s = sigmoid(x)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_s):
        (s,) = ctx.saved_tensors
        return s * (1.0 - s) * grad_s


class SigmoidOfOutput(Sigmoid):
    @staticmethod
    def backward(ctx, grad_s):
        (s,) = ctx.saved_tensors
        return sigmoid(s) * (1.0 - sigmoid(s)) * grad_s


class SigmoidOverflows(Function):
    """Saves x and recomputes sigma' = e^-x / (1 + e^-x)^2, which is inf / inf for x << 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return sigmoid(x)

    @staticmethod
    def backward(ctx, grad_s):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(-x)
            return e / (1.0 + e) ** 2 * grad_s


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        e = np.exp(x)
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, grad_e):
        (e,) = ctx.saved_tensors
        return e * grad_e


class ExpSign(Exp):
    @staticmethod
    def backward(ctx, grad_e):
        (e,) = ctx.saved_tensors
        return -e * grad_e


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_q):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_q


class SquareMissingTwo(Square):
    @staticmethod
    def backward(ctx, grad_q):
        (x,) = ctx.saved_tensors
        return x * grad_q


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        t = np.tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad_t):
        (t,) = ctx.saved_tensors
        return (1.0 - t * t) * grad_t


class TanhInputAsOutput(Function):
    """Saves the input and hands it to tanh_backward as if it were the output."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.tanh(x)

    @staticmethod
    def backward(ctx, grad_t):
        (x,) = ctx.saved_tensors
        return (1.0 - x * x) * grad_t


class Divide(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, grad_d):
        x, y = ctx.saved_tensors
        return grad_d / y, -grad_d * x / (y * y)


class DivideGradientsSwapped(Divide):
    @staticmethod
    def backward(ctx, grad_d):
        x, y = ctx.saved_tensors
        return -grad_d * x / (y * y), grad_d / y


class SigmoidLogLoss(Function):
    @staticmethod
    def forward(ctx, q, t):
        ctx.save_for_backward(q, t)
        return np.logaddexp(0.0, q) - t * q

    @staticmethod
    def backward(ctx, grad_L):
        q, t = ctx.saved_tensors
        return (sigmoid(q) - t) * grad_L, -q * grad_L


class SigmoidLogLossSign(SigmoidLogLoss):
    @staticmethod
    def backward(ctx, grad_L):
        q, t = ctx.saved_tensors
        return (t - sigmoid(q)) * grad_L, -q * grad_L


class SigmoidLogLossNoTargetGradient(SigmoidLogLoss):
    @staticmethod
    def backward(ctx, grad_L):
        q, t = ctx.saved_tensors
        return (sigmoid(q) - t) * grad_L, None


def applied(cls):
    """f(*inputs) = cls.apply(*inputs), with the inputs' names for the messages."""
    if cls.forward.__code__.co_argcount == 3:
        def f(x, y):
            return cls.apply(x, y)
    else:
        def f(x):
            return cls.apply(x)
    f.__name__ = cls.__name__
    return f


mistake("multiply-function-not-swapped", "Function backward", "swapped_inputs",
        "Multiply.backward returns grad_z * x for x", "grad",
        applied(MultiplyNotSwapped), applied(Multiply), inputs=inputs((2, 3), (2, 3), seed=20))
mistake("add-function-forgets-y", "Function backward", "zero",
        "Add.backward returns no gradient (None) for y", "grad",
        applied(AddForgetsY), applied(Add), inputs=inputs((3,), (3,), seed=21))
mistake("max-function-forgets-upstream", "Function backward", "missing_upstream",
        "Max.backward returns the routing mask without grad_z", "grad",
        applied(MaxForgetsUpstream), applied(Max), inputs=inputs((5,), (5,), seed=22))
mistake("max-function-tie-goes-to-x", "Function backward", "partial",
        "Max.backward gives a tie all of the gradient to x", "grad",
        applied(MaxTieGoesToX), applied(Max), inputs=TIES, at_kinks="check", seed=3)
mistake("sigmoid-function-sigmoid-of-output", "Function backward", "output_for_input",
        "Sigmoid saves its output s and backward computes sigmoid(s) * (1 - sigmoid(s))",
        "grad", applied(SigmoidOfOutput), applied(Sigmoid), inputs=inputs((2, 3), seed=23))
mistake("sigmoid-function-overflows", "Function backward", "nonfinite",
        "Sigmoid.backward recomputes e^-x / (1 + e^-x)^2: inf / inf at x = -800", "grad",
        applied(SigmoidOverflows), applied(Sigmoid),
        inputs=constant([-800.0, -1.5, 0.5, 2.0]))
mistake("exp-function-sign", "Function backward", "sign",
        "Exp.backward returns -e * grad_e", "grad",
        applied(ExpSign), applied(Exp), inputs=inputs((4,), seed=24))
mistake("tanh-function-input-as-output", "Function backward", "output_for_input",
        "Tanh saves its input x and hands it to the rule as the output: 1 - x**2", "grad",
        applied(TanhInputAsOutput), applied(Tanh), inputs=inputs((2, 3), seed=26))
mistake("divide-function-gradients-swapped", "Function backward", "swapped_inputs",
        "Divide.backward returns (dL/dy, dL/dx)", "grad",
        applied(DivideGradientsSwapped), applied(Divide),
        inputs=inputs((4,), (4,), seed=27, shift=0.0))
mistake("sigmoid-log-loss-sign", "Function backward", "sign",
        "SigmoidLogLoss.backward returns t - sigmoid(q) for q", "grad",
        applied(SigmoidLogLossSign), applied(SigmoidLogLoss), inputs=inputs((5,), (5,), seed=28))
mistake("sigmoid-log-loss-no-target-gradient", "Function backward", "zero",
        "SigmoidLogLoss.backward returns None for the target t", "grad",
        applied(SigmoidLogLossNoTargetGradient), applied(SigmoidLogLoss),
        inputs=inputs((5,), (5,), seed=29))
mistake("square-function-missing-two", "Function backward", "scale",
        "Square.backward returns x * grad_q: the factor 2 forgotten", "grad",
        applied(SquareMissingTwo), applied(Square), inputs=inputs((2, 2), seed=25))


# --- 03: vector VJPs ---------------------------------------------------------------------------

def softmax_vjp(upstream, x):
    s = softmax(x)
    return s * (upstream - (upstream * s).sum(axis=-1, keepdims=True))


def softmax_vjp_naive(upstream, x):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        s = e / e.sum(axis=-1, keepdims=True)
    return s * (upstream - (upstream * s).sum(axis=-1, keepdims=True))


def softmax_vjp_skips_last_row(upstream, x):
    grad = np.zeros_like(x)
    for r in range(x.shape[0] - 1):
        grad[r] = softmax_vjp(upstream[r], x[r])
    return grad


def index_overwrite(upstream, x):
    grad = np.zeros_like(x)
    grad[repeated_index(x.size)] = upstream
    return grad


def index_vjp(upstream, x):
    grad = np.zeros_like(x)
    np.add.at(grad, repeated_index(x.size), upstream)
    return grad


mistake("relu-vjp-returns-the-mask", "vector VJP", "missing_upstream",
        "relu_vjp returns (x > 0) without the upstream gradient",
        "vjp", lambda upstream, x: (x > 0).astype(float), lambda upstream, x: upstream * (x > 0),
        lambda x: np.maximum(x, 0.0), inputs((3, 4), seed=30))
mistake("sum-backward-ones-like", "vector VJP", "missing_upstream",
        "sum's backward returns ones_like(x), ignoring the upstream gradient",
        "vjp", lambda upstream, x: np.ones_like(x), lambda upstream, x: upstream * np.ones_like(x),
        np.sum, inputs((3, 4), seed=31))
mistake("sum-axis-not-restored", "vector VJP", "shape",
        "x.sum(axis=1)'s backward returns the upstream gradient, shape (3,), not x's (3, 4)",
        "vjp", lambda upstream, x: upstream,
        lambda upstream, x: np.broadcast_to(upstream[:, None], x.shape),
        lambda x: x.sum(axis=1), inputs((3, 4), seed=32))
mistake("mean-not-divided", "vector VJP", "scale",
        "x.mean(axis=1)'s backward forgets to divide by the 4 elements averaged",
        "vjp", lambda upstream, x: np.broadcast_to(upstream[:, None], x.shape),
        lambda upstream, x: np.broadcast_to(upstream[:, None], x.shape) / x.shape[1],
        lambda x: x.mean(axis=1), inputs((3, 4), seed=33))
mistake("mean-divided-by-size", "vector VJP", "scale",
        "x.mean(axis=0)'s backward divides by x.size instead of the 3 rows averaged",
        "vjp", lambda upstream, x: np.broadcast_to(upstream, x.shape) / x.size,
        lambda upstream, x: np.broadcast_to(upstream, x.shape) / x.shape[0],
        lambda x: x.mean(axis=0), inputs((3, 4), seed=34))
mistake("softmax-vjp-diagonal-jacobian", "vector VJP", "unknown",
        "softmax's VJP as upstream * s * (1 - s): only the Jacobian's diagonal",
        "vjp", lambda upstream, x: upstream * softmax(x) * (1 - softmax(x)), softmax_vjp,
        softmax, inputs((3, 4), seed=35))
mistake("softmax-vjp-overflows", "vector VJP", "nonfinite",
        "softmax's VJP with exp(x) / sum(exp(x)) unshifted: inf / inf for scores near 800",
        "vjp", softmax_vjp_naive, softmax_vjp, softmax, inputs((2, 3), seed=36, shift=800.0))
mistake("softmax-vjp-skips-last-row", "vector VJP", "partial",
        "softmax's VJP loops over range(n - 1) rows: the last row stays 0",
        "vjp", softmax_vjp_skips_last_row, softmax_vjp, softmax, inputs((3, 4), seed=37))
mistake("sigmoid-vjp-input-as-output", "vector VJP", "output_for_input",
        "sigmoid's VJP computes x * (1 - x): the output's formula with the input",
        "vjp", lambda upstream, x: x * (1 - x) * upstream,
        lambda upstream, x: sigmoid(x) * (1 - sigmoid(x)) * upstream,
        sigmoid, inputs((2, 4), seed=38))
mistake("index-overwrite", "vector VJP", "not_accumulated",
        "x[index] with repeated indices: grad[index] = upstream overwrites instead of adding",
        "vjp", index_overwrite, index_vjp, lambda x: x[repeated_index(x.size)],
        inputs((6,), seed=39))
mistake("broadcast-keeps-last-row", "vector VJP", "not_accumulated",
        "broadcast_to(b, (4, 3))'s backward keeps the last row of the upstream gradient",
        "vjp", lambda upstream, b: upstream[-1], lambda upstream, b: upstream.sum(axis=0),
        lambda b: np.broadcast_to(b, (4, 3)), inputs((3,), seed=40))

mistake("elu-negative-side-forgets-one", "vector VJP", "partial",
        "ELU's derivative on x <= 0 written as y instead of y + 1 (= e^x)",
        "vjp", lambda upstream, x: upstream * np.where(x > 0, 1.0, elu(x)),
        lambda upstream, x: upstream * np.where(x > 0, 1.0, elu(x) + 1.0),
        elu, inputs((3, 4), seed=41))
mistake("logsumexp-vjp-forgets-upstream", "vector VJP", "missing_upstream",
        "log-sum-exp along the last axis: softmax(x) without the upstream number of each row",
        "vjp", lambda upstream, x: softmax(x),
        lambda upstream, x: upstream[..., None] * softmax(x),
        lambda x: np.log(np.exp(x).sum(axis=-1)), inputs((3, 4), seed=42))


# --- 04: matrix VJPs ---------------------------------------------------------------------------

def linear(x, W, b):
    return x @ W + b


def linear_vjp(upstream, x, W, b):
    return upstream @ W.T, x.T @ upstream, upstream.sum(axis=0)


LABELS = np.array([1, 0, 3, 2, 1])


def cross_entropy(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(LABELS)), LABELS].mean()


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def cross_entropy_vjp(upstream, logits):
    return upstream * (softmax(logits) - one_hot(LABELS, logits.shape[1])) / len(LABELS)


def cross_entropy_vjp_naive(upstream, logits):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
    return upstream * (p - one_hot(LABELS, logits.shape[1])) / len(LABELS)


mistake("matmul-dx-missing-transpose", "matrix VJP", "transpose",
        "dL/dx = upstream @ W instead of upstream @ W.T (square W)",
        "vjp", lambda upstream, x, W: (upstream @ W, x.T @ upstream),
        lambda upstream, x, W: (upstream @ W.T, x.T @ upstream),
        lambda x, W: x @ W, inputs((4, 4), (4, 4), seed=41))
mistake("matmul-dW-operands-swapped", "matrix VJP", "transpose",
        "dL/dW = upstream.T @ x: the shape of W.T",
        "vjp", lambda upstream, x, W: (upstream @ W.T, upstream.T @ x),
        lambda upstream, x, W: (upstream @ W.T, x.T @ upstream),
        lambda x, W: x @ W, inputs((5, 3), (3, 4), seed=42))
mistake("matmul-dW-transposed-square", "matrix VJP", "transpose",
        "dL/dW = upstream.T @ x with square shapes: the right shape, transposed values",
        "vjp", lambda upstream, x, W: (upstream @ W.T, upstream.T @ x),
        lambda upstream, x, W: (upstream @ W.T, x.T @ upstream),
        lambda x, W: x @ W, inputs((4, 4), (4, 4), seed=43))
mistake("matmul-gradients-in-wrong-order", "matrix VJP", "swapped_inputs",
        "returns (dL/dW, dL/dx) instead of (dL/dx, dL/dW)",
        "vjp", lambda upstream, x, W: (x.T @ upstream, upstream @ W.T),
        lambda upstream, x, W: (upstream @ W.T, x.T @ upstream),
        lambda x, W: x @ W, inputs((5, 3), (3, 4), seed=44))
mistake("matmul-gradients-in-wrong-order-square", "matrix VJP", "swapped_inputs",
        "the same with square shapes, where the shapes cannot tell",
        "vjp", lambda upstream, x, W: (x.T @ upstream, upstream @ W.T),
        lambda upstream, x, W: (upstream @ W.T, x.T @ upstream),
        lambda x, W: x @ W, inputs((4, 4), (4, 4), seed=45))
mistake("bias-grad-not-summed", "matrix VJP", "unreduced_broadcast",
        "dL/db = upstream: the shape (N, M) of the batch, not summed over it",
        "vjp", lambda upstream, x, W, b: (upstream @ W.T, x.T @ upstream, upstream), linear_vjp,
        linear, inputs((5, 3), (3, 4), (4,), seed=46))
mistake("multiply-broadcast-not-reduced", "matrix VJP", "unreduced_broadcast",
        "x (2, 1, 3) * y (4, 1): dL/dy returned with the broadcast shape (2, 4, 3)",
        "vjp", lambda upstream, x, y: (unbroadcast(upstream * y, x.shape), upstream * x),
        lambda upstream, x, y: (unbroadcast(upstream * y, x.shape),
                                unbroadcast(upstream * x, y.shape)),
        lambda x, y: x * y, inputs((2, 1, 3), (4, 1), seed=47))
mistake("unbroadcast-leading-axes-only", "matrix VJP", "unreduced_broadcast",
        "a (3, 1) column broadcast to (2, 3, 4): unbroadcast sums the added axis, not the "
        "stretched one",
        "vjp", lambda upstream, x: upstream.sum(axis=0),
        lambda upstream, x: upstream.sum(axis=(0, 2))[:, None],
        lambda x: np.broadcast_to(x, (2, 3, 4)), inputs((3, 1), seed=53))
mistake("unbroadcast-drops-stretched-axis", "matrix VJP", "shape",
        "the same, summed over the stretched axis without keeping it: shape (3,), not (3, 1)",
        "vjp", lambda upstream, x: upstream.sum(axis=(0, 2)),
        lambda upstream, x: upstream.sum(axis=(0, 2))[:, None],
        lambda x: np.broadcast_to(x, (2, 3, 4)), inputs((3, 1), seed=54))
mistake("bias-grad-summed-over-features", "matrix VJP", "shape",
        "dL/db = upstream.sum(axis=1): one number per example instead of per feature",
        "vjp", lambda upstream, x, W, b: (upstream @ W.T, x.T @ upstream, upstream.sum(axis=1)),
        linear_vjp, linear, inputs((5, 3), (3, 4), (4,), seed=48))
mistake("bias-grad-averaged", "matrix VJP", "scale",
        "dL/db = upstream.mean(axis=0): divided by the batch size",
        "vjp", lambda upstream, x, W, b: (upstream @ W.T, x.T @ upstream, upstream.mean(axis=0)),
        linear_vjp, linear, inputs((5, 3), (3, 4), (4,), seed=49))
mistake("cross-entropy-not-divided-by-n", "matrix VJP", "scale",
        "the gradient of the mean cross-entropy without the 1/N of the mean",
        "vjp", lambda upstream, logits: upstream * (softmax(logits)
                                                    - one_hot(LABELS, logits.shape[1])),
        cross_entropy_vjp, cross_entropy, inputs((5, 4), seed=50))
mistake("cross-entropy-sign", "matrix VJP", "sign",
        "(one_hot - softmax) / N instead of (softmax - one_hot) / N",
        "vjp", lambda upstream, logits: upstream * (one_hot(LABELS, logits.shape[1])
                                                    - softmax(logits)) / len(LABELS),
        cross_entropy_vjp, cross_entropy, inputs((5, 4), seed=51))
mistake("cross-entropy-overflows", "matrix VJP", "nonfinite",
        "softmax without subtracting the row maximum: inf / inf for logits near 1000",
        "vjp", cross_entropy_vjp_naive, cross_entropy_vjp, cross_entropy,
        inputs((5, 4), seed=52, shift=1000.0))


# --- 05: JVP rules -----------------------------------------------------------------------------

class Dual:
    """The notebook's dual number a + a' eps (value, tangent), with a student's operators."""

    def __init__(self, value, tangent):
        self.value, self.tangent = value, tangent

    def __mul__(self, other):
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    def __truediv__(self, other):
        return Dual(self.value / other.value,
                    (self.tangent * other.value - self.value * other.tangent) / other.value ** 2)

    def exp(self):
        e = np.exp(self.value)
        return Dual(e, e * self.tangent)


class DualMulOneTerm(Dual):
    def __mul__(self, other):
        return DualMulOneTerm(self.value * other.value, self.tangent * other.value)


class DualDivSign(Dual):
    def __truediv__(self, other):
        return DualDivSign(self.value / other.value,
                           (self.tangent * other.value + self.value * other.tangent)
                           / other.value ** 2)


class DualExpForgetsTangent(Dual):
    def exp(self):
        e = np.exp(self.value)
        return DualExpForgetsTangent(e, e)


def dual_jvp(number, operation):
    """A jvp_fn(tangents, *inputs) that runs `operation` on dual numbers of class `number`."""
    def jvp_fn(tangents, *xs):
        return operation(*[number(x, t) for x, t in zip(xs, tangents)]).tangent
    return jvp_fn


def matmul_jvp(tangents, x, W):
    dx, dW = tangents
    return dx @ W + x @ dW


def softmax_jvp(tangents, x):
    (dx,) = tangents
    s = softmax(x)
    return s * (dx - (s * dx).sum(axis=-1, keepdims=True))


def solve_jvp(tangents, A, b):
    dA, db = tangents
    return np.linalg.solve(A, db - dA @ np.linalg.solve(A, b))


def well_conditioned(n, seed):
    """() -> (A, b): a random, well-conditioned, unsymmetric A (n, n) and b (n,)."""
    def make():
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, n)) + n * np.eye(n), rng.standard_normal(n)
    return make


mistake("dual-mul-one-term", "JVP rule", "zero",
        "Dual.__mul__ keeps only a' b of the product rule a' b + a b'",
        "jvp", dual_jvp(DualMulOneTerm, lambda a, b: a * b), dual_jvp(Dual, lambda a, b: a * b),
        lambda x, y: x * y, inputs((2, 3), (2, 3), seed=60))
mistake("dual-div-sign", "JVP rule", "sign",
        "Dual.__truediv__ adds a b' instead of subtracting it",
        "jvp", dual_jvp(DualDivSign, lambda a, b: a / b), dual_jvp(Dual, lambda a, b: a / b),
        lambda x, y: x / y, inputs((4,), (4,), seed=61))
mistake("dual-exp-forgets-incoming-tangent", "JVP rule", "missing_upstream",
        "Dual.exp returns the tangent e^a instead of e^a * a'",
        "jvp", dual_jvp(DualExpForgetsTangent, lambda a: a.exp()),
        dual_jvp(Dual, lambda a: a.exp()), np.exp, inputs((3, 2), seed=62))
mistake("tanh-jvp-one-minus-x-squared", "JVP rule", "output_for_input",
        "tanh_jvp uses 1 - x**2 instead of 1 - tanh(x)**2",
        "jvp", lambda tangents, x: (1 - x ** 2) * tangents[0],
        lambda tangents, x: (1 - np.tanh(x) ** 2) * tangents[0], np.tanh,
        inputs((3, 4), seed=63, scale=1.5))
mistake("sigmoid-jvp-at-output", "JVP rule", "output_for_input",
        "the tangent of sigmoid uses sigma'(sigma(x))",
        "jvp", lambda tangents, x: sigmoid(sigmoid(x)) * (1 - sigmoid(sigmoid(x))) * tangents[0],
        lambda tangents, x: sigmoid(x) * (1 - sigmoid(x)) * tangents[0], sigmoid,
        inputs((5,), seed=64))
mistake("matmul-jvp-misses-dW-term", "JVP rule", "zero",
        "matmul_jvp returns dx @ W only",
        "jvp", lambda tangents, x, W: tangents[0] @ W, matmul_jvp,
        lambda x, W: x @ W, inputs((4, 3), (3, 5), seed=65))
mistake("matmul-jvp-misses-dx-term", "JVP rule", "zero",
        "matmul_jvp returns x @ dW only",
        "jvp", lambda tangents, x, W: x @ tangents[1], matmul_jvp,
        lambda x, W: x @ W, inputs((4, 3), (3, 5), seed=66))
mistake("matmul-jvp-dW-transposed", "JVP rule", "transpose",
        "matmul_jvp uses x @ dW.T (square W)",
        "jvp", lambda tangents, x, W: tangents[0] @ W + x @ tangents[1].T, matmul_jvp,
        lambda x, W: x @ W, inputs((3, 3), (3, 3), seed=67))
mistake("exp-jvp-sign", "JVP rule", "sign",
        "the tangent of exp(x) as -exp(x) * dx",
        "jvp", lambda tangents, x: -np.exp(x) * tangents[0],
        lambda tangents, x: np.exp(x) * tangents[0], np.exp, inputs((2, 3), seed=68))
mistake("multiply-jvp-swapped", "JVP rule", "swapped_inputs",
        "the tangent of x * y as dx * x + dy * y",
        "jvp", lambda tangents, x, y: tangents[0] * x + tangents[1] * y,
        lambda tangents, x, y: tangents[0] * y + x * tangents[1],
        lambda x, y: x * y, inputs((3,), (3,), seed=69))
mistake("square-jvp-missing-two", "JVP rule", "scale",
        "the tangent of x**2 as x * dx",
        "jvp", lambda tangents, x: x * tangents[0], lambda tangents, x: 2 * x * tangents[0],
        lambda x: x ** 2, inputs((4,), seed=70))
mistake("softmax-jvp-element-wise", "JVP rule", "unknown",
        "softmax_jvp as s * (1 - s) * dx: every output depends on its whole row",
        "jvp", lambda tangents, x: softmax(x) * (1 - softmax(x)) * tangents[0], softmax_jvp,
        softmax, inputs((2, 4), seed=71))
mistake("solve-jvp-forgets-dA", "JVP rule", "zero",
        "the tangent of solve(A, b) as solve(A, db): the moving A is forgotten",
        "jvp", lambda tangents, A, b: np.linalg.solve(A, tangents[1]), solve_jvp,
        np.linalg.solve, well_conditioned(4, seed=73))
mistake("solve-jvp-dA-sign", "JVP rule", "sign",
        "the tangent of solve(A, b) as solve(A, db + dA x)",
        "jvp", lambda tangents, A, b: np.linalg.solve(A, tangents[1] + tangents[0] @ np.linalg.solve(A, b)),
        solve_jvp, np.linalg.solve, well_conditioned(4, seed=74))
mistake("sum-jvp-keeps-last-term", "JVP rule", "not_accumulated",
        "the tangent of x.sum(axis=1) keeps only the last column's tangent",
        "jvp", lambda tangents, x: tangents[0][:, -1], lambda tangents, x: tangents[0].sum(axis=1),
        lambda x: x.sum(axis=1), inputs((3, 4), seed=72))


# --- 02: the backward traversal over the notebook's Node graph ---------------------------------

class Node:
    """The notebook's scalar node: value, parents, local_grads (computed forward), grad."""

    def __init__(self, value, parents=(), local_grads=(), op="", label=""):
        self.value = float(value)
        self.parents = tuple(parents)
        self.local_grads = tuple(local_grads)
        self.grad = 0.0
        self.op = op
        self.label = label

    def __add__(self, other):
        other = as_node(other)
        return Node(self.value + other.value, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = as_node(other)
        return Node(self.value * other.value, (self, other), (other.value, self.value), "*")

    __radd__ = __add__
    __rmul__ = __mul__

    def tanh(self):
        t = math.tanh(self.value)
        return Node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        s = float(sigmoid(self.value))
        return Node(s, (self,), (s * (1.0 - s),), "sigmoid")


def as_node(x):
    return x if isinstance(x, Node) else Node(x)


def topological_order(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            stack.append((parent, False))
    return order


def traversal(reset=True, seed=True, forward=False, accumulate=True):
    """A backward(root) with some of its four steps done wrong."""
    def backward(root):
        order = topological_order(root)
        if reset:
            for node in order:
                node.grad = 0.0
        if seed:
            root.grad = 1.0
        for node in (order if forward else reversed(order)):
            for parent, local in zip(node.parents, node.local_grads):
                if accumulate:
                    parent.grad += local * node.grad
                else:
                    parent.grad = local * node.grad
    return backward


def twice(backward):
    def run(root):
        backward(root)
        backward(root)
    return run


def diamond(a, b, c, d):
    x = a * b
    return (c * x) * (x + d)


def square(u):
    return u * u


def shared(a, b):
    return (a * b + a).sigmoid() * a


def chain(a, b, c):
    return (a * b + c).tanh() * 2.0


DIAMOND = constant(2.0, -1.5, 0.5, 1.0)

mistake("backward-overwrites-at-fan-out", "backward traversal", "not_accumulated",
        "parent.grad = local * node.grad: the diamond's shared x keeps one path",
        "traversal", traversal(accumulate=False), traversal(), diamond, DIAMOND)
mistake("backward-overwrites-square", "backward traversal", "not_accumulated",
        "the same on u * u, one gate using one node twice",
        "traversal", traversal(accumulate=False), traversal(), square, constant(1.5))
mistake("backward-overwrites-shared", "backward traversal", "not_accumulated",
        "the same where a feeds three gates",
        "traversal", traversal(accumulate=False), traversal(), shared, constant(0.7, -0.4))
mistake("backward-forgets-the-seed", "backward traversal", "zero",
        "no root.grad = 1: every gradient stays 0",
        "traversal", traversal(seed=False), traversal(), diamond, DIAMOND)
mistake("backward-walks-forward", "backward traversal", "partial",
        "walks the topological order from the leaves to the root",
        "traversal", traversal(forward=True), traversal(), diamond, DIAMOND)
mistake("backward-walks-forward-chain", "backward traversal", "partial",
        "the same on a chain",
        "traversal", traversal(forward=True), traversal(), chain, constant(0.5, -1.2, 0.3))
mistake("backward-forgets-to-reset", "backward traversal", "unknown",
        "no reset: a second backward(root) adds onto the first",
        "traversal", twice(traversal(reset=False)), twice(traversal()), diamond, DIAMOND)
