"""What a diagnosis reads and what it says: the call checked, the wrong result, the verdict.

    Call        f, its inputs and what the rule was given (upstream gradient or tangents):
                what course.gradcheck checks and the hypotheses re-evaluate
    Problem     one wrong result of that call: got, the right result laid out like it (NaN
                where not checked), the shape it must have, the mode, the tolerance
    Diagnosis   the verdict: the kind of mistake, a summary with the numbers, a hint
    pose(...)   a Problem from what a caller has: arrays of any kind, expected None (then it is
                computed from f when that is cheap)
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np

from course.diagnosis.numerics import Numerics, quiet
from course.diagnosis.words import KINDS
from course.tolerances import EPS, MAX_ELEMENTWISE, RTOL, agree, excess, rounding_noise

MODES = ("vjp", "jvp", "traversal")


@dataclass(frozen=True)
class Call:
    """One call of a rule under check (JAX's conventions, as in course.gradcheck).

    f:         f(*inputs) -> out, or None (then no hypothesis can compute new numbers)
    inputs:    float64 arrays, one per input of f
    names:     the inputs' parameter names, None where unknown
    upstream:  u, the upstream gradient: the rule computes dL/dx for L = sum(f(*inputs) * u)
    tangents:  one per input (forward mode): the rule computes the output tangent
    eps:       the finite-difference step; seed: for the random directions
    max_full:  inputs up to this size get whole numerical Jacobians, larger ones random
               directions
    """

    f: Callable | None = None
    inputs: tuple = ()
    names: tuple = ()
    upstream: np.ndarray | None = None
    tangents: tuple | None = None
    eps: float = EPS
    seed: int = 0
    max_full: int = MAX_ELEMENTWISE

    @classmethod
    def of(cls, f=None, inputs=(), names=(), *, upstream=None, tangents=None, eps=EPS, seed=0,
           max_full=MAX_ELEMENTWISE):
        """A Call from arrays of any kind (converted to float64)."""
        return cls(f, tuple(np.asarray(x, dtype=np.float64) for x in inputs or ()),
                   tuple(names or ()), _array(upstream),
                   None if tangents is None else tuple(_array(t) for t in tangents),
                   eps, seed, max_full)


@dataclass(frozen=True)
class Candidate:
    """A known mistake of an exercise: what it gives on the same call, and how to say it."""

    kind: str                    # one of KINDS
    value: np.ndarray            # laid out like got
    explanation: str = ""        # the summary when it fits (default: the kind's WORDS)
    hint: str = ""               # default: the kind's generic hint


@dataclass(frozen=True)
class Problem:
    """One wrong result to explain.

    mode:         "vjp" (got is dL/d input_index), "jvp" (got is the output tangent when
                  input_index moves, None: all move) or "traversal" (got holds the .grad of
                  every node of a scalar graph, labels names them)
    got:          the student's result, float64
    expected:     the right result laid out like got, NaN where not checked (at a kink), or
                  None: not known (a large input: hypotheses are tested along directions)
    shape:        the shape got must have
    name:         what got is the gradient of, for the messages (the input's name)
    others:       the student's gradients of every input (vjp), to see a swap both ways
    candidates:   the exercise's known mistakes, tried right after zero
    rtol, atol:   the checker's tolerance (atol: at least the finite differences' noise)
    """

    mode: str
    got: np.ndarray
    expected: np.ndarray | None
    shape: tuple
    call: Call = field(default_factory=Call)
    input_index: int | None = None
    name: str | None = None
    others: tuple | None = None
    labels: tuple | None = None
    candidates: tuple = ()
    rtol: float = RTOL
    atol: float = 0.0

    @cached_property
    def checked(self):
        """The elements expected covers: all, except its NaNs."""
        if self.expected is None:
            return np.ones(self.shape, dtype=bool)
        return ~np.isnan(self.expected)

    @property
    def noun(self):
        return "node" if self.mode == "traversal" else "element"

    def index(self, k):
        """Flat index k as an index into got: a tuple."""
        return tuple(int(j) for j in np.unravel_index(k, self.shape)) if self.shape else ()

    def close(self, a, b):
        """Element-wise agreement to the tolerance, True where b or expected is not checked."""
        close = agree(a, b, self.rtol, self.atol)
        return close | ~self.checked if close.shape == self.checked.shape else close

    def all_close(self, a, b):
        return np.shape(a) == np.shape(b) and bool(np.all(self.close(a, b)))

    def worst(self, expected, count=2):
        """Flat indices of the checked elements furthest off `expected`, worst first."""
        off = excess(expected, self.got, self.rtol, self.atol)
        off = np.where(self.checked, off, 0.0).ravel()
        order = np.argsort(-off, kind="stable")
        return [int(k) for k in order[:count] if off[k] > 1.0]

    def largest(self, expected, count=1):
        """Flat indices of the checked elements where `expected` is largest: clear examples."""
        values = np.where(self.checked, np.abs(expected), -1.0).ravel()
        return [int(k) for k in np.argsort(-values, kind="stable")[:count]]


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


def pose(mode, got, expected=None, call=None, *, shape=None, input_index=None, name=None,
         others=None, labels=None, candidates=None, rtol=RTOL, atol=0.0):
    """The Problem, and the Numerics to test hypotheses on it, from what a caller has.

    shape: default expected's, else (vjp) the input's, else got's. expected: None, or an
    array of another shape, is replaced by the right result computed from the call when that
    is cheap (forward mode, or a vjp input of at most max_full elements). candidates:
    {kind: array} or {kind: (array, explanation[, hint])}.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    call = Call() if call is None else call
    numerics = Numerics(call)
    got = np.asarray(got, dtype=np.float64)
    if shape is None:
        if expected is not None:
            shape = np.shape(expected)
        elif mode == "vjp" and call.inputs and input_index is not None:
            shape = call.inputs[input_index].shape
        else:
            shape = got.shape
    shape = tuple(shape)
    with quiet():       # f may warn off its domain
        if expected is not None:
            expected = np.asarray(expected, dtype=np.float64) \
                if np.shape(expected) == shape else None
        elif mode == "vjp" and input_index is not None:
            expected = numerics.gradient(call.inputs, call.upstream, input_index)
        elif mode == "jvp":
            expected = numerics.tangent(call.inputs, call.tangents)
        if expected is not None and expected.shape != shape:
            expected = None
        if expected is not None and call.f is not None and call.inputs:
            atol = max(float(atol), _noise(mode, call, numerics, got, input_index))
    if name is None and input_index is not None and input_index < len(call.names):
        name = call.names[input_index]
    problem = Problem(mode, got, expected, shape, call, input_index, name or None,
                      None if others is None else tuple(others),
                      None if labels is None else tuple(labels), _candidates(candidates),
                      rtol, float(atol))
    return problem, numerics


def _noise(mode, call, numerics, got, j):
    """The rounding noise of the finite differences of L, as the checker estimates it."""
    out = numerics.output
    if out is None:
        return 0.0
    if mode == "jvp":
        return rounding_noise(float(np.max(np.abs(out), initial=0.0)), call.eps)
    u = call.upstream
    if u is None or u.shape != out.shape and u.size != 1:
        return 0.0
    size = float(np.sum(np.abs(out * u)))
    if j is not None and np.shape(got) == call.inputs[j].shape:
        size += float(np.sum(np.abs(got * call.inputs[j])))
    return rounding_noise(size, call.eps)


def _candidates(candidates):
    """{kind: array or (array, explanation[, hint])} as Candidates, kinds checked."""
    found = []
    for kind, candidate in (candidates or {}).items():
        if kind not in KINDS:
            raise ValueError(f"unknown kind of mistake {kind!r}: use one of {KINDS}")
        if isinstance(candidate, tuple):
            value, explanation, *rest = candidate
            found.append(Candidate(kind, np.asarray(value, dtype=np.float64), explanation,
                                   rest[0] if rest else ""))
        else:
            found.append(Candidate(kind, np.asarray(candidate, dtype=np.float64)))
    return tuple(found)


def _array(value):
    return None if value is None else np.asarray(value, dtype=np.float64)
