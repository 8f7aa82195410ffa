"""`Function`: define a graph node by its forward and backward pass, as in torch.autograd.Function.

    class Multiply(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, grad_z):           # upstream gradient, the shape of z
            x, y = ctx.saved_tensors
            return y * grad_z, x * grad_z    # one downstream gradient per input

    z = Multiply.apply(a, b)                 # a, b: Tensors (or arrays); z: a Tensor

`forward` and `backward` receive plain numpy arrays and return arrays: they are gradient code,
nothing else. `backward` returns one gradient per input of forward (None for "no gradient"); a
gradient with the broadcast shape is summed back to the input's shape, as for built-in ops.
An optional `jvp(ctx, *tangents)` (one tangent per input) enables forward mode (`course.jvp`).
Inside a nested transform (grad of grad), forward/backward receive Tensors of the outer trace; a
backward written with operators is then differentiable again.
"""

import numpy as np

from course.tensor import Tensor
from course.tracing import newest_trace, record_forward, shape_of, split_level


class Context:
    """What forward leaves for backward: `save_for_backward(...)`, or any attribute."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


class Function:
    """Subclass it and define `forward(ctx, *inputs)` and `backward(ctx, grad)` (static)."""

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError("define forward(ctx, *inputs) in your Function subclass")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("define backward(ctx, grad) in your Function subclass")

    @classmethod
    def apply(cls, *args):
        """Run forward on the values of `args` and record one node whose rule is `backward`."""
        top, any_tensor = newest_trace(args)
        ctx = Context()
        inputs, parents, _ = split_level(args, top)
        traced = {i for i, _ in parents} if top is not None else set()
        ctx.needs_input_grad = tuple(i in traced for i in range(len(args)))
        out = cls.forward(ctx, *inputs)
        if isinstance(out, Tensor) and out._trace is None:
            out = out._value
        elif not isinstance(out, Tensor):
            out = np.asarray(out, dtype=np.float64)
        if top is None:
            return Tensor._make(out) if any_tensor else out
        node = _FunctionNode(cls, ctx, len(args))
        if top.forward:
            return record_forward(node, out, top, parents, inputs, {})
        return Tensor._make(out, top, node, parents, inputs, {})


class _FunctionNode:
    """Adapts a Function to the engine's node interface (the role of a Primitive)."""

    __slots__ = ("cls", "ctx", "n_inputs", "name")

    def __init__(self, cls, ctx, n_inputs):
        self.cls, self.ctx, self.n_inputs, self.name = cls, ctx, n_inputs, cls.__name__

    def vjp(self, g, ans, inputs, kwargs, parents):
        grads = self.cls.backward(self.ctx, g)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != self.n_inputs:
            raise ValueError(f"{self.name}.backward returned {len(grads)} gradient(s) but forward "
                             f"takes {self.n_inputs} input(s): return one per input (None if none)")
        return [None if grads[i] is None else
                grads[i] if isinstance(grads[i], Tensor) else np.asarray(grads[i], dtype=np.float64)
                for i, _ in parents]

    def jvp(self, tangents, ans, inputs, kwargs):
        jvp = getattr(self.cls, "jvp", None)
        if jvp is None:
            raise NotImplementedError(f"{self.name} defines no jvp(ctx, *tangents): forward mode "
                                      f"needs one")
        full = [np.zeros(shape_of(x)) for x in inputs]
        for i, t in tangents:
            full[i] = t
        return jvp(self.ctx, *full)
