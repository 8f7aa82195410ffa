"""`python -m benchmarks` (`make bench`): run every benchmark, print the table, update README.md.

    python -m benchmarks              full run, writes benchmarks/README.md: half a minute for
                                      the engines when quiet, about a minute for the sandbox's
                                      cost per notebook, then about three minutes grading a
                                      class of 4 students x 6 assignments
    python -m benchmarks --quick      a few repetitions, 2 rounds of the sandbox, a class of
                                      2 x 1; prints only (unless --readme)
    python -m benchmarks --strict     exit 1 when the course engine misses a target
    python -m benchmarks --no-grading leave the grading benchmark out
    python -m benchmarks --no-sandbox leave the sandbox's cost out (alone: python -m
                                      benchmarks.sandbox)
    python -m benchmarks --no-cluster leave out the demo class graded through a Dask cluster
                                      against the local pool (alone: python -m
                                      benchmarks.cluster)
    python -m benchmarks --class-size 60   the full-size class (60 x 6 notebooks, 20-30 min);
                                      alone: python -m benchmarks.grading --students 60

Every engine runs on one thread (`--threads N` to change): the BLAS through OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS, set here before numpy is imported, and PyTorch through
torch.set_num_threads. A failed cross-check (two engines disagreeing) stops the run with an error.
"""

import argparse
import os
import sys
import time

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
GRADING_STUDENTS = 4          # the class graded by default: 4 students x every assignment
GRADING_QUICK_ASSIGNMENT = "03-vector-backprop"
SANDBOX_REPEAT = 5            # rounds of the sandbox benchmark (each starts 6 kernels), quick 2
SANDBOX_QUICK_REPEAT = 2


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few repetitions, to see that everything runs (prints only)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds of interleaved samples per benchmark (default 21, quick 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for the BLAS and PyTorch (default 1)")
    readme = parser.add_mutually_exclusive_group()
    readme.add_argument("--readme", dest="readme", action="store_true", default=None,
                        help="write the results into benchmarks/README.md (default unless --quick)")
    readme.add_argument("--no-readme", dest="readme", action="store_false",
                        help="print the results only")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed")
    grading = parser.add_argument_group("grading a class (benchmarks/grading.py)")
    grading.add_argument("--class-size", type=int, default=None,
                         help=f"students in the class (default {GRADING_STUDENTS}, quick 2; "
                              f"the full-size benchmark is 60)")
    grading.add_argument("--class-assignments", nargs="+", default=None, metavar="NAME",
                         help="assignments of the class (default: all, quick: one)")
    grading.add_argument("--no-grading", dest="grading", action="store_false",
                         help="leave the grading benchmark out")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                        help="leave the sandbox's cost per notebook (benchmarks/sandbox.py) out")
    parser.add_argument("--no-cluster", dest="cluster", action="store_false",
                        help="leave the Dask cluster against the local pool "
                             "(benchmarks/cluster.py) out")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 21
    if args.readme is None:
        args.readme = not args.quick
    if args.repeat < 1 or args.threads < 1:
        parser.error("--repeat and --threads must be at least 1")
    if args.class_size is None:
        args.class_size = 2 if args.quick else GRADING_STUDENTS
    if args.class_assignments is None and args.quick:
        args.class_assignments = [GRADING_QUICK_ASSIGNMENT]
    if args.class_size < 1:
        parser.error("--class-size must be at least 1")
    return args


def limit_threads(n):
    """Set the thread variables (they take effect only if numpy is not loaded yet: say so)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)
    if "numpy" in sys.modules:
        print("note: numpy was imported before the thread limit was set; the BLAS may use more "
              "threads than asked", file=sys.stderr)


def run_all(repeat, quick=False, threads=1, log=print, grading=None, sandbox=None,
            cluster=None):
    """Run every benchmark; the results dict that report.markdown renders.

    grading: None (no grading benchmark) or {"students": n, "assignments": [...] or None}.
    sandbox: None (no sandbox benchmark) or its number of rounds.
    cluster: None (no cluster benchmark) or {"assignments": [...] or None} of the demo class.
    """
    from benchmarks import gradcheck_speed, mlp, scalar_chain

    sample = 0.01 if quick else 0.05
    results = {}
    # The scalar chain first, before the peers are imported (timing.compare freezes the objects
    # alive anyway, so that what the process imported does not weigh on the collector).
    log(f"scalar chain of {scalar_chain.N:,} multiply-adds ...")
    results["scalar"] = scalar_chain.run(repeat=repeat)
    log(f"check_vjp on a {gradcheck_speed.SIZE} x {gradcheck_speed.SIZE} matmul ...")
    results["gradcheck"] = gradcheck_speed.run(repeat=repeat)
    results["mlp"] = []
    for size in ("small", "large"):
        log(f"MLP training step, {size} ...")
        results["mlp"].append(mlp.run(size, repeat=repeat, min_sample=sample, threads=threads))
    if sandbox:
        results["sandbox"] = run_sandbox(sandbox, log)
    if grading:
        # Last, and in processes of their own: nbgrader's kernels use every core.
        from benchmarks import grading as grading_benchmark

        results["grading"] = grading_benchmark.run(grading["students"], grading["assignments"],
                                                   log=log)
    if cluster:
        from benchmarks import cluster as cluster_benchmark

        results["cluster"] = cluster_benchmark.run(cluster["assignments"], log=log)
    return results


def run_sandbox(repeat, log):
    """The sandbox benchmark's result: {"repeat", "assignment", "times", "missing"}."""
    from benchmarks import sandbox

    log(f"the sandbox's cost per notebook, {repeat} rounds of kernels ...")
    times, missing = sandbox.run(repeat=repeat)
    return {"repeat": repeat, "assignment": sandbox.ASSIGNMENT, "times": times,
            "missing": missing}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    limit_threads(args.threads)

    from benchmarks import report

    def log(message):
        print(message, file=sys.stderr, flush=True)

    load_before = report.load_average()
    started = time.perf_counter()
    grading = ({"students": args.class_size, "assignments": args.class_assignments}
               if args.grading else None)
    sandbox = (SANDBOX_QUICK_REPEAT if args.quick else SANDBOX_REPEAT) if args.sandbox else None
    cluster = ({"assignments": [GRADING_QUICK_ASSIGNMENT] if args.quick else None}
               if args.cluster else None)
    results = run_all(args.repeat, quick=args.quick, threads=args.threads, log=log,
                      grading=grading, sandbox=sandbox, cluster=cluster)
    elapsed = time.perf_counter() - started
    info = report.machine(args.threads, load_before)
    settings = (f"{'quick run, ' if args.quick else ''}best of {args.repeat} interleaved rounds "
                f"per benchmark, {elapsed:.0f} s in all")
    section = report.markdown(results, info, settings)
    print(section)
    if args.readme:
        report.write_readme(section)
        log(f"written into {report.README}")
    _, verdicts = report.rows(results)
    missed = [name for name, ok in verdicts if not ok]
    if missed:
        log("targets missed: " + "; ".join(missed))
        if args.strict:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
