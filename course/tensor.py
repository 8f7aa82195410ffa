"""`Tensor`: a numpy array that can remember how it was computed.

    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    loss = (x.relu() * 2).sum()
    loss.backward()          # x.grad == dloss/dx, an array of x's shape

Conventions:
- float64 unless a floating array of another dtype is given; the array is shared, not copied.
- `.grad` has the shape of the tensor (dL/dx has the shape of x). It is None until a backward pass
  reaches the tensor. `backward()` *recomputes*: it overwrites `.grad` on the leaves it reaches, so
  calling it twice gives the same result (PyTorch adds instead; here there is no `zero_grad`).
- Operators and methods broadcast like numpy; the backward pass sums the gradient back over the
  broadcast axes ("unbroadcast").
- Comparisons (`<`, `==`, ...) return plain boolean arrays: they have no gradient.
- numpy functions that the engine knows (`np.exp(t)`, `np.sum(t)`, `x @ W`, ...) dispatch to it.
"""

import math

import numpy as np


class Tensor:
    """A node of the tensor graph. `data`: the numpy array; `grad`: dL/d(this), after backward()."""

    __slots__ = ("_value", "_trace", "_op", "_parents", "_args", "_kwargs", "_tangent", "grad")
    __array_priority__ = 100

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        if dtype is None:
            is_float = isinstance(data, np.ndarray) and np.issubdtype(data.dtype, np.floating)
            dtype = data.dtype if is_float else np.float64
        self._value = np.asarray(data, dtype=dtype)
        self._trace = _tracing.EAGER if requires_grad else None
        self._op, self._parents, self._args, self._kwargs = None, (), (), None
        self._tangent = None
        self.grad = None

    @classmethod
    def _make(cls, value, trace=None, op=None, parents=(), args=(), kwargs=None):
        """Internal constructor: `value` is an array or a Tensor of an older trace."""
        t = object.__new__(cls)
        t._value, t._trace, t._op, t._parents, t._args, t._kwargs = (
            value, trace, op, parents, args, kwargs)
        t._tangent = None
        t.grad = None
        return t

    # --- what it holds -----------------------------------------------------------------------

    @property
    def data(self):
        """The values, as a numpy array (unwrapping any enclosing traces)."""
        v = self._value
        while type(v) is Tensor:
            v = v._value
        return v if type(v) is np.ndarray else np.asarray(v)

    @data.setter
    def data(self, values):
        if values is self._value:  # an in-place update such as `p.data -= lr * p.grad`
            return
        if self._parents or type(self._value) is Tensor:
            raise RuntimeError(
                "only a leaf tensor's data can be replaced (e.g. a parameter update)")
        self._value = np.asarray(values, dtype=self._value.dtype)

    @property
    def requires_grad(self):
        return self._trace is not None

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._parents:
            raise RuntimeError("requires_grad can only be changed on a leaf tensor")
        self._trace = _tracing.EAGER if flag else None

    @property
    def is_leaf(self):
        return not self._parents

    @property
    def shape(self):
        v = self._value
        while type(v) is Tensor:
            v = v._value
        return v.shape

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self):
        return self.shape[0]

    def item(self):
        return self.data.item()

    def numpy(self):
        """A copy of the values, as a numpy array."""
        return self.data.copy()

    def detach(self):
        """The same values as a constant: no gradient flows through the result."""
        return Tensor._make(self.data)

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self._trace is not None else ""
        return f"Tensor({body}{extra})"

    def __array__(self, dtype=None, copy=None):
        if self._trace is not None:
            raise TypeError("this tensor is part of a graph: use .data (or .detach()) to get its "
                            "values as a numpy array, knowing no gradient flows through them")
        return self.data if dtype is None else self.data.astype(dtype)

    # --- the backward pass -------------------------------------------------------------------

    def backward(self, grad=None):
        """Set `.grad` = d(self)/d(leaf) on every leaf this tensor depends on.

        grad: the upstream gradient dL/d(self), same shape as self; may be omitted when self has
        a single element (then it is 1). See the module doc for what a second call does.
        """
        if self._trace is None:
            raise RuntimeError("backward() on a tensor that does not depend on any tensor with "
                               "requires_grad=True: there is nothing to differentiate")
        if self._trace.forward:
            raise RuntimeError("backward() inside a forward-mode transform (jvp): use vjp/grad")
        shape = self.shape
        if grad is None:
            if math.prod(shape) != 1:
                raise RuntimeError(f"backward() without an upstream gradient needs a single-"
                                   f"element output, but this tensor has shape {shape}: pass grad= "
                                   f"(dL/d(self), an array of shape {shape}), or call .sum() first")
            grad = np.ones(shape)
        else:
            grad = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=np.float64)
            if grad.shape != shape:
                raise ValueError(f"backward(grad): grad has shape {grad.shape} but the tensor has "
                                 f"shape {shape}; they must match")
        order, grads = _tracing.backward_pass(self, grad)
        owners = set()  # each leaf gets its own writable buffer, even where gates shared one
        for node in order:
            if not node._parents:
                g = grads.get(id(node))
                if g is None:
                    g = np.zeros(node.shape)
                elif type(g) is not np.ndarray:
                    g = _as_array(g)
                owner = g if g.base is None else g.base
                if id(owner) in owners or not g.flags.writeable:
                    g = owner = g.copy()
                owners.add(id(owner))
                node.grad = g

    # --- operators (numpy broadcasting) --------------------------------------------------------

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.subtract(self, other)

    def __rsub__(self, other):
        return _ops.subtract(other, self)

    def __mul__(self, other):
        return _ops.multiply(self, other)

    def __rmul__(self, other):
        return _ops.multiply(other, self)

    def __truediv__(self, other):
        return _ops.divide(self, other)

    def __rtruediv__(self, other):
        return _ops.divide(other, self)

    def __pow__(self, exponent):
        return _ops.power(self, exponent)

    def __rpow__(self, base):
        return _ops.power(base, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.negative(self)

    def __getitem__(self, index):
        return _ops.getitem(self, _plain_index(index))

    def __lt__(self, other):
        return self.data < _plain(other)

    def __le__(self, other):
        return self.data <= _plain(other)

    def __gt__(self, other):
        return self.data > _plain(other)

    def __ge__(self, other):
        return self.data >= _plain(other)

    def __eq__(self, other):
        return self.data == _plain(other)

    def __ne__(self, other):
        return self.data != _plain(other)

    __hash__ = None

    def __bool__(self):
        return bool(self.data)

    # --- methods -----------------------------------------------------------------------------

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        """Maximum over `axis`; the gradient is shared equally among tied maxima."""
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _ops.reshape(self, tuple(shape))

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return _ops.transpose(self, tuple(axes) if axes else None)

    @property
    def T(self):
        return _ops.transpose(self, None)

    # --- numpy interoperability: np.exp(t), np.sum(t), array + t, ... --------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        primitive = _ops.UFUNCS.get(ufunc)
        if method == "__call__" and primitive is not None and not kwargs:
            return primitive(*inputs)
        if method == "__call__" and ufunc in _COMPARISONS and not kwargs:
            return ufunc(*[_plain(x) for x in inputs])
        return _numpy_fallback(ufunc.__name__, lambda: getattr(ufunc, method)(
            *[_plain(x) for x in inputs], **kwargs), inputs)

    def __array_function__(self, func, types, args, kwargs):
        function = _ops.ARRAY_FUNCTIONS.get(func)
        if function is not None:
            return function(*args, **kwargs)
        return _numpy_fallback(func.__name__, lambda: func(
            *[_plain(x) for x in args], **{k: _plain(v) for k, v in kwargs.items()}), args)


_COMPARISONS = {np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal}


def _numpy_fallback(name, compute, args):
    """A numpy function the engine cannot differentiate: fine on constants, an error on a graph."""
    if any(isinstance(a, Tensor) and a._trace is not None for a in _walk(args)):
        raise TypeError(f"np.{name} is not differentiable by the course engine; use Tensor "
                        f"operations and methods (or course.* functions) inside the function")
    return compute()


def _walk(args):
    """Every item of args, looking inside lists and tuples (np.concatenate([t1, t2]))."""
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _walk(a)
        else:
            yield a


def _plain(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(item) for item in x)
    return x


def _plain_index(index):
    """An index with Tensors replaced by arrays; a Tensor of whole numbers indexes as integers."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        values = index.data
        if np.issubdtype(values.dtype, np.floating) and np.all(values == np.round(values)):
            return values.astype(np.intp)
        return values
    return index


def _as_array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


from course import ops as _ops  # noqa: E402  (ops needs Tensor defined first)
from course import tracing as _tracing  # noqa: E402
