"""A bank of WRONG gradient rules: the mistakes students make, for testing the checker.

Each record holds a function f, a wrong reverse rule vjp_fn(g, *inputs) and, where the mistake
has a forward-mode twin, a wrong jvp_fn(tangents, *inputs), with the input shapes for the
element-by-element path (`shapes`) and for the random-direction path (`large_shapes`, every
input the mistake touches above MAX_ELEMENTWISE). `kind` is the diagnosis GradientError.kind must
give (course.diagnose's kinds; "unknown" where no simple kind fits).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from course.gradcheck import random_inputs


@dataclass(frozen=True)
class WrongRule:
    name: str
    kind: str                   # the diagnosis: GradientError.kind (course.diagnose)
    description: str            # the mistake in words
    f: Callable
    shapes: tuple
    large_shapes: tuple | None
    vjp_fn: Callable | None = None
    jvp_fn: Callable | None = None
    wrong_input: int = 0        # the first input whose gradient is wrong
    positive: bool = False      # f needs positive inputs

    def inputs(self, large=False, seed=0):
        xs = random_inputs(*(self.large_shapes if large else self.shapes), seed=seed)
        return tuple(np.abs(x) for x in xs) if self.positive else xs


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def repeated_index(n):
    """Every index once, then every even index again: gradients must add up."""
    return np.concatenate([np.arange(n), np.arange(0, n, 2)])


def _overwrite_at_index(g, x):
    grad = np.zeros_like(x)
    grad[repeated_index(x.size)] = g      # should be np.add.at(grad, index, g)
    return grad


WRONG_RULES = [
    WrongRule(
        "exp-sign", "sign", "exp's gradient with the sign flipped",
        np.exp, ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: -g * np.exp(x),
        jvp_fn=lambda t, x: -t[0] * np.exp(x)),
    WrongRule(
        "matmul-transposed", "transpose", "dL/dw = g.T @ x instead of x.T @ g (square shapes)",
        lambda x, w: x @ w, ((4, 4), (4, 4)), ((40, 40), (40, 40)),
        vjp_fn=lambda g, x, w: (g @ w.T, g.T @ x),
        jvp_fn=lambda t, x, w: t[0] @ w + x @ t[1].T,
        wrong_input=1),
    WrongRule(
        "matmul-transposed-rect", "transpose", "dL/dw = g.T @ x: the shape of w.T",
        lambda x, w: x @ w, ((5, 3), (3, 4)), ((50, 30), (30, 40)),
        vjp_fn=lambda g, x, w: (g @ w.T, g.T @ x), wrong_input=1),
    WrongRule(
        "tanh-missing-upstream", "missing_upstream",
        "the local derivative 1 - tanh(x)**2 without the upstream gradient (or tangent)",
        np.tanh, ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: 1 - np.tanh(x) ** 2,
        jvp_fn=lambda t, x: 1 - np.tanh(x) ** 2),
    WrongRule(
        "add-unreduced-broadcast", "unreduced_broadcast",
        "dL/db for x + b returned with the broadcast shape instead of summed to b's shape",
        lambda x, b: x + b, ((4, 3), (3,)), ((40, 120), (120,)),
        vjp_fn=lambda g, x, b: (g, g), wrong_input=1),
    WrongRule(
        "sum-ones-like", "missing_upstream",
        "sum's gradient as ones_like(x), ignoring the upstream",
        np.sum, ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: np.ones_like(x)),
    WrongRule(
        "multiply-swapped", "swapped_inputs", "d(x*y)/dx = x instead of y, and the other way",
        lambda x, y: x * y, ((3, 4), (3, 4)), ((30, 20), (30, 20)),
        vjp_fn=lambda g, x, y: (g * x, g * y),
        jvp_fn=lambda t, x, y: t[0] * x + t[1] * y),
    WrongRule(
        "sigmoid-at-output", "output_for_input",
        "sigmoid'(s) evaluated at the output s = sigmoid(x) instead of at x",
        sigmoid, ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: g * sigmoid(sigmoid(x)) * (1 - sigmoid(sigmoid(x))),
        jvp_fn=lambda t, x: t[0] * sigmoid(sigmoid(x)) * (1 - sigmoid(sigmoid(x)))),
    WrongRule(
        "square-factor", "scale", "d(x**2)/dx = x: the factor 2 forgotten",
        lambda x: x ** 2, ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: g * x,
        jvp_fn=lambda t, x: t[0] * x),
    WrongRule(
        "sin-zeros", "zero", "a gradient of zeros (the rule never filled it in)",
        np.sin, ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: np.zeros_like(x),
        jvp_fn=lambda t, x: np.zeros_like(x)),
    WrongRule(
        "max-nan-mask", "nonfinite", "max's mask filled with NaN instead of 0 off the maximum",
        lambda x: np.max(x), ((3, 4),), ((30, 20),),
        vjp_fn=lambda g, x: np.where(x == np.max(x), g, np.nan),
        jvp_fn=lambda t, x: np.sum(np.where(x == np.max(x), t[0], np.nan))),
    WrongRule(
        "index-overwrite", "not_accumulated",
        "x[index] with repeated indices: grad[index] = g overwrites instead of adding",
        lambda x: x[repeated_index(x.size)], ((6,),), ((150,),),
        vjp_fn=_overwrite_at_index),
    WrongRule(
        "softmax-diagonal", "unknown",    # only the Jacobian's diagonal: no simple kind fits
        "softmax's gradient g * s * (1 - s): only the diagonal of the Jacobian",
        softmax, ((3, 4),), ((20, 30),),
        vjp_fn=lambda g, x: g * softmax(x) * (1 - softmax(x)),
        jvp_fn=lambda t, x: t[0] * softmax(x) * (1 - softmax(x))),
]
