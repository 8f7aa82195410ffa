"""report.html: how the class did, at a glance, for the TA.

- a summary line per assignment (handed in, graded, mean and median score) and per status;
- plots (matplotlib, embedded as PNG): the score distribution of each assignment, and the pass
  rate of every test, hardest first (the exercises the class finds hardest);
- the submissions that need a human look (any status in results.LOOK), with the reason and a
  link to the feedback page, and the input files that could not be used (intake.csv);
- the solutions that are near-identical, between two students or to a function of the engine's
  source (similarity.py), side by side with the shared lines marked;
- where grading time went: seconds per notebook, kernel start vs execution.

The page is deterministic (no clock time in it): a re-run over the same results writes the same
bytes. Test ids and scores only: no test source.
"""

import base64
import io
import statistics
from collections import Counter, defaultdict

from autograder import results, similarity
from autograder.feedback import esc, page, page_path
from autograder.tables import number

INTAKE_PROBLEMS = ("not attributed", "unknown assignment")
PLOTTED_TESTS = 25  # the hardest tests in the plot; the table under it has them all


def plot_png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def score_distribution(rows, assignments):
    """One histogram per assignment of the scores of the graded submissions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(1, len(assignments))
    columns = min(3, n)
    lines = (n + columns - 1) // columns
    fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 2.6 * lines), squeeze=False)
    for ax, assignment in zip(axes.flat, assignments):
        graded = [r for r in rows if r.assignment == assignment and r.scored]
        top = max((r.max_score or 0 for r in rows if r.assignment == assignment),
                  default=0) or 1
        scores = [r.score for r in graded]
        ax.hist(scores, bins=min(20, max(5, int(top) + 1)), range=(0, top), color="#1f6feb",
                edgecolor="white")
        ax.set_title(f"{assignment} ({len(scores)} graded)", fontsize=9)
        ax.set_xlabel(f"score (of {top:g})", fontsize=8)
        ax.set_ylabel("students", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(assignments):]:
        ax.axis("off")
    fig.tight_layout()
    return plot_png(fig)


def pass_rates(rows):
    """[(assignment, test id, hidden, passed, ran)], hardest first."""
    counts = defaultdict(lambda: [0, 0])
    hidden = {}
    for r in rows:
        if not r.scored:
            continue
        for t in r.tests:
            key = (r.assignment, t["id"])
            counts[key][0] += t["outcome"] == "passed"
            counts[key][1] += 1
            hidden[key] = t["hidden"]
    rates = [(a, t, hidden[a, t], p, n) for (a, t), (p, n) in counts.items()]
    return sorted(rates, key=lambda x: (x[3] / x[4], x[0], x[1]))


def distribution_alt(rows, assignments):
    """The score histograms' text alternative: per assignment, how many were graded and their
    lowest, median and highest score."""
    parts = []
    for assignment in assignments:
        scores = sorted(r.score for r in rows if r.assignment == assignment and r.scored)
        top = max((r.max_score or 0 for r in rows if r.assignment == assignment), default=0)
        parts.append(f"{assignment}: {len(scores)} graded" + (
            f", scores from {number(scores[0])} to {number(scores[-1])} of {number(top)}, "
            f"median {number(statistics.median(scores))}" if scores else ""))
    return "Histogram of the scores, one per assignment. " + "; ".join(parts) + "."


def pass_rate_alt(rates):
    """The pass-rate bars' text alternative: every test plotted with how many passed."""
    shown = rates[:PLOTTED_TESTS]
    return ("Bars of the share of students who passed each test, hardest first: " + "; ".join(
        f"{a}: {t}{' (hidden)' if h else ''} {p} of {n}" for a, t, h, p, n in shown) + ".")


def pass_rate_plot(rates):
    """Bars of the pass rate of the hardest tests (at most PLOTTED_TESTS of them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = rates[:PLOTTED_TESTS]
    fig, ax = plt.subplots(figsize=(8.5, 0.24 * len(shown) + 0.9))
    labels = [f"{a}: {t}" for a, t, *_ in shown]
    values = [100 * p / n for *_, p, n in shown]
    colors = ["#8c8c8c" if h else "#8250df" for _, _, h, _, _ in shown]
    ax.barh(range(len(shown)), values, color=colors)
    for y, (value, (*_, p, n)) in enumerate(zip(values, shown)):
        ax.text(min(value + 1, 88), y, f"{p}/{n}", va="center", fontsize=7)
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)   purple: visible test, grey: hidden test", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return plot_png(fig)


def summary_table(rows, assignments):
    lines = ["<table>", "<tr><th>assignment</th><th>students</th><th>handed in</th>"
             "<th>graded</th><th>needs a look</th><th>mean</th><th>median</th><th>max</th></tr>"]
    for a in assignments:
        mine = [r for r in rows if r.assignment == a]
        handed = [r for r in mine if r.status != results.NO_SUBMISSION]
        graded = [r.score for r in mine if r.scored]
        look = [r for r in mine if r.status in results.LOOK]
        top = max((r.max_score or 0 for r in mine), default=0)
        mean = f"{statistics.mean(graded):.1f}" if graded else ""
        median = number(statistics.median(graded)) if graded else ""
        lines.append(f"<tr><td>{esc(a)}</td><td class=num>{len(mine)}</td><td class=num>"
                     f"{len(handed)}</td><td class=num>{len(graded)}</td><td class=num>"
                     f"{len(look)}</td><td class=num>{mean}</td><td class=num>{median}</td>"
                     f"<td class=num>{number(top)}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def status_line(rows):
    counts = Counter(r.status for r in rows)
    return ", ".join(f"{counts[s]} {esc(s)}" for s in results.STATUSES if counts[s])


def look_table(rows):
    look = [r for r in rows if r.status in results.LOOK]
    if not look:
        return "<p>None.</p>"
    lines = ["<table>", "<tr><th>student</th><th>assignment</th><th>status</th><th>score</th>"
             "<th>why</th></tr>"]
    for r in look:
        why = "; ".join(n["text"] for n in r.notes if n["level"] == "review") or "; ".join(
            n["text"] for n in r.notes)
        link = (f'<a href="{esc(page_path(r))}">{esc(r.student)}</a>' if page_path(r)
                else esc(r.student))
        lines.append(f"<tr><td>{link}</td><td>{esc(r.assignment)}</td><td>{esc(r.status)}"
                     f"</td><td class=num>{number(r.score)}</td><td>{esc(why)}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def intake_table(files):
    problems = [f for f in files if f.action in INTAKE_PROBLEMS]
    if not problems:
        return "<p>None: every file was attributed to a student and an assignment.</p>"
    lines = ["<table>", "<tr><th>file</th><th>student</th><th>what happened</th></tr>"]
    for f in problems:
        lines.append(f"<tr><td>{esc(f.path)}</td><td>{esc(f.student or '')}</td><td>"
                     f"{esc(f.action)}: {esc(f.note)}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def similar_section(similar):
    """The near-identical solutions ([similarity.SideBySide]): one row per pair of students (or
    student and engine function) and assignment, each exercise side by side below it."""
    if not similar:
        return ("<p>None: no two solutions of an exercise are near-identical, and none copies "
                "the engine's source.</p>")
    groups = defaultdict(list)
    for pair in similar:
        m = pair.match
        groups[m.engine, m.assignment, m.student, m.other].append(pair)
    parts = []
    for engine, title in ((False, "Between students"), (True, "Copied from the engine (course/)")):
        mine = [(key, pairs) for key, pairs in groups.items() if key[0] == engine]
        if not mine:
            continue
        parts.append(f"<h3>{title}</h3>")
        for (_, assignment, student, other), pairs in mine:
            cells = ", ".join(f"{esc(p.match.cell)} ({p.match.share:.0%})" for p in pairs)
            parts.append(f"<details><summary>{esc(assignment)}: <b>{esc(student)}</b> and "
                         f"<b>{esc(other)}</b>: {cells}</summary>"
                         + "".join(_side_by_side(p) for p in pairs) + "</details>")
    return (f"<p>Solutions with at least {similarity.MIN_LINES} lines of their own in a row, "
            "compared on normalised tokens (renamed variables still match); marked lines are the "
            "shared ones. For a person to judge: honest students can write alike, and none of "
            "this changes a score.</p>"
            + "\n".join(parts))


def _side_by_side(pair):
    m = pair.match
    return (f'<div class="label">{esc(m.cell)}: {m.share:.0%} shared</div><div class="pair">'
            f"{_marked_code(pair.code, pair.marked, m.student)}"
            f"{_marked_code(pair.other_code, pair.other_marked, m.other)}</div>")


def _marked_code(code, marked, title):
    lines = "\n".join(f"<mark>{esc(line)}</mark>" if number in marked else esc(line)
                      for number, line in enumerate(code.splitlines(), 1))
    return f'<div><div class="label">{esc(title)}</div><pre>{lines}</pre></div>'


def timing_summary(rows):
    """Seconds per notebook and its parts, over the submissions that ran to the end."""
    timed = [r.timings for r in rows if r.timings.get("execute")]
    if not timed:
        return "<p>No notebook was run.</p>"
    parts = [("whole job", "total"), ("kernel start", "kernel_start"),
             ("running the cells", "execute"), ("kernel shutdown", "kernel_shutdown")]
    cells = []
    for label, key in parts:
        values = [t[key] for t in timed if t.get(key) is not None]
        if values:
            cells.append(f"{label} {statistics.mean(values):.2f} s")
    other = [t["total"] - t.get("kernel_start", 0) - t["execute"] - t.get("kernel_shutdown", 0)
             for t in timed]
    cells.append(f"nbgrader's own work and copying {statistics.mean(other):.2f} s")
    return (f"<p>Mean per notebook, over the {len(timed)} that ran to the end: "
            + "; ".join(cells) + ".</p>")


def render(rows, plan_files, assignments, isolation="", similar=()):
    """The TA's report of rows ([results.Result]) and the intake's files. isolation: how
    students' code ran (a sandbox warning stands out); similar: the near-identical solutions
    ([similarity.SideBySide])."""
    style = ' style="color:#b00;font-weight:bold"' if isolation.startswith("WARNING") else ""
    body = ["<h1>Autograding report</h1>",
            f"<p{style}>{esc(isolation)}</p>" if isolation else "",
            f"<p>{len({r.student for r in rows})} students, {len(assignments)} "
            f"assignment(s): {status_line(rows)}.</p>",
            "<h2>Scores</h2>", summary_table(rows, assignments)]
    if any(r.scored for r in rows):
        body.append(f'<img alt="{esc(distribution_alt(rows, assignments))}" '
                    f'src="data:image/png;base64,{score_distribution(rows, assignments)}">')
        rates = pass_rates(rows)
        title = ("Pass rate per test, hardest first" if len(rates) <= PLOTTED_TESTS else
                 f"Pass rate of the {PLOTTED_TESTS} hardest tests (of {len(rates)})")
        body += [f"<h2>{title}</h2>",
                 f'<img alt="{esc(pass_rate_alt(rates))}" src="data:image/png;base64,'
                 f'{pass_rate_plot(rates)}">',
                 "<details><summary>every test, as a table</summary><table><tr><th>test</th>"
                 "<th>passed</th></tr>" + "".join(
                     f"<tr><td>{esc(a)}: {esc(t)}{' (hidden)' if h else ''}</td><td class=num>"
                     f"{p} / {n}</td></tr>" for a, t, h, p, n in rates)
                 + "</table></details>"]
    body += ["<h2>Submissions that need a human look</h2>", look_table(rows),
             "<h2>Files that could not be used</h2>", intake_table(plan_files),
             "<h2>Near-identical solutions</h2>", similar_section(similar),
             "<h2>Time</h2>", timing_summary(rows)]
    return page("Autograding report", "\n".join(body))
