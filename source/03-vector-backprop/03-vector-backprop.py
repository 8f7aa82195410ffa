# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 03 · Backprop with vectors: Jacobians and vector-Jacobian products
#
# **31 points**, in 9 exercises. Each exercise has a visible test right after it (it tells you what
# is wrong, and why) and hidden tests that check more shapes and edge cases when your work is graded.
#
# So far every wire of a computational graph carried one number. In a real network the wires carry
# vectors (and matrices, next time). This notebook answers three questions:
# what is "the derivative" of a function that takes and returns vectors, why does the backward pass
# never build it, and what does each gate compute instead?
#
# **What you will learn**
# - the three kinds of derivative: a number, a gradient (which has the shape of $x$), a Jacobian;
# - the two ways of laying out a Jacobian, and why the lecture's layout writes the chain rule as
#   $\frac{\partial L}{\partial x} = \frac{\partial y}{\partial x}\frac{\partial L}{\partial y}$;
# - ReLU's sparse Jacobian, and why the backward pass never builds it;
# - **one** construction that turns any element-wise function's local derivative into its backward
#   rule (a **vector-Jacobian product**, VJP), used for the rules of 01 and for three functions
#   whose derivatives you work out yourself;
# - the backward rules of reductions (`sum`, `mean`), of softmax (whose Jacobian is *not*
#   diagonal), of a norm and of a log-sum-exp, derived by you from the chain rule;
# - how a whole Jacobian is rebuilt from VJPs, one row at a time (what `course.jacrev` does), and
#   what it costs in memory compared with a VJP.
#
# **A convention, the same as in 01 and 02.** A backward rule receives the upstream gradient and
# what the forward pass saved: its input `x` and its output `y`. When the local derivative can be
# written with the output (the sigmoid's $\sigma(1 - \sigma)$), the rule uses `y` and computes
# nothing again.
#
# In the figures, forward values are blue and gradients orange.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time
import warnings

import numpy as np
import matplotlib.pyplot as plt

import course
from course.gradcheck import GradientError, check_vjp, random_inputs, rel_error
from course.figures import (FORWARD_CMAP, FORWARD_COLOR, GRADIENT_CMAP, GRADIENT_COLOR,
                            MISMATCH_COLOR, matrix_alt, series_alt, show, show_matrix,
                            values_alt)

np.set_printoptions(precision=4, suppress=True)

# %% jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "plot-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Plotting helpers for the figures of this notebook (no need to read them; heatmaps are
# course.figures.show_matrix).

def show_bars(ax, v, title, color, labels=None):
    # A bar chart of the vector v, with each value written on its bar.
    v = np.asarray(v, dtype=float)
    ax.bar(range(v.size), v, color=color)
    ax.axhline(0, color="black", linewidth=0.8)
    top = max(float(np.abs(v).max()), 1e-12)
    ax.set_ylim(min(v.min(), 0) - 0.25 * top, max(v.max(), 0) + 0.25 * top)
    for k, val in enumerate(v):
        ax.text(k, val, f"{val + 0.0:.3g}", ha="center", va="bottom" if val >= 0 else "top",
                fontsize=9)
    ax.set_xticks(range(v.size), labels if labels is not None else range(v.size))
    ax.set_title(title, fontsize=11)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-three-kinds", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. Three kinds of derivative
#
# A derivative answers: *if the input moves a little, how much does the output move?* With vectors
# there is one such number for every pair (input element, output element):
#
# | input $x$ | output $y$ | $\frac{\partial y}{\partial x}$ | how many numbers |
# |---|---|---|---|
# | a number | a number | a number | 1 |
# | a vector in $\mathbb{R}^n$ | a number | the **gradient**: a vector with the **shape of $x$** | $n$ |
# | a vector in $\mathbb{R}^n$ | a vector in $\mathbb{R}^m$ | the **Jacobian**: a matrix | $n \cdot m$ |
#
# The cell below asks the course's engine for one of each. `course.grad(f)` needs a function with a
# scalar output (a loss); `course.jacrev(f)` accepts any output. Our vector example is
# `neighbour_products`, which multiplies neighbours: $y_1 = x_1 x_2$, $y_2 = x_2 x_3$
# (in maths we count from 1, in code from 0).

# %%
def cube(x):                   # R -> R
    return x ** 3


def squared_norm(x):           # R^n -> R
    return (x * x).sum()


def neighbour_products(x):     # R^3 -> R^2: y = (x1*x2, x2*x3)
    return x[:2] * x[1:]


x = np.array([1.0, 2.0, 3.0])
print("d cube / dx at x = 2:          ", course.grad(cube)(np.array(2.0)))
g = course.grad(squared_norm)(x)
print("gradient of squared_norm at x: ", g, "  shape", g.shape, "= the shape of x")
J = course.jacrev(neighbour_products)(x)
print("Jacobian of neighbour_products:  shape", J.shape)
print(J)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-layouts", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Two ways to lay out a Jacobian
#
# For $y = f(x)$ with $x \in \mathbb{R}^n$ and $y \in \mathbb{R}^m$ the Jacobian holds the
# $n \cdot m$ numbers $\partial y_i / \partial x_j$. They can be arranged in two ways:
#
# - **numerator layout**, $m \times n$: row $i$ belongs to the output $y_i$, column $j$ to the input
#   $x_j$. This is the usual convention in maths, and it is what `course.jacrev` and `course.jacfwd`
#   return (as JAX and PyTorch do): in general an array of shape `y.shape + x.shape`. We call it $J$.
# - **denominator layout**, $n \times m$: row $j$ belongs to the input $x_j$. This is how the lecture
#   writes $\frac{\partial y}{\partial x} \in \mathbb{R}^{n \times m}$. It is simply $J^T$.
#
# For `neighbour_products`, by hand: $\partial y_1/\partial x_1 = x_2$, $\partial y_1/\partial x_2 = x_1$,
# $\partial y_2/\partial x_2 = x_3$, $\partial y_2/\partial x_3 = x_2$, and the other two are 0.
# The figure puts the engine's numbers at $x = (1, 2, 3)$ in both layouts.

# %%
J = course.jacrev(neighbour_products)(x)           # numerator layout, shape (m, n) = (2, 3)
ys = [r"$y_1$", r"$y_2$"]
xs = [r"$x_1$", r"$x_2$", r"$x_3$"]

fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), gridspec_kw={"width_ratios": [3, 2]})
titles = [f"numerator layout: J, shape {J.shape}\n(course.jacrev)",
          f"denominator layout: J.T, shape {J.T.shape}\n(the lecture's dy/dx)"]
show_matrix(axes[0], J, titles[0], rows=ys, cols=xs)
show_matrix(axes[1], J.T, titles[1], rows=xs, cols=ys)
fig.tight_layout()
show(fig, alt=f"Two heatmaps of the Jacobian of neighbour_products at x = ({values_alt(x)}). Left, "
     + matrix_alt(J, titles[0].replace("\n", " "), rows=ys, cols=xs) + ". Right, "
     + matrix_alt(J.T, titles[1].replace("\n", " "), rows=xs, cols=ys) + ".")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-chain-order", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Why the chain rule changes order
#
# Let a scalar loss $L$ depend on $y$, and let the **upstream gradient** $\frac{\partial L}{\partial y}$
# (shape of $y$, $m$ numbers) be known. Each $x_j$ affects $L$ through every $y_i$, so
# $\frac{\partial L}{\partial x_j} = \sum_i \frac{\partial y_i}{\partial x_j}\frac{\partial L}{\partial y_i}$.
# Written with matrices:
#
# - **denominator layout** (the lecture), gradients are columns:
#   $\underbrace{\frac{\partial L}{\partial x}}_{n} = \underbrace{\frac{\partial y}{\partial x}}_{n \times m}\,\underbrace{\frac{\partial L}{\partial y}}_{m}$:
#   the shapes chain up from left to right;
# - **numerator layout**, gradients are rows:
#   $\underbrace{\frac{\partial L}{\partial x}}_{1 \times n} = \underbrace{\frac{\partial L}{\partial y}}_{1 \times m}\,\underbrace{J}_{m \times n}$.
#
# They are the same numbers: transposing a product reverses its order, $(AB)^T = B^T A^T$. With
# single numbers the order never mattered ($ab = ba$), which is why the scalar chain rule could be
# written either way; with matrices, flipping the order costs a transpose. Either way:
#
# $$\frac{\partial L}{\partial x} = J^T\,\frac{\partial L}{\partial y}, \quad\text{a row vector times } J:
# \text{ a **vector-Jacobian product** (VJP).}$$
#
# The cell below computes it three ways for an upstream gradient $\frac{\partial L}{\partial y} = (0.5, -2)$
# (that is, $L = 0.5\,y_1 - 2\,y_2$), and shows what happens with the factors in the wrong order.

# %%
dL_dy = np.array([0.5, -2.0])                     # upstream gradient: L = 0.5*y1 - 2*y2
dy_dx = J.T                                        # the lecture's layout, n x m

print("lecture layout:    dy/dx @ dL/dy =", dy_dx @ dL_dy)
print("numerator layout:  dL/dy @ J     =", dL_dy @ J)
print("engine:            grad of L     =",
      course.grad(lambda x: (neighbour_products(x) * dL_dy).sum())(x))
try:
    J @ dL_dy
except ValueError:
    print(f"\nJ @ dL/dy (wrong order) does not even run: J has shape {J.shape}, dL/dy has shape "
          f"{dL_dy.shape}:\n    J has {J.shape[1]} columns but dL/dy has {dL_dy.size} entries.")



# %% [markdown] nbgrader={"grade": false, "grade_id": "md-relu-jacobian", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. ReLU: a sparse Jacobian
#
# ReLU works element by element: $y_i = \max(0, x_i)$. The lecture's example is $x = (1, -2, 3, -1)$
# with the upstream gradient $\frac{\partial L}{\partial y} = (4, -1, 5, 9)$. Before any formula, ask
# of each pair (output $y_i$, input $x_j$): if $x_j$ moves a little, does $y_i$ move, and by how
# much? At $x_i = 0$ ReLU has a kink (no derivative); like the lecture and PyTorch, the course uses
# slope 0 there.
#
# ### Exercise 1: ReLU's Jacobian, `relu_jacobian(x)` (2 points)
#
# **What to do.** Return the Jacobian of ReLU at a 1-D float array `x` of length $n$: an $n \times n$
# float array with `J[i, j]` $= \partial y_i / \partial x_j$ (numerator layout, as `course.jacrev`).
# Slope 0 at the kink.
#
# **Example.** `relu_jacobian(np.array([2.0, -1.0, 0.0]))` has shape (3, 3), and exactly one of its
# nine entries is not zero.
#
# <details><summary>Hint 1</summary>
#
# Does $y_1$ change when $x_2$ moves? What does your answer say about every entry off the diagonal?
# </details>
#
# <details><summary>Hint 2</summary>
#
# On the diagonal sits the slope of ReLU at each $x_i$, 1 or 0: a vector of length $n$ that becomes
# the diagonal of an $n \times n$ matrix of zeros (numpy has a function that builds exactly that).
# </details>

# %% nbgrader={"grade": false, "grade_id": "relu-jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_jacobian(x):
    """The Jacobian of ReLU at x (1-D, length n): an (n, n) float array, J[i, j] = dy_i/dx_j.

    Slope 1 where x > 0, slope 0 where x <= 0 (the kink at 0 counts as flat).
    """
    ### BEGIN SOLUTION
    return np.diag((x > 0).astype(float))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu-jacobian", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# The lecture's example, x = (1, -2, 3, -1); the expected matrix comes from the engine.
x = np.array([1.0, -2.0, 3.0, -1.0])
J = relu_jacobian(x)
expected = course.jacrev(course.relu)(x)
assert np.shape(J) != x.shape, (
    "relu_jacobian returned a vector of length 4: the slopes alone. The Jacobian is a 4 x 4 matrix "
    "(one row per output, one column per input) with the slopes on its diagonal.")
assert np.shape(J) == (4, 4), (
    f"For x of length 4 the Jacobian is 4 x 4 (one row per output, one column per input), "
    f"but relu_jacobian returned shape {np.shape(J)}.")
if np.allclose(J, np.diag(np.maximum(x, 0.0))):
    raise AssertionError("relu_jacobian holds ReLU's values, relu(x), on its diagonal: the Jacobian "
                         "holds its slopes, dy_i/dx_i (how fast y_i moves when x_i moves).")
assert np.allclose(J, expected), (
    f"relu_jacobian({x}) should be\n{expected}\nbut is\n{np.asarray(J)}\n"
    f"Row i holds the derivatives of y_i with respect to every x_j: y_i depends on x_i only.")
J0 = relu_jacobian(np.array([0.0, 2.0]))
assert np.allclose(J0, [[0.0, 0.0], [0.0, 1.0]]), (
    f"At x = 0 ReLU has a kink, and the course uses slope 0 there (the lecture and PyTorch do too): "
    f"relu_jacobian([0, 2]) should be [[0, 0], [0, 1]], got\n{np.asarray(J0)}")

# %% nbgrader={"grade": true, "grade_id": "test-relu-jacobian-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(relu_jacobian(np.ones(2))) == (2, 2)
### BEGIN HIDDEN TESTS
for n, seed in [(1, 1), (5, 2), (9, 3)]:
    (x,) = random_inputs((n,), seed=seed)
    before = x.copy()
    J = relu_jacobian(x)
    assert np.shape(J) == (n, n), f"relu_jacobian of a length-{n} x must have shape ({n}, {n}), got {np.shape(J)}"
    assert np.allclose(J, course.jacrev(course.relu)(x)), (
        f"relu_jacobian({x}) disagrees with the engine's Jacobian:\n{np.asarray(J)}")
    assert np.array_equal(x, before), "relu_jacobian changed x in place"
x = np.array([0.0, 2.5, 0.0, -0.5])
J = relu_jacobian(x)
assert np.allclose(J, np.diag([0.0, 1.0, 0.0, 0.0])), (
    f"At x = 0 ReLU is flat by our convention (slope 0): relu_jacobian({x}) should be "
    f"diag(0, 1, 0, 0), got\n{np.asarray(J)}")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-relu-downstream", "locked": true, "schema_version": 3, "solution": false, "task": false}
# With the Jacobian, the downstream gradient is one matrix-vector product,
# $\frac{\partial L}{\partial x} = J^T \frac{\partial L}{\partial y}$. The cell below computes it for the
# lecture's numbers with your Jacobian, and draws the whole backward step: the forward input, the
# Jacobian, the upstream gradient that arrives, and the downstream gradient that leaves.

# %%
x = np.array([1.0, -2.0, 3.0, -1.0])
upstream = np.array([4.0, -1.0, 5.0, 9.0])        # dL/dy
J = relu_jacobian(x)
downstream = J.T @ upstream                          # dL/dx
print("y = relu(x)        =", np.maximum(x, 0.0))
print("downstream dL/dx   =", downstream)
print(f"the Jacobian has {J.size} entries; {np.count_nonzero(J)} of them are not zero")

labels = [f"{k + 1}" for k in range(x.size)]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
show_bars(axes[0], x, "forward input x", FORWARD_COLOR, labels)
show_matrix(axes[1], J, "Jacobian of ReLU at x", rows=labels, cols=labels)
show_bars(axes[2], upstream, "upstream dL/dy", GRADIENT_COLOR, labels)
show_bars(axes[3], downstream, "downstream dL/dx = J.T @ dL/dy", GRADIENT_COLOR, labels)
fig.tight_layout()
show(fig, alt=f"Four panels. Bars of the forward input x: {values_alt(x, labels)}. "
     + matrix_alt(J, "Jacobian of ReLU at x", rows=labels, cols=labels)
     + f". Bars of the upstream dL/dy: {values_alt(upstream, labels)}. Bars of the downstream "
     f"dL/dx = J.T @ dL/dy: {values_alt(downstream, labels)}.")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-relu-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Look at what the product did: it **copied** the upstream gradient where $x > 0$ and put 0
# everywhere else. Almost every multiplication in it was a multiplication by zero. The lecture's
# shortcut writes the result directly, with no matrix at all:
#
# $$\left(\frac{\partial L}{\partial x}\right)_i =
# \begin{cases} \left(\frac{\partial L}{\partial y}\right)_i & \text{if } x_i > 0\\ 0 & \text{if } x_i \le 0\end{cases}$$
#
# This is an **implicit** use of the Jacobian: we know its structure, so we apply it without building
# it. Note where the mask comes from: the forward pass (is the gate open?), never the sign of the
# gradient.
#
# ## 4. Every element-wise function works the same way
#
# ReLU is not special. Any function applied element by element, $y_i = f(x_i)$, has a **diagonal**
# Jacobian: output $i$ depends on input $i$ alone, and the diagonal holds the local derivatives
# $f'(x_i)$. Applying a diagonal matrix to a vector is cheap: no matrix needed, only the vector of
# local derivatives. The backward pass has what the forward pass saved, the input $x$ and the output
# $y$, and you already know, from 01, the local derivatives of several such functions, written with
# whatever is cheapest:
#
# | $f$ | its local derivative, as you wrote it in 01 |
# |---|---|
# | ReLU | 1 where $x > 0$, else 0 (the same as: where $y > 0$) |
# | $e^x$ | $y$ |
# | $\tanh x$ | $1 - y^2$ |
# | $\sigma(x) = \frac{1}{1 + e^{-x}}$ | $y\,(1 - y)$ |
#
# Careful: "in terms of the output" means the formula $y(1-y)$ with $y = \sigma(x)$. It does **not**
# mean evaluating the derivative function at the output: $\sigma'(y) = \sigma(y)(1 - \sigma(y))$ applies
# $\sigma$ twice and is a different, wrong curve. The figure shows both.

# %%
t = np.linspace(-6, 6, 400)
s = course.sigmoid(t)
curves = {"y = sigma(x) (forward, solid blue)": s,
          "sigma'(x) = y (1 - y) (right, solid orange)": s * (1 - s),
          "sigma'(y) = sigma(y) (1 - sigma(y)) (wrong: sigma' at the output, dashed magenta)":
          course.sigmoid(s) * (1 - course.sigmoid(s))}
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(t, s, color=FORWARD_COLOR, label=r"$y = \sigma(x)$ (forward)")
ax.plot(t, s * (1 - s), color=GRADIENT_COLOR, label=r"$\sigma'(x) = y\,(1-y)$ (right)")
ax.plot(t, course.sigmoid(s) * (1 - course.sigmoid(s)), color=MISMATCH_COLOR, linestyle="--",
        label=r"$\sigma'(y) = \sigma(y)(1-\sigma(y))$ (wrong: $\sigma'$ at the output)")
ax.set_xlabel("x")
ax.legend(loc="upper left", fontsize=9)
ax.set_title("The sigmoid's local gradient, and a classic mistake")
show(fig, alt="The sigmoid's local gradient, and a classic mistake: three curves against x from "
     f"{t[0]:g} to {t[-1]:g}. " + series_alt(t, curves, x_fmt="x = {:.2f}") + ".")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-elementwise-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# So there is nothing to write four times: one construction turns a local derivative into a backward
# rule, for every element-wise function at once.
#
# ### Exercise 2: one backward rule for every element-wise function, `elementwise_vjp(local_grad)` (3 points)
#
# **What to do.** `local_grad(x, y)` returns the local derivatives $f'(x)$ of an element-wise function
# $y = f(x)$, an array of `x`'s shape, from the forward input `x` and the saved output `y`.
# `elementwise_vjp(local_grad)` returns the backward rule of $f$: a **function**
# `vjp(upstream, x, y)` that returns $\frac{\partial L}{\partial x}$ (the shape of `x`) for an upstream
# gradient of `x`'s shape. `x` can have any shape (a vector, a matrix, ...). Never build a Jacobian,
# and change none of the arguments.
#
# **Example.** Built from ReLU's slope and called on the lecture's numbers, the rule returns the
# downstream gradient that the Jacobian gave in section 3.
#
# <details><summary>Hint 1</summary>
#
# Multiply a diagonal matrix by a vector on paper: what happens to entry $i$ of the vector?
# </details>
#
# <details><summary>Hint 2</summary>
#
# `elementwise_vjp` does not compute a gradient: it *returns a function* that will, once it is given
# `upstream`, `x` and `y`. Define that function inside `elementwise_vjp` (it can use `local_grad`)
# and return it, without calling it.
# </details>

# %% nbgrader={"grade": false, "grade_id": "elementwise-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def elementwise_vjp(local_grad):
    """The backward rule of an element-wise function y = f(x), built from its local derivative.

    local_grad(x, y) -> f'(x), an array of x's shape (x: the forward input; y = f(x): the saved
    output). Returns vjp(upstream, x, y) -> dL/dx, of x's shape, for x of any shape; it never
    builds a Jacobian and changes none of its arguments.
    """
    ### BEGIN SOLUTION
    def vjp(upstream, x, y):
        return upstream * local_grad(x, y)
    return vjp
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-elementwise-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
relu_slope = lambda x, y: (x > 0) * 1.0              # ReLU's local derivative, 0 at the kink
rule = elementwise_vjp(relu_slope)
assert callable(rule), (f"elementwise_vjp(local_grad) returns a function, the backward rule "
                        f"vjp(upstream, x, y); it returned a {type(rule).__name__}")
x = np.array([1.0, -2.0, 3.0, -1.0])                 # the lecture's numbers
y = np.maximum(x, 0.0)
upstream = np.array([4.0, -1.0, 5.0, 9.0])
got = rule(upstream, x, y)
assert np.array_equal(upstream, [4.0, -1.0, 5.0, 9.0]) and np.array_equal(x, [1.0, -2.0, 3.0, -1.0]), (
    "The rule changed upstream or x in place: other gates may still need them. Build a new array "
    "instead.")
expected = course.jacrev(course.relu)(x).T @ upstream
assert np.shape(got) == x.shape, f"the rule must return an array of x's shape {x.shape}, got {np.shape(got)}"
if np.allclose(got, relu_slope(x, y)):
    raise AssertionError("The rule returns the local derivatives alone, dy/dx. The backward pass "
                         "needs dL/dx: the local derivative times the upstream gradient dL/dy.")
assert np.allclose(got, expected), (
    f"With ReLU's slope and the lecture's numbers the rule should give {expected}, got {got}")

# A smooth function on a 3 x 4 matrix: the sigmoid, with its local derivative from 01 (written with y).
sigmoid_rule = elementwise_vjp(lambda x, y: y * (1.0 - y))
(X,) = random_inputs((3, 4), seed=0)
try:
    check_vjp(course.sigmoid, lambda u, x: sigmoid_rule(u, x, course.sigmoid(x)), X)
except GradientError as err:
    raise AssertionError(f"The rule built from the sigmoid's local derivative is wrong on a 3 x 4 "
                         f"matrix.\n{err}") from None
except ValueError as err:
    raise AssertionError(f"The rule built from the sigmoid's local derivative fails on a 3 x 4 matrix "
                         f"({err}). An element-wise rule works entry by entry, for any shape: it "
                         f"needs no matrix product (and no Jacobian).") from None
U = np.ones((3, 4))
sigmoid_rule(U, X, course.sigmoid(X))
assert np.array_equal(U, np.ones((3, 4))), (
    "The rule changed upstream in place: other gates may still need it. Build a new array instead.")

# %% nbgrader={"grade": true, "grade_id": "test-elementwise-vjp-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(elementwise_vjp(lambda x, y: y)(np.ones(2), np.ones(2), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
for f, local in [(np.tanh, lambda x, y: 1.0 - y * y), (np.exp, lambda x, y: y),
                 (lambda x: x ** 3, lambda x, y: 3.0 * x * x)]:
    rule = elementwise_vjp(local)
    for shape, seed in [((), 1), ((1,), 2), ((7,), 3), ((2, 3, 4), 4)]:
        (xh,) = random_inputs(shape, seed=seed)
        check_vjp(f, lambda u, x: rule(u, x, f(x)), xh, seed=seed)
seen = []
spy = elementwise_vjp(lambda x, y: seen.append((x.copy(), y.copy())) or np.ones_like(x))
spy(np.ones(2), np.array([1.0, 2.0]), np.array([3.0, 4.0]))
assert seen and np.array_equal(seen[0][0], [1.0, 2.0]) and np.array_equal(seen[0][1], [3.0, 4.0]), (
    "the rule must call local_grad(x, y): the forward input first, the output second")
twice = elementwise_vjp(lambda x, y: 2.0 * np.ones_like(x))
thrice = elementwise_vjp(lambda x, y: 3.0 * np.ones_like(x))
assert np.allclose(twice(np.ones(3), np.ones(3), np.ones(3)), 2.0) and np.allclose(
        thrice(np.ones(3), np.ones(3), np.ones(3)), 3.0), (
    "two rules built from two local derivatives must not share anything")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-rules-of-01", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Every element-wise rule of 01 is now one line: its local derivative, handed to your construction.
# The cell below builds them and compares each with the engine on a matrix. (The engine keeps its
# rules the same way, as data: one line per function in `course/vjp_rules.py`.)

# %%
relu_vjp = elementwise_vjp(lambda x, y: (x > 0) * 1.0)
exp_vjp = elementwise_vjp(lambda x, y: y)
tanh_vjp = elementwise_vjp(lambda x, y: 1.0 - y * y)
sigmoid_vjp = elementwise_vjp(lambda x, y: y * (1.0 - y))

x, u = random_inputs((2, 3), (2, 3), seed=5)
for name, f, rule in [("relu", course.relu, relu_vjp), ("exp", course.exp, exp_vjp),
                      ("tanh", course.tanh, tanh_vjp), ("sigmoid", course.sigmoid, sigmoid_vjp)]:
    ours = rule(u, x, f(x))
    engine = course.vjp(f, x)[1](u)[0]
    print(f"{name:8s} dL/dx of shape {ours.shape}: relative error against the engine {rel_error(ours, engine):.1e}")

# %% [markdown]
# ### ReLU's gradient as bars
#
# Your ReLU rule, on a random vector: the upstream gradient, the mask where $x > 0$, and what gets
# through. Slide the shift to move $x$ across zero and watch entries switch off.

# %%
from course.widgets import ReluGradients

ReluGradients(relu_vjp=lambda upstream, x: relu_vjp(upstream, x, np.maximum(x, 0.0)))

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-derivations", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Local derivatives you work out yourself
#
# With the construction in hand, a new element-wise function costs one derivation. Here is one done in
# full, for the square root $y = \sqrt{x}$ (for $x > 0$):
#
# $$\frac{dy}{dx} = \frac{1}{2\sqrt{x}} = \frac{1}{2y}.$$
#
# The second form uses only the saved output: no square root is taken again. Its rule is
# `elementwise_vjp(lambda x, y: 0.5 / y)`. The cell below checks it against finite differences.

# %%
sqrt_vjp = elementwise_vjp(lambda x, y: 0.5 / y)
(x,) = random_inputs((2, 3), seed=6)
x = np.abs(x) + 0.5                                # the square root needs x > 0
print("sqrt's rule agrees with finite differences:",
      check_vjp(np.sqrt, lambda u, x: sqrt_vjp(u, x, np.sqrt(x)), x))

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-derivations-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Three functions that neural networks use and the lecture notes never show. The cell below defines
# them (forward only) and draws them.
#
# - **softplus**, $y = \log(1 + e^x)$: a smooth ReLU;
# - **ELU** (exponential linear unit), $y = x$ for $x > 0$ and $y = e^x - 1$ for $x \le 0$;
# - **SiLU** (also called swish), $y = x\,\sigma(x)$.

# %% nbgrader={"grade": false, "grade_id": "elementwise-functions", "locked": true, "schema_version": 3, "solution": false, "task": false}
def softplus(x):
    """log(1 + e^x), computed without overflow: a smooth ReLU."""
    return np.logaddexp(0.0, x)


def elu(x):
    """x where x > 0, e^x - 1 where x <= 0 (the exponential linear unit)."""
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def silu(x):
    """x * sigmoid(x), also called swish."""
    return x * course.sigmoid(x)


t = np.linspace(-4, 4, 400)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(t, np.maximum(t, 0.0), color="0.7", linestyle="--", label="relu (for comparison)")
curves = {"relu (grey, dashed)": np.maximum(t, 0.0)}
for f, style, name in [(softplus, "-", "solid"), (elu, "-.", "dash-dotted"), (silu, ":", "dotted")]:
    ax.plot(t, f(t), style, color=FORWARD_COLOR, label=f.__name__)
    curves[f"{f.__name__} ({name})"] = f(t)
ax.set_xlabel("x")
ax.legend(fontsize=9)
ax.set_title("Three smooth relatives of ReLU")
show(fig, alt=f"Three smooth relatives of ReLU, against x from {t[0]:g} to {t[-1]:g}: "
     + series_alt(t, curves, x_fmt="x = {:.2f}") + ".")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-derivations-what", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 3: three derivations, `softplus_grad`, `elu_grad`, `silu_grad` (4 points)
#
# **What to do.** Derive the local derivative of each function above, then write it as
# `softplus_grad(x, y)`, `elu_grad(x, y)` and `silu_grad(x, y)`: each returns $f'(x)$, an array of
# `x`'s shape, from the input `x` and the saved output `y = f(x)`. Use the output wherever it saves
# work (one of the three needs it alone, one needs both). Your rules must stay finite for inputs as
# large as $\pm 800$, where $e^{800}$ overflows.
#
# **Example.** At $x = 0$ the softplus slopes at exactly half the speed of its input:
# `softplus_grad(np.array([0.0]), np.array([np.log(2.0)]))` is `[0.5]`.
#
# <details><summary>Hint 1: softplus</summary>
#
# The chain rule through $\log u$ with $u = 1 + e^x$ gives a function of $x$ you have met before.
# Then look at $e^{-y}$: what is it, in terms of $x$?
# </details>
#
# <details><summary>Hint 2: ELU</summary>
#
# Two cases, as for ReLU. On the side $x \le 0$, compare the derivative of $e^x - 1$ with $y$ itself.
# Does the slope jump at $x = 0$?
# </details>
#
# <details><summary>Hint 3: SiLU</summary>
#
# The product rule, with $\sigma' = \sigma(1 - \sigma)$. The product $x\,\sigma(x)$ then appears in
# your result: it is $y$. Which $\sigma$ remains, of $x$ or of $y$?
# </details>

# %% nbgrader={"grade": false, "grade_id": "elementwise-derivations", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softplus_grad(x, y):
    """The local derivative of y = softplus(x) = log(1 + e^x); the shape of x."""
    ### BEGIN SOLUTION
    return -np.expm1(-y)
    ### END SOLUTION


def elu_grad(x, y):
    """The local derivative of y = elu(x) (x for x > 0, e^x - 1 for x <= 0); the shape of x."""
    ### BEGIN SOLUTION
    return np.where(x > 0, 1.0, y + 1.0)
    ### END SOLUTION


def silu_grad(x, y):
    """The local derivative of y = silu(x) = x * sigmoid(x); the shape of x."""
    ### BEGIN SOLUTION
    return course.sigmoid(x) * (1.0 + x - y)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-elementwise-derivations", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
derivations = [("softplus_grad", softplus, softplus_grad), ("elu_grad", elu, elu_grad),
               ("silu_grad", silu, silu_grad)]
got = softplus_grad(np.array([0.0]), np.array([np.log(2.0)]))
assert np.allclose(got, [0.5]), f"softplus_grad at x = 0 (y = log 2) should be 0.5, got {got}"
(x,) = random_inputs((3, 4), seed=7)
x = 2.0 * x
failure_hints = {
    "softplus_grad": "the chain rule through log(1 + e^x) first; only then rewrite it with y.",
    "elu_grad": "check each side of 0 on its own: which side is wrong? On x <= 0 the slope can "
                "be written with y.",
    "silu_grad": "the product rule gives two terms. Every sigmoid in them is sigma(x), of the "
                 "input: y = x sigma(x) may replace a product x sigma(x), nothing else.",
}
for name, f, local in derivations:
    y = f(x)
    g = local(x.copy(), y.copy())
    assert np.shape(g) == x.shape, (
        f"{name} must return one derivative per element, an array of shape {x.shape}; got {np.shape(g)}")
    try:
        check_vjp(f, lambda u, x: u * local(x, f(x)), x, hint=failure_hints[name])
    except GradientError as err:
        raise AssertionError(f"{name} is not the derivative of {f.__name__} (checked through the "
                             f"backward rule it gives, upstream times {name}(x, y)).\n{err}") from None
zeros = np.zeros(3)
assert all(np.all(np.isfinite(local(zeros, f(zeros)))) for _, f, local in derivations), (
    "the derivatives must be finite at x = 0")

# %% nbgrader={"grade": true, "grade_id": "test-elementwise-derivations-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(elu_grad(np.ones(2), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
for _, f, local in derivations:
    for shape, seed in [((), 71), ((5,), 72), ((2, 3, 4), 73)]:
        (xh,) = random_inputs(shape, seed=seed)
        check_vjp(f, lambda u, x: u * local(x, f(x)), 3.0 * xh, seed=seed)
extreme = np.array([-800.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 800.0])
reference = {"softplus_grad": course.sigmoid(extreme),
             "elu_grad": np.where(extreme > 0, 1.0, np.exp(np.minimum(extreme, 0.0))),
             "silu_grad": course.sigmoid(extreme) * (1.0 + extreme * (1.0 - course.sigmoid(extreme)))}
for name, f, local in derivations:
    got = local(extreme.copy(), f(extreme))
    assert np.all(np.isfinite(got)), f"{name} is not finite for x = {extreme}: {got}"
    assert np.allclose(got, reference[name], rtol=1e-7, atol=1e-12), (
        f"{name} is wrong for x = {extreme}: {got}")
assert np.allclose(elu_grad(np.zeros(1), np.zeros(1)), 1.0), "ELU's slope at 0 is 1 from both sides"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-reductions", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Reductions: `sum` and `mean`
#
# $y = \sum_j x_j$ maps $\mathbb{R}^n$ to a number, and $\partial y/\partial x_j = 1$ for every $j$.
# So $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\cdot(1, 1, \dots, 1)$: the single
# upstream number is **copied** to every element. This is the add gate's "distributor" rule, with
# $n$ inputs at once. The same holds for an array of any shape summed over all its axes.
#
# With an `axis`, each output is a sum over one line (or several axes) of the input: for `x` of shape
# (3, 4), `y = x.sum(axis=1)` has shape (3,), one sum per row. `keepdims=True` keeps the summed axis
# with length 1: then `y` has shape (3, 1). `mean` divides each sum by the number of elements it
# averaged.
#
# ### Exercise 4: `sum_vjp(upstream, x, axis=None, keepdims=False)` and `mean_vjp(...)` (4 points)
#
# **What to do.** Return $\frac{\partial L}{\partial x}$ (the shape of `x`, a new writable array) for
# `y = x.sum(axis=axis, keepdims=keepdims)` and for `y = x.mean(axis=axis, keepdims=keepdims)`.
# `axis` is `None` (every axis: `upstream` is then a single number, an array of shape `()`, or of
# shape `(1, 1, ...)` with `keepdims`), an integer (possibly negative) or a tuple of integers.
# `upstream` has the shape of `y`.
#
# **Example.** For `x` of shape (3, 4), `axis=1` and `upstream = [1, -2, 0.5]`, the result has shape
# (3, 4) and its row 1 is all $-2$.
#
# <details><summary>Hint 1</summary>
#
# Which output does `x[i, j]` feed when you sum over axis 1? So which entry of the upstream
# gradient does it receive?
# </details>
#
# <details><summary>Hint 2</summary>
#
# `upstream` has shape (3,) and `x` has shape (3, 4). numpy broadcasting lines up the *last* axes,
# so (3,) would be copied along the wrong axis (or not at all). What shape must `upstream` take
# first, so that broadcasting copies it along the summed axis? Is it already in that shape when
# `keepdims=True`?
# </details>
#
# <details><summary>Hint 3</summary>
#
# For `mean`: how many elements of `x` did each output average? `x` and `upstream` know it.
# </details>

# %% nbgrader={"grade": false, "grade_id": "reduction-vjps", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sum_vjp(upstream, x, axis=None, keepdims=False):
    """dL/dx for y = x.sum(axis=axis, keepdims=keepdims); upstream has y's shape. The shape of x.

    axis: None (every axis), an integer (possibly negative) or a tuple of integers.
    """
    ### BEGIN SOLUTION
    g = np.asarray(upstream, dtype=np.float64)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, x.shape).copy()
    ### END SOLUTION


def mean_vjp(upstream, x, axis=None, keepdims=False):
    """dL/dx for y = x.mean(axis=axis, keepdims=keepdims); upstream has y's shape. The shape of x."""
    ### BEGIN SOLUTION
    count = x.size // np.size(upstream)
    return sum_vjp(upstream, x, axis, keepdims) / count
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-reduction-vjps", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.arange(12.0).reshape(3, 4)
upstream = np.array([1.0, -2.0, 0.5])
try:
    got = sum_vjp(upstream, x, axis=1)
except ValueError as err:
    raise AssertionError(
        f"sum_vjp(upstream of shape (3,), x of shape (3, 4), axis=1) raised ValueError: {err}\n"
        f"Give the upstream gradient the summed axis back, with length 1, before broadcasting "
        f"it to x's shape.") from None
expected = course.vjp(lambda x: x.sum(axis=1), x)[1](upstream)[0]
assert np.shape(got) == x.shape, f"sum_vjp must return an array of x's shape {x.shape}, got {np.shape(got)}"
if np.allclose(got, np.ones_like(x)):
    raise AssertionError("sum_vjp returns ones: the local derivative alone. dL/dx copies the "
                         "upstream gradient, not 1, to every element that was summed.")
assert np.allclose(got, expected), (
    f"sum_vjp(upstream={upstream}, x of shape (3, 4), axis=1) should copy upstream[i] along row i:\n"
    f"{expected}\ngot\n{got}")
assert np.allclose(mean_vjp(upstream, x, axis=1), expected / 4), (
    "mean_vjp(..., axis=1) should be sum_vjp(..., axis=1) divided by the 4 elements each row averaged")

(x,) = random_inputs((3, 4), seed=1)
for axis in [None, 0, 1, -1, (0, 1)]:
    for keepdims in [False, True]:
        for name, f, vjp_fn in [("sum_vjp", np.sum, sum_vjp), ("mean_vjp", np.mean, mean_vjp)]:
            try:
                check_vjp(lambda x: f(x, axis=axis, keepdims=keepdims),
                          lambda u, x: vjp_fn(u, x, axis=axis, keepdims=keepdims), x)
            except GradientError as err:
                raise AssertionError(f"{name} is wrong for axis={axis}, keepdims={keepdims}.\n{err}") from None
            except ValueError as err:
                raise AssertionError(
                    f"{name} raised ValueError for axis={axis}, keepdims={keepdims}: {err}" +
                    ("\nWith keepdims=True the upstream gradient has kept the summed axes "
                     "(length 1): it is already in the shape that broadcasts." if keepdims else
                     "")) from None
got = sum_vjp(np.array(2.0), x)
got[0, 0] = 100.0      # the gradient must be an array of its own: writing to it changes nothing else
assert np.allclose(sum_vjp(np.array(2.0), x), 2.0), (
    "sum_vjp(2.0, x) should be 2 everywhere, in a new array that can be written to (a broadcast "
    "view is read-only and shares its memory: copy it)")

# %% nbgrader={"grade": true, "grade_id": "test-reduction-vjps-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(sum_vjp(np.ones(2), np.ones((2, 3)), axis=1)) == (2, 3)
### BEGIN HIDDEN TESTS
for shape, axes, seed in [((1,), [None, 0], 31), ((5,), [None, 0, -1], 32),
                          ((4, 4), [None, 0, 1, (0, 1)], 33),
                          ((2, 3, 4), [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0), (0, 1, 2)], 34)]:
    (x,) = random_inputs(shape, seed=seed)
    for axis in axes:
        for keepdims in [False, True]:
            for name, f, vjp_fn in [("sum_vjp", np.sum, sum_vjp), ("mean_vjp", np.mean, mean_vjp)]:
                try:
                    check_vjp(lambda x: f(x, axis=axis, keepdims=keepdims),
                              lambda u, x: vjp_fn(u, x, axis=axis, keepdims=keepdims), x, seed=seed)
                except GradientError as err:
                    raise AssertionError(f"{name} is wrong for x of shape {shape}, axis={axis}, "
                                         f"keepdims={keepdims}.\n{err}") from None
got = sum_vjp(np.array(-3.0), np.ones((2, 2)))
assert np.allclose(got, -3.0 * np.ones((2, 2))) and got.flags.writeable, (
    f"sum_vjp with axis=None must copy the upstream number everywhere, in a writable array; got {got}")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-reduction-figure", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The figure shows your rule at work for the example above: the upstream gradient, one number per
# row, is copied along the summed axis.

# %%
x = np.arange(12.0).reshape(3, 4)
upstream = np.array([1.0, -2.0, 0.5])
fig, axes = plt.subplots(1, 3, figsize=(11, 3), gridspec_kw={"width_ratios": [4, 1.2, 4]})
dx_sum = sum_vjp(upstream, x, axis=1)
show_matrix(axes[0], x, "forward input x, shape (3, 4)", cmap=FORWARD_CMAP)
show_matrix(axes[1], upstream[:, None], "upstream dL/dy\nshape (3,)", cmap=GRADIENT_CMAP, cols=[""])
show_matrix(axes[2], dx_sum, "dL/dx = sum_vjp(upstream, x, axis=1)", cmap=GRADIENT_CMAP)
fig.tight_layout()
show(fig, alt="Three heatmaps. " + matrix_alt(x, "forward input x, shape (3, 4)")
     + f". Upstream dL/dy, shape (3,): {values_alt(upstream, range(3))}. "
     + matrix_alt(dx_sum, "dL/dx = sum_vjp(upstream, x, axis=1)") + ".")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. A Jacobian that is not diagonal
#
# When every output depends on every input, the Jacobian is full, and working it out takes a
# derivation. Here is one, for the **normalisation** $y = x / S$ with $S = \sum_k x_k$ (positive
# $x$: it turns amounts into proportions). Output $y_i = x_i / S$ depends on $x_j$ through the
# numerator when $i = j$ and through $S$ always, so by the quotient rule
#
# $$\frac{\partial y_i}{\partial x_j} = \frac{\delta_{ij}\,S - x_i}{S^2} = \frac{\delta_{ij} - y_i}{S},
# \qquad J = \frac{1}{S}\left(I - y\,\mathbf{1}^T\right),$$
#
# where $\delta_{ij}$ is 1 if $i = j$ and 0 otherwise, and $\mathbf{1}$ is a vector of ones. The
# Jacobian is full, but it is the identity minus an outer product, and that structure is enough to
# apply it without building it:
#
# $$J^T u = \frac{1}{S}\left(u - \mathbf{1}\,(y^T u)\right) = \frac{u - \langle u, y\rangle}{S}:$$
#
# one inner product (a single number), one subtraction, one division: $O(n)$ work instead of
# $O(n^2)$. The cell below builds $J$ from the formula and compares it with the engine.

# %%
def normalise(x):
    return x / x.sum()


x = np.array([1.0, 2.0, 5.0])
y, S = normalise(x), x.sum()
J_formula = (np.eye(3) - np.outer(y, np.ones(3))) / S
print("J from the formula:\n", J_formula)
print("relative error against course.jacrev:", rel_error(J_formula, course.jacrev(normalise)(x)))
u = np.array([1.0, -1.0, 0.5])
print("J.T @ u =", J_formula.T @ u, "  (u - <u, y>) / S =", (u - u @ y) / S)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-jacobian", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Softmax** turns scores into probabilities: $s_i = e^{x_i} / \sum_k e^{x_k}$ (`course.softmax`,
# which subtracts `x.max()` first so that `exp` cannot overflow). Like the normalisation, every output
# depends on every input through the shared denominator. Its Jacobian is yours to derive.
#
# ### Exercise 5: `softmax_jacobian(x)` (3 points)
#
# **What to do.** Derive $\partial s_i / \partial x_j$ for every pair $(i, j)$, then return the
# $n \times n$ Jacobian of softmax at a 1-D array `x` of length $n$: `J[i, j]` $= \partial s_i/\partial x_j$.
# It must stay finite for scores in the thousands.
#
# **Example.** At $x = (0, 0)$ both probabilities are $0.5$; `J[0, 0]` is $0.25$, and every row of $J$
# sums to 0 (can you see why, before any formula?).
#
# <details><summary>Hint 1</summary>
#
# $x_j$ appears in the denominator of every $s_i$, and in the numerator of $s_j$ only: use the
# quotient rule once for $i = j$, once for $i \ne j$.
# </details>
#
# <details><summary>Hint 2</summary>
#
# Write both cases with $s$ alone, as the normalisation's were written with $y$. The result is a
# diagonal matrix minus an outer product: which vector sits on the diagonal, which vectors make the
# outer product?
# </details>

# %% nbgrader={"grade": false, "grade_id": "softmax-jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_jacobian(x):
    """The Jacobian of softmax at x (1-D, length n): (n, n), J[i, j] = ds_i/dx_j."""
    ### BEGIN SOLUTION
    s = course.softmax(x)
    return np.diag(s) - np.outer(s, s)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-jacobian", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
got = softmax_jacobian(np.array([0.0, 0.0]))
assert np.shape(got) == (2, 2), f"softmax_jacobian of a length-2 x must be 2 x 2, got shape {np.shape(got)}"
assert np.isclose(got[0, 0], 0.25), f"softmax_jacobian([0, 0])[0, 0] should be 0.25, got {got[0, 0]}"
assert np.allclose(np.sum(got, axis=1), 0.0), (
    f"Every row of softmax's Jacobian sums to 0 (the probabilities always sum to 1, so moving one "
    f"score cannot change their total), but softmax_jacobian([0, 0]) is\n{got}")

x = np.array([1.0, 2.0, 0.5, -1.0])
got = softmax_jacobian(x)
expected = course.jacrev(course.softmax)(x)
assert np.shape(got) == (4, 4), f"softmax_jacobian of a length-4 x must be 4 x 4, got shape {np.shape(got)}"
if np.allclose(got - np.diag(np.diag(got)), 0.0):
    raise AssertionError("softmax_jacobian is diagonal: that would be the Jacobian of an element-wise "
                         "function. Every s_i depends on every x_j through the denominator: the "
                         "entries off the diagonal are not 0.")
if np.allclose(got, -expected):
    raise AssertionError("softmax_jacobian has the wrong sign everywhere: raising x_i raises s_i, so "
                         "the diagonal is positive.")
assert np.allclose(got, expected), (
    f"softmax_jacobian({x}) disagrees with the engine's course.jacrev(course.softmax):\n"
    f"expected\n{expected}\ngot\n{got}")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-jacobian-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(softmax_jacobian(np.ones(2))) == (2, 2)
### BEGIN HIDDEN TESTS
assert np.allclose(softmax_jacobian(np.array([3.0])), [[0.0]]), "softmax of one element is always 1: its Jacobian is [[0]]"
for n, seed in [(3, 41), (7, 42)]:
    (x,) = random_inputs((n,), seed=seed)
    assert np.allclose(softmax_jacobian(3.0 * x), course.jacrev(course.softmax)(3.0 * x)), (
        f"softmax_jacobian disagrees with the engine for n = {n}")
x = np.array([1000.0, 1001.0, 999.0])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    got = softmax_jacobian(x)
assert np.all(np.isfinite(got)), "softmax_jacobian overflows for large x: compute softmax with x - x.max() (course.softmax does)"
assert np.allclose(got, course.jacrev(course.softmax)(x)), "softmax_jacobian is wrong for large x"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-figure", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Side by side, two Jacobians of this notebook: ReLU's is diagonal (and mostly zeros), softmax's (yours)
# has no zero at all.

# %%
x = np.array([1.0, 2.0, 0.5, -1.0])
labels = [f"{k + 1}" for k in range(x.size)]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
jacobians = {"ReLU: diagonal": relu_jacobian(x), "softmax: full": softmax_jacobian(x)}
show_bars(axes[0], x, "forward input x", FORWARD_COLOR, labels)
for ax, (title, jacobian) in zip(axes[1:], jacobians.items()):
    show_matrix(ax, jacobian, title, rows=labels, cols=labels)
fig.tight_layout()
show(fig, alt=f"Three panels. Bars of the forward input x: {values_alt(x, labels)}. Its Jacobians: "
     + ". ".join(matrix_alt(j, title, rows=labels, cols=labels) for title, j in jacobians.items())
     + ".")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 6: softmax's VJP without its Jacobian, `softmax_vjp(upstream, x, y)` (4 points)
#
# **What to do.** Return $\frac{\partial L}{\partial x} = J^T u$ for $y = $ `course.softmax(x)` (softmax
# along the **last axis**) without building $J$: $O(n)$ work per row, as the normalisation's VJP
# above. `y` is the saved output. `x` can be a vector (shape `(n,)`) or a batch of score vectors, one
# per row (shape `(N, n)`, or more axes): each row is an independent softmax, with its own upstream
# row.
#
# **Example.** For `x = [0, 0]` (so `y = [0.5, 0.5]`) and `upstream = [1, 0]` the result is the first
# row of your `softmax_jacobian([0, 0])`: $J$ is symmetric, so $J^T e_1$ is its first row.
#
# <details><summary>Hint 1</summary>
#
# Your Jacobian is a diagonal matrix minus an outer product. What does each part do to a vector $u$?
# The outer product gives a vector times *one number*: which number?
# </details>
#
# <details><summary>Hint 2</summary>
#
# In a batch that number is one per row: shape (N,) for `upstream` of shape (N, n). To combine it
# with the (N, n) arrays, keep its axis (length 1) so that broadcasting copies it along each row.
# </details>

# %% nbgrader={"grade": false, "grade_id": "softmax-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_vjp(upstream, x, y):
    """dL/dx for y = softmax(x) along the last axis; upstream and y have x's shape. The shape of x."""
    ### BEGIN SOLUTION
    inner = (upstream * y).sum(axis=-1, keepdims=True)
    return y * (upstream - inner)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.array([1.0, 2.0, 0.5, -1.0])
u = np.array([0.5, -1.0, 2.0, 1.0])
out = course.softmax(x)
got = softmax_vjp(u, x, out)
assert np.shape(got) == x.shape, f"softmax_vjp must return an array of x's shape {x.shape}, got {np.shape(got)}"
if np.allclose(got, out * u) or np.allclose(got, out * (1 - out) * u):
    raise AssertionError("softmax_vjp treats the Jacobian as diagonal (an element-wise function). The "
                         "outer product part of the Jacobian contributes too.")
expected = course.jacrev(course.softmax)(x).T @ u      # J.T @ u, with the engine's Jacobian
assert np.allclose(got, expected), f"softmax_vjp({u}, {x}, y) should be J.T @ upstream = {expected}, got {got}"
got = softmax_vjp(np.array([1.0, 0.0]), np.array([0.0, 0.0]), np.array([0.5, 0.5]))
expected = course.jacrev(course.softmax)(np.zeros(2))[0]
assert np.allclose(got, expected), (
    f"softmax_vjp(upstream=[1, 0], x=[0, 0], y=[0.5, 0.5]) should be the first row of the Jacobian "
    f"at [0, 0], {expected}; got {got}")

# A batch: 3 rows, each its own softmax.
(X,) = random_inputs((3, 4), seed=2)
U = np.arange(12.0).reshape(3, 4) / 6 - 1
S = course.softmax(X)
try:
    got = softmax_vjp(U, X, S)
except ValueError as err:
    raise AssertionError(f"softmax_vjp fails on a batch of shape (3, 4) ({err}): the number computed "
                         f"per row has shape (3,); keep its axis, shape (3, 1), so that it broadcasts "
                         f"along the rows.") from None
row_by_row = np.stack([softmax_vjp(U[i], X[i], S[i]) for i in range(3)])
if not np.allclose(got, row_by_row):
    raise AssertionError("softmax_vjp on the batch differs from softmax_vjp on each row alone. Each "
                         "row is its own softmax: whatever a row needs (one number?) must come from "
                         "that row only.")
check_vjp(course.softmax, lambda u, x: softmax_vjp(u, x, course.softmax(x)), X)
U = np.ones((3, 4))
assert np.allclose(softmax_vjp(U, X, S), 0.0) and np.array_equal(U, np.ones((3, 4))), (
    "An upstream gradient that is the same for every class has no effect (softmax does not change "
    "when all scores move together), so softmax_vjp(ones, X, S) must be 0 everywhere, and must leave "
    f"upstream unchanged; got\n{softmax_vjp(np.ones((3, 4)), X, S)}")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(softmax_vjp(np.ones(2), np.ones(2), np.full(2, 0.5))) == (2,)
### BEGIN HIDDEN TESTS
for shape, seed in [((1,), 51), ((6,), 52), ((5, 3), 53), ((2, 3, 4), 54), ((1, 7), 55), ((4, 4), 56)]:
    (x,) = random_inputs(shape, seed=seed)
    check_vjp(course.softmax, lambda u, x: softmax_vjp(u, x, course.softmax(x)), 2.0 * x, seed=seed)
x = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
u = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
got = softmax_vjp(u, x, course.softmax(x))
assert np.all(np.isfinite(got)), "softmax_vjp is not finite for large x: use the saved output y"
assert np.allclose(got, course.vjp(course.softmax, x)[1](u)[0]), "softmax_vjp is wrong for large scores"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-derive", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Derive it yourself: a norm and a log-sum-exp
#
# Two reductions along the last axis that the lecture notes never show. A reduction along the last
# axis turns `x` of shape `(..., n)` into `y` of shape `(...)`: one number per row, and so the
# upstream gradient has one number per row too. Done in full for the **squared norm**
# $q = \sum_k x_k^2$ of each row: $\partial q / \partial x_j = 2 x_j$, so each row of
# $\frac{\partial L}{\partial x}$ is $2x$ times that row's upstream number. In code, the upstream
# gradient gets a last axis of length 1 so that it multiplies a whole row:

# %%
def squared_norm_rows(x):
    return (x * x).sum(axis=-1)


def squared_norm_vjp(upstream, x, y):
    return 2.0 * x * upstream[..., None]


(x,) = random_inputs((4, 3), seed=8)
print("squared_norm_vjp agrees with finite differences:",
      check_vjp(squared_norm_rows, lambda u, x: squared_norm_vjp(u, x, squared_norm_rows(x)), x))

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-norm", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 7: the Euclidean norm, `norm_vjp(upstream, x, y)` (4 points)
#
# **What to do.** For $y = \lVert x \rVert = \sqrt{\sum_k x_k^2}$ along the last axis
# (`np.linalg.norm(x, axis=-1)`), return $\frac{\partial L}{\partial x}$, the shape of `x`; `upstream`
# and `y` have the shape of `x` without its last axis. A row of zeros is a kink of the norm (a cone
# has no slope at its tip): return 0 for such a row, finite, and without any warning from numpy.
#
# **Example.** `norm_vjp(np.array(1.0), np.array([0.0, 2.0]), np.array(2.0))` is `[0, 1]`: near
# $x = (0, 2)$, moving $x_1$ does not change the norm to first order, and moving $x_2$ changes it one
# for one.
#
# <details><summary>Hint 1</summary>
#
# $\lVert x \rVert = \sqrt{q}$ with $q$ the squared norm above: the chain rule through $\sqrt{\ }$
# (section 4), then through $q$. Write the result with the saved output $y$.
# </details>
#
# <details><summary>Hint 2</summary>
#
# At a row of zeros your formula divides 0 by 0. Dividing by a safe number where $y = 0$ (any
# non-zero number: that row's $x$ is 0 anyway) avoids the warning; `np.where` picks per element.
# </details>

# %% nbgrader={"grade": false, "grade_id": "norm-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def norm_vjp(upstream, x, y):
    """dL/dx for y = np.linalg.norm(x, axis=-1); x: (..., n), upstream and y: (...).

    The shape of x; 0 for a row of x that is all zeros (the norm's kink).
    """
    ### BEGIN SOLUTION
    safe = np.where(y > 0, y, 1.0)
    return (upstream / safe)[..., None] * x
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-norm-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def norm_rows(x):
    return np.linalg.norm(x, axis=-1)


x = np.array([3.0, 4.0])
got = norm_vjp(np.array(2.0), x, norm_rows(x))
if np.allclose(got, 2.0 * 2.0 * x):
    raise AssertionError("norm_vjp gives the gradient of the squared norm: the chain rule through "
                         "the square root is missing.")
if np.allclose(got, 2.0 * x):
    raise AssertionError("norm_vjp gives upstream * x: it misses a division (the chain rule through "
                         "the square root).")
got = norm_vjp(np.array(1.0), np.array([0.0, 2.0]), np.array(2.0))
assert np.allclose(got, [0.0, 1.0]), f"norm_vjp(1, [0, 2], 2) should be [0, 1], got {got}"
(X, U) = random_inputs((4, 3), (4,), seed=9)
try:
    got = norm_vjp(U, X, norm_rows(X))
except ValueError as err:
    raise AssertionError(f"norm_vjp fails on a batch, x of shape (4, 3) with upstream of shape (4,) "
                         f"({err}): each row's upstream number multiplies a whole row.") from None
check_vjp(norm_rows, lambda u, x: norm_vjp(u, x, norm_rows(x)), X)

zero_row = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
with warnings.catch_warnings():
    warnings.simplefilter("error")         # a numpy warning becomes an error here
    try:
        got = norm_vjp(np.array([1.5, 1.0]), zero_row, norm_rows(zero_row))
    except RuntimeWarning as warning:
        raise AssertionError(f"norm_vjp makes numpy warn at a row of zeros ({warning}): a warning "
                             f"is output on stderr, which costs the points when graded. Do not "
                             f"divide by 0.") from None
assert np.all(np.isfinite(got)) and np.allclose(got[0], 0.0), (
    f"At a row of zeros (the norm's kink) norm_vjp must return 0, got {got[0]}")
expected = course.vjp(lambda t: (t * t).sum() ** 0.5, zero_row[1])[1](np.array(1.0))[0]
assert np.allclose(got[1], expected), f"norm_vjp is wrong for the row [1, -2, 2]: {got[1]}, not {expected}"

# %% nbgrader={"grade": true, "grade_id": "test-norm-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(norm_vjp(np.ones(2), np.ones((2, 3)), np.ones(2))) == (2, 3)
### BEGIN HIDDEN TESTS
for shape, seed in [((5,), 61), ((1, 1), 62), ((6, 2), 63), ((2, 3, 4), 64), ((3, 3), 65)]:
    (xh,) = random_inputs(shape, seed=seed)
    check_vjp(norm_rows, lambda u, x: norm_vjp(u, x, norm_rows(x)), xh, seed=seed)
(xh, uh) = random_inputs((3, 4), (3,), seed=66)
assert np.allclose(norm_vjp(uh, 1e3 * xh, norm_rows(1e3 * xh)), norm_vjp(uh, xh, norm_rows(xh))), (
    "the norm's gradient depends on the direction of x, not its length: norm_vjp(u, c x, c y) must "
    "equal norm_vjp(u, x, y)")
batch = np.array([[[0.0, 0.0], [3.0, 4.0]], [[-1.0, 0.0], [0.0, 0.0]]])
with warnings.catch_warnings():
    warnings.simplefilter("error")
    got = norm_vjp(np.array([[1.0, 2.0], [3.0, 4.0]]), batch, norm_rows(batch))
assert np.allclose(got, [[[0.0, 0.0], [1.2, 1.6]], [[-3.0, 0.0], [0.0, 0.0]]]), (
    f"norm_vjp is wrong on a batch with rows of zeros: {got}")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-logsumexp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Log-sum-exp**, $y = \log \sum_k e^{x_k}$ along the last axis, is a smooth maximum: it is close to
# $\max_k x_k$ and has a derivative everywhere. It sits inside every cross-entropy loss. The cell
# below defines it without overflow (the largest score is taken out first).

# %% nbgrader={"grade": false, "grade_id": "logsumexp-function", "locked": true, "schema_version": 3, "solution": false, "task": false}
def logsumexp(x):
    """log(sum(exp(x))) along the last axis, computed without overflow; x's shape without its last axis."""
    top = x.max(axis=-1)
    return top + np.log(np.exp(x - top[..., None]).sum(axis=-1))


print("logsumexp([1, 2, 3])  =", logsumexp(np.array([1.0, 2.0, 3.0])), " (the max is 3)")
print("logsumexp([1000, 1000]) =", logsumexp(np.array([1000.0, 1000.0])), " (1000 + log 2, with no overflow)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-logsumexp-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 8: `logsumexp_vjp(upstream, x, y)` (4 points)
#
# **What to do.** For $y = $ `logsumexp(x)` along the last axis, return $\frac{\partial L}{\partial x}$,
# the shape of `x`; `upstream` and `y` have the shape of `x` without its last axis. It must stay finite
# (and silent) for scores in the thousands.
#
# **Example.** For `x = [1000, 1000]` (so `y` $= 1000 + \log 2$) and `upstream = 2`, the result is
# `[1, 1]`, although $e^{1000}$ is infinite in floating point.
#
# <details><summary>Hint 1</summary>
#
# The derivative of $\log v$ is $v'/v$, with $v = \sum_k e^{x_k}$. The result is a function from
# section 6.
# </details>
#
# <details><summary>Hint 2</summary>
#
# $e^{x_j} / \sum_k e^{x_k}$ overflows as written. Rewrite it with the saved output $y$: what is
# $\sum_k e^{x_k}$ in terms of $y$, and what is the sign of $x_j - y$?
# </details>

# %% nbgrader={"grade": false, "grade_id": "logsumexp-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logsumexp_vjp(upstream, x, y):
    """dL/dx for y = logsumexp(x) along the last axis; x: (..., n), upstream and y: (...). x's shape."""
    ### BEGIN SOLUTION
    return upstream[..., None] * np.exp(x - y[..., None])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-logsumexp-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.array([0.5, -1.0, 2.0])
got = logsumexp_vjp(np.array(1.0), x, logsumexp(x))
assert np.shape(got) == x.shape, f"logsumexp_vjp must return an array of x's shape {x.shape}, got {np.shape(got)}"
assert np.isclose(np.sum(got), 1.0), (
    f"For upstream 1 the entries of logsumexp_vjp sum to 1 (moving every score by t moves y by t), "
    f"but they sum to {np.sum(got)}: {got}")
(X, U) = random_inputs((3, 4), (3,), seed=10)
try:
    got = logsumexp_vjp(U, X, logsumexp(X))
except ValueError as err:
    raise AssertionError(f"logsumexp_vjp fails on a batch, x of shape (3, 4) with upstream of shape "
                         f"(3,) ({err}): each row's upstream number multiplies a whole row.") from None
if np.allclose(got, logsumexp_vjp(np.ones(3), X, logsumexp(X))):
    raise AssertionError("logsumexp_vjp gives the same result for every upstream gradient: it "
                         "returns the local derivatives alone. Multiply by the upstream gradient "
                         "(one number per row).")
check_vjp(logsumexp, lambda u, x: logsumexp_vjp(u, x, logsumexp(x)), X)

big = np.array([1000.0, 1000.0])
with warnings.catch_warnings():
    warnings.simplefilter("error")
    try:
        got = logsumexp_vjp(np.array(2.0), big, logsumexp(big))
    except RuntimeWarning as warning:
        raise AssertionError(f"logsumexp_vjp overflows for scores near 1000 ({warning}): e^1000 is "
                             f"inf. Use the saved output y.") from None
assert np.allclose(got, [1.0, 1.0]), f"logsumexp_vjp(2, [1000, 1000], y) should be [1, 1], got {got}"

# %% nbgrader={"grade": true, "grade_id": "test-logsumexp-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(logsumexp_vjp(np.ones(2), np.ones((2, 3)), np.ones(2))) == (2, 3)
### BEGIN HIDDEN TESTS
for shape, seed in [((1,), 81), ((6,), 82), ((5, 3), 83), ((2, 3, 4), 84), ((4, 4), 85)]:
    (xh,) = random_inputs(shape, seed=seed)
    check_vjp(logsumexp, lambda u, x: logsumexp_vjp(u, x, logsumexp(x)), 3.0 * xh, seed=seed)
xh = np.array([[-1000.0, 1000.0, 999.0], [-800.0, -801.0, -802.0]])
uh = np.array([1.5, -2.0])
with warnings.catch_warnings():
    warnings.simplefilter("error")
    got = logsumexp_vjp(uh, xh, logsumexp(xh))
assert np.allclose(got, uh[:, None] * course.softmax(xh)), f"logsumexp_vjp is wrong for extreme scores: {got}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-jacobian-from-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. Rebuilding a Jacobian from VJPs
#
# A VJP computes $J^T u$ for any $u$ we like. One well-chosen $u$ per output is enough to recover the
# whole Jacobian, one row at a time. This is how `course.jacrev` works ("rev" for reverse mode: one
# backward pass per output). Its twin `course.jacfwd` builds the same matrix one *column* at a time,
# with one forward-mode pass per input (notebook 05).
#
# ### Exercise 9: `jacobian_from_vjp(f, vjp_fn, x)` (3 points)
#
# **What to do.** Given a function `f` from a 1-D array `x` (length $n$) to a 1-D array (length $m$)
# and its backward rule `vjp_fn(upstream, x)` (which returns $J^T$ `upstream`, of `x`'s shape),
# return the Jacobian of `f` at `x` in **numerator layout**: shape $(m, n)$, the same as
# `course.jacrev(f)(x)`. Call `vjp_fn` once per output, and nothing of the engine.
#
# **Example.** For `f = lambda x: A @ x` with `vjp_fn = lambda u, x: A.T @ u`, the result is `A` itself.
#
# <details><summary>Hint 1</summary>
#
# Which upstream gradient $u$ makes $J^T u$ equal to row $i$ of $J$? (Row $i$ is the gradient of the
# single output $y_i$.)
# </details>
#
# <details><summary>Hint 2</summary>
#
# $m$ comes from `f(x)`, not from `x`. You get $m$ vectors of length $n$; the result has shape $(m, n)$.
# Stacked the other way, they would give the lecture's $n \times m$ layout, which is not what is
# asked for here.
# </details>

# %% nbgrader={"grade": false, "grade_id": "jacobian-from-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_from_vjp(f, vjp_fn, x):
    """The Jacobian of f at x (1-D) in numerator layout, shape (m, n), built from m VJPs.

    f(x) is 1-D of length m; vjp_fn(upstream, x) returns J.T @ upstream, of x's shape.
    """
    ### BEGIN SOLUTION
    m = np.size(f(x))
    rows = []
    for i in range(m):
        e = np.zeros(m)
        e[i] = 1.0
        rows.append(vjp_fn(e, x))
    return np.stack(rows)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-jacobian-from-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
A = np.array([[1.0, 2.0, 3.0],
              [4.0, 5.0, 6.0]])
x = np.array([0.5, -1.0, 2.0])
try:
    got = jacobian_from_vjp(lambda x: A @ x, lambda u, x: A.T @ u, x)
except ValueError as err:
    raise AssertionError(f"jacobian_from_vjp raised ValueError for f: R^3 -> R^2 ({err}). The upstream "
                         f"gradients have the shape of f(x), (2,), not of x.") from None
assert np.shape(got) == (2, 3), (
    f"f maps 3 numbers to 2, so its Jacobian in numerator layout is 2 x 3 (one row per output); "
    f"got shape {np.shape(got)}" + (" (rows and columns swapped)" if np.shape(got) == (3, 2) else ""))
assert np.allclose(got, A), f"The Jacobian of x -> A @ x is A =\n{A}\ngot\n{got}"


def neighbour_products_vjp(u, x):      # the backward rule of y = (x1*x2, x2*x3)
    return np.array([u[0] * x[1], u[0] * x[0] + u[1] * x[2], u[1] * x[1]])


x = np.array([1.0, 2.0, 3.0])
got = jacobian_from_vjp(neighbour_products, neighbour_products_vjp, x)
assert np.allclose(got, course.jacrev(neighbour_products)(x)), (
    f"jacobian_from_vjp(neighbour_products, ...) should match course.jacrev:\n"
    f"{course.jacrev(neighbour_products)(x)}\ngot\n{got}")

# %% nbgrader={"grade": true, "grade_id": "test-jacobian-from-vjp-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(jacobian_from_vjp(np.tanh, lambda u, x: u * (1 - np.tanh(x) ** 2), np.ones(2))) == (2, 2)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(61)
for m, n in [(1, 4), (4, 1), (5, 3), (4, 4)]:
    A = rng.standard_normal((m, n))
    x = rng.standard_normal(n)
    f = lambda x, A=A: np.tanh(A @ x)
    vjp_fn = lambda u, x, A=A: A.T @ (u * (1 - np.tanh(A @ x) ** 2))
    got = jacobian_from_vjp(f, vjp_fn, x)
    expected = course.jacrev(lambda x, A=A: course.tanh(A @ x))(x)
    assert np.shape(got) == (m, n), f"for f from R^{n} to R^{m} the Jacobian has shape ({m}, {n}), got {np.shape(got)}"
    assert np.allclose(got, expected), (
        f"jacobian_from_vjp is wrong for a {m} x {n} Jacobian" +
        (": it is transposed (rows must be outputs)" if np.allclose(got, expected.T) else ""))
x = np.array([0.3, -0.7])
f = lambda x: x[::-1] ** 2                                    # y = (x2^2, x1^2)
vjp_fn = lambda u, x: (2 * x * u[::-1])
got = jacobian_from_vjp(f, vjp_fn, x)
assert np.allclose(got, [[0.0, -1.4], [0.6, 0.0]]), (
    f"jacobian_from_vjp for y = (x2^2, x1^2) at x = {x} should be [[0, -1.4], [0.6, 0]], got\n{got}")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-jacobian-check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Now put your own pieces together: the cell below rebuilds the Jacobians of ReLU and softmax from
# your VJPs and compares them with the matrices your Jacobian functions build directly, and with the
# engine.

# %%
x = np.array([1.0, -2.0, 3.0, -1.0])
for name, f, rule, jac in [("relu", course.relu, relu_vjp, relu_jacobian),
                           ("softmax", course.softmax, softmax_vjp, softmax_jacobian)]:
    from_vjps = jacobian_from_vjp(f, lambda u, x: rule(u, x, f(x)), x)
    print(f"{name:8s} from your VJPs vs your Jacobian: rel. error {rel_error(from_vjps, jac(x)):.1e}; "
          f"vs course.jacrev: {rel_error(from_vjps, course.jacrev(f)(x)):.1e}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-cost", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 9. What the Jacobian costs
#
# The cell below measures it. For ReLU on vectors of growing length $n$, it builds the explicit Jacobian
# and applies it ($J^T u$), then applies your element-wise rule instead, and records the memory and the
# time of each. The Jacobian has $n^2$ entries; the VJP touches $n$.

# %%
sizes = [100, 300, 1000, 2000]
rng = np.random.default_rng(0)
rows = []
for n in sizes:
    x, u = rng.standard_normal(n), rng.standard_normal(n)
    start = time.perf_counter()
    J = relu_jacobian(x)
    explicit = J.T @ u
    t_jac = time.perf_counter() - start
    start = time.perf_counter()
    implicit = relu_vjp(u, x, np.maximum(x, 0.0))
    t_vjp = time.perf_counter() - start
    assert np.allclose(explicit, implicit)
    rows.append((n, J.nbytes, implicit.nbytes, t_jac, t_vjp))
    del J
print(f"{'n':>6} {'Jacobian bytes':>15} {'VJP bytes':>10} {'Jacobian time':>14} {'VJP time':>10}")
for n, jb, vb, tj, tv in rows:
    print(f"{n:>6} {jb:>15,} {vb:>10,} {tj * 1e3:>11.2f} ms {tv * 1e3:>7.3f} ms")
print(f"\nfrom n = {sizes[0]} to n = {sizes[-1]} the Jacobian grew {rows[-1][1] / rows[0][1]:,.0f} times, "
      f"the VJP {rows[-1][2] / rows[0][2]:,.0f} times")

batch, width = 64, 4096          # one hidden layer's activations for a batch of 64
n = batch * width
print(f"\nA layer of {width} units on a batch of {batch}: x has n = {n:,} numbers.")
print(f"Its explicit Jacobian would take {n * n * 8 / 1e9:,.0f} GB; the VJP takes {n * 8 / 1e6:.1f} MB.")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## What you learned
#
# - The derivative of a vector function is a Jacobian. The **numerator layout** ($m \times n$, what
#   `course.jacrev` returns) and the lecture's **denominator layout** ($n \times m$) are transposes of
#   each other, so the chain rule reads $\frac{\partial L}{\partial y} J$ in one and
#   $\frac{\partial y}{\partial x}\frac{\partial L}{\partial y}$ in the other. Both compute
#   $\frac{\partial L}{\partial x} = J^T \frac{\partial L}{\partial y}$, a vector-Jacobian product.
# - The backward pass never builds a Jacobian. Each gate applies it implicitly, using its structure:
#   - every element-wise function: one construction, the local derivative times the upstream
#     gradient; you wrote it once and built the rules of 01 and three new ones from it;
#   - reductions: the upstream gradient copied back along the reduced axes (divided by the count
#     for `mean`), with a length-1 axis put back so that broadcasting copies it along the right axis;
#   - softmax, whose Jacobian is full: a diagonal minus an outer product, applied in $O(n)$;
#   - the norm and the log-sum-exp, which you derived with no formula given, with their kink and
#     their overflow handled.
# - A Jacobian can be rebuilt from VJPs, one row per output, which is what `jacrev` does; the price is
#   $n^2$ memory against $n$, which is why nobody does it inside a network.
#
# Next: matrices. With $y = xW$ the Jacobian becomes a 4-D array, broadcasting must be undone in the
# backward pass, and you will assemble a backward pass of your own over a whole graph of arrays.
