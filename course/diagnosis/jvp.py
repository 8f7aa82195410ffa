"""Hypotheses that only forward mode has: got is the output tangent when input_index moves
along its tangent (None: all inputs move).

Each predicts got as the right output tangent of changed tangents (ones, another input's,
transposed), by a central difference of f. Functions of (problem, numerics) that return a
Diagnosis or None, as in values.py.
"""

import numpy as np

from course.diagnosis import values
from course.diagnosis.problem import Diagnosis
from course.diagnosis.words import HINTS, example, input_name, input_word, subject


def explains(p, n, tangents):
    """(fits, prediction): is got the right output tangent for these (changed) tangents, and
    does that differ from the right one?"""
    prediction = n.tangent(p.call.inputs, tangents)
    if prediction is None:
        return False, None
    return values.fits(p, prediction), prediction


def moving(p):
    """The inputs whose tangents are not zero."""
    return range(len(p.call.inputs)) if p.input_index is None else [p.input_index]


def transposed_tangent(p, n):
    """The right rule with the moving input's (square) tangent transposed: x @ dW.T."""
    ts, i = p.call.tangents, p.input_index
    if ts is None or i is None or ts[i].ndim < 2 or ts[i].shape[-1] != ts[i].shape[-2]:
        return None
    found, _ = explains(p, n, ts[:i] + (np.swapaxes(ts[i], -1, -2),) + ts[i + 1:])
    if not found:
        return None
    summary = (f"{subject(p)} is what the right rule gives with the tangent of "
               f"{input_name(p, i) or f'input {i}'} transposed (like x @ dW.T instead of "
               f"x @ dW).")
    details = tuple(example(p, k) for k in p.worst(p.expected)[:1])
    return Diagnosis("transpose", summary, details, HINTS["transpose"], {"tangent": True})


def missing_tangent(p, n):
    """The right answer for a tangent of ones: the local derivative alone."""
    ts = p.call.tangents
    if ts is None or not p.call.inputs:
        return None
    ones = tuple(np.ones_like(t) if j in moving(p) else np.zeros_like(t)
                 for j, t in enumerate(ts))
    if all(np.array_equal(a, b) for a, b in zip(ones, ts)):
        return None
    found, _ = explains(p, n, ones)
    if not found:
        return None
    summary = (f"{subject(p)} is the local derivative alone: it is the right answer for a "
               f"tangent of ones, but the incoming tangent was not multiplied in.")
    k = p.largest(p.expected)[0]
    return Diagnosis("missing_upstream", summary, (example(p, k),), HINTS["missing_tangent"],
                     {})


def swapped_inputs(p, n):
    """What moving another input (of the same shape) along the same tangent gives."""
    inputs, ts, i = p.call.inputs, p.call.tangents, p.input_index
    if len(inputs) < 2 or i is None or ts is None:
        return None
    for j, x in enumerate(inputs):
        if j == i or x.shape != inputs[i].shape:
            continue
        found, prediction = explains(p, n, tuple(ts[i] if k == j else np.zeros_like(t)
                                                 for k, t in enumerate(ts)))
        if not found:
            continue
        summary = (f"{subject(p)} is what moving {input_word(p, j)} along the same tangent "
                   f"gives: the terms of the two inputs are swapped.")
        what = f"tangent when {input_name(p, j) or f'input {j}'} moves"
        return Diagnosis("swapped_inputs", summary, values.predicted(p, prediction, what),
                         HINTS["swapped_inputs"], {"other": j})
    return None


def output_for_input(p, n):
    """f element-wise: the local derivative at f(x) instead of x, or the other way round."""
    ts = p.call.tangents
    return None if ts is None else values.output_for_input(p, n, ts[0])


def not_accumulated(p, n):
    """Where several input elements feed one output, got kept exactly one of the
    contributions J[o, k] * t[k] instead of their sum."""
    inputs, ts = p.call.inputs, p.call.tangents
    if p.expected is None or p.call.f is None or not inputs or ts is None:
        return None
    blocks = []
    for j in moving(p):
        if inputs[j].size > p.call.max_full:
            return None
        J = n.jacobian(inputs, j)
        if J is None:
            return None
        blocks.append(J * ts[j].ravel()[None, :])
    parts = np.concatenate(blocks, axis=1)           # [output o, input element k]
    return values.kept_one_contribution(p, parts, "where several inputs contribute to one output")
