"""Graph explorer: the computational graph of a scalar expression, with its forward values and
gradients on every edge, recomputed whenever an input changes.

    model = GraphModel(lambda a, b: (a * b).tanh(), a=0.5, b=-2.0)
    model.set(a=1.0)             # fresh Values, forward, backward()
    model.gradients              # {"a": ..., "b": ...}: what the engine says
    model.edges                  # one Edge per arrow: value, gradient (and checks, see below)
    model.png()                  # the figure

The expression is a Python function of named scalar inputs that uses `course.Value` operations.
With `rules={"sigmoid": sigmoid_backward, ...}` (see `course.widgets.checking` for the
signatures) the model also runs the student's rules: on every edge of a gate with a student rule
it compares the student's downstream gradient (given the engine's upstream gradient, so that a
mistake shows where it is made) with the engine's and with finite differences, and marks the
edges that disagree. `student_gradients` are the input gradients the student's rules give when
they run the whole backward pass (where a mistake spreads to).
"""

import inspect
from dataclasses import dataclass, field

from matplotlib.patches import FancyArrowPatch

from course.figures import (FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR, draw_node, edge_bends,
                            edge_ends, edge_label_point, graph_alt, graph_positions, legend_keys,
                            node_label)
from course.scalar_gates import forward_of, gate_of, parameters
from course.value import Value, topological_order
from course.widgets import checking
from course.widgets.base import (Control, UpdatedModel, fmt, forward, gradient, mismatch, table,
                                 verdict_html)
from course.widgets.render import WidgetFigure


def sigmoid_neuron(w0, x0, w1, x1, w2):
    """The lecture's neuron: sigma(w0 x0 + w1 x1 + w2)."""
    return (w0 * x0 + w1 * x1 + w2).sigmoid()


NEURON_INPUTS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
SLIDER_RANGE = (-4.0, 4.0)
ARROW_COLOR = "#888888"


@dataclass
class Edge:
    """One arrow of the graph: the value `parent` sends into input `k` of `child` (node indices
    in topological order), and the gradient flowing back along it."""
    parent: int
    child: int
    k: int
    value: float                 # forward: the parent's value
    local: float                 # d child / d parent
    grad: float                  # d output / d child * local: the engine's
    student: float | None = None     # the student's rule, given the engine's upstream gradient
    numerical: float | None = None   # finite differences through the whole graph
    problems: list = field(default_factory=list)   # descriptions where the student's disagrees
    mark: str = ""                   # short text drawn on the edge in MISMATCH_COLOR


class GraphModel(UpdatedModel):
    """fn(**inputs) -> Value; inputs: start values by name (default: fn's defaults, else 1.0).

    rules: {gate: student rule} (names as in `checking.RULE_NAMES`, e.g. "sigmoid", "multiply",
    "copy"; also "*", "sigmoid_backward", a `course.Function` subclass as the rule).
    ranges: {name: (min, max)} for the sliders (default -4..4, widened to hold the start value).
    """

    def __init__(self, fn=None, *, rules=None, ranges=None, title=None, **inputs):
        if fn is None:
            fn, inputs = sigmoid_neuron, {**NEURON_INPUTS, **inputs}
        self.fn = fn
        self.title = title
        self.rules = checking.normalise_rules(rules)
        names = _parameter_names(fn)
        unknown = set(inputs) - set(names)
        if unknown:
            raise TypeError(f"the expression has no input named {', '.join(sorted(unknown))}; "
                            f"its inputs are {', '.join(names)}")
        defaults = _parameter_defaults(fn)
        ranges = ranges or {}
        self.controls = []
        for name in names:
            value = float(inputs.get(name, defaults.get(name, 1.0)))
            low, high = ranges.get(name, SLIDER_RANGE)
            low, high = min(low, value), max(high, value)
            self.controls.append(Control(name, value, low, high, 0.01))
        self.root = self.structure = None
        super().__init__()
        if self.root is None:
            raise ValueError(f"{self.error} (at the start values {self.values})")

    @property
    def checking(self):
        return bool(self.rules)

    # --- computing ------------------------------------------------------------------------

    def _build(self, values):
        leaves = {name: Value(v, label=name) for name, v in values.items()}
        out = self.fn(**leaves)
        if not isinstance(out, Value):
            raise TypeError(f"the expression must return a course.Value, not "
                            f"{type(out).__name__}")
        return leaves, out

    def update(self):
        try:
            leaves, out = self._build(self.values)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            # Outside the expression's domain (log of a negative number, ...): keep the last
            # picture and say why.
            self.error = f"f is not defined here: {error}"
            return
        self.error = None
        out.backward()
        order = topological_order(out)
        index = {id(node): i for i, node in enumerate(order)}
        self.root, self.order, self.leaves, self.index = out, order, leaves, index
        self.structure = tuple((n.op, tuple(index[id(p)] for p in n._parents),
                                "" if n._parents else node_label(n)) for n in order)
        self.output = out.data
        self.gradients = {name: leaf.grad for name, leaf in leaves.items()}
        self.edges = [Edge(index[id(parent)], i, k, parent.data, local, local * node.grad)
                      for i, node in enumerate(order)
                      for k, (parent, local) in enumerate(zip(node._parents, node._local_grads))]
        self.student_gradients = self.numerical_gradients = None
        self.problems = []
        if self.checking:
            self._check()

    def _check(self):
        """Run the student's rules on every gate they cover; fill student/numerical/problems."""
        order, edges = self.order, self.edges
        by_child = {}
        for e in edges:
            by_child.setdefault(e.child, []).append(e)
            e.numerical = checking.numerical_edge_gradient(order, order[e.child], e.k)
        for i, node in enumerate(order):
            gate = _rule_name(node)
            if gate not in self.rules:
                continue
            mine = by_child[i]
            where = f"{gate} gate"
            try:
                got, forward_value = checking.call_rule(
                    gate, self.rules[gate], node.grad, [p.data for p in node._parents],
                    node.data, parameters(node))
            except checking.RuleError as error:
                for e in mine:
                    e.problems.append(f"{where}: your rule failed: {error}")
                    e.mark = _join(e.mark, "your rule failed")
                continue
            if forward_value is not None and not checking.agree(node.data, forward_value):
                text = checking.describe_mismatch(node.data, forward_value,
                                                  where=f"{where}, forward")
                for e in mine:
                    e.problems.append(text)
                    e.mark = _join(e.mark, f"forward {fmt(forward_value, 3)}")
            for e in mine:
                e.student = got[e.k]
                if not checking.agree(e.grad, e.student):
                    e.problems.append(checking.describe_mismatch(
                        e.grad, e.student, numerical=e.numerical,
                        where=f"{where}, input {e.k + 1} ({_name(order[e.parent])})",
                        upstream=node.grad, inputs=[p.data for p in node._parents],
                        others=list(got), input_index=e.k,
                        f=forward_of(node)))
                    e.mark = _join(e.mark, f"yours {fmt(e.student, 3)}")
        if "copy" in self.rules:
            self._check_copies()
        self._student_backward()
        self._numerical_gradients()
        self.problems = [p for e in edges for p in e.problems]
        if self.student_error:
            self.problems.append(self.student_error)

    def _check_copies(self):
        """Where a value is used more than once, the student's copy rule must add the gradients."""
        users = {}
        for e in self.edges:
            users.setdefault(e.parent, []).append(e)
        for parent, out_edges in users.items():
            if len(out_edges) < 2:
                continue
            node = self.order[parent]
            try:
                total = checking.accumulate(self.rules["copy"], [e.grad for e in out_edges])
            except checking.RuleError as error:
                total, failure = None, f"copy gate at {_name(node)}: your rule failed: {error}"
            else:
                failure = None
            if failure is None and checking.agree(node.grad, total):
                continue
            text = failure or checking.describe_copy(
                node.grad, total, [e.grad for e in out_edges], node.data,
                where=f"copy gate at {_name(node)} ({len(out_edges)} uses)")
            out_edges[0].problems.append(text)
            for e in out_edges:
                e.mark = _join(e.mark, "copy failed" if total is None
                               else f"copy: yours {fmt(total, 3)}")

    def _student_backward(self):
        """The whole backward pass with the student's rules where given: the input gradients
        the student's code would produce (a mistake upstream spreads to the left)."""
        self.student_error = None
        order, rules = self.order, self.rules
        incoming = {id(order[-1]): [1.0]}
        grads = {}
        try:
            for node in reversed(order):
                upstreams = incoming.get(id(node), [])
                if len(upstreams) > 1 and "copy" in rules:
                    g = checking.accumulate(rules["copy"], upstreams)
                else:
                    g = sum(upstreams) if upstreams else 0.0
                grads[id(node)] = g
                if not node._parents:
                    continue
                gate = _rule_name(node)
                if gate in rules:
                    down, _ = checking.call_rule(
                        gate, rules[gate], g, [p.data for p in node._parents], node.data,
                        parameters(node))
                else:
                    down = [local * g for local in node._local_grads]
                for parent, d in zip(node._parents, down):
                    incoming.setdefault(id(parent), []).append(d)
        except checking.RuleError as error:
            self.student_gradients = None
            self.student_error = f"your rules could not run the whole backward pass: {error}"
            return
        self.student_gradients = {name: grads.get(id(leaf), 0.0)
                                  for name, leaf in self.leaves.items()}

    def _numerical_gradients(self):
        """d output / d input by central differences of the whole expression."""
        result = {}
        for name, value in self.values.items():
            h = checking.EPS * max(1.0, abs(value))
            try:
                plus = self._build({**self.values, name: value + h})[1].data
                minus = self._build({**self.values, name: value - h})[1].data
            except (ValueError, ZeroDivisionError, OverflowError):
                result[name] = None
                continue
            result[name] = (plus - minus) / (2 * h)
        self.numerical_gradients = result

    @property
    def mismatched_edges(self):
        """[(parent index, child index, k)] of the edges marked as disagreeing."""
        return [(e.parent, e.child, e.k) for e in self.edges if e.problems]

    # --- showing ----------------------------------------------------------------------------

    def layout(self):
        return self.structure

    def new_figure(self):
        return GraphFigure(self)

    def alt_text(self):
        """Every node's value and gradient (course.figures.graph_alt), then what disagrees."""
        text = graph_alt(self.root, title=self.title)
        if self.error:
            text += f" {self.error}."
        if self.checking:
            text += (" Disagrees with the engine: " + "; ".join(self.problems) + "."
                     if self.problems else " Your rules agree with the engine on every edge.")
        return text

    def readout_html(self):
        header = ["input", "value", "engine ∂f/∂input"]
        if self.checking:
            header += ["your rules", "numerical"]
        rows = []
        for name, value in self.values.items():
            row = [name, forward(fmt(value)), gradient(fmt(self.gradients.get(name)))]
            if self.checking:
                mine = None if self.student_gradients is None else self.student_gradients[name]
                ok = checking.agree(self.gradients.get(name), mine)
                row.append(gradient(fmt(mine)) if ok else mismatch(fmt(mine)))
                row.append(fmt(self.numerical_gradients.get(name)))
            rows.append(row)
        head = f"f = {forward(fmt(self.output))}"
        if self.error:
            head += "<br>" + mismatch(self.error)
        parts = [head, table(header, rows, classes="gradient-readout")]
        if self.checking:
            parts.append(verdict_html(self.problems,
                                      "Your rules agree with the engine on every edge."))
        return "".join(parts)


def _rule_name(node):
    """The name of the gate that made `node`, as a key of `rules`; None for a leaf."""
    gate = gate_of(node)
    return None if gate is None else gate.name


def _join(a, b):
    return f"{a}\n{b}" if a else b


def _name(node):
    return node.label or node_label(node)


def _parameter_names(fn):
    params = inspect.signature(fn).parameters.values()
    names = [p.name for p in params
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not names:
        raise TypeError("the expression must be a function of named inputs, e.g. "
                        "lambda x, y: (x * y).tanh()")
    return names


def _parameter_defaults(fn):
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()
            if p.default is not inspect.Parameter.empty}


# --- the drawing ---------------------------------------------------------------------------------

class GraphFigure(WidgetFigure):
    """The drawing of one graph structure: arrows and nodes drawn once; the numbers on the
    edges are the only things redrawn when the values change (see `render.OverlayFigure`).

    Same layout and look as `course.figures.draw_graph`: `graph_positions` places the nodes,
    values above each edge in FORWARD_COLOR, gradients below in GRADIENT_COLOR, marks in
    MISMATCH_COLOR.
    """

    def __init__(self, model):
        order, root = model.order, model.root
        position = graph_positions(root)
        points = [position[id(n)] for n in order]
        xs = [p[0] for p in points] + [points[-1][0] + 2.0]
        ys = [p[1] for p in points]
        xlim = (min(xs) - 0.8, max(xs) + 0.4)
        ylim = (min(ys) - 1.0, max(ys) + 0.9)
        width = min(max(0.72 * (xlim[1] - xlim[0]), 5.5), 14.0)
        height = min(max(0.62 * (ylim[1] - ylim[0]) + 0.3, 2.6), 9.0)
        super().__init__(width, height)
        ax = self.figure.add_axes((0.0, 0.07, 1.0, 0.93 if model.title is None else 0.86))
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.axis("off")
        if model.title:
            ax.set_title(model.title)

        self.labels = []    # per edge: (value label, gradient label)
        self.arrows = []
        self.marked = ()
        pairs = [(e.parent, e.child) for e in model.edges]
        for (parent, child), bend in zip(pairs, edge_bends(pairs, dict(enumerate(points)))):
            self.labels.append(self._edge(ax, points[parent], points[child], bend))
        xr, yr = points[-1]
        self.output_labels = self._edge(ax, (xr, yr), (xr + 2.0, yr), 0.0, to_node=False)
        for node, point in zip(order, points):
            draw_node(ax, node, *point)
        legend = legend_keys(mismatch="your rule disagrees with the engine" if model.checking
                             else None)
        self.figure.legend(handles=legend, loc="lower left", ncol=3, fontsize=8, frameon=False)

    def _edge(self, ax, start, end, bend, to_node=True):
        tail, head = edge_ends(start, end, to_node)
        self.arrows.append(ax.add_patch(FancyArrowPatch(
            tail, head, arrowstyle="-|>", mutation_scale=10, color=ARROW_COLOR, lw=1.2,
            connectionstyle=f"arc3,rad={bend}")))
        xm, ym = edge_label_point(tail, head, bend)  # draw_graph's first stop (no collision here)
        label = self.overlay.label
        value = label(ax, xm, ym + 0.08, FORWARD_COLOR, 9, va="bottom")
        grad = label(ax, xm, ym - 0.08, GRADIENT_COLOR, 9, va="top")
        # a mismatch on a line of its own under the gradient, clear of the node to the right
        # (tests/test_label_layout.py)
        grad.mine = label(ax, xm, ym - 0.26, MISMATCH_COLOR, 8, bold=True, va="top")
        return value, grad

    def update(self, model):
        for e, (value, grad) in zip(model.edges, self.labels):
            value.text = f"{e.value:.3g}"
            grad.text = f"{e.grad:.3g}"
            grad.mine.text = e.mark.replace("\n", ", ")
        marked = tuple(i for i, e in enumerate(model.edges) if e.mark)
        if marked != self.marked:   # a wrong edge's arrow turns MISMATCH_COLOR and dashed: redraw
            for i, arrow in enumerate(self.arrows[:len(model.edges)]):
                arrow.set_color(MISMATCH_COLOR if i in marked else ARROW_COLOR)
                arrow.set_linestyle("--" if i in marked else "-")
            self.marked = marked
            self.overlay.invalidate()
        value, grad = self.output_labels
        value.text = f"{model.output:.3g}"
        grad.text = f"{model.root.grad:.3g}"


