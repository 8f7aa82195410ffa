"""The widgets in a real browser: JupyterLab from this environment, driven by Chromium.

Starts `jupyter lab` on a free local port (no token, a throw-away config, data and runtime
folder), opens a copy of playground/gradient-flow.ipynb in the system Chromium through
Playwright, runs all cells, and checks that every widget rendered its sliders and its figure with
no error output; then moves a slider with the keyboard and checks that the figure and the shown
gradient change, to the value the engine gives; and that the training monitor (assignment 07)
followed its run to the last snapshot. Screenshots go to test-artifacts/.
"""

import shutil
import time

import pytest

from lab_server import CHROMIUM, CHROMIUM_ARGS, Deadline, lab_server

NOTEBOOK = "gradient-flow.ipynb"
TOTAL_SECONDS = 150        # the whole test, server start to shutdown


KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
                   && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""

ALL_CELLS_RAN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    const busy = c => { const p = c.node.querySelector('.jp-InputPrompt');
                        return p !== null && p.textContent.includes('*'); };
    return kernel.status === 'idle' && cells.length > 0
           && cells.every(c => c.model.executionCount !== null && !busy(c));
}"""


@pytest.mark.slow
def test_widgets_render_and_respond_in_jupyterlab(repo_root, tmp_path, artifacts_dir,
                                                  system_tool):
    system_tool("chromium", CHROMIUM)
    from playwright.sync_api import sync_playwright

    from course.widgets.graph import NEURON_INPUTS, sigmoid_neuron
    from course.value import Value

    deadline = Deadline(TOTAL_SECONDS)
    root, home = tmp_path / "notebooks", tmp_path / "home"
    root.mkdir()
    shutil.copy(repo_root / "playground" / NOTEBOOK, root / NOTEBOOK)
    console = []
    started = time.monotonic()
    try:
        with lab_server(root, home, artifacts_dir / "jupyterlab.log", deadline) as port:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
                    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
                    page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}",
                              timeout=deadline.ms(60))
                    page.wait_for_function(KERNEL_IDLE, timeout=deadline.ms(90), polling=250)
                    page.evaluate("window.jupyterapp.commands.execute("
                                  "'notebook:run-all-cells')")
                    page.wait_for_function(ALL_CELLS_RAN, timeout=deadline.ms(120),
                                           polling=250)
                    page.screenshot(path=str(artifacts_dir / "01-after-run-all.png"))
                    check_rendered(page, artifacts_dir, deadline)
                    check_the_training_monitor(page)
                    move_a_slider(page, artifacts_dir, deadline, sigmoid_neuron,
                                  NEURON_INPUTS, Value)
                finally:
                    browser.close()
    finally:
        (artifacts_dir / "browser-console.log").write_text("\n".join(console))
    print(f"browser test: {time.monotonic() - started:.1f} s")


def check_rendered(page, artifacts_dir, deadline):
    widgets = page.locator(".course-widget")
    figures = page.locator(".jp-OutputArea-output.jp-RenderedImage img")
    page.wait_for_function("document.querySelectorAll('.course-widget .widget-slider')"
                           ".length > 0", timeout=deadline.ms(30))
    n = widgets.count()
    assert n >= 6, f"only {n} widgets rendered"
    assert figures.count() == n, f"{n} widgets but {figures.count()} figures"
    for i in range(n):
        assert widgets.nth(i).locator(".widget-slider").count() >= 1, f"widget {i}: no slider"
    errors = page.locator('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"], '
                          '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')
    assert errors.count() == 0, "error output: " + " | ".join(errors.all_inner_texts())[:2000]
    assert "Error displaying widget" not in page.locator(".jp-Notebook").text_content()
    for i in range(n):   # one picture per widget, for a human to look at
        cell = page.locator(".jp-CodeCell", has=page.locator(".course-widget")).nth(i)
        cell.scroll_into_view_if_needed(timeout=deadline.ms(10))
        cell.locator(".jp-Cell-outputWrapper").screenshot(
            path=str(artifacts_dir / f"widget-{i + 1}.png"), timeout=deadline.ms(20))


def check_the_training_monitor(page):
    """The last widget is assignment 07's monitor: it followed the training to its last snapshot
    (the playground records 15), with a row per layer and its figure."""
    cell = page.locator(".jp-CodeCell", has=page.locator(".course-widget")).last
    readout = cell.locator(".course-readout").first
    text = readout.text_content()
    assert "Snapshot 15 of 15" in text and "step 140" in text, text
    assert all(name in text for name in ("layer 1", "layer 2", "ReLU")), text
    assert cell.locator(".jp-RenderedImage img").count() == 1


def move_a_slider(page, artifacts_dir, deadline, neuron, start, Value):
    """The first widget is the graph explorer on the neuron: move w0, expect new numbers."""
    cell = page.locator(".jp-CodeCell", has=page.locator(".course-widget")).first
    cell.scroll_into_view_if_needed(timeout=deadline.ms(10))
    figure = cell.locator(".jp-RenderedImage img").first
    readout = cell.locator(".course-readout").first
    slider = cell.locator(".widget-slider").first
    slider.wait_for(state="visible", timeout=deadline.ms(20))
    # textContent, not innerText: the notebook may skip rendering cells out of view
    assert "w0" in slider.text_content()
    src_before, text_before = figure.get_attribute("src"), readout.text_content()
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first
    handle.focus(timeout=deadline.ms(10))
    for _ in range(25):                      # 25 steps of 0.01
        page.keyboard.press("ArrowRight")
    # JupyterLab renders an updated image into a new <img>: look it up afresh on every poll
    page.wait_for_function(
        "([cell, before]) => { const img = cell.querySelector('.jp-RenderedImage img');"
        " return img !== null && img.getAttribute('src') !== before; }",
        arg=[cell.element_handle(), src_before], timeout=deadline.ms(30), polling=100)
    w0 = float(slider.locator(".widget-readout").text_content())
    assert w0 > start["w0"], "the slider did not move"
    values = {**start, "w0": w0}
    leaves = {k: Value(v) for k, v in values.items()}
    out = neuron(**leaves)
    out.backward()
    expected = f"{leaves['x0'].grad:.4g}"    # dL/dx0 = w0 * (gradient at the gate): it changes
    page.wait_for_function("([el, text]) => el.textContent.includes(text)",
                           arg=[readout.element_handle(), expected], timeout=deadline.ms(30),
                           polling=100)
    text_after = readout.text_content()
    assert text_after != text_before
    assert f"{leaves['w0'].grad:.4g}" in text_after
    cell.locator(".jp-Cell-outputWrapper").screenshot(
        path=str(artifacts_dir / "02-after-moving-w0.png"), timeout=deadline.ms(20))
