"""Checking a student's gradient code inside the widgets.

A widget can take the student's own backward rule (or VJP) in place of the reference one. It then
computes three numbers for every gradient it shows: the reference (the course's engine), the
student's, and the numerical one (finite differences). Where the student's disagrees with the
reference, the widget marks it in MISMATCH_COLOR, and `describe_mismatch` says it in words:
course.diagnose's verdict and words, the ones the graded tests print.

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

import numpy as np

from course import diagnose, gradcheck
from course.scalar_gates import GATES, forward_of

RTOL = 1e-6          # student vs. reference: both exact formulas, so only rounding may differ
ATOL = 1e-9
EPS = gradcheck.EPS  # finite-difference step

COPY = "copy"        # the gradients of a value used twice add up: copy_backward(u1, u2)
RULE_NAMES = (*GATES, COPY)
_ALIASES = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "pow",
            "mul": "multiply", "sub": "subtract", "div": "divide", "σ": "sigmoid"}

# The words for a mistake are course.diagnose's (WORDS, by kind): the graded tests, gradcheck and
# the widgets name a mistake the same way.


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


# --- describing a mismatch: course.diagnose, as the graded tests use it -----------------------

def describe_mismatch(expected, got, *, numerical=None, where=None, upstream=None, inputs=(),
                      others=None, f=None, input_index=0):
    """One line, for a student, on a gradient that disagrees with the reference.

    expected: the reference (the engine); got: the student's; numerical: finite differences
    (None when not computed). Scalars or arrays. Evidence for the diagnosis: where (what the
    gradient is, e.g. "dL/dx of the σ gate"), upstream (the upstream gradient the rule got: a
    number, or one per output of f), inputs (the gate's), others (the student's gradients of
    every input, to see that two were swapped), f (the gate's forward function of its inputs,
    float or array) and input_index (which input `got` is for). With f, course.diagnose can test
    the hypotheses that need new numbers (swapped inputs, the upstream gradient left out, an
    overwrite at fan-out, ...).

    The words are course.diagnose's (`WORDS[kind]`), the kind the one `diagnose_mismatch`
    gives: the same verdict the graded tests print. No kind that fits: the numbers alone.
    """
    def show(x):
        a = np.asarray(x, dtype=np.float64)
        return f"{float(a):.4g}" if a.size == 1 else f"shape {a.shape}"

    head = f"{where}: " if where else ""
    numbers = f"yours {show(got)}, engine {show(expected)}"
    if numerical is not None:
        numbers += f", numerical {show(numerical)}"
    kind = diagnose_mismatch(expected, got, upstream=upstream, inputs=inputs, others=others,
                             f=f, input_index=input_index)
    words = diagnose.WORDS.get(kind, "") if kind else ""
    return f"{head}{numbers}" + (f" ({words})" if words else "")


def describe_copy(expected, got, upstreams, value, *, numerical=None, where=None):
    """describe_mismatch for a copy gate (fan-out): `value` used len(upstreams) times, each use
    sending back its upstream gradient; expected is their sum, got the student's total. An
    overwrite (`=` where `+=` belongs) keeps one of them: course.diagnose's not_accumulated."""
    uses = len(upstreams)

    def fan_out(x):
        return np.repeat(np.reshape(np.asarray(x, dtype=np.float64), (1,)), uses)

    return describe_mismatch(expected, got, numerical=numerical, where=where,
                             upstream=np.asarray(upstreams, dtype=np.float64),
                             inputs=(value,), f=fan_out, input_index=0)


def diagnose_mismatch(expected, got, *, upstream=None, inputs=(), others=None, f=None,
                      input_index=0):
    """The kind of mistake (a key of course.diagnose.WORDS), or None when no kind fits
    ("unknown") or the diagnosis cannot run. Arguments as for describe_mismatch; f may take
    floats (a scalar gate's forward, vectorised here) or arrays."""
    expected_array = np.asarray(expected, dtype=np.float64)
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    evidence = {"shape": expected_array.shape}
    if f is not None and inputs is not None and len(inputs):
        evidence.update(f=_array_function(f), input_index=input_index,
                        inputs=tuple(np.asarray(x, dtype=np.float64) for x in inputs))
    else:
        evidence["input_index"] = None
    if upstream is not None:
        evidence["upstream"] = np.asarray(upstream, dtype=np.float64)
    if others is not None and f is not None:
        evidence["others"] = [np.asarray(o, dtype=np.float64) for o in others]
    try:
        kind = diagnose.diagnose(got_array, expected_array, **evidence).kind
    except Exception:   # a diagnosis must never break the widget
        return None
    return None if kind == "unknown" else kind


def _array_function(f):
    """f for arrays: a scalar gate's forward (floats in, a float out) applied element-wise."""
    def on_arrays(*arrays):
        try:
            return np.asarray(f(*arrays), dtype=np.float64)
        except (TypeError, ValueError):
            return np.vectorize(f, otypes=[np.float64])(*arrays)
    return on_arrays


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
