"""Gradients of vectors and matrices.

ReluModel: y = relu(x) for a vector x. The upstream gradient dL/dy passes where x > 0 and is
blocked where x <= 0: dL/dx = dL/dy * [x > 0] (the Jacobian is diagonal, with the mask on it).

MatmulModel: y = x W, x of shape (N, D), W of shape (D, M). With the upstream gradient dL/dy
(N, M): dL/dx = dL/dy W^T (N, D) and dL/dW = x^T dL/dy (D, M): the only products whose shapes
fit, and each gradient has the shape of what it is the gradient of.

The reference comes from the engine (`course.vjp`); the numerical one from
`course.gradcheck.numerical_vjp`. Student code: `relu_vjp(upstream, x)` and
`matmul_vjp(upstream, x, W) -> (dx, dW)`. Inputs and upstream gradients are seeded random
numbers: the `seed` slider draws new ones.
"""

import numpy as np
from matplotlib.patches import Rectangle

import course
from course import diagnose, gradcheck
from course.figures import (FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR, MISMATCH_HATCH,
                            ink_on)
from course.widgets import checking
from course.widgets.base import (Control, RedrawnModel, UpdatedModel, fmt, forward, gradient,
                                 mismatch, table, verdict_html)
from course.widgets.render import WidgetFigure

MASKED_FACE = "#e6e6e6"
CMAP = "RdBu_r"
MAX_LISTED = 4    # wrong elements listed in words


def random_upstream(rng, shape):
    """Random signs, magnitudes in [0.5, 1.5]: never near 0 and never all ones."""
    v = rng.uniform(-1.0, 1.0, size=shape)
    return v + 0.5 * np.sign(v)


def compare_arrays(name, expected, got, numerical, context=None, evidence=None):
    """(wrong-element mask or None for a shape error, [descriptions]) for a student's array.

    context(index): the evidence for one element's description; evidence: for the whole array
    (f, inputs, input_index, upstream, others: as for checking.describe_mismatch), so that
    course.diagnose names the mistake the way the graded tests do."""
    evidence = evidence or {}
    expected = np.asarray(expected, dtype=np.float64)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None, [f"{name}: yours is a {type(got).__name__}, not an array of numbers"]
    if got.shape != expected.shape:
        return None, [checking.describe_mismatch(expected, got, where=name, **evidence)]
    wrong = checking.disagreeing(expected, got)
    problems = []
    if wrong.any():
        kind = checking.diagnose_mismatch(expected, got, **evidence)
        if kind is not None:
            problems.append(f"{name}: {diagnose.WORDS[kind]}")
    for index in list(zip(*np.nonzero(wrong)))[:MAX_LISTED]:
        at = "[" + ", ".join(str(int(i)) for i in index) + "]"
        problems.append(checking.describe_mismatch(
            expected[index], got[index], numerical=np.asarray(numerical)[index],
            where=f"{name}{at}", **(context(index) if context else {})))
    if wrong.sum() > MAX_LISTED:
        problems.append(f"{name}: {int(wrong.sum())} of {wrong.size} elements disagree in all")
    return wrong, problems


def _student(rule, *args):
    """Call a student's array rule; (result, error message or None)."""
    try:
        with np.errstate(all="ignore"):
            return rule(*[np.array(a, dtype=np.float64) for a in args]), None
    except Exception as error:  # the student's code: report, never crash the widget
        return None, f"{type(error).__name__}: {error}"


# --- ReLU on a vector ----------------------------------------------------------------------------

class ReluModel(UpdatedModel):
    """Sliders: n (the vector's length), shift (added to x: more or fewer entries pass), seed."""

    figure_summary = ("Bars of the upstream gradient, the ReLU mask (x > 0) and the gradient "
                      "passed down, entry by entry.")

    def __init__(self, n=8, shift=0.0, seed=0, *, relu_vjp=None):
        self.controls = [Control("n", n, 2, 16, 1, integer=True, label="length n"),
                         Control("shift", shift, -1.5, 1.5, 0.05, label="shift x"),
                         Control("seed", seed, 0, 50, 1, integer=True)]
        self.rule = relu_vjp
        super().__init__()

    def update(self):
        n, shift, seed = self.values["n"], self.values["shift"], self.values["seed"]
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(n) + shift
        x = np.where(np.abs(x) < 0.02, np.where(x < 0, -0.02, 0.02), x)   # off the kink
        self.x = x
        self.upstream = random_upstream(rng, n)
        self.y, vjp_fn = course.vjp(course.relu, x)
        (self.downstream,) = vjp_fn(self.upstream)
        self.mask = x > 0
        self.student = self.wrong = None
        self.problems = []
        if self.checking:
            got, error = _student(self.rule, self.upstream, x)
            if error:
                self.problems = [f"relu_vjp failed: {error}"]
                return
            numerical = gradcheck.numerical_vjp(lambda v: np.maximum(v, 0.0), (x,),
                                                self.upstream)[0]
            self.wrong, self.problems = compare_arrays(
                "dL/dx", self.downstream, got, numerical,
                context=lambda i: {"upstream": self.upstream[i], "inputs": (x[i],)},
                evidence={"f": lambda v: np.maximum(v, 0.0), "inputs": (x,),
                          "upstream": self.upstream})
            self.student = np.asarray(got, dtype=np.float64) if self.wrong is not None else None

    def layout(self):
        return self.values["n"]

    def new_figure(self):
        return ReluFigure(self.values["n"], self.checking)

    def readout_html(self):
        rows = [["x", *[forward(fmt(v, 3)) for v in self.x]],
                ["mask x > 0", *[str(int(m)) for m in self.mask]],
                ["dL/dy", *[gradient(fmt(v, 3)) for v in self.upstream]],
                ["dL/dx", *[gradient(fmt(v, 3)) for v in self.downstream]]]
        if self.student is not None:
            rows.append(["yours", *[mismatch(fmt(v, 3)) if w else gradient(fmt(v, 3))
                                    for v, w in zip(self.student, self.wrong)]])
        parts = [f"{int(self.mask.sum())} of {self.mask.size} entries pass the gradient; "
                 f"the others get 0.",
                 table([""] + [str(i) for i in range(self.x.size)], rows,
                       classes="gradient-readout")]
        if self.checking:
            parts.append(verdict_html(self.problems,
                                      "Your relu_vjp agrees with the engine on every entry."))
        return "".join(parts)


class ReluFigure(WidgetFigure):
    """Three rows of bars over the entries: x with the mask, dL/dy, dL/dx."""

    def __init__(self, n, checking_mode):
        self.n = n
        width = min(max(4.5, 0.55 * n + 2.0), 11.0)
        super().__init__(width, 5.0)
        titles = [("x (forward); grey: x ≤ 0, the gradient is blocked", FORWARD_COLOR),
                  ("dL/dy: the upstream gradient", GRADIENT_COLOR),
                  ("dL/dx = dL/dy · [x > 0]: the downstream gradient", GRADIENT_COLOR)]
        self.axes, self.bars, self.shades, self.labels = [], [], [], []
        limits = [(-3.6, 3.6), (-1.9, 1.9), (-1.9, 1.9)]
        for row, ((title, color), lim) in enumerate(zip(titles, limits)):
            ax = self.figure.add_axes((0.1, 0.69 - row * 0.31, 0.86, 0.22))
            ax.set_xlim(-0.6, n - 0.4)
            ax.set_ylim(*lim)
            ax.axhline(0.0, color="#555555", lw=0.8)
            ax.set_title(title, color=color, fontsize=10, loc="left")
            ax.set_xticks(range(n))
            ax.tick_params(labelsize=8)
            shades = [self.overlay.add_dynamic(ax.add_patch(Rectangle(
                (i - 0.5, lim[0]), 1.0, lim[1] - lim[0], fc=MASKED_FACE, ec="none", zorder=0)))
                for i in range(n)]
            bars = ax.bar(range(n), [0.0] * n, width=0.6,
                          color=FORWARD_COLOR if row == 0 else GRADIENT_COLOR, zorder=2)
            for bar in bars:
                self.overlay.add_dynamic(bar)
            labels = [self.overlay.label(ax, i, 0.0, "#333333", 7) for i in range(n)]
            self.axes.append(ax)
            self.bars.append(bars)
            self.shades.append(shades)
            self.labels.append(labels)
        ax = self.axes[2]
        self.student_bars = ax.bar(range(n), [0.0] * n, width=0.6, fc="none",
                                   ec=MISMATCH_COLOR, lw=2.0, hatch="///", zorder=3)
        for bar in self.student_bars:
            self.overlay.add_dynamic(bar)
        self.student_labels = [self.overlay.label(ax, i, 0.0, MISMATCH_COLOR, 7, bold=True)
                               for i in range(n)]
        if checking_mode:
            self.figure.text(0.5, 0.005, "hatched: your relu_vjp, where it disagrees",
                             color=MISMATCH_COLOR, ha="center", va="bottom", fontsize=8)

    def update(self, model):
        rows = [model.x, model.upstream, model.downstream]
        for row, values in enumerate(rows):
            ax = self.axes[row]
            low, high = ax.get_ylim()
            for i, v in enumerate(values):
                self.bars[row][i].set_height(float(np.clip(v, low, high)))
                self.shades[row][i].set_visible(not model.mask[i])
                label = self.labels[row][i]
                label.text = fmt(v, 2)
                label.y = v + (0.1 if v >= 0 else -0.2) * (high - low) / 3.8
                label.va = "bottom" if v >= 0 else "top"
        for i, (bar, label) in enumerate(zip(self.student_bars, self.student_labels)):
            wrong = model.wrong is not None and bool(model.wrong[i])
            bar.set_visible(wrong)
            label.visible = wrong
            if wrong:
                v = float(model.student[i])
                bar.set_height(float(np.clip(v, -1.9, 1.9)))
                label.text = f"yours {fmt(v, 2)}"
                label.y = -1.5 if v >= 0 else 1.5


# --- y = x W -------------------------------------------------------------------------------------

class MatmulModel(RedrawnModel):
    """Sliders: N (rows of x), D (columns of x = rows of W), M (columns of W), seed."""

    figure_summary = ("Heatmaps of the upstream gradient dL/dy, W, x and the gradients dL/dx and "
                      "dL/dW, each cell with its number.")

    def __init__(self, N=2, D=3, M=2, seed=0, *, matmul_vjp=None):
        self.controls = [Control("N", N, 1, 6, 1, integer=True, label="N (rows of x)"),
                         Control("D", D, 1, 6, 1, integer=True, label="D (x's columns, W's rows)"),
                         Control("M", M, 1, 6, 1, integer=True, label="M (columns of W)"),
                         Control("seed", seed, 0, 50, 1, integer=True)]
        self.rule = matmul_vjp
        super().__init__()

    def update(self):
        N, D, M, seed = (self.values[k] for k in ("N", "D", "M", "seed"))
        rng = np.random.default_rng(seed)
        self.x = np.round(rng.standard_normal((N, D)), 2)
        self.W = np.round(rng.standard_normal((D, M)), 2)
        self.upstream = np.round(random_upstream(rng, (N, M)), 2)
        self.y, vjp_fn = course.vjp(lambda x, W: x @ W, self.x, self.W)
        self.dx, self.dW = vjp_fn(self.upstream)
        self.student = None          # (dx, dW) when usable
        self.wrong = (None, None)    # masks of wrong elements
        self.wrong_shapes = {}       # {"dL/dx" or "dL/dW": the student's shape} when it is wrong
        self.problems = []
        if self.checking:
            self._check()

    def _check(self):
        got, error = _student(self.rule, self.upstream, self.x, self.W)
        if error:
            self.problems = [f"matmul_vjp failed: {error}"]
            return
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            self.problems = ["matmul_vjp must return two gradients, (dL/dx, dL/dW)"]
            return
        numerical = gradcheck.numerical_vjp(lambda x, W: x @ W, (self.x, self.W), self.upstream)
        evidence = {"f": lambda x, W: x @ W, "inputs": (self.x, self.W),
                    "upstream": self.upstream, "others": list(got)}
        wrong_x, problems_x = compare_arrays("dL/dx", self.dx, got[0], numerical[0],
                                             evidence=dict(evidence, input_index=0))
        wrong_W, problems_W = compare_arrays("dL/dW", self.dW, got[1], numerical[1],
                                             evidence=dict(evidence, input_index=1))
        self.wrong = (wrong_x, wrong_W)
        self.problems = problems_x + problems_W
        for name, engine, mine in (("dL/dx", self.dx, got[0]), ("dL/dW", self.dW, got[1])):
            shape = np.shape(mine)
            if shape != engine.shape:
                self.wrong_shapes[name] = str(shape)
        self.student = tuple(np.asarray(g, dtype=np.float64) if w is not None else None
                             for g, w in zip(got, self.wrong))

    def draw(self):
        return MatmulFigure(self)

    def readout_html(self):
        N, D, M = (self.values[k] for k in ("N", "D", "M"))
        lines = [f"x: ({N}, {D}), W: ({D}, {M}), y = xW: ({N}, {M}).",
                 f"dL/dx = dL/dy · Wᵀ: ({N}, {M}) · ({M}, {D}) → ({N}, {D}), the shape of x.",
                 f"dL/dW = xᵀ · dL/dy: ({D}, {N}) · ({N}, {M}) → ({D}, {M}), the shape of W."]
        parts = ["<br>".join(lines)]
        rows = [["dL/dx", gradient(_matrix_text(self.dx))],
                ["dL/dW", gradient(_matrix_text(self.dW))]]
        parts.append(table(["", "engine"], rows, classes="gradient-readout"))
        if self.checking:
            parts.append(verdict_html(self.problems,
                                      "Your matmul_vjp agrees with the engine on every element."))
        return "".join(parts)


def _matrix_text(a):
    return "[" + "; ".join(" ".join(f"{v:.3g}" for v in row) for row in np.atleast_2d(a)) + "]"


class MatmulFigure(WidgetFigure):
    """Two products of heatmaps: dL/dy · Wᵀ = dL/dx and xᵀ · dL/dy = dL/dW."""

    CELL = 0.5     # inches per matrix cell
    GAP = 0.55     # inches between matrices (for the · and = signs)

    def __init__(self, model):
        x, W, up = model.x, model.W, model.upstream
        student = model.student or (None, None)
        # (title, matrix, colour, wrong-element mask, the student's matrix)
        rows = [[("dL/dy", up, GRADIENT_COLOR, None, None),
                 ("Wᵀ", W.T, FORWARD_COLOR, None, None),
                 ("dL/dx", model.dx, GRADIENT_COLOR, model.wrong[0], student[0])],
                [("xᵀ", x.T, FORWARD_COLOR, None, None),
                 ("dL/dy", up, GRADIENT_COLOR, None, None),
                 ("dL/dW", model.dW, GRADIENT_COLOR, model.wrong[1], student[1])]]
        c, gap = self.CELL, self.GAP
        widths = [sum(m.shape[1] * c for _, m, *_ in row) + 2 * gap for row in rows]
        heights = [max(m.shape[0] for _, m, *_ in row) * c for row in rows]
        margin_x, title_h, bottom = 0.35, 0.45, 0.3
        fig_w = max(widths) + 2 * margin_x
        fig_h = sum(heights) + 2 * title_h + bottom + 0.35
        super().__init__(fig_w, fig_h)
        scale = max(1.0, float(np.max(np.abs(np.concatenate(
            [a.ravel() for a in (x, W, up, model.dx, model.dW)])))))
        top = fig_h - 0.1
        for row, h in zip(rows, heights):
            top -= title_h
            left = margin_x
            for j, (name, m, color, wrong, mine) in enumerate(row):
                r, k = m.shape
                ax = self.figure.add_axes((left / fig_w, (top - r * c) / fig_h,
                                           k * c / fig_w, r * c / fig_h))
                image = ax.imshow(m, cmap=CMAP, vmin=-scale, vmax=scale, aspect="auto")
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title(f"{name} {m.shape}", color=color, fontsize=9)
                for (i, jj), v in np.ndenumerate(m):
                    bad = wrong is not None and bool(wrong[i, jj])
                    ink = ink_on(image.cmap(image.norm(v)))
                    self.overlay.label(ax, jj, i - (0.12 if bad else 0.0), ink, 8).text = fmt(v, 2)
                    if bad:   # outlined, hatched, and the student's number on white
                        ax.add_patch(Rectangle((jj - 0.5, i - 0.5), 1, 1, fc="none",
                                               ec=MISMATCH_COLOR, lw=2.5, hatch=MISMATCH_HATCH))
                        ax.add_patch(Rectangle((jj - 0.42, i + 0.06), 0.84, 0.34, fc="white",
                                               ec="none", zorder=4))
                        self.overlay.label(ax, jj, i + 0.22, MISMATCH_COLOR, 7,
                                           bold=True).text = fmt(mine[i, jj], 2)
                if name in model.wrong_shapes:   # a gradient of the wrong shape (a transpose)
                    ax.add_patch(Rectangle((-0.5, -0.5), k, r, fc="none", ec=MISMATCH_COLOR,
                                           lw=3, hatch=MISMATCH_HATCH, zorder=3))
                    ax.set_title(f"{name} {m.shape}: yours {model.wrong_shapes[name]}",
                                 color=MISMATCH_COLOR, fontsize=9, fontweight="bold")
                if j < 2:
                    self.figure.text((left + k * c + gap / 2) / fig_w,
                                     (top - r * c / 2) / fig_h, "·" if j == 0 else "=",
                                     ha="center", va="center", fontsize=16)
                left += k * c + gap
            top -= h
        if model.checking:
            self.figure.text(0.5, 0.01,
                             "outlined and hatched: your matmul_vjp disagrees (yours in magenta)",
                             color=MISMATCH_COLOR, ha="center", va="bottom", fontsize=8)
