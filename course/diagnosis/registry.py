"""The hypotheses of each mode, in the order they are tried: the first that explains every
checked number to the checker's tolerance is the diagnosis. Most specific first; fitted factors
last. A hypothesis is a function of (problem, numerics) -> Diagnosis or None.

    WRONG_SHAPE[mode]   got has the wrong shape (vjp, jvp)
    RIGHT_SHAPE[mode]   got has the right shape (vjp, jvp, traversal); the exercise's known
                        mistakes (values.known) come right after zero
    SPREAD[mode]        what a plain number would be, spread to the right shape (`spread`)
"""

from dataclasses import replace

import numpy as np

from course.diagnosis import jvp, shapes, values, vjp
from course.diagnosis.numerics import quiet
from course.diagnosis.words import WORDS, pick_hint
from course.tracing import broadcast_axes


def spread(p, n):
    """A result numpy would broadcast to the right shape (a plain number, say): the shape
    verdict, saying what it would be, spread to that shape."""
    if p.expected is None or broadcast_axes(p.got.shape, p.shape) is None:
        return None
    spread_out = np.array(np.broadcast_to(p.got, p.shape))
    if p.all_close(spread_out, p.expected):
        note = "Spread to that shape it is right (e.g. multiply by np.ones_like(x))."
    else:
        spread_problem = replace(p, got=spread_out)
        found = next((d for d in (test(spread_problem, n) for test in SPREAD[p.mode])
                      if d is not None), None)
        if found is None:
            return None
        note = f"Spread to that shape it is still wrong: {WORDS[found.kind]}."
    return shapes.wrong_shape(p, n, note)


WRONG_SHAPE = {
    "vjp": (shapes.unreduced_broadcast, shapes.transposed, vjp.swapped_shape, spread,
            shapes.wrong_shape),
    "jvp": (shapes.unreduced_broadcast, shapes.transposed, spread, shapes.wrong_shape),
}

RIGHT_SHAPE = {
    "vjp": (values.nonfinite, values.zero, values.known, values.sign, values.transpose,
            vjp.transposed_operand, vjp.missing_upstream, vjp.swapped_inputs,
            vjp.output_for_input, vjp.not_accumulated, values.scale, vjp.scale_along_directions,
            values.partial, values.unknown),
    "jvp": (values.nonfinite, values.zero, values.known, values.sign, values.transpose,
            jvp.transposed_tangent, jvp.missing_tangent, jvp.swapped_inputs,
            jvp.output_for_input, jvp.not_accumulated, values.scale, values.partial,
            values.unknown),
    "traversal": (values.nonfinite, values.zero, values.known, values.sign, values.scale,
                  values.partial, values.unknown),
}

SPREAD = {
    "vjp": (values.nonfinite, values.zero, values.sign, vjp.missing_upstream, values.scale),
    "jvp": (values.nonfinite, values.zero, values.sign, jvp.missing_tangent, values.scale),
}


def explain(problem, numerics, hint=None):
    """The Diagnosis of `problem`: the first hypothesis of its mode that fits (the last of
    each table always does). hint: the exercise's hint, a string or {kind: hint}, in place of
    the generic one."""
    table = RIGHT_SHAPE if problem.got.shape == problem.shape else WRONG_SHAPE
    with quiet():
        found = next(d for d in (test(problem, numerics) for test in table[problem.mode])
                     if d is not None)
    return replace(found, hint=pick_hint(hint, found.kind, found.hint))
