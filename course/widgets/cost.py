"""Forward vs. reverse mode: what building a Jacobian costs as the input and output sizes change.

For f: R^n -> R^m, the Jacobian J is m x n. `jacfwd` builds it one column at a time, one JVP
(a forward-mode pass) per input: n passes. `jacrev` builds it one row at a time, one VJP (a
reverse-mode pass) per output: m passes, after one forward pass that records the graph. Each
pass costs a small multiple of evaluating f, so the cheaper mode is the one with fewer passes:
reverse mode for a loss (m = 1, any n), forward mode for few inputs and many outputs.

The passes are counted, not assumed: f's input goes through a counting identity node (a
`course.Function` whose `jvp` and `backward` add 1 to a counter), and the engine's own
`course.jacfwd` and `course.jacrev` run on it. A student's `jacobian(f, x) -> (m, n)` (e.g.
`jacobian_fwd` of assignment 5) is run the same way: its result is checked against the engine's
and its passes are counted.
"""

import numpy as np
from matplotlib.patches import Rectangle

import course
from course.figures import FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR
from course.function import Function
from course.widgets import checking
from course.widgets.base import Control, RedrawnModel, gradient, table, verdict_html
from course.widgets.render import WidgetFigure

MAX_SIZE = 10
CMAP = "RdBu_r"


def counting_function(f):
    """(g, counts): g(x) = f(x), with x passed through an identity node that counts the JVPs and
    VJPs that flow through it: counts = {"jvp": ..., "vjp": ...}."""
    counts = {"jvp": 0, "vjp": 0}

    class Count(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            counts["vjp"] += 1
            return grad

        @staticmethod
        def jvp(ctx, tangent):
            counts["jvp"] += 1
            return tangent

    def g(x):
        return f(Count.apply(x))

    return g, counts


class CostModel(RedrawnModel):
    """Sliders: n (input size) and m (output size). f(x) = tanh(A x) with a seeded m x n A.

    After `set(...)`: `jacobian` (the engine's, m x n), `counts["jacfwd"]` and
    `counts["jacrev"]` ({"jvp": ..., "vjp": ...} counted while the engine built it).
    """

    def __init__(self, n=4, m=2, *, jacobian=None):
        self.controls = [Control("n", n, 1, MAX_SIZE, 1, integer=True, label="inputs n"),
                         Control("m", m, 1, MAX_SIZE, 1, integer=True, label="outputs m")]
        self.rule = jacobian
        super().__init__()

    def function(self):
        n, m = self.values["n"], self.values["m"]
        rng = np.random.default_rng(1000 * n + m)
        A = rng.standard_normal((m, n)) / np.sqrt(n)
        return lambda x: course.tanh(A @ x)

    def update(self):
        n = self.values["n"]
        f = self.function()
        self.x = np.linspace(-1.0, 1.0, n) if n > 1 else np.array([0.5])
        self.counts = {}
        results = {}
        for name, transform in (("jacfwd", course.jacfwd), ("jacrev", course.jacrev)):
            g, counts = counting_function(f)
            results[name] = np.asarray(transform(g)(self.x))
            self.counts[name] = counts
        self.jacobian = results["jacrev"]
        self.jacobian_fwd = results["jacfwd"]
        self.student = self.wrong = None
        self.problems = []
        if self.checking:
            self._check(f)

    def _check(self, f):
        g, counts = counting_function(f)
        try:
            with np.errstate(all="ignore"):
                got = self.rule(g, self.x.copy())
        except Exception as error:   # the student's code: report, never crash the widget
            self.problems = [f"your jacobian failed: {type(error).__name__}: {error}"]
            return
        self.counts["yours"] = counts
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            self.problems = [f"your jacobian returned a {type(got).__name__}, not an array"]
            return
        if got.shape != self.jacobian.shape:
            self.problems = [checking.describe_mismatch(self.jacobian, got,
                                                        where="your Jacobian")]
            return
        self.student = got
        self.wrong = checking.disagreeing(self.jacobian, got)
        for index in list(zip(*np.nonzero(self.wrong)))[:4]:
            i, j = (int(v) for v in index)
            self.problems.append(checking.describe_mismatch(
                self.jacobian[i, j], got[i, j], where=f"J[{i}, {j}] = ∂y{i}/∂x{j}"))
        if self.wrong.sum() > 4:
            self.problems.append(f"{int(self.wrong.sum())} of {self.wrong.size} entries "
                                 f"disagree in all")

    def passes(self, name):
        """JVPs + VJPs counted for `name` ("jacfwd", "jacrev" or "yours")."""
        counts = self.counts[name]
        return counts["jvp"] + counts["vjp"]

    # --- showing ----------------------------------------------------------------------------

    def draw(self):
        return CostFigure(self)

    def readout_html(self):
        n, m = self.values["n"], self.values["m"]
        fwd, rev = self.counts["jacfwd"], self.counts["jacrev"]
        rows = [["jacfwd", str(fwd["jvp"]), str(fwd["vjp"]), f"one per input (n = {n})"],
                ["jacrev", str(rev["jvp"]), str(rev["vjp"]),
                 f"one per output (m = {m}), after one forward pass"]]
        if "yours" in self.counts:
            c = self.counts["yours"]
            rows.append(["yours", str(c["jvp"]), str(c["vjp"]), ""])
        winner = ("reverse mode (jacrev)" if m < n else "forward mode (jacfwd)" if n < m
                  else "either")
        parts = [f"J is {m} × {n}. Fewer passes: {gradient(winner)}.",
                 table(["", "JVPs", "VJPs", ""], rows, classes="gradient-readout")]
        if self.checking:
            parts.append(verdict_html(self.problems, "Your Jacobian agrees with the engine's."))
        elif m == 1:
            parts.append("m = 1 (a loss): reverse mode needs one pass, however many inputs.")
        return "".join(parts)


class CostFigure(WidgetFigure):
    """J filled column by column (jacfwd) and row by row (jacrev), and the passes counted."""

    def __init__(self, model):
        J = model.jacobian
        m, n = J.shape
        cell = min(0.42, 3.2 / max(m, n))
        width = 2 * n * cell + 5.2
        height = max(m * cell + 1.5, 3.0)
        super().__init__(width, height)
        scale = max(1e-9, float(np.max(np.abs(J))))
        top = (height - 0.55) / height
        for p, (name, color, along) in enumerate((("jacfwd: one JVP per column", FORWARD_COLOR,
                                                   "column"),
                                                  ("jacrev: one VJP per row", GRADIENT_COLOR,
                                                   "row"))):
            left = (0.45 + p * (n * cell + 0.6)) / width
            ax = self.figure.add_axes((left, top - m * cell / height, n * cell / width,
                                       m * cell / height))
            ax.imshow(J, cmap=CMAP, vmin=-scale, vmax=scale, aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(name, color=color, fontsize=9)
            for k in range(n if along == "column" else m):
                xy = (k - 0.5, -0.5) if along == "column" else (-0.5, k - 0.5)
                size = (1, m) if along == "column" else (n, 1)
                ax.add_patch(Rectangle(xy, *size, fc="none", ec=color, lw=1.5))
            if model.wrong is not None:
                for i, j in zip(*np.nonzero(model.wrong)):
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fc="none",
                                           ec=MISMATCH_COLOR, lw=2.5))
            ax.set_xlabel(f"n = {n} inputs", fontsize=8)
            ax.set_ylabel(f"m = {m} outputs", fontsize=8)
        bars = self.figure.add_axes(((2 * n * cell + 1.75) / width, 0.2, 2.9 / width, 0.62))
        names = ["jacfwd", "jacrev"] + (["yours"] if "yours" in model.counts else [])
        colors = [FORWARD_COLOR, GRADIENT_COLOR,
                  MISMATCH_COLOR if model.problems else "#777777"][:len(names)]
        counts = [model.passes(name) for name in names]
        bars.bar(range(len(names)), counts, color=colors, width=0.6)
        bars.set_xticks(range(len(names)), names, fontsize=9)
        bars.set_ylim(0, MAX_SIZE + 1.5)
        bars.set_title("passes counted", fontsize=9)
        bars.tick_params(labelsize=8)
        for k, c in enumerate(counts):
            self.overlay.label(bars, k, c + 0.2, "#333333", 9, va="bottom").text = str(c)

