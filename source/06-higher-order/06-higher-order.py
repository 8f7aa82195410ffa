# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Higher-order derivatives: differentiating the backward pass
#
# The backward pass is a computation like any other: multiplications and additions of local
# gradients. So it can be differentiated too. That gives second derivatives, Hessian-vector
# products, and second-order optimisers such as Newton's method.
#
# **What you will learn**
#
# 1. Why `course.grad(course.grad(f))` works, and what it computes; the sigmoid's second
#    derivative by hand and by the engine.
# 2. Three ways to multiply the Hessian by a vector without building the Hessian:
#    forward-over-reverse, reverse-over-reverse, and finite differences of gradients, compared for
#    accuracy and speed.
# 3. Why a finite-difference step can be too large *and* too small (truncation against round-off).
# 4. A whole Hessian, one column per Hessian-vector product.
# 5. Newton's method, which uses the Hessian, against gradient descent: a few steps instead of
#    thousands, and *quadratic convergence*.
#
# Run the cells in order. Each exercise has a visible test right after it; hidden tests check more
# cases when your work is graded.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
import numpy as np

import course
from course import Value
from course.timing import best_time
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, draw_graph
from course.gradcheck import check_jvp, numerical_grad

SECOND_COLOR = "#7048e8"   # in this notebook: second derivatives (curvature)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The backward pass is a computation too
#
# Take the sigmoid gate $s = \sigma(x)$. Its backward rule multiplies the upstream gradient by the
# local gradient $s(1 - s)$. That local gradient is itself computed by a little program: one
# subtraction and one multiplication, starting from $s$, which came from $x$. Write that program with
# `Value`s instead of plain floats and it gets a graph of its own. Backprop through *that* graph
# gives the derivative of the derivative: $\sigma''(x)$.
#
# The cell below does exactly this at $x = 0.8$. The output of the graph is $\sigma'(x)$; after
# `backward()`, `x.grad` holds $\sigma''(x)$.

# %%
x = Value(0.8, label="x")
s = x.sigmoid()
slope = s * (1 - s)        # the sigmoid's backward rule, written as a computation on Values
slope.backward()           # ...and backprop through it

draw_graph(slope, title="the graph of σ'(x) = s (1 - s): backprop through it gives σ''(x)")
plt.show()
print(f"sigma'(0.8)  = {slope.data:.6f}   the value of the gradient program")
print(f"sigma''(0.8) = {x.grad:.6f}   its gradient: backprop through backprop")


# %% [markdown]
# The engine does this for you. Its reverse-mode rules (`course/vjp_rules.py`) are written with the
# engine's own primitives, so when `course.grad(f)` runs its backward pass inside another
# transform, every operation of that backward pass is recorded too. `course.grad(course.grad(f))`
# is the gradient of the gradient: for a function of one number, $f''$. Nesting works with any mix
# of transforms: `course.jvp` of `course.grad`, `course.jacfwd` of `course.jacrev`, and so on.
#
# Remember that `course.grad` needs a function whose output is a single number (shape `()`), and
# that the function must use operations the engine knows (operators, `course.tanh`, `x.exp()`, ...).
#
# ### Exercise 1: the sigmoid's second derivative, by hand
#
# **What to do.** Write `sigmoid_second_derivative(x)`: $\sigma''(x)$ as a formula in numpy, for a
# number or an array `x` (element-wise).
#
# **Approach.** Start from $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$, a product of two functions of $x$
# whose derivatives you know. Apply the product rule, then write the result using $\sigma$ only and
# factor it.
#
# **Example.** At $x = 0$, $\sigma = 1/2$ sits at the centre of the S-curve where the slope is
# largest, so $\sigma''(0) = 0$. The figure above gives the value at $x = 0.8$.
#
# **Hints.** The chain rule inside the product rule: $\frac{d}{dx}\big(1 - \sigma(x)\big) = -\sigma'(x)$,
# not $-1$. Compute $\sigma$ with `0.5 * (1 + np.tanh(0.5 * x))` (the same as $1/(1+e^{-x})$, with no
# overflow warning for large $|x|$). The test compares with finite differences of the engine's
# $\sigma'$.

# %% nbgrader={"grade": false, "grade_id": "sigmoid-second-derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_second_derivative(x):
    """sigma''(x), element-wise, as a formula in sigma(x)."""
    ### BEGIN SOLUTION
    s = 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
    return s * (1 - s) * (1 - 2 * s)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-second-derivative", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
sigmoid_slope = course.grad(course.sigmoid)          # sigma'(x), from the engine
for x0 in (0.8, -1.5, 3.0):
    expected = numerical_grad(sigmoid_slope, np.array(x0))   # finite differences of sigma'
    got = sigmoid_second_derivative(x0)
    assert np.isclose(got, expected, rtol=1e-6, atol=1e-10), (
        f"sigma''({x0}): finite differences of sigma' give {float(expected):.8f}, your formula "
        f"{float(got):.8f}. Did you apply the chain rule to (1 - sigma(x))?")
assert np.isclose(sigmoid_second_derivative(0.0), 0.0, atol=1e-15), (
    f"sigma''(0) must be 0 (the slope of the sigmoid is largest at 0); got {sigmoid_second_derivative(0.0)}")

# %% nbgrader={"grade": true, "grade_id": "test-sigmoid-second-derivative-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = sigmoid_second_derivative(0.5)  # runs your code once
### BEGIN HIDDEN TESTS
_grad2 = course.grad(course.grad(course.sigmoid))
_xs = np.array([-6.0, -2.2, -0.3, 0.0, 0.45, 1.1, 2.5, 7.0])
_got = np.asarray(sigmoid_second_derivative(_xs))
assert _got.shape == _xs.shape, f"element-wise: an input of shape {_xs.shape} gives the same shape"
_expected = np.array([float(_grad2(v)) for v in _xs])
assert np.allclose(_got, _expected, rtol=1e-10, atol=1e-14), "sigma'' on an array of points"
_X = np.linspace(-3, 3, 6).reshape(2, 3)
assert np.allclose(sigmoid_second_derivative(_X), np.array([float(_grad2(v)) for v in _X.ravel()]).reshape(2, 3))
# far from 0: finite and tiny, no overflow warning
_far = np.asarray(sigmoid_second_derivative(np.array([-40.0, 40.0])))
assert np.all(np.isfinite(_far)) and np.all(np.abs(_far) < 1e-15), "sigma'' far from 0 is tiny"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: second derivatives with the engine
#
# **What to do.** Write `second_derivative(f)`: return a **function** that computes $f''(x)$ for a
# function `f` of one number, using `course.grad` twice.
#
# **Approach.** `course.grad(f)` is a function (the derivative of `f`); apply `course.grad` to it.
#
# **Example.** For `f = lambda x: x ** 3`, `second_derivative(f)(1.5)` is $6 \cdot 1.5 = 9$. For
# $\tanh$: $\tanh' = 1 - \tanh^2$ and $\tanh'' = -2 \tanh\,(1 - \tanh^2)$.
#
# **Hints.** Return the function, do not call it. One `course.grad` gives $f'$, not $f''$. The
# result is a 0-d numpy array; `float(...)` turns it into a number.

# %% nbgrader={"grade": false, "grade_id": "second-derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def second_derivative(f):
    """The function x -> f''(x), for f: number -> number (written with engine operations)."""
    ### BEGIN SOLUTION
    return course.grad(course.grad(f))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-second-derivative", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
d2 = second_derivative(lambda x: x ** 3)
assert callable(d2), "second_derivative(f) returns a function; call it with a number"
assert np.isclose(d2(1.5), 9.0), (
    f"(x**3)'' = 6x, which is 9 at x = 1.5; got {d2(1.5)} ({3 * 1.5 ** 2} would be the first "
    f"derivative, 3x**2)")

t = np.tanh(0.5)
assert np.isclose(second_derivative(course.tanh)(0.5), -2 * t * (1 - t ** 2)), (
    "tanh'' = -2 tanh (1 - tanh**2)")
# the sigmoid: compare with finite differences of the engine's first derivative
for x0 in (-1.0, 0.8):
    expected = numerical_grad(course.grad(course.sigmoid), np.array(x0))
    assert np.isclose(second_derivative(course.sigmoid)(x0), expected, rtol=1e-6)
assert np.isclose(second_derivative(lambda x: 5 * x + 2)(1.0), 0.0), (
    "a straight line has no curvature: (5x + 2)'' = 0 (if you got 5, that is the first derivative)")

# %% nbgrader={"grade": true, "grade_id": "test-second-derivative-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = second_derivative(lambda x: x * x)  # runs your code once
### BEGIN HIDDEN TESTS
_cases = [
    (lambda x: x ** 4 - 3 * x, lambda x: 12 * x ** 2),
    (lambda x: course.exp(2 * x), lambda x: 4 * np.exp(2 * x)),
    (lambda x: course.log(x * x + 1), lambda x: (2 - 2 * x ** 2) / (x ** 2 + 1) ** 2),
    (lambda x: course.tanh(x) * x, lambda x: 2 * (1 - np.tanh(x) ** 2) - 2 * x * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    (lambda x: 3.0 * x + 1.0, lambda x: 0.0 * x),
]
for _i, (_f, _d2) in enumerate(_cases):
    for _x0 in (-1.2, 0.3, 1.7):
        _got = second_derivative(_f)(_x0)
        assert np.ndim(_got) == 0, f"case {_i}: f'' at a number is a number"
        assert np.isclose(float(_got), _d2(_x0), rtol=1e-10, atol=1e-12), (
            f"case {_i} at x = {_x0}: expected {_d2(_x0):.8g}, got {float(_got):.8g}")
assert np.isclose(second_derivative(lambda x: x * x)(-3.0), 2.0), "(x**2)'' = 2 everywhere"
### END HIDDEN TESTS

# %% [markdown]
# The figure below plots $\sigma$, $\sigma'$ and $\sigma''$ computed by the engine (lines), with your
# formula for $\sigma''$ (dots) on top. $\sigma''$ is zero where $\sigma'$ is largest, and its sign
# tells whether the slope is growing or shrinking: the curvature.

# %%
xs = np.linspace(-6, 6, 121)
sigma_1 = course.grad(course.sigmoid)
sigma_2 = second_derivative(course.sigmoid)
plt.figure(figsize=(8, 3.6))
plt.plot(xs, course.sigmoid(xs), color=FORWARD_COLOR, lw=2, label="σ(x)")
plt.plot(xs, [float(sigma_1(v)) for v in xs], color=GRADIENT_COLOR, lw=2, label="σ'(x): course.grad")
plt.plot(xs, [float(sigma_2(v)) for v in xs], color=SECOND_COLOR, lw=2,
         label="σ''(x): course.grad twice")
plt.plot(xs[::6], sigmoid_second_derivative(xs[::6]), "o", color=SECOND_COLOR, mfc="white",
         label="σ''(x): your formula")
plt.axhline(0, color="gray", lw=0.5)
plt.xlabel("x")
plt.legend(fontsize=8)
plt.title("the sigmoid and its first two derivatives")
plt.show()


# %% [markdown]
# ## 2. Hessian-vector products, three ways
#
# For a function of many numbers, $f: \mathbb{R}^n \to \mathbb{R}$, the second derivative is the
# **Hessian** $H$, an $n \times n$ matrix with $H_{ij} = \partial^2 f / \partial x_i \partial x_j$; it is
# symmetric. It is also the Jacobian of the gradient: row $i$ of $H$ is the derivative of
# $\partial f / \partial x_i$. A network with $n = 10^6$ parameters has a Hessian with $10^{12}$ entries:
# far too many to build. But most uses of the Hessian only need its product with a vector, $H v$
# (the change of the gradient when $x$ moves along $v$), and that costs about as much as a gradient.
# Three ways to get it:
#
# 1. **Forward-over-reverse.** $H v = \frac{d}{dt} \nabla f(x + t v)\big|_{t=0}$: the directional derivative
#    of the gradient along $v$, which is a JVP of the function `course.grad(f)`:
#    `course.jvp(course.grad(f), (x,), (v,))[1]`. One forward-mode pass over the gradient
#    computation. This is what `course.hvp` and JAX's `hvp` do.
# 2. **Reverse-over-reverse.** $v$ does not depend on $x$, so the gradient of the scalar
#    $g(x) = \nabla f(x) \cdot v$ is $H^\top v = H v$ ($H$ is symmetric). That is `course.grad`
#    of `lambda y: (course.grad(f)(y) * v).sum()`. Two reverse passes, nested.
# 3. **Finite differences of gradients.**
#    $H v \approx \big(\nabla f(x + \varepsilon v) - \nabla f(x - \varepsilon v)\big) / (2\varepsilon)$: two
#    gradients, no nesting, but only approximate.
#
# All three are exercises. The tests use a quadratic $f(x) = \frac12 x^\top A x$, whose Hessian is
# $A$ (for a symmetric $A$), and the Rosenbrock function below, whose long curved valley makes
# gradient descent crawl (Section 5).

# %%
def rosenbrock(x):
    # sum over i of 10 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2; its minimum is 0, at x = (1, ..., 1)
    return (10.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


print("rosenbrock at (1, 1, 1):", rosenbrock(np.ones(3)))
print("its gradient at (0, 0, 0):", course.grad(rosenbrock)(np.zeros(3)))


# %% [markdown]
# ### Exercise 3: `hvp_fwd_rev`, forward-over-reverse
#
# **What to do.** Write `hvp_fwd_rev(f, x, v)`: $H v$ for a scalar function `f` at `x` (a vector of
# shape `(n,)`), by forward mode over reverse mode. Return an array of the shape of `x`.
#
# **Approach.** `course.jvp(g, (x,), (v,))` returns the pair `(g(x), J_g v)`. Use it with
# `g = course.grad(f)`, whose Jacobian is $H$.
#
# **Example.** For `f = lambda x: 0.5 * x @ A @ x` with a symmetric `A`, `hvp_fwd_rev(f, x, v)` is
# `A @ v`, whatever `x` is.
#
# **Hints.** Keep the second item of the pair: the first is the gradient itself. `jvp` takes tuples:
# `(x,)` and `(v,)`. Do not use `course.hvp`, which is the answer; use it to check yours.

# %% nbgrader={"grade": false, "grade_id": "hvp-fwd-rev", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hvp_fwd_rev(f, x, v):
    """H v for scalar f at x: the JVP of grad f along v (forward over reverse). x's shape."""
    ### BEGIN SOLUTION
    return course.jvp(course.grad(f), (x,), (v,))[1]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hvp-fwd-rev", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
quadratic = lambda x: 0.5 * x @ A @ x
x0, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, -2.0])
got = hvp_fwd_rev(quadratic, x0, v)
assert np.shape(got) == x0.shape, f"H v has the shape of x, {x0.shape}; got {np.shape(got)}"
assert np.allclose(got, A @ v), (
    f"the Hessian of 0.5 x^T A x is A, so H v = A v = {A @ v}; got {got}. "
    f"(If you got A x = {A @ x0}, that is the gradient: v is missing.)")
# H v is the JVP of the gradient: check_jvp compares it with finite differences of the gradient
x0 = np.array([-0.8, 0.4, 1.3, 0.2])
check_jvp(course.grad(rosenbrock), lambda tangents, x: hvp_fwd_rev(rosenbrock, x, tangents[0]), x0)
v = np.array([0.3, -1.0, 0.5, 2.0])
assert np.allclose(hvp_fwd_rev(rosenbrock, x0, 2 * v), 2 * hvp_fwd_rev(rosenbrock, x0, v)), (
    "H v is linear in v: doubling v doubles H v")

# %% nbgrader={"grade": true, "grade_id": "test-hvp-fwd-rev-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = hvp_fwd_rev(lambda x: (x * x).sum(), np.ones(2), np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(61)
_M = _rng.standard_normal((5, 5))
_A = _M + _M.T
_X = _rng.standard_normal((8, 4))
_y = (_rng.uniform(size=8) < 0.5) * 1.0
_C = _rng.standard_normal((3, 6))
_funcs = [
    (lambda x: 0.5 * x @ _A @ x, 5),
    (rosenbrock, 6),
    (lambda w: (course.log(1 + course.exp(_X @ w)) - _y * (_X @ w)).mean() + 0.1 * (w * w).sum(), 4),
    (lambda x: (course.tanh(_C @ x) ** 2).sum() + course.exp(0.3 * x).sum(), 6),
]

for _i, (_f, _n) in enumerate(_funcs):
    _x, _v = _rng.standard_normal(_n), _rng.standard_normal(_n)
    _H = course.jacfwd(course.jacrev(_f))(_x)
    _got = hvp_fwd_rev(_f, _x, _v)
    assert np.shape(_got) == (_n,), f"function {_i}: H v must have shape ({_n},)"
    assert np.allclose(_got, _H @ _v, rtol=1e-10, atol=1e-12), f"function {_i}: wrong H v"
    check_jvp(course.grad(_f), lambda t, x, f=_f: hvp_fwd_rev(f, x, t[0]), _x, seed=_i)
assert np.allclose(hvp_fwd_rev(rosenbrock, np.full(3, 0.5), np.zeros(3)), 0.0), "H 0 = 0"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4: `hvp_rev_rev`, reverse-over-reverse
#
# **What to do.** Write `hvp_rev_rev(f, x, v)`: the same $H v$, this time as the gradient of the
# scalar function $y \mapsto \nabla f(y) \cdot v$.
#
# **Approach.** Define `g = lambda y: (course.grad(f)(y) * v).sum()` and return `course.grad(g)(x)`.
#
# **Example.** For the quadratic above, $\nabla f(y) \cdot v = (A y) \cdot v$, whose gradient with
# respect to $y$ is $A^\top v = A v$.
#
# **Hints.** Inside `g`, compute the gradient at `g`'s own argument `y`, not at `x`: a gradient
# evaluated at the fixed point `x` is a constant, and the outer `course.grad` would return zeros.
# Without `* v` you would get $H$ times a vector of ones.

# %% nbgrader={"grade": false, "grade_id": "hvp-rev-rev", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hvp_rev_rev(f, x, v):
    """H v for scalar f at x: the gradient of y -> grad f(y) . v (reverse over reverse)."""
    ### BEGIN SOLUTION
    return course.grad(lambda y: (course.grad(f)(y) * v).sum())(x)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hvp-rev-rev", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
quadratic = lambda x: 0.5 * x @ A @ x
x0, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, -2.0])
got = hvp_rev_rev(quadratic, x0, v)
assert np.shape(got) == x0.shape, f"H v has the shape of x, {x0.shape}; got {np.shape(got)}"
assert np.allclose(got, A @ v), (
    f"H v = A v = {A @ v}; got {got}. (All zeros: the inner gradient was taken at the fixed x "
    f"instead of at the lambda's argument. A @ ones = {A @ np.ones(3)}: v is missing.)")

x0, v = np.array([-0.8, 0.4, 1.3, 0.2]), np.array([0.3, -1.0, 0.5, 2.0])
assert np.allclose(hvp_rev_rev(rosenbrock, x0, v), course.hvp(rosenbrock, x0, v), rtol=1e-10), (
    "reverse-over-reverse must agree with forward-over-reverse (course.hvp) to rounding")

# %% nbgrader={"grade": true, "grade_id": "test-hvp-rev-rev-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = hvp_rev_rev(lambda x: (x * x).sum(), np.ones(2), np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(61)
_M = _rng.standard_normal((5, 5))
_A = _M + _M.T
_X = _rng.standard_normal((8, 4))
_y = (_rng.uniform(size=8) < 0.5) * 1.0
_C = _rng.standard_normal((3, 6))
_funcs = [
    (lambda x: 0.5 * x @ _A @ x, 5),
    (rosenbrock, 6),
    (lambda w: (course.log(1 + course.exp(_X @ w)) - _y * (_X @ w)).mean() + 0.1 * (w * w).sum(), 4),
    (lambda x: (course.tanh(_C @ x) ** 2).sum() + course.exp(0.3 * x).sum(), 6),
]

for _i, (_f, _n) in enumerate(_funcs):
    _x, _v = _rng.standard_normal(_n), _rng.standard_normal(_n)
    _H = course.jacfwd(course.jacrev(_f))(_x)
    _got = hvp_rev_rev(_f, _x, _v)
    assert np.shape(_got) == (_n,), f"function {_i}: H v must have shape ({_n},)"
    assert np.allclose(_got, _H @ _v, rtol=1e-10, atol=1e-12), f"function {_i}: wrong H v"
    check_jvp(course.grad(_f), lambda t, x, f=_f: hvp_rev_rev(f, x, t[0]), _x, seed=_i)
assert np.allclose(hvp_rev_rev(rosenbrock, np.full(3, 0.5), np.zeros(3)), 0.0), "H 0 = 0"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5: `hvp_finite_diff`, finite differences of gradients
#
# **What to do.** Write `hvp_finite_diff(f, x, v, eps=1e-5)`: the central difference
# $\big(\nabla f(x + \varepsilon v) - \nabla f(x - \varepsilon v)\big) / (2\varepsilon)$, with
# $\nabla f$ from `course.grad(f)`.
#
# **Approach.** Two gradient evaluations, one subtraction, one division.
#
# **Example.** For $f(x) = \sum_i x_i^4$ the gradient is $4x^3$ and the central difference is exactly
# $12 x^2 v + 4 \varepsilon^2 v^3$ (element-wise): the true $H v = 12 x^2 v$ plus a truncation error
# that shrinks like $\varepsilon^2$. The visible test checks this with a large $\varepsilon$.
#
# **Hints.** Use the `eps` argument, not a number of your own. A one-sided difference
# $(\nabla f(x + \varepsilon v) - \nabla f(x)) / \varepsilon$ is less accurate; dividing it by $2\varepsilon$
# is simply wrong (half the size).

# %% nbgrader={"grade": false, "grade_id": "hvp-finite-diff", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hvp_finite_diff(f, x, v, eps=1e-5):
    """H v for scalar f at x, approximately: central differences of the gradient along v."""
    ### BEGIN SOLUTION
    grad_f = course.grad(f)
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hvp-finite-diff", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
quartic = lambda x: (x ** 4).sum()
x0, v = np.array([1.0, -0.5, 2.0]), np.array([0.5, 1.0, -1.0])
eps = 0.1
got = hvp_finite_diff(quartic, x0, v, eps=eps)
expected = 12 * x0 ** 2 * v + 4 * eps ** 2 * v ** 3
assert np.shape(got) == x0.shape, f"H v has the shape of x, {x0.shape}; got {np.shape(got)}"
assert np.allclose(got, expected, rtol=1e-9), (
    f"with eps = 0.1 the central difference of 4 x**3 is 12 x**2 v + 4 eps**2 v**3 = {expected}; "
    f"got {got}. Check the formula and that you use eps.")
# with the default step it agrees with the exact H v to about 1e-9
x0 = np.array([-0.8, 0.4, 1.3, 0.2])
v = np.array([0.3, -1.0, 0.5, 2.0])
exact = course.hvp(rosenbrock, x0, v)
assert np.allclose(hvp_finite_diff(rosenbrock, x0, v), exact, rtol=1e-7, atol=1e-8), (
    "with the default eps the finite difference should match course.hvp to about 7 digits")

# %% nbgrader={"grade": true, "grade_id": "test-hvp-finite-diff-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = hvp_finite_diff(lambda x: (x * x).sum(), np.ones(2), np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(61)
_M = _rng.standard_normal((5, 5))
_A = _M + _M.T
_X = _rng.standard_normal((8, 4))
_y = (_rng.uniform(size=8) < 0.5) * 1.0
_C = _rng.standard_normal((3, 6))
_funcs = [
    (lambda x: 0.5 * x @ _A @ x, 5),
    (rosenbrock, 6),
    (lambda w: (course.log(1 + course.exp(_X @ w)) - _y * (_X @ w)).mean() + 0.1 * (w * w).sum(), 4),
    (lambda x: (course.tanh(_C @ x) ** 2).sum() + course.exp(0.3 * x).sum(), 6),
]

for _i, (_f, _n) in enumerate(_funcs):
    _x, _v = _rng.standard_normal(_n), _rng.standard_normal(_n)
    _exact = course.hvp(_f, _x, _v)
    _got = hvp_finite_diff(_f, _x, _v)
    assert np.shape(_got) == (_n,), f"function {_i}: H v must have shape ({_n},)"
    assert np.allclose(_got, _exact, rtol=1e-6, atol=1e-7), f"function {_i}: wrong H v"
# the step is the one asked for: a cubic gradient shows it exactly
_x, _v = _rng.standard_normal(4), _rng.standard_normal(4)
for _eps in (0.5, 0.05):
    _got = hvp_finite_diff(lambda x: (x ** 4).sum(), _x, _v, eps=_eps)
    assert np.allclose(_got, 12 * _x ** 2 * _v + 4 * _eps ** 2 * _v ** 3, rtol=1e-9), f"eps = {_eps}"
assert np.allclose(hvp_finite_diff(rosenbrock, np.full(3, 0.5), np.zeros(3)), 0.0), "H 0 = 0"
### END HIDDEN TESTS

# %% [markdown]
# ### The three compared
#
# The cell below computes $H v$ for the Rosenbrock function in 200 dimensions all three ways, and
# compares each with the product of the full Hessian (from `course.jacfwd(course.jacrev(f))`, which
# runs 200 forward passes over the gradient) with $v$. Times are the best of a few runs.

# %%
rng = np.random.default_rng(0)
n = 200
x0, v = rng.uniform(-1, 1, n), rng.standard_normal(n)
H, t_full = best_time(lambda: course.jacfwd(course.jacrev(rosenbrock))(x0), repeats=1)
exact = H @ v
_, t_grad = best_time(lambda: course.grad(rosenbrock)(x0))
print(f"n = {n}: one gradient takes {t_grad * 1e3:.2f} ms; the full Hessian {t_full * 1e3:.0f} ms\n")
print(f"{'method':<28}{'relative error':>16}{'time (ms)':>12}{'time / gradient':>18}")
for name, fn in [("forward-over-reverse", lambda: hvp_fwd_rev(rosenbrock, x0, v)),
                 ("reverse-over-reverse", lambda: hvp_rev_rev(rosenbrock, x0, v)),
                 ("finite differences", lambda: hvp_finite_diff(rosenbrock, x0, v))]:
    result, seconds = best_time(fn)
    error = np.linalg.norm(result - exact) / np.linalg.norm(exact)
    print(f"{name:<28}{error:>16.1e}{seconds * 1e3:>12.2f}{seconds / t_grad:>18.1f}")

# %% [markdown]
# All three cost a small multiple of one gradient, independent of $n$, while the full Hessian costs
# $n$ of them. The two exact methods agree with $H v$ to rounding error. Finite differences lose
# a third of the digits or more. Forward-over-reverse is usually the method of choice: forward mode adds
# no stored graph on top of the one the inner gradient keeps, while reverse-over-reverse records the
# whole inner backward pass for a second backward pass.
#
# ### How small should $\varepsilon$ be?
#
# The central difference has two sources of error:
#
# * **truncation**: the formula drops terms of the Taylor series; the error shrinks like
#   $\varepsilon^2$;
# * **round-off**: $\nabla f(x \pm \varepsilon v)$ are computed with a relative error of about
#   $10^{-16}$ each; their difference is divided by $2\varepsilon$, so that error *grows* like
#   $10^{-16} / \varepsilon$.
#
# The cell below measures the error of your `hvp_finite_diff` for steps from $10^{-13}$ to $10^{-1}$.
# On a log-log plot the two regimes are straight lines, with slope $+2$ on the right and $-1$ on the
# left: a U.

# %%
steps = 10.0 ** np.arange(-13, -0.5, 0.5)
errors = np.array([np.linalg.norm(hvp_finite_diff(rosenbrock, x0, v, eps=e) - exact)
                   / np.linalg.norm(exact) for e in steps])
best = steps[np.argmin(errors)]

plt.figure(figsize=(7, 4))
plt.loglog(steps, errors, "o-", color=SECOND_COLOR, label="measured relative error")
right, left = steps > 1e-4, steps < 1e-7
plt.loglog(steps[right], errors[-1] * (steps[right] / steps[-1]) ** 2, "--", color="gray",
           label="slope +2: truncation, ∝ eps²")
plt.loglog(steps[left], errors[0] * (steps[left] / steps[0]) ** -1, ":", color="gray",
           label="slope -1: round-off, ∝ 1/eps")
plt.axvline(best, color="gray", lw=0.5)
plt.xlabel("step eps")
plt.ylabel("relative error of the finite difference")
plt.title(f"finite-difference Hessian-vector product: best step here {best:.0e}")
plt.legend(fontsize=8)
plt.show()
print(f"smallest error {errors.min():.1e} at eps = {best:.0e}; "
      f"the exact methods were within {np.linalg.norm(hvp_fwd_rev(rosenbrock, x0, v) - exact) / np.linalg.norm(exact):.0e}")


# %% [markdown]
# The best step balances the two errors: about $\varepsilon^2 \approx 10^{-16}/\varepsilon$, so
# $\varepsilon \approx 10^{-5}$ to $10^{-6}$ (the cube root of the machine precision, scaled by the size of
# $x$). Even there the error is about $(10^{-16})^{2/3} \approx 10^{-11}$ relative: a third of float64's
# 16 digits are lost, whatever the step. That is why the gradient checks of this course compare with
# finite differences at a loose tolerance, and why the exact
# methods are worth having.
#
# ## 3. The whole Hessian, one column at a time
#
# $H e_j$, with $e_j$ the $j$-th basis vector, is column $j$ of $H$. So $n$ Hessian-vector products
# give the whole Hessian, and each costs a small multiple of a gradient. (This is what
# `course.jacfwd(course.jacrev(f))` does: forward mode, one column per input, over the gradient.)
#
# ### Exercise 6: `hessian`
#
# **What to do.** Write `hessian(f, x)`: the $n \times n$ Hessian of a scalar function `f` at `x`
# (shape `(n,)`), built column by column from Hessian-vector products.
#
# **Approach.** Start from `H = np.zeros((n, n))`; for each `j`, set `H[:, j]` to $H e_j$. For the
# products use `course.hvp(f, x, e)`, or your `hvp_fwd_rev` once it passes its tests.
#
# **Example.** For the quadratic $\frac12 x^\top A x$ with a symmetric `A`, `hessian(f, x)` is `A`.
#
# **Hints.** Every column: `range(n)`. The gradient alone is not enough: $\nabla f\, \nabla f^\top$ is
# not the Hessian (it has rank one, and it ignores how the gradient changes). The result must be
# symmetric, up to rounding.

# %% nbgrader={"grade": false, "grade_id": "hessian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hessian(f, x):
    """The (n, n) Hessian of scalar f at x (shape (n,)), one Hessian-vector product per column."""
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    n = x.size
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        H[:, j] = course.hvp(f, x, e)
    return H
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hessian", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
H = hessian(lambda x: 0.5 * x @ A @ x, np.array([0.5, -1.0, 2.0]))
assert np.shape(H) == (3, 3), f"the Hessian of a function of 3 numbers is 3 x 3; got {np.shape(H)}"
assert np.allclose(H, A), f"the Hessian of 0.5 x^T A x is A =\n{A}\ngot\n{H}"

x0 = np.array([-0.8, 0.4, 1.3, 0.2])
H = hessian(rosenbrock, x0)
assert np.allclose(H, H.T, atol=1e-12), "a Hessian is symmetric: H[i, j] == H[j, i]"
assert np.allclose(H, course.jacfwd(course.jacrev(rosenbrock))(x0), rtol=1e-10), (
    "your Hessian must agree with course.jacfwd(course.jacrev(f)), the Jacobian of the gradient")

# %% nbgrader={"grade": true, "grade_id": "test-hessian-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = hessian(lambda x: (x * x).sum(), np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(61)
_M = _rng.standard_normal((5, 5))
_A = _M + _M.T
_X = _rng.standard_normal((8, 4))
_y = (_rng.uniform(size=8) < 0.5) * 1.0
_C = _rng.standard_normal((3, 6))
_funcs = [
    (lambda x: 0.5 * x @ _A @ x, 5),
    (rosenbrock, 6),
    (lambda w: (course.log(1 + course.exp(_X @ w)) - _y * (_X @ w)).mean() + 0.1 * (w * w).sum(), 4),
    (lambda x: (course.tanh(_C @ x) ** 2).sum() + course.exp(0.3 * x).sum(), 6),
]

for _i, (_f, _n) in enumerate(_funcs + [(lambda x: (x ** 3).sum() + x[0] * x[-1], 7)]):
    _x = _rng.standard_normal(_n)
    _expected = course.jacfwd(course.jacrev(_f))(_x)
    _got = hessian(_f, _x)
    assert np.shape(_got) == (_n, _n), f"function {_i}: the Hessian must have shape ({_n}, {_n})"
    assert np.allclose(_got, _expected, rtol=1e-10, atol=1e-12), f"function {_i}: wrong Hessian"
_got = hessian(lambda x: (x * x * x).sum(), np.array([2.0]))
assert np.shape(_got) == (1, 1) and np.isclose(_got[0, 0], 12.0), "one input: a 1 x 1 Hessian"
### END HIDDEN TESTS

# %% [markdown]
# The Hessian of the Rosenbrock function below has a structure you can read from its formula: each
# term couples only neighbours $x_i$ and $x_{i+1}$, so $H$ is tridiagonal.

# %%
x_demo = np.random.default_rng(1).uniform(-1, 1, 12)
H_demo = hessian(rosenbrock, x_demo)
print(f"largest asymmetry |H - H^T|: {np.max(np.abs(H_demo - H_demo.T)):.1e}")
print(f"largest difference from jacfwd(jacrev(f)): "
      f"{np.max(np.abs(H_demo - course.jacfwd(course.jacrev(rosenbrock))(x_demo))):.1e}")
limit = np.max(np.abs(H_demo))
plt.figure(figsize=(4.6, 4))
plt.imshow(H_demo, cmap="PuOr", vmin=-limit, vmax=limit)
plt.colorbar(label="H[i, j]")
plt.title("Hessian of the Rosenbrock function, n = 12")
plt.xlabel("j")
plt.ylabel("i")
plt.show()

# %% [markdown]
# ## 4. Backprop through backprop, in training
#
# Second derivatives show up inside ordinary training too. A *gradient penalty* adds the size of a
# gradient to a loss, for instance $R(x) = \lVert \nabla f(x) \rVert^2$ (used to train some GANs and to make
# models less sensitive to their inputs). Training on $R$ needs $\nabla R$, the gradient of an
# expression that contains a gradient. By the chain rule, $\nabla R = 2 H \nabla f$: a Hessian-vector
# product with $v = \nabla f(x)$. The engine gets it by differentiating straight through
# `course.grad`; the cell below checks that both routes agree.

# %%
x_pen = np.array([-0.8, 0.4, 1.3, 0.2])
penalty = lambda x: (course.grad(rosenbrock)(x) ** 2).sum()
through_grad = course.grad(penalty)(x_pen)                   # backprop through backprop
via_hvp = 2 * hvp_fwd_rev(rosenbrock, x_pen, course.grad(rosenbrock)(x_pen))
print("grad of the penalty, by nesting course.grad:", through_grad)
print("2 H grad f, by your Hessian-vector product:  ", via_hvp)
print(f"largest difference: {np.max(np.abs(through_grad - via_hvp)):.1e}")


# %% [markdown]
# ## 5. Newton's method
#
# Gradient descent uses the slope only. Near a point $x$, a function is well described by its
# second-order Taylor model
#
# $$f(x + d) \approx f(x) + \nabla f(x)^\top d + \tfrac12\, d^\top H d .$$
#
# Newton's method jumps to the stationary point of this model: setting the model's gradient
# $\nabla f(x) + H d$ to zero gives the **Newton step** $d = -H^{-1} \nabla f(x)$, computed by solving the
# linear system $H d = -\nabla f(x)$ (never by inverting $H$). On a quadratic function the model is
# exact, so one step lands on the minimum. Near a minimum of any smooth function the error is
# roughly *squared* at every step (quadratic convergence): the number of correct digits doubles.
#
# The price: a Hessian ($n$ Hessian-vector products) and an $n \times n$ solve per step, fine for a
# few hundred parameters, hopeless for millions. (Large-scale second-order methods solve $H d = -g$
# approximately with conjugate gradients, which only needs Hessian-vector products: "Hessian-free"
# optimisation.) Newton's method also does not know up from down: it heads for the model's
# stationary point, which is a minimum only where $H$ is positive definite.
#
# ### Exercise 7: `newton_step`
#
# **What to do.** Write `newton_step(f, x)`: one Newton step from `x`, returning the new point
# $x - H^{-1} \nabla f(x)$, with $H$ from your `hessian` and $\nabla f$ from `course.grad`.
#
# **Approach.** `np.linalg.solve(H, g)` returns $H^{-1} g$ without forming $H^{-1}$.
#
# **Example.** For $f(x) = \frac12 x^\top A x - b^\top x$ ($A$ symmetric positive definite) the minimum is
# $A^{-1} b$, and one Newton step reaches it from anywhere. The visible test checks this.
#
# **Hints.** Mind the sign: step *against* the gradient, as gradient descent does. Multiplying by
# $H$ (`H @ g`) is not solving with $H$.

# %% nbgrader={"grade": false, "grade_id": "newton-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def newton_step(f, x):
    """One Newton step for scalar f from x (shape (n,)): x - H^{-1} grad f(x)."""
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    g = course.grad(f)(x)
    H = hessian(f, x)
    return x - np.linalg.solve(H, g)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-newton-step", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[3.0, 1.0], [1.0, 2.0]])
b_vec = np.array([1.0, -1.0])
quadratic = lambda x: 0.5 * x @ A @ x - b_vec @ x
minimum = np.linalg.solve(A, b_vec)
x_new = newton_step(quadratic, np.array([5.0, -7.0]))
assert np.shape(x_new) == (2,), f"newton_step returns the new point, shape (2,); got {np.shape(x_new)}"
assert np.allclose(x_new, minimum), (
    f"on a quadratic one Newton step lands on the minimum {minimum}; got {x_new}. "
    f"Check the sign, and that you solve with H rather than multiply by it.")

x0 = np.array([-1.2, 1.0])
g = course.grad(rosenbrock)(x0)
H = course.jacfwd(course.jacrev(rosenbrock))(x0)
assert np.allclose(newton_step(rosenbrock, x0), x0 - np.linalg.solve(H, g), rtol=1e-10)

# %% nbgrader={"grade": true, "grade_id": "test-newton-step-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
_ = newton_step(lambda x: (x * x).sum(), np.ones(2))  # runs your code once
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(61)
_M = _rng.standard_normal((5, 5))
_A = _M + _M.T
_X = _rng.standard_normal((8, 4))
_y = (_rng.uniform(size=8) < 0.5) * 1.0
_C = _rng.standard_normal((3, 6))
_funcs = [
    (lambda x: 0.5 * x @ _A @ x, 5),
    (rosenbrock, 6),
    (lambda w: (course.log(1 + course.exp(_X @ w)) - _y * (_X @ w)).mean() + 0.1 * (w * w).sum(), 4),
    (lambda x: (course.tanh(_C @ x) ** 2).sum() + course.exp(0.3 * x).sum(), 6),
]

for _i, (_f, _n) in enumerate(_funcs):
    _x = 0.5 * _rng.standard_normal(_n)
    _g = course.grad(_f)(_x)
    _H = course.jacfwd(course.jacrev(_f))(_x)
    _expected = _x - np.linalg.solve(_H, _g)
    _got = newton_step(_f, _x)
    assert np.shape(_got) == (_n,), f"function {_i}: the new point has shape ({_n},)"
    assert np.allclose(_got, _expected, rtol=1e-9, atol=1e-12), f"function {_i}: wrong Newton step"
# a few steps on the regularised logistic loss reach the minimum: the gradient vanishes
_f, _n = _funcs[2]
_x = np.zeros(_n)
for _ in range(8):
    _x = newton_step(_f, _x)
assert np.linalg.norm(course.grad(_f)(_x)) < 1e-12, "Newton's method converges on a convex loss"
### END HIDDEN TESTS

# %% [markdown]
# ### Newton against gradient descent
#
# The cells below minimise the 2-D Rosenbrock function from $(-1.2, 1)$, with Newton's method (at
# most 12 steps; it stops when a step no longer changes $x$) and with 2000 steps of gradient descent (learning rate 0.01, about the largest that stays stable
# here). The minimum is at $(1, 1)$, where $f = 0$.

# %%
x_start, x_star = np.array([-1.2, 1.0]), np.ones(2)
grad_f = course.grad(rosenbrock)

newton_path = [x_start]
for _ in range(12):
    x_next = newton_step(rosenbrock, newton_path[-1])
    if np.array_equal(x_next, newton_path[-1]):   # converged to the last bit: stop
        break
    newton_path.append(x_next)
newton_path = np.array(newton_path)

gd_path = [x_start]
for _ in range(2000):
    gd_path.append(gd_path[-1] - 0.01 * grad_f(gd_path[-1]))
gd_path = np.array(gd_path)

newton_loss = np.array([rosenbrock(p) for p in newton_path])
gd_loss = np.array([rosenbrock(p) for p in gd_path])

fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
u, w = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
surface = (1 - u) ** 2 + 10 * (w - u ** 2) ** 2
axes[0].contour(u, w, np.log10(surface + 1e-3), levels=20, cmap="Greys", linewidths=0.7)
axes[0].plot(gd_path[:, 0], gd_path[:, 1], ".-", color=GRADIENT_COLOR, ms=2, lw=1,
             label=f"gradient descent ({len(gd_path) - 1} steps)")
axes[0].plot(newton_path[:, 0], newton_path[:, 1], "o-", color=SECOND_COLOR, ms=5, lw=1.5,
             label=f"Newton ({len(newton_path) - 1} steps)")
axes[0].plot(*x_start, "ks", ms=7, label="start")
axes[0].plot(*x_star, "k*", ms=12, label="minimum")
axes[0].set_xlim(-2, 2)
axes[0].set_ylim(-1, 3)
axes[0].set_xlabel("x[0]")
axes[0].set_ylabel("x[1]")
axes[0].legend(fontsize=8, loc="upper center")
axes[0].set_title("paths on the contours of f")

floor = 1e-30   # exact zeros cannot be drawn on a log scale
axes[1].semilogy(np.arange(len(gd_loss)), np.maximum(gd_loss, floor), color=GRADIENT_COLOR,
                 label="gradient descent")
axes[1].semilogy(np.arange(len(newton_loss)), np.maximum(newton_loss, floor), "o-",
                 color=SECOND_COLOR, label="Newton")
axes[1].set_xscale("symlog", linthresh=10)
axes[1].set_xlabel("iteration (linear up to 10, then logarithmic)")
axes[1].set_ylabel("f(x)   (minimum 0)")
axes[1].legend(fontsize=8)
axes[1].set_title("loss per iteration")
plt.tight_layout()
plt.show()
print(f"gradient descent after {len(gd_path) - 1} steps: f = {gd_loss[-1]:.2e}, "
      f"distance to the minimum {np.linalg.norm(gd_path[-1] - x_star):.2e}")

# %%
errors = np.linalg.norm(newton_path - x_star, axis=1)
print(f"{'step':>4}{'f(x)':>12}{'|x - x*|':>12}{'|e(k+1)| / |e(k)|^2':>22}")
for k, (loss, e) in enumerate(zip(newton_loss, errors)):
    ratio = (f"{errors[k + 1] / e ** 2:>22.3f}" if k + 1 < len(errors) and e > 0 and errors[k + 1] > 0
             else "")
    print(f"{k:>4}{loss:>12.3e}{e:>12.3e}{ratio}")
uphill = [k + 1 for k in range(len(newton_loss) - 1) if newton_loss[k + 1] > newton_loss[k]]
print(f"\nsteps where Newton's method went uphill: {uphill}")

# %% [markdown]
# Reading the table: far from the minimum the Newton steps are erratic and some even increase $f$
# (the quadratic model is poor there, and its stationary point is not always lower). Once close, the
# error is squared at each step: the ratio $|e_{k+1}| / |e_k|^2$ stays bounded while the error itself
# collapses, so the number of correct digits roughly doubles per step until it hits the limit of
# float64. Gradient
# descent, meanwhile, creeps along the curved valley: its step size is limited by the steepest
# direction, so it crawls along the flat one. Practical second-order methods add safeguards (a line
# search or a trust region) to Newton's step so that it never goes uphill.
#
# ## What you learned
#
# * The backward pass is made of ordinary operations, so it can be differentiated:
#   `course.grad(course.grad(f))` is $f''$; $\sigma'' = \sigma(1 - \sigma)(1 - 2\sigma)$.
# * A Hessian-vector product costs a small multiple of a gradient, three ways: forward-over-reverse
#   (`jvp` of `grad`, what `course.hvp` does), reverse-over-reverse (`grad` of $\nabla f \cdot v$), and
#   finite differences of gradients (cheap to write, but a third of the digits or more are lost).
# * Finite differences trade truncation error ($\propto \varepsilon^2$) against round-off
#   ($\propto 1/\varepsilon$): the U-shaped error curve.
# * $n$ Hessian-vector products with the basis vectors give the whole (symmetric) Hessian.
# * Gradient penalties differentiate through a gradient: $\nabla \lVert \nabla f \rVert^2 = 2 H \nabla f$.
# * Newton's method solves $H d = -\nabla f$ for its step: one step on a quadratic, quadratic
#   convergence near a minimum, at the price of a Hessian per step.
