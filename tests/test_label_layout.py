"""No label of a graph figure runs into another label or into a node it does not belong to.

The widgets' numbers are drawn over the kept bitmap by `OverlayFigure` (Pillow): their boxes come
from `OverlayFigure.label_boxes`, the same pieces `png` draws. `draw_graph`'s labels are
matplotlib Texts, measured with the canvas's renderer (`Text.get_window_extent`). Nodes are the
patches of the axes (boxes and circles; `draw_graph`'s are the bbox patches of its node Texts),
measured the same way. Boxes are in pixels from the top left; touching is allowed, a shared area
of more than PAD pixels either way is not.
"""

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Circle, FancyBboxPatch

from course import Value
from course.figures import draw_graph
from course.widgets import GatePatterns, GraphExplorer

PAD = 0.5     # pixels of antialiasing that may touch


def _overlap(a, b):
    return (min(a[2], b[2]) - max(a[0], b[0]) > PAD) and (min(a[3], b[3]) - max(a[1], b[1]) > PAD)


def _flip(extent, height):
    return (extent.x0, height - extent.y1, extent.x1, height - extent.y0)


def _node_boxes(figure, renderer):
    """The boxes and circles of the axes, and the boxes of Texts drawn with one (draw_node)."""
    height = figure.bbox.height
    patches = [p for ax in figure.axes for p in ax.patches
               if isinstance(p, (Circle, FancyBboxPatch))]
    patches += [t.get_bbox_patch() for ax in figure.axes for t in ax.texts
                if t.get_bbox_patch() is not None]
    assert patches, "no nodes found"
    return [_flip(p.get_window_extent(renderer), height) for p in patches]


def _assert_apart(labels, nodes):
    for i, (text, box) in enumerate(labels):
        for other, box2 in labels[i + 1:]:
            assert not _overlap(box, box2), f"label {text!r} runs into label {other!r}"
        for node in nodes:
            assert not _overlap(box, node), f"label {text!r} runs into a node at {node}"


def _wrong(*_args):
    return 7.25, -7.25


WIDGET_CASES = {
    "engine only": {},
    "every rule wrong": dict(add_backward=_wrong, multiply_backward=_wrong, max_backward=_wrong,
                             copy_backward=lambda u1, u2: -12.5),
    "overwritten copy": dict(copy_backward=lambda u1, u2: u2),
}


@pytest.mark.parametrize("rules", WIDGET_CASES.values(), ids=WIDGET_CASES.keys())
@pytest.mark.parametrize("values", [dict(), dict(x=-3.9, y=3.9, g=-2.9, g2=2.9),
                                    dict(x=1.0, y=1.0, g=0.1, g2=-0.1)])
def test_gate_widget_labels_stay_apart(rules, values):
    figure = GatePatterns(**values, **rules).model.figure()
    figure.png()
    renderer = figure.figure.canvas.get_renderer()
    labels = figure.overlay.label_boxes()
    assert any(text.startswith("yours") for text, _ in labels) == bool(rules)
    _assert_apart(labels, _node_boxes(figure.figure, renderer))


def _no_swap(upstream, x, y):
    return x * upstream, y * upstream


@pytest.mark.parametrize("rules", [{}, {"multiply": _no_swap}], ids=["engine only", "wrong"])
def test_graph_explorer_labels_stay_apart(rules):
    figure = GraphExplorer(rules=rules).model.figure()
    figure.png()
    renderer = figure.figure.canvas.get_renderer()
    _assert_apart(figure.overlay.label_boxes(), _node_boxes(figure.figure, renderer))


def _neuron():
    x0, x1, w0, w1, b = Value(-1.0), Value(-2.0), Value(2.0), Value(-3.0), Value(-3.0)
    return (x0 * w0 + x1 * w1 + b).sigmoid()


def _fan_out():
    x, y = Value(1.5), Value(-0.75)
    z = x * y + x
    return (z * z + y).tanh() if hasattr(z, "tanh") else z * z + y


def _diamond():
    a = Value(2.0)
    b, c = a * 3.0, a + 1.0
    return b * c + a


@pytest.mark.parametrize("build", [_neuron, _fan_out, _diamond])
def test_draw_graph_labels_stay_apart(build):
    root = build()
    root.backward()
    ax = draw_graph(root)
    figure = ax.figure
    try:
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        height = figure.bbox.height
        nodes, labels = [], []
        for text in ax.texts:
            if not text.get_text():
                continue
            patch = text.get_bbox_patch()
            if patch is not None:           # a node: its label is inside its own box
                nodes.append(_flip(patch.get_window_extent(renderer), height))
            else:
                labels.append((text.get_text(), _flip(text.get_window_extent(renderer), height)))
        assert labels and nodes
        _assert_apart(labels, nodes)
    finally:
        plt.close(figure)
