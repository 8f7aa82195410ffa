"""Hypotheses for a result of the wrong shape (vjp and jvp).

Each is a function of (problem, numerics) that returns a Diagnosis or None, as in values.py.
"""

import numpy as np

from course.diagnosis.problem import Diagnosis
from course.diagnosis.values import is_right
from course.diagnosis.words import HINTS, axes, of, subject
from course.tracing import broadcast_axes, unbroadcast


def unreduced_broadcast(p, n):
    """The broadcast shape: summed over the broadcast axes it is right."""
    found = broadcast_axes(p.shape, p.got.shape)
    if found is None:
        return None
    leading, stretched = found
    summed = unbroadcast(p.got, p.shape)
    if not np.all(np.isfinite(summed)) or not is_right(p, n, summed):
        return None
    lead = len(leading)
    summed_over = leading + tuple(lead + a for a in stretched)
    code = "".join([f".sum(axis={axes(leading)})" if leading else "",
                    f".sum(axis={axes(stretched)}, keepdims=True)" if stretched else ""])
    where = "axis" if len(summed_over) == 1 else "axes"
    summary = (f"{subject(p)} must have the shape of {of(p)}, {p.shape}, but has shape "
               f"{p.got.shape}, the broadcast shape; summed over {where} "
               f"{', '.join(map(str, summed_over))} it is right.")
    hint = HINTS["unreduced_broadcast"].format(of=of(p), d=subject(p), code=code)
    return Diagnosis("unreduced_broadcast", summary, (), hint, {"axes": summed_over})


def transposed(p, n):
    """got.T has the right shape and is right."""
    if p.got.ndim < 2 or np.swapaxes(p.got, -1, -2).shape != p.shape:
        return None
    flipped = np.swapaxes(p.got, -1, -2)
    if not np.all(np.isfinite(flipped)) or not is_right(p, n, flipped):
        return None
    summary = (f"{subject(p)} must have the shape of {of(p)}, {p.shape}, but has shape "
               f"{p.got.shape}: it is the transpose of the right gradient.")
    return Diagnosis("transpose", summary, (), HINTS["transpose"], {"transposed": True})


def wrong_shape(p, n, note=""):
    """None of these: the shape is wrong (note: what got would be spread to the right shape,
    course.diagnosis.registry.spread)."""
    why = "" if p.mode == "jvp" else f" (one number per element of {of(p)})"
    summary = (f"{subject(p)} must have the shape of {of(p)}, {p.shape}, but has shape "
               f"{p.got.shape}{why}." + (f" {note}" if note else ""))
    if broadcast_axes(p.shape, p.got.shape) is not None:
        hint = HINTS["broadcast"].format(of=of(p), d=subject(p))
    elif p.mode == "jvp":
        hint = "The output tangent has the shape of the output f(*inputs)."
    else:
        hint = HINTS["shape"]
    return Diagnosis("shape", summary, (), hint, {})
