"""Plan: from the collected files to one entry per (student, assignment) of the roster.

Each entry is either a **job** (a notebook to grade, already normalised and written to
`OUT/work/submissions/<assignment>/<student>/<notebook>`) or a **row decided without grading**:
no submission, an empty submission, no notebook among the files, an unreadable notebook.

Normalising a notebook (each repair leaves a note, and the student's code is never changed):

- a notebook under another name is graded under the expected name (nbgrader skips unknown
  names and gives 0);
- a grade_id that appears several times (a copied cell, which aborts `nbgrader autograde` for
  the whole class) is kept on its first cell; the copies lose their nbgrader metadata and run
  as ordinary cells;
- deleted test cells are put back by nbgrader (OverwriteCells.add_missing_cells): noted;
- edited locked cells are restored by nbgrader: noted, for review when it was code.

Which assignment a platform's file belongs to: its name (without copy marks such as ` (1)` or
`-2`) when that is an assignment's notebook or folder name; else the assignment whose cells
(grade_ids) it shares most; else, when only one assignment is graded, that one.
"""

import csv
import json
import re
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from autograder import results
from autograder.cells import grade_id, grade_ids, is_solution
from autograder.results import note

COPY_MARK = re.compile(r"(\s*\(\d+\)|[-_ ]\d+|[-_ ]copy|\s+copy(\s*\d+)?)$", re.IGNORECASE)


@dataclass
class Job:
    """A notebook to grade."""

    student: str
    assignment: str
    notebook: Path        # the normalised notebook, named as the assignment expects
    input_hash: str
    source: str           # where it came from, relative to the input
    notes: list = field(default_factory=list)


@dataclass
class Decided:
    """A (student, assignment) settled without running anything."""

    status: str
    notes: list = field(default_factory=list)
    source: str = ""


@dataclass
class Plan:
    assignments: list
    students: list
    jobs: list            # [Job]
    decided: dict         # {(student, assignment): Decided}
    intake: list          # [Found], with action and note filled in
    layout: str = ""

    def job(self, student, assignment):
        return next((j for j in self.jobs if (j.student, j.assignment) == (student, assignment)),
                    None)


def read_roster(path):
    """Student ids from a CSV file: the column named student, student id, id, username, login
    or user (any case, spaces and _ ignored), else the first column (then the first row is an
    id too). Blank cells are skipped."""
    return sorted({student for student, _ in roster_rows(path)})


def roster_rows(path):
    """[(student id, {normalised column name: value})] of a roster CSV (see read_roster for
    the id column; names lower case, letters only: "SIS User ID" is "sisuserid"; a roster
    without a header row gives {})."""
    from autograder.intake import student_id

    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    if not rows:
        return []
    names = [re.sub(r"[^a-z]", "", c.lower()) for c in rows[0]]
    column, body, header = 0, rows, []
    for wanted in ("student", "studentid", "id", "username", "login", "user"):
        if wanted in names:
            column, body, header = names.index(wanted), rows[1:], names
            break
    found = []
    for r in body:
        student = student_id(r[column]) if len(r) > column else None
        if student:
            found.append((student, {n: v.strip() for n, v in zip(header, r) if n and v.strip()}))
    return found


def clean_stem(name):
    """'03-vector-backprop (1).ipynb' -> '03-vector-backprop' (lower case, copy marks off)."""
    stem = PurePosixPath(name).name
    stem = stem[:-len(".ipynb")] if stem.lower().endswith(".ipynb") else stem
    previous = None
    while previous != stem:
        previous, stem = stem, COPY_MARK.sub("", stem).strip()
    return stem.lower()


def guess_assignment(found, specs, selected):
    """(assignment, how) for a file with no assignment folder, or (None, why not)."""
    raw = PurePosixPath(found.original).name.lower().removesuffix(".ipynb")
    for spec in specs.values():
        if raw in (spec.notebook.lower().removesuffix(".ipynb"), spec.name.lower()):
            return spec.name, "by its name"
    stem = clean_stem(found.original)
    by_stem = [s.name for s in specs.values()
               if stem in (clean_stem(s.notebook), clean_stem(s.name))]
    if len(by_stem) == 1:
        return by_stem[0], "by its name"
    try:
        ids = grade_ids(json.loads(Path(found.file).read_bytes()))
    except (OSError, ValueError):
        ids = set()
    overlap = sorted(((len(ids & spec.ids), name) for name, spec in specs.items()), reverse=True)
    if overlap and overlap[0][0] > 0 and (len(overlap) == 1 or overlap[1][0] < overlap[0][0]):
        return overlap[0][1], "by its cells"
    if len(selected) == 1:
        return selected[0], "the only assignment graded"
    return None, "neither its name nor its cells match an assignment"


def check_notebook(data, name, spec):
    """Read and normalise a submitted notebook.

    data: the file's bytes; name: its file name. Returns (bytes to grade, notes), or raises
    Unreadable / Empty.
    """
    if not data.strip():
        raise Empty("the notebook file is empty (0 bytes)" if not data else
                    "the notebook file holds only white space")
    try:
        json.loads(data)
    except ValueError as e:
        raise Unreadable(f"{name} is not valid JSON ({e})") from None
    try:
        with warnings.catch_warnings():  # nbformat fixes duplicate cell ids (copied cells)
            warnings.simplefilter("ignore")
            nb = nbformat.reads(data.decode("utf-8", errors="replace"), as_version=4)
    except Exception as e:  # nbformat raises many kinds
        raise Unreadable(f"{name} is JSON but not a Jupyter notebook ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})") from None
    if not isinstance(nb.get("cells"), list):
        raise Unreadable(f"{name} is JSON but not a Jupyter notebook (no cells)")

    notes, changed = [], False
    if name != spec.notebook:
        notes.append(note(f"submitted as {name!r}: graded as {spec.notebook!r}"))

    seen, copies = set(), {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if gid in seen:
            del cell.metadata["nbgrader"]
            copies[gid] = copies.get(gid, 1) + 1
            changed = True
        seen.add(gid)
    for gid, count in copies.items():
        notes.append(note(f"cell {gid!r} appears {count} times: the first one is graded, the "
                          f"copies run as ordinary cells"))

    if not seen & spec.ids:
        notes.append(note(f"none of the cells of {spec.notebook} are in this notebook: is it "
                          f"the right file?", "review"))
    else:
        missing_tests = [t.id for t in spec.tests if t.id not in seen]
        if missing_tests:
            notes.append(note(f"test cell(s) {', '.join(missing_tests)} were deleted: nbgrader "
                              f"puts them back before grading"))
        missing_answers = [s for s in spec.solutions if s not in seen]
        if missing_answers:
            notes.append(note(f"answer cell(s) {', '.join(missing_answers)} were deleted"))
        edited = {"code": [], "markdown": []}
        for cell in nb.cells:
            gid = grade_id(cell)
            if gid in spec.locked and not is_solution(cell):
                cell_type, released = spec.locked[gid]
                if cell.source.rstrip() != released.rstrip():
                    edited["code" if cell_type == "code" else "markdown"].append(gid)
        if edited["code"]:
            notes.append(note(f"locked code cell(s) {', '.join(edited['code'])} were edited: "
                              f"graded with the original text", "review"))
        if edited["markdown"]:
            notes.append(note(f"locked text cell(s) {', '.join(edited['markdown'])} were "
                              f"edited: restored"))
    out = nbformat.writes(nb).encode() + b"\n" if changed else data
    return out, notes


class Unreadable(Exception):
    pass


class Empty(Exception):
    pass


def choose(candidates, spec):
    """The notebook to grade among several for one (student, assignment): the one with the
    expected name, else the one sharing most cells with the assignment (then the last by name)."""
    exact = [f for f in candidates if PurePosixPath(f.original).name == spec.notebook]
    if exact:
        return exact[-1]

    def score(f):
        try:
            ids = grade_ids(json.loads(Path(f.file).read_bytes()))
        except (OSError, ValueError):
            ids = set()
        return len(ids & spec.ids), clean_stem(f.original) == clean_stem(spec.notebook), f.path

    return max(candidates, key=score)


def attribute(intake, specs, selected=None):
    """Decide which assignment each collected file belongs to (in place); returns the
    assignments to grade: `selected`, or every known assignment something was handed in for.

    specs: {assignment: AssignmentSpec} of every assignment of the course (light ones do).
    """
    known = set(specs)
    files = intake.files
    for f in files:
        if f.action or f.student is None:
            continue
        if f.assignment is None and f.is_notebook:
            guess, how = guess_assignment(f, specs, selected or sorted(known))
            if guess is None:
                f.action, f.note = "not attributed", f"which assignment? {how}"
                continue
            f.assignment = guess
            f.note = f"assignment {guess} ({how})"
        elif f.assignment is None:
            continue  # a platform's non-notebook file: see below
        if f.assignment not in known:
            f.action, f.note = "unknown assignment", (
                f"{f.assignment!r} is not an assignment of this course "
                f"(known: {', '.join(sorted(known))})")
    if selected is None:
        handed_in = {f.assignment for f in files if f.assignment in known and not f.action}
        handed_in |= {a for _, a in intake.folders if a in known}
        selected = sorted(handed_in)
    for f in files:
        # A platform's file that is not a notebook says nothing of its assignment: when one
        # assignment is graded it is that one's (so "no notebook" can be told), else ignored.
        if not f.action and f.student and f.assignment is None:
            if len(selected) == 1:
                f.assignment = selected[0]
            else:
                f.action, f.note = "ignored", "not a notebook"
    for f in files:
        if not f.action and f.assignment not in selected:
            f.action, f.note = "not selected", f"{f.assignment} is not among the assignments graded"
    return list(selected)


def make_plan(intake, specs, selected, out, roster=(), settings=""):
    """The Plan for an attributed intake (see attribute()).

    specs: {assignment: AssignmentSpec} of the selected assignments (from their templates);
    roster: student ids that get rows even without a submission; settings: text that changes
    every input hash (the time limits).
    """
    out = Path(out)
    files = intake.files
    students = {f.student for f in files if f.student}
    students |= {s for s, _ in intake.folders}
    students |= set(roster)
    students = sorted(students)

    # 2. one entry per (student, assignment)
    groups = {}
    for f in files:
        if not f.action:
            groups.setdefault((f.student, f.assignment), []).append(f)
    jobs, decided = [], {}
    for student in students:
        for assignment in selected:
            spec = specs[assignment]
            group = groups.get((student, assignment), [])
            notebooks = [f for f in group if f.is_notebook]
            for f in group:
                if not f.is_notebook:
                    f.action, f.note = (("used", "nbgrader's submission time")
                                        if PurePosixPath(f.original).name == "timestamp.txt"
                                        else ("ignored", "not a notebook"))
            if not notebooks:
                others = [f for f in group if f.action == "ignored"]
                if others:
                    decided[student, assignment] = Decided(results.NO_NOTEBOOK, [note(
                        "no notebook among the files handed in: "
                        + ", ".join(f.original for f in others), "review")],
                        source=others[0].path)
                elif (student, assignment) in intake.folders:
                    decided[student, assignment] = Decided(results.EMPTY, [note(
                        "the submission folder is empty", "review")])
                else:
                    decided[student, assignment] = Decided(results.NO_SUBMISSION)
                continue
            chosen = choose(notebooks, spec)
            extra_notes = []
            for f in notebooks:
                if f is not chosen:
                    f.action, f.note = "ignored", f"another notebook was graded: {chosen.path}"
                    extra_notes.append(note(f"also handed in {f.original!r} (not graded)"))
            entry = plan_one(chosen, spec, out, student, settings)
            if isinstance(entry, Job):
                entry.notes = extra_notes + entry.notes
                jobs.append(entry)
                chosen.action = "graded"
            else:
                entry.notes = extra_notes + entry.notes
                decided[student, assignment] = entry
                chosen.action = entry.status
    return Plan(assignments=list(selected), students=students, jobs=jobs, decided=decided,
                intake=files, layout=intake.layout)


def plan_one(found, spec, out, student, settings):
    """A Job for one chosen notebook, or a Decided (empty, unreadable)."""
    name = PurePosixPath(found.original).name
    try:
        data, notes = check_notebook(Path(found.file).read_bytes(), name, spec)
    except Empty as e:
        return Decided(results.EMPTY, [note(str(e), "review")], source=found.path)
    except Unreadable as e:
        return Decided(results.UNREADABLE, [note(str(e), "review")], source=found.path)
    target = out / "work" / "submissions" / spec.name / student / spec.notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    timestamp = Path(found.file).parent / "timestamp.txt"
    if timestamp.is_file():  # nbgrader's submission time, kept for its late penalties
        shutil.copy(timestamp, target.parent / "timestamp.txt")
        data += b"timestamp:" + timestamp.read_bytes()
    return Job(student=student, assignment=spec.name, notebook=target,
               input_hash=results.sha256(data, spec.fingerprint, settings),
               source=found.path, notes=notes)
