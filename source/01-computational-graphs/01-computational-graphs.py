# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Assignment 1: Computational graphs, one gate at a time
#
# A neural network's loss is one long formula of its weights and inputs. To train the network we
# need the gradient of that loss with respect to every weight. **Backpropagation** gets all of
# them in one backward sweep: it cuts the formula into small steps called *gates*, and at each
# gate it applies the chain rule using only what that gate knows.
#
# In this assignment you first build the tool that tells a right gradient from a wrong one, a
# **numerical gradient checker** of your own. Then you derive the backward rules of gates the
# lecture does not show, find the bug in a wrong one with your checker, and put the gates
# together by hand for a whole neuron and for a function whose inputs are used several times.
#
# **This assignment is worth 32 points**: 9 exercises, each with a visible test and a hidden one.
#
# **What you will learn**
# - to draw a function as a *computational graph* and run its **forward pass** (values, left to
#   right) and **backward pass** (gradients, right to left);
# - the three gradients at every gate: **upstream**, **local** and **downstream**, and why
#   *downstream = local × upstream*;
# - to measure a gradient with **central differences**: why central, why in float64, how to
#   compare with the **relative error**, and where the measurement breaks (at kinks);
# - four patterns you will see everywhere: the **add** gate distributes, the **copy** gate adds,
#   the **multiply** gate swaps, the **max** gate routes (and what it does on a tie);
# - local gradients written with a gate's *output* (sigmoid, tanh), and derivations of gates the
#   lecture does not show;
# - to write "flat" gradient code for a sigmoid neuron and for a graph with fan-out, and to check
#   it with your own checker before the tests do.
#
# **How the exercises work.** Each exercise gives a function to complete: replace
# `raise NotImplementedError()` with your code. The test cell right after it checks your work
# and explains what went wrong if it fails; more tests, hidden, run when your work is graded.
# Inputs may be Python floats *or* numpy arrays (the rule is then applied element by element),
# so use numpy operations (`np.where`, `np.exp`, ...) rather than `if` on a value. Hints are
# folded: open one only when you are stuck, and the next one only if you still are.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import warnings
from itertools import combinations

import numpy as np
import matplotlib.pyplot as plt

from course import Value
from course.gradcheck import check_vjp, close, random_inputs, rel_error
from course.figures import (FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR, draw_graph, graph_alt,
                            series_alt, show)


# %% nbgrader={"grade": false, "grade_id": "test-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A small tool the tests use (you may use it too); they also compare with `close`.

def engine_gradients(build, *numbers):
    """What the course's engine says: build(*leaves) on one course.Value per number, then
    backward(). Returns (output value, [d output / d leaf for each leaf])."""
    leaves = [Value(number) for number in numbers]
    out = build(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


# %% [markdown]
# ## 1. A function as a graph
#
# Take $f(x, y, z) = (x + y)\,z$. A computer evaluates it in steps:
#
# $$q = x + y, \qquad f = q \cdot z.$$
#
# Draw each step as a node (a **gate**) and each value as an arrow into the gates that use it:
# that drawing is the **computational graph** of $f$. Evaluating the gates from left to right is
# the **forward pass**.
#
# `course.Value` is a number that remembers which gate made it, so writing the formula with
# Values records the graph. The cell below does that and draws the graph; the blue numbers are
# the values flowing forward along each arrow.

# %%
x = Value(1.5, label="x")
y = Value(-4.0, label="y")
z = Value(2.0, label="z")
q = x + y
f = q * z
print(f"forward pass: q = x + y = {q.data:g},  f = q * z = {f.data:g}")
title = "Forward pass: values flow left to right"
ax = draw_graph(f, show_grad=False, title=title)
show(ax.figure, alt=graph_alt(f, title=title, show_grad=False))

# %% [markdown]
# ### The backward pass, and the three gradients at a gate
#
# We want $\partial f/\partial x$, $\partial f/\partial y$ and $\partial f/\partial z$. Start at
# the output, where $\partial f/\partial f = 1$, and walk the graph from right to left. Each gate
# receives one gradient and sends gradients on to its inputs, using the chain rule. For a gate
# with input $x$ and output $q$, inside a bigger computation whose final result is $L$:
#
# $$\underbrace{\frac{\partial L}{\partial x}}_{\text{downstream}}
#   = \underbrace{\frac{\partial q}{\partial x}}_{\text{local}}\;
#     \underbrace{\frac{\partial L}{\partial q}}_{\text{upstream}}$$
#
# - the **upstream gradient** $\partial L/\partial q$ arrives from the right: how much the final
#   result changes when this gate's output changes. The gate does not know how it was computed,
#   and does not need to.
# - the **local gradient** $\partial q/\partial x$ depends only on the gate itself and the values
#   it saw in the forward pass.
# - the **downstream gradient** $\partial L/\partial x$ is their product. The gate sends it to the
#   left, where it becomes the upstream gradient of the gate that produced $x$.
#
# Our two gates show the two simplest rules. The **add gate** $q = x + y$: nudging $x$ by a
# little nudges $q$ by the same amount, so its local gradients are both 1 and each input gets the
# upstream gradient unchanged. The **multiply gate** $f = q z$: nudging $q$ changes $f$ by $z$
# times as much, so $\partial f/\partial q = z$ and, the same way, $\partial f/\partial z = q$:
# each input's gradient is the upstream gradient times the *other* input. The cell below does
# the backward pass by hand, one line per arrow, and compares it with the engine's `f.backward()`.

# %%
grad_f = 1.0                 # df/df: the backward pass starts with 1 at the output
grad_q = z.data * grad_f     # multiply gate f = q * z: local gradient df/dq = z
grad_z = q.data * grad_f     #                          local gradient df/dz = q
grad_x = 1.0 * grad_q        # add gate q = x + y: local gradient dq/dx = 1
grad_y = 1.0 * grad_q        #                     local gradient dq/dy = 1

f.backward()                 # the engine walks the same graph
print(f"by hand:    df/dx = {grad_x:g}, df/dy = {grad_y:g}, df/dz = {grad_z:g}")
print(f"the engine: df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}")
title = "Backward pass: gradients flow right to left"
ax = draw_graph(f, title=title)
show(ax.figure, alt=graph_alt(f, title=title))

# %% [markdown]
# In these figures every arrow carries two numbers: the forward value travelling right (blue,
# above) and the gradient of the output with respect to that value, travelling left (orange,
# below). The arrow leaving the output carries the seed gradient, 1.
#
# ## 2. A gradient checker of your own
#
# How do we know a gradient is right? A derivative is a slope, and a slope can be measured: nudge
# the input a little and see how much the output moves. Two ways to nudge:
#
# $$\text{one-sided: } \frac{f(x + h) - f(x)}{h}, \qquad
#   \text{central: } \frac{f(x + h) - f(x - h)}{2h}.$$
#
# Both approach $f'(x)$ as the step $h$ shrinks, but not equally fast. Expand $f$ around $x$
# (Taylor): $f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + \dots$
# The one-sided quotient is off by about $\tfrac{h}{2} f''(x)$; in the central one the $h^2$ terms
# cancel, and it is off by only about $\tfrac{h^2}{6} f'''(x)$. A step of $10^{-6}$ gives an error
# near $10^{-6}$ one way and $10^{-12}$ the other.
#
# So why not make $h$ tiny? Because the computer rounds. In float64 every number carries about 16
# significant digits; $f(x + h) - f(x - h)$ subtracts two nearly equal numbers and keeps only
# the digits in which they differ, and dividing by a small $2h$ magnifies the rounding left in
# them, roughly $10^{-16}/h$. Float32 keeps only about 7 digits, so the rounding there is
# $10^{-7}/h$. The figure measures all of this for $f = \tanh$ at $x = 0.7$: the error of each
# quotient against the exact $1 - \tanh^2(0.7)$, for steps from $10^{-1}$ down to $10^{-12}$.

# %%
def difference_quotient(f, x, h, kind):
    """One number: the one-sided or central difference quotient of f at x, step h."""
    if kind == "one-sided":
        return (f(x + h) - f(x)) / h
    return (f(x + h) - f(x - h)) / (2 * h)

steps = 10.0 ** -np.arange(1, 13, 0.25)
exact_slope = 1 - np.tanh(0.7) ** 2
curves = {
    "one-sided, float64": [difference_quotient(np.tanh, 0.7, h, "one-sided") for h in steps],
    "central, float64": [difference_quotient(np.tanh, 0.7, h, "central") for h in steps],
    "central, float32": [difference_quotient(np.tanh, np.float32(0.7), np.float32(h), "central")
                         for h in steps],
}
fig, ax = plt.subplots(figsize=(7, 4))
error_curves = {}
for (name, slopes), color in zip(curves.items(), [GRADIENT_COLOR, FORWARD_COLOR, MISMATCH_COLOR]):
    errors = error_curves[name] = np.abs(np.array(slopes, dtype=np.float64) - exact_slope) + 1e-17
    ax.loglog(steps, errors, marker=".", color=color, label=name)
    best = int(np.argmin(errors))
    print(f"{name:20s} smallest error {errors[best]:.1e}, at step h = {steps[best]:.0e}")
at_default = abs(difference_quotient(np.tanh, 0.7, 1e-6, "central") - exact_slope)
print(f"central, float64     error {at_default:.1e} at the step h = 1e-06 used below")
ax.set_xlabel("step h")
ax.set_ylabel("|quotient - exact slope|")
ax.invert_xaxis()
ax.legend()
ax.set_title("Measuring tanh'(0.7): truncation error (right) against rounding (left)")
show(fig, alt="Log-log plot of the error |quotient - exact slope| of tanh'(0.7) against the step "
     f"h, from h = {steps[0]:.0e} on the left down to {steps[-1]:.0e} on the right. "
     + series_alt(steps, error_curves, fmt="{:.1e}", x_fmt="h = {:.0e}") + ".")

# %% [markdown]
# Read the figure from the right: the errors first fall as the step shrinks (the Taylor terms),
# the central quotient's twice as steeply; then rounding takes over and they rise again. The
# central difference in float64 gets closest of all (the smallest errors are printed above the
# figure), and even at the step used below, $10^{-6}$, it is far more accurate than float32
# ever gets: float32's best is orders of magnitude worse, too coarse to tell a right rule from one
# that is slightly wrong. So a checker always computes in **float64**, whatever the type of the numbers
# it is given.
#
# ### Exercise 1: `numerical_gradient`
#
# **What to do.** Complete `numerical_gradient(f, x, eps=1e-6)`. `f` is a function of one
# argument, shaped like `x`, that returns a single number $L$; `x` is a number or a numpy array
# of any shape and any numeric type (integers and float32 included). Return $\partial L/\partial x$
# measured by **central differences** with step `eps`: a float64 array of `x`'s shape (shape `()`
# for a number), one partial derivative per element, each found by nudging that element alone.
# `f` must only ever see float64 values, and the caller's `x` must be exactly as it was when
# your function returns.
#
# **Example.** `numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -3.0]))` is about
# `[2, -6]`, within $10^{-8}$.
#
# <details><summary>Hint 1</summary>
#
# You need one partial derivative per element, whatever the number of axes. Is there a numpy
# way to visit every index of an array of any shape, `()` included? (Look at `np.ndindex`.)
# </details>
#
# <details><summary>Hint 2</summary>
#
# Where does the float64 conversion have to happen so that `f` sees float64 values *and* the
# caller's array is never touched? What does `np.asarray` do when its input already is a float64
# array, and what does `np.array` do?
# </details>

# %% nbgrader={"grade": false, "grade_id": "numerical-gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_gradient(f, x, eps=1e-6):
    """dL/dx of L = f(x) (one number) by central differences, one element of x at a time.

    x: a number or an array of any shape and numeric dtype (left unchanged). f is called on
    float64 arrays of x's shape. Returns a float64 array of x's shape.
    """
    ### BEGIN SOLUTION
    point = np.array(x, dtype=np.float64)          # a float64 copy: the caller's x stays as is
    gradient = np.zeros(point.shape)
    for index in np.ndindex(point.shape):
        kept = point[index]
        point[index] = kept + eps
        plus = float(f(point))
        point[index] = kept - eps
        minus = float(f(point))
        point[index] = kept
        gradient[index] = (plus - minus) / (2 * eps)
    return gradient
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-numerical-gradient", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def why_wrong(got, expected, x):
    """Words for the usual mistakes of a finite-difference gradient."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape != np.shape(expected):
        return (f"it has shape {got.shape}, but x has shape {np.shape(x)}: return one partial "
                f"derivative per element of x (did you nudge the whole array at once?)")
    if close(got, 2 * expected, tol=1e-5):
        return "it is twice the gradient: the two evaluations are 2 * eps apart"
    if rel_error(got, expected) < 1e-4:
        return (f"its relative error is {rel_error(got, expected):.1e}, about eps: a one-sided "
                f"difference? The central difference is far more accurate (see the figure)")
    return f"expected {np.round(expected, 6)}, got {np.round(got, 6)}"

# 1. A smooth function of a (2, 3) array: the exact gradient of sum(x**3) is 3 x**2.
(x,) = random_inputs((2, 3), seed=1)
x_before = x.copy()
got = numerical_gradient(lambda v: np.sum(v ** 3), x)
assert np.array_equal(x, x_before), (
    "numerical_gradient changed the caller's x: nudge a copy of it (or put every element back "
    "exactly as it was)")
assert close(got, 3 * x ** 2, tol=1e-8), (
    "numerical_gradient(sum(x**3), x) is wrong: " + why_wrong(got, 3 * x ** 2, x))

# 2. A float32 input: f must see float64 numbers, or the rounding swamps the slope.
x32 = np.array([0.3, -1.7, 2.2], dtype=np.float32)
got = numerical_gradient(lambda v: np.sum(v ** 2), x32)
expected = 2 * x32.astype(np.float64)
assert close(got, expected, tol=1e-8), (
    f"on a float32 input the relative error is {rel_error(got, expected):.1e}: convert x to "
    f"float64 before you nudge it (float32 keeps only about 7 digits)"
    if np.shape(got) == expected.shape else why_wrong(got, expected, x32))

# 3. A kink: the central difference of ReLU at 0 averages the two sides, 0 and 1.
got = numerical_gradient(lambda v: np.sum(np.maximum(v, 0.0)), np.array([0.0, 2.0, -1.0]))
assert close(got, [0.5, 1.0, 0.0], tol=1e-6), (
    f"the numerical gradient of sum(relu(x)) at x = [0, 2, -1] should be [0.5, 1, 0] (at the "
    f"kink x = 0 the central difference sees both sides), got {got}: a one-sided difference "
    f"gives 0 or 1 there")

# %% nbgrader={"grade": true, "grade_id": "test-numerical-gradient-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes, number types and edge cases when your work is graded.
assert np.shape(numerical_gradient(lambda v: np.sum(v), np.zeros(3))) == (3,)
### BEGIN HIDDEN TESTS
# a number: shape ()
got = numerical_gradient(lambda v: v ** 3, 2.0)
assert np.shape(got) == () and close(got, 12.0, tol=1e-8), f"d(x**3)/dx at 2 is 12, got {got}"
# integers: f must see floats, and the result is float64
got = numerical_gradient(lambda v: np.sum(v ** 2), np.array([1, 2, -3]))
assert close(got, [2.0, 4.0, -6.0], tol=1e-8) and np.asarray(got).dtype == np.float64
# f sees float64 arrays of x's shape; elements interact; every index is its own
weights = np.random.default_rng(90).normal(size=(2, 3, 2))

def strict(v):
    assert np.shape(v) == (2, 3, 2) and v.dtype == np.float64, "f must get float64, x's shape"
    return np.log(np.sum(np.exp(v * weights)))

(x,) = random_inputs((2, 3, 2), seed=91)
x_before = x.copy()
expected = weights * np.exp(x * weights) / np.sum(np.exp(x * weights))
assert close(numerical_gradient(strict, x), expected, tol=1e-7)
assert np.array_equal(x, x_before)
# float32 through a function whose slope needs the digits, and the input left as it was
x32 = np.linspace(-2, 2, 7).astype(np.float32)
x32_before = x32.copy()
got = numerical_gradient(lambda v: np.sum(np.tanh(v)), x32)
assert close(got, 1 - np.tanh(x32.astype(np.float64)) ** 2, tol=1e-7)
assert np.array_equal(x32, x32_before) and x32.dtype == np.float32
# scales: large and small values, and a function with a huge output
(x,) = random_inputs((5,), seed=92)
assert close(numerical_gradient(lambda v: np.sum(v ** 2), 300.0 * x), 600.0 * x, tol=1e-7)
assert close(numerical_gradient(lambda v: 1e8 * np.sum(np.sin(v)), x), 1e8 * np.cos(x), tol=1e-6)
assert close(numerical_gradient(lambda v: np.sum(np.sin(v)), 1e-3 * x), np.cos(1e-3 * x), tol=1e-8)
# kinks: abs at 0 (both sides cancel), a tie of max (half each), ReLU at 0
assert close(numerical_gradient(lambda v: np.sum(np.abs(v)), np.array([0.0, -2.0])), [0.0, -1.0], tol=1e-6)
got = numerical_gradient(lambda v: np.max(v), np.array([1.5, 1.5, -1.0]))
assert close(got, [0.5, 0.5, 0.0], tol=1e-6), f"a tie of max: half each, got {got}"
got = numerical_gradient(lambda v: np.maximum(v, 0.0), 0.0)
assert close(got, 0.5, tol=1e-6)
# the step is a parameter
assert close(numerical_gradient(lambda v: v ** 2, 1.0, eps=0.5), 2.0, tol=1e-12)
assert close(numerical_gradient(lambda v: v ** 3, 1.0, eps=0.5), 3.25, tol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ### Comparing two gradients: the relative error
#
# Your `numerical_gradient` gives one number per element; a backward rule gives another. When
# are they "the same"? Not when their difference is below some fixed number: a difference of
# $10^{-3}$ is excellent agreement between two gradients of size $10^{4}$, and a disaster between
# two of size $10^{-4}$. What matters is the difference *compared with the size of the numbers*,
# and the worst element decides.
#
# ### Exercise 2: `relative_error`
#
# **What to do.** Complete `relative_error(a, b)` for two numbers or two arrays of one shape. It
# returns one Python float, the error of the worst element, where the error of an element is its
# absolute difference divided by the sum of the two absolute values, except that this sum is
# never taken smaller than $10^{-8}$ (below that, both numbers are rounding noise: 0 against 0 is
# no error, and must not print a warning). So the error is 0 for equal numbers, stays the same
# when both are multiplied by the same number, and is 1 when one is 0 and the other not, or when
# their signs differ.
#
# **Example.** `relative_error(np.array([1.0, 2.0]), np.array([1.0, 3.0]))` is `0.2`.
#
# <details><summary>Hint 1</summary>
#
# Which numpy function takes the larger of two arrays element by element (or of an array and a
# number)?
# </details>

# %% nbgrader={"grade": false, "grade_id": "relative-error", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relative_error(a, b):
    """The largest element-wise |a - b| / max(1e-8, |a| + |b|), as a float."""
    ### BEGIN SOLUTION
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    size = np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float(np.max(np.abs(a - b) / size))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relative-error", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
a, b = np.array([1.0, 2.0]), np.array([1.0, 3.0])
got = relative_error(a, b)
assert isinstance(got, float), f"relative_error must return one float, not {type(got).__name__}"
assert close(got, 0.2), f"relative_error({a}, {b}) should be 0.2 (the worse element: 1 / 5), got {got}"
assert close(relative_error(1e6 * a, 1e6 * b), 0.2) and close(relative_error(1e-6 * a, 1e-6 * b), 0.2), (
    "relative_error must not depend on the scale: multiplying both arrays by 1e6 (or 1e-6) "
    "gives the same error")
assert close(relative_error(-2.0, 2.0), 1.0) and close(relative_error(0.0, 5.0), 1.0), (
    "opposite signs, or 0 against a nonzero number, are as far apart as can be: error 1")
with warnings.catch_warnings():
    warnings.simplefilter("error")
    try:
        both_zero = relative_error(np.zeros(3), np.zeros(3))
    except RuntimeWarning as warning:
        raise AssertionError(f"relative_error(0, 0) warned ({warning}): the sum of the sizes "
                             f"must never be taken smaller than 1e-8") from None
assert both_zero == 0.0, f"0 against 0 is no error, got {both_zero}"

# %% nbgrader={"grade": true, "grade_id": "test-relative-error-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert relative_error(np.ones((2, 2)), np.ones((2, 2))) == 0.0
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(95)
a = rng.normal(size=(3, 4))
b = a * (1 + 1e-3 * rng.normal(size=(3, 4)))
assert close(relative_error(a, b), rel_error(a, b)) and close(relative_error(b, a), rel_error(a, b))
assert close(relative_error(1e-12, 0.0), 1e-4), "below 1e-8 the size is taken as 1e-8"
assert close(relative_error(3.0, 1.0), 0.5)
assert isinstance(relative_error(2, 2), float)
c = np.array([[0.0, 1.0], [0.0, -4.0]])
assert close(relative_error(c, c * 1.5), 0.2)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3: `check_rule`
#
# Now the checker itself. A backward rule `rule(upstream, *inputs)` returns the downstream
# gradients of a gate for a given upstream gradient $u$: that is the gradient of the number
# $L = \sum f(\text{inputs}) \cdot u$ (element by element product, then sum), and
# `numerical_gradient` can measure that gradient, one input at a time.
#
# **What to do.** Complete `check_rule(f, rule, *inputs, seed=0)`. `f(*inputs)` is the gate's
# forward pass (an array, or a number); `rule(upstream, *inputs)` returns $\partial L/\partial$
# (each input): a lone array when the gate has one input, a tuple when it has several, in the
# order of the inputs. Draw a random upstream gradient $u$ of the **output's** shape with
# `np.random.default_rng(seed).normal(size=...)`, compare the rule's gradient for each input with
# your `numerical_gradient` of $L$ with respect to that input (the other inputs held fixed), using
# your `relative_error`, and return the errors as a tuple of floats, one per input.
#
# **Example.** For $f(x, y) = x y$, a rule whose `dy` is wrong and whose `dx` is right gives a
# tuple like `(3e-11, 0.6)`: the first input's gradient agrees, the second's does not.
#
# <details><summary>Hint 1</summary>
#
# Why must $u$ be random, and not all ones? Think of a rule that forgets to multiply by the
# upstream gradient: what would a check with $u = 1$ say about it?
# </details>
#
# <details><summary>Hint 2</summary>
#
# For input number `i`, you need a function of one argument `v` that runs `f` with `v` in the
# place of `inputs[i]` and the other inputs as they are, and returns $\sum f(\dots) \cdot u$.
# How does a one-input rule's result differ from a two-input rule's, and what does indexing it
# with `[0]` give?
# </details>

# %% nbgrader={"grade": false, "grade_id": "check-rule", "locked": false, "schema_version": 3, "solution": true, "task": false}
def check_rule(f, rule, *inputs, seed=0):
    """Relative errors of rule's gradients against finite differences: a tuple, one per input.

    L = sum(f(*inputs) * upstream) for a random upstream gradient of the output's shape
    (np.random.default_rng(seed).normal); rule(upstream, *inputs) returns dL/d(each input), a
    lone array for one input, a tuple for several.
    """
    ### BEGIN SOLUTION
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    upstream = np.random.default_rng(seed).normal(size=np.shape(f(*inputs)))
    grads = rule(upstream, *inputs)
    if not isinstance(grads, tuple):
        grads = (grads,)
    errors = []
    for i, x in enumerate(inputs):
        def loss(v):
            return np.sum(f(*inputs[:i], v, *inputs[i + 1:]) * upstream)
        errors.append(relative_error(numerical_gradient(loss, x), grads[i]))
    return tuple(errors)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-check-rule", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def multiply(x, y):
    return x * y

def multiply_rule(upstream, x, y):            # right
    return y * upstream, x * upstream

def multiply_rule_bad_dy(upstream, x, y):     # dL/dx right, dL/dy wrong
    return y * upstream, y * upstream

def multiply_rule_no_upstream(upstream, x, y):
    return y + 0 * upstream, x + 0 * upstream

x, y = random_inputs((6,), (6,), seed=3)
errors = check_rule(multiply, multiply_rule, x, y)
assert isinstance(errors, tuple) and len(errors) == 2, (
    f"check_rule must return a tuple with one error per input (2 here), not {errors!r}")
assert max(errors) < 1e-7, f"check_rule gave the errors {errors} to a right multiply rule"
errors = check_rule(multiply, multiply_rule_bad_dy, x, y)
assert errors[0] < 1e-7 and errors[1] > 0.1, (
    f"for a rule whose dL/dx is right and dL/dy wrong, check_rule gave {errors}: the first "
    f"error should be tiny and the second large (each input measured on its own, in order)")
errors = check_rule(multiply, multiply_rule_no_upstream, x, y)
assert min(errors) > 0.1, (
    f"a rule that ignores the upstream gradient got the errors {errors}: is your upstream "
    f"gradient all ones? Then such a rule passes")
errors = check_rule(np.exp, lambda upstream, x: np.exp(x) * upstream, x)
assert len(errors) == 1 and errors[0] < 1e-7, (
    f"a right one-input rule (it returns a lone array, not a tuple) got the errors {errors}")

# %% nbgrader={"grade": true, "grade_id": "test-check-rule-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(check_rule(np.sin, lambda upstream, v: np.cos(v) * upstream, np.ones(2))) == 1
### BEGIN HIDDEN TESTS
# numbers (shape ()), three inputs, a slightly wrong rule
errors = check_rule(lambda x, y: x / y, lambda u, x, y: (u / y, -u * x / y ** 2), 1.5, -0.7)
assert len(errors) == 2 and max(errors) < 1e-7
x, y, z = random_inputs((2, 3), (2, 3), (2, 3), seed=96)
errors = check_rule(lambda x, y, z: x * y + z, lambda u, x, y, z: (u * y, u * x, u), x, y, z)
assert len(errors) == 3 and max(errors) < 1e-7
errors = check_rule(lambda x, y, z: x * y + z, lambda u, x, y, z: (u * y, u * x * 1.001, u), x, y, z)
assert errors[0] < 1e-7 and 1e-4 < errors[1] < 1e-2 and errors[2] < 1e-7
# an output of another shape than the inputs: the copy gate x -> (x, x)
(x,) = random_inputs((4,), seed=97)
errors = check_rule(lambda x: np.stack([x, x]), lambda u, x: u[0] + u[1], x)
assert errors[0] < 1e-7, "the upstream gradient has the OUTPUT's shape"
errors = check_rule(lambda x: np.stack([x, x]), lambda u, x: u[0], x)
assert errors[0] > 0.1
# the seed decides the upstream gradient, so a check can be repeated
bad = lambda u, x: np.cos(x) * u + 0.1
assert check_rule(np.sin, bad, x, seed=4) == check_rule(np.sin, bad, x, seed=4)
# the inputs are left as they were
x_before = x.copy()
check_rule(np.tanh, lambda u, x: (1 - np.tanh(x) ** 2) * u, x)
assert np.array_equal(x, x_before)
### END HIDDEN TESTS

# %% [markdown]
# ### Your checker at work, and where it breaks
#
# The cell below runs your `check_rule` on two rules. The first is a wrong rule for
# $f(x) = x^2$ (its local gradient should be $2x$): your checker catches it. The second is a
# *right* rule for ReLU, $\max(x, 0)$, with local gradient 1 where $x > 0$ and 0 where $x \le 0$,
# checked once at points away from 0 and once at a point that includes 0.

# %%
def square_rule_wrong(upstream, x):
    return upstream * x                         # wrong: the local gradient of x**2 is 2 * x

def relu_rule(upstream, x):
    return np.where(x > 0, 1.0, 0.0) * upstream # right, with 0 at x = 0

print("x**2, wrong rule:       ", check_rule(lambda x: x ** 2, square_rule_wrong, np.array([1.0, -2.0, 3.0])))
print("relu, away from 0:      ", check_rule(lambda x: np.maximum(x, 0.0), relu_rule, np.array([1.5, -0.5, 2.0])))
print("relu, with a 0 in x:    ", check_rule(lambda x: np.maximum(x, 0.0), relu_rule, np.array([1.5, 0.0, 2.0])))

# %% [markdown]
# The right ReLU rule fails the check at $x = 0$. The rule is not to blame: ReLU has a **kink**
# there, no derivative exists, and the central difference, which looks at both sides, measures
# the average of the two slopes, $\tfrac12$, where the rule says 0. Near a kink (ReLU at 0, a tie
# in max, $|x|$ at 0) a numerical check says nothing about the rule. So checks use random inputs
# kept away from kinks (`course.gradcheck.random_inputs` does that), and what a rule does *at* a
# kink is a convention, tested on its own.
#
# The tests from here on use the course's checker, `check_vjp(f, rule, *inputs)`: the same idea
# as yours, with a diagnosis of the likely mistake when it fails. Yours is for you: use it on
# every rule you write below, before you run the test.
#
# ## 3. Patterns in the gradient flow
#
# Four gates come up again and again, and each treats the upstream gradient $g$ in a way you can
# recognise at a glance:
#
# - **add**, $z = x + y$: both local gradients are 1, so the gradient is **distributed**: both
#   inputs get $g$.
# - **multiply**, $z = x y$: the gradient is **swapped**: $x$ gets $g\,y$, $y$ gets $g\,x$.
# - **copy**: a value used in two places. Think of a hidden gate $x \to (x_1, x_2)$ with
#   $x_1 = x_2 = x$; each copy comes back with its own gradient, and nudging $x$ nudges both, so
#   (the multivariable chain rule, both local gradients 1) the gradients are **added**:
#   $\partial L/\partial x = \partial L/\partial x_1 + \partial L/\partial x_2$. Copy is the
#   mirror image of add: add has two inputs and one output and distributes; copy has one input
#   and two outputs and adds.
# - **max**, $z = \max(x, y)$: the gradient is **routed**. Which way, and what happens on a tie,
#   is Exercise 4.
#
# The figure shows each with an upstream gradient that is not 1 (computed by the engine,
# `course.Value`).

# %% jupyter={"source_hidden": true}
def draw_gate(ax, symbol, inputs, outputs, title):
    """One gate: inputs [(name, value, gradient)] on the left, outputs [(value, upstream
    gradient)] on the right. Values in blue above the arrows, gradients in orange below."""
    def arrow(start, end, value, gradient):
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="-|>", color="#888888", lw=1.2))
        xm, ym = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(xm, ym + 0.1, f"{value:g}", color=FORWARD_COLOR, ha="center", va="bottom")
        ax.text(xm, ym - 0.1, f"{gradient:g}", color=GRADIENT_COLOR, ha="center", va="top")

    def heights(n):
        return [0.0] if n == 1 else [0.9, -0.9]

    for (name, value, gradient), h in zip(inputs, heights(len(inputs))):
        ax.text(0, h, name, ha="center", va="center", fontsize=11,
                bbox=dict(boxstyle="round,pad=0.35", fc="#f4f6f8", ec="#555555"))
        arrow((0.3, h), (1.7, 0.0), value, gradient)
    for (value, gradient), h in zip(outputs, heights(len(outputs))):
        arrow((2.3, 0.0), (3.8, h), value, gradient)
    ax.text(2, 0, symbol, ha="center", va="center", fontsize=12,
            bbox=dict(boxstyle="circle,pad=0.3", fc="#f4f6f8", ec="#555555"))
    ax.set_xlim(-0.5, 4.1)
    ax.set_ylim(-1.5, 1.5)
    ax.set_title(title)
    ax.axis("off")


def binary_gate(gate, x_value, y_value, upstream):
    """(z, dL/dx, dL/dy) from the engine, for an upstream gradient dL/dz = upstream."""
    z_value, (dz_dx, dz_dy) = engine_gradients(gate, x_value, y_value)
    return z_value, upstream * dz_dx, upstream * dz_dy


x_value, y_value, upstream = 3.0, -1.0, 2.0
fig, axes = plt.subplots(1, 4, figsize=(15, 3.2))
panels = []
for ax, (symbol, gate, title) in zip(axes, [("+", lambda a, b: a + b, "add: distributes"),
                                            ("×", lambda a, b: a * b, "multiply: swaps"),
                                            ("max", lambda a, b: a.max(b), "max: routes")]):
    z_value, dx, dy = binary_gate(gate, x_value, y_value, upstream)
    draw_gate(ax, symbol, [("x", x_value, dx), ("y", y_value, dy)], [(z_value, upstream)], title)
    panels.append(f"{title}, z = x {symbol} y = {z_value:g}, upstream gradient {upstream:g}, "
                  f"so x gets {dx:g} and y gets {dy:g}")
upstream_1, upstream_2 = 2.0, -0.5
draw_gate(axes[3], "copy", [("x", x_value, upstream_1 + upstream_2)],
          [(x_value, upstream_1), (x_value, upstream_2)], "copy: adds")
fig.legend(handles=[plt.Line2D([], [], color=FORWARD_COLOR, lw=0, marker="s", label="forward value"),
                    plt.Line2D([], [], color=GRADIENT_COLOR, lw=0, marker="s", label="gradient")],
           loc="lower center", ncol=2, frameon=False)
panels.append(f"copy: adds, x = {x_value:g} is used twice, upstream gradients {upstream_1:g} "
              f"and {upstream_2:g}, so x gets {upstream_1 + upstream_2:g}")
show(fig, alt=f"Four gates, inputs on the left (x = {x_value:g}, y = {y_value:g}), forward values "
     "above the arrows and gradients below them: " + "; ".join(panels) + ".")


# %% [markdown]
# ### Exercise 4: the max gate routes
#
# A network full of max gates (max pooling, ReLU) passes gradient along only some paths, which
# is worth remembering when some weights stop learning. Work out the local gradients of
# $z = \max(x, y)$ yourself: away from a tie, max is, locally, a very simple function of its
# inputs.
#
# **Ties.** At $x = y$ the max has a kink: no derivative exists, yet an engine must return
# something. Here, the upstream gradient is **split evenly** between the two inputs (why, and
# why ReLU does something else, comes right after the exercise).
#
# **What to do.** Complete `max_backward(upstream, x, y)`, returning `(dx, dy)` for
# $z = \max(x, y)$, element by element, for numbers or arrays of one shape.
#
# **Example.** `max_backward(2.0, 3.0, -1.0)` returns `(2.0, 0.0)`; `max_backward(2.0, 1.0, 1.0)`
# returns `(1.0, 1.0)`.
#
# <details><summary>Hint 1</summary>
#
# Where $x > y$, a small nudge of $x$ moves $z$ one for one. What does a small nudge of $y$ do?
# </details>
#
# <details><summary>Hint 2</summary>
#
# `if x > y:` fails on arrays ("the truth value of an array ... is ambiguous"). Which numpy
# function chooses between two values element by element, and how many cases are there?
# </details>

# %% nbgrader={"grade": false, "grade_id": "max-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_backward(upstream, x, y):
    """Backward pass of the max gate z = max(x, y), element by element; a tie is split evenly.

    Returns (dL/dx, dL/dy).
    """
    ### BEGIN SOLUTION
    x_share = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))   # local gradient dz/dx
    dx = x_share * upstream
    dy = (1.0 - x_share) * upstream                              # dz/dy = 1 - dz/dx
    return dx, dy
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-max-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The examples: routed to the larger input, split evenly on a tie.
dx, dy = max_backward(2.0, 3.0, -1.0)
assert close(dx, 2.0) and close(dy, 0.0), (
    f"max_backward(2.0, 3.0, -1.0) returned ({dx}, {dy}); x = 3.0 is larger, so x gets all of "
    f"the upstream gradient 2.0 and y gets 0.0")
dx, dy = max_backward(2.0, 1.0, 1.0)
assert close(dx, 1.0) and close(dy, 1.0), (
    f"max_backward(2.0, 1.0, 1.0) returned ({dx}, {dy}); on a tie each input gets half of the "
    f"upstream gradient 2.0")

# 2. Finite differences on arrays, with a random upstream gradient.
x, y = random_inputs((6,), (6,), seed=4)
check_vjp(np.maximum, max_backward, x, y)

# 3. The engine agrees, including on a tie.
mismatches = []
for a, b in [(0.7, -1.2), (-2.0, 0.5), (0.25, 0.25)]:
    _, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x.max(y), a, b)
    dx, dy = max_backward(1.0, a, b)
    if not (close(dx, engine_dx) and close(dy, engine_dy)):
        mismatches.append(f"max_backward(1.0, {a}, {b}) returned ({dx}, {dy}); "
                          f"course.Value says ({engine_dx}, {engine_dy})")
assert not mismatches, "\n".join(mismatches)

# %% nbgrader={"grade": true, "grade_id": "test-max-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(max_backward(np.ones(3), np.zeros(3), np.ones(3))[0]) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (7,), (3, 4)]):
    x, y = random_inputs(shape, shape, seed=130 + seed)
    check_vjp(np.maximum, max_backward, x, y, seed=seed)
# ties inside arrays: central differences split a tie evenly, as the rule must
x = np.array([1.0, 2.0, -3.0, 0.5, 4.0, -1.0])
y = np.array([1.0, 5.0, -3.0, 0.5, -2.0, -1.0])
check_vjp(np.maximum, max_backward, x, y, at_kinks="check", seed=7)
rng = np.random.default_rng(230)
g = rng.normal(size=x.shape)
dx, dy = max_backward(g, x, y)
tie = x == y
assert close(dx[tie], g[tie] / 2) and close(dy[tie], g[tie] / 2), "ties must split the gradient evenly"
assert close(dx + dy, g), "the max gate passes on exactly the upstream gradient: dx + dy == upstream"
swapped_dy, swapped_dx = max_backward(g, y, x)
assert close(swapped_dx, dx) and close(swapped_dy, dy), "max is symmetric: swapping x and y swaps the gradients"
### END HIDDEN TESTS

# %% [markdown]
# ### Two kinks, two conventions
#
# At a kink any value between the slopes of the two sides is a defensible gradient (for the max
# at a tie: anything from 0 to 1 for $x$); an engine just has to pick one, and say which.
#
# - **max splits a tie evenly** because it is symmetric: $\max(x, y) = \max(y, x)$, so swapping
#   the inputs must swap their gradients, and at a tie that forces both to get the same share. The
#   shares then add up to the whole upstream gradient, which is right for $\max(x, x) = x$. It is
#   also what the central difference measures, and what PyTorch's `torch.maximum` and JAX's
#   `jnp.maximum` do.
# - **ReLU gives 0 at 0**, although $\mathrm{ReLU}(x) = \max(x, 0)$. Its second input is the
#   constant 0, not a value in the graph: there is no symmetry to keep, and the half that would
#   go to the constant is lost anyway. What matters for ReLU is that a unit sitting exactly at 0
#   counts as *off*, like every unit below 0: its gradient is the mask $x > 0$, exactly 0 on the
#   switched-off units (PyTorch and JAX do the same).
#
# The course's engine follows both conventions, so one and the same point gives two answers,
# depending on the gate:

# %%
at_zero = Value(0.0, label="x")
at_zero.relu().backward()
print(f"d relu(x)/dx at x = 0:      {at_zero.grad:g}")
at_zero.max(0.0).backward()
print(f"d max(x, 0)/dx at x = 0:    {at_zero.grad:g}")

# %% [markdown]
# ### Your max gate, beside the others
#
# The widget runs the add, multiply, max and copy gates, the max with **your** `max_backward`.
# Move the inputs and the upstream gradients: add distributes, multiply swaps, max routes (and
# splits a tie), copy adds up. Where your rule disagrees with the engine, its arrow turns magenta
# and the widget says what is different.

# %%
from course.widgets import GatePatterns

GatePatterns(max_backward=max_backward)

# %% [markdown]
# ## 4. Local gradients written with the output
#
# Any function whose derivative we know can be a gate. Take the sigmoid,
# $\sigma(x) = 1/(1 + e^{-x})$. Built from primitive gates (negate, exp, add, divide) it is a
# chain of four nodes, and backprop through that chain works: the cell below does it with
# `course.Value`. But the engine can also treat the whole sigmoid as **one gate** with its own
# local gradient. One gate instead of four means a smaller graph, fewer values to store and a
# faster backward pass, with the same gradient.

# %%
x = Value(0.8, label="x")
s = 1 / (1 + (-x).exp())            # sigmoid from four primitive gates
s.backward()
gradient_from_primitives = x.grad

x_again = Value(0.8, label="x")
s_gate = x_again.sigmoid()          # sigmoid as one gate
s_gate.backward()
print(f"sigmoid(0.8) = {s.data:.6f}")
print(f"d sigmoid/dx through four primitive gates: {gradient_from_primitives:.6f}")
print(f"d sigmoid/dx through one sigmoid gate:     {x_again.grad:.6f}")
title = "The sigmoid built from primitive gates"
ax = draw_graph(s, title=title)
show(ax.figure, alt=graph_alt(s, title=title))


# %% [markdown]
# What is that gate's local gradient? Differentiate:
#
# $$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2}
#   = \frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}} = \sigma(x)\,\bigl(1 - \sigma(x)\bigr).$$
#
# The forward pass has already computed $s = \sigma(x)$, the gate's **output**. So the sigmoid
# gate saves $s$, and its local gradient is just $s(1 - s)$: no exponential in the backward pass.
# The exp gate is the same: the derivative of $e^x$ is $e^x$, its own output.
#
# > **Careful.** If a backward rule receives the *output* $s$, the local gradient is
# > $s(1 - s)$. It is **not** $\sigma(s)(1 - \sigma(s))$: that applies the sigmoid a second time
# > and gives the slope at the wrong point. Lecture code like `sigmoid_grad(L)`, called with the
# > sigmoid's output `L`, means $L(1 - L)$.
#
# That local gradient is at most $\tfrac14$ (at $x = 0$), and almost nothing once $|x|$ is
# large. Through a chain of sigmoids these factors multiply. Slide $x$, the depth and the weight,
# and watch the gradient reaching the first layer vanish.

# %%
from course.widgets import VanishingGradients

VanishingGradients()

# %% [markdown]
# For the forward passes below, use this numerically safe sigmoid (the plain formula overflows,
# with a warning, for very negative $x$):

# %% nbgrader={"grade": false, "grade_id": "sigmoid-helper", "locked": true, "schema_version": 3, "solution": false, "task": false}
def sigmoid(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), element by element, with no overflow."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))                 # at most 1: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# %% [markdown]
# ### Exercise 5: tanh, from its output
#
# **What to do.** Derive the local gradient of $t = \tanh x$ and write it with the gate's
# **output** $t$. Complete `tanh_backward(upstream, out)`, where `out` $= \tanh x$ (saved by the
# forward pass); return $\partial L/\partial x$.
#
# **Example.** `tanh_backward(2.0, 0.5)` returns `1.5`.
#
# <details><summary>Hint 1</summary>
#
# $\tanh x = 2\,\sigma(2x) - 1$. You know the sigmoid's derivative: what does the chain rule give
# for $\tanh'(x)$, in terms of $\sigma(2x)$?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Write $\sigma(2x)$ with $t$: from $t = 2\sigma(2x) - 1$, $\sigma(2x) = (1 + t)/2$. And do not
# apply `np.tanh` to `out`: it already is the tanh.
# </details>

# %% nbgrader={"grade": false, "grade_id": "tanh-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tanh_backward(upstream, out):
    """Backward pass of t = tanh(x), from the gate's OUTPUT out = tanh(x). Returns dL/dx."""
    ### BEGIN SOLUTION
    return (1.0 - out ** 2) * upstream
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = tanh_backward(2.0, 0.5)
assert close(got, 1.5), (
    f"tanh_backward(2.0, 0.5) returned {got}, not 1.5"
    + (": you applied tanh to the output again; `out` already is tanh(x)"
       if close(got, 2.0 * (1 - np.tanh(0.5) ** 2)) else ""))

(x,) = random_inputs((5,), seed=9)
check_vjp(np.tanh, lambda upstream, x: tanh_backward(upstream, np.tanh(x)), x)

_, (engine_dx,) = engine_gradients(lambda x: x.tanh(), -0.6)
assert close(tanh_backward(1.0, np.tanh(-0.6)), engine_dx), "tanh_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-tanh-backward-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(tanh_backward(np.ones(3), np.full(3, 0.5))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (2, 3)]):
    (x,) = random_inputs(shape, seed=180 + seed)
    check_vjp(np.tanh, lambda upstream, x: tanh_backward(upstream, np.tanh(x)), 2 * x, seed=seed)
mismatches = [point for point in [-2.0, 0.0, 0.9]
              if not close(tanh_backward(1.4, np.tanh(point)),
                           1.4 * engine_gradients(lambda x: x.tanh(), point)[1][0])]
assert not mismatches, f"tanh_backward disagrees with course.Value at x = {mismatches}"
# saturated outputs: no gradient gets through
assert close(tanh_backward(np.array([3.0, -2.0]), np.array([1.0, -1.0])), [0.0, 0.0])
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Gates the lecture does not show
#
# Nothing limits a graph to the gates of the lecture: any function with a derivative can be one.
# You derive the rule, and your checker tells you whether you got it right.
#
# ### Exercise 6: division
#
# **What to do.** Complete `divide_backward(upstream, x, y)` for the gate $d = x / y$, returning
# `(dx, dy)`, element by element.
#
# **Example.** `divide_backward(2.0, 3.0, 4.0)` returns `(0.5, -0.375)`.
#
# <details><summary>Hint 1</summary>
#
# $x / y = x \cdot y^{-1}$: a multiply gate after a power gate. What is the derivative of
# $y^{-1}$?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Check your rule with `check_rule(lambda x, y: x / y, divide_backward, x, y)` on a few inputs
# (keep $y$ away from 0).
# </details>

# %% nbgrader={"grade": false, "grade_id": "divide-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def divide_backward(upstream, x, y):
    """Backward pass of d = x / y. Returns (dL/dx, dL/dy)."""
    ### BEGIN SOLUTION
    dx = upstream / y
    dy = -upstream * x / y ** 2
    return dx, dy
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-divide-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
dx, dy = divide_backward(2.0, 3.0, 4.0)
assert close(dx, 0.5) and close(dy, -0.375), (
    f"divide_backward(2.0, 3.0, 4.0) returned ({dx}, {dy}); expected (0.5, -0.375)"
    + (": check the sign of dy (a bigger denominator makes a positive quotient smaller)"
       if close(dy, 0.375) else ""))

x, y = random_inputs((5,), (5,), seed=11, margin=0.3)   # y stays away from 0
check_vjp(lambda x, y: x / y, divide_backward, x, y)

_, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x / y, 0.7, -1.2)
dx, dy = divide_backward(1.0, 0.7, -1.2)
assert close(dx, engine_dx) and close(dy, engine_dy), "divide_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-divide-backward-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(divide_backward(np.ones(3), np.ones(3), np.ones(3))[0]) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (2, 3)]):
    x, y = random_inputs(shape, shape, seed=300 + seed, margin=0.3)
    check_vjp(lambda x, y: x / y, divide_backward, x, y, seed=seed)
mismatches = []
for a, b in [(1.5, 0.5), (-2.0, 3.0), (0.3, -0.7)]:
    _, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x / y, a, b)
    dx, dy = divide_backward(-1.1, a, b)
    if not (close(dx, -1.1 * engine_dx) and close(dy, -1.1 * engine_dy)):
        mismatches.append((a, b))
assert not mismatches, f"divide_backward disagrees with course.Value at (x, y) = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7: find the bug
#
# The power gate of a network usually has a constant exponent, but nothing stops both the base
# and the exponent from being values in the graph: $z = x^y$ (for $x > 0$). A colleague wrote
# this backward rule for it. One of its two gradients is wrong.

# %% nbgrader={"grade": false, "grade_id": "power-rule-given", "locked": true, "schema_version": 3, "solution": false, "task": false}
def power_backward_given(upstream, x, y):
    """A colleague's backward pass of z = x ** y (x > 0). Returns (dL/dx, dL/dy). One is wrong."""
    dx = upstream * y * x ** (y - 1)
    dy = upstream * x ** (y - 1) * np.log(x)
    return dx, dy


# %% [markdown]
# **What to do.** Find out with your `check_rule` which of the two gradients is wrong (positive
# `x`: `np.abs` of random inputs, plus a little, will do). Then complete
# `power_backward(upstream, x, y)`, the correct rule: keep the gradient your checker trusts (you
# may call `power_backward_given` for it), and derive the other yourself.
#
# **Example.** `power_backward(1.0, 2.0, 3.0)` returns `(12.0, 5.545...)`.
#
# <details><summary>Hint 1</summary>
#
# `check_rule(lambda x, y: x ** y, power_backward_given, x, y)` returns one error per input:
# which one is large?
# </details>
#
# <details><summary>Hint 2</summary>
#
# $x^y = e^{y \ln x}$. Differentiate with respect to $y$, holding $x$ fixed, with the chain rule.
# </details>

# %% nbgrader={"grade": false, "grade_id": "power-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def power_backward(upstream, x, y):
    """Backward pass of z = x ** y, both inputs in the graph (x > 0). Returns (dL/dx, dL/dy)."""
    ### BEGIN SOLUTION
    dx, _ = power_backward_given(upstream, x, y)
    dy = upstream * x ** y * np.log(x)
    return dx, dy
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-power-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
dx, dy = power_backward(1.0, 2.0, 3.0)
assert close(dx, 12.0), f"power_backward(1.0, 2.0, 3.0) gave dL/dx = {dx}, not 12.0"
assert close(dy, 8 * np.log(2.0)), (
    f"power_backward(1.0, 2.0, 3.0) gave dL/dy = {dy}, not {8 * np.log(2.0):.6g}"
    + (": that is still the colleague's dL/dy" if close(dy, 4 * np.log(2.0)) else ""))

x, y = random_inputs((5,), (5,), seed=12)
assert check_vjp(lambda x, y: x ** y, power_backward, np.abs(x) + 0.2, y)

# %% nbgrader={"grade": true, "grade_id": "test-power-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(power_backward(np.ones(3), np.ones(3), np.ones(3))[1]) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (2, 3)]):
    x, y = random_inputs(shape, shape, seed=310 + seed)
    check_vjp(lambda x, y: x ** y, power_backward, np.abs(x) + 0.1, 2 * y, seed=seed)
mismatches = []
for a, b in [(1.5, 0.5), (0.3, -2.0), (4.0, 1.0), (1.0, 3.0)]:
    _, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x ** y, a, b)
    dx, dy = power_backward(0.7, a, b)
    if not (close(dx, 0.7 * engine_dx) and close(dy, 0.7 * engine_dy)):
        mismatches.append((a, b))
assert not mismatches, f"power_backward disagrees with course.Value at (x, y) = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Flat gradient code for a whole neuron
#
# Now put the gates together. A neuron with two inputs $x_0, x_1$, weights $w_0, w_1$ and bias
# $w_2$ computes
#
# $$L = \sigma(w_0 x_0 + w_1 x_1 + w_2).$$
#
# Its graph has two multiply gates, two add gates and one sigmoid gate. The cell below builds it
# with `course.Value` at the lecture's numbers, runs the engine's backward pass and draws the
# result: these orange numbers are what your code must reproduce.

# %%
point = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
w0, x0, w1, x1, w2 = (Value(number, label=name) for name, number in point.items())
L = (w0 * x0 + w1 * x1 + w2).sigmoid()
L.backward()
print(f"L = {L.data:.6f}")
for leaf in (w0, x0, w1, x1, w2):
    print(f"dL/d{leaf.label} = {leaf.grad:+.6f}")
title = "The sigmoid neuron: forward values and gradients"
ax = draw_graph(L, title=title)
show(ax.figure, alt=graph_alt(L, title=title))

# %% [markdown]
# ### Try it: drag the inputs
#
# The same neuron, live. Each slider sets one input, starting at the numbers above; every move
# re-runs the forward and the backward pass and redraws the numbers on the edges. Watch how a
# gate's outgoing gradient changes when you change *another* input: the multiply gate's gradient
# to `w0` follows `x0`.

# %%
from course.widgets import GraphExplorer

GraphExplorer(**point)

# %% [markdown]
# **Flat gradient code** writes a graph's backward pass by hand, as one straight function:
#
# 1. the **forward pass**, one line per gate, keeping every intermediate value in its own
#    variable (the backward pass needs them);
# 2. the **backward pass**: start with `grad_L = 1.0`, then go through the gates in *reverse*
#    order, one line per input, each line *local gradient × upstream gradient*. Name each
#    gradient after its variable: `grad_s` holds $\partial L/\partial s$.
#
# Here is flat code for another small function, $g(a, b) = e^{ab} + a$. Note the copy gate: `a`
# is used twice, so its gradient is the sum of two contributions.

# %%
def g_flat(a, b):
    # forward pass: one line per gate, every value kept
    p = a * b
    e = np.exp(p)
    g = e + a
    # backward pass: reverse order, local gradient * upstream gradient
    grad_g = 1.0
    grad_e = 1.0 * grad_g              # add gate: distributes
    grad_a_direct = 1.0 * grad_g       #   (the copy of a that goes straight into the add)
    grad_p = e * grad_e                # exp gate: local gradient = its output
    grad_a_via_p = b * grad_p          # multiply gate: swaps
    grad_b = a * grad_p
    grad_a = grad_a_via_p + grad_a_direct   # copy gate: a was used twice, so add
    return g, grad_a, grad_b

g_value, grad_a, grad_b = g_flat(0.5, -1.2)
g_engine, (engine_a, engine_b) = engine_gradients(lambda a, b: (a * b).exp() + a, 0.5, -1.2)
print(f"flat code:  g = {g_value:.6f}, dg/da = {grad_a:.6f}, dg/db = {grad_b:.6f}")
print(f"the engine: g = {g_engine:.6f}, dg/da = {engine_a:.6f}, dg/db = {engine_b:.6f}")


# %% [markdown]
# ### Exercise 8: the sigmoid neuron, flat
#
# **What to do.** Complete `sigmoid_neuron(w0, x0, w1, x1, w2)` in flat gradient code. It returns
# the neuron's output $L = \sigma(w_0 x_0 + w_1 x_1 + w_2)$ followed by its five gradients:
# `(L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2)`. The inputs may be numbers or arrays of one
# shape (a batch of neurons, element by element): every gradient then has that shape. Use the
# `sigmoid` defined above for the forward pass.
#
# **Example.** At the lecture's numbers drawn above, your function must return the printed $L$
# and the five printed gradients.
#
# **Check it yourself first.** The cell after the solution runs your `check_rule` on your neuron:
# run it before the test, and read its five errors.
#
# <details><summary>Hint 1</summary>
#
# Which value does the sigmoid gate's local gradient need, and do you already have it?
# </details>
#
# <details><summary>Hint 2</summary>
#
# The backward pass visits the gates in the reverse order of the forward pass: the sigmoid first,
# then the two add gates, then the two multiply gates. Which of the patterns of section 3 does
# each apply?
# </details>

# %% nbgrader={"grade": false, "grade_id": "sigmoid-neuron", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_neuron(w0, x0, w1, x1, w2):
    """L = sigmoid(w0 * x0 + w1 * x1 + w2), with flat gradient code.

    Inputs: numbers, or arrays of one shape (element by element).
    Returns (L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2), each gradient dL/d(that input).
    """
    ### BEGIN SOLUTION
    # forward pass
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    # backward pass
    grad_L = 1.0
    grad_s3 = L * (1.0 - L) * grad_L     # sigmoid gate: local gradient from its output
    grad_s2 = grad_s3                    # add gate distributes
    grad_w2 = grad_s3
    grad_s0 = grad_s2                    # add gate distributes
    grad_s1 = grad_s2
    grad_w0 = x0 * grad_s0               # multiply gate swaps
    grad_x0 = w0 * grad_s0
    grad_w1 = x1 * grad_s1
    grad_x1 = w1 * grad_s1
    return L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2
    ### END SOLUTION


# %%
# Your own check, before the test's: one relative error per input (all tiny if you are right).
def neuron_output(w0, x0, w1, x1, w2):
    return sigmoid_neuron(w0, x0, w1, x1, w2)[0]

def neuron_rule(upstream, w0, x0, w1, x1, w2):
    return tuple(upstream * grad for grad in sigmoid_neuron(w0, x0, w1, x1, w2)[1:])

print(check_rule(neuron_output, neuron_rule, *random_inputs(*[(4,)] * 5, seed=8)))

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-neuron", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def neuron(w0, x0, w1, x1, w2):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()

def L_only(w0, x0, w1, x1, w2):
    return sigmoid_neuron(w0, x0, w1, x1, w2)[0]

def neuron_backward(upstream, w0, x0, w1, x1, w2):
    return tuple(upstream * grad for grad in sigmoid_neuron(w0, x0, w1, x1, w2)[1:])

# 1. The lecture's numbers, against the engine.
numbers = tuple(point.values())
result = sigmoid_neuron(*numbers)
assert isinstance(result, (tuple, list)) and len(result) == 6, (
    "sigmoid_neuron must return a tuple of 6: (L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2)")
L_engine, grads_engine = engine_gradients(neuron, *numbers)
assert close(result[0], L_engine), f"L: expected {L_engine:.6g} (course.Value), got {result[0]}"
wrong = [f"grad_{name}: expected {expected:.6g} (course.Value), got {got}"
         for name, got, expected in zip(["w0", "x0", "w1", "x1", "w2"], result[1:], grads_engine)
         if not close(got, expected)]
sigmoid_again = sigmoid(L_engine) * (1 - sigmoid(L_engine))      # the slope at the wrong point
if wrong and close(result[5], sigmoid_again):
    wrong.append("the sigmoid gate's local gradient is L * (1 - L) for its output L: you applied "
                 "the sigmoid to L again")
elif wrong and close(result[5], 1.0):
    wrong.append("grad_w2 is 1: the backward pass skipped the sigmoid gate's local gradient")
elif wrong and close(result[1], grads_engine[1]) and close(result[2], grads_engine[0]):
    wrong.append("grad_w0 and grad_x0 are swapped: the multiply gate gives each input the "
                 "upstream gradient times the OTHER input")
assert not wrong, "\n".join(wrong)

# 2. Finite differences on arrays (a batch of 4 neurons), with a random upstream gradient.
check_vjp(L_only, neuron_backward, *random_inputs(*[(4,)] * 5, seed=12))
assert np.shape(sigmoid_neuron(*random_inputs(*[(4,)] * 5, seed=12))[1]) == (4,)

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-neuron-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(sigmoid_neuron(*np.ones((5, 3)))) == 6
### BEGIN HIDDEN TESTS
def neuron(w0, x0, w1, x1, w2):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()

def L_only(w0, x0, w1, x1, w2):
    return sigmoid_neuron(w0, x0, w1, x1, w2)[0]

def neuron_backward(upstream, w0, x0, w1, x1, w2):
    return tuple(upstream * grad for grad in sigmoid_neuron(w0, x0, w1, x1, w2)[1:])

for seed, shape in enumerate([(), (6,), (2, 3)]):
    check_vjp(L_only, neuron_backward, *random_inputs(*[shape] * 5, seed=410 + seed), seed=seed)
mismatches = []
for seed in range(4):
    numbers = tuple(np.random.default_rng(400 + seed).normal(scale=1.5, size=5))
    L_engine, grads_engine = engine_gradients(neuron, *numbers)
    result = sigmoid_neuron(*numbers)
    if not (close(result[0], L_engine) and all(close(got, expected)
                                                for got, expected in zip(result[1:], grads_engine))):
        mismatches.append(numbers)
assert not mismatches, f"sigmoid_neuron disagrees with course.Value at (w0, x0, w1, x1, w2) = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Flat code when values fan out
#
# In the neuron every value feeds exactly one gate. In most graphs some values feed several, and
# the copy gate's rule then does real work: every use sends a gradient back, and they add up.
#
# ### Exercise 9: a function with fan-out, flat
#
# $$f(x, y) = \frac{x\,\sigma(y) + \tanh x}{1 + (x - y)^2}$$
#
# $x$ is used three times and $y$ twice.
#
# **What to do.** Complete `fan_out_flat(x, y)` in flat gradient code: forward pass one gate per
# line, then the backward pass, returning `(f, grad_x, grad_y)`, for numbers or arrays of one
# shape (element by element). Use the `sigmoid` above; you may call your own rules
# (`tanh_backward`, `divide_backward`, ...) for the gates they cover, or write the lines out.
#
# **Example.** `fan_out_flat(0.8, -0.4)` returns `f` = `0.40372...`; the test after the solution
# compares your gradients with the engine's at that point.
#
# <details><summary>Hint 1</summary>
#
# Draw the graph first: one node per gate (how many are there?), and mark the values that leave
# a node along more than one arrow.
# </details>
#
# <details><summary>Hint 2</summary>
#
# A gradient that arrives at `x` from one use is not yet the gradient of `x`. When is `grad_x`
# complete, and what do you do with the pieces until then?
# </details>

# %% nbgrader={"grade": false, "grade_id": "fan-out-flat", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fan_out_flat(x, y):
    """f = (x * sigmoid(y) + tanh(x)) / (1 + (x - y) ** 2), with flat gradient code.

    Returns (f, grad_x, grad_y), element by element.
    """
    ### BEGIN SOLUTION
    # forward pass
    sy = sigmoid(y)
    p = x * sy
    t = np.tanh(x)
    top = p + t
    d = x - y
    d2 = d * d
    bottom = 1.0 + d2
    f = top / bottom
    # backward pass
    grad_f = 1.0
    grad_top, grad_bottom = divide_backward(grad_f, top, bottom)
    grad_d2 = grad_bottom                  # add gate (the 1 is a constant)
    grad_d = 2.0 * d * grad_d2             # d * d: one gate, d used twice
    grad_x = grad_d                        # subtract gate: x gets +grad_d ...
    grad_y = -grad_d                       # ... and y gets -grad_d
    grad_p = grad_top                      # add gate distributes
    grad_t = grad_top
    grad_x = grad_x + tanh_backward(grad_t, t)
    grad_x = grad_x + sy * grad_p          # multiply gate swaps
    grad_sy = x * grad_p
    grad_y = grad_y + sy * (1.0 - sy) * grad_sy
    return f, grad_x, grad_y
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-fan-out-flat", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def fan_out(x, y):
    return (x * y.sigmoid() + x.tanh()) / (1 + (x - y) ** 2)

def per_use(x1, x2, x3, y1, y2):
    """The same function with every use of x and y its own leaf: their gradients are the
    contributions of each use."""
    return (x1 * y1.sigmoid() + x2.tanh()) / (1 + (x3 - y2) ** 2)

def missing_uses(got, contributions, uses):
    """The uses whose contributions are missing from `got`, if leaving some out explains it."""
    for k in range(1, len(uses)):
        for left_out in combinations(range(len(uses)), k):
            if close(got, sum(c for i, c in enumerate(contributions) if i not in left_out)):
                return [uses[i] for i in left_out]
    return None

a, b = 0.8, -0.4
result = fan_out_flat(a, b)
assert isinstance(result, (tuple, list)) and len(result) == 3, "fan_out_flat must return (f, grad_x, grad_y)"
f_engine, (dx_engine, dy_engine) = engine_gradients(fan_out, a, b)
_, contributions = engine_gradients(per_use, a, a, a, b, b)
assert close(result[0], f_engine), f"f({a}, {b}) should be {f_engine:.6g}, got {result[0]}"
for name, got, expected, parts, uses in [
        ("grad_x", result[1], dx_engine, contributions[:3], ["x * sigmoid(y)", "tanh(x)", "x - y"]),
        ("grad_y", result[2], dy_engine, contributions[3:], ["sigmoid(y)", "x - y"])]:
    missing = missing_uses(got, parts, uses)
    assert close(got, expected), (
        f"{name} at ({a}, {b}) should be {expected:.6g} (course.Value), got {got}"
        + (f": it lacks the contribution through {', '.join(missing)}. Every use of a value "
           f"sends a gradient back, and they add up" if missing else ""))

x, y = random_inputs((5,), (5,), seed=13)
check_vjp(lambda x, y: fan_out_flat(x, y)[0],
          lambda upstream, x, y: (upstream * fan_out_flat(x, y)[1], upstream * fan_out_flat(x, y)[2]), x, y)
assert np.shape(fan_out_flat(x, y)[2]) == (5,)

# %% nbgrader={"grade": true, "grade_id": "test-fan-out-flat-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(fan_out_flat(np.ones(3), np.zeros(3))) == 3
### BEGIN HIDDEN TESTS
def fan_out(x, y):
    return (x * y.sigmoid() + x.tanh()) / (1 + (x - y) ** 2)

for seed, shape in enumerate([(), (6,), (2, 3)]):
    x, y = random_inputs(shape, shape, seed=420 + seed)
    x, y = 2 * x, 2 * y
    check_vjp(lambda x, y: fan_out_flat(x, y)[0],
              lambda u, x, y: (u * fan_out_flat(x, y)[1], u * fan_out_flat(x, y)[2]), x, y, seed=seed)
mismatches = []
for a, b in [(1.5, 1.5), (-2.0, 0.5), (0.0, -1.0), (3.0, -3.0)]:
    f_engine, (dx_engine, dy_engine) = engine_gradients(fan_out, a, b)
    f_value, dx, dy = fan_out_flat(a, b)
    if not (close(f_value, f_engine) and close(dx, dx_engine) and close(dy, dy_engine)):
        mismatches.append((a, b))
assert not mismatches, f"fan_out_flat disagrees with course.Value at (x, y) = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ### Your rules on the gates
#
# The graph explorer on this function, with **your** `tanh_backward` and `divide_backward` on
# their gates. If every edge keeps its usual colours, your rules agree with the engine wherever
# you slide; a magenta edge says where, and what, they do not.

# %%
def fan_out_graph(x=0.8, y=-0.4):
    return (x * y.sigmoid() + x.tanh()) / (1 + (x - y) ** 2)

GraphExplorer(fan_out_graph, rules={"tanh": tanh_backward, "divide": divide_backward})

# %% [markdown]
# ## What you learned
#
# - A function is a **computational graph** of gates. The **forward pass** computes and keeps
#   the values; the **backward pass** starts from gradient 1 at the output and walks back.
# - At every gate: **downstream = local × upstream**. Each gate needs only its own local
#   gradient, computed from values it saw in the forward pass.
# - A gradient can be **measured**: central differences (their error shrinks like $h^2$, a
#   one-sided difference's only like $h$), always in **float64** (float32's rounding swamps the
#   slope), compared by the **relative error**, with a random upstream gradient (all ones would let
#   a rule that forgets the upstream pass). At a **kink** the measurement is the average of both
#   sides, so checks stay away from kinks and a kink's convention is tested on its own.
# - Patterns: **add** distributes the gradient, **multiply** swaps the inputs, **max** routes
#   the gradient to the larger input (half each on a tie, by symmetry; ReLU gives 0 at exactly 0,
#   so that a unit at 0 counts as off), and a value used several times (the **copy** gate)
#   **adds** its gradients.
# - Sigmoid, tanh and exp have local gradients written with their **outputs**: for the sigmoid,
#   $s(1 - s)$ with $s = \sigma(x)$, never $\sigma(s)(1 - \sigma(s))$.
# - **Flat gradient code** writes a backward pass by hand, line by line in reverse order, adding
#   up the contributions of every use of a value; a checker tells you whether it is right.
#
# Flat code works, but it is written for one formula: change the loss and every backward line
# must be derived again. **Assignment 2** fixes that: gates become objects with a `forward` and
# a `backward`, built on the rules you derived here, and you will write the engine that chains
# them for any graph.
