"""The widgets in a real browser: JupyterLab from this environment, driven by Chromium.

Starts `jupyter lab` on a free local port (no token, a throw-away config, data and runtime
folder), opens a copy of playground/gradient-flow.ipynb in the system Chromium through
Playwright, runs all cells, and checks that every widget rendered its sliders and its figure with
no error output; then moves a slider with the keyboard and checks that the figure and the shown
gradient change, to the value the engine gives; and that the training monitor (assignment 07)
followed its run to the last snapshot. Screenshots go to test-artifacts/.
"""

import shutil

import pytest

import a11y_pages
from conftest import require_system_tool
import axe_audit
from autograder.course_layout import notebook_file
from lab_server import CHROMIUM, CHROMIUM_ARGS, Deadline, lab_server

NOTEBOOK = "gradient-flow.ipynb"
RELEASED = "02-modular-backprop"
RELEASED_NOTEBOOK = f"{RELEASED}.ipynb"
TOTAL_SECONDS = 240        # the whole module, server start to shutdown
# A figure of the course in JupyterLab: an <img> with its text alternative (course.figures).
FIGURE = ".jp-OutputArea-output img[alt]"
SLIDER = ".course-widget .course-slider input[type=range]"


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


pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def lab(repo_root, tmp_path_factory):
    """One JupyterLab for the module, serving a copy of the playground, a released notebook and
    the student pack's README; yields (port, root, deadline). Its log goes to test-artifacts/."""
    require_system_tool("chromium", CHROMIUM)
    deadline = Deadline(TOTAL_SECONDS)
    base = tmp_path_factory.mktemp("lab")
    root, home = base / "notebooks", base / "home"
    root.mkdir()
    shutil.copy(repo_root / "playground" / NOTEBOOK, root / NOTEBOOK)
    shutil.copy(notebook_file(repo_root / "release", RELEASED), root / RELEASED_NOTEBOOK)
    (root / "README.md").write_text(a11y_pages.student_readme())
    logs = repo_root / "test-artifacts" / "browser"
    logs.mkdir(parents=True, exist_ok=True)
    with lab_server(root, home, logs / "jupyterlab.log", deadline) as port:
        yield port, root, deadline


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def playground(lab, browser, repo_root):
    """The playground open in JupyterLab, every cell run (the widgets rendered)."""
    port, _, deadline = lab
    console = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}", timeout=deadline.ms(60))
        page.wait_for_function(KERNEL_IDLE, timeout=deadline.ms(90), polling=250)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_CELLS_RAN, timeout=deadline.ms(120), polling=250)
        page.wait_for_function(f"document.querySelectorAll('{SLIDER}')"
                               ".length > 0", timeout=deadline.ms(30))
        yield page
    finally:
        (repo_root / "test-artifacts" / "browser" / "browser-console.log").write_text(
            "\n".join(console))
        page.close()


def test_widgets_render_and_respond_in_jupyterlab(playground, lab, artifacts_dir):
    from course.widgets.graph import NEURON_INPUTS, sigmoid_neuron
    from course.value import Value

    deadline = lab[2]
    playground.screenshot(path=str(artifacts_dir / "01-after-run-all.png"))
    check_rendered(playground, artifacts_dir, deadline)
    check_the_training_monitor(playground)
    move_a_slider(playground, artifacts_dir, deadline, sigmoid_neuron, NEURON_INPUTS, Value)


def test_a_slider_is_reached_with_tab_from_its_output_area(playground, lab, artifacts_dir):
    """Keyboard only: from the widget's cell, Tab reaches the first slider, and the arrow keys
    move it; its shown value and the readout change.

    The start is a click on the cell's input prompt ("[n]:", which selects the cell in command
    mode and is not focusable itself), not on the slider. Not the page's top: from there Tab
    walks JupyterLab's whole chrome (menus, side bars, tabs, toolbar, every earlier cell's
    editor) first, a number of stops that depends on JupyterLab's version and the notebook. Not
    the output prompt either: its overlay is a button that collapses the output. Chromium
    starts sequential focus navigation at the clicked point, so from there Tab alone must pass
    the cell's editor and land on the slider within a few stops.
    """
    page, deadline = playground, lab[2]
    cell = page.locator(".jp-CodeCell", has=page.locator(".course-widget")).nth(1)
    cell.scroll_into_view_if_needed(timeout=deadline.ms(10))
    slider = cell.locator(".course-slider input[type=range]").first
    shown = cell.locator(".course-slider-value").first
    readout = cell.locator(".course-readout").first
    value_before, text_before = shown.text_content(), readout.text_content()
    cell.locator(".jp-InputPrompt").first.click(timeout=deadline.ms(10))
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        if slider.evaluate("el => el === document.activeElement"):
            break
        stops.append(page.evaluate("() => { const a = document.activeElement; return a ? "
                                   "a.tagName + '.' + a.className : 'none'; }"))
    else:
        pytest.fail("Tab never reached the slider; it stopped at: " + " | ".join(stops))
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, before]) => el.textContent !== before",
                           arg=[shown.element_handle(), value_before], timeout=deadline.ms(30),
                           polling=100)
    page.wait_for_function("([el, before]) => el.textContent !== before",
                           arg=[readout.element_handle(), text_before], timeout=deadline.ms(30),
                           polling=100)
    assert float(shown.text_content()) > float(value_before)
    cell.locator(".jp-Cell-outputWrapper").screenshot(
        path=str(artifacts_dir / "after-tab-and-arrows.png"), timeout=deadline.ms(20))


# --- accessibility: axe-core over every page a student or TA reads -----------------------------

def assert_accessible(page, artifacts_dir, our_content=None):
    """No serious or critical WCAG 2.1 A/AA violation on the page (JupyterLab's own chrome
    exempt from axe_audit.CHROME_EXCLUSIONS' rules only); every finding goes to axe.txt."""
    found = axe_audit.audit(page, our_content)
    left = axe_audit.serious(axe_audit.chrome_exempt(found))
    (artifacts_dir / "axe.txt").write_text(
        f"{axe_audit.counts(found)}\n{axe_audit.summary(found)}\n")
    assert not left, "serious or critical accessibility violations:\n" + axe_audit.summary(left)


def open_static(browser, html_text, path):
    """A page of our own HTML, written to `path` and opened from the file."""
    path.write_text(html_text)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(path.as_uri())
    return page


def test_the_report_is_accessible(browser, artifacts_dir):
    page = open_static(browser, a11y_pages.report_html(), artifacts_dir / "report.html")
    assert_accessible(page, artifacts_dir)


def test_a_feedback_page_is_accessible(browser, artifacts_dir):
    page = open_static(browser, a11y_pages.feedback_html(), artifacts_dir / "feedback.html")
    assert_accessible(page, artifacts_dir)


def test_the_student_readme_in_jupyterlab_is_accessible(lab, browser, artifacts_dir):
    """The README as a student sees it: JupyterLab's own Markdown viewer."""
    port, _, deadline = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"http://127.0.0.1:{port}/lab/workspaces/readme", timeout=deadline.ms(60))
    page.wait_for_function("() => !!window.jupyterapp"
                           " && window.jupyterapp.commands.hasCommand('docmanager:open')",
                           timeout=deadline.ms(60), polling=250)
    page.evaluate("window.jupyterapp.commands.execute('docmanager:open', "
                  "{path: 'README.md', factory: 'Markdown Preview'})")
    page.locator(".jp-RenderedMarkdown h1").first.wait_for(timeout=deadline.ms(30))
    page.screenshot(path=str(artifacts_dir / "readme.png"))
    assert_accessible(page, artifacts_dir, axe_audit.OUR_CONTENT)


def test_a_released_notebook_in_jupyterlab_is_accessible(lab, browser, artifacts_dir):
    port, _, deadline = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"http://127.0.0.1:{port}/lab/workspaces/released/tree/{RELEASED_NOTEBOOK}",
              timeout=deadline.ms(60))
    page.wait_for_function(KERNEL_IDLE, timeout=deadline.ms(90), polling=250)
    page.locator(".jp-MarkdownCell .jp-RenderedMarkdown h1").first.wait_for(
        timeout=deadline.ms(30))
    page.screenshot(path=str(artifacts_dir / "released.png"))
    assert_accessible(page, artifacts_dir, axe_audit.OUR_CONTENT)


def test_the_playground_run_in_jupyterlab_is_accessible(playground, artifacts_dir):
    assert_accessible(playground, artifacts_dir, axe_audit.OUR_CONTENT)


def check_rendered(page, artifacts_dir, deadline):
    widgets = page.locator(".course-widget")
    figures = page.locator(FIGURE)
    page.wait_for_function(f"document.querySelectorAll('{SLIDER}')"
                           ".length > 0", timeout=deadline.ms(30))
    n = widgets.count()
    assert n >= 6, f"only {n} widgets rendered"
    assert figures.count() == n, f"{n} widgets but {figures.count()} figures"
    for i in range(n):
        assert widgets.nth(i).locator(".course-slider").count() >= 1, f"widget {i}: no slider"
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
    assert cell.locator(FIGURE).count() == 1


def move_a_slider(page, artifacts_dir, deadline, neuron, start, Value):
    """The first widget is the graph explorer on the neuron: move w0, expect new numbers."""
    cell = page.locator(".jp-CodeCell", has=page.locator(".course-widget")).first
    cell.scroll_into_view_if_needed(timeout=deadline.ms(10))
    figure = cell.locator(FIGURE).first
    readout = cell.locator(".course-readout").first
    slider = cell.locator(".course-slider").first
    slider.wait_for(state="visible", timeout=deadline.ms(20))
    # textContent, not innerText: the notebook may skip rendering cells out of view
    assert "w0" in slider.text_content()
    src_before, text_before = figure.get_attribute("src"), readout.text_content()
    alt_before = figure.get_attribute("alt")
    handle = slider.locator("input[type=range]")
    # a screen reader names it by its label, and reads the value with it
    assert handle.evaluate("el => el.labels[0].textContent") == "w0"
    handle.focus(timeout=deadline.ms(10))
    for _ in range(25):                      # 25 steps of 0.01
        page.keyboard.press("ArrowRight")
    # JupyterLab renders an updated image into a new <img>: look it up afresh on every poll
    page.wait_for_function(
        "([cell, before]) => { const img = cell.querySelector('.jp-OutputArea-output img');"
        " return img !== null && img.getAttribute('src') !== before; }",
        arg=[cell.element_handle(), src_before], timeout=deadline.ms(30), polling=100)
    w0 = float(slider.locator(".course-slider-value").text_content())
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
    assert handle.get_attribute("aria-valuetext") == f"w0 = {w0:.2f}"
    # the figure's text alternative follows the slider too: the new value of w0 and its gradient
    alt_after = cell.locator(FIGURE).first.get_attribute("alt")
    assert alt_after != alt_before
    assert f"input w0: value {w0:.3g}, gradient {leaves['w0'].grad:.3g}" in alt_after, alt_after
    cell.locator(".jp-Cell-outputWrapper").screenshot(
        path=str(artifacts_dir / "02-after-moving-w0.png"), timeout=deadline.ms(20))
