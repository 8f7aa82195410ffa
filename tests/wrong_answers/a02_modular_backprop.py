"""Wrong answers for 02-modular-backprop: mistakes in Function gates and in the engine's backward.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). See source/AUTHORING.md.
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
        "name": "multiply-function-not-swapped",
        "cell": "multiply-function",
        "source": _function("Multiply", "z = x * y, element by element.", "x, y",
                            "ctx.save_for_backward(x, y)\nreturn x * y",
                            "x, y = ctx.saved_tensors\nreturn grad_z * x, grad_z * y"),
        "fails": _both("multiply-function"),
        "mistake": "swapped_inputs",
    },
    {
        "name": "add-function-one-gradient",
        "cell": "add-function",
        "source": _function("Add", "z = x + y, element by element.", "x, y",
                            "return x + y", "return grad_z"),
        "fails": _both("add-function"),
        "mistake": "unknown",
    },
    {
        "name": "max-function-tie-goes-to-x",
        "cell": "max-function",
        "source": _function("Max", "z = max(x, y), element by element.", "x, y",
                            "ctx.save_for_backward(x, y)\nreturn np.maximum(x, y)",
                            "x, y = ctx.saved_tensors\n"
                            "return np.where(x >= y, grad_z, 0.0), np.where(x >= y, 0.0, grad_z)"),
        "fails": _both("max-function"),
        "mistake": "partial",
    },
    {
        "name": "max-function-forgets-upstream",
        "cell": "max-function",
        "source": _function("Max", "z = max(x, y), element by element.", "x, y",
                            "ctx.save_for_backward(x, y)\nreturn np.maximum(x, y)",
                            "x, y = ctx.saved_tensors\n"
                            "share = np.where(x > y, 1.0, np.where(x < y, 0.0, 0.5))\n"
                            "return share, 1.0 - share"),
        "fails": _both("max-function"),
        "mistake": "missing_upstream",
    },
    {
        "name": "sigmoid-function-sigmoid-of-output",
        "cell": "sigmoid-function",
        "source": _function("Sigmoid", "s = sigmoid(x); saves its output.", "x",
                            "s = sigmoid(x)\nctx.save_for_backward(s)\nreturn s",
                            "(s,) = ctx.saved_tensors\n"
                            "return sigmoid(s) * (1.0 - sigmoid(s)) * grad_s", grad="grad_s"),
        "fails": _both("sigmoid-function"),
        "mistake": "output_for_input",
    },
    {
        # Right gradients, but it saves the input and recomputes the sigmoid: only the visible
        # test, which checks what forward saves, fails.
        "name": "sigmoid-function-saves-input",
        "cell": "sigmoid-function",
        "source": _function("Sigmoid", "s = sigmoid(x).", "x",
                            "ctx.save_for_backward(x)\nreturn sigmoid(x)",
                            "(x,) = ctx.saved_tensors\n"
                            "s = sigmoid(x)\nreturn s * (1.0 - s) * grad_s", grad="grad_s"),
        "fails": ["test-sigmoid-function"],
        "mistake": "unknown",
    },
    {
        "name": "exp-function-sign-error",
        "cell": "exp-function",
        "source": _function("Exp", "e = exp(x), element by element.", "x",
                            "e = np.exp(x)\nctx.save_for_backward(e)\nreturn e",
                            "(e,) = ctx.saved_tensors\nreturn -e * grad_e", grad="grad_e"),
        "fails": _both("exp-function"),
        "mistake": "sign",
    },
    {
        "name": "square-function-missing-factor-two",
        "cell": "square-function",
        "source": _function("Square", "q = x ** 2, element by element.", "x",
                            "ctx.save_for_backward(x)\nreturn x * x",
                            "(x,) = ctx.saved_tensors\nreturn x * grad_q", grad="grad_q"),
        "fails": _both("square-function"),
        "mistake": "scale",
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
        "mistake": "unknown",
    },
]
