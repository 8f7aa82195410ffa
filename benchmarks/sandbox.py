"""What the autograder's sandbox costs per notebook: a kernel started, a notebook run, three ways.

    plain        the venv's python3 kernel, started by nbclient (how notebooks ran before)
    limits only  the sandbox's kernel spec with bubblewrap turned off (BACKPROP_SANDBOX=off):
                 the launcher, the resource limits and the watchdog, no namespaces
    sandboxed    the same in bubblewrap (autograder/sandbox/)

Two workloads: a kernel that runs one trivial cell (start-up and shut-down alone), and one
assignment's notebook filled with the reference solutions (what grading one student costs).
Each round runs every contender once, in a rotating order; the table gives the best of the
rounds (the machine's two cores are shared: noise only adds time).

    python -m benchmarks.sandbox [--repeat 5] [--assignment 02-modular-backprop]

Not a test: nothing is asserted. The grading pipeline's own timings (worker.py) come on top.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ASSIGNMENT = "02-modular-backprop"


def contenders(workdir, nb_factory):
    """{name: fn} running a fresh copy of the notebook once per call."""
    from nbclient import NotebookClient

    from autograder import sandbox

    cwd = Path(workdir) / "cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    plans = {}
    saved = os.environ.get(sandbox.MODE_VARIABLE)
    os.environ[sandbox.MODE_VARIABLE] = "off"       # read when the plan is made, not after
    try:
        plans["limits only"] = sandbox.prepare(Path(workdir) / "off")
    finally:
        if saved is None:
            del os.environ[sandbox.MODE_VARIABLE]
        else:
            os.environ[sandbox.MODE_VARIABLE] = saved
    ok, reason = sandbox.sandbox_available()
    if ok:
        plans["sandboxed"] = sandbox.prepare(Path(workdir) / "bwrap")

    def plain():
        NotebookClient(nb_factory(), kernel_name="python3", timeout=300,
                       resources={"metadata": {"path": str(cwd)}}).execute()

    runs = {"plain": plain}
    for name, plan in plans.items():
        def execute(plan=plan):
            plan.notebook_client(nb_factory(), cwd=cwd, timeout=300).execute()
        runs[name] = execute
    return runs, (None if "sandboxed" in plans else reason)


def run(repeat=5, assignment=ASSIGNMENT):
    """{workload: {contender: best seconds}}, and why the sandbox is missing (or None)."""
    import nbformat

    from autograder.demo import filled_release
    from benchmarks.timing import compare

    filled = filled_release(REPO, assignment)   # what a student with every answer hands in
    trivial = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    results, missing = {}, None
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as workdir:
        for label, nb in (("kernel start + 1 cell", trivial),
                          (f"notebook {assignment}", filled)):
            runs, missing = contenders(Path(workdir) / label.split()[0],
                                       lambda nb=nb: nbformat.from_dict(nb))
            results[label] = compare(runs, repeat=repeat, min_sample=0.0)
    return results, missing


def table(results, missing):
    from benchmarks.timing import format_seconds

    lines = ["| workload | plain kernel | limits only | sandboxed | sandbox cost |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for workload, times in results.items():
        plain = times["plain"]
        cells = [format_seconds(times[k]) if k in times else "n/a"
                 for k in ("plain", "limits only", "sandboxed")]
        cost = (f"+{format_seconds(times['sandboxed'] - plain)} "
                f"({times['sandboxed'] / plain - 1:+.0%})" if "sandboxed" in times else "n/a")
        lines.append(f"| {workload} | " + " | ".join(cells) + f" | {cost} |")
    if missing:
        lines.append(f"\nsandboxed: not measured ({missing})")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sandbox",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--assignment", default=ASSIGNMENT)
    args = parser.parse_args(argv)
    results, missing = run(args.repeat, args.assignment)
    print(table(results, missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
