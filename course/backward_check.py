"""Checking a student's backward pass over a graph of array nodes (the tensor walk of notebook 04).

The nodes are duck-typed, as the notebook's `Node` is:

    node.value     a numpy array
    node.parents   the nodes it was computed from (a tuple; empty for a leaf)
    node.vjp_fns   one function per parent: g (dL/d node, the node's shape) -> that parent's share
                   of the gradient, of the parent's shape or of a shape it was broadcast to
    node.grad      what the pass under test leaves: dL/d node, the node's shape
    node.label     optional: a name for messages ("x", "W1")

    check_backward(backward, build)    build() -> the root of a fresh graph (one element: a
                                       loss); backward(root) is the pass under test, which must
                                       set .grad on every node the root depends on

The right gradients come from a reference pass on another fresh graph: reverse topological
order, the root's gradient 1, each share summed back to its parent's shape, the contributions of
a node's uses added. When the student's differ, wrong passes that students write are run on
fresh graphs too, and the one that reproduces the student's numbers on every node names the
mistake (GradientError.kind, course.diagnose's kinds):

    zero                 the root's gradient is not 1 (the walk was never seeded)
    partial              a node was left without a gradient; or one += on an array that another
                         node also holds changed both (in-place accumulation of a shared array)
    unreduced_broadcast  a share kept the broadcast shape instead of the parent's
    shape                a gradient of another shape that no sum explains
    not_accumulated      at a node used more than once, one share replaced the others
    scale                a second call added to the gradients of the first (PyTorch adds and
                         needs zero_grad; this pass recomputes)
    unknown              none of these: the first node, in the backward order, that is wrong

The pass is called twice on the same graph (the second call must give the same gradients) and
must leave every node's value as it was. Raises GradientError; returns True.
"""

import numpy as np

from course.gradcheck import GradientError

__all__ = ["check_backward"]


def check_backward(backward, build, *, rtol=1e-8, hint=None):
    """Check `backward(root)` on the graph `build()` returns; see the module doc. hint: a line
    for the student, added to every failure message."""
    root = build()
    nodes = topological_order(root)
    values = [n.value.copy() for n in nodes]
    backward(root)
    got = [getattr(n, "grad", None) for n in nodes]
    expected = _reference_pass(build)
    _compare(got, expected, nodes, build, rtol, hint)
    changed = [n for n, v in zip(nodes, values) if not np.array_equal(n.value, v)]
    if changed:
        raise _error("partial", f"backward() changed the value of {_describe(changed[0])}: a "
                     f"backward pass only reads the values the forward pass saved.", hint)
    backward(root)
    again = [getattr(n, "grad", None) for n in nodes]
    changed = [i for i, (a, e) in enumerate(zip(again, expected)) if not _close(a, e, rtol)]
    if changed:
        i = changed[-1]
        raise _error("scale", f"the first call of backward() was right, but a second call on the "
                     f"same graph gave other gradients: {_describe(nodes[i])} got "
                     f"{_show(again[i])} instead of {_show(expected[i])}. It added to the .grad "
                     f"that the first call left. Start every node afresh on each call (this "
                     f"engine recomputes; PyTorch adds, which is why it needs "
                     f"optimizer.zero_grad()).", hint)
    return True


def topological_order(root):
    """Every node `root` depends on, each after all of its parents (iterative, deterministic)."""
    order, visited = [], {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


# --- the reference pass, and the wrong passes students write ---------------------------------

def backward_pass(root, *, order="reverse", fanout="add", reduce=True, in_place=False):
    """The gradients of every node, in topological order, by one variant of the backward pass.

    order "reverse": reverse topological (right); "forward": parents first, every gradient
    starting at zero. fanout "add" (right), "last" or "first": which share a node used twice
    keeps. reduce: sum shares back to the parent's shape. in_place: `+=` on the stored array,
    which may be an array another node holds too.
    """
    nodes = topological_order(root)
    grads = {id(root): np.ones(root.value.shape)}
    if order == "forward":
        grads = {id(n): np.zeros(n.value.shape) for n in nodes}
        grads[id(root)] = np.ones(root.value.shape)
    seen, held = {id(root)}, {}
    for node in (reversed(nodes) if order == "reverse" else nodes):
        g = grads.get(id(node))
        if g is None:
            continue
        held[id(node)] = g            # what the node keeps: its gradient when it is visited
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = np.asarray(vjp_fn(g), dtype=np.float64)
            if reduce:
                share = _unbroadcast(share, parent.value.shape)
            key = id(parent)
            if key not in seen or fanout == "last":
                grads[key] = share if in_place else np.array(share)
                seen.add(key)
            elif fanout == "add":
                if in_place:
                    grads[key] += share
                else:
                    grads[key] = grads[key] + share
    return [held.get(id(n)) for n in nodes]


def _reference_pass(build):
    return backward_pass(build())


WRONG_PASSES = [
    # (the pass's options, kind, what is wrong, hint)
    (dict(fanout="last"), "not_accumulated",
     "a node used more than once kept only the last share it received: the shares of its uses "
     "must be added.", "Add each share to what the node already has (a copy gate adds)."),
    (dict(fanout="first"), "not_accumulated",
     "a node used more than once kept only the first share it received: the shares of its uses "
     "must be added.", "Add each share to what the node already has (a copy gate adds)."),
    (dict(in_place=True), "partial",
     "an in-place += changed the gradient of another node too: a share can be the very array "
     "its child holds (an add gate passes g on unchanged), so adding into it in place changes "
     "both.", "Add out of place (grad = grad + share), or copy a share before you keep it."),
    (dict(order="forward"), "partial",
     "the nodes were visited parents first: a node passed its gradient on before its children "
     "had sent it anything.", "Visit the nodes in reverse topological order, the root first."),
]


def _compare(got, expected, nodes, build, rtol, hint):
    missing = [n for n, g in zip(nodes, got) if g is None]
    if missing and len(missing) < len(nodes):
        names = ", ".join(_describe(n) for n in missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise _error("partial", f"backward() left {len(missing)} of the graph's {len(nodes)} nodes "
                     f"without a gradient (.grad is None): {names}. Every node the root depends "
                     f"on gets one: the root, the leaves and the nodes in between.", hint)
    root_got, root_expected = got[-1], expected[-1]
    if not _close(root_got, root_expected, rtol):
        raise _error("zero", f"the root ({_describe(nodes[-1])}) must hold dL/dL = 1, but its "
                     f".grad is {_show(root_got)}: start the walk with an array of ones of the "
                     f"root's shape.", hint)
    for node, g, e in zip(nodes, got, expected):
        shape = np.shape(g)
        if shape == e.shape:
            continue
        try:
            summed = _unbroadcast(np.asarray(g, dtype=np.float64), e.shape)
        except ValueError:
            summed = None
        if summed is not None and _close(summed, e, rtol):
            raise _error("unreduced_broadcast", f"{_describe(node)} received a gradient of shape "
                         f"{shape}, the shape it was broadcast to in the forward pass; summed back "
                         f"to its own shape {e.shape} it would be right. Sum every share back to "
                         f"its parent's shape (unbroadcast) before adding it.", hint)
        raise _error("shape", f"{_describe(node)} has shape {e.shape}, but its gradient has "
                     f"shape {shape}: dL/dx has the shape of x.", hint)
    wrong = [i for i, (g, e) in enumerate(zip(got, expected)) if not _close(g, e, rtol)]
    if not wrong:
        return
    for options, kind, what, fix in WRONG_PASSES:
        try:
            with np.errstate(all="ignore"):
                theirs = backward_pass(build(), **options)
        except (ValueError, TypeError):
            continue
        differs = any(not _close(t, e, rtol) for t, e in zip(theirs, expected))
        if differs and all(t is not None and _close(g, t, rtol) for g, t in zip(got, theirs)):
            first = next(i for i in reversed(range(len(nodes))) if i in wrong)
            raise _error(kind, f"{what}\nFirst wrong node in the backward order: "
                         f"{_describe(nodes[first])}: expected {_show(expected[first])}, got "
                         f"{_show(got[first])}.", fix if hint is None else f"{fix} {hint}")
    first = next(i for i in reversed(range(len(nodes))) if i in wrong)
    children = [_describe(n) for n in nodes if any(p is nodes[first] for p in n.parents)]
    raise _error("unknown", f"wrong gradient for {_describe(nodes[first])}, the first wrong node "
                 f"in the backward order (every node before it is right): expected "
                 f"{_show(expected[first])}, got {_show(got[first])}.\nIts gradient is the sum of "
                 f"the shares sent by the nodes that use it: {', '.join(children)}.", hint)


# --- helpers -------------------------------------------------------------------------------------

def _unbroadcast(g, shape):
    """g summed over the axes that broadcasting added (leading) or stretched (size 1)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[lead:])):
        raise ValueError(f"a gradient of shape {g.shape} cannot be summed to shape {shape}")
    g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return g.sum(axis=stretched, keepdims=True)


def _close(got, expected, rtol):
    if got is None or expected is None:
        return got is None and expected is None
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=rtol))


def _describe(node):
    label = getattr(node, "label", "") or ""
    op = getattr(node, "op", "") or ("leaf" if not node.parents else "node")
    name = f"'{label}'" if label else f"the {op} node"
    return f"{name} (shape {node.value.shape})"


def _show(array):
    if array is None:
        return "None"
    return np.array2string(np.asarray(array, dtype=np.float64), precision=4, suppress_small=True,
                           threshold=12, separator=", ")


def _error(kind, message, hint):
    text = f"Wrong gradients after backward(): {message}"
    if hint:
        text += f"\nHint: {hint}"
    return GradientError(text, kind=kind)
