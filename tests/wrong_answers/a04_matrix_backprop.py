"""Wrong answers for 04-matrix-backprop: the mistakes students make with matrix gradients.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). A wrong building block (matmul, bias, softmax
cross-entropy) also breaks the two-layer network assembled from it, so those entries fail the
network's tests too. See source/AUTHORING.md.
"""

_ENTRY = '''def dy_dx_entry(W, N, i, j):
    """dy/dx[i, j] for y = x @ W, x of shape (N, D), W of shape (D, M): an (N, M) array."""
    A = np.zeros((N, W.shape[1]))
    {fill}
    return A


def grad_x_entry(upstream, W, i, j):
    """dL/dx[i, j] for y = x @ W, given upstream = dL/dy of shape (N, M): a float."""
    {grad}
'''
_FILL = "A[i] = W[j]"
_GRAD = "return float(np.sum(dy_dx_entry(W, upstream.shape[0], i, j) * upstream))"


def _matmul(dx, dW):
    return ('def matmul_vjp(upstream, x, W):\n'
            '    """(dL/dx, dL/dW) for y = x @ W; x: (N, D), W: (D, M), upstream = dL/dy: (N, M)."""\n'
            f'    dx = {dx}\n'
            f'    dW = {dW}\n'
            '    return dx, dW\n')


def _bias(db):
    return ('def bias_add_vjp(upstream, x, b):\n'
            '    """(dL/dx, dL/db) for y = x + b; x: (N, M), b: (M,), upstream: (N, M)."""\n'
            f'    return upstream, {db}\n')


def _softmax_ce(softmax, dlogits):
    return ('def softmax_cross_entropy(logits, labels):\n'
            '    """(loss, dL/dlogits): mean cross-entropy of softmax(logits) for integer labels."""\n'
            '    N, C = logits.shape\n'
            f'    {softmax}\n'
            '    loss = float(-log_p[np.arange(N), labels].mean())\n'
            f'    dlogits = {dlogits}\n'
            '    return loss, dlogits\n')


_STABLE = ("shifted = logits - logits.max(axis=1, keepdims=True)\n"
           "    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))")
_NETWORK = '''def two_layer_forward_backward(params, X, y):
    """Loss and gradients of affine - relu - affine - softmax cross-entropy."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a1 = X @ W1
    z1 = a1 + b1
    h = np.maximum(z1, 0.0)
    a2 = h @ W2
    scores = a2 + b2
    loss, dscores = softmax_cross_entropy(scores, y)
    da2, db2 = bias_add_vjp(dscores, a2, b2)
    dh, dW2 = matmul_vjp(da2, h, W2)
    {relu}
    da1, db1 = bias_add_vjp(dz1, a1, b1)
    _, dW1 = matmul_vjp(da1, X, W1)
    return loss, {{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}}
'''

MATMUL_TESTS = ["test-matmul-vjp", "test-matmul-vjp-hidden"]
BIAS_TESTS = ["test-bias-add-vjp", "test-bias-add-vjp-hidden"]
CE_TESTS = ["test-softmax-cross-entropy", "test-softmax-cross-entropy-hidden"]
NETWORK_TESTS = ["test-two-layer-forward-backward", "test-two-layer-forward-backward-hidden"]

WRONG_ANSWERS = [
    {
        "name": "entry-as-matrix-product",
        "cell": "grad-x-entry",
        "source": _ENTRY.format(
            fill=_FILL,
            grad="return float(np.sum(dy_dx_entry(W, upstream.shape[0], i, j) @ upstream.T))"),
        "fails": ["test-grad-x-entry", "test-grad-x-entry-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "entry-uses-column-of-W",
        "cell": "grad-x-entry",
        "source": _ENTRY.format(fill="A[i] = W[:, j]", grad=_GRAD),
        "fails": ["test-grad-x-entry", "test-grad-x-entry-hidden"],
        "mistake": "transpose",
    },
    {
        "name": "matmul-dx-missing-transpose",
        "cell": "matmul-vjp",
        "source": _matmul("upstream @ W", "x.T @ upstream"),
        "fails": MATMUL_TESTS + NETWORK_TESTS,
        "mistake": "transpose",
    },
    {
        "name": "matmul-dW-operands-swapped",
        "cell": "matmul-vjp",
        "source": _matmul("upstream @ W.T", "upstream.T @ x"),
        "fails": MATMUL_TESTS + NETWORK_TESTS,
        "mistake": "transpose",
    },
    {
        "name": "matmul-returns-gradients-in-wrong-order",
        "cell": "matmul-vjp",
        "source": _matmul("upstream @ W.T", "x.T @ upstream").replace("return dx, dW", "return dW, dx"),
        "fails": MATMUL_TESTS + NETWORK_TESTS,
        "mistake": "swapped_inputs",
    },
    {
        "name": "matmul-forgets-upstream",
        "cell": "matmul-vjp",
        "source": _matmul("np.ones_like(upstream) @ W.T", "x.T @ np.ones_like(upstream)"),
        "fails": MATMUL_TESTS + NETWORK_TESTS,
        "mistake": "missing_upstream",
    },
    {
        "name": "bias-grad-not-summed",
        "cell": "bias-add-vjp",
        "source": _bias("upstream"),
        "fails": BIAS_TESTS + NETWORK_TESTS,
        "mistake": "unreduced_broadcast",
    },
    {
        "name": "bias-grad-summed-over-features",
        "cell": "bias-add-vjp",
        "source": _bias("upstream.sum(axis=1)"),
        "fails": BIAS_TESTS + NETWORK_TESTS,
        "mistake": "shape",
    },
    {
        "name": "bias-grad-averaged",
        "cell": "bias-add-vjp",
        "source": _bias("upstream.mean(axis=0)"),
        "fails": BIAS_TESTS + NETWORK_TESTS,
        "mistake": "scale",
    },
    {
        "name": "relu-mask-includes-zero",
        "cell": "relu-vjp",
        "source": ('def relu_vjp(upstream, x):\n'
                   '    """dL/dx for y = relu(x). The shape of x."""\n'
                   '    return upstream * (x >= 0)\n'),
        "fails": ["test-relu-vjp-hidden"],
        "mistake": "partial",
    },
    {
        "name": "cross-entropy-grad-not-divided-by-n",
        "cell": "softmax-cross-entropy",
        "source": _softmax_ce(_STABLE, "np.exp(log_p) - np.eye(C)[labels]"),
        "fails": CE_TESTS + NETWORK_TESTS,
        "mistake": "scale",
    },
    {
        "name": "cross-entropy-grad-sign",
        "cell": "softmax-cross-entropy",
        "source": _softmax_ce(_STABLE, "(np.eye(C)[labels] - np.exp(log_p)) / N"),
        "fails": CE_TESTS + NETWORK_TESTS,
        "mistake": "sign",
    },
    {
        "name": "cross-entropy-overflows",
        "cell": "softmax-cross-entropy",
        "source": _softmax_ce("p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
                              "    log_p = np.log(p)",
                              "(p - np.eye(C)[labels]) / N"),
        "fails": ["test-softmax-cross-entropy-hidden"],
        "mistake": "nonfinite",
    },
    {
        "name": "network-skips-relu-backward",
        "cell": "two-layer-forward-backward",
        "source": _NETWORK.format(relu="dz1 = dh"),
        "fails": NETWORK_TESTS,
        "mistake": "unknown",
    },
    {
        "name": "network-relu-mask-before-bias",
        "cell": "two-layer-forward-backward",
        "source": _NETWORK.format(relu="dz1 = relu_vjp(dh, a1)"),
        "fails": NETWORK_TESTS,
        "mistake": "unknown",
    },
]
