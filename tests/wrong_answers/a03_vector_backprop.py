"""Wrong answers for 03-vector-backprop: the mistakes students make with Jacobians and VJPs.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md.
"""


def _relu_jacobian(body):
    return ('def relu_jacobian(x):\n'
            '    """The Jacobian of ReLU at x (1-D, length n): an (n, n) float array."""\n'
            f'    {body}\n')


def _elementwise_vjp(body):
    return ('def elementwise_vjp(local_grad):\n'
            '    """The backward rule of an element-wise function, from its local derivative."""\n'
            f'    {body}\n')


_DERIVATIONS = '''def softplus_grad(x, y):
    """The local derivative of y = softplus(x)."""
    {softplus}


def elu_grad(x, y):
    """The local derivative of y = elu(x)."""
    {elu}


def silu_grad(x, y):
    """The local derivative of y = silu(x)."""
    {silu}
'''
_SOFTPLUS = "return -np.expm1(-y)"
_ELU = "return np.where(x > 0, 1.0, y + 1.0)"
_SILU = "return course.sigmoid(x) * (1.0 + x - y)"

_REDUCTIONS = '''def sum_vjp(upstream, x, axis=None, keepdims=False):
    """dL/dx for y = x.sum(axis=axis, keepdims=keepdims). The shape of x."""
    {sum}


def mean_vjp(upstream, x, axis=None, keepdims=False):
    """dL/dx for y = x.mean(axis=axis, keepdims=keepdims). The shape of x."""
    {mean}
'''
_SUM = ("g = np.asarray(upstream, dtype=np.float64)\n"
        "    if axis is not None and not keepdims:\n"
        "        g = np.expand_dims(g, axis)\n"
        "    return np.broadcast_to(g, x.shape).copy()")
_MEAN = ("count = x.size // np.size(upstream)\n"
         "    return sum_vjp(upstream, x, axis, keepdims) / count")


def _softmax_jacobian(body):
    return ('def softmax_jacobian(x):\n'
            '    """The Jacobian of softmax at x (1-D, length n): (n, n), J[i, j] = ds_i/dx_j."""\n'
            f'    {body}\n')


def _softmax_vjp(body):
    return ('def softmax_vjp(upstream, x, y):\n'
            '    """dL/dx for y = softmax(x) along the last axis. The shape of x."""\n'
            f'    {body}\n')


def _norm_vjp(body):
    return ('def norm_vjp(upstream, x, y):\n'
            '    """dL/dx for y = np.linalg.norm(x, axis=-1). The shape of x."""\n'
            f'    {body}\n')


def _logsumexp_vjp(body):
    return ('def logsumexp_vjp(upstream, x, y):\n'
            '    """dL/dx for y = logsumexp(x) along the last axis. The shape of x."""\n'
            f'    {body}\n')


def _jacobian_from_vjp(body):
    return ('def jacobian_from_vjp(f, vjp_fn, x):\n'
            '    """The Jacobian of f at x (1-D) in numerator layout, shape (m, n)."""\n'
            f'    {body}\n')


RELU_JACOBIAN = ["test-relu-jacobian", "test-relu-jacobian-hidden"]
ELEMENTWISE = ["test-elementwise-vjp", "test-elementwise-vjp-hidden"]
DERIVATIONS = ["test-elementwise-derivations", "test-elementwise-derivations-hidden"]
REDUCTIONS = ["test-reduction-vjps", "test-reduction-vjps-hidden"]
SOFTMAX_JACOBIAN = ["test-softmax-jacobian", "test-softmax-jacobian-hidden"]
SOFTMAX_VJP = ["test-softmax-vjp", "test-softmax-vjp-hidden"]
NORM = ["test-norm-vjp", "test-norm-vjp-hidden"]
LOGSUMEXP = ["test-logsumexp-vjp", "test-logsumexp-vjp-hidden"]
JACOBIAN_FROM_VJP = ["test-jacobian-from-vjp", "test-jacobian-from-vjp-hidden"]

WRONG_ANSWERS = [
    {
        "name": "relu-jacobian-slope-one-at-zero",
        "cell": "relu-jacobian",
        "source": _relu_jacobian("return np.diag((x >= 0).astype(float))"),
        "fails": RELU_JACOBIAN,
        "mistake": "partial",
    },
    {
        "name": "relu-jacobian-slopes-as-a-vector",
        "cell": "relu-jacobian",
        "source": _relu_jacobian("return (x > 0).astype(float)"),
        "fails": RELU_JACOBIAN,
        "mistake": "shape",
    },
    {
        "name": "relu-jacobian-values-not-slopes",
        "cell": "relu-jacobian",
        "source": _relu_jacobian("return np.diag(np.maximum(x, 0.0))"),
        "fails": RELU_JACOBIAN,
        "mistake": "output_for_input",
    },
    {
        "name": "elementwise-vjp-forgets-upstream",
        "cell": "elementwise-vjp",
        "source": _elementwise_vjp("return lambda upstream, x, y: local_grad(x, y)"),
        "fails": ELEMENTWISE,
        "mistake": "missing_upstream",
    },
    {
        "name": "elementwise-vjp-builds-the-jacobian",
        "cell": "elementwise-vjp",
        "source": _elementwise_vjp(
            "return lambda upstream, x, y: np.diag(local_grad(x, y)) @ upstream"),
        "fails": ELEMENTWISE,
        "mistake": "shape",
    },
    {
        "name": "elementwise-vjp-in-place",
        "cell": "elementwise-vjp",
        "source": _elementwise_vjp("def vjp(upstream, x, y):\n"
                                   "        upstream *= local_grad(x, y)\n"
                                   "        return upstream\n"
                                   "    return vjp"),
        "fails": ["test-elementwise-vjp"],
        "mistake": "unknown",
    },
    {
        "name": "elementwise-vjp-swaps-x-and-y",
        "cell": "elementwise-vjp",
        "source": _elementwise_vjp("return lambda upstream, x, y: upstream * local_grad(y, x)"),
        "fails": ELEMENTWISE,
        "mistake": "output_for_input",
    },
    {
        "name": "silu-sigmoid-of-the-output",
        "cell": "elementwise-derivations",
        "source": _DERIVATIONS.format(softplus=_SOFTPLUS, elu=_ELU,
                                      silu="return course.sigmoid(y) * (1.0 + x - y)"),
        "fails": DERIVATIONS,
        "mistake": "output_for_input",
    },
    {
        "name": "silu-product-rule-half",
        "cell": "elementwise-derivations",
        "source": _DERIVATIONS.format(softplus=_SOFTPLUS, elu=_ELU,
                                      silu="return course.sigmoid(x)"),
        "fails": DERIVATIONS,
        "mistake": "unknown",
    },
    {
        "name": "elu-negative-side-forgets-one",
        "cell": "elementwise-derivations",
        "source": _DERIVATIONS.format(softplus=_SOFTPLUS, silu=_SILU,
                                      elu="return np.where(x > 0, 1.0, y)"),
        "fails": DERIVATIONS,
        "mistake": "partial",
    },
    {
        "name": "softplus-derivative-overflows",
        "cell": "elementwise-derivations",
        "source": _DERIVATIONS.format(elu=_ELU, silu=_SILU,
                                      softplus="return np.exp(x) / (1.0 + np.exp(x))"),
        "fails": ["test-elementwise-derivations-hidden"],
        "mistake": "nonfinite",
    },
    {
        "name": "sum-backward-ones-like",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum="return np.ones_like(x)", mean=_MEAN),
        "fails": REDUCTIONS,
        "mistake": "missing_upstream",
    },
    {
        "name": "sum-backward-axis-not-restored",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum="return np.broadcast_to(upstream, x.shape).copy()",
                                     mean=_MEAN),
        "fails": REDUCTIONS,
        "mistake": "shape",
    },
    {
        "name": "sum-backward-ignores-keepdims",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum=_SUM.replace(" and not keepdims", ""), mean=_MEAN),
        "fails": REDUCTIONS,
        "mistake": "shape",
    },
    {
        "name": "mean-backward-not-divided",
        "cell": "reduction-vjps",
        "source": _REDUCTIONS.format(sum=_SUM, mean="return sum_vjp(upstream, x, axis, keepdims)"),
        "fails": REDUCTIONS,
        "mistake": "scale",
    },
    {
        "name": "softmax-jacobian-diagonal-only",
        "cell": "softmax-jacobian",
        "source": _softmax_jacobian("s = course.softmax(x)\n    return np.diag(s * (1.0 - s))"),
        "fails": SOFTMAX_JACOBIAN,
        "mistake": "unknown",
    },
    {
        "name": "softmax-jacobian-sign",
        "cell": "softmax-jacobian",
        "source": _softmax_jacobian("s = course.softmax(x)\n    return np.outer(s, s) - np.diag(s)"),
        "fails": SOFTMAX_JACOBIAN,
        "mistake": "sign",
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
        "source": _softmax_vjp("return y * upstream"),
        "fails": SOFTMAX_VJP,
        "mistake": "unknown",
    },
    {
        "name": "softmax-vjp-inner-product-over-all-rows",
        "cell": "softmax-vjp",
        "source": _softmax_vjp("return y * (upstream - np.sum(upstream * y))"),
        "fails": SOFTMAX_VJP,
        "mistake": "unknown",
    },
    {
        "name": "softmax-vjp-inner-product-axis-dropped",
        "cell": "softmax-vjp",
        "source": _softmax_vjp("return y * (upstream - (upstream * y).sum(axis=-1))"),
        "fails": SOFTMAX_VJP,
        "mistake": "shape",
    },
    {
        "name": "norm-vjp-forgets-the-division",
        "cell": "norm-vjp",
        "source": _norm_vjp("return upstream[..., None] * x"),
        "fails": NORM,
        "mistake": "unknown",
    },
    {
        "name": "norm-vjp-zero-row-divides-by-zero",
        "cell": "norm-vjp",
        "source": _norm_vjp("return upstream[..., None] * x / y[..., None]"),
        "fails": NORM,
        "mistake": "nonfinite",
    },
    {
        "name": "norm-vjp-upstream-not-per-row",
        "cell": "norm-vjp",
        "source": _norm_vjp("safe = np.where(y > 0, y, 1.0)\n"
                            "    return upstream * x / safe"),
        "fails": NORM,
        "mistake": "shape",
    },
    {
        "name": "logsumexp-vjp-overflows",
        "cell": "logsumexp-vjp",
        "source": _logsumexp_vjp("return upstream[..., None] * np.exp(x) / np.exp(y)[..., None]"),
        "fails": LOGSUMEXP,
        "mistake": "nonfinite",
    },
    {
        "name": "logsumexp-vjp-upstream-not-per-row",
        "cell": "logsumexp-vjp",
        "source": _logsumexp_vjp("return upstream * np.exp(x - y[..., None])"),
        "fails": LOGSUMEXP,
        "mistake": "shape",
    },
    {
        "name": "logsumexp-vjp-forgets-upstream",
        "cell": "logsumexp-vjp",
        "source": _logsumexp_vjp("return np.exp(x - y[..., None])"),
        "fails": LOGSUMEXP,
        "mistake": "missing_upstream",
    },
    {
        "name": "jacobian-from-vjp-transposed",
        "cell": "jacobian-from-vjp",
        "source": _jacobian_from_vjp("m = np.size(f(x))\n"
                                     "    return np.stack([vjp_fn(np.eye(m)[i], x) for i in range(m)], "
                                     "axis=1)"),
        "fails": JACOBIAN_FROM_VJP,
        "mistake": "transpose",
    },
    {
        "name": "jacobian-from-vjp-basis-of-the-input",
        "cell": "jacobian-from-vjp",
        "source": _jacobian_from_vjp("n = np.size(x)\n"
                                     "    return np.stack([vjp_fn(np.eye(n)[i], x) for i in range(n)])"),
        "fails": JACOBIAN_FROM_VJP,
        "mistake": "shape",
    },
    {
        "name": "jacobian-from-vjp-upstream-of-ones",
        "cell": "jacobian-from-vjp",
        "source": _jacobian_from_vjp("m = np.size(f(x))\n"
                                     "    return np.stack([vjp_fn(np.ones(m), x) for i in range(m)])"),
        "fails": JACOBIAN_FROM_VJP,
        "mistake": "unknown",
    },
]
