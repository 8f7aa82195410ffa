"""The whole run: collect -> plan -> grade (in parallel) -> merge -> grades, feedback, report.

    summary = grade_class("submitted/", "graded/", jobs=2)

Everything lands in OUT:

    grades.csv, tests.csv, intake.csv   the tables (tables.py)
    canvas-grades.csv, moodle-grades.csv the grades as Canvas and Moodle import them (lms.py)
    feedback/<student>/<assignment>.html  for the students (feedback.py)
    report.html                          for the TA (report.py)
    gradebook.db                         nbgrader's gradebook of the class (merge.py)
    results/<assignment>/<student>.json  one per graded notebook: what makes re-runs resumable
    autograded/<student>/<assignment>/   nbgrader's graded notebooks (hold hidden tests: TA only)
    work/                                templates, normalised submissions, logs, job folders
"""

import contextlib
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import nbformat

from autograder import (cluster, feedback, intake, lms, merge, plan, pool, report, results,
                        sandbox, similarity, tables, templates)
from autograder.course_layout import REPO, assignments as course_assignments, venv_environment
from autograder.progress import Progress, duration

DEFAULT_TIMEOUT = 300  # seconds for a whole notebook (nbgrader_config.py bounds each cell)


@dataclass
class Summary:
    out: Path
    rows: list                  # [results.Result], one per student and assignment
    graded_now: int = 0
    reused: int = 0
    seconds: float = 0.0
    workers: int = 0
    assignments: list = field(default_factory=list)
    intake: list = field(default_factory=list)
    phases: dict = field(default_factory=dict)  # seconds: collect, templates, grade, outputs

    def counts(self):
        counts = {}
        for r in self.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def text(self):
        students = len({r.student for r in self.rows})
        ran = self.graded_now + self.reused
        lines = [f"{ran} notebook(s) of {students} student(s) x {len(self.assignments)} "
                 f"assignment(s) in {duration(self.seconds)}: {self.graded_now} graded now "
                 f"with {self.workers} worker(s), {self.reused} unchanged since the last run."]
        counts = self.counts()
        lines.append("  " + ", ".join(f"{counts[s]} {s}" for s in results.STATUSES
                                      if counts.get(s)))
        for a in self.assignments:
            scores = [r.score for r in self.rows if r.assignment == a and r.scored]
            top = next((r.max_score for r in self.rows if r.assignment == a), 0)
            mean = f"mean {sum(scores) / len(scores):.1f} / {top:g}" if scores else "no scores"
            lines.append(f"  {a}: {len(scores)} graded, {mean}")
        look = [r for r in self.rows if r.status in results.LOOK]
        problems = [f for f in self.intake if f.action in report.INTAKE_PROBLEMS]
        if look or problems:
            lines.append(f"  needs a human look: {len(look)} submission(s)"
                         + (f", {len(problems)} file(s) not used" if problems else "")
                         + " (listed in report.html)")
        out = self.out
        pages = sum(1 for r in self.rows if feedback.page_path(r))
        lines.append(f"Outputs in {out}/: grades.csv (canvas-grades.csv, moodle-grades.csv for "
                     f"the learning platform), tests.csv, intake.csv, report.html, "
                     f"gradebook.db, feedback/ ({pages} pages)")
        return "\n".join(lines)


def default_jobs():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def result_record(job, answer, spec, out):
    """The stored Result of a graded job: the worker's answer (a Result), with what the plan
    knows (its notes first, the input hash, the source) and the final status."""
    notes = list(job.notes) + list(answer.notes)
    status = answer.status
    if status == results.GRADED and any(n["level"] == "review" for n in notes):
        status = results.NEEDS_REVIEW
    return replace(answer, student=job.student, assignment=job.assignment,
                   notebook=spec.notebook, input_hash=job.input_hash, source=job.source,
                   status=status, max_score=spec.max_score, notes=notes,
                   autograded=(Path(answer.autograded).relative_to(out).as_posix()
                               if answer.autograded else None))


def worker_job(job, template, out, options):
    return {
        **options,
        "student": job.student, "assignment": job.assignment, "notebook": str(job.notebook),
        "template": str(template.root), "job_root": str(out / "work" / "jobs" / job.assignment
                                                        / job.student),
        "autograded": str(out / "autograded" / job.student / job.assignment
                          / template.spec.notebook),
        "log": str(out / "work" / "logs" / job.assignment / f"{job.student}.log"),
    }


def sandbox_note():
    """One sentence on how students' code runs: in bubblewrap, or (a warning) not."""
    ok, reason = sandbox.sandbox_available()
    if ok:
        return f"students' code runs sandboxed ({reason})"
    return (f"WARNING: students' code is NOT sandboxed ({reason}): it runs with the grader's "
            f"rights (it can read source/ and the gradebook, and use the network); only the "
            f"resource limits apply")


def grade_class(submissions, out, course_root=REPO, assignments=None, jobs=None, roster=None,
                timeout=DEFAULT_TIMEOUT, cell_timeout=None, force=False, log=None,
                progress_stream=None, limits=None, cluster_address=None, scheduler_file=None):
    """Grade a folder or zip of submissions into `out`; returns a Summary.

    limits: the sandbox's sandbox.Limits for every kernel (default: sandbox.Limits()).
    cluster_address or scheduler_file: grade on that Dask scheduler's workers (cluster.py)
    instead of `jobs` local workers (which then only generate templates); a scheduler that
    cannot be reached raises cluster.ClusterError before anything else is done."""
    started = time.perf_counter()
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    connection = (cluster.connect(cluster_address, scheduler_file)
                  if cluster_address or scheduler_file else contextlib.nullcontext())
    with connection as remote:
        os.environ.update(venv_environment())  # nbgrader runs `alembic` from PATH
        out = Path(out).resolve()
        course_root = Path(course_root).resolve()
        out.mkdir(parents=True, exist_ok=True)
        jobs = jobs or default_jobs()
        known = course_assignments(course_root)
        if assignments:
            unknown = sorted(set(assignments) - set(known))
            if unknown:
                raise ValueError(f"unknown assignment(s) {', '.join(unknown)}; this course has "
                                 f"{', '.join(known)}")
        roster_ids = plan.read_roster(roster) if roster else []
        isolation = remote.sandbox_note() if remote is not None else sandbox_note()
        limits = limits or sandbox.Limits()
        log(f"{isolation}; limits per notebook: {sandbox.describe_limits(limits)}")
        if remote is not None:
            log(f"grading on the Dask cluster at {remote.where} ({remote.threads} worker "
                f"thread(s) now)")

        phases, clock = {}, time.perf_counter()

        def phase(name):
            nonlocal clock
            now = time.perf_counter()
            phases[name] = round(now - clock, 3)
            clock = now

        # collect and attribute
        collected = intake.collect(submissions, out / "work", known)
        light = {a: templates.light_spec(course_root, a) for a in known}
        selected = plan.attribute(collected, light, list(assignments) if assignments else None)
        log(f"{len(collected.files)} file(s) in {submissions} ({collected.layout} layout); "
            f"grading {', '.join(selected) or 'nothing'}")
        phase("collect")

        with pool.Pool(jobs, out / "work" / "logs") as workers:
            # one template per assignment (generated once, reused while its source is unchanged)
            tmpl = make_templates(workers, course_root, selected, out, log)
            phase("templates")
            specs = {a: t.spec for a, t in tmpl.items()}
            settings = (f"timeout={timeout} cell_timeout={cell_timeout} "
                        f"limits={sandbox.describe_limits(limits)}")
            the_plan = plan.make_plan(collected, specs, selected, out, roster_ids, settings)
            todo, stored = grade_all(remote or workers, the_plan, tmpl, out, force, timeout,
                                     {"cell_timeout": cell_timeout, "limits": asdict(limits)},
                                     log, progress_stream)
        phase("grade")

        # the outputs
        all_rows = rows(the_plan, stored, specs)
        status = {(r.student, r.assignment): r.status for r in all_rows}
        for f in the_plan.intake:
            if f.action == "graded":  # say how it went
                f.action = status.get((f.student, f.assignment), f.action)
        feedback.write_all(out, all_rows, tmpl)
        results.write_if_changed(out / "grades.csv", tables.grades_csv(all_rows))
        results.write_if_changed(out / "tests.csv", tables.tests_csv(all_rows))
        results.write_if_changed(out / "intake.csv", tables.intake_csv(the_plan.intake))
        people = lms.identities(the_plan.intake, roster)
        for name, table in (("canvas-grades.csv", lms.canvas_csv),
                            ("moodle-grades.csv", lms.moodle_csv)):
            results.write_if_changed(out / name, table(all_rows, selected, people))
        merge.build_gradebook(out, all_rows, tmpl, the_plan.students)
        results.write_if_changed(out / "report.html",
                                 report.render(all_rows, the_plan.intake, selected, isolation,
                                               similar_solutions(the_plan, tmpl, out)))
        phase("outputs")
        return Summary(out=out, rows=all_rows, graded_now=len(todo),
                       reused=len(stored) - len(todo), seconds=time.perf_counter() - started,
                       workers=remote.threads if remote is not None else min(jobs, len(todo)),
                       assignments=selected, intake=the_plan.intake, phases=phases)


def make_templates(workers, course_root, selected, out, log):
    """{assignment: Template}: cached ones reused, the others generated by the workers."""
    folder = out / "work" / "templates"
    made = {a: templates.cached(course_root, a, folder) for a in selected}
    missing = [a for a in selected if made[a] is None]
    if missing:
        log(f"generating the release and gradebook of {', '.join(missing)} "
            f"(nbgrader generate_assignment)")
        staged = {a: templates.stage(course_root, a, folder) for a in missing}
        failures = []

        def on_result(job, result):
            if result.get("status") != "ok":
                failures.append(f"{job['assignment']}: {result.get('message') or result}")

        workers.run([{"kind": "generate", "assignment": a, "scratch": str(staged[a]),
                      "log": str(out / "work" / "logs" / a / "generate.log")} for a in missing],
                    templates.GENERATE_TIMEOUT, on_result)
        if failures:
            for scratch in staged.values():
                shutil.rmtree(scratch, ignore_errors=True)
            raise RuntimeError("could not generate " + "; ".join(failures))
        for a in missing:
            made[a] = templates.finish(course_root, staged[a], a, folder)
    return made


def grade_all(workers, the_plan, tmpl, out, force, timeout, options, log,
              progress_stream=None):
    """Grade every job of the plan whose stored result is missing or out of date.
    options: what every worker job carries besides its own files (cell_timeout, limits).
    Returns (the jobs graded now, {(student, assignment): results.Result})."""
    specs = {a: t.spec for a, t in tmpl.items()}
    todo, stored = [], {}
    for job in the_plan.jobs:
        previous = results.load_result(out, job.assignment, job.student)
        if previous and previous.input_hash == job.input_hash and not force:
            stored[job.student, job.assignment] = previous
        else:
            todo.append(job)
    log(f"{len(the_plan.jobs)} notebook(s) to grade: {len(todo)} new or changed, "
        f"{len(stored)} unchanged; {len(the_plan.decided)} row(s) settled without running")
    if not todo:
        return todo, stored
    by_key = {(j.student, j.assignment): j for j in todo}
    progress = Progress(len(todo), stream=progress_stream)

    def on_result(worker_job_, answer):
        job = by_key[worker_job_["student"], worker_job_["assignment"]]
        record = result_record(job, results.Result.from_json(answer), specs[job.assignment], out)
        similarity.write_fingerprints(out, job.assignment, job.student, job.input_hash,
                                      answer.get("fingerprints") or {})
        results.write_result(out, record)
        stored[job.student, job.assignment] = record
        score = f" {record.score:g}/{record.max_score:g}" if record.score is not None else ""
        progress.update(f"{job.student} {job.assignment}: {record.status}{score}")

    try:
        workers.run([worker_job(j, tmpl[j.assignment], out, options) for j in todo],
                    timeout, on_result)
    finally:
        progress.close()
        shutil.rmtree(out / "work" / "jobs", ignore_errors=True)
    return todo, stored


def similar_solutions(the_plan, tmpl, out):
    """The class's near-identical solutions, between students and with the engine's source, as
    the report shows them: [similarity.SideBySide] (from the fingerprints stored with the
    results, and the code of the submissions as graded)."""
    jobs = {(j.student, j.assignment): j for j in the_plan.jobs}
    stored = {key: similarity.load_fingerprints(out, j.assignment, j.student, j.input_hash)
              for key, j in jobs.items()}
    matches = similarity.class_matches({key: cells for key, cells in stored.items() if cells})
    if not matches:
        return []
    code = {key: similarity.cell_sources(nbformat.read(jobs[key].notebook, as_version=4))
            for key in {(m.student, m.assignment) for m in matches}
            | {(m.other, m.assignment) for m in matches if not m.engine}}
    released = {a: similarity.cell_sources(nbformat.read(t.release_notebook, as_version=4))
                for a, t in tmpl.items()}
    engine = {f.where: f.code for f in similarity.engine_functions()}
    return [similarity.side_by_side(
        m, code[m.student, m.assignment][m.cell],
        engine[m.other] if m.engine else code[m.other, m.assignment][m.cell],
        released[m.assignment].get(m.cell, "")) for m in matches]


def rows(the_plan, stored, specs):
    """One results.Result per student of the roster and assignment graded, in that order: the
    stored one, or the plan's decision (scored 0)."""
    out = []
    for student in the_plan.students:
        for assignment in the_plan.assignments:
            row = stored.get((student, assignment))
            if row is None:
                decided = the_plan.decided.get((student, assignment)) or plan.Decided(
                    results.GRADING_ERROR, [results.note("not graded: the run was interrupted",
                                                         "review")])
                row = results.Result(student=student, assignment=assignment,
                                     status=decided.status, score=0.0,
                                     max_score=specs[assignment].max_score,
                                     notes=decided.notes, source=decided.source)
            out.append(row)
    return out
