"""course/gate_rules.py: assignment 1's backward rules, which assignment 2's gates call."""

import numpy as np
import pytest

from course import gate_rules
from course.gradcheck import check_vjp, random_inputs

# rule name -> (the gate's forward pass, how the rule is called from the gate's inputs)
GATES = {
    "multiply_backward": (lambda x, y: x * y, lambda u, x, y: gate_rules.multiply_backward(u, x, y)),
    "divide_backward": (lambda x, y: x / y, lambda u, x, y: gate_rules.divide_backward(u, x, y)),
    "tanh_backward": (np.tanh, lambda u, x: gate_rules.tanh_backward(u, np.tanh(x))),
}


def test_every_rule_is_checked():
    assert set(GATES) == set(gate_rules.__all__)


@pytest.mark.parametrize("name", sorted(GATES))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_a_rule_agrees_with_finite_differences(name, shape):
    forward, rule = GATES[name]
    n_inputs = forward.__code__.co_argcount if hasattr(forward, "__code__") else 1
    inputs = random_inputs(*[shape] * n_inputs, seed=len(shape), margin=0.3)
    assert check_vjp(forward, rule, *inputs)
