"""Grading a class: the autograder (parallel workers) against plain sequential nbgrader.

The same made-up class is graded twice in one run, from scratch each time:

- **baseline**: what a TA does by hand with nbgrader alone, one assignment after the other, in a
  course folder per assignment: `nbgrader generate_assignment A --force`, then
  `nbgrader autograde A --force` over the whole class (one process, one student at a time);
- **autograder**: `autograder.pipeline.grade_class` with JOBS workers, end to end: templates,
  grading, the merged gradebook, grades.csv, every feedback page and report.html.

The class: students s001, s002, ... each hand in every assignment; in turn the reference
solution, the untouched release, and each wrong answer of tests/wrong_answers/ (so the notebooks
fail in the ways real ones do). Scores must be identical, test cell by test cell, or the run stops
with an error. Seconds per notebook are reported for both, and the autograder's time per notebook
is split into kernel start, running the cells, kernel shutdown and nbgrader's own work.

    python -m benchmarks.grading --students 60             the full-size class (60 x 6 = 360
                                                           notebooks: 20-30 minutes in all)
    python -m benchmarks.grading --students 4 --assignments 03-vector-backprop
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRATCH = Path(__file__).resolve().parent / "scratch" / "grading"
TARGET = 1.8             # the autograder must be at least this many times faster
NBGRADER_TIMEOUT = 4 * 3600


def make_class(folder, students, assignments):
    """Write the class (nbgrader's tree) into folder; returns the number of notebooks."""
    import nbformat

    from autograder.course_layout import notebook_file
    from autograder.demo import filled_release, wrong_answers

    folder = Path(folder)
    count = 0
    for assignment in assignments:
        name = notebook_file(REPO / "source", assignment).name
        blank = nbformat.read(notebook_file(REPO / "release", assignment), as_version=4)
        kinds = [filled_release(REPO, assignment), blank] + [
            filled_release(REPO, assignment, {w["cell"]: w["source"]})
            for w in wrong_answers(REPO, assignment)]
        for i in range(students):
            target = folder / f"s{i + 1:03d}" / assignment
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(kinds[i % len(kinds)], target / name)
            count += 1
    return count


def load_average():
    from benchmarks.report import load_average as one_minute

    return one_minute()


def cpu_seconds():
    """CPU time (user + system) of this process and of every child it has waited for (the
    nbgrader processes, the workers, and through them the kernels)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def nbgrader(*args, cwd):
    from autograder.course_layout import venv_environment

    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd,
                            env=venv_environment(), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=NBGRADER_TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stderr[-3000:]}")


def run_baseline(class_dir, work, assignments, log=print):
    """Plain nbgrader, sequentially: {"seconds", "generate", "autograde", "scores"}."""
    from autograder.merge import gradebook_scores

    generate = autograde = 0.0
    scores = {}
    cpu = cpu_seconds()
    for assignment in assignments:
        root = Path(work) / assignment
        root.mkdir(parents=True)
        shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(REPO / "source" / assignment, root / "source" / assignment)
        for student in sorted(p.name for p in Path(class_dir).iterdir()):
            src = Path(class_dir) / student / assignment
            if src.is_dir():
                shutil.copytree(src, root / "submitted" / student / assignment)
        log(f"  nbgrader generate_assignment + autograde {assignment} ...")
        started = time.perf_counter()
        nbgrader("generate_assignment", assignment, "--force", cwd=root)
        middle = time.perf_counter()
        nbgrader("autograde", assignment, "--force", cwd=root)
        generate += middle - started
        autograde += time.perf_counter() - middle
        scores.update(gradebook_scores(root / "gradebook.db"))
    return {"seconds": generate + autograde, "generate": generate, "autograde": autograde,
            "cpu": cpu_seconds() - cpu, "scores": scores}


def run_autograder(class_dir, out, jobs):
    from autograder import pipeline
    from autograder.merge import gradebook_scores

    started, cpu = time.perf_counter(), cpu_seconds()
    with open(os.devnull, "w") as quiet:
        summary = pipeline.grade_class(class_dir, out, jobs=jobs, log=lambda _: None,
                                       progress_stream=quiet)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    timed = [r.timings for r in summary.rows if r.timings.get("execute")]
    split = {}
    for key in ("kernel_start", "execute", "kernel_shutdown"):
        split[key] = sum(t.get(key, 0.0) for t in timed) / max(1, len(timed))
    split["nbgrader"] = sum(t["total"] - t.get("kernel_start", 0) - t["execute"]
                            - t.get("kernel_shutdown", 0) for t in timed) / max(1, len(timed))
    return {"seconds": seconds, "cpu": cpu, "phases": summary.phases, "workers": summary.workers,
            "split": split, "statuses": summary.counts(),
            "scores": gradebook_scores(Path(out) / "gradebook.db")}


def compare_scores(baseline, ours):
    """The (student, assignment, cell) whose scores differ: [(key, baseline, ours)]."""
    keys = sorted(set(baseline) | set(ours))
    return [(k, baseline.get(k), ours.get(k)) for k in keys if baseline.get(k) != ours.get(k)]


def run(students=6, assignments=None, jobs=None, scratch=SCRATCH, log=print):
    """Grade the class both ways; the results dict that report.py renders."""
    from autograder.course_layout import assignments as course_assignments
    from autograder.pipeline import default_jobs

    from autograder import sources

    sources.build(REPO)
    assignments = list(assignments or course_assignments(REPO))
    jobs = jobs or default_jobs()
    scratch = Path(scratch)
    if scratch.exists():
        shutil.rmtree(scratch)
    class_dir = scratch / "class"
    notebooks = make_class(class_dir, students, assignments)
    load = [load_average()]
    log(f"grading {students} students x {len(assignments)} assignments ({notebooks} notebooks): "
        f"plain nbgrader, sequentially ...")
    baseline = run_baseline(class_dir, scratch / "nbgrader", assignments, log)
    load.append(load_average())
    log(f"  {baseline['seconds']:.0f} s; now the autograder with {jobs} workers ...")
    ours = run_autograder(class_dir, scratch / "autograder", jobs)
    load.append(load_average())
    log(f"  {ours['seconds']:.0f} s")
    mismatches = compare_scores(baseline["scores"], ours["scores"])
    if mismatches:
        raise AssertionError(f"the autograder and nbgrader disagree on {len(mismatches)} "
                             f"score(s), e.g. {mismatches[:5]}")
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "students": students, "assignments": assignments, "notebooks": notebooks, "jobs": jobs,
        "cells": len(baseline["scores"]),
        "baseline": {k: v for k, v in baseline.items() if k != "scores"},
        "autograder": {k: v for k, v in ours.items() if k != "scores"},
        "speedup": baseline["seconds"] / ours["seconds"],
        "load": load,  # 1-minute load average: at the start, between the two, at the end
    }


def describe(r):
    """Lines for a person: seconds per notebook, where the time goes."""
    n = r["notebooks"]
    b, a = r["baseline"], r["autograder"]
    s = a["split"]
    return [
        f"grading: identical scores from both for all {n} notebooks ({r['cells']} test cells)",
        f"grading, per notebook: nbgrader {b['seconds'] / n:.2f} s (generate_assignment "
        f"{b['generate']:.0f} s in all, autograde {b['autograde'] / n:.2f} s per notebook); "
        f"autograder {a['seconds'] / n:.2f} s of wall time with {a['workers']} workers; "
        f"CPU time per notebook (all processes): nbgrader {b['cpu'] / n:.2f} s, autograder "
        f"{a['cpu'] / n:.2f} s",
        f"grading, where a notebook's time goes (autograder, per worker): kernel start "
        f"{s['kernel_start']:.2f} s, running the cells {s['execute']:.2f} s, kernel shutdown "
        f"{s['kernel_shutdown']:.2f} s, nbgrader's own work {s['nbgrader']:.2f} s; the run: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in a["phases"].items()),
        "grading, load average (1 min) at the start, between the two runs and at the end: "
        + ", ".join("unknown" if x is None else f"{x:.2f}" for x in r["load"])
        + f" on {os.cpu_count()} cores (other work slows the parallel run most)",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--assignments", nargs="+", default=None)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    r = run(args.students, args.assignments, args.jobs,
            log=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"nbgrader, sequential: {r['baseline']['seconds']:.1f} s; autograder: "
          f"{r['autograder']['seconds']:.1f} s; {r['speedup']:.2f}x faster "
          f"(target {TARGET}x: {'pass' if r['speedup'] >= TARGET else 'FAIL'})")
    print("\n".join(describe(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
