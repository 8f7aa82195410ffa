"""What is wrong with a gradient: the mistake that explains the student's numbers.

A failing gradient check that prints two arrays teaches little. `diagnose` takes what a check
knows, tests one hypothesis after another *numerically* against it, and names the first that
explains every checked number to the checker's tolerance:

    d = diagnose(got, expected, f=f, inputs=(x, w), input_index=1, upstream=u, names=("x", "w"))
    d.kind        # "transpose"
    print(d)      # what is wrong, with the numbers that show it, then "Hint: ..."

The evidence (JAX's conventions, as in `course.gradcheck`):

    got          the student's result: dL/dx_i (mode "vjp"), or the output tangent (mode "jvp")
    expected     the right one, laid out like got (finite differences or the engine; NaN where
                 not checked, e.g. at a kink), or None: then it is computed from f when the input
                 is small, and otherwise hypotheses are tested along random directions
    f, inputs    the function and all its inputs; input_index: the input got belongs to
    upstream     u, the upstream gradient (L = sum(f(*inputs) * u)), mode "vjp"
    tangents     one tangent per input, mode "jvp"; input_index: the input that moves alone,
                 None when all move
    others       the student's gradients for every input (to see that two were swapped)
    candidates   {kind: array} (or {kind: (array, explanation[, hint])}): known mistakes of an
                 exercise, e.g. what an overwriting traversal gives; tried right after zero

The kinds, in the order they are tried (most specific first; fitted factors last; the tables
are in course/diagnosis/registry.py):

    got has the wrong shape:
      unreduced_broadcast   the broadcast shape; summed over the broadcast axes it is right
      transpose             got.T has the right shape and is right
      swapped_inputs        it has the shape of another input and is that input's gradient
      shape                 none of these (a plain number that numpy would spread to the
                            right shape: also what it would be, spread)
    got has the right shape:
      nonfinite             NaN or inf
      zero                  all 0 where the right one is not
      (the caller's candidates)
      sign                  -1 times the right one
      transpose             the right one transposed, or the rule with another (square) operand
                            transposed: a matmul with the wrong operand transposed (jvp: with
                            the moving input's tangent transposed)
      missing_upstream      the right answer for u = 1 (mode "jvp": for a tangent of ones): the
                            local gradient alone
      swapped_inputs        the right gradient of another input (jvp: the tangent that moving
                            another input the same way gives)
      output_for_input      f element-wise: the local derivative evaluated at f(x) instead of x
                            (sigmoid'(sigmoid(x))), or a rule written with the output applied to
                            the input (tanh: 1 - x**2 instead of 1 - tanh(x)**2)
      not_accumulated       where x is used several times (fan-out), got kept only one of the
                            incoming contributions (from the Jacobian: J[o, k] * u[o] per use),
                            always the first or always the last, as an overwrite does
      scale                 a constant multiple k of the right one (k fitted, so it must be
                            confirmed by two or more elements or directions, or be a plain
                            integer or 1/integer)
      partial               right on some elements, wrong on others (with the pattern: x <= 0,
                            x == y, one row, the last column, ...)
      unknown               nothing fits: the worst elements

"Explains" means: every checked element agrees to |a - b| <= atol + rtol * max(1e-8, |a| + |b|),
the checker's test (course.tolerances, rtol 1e-5). Hypotheses that need new numbers
(missing_upstream, swapped_inputs, output_for_input, not_accumulated, transposed operands)
compute them from f by central differences: the whole Jacobian for inputs of at most 100
elements, random directions above that (where partial and not_accumulated cannot be seen).

`describe(got, expected, **evidence)` gives the one-line version (for widgets);
`diagnose_traversal(root)` checks the `.grad` of every node of a scalar graph (course.Value, or
nodes with `parents`, `local_grads` and `grad`) after a backward pass. The parts live in
course/diagnosis/ (see its __init__).
"""

from course.diagnosis.problem import Call, Diagnosis, pose
from course.diagnosis.registry import explain
from course.diagnosis.traversal import diagnose_traversal
from course.diagnosis.words import HINTS, KINDS, WORDS
from course.tolerances import RTOL

__all__ = ["KINDS", "WORDS", "HINTS", "Diagnosis", "diagnose", "describe", "diagnose_traversal"]


def diagnose(got, expected=None, *, shape=None, f=None, inputs=(), input_index=0,
             upstream=None, tangents=None, mode="vjp", others=None, names=None,
             candidates=None, hint=None, rtol=RTOL, seed=0):
    """The Diagnosis that explains `got` (see the module doc for the evidence and the kinds).

    shape: the shape got must have (default: expected's, else that of the input); names: the
    inputs' names for the messages; hint: the exercise's own hint, a string or {kind: hint},
    replacing the generic one; seed: of the random directions.
    """
    vjp = mode == "vjp"
    call = Call.of(f, inputs, names, upstream=upstream if vjp else None,
                   tangents=None if vjp else tangents, seed=seed)
    problem, numerics = pose(mode, got, expected, call, shape=shape, input_index=input_index,
                             others=others, candidates=candidates, rtol=rtol)
    return explain(problem, numerics, hint)


def describe(got, expected, **evidence):
    """One line for a widget: the diagnosis's summary (keyword arguments as for diagnose)."""
    summary = diagnose(got, expected, **evidence).summary
    for ending in (", for example:", ":"):
        if summary.endswith(ending):
            return summary[: -len(ending)] + "."
    return summary
