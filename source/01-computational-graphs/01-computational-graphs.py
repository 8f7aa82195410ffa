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
# In this assignment you write the backward rule of every common gate yourself, then put them
# together by hand for a whole neuron.
#
# **What you will learn**
# - to draw a function as a *computational graph* and run its **forward pass** (values, left to
#   right) and **backward pass** (gradients, right to left);
# - the three gradients at every gate: **upstream**, **local** and **downstream**, and why
#   *downstream = local × upstream*;
# - four patterns you will see everywhere: the **add** gate distributes, the **copy** gate adds,
#   the **multiply** gate swaps, the **max** gate routes;
# - the local gradients of sigmoid, ReLU, exp, log, tanh, powers and division, and why sigmoid's
#   is written with its *output*;
# - to write "flat" gradient code for a sigmoid neuron and check it two ways: with finite
#   differences and with the course's autodiff engine.
#
# **How the exercises work.** Each exercise gives a function to complete: replace
# `raise NotImplementedError()` with your code. The test cell right after it checks your work
# and explains what went wrong if it fails; more tests, hidden, run when your work is graded.
# Inputs may be Python floats *or* numpy arrays (the rule is then applied element by element),
# so use numpy operations (`np.where`, `np.exp`, ...) rather than `if` on a value.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np
import matplotlib.pyplot as plt

import course
from course import Value
from course.gradcheck import check_vjp, close, numerical_grad, random_inputs
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, draw_graph


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
draw_graph(f, show_grad=False, title="Forward pass: values flow left to right")
plt.show()

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
#   it saw in the forward pass (for $q = x + y$ it is $1$; for $f = q z$ it is $z$).
# - the **downstream gradient** $\partial L/\partial x$ is their product. The gate sends it to the
#   left, where it becomes the upstream gradient of the gate that produced $x$.
#
# So each gate only needs its own local rule: the chain rule strings the gates together. The cell
# below does the backward pass by hand, one line per arrow, and compares it with what the engine's
# `f.backward()` computes.

# %%
grad_f = 1.0                 # df/df: the backward pass starts with 1 at the output
grad_q = z.data * grad_f     # multiply gate f = q * z: local gradient df/dq = z
grad_z = q.data * grad_f     #                          local gradient df/dz = q
grad_x = 1.0 * grad_q        # add gate q = x + y: local gradient dq/dx = 1
grad_y = 1.0 * grad_q        #                     local gradient dq/dy = 1

f.backward()                 # the engine walks the same graph
print(f"by hand:    df/dx = {grad_x:g}, df/dy = {grad_y:g}, df/dz = {grad_z:g}")
print(f"the engine: df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}")
draw_graph(f, title="Backward pass: gradients flow right to left")
plt.show()

# %% [markdown]
# In these figures every arrow carries two numbers: the forward value travelling right (blue,
# above) and the gradient of the output with respect to that value, travelling left (orange,
# below). The arrow leaving the output carries the seed gradient, 1.
#
# ### Checking a gradient: finite differences
#
# How do we know a gradient is right? The derivative is a slope, and a slope can be measured:
# nudge the input a little each way and see how much the output moves,
#
# $$\frac{\partial f}{\partial x} \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}
# \qquad (\varepsilon \approx 10^{-6}).$$
#
# This *central difference* is slow (two evaluations of $f$ per input number) but needs no
# calculus, which makes it the perfect referee. `numerical_grad(f, x)` computes it:

# %% [markdown]
# ### Try it: drag the inputs
#
# The widget below is the lecture's sigmoid neuron, drawn the same way. Each slider sets one input;
# every move re-runs the forward pass and the backward pass and redraws the numbers on the edges.
# Watch how a gate's outgoing gradient changes when you change *another* input: the multiply gate's
# gradient to `w0` is `x0` times the upstream gradient.

# %%
from course.widgets import GraphExplorer

GraphExplorer()


# %%
def f_of_x(x_number):
    return (x_number + y.data) * z.data      # f with y and z held fixed

print(f"finite differences: df/dx ~ {float(numerical_grad(f_of_x, x.data)):.10f}")
print(f"backpropagation:    df/dx = {x.grad:.10f}")


# %% [markdown]
# In the exercises you write **backward rules**: functions `rule(upstream, *inputs)` that return
# the downstream gradients. The tests check them with `check_vjp(f, rule, *inputs)`, which
#
# 1. picks a **random upstream gradient** $u$ (one number per output element; never all ones,
#    because a rule that forgets to multiply by the upstream gradient would pass with ones),
# 2. calls your rule to get $\partial L/\partial x$ for $L = \sum f(\text{inputs}) \cdot u$,
# 3. compares it, element by element, with finite differences of that $L$.
#
# When something disagrees it stops with a message that names the input, the element, the
# expected and the returned values. Here is a deliberately wrong rule for $f(x) = x^2$, so you
# know what such a message looks like:

# %%
def square_backward_wrong(upstream, x):
    return upstream * x          # wrong: the local gradient of x**2 is 2 * x

try:
    check_vjp(lambda x: x ** 2, square_backward_wrong, np.array([1.0, -2.0, 3.0]))
except AssertionError as error:
    print(error)


# %% [markdown]
# ## 2. Patterns in the gradient flow
#
# Four gates come up again and again, and each treats the upstream gradient in a way you can
# recognise at a glance:
#
# | gate | forward | local gradients | what happens to the upstream gradient $g$ |
# |---|---|---|---|
# | add | $z = x + y$ | $\partial z/\partial x = 1$, $\partial z/\partial y = 1$ | **distributed**: both inputs get $g$ |
# | multiply | $z = x y$ | $\partial z/\partial x = y$, $\partial z/\partial y = x$ | **swapped**: $x$ gets $g\,y$, $y$ gets $g\,x$ |
# | max | $z = \max(x, y)$ | 1 for the larger input, 0 for the other | **routed**: all of $g$ goes to the larger input |
# | copy | $x \to (x, x)$ | 1 for each copy | **added**: $x$ gets $g_1 + g_2$ |
#
# The figure below shows each with an upstream gradient that is not 1 (the gradients are computed
# by the engine, `course.Value`).

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
for ax, (symbol, gate, title) in zip(axes, [("+", lambda a, b: a + b, "add: distributes"),
                                            ("×", lambda a, b: a * b, "multiply: swaps"),
                                            ("max", lambda a, b: a.max(b), "max: routes")]):
    z_value, dx, dy = binary_gate(gate, x_value, y_value, upstream)
    draw_gate(ax, symbol, [("x", x_value, dx), ("y", y_value, dy)], [(z_value, upstream)], title)
upstream_1, upstream_2 = 2.0, -0.5
draw_gate(axes[3], "copy", [("x", x_value, upstream_1 + upstream_2)],
          [(x_value, upstream_1), (x_value, upstream_2)], "copy: adds")
fig.legend(handles=[plt.Line2D([], [], color=FORWARD_COLOR, lw=0, marker="s", label="forward value"),
                    plt.Line2D([], [], color=GRADIENT_COLOR, lw=0, marker="s", label="gradient")],
           loc="lower center", ncol=2, frameon=False)
plt.show()


# %% [markdown]
# ### Exercise 1: the add gate distributes
#
# For $z = x + y$ both local gradients are 1, so each input receives the upstream gradient
# unchanged.
#
# **What to do.** Complete `add_backward(upstream, x, y)`. It receives the upstream gradient
# `upstream` $= \partial L/\partial z$ and the gate's inputs, and returns the pair
# `(dx, dy)` $= (\partial L/\partial x, \partial L/\partial y)$.
#
# **Approach.** Downstream = local × upstream, once for each input.
#
# **Example.** `add_backward(2.0, 3.0, -1.0)` returns `(2.0, 2.0)`: the values of `x` and `y` do
# not matter.
#
# **Hints.** `upstream`, `x` and `y` may be numpy arrays of one shape: your gradients must then
# be arrays of that shape too. Return a tuple: `return dx, dy`.

# %% nbgrader={"grade": false, "grade_id": "add-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def add_backward(upstream, x, y):
    """Backward pass of the add gate z = x + y.

    upstream: dL/dz (a number, or an array of z's shape); x, y: the gate's inputs.
    Returns (dL/dx, dL/dy), each of the shape of upstream.
    """
    ### BEGIN SOLUTION
    dx = 1.0 * upstream     # local gradient dz/dx = 1
    dy = 1.0 * upstream     # local gradient dz/dy = 1
    return dx, dy
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-add-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The example: the upstream gradient goes unchanged to both inputs.
dx, dy = add_backward(2.0, 3.0, -1.0)
assert close(dx, 2.0) and close(dy, 2.0), (
    f"add_backward(2.0, 3.0, -1.0) returned ({dx}, {dy}); both should be the upstream "
    f"gradient, 2.0. Did you multiply the local gradient 1 by the upstream gradient?")

# 2. Finite differences on arrays, with a random upstream gradient.
x, y = random_inputs((4,), (4,), seed=1)
check_vjp(lambda x, y: x + y, add_backward, x, y)

# 3. The engine agrees at a point (upstream gradient 1).
_, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x + y, 0.7, -1.2)
dx, dy = add_backward(1.0, 0.7, -1.2)
assert close(dx, engine_dx) and close(dy, engine_dy), "add_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-add-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(add_backward(np.ones(3), np.zeros(3), np.zeros(3))[0]) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (5,), (2, 3)]):
    x, y = random_inputs(shape, shape, seed=100 + seed)
    check_vjp(lambda x, y: x + y, add_backward, x, y, seed=seed)
mismatches = []
for seed in range(3):
    rng = np.random.default_rng(200 + seed)
    a, b, g = rng.normal(size=3)
    _, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x + y, a, b)
    dx, dy = add_backward(g, a, b)
    if not (close(dx, g * engine_dx) and close(dy, g * engine_dy)):
        mismatches.append((g, a, b))
assert not mismatches, f"add_backward disagrees with course.Value at (upstream, x, y) = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: the multiply gate swaps
#
# For $z = x y$ the local gradient for $x$ is $y$, and for $y$ it is $x$: each input's gradient
# is the upstream gradient times the *other* input. A big input makes the other input's gradient
# big.
#
# **What to do.** Complete `multiply_backward(upstream, x, y)`, returning
# `(dx, dy)` $= (\partial L/\partial x, \partial L/\partial y)$ for $z = x y$.
#
# **Approach.** Downstream = local × upstream: `dx` uses `y`, `dy` uses `x`.
#
# **Example.** `multiply_backward(2.0, 3.0, -1.0)` returns `(2.0 * -1.0, 2.0 * 3.0)`.
#
# **Hints.** The most common mistake is to give each input its own value (`upstream * x` for
# `dx`). Write the two local gradients down before you code.

# %% nbgrader={"grade": false, "grade_id": "multiply-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def multiply_backward(upstream, x, y):
    """Backward pass of the multiply gate z = x * y.

    upstream: dL/dz; x, y: the gate's inputs (numbers or arrays of one shape).
    Returns (dL/dx, dL/dy).
    """
    ### BEGIN SOLUTION
    dx = y * upstream       # local gradient dz/dx = y
    dy = x * upstream       # local gradient dz/dy = x
    return dx, dy
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-multiply-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The example: each input gets the upstream gradient times the OTHER input.
upstream, x, y = 2.0, 3.0, -1.0
dx, dy = multiply_backward(upstream, x, y)
assert close(dx, upstream * y) and close(dy, upstream * x), (
    f"multiply_backward(2.0, 3.0, -1.0) returned ({dx}, {dy}) but should return "
    f"({upstream * y}, {upstream * x})" + (
        ": you gave each input its own value; the multiply gate swaps them."
        if close(dx, upstream * x) and close(dy, upstream * y) else "."))

# 2. Finite differences on arrays, with a random upstream gradient.
x, y = random_inputs((4,), (4,), seed=2)
check_vjp(lambda x, y: x * y, multiply_backward, x, y)

# 3. The engine agrees at a point.
_, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x * y, 0.7, -1.2)
dx, dy = multiply_backward(1.0, 0.7, -1.2)
assert close(dx, engine_dx) and close(dy, engine_dy), "multiply_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-multiply-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(multiply_backward(np.ones(3), np.ones(3), np.ones(3))[0]) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (5,), (2, 3)]):
    x, y = random_inputs(shape, shape, seed=110 + seed)
    check_vjp(lambda x, y: x * y, multiply_backward, x, y, seed=seed)
for seed in range(3):
    rng = np.random.default_rng(210 + seed)
    a, b, g = rng.normal(size=3)
    _, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x * y, a, b)
    dx, dy = multiply_backward(g, a, b)
    assert close(dx, g * engine_dx) and close(dy, g * engine_dy), "multiply_backward disagrees with course.Value"
# the same value on both inputs (x * x): each slot still gets the other one's value
dx, dy = multiply_backward(1.5, 4.0, 4.0)
assert close(dx, 6.0) and close(dy, 6.0)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3: the copy gate adds
#
# When a value is used in two places, think of a hidden **copy gate**: $x \to (x_1, x_2)$ with
# $x_1 = x_2 = x$. Each copy goes its own way through the graph and comes back with its own
# gradient, $\partial L/\partial x_1$ and $\partial L/\partial x_2$. Nudging $x$ nudges both
# copies, so the effects add up (the multivariable chain rule, with both local gradients 1):
#
# $$\frac{\partial L}{\partial x} = \frac{\partial x_1}{\partial x}\frac{\partial L}{\partial x_1}
#   + \frac{\partial x_2}{\partial x}\frac{\partial L}{\partial x_2}
#   = \frac{\partial L}{\partial x_1} + \frac{\partial L}{\partial x_2}.$$
#
# The copy gate is the mirror image of the add gate: add has two inputs and one output, and
# *distributes* the gradient; copy has one input and two outputs, and *adds* the gradients. The
# cell below shows it on $f = x y + x$, where $x$ is used twice.

# %%
x = Value(3.0, label="x")
y = Value(2.0, label="y")
f = x * y + x
f.backward()
print(f"through x * y: df/dx_1 = y = {y.data:g};  through + x: df/dx_2 = 1")
print(f"together:      df/dx = {x.grad:g}")
draw_graph(f, title="x is used twice: its gradient is the sum of the two orange numbers leaving it")
plt.show()


# %% [markdown]
# **What to do.** Complete `copy_backward(upstream_1, upstream_2)`: given the gradients
# arriving at the two copies, return $\partial L/\partial x$.
#
# **Approach.** One line.
#
# **Example.** `copy_backward(2.0, -0.5)` returns `1.5`.
#
# **Hints.** Returning only one of the two (the last one to arrive "overwrites" the other) is
# exactly the bug that breaks an autodiff engine at fan-out; you will meet it again in
# assignment 2.

# %% nbgrader={"grade": false, "grade_id": "copy-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def copy_backward(upstream_1, upstream_2):
    """Backward pass of the copy gate x -> (x, x).

    upstream_1, upstream_2: dL/d(first copy) and dL/d(second copy), each of x's shape.
    Returns dL/dx.
    """
    ### BEGIN SOLUTION
    return upstream_1 + upstream_2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-copy-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The example: the two gradients add up.
got = copy_backward(2.0, -0.5)
assert close(got, 2.0 + -0.5), f"copy_backward(2.0, -0.5) returned {got}; it should be 2.0 + (-0.5)"

# 2. Finite differences: the copy gate is f(x) = (x, x), stacked; its upstream gradient has
#    one row per copy.
def copy_gate(x):
    return np.stack([x, x])

(x,) = random_inputs((4,), seed=3)
check_vjp(copy_gate, lambda upstream, x: copy_backward(upstream[0], upstream[1]), x)

# 3. The engine agrees: f = x * y + x uses x twice.
_, (engine_dx, _) = engine_gradients(lambda x, y: x * y + x, 3.0, 2.0)
got = copy_backward(2.0, 1.0)       # the gradients through x * y (y = 2.0) and through + x (1)
assert close(got, engine_dx), f"copy_backward(2.0, 1.0) returned {got}; the engine says {engine_dx}"

# %% nbgrader={"grade": true, "grade_id": "test-copy-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(copy_backward(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
def copy_gate(x):
    return np.stack([x, x])

for seed, shape in enumerate([(), (5,), (2, 3)]):
    (x,) = random_inputs(shape, seed=120 + seed)
    check_vjp(copy_gate, lambda upstream, x: copy_backward(upstream[0], upstream[1]), x, seed=seed)
rng = np.random.default_rng(220)
g1, g2 = rng.normal(size=(2, 3, 2))
assert close(copy_backward(g1, g2), g1 + g2)
assert close(copy_backward(g2, g1), g1 + g2)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4: the max gate routes
#
# For $z = \max(x, y)$ the output *is* the larger input, so a small nudge of the larger input
# moves $z$ one for one (local gradient 1), and a small nudge of the smaller one does nothing
# (local gradient 0). The upstream gradient is **routed** to the winner; the loser gets 0. A
# network full of max gates (max pooling, ReLU) passes gradient along only some paths, which is
# worth remembering when some weights stop learning.
#
# **Ties.** At $x = y$ the max has a kink: no derivative exists. An engine must still return
# something. The course's engine does what the central difference does at a tie, and splits
# the gradient evenly: **half each**. Your rule must do the same.
#
# **What to do.** Complete `max_backward(upstream, x, y)`, returning `(dx, dy)` for
# $z = \max(x, y)$, element by element.
#
# **Approach.** Three cases per element: $x > y$, $x < y$ and $x = y$.
#
# **Example.** `max_backward(2.0, 3.0, -1.0)` returns `(2.0, 0.0)`;
# `max_backward(2.0, 1.0, 1.0)` returns `(1.0, 1.0)`.
#
# **Hints.** `if x > y:` fails on arrays ("the truth value of an array ... is ambiguous"): use
# `np.where(condition, value_if_true, value_if_false)`, which works on numbers and arrays alike.
# Nest two `np.where` for three cases.

# %% nbgrader={"grade": false, "grade_id": "max-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_backward(upstream, x, y):
    """Backward pass of the max gate z = max(x, y), element by element.

    The larger input gets the upstream gradient, the smaller one 0; on a tie, half each.
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
### END HIDDEN TESTS

# %% [markdown]
# ### Your four gates, side by side
#
# The widget runs the add, multiply, max and copy gates with **your** backward rules. Move the
# inputs and the upstream gradients: add distributes, multiply swaps, max routes (and splits a tie),
# copy adds up. Where one of your rules disagrees with the engine, its arrow turns magenta and the
# widget says what is different.

# %%
from course.widgets import GatePatterns

GatePatterns(add_backward=add_backward, multiply_backward=multiply_backward,
             max_backward=max_backward, copy_backward=copy_backward)

# %% [markdown]
# ## 3. Local gradients of the common gates
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
draw_graph(s, title="The sigmoid built from primitive gates")
plt.show()


# %% [markdown]
# ### The table of local gradients
#
# | gate | forward | local gradient | written with |
# |---|---|---|---|
# | sigmoid | $s = \sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $s\,(1 - s)$ | the **output** $s$ |
# | tanh | $t = \tanh x$ | $1 - t^2$ | the **output** $t$ |
# | exp | $e = e^{x}$ | $e$ | the **output** $e$ |
# | ReLU | $r = \max(0, x)$ | $1$ if $x > 0$, else $0$ (also $0$ at $x = 0$) | the input $x$ |
# | log | $\ell = \ln x$ | $1/x$ | the input $x$ |
# | power | $p = x^n$ ($n$ a constant) | $n\,x^{n-1}$ | the input $x$ |
# | divide | $d = x / y$ | $\partial d/\partial x = 1/y$, $\partial d/\partial y = -x/y^2$ | the inputs |
#
# **Why some rules are written with the output.** For the sigmoid,
#
# $$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2}
#   = \frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}} = \sigma(x)\,\bigl(1 - \sigma(x)\bigr).$$
#
# The forward pass has already computed $s = \sigma(x)$, the gate's **output**. So the sigmoid
# gate saves $s$ and its local gradient is just $s(1 - s)$: no exponential in the backward pass.
# Tanh and exp are the same: their derivatives are cheap functions of their outputs.
#
# > **Careful.** If a backward rule receives the *output* $s$, the local gradient is
# > $s(1 - s)$. It is **not** $\sigma(s)(1 - \sigma(s))$: that applies the sigmoid a second time
# > and gives the slope at the wrong point. Lecture code like `sigmoid_grad(L)`, called with the
# > sigmoid's output `L`, means $L(1 - L)$.
#
# In the exercises below, rules that use the output take a parameter called `out`; rules that
# use the input take `x`. For the forward pass, use this numerically safe sigmoid (the plain
# formula overflows, with a warning, for very negative $x$):

# %% nbgrader={"grade": false, "grade_id": "sigmoid-helper", "locked": true, "schema_version": 3, "solution": false, "task": false}
def sigmoid(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), element by element, with no overflow."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))                 # at most 1: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# %% [markdown]
# ### Exercise 5: sigmoid, from its output
#
# **What to do.** Complete `sigmoid_backward(upstream, out)`. Here `out` $= s = \sigma(x)$ is the
# gate's output, saved by the forward pass; return $\partial L/\partial x$.
#
# **Approach.** Local gradient $s(1 - s)$, times the upstream gradient.
#
# **Example.** `sigmoid_backward(2.0, 0.25)` returns `2.0 * 0.25 * (1 - 0.25)`.
#
# **Hints.** Do not call `sigmoid` in your rule: `out` already is the sigmoid.

# %% nbgrader={"grade": false, "grade_id": "sigmoid-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_backward(upstream, out):
    """Backward pass of s = sigmoid(x), from the gate's OUTPUT out = s.

    upstream: dL/ds; out: s = sigmoid(x) (numbers or arrays of one shape). Returns dL/dx.
    """
    ### BEGIN SOLUTION
    return out * (1.0 - out) * upstream
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The example: the local gradient is out * (1 - out).
got = sigmoid_backward(2.0, 0.25)
expected = 2.0 * 0.25 * (1 - 0.25)
assert close(got, expected), (
    f"sigmoid_backward(2.0, 0.25) returned {got} but should return 2.0 * 0.25 * (1 - 0.25) = "
    f"{expected}" + (": you applied the sigmoid to the output again. `out` already is sigmoid(x)."
                     if close(got, 2.0 * sigmoid(0.25) * (1 - sigmoid(0.25))) else "."))

# 2. Finite differences: the forward pass computes out = sigmoid(x) and hands it to your rule.
(x,) = random_inputs((5,), seed=5)
check_vjp(sigmoid, lambda upstream, x: sigmoid_backward(upstream, sigmoid(x)), x)

# 3. The engine's sigmoid gate agrees.
_, (engine_dx,) = engine_gradients(lambda x: x.sigmoid(), 0.8)
got = sigmoid_backward(1.0, sigmoid(0.8))
assert close(got, engine_dx), f"sigmoid_backward(1.0, sigmoid(0.8)) returned {got}; course.Value says {engine_dx}"

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(sigmoid_backward(np.ones(3), np.full(3, 0.5))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (2, 3)]):
    (x,) = random_inputs(shape, seed=140 + seed)
    x = 3 * x
    check_vjp(sigmoid, lambda upstream, x: sigmoid_backward(upstream, sigmoid(x)), x, seed=seed)
for point in [-4.0, -0.3, 0.0, 1.7]:
    _, (engine_dx,) = engine_gradients(lambda x: x.sigmoid(), point)
    assert close(sigmoid_backward(-1.3, sigmoid(point)), -1.3 * engine_dx)
# saturated outputs: no gradient gets through
assert close(sigmoid_backward(np.array([5.0, 5.0]), np.array([0.0, 1.0])), [0.0, 0.0])
### END HIDDEN TESTS

# %% [markdown]
# ### How small can a sigmoid's gradient get?
#
# Your `sigmoid_backward` gives at most a quarter of the upstream gradient (at $x = 0$), and almost
# nothing once $|x|$ is large. Through a chain of sigmoids these factors multiply. Slide $x$, the
# depth and the weight, and watch the gradient reaching the first layer vanish.

# %%
from course.widgets import VanishingGradients

VanishingGradients(sigmoid_backward=sigmoid_backward)


# %% [markdown]
# ### Exercise 6: ReLU
#
# $\mathrm{ReLU}(x) = \max(0, x)$ is a max gate with one input fixed at 0: it routes the
# upstream gradient through where $x > 0$ and blocks it where $x < 0$. At $x = 0$ exactly there
# is a kink; like PyTorch and `course.Value`, we use local gradient **0** there.
#
# **What to do.** Complete `relu_backward(upstream, x)`, returning $\partial L/\partial x$ for
# $r = \mathrm{ReLU}(x)$, where `x` is the gate's input.
#
# **Approach.** One `np.where`.
#
# **Example.** For `x = np.array([2.0, -1.0, 0.0])` and `upstream = np.array([5.0, 6.0, 7.0])`
# the result is `[5.0, 0.0, 0.0]`.
#
# **Hints.** Be careful with `>` versus `>=`.

# %% nbgrader={"grade": false, "grade_id": "relu-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_backward(upstream, x):
    """Backward pass of r = max(0, x), from the gate's INPUT x: 0 where x <= 0.

    Returns dL/dx.
    """
    ### BEGIN SOLUTION
    return np.where(x > 0, upstream, 0.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The example: through where x > 0, blocked where x < 0, and 0 at the kink x = 0.
x, upstream = np.array([2.0, -1.0, 0.0]), np.array([5.0, 6.0, 7.0])
got = relu_backward(upstream, x)
assert close(got, [5.0, 0.0, 0.0]), (
    f"relu_backward({upstream}, {x}) returned {got}; expected [5. 0. 0.]: the gradient passes "
    f"where x > 0 and is 0 where x <= 0 (including x = 0 exactly)")

# 2. Finite differences on arrays (random inputs stay away from the kink at 0).
(x,) = random_inputs((2, 4), seed=6)
check_vjp(lambda x: np.maximum(x, 0.0), relu_backward, x)

# 3. The engine agrees, on both sides.
mismatches = [point for point in [1.3, -0.4]
              if not close(relu_backward(1.0, point), engine_gradients(lambda x: x.relu(), point)[1][0])]
assert not mismatches, f"relu_backward disagrees with course.Value at x = {mismatches}"

# %% nbgrader={"grade": true, "grade_id": "test-relu-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(relu_backward(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (8,), (3, 4)]):
    (x,) = random_inputs(shape, seed=150 + seed)
    check_vjp(lambda x: np.maximum(x, 0.0), relu_backward, x, seed=seed)
rng = np.random.default_rng(250)
x = np.array([[0.0, 1.0, -2.0], [3.0, 0.0, -0.0]])
g = rng.normal(size=x.shape)
assert close(relu_backward(g, x), np.where(x > 0, g, 0.0)), "relu_backward at exactly 0 must give 0"
assert close(relu_backward(3.0, 0.0), 0.0), "relu_backward at exactly 0 must give 0"
_, (engine_dx,) = engine_gradients(lambda x: x.relu(), 0.0)
assert close(relu_backward(1.0, 0.0), engine_dx)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7: exp, from its output
#
# $\frac{d}{dx} e^x = e^x$: the local gradient of the exp gate is its own output.
#
# **What to do.** Complete `exp_backward(upstream, out)`, where `out` $= e^x$ is the gate's
# output. Return $\partial L/\partial x$.
#
# **Example.** `exp_backward(3.0, 2.0)` returns `3.0 * 2.0`.
#
# **Hints.** No `np.exp` needed.

# %% nbgrader={"grade": false, "grade_id": "exp-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def exp_backward(upstream, out):
    """Backward pass of e = exp(x), from the gate's OUTPUT out = exp(x). Returns dL/dx."""
    ### BEGIN SOLUTION
    return out * upstream
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-exp-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = exp_backward(3.0, 2.0)
assert close(got, 3.0 * 2.0), (
    f"exp_backward(3.0, 2.0) returned {got}; the local gradient is the output 2.0, so the answer "
    f"is 3.0 * 2.0" + (" (you took exp of the output again)" if close(got, 3.0 * np.exp(2.0)) else ""))

(x,) = random_inputs((5,), seed=7)
check_vjp(np.exp, lambda upstream, x: exp_backward(upstream, np.exp(x)), x)

_, (engine_dx,) = engine_gradients(lambda x: x.exp(), -0.6)
assert close(exp_backward(1.0, np.exp(-0.6)), engine_dx), "exp_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-exp-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(exp_backward(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (2, 3)]):
    (x,) = random_inputs(shape, seed=160 + seed)
    check_vjp(np.exp, lambda upstream, x: exp_backward(upstream, np.exp(x)), x, seed=seed)
mismatches = [point for point in [-2.0, 0.0, 1.5]
              if not close(exp_backward(0.7, np.exp(point)),
                           0.7 * engine_gradients(lambda x: x.exp(), point)[1][0])]
assert not mismatches, f"exp_backward disagrees with course.Value at x = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 8: log
#
# $\frac{d}{dx} \ln x = 1/x$ (for $x > 0$): small inputs get big gradients.
#
# **What to do.** Complete `log_backward(upstream, x)`, where `x` is the gate's input. Return
# $\partial L/\partial x$.
#
# **Example.** `log_backward(3.0, 2.0)` returns `3.0 / 2.0`.

# %% nbgrader={"grade": false, "grade_id": "log-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_backward(upstream, x):
    """Backward pass of l = log(x) (natural log, x > 0), from the gate's INPUT x. Returns dL/dx."""
    ### BEGIN SOLUTION
    return upstream / x
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-log-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = log_backward(3.0, 2.0)
assert close(got, 3.0 / 2.0), f"log_backward(3.0, 2.0) returned {got}; the local gradient is 1 / x, so 3.0 / 2.0"

(x,) = random_inputs((5,), seed=8)
x = np.abs(x) + 0.1                     # log needs positive inputs
check_vjp(np.log, log_backward, x)

_, (engine_dx,) = engine_gradients(lambda x: x.log(), 0.3)
assert close(log_backward(1.0, 0.3), engine_dx), "log_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-log-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(log_backward(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (2, 3)]):
    (x,) = random_inputs(shape, seed=170 + seed)
    check_vjp(np.log, log_backward, np.abs(x) + 0.2, seed=seed)
mismatches = [point for point in [0.05, 1.0, 7.5]
              if not close(log_backward(-0.9, point),
                           -0.9 * engine_gradients(lambda x: x.log(), point)[1][0])]
assert not mismatches, f"log_backward disagrees with course.Value at x = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 9: tanh, from its output
#
# $\frac{d}{dx} \tanh x = 1 - \tanh^2 x$. Like the sigmoid, tanh's derivative is a function of
# its output $t = \tanh x$: $1 - t^2$.
#
# **What to do.** Complete `tanh_backward(upstream, out)`, where `out` $= t = \tanh x$ is the
# gate's output. Return $\partial L/\partial x$.
#
# **Example.** `tanh_backward(2.0, 0.5)` returns `2.0 * (1 - 0.5 ** 2)`.
#
# **Hints.** As with the sigmoid: do not apply `np.tanh` to `out`.

# %% nbgrader={"grade": false, "grade_id": "tanh-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tanh_backward(upstream, out):
    """Backward pass of t = tanh(x), from the gate's OUTPUT out = tanh(x). Returns dL/dx."""
    ### BEGIN SOLUTION
    return (1.0 - out ** 2) * upstream
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = tanh_backward(2.0, 0.5)
expected = 2.0 * (1 - 0.5 ** 2)
assert close(got, expected), (
    f"tanh_backward(2.0, 0.5) returned {got} but should return 2.0 * (1 - 0.5 ** 2) = {expected}"
    + (": you applied tanh to the output again" if close(got, 2.0 * (1 - np.tanh(0.5) ** 2)) else ""))

(x,) = random_inputs((5,), seed=9)
check_vjp(np.tanh, lambda upstream, x: tanh_backward(upstream, np.tanh(x)), x)

_, (engine_dx,) = engine_gradients(lambda x: x.tanh(), -0.6)
assert close(tanh_backward(1.0, np.tanh(-0.6)), engine_dx), "tanh_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-tanh-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
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
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 10: a power with a constant exponent
#
# For $p = x^n$ with a constant $n$ (a number, not part of the graph), the local gradient is
# $n\,x^{n-1}$. There is no gradient for $n$.
#
# **What to do.** Complete `pow_backward(upstream, x, n)`, returning $\partial L/\partial x$.
#
# **Example.** `pow_backward(2.0, 3.0, 2)` returns `2.0 * 2 * 3.0 ** 1`.
#
# **Hints.** Works for any real $n$ when $x > 0$ (e.g. $n = 0.5$ is the square root).

# %% nbgrader={"grade": false, "grade_id": "pow-backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pow_backward(upstream, x, n):
    """Backward pass of p = x ** n for a constant exponent n, from the INPUT x. Returns dL/dx."""
    ### BEGIN SOLUTION
    return n * x ** (n - 1) * upstream
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-pow-backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
got = pow_backward(2.0, 3.0, 2)
expected = 2.0 * 2 * 3.0 ** 1
assert close(got, expected), f"pow_backward(2.0, 3.0, 2) returned {got}; expected 2.0 * 2 * 3.0 ** 1 = {expected}"

(x,) = random_inputs((5,), seed=10)
x = np.abs(x) + 0.1                   # positive, so that any exponent is defined
for n in [3, 0.5]:
    check_vjp(lambda x: x ** n, lambda upstream, x: pow_backward(upstream, x, n), x)

_, (engine_dx,) = engine_gradients(lambda x: x ** 3, -0.6)
assert close(pow_backward(1.0, -0.6, 3), engine_dx), "pow_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-pow-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(pow_backward(np.ones(3), np.ones(3), 2)) == (3,)
### BEGIN HIDDEN TESTS
for seed, (shape, n) in enumerate([((), 2), ((6,), -1.5), ((2, 3), 0.5), ((4,), 4)]):
    (x,) = random_inputs(shape, seed=190 + seed)
    check_vjp(lambda x: x ** n, lambda upstream, x: pow_backward(upstream, x, n), np.abs(x) + 0.2, seed=seed)
(x,) = random_inputs((5,), seed=195)
check_vjp(lambda x: x ** 3, lambda upstream, x: pow_backward(upstream, x, 3), x, seed=9)
mismatches = [(point, n) for point, n in [(-1.5, 2), (0.4, -1), (2.5, 1.5)]
              if not close(pow_backward(0.6, point, n),
                           0.6 * engine_gradients(lambda x: x ** n, point)[1][0])]
assert not mismatches, f"pow_backward disagrees with course.Value at (x, n) = {mismatches}"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 11: division
#
# For $d = x / y$: $\partial d/\partial x = 1/y$ and $\partial d/\partial y = -x/y^2$ (the
# derivative of $1/y$ is $-1/y^2$).
#
# **What to do.** Complete `divide_backward(upstream, x, y)`, returning `(dx, dy)`.
#
# **Example.** `divide_backward(2.0, 3.0, 4.0)` returns `(2.0 / 4.0, -2.0 * 3.0 / 4.0 ** 2)`.
#
# **Hints.** Mind the minus sign in `dy`: an increase of the denominator decreases the quotient
# (for positive $x$).

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
expected_dx, expected_dy = 2.0 / 4.0, -2.0 * 3.0 / 4.0 ** 2
assert close(dx, expected_dx) and close(dy, expected_dy), (
    f"divide_backward(2.0, 3.0, 4.0) returned ({dx}, {dy}); expected "
    f"(2.0 / 4.0, -2.0 * 3.0 / 4.0 ** 2) = ({expected_dx}, {expected_dy})"
    + (": check the sign of dy" if close(dy, -expected_dy) else ""))

x, y = random_inputs((5,), (5,), seed=11, margin=0.3)   # y stays away from 0
check_vjp(lambda x, y: x / y, divide_backward, x, y)

_, (engine_dx, engine_dy) = engine_gradients(lambda x, y: x / y, 0.7, -1.2)
dx, dy = divide_backward(1.0, 0.7, -1.2)
assert close(dx, engine_dx) and close(dy, engine_dy), "divide_backward disagrees with course.Value"

# %% nbgrader={"grade": true, "grade_id": "test-divide-backward-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
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
# ## 4. Flat gradient code for a whole neuron
#
# Now put the gates together. A neuron with two inputs $x_0, x_1$, weights $w_0, w_1$ and bias
# $w_2$ computes
#
# $$L = \sigma(w_0 x_0 + w_1 x_1 + w_2).$$
#
# Its graph has two multiply gates, two add gates and one sigmoid gate. The cell below builds it
# with `course.Value`, runs the engine's backward pass and draws the result: these orange
# numbers are what your code must reproduce.

# %%
point = {"w0": 0.5, "x0": 2.0, "w1": -1.5, "x1": 0.4, "w2": 0.3}
w0, x0, w1, x1, w2 = (Value(number, label=name) for name, number in point.items())
L = (w0 * x0 + w1 * x1 + w2).sigmoid()
L.backward()
print(f"L = {L.data:.6f}")
for leaf in (w0, x0, w1, x1, w2):
    print(f"dL/d{leaf.label} = {leaf.grad:+.6f}")
draw_graph(L, title="The sigmoid neuron: forward values and gradients")
plt.show()


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
# ### Exercise 12: the sigmoid neuron, flat
#
# **What to do.** Complete `sigmoid_neuron(w0, x0, w1, x1, w2)`. It returns the neuron's output
# $L = \sigma(w_0 x_0 + w_1 x_1 + w_2)$ followed by its five gradients:
# `(L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2)`.
#
# **Approach.** Follow the structure above. Forward: `s0 = w0 * x0`, `s1 = w1 * x1`,
# `s2 = s0 + s1`, `s3 = s2 + w2`, `L = sigmoid(s3)`. Backward from `grad_L = 1.0`: first the
# sigmoid gate, then the add gates, then the multiply gates. You may call your gate functions
# from exercises 1 to 11 (for example `multiply_backward(grad_s0, w0, x0)`) or write each line
# out.
#
# **Example.** At the point drawn above, your function must return the printed $L$ and the five
# printed gradients.
#
# **Hints.**
# - The sigmoid's local gradient uses its output: that is `L` itself, so the first backward line
#   is `grad_s3 = L * (1 - L) * grad_L`.
# - The inputs may be arrays of one shape (a batch of neurons evaluated element by element): then
#   every gradient is an array of that shape. Use the `sigmoid` defined above.

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


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-neuron", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def neuron(w0, x0, w1, x1, w2):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()

names = ["w0", "x0", "w1", "x1", "w2"]

# 1. The point drawn above, against the engine.
numbers = (0.5, 2.0, -1.5, 0.4, 0.3)
result = sigmoid_neuron(*numbers)
assert isinstance(result, (tuple, list)) and len(result) == 6, (
    "sigmoid_neuron must return a tuple of 6: (L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2)")
L_engine, grads_engine = engine_gradients(neuron, *numbers)
assert close(result[0], L_engine), f"L: expected {L_engine:.6g} (course.Value), got {result[0]}"
for name, got, expected in zip(names, result[1:], grads_engine):
    assert close(got, expected), f"grad_{name}: expected {expected:.6g} (course.Value), got {got}"

# 2. Finite differences on arrays (a batch of 4 neurons), with a random upstream gradient.
def L_only(w0, x0, w1, x1, w2):
    return sigmoid_neuron(w0, x0, w1, x1, w2)[0]

def neuron_backward(upstream, w0, x0, w1, x1, w2):
    return tuple(upstream * grad for grad in sigmoid_neuron(w0, x0, w1, x1, w2)[1:])

check_vjp(L_only, neuron_backward, *random_inputs(*[(4,)] * 5, seed=12))
assert np.shape(sigmoid_neuron(*random_inputs(*[(4,)] * 5, seed=12))[1]) == (4,)

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-neuron-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
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
# ### The neuron, with your rules on every gate
#
# The same graph explorer as at the start, but each gate now runs the backward rule you wrote.
# If every edge keeps its usual colours, your rules agree with the engine everywhere you slide.

# %%
GraphExplorer(rules={"add": add_backward, "multiply": multiply_backward,
                     "sigmoid": sigmoid_backward})

# %% [markdown]
# ## What you learned
#
# - A function is a **computational graph** of gates. The **forward pass** computes and keeps
#   the values; the **backward pass** starts from gradient 1 at the output and walks back.
# - At every gate: **downstream = local × upstream**. Each gate needs only its own local
#   gradient, computed from values it saw in the forward pass.
# - Patterns: **add** distributes the gradient, **multiply** swaps the inputs, **max** routes
#   the gradient to the larger input (half each on a tie; ReLU: 0 at exactly 0), and a value
#   used twice (the **copy** gate) **adds** its gradients.
# - Sigmoid, tanh and exp have local gradients written with their **outputs**: for the sigmoid,
#   $s(1 - s)$ with $s = \sigma(x)$, never $\sigma(s)(1 - \sigma(s))$.
# - **Flat gradient code** writes a backward pass by hand, line by line in reverse order, and
#   **finite differences** (`check_vjp`) tell you whether it is right.
#
# Flat code works, but it is written for one formula: change the loss and every backward line
# must be derived again. **Assignment 2** fixes that: gates become objects with a `forward` and
# a `backward`, and you will write the engine that chains them for any graph.
