"""The engine's primitives: what each one computes (numpy). Their gradients: vjp_rules, jvp_rules.

Every primitive accepts numpy arrays, numbers and Tensors. On plain arrays it is the numpy
function; when a Tensor is involved the result is a Tensor (see tracing.Primitive).
Shapes follow numpy, including broadcasting.
"""

import numpy as np

from course.tracing import Primitive

# --- element-wise ---------------------------------------------------------------------------
add = Primitive(np.add, "add")
subtract = Primitive(np.subtract, "subtract")
multiply = Primitive(np.multiply, "multiply")
divide = Primitive(np.true_divide, "divide")
power = Primitive(np.power, "power")
negative = Primitive(np.negative, "negative")
maximum = Primitive(np.maximum, "maximum")
exp = Primitive(np.exp, "exp")
log = Primitive(np.log, "log")
tanh = Primitive(np.tanh, "tanh")
# sigma(x) = (1 + tanh(x/2)) / 2: the same function as 1/(1+exp(-x)), without overflow.
sigmoid = Primitive(lambda x: 0.5 + 0.5 * np.tanh(0.5 * x), "sigmoid")
relu = Primitive(lambda x: np.maximum(x, 0.0), "relu")

# --- linear algebra -------------------------------------------------------------------------
matmul = Primitive(np.matmul, "matmul")

# --- reductions (axis: None, an int or a tuple of ints) ----------------------------------------
def _sum(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum without its wrapper's cost


def _max(x, axis=None, keepdims=False):
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


sum = Primitive(_sum, "sum")  # noqa: A001  (course.ops.sum, like np.sum)
mean = Primitive(np.mean, "mean")
max = Primitive(_max, "max")  # noqa: A001

# --- shape ----------------------------------------------------------------------------------
reshape = Primitive(np.reshape, "reshape")
transpose = Primitive(np.transpose, "transpose")
broadcast_to = Primitive(np.broadcast_to, "broadcast_to")
getitem = Primitive(lambda x, index: x[index], "getitem")


def _untake(g, index, shape):
    """The adjoint of getitem: g scattered into zeros of `shape`; repeated indices add up."""
    out = np.zeros(shape, dtype=np.result_type(g, np.float64))
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


untake = Primitive(_untake, "untake")
stack = Primitive(lambda *arrays: np.stack(arrays), "stack")  # along a new first axis


# --- neural-network functions (axis: the class axis) -----------------------------------------
def _log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _cross_entropy(logits, labels):
    """Mean over the batch of -log softmax(logits)[label]. logits: (N, C); labels: (N,) ints."""
    return -np.mean(_log_softmax(logits)[np.arange(len(labels)), labels])


softmax = Primitive(_softmax, "softmax")
log_softmax = Primitive(_log_softmax, "log_softmax")
cross_entropy = Primitive(_cross_entropy, "cross_entropy")


def one_hot(labels, num_classes):
    """(N,) integer labels -> (N, C) float64 rows with a single 1."""
    out = np.zeros((len(labels), num_classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


# numpy functions that dispatch to the engine when a Tensor is involved (Tensor.__array_*__).
UFUNCS = {
    np.add: add, np.subtract: subtract, np.multiply: multiply, np.true_divide: divide,
    np.power: power, np.negative: negative, np.maximum: maximum, np.exp: exp, np.log: log,
    np.tanh: tanh, np.matmul: matmul,
}
ARRAY_FUNCTIONS = {
    np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.reshape: reshape,
    np.transpose: transpose, np.broadcast_to: broadcast_to,
    # metadata only: no gradient involved
    np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim, np.size: lambda x: x.size,
}
