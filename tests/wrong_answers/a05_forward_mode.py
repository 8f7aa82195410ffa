"""Wrong answers for 05-forward-mode: the mistakes students make with forward mode.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md.
"""


def _both(exercise):
    return [f"test-{exercise}", f"test-{exercise}-hidden"]


def _variant(correct, old, new):
    """`correct` with the text `old` (which must occur exactly once) replaced by `new`."""
    assert correct.count(old) == 1, f"{old!r} must occur exactly once"
    return correct.replace(old, new)


_CHAIN_PRODUCT = '''def chain_product(jacobians, order):
    """Multiply [J1, ..., JL] (J1 applied first) in the given order."""
    if order not in ("reverse", "forward"):
        raise ValueError(f"order must be 'reverse' or 'forward', not {order!r}")
    count = 0
    if order == "reverse":
        running = jacobians[-1]
        for J in reversed(jacobians[:-1]):
            count += running.shape[0] * running.shape[1] * J.shape[1]
            running = running @ J
    else:
        running = jacobians[0]
        for J in jacobians[1:]:
            count += J.shape[0] * J.shape[1] * running.shape[1]
            running = J @ running
    return running, int(count)
'''

_FORWARD_TANGENTS = '''def forward_tangents(root, seeds):
    """Forward mode over the graph of `root`: {node: tangent} for every node."""
    tangents = {}
    for node in topological_order(root):
        if not node._parents:
            tangents[node] = float(seeds.get(node, 0.0))
        else:
            tangents[node] = sum(local * tangents[parent]
                                 for parent, local in zip(node._parents, node._local_grads))
    return tangents
'''

_DUAL = '''class Dual:
    """A dual number value + tangent * eps, with eps**2 == 0."""

    __array_ufunc__ = None

    def __init__(self, value, tangent=0.0):
        self.value = value
        self.tangent = tangent

    def __repr__(self):
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    @staticmethod
    def lift(x):
        return x if isinstance(x, Dual) else Dual(x, 0.0)

    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __sub__(self, other):
        other = Dual.lift(other)
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __mul__(self, other):
        other = Dual.lift(other)
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    def __truediv__(self, other):
        other = Dual.lift(other)
        return Dual(self.value / other.value,
                    (self.tangent * other.value - self.value * other.tangent) / other.value ** 2)

    def __radd__(self, other):
        return Dual.lift(other) + self

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __rmul__(self, other):
        return Dual.lift(other) * self

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __pow__(self, p):
        return dual_pow(self, p)

    def exp(self):
        return dual_exp(self)

    def log(self):
        return dual_log(self)

    def tanh(self):
        return dual_tanh(self)

    def sigmoid(self):
        return dual_sigmoid(self)

    def relu(self):
        return dual_relu(self)
'''

_DUAL_FUNCTIONS = '''def dual_exp(d):
    d = Dual.lift(d)
    value = np.exp(d.value)
    return Dual(value, value * d.tangent)


def dual_log(d):
    d = Dual.lift(d)
    return Dual(np.log(d.value), d.tangent / d.value)


def dual_tanh(d):
    d = Dual.lift(d)
    value = np.tanh(d.value)
    return Dual(value, (1 - value * value) * d.tangent)


def dual_sigmoid(d):
    d = Dual.lift(d)
    s = 0.5 * (1 + np.tanh(0.5 * d.value))
    return Dual(s, s * (1 - s) * d.tangent)


def dual_relu(d):
    d = Dual.lift(d)
    return Dual(np.maximum(d.value, 0.0), np.where(d.value > 0, d.tangent, 0.0))


def dual_pow(d, p):
    d = Dual.lift(d)
    return Dual(d.value ** p, p * d.value ** (p - 1) * d.tangent)
'''

_DERIVATIVE = '''def derivative(f, x):
    """f'(x) by forward mode: one evaluation of f on the dual number x + 1 eps."""
    return Dual.lift(f(Dual(x, 1.0))).tangent
'''

_TANH_JVP = '''def tanh_jvp(tangents, x):
    (dx,) = tangents
    y = np.tanh(x)
    return (1 - y * y) * dx
'''

_MATMUL_JVP = '''def matmul_jvp(tangents, x, W):
    dx, dW = tangents
    return dx @ W + x @ dW
'''

_SOFTMAX_JVP = '''def softmax_jvp(tangents, x):
    (dx,) = tangents
    s = course.softmax(x)
    return s * (dx - (s * dx).sum(axis=-1, keepdims=True))
'''

_DOT_PRODUCTS = '''def dot_products(jvp_fn, vjp_fn, x, u, v):
    forward = np.vdot(u, jvp_fn((v,), x))
    reverse = np.vdot(vjp_fn(u, x), v)
    return float(forward), float(reverse)
'''

_JACOBIAN_FWD = '''def jacobian_fwd(f, x):
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = 1.0
        columns.append(course.jvp(f, (x,), (e,))[1])
    return np.stack(columns, axis=1)
'''

WRONG_ANSWERS = [
    {
        "name": "chain-product-orders-swapped",
        "cell": "chain-product",
        "source": _variant(_CHAIN_PRODUCT, 'if order == "reverse":', 'if order == "forward":'),
        "fails": _both("chain-product"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "forward-tangents-overwrites-fan-out",
        "cell": "forward-tangents",
        "source": _variant(
            _FORWARD_TANGENTS,
            "            tangents[node] = sum(local * tangents[parent]\n"
            "                                 for parent, local in zip(node._parents, node._local_grads))\n",
            "            for parent, local in zip(node._parents, node._local_grads):\n"
            "                tangents[node] = local * tangents[parent]\n"),
        "fails": _both("forward-tangents"),
        "mistake": "not_accumulated",
    },
    {
        "name": "dual-mul-one-term",
        "cell": "dual-arithmetic",
        "source": _variant(_DUAL, "self.tangent * other.value + self.value * other.tangent",
                           "self.tangent * other.value"),
        "fails": _both("dual-arithmetic") + _both("derivative"),
        "mistake": "zero",
    },
    {
        "name": "dual-mul-tangent-times-tangent",
        "cell": "dual-arithmetic",
        "source": _variant(_DUAL, "self.tangent * other.value + self.value * other.tangent",
                           "self.tangent * other.tangent"),
        "fails": _both("dual-arithmetic") + _both("derivative"),
        "mistake": "unknown",
    },
    {
        "name": "dual-div-sign",
        "cell": "dual-arithmetic",
        "source": _variant(_DUAL, "(self.tangent * other.value - self.value * other.tangent)",
                           "(self.tangent * other.value + self.value * other.tangent)"),
        # the visible derivative test divides nothing; the hidden one does
        "fails": _both("dual-arithmetic") + ["test-derivative-hidden"],
        "mistake": "sign",
    },
    {
        "name": "dual-exp-forgets-incoming-tangent",
        "cell": "dual-functions",
        "source": _variant(_DUAL_FUNCTIONS, "return Dual(value, value * d.tangent)",
                           "return Dual(value, value)"),
        "fails": _both("dual-functions") + _both("derivative"),
        "mistake": "missing_upstream",
    },
    {
        "name": "derivative-seeds-zero",
        "cell": "derivative",
        "source": _variant(_DERIVATIVE, "Dual(x, 1.0)", "Dual(x)"),
        "fails": _both("derivative"),
        "mistake": "zero",
    },
    {
        "name": "tanh-jvp-one-minus-x-squared",
        "cell": "tanh-jvp",
        "source": _variant(_TANH_JVP, "(1 - y * y) * dx", "(1 - x * x) * dx"),
        "fails": _both("tanh-jvp"),
        "mistake": "output_for_input",
    },
    {
        "name": "matmul-jvp-misses-dW-term",
        "cell": "matmul-jvp",
        "source": _variant(_MATMUL_JVP, "dx @ W + x @ dW", "dx @ W"),
        "fails": _both("matmul-jvp"),
        "mistake": "zero",
    },
    {
        "name": "matmul-jvp-misses-dx-term",
        "cell": "matmul-jvp",
        "source": _variant(_MATMUL_JVP, "dx @ W + x @ dW", "x @ dW"),
        "fails": _both("matmul-jvp"),
        "mistake": "zero",
    },
    {
        "name": "softmax-jvp-element-wise",
        "cell": "softmax-jvp",
        "source": _variant(_SOFTMAX_JVP, "s * (dx - (s * dx).sum(axis=-1, keepdims=True))",
                           "s * (1 - s) * dx"),
        "fails": _both("softmax-jvp"),
        "mistake": "unknown",
    },
    {
        "name": "dot-products-reverse-from-jvp",
        "cell": "dot-products",
        "source": _variant(_DOT_PRODUCTS, "np.vdot(vjp_fn(u, x), v)", "np.vdot(u, jvp_fn((v,), x))"),
        "fails": _both("dot-products"),
        "mistake": "unknown",
    },
    {
        "name": "jacobian-fwd-columns-as-rows",
        "cell": "jacobian-fwd",
        "source": _variant(_JACOBIAN_FWD, "np.stack(columns, axis=1)", "np.array(columns)"),
        "fails": _both("jacobian-fwd"),
        "mistake": "transpose",
    },
]
