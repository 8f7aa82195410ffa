"""course.backward_check: a right backward pass over a graph of array nodes passes, and each wrong
pass that students write gets its diagnosis (the kind, and words that name the mistake)."""

import numpy as np
import pytest

from course.backward_check import check_backward
from course.gradcheck import GradientError


class Node:
    """The notebook's node (04-matrix-backprop), reduced to what the check reads."""

    def __init__(self, value, parents=(), vjp_fns=(), op="leaf", label=""):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents, self.vjp_fns, self.op, self.label = tuple(parents), tuple(vjp_fns), op, label
        self.grad = None

    @property
    def shape(self):
        return self.value.shape


def add(a, b):
    return Node(a.value + b.value, (a, b), (lambda g: g, lambda g: g), "+")


def multiply(a, b):
    return Node(a.value * b.value, (a, b), (lambda g: g * b.value, lambda g: g * a.value), "*")


def total(a):
    return Node(a.value.sum(), (a,), (lambda g: g * np.ones(a.shape),), "sum")


def graph():
    """A broadcast (b, a column s), one node used twice by one gate (z * z), a diamond (z used by
    three gates) and a top add whose share is the very array of its own gradient."""
    rng = np.random.default_rng(0)
    x = Node(rng.standard_normal((4, 3)), label="x")
    b = Node(rng.standard_normal(3), label="b")
    s = Node(rng.standard_normal((4, 1)), label="s")
    c = Node(rng.standard_normal((4, 3)), label="c")
    z = add(x, b)
    return total(add(multiply(add(multiply(z, z), multiply(z, s)), c), z))


def unbroadcast(g, shape):
    g = np.asarray(g, dtype=np.float64)
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1),
                 keepdims=True)


def order_of(root):
    order, seen = [], {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def right(root):
    grads = {root: np.ones(root.shape)}
    for node in reversed(order_of(root)):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            grads[parent] = share if parent not in grads else grads[parent] + share


def overwrites(root):
    grads = {root: np.ones(root.shape)}
    for node in reversed(order_of(root)):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            grads[parent] = unbroadcast(vjp_fn(node.grad), parent.shape)


def adds_in_place(root):
    order = order_of(root)
    for node in order:
        node.grad = None
    root.grad = np.ones(root.shape)
    for node in reversed(order):
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            if parent.grad is None:
                parent.grad = share
            else:
                parent.grad += share


def forgets_unbroadcast(root):
    grads = {root: np.ones(root.shape)}
    for node in reversed(order_of(root)):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = vjp_fn(node.grad)
            grads[parent] = share if parent not in grads else grads[parent] + share


def accumulates_across_calls(root):
    root.grad = (root.grad if root.grad is not None else np.zeros(root.shape)) + 1.0
    for node in reversed(order_of(root)):
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            parent.grad = share if parent.grad is None else parent.grad + share


def parents_first(root):
    order = order_of(root)
    grads = {node: np.zeros(node.shape) for node in order}
    grads[root] = np.ones(root.shape)
    for node in order:
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            grads[parent] = grads[parent] + unbroadcast(vjp_fn(node.grad), parent.shape)


def leaves_only(root):
    grads = {root: np.ones(root.shape)}
    for node in reversed(order_of(root)):
        g = grads.pop(node)
        if not node.parents:
            node.grad = g
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(g), parent.shape)
            grads[parent] = share if parent not in grads else grads[parent] + share


def unseeded(root):
    right(root)
    root.grad = np.zeros(root.shape)


def changes_a_value(root):
    right(root)
    order_of(root)[0].value += 1.0


def test_a_right_pass_passes_and_can_be_called_twice():
    assert check_backward(right, graph) is True
    root = graph()
    right(root)
    first = [n.grad.copy() for n in order_of(root)]
    right(root)
    assert all(np.array_equal(a, n.grad) for a, n in zip(first, order_of(root)))


def test_the_right_pass_is_right():
    """check_backward(right, graph) passes, so the check's reference agrees with `right`; and
    `right` agrees with finite differences of the loss, leaf by leaf."""
    root = graph()
    right(root)
    for leaf in (n for n in order_of(root) if not n.parents):
        numeric = np.zeros(leaf.shape)
        for index in np.ndindex(leaf.shape):
            step = np.zeros(leaf.shape)
            step[index] = 1e-6
            numeric[index] = (recompute(root, {id(leaf): leaf.value + step}) -
                              recompute(root, {id(leaf): leaf.value - step})) / 2e-6
        assert np.allclose(leaf.grad, numeric, atol=1e-6), leaf.label


def recompute(root, leaf_values):
    """The root's value, with some leaves' values replaced ({id(leaf): value})."""
    ops = {"+": np.add, "*": np.multiply, "sum": np.sum}
    values = {}
    for node in order_of(root):
        if node.parents:
            values[id(node)] = ops[node.op](*[values[id(p)] for p in node.parents])
        else:
            values[id(node)] = leaf_values.get(id(node), node.value)
    return values[id(root)]


@pytest.mark.parametrize("wrong, kind, words", [
    (overwrites, "not_accumulated", "kept only the last share"),
    (adds_in_place, "partial", "in-place +="),
    (forgets_unbroadcast, "unreduced_broadcast", "the shape it was broadcast to"),
    (accumulates_across_calls, "scale", "zero_grad"),
    (parents_first, "partial", "parents first"),
    (leaves_only, "partial", "without a gradient"),
    (unseeded, "zero", "dL/dL = 1"),
    (changes_a_value, "partial", "changed the value"),
])
def test_each_wrong_pass_gets_its_diagnosis(wrong, kind, words):
    with pytest.raises(GradientError) as caught:
        check_backward(wrong, graph)
    assert caught.value.kind == kind, str(caught.value)
    assert words in str(caught.value)


def test_a_hint_is_added_to_the_message():
    with pytest.raises(GradientError, match="Hint: look at the fan-out"):
        check_backward(leaves_only, graph, hint="look at the fan-out")


def test_an_unexplained_mistake_names_the_first_wrong_node_in_the_backward_order():
    def off_by_a_factor_at_c(root):
        right(root)
        for node in order_of(root):
            if node.label == "c":
                node.grad = 3.0 * node.grad
    with pytest.raises(GradientError) as caught:
        check_backward(off_by_a_factor_at_c, graph)
    assert caught.value.kind == "unknown"
    assert "'c' (shape (4, 3))" in str(caught.value)
