"""Wrong answers for 01-computational-graphs: mistakes in a gradient checker, in gates' backward
rules and in flat gradient code.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md. The checker's
exercises build on each other (check_rule calls the student's numerical_gradient and
relative_error; the reference fan_out_flat calls tanh_backward and divide_backward), so a broken
piece costs the tests of the exercise that uses it too.
"""


def _gate(signature, doc, body):
    """A solution cell: `def signature:` with its docstring and `body` (indented 4)."""
    lines = body.strip("\n").splitlines()
    return f'def {signature}:\n    """{doc}"""\n' + "".join(f"    {line}\n" for line in lines)


def _numerical(body):
    return _gate("numerical_gradient(f, x, eps=1e-6)",
                 "dL/dx of L = f(x) by central differences.", body)


def _nudge_loop(minus="point[index] = kept - eps", divide="(2 * eps)",
                copy="point = np.array(x, dtype=np.float64)"):
    return f"""
{copy}
gradient = np.zeros(point.shape)
for index in np.ndindex(point.shape):
    kept = point[index]
    point[index] = kept + eps
    plus = float(f(point))
    {minus}
    minus = float(f(point))
    point[index] = kept
    gradient[index] = (plus - minus) / {divide}
return gradient
"""


def _relative(body):
    return _gate("relative_error(a, b)", "The largest element-wise relative error.",
                 "a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)\n" + body)


def _check_rule(upstream="np.random.default_rng(seed).normal(size=np.shape(f(*inputs)))",
                wrap="if not isinstance(grads, tuple):\n    grads = (grads,)"):
    return _gate("check_rule(f, rule, *inputs, seed=0)",
                 "Relative errors of rule's gradients against finite differences.", f"""
inputs = [np.array(x, dtype=np.float64) for x in inputs]
upstream = {upstream}
grads = rule(upstream, *inputs)
{wrap}
errors = []
for i, x in enumerate(inputs):
    def loss(v):
        return np.sum(f(*inputs[:i], v, *inputs[i + 1:]) * upstream)
    errors.append(relative_error(numerical_gradient(loss, x), grads[i]))
return tuple(errors)
""")


def _max(body):
    return _gate("max_backward(upstream, x, y)",
                 "Backward pass of the max gate z = max(x, y), element by element.", body)


def _tanh(body):
    return _gate("tanh_backward(upstream, out)",
                 "Backward pass of t = tanh(x), from the gate's OUTPUT out = tanh(x).", body)


def _divide(dy):
    return _gate("divide_backward(upstream, x, y)", "Backward pass of d = x / y.",
                 f"dx = upstream / y\ndy = {dy}\nreturn dx, dy")


def _power(body):
    return _gate("power_backward(upstream, x, y)",
                 "Backward pass of z = x ** y, both inputs in the graph (x > 0).", body)


def _neuron(grad_s3="L * (1.0 - L) * grad_L", swapped=False):
    w, x = ("w0", "x0") if not swapped else ("x0", "w0")
    v, y = ("w1", "x1") if not swapped else ("x1", "w1")
    return _gate("sigmoid_neuron(w0, x0, w1, x1, w2)",
                 "L = sigmoid(w0 * x0 + w1 * x1 + w2), with flat gradient code.", f"""
s0 = w0 * x0
s1 = w1 * x1
s2 = s0 + s1
s3 = s2 + w2
L = sigmoid(s3)
grad_L = 1.0
grad_s3 = {grad_s3}
grad_s2 = grad_s3
grad_w2 = grad_s3
grad_s0 = grad_s2
grad_s1 = grad_s2
grad_w0 = {x} * grad_s0
grad_x0 = {w} * grad_s0
grad_w1 = {y} * grad_s1
grad_x1 = {v} * grad_s1
return L, grad_w0, grad_x0, grad_w1, grad_x1, grad_w2
""")


def _fan_out(grad_d="2.0 * d * grad_d2", grad_y="-grad_d",
             after_tanh="grad_x = grad_x + tanh_backward(grad_t, t)",
             sigmoid_local="sy * (1.0 - sy)"):
    return _gate("fan_out_flat(x, y)",
                 "f = (x * sigmoid(y) + tanh(x)) / (1 + (x - y) ** 2), with flat gradient code.", f"""
sy = sigmoid(y)
p = x * sy
t = np.tanh(x)
top = p + t
d = x - y
d2 = d * d
bottom = 1.0 + d2
f = top / bottom
grad_f = 1.0
grad_top, grad_bottom = divide_backward(grad_f, top, bottom)
grad_d2 = grad_bottom
grad_d = {grad_d}
grad_x = grad_d
grad_y = {grad_y}
grad_p = grad_top
grad_t = grad_top
{after_tanh}
grad_x = grad_x + sy * grad_p
grad_sy = x * grad_p
grad_y = grad_y + {sigmoid_local} * grad_sy
return f, grad_x, grad_y
""")


def _both(exercise):
    return [f"test-{exercise}", f"test-{exercise}-hidden"]


WRONG_ANSWERS = [
    # First, because tests/test_exchange.py hands in the first entry and expects nbgrader validate
    # (visible tests only) to fail the same cells as the autograde: its hidden test's visible
    # line fails too.
    {
        "name": "max-backward-python-if-on-arrays",
        "cell": "max-backward",
        "source": _max("if x > y:\n    return upstream, 0.0\n"
                       "if x < y:\n    return 0.0, upstream\n"
                       "return upstream / 2, upstream / 2"),
        "fails": _both("max-backward"),
        "mistake": "unknown",
    },
    # --- the checker: numerical_gradient ---------------------------------------------------
    {
        "name": "numerical-gradient-one-sided",
        "cell": "numerical-gradient",
        "source": _numerical(_nudge_loop(minus="point[index] = kept", divide="eps")),
        "fails": _both("numerical-gradient") + _both("check-rule"),
        "mistake": "unknown",
    },
    {
        "name": "numerical-gradient-divides-by-eps",
        "cell": "numerical-gradient",
        "source": _numerical(_nudge_loop(divide="eps")),
        "fails": _both("numerical-gradient") + _both("check-rule"),
        "mistake": "scale",
    },
    {
        "name": "numerical-gradient-keeps-float32",
        "cell": "numerical-gradient",
        "source": _numerical(_nudge_loop(copy="point = np.array(x)")),
        "fails": _both("numerical-gradient"),
        "mistake": "unknown",
    },
    {
        # np.asarray does not copy a float64 array: nudged by += and -=, the caller's x comes
        # back changed in its last digits
        "name": "numerical-gradient-nudges-callers-array",
        "cell": "numerical-gradient",
        "source": _numerical("""
point = np.asarray(x, dtype=np.float64)
gradient = np.zeros(point.shape)
for index in np.ndindex(point.shape):
    point[index] += eps
    plus = float(f(point))
    point[index] -= 2 * eps
    minus = float(f(point))
    point[index] += eps
    gradient[index] = (plus - minus) / (2 * eps)
return gradient
"""),
        "fails": _both("numerical-gradient"),
        "mistake": "unknown",
    },
    {
        "name": "numerical-gradient-whole-array-at-once",
        "cell": "numerical-gradient",
        "source": _numerical("x = np.asarray(x, dtype=np.float64)\n"
                             "return (f(x + eps) - f(x - eps)) / (2 * eps)"),
        "fails": _both("numerical-gradient") + _both("check-rule"),
        "mistake": "shape",
    },
    # --- the checker: relative_error -------------------------------------------------------
    {
        "name": "relative-error-absolute",
        "cell": "relative-error",
        "source": _relative("return float(np.max(np.abs(a - b)))"),
        "fails": _both("relative-error"),
        "mistake": "scale",
    },
    {
        "name": "relative-error-no-floor",
        "cell": "relative-error",
        "source": _relative("return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))"),
        "fails": _both("relative-error"),
        "mistake": "nonfinite",
    },
    {
        "name": "relative-error-larger-size",
        "cell": "relative-error",
        "source": _relative("size = np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))\n"
                            "return float(np.max(np.abs(a - b) / size))"),
        "fails": _both("relative-error"),
        "mistake": "scale",
    },
    {
        "name": "relative-error-mean",
        "cell": "relative-error",
        "source": _relative("size = np.maximum(1e-8, np.abs(a) + np.abs(b))\n"
                            "return float(np.mean(np.abs(a - b) / size))"),
        "fails": _both("relative-error"),
        "mistake": "partial",
    },
    # --- the checker: check_rule -----------------------------------------------------------
    {
        "name": "check-rule-upstream-ones",
        "cell": "check-rule",
        "source": _check_rule(upstream="np.ones(np.shape(f(*inputs)))"),
        "fails": ["test-check-rule"],
        "mistake": "missing_upstream",
    },
    {
        "name": "check-rule-indexes-a-lone-gradient",
        "cell": "check-rule",
        "source": _check_rule(wrap=""),
        "fails": _both("check-rule"),
        "mistake": "shape",
    },
    {
        "name": "check-rule-upstream-of-the-input-shape",
        "cell": "check-rule",
        "source": _check_rule(
            upstream="np.random.default_rng(seed).normal(size=np.shape(inputs[0]))"),
        "fails": ["test-check-rule-hidden"],
        "mistake": "shape",
    },
    # --- gates -----------------------------------------------------------------------------
    {
        "name": "max-backward-tie-goes-to-x",
        "cell": "max-backward",
        "source": _max("dx = np.where(x >= y, upstream, 0.0)\n"
                       "dy = np.where(x >= y, 0.0, upstream)\n"
                       "return dx, dy"),
        "fails": _both("max-backward"),
        "mistake": "partial",
    },
    {
        "name": "max-backward-forgets-upstream",
        "cell": "max-backward",
        "source": _max("dx = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))\n"
                       "return dx, 1.0 - dx"),
        "fails": _both("max-backward"),
        "mistake": "missing_upstream",
    },
    {
        "name": "tanh-backward-tanh-of-output",
        "cell": "tanh-backward",
        "source": _tanh("return (1.0 - np.tanh(out) ** 2) * upstream"),
        "fails": _both("tanh-backward") + _both("fan-out-flat"),
        "mistake": "output_for_input",
    },
    {
        "name": "tanh-backward-sign",
        "cell": "tanh-backward",
        "source": _tanh("return (out ** 2 - 1.0) * upstream"),
        "fails": _both("tanh-backward") + _both("fan-out-flat"),
        "mistake": "sign",
    },
    {
        "name": "tanh-backward-sigmoid-form",
        "cell": "tanh-backward",
        "source": _tanh("return out * (1.0 - out) * upstream"),
        "fails": _both("tanh-backward") + _both("fan-out-flat"),
        "mistake": "unknown",
    },
    {
        "name": "divide-backward-sign-error",
        "cell": "divide-backward",
        "source": _divide("upstream * x / y ** 2"),
        "fails": _both("divide-backward") + _both("fan-out-flat"),
        "mistake": "sign",
    },
    {
        "name": "divide-backward-no-square",
        "cell": "divide-backward",
        "source": _divide("-upstream * x / y"),
        "fails": _both("divide-backward") + _both("fan-out-flat"),
        "mistake": "unknown",
    },
    {
        "name": "divide-backward-dy-forgets-upstream",
        "cell": "divide-backward",
        "source": _divide("-x / y ** 2"),
        "fails": _both("divide-backward"),
        "mistake": "missing_upstream",
    },
    {
        "name": "power-backward-the-colleagues-rule",
        "cell": "power-backward",
        "source": _power("return power_backward_given(upstream, x, y)"),
        "fails": _both("power-backward"),
        "mistake": "unknown",
    },
    {
        "name": "power-backward-forgets-the-log",
        "cell": "power-backward",
        "source": _power("dx, _ = power_backward_given(upstream, x, y)\n"
                         "return dx, upstream * x ** y"),
        "fails": _both("power-backward"),
        "mistake": "unknown",
    },
    {
        "name": "power-backward-dy-forgets-upstream",
        "cell": "power-backward",
        "source": _power("dx, _ = power_backward_given(upstream, x, y)\n"
                         "return dx, x ** y * np.log(x)"),
        "fails": _both("power-backward"),
        "mistake": "missing_upstream",
    },
    # --- flat code -------------------------------------------------------------------------
    {
        "name": "sigmoid-neuron-sigmoid-grad-of-output",
        "cell": "sigmoid-neuron",
        "source": _neuron(grad_s3="sigmoid(L) * (1.0 - sigmoid(L)) * grad_L"),
        "fails": _both("sigmoid-neuron"),
        "mistake": "output_for_input",
    },
    {
        "name": "sigmoid-neuron-multiply-not-swapped",
        "cell": "sigmoid-neuron",
        "source": _neuron(swapped=True),
        "fails": _both("sigmoid-neuron"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "sigmoid-neuron-skips-sigmoid-gate",
        "cell": "sigmoid-neuron",
        "source": _neuron(grad_s3="grad_L"),
        "fails": _both("sigmoid-neuron"),
        "mistake": "unknown",
    },
    {
        "name": "fan-out-flat-overwrites-x",
        "cell": "fan-out-flat",
        "source": _fan_out(after_tanh="grad_x = tanh_backward(grad_t, t)"),
        "fails": _both("fan-out-flat"),
        "mistake": "not_accumulated",
    },
    {
        "name": "fan-out-flat-subtract-sign",
        "cell": "fan-out-flat",
        "source": _fan_out(grad_y="grad_d"),
        "fails": _both("fan-out-flat"),
        "mistake": "sign",
    },
    {
        "name": "fan-out-flat-square-once",
        "cell": "fan-out-flat",
        "source": _fan_out(grad_d="d * grad_d2"),
        "fails": _both("fan-out-flat"),
        "mistake": "not_accumulated",
    },
    {
        "name": "fan-out-flat-sigmoid-of-output",
        "cell": "fan-out-flat",
        "source": _fan_out(sigmoid_local="sigmoid(sy) * (1.0 - sigmoid(sy))"),
        "fails": _both("fan-out-flat"),
        "mistake": "output_for_input",
    },
]
