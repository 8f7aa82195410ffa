# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 04 · Backprop with matrices: $y = xW$, and a two-layer network
#
# A layer of a neural network takes a whole batch of examples at once: a matrix in, a matrix out.
# This notebook works out the backward pass of the most important matrix operation, $y = xW$, one
# entry at a time and then all at once; adds the other pieces of a classifier (bias, ReLU, softmax
# with cross-entropy); and assembles a two-layer network from **your own** backward rules, checks it
# against the course's engine, and trains it.
#
# **What you will learn**
# - why the Jacobian of $y = xW$ is a 4-D array, and why nobody builds it;
# - how one entry $\frac{\partial L}{\partial x_{ij}}$ is an **inner product of two matrices**
#   (not a matrix product);
# - $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^T$ and
#   $\frac{\partial L}{\partial W} = x^T \frac{\partial L}{\partial y}$, with the shapes as your guide;
# - the backward rules of a bias add (sum over the batch), ReLU, and softmax + cross-entropy ($p - y$);
# - how to assemble, check and train a two-layer network on a data set of spirals.
#
# In the figures, forward values are blue and gradients orange.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import numpy as np
import matplotlib.pyplot as plt

import course
from course.gradcheck import GradientError, check_vjp, numerical_grad, random_inputs, rel_error
from course.figures import (FORWARD_CMAP, FORWARD_COLOR, GRADIENT_CMAP, GRADIENT_COLOR,
                            MISMATCH_COLOR, show_matrix)

np.set_printoptions(precision=4, suppress=True)

# %% jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "plot-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Plotting helpers for the figures of this notebook (no need to read them; heatmaps are
# course.figures.show_matrix).
CLASS_COLORS = ["#2b8a3e", "#7048e8", "#e8a100"]


def draw_two_layer_network():
    # The network's graph: forward wires in blue (with shapes), backward wires in orange, and under
    # each gate the backward rule that turns the gradient on its right into the ones on its left.
    fig, ax = plt.subplots(figsize=(14, 4.2))
    gates = ["@", "+", "relu", "@", "+", "softmax\n+ CE"]
    rules = ["matmul_vjp", "bias_add_vjp", "relu_vjp", "matmul_vjp", "bias_add_vjp",
             "softmax_cross_entropy"]
    params = {0: ("W1 (D, H)", "dW1"), 1: ("b1 (H,)", "db1"), 3: ("W2 (H, C)", "dW2"),
              4: ("b2 (C,)", "db2")}
    wires = ["X (N, D)", "a1 (N, H)", "z1 (N, H)", "h (N, H)", "a2 (N, C)", "scores (N, C)"]
    grads = ["dX", "da1", "dz1", "dh", "da2", "dscores"]
    step = 2.5
    gx = [step * (k + 1) for k in range(len(gates))]
    box = dict(boxstyle="round,pad=0.35", facecolor="#f4f6f8", edgecolor="0.3")
    for k, g in enumerate(gates):
        ax.text(gx[k], 0, g, ha="center", va="center", fontsize=11, bbox=box)
        ax.text(gx[k], -1.05, rules[k], ha="center", va="center", fontsize=9, color=GRADIENT_COLOR,
                style="italic")
    left_ends = [0.25] + [g + 0.35 for g in gx[:-1]]
    right_ends = [g - 0.35 for g in gx[:-1]] + [gx[-1] - 0.6]
    for k in range(len(wires)):
        a, b = left_ends[k], right_ends[k]
        ax.annotate("", xy=(b, 0.05), xytext=(a, 0.05),
                    arrowprops=dict(arrowstyle="->", color=FORWARD_COLOR, lw=1.6))
        ax.text((a + b) / 2, 0.22, wires[k], ha="center", fontsize=9, color=FORWARD_COLOR)
        ax.annotate("", xy=(a, -0.25), xytext=(b, -0.25),
                    arrowprops=dict(arrowstyle="->", color=GRADIENT_COLOR, lw=1.6))
        ax.text((a + b) / 2, -0.55, grads[k], ha="center", fontsize=9, color=GRADIENT_COLOR)
    ax.text(0.0, 0.0, "X", ha="center", va="center", fontsize=12, color=FORWARD_COLOR)
    ax.annotate("", xy=(gx[-1] + 1.25, 0.0), xytext=(gx[-1] + 0.6, 0.0),
                arrowprops=dict(arrowstyle="->", color=FORWARD_COLOR, lw=1.6))
    ax.text(gx[-1] + 1.45, 0.0, "L", ha="center", va="center", fontsize=12, color=FORWARD_COLOR)
    for k, (label, grad) in params.items():
        ax.text(gx[k], 1.35, label, ha="center", va="center", fontsize=9, color=FORWARD_COLOR)
        ax.annotate("", xy=(gx[k] - 0.12, 0.35), xytext=(gx[k] - 0.12, 1.15),
                    arrowprops=dict(arrowstyle="->", color=FORWARD_COLOR, lw=1.2))
        ax.annotate("", xy=(gx[k] + 0.12, 1.15), xytext=(gx[k] + 0.12, 0.35),
                    arrowprops=dict(arrowstyle="->", color=GRADIENT_COLOR, lw=1.2))
        ax.text(gx[k] + 0.22, 0.75, grad, ha="left", va="center", fontsize=9, color=GRADIENT_COLOR)
    ax.set_xlim(-0.5, gx[-1] + 1.8)
    ax.set_ylim(-1.35, 1.6)
    ax.axis("off")
    ax.set_title("The two-layer network: forward (blue) and backward (orange); "
                 "under each gate, the rule you wrote for it", fontsize=11)
    plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-4d", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The Jacobian of $y = xW$ is a 4-D array
#
# A linear layer receives a batch of $N$ examples, each a row of $D$ features: $x$ has shape
# $N \times D$. Its weights $W$ have shape $D \times M$, and $y = xW$ has shape $N \times M$: row $n$
# of $y$ is the layer's output for example $n$.
#
# Every one of the $N \cdot M$ outputs may depend on every one of the $N \cdot D$ inputs, so
# $\frac{\partial y}{\partial x}$ has $N \cdot M \cdot N \cdot D$ entries, naturally arranged as a 4-D
# array. `course.jacrev` returns it with shape `y.shape + x.shape` $= (N, M, N, D)$. The cell below
# builds it for a small example that the rest of this section uses.

# %%
x = np.array([[1.0, -2.0, 0.5],
              [3.0, 1.0, -1.0]])             # N = 2 examples, D = 3 features
W = np.array([[2.0, -1.0, 0.0, 1.0],
              [1.0, 3.0, -2.0, 0.0],
              [-1.0, 0.0, 1.0, 2.0]])        # D = 3, M = 4
upstream = np.array([[1.0, -1.0, 2.0, 0.5],
                     [-2.0, 1.0, 0.0, 3.0]])  # dL/dy, the shape of y: N x M
N, D = x.shape
M = W.shape[1]

J = course.jacrev(lambda x: x @ W)(x)        # dy/dx
print("y = x @ W has shape", (x @ W).shape)
print("dy/dx has shape", J.shape, f"and {J.size} entries, of which {np.count_nonzero(J)} are not zero")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-4d-figure", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Flattened to a $(N \cdot M) \times (N \cdot D)$ matrix (one row per output $y_{nm}$, one column per
# input $x_{ij}$), the Jacobian shows its structure: output $y_{nm}$ depends only on row $n$ of $x$, so
# the blocks that mix two different examples are zero, and each block on the diagonal is $W^T$.

# %%
flat = J.reshape(N * M, N * D)
rows = [f"$y_{{{n + 1}{m + 1}}}$" for n in range(N) for m in range(M)]
cols = [f"$x_{{{i + 1}{j + 1}}}$" for i in range(N) for j in range(D)]
fig, ax = plt.subplots(figsize=(5.5, 6))
show_matrix(ax, flat, f"dy/dx flattened to {flat.shape[0]} x {flat.shape[1]}", rows=rows, cols=cols)
ax.axhline(M - 0.5, color="black", lw=1.5)
ax.axvline(D - 0.5, color="black", lw=1.5)
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-4d-size", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A realistic layer is another matter. The cell below computes the sizes for a batch of 64 examples
# and a layer of 4096 units with 4096 inputs, in float64 (8 bytes per number).

# %%
def human_bytes(count):
    size = count * 8.0                      # float64: 8 bytes per number
    for unit in ["bytes", "kB", "MB", "GB", "TB"]:
        if size < 1000 or unit == "TB":
            return f"{size:,.1f} {unit}"
        size /= 1000


n_batch, d_in, m_out = 64, 4096, 4096
for name, count in [("dy/dx, shape (N, M, N, D)", n_batch * m_out * n_batch * d_in),
                    ("dy/dW, shape (N, M, D, M)", n_batch * m_out * d_in * m_out),
                    ("dL/dx, shape (N, D)      ", n_batch * d_in),
                    ("dL/dW, shape (D, M)      ", d_in * m_out)]:
    print(f"{name}: {count:>22,} numbers = {human_bytes(count):>11}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-entry", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Nobody builds these Jacobians. The gradients we need have the size of $x$ and $W$; the rest of this
# notebook computes them directly.
#
# ## 2. One entry of $\frac{\partial L}{\partial x}$: an inner product of two matrices
#
# Take one input entry $x_{ij}$. It can affect $L$ through every output $y_{nm}$, so the chain rule
# sums over all of them:
#
# $$\frac{\partial L}{\partial x_{ij}} = \sum_{n=1}^{N}\sum_{m=1}^{M}
# \frac{\partial y_{nm}}{\partial x_{ij}}\,\frac{\partial L}{\partial y_{nm}}
# = \left\langle \frac{\partial y}{\partial x_{ij}},\ \frac{\partial L}{\partial y} \right\rangle .$$
#
# Both $\frac{\partial y}{\partial x_{ij}}$ and $\frac{\partial L}{\partial y}$ are $N \times M$ matrices.
# The sum multiplies them **element by element and adds everything up**: the inner product of two
# matrices, `np.sum(A * B)` in numpy. It is *not* the matrix product `A @ B`, which would not even
# fit ($N \times M$ times $N \times M$). The lecture's note puts it this way: just as entry $(i, j)$ of
# a matrix product is the inner product of row $i$ and column $j$, here entry $(i, j)$ of
# $\frac{\partial L}{\partial x}$ is the inner product of the $(i, j)$-th slice of the 4-D Jacobian with
# the upstream matrix.
#
# What is $\frac{\partial y}{\partial x_{ij}}$? Since $y_{nm} = \sum_k x_{nk} W_{km}$, the entry $x_{ij}$
# appears only in row $i$ of $y$ (example $i$), multiplied by $W_{jm}$ in column $m$:
#
# $$\frac{\partial y_{nm}}{\partial x_{ij}} = \begin{cases} W_{jm} & \text{if } n = i\\ 0 & \text{otherwise}\end{cases}
# \qquad\text{so } \frac{\partial y}{\partial x_{ij}} \text{ is zero except row } i\text{, which is row } j \text{ of } W.$$
#
# It is the slice `J[:, :, i, j]` of the 4-D Jacobian. The figure shows it for `x[0, 1]` (row 0,
# column 1, counting from 0 as numpy does), the upstream gradient, and their element-wise product,
# whose sum is $\frac{\partial L}{\partial x_{01}}$.

# %%
i, j = 0, 1
slice_ij = J[:, :, i, j]                     # dy/dx[i, j], an N x M matrix
product = slice_ij * upstream
fig, axes = plt.subplots(1, 3, figsize=(13, 2.8))
show_matrix(axes[0], slice_ij, f"dy/dx[{i}, {j}]: row {i} is W[{j}]")
show_matrix(axes[1], upstream, "upstream dL/dy", cmap=GRADIENT_CMAP)
show_matrix(axes[2], product, f"element-wise product; sum = {product.sum():.3g}", cmap=GRADIENT_CMAP)
fig.tight_layout()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-entry-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 1: one entry, the slow way: `dy_dx_entry(W, N, i, j)` and `grad_x_entry(upstream, W, i, j)`
#
# **What to do.**
# - `dy_dx_entry(W, N, i, j)` returns the $N \times M$ matrix $\frac{\partial y}{\partial x_{ij}}$ for
#   $y = xW$, where $x$ has $N$ rows.
# - `grad_x_entry(upstream, W, i, j)` returns the number $\frac{\partial L}{\partial x_{ij}}$ given the
#   upstream gradient (shape $N \times M$), as the inner product of `dy_dx_entry(...)` with `upstream`.
#
# Note that neither needs $x$ itself: $y$ is linear in $x$.
#
# **Approach.** Start from zeros of shape $(N, M)$ and fill in row $i$. Then multiply element by
# element and sum.
#
# **Example.** For the example above, `dy_dx_entry(W, 2, 0, 1)` is the left matrix of the figure and
# `grad_x_entry(upstream, W, 0, 1)` is the sum in the title of the right one.
#
# **Hints.**
# - `W[j]` is row $j$ of $W$ (length $M$); `W[:, j]` would be a column (length $D$).
# - `N = upstream.shape[0]`.
# - `np.sum(A * B)` is the inner product; `A @ B.T` is something else. Return a Python `float`.

# %% nbgrader={"grade": false, "grade_id": "grad-x-entry", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dy_dx_entry(W, N, i, j):
    """dy/dx[i, j] for y = x @ W, x of shape (N, D), W of shape (D, M): an (N, M) array."""
    ### BEGIN SOLUTION
    A = np.zeros((N, W.shape[1]))
    A[i] = W[j]
    return A
    ### END SOLUTION


def grad_x_entry(upstream, W, i, j):
    """dL/dx[i, j] for y = x @ W, given upstream = dL/dy of shape (N, M): a float."""
    ### BEGIN SOLUTION
    return float(np.sum(dy_dx_entry(W, upstream.shape[0], i, j) * upstream))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-grad-x-entry", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
J = course.jacrev(lambda x: x @ W)(x)                      # the example of section 1
try:
    got = dy_dx_entry(W, 2, 0, 1)
except ValueError as err:
    raise AssertionError(f"dy_dx_entry(W, 2, 0, 1) raised ValueError: {err}\n"
                         f"Row i of the result is row j of W, W[j] (length M), not a column W[:, j].") from None
assert np.shape(got) == (2, 4), f"dy_dx_entry(W, 2, 0, 1) has the shape of y, (2, 4); got {np.shape(got)}"
assert np.allclose(got, J[:, :, 0, 1]), (
    f"dy_dx_entry(W, 2, 0, 1) should be\n{J[:, :, 0, 1]}\n(row 0 is W[1], the rest zeros), got\n{got}")

value = grad_x_entry(upstream, W, 0, 1)
expected = np.sum(J[:, :, 0, 1] * upstream)
assert np.ndim(value) == 0, f"grad_x_entry returns one number, got an array of shape {np.shape(value)}"
if np.isclose(value, np.sum(J[:, :, 0, 1] @ upstream.T)) and not np.isclose(value, expected):
    raise AssertionError("grad_x_entry uses a matrix product. The chain rule multiplies the two "
                         "N x M matrices element by element and sums everything: np.sum(A * B).")
assert np.isclose(value, expected), f"grad_x_entry(upstream, W, 0, 1) should be {expected:.6g}, got {value}"
for i in range(2):
    for j in range(3):
        expected = np.sum(J[:, :, i, j] * upstream)
        assert np.isclose(grad_x_entry(upstream, W, i, j), expected), (
            f"grad_x_entry(upstream, W, {i}, {j}) should be {expected:.6g}, got {grad_x_entry(upstream, W, i, j)}")
assert np.shape(dy_dx_entry(W, 5, 4, 2)) == (5, 4), (
    "dy_dx_entry(W, N, i, j) has N rows (one per example) and as many columns as W: (N, M)")

# %% nbgrader={"grade": true, "grade_id": "test-grad-x-entry-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(dy_dx_entry(np.ones((2, 3)), 1, 0, 0)) == (1, 3)
### BEGIN HIDDEN TESTS
for (n, d, m), seed in [((1, 3, 4), 1), ((3, 2, 1), 2), ((4, 5, 3), 3), ((3, 3, 3), 4)]:
    xh, Wh, uh = random_inputs((n, d), (d, m), (n, m), seed=seed)
    Jh = course.jacrev(lambda x: x @ Wh)(xh)
    for i in range(n):
        for j in range(d):
            assert np.allclose(dy_dx_entry(Wh, n, i, j), Jh[:, :, i, j]), (
                f"dy_dx_entry is wrong for W of shape {(d, m)}, N = {n}, (i, j) = ({i}, {j})")
            assert np.isclose(grad_x_entry(uh, Wh, i, j), np.sum(Jh[:, :, i, j] * uh)), (
                f"grad_x_entry is wrong for N, D, M = {n}, {d}, {m}, (i, j) = ({i}, {j})")
assert np.isclose(grad_x_entry(np.ones((1, 1)), np.full((1, 1), -2.0), 0, 0), -2.0)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-entry-all", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your function, applied to every entry, gives the whole gradient. The cell below fills
# $\frac{\partial L}{\partial x}$ entry by entry and compares it with one matrix product,
# `upstream @ W.T`.

# %%
by_entries = np.array([[grad_x_entry(upstream, W, i, j) for j in range(D)] for i in range(N)])
print("entry by entry:\n", by_entries)
print("upstream @ W.T:\n", upstream @ W.T)
print("relative error:", rel_error(by_entries, upstream @ W.T))

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-shapes", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. All entries at once, with the shapes as the guide
#
# Only row $i$ of $\frac{\partial y}{\partial x_{ij}}$ is non-zero, and it is row $j$ of $W$, so the
# inner product reduces to $\frac{\partial L}{\partial x_{ij}} = \sum_m \left(\frac{\partial L}{\partial y}\right)_{im} W_{jm}$:
# row $i$ of the upstream gradient dotted with row $j$ of $W$. That is entry $(i, j)$ of a matrix
# product, and the same reasoning for $W$ ($y_{nm}$ depends on $W_{jm}$ through $x_{nj}$) gives:
#
# $$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,W^T, \qquad
# \frac{\partial L}{\partial W} = x^T\,\frac{\partial L}{\partial y}.$$
#
# As the lecture warns, this is not a new rule of backpropagation: it is what the entry-by-entry chain
# rule gives when all the entries are written at once.
#
# **The shapes are the guide.** $\frac{\partial L}{\partial x}$ has the shape of $x$: one number per
# entry of $x$, saying how $L$ moves when that entry moves. Here $\frac{\partial L}{\partial y}$ is
# $N \times M$ and $W$ is $D \times M$; the only way to combine them into an $N \times D$ matrix is
# $\frac{\partial L}{\partial y} W^T$. The cell below tries the candidates. When you forget a formula,
# rebuild it this way. (When $N = D = M$ every candidate fits, though: the shapes remind you of the
# formula, the derivation above is why it is true.)

# %%
print(f"x: {x.shape}, W: {W.shape}, dL/dy: {upstream.shape}\n")
candidates = {"dL/dy @ W.T ": lambda: upstream @ W.T, "dL/dy @ W   ": lambda: upstream @ W,
              "W @ dL/dy.T ": lambda: W @ upstream.T, "x.T @ dL/dy ": lambda: x.T @ upstream,
              "dL/dy.T @ x ": lambda: upstream.T @ x}
for name, product in candidates.items():
    try:
        shape = product().shape
    except ValueError:
        print(f"{name} -> the shapes do not fit")
        continue
    verdict = ("the shape of x" if shape == x.shape else "the shape of W" if shape == W.shape else
               "the shape of x.T (this is dL/dx transposed)" if shape == x.shape[::-1] else
               "the shape of W.T (this is dL/dW transposed)")
    print(f"{name} -> {shape}: {verdict}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-matmul-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 2: the backward rule of a matrix product, `matmul_vjp(upstream, x, W)`
#
# **What to do.** For $y = xW$ with `x` of shape $(N, D)$ and `W` of shape $(D, M)$, return the tuple
# `(dx, dW)` $= \left(\frac{\partial L}{\partial x}, \frac{\partial L}{\partial W}\right)$ given the upstream
# gradient $\frac{\partial L}{\partial y}$ of shape $(N, M)$.
#
# **Approach.** The two formulas above. Check each result's shape against the shape of what it is
# the gradient of.
#
# **Example.** For the example of section 1, `dx` is the matrix printed at the end of section 2.
#
# **Hints.**
# - `A.T` transposes; `@` is the matrix product.
# - `dx` has shape $(N, D)$ like `x`; `dW` has shape $(D, M)$ like `W`. `upstream.T @ x` has shape
#   $(M, D)$: that is $\frac{\partial L}{\partial W}$ transposed.
# - Both gradients use `upstream`: the local derivatives alone are not the answer.

# %% nbgrader={"grade": false, "grade_id": "matmul-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_vjp(upstream, x, W):
    """(dL/dx, dL/dW) for y = x @ W; x: (N, D), W: (D, M), upstream = dL/dy: (N, M)."""
    ### BEGIN SOLUTION
    dx = upstream @ W.T
    dW = x.T @ upstream
    return dx, dW
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-vjp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
try:
    result = matmul_vjp(upstream, x, W)              # the example of section 1
except ValueError as err:
    raise AssertionError(
        f"matmul_vjp raised ValueError for x {x.shape}, W {W.shape}, upstream {upstream.shape}: {err}\n"
        f"Line up the shapes: dx must be {x.shape} = (N, M) @ (M, D), dW must be {W.shape} = (D, N) @ (N, M).") from None
assert isinstance(result, tuple) and len(result) == 2, "matmul_vjp must return a tuple (dx, dW)"
dx, dW = result
# The expected values, from the 4-D Jacobians: dL/dx[i, j] = sum over n, m of dy[n, m]/dx[i, j] * dL/dy[n, m].
Jx = course.jacrev(lambda x: x @ W)(x)              # (N, M, N, D)
JW = course.jacrev(lambda W: x @ W)(W)              # (N, M, D, M)
dx_expected = np.einsum("nm,nmij->ij", upstream, Jx)
dW_expected = np.einsum("nm,nmjk->jk", upstream, JW)
assert np.shape(dx) == x.shape, f"dx must have the shape of x, {x.shape}; got {np.shape(dx)}"
assert np.shape(dW) == W.shape, (
    f"dW must have the shape of W, {W.shape}; got {np.shape(dW)}" +
    (": transposed, use x.T @ upstream" if np.shape(dW) == W.shape[::-1] else ""))
assert np.allclose(dx, dx_expected), f"dx should be\n{dx_expected}\ngot\n{dx}"
assert np.allclose(dW, dW_expected), f"dW should be\n{dW_expected}\ngot\n{dW}"

# Random inputs and a random upstream gradient, checked against finite differences.
xr, Wr = random_inputs((4, 3), (3, 5), seed=3)
check_vjp(lambda x, W: x @ W, matmul_vjp, xr, Wr)
u = upstream.copy()
matmul_vjp(u, x, W)
assert np.array_equal(u, upstream), "matmul_vjp changed upstream in place: compute new arrays"

# %% nbgrader={"grade": true, "grade_id": "test-matmul-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(matmul_vjp(np.ones((1, 2)), np.ones((1, 3)), np.ones((3, 2)))) == 2
### BEGIN HIDDEN TESTS
for (n, d, m), seed in [((1, 3, 4), 11), ((5, 3, 1), 12), ((4, 1, 2), 13), ((3, 3, 3), 14),
                        ((6, 5, 2), 15), ((1, 1, 1), 16), ((2, 7, 2), 17)]:
    xh, Wh = random_inputs((n, d), (d, m), seed=seed)
    try:
        check_vjp(lambda x, W: x @ W, matmul_vjp, xh, Wh, seed=seed)
    except GradientError as err:
        raise AssertionError(f"matmul_vjp is wrong for x of shape {(n, d)} and W of shape {(d, m)}.\n{err}") from None
# Square shapes cannot catch a swapped or missing transpose: the values do.
xh, Wh, uh = random_inputs((3, 3), (3, 3), (3, 3), seed=18)
dx, dW = matmul_vjp(uh, xh, Wh)
assert np.allclose(dx, uh @ Wh.T) and np.allclose(dW, xh.T @ uh), "matmul_vjp is wrong for square matrices"
### END HIDDEN TESTS

# %% [markdown]
# ### The shapes, as pictures
#
# Your `matmul_vjp` on random matrices: $\partial L/\partial x = \partial L/\partial y\, W^T$ and
# $\partial L/\partial W = x^T\, \partial L/\partial y$ drawn as heatmaps. Change N, D and M and
# check that each gradient keeps the shape of what it is the gradient of.

# %%
from course.widgets import MatmulGradients

MatmulGradients(matmul_vjp=matmul_vjp)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-bias", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Bias: broadcasting forward, summing backward
#
# A layer adds a bias vector $b$ (shape $(M,)$) to every row: `y = x + b` with `x` of shape $(N, M)$.
# numpy **broadcasts** $b$: it is copied once per example. In graph terms, $b$ fans out to $N$ places,
# and the copy gate's backward rule applies: the gradients of all the copies **add up**. So
#
# $$\frac{\partial L}{\partial b} = \sum_{n=1}^{N} \left(\frac{\partial L}{\partial y}\right)_{n,:}
# \quad(\text{shape } (M,),\ \text{like } b), \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}.$$
#
# A gradient always has the shape of its variable: the sum over the batch is what brings the
# $(N, M)$ upstream back to $b$'s shape $(M,)$. The figure shows both directions for $N = 3$ examples.

# %%
bias = np.array([0.5, -1.0])
up = np.array([[1.0, 2.0], [-3.0, 0.5], [0.5, 1.0]])
fig, axes = plt.subplots(1, 4, figsize=(12, 2.8), gridspec_kw={"width_ratios": [1, 1, 1, 1]})
show_matrix(axes[0], bias[None, :], "b, shape (2,)", cmap=FORWARD_CMAP, rows=[""])
show_matrix(axes[1], np.broadcast_to(bias, up.shape), "forward: b copied\nto each of 3 rows", cmap=FORWARD_CMAP)
show_matrix(axes[2], up, "backward: upstream dL/dy\n(3, 2)", cmap=GRADIENT_CMAP)
show_matrix(axes[3], up.sum(axis=0)[None, :], "dL/db: the copies add up\nshape (2,)", cmap=GRADIENT_CMAP, rows=[""])
fig.tight_layout()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-bias-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 3: `bias_add_vjp(upstream, x, b)`
#
# **What to do.** For `y = x + b` with `x` of shape $(N, M)$ and `b` of shape $(M,)$, return the tuple
# `(dx, db)`.
#
# **Approach.** `dx` is the upstream gradient (the add gate passes it through); `db` sums it over the
# batch axis.
#
# **Example.** In the figure: `upstream` $(3, 2)$ gives `db` equal to the column sums, shape $(2,)$.
#
# **Hints.**
# - `upstream.sum(axis=0)` sums over the rows (the batch), leaving one number per column.
# - `db = upstream` has shape $(N, M)$, not $b$'s shape: the broadcast was not undone.
# - `upstream.mean(axis=0)` is $N$ times too small: each copy contributes its full gradient.

# %% nbgrader={"grade": false, "grade_id": "bias-add-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bias_add_vjp(upstream, x, b):
    """(dL/dx, dL/db) for y = x + b; x: (N, M), b: (M,) broadcast over the rows, upstream: (N, M)."""
    ### BEGIN SOLUTION
    return upstream, upstream.sum(axis=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-bias-add-vjp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
xb = np.zeros((3, 2))
bias = np.array([0.5, -1.0])
up = np.array([[1.0, 2.0], [-3.0, 0.5], [0.5, 1.0]])
result = bias_add_vjp(up, xb, bias)
assert isinstance(result, tuple) and len(result) == 2, "bias_add_vjp must return a tuple (dx, db)"
dx, db = result
expected_db = up[0] + up[1] + up[2]            # one gradient per copy of b, added up
assert np.shape(db) == bias.shape, (
    f"db must have the shape of b, {bias.shape}; got {np.shape(db)}" +
    (". b was copied to every row: sum the upstream gradient over the batch axis (axis=0)"
     if np.shape(db) == up.shape else ""))
assert np.allclose(db, expected_db), f"db should be the column sums of upstream, {expected_db}; got {db}"
assert np.shape(dx) == xb.shape and np.allclose(dx, up), f"dx should be upstream itself, got\n{dx}"

xr, br = random_inputs((5, 4), (4,), seed=5)
check_vjp(lambda x, b: x + b, bias_add_vjp, xr, br)
assert np.array_equal(up, [[1.0, 2.0], [-3.0, 0.5], [0.5, 1.0]]), "bias_add_vjp changed upstream in place"

# %% nbgrader={"grade": true, "grade_id": "test-bias-add-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(bias_add_vjp(np.ones((2, 3)), np.ones((2, 3)), np.ones(3))) == 2
### BEGIN HIDDEN TESTS
for (n, m), seed in [((1, 4), 21), ((5, 1), 22), ((3, 3), 23), ((6, 2), 24), ((1, 1), 25)]:
    xh, bh = random_inputs((n, m), (m,), seed=seed)
    try:
        check_vjp(lambda x, b: x + b, bias_add_vjp, xh, bh, seed=seed)
    except GradientError as err:
        raise AssertionError(f"bias_add_vjp is wrong for x of shape {(n, m)}.\n{err}") from None
uh = np.arange(9.0).reshape(3, 3)
dx, db = bias_add_vjp(uh, np.zeros((3, 3)), np.zeros(3))
assert np.allclose(db, [9.0, 12.0, 15.0]), f"db must sum over the batch (axis 0), not over the features: got {db}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-relu", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. ReLU on a batch
#
# ReLU is element-wise, so its backward rule does not care about shapes: the mask works on an
# $(N, H)$ matrix of pre-activations exactly as on a vector.
#
# ### Exercise 4: `relu_vjp(upstream, x)` again
#
# **What to do.** Return $\frac{\partial L}{\partial x}$ for $y = \mathrm{relu}(x)$, `x` of any shape:
# `upstream` where `x > 0`, 0 where `x <= 0`. (You wrote this rule in the vector notebook: reuse it.)
#
# **Approach.** A mask made from the forward input `x`, applied to `upstream`.
#
# **Example.** `relu_vjp(np.array([[1.0, 2.0]]), np.array([[-1.0, 3.0]]))` is `[[0.0, 2.0]]`.
#
# **Hints.**
# - `upstream * (x > 0)`; slope 0 at exactly 0.
# - Return a new array; do not change `upstream` in place.

# %% nbgrader={"grade": false, "grade_id": "relu-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_vjp(upstream, x):
    """dL/dx for y = relu(x): upstream where x > 0, 0 where x <= 0. The shape of x."""
    ### BEGIN SOLUTION
    return upstream * (x > 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu-vjp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
z = np.array([[1.0, -2.0, 3.0], [-1.0, 0.5, -0.5]])
up = np.array([[4.0, -1.0, 5.0], [9.0, 2.0, -3.0]])
got = relu_vjp(up, z)
expected = np.array([[4.0, 0.0, 5.0], [0.0, 2.0, 0.0]])
assert np.shape(got) == z.shape, f"relu_vjp must return an array of x's shape {z.shape}, got {np.shape(got)}"
assert np.allclose(got, expected), (
    f"relu_vjp should keep upstream where x > 0 and put 0 elsewhere:\n{expected}\ngot\n{got}")
(zr,) = random_inputs((4, 6), seed=6)
check_vjp(course.relu, relu_vjp, zr)
assert np.array_equal(up, [[4.0, -1.0, 5.0], [9.0, 2.0, -3.0]]), "relu_vjp changed upstream in place"

# %% nbgrader={"grade": true, "grade_id": "test-relu-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(relu_vjp(np.ones((1, 2)), np.ones((1, 2)))) == (1, 2)
### BEGIN HIDDEN TESTS
for shape, seed in [((1, 1), 31), ((7, 3), 32), ((5,), 33)]:
    (zh,) = random_inputs(shape, seed=seed)
    check_vjp(course.relu, relu_vjp, zh, seed=seed)
got = relu_vjp(np.array([[2.0, -3.0], [1.0, 4.0]]), np.array([[0.0, 1.0], [-1.0, 0.0]]))
assert np.allclose(got, [[0.0, -3.0], [0.0, 0.0]]), f"at x = 0 ReLU passes no gradient (x > 0, not x >= 0); got {got}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-ce", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Softmax and cross-entropy, together: $p - y$
#
# A classifier's last layer produces **scores** (logits), shape $(N, C)$: one row per example, one
# column per class. Softmax turns each row into probabilities $p$, and the cross-entropy loss is the
# mean over the batch of $-\log p_{n, y_n}$, where $y_n$ is the correct class of example $n$.
#
# For one example (drop the index $n$) with scores $s$ and correct class $c$:
# $L = -\log \frac{e^{s_c}}{\sum_k e^{s_k}} = -s_c + \log \sum_k e^{s_k}$, so
#
# $$\frac{\partial L}{\partial s_k} = -[k = c] + \frac{e^{s_k}}{\sum_{k'} e^{s_{k'}}} = p_k - [k = c].$$
#
# The full softmax Jacobian (the previous notebook) collapses to "probabilities minus the one-hot
# label": the correct class is pushed up by $1 - p_c$, every other class pushed down by its
# probability. The batch loss is a **mean**, so every row of the gradient is divided by $N$:
#
# $$\frac{\partial L}{\partial s} = \frac{p - \mathrm{onehot}(y)}{N}.$$
#
# **Stability.** $e^{s}$ overflows for scores around 710 and above. Subtracting each row's maximum
# first changes nothing mathematically (softmax does not change when all scores shift together) and
# keeps every exponent $\le 0$. For the loss use $\log p = (s - \max s) - \log \sum_k e^{s_k - \max s}$.
#
# ### Exercise 5: `softmax_cross_entropy(logits, labels)`
#
# **What to do.** Given `logits` of shape $(N, C)$ and integer `labels` of shape $(N,)$ (each in
# $0 \dots C-1$), return the tuple `(loss, dlogits)`: the mean cross-entropy (a number) and its
# gradient with respect to the logits (shape $(N, C)$).
#
# **Approach.** Shift each row by its maximum, compute $\log p$ and $p$, pick out
# $\log p_{n, y_n}$ for the loss, and build $(p - \mathrm{onehot})/N$ for the gradient.
#
# **Example.** With one example, scores $(0, 0, 0)$ and label 0, every class has $p = 1/3$: the loss is
# $\log 3$ and `dlogits` is $(1/3 - 1,\ 1/3,\ 1/3)$.
#
# **Hints.**
# - `shifted = logits - logits.max(axis=1, keepdims=True)`;
#   `log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))`; `p = np.exp(log_p)`.
# - `log_p[np.arange(N), labels]` picks one entry per row. `np.eye(C)[labels]` is the one-hot matrix.
# - Sign: $p - \mathrm{onehot}$, not the other way round. Scale: divide by $N$.

# %% nbgrader={"grade": false, "grade_id": "softmax-cross-entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_cross_entropy(logits, labels):
    """(loss, dL/dlogits): mean cross-entropy of softmax(logits) for integer labels.

    logits: (N, C) scores; labels: (N,) integers in [0, C). loss: a float; dlogits: (N, C).
    """
    ### BEGIN SOLUTION
    N, C = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(N), labels].mean())
    dlogits = (np.exp(log_p) - np.eye(C)[labels]) / N
    return loss, dlogits
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-cross-entropy", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
loss, dlogits = softmax_cross_entropy(np.zeros((1, 3)), np.array([0]))
assert np.isclose(loss, np.log(3)), f"for scores (0, 0, 0) the loss is log 3 = {np.log(3):.6f}, got {loss}"
assert np.allclose(dlogits, [[1 / 3 - 1, 1 / 3, 1 / 3]]), f"for scores (0, 0, 0) and label 0, dlogits is (-2/3, 1/3, 1/3); got {dlogits}"

logits = np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0], [-1.0, 2.0, 0.0], [1.0, -2.0, 0.5]])
labels = np.array([0, 2, 0, 1])
loss, dlogits = softmax_cross_entropy(logits, labels)
expected_loss = course.cross_entropy(logits, labels)
expected = course.grad(course.cross_entropy)(logits, labels)
assert np.ndim(loss) == 0, f"the loss is one number (the mean over the batch), got shape {np.shape(loss)}"
assert np.isclose(loss, expected_loss), f"loss should be {expected_loss:.6f} (the mean over the batch of -log p[label]), got {loss}"
assert np.shape(dlogits) == logits.shape, f"dlogits must have the shape of logits, {logits.shape}; got {np.shape(dlogits)}"
if np.allclose(dlogits, -expected):
    raise AssertionError("dlogits has the wrong sign: it is p - onehot(labels), not onehot(labels) - p")
if np.allclose(dlogits, expected * len(labels)):
    raise AssertionError(f"dlogits is {len(labels)} times too large: the loss is a mean over the "
                         f"batch, so divide by N")
assert np.allclose(dlogits, expected), f"dlogits should be\n{expected}\ngot\n{dlogits}"
numeric = numerical_grad(lambda z: softmax_cross_entropy(z, labels)[0], logits)
assert rel_error(dlogits, numeric) < 1e-6, (
    f"dlogits disagrees with finite differences of your loss (relative error {rel_error(dlogits, numeric):.2g})")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-cross-entropy-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(softmax_cross_entropy(np.zeros((1, 2)), np.array([0]))) == 2
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(41)
for (n, c) in [(1, 2), (7, 5), (3, 10), (5, 1)]:
    logits_h = 3.0 * rng.standard_normal((n, c))
    labels_h = rng.integers(0, c, size=n)
    loss_h, d_h = softmax_cross_entropy(logits_h, labels_h)
    assert np.isclose(loss_h, course.cross_entropy(logits_h, labels_h)), f"wrong loss for N = {n}, C = {c}"
    assert np.allclose(d_h, course.grad(course.cross_entropy)(logits_h, labels_h)), f"wrong dlogits for N = {n}, C = {c}"
big = np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 499.0]])
labels_big = np.array([0, 2])
loss_big, d_big = softmax_cross_entropy(big, labels_big)
assert np.isfinite(loss_big) and np.all(np.isfinite(d_big)), (
    "softmax_cross_entropy overflows for large scores: subtract each row's max before exp")
assert np.isclose(loss_big, course.cross_entropy(big, labels_big)) and np.allclose(
    d_big, course.grad(course.cross_entropy)(big, labels_big)), "softmax_cross_entropy is wrong for large scores"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-network", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. A two-layer network from your own rules
#
# Now assemble the pieces. The network classifies points $X$ (shape $(N, D)$) into $C$ classes
# through a hidden layer of $H$ ReLU units:
#
# $$a_1 = X W_1,\quad z_1 = a_1 + b_1,\quad h = \mathrm{relu}(z_1),\quad a_2 = h W_2,\quad
# \text{scores} = a_2 + b_2,\quad L = \text{cross-entropy}(\text{scores}, y).$$
#
# The backward pass walks the same graph from right to left, and every step is one rule you wrote.
# The gradient of each parameter falls out of the rule of the gate that uses it.

# %%
draw_two_layer_network()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-network-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 6: `two_layer_forward_backward(params, X, y)`
#
# **What to do.** `params` is a dict with `"W1"` $(D, H)$, `"b1"` $(H,)$, `"W2"` $(H, C)$ and `"b2"`
# $(C,)$; `X` has shape $(N, D)$; `y` holds $N$ integer labels. Return `(loss, grads)`, where `grads`
# is a dict with the same keys as `params`, each gradient with the shape of its parameter.
#
# **Approach.**
# 1. Forward: compute $a_1, z_1, h, a_2$, scores, one line each, and keep them all: the backward
#    rules need them.
# 2. Backward, from the loss back to $X$:
#    `loss, dscores = softmax_cross_entropy(...)`, then `bias_add_vjp` (gives `db2`), `matmul_vjp`
#    (gives `dh` and `dW2`), `relu_vjp`, `bias_add_vjp` (`db1`), `matmul_vjp` (`dW1`).
#
# **Example.** The test below compares your loss and gradients with the course's engine, which
# differentiates the same network automatically.
#
# **Hints.**
# - Pass each rule the *forward input of its own gate*: `relu_vjp(dh, z1)` (the mask of $z_1$, the
#   input of the ReLU), `matmul_vjp(da2, h, W2)`.
# - Do not use the engine inside your function: it is what your function is checked against.
# - The gradient with respect to `X` is computed too, but it is not needed: `_, dW1 = matmul_vjp(...)`.

# %% nbgrader={"grade": false, "grade_id": "two-layer-forward-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def two_layer_forward_backward(params, X, y):
    """Loss and gradients of affine - relu - affine - softmax cross-entropy.

    params: {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}; X: (N, D); y: (N,) integer labels.
    Returns (loss, grads), grads a dict with params' keys, each the shape of its parameter.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    ### BEGIN SOLUTION
    a1 = X @ W1
    z1 = a1 + b1
    h = np.maximum(z1, 0.0)
    a2 = h @ W2
    scores = a2 + b2
    loss, dscores = softmax_cross_entropy(scores, y)
    da2, db2 = bias_add_vjp(dscores, a2, b2)
    dh, dW2 = matmul_vjp(da2, h, W2)
    dz1 = relu_vjp(dh, z1)
    da1, db1 = bias_add_vjp(dz1, a1, b1)
    _, dW1 = matmul_vjp(da1, X, W1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-two-layer-forward-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def engine_loss(W1, b1, W2, b2, X, y):
    # The same network, written with the course's engine: it computes the gradients by itself.
    h = course.relu(X @ W1 + b1)
    return course.cross_entropy(h @ W2 + b2, y)


def compare_with_engine(params, X, y):
    try:
        loss, grads = two_layer_forward_backward(params, X, y)
    except ValueError as err:
        raise AssertionError(
            f"two_layer_forward_backward raised ValueError: {err}\nA rule received arrays whose "
            f"shapes do not fit: check that each rule above passes its tests, and that you pass each "
            f"one the forward input of its own gate.") from None
    names = ("W1", "b1", "W2", "b2")
    ref_loss, ref_grads = course.value_and_grad(engine_loss, argnums=(0, 1, 2, 3))(
        *(params[k] for k in names), X, y)
    assert np.isclose(loss, ref_loss), f"the loss should be {float(ref_loss):.6f}, got {loss}"
    assert isinstance(grads, dict) and set(grads) == set(names), (
        f"grads must be a dict with the keys {names}; got {type(grads).__name__} "
        f"{sorted(grads) if isinstance(grads, dict) else ''}")
    for name in names:
        assert np.shape(grads[name]) == params[name].shape, (
            f"grads['{name}'] must have the shape of {name}, {params[name].shape}; got {np.shape(grads[name])}")
    errors = {name: rel_error(grads[name], ref) for name, ref in zip(names, ref_grads)}
    wrong = [name for name in names if errors[name] > 1e-8]
    if wrong:
        first = wrong[0]
        right = [name for name in names if name not in wrong]
        raise AssertionError(
            f"Gradients that disagree with the engine: {', '.join(wrong)}; that agree: "
            f"{', '.join(right) or 'none'}.\nThe backward pass computes them in the order b2, W2, "
            f"b1, W1: look for the mistake after the last step that agrees.\n"
            f"grads['{first}'] (relative error {errors[first]:.2g}): expected\n"
            f"{ref_grads[names.index(first)]}\ngot\n{grads[first]}")
    return loss, grads


X_t, W1_t, b1_t, W2_t, b2_t = random_inputs((6, 2), (2, 5), (5,), (5, 3), (3,), seed=7)
params_t = {"W1": W1_t, "b1": b1_t, "W2": W2_t, "b2": b2_t}
y_t = np.array([0, 1, 2, 2, 1, 0])
loss_t, grads_t = compare_with_engine(params_t, X_t, y_t)
# And against finite differences of your own loss, for W1.
numeric = numerical_grad(lambda W: two_layer_forward_backward({**params_t, "W1": W}, X_t, y_t)[0], W1_t)
assert rel_error(grads_t["W1"], numeric) < 1e-6, (
    f"grads['W1'] disagrees with finite differences of your loss (relative error "
    f"{rel_error(grads_t['W1'], numeric):.2g})")

# %% nbgrader={"grade": true, "grade_id": "test-two-layer-forward-backward-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(two_layer_forward_backward({'W1': np.ones((1, 1)), 'b1': np.ones(1), 'W2': np.ones((1, 2)), 'b2': np.ones(2)}, np.ones((1, 1)), np.array([0]))) == 2
### BEGIN HIDDEN TESTS
def _engine_loss(W1, b1, W2, b2, X, y):
    return course.cross_entropy(course.relu(X @ W1 + b1) @ W2 + b2, y)


def compare_with_engine(params, X, y):
    loss, grads = two_layer_forward_backward(params, X, y)
    names = ("W1", "b1", "W2", "b2")
    ref_loss, ref_grads = course.value_and_grad(_engine_loss, argnums=(0, 1, 2, 3))(
        *(params[k] for k in names), X, y)
    assert np.isclose(loss, ref_loss), f"wrong loss for X of shape {X.shape}"
    assert isinstance(grads, dict) and set(grads) == set(names), "grads must be a dict with keys W1, b1, W2, b2"
    for name, ref in zip(names, ref_grads):
        assert np.shape(grads[name]) == params[name].shape, f"grads['{name}'] must have the shape of {name}"
        assert rel_error(grads[name], ref) < 1e-8, f"grads['{name}'] is wrong for X of shape {X.shape}"
    return loss, grads


X_t, W1_t, b1_t, W2_t, b2_t = random_inputs((6, 2), (2, 5), (5,), (5, 3), (3,), seed=7)
params_t = {"W1": W1_t, "b1": b1_t, "W2": W2_t, "b2": b2_t}
y_t = np.array([0, 1, 2, 2, 1, 0])
_, grads_t = two_layer_forward_backward(params_t, X_t, y_t)
for (n, d, hdim, c), seed in [((1, 3, 4, 2), 51), ((10, 4, 7, 5), 52), ((5, 2, 1, 3), 53)]:
    X_h, W1_h, b1_h, W2_h, b2_h = random_inputs((n, d), (d, hdim), (hdim,), (hdim, c), (c,), seed=seed)
    y_h = np.random.default_rng(seed).integers(0, c, size=n)
    compare_with_engine({"W1": W1_h, "b1": b1_h, "W2": W2_h, "b2": b2_h}, X_h, y_h)
errors = {name: rel_error(grads_t[name], numerical_grad(
    lambda p, name=name: two_layer_forward_backward({**params_t, name: p}, X_t, y_t)[0], params_t[name]))
    for name in ("W1", "b1", "W2", "b2")}
assert max(errors.values()) < 1e-6, f"gradients disagree with finite differences: relative errors {errors}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-network-check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Here is the check written out for you to read: every gradient of your network against the engine and
# against finite differences. Relative errors around $10^{-8}$ or smaller mean the rules agree.

# %%
X_c, W1_c, b1_c, W2_c, b2_c = random_inputs((8, 2), (2, 6), (6,), (6, 3), (3,), seed=11)
params_c = {"W1": W1_c, "b1": b1_c, "W2": W2_c, "b2": b2_c}
y_c = np.array([0, 1, 2, 0, 1, 2, 0, 1])
loss_c, grads_c = two_layer_forward_backward(params_c, X_c, y_c)
_, engine_grads = course.value_and_grad(engine_loss, argnums=(0, 1, 2, 3))(W1_c, b1_c, W2_c, b2_c, X_c, y_c)
print(f"loss = {loss_c:.6f}\n")
print(f"{'param':6} {'shape':>8}  {'vs engine':>10}  {'vs finite differences':>22}")
for name, ref in zip(("W1", "b1", "W2", "b2"), engine_grads):
    numeric = numerical_grad(
        lambda p: two_layer_forward_backward({**params_c, name: p}, X_c, y_c)[0], params_c[name])
    print(f"{name:6} {str(params_c[name].shape):>8}  {rel_error(grads_c[name], ref):>10.1e}  "
          f"{rel_error(grads_c[name], numeric):>22.1e}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-spirals", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. Training on spirals
#
# The data set: points in the plane on three interleaved spiral arms, one class per arm, generated by
# the cell below with a fixed seed. No straight line separates the classes, so a linear classifier
# would fail; the hidden layer lets the network bend its decision boundaries.

# %%
def make_spirals(points_per_class=100, classes=3, noise=0.2, seed=0):
    # Three spiral arms: radius grows from the centre while the angle turns; a little noise on the angle.
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in range(classes):
        radius = np.linspace(0.05, 1.0, points_per_class)
        start = 2 * np.pi * c / classes
        angle = np.linspace(start, start + 4.0, points_per_class) + noise * rng.standard_normal(points_per_class)
        X.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        y.append(np.full(points_per_class, c))
    return np.concatenate(X), np.concatenate(y)


X_train, y_train = make_spirals()
print("X:", X_train.shape, " y:", y_train.shape, " classes:", np.bincount(y_train))
fig, ax = plt.subplots(figsize=(4.5, 4.5))
for c in range(3):
    ax.scatter(*X_train[y_train == c].T, s=14, color=CLASS_COLORS[c], label=f"class {c}")
ax.set_aspect("equal")
ax.legend(fontsize=8)
ax.set_title("The spiral data set")
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-training", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Training is plain gradient descent: repeat "compute the loss and the gradients with your function,
# then move every parameter a small step against its gradient", $p \leftarrow p - \eta\,\frac{\partial L}{\partial p}$.
# The data set is small, so each step uses all the points (with a large data set each step would use
# a random mini-batch, which is what makes gradient descent *stochastic*). The weights start small and
# random (scaled so the signals neither explode nor vanish), the biases at zero.

# %%
def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((D, H)) * np.sqrt(2.0 / D), "b1": np.zeros(H),
            "W2": rng.standard_normal((H, C)) * np.sqrt(1.0 / H), "b2": np.zeros(C)}


def predict(params, X):
    h = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.argmax(h @ params["W2"] + params["b2"], axis=1)


params = init_params(D=2, H=64, C=3, seed=1)
learning_rate, steps = 1.0, 2000
losses = []
start = time.perf_counter()
for step in range(steps):
    loss, grads = two_layer_forward_backward(params, X_train, y_train)
    losses.append(loss)
    for name in params:
        params[name] = params[name] - learning_rate * grads[name]
seconds = time.perf_counter() - start
accuracy = np.mean(predict(params, X_train) == y_train)
print(f"{steps} steps in {seconds:.2f} s: loss {losses[0]:.3f} -> {losses[-1]:.3f}, "
      f"training accuracy {accuracy:.1%}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
axes[0].plot(losses, color=FORWARD_COLOR)
axes[0].set_yscale("log")
axes[0].set_xlabel("step")
axes[0].set_ylabel("loss (log scale)")
axes[0].set_title("Training loss")
grid = np.linspace(-1.2, 1.2, 300)
gx, gy = np.meshgrid(grid, grid)
classes = predict(params, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
axes[1].contourf(gx, gy, classes, levels=[-0.5, 0.5, 1.5, 2.5], colors=CLASS_COLORS, alpha=0.25)
for c in range(3):
    axes[1].scatter(*X_train[y_train == c].T, s=12, color=CLASS_COLORS[c])
axes[1].set_aspect("equal")
axes[1].set_title("Decision regions after training")
fig.tight_layout()
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## What you learned
#
# - The Jacobian of $y = xW$ is a 4-D array of shape $(N, M, N, D)$, mostly zeros, far too large to
#   build for a real layer. Nobody builds it.
# - One entry $\frac{\partial L}{\partial x_{ij}}$ is the **inner product** (element-wise product,
#   summed) of $\frac{\partial y}{\partial x_{ij}}$ and $\frac{\partial L}{\partial y}$, not a matrix
#   product. Written for all entries at once it becomes
#   $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^T$ and
#   $\frac{\partial L}{\partial W} = x^T \frac{\partial L}{\partial y}$.
# - A gradient has the shape of its variable; when you forget a formula, the shapes tell you how the
#   factors must be arranged (but only the derivation tells you it is right).
# - A broadcast in the forward pass is a copy; its backward pass sums over the copied axis (the bias
#   gradient sums over the batch).
# - Softmax and cross-entropy together have the gradient $(p - \mathrm{onehot}(y))/N$.
# - A network's backward pass is its gates' backward rules applied in reverse order. You assembled one
#   from your own rules, checked it against an autodiff engine and finite differences, and trained it.
