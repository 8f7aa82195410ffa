"""Wrong answers for 01-computational-graphs: the mistakes students make with gates.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md.
"""


def _gate(signature, doc, body):
    """A solution cell: `def signature:` with its docstring and `body` (indented 4)."""
    lines = body.strip("\n").splitlines()
    return f'def {signature}:\n    """{doc}"""\n' + "".join(f"    {line}\n" for line in lines)


def _add(body):
    return _gate("add_backward(upstream, x, y)", "Backward pass of the add gate z = x + y.", body)


def _multiply(body):
    return _gate("multiply_backward(upstream, x, y)",
                 "Backward pass of the multiply gate z = x * y.", body)


def _copy(body):
    return _gate("copy_backward(upstream_1, upstream_2)",
                 "Backward pass of the copy gate x -> (x, x).", body)


def _max(body):
    return _gate("max_backward(upstream, x, y)",
                 "Backward pass of the max gate z = max(x, y), element by element.", body)


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


def _both(exercise):
    return [f"test-{exercise}", f"test-{exercise}-hidden"]


WRONG_ANSWERS = [
    {
        "name": "add-backward-forgets-upstream",
        "cell": "add-backward",
        "source": _add("return 1.0, 1.0"),
        "fails": _both("add-backward"),
        "mistake": "missing_upstream",
    },
    {
        "name": "multiply-backward-not-swapped",
        "cell": "multiply-backward",
        "source": _multiply("return upstream * x, upstream * y"),
        "fails": _both("multiply-backward"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "copy-backward-overwrites",
        "cell": "copy-backward",
        "source": _copy("dx = upstream_1\ndx = upstream_2\nreturn dx"),
        "fails": _both("copy-backward"),
        "mistake": "not_accumulated",
    },
    {
        "name": "copy-backward-averages",
        "cell": "copy-backward",
        "source": _copy("return (upstream_1 + upstream_2) / 2"),
        "fails": _both("copy-backward"),
        "mistake": "scale",
    },
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
        "name": "max-backward-python-if-on-arrays",
        "cell": "max-backward",
        "source": _max("if x > y:\n    return upstream, 0.0\n"
                       "if x < y:\n    return 0.0, upstream\n"
                       "return upstream / 2, upstream / 2"),
        "fails": _both("max-backward"),
        "mistake": "unknown",
    },
    {
        "name": "sigmoid-backward-sigmoid-of-output",
        "cell": "sigmoid-backward",
        "source": _gate("sigmoid_backward(upstream, out)",
                        "Backward pass of s = sigmoid(x), from the gate's OUTPUT out = s.",
                        "s = sigmoid(out)\nreturn s * (1.0 - s) * upstream"),
        "fails": _both("sigmoid-backward"),
        "mistake": "output_for_input",
    },
    {
        "name": "relu-backward-one-at-zero",
        "cell": "relu-backward",
        "source": _gate("relu_backward(upstream, x)",
                        "Backward pass of r = max(0, x), from the gate's INPUT x.",
                        "return np.where(x >= 0, upstream, 0.0)"),
        "fails": _both("relu-backward"),
        "mistake": "partial",
    },
    {
        "name": "exp-backward-exp-of-output",
        "cell": "exp-backward",
        "source": _gate("exp_backward(upstream, out)",
                        "Backward pass of e = exp(x), from the gate's OUTPUT out = exp(x).",
                        "return np.exp(out) * upstream"),
        "fails": _both("exp-backward"),
        "mistake": "output_for_input",
    },
    {
        "name": "log-backward-forgets-upstream",
        "cell": "log-backward",
        "source": _gate("log_backward(upstream, x)",
                        "Backward pass of l = log(x), from the gate's INPUT x.",
                        "return 1.0 / x"),
        "fails": _both("log-backward"),
        "mistake": "missing_upstream",
    },
    {
        "name": "tanh-backward-tanh-of-output",
        "cell": "tanh-backward",
        "source": _gate("tanh_backward(upstream, out)",
                        "Backward pass of t = tanh(x), from the gate's OUTPUT out = tanh(x).",
                        "return (1.0 - np.tanh(out) ** 2) * upstream"),
        "fails": _both("tanh-backward"),
        "mistake": "output_for_input",
    },
    {
        "name": "pow-backward-exponent-not-lowered",
        "cell": "pow-backward",
        "source": _gate("pow_backward(upstream, x, n)",
                        "Backward pass of p = x ** n for a constant exponent n.",
                        "return n * x ** n * upstream"),
        "fails": _both("pow-backward"),
        "mistake": "unknown",
    },
    {
        "name": "divide-backward-sign-error",
        "cell": "divide-backward",
        "source": _gate("divide_backward(upstream, x, y)", "Backward pass of d = x / y.",
                        "dx = upstream / y\ndy = upstream * x / y ** 2\nreturn dx, dy"),
        "fails": _both("divide-backward"),
        "mistake": "sign",
    },
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
]
