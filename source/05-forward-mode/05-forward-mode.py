# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Forward mode: the chain rule in the other order
#
# **41 points**, in 11 exercises. Each exercise has a visible test right after it and hidden tests
# that check more cases when your work is graded; the points of both are in each test cell.
#
# Backprop is one way to apply the chain rule. This assignment shows that it is a *choice*, which
# other choices exist, and when each one is the right one.
#
# **What you will learn**
#
# 1. The chain rule of a composed function is a product of Jacobian matrices. Matrix products are
#    associative, so we may multiply them in any order: from the output side (*reverse mode*,
#    backprop), from the input side (*forward mode*), or in any bracketing in between. You will
#    count what each order costs and find the cheapest one.
# 2. Forward mode on a computational graph: the same local gradients as backprop, visited from the
#    inputs to the output.
# 3. Dual numbers: a value and its derivative carried together through ordinary arithmetic. You
#    derive the quotient and power rules from one algebraic rule, $\varepsilon^2 = 0$.
# 4. Jacobian-vector product (JVP) rules that the lecture notes never show, derived by you: the
#    log-sum-exp, a row standardisation (the heart of layer normalisation), and a linear solve.
#    Then the *dot-product test*, which checks forward mode against reverse mode with no finite
#    differences at all.
# 5. When to build a whole Jacobian with forward mode (`jacfwd`) and when with reverse mode
#    (`jacrev`).
#
# Run the cells in order.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import matplotlib.pyplot as plt
import numpy as np

import course
from course import Value
from course.timing import best_time
from course.figures import (FORWARD_COLOR, GRADIENT_COLOR, draw_graph, graph_alt, graph_positions,
                            series_alt, show)
from course.gradcheck import check_jvp, dot_product_test, numerical_grad, random_inputs
from course.value import topological_order

TANGENT_COLOR = "#2b8a3e"   # in this notebook: tangents, the derivatives that forward mode carries
np.set_printoptions(precision=4, suppress=True)


# %% [markdown]
# ## 1. The chain rule is a product of matrices
#
# Take a function made of three steps, $f = f_3 \circ f_2 \circ f_1$:
#
# $$x \in \mathbb{R}^{d_0} \xrightarrow{\;f_1\;} h_1 \in \mathbb{R}^{d_1}
# \xrightarrow{\;f_2\;} h_2 \in \mathbb{R}^{d_2} \xrightarrow{\;f_3\;} y \in \mathbb{R}^{d_3}$$
#
# Each step has a Jacobian $J_k$, a $d_k \times d_{k-1}$ matrix whose entry $[i, j]$ is
# $\partial (\text{output } i) / \partial (\text{input } j)$ of that step. The chain rule says that
# the Jacobian of the whole function is the product
#
# $$J = J_3 \, J_2 \, J_1 \qquad (d_3 \times d_0).$$
#
# *A note on layout.* This notebook, the engine and JAX write a Jacobian as **outputs × inputs**
# (row $i$ belongs to output $i$). The lecture notes write $dy/dx$ as inputs × outputs, the
# transpose, so that $dL/dx = (dy/dx)(dL/dy)$ reads left to right. The numbers are the same; only
# the transposes move.
#
# Matrix multiplication is associative: $(J_3 J_2) J_1 = J_3 (J_2 J_1)$. Both groupings give the
# same matrix, but not for the same amount of work. Multiplying an $a \times b$ matrix by a
# $b \times c$ matrix takes $a \cdot b \cdot c$ multiply-adds. Two orders stand out:
#
# * **Reverse order**, from the output side: $\big((J_3 J_2) J_1\big)$. The running product always has
#   $d_3$ rows, one per *output*.
# * **Forward order**, from the input side: $\big(J_3 (J_2 J_1)\big)$. The running product always has
#   $d_0$ columns, one per *input*.
#
# When $f$ ends in a scalar loss, $d_3 = 1$ and $J_3$ is a single row. The reverse order then only
# ever multiplies a row vector by a matrix: a **vector-Jacobian product** (VJP). That is exactly what
# backprop does, one gate at a time: the upstream gradient is the row vector. The figure below draws
# the matrices to scale for a small chain with 8 inputs and 1 output, one multiplication per step.

# %%
def draw_matrix(ax, x, rows, cols, color, label, scale=0.22):
    # One matrix as a rectangle, rows tall and cols wide (to scale); returns its right edge.
    ax.add_patch(plt.Rectangle((x, -rows * scale / 2), cols * scale, rows * scale,
                               fc=color, ec="black", alpha=0.35))
    ax.text(x + cols * scale / 2, rows * scale / 2 + 0.08, label, ha="center", va="bottom", fontsize=9)
    return x + cols * scale


def draw_orders(dims):
    # The two orders of multiplying J_L ... J_1 for layer sizes dims = (d0, ..., dL), one
    # multiplication per step: gray, the Jacobians not multiplied yet; coloured, the running product.
    L = len(dims) - 1
    gray = "#adb5bd"
    jacobian = {k: (f"J{k}", (dims[k], dims[k - 1]), gray) for k in range(1, L + 1)}
    fig, axes = plt.subplots(2, 1, figsize=(10, 4.2))
    for ax, order in zip(axes, ("reverse", "forward")):
        x = 0.0
        from_output = order == "reverse"
        for step in range(L):
            if from_output:          # J_L ... J_(L-step) are multiplied, J_(L-step-1) ... J_1 not yet
                shape = (dims[L], dims[L - step - 1])
                pieces = [(f"{shape[0]}×{shape[1]}", shape, GRADIENT_COLOR)] if step else []
                pieces += [jacobian[k] for k in range(L - step - 1 if step else L, 0, -1)]
            else:                    # J_(step+1) ... J_1 are multiplied
                shape = (dims[step + 1], dims[0])
                pieces = [jacobian[k] for k in range(L, step + 1 if step else 0, -1)]
                pieces += [(f"{shape[0]}×{shape[1]}", shape, TANGENT_COLOR)] if step else []
            if step:
                ax.annotate("", xy=(x + 0.55, 0), xytext=(x + 0.1, 0),
                            arrowprops=dict(arrowstyle="->", color="gray"))
                x += 0.75
            for label, (r, c), color in pieces:
                x = draw_matrix(ax, x, r, c, color, label) + 0.08
        ax.set_title(f"{order} order", fontsize=10, loc="left")
        ax.set_xlim(-0.1, x + 0.1)
        ax.set_ylim(-1.4, 1.4)
        ax.set_aspect("equal")
        ax.axis("off")
    title = (f"J = J{L} ⋯ J1, layer sizes {tuple(dims)}. Gray: the Jacobians; "
             "coloured: the running product")
    fig.suptitle(title, fontsize=10)
    plt.tight_layout()
    shapes = ", ".join(f"J{k} {dims[k]}×{dims[k - 1]}" for k in range(L, 0, -1))
    reverse = " then ".join(f"{dims[L]}×{dims[k]}" for k in range(L - 2, -1, -1))
    forward = " then ".join(f"{dims[k]}×{dims[0]}" for k in range(2, L + 1))
    show(fig, alt=f"{title}. Each matrix drawn to scale: {shapes}. Reverse order (top row) "
         f"multiplies from J{L}, its running product {dims[L]}×{dims[L - 1]} becoming {reverse}. "
         f"Forward order (bottom row) multiplies from J1, its running product "
         f"{dims[1]}×{dims[0]} becoming {forward}.")


draw_orders((8, 6, 4, 1))


# %% [markdown]
# Reading the figure: in the reverse order the running product is a single row from the first
# multiplication on (the loss has one output); in the forward order it carries all 8 input columns
# through every step.
#
# ### Exercise 1: multiply a Jacobian chain in either order, and count the work (2 points)
#
# **What to do.** Write `chain_product(jacobians, order)`. `jacobians` is the list
# `[J1, J2, ..., JL]` in the order the steps are applied (`J1` acts on the input, so
# `J1.shape == (d1, d0)`), and `order` is `"reverse"` or `"forward"`. Multiply them with `@` in that
# order and count the multiply-adds. Return the pair `(J, multiply_adds)`, where
# `J = JL @ ... @ J1` and `multiply_adds` is an `int`.
#
# **Approach.** Keep a running product. In the reverse order it starts as the Jacobian nearest the
# output, and the others join it one at a time, moving toward the input; in the forward order it
# starts at the input's end. Add the cost of every product as you make it.
#
# **Example.** For layer sizes $(d_0, d_1, d_2, d_3) = (4, 3, 2, 1)$ (Jacobians of shapes `(3, 4)`,
# `(2, 3)`, `(1, 2)`), the reverse order costs 18 multiply-adds and the forward order 32.
#
# <details><summary>Hint 1</summary>
#
# Write both orders of three Jacobians with brackets: $((J_3 J_2) J_1)$ and $J_3 (J_2 J_1)$. Which
# matrix does each start from, and on which side of the running product does the next one go so
# that the shapes fit?
# </details>
#
# <details><summary>Hint 2</summary>
#
# An `(a, b) @ (b, c)` product costs $a \cdot b \cdot c$: read the three numbers off the shapes of
# the two factors just before you multiply them. With a single Jacobian there is nothing to multiply
# (a count of 0). Both orders must give the same `J`, up to rounding: that is associativity.
# </details>

# %% nbgrader={"grade": false, "grade_id": "chain-product", "locked": false, "schema_version": 3, "solution": true, "task": false}
def chain_product(jacobians, order):
    """Multiply [J1, ..., JL] (J1 applied first) in the given order.

    order: "reverse" (running product starts at the output side, JL) or "forward" (starts at J1).
    Returns (J, multiply_adds): J = JL @ ... @ J1, shape (dL, d0); multiply_adds an int, where
    an (a, b) @ (b, c) product costs a * b * c.
    """
    if order not in ("reverse", "forward"):
        raise ValueError(f"order must be 'reverse' or 'forward', not {order!r}")
    ### BEGIN SOLUTION
    count = 0
    if order == "reverse":
        running = jacobians[-1]
        for J in reversed(jacobians[:-1]):
            count += running.shape[0] * running.shape[1] * J.shape[1]
            running = running @ J
    else:
        running = jacobians[0]
        for J in jacobians[1:]:
            count += J.shape[0] * J.shape[1] * running.shape[1]
            running = J @ running
    return running, int(count)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-chain-product", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
J1, J2, J3 = rng.standard_normal((3, 4)), rng.standard_normal((2, 3)), rng.standard_normal((1, 2))
J_rev, cost_rev = chain_product([J1, J2, J3], "reverse")
J_fwd, cost_fwd = chain_product([J1, J2, J3], "forward")

assert np.shape(J_rev) == (1, 4) and np.shape(J_fwd) == (1, 4), (
    f"J = J3 @ J2 @ J1 has one row per output and one column per input, shape (1, 4); "
    f"got {np.shape(J_rev)} (reverse) and {np.shape(J_fwd)} (forward)")
assert np.allclose(J_rev, J3 @ J2 @ J1) and np.allclose(J_fwd, J3 @ J2 @ J1), (
    "J must equal J3 @ J2 @ J1 in both orders: multiply the Jacobians, do not transpose them")
assert (cost_rev, cost_fwd) != (32, 18), (
    "the two counts are swapped: the reverse order starts from J3, the Jacobian of the OUTPUT step")
assert cost_rev == 18, (
    f"reverse order, layer sizes (4, 3, 2, 1): (J3 @ J2) is a (1, 2) @ (2, 3) product, then a "
    f"(1, 3) @ (3, 4) one; they cost 18 multiply-adds in all, you counted {cost_rev}. An (a, b) @ "
    f"(b, c) product costs a * b * c")
assert cost_fwd == 32, (
    f"forward order, layer sizes (4, 3, 2, 1): (J2 @ J1) is a (2, 3) @ (3, 4) product, then "
    f"J3 @ (J2 J1) a (1, 2) @ (2, 4) one: 32 multiply-adds in all; you counted {cost_fwd}")

# %% nbgrader={"grade": true, "grade_id": "test-chain-product-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(chain_product([np.ones((2, 3)), np.ones((1, 2))], "forward")[0]) == (1, 3)
### BEGIN HIDDEN TESTS
def _expected_costs(dims):
    L = len(dims) - 1
    rev = sum(dims[L] * dims[k] * dims[k - 1] for k in range(1, L))
    fwd = sum(dims[k] * dims[k - 1] * dims[0] for k in range(2, L + 1))
    return rev, fwd

_rng = np.random.default_rng(5)
for _dims in [(5, 2), (1, 7, 3), (6, 4, 1), (2, 5, 9, 3, 4), (10, 8, 6, 4, 2, 1), (1, 3, 3, 3, 8)]:
    _Js = [_rng.standard_normal((_dims[k], _dims[k - 1])) for k in range(1, len(_dims))]
    _full = _Js[0]
    for _J in _Js[1:]:
        _full = _J @ _full
    _rev, _fwd = _expected_costs(_dims)
    for _order, _cost in (("reverse", _rev), ("forward", _fwd)):
        _J_got, _cost_got = chain_product(list(_Js), _order)
        assert np.shape(_J_got) == _full.shape, (
            f"layer sizes {_dims}, {_order}: J has shape {np.shape(_J_got)}, expected {_full.shape}")
        assert np.allclose(_J_got, _full), f"layer sizes {_dims}, {_order}: wrong product J"
        assert _cost_got == _cost, (
            f"layer sizes {_dims}, {_order} order: expected {_cost} multiply-adds, you counted {_cost_got}")
_J_one, _cost_one = chain_product([_rng.standard_normal((3, 2))], "reverse")
assert np.shape(_J_one) == (3, 2) and _cost_one == 0, "a single Jacobian: nothing to multiply, 0 multiply-adds"
### END HIDDEN TESTS

# %% [markdown]
# ### What the order costs
#
# The cell below uses your `chain_product` on layer sizes shaped like a small classifier: 784
# inputs, two hidden layers, 10 scores, and a scalar loss.

# %%
rng = np.random.default_rng(1)
dims = (784, 256, 128, 10, 1)
jacobians = [rng.standard_normal((dims[k], dims[k - 1])) for k in range(1, len(dims))]
J_rev, cost_rev = chain_product(jacobians, "reverse")
J_fwd, cost_fwd = chain_product(jacobians, "forward")
print(f"layer sizes {dims}")
print(f"reverse order: {cost_rev:>12,} multiply-adds")
print(f"forward order: {cost_fwd:>12,} multiply-adds  ({cost_fwd / cost_rev:.0f} times more)")
print(f"same Jacobian either way: max difference {np.max(np.abs(J_rev - J_fwd)):.1e}")


# %% [markdown]
# Now vary the number of inputs $n$ and the number of outputs $m$ of a chain with two hidden layers
# of width 32. The left panel has one output (a loss) and more and more inputs; the right panel has
# one input and more and more outputs.

# %%
def order_costs(n, m, width=32, seed=0):
    rng = np.random.default_rng(seed)
    dims = (n, width, width, m)
    jacobians = [rng.standard_normal((dims[k], dims[k - 1])) for k in range(1, len(dims))]
    return chain_product(jacobians, "reverse")[1], chain_product(jacobians, "forward")[1]


sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
panels = []
for ax, (label, pairs) in zip(axes, [("n inputs (m = 1 output)", [(s, 1) for s in sizes]),
                                     ("m outputs (n = 1 input)", [(1, s) for s in sizes])]):
    costs = np.array([order_costs(n, m) for n, m in pairs])
    ax.loglog(sizes, costs[:, 0], "o-", color=GRADIENT_COLOR, label="reverse order (VJPs)")
    ax.loglog(sizes, costs[:, 1], "s--", color=TANGENT_COLOR, label="forward order (JVPs)")
    ax.set_xlabel(label)
    ax.grid(True, which="major", alpha=0.3)
    cheaper = ["reverse" if r < f else "forward" if f < r else "equal" for r, f in costs]
    panels.append(f"against {label}: " + series_alt(sizes, {"reverse order": costs[:, 0],
                                                            "forward order": costs[:, 1]},
                                                    x_fmt="{:g}")
                  + "; the cheaper order for each size: " + ", ".join(
                      f"{size}: {order}" for size, order in zip(sizes, cheaper)))
axes[0].set_ylabel("multiply-adds")
axes[0].legend()
title = "Reverse order wins with few outputs, forward order with few inputs"
fig.suptitle(title, fontsize=11)
plt.tight_layout()
show(fig, alt=f"{title}: two log-log panels of multiply-adds against size "
     f"{sizes[0]} to {sizes[-1]}, for chains of width 32. " + ". ".join(panels) + ".")


# %% [markdown]
# ### Neither order is always the cheapest
#
# Forward and reverse are only two of the ways to put brackets into $J_L \cdots J_1$. Three
# Jacobians have exactly those two bracketings; four have five, among them
# $(J_4 J_3)(J_2 J_1)$, which is neither; and the number grows fast (the Catalan numbers, which the
# cell below prints). Picture a chain whose middle is narrow, like an autoencoder's bottleneck:
# wide, wide, *one*, wide, wide. Both one-sided orders carry a wide running product across the
# bottleneck, while multiplying each side down to the bottleneck first never does.
#
# Reverse-mode AD is the choice of one bracketing. Which one is the cheapest is a classic question
# (the *matrix chain* problem), and you can answer it exactly with a little thought.

# %%
for L in (3, 4, 5, 10, 20, 30):
    print(f"{L:>2} Jacobians: {math.comb(2 * (L - 1), L - 1) // L:>22,} bracketings")

# %% [markdown]
# ### Exercise 2: the cheapest bracketing (6 points)
#
# **What to do.** Write `cheapest_order(dims)` for layer sizes `dims = (d0, d1, ..., dL)` (so
# $J_k$ has shape $d_k \times d_{k-1}$, $L \ge 1$). Return the pair `(cost, order)`: the smallest
# number of multiply-adds over **all** bracketings of $J_L \cdots J_1$, and one bracketing that
# achieves it. An `order` is written with the Jacobians' numbers: `k` (an `int`) is $J_k$ alone, and
# a product of two bracketed parts is the tuple `(left, right)`, the left part nearer the output.
# So `((3, 2), 1)` is the reverse order of three Jacobians, `(3, (2, 1))` the forward one, and a
# single Jacobian's order is `1`. It must answer for a chain of 30 Jacobians within a second:
# trying every bracketing is out of the question.
#
# **Approach.** Think about the *last* multiplication of the cheapest bracketing, and solve small
# sub-chains before the large ones that contain them, remembering their answers.
#
# **Example.** `cheapest_order((4, 3, 2, 1))` is `(18, ((3, 2), 1))`: for these sizes the reverse
# order is the cheapest. For the bottleneck `(10, 10, 1, 10, 10)` the answer is
# `(300, ((4, 3), (2, 1)))`.
#
# <details><summary>Hint 1</summary>
#
# The last product of a bracketing of the sub-chain $J_j \cdots J_i$ multiplies $J_j \cdots J_{k+1}$
# by $J_k \cdots J_i$, for some $k$ between $i$ and $j - 1$. What shapes do those two parts have
# (read them off `dims`), and so what does the last product cost? Given the split $k$, how should
# each of the two parts be bracketed?
# </details>
#
# <details><summary>Hint 2</summary>
#
# There are only $L(L+1)/2$ sub-chains $(i, j)$. Compute the cheapest cost (and a bracketing) of each
# one once: either fill a table by increasing length $j - i$, or write a recursive function of
# $(i, j)$ and let `functools.lru_cache` remember its results. A sub-chain of one Jacobian costs 0.
# </details>

# %% nbgrader={"grade": false, "grade_id": "cheapest-order", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cheapest_order(dims):
    """The cheapest bracketing of J_L ... J_1 for layer sizes dims = (d0, ..., dL), J_k: (d_k, d_(k-1)).

    Returns (cost, order): the fewest multiply-adds of any bracketing, and one bracketing with that
    cost, written as nested pairs (left, right) of Jacobian numbers k = 1..L (left nearer the output).
    """
    dims = tuple(int(d) for d in dims)
    ### BEGIN SOLUTION
    L = len(dims) - 1
    best = {(k, k): (0, k) for k in range(1, L + 1)}      # (i, j): sub-chain J_j ... J_i
    for length in range(1, L):
        for i in range(1, L - length + 1):
            j = i + length
            best[i, j] = min(
                ((best[k + 1, j][0] + best[i, k][0] + dims[j] * dims[k] * dims[i - 1],
                  (best[k + 1, j][1], best[i, k][1])) for k in range(i, j)),
                key=lambda candidate: candidate[0])
    return best[1, L]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-cheapest-order", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def bracketing_cost(order, dims):
    """(rows, cols, multiply-adds) of a bracketing, and the Jacobians it covers, checked."""
    if isinstance(order, (int, np.integer)):
        k = int(order)
        assert 1 <= k < len(dims), f"the order names J{k}, but the chain only has J1 ... J{len(dims) - 1}"
        return dims[k], dims[k - 1], 0, [k]
    assert isinstance(order, tuple) and len(order) == 2, (
        f"an order is a Jacobian number or a pair (left, right), not {order!r}")
    r1, c1, cost1, left = bracketing_cost(order[0], dims)
    r2, c2, cost2, right = bracketing_cost(order[1], dims)
    assert left[-1] == right[0] + 1, (
        f"{order!r}: the left part ends at J{left[-1]}, so the right part must start at "
        f"J{left[-1] - 1} (left is nearer the output), not J{right[0]}")
    return r1, c2, cost1 + cost2 + r1 * c1 * c2, left + right


def check_order(dims):
    cost, order = cheapest_order(dims)
    rows, cols, its_cost, covered = bracketing_cost(order, dims)
    L = len(dims) - 1
    assert covered == list(range(L, 0, -1)), f"{order!r} must use J{L} ... J1 once each, in order"
    assert its_cost == cost, (
        f"layer sizes {dims}: the bracketing {order!r} costs {its_cost}, not the {cost} you return")
    return cost, order


assert check_order((4, 3, 2, 1)) == (18, ((3, 2), 1)), (
    "layer sizes (4, 3, 2, 1) have one output: the reverse order ((3, 2), 1), 18 multiply-adds, "
    f"is the cheapest; you return {cheapest_order((4, 3, 2, 1))}")
assert check_order((1, 2, 3, 4)) == (18, (3, (2, 1))), (
    "layer sizes (1, 2, 3, 4) have one input: the forward order (3, (2, 1)) is the cheapest")
cost, order = check_order((10, 10, 1, 10, 10))
assert cost == 300, (
    f"the bottleneck (10, 10, 1, 10, 10): ((4, 3), (2, 1)) costs 300, a quarter of either "
    f"one-sided order; you return cost {cost} with {order!r}. The cheapest bracketing may be "
    f"neither forward nor reverse: try every last split")
cost, order = check_order((10, 8, 6, 3, 4))
assert cost == 504, (
    f"layer sizes (10, 8, 6, 3, 4): the cheapest bracketing costs 504, you return {cost} "
    f"({order!r}). Multiplying the cheapest neighbours first (a greedy choice) is not always the "
    f"cheapest overall: try every last split")


def every_cost(dims, i, j):
    # the costs of all bracketings of J_j ... J_i, by brute force (fine for short chains)
    if i == j:
        return {0}
    return {a + b + dims[j] * dims[k] * dims[i - 1]
            for k in range(i, j) for a in every_cost(dims, k + 1, j) for b in every_cost(dims, i, k)}


rng = np.random.default_rng(2)
for trial in range(6):
    dims = tuple(int(d) for d in rng.integers(1, 12, size=trial % 4 + 3))
    cost, order = check_order(dims)
    assert cost == min(every_cost(dims, 1, len(dims) - 1)), (
        f"layer sizes {dims}: the cheapest of all bracketings costs "
        f"{min(every_cost(dims, 1, len(dims) - 1))}; you return {cost} ({order!r})")
assert check_order((7, 3)) == (0, 1), (
    "a single Jacobian: nothing to multiply, cost 0, and its order is 1")

# %% nbgrader={"grade": true, "grade_id": "test-cheapest-order-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert cheapest_order((3, 2))[0] == 0
### BEGIN HIDDEN TESTS
assert check_order((2, 5, 3))[0] == 30, "two Jacobians: one product"
_rng = np.random.default_rng(12)
for _trial in range(12):
    _dims = tuple(int(d) for d in _rng.integers(1, 30, size=_trial % 5 + 4))
    _cost, _order = check_order(_dims)
    _best = min(every_cost(_dims, 1, len(_dims) - 1))
    assert _cost == _best, f"layer sizes {_dims}: expected {_best}, got {_cost}"
# a long chain: the answer of an independent recursion, and in good time
import functools as _functools
import time as _time
_dims = tuple(int(d) for d in _rng.integers(1, 60, size=31))

@_functools.lru_cache(maxsize=None)
def _reference(i, j):
    if i == j:
        return 0
    return min(_reference(i, k) + _reference(k + 1, j) + _dims[j] * _dims[k] * _dims[i - 1]
               for k in range(i, j))

_start = _time.perf_counter()
_cost, _order = check_order(_dims)
_seconds = _time.perf_counter() - _start
assert _cost == _reference(1, 30), f"30 Jacobians: expected {_reference(1, 30)}, got {_cost}"
assert _seconds < 2.0, f"30 Jacobians took {_seconds:.1f} s: solve each sub-chain once"
### END HIDDEN TESTS

# %% [markdown]
# The cell below asks your `cheapest_order` about three chains: the classifier from above, the
# bottleneck, and a chain with one input and ten outputs.

# %%
for dims in [(784, 256, 128, 10, 1), (10, 10, 1, 10, 10), (1, 64, 64, 10)]:
    L = len(dims) - 1
    jacobians = [np.zeros((dims[k], dims[k - 1])) for k in range(1, L + 1)]
    best, order = cheapest_order(dims)
    print(f"layer sizes {dims}: reverse {chain_product(jacobians, 'reverse')[1]:,}, "
          f"forward {chain_product(jacobians, 'forward')[1]:,}, cheapest {best:,} as {order}")

# %% [markdown]
# For a loss at the end of a network the cheapest bracketing is the reverse one, and for a single
# input it is the forward one. An autodiff system, however, does not get to choose freely: it never
# holds the Jacobians as matrices (a layer's Jacobian with a million inputs would have a million
# columns). It pushes *vectors* through the chain, and forward and reverse are the two bracketings
# that only ever multiply a matrix by a vector. That is why there are two modes. (On a general graph,
# finding the cheapest way to accumulate a Jacobian is NP-hard, so practical systems stick to these
# two, or mix them per block.)
#
# **Cost for $n$ inputs and $m$ outputs.** Each pass of a vector through the chain costs a small
# constant times one evaluation of $f$:
#
# | | forward mode | reverse mode |
# |---|---|---|
# | one pass computes | $J v$: a Jacobian-vector product (JVP) | $u^\top J$: a vector-Jacobian product (VJP) |
# | seed | a direction $v$ in input space | a weighting $u$ of the outputs |
# | full Jacobian | $n$ passes, one per **input** (one column each) | $m$ passes, one per **output** (one row each) |
# | gradient of a scalar loss ($m = 1$) | $n$ passes | **1 pass** |
# | memory | the current values and tangents only | every intermediate value of the forward pass, kept for the backward pass |
#
# A network's loss has one output and millions of parameters (inputs of the loss). One reverse pass
# gives all the derivatives; forward mode would need millions of passes. That is why training uses
# backprop. Forward mode wins when there are few inputs and many outputs, and it needs no stored
# graph.

# %% [markdown]
# ## 2. Forward mode on a computational graph
#
# Backprop visits the graph from the output back to the inputs. At each node it adds up, over the
# node's consumers, *local gradient × upstream gradient*:
#
# $$\bar{p} \mathrel{+}= \frac{\partial\, \text{node}}{\partial p} \cdot \overline{\text{node}}
# \qquad \text{for each input } p \text{ of each node, outputs first.}$$
#
# Forward mode uses **the same local gradients** but visits the graph from the inputs to the
# output. Choose how fast each input moves: its *tangent* $\dot{x}$ (seed 1 for the input you
# differentiate by, 0 for the others). Then each node's tangent is the sum, over the node's inputs,
# of *local gradient × that input's tangent*:
#
# $$\dot{\text{node}} = \sum_{p \,\in\, \text{inputs of node}} \frac{\partial\, \text{node}}{\partial p} \cdot \dot{p}
# \qquad \text{inputs first.}$$
#
# For example, take $h = a \cdot b$ and $\text{out} = h + a$ with $a = 3$, $b = 2$, and seed $a$ with
# 1 (and $b$ with 0). The `*` node has local gradients $b = 2$ (towards $a$) and $a = 3$ (towards
# $b$), so $\dot h = 2 \cdot 1 + 3 \cdot 0 = 2$; the `+` node has local gradients 1 and 1, so
# $\dot{\text{out}} = 1 \cdot \dot h + 1 \cdot \dot a = 3$, which is $\partial\,\text{out}/\partial a = b + 1$.
#
# One forward sweep gives the derivative of **every** node with respect to **one** input direction.
# One backward sweep gives the derivative of **one** output with respect to **every** node. With a
# seed of 1 on input $x$, the output's tangent is $\partial\,\text{out}/\partial x$: the same number that
# backprop leaves in `x.grad`.
#
# The scalar engine's `Value` already stores what you need. Each node has `node._parents` (its
# inputs, a tuple; a node used twice, as in `x * x`, appears twice) and `node._local_grads` (the
# matching local gradients $\partial\,\text{node}/\partial\,\text{parent}$, computed in the forward pass).
# `topological_order(root)` (imported above) lists the nodes of the graph with every node after its
# inputs.
#
# ### Exercise 3: a forward sweep over a `Value` graph (4 points)
#
# **What to do.** Write `forward_tangents(root, seeds)`. `root` is the output `Value` of a graph
# that has been computed; `seeds` is a dict `{leaf Value: tangent}`. Leaves not in `seeds`
# (including constants such as the `2` in `2 * x`) have tangent 0. Return a dict mapping **every
# node** of the graph (the `Value` objects themselves) to its tangent, a float.
#
# **Approach.** Visit the nodes in an order where every node comes after its inputs, and give each
# one its tangent from the formula above.
#
# **Example.** For `out = x * y` with `x = Value(2.0)` and `y = Value(5.0)`, the seeds `{x: 1.0}`
# give the output the tangent 5.0, and the seeds `{x: 1.0, y: 1.0}` give it 7.0 (the derivative along
# the direction (1, 1)).
#
# <details><summary>Hint 1</summary>
#
# Which nodes have no parents, and where does their tangent come from? Which dict method gives a
# default for a key that is missing?
# </details>
#
# <details><summary>Hint 2</summary>
#
# In `x * x` the node lists the parent `x` twice, with a local gradient for each: how many terms
# does its tangent have? Do not call `backward()`: nothing here goes backward.
# </details>

# %% nbgrader={"grade": false, "grade_id": "forward-tangents", "locked": false, "schema_version": 3, "solution": true, "task": false}
def forward_tangents(root, seeds):
    """Forward mode over the graph of `root`: {node: tangent} for every node.

    seeds: {leaf Value: its tangent}; other leaves have tangent 0.
    A node's tangent is the sum over its inputs p of (d node / d p) * tangent(p).
    """
    ### BEGIN SOLUTION
    tangents = {}
    for node in topological_order(root):
        if not node._parents:
            tangents[node] = float(seeds.get(node, 0.0))
        else:
            tangents[node] = sum(local * tangents[parent]
                                 for parent, local in zip(node._parents, node._local_grads))
    return tangents
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-forward-tangents", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x, y = Value(2.0, label="x"), Value(5.0, label="y")
out = x * y
t = forward_tangents(out, {x: 1.0})
assert isinstance(t, dict) and out in t, "return a dict with an entry for every node, the output included"
assert np.isclose(t[x], 1.0) and np.isclose(t[y], 0.0), (
    f"leaves take their seed, and 0 when they have none: t[x] should be 1, t[y] 0; got {t[x]}, {t[y]}")
assert np.isclose(t[out], 5.0), (
    f"d(x*y)/dx = y = 5 with seeds {{x: 1}}; your tangent of out is {t[out]}. A node's tangent is the "
    f"SUM over its inputs of local gradient * tangent of that input")
assert np.isclose(forward_tangents(out, {x: 1.0, y: 1.0})[out], 7.0), (
    "with seeds {x: 1, y: 1} the tangents of both inputs contribute: y * 1 + x * 1 = 7")

# fan-out (a used three times, once as a * a) and a constant factor 2: compare with backprop
a, b_ = Value(0.5, label="a"), Value(-1.5, label="b")
out = (a * a + 2 * a * b_).tanh() * a + b_.exp()
out.backward()
t = forward_tangents(out, {a: 1.0})
assert np.isclose(t[out], a.grad, rtol=1e-12), (
    f"seeding a with 1 must give d(out)/da, which backprop computes as {a.grad:.6g}; your forward "
    f"sweep gives {t[out]:.6g}. Does every parent contribute, including a parent listed twice (a * a)? "
    f"And is the constant 2 a leaf with tangent 0?")
t_both = forward_tangents(out, {a: 1.0, b_: 2.0})
assert np.isclose(t_both[out], a.grad + 2.0 * b_.grad, rtol=1e-12), (
    "with seeds {a: 1, b: 2} the output's tangent is the derivative along (1, 2): "
    "d(out)/da * 1 + d(out)/db * 2")

# %% nbgrader={"grade": true, "grade_id": "test-forward-tangents-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert isinstance(forward_tangents(Value(1.0) * Value(2.0), {}), dict)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(11)
for _trial in range(5):
    _leaves = [Value(float(v), label=f"x{i}") for i, v in enumerate(_rng.uniform(-1.5, 1.5, 4))]
    _x0, _x1, _x2, _x3 = _leaves
    _m = _x0 * _x1 + _x2 / (1.5 + _x3 * _x3)
    _n = (_m.tanh() * _x0 - _x2.sigmoid()) ** 2 + (0.3 * _x1).exp() * _m
    _out = _n * _x3 + 3.0 - _m
    _out.backward()
    _grads = {id(leaf): leaf.grad for leaf in _leaves}
    _seed = _rng.standard_normal(4)
    _t = forward_tangents(_out, {leaf: float(s) for leaf, s in zip(_leaves, _seed)})
    assert len(_t) == len(topological_order(_out)), "return the tangent of every node of the graph"
    _expected = sum(_grads[id(leaf)] * s for leaf, s in zip(_leaves, _seed))
    assert np.isclose(_t[_out], _expected, rtol=1e-10, atol=1e-12), (
        f"directional derivative along random seeds: expected {_expected:.6g}, got {_t[_out]:.6g}")
    # an intermediate node: tangent of m, from its own backward pass
    _m.backward()
    _expected_m = sum(leaf.grad * s for leaf, s in zip(_leaves, _seed))
    assert np.isclose(_t[_m], _expected_m, rtol=1e-10, atol=1e-12), "wrong tangent of an inner node"
    for _leaf, _s in zip(_leaves, _seed):
        assert np.isclose(_t[_leaf], _s), "a leaf's tangent is its seed"
# no seeds at all: every tangent is 0
_t0 = forward_tangents(_out, {})
assert all(abs(v) == 0.0 for v in _t0.values()), "without seeds nothing moves: every tangent is 0"
### END HIDDEN TESTS

# %% [markdown]
# The figure below runs one forward sweep (seed 1 on `a`) and one backward pass on the same graph.
# Left: values (blue) with tangents (green) under each node. Right: values with the gradients that
# flow back (orange). Both give the same derivative of the output with respect to `a`; the forward
# sweep also gives $\partial(\text{node})/\partial a$ for every node, while the backward pass also gives
# $\partial\,\text{out}/\partial b$.

# %%
def draw_tangents(root, tangents, ax, title):
    # The graph with forward values on the edges and each node's tangent underneath it.
    draw_graph(root, ax=ax, show_grad=False, title=title)
    position = graph_positions(root)
    for node in reversed(topological_order(root)):
        x, y = position[id(node)]
        ax.text(x, y - 0.4, f"{tangents[node]:.3g}", color=TANGENT_COLOR, ha="center", va="top",
                fontsize=9, fontweight="bold", zorder=4,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=TANGENT_COLOR, lw=0.8))
    handles = [plt.Line2D([], [], color=FORWARD_COLOR, lw=0, marker="s", label="forward value"),
               plt.Line2D([], [], color=TANGENT_COLOR, lw=0, marker="s",
                          label="tangent of the node (seed 1 on a)")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncol=2, fontsize=8,
              frameon=False)


a = Value(0.5, label="a")
b_ = Value(-1.5, label="b")
out = (a * b_ + a).tanh() * b_
tangents = forward_tangents(out, {a: 1.0})
out.backward()

fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
titles = ["forward mode: tangents flow with the values", "reverse mode: gradients flow back"]
draw_tangents(out, tangents, axes[0], titles[0])
draw_graph(out, ax=axes[1], title=titles[1])
plt.tight_layout()
node_tangents = ", ".join(f"{tangents[node]:.3g}" for node in topological_order(out))
show(fig, alt="Two drawings of one graph. Left: " + graph_alt(out, title=titles[0], show_grad=False)
     + f" Under each node its tangent (seed 1 on a), in the same order: {node_tangents}. Right: "
     + graph_alt(out, title=titles[1]))
print(f"forward sweep: d out / d a = {tangents[out]:.6f}")
print(f"backprop:      a.grad      = {a.grad:.6f}")


# %% [markdown]
# ## 3. Dual numbers: no graph at all
#
# In the forward sweep, a node's tangent is known as soon as its value is, and the inputs' tangents
# are never needed again. So forward mode needs no stored graph: compute each value **together with
# its tangent**, and let the pairs flow through the program.
#
# The classic way to write this is with **dual numbers**. A dual number is a pair
# $(a, \dot a)$, written $a + \dot a\,\varepsilon$, where $\varepsilon$ is a symbol with the single rule
# $\varepsilon^2 = 0$. Ordinary algebra then carries derivatives along by itself. Multiply two of them:
#
# $$(a + \dot a \varepsilon)(b + \dot b \varepsilon) = ab + (\dot a\, b + a\, \dot b)\,\varepsilon + \dot a \dot b\, \varepsilon^2
# = ab + (\dot a\, b + a\, \dot b)\,\varepsilon .$$
#
# The product rule falls out of the multiplication. Feed $x + 1\varepsilon$ into a program made of
# such operations and out comes $f(x) + f'(x)\,\varepsilon$. So far, with $(a, \dot a)$ and $(b, \dot b)$ dual
# numbers:
#
# | operation | value | tangent |
# |---|---|---|
# | $a + b$ | $a + b$ | $\dot a + \dot b$ |
# | $a - b$ | $a - b$ | $\dot a - \dot b$ |
# | $a \cdot b$ | $ab$ | $\dot a\, b + a\, \dot b$ |
#
# A plain number $c$ is the dual number $(c, 0)$: a constant does not move. Quotients, powers and
# functions such as $e^a$ follow from the same rule $\varepsilon^2 = 0$: you derive them next.
#
# ### Exercise 4: the quotient and the power of dual numbers (4 points)
#
# **What to do.** In the class `Dual` below, `+`, `-`, `*` (the table) are written. Complete
# `__truediv__` (`self / other`) and `__pow__` (`self ** p`), each returning a new `Dual`:
# * in `self / other`, `other` is a `Dual` or a plain number (the given first line lifts it);
# * in `self ** p`, `p` is either a plain number (any real; `self.value` may then be negative when
#   `p` is an integer, as in `(-2.0) ** 3`) or a `Dual` (then `self.value > 0`): a moving exponent.
#
# The reflected versions (`1 / d`, `2 ** d`) and negation are given: they call yours.
#
# **Approach.** Derive each tangent on paper with $\varepsilon^2 = 0$ before you write code. Use
# only arithmetic and numpy functions (`np.log`), so that the same code works when `value` and
# `tangent` are numpy arrays.
#
# **Example.** `Dual(3.0, 1.0) / Dual(2.0, 0.0)` is `Dual(1.5, 0.5)` (that is $\frac{d}{dx}\frac{x}{2} = \frac12$),
# and `Dual(2.0, 1.0) ** 3` has the tangent 12.0 (that is $\frac{d}{dx}x^3$ at 2).
#
# <details><summary>Hint 1</summary>
#
# The quotient $q = q_0 + q_1 \varepsilon$ is the dual number with $q\,(b + \dot b \varepsilon) = a + \dot a \varepsilon$.
# Multiply out the left side, drop $\varepsilon^2$, and compare the plain parts and the $\varepsilon$ parts.
# </details>
#
# <details><summary>Hint 2</summary>
#
# A constant exponent: what are $(a + \dot a \varepsilon)^2$ and $(a + \dot a \varepsilon)^3$ once
# $\varepsilon^2 = 0$? Spot the pattern (it holds for every real $p$). A moving exponent: write
# $a^b = e^{b \log a}$; the exponent $b \log a$ is a product in which both factors move.
# </details>
#
# <details><summary>Hint 3</summary>
#
# `np.log` of a negative number is `nan` and writes a warning: use the logarithm only when the
# exponent is a `Dual`. `isinstance(p, Dual)` tells the two cases apart.
# </details>

# %% nbgrader={"grade": false, "grade_id": "dual-arithmetic", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Dual:
    """A dual number value + tangent * eps, with eps**2 == 0.

    value, tangent: numbers (or numpy arrays of one shape). Plain numbers are constants:
    Dual.lift(c) == Dual(c, 0.0).
    """

    __array_ufunc__ = None   # numpy arrays and numbers hand `array * dual` over to Dual

    def __init__(self, value, tangent=0.0):
        self.value = value
        self.tangent = tangent

    def __repr__(self):
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    @staticmethod
    def lift(x):
        """x itself if it is a Dual, else the constant Dual(x, 0.0)."""
        return x if isinstance(x, Dual) else Dual(x, 0.0)

    # --- given: the rules of the table ----------------------------------------------------------
    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __sub__(self, other):
        other = Dual.lift(other)
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __mul__(self, other):
        other = Dual.lift(other)
        return Dual(self.value * other.value, self.tangent * other.value + self.value * other.tangent)

    # --- Exercise 4 ------------------------------------------------------------------------------
    def __truediv__(self, other):
        other = Dual.lift(other)
        ### BEGIN SOLUTION
        quotient = self.value / other.value
        return Dual(quotient, (self.tangent - quotient * other.tangent) / other.value)
        ### END SOLUTION

    def __pow__(self, p):
        ### BEGIN SOLUTION
        if not isinstance(p, Dual):
            return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)
        power = self.value ** p.value
        rate = p.tangent * np.log(self.value) + p.value * self.tangent / self.value
        return Dual(power, power * rate)
        ### END SOLUTION

    # --- given: reflected operators and negation call the ones above ----------------------------
    def __radd__(self, other):
        return Dual.lift(other) + self

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __rmul__(self, other):
        return Dual.lift(other) * self

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __rpow__(self, base):
        return Dual.lift(base) ** self

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    # --- given: functions of dual numbers, built in Exercise 5 ----------------------------------
    def exp(self):
        return dual_exp(self)

    def log(self):
        return dual_log(self)

    def tanh(self):
        return dual_tanh(self)

    def sigmoid(self):
        return dual_sigmoid(self)

    def relu(self):
        return dual_relu(self)


# %% nbgrader={"grade": true, "grade_id": "test-dual-arithmetic", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def dual_rule(operation):
    # jvp_fn(tangents, *inputs) that runs `operation` on dual numbers: check_jvp compares its
    # tangent with finite differences of the same operation on plain numbers
    def jvp_fn(tangents, *xs):
        result = operation(*[Dual(x, t) for x, t in zip(xs, tangents)])
        assert isinstance(result, Dual), f"the result must be a Dual, not {type(result).__name__}"
        return result.tangent
    return jvp_fn


q = Dual(3.0, 1.0) / Dual(2.0, 0.0)
assert isinstance(q, Dual), f"Dual / Dual must return a Dual, not {type(q).__name__}"
assert np.isclose(q.value, 1.5) and np.isclose(q.tangent, 0.5), (
    f"Dual(3, 1) / Dual(2, 0) is x / 2 at x = 3: value 1.5, tangent 1/2; got {q}")
q = Dual(3.0, 0.0) / Dual(2.0, 1.0)
assert np.isclose(q.tangent, -0.75), (
    f"Dual(3, 0) / Dual(2, 1) is 3 / x at x = 2, whose derivative is -3 / 4; got the tangent "
    f"{q.tangent}. When the denominator moves, the quotient shrinks (and by the square of it)")
a, b = random_inputs((2, 3), (2, 3), seed=5)
assert check_jvp(lambda a, b: a / (b * b + 0.5), dual_rule(lambda a, b: a / (b * b + 0.5)), a, b)

p = Dual(2.0, 1.0) ** 3
assert isinstance(p, Dual) and np.isclose(p.value, 8.0) and np.isclose(p.tangent, 12.0), (
    f"Dual(2, 1) ** 3 is x**3 at 2: value 8, tangent 12; got {p}")
p = Dual(-1.5, 2.0) ** 3
assert np.isclose(p.value, -3.375) and np.isclose(p.tangent, 3 * 1.5 ** 2 * 2.0), (
    f"Dual(-1.5, 2) ** 3: a negative base with an integer power is fine, value -3.375 and tangent "
    f"d/dt of (-1.5 + 2t)**3 = 13.5; got {p}")
(x,) = random_inputs((4,), seed=6)
x = np.abs(x) + 0.5
for power in (0.5, -1.0, 2.5):
    assert check_jvp(lambda x: x ** power, dual_rule(lambda x: x ** power), x)
y = Dual(0.7, 0.0) ** Dual(2.0, 1.0)
assert np.isclose(y.tangent, 0.7 ** 2 * np.log(0.7)), (
    f"Dual(0.7, 0) ** Dual(2, 1): only the exponent moves, d/dt 0.7**(2 + t) = {0.7 ** 2 * np.log(0.7):.6g}; "
    f"got {y.tangent}. A moving exponent needs its own term")
base, exponent = random_inputs((3,), (3,), seed=7)
assert check_jvp(lambda a, b: a ** b, dual_rule(lambda a, b: a ** b), np.abs(base) + 0.5, exponent)

# %% nbgrader={"grade": true, "grade_id": "test-dual-arithmetic-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert isinstance(Dual(1.0, 1.0) / Dual(2.0, 0.5), Dual)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3)
for _ in range(20):
    _a, _da, _b, _db = _rng.uniform(0.5, 2.0, 4) * _rng.choice([-1.0, 1.0], 4)
    _A, _B = Dual(_a, _da), Dual(_b, _db)
    for _got, _v, _t, _what in [
            (_A / _B, _a / _b, (_da * _b - _a * _db) / _b ** 2, "/"),
            (_B / _A, _b / _a, (_db * _a - _b * _da) / _a ** 2, "/ (other way round)"),
            (_b / _A, _b / _a, -_b * _da / _a ** 2, "number / Dual"),
            (_A / _b, _a / _b, _da / _b, "Dual / number"),
            (_A ** 2, _a ** 2, 2 * _a * _da, "** 2"),
            (_A ** -2, _a ** -2.0, -2 * _a ** -3.0 * _da, "** -2"),
            (abs(_a) ** _B, abs(_a) ** _b, abs(_a) ** _b * np.log(abs(_a)) * _db, "number ** Dual"),
            (Dual(abs(_a), _da) ** _B, abs(_a) ** _b,
             abs(_a) ** _b * (_db * np.log(abs(_a)) + _b * _da / abs(_a)), "Dual ** Dual")]:
        assert isinstance(_got, Dual), f"{_what} must return a Dual"
        assert np.isclose(_got.value, _v, rtol=1e-12), f"{_what}: wrong value"
        assert np.isclose(_got.tangent, _t, rtol=1e-12), f"{_what}: wrong tangent"
# numpy arrays inside a Dual
_va, _ta = _rng.uniform(1, 2, 5), _rng.standard_normal(5)
_vb, _tb = _rng.uniform(1, 2, 5), _rng.standard_normal(5)
_P = Dual(_va, _ta) * Dual(_vb, _tb) / Dual(_vb, _tb)
assert np.allclose(_P.value, _va) and np.allclose(_P.tangent, _ta), "(a * b) / b must be a, for arrays too"
for _p in (3, -1, 0.5, 2.5):
    _d = Dual(_va, _ta) ** _p
    assert np.allclose(_d.value, _va ** _p) and np.allclose(_d.tangent, _p * _va ** (_p - 1) * _ta), (
        f"** {_p} on arrays")
_d = Dual(np.array([-2.0, -0.5, 1.5]), np.array([1.0, -1.0, 2.0])) ** 2
assert np.allclose(_d.tangent, [-4.0, 1.0, 6.0]), "** 2 of negative values"
_d = Dual(_va, _ta) ** Dual(_vb, _tb)
assert np.allclose(_d.tangent, _va ** _vb * (_tb * np.log(_va) + _vb * _ta / _va)), "Dual ** Dual on arrays"
### END HIDDEN TESTS

# %% [markdown]
# ### Functions of a dual number
#
# What is $g(a + \dot a\,\varepsilon)$ for a smooth function $g$ such as $e^x$ or $\tanh$? One generic
# construction answers it for every $g$ whose derivative $g'$ you know, as a numpy function of the
# value: 01 gave you those for $e^x$, $\log$, $\tanh$, the sigmoid and ReLU.
#
# ### Exercise 5: one construction for every function (2 points)
#
# **What to do.** Write `unary(g, slope)`. `g` is a numpy function of one array (such as `np.sin`)
# and `slope` its derivative, also a numpy function of the value (such as `np.cos`). Return a
# **function** that takes a `Dual` (or a plain number, a constant) and returns $g$ of it as a new
# `Dual`.
#
# **Approach.** Expand $g(a + \dot a\,\varepsilon)$ around $a$ (its Taylor series) and use
# $\varepsilon^2 = 0$.
#
# **Example.** With `x = Dual(0.5, 1.0)`, `unary(np.exp, np.exp)(3 * x)` is a `Dual` whose tangent
# is $\frac{d}{dx} e^{3x}$ at $x = 0.5$.
#
# <details><summary>Hint 1</summary>
#
# $g(a + h) = g(a) + g'(a)\,h + \tfrac12 g''(a)\,h^2 + \dots$: what is $h$ here, and which terms are
# left once $\varepsilon^2 = 0$?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Inside a bigger program the incoming tangent $\dot a$ is the derivative of everything computed
# before, not 1: in the example it is 3. The slope is taken at the *input's* value.
# </details>

# %% nbgrader={"grade": false, "grade_id": "dual-unary", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unary(g, slope):
    """The function d -> g(d) on dual numbers, for g with derivative slope (numpy functions)."""
    ### BEGIN SOLUTION
    def g_of_dual(d):
        d = Dual.lift(d)
        return Dual(g(d.value), slope(d.value) * d.tangent)
    return g_of_dual
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-dual-unary", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
sin = unary(np.sin, np.cos)
assert callable(sin), "unary(g, slope) returns a function of a Dual"
d = sin(Dual(0.0, 1.0))
assert isinstance(d, Dual), f"the function returns a Dual, not {type(d).__name__}"
assert np.isclose(d.value, 0.0) and np.isclose(d.tangent, 1.0), f"sin at Dual(0, 1): value 0, slope 1; got {d}"
(x,) = random_inputs((5,), seed=8)
assert check_jvp(np.sin, lambda tangents, x: sin(Dual(x, tangents[0])).tangent, x)
assert check_jvp(np.exp, lambda tangents, x: unary(np.exp, np.exp)(Dual(x, tangents[0])).tangent, x)
c = sin(2.0)
assert isinstance(c, Dual) and np.isclose(c.value, np.sin(2.0)) and c.tangent == 0.0, (
    f"a plain number is a constant, Dual(2.0, 0.0): sin of it has tangent 0; got {c}")

# %% nbgrader={"grade": true, "grade_id": "test-dual-unary-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert isinstance(unary(np.sin, np.cos)(Dual(0.0, 1.0)), Dual)
### BEGIN HIDDEN TESTS
_cube = unary(lambda a: a ** 3, lambda a: 3 * a ** 2)
for _seed, _shape in enumerate([(), (6,), (2, 3)]):
    (_x,) = random_inputs(_shape, seed=80 + _seed)
    assert check_jvp(np.tanh, lambda t, x: unary(np.tanh, lambda a: 1 - np.tanh(a) ** 2)(Dual(x, t[0])).tangent,
                     _x, seed=_seed)
    assert check_jvp(lambda a: a ** 3, lambda t, x: _cube(Dual(x, t[0])).tangent, _x, seed=_seed)
    _d = _cube(Dual(_x, np.zeros(_shape)))
    assert np.allclose(_d.value, _x ** 3) and np.allclose(_d.tangent, 0.0), "a zero tangent stays zero"
# composed: sin(cos(x)), the slope at each stage's own input
_x = np.linspace(-2, 2, 9)
_d = unary(np.sin, np.cos)(unary(np.cos, lambda a: -np.sin(a))(Dual(_x, np.ones(9))))
assert np.allclose(_d.tangent, -np.cos(np.cos(_x)) * np.sin(_x)), "sin(cos(x)): the chain rule"
### END HIDDEN TESTS

# %% [markdown]
# With your `unary`, the cell below gives `Dual` its functions, from the derivatives you wrote in 01
# (the sigmoid in the form that never overflows, and ReLU's derivative taken as 0 at 0, as in the
# engine).

# %%
def sigmoid_np(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


dual_exp = unary(np.exp, np.exp)
dual_log = unary(np.log, lambda a: 1 / a)
dual_tanh = unary(np.tanh, lambda a: 1 - np.tanh(a) ** 2)
dual_sigmoid = unary(sigmoid_np, lambda a: sigmoid_np(a) * (1 - sigmoid_np(a)))
dual_relu = unary(lambda a: np.maximum(a, 0.0), lambda a: (a > 0) * 1.0)

x = Dual(0.5, 1.0)
print("d/dx e^(3x) at 0.5:", (3 * x).exp().tangent, " 3 e^1.5 =", 3 * np.exp(1.5))

# %% [markdown]
# ### Exercise 6: derivatives by forward mode (2 points)
#
# **What to do.** Write `derivative(f, x)`: the derivative $f'(x)$ of a function of one number,
# computed with a **single** evaluation of `f` on a dual number. When `x` is a numpy array and `f`
# works element by element, the same single evaluation must return all the derivatives at once.
#
# **Approach.** Choose the dual number to feed in so that the tangent of the result is $f'(x)$.
#
# **Example.** `derivative(lambda x: x * x * x, 2.0)` is `12.0`, and
# `derivative(lambda x: 3.0, 2.0)` is `0` (that `f` ignores its input and returns a plain number).
#
# <details><summary>Hint 1</summary>
#
# The tangent of the input is how fast it moves: how fast does $x$ move with respect to $x$?
# </details>
#
# <details><summary>Hint 2</summary>
#
# `f` may return a plain number; `Dual.lift` turns anything into a `Dual`.
# </details>

# %% nbgrader={"grade": false, "grade_id": "derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def derivative(f, x):
    """f'(x) by forward mode: one evaluation of f on a dual number (element-wise for arrays)."""
    ### BEGIN SOLUTION
    return Dual.lift(f(Dual(x, 1.0))).tangent
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-derivative", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = derivative(lambda x: x * x * x, 2.0)
assert np.ndim(got) == 0, f"derivative(f, x) of a number is a number, got shape {np.shape(got)}"
assert np.isclose(got, 12.0), f"d/dx x**3 at 2 is 12; got {got}"
f = lambda x: 2 * x * x - 3 * x + 1          # runs on a Dual, and on the engine's Tensor
for x0 in (-1.0, 0.3, 2.5):
    assert np.isclose(derivative(f, x0), course.grad(f)(x0), rtol=1e-12), (
        f"forward mode must agree with course.grad at x = {x0}: {float(course.grad(f)(x0))}; "
        f"got {derivative(f, x0)}")
assert derivative(lambda x: 3.0, 2.0) == 0, "a function that ignores x has derivative 0"
xs = np.linspace(-1, 1, 5)
assert np.allclose(derivative(lambda x: x * x, xs), 2 * xs), (
    "on an array, one evaluation gives every derivative: d/dx x**2 = 2x at each point")

# %% nbgrader={"grade": true, "grade_id": "test-derivative-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.ndim(derivative(lambda x: x * x, 1.0)) == 0
### BEGIN HIDDEN TESTS
_fs = [
    lambda x: x * x * x - 2 * x,
    lambda x: (x - 1) * (x + 2) * (x * x + 1),
    lambda x: 5 - x * (x - 3) * x * x,
    lambda x: 0.5 * x + 7.0,
]
for _i, _f in enumerate(_fs):
    for _x0 in (-1.3, -0.4, 0.25, 1.7):
        _expected = float(course.grad(_f)(_x0))
        _got = derivative(_f, _x0)
        assert np.isclose(_got, _expected, rtol=1e-10, atol=1e-12), (
            f"function {_i} at x = {_x0}: course.grad gives {_expected:.8g}, your derivative {float(_got):.8g}")
_xs = np.linspace(-2, 2, 7)
_got = derivative(_fs[1], _xs)
_expected = np.array([float(course.grad(_fs[1])(v)) for v in _xs])
assert np.shape(_got) == _xs.shape and np.allclose(_got, _expected), "derivative on an array of points"
_calls = []
derivative(lambda x: _calls.append(x) or x * x, 1.0)
assert len(_calls) == 1, f"one evaluation of f, not {len(_calls)}"
### END HIDDEN TESTS

# %% [markdown]
# ### Watching the pairs flow
#
# The cell below runs a small program on `Dual(0.8, 1.0)` one line at a time and prints each
# intermediate value with its tangent: the derivative of that line with respect to `x`. Nothing is
# stored for later, and nothing runs backward.

# %%
x = Dual(0.8, 1.0)
steps = [("x", x)]
steps.append(("a = x * x", steps[-1][1] * steps[-1][1]))
steps.append(("b = a.tanh()", steps[-1][1].tanh()))
steps.append(("y = b / x", steps[-1][1] / x))
print(f"{'step':<14}{'value':>12}{'tangent (d/dx)':>18}")
for name, d in steps:
    print(f"{name:<14}{d.value:>12.6f}{d.tangent:>18.6f}")
print(f"\ncourse.grad agrees: {float(course.grad(lambda x: (x * x).tanh() / x)(0.8)):.6f}")

# %% [markdown]
# A dual number is a point on the curve together with the slope of the tangent line there. Left:
# one dual evaluation per point gives each tangent line. Right: because `derivative` works element
# by element, one evaluation on an array of 200 points gives the whole derivative curve, which
# matches finite differences.

# %%
f = lambda x: x.tanh() * (0.5 * x).exp() - 0.3 * x
f_np = lambda x: np.tanh(x) * np.exp(0.5 * x) - 0.3 * x
xs = np.linspace(-3, 2, 200)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(xs, f_np(xs), color=FORWARD_COLOR, lw=2, label="f(x)")
for x0 in (-2.0, -0.5, 1.2):
    d = f(Dual(x0, 1.0))
    near = np.linspace(x0 - 0.7, x0 + 0.7, 2)
    axes[0].plot(near, d.value + d.tangent * (near - x0), color=TANGENT_COLOR, lw=1.5)
    axes[0].plot(x0, d.value, "o", color=TANGENT_COLOR)
axes[0].plot([], [], color=TANGENT_COLOR, label="value + tangent · (x - x0)")
axes[0].set_title("each dual evaluation: a value and a slope")
axes[0].legend(fontsize=8)

axes[1].plot(xs, derivative(f, xs), color=TANGENT_COLOR, lw=2, label="derivative(f, xs): one dual pass")
fd_points = xs[::20]
fd = [numerical_grad(f_np, np.array(p)) for p in fd_points]
axes[1].plot(fd_points, fd, "o", color=FORWARD_COLOR, ms=5, label="finite differences")
axes[1].set_title("f'(x)")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel("x")
plt.tight_layout()
touching = [(x0, f(Dual(x0, 1.0))) for x0 in (-2.0, -0.5, 1.2)]
show(fig, alt=f"Two panels against x from {xs[0]:g} to {xs[-1]:g}. Left, "
     + series_alt(xs, {"f(x) = tanh(x) exp(x / 2) - 0.3 x": f_np(xs)}) + ", with its tangent "
     "line from one dual evaluation at " + ", ".join(
         f"x0 = {x0:g} (value {d.value:.3g}, slope {d.tangent:.3g})" for x0, d in touching)
     + ". Right, " + series_alt(xs, {"f'(x) from one dual pass": derivative(f, xs)})
     + f"; {len(fd_points)} finite-difference points lie on it, at most "
     f"{np.max(np.abs(np.array(fd) - derivative(f, fd_points))):.1e} away.")


# %% [markdown]
# ## 4. JVP rules for arrays
#
# The engine does the same with arrays: `course.jvp(f, (x,), (v,))` evaluates `f` once, carrying a
# tangent of the shape of each array along, and returns `(f(x), J v)`. It never builds $J$. Each
# primitive has a forward rule that turns the tangents of its inputs into the tangent of its output.
#
# The convention, the same as `course.gradcheck.check_jvp` expects: a JVP rule is
# `f_jvp(tangents, *inputs)`, where `tangents` is a tuple with one tangent per input, each of its
# input's shape; it returns the output's tangent, of the output's shape. Three kinds of rule, worked
# out in the cell below:
#
# * **Element-wise** functions have a diagonal Jacobian, so $J v$ is the local derivative times the
#   tangent, element by element: for $\tanh$, $\dot y = (1 - \tanh^2 x) \odot \dot x$.
# * **Matrix multiplication** $y = x W$ is linear in each argument. When both move,
#   $\dot y = \dot x\, W + x\, \dot W$: the product rule once more (the $\dot x \dot W$ term carries
#   $\varepsilon^2 = 0$). No transposes: in forward mode the tangent flows the same way as the values.
# * **Softmax** mixes its row: $s = \mathrm{softmax}(x)$ of one row has the Jacobian
#   $\mathrm{diag}(s) - s s^\top$ (you met it in 03). Applied to a tangent it never needs to be built:
#   $\dot s = s \odot \dot x - s\,(s \cdot \dot x)$, with the dot product taken in each row.
#
# `check_jvp` compares a rule with finite differences along random tangents, one input at a time and
# then all together; when a rule is wrong it raises an error that names the likely mistake.

# %%
def tanh_jvp(tangents, x):
    (dx,) = tangents
    return (1 - np.tanh(x) ** 2) * dx


def matmul_jvp(tangents, x, W):
    dx, dW = tangents
    return dx @ W + x @ dW


def softmax_jvp(tangents, x):
    (dx,) = tangents
    s = course.softmax(x)
    return s * dx - s * (s * dx).sum(axis=-1, keepdims=True)


x, W = random_inputs((4, 3), (3, 5), seed=2)
assert check_jvp(np.tanh, tanh_jvp, x)
assert check_jvp(lambda x, W: x @ W, matmul_jvp, x, W)
assert check_jvp(course.softmax, softmax_jvp, x)
print("tanh_jvp, matmul_jvp and softmax_jvp agree with finite differences")

# %% [markdown]
# The next three rules are yours, and the notes do not show them: derive each one on paper first.
# A good way in: write a small change of the input, $x + \dot x\,\varepsilon$, into the function, keep
# what is linear in $\varepsilon$, and check the shapes.
#
# ### Exercise 7: the JVP of log-sum-exp (3 points)
#
# $\mathrm{lse}(x) = \log \sum_c e^{x_c}$, taken along the last axis, is the smooth maximum that sits
# inside every cross-entropy loss. The cell below defines a stable `logsumexp(x)`: a row
# `(C,)` gives a number `()`, a batch `(N, C)` gives `(N,)`.
#
# **What to do.** Write `logsumexp_jvp(tangents, x)`: the tangent of `logsumexp(x)` when `x` moves
# along `tangents[0]`. The tangent has the shape of `logsumexp(x)`.
#
# **Approach.** Differentiate $\log \sum_c e^{x_c}$ along $\dot x$ with the chain rule, and look for a
# function you already know in the result. It must stay finite for large scores.
#
# **Example.** Adding the same number $t$ to every score of a row adds exactly $t$ to its
# log-sum-exp, so the tangent `np.full(C, t)` gives the tangent `t`.
#
# <details><summary>Hint 1</summary>
#
# The derivative of $\log S$ is $\dot S / S$. What are $S$ and $\dot S$ here, and what is
# $e^{x_c} / \sum_k e^{x_k}$ called?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Each row of `x` gives one number, so the tangent is one number per row: a weighted sum over the
# last axis, with no `keepdims`.
# </details>

# %%
def logsumexp(x):
    """log(sum(exp(x))) along the last axis, computed stably; shape x.shape[:-1]."""
    top = np.max(x, axis=-1, keepdims=True)
    return (top + np.log(np.exp(x - top).sum(axis=-1, keepdims=True)))[..., 0]


# %% nbgrader={"grade": false, "grade_id": "logsumexp-jvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logsumexp_jvp(tangents, x):
    """The tangent of logsumexp(x) (along the last axis) when x moves along tangents[0]."""
    (dx,) = tangents
    ### BEGIN SOLUTION
    weights = course.softmax(x)
    return (weights * dx).sum(axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-logsumexp-jvp", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = np.array([1.0, 2.0, 0.5, -1.0])
got = logsumexp_jvp((np.full(4, 0.3),), x)
assert np.shape(got) == (), (
    f"logsumexp of one row is a number, so is its tangent; got shape {np.shape(got)}. "
    f"Sum over the last axis, without keepdims")
assert np.isclose(got, 0.3), (
    f"moving every score by 0.3 moves the log-sum-exp by exactly 0.3; got {float(got):.6g}. The "
    f"weights of the scores must add up to 1")
(x,) = random_inputs((3, 5), seed=3)
assert np.shape(logsumexp_jvp((x,), x)) == (3,), "a batch (3, 5) gives one tangent per row, shape (3,)"
assert check_jvp(logsumexp, logsumexp_jvp, x)
big = 400 * x
assert np.all(np.isfinite(logsumexp_jvp((x,), big))), "large scores: keep the tangent finite (no overflow)"

# %% nbgrader={"grade": true, "grade_id": "test-logsumexp-jvp-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(logsumexp_jvp((np.ones(3),), np.zeros(3))) == ()
### BEGIN HIDDEN TESTS
for _seed, _shape in enumerate([(6,), (4, 3), (2, 3, 5), (1, 1)]):
    (_x,) = random_inputs(_shape, seed=40 + _seed)
    assert check_jvp(logsumexp, logsumexp_jvp, 2 * _x, seed=_seed)
    assert np.shape(logsumexp_jvp((_x,), _x)) == _shape[:-1], f"input {_shape}: tangent shape {_shape[:-1]}"
(_x,) = random_inputs((3, 4), seed=50)
_big = 300 * _x
_dx = np.random.default_rng(51).standard_normal((3, 4))
_winner = np.argmax(_big, axis=-1)
assert np.allclose(logsumexp_jvp((_dx,), _big), _dx[np.arange(3), _winner]), (
    "with one score far above the others, log-sum-exp follows that score alone")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 8: the JVP of a row standardisation (5 points)
#
# Layer normalisation (in every transformer) standardises each row of activations: it subtracts the
# row's mean and divides by the row's standard deviation. The cell below defines
# `standardize(x)` for one row `(C,)` or a batch `(N, C)`, along the last axis:
#
# $$\mu = \tfrac1C \textstyle\sum_c x_c, \qquad \sigma = \sqrt{\tfrac1C \textstyle\sum_c (x_c - \mu)^2},
# \qquad y = (x - \mu) / \sigma .$$
#
# **What to do.** Write `standardize_jvp(tangents, x)`: the tangent of `standardize(x)` when `x`
# moves along `tangents[0]`, of the shape of `x`. Every row has at least two different entries
# ($\sigma > 0$).
#
# **Approach.** Go step by step: the tangent of $x - \mu$, then of $\sigma$ (from $\sigma^2$), then
# the quotient rule. Write the result with $y$ and $\sigma$. Two checks you can make before coding:
# moving every entry of a row by the same amount changes nothing, and neither does stretching a row
# about its mean.
#
# **Example.** For the row `x = [1, 2, 3, 6]` and the tangent `[1, 0, 0, 0]`, the tangent of the
# output is a vector orthogonal to $y$ whose entries sum to 0: the output keeps mean 0 and mean
# square 1 however $x$ moves.
#
# <details><summary>Hint 1</summary>
#
# $\dot\mu$ is the mean of $\dot x$. From $\sigma^2 = \mathrm{mean}((x - \mu)^2)$,
# $2\sigma\dot\sigma = \mathrm{mean}(2 (x - \mu) \odot (\dot x - \dot\mu))$: simplify $\dot\sigma$ with
# $y = (x - \mu)/\sigma$, and remember that $y$ has mean 0.
# </details>
#
# <details><summary>Hint 2</summary>
#
# Every mean is over the last axis of its own row: `axis=-1, keepdims=True` keeps the shape
# `(N, 1)` that broadcasts back over the row. A batch row must not see the other rows.
# </details>

# %%
def standardize(x):
    """Each row (last axis) shifted to mean 0 and scaled to mean square 1: (x - mean) / std."""
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / np.sqrt((centred * centred).mean(axis=-1, keepdims=True))


# %% nbgrader={"grade": false, "grade_id": "standardize-jvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def standardize_jvp(tangents, x):
    """The tangent of standardize(x) (along the last axis) when x moves along tangents[0]."""
    (dx,) = tangents
    ### BEGIN SOLUTION
    y = standardize(x)
    sigma = np.sqrt(((x - x.mean(axis=-1, keepdims=True)) ** 2).mean(axis=-1, keepdims=True))
    d_centred = dx - dx.mean(axis=-1, keepdims=True)
    return (d_centred - y * (y * d_centred).mean(axis=-1, keepdims=True)) / sigma
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-standardize-jvp", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
x = np.array([1.0, 2.0, 3.0, 6.0])
y_row = standardize(x)
got = standardize_jvp((np.array([1.0, 0.0, 0.0, 0.0]),), x)
assert np.shape(got) == x.shape, f"the tangent has the shape of x, {x.shape}; got {np.shape(got)}"
assert np.isclose(got.sum(), 0.0, atol=1e-12), (
    f"the output always has mean 0, so its tangent sums to 0; yours sums to {got.sum():.4g}. "
    f"Did you take the tangent of the mean into account?")
assert np.isclose(got @ y_row, 0.0, atol=1e-12), (
    f"the output always has mean square 1, so its tangent is orthogonal to y; <tangent, y> = "
    f"{got @ y_row:.4g}. How does sigma move when x moves?")
assert np.allclose(standardize_jvp((np.full(4, 2.5),), x), 0.0), "shifting a whole row changes nothing"
assert np.allclose(standardize_jvp((x - x.mean(),), x), 0.0), "stretching a row about its mean changes nothing"
(x,) = random_inputs((3, 5), seed=9)
assert check_jvp(standardize, standardize_jvp, x)

# %% nbgrader={"grade": true, "grade_id": "test-standardize-jvp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(standardize_jvp((np.ones(3),), np.array([0.0, 1.0, 3.0]))) == (3,)
### BEGIN HIDDEN TESTS
for _seed, _shape in enumerate([(2,), (7,), (4, 3), (2, 3, 6)]):
    (_x,) = random_inputs(_shape, seed=90 + _seed)
    assert check_jvp(standardize, standardize_jvp, 3 * _x, seed=_seed)
# each row on its own: a batch gives the rows' tangents
_x, _dx = random_inputs((4, 5), (4, 5), seed=99)
_rows = np.stack([standardize_jvp((_dx[i],), _x[i]) for i in range(4)])
assert np.allclose(standardize_jvp((_dx,), _x), _rows), "each row is standardised on its own"
# scale: a row ten times wider moves ten times less
assert np.allclose(standardize_jvp((_dx,), 10 * _x), standardize_jvp((_dx,), _x) / 10), "divide by sigma"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 9: the JVP of a linear solve (6 points)
#
# `np.linalg.solve(A, b)` returns the $x$ with $A x = b$, for an invertible `A` of shape `(n, n)` and
# `b` of shape `(n,)` or `(n, k)`. Solving shows up wherever a model has an implicit step (a
# Gaussian process, a least-squares layer, Newton's method in 06), and with `b` the identity it is
# the matrix inverse.
#
# **What to do.** Write `solve_jvp(tangents, A, b)`: the tangent of `np.linalg.solve(A, b)` when `A`
# moves along `tangents[0]` and `b` along `tangents[1]`. It has the shape of `b`.
#
# **Approach.** Do not differentiate a formula for $A^{-1}$: differentiate the equation $A x = b$
# that defines $x$, then solve for $\dot x$. Never form an inverse; solve.
#
# **Example.** For a $1 \times 1$ system, $x = b / a$: the tangent must reduce to the quotient rule.
# If only `b` moves, the solution moves the way a solve moves it (a solve is linear in `b`).
#
# <details><summary>Hint 1</summary>
#
# Put $A + \dot A\,\varepsilon$, $b + \dot b\,\varepsilon$ and $x + \dot x\,\varepsilon$ into
# $A x = b$ and compare the $\varepsilon$ parts: which equation does $\dot x$ satisfy?
# </details>
#
# <details><summary>Hint 2</summary>
#
# The right-hand side of that equation has the shape of `b`; `dA @ x` works for `b` of shape `(n,)`
# and `(n, k)` alike. One `np.linalg.solve` for `x`, one for $\dot x$.
# </details>

# %% nbgrader={"grade": false, "grade_id": "solve-jvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def solve_jvp(tangents, A, b):
    """The tangent of np.linalg.solve(A, b) when A moves along tangents[0] and b along tangents[1]."""
    dA, db = tangents
    ### BEGIN SOLUTION
    x = np.linalg.solve(A, b)
    return np.linalg.solve(A, db - dA @ x)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-solve-jvp", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
a, b0, da = np.array([[2.0]]), np.array([3.0]), np.array([[1.0]])
got = solve_jvp((da, np.zeros(1)), a, b0)
assert np.shape(got) == (1,), f"the tangent has the shape of b, (1,); got {np.shape(got)}"
why = {0.0: "Did you leave out the tangent of A?", 0.75: "Mind the sign of the dA term."}
assert np.isclose(got[0], -3.0 / 4.0), (
    f"1 x 1: x = b / a = 3 / 2; when a moves at speed 1, x moves at -b / a**2 = -0.75; got {got[0]:.6g}. "
    + why.get(round(float(got[0]), 6), "Which equation does the tangent of x satisfy?"))
A = np.array([[3.0, 1.0], [0.0, 2.0]])
b = np.array([1.0, 4.0])
got = solve_jvp((np.zeros((2, 2)), np.array([1.0, 0.0])), A, b)
assert np.allclose(got, np.linalg.solve(A, [1.0, 0.0])), (
    f"only b moves: x = solve(A, b) is linear in b, so its tangent is solve(A, db); got {got}")

rng = np.random.default_rng(10)
A = rng.standard_normal((4, 4)) + 4 * np.eye(4)       # well conditioned, not symmetric
b = rng.standard_normal(4)
assert check_jvp(np.linalg.solve, solve_jvp, A, b)
B = rng.standard_normal((4, 3))
assert check_jvp(np.linalg.solve, solve_jvp, A, B)

# %% nbgrader={"grade": true, "grade_id": "test-solve-jvp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(solve_jvp((np.ones((1, 1)), np.ones(1)), np.ones((1, 1)), np.ones(1))) == (1,)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(70)
for _seed, (_n, _k) in enumerate([(1, None), (3, None), (5, 2), (2, 4), (6, None)]):
    _A = _rng.standard_normal((_n, _n)) + _n * np.eye(_n)
    _b = _rng.standard_normal(_n if _k is None else (_n, _k))
    assert check_jvp(np.linalg.solve, solve_jvp, _A, _b, seed=_seed)
    assert np.shape(solve_jvp((_A, _b), _A, _b)) == np.shape(_b), "the tangent has the shape of b"
# the inverse: b = I gives d(A^-1) = -A^-1 dA A^-1, checked by finite differences of np.linalg.inv
_A = _rng.standard_normal((3, 3)) + 3 * np.eye(3)
_dA = _rng.standard_normal((3, 3))
_eps = 1e-6
_fd = (np.linalg.inv(_A + _eps * _dA) - np.linalg.inv(_A - _eps * _dA)) / (2 * _eps)
assert np.allclose(solve_jvp((_dA, np.zeros((3, 3))), _A, np.eye(3)), _fd, rtol=1e-6, atol=1e-8), "the inverse"
# the reverse-mode rule of solve, transposed: the dot-product test agrees to rounding
def _solve_vjp(u, A, b):
    _x = np.linalg.solve(A, b)
    _bbar = np.linalg.solve(A.T, u)
    return -(_bbar.reshape(len(A), -1) @ _x.reshape(len(A), -1).T), _bbar

assert dot_product_test(np.linalg.solve, solve_jvp, _solve_vjp, _A, _rng.standard_normal(3))
assert dot_product_test(np.linalg.solve, solve_jvp, _solve_vjp, _A, _rng.standard_normal((3, 2)))
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Forward and reverse mode must agree: the dot-product test
#
# A JVP computes $J v$; a VJP computes $J^\top u$ (the gradient of $\langle u, f(x) \rangle$). They come
# from the same matrix $J$, so for **any** $u$ (the shape of the output) and $v$ (the shape of the
# input):
#
# $$\langle u,\, J v \rangle \;=\; u^\top J v \;=\; (J^\top u)^\top v \;=\; \langle J^\top u,\, v \rangle .$$
#
# The left side needs only the JVP rule, the right side only the VJP rule. Both are exact
# computations: no step size, no truncation error. So two correct rules agree to rounding, about
# $10^{-12}$ relative, far tighter than any finite-difference check ($10^{-5}$ or so). If they
# disagree, one of the two rules is wrong. (If both are wrong in matching ways, the test cannot tell:
# it checks that the two rules are transposes of each other, not that either is the derivative.
# Finite differences check that.) `torch.autograd.gradcheck(fast_mode=True)` uses the same idea.
#
# ### Exercise 10: the dot-product test (3 points)
#
# **What to do.** Write `dot_product_gap(f, jvp_fn, vjp_fn, x, seed=0)` for a function `f` of one
# array `x`. `jvp_fn(tangents, x)` returns $J v$ (with `tangents = (v,)`) and `vjp_fn(u, x)` returns
# $J^\top u$. Draw a random $v$ and a random $u$ from the given generator `rng` (standard normal),
# compute the two sides, and return their **relative** gap, a float:
# $|\langle u, Jv\rangle - \langle J^\top u, v\rangle| \,/\, (|\langle u, Jv\rangle| + |\langle J^\top u, v\rangle|)$,
# or 0.0 when both sides are 0.
#
# **Approach.** Decide first which space each random vector lives in, and so its shape. Each side
# must come from its own rule.
#
# **Example.** For $f(x) = A x$ with the rules `lambda t, x: A @ t[0]` and `lambda u, x: A.T @ u`, the
# gap is about $10^{-16}$; with the transpose forgotten in the VJP (square `A`), it is of order 1.
#
# <details><summary>Hint 1</summary>
#
# $v$ is a direction in which $x$ moves; $u$ weights the outputs of $f$. What are their shapes when
# $f$ maps 4 numbers to 3?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Why random and not all ones? A wrong rule can be right on one special vector. Why relative? A
# function a billion times smaller has a billion times smaller gap, and is just as wrong.
# `np.vdot(a, b)` sums the products of two arrays of one shape, whatever the shape.
# </details>

# %% nbgrader={"grade": false, "grade_id": "dot-product-gap", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dot_product_gap(f, jvp_fn, vjp_fn, x, seed=0):
    """|<u, J v> - <J^T u, v>| / (|<u, J v>| + |<J^T u, v>|) for random u, v (0.0 if both are 0)."""
    rng = np.random.default_rng(seed)
    ### BEGIN SOLUTION
    v = rng.standard_normal(np.shape(x))
    u = rng.standard_normal(np.shape(f(x)))
    forward = np.vdot(u, jvp_fn((v,), x))
    reverse = np.vdot(vjp_fn(u, x), v)
    scale = abs(forward) + abs(reverse)
    return 0.0 if scale == 0 else float(abs(forward - reverse) / scale)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-dot-product-gap", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
x = rng.standard_normal(4)
gap = dot_product_gap(lambda x: A @ x, lambda t, x: A @ t[0], lambda u, x: A.T @ u, x)
assert isinstance(gap, float), f"return the gap as a float, not {type(gap).__name__}"
assert gap < 1e-12, f"two correct rules of f(x) = A x (A: 3 x 4) agree to rounding; your gap is {gap:.2e}"
B = rng.standard_normal((4, 4))


def largest_gap(f, jvp_fn, vjp_fn):
    # a wrong rule must show a gap for some of three seeds
    return max(dot_product_gap(f, jvp_fn, vjp_fn, x, seed=s) for s in range(3))


gap = largest_gap(lambda x: B @ x, lambda t, x: B @ t[0], lambda u, x: B @ u)
assert gap > 1e-3, (
    f"a VJP without its transpose (B u instead of B^T u) must show a gap; yours is {gap:.2e}. Does "
    f"each side come from its own rule, and are u and v drawn at random (all ones hide this mistake)?")
# a wrong rule that is right on the all-ones vector, and a wrong rule of a tiny function
gap = largest_gap(lambda x: B @ x, lambda t, x: B @ t[0], lambda u, x: B.T @ u + (u - u.mean()))
assert gap > 1e-3, (
    f"this VJP is wrong except along the all-ones vector; your gap {gap:.2e} missed it: draw u and v "
    f"at random from rng")
gap = largest_gap(lambda x: 1e-9 * B @ x, lambda t, x: 1e-9 * B @ t[0], lambda u, x: 1e-9 * B @ u)
assert gap > 1e-3, (
    f"the same wrong VJP on f(x) = 1e-9 B x is just as wrong, but your gap is {gap:.2e}: divide by "
    f"the size of the two sides")

# %% nbgrader={"grade": true, "grade_id": "test-dot-product-gap-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert dot_product_gap(lambda x: x, lambda t, x: t[0], lambda u, x: u, np.zeros(2)) < 1e-12
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(8)
for _shape_in, _shape_out in [((5,), (2,)), ((3, 4), (6,)), ((2, 3), (2, 3)), ((2,), (3, 2))]:
    _A = _rng.standard_normal((int(np.prod(_shape_out)), int(np.prod(_shape_in))))
    _f = lambda x, A=_A, so=_shape_out: (A @ x.ravel()).reshape(so)
    _jvp = lambda t, x, A=_A, so=_shape_out: (A @ t[0].ravel()).reshape(so)
    _vjp = lambda u, x, A=_A, si=_shape_in: (A.T @ u.ravel()).reshape(si)
    _x = _rng.standard_normal(_shape_in)
    assert dot_product_gap(_f, _jvp, _vjp, _x, seed=1) < 1e-12, f"input {_shape_in}, output {_shape_out}"
    _B = _rng.standard_normal(_A.shape)
    _wrong = lambda u, x, B=_B, si=_shape_in: (B.T @ u.ravel()).reshape(si)
    assert dot_product_gap(_f, _jvp, _wrong, _x, seed=2) > 1e-3, "a VJP of another matrix"
assert dot_product_gap(lambda x: 0 * x, lambda t, x: 0 * t[0], lambda u, x: 0 * u, np.ones(3)) == 0.0, (
    "both sides 0: the gap is 0.0")
_x = _rng.standard_normal((3, 2))
assert dot_product_gap(course.tanh, lambda t, x: course.jvp(course.tanh, (x,), t)[1],
                       lambda u, x: course.vjp(course.tanh, x)[1](u)[0], _x) < 1e-12, "the engine's tanh rules"
### END HIDDEN TESTS

# %% [markdown]
# The cell below runs your dot-product test on the rules of this notebook against VJPs from the
# engine (for log-sum-exp and the standardisation, written with the engine's operations) and, for
# the solve, against its reverse-mode rule: the transpose of your JVP,
# $\bar b = A^{-\top} \bar x$ and $\bar A = -\bar b\, x^\top$. For comparison, the last column is the
# relative error of a central finite difference along a random direction, the usual gradient check.

# %%
def engine_vjp(f):
    # the engine's reverse mode as vjp_fn(u, x) -> the gradient, for f of one input
    return lambda u, x: course.vjp(f, x)[1](u)[0]


def standardize_engine(x):
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / ((centred * centred).mean(axis=-1, keepdims=True)) ** 0.5


rng = np.random.default_rng(9)
x = rng.standard_normal((4, 3))
A, b = rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal(3)
solve_in_A = lambda A_: np.linalg.solve(A_, b)
solve_vjp_A = lambda u, A_: -np.outer(np.linalg.solve(A_.T, u), np.linalg.solve(A_, b))
rules = [("tanh", np.tanh, tanh_jvp, engine_vjp(course.tanh), x),
         ("softmax", course.softmax, softmax_jvp, engine_vjp(course.softmax), x),
         ("logsumexp", logsumexp, logsumexp_jvp,
          engine_vjp(lambda x: course.log(course.exp(x).sum(axis=-1))), x),
         ("standardize", standardize, standardize_jvp, engine_vjp(standardize_engine), x),
         ("solve (A moving)", solve_in_A, lambda t, A_: solve_jvp((t[0], np.zeros(3)), A_, b),
          solve_vjp_A, A)]
print(f"{'rule':<18}{'dot-product gap':>17}{'finite diff.':>14}")
for name, f, jvp_fn, vjp_fn, x0 in rules:
    gap = dot_product_gap(f, jvp_fn, vjp_fn, x0, seed=3)
    v = rng.standard_normal(np.shape(x0))
    eps = 1e-6
    fd = (f(x0 + eps * v) - f(x0 - eps * v)) / (2 * eps)
    exact = jvp_fn((v,), x0)
    fd_gap = np.linalg.norm(fd - exact) / np.linalg.norm(exact)
    print(f"{name:<18}{gap:>17.1e}{fd_gap:>14.1e}")


# %% [markdown]
# ## 6. Whole Jacobians: `jacfwd` or `jacrev`?
#
# Sometimes you need the whole Jacobian $J$ ($m \times n$). Forward mode gets it one **column** at a
# time: the JVP with the $j$-th basis vector $e_j$ is $J e_j$, column $j$. That takes $n$ JVPs.
# Reverse mode gets it one **row** at a time: the VJP with $e_i$ is row $i$. That takes $m$ VJPs.
# The engine provides both, `course.jacfwd(f)(x)` and `course.jacrev(f)(x)`. When `x` or `f(x)` is
# not a vector, they return the array of shape `f(x).shape + x.shape` whose entry
# `J[i..., j...]` is $\partial f(x)[i\ldots] / \partial x[j\ldots]$ (for a vector to a vector, that is the
# $m \times n$ matrix).
#
# ### Exercise 11: a Jacobian from JVPs (4 points)
#
# **What to do.** Write `jacobian_fwd(f, x)` for an array `x` of any shape and a function `f` whose
# output is an array of any shape: return the Jacobian of shape `f(x).shape + x.shape`, as
# `course.jacfwd` does, using `course.jvp` once per **element** of `x` (not `course.jacfwd` or
# `course.jacrev`).
#
# **Approach.** Each JVP with a basis direction gives the derivative of the whole output with
# respect to one element of `x`. Collect them, then arrange the axes: the output's first, the
# input's last.
#
# **Example.** For `f = lambda x: A @ x` (a vector to a vector) the Jacobian is `A` itself; for
# `f = lambda X: X @ C` with `X` of shape `(2, 3)` and `C` of shape `(3, 4)`, it has shape
# `(2, 4, 2, 3)`.
#
# <details><summary>Hint 1</summary>
#
# A basis direction has the shape of `x`, zeros everywhere and a 1 at one element. How do you visit
# every element of an array of any shape in order? (`x.size`, and `reshape`.)
# </details>
#
# <details><summary>Hint 2</summary>
#
# The JVPs are *columns*: for a vector to a vector, putting them side by side gives $J$, and putting
# them one under the other gives $J^\top$. In general, stack them so that the index of the input
# element comes last; which shape must that last axis then be unfolded into?
# </details>

# %% nbgrader={"grade": false, "grade_id": "jacobian-fwd", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_fwd(f, x):
    """The Jacobian of f at x, shape f(x).shape + x.shape, one course.jvp per element of x."""
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    columns = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        columns.append(course.jvp(f, (x,), (e.reshape(x.shape),))[1])
    by_element = np.stack(columns, axis=-1)
    return by_element.reshape(np.shape(columns[0]) + x.shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-jacobian-fwd", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
J = jacobian_fwd(lambda x: A @ x, np.array([0.3, -0.2, 0.5]))
assert np.shape(J) == (2, 3), (
    f"f maps 3 inputs to 2 outputs, so J has shape (2, 3) (outputs x inputs); got {np.shape(J)}")
assert np.allclose(J, A), f"the Jacobian of x -> A x is A = \n{A}\ngot\n{J}"

rng = np.random.default_rng(10)
B = rng.standard_normal((4, 3))
g = lambda x: course.tanh(B @ x) * x[0]
x0 = rng.standard_normal(3)
assert np.allclose(jacobian_fwd(g, x0), course.jacrev(g)(x0)), (
    "jacobian_fwd must agree with course.jacrev (one VJP per row)")

C = rng.standard_normal((3, 4))
F = lambda X: course.tanh(X @ C)
X0 = rng.standard_normal((2, 3))
got = jacobian_fwd(F, X0)
assert np.shape(got) == (2, 4, 2, 3), (
    f"X (2, 3) -> F(X) (2, 4): the Jacobian has shape F(X).shape + X.shape = (2, 4, 2, 3); "
    f"got {np.shape(got)}")
assert np.allclose(got, course.jacrev(F)(X0)), (
    "J[i, k, a, b] is dF[i, k] / dX[a, b]: the output's axes first, then the input's, each in order")

# %% nbgrader={"grade": true, "grade_id": "test-jacobian-fwd-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(jacobian_fwd(lambda x: x * 2.0, np.ones(2))) == (2, 2)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12)
_A = _rng.standard_normal((5, 5))
_C = _rng.standard_normal((1, 4))
_D = _rng.standard_normal((6, 1))
_cases = [
    (lambda x: course.tanh(_A @ x) + x * x, (5,)),          # square, not symmetric
    (lambda x: course.softmax(x * 2.0), (4,)),             # square and symmetric
    (lambda x: _C @ course.sigmoid(x), (4,)),              # one output
    (lambda x: course.exp(_D @ x) * 0.5, (1,)),            # one input
    (lambda x: (x[:-1] * x[1:]).reshape(-1), (6,)),        # m = n - 1
    (lambda X: (X * X).sum(axis=0), (3, 2)),               # a matrix to a vector
    (lambda x: x.reshape(2, 3) * 3.0, (6,)),               # a vector to a matrix
    (lambda X: (X ** 3).sum(), (2, 2)),                    # a matrix to a number
]
for _i, (_g, _shape) in enumerate(_cases):
    _x0 = _rng.standard_normal(_shape)
    _expected = course.jacrev(_g)(_x0)
    _got = jacobian_fwd(_g, _x0)
    assert np.shape(_got) == _expected.shape, (
        f"case {_i}: J must have shape {_expected.shape}, got {np.shape(_got)}")
    assert np.allclose(_got, _expected, rtol=1e-12, atol=1e-14), f"case {_i}: wrong Jacobian"
assert np.allclose(jacobian_fwd(lambda x: 3.0 * x, np.ones(4)), 3.0 * np.eye(4)), "the Jacobian of 3 x is 3 I"
### END HIDDEN TESTS

# %% [markdown]
# ### Counting the passes
#
# For $f: \mathbb{R}^n \to \mathbb{R}^m$, `jacfwd` makes one forward pass per input and `jacrev`
# one reverse pass per output. Slide $n$ and $m$ and watch the counts (and your `jacobian_fwd`,
# checked against the engine).

# %%
from course.widgets import ForwardVsReverse

ForwardVsReverse(jacobian=jacobian_fwd)


# %% [markdown]
# ### Timing the two: where is the crossover?
#
# Take $f(x) = \tanh(A x)$ with $A$ of shape $m \times n$. `jacfwd` runs $n$ JVPs and `jacrev` runs
# $m$ VJPs, so the faster one should switch where $n = m$. The cell below times both on this
# machine (the best of a few runs; the whole cell takes a second or two), first with $m$ fixed and
# $n$ growing, then the other way round. The dotted line marks $n = m$.

# %%
def time_jacobians(n, m, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    f = lambda x: course.tanh(A @ x)
    return best_time(lambda: course.jacfwd(f)(x))[1], best_time(lambda: course.jacrev(f)(x))[1]


fixed = 16
grid = [1, 2, 4, 8, 16, 32, 64, 128]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
panels = []
for ax, vary in zip(axes, ("n", "m")):
    times = np.array([time_jacobians(s, fixed) if vary == "n" else time_jacobians(fixed, s)
                      for s in grid]) * 1e3
    ax.loglog(grid, times[:, 0], "s--", color=TANGENT_COLOR, label="jacfwd: one JVP per input")
    ax.loglog(grid, times[:, 1], "o-", color=GRADIENT_COLOR, label="jacrev: one VJP per output")
    ax.axvline(fixed, color="gray", ls=":", lw=1)
    ax.set_xlabel(f"{vary} ({'inputs' if vary == 'n' else 'outputs'}), "
                  f"{'m' if vary == 'n' else 'n'} = {fixed}")
    faster = ["jacfwd" if t_fwd < t_rev else "jacrev" for t_fwd, t_rev in times]
    print(f"{vary} varies ({'m' if vary == 'n' else 'n'} = {fixed}), the faster one for "
          f"{vary} = {grid}:\n    {faster}")
    panels.append(f"against {ax.get_xlabel()}: " + series_alt(
        grid, {"jacfwd (ms)": times[:, 0], "jacrev (ms)": times[:, 1]}, x_fmt=vary + " = {:g}")
        + "; the faster one for each size: " + ", ".join(
            f"{size}: {name}" for size, name in zip(grid, faster)))
axes[0].set_ylabel("time per Jacobian (ms)")
axes[0].legend(fontsize=8)
title = "f(x) = tanh(A x), A of shape m × n"
fig.suptitle(title, fontsize=11)
plt.tight_layout()
show(fig, alt=f"{title}: two log-log panels of the time per Jacobian, measured on this machine. "
     + ". ".join(panels) + ".")

# %% [markdown]
# Each curve grows in proportion to its own count of passes ($n$ for `jacfwd`, $m$ for `jacrev`) and
# stays nearly flat when only the other dimension grows. The crossover sits near $n = m$, though not
# necessarily exactly there: one pass of each mode does different work (`jacrev` records the forward
# computation once and then walks the recorded graph backward $m$ times; `jacfwd` reruns $f$ with a
# new tangent for each of its $n$ columns), so on another engine or machine it can shift by a small
# factor. The rule of thumb: **`jacfwd` for tall Jacobians (few inputs, many outputs), `jacrev` for
# wide ones (many inputs, few outputs), and the gradient of a scalar loss is the widest of all.**
#
# The engine's forward rules work as yours do: each primitive has a JVP rule that takes the tangents
# of its inputs to the tangent of its output, and `course.jvp` applies them as the values are
# computed, like your dual numbers.

# %% [markdown]
# ## What you learned
#
# * The chain rule multiplies Jacobians, $J = J_L \cdots J_1$. Associativity lets us pick the
#   bracketing; the cheapest one is found by solving every sub-chain once. Reverse mode (backprop)
#   multiplies from the output side, one **vector-Jacobian product** per output; forward mode from
#   the input side, one **Jacobian-vector product** per input: the two bracketings that only ever
#   multiply a matrix by a vector.
# * For a scalar loss, reverse mode needs one pass for all $n$ derivatives; forward mode needs $n$.
#   In general: forward costs $\propto n$ passes, reverse $\propto m$, and reverse mode must keep the
#   forward pass's intermediate values.
# * Forward mode uses the same local gradients as backprop, visited from the inputs: a node's tangent
#   is $\sum$ local gradient × input tangent. Dual numbers ($\varepsilon^2 = 0$) carry value and tangent
#   together, so no graph is stored at all; the quotient rule, the power rule and every function's
#   rule follow from $\varepsilon^2 = 0$.
# * A JVP rule comes from putting $x + \dot x\,\varepsilon$ into the function and keeping the part
#   linear in $\varepsilon$; an implicitly defined output (a solve) is differentiated through the
#   equation that defines it.
# * The dot-product test $\langle u, Jv\rangle = \langle J^\top u, v\rangle$ checks forward against reverse
#   mode to rounding error, with no finite differences, for random (never all-ones) $u$ and $v$.
# * `jacfwd` for few inputs, `jacrev` for few outputs.
#
# Next: the backward pass is itself a computation, so it can be differentiated too. Assignment 06
# combines forward and reverse mode to get second derivatives, Hessian-vector products and Newton's
# method.
