"""What is wrong with a gradient: the mistake that explains the student's numbers.

A failing gradient check that prints two arrays teaches little. `diagnose` takes what a check
knows, tests one hypothesis after another *numerically* against it, and names the first that
explains every checked number to the checker's tolerance:

    d = diagnose(got, expected, f=f, inputs=(x, w), input_index=1, upstream=u, name="w")
    d.kind        # "transpose"
    print(d)      # what is wrong, with the numbers that show it, then "Hint: ..."

The evidence (JAX's conventions, as in `course.gradcheck`):

    got          the student's result: dL/dx_i (mode "vjp"), or the output tangent (mode "jvp")
    expected     the right one, laid out like got (finite differences or the engine; NaN where
                 not checked, e.g. at a kink), or None: then it is computed from f when the input
                 is small, and otherwise hypotheses are tested along random directions
    f, inputs    the function and all its inputs; input_index: the input got belongs to
    upstream     u, the upstream gradient (L = sum(f(*inputs) * u)), mode "vjp"
    tangents     one tangent per input, mode "jvp"; input_index: the input that moves alone,
                 None when all move
    others       the student's gradients for every input (to see that two were swapped)
    candidates   {kind: array} (or {kind: (array, explanation[, hint])}): known mistakes of an
                 exercise, e.g. what an overwriting traversal gives; tried right after zero

The kinds, in the order they are tried (most specific first; fitted factors last):

    got has the wrong shape:
      unreduced_broadcast   the broadcast shape; summed over the broadcast axes it is right
      transpose             got.T has the right shape and is right
      swapped_inputs        it has the shape of another input and is that input's gradient
      shape                 none of these (a plain number that numpy would spread to the
                            right shape: also what it would be, spread)
    got has the right shape:
      nonfinite             NaN or inf
      zero                  all 0 where the right one is not
      (the caller's candidates)
      sign                  -1 times the right one
      transpose             the right one transposed, or the rule with another (square) operand
                            transposed: a matmul with the wrong operand transposed (jvp: with
                            the moving input's tangent transposed)
      missing_upstream      the right answer for u = 1 (mode "jvp": for a tangent of ones): the
                            local gradient alone
      swapped_inputs        the right gradient of another input (jvp: the tangent that moving
                            another input the same way gives)
      output_for_input      f element-wise: the local derivative evaluated at f(x) instead of x
                            (sigmoid'(sigmoid(x))), or a rule written with the output applied to
                            the input (tanh: 1 - x**2 instead of 1 - tanh(x)**2)
      not_accumulated       where x is used several times (fan-out), got kept only one of the
                            incoming contributions (from the Jacobian: J[o, k] * u[o] per use),
                            always the first or always the last, as an overwrite does
      scale                 a constant multiple k of the right one (k fitted, so it must be
                            confirmed by two or more elements or directions, or be a plain
                            integer or 1/integer)
      partial               right on some elements, wrong on others (with the pattern: x <= 0,
                            x == y, one row, the last column, ...)
      unknown               nothing fits: the worst elements

"Explains" means: every checked element agrees to |a - b| <= atol + rtol * max(1e-8, |a| + |b|),
the checker's test (rtol 1e-5). Hypotheses that need new numbers (missing_upstream,
swapped_inputs, output_for_input, not_accumulated, transposed operands) compute them from f by
central differences: the whole Jacobian for inputs of at most `max_full` elements, random
directions above that (where partial and not_accumulated cannot be seen).

`describe(got, expected, **evidence)` gives the one-line version (for widgets);
`diagnose_traversal(root)` checks the `.grad` of every node of a scalar graph (course.Value, or
nodes with `parents`, `local_grads` and `grad`) after a backward pass.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["KINDS", "Diagnosis", "diagnose", "describe", "diagnose_traversal",
           "reference_traversal"]

EPS = 1e-6                # finite-difference step (the checker's)
RTOL = 1e-5               # the checker's relative tolerance
NOISE = 100 * np.finfo(np.float64).eps
MAX_FULL = 100            # inputs up to this size: whole numerical Jacobians
NUM_DIRECTIONS = 3        # random directions per hypothesis for larger inputs
MAX_FACTOR = 64           # a fitted factor seen on one number only must be n or 1/n, n <= this

KINDS = ("shape", "unreduced_broadcast", "transpose", "sign", "scale", "missing_upstream",
         "swapped_inputs", "output_for_input", "not_accumulated", "zero", "nonfinite", "partial",
         "unknown")

# One line per kind, for widgets and for a candidate that has no explanation of its own.
WORDS = {
    "shape": "it has the wrong shape",
    "unreduced_broadcast": "it has the broadcast shape: it must be summed over the broadcast axes",
    "transpose": "it is the transpose of the right one",
    "sign": "the sign is flipped",
    "scale": "it is off by a constant factor",
    "missing_upstream": "the upstream gradient is not multiplied in",
    "swapped_inputs": "each input got the rule meant for the other",
    "output_for_input": "the local gradient is evaluated at the output instead of the input, "
                        "or the other way round",
    "not_accumulated": "a value used several times kept only one of its incoming gradients",
    "zero": "it is 0 where the right one is not",
    "nonfinite": "it contains NaN or inf",
    "partial": "it is right on some elements and wrong on others",
    "unknown": "no simple mistake explains it",
}

HINTS = {
    "shape": "A gradient has the shape of what it is the gradient of: dL/dx has the shape of x "
             "(for W in x @ W: x.T @ upstream). Check which axes you sum over.",
    "broadcast": "If {of} was broadcast in the forward pass, sum {d} over the broadcast axes.",
    "unreduced_broadcast": "{of} was broadcast in the forward pass: sum {d} over the broadcast "
                           "axes, {code}.",
    "transpose": "For y = x @ W: dL/dx = upstream @ W.T (the shape of x) and dL/dW = "
                 "x.T @ upstream (the shape of W). Check the order of the operands and which one "
                 "is transposed.",
    "sign": "Check every minus sign in the local derivative (d(a - b)/db = -1, "
            "d(1/x)/dx = -1/x**2, d exp(-x)/dx = -exp(-x)).",
    "scale": "A constant factor is off: look for a missing or extra factor (the 2 of "
             "d(x**2)/dx = 2x, the 1/N of a mean over N elements), or a mean where a sum belongs.",
    "missing_upstream": "Multiply the local gradient by the upstream gradient: "
                        "downstream = local * upstream.",
    "missing_tangent": "Multiply the local derivative by the incoming tangent: "
                       "tangent_out = f'(x) * tangent_in.",
    "swapped_inputs": "Each input has its own rule (for z = x * y: dz/dx = y, dz/dy = x), and "
                      "the gradients go back in the order of the inputs.",
    "output_at_output": "If the rule is written with the output y = f(x) (sigmoid: y * (1 - y), "
                        "tanh: 1 - y**2, exp: y), use y as it is: do not apply f to it again.",
    "output_at_input": "This rule is written with the output y = f(x) (tanh: 1 - y**2): compute "
                       "y = f(x) first (or save it in the forward pass) instead of using x.",
    "not_accumulated": "Where a value is used several times (fan-out, repeated indices, "
                       "broadcasting), add the gradients of all its uses (+=, np.add.at), never "
                       "overwrite (=).",
    "zero": "Did the rule return zeros, never fill in the gradient, or forget a term?",
    "zero_jvp": "Every input that moves adds a term to the tangent (product rule: "
                "d(x y) = dx y + x dy; d(x @ W) = dx @ W + x @ dW).",
    "nonfinite": "Look for a division by zero, the log of 0, an overflowing exp, or an array "
                 "that was never filled in.",
    "partial": "Compare your rule with the right one on the elements listed.",
    "partial_mask": "Check the condition that selects these elements (x > 0 or x >= 0, a tie "
                    "x == y, the side of a kink).",
    "partial_index": "Check the indexing and the loop bounds: every element must be computed.",
    "unknown": "No single simple mistake explains these numbers: derive the local gradient "
               "again on paper for one element and compare.",
    "directional": "Check with a smaller input to see which elements are wrong.",
}


@dataclass(frozen=True)
class Diagnosis:
    """The most likely mistake behind a wrong gradient.

    kind:     one of KINDS
    summary:  one sentence with the numbers that show it
    details:  up to three short example lines ("  dL/dx[0, 1]: expected 0.42, got -0.42")
    hint:     what to do about it (the caller's exercise hint when given)
    evidence: the numbers: index (the first example), factor, pattern, wrong (count), ...
    """

    kind: str
    summary: str
    details: tuple = ()
    hint: str = ""
    evidence: dict = field(default_factory=dict)

    @property
    def message(self):
        """summary and details, without the hint."""
        return "\n".join((self.summary,) + tuple(self.details))

    def __str__(self):
        return self.message + (f"\nHint: {self.hint}" if self.hint else "")


# --- the public functions ---------------------------------------------------------------------

def diagnose(got, expected=None, *, shape=None, f=None, inputs=None, input_index=0,
             upstream=None, tangents=None, mode="vjp", others=None, candidates=None,
             name=None, names=None, labels=None, noun="element", rtol=RTOL, atol=0.0, eps=EPS,
             max_full=MAX_FULL, hint=None, seed=0):
    """The Diagnosis that explains `got` (see the module doc for the evidence and the kinds).

    shape: the shape got must have (default: expected's, else that of the input); name, names:
    the input's and all inputs' names for the messages; labels: a name for each (flat) element
    instead of its index, noun: what an element is ("node"); hint: the exercise's own hint, a
    string or {kind: hint}, replacing the generic one.
    """
    # quiet: a warning printed in a notebook's test cell costs the student the points
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ev = _Evidence(got, expected, shape, f, inputs, input_index, upstream, tangents, mode,
                       others, name, names, labels, noun, rtol, atol, eps, max_full, seed)
        if ev.g.shape != ev.shape:
            tests = (ev.unreduced_broadcast, ev.transposed_shape, ev.swapped_shape,
                     ev.wrong_shape)
        else:
            tests = (ev.nonfinite, ev.zero, lambda: ev.known(candidates), ev.sign,
                     ev.transpose, ev.missing_upstream, ev.swapped_inputs, ev.output_for_input,
                     ev.not_accumulated, ev.scale, ev.partial, ev.unknown)
        for test in tests:
            found = test()
            if found is not None:
                break
    kind, summary, details, generic, evidence = found
    return Diagnosis(kind, summary, tuple(details), _pick_hint(hint, kind, generic), evidence)


def describe(got, expected, **evidence):
    """One line for a widget: the diagnosis's summary (keyword arguments as for diagnose)."""
    summary = diagnose(got, expected, **evidence).summary
    for ending in (", for example:", ":"):
        if summary.endswith(ending):
            return summary[: -len(ending)] + "."
    return summary


def reference_traversal(root):
    """The right d root / d node for every node of root's graph: {id(node): gradient}.

    Nodes: course.Value (`_parents`, `_local_grads`) or any class with `parents` and
    `local_grads` (the notebook's Node)."""
    graph = _Graph(root)
    return graph.backward(graph.order)


def diagnose_traversal(root, *, rtol=1e-8, hint=None):
    """The Diagnosis of the `.grad` a backward pass left on the nodes of root's graph, or None
    when every node holds its right gradient d root / d node.

    Compares with a correct traversal of the same graph (its local gradients), then tests:
    nonfinite; zero (no seed); not_accumulated (a node used by several gates holds only one of
    their contributions, computed from the student's own gradients of those gates: the local
    check of `=` instead of `+=`); a walk in the wrong direction (kind partial); then the array
    kinds (sign, scale, partial, unknown) on the vector of all nodes' gradients.
    """
    graph = _Graph(root)
    order = graph.order
    right = graph.backward(order)
    expected = np.array([right[id(n)] for n in order])
    got = np.array([graph.grad(n) for n in order], dtype=np.float64)
    labels = graph.labels()
    close = _close(got, expected, rtol, 0.0)
    if close.all():
        return None
    candidates = {}
    local = _overwrites(graph, got, expected, rtol)
    if local is not None:
        return Diagnosis("not_accumulated", local[0], tuple(local[1]),
                         _pick_hint(hint, "not_accumulated", HINTS["not_accumulated"]),
                         local[2])
    forward = graph.backward(order, walk_forward=True)
    candidates["partial"] = (
        np.array([forward[id(n)] for n in order]),
        "the nodes passed their gradients on before all of it had arrived: only the nodes next "
        "to the root are right (the walk went from the leaves to the root)",
        "Walk the topological order backwards, from the root to the leaves: reversed(order).")
    keep = slice(None)
    if _close(got[-1], 1.0, rtol, 0.0) and len(order) > 1:
        keep = slice(0, -1)      # the seed is right: judge the nodes it reaches
        candidates = {kind: (value[keep], *rest) for kind, (value, *rest) in candidates.items()}
    d = diagnose(got[keep], expected[keep], candidates=candidates, labels=labels[keep],
                 noun="node", name="grad", rtol=rtol, hint=hint)
    if d.kind == "zero" and got[-1] == 0:
        d = Diagnosis("zero", "every node's grad is 0, the root's too: the backward pass "
                      "never started (the root's gradient must be 1).", d.details,
                      _pick_hint(hint, "zero", "Seed the root: root.grad = 1.0 after the reset, "
                                 "before the walk."), d.evidence)
    return d


# --- the evidence and the hypotheses ----------------------------------------------------------

class _Evidence:
    """What a check knows about one wrong result, and the tests of the hypotheses on it.

    Each test returns None (does not fit) or (kind, summary, details, generic hint, evidence).
    """

    def __init__(self, got, expected, shape, f, inputs, index, upstream, tangents, mode, others,
                 name, names, labels, noun, rtol, atol, eps, max_full, seed):
        if mode not in ("vjp", "jvp"):
            raise ValueError(f"mode must be 'vjp' or 'jvp', not {mode!r}")
        self.g = np.asarray(got, dtype=np.float64)
        self.mode, self.i, self.f = mode, index, f
        self.xs = None if inputs is None else [np.asarray(x, dtype=np.float64) for x in inputs]
        if self.xs is not None and len(self.xs) == 0:
            self.xs = None
        self.u = None if upstream is None else np.asarray(upstream, dtype=np.float64)
        self.t = None if tangents is None else [np.asarray(t, dtype=np.float64)
                                                for t in tangents]
        self.others = others
        self.rtol, self.eps, self.max_full, self.seed = rtol, eps, max_full, seed
        self.names = list(names) if names is not None else None
        self.name = name if name is not None else self._name(index)
        self.labels, self.noun = labels, noun
        if shape is None:
            if expected is not None:
                shape = np.shape(expected)
            elif mode == "vjp" and self.xs is not None and index is not None:
                shape = self.xs[index].shape
            else:
                shape = self.g.shape
        self.shape = tuple(shape)
        self._jacobians = {}
        self._out = None
        self.atol = float(atol)
        self.e = None
        if expected is not None and np.shape(expected) == self.shape:
            self.e = np.asarray(expected, dtype=np.float64)
        elif expected is None:
            reference = self.reference()
            self.e = reference if reference is not None and reference.shape == self.shape \
                else None
        if self.e is not None and self.f is not None and self.xs is not None:
            self.atol = max(self.atol, self._noise(self.g))
        self.checked = (np.ones(self.shape, dtype=bool) if self.e is None
                        else ~np.isnan(self.e))

    # --- words ---

    def _name(self, j):
        if j is None:
            return None
        if self.names is not None and j < len(self.names) and self.names[j]:
            return self.names[j]
        return None

    @property
    def d(self):
        """What got is: dL/dx, or the output tangent."""
        if self.mode == "jvp":
            return "the output tangent"
        if self.name:
            return f"dL/d{self.name}"
        return "dL/dx" if self.i is None else f"dL/d(input {self.i})"

    @property
    def of(self):
        if self.mode == "jvp":
            return "f(*inputs)"
        return self.name or ("x" if self.i is None else f"input {self.i}")

    def d_of(self, j):
        name = self._name(j)
        return f"dL/d{name}" if name else f"dL/d(input {j})"

    def input_word(self, j):
        name = self._name(j)
        return f"{name} (input {j})" if name else f"input {j}"

    def element(self, k):
        """The name of element k (a flat index) of got, e.g. "dL/dw[1, 2]"."""
        if self.labels is not None:
            return str(self.labels[k])
        at = np.unravel_index(k, self.shape) if self.shape else ()
        head = "tangent_out" if self.mode == "jvp" else self.d
        return head + (f"[{', '.join(str(int(j)) for j in at)}]" if at else "")

    def index(self, k):
        return tuple(int(j) for j in np.unravel_index(k, self.shape)) if self.shape else ()

    def example(self, k, expected=None, note=""):
        e = self.e if expected is None else expected
        ev = "" if e is None else f"expected {_num(np.ravel(e)[k])}, "
        return f"  {self.element(k)}: {ev}got {_num(self.g.ravel()[k])}{note}"

    def everywhere(self):
        n = int(self.checked.sum())
        if self.g.size == 1:
            return ""
        return " at every element" if n == self.g.size else f" at every checked element ({n})"

    # --- numbers ---

    def _call(self, xs):
        if self.f is None:
            return None
        try:
            with np.errstate(all="ignore"):     # a copy: f may return a view of its input
                out = np.array(self.f(*xs), dtype=np.float64)
        except Exception:   # a hypothesis the function cannot evaluate does not fit
            return None
        return out

    def out(self):
        if self._out is None and self.xs is not None:
            self._out = self._call(self.xs)
        return self._out

    def _noise(self, a):
        """The rounding noise of central differences of L, as the checker estimates it."""
        out = self.out()
        if out is None:
            return 0.0
        if self.mode == "jvp":
            return NOISE * float(np.max(np.abs(out), initial=0.0)) / self.eps
        if self.u is None or self.u.shape != out.shape and self.u.size != 1:
            return 0.0
        x = self.xs[self.i] if self.i is not None else None
        size = float(np.sum(np.abs(out * self.u)))
        if x is not None and np.shape(a) == x.shape:
            size += float(np.sum(np.abs(a * x)))
        return NOISE * size / self.eps

    def small(self, j):
        return self.xs is not None and j is not None and self.xs[j].size <= self.max_full

    def jacobian(self, xs, j):
        """d f / d x_j by central differences: (out.size, x_j.size), or None."""
        key = (j,) + tuple(id(x) for x in xs)
        if key in self._jacobians:
            return self._jacobians[key][0]
        if xs[j].size == 0:
            return None
        x = xs[j].copy()
        flat = x.reshape(-1)
        columns = []
        for k in range(x.size):
            old = flat[k]
            flat[k] = old + self.eps
            up = flat[k] - old
            plus = self._call(xs[:j] + [x] + xs[j + 1:])
            flat[k] = old - self.eps
            down = old - flat[k]
            minus = self._call(xs[:j] + [x] + xs[j + 1:])
            flat[k] = old
            if plus is None or minus is None or plus.shape != minus.shape:
                self._jacobians[key] = (None, xs)
                return None
            columns.append(((plus - minus) / (up + down)).reshape(-1))
        J = np.stack(columns, axis=1)
        self._jacobians[key] = (J, xs)   # xs kept alive: the key holds their ids
        return J

    def reference(self, xs=None, u=None, j="same", tangents=None):
        """The right result of a (changed) problem, a full array; None when it cannot be
        computed cheaply (vjp of a large input: use `agrees`)."""
        if self.f is None or self.xs is None:
            return None
        xs = self.xs if xs is None else xs
        if self.mode == "jvp":
            ts = self.t if tangents is None else tangents
            if ts is None:
                return None
            plus = self._call([x + self.eps * t for x, t in zip(xs, ts)])
            minus = self._call([x - self.eps * t for x, t in zip(xs, ts)])
            if plus is None or minus is None or plus.shape != minus.shape:
                return None
            return (plus - minus) / (2 * self.eps)
        j = self.i if j == "same" else j
        u = self.u if u is None else u
        if u is None or j is None or not self.small(j):
            return None
        J = self.jacobian(xs, j)
        if J is None or J.shape[0] != u.size and u.size != 1:
            return None
        uf = np.broadcast_to(u, (J.shape[0],)) if u.size == 1 else u.reshape(-1)
        return (uf @ J).reshape(xs[j].shape)

    def agrees(self, a, xs=None, u=None, j="same"):
        """Is `a` the gradient of L = sum(f(*xs) * u) with respect to x_j? Tested along
        NUM_DIRECTIONS random directions (vjp mode, any size of input)."""
        if self.f is None or self.xs is None or self.mode != "vjp":
            return False
        xs = self.xs if xs is None else xs
        u = self.u if u is None else u
        j = self.i if j == "same" else j
        if u is None or j is None or np.shape(a) != xs[j].shape or not np.all(np.isfinite(a)):
            return False
        out = self._call(xs)
        if out is None or (out.shape != u.shape and u.size != 1):
            return False
        atol = max(self.atol, NOISE * (float(np.sum(np.abs(out * u)))
                                       + float(np.sum(np.abs(a * xs[j])))) / self.eps)
        rng = np.random.default_rng(self.seed + 7919)
        for _ in range(NUM_DIRECTIONS):
            d = rng.uniform(-1.0, 1.0, size=xs[j].shape)
            derivative = self._directional(xs, u, j, d)
            if derivative is None or not _close(float(np.sum(a * d)), derivative, self.rtol,
                                                atol):
                return False
        return True

    def _directional(self, xs, u, j, d):
        plus = self._call(xs[:j] + [xs[j] + self.eps * d] + xs[j + 1:])
        minus = self._call(xs[:j] + [xs[j] - self.eps * d] + xs[j + 1:])
        if plus is None or minus is None:
            return None
        return float(np.sum((plus - minus) * u)) / (2 * self.eps)

    def close(self, a, b):
        """Element-wise agreement, True where b (or the expected) is not checked."""
        close = _close(a, b, self.rtol, self.atol)
        return close | ~self.checked if close.shape == self.checked.shape else close

    def all_close(self, a, b):
        return np.shape(a) == np.shape(b) and bool(np.all(self.close(a, b)))

    def is_truth(self, a):
        """Is `a` the right result? Against expected, else along random directions."""
        if self.e is not None:
            return self.all_close(a, self.e)
        return self.agrees(a)

    def explained_by(self, **problem):
        """(fits, prediction): does got equal the right result of the changed problem?

        With full arrays, a change that does not change the right result is no evidence.
        Along random directions got is known to be wrong, so agreeing with the changed problem
        already shows that its answer differs from the right one."""
        prediction = self.reference(**problem)
        if prediction is not None:
            if self.e is not None and self.all_close(prediction, self.e):
                return False, prediction
            return self.all_close(self.g, prediction), prediction
        if self.mode == "vjp" and self.e is None and "tangents" not in problem:
            return self.agrees(self.g, **problem), None
        return False, None

    def worst(self, expected, count=2):
        """Flat indices of the elements furthest off `expected`, worst first."""
        excess = _excess(expected, self.g, self.rtol, self.atol)
        excess = np.where(self.checked, excess, 0.0).ravel()
        order = np.argsort(-excess, kind="stable")
        return [int(k) for k in order[:count] if excess[k] > 1.0]

    def largest(self, expected, count=1):
        """Flat indices where `expected` is largest (the clearest examples)."""
        values = np.where(self.checked, np.abs(expected), -1.0).ravel()
        return [int(k) for k in np.argsort(-values, kind="stable")[:count]]

    # --- hypotheses for a result of the wrong shape ---

    def unreduced_broadcast(self):
        if not _broadcasts_to(self.shape, self.g.shape):
            return None
        axes, summed = _unbroadcast(self.g, self.shape)
        if not np.all(np.isfinite(summed)) or not self.is_truth(summed):
            return None
        lead = self.g.ndim - len(self.shape)
        leading = [a for a in axes if a < lead]
        stretched = [a - lead for a in axes if a >= lead]
        code = "".join([f".sum(axis={_axes(leading)})" if leading else "",
                        f".sum(axis={_axes(stretched)}, keepdims=True)" if stretched else ""])
        where = "axis" if len(axes) == 1 else "axes"
        summary = (f"{self.d} must have the shape of {self.of}, {self.shape}, but has shape "
                   f"{self.g.shape}, the broadcast shape; summed over {where} "
                   f"{', '.join(map(str, axes))} it is right.")
        hint = HINTS["unreduced_broadcast"].format(of=self.of, d=self.d, code=code)
        return "unreduced_broadcast", summary, [], hint, {"axes": tuple(axes)}

    def transposed_shape(self):
        if self.g.ndim < 2 or np.swapaxes(self.g, -1, -2).shape != self.shape:
            return None
        flipped = np.swapaxes(self.g, -1, -2)
        if not np.all(np.isfinite(flipped)) or not self.is_truth(flipped):
            return None
        summary = (f"{self.d} must have the shape of {self.of}, {self.shape}, but has shape "
                   f"{self.g.shape}: it is the transpose of the right gradient.")
        return "transpose", summary, [], HINTS["transpose"], {"transposed": True}

    def swapped_shape(self):
        if self.mode != "vjp" or self.xs is None or self.i is None:
            return None
        for j, x in enumerate(self.xs):
            if j == self.i or x.shape != self.g.shape or not np.all(np.isfinite(self.g)):
                continue
            fits, _ = self.explained_by(j=j)
            if fits:
                summary = (f"{self.d} must have the shape of {self.of}, {self.shape}, but has the "
                           f"shape of {self.input_word(j)}, {x.shape}, and is the right "
                           f"{self.d_of(j)}: the gradients are swapped.")
                return "swapped_inputs", summary, [], HINTS["swapped_inputs"], {"other": j}
        return None

    def wrong_shape(self):
        why = "" if self.mode == "jvp" else f" (one number per element of {self.of})"
        summary = (f"{self.d} must have the shape of {self.of}, {self.shape}, but has shape "
                   f"{self.g.shape}{why}.")
        spread = self._spread()
        if spread:
            summary += f" {spread}"
        if _broadcasts_to(self.shape, self.g.shape):
            hint = HINTS["broadcast"].format(of=self.of, d=self.d)
        elif self.mode == "jvp":
            hint = "The output tangent has the shape of the output f(*inputs)."
        else:
            hint = HINTS["shape"]
        return "shape", summary, [], hint, {}

    def _spread(self):
        """For a result that numpy would broadcast to the right shape (a plain number, say):
        what it would be, spread to that shape."""
        try:
            if np.broadcast_shapes(self.g.shape, self.shape) != self.shape or self.e is None:
                return ""
        except ValueError:
            return ""
        spread = np.broadcast_to(self.g, self.shape)
        if self.all_close(spread, self.e):
            return "Spread to that shape it is right (e.g. multiply by np.ones_like(x))."
        tests = (self.nonfinite, self.zero, self.sign, self.missing_upstream, self.scale)
        original, self.g = self.g, np.array(spread)
        try:
            for test in tests:
                found = test()
                if found is not None:
                    return f"Spread to that shape it is still wrong: {WORDS[found[0]]}."
        finally:
            self.g = original
        return ""

    # --- hypotheses for a result of the right shape ---

    def nonfinite(self):
        bad = np.flatnonzero(~np.isfinite(self.g))
        if bad.size == 0:
            return None
        shown = [int(k) for k in bad[:3]]
        summary = (f"{bad.size} of {self.g.size} {self.noun}s of {self.d} "
                   f"{'is' if bad.size == 1 else 'are'} not finite"
                   f"{', for example:' if len(shown) > 1 else ':'}")
        if self.g.size == 1:
            summary = f"{self.d} is not finite:"
        details = [self.example(k) for k in shown]
        return "nonfinite", summary, details, HINTS["nonfinite"], {"index": self.index(shown[0])}

    def zero(self):
        if np.any(self.g != 0):
            return None
        if self.e is not None:
            nonzero = self.checked & (_excess(self.e, 0.0, self.rtol, self.atol) > 1.0)
            if not nonzero.any():
                return None
            k = self.largest(np.where(nonzero, self.e, 0.0))[0]
            where = f"{self.element(k)}: " if self.g.size > 1 else ""
            example = f" (e.g. {where}expected {_num(self.e.ravel()[k])})"
        elif self.agrees(self.g):
            return None
        elif self.f is None:
            return None
        else:
            k, example = None, ""
        hint = HINTS["zero_jvp"] if self.mode == "jvp" else HINTS["zero"]
        summary = f"{self.d} is 0{self.everywhere()}, but the right one is not{example}."
        return "zero", summary, [], hint, {"index": None if k is None else self.index(k)}

    def known(self, candidates):
        """The caller's known mistakes: {kind: array} or {kind: (array, explanation[, hint])}."""
        for kind, candidate in (candidates or {}).items():
            if kind not in KINDS:
                raise ValueError(f"unknown kind of mistake {kind!r}: use one of {KINDS}")
            explanation, hint = None, HINTS.get(kind, "")
            if isinstance(candidate, tuple):
                candidate, explanation, *rest = candidate
                hint = rest[0] if rest else hint
            candidate = np.asarray(candidate, dtype=np.float64)
            if candidate.shape != self.g.shape or not self.all_close(self.g, candidate):
                continue
            if self.e is not None and self.all_close(candidate, self.e):
                continue
            k = (self.worst(self.e) or [0])[0] if self.e is not None else 0
            summary = explanation or WORDS[kind]
            if self.labels is None:
                summary = f"{self.d}: {summary}"
            details = [self.example(k)] if self.e is not None else []
            return kind, summary + ".", details, hint, {"index": self.index(k),
                                                       "candidate": True}
        return None

    def sign(self):
        if not self.is_truth(-self.g):
            return None
        where = self.everywhere() if self.e is not None else ""
        return self._multiple(-1.0, "sign", f"is exactly -1 times the right one{where}",
                              HINTS["sign"], {"factor": -1.0})

    def _multiple(self, factor, kind, phrase, hint, evidence):
        """A result for got = factor * right, with one example."""
        if self.e is None:
            summary = (f"{self.d} {phrase} (checked along {NUM_DIRECTIONS} random "
                       f"directions).")
            return kind, summary, [], hint, evidence
        k = self.largest(self.e)[0]
        where = "" if self.g.size == 1 else f"e.g. {self.element(k)}: "
        summary = (f"{self.d} {phrase} ({where}expected {_num(self.e.ravel()[k])}, "
                   f"got {_num(self.g.ravel()[k])}).")
        if self.labels is not None:
            summary = (f"Every {self.noun}'s gradient {phrase.replace('is ', 'is ', 1)} (e.g. "
                       f"{self.element(k)}: expected {_num(self.e.ravel()[k])}, got "
                       f"{_num(self.g.ravel()[k])}).")
        return kind, summary, [], hint, dict(evidence, index=self.index(k))

    def transpose(self):
        if self.g.ndim < 2 or self.g.shape[-1] != self.g.shape[-2]:
            candidates = []
        else:
            candidates = [(np.swapaxes(self.g, -1, -2), None)]
        if self.mode == "vjp" and self.xs is not None and self.i is not None:
            for j, x in enumerate(self.xs):
                if j != self.i and x.ndim >= 2 and x.shape[-1] == x.shape[-2] \
                        and not np.allclose(x, np.swapaxes(x, -1, -2)):
                    candidates.append((None, j))
        if self.mode == "jvp" and self.t is not None and self.i is not None:
            t = self.t[self.i]
            if t.ndim >= 2 and t.shape[-1] == t.shape[-2]:
                candidates.append((None, "tangent"))
        for flipped, j in candidates:
            if j is None:
                if np.allclose(flipped, self.g) or not self.is_truth(flipped):
                    continue
                if self.e is None:
                    summary = (f"{self.d} is the transpose of the right one (checked along "
                               f"{NUM_DIRECTIONS} random directions).")
                    return "transpose", summary, [], HINTS["transpose"], {"transposed": True}
                k = self._off_diagonal_example()
                a = self.index(k)
                b = a[:-2] + (a[-1], a[-2])
                summary = (f"{self.d} is the transpose of the right one: {self.element(k)} = "
                           f"{_num(self.g.ravel()[k])} is the right value of "
                           f"[{', '.join(map(str, b))}] ({_num(self.e[b])}), and the other way "
                           f"round.")
                return "transpose", summary, [], HINTS["transpose"], {"index": a}
            if j == "tangent":
                ts = list(self.t)
                ts[self.i] = np.swapaxes(ts[self.i], -1, -2)
                fits, _ = self.explained_by(tangents=ts)
                if fits:
                    moving = self._name(self.i) or f"input {self.i}"
                    summary = (f"{self.d} is what the right rule gives with the tangent of "
                               f"{moving} transposed (like x @ dW.T instead of x @ dW).")
                    details = [self.example(k) for k in self.worst(self.e)[:1]]
                    return "transpose", summary, details, HINTS["transpose"], {"tangent": True}
                continue
            xs = list(self.xs)
            xs[j] = np.swapaxes(xs[j], -1, -2)
            fits, prediction = self.explained_by(xs=xs)
            if fits:
                other = self._name(j) or f"input {j}"
                summary = (f"{self.d} is what the right rule gives with {other} transposed: a "
                           f"matmul uses {other} where it needs {other}.T (or the other way "
                           f"round).")
                details = [self.example(k) for k in self.worst(self.e)[:1]] \
                    if self.e is not None else []
                return "transpose", summary, details, HINTS["transpose"], {"operand": j}
        return None

    def _off_diagonal_example(self):
        rows, cols = self.shape[-2], self.shape[-1]
        best, value = 0, -1.0
        for k in range(self.g.size):
            a = self.index(k)
            if a[-1] != a[-2] and self.checked.ravel()[k] and abs(self.g.ravel()[k]) > value:
                best, value = k, abs(self.g.ravel()[k])
        return best

    def missing_upstream(self):
        if self.mode == "jvp":
            return self._missing_tangent()
        u = self.u
        if u is None or np.all(u == 1.0):
            return None
        fits, prediction = False, None
        if self.f is not None and self.xs is not None and self.i is not None:
            fits, prediction = self.explained_by(u=np.ones_like(u))
        elif self.e is not None and (u.size == 1 or u.shape == self.shape) and np.all(u != 0):
            prediction = self.e / u            # element-wise (or a scalar upstream)
            fits = self.all_close(self.g, prediction)
        if not fits:
            return None
        summary = (f"{self.d} is the local gradient alone: it is the right answer for an "
                   f"upstream gradient of 1, but the upstream gradient was not multiplied in")
        evidence = {}
        if u.size > 1 and np.all(u == u.reshape(-1)[0]):
            # the same upstream everywhere: a factor 1/u fits as well; say so
            summary += (f" (the upstream gradient is {_num(u.reshape(-1)[0])} everywhere here, "
                        f"so this is also a constant factor)")
            evidence["also"] = "scale"
        details = []
        if self.e is not None:
            k = self.largest(self.e)[0]
            details = [self.example(k)]
            if u.size == 1 or u.shape == self.shape:
                uk = float(u.reshape(-1)[0 if u.size == 1 else k])
                details = [f"  {self.element(k)}: expected {_num(self.e.ravel()[k])} = local "
                           f"{_num(self.g.ravel()[k])} x upstream {_num(uk)}, got "
                           f"{_num(self.g.ravel()[k])}"]
        return "missing_upstream", summary + ".", details, HINTS["missing_upstream"], evidence

    def _missing_tangent(self):
        if self.t is None or self.xs is None:
            return None
        moving = range(len(self.xs)) if self.i is None else [self.i]
        ones = [np.ones_like(t) if j in moving else np.zeros_like(t)
                for j, t in enumerate(self.t)]
        if all(np.array_equal(a, b) for a, b in zip(ones, self.t)):
            return None
        fits, prediction = self.explained_by(tangents=ones)
        if not fits:
            return None
        summary = (f"{self.d} is the local derivative alone: it is the right answer for a tangent "
                   f"of ones, but the incoming tangent was not multiplied in.")
        k = self.largest(self.e)[0]
        return "missing_upstream", summary, [self.example(k)], HINTS["missing_tangent"], {}

    def swapped_inputs(self):
        if self.xs is None or len(self.xs) < 2 or self.i is None:
            return None
        for j, x in enumerate(self.xs):
            if j == self.i or x.shape != self.xs[self.i].shape:
                continue
            if self.mode == "vjp":
                fits, prediction = self.explained_by(j=j)
            else:
                ts = [np.zeros_like(t) for t in self.t]
                ts[j] = self.t[self.i]
                fits, prediction = self.explained_by(tangents=ts)
            if not fits:
                continue
            if self.mode == "vjp":
                summary = (f"{self.d} is the right {self.d_of(j)}: {self.of} got the rule meant "
                           f"for {self._name(j) or f'input {j}'}")
                back = self._other_swapped(j)
                summary += (", and the other way round" if back else "") + "."
            else:
                summary = (f"{self.d} is what moving {self.input_word(j)} along the same "
                           f"tangent gives: the terms of the two inputs are swapped.")
            details = []
            if self.e is not None and prediction is not None:
                k = self.largest(self.e)[0]
                what = self.d_of(j) if self.mode == "vjp" else \
                    f"tangent when {self._name(j) or f'input {j}'} moves"
                details = [self.example(k, note=f" (the right {what}: "
                                                f"{_num(prediction.ravel()[k])})")]
            return "swapped_inputs", summary, details, HINTS["swapped_inputs"], {"other": j}
        return None

    def _other_swapped(self, j):
        """Did the other input get this one's rule too (the student's grads in `others`)?"""
        if self.others is None or j >= len(self.others) or self.e is None:
            return False
        other = np.asarray(self.others[j], dtype=np.float64)
        return other.shape == self.e.shape and bool(np.all(
            _close(other, self.e, self.rtol, self.atol) | ~self.checked))

    def output_for_input(self):
        """f element-wise in its only input: got = upstream * f'(f(x)), or = upstream * h(x)
        where f'(x) = h(f(x)) (a rule written with the output, given the input)."""
        if self.f is None or self.xs is None or len(self.xs) != 1:
            return None
        x = self.xs[0]
        out = self.out()
        if out is None or out.shape != x.shape:
            return None
        factor = self.u if self.mode == "vjp" else self.t[0]
        if factor is None or factor.shape != x.shape and factor.size != 1:
            return None
        local = self._local_derivative(x)
        if local is None or not self.is_truth(factor * local):
            return None                          # f is not element-wise
        details = []
        if self.e is not None:
            details = [self.example(self.largest(self.e)[0])]
        at_output = self._local_derivative(out) if np.all(np.isfinite(out)) else None
        if at_output is not None and self.all_close(self.g, factor * at_output):
            summary = (f"{self.d} uses the local derivative at the output, f'(f(x)), instead of "
                       f"at the input, f'(x) (like sigmoid'(sigmoid(x))).")
            return ("output_for_input", summary, details, HINTS["output_at_output"],
                    {"at": "output"})
        polynomial = self._derivative_from_output(x)
        if polynomial is not None and self.all_close(self.g, factor * polynomial(x)):
            summary = (f"{self.d} uses a rule written with the output y = f(x), but with the "
                       f"input x in it (like 1 - x**2 for tanh, where 1 - tanh(x)**2 is "
                       f"needed).")
            return ("output_for_input", summary, details, HINTS["output_at_input"],
                    {"at": "input"})
        return None

    def _local_derivative(self, z):
        """f'(z) element by element, from one pair of evaluations (f element-wise), or None."""
        rng = np.random.default_rng(self.seed + 31)
        d = rng.uniform(0.5, 1.5, size=z.shape) * rng.choice([-1.0, 1.0], size=z.shape)
        plus, minus = self._call([z + self.eps * d]), self._call([z - self.eps * d])
        if plus is None or minus is None or plus.shape != z.shape or minus.shape != z.shape:
            return None
        with np.errstate(all="ignore"):
            local = (plus - minus) / ((z + self.eps * d) - (z - self.eps * d))
        return local if np.all(np.isfinite(local)) else None

    def _derivative_from_output(self, x):
        """h with f'(z) = h(f(z)), when h is a polynomial of degree <= 3 (tanh: 1 - y**2,
        sigmoid: y - y**2, exp: y), fitted on sample points; None otherwise."""
        points = np.concatenate([np.linspace(-2.0, 2.0, 9), np.linspace(0.1, 3.0, 7)])
        ys, slopes = [], []
        for start in range(0, points.size, x.size):
            chunk = points[start:start + x.size]
            z = np.full(x.shape, chunk[0])
            z.reshape(-1)[:chunk.size] = chunk
            y, local = self._call([z]), self._local_derivative(z)
            if y is None or local is None or y.shape != x.shape:
                return None
            if x.size > 1:                       # the same function at every position?
                same = self._call([np.full(x.shape, chunk[0])])
                if same is None or not np.allclose(same, y.flat[0], equal_nan=True):
                    return None
            ys.append(y.reshape(-1)[:chunk.size])
            slopes.append(local.reshape(-1)[:chunk.size])
        y, slope = np.concatenate(ys), np.concatenate(slopes)
        keep = np.isfinite(y) & np.isfinite(slope) & (np.abs(y) < 1e6)
        y, slope = y[keep], slope[keep]
        if np.unique(np.round(y, 12)).size < 6:
            return None
        scale = max(float(np.max(np.abs(slope))), 1e-12)
        for degree in (1, 2, 3):
            poly = np.polynomial.Polynomial.fit(y, slope, degree)
            if np.max(np.abs(poly(y) - slope)) <= 1e-6 * scale:
                return poly
        return None

    def not_accumulated(self):
        """Where an element of x feeds several outputs (vjp) or an output is fed by several
        elements (jvp), got kept exactly one of the contributions instead of their sum."""
        if self.e is None or self.f is None or self.xs is None:
            return None
        if self.mode == "vjp":
            if self.i is None or not self.small(self.i) or self.u is None:
                return None
            J = self.jacobian(self.xs, self.i)
            if J is None:
                return None
            u = np.broadcast_to(self.u, (J.shape[0],)) if self.u.size == 1 else self.u.ravel()
            parts = (J * u[:, None]).T                       # [element k, use o]
        else:
            if self.t is None:
                return None
            moving = range(len(self.xs)) if self.i is None else [self.i]
            blocks = []
            for j in moving:
                if self.xs[j].size > self.max_full:
                    return None
                J = self.jacobian(self.xs, j)
                if J is None:
                    return None
                blocks.append(J * self.t[j].ravel()[None, :])
            parts = np.concatenate(blocks, axis=1)           # [output o, input element k]
        g = self.g.ravel()
        checked, right = self.checked.ravel(), self.close(self.g, self.e).ravel()
        size = np.max(np.abs(parts), axis=1, initial=0.0)
        used = np.abs(parts) > (self.rtol * size[:, None] + self.atol)
        example, kept = None, {"first", "last"}
        for k in range(g.size):
            if not checked[k] or right[k]:
                continue
            uses = parts[k][used[k]]
            if uses.size < 2:
                return None
            match = _close(g[k], uses, self.rtol, self.atol)
            # an overwrite keeps the last use written (or the first, walking backwards)
            kept &= {"first"} if match[0] and not match[-1] else (
                {"last"} if match[-1] and not match[0] else
                ({"first", "last"} if match[0] else set()))
            if not kept:
                return None
            if example is None:
                example = (k, uses)
        if example is None:
            return None
        k, uses = example
        where = (f"where an element of {self.of} is used more than once (fan-out)" if
                 self.mode == "vjp" else "where several inputs contribute to one output")
        summary = (f"{self.d} kept only one of the incoming contributions {where}: they must "
                   f"be added.")
        shown = " + ".join(_num(v) for v in uses[:4]) + (" + ..." if uses.size > 4 else "")
        details = [self.example(k, note=f" (the sum of {uses.size} contributions: {shown})")]
        return "not_accumulated", summary, details, HINTS["not_accumulated"], {
            "index": self.index(k)}

    def scale(self):
        if self.e is None:
            return self._scale_directional()
        significant = self.checked & (_excess(self.e, 0.0, self.rtol, self.atol) > 1.0)
        count = int(significant.sum())
        if count == 0:
            return None
        e, g = self.e[significant], self.g[significant]
        k = float(np.sum(g * e) / np.sum(e * e))
        if not np.isfinite(k) or k == 0 or abs(k - 1) <= 10 * self.rtol:
            return None
        if not self.all_close(self.g, k * np.where(self.checked, self.e, 0.0)):
            return None
        text = _factor(k)
        if count < 2 and not _plain_factor(k):
            return None
        return self._multiple(k, "scale", f"is exactly {text} times the right one"
                              f"{self.everywhere()}{self._dimension(k)}", HINTS["scale"],
                              {"factor": _rounded(k)})

    def _scale_directional(self):
        if self.f is None or self.mode != "vjp" or self.u is None or self.i is None:
            return None
        rng = np.random.default_rng(self.seed + 4242)
        d = rng.uniform(-1.0, 1.0, size=self.g.shape)
        derivative = self._directional(self.xs, self.u, self.i, d)
        if derivative is None or derivative == 0:
            return None
        k = float(np.sum(self.g * d)) / derivative
        if not np.isfinite(k) or k == 0 or abs(k - 1) <= 10 * self.rtol:
            return None
        if not self.agrees(self.g / k):
            return None
        return self._multiple(k, "scale", f"is {_factor(k)} times the right one"
                              f"{self._dimension(k)}", HINTS["scale"], {"factor": _rounded(k)})

    def _dimension(self, k):
        """", and 5 is the size of axis 0 of x" when k or 1/k is an axis size (3 or more) of an
        input or the output: a batch size or a mean's count."""
        for value in (k, 1 / k):
            n = round(value)
            if n < 3 or abs(value - n) > 1e-6 * n:
                continue
            arrays = [(self._name(j) or f"input {j}", x) for j, x in enumerate(self.xs or [])]
            out = self.out()
            if out is not None:
                arrays.append(("the output", out))
            elif self.u is not None and self.mode == "vjp":
                arrays.append(("the output", self.u))
            for what, a in arrays:
                for axis, size in enumerate(np.shape(a)):
                    if size == n:
                        return f", and {n} is the size of axis {axis} of {what}"
        return ""

    def partial(self):
        if self.e is None:
            return None
        right = self.close(self.g, self.e) & self.checked
        wrong = self.checked & ~right
        n_right, n_wrong = int(right.sum()), int(wrong.sum())
        if n_right == 0 or n_wrong == 0:
            return None
        pattern, masked_by = self._pattern(wrong)
        there = self._wrong_values(wrong)
        total = int(self.checked.sum())
        subject = "The gradients are" if self.labels is not None else f"{self.d} is"
        where = f"wrong exactly {pattern}" if pattern else f"wrong on {n_wrong}"
        summary = (f"{subject} right on {n_right} of {total} {self.noun}s and {where}"
                   + (f"; there {there}" if there else "")
                   + (", for example:" if n_wrong > 1 else ":"))
        shown = self.worst(self.e, count=min(3, n_wrong))
        details = [self.example(k, note=self._input_note(k, masked_by)) for k in shown]
        hint = HINTS["partial_mask"] if masked_by is not None else (
            HINTS["partial_index"] if pattern else HINTS["partial"])
        return "partial", summary, details, hint, {
            "index": self.index(shown[0]) if shown else None, "pattern": pattern,
            "wrong": n_wrong}

    def _pattern(self, wrong):
        """(words, inputs used) for the wrong elements when a simple rule selects exactly
        them: a condition on the inputs, zeros, one row or column, the diagonal, every n-th."""
        checked = self.checked

        def same(mask):
            return bool(np.all((mask == wrong) | ~checked))

        if self.xs is not None:
            names = [self._name(j) or ("x" if len(self.xs) == 1 else f"input {j}")
                     for j in range(len(self.xs))]
            fitting = [(j, x) for j, x in enumerate(self.xs) if x.shape == self.shape]
            for j, x in fitting:
                for mask, words in ((x == 0, "== 0"), (x <= 0, "<= 0"), (x < 0, "< 0"),
                                    (x >= 0, ">= 0"), (x > 0, "> 0")):
                    if mask.any() and same(mask):
                        return f"where {names[j]} {words}", [j]
            for a, (j, x) in enumerate(fitting):
                for k, y in fitting[a + 1:]:
                    for mask, words in ((x == y, "=="), (x > y, ">"), (x < y, "<"),
                                        (x >= y, ">="), (x <= y, "<=")):
                        if mask.any() and same(mask):
                            return f"where {names[j]} {words} {names[k]}", [j, k]
        if self.labels is not None or not self.shape:
            return "", None
        ndim = len(self.shape)
        for axis, size in enumerate(self.shape):
            if size < 2:
                continue
            position = np.indices(self.shape)[axis]
            if ndim == 1:
                word = "element"
            elif ndim == 2:
                word = ("row", "column")[axis]
            else:
                word = f"position along axis {axis},"
            for r in (0, size - 1) + tuple(range(1, size - 1)):
                name = f"the last {word}" if r == size - 1 else f"{word} {r}"
                if same(position == r):
                    return (f"at {name}" if word == "element" else f"in {name}"), None
                if same(position != r):
                    return f"everywhere except {name}", None
        if ndim == 2 and self.shape[0] == self.shape[1]:
            rows, cols = np.indices(self.shape)
            if same(rows == cols):
                return "on the diagonal", None
            if same(rows != cols):
                return "off the diagonal", None
        if same(self.e == 0):
            return "where the right value is 0", None
        if same(self.g == 0):
            return "where yours is 0", None
        flat = np.flatnonzero(wrong.ravel())
        if flat.size >= 2:
            step = int(flat[1] - flat[0])
            every = np.zeros(self.g.size, dtype=bool)
            every[flat[0]::step] = True
            if step > 1 and same(every.reshape(self.shape)):
                return (f"at every {_ordinal(step)} {self.noun}, from flat index {flat[0]}",
                        None)
        return "", None

    def _wrong_values(self, wrong):
        g, e = self.g[wrong], self.e[wrong]
        if np.all(g == 0):
            return "it is 0"
        if np.all(e == 0):
            return "it should be 0"
        if np.all(_close(g, -e, self.rtol, self.atol)):
            return "it has the wrong sign"
        nonzero = np.abs(e) > 0
        if nonzero.any():
            ratios = g[nonzero] / e[nonzero]
            k = float(ratios[0])
            if np.all(_close(g, k * e, self.rtol, self.atol)) and k != 0:
                return f"it is {_factor(k)} times the right value"
        return ""

    def _input_note(self, k, masked_by):
        if not masked_by or self.xs is None:
            return ""
        names = [self._name(j) or ("x" if len(self.xs) == 1 else f"input {j}")
                 for j in range(len(self.xs))]
        return " (" + ", ".join(f"{names[j]} = {_num(self.xs[j].ravel()[k])}"
                               for j in masked_by) + ")"

    def unknown(self):
        if self.e is None:
            summary = (f"{self.d} disagrees with finite differences, and no simple mistake "
                       f"(sign, factor, transpose, missing upstream gradient) explains it.")
            return "unknown", summary, [], HINTS["directional"], {}
        shown = self.worst(self.e, count=3)
        n_wrong = int(np.sum(~self.close(self.g, self.e)))
        summary = (f"{n_wrong} of {self.g.size} {self.noun}s of {self.d} disagree with the right "
                   f"values{', for example:' if len(shown) > 1 else ':'}")
        if self.labels is not None:
            summary = (f"{n_wrong} of {self.g.size} {self.noun}s have the wrong gradient"
                       f"{', for example:' if len(shown) > 1 else ':'}")
        details = []
        for number, k in enumerate(shown):
            note = ""
            if number == 0:
                error = _rel_error(self.e.ravel()[k], self.g.ravel()[k])
                note = f" (relative error {error:.2g}, tolerance {self.rtol:g})"
            details.append(self.example(k, note=note))
        return "unknown", summary, details, HINTS["unknown"], {
            "index": self.index(shown[0]) if shown else None}


# --- scalar graphs (the backward traversal) ---------------------------------------------------

class _Graph:
    """A scalar graph: course.Value (`_parents`, `_local_grads`, `data`) or nodes with
    `parents`, `local_grads` and `value` (the notebook's Node)."""

    def __init__(self, root):
        if hasattr(root, "_local_grads"):
            self.parents_of, self.locals_of = "_parents", "_local_grads"
        elif hasattr(root, "local_grads"):
            self.parents_of, self.locals_of = "parents", "local_grads"
        else:
            raise TypeError("diagnose_traversal needs nodes with parents and local gradients "
                            "(course.Value, or `parents` and `local_grads` attributes)")
        self.root = root
        self.order = self._topological_order(root)

    def parents(self, node):
        return tuple(getattr(node, self.parents_of))

    def local_grads(self, node):
        return tuple(float(v) for v in getattr(node, self.locals_of))

    @staticmethod
    def grad(node):
        value = getattr(node, "grad", None)
        try:
            return float(value)
        except (TypeError, ValueError):
            return float("nan")

    def _topological_order(self, root):
        order, visited, stack = [], set(), [(root, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in self.parents(node):
                if id(parent) not in visited:
                    stack.append((parent, False))
        return order

    def backward(self, order, walk_forward=False):
        grads = {id(n): 0.0 for n in order}
        grads[id(self.root)] = 1.0
        for node in (order if walk_forward else reversed(order)):
            for parent, local in zip(self.parents(node), self.local_grads(node)):
                grads[id(parent)] += local * grads[id(node)]
        return grads

    def labels(self):
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
                    f" (value {_num(value)})" if value is not None else ""))
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


def _overwrites(graph, got, expected, rtol):
    """(summary, details, evidence) when every node holds either the sum of its incoming
    contributions (computed from the student's gradients of the nodes that use it) or exactly
    one of them, and some node used several times holds one: `=` instead of `+=`."""
    grads = {id(n): g for n, g in zip(graph.order, got)}
    labels = dict(zip((id(n) for n in graph.order), graph.labels()))
    users_of = graph.users()
    example = None
    for node in reversed(graph.order):      # the example: the first from the root
        users = users_of[id(node)]
        if node is graph.root:
            if not _close(grads[id(node)], 1.0, rtol, 0.0):
                return None
            continue
        parts = np.array([local * grads[id(child)] for child, local in users])
        mine = grads[id(node)]
        if _close(mine, float(np.sum(parts)), rtol, 0.0):
            continue
        if parts.size < 2 or not np.any(_close(mine, parts, rtol, 0.0)):
            return None
        if example is None:
            example = (node, parts)
    if example is None:
        return None
    node, parts = example
    k = next(k for k, n in enumerate(graph.order) if n is node)
    shown = " + ".join(_num(p) for p in parts[:4]) + (" + ..." if parts.size > 4 else "")
    summary = (f"{labels[id(node)]} is used by {parts.size} gates but its grad holds only one "
               f"of their contributions: they must be added (overwritten instead of accumulated).")
    details = [f"  {labels[id(node)]}: the contributions are {shown} = "
               f"{_num(float(np.sum(parts)))}, grad is {_num(got[k])}"]
    return summary, details, {"node": labels[id(node)], "index": (k,)}


# --- small helpers ----------------------------------------------------------------------------

def _pick_hint(hint, kind, generic):
    if isinstance(hint, dict):
        return hint.get(kind, hint.get("default", generic))
    return hint if hint else generic


def _excess(expected, got, rtol, atol):
    """|expected - got| as a multiple of the tolerance (the checker's); NaN expected: 0."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = atol + rtol * np.maximum(1e-8, np.abs(expected) + np.abs(got))
        return np.nan_to_num(np.abs(expected - got) / bound, nan=0.0, posinf=np.inf)


def _close(a, b, rtol, atol):
    """a and b agree to the checker's tolerance, element-wise; a NaN in b counts as agreeing
    (not checked), anything not finite in a does not."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = atol + rtol * np.maximum(1e-8, np.abs(a) + np.abs(b))
        ok = np.abs(a - b) <= bound
    return (ok & np.isfinite(a)) | np.isnan(b)


def _rel_error(a, b):
    return float(abs(a - b) / max(1e-8, abs(a) + abs(b)))


def _broadcasts_to(shape, bigger):
    try:
        return np.broadcast_shapes(tuple(shape), tuple(bigger)) == tuple(bigger) != tuple(shape)
    except ValueError:
        return False


def _unbroadcast(g, shape):
    """(axes summed, g summed back to `shape`): leading axes, and axes where shape has 1."""
    lead = g.ndim - len(shape)
    axes = list(range(lead)) + [lead + a for a, n in enumerate(shape)
                                if n == 1 and g.shape[lead + a] != 1]
    summed = g.sum(axis=tuple(axes), keepdims=True) if axes else g
    return axes, summed.reshape(shape)


def _axes(axes):
    return str(axes[0]) if len(axes) == 1 else str(tuple(axes))


def _num(value):
    value = float(value) + 0.0
    return f"{value:.4g}"


def _factor(k):
    """k as a plain number: "2", "1/2", "3/2", "-1/4", else 4 significant digits."""
    for q in range(1, 13):
        p = round(k * q)
        if p != 0 and abs(k - p / q) <= 1e-6 * abs(k):
            return f"{p}" if q == 1 else f"{p}/{q}"
    return f"{k:.6g}"


def _plain_factor(k):
    """n or 1/n (|n| from 2 to MAX_FACTOR): a factor one number can show."""
    for value in (k, 1 / k):
        n = round(abs(value))
        if 2 <= n <= MAX_FACTOR and abs(abs(value) - n) <= 1e-6 * n:
            return True
    return False


def _rounded(k):
    text = _factor(k)
    if "/" in text:
        p, q = text.split("/")
        return int(p) / int(q)
    return round(k) if text.lstrip("-").isdigit() else k


def _ordinal(n):
    return {2: "second", 3: "third", 4: "fourth"}.get(int(n), f"{int(n)}th")
