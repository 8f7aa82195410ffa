"""Figures for training a classifier: a grid of digit images, and learning curves.

Both draw on pyplot axes (the notebook shows them with `plt.show()`), in the course's colours:
the training set in FORWARD_COLOR, the validation set in dark grey, mistakes in MISMATCH_COLOR.
"""

import matplotlib.pyplot as plt
import numpy as np

from course.figures import FORWARD_COLOR, MISMATCH_COLOR

VALIDATION_COLOR = "#333333"
CURVES = (("loss", "cross-entropy loss"), ("acc", "accuracy"))


def show_digits(images, labels, predictions=None, columns=10, title=None):
    """A grid of 8x8 images (N, 1, 8, 8) or (N, 8, 8) with their labels above them; where
    `predictions` (N,) differ from `labels`, the title says both, in MISMATCH_COLOR. Returns
    the figure."""
    images = np.asarray(images).reshape(len(images), 8, 8)
    rows = -(-len(images) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.05),
                                squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray_r", vmin=0.0, vmax=1.0)
        wrong = predictions is not None and predictions[k] != labels[k]
        text = f"{labels[k]} (said {predictions[k]})" if wrong else f"{labels[k]}"
        ax.set_title(text, fontsize=8, color=MISMATCH_COLOR if wrong else "black")
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def plot_history(history, title=None, axes=None):
    """Loss and accuracy per epoch: `history` holds lists "train_loss", "train_acc",
    "val_loss", "val_acc" (one entry per epoch) and optionally "best_epoch" (0-based), marked
    with a dotted line. Returns the two axes."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for ax, (key, label) in zip(axes, CURVES):
        epochs = np.arange(1, len(history[f"train_{key}"]) + 1)
        ax.plot(epochs, history[f"train_{key}"], color=FORWARD_COLOR, marker=".",
                label="training (mean over the epoch's minibatches)")
        ax.plot(epochs, history[f"val_{key}"], color=VALIDATION_COLOR, marker=".", ls="--",
                label="validation (after the epoch)")
        if history.get("best_epoch") is not None:
            ax.axvline(history["best_epoch"] + 1, color="#999999", ls=":", lw=1,
                       label="best epoch on validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=8, frameon=False, loc="lower right")
    if title:
        axes[0].figure.suptitle(title, fontsize=11)
    axes[0].figure.tight_layout()
    return axes
