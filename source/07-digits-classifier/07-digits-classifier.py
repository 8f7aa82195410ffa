# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · A real image classifier, trained with backprop you wrote
#
# The earlier assignments took backprop apart, gate by gate. This one puts it to work: you build
# the layers of a modern classifier as forward/backward pairs on batches, a small module system
# and two optimizers around them, and a training loop; then you train a multi-layer perceptron
# and a small convolutional network on real handwritten digits, and debug them the way
# practitioners do. Everything that learns is your code.
#
# **65 points** in 15 exercises: the layers 40, the module system and optimizers 11, training and
# debugging 14 (the hidden tests retrain your networks and score them on the test set).
#
# **What you will learn**
# - layers as `Function`s on batches: how to initialise a weight matrix, dropout (train vs. eval),
#   batch normalisation (its backward twice: step by step through its graph, then in a compact
#   form you derive);
# - convolution and max-pooling forward and backward, with loops first, then vectorised (im2col
#   turns a convolution into the matrix product of notebook 04), and what that buys;
# - a module system (parameters, gradients that add up, `zero_grad`), SGD with momentum, Adam;
# - a training loop with minibatches, a validation set that picks the best epoch, and a test set
#   looked at once;
# - debugging a network: overfit a tiny batch, check the whole model's gradient, watch the
#   update-to-weight ratio and the gradient of every layer as training runs.
#
# Run the cells in order. Each exercise has a visible test right after it; hidden tests check more
# cases (and retrain your networks) when your work is graded. In the figures, forward values are
# blue and gradients orange.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import copy
import time

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display

import course
from course import Context, Function
from course.blas_threads import single_thread
from course.data import digits_split
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR, series_alt, show
from course.gradcheck import check_grad, check_vjp, close, random_inputs, rel_error
from course.timing import best_time
from course.training_figures import digits_alt, history_alt, plot_history, show_digits
from course.widgets.training import TrainingMonitor

single_thread()     # small matrices: one BLAS thread is faster than several (course/blas_threads.py)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The data: 1,797 handwritten digits
#
# scikit-learn ships a small data set of handwritten digits inside its package (so nothing
# downloads): grey 8 x 8 images of the digits 0 to 9, written by 43 people and scanned at the
# University of California, Irvine. The course uses scikit-learn for this data only.
# `course.data.digits_split()` scales the pixels to $[0, 1]$ and splits the images **once**, with a
# fixed seed: a random permutation (seed 0) whose first 300 images are the **test set**, the next
# 300 the **validation set**, and the remaining ones the **training set**.
#
# - The **training set** is what the gradients see.
# - The **validation set** is for choices: which epoch to keep, which learning rate, which
#   architecture. Each choice fits the validation set a little, so its accuracy flatters.
# - The **test set** is looked at **once**, at the very end, for the number you report. Looking at
#   it earlier would make it a second validation set.
#
# Images are arrays of shape `(N, 1, 8, 8)`: N images, 1 channel (grey), 8 rows, 8 columns, the
# layout of PyTorch (`N, C, H, W`). Labels are integers `(N,)`.

# %% nbgrader={"grade": false, "grade_id": "load-data", "locked": true, "schema_version": 3, "solution": false, "task": false}
data = digits_split()
print("images per set:", data.sizes(), "| one batch of images:", data.X_train[:32].shape)
print("examples per digit in the training set:", np.bincount(data.y_train, minlength=10))
title = "the first 20 training images"
show(show_digits(data.X_train[:20], data.y_train[:20], title=title),
     alt=digits_alt(data.y_train[:20], title=title))

# %% [markdown]
# ## 2. Layers as `Function`s on batches
#
# A layer here is a `course.Function`, exactly as in notebook 02: `forward(ctx, x, ...)` computes
# the output **for a whole batch** and saves what the backward pass needs with
# `ctx.save_for_backward`; `backward(ctx, grad)` receives $\partial L/\partial(\text{output})$ (the
# output's shape) and returns one gradient per input of `forward`, each of that input's shape, and
# `None` for the inputs that are options (a flag, a padding, a random generator), as PyTorch's
# `torch.autograd.Function` does.
#
# Why `Function`s, and not layer objects that keep their own caches (CS231n's style)? Because a
# `Function` is only the mathematics: it holds no state, so it can be checked on its own, by
# `check_grad`, through the course's engine (`Function.apply`, as in 02). The state (parameters,
# their gradients, training or evaluation mode, running statistics, random generators) lives in
# the **modules** of section 6, which call the Functions. PyTorch splits the work the same way
# (`torch.autograd.Function` and `torch.nn.functional` for the mathematics, `torch.nn.Module` for
# the state).
#
# Two layers you wrote in notebook 04, as `Function`s on batches, for reference: a linear layer
# $y = xW + b$ ($x$: `(N, D)`, $W$: `(D, M)`, $b$: `(M,)`) and ReLU; and the loss, softmax
# cross-entropy, averaged over the batch.

# %% nbgrader={"grade": false, "grade_id": "given-layers", "locked": true, "schema_version": 3, "solution": false, "task": false}
class LinearFunction(Function):
    """y = x @ W + b. x: (N, D), W: (D, M), b: (M,) -> y: (N, M)."""

    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W + b

    @staticmethod
    def backward(ctx, grad_y):
        x, W = ctx.saved_tensors
        return grad_y @ W.T, x.T @ grad_y, grad_y.sum(axis=0)


class ReLUFunction(Function):
    """y = max(x, 0), element by element, any shape. It saves where x > 0 (a boolean array)."""

    @staticmethod
    def forward(ctx, x):
        positive = x > 0
        ctx.save_for_backward(positive)
        return np.where(positive, x, 0.0)

    @staticmethod
    def backward(ctx, grad_y):
        (positive,) = ctx.saved_tensors
        return np.where(positive, grad_y, 0.0)


def softmax_cross_entropy(logits, labels):
    """(loss, dL/dlogits): the mean over the batch of -log softmax(logits)[label].
    logits: (N, C); labels: (N,) integers in 0..C-1."""
    n = len(labels)
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    loss = float(-log_probs[np.arange(n), labels].mean())
    d_logits = np.exp(log_probs)
    d_logits[np.arange(n), labels] -= 1.0
    return loss, d_logits / n


x, W, b = random_inputs((4, 3), (3, 2), (2,), seed=0)
print("the engine agrees with LinearFunction:", check_grad(lambda x, W, b: LinearFunction.apply(x, W, b), x, W, b))

# %% [markdown]
# ### How big should the initial weights be?
#
# Before training, the weights are random. Their **scale** matters more than it seems: a deep
# network multiplies the signal by one weight matrix per layer, so weights slightly too small make
# the activations (and the gradients, on the way back) shrink geometrically with depth, and weights
# slightly too large make them explode.
#
# Take one output of a linear layer without activation, $y_j = \sum_{i=1}^{n} x_i W_{ij}$, with
# $n$ = fan-in inputs that are independent, of mean 0 and variance $v_x$, and weights drawn
# independently with mean 0 and variance $v_W$. A sum of independent terms has the sum of their
# variances, and $\operatorname{Var}(x_i W_{ij}) = v_x v_W$, so
#
# $$\operatorname{Var}(y_j) = n \, v_W \, v_x .$$
#
# The variance is kept from layer to layer when $v_W = 1/n$: weights of standard deviation
# $1/\sqrt{\text{fan-in}}$ (LeCun's initialisation; Glorot and Bengio's "Xavier" initialisation
# averages fan-in and fan-out, to keep the gradients' variance too). The cell below shows what
# that choice does to a stack of 20 linear layers **without** an activation, and with ReLU.

# %% nbgrader={"grade": false, "grade_id": "depth-demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
def mean_squares_through(init, activation, depth=20, width=256, seed=0):
    """The mean square of the activations after each of `depth` layers of y = activation(x W),
    for a batch of 500 standard-normal inputs; init(fan_in, fan_out, rng) -> W."""
    generator = np.random.default_rng(seed)
    h = generator.standard_normal((500, width))
    found = []
    for _ in range(depth):
        h = activation(h @ init(width, width, generator))
        found.append(float(np.mean(h ** 2)))
    return found


def lecun(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


identity = lambda h: h
relu = lambda h: np.maximum(h, 0.0)
curves = {"std 1/sqrt(fan-in), no activation": mean_squares_through(lecun, identity),
          "std 1/sqrt(fan-in), ReLU after each layer": mean_squares_through(lecun, relu)}
fig, ax = plt.subplots(figsize=(6.5, 3))
for (label, found), color in zip(curves.items(), (FORWARD_COLOR, MISMATCH_COLOR)):
    ax.semilogy(range(1, 21), found, color=color, marker=".", label=label)
ax.set_xlabel("layer")
ax.set_ylabel("mean square of the activations")
ax.legend(fontsize=8, frameon=False)
show(fig, alt="The mean square of the activations (log scale) against the layer, 1 to 20, for "
     "a batch through 20 layers of width 256: "
     + series_alt(range(1, 21), curves, x_fmt="layer {:g}") + ".")

# %% [markdown]
# ### Exercise 1: initialise a linear layer for ReLU networks
#
# **What to do.** Complete `init_linear(fan_in, fan_out, rng)`: it returns `(W, b)`, a weight
# matrix `(fan_in, fan_out)` drawn from a zero-mean normal distribution with `rng` (a
# `np.random.Generator`), and a bias `(fan_out,)` of zeros. Choose the standard deviation so that
# a deep stack of `Linear` + `ReLU` layers keeps the mean square of its activations (the red curve
# above falls with depth: find the factor it loses per layer, and make up for it). Every layer of
# this notebook, convolutions included, is initialised with your function.
#
# **Example.** Through 20 layers of width 256 with ReLU, the mean square of the activations stays
# within a factor of 2 of where it started.
#
# <details><summary>Hint 1</summary>The derivation above assumed inputs of mean 0. What does ReLU
# do to the mean square of a zero-mean, symmetric input?</details>
# <details><summary>Hint 2</summary>If each layer's output keeps only half of the mean square of
# its input, by how much must the variance of the weights grow to give it back? (He et al., 2015,
# "Delving deep into rectifiers".)</details>

# %% nbgrader={"grade": false, "grade_id": "init-linear", "locked": false, "schema_version": 3, "solution": true, "task": false}
def init_linear(fan_in, fan_out, rng):
    """(W, b) of a linear layer y = x @ W + b for a ReLU network: W (fan_in, fan_out) zero-mean
    normal, drawn with rng; b (fan_out,) zeros."""
    ### BEGIN SOLUTION
    W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
    return W, np.zeros(fan_out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-init-linear", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
W, b = init_linear(64, 10, np.random.default_rng(0))
assert np.shape(W) == (64, 10) and np.shape(b) == (10,), (
    f"init_linear(64, 10, rng) must return W of shape (64, 10) and b of shape (10,), not "
    f"{np.shape(W)} and {np.shape(b)}")
assert np.all(b == 0), "the bias starts at zero"
W2, _ = init_linear(64, 10, np.random.default_rng(1))
assert not np.allclose(W, W2), "draw W with the generator you are given: another seed, another W"
profile = mean_squares_through(lambda n, m, rng: init_linear(n, m, rng)[0], relu)
print("mean square after layers 1, 5, 10, 20:", [round(profile[k], 3) for k in (0, 4, 9, 19)])
assert 0.5 < profile[-1] < 2.0, (
    f"after 20 Linear + ReLU layers the mean square of the activations is {profile[-1]:.3g} (it "
    f"started at 1): it " + ("vanishes: the weights are too small" if profile[-1] < 0.5 else
                             "explodes: the weights are too large"))

# %% nbgrader={"grade": true, "grade_id": "test-init-linear-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(init_linear(3, 2, np.random.default_rng(0))[0]) == (3, 2)
### BEGIN HIDDEN TESTS
for fan_in, fan_out in [(1000, 20), (20, 1000), (300, 300)]:
    W, b = init_linear(fan_in, fan_out, np.random.default_rng(fan_in))
    assert W.shape == (fan_in, fan_out) and b.shape == (fan_out,) and np.all(b == 0)
    assert abs(W.mean()) < 0.1 * W.std()
    assert abs(W.std() / np.sqrt(2.0 / fan_in) - 1) < 0.1, "std sqrt(2 / fan_in)"
narrow = mean_squares_through(lambda n, m, rng: init_linear(n, m, rng)[0], relu, width=64, seed=3)
assert 0.4 < narrow[-1] < 2.5
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Dropout: noise in training, nothing at test time
#
# Dropout (Srivastava et al., 2014) sets each activation to zero with probability $p$ during
# training, independently for every element and every batch. A unit cannot rely on any one other
# unit being there, which keeps a network from memorising its training set.
#
# At test time nothing is dropped. But then every unit receives more input than it did during
# training: with $p = 0.5$ about twice as much. The classic fix scaled the weights at test time;
# today's **inverted dropout** scales in training instead, so that the **expected** output of the
# layer equals its input, and at test time the layer is the identity. Which factor does that take?
# Each element survives with probability $1 - p$.
#
# Backward: the output is the input times a fixed (random, but fixed once drawn) factor per
# element. So the backward pass needs **the same mask** the forward pass drew: save it. Drawing a
# new one in `backward` gives the gradient of a different function.
#
# The random numbers come from a generator the layer is given (`rng.random(shape)`: uniform in
# $[0, 1)$), never from `np.random`'s global state: then a seed makes a training run repeatable.

# %% [markdown]
# ### Exercise 2: `DropoutFunction`
#
# **What to do.** Complete `DropoutFunction.forward(ctx, x, p, training, rng)`, inverted dropout
# of any shape: in training (`training=True`), each element is zeroed with probability `p`
# (drawn with `rng`) and the others are scaled so that the expected output equals `x`; in
# evaluation (`training=False`) and for `p = 0`, the output is `x` itself. And `backward(ctx,
# grad)`, which returns `(dL/dx, None, None, None)`.
#
# **Example.** With `p = 0.25` in training, about a quarter of a large array's elements are 0,
# and every other element of the output is `x` times the same number, larger than 1.
#
# <details><summary>Hint 1</summary>An element survives with probability 1 - p and is then
# multiplied by some factor c. What is its expected value? For which c is that x?</details>
# <details><summary>Hint 2</summary>Which array does backward need? Save it in forward: it has the
# shape of x. And what does backward return in evaluation mode, where forward was the
# identity?</details>

# %% nbgrader={"grade": false, "grade_id": "dropout-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class DropoutFunction(Function):
    """Inverted dropout with drop probability p (0 <= p < 1); the identity when not training."""

    @staticmethod
    def forward(ctx, x, p, training, rng):
        ### BEGIN SOLUTION
        if not training or p == 0:
            ctx.save_for_backward(None)
            return x
        scaled_mask = (rng.random(x.shape) >= p) / (1.0 - p)
        ctx.save_for_backward(scaled_mask)
        return x * scaled_mask
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, None, None, None)."""
        ### BEGIN SOLUTION
        (scaled_mask,) = ctx.saved_tensors
        dx = grad if scaled_mask is None else grad * scaled_mask
        return dx, None, None, None
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "test-helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Small tools the tests use (you may use them too).

def run_function(function, upstream, *inputs):
    """Run function.forward on a fresh Context, then function.backward from `upstream`.
    Returns (output, the tuple backward returned)."""
    ctx = Context()
    out = function.forward(ctx, *inputs)
    grads = function.backward(ctx, np.asarray(upstream, dtype=np.float64))
    return out, grads if isinstance(grads, tuple) else (grads,)


def rng_of(seed):
    return np.random.default_rng(seed)


# %% nbgrader={"grade": true, "grade_id": "test-dropout-function", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
x = random_inputs((200, 50), seed=1, away_from=0.0)[0]
p = 0.25

# 1. evaluation: the identity
out = DropoutFunction.forward(Context(), x, p, False, rng_of(0))
assert close(out, x), ("in evaluation mode dropout is the identity: "
                       + ("you scaled the output at evaluation time too" if close(out / x, (out / x).flat[0]) else
                          "the output must be x itself"))

# 2. training: about p of the elements are zero, the others x times one factor that keeps the mean
out = DropoutFunction.forward(Context(), x, p, True, rng_of(0))
dropped = float(np.mean(out == 0))
assert abs(dropped - p) < 0.02, (
    f"with p = {p}, {dropped:.1%} of the elements were zeroed: p is the probability to DROP"
    + (" (you kept with probability p)" if abs(dropped - (1 - p)) < 0.02 else ""))
factor = (out / x)[out != 0]
assert np.allclose(factor, factor[0]), "every surviving element must be scaled by the same factor"
assert close(factor[0], 1 / (1 - p)), (
    f"survivors are scaled by {factor[0]:.4g}: with that factor the expected output is "
    f"{(1 - p) * factor[0]:.4g} x, not x (inverted dropout)")
assert close(out, DropoutFunction.forward(Context(), x, p, True, rng_of(0))), (
    "the same seed must give the same mask: draw it with rng, not np.random")

# 3. backward: the gradient goes through the same mask, with the same factor
upstream = random_inputs((200, 50), seed=2)[0]
out, (dx, *rest) = run_function(DropoutFunction, upstream, x, p, True, rng_of(3))
assert rest == [None, None, None], "backward returns (dL/dx, None, None, None)"
assert close(dx, upstream * out / x), (
    "dL/dx must be upstream times the factor each element got in forward (0 where it was "
    "dropped): " + ("did backward draw a new mask? Save the one forward drew"
                    if not np.array_equal(dx == 0, out == 0) else "check the scaling"))
_, (dx_eval, *_) = run_function(DropoutFunction, upstream, x, p, False, rng_of(3))
assert close(dx_eval, upstream), "in evaluation mode, the gradient passes unchanged"

# 4. finite differences (a fresh generator with the same seed each call: the same mask)
assert check_grad(lambda x: DropoutFunction.apply(x, 0.5, True, rng_of(4)), *random_inputs((3, 4), seed=5))

# %% nbgrader={"grade": true, "grade_id": "test-dropout-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(DropoutFunction.forward(Context(), np.ones((2, 3)), 0.5, True, rng_of(0))) == (2, 3)
### BEGIN HIDDEN TESTS
x = random_inputs((4, 3, 8, 8), seed=40)[0]
assert close(DropoutFunction.forward(Context(), x, 0.0, True, rng_of(1)), x)
for p in (0.1, 0.5, 0.9):
    big = np.abs(random_inputs((400, 100), seed=41)[0]) + 0.5
    out = DropoutFunction.forward(Context(), big, p, True, rng_of(2))
    assert abs(np.mean(out == 0) - p) < 0.02
    assert close(out[out != 0], big[out != 0] / (1 - p))
    assert abs(out.mean() / big.mean() - 1) < 0.05
for seed, shape in enumerate([(5,), (4, 3, 2, 2)]):
    (x,) = random_inputs(shape, seed=50 + seed)
    check_grad(lambda x: DropoutFunction.apply(x, 0.3, True, rng_of(seed)), x, seed=seed)
    check_grad(lambda x: DropoutFunction.apply(x, 0.3, False, rng_of(seed)), x, seed=seed)
a = DropoutFunction.forward(Context(), np.ones((50, 50)), 0.5, True, rng_of(7))
b = DropoutFunction.forward(Context(), np.ones((50, 50)), 0.5, True, rng_of(8))
assert not np.array_equal(a, b)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Batch normalisation
#
# A deep network trains faster when the inputs of each layer keep a steady distribution.
# **Batch normalisation** (Ioffe and Szegedy, 2015) standardises each feature over the batch, then
# lets the network rescale it with two learned parameters per feature, $\gamma$ (scale) and $\beta$
# (shift). For a batch $x$ of shape `(N, D)`, feature by feature (the statistics are over axis 0):
#
# $$\mu = \frac{1}{N}\sum_n x_n, \qquad \sigma^2 = \frac{1}{N}\sum_n (x_n - \mu)^2, \qquad
# \hat x_n = \frac{x_n - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y_n = \gamma \hat x_n + \beta .$$
#
# In **training**, $\mu$ and $\sigma^2$ are the batch's. Each example's output then depends on
# every other example of the batch, through $\mu$ and $\sigma^2$: that is what makes the backward
# pass interesting. In **evaluation**, a prediction must not depend on what else is in the batch,
# so the layer uses **running statistics** instead, averages kept during training:
# $\text{running} \leftarrow (1 - m)\,\text{running} + m \cdot \text{batch statistic}$, with
# momentum $m = 0.1$ (PyTorch's convention and default; running statistics start at mean 0 and
# variance 1). In evaluation the layer is a fixed affine map of each feature.
#
# Here is the training-mode forward pass written as a graph of small steps, the way the engine
# would record it. Notice the **fan-out**: `x` is used by the mean and by the centring; `xc` by the
# variance and by the normalisation; every step over axis 0 couples the examples of the batch.

# %% nbgrader={"grade": false, "grade_id": "batchnorm-constants", "locked": true, "schema_version": 3, "solution": false, "task": false}
BN_EPS = 1e-5        # added to the variance, as in PyTorch
BN_MOMENTUM = 0.1    # running <- (1 - BN_MOMENTUM) * running + BN_MOMENTUM * batch statistic

# %% [markdown]
# ### Exercise 3: BatchNorm's backward pass, step by step
#
# **What to do.** `BatchNormStepwise.forward` below is given: training mode only, eight steps,
# each saved. Complete `backward(ctx, grad_out)`: walk the steps **in reverse**, one local rule per
# step, and return `(dL/dx, dL/dgamma, dL/dbeta)`, of shapes `(N, D)`, `(D,)`, `(D,)`.
#
# **Approach.** Each step is a gate of the earlier notebooks: an element-wise operation, or a
# broadcast (a `(D,)` array used for every row), or a sum over the batch. Give each intermediate
# its gradient (`d_xhat`, `d_inv`, ...). Where a value fans out, its gradient is the **sum** of what
# comes back along each use (notebook 02), and the gradient of a broadcast input is summed over
# the axis it was broadcast along (notebooks 03 and 04).
#
# **Example.** For `x = [[1.0], [3.0]]`, `gamma = [2.0]`, `beta = [0.0]` and an upstream gradient
# `[[1.0], [1.0]]`, the output is about `[[-2], [2]]`, `dL/dbeta = [2]`, and `dL/dx` is about
# `[[0], [0]]`: shifting both examples together changes nothing after normalisation.
#
# <details><summary>Hint 1</summary>Start at the end: which steps use <code>xhat</code>, and
# which use <code>inv</code>? Which of them are broadcasts?</details>
# <details><summary>Hint 2</summary><code>xc</code> is used twice (steps 3 and 7), and
# <code>x</code> twice (steps 1 and 2). Compute a gradient for each use, then add them. A sum over
# axis 0 divided by N, in the forward pass, spreads back over the N rows.</details>

# %% nbgrader={"grade": false, "grade_id": "batchnorm-stepwise", "locked": false, "schema_version": 3, "solution": true, "task": false}
class BatchNormStepwise(Function):
    """Training-mode batch normalisation of x (N, D), feature by feature, as eight saved steps."""

    @staticmethod
    def forward(ctx, x, gamma, beta):
        n = x.shape[0]
        mu = x.sum(axis=0) / n              # 1. batch mean (D,)
        xc = x - mu                         # 2. centred (N, D): mu broadcast over the rows
        sq = xc ** 2                        # 3. (N, D)
        var = sq.sum(axis=0) / n            # 4. batch variance (D,)
        std = np.sqrt(var + BN_EPS)         # 5. (D,)
        inv = 1.0 / std                     # 6. (D,)
        xhat = xc * inv                     # 7. normalised (N, D): inv broadcast over the rows
        out = gamma * xhat + beta           # 8. (N, D)
        ctx.save_for_backward(xc, std, inv, xhat, gamma)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        """(dL/dx, dL/dgamma, dL/dbeta), one local rule per step, in reverse."""
        xc, std, inv, xhat, gamma = ctx.saved_tensors
        n = xc.shape[0]
        ### BEGIN SOLUTION
        d_beta = grad_out.sum(axis=0)                     # 8.
        d_gamma = (grad_out * xhat).sum(axis=0)           # 8.
        d_xhat = grad_out * gamma                         # 8.
        d_xc = d_xhat * inv                               # 7. (first use of xc)
        d_inv = (d_xhat * xc).sum(axis=0)                 # 7. inv was broadcast
        d_std = -d_inv / std ** 2                         # 6.
        d_var = d_std * 0.5 / std                         # 5.
        d_sq = np.broadcast_to(d_var / n, xc.shape)       # 4.
        d_xc = d_xc + 2 * xc * d_sq                       # 3. (second use of xc: add)
        d_mu = -d_xc.sum(axis=0)                          # 2. mu was broadcast
        d_x = d_xc + d_mu / n                             # 2. and 1. (x used twice: add)
        return d_x, d_gamma, d_beta
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "batchnorm-reference", "locked": true, "schema_version": 3, "solution": false, "task": false}
# What the tests compare BatchNorm's gradients with (you may call it yourself): the engine's
# gradients of the same formula, optionally with the mean or the variance held constant, that is
# without its path in the backward pass.

def batchnorm_engine_grads(x, gamma, beta, upstream, through_mean=True, through_var=True):
    """(dL/dx, dL/dgamma, dL/dbeta) by the engine (course.vjp) for training-mode batch norm."""
    constant_mu, constant_var = x.mean(axis=0), x.var(axis=0)

    def batchnorm(x, gamma, beta):
        mu = x.mean(axis=0) if through_mean else constant_mu
        var = ((x - mu) ** 2).mean(axis=0) if through_var else constant_var
        return gamma * (x - mu) / (var + BN_EPS) ** 0.5 + beta

    _, vjp_fn = course.vjp(batchnorm, x, gamma, beta)
    return vjp_fn(upstream)


def explain_batchnorm_dx(dx, x, gamma, beta, upstream):
    """A sentence for a wrong dL/dx of training-mode batch norm: which path is missing."""
    for mean, var, missing in ((False, False, "both the mean and the variance paths"),
                               (True, False, "the variance path (sigma^2 depends on x too)"),
                               (False, True, "the mean path (mu depends on x too)")):
        if close(dx, batchnorm_engine_grads(x, gamma, beta, upstream, mean, var)[0], 1e-6):
            return f"your dL/dx is what you get without {missing}"
    return "compare each step's gradient with its local rule"


# %% nbgrader={"grade": true, "grade_id": "test-batchnorm-stepwise", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# 1. The example.
out, (dx, dgamma, dbeta) = run_function(BatchNormStepwise, np.ones((2, 1)), np.array([[1.0], [3.0]]),
                                        np.array([2.0]), np.array([0.0]))
assert close(dbeta, [2.0]) and close(dgamma, (out / 2.0).sum(axis=0)), "dL/dgamma and dL/dbeta"
assert np.allclose(dx, 0.0, atol=1e-6), f"a shift of the whole batch changes nothing: dL/dx = {dx.ravel()}"

# 2. Random batches: the engine's gradients of the same formula, and finite differences.
x, gamma, beta, upstream = random_inputs((6, 4), (4,), (4,), (6, 4), seed=10)
_, (dx, dgamma, dbeta) = run_function(BatchNormStepwise, upstream, x, gamma, beta)
engine_dx, engine_dgamma, engine_dbeta = batchnorm_engine_grads(x, gamma, beta, upstream)
assert close(dgamma, engine_dgamma, 1e-6) and close(dbeta, engine_dbeta, 1e-6), "dL/dgamma or dL/dbeta"
assert close(dx, engine_dx, 1e-6), "dL/dx is wrong: " + explain_batchnorm_dx(dx, x, gamma, beta, upstream)
assert check_grad(lambda x, gamma, beta: BatchNormStepwise.apply(x, gamma, beta), x, gamma, beta)

# %% nbgrader={"grade": true, "grade_id": "test-batchnorm-stepwise-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(run_function(BatchNormStepwise, np.ones((3, 2)), np.eye(3, 2), np.ones(2), np.ones(2))[1][0]) == (3, 2)
### BEGIN HIDDEN TESTS
for seed, (n, d) in enumerate([(2, 1), (5, 3), (32, 7)]):
    x, gamma, beta, upstream = random_inputs((n, d), (d,), (d,), (n, d), seed=60 + seed)
    x = 3.0 * x + 2.0
    _, grads = run_function(BatchNormStepwise, upstream, x, gamma, beta)
    for mine, engine in zip(grads, batchnorm_engine_grads(x, gamma, beta, upstream)):
        assert close(mine, engine, 1e-6)
    check_grad(lambda x, gamma, beta: BatchNormStepwise.apply(x, gamma, beta), x, gamma, beta, seed=seed)
assert len(grads) == 3
### END HIDDEN TESTS

# %% [markdown]
# ### A compact backward pass
#
# Ten lines of steps are easy to get right, but they are ten places for a bug and they keep five
# arrays per layer alive until the backward pass. Practitioners derive the backward pass of a
# whole normalisation **once**, on paper, and write it as one expression: a derivation you can
# check line by line, and a backward pass you can check against the stepwise one. Here is the idea on a different normalisation: scaling a vector to unit
# length, $y = x / r$ with $r = \lVert x \rVert = \sqrt{\sum_k x_k^2}$, for one vector $x$ of
# length $K$ and an upstream gradient $g = \partial L/\partial y$.
#
# $y_i$ depends on $x_j$ directly (when $i = j$) and through $r$:
# $\partial y_i / \partial x_j = \delta_{ij} / r - x_i x_j / r^3$, since
# $\partial r / \partial x_j = x_j / r$. So
#
# $$\frac{\partial L}{\partial x_j} = \sum_i g_i \frac{\partial y_i}{\partial x_j}
# = \frac{g_j}{r} - \frac{x_j}{r^3}\sum_i g_i x_i
# = \frac{1}{r}\Bigl(g_j - y_j \sum_i g_i y_i\Bigr).$$
#
# In words: the upstream gradient, minus its component along the output (moving $x$ along itself
# does not change $y$), divided by the length. One line of numpy, and no intermediate arrays.
#
# Batch normalisation is a **centring** (subtract the mean over the batch) followed by a scaling by
# $1/\sqrt{\sigma^2 + \varepsilon}$ in which $\sigma^2$ depends on the centred values: derive its
# compact form the same way, for one feature (a column of `N` values) at a time.

# %% [markdown]
# ### Exercise 4: `BatchNormFunction`: the compact backward, train and eval modes
#
# **What to do.** Complete `BatchNormFunction`:
#
# - `forward(ctx, x, gamma, beta, running_mean, running_var, training)`: batch normalisation of
#   `x` `(N, D)`. In training, normalise with the batch's mean and (biased, $1/N$) variance, and
#   **update** `running_mean` and `running_var` `(D,)` **in place** with momentum `BN_MOMENTUM`
#   (the caller's arrays must change, as in PyTorch's `torch.nn.functional.batch_norm`). In
#   evaluation, normalise with the running statistics and leave them unchanged. Use `BN_EPS`.
# - `backward(ctx, grad)`: `(dL/dx, dL/dgamma, dL/dbeta, None, None, None)`, with `dL/dx` in the
#   compact form you derived (no step-by-step chain) in training, and the gradient of the fixed
#   affine map in evaluation.
#
# **Example.** A first training call with `running_mean = zeros` and `running_var = ones` on a
# batch of mean 5 leaves `running_mean` at 0.5.
#
# <details><summary>Hint 1</summary>Write the derivation with $\hat x$ and
# $g_{\hat x} = \gamma\, g$. Centring alone, $y_n = x_n - \mu$, sends back $g_n$ minus the mean of
# $g$ over the batch: why?</details>
# <details><summary>Hint 2</summary>Compose two backward passes: first the scaling, then the
# centring. The scaling is the unit-length example over the N values of a column, with
# $\sigma = \lVert x - \mu \rVert / \sqrt{N}$ (and $\varepsilon$): where does the $N$ go? Save what
# the backward pass reads (for instance $\hat x$ and $1/\sqrt{\sigma^2+\varepsilon}$) in forward.
# In place: <code>a[...] = ...</code> or <code>a *= ...</code> changes the array itself;
# <code>a = ...</code> only rebinds a name.</details>

# %% nbgrader={"grade": false, "grade_id": "batchnorm-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class BatchNormFunction(Function):
    """Batch normalisation of x (N, D) over the batch, feature by feature; running statistics
    (D,) updated in place in training, used in evaluation."""

    @staticmethod
    def forward(ctx, x, gamma, beta, running_mean, running_var, training):
        ### BEGIN SOLUTION
        if training:
            mean, var = x.mean(axis=0), x.var(axis=0)
            running_mean *= 1.0 - BN_MOMENTUM
            running_mean += BN_MOMENTUM * mean
            running_var *= 1.0 - BN_MOMENTUM
            running_var += BN_MOMENTUM * var
        else:
            mean, var = running_mean, running_var
        inv_std = 1.0 / np.sqrt(var + BN_EPS)
        x_hat = (x - mean) * inv_std
        ctx.save_for_backward(x_hat, gamma, inv_std)
        ctx.training = training
        return gamma * x_hat + beta
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dgamma, dL/dbeta, None, None, None)."""
        ### BEGIN SOLUTION
        x_hat, gamma, inv_std = ctx.saved_tensors
        g_hat = grad * gamma
        if ctx.training:
            dx = inv_std * (g_hat - g_hat.mean(axis=0) - x_hat * (g_hat * x_hat).mean(axis=0))
        else:
            dx = g_hat * inv_std
        return dx, (grad * x_hat).sum(axis=0), grad.sum(axis=0), None, None, None
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-batchnorm-function", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
(x,) = random_inputs((50, 3), seed=20)
x = 2.0 * x + 5.0
gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])

# 1. training: each feature of the output has mean beta and standard deviation gamma
running_mean, running_var = np.zeros(3), np.ones(3)
out = BatchNormFunction.forward(Context(), x, gamma, beta, running_mean, running_var, True)
assert close(out.mean(axis=0), beta, 1e-6) and close(out.std(axis=0), gamma, 1e-4), (
    f"in training the output's mean per feature should be beta = {beta} and its std gamma = "
    f"{gamma}, not {out.mean(axis=0)} and {out.std(axis=0)}: normalise with the batch's statistics")

# 2. the running statistics, updated in place with momentum 0.1
expected_mean, expected_var = 0.1 * x.mean(axis=0), 0.9 + 0.1 * x.var(axis=0)
assert not close(running_mean, np.zeros(3)), (
    "running_mean did not change: update the caller's arrays in place (running_mean *= ..., "
    "running_mean += ...), not a new local array")
assert close(running_mean, expected_mean) and close(running_var, expected_var), (
    f"after one training call, running_mean should be {expected_mean} and running_var "
    f"{expected_var}, not {running_mean} and {running_var}"
    + (": the momentum weighs the NEW batch statistic by 0.1" if close(running_mean, 0.9 * x.mean(axis=0)) else ""))

# 3. evaluation: the running statistics, left unchanged
kept_mean, kept_var = running_mean.copy(), running_var.copy()
out = BatchNormFunction.forward(Context(), x, gamma, beta, running_mean, running_var, False)
assert close(running_mean, kept_mean) and close(running_var, kept_var), "evaluation must not update the running statistics"
assert close(out, gamma * (x - kept_mean) / np.sqrt(kept_var + BN_EPS) + beta), (
    "in evaluation, normalise with the running statistics, not the batch's")

# 4. backward in training, against the engine (with the diagnosis of a missing path), then numerically
x, gamma, beta, upstream = random_inputs((8, 5), (5,), (5,), (8, 5), seed=21)
_, (dx, dgamma, dbeta, *rest) = run_function(BatchNormFunction, upstream, x, gamma, beta, np.zeros(5), np.ones(5), True)
engine_dx, engine_dgamma, engine_dbeta = batchnorm_engine_grads(x, gamma, beta, upstream)
assert rest == [None, None, None], "backward returns (dL/dx, dL/dgamma, dL/dbeta, None, None, None)"
assert close(dgamma, engine_dgamma, 1e-6) and close(dbeta, engine_dbeta, 1e-6), "dL/dgamma or dL/dbeta"
assert close(dx, engine_dx, 1e-6), "dL/dx is wrong in training: " + explain_batchnorm_dx(dx, x, gamma, beta, upstream)
check_grad(lambda x, gamma, beta: BatchNormFunction.apply(x, gamma, beta, np.zeros(5), np.ones(5), True), x, gamma, beta)

# 5. backward in evaluation
stats = (np.linspace(-1, 1, 5), np.linspace(0.5, 2.0, 5))
assert check_grad(lambda x, gamma, beta: BatchNormFunction.apply(x, gamma, beta, *copy.deepcopy(stats), False), x, gamma, beta)

# %% nbgrader={"grade": true, "grade_id": "test-batchnorm-function-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(BatchNormFunction.forward(Context(), np.eye(3, 2), np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), True)) == (3, 2)
### BEGIN HIDDEN TESTS
for seed, (n, d) in enumerate([(2, 1), (16, 4), (64, 12)]):
    x, gamma, beta, upstream = random_inputs((n, d), (d,), (d,), (n, d), seed=70 + seed)
    x = 10.0 * x - 3.0
    _, grads = run_function(BatchNormFunction, upstream, x, gamma, beta, np.zeros(d), np.ones(d), True)
    for mine, engine in zip(grads, batchnorm_engine_grads(x, gamma, beta, upstream)):
        assert close(mine, engine, 1e-6)
    rm, rv = np.abs(random_inputs((d,), seed=seed)[0]), 0.5 + np.abs(random_inputs((d,), seed=seed + 9)[0])
    check_grad(lambda x, gamma, beta: BatchNormFunction.apply(x, gamma, beta, rm.copy(), rv.copy(), False),
               x, gamma, beta, seed=seed)
# running statistics over several batches
rm, rv = np.zeros(2), np.ones(2)
expected_m, expected_v = np.zeros(2), np.ones(2)
for k in range(5):
    (x,) = random_inputs((10, 2), seed=80 + k)
    x = x * (k + 1) + k
    BatchNormFunction.forward(Context(), x, np.ones(2), np.zeros(2), rm, rv, True)
    expected_m = 0.9 * expected_m + 0.1 * x.mean(axis=0)
    expected_v = 0.9 * expected_v + 0.1 * x.var(axis=0)
assert close(rm, expected_m) and close(rv, expected_v)
# scale invariance in training
(x,) = random_inputs((12, 3), seed=90)
a = BatchNormFunction.forward(Context(), x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True)
b = BatchNormFunction.forward(Context(), 1000.0 * x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True)
assert close(a, b, 1e-4)
### END HIDDEN TESTS

# %% [markdown]
# Your two backward passes, against each other, and timed:

# %% nbgrader={"grade": false, "grade_id": "batchnorm-timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
x, gamma, beta, upstream = random_inputs((256, 128), (128,), (128,), (256, 128), seed=22)
stepwise = lambda: run_function(BatchNormStepwise, upstream, x, gamma, beta)[1][0]
compact = lambda: run_function(BatchNormFunction, upstream, x, gamma, beta, np.zeros(128), np.ones(128), True)[1][0]
a, t_stepwise = best_time(stepwise, repeats=5)
b, t_compact = best_time(compact, repeats=5)
print(f"largest difference between the two dL/dx: {np.max(np.abs(a - b)):.2e}")
print(f"forward + backward on a (256, 128) batch: stepwise {1e3 * t_stepwise:.2f} ms, "
      f"compact {1e3 * t_compact:.2f} ms")

# %% [markdown]
# ## 5. Convolution
#
# An MLP sees an image as 64 unrelated numbers. A **convolutional** layer slides a small filter
# over the image instead, so the same few weights detect a stroke wherever it is. For an input $x$
# of shape `(N, C, H, W)` (C channels), filters $W$ of shape `(F, C, kh, kw)` and a bias `(F,)`,
# with the input padded by `padding` zeros on every side (`xp`) and a stride of 1, output channel
# $f$ at position $(i, j)$ is
#
# $$y[n, f, i, j] = b[f] + \sum_{c}\sum_{a < kh}\sum_{d < kw} W[f, c, a, d]\; x_p[n, c, i + a, j + d],$$
#
# of shape `(N, F, H + 2·padding - kh + 1, W + 2·padding - kw + 1)`. (Strictly this is a
# *cross-correlation*; deep learning calls it a convolution. PyTorch's `Conv2d` computes exactly
# this.) A 3 x 3 filter with `padding = 1` keeps the image's size.
#
# **Its backward pass, in one dimension.** With $y[i] = \sum_a w[a]\, x[i + a]$, each $x[k]$
# reaches the outputs $y[k - a]$, with weight $w[a]$, and each $w[a]$ touches every output:
#
# $$\frac{\partial L}{\partial x[k]} = \sum_a w[a]\, g[k - a], \qquad
# \frac{\partial L}{\partial w[a]} = \sum_i g[i]\, x[i + a] .$$
#
# The gradient of the input is again a convolution, of the upstream gradient with the filter
# **flipped** (index $k - a$ instead of $i + a$), over the zero-padded gradient; the gradient of
# the weights correlates the input with the upstream gradient. Padding was part of the input that
# forward read: the gradient of the padded input has the padded shape, and `dL/dx` is its inner
# part.

# %% [markdown]
# ### Exercise 5: `Conv2dNaive`, with loops
#
# **What to do.** Complete `Conv2dNaive.forward(ctx, x, W, b, padding)` and `backward(ctx, grad)`
# for the formula above (stride 1, the same zero padding on all four sides; any `kh`, `kw`),
# with Python loops over the examples, the filters and the output positions (each window's sum
# over channels and filter positions may be one numpy expression). `backward` returns `(dL/dx,
# dL/dW, dL/db, None)`, each of its input's shape.
#
# **Example.** A single 3 x 3 filter that is 1 at its top-middle entry and 0 elsewhere, with
# `padding = 1`, moves the image down by one row (row 0 of the output is zeros: it read the
# padding).
#
# <details><summary>Hint 1</summary><code>np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))</code> pads
# the two image axes only. Which slice of the padded input does output position (i, j) read?</details>
# <details><summary>Hint 2</summary>In the loops, output (n, f, i, j) read one window of xp with
# the weights W[f]: which gradients does its upstream gradient contribute to, and of which
# shapes? (dL/dW[f] has the shape of one window, (C, kh, kw).) The bias is added at every output
# position of every example: over which axes of the gradient does dL/db sum?</details>

# %% nbgrader={"grade": false, "grade_id": "conv2d-naive", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Conv2dNaive(Function):
    """2-D convolution (cross-correlation), stride 1, zero padding. x (N, C, H, W), W (F, C, kh, kw),
    b (F,) -> (N, F, H + 2 padding - kh + 1, W + 2 padding - kw + 1). Loops."""

    @staticmethod
    def forward(ctx, x, W, b, padding):
        ### BEGIN SOLUTION
        F, _, kh, kw = W.shape
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        n_out, h_out, w_out = x.shape[0], xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
        out = np.zeros((n_out, F, h_out, w_out))
        for n in range(n_out):
            for f in range(F):
                for i in range(h_out):
                    for j in range(w_out):
                        out[n, f, i, j] = np.sum(xp[n, :, i:i + kh, j:j + kw] * W[f]) + b[f]
        ctx.save_for_backward(xp, W)
        ctx.padding = padding
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dW, dL/db, None)."""
        ### BEGIN SOLUTION
        xp, W = ctx.saved_tensors
        p = ctx.padding
        _, _, kh, kw = W.shape
        dxp, dW = np.zeros_like(xp), np.zeros_like(W)
        n_out, F, h_out, w_out = grad.shape
        for n in range(n_out):
            for f in range(F):
                for i in range(h_out):
                    for j in range(w_out):
                        dxp[n, :, i:i + kh, j:j + kw] += W[f] * grad[n, f, i, j]
                        dW[f] += xp[n, :, i:i + kh, j:j + kw] * grad[n, f, i, j]
        dx = dxp[:, :, p:xp.shape[2] - p, p:xp.shape[3] - p]
        return dx, dW, grad.sum(axis=(0, 2, 3)), None
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "conv-examples", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The examples of the tests: a 4 x 4 image, the filter that moves it down by one row, and two
# images through two filters (down, and up).
image = np.arange(16.0).reshape(1, 1, 4, 4)
down = np.zeros((1, 1, 3, 3))
down[0, 0, 0, 1] = 1.0
moved_down = np.zeros((1, 1, 4, 4))
moved_down[0, 0, 1:] = image[0, 0, :3]
two_images = np.concatenate([image, -2.0 * image])               # (2, 1, 4, 4)
down_and_up = np.concatenate([down, down[:, :, ::-1]])           # (2, 1, 3, 3)
moved_both = np.zeros((2, 2, 4, 4))
for n, sign in enumerate((1.0, -2.0)):
    moved_both[n, 0, 1:] = sign * image[0, 0, :3]
    moved_both[n, 1, :3] = sign * image[0, 0, 1:]

# %% nbgrader={"grade": true, "grade_id": "test-conv2d-naive", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# 1. The example: the top-middle filter moves the image down by one row.
out = Conv2dNaive.forward(Context(), image, down, np.zeros(1), 1)
assert np.shape(out) == (1, 1, 4, 4), f"a 3 x 3 filter with padding 1 keeps the 4 x 4 size, not {np.shape(out)}"
assert close(out, moved_down), (
    "the top-middle filter should move the image DOWN by a row"
    + (": yours moved it up, you flipped the filter (this layer is a cross-correlation)"
       if close(out[0, 0, :3], image[0, 0, 1:]) else ""))

out = Conv2dNaive.forward(Context(), two_images, down_and_up, np.zeros(2), 1)
assert close(out, moved_both), (
    "two images through two filters (down, up): out[n, f] is image n through filter f")

# 2. Shapes, with and without padding, non-square filters.
for padding, (kh, kw) in ((0, (3, 3)), (2, (3, 3)), (1, (1, 3))):
    out = Conv2dNaive.forward(Context(), np.ones((2, 3, 5, 6)), np.ones((4, 3, kh, kw)), np.zeros(4), padding)
    expected = (2, 4, 5 + 2 * padding - kh + 1, 6 + 2 * padding - kw + 1)
    assert np.shape(out) == expected, f"padding {padding}, filter {kh} x {kw}: shape {np.shape(out)}, expected {expected}"

# 3. The bias, and its gradient: one per filter, summed over examples and positions.
x, W, b, upstream = random_inputs((2, 2, 4, 4), (3, 2, 3, 3), (3,), (2, 3, 4, 4), seed=30)
out, (dx, dW, db, none) = run_function(Conv2dNaive, upstream, x, W, b, 1)
assert none is None and np.shape(db) == (3,), f"dL/db has the shape of b, (3,), not {np.shape(db)}"
assert close(db, upstream.sum(axis=(0, 2, 3))), "dL/db: the bias is added at every position of every example"

# 4. Finite differences: dL/dx and dL/dW, with padding 1 and 0.
assert check_grad(lambda x, W, b: Conv2dNaive.apply(x, W, b, 1), x, W, b)
assert check_grad(lambda x, W, b: Conv2dNaive.apply(x, W, b, 0), x, W, b)

# %% nbgrader={"grade": true, "grade_id": "test-conv2d-naive-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Conv2dNaive.forward(Context(), np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1), 1)) == (1, 1, 3, 3)
### BEGIN HIDDEN TESTS
for seed, (xs, ws, padding) in enumerate([((1, 3, 5, 5), (2, 3, 3, 3), 2), ((3, 1, 4, 6), (2, 1, 2, 3), 1),
                                           ((2, 2, 3, 3), (1, 2, 3, 3), 0), ((1, 1, 6, 6), (1, 1, 5, 5), 2)]):
    x, W, b = random_inputs(xs, ws, (ws[0],), seed=100 + seed)
    check_grad(lambda x, W, b: Conv2dNaive.apply(x, W, b, padding), x, W, b, seed=seed)
    out = Conv2dNaive.forward(Context(), x, W, b, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    reference = np.einsum("ncijab,fcab->nfij", np.lib.stride_tricks.sliding_window_view(
        xp, ws[2:], axis=(2, 3)), W) + b[:, None, None]
    assert close(out, reference)
assert out.shape == reference.shape
### END HIDDEN TESTS

# %% [markdown]
# ### From loops to a matrix product: im2col
#
# The loops repeat one small dot product, $W[f] \cdot (\text{a window of } x_p)$, thousands of
# times. Gather every window once, as a **row** of a matrix, and all those dot products become one
# matrix product, the operation of notebook 04 (and the one a CPU or GPU does fastest). In one
# dimension, with a filter of length 3 and no padding, $x = [x_0, \dots, x_4]$ gives the windows
#
# $$\text{cols} = \begin{bmatrix} x_0 & x_1 & x_2 \\ x_1 & x_2 & x_3 \\ x_2 & x_3 & x_4 \end{bmatrix},
# \qquad y = \text{cols}\; w .$$
#
# That is **im2col** ("image to columns"; Caffe's name). Each $x_k$ appears in several rows: the
# windows overlap. Its backward pass, **col2im**, therefore *adds* each row's gradient back into
# its window, and the overlaps sum up (the copy gate of notebook 01, at scale). And the backward
# pass of the matrix product is notebook 04's: $\partial L/\partial\,\text{cols} = g\, w^T$ and
# $\partial L/\partial w = \text{cols}^T g$.

# %% [markdown]
# ### Exercise 6: `im2col` and its backward pass `col2im`
#
# **What to do.** Complete
#
# - `im2col(x, kh, kw, padding)`: `x` `(N, C, H, W)` -> `cols` of shape `(N * Ho * Wo, C * kh * kw)`
#   (`Ho`, `Wo`: the output size of the convolution). Row `(n * Ho + i) * Wo + j` is the window
#   that output position `(i, j)` of example `n` reads, `xp[n, :, i:i + kh, j:j + kw]`, flattened
#   in numpy's order (channel, then row, then column), so that it lines up with one filter
#   `W[f]` flattened the same way.
# - `col2im(cols, x_shape, kh, kw, padding)`: the backward pass of `im2col`: given
#   $\partial L/\partial\,\text{cols}$, return $\partial L/\partial x$ of shape `x_shape`.
#
# Loop over the `kh * kw` positions inside the filter if you like (9 for a 3 x 3 filter), but not
# over the windows: each loop step handles every window of every example at once.
#
# **Example.** `im2col(np.zeros((2, 3, 8, 8)), 3, 3, 1)` has shape `(128, 27)`; `col2im` of an
# all-ones `cols` counts how many windows cover each pixel (9 inside the image).
#
# <details><summary>Hint 1</summary>Fix one position (a, d) inside the filter. Which slice of
# <code>xp</code> holds the pixel at that position for every window at once? Its shape is (N, C,
# Ho, Wo).</details>
# <details><summary>Hint 2</summary>Fill an array of shape (N, Ho, Wo, C, kh, kw), then reshape it
# to (N * Ho * Wo, C * kh * kw); <code>transpose</code> puts the axes in that order. col2im does
# the same steps backwards, with <code>+=</code> into a zero padded array, then crops the
# padding.</details>

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true, "task": false}
def im2col(x, kh, kw, padding):
    """The windows of a stride-1 convolution as rows: (N * Ho * Wo, C * kh * kw)."""
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    cols = np.empty((n, h_out, w_out, c, kh, kw))
    for a in range(kh):
        for d in range(kw):
            cols[:, :, :, :, a, d] = xp[:, :, a:a + h_out, d:d + w_out].transpose(0, 2, 3, 1)
    return cols.reshape(n * h_out * w_out, c * kh * kw)
    ### END SOLUTION


def col2im(cols, x_shape, kh, kw, padding):
    """The backward pass of im2col: dL/dcols (N * Ho * Wo, C * kh * kw) -> dL/dx of x_shape."""
    ### BEGIN SOLUTION
    n, c, h, w = x_shape
    h_out, w_out = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    windows = cols.reshape(n, h_out, w_out, c, kh, kw)
    dxp = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    for a in range(kh):
        for d in range(kw):
            dxp[:, :, a:a + h_out, d:d + w_out] += windows[:, :, :, :, a, d].transpose(0, 3, 1, 2)
    return dxp[:, :, padding:padding + h, padding:padding + w]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-im2col", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# 1. Shapes.
assert np.shape(im2col(np.zeros((2, 3, 8, 8)), 3, 3, 1)) == (128, 27), "(N * Ho * Wo, C * kh * kw) = (128, 27)"
assert np.shape(im2col(np.zeros((2, 3, 8, 8)), 3, 2, 0)) == (84, 18), "no padding: Ho = 6, Wo = 7"

# 2. Which window is which row, in which order.
(x,) = random_inputs((2, 3, 5, 4), seed=31)
cols = im2col(x, 3, 3, 1)
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
for n, i, j in ((0, 0, 0), (0, 2, 3), (1, 4, 1)):
    row = cols[(n * 5 + i) * 4 + j]
    window = xp[n, :, i:i + 3, j:j + 3]
    assert close(row, window.ravel()), (
        f"row {(n * 5 + i) * 4 + j} should be the window of example {n} at ({i}, {j}), flattened "
        f"(channel, row, column)" + (": yours is in another order" if close(np.sort(row), np.sort(window.ravel())) else ""))

# 3. col2im adds overlapping windows: all-ones cols count the windows over each pixel.
counts = col2im(np.ones((20, 9)), (1, 1, 5, 4), 3, 3, 1)
assert np.shape(counts) == (1, 1, 5, 4), f"col2im returns an array of x_shape (1, 1, 5, 4), not {np.shape(counts)}"
assert counts[0, 0, 2, 2] == 9 and counts[0, 0, 0, 0] == 4, (
    f"a pixel inside the image is in 9 windows, a corner in 4; col2im gave {counts[0, 0, 2, 2]} and "
    f"{counts[0, 0, 0, 0]}: add (+=) each window into place, overlaps sum up")

# 4. col2im is the backward pass of im2col: checked with a random upstream gradient
assert check_vjp(lambda x: im2col(x, 3, 3, 1), lambda g, x: col2im(g, x.shape, 3, 3, 1), x)

# %% nbgrader={"grade": true, "grade_id": "test-im2col-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2, 0)) == (1, 1, 3, 3)
### BEGIN HIDDEN TESTS
for seed, (shape, kh, kw, padding) in enumerate([((1, 1, 3, 3), 3, 3, 0), ((3, 2, 6, 5), 2, 3, 2),
                                                  ((2, 4, 4, 4), 1, 1, 0), ((1, 2, 5, 5), 5, 5, 2)]):
    (x,) = random_inputs(shape, seed=110 + seed)
    cols = im2col(x, kh, kw, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    assert close(cols, windows.transpose(0, 2, 3, 1, 4, 5).reshape(cols.shape[0], -1))
    check_vjp(lambda x: im2col(x, kh, kw, padding), lambda g, x: col2im(g, x.shape, kh, kw, padding), x, seed=seed)
assert cols.shape[1] == shape[1] * kh * kw
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7: `Conv2dFunction`, vectorised
#
# **What to do.** Complete `Conv2dFunction`, the same layer as `Conv2dNaive` (same inputs, same
# outputs, same `backward` return), with no Python loop over examples, filters or positions: the
# forward pass is `im2col`, one matrix product and a reshape; the backward pass is notebook 04's
# rules for that matrix product, and `col2im`.
#
# **Example.** On any input, `Conv2dFunction` and `Conv2dNaive` agree to about 1e-12 (the cell
# after the test compares them, and times them).
#
# <details><summary>Hint 1</summary>Reshape the filters to (F, C * kh * kw): row f is W[f]
# flattened as im2col flattens a window. What shape does cols times which matrix have, and how do
# its rows (n, i, j) and columns (f) become (N, F, Ho, Wo)?</details>
# <details><summary>Hint 2</summary>In backward, bring the gradient to the matrix product's
# layout first, (N * Ho * Wo, F): undo the forward pass's last transpose and reshape, in reverse.
# Then dcols and dW come from notebook 04, and dx from col2im.</details>

# %% nbgrader={"grade": false, "grade_id": "conv2d-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Conv2dFunction(Function):
    """The same convolution as Conv2dNaive, vectorised with im2col and one matrix product."""

    @staticmethod
    def forward(ctx, x, W, b, padding):
        ### BEGIN SOLUTION
        n, _, h, w = x.shape
        F, _, kh, kw = W.shape
        h_out, w_out = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
        cols = im2col(x, kh, kw, padding)
        out = cols @ W.reshape(F, -1).T + b
        ctx.save_for_backward(cols, W)
        ctx.x_shape, ctx.padding = x.shape, padding
        return out.reshape(n, h_out, w_out, F).transpose(0, 3, 1, 2)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """(dL/dx, dL/dW, dL/db, None)."""
        ### BEGIN SOLUTION
        cols, W = ctx.saved_tensors
        F, _, kh, kw = W.shape
        g = grad.transpose(0, 2, 3, 1).reshape(-1, F)
        dW = (g.T @ cols).reshape(W.shape)
        dx = col2im(g @ W.reshape(F, -1), ctx.x_shape, kh, kw, ctx.padding)
        return dx, dW, g.sum(axis=0), None
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-conv2d-function", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
out = Conv2dFunction.forward(Context(), image, down, np.zeros(1), 1)
assert close(out, moved_down), "the top-middle filter should move the image down by a row (see Exercise 5)"
out = Conv2dFunction.forward(Context(), two_images, down_and_up, np.zeros(2), 1)
assert close(out, moved_both), (
    "two images through two filters (down, up): out[n, f] is image n through filter f; check "
    "how the matrix product's rows (n, i, j) and columns (f) become (N, F, Ho, Wo)")
out = Conv2dFunction.forward(Context(), np.ones((2, 3, 5, 6)), np.ones((4, 3, 1, 3)), np.zeros(4), 1)
assert np.shape(out) == (2, 4, 7, 6), f"padding 1, filter 1 x 3 on (2, 3, 5, 6): shape (2, 4, 7, 6), not {np.shape(out)}"
x, W, b = random_inputs((2, 2, 4, 5), (3, 2, 3, 3), (3,), seed=32)
assert check_grad(lambda x, W, b: Conv2dFunction.apply(x, W, b, 1), x, W, b)
assert check_grad(lambda x, W, b: Conv2dFunction.apply(x, W, b, 0), x, W, b)

# %% nbgrader={"grade": true, "grade_id": "test-conv2d-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Conv2dFunction.forward(Context(), np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1), 1)) == (1, 1, 3, 3)
### BEGIN HIDDEN TESTS
for seed, (xs, ws, padding) in enumerate([((1, 3, 5, 5), (2, 3, 3, 3), 2), ((3, 1, 4, 6), (2, 1, 2, 3), 1),
                                           ((4, 8, 8, 8), (16, 8, 3, 3), 1)]):
    x, W, b = random_inputs(xs, ws, (ws[0],), seed=120 + seed)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, ws[2:], axis=(2, 3))
    out = Conv2dFunction.forward(Context(), x, W, b, padding)
    assert close(out, np.einsum("ncijab,fcab->nfij", windows, W) + b[:, None, None])
    if x.size < 200:
        check_grad(lambda x, W, b: Conv2dFunction.apply(x, W, b, padding), x, W, b, seed=seed)
    else:
        _, vjp_fn = course.vjp(lambda x, W, b: Conv2dFunction.apply(x, W, b, padding), x, W, b)
        g = np.random.default_rng(seed).normal(size=out.shape)
        dx, dW, db = vjp_fn(g)
        gp = np.pad(g, ((0, 0), (0, 0), (ws[2] - 1 - padding,) * 2, (ws[3] - 1 - padding,) * 2))
        flipped = W[:, :, ::-1, ::-1]
        g_windows = np.lib.stride_tricks.sliding_window_view(gp, ws[2:], axis=(2, 3))
        assert close(dx, np.einsum("nfijab,fcab->ncij", g_windows, flipped), 1e-8)
        assert close(dW, np.einsum("ncijab,nfij->fcab", windows, g), 1e-8)
        assert close(db, g.sum(axis=(0, 2, 3)), 1e-8)
assert out.shape[1] == ws[0]
### END HIDDEN TESTS

# %% [markdown]
# The two against each other, and timed, on the second convolution of this notebook's CNN (16
# channels of 4 x 4 in, 32 filters of 3 x 3) for a batch of 32 images:

# %% nbgrader={"grade": false, "grade_id": "conv-timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
x, W, b, upstream = random_inputs((32, 16, 4, 4), (32, 16, 3, 3), (32,), (32, 32, 4, 4), seed=33)
(naive_out, naive_grads), t_naive = best_time(lambda: run_function(Conv2dNaive, upstream, x, W, b, 1), repeats=2)
(fast_out, fast_grads), t_fast = best_time(lambda: run_function(Conv2dFunction, upstream, x, W, b, 1), repeats=5)
differences = [np.max(np.abs(a - b)) for a, b in zip((naive_out, *naive_grads[:3]), (fast_out, *fast_grads[:3]))]
print("largest difference (output, dx, dW, db):", ", ".join(f"{d:.1e}" for d in differences))
print(f"forward + backward: loops {1e3 * t_naive:.1f} ms, im2col {1e3 * t_fast:.2f} ms "
      f"({t_naive / t_fast:.0f} times faster)")
CONV_TIMES = {"naive": t_naive, "vectorised": t_fast}

# %% [markdown]
# ## 6. Max-pooling: the max gate, at scale
#
# A 2 x 2 **max-pool** keeps the largest of each 2 x 2 block of every channel: `(N, C, H, W)` ->
# `(N, C, H/2, W/2)` (H and W even). It halves the image and makes the network indifferent to a
# shift by one pixel.
#
# Its backward pass is the **max gate** of notebook 01, once per window: the output's gradient is
# **routed** to the input that won, and the three others get 0 (changing a loser slightly does not
# change the maximum). Ties need a rule. Notebook 01's max gate split a tie in half; here the
# graded rule is only what every correct choice shares: within a window, the gradient goes to
# positions that hold the maximum, and **adds up to the output's gradient** (PyTorch sends it all
# to the first maximum, in row-major order; an even split is as valid). Routing the whole
# gradient to *every* tied position counts it twice or more.

# %% [markdown]
# ### Exercise 8: `MaxPool2dNaive`, with loops
#
# **What to do.** Complete `MaxPool2dNaive.forward(ctx, x)` (2 x 2 windows, stride 2) and
# `backward(ctx, grad)` (returns `dL/dx`), with Python loops over the windows.
#
# **Example.** On `[[1, 2], [4, 3]]` (one window) the output is 4, and an upstream gradient of 5
# sends back `[[0, 0], [5, 0]]`.
#
# <details><summary>Hint 1</summary>What does backward need to know about each window? Save what
# lets you find it again (the input, or the winning positions).</details>
# <details><summary>Hint 2</summary><code>np.argmax</code> of a 2 x 2 window gives one flat index,
# the first maximum; <code>np.unravel_index</code> turns it into (row, column). Careful with
# all-negative windows if you start a running maximum at 0.</details>

# %% nbgrader={"grade": false, "grade_id": "maxpool2d-naive", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MaxPool2dNaive(Function):
    """2 x 2 max-pooling with stride 2: (N, C, H, W) -> (N, C, H // 2, W // 2). Loops."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        n, c, h, w = x.shape
        out = np.zeros((n, c, h // 2, w // 2))
        for k in range(n):
            for ch in range(c):
                for i in range(h // 2):
                    for j in range(w // 2):
                        out[k, ch, i, j] = x[k, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
        ctx.save_for_backward(x)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """dL/dx, the shape of x."""
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        dx = np.zeros_like(x)
        n, c, h, w = x.shape
        for k in range(n):
            for ch in range(c):
                for i in range(h // 2):
                    for j in range(w // 2):
                        window = x[k, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                        a, d = np.unravel_index(np.argmax(window), (2, 2))
                        dx[k, ch, 2 * i + a, 2 * j + d] = grad[k, ch, i, j]
        return dx
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "maxpool-checks", "locked": true, "schema_version": 3, "solution": false, "task": false}
# What the tests check about a max-pool's backward pass (you may call it yourself).

def check_routing(pool, x, upstream):
    """Assert that pool's backward routes each window's gradient only to positions holding the
    window's maximum, and that it adds up to that window's upstream gradient."""
    _, (dx,) = run_function(pool, upstream, x)
    assert np.shape(dx) == x.shape, f"dL/dx has the shape of x, {x.shape}, not {np.shape(dx)}"
    blocks = (x.shape[0], x.shape[1], x.shape[2] // 2, 2, x.shape[3] // 2, 2)
    windows, d_windows = x.reshape(blocks), dx.reshape(blocks)
    is_max = windows == windows.max(axis=(3, 5), keepdims=True)
    assert np.all(d_windows[~is_max] == 0), "a position that did not hold its window's maximum got a gradient"
    totals = d_windows.sum(axis=(3, 5))
    ties = is_max.sum(axis=(3, 5)) > 1
    assert close(totals[~ties], upstream[~ties]), "each window's gradient must go to its maximum"
    assert close(totals[ties], upstream[ties]), (
        "in a window with a tie, the gradients you sent back add up to "
        f"{totals[ties].flat[0] / upstream[ties].flat[0]:.3g} times the window's upstream gradient: "
        "they must add up to it once (route it to one maximum, or split it)")
    return True


# The examples of the tests: one window, and two windows with ties.
one = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
ties = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, -1.0]]]])


# %% nbgrader={"grade": true, "grade_id": "test-maxpool2d-naive", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# 1. The example.
out, (dx,) = run_function(MaxPool2dNaive, np.full((1, 1, 1, 1), 5.0), one)
assert close(out, [[[[4.0]]]]), f"the maximum of [[1, 2], [4, 3]] is 4, not {np.ravel(out)}"
assert close(dx, [[[[0.0, 0.0], [5.0, 0.0]]]]), f"the gradient 5 goes to the position of the 4: got {dx.ravel()}"

# 2. All-negative windows.
out = MaxPool2dNaive.forward(Context(), -np.abs(random_inputs((1, 2, 4, 4), seed=34)[0]))
assert np.all(out < 0), "a window of negative numbers has a negative maximum (did you start at 0?)"

# 3. Ties, and random inputs (with finite differences).
assert check_routing(MaxPool2dNaive, ties, np.array([[[[3.0, -2.0]]]]))
x, upstream = random_inputs((2, 3, 4, 6), (2, 3, 2, 3), seed=35)
check_routing(MaxPool2dNaive, x, upstream)
assert check_grad(lambda x: MaxPool2dNaive.apply(x), x)

# %% nbgrader={"grade": true, "grade_id": "test-maxpool2d-naive-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(MaxPool2dNaive.forward(Context(), np.ones((1, 1, 2, 2)))) == (1, 1, 1, 1)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(130)
for shape in [(1, 1, 2, 2), (3, 2, 8, 8), (2, 4, 6, 2)]:
    x = rng.integers(-2, 2, size=shape).astype(float)       # many ties, negative windows
    upstream = rng.normal(size=(shape[0], shape[1], shape[2] // 2, shape[3] // 2))
    check_routing(MaxPool2dNaive, x, upstream)
    out = MaxPool2dNaive.forward(Context(), x)
    assert close(out, x.reshape(shape[0], shape[1], shape[2] // 2, 2, shape[3] // 2, 2).max(axis=(3, 5)))
assert out.shape == (shape[0], shape[1], shape[2] // 2, shape[3] // 2)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 9: `MaxPool2dFunction`, vectorised
#
# **What to do.** Complete `MaxPool2dFunction`, the same layer as `MaxPool2dNaive`, with no Python
# loop: a reshape makes each window an axis of its own, and the backward pass routes every
# window's gradient at once.
#
# **Example.** On any input without ties, `MaxPool2dFunction` and `MaxPool2dNaive` give the same
# output and the same `dL/dx`.
#
# <details><summary>Hint 1</summary><code>x.reshape(N, C, H // 2, 2, W // 2, 2)</code>: which two
# axes run over one window? After moving them to the end and merging them, each window is a row
# of 4.</details>
# <details><summary>Hint 2</summary><code>argmax</code> along that last axis gives the winner of
# every window; <code>np.take_along_axis</code> and <code>np.put_along_axis</code> read and write
# at those indices. (A mask of the maxima is tempting: what does it do with a tie?)</details>

# %% nbgrader={"grade": false, "grade_id": "maxpool2d-function", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MaxPool2dFunction(Function):
    """The same 2 x 2 max-pooling as MaxPool2dNaive, vectorised."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        n, c, h, w = x.shape
        windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        winners = windows.argmax(axis=-1)[..., None]
        ctx.save_for_backward(winners)
        ctx.x_shape = x.shape
        return np.take_along_axis(windows, winners, axis=-1)[..., 0]
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """dL/dx, the shape of x."""
        ### BEGIN SOLUTION
        (winners,) = ctx.saved_tensors
        n, c, h, w = ctx.x_shape
        d_windows = np.zeros((n, c, h // 2, w // 2, 4))
        np.put_along_axis(d_windows, winners, grad[..., None], axis=-1)
        return d_windows.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-maxpool2d-function", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
out, (dx,) = run_function(MaxPool2dFunction, np.full((1, 1, 1, 1), 5.0), one)
assert close(out, [[[[4.0]]]]) and close(dx, [[[[0.0, 0.0], [5.0, 0.0]]]]), (
    f"on [[1, 2], [4, 3]] with upstream 5: output {np.ravel(out)} (expected 4), dL/dx {np.ravel(dx)} "
    f"(expected [0, 0, 5, 0])")
x, upstream = random_inputs((2, 3, 4, 6), (2, 3, 2, 3), seed=36)
out = MaxPool2dFunction.forward(Context(), x)
assert close(out, x.reshape(2, 3, 2, 2, 3, 2).max(axis=(3, 5))), (
    "each output is the maximum of one 2 x 2 block: check which axes of the reshape you reduce")
check_routing(MaxPool2dFunction, x, upstream)
assert check_routing(MaxPool2dFunction, ties, np.array([[[[3.0, -2.0]]]]))
assert check_grad(lambda x: MaxPool2dFunction.apply(x), x)

# %% nbgrader={"grade": true, "grade_id": "test-maxpool2d-function-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(MaxPool2dFunction.forward(Context(), np.ones((1, 1, 2, 2)))) == (1, 1, 1, 1)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(140)
for shape in [(1, 1, 2, 2), (3, 2, 8, 8), (2, 4, 6, 2), (64, 16, 8, 8)]:
    x = rng.integers(-2, 2, size=shape).astype(float)
    upstream = rng.normal(size=(shape[0], shape[1], shape[2] // 2, shape[3] // 2))
    check_routing(MaxPool2dFunction, x, upstream)
    (y,) = random_inputs(shape, seed=shape[1])
    assert close(MaxPool2dFunction.forward(Context(), y), y.reshape(shape[0], shape[1], shape[2] // 2, 2, shape[3] // 2, 2).max(axis=(3, 5)))
    check_routing(MaxPool2dFunction, y, upstream)
assert check_routing(MaxPool2dFunction, y, upstream)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. A small module system
#
# A network is a chain of layers, and each layer has state: parameters, their gradients, a mode
# (training or evaluation), running statistics, a random generator. A **module** holds that state
# and calls its `Function`:
#
# - a `Parameter` is an array (`.data`) with the gradient of the loss with respect to it
#   (`.grad`, the same shape);
# - a `Layer` wraps one `Function` (its class attribute `function`): its `forward(x)` calls
#   `function.forward(ctx, x, *parameter values, *options)` on a new `Context` and keeps that
#   context for its `backward(grad)`, which hands each parameter its gradient and returns
#   $\partial L/\partial x$ for the layer before;
# - a `Sequential` chains layers. Its backward pass is notebook 02's engine for the simplest graph
#   of all, a chain: the topological order is the list of layers, walked in reverse.
#
# **Add or overwrite?** A parameter can be used by more than one layer (tied weights, as in an
# autoencoder whose decoder uses the encoder's matrix transposed, or a recurrent network that uses
# one matrix at every time step). Its gradient is then the **sum** of what each use sends back,
# the fan-out rule of notebook 02. A layer only sees its own use, so it must **add** into
# `.grad`, and someone must reset `.grad` to zero before each backward pass: `zero_grad`. That is
# PyTorch's choice (`zero_grad()` before every `loss.backward()`; forgetting it adds up the
# gradients of several batches). The course's engine (`Tensor.backward()`) chose the other way,
# **recompute**: it sees the whole graph at once, so it can add up fan-out itself and start every
# backward pass from zero. Our modules see one layer at a time, so they add, and we call
# `zero_grad`.

# %% nbgrader={"grade": false, "grade_id": "module-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Parameter:
    """An array to learn (.data) and the gradient of the loss with respect to it (.grad)."""

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)

    def __repr__(self):
        return f"Parameter(shape={self.data.shape})"


class Module:
    """What every module has: parameters, buffers (arrays that training changes besides the
    parameters: running statistics), a mode, and module(x) for module.forward(x)."""

    training = True

    def parameters(self):
        return []

    def buffers(self):
        return []

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def __call__(self, x):
        return self.forward(x)


# %% [markdown]
# ### Exercise 10: `Layer`, `Sequential` and `zero_grad`
#
# **What to do.** Complete
#
# - `Layer.forward(x)` and `Layer.backward(grad)` as described above. `self.function` is the
#   layer's `Function`, `self.params` its parameters (in the order `forward` takes them, after
#   `x`), `self.options()` the inputs after those. `backward` **adds** each parameter's gradient
#   into its `.grad` and returns $\partial L/\partial x$ (a `Function` with one input returns a
#   single array, not a tuple).
# - `Sequential(*layers)`: `forward(x)` runs the layers in order; `backward(grad)` runs their
#   backward passes in reverse and returns $\partial L/\partial x$; `parameters()` lists every
#   layer's parameters in order, **each once** even if layers share one; `train(mode)` sets the
#   mode of the chain and of every layer (so `eval()` works too).
# - `zero_grad(parameters)`: sets every parameter's `.grad` to zeros of its shape.
#
# **Example.** After `model.backward(...)` on a chain whose two linear layers share one weight
# matrix, that matrix's `.grad` is the sum of the two layers' contributions.
#
# <details><summary>Hint 1</summary>What does <code>backward</code> of your Function return, and
# in which order? Which entries belong to parameters?</details>
# <details><summary>Hint 2</summary><code>reversed(...)</code> walks a list backwards. Two layers
# that share a Parameter hold the same object: compare with <code>is</code> (or
# <code>id</code>), not with <code>==</code> on arrays.</details>

# %% nbgrader={"grade": false, "grade_id": "module-system", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Layer(Module):
    """A module around one Function: function.forward(ctx, x, *parameter values, *options())."""

    function = None

    def __init__(self, *params):
        self.params = list(params)

    def parameters(self):
        return list(self.params)

    def options(self):
        """The Function's inputs after the parameters (a mode, a padding...): none by default."""
        return ()

    def forward(self, x):
        ### BEGIN SOLUTION
        self.ctx = Context()
        return self.function.forward(self.ctx, x, *(p.data for p in self.params), *self.options())
        ### END SOLUTION

    def backward(self, grad):
        ### BEGIN SOLUTION
        grads = self.function.backward(self.ctx, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for param, g in zip(self.params, grads[1:]):
            param.grad += g
        return grads[0]
        ### END SOLUTION


class Sequential(Module):
    """Layers in a chain: forward in order, backward in reverse."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def buffers(self):
        return [buffer for layer in self.layers for buffer in layer.buffers()]

    def forward(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def backward(self, grad):
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad
        ### END SOLUTION

    def parameters(self):
        ### BEGIN SOLUTION
        found, seen = [], set()
        for layer in self.layers:
            for param in layer.parameters():
                if id(param) not in seen:
                    seen.add(id(param))
                    found.append(param)
        return found
        ### END SOLUTION

    def train(self, mode=True):
        ### BEGIN SOLUTION
        super().train(mode)
        for layer in self.layers:
            layer.train(mode)
        return self
        ### END SOLUTION


def zero_grad(parameters):
    """Set every parameter's .grad to zeros of its shape."""
    ### BEGIN SOLUTION
    for param in parameters:
        param.grad = np.zeros_like(param.data)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "layers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The course's layers, as modules on your Layer. Weights are initialised with your init_linear
# (a convolution's fan-in is C * kh * kw: each output sums that many products).

class Linear(Layer):
    function = LinearFunction

    def __init__(self, fan_in, fan_out, rng):
        W, b = init_linear(fan_in, fan_out, rng)
        super().__init__(Parameter(W), Parameter(b))


class ReLU(Layer):
    function = ReLUFunction


class Dropout(Layer):
    function = DropoutFunction

    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def options(self):
        return (self.p, self.training, self.rng)


class BatchNorm1d(Layer):
    function = BatchNormFunction

    def __init__(self, features):
        super().__init__(Parameter(np.ones(features)), Parameter(np.zeros(features)))
        self.running_mean, self.running_var = np.zeros(features), np.ones(features)

    def buffers(self):
        return [self.running_mean, self.running_var]

    def options(self):
        return (self.running_mean, self.running_var, self.training)


class Conv2d(Layer):
    function = Conv2dFunction

    def __init__(self, channels_in, channels_out, kernel_size, padding, rng):
        W, b = init_linear(channels_in * kernel_size ** 2, channels_out, rng)
        W = W.T.reshape(channels_out, channels_in, kernel_size, kernel_size)
        super().__init__(Parameter(W), Parameter(b))
        self.padding = padding

    def options(self):
        return (self.padding,)


class MaxPool2d(Layer):
    function = MaxPool2dFunction


class Flatten(Module):
    """(N, ...) -> (N, everything else): an image becomes a vector."""

    def forward(self, x):
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad):
        return grad.reshape(self.shape)


# %% nbgrader={"grade": true, "grade_id": "test-module-system", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = rng_of(0)
x, upstream = random_inputs((5, 4), (5, 2), seed=37)
first, second = Linear(4, 3, rng), Linear(3, 2, rng)
model = Sequential(first, ReLU(), second)

# 1. forward: the layers in order
h = np.maximum(x @ first.params[0].data + first.params[1].data, 0.0)
expected = h @ second.params[0].data + second.params[1].data
assert close(model(x), expected), "Sequential.forward must run the layers in order, each on the last one's output"

# 2. backward: dL/dx, and every parameter's gradient, as the engine computes them
def engine_loss(x, W1, b1, W2, b2):
    return ((course.relu(x @ W1 + b1) @ W2 + b2) * upstream).sum()
engine = course.grad(engine_loss, argnums=(0, 1, 2, 3, 4))(x, *(p.data for p in model.parameters()))
zero_grad(model.parameters())
model(x)
dx = model.backward(upstream)
assert dx is not None and close(dx, engine[0]), "Sequential.backward must return dL/dx of the chain's input"
assert len(model.parameters()) == 4, f"the chain has 4 parameters (W, b of each Linear), not {len(model.parameters())}"
for k, (param, expected) in enumerate(zip(model.parameters(), engine[1:])):
    assert close(param.grad, expected), f"parameter {k} ({param}) got the wrong gradient"

# 3. a second backward pass without zero_grad adds up; zero_grad resets
model(x)
model.backward(upstream)
assert close(first.params[0].grad, 2 * engine[1]), (
    "without zero_grad, a second backward pass must ADD to .grad (it replaced it)")
zero_grad(model.parameters())
assert all(np.shape(p.grad) == p.data.shape and np.all(p.grad == 0) for p in model.parameters()), (
    "zero_grad must set every .grad to zeros of the parameter's shape")

# 4. shared weights: listed once, their gradient the sum of both uses
encode = Linear(4, 4, rng)
decode = Linear(4, 4, rng)
decode.params[0] = encode.params[0]                   # tied: the same Parameter object
tied = Sequential(encode, ReLU(), decode)
assert len(tied.parameters()) == 3, f"a shared Parameter is listed once: 3 parameters, not {len(tied.parameters())}"
def tied_loss(x, W, b1, b2):
    return ((course.relu(x @ W + b1) @ W + b2) * random_inputs((5, 4), seed=38)[0]).sum()
W_grad = course.grad(tied_loss, argnums=1)(x, encode.params[0].data, encode.params[1].data, decode.params[1].data)
zero_grad(tied.parameters())
tied(x)
tied.backward(random_inputs((5, 4), seed=38)[0])
assert close(encode.params[0].grad, W_grad), (
    "the shared W must get the SUM of both layers' gradients: add into .grad, do not overwrite it")

# 5. modes
model.eval()
assert not model.training and not any(layer.training for layer in model.layers), "eval() must reach every layer"
model.train()
assert model.training and all(layer.training for layer in model.layers), "train() must reach every layer"

# %% nbgrader={"grade": true, "grade_id": "test-module-system-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(Sequential(ReLU()).forward(np.ones((2, 3)))) == (2, 3)
### BEGIN HIDDEN TESTS
rng = rng_of(150)
model = Sequential(Flatten(), Linear(12, 5, rng), ReLU(), Linear(5, 5, rng), ReLU(), Linear(5, 5, rng))
model.layers[3].params[0] = model.layers[5].params[0]          # layers 3 and 5 share W
x = random_inputs((7, 3, 2, 2), seed=151)[0]
g = random_inputs((7, 5), seed=152)[0]
params = model.parameters()
assert len(params) == 5
def loss(x, W1, b1, W, b2, b3):
    h = course.relu(course.relu(x.reshape(7, 12) @ W1 + b1) @ W + b2)
    return ((h @ W + b3) * g).sum()
expected = course.grad(loss, argnums=tuple(range(6)))(x, *(p.data for p in params))
for _ in range(2):
    zero_grad(params)
    model(x)
    dx = model.backward(g)
assert close(dx, expected[0])
for p, e in zip(params, expected[1:]):
    assert close(p.grad, e)
nested = Sequential(ReLU(), Dropout(0.5, rng), Sequential(Dropout(0.1, rng), ReLU()))
nested.eval()
assert not nested.layers[1].training and not nested.layers[2].layers[0].training
nested.train()
assert nested.layers[2].layers[1].training and nested.layers[1].training
empty = Sequential()
assert empty.parameters() == [] and close(empty(np.ones(2)), np.ones(2))
### END HIDDEN TESTS

# %% [markdown]
# The two networks of this notebook, built from those layers. The MLP flattens the image and
# uses batch normalisation and dropout; the CNN has two convolutions (1 -> 16 -> 32 channels,
# 3 x 3, padding 1) each followed by ReLU and a max-pool (8 x 8 -> 4 x 4 -> 2 x 2), then one linear
# layer from the 32 x 2 x 2 = 128 features to the 10 classes.

# %% nbgrader={"grade": false, "grade_id": "models", "locked": true, "schema_version": 3, "solution": false, "task": false}
def make_mlp(rng):
    return Sequential(Flatten(), Linear(64, 128, rng), BatchNorm1d(128), ReLU(), Dropout(0.2, rng),
                      Linear(128, 10, rng))


def make_cnn(rng):
    return Sequential(Conv2d(1, 16, 3, 1, rng), ReLU(), MaxPool2d(),
                      Conv2d(16, 32, 3, 1, rng), ReLU(), MaxPool2d(),
                      Flatten(), Linear(128, 10, rng))


for name, make in (("MLP", make_mlp), ("CNN", make_cnn)):
    params = make(rng_of(0)).parameters()
    print(f"{name}: {len(params)} parameter arrays, {sum(p.data.size for p in params):,} numbers")

# %% [markdown]
# ## 8. Optimizers
#
# Plain gradient descent steps along $-\nabla L$ by the learning rate. Two improvements are in
# every deep learning library.
#
# **Momentum.** A heavy ball rolling downhill keeps its speed: it accumulates a **velocity** from
# past gradients, so it speeds up along a direction where the gradients agree, and the zig-zag
# across a narrow valley cancels out. PyTorch's `torch.optim.SGD(momentum=mu)` keeps one velocity
# per parameter (zero at first), built from the gradients so far, and moves the parameter against
# it, scaled by the learning rate. With a constant gradient $g$ its steps are
# $\text{lr}\cdot g$, $\text{lr}\cdot g(1 + \mu)$, $\text{lr}\cdot g(1 + \mu + \mu^2)$, ..., up to
# $\text{lr}\cdot g/(1 - \mu)$: ten times larger for $\mu = 0.9$. (Which update of the velocity,
# one step to the next, gives that sequence?)
#
# **Adam** (Kingma and Ba, 2015) also gives every parameter **its own step size**. It keeps two
# exponential moving averages per parameter, both zero at first: $m$ of the gradients (rate
# $\beta_1 = 0.9$, a momentum) and $v$ of the squared gradients (rate $\beta_2 = 0.999$, the
# gradient's typical size): $m \leftarrow \beta_1 m + (1 - \beta_1) g$, and the same for $v$ with
# $g^2$. The step is $\text{lr} \cdot \hat m / (\sqrt{\hat v} + \varepsilon)$, downhill, with
# $\varepsilon = 10^{-8}$: about the learning rate in size, whatever the gradient's scale.
# $\hat m$ and $\hat v$ are **bias-corrected**: an average that starts at zero is too small at
# first (after one step, $m = 0.1\, g$), and dividing it at step $t = 1, 2, \dots$ by
# $1 - \beta^t$ removes that bias exactly when the gradient is constant.

# %% nbgrader={"grade": false, "grade_id": "optimizer-base", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Optimizer:
    """Holds the parameters it updates; step() updates them from their .grad."""

    def __init__(self, parameters, lr):
        self.params, self.lr = list(parameters), lr

    def zero_grad(self):
        zero_grad(self.params)

    def step(self):
        raise NotImplementedError


# %% [markdown]
# ### Exercise 11: SGD with momentum
#
# **What to do.** Complete `SGD(parameters, lr, momentum=0.0)` as described above (PyTorch's
# convention): `__init__` sets up what `step()` needs, `step()` updates every parameter's `.data`
# in place from its `.grad`. With `momentum=0.0` it is plain gradient descent.
#
# **Example.** One parameter at 0 with a constant gradient of 1, `lr = 0.1`, `momentum = 0.9`:
# after three steps it is at about -0.561.
#
# <details><summary>Hint 1</summary>How many velocities are there, and of which shapes? When does
# one change?</details>
# <details><summary>Hint 2</summary>The parameter moves against the velocity, as it moves against
# the gradient without momentum.</details>

# %% nbgrader={"grade": false, "grade_id": "sgd-momentum", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SGD(Optimizer):
    """Stochastic gradient descent with momentum (torch.optim.SGD's update)."""

    def __init__(self, parameters, lr, momentum=0.0):
        super().__init__(parameters, lr)
        self.momentum = momentum
        ### BEGIN SOLUTION
        self.velocities = [np.zeros_like(p.data) for p in self.params]
        ### END SOLUTION

    def step(self):
        ### BEGIN SOLUTION
        for param, velocity in zip(self.params, self.velocities):
            velocity *= self.momentum
            velocity += param.grad
            param.data -= self.lr * velocity
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sgd-momentum", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def run_steps(optimizer_class, gradients, **settings):
    """The positions of a parameter (0 at first) after each step with the given gradients."""
    param = Parameter(np.zeros_like(gradients[0]))
    stepper = optimizer_class([param], **settings)
    positions = []
    for g in gradients:
        param.grad = np.array(g, dtype=np.float64)
        stepper.step()
        positions.append(param.data.copy())
    return np.array(positions)

plain = run_steps(SGD, [np.ones(1)] * 3, lr=0.1)
assert close(plain.ravel(), [-0.1, -0.2, -0.3]), f"momentum=0 is plain gradient descent: {plain.ravel()}"
positions = run_steps(SGD, [np.ones(1)] * 3, lr=0.1, momentum=0.9)
steps = 0.1 * np.cumsum([1.0, 1.9, 2.71])
assert close(positions.ravel(), -steps), (
    f"constant gradient 1, lr 0.1, momentum 0.9: positions {positions.ravel()}, expected {-steps}"
    + (": the parameter must move DOWNHILL" if close(positions.ravel(), steps) else ""))
a, b = Parameter(np.zeros(2)), Parameter(np.zeros((2, 2)))
sgd = SGD([a, b], lr=1.0, momentum=0.5)
a.grad, b.grad = np.ones(2), -np.ones((2, 2))
sgd.step()
sgd.step()
assert close(a.data, -2.5 * np.ones(2)) and close(b.data, 2.5 * np.ones((2, 2))), "each parameter has its own velocity"

# %% nbgrader={"grade": true, "grade_id": "test-sgd-momentum-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert run_steps(SGD, [np.ones(2)], lr=0.5).shape == (1, 2)
### BEGIN HIDDEN TESTS
rng = rng_of(160)
gradients = [rng.normal(size=(3, 2)) for _ in range(6)]
got = run_steps(SGD, gradients, lr=0.05, momentum=0.8)
v, p, expected = np.zeros((3, 2)), np.zeros((3, 2)), []
for g in gradients:
    v = 0.8 * v + g
    p = p - 0.05 * v
    expected.append(p)
assert close(got, np.array(expected))
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 12: Adam
#
# **What to do.** Complete `Adam(parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)` as described
# above (PyTorch's `torch.optim.Adam`, without weight decay): `__init__` sets up its state,
# `step()` updates every parameter in place.
#
# **Example.** With a constant gradient, whatever its size, every step moves a parameter by almost
# exactly the learning rate.
#
# <details><summary>Hint 1</summary>Which state is per parameter, and which is shared by all of
# them? What is t at the first step?</details>
# <details><summary>Hint 2</summary>Where does epsilon go: inside the square root, or after it?
# With a tiny gradient, the two differ a lot.</details>

# %% nbgrader={"grade": false, "grade_id": "adam", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Adam(Optimizer):
    """Adam (torch.optim.Adam's update, no weight decay)."""

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(parameters, lr)
        self.betas, self.eps = betas, eps
        ### BEGIN SOLUTION
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        ### END SOLUTION

    def step(self):
        ### BEGIN SOLUTION
        self.t += 1
        beta1, beta2 = self.betas
        for param, m, v in zip(self.params, self.m, self.v):
            m *= beta1
            m += (1 - beta1) * param.grad
            v *= beta2
            v += (1 - beta2) * param.grad ** 2
            m_hat = m / (1 - beta1 ** self.t)
            v_hat = v / (1 - beta2 ** self.t)
            param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-adam", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
for size in (1e-3, 1.0, 1e3):
    positions = run_steps(Adam, [np.full(1, size)] * 5, lr=0.01)
    assert np.all(np.isfinite(positions)), f"Adam produced {positions.ravel()}: is t 1 at the first step?"
    assert close(positions.ravel(), -0.01 * np.arange(1, 6), 1e-4), (
        f"a constant gradient {size:g}: positions {positions.ravel()}, expected about "
        f"{-0.01 * np.arange(1, 6)}: a step of lr each time"
        + (": without the bias correction the first steps are too large" if abs(positions[0, 0]) > 0.02 else ""))
positions = run_steps(Adam, [np.array([1.0]), np.array([-1.0])], lr=0.1)
m2, v2 = 0.9 * 0.1 - 0.1, 0.999 * 0.001 + 0.001
expected_second = -0.1 - 0.1 * (m2 / (1 - 0.9 ** 2)) / (np.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8)
assert close(positions[1, 0], expected_second), (
    f"gradients 1 then -1, lr 0.1: after two steps the parameter should be at {expected_second:.6f}, "
    f"not {positions[1, 0]:.6f}")
a, b = Parameter(np.zeros(2)), Parameter(np.zeros((3, 1)))
adam = Adam([a, b], lr=0.1)
a.grad, b.grad = np.ones(2), -5 * np.ones((3, 1))
adam.step()
assert close(a.data, -0.1 * np.ones(2), 1e-6) and close(b.data, 0.1 * np.ones((3, 1)), 1e-6), (
    "two parameters: each has its own moments")

# %% nbgrader={"grade": true, "grade_id": "test-adam-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert run_steps(Adam, [np.ones(2)], lr=0.5).shape == (1, 2)
### BEGIN HIDDEN TESTS
def adam_reference(gradients, lr, betas, eps):
    m = v = p = np.zeros_like(gradients[0])
    found = []
    for t, g in enumerate(gradients, start=1):
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        p = p - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
        found.append(p)
    return np.array(found)
rng = rng_of(170)
for scale, betas, eps in ((1.0, (0.9, 0.999), 1e-8), (1e-6, (0.9, 0.999), 1e-8), (10.0, (0.5, 0.9), 1e-3)):
    gradients = [scale * rng.normal(size=(2, 3)) for _ in range(8)]
    assert close(run_steps(Adam, gradients, lr=0.01, betas=betas, eps=eps), adam_reference(gradients, 0.01, betas, eps))
assert np.all(np.isfinite(run_steps(Adam, gradients, lr=0.01)))
### END HIDDEN TESTS

# %% [markdown]
# The three on the same problem: a narrow valley, $L(w) = \frac{1}{2}(w_1^2 + 25\, w_2^2)$, from
# the same start. Plain gradient descent zig-zags across the valley and crawls along it;
# momentum (same learning rate) damps the zig-zag and speeds up along the valley; Adam takes
# steps of about its learning rate in every direction, whatever the curvature.

# %% nbgrader={"grade": false, "grade_id": "valley-demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
def valley_path(optimizer_class, steps=40, **settings):
    param = Parameter(np.array([-4.0, 1.0]))
    stepper = optimizer_class([param], **settings)
    path = [param.data.copy()]
    for _ in range(steps):
        param.grad = np.array([1.0, 25.0]) * param.data
        stepper.step()
        path.append(param.data.copy())
    return np.array(path)

fig, ax = plt.subplots(figsize=(8, 3))
w1, w2 = np.meshgrid(np.linspace(-4.5, 1, 200), np.linspace(-1.3, 1.3, 100))
ax.contour(w1, w2, 0.5 * (w1 ** 2 + 25 * w2 ** 2), levels=12, colors="#cccccc", linewidths=0.7)
paths = {"SGD, lr 0.07": valley_path(SGD, lr=0.07),
         "SGD + momentum 0.5, lr 0.07": valley_path(SGD, lr=0.07, momentum=0.5),
         "Adam, lr 0.2": valley_path(Adam, lr=0.2)}
for (label, path), color in zip(paths.items(), (FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR)):
    ax.plot(path[:, 0], path[:, 1], marker=".", ms=4, lw=1, color=color, label=f"{label}: L = {0.5 * (path[-1] ** 2 @ [1, 25]):.2g} after 40 steps")
ax.plot([0], [0], marker="*", color="black", ms=10)
ax.set_xlabel("w1")
ax.set_ylabel("w2")
ax.legend(fontsize=8, frameon=False, loc="upper right")
show(fig, alt="Paths of three optimizers on the contours of L = (w1² + 25 w2²) / 2, w1 across "
     "and w2 up, from (" + ", ".join(f"{v:g}" for v in next(iter(paths.values()))[0])
     + ") towards the minimum (0, 0), marked by a star: " + "; ".join(
         f"{label} ends at ({path[-1][0]:.2g}, {path[-1][1]:.2g}), L = "
         f"{0.5 * (path[-1] ** 2 @ [1, 25]):.2g} after {len(path) - 1} steps, w2 swinging "
         f"between {path[:, 1].min():.2g} and {path[:, 1].max():.2g}"
         for label, path in paths.items()) + ".")

# %% [markdown]
# ## 9. Before training: check the whole model's gradient
#
# Every layer passed its own gradient check; a network can still be wired wrong (a layer whose
# `backward` is never called, a gradient handed to the wrong parameter, a shape that broadcasts
# silently). So practitioners check the **whole model** once, on a small batch: the loss as a
# function of every parameter, by central differences, as you did for single gates in notebook
# 01: $\frac{L(w + \varepsilon) - L(w - \varepsilon)}{2\varepsilon}$ for one entry $w$ at a time,
# compared with backprop's by the relative error
# $\lvert a - b \rvert / \max(10^{-8}, \lvert a \rvert + \lvert b \rvert)$ (CS231n's). A network has
# tens of thousands of weights and each entry costs two forward passes, so check a few entries of
# each parameter, drawn at random. In float64, a correct model gives errors around $10^{-7}$ or
# smaller; a mistake gives $10^{-2}$ or more.
#
# The loss must be a deterministic function of the parameters: check in training mode (batch
# normalisation then uses the batch's statistics) and without dropout (it draws a new mask at
# every forward pass).

# %% [markdown]
# ### Exercise 13: a gradient check of a whole model
#
# **What to do.** Complete `model_gradient_check(model, X, y, entries=5, eps=1e-6, seed=0)`. It
# computes backprop's gradient of `softmax_cross_entropy(model(X), y)` for every parameter (in
# training mode, from zero), then for each parameter, in `model.parameters()` order, `entries`
# entries drawn at random with `np.random.default_rng(seed)` (for a parameter with fewer entries,
# all of them); it returns a list: for each parameter, the largest relative error between
# backprop's and the central difference's value over its checked entries. Afterwards every
# parameter holds its original values.
#
# **Example.** For a correct MLP every error is below 1e-6; for a model whose ReLU lets gradients
# through where its input was negative, the parameters before that ReLU show errors far above
# 1e-3 (the test shows such a model).
#
# <details><summary>Hint 1</summary>Backprop's gradient first, and keep a copy: each perturbed
# forward pass changes the model's saved contexts (and maybe more). Which array do you perturb,
# and how do you put the entry back exactly?</details>
# <details><summary>Hint 2</summary><code>p.data.flat[k]</code> reads and writes the k-th entry of
# an array of any shape; <code>rng.choice(size, n, replace=False)</code> draws n distinct entry
# numbers.</details>

# %% nbgrader={"grade": false, "grade_id": "model-gradient-check", "locked": false, "schema_version": 3, "solution": true, "task": false}
def model_gradient_check(model, X, y, entries=5, eps=1e-6, seed=0):
    """[largest relative error per parameter]: backprop vs. central differences on the loss
    softmax_cross_entropy(model(X), y), at `entries` random entries of each parameter."""
    ### BEGIN SOLUTION
    model.train()
    params = model.parameters()
    zero_grad(params)
    _, d_logits = softmax_cross_entropy(model(X), y)
    model.backward(d_logits)
    analytic = [p.grad.copy() for p in params]
    picker = np.random.default_rng(seed)
    errors = []
    for param, grad in zip(params, analytic):
        worst = 0.0
        for k in picker.choice(param.data.size, min(entries, param.data.size), replace=False):
            kept = param.data.flat[k]
            param.data.flat[k] = kept + eps
            loss_plus, _ = softmax_cross_entropy(model(X), y)
            param.data.flat[k] = kept - eps
            loss_minus, _ = softmax_cross_entropy(model(X), y)
            param.data.flat[k] = kept
            numeric = (loss_plus - loss_minus) / (2 * eps)
            worst = max(worst, rel_error(grad.flat[k], numeric))
        errors.append(worst)
    return errors
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "leaky-relu-bug", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A bug to find: a ReLU whose backward pass lets every gradient through.

class PassThroughReLUFunction(ReLUFunction):
    @staticmethod
    def backward(ctx, grad_y):
        return grad_y


class PassThroughReLU(Layer):
    function = PassThroughReLUFunction


def fixed_weights(model, rng):
    """The model, its parameters set to random values of std 0.1 (weights) and 0.05 (biases): the
    tests that use it do not depend on init_linear."""
    for param in model.parameters():
        param.data = (0.1 if param.data.ndim >= 2 else 0.05) * rng.standard_normal(param.data.shape)
    return model


def small_mlp(rng, relu_layer=ReLU):
    """Flatten - Linear(64, 32) - ReLU - Linear(32, 10), with fixed_weights."""
    return fixed_weights(Sequential(Flatten(), Linear(64, 32, rng), relu_layer(), Linear(32, 10, rng)), rng)


# %% nbgrader={"grade": true, "grade_id": "test-model-gradient-check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
X, y = data.X_train[:20], data.y_train[:20]
model = small_mlp(rng_of(1))
before = [p.data.copy() for p in model.parameters()]
for p in model.parameters():
    p.grad = np.full_like(p.data, 7.0)               # leftovers of an earlier backward pass
errors = model_gradient_check(model, X, y)
print("correct model, largest relative error per parameter:", [f"{e:.1e}" for e in errors])
assert isinstance(errors, list) and len(errors) == 4, "one error per parameter (4 for this model), in a list"
assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before)), (
    "after the check every parameter must hold its original values: put each entry back")
assert max(errors) < 1e-6, (
    f"a correct model has errors below 1e-6, but yours reports {max(errors):.2g}: "
    "start backprop's gradients from zero, and divide the central difference by 2 eps")
buggy = small_mlp(rng_of(1), relu_layer=PassThroughReLU)
errors = model_gradient_check(buggy, X, y)
print("the pass-through ReLU:                              ", [f"{e:.1e}" for e in errors])
assert min(errors[:2]) > 1e-3 and max(errors[2:]) < 1e-6, (
    f"the pass-through ReLU is the model's 3rd layer: parameters 0 and 1 come before it (their "
    f"errors must be large), 2 and 3 after it (small); your check reports {[f'{e:.1e}' for e in errors]}")

# %% nbgrader={"grade": true, "grade_id": "test-model-gradient-check-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(model_gradient_check(fixed_weights(Sequential(Flatten(), Linear(64, 10, rng_of(0))), rng_of(0)), data.X_train[:3], data.y_train[:3], entries=1)) == 2
### BEGIN HIDDEN TESTS
deeper = fixed_weights(Sequential(Flatten(), Linear(64, 8, rng_of(180)), ReLU(), Linear(8, 8, rng_of(181)), ReLU(), Linear(8, 10, rng_of(181))), rng_of(180))
errors = model_gradient_check(deeper, data.X_train[:8], data.y_train[:8], entries=4, seed=3)
assert len(errors) == 6 and max(errors) < 1e-6
errors = model_gradient_check(fixed_weights(Sequential(Flatten(), Linear(64, 3, rng_of(183))), rng_of(183)), data.X_train[:5], np.array([0, 1, 2, 0, 1]), entries=500)
assert len(errors) == 2 and max(errors) < 1e-6
class HalfGradientLinear(Linear):
    def backward(self, grad):
        dx = super().backward(grad)
        self.params[1].grad *= 0.5
        return dx
bad = fixed_weights(Sequential(Flatten(), HalfGradientLinear(64, 10, rng_of(184))), rng_of(184))
errors = model_gradient_check(bad, data.X_train[:5], data.y_train[:5], entries=3)
assert errors[0] < 1e-6 and errors[1] > 0.1
### END HIDDEN TESTS

# %% [markdown]
# The check on this notebook's two networks (the MLP with its dropout switched off, and batch
# normalisation in training mode), on 20 training images. Look at the CNN's second parameter, the
# bias of its first convolution:

# %% nbgrader={"grade": false, "grade_id": "check-both-networks", "locked": true, "schema_version": 3, "solution": false, "task": false}
mlp_to_check = make_mlp(rng_of(3))
mlp_to_check.layers[4].p = 0.0                      # dropout off: a deterministic loss
cnn_to_check = make_cnn(rng_of(3))
for name, model in (("MLP", mlp_to_check), ("CNN", cnn_to_check)):
    errors = model_gradient_check(model, data.X_train[:20], data.y_train[:20], entries=4)
    print(f"{name}: largest relative error per parameter:", " ".join(f"{e:.0e}" for e in errors))

# %% [markdown]
# Is the CNN's backward pass wrong? No: the check is. The images' background pixels are exactly 0,
# so wherever a filter sees only background its output is its bias, 0 at initialisation: exactly
# on ReLU's kink. A central difference there averages the two slopes (1/2) where backprop uses the
# slope at 0 (0). Move the biases off zero and check again:

# %% nbgrader={"grade": false, "grade_id": "check-off-the-kink", "locked": true, "schema_version": 3, "solution": false, "task": false}
for layer in cnn_to_check.layers:
    if isinstance(layer, Conv2d):
        layer.params[1].data += 0.01
errors = model_gradient_check(cnn_to_check, data.X_train[:20], data.y_train[:20], entries=4)
print("CNN, biases at 0.01: largest relative error per parameter:", " ".join(f"{e:.0e}" for e in errors))

# %% [markdown]
# ## 10. The training loop
#
# One **epoch** is one pass over the training set in **minibatches**: reshuffle the training set
# (a new random order every epoch, so that the batches differ), then for each batch: forward,
# loss, `zero_grad`, backward, optimizer step. After each epoch, measure the loss and accuracy on
# the validation set, in **evaluation mode** (no dropout, batch normalisation with its running
# statistics), and keep a copy of the model's state whenever the validation accuracy is the best
# so far: at the end the model goes back to its best epoch (**best-checkpoint selection**, the
# cousin of early stopping, which would also stop training once the validation accuracy has not
# improved for a while). The state is the parameters **and** the buffers (running statistics):
# restoring the weights of epoch 5 with the running statistics of epoch 20 gives a model that
# never existed.
#
# `evaluate(model, X, y)` below measures the loss and accuracy of a whole set, in evaluation mode
# (it leaves the model in evaluation mode).

# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false, "task": false}
def evaluate(model, X, y, batch_size=500):
    """(mean loss, accuracy) of `model` on (X, y), in evaluation mode (it stays in it)."""
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        logits = model(X[start:start + batch_size])
        labels = y[start:start + batch_size]
        total_loss += softmax_cross_entropy(logits, labels)[0] * len(labels)
        correct += int(np.sum(logits.argmax(axis=1) == labels))
    return total_loss / len(y), correct / len(y)


# %% [markdown]
# ### Exercise 14: `fit`
#
# **What to do.** Complete `fit(model, optimizer, data, epochs, batch_size, seed, callback=None)`.
# `data` has `X_train`, `y_train`, `X_val`, `y_val`. With one generator for the whole run,
# `np.random.default_rng(seed)`, each epoch:
#
# 1. puts the model in training mode, and draws a new order of the training set with
#    `rng.permutation`;
# 2. for each batch of `batch_size` consecutive examples of that order (the last one may be
#    smaller): forward pass, `softmax_cross_entropy`, zero the gradients, backward pass, a step
#    of the optimizer, then the callback if one is given, with the arguments `(step, epoch,
#    model)` (`step` counts the batches from 0 over the whole run);
# 3. records the epoch in `history`: `"train_loss"` and `"train_acc"` (the mean over the epoch's
#    batches, weighted by their sizes, of the batch loss and accuracy as the training-mode forward
#    pass gave them) and `"val_loss"` and `"val_acc"` (`evaluate` on the validation set);
# 4. keeps a copy of every parameter's `.data` and of every buffer when the validation accuracy is
#    the best so far (the earliest epoch on a tie).
#
# At the end it copies the best epoch's parameters and buffers back into the model (in place) and
# returns `history`, a dict of those four lists (one entry per epoch) and `"best_epoch"` (an int,
# from 0).
#
# **Example.** On 30 training images, a small MLP reaches a training accuracy of 100% within 40
# epochs: **overfit a tiny batch first**, the first test of any training loop (if it cannot
# memorise 30 images, something is broken).
#
# <details><summary>Hint 1</summary><code>order[start:start + batch_size]</code> indexes the
# batch. Which mode must the model be in when the next epoch starts (after
# <code>evaluate</code>)?</details>
# <details><summary>Hint 2</summary><code>model.parameters()</code> and
# <code>model.buffers()</code> are lists of arrays you can copy (<code>.copy()</code>) and write
# back into (<code>a[...] = saved</code>).</details>

# %% nbgrader={"grade": false, "grade_id": "fit", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fit(model, optimizer, data, epochs, batch_size, seed, callback=None):
    """Train with shuffled minibatches; keep the epoch of best validation accuracy. Returns
    history: {"train_loss", "train_acc", "val_loss", "val_acc": one per epoch, "best_epoch"}."""
    ### BEGIN SOLUTION
    shuffler = np.random.default_rng(seed)
    params = model.parameters()
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "best_epoch": None}
    best_acc, best_state, step = -1.0, None, 0
    n = len(data.y_train)
    for epoch in range(epochs):
        model.train()
        order = shuffler.permutation(n)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            logits = model(data.X_train[batch])
            loss, d_logits = softmax_cross_entropy(logits, data.y_train[batch])
            zero_grad(params)
            model.backward(d_logits)
            optimizer.step()
            if callback is not None:
                callback(step, epoch, model)
            step += 1
            loss_sum += loss * len(batch)
            correct += int(np.sum(logits.argmax(axis=1) == data.y_train[batch]))
        val_loss, val_acc = evaluate(model, data.X_val, data.y_val)
        for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc"),
                              (loss_sum / n, correct / n, val_loss, val_acc)):
            history[key].append(value)
        if val_acc > best_acc:
            best_acc, history["best_epoch"] = val_acc, epoch
            best_state = [a.copy() for a in [p.data for p in params] + model.buffers()]
    for array, saved in zip([p.data for p in params] + model.buffers(), best_state):
        array[...] = saved
    return history
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "fit-test-tools", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Made-up models and data that the tests of fit use (you may use them too).

X = np.arange(10.0)[:, None]         # ten made-up examples: each is its own number


class Batches:
    """Train/validation arrays in the shape fit expects."""

    def __init__(self, X_train, y_train, X_val, y_val):
        self.X_train, self.y_train, self.X_val, self.y_val = X_train, y_train, X_val, y_val


class Recorder(Module):
    """A model that predicts class 0 and records what it sees: the batches, in which mode."""

    def __init__(self):
        self.w = Parameter(np.zeros(1))
        self.seen = []

    def parameters(self):
        return [self.w]

    def forward(self, x):
        self.seen.append((x[:, 0].astype(int).tolist(), self.training))
        return np.zeros((len(x), 2))

    def backward(self, grad):
        return np.zeros((len(grad), 1))


class Scripted(Module):
    """A model whose validation accuracy follows a script: parameter w = k classifies the first
    k validation examples right. Its buffer counts the training forward passes."""

    def __init__(self):
        self.w = Parameter(np.zeros(1))
        self.count = np.zeros(1)

    def parameters(self):
        return [self.w]

    def buffers(self):
        return [self.count]

    def forward(self, x):
        if self.training:
            self.count += 1
        right = np.arange(len(x)) < self.w.data[0]
        return np.where(right[:, None], [[1.0, 0.0]], [[0.0, 1.0]])   # label 0 is right

    def backward(self, grad):
        return np.zeros((len(grad), 1))


class Frozen(Optimizer):
    """An optimizer whose steps change nothing."""

    def __init__(self, parameters):
        super().__init__(parameters, lr=0.0)

    def step(self):
        pass


class ScriptOptimizer(Optimizer):
    """Sets the parameters to the next values of a script at every step."""

    def __init__(self, parameters, script):
        super().__init__(parameters, lr=0.0)
        self.script = iter(script)

    def step(self):
        self.params[0].data[...] = next(self.script)


# %% nbgrader={"grade": true, "grade_id": "test-fit", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# 1. Overfit a tiny batch: 30 real images, a small MLP.
tiny = Batches(data.X_train[:30], data.y_train[:30], data.X_val[:30], data.y_val[:30])
model = small_mlp(rng_of(2))
history = fit(model, Adam(model.parameters(), lr=0.01), tiny, epochs=40, batch_size=10, seed=0)
print(f"30 training images: training accuracy {history['train_acc'][-1]:.0%}, loss {history['train_loss'][-1]:.3f}")
assert set(history) >= {"train_loss", "train_acc", "val_loss", "val_acc", "best_epoch"}, f"history keys: {sorted(history)}"
assert all(len(history[key]) == 40 for key in ("train_loss", "train_acc", "val_loss", "val_acc")), "one entry per epoch"
assert history["train_acc"][-1] == 1.0 and history["train_loss"][-1] < history["train_loss"][0] / 5, (
    f"a small MLP must memorise 30 images: training accuracy {history['train_acc'][-1]:.0%}, loss from "
    f"{history['train_loss'][0]:.3f} to {history['train_loss'][-1]:.3f}")

# 2. Minibatches: every example once per epoch, a new order each epoch, training mode.
recorder = Recorder()
fit(recorder, Frozen(recorder.parameters()), Batches(X, np.zeros(10, int), X[:3], np.zeros(3, int)),
    epochs=3, batch_size=4, seed=0)
training = [batch for batch, mode in recorder.seen if mode]
assert [len(b) for b in training] == [4, 4, 2] * 3, (
    f"batches of 4 over 10 examples, three epochs: sizes {[len(b) for b in training]}, expected [4, 4, 2] * 3")
epochs = [sum(training[3 * e:3 * e + 3], []) for e in range(3)]
assert all(sorted(e) == list(range(10)) for e in epochs), "each epoch sees every training example exactly once"
assert epochs[0] != epochs[1] != epochs[2], "reshuffle every epoch: the order must change"
assert all(not mode for batch, mode in recorder.seen if batch == [0, 1, 2]), "validate in evaluation mode"
assert sum(1 for _, mode in recorder.seen if not mode) == 3, "one validation pass per epoch"

# 3. The best epoch's parameters and buffers come back.
model = Scripted()
script = [1, 2, 5, 5, 3, 2]                           # one step per epoch (batch_size = the whole set)
history = fit(model, ScriptOptimizer(model.parameters(), script), Batches(X, np.zeros(10, int), X, np.zeros(10, int)),
              epochs=6, batch_size=10, seed=0)
assert close(history["val_acc"], [0.1, 0.2, 0.5, 0.5, 0.3, 0.2]), f"validation accuracy per epoch: {history['val_acc']}"
assert history["best_epoch"] == 2, f"the best validation accuracy is first reached in epoch 2, not {history['best_epoch']}"
assert model.w.data[0] == 5, f"after fit the model must hold the best epoch's parameters (w = 5), not w = {model.w.data[0]}"
assert model.count[0] == 3, (
    f"and its buffers too: the best epoch had seen 3 training batches, the model's buffer says {model.count[0]:g}")

# %% nbgrader={"grade": true, "grade_id": "test-fit-hidden", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert len(fit(Recorder(), Frozen([Parameter(np.zeros(1))]), Batches(X, np.zeros(10, int), X[:2], np.zeros(2, int)), 1, 5, 0)["val_acc"]) == 1
### BEGIN HIDDEN TESTS
# The student's pipeline (layers, modules, Adam, fit), retrained from scratch with a fixed seed
# and scored once on the test set. The weights are drawn again with the reference initialisation,
# so that this test grades the training (init_linear has its own tests).
fresh = digits_split()
for name, make, lr, epochs, needed in (("MLP", make_mlp, 3e-3, 20, 0.95), ("CNN", make_cnn, 3e-3, 20, 0.97)):
    model = make(rng_of(11))
    reference = rng_of(12)
    for layer in model.layers:
        if isinstance(layer, (Linear, Conv2d)):
            W = layer.params[0].data
            W[...] = reference.standard_normal(W.shape) * np.sqrt(2.0 / (W[0].size if W.ndim == 4 else W.shape[0]))
            layer.params[1].data[...] = 0.0
    history = fit(model, Adam(model.parameters(), lr=lr), fresh, epochs=epochs, batch_size=32, seed=11)
    val_loss, val_acc = evaluate(model, fresh.X_val, fresh.y_val)
    assert close(val_acc, max(history["val_acc"])), "the model must end at its best validation epoch"
    test_loss, test_acc = evaluate(model, fresh.X_test, fresh.y_test)
    assert test_acc >= needed, f"{name}: test accuracy {test_acc:.1%} < {needed:.0%}"
# the callback is called once per step, with the step number
calls = []
fit(Recorder(), Frozen([Parameter(np.zeros(1))]), Batches(X, np.zeros(10, int), X[:2], np.zeros(2, int)),
    epochs=2, batch_size=3, seed=1, callback=lambda step, epoch, model: calls.append((step, epoch)))
assert calls == [(0, 0), (1, 0), (2, 0), (3, 0), (4, 1), (5, 1), (6, 1), (7, 1)]
### END HIDDEN TESTS

# %% [markdown]
# ## 11. Watching a network train
#
# Loss curves say *that* something is wrong; per-layer numbers say *where*. Two that practitioners
# watch (Karpathy's "A recipe for training neural networks", CS231n's notes):
#
# - the **gradient norm of each layer**: a layer whose gradients are orders of magnitude smaller
#   than the others' learns that much slower (vanishing gradients); one that grows step after step
#   diverges;
# - the **update-to-weight ratio**: how far one optimizer step moves a layer's weights, relative
#   to their size. A rule of thumb says about $10^{-3}$: much smaller and the layer barely learns
#   (learning rate too low), much larger and each step overwrites what it learned (too high).
#
# And for ReLU networks, the fraction of **dead units**, whose output is 0 for every example of a
# batch: a dead unit gets no gradient, so nothing revives it.

# %% [markdown]
# ### Exercise 15: the update-to-weight ratio
#
# **What to do.** Complete `update_ratio(before, after)`: the size (Frobenius norm, the square root
# of the sum of squares of all entries) of the update `after - before` of a weight array, divided
# by the size of the weights before it. Both arrays have the same shape; it returns a float.
#
# **Example.** From `[3.0, 4.0]` to `[3.03, 4.04]` the ratio is 0.01.
#
# <details><summary>Hint 1</summary>One ratio of two norms, not a mean of ratios entry by
# entry (what would an entry that is 0 do?).</details>

# %% nbgrader={"grade": false, "grade_id": "update-ratio", "locked": false, "schema_version": 3, "solution": true, "task": false}
def update_ratio(before, after):
    """||after - before|| / ||before||, both norms over all entries."""
    ### BEGIN SOLUTION
    return float(np.linalg.norm(after - before) / np.linalg.norm(before))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-update-ratio", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ratio = update_ratio(np.array([3.0, 4.0]), np.array([3.03, 4.04]))
assert isinstance(ratio, float) and close(ratio, 0.01), f"from [3, 4] to [3.03, 4.04]: 0.01, not {ratio}"
before = np.array([[1.0, 0.0], [2.0, 2.0]])
after = before + np.array([[0.0, 0.3], [0.0, 0.4]])
assert close(update_ratio(before, after), 0.5 / 3.0), (
    f"the norm of the update (0.5) over the norm of the weights (3): {0.5 / 3:.4f}, not "
    f"{update_ratio(before, after):.4f}" + (" (an entry that is 0 must not matter on its own)" if not np.isfinite(update_ratio(before, after)) else ""))

# %% nbgrader={"grade": true, "grade_id": "test-update-ratio-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.isfinite(update_ratio(np.ones(3), np.ones(3)))
### BEGIN HIDDEN TESTS
assert update_ratio(np.ones((2, 3, 4)), np.ones((2, 3, 4))) == 0.0
w = random_inputs((16, 8, 3, 3), seed=190)[0]
dw = 1e-3 * random_inputs((16, 8, 3, 3), seed=191)[0]
assert close(update_ratio(w, w + dw), np.sqrt((dw ** 2).sum() / (w ** 2).sum()))
assert close(update_ratio(2 * w, 2 * (w + dw)), update_ratio(w, w + dw))
### END HIDDEN TESTS

# %% [markdown]
# ### The MLP, trained while the monitor watches
#
# `watch(monitor)` below makes a callback for `fit` that records, every few steps, the gradient
# norm and the update-to-weight ratio (your function) of each layer's weights, and the fraction
# of dead units of each ReLU; once per epoch the monitor redraws. The slider picks a snapshot.
# The MLP trains with the settings the hidden tests use (they train it again, with another seed).

# %% nbgrader={"grade": false, "grade_id": "monitoring", "locked": true, "schema_version": 3, "solution": false, "task": false}
SETTINGS = {"MLP": dict(make=make_mlp, lr=3e-3, epochs=20, batch_size=32),
            "CNN": dict(make=make_cnn, lr=3e-3, epochs=20, batch_size=32)}


def weight_layers(model):
    """{name: layer} of the layers with weights, and {name: layer} of the ReLUs."""
    named = {f"{k} {type(layer).__name__}": layer for k, layer in enumerate(model.layers)}
    weights = {name: layer for name, layer in named.items() if isinstance(layer, (Linear, Conv2d))}
    relus = {name: layer for name, layer in named.items() if isinstance(layer, ReLU)}
    return weights, relus


def dead_fraction(relu_layer):
    """The fraction of units of a ReLU whose output was 0 for every example of the last batch."""
    (positive,) = relu_layer.ctx.saved_tensors
    return float(np.mean(~positive.any(axis=0)))


def watch(monitor, every=5):
    """A callback for fit that records the model's per-layer numbers into `monitor` every `every`
    steps, and redraws at the start of each epoch."""
    previous = {}

    def snapshot(step, epoch, model):
        weights, relus = weight_layers(model)
        if step % every == 0 and previous:
            monitor.record(step,
                           {name: float(np.linalg.norm(layer.params[0].grad)) for name, layer in weights.items()},
                           {name: update_ratio(previous[name], layer.params[0].data) for name, layer in weights.items()},
                           {name: dead_fraction(layer) for name, layer in relus.items()},
                           epoch=epoch, show=epoch != snapshot.epoch and epoch % 5 == 0)
            snapshot.epoch = epoch
        previous.update({name: layer.params[0].data.copy() for name, layer in weights.items()})

    snapshot.epoch = 0
    return snapshot


def train(name, seed, callback=None):
    """Build the named network with seed `seed` and fit it with its SETTINGS on the digits.
    Returns (model, history, seconds)."""
    settings = SETTINGS[name]
    model = settings["make"](rng_of(seed))
    started = time.perf_counter()
    history = fit(model, Adam(model.parameters(), lr=settings["lr"]), data, settings["epochs"],
                  settings["batch_size"], seed, callback)
    return model, history, time.perf_counter() - started


# %% nbgrader={"grade": false, "grade_id": "train-mlp", "locked": true, "schema_version": 3, "solution": false, "task": false}
monitor = TrainingMonitor()
display(monitor)
mlp, mlp_history, mlp_seconds = train("MLP", seed=0, callback=watch(monitor))
monitor.show_latest()
print(f"MLP: {mlp_seconds:.1f} s for {len(mlp_history['val_acc'])} epochs "
      f"({mlp_seconds / len(mlp_history['val_acc']):.2f} s per epoch); best validation accuracy "
      f"{max(mlp_history['val_acc']):.1%} in epoch {mlp_history['best_epoch'] + 1}")
title = "MLP (Linear - BatchNorm - ReLU - Dropout - Linear)"
show(plot_history(mlp_history, title=title)[0].figure, alt=history_alt(mlp_history, title=title))

# %% [markdown]
# ## 12. The CNN
#
# The same loop, the same optimizer; only the model changes. Each epoch costs more (two
# convolutions over every image), and the convolutions' weight sharing pays off in accuracy.

# %% nbgrader={"grade": false, "grade_id": "train-cnn", "locked": true, "schema_version": 3, "solution": false, "task": false}
cnn, cnn_history, cnn_seconds = train("CNN", seed=0)
print(f"CNN: {cnn_seconds:.1f} s for {len(cnn_history['val_acc'])} epochs "
      f"({cnn_seconds / len(cnn_history['val_acc']):.2f} s per epoch); best validation accuracy "
      f"{max(cnn_history['val_acc']):.1%} in epoch {cnn_history['best_epoch'] + 1}")
title = "CNN (Conv - ReLU - MaxPool) x 2 - Linear"
show(plot_history(cnn_history, title=title)[0].figure, alt=history_alt(cnn_history, title=title))

# %% [markdown]
# ## 13. The test set, once
#
# Both networks are chosen (architecture, settings, best epoch) on the validation set. Now, and
# only now, the test set gives the numbers to report. The mistakes the CNN makes are drawn below,
# with what it said.

# %% nbgrader={"grade": false, "grade_id": "test-set-once", "locked": true, "schema_version": 3, "solution": false, "task": false}
results = {name: evaluate(model, data.X_test, data.y_test) for name, model in (("MLP", mlp), ("CNN", cnn))}
for name, (test_loss, test_acc) in results.items():
    print(f"{name}: test accuracy {test_acc:.1%} ({round(test_acc * len(data.y_test))} of "
          f"{len(data.y_test)}), test loss {test_loss:.3f}")
predictions = cnn(data.X_test).argmax(axis=1)
wrong = np.flatnonzero(predictions != data.y_test)
if len(wrong):
    title = "the CNN's mistakes on the test set"
    show(show_digits(data.X_test[wrong], data.y_test[wrong], predictions[wrong], title=title),
         alt=digits_alt(data.y_test[wrong], predictions[wrong], title=title))

# %% [markdown]
# ## What you learned
#
# - A layer is a `Function` on batches (the mathematics, checkable on its own) inside a module
#   (the state: parameters, mode, running statistics, random generator), as in PyTorch.
# - Initialisation keeps the signal's size through depth: variance $2/\text{fan-in}$ for ReLU.
# - Dropout: a saved mask, inverted scaling in training, the identity at test time. Batch
#   normalisation: batch statistics in training (every example's gradient depends on the whole
#   batch, through the mean and the variance), running statistics in evaluation.
# - A backward pass can be written step by step from its graph, or derived once into a compact
#   form: check one against the other.
# - A convolution's backward pass is a convolution with the flipped filter (for the input) and a
#   correlation of input and gradient (for the filter); im2col turns it all into notebook 04's
#   matrix product, many times faster than loops. Max-pooling routes, like the max gate.
# - Parameters used twice need their gradients added: modules add into `.grad`, and `zero_grad`
#   starts each step from zero (PyTorch's way; the course's engine recomputes instead).
# - Momentum accumulates a velocity; Adam adapts a step size per parameter, with bias correction.
# - Train on the training set, choose on the validation set, report the test set once. Before a
#   long run: overfit a tiny batch, check the whole model's gradient, and watch each layer's
#   gradient norm and update-to-weight ratio.
