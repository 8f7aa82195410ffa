"""The widgets' slider: a native `<input type="range">` with its `<label>` and an `<output>`.

ipywidgets' FloatSlider draws a noUiSlider handle (`role="slider"`) that no label names (the
description beside it is not tied to it), so a screen reader announces "slider 0.5" and nothing
else, and axe-core reports it (aria-input-field-name). A native range input named by its label is
announced with its name, moves with the arrow keys, Page Up/Down, Home and End, and needs no
extra ARIA. The same Python side as ipywidgets' sliders: `.value` (clipped to the range, and
rounded for an integer slider), `.observe(fn, names="value")`.
"""

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  const id = `course-slider-${Math.random().toString(36).slice(2)}`;
  el.classList.add("course-slider");
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "course-slider-label";
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  const output = document.createElement("output");
  output.htmlFor = id;
  output.className = "course-slider-value";
  el.append(label, input, output);
  const digits = () => (model.get("integer") ? 0
                        : Math.max(0, -Math.floor(Math.log10(model.get("step")))));
  const show = () => {
    label.textContent = model.get("description");
    input.min = model.get("min");
    input.max = model.get("max");
    input.step = model.get("step");
    input.value = model.get("value");
    output.textContent = Number(model.get("value")).toFixed(digits());
    input.setAttribute("aria-valuetext", `${model.get("description")} = ${output.textContent}`);
  };
  // JupyterLab's notebook shortcuts must not take the slider's keys (arrows, Page Up/Down,
  // Home, End): they move the slider, as in any page.
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  input.addEventListener("keydown", (event) => event.stopPropagation());
  input.addEventListener("input", () => {
    model.set("value", Number(input.value));
    model.save_changes();
  });
  model.on("change", show);
  show();
}
export default { render };
"""

_CSS = """
.course-slider { display: inline-flex; align-items: center; gap: 6px; margin: 0 12px 4px 0; }
.course-slider input { width: 160px; }
.course-slider-value { min-width: 3.5em; font-variant-numeric: tabular-nums; }
"""


class Slider(anywidget.AnyWidget):
    """A labelled range slider. integer: the value is an int."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    value = traitlets.Float(0.0).tag(sync=True)
    min = traitlets.Float(0.0).tag(sync=True)
    max = traitlets.Float(1.0).tag(sync=True)
    step = traitlets.Float(0.1).tag(sync=True)
    integer = traitlets.Bool(False).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("value")
    def _clip(self, proposal):
        value = min(max(proposal["value"], self.min), self.max)
        return float(round(value)) if self.integer else value
