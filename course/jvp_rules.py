"""Forward-mode rules: for each primitive and argument, the Jacobian-vector product.

    defjvp(op, rule_for_arg0, rule_for_arg1, ...)      rule(t, ans, *args, **kwargs)

t is the tangent of one argument (its shape); a rule returns that argument's contribution to the
tangent of ans. The engine adds the contributions of all traced arguments and broadcasts them to
the output's shape. This is dual-number arithmetic: no finite differences, no reverse pass.
`deflinear` declares a map that is linear in its first argument: its JVP is the op itself.
"""

from course import ops
from course.ops import (add, broadcast_to, cross_entropy, divide, exp, getitem, log, log_softmax,
                        matmul, maximum, multiply, negative, power, relu, reshape, sigmoid,
                        softmax, stack, subtract, tanh, transpose, untake)
from course.tracing import shape_of
from course.vjp_rules import _max_share, lowered, max_share


def defjvp(op, *rules):
    """Register one forward rule per argument of `op` (None: not differentiable there)."""
    for argnum, rule in enumerate(rules):
        if rule is not None:
            op.jvps[argnum] = rule


def deflinear(op):
    """op(x, *rest) is linear in x, so its JVP applies op to the tangent: op(t, *rest)."""
    defjvp(op, lambda t, ans, x, *rest, **kwargs: op(t, *rest, **kwargs))


# --- element-wise ---------------------------------------------------------------------------
defjvp(add,      lambda t, ans, x, y: t,             lambda t, ans, x, y: t)
defjvp(subtract, lambda t, ans, x, y: t,             lambda t, ans, x, y: -t)
defjvp(multiply, lambda t, ans, x, y: t * y,         lambda t, ans, x, y: x * t)
defjvp(divide,   lambda t, ans, x, y: t / y,         lambda t, ans, x, y: -t * ans / y)
defjvp(power,    lambda t, ans, x, y: t * y * x ** lowered(y),
                 lambda t, ans, x, y: t * ans * log(x))
defjvp(exp,      lambda t, ans, x: t * ans)
defjvp(log,      lambda t, ans, x: t / x)
defjvp(tanh,     lambda t, ans, x: t * (1 - ans * ans))
defjvp(sigmoid,  lambda t, ans, x: t * ans * (1 - ans))
defjvp(relu,     lambda t, ans, x: t * (x > 0))
defjvp(maximum,  lambda t, ans, x, y: t * _max_share(x, y),
                 lambda t, ans, x, y: t * _max_share(y, x))
deflinear(negative)

# --- matmul: bilinear, so d(x @ w) = dx @ w + x @ dw ---------------------------------------
defjvp(matmul,   lambda t, ans, x, w: t @ w,         lambda t, ans, x, w: x @ t)

# --- reductions and shape: linear -------------------------------------------------------------
for _op in (ops.sum, ops.mean, reshape, transpose, broadcast_to, getitem, untake):
    deflinear(_op)
defjvp(ops.max, lambda t, ans, x, axis=None, keepdims=False:
       ops.sum(t * max_share(x, ans, axis, keepdims), axis=axis, keepdims=keepdims))
stack.jvp_argnum = lambda i, t, ans, *arrays: untake(t, i, shape_of(ans))

# --- neural-network functions -----------------------------------------------------------------
defjvp(softmax,       lambda t, ans, x, axis=-1: ans * (t - ops.sum(t * ans, axis=axis, keepdims=True)))
defjvp(log_softmax,   lambda t, ans, x, axis=-1: t - ops.sum(exp(ans) * t, axis=axis, keepdims=True))
defjvp(cross_entropy, lambda t, ans, logits, labels:
       ops.sum((softmax(logits) - ops.one_hot(labels, shape_of(logits)[-1])) * t) / len(labels))

