"""The ipywidgets layer: sliders over a model, a readout of numbers, and the figure.

How a widget shows up (`display(widget)`, or a widget as a cell's last expression) - two
outputs:

1. the controls: an ipywidgets box of labelled sliders (course.widgets.slider) and an HTML
   readout (the live part);
2. the figure: a display output with a display id, the PNG with its text alternative
   (`course.figures.figure_bundle`: an HTML <img alt> beside the image/png). Moving a slider
   recomputes the model, updates the readout and replaces this output in place
   (`update_display_data`).

The figure is deliberately not inside the widget. A widget output is a reference to a model
that lives in the kernel (mimetype application/vnd.jupyter.widget-view+json); without the kernel
there is nothing to draw, and putting an image/png next to it in the same output does not help:
nbconvert's HTML exporter picks the widget view whenever the notebook's metadata holds the
widget state, which nbclient (and so `nbconvert --execute` and nbgrader) always stores, and
JupyterLab picks it over the PNG for a trusted notebook, then shows "model not found" when no
kernel has it. A PNG in its own output is shown by everything: JupyterLab with or without a
kernel, nbconvert's HTML (the feedback), nbval, GitHub.
"""

import html
import traceback
import uuid

import ipywidgets as W
from IPython.display import display, update_display

from course.figures import figure_bundle

from course.widgets.arrays import MatmulModel, ReluModel
from course.widgets.cost import CostModel
from course.widgets.gates import GateModel
from course.widgets.graph import GraphModel
from course.widgets.slider import Slider
from course.widgets.vanishing import VanishingModel


class _Controls(W.VBox):
    """The sliders and readout; where no widget can render, a line of text stands in."""

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = getattr(self, "_fallback_text", "(interactive controls)")
        return data


class LiveView:
    """Sliders for `model.controls`, the readout, and the figure, kept in step.

    `view.sliders[name]` are the ipywidgets sliders (setting `.value` updates everything, as
    dragging does); `view.set(name=value)` does the same from code. `view.readout` is the HTML
    widget with the numbers, `view.png()` the current figure.
    """

    def __init__(self, model):
        self.model = model
        self.sliders = {c.name: self._slider(c) for c in model.controls}
        self.readout = W.HTML(model.readout_html())
        self.readout.add_class("course-readout")
        row = W.Box(list(self.sliders.values()),
                    layout=W.Layout(display="flex", flex_flow="row wrap"))
        self.controls = _Controls([row, self.readout])
        self.controls.add_class("course-widget")
        names = ", ".join(self.sliders)
        self.controls._fallback_text = (f"[{type(self).__name__}: sliders for {names}; run the "
                                        f"notebook to move them. The figure below is a snapshot.]")
        self._display_id = f"course-widget-{uuid.uuid4().hex}"
        self._shown = False
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")

    @staticmethod
    def _slider(control):
        slider = Slider(value=control.value, min=control.min, max=control.max,
                        step=control.step, integer=control.integer,
                        description=control.label or control.name)
        slider._course_name = control.name
        return slider

    def _on_change(self, change):
        try:
            self.model.set(**{change["owner"]._course_name: change["new"]})
            self.refresh()
        except Exception:   # never let a callback fail silently into the log console
            self.readout.value = (self.readout.value.split("<pre")[0] + "<pre>" +
                                  html.escape(traceback.format_exc(limit=3)) + "</pre>")

    def refresh(self):
        """Show the model's current numbers and figure."""
        self.readout.value = self.model.readout_html()
        if self._shown:
            data, metadata = self.figure_output()
            update_display(data, metadata=metadata, raw=True, display_id=self._display_id)

    def set(self, **values):
        """Move sliders from code: set(x=1.0) is the same as dragging x to 1.0."""
        for name, value in values.items():
            if name not in self.sliders:
                raise KeyError(f"no slider named {name!r}: the sliders are "
                               f"{', '.join(self.sliders)}")
            self.sliders[name].value = value
        return self

    def png(self):
        """The current figure, as PNG bytes."""
        return self.model.png()

    def figure_output(self):
        """(data, metadata) of the figure's display output: the PNG with its text alternative
        (course.figures.figure_bundle)."""
        width, height = self.model.pixel_size()
        return figure_bundle(self.model.png(), self.model.alt_text(), width, height)

    def _ipython_display_(self):
        display(self.controls)
        data, metadata = self.figure_output()
        display(data, metadata=metadata, raw=True, display_id=self._display_id)
        self._shown = True

    def _repr_png_(self):
        return self.model.png()


class GraphExplorer(LiveView):
    """The computational graph of `fn` (default: the lecture's sigmoid neuron), one slider per
    input; values and gradients on every edge. `rules={"sigmoid": sigmoid_backward, ...}` checks
    a student's backward rules edge by edge (see `course.widgets.checking` for the names)."""

    def __init__(self, fn=None, *, rules=None, ranges=None, title=None, **inputs):
        super().__init__(GraphModel(fn, rules=rules, ranges=ranges, title=title, **inputs))


class GatePatterns(LiveView):
    """Add, multiply, max and copy side by side, with sliders for x, y and the upstream g."""

    def __init__(self, x=2.0, y=-1.5, g=1.5, g2=-0.5, *, add_backward=None,
                 multiply_backward=None, max_backward=None, copy_backward=None):
        super().__init__(GateModel(x, y, g, g2, add_backward=add_backward,
                                   multiply_backward=multiply_backward,
                                   max_backward=max_backward, copy_backward=copy_backward))


class VanishingGradients(LiveView):
    """The sigmoid's local gradient at x, and the gradient through `depth` sigmoid layers."""

    def __init__(self, x=1.0, depth=5, w=1.0, *, sigmoid_backward=None):
        super().__init__(VanishingModel(x, depth, w, sigmoid_backward=sigmoid_backward))


class ReluGradients(LiveView):
    """ReLU on a vector: upstream and downstream gradients as bars, with the mask."""

    def __init__(self, n=8, shift=0.0, seed=0, *, relu_vjp=None):
        super().__init__(ReluModel(n, shift, seed, relu_vjp=relu_vjp))


class MatmulGradients(LiveView):
    """y = x W: heatmaps of dL/dy, W, x, dL/dx and dL/dW, with sliders for the shapes."""

    def __init__(self, N=2, D=3, M=2, seed=0, *, matmul_vjp=None):
        super().__init__(MatmulModel(N, D, M, seed, matmul_vjp=matmul_vjp))


class ForwardVsReverse(LiveView):
    """The passes jacfwd and jacrev take for an m x n Jacobian, counted as n and m slide."""

    def __init__(self, n=4, m=2, *, jacobian=None):
        super().__init__(CostModel(n, m, jacobian=jacobian))


__all__ = ["LiveView", "GraphExplorer", "GatePatterns", "VanishingGradients", "ReluGradients",
           "MatmulGradients", "ForwardVsReverse"]
