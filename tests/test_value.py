"""The scalar engine: every `Value` gate against finite differences, the lecture's sigmoid
neuron against the hand derivation, graph structure, deep graphs, and backward() semantics.
"""

import gc
import math
import sys

import pytest

import course
from course import Value

EPS = 1e-6


def numerical_partials(fn, inputs):
    """d fn / d input_i by central differences, evaluating fn on fresh Values."""
    partials = []
    for i in range(len(inputs)):
        plus, minus = list(inputs), list(inputs)
        plus[i] += EPS
        minus[i] -= EPS
        partials.append((fn(*map(Value, plus)).data - fn(*map(Value, minus)).data) / (2 * EPS))
    return partials


def assert_close(got, expected, what, rtol=1e-7):
    assert abs(got - expected) <= rtol * max(1.0, abs(expected)), (
        f"{what}: got {got!r}, expected {expected!r}")


GATES = [
    ("a + b", lambda a, b: a + b, (1.5, -0.5)),
    ("a + number", lambda a, b: a + 2.0 + 0 * b, (1.5, -0.5)),
    ("number + a", lambda a, b: 2 + a + b, (1.5, -0.5)),
    ("a - b", lambda a, b: a - b, (1.5, -0.5)),
    ("number - a", lambda a, b: 3 - a + b, (1.5, -0.5)),
    ("a * b", lambda a, b: a * b, (1.5, -0.5)),
    ("number * a", lambda a, b: 3 * a * b, (1.5, -0.5)),
    ("a / b", lambda a, b: a / b, (1.5, -0.5)),
    ("number / a", lambda a, b: 2 / a + b, (1.5, -0.5)),
    ("a ** 3", lambda a, b: a ** 3 + b, (-1.5, 0.5)),
    ("a ** 2.5", lambda a, b: a ** 2.5 + b, (1.5, 0.5)),
    ("a ** -1", lambda a, b: a ** -1 + b, (-1.5, 0.5)),
    ("a ** b", lambda a, b: a ** b, (1.5, -0.7)),
    ("number ** a", lambda a, b: 2 ** a * b, (1.5, -0.7)),
    ("-a", lambda a, b: -a * b, (1.5, -0.7)),
    ("exp", lambda a, b: a.exp() * b, (0.3, -0.7)),
    ("log", lambda a, b: a.log() * b, (0.3, -0.7)),
    ("tanh", lambda a, b: a.tanh() * b, (0.3, -0.7)),
    ("sigmoid", lambda a, b: a.sigmoid() * b, (0.3, -0.7)),
    ("sigmoid of a large negative", lambda a, b: a.sigmoid() * b, (-30.0, 2.0)),
    ("relu positive", lambda a, b: a.relu() * b, (0.3, -0.7)),
    ("relu negative", lambda a, b: a.relu() + b, (-0.3, -0.7)),
    ("max a wins", lambda a, b: a.max(b), (0.3, -0.7)),
    ("max b wins", lambda a, b: a.max(b), (-0.3, 0.7)),
    ("max with a number", lambda a, b: a.max(0.1) * b, (-0.3, 0.7)),
    ("course.* on Values", lambda a, b: course.tanh(course.exp(a)) + course.maximum(b, 0.0)
     + course.sigmoid(a) * course.log(b) + course.relu(a * b), (0.3, 0.7)),
]


@pytest.mark.parametrize("name, fn, inputs", GATES, ids=[g[0] for g in GATES])
def test_gate_matches_finite_differences(name, fn, inputs):
    a, b = Value(inputs[0]), Value(inputs[1])
    out = fn(a, b)
    assert isinstance(out, Value)
    out.backward()
    da, db = numerical_partials(fn, inputs)
    assert_close(a.grad, da, f"{name}: d/da")
    assert_close(b.grad, db, f"{name}: d/db")


def test_forward_values_of_the_gates():
    a, b = Value(2.0), Value(-0.5)
    assert (a + b).data == 1.5 and (a - b).data == 2.5 and (a * b).data == -1.0
    assert (a / b).data == -4.0 and (a ** 3).data == 8.0 and (2 ** a).data == 4.0
    assert (a ** Value(3.0)).data == 8.0 and (-a).data == -2.0 and (3 - a).data == 1.0
    assert (1 / a).data == 0.5 and a.max(b).data == 2.0 and b.relu().data == 0.0
    assert a.sigmoid().data == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-15)
    assert Value(-800.0).sigmoid().data == 0.0 and Value(800.0).sigmoid().data == 1.0


def test_max_gate_splits_a_tie():
    a, b = Value(1.5), Value(1.5)
    (a.max(b) * 3).backward()
    assert (a.grad, b.grad) == (1.5, 1.5)   # tie -> 1/2 each


def test_relu_at_exactly_zero_has_gradient_zero():
    a = Value(0.0)
    a.relu().backward()
    assert a.grad == 0.0


def test_power_with_a_value_exponent_at_the_edges():
    a, b = Value(0.0), Value(2.0)
    (a ** b).backward()
    assert a.grad == 0.0 and b.grad == 0.0           # d(a**b)/db = a**b log a -> 0 as a -> 0
    a, b = Value(-2.0), Value(3.0)
    (a ** b).backward()
    assert a.grad == 12.0 and math.isnan(b.grad)     # log of a negative base: undefined


@pytest.mark.parametrize("n, value", [(0, 1.0), (0.5, 0.0)])
def test_power_of_zero_computes_its_forward_value(n, value):
    assert (Value(0.0) ** n).data == value


def test_sigmoid_neuron_against_the_hand_derivation():
    """The lecture's neuron f = sigma(w0 x0 + w1 x1 + w2): df/dz = sigma (1 - sigma), then the
    multiply gates swap their inputs and the add gates distribute."""
    w0, x0, w1, x1, w2 = (Value(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    z = w0 * x0 + w1 * x1 + w2
    f = z.sigmoid()
    f.backward()
    s = 1 / (1 + math.exp(-1.0))             # z = -2 + 6 - 3 = 1
    assert f.data == pytest.approx(s, rel=1e-15)
    local = s * (1 - s)                       # about 0.197
    assert w0.grad == pytest.approx(x0.data * local, rel=1e-14)
    assert x0.grad == pytest.approx(w0.data * local, rel=1e-14)
    assert w1.grad == pytest.approx(x1.data * local, rel=1e-14)
    assert x1.grad == pytest.approx(w1.data * local, rel=1e-14)
    assert w2.grad == pytest.approx(local, rel=1e-14)
    assert z.grad == pytest.approx(local, rel=1e-14)
    # The same neuron with sigma written as gates, 1 / (1 + exp(-z)): the same gradients.
    grads = [v.grad for v in (w0, x0, w1, x1, w2)]
    g = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    g.backward()
    for got, expected in zip((w0.grad, x0.grad, w1.grad, x1.grad, w2.grad), grads):
        assert got == pytest.approx(expected, rel=1e-12)


# --- graph structure --------------------------------------------------------------------------

def test_fan_out_adds_the_gradients():
    x = Value(3.0)
    (x * x + x).backward()
    assert x.grad == 7.0                      # 2x + 1


def test_diamond_and_intermediate_gradients():
    a = Value(0.5)
    b, c = a.exp(), a * 3
    d = b * c
    d.backward()
    assert b.grad == pytest.approx(c.data) and c.grad == pytest.approx(b.data)
    assert a.grad == pytest.approx(math.exp(0.5) * 1.5 + math.exp(0.5) * 3, rel=1e-14)


def test_shared_subexpression():
    x, y = Value(1.5), Value(-2.0)
    s = x * y
    (s * s + s.tanh()).backward()
    ds = 2 * s.data + (1 - math.tanh(s.data) ** 2)
    assert x.grad == pytest.approx(ds * y.data, rel=1e-14)
    assert y.grad == pytest.approx(ds * x.data, rel=1e-14)


def test_the_same_value_on_both_sides_of_a_gate():
    x = Value(3.0)
    (x / x).backward()
    assert abs(x.grad) < 1e-15
    y = Value(2.0)
    (y - y + y * y).backward()
    assert y.grad == 4.0


def test_a_chain_of_a_million_gates_does_not_hit_the_recursion_limit():
    limit = sys.getrecursionlimit()
    gc.disable()   # the cyclic collector would rescan the million new nodes many times over
    try:
        a, step = Value(0.5), Value(1e-6)
        v = a
        for _ in range(1_000_000):
            v = v + step
        v.backward()
    finally:
        gc.enable()
    assert a.grad == 1.0 and step.grad == 1_000_000.0
    assert sys.getrecursionlimit() == limit


# --- backward() semantics ---------------------------------------------------------------------

def test_second_backward_gives_the_same_gradients():
    """backward() resets every .grad in the graph, then fills it in: it never accumulates."""
    a = Value(2.0)
    b = a * a
    c = b + b
    c.backward()
    first = (a.grad, b.grad, c.grad)
    c.backward()
    assert (a.grad, b.grad, c.grad) == first == (8.0, 2.0, 1.0)


def test_backward_of_another_output_overwrites():
    x = Value(2.0)
    (x * 3).backward()
    (x * x).backward()
    assert x.grad == 4.0


def test_grad_starts_at_zero():
    v = Value(1.0)
    assert v.grad == 0.0 and isinstance(v.data, float)
