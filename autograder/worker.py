"""A grading worker: a long-lived process that runs real nbgrader autograde, one job at a time.

`python -m autograder.worker` imports nbgrader once (about 2 s: a fresh `nbgrader autograde`
process per notebook would pay it every time), says `{"ready": true}` on its stdout, then reads
one job per line on stdin and answers one result per line (a results.Result's JSON, with the
solutions' "fingerprints" for the similarity report beside it). Each job is graded in its own
throw-away nbgrader course (`OUT/work/jobs/<assignment>/<student>/`): the template's gradebook
copied in, the template's source/ linked, and the one submitted notebook. So no two jobs share a
gradebook, and a job can be killed without harming any other.

The worker does not bound its own time: the pool (pool.py) kills the worker's whole process
tree, kernel included, when a notebook runs past its limit. When the pool's process dies (killed,
crashed), the worker kills its kernel and exits within half a second (watch_parent).
"""

import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

TIMINGS = {}  # filled by TimedExecute while a job runs
SANDBOX = {}  # the worker's sandbox plan (autograder/sandbox/), made at its first job
SANDBOX_PREFIX = "autograder-sandbox-"  # + the worker's pid: its run folder in the temp folder


def watch_parent(parent, interval=0.5):
    """In a thread: when the parent (the pool) is gone, kill this worker's children (the
    kernel) and exit. (Linux's PR_SET_PDEATHSIG would fire when the *thread* that started us
    ends, and the pool starts workers from threads that come and go.)"""
    import threading

    import psutil

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                for child in psutil.Process().children(recursive=True):
                    try:
                        child.kill()
                    except psutil.Error:
                        pass
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()


def add_time(key, started):
    TIMINGS[key] = TIMINGS.get(key, 0.0) + time.perf_counter() - started


def timed_execute_class():
    """nbgrader's Execute preprocessor, timing kernel start, execution and shutdown."""
    from nbgrader.preprocessors import Execute

    class TimedExecute(Execute):
        # nbconvert drives nbclient through its synchronous wrappers: time those.
        def start_new_kernel(self, **kwargs):
            started = time.perf_counter()
            try:
                return super().start_new_kernel(**kwargs)
            finally:
                add_time("kernel_start", started)

        def start_new_kernel_client(self):
            started = time.perf_counter()
            try:
                return super().start_new_kernel_client()
            finally:
                add_time("kernel_start", started)
                TIMINGS["execute_from"] = time.perf_counter()

        def _cleanup_kernel(self):
            started = time.perf_counter()
            if "execute_from" in TIMINGS:
                TIMINGS["execute"] = started - TIMINGS.pop("execute_from")
            try:
                return super()._cleanup_kernel()
            finally:
                add_time("kernel_shutdown", started)

    return TimedExecute


def remove_tree(path):
    """shutil.rmtree that also removes nbgrader's read-only (444) files."""
    def retry(function, p, _):
        os.chmod(p, 0o700 if os.path.isdir(p) else 0o600)
        function(p)

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=retry)


def sandbox_run_dirs(pid):
    """The sandbox run folders of worker `pid` (the pool removes them if it had to kill it)."""
    import tempfile

    return sorted(Path(tempfile.gettempdir()).glob(f"{SANDBOX_PREFIX}{pid}-*"))


def sandbox_plan(limits=None):
    """This worker's sandbox: one kernel spec and run folder per worker, in a temporary folder
    (its IPC sockets are no output of the run) removed when the worker exits. Students' kernels
    run in bubblewrap, or, where it cannot run, with limits only and a warning. limits: a dict
    of sandbox.Limits fields, read at the first job (one run, one set of limits)."""
    if "plan" not in SANDBOX:
        import atexit
        import tempfile

        from autograder import sandbox

        run_dir = tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-")
        atexit.register(shutil.rmtree, run_dir, ignore_errors=True)
        plan = SANDBOX["plan"] = sandbox.prepare(
            run_dir, limits=sandbox.Limits(**limits) if limits else None)
        os.environ.update(plan.env)  # JUPYTER_PATH: where the sandbox kernel spec is
        if plan.warning:
            print(plan.warning, file=sys.stderr)
    return SANDBOX["plan"]


def job_config(template_root, job_root, cell_timeout, limits=None):
    """nbgrader's config for one job: the course's nbgrader_config.py, pointed at the job."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(template_root)).load_config()
    config.CourseDirectory.root = str(job_root)
    config.CourseDirectory.db_url = f"sqlite:///{job_root / 'gradebook.db'}"
    if cell_timeout:
        config.Execute.timeout = int(cell_timeout)
    # Every cell has run and its outputs are in: stop the kernel at once instead of asking it
    # to shut down and waiting (nbclient's "graceful" costs about half a second a notebook).
    config.Execute.shutdown_kernel = "immediate"
    timed = timed_execute_class()  # a subclass: the course's `Execute` settings still apply
    preprocessors = (config.Autograde.autograde_preprocessors
                     if "autograde_preprocessors" in config.Autograde
                     else Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = [timed if p is Execute else p
                                                for p in preprocessors]
    sandbox_plan(limits).configure(config)  # the students' kernel: sandboxed, over IPC
    return config


def failure_status(log_text):
    """(status, note text) for a failed nbgrader run, from its log."""
    from autograder import results

    if "DeadKernelError" in log_text or "Kernel died" in log_text:
        return results.KERNEL_DIED, "the Python kernel died while running the notebook"
    if "UnresponsiveKernelError" in log_text or "kernel became unresponsive" in log_text:
        return (results.TIMED_OUT,
                "the kernel stopped answering and could not be interrupted (an endless loop?)")
    lines = [line for line in log_text.splitlines() if "Error" in line or "error" in line]
    return results.GRADING_ERROR, "nbgrader failed: " + (lines[-1][:500] if lines else "unknown")


def grade(job):
    """Grade one job (a dict: pipeline.worker_job) in this process; returns its results.Result
    (autograded: an absolute path; the pipeline adds what the plan knows)."""
    from nbgrader.converters import Autograde, NbGraderException
    from nbgrader.coursedir import CourseDirectory

    from autograder import extract, results
    from autograder.templates import AssignmentSpec

    started = time.perf_counter()
    TIMINGS.clear()
    student, assignment = job["student"], job["assignment"]
    template, job_root = Path(job["template"]), Path(job["job_root"])
    spec = AssignmentSpec.from_json((template / "spec.json").read_text())
    remove_tree(job_root)
    submitted = job_root / "submitted" / student / assignment
    submitted.mkdir(parents=True)
    (job_root / "source").symlink_to(template / "source", target_is_directory=True)
    shutil.copy(template / "gradebook.db", job_root / "gradebook.db")
    source = Path(job["notebook"])
    shutil.copy(source, submitted / spec.notebook)
    if (source.parent / "timestamp.txt").is_file():
        shutil.copy(source.parent / "timestamp.txt", submitted / "timestamp.txt")

    review = scan_for_review(submitted / spec.notebook, template, spec, assignment)
    add_canary(submitted / spec.notebook, template, spec)
    config = job_config(template, job_root, job.get("cell_timeout"), job.get("limits"))
    plan = sandbox_plan()
    mark = plan.event_mark()
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    log = logging.getLogger(f"autograder.job.{os.getpid()}")
    log.handlers.clear()
    log.propagate = False
    log.setLevel(logging.INFO)
    log_path = Path(job["log"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    TIMINGS["setup"] = time.perf_counter() - started

    autograde_started = time.perf_counter()
    failed = None
    try:
        converter = Autograde(coursedir=coursedir, config=config, log=log)
        converter.force = True
        converter.start()
    except NbGraderException as e:
        failed = str(e)
    except Exception as e:  # nbgrader lets some errors through; the rest of the class goes on
        log.exception("autograde raised")
        failed = f"{type(e).__name__}: {e}"
    finally:
        handler.close()
        log.removeHandler(handler)
    TIMINGS["autograde"] = time.perf_counter() - autograde_started

    result = results.Result(student=student, assignment=assignment, status=results.GRADED,
                            max_score=spec.max_score, notebook=spec.notebook)
    autograded = job_root / "autograded" / student / assignment / spec.notebook
    if failed is not None or not autograded.exists():
        status, text = failure_status(log_path.read_text(errors="replace") + (failed or ""))
        exits = plan.kernel_exits(since=mark)
        if status == results.KERNEL_DIED and exits and exits[-1].message:
            text = f"the Python kernel died: {exits[-1].message}"
        result.status, result.score, result.notes = status, 0.0, [results.note(text, "review")]
    else:
        extract_started = time.perf_counter()
        import nbformat

        from autograder import canary, sandbox

        nb = nbformat.read(autograded, as_version=4)
        verdict = canary.read_canary(nb)
        canary.strip_canary_cell(nb)  # feedback and the TA's copy show the student's notebook
        nbformat.write(nb, autograded)
        scores = extract.read_scores(config.CourseDirectory.db_url,
                                     Path(spec.notebook).stem, assignment, student)
        tests, cell_errors, notes = extract.tests_and_notes(nb, scores, spec,
                                                            job.get("cell_timeout"))
        notes += [results.note(f"{cell}: {limit.value}", "review")  # TIME: noted by extract
                  for cell, limit in sandbox.limit_errors(nb)
                  if limit is not sandbox.CellLimit.TIME]
        result.tests, result.cell_errors, result.notes = tests, cell_errors, notes
        result.score = float(sum(t["score"] or 0 for t in tests))
        if verdict.tampered:  # the checker was not the checker: no test result can be trusted
            for t in tests:
                t["score"] = 0.0
            result.score = 0.0
            result.notes = notes + [results.note(
                f"{verdict.summary()}: the gradient checker or numpy was tampered with, so "
                "the notebook gets 0", "review")] + [
                results.note(f.text(), "review") for f in verdict.flags]
        dest = Path(job["autograded"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(autograded, tmp)
        os.replace(tmp, dest)
        result.autograded = str(dest)
        TIMINGS["extract"] = time.perf_counter() - extract_started
    result.notes = result.notes + review
    remove_tree(job_root)
    TIMINGS.pop("execute_from", None)
    result.timings = {k: round(v, 4) for k, v in TIMINGS.items()}
    result.timings["total"] = round(time.perf_counter() - started, 4)
    return result


def add_canary(notebook, template, spec):
    """Append the canary cell (canary.py) to the submission before it is autograded."""
    import nbformat

    from autograder import canary

    nb = nbformat.read(notebook, as_version=4)
    release = nbformat.read(template / "release" / spec.name / spec.notebook, as_version=4)
    nbformat.write(canary.add_canary_cell(nb, reference=release), notebook)


def scan_for_review(notebook, template, spec, assignment):
    """The static scan's flags as review notes, each with the student's line: engine calls that
    do the exercise for the student, monkeypatching, file or process access. For a person to
    look at (the submission becomes "needs review"), never a penalty."""
    import nbformat

    from autograder import results, scan

    try:
        nb = nbformat.read(notebook, as_version=4)
        release = nbformat.read(template / "release" / spec.name / spec.notebook, as_version=4)
        flags = scan.scan_notebook(nb, reference=release, assignment=assignment)
    except Exception as e:  # a scan failure must not stop grading
        return [results.note(f"the code scan failed: {type(e).__name__}: {e}", "review")]
    return [results.note(f.text(), "review") for f in flags]


def fingerprints(job):
    """The submitted notebook's solution fingerprints (similarity.py), for the similarity
    report; {} when it cannot be read (its grading said why)."""
    import nbformat

    from autograder import similarity
    from autograder.templates import AssignmentSpec

    template = Path(job["template"])
    spec = AssignmentSpec.from_json((template / "spec.json").read_text())
    try:
        nb = nbformat.read(job["notebook"], as_version=4)
        release = nbformat.read(template / "release" / spec.name / spec.notebook, as_version=4)
        return similarity.solution_fingerprints(nb, release)
    except Exception:  # noqa: BLE001  (a comparison less must not stop grading)
        return {}


def generate(job):
    """Generate an assignment's template (see templates.py) in this process."""
    from autograder import templates

    log = logging.getLogger(f"autograder.generate.{os.getpid()}")
    log.handlers.clear()
    log.propagate = False
    log.setLevel(logging.INFO)
    Path(job["log"]).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(job["log"], mode="w")
    log.addHandler(handler)
    started = time.perf_counter()
    try:
        templates.generate(job["scratch"], job["assignment"], log)
        return {"status": "ok", "timings": {"total": round(time.perf_counter() - started, 4)}}
    except Exception as e:  # reported to the pool, which stops the run with it
        log.exception("generate_assignment failed")
        return {"status": "error", "message": f"{type(e).__name__}: {e}"}
    finally:
        handler.close()
        log.removeHandler(handler)


def remember_alembic_version():
    """nbgrader runs `alembic heads` (a subprocess, about 2 s) for every gradebook it creates;
    the answer depends only on the installed nbgrader, so this worker asks once."""
    import functools

    import nbgrader.api

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.lru_cache(maxsize=1)(
            nbgrader.api.get_alembic_version)


def main():
    parent = os.getppid()
    watch_parent(parent)
    # The protocol owns the real stdout; anything else printed goes to stderr (the worker log).
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import nbgrader.converters  # noqa: F401  (the slow imports, once)
    import nbformat  # noqa: F401

    remember_alembic_version()

    protocol.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        if os.getppid() != parent:
            break
        job = json.loads(line)
        try:
            answer = (generate(job) if job.get("kind") == "generate"
                      else {**grade(job).to_json(), "fingerprints": fingerprints(job)})
        except Exception as e:  # a bug here must not stop the class: report it, keep serving
            import traceback

            from autograder import results

            traceback.print_exc()
            answer = results.Result(
                student=job.get("student", ""), assignment=job.get("assignment", ""),
                status=results.GRADING_ERROR, score=0.0, notes=[results.note(
                    f"the autograder failed: {type(e).__name__}: {e}", "review")]).to_json()
        protocol.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
