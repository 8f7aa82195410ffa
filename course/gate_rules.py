"""The scalar gates' backward rules that assignment 1 derives, for assignment 2 to build on.

Each rule has the signature of its exercise in assignment 1: `rule(upstream, *saved)` returns
dL/d(input) for each input of the gate (a tuple when there are several), element by element, of
upstream's shape. A rule reads the gate's inputs (`x`, `y`) or its output (`out`), whichever its
local gradient is written with. Assignment 2's `Function` gates call these instead of deriving
the same rules again.
"""


def multiply_backward(upstream, x, y):      # z = x * y: swaps
    return y * upstream, x * upstream


def divide_backward(upstream, x, y):        # d = x / y
    return upstream / y, -upstream * x / (y * y)


def tanh_backward(upstream, out):           # t = tanh(x), from the output t
    return (1.0 - out * out) * upstream


__all__ = ["multiply_backward", "divide_backward", "tanh_backward"]
