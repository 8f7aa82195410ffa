"""Hypotheses for a result of the right shape that read the numbers alone (any mode).

Each is a function of (problem, numerics) that returns a Diagnosis (with the generic hint) when
it explains every checked number, else None. course.diagnosis.registry lists them in order.
"""

import numpy as np

from course.diagnosis.numerics import NUM_DIRECTIONS
from course.diagnosis.problem import Diagnosis
from course.diagnosis.words import (HINTS, WORDS, element, everywhere, example, factor,
                                    for_example, input_name, number, ordinal, rounded,
                                    short_name, subject)
from course.tolerances import agree, excess, rel_error

MAX_FACTOR = 64           # a fitted factor seen on one number only must be n or 1/n, n <= this


# --- what the hypotheses share -----------------------------------------------------------------

def is_right(p, n, a):
    """Is `a` the right result? Against expected, else (a large vjp input) along random
    directions."""
    if p.expected is not None:
        return p.all_close(a, p.expected)
    return p.mode == "vjp" and n.agrees(a, p.call.inputs, p.call.upstream, p.input_index,
                                        p.rtol, p.atol)


def fits(p, prediction):
    """Is got the right answer of a changed problem (`prediction`), and is that answer not the
    right one? (With full arrays, a change that does not change the answer is no evidence.)"""
    if p.expected is not None and p.all_close(prediction, p.expected):
        return False
    return p.all_close(p.got, prediction)


def predicted(p, prediction, what):
    """The details for got explained by a changed problem: one example with that problem's
    right value, "  dL/dx[1]: expected 2, got 3 (the right dL/dy: 3)"; none without numbers."""
    if p.expected is None or prediction is None:
        return ()
    k = p.largest(p.expected)[0]
    return (example(p, k, note=f" (the right {what}: {number(prediction.ravel()[k])})"),)


def multiple(p, kind, phrase, hint, evidence):
    """The Diagnosis for got = a constant times the right result, with one example."""
    if p.expected is None:
        summary = f"{subject(p)} {phrase} (checked along {NUM_DIRECTIONS} random directions)."
        return Diagnosis(kind, summary, (), hint, evidence)
    k = p.largest(p.expected)[0]
    shown = f"expected {number(p.expected.ravel()[k])}, got {number(p.got.ravel()[k])}"
    if p.mode == "traversal":
        summary = f"Every {p.noun}'s gradient {phrase} (e.g. {element(p, k)}: {shown})."
    else:
        where = "" if p.got.size == 1 else f"e.g. {element(p, k)}: "
        summary = f"{subject(p)} {phrase} ({where}{shown})."
    return Diagnosis(kind, summary, (), hint, dict(evidence, index=p.index(k)))


def dimension(p, n, k):
    """", and 5 is the size of axis 0 of x" when k or 1/k is an axis size (3 or more) of an
    input or the output: a batch size or a mean's count."""
    for value in (k, 1 / k):
        size = round(value)
        if size < 3 or abs(value - size) > 1e-6 * size:
            continue
        arrays = [(input_name(p, j) or f"input {j}", x) for j, x in enumerate(p.call.inputs)]
        if n.output is not None:
            arrays.append(("the output", n.output))
        elif p.call.upstream is not None:
            arrays.append(("the output", p.call.upstream))
        for what, a in arrays:
            for axis, length in enumerate(np.shape(a)):
                if length == size:
                    return f", and {size} is the size of axis {axis} of {what}"
    return ""


def plain_factor(k):
    """Is k n or 1/n (|n| from 2 to MAX_FACTOR): a factor one number can show?"""
    for value in (k, 1 / k):
        size = round(abs(value))
        if 2 <= size <= MAX_FACTOR and abs(abs(value) - size) <= 1e-6 * size:
            return True
    return False


# --- the hypotheses ------------------------------------------------------------------------------

def nonfinite(p, n):
    """NaN or inf."""
    bad = np.flatnonzero(~np.isfinite(p.got))
    if bad.size == 0:
        return None
    shown = [int(k) for k in bad[:3]]
    summary = (f"{bad.size} of {p.got.size} {p.noun}s of {subject(p)} "
               f"{'is' if bad.size == 1 else 'are'} not finite{for_example(len(shown))}")
    if p.got.size == 1:
        summary = f"{subject(p)} is not finite:"
    return Diagnosis("nonfinite", summary, tuple(example(p, k) for k in shown),
                     HINTS["nonfinite"], {"index": p.index(shown[0])})


def zero(p, n):
    """All 0 where the right result is not."""
    if np.any(p.got != 0):
        return None
    if p.expected is not None:
        nonzero = p.checked & (excess(p.expected, 0.0, p.rtol, p.atol) > 1.0)
        if not nonzero.any():
            return None
        k = p.largest(np.where(nonzero, p.expected, 0.0))[0]
        where = f"{element(p, k)}: " if p.got.size > 1 else ""
        shown = f" (e.g. {where}expected {number(p.expected.ravel()[k])})"
    elif p.call.f is None or is_right(p, n, p.got):
        return None
    else:
        k, shown = None, ""
    hint = HINTS["zero_jvp"] if p.mode == "jvp" else HINTS["zero"]
    summary = f"{subject(p)} is 0{everywhere(p)}, but the right one is not{shown}."
    return Diagnosis("zero", summary, (), hint, {"index": None if k is None else p.index(k)})


def known(p, n):
    """One of the exercise's known mistakes (p.candidates) gives exactly got."""
    for candidate in p.candidates:
        value = candidate.value
        if value.shape != p.got.shape or not p.all_close(p.got, value):
            continue
        if p.expected is not None and p.all_close(value, p.expected):
            continue
        k = (p.worst(p.expected) or [0])[0] if p.expected is not None else 0
        summary = candidate.explanation or WORDS[candidate.kind]
        if p.mode != "traversal":
            summary = f"{subject(p)}: {summary}"
        details = (example(p, k),) if p.expected is not None else ()
        return Diagnosis(candidate.kind, summary + ".", details,
                         candidate.hint or HINTS.get(candidate.kind, ""),
                         {"index": p.index(k), "candidate": True})
    return None


def sign(p, n):
    """-1 times the right result."""
    if not is_right(p, n, -p.got):
        return None
    where = everywhere(p) if p.expected is not None else ""
    return multiple(p, "sign", f"is exactly -1 times the right one{where}", HINTS["sign"],
                    {"factor": -1.0})


def transpose(p, n):
    """A square result that is the right one transposed."""
    if p.got.ndim < 2 or p.got.shape[-1] != p.got.shape[-2]:
        return None
    flipped = np.swapaxes(p.got, -1, -2)
    if np.allclose(flipped, p.got) or not is_right(p, n, flipped):
        return None
    if p.expected is None:
        summary = (f"{subject(p)} is the transpose of the right one (checked along "
                   f"{NUM_DIRECTIONS} random directions).")
        return Diagnosis("transpose", summary, (), HINTS["transpose"], {"transposed": True})
    k = _off_diagonal_example(p)
    a = p.index(k)
    b = a[:-2] + (a[-1], a[-2])
    summary = (f"{subject(p)} is the transpose of the right one: {element(p, k)} = "
               f"{number(p.got.ravel()[k])} is the right value of "
               f"[{', '.join(map(str, b))}] ({number(p.expected[b])}), and the other way "
               f"round.")
    return Diagnosis("transpose", summary, (), HINTS["transpose"], {"index": a})


def _off_diagonal_example(p):
    best, value = 0, -1.0
    for k in range(p.got.size):
        a = p.index(k)
        if a[-1] != a[-2] and p.checked.ravel()[k] and abs(p.got.ravel()[k]) > value:
            best, value = k, abs(p.got.ravel()[k])
    return best


def output_for_input(p, n, incoming):
    """f element-wise in its only input: got = incoming * f'(f(x)), or incoming * h(x) where
    f'(x) = h(f(x)) (a rule written with the output, given the input). incoming: the upstream
    gradient (vjp) or the input's tangent (jvp)."""
    inputs = p.call.inputs
    if p.call.f is None or len(inputs) != 1:
        return None
    x = inputs[0]
    out = n.output
    if out is None or out.shape != x.shape:
        return None
    if incoming is None or incoming.shape != x.shape and incoming.size != 1:
        return None
    local = n.local_derivative(x)
    if local is None or not is_right(p, n, incoming * local):
        return None                          # f is not element-wise
    details = (example(p, p.largest(p.expected)[0]),) if p.expected is not None else ()
    at_output = n.local_derivative(out) if np.all(np.isfinite(out)) else None
    if at_output is not None and p.all_close(p.got, incoming * at_output):
        summary = (f"{subject(p)} uses the local derivative at the output, f'(f(x)), instead "
                   f"of at the input, f'(x) (like sigmoid'(sigmoid(x))).")
        return Diagnosis("output_for_input", summary, details, HINTS["output_at_output"],
                         {"at": "output"})
    polynomial = n.derivative_from_output(x)
    if polynomial is not None and p.all_close(p.got, incoming * polynomial(x)):
        summary = (f"{subject(p)} uses a rule written with the output y = f(x), but with the "
                   f"input x in it (like 1 - x**2 for tanh, where 1 - tanh(x)**2 is "
                   f"needed).")
        return Diagnosis("output_for_input", summary, details, HINTS["output_at_input"],
                         {"at": "input"})
    return None


def kept_one_contribution(p, parts, where):
    """The not_accumulated Diagnosis when every wrong element k of got holds exactly one of
    its contributions parts[k] (always the first, or always the last, as an overwrite keeps)
    and not their sum; else None. where: the words for where contributions meet."""
    got = p.got.ravel()
    checked, right = p.checked.ravel(), p.close(p.got, p.expected).ravel()
    size = np.max(np.abs(parts), axis=1, initial=0.0)
    used = np.abs(parts) > (p.rtol * size[:, None] + p.atol)
    first, kept = None, {"first", "last"}
    for k in range(got.size):
        if not checked[k] or right[k]:
            continue
        uses = parts[k][used[k]]
        if uses.size < 2:
            return None
        match = agree(got[k], uses, p.rtol, p.atol)
        # an overwrite keeps the last use written (or the first, walking backwards)
        kept &= {"first"} if match[0] and not match[-1] else (
            {"last"} if match[-1] and not match[0] else
            ({"first", "last"} if match[0] else set()))
        if not kept:
            return None
        if first is None:
            first = (k, uses)
    if first is None:
        return None
    k, uses = first
    summary = (f"{subject(p)} kept only one of the incoming contributions {where}: they must "
               f"be added.")
    shown = " + ".join(number(v) for v in uses[:4]) + (" + ..." if uses.size > 4 else "")
    details = (example(p, k, note=f" (the sum of {uses.size} contributions: {shown})"),)
    return Diagnosis("not_accumulated", summary, details, HINTS["not_accumulated"],
                     {"index": p.index(k)})


def scale(p, n):
    """A constant multiple k of the right result, k fitted: confirmed by two or more
    elements, or a plain n or 1/n."""
    if p.expected is None:
        return None
    significant = p.checked & (excess(p.expected, 0.0, p.rtol, p.atol) > 1.0)
    count = int(significant.sum())
    if count == 0:
        return None
    e, g = p.expected[significant], p.got[significant]
    k = float(np.sum(g * e) / np.sum(e * e))
    if not np.isfinite(k) or k == 0 or abs(k - 1) <= 10 * p.rtol:
        return None
    if not p.all_close(p.got, k * np.where(p.checked, p.expected, 0.0)):
        return None
    if count < 2 and not plain_factor(k):
        return None
    return multiple(p, "scale", f"is exactly {factor(k)} times the right one{everywhere(p)}"
                    f"{dimension(p, n, k)}", HINTS["scale"], {"factor": rounded(k)})


def partial(p, n):
    """Right on some elements, wrong on the others, with the pattern that selects them."""
    if p.expected is None:
        return None
    right = p.close(p.got, p.expected) & p.checked
    wrong = p.checked & ~right
    n_right, n_wrong = int(right.sum()), int(wrong.sum())
    if n_right == 0 or n_wrong == 0:
        return None
    pattern, masked_by = _pattern(p, wrong)
    there = _wrong_values(p, wrong)
    total = int(p.checked.sum())
    who = "The gradients are" if p.mode == "traversal" else f"{subject(p)} is"
    where = f"wrong exactly {pattern}" if pattern else f"wrong on {n_wrong}"
    summary = (f"{who} right on {n_right} of {total} {p.noun}s and {where}"
               + (f"; there {there}" if there else "") + for_example(n_wrong))
    shown = p.worst(p.expected, count=min(3, n_wrong))
    details = tuple(example(p, k, note=_input_note(p, k, masked_by)) for k in shown)
    hint = HINTS["partial_mask"] if masked_by is not None else (
        HINTS["partial_index"] if pattern else HINTS["partial"])
    return Diagnosis("partial", summary, details, hint, {
        "index": p.index(shown[0]) if shown else None, "pattern": pattern, "wrong": n_wrong})


def _pattern(p, wrong):
    """(words, inputs used) for the wrong elements when a simple rule selects exactly them: a
    condition on the inputs, zeros, one row or column, the diagonal, every n-th."""
    checked = p.checked

    def same(mask):
        return bool(np.all((mask == wrong) | ~checked))

    fitting = [(j, x) for j, x in enumerate(p.call.inputs) if x.shape == p.shape]
    for j, x in fitting:
        for mask, words in ((x == 0, "== 0"), (x <= 0, "<= 0"), (x < 0, "< 0"),
                            (x >= 0, ">= 0"), (x > 0, "> 0")):
            if mask.any() and same(mask):
                return f"where {short_name(p, j)} {words}", [j]
    for a, (j, x) in enumerate(fitting):
        for k, y in fitting[a + 1:]:
            for mask, words in ((x == y, "=="), (x > y, ">"), (x < y, "<"),
                                (x >= y, ">="), (x <= y, "<=")):
                if mask.any() and same(mask):
                    return f"where {short_name(p, j)} {words} {short_name(p, k)}", [j, k]
    if p.mode == "traversal" or not p.shape:     # a list of nodes has no rows or columns
        return "", None
    ndim = len(p.shape)
    for axis, size in enumerate(p.shape):
        if size < 2:
            continue
        position = np.indices(p.shape)[axis]
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
    if ndim == 2 and p.shape[0] == p.shape[1]:
        rows, cols = np.indices(p.shape)
        if same(rows == cols):
            return "on the diagonal", None
        if same(rows != cols):
            return "off the diagonal", None
    if same(p.expected == 0):
        return "where the right value is 0", None
    if same(p.got == 0):
        return "where yours is 0", None
    flat = np.flatnonzero(wrong.ravel())
    if flat.size >= 2:
        step = int(flat[1] - flat[0])
        every = np.zeros(p.got.size, dtype=bool)
        every[flat[0]::step] = True
        if step > 1 and same(every.reshape(p.shape)):
            return f"at every {ordinal(step)} {p.noun}, from flat index {flat[0]}", None
    return "", None


def _wrong_values(p, wrong):
    """What the wrong elements have in common: 0, should be 0, the sign, a factor."""
    g, e = p.got[wrong], p.expected[wrong]
    if np.all(g == 0):
        return "it is 0"
    if np.all(e == 0):
        return "it should be 0"
    if np.all(agree(g, -e, p.rtol, p.atol)):
        return "it has the wrong sign"
    nonzero = np.abs(e) > 0
    if nonzero.any():
        k = float((g[nonzero] / e[nonzero])[0])
        if np.all(agree(g, k * e, p.rtol, p.atol)) and k != 0:
            return f"it is {factor(k)} times the right value"
    return ""


def _input_note(p, k, masked_by):
    """" (x = 0)": the inputs the pattern reads, at element k."""
    if not masked_by:
        return ""
    return " (" + ", ".join(f"{short_name(p, j)} = {number(p.call.inputs[j].ravel()[k])}"
                            for j in masked_by) + ")"


def unknown(p, n):
    """Nothing fits: the worst elements."""
    if p.expected is None:
        summary = (f"{subject(p)} disagrees with finite differences, and no simple mistake "
                   f"(sign, factor, transpose, missing upstream gradient) explains it.")
        return Diagnosis("unknown", summary, (), HINTS["directional"], {})
    shown = p.worst(p.expected, count=3)
    n_wrong = int(np.sum(~p.close(p.got, p.expected)))
    if p.mode == "traversal":
        summary = (f"{n_wrong} of {p.got.size} {p.noun}s have the wrong gradient"
                   f"{for_example(len(shown))}")
    else:
        summary = (f"{n_wrong} of {p.got.size} {p.noun}s of {subject(p)} disagree with the "
                   f"right values{for_example(len(shown))}")
    details = []
    for position, k in enumerate(shown):
        note = ""
        if position == 0:
            error = rel_error(p.expected.ravel()[k], p.got.ravel()[k])
            note = f" (relative error {error:.2g}, tolerance {p.rtol:g})"
        details.append(example(p, k, note=note))
    return Diagnosis("unknown", summary, tuple(details), HINTS["unknown"], {
        "index": p.index(shown[0]) if shown else None})
