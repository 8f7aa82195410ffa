"""Watching a network train: per-layer gradient norms, update-to-weight ratios and dead ReLUs.

A training loop records one snapshot every few steps (`record(step, grad_norms, ...)`, each a
{layer name: number} dict that the notebook computes from its own model); the slider picks a
snapshot, and the figure shows all of them over the steps with the chosen one marked:

- the gradient norm of each layer's weights: layers whose gradient is orders of magnitude smaller
  than the others' learn that much slower (vanishing), a norm that keeps growing diverges;
- the update-to-weight ratio ||w_after - w_before|| / ||w_before|| of each layer: the rule of
  thumb of CS231n's notes is about 1e-3; far below, the layer barely moves (learning rate too
  low), far above, it forgets what it learned (too high);
- the fraction of dead ReLUs (output 0 for every example of the batch) of each ReLU layer: a
  unit that is dead for every input gets no gradient and never comes back.

`TrainingModel` is plain Python (no ipywidgets); `TrainingMonitor` is its view, and its
`record(...)` moves the slider to the newest snapshot when asked (`show=True`), so the figure
follows the training as it runs.
"""

from dataclasses import replace

import numpy as np
from matplotlib.ticker import NullFormatter

from course.figures import FORWARD_COLOR, GRADIENT_COLOR
from course.widgets.base import Control, RedrawnModel, fmt, forward, gradient, table
from course.widgets.render import new_figure, pixel_size, figure_png
from course.widgets.views import LiveView

HEALTHY_RATIO = (1e-4, 1e-2)     # shaded: around CS231n's 1e-3 rule of thumb, one decade each way
FLOOR = 1e-12                    # log-scale plots start here (a zero gradient is drawn at it)


def _shades(base, n):
    """n colours from a light tint of `base` (the first layer) to `base` itself (the last)."""
    rgb = np.array([int(base[k:k + 2], 16) for k in (1, 3, 5)]) / 255.0
    return [tuple(rgb + (1.0 - rgb) * 0.65 * (1.0 - t)) for t in np.linspace(1.0 / n, 1.0, n)]


class TrainingModel(RedrawnModel):
    """Snapshots of a training run. Slider: `snapshot` (0 = the first recorded).

    After `set(snapshot=k)`: `current` is the k-th snapshot, a dict with "step", "epoch",
    "grad_norms", "update_ratios", "dead_fractions" ({layer name: float}, possibly empty).
    """

    def __init__(self):
        self.controls = [Control("snapshot", 0, 0, 0, 1, integer=True, label="snapshot")]
        super().__init__()
        self.snapshots = []
        self.update()

    def record(self, step, grad_norms, update_ratios=None, dead_fractions=None, epoch=None):
        """Add a snapshot: grad_norms, update_ratios, dead_fractions are {layer name: float}."""
        snapshot = {"step": int(step), "epoch": epoch,
                    "grad_norms": _floats(grad_norms, "grad_norms"),
                    "update_ratios": _floats(update_ratios or {}, "update_ratios"),
                    "dead_fractions": _floats(dead_fractions or {}, "dead_fractions")}
        self.snapshots.append(snapshot)
        self.controls = [replace(self.controls[0], max=len(self.snapshots) - 1)]
        return snapshot

    def update(self):
        k = self.values["snapshot"]
        self.current = self.snapshots[k] if self.snapshots else None

    def series(self, key):
        """{layer name: (steps, values)} of one of "grad_norms", "update_ratios",
        "dead_fractions", over every snapshot that has that layer."""
        found = {}
        for snapshot in self.snapshots:
            for name, value in snapshot[key].items():
                steps, values = found.setdefault(name, ([], []))
                steps.append(snapshot["step"])
                values.append(value)
        return found

    # --- showing ----------------------------------------------------------------------------

    def draw(self):
        return TrainingFigure(self)

    def readout_html(self):
        if self.current is None:
            return "No snapshot yet: the figure fills in as the training records them."
        c = self.current
        names = list(dict.fromkeys([*c["grad_norms"], *c["update_ratios"], *c["dead_fractions"]]))
        rows = [[name,
                 gradient(fmt(c["grad_norms"].get(name))),
                 gradient(fmt(c["update_ratios"].get(name))),
                 forward(fmt(c["dead_fractions"].get(name)))] for name in names]
        epoch = "" if c["epoch"] is None else f" (epoch {c['epoch'] + 1})"
        head = (f"Snapshot {self.values['snapshot'] + 1} of {len(self.snapshots)}: "
                f"step {c['step']}{epoch}.")
        return head + table(["layer", "‖gradient‖", "update / weight", "dead ReLUs"], rows,
                            classes="gradient-readout")


def _floats(values, what):
    try:
        return {str(name): float(value) for name, value in dict(values).items()}
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a dict {{layer name: number}}, not {values!r}") from None


class TrainingFigure:
    """Three panels over the steps: gradient norms and update ratios (log scale) and dead ReLU
    fractions, one line per layer, the chosen snapshot marked by a vertical line."""

    def __init__(self, model):
        self.figure = new_figure(12.0, 3.4)
        panels = [self.figure.add_axes((0.06 + k * 0.33, 0.17, 0.255, 0.68)) for k in range(3)]
        specs = (("grad_norms", "‖dL/dW‖ per layer", GRADIENT_COLOR, True),
                 ("update_ratios", "update / weight per layer", GRADIENT_COLOR, True),
                 ("dead_fractions", "dead ReLUs (fraction of units)", FORWARD_COLOR, False))
        for ax, (key, title, color, log) in zip(panels, specs):
            series = model.series(key)
            for (name, (steps, values)), shade in zip(series.items(),
                                                      _shades(color, max(1, len(series)))):
                shown = np.maximum(values, FLOOR) if log else np.asarray(values)
                ax.plot(steps, shown, color=shade, lw=1.4, label=name)
                if model.current is not None and model.current["step"] in steps:
                    k = steps.index(model.current["step"])
                    ax.plot([steps[k]], [shown[k]], marker="o", ms=5, color=shade)
            if log:
                ax.set_yscale("log")
                ax.yaxis.set_minor_formatter(NullFormatter())
            else:
                ax.set_ylim(-0.03, 1.03)
            if key == "update_ratios":
                ax.axhspan(*HEALTHY_RATIO, color="#eeeeee", zorder=0,
                           label="1e-4 .. 1e-2 (about 1e-3 is healthy)")
            if model.current is not None:
                ax.axvline(model.current["step"], color="#555555", lw=1, ls=":")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("training step")
            ax.tick_params(labelsize=8)
            if series:
                ax.legend(fontsize=7, frameon=False, loc="best")
        if not model.snapshots:
            panels[1].text(0.5, 0.5, "no snapshot recorded yet", ha="center", va="center",
                           transform=panels[1].transAxes, color="#777777")

    def png(self):
        return figure_png(self.figure)

    def pixel_size(self):
        return pixel_size(self.figure)


class TrainingMonitor(LiveView):
    """The view: a slider over the snapshots, the readout, and the figure. Call
    `record(step, grad_norms, update_ratios, dead_fractions, epoch, show=False)` from the
    training loop; with show=True the slider jumps to the newest snapshot and the figure is
    redrawn (do it once an epoch: a redraw takes a moment)."""

    def __init__(self):
        super().__init__(TrainingModel())

    def record(self, step, grad_norms, update_ratios=None, dead_fractions=None, epoch=None,
               show=False):
        snapshot = self.model.record(step, grad_norms, update_ratios, dead_fractions, epoch)
        self.sliders["snapshot"].max = len(self.model.snapshots) - 1
        if show:
            self.show_latest()
        return snapshot

    def show_latest(self):
        """Move the slider to the newest snapshot (redraws the figure and the readout)."""
        newest = len(self.model.snapshots) - 1
        if self.sliders["snapshot"].value == newest:
            self.model.set(snapshot=newest)
            self.refresh()
        else:
            self.set(snapshot=newest)
        return self
