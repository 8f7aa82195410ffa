"""Wrong answers for 03-vector-backprop: the mistakes students make with Jacobians and VJPs.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md.
"""

_ELEMENTWISE = '''def sigmoid_vjp(upstream, x):
    """dL/dx for y = sigmoid(x), element-wise. The shape of x."""
    {sigmoid}


def tanh_vjp(upstream, x):
    """dL/dx for y = tanh(x), element-wise. The shape of x."""
    {tanh}


def exp_vjp(upstream, x):
    """dL/dx for y = exp(x), element-wise. The shape of x."""
    {exp}
'''
_SIGMOID = "y = course.sigmoid(x)\n    return upstream * y * (1.0 - y)"
_TANH = "y = np.tanh(x)\n    return upstream * (1.0 - y * y)"
_EXP = "return upstream * np.exp(x)"

_REDUCTIONS = '''def sum_vjp(upstream, x, axis=None):
    """dL/dx for y = x.sum(axis=axis); upstream has y's shape. The shape of x."""
    {sum}


def mean_vjp(upstream, x, axis=None):
    """dL/dx for y = x.mean(axis=axis); upstream has y's shape. The shape of x."""
    {mean}
'''
_SUM = ("g = np.asarray(upstream, dtype=float)\n"
        "    if axis is not None:\n"
        "        g = np.expand_dims(g, axis)\n"
        "    return np.broadcast_to(g, x.shape).copy()")
_MEAN = ("count = x.size if axis is None else x.shape[axis]\n"
         "    return sum_vjp(upstream, x, axis) / count")


def _relu_vjp(body):
    return ('def relu_vjp(upstream, x):\n'
            '    """dL/dx for y = relu(x): upstream (dL/dy) where x > 0, 0 where x <= 0. '
            'The shape of x."""\n'
            f'    {body}\n')


def _relu_jacobian(body):
    return ('def relu_jacobian(x):\n'
            '    """The Jacobian of ReLU at x (1-D, length n): an (n, n) float array."""\n'
            f'    {body}\n')


def _softmax_jacobian(body):
    return ('def softmax_jacobian(x):\n'
            '    """The Jacobian of softmax at x (1-D, length n): (n, n), J[i, j] = ds_i/dx_j."""\n'
            f'    {body}\n')


def _softmax_vjp(body):
    return ('def softmax_vjp(upstream, x):\n'
            '    """dL/dx for s = softmax(x) along the last axis. The shape of x."""\n'
            f'    {body}\n')


WRONG_ANSWERS = [
    {
        "name": "relu-jacobian-slope-one-at-zero",
        "cell": "relu-jacobian",
        "source": _relu_jacobian("return np.diag((x >= 0).astype(float))"),
        "fails": ["test-relu-jacobian-hidden"],
        "mistake": "partial",
    },
    {
        "name": "relu-mask-includes-zero",
        "cell": "relu-vjp",
        "source": _relu_vjp("return upstream * (x >= 0)"),
        "fails": ["test-relu-vjp-hidden"],
        "mistake": "partial",
    },
    {
        "name": "relu-mask-inverted",
        "cell": "relu-vjp",
        "source": _relu_vjp("return upstream * (x < 0)"),
        "fails": ["test-relu-vjp", "test-relu-vjp-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "relu-mask-from-upstream",
        "cell": "relu-vjp",
        "source": _relu_vjp("return upstream * (upstream > 0)"),
        "fails": ["test-relu-vjp", "test-relu-vjp-hidden"],
        "mistake": "swapped_inputs",
    },
    {
        "name": "relu-vjp-returns-the-mask",
        "cell": "relu-vjp",
        "source": _relu_vjp("return (x > 0).astype(float)"),
        "fails": ["test-relu-vjp", "test-relu-vjp-hidden"],
        "mistake": "missing_upstream",
    },
    {
        "name": "relu-vjp-overwrites-upstream",
        "cell": "relu-vjp",
        "source": _relu_vjp("upstream[x <= 0] = 0.0\n    return upstream"),
        "fails": ["test-relu-vjp"],
        "mistake": "unknown",
    },
    {
        "name": "sigmoid-derivative-at-the-output",
        "cell": "elementwise-vjps",
        "source": _ELEMENTWISE.format(
            sigmoid="y = course.sigmoid(x)\n    s = course.sigmoid(y)\n    return upstream * s * (1.0 - s)",
            tanh=_TANH, exp=_EXP),
        "fails": ["test-elementwise-vjps", "test-elementwise-vjps-hidden"],
        "mistake": "output_for_input",
    },
    {
        "name": "tanh-derivative-not-squared",
        "cell": "elementwise-vjps",
        "source": _ELEMENTWISE.format(sigmoid=_SIGMOID,
                                      tanh="return upstream * (1.0 - np.tanh(x))", exp=_EXP),
        "fails": ["test-elementwise-vjps", "test-elementwise-vjps-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "exp-vjp-forgets-upstream",
        "cell": "elementwise-vjps",
        "source": _ELEMENTWISE.format(sigmoid=_SIGMOID, tanh=_TANH, exp="return np.exp(x)"),
        "fails": ["test-elementwise-vjps", "test-elementwise-vjps-hidden"],
        "mistake": "missing_upstream",
    },
    {
        "name": "sum-backward-ones-like",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum="return np.ones_like(x)", mean=_MEAN),
        "fails": ["test-reduction-vjps", "test-reduction-vjps-hidden"],
        "mistake": "missing_upstream",
    },
    {
        "name": "sum-backward-axis-not-restored",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum="return np.broadcast_to(upstream, x.shape).copy()",
                                     mean=_MEAN),
        "fails": ["test-reduction-vjps", "test-reduction-vjps-hidden"],
        "mistake": "shape",
    },
    {
        "name": "mean-backward-not-divided",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum=_SUM, mean="return sum_vjp(upstream, x, axis)"),
        "fails": ["test-reduction-vjps", "test-reduction-vjps-hidden"],
        "mistake": "scale",
    },
    {
        "name": "softmax-jacobian-diagonal-only",
        "cell": "softmax-jacobian",
        "source": _softmax_jacobian("s = course.softmax(x)\n    return np.diag(s * (1.0 - s))"),
        "fails": ["test-softmax-jacobian", "test-softmax-jacobian-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "softmax-jacobian-overflows",
        "cell": "softmax-jacobian",
        "source": _softmax_jacobian("e = np.exp(x)\n    s = e / e.sum()\n"
                                    "    return np.diag(s) - np.outer(s, s)"),
        "fails": ["test-softmax-jacobian-hidden"],
        "mistake": "nonfinite",
    },
    {
        "name": "softmax-vjp-diagonal-jacobian",
        "cell": "softmax-vjp",
        "source": _softmax_vjp("s = course.softmax(x)\n    return s * upstream"),
        "fails": ["test-softmax-vjp", "test-softmax-vjp-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "softmax-vjp-inner-product-over-all-rows",
        "cell": "softmax-vjp",
        "source": _softmax_vjp("s = course.softmax(x)\n    return s * (upstream - np.sum(upstream * s))"),
        "fails": ["test-softmax-vjp", "test-softmax-vjp-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "jacobian-from-vjp-transposed",
        "cell": "jacobian-from-vjp",
        "source": ('def jacobian_from_vjp(f, vjp_fn, x):\n'
                   '    """The Jacobian of f at x (1-D) in numerator layout, shape (m, n)."""\n'
                   '    m = np.size(f(x))\n'
                   '    return np.stack([vjp_fn(np.eye(m)[i], x) for i in range(m)], axis=1)\n'),
        "fails": ["test-jacobian-from-vjp", "test-jacobian-from-vjp-hidden"],
        "mistake": "transpose",
    },
]
