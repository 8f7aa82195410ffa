"""The scalar gates of `course.Value`, one line each: how a gate computes and its local rule.

    defgate(name, symbol, reads, forward, local)
    deflinear(name, symbol, forward, constant)

forward(*inputs) -> the output, on floats. local(ans, *inputs) -> the local gradients, one per
input: d ans / d input, where ans = forward(*inputs). It is vjp_rules' rule(g, ans, *inputs)
without the upstream gradient g: the engine computes it in the forward pass, stores it on the
node, and multiplies the upstream gradient in on the way back (downstream = local * upstream).
A linear gate (add, subtract, neg) has the same local gradients at every input: `constant`
(HIPS autograd's deflinear); its local rule returns them.

reads: what the rule is written with, "input" (x, y) or "output" (ans, as sigma' = ans (1 - ans)).
A student's `<name>_backward` is given the same: `(upstream, x, y)` or `(upstream, out)`.
symbol: how figures draw the gate. name: what the gate's node stores as `Value.op`.

One gate has a parameter: pow, x ** n for a constant n. Its forward and local take n after x,
and its node stores n as data, `Value.exponent` (None on every other node). x ** y for a Value y
is the two-input gate power.
"""

import math
from dataclasses import dataclass
from operator import add, mul, neg, sub, truediv
from typing import Callable

READS = ("input", "output")


@dataclass(frozen=True)
class ScalarGate:
    """One line of the table (see the module doc)."""
    name: str
    symbol: str
    reads: str
    forward: Callable
    local: Callable
    constant: tuple | None = None    # a linear gate's local gradients, the same at every input


GATES = {}   # name -> ScalarGate, in the order of the table


def defgate(name, symbol, reads, forward, local):
    """Add a gate to GATES."""
    if reads not in READS:
        raise ValueError(f"{name}: reads must be one of {READS}, not {reads!r}")
    GATES[name] = ScalarGate(name, symbol, reads, forward, local)


def deflinear(name, symbol, forward, constant):
    """Add a linear gate to GATES: its local gradients are `constant` at every input."""
    GATES[name] = ScalarGate(name, symbol, "input", forward, lambda ans, *inputs: constant,
                             constant)


def sigmoid(x):
    """1 / (1 + exp(-x)) of a float, in two branches so that exp never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def relu(x):
    return max(x, 0.0)


def power(x, y):
    """x ** y of floats, real or an error (Python gives a complex number for (-8.0) ** (1/3))."""
    out = x ** y
    if isinstance(out, complex):
        raise ValueError(f"{x:g} ** {y:g} is not a real number (a negative base needs an "
                         f"integer exponent)")
    return out


def power_slope(x, n):
    """d(x**n)/dx = n * x**(n-1); 0 for n == 0, and +inf at x == 0 when 0 < n < 1."""
    if n == 0:
        return 0.0
    if x == 0 and n < 1:
        return math.inf
    return n * x ** (n - 1)


def exponent_slope(x, y):
    """d(x**y)/dy = x**y * log(x): defined for x > 0; at x == 0 the limit is 0."""
    return x ** y * math.log(x) if x > 0 else (0.0 if x == 0 else math.nan)


def max_share(x, y):
    """1 to the larger input, 0 to the other, 1/2 each on a tie."""
    return (1.0, 0.0) if x > y else (0.0, 1.0) if x < y else (0.5, 0.5)


#          name        symbol  forward  constant local gradients
deflinear("add",      "+",    add,     (1.0, 1.0))                                 # distributes
deflinear("subtract", "−",    sub,     (1.0, -1.0))
deflinear("neg",      "−x",   neg,     (-1.0,))

#        name        symbol  reads     forward    local(ans, *inputs)
defgate("multiply", "×",    "input",  mul,       lambda ans, x, y: (y, x))           # swaps
defgate("divide",   "÷",    "input",  truediv,   lambda ans, x, y: (1.0 / y, -x / (y * y)))
defgate("power",    "pow",  "input",  power,     lambda ans, x, y: (power_slope(x, y),
                                                                     exponent_slope(x, y)))
defgate("pow",      "**",   "input",  power,     lambda ans, x, n: (power_slope(x, n),))  # n fixed
defgate("exp",      "exp",  "output", math.exp,  lambda ans, x: (ans,))
defgate("log",      "log",  "input",  math.log,  lambda ans, x: (1.0 / x,))
defgate("tanh",     "tanh", "output", math.tanh, lambda ans, x: (1.0 - ans * ans,))
defgate("sigmoid",  "σ",    "output", sigmoid,   lambda ans, x: (ans * (1.0 - ans),))
defgate("relu",     "ReLU", "input",  relu,      lambda ans, x: (1.0 if x > 0 else 0.0,))  # 0 at 0
defgate("max",      "max",  "input",  max,       lambda ans, x, y: max_share(x, y))  # routes


# --- reading a node of the graph --------------------------------------------------------------

def gate_of(node):
    """The ScalarGate that made `node` (a Value), or None: a leaf, or an op not in the table."""
    return GATES.get(node.op) if node._parents else None


def parameters(node):
    """What the node's gate takes after its inputs: (n,) for pow, () for the others."""
    return () if node.exponent is None else (node.exponent,)


def forward_of(node):
    """The node's forward as a function of its parents' values (pow: n bound), or None when
    `gate_of(node)` is None."""
    gate = gate_of(node)
    if gate is None:
        return None
    extra = parameters(node)
    return lambda *inputs: gate.forward(*inputs, *extra)


def local_gradients(gate, *inputs):
    """The gate's local gradients at these inputs (pow: x, n): local(forward(*inputs), *inputs)."""
    return gate.local(gate.forward(*inputs), *inputs)


def symbol_of(node):
    """How figures draw the gate that made `node`: its symbol, pow's with the exponent ("**2");
    for an op not in the table, the op itself."""
    gate = gate_of(node)
    if gate is None:
        return node.op
    return gate.symbol + "".join(f"{n:g}" for n in parameters(node))
