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
- A value passes when |expected - got| <= atol + rtol * max(1e-8, |expected| + |got|): CS231n's
  relative error must stay below rtol, except for values so small that they drown in the
  rounding noise of the finite differences. That noise, atol, is estimated from the size of the
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
  rules, `mistakes={kind: rule}` (same signature as the rule checked), to recognise more.
- The checks return True or raise GradientError, so a test cell can end with
  `assert check_vjp(...)` (nbgrader reads a numeric last value as partial credit; an assert
  statement leaves no value at all).
"""

import inspect
import warnings

import numpy as np

from course import diagnose as _diagnosis

__all__ = [
    "GradientError", "PrecisionWarning", "KinkWarning",
    "check_vjp", "check_jvp", "check_grad", "dot_product_test",
    "numerical_grad", "numerical_vjp", "random_inputs", "close", "rel_error", "gradient_error", "diagnose",
    "check_traversal",
]

EPS = 1e-6              # finite-difference step
RTOL = 1e-5             # relative tolerance (CS231n relative error)
DOT_RTOL = 1e-12        # dot-product test, relative to the size of the terms
MAX_ELEMENTWISE = 100   # inputs up to this size are checked element by element
NUM_DIRECTIONS = 2      # random directions for the larger inputs
NOISE = 100 * np.finfo(np.float64).eps   # rounding noise of one evaluation of L, relative
KINK_RTOL = 1e-2        # one-sided differences further off a smooth function's: a kink
AT_KINKS = ("skip", "between", "check")

KINDS = _diagnosis.KINDS + ("count", "type")
HINTS = {
    "broadcast": "If {x} was broadcast in the forward pass, sum {d} over the broadcast axes.",
    "nonfinite": "Look for a division by zero, the log of 0, an overflowing exp, or an array "
                 "that was never filled in.",
    "count": "Return one gradient per input, in the order of the inputs.",
    "type": "Return a numpy array with the shape of {x}, {shape}.",
}


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
    _check_mistakes(mistakes)
    xs = _float64_inputs(inputs)
    names = _input_names(len(xs), (vjp_fn, 1), (f, 0))
    _check_reverse(f, vjp_fn, xs, names, upstream, seed, eps, rtol, atol, at_kinks,
                   max_elementwise, num_directions, hint, mistakes)
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
    _check_mistakes(mistakes)
    xs = _float64_inputs(inputs)
    names = _input_names(len(xs), (f, 0))

    def forward(*ys):
        return vjp(f, *ys)[0]

    def vjp_fn(u, *ys):
        return vjp(f, *ys)[1](u)

    _check_reverse(forward, vjp_fn, xs, names, upstream, seed, eps, rtol, atol, at_kinks,
                   max_elementwise, num_directions, hint, mistakes)
    return True


def check_jvp(f, jvp_fn, *inputs, seed=0, eps=EPS, rtol=RTOL, atol=None, at_kinks="skip",
              hint=None, mistakes=None):
    """Check a forward-mode rule, jvp_fn(tangents, *inputs), against finite differences.

    Moves one input at a time along a random (seeded) tangent, then all of them together, and
    compares the output tangent, element by element, with (f(x + eps t) - f(x - eps t)) / (2 eps).
    atol=None estimates the finite-difference noise. hint, mistakes ({kind: wrong_jvp_fn}): as
    in check_vjp. Raises GradientError; returns True.
    """
    _check_options(at_kinks)
    _check_mistakes(mistakes)
    xs = _float64_inputs(inputs)
    names = _input_names(len(xs), (jvp_fn, 1), (f, 0))
    out = _first_output(f, xs)
    rng = np.random.default_rng(seed)
    moves = [(i, [rng.standard_normal(x.shape) if j == i else np.zeros(x.shape)
                  for j, x in enumerate(xs)]) for i in range(len(xs))]
    if len(xs) > 1:
        moves.append((None, [rng.standard_normal(x.shape) for x in xs]))
    for i, tangents in moves:
        name = None if i is None else names[i]
        evidence = {"f": f, "inputs": xs, "tangents": tangents, "names": names, "seed": seed,
                    "mistakes": mistakes, "hint": hint, "max_full": MAX_ELEMENTWISE}
        got = _as_array(jvp_fn(tuple(t.copy() for t in tangents), *[x.copy() for x in xs]),
                        out.shape, i, name, "jvp", evidence)

        def one_sided(step, tangents=tangents):
            """The left and right differences of f along the tangents, element-wise."""
            plus = _evaluate(f, [x + step * t for x, t in zip(xs, tangents)])
            minus = _evaluate(f, [x - step * t for x, t in zip(xs, tangents)])
            return (out - minus) / step, (plus - out) / step

        left, right = one_sided(eps)
        central = (left + right) / 2
        _require_finite(central, f"f near the inputs, moving {_label(i, name)},")
        noise = NOISE * np.max(np.abs(out), initial=0.0) / eps if atol is None else atol
        expected = _expected(central, left, right, got, rtol, noise, at_kinks,
                             half_step=lambda: one_sided(eps / 2))
        _compare(expected, got, i, name, rtol, noise, "jvp", stacklevel=3, evidence=evidence)
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
    grads = _as_gradients(vjp_fn(u.copy(), *[x.copy() for x in xs]), xs, names)
    for i, x in enumerate(xs):
        v = [rng.standard_normal(y.shape) if j == i else np.zeros(y.shape)
             for j, y in enumerate(xs)]
        jv = _as_array(jvp_fn(tuple(v), *[y.copy() for y in xs]), out.shape, i, names[i], "jvp")
        if not (np.all(np.isfinite(jv)) and np.all(np.isfinite(grads[i]))):
            raise GradientError(f"jvp_fn or vjp_fn returns values that are not finite for "
                                f"{_label(i, names[i])}. {HINTS['nonfinite']}", kind="nonfinite",
                                input_index=i, input_name=names[i])
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
            return _dot(_evaluate(f, xs[:i] + [y] + xs[i + 1:]), u)
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


def rel_error(a, b):
    """CS231n's relative error: the largest |a - b| / max(1e-8, |a| + |b|), element-wise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


# --- errors -----------------------------------------------------------------------------------

def diagnose(expected, got, shape, *, upstream=None, inputs=None, output=None, others=None,
             f=None, input_index=0, rtol=RTOL):
    """The kind of mistake, a string of course.diagnose.KINDS (the full Diagnosis, with its
    message: course.diagnose.diagnose).

    expected: the right gradient (finite differences or the engine), or None; got: the rule's
    result; shape: the shape it must have. The rest is optional evidence: upstream (the upstream
    gradient the rule got), inputs and f (the function; with f the hypotheses that need new
    numbers can be tested), others (accepted for widgets; the other inputs' right gradients are
    computed from f). output is accepted for widgets and not needed.
    """
    del output
    expected_array = None if expected is None else np.asarray(expected, dtype=np.float64)
    if inputs is not None and len(inputs) == 0:
        inputs = None
    if f is None and expected_array is None and np.shape(got) == tuple(shape):
        got = np.asarray(got, dtype=np.float64)
        return "nonfinite" if not np.all(np.isfinite(got)) else "unknown"
    return _diagnosis.diagnose(got, expected_array, shape=tuple(shape), f=f, inputs=inputs,
                               input_index=input_index if f is not None else None,
                               upstream=upstream, rtol=rtol, others=others).kind


def gradient_error(expected, got, input_index=None, input_name=None, *, shape=None, rtol=RTOL,
                   atol=0.0, direction=False, mode="vjp", evidence=None, hint=None):
    """Build the GradientError for a wrong result, with a short message for a student.

    expected: finite differences (an array; a scalar when `direction`; None if not computed);
    got: the rule's result; shape: the shape `got` must have (default: expected's);
    mode: "vjp" (got is dL/dx of input `input_index`) or "jvp" (got is the output tangent
    when input `input_index` moves). input_index None: no single input is to blame.
    evidence: what course.diagnose may use (f, inputs, upstream or tangents, names, others: all
    the rule's gradients, mistakes: {kind: wrong rule}, seed, max_full); hint: the exercise's
    hint (a string or {kind: hint}), in place of the generic one.
    """
    got = np.asarray(got, dtype=np.float64)
    shape = tuple(np.shape(expected) if shape is None else shape)
    ev = dict(evidence or {})
    hint = hint if hint is not None else ev.get("hint")
    i, name = input_index, input_name
    if mode == "vjp":
        d = _d(i, name) if i is not None else "dL/dx"
        subject = "Wrong gradients" if i is None else f"Wrong gradient for {_label(i, name)}"
    else:
        d = "the output tangent"
        moving = "all inputs move" if i is None else f"only {_label(i, name)} moves"
        subject = f"Wrong jvp when {moving}"
    full = got
    if direction:
        others = ev.get("others")
        full = None if i is None or others is None else np.asarray(others[i], dtype=np.float64)
    diagnosis = None
    if full is not None:
        diagnosis = _diagnose_safely(full, None if direction else expected, shape, i, name, mode,
                                     ev, rtol, atol, hint)
    kind = "unknown" if diagnosis is None else diagnosis.kind
    index = None if diagnosis is None or direction else diagnosis.evidence.get("index")
    if direction:
        where = "" if i is None else f", shape {shape}"
        lines = [f"{subject}{where}: along a random direction d, <{d}, d> = {float(got):.6g}, "
                 f"but finite differences give {float(expected):.6g} (relative error "
                 f"{rel_error(expected, got):.2g}, tolerance {rtol:g})."]
        if diagnosis is not None and kind != "unknown":
            lines += [diagnosis.summary, f"Hint: {diagnosis.hint}"]
        else:
            lines.append(f"Hint: {_diagnosis.HINTS['directional']}")
    else:
        if kind in ("shape", "unreduced_broadcast") or got.shape != shape:
            head = f"{subject}: "
        else:
            head = f"{subject}, shape {shape}: "
        summary = diagnosis.summary
        lines = [head + summary] + list(diagnosis.details) + [f"Hint: {diagnosis.hint}"]
    if not direction and index is None and diagnosis is not None and got.shape == shape \
            and expected is not None and kind not in ("shape",):
        index = _worst_index(expected, got, rtol, atol)
    return GradientError("\n".join(lines), kind=kind, input_index=i, input_name=name,
                         index=index, expected=expected, got=got, diagnosis=diagnosis)


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


def _diagnose_safely(got, expected, shape, i, name, mode, ev, rtol, atol, hint):
    """course.diagnose on the evidence; a diagnosis that fails to run says "unknown"."""
    inputs = ev.get("inputs")
    candidates = _mistake_candidates(ev, i, mode, shape)
    try:
        return _diagnosis.diagnose(
            got, expected, shape=shape, f=ev.get("f"), inputs=inputs, input_index=i,
            upstream=ev.get("upstream"), tangents=ev.get("tangents"), mode=mode,
            others=ev.get("others"), candidates=candidates, name=name, names=ev.get("names"),
            rtol=rtol, atol=atol, max_full=ev.get("max_full", MAX_ELEMENTWISE), hint=hint,
            seed=ev.get("seed", 0))
    except Exception as error:   # never let the diagnosis hide the failure itself
        return _diagnosis.Diagnosis(
            "unknown", f"the result is wrong (the diagnosis failed: {type(error).__name__}).",
            (), _diagnosis.HINTS["unknown"], {})


def _mistake_candidates(ev, i, mode, shape):
    """{kind: array}: what the exercise's known wrong rules give on the same evidence."""
    mistakes, inputs = ev.get("mistakes"), ev.get("inputs")
    if not mistakes or inputs is None:
        return None
    candidates = {}
    for kind, rule in mistakes.items():
        try:
            with np.errstate(all="ignore"):
                if mode == "vjp":
                    if i is None:
                        continue
                    result = rule(np.array(ev["upstream"]), *[x.copy() for x in inputs])
                    if not isinstance(result, (tuple, list)):
                        result = (result,)
                    value = np.asarray(result[i], dtype=np.float64)
                else:
                    value = np.asarray(rule(tuple(t.copy() for t in ev["tangents"]),
                                            *[x.copy() for x in inputs]), dtype=np.float64)
        except Exception:    # a known mistake that does not run here does not fit
            continue
        if value.shape == tuple(shape):
            candidates[kind] = value
    return candidates


def _worst_index(expected, got, rtol, atol):
    excess = _excess(expected, got, rtol, atol)
    if not np.any(excess > 1.0):
        return None
    return tuple(int(j) for j in np.unravel_index(int(np.argmax(excess)), np.shape(got)))


# --- the reverse-mode check -------------------------------------------------------------------

def _check_reverse(f, vjp_fn, xs, names, upstream, seed, eps, rtol, atol, at_kinks,
                   max_elementwise, num_directions, hint=None, mistakes=None):
    _check_options(at_kinks)
    out = _first_output(f, xs, stacklevel=4)
    rng = np.random.default_rng(seed)
    if upstream is None:   # magnitudes in [0.5, 1.5], random signs: none near 0, never all ones
        v = rng.uniform(-1.0, 1.0, size=out.shape)
        u = v + 0.5 * np.sign(v)
    else:
        u = np.asarray(upstream, dtype=np.float64)
        if u.shape != out.shape:
            raise ValueError(f"upstream has shape {u.shape} but f's output has shape {out.shape}")
    evidence = {"f": f, "inputs": xs, "upstream": u, "names": names, "seed": seed,
                "mistakes": mistakes, "hint": hint, "max_full": max_elementwise}
    grads = _as_gradients(vjp_fn(u.copy(), *[x.copy() for x in xs]), xs, names, evidence)
    evidence["others"] = grads
    if atol is None:   # the size of L's terms: of the outputs, and of the inputs' contributions
        size = _dot(np.abs(out), np.abs(u)) + sum(_dot(np.abs(g), np.abs(x))
                                                  for g, x in zip(grads, xs))
        atol = NOISE * size / eps
    L0 = _dot(out, u)

    def loss(changed):
        """L with some inputs changed; changed maps input index -> array."""
        return _dot(_evaluate(f, [changed.get(i, x) for i, x in enumerate(xs)]), u)

    large = []
    for i, (x, g) in enumerate(zip(xs, grads)):
        if x.size <= max_elementwise:
            _check_elements(lambda y, i=i: loss({i: y}), x, g, i, names[i], L0, eps, rtol,
                            atol, at_kinks, evidence)
        elif not np.all(np.isfinite(g)):
            raise gradient_error(None, g, i, names[i], shape=x.shape, evidence=evidence)
        else:
            large.append(i)
    if large:
        _check_directions(loss, xs, grads, large, names, L0, rng, eps, rtol, atol, at_kinks,
                          num_directions, evidence)


def _check_elements(loss, x, g, i, name, L0, eps, rtol, atol, at_kinks, evidence=None):
    """Compare g, dL/dx, with central differences of loss(x) element by element."""
    central, left, right = _partials(loss, x.copy(), eps, L0)
    _require_finite(central, f"f near {_label(i, name)}")
    expected = _expected(central, left, right, g, rtol, atol, at_kinks,
                         half_step=lambda: _partials(loss, x.copy(), eps / 2, L0)[1:])
    _compare(expected, g, i, name, rtol, atol, "vjp", stacklevel=5, evidence=evidence)


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


def _check_directions(loss, xs, grads, large, names, L0, rng, eps, rtol, atol, at_kinks,
                      num_directions, evidence=None):
    """Move the large inputs together along random directions d and compare sum_i <g_i, d_i>
    with central differences; after a failure, move them one at a time to find the wrong one."""
    checked = 0
    for _ in range(num_directions):
        steps = {i: rng.uniform(-eps, eps, size=xs[i].shape) for i in large}
        result = _directional(loss, xs, grads, steps, L0, eps, rtol, atol, at_kinks)
        if result is None:
            continue
        checked += 1
        expected, got, passed = result
        if passed:
            continue
        blamed = large[0] if len(large) == 1 else None
        for i in large if len(large) > 1 else ():
            alone = _directional(loss, xs, grads, {i: steps[i]}, L0, eps, rtol, atol, at_kinks)
            if alone is not None and not alone[2]:
                (expected, got, _), blamed = alone, i
                break
        name = None if blamed is None else names[blamed]
        shape = None if blamed is None else xs[blamed].shape
        raise gradient_error(expected, got, blamed, name, shape=shape, rtol=rtol, atol=atol,
                             direction=True, evidence=evidence)
    if not checked:
        _warn_unchecked(", ".join(_label(i, names[i]) for i in large),
                        "every random direction crossed", stacklevel=5)


def _directional(loss, xs, grads, steps, L0, eps, rtol, atol, at_kinks):
    """(expected, got, passed) along `steps` (input index -> step, |step| <= eps), or None when
    the direction crosses a kink and at_kinks="skip"."""
    def one_sided(scale):
        plus = loss({i: xs[i] + (h if scale == 1 else scale * h) for i, h in steps.items()})
        minus = loss({i: xs[i] - (h if scale == 1 else scale * h) for i, h in steps.items()})
        return np.asarray((L0 - minus) / (scale * eps)), np.asarray((plus - L0) / (scale * eps))

    left, right = one_sided(1.0)
    central = (left + right) / 2
    _require_finite(central, "f near the inputs")
    got = sum(_dot(grads[i], h) for i, h in steps.items()) / eps
    expected = float(_expected(central, left, right, np.asarray(got), rtol, atol, at_kinks,
                               half_step=lambda: one_sided(0.5)))
    if np.isnan(expected):
        return None
    return expected, got, bool(_excess(expected, got, rtol, atol) <= 1.0)


def _expected(central, left, right, got, rtol, atol, at_kinks, half_step):
    """What `got` is compared with: the central difference, except at kinks.

    Only where got fails against the central difference, the one-sided derivatives left and
    right are compared with those for half the step (half_step() gives them). For a smooth
    function, right - right_half and left_half - left are both (right - left) / 4, to first
    order in the step; where they are not, the step crossed a kink. There: NaN (not checked)
    for "skip", the value nearest got between left and right for "between".
    """
    failing = _excess(central, got, rtol, atol) > 1.0
    if at_kinks == "check" or not failing.any():
        return central
    left_half, right_half = half_step()
    quarter = (right - left) / 4
    allowed = KINK_RTOL * np.abs(quarter) + atol / 4
    smooth = ((np.abs(right - right_half - quarter) <= allowed)
              & (np.abs(left_half - left - quarter) <= allowed))
    kink = failing & ~smooth
    if at_kinks == "skip":
        return np.where(kink, np.nan, central)
    between = np.clip(got, np.minimum(left, right), np.maximum(left, right))
    return np.where(kink, between, central)


def _excess(expected, got, rtol, atol):
    """|expected - got| as a multiple of the tolerance: above 1 fails; NaN expected: 0."""
    expected = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bound = atol + rtol * np.maximum(1e-8, np.abs(expected) + np.abs(got))
        return np.nan_to_num(np.abs(expected - got) / bound, nan=0.0)


def _compare(expected, got, i, name, rtol, atol, mode, stacklevel, evidence=None):
    """Raise a GradientError if got disagrees with expected (NaN in expected: not checked)."""
    if not np.all(np.isfinite(got)) or np.any(_excess(expected, got, rtol, atol) > 1.0):
        raise gradient_error(expected, got, i, name, rtol=rtol, atol=atol, mode=mode,
                             evidence=evidence)
    if np.size(expected) and np.all(np.isnan(expected)):
        what = "every element sat on" if mode == "vjp" else "every output element sat on"
        _warn_unchecked(_label(i, name), what, stacklevel + 1)


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
    return xs


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


def _as_gradients(result, xs, names, evidence=None):
    """vjp_fn's result as a list of float64 arrays, one per input, with the right shapes."""
    n = len(xs)
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
        inputs = ", ".join(_label(i, m) for i, m in enumerate(names))
        raise GradientError(f"vjp_fn returned {len(result)} gradient"
                            f"{'' if len(result) == 1 else 's'}, but f has {n} input"
                            f"{'' if n == 1 else 's'} ({inputs}). {HINTS['count']}",
                            kind="count", got=result)
    return [_as_array(g, x.shape, i, names[i], "vjp", evidence)
            for i, (g, x) in enumerate(zip(result, xs))]


def _as_array(value, shape, i, name, mode, evidence=None):
    """A rule's result as a float64 array of `shape`, or a GradientError for a student."""
    d = _d(i, name) if mode == "vjp" else "the output tangent"
    x = (name or f"input {i}") if mode == "vjp" else "f(*inputs)"
    numeric = isinstance(value, np.ndarray) and value.dtype.kind in "biuf" or _is_number(value)
    if not numeric:
        what = "None (a missing `return`?)" if value is None else f"a {type(value).__name__}"
        raise GradientError(f"{d} is {what}. {HINTS['type'].format(x=x, shape=tuple(shape))}",
                            kind="type", input_index=i, input_name=name, got=value)
    value = np.asarray(value, dtype=np.float64)
    if value.shape != tuple(shape):
        raise gradient_error(None, value, i, name, shape=shape, mode=mode, evidence=evidence)
    return value


def _dot(a, b):
    """sum(a * b) as a float: numpy's pairwise sum (np.vdot goes through BLAS, slower here)."""
    return float(np.sum(a * b))


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _require_finite(value, what):
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} is not finite: choose inputs inside f's domain")


def _check_options(at_kinks):
    if at_kinks not in AT_KINKS:
        raise ValueError(f"at_kinks must be one of {AT_KINKS}, not {at_kinks!r}")


def _check_mistakes(mistakes):
    for kind, rule in (mistakes or {}).items():
        if kind not in _diagnosis.KINDS:
            raise ValueError(f"mistakes: unknown kind of mistake {kind!r}: use one of "
                             f"{_diagnosis.KINDS}")
        if not callable(rule):
            raise TypeError(f"mistakes[{kind!r}] must be a rule (a function), not "
                            f"{type(rule).__name__}")


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
            return [p.name for p in params]
    return [None] * n


def _label(i, name):
    if i is None:
        return "all inputs"
    return f"input {i} ({name})" if name else f"input {i}"


def _d(i, name):
    return f"dL/d{name}" if name else f"dL/d(input {i})"
