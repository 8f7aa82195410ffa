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
    """Multiply [J1, ..., JL] (J1 applied first) in the given order.

    order: "reverse" (running product starts at the output side, JL) or "forward" (starts at J1).
    Returns (J, multiply_adds): J = JL @ ... @ J1, shape (dL, d0); multiply_adds an int, where
    an (a, b) @ (b, c) product costs a * b * c.
    """
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

_CHEAPEST_ORDER = '''def cheapest_order(dims):
    """The cheapest bracketing of J_L ... J_1 for layer sizes dims = (d0, ..., dL), J_k: (d_k, d_(k-1)).

    Returns (cost, order): the fewest multiply-adds of any bracketing, and one bracketing with that
    cost, written as nested pairs (left, right) of Jacobian numbers k = 1..L (left nearer the output).
    """
    dims = tuple(int(d) for d in dims)
    L = len(dims) - 1
    best = {(k, k): (0, k) for k in range(1, L + 1)}      # (i, j): sub-chain J_j ... J_i
    for length in range(1, L):
        for i in range(1, L - length + 1):
            j = i + length
            best[i, j] = min(
                ((best[k + 1, j][0] + best[i, k][0] + dims[j] * dims[k] * dims[i - 1],
                  (best[k + 1, j][1], best[i, k][1])) for k in range(i, j)),
                key=lambda candidate: candidate[0])
    return best[1, L]
'''

_FORWARD_TANGENTS = '''def forward_tangents(root, seeds):
    """Forward mode over the graph of `root`: {node: tangent} for every node.

    seeds: {leaf Value: its tangent}; other leaves have tangent 0.
    A node's tangent is the sum over its inputs p of (d node / d p) * tangent(p).
    """
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
    """A dual number value + tangent * eps, with eps**2 == 0.

    value, tangent: numbers (or numpy arrays of one shape). Plain numbers are constants:
    Dual.lift(c) == Dual(c, 0.0).
    """

    __array_ufunc__ = None   # numpy arrays and numbers hand `array * dual` over to Dual

    def __init__(self, value, tangent=0.0):
        self.value = value
        self.tangent = tangent

    def __repr__(self):
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    @staticmethod
    def lift(x):
        """x itself if it is a Dual, else the constant Dual(x, 0.0)."""
        return x if isinstance(x, Dual) else Dual(x, 0.0)

    # --- given: the rules of the table ----------------------------------------------------------
    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __sub__(self, other):
        other = Dual.lift(other)
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __mul__(self, other):
        other = Dual.lift(other)
        return Dual(self.value * other.value, self.tangent * other.value + self.value * other.tangent)

    # --- Exercise 4 ------------------------------------------------------------------------------
    def __truediv__(self, other):
        other = Dual.lift(other)
        quotient = self.value / other.value
        return Dual(quotient, (self.tangent - quotient * other.tangent) / other.value)

    def __pow__(self, p):
        if not isinstance(p, Dual):
            return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)
        power = self.value ** p.value
        rate = p.tangent * np.log(self.value) + p.value * self.tangent / self.value
        return Dual(power, power * rate)

    # --- given: reflected operators and negation call the ones above ----------------------------
    def __radd__(self, other):
        return Dual.lift(other) + self

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __rmul__(self, other):
        return Dual.lift(other) * self

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __rpow__(self, base):
        return Dual.lift(base) ** self

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    # --- given: functions of dual numbers, built in Exercise 5 ----------------------------------
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

_UNARY = '''def unary(g, slope):
    """The function d -> g(d) on dual numbers, for g with derivative slope (numpy functions)."""
    def g_of_dual(d):
        d = Dual.lift(d)
        return Dual(g(d.value), slope(d.value) * d.tangent)
    return g_of_dual
'''

_DERIVATIVE = '''def derivative(f, x):
    """f'(x) by forward mode: one evaluation of f on a dual number (element-wise for arrays)."""
    return Dual.lift(f(Dual(x, 1.0))).tangent
'''

_LOGSUMEXP_JVP = '''def logsumexp_jvp(tangents, x):
    """The tangent of logsumexp(x) (along the last axis) when x moves along tangents[0]."""
    (dx,) = tangents
    weights = course.softmax(x)
    return (weights * dx).sum(axis=-1)
'''

_STANDARDIZE_JVP = '''def standardize_jvp(tangents, x):
    """The tangent of standardize(x) (along the last axis) when x moves along tangents[0]."""
    (dx,) = tangents
    y = standardize(x)
    sigma = np.sqrt(((x - x.mean(axis=-1, keepdims=True)) ** 2).mean(axis=-1, keepdims=True))
    d_centred = dx - dx.mean(axis=-1, keepdims=True)
    return (d_centred - y * (y * d_centred).mean(axis=-1, keepdims=True)) / sigma
'''

_SOLVE_JVP = '''def solve_jvp(tangents, A, b):
    """The tangent of np.linalg.solve(A, b) when A moves along tangents[0] and b along tangents[1]."""
    dA, db = tangents
    x = np.linalg.solve(A, b)
    return np.linalg.solve(A, db - dA @ x)
'''

_DOT_PRODUCT_GAP = '''def dot_product_gap(f, jvp_fn, vjp_fn, x, seed=0):
    """|<u, J v> - <J^T u, v>| / (|<u, J v>| + |<J^T u, v>|) for random u, v (0.0 if both are 0)."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(np.shape(x))
    u = rng.standard_normal(np.shape(f(x)))
    forward = np.vdot(u, jvp_fn((v,), x))
    reverse = np.vdot(vjp_fn(u, x), v)
    scale = abs(forward) + abs(reverse)
    return 0.0 if scale == 0 else float(abs(forward - reverse) / scale)
'''

_JACOBIAN_FWD = '''def jacobian_fwd(f, x):
    """The Jacobian of f at x, shape f(x).shape + x.shape, one course.jvp per element of x."""
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        columns.append(course.jvp(f, (x,), (e.reshape(x.shape),))[1])
    by_element = np.stack(columns, axis=-1)
    return by_element.reshape(np.shape(columns[0]) + x.shape)
'''

WRONG_ANSWERS = [
    # --- chain-product ----------------------------------------------------------------------------
    {
        "name": "chain-product-orders-swapped",
        "cell": "chain-product",
        "source": _variant(_CHAIN_PRODUCT, 'if order == "reverse":', 'if order == "forward":'),
        "fails": _both("chain-product"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "chain-product-counts-two-sizes",
        "cell": "chain-product",
        # a * b for an (a, b) @ (b, c) product: the size of one factor, not the work
        "source": _variant(_CHAIN_PRODUCT, "count += running.shape[0] * running.shape[1] * J.shape[1]",
                           "count += running.shape[0] * running.shape[1]"),
        "fails": _both("chain-product"),
        "mistake": "partial",
    },
    {
        "name": "chain-product-counts-result-size",
        "cell": "chain-product",
        # a * c: the size of the result, as if each entry cost one multiply-add
        "source": _variant(_CHAIN_PRODUCT, "count += J.shape[0] * J.shape[1] * running.shape[1]",
                           "count += J.shape[0] * running.shape[1]"),
        "fails": _both("chain-product"),
        "mistake": "partial",
    },
    # --- cheapest-order ---------------------------------------------------------------------------
    {
        "name": "cheapest-order-only-forward-or-reverse",
        "cell": "cheapest-order",
        "source": '''def cheapest_order(dims):
    dims = tuple(int(d) for d in dims)
    L = len(dims) - 1
    reverse = sum(dims[L] * dims[k] * dims[k - 1] for k in range(1, L))
    forward = sum(dims[k] * dims[k - 1] * dims[0] for k in range(2, L + 1))
    rev_order, fwd_order = L, 1
    for k in range(L - 1, 0, -1):
        rev_order = (rev_order, k)
    for k in range(2, L + 1):
        fwd_order = (k, fwd_order)
    return (reverse, rev_order) if reverse <= forward else (forward, fwd_order)
''',
        "fails": _both("cheapest-order"),
        "mistake": "partial",
    },
    {
        "name": "cheapest-order-greedy",
        "cell": "cheapest-order",
        # always multiply the neighbours whose product is cheapest right now
        "source": '''def cheapest_order(dims):
    sizes = [int(d) for d in dims]
    parts = list(range(1, len(sizes)))      # parts[i] spans sizes[i] -> sizes[i + 1]
    cost = 0
    while len(parts) > 1:
        i = min(range(len(parts) - 1), key=lambda i: sizes[i] * sizes[i + 1] * sizes[i + 2])
        cost += sizes[i] * sizes[i + 1] * sizes[i + 2]
        parts[i:i + 2] = [(parts[i + 1], parts[i])]
        del sizes[i + 1]
    return cost, parts[0]
''',
        "fails": _both("cheapest-order"),
        "mistake": "unknown",
    },
    {
        "name": "cheapest-order-wrong-split-size",
        "cell": "cheapest-order",
        # the last product costs d_j * d_k * d_(i-1); d_(k-1) in the middle is off by one
        "source": _variant(_CHEAPEST_ORDER, "dims[j] * dims[k] * dims[i - 1]",
                           "dims[j] * dims[k - 1] * dims[i - 1]"),
        "fails": _both("cheapest-order"),
        "mistake": "unknown",
    },
    {
        "name": "cheapest-order-halves-swapped",
        "cell": "cheapest-order",
        # the cost is right but the bracketing names the lower part first
        "source": _variant(_CHEAPEST_ORDER, "(best[k + 1, j][1], best[i, k][1])",
                           "(best[i, k][1], best[k + 1, j][1])"),
        "fails": _both("cheapest-order"),
        "mistake": "swapped_inputs",
    },
    # --- forward-tangents -------------------------------------------------------------------------
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
        "name": "forward-tangents-unseeded-leaves-move",
        "cell": "forward-tangents",
        # constants and unseeded inputs get tangent 1 instead of 0
        "source": _variant(_FORWARD_TANGENTS, "seeds.get(node, 0.0)", "seeds.get(node, 1.0)"),
        "fails": _both("forward-tangents"),
        "mistake": "unknown",
    },
    {
        "name": "forward-tangents-forgets-local-gradients",
        "cell": "forward-tangents",
        "source": _variant(_FORWARD_TANGENTS, "sum(local * tangents[parent]", "sum(tangents[parent]"),
        "fails": _both("forward-tangents"),
        "mistake": "missing_upstream",
    },
    # --- dual-arithmetic --------------------------------------------------------------------------
    {
        "name": "dual-div-sign",
        "cell": "dual-arithmetic",
        "source": _variant(_DUAL, "(self.tangent - quotient * other.tangent)",
                           "(self.tangent + quotient * other.tangent)"),
        "fails": _both("dual-arithmetic"),
        "mistake": "sign",
    },
    {
        "name": "dual-div-constant-denominator",
        "cell": "dual-arithmetic",
        # a' / b: the denominator's tangent never enters
        "source": _variant(_DUAL, "(self.tangent - quotient * other.tangent) / other.value",
                           "self.tangent / other.value"),
        "fails": _both("dual-arithmetic"),
        "mistake": "partial",
    },
    {
        "name": "dual-div-tangents-divided",
        "cell": "dual-arithmetic",
        # a' / b' by analogy with the values
        "source": _variant(_DUAL, "(self.tangent - quotient * other.tangent) / other.value",
                           "self.tangent / other.tangent"),
        "fails": _both("dual-arithmetic"),
        "mistake": "unknown",
    },
    {
        "name": "dual-pow-forgets-incoming-tangent",
        "cell": "dual-arithmetic",
        "source": _variant(_DUAL, "p * self.value ** (p - 1) * self.tangent", "p * self.value ** (p - 1)"),
        "fails": _both("dual-arithmetic"),
        "mistake": "missing_upstream",
    },
    {
        "name": "dual-pow-moving-exponent-ignored",
        "cell": "dual-arithmetic",
        # a Dual exponent treated as the constant p.value
        "source": _variant(_DUAL, "rate = p.tangent * np.log(self.value) + p.value * self.tangent / self.value",
                           "rate = p.value * self.tangent / self.value"),
        "fails": _both("dual-arithmetic"),
        "mistake": "partial",
    },
    {
        "name": "dual-pow-always-through-log",
        "cell": "dual-arithmetic",
        # e^(p log a) for every exponent: nan (and a warning) for a negative base
        "source": _variant(_DUAL, "        if not isinstance(p, Dual):\n"
                                  "            return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)\n",
                           "        p = Dual.lift(p)\n"),
        "fails": _both("dual-arithmetic"),
        "mistake": "nonfinite",
    },
    # --- dual-unary -------------------------------------------------------------------------------
    {
        "name": "dual-unary-forgets-incoming-tangent",
        "cell": "dual-unary",
        "source": _variant(_UNARY, "slope(d.value) * d.tangent", "slope(d.value)"),
        "fails": _both("dual-unary"),
        "mistake": "missing_upstream",
    },
    {
        "name": "dual-unary-slope-at-output",
        "cell": "dual-unary",
        "source": _variant(_UNARY, "slope(d.value) * d.tangent", "slope(g(d.value)) * d.tangent"),
        "fails": _both("dual-unary"),
        "mistake": "output_for_input",
    },
    {
        "name": "dual-unary-function-for-slope",
        "cell": "dual-unary",
        # the tangent scaled by g itself, not by its derivative
        "source": _variant(_UNARY, "slope(d.value) * d.tangent", "g(d.value) * d.tangent"),
        "fails": _both("dual-unary"),
        "mistake": "unknown",
    },
    {
        "name": "dual-unary-no-lift",
        "cell": "dual-unary",
        # a plain number has no .value: constants break
        "source": _variant(_UNARY, "        d = Dual.lift(d)\n", ""),
        "fails": ["test-dual-unary"],
        "mistake": "unknown",
    },
    # --- derivative -------------------------------------------------------------------------------
    {
        "name": "derivative-seeds-zero",
        "cell": "derivative",
        "source": _variant(_DERIVATIVE, "Dual(x, 1.0)", "Dual(x)"),
        "fails": _both("derivative"),
        "mistake": "zero",
    },
    {
        "name": "derivative-returns-value",
        "cell": "derivative",
        "source": _variant(_DERIVATIVE, "(Dual(x, 1.0))).tangent", "(Dual(x, 1.0))).value"),
        "fails": _both("derivative"),
        "mistake": "output_for_input",
    },
    {
        "name": "derivative-seeds-x",
        "cell": "derivative",
        # the input's own value as its tangent: right only at x = 1
        "source": _variant(_DERIVATIVE, "Dual(x, 1.0)", "Dual(x, x)"),
        "fails": _both("derivative"),
        "mistake": "scale",
    },
    {
        "name": "derivative-no-lift",
        "cell": "derivative",
        # a function that returns a plain number has no .tangent
        "source": _variant(_DERIVATIVE, "Dual.lift(f(Dual(x, 1.0))).tangent", "f(Dual(x, 1.0)).tangent"),
        "fails": ["test-derivative"],
        "mistake": "unknown",
    },
    # --- logsumexp-jvp ----------------------------------------------------------------------------
    {
        "name": "logsumexp-jvp-unweighted",
        "cell": "logsumexp-jvp",
        "source": _variant(_LOGSUMEXP_JVP, "(weights * dx).sum(axis=-1)", "dx.sum(axis=-1)"),
        "fails": _both("logsumexp-jvp"),
        "mistake": "missing_upstream",
    },
    {
        "name": "logsumexp-jvp-unnormalised-weights",
        "cell": "logsumexp-jvp",
        # e^x instead of softmax(x): the division by the sum (the log's derivative) is lost
        "source": _variant(_LOGSUMEXP_JVP, "weights = course.softmax(x)", "weights = np.exp(x)"),
        "fails": _both("logsumexp-jvp"),
        "mistake": "scale",
    },
    {
        "name": "logsumexp-jvp-keepdims",
        "cell": "logsumexp-jvp",
        "source": _variant(_LOGSUMEXP_JVP, "sum(axis=-1)", "sum(axis=-1, keepdims=True)"),
        "fails": _both("logsumexp-jvp"),
        "mistake": "shape",
    },
    {
        "name": "logsumexp-jvp-not-summed",
        "cell": "logsumexp-jvp",
        # the softmax-weighted tangent, one per score instead of one per row
        "source": _variant(_LOGSUMEXP_JVP, "(weights * dx).sum(axis=-1)", "weights * dx"),
        "fails": _both("logsumexp-jvp"),
        "mistake": "shape",
    },
    # --- standardize-jvp --------------------------------------------------------------------------
    {
        "name": "standardize-jvp-sigma-constant",
        "cell": "standardize-jvp",
        "source": _variant(_STANDARDIZE_JVP,
                           "(d_centred - y * (y * d_centred).mean(axis=-1, keepdims=True)) / sigma",
                           "d_centred / sigma"),
        "fails": _both("standardize-jvp"),
        "mistake": "partial",
    },
    {
        "name": "standardize-jvp-mean-constant",
        "cell": "standardize-jvp",
        # the tangent of the mean is forgotten
        "source": _variant(_STANDARDIZE_JVP, "d_centred = dx - dx.mean(axis=-1, keepdims=True)",
                           "d_centred = dx"),
        "fails": _both("standardize-jvp"),
        "mistake": "partial",
    },
    {
        "name": "standardize-jvp-sign",
        "cell": "standardize-jvp",
        "source": _variant(_STANDARDIZE_JVP, "(d_centred - y * (y * d_centred)", "(d_centred + y * (y * d_centred)"),
        "fails": _both("standardize-jvp"),
        "mistake": "sign",
    },
    {
        "name": "standardize-jvp-means-over-the-batch",
        "cell": "standardize-jvp",
        # the tangent's means taken over the whole array, not per row
        "source": _variant(_STANDARDIZE_JVP,
                           "    d_centred = dx - dx.mean(axis=-1, keepdims=True)\n"
                           "    return (d_centred - y * (y * d_centred).mean(axis=-1, keepdims=True)) / sigma\n",
                           "    d_centred = dx - dx.mean()\n"
                           "    return (d_centred - y * (y * d_centred).mean()) / sigma\n"),
        "fails": _both("standardize-jvp"),
        "mistake": "unreduced_broadcast",
    },
    {
        "name": "standardize-jvp-not-divided",
        "cell": "standardize-jvp",
        "source": _variant(_STANDARDIZE_JVP, "keepdims=True)) / sigma\n", "keepdims=True))\n"),
        "fails": _both("standardize-jvp"),
        "mistake": "scale",
    },
    # --- solve-jvp --------------------------------------------------------------------------------
    {
        "name": "solve-jvp-forgets-dA",
        "cell": "solve-jvp",
        "source": _variant(_SOLVE_JVP, "np.linalg.solve(A, db - dA @ x)", "np.linalg.solve(A, db)"),
        "fails": _both("solve-jvp"),
        "mistake": "partial",
    },
    {
        "name": "solve-jvp-dA-sign",
        "cell": "solve-jvp",
        "source": _variant(_SOLVE_JVP, "db - dA @ x", "db + dA @ x"),
        "fails": _both("solve-jvp"),
        "mistake": "sign",
    },
    {
        "name": "solve-jvp-dA-term-not-solved",
        "cell": "solve-jvp",
        # solve(A, db) - dA @ x: the A^-1 of the dA term is missing
        "source": _variant(_SOLVE_JVP, "np.linalg.solve(A, db - dA @ x)", "np.linalg.solve(A, db) - dA @ x"),
        "fails": _both("solve-jvp"),
        "mistake": "unknown",
    },
    {
        "name": "solve-jvp-transposed",
        "cell": "solve-jvp",
        "source": _variant(_SOLVE_JVP, "np.linalg.solve(A, db - dA @ x)", "np.linalg.solve(A.T, db - dA @ x)"),
        "fails": _both("solve-jvp"),
        "mistake": "transpose",
    },
    {
        "name": "solve-jvp-b-for-x",
        "cell": "solve-jvp",
        "source": _variant(_SOLVE_JVP, "db - dA @ x", "db - dA @ b"),
        "fails": _both("solve-jvp"),
        "mistake": "output_for_input",
    },
    # --- dot-product-gap --------------------------------------------------------------------------
    {
        "name": "dot-product-gap-reverse-from-jvp",
        "cell": "dot-product-gap",
        "source": _variant(_DOT_PRODUCT_GAP, "np.vdot(vjp_fn(u, x), v)", "np.vdot(u, jvp_fn((v,), x))"),
        "fails": _both("dot-product-gap"),
        "mistake": "unknown",
    },
    {
        "name": "dot-product-gap-u-of-input-shape",
        "cell": "dot-product-gap",
        "source": _variant(_DOT_PRODUCT_GAP, "u = rng.standard_normal(np.shape(f(x)))",
                           "u = rng.standard_normal(np.shape(x))"),
        "fails": _both("dot-product-gap"),
        "mistake": "shape",
    },
    {
        "name": "dot-product-gap-absolute",
        "cell": "dot-product-gap",
        "source": _variant(_DOT_PRODUCT_GAP, "float(abs(forward - reverse) / scale)",
                           "float(abs(forward - reverse))"),
        "fails": ["test-dot-product-gap"],
        "mistake": "scale",
    },
    {
        "name": "dot-product-gap-all-ones",
        "cell": "dot-product-gap",
        "source": _variant(_variant(_DOT_PRODUCT_GAP, "v = rng.standard_normal(np.shape(x))",
                                    "v = np.ones(np.shape(x))"),
                           "u = rng.standard_normal(np.shape(f(x)))", "u = np.ones(np.shape(f(x)))"),
        # the hidden tests' wrong VJPs differ from the right ones even along the ones
        "fails": ["test-dot-product-gap"],
        "mistake": "unknown",
    },
    # --- jacobian-fwd -----------------------------------------------------------------------------
    {
        "name": "jacobian-fwd-columns-as-rows",
        "cell": "jacobian-fwd",
        "source": _variant(_JACOBIAN_FWD, "np.stack(columns, axis=-1)", "np.stack(columns, axis=0)"),
        "fails": _both("jacobian-fwd"),
        "mistake": "transpose",
    },
    {
        "name": "jacobian-fwd-keeps-primal",
        "cell": "jacobian-fwd",
        "source": _variant(_JACOBIAN_FWD, "(e.reshape(x.shape),))[1]", "(e.reshape(x.shape),))[0]"),
        "fails": _both("jacobian-fwd"),
        "mistake": "output_for_input",
    },
    {
        "name": "jacobian-fwd-basis-not-reset",
        "cell": "jacobian-fwd",
        # one direction vector for the whole loop: its ones pile up
        "source": _variant(_JACOBIAN_FWD, "    for j in range(x.size):\n        e = np.zeros(x.size)\n",
                           "    e = np.zeros(x.size)\n    for j in range(x.size):\n"),
        "fails": _both("jacobian-fwd"),
        "mistake": "not_accumulated",
    },
    {
        "name": "jacobian-fwd-flat-directions",
        "cell": "jacobian-fwd",
        # a flat direction for a matrix input: the engine refuses the tangent's shape
        "source": _variant(_JACOBIAN_FWD, "(e.reshape(x.shape),)", "(e,)"),
        "fails": _both("jacobian-fwd"),
        "mistake": "shape",
    },
]
