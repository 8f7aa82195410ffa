"""Scalar autodiff: one `Value` per node of the computational graph.

Each operation computes its result *and* its local gradients (d out / d input) in the forward
pass and stores them on the new node. `backward()` then applies the chain rule once per edge:

    downstream gradient = local gradient * upstream gradient

and adds the contributions that reach a node along several edges (the copy gate, or fan-out).

Semantics of `backward()`: it *recomputes*. Every call first resets `.grad` to 0 on every node of
the output's graph, then fills in d(output)/d(node). Calling it twice gives the same gradients
(micrograd doubles the intermediate gradients instead; PyTorch adds into the leaves, which is why
PyTorch code calls `zero_grad()`). To combine several losses, add them and call `backward()` once.
"""

import math


class Value:
    """A scalar node: `data` (forward value) and `grad` (d output / d this node after backward)."""

    __slots__ = ("data", "grad", "_parents", "_local_grads", "op", "label")

    def __init__(self, data, _parents=(), _local_grads=(), op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents          # the input nodes of the gate that made this node
        self._local_grads = _local_grads  # d self / d parent, one per parent, computed forward
        self.op = op
        self.label = label

    def __repr__(self):
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    # --- gates: each returns a new node with its local gradients ----------------------------

    def __add__(self, other):
        other = other if type(other) is Value else Value(other)
        return _gate(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = other if type(other) is Value else Value(other)
        return _gate(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other):
        other = other if type(other) is Value else Value(other)
        a, b = self.data, other.data
        return _gate(a / b, (self, other), (1.0 / b, -a / (b * b)), "/")

    def __pow__(self, exponent):
        a = self.data
        if isinstance(exponent, Value):
            b = exponent.data
            out = a ** b
            # d(a**b)/db = a**b * log(a): defined for a > 0; at a == 0 the limit is 0.
            d_exponent = out * math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
            return Value(out, (self, exponent), (_power_slope(a, b), d_exponent), "**")
        n = float(exponent)
        return Value(a ** n, (self,), (_power_slope(a, n),), f"**{exponent:g}")

    def __neg__(self):
        return _gate(-self.data, (self,), (-1.0,), "neg")

    def __sub__(self, other):
        other = other if type(other) is Value else Value(other)
        return _gate(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __radd__(self, other):
        return _lift(other) + self

    def __rsub__(self, other):
        return _lift(other) - self

    def __rmul__(self, other):
        return _lift(other) * self

    def __rtruediv__(self, other):
        return _lift(other) / self

    def __rpow__(self, base):
        return _lift(base) ** self

    def exp(self):
        out = math.exp(self.data)
        return _gate(out, (self,), (out,), "exp")

    def log(self):
        return _gate(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self):
        out = math.tanh(self.data)
        return _gate(out, (self,), (1.0 - out * out,), "tanh")

    def sigmoid(self):
        # The local gradient is written with the *output*: sigma'(x) = sigma(x) * (1 - sigma(x)).
        out = _sigmoid(self.data)
        return _gate(out, (self,), (out * (1.0 - out),), "sigmoid")

    def relu(self):
        x = self.data
        return _gate(max(x, 0.0), (self,), (1.0 if x > 0 else 0.0,), "relu")

    def max(self, other):
        """The routing gate: the upstream gradient goes to the larger input (halved on a tie)."""
        other = _lift(other)
        a, b = self.data, other.data
        local = (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)
        return _gate(max(a, b), (self, other), local, "max")

    # --- the backward pass ------------------------------------------------------------------

    def backward(self):
        """Fill `.grad` of every node of this graph with d(self)/d(node); see the module doc."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            upstream = node.grad
            for parent, local in zip(node._parents, node._local_grads):
                parent.grad += local * upstream


def topological_order(root, parents=None, key=None):
    """Every node that `root` depends on, each after all of its parents (iterative DFS).

    No recursion, so a chain of a million nodes is fine. The stack holds (node, the parents
    still to visit); a node is appended to the order once all its parents are in it.

    The one walk of the course's graphs. parents(node) gives a node's inputs; None: a Value's
    `_parents`, read inline (calling a function per node would slow Value.backward, the
    benchmark's hot path). course.tracing passes a Tensor's parents, course.diagnose a
    notebook Node's. key tells nodes apart: None for the node itself (a Value hashes by
    identity; an id() call per edge would take the benchmark's chain half as long again to
    sort), id for nodes that cannot be hashed or may define == (a Tensor's == is element-wise).
    """
    visited = {root if key is None else key(root)}
    order, stack = [], [(root, iter(root._parents if parents is None else parents(root)))]
    while stack:
        node, pending = stack[-1]
        for parent in pending:
            seen = parent if key is None else key(parent)
            if seen not in visited:
                visited.add(seen)
                stack.append((parent, iter(parent._parents if parents is None
                                           else parents(parent))))
                break
        else:  # every parent is done
            stack.pop()
            order.append(node)
    return order


def _gate(data, parents, local_grads, op):
    """A gate's output node: Value(data, parents, local_grads, op) without re-checking data."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out._parents = parents
    out._local_grads = local_grads
    out.op = op
    out.label = ""
    return out


_new_value = object.__new__


def _power_slope(a, n):
    """d(a**n)/da = n * a**(n-1); 0 for n == 0, and +inf at a == 0 when 0 < n < 1."""
    if n == 0:
        return 0.0
    if a == 0 and n < 1:
        return math.inf
    return n * a ** (n - 1)


def _lift(x):
    return x if isinstance(x, Value) else Value(x)


def _sigmoid(x):
    # Two branches so that exp never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
