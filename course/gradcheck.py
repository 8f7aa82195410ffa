"""Gradient checking: compare gradient rules with finite differences, always in float64.

Conventions (JAX's, on plain numpy arrays):

    f(*inputs) -> out                      an array
    vjp_fn(upstream, *inputs) -> grads     dL/dx for one input, a tuple (dL/dx0, dL/dx1, ...) for
                                           several, where L = sum(f(*inputs) * upstream) and each
                                           dL/dxi has the shape of xi
    jvp_fn(tangents, *inputs) -> tangent   the derivative of f along `tangents` (a tuple with one
                                           array per input, each of its input's shape); out's shape

How the checks decide:

- The upstream gradient is random and seeded, never all ones: a `sum` whose backward returns
  `ones_like` would pass every all-ones test.
- An input with at most `max_elementwise` elements is checked element by element with central
  differences (two evaluations of f per element). Larger inputs are moved together along
  `num_directions` seeded random directions d, comparing <dL/dx, d> with
  (L(x + eps d) - L(x - eps d)) / (2 eps): two evaluations per direction.
- A value passes when |expected - got| <= atol + rtol * max(1e-8, |expected| + |got|)
  (course.tolerances, shared with course.diagnose): CS231n's relative error must stay below
  rtol, except for values so small that they drown in the rounding noise of the finite
  differences. That noise, atol, is estimated from the size of the
  terms of L: NOISE * (sum|f(x) * upstream| + sum_i sum|dL/dx_i * x_i|) / eps, the second sum
  for the terms inside f that cancel in its output, as in sum(x) (for check_jvp,
  NOISE * max|f| / eps).
- Kinks. When a value fails, the one-sided differences (L(x + eps) - L(x)) / eps and
  (L(x) - L(x - eps)) / eps tell whether the step crossed a non-differentiable point (ReLU at
  0, a tie in max): compared with those for half the step, they change as no smooth function's
  do. There no rule can be blamed: at_kinks="skip" (default) leaves the value unchecked;
  "between" accepts any value between the two one-sided derivatives (relu'(0) = 0 or 1, or
  anything in between); "check" compares with the central difference anyway, the average of
  both sides (relu'(0) = 0.5, a tie in max split evenly).
- A failure raises GradientError, an AssertionError whose message is written for a student:
  `course.diagnose` tests the likely mistakes against the evidence (the rule's result, finite
  differences, the inputs, the upstream gradient or tangents, f) and names the one that explains
  the numbers (GradientError.kind: "sign", "transpose", "missing_upstream", ...), with an example
  and a hint. An exercise may pass its own `hint` (a string, or {kind: hint}) and known wrong
  rules, `mistakes={kind: rule}` (same signature as the rule checked), to recognise more. The
  check hands the diagnosis what it knows as a course.diagnosis Call (f, the inputs, their names,
  the upstream gradient or tangents) and its own _Settings (tolerance, kinks, hint, mistakes).
- The checks return True or raise GradientError, so a test cell can end with
  `assert check_vjp(...)` (nbgrader reads a numeric last value as partial credit; an assert
  statement leaves no value at all).
"""

import inspect
import warnings
from dataclasses import dataclass, replace

import numpy as np

from course import diagnose as _diagnosis
from course.diagnosis.problem import Call, Diagnosis, pose
from course.diagnosis.registry import explain
from course.tolerances import EPS, MAX_ELEMENTWISE, RTOL, excess, rel_error, rounding_noise

__all__ = [
    "GradientError", "PrecisionWarning", "KinkWarning",
    "check_vjp", "check_jvp", "check_grad", "dot_product_test", "check_traversal",
    "numerical_grad", "numerical_vjp", "random_inputs", "close", "rel_error", "mistake_kind",
]

DOT_RTOL = 1e-12        # dot-product test, relative to the size of the terms
NUM_DIRECTIONS = 2      # random directions for the larger inputs
KINK_RTOL = 1e-2        # one-sided differences further off a smooth function's: a kink
AT_KINKS = ("skip", "between", "check")

KINDS = _diagnosis.KINDS + ("count", "type")
HINTS = {
    "count": "Return one gradient per input, in the order of the inputs.",
    "type": "Return a numpy array with the shape of {x}, {shape}.",
}


@dataclass(frozen=True)
class _Settings:
    """How a check decides, and what it may say: the public checks' keyword arguments.

    atol None: estimated from the size of L's terms once f has run (then replaced).
    hint: the exercise's hint for a failure (a string, or {kind: hint});
    mistakes: {kind: wrong rule}, known wrong rules to recognise (same signature as the rule).
    """

    rtol: float = RTOL
    atol: float | None = None
    at_kinks: str = "skip"
    num_directions: int = NUM_DIRECTIONS
    hint: object = None
    mistakes: dict | None = None

    def __post_init__(self):
        if self.at_kinks not in AT_KINKS:
            raise ValueError(f"at_kinks must be one of {AT_KINKS}, not {self.at_kinks!r}")
        for kind, rule in (self.mistakes or {}).items():
            if kind not in _diagnosis.KINDS:
                raise ValueError(f"mistakes: unknown kind of mistake {kind!r}: use one of "
                                 f"{_diagnosis.KINDS}")
            if not callable(rule):
                raise TypeError(f"mistakes[{kind!r}] must be a rule (a function), not "
                                f"{type(rule).__name__}")


class PrecisionWarning(UserWarning):
    """An input or output is not float64: the check computes in float64, the rule may not."""


class KinkWarning(UserWarning):
    """Every element (or direction) of an input sat on a kink, so nothing of it was checked."""


class GradientError(AssertionError):
    """A gradient (or tangent) disagrees with finite differences, or has the wrong form.

    kind:        the likely mistake: one of course.diagnose.KINDS ("sign", "transpose",
                 "missing_upstream", ..., "unknown"), or "count" / "type" (a malformed result)
    input_index: the input whose gradient is wrong (None: no single input)
    input_name:  its parameter name, when known
    index:       the worst element (a tuple), or None (shape errors, directional checks)
    expected:    finite differences: an array of the checked shape, or a scalar for a directional
                 check; None when not computed (shape, count and type errors)
    got:         what the rule returned, laid out like `expected`
    diagnosis:   the course.diagnose.Diagnosis behind the message (None for count/type errors)
    """

    def __init__(self, message, *, kind="unknown", input_index=None, input_name=None,
                 index=None, expected=None, got=None, diagnosis=None):
        super().__init__(message)
        self.kind = kind
        self.diagnosis = diagnosis
        self.input_index = input_index
        self.input_name = input_name
        self.index = index
        self.expected = expected
        self.got = got


# --- public checks ----------------------------------------------------------------------------

def check_vjp(f, vjp_fn, *inputs, upstream=None, seed=0, eps=EPS, rtol=RTOL, atol=None,
              at_kinks="skip", max_elementwise=MAX_ELEMENTWISE, num_directions=NUM_DIRECTIONS,
              hint=None, mistakes=None):
    """Check a reverse-mode rule, vjp_fn(upstream, *inputs), against finite differences.

    L = sum(f(*inputs) * upstream), upstream random (seeded) unless given. atol=None estimates
    the finite-difference noise. hint: the exercise's hint for a failure (a string, or
    {kind: hint}); mistakes: {kind: wrong_vjp_fn}, known wrong rules to recognise. Raises
    GradientError (its kind: the diagnosed mistake) on a wrong gradient; returns True.
    """
    settings = _Settings(rtol, atol, at_kinks, num_directions, hint, mistakes)
    xs = _float64_inputs(inputs)
    call = Call(f, xs, _input_names(len(xs), (vjp_fn, 1), (f, 0)), eps=eps, seed=seed,
                max_full=max_elementwise)
    _check_reverse(call, vjp_fn, upstream, settings)
    return True


def check_grad(f, *inputs, vjp=None, upstream=None, seed=0, eps=EPS, rtol=RTOL, atol=None,
               at_kinks="skip", max_elementwise=MAX_ELEMENTWISE, num_directions=NUM_DIRECTIONS,
               hint=None, mistakes=None):
    """Check the engine's reverse mode on f (a function of Tensors) against finite differences.

    vjp: a JAX-style transform, vjp(f, *primals) -> (out array, vjp_fn) where vjp_fn(u) returns
    a tuple of arrays, one per primal; default `course.transforms.vjp`. f is evaluated through
    it too. mistakes: {kind: rule(upstream, *inputs) -> gradients}. Other arguments as in
    check_vjp.
    """
    if vjp is None:
        from course.transforms import vjp
    settings = _Settings(rtol, atol, at_kinks, num_directions, hint, mistakes)
    xs = _float64_inputs(inputs)

    def forward(*ys):
        return vjp(f, *ys)[0]

    def vjp_fn(u, *ys):
        return vjp(f, *ys)[1](u)

    call = Call(forward, xs, _input_names(len(xs), (f, 0)), eps=eps, seed=seed,
                max_full=max_elementwise)
    _check_reverse(call, vjp_fn, upstream, settings)
    return True


def check_jvp(f, jvp_fn, *inputs, seed=0, eps=EPS, rtol=RTOL, atol=None, at_kinks="skip",
              hint=None, mistakes=None):
    """Check a forward-mode rule, jvp_fn(tangents, *inputs), against finite differences.

    Moves one input at a time along a random (seeded) tangent, then all of them together, and
    compares the output tangent, element by element, with (f(x + eps t) - f(x - eps t)) / (2 eps).
    atol=None estimates the finite-difference noise. hint, mistakes ({kind: wrong_jvp_fn}): as
    in check_vjp. Raises GradientError; returns True.
    """
    settings = _Settings(rtol, atol, at_kinks, hint=hint, mistakes=mistakes)
    xs = _float64_inputs(inputs)
    call = Call(f, xs, _input_names(len(xs), (jvp_fn, 1), (f, 0)), eps=eps, seed=seed)
    out = _first_output(f, xs)
    if atol is None:
        settings = replace(settings, atol=rounding_noise(np.max(np.abs(out), initial=0.0), eps))
    rng = np.random.default_rng(seed)
    moves = [(i, tuple(rng.standard_normal(x.shape) if j == i else np.zeros(x.shape)
                       for j, x in enumerate(xs))) for i in range(len(xs))]
    if len(xs) > 1:
        moves.append((None, tuple(rng.standard_normal(x.shape) for x in xs)))
    for i, tangents in moves:
        move = replace(call, tangents=tangents)
        got = _as_array(jvp_fn(tuple(t.copy() for t in tangents), *[x.copy() for x in xs]),
                        out.shape, i, "jvp", move, settings)

        def one_sided(step, tangents=tangents):
            """The left and right differences of f along the tangents, element-wise."""
            plus = _evaluate(f, [x + step * t for x, t in zip(xs, tangents)])
            minus = _evaluate(f, [x - step * t for x, t in zip(xs, tangents)])
            return (out - minus) / step, (plus - out) / step

        left, right = one_sided(eps)
        central = (left + right) / 2
        _require_finite(central, f"f near the inputs, moving {_label(i, _name(call, i))},")
        expected = _expected(settings, central, left, right, got,
                             half_step=lambda: one_sided(eps / 2))
        _compare(move, settings, expected, got, i, "jvp", stacklevel=3)
    return True


def dot_product_test(f, jvp_fn, vjp_fn, *inputs, seed=0, rtol=DOT_RTOL):
    """Check that jvp_fn and vjp_fn are transposes: <u, J v> == <J^T u, v> for random u, v.

    No finite differences, so both must agree to rounding: within rtol of the size of the
    terms, sum|u * Jv| + sum|J^T u * v|. One input at a time (v is zero for the others), so a
    failure names the input. Raises GradientError; returns True.
    """
    xs = _float64_inputs(inputs)
    names = _input_names(len(xs), (vjp_fn, 1), (jvp_fn, 1), (f, 0))
    out = _first_output(f, xs)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(out.shape)
    # a wrong shape is diagnosed from the arrays alone: the messages name the inputs
    named, settings = Call(inputs=xs, names=names), _Settings()
    grads = _as_gradients(vjp_fn(u.copy(), *[x.copy() for x in xs]), named, settings)
    for i, x in enumerate(xs):
        v = [rng.standard_normal(y.shape) if j == i else np.zeros(y.shape)
             for j, y in enumerate(xs)]
        jv = _as_array(jvp_fn(tuple(v), *[y.copy() for y in xs]), out.shape, i, "jvp", named,
                       settings)
        if not (np.all(np.isfinite(jv)) and np.all(np.isfinite(grads[i]))):
            raise GradientError(f"jvp_fn or vjp_fn returns values that are not finite for "
                                f"{_label(i, names[i])}. {_diagnosis.HINTS['nonfinite']}",
                                kind="nonfinite", input_index=i, input_name=names[i])
        forward, reverse = _dot(u, jv), _dot(grads[i], v[i])
        scale = _dot(np.abs(u), np.abs(jv)) + _dot(np.abs(grads[i]), np.abs(v[i]))
        if abs(forward - reverse) > rtol * scale:
            raise GradientError(
                f"Forward and reverse mode disagree for {_label(i, names[i])}, shape {x.shape}: "
                f"for random u and v, <u, J v> = {forward:.6g} from jvp_fn but "
                f"<J^T u, v> = {reverse:.6g} from vjp_fn.\nOne of the two rules is wrong: "
                f"check each with check_jvp and check_vjp.",
                kind="unknown", input_index=i, input_name=names[i], expected=forward, got=reverse)
    return True


def numerical_grad(f, x, eps=EPS):
    """dL/dx by central differences for a scalar function L = f(x), in float64; x's shape."""
    (x,) = _float64_inputs([x])
    return _partials(lambda y: _scalar(f(y)), x.copy(), eps)[0]


def numerical_vjp(f, inputs, upstream, eps=EPS):
    """The gradients of sum(f(*inputs) * upstream) by central differences: a tuple, one array
    per input (as JAX's vjp_fn returns)."""
    xs = _float64_inputs(inputs)
    u = np.asarray(upstream, dtype=np.float64)
    grads = []
    for i in range(len(xs)):
        def loss(y, i=i):
            return _dot(_evaluate(f, xs[:i] + (y,) + xs[i + 1:]), u)
        grads.append(_partials(loss, xs[i].copy(), eps)[0])
    return tuple(grads)


def random_inputs(*shapes, seed=0, away_from=0.0, margin=0.1):
    """Seeded float64 standard-normal arrays, one per shape, kept off kinks.

    Every value is at least `margin` away from `away_from` (a number, or a sequence of kinks
    such as (-1.0, 1.0)). Random float64 values tie (as in max) with probability zero.
    Returns a tuple, even for one shape: `(x,) = random_inputs((3, 4))`. For log, use abs(x).
    """
    rng = np.random.default_rng(seed)
    kinks = np.ravel(np.asarray(away_from, dtype=np.float64))
    arrays = []
    for shape in shapes:
        x = np.asarray(rng.standard_normal(shape))
        for _ in range(1000):
            near = np.any(np.abs(x[..., None] - kinks) < margin, axis=-1)
            if not near.any():
                break
            x[near] = rng.standard_normal(np.count_nonzero(near))
        else:
            raise ValueError(f"margin={margin} leaves too little room around {away_from}")
        arrays.append(x)
    return tuple(arrays)


def close(got, expected, tol=1e-9):
    """True when `got` has the shape of `expected` and the same values (to a relative `tol`).
    Never raises: a `got` that is not numeric is simply not close."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=tol, atol=tol))


# --- errors -----------------------------------------------------------------------------------

def mistake_kind(expected, got, shape, *, upstream=None, inputs=None, output=None, others=None,
                 f=None, input_index=0, rtol=RTOL):
    """The kind of mistake, a string of course.diagnose.KINDS, for the widgets (the full
    Diagnosis, with its message: course.diagnose.diagnose).

    expected: the right gradient (finite differences or the engine), or None; got: the rule's
    result; shape: the shape it must have. The rest is optional evidence: upstream (the upstream
    gradient the rule got), inputs and f (the function; with f the hypotheses that need new
    numbers can be tested), others (the student's gradients of every input). output is accepted
    for widgets and not needed.
    """
    del output
    expected_array = None if expected is None else np.asarray(expected, dtype=np.float64)
    if f is None and expected_array is None and np.shape(got) == tuple(shape):
        got = np.asarray(got, dtype=np.float64)
        return "nonfinite" if not np.all(np.isfinite(got)) else "unknown"
    return _diagnosis.diagnose(got, expected_array, shape=tuple(shape), f=f, inputs=inputs,
                               input_index=input_index if f is not None else None,
                               upstream=upstream, rtol=rtol, others=others).kind


def check_traversal(root, *, rtol=1e-8, hint=None):
    """Check the `.grad` a backward pass left on every node of a scalar graph.

    root: the output node (course.Value, or nodes with `parents`, `local_grads` and `grad`,
    as in the notebooks); call it after the backward pass under test. Every node must hold
    d root / d node (computed here from the nodes' local gradients). Raises GradientError with
    the diagnosed mistake (not_accumulated for `=` instead of `+=` at fan-out, zero for a
    missing seed, ...); returns True.
    """
    diagnosis = _diagnosis.diagnose_traversal(root, rtol=rtol, hint=hint)
    if diagnosis is None:
        return True
    raise GradientError(f"Wrong gradients after the backward pass: {diagnosis}",
                        kind=diagnosis.kind, index=diagnosis.evidence.get("index"),
                        diagnosis=diagnosis)


def _failure(call, settings, expected, got, i, *, mode="vjp", shape=None, direction=False,
             others=None):
    """The GradientError for a wrong result of `call`, with a short message for a student.

    expected: finite differences (an array; a scalar when `direction`; None if not computed);
    got: the rule's result; shape: the shape `got` must have (default: expected's);
    mode: "vjp" (got is dL/dx of input i) or "jvp" (got is the output tangent when input i
    moves); i None: no single input is to blame. others: all the rule's gradients (vjp).
    """
    got = np.asarray(got, dtype=np.float64)
    shape = tuple(np.shape(expected) if shape is None else shape)
    name = _name(call, i)
    if mode == "vjp":
        d = _d(i, name) if i is not None else "dL/dx"
        subject = "Wrong gradients" if i is None else f"Wrong gradient for {_label(i, name)}"
    else:
        d = "the output tangent"
        moving = "all inputs move" if i is None else f"only {_label(i, name)} moves"
        subject = f"Wrong jvp when {moving}"
    full = got
    if direction:   # along directions got is a number: diagnose the input's whole gradient
        full = None if i is None or others is None else np.asarray(others[i], dtype=np.float64)
    diagnosis = None
    if full is not None:
        diagnosis = _diagnose_safely(call, settings, full, None if direction else expected,
                                     shape, i, mode, others)
    kind = "unknown" if diagnosis is None else diagnosis.kind
    index = None if diagnosis is None or direction else diagnosis.evidence.get("index")
    if direction:
        where = "" if i is None else f", shape {shape}"
        lines = [f"{subject}{where}: along a random direction d, <{d}, d> = {float(got):.6g}, "
                 f"but finite differences give {float(expected):.6g} (relative error "
                 f"{rel_error(expected, got):.2g}, tolerance {settings.rtol:g})."]
        if diagnosis is not None and kind != "unknown":
            lines += [diagnosis.summary, f"Hint: {diagnosis.hint}"]
        else:
            lines.append(f"Hint: {_diagnosis.HINTS['directional']}")
    else:
        if kind in ("shape", "unreduced_broadcast") or got.shape != shape:
            head = f"{subject}: "
        else:
            head = f"{subject}, shape {shape}: "
        lines = [head + diagnosis.summary] + list(diagnosis.details) + [f"Hint: {diagnosis.hint}"]
    if not direction and index is None and got.shape == shape and expected is not None \
            and kind != "shape":
        index = _worst_index(expected, got, settings)
    return GradientError("\n".join(lines), kind=kind, input_index=i, input_name=name,
                         index=index, expected=expected, got=got, diagnosis=diagnosis)


def _diagnose_safely(call, settings, got, expected, shape, i, mode, others):
    """course.diagnose on the evidence; a diagnosis that fails to run says "unknown"."""
    try:
        problem, numerics = pose(mode, got, expected, call, shape=shape, input_index=i,
                                 others=others, candidates=_mistake_candidates(call, settings, i,
                                                                               mode, shape),
                                 rtol=settings.rtol, atol=settings.atol or 0.0)
        return explain(problem, numerics, settings.hint)
    except Exception as error:   # never let the diagnosis hide the failure itself
        return Diagnosis(
            "unknown", f"the result is wrong (the diagnosis failed: {type(error).__name__}).",
            (), _diagnosis.HINTS["unknown"], {})


def _mistake_candidates(call, settings, i, mode, shape):
    """{kind: array}: what the exercise's known wrong rules give on the same call."""
    if not settings.mistakes or not call.inputs:
        return None
    candidates = {}
    for kind, rule in settings.mistakes.items():
        try:
            with np.errstate(all="ignore"):
                if mode == "vjp":
                    if i is None:
                        continue
                    result = rule(np.array(call.upstream), *[x.copy() for x in call.inputs])
                    if not isinstance(result, (tuple, list)):
                        result = (result,)
                    value = np.asarray(result[i], dtype=np.float64)
                else:
                    value = np.asarray(rule(tuple(t.copy() for t in call.tangents),
                                            *[x.copy() for x in call.inputs]), dtype=np.float64)
        except Exception:    # a known mistake that does not run here does not fit
            continue
        if value.shape == tuple(shape):
            candidates[kind] = value
    return candidates


def _worst_index(expected, got, settings):
    off = excess(expected, got, settings.rtol, settings.atol or 0.0)
    if not np.any(off > 1.0):
        return None
    return tuple(int(j) for j in np.unravel_index(int(np.argmax(off)), np.shape(got)))


# --- the reverse-mode check -------------------------------------------------------------------

def _check_reverse(call, vjp_fn, upstream, settings):
    """check_vjp and check_grad: every input's gradient, element by element when small,
    along random directions when large."""
    xs = call.inputs
    out = _first_output(call.f, xs, stacklevel=4)
    rng = np.random.default_rng(call.seed)
    if upstream is None:   # magnitudes in [0.5, 1.5], random signs: none near 0, never all ones
        v = rng.uniform(-1.0, 1.0, size=out.shape)
        u = v + 0.5 * np.sign(v)
    else:
        u = np.asarray(upstream, dtype=np.float64)
        if u.shape != out.shape:
            raise ValueError(f"upstream has shape {u.shape} but f's output has shape {out.shape}")
    call = replace(call, upstream=u)
    grads = _as_gradients(vjp_fn(u.copy(), *[x.copy() for x in xs]), call, settings)
    if settings.atol is None:   # the size of L's terms: of the outputs, and of the inputs'
        size = _dot(np.abs(out), np.abs(u)) + sum(_dot(np.abs(g), np.abs(x))
                                                  for g, x in zip(grads, xs))
        settings = replace(settings, atol=rounding_noise(size, call.eps))
    L0 = _dot(out, u)

    def loss(changed):
        """L with some inputs changed; changed maps input index -> array."""
        return _dot(_evaluate(call.f, [changed.get(i, x) for i, x in enumerate(xs)]), u)

    large = []
    for i, (x, g) in enumerate(zip(xs, grads)):
        if x.size <= call.max_full:
            _check_elements(call, settings, lambda y, i=i: loss({i: y}), L0, i, grads)
        elif not np.all(np.isfinite(g)):
            raise _failure(call, settings, None, g, i, shape=x.shape, others=grads)
        else:
            large.append(i)
    if large:
        _check_directions(call, settings, loss, L0, large, grads, rng)


def _check_elements(call, settings, loss, L0, i, grads):
    """Compare grads[i], dL/dx_i, with central differences of loss(x_i) element by element."""
    x, g, eps = call.inputs[i], grads[i], call.eps
    central, left, right = _partials(loss, x.copy(), eps, L0)
    _require_finite(central, f"f near {_label(i, _name(call, i))}")
    expected = _expected(settings, central, left, right, g,
                         half_step=lambda: _partials(loss, x.copy(), eps / 2, L0)[1:])
    _compare(call, settings, expected, g, i, "vjp", stacklevel=5, others=grads)


def _partials(loss, x, eps, L0=None):
    """Central, left and right differences of scalar loss(x), element by element.

    x is changed in place and restored; the steps actually taken, (x + eps) - x, are used.
    """
    central, left, right = (np.zeros(x.shape) for _ in range(3))
    flat = x.reshape(-1)
    if L0 is None:
        L0 = loss(x)
    for k in range(x.size):
        old = flat[k]
        flat[k] = old + eps
        up, plus = flat[k] - old, loss(x)
        flat[k] = old - eps
        down, minus = old - flat[k], loss(x)
        flat[k] = old
        central.flat[k] = (plus - minus) / (up + down)
        right.flat[k] = (plus - L0) / up
        left.flat[k] = (L0 - minus) / down
    return central, left, right


def _check_directions(call, settings, loss, L0, large, grads, rng):
    """Move the large inputs together along random directions d and compare sum_i <g_i, d_i>
    with central differences; after a failure, move them one at a time to find the wrong one."""
    checked = 0
    for _ in range(settings.num_directions):
        steps = {i: rng.uniform(-call.eps, call.eps, size=call.inputs[i].shape) for i in large}
        result = _directional(call, settings, loss, L0, grads, steps)
        if result is None:
            continue
        checked += 1
        expected, got, passed = result
        if passed:
            continue
        blamed = large[0] if len(large) == 1 else None
        for i in large if len(large) > 1 else ():
            alone = _directional(call, settings, loss, L0, grads, {i: steps[i]})
            if alone is not None and not alone[2]:
                (expected, got, _), blamed = alone, i
                break
        shape = None if blamed is None else call.inputs[blamed].shape
        raise _failure(call, settings, expected, got, blamed, shape=shape, direction=True,
                       others=grads)
    if not checked:
        _warn_unchecked(", ".join(_label(i, _name(call, i)) for i in large),
                        "every random direction crossed", stacklevel=5)


def _directional(call, settings, loss, L0, grads, steps):
    """(expected, got, passed) along `steps` (input index -> step, |step| <= eps), or None when
    the direction crosses a kink and at_kinks="skip"."""
    xs, eps = call.inputs, call.eps

    def one_sided(scale):
        plus = loss({i: xs[i] + (h if scale == 1 else scale * h) for i, h in steps.items()})
        minus = loss({i: xs[i] - (h if scale == 1 else scale * h) for i, h in steps.items()})
        return np.asarray((L0 - minus) / (scale * eps)), np.asarray((plus - L0) / (scale * eps))

    left, right = one_sided(1.0)
    central = (left + right) / 2
    _require_finite(central, "f near the inputs")
    got = sum(_dot(grads[i], h) for i, h in steps.items()) / eps
    expected = float(_expected(settings, central, left, right, np.asarray(got),
                               half_step=lambda: one_sided(0.5)))
    if np.isnan(expected):
        return None
    return expected, got, bool(excess(expected, got, settings.rtol, settings.atol) <= 1.0)


def _expected(settings, central, left, right, got, half_step):
    """What `got` is compared with: the central difference, except at kinks.

    Only where got fails against the central difference, the one-sided derivatives left and
    right are compared with those for half the step (half_step() gives them). For a smooth
    function, right - right_half and left_half - left are both (right - left) / 4, to first
    order in the step; where they are not, the step crossed a kink. There: NaN (not checked)
    for "skip", the value nearest got between left and right for "between".
    """
    failing = excess(central, got, settings.rtol, settings.atol) > 1.0
    if settings.at_kinks == "check" or not failing.any():
        return central
    left_half, right_half = half_step()
    quarter = (right - left) / 4
    allowed = KINK_RTOL * np.abs(quarter) + settings.atol / 4
    smooth = ((np.abs(right - right_half - quarter) <= allowed)
              & (np.abs(left_half - left - quarter) <= allowed))
    kink = failing & ~smooth
    if settings.at_kinks == "skip":
        return np.where(kink, np.nan, central)
    between = np.clip(got, np.minimum(left, right), np.maximum(left, right))
    return np.where(kink, between, central)


def _compare(call, settings, expected, got, i, mode, stacklevel, others=None):
    """Raise a GradientError if got disagrees with expected (NaN in expected: not checked)."""
    if not np.all(np.isfinite(got)) or np.any(excess(expected, got, settings.rtol,
                                                     settings.atol) > 1.0):
        raise _failure(call, settings, expected, got, i, mode=mode, others=others)
    if np.size(expected) and np.all(np.isnan(expected)):
        what = "every element sat on" if mode == "vjp" else "every output element sat on"
        _warn_unchecked(_label(i, _name(call, i)), what, stacklevel + 1)


def _warn_unchecked(label, what, stacklevel):
    warnings.warn(f"{label} was not checked: {what} a kink (ReLU at 0, a tie in max). "
                  f"Draw inputs with random_inputs(), or pass at_kinks='check'.",
                  KinkWarning, stacklevel=stacklevel)


# --- inputs and outputs -----------------------------------------------------------------------

def _float64_inputs(inputs):
    """The inputs as float64 arrays (not copied: the checks never change them in place).

    Lower precision warns the caller of the public check."""
    xs = []
    for i, x in enumerate(inputs):
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"input {i} has dtype {a.dtype}: gradient checks need real numbers")
        if a.dtype.kind == "f" and a.dtype.itemsize < 8:
            warnings.warn(f"input {i} is {a.dtype}: the check computes in float64, so it may "
                          f"pass a rule that loses precision in {a.dtype}, or mislead you "
                          f"about one that does not. Check with float64 inputs.",
                          PrecisionWarning, stacklevel=3)
        xs.append(np.asarray(a, dtype=np.float64))
    return tuple(xs)


def _first_output(f, xs, stacklevel=3):
    """f(*xs) as a float64 array; warns if f computes in lower precision."""
    with np.errstate(all="ignore"):     # a result that is not finite is reported below
        out = f(*xs)
    dtype = getattr(out, "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        warnings.warn(f"f returns {dtype}: finite differences in {dtype} are too imprecise "
                      f"to check a gradient; compute in float64", PrecisionWarning,
                      stacklevel=stacklevel)
    out = _evaluate(f, xs, out)
    if not np.all(np.isfinite(out)):
        raise ValueError("f(*inputs) is not finite: choose inputs inside f's domain")
    return out


def _evaluate(f, xs, out=None):
    """f(*xs) as a float64 array. numpy's warnings are silenced: the checks report values that
    are not finite themselves (near the edge of f's domain, say)."""
    if out is None:
        with np.errstate(all="ignore"):
            out = f(*xs)
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a numpy array, not {type(out).__name__}") from None


def _scalar(value):
    value = np.asarray(value, dtype=np.float64)
    if value.size != 1:
        raise ValueError(f"numerical_grad needs a scalar function, but f returned shape "
                         f"{value.shape}; use numerical_vjp")
    return float(value.reshape(()))


def _as_gradients(result, call, settings):
    """vjp_fn's result as a list of float64 arrays, one per input of call, with the right
    shapes."""
    n = len(call.inputs)
    if isinstance(result, (tuple, list)):
        if n == 1 and len(result) > 1 and all(_is_number(r) for r in result):
            result = (result,)   # a list of numbers: _as_array asks for a numpy array
    elif n == 1:
        result = (result,)
    else:
        raise GradientError(f"vjp_fn must return a tuple of {n} gradients, one per input, but "
                            f"returned a {type(result).__name__}. {HINTS['count']}",
                            kind="count", got=result)
    if len(result) != n:
        inputs = ", ".join(_label(i, _name(call, i)) for i in range(n))
        raise GradientError(f"vjp_fn returned {len(result)} gradient"
                            f"{'' if len(result) == 1 else 's'}, but f has {n} input"
                            f"{'' if n == 1 else 's'} ({inputs}). {HINTS['count']}",
                            kind="count", got=result)
    return [_as_array(g, x.shape, i, "vjp", call, settings)
            for i, (g, x) in enumerate(zip(result, call.inputs))]


def _as_array(value, shape, i, mode, call, settings):
    """A rule's result as a float64 array of `shape`, or a GradientError for a student."""
    name = _name(call, i)
    d = _d(i, name) if mode == "vjp" else "the output tangent"
    x = (name or f"input {i}") if mode == "vjp" else "f(*inputs)"
    numeric = isinstance(value, np.ndarray) and value.dtype.kind in "biuf" or _is_number(value)
    if not numeric:
        what = "None (a missing `return`?)" if value is None else f"a {type(value).__name__}"
        raise GradientError(f"{d} is {what}. {HINTS['type'].format(x=x, shape=tuple(shape))}",
                            kind="type", input_index=i, input_name=name, got=value)
    value = np.asarray(value, dtype=np.float64)
    if value.shape != tuple(shape):
        raise _failure(call, settings, None, value, i, mode=mode, shape=shape)
    return value


def _dot(a, b):
    """sum(a * b) as a float: numpy's pairwise sum (np.vdot goes through BLAS, slower here)."""
    return float(np.sum(a * b))


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _require_finite(value, what):
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} is not finite: choose inputs inside f's domain")


# --- names in messages ------------------------------------------------------------------------

def _input_names(n, *candidates):
    """The inputs' parameter names, from the first (function, leading parameters to skip)
    whose signature names them all; None for each when none does."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for fn, skip in candidates:
        try:
            params = list(inspect.signature(fn).parameters.values())[skip:skip + n]
        except (TypeError, ValueError):
            continue
        if len(params) == n and all(p.kind in positional for p in params):
            return tuple(p.name for p in params)
    return (None,) * n


def _name(call, i):
    """Input i's parameter name, or None (unknown, or no single input)."""
    return None if i is None else call.names[i]


def _label(i, name):
    if i is None:
        return "all inputs"
    return f"input {i} ({name})" if name else f"input {i}"


def _d(i, name):
    return f"dL/d{name}" if name else f"dL/d(input {i})"
