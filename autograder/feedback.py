"""Feedback: one HTML page per student and assignment, `OUT/feedback/<student>/<assignment>.html`.

What passed, what failed and why: the score, a table of the tests, then the notebook as graded:
the student's own cells with their outputs, the visible tests with theirs (an error's message
holds course.gradcheck's diagnosis of the mistake, and its traceback), and for a hidden test
only "hidden test: passed/failed, points" and its error's message line.

What it never shows (nbgrader's own feedback does: its issues 917 and 1363):

- hidden test code: a hidden test cell's source, its traceback, what it printed;
- the instructor's solutions, or anything of source/: every locked cell (tests, setup code,
  text) is shown as *released* to the students (the template's release), never as the autograded
  notebook holds it (nbgrader copies the instructor's version back in);
- HTML or JavaScript from a notebook's outputs: only text and PNG/JPEG images are rendered,
  everything escaped.
"""

import base64
import html
from pathlib import Path

import nbformat

from autograder import extract, results
from autograder.cells import cells_by_id, grade_id
from autograder.tables import number

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.score { font-size: 1.3rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.passed { color: #1a7f37; } .failed { color: #c62828; } .partial { color: #b26a00; }
pre { background: #f6f8fa; padding: .5rem .7rem; overflow-x: auto; white-space: pre-wrap;
      border-radius: 4px; margin: .3rem 0; font-size: .85rem; }
pre.stderr { background: #fff4e5; } pre.error { background: #fdecea; }
.cell { border-left: 4px solid #ddd; padding-left: .8rem; margin: 1.2rem 0; }
.cell.answer { border-color: #1f6feb; } .cell.test { border-color: #8250df; }
.cell.hidden { border-color: #999; }
.label { font-size: .8rem; color: #555; text-transform: uppercase; letter-spacing: .03em; }
.notes li { margin: .2rem 0; }
img { max-width: 100%; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: .6rem; margin-bottom: 1rem; }
mark { background: #fff1a8; }
"""

STATUS_EXPLAINED = {
    results.EMPTY: "Your submission was empty, so there was nothing to grade.",
    results.NO_NOTEBOOK: "Your submission held no notebook (.ipynb), so there was nothing to "
                         "grade.",
    results.UNREADABLE: "Your notebook file could not be read, so it could not be graded. "
                        "Open it in JupyterLab to check it, save it, and hand it in again.",
    results.TIMED_OUT: "Your notebook ran longer than the time limit and was stopped. Look for a "
                       "loop that never ends, or code that is much slower than it needs to be.",
    results.KERNEL_DIED: "The Python kernel stopped while running your notebook (for example "
                         "after `exit()`, `os._exit()` or running out of memory).",
    results.GRADING_ERROR: "Your notebook could not be graded automatically; a TA will look "
                           "at it.",
}


def esc(text):
    return html.escape(str(text), quote=True)


def page(title, body):
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
            f"</body>\n</html>\n")


def render_output(output):
    """HTML of one cell output: streams, errors (message and traceback), text and images."""
    kind = output.get("output_type")
    if kind == "stream":
        css = "stderr" if output.get("name") == "stderr" else "stdout"
        text = extract.clip(extract.plain(output.get("text", "")))
        return f'<pre class="{css}">{esc(text)}</pre>'
    if kind == "error":
        text = "\n".join(output.get("traceback", [])) or extract.message(output)
        return f'<pre class="error">{esc(extract.clip(extract.plain(text), keep="tail"))}</pre>'
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        for mime in ("image/png", "image/jpeg"):
            if mime in data:
                payload = data[mime]
                payload = "".join(payload) if isinstance(payload, list) else payload
                try:
                    base64.b64decode(payload, validate=False)
                except ValueError:
                    return ""
                alt = (output.get("metadata", {}).get(mime, {}).get("alt")
                       or "a figure of the notebook (it was shown without a text alternative)")
                return (f'<img alt="{esc(alt)}" src="data:{mime};base64,'
                        f'{esc(payload.strip())}">')
        if "text/plain" in data:
            text = data["text/plain"]
            text = "".join(text) if isinstance(text, list) else text
            return f"<pre>{esc(extract.clip(extract.plain(text)))}</pre>"
    return ""


def outcome_html(test):
    css = test["outcome"] if test["outcome"] in ("passed", "failed", "partial") else ""
    return (f'<span class="{css}">{esc(test["outcome"])}</span>, '
            f'{number(test["score"] or 0)} / {number(test["max_score"])}')


def tests_table(tests):
    lines = ['<table>', '<tr><th>test</th><th>result</th><th>why</th></tr>']
    for t in tests:
        kind = "hidden test" if t["hidden"] else "test"
        why = extract.clip(t.get("message") or "", 600)
        if t.get("restored"):
            why = ("(you had deleted this test cell; it was put back) " + why).strip()
        lines.append(f'<tr><td><a href="#{esc(t["id"])}">{esc(t["id"])}</a> '
                     f'<span class="label">{kind}</span></td><td class="num">{outcome_html(t)}'
                     f'</td><td><pre>{esc(why)}</pre></td></tr>' if why else
                     f'<tr><td><a href="#{esc(t["id"])}">{esc(t["id"])}</a> '
                     f'<span class="label">{kind}</span></td><td class="num">{outcome_html(t)}'
                     f'</td><td></td></tr>')
    lines.append("</table>")
    return "\n".join(lines)


def notebook_cells(nb, spec, release_nb, tests):
    """HTML of the graded notebook's code cells, safe to hand to the student (see the module)."""
    released = cells_by_id(release_nb)
    by_id = {t["id"]: t for t in tests}
    solutions = set(spec.solutions)
    shown, parts = set(), []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = grade_id(cell)
        if gid in shown:  # a copy: nbgrader graded the first
            gid = None
        if gid is not None:
            shown.add(gid)
        anchor = f' id="{esc(gid)}"' if gid else ""
        test = by_id.get(gid)
        if test is not None and test["hidden"]:
            message = f"<pre>{esc(test['message'])}</pre>" if test.get("message") else ""
            parts.append(f'<div class="cell hidden"{anchor}><div class="label">hidden test '
                         f'{esc(gid)}: {outcome_html(test)}</div>{message}</div>')
            continue
        outputs = "".join(render_output(o) for o in cell.get("outputs", []))
        if test is not None:
            source = released[gid].source if gid in released else ""
            parts.append(f'<div class="cell test"{anchor}><div class="label">test {esc(gid)}: '
                         f'{outcome_html(test)}</div><pre>{esc(source)}</pre>{outputs}</div>')
        elif gid in solutions:
            parts.append(f'<div class="cell answer"{anchor}><div class="label">your answer: '
                         f'{esc(gid)}</div><pre>{esc(cell.source)}</pre>{outputs}</div>')
        else:
            # Other cells (setup, examples, the student's own): collapsed, and their outputs
            # only when they hold an error (the figures of the lesson are not feedback).
            errors = "".join(render_output(o) for o in cell.get("outputs", [])
                             if o.get("output_type") == "error")
            if gid is not None:  # a locked cell: as released
                label = f"notebook code ({esc(gid)})"
                source = released[gid].source if gid in released else ""
            else:  # an unlocked cell: the student's version of it
                label, source = f"cell {index + 1}", cell.source
            parts.append(f'<div class="cell"{anchor}><details><summary class="label">{label}'
                         f'</summary><pre>{esc(source)}</pre></details>{errors}</div>')
    return "\n".join(parts)


def render(row, spec, release_nb, autograded_nb=None):
    """The feedback page of one row (a results.Result) as HTML text."""
    title = f"{row.assignment}: feedback for {row.student}"
    body = [f"<h1>{esc(row.assignment)} &mdash; {esc(row.student)}</h1>"]
    if row.scored:
        body.append(f'<p class="score">Score: {number(row.score)} / '
                    f'{number(row.max_score)}</p>')
    else:
        body.append(f'<p class="score">Not graded: {esc(row.status)}</p>')
        body.append(f"<p>{esc(STATUS_EXPLAINED.get(row.status, ''))}</p>")
    if row.notes:
        body.append('<h2>Notes</h2><ul class="notes">' + "".join(
            f"<li>{esc(n['text'])}</li>" for n in row.notes) + "</ul>")
    if row.tests:
        passed = sum(t["outcome"] == "passed" for t in row.tests)
        body.append(f"<h2>Tests: {passed} of {len(row.tests)} passed</h2>")
        body.append(tests_table(row.tests))
    if autograded_nb is not None:
        body.append("<h2>Your notebook, as graded</h2>")
        body.append("<p>Your code and its outputs, the visible tests with theirs; hidden "
                    "tests show only their result.</p>")
        body.append(notebook_cells(autograded_nb, spec, release_nb, row.tests))
    return page(title, "\n".join(body))


def page_path(row):
    """Where the row's page is, relative to OUT ("feedback/<student>/<assignment>.html"), or
    None: a "no submission" row has none."""
    if row.status == results.NO_SUBMISSION:
        return None
    return f"feedback/{row.student}/{row.assignment}.html"


def write_all(out, rows, templates):
    """Write OUT/feedback/<student>/<assignment>.html for every row but "no submission" ones,
    and remove the pages of these assignments left from earlier runs that no row has now (a
    student who is gone, or has no submission any more)."""
    out = Path(out)
    releases = {a: nbformat.read(t.release_notebook, as_version=4) for a, t in templates.items()}
    wanted = set()
    for row in rows:
        relative = page_path(row)
        if relative is None:
            continue
        autograded = None
        if row.autograded and (out / row.autograded).exists():
            autograded = nbformat.read(out / row.autograded, as_version=4)
        template = templates[row.assignment]
        results.write_if_changed(out / relative, render(row, template.spec,
                                                        releases[row.assignment], autograded))
        wanted.add(out / relative)
    for page in (out / "feedback").rglob("*.html") if (out / "feedback").exists() else ():
        if page.stem in templates and page not in wanted:  # other assignments' pages stay
            page.unlink()
