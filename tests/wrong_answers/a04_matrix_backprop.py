"""Wrong answers for 04-matrix-backprop: the mistakes students make with matrix gradients and with
the backward pass of their own engine.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). The engine's operations use the student's
matmul_vjp, unbroadcast and softmax_cross_entropy, and the network is differentiated by the
student's backward: a wrong building block also breaks what is built on it, so those entries fail
the later tests too. See source/AUTHORING.md.
"""

_ENTRY = '''def dy_dW_entry(x, M, j, k):
    """dy/dW[j, k] for y = x @ W, x of shape (N, D), W of shape (D, M): an (N, M) array."""
    A = np.zeros((x.shape[0], M))
    {fill}
    return A


def grad_W_entry(upstream, x, j, k):
    """dL/dW[j, k] for y = x @ W, given upstream = dL/dy of shape (N, M): a float."""
    {grad}
'''
_FILL = "A[:, k] = x[:, j]"
_GRAD = "return float(np.sum(dy_dW_entry(x, upstream.shape[1], j, k) * upstream))"


def _matmul(dx, dW):
    return ('def matmul_vjp(upstream, x, W):\n'
            '    """(dL/dx, dL/dW) for y = x @ W; x: (N, D), W: (D, M), upstream = dL/dy: (N, M)."""\n'
            f'    dx = {dx}\n'
            f'    dW = {dW}\n'
            '    return dx, dW\n')


def _gram(body):
    return ('def gram_vjp(upstream, X):\n'
            '    """dL/dX for G = X @ X.T; X: (N, D), upstream = dL/dG: (N, N)."""\n'
            f'    {body}\n')


def _unbroadcast(body):
    return ('def unbroadcast(g, shape):\n'
            '    """g summed back to `shape`, the input\'s shape before broadcasting."""\n'
            '    g = np.asarray(g, dtype=np.float64)\n'
            f'    {body}\n')


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

_ORDER = '''    order, visited = [], {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
'''


def _backward(body, order=_ORDER):
    return ('def backward(root):\n'
            '    """Set .grad = dL/d(node) on every node that root depends on."""\n'
            f'{order}{body}')


_RECURSIVE_ORDER = '''    order, visited = [], set()

    def visit(node):
        visited.add(node)
        for parent in node.parents:
            if parent not in visited:
                visit(parent)
        order.append(node)

    visit(root)
'''

_NETWORK = '''def two_layer_forward_backward(params, X, y):
    """Loss and gradients of affine - relu - affine - softmax cross-entropy, by your engine."""
    leaves = {{name: Node(value, label=name) for name, value in params.items()}}
    {forward}
    backward(loss)
    return {result}
'''
_FORWARD = ('hidden = relu(Node(X) @ leaves["W1"] + leaves["b1"])\n'
            '    loss = cross_entropy(hidden @ leaves["W2"] + leaves["b2"], y)')
_RESULT = "float(loss.value), {name: leaf.grad for name, leaf in leaves.items()}"

ENTRY_TESTS = ["test-grad-w-entry", "test-grad-w-entry-hidden"]
MATMUL_TESTS = ["test-matmul-vjp", "test-matmul-vjp-hidden"]
GRAM_TESTS = ["test-gram-vjp", "test-gram-vjp-hidden"]
UNBROADCAST_TESTS = ["test-unbroadcast", "test-unbroadcast-hidden"]
CE_TESTS = ["test-softmax-cross-entropy", "test-softmax-cross-entropy-hidden"]
BACKWARD_TESTS = ["test-tensor-backward", "test-tensor-backward-hidden"]
NETWORK_TESTS = ["test-two-layer-forward-backward", "test-two-layer-forward-backward-hidden"]

WRONG_ANSWERS = [
    {
        "name": "entry-as-matrix-product",
        "cell": "grad-w-entry",
        "source": _ENTRY.format(
            fill=_FILL,
            grad="return float(np.sum(dy_dW_entry(x, upstream.shape[1], j, k) @ upstream.T))"),
        "fails": ENTRY_TESTS,
        "mistake": "unknown",
    },
    {
        "name": "entry-uses-a-row-of-x",
        "cell": "grad-w-entry",
        "source": _ENTRY.format(fill="A[:, k] = x[j]", grad=_GRAD),
        "fails": ENTRY_TESTS,
        "mistake": "transpose",
    },
    {
        "name": "entry-fills-every-column",
        "cell": "grad-w-entry",
        "source": _ENTRY.format(fill="A[:, :] = x[:, [j]]", grad=_GRAD),
        "fails": ENTRY_TESTS,
        "mistake": "unknown",
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
        "name": "gram-one-use-only",
        "cell": "gram-vjp",
        "source": _gram("return upstream @ X"),
        "fails": GRAM_TESTS,
        "mistake": "not_accumulated",
    },
    {
        "name": "gram-other-use-only",
        "cell": "gram-vjp",
        "source": _gram("return upstream.T @ X"),
        "fails": GRAM_TESTS,
        "mistake": "not_accumulated",
    },
    {
        "name": "gram-assumes-symmetric-upstream",
        "cell": "gram-vjp",
        "source": _gram("return 2.0 * upstream @ X"),
        "fails": GRAM_TESTS,
        "mistake": "unknown",
    },
    {
        "name": "unbroadcast-leading-axes-only",
        "cell": "unbroadcast",
        "source": _unbroadcast("return g.sum(axis=tuple(range(g.ndim - len(shape))))"),
        "fails": UNBROADCAST_TESTS + BACKWARD_TESTS,
        "mistake": "unreduced_broadcast",
    },
    {
        "name": "unbroadcast-drops-stretched-axes",
        "cell": "unbroadcast",
        "source": _unbroadcast(
            "g = g.sum(axis=tuple(range(g.ndim - len(shape))))\n"
            "    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)\n"
            "    return g.sum(axis=stretched)"),
        "fails": UNBROADCAST_TESTS + BACKWARD_TESTS,
        "mistake": "shape",
    },
    {
        "name": "unbroadcast-averages",
        "cell": "unbroadcast",
        "source": _unbroadcast(
            "if g.shape == shape:\n"
            "        return g\n"
            "    g = g.mean(axis=tuple(range(g.ndim - len(shape))))\n"
            "    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)\n"
            "    return g.mean(axis=stretched, keepdims=True)"),
        "fails": UNBROADCAST_TESTS + BACKWARD_TESTS + NETWORK_TESTS,
        "mistake": "scale",
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
        "fails": CE_TESTS,
        "mistake": "nonfinite",
    },
    {
        "name": "backward-overwrites-at-fan-out",
        "cell": "tensor-backward",
        "source": _backward('''    grads = {root: np.ones(root.shape)}
    for node in reversed(order):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            grads[parent] = unbroadcast(vjp_fn(node.grad), parent.shape)
'''),
        "fails": BACKWARD_TESTS,
        "mistake": "not_accumulated",
    },
    {
        "name": "backward-adds-in-place-into-shared-arrays",
        "cell": "tensor-backward",
        "source": _backward('''    for node in order:
        node.grad = None
    root.grad = np.ones(root.shape)
    for node in reversed(order):
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            if parent.grad is None:
                parent.grad = share
            else:
                parent.grad += share
'''),
        "fails": BACKWARD_TESTS,
        "mistake": "partial",
    },
    {
        "name": "backward-forgets-unbroadcast",
        "cell": "tensor-backward",
        "source": _backward('''    grads = {root: np.ones(root.shape)}
    for node in reversed(order):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = vjp_fn(node.grad)
            grads[parent] = share if parent not in grads else grads[parent] + share
'''),
        "fails": BACKWARD_TESTS + NETWORK_TESTS,
        "mistake": "unreduced_broadcast",
    },
    {
        "name": "backward-accumulates-across-calls",
        "cell": "tensor-backward",
        "source": _backward('''    if root.grad is None:
        root.grad = np.zeros(root.shape)
    root.grad = root.grad + 1.0
    for node in reversed(order):
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            parent.grad = share if parent.grad is None else parent.grad + share
'''),
        "fails": BACKWARD_TESTS,
        "mistake": "scale",
    },
    {
        "name": "backward-parents-first",
        "cell": "tensor-backward",
        "source": _backward('''    grads = {node: np.zeros(node.shape) for node in order}
    grads[root] = np.ones(root.shape)
    for node in order:
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            grads[parent] = grads[parent] + unbroadcast(vjp_fn(node.grad), parent.shape)
'''),
        "fails": BACKWARD_TESTS + NETWORK_TESTS,
        "mistake": "partial",
    },
    {
        "name": "backward-recursive-order",
        "cell": "tensor-backward",
        "source": _backward('''    grads = {root: np.ones(root.shape)}
    for node in reversed(order):
        node.grad = grads[node]
        for parent, vjp_fn in zip(node.parents, node.vjp_fns):
            share = unbroadcast(vjp_fn(node.grad), parent.shape)
            grads[parent] = share if parent not in grads else grads[parent] + share
''', order=_RECURSIVE_ORDER),
        "fails": BACKWARD_TESTS,
        "mistake": "unknown",
    },
    {
        "name": "network-skips-relu",
        "cell": "two-layer-forward-backward",
        "source": _NETWORK.format(
            forward=_FORWARD.replace('relu(Node(X) @ leaves["W1"] + leaves["b1"])',
                                     'Node(X) @ leaves["W1"] + leaves["b1"]'),
            result=_RESULT),
        "fails": NETWORK_TESTS,
        "mistake": "unknown",
    },
    {
        "name": "network-relu-on-the-scores",
        "cell": "two-layer-forward-backward",
        "source": _NETWORK.format(
            forward=_FORWARD.replace('cross_entropy(hidden @ leaves["W2"] + leaves["b2"], y)',
                                     'cross_entropy(relu(hidden @ leaves["W2"] + leaves["b2"]), y)'),
            result=_RESULT),
        "fails": NETWORK_TESTS,
        "mistake": "unknown",
    },
    {
        "name": "network-gradients-of-fresh-nodes",
        "cell": "two-layer-forward-backward",
        "source": _NETWORK.format(
            forward=_FORWARD,
            result="float(loss.value), {name: Node(value).grad for name, value in params.items()}"),
        "fails": NETWORK_TESTS,
        "mistake": "zero",
    },
]
