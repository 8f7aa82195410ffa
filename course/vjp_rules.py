"""Reverse-mode rules: for each primitive and argument, the vector-Jacobian product.

    defvjp(op, rule_for_arg0, rule_for_arg1, ...)      rule(g, ans, *args, **kwargs)

g is the upstream gradient dL/d(ans) (the shape of ans); a rule returns dL/d(arg), the downstream
gradient. It never builds a Jacobian. A rule may return the broadcast shape: the engine sums it
back to the argument's shape (tracing.unbroadcast). The rules are written with primitives and
operators, so the backward pass can itself be differentiated (higher-order derivatives).
"""

import numpy as np

from course import ops
from course.ops import (add, broadcast_to, cross_entropy, divide, exp, getitem, log, log_softmax,
                        matmul, maximum, multiply, negative, power, relu, reshape, sigmoid,
                        softmax, stack, subtract, tanh, transpose, untake)
from course.tensor import Tensor
from course.tracing import shape_of


def defvjp(op, *rules):
    """Register one reverse rule per argument of `op` (None: not differentiable there)."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            op.vjps[argnum] = rule


# --- element-wise: local gradient times upstream ------------------------------------------
defvjp(add,      lambda g, ans, x, y: g,             lambda g, ans, x, y: g)        # distributes
defvjp(subtract, lambda g, ans, x, y: g,             lambda g, ans, x, y: -g)
defvjp(multiply, lambda g, ans, x, y: g * y,         lambda g, ans, x, y: g * x)    # swaps
defvjp(divide,   lambda g, ans, x, y: g / y,         lambda g, ans, x, y: -g * ans / y)
defvjp(power,    lambda g, ans, x, y: g * y * x ** lowered(y),
                 lambda g, ans, x, y: g * ans * log(x))
defvjp(negative, lambda g, ans, x: -g)
defvjp(exp,      lambda g, ans, x: g * ans)
defvjp(log,      lambda g, ans, x: g / x)
defvjp(tanh,     lambda g, ans, x: g * (1 - ans * ans))
defvjp(sigmoid,  lambda g, ans, x: g * ans * (1 - ans))                  # sigma' from the output
defvjp(relu,     lambda g, ans, x: g * (x > 0))                          # 0 at x <= 0
defvjp(maximum,  lambda g, ans, x, y: g * _max_share(x, y),              # routes; ties split
                 lambda g, ans, x, y: g * _max_share(y, x))


def lowered(y):
    """y - 1, except 1 where y == 0, so that y * x**(y-1) is 0 (not 0 * inf) for x**0 at x = 0."""
    if isinstance(y, Tensor):
        return y - 1
    return np.where(np.equal(y, 0), 1.0, np.subtract(y, 1.0))


def _max_share(x, y):
    """1 where x won, 1/2 on a tie, 0 where y won: a constant mask (no gradient through it)."""
    x, y = _plain(x), _plain(y)
    return (x > y) + 0.5 * (x == y)


# --- matmul: dL/dx = dL/dy W^T, dL/dW = x^T dL/dy (1-D operands as numpy treats them) -------
def _matmul_grad_x(g, ans, x, w):
    if w.ndim == 1:                                   # (..., n) @ (n,) -> (...)
        return _expand_last(g) * w
    if x.ndim == 1:                                   # (n,) @ (..., n, m) -> (..., m)
        return reshape(w @ _expand_last(g), shape_of(w)[:-1])
    return g @ _swap_last(w)


def _matmul_grad_w(g, ans, x, w):
    if w.ndim == 1:
        if x.ndim == 1:
            return g * x
        return reshape(_swap_last(x) @ _expand_last(g), shape_of(x)[:-2] + shape_of(x)[-1:])
    if x.ndim == 1:
        return _expand_last(x) * reshape(g, shape_of(g)[:-1] + (1,) + shape_of(g)[-1:])
    return _swap_last(x) @ g


defvjp(matmul, _matmul_grad_x, _matmul_grad_w)


# --- reductions: copy the upstream gradient back over the reduced axes ---------------------
def _restore_axes(g, shape, axis, keepdims):
    """g of a reduction's output shape -> the input's rank, with size-1 reduced axes."""
    if keepdims:
        return g
    return reshape(g, _kept_shape(shape, axis))


def _kept_shape(shape, axis):
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if k in axes else n for k, n in enumerate(shape))


def _count(shape, axis):
    return int(np.prod(shape)) // int(np.prod(_kept_shape(shape, axis)))


def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    return broadcast_to(_restore_axes(g, shape_of(x), axis, keepdims), shape_of(x))


def _mean_vjp(g, ans, x, axis=None, keepdims=False):
    return _sum_vjp(g, ans, x, axis, keepdims) / _count(shape_of(x), axis)


def _max_vjp(g, ans, x, axis=None, keepdims=False):
    return _restore_axes(g, shape_of(x), axis, keepdims) * max_share(x, ans, axis, keepdims)


def max_share(x, ans, axis, keepdims):
    """Where x attains its maximum, 1/(number of tied maxima); 0 elsewhere. Constant mask."""
    hits = _plain(x) == np.reshape(_plain(ans), _kept_shape(shape_of(x), axis))
    return hits / np.sum(hits, axis=axis, keepdims=True)


defvjp(ops.sum, _sum_vjp)
defvjp(ops.mean, _mean_vjp)
defvjp(ops.max, _max_vjp)

# --- shape: linear maps whose adjoints move the gradient back -------------------------------
defvjp(reshape,      lambda g, ans, x, shape: reshape(g, shape_of(x)))
defvjp(transpose,    lambda g, ans, x, axes=None: transpose(g, _inverse(axes)))
defvjp(broadcast_to, lambda g, ans, x, shape: g)              # the engine sums back to x's shape
defvjp(getitem,      lambda g, ans, x, index: untake(g, index, shape_of(x)))  # repeats add up
defvjp(untake,       lambda g, ans, x, index, shape: getitem(g, index))
stack.vjp_argnum = lambda i, g, ans, *arrays: getitem(g, i)


def _inverse(axes):
    return None if axes is None else tuple(np.argsort([a % len(axes) for a in axes]))


# --- neural-network functions -----------------------------------------------------------------
defvjp(softmax,       lambda g, ans, x, axis=-1: ans * (g - ops.sum(g * ans, axis=axis, keepdims=True)))
defvjp(log_softmax,   lambda g, ans, x, axis=-1: g - exp(ans) * ops.sum(g, axis=axis, keepdims=True))
def _cross_entropy_vjp(g, ans, logits, labels):
    """dL/dlogits = g * (softmax(logits) - one_hot(labels)) / N: the famous "p - y"."""
    n = len(labels)
    probs = softmax(logits)
    if type(probs) is np.ndarray:  # plain arrays: subtract the one-hot in place, same formula
        probs[np.arange(n), labels] -= 1.0
        return probs * (g / n)
    return (probs - ops.one_hot(labels, shape_of(logits)[-1])) * (g / n)


defvjp(cross_entropy, _cross_entropy_vjp)


# --- helpers that work on arrays and Tensors alike ------------------------------------------
def _plain(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _expand_last(x):
    return reshape(x, shape_of(x) + (1,))


def _swap_last(x):
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))
