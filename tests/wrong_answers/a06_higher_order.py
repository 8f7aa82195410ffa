"""Wrong answers for 06-higher-order: the mistakes students make with second derivatives.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md.
"""


def _both(exercise):
    return [f"test-{exercise}", f"test-{exercise}-hidden"]


def _variant(correct, old, new):
    """`correct` with the text `old` (which must occur exactly once) replaced by `new`."""
    assert correct.count(old) == 1, f"{old!r} must occur exactly once"
    return correct.replace(old, new)


_SILU_SECOND = '''def silu_second_derivative(x):
    """f''(x) for f(x) = x * sigmoid(x), element-wise, as a formula in sigmoid(x) and x."""
    x = np.asarray(x, dtype=np.float64)
    s = 0.5 * (1 + np.tanh(0.5 * x))
    return s * (1 - s) * (2 + x * (1 - 2 * s))
'''

_NTH_DERIVATIVE = '''def nth_derivative(f, n):
    """The function x -> f^(n)(x), for f: number -> number (written with engine operations)."""
    derivative = f
    for _ in range(n):
        derivative = course.grad(derivative)
    return derivative
'''

_HVP_REV_REV = '''def hvp_rev_rev(f, x, v):
    """H v for scalar f at x, by reverse mode over reverse mode. The shape of x."""
    return course.grad(lambda y: (course.grad(f)(y) * v).sum())(x)
'''

_HVP_FINITE_DIFF = '''def hvp_finite_diff(f, x, v, eps=1e-5):
    """H v for scalar f at x, approximately: central differences of the gradient along v."""
    grad_f = course.grad(f)
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)
'''

_MLP_GRAD = '''def mlp_grad(W, u, X, y):
    """(dL/dW, dL/du) of mlp_loss by hand: W's shape (D, M) and u's shape (M,)."""
    h = np.tanh(X @ W)
    p = h @ u
    g_p = (p - y) / len(y)
    du = h.T @ g_p
    g_h = np.outer(g_p, u)
    g_a = g_h * (1 - h * h)
    dW = X.T @ g_a
    return dW, du
'''

_MLP_HVP = '''def mlp_hvp(W, u, W_dot, u_dot, X, y):
    """(HW, Hu): the Hessian of mlp_loss times the direction (W_dot, u_dot), by forward mode over
    the backward pass by hand. W's shape (D, M) and u's shape (M,)."""
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
'''

_HESSIAN = '''def hessian(f, params):
    """The (n, n) Hessian of scalar f(*params) over all entries of the arrays in params (in the
    order of their ravelled concatenation), one Hessian-vector product per column."""
    params = tuple(np.asarray(p, dtype=np.float64) for p in params)
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
'''

_NEWTON_STEP = '''def newton_step(f, x):
    """One Newton step for scalar f from x (shape (n,)): the new point, shape (n,)."""
    x = np.asarray(x, dtype=np.float64)
    g = course.grad(f)(x)
    H = hessian(f, (x,))
    return x - np.linalg.solve(H, g)
'''

WRONG_ANSWERS = [
    # --- silu-second-derivative -------------------------------------------------------------------
    {
        "name": "silu-second-derivative-one-sigma-prime",
        "cell": "silu-second-derivative",
        # f' = sigma + x sigma' differentiated as sigma' + x sigma'': the first term's sigma' is lost
        "source": _variant(_SILU_SECOND, "(2 + x * (1 - 2 * s))", "(1 + x * (1 - 2 * s))"),
        "fails": _both("silu-second-derivative"),
        "mistake": "partial",
    },
    {
        "name": "silu-second-derivative-x-times-sigma-second",
        "cell": "silu-second-derivative",
        # only x sigma'': the product rule applied to x sigma' alone, and sigma's own term dropped
        "source": _variant(_SILU_SECOND, "(2 + x * (1 - 2 * s))", "(x * (1 - 2 * s))"),
        "fails": _both("silu-second-derivative"),
        "mistake": "partial",
    },
    {
        "name": "silu-second-derivative-sign",
        "cell": "silu-second-derivative",
        "source": _variant(_SILU_SECOND, "(2 + x * (1 - 2 * s))", "(2 + x * (2 * s - 1))"),
        "fails": _both("silu-second-derivative"),
        "mistake": "sign",
    },
    {
        "name": "silu-second-derivative-overflows",
        "cell": "silu-second-derivative",
        # sigma as 1 / (1 + exp(-x)): right, but exp overflows (a warning) far from 0
        "source": _variant(_SILU_SECOND, "s = 0.5 * (1 + np.tanh(0.5 * x))", "s = 1 / (1 + np.exp(-x))"),
        "fails": ["test-silu-second-derivative-hidden"],
        "mistake": "nonfinite",
    },
    # --- nth-derivative ---------------------------------------------------------------------------
    {
        "name": "nth-derivative-one-too-many",
        "cell": "nth-derivative",
        "source": _variant(_NTH_DERIVATIVE, "range(n)", "range(n + 1)"),
        "fails": _both("nth-derivative"),
        "mistake": "partial",
    },
    {
        "name": "nth-derivative-one-too-few",
        "cell": "nth-derivative",
        "source": _variant(_NTH_DERIVATIVE, "range(n)", "range(n - 1)"),
        "fails": _both("nth-derivative"),
        "mistake": "partial",
    },
    {
        "name": "nth-derivative-n-times-the-first",
        "cell": "nth-derivative",
        "source": _variant(_NTH_DERIVATIVE,
                           "    derivative = f\n    for _ in range(n):\n        derivative = course.grad(derivative)\n"
                           "    return derivative\n",
                           "    if n == 0:\n        return f\n    return lambda x: n * course.grad(f)(x)\n"),
        "fails": _both("nth-derivative"),
        "mistake": "scale",
    },
    {
        "name": "nth-derivative-at-least-once",
        "cell": "nth-derivative",
        # n = 0 still differentiates once
        "source": _variant(_NTH_DERIVATIVE, "range(n)", "range(max(n, 1))"),
        "fails": _both("nth-derivative"),
        "mistake": "partial",
    },
    # --- hvp-rev-rev ------------------------------------------------------------------------------
    {
        "name": "hvp-rev-rev-sum-without-v",
        "cell": "hvp-rev-rev",
        "source": _variant(_HVP_REV_REV, "(course.grad(f)(y) * v).sum()", "course.grad(f)(y).sum()"),
        "fails": _both("hvp-rev-rev"),
        "mistake": "missing_upstream",
    },
    {
        "name": "hvp-rev-rev-inner-grad-at-fixed-x",
        "cell": "hvp-rev-rev",
        # the inner gradient is evaluated at the constant x, so the outer gradient is zero
        "source": _variant(_HVP_REV_REV, "course.grad(f)(y)", "course.grad(f)(x)"),
        "fails": _both("hvp-rev-rev"),
        "mistake": "zero",
    },
    {
        "name": "hvp-rev-rev-gradient-times-v",
        "cell": "hvp-rev-rev",
        "source": _variant(_HVP_REV_REV, "course.grad(lambda y: (course.grad(f)(y) * v).sum())(x)",
                           "course.grad(f)(x) * v"),
        "fails": _both("hvp-rev-rev"),
        "mistake": "unknown",
    },
    # --- hvp-finite-diff --------------------------------------------------------------------------
    {
        "name": "hvp-finite-diff-one-sided-over-2eps",
        "cell": "hvp-finite-diff",
        "source": _variant(_HVP_FINITE_DIFF, "grad_f(x - eps * v)", "grad_f(x)"),
        "fails": _both("hvp-finite-diff"),
        "mistake": "scale",
    },
    {
        "name": "hvp-finite-diff-one-sided",
        "cell": "hvp-finite-diff",
        # (g(x + eps v) - g(x)) / eps: the right size, but an error of order eps, not eps**2
        "source": _variant(_HVP_FINITE_DIFF, "(grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)",
                           "(grad_f(x + eps * v) - grad_f(x)) / eps"),
        "fails": _both("hvp-finite-diff"),
        "mistake": "unknown",
    },
    {
        "name": "hvp-finite-diff-over-eps",
        "cell": "hvp-finite-diff",
        "source": _variant(_HVP_FINITE_DIFF, "/ (2 * eps)", "/ eps"),
        "fails": _both("hvp-finite-diff"),
        "mistake": "scale",
    },
    {
        "name": "hvp-finite-diff-ignores-eps",
        "cell": "hvp-finite-diff",
        "source": _variant(_HVP_FINITE_DIFF, "    grad_f = course.grad(f)\n",
                           "    grad_f = course.grad(f)\n    eps = 1e-5\n"),
        "fails": _both("hvp-finite-diff"),
        "mistake": "unknown",
    },
    # --- mlp-grad ---------------------------------------------------------------------------------
    {
        "name": "mlp-grad-forgets-the-mean",
        "cell": "mlp-grad",
        "source": _variant(_MLP_GRAD, "g_p = (p - y) / len(y)", "g_p = p - y"),
        "fails": _both("mlp-grad"),
        "mistake": "scale",
    },
    {
        "name": "mlp-grad-no-tanh-slope",
        "cell": "mlp-grad",
        "source": _variant(_MLP_GRAD, "g_a = g_h * (1 - h * h)", "g_a = g_h"),
        "fails": _both("mlp-grad"),
        "mistake": "missing_upstream",
    },
    {
        "name": "mlp-grad-tanh-slope-of-preactivation",
        "cell": "mlp-grad",
        # 1 - a**2 with a = X W, instead of 1 - h**2 with h = tanh(a)
        "source": _variant(_MLP_GRAD, "g_a = g_h * (1 - h * h)", "g_a = g_h * (1 - (X @ W) ** 2)"),
        "fails": _both("mlp-grad"),
        "mistake": "output_for_input",
    },
    {
        "name": "mlp-grad-dW-transposed",
        "cell": "mlp-grad",
        "source": _variant(_MLP_GRAD, "dW = X.T @ g_a", "dW = g_a.T @ X"),
        "fails": _both("mlp-grad"),
        "mistake": "transpose",
    },
    # --- mlp-hvp ----------------------------------------------------------------------------------
    {
        "name": "mlp-hvp-h-still-in-du",
        "cell": "mlp-hvp",
        # the tangent of h^T g_p keeps only the moving g_p
        "source": _variant(_MLP_HVP, "du_dot = h_dot.T @ g_p + h.T @ g_p_dot", "du_dot = h.T @ g_p_dot"),
        "fails": _both("mlp-hvp"),
        "mistake": "partial",
    },
    {
        "name": "mlp-hvp-tanh-slope-still",
        "cell": "mlp-hvp",
        # the tanh's local gradient 1 - h**2 treated as a constant (a Gauss-Newton-like product)
        "source": _variant(_MLP_HVP, "g_a_dot = g_h_dot * (1 - h * h) - 2 * g_h * h * h_dot",
                           "g_a_dot = g_h_dot * (1 - h * h)"),
        "fails": _both("mlp-hvp"),
        "mistake": "partial",
    },
    {
        "name": "mlp-hvp-tanh-slope-sign",
        "cell": "mlp-hvp",
        "source": _variant(_MLP_HVP, "- 2 * g_h * h * h_dot", "+ 2 * g_h * h * h_dot"),
        "fails": _both("mlp-hvp"),
        "mistake": "sign",
    },
    {
        "name": "mlp-hvp-u-still-in-g-h",
        "cell": "mlp-hvp",
        # the tangent of outer(g_p, u) misses the moving u
        "source": _variant(_MLP_HVP, "g_h_dot = np.outer(g_p_dot, u) + np.outer(g_p, u_dot)",
                           "g_h_dot = np.outer(g_p_dot, u)"),
        "fails": _both("mlp-hvp"),
        "mistake": "partial",
    },
    {
        "name": "mlp-hvp-returns-the-gradient",
        "cell": "mlp-hvp",
        "source": '''def mlp_hvp(W, u, W_dot, u_dot, X, y):
    h = np.tanh(X @ W)
    g_p = (h @ u - y) / len(y)
    g_a = np.outer(g_p, u) * (1 - h * h)
    return X.T @ g_a, h.T @ g_p
''',
        "fails": _both("mlp-hvp"),
        "mistake": "output_for_input",
    },
    # --- hessian ----------------------------------------------------------------------------------
    {
        "name": "hessian-outer-product-of-gradients",
        "cell": "hessian",
        "source": _variant(
            _HESSIAN,
            "    H = np.zeros((n, n))\n    for j in range(n):\n        e = np.zeros(n)\n"
            "        e[j] = 1.0\n        H[:, j] = course.hvp(f_of_vector, z, e)\n",
            "    g = course.grad(f_of_vector)(z)\n    H = np.outer(g, g)\n"),
        # newton_step uses the student's hessian
        "fails": _both("hessian") + _both("newton-step"),
        "mistake": "unknown",
    },
    {
        "name": "hessian-last-column-missing",
        "cell": "hessian",
        "source": _variant(_HESSIAN, "for j in range(n):", "for j in range(n - 1):"),
        "fails": _both("hessian") + _both("newton-step"),
        "mistake": "partial",
    },
    {
        "name": "hessian-parameters-reversed",
        "cell": "hessian",
        # the long vector lists the last parameter first: the blocks come out in the wrong places
        "source": _variant(_variant(
            _HESSIAN, "    stops = np.cumsum([p.size for p in params])\n",
            "    stops = np.cumsum([p.size for p in params[::-1]])[::-1]\n"),
            "    z = np.concatenate([p.ravel() for p in params])\n",
            "    z = np.concatenate([p.ravel() for p in params[::-1]])\n"),
        # one parameter (newton_step's case) has only one order
        "fails": _both("hessian"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "hessian-first-parameter-only",
        "cell": "hessian",
        "source": _variant(_HESSIAN, "    z = np.concatenate([p.ravel() for p in params])\n    n = z.size\n",
                           "    z = np.concatenate([p.ravel() for p in params])\n    n = params[0].size\n"),
        "fails": _both("hessian"),
        "mistake": "shape",
    },
    # --- newton-step ------------------------------------------------------------------------------
    {
        "name": "newton-step-wrong-sign",
        "cell": "newton-step",
        "source": _variant(_NEWTON_STEP, "x - np.linalg.solve(H, g)", "x + np.linalg.solve(H, g)"),
        "fails": _both("newton-step"),
        "mistake": "sign",
    },
    {
        "name": "newton-step-multiplies-by-hessian",
        "cell": "newton-step",
        "source": _variant(_NEWTON_STEP, "x - np.linalg.solve(H, g)", "x - H @ g"),
        "fails": _both("newton-step"),
        "mistake": "unknown",
    },
    {
        "name": "newton-step-diagonal-only",
        "cell": "newton-step",
        # each coordinate on its own: g / diag(H), as if H were diagonal
        "source": _variant(_NEWTON_STEP, "x - np.linalg.solve(H, g)", "x - g / np.diag(H)"),
        "fails": _both("newton-step"),
        "mistake": "partial",
    },
]
