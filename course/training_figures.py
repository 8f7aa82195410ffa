"""Figures for training a classifier: a grid of digit images, and learning curves.

Both draw on pyplot axes, in the course's colours: the training set in FORWARD_COLOR, the
validation set in dark grey, mistakes in MISMATCH_COLOR. The notebook shows them with
course.figures.show and the text alternatives digits_alt and history_alt.
"""

import matplotlib.pyplot as plt
import numpy as np

from course.figures import FORWARD_COLOR, MISMATCH_COLOR, number_text

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


def digits_alt(labels, predictions=None, columns=10, title=None):
    """The text alternative of show_digits(images, labels, predictions, columns, title): how
    many images in how many rows, and each one's label (with what was said where it is wrong)."""
    rows = -(-len(labels) // columns)
    said = [f"{label} (said {predictions[k]})"
            if predictions is not None and predictions[k] != label else f"{label}"
            for k, label in enumerate(labels)]
    head = f"{title}: " if title else ""
    return (f"{head}{len(labels)} handwritten digits, 8 by 8 pixels, in {rows} row"
            f"{'s' if rows != 1 else ''} of up to {columns}, labelled " + ", ".join(said) + ".")


def history_alt(history, title=None):
    """The text alternative of plot_history(history, title): for the loss (log scale) and the
    accuracy per epoch, where the training and validation curves start, end and are best, and
    the best epoch on validation."""
    epochs = len(history["train_loss"])
    parts = []
    for key, label in CURVES:
        best = np.argmin if key == "loss" else np.argmax
        for subset in ("train", "val"):
            values = np.asarray(history[f"{subset}_{key}"], dtype=float)
            k = int(best(values))
            parts.append(f"{label}, {'training' if subset == 'train' else 'validation'}: "
                         f"{number_text(values[0])} in epoch 1, {number_text(values[-1])} in "
                         f"epoch {epochs}, best {number_text(values[k])} in epoch {k + 1}")
    head = f"{title}. " if title else ""
    marked = (f"; a dotted line marks the best epoch on validation, {history['best_epoch'] + 1}"
              if history.get("best_epoch") is not None else "")
    return (f"{head}Learning curves over {epochs} epochs, cross-entropy loss (log scale) on the "
            "left and accuracy on the right, training solid and validation dashed: "
            + "; ".join(parts) + marked + ".")
