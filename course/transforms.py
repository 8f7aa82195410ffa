"""Function transforms, with JAX's names and semantics, over functions of numpy arrays.

The function receives its inputs wrapped as Tensors of a fresh trace and may use operators,
Tensor methods, `course.*` functions and the numpy functions the engine knows. Results are numpy
arrays (Tensors of an outer trace when transforms are nested, as in `grad(grad(f))`).

Jacobian layout. For y = f(x) with x of shape (n,) and y of shape (m,), `jacrev(f)(x)` and
`jacfwd(f)(x)` return J of shape (m, n), J[i, j] = dy_i/dx_j (numerator layout; in general
y.shape + x.shape), as JAX does. The lecture notes write dy/dx the other way round, n x m
(denominator layout), so that the chain rule reads dL/dx = (dy/dx) (dL/dy); that matrix is J.T.
Either way, a VJP computes J.T @ u and a JVP computes J @ v without building J.
"""

import numpy as np

from course import ops
from course.tensor import Tensor
from course.tracing import backward_pass, new_trace, shape_of


def vjp(f, *primals):
    """(f(*primals), vjp_fn) where vjp_fn(u) returns the tuple (u^T df/dx_i for each input).

    u has the shape of the output; each gradient has the shape of its primal.
    """
    trace = new_trace()
    boxes = tuple(_wrap(p, trace) for p in primals)
    out = f(*boxes)
    traced = type(out) is Tensor and out._trace is trace
    out_value = _unwrap(out, trace)

    def vjp_fn(cotangent):
        cotangent = _as_array_like(cotangent, "cotangent", shape_of(out_value))
        if not traced:
            return tuple(np.zeros(shape_of(b)) for b in boxes)
        _, grads = backward_pass(out, cotangent)
        return tuple(_grad_or_zeros(grads.get(id(b)), b) for b in boxes)

    return out_value, vjp_fn


def grad(f, argnums=0):
    """The gradient of a scalar-valued f with respect to argument(s) `argnums`.

    grad(f)(x) has the shape of x; with a tuple of argnums, a tuple of gradients.
    """
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*args):
        return value_and_grad_f(*args)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return grad_f


def value_and_grad(f, argnums=0):
    """Like grad, but returns (f(*args), gradient)."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def value_and_grad_f(*args):
        def f_of_selected(*selected):
            full = list(args)
            for i, x in zip(nums, selected):
                full[i] = x
            return f(*full)

        out, vjp_fn = vjp(f_of_selected, *(args[i] for i in nums))
        if shape_of(out) != ():
            raise TypeError(f"grad needs a function with a scalar output, but it returned shape "
                            f"{shape_of(out)}: reduce it (e.g. .sum()), or use vjp/jacrev for "
                            f"vector outputs")
        grads = vjp_fn(np.ones(()))
        return out, grads[0] if isinstance(argnums, int) else grads

    return value_and_grad_f


def jvp(f, primals, tangents):
    """(f(*primals), J @ tangents): forward mode, one pass, no reverse sweep.

    primals, tangents: tuples with one array per input; each tangent has its primal's shape.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents) takes tuples: jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s)")
    trace = new_trace(forward=True)
    boxes = []
    for i, (p, t) in enumerate(zip(primals, tangents)):
        box = _wrap(p, trace)
        box._tangent = _as_array_like(t, f"tangent {i}", shape_of(box))
        boxes.append(box)
    out = f(*boxes)
    if type(out) is Tensor and out._trace is trace:
        return out._value, out._tangent
    out_value = _unwrap(out, trace)
    return out_value, np.zeros(shape_of(out_value))


def jacrev(f, argnums=0):
    """The Jacobian of f with respect to argument `argnums`, one VJP per output element.

    Shape: f(x).shape + x.shape (see the module doc for the layout).
    """
    def jacobian(*args):
        out, vjp_fn = vjp(_only(f, args, argnums), args[argnums])
        out_shape, in_shape = shape_of(out), shape_of(args[argnums])
        rows = [vjp_fn(_basis(out_shape, k))[0] for k in range(int(np.prod(out_shape)))]
        return ops.reshape(ops.stack(*rows), out_shape + in_shape)

    return jacobian


def jacfwd(f, argnums=0):
    """The Jacobian of f with respect to argument `argnums`, one JVP per input element.

    Shape: f(x).shape + x.shape, the same as jacrev.
    """
    def jacobian(*args):
        g = _only(f, args, argnums)
        x = args[argnums]
        in_shape = shape_of(x)
        columns = [jvp(g, (x,), (_basis(in_shape, k),))[1] for k in range(int(np.prod(in_shape)))]
        out_shape = shape_of(columns[0])
        stacked = ops.stack(*columns)                         # (n_in, *out_shape)
        n_out = len(out_shape)
        moved = ops.transpose(stacked, tuple(range(1, n_out + 1)) + (0,))
        return ops.reshape(moved, out_shape + in_shape)

    return jacobian


def hvp(f, x, v):
    """The Hessian of scalar f at x times v, forward-over-reverse: jvp of grad. Shape of x."""
    return jvp(grad(f), (x,), (v,))[1]


# --- helpers ---------------------------------------------------------------------------------

def _wrap(x, trace):
    """An input of a transform: a leaf of `trace` holding x (an array, or an outer Tensor)."""
    if type(x) is Tensor:
        value = x._value if x._trace is None else x
    else:
        value = np.asarray(x, dtype=np.result_type(x, np.float64))
    return Tensor._make(value, trace)


def _unwrap(out, trace):
    """f's output without this trace's wrapper: an array, or a Tensor of an outer trace."""
    if type(out) is Tensor:
        if out._trace is trace or out._trace is None:
            out = out._value
        else:
            return out
    return out if type(out) is Tensor else np.asarray(out)


def _grad_or_zeros(g, box):
    if g is None:
        return np.zeros(shape_of(box))
    return np.asarray(g) if type(g) is not Tensor else g


def _as_array_like(x, what, shape):
    if type(x) is not Tensor:
        x = np.asarray(x, dtype=np.float64)
    if shape_of(x) != tuple(shape):
        raise ValueError(f"the {what} has shape {shape_of(x)} but must have shape {tuple(shape)}")
    return x


def _basis(shape, k):
    e = np.zeros(int(np.prod(shape)))
    e[k] = 1.0
    return e.reshape(shape)


def _only(f, args, argnums):
    def f_of_one(x):
        full = list(args)
        full[argnums] = x
        return f(*full)

    return f_of_one
