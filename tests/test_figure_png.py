"""course.figures.figure_png: every figure of the notebooks is turned into PNG bytes by it, in
every run of every notebook (a student's, nbval's, each graded submission's)."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course.figures import figure_png, show_matrix  # noqa: E402


def laid_out_figure():
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax, seed in zip(axes, (0, 1)):
        show_matrix(ax, np.random.default_rng(seed).normal(size=(3, 4)), f"panel {seed}")
    fig.tight_layout()
    return fig


def counting_draws(fig):
    calls = []
    draw = fig.draw
    fig.draw = lambda renderer: (calls.append(renderer), draw(renderer))[1]
    return calls


def test_a_tight_layout_figure_is_drawn_once_into_the_bytes_savefig_gives():
    fig = laid_out_figure()
    calls = counting_draws(fig)
    png = figure_png(fig)
    assert len(calls) == 1, f"drawn {len(calls)} times"

    again = laid_out_figure()          # the same figure saved the plain way, drawn twice
    plain_calls = counting_draws(again)
    buffer = io.BytesIO()
    again.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    assert len(plain_calls) == 2
    assert png == buffer.getvalue()
    # the figure keeps its layout engine for whatever comes next
    assert type(fig.get_layout_engine()) is type(again.get_layout_engine())
    plt.close("all")
