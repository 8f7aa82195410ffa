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
# So far every wire of a computational graph carried one number. In a real network the wires carry
# vectors (and matrices, next time). This notebook answers three questions:
# what is "the derivative" of a function that takes and returns vectors, why does the backward pass
# never build it, and what does each gate compute instead?
#
# **What you will learn**
# - the three kinds of derivative: a number, a gradient (which has the shape of $x$), a Jacobian;
# - the two ways of laying out a Jacobian, and why the lecture's layout writes the chain rule as
#   $\frac{\partial L}{\partial x} = \frac{\partial y}{\partial x}\frac{\partial L}{\partial y}$;
# - ReLU's sparse Jacobian, and the one-line mask that replaces it;
# - backward rules (**vector-Jacobian products**, VJPs) for element-wise functions, for `sum` and
#   `mean`, and for `softmax`, whose Jacobian is *not* diagonal;
# - how a whole Jacobian is rebuilt from VJPs, one row at a time (what `course.jacrev` does);
# - what the Jacobian costs in memory compared with a VJP, measured.
#
# In the figures, forward values are blue and gradients orange.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import numpy as np
import matplotlib.pyplot as plt

import course
from course.gradcheck import GradientError, check_vjp, random_inputs, rel_error
from course.figures import (FORWARD_CMAP, FORWARD_COLOR, GRADIENT_CMAP, GRADIENT_COLOR,
                            MISMATCH_COLOR, show_matrix)

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
show_matrix(axes[0], J, f"numerator layout: J, shape {J.shape}\n(course.jacrev)", rows=ys, cols=xs)
show_matrix(axes[1], J.T, f"denominator layout: J.T, shape {J.T.shape}\n(the lecture's dy/dx)",
            rows=xs, cols=ys)
fig.tight_layout()
plt.show()

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
# ReLU works element by element: $y_i = \max(0, x_i)$. Output $i$ depends on input $i$ only, so
# $\partial y_i / \partial x_j = 0$ whenever $i \ne j$: the Jacobian is **diagonal** (and so the same
# in both layouts). On the diagonal sits ReLU's slope: 1 where $x_i > 0$, 0 where $x_i < 0$. At
# $x_i = 0$ ReLU has a kink; like the lecture (and PyTorch), we use slope 0 there.
#
# We follow the lecture's example: $x = (1, -2, 3, -1)$ and the upstream gradient
# $\frac{\partial L}{\partial y} = (4, -1, 5, 9)$.
#
# ### Exercise 1: ReLU's Jacobian, `relu_jacobian(x)`
#
# **What to do.** Return the Jacobian of ReLU at a 1-D array `x` of length $n$: an $n \times n$
# float array with `J[i, j]` $= \partial y_i / \partial x_j$.
#
# **Approach.** Work out the slope of each element (1 or 0), then place these slopes on the diagonal
# of an otherwise zero matrix.
#
# **Example.** `relu_jacobian(np.array([2.0, -1.0]))` is `[[1, 0], [0, 0]]`.
#
# **Hints.**
# - `x > 0` is a boolean array; `.astype(float)` turns it into ones and zeros.
# - `np.diag(v)` builds a square matrix with the vector `v` on its diagonal.
# - Slope 0 at `x == 0` exactly: use `>`, not `>=`.

# %% nbgrader={"grade": false, "grade_id": "relu-jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_jacobian(x):
    """The Jacobian of ReLU at x (1-D, length n): an (n, n) float array, J[i, j] = dy_i/dx_j.

    Slope 1 where x > 0, slope 0 where x <= 0 (the kink at 0 counts as flat).
    """
    ### BEGIN SOLUTION
    return np.diag((x > 0).astype(float))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu-jacobian", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# The lecture's example: x = (1, -2, 3, -1).
x = np.array([1.0, -2.0, 3.0, -1.0])
J = relu_jacobian(x)
expected = np.array([[1.0, 0.0, 0.0, 0.0],
                     [0.0, 0.0, 0.0, 0.0],
                     [0.0, 0.0, 1.0, 0.0],
                     [0.0, 0.0, 0.0, 0.0]])
assert np.shape(J) == (4, 4), (
    f"For x of length 4 the Jacobian is 4 x 4 (one row per output, one column per input), "
    f"but relu_jacobian returned shape {np.shape(J)}.")
assert np.allclose(J, expected), (
    f"relu_jacobian({x}) should be\n{expected}\nbut is\n{np.asarray(J)}\n"
    f"Slope 1 on the diagonal where x > 0, 0 everywhere else.")
# The engine builds the same matrix, one backward pass per output (section 7).
assert np.allclose(J, course.jacrev(course.relu)(x)), "relu_jacobian disagrees with course.jacrev(course.relu)"

# %% nbgrader={"grade": true, "grade_id": "test-relu-jacobian-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(relu_jacobian(np.ones(2))) == (2, 2)
### BEGIN HIDDEN TESTS
for n, seed in [(1, 1), (5, 2), (9, 3)]:
    (x,) = random_inputs((n,), seed=seed)
    J = relu_jacobian(x.copy())
    assert np.shape(J) == (n, n), f"relu_jacobian of a length-{n} x must have shape ({n}, {n}), got {np.shape(J)}"
    assert np.allclose(J, course.jacrev(course.relu)(x)), (
        f"relu_jacobian({x}) disagrees with the engine's Jacobian:\n{np.asarray(J)}")
x = np.array([0.0, 2.5, 0.0, -0.5])
J = relu_jacobian(x)
assert np.allclose(J, np.diag([0.0, 1.0, 0.0, 0.0])), (
    f"At x = 0 ReLU is flat by our convention (slope 0): relu_jacobian({x}) should be "
    f"diag(0, 1, 0, 0), got\n{np.asarray(J)}\nUse x > 0, not x >= 0.")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-relu-downstream", "locked": true, "schema_version": 3, "solution": false, "task": false}
# With the Jacobian, the downstream gradient is one matrix-vector product,
# $\frac{\partial L}{\partial x} = J^T \frac{\partial L}{\partial y}$. The cell below computes it for the
# lecture's numbers and draws the whole backward step: the forward input, the Jacobian, the upstream
# gradient that arrives, and the downstream gradient that leaves.

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
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-relu-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Look at what the product did: it **copied** the upstream gradient where $x > 0$ and put 0
# everywhere else. Almost every multiplication in it was a multiplication by zero. The lecture's
# shortcut writes the result directly, with no matrix at all:
#
# $$\left(\frac{\partial L}{\partial x}\right)_i =
# \begin{cases} \left(\frac{\partial L}{\partial y}\right)_i & \text{if } x_i > 0\\ 0 & \text{if } x_i \le 0\end{cases}$$
#
# This is an **implicit** use of the Jacobian: we know its structure, so we apply it without building it.
#
# ### Exercise 2: ReLU's backward rule without a Jacobian, `relu_vjp(upstream, x)`
#
# **What to do.** Return $\frac{\partial L}{\partial x}$ for $y = \mathrm{relu}(x)$, given the
# upstream gradient $\frac{\partial L}{\partial y}$ and the forward input `x`. Both have the same
# shape, which can be any shape (a vector, a matrix, ...). Do not build a Jacobian.
#
# **Approach.** Make a mask from the *forward input* `x` (where does ReLU let the signal through?)
# and use it to keep or zero each element of `upstream`.
#
# **Example.** With the lecture's numbers the result is the downstream gradient printed above.
#
# **Hints.**
# - `upstream * (x > 0)` multiplies by ones and zeros; `np.where(x > 0, upstream, 0.0)` does the same.
# - The mask comes from `x`, not from `upstream`: the sign of a gradient says nothing about whether
#   the gate was open.
# - At `x == 0` the result must be 0.

# %% nbgrader={"grade": false, "grade_id": "relu-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_vjp(upstream, x):
    """dL/dx for y = relu(x): upstream (dL/dy) where x > 0, 0 where x <= 0. The shape of x."""
    ### BEGIN SOLUTION
    return upstream * (x > 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu-vjp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# The lecture's example.
x = np.array([1.0, -2.0, 3.0, -1.0])
upstream = np.array([4.0, -1.0, 5.0, 9.0])
got = relu_vjp(upstream, x)
expected = np.array([4.0, 0.0, 5.0, 0.0])     # the lecture's answer
assert np.shape(got) == x.shape, f"relu_vjp must return an array of x's shape {x.shape}, got shape {np.shape(got)}"
assert np.allclose(got, expected), (
    f"relu_vjp(upstream={upstream}, x={x}) should be {expected}, got {got}.\n"
    f"Keep upstream where x > 0 (the gate was open) and put 0 where x <= 0.")
# Against finite differences, on a 3 x 4 matrix with a random upstream gradient.
(x,) = random_inputs((3, 4), seed=0)
check_vjp(course.relu, relu_vjp, x)
# A backward rule must not change its inputs: other gates may still need them.
x_before, upstream_before = x.copy(), -x
upstream = upstream_before.copy()
relu_vjp(upstream, x)
assert np.array_equal(x, x_before) and np.array_equal(upstream, upstream_before), (
    "relu_vjp changed x or upstream in place: build a new array instead (e.g. upstream * (x > 0))")

# %% nbgrader={"grade": true, "grade_id": "test-relu-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(relu_vjp(np.ones(2), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
for shape, seed in [((1,), 11), ((7,), 12), ((4, 5), 13), ((2, 3, 2), 14)]:
    (x,) = random_inputs(shape, seed=seed)
    check_vjp(course.relu, relu_vjp, x, seed=seed)
x = np.array([0.0, 1.0, -1.0, 0.0])
upstream = np.array([2.0, 3.0, 4.0, -5.0])
got = relu_vjp(upstream, x)
assert np.allclose(got, [0.0, 3.0, 0.0, 0.0]), (
    f"At x = 0 ReLU is flat (slope 0), so no gradient passes: relu_vjp({upstream}, {x}) should be "
    f"[0, 3, 0, 0], got {got}. Use x > 0, not x >= 0.")
### END HIDDEN TESTS

# %% [markdown]
# ### ReLU's gradient as bars
#
# Your `relu_vjp`, on a random vector: the upstream gradient, the mask where $x > 0$, and what gets
# through. Slide the shift to move $x$ across zero and watch entries switch off.

# %%
from course.widgets import ReluGradients

ReluGradients(relu_vjp=relu_vjp)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-elementwise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Every element-wise function works the same way
#
# ReLU is not special. Any function applied element by element, $y_i = f(x_i)$ (sigmoid, tanh, exp, ...),
# has a **diagonal** Jacobian, $\mathrm{diag}(f'(x))$, so its VJP is
#
# $$J^T u = f'(x) \odot u \qquad \text{(local derivative times upstream, element by element).}$$
#
# The backward pass never needs more than the vector of local derivatives. Several of them are
# cheapest to compute from the **output** $y = f(x)$, which the forward pass has already computed:
#
# | $f$ | $f'(x)$ | in terms of the output $y$ |
# |---|---|---|
# | $e^x$ | $e^x$ | $y$ |
# | $\tanh x$ | $1 - \tanh^2 x$ | $1 - y^2$ |
# | $\sigma(x) = \frac{1}{1 + e^{-x}}$ | $\sigma(x)\,(1 - \sigma(x))$ | $y\,(1 - y)$ |
#
# Careful: "in terms of the output" means the formula $y(1-y)$ with $y = \sigma(x)$. It does **not**
# mean evaluating the derivative function at the output: $\sigma'(y) = \sigma(y)(1 - \sigma(y))$ applies
# $\sigma$ twice and is a different, wrong curve. The figure shows both.

# %%
t = np.linspace(-6, 6, 400)
s = course.sigmoid(t)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(t, s, color=FORWARD_COLOR, label=r"$y = \sigma(x)$ (forward)")
ax.plot(t, s * (1 - s), color=GRADIENT_COLOR, label=r"$\sigma'(x) = y\,(1-y)$ (right)")
ax.plot(t, course.sigmoid(s) * (1 - course.sigmoid(s)), color=MISMATCH_COLOR, linestyle="--",
        label=r"$\sigma'(y) = \sigma(y)(1-\sigma(y))$ (wrong: $\sigma'$ at the output)")
ax.set_xlabel("x")
ax.legend(loc="upper left", fontsize=9)
ax.set_title("The sigmoid's local gradient, and a classic mistake")
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-elementwise-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 3: `sigmoid_vjp`, `tanh_vjp`, `exp_vjp`
#
# **What to do.** Write the three backward rules. Each receives the upstream gradient (the shape of
# `x`) and the forward input `x`, and returns $\frac{\partial L}{\partial x}$, the shape of `x`.
#
# **Approach.** Compute the forward output $y$ from `x`, turn it into the local derivative with the
# table above, and multiply by `upstream` element by element.
#
# **Example.** At $x = 0$: $\sigma(0) = 0.5$, so $\sigma'(0) = 0.25$ and
# `sigmoid_vjp(np.array([2.0]), np.array([0.0]))` is `[0.5]`.
#
# **Hints.**
# - Use `course.sigmoid(x)` for $\sigma(x)$ (it does not overflow for large negative $x$), `np.tanh`, `np.exp`.
# - Multiply by `upstream` in every rule: without it, you return $f'(x)$, not $\frac{\partial L}{\partial x}$.

# %% nbgrader={"grade": false, "grade_id": "elementwise-vjps", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_vjp(upstream, x):
    """dL/dx for y = sigmoid(x), element-wise. The shape of x."""
    ### BEGIN SOLUTION
    y = course.sigmoid(x)
    return upstream * y * (1.0 - y)
    ### END SOLUTION


def tanh_vjp(upstream, x):
    """dL/dx for y = tanh(x), element-wise. The shape of x."""
    ### BEGIN SOLUTION
    y = np.tanh(x)
    return upstream * (1.0 - y * y)
    ### END SOLUTION


def exp_vjp(upstream, x):
    """dL/dx for y = exp(x), element-wise. The shape of x."""
    ### BEGIN SOLUTION
    return upstream * np.exp(x)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-elementwise-vjps", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([-2.0, -0.5, 0.0, 1.5])
upstream = np.array([1.0, -2.0, 0.5, 3.0])
y = course.sigmoid(x)
if np.allclose(sigmoid_vjp(upstream, x), upstream * course.sigmoid(y) * (1 - course.sigmoid(y))):
    raise AssertionError("sigmoid_vjp evaluates sigma' at the output: sigma(y) * (1 - sigma(y)) "
                         "applies the sigmoid twice. The local gradient is y * (1 - y) with "
                         "y = sigmoid(x).")
got = sigmoid_vjp(np.array([2.0]), np.array([0.0]))
assert np.allclose(got, [0.5]), (
    f"sigmoid_vjp(upstream=[2.0], x=[0.0]) should be 2 * sigma'(0) = 2 * 0.25 = 0.5, got {got}")

for name, f, vjp_fn in [("sigmoid_vjp", course.sigmoid, sigmoid_vjp),
                        ("tanh_vjp", np.tanh, tanh_vjp),
                        ("exp_vjp", np.exp, exp_vjp)]:
    try:
        check_vjp(f, vjp_fn, x, upstream=upstream)
    except GradientError as err:
        raise AssertionError(f"{name} is wrong.\n{err}") from None
u = upstream.copy()
for vjp_fn in (sigmoid_vjp, tanh_vjp, exp_vjp):
    vjp_fn(u, x)
assert np.array_equal(u, upstream), f"{vjp_fn.__name__} changed upstream in place: return a new array"

# %% nbgrader={"grade": true, "grade_id": "test-elementwise-vjps-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(sigmoid_vjp(np.ones(2), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
for name, f, vjp_fn in [("sigmoid_vjp", course.sigmoid, sigmoid_vjp),
                        ("tanh_vjp", np.tanh, tanh_vjp),
                        ("exp_vjp", np.exp, exp_vjp)]:
    for shape, seed in [((1,), 21), ((4, 5), 22), ((2, 3, 4), 23)]:
        (x,) = random_inputs(shape, seed=seed)
        try:
            check_vjp(f, vjp_fn, 2.0 * x, seed=seed)
        except GradientError as err:
            raise AssertionError(f"{name} is wrong for an input of shape {shape}.\n{err}") from None
x = np.array([-8.0, 8.0])
got = sigmoid_vjp(np.array([1.0, 1.0]), x)
s = course.sigmoid(x)
assert np.allclose(got, s * (1 - s), rtol=1e-9, atol=0), f"sigmoid_vjp is wrong for large |x|: {got}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-reductions", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Reductions: `sum` and `mean`
#
# $y = \sum_j x_j$ maps $\mathbb{R}^n$ to a number, and $\partial y/\partial x_j = 1$ for every $j$.
# So $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\cdot(1, 1, \dots, 1)$: the single
# upstream number is **copied** to every element. This is the add gate's "distributor" rule, with
# $n$ inputs at once.
#
# With an axis, each output is a sum over one line of the input. For `x` of shape (3, 4),
# `y = x.sum(axis=1)` has shape (3,) and $y_i = \sum_j x_{ij}$; element $x_{ij}$ only feeds $y_i$, so it
# receives $\frac{\partial L}{\partial y_i}$. The backward pass copies the upstream gradient back
# along the axis that was summed away. `mean` divides by the number of summed elements, and so does
# its gradient.
#
# ### Exercise 4: `sum_vjp(upstream, x, axis=None)` and `mean_vjp(upstream, x, axis=None)`
#
# **What to do.** Return $\frac{\partial L}{\partial x}$ (the shape of `x`) for `y = x.sum(axis=axis)`
# and for `y = x.mean(axis=axis)`. `axis` is `None` (reduce everything: `upstream` is a single number,
# an array of shape `()`) or one integer, possibly negative. `upstream` has the shape of `y`.
#
# **Approach.** Put back the reduced axis as an axis of length 1, then broadcast to `x.shape`.
# For `mean`, divide by the number of elements that were averaged.
#
# **Example.** For `x` of shape (3, 4), `axis=1` and `upstream = [1, -2, 0.5]`, row 0 of the result is
# all 1, row 1 all -2, row 2 all 0.5.
#
# **Hints.**
# - `np.expand_dims(upstream, axis)` inserts the axis of length 1; `np.broadcast_to(a, x.shape)`
#   repeats it (it returns a read-only view: add `.copy()`).
# - Without restoring the axis, broadcasting lines up the *last* axes: it works for `axis=0` or
#   `axis=None` by luck and fails (or silently transposes) for the others.
# - The number of averaged elements is `x.size` for `axis=None`, else `x.shape[axis]`.
# - Never return `np.ones_like(x)`: that is the gradient of `y`, not of `L`; it ignores upstream.

# %% nbgrader={"grade": false, "grade_id": "reduction-vjps", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sum_vjp(upstream, x, axis=None):
    """dL/dx for y = x.sum(axis=axis); upstream has y's shape. The shape of x."""
    ### BEGIN SOLUTION
    g = np.asarray(upstream, dtype=float)
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, x.shape).copy()
    ### END SOLUTION


def mean_vjp(upstream, x, axis=None):
    """dL/dx for y = x.mean(axis=axis); upstream has y's shape. The shape of x."""
    ### BEGIN SOLUTION
    count = x.size if axis is None else x.shape[axis]
    return sum_vjp(upstream, x, axis) / count
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-reduction-vjps", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.arange(12.0).reshape(3, 4)
upstream = np.array([1.0, -2.0, 0.5])
try:
    got = sum_vjp(upstream, x, axis=1)
except ValueError as err:
    raise AssertionError(
        f"sum_vjp(upstream of shape (3,), x of shape (3, 4), axis=1) raised ValueError: {err}\n"
        f"Put the summed axis back first (np.expand_dims(upstream, axis) has shape (3, 1)), "
        f"then broadcast to x.shape.") from None
expected = np.array([[1.0] * 4, [-2.0] * 4, [0.5] * 4])
assert np.shape(got) == x.shape, f"sum_vjp must return an array of x's shape {x.shape}, got {np.shape(got)}"
assert np.allclose(got, expected), (
    f"sum_vjp(upstream={upstream}, x of shape (3, 4), axis=1) should copy upstream[i] along row i:\n"
    f"{expected}\ngot\n{got}")
assert np.allclose(mean_vjp(upstream, x, axis=1), expected / 4), (
    "mean_vjp(..., axis=1) should be sum_vjp(..., axis=1) divided by the 4 elements averaged per row")

(x,) = random_inputs((3, 4), seed=1)
for axis in [None, 0, 1, -1]:
    for name, f, vjp_fn in [("sum_vjp", np.sum, sum_vjp), ("mean_vjp", np.mean, mean_vjp)]:
        try:
            check_vjp(lambda x: f(x, axis=axis), lambda u, x: vjp_fn(u, x, axis=axis), x)
        except GradientError as err:
            raise AssertionError(f"{name} is wrong for axis={axis}.\n{err}") from None
got = sum_vjp(np.array(2.0), x)
got[0, 0] = 100.0      # the gradient must be an array of its own: writing to it changes nothing else
assert np.allclose(sum_vjp(np.array(2.0), x), 2.0), (
    "sum_vjp(2.0, x) should be 2 everywhere; if changing one result changed another, return a "
    "copy (np.broadcast_to gives a read-only view)")

# %% nbgrader={"grade": true, "grade_id": "test-reduction-vjps-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(sum_vjp(np.ones(2), np.ones((2, 3)), axis=1)) == (2, 3)
### BEGIN HIDDEN TESTS
for shape, axes, seed in [((1,), [None, 0], 31), ((5,), [None, 0, -1], 32),
                          ((4, 4), [None, 0, 1], 33), ((2, 3, 4), [None, 0, 1, 2, -1, -2], 34)]:
    (x,) = random_inputs(shape, seed=seed)
    for axis in axes:
        for name, f, vjp_fn in [("sum_vjp", np.sum, sum_vjp), ("mean_vjp", np.mean, mean_vjp)]:
            try:
                check_vjp(lambda x: f(x, axis=axis), lambda u, x: vjp_fn(u, x, axis=axis), x,
                          seed=seed)
            except GradientError as err:
                raise AssertionError(f"{name} is wrong for x of shape {shape}, axis={axis}.\n{err}") from None
got = sum_vjp(np.array(-3.0), np.ones((2, 2)))
assert np.allclose(got, -3.0 * np.ones((2, 2))), f"sum_vjp with axis=None must copy the upstream number everywhere, got {got}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-reduction-figure", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The figure shows the rule at work for the example above: the upstream gradient, one number per row,
# is copied along the summed axis.

# %%
x = np.arange(12.0).reshape(3, 4)
upstream = np.array([1.0, -2.0, 0.5])
fig, axes = plt.subplots(1, 3, figsize=(11, 3), gridspec_kw={"width_ratios": [4, 1.2, 4]})
show_matrix(axes[0], x, "forward input x, shape (3, 4)", cmap=FORWARD_CMAP)
show_matrix(axes[1], upstream[:, None], "upstream dL/dy\nshape (3,)", cmap=GRADIENT_CMAP, cols=[""])
show_matrix(axes[2], sum_vjp(upstream, x, axis=1), "dL/dx = sum_vjp(upstream, x, axis=1)",
            cmap=GRADIENT_CMAP)
fig.tight_layout()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Softmax: a Jacobian that is not diagonal
#
# Softmax turns scores into probabilities: $s_i = e^{x_i} / \sum_k e^{x_k}$. Every output depends on
# **every** input, through the shared denominator, so the Jacobian is full. The quotient rule gives
#
# $$\frac{\partial s_i}{\partial x_j} = \frac{\delta_{ij}\,e^{x_i} \sum_k e^{x_k} - e^{x_i} e^{x_j}}{\left(\sum_k e^{x_k}\right)^2}
# = s_i\,(\delta_{ij} - s_j), \qquad J = \mathrm{diag}(s) - s\,s^T,$$
#
# where $\delta_{ij}$ is 1 if $i = j$ and 0 otherwise. $J$ is symmetric, so both layouts agree again.
# Raising one score pulls every other probability down: the off-diagonal entries are negative.
#
# ### Exercise 5: `softmax_jacobian(x)`
#
# **What to do.** Return the $n \times n$ Jacobian of softmax at a 1-D array `x` of length $n$.
#
# **Approach.** Compute $s$, then $\mathrm{diag}(s) - s s^T$.
#
# **Example.** For $x = (0, 0)$: $s = (0.5, 0.5)$ and $J = [[0.25, -0.25], [-0.25, 0.25]]$.
#
# **Hints.**
# - `course.softmax(x)` computes $s$ safely (it subtracts `x.max()` first, so `exp` cannot overflow).
# - `np.outer(s, s)` is $s s^T$; `np.diag(s)` is $\mathrm{diag}(s)$.
# - Only the diagonal, $s_i(1 - s_i)$, is not enough: that would be the Jacobian of an element-wise function.

# %% nbgrader={"grade": false, "grade_id": "softmax-jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_jacobian(x):
    """The Jacobian of softmax at x (1-D, length n): (n, n), J[i, j] = ds_i/dx_j."""
    ### BEGIN SOLUTION
    s = course.softmax(x)
    return np.diag(s) - np.outer(s, s)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-jacobian", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = softmax_jacobian(np.array([0.0, 0.0]))
expected = np.array([[0.25, -0.25], [-0.25, 0.25]])
assert np.shape(got) == (2, 2), f"softmax_jacobian of a length-2 x must be 2 x 2, got shape {np.shape(got)}"
assert np.allclose(got, expected), f"softmax_jacobian([0, 0]) should be\n{expected}\ngot\n{got}"

x = np.array([1.0, 2.0, 0.5, -1.0])
got = softmax_jacobian(x)
s = course.softmax(x)
assert np.shape(got) == (4, 4), f"softmax_jacobian of a length-4 x must be 4 x 4, got shape {np.shape(got)}"
if np.allclose(got, np.diag(s * (1 - s))):
    raise AssertionError("softmax_jacobian has only the diagonal s_i (1 - s_i). Every s_i depends on "
                         "every x_j: the off-diagonal entries are -s_i s_j.")
assert np.allclose(got, course.jacrev(course.softmax)(x)), (
    f"softmax_jacobian({x}) disagrees with the engine's course.jacrev(course.softmax):\n"
    f"expected\n{course.jacrev(course.softmax)(x)}\ngot\n{got}")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-jacobian-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(softmax_jacobian(np.ones(2))) == (2, 2)
### BEGIN HIDDEN TESTS
assert np.allclose(softmax_jacobian(np.array([3.0])), [[0.0]]), "softmax of one element is always 1: its Jacobian is [[0]]"
for n, seed in [(3, 41), (7, 42)]:
    (x,) = random_inputs((n,), seed=seed)
    assert np.allclose(softmax_jacobian(3.0 * x), course.jacrev(course.softmax)(3.0 * x)), (
        f"softmax_jacobian disagrees with the engine for n = {n}")
x = np.array([1000.0, 1001.0, 999.0])
got = softmax_jacobian(x)
assert np.all(np.isfinite(got)), "softmax_jacobian overflows for large x: compute softmax with x - x.max() (course.softmax does)"
assert np.allclose(got, course.jacrev(course.softmax)(x)), "softmax_jacobian is wrong for large x"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-figure", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Side by side, the two Jacobians of this notebook: ReLU's is diagonal (and mostly zeros), softmax's
# has no zero at all.

# %%
x = np.array([1.0, 2.0, 0.5, -1.0])
labels = [f"{k + 1}" for k in range(x.size)]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
show_bars(axes[0], x, "forward input x", FORWARD_COLOR, labels)
show_matrix(axes[1], relu_jacobian(x), "ReLU: diagonal", rows=labels, cols=labels)
show_matrix(axes[2], softmax_jacobian(x), "softmax: diag(s) - s s^T, full", rows=labels, cols=labels)
fig.tight_layout()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Softmax's VJP without its Jacobian
#
# The Jacobian is full, but it has structure, and that is enough to avoid building it:
#
# $$J^T u = (\mathrm{diag}(s) - s s^T)\,u = s \odot u - s\,(s^T u) = s \odot \big(u - \langle u, s\rangle\big).$$
#
# One inner product $\langle u, s\rangle = \sum_k u_k s_k$ (a single number), one subtraction, one
# element-wise product: $O(n)$ work and memory instead of $O(n^2)$.
#
# ### Exercise 6: `softmax_vjp(upstream, x)`
#
# **What to do.** Return $\frac{\partial L}{\partial x}$ for $s = $ `course.softmax(x)`, where softmax
# acts along the **last axis**. `x` can be a vector (shape `(n,)`) or a batch of score vectors, one per
# row (shape `(N, n)`, or more axes): each row is an independent softmax.
#
# **Approach.** Compute `s`; compute $\langle u, s\rangle$ for each row; apply the formula above.
#
# **Example.** For `x = [0, 0]` and `upstream = [1, 0]`: $s = (0.5, 0.5)$, $\langle u, s\rangle = 0.5$,
# and the result is $0.5 \cdot (1 - 0.5,\ 0 - 0.5) = (0.25, -0.25)$, the first row of the Jacobian
# from the exercise above.
#
# **Hints.**
# - Per row: `(upstream * s).sum(axis=-1, keepdims=True)`. `keepdims=True` keeps a length-1 last axis,
#   so the subtraction broadcasts over each row.
# - `s * upstream` alone treats the Jacobian as diagonal: the $-\langle u, s\rangle$ term is what the
#   off-diagonal entries contribute.

# %% nbgrader={"grade": false, "grade_id": "softmax-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_vjp(upstream, x):
    """dL/dx for s = softmax(x) along the last axis; upstream has x's shape. The shape of x."""
    ### BEGIN SOLUTION
    s = course.softmax(x, axis=-1)
    return s * (upstream - (upstream * s).sum(axis=-1, keepdims=True))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-vjp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = softmax_vjp(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
assert np.allclose(got, [0.25, -0.25]), f"softmax_vjp(upstream=[1, 0], x=[0, 0]) should be [0.25, -0.25], got {got}"

x = np.array([1.0, 2.0, 0.5, -1.0])
u = np.array([0.5, -1.0, 2.0, 1.0])
s = course.softmax(x)
got = softmax_vjp(u, x)
assert np.shape(got) == x.shape, f"softmax_vjp must return an array of x's shape {x.shape}, got {np.shape(got)}"
if np.allclose(got, s * u):
    raise AssertionError("softmax_vjp returns s * upstream: that treats the Jacobian as diagonal. "
                         "Subtract <upstream, s> from upstream before multiplying by s.")
expected = course.jacrev(course.softmax)(x).T @ u      # J.T @ u, with the engine's Jacobian
assert np.allclose(got, expected), f"softmax_vjp({u}, {x}) should be J.T @ upstream = {expected}, got {got}"

# A batch: 3 rows, each its own softmax.
(X,) = random_inputs((3, 4), seed=2)
U = np.arange(12.0).reshape(3, 4) / 6 - 1
S = course.softmax(X)
if np.allclose(softmax_vjp(U, X), S * (U - np.sum(U * S))):
    raise AssertionError("softmax_vjp takes one inner product over the whole batch. Each row is its "
                         "own softmax: compute <upstream, s> per row, with .sum(axis=-1, keepdims=True).")
check_vjp(course.softmax, softmax_vjp, X)
U = np.ones((3, 4))
assert np.allclose(softmax_vjp(U, X), 0.0) and np.array_equal(U, np.ones((3, 4))), (
    "An upstream gradient that is the same for every class has no effect (softmax does not change "
    "when all scores move together), so softmax_vjp(ones, X) must be 0 everywhere, and must leave "
    f"upstream unchanged; got\n{softmax_vjp(np.ones((3, 4)), X)}")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(softmax_vjp(np.ones(2), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
for shape, seed in [((1,), 51), ((6,), 52), ((5, 3), 53), ((2, 3, 4), 54), ((1, 7), 55)]:
    (x,) = random_inputs(shape, seed=seed)
    check_vjp(course.softmax, softmax_vjp, 2.0 * x, seed=seed)
x = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
u = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
got = softmax_vjp(u, x)
assert np.all(np.isfinite(got)), "softmax_vjp overflows for large x: use course.softmax (it subtracts the max)"
assert np.allclose(got, course.vjp(course.softmax, x)[1](u)[0]), "softmax_vjp is wrong for large scores"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-jacobian-from-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Rebuilding a Jacobian from VJPs
#
# A VJP computes $J^T u$ for any $u$ we like. Choose $u = e_i$, the $i$-th basis vector (1 at
# position $i$, 0 elsewhere): $J^T e_i$ is **row $i$ of $J$**, the gradient of the single output $y_i$.
# So $m$ VJPs, one per output, give the whole $m \times n$ Jacobian, one row each. This is exactly how
# `course.jacrev` works ("rev" for reverse mode: one backward pass per output). Its twin
# `course.jacfwd` builds the same matrix one *column* at a time, with one forward-mode pass per input.
#
# ### Exercise 7: `jacobian_from_vjp(f, vjp_fn, x)`
#
# **What to do.** Given a function `f` from a 1-D array `x` (length $n$) to a 1-D array (length $m$)
# and its backward rule `vjp_fn(upstream, x)`, return the Jacobian of `f` at `x` in **numerator
# layout**: shape $(m, n)$, the same as `course.jacrev(f)(x)`.
#
# **Approach.** Find $m$ from `f(x)`. For each output $i$, build $e_i$, call `vjp_fn(e_i, x)`, and keep
# the result as row $i$.
#
# **Example.** For `f = lambda x: A @ x` with `vjp_fn = lambda u, x: A.T @ u`, the result is `A` itself.
#
# **Hints.**
# - `np.zeros(m)` then set one entry to 1 (or take row `i` of `np.eye(m)`).
# - `np.stack(rows)` stacks the rows along a new first axis: shape $(m, n)$. Stacking them as
#   columns gives the lecture's $n \times m$ layout, which is not what is asked for here.

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


# %% nbgrader={"grade": true, "grade_id": "test-jacobian-from-vjp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[1.0, 2.0, 3.0],
              [4.0, 5.0, 6.0]])
x = np.array([0.5, -1.0, 2.0])
got = jacobian_from_vjp(lambda x: A @ x, lambda u, x: A.T @ u, x)
assert np.shape(got) == (2, 3), (
    f"f maps 3 numbers to 2, so its Jacobian in numerator layout is 2 x 3 (one row per output); "
    f"got shape {np.shape(got)}" + (" (rows and columns swapped: stack the VJPs as rows)"
                                     if np.shape(got) == (3, 2) else ""))
assert np.allclose(got, A), f"The Jacobian of x -> A @ x is A =\n{A}\ngot\n{got}"


def neighbour_products_vjp(u, x):      # the backward rule of y = (x1*x2, x2*x3)
    return np.array([u[0] * x[1], u[0] * x[0] + u[1] * x[2], u[1] * x[1]])


x = np.array([1.0, 2.0, 3.0])
got = jacobian_from_vjp(neighbour_products, neighbour_products_vjp, x)
assert np.allclose(got, course.jacrev(neighbour_products)(x)), (
    f"jacobian_from_vjp(neighbour_products, ...) should match course.jacrev:\n"
    f"{course.jacrev(neighbour_products)(x)}\ngot\n{got}")

# %% nbgrader={"grade": true, "grade_id": "test-jacobian-from-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
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
for name, f, vjp_fn, jac in [("relu", course.relu, relu_vjp, relu_jacobian),
                             ("softmax", course.softmax, softmax_vjp, softmax_jacobian)]:
    from_vjps = jacobian_from_vjp(f, vjp_fn, x)
    print(f"{name:8s} from your VJPs vs your Jacobian: rel. error {rel_error(from_vjps, jac(x)):.1e}; "
          f"vs course.jacrev: {rel_error(from_vjps, course.jacrev(f)(x)):.1e}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-cost", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. What the Jacobian costs
#
# The cell below measures it. For ReLU on vectors of growing length $n$, it builds the explicit Jacobian
# and applies it ($J^T u$), then applies your mask instead, and records the memory and the time of
# each. The Jacobian has $n^2$ entries; the VJP touches $n$.

# %%
sizes = [100, 300, 1000, 3000]
rng = np.random.default_rng(0)
rows = []
for n in sizes:
    x, u = rng.standard_normal(n), rng.standard_normal(n)
    start = time.perf_counter()
    J = relu_jacobian(x)
    explicit = J.T @ u
    t_jac = time.perf_counter() - start
    start = time.perf_counter()
    implicit = relu_vjp(u, x)
    t_vjp = time.perf_counter() - start
    assert np.allclose(explicit, implicit)
    rows.append((n, J.nbytes, implicit.nbytes, t_jac, t_vjp))
    del J
print(f"{'n':>6} {'Jacobian bytes':>15} {'VJP bytes':>10} {'Jacobian time':>14} {'VJP time':>10}")
for n, jb, vb, tj, tv in rows:
    print(f"{n:>6} {jb:>15,} {vb:>10,} {tj * 1e3:>11.2f} ms {tv * 1e3:>7.3f} ms")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(sizes, [r[1] for r in rows], "o-", color="0.4", label=r"explicit Jacobian ($n^2$ floats)")
ax.loglog(sizes, [r[2] for r in rows], "o-", color=GRADIENT_COLOR, label=r"VJP ($n$ floats)")
ax.set_xlabel("n (length of x)")
ax.set_ylabel("bytes")
ax.legend()
ax.set_title("Memory of one ReLU backward step")
plt.show()

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
#   - element-wise functions (ReLU, sigmoid, tanh, exp): local derivative times upstream, element by element;
#     a mask for ReLU;
#   - `sum` and `mean`: copy the upstream gradient back along the reduced axis (divided by the count for `mean`);
#   - softmax: $s \odot (u - \langle u, s\rangle)$, even though its Jacobian is full.
# - A Jacobian can be rebuilt from VJPs, one row per output, which is what `jacrev` does; the price is
#   $n^2$ memory against $n$, which is why nobody does it inside a network.
#
# Next: matrices. With $y = xW$ the Jacobian becomes a 4-D array, and the same reasoning gives
# $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^T$.
