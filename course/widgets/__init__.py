"""Interactive figures of gradient flow: sliders that re-run the forward and backward pass.

    from course.widgets import GraphExplorer
    GraphExplorer()                                    # the lecture's sigmoid neuron
    GraphExplorer(lambda x, y: (x * y).tanh(), x=0.5, y=-2.0)
    GraphExplorer(rules={"sigmoid": sigmoid_backward}) # check your own backward rule, edge by edge

- `GraphExplorer`: any `Value` expression's graph, with the value and gradient on every edge;
  your rules: `rules={"sigmoid": sigmoid_backward, ...}`.
- `GatePatterns`: add / multiply / max / copy side by side: distribute, swap, route, add up;
  `add_backward=`, `multiply_backward=`, `max_backward=`, `copy_backward=`.
- `VanishingGradients`: sigma'(x), and the gradient through a chain of sigmoids;
  `sigmoid_backward=`.
- `ReluGradients`: ReLU on a vector: upstream gradient, mask, downstream gradient; `relu_vjp=`.
- `MatmulGradients`: y = x W: dL/dx = dL/dy W^T and dL/dW = x^T dL/dy as heatmaps;
  `matmul_vjp=`.
- `ForwardVsReverse`: the passes jacfwd (n) and jacrev (m) take, counted; `jacobian=`.

Each widget is a plain-Python model (`GraphModel`, `GateModel`, ...: `set(...)`, `png()`,
`readout_html()`, no ipywidgets needed) wrapped by a thin ipywidgets view (`course.widgets.views`).
Where a student's code disagrees with the engine, the widget draws it in MISMATCH_COLOR and
`checking.describe_mismatch` says it in words. Every widget also leaves a plain PNG of its figure
in the notebook, for nbconvert's HTML, nbval and a notebook opened without a kernel.
"""

from course.widgets.arrays import MatmulModel, ReluModel
from course.widgets.checking import describe_mismatch
from course.widgets.cost import CostModel
from course.widgets.gates import GateModel
from course.widgets.graph import GraphModel, sigmoid_neuron
from course.widgets.vanishing import VanishingModel

_VIEWS = ("LiveView", "GraphExplorer", "GatePatterns", "VanishingGradients", "ReluGradients",
          "MatmulGradients", "ForwardVsReverse")

__all__ = [*_VIEWS, "GraphModel", "GateModel", "VanishingModel", "ReluModel", "MatmulModel",
           "CostModel", "describe_mismatch", "sigmoid_neuron"]


def __getattr__(name):
    # The views import ipywidgets: only when one is asked for, so the models work without it.
    if name in _VIEWS:
        from course.widgets import views
        return getattr(views, name)
    raise AttributeError(f"module 'course.widgets' has no attribute {name!r}")
