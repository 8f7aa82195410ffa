"""The handwritten digits that scikit-learn ships, split once into train, validation and test.

`sklearn.datasets.load_digits`: 1,797 grey 8x8 images of the digits 0-9 (pixel values 0..16,
from the UCI optical recognition of handwritten digits data set). The file is inside the
scikit-learn package, so nothing downloads; the course depends on scikit-learn for this data only.

    data = digits_split()         # the course's split (seed 0)
    data.X_train.shape            # (1197, 1, 8, 8): N images, 1 channel, 8 x 8, float64 in [0, 1]
    data.y_train.shape            # (1197,): int64 labels 0..9

The split: one seeded permutation of all 1,797 images; its first 300 are the test set, the next
300 the validation set, the remaining 1,197 the training set.
"""

import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N_TEST = 300
N_VAL = 300
PIXEL_MAX = 16.0

HOW_TO_INSTALL = (
    "The digits come with scikit-learn, which this Python does not have.\n"
    "Install the course's dependencies again (they include it), then restart the kernel:\n"
    "    make lab                        (in the course folder: it reinstalls what is missing)\n"
    "    python -m pip install 'scikit-learn>=1.4,<2'     (or by hand, in the kernel's Python)\n"
    "    conda install -c conda-forge 'scikit-learn>=1.4,<2'     (conda users)")


class DatasetUnavailable(ImportError):
    """scikit-learn (which holds the digits) is not installed. In a notebook it shows as its
    message alone, without a traceback (IPython's `_render_traceback_`)."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {line}" if k == 0 else line
                for k, line in enumerate(str(self).splitlines())]


@dataclass(frozen=True)
class Split:
    """Images (N, 1, 8, 8) float64 and integer labels (N,) of the three sets."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def sizes(self):
        """{"train": N, "val": N, "test": N}."""
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def _bundled_digits_file():
    """The path of scikit-learn's digits.csv.gz, found without importing scikit-learn (which
    takes over a second: it imports SciPy), or None where it is not where load_digits reads it."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):      # a half-imported or stubbed-out sklearn
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def load_digits_arrays():
    """All 1,797 digits: images (N, 1, 8, 8) float64 scaled to [0, 1], labels (N,) int64.

    Read from the file load_digits reads (rows of 64 pixels and the label), the same numbers
    (tests/test_training_widget.py checks it); through load_digits itself if the file moved."""
    path = _bundled_digits_file()
    if path is not None:
        with gzip.open(path, "rt") as rows:
            table = np.loadtxt(rows, delimiter=",")
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        try:
            from sklearn.datasets import load_digits
        except ImportError as error:
            raise DatasetUnavailable(HOW_TO_INSTALL) from error
        digits = load_digits()
        pixels, labels = digits.data, digits.target
    images = pixels.astype(np.float64).reshape(-1, 1, 8, 8) / PIXEL_MAX
    return images, labels.astype(np.int64)


def digits_split(seed=0):
    """The digits in three sets (see the module's docstring); `seed` picks the permutation."""
    images, labels = load_digits_arrays()
    order = np.random.default_rng(seed).permutation(len(labels))
    test, val, train = order[:N_TEST], order[N_TEST:N_TEST + N_VAL], order[N_TEST + N_VAL:]
    return Split(images[train], labels[train], images[val], labels[val], images[test],
                 labels[test])
