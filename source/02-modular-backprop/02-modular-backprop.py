# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Assignment 2: Modular backprop, and the engine behind `.backward()`
#
# In assignment 1 you wrote the backward pass of a neuron by hand. That works for one formula.
# Real networks change every day (a new layer, a new loss), so deep learning libraries split the
# work differently: each **gate** is a small object that knows its own forward pass and its own
# local backward rule, and one generic **engine** applies the chain rule to whatever graph the
# forward pass built.
#
# You will build both halves: gates from the rules you derived in assignment 1, one bigger gate
# whose rule you derive here, and the engine's graph walk.
#
# **This assignment is worth 24 points**: 5 exercises, each with a visible test and a hidden one.
# Most of them are in the engine (section 4).
#
# **What you will learn**
# - why flat gradient code does not scale, and what a modular API fixes;
# - to define gates as `course.Function` classes with `forward(ctx, ...)` and
#   `backward(ctx, grad)`, saving what the backward pass needs with `ctx.save_for_backward`
#   (the API of `torch.autograd.Function`, so the skill carries over to PyTorch);
# - why a bigger gate (the sigmoid and the log loss in one) can be both faster and more accurate
#   than the small gates it replaces;
# - how the engine runs the backward pass of *any* graph: a **topological order** of the nodes,
#   visited in reverse, with gradients **accumulated** where a value fans out; why that traversal
#   must not be recursive; and how this engine's `backward` differs from PyTorch's, which adds
#   into `.grad` (hence `zero_grad()`).
#
# As in assignment 1: complete each function or class (replace `raise NotImplementedError()`),
# run the test cell after it, and remember that hidden tests run when your work is graded.
# Hints are folded: open one only when you are stuck.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import numpy as np
import matplotlib.pyplot as plt

import course
from course import Function, Tensor, Value
from course.gradcheck import check_grad, check_traversal, close, random_inputs
from course.figures import draw_graph, graph_alt, show

# The backward rules of assignment 1, with the signatures of its exercises: the course's own
# copies, so that a slip in yours does not follow you here.
from course.gate_rules import divide_backward, multiply_backward, tanh_backward


# %% nbgrader={"grade": false, "grade_id": "test-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Small tools the tests use (you may use them too).

def backprop(f, upstream, *inputs):
    """Run f(*inputs) through the engine, then its backward pass from `upstream` (dL/d output).

    Returns (output, (dL/d input for each input)): the engine calls the backward of every
    Function that f uses."""
    out, vjp_fn = course.vjp(f, *inputs)
    return out, vjp_fn(np.asarray(upstream, dtype=np.float64))


def sigmoid(x):
    """The logistic sigmoid 1 / (1 + exp(-x)), element by element, with no overflow."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# %% [markdown]
# ## 1. Why flat gradient code does not scale
#
# Here is flat gradient code, in the style of assignment 1, for a one-input neuron with a tanh
# and a squared error against a target $t$:
# $L = (\tanh(w x + b) - t)^2$. It returns the loss and the gradients for the two parameters.

# %%
def tanh_squared_error(w, x, b, t):
    # forward pass
    p = w * x
    q = p + b
    h = np.tanh(q)
    r = h - t
    L = r ** 2
    # backward pass, derived by hand for exactly this formula
    grad_L = 1.0
    grad_r = 2 * r * grad_L
    grad_h = grad_r
    grad_q = (1 - h ** 2) * grad_h
    grad_b = grad_q
    grad_p = grad_q
    grad_w = x * grad_p
    return L, grad_w, grad_b


# %% [markdown]
# Now we want to try a sigmoid output with a log loss instead,
# $L = -\bigl(t \log h + (1 - t)\log(1 - h)\bigr)$ with $h = \sigma(w x + b)$. Only the gates
# at the end changed, yet in flat code the backward pass has to be derived again by hand and
# rewritten, and every gradient that flows through the changed gates (here: all of them) must be
# checked again:

# %%
def sigmoid_log_loss(w, x, b, t):
    # forward pass
    p = w * x
    q = p + b
    h = sigmoid(q)
    L = -(t * np.log(h) + (1 - t) * np.log(1 - h))
    # backward pass: derived again from scratch
    grad_L = 1.0
    grad_h = (-t / h + (1 - t) / (1 - h)) * grad_L
    grad_q = h * (1 - h) * grad_h
    grad_b = grad_q
    grad_p = grad_q
    grad_w = x * grad_p
    return L, grad_w, grad_b


# %% [markdown]
# A real network has hundreds of gates, and people try new losses, layers and activations all
# the time. Re-deriving the whole backward pass for each variant is slow and error prone.
#
# The way out is to notice that the backward pass is made of the *same* local rules every time,
# only wired differently. So: let each gate carry its own local rule, let the forward pass
# **record the graph** as it runs, and let one generic engine apply the chain rule to the
# recorded graph. Then a new model needs only its forward pass. With `course.Value`, which works
# this way, both models above are one line each, and no gradient code:

# %%
def gradients_by_the_engine(loss, w, x, b, t):
    w, b = Value(w, label="w"), Value(b, label="b")
    L = loss(w, x, b, t)
    L.backward()                          # the engine: the same for every model
    return L.data, w.grad, b.grad

w, x, b, t = 0.8, 1.5, -0.2, 1.0
flat = {"tanh + squared error": tanh_squared_error(w, x, b, t),
        "sigmoid + log loss": sigmoid_log_loss(w, x, b, t)}
modular = {"tanh + squared error": gradients_by_the_engine(
               lambda w, x, b, t: ((w * x + b).tanh() - t) ** 2, w, x, b, t),
           "sigmoid + log loss": gradients_by_the_engine(
               lambda w, x, b, t: -(t * (w * x + b).sigmoid().log()
                                    + (1 - t) * (1 - (w * x + b).sigmoid()).log()), w, x, b, t)}
for name in flat:
    print(f"{name}:")
    print("  flat code:  L = {:.6f}, dL/dw = {:+.6f}, dL/db = {:+.6f}".format(*flat[name]))
    print("  the engine: L = {:.6f}, dL/dw = {:+.6f}, dL/db = {:+.6f}".format(*modular[name]))


# %% [markdown]
# ## 2. Gates as objects: `Function` with `forward` and `backward`
#
# A gate needs two things:
#
# - a **forward** pass, which computes the output from the inputs and *saves* whatever the
#   backward pass will need (the inputs, or the output);
# - a **backward** pass, which receives the upstream gradient $\partial L/\partial(\text{output})$
#   and returns one downstream gradient per input: local gradient × upstream.
#
# The backward pass is exactly the rule you wrote in assignment 1. The setup cell imported three
# of them, with the signatures of that assignment's exercises: `multiply_backward(upstream, x, y)`,
# `divide_backward(upstream, x, y)` and `tanh_backward(upstream, out)` (from the output). A gate
# only has to keep, in the forward pass, what its rule will read.
#
# `course.Function` has the same interface as PyTorch's `torch.autograd.Function`. A gate is a
# class with two static methods:
#
# - `forward(ctx, *inputs)` receives numpy arrays and returns the output array. `ctx` is the
#   gate's notebook: `ctx.save_for_backward(a, b, ...)` stores arrays for later.
# - `backward(ctx, grad_out)` receives the same `ctx` and the upstream gradient `grad_out` (an
#   array of the output's shape). It reads `ctx.saved_tensors` (a tuple, in the order saved) and
#   returns one gradient per input of `forward`, each of that input's shape, as a tuple when
#   there are several.
#
# You never call `forward` or `backward` yourself. You call `MyGate.apply(x, ...)`: the engine
# runs `forward`, records a node in the graph, and later, in the backward pass, calls your
# `backward` with the right upstream gradient and hands the results to the inputs.
#
# Here is the lecture's multiply gate, built on assignment 1's multiply rule:

# %%
class Multiply(Function):
    """a * b, element by element."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)       # the multiply rule reads both inputs
        return a * b

    @staticmethod
    def backward(ctx, grad_out):          # grad_out = dL/d(a * b), the upstream gradient
        a, b = ctx.saved_tensors          # a tuple, in the order saved
        return multiply_backward(grad_out, a, b)     # (dL/da, dL/db)


# %% [markdown]
# It works like any built-in operation. On a `Tensor` that requires a gradient, as in PyTorch:

# %%
x = Tensor(np.array([0.5, 2.0, 4.0]), requires_grad=True)
loss = (Multiply.apply(x, x) + x).sum()   # our gate, mixed with a built-in add and sum
loss.backward()
print("engine with our Multiply gate:", x.grad)
print("by hand, d(x**2 + x)/dx:      ", 2 * x.data + 1)
loss.backward()
print("after a second backward():    ", x.grad)

# %% [markdown]
# Note the last line: a second `loss.backward()` gives the same gradient. **This engine
# recomputes**: every call sets `.grad` to d(output)/d(leaf) afresh. PyTorch does not: its
# `backward()` *adds* into the leaves' `.grad`, so that the gradients of several losses can be
# collected by calling `backward()` on each. That is why every PyTorch training loop calls
# `optimizer.zero_grad()` (or `x.grad = None`) before `loss.backward()`: forget it and each step
# uses the sum of all the gradients so far. (PyTorch also frees the graph after a backward pass,
# so a second call on the same graph needs `retain_graph=True`.)
#
# `check_grad(f, *inputs)` checks the gradients the engine computes for `f` against finite
# differences, with a random upstream gradient, like your `check_rule` in assignment 1, and names
# the input and the elements that disagree, with the likely mistake. The tests below use it;
# `backprop(f, upstream, *inputs)` (defined above) gives you the engine's gradients for a chosen
# upstream gradient, if you want to look at numbers yourself.

# %%
assert check_grad(lambda x, y: Multiply.apply(x, y), *random_inputs((3,), (3,), seed=0))   # right
output, (grad_x, grad_y) = backprop(lambda x, y: Multiply.apply(x, y), np.array([1.0, -2.0]),
                                    np.array([3.0, 4.0]), np.array([0.5, 0.25]))
print("x * y:", output, " dL/dx:", grad_x, " dL/dy:", grad_y)


# %% [markdown]
# ### Exercise 1: `Tanh`, on your rule
#
# **What to do.** Complete `Tanh`, the gate $t = \tanh x$ (element by element), so that its
# `backward` calls `tanh_backward`. `forward` computes the output and saves what the backward
# pass will need; `backward` returns $\partial L/\partial x$.
#
# **Which array to save?** Either works: the input (then `backward` computes the tanh again) or
# the output. The tests only check that your gradients are right. But the output is the better
# choice: it is what the rule reads, so the backward pass needs no tanh at all (PyTorch's `tanh`
# and `sigmoid` save their outputs for the same reason).
#
# **Example.** `Tanh.apply(np.array([0.0, 1.0]))` returns `[0, 0.7616...]`; the test compares the
# gradients with those of the engine's own `course.tanh`.
#
# <details><summary>Hint 1</summary>
#
# Which argument of `tanh_backward` is the forward pass's output, and how does `backward` get it?
# </details>

# %% nbgrader={"grade": false, "grade_id": "tanh-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Tanh(Function):
    """t = tanh(x), element by element."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        t = np.tanh(x)
        ctx.save_for_backward(t)
        return t
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_t):
        """Return dL/dx from the upstream gradient grad_t = dL/dt."""
        ### BEGIN SOLUTION
        (t,) = ctx.saved_tensors
        return tanh_backward(grad_t, t)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([-2.0, 0.0, 1.5])
upstream = np.array([2.0, -1.0, 0.5])

# 1. The forward pass on plain arrays.
t = Tanh.apply(x)
assert close(t, np.tanh(x)), f"Tanh.apply({x}) returned {t}, expected {np.tanh(x)}"

# 2. The backward pass, run by the engine from a chosen upstream gradient.
_, (dx,) = backprop(lambda x: Tanh.apply(x), upstream, x)
_, (expected,) = backprop(course.tanh, upstream, x)
assert close(dx, expected), (
    f"with upstream {upstream}, dL/dx should be {expected} (course.tanh) but is {dx}"
    + (": the saved output was given to tanh again" if close(dx, upstream * (1 - np.tanh(np.tanh(x)) ** 2))
       else ": tanh_backward wants the gate's OUTPUT, and got its input" if close(dx, upstream * (1 - x ** 2))
       else ": the upstream gradient grad_t is not passed on" if close(dx, 1 - np.tanh(x) ** 2)
       else ""))

# 3. Finite differences, with a random upstream gradient.
assert check_grad(lambda x: Tanh.apply(x), *random_inputs((2, 3), seed=4))

# %% nbgrader={"grade": true, "grade_id": "test-tanh-function-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Tanh.apply(np.zeros(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (3, 4)]):
    (x,) = random_inputs(shape, seed=540 + seed)
    x = 2 * x
    check_grad(lambda x: Tanh.apply(x), x, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, (dx,) = backprop(lambda x: Tanh.apply(x), upstream, x)
    _, (built_in,) = backprop(course.tanh, upstream, x)
    assert close(out, np.tanh(x)) and close(dx, built_in)
# saturated: no gradient gets through; and inside a bigger computation
_, (dx,) = backprop(lambda x: Tanh.apply(x), np.ones(2), np.array([30.0, -30.0]))
assert close(dx, [0.0, 0.0])
assert check_grad(lambda x, y: Tanh.apply(x * y + x).sum(), *random_inputs((5,), (5,), seed=545))
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: `Divide`, on your rule
#
# **What to do.** Complete `Divide`, the gate $d = x / y$ (element by element), with a `backward`
# that calls `divide_backward` and returns both gradients, in the order of `forward`'s inputs.
#
# **Example.** `Divide.apply(x, x)` is all ones whatever `x` is, so the gradient the engine gives
# `x` through it must be 0: the two contributions your `backward` returns for the two inputs
# cancel when the engine adds them. The test checks that too.

# %% nbgrader={"grade": false, "grade_id": "divide-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Divide(Function):
    """d = x / y, element by element."""

    @staticmethod
    def forward(ctx, x, y):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, y)
        return x / y
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_d):
        """Return (dL/dx, dL/dy) from the upstream gradient grad_d = dL/dd."""
        ### BEGIN SOLUTION
        x, y = ctx.saved_tensors
        return divide_backward(grad_d, x, y)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-divide-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x, y, upstream = np.array([1.0, -2.0]), np.array([4.0, 0.5]), np.array([1.0, 3.0])
d = Divide.apply(x, y)
assert close(d, x / y), f"Divide.apply({x}, {y}) returned {d}, expected {x / y}"
grads = backprop(lambda x, y: Divide.apply(x, y), upstream, x, y)[1]
_, expected = backprop(lambda x, y: x / y, upstream, x, y)
assert close(grads[0], expected[0]) and close(grads[1], expected[1]), (
    f"with upstream {upstream}, backward should give dL/dx = {expected[0]} and dL/dy = "
    f"{expected[1]}, but gave {grads[0]} and {grads[1]}"
    + (": the two gradients come back in the wrong order"
       if close(grads[0], expected[1]) and close(grads[1], expected[0])
       else ": divide_backward got x and y the wrong way round"
       if close(grads[0], backprop(lambda x, y: y / x, upstream, x, y)[1][1]) else ""))
assert check_grad(lambda x, y: Divide.apply(x, y), *random_inputs((2, 3), (2, 3), seed=2, margin=0.3))
_, (same,) = backprop(lambda x: Divide.apply(x, x), upstream, y)
assert close(same, [0.0, 0.0]), f"x / x is constant, so its gradient must be 0, not {same}"

# %% nbgrader={"grade": true, "grade_id": "test-divide-function-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Divide.apply(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (5,), (3, 4)]):
    x, y = random_inputs(shape, shape, seed=520 + seed, margin=0.3)
    check_grad(lambda x, y: Divide.apply(x, y), x, y, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, grads = backprop(lambda x, y: Divide.apply(x, y), upstream, x, y)
    _, built_in = backprop(lambda x, y: x / y, upstream, x, y)
    assert close(out, x / y) and close(grads[0], built_in[0]) and close(grads[1], built_in[1])
assert check_grad(lambda x, y: Divide.apply(x, 1.0 + y * y).sum(), *random_inputs((4,), (4,), seed=525))
### END HIDDEN TESTS

# %% [markdown]
# ### Your gates in a graph
#
# The graph explorer accepts `Function` classes as rules: here is the function of assignment 1's
# last exercise, $f(x, y) = (x\,\sigma(y) + \tanh x) / (1 + (x - y)^2)$, with your `Tanh` and
# `Divide` (forward and backward) on their gates. Slide the inputs; an edge turns magenta wherever
# your class disagrees with the engine.

# %%
from course.widgets import GraphExplorer

def fan_out_graph(x=0.8, y=-0.4):
    return (x * y.sigmoid() + x.tanh()) / (1 + (x - y) ** 2)

GraphExplorer(fan_out_graph, rules={"tanh": Tanh, "divide": Divide})

# %% [markdown]
# ## 3. A bigger gate: the sigmoid and the log loss in one
#
# A gate can be any function whose derivative we know, and a bigger gate gives the graph more
# meaning and the computer less work. The end of section 1's second model, a sigmoid followed by
# the log loss, is a good candidate: as small gates it is a sigmoid, two logs, a subtraction, two
# multiplications, two additions and a negation, and it breaks as soon as the model is confidently
# wrong. The cell below builds it from the engine's small gates, for a sure and right prediction
# ($q = 2$, target 1) and a very sure and wrong one ($q = 40$, target 0):

# %%
def sigmoid_then_log_loss(q, t):
    h = course.sigmoid(q)
    return -(t * course.log(h) + (1 - t) * course.log(1 - h))

q, t = np.array([2.0, 40.0]), np.array([1.0, 0.0])
with np.errstate(all="ignore"):          # the log of 0 would warn
    loss, (grad_q, grad_t) = backprop(sigmoid_then_log_loss, np.ones(2), q, t)
print("loss:   ", loss)
print("dL/dq:  ", grad_q)
print("sigmoid(40.0) == 1.0 in float64:", bool(course.sigmoid(np.array(40.0)) == 1.0))

# %% [markdown]
# $\sigma(40)$ is so close to 1 that float64 rounds it to exactly 1, so $\log(1 - h)$ is
# $\log 0$: the loss is infinite and the gradient not a number, although neither truly is: the
# loss of a very sure, wrong prediction is large but finite, and so is its gradient. One gate that
# knows the whole formula can do better in both passes.
#
# ### Exercise 3: `SigmoidLogLoss`, one gate
#
# **What to do.** Complete `SigmoidLogLoss`, the gate
#
# $$L = -\bigl(t \log \sigma(q) + (1 - t) \log(1 - \sigma(q))\bigr)$$
#
# element by element, for logits `q` and targets `t` in $[0, 1]$ of one shape. Derive both
# passes yourself:
#
# - `forward(ctx, q, t)` returns $L$, finite and accurate for **every** finite `q` (also
#   $|q| = 1000$), with no warning;
# - `backward(ctx, grad_L)` returns `(dL/dq, dL/dt)`, each of `q`'s shape, as simple as you can
#   make them. The target is usually a constant, but the gate must still say how $L$ depends on
#   it: `check_grad` checks both.
#
# **Example.** At $q = 0$ and $t = 1$, $L = \log 2$ and, for an upstream gradient of 1,
# $\partial L/\partial q = -\tfrac12$.
#
# <details><summary>Hint 1</summary>
#
# Section 1's flat code `sigmoid_log_loss` computes `grad_h`, then `grad_q = h * (1 - h) * grad_h`.
# Multiply that out on paper: how much of it is left?
# </details>
#
# <details><summary>Hint 2</summary>
#
# For the forward pass, write both logs with the softplus $s(v) = \log(1 + e^{v})$:
# $\log \sigma(q) = -s(-q)$ and $\log(1 - \sigma(q)) = -s(q)$. How are $s(-q)$ and $s(q)$
# related? numpy's `np.logaddexp(0, v)` computes $s(v)$ without overflow.
# </details>
#
# <details><summary>Hint 3</summary>
#
# Once the forward pass is simplified, $L$ is a line in $t$: what is its slope?
# </details>

# %% nbgrader={"grade": false, "grade_id": "sigmoid-log-loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SigmoidLogLoss(Function):
    """L = -(t log sigmoid(q) + (1 - t) log(1 - sigmoid(q))), element by element; finite for
    every finite q."""

    @staticmethod
    def forward(ctx, q, t):
        ### BEGIN SOLUTION
        ctx.save_for_backward(q, t)
        return np.logaddexp(0.0, q) - t * q
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_L):
        """Return (dL/dq, dL/dt) from the upstream gradient grad_L."""
        ### BEGIN SOLUTION
        q, t = ctx.saved_tensors
        return (sigmoid(q) - t) * grad_L, -q * grad_L
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-log-loss", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def composed(q, t):                        # the same loss from the engine's small gates
    h = course.sigmoid(q)
    return -(t * course.log(h) + (1 - t) * course.log(1 - h))

# 1. The example, and moderate logits against the small gates.
got = SigmoidLogLoss.apply(np.array(0.0), np.array(1.0))
assert close(got, np.log(2.0)), f"SigmoidLogLoss at q = 0, t = 1 should be log 2, got {got}"
q, t = np.array([-3.0, -0.5, 0.0, 2.0]), np.array([1.0, 0.0, 0.3, 1.0])
upstream = np.array([1.0, -2.0, 0.5, 3.0])
assert close(SigmoidLogLoss.apply(q, t), composed(q, t)), (
    f"for q = {q} and t = {t} the loss should be {composed(q, t)}, got {SigmoidLogLoss.apply(q, t)}")
_, (dq, dt) = backprop(lambda q, t: SigmoidLogLoss.apply(q, t), upstream, q, t)
_, (expected_dq, expected_dt) = backprop(composed, upstream, q, t)
assert close(dq, expected_dq), (
    f"dL/dq should be {expected_dq}, got {dq}"
    + (": every sign is flipped" if close(dq, -expected_dq)
       else ": the upstream gradient grad_L is not multiplied in" if close(dq, expected_dq / upstream)
       else ""))
assert dt is not None and close(dt, expected_dt), (
    f"dL/dt should be {expected_dt}, got {dt}: the loss depends on t too")
assert check_grad(lambda q, t: SigmoidLogLoss.apply(q, t), *random_inputs((2, 3), (2, 3), seed=5))

# 2. Huge logits, sure and right or sure and wrong: finite, and accurate.
q, t = np.array([1000.0, -1000.0, 40.0, -40.0]), np.array([0.0, 0.0, 0.0, 1.0])
with np.errstate(over="raise", divide="raise", invalid="raise"):
    try:
        loss = SigmoidLogLoss.apply(q, t)
        _, (dq, _) = backprop(lambda q, t: SigmoidLogLoss.apply(q, t), np.ones(4), q, t)
    except FloatingPointError as error:
        raise AssertionError(f"SigmoidLogLoss at q = {q} overflows or takes the log of 0 "
                             f"({error}): simplify the forward pass (see the hints)") from None
assert close(loss, [1000.0, 0.0, 40.0, 40.0], tol=1e-12), f"the losses at q = {q}, t = {t} should be about [1000, 0, 40, 40], got {loss}"
assert close(dq, [1.0, 0.0, 1.0, -1.0], tol=1e-12), f"dL/dq at q = {q}, t = {t} should be about [1, 0, 1, -1], got {dq}"

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-log-loss-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(SigmoidLogLoss.apply(np.zeros(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(560)
for seed, shape in enumerate([(), (6,), (3, 4)]):
    (q,) = random_inputs(shape, seed=560 + seed)
    t = rng.uniform(size=shape)                  # soft targets too
    check_grad(lambda q, t: SigmoidLogLoss.apply(q, t), 3 * q, t, seed=seed)
    assert close(SigmoidLogLoss.apply(3 * q, t), composed(3 * q, t))
# inside a model: a neuron's log loss, summed over a batch
w, x, b = random_inputs((5,), (5,), (5,), seed=565)
labels = (rng.uniform(size=5) > 0.5).astype(float)
assert check_grad(lambda w, b: SigmoidLogLoss.apply(w * x + b, labels).sum(), w, b)
# far out: no warning, no overflow, the right limits
q = np.array([-800.0, -60.0, 60.0, 800.0])
with np.errstate(over="raise", divide="raise", invalid="raise"):
    loss = SigmoidLogLoss.apply(q, np.full(4, 0.25))
    _, (dq, dt) = backprop(lambda q, t: SigmoidLogLoss.apply(q, t), np.full(4, 2.0), q, np.full(4, 0.25))
assert close(loss, [200.0, 15.0, 45.0, 600.0], tol=1e-12)
assert close(dq, [-0.5, -0.5, 1.5, 1.5], tol=1e-12) and close(dt, -2.0 * q)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The engine: how `.backward()` walks any graph
#
# The gates know their local rules. What does the engine do with them? Given the output node
# (the **root**), it must give every node its gradient $\partial\,\text{root}/\partial\,\text{node}$:
#
# 1. start with gradient 1 at the root (the **seed**);
# 2. visit the nodes from the root back towards the inputs and, at each node, send
#    *local gradient × upstream gradient* to each of its inputs (its **parents**);
# 3. when a value feeds several gates (**fan-out**, the copy gate of assignment 1), it receives
#    one contribution per use, and they must be **added**, never overwritten.
#
# The figure shows a graph with fan-out: $x = a b$ feeds both a multiply gate and an add gate,
# and the two paths meet again at the output (a "diamond"). Next to it, $u \cdot u$: one gate
# that uses the same value twice.

# %%
a, b = Value(2.0, label="a"), Value(-1.5, label="b")
c, d = Value(0.5, label="c"), Value(1.0, label="d")
x = a * b
out = (c * x) * (x + d)
out.backward()

u = Value(1.5, label="u")
square = u * u
square.backward()

fig, axes = plt.subplots(1, 2, figsize=(15, 4.5), gridspec_kw=dict(width_ratios=[3, 2]))
titles = ["A diamond: x = a * b (the first ×) feeds two gates", "u * u: one gate uses u twice"]
draw_graph(out, ax=axes[0], title=titles[0])
draw_graph(square, ax=axes[1], title=titles[1])
show(fig, alt="Two graphs side by side. Left: " + graph_alt(out, title=titles[0])
     + " Right: " + graph_alt(square, title=titles[1]))

through_multiply = c.data * (x.data + d.data)       # d out / dx along the top path
through_add = c.data * x.data                       # d out / dx along the bottom path
print(f"x reaches the output along two paths: {through_multiply:g} + {through_add:g} "
      f"= {through_multiply + through_add:g} = x.grad ({x.grad:g})")
print(f"only then is x's gradient passed on: a.grad = b * x.grad = {b.data:g} * {x.grad:g} = {a.grad:g}")
print(f"u * u: u.grad = {u.data:g} + {u.data:g} = {u.grad:g}  (d u^2/du = 2u)")


# %% [markdown]
# Read the diamond from the right. The output gate sends a gradient to each of its two inputs;
# each of those sends one to $x$ (the two orange numbers on the arrows leaving $x$). $x$'s
# gradient is their **sum**. Two consequences for the engine:
#
# - **Accumulate.** If the second contribution replaced the first, $x$ would keep only one path.
#   With `u * u` it is the same: the gate has two inputs that happen to be the same node.
# - **Order.** $x$ may pass its gradient on to $a$ and $b$ only *after* both contributions have
#   arrived, that is, after every gate that uses $x$ has been visited. We need an order in which
#   every node comes **after all the nodes that use it**.
#
# An order in which every node comes after its parents (its inputs) is a **topological order**;
# read backwards, every node comes after all the nodes that use it. You will write both halves
# of the engine for the small node class below: the order, then the backward pass over it. Each
# gate computes its local gradients in the forward pass (as `course.Value` does), so the backward
# pass only multiplies and adds.

# %% nbgrader={"grade": false, "grade_id": "node-class", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Node:
    """One number in a computational graph.

    value:       the forward value
    parents:     the nodes this one was computed from (a tuple; empty for an input, a "leaf")
    local_grads: d(this node) / d(parent), one number per parent, computed in the forward pass
    grad:        d(root) / d(this node), filled in by backward(root)
    """

    def __init__(self, value, parents=(), local_grads=(), op="", label=""):
        self.value = float(value)
        self.parents = tuple(parents)
        self.local_grads = tuple(local_grads)
        self.grad = 0.0
        self.op = op
        self.label = label

    def __repr__(self):
        name = self.label or self.op or "leaf"
        return f"Node({name}: value={self.value:.4g}, grad={self.grad:.4g})"

    # The gates. Each returns a new node that remembers its parents and local gradients.
    def __add__(self, other):
        other = as_node(other)
        return Node(self.value + other.value, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = as_node(other)
        return Node(self.value * other.value, (self, other), (other.value, self.value), "*")

    def __neg__(self):
        return Node(-self.value, (self,), (-1.0,), "neg")

    def __sub__(self, other):
        return self + (-as_node(other))

    def __radd__(self, other):
        return as_node(other) + self

    def __rmul__(self, other):
        return as_node(other) * self

    def __rsub__(self, other):
        return as_node(other) - self

    def tanh(self):
        t = math.tanh(self.value)
        return Node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        s = float(sigmoid(self.value))
        return Node(s, (self,), (s * (1.0 - s),), "sigmoid")   # local gradient from the output

    def log(self):
        return Node(math.log(self.value), (self,), (1.0 / self.value,), "log")


def as_node(x):
    """A number becomes a leaf node (a constant); a node stays itself."""
    return x if isinstance(x, Node) else Node(x)


# %% [markdown]
# ### A topological order, recursively
#
# Depth-first search gives a topological order: a node is appended to the list once all of its
# parents have been appended. Written recursively, it is short:

# %%
def topological_order_recursive(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)             # first everything this node depends on...
        order.append(node)            # ...then the node itself

    visit(root)
    return order


a, b = Node(2.0, label="a"), Node(-1.5, label="b")
x = a * b
print([node.label or node.op for node in topological_order_recursive(x * x + a)])

# %% [markdown]
# But each `visit` waits for the `visit` of its parent, which waits for its own parent, and so on:
# the recursion is as deep as the graph. Python allows about `sys.getrecursionlimit()` nested calls
# (the cell below prints it), and real graphs are much deeper: a recurrent network unrolled over a
# long sequence easily has thousands of gates in a row. The recursive version crashes:

# %% nbgrader={"grade": false, "grade_id": "deep-chain", "locked": true, "schema_version": 3, "solution": false, "task": false}
import sys

def deep_chain(n, start=0.5):
    """x -> tanh -> tanh -> ... -> tanh: a graph n gates deep. Returns (x, output)."""
    x = Node(start, label="x")
    y = x
    for _ in range(n):
        y = y.tanh()
    return x, y

print("Python's recursion limit:", sys.getrecursionlimit())
_, deep = deep_chain(5000)
try:
    topological_order_recursive(deep)
except RecursionError as error:
    print("the recursive version on a chain of 5000 gates: RecursionError:", error)


# %% [markdown]
# So write it **iteratively**, with your own stack (a Python list) instead of the call stack.
# A list has no depth limit.
#
# ### Exercise 4: `topological_order`
#
# **What to do.** Complete `topological_order(root)`: return a list of every node that `root`
# depends on (`root` and the leaves included), **each exactly once**, every node **after all of
# its parents**, so that `root` comes last. It must work for graphs of any depth (thousands of
# gates in a row) and with any amount of sharing: diamonds, a value used by many gates, a gate
# that uses one value twice (`u * u` has the parents `(u, u)`).
#
# **Example.** For `x = a * b` and `root = x * x + a`, one valid order is `[a, b, x, x * x, root]`
# (`a, b` may come in either order). The recursive version above prints another valid one.
#
# <details><summary>Hint 1</summary>
#
# In the recursive version, each unfinished call of `visit` waits for its parents and then
# appends its node. What does the call stack remember for each of them that a plain stack of
# nodes would forget?
# </details>
#
# <details><summary>Hint 2</summary>
#
# When you take a node off your stack, you must know whether its parents are already in the
# list. Two ways: put the node on the stack twice (once "to expand", once "to append"), or keep
# with it how far through its parents you are. And what stops a node that fans out from being
# expanded, and listed, once per use?
# </details>
#
# <details><summary>Hint 3</summary>
#
# A stack of 12 diamonds (`y = y * 0.5 + y * 0.25`, twelve times) has $2^{12}$ paths from the
# root to `x`. Does your walk follow paths, or visit nodes?
# </details>

# %% nbgrader={"grade": false, "grade_id": "topological-order", "locked": false, "schema_version": 3, "solution": true, "task": false}
def topological_order(root):
    """Every node that `root` depends on (root and the leaves included), each exactly once,
    every node after all of its parents; `root` last. Iterative: works for any depth."""
    ### BEGIN SOLUTION
    listed, seen = [], set()
    stack = [(root, False)]            # (node, are its parents listed already?)
    while stack:
        node, expanded = stack.pop()
        if expanded:
            listed.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents if parent not in seen)
    return listed
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "order-checker", "locked": true, "schema_version": 3, "solution": false, "task": false}
# What the tests check about an order (you may call it yourself).

def check_topological_order(order, root):
    """Assert that `order` is a topological order of root's graph, with a message that says why not."""
    assert isinstance(order, list), f"topological_order must return a list, not {type(order).__name__}"
    seen, stack = set(), [root]                  # every node root depends on
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.parents)
    assert len(order) == len(set(order)), (
        f"your order has {len(order)} entries for {len(set(order))} different nodes: each node "
        f"must appear once (keep a set of visited nodes)")
    missing = seen - set(order)
    assert not missing, f"{len(missing)} of the {len(seen)} nodes are missing, e.g. {next(iter(missing))}"
    assert set(order) <= seen, "your order contains nodes that root does not depend on"
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node], (
                f"{parent} comes after {node}, which uses it: every node must come after its parents")
    assert order[-1] is root, "the root must come last"
    return True


class CountingNode(Node):
    """A Node that counts how often any node's parents are read."""

    reads = 0

    @property
    def parents(self):
        CountingNode.reads += 1
        return self._parents

    @parents.setter
    def parents(self, value):
        self._parents = value


def parent_reads_per_node(n):
    """How often topological_order reads a node's parents, per node, on a stack of n diamonds
    (each level: y -> y * 0.5 and y * 0.25 -> their sum). A walk that visits nodes reads each
    node's parents a few times at most; one that follows paths reads them about 2**n times."""
    y = CountingNode(0.3, label="x")
    for _ in range(n):
        left = CountingNode(0.5 * y.value, (y,), (0.5,), "*")
        right = CountingNode(0.25 * y.value, (y,), (0.25,), "*")
        y = CountingNode(left.value + right.value, (left, right), (1.0, 1.0), "+")
    CountingNode.reads = 0
    topological_order(y)
    return CountingNode.reads / (3 * n + 1)


# %% nbgrader={"grade": true, "grade_id": "test-topological-order", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# 1. The example: x = a * b used twice by one gate, and a used twice.
a, b = Node(2.0, label="a"), Node(-1.5, label="b")
x = a * b
root = x * x + a
order = topological_order(root)
check_topological_order(order, root)

# 2. A single leaf is its own order.
assert topological_order(a) == [a], "the order of a graph with one node is [that node]"

# 3. Shared subexpressions: p feeds three gates, q two, and the two meet again.
p = a * b
q = p + a
shared = (p * q) * (p + q) + p.tanh()
check_topological_order(topological_order(shared), shared)

# 4. A chain of 5000 gates: too deep for recursion.
_, deep = deep_chain(5000)
try:
    order = topological_order(deep)
except RecursionError:
    raise AssertionError("RecursionError on a chain of 5000 gates: write topological_order "
                         "with an explicit stack instead of recursion") from None
check_topological_order(order, deep)
assert len(order) == 5001

# %% nbgrader={"grade": true, "grade_id": "test-topological-order-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(topological_order(Node(1.0) * 2.0)) == 3
### BEGIN HIDDEN TESTS
# first: does the walk visit nodes, or follow paths? (2**16 paths through 49 nodes)
reads = parent_reads_per_node(16)
assert reads < 10, (f"on a stack of 16 diamonds topological_order read each node's parents "
                    f"{reads:.0f} times: it follows every path (2**16 of them) instead of "
                    f"expanding each node once")
# a small diamond: a node used by two gates is listed once
a = Node(1.5, label="a")
small = (a * 2.0) * (a + 1.0)
check_topological_order(topological_order(small), small)
rng = np.random.default_rng(700)
# random graphs with lots of fan-out
for _ in range(5):
    leaves = [Node(v, label=f"leaf{k}") for k, v in enumerate(rng.normal(size=4))]
    nodes = list(leaves)
    for _ in range(40):
        i, j = rng.integers(len(nodes), size=2)
        nodes.append(nodes[i] * nodes[j] if rng.random() < 0.5 else nodes[i] + nodes[j])
    root = nodes[-1] + nodes[-2] + nodes[-7]
    check_topological_order(topological_order(root), root)
# a stack of 12 diamonds: 2**12 paths to x, but x must be listed once
x = Node(0.3, label="x")
y = x
for _ in range(12):
    y = y * 0.5 + y * 0.25
check_topological_order(topological_order(y), y)
# deep: a chain of 10000 gates, then a deep chain with fan-out at every step
x = Node(0.1, label="x")
y = x
for _ in range(3000):
    y = y * y.sigmoid()
try:
    _, deep = deep_chain(10000)
    check_topological_order(topological_order(deep), deep)
    assert check_topological_order(topological_order(y), y)
except RecursionError:
    raise AssertionError("RecursionError on a deep graph: topological_order must not recurse") from None
assert topological_order(x) == [x]
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5: `backward`
#
# **What to do.** Complete `backward(root)`: afterwards, every node of root's graph holds
# `node.grad` $= \partial\,\text{root}/\partial\,\text{node}$, and `root.grad == 1`. Use your
# `topological_order`. Each call computes the gradients afresh, like `course.Value.backward`
# (and unlike PyTorch, see section 2): whatever the nodes' `.grad` held before, from an earlier
# call on this root or on another node of the graph, must not change the result.
#
# **Example.** For the diamond of the figure above (`x = a * b`, `out = (c * x) * (x + d)`, with
# its numbers), `backward(out)` gives `a`, `b`, `c`, `d` and `x` the orange gradients drawn
# there.
#
# **How it is tested.** `compare_with_engine` (below the solution cell) runs your `backward` and
# `check_traversal(root)`, which recomputes every node's gradient from the local gradients and,
# when yours differ, names the likely mistake (a contribution overwritten at fan-out, a missing
# seed, a walk in the wrong direction, ...).
#
# <details><summary>Hint 1</summary>
#
# When may a node pass its gradient on to its parents, and in which direction through the
# topological order does that hold for every node?
# </details>
#
# <details><summary>Hint 2</summary>
#
# `x` in the diamond receives one contribution from each gate that uses it. What must the second
# one do to the first? Think of `u * u` too: both contributions arrive from the same gate.
# </details>
#
# <details><summary>Hint 3</summary>
#
# What do the nodes' `.grad` hold when `backward` starts, the second time it is called? What do
# they have to hold before the first contribution arrives, and what does the root's have to be?
# </details>

# %% nbgrader={"grade": false, "grade_id": "backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def backward(root):
    """Set node.grad = d root / d node on every node of root's graph (root.grad = 1).

    Gradients are recomputed from zero on each call."""
    ### BEGIN SOLUTION
    nodes = topological_order(root)
    for node in nodes:
        node.grad = 0.0               # forget every earlier call
    root.grad = 1.0                   # the seed
    for node in reversed(nodes):      # a node is complete before its parents are reached
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "engine-comparison", "locked": true, "schema_version": 3, "solution": false, "task": false}
# How the tests compare your engine with course.Value (you may call it yourself).

def compare_with_engine(recipe, *numbers):
    """Build recipe(*leaves) with Nodes and run YOUR backward, build it again with course.Value
    and run the engine's backward, and assert that every leaf gets the same gradient."""
    nodes = [Node(number, label=f"leaf {k}") for k, number in enumerate(numbers)]
    root = recipe(*nodes)
    backward(root)
    check_traversal(root)  # every node's .grad, with a diagnosis if one is wrong
    values = [Value(number) for number in numbers]
    out = recipe(*values)
    out.backward()
    assert close(root.value, out.data), "the forward values differ: is the recipe the same?"
    assert close(root.grad, 1.0), f"after backward(root), root.grad must be 1 (the seed), not {root.grad}"
    for k, (node, value) in enumerate(zip(nodes, values)):
        assert close(node.grad, value.grad), (
            f"{recipe.__name__}: d root / d(leaf {k}) is {node.grad:.6g} with your backward but "
            f"{value.grad:.6g} with course.Value")


# %% nbgrader={"grade": true, "grade_id": "test-backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def chain(a, b, c):
    return (a * b + c).tanh()

def diamond(a, b, c, d):           # the figure above: x = a * b fans out
    x = a * b
    return (c * x) * (x + d)

def square(u):                     # one gate uses u twice
    return u * u

def shared(a, b):                  # a used three times, by different gates
    return (a * b + a).sigmoid() * a

compare_with_engine(chain, 0.5, -1.2, 0.3)
compare_with_engine(diamond, 2.0, -1.5, 0.5, 1.0)
compare_with_engine(square, 1.5)
compare_with_engine(shared, 0.7, -0.4)

# Calling backward twice gives the same gradients (they are recomputed from zero).
a, b, c, d = (Node(v) for v in (2.0, -1.5, 0.5, 1.0))
out = diamond(a, b, c, d)
backward(out)
first = [a.grad, b.grad, c.grad, d.grad]
backward(out)
assert close([a.grad, b.grad, c.grad, d.grad], first), (
    f"a second backward(out) changed the gradients from {first} to {[a.grad, b.grad, c.grad, d.grad]}: "
    f"what did the nodes' grad hold when the second call started?")

# %% nbgrader={"grade": true, "grade_id": "test-backward-hidden", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
leaf = Node(3.0)
backward(leaf * 2.0)
assert close(leaf.grad, 2.0)
### BEGIN HIDDEN TESTS
def shared_deeper(a, b):           # a used four times, b twice, across two levels
    p = a * b
    return ((p + a).sigmoid() * a + p.tanh()) * (b - a)

def neuron_log_loss(w0, x0, w1, x1, w2):
    h = (w0 * x0 + w1 * x1 + w2).sigmoid()
    return -(h.log())

def tangled(a, b, c):
    p = a * b
    q = p + c
    r = p * q
    return (r + q * a).tanh() * (p - c)

def cube(u):
    return u * u * u

# the deep graphs below have fan-out at every level: a walk that follows paths would never end
assert parent_reads_per_node(16) < 10, "topological_order follows every path: see its tests"

rng = np.random.default_rng(800)
compare_with_engine(shared_deeper, 0.7, -0.4)
compare_with_engine(cube, -1.3)
for _ in range(3):
    compare_with_engine(neuron_log_loss, *rng.normal(size=5))
    compare_with_engine(tangled, *rng.normal(size=3))

# repeated diamonds: 2**12 paths, gradient (0.5 + 0.25)**12
x = Node(0.3)
y = x
for _ in range(12):
    y = y * 0.5 + y * 0.25
backward(y)
assert close(x.grad, 0.75 ** 12), f"repeated diamonds: d y/dx should be 0.75 ** 12, got {x.grad}"

# deep chains, against the engine
def deep_tanh(x):
    for _ in range(5000):
        x = x.tanh()
    return x

def deep_fan_out(x):
    for _ in range(2000):
        x = x * 0.999 + x * x * 0.001
    return x

try:
    compare_with_engine(deep_tanh, 0.5)
    compare_with_engine(deep_fan_out, 0.8)
except RecursionError:
    raise AssertionError("RecursionError on a deep graph: the backward pass must not recurse") from None

# a leaf on its own
leaf = Node(4.0)
backward(leaf)
assert close(leaf.grad, 1.0)

# backward on an intermediate node, then on the root: nothing of the first call may remain
a, b, c = Node(0.5), Node(-2.0), Node(1.5)
mid = a * b
root = (mid + c) * mid
backward(mid)
backward(root)
values = [Value(0.5), Value(-2.0), Value(1.5)]
v_mid = values[0] * values[1]
v_root = (v_mid + values[2]) * v_mid
v_root.backward()
assert close([a.grad, b.grad, c.grad, mid.grad], [values[0].grad, values[1].grad, values[2].grad, v_mid.grad])
### END HIDDEN TESTS

# %% [markdown]
# ### Your engine, at work
#
# The payoff of section 1: with your `backward`, any new model needs only its forward pass. The
# cell below runs the sigmoid neuron of assignment 1 through your engine, then swaps the output
# for a log loss, with no new gradient code, and compares both with `course.Value`.

# %%
numbers = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}   # the lecture's

def neuron(w0, x0, w1, x1, w2):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()

def neuron_with_log_loss(w0, x0, w1, x1, w2):
    return -(neuron(w0, x0, w1, x1, w2).log())

for model in (neuron, neuron_with_log_loss):
    leaves = [Node(v, label=name) for name, v in numbers.items()]
    backward(model(*leaves))
    engine_leaves = [Value(v) for v in numbers.values()]
    model(*engine_leaves).backward()
    print(f"{model.__name__}:")
    for leaf, engine_leaf in zip(leaves, engine_leaves):
        print(f"  d/d{leaf.label}: yours {leaf.grad:+.6f}   course.Value {engine_leaf.grad:+.6f}")

# %% [markdown]
# ## What you learned
#
# - **Flat gradient code** is tied to one formula: a new loss means deriving and rewriting the
#   backward pass. A **modular** design gives each gate its own forward and local backward, and
#   lets one engine apply the chain rule to whatever graph the forward pass recorded.
# - A `Function` gate: `forward(ctx, ...)` computes the output and saves what the backward pass
#   needs with `ctx.save_for_backward` (the inputs, or the output when the rule is written with
#   it, as for tanh and sigmoid); `backward(ctx, grad)` returns one gradient per input, local ×
#   upstream, and can simply call a rule written once. This is exactly `torch.autograd.Function`.
# - A **bigger gate** can be better than the small ones it replaces: the sigmoid and the log
#   loss in one have a backward pass simpler than any of their parts, and a forward pass that
#   never overflows.
# - The engine's backward pass: a **topological order** (every node after its parents), walked
#   in **reverse**, from a **seed** of 1 at the root, with gradients **reset** first and
#   **accumulated** at fan-out (diamonds, shared values, `u * u`). Build the order
#   **iteratively** and visit each node once: recursion is as deep as the graph, and following
#   paths instead of nodes takes exponential time.
# - This engine **recomputes** on every `backward()`; PyTorch **adds** into the leaves' `.grad`,
#   which is why PyTorch code calls `zero_grad()` before each backward pass.
#
# Next come vectors and matrices, where the gradient of each input has that input's shape.
