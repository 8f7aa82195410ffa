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
# Backprop is one way to apply the chain rule. This assignment shows that it is a *choice*, which
# other choices exist, and when each one is the right one.
#
# **What you will learn**
#
# 1. The chain rule of a composed function is a product of Jacobian matrices. Matrix products are
#    associative, so we may multiply them in any order: from the output side (*reverse mode*,
#    backprop) or from the input side (*forward mode*). You will count what each order costs.
# 2. Forward mode on a computational graph: the same local gradients as backprop, visited from the
#    inputs to the output.
# 3. Dual numbers: a value and its derivative carried together through ordinary arithmetic.
# 4. Jacobian-vector product (JVP) rules for `tanh`, matrix multiplication and softmax, and the
#    *dot-product test*, which checks forward mode against reverse mode with no finite
#    differences at all.
# 5. When to build a whole Jacobian with forward mode (`jacfwd`) and when with reverse mode
#    (`jacrev`).
#
# Run the cells in order. Each exercise has a visible test right after it; hidden tests check more
# cases when your work is graded.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
import numpy as np

import course
from course import Value
from course.timing import best_time
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, draw_graph, graph_positions
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
# *A note on layout.* This notebook, the engine (`course/transforms.py`) and JAX write a Jacobian
# as **outputs × inputs** (row $i$ belongs to output $i$). The lecture notes write $dy/dx$ as
# inputs × outputs, the transpose, so that $dL/dx = (dy/dx)(dL/dy)$ reads left to right. The numbers
# are the same; only the transposes move.
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
# the matrices to scale for a small chain with 8 inputs and 1 output; the number under each arrow is
# the multiply-adds of that product.

# %%
def draw_matrix(ax, x, rows, cols, color, label, scale=0.22):
    # One matrix as a rectangle, rows tall and cols wide (to scale); returns its right edge.
    ax.add_patch(plt.Rectangle((x, -rows * scale / 2), cols * scale, rows * scale,
                               fc=color, ec="black", alpha=0.35))
    ax.text(x + cols * scale / 2, rows * scale / 2 + 0.08, label, ha="center", va="bottom", fontsize=9)
    return x + cols * scale


def draw_orders(dims):
    # The two orders of multiplying J_L ... J_1 for layer sizes dims = (d0, ..., dL), step by step.
    L = len(dims) - 1
    shapes = {k: (dims[k], dims[k - 1]) for k in range(1, L + 1)}
    fig, axes = plt.subplots(2, 1, figsize=(10, 4.2))
    for ax, order in zip(axes, ("reverse", "forward")):
        x, total = 0.0, 0
        # the stages: which factors are still separate, and the running product
        if order == "reverse":
            running = shapes[L]
            stages = [([f"J{k}" for k in range(L, 0, -1)], None)]
            for k in range(L - 1, 0, -1):
                cost = running[0] * running[1] * shapes[k][1]
                total += cost
                running = (running[0], shapes[k][1])
                stages.append(([f"J{j}" for j in range(k - 1, 0, -1)], (running, cost)))
        else:
            running = shapes[1]
            stages = [([f"J{k}" for k in range(L, 0, -1)], None)]
            for k in range(2, L + 1):
                cost = shapes[k][0] * running[0] * running[1]
                total += cost
                running = (shapes[k][0], running[1])
                stages.append(([f"J{j}" for j in range(L, k, -1)], (running, cost)))
        for s, (separate, product) in enumerate(stages):
            if s:
                ax.annotate("", xy=(x + 0.55, 0), xytext=(x + 0.1, 0),
                            arrowprops=dict(arrowstyle="->", color="gray"))
                ax.text(x + 0.33, -1.25, f"+{product[1]}", ha="center", fontsize=8, color="gray")
                x += 0.75
            pieces = [(name, shapes[int(name[1:])], "#adb5bd") for name in separate]
            if product is not None:   # the running product sits on the side it started from
                color = GRADIENT_COLOR if order == "reverse" else TANGENT_COLOR
                p = (f"{product[0][0]}×{product[0][1]}", product[0], color)
                pieces = [p] + pieces if order == "reverse" else pieces + [p]
            for name, (r, c), color in pieces:
                x = draw_matrix(ax, x, r, c, color, name) + 0.08
        ax.set_title(f"{order} order: {total} multiply-adds in all", fontsize=10, loc="left")
        ax.set_xlim(-0.1, x + 0.1)
        ax.set_ylim(-1.4, 1.4)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle(f"J = J{L} ⋯ J1, layer sizes {tuple(dims)}. Gray: the Jacobians; "
                 "coloured: the running product", fontsize=10)
    plt.tight_layout()
    plt.show()


draw_orders((8, 6, 4, 1))


# %% [markdown]
# Reading the figure: in the reverse order the running product is a single row from the first
# multiplication on (the loss has one output); in the forward order it carries all 8 input columns
# through every step.
#
# ### Exercise 1: multiply a Jacobian chain in either order, and count the work
#
# **What to do.** Write `chain_product(jacobians, order)`. `jacobians` is the list
# `[J1, J2, ..., JL]` in the order the steps are applied (`J1` acts on the input, so
# `J1.shape == (d1, d0)`), and `order` is `"reverse"` or `"forward"`. Multiply them with `@` in that
# order and count the multiply-adds. Return the pair `(J, multiply_adds)`, where
# `J = JL @ ... @ J1` and `multiply_adds` is an `int`.
#
# **Approach.**
# * reverse: start with `running = JL`; then for `J` in `J(L-1), ..., J1`: `running = running @ J`.
# * forward: start with `running = J1`; then for `J` in `J2, ..., JL`: `running = J @ running`.
# * Before each product `A @ B`, add `A.shape[0] * A.shape[1] * B.shape[1]` to the count.
#
# **Example.** Layer sizes $(d_0, d_1, d_2, d_3) = (4, 3, 2, 1)$: the Jacobians have shapes
# `(3, 4)`, `(2, 3)`, `(1, 2)`. In the reverse order, `J3 @ J2` is a `(1, 2) @ (2, 3)` product,
# $1 \cdot 2 \cdot 3$ multiply-adds, and then a `(1, 3) @ (3, 4)` product, $1 \cdot 3 \cdot 4$. In the forward
# order, `J2 @ J1` costs $2 \cdot 3 \cdot 4$ and then `J3 @ (...)` costs $1 \cdot 2 \cdot 4$.
#
# **Hints.** With a single Jacobian there is nothing to multiply: return it with a count of 0.
# `reversed(jacobians)` and slicing (`jacobians[1:]`) help. The two orders must give the same `J`
# (up to rounding): that is associativity.

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
assert cost_rev == 1 * 2 * 3 + 1 * 3 * 4, (
    f"reverse order: (J3 @ J2) costs 1*2*3, then (J3 J2) @ J1 costs 1*3*4, "
    f"{1 * 2 * 3 + 1 * 3 * 4} in all; you counted {cost_rev}")
assert cost_fwd == 2 * 3 * 4 + 1 * 2 * 4, (
    f"forward order: (J2 @ J1) costs 2*3*4, then J3 @ (J2 J1) costs 1*2*4, "
    f"{2 * 3 * 4 + 1 * 2 * 4} in all; you counted {cost_fwd}")

# %% nbgrader={"grade": true, "grade_id": "test-chain-product-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = chain_product([np.ones((2, 3)), np.ones((1, 2))], "forward")  # runs your code once
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
for ax, (label, pairs) in zip(axes, [("n inputs (m = 1 output)", [(s, 1) for s in sizes]),
                                     ("m outputs (n = 1 input)", [(1, s) for s in sizes])]):
    costs = np.array([order_costs(n, m) for n, m in pairs])
    ax.loglog(sizes, costs[:, 0], "o-", color=GRADIENT_COLOR, label="reverse order (VJPs)")
    ax.loglog(sizes, costs[:, 1], "s--", color=TANGENT_COLOR, label="forward order (JVPs)")
    ax.set_xlabel(label)
    ax.grid(True, which="major", alpha=0.3)
axes[0].set_ylabel("multiply-adds")
axes[0].legend()
fig.suptitle("Reverse order wins with few outputs, forward order with few inputs", fontsize=11)
plt.tight_layout()
plt.show()


# %% [markdown]
# **Cost for $n$ inputs and $m$ outputs.** An autodiff system never multiplies whole Jacobians; it
# pushes one vector at a time through the chain, and each such pass costs a small constant times
# one evaluation of $f$:
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
# One forward sweep gives the derivative of **every** node with respect to **one** input direction.
# One backward sweep gives the derivative of **one** output with respect to **every** node. With a
# seed of 1 on input $x$, the output's tangent is $\partial\,\text{out}/\partial x$: the same number that
# backprop leaves in `x.grad`.
#
# The scalar engine's `Value` already stores what you need. Each node has `node._parents` (its
# inputs, a tuple; a node used twice, as in `x * x`, appears twice) and `node._local_grads` (the
# matching local gradients $\partial\,\text{node}/\partial\,\text{parent}$, computed in the forward pass);
# `Value.backward` in `course/value.py` walks them from the output. `topological_order(root)`
# lists the nodes with every node after its inputs.
#
# ### Exercise 2: a forward sweep over a `Value` graph
#
# **What to do.** Write `forward_tangents(root, seeds)`. `root` is the output `Value` of a graph
# that has been computed; `seeds` is a dict `{leaf Value: tangent}`. Leaves not in `seeds`
# (including constants such as the `2` in `2 * x`) have tangent 0. Return a dict mapping **every
# node** of the graph (the `Value` objects themselves) to its tangent, a float.
#
# **Approach.** Go through `topological_order(root)`. A leaf (no parents) gets `seeds.get(node, 0.0)`;
# any other node gets the sum of `local * tangents[parent]` over
# `zip(node._parents, node._local_grads)`.
#
# **Example.** For `out = x * y` with `x = 2` and `y = 5`, the local gradients of the `*` node
# are `(5, 2)`. With seeds `{x: 1.0}` the tangent of `out` is $5 \cdot 1 + 2 \cdot 0$, which is
# $\partial\,\text{out}/\partial x$. With seeds `{x: 1.0, y: 1.0}` it is the derivative along the
# direction $(1, 1)$: $\partial\,\text{out}/\partial x + \partial\,\text{out}/\partial y$.
#
# **Hints.** Visit a node only after all its inputs: `topological_order` does that. Do not call
# `backward()`: nothing here goes backward. A parent listed twice contributes twice, as in backprop.

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


# %% nbgrader={"grade": true, "grade_id": "test-forward-tangents", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x, y = Value(2.0, label="x"), Value(5.0, label="y")
out = x * y
t = forward_tangents(out, {x: 1.0})
assert isinstance(t, dict) and out in t, "return a dict with an entry for every node, the output included"
assert np.isclose(t[out], 5.0), (
    f"d(x*y)/dx = y = 5 with seeds {{x: 1}}; your tangent of out is {t[out]}. A node's tangent is the "
    f"SUM over its inputs of local gradient * tangent of that input: 5 * 1 + 2 * 0")
assert np.isclose(t[x], 1.0) and np.isclose(t[y], 0.0), (
    "leaves take their seed, and 0 when they have none: t[x] should be 1, t[y] 0")
assert np.isclose(forward_tangents(out, {x: 1.0, y: 1.0})[out], 5.0 + 2.0), (
    "with seeds {x: 1, y: 1} the tangents of both inputs contribute: y * 1 + x * 1")

# a bigger graph, with fan-out (x used three times) and a constant: compare with backprop
a = Value(0.5, label="a")
b_ = Value(-1.5, label="b")
h = (a * a + 2 * a * b_).tanh()
out = h * a + b_.exp()
out.backward()
for leaf in (a, b_):
    t = forward_tangents(out, {leaf: 1.0})
    assert np.isclose(t[out], leaf.grad, rtol=1e-12), (
        f"seeding {leaf.label} with 1 must give d(out)/d{leaf.label}, which backprop computes as "
        f"{leaf.grad:.6g}; your forward sweep gives {t[out]:.6g}. Does every parent of a node "
        f"contribute local * tangent(parent), including a parent listed twice?")
t_both = forward_tangents(out, {a: 1.0, b_: 2.0})
assert np.isclose(t_both[out], a.grad + 2.0 * b_.grad, rtol=1e-12), (
    "with seeds {a: 1, b: 2} the output's tangent is the derivative along (1, 2): "
    "d(out)/da * 1 + d(out)/db * 2")

# %% nbgrader={"grade": true, "grade_id": "test-forward-tangents-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = forward_tangents(Value(1.0) * Value(2.0), {})  # runs your code once
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
    _inner = {id(node): node.grad for node in topological_order(_out)}
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
    for node in topological_order(root):
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
draw_tangents(out, tangents, axes[0], "forward mode: tangents flow with the values")
draw_graph(out, ax=axes[1], title="reverse mode: gradients flow back")
plt.tight_layout()
plt.show()
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
# $\varepsilon^2 = 0$. Ordinary algebra then carries derivatives along by itself:
#
# $$(a + \dot a \varepsilon)(b + \dot b \varepsilon) = ab + (\dot a\, b + a\, \dot b)\,\varepsilon + \dot a \dot b\, \varepsilon^2
# = ab + (\dot a\, b + a\, \dot b)\,\varepsilon .$$
#
# The product rule falls out of the multiplication. For a smooth function $g$, the Taylor series
# stops after one term: $g(a + \dot a \varepsilon) = g(a) + g'(a)\,\dot a\,\varepsilon$. The new tangent is
# **local derivative × incoming tangent**, the forward twin of backprop's *local gradient × upstream
# gradient*. Feed in $x + 1\varepsilon$ and out comes $f(x) + f'(x)\,\varepsilon$.
#
# The rules, with $(a, \dot a)$ and $(b, \dot b)$ dual numbers:
#
# | operation | value | tangent |
# |---|---|---|
# | $a + b$ | $a + b$ | $\dot a + \dot b$ |
# | $a - b$ | $a - b$ | $\dot a - \dot b$ |
# | $a \cdot b$ | $ab$ | $\dot a\, b + a\, \dot b$ |
# | $a / b$ | $a / b$ | $(\dot a\, b - a\, \dot b) / b^2$ |
# | $e^a$ | $e^a$ | $e^a\, \dot a$ |
# | $\log a$ | $\log a$ | $\dot a / a$ |
# | $\tanh a$ | $\tanh a$ | $(1 - \tanh^2 a)\, \dot a$ |
# | $\sigma(a)$ | $\sigma(a)$ | $\sigma(a)(1 - \sigma(a))\, \dot a$ |
# | $\mathrm{relu}(a)$ | $\max(a, 0)$ | $\dot a$ if $a > 0$, else $0$ |
# | $a^p$ ($p$ a constant number) | $a^p$ | $p\, a^{p-1}\, \dot a$ |
#
# A plain number $c$ is the dual number $(c, 0)$: a constant does not move.
#
# ### Exercise 3: dual-number arithmetic
#
# **What to do.** Complete `__add__`, `__sub__`, `__mul__` and `__truediv__` of the class `Dual`
# below, following the table. Each returns a new `Dual`. The first line of each method, already
# written, turns a plain number `other` into `Dual(other, 0.0)`, so you always combine two `Dual`s.
# The reflected versions (`2 * d`, `1 - d`, ...) and negation are given: they call yours.
#
# **Approach.** `Dual(self.value + other.value, self.tangent + other.tangent)` is all of `__add__`.
#
# **Example.** `Dual(3.0, 1.0) * Dual(2.0, 0.0)` is `Dual(6.0, 2.0)`: the value $3 \cdot 2$ and the
# tangent $1 \cdot 2 + 3 \cdot 0$. Check: $\frac{d}{dx}(2x) = 2$.
#
# **Hints.** The tangent of a product has **two** terms, and the $\dot a \dot b$ term is not one of
# them ($\varepsilon^2 = 0$). Watch the sign in the quotient rule. Use only `+ - * /` so the same code
# works when `value` and `tangent` are numpy arrays.
#
# The methods `exp`, `log`, `tanh`, `sigmoid`, `relu` and `**` call functions you write in
# Exercise 4. With them, a function written with operators and methods, such as
# `lambda x: x.tanh() * (2 * x).exp()`, runs on a `Dual` and, unchanged, on the engine's `Tensor`
# inside `course.grad`: the tests compare the two.

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

    # --- Exercise 3: arithmetic --------------------------------------------------------------
    def __add__(self, other):
        other = Dual.lift(other)
        ### BEGIN SOLUTION
        return Dual(self.value + other.value, self.tangent + other.tangent)
        ### END SOLUTION

    def __sub__(self, other):
        other = Dual.lift(other)
        ### BEGIN SOLUTION
        return Dual(self.value - other.value, self.tangent - other.tangent)
        ### END SOLUTION

    def __mul__(self, other):
        other = Dual.lift(other)
        ### BEGIN SOLUTION
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)
        ### END SOLUTION

    def __truediv__(self, other):
        other = Dual.lift(other)
        ### BEGIN SOLUTION
        quotient = self.value / other.value
        return Dual(quotient, (self.tangent - quotient * other.tangent) / other.value)
        ### END SOLUTION

    # --- given: reflected operators and negation call the ones above --------------------------
    def __radd__(self, other):
        return Dual.lift(other) + self

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __rmul__(self, other):
        return Dual.lift(other) * self

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    # --- given: methods that call your functions of Exercise 4 --------------------------------
    def __pow__(self, p):
        return dual_pow(self, p)

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


# %% nbgrader={"grade": true, "grade_id": "test-dual-arithmetic", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def _same(d, value, tangent, what):
    assert isinstance(d, Dual), f"{what} must return a Dual, not {type(d).__name__}"
    assert np.isclose(d.value, value), f"{what}: value should be {value}, got {d.value}"
    assert np.isclose(d.tangent, tangent), f"{what}: tangent should be {tangent}, got {d.tangent}"

a, c = Dual(3.0, 1.0), Dual(2.0, -0.5)
_same(a + c, 3.0 + 2.0, 1.0 + (-0.5), "Dual(3, 1) + Dual(2, -0.5)")
_same(a - c, 3.0 - 2.0, 1.0 - (-0.5), "Dual(3, 1) - Dual(2, -0.5)")
_same(a * c, 3.0 * 2.0, 1.0 * 2.0 + 3.0 * (-0.5),
      "Dual(3, 1) * Dual(2, -0.5) (product rule: a' b + a b', two terms)")
_same(a / c, 3.0 / 2.0, (1.0 * 2.0 - 3.0 * (-0.5)) / 2.0 ** 2,
      "Dual(3, 1) / Dual(2, -0.5) (quotient rule: (a' b - a b') / b**2)")
_same(2.0 * a + 1.0, 7.0, 2.0, "2 * Dual(3, 1) + 1 (a constant has tangent 0)")
_same(1.0 / a, 1 / 3.0, -1 / 9.0, "1 / Dual(3, 1): d(1/x)/dx = -1/x**2")

# d/dx of x * x * x at x = 1.5 is 3 * 1.5**2
x = Dual(1.5, 1.0)
cube = x * x * x
assert np.isclose(cube.tangent, 3 * 1.5 ** 2), (
    f"x * x * x at Dual(1.5, 1): the tangent is d(x**3)/dx = 3 * 1.5**2 = {3 * 1.5 ** 2}; got {cube.tangent}")

# %% nbgrader={"grade": true, "grade_id": "test-dual-arithmetic-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = Dual(1.0, 1.0) * Dual(2.0, 0.5) + 1.0  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3)
for _ in range(20):
    _a, _da, _b, _db = _rng.uniform(0.5, 2.0, 4) * _rng.choice([-1.0, 1.0], 4)
    _A, _B = Dual(_a, _da), Dual(_b, _db)
    for _got, _v, _t, _what in [
            (_A + _B, _a + _b, _da + _db, "+"),
            (_A - _B, _a - _b, _da - _db, "-"),
            (_A * _B, _a * _b, _da * _b + _a * _db, "*"),
            (_A / _B, _a / _b, (_da * _b - _a * _db) / _b ** 2, "/"),
            (_B / _A, _b / _a, (_db * _a - _b * _da) / _a ** 2, "/ (other way round)"),
            (_b - _A, _b - _a, -_da, "number - Dual"),
            (_b / _A, _b / _a, -_b * _da / _a ** 2, "number / Dual"),
            (_A * _b, _a * _b, _da * _b, "Dual * number")]:
        assert isinstance(_got, Dual), f"{_what} must return a Dual"
        assert np.isclose(_got.value, _v, rtol=1e-12), f"{_what}: wrong value"
        assert np.isclose(_got.tangent, _t, rtol=1e-12), f"{_what}: wrong tangent"
# numpy arrays inside a Dual
_va, _ta = _rng.uniform(1, 2, 5), _rng.standard_normal(5)
_vb, _tb = _rng.uniform(1, 2, 5), _rng.standard_normal(5)
_P = Dual(_va, _ta) * Dual(_vb, _tb) / Dual(_vb, _tb)
assert np.allclose(_P.value, _va) and np.allclose(_P.tangent, _ta), "(a * b) / b must be a, for arrays too"
_Q = Dual(_va, _ta) * Dual(_vb, _tb) - Dual(_vb, _tb)
assert np.allclose(_Q.tangent, _ta * _vb + _va * _tb - _tb), "product rule on arrays"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4: functions of dual numbers
#
# **What to do.** Write `dual_exp`, `dual_log`, `dual_tanh`, `dual_sigmoid`, `dual_relu` and
# `dual_pow(d, p)` following the table above. Each takes a `Dual` (the given first line lifts a plain
# number) and returns a new `Dual`. `p` in `dual_pow` is a plain number.
#
# **Approach.** Compute the value with numpy (`np.exp(d.value)`, ...), then the tangent: the local
# derivative at `d.value` **times `d.tangent`**.
#
# **Example.** `dual_exp(Dual(0.0, 3.0))` is `Dual(1.0, 3.0)`: at $a = 0$, $e^a = 1$ and the tangent is
# $e^0 \cdot 3$. The 3 is the incoming tangent: for $x = $ `Dual(0.0, 1.0)`, `(3 * x).exp()` computes
# $\frac{d}{dx} e^{3x} = 3 e^{3x}$ this way.
#
# **Hints.** Reuse the value for the tangent where the table does ($e^a$, $\tanh a$, $\sigma(a)$). For
# the sigmoid, `0.5 * (1 + np.tanh(0.5 * a))` equals $1/(1 + e^{-a})$ and never overflows.
# `np.where(a > 0, t, 0.0)` is the ReLU's tangent (its derivative at 0 is taken as 0, as in the
# engine). Use numpy functions, not `math`, so arrays work too.

# %% nbgrader={"grade": false, "grade_id": "dual-functions", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dual_exp(d):
    """exp of a Dual: (e^a, e^a * a')."""
    d = Dual.lift(d)
    ### BEGIN SOLUTION
    value = np.exp(d.value)
    return Dual(value, value * d.tangent)
    ### END SOLUTION


def dual_log(d):
    """Natural log of a Dual (value > 0): (log a, a' / a)."""
    d = Dual.lift(d)
    ### BEGIN SOLUTION
    return Dual(np.log(d.value), d.tangent / d.value)
    ### END SOLUTION


def dual_tanh(d):
    """tanh of a Dual: (tanh a, (1 - tanh(a)**2) * a')."""
    d = Dual.lift(d)
    ### BEGIN SOLUTION
    value = np.tanh(d.value)
    return Dual(value, (1 - value * value) * d.tangent)
    ### END SOLUTION


def dual_sigmoid(d):
    """The logistic sigmoid of a Dual: (s, s * (1 - s) * a') with s = 1 / (1 + e^-a)."""
    d = Dual.lift(d)
    ### BEGIN SOLUTION
    s = 0.5 * (1 + np.tanh(0.5 * d.value))
    return Dual(s, s * (1 - s) * d.tangent)
    ### END SOLUTION


def dual_relu(d):
    """ReLU of a Dual: (max(a, 0), a' where a > 0, else 0)."""
    d = Dual.lift(d)
    ### BEGIN SOLUTION
    return Dual(np.maximum(d.value, 0.0), np.where(d.value > 0, d.tangent, 0.0))
    ### END SOLUTION


def dual_pow(d, p):
    """A Dual to a constant power p: (a**p, p * a**(p - 1) * a')."""
    d = Dual.lift(d)
    ### BEGIN SOLUTION
    return Dual(d.value ** p, p * d.value ** (p - 1) * d.tangent)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-dual-functions", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def _same(d, value, tangent, what):
    assert isinstance(d, Dual), f"{what} must return a Dual, not {type(d).__name__}"
    assert np.isclose(d.value, value), f"{what}: value should be {value:.6g}, got {d.value}"
    assert np.isclose(d.tangent, tangent), f"{what}: tangent should be {tangent:.6g}, got {d.tangent}"

a, t = 0.7, -2.0      # an incoming tangent that is not 1: the rule must multiply by it
s = 1 / (1 + np.exp(-a))
_same(dual_exp(Dual(a, t)), np.exp(a), np.exp(a) * t, "dual_exp(Dual(0.7, -2))")
_same(dual_log(Dual(a, t)), np.log(a), t / a, "dual_log(Dual(0.7, -2))")
_same(dual_tanh(Dual(a, t)), np.tanh(a), (1 - np.tanh(a) ** 2) * t,
      "dual_tanh(Dual(0.7, -2)) (local derivative 1 - tanh(a)**2, times the tangent)")
_same(dual_sigmoid(Dual(a, t)), s, s * (1 - s) * t, "dual_sigmoid(Dual(0.7, -2))")
_same(dual_relu(Dual(a, t)), a, t, "dual_relu(Dual(0.7, -2)) (a > 0: the tangent passes)")
_same(dual_relu(Dual(-a, t)), 0.0, 0.0, "dual_relu(Dual(-0.7, -2)) (a < 0: nothing passes)")
_same(dual_pow(Dual(a, t), 3), a ** 3, 3 * a ** 2 * t, "dual_pow(Dual(0.7, -2), 3)")
root = Dual(a, t) ** 0.5
assert np.isclose(root.tangent, 0.5 / np.sqrt(a) * t), (
    f"Dual(0.7, -2) ** 0.5: tangent 0.5 * 0.7**-0.5 * (-2) = {0.5 / np.sqrt(a) * t:.6g}; got {root.tangent}")

# %% nbgrader={"grade": true, "grade_id": "test-dual-functions-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = dual_exp(Dual(0.0, 1.0))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(4)
_a = _rng.uniform(0.2, 2.0, 6) * _rng.choice([-1.0, 1.0], 6)
_t = _rng.standard_normal(6) * 3
_s = 1 / (1 + np.exp(-_a))
_cases = [
    (dual_exp, _a, np.exp(_a), np.exp(_a) * _t, "dual_exp"),
    (dual_log, np.abs(_a), np.log(np.abs(_a)), _t / np.abs(_a), "dual_log"),
    (dual_tanh, _a, np.tanh(_a), (1 - np.tanh(_a) ** 2) * _t, "dual_tanh"),
    (dual_sigmoid, _a, _s, _s * (1 - _s) * _t, "dual_sigmoid"),
    (dual_relu, _a, np.maximum(_a, 0), np.where(_a > 0, _t, 0.0), "dual_relu"),
]
for _fn, _v, _value, _tangent, _name in _cases:
    for _k in range(6):      # scalars
        _d = _fn(Dual(float(_v[_k]), float(_t[_k])))
        assert isinstance(_d, Dual), f"{_name} must return a Dual"
        assert np.isclose(_d.value, _value[_k], rtol=1e-12), f"{_name}({_v[_k]:.3g}): wrong value"
        assert np.isclose(_d.tangent, _tangent[_k], rtol=1e-12), (
            f"{_name}({_v[_k]:.3g}) with tangent {_t[_k]:.3g}: wrong tangent")
    _d = _fn(Dual(_v, _t))   # arrays
    assert np.allclose(_d.value, _value) and np.allclose(_d.tangent, _tangent), f"{_name} on arrays"
for _p in (2, 3, -1, 0.5, 2.5):
    _v = np.abs(_a)
    _d = dual_pow(Dual(_v, _t), _p)
    assert np.allclose(_d.value, _v ** _p) and np.allclose(_d.tangent, _p * _v ** (_p - 1) * _t), (
        f"dual_pow with p = {_p}")
# large inputs: no overflow warnings from the sigmoid
_d = dual_sigmoid(Dual(np.array([-800.0, 800.0]), np.array([1.0, 1.0])))
assert np.allclose(_d.value, [0.0, 1.0]) and np.allclose(_d.tangent, [0.0, 0.0]), "sigmoid far from 0"
# a constant (plain number) has tangent 0
assert np.isclose(dual_exp(2.0).tangent, 0.0), "a plain number is a constant: tangent 0"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5: derivatives by forward mode
#
# **What to do.** Write `derivative(f, x)`: the derivative $f'(x)$ of a function of one number,
# computed with a single evaluation of `f` on a dual number.
#
# **Approach.** Seed the input with tangent 1, evaluate, read the tangent of the result.
#
# **Example.** For `f = lambda x: x * x * x`, `derivative(f, 2.0)` evaluates `f(Dual(2.0, 1.0))`,
# which is `Dual(8.0, 12.0)`, and returns `12.0`.
#
# **Hints.** If `f` ignores its input and returns a plain number, its derivative is 0:
# `Dual.lift(result).tangent` covers that case. When `x` is a numpy array and `f` works element by
# element, the same code returns all the derivatives at once (the seed `1.0` moves every element).

# %% nbgrader={"grade": false, "grade_id": "derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def derivative(f, x):
    """f'(x) by forward mode: one evaluation of f on the dual number x + 1 eps."""
    ### BEGIN SOLUTION
    return Dual.lift(f(Dual(x, 1.0))).tangent
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-derivative", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
f = lambda x: x.tanh() * (2 * x).exp()        # runs on a Dual, and on the engine's Tensor
x0 = 0.3
expected = (1 - np.tanh(x0) ** 2) * np.exp(2 * x0) + np.tanh(x0) * 2 * np.exp(2 * x0)
got = derivative(f, x0)
assert np.ndim(got) == 0, f"derivative(f, x) of a number is a number, got shape {np.shape(got)}"
assert np.isclose(got, expected, rtol=1e-12), (
    f"d/dx tanh(x) e^(2x) at 0.3 is {expected:.10f}; got {float(got):.10f}")
# the same function through reverse mode (the engine) and through finite differences
assert np.isclose(got, course.grad(f)(x0), rtol=1e-12), "forward mode must agree with course.grad"
assert np.isclose(got, numerical_grad(lambda y: np.tanh(y) * np.exp(2 * y), np.array(x0)), rtol=1e-6)

# %% nbgrader={"grade": true, "grade_id": "test-derivative-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = derivative(lambda x: x * x, 1.0)  # runs your code once
### BEGIN HIDDEN TESTS
_fs = [
    lambda x: x * x * x - 2 * x,
    lambda x: (x * x + 1).log() / (1 + x.sigmoid()),
    lambda x: (x.tanh() - x) ** 2 * (0.5 * x).exp(),
    lambda x: 3.0 / (x * x + 2) + x.relu() * x,
    lambda x: ((x * 0.7).sigmoid() * x).tanh() ** 3,
    lambda x: (x ** 2 + 1) ** 0.5 - (-x).exp(),
]
for _i, _f in enumerate(_fs):
    for _x0 in (-1.3, -0.4, 0.25, 1.7):
        _expected = float(course.grad(_f)(_x0))
        _got = derivative(_f, _x0)
        assert np.isclose(_got, _expected, rtol=1e-10, atol=1e-12), (
            f"function {_i} at x = {_x0}: course.grad gives {_expected:.8g}, your derivative {float(_got):.8g}")
# element-wise on an array: all derivatives in one pass
_xs = np.linspace(-2, 2, 7)
_got = derivative(_fs[2], _xs)
_expected = np.array([float(course.grad(_fs[2])(v)) for v in _xs])
assert np.shape(_got) == _xs.shape and np.allclose(_got, _expected), "derivative on an array of points"
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
steps.append(("y = b + x", steps[-1][1] + x))
print(f"{'step':<14}{'value':>12}{'tangent (d/dx)':>18}")
for name, d in steps:
    print(f"{name:<14}{d.value:>12.6f}{d.tangent:>18.6f}")
print(f"\ncourse.grad agrees: {float(course.grad(lambda x: (x * x).tanh() + x)(0.8)):.6f}")

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
plt.show()


# %% [markdown]
# ## 4. JVP rules for arrays
#
# The engine does the same with arrays: `course.jvp(f, (x,), (v,))` evaluates `f` once, carrying a
# tangent of the shape of each array along, and returns `(f(x), J v)`. It never builds $J$. Each
# primitive has a forward rule, written in `course/jvp_rules.py`, that turns the tangents of its
# inputs into the tangent of its output. You will write three of them.
#
# The convention, the same as `course.gradcheck.check_jvp` expects: a JVP rule is
# `f_jvp(tangents, *inputs)`, where `tangents` is a tuple with one tangent per input, each of its
# input's shape; it returns the output's tangent, of the output's shape.
#
# * **Element-wise** functions have a diagonal Jacobian, so $J v$ is the local derivative times the
#   tangent, element by element.
# * **Matrix multiplication** $y = x W$ is linear in each argument. When both move,
#   $\dot y = \dot x\, W + x\, \dot W$: the product rule again (the $\dot x \dot W$ term is second order).
# * **Softmax** $s = \mathrm{softmax}(x)$ of one row has the Jacobian $\mathrm{diag}(s) - s s^\top$.
#   Applied to a tangent: $\dot s = s \odot \dot x - s\,(s \cdot \dot x) = s \odot (\dot x - s \cdot \dot x)$, so the
#   Jacobian is never formed.
#
# ### Exercise 6: `tanh_jvp`
#
# **What to do.** Write `tanh_jvp(tangents, x)`: the tangent of `np.tanh(x)` when `x` moves along
# `tangents[0]`. Any shape.
#
# **Approach.** Unpack `(dx,) = tangents`; multiply the local derivative by `dx`.
#
# **Example.** At `x = 0` the slope of tanh is 1, so `tanh_jvp((np.array([2.0]),), np.array([0.0]))`
# is `[2.0]`.
#
# **Hints.** The local derivative is $1 - \tanh^2(x)$, the tanh of `x` squared, not $1 - x^2$.

# %% nbgrader={"grade": false, "grade_id": "tanh-jvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tanh_jvp(tangents, x):
    """The tangent of tanh(x) when x moves along tangents[0] (the shape of x)."""
    (dx,) = tangents
    ### BEGIN SOLUTION
    y = np.tanh(x)
    return (1 - y * y) * dx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh-jvp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([0.0, 1.0, -2.0])
dx = np.array([2.0, 1.0, 0.5])
expected = (1 - np.tanh(x) ** 2) * dx
got = tanh_jvp((dx,), x)
assert np.shape(got) == x.shape, f"the tangent has the shape of tanh(x), {x.shape}; got {np.shape(got)}"
assert np.allclose(got, expected), f"expected {expected}, got {got}: the local derivative is 1 - tanh(x)**2"
# against finite differences, on a random input and tangent
(x,) = random_inputs((3, 4), seed=1)
check_jvp(np.tanh, tanh_jvp, x)
dx = np.random.default_rng(1).standard_normal((3, 4))
assert np.allclose(tanh_jvp((2 * dx,), x), 2 * tanh_jvp((dx,), x)), (
    "a JVP is linear in the tangent: moving twice as fast moves the output twice as fast")

# %% nbgrader={"grade": true, "grade_id": "test-tanh-jvp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = tanh_jvp((np.ones(2),), np.zeros(2))  # runs your code once
### BEGIN HIDDEN TESTS
def _engine_tanh_vjp(u, x):
    return course.vjp(course.tanh, x)[1](u)[0]

for _seed, _shape in enumerate([(7,), (2, 5), (3, 2, 4), ()]):
    (_x,) = random_inputs(_shape, seed=20 + _seed)
    _x = 1.5 * _x
    check_jvp(np.tanh, tanh_jvp, _x, seed=_seed)
    dot_product_test(np.tanh, tanh_jvp, _engine_tanh_vjp, _x, seed=_seed)
assert np.allclose(tanh_jvp((np.zeros((2, 3)),), np.ones((2, 3))), 0.0), "a zero tangent gives a zero tangent"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7: `matmul_jvp`
#
# **What to do.** Write `matmul_jvp(tangents, x, W)`: the tangent of `x @ W` when `x` moves along
# `tangents[0]` and `W` along `tangents[1]`. `x` has shape `(N, D)`, `W` shape `(D, M)`.
#
# **Approach.** $\dot y = \dot x\, W + x\, \dot W$.
#
# **Example.** If only `W` moves (`dx` all zeros), the tangent is `x @ dW`. If only `x` moves, it is
# `dx @ W`. `check_jvp` tries each input alone, then both together.
#
# **Hints.** Both terms are needed; each has shape `(N, M)`. No transposes: this is forward mode,
# the tangent flows the same way as the values.

# %% nbgrader={"grade": false, "grade_id": "matmul-jvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_jvp(tangents, x, W):
    """The tangent of x @ W when x moves along tangents[0] and W along tangents[1]; shape (N, M)."""
    dx, dW = tangents
    ### BEGIN SOLUTION
    return dx @ W + x @ dW
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-matmul-jvp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([[1.0, 2.0]])
W = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
dx = np.array([[1.0, 0.0]])           # only x[0, 0] moves
dW = np.zeros_like(W)
got = matmul_jvp((dx, dW), x, W)
assert np.shape(got) == (1, 3), f"x @ W has shape (1, 3), so must its tangent; got {np.shape(got)}"
assert np.allclose(got, W[0]), f"moving x[0, 0] by 1 moves x @ W by the first row of W, {W[0]}; got {got}"
dW = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])   # only W[0, 1] moves
got = matmul_jvp((np.zeros_like(x), dW), x, W)
assert np.allclose(got, [[0.0, 1.0, 0.0]]), f"moving W[0, 1] by 1 moves y[0, 1] by x[0, 0] = 1; got {got}"

x, W = random_inputs((4, 3), (3, 5), seed=2)
check_jvp(lambda x, W: x @ W, matmul_jvp, x, W)
dx, dW = random_inputs((4, 3), (3, 5), seed=3)
both = matmul_jvp((dx, dW), x, W)
assert np.allclose(both, matmul_jvp((dx, 0 * dW), x, W) + matmul_jvp((0 * dx, dW), x, W)), (
    "when both inputs move, the tangent is the sum of the tangents of each moving alone")

# %% nbgrader={"grade": true, "grade_id": "test-matmul-jvp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = matmul_jvp((np.ones((1, 2)), np.ones((2, 1))), np.ones((1, 2)), np.ones((2, 1)))  # runs your code once
### BEGIN HIDDEN TESTS
def _engine_matmul_vjp(u, x, W):
    return course.vjp(lambda x, W: x @ W, x, W)[1](u)

for _seed, (_n, _d, _m) in enumerate([(1, 1, 1), (5, 2, 3), (2, 6, 4), (7, 3, 1)]):
    _x, _W = random_inputs((_n, _d), (_d, _m), seed=30 + _seed)
    check_jvp(lambda x, W: x @ W, matmul_jvp, _x, _W, seed=_seed)
    dot_product_test(lambda x, W: x @ W, matmul_jvp, _engine_matmul_vjp, _x, _W, seed=_seed)
_x, _W, _dx, _dW = random_inputs((3, 2), (2, 4), (3, 2), (2, 4), seed=39)
assert np.allclose(matmul_jvp((_dx, _dW), _x, _W)[:1], matmul_jvp((_dx[:1], _dW), _x[:1], _W)), (
    "each row of x @ W depends only on its own row of x")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 8: `softmax_jvp`
#
# **What to do.** Write `softmax_jvp(tangents, x)`: the tangent of `course.softmax(x)` (softmax
# along the last axis) when `x` moves along `tangents[0]`. `x` can be one row `(C,)` or a batch of
# rows `(N, C)`.
#
# **Approach.** With `s = course.softmax(x)` (on a numpy array it returns a numpy array),
# $\dot s = s \odot (\dot x - \textstyle\sum_c s_c \dot x_c)$, the sum taken in each row.
#
# **Example.** Adding the same number to every score of a row does not change the softmax, so a
# tangent `dx = np.ones(C)` gives a zero tangent. The visible test checks this, and compares with the
# explicit Jacobian $\mathrm{diag}(s) - s s^\top$ of one row.
#
# **Hints.** `(s * dx).sum(axis=-1, keepdims=True)` is the per-row dot product, shaped to broadcast
# back over the row. Without the subtracted term you would be treating softmax as element-wise; it
# is not: every output depends on every score of its row.

# %% nbgrader={"grade": false, "grade_id": "softmax-jvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_jvp(tangents, x):
    """The tangent of softmax(x) (along the last axis) when x moves along tangents[0]."""
    (dx,) = tangents
    ### BEGIN SOLUTION
    s = course.softmax(x)
    return s * (dx - (s * dx).sum(axis=-1, keepdims=True))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax-jvp", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([1.0, 2.0, 0.5, -1.0])
s = course.softmax(x)
J = np.diag(s) - np.outer(s, s)          # the explicit Jacobian of one row
dx = np.array([0.5, -1.0, 2.0, 0.0])
got = softmax_jvp((dx,), x)
assert np.shape(got) == x.shape, f"the tangent has the shape of softmax(x), {x.shape}; got {np.shape(got)}"
assert np.allclose(got, J @ dx), (
    f"expected J @ dx = {J @ dx}, got {got}. Every output depends on every score of its row: "
    f"s * dx alone misses the term - s * (s . dx)")
assert np.allclose(softmax_jvp((np.ones(4),), x), 0.0), (
    "adding 1 to every score leaves the softmax unchanged, so the tangent must be 0")

(x,) = random_inputs((3, 5), seed=3)
check_jvp(course.softmax, softmax_jvp, x)
(dx,) = random_inputs((3, 5), seed=4)
assert np.allclose(softmax_jvp((dx,), x).sum(axis=-1), 0.0), (
    "each row of a softmax sums to 1 however x moves, so each row of its tangent sums to 0")

# %% nbgrader={"grade": true, "grade_id": "test-softmax-jvp-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = softmax_jvp((np.ones(3),), np.zeros(3))  # runs your code once
### BEGIN HIDDEN TESTS
def _engine_softmax_vjp(u, x):
    return course.vjp(course.softmax, x)[1](u)[0]

for _seed, _shape in enumerate([(6,), (4, 3), (2, 3, 5), (1, 1)]):
    (_x,) = random_inputs(_shape, seed=40 + _seed)
    check_jvp(course.softmax, softmax_jvp, 2 * _x, seed=_seed)
    dot_product_test(course.softmax, softmax_jvp, _engine_softmax_vjp, 2 * _x, seed=_seed)
# large scores: a stable softmax (course.softmax) gives finite tangents
(_x,) = random_inputs((3, 4), seed=50)
_big = 300 * _x
_got = softmax_jvp((np.ones_like(_big),), _big)
assert np.all(np.isfinite(_got)) and np.allclose(_got, 0.0, atol=1e-12), "softmax_jvp with large scores"
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
# Finite differences check that.) `course.gradcheck.dot_product_test` runs it for random `u` and `v`;
# `torch.autograd.gradcheck(fast_mode=True)` uses the same idea.
#
# ### Exercise 9: the two sides of the dot-product test
#
# **What to do.** Write `dot_products(jvp_fn, vjp_fn, x, u, v)` for a function of one input `x`.
# `jvp_fn(tangents, x)` returns $J v$ (with `tangents = (v,)`), `vjp_fn(u, x)` returns $J^\top u$.
# Return the pair `(forward, reverse)` of floats: $\langle u, J v\rangle$ and $\langle J^\top u, v\rangle$.
#
# **Approach.** `np.vdot(a, b)` flattens both arrays and sums their products, for any shapes.
#
# **Example.** For $f(x) = A x$: `jvp_fn = lambda tangents, x: A @ tangents[0]` and
# `vjp_fn = lambda u, x: A.T @ u`; both sides equal `u @ A @ v`.
#
# **Hints.** The JVP takes a tuple of tangents: `jvp_fn((v,), x)`. Which side gets `u` and which
# `v`? $u$ lives in output space, $v$ in input space.

# %% nbgrader={"grade": false, "grade_id": "dot-products", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dot_products(jvp_fn, vjp_fn, x, u, v):
    """(<u, J v>, <J^T u, v>) for a function of one input x: forward and reverse mode."""
    ### BEGIN SOLUTION
    forward = np.vdot(u, jvp_fn((v,), x))
    reverse = np.vdot(vjp_fn(u, x), v)
    return float(forward), float(reverse)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-dot-products", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
x, u, v = rng.standard_normal(4), rng.standard_normal(3), rng.standard_normal(4)
forward, reverse = dot_products(lambda t, x: A @ t[0], lambda u, x: A.T @ u, x, u, v)
assert np.isclose(forward, u @ A @ v) and np.isclose(reverse, u @ A @ v), (
    f"for f(x) = A x both sides are u @ A @ v = {u @ A @ v:.6f}; got {forward:.6f} and {reverse:.6f}")
# a wrong VJP (the transpose forgotten, on a square matrix B) must show up as a disagreement
B = rng.standard_normal((4, 4))
forward, reverse = dot_products(lambda t, x: B @ t[0], lambda u, x: B @ u, x, rng.standard_normal(4), v)
assert not np.isclose(forward, reverse), (
    "with a wrong VJP (B u instead of B^T u) the two sides must differ: compute each side from its own rule")

# %% nbgrader={"grade": true, "grade_id": "test-dot-products-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = dot_products(lambda t, x: t[0], lambda u, x: u, np.zeros(2), np.ones(2), np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(8)
for _shape_in, _shape_out in [((5,), (2,)), ((3, 4), (6,)), ((2, 3), (2, 3))]:
    _A = _rng.standard_normal((int(np.prod(_shape_out)), int(np.prod(_shape_in))))
    _jvp = lambda t, x, A=_A, so=_shape_out: (A @ t[0].ravel()).reshape(so)
    _vjp = lambda u, x, A=_A, si=_shape_in: (A.T @ u.ravel()).reshape(si)
    _x, _v = _rng.standard_normal(_shape_in), _rng.standard_normal(_shape_in)
    _u = _rng.standard_normal(_shape_out)
    _expected = float(_u.ravel() @ _A @ _v.ravel())
    _f, _r = dot_products(_jvp, _vjp, _x, _u, _v)
    assert np.isclose(_f, _expected, rtol=1e-12) and np.isclose(_r, _expected, rtol=1e-12), (
        f"input shape {_shape_in}, output shape {_shape_out}: both sides should be {_expected:.6g}")
    # a VJP of another matrix B: each side must come from its own rule
    _B = _rng.standard_normal(_A.shape)
    _wrong_vjp = lambda u, x, B=_B, si=_shape_in: (B.T @ u.ravel()).reshape(si)
    _f, _r = dot_products(_jvp, _wrong_vjp, _x, _u, _v)
    assert np.isclose(_f, _expected, rtol=1e-12), "the forward side is <u, jvp_fn((v,), x)>"
    assert np.isclose(_r, float(_u.ravel() @ _B @ _v.ravel()), rtol=1e-12), (
        "the reverse side is <vjp_fn(u, x), v>, computed from the VJP rule alone")
# the engine's rules for tanh: forward and reverse agree to rounding
_x, _u, _v = _rng.standard_normal((3, 2)), _rng.standard_normal((3, 2)), _rng.standard_normal((3, 2))
_f, _r = dot_products(lambda t, x: course.jvp(course.tanh, (x,), t)[1],
                      lambda u, x: course.vjp(course.tanh, x)[1](u)[0], _x, _u, _v)
assert abs(_f - _r) <= 1e-12 * (abs(_f) + abs(_r)) and abs(_f) > 0, "the engine's tanh rules agree"
### END HIDDEN TESTS

# %% [markdown]
# The cell below runs the dot-product test on your three JVP rules against the engine's VJP rules,
# for a few random `u` and `v`, and prints the relative gap. For comparison, the last column is the
# relative error of a central finite difference along `v`, the usual gradient check.

# %%
def engine_vjp(f):
    # the engine's reverse mode as vjp_fn(u, *inputs) -> gradient(s)
    def vjp_fn(u, *inputs):
        grads = course.vjp(f, *inputs)[1](u)
        return grads[0] if len(grads) == 1 else grads
    return vjp_fn


rng = np.random.default_rng(9)
x, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
rules = [("tanh", np.tanh, tanh_jvp, engine_vjp(course.tanh), x),
         ("softmax", course.softmax, softmax_jvp, engine_vjp(course.softmax), x),
         ("x @ W (x moving)", lambda x: x @ W, lambda t, x: matmul_jvp((t[0], np.zeros_like(W)), x, W),
          engine_vjp(lambda x: x @ W), x)]
print(f"{'rule':<18}{'<u, J v>':>12}{'<J^T u, v>':>12}{'relative gap':>14}{'finite diff.':>14}")
for name, f, jvp_fn, vjp_fn, x0 in rules:
    u, v = rng.standard_normal(f(x0).shape), rng.standard_normal(x0.shape)
    forward, reverse = dot_products(jvp_fn, vjp_fn, x0, u, v)
    gap = abs(forward - reverse) / (abs(forward) + abs(reverse))
    eps = 1e-6
    fd = np.vdot(u, (f(x0 + eps * v) - f(x0 - eps * v)) / (2 * eps))
    fd_gap = abs(fd - forward) / (abs(fd) + abs(forward))
    print(f"{name:<18}{forward:>12.6f}{reverse:>12.6f}{gap:>14.1e}{fd_gap:>14.1e}")


# %% [markdown]
# ## 6. Whole Jacobians: `jacfwd` or `jacrev`?
#
# Sometimes you need the whole Jacobian $J$ ($m \times n$). Forward mode gets it one **column** at a
# time: the JVP with the $j$-th basis vector $e_j$ is $J e_j$, column $j$. That takes $n$ JVPs.
# Reverse mode gets it one **row** at a time: the VJP with $e_i$ is row $i$. That takes $m$ VJPs.
# The engine provides both, `course.jacfwd(f)(x)` and `course.jacrev(f)(x)`, each returning the
# `(m, n)` matrix.
#
# ### Exercise 10: a Jacobian from JVPs
#
# **What to do.** Write `jacobian_fwd(f, x)` for a function `f` from a vector `x` of shape `(n,)`
# to a vector of shape `(m,)`: return the Jacobian, shape `(m, n)`, `J[i, j]` = $\partial f_i / \partial x_j$,
# using `course.jvp` once per input.
#
# **Approach.** For each `j`, build the basis vector `e` (zeros, with a 1 at `j`), compute
# `course.jvp(f, (x,), (e,))`, keep the tangent (the second item). Put the tangents side by side
# as **columns**.
#
# **Example.** For `f = lambda x: A @ x` the Jacobian is `A` itself; the JVP with $e_j$ is `A[:, j]`.
#
# **Hints.** `np.stack(columns, axis=1)` puts the columns side by side; plain `np.array(columns)`
# would put them as rows, giving $J^\top$. The tests compare with `course.jacrev`, on functions with
# $m \ne n$ and with $m = n$.

# %% nbgrader={"grade": false, "grade_id": "jacobian-fwd", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_fwd(f, x):
    """The (m, n) Jacobian of f: R^n -> R^m at x, one JVP (one column) per input."""
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = 1.0
        columns.append(course.jvp(f, (x,), (e,))[1])
    return np.stack(columns, axis=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-jacobian-fwd", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
J = jacobian_fwd(lambda x: A @ x, np.array([0.3, -0.2, 0.5]))
assert np.shape(J) == (2, 3), (
    f"f maps 3 inputs to 2 outputs, so J has shape (2, 3) (outputs x inputs); got {np.shape(J)}")
assert np.allclose(J, A), f"the Jacobian of x -> A x is A = \n{A}\ngot\n{J}"

rng = np.random.default_rng(10)
B = rng.standard_normal((4, 3))
g = lambda x: course.tanh(B @ x) * x[0]
x0 = rng.standard_normal(3)
expected = course.jacrev(g)(x0)
got = jacobian_fwd(g, x0)
assert np.shape(got) == expected.shape and np.allclose(got, expected), (
    "jacobian_fwd must agree with course.jacrev (one VJP per row)")

# %% nbgrader={"grade": true, "grade_id": "test-jacobian-fwd-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = jacobian_fwd(lambda x: x * 2.0, np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12)
_A = _rng.standard_normal((5, 5))
_C = _rng.standard_normal((1, 4))
_D = _rng.standard_normal((6, 1))
_cases = [
    (lambda x: course.tanh(_A @ x) + x * x, 5),            # square, not symmetric
    (lambda x: course.softmax(x * 2.0), 4),               # square and symmetric
    (lambda x: _C @ course.sigmoid(x), 4),                # one output
    (lambda x: course.exp(_D @ x) * 0.5, 1),              # one input
    (lambda x: (x[:-1] * x[1:]).reshape(-1), 6),          # m = n - 1
]
for _i, (_g, _n) in enumerate(_cases):
    _x0 = _rng.standard_normal(_n)
    _expected = course.jacrev(_g)(_x0)
    _got = jacobian_fwd(_g, _x0)
    assert np.shape(_got) == _expected.shape, (
        f"case {_i}: J must have shape {_expected.shape} (outputs x inputs), got {np.shape(_got)}")
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
axes[0].set_ylabel("time per Jacobian (ms)")
axes[0].legend(fontsize=8)
fig.suptitle("f(x) = tanh(A x), A of shape m × n", fontsize=11)
plt.tight_layout()
plt.show()

# %% [markdown]
# Each curve grows in proportion to its own count of passes ($n$ for `jacfwd`, $m$ for `jacrev`) and
# stays nearly flat when only the other dimension grows. The crossover sits near $n = m$, though not
# necessarily exactly there: one pass of each mode does different work (`jacrev` records the forward
# computation once and then walks the recorded graph backward $m$ times; `jacfwd` reruns $f$ with a
# new tangent for each of its $n$ columns), so on another engine or machine it can shift by a small
# factor. The rule of thumb: **`jacfwd` for tall Jacobians (few inputs, many outputs), `jacrev` for
# wide ones (many inputs, few outputs), and the gradient of a scalar loss is the widest of all.**

# %% [markdown]
# ## What you learned
#
# * The chain rule multiplies Jacobians, $J = J_L \cdots J_1$. Associativity lets us pick the order.
#   Reverse mode (backprop) multiplies from the output side, one **vector-Jacobian product** per
#   output; forward mode from the input side, one **Jacobian-vector product** per input.
# * For a scalar loss, reverse mode needs one pass for all $n$ derivatives; forward mode needs $n$.
#   In general: forward costs $\propto n$ passes, reverse $\propto m$, and reverse mode must keep the
#   forward pass's intermediate values.
# * Forward mode uses the same local gradients as backprop, visited from the inputs: a node's tangent
#   is $\sum$ local gradient × input tangent. Dual numbers ($\varepsilon^2 = 0$) carry value and tangent
#   together, so no graph is stored at all.
# * JVP rules: element-wise ones multiply by the local derivative; $d(xW) = dx\,W + x\,dW$;
#   softmax's $\dot s = s \odot (\dot x - s\cdot\dot x)$.
# * The dot-product test $\langle u, Jv\rangle = \langle J^\top u, v\rangle$ checks forward against reverse
#   mode to rounding error, with no finite differences.
# * `jacfwd` for few inputs, `jacrev` for few outputs.
#
# Next: the backward pass is itself a computation, so it can be differentiated too. Assignment 06
# combines forward and reverse mode to get second derivatives, Hessian-vector products and Newton's
# method.
