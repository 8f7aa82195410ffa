"""The table of scalar gates (course/scalar_gates.py): every line's local rule against finite
differences of its forward, `reads` against what the rule really reads, and the nodes the engine
builds from it. A gate added to the table without a case here fails the first test.
"""

import math

import pytest

from course import Value
from course.figures import node_label
from course.scalar_gates import GATES, defgate, forward_of, gate_of, local_gradients, symbol_of

EPS = 1e-6

# name -> (the gate on Values, the forward's arguments at which to check it: inputs, then pow's n)
CASES = {
    "add": (lambda x, y: x + y, [(1.5, -0.5)]),
    "subtract": (lambda x, y: x - y, [(1.5, -0.5)]),
    "neg": (lambda x: -x, [(0.7,)]),
    "multiply": (lambda x, y: x * y, [(1.5, -0.5)]),
    "divide": (lambda x, y: x / y, [(1.5, -0.5)]),
    "power": (lambda x, y: x ** y, [(1.5, -0.7), (0.4, 2.0)]),
    "pow": (lambda x, n: x ** n, [(-1.5, 3.0), (1.5, 2.5), (-1.5, -1.0)]),
    "exp": (lambda x: x.exp(), [(0.3,), (-2.0,)]),
    "log": (lambda x: x.log(), [(0.3,), (4.0,)]),
    "tanh": (lambda x: x.tanh(), [(0.3,), (-1.2,)]),
    "sigmoid": (lambda x: x.sigmoid(), [(0.3,), (-30.0,)]),
    "relu": (lambda x: x.relu(), [(0.3,), (-0.3,)]),
    "max": (lambda x, y: x.max(y), [(0.3, -0.7), (-0.3, 0.7)]),
}


def test_every_gate_of_the_table_has_a_case_here():
    assert set(CASES) == set(GATES)


def _arity(name, args):
    return len(args) - (name == "pow")          # pow's last argument is n, not an input


def numerical_partials(forward, args, arity):
    partials = []
    for i in range(arity):
        plus, minus = list(args), list(args)
        plus[i] += EPS
        minus[i] -= EPS
        partials.append((forward(*plus) - forward(*minus)) / (2 * EPS))
    return partials


@pytest.mark.parametrize("name, args", [(n, a) for n, (_, points) in CASES.items()
                                        for a in points])
def test_local_rule_matches_finite_differences_of_forward(name, args):
    gate = GATES[name]
    local = local_gradients(gate, *args)
    expected = numerical_partials(gate.forward, args, _arity(name, args))
    assert len(local) == len(expected), f"{name}: one local gradient per input"
    for k, (got, want) in enumerate(zip(local, expected)):
        assert got == pytest.approx(want, rel=1e-6, abs=1e-9), f"{name}: d/d input {k}"


@pytest.mark.parametrize("name", list(GATES))
def test_reads_says_what_the_rule_reads(name):
    """A rule that reads the output gives the same with the inputs replaced by NaN; one that
    reads the inputs gives the same with the output replaced by NaN."""
    gate = GATES[name]
    _, points = CASES[name]
    for args in points:
        ans = gate.forward(*args)
        arity = _arity(name, args)
        right = gate.local(ans, *args)
        if gate.reads == "output":
            blinded = gate.local(ans, *([math.nan] * arity), *args[arity:])
        else:
            blinded = gate.local(math.nan, *args)
        assert blinded == right, f"{name} reads its {gate.reads} only"


def test_linear_gates_have_constant_local_gradients():
    linear = {name: gate.constant for name, gate in GATES.items() if gate.constant is not None}
    assert linear == {"add": (1.0, 1.0), "subtract": (1.0, -1.0), "neg": (-1.0,)}
    for name, constant in linear.items():
        assert GATES[name].local(0.0, *([2.0] * len(constant))) == constant


@pytest.mark.parametrize("name, args", [(n, a) for n, (_, points) in CASES.items()
                                        for a in points])
def test_the_engine_builds_each_node_from_the_table(name, args):
    build, _ = CASES[name]
    gate = GATES[name]
    arity = _arity(name, args)
    inputs = [Value(a) for a in args[:arity]]
    out = build(*inputs, *args[arity:])
    assert out.op == name and gate_of(out) is gate
    assert out._parents == tuple(inputs)
    assert out.data == gate.forward(*args)
    assert out._local_grads == local_gradients(gate, *args)
    assert forward_of(out)(*args[:arity]) == out.data
    assert out.exponent == (args[-1] if name == "pow" else None)


def test_pow_stores_its_exponent_on_the_node():
    x = Value(1.5, label="x")
    y = x ** 2
    assert (y.op, y.exponent, y._parents) == ("pow", 2.0, (x,))
    assert symbol_of(y) == node_label(y) == "**2"
    z = x ** Value(2.0)
    assert (z.op, z.exponent, len(z._parents)) == ("power", None, 2)
    assert node_label(x) == "x" and gate_of(x) is None and forward_of(x) is None
    w = Value(3.0)
    out = w * y + y.max(w) - y / w     # the pow node as the second operand stays in the graph
    out.backward()
    assert x.grad == pytest.approx(2 * 1.5 * (3.0 - 1 / 3.0), rel=1e-14)


def test_figures_draw_the_table_symbols():
    a, b = Value(2.0), Value(-1.0)
    assert [node_label(n) for n in (a * b, a / b, a - b, -a, a.sigmoid(), a.relu())] == \
        ["×", "÷", "−", "−x", "σ", "ReLU"]


@pytest.mark.parametrize("exponent", [0.5, Value(0.5)], ids=["number", "Value"])
def test_a_negative_base_to_a_fractional_power_is_refused_clearly(exponent):
    with pytest.raises(ValueError, match="not a real number"):
        Value(-2.0) ** exponent


def test_a_gate_must_say_what_its_rule_reads():
    with pytest.raises(ValueError, match="reads must be one of"):
        defgate("cube", "³", "both", lambda x: x ** 3, lambda ans, x: (3 * x * x,))
    assert "cube" not in GATES
