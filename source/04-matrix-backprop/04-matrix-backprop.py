# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 04 · Backprop with matrices, and an autodiff engine of your own
#
# **33 points**, in 7 exercises. Each exercise has a visible test right after it (it tells you what
# is wrong, and why) and hidden tests that check more shapes and edge cases when your work is graded.
#
# A layer of a neural network takes a whole batch of examples at once: a matrix in, a matrix out.
# This notebook works out the backward pass of the most important matrix operation, $y = xW$, one
# entry at a time and then all at once; derives the other pieces of a classifier (a broadcast bias,
# softmax with cross-entropy); and then, instead of wiring these rules together by hand, you write
# the **backward pass of a small autodiff engine**: a graph of arrays, walked from the loss back to
# the parameters. A two-layer network's gradients then come from your engine, checked against the
# course's engine and finite differences, and the network learns to separate three spirals.
#
# **What you will learn**
# - why the Jacobian of $y = xW$ is a 4-D array, and why nobody builds it;
# - how one entry $\frac{\partial L}{\partial x_{ij}}$ is an **inner product of two matrices**
#   (not a matrix product), and how the entries add up to $\frac{\partial L}{\partial y} W^T$;
# - the gradient with respect to $W$, and to a matrix that a gate uses twice ($X X^T$), derived by you;
# - why a broadcast in the forward pass is a **sum** in the backward pass, for any broadcast;
# - the gradient of softmax with cross-entropy, derived by you;
# - a reverse-mode walk over a graph of arrays: topological order, shares summed back to their
#   parents' shapes, gradients added at fan-out, and the traps that arrays add (an in-place `+=` on
#   a shared array);
# - how to check and train a network whose gradients come from your own engine.
#
# In the figures, forward values are blue and gradients orange.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time
import warnings

import numpy as np
import matplotlib.pyplot as plt

import course
from course.backward_check import check_backward
from course.gradcheck import GradientError, check_vjp, numerical_grad, random_inputs, rel_error
from course.figures import (FORWARD_CMAP, FORWARD_COLOR, GRADIENT_CMAP, GRADIENT_COLOR, LOCAL_CMAP,
                            matrix_alt, series_alt, show, show_matrix, values_alt)

np.set_printoptions(precision=4, suppress=True)

# %% jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "plot-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Plotting helpers for the figures of this notebook (no need to read them; heatmaps are
# course.figures.show_matrix).
CLASS_COLORS = ["#2b8a3e", "#7048e8", "#e8a100"]


def draw_two_layer_network():
    # The network's graph: forward wires in blue (with shapes), backward wires in orange, and under
    # each node the rule that its backward step uses.
    fig, ax = plt.subplots(figsize=(14, 4.2))
    gates = ["@", "+", "relu", "@", "+", "cross-\nentropy"]
    rules = ["matmul_vjp", "unbroadcast", "relu's mask", "matmul_vjp", "unbroadcast",
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
    title = ("The two-layer network as your engine records it: forward (blue) and backward "
             "(orange); under each node, the rule its backward step uses")
    ax.set_title(title, fontsize=11)
    flat_names = [g.replace("-\n", "") for g in gates]
    nodes = [f"{name}{' with ' + params[k][0] if k in params else ''}, then {wire}"
             for k, (name, wire) in enumerate(zip(flat_names, wires[1:] + ["L"]))]
    backward = [f"{name} by {rule}" + (f" (also giving {params[k][1]})" if k in params else "")
                for k, (name, rule) in reversed(list(enumerate(zip(flat_names, rules))))]
    show(fig, alt=f"{title}. Forward, left to right: {wires[0]} enters {', '.join(nodes)}. "
         f"Backward, right to left, the gradients {', '.join(reversed(grads))} come out of "
         + ", ".join(backward) + ".")


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
title = f"dy/dx flattened to {flat.shape[0]} x {flat.shape[1]}"
show_matrix(ax, flat, title, rows=rows, cols=cols)
ax.axhline(M - 0.5, color="black", lw=1.5)
ax.axvline(D - 0.5, color="black", lw=1.5)
show(fig, alt=matrix_alt(flat, title, rows=rows, cols=cols) + f". Black lines split it into "
     f"{N} x {N} blocks of {M} x {D}, one per pair of examples.")


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
# matrices. It is *not* the matrix product `A @ B`, which would not even
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
titles = [f"dy/dx[{i}, {j}]: row {i} is W[{j}]", "upstream dL/dy",
          f"element-wise product; sum = {product.sum():.3g}"]
for ax, matrix, title, cmap in zip(axes, (slice_ij, upstream, product), titles,
                                   (LOCAL_CMAP, GRADIENT_CMAP, GRADIENT_CMAP)):
    show_matrix(ax, matrix, title, cmap=cmap)
fig.tight_layout()
show(fig, alt="Three heatmaps. " + ". ".join(matrix_alt(matrix, title) for matrix, title
                                             in zip((slice_ij, upstream, product), titles)) + ".")



# %% [markdown] nbgrader={"grade": false, "grade_id": "md-entry-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# That was the lecture's derivation, for $x$. The weights need the same reasoning: $W$ is what
# training changes, so $\frac{\partial L}{\partial W}$ is the gradient a network actually uses.
#
# ### Exercise 1: one entry of $\frac{\partial L}{\partial W}$, the slow way (3 points)
#
# **What to do.** For $y = xW$, with $x$ of shape $(N, D)$ and $W$ of shape $(D, M)$:
# - `dy_dW_entry(x, M, j, k)` returns the $N \times M$ matrix $\frac{\partial y}{\partial W_{jk}}$ (the
#   slice `course.jacrev(lambda W: x @ W)(W)[:, :, j, k]`; $y$ is linear in $W$, so $W$ itself is not
#   needed, only its number of columns $M$);
# - `grad_W_entry(upstream, x, j, k)` returns the number $\frac{\partial L}{\partial W_{jk}}$ (a Python
#   `float`), the inner product of `dy_dW_entry(...)` with the upstream gradient (shape $N \times M$).
#
# **Example.** For the example of section 1, `dy_dW_entry(x, 4, 2, 3)` has a single non-zero column,
# and `grad_W_entry(upstream, x, 2, 3)` is $-2.75$.
#
# <details><summary>Hint 1</summary>
#
# Write $y_{nm} = \sum_l x_{nl} W_{lm}$. In which entries $y_{nm}$ does $W_{jk}$ appear, and multiplied by
# what? Everything else of the matrix is 0.
# </details>
#
# <details><summary>Hint 2</summary>
#
# A column of an $N \times M$ matrix has length $N$, one number per example: which numbers of $x$
# are those? Then the inner product: entry by entry, then add up everything; a matrix product of two
# $N \times M$ matrices would not even fit.
# </details>

# %% nbgrader={"grade": false, "grade_id": "grad-w-entry", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dy_dW_entry(x, M, j, k):
    """dy/dW[j, k] for y = x @ W, x of shape (N, D), W of shape (D, M): an (N, M) array."""
    ### BEGIN SOLUTION
    A = np.zeros((x.shape[0], M))
    A[:, k] = x[:, j]
    return A
    ### END SOLUTION


def grad_W_entry(upstream, x, j, k):
    """dL/dW[j, k] for y = x @ W, given upstream = dL/dy of shape (N, M): a float."""
    ### BEGIN SOLUTION
    return float(np.sum(dy_dW_entry(x, upstream.shape[1], j, k) * upstream))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-grad-w-entry", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
JW = course.jacrev(lambda W: x @ W)(W)                     # the example of section 1: (N, M, D, M)
try:
    got = dy_dW_entry(x, 4, 2, 3)
except (ValueError, IndexError) as err:
    raise AssertionError(f"dy_dW_entry(x, 4, 2, 3) raised {type(err).__name__}: {err}\n"
                         f"x has shape {x.shape}: the result has shape (N, M) = (2, 4).") from None
assert np.shape(got) == (2, 4), f"dy_dW_entry(x, 4, 2, 3) has the shape of y, (2, 4); got {np.shape(got)}"
assert np.allclose(got, JW[:, :, 2, 3]), (
    f"dy_dW_entry(x, 4, 2, 3) should be the slice dy/dW[2, 3] of the engine's Jacobian\n"
    f"{JW[:, :, 2, 3]}\ngot\n{got}")

value = grad_W_entry(upstream, x, 2, 3)
expected = float(np.sum(JW[:, :, 2, 3] * upstream))
assert np.ndim(value) == 0, f"grad_W_entry returns one number, got an array of shape {np.shape(value)}"
matrix_products = [np.sum(JW[:, :, 2, 3] @ upstream.T), np.sum(JW[:, :, 2, 3].T @ upstream)]
if any(np.isclose(value, p) for p in matrix_products) and not np.isclose(value, expected):
    raise AssertionError("grad_W_entry uses a matrix product. The chain rule multiplies the two "
                         "N x M matrices entry by entry and adds up all the products.")
assert np.isclose(value, expected), f"grad_W_entry(upstream, x, 2, 3) should be {expected:.6g}, got {value}"
for j in range(3):
    for k in range(4):
        expected = np.sum(JW[:, :, j, k] * upstream)
        assert np.isclose(grad_W_entry(upstream, x, j, k), expected), (
            f"grad_W_entry(upstream, x, {j}, {k}) should be {expected:.6g}, got {grad_W_entry(upstream, x, j, k)}")
assert np.shape(dy_dW_entry(np.ones((5, 3)), 6, 0, 5)) == (5, 6), (
    "dy_dW_entry(x, M, j, k) has as many rows as x (one per example) and M columns: (N, M)")

# %% nbgrader={"grade": true, "grade_id": "test-grad-w-entry-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(dy_dW_entry(np.ones((2, 3)), 1, 0, 0)) == (2, 1)
### BEGIN HIDDEN TESTS
for (n, d, m), seed in [((1, 3, 4), 1), ((3, 2, 1), 2), ((4, 5, 3), 3), ((3, 3, 3), 4)]:
    xh, Wh, uh = random_inputs((n, d), (d, m), (n, m), seed=seed)
    Jh = course.jacrev(lambda W: xh @ W)(Wh)
    for j in range(d):
        for k in range(m):
            assert np.allclose(dy_dW_entry(xh, m, j, k), Jh[:, :, j, k]), (
                f"dy_dW_entry is wrong for x of shape {(n, d)}, M = {m}, (j, k) = ({j}, {k})")
            assert np.isclose(grad_W_entry(uh, xh, j, k), np.sum(Jh[:, :, j, k] * uh)), (
                f"grad_W_entry is wrong for N, D, M = {n}, {d}, {m}, (j, k) = ({j}, {k})")
assert isinstance(grad_W_entry(np.ones((1, 1)), np.full((1, 1), -2.0), 0, 0), float)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-entry-all", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your function, applied to every entry, gives the whole gradient. The cell below fills
# $\frac{\partial L}{\partial W}$ entry by entry and compares it with the engine's.

# %%
by_entries = np.array([[grad_W_entry(upstream, x, j, k) for k in range(M)] for j in range(D)])
engine = course.vjp(lambda W: x @ W, W)[1](upstream)[0]
print("dL/dW entry by entry:\n", by_entries)
print("relative error against the engine:", rel_error(by_entries, engine))

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-shapes", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. All entries at once, with the shapes as the guide
#
# Back to $x$: only row $i$ of $\frac{\partial y}{\partial x_{ij}}$ is non-zero, and it is row $j$ of
# $W$, so the inner product reduces to
# $\frac{\partial L}{\partial x_{ij}} = \sum_m \left(\frac{\partial L}{\partial y}\right)_{im} W_{jm}$:
# row $i$ of the upstream gradient dotted with row $j$ of $W$. That is entry $(i, j)$ of a matrix
# product, and written for all entries at once it is the lecture's
#
# $$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,W^T.$$
#
# As the lecture warns, this is not a new rule of backpropagation: it is what the entry-by-entry chain
# rule gives when all the entries are written at once.
#
# **The shapes are the guide.** $\frac{\partial L}{\partial x}$ has the shape of $x$: one number per
# entry of $x$, saying how $L$ moves when that entry moves. Here $\frac{\partial L}{\partial y}$ is
# $N \times M$ and $W$ is $D \times M$; the only way to combine them into an $N \times D$ matrix is
# $\frac{\partial L}{\partial y} W^T$. The cell below tries the candidates. When you forget a formula,
# rebuild it this way. (When $N = D = M$ every candidate fits, though: the shapes remind you of the
# formula, the derivation is why it is true.)

# %%
print(f"x: {x.shape}, W: {W.shape}, dL/dy: {upstream.shape}\n")
candidates = {"dL/dy @ W.T ": lambda: upstream @ W.T, "dL/dy @ W   ": lambda: upstream @ W,
              "W @ dL/dy.T ": lambda: W @ upstream.T, "W.T @ dL/dy": lambda: W.T @ upstream}
for name, product in candidates.items():
    try:
        shape = product().shape
    except ValueError:
        print(f"{name} -> the shapes do not fit")
        continue
    verdict = ("the shape of x" if shape == x.shape else
               "the shape of x.T (this is dL/dx transposed)" if shape == x.shape[::-1] else
               "neither x's shape nor its transpose")
    print(f"{name} -> {shape}: {verdict}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-matmul-vjp", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 2: the backward rule of a matrix product, `matmul_vjp(upstream, x, W)` (4 points)
#
# **What to do.** For $y = xW$ with `x` of shape $(N, D)$ and `W` of shape $(D, M)$, return the tuple
# `(dx, dW)` $= \left(\frac{\partial L}{\partial x}, \frac{\partial L}{\partial W}\right)$ given the upstream
# gradient $\frac{\partial L}{\partial y}$ of shape $(N, M)$. `dx` is the lecture's formula above;
# `dW` is yours: what your `grad_W_entry` computes, for all entries at once, as one matrix product.
#
# **Example.** For the example of section 1, `dW` is the matrix printed at the end of Exercise 1.
#
# <details><summary>Hint 1</summary>
#
# Your `grad_W_entry(upstream, x, j, k)` is a sum over the examples $n$ of a product of one entry of
# $x$ and one entry of the upstream gradient. Which row or column of each?
# </details>
#
# <details><summary>Hint 2</summary>
#
# `dW` has the shape of `W`, $(D, M)$, and is built from `x` $(N, D)$ and `upstream` $(N, M)$ with the
# sum over $N$ done by the matrix product. Which of the two must be transposed, and which comes first?
# </details>

# %% nbgrader={"grade": false, "grade_id": "matmul-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_vjp(upstream, x, W):
    """(dL/dx, dL/dW) for y = x @ W; x: (N, D), W: (D, M), upstream = dL/dy: (N, M)."""
    ### BEGIN SOLUTION
    dx = upstream @ W.T
    dW = x.T @ upstream
    return dx, dW
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
try:
    result = matmul_vjp(upstream, x, W)              # the example of section 1
except ValueError as err:
    raise AssertionError(
        f"matmul_vjp raised ValueError for x {x.shape}, W {W.shape}, upstream {upstream.shape}: {err}\n"
        f"Line up the shapes: dx must come out {x.shape} and dW {W.shape}.") from None
assert isinstance(result, tuple) and len(result) == 2, "matmul_vjp must return a tuple (dx, dW)"
dx, dW = result
# The expected values, from the 4-D Jacobians: dL/dx[i, j] = sum over n, m of dy[n, m]/dx[i, j] * dL/dy[n, m].
Jx = course.jacrev(lambda x: x @ W)(x)              # (N, M, N, D)
JW = course.jacrev(lambda W: x @ W)(W)              # (N, M, D, M)
dx_expected = np.einsum("nm,nmij->ij", upstream, Jx)
dW_expected = np.einsum("nm,nmjk->jk", upstream, JW)
if np.shape(dx) == W.shape and np.shape(dW) == x.shape:
    raise AssertionError("matmul_vjp returns (dW, dx): the gradients come in the order of the inputs, "
                         "(dx, dW).")
assert np.shape(dx) == x.shape, f"dx must have the shape of x, {x.shape}; got {np.shape(dx)}"
assert np.shape(dW) == W.shape, (
    f"dW must have the shape of W, {W.shape}; got {np.shape(dW)}" +
    (": that is dL/dW transposed" if np.shape(dW) == W.shape[::-1] else ""))
assert np.allclose(dx, dx_expected), f"dx should be\n{dx_expected}\ngot\n{dx}"
assert np.allclose(dW, dW_expected), f"dW should be\n{dW_expected}\ngot\n{dW}"

# Random inputs and a random upstream gradient, checked against finite differences; square
# matrices too, where every wrong arrangement has the right shape.
for (n, d, m), seed in [((4, 3, 5), 3), ((3, 3, 3), 4)]:
    xr, Wr = random_inputs((n, d), (d, m), seed=seed)
    try:
        check_vjp(lambda x, W: x @ W, matmul_vjp, xr, Wr)
    except GradientError as err:
        raise AssertionError(f"matmul_vjp is wrong for x of shape {(n, d)} and W of shape {(d, m)}.\n{err}") from None
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
xh, Wh, uh = random_inputs((3, 3), (3, 3), (3, 3), seed=18)
dx, dW = matmul_vjp(uh, xh, Wh)
assert np.allclose(dx, uh @ Wh.T) and np.allclose(dW, xh.T @ uh), "matmul_vjp is wrong for square matrices"
### END HIDDEN TESTS

# %% [markdown]
# ### The shapes, as pictures
#
# Your `matmul_vjp` on random matrices, drawn as heatmaps. Change N, D and M and check that each
# gradient keeps the shape of what it is the gradient of.

# %%
from course.widgets import MatmulGradients

MatmulGradients(matmul_vjp=matmul_vjp)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-gram", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. One matrix, used twice by one gate
#
# The **Gram matrix** $G = X X^T$ of a batch $X$ (shape $(N, D)$) holds the inner products of every
# pair of examples: $G_{ab} = \langle x_a, x_b\rangle$, shape $(N, N)$. Attention layers compute such a
# matrix of scores (there between two different matrices, queries and keys); kernel methods and
# style losses use it as it is. Here the *same* $X$ enters the product twice, as its left factor and
# (transposed) as its right one: in graph terms, $X$ fans out to two places, and a node that fans out
# collects a gradient from each place.
#
# ### Exercise 3: `gram_vjp(upstream, X)` (4 points)
#
# **What to do.** For $G = X X^T$, return $\frac{\partial L}{\partial X}$ (shape $(N, D)$) given the
# upstream gradient $\frac{\partial L}{\partial G}$, shape $(N, N)$. The upstream gradient need not be
# symmetric (a loss may weigh $G_{ab}$ and $G_{ba}$ differently), even though $G$ is.
#
# **Example.** For $X = (1, 2)$ as a single row ($N = 1$, $D = 2$), $G = (5)$; with upstream $(1)$, the
# result is $(2, 4)$: the gradient of $\lVert x \rVert^2$.
#
# <details><summary>Hint 1</summary>
#
# Give the two uses different names: $G = A B$ with $A = X$ and $B = X^T$. Your `matmul_vjp` gives the
# gradient for $A$ and for $B$; how does the gradient for $B = X^T$ become one for $X$? What does the
# copy gate do with the two?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Check your result with a symmetric upstream gradient and with an antisymmetric one
# ($U^T = -U$): for which of the two must the answer be 0, and why?
# </details>

# %% nbgrader={"grade": false, "grade_id": "gram-vjp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gram_vjp(upstream, X):
    """dL/dX for G = X @ X.T; X: (N, D), upstream = dL/dG: (N, N). The shape of X."""
    ### BEGIN SOLUTION
    return (upstream + upstream.T) @ X
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gram-vjp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def gram(X):
    return X @ X.T


got = gram_vjp(np.array([[1.0]]), np.array([[1.0, 2.0]]))
assert np.allclose(got, [[2.0, 4.0]]), f"gram_vjp(upstream [[1]], X [[1, 2]]) should be [[2, 4]], got {got}"
X, U = random_inputs((4, 3), (4, 4), seed=20)
got = gram_vjp(U, X)
assert np.shape(got) == X.shape, f"gram_vjp must return X's shape {X.shape}, got {np.shape(got)}"
engine = lambda u: course.vjp(gram, X)[1](u)[0]
symmetric, antisymmetric = (U + U.T) / 2, (U - U.T) / 2
if not np.allclose(got, engine(U)):
    on_symmetric = gram_vjp(symmetric, X)
    if np.allclose(on_symmetric, engine(symmetric)):
        raise AssertionError("gram_vjp is right for a symmetric upstream gradient only. The loss may "
                             "weigh G[a, b] and G[b, a] differently: each of X's two uses sees its "
                             "own orientation of the upstream gradient.")
    if np.allclose(on_symmetric, engine(symmetric) / 2):
        raise AssertionError("gram_vjp gives half the gradient for a symmetric upstream gradient: it "
                             "counts one of X's two uses only. X fans out to both factors of the "
                             "product; the gradients of both uses add up.")
check_vjp(gram, gram_vjp, X)
assert np.allclose(gram_vjp(antisymmetric, X), 0.0), (
    "For an antisymmetric upstream gradient the loss cannot change (G is symmetric, so the terms "
    f"cancel), so dL/dX must be 0; got\n{gram_vjp(antisymmetric, X)}")

# %% nbgrader={"grade": true, "grade_id": "test-gram-vjp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(gram_vjp(np.ones((2, 2)), np.ones((2, 3)))) == (2, 3)
### BEGIN HIDDEN TESTS
for (n, d), seed in [((1, 1), 21), ((5, 2), 22), ((2, 5), 23), ((3, 3), 24), ((6, 1), 25)]:
    (Xh,) = random_inputs((n, d), seed=seed)
    check_vjp(gram, gram_vjp, Xh, seed=seed)
Xh, Uh = random_inputs((3, 3), (3, 3), seed=26)
assert np.allclose(gram_vjp(Uh, Xh), course.vjp(gram, Xh)[1](Uh)[0]), "gram_vjp is wrong for square X"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-bias", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Broadcasting forward, summing backward
#
# A layer adds a bias vector $b$ (shape $(M,)$) to every row: `y = x + b` with `x` of shape $(N, M)$.
# numpy **broadcasts** $b$: it is copied once per example. In graph terms, $b$ fans out to $N$ places,
# and the copy gate's backward rule applies: the gradients of all the copies **add up**:
#
# $$\frac{\partial L}{\partial b} = \sum_{n=1}^{N} \left(\frac{\partial L}{\partial y}\right)_{n,:}
# \quad(\text{shape } (M,),\ \text{like } b), \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}.$$
#
# A gradient always has the shape of its variable: the sum over the batch is what brings the
# $(N, M)$ upstream gradient back to $b$'s shape $(M,)$. The figure shows both directions for $N = 3$
# examples.

# %%
bias = np.array([0.5, -1.0])
up = np.array([[1.0, 2.0], [-3.0, 0.5], [0.5, 1.0]])
fig, axes = plt.subplots(1, 4, figsize=(12, 2.8), gridspec_kw={"width_ratios": [1, 1, 1, 1]})
show_matrix(axes[0], bias[None, :], "b, shape (2,)", cmap=FORWARD_CMAP, rows=[""])
show_matrix(axes[1], np.broadcast_to(bias, up.shape), "forward: b copied\nto each of 3 rows", cmap=FORWARD_CMAP)
show_matrix(axes[2], up, "backward: upstream dL/dy\n(3, 2)", cmap=GRADIENT_CMAP)
show_matrix(axes[3], up.sum(axis=0)[None, :], "dL/db: the copies add up\nshape (2,)", cmap=GRADIENT_CMAP, rows=[""])
fig.tight_layout()
show(fig, alt=f"Four heatmaps. b, shape {bias.shape}: {values_alt(bias, range(bias.size))}. "
     + matrix_alt(np.broadcast_to(bias, up.shape), f"forward: b copied to each of {up.shape[0]} rows")
     + ". " + matrix_alt(up, f"backward: upstream dL/dy, shape {up.shape}")
     + f". dL/db, the copies added up, shape {bias.shape}: "
     f"{values_alt(up.sum(axis=0), range(bias.size))}.")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-unbroadcast", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A bias is one case. numpy broadcasts in two ways, and any mix of them: it **prepends** axes (a
# bias of shape $(M,)$ against $(N, M)$; a scalar, shape $()$, against anything) and it **stretches**
# axes of length 1 (a column of shape $(N, 1)$ against $(N, M)$: one number per row, copied along
# the row). Every elementwise operation on arrays of different shapes (`+`, `*`, `-`, ...) does this,
# so every backward rule of such an operation meets it. Rather than handle it in each rule, an
# engine applies one function to every gradient it sends to an input (autodidact and tinygrad do
# the same): **unbroadcast**. Your engine, in section 7, will too.
#
# ### Exercise 4: `unbroadcast(g, shape)` (5 points)
#
# **What to do.** `g` is the gradient of a broadcast result (shape `g.shape`) with respect to that
# result; `shape` is the shape of the input before numpy broadcast it. Return the gradient with
# respect to the input: `g` summed over every copy broadcasting made, an array of exactly `shape`.
# `shape` may be `()` (a scalar), have fewer axes than `g`, have axes of length 1 where `g` has
# longer ones, or all of these at once; when `g` already has `shape`, return it as it is.
#
# **Example.** `unbroadcast(np.ones((2, 3, 4)), (3, 1))` has shape (3, 1), and each of its entries is
# 8: each number of the input was copied 8 times.
#
# <details><summary>Hint 1</summary>
#
# Line the two shapes up on the right, as numpy does: (2, 3, 4) against (3, 1). Which axes of `g`
# exist because numpy *added* them? Which exist because it *stretched* an axis of length 1?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Sum away the added axes entirely; sum the stretched ones but keep them, with length 1
# (`keepdims`). The number of added axes is the difference of the two numbers of axes.
# </details>

# %% nbgrader={"grade": false, "grade_id": "unbroadcast", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unbroadcast(g, shape):
    """g (the gradient of a broadcast result) summed back to `shape`, the input's shape before
    broadcasting: over the axes numpy prepended, and over the axes of length 1 it stretched."""
    ### BEGIN SOLUTION
    g = np.asarray(g, dtype=np.float64)
    if g.shape == shape:
        return g
    added = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(added)))
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return g.sum(axis=stretched, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-unbroadcast", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def broadcast_check(shape, big, seed=0):
    # x of `shape` broadcast to `big`: the VJP is your unbroadcast, checked with a random upstream gradient.
    (x,) = random_inputs(shape, seed=seed)
    try:
        check_vjp(lambda x: np.broadcast_to(x, big), lambda u, x: unbroadcast(u, x.shape), x)
    except GradientError as err:
        raise AssertionError(f"unbroadcast(g of shape {big}, shape {shape}) is wrong.\n{err}") from None
    except ValueError as err:
        raise AssertionError(f"unbroadcast(g of shape {big}, shape {shape}) raised ValueError: {err}") from None


got = unbroadcast(np.ones((2, 3, 4)), (3, 1))
assert np.shape(got) == (3, 1), (
    f"unbroadcast(ones of shape (2, 3, 4), (3, 1)) must have shape (3, 1), got {np.shape(got)}" +
    (": the stretched axis must stay, with length 1" if np.shape(got) == (3,) else ""))
assert np.allclose(got, 8.0), (
    f"each entry of unbroadcast(ones((2, 3, 4)), (3, 1)) adds up the 2 * 4 = 8 copies of one input "
    f"number, so it is 8; got\n{got}")
for shape, big in [((4,), (5, 4)),          # a bias: one axis prepended
                   ((), (2, 3)),            # a scalar
                   ((5, 1), (5, 4)),        # a column stretched along the rows
                   ((1, 4), (3, 4)),        # a row stretched down the columns
                   ((3, 1), (2, 3, 4)),     # both at once
                   ((2, 3), (2, 3))]:       # no broadcast at all
    broadcast_check(shape, big)
g = np.arange(6.0).reshape(2, 3)
assert unbroadcast(g, (2, 3)) is g or np.array_equal(unbroadcast(g, (2, 3)), g), (
    "when g already has the shape, unbroadcast returns it unchanged")

# %% nbgrader={"grade": true, "grade_id": "test-unbroadcast-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(unbroadcast(np.ones((2, 3)), (3,))) == (3,)
### BEGIN HIDDEN TESTS
for k, (shape, big) in enumerate([((1,), (4,)), ((1, 1), (3, 2)), ((2, 1, 3), (4, 2, 5, 3)),
                                  ((1, 5), (2, 3, 5)), ((), (1,)), ((), ()), ((3, 1, 1), (3, 2, 2)),
                                  ((1,), (2, 3, 1))]):
    broadcast_check(shape, big, seed=90 + k)
g = np.arange(24.0).reshape(2, 3, 4)
got = unbroadcast(g, (1, 3, 1))
assert np.shape(got) == (1, 3, 1) and np.allclose(got, g.sum(axis=(0, 2), keepdims=True)), (
    f"unbroadcast(g of shape (2, 3, 4), (1, 3, 1)) is wrong: {got}")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-softmax-ce", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. The loss of a classifier
#
# A classifier's last layer produces **scores** (logits): one per class. For two classes a single
# score $z$ is enough, with $p = \sigma(z)$ the probability of class 1. The **logistic loss** of an
# example with label $t \in \{0, 1\}$ is $L = -t \log p - (1 - t)\log(1 - p)$: small when the model
# gives the right class a high probability. Its gradient, with $\frac{dp}{dz} = p(1 - p)$:
#
# $$\frac{\partial L}{\partial z} = \left(-\frac{t}{p} + \frac{1 - t}{1 - p}\right) p\,(1 - p)
# = -t\,(1 - p) + (1 - t)\,p = p - t.$$
#
# The whole sigmoid cancels out: the gradient is "predicted probability minus target", and it never
# needs $\log$, nor a division that could fail.
#
# With $C$ classes the scores of an example are a row of $C$ numbers $s$, **softmax** turns them into
# probabilities $p$, and the **cross-entropy** loss is $-\log p_c$ for the correct class $c$. For a
# batch, the scores are an $(N, C)$ matrix, one row per example, and the loss is the **mean** over the
# batch. (From 03: softmax and log-sum-exp, and their derivatives.)
#
# ### Exercise 5: `softmax_cross_entropy(logits, labels)` (5 points)
#
# **What to do.** Given `logits` of shape $(N, C)$ and integer `labels` of shape $(N,)$ (each in
# $0 \dots C-1$), return the tuple `(loss, dlogits)`: the mean cross-entropy (a Python `float`) and
# its gradient with respect to the logits (shape $(N, C)$). Derive the gradient first. Both must
# stay finite, without warnings, for scores in the thousands.
#
# **Example.** With one example, scores $(0, 0, 0)$ and label 0, every class has probability $1/3$:
# the loss is $\log 3$, and exactly one entry of `dlogits` is negative.
#
# <details><summary>Hint 1</summary>
#
# Write the loss of one example as $-s_c + \log \sum_k e^{s_k}$. You differentiated the second term in
# 03 (it is a log-sum-exp); the first has one non-zero derivative. Compare the result with the
# logistic loss's above.
# </details>
#
# <details><summary>Hint 2</summary>
#
# The loss is the mean of $N$ per-example losses: what does that do to each row of the gradient?
# For stability, shift each row of scores by its maximum first, as 03's `logsumexp` did: nothing
# changes mathematically, and no exponent is positive.
# </details>
#
# <details><summary>Hint 3</summary>
#
# One entry per row must be picked out (the correct class's): an integer array can index the rows
# and another the columns at the same time.
# </details>

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
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), labels] -= 1.0
    return loss, dlogits / N
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-cross-entropy", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
loss, dlogits = softmax_cross_entropy(np.zeros((1, 3)), np.array([0]))
assert np.isclose(loss, np.log(3)), f"for scores (0, 0, 0) the loss is log 3 = {np.log(3):.6f}, got {loss}"
expected = course.grad(course.cross_entropy)(np.zeros((1, 3)), np.array([0]))
assert np.allclose(dlogits, expected), f"for scores (0, 0, 0) and label 0, dlogits is {expected}; got {dlogits}"

logits = np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0], [-1.0, 2.0, 0.0], [1.0, -2.0, 0.5]])
labels = np.array([0, 2, 0, 1])
loss, dlogits = softmax_cross_entropy(logits, labels)
expected_loss = course.cross_entropy(logits, labels)
expected = course.grad(course.cross_entropy)(logits, labels)
assert np.ndim(loss) == 0, f"the loss is one number (the mean over the batch), got shape {np.shape(loss)}"
assert np.isclose(loss, expected_loss), f"loss should be {expected_loss:.6f} (the mean over the batch of -log p[label]), got {loss}"
assert np.shape(dlogits) == logits.shape, f"dlogits must have the shape of logits, {logits.shape}; got {np.shape(dlogits)}"
if np.allclose(dlogits, -expected):
    raise AssertionError("dlogits has the wrong sign: raising the correct class's score lowers the "
                         "loss, so its entry of dlogits is negative.")
if np.allclose(dlogits, expected * len(labels)):
    raise AssertionError(f"dlogits is {len(labels)} times too large: the loss is a mean over the "
                         f"batch of {len(labels)} examples.")
assert np.allclose(dlogits, expected), f"dlogits should be\n{expected}\ngot\n{dlogits}"
numeric = numerical_grad(lambda z: softmax_cross_entropy(z, labels)[0], logits)
assert rel_error(dlogits, numeric) < 1e-6, (
    f"dlogits disagrees with finite differences of your loss (relative error {rel_error(dlogits, numeric):.2g})")
big = np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 499.0]])
with warnings.catch_warnings():
    warnings.simplefilter("error")         # a numpy warning becomes an error here
    try:
        loss_big, d_big = softmax_cross_entropy(big, np.array([0, 2]))
    except RuntimeWarning as warning:
        raise AssertionError(f"softmax_cross_entropy overflows for scores in the hundreds "
                             f"({warning}): e^1000 is inf. Shift each row first.") from None
assert np.isfinite(loss_big) and np.all(np.isfinite(d_big)), "softmax_cross_entropy is not finite for large scores"
assert np.isclose(loss_big, course.cross_entropy(big, np.array([0, 2]))), "softmax_cross_entropy is wrong for large scores"

# %% nbgrader={"grade": true, "grade_id": "test-softmax-cross-entropy-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(softmax_cross_entropy(np.zeros((1, 2)), np.array([0]))) == 2
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(41)
for (n, c) in [(1, 2), (7, 5), (3, 10), (5, 1)]:
    logits_h = 3.0 * rng.standard_normal((n, c))
    labels_h = rng.integers(0, c, size=n)
    before = logits_h.copy()
    loss_h, d_h = softmax_cross_entropy(logits_h, labels_h)
    assert np.array_equal(logits_h, before), "softmax_cross_entropy changed logits in place"
    assert np.isclose(loss_h, course.cross_entropy(logits_h, labels_h)), f"wrong loss for N = {n}, C = {c}"
    assert np.allclose(d_h, course.grad(course.cross_entropy)(logits_h, labels_h)), f"wrong dlogits for N = {n}, C = {c}"
big = np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 499.0]])
labels_big = np.array([1, 0])
with warnings.catch_warnings():
    warnings.simplefilter("error")
    loss_big, d_big = softmax_cross_entropy(big, labels_big)
assert np.isclose(loss_big, course.cross_entropy(big, labels_big)) and np.allclose(
    d_big, course.grad(course.cross_entropy)(big, labels_big)), "softmax_cross_entropy is wrong for large scores"
repeated = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, -1.0]])
assert np.allclose(softmax_cross_entropy(repeated, np.array([1, 1, 0]))[1],
                   course.grad(course.cross_entropy)(repeated, np.array([1, 1, 0]))), "wrong with repeated labels"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-engine", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Your own autodiff engine, for arrays
#
# You now have every rule a two-layer classifier needs. Chaining them by hand, in the right order,
# with the right saved values passed to each, is what the lecture's "flat" gradient code does, and
# it breaks as soon as the network changes. An engine chains them for you, in two parts:
#
# 1. **Record.** Every operation returns a `Node`: its value, the nodes it was computed from (its
#    parents) and, for each parent, a function that sends a gradient back to it (the operation's
#    VJP for that input). The cell below defines the class and the operations, one line of rules each,
#    from **your** rules of this notebook.
# 2. **Walk back.** From the loss, visit every node after all the nodes that use it, and send its
#    gradient on to its parents. That is the part you write.
#
# The operations' rules may return a share of the broadcast shape (`add` passes its upstream
# gradient on, whatever the shape of each input): the walk sums every share back to its parent's
# shape, with your `unbroadcast`, in one place.

# %% nbgrader={"grade": false, "grade_id": "node-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Node:
    """One array of a computation, and how it was computed.

    value:    the array (float64; shape () for a single number, such as a loss)
    parents:  the nodes it was computed from, a tuple (empty for a leaf: an input or a parameter)
    vjp_fns:  one function per parent, g -> that parent's share of the gradient, where g is
              dL/d(this node), of this node's shape; a share may have the broadcast shape
    op:       what computed it ("leaf", "+", "@", ...); label: a name, for messages
    grad:     dL/d(this node), of value's shape: set by backward(root); None until then
    """

    __array_ufunc__ = None      # numpy leaves array + Node to Node.__radd__

    def __init__(self, value, parents=(), vjp_fns=(), op="leaf", label=""):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = tuple(parents)
        self.vjp_fns = tuple(vjp_fns)
        self.op, self.label = op, label
        self.grad = None

    @property
    def shape(self):
        return self.value.shape

    def __repr__(self):
        name = f" '{self.label}'" if self.label else ""
        return f"Node({self.op}{name}, shape {self.shape})"

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)


def as_node(x):
    """x itself if it is a Node, else a leaf that holds x (a constant)."""
    return x if isinstance(x, Node) else Node(x)


# The operations: a value, the parents, one rule per parent (rules as data, as in the engine's
# course/vjp_rules.py). The shares of add and multiply keep the broadcast shape: backward() sums
# them back.
def add(a, b):
    a, b = as_node(a), as_node(b)
    return Node(a.value + b.value, (a, b), (lambda g: g, lambda g: g), "+")


def multiply(a, b):
    a, b = as_node(a), as_node(b)
    return Node(a.value * b.value, (a, b), (lambda g: g * b.value, lambda g: g * a.value), "*")


def matmul(a, b):                           # (N, D) @ (D, M), with your matmul_vjp
    a, b = as_node(a), as_node(b)
    return Node(a.value @ b.value, (a, b), (lambda g: matmul_vjp(g, a.value, b.value)[0],
                                            lambda g: matmul_vjp(g, a.value, b.value)[1]), "@")


def relu(a):                                # 03's element-wise rule, with ReLU's slope
    a = as_node(a)
    return Node(np.maximum(a.value, 0.0), (a,), (lambda g: g * (a.value > 0),), "relu")


def total(a):                               # the sum of every entry: one number
    a = as_node(a)
    return Node(a.value.sum(), (a,), (lambda g: g * np.ones(a.shape),), "sum")


def cross_entropy(logits, labels):          # the mean cross-entropy, with your rule
    logits = as_node(logits)
    loss, dlogits = softmax_cross_entropy(logits.value, labels)
    return Node(loss, (logits,), (lambda g: g * dlogits,), "cross-entropy")


x_demo = Node(np.array([1.0, -2.0, 3.0]), label="x")
b_demo = Node(np.array(0.5), label="b")
demo = total(relu(x_demo * x_demo + b_demo))
print(demo, "<-", demo.parents, "<-", demo.parents[0].parents)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 6: the backward pass, `backward(root)` (8 points)
#
# **What to do.** `root` is a node with a single element (a loss $L$). Set `.grad` $= \frac{\partial L}{\partial n}$
# on **every** node $n$ that `root` depends on (the leaves and every node in between, `root` too), an
# array of the node's shape. Specifically:
#
# - $\frac{\partial L}{\partial L} = 1$ (an array of ones of the root's shape);
# - a node sends a share of its gradient to each parent, `vjp_fn(node's gradient)`, summed back to the
#   parent's shape with your `unbroadcast`; it may do so only once its own gradient is complete,
#   that is, once every node that uses it has sent it its share (the order of 02);
# - a node used several times (`x * x`, a diamond) gets the **sum** of the shares of all its uses;
# - `backward` may be called again on the same graph: it gives the same gradients (no adding to
#   those of a previous call; PyTorch adds, which is why it needs `zero_grad`);
# - graphs can be thousands of nodes deep: no recursion (Python stops at a depth of 1000);
# - nothing in the graph but `.grad` changes.
#
# **Example.** For the `demo` graph of the cell above, `x_demo.grad` is `[2, -4, 6]` after
# `backward(demo)`: every entry of $x \odot x + b$ is positive, so ReLU lets everything through.
#
# <details><summary>Hint 1</summary>
#
# Which node can pass its gradient on first? When is the gradient of a node complete? Your
# `topological_order` of 02 reads only `.parents`: it works on these nodes as it is.
# </details>
#
# <details><summary>Hint 2</summary>
#
# Collect the gradients in a dict keyed by node (a `Node` can be a dict key) while you walk, and set
# `.grad` from it: a second call then starts afresh by itself.
# </details>
#
# <details><summary>Hint 3</summary>
#
# A share can be the very array another node holds: `add` passes `g` on unchanged, to both parents.
# `total = total + share` makes a new array; `total += share` writes into the old one, and changes
# every node that holds it.
# </details>

# %% nbgrader={"grade": false, "grade_id": "tensor-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def backward(root):
    """Set .grad = dL/d(node) on every node that root (a one-element node, the loss L) depends on."""
    ### BEGIN SOLUTION
    order, visited = [], {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    grads = {root: np.ones(root.shape)}
    for node in reversed(order):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            grads[parent] = share if parent not in grads else grads[parent] + share
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tensor-backward", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def small_graph():
    x = Node(np.array([1.0, -2.0, 3.0]), label="x")
    b = Node(np.array(0.5), label="b")
    return total(relu(x * x + b))


def network_like_graph():
    # A batch X (4, 3) plus a bias b (3,) (broadcast), relu, then h * h (one node used twice by one
    # gate) plus z times a column s (4, 1) (stretched), weighted by constants c; z is used three
    # times (by relu, by z * s and by the last add).
    X = Node(np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [2.0, -1.5, 0.4]]), label="X")
    b = Node(np.array([0.1, -0.3, 0.2]), label="b")
    s = Node(np.array([[1.5], [-0.5], [2.0], [1.0]]), label="s")      # (4, 1): stretched along rows
    c = Node(np.array([[1.0, -2.0, 0.5], [0.3, 1.0, -1.0], [2.0, 0.5, 1.5], [-1.0, 1.0, 0.2]]), label="c")
    z = X + b
    h = relu(z)
    return total((h * h + z * s) * c + z)


def deep_chain(n=1200):
    x = Node(np.array([0.3, -0.2]), label="x")
    y = x
    for _ in range(n):
        y = y * 1.0001
    return total(y)


for build, what in [(small_graph, "total(relu(x * x + b))"),
                    (network_like_graph, "a graph with a broadcast bias, a diamond and x * x"),
                    (deep_chain, "a chain of 1200 nodes")]:
    try:
        check_backward(backward, build)
    except RecursionError:
        raise AssertionError(f"backward() hit Python's recursion limit on {what}: walk the graph "
                             f"with a loop and a stack of your own, not with recursion.") from None
    except GradientError as err:
        raise AssertionError(f"On {what}:\n{err}") from None
root = small_graph()
backward(root)
x_node = root.parents[0].parents[0].parents[0].parents[0]
assert x_node.grad is not None, "after backward(root), the leaf x has no .grad: every node gets one"
if np.allclose(x_node.grad, [1.0, -2.0, 3.0]):
    raise AssertionError("in total(relu(x * x + b)), x.grad is [1, -2, 3], half of [2, -4, 6]: x is "
                         "used twice by the product, and the shares of both uses add up.")
assert np.allclose(x_node.grad, [2.0, -4.0, 6.0]), (
    f"in total(relu(x * x + b)), x.grad should be [2, -4, 6], got {x_node.grad}")

# %% nbgrader={"grade": true, "grade_id": "test-tensor-backward-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
probe = total(Node(np.ones(2)))
backward(probe)
assert probe.grad is not None
### BEGIN HIDDEN TESTS
def matrix_graph():
    # a linear layer with hand-written (correct) rules, a shared weight used by two layers, and
    # the same node added to itself
    rng = np.random.default_rng(5)
    X = Node(rng.standard_normal((5, 3)), label="X")
    W = Node(rng.standard_normal((3, 3)), label="W")
    b = Node(rng.standard_normal(3), label="b")

    def mm(a, w):
        return Node(a.value @ w.value, (a, w), (lambda g: g @ w.value.T, lambda g: a.value.T @ g), "@")

    h1 = relu(mm(X, W) + b)
    h2 = mm(h1, W) + h1
    return total((h2 + h2) * Node(rng.standard_normal((5, 3))))


def scalar_root():
    x = Node(np.array(2.0), label="x")
    return x * x * x


def column_broadcast():
    rng = np.random.default_rng(6)
    a = Node(rng.standard_normal((3, 1)), label="a")
    b = Node(rng.standard_normal((1, 4)), label="b")
    k = Node(np.array(1.5), label="k")
    return total((a * b + k) * (a + b))


for build in (matrix_graph, scalar_root, column_broadcast, lambda: deep_chain(2500)):
    check_backward(backward, build)
root = scalar_root()
backward(root)
assert np.allclose(root.parents[1].grad, 12.0) and np.allclose(root.parents[0].grad, 2.0)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-network", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. A two-layer network, differentiated by your engine
#
# The network classifies points $X$ (shape $(N, D)$) into $C$ classes through a hidden layer of $H$
# ReLU units:
#
# $$a_1 = X W_1,\quad z_1 = a_1 + b_1,\quad h = \mathrm{relu}(z_1),\quad a_2 = h W_2,\quad
# \text{scores} = a_2 + b_2,\quad L = \text{cross-entropy}(\text{scores}, y).$$
#
# Written with `Node`s, the forward pass records this graph, and your `backward` walks it from $L$
# back to the parameters: every step uses one rule you wrote (or derived) in this notebook.

# %%
draw_two_layer_network()


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-network-exercise", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 7: `two_layer_forward_backward(params, X, y)` (4 points)
#
# **What to do.** `params` is a dict with `"W1"` $(D, H)$, `"b1"` $(H,)$, `"W2"` $(H, C)$ and `"b2"`
# $(C,)$ (numpy arrays); `X` has shape $(N, D)$; `y` holds $N$ integer labels. Build the network's
# forward pass with the operations of section 7, run your `backward`, and return `(loss, grads)`:
# the loss as a Python `float`, and a dict with the keys of `params`, each gradient with the shape
# of its parameter. No hand-wired backward pass, and nothing of the course's engine: the tests
# compare your gradients with it.
#
# **Example.** The test below compares your loss and gradients with the course's engine, which
# differentiates the same network by itself, and with finite differences of your loss.
#
# <details><summary>Hint 1</summary>
#
# Which nodes must you keep a handle on, to read their `.grad` after the backward pass?
# </details>
#
# <details><summary>Hint 2</summary>
#
# The operations accept arrays and wrap them as constants; `@` and `+` work on nodes as on arrays.
# </details>

# %% nbgrader={"grade": false, "grade_id": "two-layer-forward-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def two_layer_forward_backward(params, X, y):
    """Loss and gradients of affine - relu - affine - softmax cross-entropy, by your engine.

    params: {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}; X: (N, D); y: (N,) integer labels.
    Returns (loss, grads), grads a dict with params' keys, each the shape of its parameter.
    """
    ### BEGIN SOLUTION
    leaves = {name: Node(value, label=name) for name, value in params.items()}
    hidden = relu(Node(X, label="X") @ leaves["W1"] + leaves["b1"])
    loss = cross_entropy(hidden @ leaves["W2"] + leaves["b2"], y)
    backward(loss)
    return float(loss.value), {name: leaf.grad for name, leaf in leaves.items()}
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
            f"shapes do not fit: check that each rule above passes its tests.") from None
    names = ("W1", "b1", "W2", "b2")
    ref_loss, ref_grads = course.value_and_grad(engine_loss, argnums=(0, 1, 2, 3))(
        *(params[k] for k in names), X, y)
    assert isinstance(loss, float), f"the loss must be a Python float, got {type(loss).__name__}"
    assert np.isclose(loss, ref_loss), f"the loss should be {float(ref_loss):.6f}, got {loss}"
    assert isinstance(grads, dict) and set(grads) == set(names), (
        f"grads must be a dict with the keys {names}; got {type(grads).__name__} "
        f"{sorted(grads) if isinstance(grads, dict) else ''}")
    for name in names:
        assert grads[name] is not None, (
            f"grads['{name}'] is None: it must be the .grad of the very node your forward pass used "
            f"for {name}")
        assert np.shape(grads[name]) == params[name].shape, (
            f"grads['{name}'] must have the shape of {name}, {params[name].shape}; got {np.shape(grads[name])}")
    errors = {name: rel_error(grads[name], ref) for name, ref in zip(names, ref_grads)}
    wrong = [name for name in names if errors[name] > 1e-8]
    if wrong:
        first = wrong[0]
        raise AssertionError(
            f"Gradients that disagree with the engine: {', '.join(wrong)}.\n"
            f"grads['{first}'] (relative error {errors[first]:.2g}): expected\n"
            f"{ref_grads[names.index(first)]}\ngot\n{grads[first]}")
    return loss, grads


X_t, W1_t, b1_t, W2_t, b2_t = random_inputs((6, 2), (2, 5), (5,), (5, 3), (3,), seed=7)
params_t = {"W1": W1_t, "b1": b1_t, "W2": W2_t, "b2": b2_t}
y_t = np.array([0, 1, 2, 2, 1, 0])
before = {k: v.copy() for k, v in params_t.items()}
loss_t, grads_t = compare_with_engine(params_t, X_t, y_t)
assert all(np.array_equal(params_t[k], before[k]) for k in params_t), "the parameters must not change"
# And against finite differences of your own loss, for W1.
numeric = numerical_grad(lambda W: two_layer_forward_backward({**params_t, "W1": W}, X_t, y_t)[0], W1_t)
assert rel_error(grads_t["W1"], numeric) < 1e-6, (
    f"grads['W1'] disagrees with finite differences of your loss (relative error "
    f"{rel_error(grads_t['W1'], numeric):.2g})")

# %% nbgrader={"grade": true, "grade_id": "test-two-layer-forward-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(two_layer_forward_backward({'W1': np.ones((1, 1)), 'b1': np.ones(1), 'W2': np.ones((1, 2)), 'b2': np.ones(2)}, np.ones((1, 1)), np.array([0]))) == 2
### BEGIN HIDDEN TESTS
def _engine_loss(W1, b1, W2, b2, X, y):
    return course.cross_entropy(course.relu(X @ W1 + b1) @ W2 + b2, y)


def _compare(params, X, y):
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


for (n, d, hdim, c), seed in [((1, 3, 4, 2), 51), ((10, 4, 7, 5), 52), ((5, 2, 1, 3), 53)]:
    X_h, W1_h, b1_h, W2_h, b2_h = random_inputs((n, d), (d, hdim), (hdim,), (hdim, c), (c,), seed=seed)
    y_h = np.random.default_rng(seed).integers(0, c, size=n)
    _compare({"W1": W1_h, "b1": b1_h, "W2": W2_h, "b2": b2_h}, X_h, y_h)
X_t, W1_t, b1_t, W2_t, b2_t = random_inputs((6, 2), (2, 5), (5,), (5, 3), (3,), seed=7)
params_t = {"W1": W1_t, "b1": b1_t, "W2": W2_t, "b2": b2_t}
y_t = np.array([0, 1, 2, 2, 1, 0])
_, grads_t = two_layer_forward_backward(params_t, X_t, y_t)
errors = {name: rel_error(grads_t[name], numerical_grad(
    lambda p, name=name: two_layer_forward_backward({**params_t, name: p}, X_t, y_t)[0], params_t[name]))
    for name in ("W1", "b1", "W2", "b2")}
assert max(errors.values()) < 1e-6, f"gradients disagree with finite differences: relative errors {errors}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-network-check", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Here is the check written out for you to read: every gradient of your engine against the course's
# engine and against finite differences. Relative errors around $10^{-8}$ or smaller mean they agree.

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
# ## 9. Training on spirals
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
radii = np.hypot(*X_train.T)
show(fig, alt=f"The spiral data set: a scatter plot of {len(X_train)} points in the plane, "
     f"x from {X_train[:, 0].min():.2f} to {X_train[:, 0].max():.2f}, y from "
     f"{X_train[:, 1].min():.2f} to {X_train[:, 1].max():.2f}, coloured by class "
     f"({', '.join(f'class {c}: {n} points' for c, n in enumerate(np.bincount(y_train)))}); "
     f"each class is one spiral arm winding out from the centre (radius {radii.min():.2f}) to "
     f"radius {radii.max():.2f}.")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md-training", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Training is plain gradient descent: repeat "compute the loss and the gradients with your engine,
# then move every parameter a small step against its gradient", $p \leftarrow p - \eta\,\frac{\partial L}{\partial p}$.
# The data set is small, so each step uses all the points (with a large data set each step would use
# a random mini-batch, which is what makes gradient descent *stochastic*). The weights start small and
# random (scaled so the signals neither explode nor vanish), the biases at zero. Every step builds a
# fresh graph and walks it back: that is what PyTorch does too.

# %%
def init_params(D, H, C, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((D, H)) * np.sqrt(2.0 / D), "b1": np.zeros(H),
            "W2": rng.standard_normal((H, C)) * np.sqrt(1.0 / H), "b2": np.zeros(C)}


def predict(params, X):
    h = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.argmax(h @ params["W2"] + params["b2"], axis=1)


params = init_params(D=2, H=64, C=3, seed=1)
learning_rate, steps = 1.0, 1000
losses = []
start = time.perf_counter()
for _ in range(steps):
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
grid = np.linspace(-1.2, 1.2, 200)
gx, gy = np.meshgrid(grid, grid)
classes = predict(params, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
axes[1].contourf(gx, gy, classes, levels=[-0.5, 0.5, 1.5, 2.5], colors=CLASS_COLORS, alpha=0.25)
for c in range(3):
    axes[1].scatter(*X_train[y_train == c].T, s=12, color=CLASS_COLORS[c])
axes[1].set_aspect("equal")
axes[1].set_title("Decision regions after training")
fig.tight_layout()
region_shares = np.bincount(classes.ravel(), minlength=3) / classes.size
show(fig, alt=f"Two panels. Left, training loss (log scale) against step, 0 to {steps - 1}: "
     + series_alt(np.arange(steps), {"loss": losses}) + ". Right, decision regions after "
     f"training on the grid from {grid[0]:g} to {grid[-1]:g} with the training points over them: "
     + ", ".join(f"class {c} takes {share:.0%} of the grid" for c, share in enumerate(region_shares))
     + f"; {accuracy:.1%} of the training points lie in their own class's region.")

# %% [markdown] nbgrader={"grade": false, "grade_id": "md-summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## What you learned
#
# - The Jacobian of $y = xW$ is a 4-D array of shape $(N, M, N, D)$, mostly zeros, far too large to
#   build for a real layer. Nobody builds it.
# - One entry of a gradient is the **inner product** (element-wise product, summed) of a slice of
#   that Jacobian with the upstream gradient, not a matrix product. Written for all entries at once
#   it becomes a matrix product: $\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^T$,
#   and the one for $W$ that you found.
# - A gradient has the shape of its variable; when you forget a formula, the shapes tell you how the
#   factors must be arranged (but only the derivation tells you it is right).
# - A matrix used twice by one gate ($X X^T$) collects a gradient from each use; a broadcast in the
#   forward pass is a copy, and its backward pass sums over the copies: `unbroadcast`, for any
#   broadcast, applied once by the engine.
# - Softmax and cross-entropy together have a gradient that needs no division and no log, as the
#   logistic loss's "probability minus target".
# - An autodiff engine is a recorded graph and one walk: a topological order, shares summed back to
#   their parents' shapes, contributions added (never overwritten, never added in place into an
#   array another node holds). You wrote it, checked it against the course's engine and finite
#   differences, and trained a network with it. `course.Tensor` works the same way, with many more
#   operations.
