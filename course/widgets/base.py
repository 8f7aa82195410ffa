"""What every widget model has: its controls (sliders), their values, a figure and a readout.

A model is plain Python (no ipywidgets): `model.set(x=1.5)` recomputes everything, after which
`model.png()` is the figure as PNG bytes and `model.readout_html()` the numbers beside it.
`course.widgets.views` wraps a model in sliders; tests drive the model directly.
"""

import html
from dataclasses import dataclass

from course.figures import FORWARD_COLOR, GRADIENT_COLOR, MISMATCH_COLOR


@dataclass(frozen=True)
class Control:
    """One slider: name (the keyword of `set`), start value, range and step.

    integer: an integer slider; label: the text beside it (default: the name).
    """
    name: str
    value: float
    min: float
    max: float
    step: float
    integer: bool = False
    label: str | None = None


class Model:
    """Base class: subclasses define `controls` (a list of Control) and `update()`, and set
    `rule` to the student's rule (None: the widget shows the engine only), both before calling
    `Model.__init__`, which computes everything for the start values."""

    controls: list
    rule = None

    @property
    def checking(self):
        """Whether a student's rule is being checked against the engine."""
        return self.rule is not None

    def __init__(self):
        self.values = {c.name: (int(c.value) if c.integer else float(c.value))
                       for c in self.controls}
        self.update()

    def control(self, name):
        for c in self.controls:
            if c.name == name:
                return c
        raise KeyError(f"no control named {name!r}: the controls are "
                       f"{', '.join(c.name for c in self.controls)}")

    def set(self, **values):
        """Set some controls (by name) and recompute. Values are clipped to the slider's range."""
        for name, value in values.items():
            c = self.control(name)
            value = min(max(value, c.min), c.max)
            self.values[name] = int(round(value)) if c.integer else float(value)
        self.update()
        return self

    def update(self):
        raise NotImplementedError

    def png(self):
        """The figure for the current values, as PNG bytes."""
        raise NotImplementedError

    def pixel_size(self):
        """(width, height) of `png()` in pixels."""
        raise NotImplementedError

    def readout_html(self):
        """The numbers shown beside the figure, as a small HTML fragment."""
        return ""


class UpdatedModel(Model):
    """A model that keeps its figure and redraws only the numbers on it (render.OverlayFigure).
    Subclasses define `new_figure()`: an object with update(model), png() and pixel_size(); it
    is made again when `layout()` changes (the graph's structure, the vector's length)."""

    _figure = None
    _layout = None

    def layout(self):
        """What the figure's drawing depends on; None: nothing, one figure for all values."""
        return None

    def new_figure(self):
        raise NotImplementedError

    def figure(self):
        """The figure, updated to the current values."""
        layout = self.layout()
        if self._figure is None or layout != self._layout:
            self._figure, self._layout = self.new_figure(), layout
        self._figure.update(self)
        return self._figure

    def png(self):
        return self.figure().png()

    def pixel_size(self):
        return self.figure().pixel_size()


class RedrawnModel(Model):
    """A model whose figure is drawn anew for every png(): its layout changes with the values.
    Subclasses define `draw()`: the figure for the current values, an object with png() and
    pixel_size()."""

    _figure = None

    def draw(self):
        raise NotImplementedError

    def png(self):
        self._figure = self.draw()
        return self._figure.png()

    def pixel_size(self):
        if self._figure is None:
            self.png()
        return self._figure.pixel_size()


# --- helpers for readouts ------------------------------------------------------------------------

def fmt(x, digits=4):
    if x is None:
        return "–"
    return f"{x:.{digits}g}"


def span(text, color, bold=False):
    weight = "font-weight:bold;" if bold else ""
    return f'<span style="color:{color};{weight}">{html.escape(str(text))}</span>'


def forward(text):
    return span(text, FORWARD_COLOR)


def gradient(text):
    return span(text, GRADIENT_COLOR)


def mismatch(text):
    return span(text, MISMATCH_COLOR, bold=True)


def table(header, rows, classes=None):
    """A compact HTML table; header: list of str (escaped); rows: lists of HTML fragments."""
    cell = 'style="padding:1px 10px 1px 0;text-align:right"'
    head = "".join(f"<th {cell}>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td {cell}>{x}</td>" for x in row) + "</tr>"
                   for row in rows)
    cls = f' class="{classes}"' if classes else ""
    return f"<table{cls} style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def problems_html(problems):
    """A list of mismatch descriptions in MISMATCH_COLOR, or nothing."""
    if not problems:
        return ""
    items = "".join(f"<li>{mismatch(p)}</li>" for p in problems)
    return f"<ul style='margin:4px 0 0 0;padding-left:18px'>{items}</ul>"


def verdict_html(problems, agreement):
    """The problems with a student's code, or the sentence `agreement` when there are none."""
    return problems_html(problems) or gradient(agreement)
