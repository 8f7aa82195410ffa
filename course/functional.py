"""Functions of the public API that take a `Value`, a `Tensor` or a numpy array.

On Values they build scalar gates; on Tensors and arrays they are the engine's primitives.
"""

import numpy as np

from course import ops
from course.value import Value


def _scalar_or_tensor(name, primitive):
    def function(x):
        return getattr(x, name)() if isinstance(x, Value) else primitive(x)

    function.__name__ = name
    function.__doc__ = f"Element-wise {name}: a gate on a Value, a primitive on Tensors and arrays."
    return function


exp = _scalar_or_tensor("exp", ops.exp)
log = _scalar_or_tensor("log", ops.log)
tanh = _scalar_or_tensor("tanh", ops.tanh)
sigmoid = _scalar_or_tensor("sigmoid", ops.sigmoid)
relu = _scalar_or_tensor("relu", ops.relu)


def maximum(a, b):
    """Element-wise max, the routing gate: the gradient goes to the larger input, half each on
    ties."""
    if isinstance(a, Value) or isinstance(b, Value):
        return (a if isinstance(a, Value) else Value(a)).max(b)
    return ops.maximum(a, b)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`; the shape of x."""
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """x - log(sum(exp(x))) along `axis`, computed stably; the shape of x."""
    return ops.log_softmax(x, axis=axis)


def cross_entropy(logits, labels):
    """Mean over the batch of -log softmax(logits)[n, labels[n]].

    logits: (N, C) scores; labels: (N,) integers in [0, C). Returns a scalar.
    """
    labels = _check_labels(labels, logits)
    return ops.cross_entropy(logits, labels)


def _check_labels(labels, logits):
    labels = np.asarray(getattr(labels, "data", labels))
    shape = logits.shape if hasattr(logits, "shape") else np.shape(logits)
    if len(shape) != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {shape}")
    if labels.shape != (shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"cross_entropy: labels must be {shape[0]} integers "
                         f"(shape ({shape[0]},)), got shape {labels.shape} of dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= shape[1]):
        raise ValueError(f"cross_entropy: labels must lie in [0, {shape[1]}), got "
                         f"[{labels.min()}, {labels.max()}]")
    return labels
