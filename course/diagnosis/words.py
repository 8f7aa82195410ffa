"""The words of a diagnosis: the kinds, their one-line meanings and generic hints, and the
phrases that name what a problem is about (dL/dx, an element, an example line, a number)."""

import numpy as np

KINDS = ("shape", "unreduced_broadcast", "transpose", "sign", "scale", "missing_upstream",
         "swapped_inputs", "output_for_input", "not_accumulated", "zero", "nonfinite", "partial",
         "unknown")

# One line per kind, for widgets and for a candidate that has no explanation of its own.
WORDS = {
    "shape": "it has the wrong shape",
    "unreduced_broadcast": "it has the broadcast shape: it must be summed over the broadcast axes",
    "transpose": "it is the transpose of the right one",
    "sign": "the sign is flipped",
    "scale": "it is off by a constant factor",
    "missing_upstream": "the upstream gradient is not multiplied in",
    "swapped_inputs": "each input got the rule meant for the other",
    "output_for_input": "the local gradient is evaluated at the output instead of the input, "
                        "or the other way round",
    "not_accumulated": "a value used several times kept only one of its incoming gradients",
    "zero": "it is 0 where the right one is not",
    "nonfinite": "it contains NaN or inf",
    "partial": "it is right on some elements and wrong on others",
    "unknown": "no simple mistake explains it",
}

HINTS = {
    "shape": "A gradient has the shape of what it is the gradient of: dL/dx has the shape of x "
             "(for W in x @ W: x.T @ upstream). Check which axes you sum over.",
    "broadcast": "If {of} was broadcast in the forward pass, sum {d} over the broadcast axes.",
    "unreduced_broadcast": "{of} was broadcast in the forward pass: sum {d} over the broadcast "
                           "axes, {code}.",
    "transpose": "For y = x @ W: dL/dx = upstream @ W.T (the shape of x) and dL/dW = "
                 "x.T @ upstream (the shape of W). Check the order of the operands and which one "
                 "is transposed.",
    "sign": "Check every minus sign in the local derivative (d(a - b)/db = -1, "
            "d(1/x)/dx = -1/x**2, d exp(-x)/dx = -exp(-x)).",
    "scale": "A constant factor is off: look for a missing or extra factor (the 2 of "
             "d(x**2)/dx = 2x, the 1/N of a mean over N elements), or a mean where a sum belongs.",
    "missing_upstream": "Multiply the local gradient by the upstream gradient: "
                        "downstream = local * upstream.",
    "missing_tangent": "Multiply the local derivative by the incoming tangent: "
                       "tangent_out = f'(x) * tangent_in.",
    "swapped_inputs": "Each input has its own rule (for z = x * y: dz/dx = y, dz/dy = x), and "
                      "the gradients go back in the order of the inputs.",
    "output_at_output": "If the rule is written with the output y = f(x) (sigmoid: y * (1 - y), "
                        "tanh: 1 - y**2, exp: y), use y as it is: do not apply f to it again.",
    "output_at_input": "This rule is written with the output y = f(x) (tanh: 1 - y**2): compute "
                       "y = f(x) first (or save it in the forward pass) instead of using x.",
    "not_accumulated": "Where a value is used several times (fan-out, repeated indices, "
                       "broadcasting), add the gradients of all its uses (+=, np.add.at), never "
                       "overwrite (=).",
    "zero": "Did the rule return zeros, never fill in the gradient, or forget a term?",
    "zero_jvp": "Every input that moves adds a term to the tangent (product rule: "
                "d(x y) = dx y + x dy; d(x @ W) = dx @ W + x @ dW).",
    "nonfinite": "Look for a division by zero, the log of 0, an overflowing exp, or an array "
                 "that was never filled in.",
    "partial": "Compare your rule with the right one on the elements listed.",
    "partial_mask": "Check the condition that selects these elements (x > 0 or x >= 0, a tie "
                    "x == y, the side of a kink).",
    "partial_index": "Check the indexing and the loop bounds: every element must be computed.",
    "unknown": "No single simple mistake explains these numbers: derive the local gradient "
               "again on paper for one element and compare.",
    "directional": "Check with a smaller input to see which elements are wrong.",
}


def pick_hint(hint, kind, generic):
    """The exercise's hint for this kind (a string, or {kind: hint, "default": hint}), else
    the generic one."""
    if isinstance(hint, dict):
        return hint.get(kind, hint.get("default", generic))
    return hint if hint else generic


# --- what the problem is about ------------------------------------------------------------------

def input_name(p, j):
    """Input j's name, or None (no name known, or no single input)."""
    names = p.call.names
    if j is None or j >= len(names) or not names[j]:
        return None
    return names[j]


def subject(p):
    """What got is: dL/dx (an input's gradient) or the output tangent."""
    if p.mode == "jvp":
        return "the output tangent"
    if p.name:
        return f"dL/d{p.name}"
    return "dL/dx" if p.input_index is None else f"dL/d(input {p.input_index})"


def of(p):
    """What got must have the shape of: the input, or f's output."""
    if p.mode == "jvp":
        return "f(*inputs)"
    return p.name or ("x" if p.input_index is None else f"input {p.input_index}")


def gradient_of(p, j):
    """dL/d(input j), by name."""
    name = input_name(p, j)
    return f"dL/d{name}" if name else f"dL/d(input {j})"


def input_word(p, j):
    """'w (input 1)', or 'input 1'."""
    name = input_name(p, j)
    return f"{name} (input {j})" if name else f"input {j}"


def short_name(p, j):
    """Input j in a pattern or a note: its name, else x (the only input) or 'input j'."""
    return input_name(p, j) or ("x" if len(p.call.inputs) == 1 else f"input {j}")


def element(p, k):
    """The name of element k (a flat index) of got: "dL/dw[1, 2]", or a node's label."""
    if p.labels is not None:
        return str(p.labels[k])
    at = p.index(k)
    head = "tangent_out" if p.mode == "jvp" else subject(p)
    return head + (f"[{', '.join(str(j) for j in at)}]" if at else "")


def example(p, k, expected=None, note=""):
    """One example line: "  dL/dx[0, 1]: expected 0.42, got -0.42"."""
    e = p.expected if expected is None else expected
    shown = "" if e is None else f"expected {number(np.ravel(e)[k])}, "
    return f"  {element(p, k)}: {shown}got {number(p.got.ravel()[k])}{note}"


def everywhere(p):
    """" at every element", " at every checked element (n)", or "" for a single number."""
    n = int(p.checked.sum())
    if p.got.size == 1:
        return ""
    return " at every element" if n == p.got.size else f" at every checked element ({n})"


def for_example(n):
    """How a summary ends before n example lines."""
    return ", for example:" if n > 1 else ":"


# --- numbers -------------------------------------------------------------------------------------

def number(value):
    value = float(value) + 0.0
    return f"{value:.4g}"


def factor(k):
    """k as a plain number: "2", "1/2", "3/2", "-1/4", else 6 significant digits."""
    for q in range(1, 13):
        p = round(k * q)
        if p != 0 and abs(k - p / q) <= 1e-6 * abs(k):
            return f"{p}" if q == 1 else f"{p}/{q}"
    return f"{k:.6g}"


def rounded(k):
    """k as the plain number `factor` names (2, 0.5, 1.5), else k."""
    text = factor(k)
    if "/" in text:
        p, q = text.split("/")
        return int(p) / int(q)
    return round(k) if text.lstrip("-").isdigit() else k


def axes(numbers):
    return str(numbers[0]) if len(numbers) == 1 else str(tuple(numbers))


def ordinal(n):
    return {2: "second", 3: "third", 4: "fourth"}.get(int(n), f"{int(n)}th")
