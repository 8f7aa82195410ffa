"""The backward traversal of a scalar graph: is every node's `.grad` d root / d node?

The nodes are course.Value (`_parents`, `_local_grads`, `data`) or a notebook's Node class
(`parents`, `local_grads`, `value`). The right gradients come from the nodes' own local
gradients, walked correctly; the wrong ones are explained first by the graph (a node that kept
one of its incoming contributions), then as a vector of every node's gradient (mode
"traversal" of course.diagnosis.registry).
"""

import numpy as np

from course.diagnosis.problem import Diagnosis, pose
from course.diagnosis.registry import explain
from course.diagnosis.words import HINTS, number, pick_hint
from course.tolerances import agree
from course.value import topological_order


class Graph:
    """The scalar graph that ends in `root`, in topological order (root last)."""

    def __init__(self, root):
        if hasattr(root, "_local_grads"):
            self._parents, self._locals = "_parents", "_local_grads"
        elif hasattr(root, "local_grads"):
            self._parents, self._locals = "parents", "local_grads"
        else:
            raise TypeError("diagnose_traversal needs nodes with parents and local gradients "
                            "(course.Value, or `parents` and `local_grads` attributes)")
        self.root = root
        self.order = topological_order(root, self._parents_last_first, key=id)

    def parents(self, node):
        return tuple(getattr(node, self._parents))

    def _parents_last_first(self, node):
        # The order course.diagnose has always listed the nodes in (its examples, "leaf #k"):
        # a depth-first walk that visits the last parent first. key=id: a Node may define ==.
        return self.parents(node)[::-1]

    def local_grads(self, node):
        return tuple(float(v) for v in getattr(node, self._locals))

    @staticmethod
    def grad(node):
        value = getattr(node, "grad", None)
        try:
            return float(value)
        except (TypeError, ValueError):
            return float("nan")

    def backward(self, walk):
        """{id(node): gradient} when the seed 1 at the root is passed on visiting the nodes in
        the order `walk` (reversed(self.order) is right)."""
        grads = {id(n): 0.0 for n in self.order}
        grads[id(self.root)] = 1.0
        for node in walk:
            for parent, local in zip(self.parents(node), self.local_grads(node)):
                grads[id(parent)] += local * grads[id(node)]
        return grads

    def labels(self):
        """A name for each node, in order: its label, "leaf #k", or "the * node (value 2)"."""
        names, leaves = [], 0
        for node in self.order:
            label = getattr(node, "label", "")
            op = getattr(node, "op", "")
            if node is self.root:
                names.append(f"the root{f' ({label})' if label else ''}")
            elif label:
                names.append(str(label))
            elif not self.parents(node):
                names.append(f"leaf #{leaves}")
            else:
                value = getattr(node, "data", getattr(node, "value", None))
                names.append(f"the {op or 'inner'} node" + (
                    f" (value {number(value)})" if value is not None else ""))
            if not self.parents(node):
                leaves += 1
        return names

    def users(self):
        """For each node id: the (child, local gradient) edges that lead into it."""
        users = {id(n): [] for n in self.order}
        for node in self.order:
            for parent, local in zip(self.parents(node), self.local_grads(node)):
                users[id(parent)].append((node, local))
        return users


def diagnose_traversal(root, *, rtol=1e-8, hint=None):
    """The Diagnosis of the `.grad` a backward pass left on the nodes of root's graph, or None
    when every node holds its right gradient d root / d node.

    Compares with a correct traversal of the same graph (its local gradients), then tests:
    not_accumulated (a node used by several gates holds only one of their contributions,
    computed from the student's own gradients of those gates: the local check of `=` instead of
    `+=`); then, on the vector of all nodes' gradients: nonfinite, zero (no seed), a walk in the
    wrong direction (kind partial), sign, scale, partial, unknown.
    """
    graph = Graph(root)
    order = graph.order
    right = graph.backward(reversed(order))
    expected = np.array([right[id(n)] for n in order])
    got = np.array([graph.grad(n) for n in order], dtype=np.float64)
    if agree(got, expected, rtol, 0.0).all():
        return None
    overwrite = _overwrites(graph, got, rtol)
    if overwrite is not None:
        return Diagnosis(overwrite.kind, overwrite.summary, overwrite.details,
                         pick_hint(hint, overwrite.kind, overwrite.hint), overwrite.evidence)
    forward = graph.backward(order)
    walked_forward = np.array([forward[id(n)] for n in order])
    keep = slice(None)
    if agree(got[-1], 1.0, rtol, 0.0) and len(order) > 1:
        keep = slice(0, -1)      # the seed is right: judge the nodes it reaches
    candidates = {"partial": (
        walked_forward[keep],
        "the nodes passed their gradients on before all of it had arrived: only the nodes next "
        "to the root are right (the walk went from the leaves to the root)",
        "Walk the topological order backwards, from the root to the leaves: reversed(order).")}
    problem, numerics = pose("traversal", got[keep], expected[keep], name="grad",
                             labels=graph.labels()[keep], candidates=candidates, rtol=rtol)
    d = explain(problem, numerics, hint)
    if d.kind == "zero" and got[-1] == 0:
        d = Diagnosis("zero", "every node's grad is 0, the root's too: the backward pass "
                      "never started (the root's gradient must be 1).", d.details,
                      pick_hint(hint, "zero", "Seed the root: root.grad = 1.0 after the reset, "
                                "before the walk."), d.evidence)
    return d


def _overwrites(graph, got, rtol):
    """The not_accumulated Diagnosis when every node holds either the sum of its incoming
    contributions (computed from the student's gradients of the nodes that use it) or exactly
    one of them, and some node used several times holds one: `=` instead of `+=`."""
    grads = {id(n): g for n, g in zip(graph.order, got)}
    labels = dict(zip((id(n) for n in graph.order), graph.labels()))
    users_of = graph.users()
    first = None
    for node in reversed(graph.order):      # the example: the first from the root
        if node is graph.root:
            if not agree(grads[id(node)], 1.0, rtol, 0.0):
                return None
            continue
        parts = np.array([local * grads[id(child)] for child, local in users_of[id(node)]])
        mine = grads[id(node)]
        if agree(mine, float(np.sum(parts)), rtol, 0.0):
            continue
        if parts.size < 2 or not np.any(agree(mine, parts, rtol, 0.0)):
            return None
        if first is None:
            first = (node, parts)
    if first is None:
        return None
    node, parts = first
    k = next(k for k, n in enumerate(graph.order) if n is node)
    shown = " + ".join(number(p) for p in parts[:4]) + (" + ..." if parts.size > 4 else "")
    summary = (f"{labels[id(node)]} is used by {parts.size} gates but its grad holds only one "
               f"of their contributions: they must be added (overwritten instead of accumulated).")
    details = (f"  {labels[id(node)]}: the contributions are {shown} = "
               f"{number(float(np.sum(parts)))}, grad is {number(got[k])}",)
    return Diagnosis("not_accumulated", summary, details, HINTS["not_accumulated"],
                     {"node": labels[id(node)], "index": (k,)})
