"""Scalar autodiff: one `Value` per node of the computational graph.

Each operation computes its result *and* its local gradients (d out / d input) in the forward
pass and stores them on the new node. `backward()` then applies the chain rule once per edge:

    downstream gradient = local gradient * upstream gradient

and adds the contributions that reach a node along several edges (the copy gate, or fan-out).

What each gate computes is one line of a table, `course/scalar_gates.py`: multiply is
forward(x, y) = x * y with local(ans, x, y) = (y, x), so z = x * y is the node

    Value(x.data * y.data, parents (x, y), local gradients (y.data, x.data), op "multiply")

`binary_gate` and `unary_gate` below make the methods (`__mul__`, `exp`, ...) from the table.

Semantics of `backward()`: it *recomputes*. Every call first resets `.grad` to 0 on every node of
the output's graph, then fills in d(output)/d(node). Calling it twice gives the same gradients
(micrograd doubles the intermediate gradients instead; PyTorch adds into the leaves, which is why
PyTorch code calls `zero_grad()`). To combine several losses, add them and call `backward()` once.
"""

from course.scalar_gates import GATES


def binary_gate(gate):
    """The Value method of a two-input gate of the table: `self (gate) other` -> a new node
    holding the forward value and the local gradients, d out / d self and d out / d other."""
    forward, local, constant, name = gate.forward, gate.local, gate.constant, gate.name

    def apply(self, other):
        other = other if type(other) is Value else _lift(other)   # a number, or a PowNode
        x, y = self.data, other.data
        data = forward(x, y)
        out = _new_value(Value)   # Value(data, (self, other), local(...), name), a little faster
        out.data = data
        out.grad = 0.0
        out._parents = (self, other)
        out._local_grads = local(data, x, y) if constant is None else constant
        out.op = name
        out.label = ""
        return out

    apply.__doc__ = f"The {name} gate ({gate.symbol}): a new Value with its local gradients."
    return apply


def unary_gate(gate):
    """The Value method of a one-input gate of the table: `gate(self)` -> a new node holding
    the forward value and the local gradient d out / d self."""
    forward, local, constant, name = gate.forward, gate.local, gate.constant, gate.name

    def apply(self):
        x = self.data
        data = forward(x)
        out = _new_value(Value)   # Value(data, (self,), local(...), name), a little faster
        out.data = data
        out.grad = 0.0
        out._parents = (self,)
        out._local_grads = local(data, x) if constant is None else constant
        out.op = name
        out.label = ""
        return out

    apply.__doc__ = f"The {name} gate ({gate.symbol}): a new Value with its local gradient."
    return apply


class Value:
    """A scalar node: `data` (forward value) and `grad` (d output / d this node after backward).

    op: the name of the gate that made it ("" for a leaf); exponent: n on the node of x ** n
    (a PowNode), None on every other node.
    """

    __slots__ = ("data", "grad", "_parents", "_local_grads", "op", "label")
    exponent = None

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

    # --- gates: each is one line of course/scalar_gates.py, made a method here ---------------

    __add__ = binary_gate(GATES["add"])
    __sub__ = binary_gate(GATES["subtract"])
    __mul__ = binary_gate(GATES["multiply"])
    __truediv__ = binary_gate(GATES["divide"])
    __neg__ = unary_gate(GATES["neg"])
    exp = unary_gate(GATES["exp"])
    log = unary_gate(GATES["log"])
    tanh = unary_gate(GATES["tanh"])
    sigmoid = unary_gate(GATES["sigmoid"])
    relu = unary_gate(GATES["relu"])
    max = binary_gate(GATES["max"])   # the routing gate: the larger input gets the gradient
    _power = binary_gate(GATES["power"])

    def __pow__(self, exponent):
        """x ** y for a Value y (the power gate), or x ** n for a number n (pow: n is stored on
        the node as `exponent`)."""
        if isinstance(exponent, Value):
            return self._power(exponent)
        gate, x, n = GATES["pow"], self.data, float(exponent)
        data = gate.forward(x, n)
        out = PowNode(data, (self,), gate.local(data, x, n), gate.name)
        out.exponent = n
        return out

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


class PowNode(Value):
    """The node of x ** n for a number n: a Value that also stores n. (Only these nodes have
    the slot: one more on every node would slow the benchmark's 40,000-gate chain by 1-2%.)"""

    __slots__ = ("exponent",)


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


_new_value = object.__new__


def _lift(x):
    return x if isinstance(x, Value) else Value(x)

