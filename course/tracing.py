"""The chain rule, written once: primitives, traces, and the backward pass.

A `Primitive` is a numpy function plus one local gradient rule per argument (`vjp_rules.py` for
reverse mode, `jvp_rules.py` for forward mode). The rules only know their own gate; everything
else, visiting the graph and adding up contributions, happens here.

Traces. Each transform (`grad`, `vjp`, `jvp`, ...) starts a new `Trace` and wraps its inputs in
Tensors of that trace. Calling a primitive on them records a graph node (reverse mode) or carries a
tangent along (forward mode). Tensors made with `requires_grad=True` belong to the eager trace,
level 0. Transforms nest (grad of grad, jvp of grad): a Tensor of a newer trace wraps a value that
may itself be a Tensor of an older trace. A primitive unwraps the newest trace among its arguments,
computes on what is inside (which records on the older traces in turn), and wraps the result.
Because the rules themselves are written with primitives, the backward pass of an inner trace is
recorded by the outer ones: that is all higher-order derivatives need.
"""

import itertools
from operator import itemgetter

import numpy as np

from course.tensor import Tensor
from course.value import topological_order as walk


class Trace:
    """One level of differentiation: reverse (records a graph) or forward (carries tangents)."""

    __slots__ = ("level", "forward")

    def __init__(self, level, forward=False):
        self.level = level
        self.forward = forward

    def __repr__(self):
        return f"Trace(level={self.level}, {'forward' if self.forward else 'reverse'})"


EAGER = Trace(0)
_next_level = itertools.count(1)


def new_trace(forward=False):
    """A trace newer (higher level) than every existing one."""
    return Trace(next(_next_level), forward)


def newest_trace(args):
    """The trace with the highest level among `args`, or None; and whether any arg is a Tensor."""
    top, any_tensor = None, False
    for a in args:
        if type(a) is Tensor:
            any_tensor = True
            t = a._trace
            if t is not None and (top is None or t.level > top.level):
                top = t
    return top, any_tensor


def split_level(args, trace):
    """One pass over args: (the values inside this trace's Tensors and constants, the traced
    arguments as (argnum, Tensor) pairs, whether Tensors of older traces remain)."""
    inputs, parents, nested = [], [], False
    for i, a in enumerate(args):
        if type(a) is Tensor:
            t = a._trace
            if t is trace:
                parents.append((i, a))
                a = a._value
                nested = nested or type(a) is Tensor
            elif t is None:
                a = a._value
            else:
                nested = True
        inputs.append(a)
    return inputs, tuple(parents), nested


def unwrap_level(args, trace):
    """Replace Tensors of `trace` (and constant Tensors) by the values inside them."""
    return [a._value if type(a) is Tensor and (a._trace is trace or a._trace is None) else a
            for a in args]


class Primitive:
    """A differentiable function of arrays: `fn` computes, `vjps`/`jvps` hold the local rules.

    A reverse rule has the signature `rule(g, ans, *args, **kwargs) -> gradient of one argument`
    (g: upstream gradient, the shape of ans). A forward rule has the signature
    `rule(t, ans, *args, **kwargs) -> tangent of ans` (t: the tangent of one argument).
    The engine broadcasts and unbroadcasts the results: rules may return any broadcastable shape.
    """

    __slots__ = ("fn", "name", "vjps", "jvps", "vjp_argnum", "jvp_argnum")

    def __init__(self, fn, name):
        self.fn = fn
        self.name = name
        self.vjps = {}          # argnum -> reverse rule
        self.jvps = {}          # argnum -> forward rule
        self.vjp_argnum = None  # rule(argnum, g, ans, *args) for any argument (variadic ops)
        self.jvp_argnum = None

    def __repr__(self):
        return f"<primitive {self.name}>"

    def __call__(self, *args, **kwargs):
        top, any_tensor = newest_trace(args)
        if top is None:
            if not any_tensor:
                return self.fn(*args, **kwargs)
            return Tensor._make(self.fn(*unwrap_level(args, None), **kwargs))
        inputs, parents, nested = split_level(args, top)
        # Compute on what is inside; if older traces remain, the call records on them in turn.
        value = self(*inputs, **kwargs) if nested else self.fn(*inputs, **kwargs)
        if top.forward:
            return record_forward(self, value, top, parents, inputs, kwargs)
        return Tensor._make(value, top, self, parents, inputs, kwargs)

    def vjp(self, g, ans, inputs, kwargs, parents):
        """The gradients of the traced arguments `parents` ((argnum, tensor) pairs), given g."""
        rules = self.vjps
        return [(rules.get(i) or self._rule(i, "reverse"))(g, ans, *inputs, **kwargs)
                for i, _ in parents]

    def jvp(self, tangents, ans, inputs, kwargs):
        """The tangent of ans, given (argnum, tangent) pairs for the traced arguments."""
        total = None
        rules = self.jvps
        for i, t in tangents:
            rule = rules.get(i) or self._rule(i, "forward")
            contribution = broadcast_to_shape(rule(t, ans, *inputs, **kwargs), shape_of(ans))
            total = contribution if total is None else total + contribution
        return total

    def _rule(self, i, mode):
        """The rule for argument i of a variadic op, or a clear error."""
        argnum_rule = self.vjp_argnum if mode == "reverse" else self.jvp_argnum
        if argnum_rule is not None:
            return lambda *a, **k: argnum_rule(i, *a, **k)
        raise NotImplementedError(
            f"{self.name} has no {mode}-mode rule for argument {i}: it is not differentiable "
            f"with respect to that argument")


def record_forward(op, value, trace, parents, inputs, kwargs):
    """A new dual value: the result and its tangent, computed now by the forward rules."""
    out = Tensor._make(value, trace)
    out._tangent = op.jvp([(i, a._tangent) for i, a in parents], value, inputs, kwargs)
    return out


def topological_order(root):
    """The nodes `root` depends on in its own trace, each after its parents (course.Value's
    walk, telling Tensors apart by id: their == is element-wise)."""
    return walk(root, _traced_parents, key=id)


def _traced_parents(node):
    """The Tensors a node was computed from, in its own trace (`_parents` pairs them with
    their argument numbers)."""
    return map(_second, node._parents)


_second = itemgetter(1)


def backward_pass(output, seed):
    """Reverse mode from `output` with upstream gradient `seed` (the shape of output).

    Returns (order, grads): the nodes in topological order, and `grads[id(node)]` = d<seed,
    output>/d node for every leaf (nodes without parents) that was reached. Contributions that
    reach a node along several edges are added (fan-out), never overwritten.
    """
    order = topological_order(output)
    grads = {id(output): seed}
    for node in reversed(order):
        parents = node._parents
        if not parents:
            continue
        g = grads.pop(id(node), None)
        if g is None:
            continue
        contributions = node._op.vjp(g, node._value, node._args, node._kwargs, parents)
        for (i, parent), contribution in zip(parents, contributions):
            if contribution is None:
                continue
            shape = parent.shape
            if contribution.shape != shape:
                contribution = unbroadcast(contribution, shape, node._op, i)
            key = id(parent)
            previous = grads.get(key)
            grads[key] = contribution if previous is None else previous + contribution
    return order, grads


def shape_of(x):
    """The shape of an array, a Tensor or a number (np.shape would ask a Tensor's
    __array_function__)."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def broadcast_axes(shape, bigger):
    """How numpy broadcasts an array of `shape` to `bigger`: (leading, stretched), the axes of
    bigger that broadcasting prepended and the axes of shape (of size 1) that it stretched; None
    when it cannot (bigger is not a broadcast shape of shape)."""
    shape, bigger = tuple(shape), tuple(bigger)
    lead = len(bigger) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, bigger[lead:])):
        return None
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and bigger[lead + k] != 1)
    return tuple(range(lead)), stretched


def unbroadcast(g, shape, op=None, argnum=None):
    """Sum g over the axes that broadcasting added or stretched, so it has `shape`.

    The forward pass broadcast an input of `shape` to the output's shape; every copy received a
    gradient, and the copies' gradients add up (the copy gate). Applied once, here, to every rule
    (and by course.diagnose to a student's gradient of the broadcast shape).
    """
    g_shape = shape_of(g)
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    if lead > 0 and g_shape[lead:] == shape:  # the common case: e.g. a bias added to a batch
        return ops.sum(g, axis=tuple(range(lead)))
    axes = broadcast_axes(shape, g_shape)
    if axes is None:
        if len(g_shape) < len(shape) and all(n == 1 for n in g_shape):
            return ops.broadcast_to(g, shape)  # a scalar-like gradient for a larger input
        where = f" from {op.name} for argument {argnum}" if op is not None else ""
        raise ValueError(f"gradient of shape {g_shape}{where} cannot be summed to the input's "
                         f"shape {shape}: dL/dx must have the shape of x")
    leading, stretched = axes
    if leading:
        g = ops.sum(g, axis=leading)  # axes that broadcasting prepended
    if stretched:
        g = ops.sum(g, axis=stretched, keepdims=True)  # size-1 axes that were stretched
    return g


def broadcast_to_shape(t, shape):
    """Forward-mode twin of `unbroadcast`: an input's tangent, copied to the output's shape."""
    if shape_of(t) == shape:
        return t
    return ops.broadcast_to(t, shape)


from course import ops  # noqa: E402  (ops is built on Primitive, defined above)
