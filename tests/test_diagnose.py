"""course.diagnose: the checks name the mistake behind a wrong gradient.

Every wrong implementation of tests/mistake_bank.py goes through the real course.gradcheck check
of its exercise and must raise a GradientError of its labelled kind; every correct one must
pass. The confusion table (labelled kind x diagnosed kind) is printed in the test output.
Then: the messages (short, with the numbers, ending in a hint), the API, and the edge cases.
"""

import re
from collections import Counter

import numpy as np
import pytest

from course import Value
from course import diagnose as diagnosis_module
from course.diagnosis import registry, values
from course.diagnose import KINDS, Diagnosis, describe, diagnose, diagnose_traversal
from course.gradcheck import (GradientError, check_grad, check_jvp, check_traversal, check_vjp,
                              random_inputs)
from course.gradcheck import mistake_kind
from mistake_bank import (BANK, FAMILIES, Node, diamond, index_overwrite, index_vjp,
                          repeated_index, sigmoid, traversal)

BY_NAME = {m.name: m for m in BANK}


def run(mistake, rule):
    """The exercise's check on `rule` (the wrong or the correct implementation)."""
    xs = mistake.inputs()
    if mistake.check == "vjp":
        check_vjp(mistake.f, rule, *xs, **mistake.options)
    elif mistake.check == "jvp":
        check_jvp(mistake.f, rule, *xs, **mistake.options)
    elif mistake.check == "grad":
        check_grad(rule, *xs, **mistake.options)
    elif mistake.check == "traversal":
        leaves = [Node(v, label=f"leaf {k}") for k, v in enumerate(xs)]
        root = mistake.f(*leaves)
        rule(root)
        check_traversal(root, **mistake.options)
    else:
        raise ValueError(f"unknown check {mistake.check!r}")


def outcome(mistake):
    """(diagnosed kind, message): "passed" when the check let the wrong rule through."""
    try:
        run(mistake, mistake.wrong)
    except GradientError as error:
        return error.kind, str(error)
    return "passed", ""


@pytest.fixture(scope="module")
def outcomes():
    return {m.name: outcome(m) for m in BANK}


# --- the bank -------------------------------------------------------------------------------

def test_the_bank_covers_every_kind_and_exercise_family():
    assert len(BANK) >= 40
    assert len(BY_NAME) == len(BANK), "mistake names must be unique"
    kinds = Counter(m.kind for m in BANK)
    assert set(kinds) <= set(KINDS)
    for kind in KINDS:
        assert kinds[kind] >= (1 if kind == "unknown" else 2), f"{kind}: {kinds[kind]} mistakes"
    assert {m.family for m in BANK} == set(FAMILIES)
    assert {m.check for m in BANK} == {"vjp", "jvp", "grad", "traversal"}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_a_wrong_implementation_gets_its_diagnosis(name, outcomes):
    kind, message = outcomes[name]
    assert kind == BY_NAME[name].kind, f"{name}: diagnosed {kind}\n{message}"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_the_correct_implementation_passes(name):
    mistake = BY_NAME[name]
    run(mistake, mistake.correct)


SHORT = {"shape": "shape", "unreduced_broadcast": "unred", "transpose": "trans", "sign": "sign",
         "scale": "scale", "missing_upstream": "upstr", "swapped_inputs": "swap",
         "output_for_input": "outp", "not_accumulated": "accum", "zero": "zero",
         "nonfinite": "nonf", "partial": "part", "unknown": "unkn", "passed": "PASS"}


def confusion_table(pairs):
    """Rows: the labelled kind; columns: the diagnosed kind; '.' for 0."""
    columns = list(KINDS) + sorted({got for _, got in pairs} - set(KINDS))
    counts = Counter(pairs)
    width = max(len(k) for k in KINDS) + 2
    corner = "labelled \\ diagnosed"
    lines = [f"{corner:<{width}}"
             + "".join(f"{SHORT.get(c, c[:5]):>6}" for c in columns) + "   total"]
    for row in KINDS:
        cells = [counts[(row, c)] for c in columns]
        lines.append(f"{row:<{width}}" + "".join(f"{n if n else '.':>6}" for n in cells)
                     + f"{sum(cells):>8}")
    legend = ", ".join(f"{SHORT.get(c, c)} = {c}" for c in columns if SHORT.get(c, c) != c)
    return "\n".join(lines + [f"({legend})"])


def test_confusion_table(outcomes, show_at_the_end):
    pairs = [(BY_NAME[name].kind, kind) for name, (kind, _) in outcomes.items()]
    right = sum(expected == got for expected, got in pairs)
    families = Counter(m.family for m in BANK)
    table = confusion_table(pairs)
    show_at_the_end(f"\ncourse.diagnose on tests/mistake_bank.py: {right} of {len(pairs)} wrong "
                    f"implementations diagnosed as labelled ("
                    + ", ".join(f"{n} {family}" for family, n in families.items()) + ")\n"
                    + table)
    assert right == len(pairs), "\n" + table


def test_messages_are_short_with_the_numbers_and_a_hint(outcomes):
    for name, (kind, message) in outcomes.items():
        lines = message.splitlines()
        assert len(lines) <= 6, f"{name}: {len(lines)} lines\n{message}"
        assert lines[-1].startswith("Hint: ") and len(lines[-1]) > 10, f"{name}\n{message}"
        numbers = re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", message)
        assert numbers, f"{name}: no numbers\n{message}"
        if kind not in ("shape", "unreduced_broadcast", "transpose", "swapped_inputs",
                        "zero") or BY_NAME[name].check != "vjp":
            assert "expected" in message or "contributions" in message or kind == "zero", \
                f"{name}: no example\n{message}"


def test_examples_of_messages():
    sign = BY_NAME["exp-function-sign"]
    with pytest.raises(GradientError) as caught:
        run(sign, sign.wrong)
    message = str(caught.value)
    assert re.search(r"exactly -1 times the right one at every element \(e\.g\. "
                     r"dL/dx\[\d\]: expected (-?[\d.]+), got -?[\d.]+\)", message), message
    assert caught.value.diagnosis.evidence["factor"] == -1.0
    assert caught.value.index == caught.value.diagnosis.evidence["index"]

    bias = BY_NAME["bias-grad-averaged"]
    with pytest.raises(GradientError, match=r"exactly 1/5 times .* 5 is the size of axis 0 of x"):
        run(bias, bias.wrong)

    relu = BY_NAME["relu-leaks"]
    with pytest.raises(GradientError, match=r"wrong exactly where x <= 0; there it should be 0"):
        run(relu, relu.wrong)

    softmax_rows = BY_NAME["softmax-vjp-skips-last-row"]
    with pytest.raises(GradientError, match=r"wrong exactly in the last row; there it is 0"):
        run(softmax_rows, softmax_rows.wrong)

    wrong_order = BY_NAME["matmul-gradients-in-wrong-order"]
    with pytest.raises(GradientError, match=r"has the shape of W \(input 1\), \(3, 4\), and is "
                                            r"the right dL/dW"):
        run(wrong_order, wrong_order.wrong)

    unreduced = BY_NAME["multiply-broadcast-not-reduced"]
    with pytest.raises(GradientError) as caught:
        run(unreduced, unreduced.wrong)
    assert ".sum(axis=0).sum(axis=1, keepdims=True)" in str(caught.value)
    x, y = unreduced.inputs()
    g = np.random.default_rng(0).standard_normal((2, 4, 3)) * x
    assert g.sum(axis=0).sum(axis=1, keepdims=True).shape == y.shape   # the hint's code works


def test_a_plain_number_for_an_array_says_what_it_would_be_spread_out():
    x, y = random_inputs((5,), (5,), seed=100)
    with pytest.raises(GradientError) as caught:
        check_vjp(lambda x, y: x + y, lambda u, x, y: (1.0, 1.0), x, y)
    assert caught.value.kind == "shape"
    assert "Spread to that shape it is still wrong: the upstream gradient is not multiplied in" \
        in str(caught.value)
    u = np.full(5, 0.7)
    with pytest.raises(GradientError, match="Spread to that shape it is right"):
        check_vjp(lambda x, y: x + y, lambda u, x, y: (float(u[0]), u), x, y, upstream=u)


# --- the larger inputs: hypotheses along random directions ----------------------------------

LARGE = [
    ("sign", np.tanh, lambda g, x: -g * (1 - np.tanh(x) ** 2), (30, 20)),
    ("scale", lambda x: x ** 2, lambda g, x: g * x, (30, 20)),
    ("missing_upstream", np.tanh, lambda g, x: 1 - np.tanh(x) ** 2, (30, 20)),
    ("output_for_input", sigmoid, lambda g, x: g * sigmoid(sigmoid(x)) * (1 - sigmoid(sigmoid(x))),
     (30, 20)),
    ("zero", np.sin, lambda g, x: np.zeros_like(x), (30, 20)),
    ("unknown", np.sin, lambda g, x: g * np.sin(x), (30, 20)),
]


@pytest.mark.parametrize("kind, f, rule, shape", LARGE, ids=[case[0] for case in LARGE])
def test_large_inputs_are_diagnosed_along_random_directions(kind, f, rule, shape):
    (x,) = random_inputs(shape, seed=5)
    with pytest.raises(GradientError, match="along a random direction") as caught:
        check_vjp(f, rule, x)
    assert caught.value.kind == kind
    lines = str(caught.value).splitlines()
    assert len(lines) <= 3 and lines[-1].startswith("Hint: ")


def test_large_matmul_transposes_and_swaps():
    x, w = random_inputs((40, 40), (40, 40), seed=6)
    f = lambda x, w: x @ w      # noqa: E731
    for rule, kind in [(lambda g, x, w: (g @ w.T, g.T @ x), "transpose"),
                       (lambda g, x, w: (g @ w, x.T @ g), "transpose"),
                       (lambda g, x, w: (x.T @ g, g @ w.T), "swapped_inputs")]:
        with pytest.raises(GradientError) as caught:
            check_vjp(f, rule, x, w)
        assert caught.value.kind == kind


def test_a_known_mistake_is_recognised_where_the_evidence_alone_cannot_tell():
    """Along random directions an overwrite is invisible; the exercise can name it."""
    (x,) = random_inputs((150,), seed=7)
    f = lambda x: x[repeated_index(x.size)]    # noqa: E731
    with pytest.raises(GradientError) as caught:
        check_vjp(f, index_overwrite, x)
    assert caught.value.kind == "unknown"
    with pytest.raises(GradientError) as caught:
        check_vjp(f, index_overwrite, x, mistakes={"not_accumulated": index_overwrite,
                                                   "sign": lambda g, x: -index_vjp(g, x)})
    assert caught.value.kind == "not_accumulated"
    check_vjp(f, index_vjp, x, mistakes={"not_accumulated": index_overwrite})
    with pytest.raises(ValueError, match="unknown kind"):
        check_vjp(f, index_overwrite, x, mistakes={"overwrite": index_overwrite})


# --- hints ----------------------------------------------------------------------------------

def test_an_exercise_hint_replaces_the_generic_one():
    x, w = random_inputs((5, 3), (3, 4), seed=8)
    wrong = BY_NAME["matmul-dW-operands-swapped"].wrong
    with pytest.raises(GradientError) as caught:
        check_vjp(lambda x, W: x @ W, wrong, x, w,
                  hint="the gradient of W must have the shape of W: try x.T @ upstream")
    assert str(caught.value).splitlines()[-1] == (
        "Hint: the gradient of W must have the shape of W: try x.T @ upstream")
    hints = {"transpose": "dW = x.T @ upstream", "default": "see the lecture notes"}
    with pytest.raises(GradientError, match="Hint: dW = x.T @ upstream"):
        check_vjp(lambda x, W: x @ W, wrong, x, w, hint=hints)
    with pytest.raises(GradientError, match="Hint: see the lecture notes"):
        check_vjp(lambda x, W: x @ W, lambda g, x, W: (g @ W.T, 0 * W), x, w, hint=hints)


# --- diagnose, describe: the API ------------------------------------------------------------

def test_diagnose_on_arrays_alone():
    rng = np.random.default_rng(1)
    e = rng.standard_normal((3, 4))
    d = diagnose(-e, e)
    assert isinstance(d, Diagnosis) and d.kind == "sign"
    assert str(d) == d.message + "\nHint: " + d.hint
    assert diagnose(e.T, e).kind == "transpose"
    assert diagnose(3 * e, e).kind == "scale" and diagnose(3 * e, e).evidence["factor"] == 3
    assert diagnose(np.zeros_like(e), e).kind == "zero"
    assert diagnose(np.where(e > 0, np.nan, e), e).kind == "nonfinite"
    assert diagnose(e.sum(axis=0), e).kind == "shape"
    u = rng.uniform(0.5, 1.5, size=e.shape)
    assert diagnose(e / u, e, upstream=u).kind == "missing_upstream"
    assert diagnose(e * u, e, upstream=u).kind == "unknown"
    b = rng.standard_normal(4)
    assert diagnose(np.tile(b / 3, (3, 1)), b).kind == "unreduced_broadcast"
    ones = diagnose(np.ones(3), np.ones(3) * 2.5, upstream=np.full(3, 2.5))
    assert ones.kind == "missing_upstream" and ones.evidence["also"] == "scale"
    assert "2.5 everywhere" in ones.summary


def test_the_simpler_explanation_wins_and_weak_evidence_gives_none():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 3))
    antisymmetric = a - a.T            # -e == e.T: sign and transpose both fit
    assert diagnose(-antisymmetric, antisymmetric).kind == "sign"
    symmetric = a + a.T
    assert diagnose(-symmetric, symmetric).kind == "sign"
    # one number: a fitted factor counts only when it is plain (n or 1/n)
    assert diagnose(np.array(0.5), np.array(1.0)).kind == "scale"
    assert diagnose(np.array(-2 / 3), np.array(1.0)).kind == "unknown"
    assert diagnose(np.array(1.7), np.array(1.0)).kind == "unknown"


def test_partial_patterns():
    rng = np.random.default_rng(3)
    e = rng.standard_normal((3, 4)) + 3.0
    row = e.copy()
    row[0] *= 2
    assert "in row 0" in diagnose(row, e).summary
    column = e.copy()
    column[:, -1] = 0
    d = diagnose(column, e)
    assert d.kind == "partial" and "in the last column; there it is 0" in d.summary
    x = np.array([1.0, 0.0, -2.0, 0.0, 3.0])
    ex = np.array([0.4, 0.5, 0.0, 0.5, 0.7])
    d = diagnose(np.where(x == 0, 1.0, ex), ex, inputs=(x,))
    assert d.kind == "partial" and "where x == 0" in d.summary and "(x = 0)" in d.details[0]
    flat = np.arange(1.0, 9.0)
    every = flat.copy()
    every[1::2] *= -1
    assert "every second element" in diagnose(every, flat).summary
    assert len(diagnose(every, flat).details) == 3


def test_describe_is_one_line():
    rng = np.random.default_rng(4)
    e = rng.standard_normal(5)
    for got in (-e, 2 * e, np.zeros(5), e[::-1], np.ones((2, 2))):
        text = describe(got, e)
        assert "\n" not in text and text


def test_the_compatibility_wrapper_for_widgets():
    """course.gradcheck.mistake_kind(expected, got, shape, ...) returns a kind, as the widgets
    ask."""
    assert mistake_kind(0.25, -0.25, ()) == "sign"
    assert mistake_kind(0.5, 0.25, (), upstream=2.0) == "missing_upstream"
    assert mistake_kind(np.ones((2, 3)), np.ones((3, 2)), (2, 3)) == "transpose"
    assert mistake_kind(np.ones((2, 3)), np.ones((3, 3)), (2, 3)) == "shape"
    e = np.arange(6.0).reshape(2, 3) + 1
    assert mistake_kind(e, e.T, (2, 3)) == "transpose"
    assert mistake_kind(None, np.full(3, np.nan), (3,)) == "nonfinite"
    assert mistake_kind(1.0, 1.7, (), inputs=(), output=0.3) == "unknown"
    x = random_inputs((4,), seed=9)[0]
    assert mistake_kind(None, -np.cos(x), (4,), f=np.sin, inputs=(x,),
                              upstream=np.ones(4)) == "sign"


def test_a_failing_diagnosis_never_hides_the_failure(monkeypatch):
    def broken(problem, numerics):
        raise RuntimeError("a bug in a hypothesis")

    tried = registry.RIGHT_SHAPE["vjp"]
    monkeypatch.setitem(registry.RIGHT_SHAPE, "vjp",
                        tuple(broken if test is values.sign else test for test in tried))
    (x,) = random_inputs((3,), seed=10)
    with pytest.raises(GradientError, match="the diagnosis failed: RuntimeError") as caught:
        check_vjp(np.sin, lambda g, x: -g * np.cos(x), x)
    assert caught.value.kind == "unknown"
    assert caught.value.index is not None
    lines = str(caught.value).splitlines()
    assert lines[-1].startswith("Hint: ")


# --- the backward traversal ------------------------------------------------------------------

def test_a_right_traversal_has_no_diagnosis():
    leaves = [Node(v) for v in (2.0, -1.5, 0.5, 1.0)]
    root = diamond(*leaves)
    traversal()(root)
    assert diagnose_traversal(root) is None
    check_traversal(root)
    values = [Value(v) for v in (2.0, -1.5, 0.5, 1.0)]
    out = diamond(*values)
    out.backward()                    # the course's engine, on course.Value
    assert diagnose_traversal(out) is None


def test_traversal_diagnosis_on_course_value():
    a, b = Value(0.7), Value(-0.4)
    out = (a * b + a).sigmoid() * a
    out.backward()
    a.grad = 0.5 * a.grad             # as if one of a's three contributions had been lost
    d = diagnose_traversal(out)
    assert d is not None and d.kind != "not_accumulated"
    with pytest.raises(GradientError):
        check_traversal(out)
    with pytest.raises(TypeError, match="parents"):
        diagnose_traversal(object())


def test_the_module_is_importable_as_course_diagnose():
    import course.diagnose
    assert course.diagnose is diagnosis_module
    assert set(diagnosis_module.WORDS) == set(KINDS)
