"""Every notebook a student opens reads well with a screen reader: one H1, no skipped heading
level, links that say where they go, and no figure shown without its text alternative.

Over source/ (the built notebooks), release/ and playground/. A screen reader lists a page's
headings and links to move around it: an H1 then an H3 is a missing level there, and a link
read out of context as "here" or as a bare address says nothing.

Notebooks are committed without outputs, so figures are also checked in the code: over the
scripts source/*/*.py, release/ and playground/, no cell calls plt.show() (JupyterLab shows
that PNG with no alt text) or opens a figure and never hands it to course.figures.show(fig, alt).
"""

import ast
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*REPO.glob("source/*/*.ipynb"), *REPO.glob("release/*/*.ipynb"),
                    *REPO.glob("playground/*.ipynb")])

SCRIPTS = sorted(REPO.glob("source/*/*.py"))
CODE_NOTEBOOKS = sorted([*SCRIPTS, *REPO.glob("release/*/*.ipynb"),
                         *REPO.glob("playground/*.ipynb")])
# Calls that open a new matplotlib figure (draw_graph does unless it is given ax=).
FIGURE_OPENERS = {"subplots", "figure", "subplot_mosaic", "show_digits", "plot_history",
                  "draw_graph"}

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+\S")
HTML_HEADING = re.compile(r"<h([1-6])\b", re.IGNORECASE)
MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
HTML_LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
# Link texts that say nothing out of context (WCAG 2.4.4, Link Purpose).
VAGUE = {"here", "click here", "this", "this link", "link", "more", "read more", "see here",
         "this page", "page", "click", "go"}


def markdown_lines(nb):
    """(cell number, line) of every Markdown line outside code fences."""
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if FENCE.match(line):
                fenced = not fenced
            elif not fenced:
                yield number, line


def heading_levels(nb):
    """[(cell number, level, text)] of every heading, Markdown or HTML, in order."""
    found = []
    for number, line in markdown_lines(nb):
        match = HEADING.match(line)
        if match:
            found.append((number, len(match.group(1)), line.strip()))
        for level in HTML_HEADING.findall(line):
            found.append((number, int(level), line.strip()))
    return found


def heading_problems(nb):
    levels = heading_levels(nb)
    problems = []
    ones = [h for h in levels if h[1] == 1]
    if len(ones) != 1:
        problems.append(f"{len(ones)} H1 headings (one is the notebook's title): "
                        + "; ".join(f"cell {c}: {t}" for c, _, t in ones))
    if levels and levels[0][1] != 1:
        problems.append(f"the first heading is not the H1: cell {levels[0][0]}: {levels[0][2]}")
    for (_, before, _), (cell, level, text) in zip(levels, levels[1:]):
        if level > before + 1:
            problems.append(f"cell {cell}: H{level} after H{before} skips a level: {text}")
    return problems


def link_text_problems(nb):
    problems = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "markdown":
            continue
        texts = MARKDOWN_LINK.findall(cell.source)
        texts += [(re.sub(r"<[^>]+>", "", t), "") for t in HTML_LINK.findall(cell.source)]
        for text, _ in texts:
            plain = text.strip().strip("*_`").strip().lower()
            if not plain or plain in VAGUE or re.match(r"^(https?://|www\.)", plain):
                problems.append(f"cell {number}: link text {text!r} does not say where it goes")
    return problems


def unlabelled_figures(nb):
    """Outputs saved with a PNG but no text alternative (course.figures.show gives one)."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if "image/png" in data and not alt:
                found.append(f"cell {number}: a figure with no text alternative")
    return found


def called_name(call):
    """The name a call is made by: f for f(...), show for plt.show(...)."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def figures_without_alternative(nb):
    """Code cells that show a figure without a text alternative: a plt.show() call, or a figure
    opened (plt.subplots, plt.figure, show_digits, plot_history, draw_graph without ax=) in a
    cell that never calls show(fig, alt=...)."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)]
        if any(called_name(c) == "show" and isinstance(c.func, ast.Attribute)
               and getattr(c.func.value, "id", None) in ("plt", "pyplot") for c in calls):
            found.append(f"cell {number}: plt.show() shows a figure with no text alternative; "
                         "use course.figures.show(fig, alt=...)")
        opened = [called_name(c) for c in calls if called_name(c) in FIGURE_OPENERS
                  and not (called_name(c) == "draw_graph"
                           and any(k.arg == "ax" for k in c.keywords))]
        shown = any(called_name(c) == "show" and isinstance(c.func, ast.Name) for c in calls)
        if opened and not shown:
            found.append(f"cell {number}: {opened[0]}() opens a figure that no "
                         "show(fig, alt=...) displays with a text alternative")
    return found


def test_the_checks_catch_what_they_look_for():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n### Skipped\n\nSee [here](https://x.org)."),
        nbformat.v4.new_markdown_cell("```\n# not a heading\n```\n# Second title\n"
                                      "[https://x.org](https://x.org) and "
                                      "[the course's guide](guide.md)"),
    ])
    assert heading_problems(nb) == [
        "2 H1 headings (one is the notebook's title): cell 1: # Title; cell 2: # Second title",
        "cell 1: H3 after H1 skips a level: ### Skipped"]
    assert link_text_problems(nb) == [
        "cell 1: link text 'here' does not say where it goes",
        "cell 2: link text 'https://x.org' does not say where it goes"]
    figure = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0KGgo="})])
    assert unlabelled_figures(nbformat.v4.new_notebook(cells=[figure])) == [
        "cell 1: a figure with no text alternative"]
    cells = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()"),
        nbformat.v4.new_code_cell("%matplotlib inline\ndraw_graph(out)"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\ndraw_graph(out, ax=ax)\n"
                                  "show(fig, alt=graph_alt(out))"),
        nbformat.v4.new_code_cell("def bars(ax, v):\n    ax.bar(range(len(v)), v)"),
    ])
    assert figures_without_alternative(cells) == [
        "cell 1: plt.show() shows a figure with no text alternative; "
        "use course.figures.show(fig, alt=...)",
        "cell 1: subplots() opens a figure that no show(fig, alt=...) displays with a text "
        "alternative",
        "cell 2: draw_graph() opens a figure that no show(fig, alt=...) displays with a text "
        "alternative"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(REPO)) for p in NOTEBOOKS])
def test_a_notebook_has_one_title_no_skipped_level_and_descriptive_links(path):
    nb = nbformat.read(path, as_version=4)
    problems = heading_problems(nb) + link_text_problems(nb) + unlabelled_figures(nb)
    assert not problems, f"{path.relative_to(REPO)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CODE_NOTEBOOKS,
                         ids=[str(p.relative_to(REPO)) for p in CODE_NOTEBOOKS])
def test_every_figure_a_notebook_draws_is_shown_with_a_text_alternative(path):
    nb = jupytext.read(path) if path.suffix == ".py" else nbformat.read(path, as_version=4)
    problems = figures_without_alternative(nb)
    assert not problems, f"{path.relative_to(REPO)}:\n" + "\n".join(problems)
