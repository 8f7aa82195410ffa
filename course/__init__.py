"""The course's reference autodiff engine.

Scalars: `Value` (micrograd-style gates). Arrays: `Tensor` (numpy-backed, PyTorch-style
`backward()`), `Function` (user-defined nodes), and JAX-style transforms over functions of numpy
arrays: `grad`, `value_and_grad`, `vjp`, `jvp`, `jacrev`, `jacfwd`, `hvp`.
Gradient checking lives in `course.gradcheck`.
"""

from course.tensor import Tensor  # first: the rest of the engine is built on it
from course import jvp_rules, vjp_rules  # noqa: F401  (registers the rules)
from course.function import Context, Function
from course.functional import (cross_entropy, exp, log, log_softmax, maximum, relu, sigmoid,
                               softmax, tanh)
from course.transforms import grad, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp
from course.value import Value

__all__ = [
    "Value", "Tensor", "Function", "Context",
    "grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "hvp",
    "maximum", "softmax", "log_softmax", "cross_entropy", "exp", "log", "tanh", "sigmoid", "relu",
]
