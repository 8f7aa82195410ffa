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
# **29 points**, in 8 exercises. Each exercise has a visible test right after it and hidden tests
# that check more cases when your work is graded; the points of both are in each test cell.
#
# The backward pass is a computation like any other: multiplications and additions of local
# gradients. So it can be differentiated too. That gives second derivatives, Hessian-vector
# products, and second-order optimisers such as Newton's method.
#
# **What you will learn**
#
# 1. Why `course.grad(course.grad(f))` works, and what it computes; the second derivative of a
#    composed gate, by hand and by the engine.
# 2. Hessian-vector products without the Hessian: forward-over-reverse, reverse-over-reverse, and
#    finite differences of gradients, compared for accuracy and speed; why a finite-difference
#    step can be too large *and* too small.
# 3. Forward-over-reverse **by hand**: your own backward pass of a small network, and forward mode
#    run over it, line by line, to get its Hessian-vector product.
# 4. A whole Hessian over a network's parameters, one column per Hessian-vector product.
# 5. Newton's method, which uses the Hessian, against gradient descent: a few steps instead of
#    thousands, and *quadratic convergence*.
#
# Run the cells in order.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
import numpy as np

import course
from course import Value
from course.timing import best_time
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, draw_graph, graph_alt, matrix_alt, series_alt, show
from course.gradcheck import check_jvp, check_vjp, numerical_grad

SECOND_COLOR = "#7048e8"   # in this notebook: second derivatives (curvature)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The backward pass is a computation too
#
# Take the sigmoid gate $s = \sigma(x)$. Its backward rule multiplies the upstream gradient by the
# local gradient $\sigma'(x) = s(1 - s)$. That local gradient is itself computed by a little program:
# one subtraction and one multiplication, starting from $s$, which came from $x$. Write that program
# with `Value`s instead of plain floats and it gets a graph of its own. Backprop through *that*
# graph gives the derivative of the derivative: $\sigma''(x)$.
#
# By hand, the product rule on $\sigma' = \sigma\,(1 - \sigma)$, with $\frac{d}{dx}(1 - \sigma) = -\sigma'$:
#
# $$\sigma'' = \sigma'\,(1 - \sigma) + \sigma\,(-\sigma') = \sigma'\,(1 - 2\sigma) = \sigma(1 - \sigma)(1 - 2\sigma).$$
#
# The cell below computes $\sigma''(0.8)$ both ways: by backprop through the graph of
# $\sigma'(x) = s (1 - s)$, and by the formula.

# %%
x = Value(0.8, label="x")
s = x.sigmoid()
slope = s * (1 - s)        # the sigmoid's backward rule, written as a computation on Values
slope.backward()           # ...and backprop through it

title = "the graph of σ'(x) = s (1 - s): backprop through it gives σ''(x)"
ax = draw_graph(slope, title=title)
show(ax.figure, alt=graph_alt(slope, title=title))
s0 = 1 / (1 + np.exp(-0.8))
print(f"sigma'(0.8)  = {slope.data:.6f}   the value of the gradient program")
print(f"sigma''(0.8) = {x.grad:.6f}   its gradient: backprop through backprop")
print(f"formula      = {s0 * (1 - s0) * (1 - 2 * s0):.6f}")


# %% [markdown]
# The engine does this for you. Its backward rules are written with the engine's own operations, so
# when `course.grad(f)` runs its backward pass inside another transform, every operation of that
# backward pass is recorded too. `course.grad(course.grad(f))` is the gradient of the gradient: for
# a function of one number, $f''$. Nesting works with any mix of transforms: `course.jvp` of
# `course.grad`, `course.jacfwd` of `course.jacrev`, and so on.
#
# Remember that `course.grad` needs a function whose output is a single number (shape `()`), and
# that the function must use operations the engine knows (operators, `course.tanh`,
# `course.sigmoid`, `x.exp()`, ...).
#
# ### Exercise 1: the second derivative of a composed gate, by hand (4 points)
#
# The SiLU (or *swish*) activation, used in many modern networks, is the gate $f(x) = x\,\sigma(x)$:
# a multiply gate whose two inputs are $x$ and a sigmoid of the same $x$. The cell below defines it
# as `silu(x)`, for numbers, numpy arrays and the engine alike.
#
# **What to do.** Write `silu_second_derivative(x)`: $f''(x)$ for $f(x) = x\,\sigma(x)$, as a formula
# in numpy, for a number or an array `x` (element-wise). No engine: this is the derivation by hand.
#
# **Approach.** Differentiate twice, with the product rule each time, and use $\sigma'$ and
# $\sigma''$ from above. Simplify, then write the result in terms of $\sigma(x)$ and $x$.
#
# **Example.** At $x = 0$ the result is $0.5$ (check yours on paper).
#
# <details><summary>Hint 1</summary>
#
# $f' = \sigma + x\,\sigma'$. Both of its terms depend on $x$: how many terms does $f''$ have before
# you simplify?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Compute $\sigma$ as `0.5 * (1 + np.tanh(0.5 * x))` (the same as $1/(1 + e^{-x})$, with no overflow
# warning for large $|x|$). The test compares with finite differences of the engine's $f'$.
# </details>

# %%
def silu(x):
    """The SiLU gate x * sigmoid(x), element-wise (numbers, numpy arrays, engine Tensors)."""
    return x * course.sigmoid(x)


# %% nbgrader={"grade": false, "grade_id": "silu-second-derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def silu_second_derivative(x):
    """f''(x) for f(x) = x * sigmoid(x), element-wise, as a formula in sigmoid(x) and x."""
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    s = 0.5 * (1 + np.tanh(0.5 * x))
    return s * (1 - s) * (2 + x * (1 - 2 * s))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-silu-second-derivative", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert np.isclose(silu_second_derivative(0.0), 0.5), (
    f"f''(0) = 0.5 for f(x) = x sigmoid(x); got {silu_second_derivative(0.0)}")
silu_slope = course.grad(silu)                         # f'(x), from the engine
for x0 in (0.8, -1.5, 3.0):
    expected = numerical_grad(silu_slope, np.array(x0))   # finite differences of f'
    got = silu_second_derivative(x0)
    assert np.isclose(got, expected, rtol=1e-6, atol=1e-10), (
        f"f''({x0}): finite differences of f' give {float(expected):.8f}, your formula "
        f"{float(got):.8f}. f' = sigma + x sigma' has two terms that both depend on x: "
        f"differentiate each with the product rule where it is a product")
xs = np.linspace(-4, 4, 9)
assert np.shape(silu_second_derivative(xs)) == xs.shape, "element-wise: an array in, an array of its shape out"

# %% nbgrader={"grade": true, "grade_id": "test-silu-second-derivative-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(silu_second_derivative(np.zeros(2))) == (2,)
### BEGIN HIDDEN TESTS
_grad2 = course.grad(course.grad(silu))
_xs = np.array([-6.0, -2.2, -0.3, 0.0, 0.45, 1.1, 2.5, 7.0])
_got = np.asarray(silu_second_derivative(_xs))
assert _got.shape == _xs.shape, f"element-wise: an input of shape {_xs.shape} gives the same shape"
_expected = np.array([float(_grad2(v)) for v in _xs])
assert np.allclose(_got, _expected, rtol=1e-10, atol=1e-14), "f'' on an array of points"
_X = np.linspace(-3, 3, 6).reshape(2, 3)
assert np.allclose(silu_second_derivative(_X), np.array([float(_grad2(v)) for v in _X.ravel()]).reshape(2, 3))
# far from 0: finite, tiny, and no overflow warning
_far = np.asarray(silu_second_derivative(np.array([-800.0, -40.0, 40.0, 800.0])))
assert np.all(np.isfinite(_far)) and np.all(np.abs(_far) < 1e-12), "f'' far from 0 is tiny"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2: derivatives of any order, by the engine (2 points)
#
# **What to do.** Write `nth_derivative(f, n)`: return a **function** that computes the $n$-th
# derivative $f^{(n)}(x)$ of a function `f` of one number, for any $n \ge 0$, using `course.grad`
# (the 0-th derivative is `f` itself).
#
# **Approach.** `course.grad(f)` is a function, the derivative of `f`, and can be differentiated
# again.
#
# **Example.** For `f = lambda x: x ** 5`, `nth_derivative(f, 3)(1.0)` is $5 \cdot 4 \cdot 3 = 60$.
#
# <details><summary>Hint 1</summary>
#
# How many times must `course.grad` be applied for $n = 0$, $n = 1$, $n = 3$? Return the function;
# do not call it.
# </details>
#
# <details><summary>Hint 2</summary>
#
# The result of `course.grad(g)(x)` is a 0-d numpy array; `float(...)` turns it into a number.
# </details>

# %% nbgrader={"grade": false, "grade_id": "nth-derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
def nth_derivative(f, n):
    """The function x -> f^(n)(x), for f: number -> number (written with engine operations)."""
    ### BEGIN SOLUTION
    derivative = f
    for _ in range(n):
        derivative = course.grad(derivative)
    return derivative
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-nth-derivative", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
d3 = nth_derivative(lambda x: x ** 5, 3)
assert callable(d3), "nth_derivative(f, n) returns a function; call it with a number"
assert np.isclose(d3(1.5), 60 * 1.5 ** 2), (
    f"(x**5)''' = 60 x**2, which is {60 * 1.5 ** 2} at 1.5; got {d3(1.5)}. (20 x**3 = "
    f"{20 * 1.5 ** 3} would be the second derivative, 120 x = {120 * 1.5} the fourth)")
assert np.isclose(nth_derivative(lambda x: x ** 5, 0)(2.0), 32.0), "the 0-th derivative is f itself"
# the composed gate of Exercise 1, by the engine: compare with finite differences of its f'
x_points = np.array([-1.0, 0.8])
expected = [float(numerical_grad(course.grad(silu), np.array(x0))) for x0 in x_points]
got = [float(nth_derivative(silu, 2)(x0)) for x0 in x_points]
assert np.allclose(got, expected, rtol=1e-6), (
    f"the second derivative of silu at {x_points}: finite differences of f' give {expected}; got {got}")

# %% nbgrader={"grade": true, "grade_id": "test-nth-derivative-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.isclose(nth_derivative(lambda x: x * x, 2)(1.0), 2.0)
### BEGIN HIDDEN TESTS
_cases = [
    (lambda x: x ** 4 - 3 * x, 2, lambda x: 12 * x ** 2),
    (lambda x: course.exp(2 * x), 3, lambda x: 8 * np.exp(2 * x)),
    (lambda x: course.log(x * x + 1), 2, lambda x: (2 - 2 * x ** 2) / (x ** 2 + 1) ** 2),
    (lambda x: course.tanh(x), 1, lambda x: 1 - np.tanh(x) ** 2),
    (lambda x: x ** 6, 6, lambda x: 720.0 + 0 * x),
    (lambda x: 3.0 * x + 1.0, 2, lambda x: 0.0 * x),
    (lambda x: course.sigmoid(x) * 2, 0, lambda x: 2 / (1 + np.exp(-x))),
]
_wrong = []
for _i, (_f, _n, _dn) in enumerate(_cases):
    for _x0 in (-1.2, 0.3, 1.7):
        _got = nth_derivative(_f, _n)(_x0)
        assert np.ndim(_got) == 0, f"case {_i}: a derivative at a number is a number"
        if not np.isclose(float(_got), _dn(_x0), rtol=1e-9, atol=1e-11):
            _wrong.append(f"case {_i} (n = {_n}) at x = {_x0}: expected {_dn(_x0):.8g}, got {float(_got):.8g}")
assert not _wrong, "; ".join(_wrong)
### END HIDDEN TESTS

# %% [markdown]
# The figure below plots $f = x\,\sigma(x)$, $f'$ and $f''$ computed by the engine (lines), with your
# formula for $f''$ (dots) on top. $f''$ is the curvature: where it is positive the slope grows.
# Unlike the sigmoid's, SiLU's curvature is largest at 0 and turns negative far from 0 on both sides
# (the cell prints where), where the gate bends back towards a slope of 1 or of 0.

# %%
xs = np.linspace(-6, 6, 121)
silu_1 = nth_derivative(silu, 1)
silu_2 = nth_derivative(silu, 2)
curves = {"f(x) = x σ(x)": silu(xs), "f'(x): the engine": [float(silu_1(v)) for v in xs],
          "f''(x): the engine": [float(silu_2(v)) for v in xs]}
fig = plt.figure(figsize=(8, 3.6))
plt.plot(xs, silu(xs), color=FORWARD_COLOR, lw=2, label="f(x) = x σ(x)")
plt.plot(xs, curves["f'(x): the engine"], color=GRADIENT_COLOR, lw=2, label="f'(x): the engine")
plt.plot(xs, curves["f''(x): the engine"], color=SECOND_COLOR, lw=2, label="f''(x): the engine")
plt.plot(xs[::6], silu_second_derivative(xs[::6]), "o", color=SECOND_COLOR, mfc="white",
         label="f''(x): your formula")
plt.axhline(0, color="gray", lw=0.5)
plt.xlabel("x")
plt.legend(fontsize=8)
plt.title("the SiLU gate and its first two derivatives")
formula_gap = np.max(np.abs(silu_second_derivative(xs[::6]) - np.array(curves["f''(x): the engine"][::6])))
show(fig, alt=f"the SiLU gate and its first two derivatives, against x from {xs[0]:g} to "
     f"{xs[-1]:g}: " + series_alt(xs, curves, x_fmt="x = {:.1f}") + f". Your formula for f'', "
     f"drawn as {len(xs[::6])} open circles, is at most {formula_gap:.1e} from the engine's curve.")
curvature = np.array([float(silu_2(v)) for v in xs])
print(f"f'' < 0 where |x| > {xs[(xs > 0) & (curvature < 0)].min():.1f} (on this grid of step 0.1)")


# %% [markdown]
# ## 2. Hessian-vector products without the Hessian
#
# For a function of many numbers, $f: \mathbb{R}^n \to \mathbb{R}$, the second derivative is the
# **Hessian** $H$, an $n \times n$ matrix with $H_{ij} = \partial^2 f / \partial x_i \partial x_j$; it is
# symmetric. It is also the Jacobian of the gradient: row $i$ of $H$ is the derivative of
# $\partial f / \partial x_i$. A network with $n = 10^6$ parameters has a Hessian with $10^{12}$ entries:
# far too many to build. But most uses of the Hessian only need its product with a vector, $H v$
# (the change of the gradient when $x$ moves along $v$), and that costs about as much as a gradient.
#
# **Forward-over-reverse.** $H v = \frac{d}{dt} \nabla f(x + t v)\big|_{t=0}$ is the directional
# derivative of the gradient along $v$: a JVP (forward mode, 05) of the function `course.grad(f)`
# (reverse mode). One forward-mode pass over the gradient computation. This is what `course.hvp`
# and JAX's `hvp` do; the cell below shows it on the Rosenbrock function, whose long curved valley
# makes gradient descent crawl (Section 5).
#
# Two more ways are exercises: two reverse passes nested, and finite differences of gradients.
# Section 3 then has you write forward-over-reverse yourself, with no engine at all.

# %%
def rosenbrock(x):
    # sum over i of 10 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2; its minimum is 0, at x = (1, ..., 1)
    return (10.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


x0, v = np.array([-0.8, 0.4, 1.3, 0.2]), np.array([0.3, -1.0, 0.5, 2.0])
forward_over_reverse = course.jvp(course.grad(rosenbrock), (x0,), (v,))[1]
print("rosenbrock at (1, 1, 1):", rosenbrock(np.ones(3)))
print("H v, the JVP of the gradient:", forward_over_reverse)
print("H v, course.hvp:             ", course.hvp(rosenbrock, x0, v))


# %% [markdown]
# ### Exercise 3: `hvp_rev_rev`, reverse-over-reverse (2 points)
#
# **What to do.** Write `hvp_rev_rev(f, x, v)`: the same $H v$ for a scalar function `f` at `x` (a
# vector of shape `(n,)`), this time with two reverse passes: `course.grad` inside `course.grad`,
# and no `course.jvp` or `course.hvp`. Return an array of the shape of `x`.
#
# **Approach.** Find a **scalar** function of $x$ whose gradient is $H v$, and take its gradient with
# the engine.
#
# **Example.** For `f = lambda x: 0.5 * x @ A @ x` with a symmetric `A`, the answer is `A @ v`,
# whatever `x` is.
#
# <details><summary>Hint 1</summary>
#
# $v$ does not depend on $x$, and $H$ is symmetric. What is the gradient of $x \mapsto \nabla f(x) \cdot v$?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Inside the scalar function, compute the gradient at that function's own argument, not at the fixed
# `x`: a gradient taken at a constant point is a constant, and the outer `course.grad` returns zeros.
# </details>

# %% nbgrader={"grade": false, "grade_id": "hvp-rev-rev", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hvp_rev_rev(f, x, v):
    """H v for scalar f at x, by reverse mode over reverse mode. The shape of x."""
    ### BEGIN SOLUTION
    return course.grad(lambda y: (course.grad(f)(y) * v).sum())(x)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hvp-rev-rev", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
quadratic = lambda x: 0.5 * x @ A @ x
x_q, v_q = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, -2.0])
got = hvp_rev_rev(quadratic, x_q, v_q)
assert np.shape(got) == x_q.shape, f"H v has the shape of x, {x_q.shape}; got {np.shape(got)}"
assert np.allclose(got, A @ v_q), (
    f"H v = A v = {A @ v_q}; got {got}. (All zeros: the inner gradient was taken at the fixed x "
    f"instead of at the function's argument. A @ ones = {A @ np.ones(3)}: v is missing. "
    f"A x * v = {A @ x_q * v_q}: that is the gradient times v, element by element.)")
assert np.allclose(hvp_rev_rev(rosenbrock, x0, v), course.hvp(rosenbrock, x0, v), rtol=1e-10), (
    "reverse-over-reverse must agree with forward-over-reverse (course.hvp) to rounding")

# %% nbgrader={"grade": true, "grade_id": "test-hvp-rev-rev-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(hvp_rev_rev(lambda x: (x * x).sum(), np.ones(2), np.ones(2))) == (2,)
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
    assert check_jvp(course.grad(_f), lambda t, x, f=_f: hvp_rev_rev(f, x, t[0]), _x, seed=_i)
assert np.allclose(hvp_rev_rev(rosenbrock, np.full(3, 0.5), np.zeros(3)), 0.0), "H 0 = 0"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4: `hvp_finite_diff`, finite differences of gradients (2 points)
#
# **What to do.** Write `hvp_finite_diff(f, x, v, eps=1e-5)`: $H v$ approximately, as the central
# difference of the gradient $\nabla f$ (from `course.grad(f)`) along $v$, with the step `eps`.
#
# **Approach.** The central difference of 01, which approximates a derivative from two nearby values
# of a function: here the function is the gradient, and "nearby" means along $v$.
#
# **Example.** For $f(x) = \sum_i x_i^4$ and `eps=0.1`, the answer is exactly
# $12 x^2 v + 4 \varepsilon^2 v^3$ (element-wise): the true $H v = 12 x^2 v$ plus a truncation error that
# shrinks like $\varepsilon^2$. The visible test checks this.
#
# <details><summary>Hint 1</summary>
#
# Which two points does a *central* difference use, and by what distance between them does it
# divide?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Use the `eps` argument, not a number of your own. Two gradient evaluations in all.
# </details>

# %% nbgrader={"grade": false, "grade_id": "hvp-finite-diff", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hvp_finite_diff(f, x, v, eps=1e-5):
    """H v for scalar f at x, approximately: central differences of the gradient along v."""
    ### BEGIN SOLUTION
    grad_f = course.grad(f)
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hvp-finite-diff", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
quartic = lambda x: (x ** 4).sum()
x_4, v_4 = np.array([1.0, -0.5, 2.0]), np.array([0.5, 1.0, -1.0])
got = hvp_finite_diff(quartic, x_4, v_4, eps=0.1)
expected = 12 * x_4 ** 2 * v_4 + 4 * 0.1 ** 2 * v_4 ** 3
assert np.shape(got) == x_4.shape, f"H v has the shape of x, {x_4.shape}; got {np.shape(got)}"
assert np.allclose(got, expected, rtol=1e-9), (
    f"with eps = 0.1 the central difference of 4 x**3 along v is exactly 12 x**2 v + 4 eps**2 v**3 "
    f"= {expected}; got {got}. Check which two points you use, what you divide by, and that you "
    f"use eps")
exact = course.hvp(rosenbrock, x0, v)
assert np.allclose(hvp_finite_diff(rosenbrock, x0, v), exact, rtol=1e-7, atol=1e-8), (
    "with the default eps the finite difference should match course.hvp to about 7 digits")

# %% nbgrader={"grade": true, "grade_id": "test-hvp-finite-diff-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(hvp_finite_diff(lambda x: (x * x).sum(), np.ones(2), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(62)
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
_x, _v = _rng.standard_normal(4), _rng.standard_normal(4)
for _eps in (0.5, 0.05):
    _got = hvp_finite_diff(lambda x: (x ** 4).sum(), _x, _v, eps=_eps)
    assert np.allclose(_got, 12 * _x ** 2 * _v + 4 * _eps ** 2 * _v ** 3, rtol=1e-9), f"eps = {_eps}"
assert np.allclose(hvp_finite_diff(rosenbrock, np.full(3, 0.5), np.zeros(3)), 0.0), "H 0 = 0"
### END HIDDEN TESTS

# %% [markdown]
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
# The cell below measures the error of your `hvp_finite_diff` on the Rosenbrock function in 200
# dimensions, for steps from $10^{-13}$ to $10^{-1}$, against the exact $H v$ of `course.hvp`. On a
# log-log plot the two regimes are straight lines, with slope $+2$ on the right and $-1$ on the
# left: a U.

# %%
rng = np.random.default_rng(0)
x_200, v_200 = rng.uniform(-1, 1, 200), rng.standard_normal(200)
exact = course.hvp(rosenbrock, x_200, v_200)
steps = 10.0 ** np.arange(-13, -0.5, 0.5)
errors = np.array([np.linalg.norm(hvp_finite_diff(rosenbrock, x_200, v_200, eps=e) - exact)
                   / np.linalg.norm(exact) for e in steps])
best = steps[np.argmin(errors)]

fig = plt.figure(figsize=(7, 4))
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
show(fig, alt=f"finite-difference Hessian-vector product: a log-log plot of its relative error "
     f"against the step eps from {steps[0]:.0e} to {steps[-1]:.0e}: "
     + series_alt(steps, {"measured relative error": errors}, fmt="{:.1e}", x_fmt="eps = {:.0e}")
     + ". Grey guide lines: slope +2 (truncation, ∝ eps²) for large steps, slope -1 (round-off, "
     f"∝ 1/eps) for small ones; a vertical line marks the best step, {best:.0e}.")
print(f"smallest error {errors.min():.1e} at eps = {best:.0e}; reverse-over-reverse is within "
      f"{np.linalg.norm(hvp_rev_rev(rosenbrock, x_200, v_200) - exact) / np.linalg.norm(exact):.0e}")


# %% [markdown]
# The best step balances the two errors: about $\varepsilon^2 \approx 10^{-16}/\varepsilon$, so
# $\varepsilon \approx 10^{-5}$ to $10^{-6}$ (the cube root of the machine precision, scaled by the size
# of $x$). Even there the error is about $(10^{-16})^{2/3} \approx 10^{-11}$ relative: a third of
# float64's 16 digits are lost, whatever the step. That is why the gradient checks of this course
# compare with finite differences at a loose tolerance, and why the exact methods are worth having.

# %% [markdown]
# ## 3. Forward over your own reverse: a small network
#
# `course.hvp` runs forward mode over the engine's backward pass. You can do the same by hand: a
# backward pass is a short program of array operations, and forward mode (05) can be run over any
# program. Give every quantity a tangent, the speed at which it moves when the parameters move along
# the direction $v$; then after each line of the forward *and* the backward pass, write the line that
# computes its tangent. The tangent of the gradient is $H v$.
#
# Two rules of 05 carry you through every line: a function of a moving quantity gets its slope times
# the incoming tangent, and a product of two moving quantities gets the product rule (dual numbers:
# $\varepsilon^2 = 0$). The data never moves.
#
# **A worked example: logistic regression.** The loss $L(w) = \frac1N \sum_i \log(1 + e^{-y_i z_i})$,
# with scores $z = X w$ and labels $y_i = \pm 1$. Its backward pass: $\partial L / \partial z_i = -y_i\,
# \sigma(-y_i z_i) / N$, then $\nabla_w L = X^\top (\partial L / \partial z)$. The function below
# computes the gradient and, line by line, its tangent along $v$.

# %%
def sigmoid_np(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def logistic_grad_and_hvp(w, v, X, y):
    """The gradient of mean(log(1 + exp(-y * (X @ w)))) and its Hessian times v, in one pass."""
    N = len(y)
    z = X @ w                              # forward pass
    z_dot = X @ v                          #   its tangent: X is data, only w moves
    s = sigmoid_np(-y * z)                 # backward pass: dL/dz = -y s / N
    s_dot = s * (1 - s) * (-y * z_dot)     #   the sigmoid's slope times the tangent of its input
    g_z = -y * s / N
    g_z_dot = -y * s_dot / N               #   y is data: only s moves
    g_w = X.T @ g_z
    g_w_dot = X.T @ g_z_dot                #   X is data: only g_z moves
    return g_w, g_w_dot


rng = np.random.default_rng(3)
X_lr, y_lr = rng.standard_normal((20, 3)), rng.choice([-1.0, 1.0], 20)
w_lr, v_lr = rng.standard_normal(3), rng.standard_normal(3)
logistic_loss = lambda w: course.log(1 + course.exp(-y_lr * (X_lr @ w))).mean()
g, Hv = logistic_grad_and_hvp(w_lr, v_lr, X_lr, y_lr)
print("gradient, by hand:  ", g, "\ngradient, engine:   ", course.grad(logistic_loss)(w_lr))
print("H v, by hand:       ", Hv, "\nH v, course.hvp:    ", course.hvp(logistic_loss, w_lr, v_lr))

# %% [markdown]
# **The network of the exercises.** One hidden layer of $\tanh$ units and a squared-error loss. Data
# `X` of shape `(N, D)` and targets `y` of shape `(N,)`; parameters `W` of shape `(D, M)` and `u` of
# shape `(M,)`:
#
# $$a = X W, \qquad h = \tanh(a), \qquad p = h\,u, \qquad L = \frac{1}{2N} \sum_i (p_i - y_i)^2 .$$
#
# The cell below defines `mlp_loss(W, u, X, y)` with operations that run on numpy and in the engine,
# and a small data set.

# %%
def mlp_loss(W, u, X, y):
    """0.5 * mean((tanh(X @ W) @ u - y)**2): X (N, D), y (N,), W (D, M), u (M,). A number."""
    return 0.5 * ((course.tanh(X @ W) @ u - y) ** 2).mean()


rng = np.random.default_rng(4)
X_net, y_net = rng.standard_normal((6, 3)), rng.standard_normal(6)
W_net, u_net = rng.standard_normal((3, 4)), rng.standard_normal(4)
print(f"the loss at the random parameters: {float(mlp_loss(W_net, u_net, X_net, y_net)):.6f}")

# %% [markdown]
# ### Exercise 5: the network's backward pass (4 points)
#
# **What to do.** Write `mlp_grad(W, u, X, y)`: the gradient of `mlp_loss` with respect to both
# parameters, as the pair `(dW, du)` of the shapes of `W` and `u`, by hand: the forward pass, then
# the backward pass with the vector-Jacobian products of 03 and 04. No engine (no `course.grad`,
# `course.vjp`, ...).
#
# **Approach.** Keep the forward pass's intermediate values; then go back through the four steps,
# from $\partial L / \partial p$ to $\partial L / \partial a$, turning each upstream gradient into the next.
# Write each step on its own line: Exercise 6 gives every one of them a tangent.
#
# **Example.** With the data above, `mlp_grad(W_net, u_net, X_net, y_net)` returns arrays of shapes
# `(3, 4)` and `(4,)`, equal to `course.grad(mlp_loss, argnums=(0, 1))(W_net, u_net, X_net, y_net)`.
#
# <details><summary>Hint 1</summary>
#
# Which quantity does each gradient have the shape of? $\partial L / \partial p$ is `(N,)`,
# $\partial L / \partial h$ and $\partial L / \partial a$ are `(N, M)`. The mean divides by $N$, and the
# $\tanh$'s local gradient is best written with its output.
# </details>
#
# <details><summary>Hint 2</summary>
#
# $p = h u$ is a matrix times a vector: $\partial L/\partial u$ must have `u`'s shape `(M,)`, and
# $\partial L/\partial h$ `h`'s shape: which products of `(N,)`, `(N, M)` and `(M,)` arrays give those?
# `np.outer` is one of them.
# </details>

# %% nbgrader={"grade": false, "grade_id": "mlp-grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mlp_grad(W, u, X, y):
    """(dL/dW, dL/du) of mlp_loss by hand: W's shape (D, M) and u's shape (M,)."""
    ### BEGIN SOLUTION
    h = np.tanh(X @ W)
    p = h @ u
    g_p = (p - y) / len(y)
    du = h.T @ g_p
    g_h = np.outer(g_p, u)
    g_a = g_h * (1 - h * h)
    dW = X.T @ g_a
    return dW, du
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-mlp-grad", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
grads = mlp_grad(W_net, u_net, X_net, y_net)
assert isinstance(grads, tuple) and len(grads) == 2, "return the pair (dW, du)"
dW, du = grads
assert np.shape(dW) == W_net.shape and np.shape(du) == u_net.shape, (
    f"dW has W's shape {W_net.shape} and du u's shape {u_net.shape}; got {np.shape(dW)} and {np.shape(du)}")
# against finite differences of the loss, with a diagnosis of the likely mistake
assert check_vjp(lambda W, u: mlp_loss(W, u, X_net, y_net),
                 lambda g, W, u: tuple(g * d for d in mlp_grad(W, u, X_net, y_net)), W_net, u_net)

# %% nbgrader={"grade": true, "grade_id": "test-mlp-grad-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(mlp_grad(np.ones((2, 3)), np.ones(3), np.ones((4, 2)), np.ones(4))[0]) == (2, 3)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40)
for _seed, (_N, _D, _M) in enumerate([(1, 1, 1), (9, 2, 5), (4, 5, 2), (12, 3, 3)]):
    _X, _y = _rng.standard_normal((_N, _D)), _rng.standard_normal(_N)
    _W, _u = _rng.standard_normal((_D, _M)), _rng.standard_normal(_M)
    _expected = course.grad(mlp_loss, argnums=(0, 1))(_W, _u, _X, _y)
    _got = mlp_grad(_W, _u, _X, _y)
    for _name, _e, _g in zip(("dW", "du"), _expected, _got):
        assert np.shape(_g) == np.shape(_e), f"N, D, M = {_N, _D, _M}: {_name} has shape {np.shape(_e)}"
        assert np.allclose(_g, _e, rtol=1e-10, atol=1e-12), f"N, D, M = {_N, _D, _M}: wrong {_name}"
# a perfect fit has zero gradient
_X, _W, _u = _rng.standard_normal((5, 2)), _rng.standard_normal((2, 3)), _rng.standard_normal(3)
_y = np.tanh(_X @ _W) @ _u
assert all(np.allclose(g, 0.0) for g in mlp_grad(_W, _u, _X, _y)), "targets fitted exactly: zero gradient"
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6: forward over your reverse, the network's Hessian-vector product (8 points)
#
# **What to do.** Write `mlp_hvp(W, u, W_dot, u_dot, X, y)`: the Hessian of `mlp_loss` with respect
# to all its parameters, times the direction $v = (\dot W, \dot u)$, as the pair `(HW, Hu)` of the
# shapes of `W` and `u`: the tangent of $(\partial L/\partial W, \partial L/\partial u)$ when `W` moves along
# `W_dot` and `u` along `u_dot`. Compute it as the worked example does: your backward pass of
# Exercise 5, every line followed by the line of its tangent. No engine, and no finite differences.
#
# **Approach.** Start with the tangents of the forward pass ($\dot a$, $\dot h$, $\dot p$), then walk
# the backward pass line by line. For each line ask: which of its factors move? A factor that moves
# contributes a term with its tangent in its place.
#
# **Example.** If only `u` moves, the hidden activations $h$ stand still, and $\dot p = h\,\dot u$.
# If `W_dot` and `u_dot` are zero, both results are zero. The tests compare with the engine's
# forward-over-reverse and with finite differences of the engine's gradient.
#
# <details><summary>Hint 1</summary>
#
# $\partial L/\partial u$ is a product of two moving quantities, $h$ and $\partial L/\partial p$: both
# have tangents. So is $\partial L/\partial h$ (which two?). And the $\tanh$'s local gradient moves too:
# what is its tangent? (You computed a second derivative in Exercise 1 in the same way.)
# </details>
#
# <details><summary>Hint 2</summary>
#
# Every tangent has the shape of its quantity: $\dot a$, $\dot h$, $\dot g_h$, $\dot g_a$ are
# `(N, M)`, $\dot p$ and $\dot g_p$ are `(N,)`. The last line, like the gradient's, multiplies by
# $X^\top$, which does not move.
# </details>

# %% nbgrader={"grade": false, "grade_id": "mlp-hvp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mlp_hvp(W, u, W_dot, u_dot, X, y):
    """(HW, Hu): the Hessian of mlp_loss times the direction (W_dot, u_dot), by forward mode over
    the backward pass by hand. W's shape (D, M) and u's shape (M,)."""
    ### BEGIN SOLUTION
    N = len(y)
    h = np.tanh(X @ W)
    h_dot = (1 - h * h) * (X @ W_dot)
    p_dot = h_dot @ u + h @ u_dot
    g_p = (h @ u - y) / N
    g_p_dot = p_dot / N
    du_dot = h_dot.T @ g_p + h.T @ g_p_dot
    g_h = np.outer(g_p, u)
    g_h_dot = np.outer(g_p_dot, u) + np.outer(g_p, u_dot)
    g_a_dot = g_h_dot * (1 - h * h) - 2 * g_h * h * h_dot
    dW_dot = X.T @ g_a_dot
    return dW_dot, du_dot
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-mlp-hvp", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
def engine_hvp(W, u, W_dot, u_dot, X, y):
    # the engine's forward-over-reverse: the JVP of each part of the gradient along (W_dot, u_dot)
    grad_loss = course.grad(mlp_loss, argnums=(0, 1))
    return tuple(course.jvp(lambda W, u, k=k: grad_loss(W, u, X, y)[k], (W, u), (W_dot, u_dot))[1]
                 for k in (0, 1))


def flat(pair):
    return np.concatenate([np.ravel(pair[0]), np.ravel(pair[1])])


rng = np.random.default_rng(5)
W_dot, u_dot = rng.standard_normal(W_net.shape), rng.standard_normal(u_net.shape)
got = mlp_hvp(W_net, u_net, W_dot, u_dot, X_net, y_net)
assert isinstance(got, tuple) and len(got) == 2, "return the pair (HW, Hu)"
assert np.shape(got[0]) == W_net.shape and np.shape(got[1]) == u_net.shape, (
    f"HW has W's shape {W_net.shape}, Hu u's shape {u_net.shape}; got {np.shape(got[0])}, {np.shape(got[1])}")
zero = mlp_hvp(W_net, u_net, 0 * W_dot, 0 * u_dot, X_net, y_net)
assert np.allclose(flat(zero), 0.0), (
    "with a zero direction nothing moves, so H v = 0: are you returning the gradient itself?")
# H v is the JVP of the gradient: check_jvp compares it with finite differences of the engine's
# gradient, moving W alone, u alone, then both (it names the input whose terms are wrong)
assert check_jvp(lambda W, u: flat(course.grad(mlp_loss, argnums=(0, 1))(W, u, X_net, y_net)),
                 lambda t, W, u: flat(mlp_hvp(W, u, t[0], t[1], X_net, y_net)), W_net, u_net)
assert np.allclose(flat(got), flat(engine_hvp(W_net, u_net, W_dot, u_dot, X_net, y_net)), rtol=1e-10), (
    "your H v must agree with the engine's forward-over-reverse to rounding")
# H is symmetric: <v1, H v2> = <v2, H v1>
v1 = (W_dot, u_dot)
v2 = (rng.standard_normal(W_net.shape), rng.standard_normal(u_net.shape))
left = flat(v1) @ flat(mlp_hvp(W_net, u_net, *v2, X_net, y_net))
right = flat(v2) @ flat(mlp_hvp(W_net, u_net, *v1, X_net, y_net))
assert np.isclose(left, right, rtol=1e-10), f"a Hessian is symmetric: <v1, H v2> = {left:.8g} but <v2, H v1> = {right:.8g}"

# %% nbgrader={"grade": true, "grade_id": "test-mlp-hvp-hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(mlp_hvp(np.ones((2, 3)), np.ones(3), np.ones((2, 3)), np.ones(3), np.ones((4, 2)), np.ones(4))[1]) == (3,)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(41)
for _seed, (_N, _D, _M) in enumerate([(1, 1, 1), (9, 2, 5), (4, 5, 2), (12, 3, 3)]):
    _X, _y = _rng.standard_normal((_N, _D)), _rng.standard_normal(_N)
    _W, _u = _rng.standard_normal((_D, _M)), _rng.standard_normal(_M)
    _Wd, _ud = _rng.standard_normal((_D, _M)), _rng.standard_normal(_M)
    _expected = engine_hvp(_W, _u, _Wd, _ud, _X, _y)
    _got = mlp_hvp(_W, _u, _Wd, _ud, _X, _y)
    for _name, _e, _g in zip(("HW", "Hu"), _expected, _got):
        assert np.shape(_g) == np.shape(_e), f"N, D, M = {_N, _D, _M}: {_name} has shape {np.shape(_e)}"
        assert np.allclose(_g, _e, rtol=1e-10, atol=1e-12), f"N, D, M = {_N, _D, _M}: wrong {_name}"
    # linear in the direction
    _twice = mlp_hvp(_W, _u, 2 * _Wd, -3 * _ud, _X, _y)
    _parts = [mlp_hvp(_W, _u, 2 * _Wd, 0 * _ud, _X, _y), mlp_hvp(_W, _u, 0 * _Wd, -3 * _ud, _X, _y)]
    assert np.allclose(flat(_twice), flat(_parts[0]) + flat(_parts[1])), "H v is linear in v"
# at a perfect fit the residual terms vanish: H v = J^T J v (the Gauss-Newton product), still exact
_X, _W, _u = _rng.standard_normal((5, 2)), _rng.standard_normal((2, 3)), _rng.standard_normal(3)
_y = np.tanh(_X @ _W) @ _u
_Wd, _ud = _rng.standard_normal((2, 3)), _rng.standard_normal(3)
assert np.allclose(flat(mlp_hvp(_W, _u, _Wd, _ud, _X, _y)), flat(engine_hvp(_W, _u, _Wd, _ud, _X, _y)))
### END HIDDEN TESTS

# %% [markdown]
# ### What forward-over-reverse costs
#
# The cell below makes the network bigger (200 examples, 10 inputs, 20 hidden units: 220
# parameters) and compares, for one Hessian-vector product, your forward-over-reverse, the engine's
# (`course.hvp` on the parameters flattened into one vector), reverse-over-reverse (your
# `hvp_rev_rev`), finite differences of your gradient (two gradients), and the full Hessian from the
# engine times $v$ (`course.jacfwd(course.jacrev(...))`: one forward pass over the gradient per
# parameter). Times are the best of a few runs; errors are relative to the engine's `course.hvp`.

# %%
rng = np.random.default_rng(6)
N, D, M = 200, 10, 20
X_big, y_big = rng.standard_normal((N, D)), rng.standard_normal(N)
W_big, u_big = rng.standard_normal((D, M)) / np.sqrt(D), rng.standard_normal(M) / np.sqrt(M)
W_dir, u_dir = rng.standard_normal((D, M)), rng.standard_normal(M)


def unflat(z):
    return z[:D * M].reshape(D, M), z[D * M:]


flat_loss = lambda z: mlp_loss(*unflat(z), X_big, y_big)
z_big, v_big = flat((W_big, u_big)), flat((W_dir, u_dir))
exact = course.hvp(flat_loss, z_big, v_big)
eps = 1e-5
methods = [
    ("your gradient (mlp_grad)", lambda: flat(mlp_grad(W_big, u_big, X_big, y_big)), None),
    ("your H v (mlp_hvp)", lambda: flat(mlp_hvp(W_big, u_big, W_dir, u_dir, X_big, y_big)), exact),
    ("engine gradient", lambda: course.grad(flat_loss)(z_big), None),
    ("engine H v (course.hvp)", lambda: course.hvp(flat_loss, z_big, v_big), exact),
    ("reverse-over-reverse", lambda: hvp_rev_rev(flat_loss, z_big, v_big), exact),
    ("differences of your gradient", lambda: (flat(mlp_grad(W_big + eps * W_dir, u_big + eps * u_dir, X_big, y_big))
                                               - flat(mlp_grad(W_big - eps * W_dir, u_big - eps * u_dir, X_big, y_big)))
                                              / (2 * eps), exact),
]
print(f"{'method':<32}{'time (ms)':>11}{'relative error':>16}")
for name, fn, reference in methods:
    result, seconds = best_time(fn)
    error = "" if reference is None else f"{np.linalg.norm(result - reference) / np.linalg.norm(reference):>16.1e}"
    print(f"{name:<32}{seconds * 1e3:>11.2f}{error}")
H_full, seconds = best_time(lambda: course.jacfwd(course.jacrev(flat_loss))(z_big), repeats=1)
print(f"{'full Hessian (jacfwd of jacrev)':<32}{seconds * 1e3:>11.2f}"
      f"{np.linalg.norm(H_full @ v_big - exact) / np.linalg.norm(exact):>16.1e}")

# %% [markdown]
# Reading the table: a Hessian-vector product costs a small multiple of one gradient (forward mode
# carries a tangent beside every value, so roughly two to three gradients' worth of work), whether
# you or the engine runs it; your hand-written numpy is faster still because it records no graph.
# The full Hessian costs one such pass per parameter, hundreds of times more, and only then gives
# $H v$. Both exact methods agree to rounding; finite differences of the gradient lose digits, as
# the U-curve above predicts.
#
# ## 4. The whole Hessian, one column at a time
#
# $H e_j$, with $e_j$ the $j$-th basis vector, is column $j$ of $H$. So $n$ Hessian-vector products
# give the whole Hessian, and each costs a small multiple of a gradient. A network's parameters are
# several arrays, though, here `W` and `u`: its Hessian is over all of their entries together, one
# long vector of parameters, and it falls into blocks ($\partial^2 L/\partial W \partial W$,
# $\partial^2 L/\partial W \partial u$, ...).
#
# ### Exercise 7: the Hessian over several parameter arrays (4 points)
#
# **What to do.** Write `hessian(f, params)`. `params` is a tuple of arrays (of any shapes) and
# `f(*params)` a scalar written with engine operations. Return the $n \times n$ Hessian, where $n$ is
# the total number of entries, in the order of `np.concatenate([p.ravel() for p in params])` (the
# first array's entries in numpy's order, then the next array's, ...), built **one Hessian-vector
# product per column** with the engine (`course.hvp`, or `course.jvp` of `course.grad`; not
# `course.jacfwd` or `course.jacrev`).
#
# **Approach.** The engine's Hessian-vector product wants a function of one vector: build one that
# cuts a long vector back into arrays of the parameters' shapes, then collect the columns.
#
# **Example.** For one parameter, `hessian(lambda x: 0.5 * x @ A @ x, (x,))` is `A` (symmetric `A`).
# For `params = (W_net, u_net)` above, the result has shape `(16, 16)`: $3 \cdot 4 + 4$ parameters.
#
# <details><summary>Hint 1</summary>
#
# Inside the engine a long vector is a `Tensor`: slicing (`z[start:stop]`) and `.reshape(shape)`
# work on it as on a numpy array. Where does each parameter start and stop in the long vector?
# </details>
#
# <details><summary>Hint 2</summary>
#
# Column $j$ of $H$ is $H e_j$: `H[:, j] = ...`. The result must be symmetric, up to rounding, and
# the outer product of the gradient with itself is not the Hessian (it ignores how the gradient
# changes).
# </details>

# %% nbgrader={"grade": false, "grade_id": "hessian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hessian(f, params):
    """The (n, n) Hessian of scalar f(*params) over all entries of the arrays in params (in the
    order of their ravelled concatenation), one Hessian-vector product per column."""
    params = tuple(np.asarray(p, dtype=np.float64) for p in params)
    ### BEGIN SOLUTION
    stops = np.cumsum([p.size for p in params])
    starts = stops - [p.size for p in params]

    def f_of_vector(z):
        return f(*[z[int(a):int(b)].reshape(p.shape) for p, a, b in zip(params, starts, stops)])

    z = np.concatenate([p.ravel() for p in params])
    n = z.size
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        H[:, j] = course.hvp(f_of_vector, z, e)
    return H
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-hessian", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
H = hessian(lambda x: 0.5 * x @ A @ x, (np.array([0.5, -1.0, 2.0]),))
assert np.shape(H) == (3, 3), f"the Hessian of a function of 3 numbers is 3 x 3; got {np.shape(H)}"
assert np.allclose(H, A), f"the Hessian of 0.5 x^T A x is A =\n{A}\ngot\n{H}"
# two parameters, a vector a (2,) and a matrix B (2, 3): f = sum(a**2) sum(B) + sum(B**3) / 6, whose
# Hessian blocks are 2 sum(B) I (a, a), 2 a_i (a, B) and diag(B) (B, B)
a, B = np.array([0.5, -2.0]), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
f_ab = lambda a, B: (a * a).sum() * B.sum() + (B ** 3).sum() / 6
expected = np.block([[2 * B.sum() * np.eye(2), 2 * np.outer(a, np.ones(6))],
                     [2 * np.outer(np.ones(6), a), np.diag(B.ravel())]])
H = hessian(f_ab, (a, B))
assert np.shape(H) == (8, 8), f"2 + 6 parameters: the Hessian is 8 x 8; got {np.shape(H)}"
assert np.allclose(H, expected), (
    f"expected (rows and columns in the order a[0], a[1], B[0, 0], B[0, 1], ..., B[1, 2])\n"
    f"{expected}\ngot\n{H}")

# %% nbgrader={"grade": true, "grade_id": "test-hessian-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(hessian(lambda x: (x * x).sum(), (np.ones(2),))) == (2, 2)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(63)
_M = _rng.standard_normal((5, 5))
_A = _M + _M.T
_C = _rng.standard_normal((3, 6))


def _flat_reference(f, params):
    _sizes = [p.size for p in params]
    _stops = np.cumsum(_sizes)

    def _g(z):
        return f(*[z[s - n:s].reshape(p.shape) for p, n, s in zip(params, _sizes, _stops)])
    return course.jacfwd(course.jacrev(_g))(np.concatenate([p.ravel() for p in params]))


_cases = [
    (lambda x: 0.5 * x @ _A @ x, ((5,),)),
    (rosenbrock, ((6,),)),
    (lambda x: (course.tanh(_C @ x) ** 2).sum() + course.exp(0.3 * x).sum(), ((6,),)),
    (lambda W, u: mlp_loss(W, u, X_net, y_net), ((3, 4), (4,))),
    (lambda a, B, c: (course.tanh(B @ a) * c).sum() + (a * a * a).sum(), ((3,), (2, 3), (2,))),
    (lambda s, x: s * (x * x).sum() + s * s * s, ((), (3,))),
]
_wrong = []
for _i, (_f, _shapes) in enumerate(_cases):
    _params = tuple(np.asarray(_rng.standard_normal(s)) for s in _shapes)
    _expected = _flat_reference(_f, _params)
    _got = hessian(_f, _params)
    assert np.shape(_got) == _expected.shape, f"case {_i}: the Hessian must have shape {_expected.shape}"
    if not np.allclose(_got, _expected, rtol=1e-10, atol=1e-12):
        _wrong.append(_i)
assert not _wrong, f"wrong Hessians in cases {_wrong}"
### END HIDDEN TESTS

# %% [markdown]
# The cell below builds the Hessian of the network's loss with your `hessian` and checks it against
# your `mlp_hvp` (its product with a random direction). Its blocks show how the parameters interact,
# and its eigenvalues tell the shape of the loss around this point: a negative eigenvalue is a
# direction of negative curvature, where the loss bends down, so the point is no minimum (not even a
# convex bowl nearby), unlike the convex quadratic and logistic losses.

# %%
H_net = hessian(lambda W, u: mlp_loss(W, u, X_net, y_net), (W_net, u_net))
direction = (rng.standard_normal(W_net.shape), rng.standard_normal(u_net.shape))
print(f"|H v - mlp_hvp(v)|: {np.max(np.abs(H_net @ flat(direction) - flat(mlp_hvp(W_net, u_net, *direction, X_net, y_net)))):.1e}")
print(f"|H - H^T|:          {np.max(np.abs(H_net - H_net.T)):.1e}")
eigenvalues = np.linalg.eigvalsh(H_net)
print(f"eigenvalues from {eigenvalues.min():.3f} to {eigenvalues.max():.3f}; "
      f"{np.sum(eigenvalues < 0)} of {len(eigenvalues)} are negative")

limit = np.max(np.abs(H_net))
fig = plt.figure(figsize=(4.8, 4))
plt.imshow(H_net, cmap="PuOr", vmin=-limit, vmax=limit)
plt.colorbar(label="H[i, j]")
n_W = W_net.size
plt.axhline(n_W - 0.5, color="black", lw=1)
plt.axvline(n_W - 0.5, color="black", lw=1)
title = f"Hessian of the network's loss: W ({W_net.size}) then u ({u_net.size})"
plt.title(title, fontsize=10)
plt.xlabel("j")
plt.ylabel("i")
show(fig, alt=matrix_alt(H_net, title, max_listed=0) + f"; symmetric, colour from "
     f"{-limit:.3g} to {limit:.3g} (0 white); lines split it after the first {n_W} rows and "
     f"columns (W) from the last {u_net.size} (u); eigenvalues from {eigenvalues.min():.3f} to "
     f"{eigenvalues.max():.3f}.")

# %% [markdown]
# ## 5. Backprop through backprop, in training
#
# Second derivatives show up inside ordinary training too. A *gradient penalty* adds the size of a
# gradient to a loss, for instance $R(x) = \lVert \nabla f(x) \rVert^2$ (used to train some GANs and to
# make models less sensitive to their inputs). Training on $R$ needs $\nabla R$, the gradient of an
# expression that contains a gradient. By the chain rule, $\nabla R = 2 H \nabla f$: a Hessian-vector
# product with $v = \nabla f(x)$. The engine gets it by differentiating straight through
# `course.grad`; the cell below checks that both routes agree.

# %%
x_pen = np.array([-0.8, 0.4, 1.3, 0.2])
penalty = lambda x: (course.grad(rosenbrock)(x) ** 2).sum()
through_grad = course.grad(penalty)(x_pen)                   # backprop through backprop
via_hvp = 2 * course.hvp(rosenbrock, x_pen, course.grad(rosenbrock)(x_pen))
print("grad of the penalty, by nesting course.grad:", through_grad)
print("2 H grad f, by a Hessian-vector product:    ", via_hvp)
print(f"largest difference: {np.max(np.abs(through_grad - via_hvp)):.1e}")


# %% [markdown]
# ## 6. Newton's method
#
# Gradient descent uses the slope only. Newton's method also uses the curvature. In one dimension:
# near $x$, a function is well described by its second-order Taylor model
#
# $$f(x + d) \approx f(x) + f'(x)\, d + \tfrac12 f''(x)\, d^2 ,$$
#
# a parabola in $d$, whose lowest point (for $f''(x) > 0$) is where its slope $f'(x) + f''(x)\, d$ is
# zero: $d = -f'(x) / f''(x)$. Newton's method jumps there, $x \leftarrow x - f'(x)/f''(x)$, and repeats.
# On a parabola the model is exact, so one step lands on the minimum. Near a minimum of any smooth
# function the error is roughly *squared* at every step (quadratic convergence): the number of
# correct digits doubles.
#
# In $n$ dimensions the model has the gradient in the place of $f'$ and the Hessian in the place of
# $f''$; the price of a step is a Hessian ($n$ Hessian-vector products) and an $n \times n$ linear
# system, fine for a few hundred parameters, hopeless for millions. (Large-scale second-order methods
# solve that system approximately with conjugate gradients, which only needs Hessian-vector products:
# "Hessian-free" optimisation.) Newton's method also does not know up from down: it heads for the
# model's stationary point, which is a minimum only where $H$ is positive definite; on the network
# above, with its negative eigenvalues, it would head for a saddle.
#
# ### Exercise 8: `newton_step` (3 points)
#
# **What to do.** Write `newton_step(f, x)`: one Newton step for a scalar function `f` of a vector `x`
# (shape `(n,)`), returning the new point, with the Hessian from your `hessian` and the gradient from
# `course.grad`.
#
# **Approach.** Write the $n$-dimensional model $f(x + d) \approx f(x) + \nabla f^\top d + \frac12 d^\top H d$,
# set its gradient with respect to $d$ to zero, and solve for $d$: the way it is computed matters.
#
# **Example.** For $f(x) = \frac12 x^\top A x - b^\top x$ ($A$ symmetric positive definite) the model is
# exact, and one Newton step from anywhere lands on the minimum $A^{-1} b$. The visible test checks
# this.
#
# <details><summary>Hint 1</summary>
#
# The gradient of the model with respect to $d$ is $\nabla f + H d$. Which linear system does the step
# solve? Mind the sign: like gradient descent, the step goes against the gradient where $H$ is
# positive definite.
# </details>
#
# <details><summary>Hint 2</summary>
#
# Never invert $H$: `np.linalg.solve` solves the system directly. Multiplying by $H$ is not solving
# with it, and dividing by its diagonal ignores how the coordinates interact.
# </details>

# %% nbgrader={"grade": false, "grade_id": "newton-step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def newton_step(f, x):
    """One Newton step for scalar f from x (shape (n,)): the new point, shape (n,)."""
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    g = course.grad(f)(x)
    H = hessian(f, (x,))
    return x - np.linalg.solve(H, g)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-newton-step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
A = np.array([[3.0, 1.0], [1.0, 2.0]])
b_vec = np.array([1.0, -1.0])
quadratic = lambda x: 0.5 * x @ A @ x - b_vec @ x
minimum = np.linalg.solve(A, b_vec)
x_new = newton_step(quadratic, np.array([5.0, -7.0]))
assert np.shape(x_new) == (2,), f"newton_step returns the new point, shape (2,); got {np.shape(x_new)}"
assert np.allclose(x_new, minimum), (
    f"on a quadratic one Newton step lands on the minimum {minimum}; got {x_new}. "
    f"Check the sign, and that you solve with H rather than multiply by it or divide by its diagonal")

x_r = np.array([-1.2, 1.0])
g_r = course.grad(rosenbrock)(x_r)
H_r = course.jacfwd(course.jacrev(rosenbrock))(x_r)
assert np.allclose(newton_step(rosenbrock, x_r), x_r - np.linalg.solve(H_r, g_r), rtol=1e-10), (
    "a Newton step on the Rosenbrock function from (-1.2, 1)")

# %% nbgrader={"grade": true, "grade_id": "test-newton-step-hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests check more shapes and edge cases when your work is graded.
assert np.shape(newton_step(lambda x: (x * x).sum(), np.ones(2))) == (2,)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(64)
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
# most 12 steps; it stops when a step no longer changes $x$) and with 2000 steps of gradient descent
# (learning rate 0.01, about the largest that stays stable here). The minimum is at $(1, 1)$, where
# $f = 0$.

# %%
x_start, x_star = np.array([-1.2, 1.0]), np.ones(2)


def grad_f(x):
    # the gradient of the 2-D Rosenbrock function written out, for 2000 fast steps
    return np.array([-2 * (1 - x[0]) - 40 * x[0] * (x[1] - x[0] ** 2), 20 * (x[1] - x[0] ** 2)])


assert np.allclose(grad_f(x_start), course.grad(rosenbrock)(x_start))

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
show(fig, alt=f"Two panels. Left, paths on the contours of f over x[0] from -2 to 2 and x[1] from "
     f"-1 to 3, from the start ({x_start[0]:g}, {x_start[1]:g}) towards the minimum "
     f"({x_star[0]:g}, {x_star[1]:g}): gradient descent takes {len(gd_path) - 1} steps and ends at "
     f"({gd_path[-1][0]:.3g}, {gd_path[-1][1]:.3g}); Newton takes {len(newton_path) - 1} and ends at "
     f"({newton_path[-1][0]:.3g}, {newton_path[-1][1]:.3g}). Right, loss per iteration, log "
     "scale: " + series_alt(np.arange(len(gd_loss)), {"gradient descent": gd_loss},
                           fmt="{:.2e}", x_fmt="iteration {:g}")
     + "; " + series_alt(np.arange(len(newton_loss)), {"Newton": newton_loss}, fmt="{:.2e}",
                         x_fmt="iteration {:g}") + ".")
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
# float64. Gradient descent, meanwhile, creeps along the curved valley: its step size is limited by
# the steepest direction, so it crawls along the flat one. Practical second-order methods add
# safeguards (a line search or a trust region) to Newton's step so that it never goes uphill.
#
# ## What you learned
#
# * The backward pass is made of ordinary operations, so it can be differentiated:
#   `course.grad(course.grad(f))` is $f''$, and a second derivative by hand is the product and chain
#   rules applied to the backward rule.
# * A Hessian-vector product costs a small multiple of a gradient, three ways: forward-over-reverse
#   (a JVP of the gradient, what `course.hvp` does), reverse-over-reverse (the gradient of
#   $\nabla f \cdot v$), and finite differences of gradients (cheap to write, but a third of the
#   digits or more are lost to truncation and round-off: the U-shaped error curve).
# * Forward-over-reverse needs no engine: give every line of your backward pass a tangent line, by
#   the product rule and the slopes of 05. The tangent of the gradient is $H v$.
# * $n$ Hessian-vector products with the basis vectors give the whole (symmetric) Hessian, over all
#   of a network's parameter arrays at once; a negative eigenvalue means the loss is not convex there.
# * Gradient penalties differentiate through a gradient: $\nabla \lVert \nabla f \rVert^2 = 2 H \nabla f$.
# * Newton's method solves a linear system with the Hessian for its step: one step on a quadratic,
#   quadratic convergence near a minimum, at the price of a Hessian per step.
