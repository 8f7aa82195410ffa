"""nbgrader's exchange, for courses on a JupyterHub: assignments out, submissions in, feedback back.

nbgrader's exchange is a folder every user can reach (`c.Exchange.root`, e.g.
/srv/nbgrader/exchange): `release_assignment` puts a release in `<root>/<course_id>/outbound/`,
students `fetch_assignment` it and `submit` into `inbound/`, the instructor `collect`s into
`submitted/<student>/<assignment>/` of the course, and `release_feedback` puts one HTML page per
submitted notebook into `feedback/`, where the student's `fetch_feedback` finds it (by a hash of
the submission's secret and the notebook's name).

    python -m autograder.exchange release  --exchange DIR [ASSIGNMENT ...]   (make release-exchange)
    python -m autograder.exchange collect  --exchange DIR [ASSIGNMENT ...]
    python -m autograder.exchange feedback --exchange DIR --feedback DIR [ASSIGNMENT ...]

`release` releases every assignment (default: each folder of release/) with `--force`, so a
corrected release replaces the old one. `collect` collects the newest submission of every
student (`--update`). Then grade `submitted/` with the autograder (`make autograde
SUBMISSIONS=submitted`).

`feedback` delivers *our* feedback pages, not nbgrader's: `nbgrader generate_feedback` renders the
autograded notebook, into which nbgrader has copied the hidden tests back (its issues 917 and
1363), so its page shows the hidden tests' code and their tracebacks. The autograder's pages
(`<feedback>/<student>/<assignment>.html`) say which tests passed without showing hidden code.
`feedback` stages each one where nbgrader's `release_feedback` looks
(`feedback/<student>/<assignment>/<notebook>.html`, beside the submission's `timestamp.txt` and
`submission_secret.txt`), then runs `nbgrader release_feedback`. Do not run
`nbgrader generate_feedback` for a course on the exchange: it would overwrite the staged pages.

Every command runs real nbgrader in the course root (the folder of nbgrader_config.py), with
`--Exchange.root` from the command line, so the course's nbgrader_config.py stays the same for
every deployment.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.course_layout import REPO, notebook_file, venv_environment

NBGRADER_TIMEOUT = 600  # seconds for one nbgrader exchange command


class ExchangeError(RuntimeError):
    """An nbgrader exchange command failed, or there is nothing to deliver."""


def released_assignments(course_root=REPO):
    """The assignment folders of the course's release/ that hold a notebook, in order."""
    release = Path(course_root) / "release"
    return sorted(p.name for p in release.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


def nbgrader(command, *args, exchange, course_root=REPO, timeout=NBGRADER_TIMEOUT):
    """Run `nbgrader <command> ... --Exchange.root=<exchange>` in the course root; return its
    output, or raise ExchangeError with it."""
    argv = [sys.executable, "-m", "nbgrader", command, *map(str, args),
            f"--Exchange.root={Path(exchange).resolve()}"]
    result = subprocess.run(argv, cwd=course_root, env=venv_environment(), capture_output=True,
                            text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise ExchangeError(f"nbgrader {command} {' '.join(map(str, args))} exited "
                            f"{result.returncode}:\n{output[-3000:]}")
    return output


def release(exchange, assignments=None, course_root=REPO, log=print):
    """Release each assignment (default: all of release/) to the exchange; replaces an earlier
    release of the same assignment. Students fetch it with `nbgrader fetch_assignment`."""
    names = list(assignments or released_assignments(course_root))
    if not names:
        raise ExchangeError(f"{Path(course_root) / 'release'} holds no assignment to release")
    Path(exchange).mkdir(parents=True, exist_ok=True)
    for name in names:
        nbgrader("release_assignment", name, "--force", exchange=exchange, course_root=course_root)
        log(f"released {name} to {Path(exchange).resolve()}")
    return names


def collect(exchange, assignments=None, course_root=REPO, log=print):
    """Collect the newest submission of every student of each assignment into
    `<course_root>/submitted/<student>/<assignment>/`."""
    names = list(assignments or released_assignments(course_root))
    for name in names:
        nbgrader("collect", name, "--update", exchange=exchange, course_root=course_root)
        log(f"collected {name} into {Path(course_root) / 'submitted'}")
    return names


def _feedback_page(feedback_dir, student, assignment):
    """The autograder's page for one student and assignment: `<student>/<assignment>.html`
    (or the only .html of `<student>/<assignment>/`); None when there is none."""
    page = Path(feedback_dir) / student / f"{assignment}.html"
    if page.is_file():
        return page
    pages = sorted((Path(feedback_dir) / student / assignment).glob("*.html"))
    return pages[0] if len(pages) == 1 else None


def stage_feedback(feedback_dir, assignment, course_root=REPO):
    """Put the autograder's page of every collected student of `assignment` where
    `nbgrader release_feedback` finds it, after removing any page already there (nbgrader's
    would show hidden tests); return (students staged, students without a page).

    nbgrader releases `feedback/<student>/<assignment>/<notebook>.html` under a hash of the
    submission's secret (`submission_secret.txt`, written by `submit`, kept by `collect`)."""
    course_root = Path(course_root)
    notebook = notebook_file(course_root / "release", assignment).stem
    # nbgrader's own pages (from `nbgrader generate_feedback`) must never be released: remove
    # every staged page of this assignment first, so release_feedback finds only ours.
    for old in (course_root / "feedback").glob(f"*/{assignment}"):
        if old.is_dir():
            shutil.rmtree(old)
    staged, missing = [], []
    for submission in sorted((course_root / "submitted").glob(f"*/{assignment}")):
        student = submission.parent.name
        page = _feedback_page(feedback_dir, student, assignment)
        secret = submission / "submission_secret.txt"
        if page is None or not secret.is_file():
            missing.append(student)
            continue
        target = course_root / "feedback" / student / assignment
        target.mkdir(parents=True)
        shutil.copy(page, target / f"{notebook}.html")
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (submission / name).is_file():
                shutil.copy(submission / name, target / name)
        staged.append(student)
    return staged, missing


def deliver_feedback(exchange, feedback_dir, assignments=None, course_root=REPO, log=print):
    """Stage the autograder's feedback pages and release them to the exchange, where each
    student's `nbgrader fetch_feedback` finds their own. Returns {assignment: [students]}."""
    delivered = {}
    for name in assignments or released_assignments(course_root):
        staged, missing = stage_feedback(feedback_dir, name, course_root)
        if missing:
            log(f"{name}: no feedback page (or no submission secret) for {', '.join(missing)}")
        if staged:
            nbgrader("release_feedback", name, exchange=exchange, course_root=course_root)
            log(f"{name}: feedback released for {len(staged)} students")
        delivered[name] = staged
    if not any(delivered.values()):
        raise ExchangeError(f"no feedback page in {feedback_dir} matches a collected submission")
    return delivered


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.exchange",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["release", "collect", "feedback"])
    parser.add_argument("assignments", nargs="*", help="default: every assignment of release/")
    parser.add_argument("--exchange", required=True, type=Path,
                        help="the exchange folder (nbgrader's Exchange.root)")
    parser.add_argument("--feedback", type=Path,
                        help="feedback: the autograder's feedback folder "
                             "(<student>/<assignment>.html)")
    parser.add_argument("--course", type=Path, default=REPO,
                        help="the course root (the folder of nbgrader_config.py)")
    args = parser.parse_intermixed_args(argv)
    try:
        if args.command == "release":
            release(args.exchange, args.assignments, args.course)
        elif args.command == "collect":
            collect(args.exchange, args.assignments, args.course)
        else:
            if args.feedback is None:
                parser.error("feedback needs --feedback DIR (the autograder's feedback folder)")
            deliver_feedback(args.exchange, args.feedback, args.assignments, args.course)
    except ExchangeError as error:
        print(f"exchange: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
