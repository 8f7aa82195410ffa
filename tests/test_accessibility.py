"""The course's colours and figures for every student: the palette stays apart under the common
colour-vision deficiencies, text on coloured cells reads at WCAG's 4.5:1, a mistake is not shown
by colour alone, and every figure says in words what it shows.

Colour-vision deficiency is simulated with Machado, Oliveira & Fernandes (2009), "A
Physiologically-based Model for Simulation of Color Vision Deficiency", IEEE TVCG 15(6),
severity 1.0 (dichromacy), applied to linear sRGB; colour distance is CIEDE2000 (Sharma, Wu &
Dalal 2005, "The CIEDE2000 color-difference formula: implementation notes") in CIELAB (D65).
"""

import hashlib

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_rgb

from course import figures
from course.diagnose import WORDS
from course.figures import (FORWARD_CMAP, FORWARD_COLOR, GRADIENT_CMAP, GRADIENT_COLOR,
                            LOCAL_CMAP, MISMATCH_COLOR, NODE_FACE, contrast_ratio, ink_on)
from course.value import Value
from course.widgets import GatePatterns, GraphExplorer, MatmulGradients
from course.widgets.arrays import CMAP as MATMUL_CMAP

# Machado et al. (2009), Table 1, severity 1.0: linear-RGB -> simulated linear-RGB.
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "normal vision": np.eye(3),
}
# "Clearly different at a glance" (CIEDE2000 of 20 and more); a just-noticeable difference is 1-2.
MIN_DISTANCE = 20.0
WCAG_AA_TEXT = 4.5


def to_linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def to_srgb(linear):
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def simulate(rgb, deficiency):
    return to_srgb(MACHADO[deficiency] @ to_linear(rgb))


def cielab(rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ to_linear(rgb)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1, lab2):
    """CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma et al. (2005)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    C_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    G = 0.5 * (1 - np.sqrt(C_bar ** 7 / (C_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp, dCp = L2 - L1, C2p - C1p
    dh = h2p - h1p
    if C1p * C2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lp_bar, Cp_bar = (L1 + L2) / 2, (C1p + C2p) / 2
    if C1p * C2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    else:
        hp_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    T = (1 - 0.17 * np.cos(np.radians(hp_bar - 30)) + 0.24 * np.cos(np.radians(2 * hp_bar))
         + 0.32 * np.cos(np.radians(3 * hp_bar + 6)) - 0.20 * np.cos(np.radians(4 * hp_bar - 63)))
    d_theta = 30 * np.exp(-(((hp_bar - 275) / 25) ** 2))
    R_C = 2 * np.sqrt(Cp_bar ** 7 / (Cp_bar ** 7 + 25 ** 7))
    S_L = 1 + 0.015 * (Lp_bar - 50) ** 2 / np.sqrt(20 + (Lp_bar - 50) ** 2)
    S_C, S_H = 1 + 0.045 * Cp_bar, 1 + 0.015 * Cp_bar * T
    R_T = -np.sin(np.radians(2 * d_theta)) * R_C
    return float(np.sqrt((dLp / S_L) ** 2 + (dCp / S_C) ** 2 + (dHp / S_H) ** 2
                         + R_T * (dCp / S_C) * (dHp / S_H)))


def test_ciede2000_matches_sharmas_published_pairs():
    # Sharma et al. (2005), Table 1, pairs 1, 7 and 17.
    assert ciede2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(2.0425,
                                                                                      abs=1e-4)
    assert ciede2000((50.0, 0.0, 0.0), (50.0, -1.0, 2.0)) == pytest.approx(2.3669, abs=1e-4)
    assert ciede2000((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)) == pytest.approx(27.1492, abs=1e-4)


def test_the_simulation_merges_what_protanopes_cannot_tell_apart():
    red, green = (0.8, 0.2, 0.2), (0.4, 0.45, 0.2)     # distinct to most eyes
    normal = ciede2000(cielab(red), cielab(green))
    protan = ciede2000(cielab(simulate(red, "protanopia")), cielab(simulate(green, "protanopia")))
    assert normal > 25 and protan < normal / 3


PALETTE = {"forward": FORWARD_COLOR, "gradient": GRADIENT_COLOR, "mismatch": MISMATCH_COLOR}


@pytest.mark.parametrize("deficiency", list(MACHADO))
def test_forward_gradient_and_mismatch_stay_apart(deficiency):
    seen = {name: cielab(simulate(to_rgb(color), deficiency)) for name, color in PALETTE.items()}
    names = list(seen)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            distance = ciede2000(seen[a], seen[b])
            assert distance >= MIN_DISTANCE, (
                f"{deficiency}: {a} and {b} are only {distance:.1f} apart (CIEDE2000)")


@pytest.mark.parametrize("name", list(PALETTE))
@pytest.mark.parametrize("background", ["white", NODE_FACE])
def test_the_palette_reads_as_text_on_the_figures_backgrounds(name, background):
    ratio = contrast_ratio(to_rgb(PALETTE[name]), to_rgb(background))
    assert ratio >= WCAG_AA_TEXT, f"{name} on {background}: {ratio:.2f}:1"


def test_wcag_contrast_is_computed_as_the_standard_says():
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast_ratio(to_rgb("#767676"), (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("cmap", [LOCAL_CMAP, FORWARD_CMAP, GRADIENT_CMAP, MATMUL_CMAP],
                         ids=["local", "forward", "gradient", "matmul"])
def test_numbers_on_heatmap_cells_read_at_4_5_to_1(cmap):
    colormap = colormaps[cmap] if isinstance(cmap, str) else cmap
    for t in np.linspace(0, 1, 257):
        cell = colormap(t)[:3]
        ink = to_rgb(ink_on(cell))
        assert contrast_ratio(ink, cell) >= WCAG_AA_TEXT, (cmap, t)


def test_the_mismatch_number_sits_on_white_not_on_the_cell():
    """On a wrong cell of the matrix widget the student's number (MISMATCH_COLOR) is drawn on a
    white box, so it reads whatever the cell's colour (it was magenta on dark red)."""
    view = MatmulGradients(D=2, M=2, matmul_vjp=lambda g, x, W: (2 * (g @ W.T), x.T @ g))
    figure = view.model.draw()
    boxes = [p for ax in figure.figure.axes for p in ax.patches
             if p.get_facecolor()[:3] == (1.0, 1.0, 1.0) and p.get_zorder() >= 4]
    assert len(boxes) == int(view.model.wrong[0].sum()) > 0
    assert contrast_ratio(to_rgb(MISMATCH_COLOR), (1, 1, 1)) >= WCAG_AA_TEXT


# --- not colour alone -------------------------------------------------------------------------

def test_a_transposed_dW_changes_the_matrix_widgets_figure():
    """Non-square W: a transposed dL/dW has the wrong shape; the figure marks the panel (outline,
    hatch, and the shape in its title), not only the readout."""
    right = MatmulGradients(matmul_vjp=lambda g, x, W: (g @ W.T, x.T @ g))
    transposed = MatmulGradients(matmul_vjp=lambda g, x, W: (g @ W.T, (x.T @ g).T))
    assert right.model.W.shape[0] != right.model.W.shape[1]
    assert hashlib.sha256(right.png()).digest() != hashlib.sha256(transposed.png()).digest()
    dW_axes = transposed.model.draw().figure.axes[-1]
    assert "yours (2, 3)" in dW_axes.get_title()
    assert any(p.get_hatch() == figures.MISMATCH_HATCH for p in dW_axes.patches)
    assert any(WORDS["transpose"] in p for p in transposed.model.problems)


def test_a_wrong_matrix_cell_is_outlined_hatched_and_named():
    view = MatmulGradients(D=2, M=2, matmul_vjp=lambda g, x, W: (g @ W.T, (x.T @ g).T))
    axes = view.model.draw().figure.axes
    hatched = sum(p.get_hatch() == figures.MISMATCH_HATCH for ax in axes for p in ax.patches)
    assert hatched == int(view.model.wrong[1].sum()) > 0
    assert "dL/dW" in view.model.alt_text() and view.model.problems


def test_a_wrong_edge_is_dashed_and_named_not_only_magenta():
    def multiply_backward(upstream, x, y):
        return upstream * x, upstream * y           # swapped: the mistake students make

    view = GraphExplorer(rules={"multiply": multiply_backward})
    view.png()
    figure = view.model.figure()
    dashed = [a for a in figure.arrows if a.get_linestyle() not in ("-", "solid")]
    assert dashed and all(a.get_edgecolor()[:3] == to_rgb(MISMATCH_COLOR) for a in dashed)
    assert "Disagrees with the engine" in view.model.alt_text()


# --- figures say what they show -----------------------------------------------------------------

def test_a_graphs_text_alternative_names_every_node_with_its_value_and_gradient():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    out = (x * w + 1.0).tanh()
    out.backward()
    alt = figures.graph_alt(out)
    assert "input x: value 2, gradient" in alt and "input w: value -3, gradient" in alt
    assert f"value {out.data:.3g}, gradient 1" in alt
    assert f"gradient {x.grad:.3g}" in alt and f"gradient {w.grad:.3g}" in alt


def test_a_forward_only_graphs_text_alternative_names_no_gradient():
    x = Value(2.0, label="x")
    out = x * x
    assert "gradient" not in figures.graph_alt(out, show_grad=False)
    assert "input x: value 2" in figures.graph_alt(out, show_grad=False)


def test_a_heatmaps_text_alternative_lists_its_cells_or_sums_them_up():
    M = np.array([[1.0, -0.0], [2.5, -3.0]])
    alt = figures.matrix_alt(M, "dL/dW", rows=["$a$", "b"], cols=["x", "y"])
    assert alt == ("dL/dW: heatmap of a 2 by 2 array, columns x, y; row a: x: 1, y: 0; "
                   "row b: x: 2.5, y: -3")
    big = np.zeros((20, 30))
    big[3, 4], big[7, 8] = -2.0, 5.0
    alt = figures.matrix_alt(big)
    assert "20 by 30" in alt and "from -2 (row 3, column 4) to 5 (row 7, column 8)" in alt
    assert "2 of 600 entries are not zero" in alt


def test_a_line_plots_text_alternative_gives_each_lines_ends_and_extremes():
    x = np.arange(5.0)
    alt = figures.series_alt(x, {"loss": [3.0, 1.0, 0.5, np.nan, 0.8], "acc": [0, 1, 2, 3, 4]})
    assert alt == ("loss: from 3 at 0 to 0.8 at 4, lowest 0.5 at 2, highest 3 at 0; "
                   "acc: from 0 at 0 to 4 at 4, lowest 0 at 0, highest 4 at 4")
    assert figures.values_alt([4.0, -1.0]) == "1: 4, 2: -1"


def test_the_training_figures_text_alternatives_give_their_numbers():
    from course.training_figures import digits_alt, history_alt
    assert digits_alt([3, 1, 4], [3, 7, 4], columns=2, title="mistakes") == (
        "mistakes: 3 handwritten digits, 8 by 8 pixels, in 2 rows of up to 2, labelled "
        "3, 1 (said 7), 4.")
    history = {"train_loss": [2.0, 1.0, 0.5], "val_loss": [2.1, 0.9, 1.2],
               "train_acc": [0.3, 0.6, 0.9], "val_acc": [0.2, 0.7, 0.65], "best_epoch": 1}
    alt = history_alt(history, title="MLP")
    assert alt.startswith("MLP. Learning curves over 3 epochs")
    assert ("cross-entropy loss, validation: 2.1 in epoch 1, 1.2 in epoch 3, best 0.9 in epoch 2"
            in alt)
    assert "accuracy, training: 0.3 in epoch 1, 0.9 in epoch 3, best 0.9 in epoch 3" in alt
    assert alt.endswith("the best epoch on validation, 2.")


def test_a_figure_bundle_carries_its_alt_for_jupyterlab_nbconvert_and_text():
    data, metadata = figures.figure_bundle(b"\x89PNG...", 'a "graph" & its numbers', 10, 20)
    assert 'alt="a &quot;graph&quot; &amp; its numbers"' in data["text/html"]
    assert data["text/plain"] == 'a "graph" & its numbers'
    assert metadata["image/png"] == {"alt": 'a "graph" & its numbers', "width": 10, "height": 20}
    with pytest.raises(ValueError, match="text alternative"):
        figures.figure_bundle(b"\x89PNG...", "  ")


@pytest.mark.parametrize("widget", [GraphExplorer, GatePatterns, MatmulGradients])
def test_a_widgets_text_alternative_changes_with_its_slider(widget):
    view = widget()
    before = view.model.alt_text()
    name = view.model.controls[0].name
    control = view.model.control(name)
    view.set(**{name: control.max})
    after = view.model.alt_text()
    assert after != before and len(after) > 60


def test_the_reports_plots_have_text_alternatives_with_their_numbers():
    import a11y_pages
    from autograder import report
    rows = a11y_pages.graded_rows(a11y_pages.spec())
    alt = report.distribution_alt(rows, [a11y_pages.ASSIGNMENT])
    scores = sorted(r.score for r in rows if r.scored)
    assert f"{len(scores)} graded" in alt and "median" in alt
    rates = report.pass_rates(rows)
    a, t, hidden, passed, ran = rates[0]
    assert f"{t}{' (hidden)' if hidden else ''} {passed} of {ran}" in report.pass_rate_alt(rates)
