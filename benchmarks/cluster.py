"""Grading through a Dask cluster against the local pool, on the same cores.

The demo class (autograder/demo.py) is graded twice from scratch: by the local pool with
WORKERS worker processes, then through a real Dask cluster on this machine (benchmarks/
dask_processes.py: one `dask scheduler` and WORKERS `dask worker`s of one thread each). Same
notebooks, same cores: the ratio is what the cluster's machinery costs (shipping the templates,
sending each notebook and its graded copy through the scheduler, the station's processes), and
the overhead per notebook is that difference spread over the notebooks. The grades must be
identical (grades.csv and tests.csv byte for byte) or the run stops with an error. Starting the
cluster is timed apart: a cluster is started once for many runs.

    python -m benchmarks.cluster                                  the whole demo class
    python -m benchmarks.cluster --assignments 03-vector-backprop
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRATCH = Path(__file__).resolve().parent / "scratch" / "cluster"
WORKERS = 2


def grade(class_dir, out, **where):
    from autograder import pipeline

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        summary = pipeline.grade_class(class_dir, out, jobs=WORKERS, log=lambda _: None,
                                       progress_stream=quiet, **where)
    return time.perf_counter() - started, summary


def outputs(out):
    return {name: (Path(out) / name).read_bytes() for name in ("grades.csv", "tests.csv")}


def run(assignments=None, scratch=SCRATCH, log=print):
    """Grade the demo class both ways; the results dict that report.py renders."""
    from autograder import demo, sources
    from benchmarks.dask_processes import DaskProcesses

    sources.build(REPO)
    scratch = Path(scratch)
    if scratch.exists():
        shutil.rmtree(scratch)
    class_dir = scratch / "class"
    made = demo.make_demo_class(class_dir, REPO, assignments)
    log(f"the demo class ({made}): the local pool with {WORKERS} workers ...")
    local, summary = grade(class_dir, scratch / "local")
    notebooks = summary.graded_now
    log(f"  {local:.0f} s; now a Dask cluster of {WORKERS} workers on this machine ...")
    started = time.perf_counter()
    with DaskProcesses(workers=WORKERS, threads=1, folder=scratch / "dask") as dask:
        start = time.perf_counter() - started
        remote, _ = grade(class_dir, scratch / "cluster", cluster_address=dask.address)
    log(f"  {remote:.0f} s (the cluster took {start:.0f} s to start)")
    if outputs(scratch / "local") != outputs(scratch / "cluster"):
        raise AssertionError("the cluster and the local pool gave different grades "
                             f"(compare {scratch / 'local'} and {scratch / 'cluster'})")
    result = {"notebooks": notebooks, "workers": WORKERS, "local": local, "cluster": remote,
              "start": start, "ratio": remote / local,
              "overhead": (remote - local) / max(1, notebooks)}
    shutil.rmtree(scratch, ignore_errors=True)
    return result


def describe(r):
    """A line for a person: the same grades, the overhead per notebook."""
    return (f"cluster: grades.csv and tests.csv identical from the local pool and the Dask "
            f"cluster for {r['notebooks']} notebooks; the cluster's overhead "
            f"{r['overhead']:+.2f} s per notebook; starting the scheduler and "
            f"{r['workers']} workers took {r['start']:.0f} s (not counted)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--assignments", nargs="+", default=None)
    args = parser.parse_args(argv)
    r = run(args.assignments, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"local pool: {r['local']:.1f} s; Dask cluster: {r['cluster']:.1f} s; "
          f"{r['ratio']:.2f}x the local pool's time")
    print(describe(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
