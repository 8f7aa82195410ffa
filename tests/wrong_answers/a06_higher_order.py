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


_SIGMOID_SECOND = '''def sigmoid_second_derivative(x):
    """sigma''(x), element-wise, as a formula in sigma(x)."""
    s = 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
    return s * (1 - s) * (1 - 2 * s)
'''

_SECOND_DERIVATIVE = '''def second_derivative(f):
    """The function x -> f''(x), for f: number -> number (written with engine operations)."""
    return course.grad(course.grad(f))
'''

_HVP_FWD_REV = '''def hvp_fwd_rev(f, x, v):
    """H v for scalar f at x: the JVP of grad f along v (forward over reverse)."""
    return course.jvp(course.grad(f), (x,), (v,))[1]
'''

_HVP_REV_REV = '''def hvp_rev_rev(f, x, v):
    """H v for scalar f at x: the gradient of y -> grad f(y) . v (reverse over reverse)."""
    return course.grad(lambda y: (course.grad(f)(y) * v).sum())(x)
'''

_HVP_FINITE_DIFF = '''def hvp_finite_diff(f, x, v, eps=1e-5):
    """H v for scalar f at x, approximately: central differences of the gradient along v."""
    grad_f = course.grad(f)
    return (grad_f(x + eps * v) - grad_f(x - eps * v)) / (2 * eps)
'''

_HESSIAN = '''def hessian(f, x):
    """The (n, n) Hessian of scalar f at x, one Hessian-vector product per column."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        H[:, j] = course.hvp(f, x, e)
    return H
'''

_NEWTON_STEP = '''def newton_step(f, x):
    """One Newton step for scalar f from x: x - H^{-1} grad f(x)."""
    x = np.asarray(x, dtype=np.float64)
    g = course.grad(f)(x)
    H = hessian(f, x)
    return x - np.linalg.solve(H, g)
'''

WRONG_ANSWERS = [
    {
        "name": "sigmoid-second-derivative-no-chain-factor",
        "cell": "sigmoid-second-derivative",
        # d/dx [s (1 - s)] taken as (1 - s) - s: the inner derivative sigma' is forgotten
        "source": _variant(_SIGMOID_SECOND, "s * (1 - s) * (1 - 2 * s)", "1 - 2 * s"),
        "fails": _both("sigmoid-second-derivative"),
        "mistake": "missing_upstream",
    },
    {
        "name": "sigmoid-second-derivative-sign",
        "cell": "sigmoid-second-derivative",
        "source": _variant(_SIGMOID_SECOND, "s * (1 - s) * (1 - 2 * s)", "s * (1 - s) * (2 * s - 1)"),
        "fails": _both("sigmoid-second-derivative"),
        "mistake": "sign",
    },
    {
        "name": "second-derivative-grad-once",
        "cell": "second-derivative",
        "source": _variant(_SECOND_DERIVATIVE, "course.grad(course.grad(f))", "course.grad(f)"),
        "fails": _both("second-derivative"),
        "mistake": "partial",
    },
    {
        "name": "hvp-fwd-rev-omits-v",
        "cell": "hvp-fwd-rev",
        # returns the gradient: the tangent v never enters
        "source": _variant(_HVP_FWD_REV, "course.jvp(course.grad(f), (x,), (v,))[1]",
                           "course.grad(f)(x)"),
        "fails": _both("hvp-fwd-rev"),
        "mistake": "missing_upstream",
    },
    {
        "name": "hvp-fwd-rev-keeps-primal-output",
        "cell": "hvp-fwd-rev",
        "source": _variant(_HVP_FWD_REV, "(v,))[1]", "(v,))[0]"),
        "fails": _both("hvp-fwd-rev"),
        "mistake": "output_for_input",
    },
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
        "name": "hvp-finite-diff-one-sided-over-2eps",
        "cell": "hvp-finite-diff",
        "source": _variant(_HVP_FINITE_DIFF, "grad_f(x - eps * v)", "grad_f(x)"),
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
    {
        "name": "hessian-outer-product-of-gradients",
        "cell": "hessian",
        "source": _variant(
            _HESSIAN,
            "    H = np.zeros((n, n))\n    for j in range(n):\n        e = np.zeros(n)\n"
            "        e[j] = 1.0\n        H[:, j] = course.hvp(f, x, e)\n",
            "    g = course.grad(f)(x)\n    H = np.outer(g, g)\n"),
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
]
