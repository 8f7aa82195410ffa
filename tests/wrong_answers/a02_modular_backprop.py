"""Wrong answers for 02-modular-backprop: mistakes in Function gates and in the engine's backward.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md. An entry with no
`fails` (and no `mistake`) is a right answer in another style than the reference: it must keep
every point, since the tests grade correctness and leave style to the prose.
"""


def _indent(body, spaces):
    return "".join(" " * spaces + line + "\n" for line in body.strip("\n").splitlines())


def _function(name, doc, inputs, forward, backward, grad="grad_z"):
    """A Function class cell: `forward` and `backward` are the two method bodies."""
    return (f"class {name}(Function):\n"
            f'    """{doc}"""\n\n'
            f"    @staticmethod\n"
            f"    def forward(ctx, {inputs}):\n" + _indent(forward, 8) + "\n"
            f"    @staticmethod\n"
            f"    def backward(ctx, {grad}):\n" + _indent(backward, 8))


def _topological(body):
    return ("def topological_order(root):\n"
            '    """Every node that `root` depends on, each once, after its parents; root last."""\n'
            + _indent(body, 4))


def _backward(body):
    return ("def backward(root):\n"
            '    """Set node.grad = d root / d node on every node of root\'s graph."""\n'
            + _indent(body, 4))


_ITERATIVE_WITHOUT_VISITED = """
order = []
stack = [(root, False)]
while stack:
    node, parents_done = stack.pop()
    if parents_done:
        order.append(node)
        continue
    stack.append((node, True))
    for parent in node.parents:
        stack.append((parent, False))
return order
"""

_ITERATIVE = """
order, visited = [], set()
stack = [(root, False)]
while stack:
    node, parents_done = stack.pop()
    if parents_done:
        order.append(node)
        continue
    if node in visited:
        continue
    visited.add(node)
    stack.append((node, True))
    for parent in node.parents:
        stack.append((parent, False))
return order
"""

_EVERY_PATH = """
order, listed = [], set()
stack = [(root, False)]
while stack:
    node, parents_done = stack.pop()
    if parents_done:
        if node not in listed:
            listed.add(node)
            order.append(node)
        continue
    stack.append((node, True))
    for parent in node.parents:
        stack.append((parent, False))
return order
"""

_PRE_ORDER = """
order, visited = [], set()
stack = [root]
while stack:
    node = stack.pop()
    if node in visited:
        continue
    visited.add(node)
    order.append(node)
    stack.extend(node.parents)
return order[::-1]
"""

_RECURSIVE = """
order, visited = [], set()

def visit(node):
    if node in visited:
        return
    visited.add(node)
    for parent in node.parents:
        visit(parent)
    order.append(node)

visit(root)
return order
"""

_BACKWARD = """
order = topological_order(root)
{reset}
{seed}
for node in {walk}:
    for parent, local in zip(node.parents, node.local_grads):
        parent.grad {update} local * node.grad
"""


def _engine(reset="for node in order:\n    node.grad = 0.0", seed="root.grad = 1.0",
            walk="reversed(order)", update="+="):
    body = _BACKWARD.format(reset=reset, seed=seed, walk=walk, update=update)
    return _backward("\n".join(line for line in body.splitlines() if line.strip()))


def _both(exercise):
    return [f"test-{exercise}", f"test-{exercise}-hidden"]


WRONG_ANSWERS = [
    {
        "name": "tanh-function-tanh-of-output",
        "cell": "tanh-function",
        "source": _function("Tanh", "t = tanh(x), element by element.", "x",
                            "t = np.tanh(x)\nctx.save_for_backward(t)\nreturn t",
                            "(t,) = ctx.saved_tensors\nreturn tanh_backward(grad_t, np.tanh(t))",
                            grad="grad_t"),
        "fails": _both("tanh-function"),
        "mistake": "output_for_input",
    },
    {
        "name": "tanh-function-input-as-output",
        "cell": "tanh-function",
        "source": _function("Tanh", "t = tanh(x), element by element.", "x",
                            "ctx.save_for_backward(x)\nreturn np.tanh(x)",
                            "(x,) = ctx.saved_tensors\nreturn tanh_backward(grad_t, x)",
                            grad="grad_t"),
        "fails": _both("tanh-function"),
        "mistake": "output_for_input",
    },
    {
        "name": "tanh-function-forgets-upstream",
        "cell": "tanh-function",
        "source": _function("Tanh", "t = tanh(x), element by element.", "x",
                            "t = np.tanh(x)\nctx.save_for_backward(t)\nreturn t",
                            "(t,) = ctx.saved_tensors\nreturn tanh_backward(1.0, t)",
                            grad="grad_t"),
        "fails": _both("tanh-function"),
        "mistake": "missing_upstream",
    },
    {
        # Right, in another style: it saves the input and computes tanh again in backward.
        "name": "tanh-function-saves-its-input",
        "cell": "tanh-function",
        "source": _function("Tanh", "t = tanh(x), element by element.", "x",
                            "ctx.save_for_backward(x)\nreturn np.tanh(x)",
                            "(x,) = ctx.saved_tensors\nreturn tanh_backward(grad_t, np.tanh(x))",
                            grad="grad_t"),
        "fails": [],
        "mistake": None,
    },
    {
        "name": "divide-function-swapped-inputs",
        "cell": "divide-function",
        "source": _function("Divide", "d = x / y, element by element.", "x, y",
                            "ctx.save_for_backward(x, y)\nreturn x / y",
                            "x, y = ctx.saved_tensors\nreturn divide_backward(grad_d, y, x)",
                            grad="grad_d"),
        "fails": _both("divide-function"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "divide-function-gradients-in-the-wrong-order",
        "cell": "divide-function",
        "source": _function("Divide", "d = x / y, element by element.", "x, y",
                            "ctx.save_for_backward(x, y)\nreturn x / y",
                            "x, y = ctx.saved_tensors\ndx, dy = divide_backward(grad_d, x, y)\n"
                            "return dy, dx", grad="grad_d"),
        "fails": _both("divide-function"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "divide-function-one-gradient",
        "cell": "divide-function",
        "source": _function("Divide", "d = x / y, element by element.", "x, y",
                            "ctx.save_for_backward(x, y)\nreturn x / y",
                            "x, y = ctx.saved_tensors\nreturn divide_backward(grad_d, x, y)[0]",
                            grad="grad_d"),
        "fails": _both("divide-function"),
        "mistake": "unknown",
    },
    {
        "name": "sigmoid-log-loss-composed-forward",
        "cell": "sigmoid-log-loss",
        "source": _function("SigmoidLogLoss", "The log loss of sigmoid(q) against t.", "q, t",
                            "ctx.save_for_backward(q, t)\nh = sigmoid(q)\n"
                            "return -(t * np.log(h) + (1 - t) * np.log(1 - h))",
                            "q, t = ctx.saved_tensors\nreturn (sigmoid(q) - t) * grad_L, -q * grad_L",
                            grad="grad_L"),
        "fails": _both("sigmoid-log-loss"),
        "mistake": "nonfinite",
    },
    {
        "name": "sigmoid-log-loss-sign",
        "cell": "sigmoid-log-loss",
        "source": _function("SigmoidLogLoss", "The log loss of sigmoid(q) against t.", "q, t",
                            "ctx.save_for_backward(q, t)\nreturn np.logaddexp(0.0, q) - t * q",
                            "q, t = ctx.saved_tensors\nreturn (t - sigmoid(q)) * grad_L, -q * grad_L",
                            grad="grad_L"),
        "fails": _both("sigmoid-log-loss"),
        "mistake": "sign",
    },
    {
        "name": "sigmoid-log-loss-no-target-gradient",
        "cell": "sigmoid-log-loss",
        "source": _function("SigmoidLogLoss", "The log loss of sigmoid(q) against t.", "q, t",
                            "ctx.save_for_backward(q, t)\nreturn np.logaddexp(0.0, q) - t * q",
                            "q, t = ctx.saved_tensors\nreturn (sigmoid(q) - t) * grad_L, None",
                            grad="grad_L"),
        "fails": _both("sigmoid-log-loss"),
        "mistake": "zero",
    },
    {
        "name": "sigmoid-log-loss-forgets-upstream",
        "cell": "sigmoid-log-loss",
        "source": _function("SigmoidLogLoss", "The log loss of sigmoid(q) against t.", "q, t",
                            "ctx.save_for_backward(q, t)\nreturn np.logaddexp(0.0, q) - t * q",
                            "q, t = ctx.saved_tensors\nreturn sigmoid(q) - t, -q",
                            grad="grad_L"),
        "fails": _both("sigmoid-log-loss"),
        "mistake": "missing_upstream",
    },
    {
        "name": "topological-order-recursive",
        "cell": "topological-order",
        "source": _topological(_RECURSIVE),
        "fails": _both("topological-order") + ["test-backward-hidden"],
        "mistake": "unknown",
    },
    {
        "name": "topological-order-without-visited-set",
        "cell": "topological-order",
        "source": _topological(_ITERATIVE_WITHOUT_VISITED),
        "fails": _both("topological-order") + _both("backward"),
        "mistake": "unknown",
    },
    {
        "name": "topological-order-root-first",
        "cell": "topological-order",
        "source": _topological(_ITERATIVE.replace("return order", "return order[::-1]")),
        "fails": _both("topological-order") + _both("backward"),
        "mistake": "unknown",
    },
    {
        # right orders, but every path is walked: a node is expanded once per path to it
        "name": "topological-order-expands-every-path",
        "cell": "topological-order",
        "source": _topological(_EVERY_PATH),
        "fails": ["test-topological-order-hidden", "test-backward-hidden"],
        "mistake": "unknown",
    },
    {
        # a node is listed when it is first reached, before its parents (pre-order)
        "name": "topological-order-pre-order",
        "cell": "topological-order",
        "source": _topological(_PRE_ORDER),
        "fails": _both("topological-order") + _both("backward"),
        "mistake": "unknown",
    },
    {
        "name": "backward-overwrites-at-fan-out",
        "cell": "backward",
        "source": _engine(update="="),
        "fails": _both("backward"),
        "mistake": "not_accumulated",
    },
    {
        "name": "backward-forgets-the-seed",
        "cell": "backward",
        "source": _engine(seed=""),
        "fails": _both("backward"),
        "mistake": "zero",
    },
    {
        "name": "backward-forgets-to-reset",
        "cell": "backward",
        "source": _engine(reset=""),
        "fails": _both("backward"),
        "mistake": "unknown",
    },
    {
        "name": "backward-walks-forward-order",
        "cell": "backward",
        "source": _engine(walk="order"),
        "fails": _both("backward"),
        "mistake": "partial",
    },
]
