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
# You will build both halves.
#
# **What you will learn**
# - why flat gradient code does not scale, and what a modular API fixes;
# - to define gates as `course.Function` classes with `forward(ctx, ...)` and
#   `backward(ctx, grad)`, saving what the backward pass needs with `ctx.save_for_backward`
#   (the API of `torch.autograd.Function`, so the skill carries over to PyTorch);
# - how the engine runs the backward pass of *any* graph: a **topological order** of the nodes,
#   visited in reverse, with gradients **accumulated** (`+=`) where a value fans out;
# - why that traversal must not be recursive.
#
# As in assignment 1: complete each function or class (replace `raise NotImplementedError()`),
# run the test cell after it, and remember that hidden tests run when your work is graded.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import numpy as np
import matplotlib.pyplot as plt

import course
from course import Context, Function, Tensor, Value
from course.gradcheck import check_grad, check_traversal, close, random_inputs
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, draw_graph


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
# Here is a complete gate for the natural log, $\ell = \ln x$, with local gradient $1/x$:

# %%
class Log(Function):
    """l = log(x), element by element."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)          # the backward pass needs the input
        return np.log(x)

    @staticmethod
    def backward(ctx, grad_out):          # grad_out = dL/dl, the upstream gradient
        (x,) = ctx.saved_tensors          # a tuple, even for one array
        return grad_out / x               # dL/dx = local gradient (1/x) * upstream


# %% [markdown]
# It works like any built-in operation. On a `Tensor` that requires a gradient, as in PyTorch:

# %%
x = Tensor(np.array([0.5, 2.0, 4.0]), requires_grad=True)
loss = (Log.apply(x) * x).sum()           # our gate, mixed with built-in gates
loss.backward()
print("engine with our Log gate:", x.grad)
print("by hand, d(x log x)/dx:  ", np.log(x.data) + 1)

# %% [markdown]
# And `check_grad(f, *inputs)` checks the gradients the engine computes for `f` against finite
# differences, with a random upstream gradient, exactly like `check_vjp` in assignment 1. It
# names the input and the elements that disagree. The tests below use it; `backprop(f, upstream,
# *inputs)` (defined above) gives you the engine's gradients for a chosen upstream gradient, if
# you want to look at numbers yourself.

# %%
check_grad(lambda x: Log.apply(x), np.array([0.5, 2.0, 4.0]))   # silent: the gate is right
output, (grad_x,) = backprop(lambda x: Log.apply(x), np.array([1.0, 1.0, -2.0]), np.array([0.5, 2.0, 4.0]))
print("log:", output, " dL/dx:", grad_x)


# %% [markdown]
# ### Exercise 1: `Multiply`
#
# **What to do.** Complete `Multiply`, the gate $z = x y$ (element by element).
#
# **Approach.** `forward` saves both inputs and returns the product. `backward` reads them back
# and returns `(dL/dx, dL/dy)`: the multiply gate swaps, so `dL/dx` uses `y`.
#
# **Example.** For `x = [1, 2]`, `y = [3, 4]` and upstream gradient `[1, -1]`, backward returns
# `([1 * 3, -1 * 4], [1 * 1, -1 * 2])`.
#
# **Hints.** `x, y = ctx.saved_tensors` unpacks what you saved, in the order saved.
# `return a, b` returns a tuple.

# %% nbgrader={"grade": false, "grade_id": "multiply-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Multiply(Function):
    """z = x * y, element by element."""

    @staticmethod
    def forward(ctx, x, y):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, y)
        return x * y
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_z):
        """Return (dL/dx, dL/dy) from the upstream gradient grad_z = dL/dz."""
        ### BEGIN SOLUTION
        x, y = ctx.saved_tensors
        return grad_z * y, grad_z * x
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-multiply-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x, y, upstream = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, -1.0])

# 1. The forward pass on plain arrays.
z = Multiply.apply(x, y)
assert close(z, x * y), f"Multiply.apply({x}, {y}) returned {z}, expected {x * y}"

# 2. The backward pass, run by the engine from a chosen upstream gradient.
_, (dx, dy) = backprop(lambda x, y: Multiply.apply(x, y), upstream, x, y)
assert close(dx, upstream * y) and close(dy, upstream * x), (
    f"with upstream {upstream}, backward should give dL/dx = {upstream * y} and dL/dy = "
    f"{upstream * x}, but gave {dx} and {dy}"
    + (": the multiply gate SWAPS, dL/dx uses y" if close(dx, upstream * x) else ""))

# 3. Finite differences, with a random upstream gradient.
check_grad(lambda x, y: Multiply.apply(x, y), *random_inputs((2, 3), (2, 3), seed=1))

# 4. The engine's built-in multiply gives the same gradients.
_, built_in = backprop(lambda x, y: x * y, upstream, x, y)
assert close(dx, built_in[0]) and close(dy, built_in[1])

# %% nbgrader={"grade": true, "grade_id": "test-multiply-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Multiply.apply(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (5,), (3, 4)]):
    x, y = random_inputs(shape, shape, seed=500 + seed)
    check_grad(lambda x, y: Multiply.apply(x, y), x, y, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, grads = backprop(lambda x, y: Multiply.apply(x, y), upstream, x, y)
    _, built_in = backprop(lambda x, y: x * y, upstream, x, y)
    assert close(out, x * y) and close(grads[0], built_in[0]) and close(grads[1], built_in[1])
# the same array on both inputs: the engine adds the two gradients, 2 * x * upstream
(x,) = random_inputs((4,), seed=510)
upstream = np.random.default_rng(510).normal(size=4)
_, (dx,) = backprop(lambda x: Multiply.apply(x, x), upstream, x)
assert close(dx, 2 * x * upstream)
# inside a bigger computation
assert check_grad(lambda x, y: (Multiply.apply(x, y) + x).sum(), *random_inputs((3,), (3,), seed=511))
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: `Add`
#
# **What to do.** Complete `Add`, the gate $z = x + y$.
#
# **Approach.** The add gate needs nothing from the forward pass: its local gradients are 1
# whatever the inputs were, so there is nothing to save. `backward` distributes: both inputs get
# the upstream gradient.
#
# **Example.** With upstream gradient `[1, -1]`, backward returns `([1, -1], [1, -1])`.
#
# **Hints.** Return *two* gradients, one per input, even though they are equal.

# %% nbgrader={"grade": false, "grade_id": "add-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Add(Function):
    """z = x + y, element by element."""

    @staticmethod
    def forward(ctx, x, y):
        ### BEGIN SOLUTION
        return x + y
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_z):
        """Return (dL/dx, dL/dy)."""
        ### BEGIN SOLUTION
        return grad_z, grad_z
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-add-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x, y, upstream = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, -1.0])
z = Add.apply(x, y)
assert close(z, x + y), f"Add.apply({x}, {y}) returned {z}, expected {x + y}"
_, (dx, dy) = backprop(lambda x, y: Add.apply(x, y), upstream, x, y)
assert close(dx, upstream) and close(dy, upstream), (
    f"with upstream {upstream}, both inputs should get {upstream}; got {dx} and {dy}")
assert check_grad(lambda x, y: Add.apply(x, y), *random_inputs((2, 3), (2, 3), seed=2))

# %% nbgrader={"grade": true, "grade_id": "test-add-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Add.apply(np.ones(3), np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (5,), (3, 4)]):
    x, y = random_inputs(shape, shape, seed=520 + seed)
    check_grad(lambda x, y: Add.apply(x, y), x, y, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, grads = backprop(lambda x, y: Add.apply(x, y), upstream, x, y)
    assert close(out, x + y) and close(grads[0], upstream) and close(grads[1], upstream)
(x,) = random_inputs((4,), seed=525)
upstream = np.random.default_rng(525).normal(size=4)
_, (dx,) = backprop(lambda x: Add.apply(x, x), upstream, x)
assert close(dx, 2 * upstream)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3: `Max`, the router
#
# **What to do.** Complete `Max`, the gate $z = \max(x, y)$ element by element.
#
# **Approach.** `forward` saves both inputs and returns `np.maximum(x, y)`. `backward` routes the
# upstream gradient to the larger input and gives the other 0; **on a tie, half each** (as in
# assignment 1, and as the engine's built-in `course.maximum`).
#
# **Example.** For `x = [3, -1, 2]`, `y = [0, 5, 2]` and upstream gradient `[2, 2, 2]`, backward
# returns `([2, 0, 1], [0, 2, 1])`.
#
# **Hints.** `np.where` builds the local gradient for all elements at once.

# %% nbgrader={"grade": false, "grade_id": "max-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Max(Function):
    """z = max(x, y), element by element; on a tie the gradient is split evenly."""

    @staticmethod
    def forward(ctx, x, y):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_z):
        """Return (dL/dx, dL/dy)."""
        ### BEGIN SOLUTION
        x, y = ctx.saved_tensors
        x_share = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))
        return x_share * grad_z, (1.0 - x_share) * grad_z
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-max-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x, y = np.array([3.0, -1.0, 2.0]), np.array([0.0, 5.0, 2.0])
upstream = np.array([2.0, 2.0, 2.0])
z = Max.apply(x, y)
assert close(z, np.maximum(x, y)), f"Max.apply({x}, {y}) returned {z}, expected {np.maximum(x, y)}"
_, (dx, dy) = backprop(lambda x, y: Max.apply(x, y), upstream, x, y)
assert close(dx, [2.0, 0.0, 1.0]) and close(dy, [0.0, 2.0, 1.0]), (
    f"backward gave dL/dx = {dx} and dL/dy = {dy}; expected [2. 0. 1.] and [0. 2. 1.]: all of "
    f"the gradient to the larger input, and half each on the tie (the last element)")
check_grad(lambda x, y: Max.apply(x, y), *random_inputs((2, 3), (2, 3), seed=3))
# the engine's built-in maximum agrees, tie included
_, built_in = backprop(course.maximum, upstream, x, y)
assert close(dx, built_in[0]) and close(dy, built_in[1])

# %% nbgrader={"grade": true, "grade_id": "test-max-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Max.apply(np.ones(3), np.zeros(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (3, 4)]):
    x, y = random_inputs(shape, shape, seed=530 + seed)
    check_grad(lambda x, y: Max.apply(x, y), x, y, seed=seed)
x = np.array([[1.0, 2.0, -3.0], [0.5, 4.0, -1.0]])
y = np.array([[1.0, 5.0, -3.0], [0.5, -2.0, -1.0]])
upstream = np.random.default_rng(535).normal(size=x.shape)
out, (dx, dy) = backprop(lambda x, y: Max.apply(x, y), upstream, x, y)
_, (bx, by) = backprop(course.maximum, upstream, x, y)
assert close(out, np.maximum(x, y)) and close(dx, bx) and close(dy, by), "ties must split the gradient evenly"
assert check_grad(lambda x, y: Max.apply(x, y), x, y, at_kinks="check")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4: `Sigmoid`, saving its output
#
# **What to do.** Complete `Sigmoid`, $s = \sigma(x)$.
#
# **Approach.** `forward` computes `s = sigmoid(x)` (the safe helper defined at the top),
# **saves `s`, its output**, and returns it. `backward` reads `s` back: the local gradient is
# $s(1 - s)$, times the upstream gradient. Saving the output means the backward pass needs no
# exponential at all: this is what PyTorch's sigmoid does.
#
# **Example.** If forward saved `s = 0.25` and the upstream gradient is `2.0`, backward returns
# `2.0 * 0.25 * (1 - 0.25)`.
#
# **Hints.** `s` *is* the sigmoid: in `backward`, do not apply `sigmoid` to it again
# ($\sigma(s)(1 - \sigma(s))$ is the slope at the wrong point). The test checks that `forward`
# saves the output.

# %% nbgrader={"grade": false, "grade_id": "sigmoid-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Sigmoid(Function):
    """s = sigmoid(x), element by element; saves its output s for the backward pass."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        s = sigmoid(x)
        ctx.save_for_backward(s)
        return s
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_s):
        """Return dL/dx."""
        ### BEGIN SOLUTION
        (s,) = ctx.saved_tensors
        return s * (1.0 - s) * grad_s
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([-2.0, 0.0, 1.5])
upstream = np.array([2.0, -1.0, 0.5])

# 1. Forward: the output, and it is saved for the backward pass.
ctx = Context()
s = Sigmoid.forward(ctx, x)
assert close(s, sigmoid(x)), f"Sigmoid.forward({x}) returned {s}, expected {sigmoid(x)}"
assert any(close(saved, sigmoid(x)) for saved in ctx.saved_tensors), (
    "Sigmoid.forward should save its OUTPUT with ctx.save_for_backward(s): the backward pass "
    "computes the local gradient s * (1 - s) from it")

# 2. Backward, run by the engine.
expected = upstream * sigmoid(x) * (1 - sigmoid(x))
_, (dx,) = backprop(lambda x: Sigmoid.apply(x), upstream, x)
wrong = upstream * sigmoid(sigmoid(x)) * (1 - sigmoid(sigmoid(x)))
assert close(dx, expected), (
    f"with upstream {upstream}, dL/dx should be {expected} but is {dx}"
    + (": you applied the sigmoid to the saved output again" if close(dx, wrong) else ""))

# 3. Finite differences, and the engine's built-in sigmoid.
check_grad(lambda x: Sigmoid.apply(x), *random_inputs((2, 3), seed=4))
_, (built_in,) = backprop(course.sigmoid, upstream, x)
assert close(dx, built_in)

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Sigmoid.apply(np.zeros(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (3, 4)]):
    (x,) = random_inputs(shape, seed=540 + seed)
    x = 3 * x
    check_grad(lambda x: Sigmoid.apply(x), x, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, (dx,) = backprop(lambda x: Sigmoid.apply(x), upstream, x)
    _, (built_in,) = backprop(course.sigmoid, upstream, x)
    assert close(out, sigmoid(x)) and close(dx, built_in)
assert check_grad(lambda x, y: Sigmoid.apply(x * y + x), *random_inputs((5,), (5,), seed=545))
### END HIDDEN TESTS

# %% [markdown]
# ### Your `Function`s in a graph
#
# The graph explorer accepts `Function` classes as rules too: here the neuron's multiply, add and
# sigmoid gates run your `Multiply`, `Add` and `Sigmoid` (forward and backward). Slide the inputs;
# an edge turns magenta wherever your class disagrees with the engine.

# %%
from course.widgets import GraphExplorer

GraphExplorer(rules={"multiply": Multiply, "add": Add, "sigmoid": Sigmoid})


# %% [markdown]
# ### Exercise 5: `Exp`
#
# **What to do.** Complete `Exp`, $e = e^x$.
#
# **Approach.** Like the sigmoid, the local gradient is a function of the output: it *is* the
# output. Save the output in `forward`; in `backward`, multiply it by the upstream gradient.
#
# **Example.** If forward saved `e = 2.0` and the upstream gradient is `3.0`, backward returns
# `3.0 * 2.0`.

# %% nbgrader={"grade": false, "grade_id": "exp-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Exp(Function):
    """e = exp(x), element by element."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        e = np.exp(x)
        ctx.save_for_backward(e)
        return e
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_e):
        """Return dL/dx."""
        ### BEGIN SOLUTION
        (e,) = ctx.saved_tensors
        return e * grad_e
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-exp-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([-1.0, 0.0, 0.5])
upstream = np.array([3.0, -1.0, 2.0])
e = Exp.apply(x)
assert close(e, np.exp(x)), f"Exp.apply({x}) returned {e}, expected {np.exp(x)}"
_, (dx,) = backprop(lambda x: Exp.apply(x), upstream, x)
assert close(dx, upstream * np.exp(x)), (
    f"with upstream {upstream}, dL/dx should be upstream * exp(x) = {upstream * np.exp(x)}, "
    f"but is {dx}")
assert check_grad(lambda x: Exp.apply(x), *random_inputs((2, 3), seed=5))

# %% nbgrader={"grade": true, "grade_id": "test-exp-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Exp.apply(np.zeros(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (3, 4)]):
    (x,) = random_inputs(shape, seed=550 + seed)
    check_grad(lambda x: Exp.apply(x), x, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, (dx,) = backprop(lambda x: Exp.apply(x), upstream, x)
    _, (built_in,) = backprop(course.exp, upstream, x)
    assert close(out, np.exp(x)) and close(dx, built_in)
assert check_grad(lambda x: Exp.apply(-x * x).sum(), *random_inputs((4,), seed=555))
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6: `Square`
#
# **What to do.** Complete `Square`, $q = x^2$.
#
# **Approach.** Local gradient $2x$: save the input.
#
# **Example.** For `x = 3.0` and upstream gradient `0.5`, backward returns `0.5 * 2 * 3.0`.

# %% nbgrader={"grade": false, "grade_id": "square-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Square(Function):
    """q = x ** 2, element by element."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        return x * x
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_q):
        """Return dL/dx."""
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return 2.0 * x * grad_q
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-square-function", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
x = np.array([3.0, -1.0, 0.5])
upstream = np.array([0.5, 2.0, -1.0])
q = Square.apply(x)
assert close(q, x ** 2), f"Square.apply({x}) returned {q}, expected {x ** 2}"
_, (dx,) = backprop(lambda x: Square.apply(x), upstream, x)
assert close(dx, upstream * 2 * x), (
    f"with upstream {upstream}, dL/dx should be upstream * 2 * x = {upstream * 2 * x}, but is {dx}")
assert check_grad(lambda x: Square.apply(x), *random_inputs((2, 3), seed=6))

# %% nbgrader={"grade": true, "grade_id": "test-square-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Square.apply(np.ones(3))) == (3,)
### BEGIN HIDDEN TESTS
for seed, shape in enumerate([(), (6,), (3, 4)]):
    (x,) = random_inputs(shape, seed=560 + seed)
    check_grad(lambda x: Square.apply(x), x, seed=seed)
    upstream = np.random.default_rng(seed).normal(size=shape)
    out, (dx,) = backprop(lambda x: Square.apply(x), upstream, x)
    _, (built_in,) = backprop(lambda x: x ** 2, upstream, x)
    assert close(out, x ** 2) and close(dx, built_in)
assert check_grad(lambda x, y: Square.apply(x - y).sum(), *random_inputs((4,), (4,), seed=565))
### END HIDDEN TESTS

# %% [markdown]
# Your gates compose with each other and with the built-in ones: the engine chains their
# `backward` methods. A squared error between a sigmoid neuron's output and a target, built only
# from your gates:

# %%
def neuron_squared_error(w, x, b, t):
    h = Sigmoid.apply(Add.apply(Multiply.apply(w, x), b))
    return Square.apply(h - t).sum()

w, x, b = np.array([0.5, -1.5]), np.array([2.0, 0.4]), np.array([0.3, 0.1])
t = np.array([1.0, 0.0])
grad_w, grad_b = course.grad(neuron_squared_error, argnums=(0, 2))(w, x, b, t)
print("dL/dw =", grad_w, " dL/db =", grad_b)
check_grad(lambda w, b: neuron_squared_error(w, x, b, t), w, b)   # silent: right

# %% [markdown]
# ## 3. The engine: how `.backward()` walks any graph
#
# The gates know their local rules. What does the engine do with them? Given the output node
# (the **root**), it must give every node its gradient $\partial\,\text{root}/\partial\,\text{node}$:
#
# 1. start with gradient 1 at the root (the **seed**);
# 2. visit the nodes from the root back towards the inputs and, at each node, send
#    *local gradient × upstream gradient* to each of its inputs (its **parents**);
# 3. when a value feeds several gates (**fan-out**, the copy gate of assignment 1), it receives
#    one contribution per use, and they must be **added**: `parent.grad += ...`, never `=`.
#
# The figure shows a graph with fan-out: $x = a b$ feeds both a multiply gate and an add gate,
# and the two paths meet again at the output (a "diamond"). Next to it, $x \cdot x$: one gate
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
draw_graph(out, ax=axes[0], title="A diamond: x = a * b (the first ×) feeds two gates")
draw_graph(square, ax=axes[1], title="u * u: one gate uses u twice")
plt.show()

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
# - **Accumulate.** With `x.grad = ...` the second contribution would overwrite the first.
#   With `u * u` it is the same: the gate has two inputs that happen to be the same node.
# - **Order.** $x$ may pass its gradient on to $a$ and $b$ only *after* both contributions have
#   arrived, that is, after every gate that uses $x$ has been visited. We need an order in which
#   every node comes **after all the nodes that use it**.
#
# An order in which every node comes after its parents (its inputs) is a **topological order**;
# read backwards, every node comes after all the nodes that use it. So the engine:
#
# 1. lists the graph's nodes in topological order (inputs first, root last),
# 2. sets every gradient to 0 and the root's to 1,
# 3. walks the list **backwards**, and at each node adds *local × upstream* into each parent.
#
# You will write both parts for this small node class. Each gate computes its local gradients in
# the forward pass (as `course.Value` does), so the backward pass only multiplies and adds:

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
# ### Exercise 7: `topological_order`
#
# **What to do.** Complete `topological_order(root)`: return a list of every node that `root`
# depends on (including `root` and the leaves), **each exactly once**, every node **after all of
# its parents**, so that `root` comes last.
#
# **Approach.** Depth-first search: a node is appended to the list once all of its parents have
# been appended. Written recursively, it is short:

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
# **Hints.**
# - Push `(node, parents_done)` pairs. Pop a pair: if `parents_done` is true, all of the node's
#   parents are already in the list, so append the node. Otherwise, if the node was not visited
#   yet, mark it visited, push `(node, True)` *back*, then push `(parent, False)` for each parent:
#   they are popped (and finished) before the node comes up again.
# - Keep the visited nodes in a `set` (nodes are hashable): without it, a node that fans out is
#   listed once per use, and a graph of repeated diamonds takes exponential time.
# - Example: for `x = a * b` and `root = x * x + a`, one valid order is
#   `[a, b, x, x * x, root]` (`a, b` may come in either order). The recursive version above
#   prints another valid one.

# %% nbgrader={"grade": false, "grade_id": "topological-order", "locked": false, "schema_version": 3, "solution": true, "task": false}
def topological_order(root):
    """Every node that `root` depends on (root and the leaves included), each exactly once,
    every node after all of its parents; `root` last. Iterative: works for any depth."""
    ### BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node.parents:
            if parent not in visited:
                stack.append((parent, False))
    return order
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


# %% nbgrader={"grade": true, "grade_id": "test-topological-order", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 1. The example: x = a * b used twice, and a used twice.
a, b = Node(2.0, label="a"), Node(-1.5, label="b")
x = a * b
root = x * x + a
order = topological_order(root)
check_topological_order(order, root)

# 2. A single leaf is its own order.
assert topological_order(a) == [a], "the order of a graph with one node is [that node]"

# 3. A chain of 5000 gates: too deep for recursion.
_, deep = deep_chain(5000)
try:
    order = topological_order(deep)
except RecursionError:
    raise AssertionError("RecursionError on a chain of 5000 gates: write topological_order "
                         "with an explicit stack instead of recursion (see the hints)") from None
check_topological_order(order, deep)
assert len(order) == 5001

# %% nbgrader={"grade": true, "grade_id": "test-topological-order-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(topological_order(Node(1.0) * 2.0)) == 3
### BEGIN HIDDEN TESTS
# first a small diamond: a node used by two gates is listed once
a = Node(1.5, label="a")
small = (a * 2.0) * (a + 1.0)
check_topological_order(topological_order(small), small)
rng = np.random.default_rng(700)
# random graphs with lots of fan-out
for trial in range(5):
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
_, deep = deep_chain(10000)
check_topological_order(topological_order(deep), deep)
x = Node(0.1, label="x")
y = x
for _ in range(3000):
    y = y * y.sigmoid()
assert check_topological_order(topological_order(y), y)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 8: `backward`
#
# **What to do.** Complete `backward(root)`: afterwards, every node of root's graph holds
# `node.grad` $= \partial\,\text{root}/\partial\,\text{node}$ (and `root.grad == 1`).
#
# **Approach.** Four steps:
# 1. list the nodes with your `topological_order`;
# 2. **reset**: set every listed node's gradient to 0, so that nothing of an earlier backward
#    pass leaks into this one (calling `backward` twice gives the same gradients, as with
#    `course.Value`);
# 3. **seed**: the root's gradient is 1;
# 4. walk the list **backwards**; at each node, for each parent, **add** local gradient × this
#    node's gradient into the parent's gradient.
#
# **Example.** For `x = a * b`, `out = (c * x) * (x + d)` with the numbers of the diamond figure
# above, your `backward(out)` must give `a`, `b`, `c`, `d` and `x` the gradients drawn there.
#
# **Hints.** `zip(node.parents, node.local_grads)` pairs each parent with its local gradient;
# `reversed(order)` walks a list backwards. Each of the four steps matters, and the tests check
# each: `=` instead of `+=` loses contributions at fan-out; walking the list forwards passes
# gradients on before they are complete; without the reset a second call adds onto the first;
# without the seed everything stays 0.

# %% nbgrader={"grade": false, "grade_id": "backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def backward(root):
    """Set node.grad = d root / d node on every node of root's graph (root.grad = 1).

    Gradients are recomputed from zero on each call."""
    ### BEGIN SOLUTION
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
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


# %% nbgrader={"grade": true, "grade_id": "test-backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def chain(a, b, c):
    return (a * b + c).tanh()

def diamond(a, b, c, d):           # the figure above: x = a * b fans out
    x = a * b
    return (c * x) * (x + d)

def square(u):                     # one gate uses u twice
    return u * u

compare_with_engine(chain, 0.5, -1.2, 0.3)
compare_with_engine(diamond, 2.0, -1.5, 0.5, 1.0)
compare_with_engine(square, 1.5)

# Calling backward twice gives the same gradients (they are recomputed from zero).
a, b, c, d = (Node(v) for v in (2.0, -1.5, 0.5, 1.0))
out = diamond(a, b, c, d)
backward(out)
first = [a.grad, b.grad, c.grad, d.grad]
backward(out)
assert close([a.grad, b.grad, c.grad, d.grad], first), (
    f"a second backward(out) changed the gradients from {first} to {[a.grad, b.grad, c.grad, d.grad]}: "
    f"set every node's grad to 0 before seeding the root")

# %% nbgrader={"grade": true, "grade_id": "test-backward-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
leaf = Node(3.0)
backward(leaf * 2.0)
assert close(leaf.grad, 2.0)
### BEGIN HIDDEN TESTS
def shared(a, b):                  # a used three times, by different gates
    return (a * b + a).sigmoid() * a

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

rng = np.random.default_rng(800)
compare_with_engine(shared, 0.7, -0.4)
compare_with_engine(cube, -1.3)
for trial in range(3):
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

compare_with_engine(deep_tanh, 0.5)
compare_with_engine(deep_fan_out, 0.8)

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
numbers = {"w0": 0.5, "x0": 2.0, "w1": -1.5, "x1": 0.4, "w2": 0.3}

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
#   needs with `ctx.save_for_backward` (the inputs, or the output when that is cheaper, as for
#   sigmoid and exp); `backward(ctx, grad)` returns one gradient per input, local × upstream.
#   This is exactly `torch.autograd.Function`.
# - The engine's backward pass: a **topological order** (every node after its parents), walked
#   in **reverse**, from a **seed** of 1 at the root, with gradients **reset** first and
#   **accumulated** (`+=`) at fan-out (diamonds, shared values, `x * x`).
# - Build the order **iteratively**: recursion is as deep as the graph and Python stops at about
#   a thousand nested calls.
#
# `course.Value.backward` (in `course/value.py`) is the same algorithm you just wrote: open it
# and compare. Next come vectors and matrices, where the gradient of each input has that input's
# shape.
