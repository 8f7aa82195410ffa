"""Hypotheses that only reverse mode has: got is dL/dx_i for L = sum(f(*inputs) * upstream).

Most predict got as the right gradient of a changed problem (another input, u = 1, an operand
transposed), computed by course.diagnosis.numerics. Each is a function of (problem, numerics)
that returns a Diagnosis or None, as in values.py.
"""

import numpy as np

from course.diagnosis import values
from course.diagnosis.problem import Diagnosis
from course.diagnosis.words import (HINTS, element, example, factor, gradient_of, input_name,
                                    input_word, number, of, rounded, subject)
from course.tolerances import agree


def explains(p, n, xs, u, j):
    """(fits, prediction): is got the right dL/dx_j of L = sum(f(*xs) * u), a changed problem
    whose answer differs from the right one? Along random directions (a large input) got is
    known to be wrong, so agreeing with the changed problem already shows that."""
    prediction = n.gradient(xs, u, j)
    if prediction is not None:
        return values.fits(p, prediction), prediction
    if p.expected is None:
        return n.agrees(p.got, xs, u, j, p.rtol, p.atol), None
    return False, None


def swapped_shape(p, n):
    """got has the shape of another input and is that input's gradient."""
    inputs = p.call.inputs
    if not inputs or p.input_index is None:
        return None
    for j, x in enumerate(inputs):
        if j == p.input_index or x.shape != p.got.shape or not np.all(np.isfinite(p.got)):
            continue
        found, _ = explains(p, n, inputs, p.call.upstream, j)
        if found:
            summary = (f"{subject(p)} must have the shape of {of(p)}, {p.shape}, but has the "
                       f"shape of {input_word(p, j)}, {x.shape}, and is the right "
                       f"{gradient_of(p, j)}: the gradients are swapped.")
            return Diagnosis("swapped_inputs", summary, (), HINTS["swapped_inputs"],
                             {"other": j})
    return None


def transposed_operand(p, n):
    """The rule with another (square, not symmetric) input transposed: a matmul's gradient
    with the wrong operand transposed."""
    inputs, i = p.call.inputs, p.input_index
    if not inputs or i is None:
        return None
    for j, x in enumerate(inputs):
        if j == i or x.ndim < 2 or x.shape[-1] != x.shape[-2] \
                or np.allclose(x, np.swapaxes(x, -1, -2)):
            continue
        xs = inputs[:j] + (np.swapaxes(x, -1, -2),) + inputs[j + 1:]
        found, _ = explains(p, n, xs, p.call.upstream, i)
        if found:
            other = input_name(p, j) or f"input {j}"
            summary = (f"{subject(p)} is what the right rule gives with {other} transposed: a "
                       f"matmul uses {other} where it needs {other}.T (or the other way "
                       f"round).")
            details = tuple(example(p, k) for k in p.worst(p.expected)[:1]) \
                if p.expected is not None else ()
            return Diagnosis("transpose", summary, details, HINTS["transpose"], {"operand": j})
    return None


def missing_upstream(p, n):
    """The right answer for u = 1: the local gradient alone."""
    u = p.call.upstream
    if u is None or np.all(u == 1.0):
        return None
    found, prediction = False, None
    if p.call.f is not None and p.call.inputs and p.input_index is not None:
        found, prediction = explains(p, n, p.call.inputs, np.ones_like(u), p.input_index)
    elif p.expected is not None and (u.size == 1 or u.shape == p.shape) and np.all(u != 0):
        prediction = p.expected / u            # element-wise (or a scalar upstream)
        found = p.all_close(p.got, prediction)
    if not found:
        return None
    summary = (f"{subject(p)} is the local gradient alone: it is the right answer for an "
               f"upstream gradient of 1, but the upstream gradient was not multiplied in")
    evidence = {}
    if u.size > 1 and np.all(u == u.reshape(-1)[0]):
        # the same upstream everywhere: a factor 1/u fits as well; say so
        summary += (f" (the upstream gradient is {number(u.reshape(-1)[0])} everywhere here, "
                    f"so this is also a constant factor)")
        evidence["also"] = "scale"
    details = ()
    if p.expected is not None:
        k = p.largest(p.expected)[0]
        details = (example(p, k),)
        if u.size == 1 or u.shape == p.shape:
            uk = float(u.reshape(-1)[0 if u.size == 1 else k])
            local = number(p.got.ravel()[k])
            details = (f"  {element(p, k)}: expected {number(p.expected.ravel()[k])} = local "
                       f"{local} x upstream {number(uk)}, got {local}",)
    return Diagnosis("missing_upstream", summary + ".", details, HINTS["missing_upstream"],
                     evidence)


def swapped_inputs(p, n):
    """The right gradient of another input of the same shape."""
    inputs, i = p.call.inputs, p.input_index
    if len(inputs) < 2 or i is None:
        return None
    for j, x in enumerate(inputs):
        if j == i or x.shape != inputs[i].shape:
            continue
        found, prediction = explains(p, n, inputs, p.call.upstream, j)
        if not found:
            continue
        back = ", and the other way round" if _other_swapped(p, j) else ""
        summary = (f"{subject(p)} is the right {gradient_of(p, j)}: {of(p)} got the rule meant "
                   f"for {input_name(p, j) or f'input {j}'}{back}.")
        return Diagnosis("swapped_inputs", summary,
                         values.predicted(p, prediction, gradient_of(p, j)),
                         HINTS["swapped_inputs"], {"other": j})
    return None


def _other_swapped(p, j):
    """Did input j get this one's rule too (the student's gradients in p.others)?"""
    if p.others is None or j >= len(p.others) or p.expected is None:
        return False
    other = np.asarray(p.others[j], dtype=np.float64)
    return other.shape == p.expected.shape and bool(np.all(
        agree(other, p.expected, p.rtol, p.atol) | ~p.checked))


def output_for_input(p, n):
    """f element-wise: the local derivative at f(x) instead of x, or the other way round."""
    return values.output_for_input(p, n, p.call.upstream)


def not_accumulated(p, n):
    """Where an element of x feeds several outputs (fan-out), got kept exactly one of the
    contributions J[o, k] * u[o] instead of their sum."""
    i, u = p.input_index, p.call.upstream
    if p.expected is None or p.call.f is None or not n.small(i) or u is None:
        return None
    J = n.jacobian(p.call.inputs, i)
    if J is None:
        return None
    u = np.broadcast_to(u, (J.shape[0],)) if u.size == 1 else u.ravel()
    parts = (J * u[:, None]).T                       # [element k, use o]
    return values.kept_one_contribution(
        p, parts, f"where an element of {of(p)} is used more than once (fan-out)")


def scale_along_directions(p, n):
    """A large input: got / k agrees with the right gradient along random directions, for the
    k that one random direction gives."""
    inputs, i, u = p.call.inputs, p.input_index, p.call.upstream
    if p.expected is not None or p.call.f is None or not inputs or u is None or i is None:
        return None
    rng = np.random.default_rng(p.call.seed + 4242)
    d = rng.uniform(-1.0, 1.0, size=p.got.shape)
    derivative = n.directional(inputs, u, i, d)
    if derivative is None or derivative == 0:
        return None
    k = float(np.sum(p.got * d)) / derivative
    if not np.isfinite(k) or k == 0 or abs(k - 1) <= 10 * p.rtol:
        return None
    if not n.agrees(p.got / k, inputs, u, i, p.rtol, p.atol):
        return None
    return values.multiple(p, "scale", f"is {factor(k)} times the right one"
                           f"{values.dimension(p, n, k)}", HINTS["scale"],
                           {"factor": rounded(k)})
