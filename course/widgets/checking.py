"""Checking a student's gradient code inside the widgets.

A widget can take the student's own backward rule (or VJP) in place of the reference one. It then
computes three numbers for every gradient it shows: the reference (the course's engine), the
student's, and the numerical one (finite differences). Where the student's disagrees with the
reference, the widget marks it in MISMATCH_COLOR, and `describe_mismatch` says it in words.

Backward rules follow the signatures of the course's exercises (assignment 1):

    add_backward(upstream, x, y) -> (dx, dy)        sigmoid_backward(upstream, out) -> dx
    multiply_backward(upstream, x, y) -> (dx, dy)   tanh_backward(upstream, out) -> dx
    max_backward(upstream, x, y) -> (dx, dy)        exp_backward(upstream, out) -> dx
    divide_backward(upstream, x, y) -> (dx, dy)     log_backward(upstream, x) -> dx
    pow_backward(upstream, x, n) -> dx              relu_backward(upstream, x) -> dx
    copy_backward(upstream_1, upstream_2) -> dx

The gates and what each rule is given, the inputs or the output, are those of the engine's table
(`course.scalar_gates`); copy is the fan-out, where a value is used more than once. A rule whose
second parameter is named `out` (or `output`) is given the gate's output, one whose second
parameter is named `x` is given its input(s), whatever the table says. A `course.Function`
subclass (assignment 2) works too: its `forward(ctx, *inputs)` runs, then
`backward(ctx, upstream)`.
"""

import inspect
import math

import numpy as np

from course import gradcheck
from course.scalar_gates import GATES, forward_of

RTOL = 1e-6          # student vs. reference: both exact formulas, so only rounding may differ
ATOL = 1e-9
EPS = gradcheck.EPS  # finite-difference step

COPY = "copy"        # the gradients of a value used twice add up: copy_backward(u1, u2)
RULE_NAMES = (*GATES, COPY)
_ALIASES = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "pow",
            "mul": "multiply", "sub": "subtract", "div": "divide", "σ": "sigmoid"}

# Words for the kinds of mistake. The kinds are those of the course's wrong-answer bank
# (source/AUTHORING.md); a diagnosis module may name more.
MISTAKE_WORDS = {
    "sign": "the sign is flipped",
    "scale": "off by a constant factor",
    "missing_upstream": "the upstream gradient is not multiplied in",
    "swapped_inputs": "the two inputs' gradients are swapped",
    "output_for_input": "the rule uses the gate's input where it needs its output, or the "
                        "other way round",
    "not_accumulated": "the gradients of the copies are not added up",
    "zero": "it is 0 where it should not be",
    "nonfinite": "it is not a finite number",
    "shape": "it has the wrong shape",
    "transpose": "a matrix is transposed",
    "unreduced_broadcast": "a broadcast input's gradient is not summed back to its shape",
    "partial": "only some of the elements are right",
    "raised": "the rule raised an error",
}


class RuleError(Exception):
    """A student's rule could not be used: it raised, or returned something unusable."""


def gate_name(key):
    """The canonical gate name for a rules-dict key: "sigmoid_backward", "σ", "*" -> ..."""
    name = str(key)
    if name.endswith("_backward"):
        name = name[: -len("_backward")]
    name = _ALIASES.get(name, name)
    if name not in RULE_NAMES:
        raise KeyError(f"no gate named {key!r}: use one of {', '.join(RULE_NAMES)}")
    return name


def normalise_rules(rules):
    """{gate name: rule} from a user's dict (keys as accepted by `gate_name`)."""
    return {gate_name(key): rule for key, rule in (rules or {}).items() if rule is not None}


def is_function_class(rule):
    return inspect.isclass(rule) and hasattr(rule, "forward") and hasattr(rule, "backward")


def _reads(rule, default):
    """What a rule's second parameter asks for: "output", "input", or the default."""
    try:
        params = list(inspect.signature(rule).parameters)
    except (TypeError, ValueError):
        return default
    if len(params) >= 2:
        if params[1] in ("out", "output"):
            return "output"
        if params[1] == "x":
            return "input"
    return default


def call_rule(gate, rule, upstream, inputs, output, parameters=()):
    """The student's downstream gradients for one gate, as a tuple of floats, one per input.

    parameters: what the gate takes after its inputs (pow: (n,), `scalar_gates.parameters`),
    passed after them: pow_backward(upstream, x, n). Returns (gradients, forward) where
    forward is the output of a Function's forward (None for a plain rule). Raises RuleError
    with a message for a student.
    """
    forward = None
    try:
        with np.errstate(all="ignore"):
            if is_function_class(rule):
                from course.function import Context
                ctx = Context()
                forward = _as_float(rule.forward(ctx, *[np.float64(x) for x in inputs]),
                                    f"{rule.__name__}.forward")
                result = rule.backward(ctx, np.float64(upstream))
                name = f"{rule.__name__}.backward"
            else:
                reads = GATES[gate].reads if parameters else _reads(rule, GATES[gate].reads)
                if reads == "output":
                    result = rule(upstream, output)
                else:
                    result = rule(upstream, *inputs, *parameters)
                name = getattr(rule, "__name__", "your rule")
    except RuleError:
        raise
    except Exception as error:  # the student's code: report any error, never crash the widget
        raise RuleError(f"{type(error).__name__}: {error}" if str(error)
                        else type(error).__name__) from error
    parts = result if isinstance(result, (tuple, list)) else (result,)
    if len(parts) != len(inputs):
        raise RuleError(f"{name} returned {len(parts)} gradient{'s' * (len(parts) != 1)}, but "
                        f"the {gate} gate has {len(inputs)} input{'s' * (len(inputs) != 1)}")
    return tuple(_as_float(p, name) for p in parts), forward


def accumulate(rule, upstreams):
    """The student's copy gate: fold copy_backward(u1, u2) over the upstream gradients."""
    total = upstreams[0]
    for u in upstreams[1:]:
        try:
            total = rule(total, u)
        except Exception as error:
            raise RuleError(f"{type(error).__name__}: {error}") from error
        total = _as_float(total, getattr(rule, "__name__", "copy rule"))
    return total


def _as_float(value, name):
    if value is None:
        raise RuleError(f"{name} returned None (a missing `return`?)")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise RuleError(f"{name} returned a {type(value).__name__}, not a number") from None
    if array.size != 1:
        raise RuleError(f"{name} returned shape {array.shape} for a scalar gate")
    return float(array.reshape(()))


def agree(expected, got, rtol=RTOL, atol=ATOL):
    """Whether two gradients agree (NaN never agrees; None agrees with nothing)."""
    if expected is None or got is None:
        return False
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if expected.shape != got.shape:
        return False
    with np.errstate(invalid="ignore"):
        close = np.abs(expected - got) <= atol + rtol * (np.abs(expected) + np.abs(got))
    return bool(np.all(close & np.isfinite(got)))


def disagreeing(expected, got, rtol=RTOL, atol=ATOL):
    """Boolean mask of the elements of `got` that disagree with `expected` (same shapes)."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        close = np.abs(expected - got) <= atol + rtol * (np.abs(expected) + np.abs(got))
    return ~(close & np.isfinite(got))


# --- describing a mismatch: the one hook for diagnosis -------------------------------------------

def describe_mismatch(expected, got, *, numerical=None, where=None, upstream=None, inputs=(),
                      output=None, others=None, f=None, input_index=0):
    """One or two lines, for a student, on a gradient that disagrees with the reference.

    expected: the reference (the engine); got: the student's; numerical: finite differences
    (None when not computed). Scalars or arrays. Context for the diagnosis: where (what the
    gradient is, e.g. "dL/dx of the σ gate"), upstream (the upstream gradient the rule got),
    inputs and output (the gate's), others (the reference gradients of the gate's other inputs,
    to recognise swapped gradients), f (the gate's forward function of its inputs) and
    input_index (which input `got` is for): with f, the diagnosis can test hypotheses that need
    new numbers, such as a local gradient evaluated at the output instead of the input.

    This is the one place where the widgets put a mismatch into words, and the place to plug a
    diagnosis in: it asks `diagnose_mismatch` for the kind of mistake.
    """
    def show(x):
        a = np.asarray(x, dtype=np.float64)
        return f"{float(a):.4g}" if a.size == 1 else f"shape {a.shape}"

    head = f"{where}: " if where else ""
    numbers = f"yours {show(got)}, engine {show(expected)}"
    if numerical is not None:
        numbers += f", numerical {show(numerical)}"
    kind = diagnose_mismatch(expected, got, upstream=upstream, inputs=inputs, output=output,
                             others=others, f=f, input_index=input_index)
    words = MISTAKE_WORDS.get(kind, "") if kind else ""
    return f"{head}{numbers}" + (f" ({words})" if words else "")


def diagnose_mismatch(expected, got, *, upstream=None, inputs=(), output=None, others=None,
                      f=None, input_index=0):
    """The kind of mistake (a key of MISTAKE_WORDS), or None when no kind fits.

    First asks `course.gradcheck.mistake_kind` (course.diagnose behind it), passing the context;
    when it answers "unknown", tries a few scalar patterns here.
    """
    got_array = np.asarray(got, dtype=np.float64)
    expected_array = np.asarray(expected, dtype=np.float64)
    kind = _gradcheck_diagnosis(expected_array, got_array, upstream=upstream, inputs=inputs,
                                output=output, f=None if f is None else np.vectorize(f),
                                input_index=input_index)
    if kind and kind not in ("unknown", "shape"):
        return kind
    if got_array.ndim == 2 and got_array.shape == expected_array.shape[::-1] \
            and got_array.size > 1 and agree(expected_array, got_array.T):
        return "transpose"
    if kind == "shape" or got_array.shape != expected_array.shape:
        return "shape"
    if got_array.size != 1:
        return None
    e, g = float(np.asarray(expected).reshape(())), float(got_array.reshape(()))

    def same(a, b):
        return abs(a - b) <= ATOL + RTOL * (abs(a) + abs(b))

    if not math.isfinite(g):
        return "nonfinite"
    if g == 0.0 and e != 0.0:
        return "zero"
    if e != 0.0 and same(g, -e):
        return "sign"
    for other in others or ():
        if other is not None and not same(other, e) and same(g, other):
            return "swapped_inputs"
    if upstream is not None and upstream not in (0.0, 1.0, -1.0):
        if e != 0.0 and same(g * upstream, e):     # the local gradient alone
            return "missing_upstream"
    if e != 0.0 and g != 0.0:
        ratio = g / e
        for factor in (2.0, 0.5, 4.0, 0.25, 3.0, 1 / 3):
            if same(abs(ratio), factor):
                return "scale"
    return None


def _gradcheck_diagnosis(expected, got, **context):
    try:
        return gradcheck.mistake_kind(expected, got, np.shape(expected), **context)
    except Exception:   # a diagnosis must never break the widget
        return None


# --- numerical gradients on a recorded scalar graph ----------------------------------------------

def reevaluate(order, overrides, edge=None, delta=0.0):
    """The root's value when the graph `order` (a topological order of Values, root last) is
    recomputed with some leaf values replaced (overrides: {id(leaf): value}) and, optionally,
    the value flowing along one edge (child, k) changed by delta. None if an op is unknown."""
    data = {}
    for node in order:
        if not node._parents:
            data[id(node)] = overrides.get(id(node), node.data)
            continue
        fn = forward_of(node)
        if fn is None:
            return None
        args = [data[id(p)] for p in node._parents]
        if edge is not None and edge[0] is node:
            args[edge[1]] += delta
        data[id(node)] = fn(*args)
    return data[id(order[-1])]


def numerical_edge_gradient(order, child, k, eps=EPS):
    """d root / d (the value flowing along edge k into `child`), by central differences."""
    value = child._parents[k].data
    h = eps * max(1.0, abs(value))
    try:
        plus = reevaluate(order, {}, (child, k), h)
        minus = reevaluate(order, {}, (child, k), -h)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if plus is None or minus is None:
        return None
    return (plus - minus) / (2 * h)
