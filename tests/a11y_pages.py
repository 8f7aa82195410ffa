"""The pages the accessibility checks open, made from the real parts without running nbgrader:

- `report_html()`: the TA's report.html (autograder.report) of a made-up class of 03-vector-backprop
  (graded, partly failed, needing a look, not graded) with its plots;
- `feedback_html()`: a student's feedback page (autograder.feedback) of that assignment, with a
  failed visible test, a hidden one, the student's answer and a figure among its outputs;
- `student_readme()`: the student pack's README.md as the pack writes it.
"""

import nbformat

from autograder import extract, feedback, report, results
from autograder.cells import grade_id
from autograder.course_layout import REPO, notebook_file
from autograder.demo import filled_release
from autograder.student_pack import notebook_title, release_folders, render
from autograder.templates import spec_from_notebooks
from course.figures import draw_graph, figure_bundle, figure_png, graph_alt
from course.value import Value

ASSIGNMENT = "03-vector-backprop"


def spec():
    source = notebook_file(REPO / "source", ASSIGNMENT)
    release = notebook_file(REPO / "release", ASSIGNMENT)
    return spec_from_notebooks(ASSIGNMENT, nbformat.read(source, as_version=4),
                               nbformat.read(release, as_version=4), source.name, "fp")


def _graph_output():
    """A figure the course draws, as a notebook output (what `course.figures.show` displays)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    out = (x * w).tanh()
    out.backward()
    fig, ax = plt.subplots(figsize=(5, 2.5))
    draw_graph(out, ax=ax)
    data, metadata = figure_bundle(figure_png(fig), graph_alt(out))
    output = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
    plt.close(fig)
    return output


def graded_rows(the_spec):
    """Rows of a small class: full marks, a failed visible and hidden test, one needing review,
    one not graded."""
    scores_full = {t.id: (t.points, t.points) for t in the_spec.tests}
    scores_some = {t.id: (0.0 if i % 3 == 0 else t.points, t.points)
                   for i, t in enumerate(the_spec.tests)}
    nb = filled_release(REPO, ASSIGNMENT)
    rows = []
    for student, scores, status in (("ann", scores_full, results.GRADED),
                                    ("bob", scores_some, results.GRADED),
                                    ("cyd", scores_some, results.NEEDS_REVIEW)):
        tests, _, notes = extract.tests_and_notes(nb, scores, the_spec)
        for t in tests:
            if t["score"] == 0:
                t["outcome"], t["message"] = "failed", "GradientError: wrong at index 0"
        rows.append(results.Result(
            student=student, assignment=ASSIGNMENT, status=status,
            score=sum(s for s, _ in scores.values()), max_score=the_spec.max_score, tests=tests,
            notes=notes or ([results.note("a test cell was edited", "review")]
                            if status == results.NEEDS_REVIEW else []),
            timings={"total": 9.0, "kernel_start": 1.0, "execute": 7.0, "kernel_shutdown": 0.2}))
    rows.append(results.Result(student="dee", assignment=ASSIGNMENT, status=results.TIMED_OUT,
                               max_score=the_spec.max_score, score=0.0))
    return rows


def report_html():
    rows = graded_rows(spec())
    return report.render(rows, [], [ASSIGNMENT], isolation="sandboxed (bubblewrap)")


def feedback_html():
    the_spec = spec()
    row = graded_rows(the_spec)[1]
    nb = filled_release(REPO, ASSIGNMENT)
    release = nbformat.read(notebook_file(REPO / "release", ASSIGNMENT), as_version=4)
    first_answer = next(c for c in nb.cells if grade_id(c) == the_spec.solutions[0])
    first_answer.outputs = [_graph_output(),
                            nbformat.v4.new_output("stream", name="stdout", text="checked\n")]
    failed = next(t for t in row.tests if not t["hidden"] and t["outcome"] == "failed")
    test_cell = next(c for c in nb.cells if grade_id(c) == failed["id"])
    test_cell.outputs = [nbformat.v4.new_output(
        "error", ename="GradientError", evalue="wrong at index 0",
        traceback=["Traceback (most recent call last)", "GradientError: wrong at index 0"])]
    return feedback.render(row, the_spec, release, nb)


def student_readme():
    rows = "".join(f"| `{f.name}/` | {notebook_title(sorted(f.glob('*.ipynb'))[0])} |\n"
                   for f in release_folders(REPO / "release"))
    return render("README.md", folder="backprop-course-student",
                  zip="backprop-course-student.zip", wheel="backprop_course-0.1-py3-none-any.whl",
                  course="backprop-course", assignments=rows)
