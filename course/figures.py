"""Drawing computational graphs and gradient flow with matplotlib, in the course's colours.

Forward values are always drawn in FORWARD_COLOR (blue), gradients in GRADIENT_COLOR (orange),
and anything that disagrees with the reference in MISMATCH_COLOR (magenta), never by colour
alone: a mismatch is also outlined and hatched, and named in the readout. The three stay apart
for protanopia and deuteranopia, and each reads at 4.5:1 on white and on NODE_FACE
(tests/test_accessibility.py).
"""

import base64
import html
import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from course.scalar_gates import symbol_of
from course.value import topological_order

FORWARD_COLOR = "#1f5fa8"
GRADIENT_COLOR = "#c2410c"
MISMATCH_COLOR = "#831843"
MISMATCH_HATCH = "////"   # the pattern over a wrong cell or gate, beside the colour
NODE_FACE = "#f4f6f8"

# Heatmaps of arrays: local derivatives (Jacobian entries) diverge around 0; forward values and
# gradients run from grey (negative) through white to their colour.
LOCAL_CMAP = "BrBG"
FORWARD_CMAP = LinearSegmentedColormap.from_list("forward", ["#6c757d", "white", FORWARD_COLOR])
GRADIENT_CMAP = LinearSegmentedColormap.from_list("gradient", ["#6c757d", "white", GRADIENT_COLOR])

def relative_luminance(rgb):
    """WCAG 2.1's relative luminance of an sRGB colour (components 0..1)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a, b):
    """WCAG 2.1's contrast ratio of two sRGB colours (1 to 21)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_on(background):
    """Black or white, whichever reads better on `background` (an sRGB tuple, 0..1): at least
    4.58:1 on any colour."""
    black, white = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    return "white" if contrast_ratio(background, white) > contrast_ratio(background, black) \
        else "black"


def graph_layers(root):
    """{node: column}: inputs in column 0, every gate one column right of its latest input."""
    column = {}
    for node in topological_order(root):
        column[id(node)] = 1 + max((column[id(p)] for p in node._parents), default=-1)
    return column


def edge_gradients(root):
    """[(parent, child, d root/d child * d child/d parent)]: what flows back along each edge.

    A node's `.grad` is the sum of the gradients on its outgoing edges (the copy gate).
    """
    return [(parent, node, local * node.grad)
            for node in topological_order(root)
            for parent, local in zip(node._parents, node._local_grads)]


def node_label(node):
    """A gate's symbol (course.scalar_gates), or an input's label (else its value)."""
    if node._parents:
        return symbol_of(node)
    return node.label or f"{node.data:.3g}"


def graph_positions(root):
    """{id(node): (x, y)}, drawn like a tree lying on its side: the inputs take one row each,
    in the order a depth-first walk from the output meets them (so a gate's inputs are
    neighbours), and each gate sits at the mean height of its inputs, one column right of them."""
    column = graph_layers(root)
    rows, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node._parents:
            rows.append(node)
        stack.extend(reversed(node._parents))
    y = {id(leaf): -1.25 * k for k, leaf in enumerate(rows)}
    for node in topological_order(root):
        if node._parents:
            y[id(node)] = sum(y[id(p)] for p in node._parents) / len(node._parents)
    position = {}
    for col in sorted(set(column.values())):
        members = sorted((n for n in topological_order(root) if column[id(n)] == col),
                         key=lambda n: -y[id(n)])
        previous = None
        for n in members:  # keep gates in one column at least 0.8 apart
            if previous is not None and y[id(n)] > previous - 0.8:
                y[id(n)] = previous - 0.8
            previous = y[id(n)]
            position[id(n)] = (col * 2.4, y[id(n)])
    return position


def draw_graph(root, ax=None, show_grad=True, edge_marks=None, title=None, fmt="{:.3g}"):
    """Draw the graph of a `Value` after `root.backward()`: values above edges, gradients below.

    Each edge carries its tail's forward value (blue) and the gradient flowing back along it
    (orange). edge_marks: optional {(id(parent), id(child)): text} drawn in MISMATCH_COLOR on
    those edges (where a student's rule disagrees with the reference). Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    order = topological_order(root)
    position = graph_positions(root)
    marks = edge_marks or {}
    edges = edge_gradients(root)
    pairs = [(id(parent), id(child)) for parent, child, _ in edges]
    labelled = []
    for (parent, _, grad), pair, bend in zip(edges, pairs, edge_bends(pairs, position)):
        start, end = position[pair[0]], position[pair[1]]
        labelled.append(_draw_edge(ax, start, end, fmt.format(parent.data),
                                   fmt.format(grad) if show_grad else None, marks.get(pair),
                                   bend))
    # The output: one more edge to the right, carrying the result and the seed gradient 1.
    xr, yr = position[id(root)]
    labelled.append(_draw_edge(ax, (xr, yr), (xr + 2.0, yr), fmt.format(root.data),
                               fmt.format(root.grad) if show_grad else None, None, 0.0,
                               to_node=False))

    nodes = [draw_node(ax, node, *position[id(node)]) for node in order]
    xs = [p[0] for p in position.values()] + [xr + 2.0]
    ys = [p[1] for p in position.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.4)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 0.9)
    ax.axis("off")
    _spread_labels(ax, labelled, nodes)
    legend = legend_keys(show_grad, "disagrees with the reference" if marks else None)
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(0, 0), ncol=3, fontsize=8,
              frameon=False)
    if title:
        ax.set_title(title)
    return ax


def draw_node(ax, node, x, y):
    """A node of a graph at (x, y): an input in a rounded box, a gate in a circle. Returns the
    Text (its box is the node)."""
    leaf = not node._parents
    return ax.text(x, y, node_label(node), ha="center", va="center", fontsize=11, zorder=3,
                   bbox=dict(boxstyle="round,pad=0.35" if leaf else "circle,pad=0.3",
                             fc=NODE_FACE, ec="#555555"))


def legend_keys(gradients=True, mismatch=None):
    """Legend handles for a graph: forward values, gradients (if drawn), and `mismatch` (the
    words for what MISMATCH_COLOR marks, if anything is marked)."""
    keys = [("forward value", FORWARD_COLOR)]
    if gradients:
        keys.append(("gradient flowing back", GRADIENT_COLOR))
    if mismatch:
        keys.append((mismatch, MISMATCH_COLOR))
    return [Line2D([], [], color=color, lw=0, marker="s", label=label) for label, color in keys]


def edge_bends(pairs, position):
    """The curvature of each edge (tail key, head key), for matplotlib's arc3 `rad`.

    Edges repeated between the same two nodes (x * x) fan out symmetrically; an edge whose
    straight line would run through another node bends around it; the others are straight.
    position: {key: (x, y)} for every node.
    """
    multiplicity, seen, bends = {}, {}, []
    for pair in pairs:
        multiplicity[pair] = multiplicity.get(pair, 0) + 1
    for pair in pairs:
        k = seen[pair] = seen.get(pair, -1) + 1
        m = multiplicity[pair]
        if m > 1:
            bends.append(0.3 * (2 * k / (m - 1) - 1))
        elif _blocked(position[pair[0]], position[pair[1]], position.values()):
            bends.append(-0.45)
        else:
            bends.append(0.0)
    return bends


def edge_ends(start, end, to_node=True):
    """Where an arrow from node `start` to node `end` begins and ends (clear of the nodes)."""
    return (start[0] + 0.35, start[1]), (end[0] - (0.35 if to_node else 0.0), end[1])


def edge_label_point(tail, head, bend, t=0.4):
    """The point t of the way along an arc3 arrow from tail to head, where its labels go
    (near the tail, where edges do not crowd)."""
    (x0, y0), (x1, y1) = tail, head
    dx, dy = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 + bend * dy, (y0 + y1) / 2 - bend * dx
    return ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1)


def _blocked(start, end, points):
    """Whether a node other than the ends lies on the straight segment start-end."""
    (x0, y0), (x1, y1) = start, end
    for x, y in points:
        if (x, y) in (start, end) or not min(x0, x1) < x < max(x0, x1):
            continue
        t = (x - x0) / (x1 - x0)
        if abs(y0 + t * (y1 - y0) - y) < 0.3:
            return True
    return False


# Where along its edge a label group may go (fraction of the way from the tail), in the order
# tried: near the tail first, where edges crowd least, then further along.
LABEL_STOPS = (0.4, 0.55, 0.3, 0.68, 0.22, 0.8)


def _draw_edge(ax, start, end, value_text, grad_text, mark, bend, to_node=True):
    """The arrow and its labels at LABEL_STOPS[0]; returns (tail, head, bend, [(Text, dy)]),
    dy: the label's offset from its point on the edge."""
    tail, head = edge_ends(start, end, to_node)
    ax.add_patch(FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=10,
                                 color="#888888", lw=1.2, connectionstyle=f"arc3,rad={bend}"))
    xm, ym = edge_label_point(tail, head, bend, LABEL_STOPS[0])
    texts = [(ax.text(xm, ym + 0.08, value_text, color=FORWARD_COLOR, ha="center", va="bottom",
                      fontsize=9), 0.08)]
    if grad_text is not None:
        texts.append((ax.text(xm, ym - 0.08, grad_text, color=GRADIENT_COLOR, ha="center",
                              va="top", fontsize=9), -0.08))
    if mark:
        texts.append((ax.text(xm, ym - 0.38, mark, color=MISMATCH_COLOR, ha="center", va="top",
                              fontsize=8, fontweight="bold"), -0.38))
    return tail, head, bend, texts


def _spread_labels(ax, labelled, nodes):
    """Move each edge's labels along their edge (LABEL_STOPS, the first that fits) until they
    touch no node and no label placed before them; an edge with no free stop keeps the first."""
    renderer = ax.figure.canvas.get_renderer()
    taken = [node.get_bbox_patch().get_window_extent(renderer) for node in nodes]

    def place(tail, head, bend, texts, t):
        xm, ym = edge_label_point(tail, head, bend, t)
        for text, dy in texts:
            text.set_position((xm, ym + dy))
        return [text.get_window_extent(renderer) for text, _ in texts]

    for tail, head, bend, texts in labelled:
        for t in LABEL_STOPS:
            boxes = place(tail, head, bend, texts, t)
            if not any(box.overlaps(other) for box in boxes for other in taken):
                break
        else:
            boxes = place(tail, head, bend, texts, LABEL_STOPS[0])
        taken += boxes


def show_matrix(ax, M, title, rows=None, cols=None, cmap=LOCAL_CMAP, fmt="{:.3g}", fontsize=10,
                max_labelled=100):
    """A heatmap of the 2-D array M on `ax`, symmetric around 0, with each value written in its
    cell when M has at most `max_labelled` entries; `rows`/`cols` label the axes' ticks."""
    M = np.asarray(M, dtype=float)
    lim = max(float(np.abs(M).max()), 1e-12)
    image = ax.imshow(M, cmap=cmap, vmin=-lim, vmax=lim)
    if M.size <= max_labelled:
        for (r, c), v in np.ndenumerate(M):
            ax.text(c, r, number_text(v, fmt), ha="center", va="center", fontsize=fontsize,
                    color=ink_on(image.cmap(image.norm(v))))
    ax.set_xticks(range(M.shape[1]), cols if cols is not None else range(M.shape[1]))
    ax.set_yticks(range(M.shape[0]), rows if rows is not None else range(M.shape[0]))
    ax.set_title(title, fontsize=11)


# --- text alternatives: how a figure reaches a screen reader ---------------------------------
#
# JupyterLab 4 draws an image/png output as an <img> with no alt (its renderImage reads only
# width, height and the background hints from the output's metadata), so a PNG alone is silent
# to a screen reader and fails axe-core's image-alt rule. A figure is therefore shown as an HTML
# <img alt=...> (JupyterLab prefers text/html, and its sanitizer keeps data: images), with the
# PNG and the alt text beside it in the same output for everything else: the PNG for nbconvert
# and the autograder's feedback (metadata {"image/png": {"alt": ...}}, as nbconvert reads it),
# the text for a terminal.

def figure_png(fig, dpi=100):
    """A matplotlib figure as PNG bytes (no timestamp, so the same figure gives the same bytes)."""
    # fig.tight_layout() leaves a placeholder layout engine behind, and savefig draws a figure
    # with any engine twice (once to lay it out). The layout is done already: drawing once gives
    # the same bytes in about half the time.
    engine = fig.get_layout_engine()
    placeholder = isinstance(engine, PlaceHolderLayoutEngine)
    if placeholder:
        fig.set_layout_engine(None)
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        if placeholder:
            fig.set_layout_engine(engine)
    return buffer.getvalue()


def figure_bundle(png, alt, width=None, height=None):
    """(data, metadata) of a display output showing the PNG bytes with the text alternative
    `alt`; width, height: its size in CSS pixels (None: the PNG's own)."""
    if not alt or not alt.strip():
        raise ValueError("a figure needs a text alternative that says what it shows")
    encoded = base64.b64encode(png).decode()
    size = "".join(f' {k}="{v}"' for k, v in (("width", width), ("height", height)) if v)
    tag = f'<img alt="{html.escape(alt, quote=True)}"{size} src="data:image/png;base64,{encoded}">'
    image_metadata = {"alt": alt, **({"width": width} if width else {}),
                      **({"height": height} if height else {})}
    return ({"text/html": tag, "image/png": encoded, "text/plain": alt},
            {"image/png": image_metadata})


def show(fig, alt, display_id=None):
    """Display a matplotlib figure with its text alternative (and close it, so the inline
    backend does not show it a second time without one). alt: what the figure shows, with its
    key numbers (e.g. graph_alt(root) for a graph)."""
    from IPython.display import display
    data, metadata = figure_bundle(figure_png(fig), alt)
    plt.close(fig)
    return display(data, metadata=metadata, raw=True, display_id=display_id)


def graph_alt(root, fmt="{:.3g}", title=None, show_grad=True):
    """The text alternative of draw_graph(root, show_grad=...): every node in forward order with
    its value (and gradient, if show_grad), and what each gate reads."""
    order = topological_order(root)
    names = {}
    for k, node in enumerate(order):
        names[id(node)] = node.label if not node._parents and node.label else (
            f"node {k + 1}" if node._parents else fmt.format(node.data))
    parts = []
    for node in order:
        grad = f", gradient {fmt.format(node.grad)}" if show_grad and node.grad is not None \
            else ""
        if node._parents:
            inputs = " and ".join(names[id(p)] for p in node._parents)
            parts.append(f"{names[id(node)]} = {symbol_of(node)} of {inputs}: value "
                         f"{fmt.format(node.data)}{grad}")
        else:
            parts.append(f"input {names[id(node)]}: value {fmt.format(node.data)}{grad}")
    head = f"{title}. " if title else ""
    return (f"{head}Computational graph, {len(order)} nodes, inputs on the left, output "
            f"{names[id(root)]} on the right. " + "; ".join(parts) + ".")


def number_text(value, fmt="{:.3g}"):
    """One number as the figures write it (fmt; -0 written as 0)."""
    return fmt.format(float(value) + 0.0)


def values_alt(values, labels=None, fmt="{:.3g}"):
    """'1: 4, 2: -1, 3: 5': the entries of a 1-D array, each after its label (default 1, 2, ...),
    as a bar chart or a heatmap's row lists them."""
    values = np.ravel(np.asarray(values, dtype=float))
    labels = labels if labels is not None else range(1, values.size + 1)
    return ", ".join(f"{label}: {number_text(v, fmt)}" for label, v in zip(labels, values))


LATEX_MARKS = str.maketrans("", "", "${}")


def matrix_alt(M, title=None, rows=None, cols=None, fmt="{:.3g}", max_listed=100):
    """The text alternative of show_matrix(ax, M, title, rows, cols): the shape, then every
    entry row by row when M has at most `max_listed` entries (as the heatmap writes them in its
    cells), else its range (with where the extremes are) and how many entries are not zero.
    rows/cols: the tick labels (default 0, 1, ...; LaTeX's $ and braces are dropped)."""
    M = np.atleast_2d(np.asarray(M, dtype=float))
    plain = lambda labels, n: [str(t).translate(LATEX_MARKS) for t in labels] \
        if labels is not None else [str(k) for k in range(n)]
    rows, cols = plain(rows, M.shape[0]), plain(cols, M.shape[1])
    head = f"{title}: " if title else ""
    head += f"heatmap of a {M.shape[0]} by {M.shape[1]} array"
    if M.size <= max_listed:
        body = "; ".join(f"row {r}: {values_alt(M[k], cols, fmt)}" for k, r in enumerate(rows))
        return f"{head}, columns {', '.join(cols)}; {body}"
    low, high = np.unravel_index(np.argmin(M), M.shape), np.unravel_index(np.argmax(M), M.shape)
    return (f"{head}; values from {number_text(M[low], fmt)} (row {rows[low[0]]}, column "
            f"{cols[low[1]]}) to {number_text(M[high], fmt)} (row {rows[high[0]]}, column "
            f"{cols[high[1]]}); {np.count_nonzero(M)} of {M.size} entries are not zero")


def series_alt(x, series, fmt="{:.3g}", x_fmt="{:.3g}"):
    """What each line of a line plot does: for {name: y values at x}, 'name: from y0 at x0 to
    yN at xN, lowest ymin at x, highest ymax at x' (NaNs skipped), one series after another."""
    x = np.asarray(x, dtype=float)
    parts = []
    for name, y in series.items():
        y = np.asarray(y, dtype=float)
        seen = np.flatnonzero(np.isfinite(y))
        first, last = seen[0], seen[-1]
        low, high = seen[np.argmin(y[seen])], seen[np.argmax(y[seen])]
        at = lambda k, y=y: f"{number_text(y[k], fmt)} at {number_text(x[k], x_fmt)}"
        parts.append(f"{name}: from {at(first)} to {at(last)}, lowest {at(low)}, "
                     f"highest {at(high)}")
    return "; ".join(parts)
