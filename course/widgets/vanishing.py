"""Vanishing gradients: the sigmoid's local gradient, and what a chain of sigmoids does to it.

The chain: h0 = x, then for each layer k = 1..depth, a_k = w * h_{k-1} and h_k = sigmoid(a_k).
The gradient of the output with respect to h_k is the product of the local gradients between
them, w * sigma'(a_j) per layer. Since sigma'(a) = sigma(a) (1 - sigma(a)) <= 1/4, with |w| <= 4
it shrinks at least four-fold per layer.

The numbers come from the engine (`course.Value`), sigma and sigma' from its table of gates
(`course.scalar_gates`). A student's `sigmoid_backward(upstream, out)` (assignment 1) is checked
at every layer.
"""

import numpy as np
from matplotlib.lines import Line2D

from course import gradcheck
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR
from course.scalar_gates import GATES, local_gradients
from course.value import Value
from course.widgets import checking
from course.widgets.base import (Control, UpdatedModel, fmt, forward, gradient, mismatch,
                                 table, verdict_html)
from course.widgets.render import WidgetFigure

MAX_DEPTH = 12
FLOOR = 1e-12    # the log-scale bars start here
CEILING = 1e2
SIGMOID = GATES["sigmoid"]


def sigmoid(a):
    return SIGMOID.forward(a)


def sigmoid_grad(a):
    """sigma'(a), the sigmoid gate's local gradient."""
    (local,) = local_gradients(SIGMOID, a)
    return local


class VanishingModel(UpdatedModel):
    """Sliders: x (the input), depth (sigmoid layers), w (the weight before each sigmoid).

    After `set(...)`: `local_gradients[k]` is w * sigma'(a_{k+1}) for layer k+1, and
    `gradients[k]` is d output / d h_k for k = 0..depth (gradients[depth] = 1), from the engine.
    """

    figure_summary = ("Left: the sigmoid's local gradient against x, with the current x marked; "
                      "right: the gradient reaching each layer of a chain of sigmoids.")

    def __init__(self, x=1.0, depth=5, w=1.0, *, sigmoid_backward=None):
        self.controls = [Control("x", x, -6.0, 6.0, 0.1),
                         Control("depth", depth, 1, MAX_DEPTH, 1, integer=True,
                                 label="layers"),
                         Control("w", w, -8.0, 8.0, 0.1, label="weight w")]
        self.rule = sigmoid_backward
        super().__init__()

    def update(self):
        x, depth, w = self.values["x"], self.values["depth"], self.values["w"]
        h = [Value(x, label="h0")]
        for _ in range(depth):
            h.append((h[-1] * w).sigmoid())
        out, post = h[-1], h[1:]       # post: the sigmoid nodes
        out.backward()
        self.activations = [node.data for node in h]
        self.gradients = [node.grad for node in h]
        self.sigmoid_locals = [s._local_grads[0] for s in post]
        self.local_gradients = [w * d for d in self.sigmoid_locals]
        self.output = out.data
        self.student_gradients = None
        self.problems = []
        if self.checking:
            self._check(post, w)

    def _check(self, post, w):
        """Each layer's sigmoid gate with the student's rule, given the engine's upstream
        gradient (marks), and the whole chain run with it (student_gradients)."""
        for k, s in enumerate(post):
            (a,) = s._parents
            try:
                (got,), _ = checking.call_rule("sigmoid", self.rule, s.grad, [a.data], s.data)
            except checking.RuleError as error:
                self.problems.append(f"layer {k + 1}: your sigmoid_backward failed: {error}")
                break
            expected = s.grad * s._local_grads[0]
            if not checking.agree(expected, got):
                numerical = gradcheck.numerical_grad(sigmoid, a.data) * s.grad
                self.problems.append(checking.describe_mismatch(
                    expected, got, numerical=numerical, where=f"layer {k + 1}, dL/da",
                    upstream=s.grad, inputs=[a.data]))
        grads = [1.0]
        try:
            for s in reversed(post):
                (da,), _ = checking.call_rule("sigmoid", self.rule, grads[0],
                                              [s._parents[0].data], s.data)
                grads.insert(0, da * w)
        except checking.RuleError:
            return
        self.student_gradients = grads

    @property
    def input_gradient(self):
        """d output / d x."""
        return self.gradients[0]

    # --- showing ----------------------------------------------------------------------------

    def new_figure(self):
        return VanishingFigure(self.checking)

    def readout_html(self):
        x = self.values["x"]
        rows = []
        for k in range(len(self.gradients)):
            local = fmt(self.local_gradients[k]) if k < len(self.local_gradients) else "–"
            row = [f"h{k}", forward(fmt(self.activations[k])), local,
                   gradient(fmt(self.gradients[k]))]
            if self.checking:
                mine = None if self.student_gradients is None else self.student_gradients[k]
                ok = checking.agree(self.gradients[k], mine)
                row.append(gradient(fmt(mine)) if ok else mismatch(fmt(mine)))
            rows.append(row)
        header = ["node", "value", "local w·σ'(a)", "engine ∂out/∂h"]
        if self.checking:
            header.append("your rule")
        head = (f"σ'(x) = σ(x)(1 − σ(x)) = {gradient(fmt(sigmoid_grad(x)))} at x = "
                f"{forward(fmt(x))} (at most 1/4). ∂out/∂x = "
                f"{gradient(fmt(self.input_gradient))} after {self.values['depth']} layer(s).")
        parts = [head, table(header, rows, classes="gradient-readout")]
        if self.checking:
            parts.append(verdict_html(
                self.problems, "Your sigmoid_backward agrees with the engine at every layer."))
        return "".join(parts)


class VanishingFigure(WidgetFigure):
    """Left: sigma and sigma' with the current x. Right: |d out / d h_k| per layer, log scale."""

    def __init__(self, checking_mode):
        super().__init__(11.0, 3.6)
        left = self.figure.add_axes((0.06, 0.15, 0.36, 0.72))
        grid = np.linspace(-8, 8, 401)
        left.plot(grid, [sigmoid(a) for a in grid], color=FORWARD_COLOR, lw=1.6, label="σ(x)")
        left.plot(grid, [sigmoid_grad(a) for a in grid], color=GRADIENT_COLOR, lw=1.6,
                  label="σ'(x) = σ(1 − σ)")
        left.axhline(0.25, color="#999999", lw=0.8, ls=":")
        left.set_xlim(-8, 8)
        left.set_ylim(-0.05, 1.05)
        left.set_xlabel("x")
        left.set_title("the sigmoid gate's local gradient", fontsize=11)
        left.legend(loc="upper left", fontsize=8, frameon=False)
        self.dot_value = self.overlay.add_dynamic(Line2D([], [], marker="o", color=FORWARD_COLOR,
                                                         ms=6, lw=0))
        self.dot_grad = self.overlay.add_dynamic(Line2D([], [], marker="o",
                                                        color=GRADIENT_COLOR, ms=6, lw=0))
        left.add_line(self.dot_value)
        left.add_line(self.dot_grad)
        self.local_label = self.overlay.label(left, 0, 0, GRADIENT_COLOR, 9, ha="left",
                                              va="bottom")

        right = self.figure.add_axes((0.53, 0.15, 0.45, 0.72))
        right.set_yscale("log")
        right.set_ylim(FLOOR, CEILING)
        right.set_xlim(-0.6, MAX_DEPTH + 0.6)
        right.axhline(1.0, color="#999999", lw=0.8, ls=":")
        right.set_xlabel("node h_k (h0 = x, the input; the last is the output)")
        right.set_ylabel("|∂out/∂h_k|")
        right.set_title("the gradient flowing back through a chain of sigmoids", fontsize=11)
        right.set_xticks(range(0, MAX_DEPTH + 1))
        self.bars = right.bar(range(MAX_DEPTH + 1), [FLOOR] * (MAX_DEPTH + 1), bottom=FLOOR,
                              color=GRADIENT_COLOR, width=0.7)
        for bar in self.bars:
            self.overlay.add_dynamic(bar)
        self.student_dots = self.overlay.add_dynamic(Line2D([], [], marker="D", lw=0, ms=6,
                                                            color=MISMATCH_COLOR))
        right.add_line(self.student_dots)
        if checking_mode:
            right.plot([], [], marker="D", lw=0, color=MISMATCH_COLOR,
                       label="your sigmoid_backward, where it disagrees")
            right.legend(loc="upper right", fontsize=8, frameon=False)
        self.bar_labels = [self.overlay.label(right, k, 1.0, GRADIENT_COLOR, 7, va="bottom")
                           for k in range(MAX_DEPTH + 1)]

    def update(self, model):
        x = model.values["x"]
        slope = sigmoid_grad(x)
        self.dot_value.set_data([x], [sigmoid(x)])
        self.dot_grad.set_data([x], [slope])
        label = self.local_label
        label.x, label.y = (x + 0.3, slope + 0.03)
        label.ha = "left" if x < 3 else "right"
        if label.ha == "right":
            label.x = x - 0.3
        label.text = f"σ'({fmt(x, 3)}) = {fmt(slope, 3)}"
        n = len(model.gradients)
        wrong_k, wrong_v = [], []
        for k, (bar, text) in enumerate(zip(self.bars, self.bar_labels)):
            if k < n:
                g = abs(model.gradients[k])
                height = max(g, FLOOR)
                bar.set_height(height - FLOOR)
                bar.set_visible(True)
                text.text, text.y, text.visible = f"{g:.1e}", height * 1.3, True
                if model.student_gradients is not None and not checking.agree(
                        model.gradients[k], model.student_gradients[k]):
                    wrong_k.append(k)
                    wrong_v.append(max(abs(model.student_gradients[k]), FLOOR))
            else:
                bar.set_visible(False)
                text.visible = False
        self.student_dots.set_data(wrong_k, wrong_v)

