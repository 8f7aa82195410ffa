"""Gate patterns: the add, multiply, max and copy gates side by side, and what each does with the
upstream gradient.

    add       z = x + y        distributes:  dL/dx = dL/dy = g
    multiply  z = x * y        swaps:        dL/dx = g * y,  dL/dy = g * x
    max       z = max(x, y)    routes:       the larger input gets g, the other 0 (a tie: g/2 each)
    copy      x -> (x, x)      adds up:      dL/dx = g1 + g2

The reference gradients come from the engine (`course.Value`). Student rules with the
signatures of assignment 1 (`add_backward(upstream, x, y)`, `multiply_backward`, `max_backward`,
`copy_backward(upstream_1, upstream_2)`) are checked against it on every edge.
"""

from dataclasses import dataclass, field

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from course.figures import FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR, NODE_FACE
from course.scalar_gates import GATES
from course.value import Value
from course.widgets import checking
from course.widgets.base import (Control, UpdatedModel, fmt, forward, gradient, mismatch,
                                 table, verdict_html)
from course.widgets.render import WidgetFigure

PANELS = ("add", "multiply", "max", "copy")
PATTERNS = {"add": "distributes", "multiply": "swaps", "max": "routes", "copy": "adds up"}
ARROW_COLOR = "#888888"


@dataclass
class Gate:
    """One gate's numbers: inputs, output, the upstream gradient(s), and the downstream
    gradients from the engine (`reference`) and from the student's rule (`student`)."""
    name: str
    inputs: tuple
    output: float
    upstream: tuple                  # one upstream gradient; two for the copy gate
    reference: tuple                 # one downstream gradient per input
    student: tuple | None = None
    error: str | None = None         # the student's rule failed
    problems: list = field(default_factory=list)

    def wrong(self, k):
        """Whether the student's gradient for input k disagrees with the engine's."""
        if self.error:
            return True
        return self.student is not None and not checking.agree(self.reference[k], self.student[k])


class GateModel(UpdatedModel):
    """Sliders: x, y (the inputs), g (the upstream gradient), g2 (the copy gate's second one).

    Student rules (optional): add_backward, multiply_backward, max_backward, copy_backward.
    """

    figure_summary = ("The four gates side by side (add, multiply, max, copy): each gate's "
                      "inputs, the upstream gradient arriving and the gradients it sends back.")

    def __init__(self, x=2.0, y=-1.5, g=1.5, g2=-0.5, *, add_backward=None,
                 multiply_backward=None, max_backward=None, copy_backward=None):
        self.controls = [Control("x", x, -4.0, 4.0, 0.1), Control("y", y, -4.0, 4.0, 0.1),
                         Control("g", g, -3.0, 3.0, 0.1, label="upstream g"),
                         Control("g2", g2, -3.0, 3.0, 0.1, label="g2 (copy)")]
        self.rules = {"add": add_backward, "multiply": multiply_backward, "max": max_backward,
                      "copy": copy_backward}
        super().__init__()

    @property
    def checking(self):
        return any(rule is not None for rule in self.rules.values())

    def update(self):
        x, y, g, g2 = (self.values[k] for k in ("x", "y", "g", "g2"))
        self.gates = {}
        for name, build in (("add", lambda a, b: a + b), ("multiply", lambda a, b: a * b),
                            ("max", lambda a, b: a.max(b))):
            a, b = Value(x), Value(y)
            z = build(a, b)
            z.backward()                       # dz/da, dz/db: the local gradients
            self.gates[name] = Gate(name, (x, y), z.data, (g,), (a.grad * g, b.grad * g))
        a = Value(x)
        loss = a * g + a * g2                  # x used twice: the engine adds up g + g2
        loss.backward()
        self.gates["copy"] = Gate("copy", (x,), x, (g, g2), (a.grad,))
        for name, gate in self.gates.items():
            if self.rules[name] is not None:
                self._check(gate, self.rules[name])

    def _check(self, gate, rule):
        try:
            if gate.name == "copy":
                gate.student = (checking.accumulate(rule, list(gate.upstream)),)
            else:
                gate.student, _ = checking.call_rule(gate.name, rule, gate.upstream[0],
                                                     list(gate.inputs), gate.output)
        except checking.RuleError as error:
            gate.error = str(error)
            gate.problems.append(f"{gate.name} gate: your rule failed: {error}")
            return
        names = ("x", "y")
        for k, (expected, got) in enumerate(zip(gate.reference, gate.student)):
            if checking.agree(expected, got):
                continue
            where = f"{gate.name} gate, dL/d{names[k]}"
            numerical = self._numerical(gate, k)
            if gate.name == "copy":      # x used twice: course.diagnose sees the fan-out
                gate.problems.append(checking.describe_copy(
                    expected, got, gate.upstream, gate.inputs[0], numerical=numerical,
                    where=where))
            else:
                gate.problems.append(checking.describe_mismatch(
                    expected, got, numerical=numerical, where=where,
                    upstream=gate.upstream[0], inputs=gate.inputs,
                    others=gate.student, f=GATES[gate.name].forward, input_index=k))

    def _numerical(self, gate, k):
        """dL/d(input k) by central differences, L = g * z (copy: g x + g2 x)."""
        h = checking.EPS

        def loss(inputs):
            if gate.name == "copy":
                return gate.upstream[0] * inputs[0] + gate.upstream[1] * inputs[0]
            return gate.upstream[0] * GATES[gate.name].forward(*inputs)

        plus, minus = list(gate.inputs), list(gate.inputs)
        plus[k] += h
        minus[k] -= h
        return (loss(plus) - loss(minus)) / (2 * h)

    @property
    def problems(self):
        return [p for gate in self.gates.values() for p in gate.problems]

    def patterns(self, student=False):
        """{gate: whether its (engine's, or the student's) gradients follow the gate's pattern}."""
        g, g2 = self.values["g"], self.values["g2"]
        x, y = self.values["x"], self.values["y"]
        result = {}
        for name, gate in self.gates.items():
            grads = gate.student if student else gate.reference
            if grads is None:
                result[name] = None
                continue
            if name == "add":
                expected = (g, g)
            elif name == "multiply":
                expected = (g * y, g * x)
            elif name == "max":
                expected = (g, 0.0) if x > y else (0.0, g) if x < y else (g / 2, g / 2)
            else:
                expected = (g + g2,)
            result[name] = all(checking.agree(e, v) for e, v in zip(expected, grads))
        return result

    # --- showing ----------------------------------------------------------------------------

    def new_figure(self):
        return GateFigure(self.checking)

    def readout_html(self):
        rows = []
        for name, gate in self.gates.items():
            ins = ", ".join(forward(fmt(v)) for v in gate.inputs)
            ups = ", ".join(gradient(fmt(u)) for u in gate.upstream)
            ref = ", ".join(gradient(fmt(r)) for r in gate.reference)
            row = [f"{name} ({PATTERNS[name]})", ins, ups, ref]
            if self.checking:
                if gate.student is None:
                    row.append(mismatch("failed") if gate.error else "–")
                else:
                    row.append(", ".join(mismatch(fmt(s)) if gate.wrong(k) else gradient(fmt(s))
                                         for k, s in enumerate(gate.student)))
            rows.append(row)
        header = ["gate", "inputs", "upstream", "engine downstream"]
        if self.checking:
            header.append("your rule")
        parts = [table(header, rows, classes="gradient-readout")]
        if self.checking:
            parts.append(verdict_html(self.problems,
                                      "Your rules agree with the engine on every edge."))
        return "".join(parts)


class GateFigure(WidgetFigure):
    """Four small panels; arrows and nodes drawn once, numbers drawn over them."""

    def __init__(self, checking_mode):
        super().__init__(10.5, 3.2)
        self.panels = {}
        for i, name in enumerate(PANELS):
            ax = self.figure.add_axes((0.005 + i * 0.25, 0.02, 0.24, 0.86))
            ax.set_xlim(-0.2, 4.2)
            ax.set_ylim(-1.75, 1.45)
            ax.axis("off")
            ax.set_title(f"{name}: {PATTERNS[name]}", fontsize=11)
            self.panels[name] = self._copy_panel(ax) if name == "copy" else \
                self._binary_panel(ax, GATES[name].symbol)
        if checking_mode:
            # A colour key, not a verdict: the readout says whether the rules agree.
            self.figure.text(0.5, 0.005, "■ magenta marks an edge where your rule disagrees "
                             "with the engine", color=MISMATCH_COLOR, ha="center", va="bottom",
                             fontsize=8)
        self.marked = None

    def _box(self, ax, x, y, text):
        ax.add_patch(FancyBboxPatch((x - 0.22, y - 0.17), 0.44, 0.34,
                                    boxstyle="round,pad=0.05", fc=NODE_FACE, ec="#555555"))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    def _arrow(self, ax, start, end):
        return ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10,
                                            color=ARROW_COLOR, lw=1.2))

    def _labels(self, ax, start, end, above=0.1):
        """Value (above) and gradient (below) labels at the middle of an edge; the student's
        number ("yours ...") on a line of its own under the gradient, where it cannot run into
        the gate to the right (tests/test_label_layout.py)."""
        xm, ym = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        value = self.overlay.label(ax, xm, ym + above, FORWARD_COLOR, 9, va="bottom")
        grad = self.overlay.label(ax, xm, ym - above, GRADIENT_COLOR, 9, va="top")
        grad.mine = self.overlay.label(ax, xm, ym - above - 0.2, MISMATCH_COLOR, 8, bold=True,
                                       va="top")
        return value, grad

    def _binary_panel(self, ax, symbol):
        self._box(ax, 0.3, 0.8, "x")
        self._box(ax, 0.3, -0.8, "y")
        ax.add_patch(Circle((2.1, 0.0), 0.3 if symbol == "max" else 0.22, fc=NODE_FACE,
                            ec="#555555", zorder=3))
        ax.text(2.1, 0.0, symbol, ha="center", va="center", fontsize=10 if symbol == "max" else 12,
                zorder=4)
        arrows = [self._arrow(ax, (0.6, 0.8), (1.8, 0.12)), self._arrow(ax, (0.6, -0.8),
                                                                         (1.8, -0.12))]
        self._arrow(ax, (2.4, 0.0), (4.1, 0.0))
        edges = [self._labels(ax, (0.6, 0.8), (1.8, 0.12)), self._labels(ax, (0.6, -0.8),
                                                                          (1.8, -0.12))]
        out = self._labels(ax, (2.4, 0.0), (4.1, 0.0))
        caption = self.overlay.label(ax, 2.0, -1.3, "#333333", 9, va="center")
        return {"arrows": arrows, "edges": edges, "out": [out], "caption": caption}

    def _copy_panel(self, ax):
        self._box(ax, 0.3, 0.0, "x")
        ax.add_patch(Circle((1.7, 0.0), 0.07, fc="#555555", ec="#555555", zorder=3))
        arrows = [self._arrow(ax, (0.6, 0.0), (1.62, 0.0))]
        self._arrow(ax, (1.75, 0.05), (4.0, 0.85))
        self._arrow(ax, (1.75, -0.05), (4.0, -0.85))
        edges = [self._labels(ax, (0.6, 0.0), (1.62, 0.0))]
        outs = [self._labels(ax, (1.75, 0.05), (4.0, 0.85)),
                self._labels(ax, (1.75, -0.05), (4.0, -0.85))]
        caption = self.overlay.label(ax, 2.0, -1.3, "#333333", 9, va="center")
        return {"arrows": arrows, "edges": edges, "out": outs, "caption": caption}

    def update(self, model):
        marked = []
        for name, gate in model.gates.items():
            panel = self.panels[name]
            for k, (value, grad) in enumerate(panel["edges"]):
                value.text = fmt(gate.inputs[k], 3)
                grad.text = fmt(gate.reference[k], 3)
                wrong = gate.wrong(k)
                grad.mine.text = ("failed" if gate.error else f"yours {fmt(gate.student[k], 3)}") \
                    if wrong else ""
                marked.append(wrong)
            for (value, grad), g in zip(panel["out"], gate.upstream):
                value.text = fmt(gate.output, 3)
                grad.text = fmt(g, 3)
            panel["caption"].text = _caption(name, gate)
        marked = tuple(marked)
        if marked != self.marked:
            arrows = [a for name in PANELS for a in self.panels[name]["arrows"]]
            for arrow, wrong in zip(arrows, marked):   # colour and a dashed line, not colour alone
                arrow.set_color(MISMATCH_COLOR if wrong else ARROW_COLOR)
                arrow.set_linestyle("--" if wrong else "-")
            self.marked = marked
            self.overlay.invalidate()


def _caption(name, gate):
    g = gate.upstream[0]
    if name == "add":
        return f"x and y both get g = {fmt(g, 3)}"
    if name == "multiply":
        x, y = gate.inputs
        return f"x gets g·y = {fmt(g * y, 3)}, y gets g·x = {fmt(g * x, 3)}"
    if name == "max":
        x, y = gate.inputs
        if x == y:
            return f"a tie: each gets g/2 = {fmt(g / 2, 3)}"
        return f"{'x' if x > y else 'y'} is larger: it gets g = {fmt(g, 3)}, the other 0"
    return f"x gets g1 + g2 = {fmt(gate.upstream[0] + gate.upstream[1], 3)}"
