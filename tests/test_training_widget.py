"""course.widgets.training (the monitor of assignment 07) and course.data, without a browser.

The monitor's model is plain Python; its view is an ipywidgets object that runs here without a
kernel, so "moving the slider" is setting its `.value`. course.data is checked on the real
digits that scikit-learn ships.
"""

import subprocess
import sys

import numpy as np
import pytest

from course import data
from course.figures import FORWARD_COLOR, GRADIENT_COLOR
from course.widgets.training import TrainingModel, TrainingMonitor

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png):
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def fill(recorder, steps=range(0, 100, 10)):
    for step in steps:
        recorder.record(step, {"1 Linear": 1.0 / (1 + step), "3 Linear": 0.5},
                        {"1 Linear": 1e-3, "3 Linear": 2e-3}, {"2 ReLU": step / 200},
                        epoch=step // 50)


# --- the model --------------------------------------------------------------------------------

def test_an_empty_monitor_says_so_and_still_draws():
    model = TrainingModel()
    assert model.current is None and model.snapshots == []
    assert "No snapshot yet" in model.readout_html()
    png = model.png()
    assert png.startswith(PNG_SIGNATURE) and png_size(png) == model.pixel_size()


def test_snapshots_are_recorded_and_the_slider_range_grows():
    model = TrainingModel()
    fill(model)
    assert len(model.snapshots) == 10
    assert model.control("snapshot").max == 9
    model.set(snapshot=100)                                  # clipped to the newest
    assert model.values["snapshot"] == 9 and model.current["step"] == 90
    model.set(snapshot=3)
    assert model.current == {"step": 30, "epoch": 0,
                             "grad_norms": {"1 Linear": 1 / 31, "3 Linear": 0.5},
                             "update_ratios": {"1 Linear": 1e-3, "3 Linear": 2e-3},
                             "dead_fractions": {"2 ReLU": 0.15}}
    steps, values = model.series("grad_norms")["1 Linear"]
    assert steps == list(range(0, 100, 10))
    assert values == pytest.approx([1 / (1 + s) for s in steps])


def test_the_readout_shows_the_chosen_snapshot_in_the_course_colours():
    model = TrainingModel()
    fill(model)
    model.set(snapshot=2)
    text = model.readout_html()
    assert "Snapshot 3 of 10" in text and "step 20 (epoch 1)" in text
    for name in ("1 Linear", "3 Linear", "2 ReLU"):
        assert name in text
    assert "0.04762" in text                                 # 1 / 21, the gradient norm
    assert GRADIENT_COLOR in text and FORWARD_COLOR in text  # gradients orange, forward blue


def test_the_figure_changes_with_the_snapshot():
    model = TrainingModel()
    fill(model)
    first = model.set(snapshot=0).png()
    last = model.set(snapshot=9).png()
    assert first.startswith(PNG_SIGNATURE) and first != last


def test_layers_can_come_and_go_between_snapshots():
    model = TrainingModel()
    model.record(0, {"a": 1.0})
    model.record(5, {"a": 0.5, "b": 0.0}, dead_fractions={"r": 1.0})   # zero norm: log floor
    assert model.series("grad_norms") == {"a": ([0, 5], [1.0, 0.5]), "b": ([5], [0.0])}
    assert model.png().startswith(PNG_SIGNATURE)
    assert ">b</td>" not in model.set(snapshot=0).readout_html()
    assert ">b</td>" in model.set(snapshot=1).readout_html()


def test_bad_records_are_refused_with_a_message():
    model = TrainingModel()
    with pytest.raises(TypeError, match="grad_norms must be a dict"):
        model.record(0, [1.0, 2.0])
    with pytest.raises(TypeError, match="update_ratios must be a dict"):
        model.record(0, {"a": 1.0}, {"a": "big"})
    assert model.snapshots == []                             # nothing half-recorded


# --- the view ---------------------------------------------------------------------------------

def test_the_monitor_follows_the_training_when_asked():
    monitor = TrainingMonitor()
    slider = monitor.sliders["snapshot"]
    fill(monitor, steps=range(0, 30, 10))
    assert slider.max == 2 and slider.value == 0             # recorded, not shown
    monitor.record(30, {"1 Linear": 0.1}, show=True)
    assert slider.value == 3 and monitor.model.current["step"] == 30
    assert "step 30" in monitor.readout.value
    slider.value = 1                                         # as dragging the slider does
    assert monitor.model.current["step"] == 10 and "step 10" in monitor.readout.value
    monitor.show_latest()
    assert slider.value == 3


def test_show_latest_redraws_when_the_slider_is_already_there():
    monitor = TrainingMonitor()
    monitor.record(0, {"a": 1.0}, show=True)
    before = monitor.readout.value
    monitor.record(1, {"a": 2.0})
    monitor.set(snapshot=1)
    assert monitor.readout.value != before and "step 1" in monitor.readout.value
    monitor.show_latest()                                    # no slider change: still redrawn
    assert "Snapshot 2 of 2" in monitor.readout.value


def test_the_static_figure_is_the_models():
    monitor = TrainingMonitor()
    fill(monitor)
    png = monitor.png()
    assert png.startswith(PNG_SIGNATURE) and monitor._repr_png_() == png
    assert png_size(png) == monitor.model.pixel_size()


# --- course.data ------------------------------------------------------------------------------

def test_the_digits_split_is_fixed_disjoint_and_covers_every_image():
    split = data.digits_split()
    assert split.sizes() == {"train": 1197, "val": 300, "test": 300}
    for X, y in ((split.X_train, split.y_train), (split.X_val, split.y_val),
                 (split.X_test, split.y_test)):
        assert X.dtype == np.float64 and X.shape == (len(y), 1, 8, 8)
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
        assert X.min() == 0.0 and X.max() == 1.0
    images, labels = data.load_digits_arrays()
    rows = {row.tobytes(): k for k, row in enumerate(images.reshape(len(images), -1))}
    seen = [rows[x.tobytes()] for X in (split.X_train, split.X_val, split.X_test)
            for x in X.reshape(len(X), -1)]
    assert len(seen) == len(images)                          # every image in exactly one set
    again = data.digits_split()
    assert np.array_equal(again.X_test, split.X_test) and np.array_equal(again.y_val, split.y_val)
    other = data.digits_split(seed=1)
    assert not np.array_equal(other.y_test, split.y_test)


def test_the_digits_are_load_digits_own_numbers_read_without_importing_scikit_learn():
    from sklearn.datasets import load_digits

    images, labels = data.load_digits_arrays()
    digits = load_digits()
    assert np.array_equal(images, digits.images[:, None, :, :] / data.PIXEL_MAX)
    assert np.array_equal(labels, digits.target)
    # scikit-learn's import (SciPy and all) takes over a second; the file alone does not need it
    code = ("import sys\nfrom course.data import load_digits_arrays\nload_digits_arrays()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", result.stdout


def test_without_scikit_learn_the_notebook_shows_how_to_get_it_not_a_traceback(tmp_path):
    # a kernel-like IPython shell in which sklearn cannot be imported
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from IPython.core.interactiveshell import InteractiveShell\n"
            "shell = InteractiveShell.instance()\n"
            "shell.run_cell('from course.data import digits_split\\ndata = digits_split()')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    shown = result.stdout + result.stderr
    assert "DatasetUnavailable: The digits come with scikit-learn" in shown
    assert "pip install 'scikit-learn>=1.4,<2'" in shown and "make lab" in shown
    assert "Traceback" not in shown and "File " not in shown, shown


def test_the_unavailable_dataset_is_an_import_error():
    assert issubclass(data.DatasetUnavailable, ImportError)
    error = data.DatasetUnavailable(data.HOW_TO_INSTALL)
    lines = error._render_traceback_()
    assert lines[0].startswith("DatasetUnavailable: ") and len(lines) == len(
        data.HOW_TO_INSTALL.splitlines())
