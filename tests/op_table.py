"""The one table of operations that drives the engine's gradient tests (MiniTorch `_comp_testing`,
HIPS `combo_check`), and the small numeric helpers the tests share.

Each `OpCase` is a function of Tensors that uses one primitive of `course.ops` (or a few, for the
composite cases), the shapes of its inputs, and the domain its inputs are drawn from. For every
case `test_tensor_ops.py` checks, in float64:

- reverse mode (`course.vjp` and `Tensor.backward`) against central finite differences, with a
  random seeded upstream gradient (never all ones);
- forward mode (`course.jvp`) against finite differences along a random direction;
- the dot-product test <u, J v> == <J^T u, v> between jvp and vjp (no finite differences).

A new primitive is tested the moment a case for it is added here, and `test_tensor_ops.py` fails
for a primitive of `course.ops` that has no case here (and no entry in `DIFFERENTIABLE_ARGS`).

Domains (one per input, or one string for all inputs):
    "real"      standard normal values
    "positive"  uniform in [0.5, 2] (log, the base of a power, a divisor)
    "distinct"  well away from kinks: all "distinct" entries of a case are at least 0.2 apart from
                each other and at least 0.1 away from 0 (relu, max, maximum)

The numeric helpers are written here, independently of `course.gradcheck` (which checks student
code); the engine's tests must not depend on the checker they help to validate.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import course
from course import Tensor, ops

# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpCase:
    name: str                              # the test id
    primitives: tuple[str, ...]            # names of the course.ops primitives the case records
    fn: Callable                           # fn(*tensors) -> Tensor
    shapes: tuple[tuple[int, ...], ...]    # one shape per input
    domain: str | tuple[str, ...] = "real"
    # Known engine bugs: {mode: reason} for the modes ("vjp", "backward", "jvp", "dot") that fail;
    # those tests are marked xfail(strict=True), so the fix makes them fail until this is removed.
    xfail: dict = field(default_factory=dict)

    def domains(self):
        if isinstance(self.domain, str):
            return (self.domain,) * len(self.shapes)
        return self.domain


@dataclass(frozen=True)
class Elementwise:
    """A shape-preserving (mostly element-wise) operation, shared by the table, the broadcasting
    tests and the property-based compositions."""
    name: str
    primitive: str
    fn: Callable
    domains: tuple[str, ...]               # one per operand


UNARY = (
    Elementwise("negative", "negative", lambda x: -x, ("real",)),
    Elementwise("exp", "exp", lambda x: x.exp(), ("real",)),
    Elementwise("log", "log", lambda x: x.log(), ("positive",)),
    Elementwise("tanh", "tanh", lambda x: x.tanh(), ("real",)),
    Elementwise("sigmoid", "sigmoid", lambda x: x.sigmoid(), ("real",)),
    Elementwise("relu", "relu", lambda x: x.relu(), ("distinct",)),
    Elementwise("square", "power", lambda x: x ** 2, ("real",)),
    Elementwise("cube", "power", lambda x: x ** 3, ("real",)),
    Elementwise("sqrt", "power", lambda x: x ** 0.5, ("positive",)),
    Elementwise("rpow", "power", lambda x: 2 ** x, ("real",)),
    # not element-wise, but shape-preserving (along the last axis), so they compose the same way
    Elementwise("softmax", "softmax", lambda x: course.softmax(x), ("real",)),
    Elementwise("log_softmax", "log_softmax", lambda x: course.log_softmax(x), ("real",)),
)

BINARY = (
    Elementwise("add", "add", lambda x, y: x + y, ("real", "real")),
    Elementwise("subtract", "subtract", lambda x, y: x - y, ("real", "real")),
    Elementwise("multiply", "multiply", lambda x, y: x * y, ("real", "real")),
    Elementwise("divide", "divide", lambda x, y: x / y, ("real", "positive")),
    Elementwise("power", "power", lambda x, y: x ** y, ("positive", "real")),
    Elementwise("maximum", "maximum", lambda x, y: course.maximum(x, y), ("distinct", "distinct")),
)

# For every primitive of course.ops: the arguments it is differentiable in ("variadic": every
# argument, through vjp_argnum/jvp_argnum). test_tensor_ops checks that exactly these have rules.
DIFFERENTIABLE_ARGS = {
    "add": (0, 1), "subtract": (0, 1), "multiply": (0, 1), "divide": (0, 1), "power": (0, 1),
    "maximum": (0, 1), "matmul": (0, 1),
    "negative": (0,), "exp": (0,), "log": (0,), "tanh": (0,), "sigmoid": (0,), "relu": (0,),
    "sum": (0,), "mean": (0,), "max": (0,),
    "reshape": (0,), "transpose": (0,), "broadcast_to": (0,), "getitem": (0,), "untake": (0,),
    "stack": "variadic",
    "softmax": (0,), "log_softmax": (0,), "cross_entropy": (0,),
}

_A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])            # a constant operand, (2, 3)
_MASK = np.array([[True, False, True], [False, False, True]])      # a boolean mask, (2, 3)
_LABELS = np.array([0, 2, 1, 2])                                   # repeated class labels

def _cases():
    cases = []
    add = cases.append

    # element-wise, one tensor
    for op in UNARY:
        add(OpCase(op.name, (op.primitive,), op.fn, ((2, 3),), op.domains))
    # element-wise, two tensors: same shape, and broadcast against each other
    for op in BINARY:
        add(OpCase(op.name, (op.primitive,), op.fn, ((2, 3), (2, 3)), op.domains))
        add(OpCase(f"{op.name}-broadcast", (op.primitive,), op.fn, ((3, 1), (1, 4)), op.domains))
    # a number or a numpy array on either side
    add(OpCase("number+t", ("add",), lambda x: 2.0 + x, ((2, 3),)))
    add(OpCase("array+t", ("add",), lambda x: _A + x, ((2, 3),)))
    add(OpCase("t-array", ("subtract",), lambda x: x - _A, ((2, 3),)))
    add(OpCase("number-t", ("subtract",), lambda x: 2.0 - x, ((2, 3),)))
    add(OpCase("array-t", ("subtract",), lambda x: _A - x, ((2, 3),)))
    add(OpCase("number*t", ("multiply",), lambda x: 2 * x, ((2, 3),)))
    add(OpCase("t*array", ("multiply",), lambda x: x * _A, ((2, 3),)))
    add(OpCase("array*t", ("multiply",), lambda x: _A * x, ((2, 3),)))
    add(OpCase("t/number", ("divide",), lambda x: x / 4.0, ((2, 3),)))
    add(OpCase("number/t", ("divide",), lambda x: 2.0 / x, ((2, 3),), "positive"))
    add(OpCase("array/t", ("divide",), lambda x: _A / x, ((2, 3),), "positive"))
    add(OpCase("t**array", ("power",), lambda x: x ** np.abs(_A), ((2, 3),), "positive"))
    add(OpCase("array**t", ("power",), lambda x: (np.abs(_A) + 0.5) ** x, ((2, 3),)))
    add(OpCase("maximum-number", ("maximum",), lambda x: course.maximum(x, 0.0), ((2, 3),),
               "distinct"))
    add(OpCase("maximum-array", ("maximum",), lambda x: course.maximum(_A + 0.05, x), ((2, 3),),
               "distinct"))

    # matmul: 1-D, 2-D, batched, broadcast batches, arrays on either side
    for name, shapes in [("2d@2d", ((3, 4), (4, 2))), ("1d@1d", ((4,), (4,))),
                         ("1d@2d", ((4,), (4, 2))), ("2d@1d", ((3, 4), (4,))),
                         ("batched", ((2, 3, 4), (2, 4, 5))), ("batch@2d", ((2, 3, 4), (4, 5))),
                         ("2d@batch", ((3, 4), (2, 4, 5))), ("1d@batch", ((4,), (2, 4, 3))),
                         ("batch@1d", ((2, 3, 4), (4,))),
                         ("broadcast-batch", ((2, 1, 3, 4), (5, 4, 2)))]:
        add(OpCase(f"matmul-{name}", ("matmul",), lambda x, w: x @ w, shapes))
    add(OpCase("matmul-array@t", ("matmul",), lambda w: _A @ w, ((3, 4),)))
    add(OpCase("matmul-t@array", ("matmul",), lambda x: x @ _A.T, ((4, 3),)))

    # reductions: every kind of axis, with and without keepdims
    for method, domain in [("sum", "real"), ("mean", "real"), ("max", "distinct")]:
        for axis in [None, 0, 1, -1, (0, 2), (2, -3), (0, 1, 2)]:
            for keepdims in (False, True):
                add(OpCase(f"{method}-axis={axis}-keepdims={keepdims}", (method,),
                           lambda x, m=method, a=axis, k=keepdims:
                               getattr(x, m)(axis=a, keepdims=k),
                           ((2, 3, 4),), domain))
    add(OpCase("sum-default", ("sum",), lambda x: x.sum(), ((3,),)))
    add(OpCase("max-1d", ("max",), lambda x: x.max(), ((5,),), "distinct"))

    # shape
    add(OpCase("reshape-args", ("reshape",), lambda x: x.reshape(6, 4), ((2, 3, 4),)))
    add(OpCase("reshape-tuple", ("reshape",), lambda x: x.reshape((4, -1)), ((2, 3, 4),)))
    add(OpCase("reshape-to-1d", ("reshape",), lambda x: x.reshape(-1), ((2, 3),)))
    add(OpCase("transpose-T", ("transpose",), lambda x: x.T, ((2, 3, 4),)))
    add(OpCase("transpose-args", ("transpose",), lambda x: x.transpose(2, 0, 1), ((2, 3, 4),)))
    add(OpCase("transpose-tuple", ("transpose",), lambda x: x.transpose((1, 0, 2)), ((2, 3, 4),)))
    add(OpCase("transpose-2d", ("transpose",), lambda x: x.transpose(), ((2, 3),)))
    add(OpCase("transpose-negative-axes", ("transpose",), lambda x: x.transpose(0, -1, 1),
               ((2, 3, 4),)))
    add(OpCase("broadcast_to", ("broadcast_to",), lambda x: ops.broadcast_to(x, (2, 3, 4)),
               ((3, 1),)))
    add(OpCase("broadcast_to-scalar", ("broadcast_to",), lambda x: ops.broadcast_to(x, (2, 3)),
               ((),)))

    # indexing (the gradient of repeated indices adds up)
    for name, index in [("int", 1), ("negative-int", -1),
                        ("slices", (slice(1, None), slice(None, None, 2))),
                        ("int-and-slice", (0, slice(1, 3))), ("ellipsis", (Ellipsis, 1)),
                        ("newaxis", (None, 0)), ("mask", _MASK),
                        ("int-array-repeats", np.array([1, 0, 1, 1])),
                        ("list-repeats", [0, 0, 1]),
                        ("pairs-repeats", (np.array([0, 1, 0, 0]), np.array([2, 1, 2, 2]))),
                        ("array-and-slice", (np.array([1, 1, 0]), slice(0, 2))),
                        ("slice-and-array", (slice(None), np.array([2, 2, 0])))]:
        add(OpCase(f"getitem-{name}", ("getitem",), lambda x, i=index: x[i], ((2, 3),)))
    add(OpCase("untake-repeats", ("untake",),
               lambda x: ops.untake(x, np.array([0, 3, 0, 1]), (5,)), ((4,),)))
    add(OpCase("untake-slice", ("untake",), lambda x: ops.untake(x, slice(1, 3), (4,)), ((2,),)))
    add(OpCase("stack", ("stack",), lambda x, y, z: ops.stack(x, y, z), ((2, 3),) * 3))

    # neural-network functions
    for axis in (-1, 0):
        add(OpCase(f"softmax-axis={axis}", ("softmax",),
                   lambda x, a=axis: course.softmax(x, axis=a), ((3, 4),)))
        add(OpCase(f"log_softmax-axis={axis}", ("log_softmax",),
                   lambda x, a=axis: course.log_softmax(x, axis=a), ((3, 4),)))
    add(OpCase("cross_entropy", ("cross_entropy",),
               lambda x: course.cross_entropy(x, _LABELS), ((4, 3),)))

    # the numpy functions that dispatch to the engine
    add(OpCase("np.exp", ("exp",), lambda x: np.exp(x), ((2, 3),)))
    add(OpCase("np.log", ("log",), lambda x: np.log(x), ((2, 3),), "positive"))
    add(OpCase("np.tanh", ("tanh",), lambda x: np.tanh(x), ((2, 3),)))
    add(OpCase("np.negative", ("negative",), lambda x: np.negative(x), ((2, 3),)))
    add(OpCase("np.add", ("add",), lambda x, y: np.add(x, y), ((2, 3), (3,))))
    add(OpCase("np.multiply", ("multiply",), lambda x, y: np.multiply(x, y), ((2, 3), (2, 3))))
    add(OpCase("np.power", ("power",), lambda x: np.power(x, 3), ((2, 3),)))
    add(OpCase("np.maximum", ("maximum",), lambda x: np.maximum(x, 0), ((2, 3),), "distinct"))
    add(OpCase("np.sum-no-axis", ("sum",), lambda x: np.sum(x), ((2, 3),)))
    add(OpCase("np.max-no-axis", ("max",), lambda x: np.max(x), ((2, 3),), "distinct"))
    add(OpCase("np.sum-axis=0", ("sum",), lambda x: np.sum(x, axis=0), ((2, 3),)))
    add(OpCase("np.mean-axis=1", ("mean",), lambda x: np.mean(x, axis=1), ((2, 3),)))
    add(OpCase("np.max", ("max",), lambda x: np.max(x, axis=0), ((2, 3),), "distinct"))
    add(OpCase("np.reshape", ("reshape",), lambda x: np.reshape(x, (3, 2)), ((2, 3),)))
    add(OpCase("np.transpose", ("transpose",), lambda x: np.transpose(x), ((2, 3),)))
    add(OpCase("np.broadcast_to", ("broadcast_to",), lambda x: np.broadcast_to(x, (2, 3)), ((3,),)))
    add(OpCase("array@t-np", ("matmul",), lambda x: np.matmul(_A, x), ((3, 2),)))

    # composites from the lectures
    add(OpCase("sigmoid-neuron", ("multiply", "add", "sigmoid", "sum"),
               lambda w, x, b: ((w * x).sum() + b).sigmoid(), ((2,), (2,), ())))
    add(OpCase("mlp-cross-entropy", ("matmul", "add", "tanh", "cross_entropy"),
               lambda x, w1, b1, w2: course.cross_entropy((x @ w1 + b1).tanh() @ w2, _LABELS),
               ((4, 3), (3, 5), (5,), (5, 3))))
    add(OpCase("fan-out", ("multiply", "add"), lambda x: x * x + x, ((3,),)))
    add(OpCase("diamond", ("exp", "tanh", "multiply"),
               lambda a: (lambda b, c: b * c)(a.exp(), a.tanh()), ((3,),)))
    return cases


OP_TABLE = tuple(_cases())
assert len({c.name for c in OP_TABLE}) == len(OP_TABLE), "op table names must be unique"


# --- inputs -----------------------------------------------------------------------------------

def rng_for(name: str) -> np.random.Generator:
    """A generator seeded by a test's name: the same numbers on every run."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def sample_inputs(shapes, domains, rng):
    """One float64 array per shape, drawn from its domain (see the module doc)."""
    sizes = [int(np.prod(s)) for s in shapes]
    n_distinct = sum(n for n, d in zip(sizes, domains) if d == "distinct")
    # k - floor(n/2) + 1/2 is never 0, so the grid keeps 0.15 - 0.05 away from 0.
    grid = ((rng.permutation(n_distinct) - n_distinct // 2 + 0.5) * 0.3
            + rng.uniform(-0.05, 0.05, n_distinct))
    out, used = [], 0
    for shape, n, domain in zip(shapes, sizes, domains):
        if domain == "real":
            x = rng.standard_normal(shape)
        elif domain == "positive":
            x = rng.uniform(0.5, 2.0, shape)
        elif domain == "distinct":
            x = grid[used:used + n].reshape(shape)
            used += n
        else:
            raise ValueError(f"unknown domain {domain!r}")
        out.append(np.array(x, dtype=np.float64))
    return out


def to_domain(h, domain):
    """Map any real tensor into `domain` with engine operations (for compositions)."""
    return h * h + 0.5 if domain == "positive" else h


# --- finite differences -----------------------------------------------------------------------

EPS = 1e-6      # central-difference step; the error is about EPS**2 * f''' + 1e-16 * |f| / EPS
RTOL = 1e-6     # rel_error allowed between an engine gradient and finite differences
DOT_RTOL = 1e-10


def evaluate(fn, xs):
    """fn on constant Tensors holding xs, as a float64 array: the forward pass alone."""
    out = fn(*[Tensor(np.array(x, dtype=np.float64)) for x in xs])
    return np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)


def numerical_vjp(fn, xs, u, eps=EPS):
    """d<u, fn(*xs)>/dx_i for every input, element by element, by central differences."""
    xs = [np.array(x, dtype=np.float64) for x in xs]
    grads = []
    for x in xs:
        g = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            old = x[index]
            x[index] = old + eps
            plus = np.sum(u * evaluate(fn, xs))
            x[index] = old - eps
            minus = np.sum(u * evaluate(fn, xs))
            x[index] = old
            g[index] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def numerical_jvp(fn, xs, vs, eps=EPS):
    """The derivative of fn at xs along the tangents vs, by central differences."""
    plus = evaluate(fn, [x + eps * v for x, v in zip(xs, vs)])
    minus = evaluate(fn, [x - eps * v for x, v in zip(xs, vs)])
    return (plus - minus) / (2 * eps)


def rel_error(got, expected):
    """CS231n's relative error over whole arrays: max|a - b| / max(1e-8, max|a| + max|b|)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    scale = max(1e-8, float(np.max(np.abs(got), initial=0.0)
                            + np.max(np.abs(expected), initial=0.0)))
    return float(np.max(np.abs(got - expected), initial=0.0)) / scale


def fd_noise(u, out, eps=EPS):
    """The rounding noise of a central difference of <u, f>: about 10 ulp of its terms / eps."""
    return 10 * np.finfo(np.float64).eps * float(np.sum(np.abs(u * out))) / eps


def assert_close(got, expected, what, rtol=RTOL, atol=0.0):
    """Same shape and max|got - expected| <= atol + rtol * (max|got| + max|expected|), i.e.
    rel_error <= rtol up to an absolute noise floor; the message names the worst element."""
    got = np.asarray(got.data if isinstance(got, Tensor) else got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (
        f"{what}: shape {got.shape}, expected {expected.shape} (a gradient has its input's shape)")
    assert np.all(np.isfinite(got)), f"{what}: not finite: {got}"
    err = rel_error(got, expected)
    scale = max(1e-8, float(np.max(np.abs(got), initial=0.0)
                            + np.max(np.abs(expected), initial=0.0)))
    if err * scale > atol + rtol * scale:
        worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape) if got.ndim else ()
        raise AssertionError(f"{what}: rel_error {err:.2e} > {rtol:.0e}; worst at index {worst}: "
                             f"got {got[worst]!r}, expected {expected[worst]!r} "
                             f"(shape {got.shape})")


def assert_dot_product(u, jv, vjps, vs, what, rtol=DOT_RTOL):
    """<u, J v> == sum_i <J_i^T u, v_i>, relative to the size of the terms.

    A floor of 1e-12 |u| |v| absorbs rounding when J v is zero in exact arithmetic (e.g. the sum
    of a softmax, which is constant) and one mode returns 1e-20 where the other returns 0.
    """
    lhs = float(np.sum(u * jv))
    rhs = float(sum(np.sum(g * v) for g, v in zip(vjps, vs)))
    scale = max(float(np.sum(np.abs(u * jv))),
                float(sum(np.sum(np.abs(g * v)) for g, v in zip(vjps, vs))), 1e-300)
    floor = 1e-12 * float(np.linalg.norm(u)) * float(np.sqrt(sum(np.sum(v * v) for v in vs)))
    assert abs(lhs - rhs) <= rtol * scale + floor, (
        f"{what}: <u, J v> = {lhs!r} (forward mode) but <J^T u, v> = {rhs!r} (reverse mode); "
        f"difference {abs(lhs - rhs):.2e}, relative {abs(lhs - rhs) / scale:.2e} > {rtol:.0e}")


def as_array(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
