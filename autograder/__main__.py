"""`python -m autograder grade [SUBMISSIONS] [options]` (what `make autograde` runs).

    python -m autograder grade submitted/ --out graded/      a folder: nbgrader's tree, or
                                                             per-student files
    python -m autograder grade export.zip --roster class.csv a learning platform's zip
    python -m autograder grade                               no submissions: grade a made-up
                                                             demo class (see demo.py)
    python -m autograder demo DIR                            only write the demo class to DIR

Exit status: 0 when every submission was graded or given a status, 1 on bad arguments or
input (or a Dask cluster that cannot be used), 2 when the run itself failed (nbgrader could not
generate an assignment), 130 when interrupted (run the same command again to resume).
"""

import argparse
import sys
import tempfile
from pathlib import Path

from autograder import sandbox

DEFAULT_OUT = "graded"
DEMO_OUT = "graded/demo"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Grade a class's notebooks with nbgrader.")
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade a folder or zip of submissions",
                           description=__doc__.split("\n\n")[0])
    grade.add_argument("submissions", nargs="?", default=None,
                       help="a folder (nbgrader's submitted/<student>/<assignment>/ tree, or "
                            "per-student files) or a .zip; none: grade the demo class")
    grade.add_argument("--out", default=None,
                       help=f"where grades, feedback and the report go (default {DEFAULT_OUT}/; "
                            f"{DEMO_OUT}/ for the demo class)")
    grade.add_argument("--assignments", nargs="+", default=None, metavar="NAME",
                       help="grade only these (default: every assignment handed in)")
    grade.add_argument("--jobs", "-j", type=int, default=None,
                       help="notebooks graded at once (default: the number of cores; with "
                            "--cluster, the local processes that generate the templates)")
    where = grade.add_mutually_exclusive_group()
    where.add_argument("--cluster", default=None, metavar="ADDRESS",
                       help="grade on the workers of this Dask scheduler (tcp://host:8786) "
                            "instead of on this machine; needs pip install -e '.[cluster]'")
    where.add_argument("--scheduler-file", default=None, metavar="FILE",
                       help="the same, with the scheduler's address from the file that "
                            "`dask scheduler --scheduler-file FILE` wrote")
    grade.add_argument("--roster", default=None,
                       help="a CSV of student ids: students without a submission get a row")
    grade.add_argument("--timeout", type=float, default=None,
                       help="seconds a whole notebook may run (default 300)")
    grade.add_argument("--cell-timeout", type=int, default=None,
                       help="seconds a cell may run (default: Execute.timeout of "
                            "nbgrader_config.py)")
    grade.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                       help="a resource limit of each student's kernel, one per option: "
                            "--limit total_memory=2GiB --limit processes=16; names: "
                            "memory (per process), total_memory (all processes), cpu "
                            "(seconds per process), wall (seconds per kernel), processes, "
                            "tasks, file, scratch, tmp (sizes); defaults: "
                            + sandbox.describe_limits(sandbox.Limits()))
    grade.add_argument("--force", action="store_true",
                       help="grade every notebook again, even those unchanged since last run")
    grade.add_argument("--course", default=None,
                       help="the course root (default: this repository)")
    demo = sub.add_parser("demo", help="write the demo class (nbgrader's tree) into a folder")
    demo.add_argument("folder")
    demo.add_argument("--assignments", nargs="+", default=None, metavar="NAME")
    demo.add_argument("--course", default=None)
    args = parser.parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if getattr(args, "timeout", None) is not None and args.timeout <= 0:
        parser.error("--timeout must be positive")
    try:
        args.limits = sandbox.parse_limits(getattr(args, "limit", []))
    except ValueError as e:
        parser.error(str(e))
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from autograder import cluster, demo, pipeline, sources
    from autograder.course_layout import REPO

    course = Path(args.course).resolve() if args.course else REPO
    try:
        sources.build(course)
    except sources.SourceConflict as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "demo":
        made = demo.make_demo_class(args.folder, course, args.assignments)
        print(f"demo class written to {args.folder}: {made}")
        return 0

    scratch = None
    submissions = args.submissions
    try:
        if submissions is None:
            scratch = tempfile.TemporaryDirectory(prefix="autograder-demo-")
            submissions = Path(scratch.name) / "submitted"
            made = demo.make_demo_class(submissions, course, args.assignments)
            print(f"No SUBMISSIONS given: grading the demo class ({made}), made from source/ "
                  f"in {submissions}", file=sys.stderr)
        out = args.out or (DEMO_OUT if args.submissions is None else DEFAULT_OUT)
        summary = pipeline.grade_class(
            submissions, out, course_root=course, assignments=args.assignments,
            jobs=args.jobs, roster=args.roster,
            timeout=args.timeout or pipeline.DEFAULT_TIMEOUT, cell_timeout=args.cell_timeout,
            force=args.force, limits=args.limits, cluster_address=args.cluster,
            scheduler_file=args.scheduler_file)
    except KeyboardInterrupt:
        print("\ninterrupted: every finished result is kept; run the same command again to "
              "go on", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, cluster.ClusterError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except RuntimeError as e:  # e.g. nbgrader could not generate an assignment
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if scratch is not None:
            scratch.cleanup()
    print(summary.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
