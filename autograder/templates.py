"""One nbgrader template per assignment and run: the release and a gradebook that knows the cells.

`nbgrader autograde` needs the assignment, its notebook and its grade cells in the gradebook
before it grades anyone. nbgrader's generate_assignment runs once per assignment (in a worker
process, see worker.py), in `OUT/work/templates/<assignment>/` (a throw-away course root: a copy
of nbgrader_config.py and of source/<assignment>/), and every grading job copies that gradebook
into its own folder.

A template is reused while its fingerprint (the assignment's source files, nbgrader_config.py,
nbgrader's version and GRADER_VERSION) is unchanged; otherwise it is generated again, and every
result graded with the old one is out of date (the fingerprint is part of each job's input hash).

The spec (`spec.json` beside it) is what the rest of the autograder knows about the assignment:
its notebook's name, its test cells with their points, which of them hold hidden tests, the
solution cells, and the locked cells as released (to tell a student's edits).
"""

import hashlib
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder.cells import cells_by_id, grade_id, is_locked, is_solution, is_test, points
from autograder.course_layout import BEGIN_HIDDEN_TESTS, notebook_file

# Bump when a change to the autograder changes how a notebook is graded: every result is then
# out of date and graded again.
GRADER_VERSION = "2"
GENERATE_TIMEOUT = 600  # seconds for generating one assignment


@dataclass
class TestCell:
    id: str
    points: float
    hidden: bool


@dataclass
class AssignmentSpec:
    """What the autograder knows about one assignment (from its source and generated release)."""

    name: str
    notebook: str                                     # the notebook's file name, e.g. "03-x.ipynb"
    tests: list = field(default_factory=list)         # [TestCell] in notebook order
    solutions: list = field(default_factory=list)     # solution cell grade_ids, in order
    locked: dict = field(default_factory=dict)        # {grade_id: [cell_type, released source]}
    fingerprint: str = ""

    @property
    def max_score(self):
        return sum(t.points for t in self.tests)

    @property
    def ids(self):
        """Every grade_id of the released notebook (to recognise the assignment's notebook)."""
        return set(self.locked) | set(self.solutions) | {t.id for t in self.tests}

    def to_json(self):
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        data["tests"] = [TestCell(**t) for t in data["tests"]]
        return cls(**data)


@dataclass
class Template:
    """A generated assignment: `root` is an nbgrader course root holding gradebook.db,
    source/<assignment>/ and release/<assignment>/."""

    root: Path
    spec: AssignmentSpec

    @property
    def gradebook(self):
        return self.root / "gradebook.db"

    @property
    def release_notebook(self):
        return self.root / "release" / self.spec.name / self.spec.notebook


def fingerprint(course_root, assignment):
    """A hash of everything that decides how `assignment` is graded."""
    import nbgrader

    course_root = Path(course_root)
    h = hashlib.sha256()
    h.update(f"grader {GRADER_VERSION} nbgrader {nbgrader.__version__}\n".encode())
    h.update((course_root / "nbgrader_config.py").read_bytes())
    folder = course_root / "source" / assignment
    for path in sorted(p for p in folder.rglob("*") if p.is_file()
                       and ".ipynb_checkpoints" not in p.parts):
        h.update(f"\n{path.relative_to(folder).as_posix()}\n".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def spec_from_notebooks(assignment, source_nb, release_nb, notebook_name, fingerprint_=""):
    """The AssignmentSpec of an assignment, from its source and release notebooks.

    A test cell is hidden when its source holds nbgrader's hidden-tests marker, or when its
    released text differs from the source (something was taken out of it).
    """
    released = cells_by_id(release_nb)
    spec = AssignmentSpec(name=assignment, notebook=notebook_name, fingerprint=fingerprint_)
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        release_cell = released.get(gid)
        if is_test(cell) and cell.cell_type == "code":
            hidden = (BEGIN_HIDDEN_TESTS in cell.source or release_cell is None
                      or release_cell.source != cell.source)
            spec.tests.append(TestCell(gid, points(cell), hidden))
        if is_solution(cell):
            spec.solutions.append(gid)
        elif (is_locked(cell) or is_test(cell)) and release_cell is not None:
            spec.locked[gid] = [release_cell.cell_type, release_cell.source]
    return spec


def light_spec(course_root, assignment):
    """The spec of an assignment from its source notebook alone (no nbgrader run): enough to
    recognise its notebooks (name, grade_ids), not to grade them (locked cells as in source)."""
    path = notebook_file(Path(course_root) / "source", assignment)
    nb = nbformat.read(path, as_version=4)
    return spec_from_notebooks(assignment, nb, nb, path.name)


def cached(course_root, assignment, templates_dir):
    """The up-to-date Template of `assignment` in templates_dir, or None."""
    target = Path(templates_dir) / assignment
    spec_file = target / "spec.json"
    if spec_file.exists() and (target / "gradebook.db").exists():
        spec = AssignmentSpec.from_json(spec_file.read_text())
        if spec.fingerprint == fingerprint(course_root, assignment):
            return Template(target, spec)
    return None


def stage(course_root, assignment, templates_dir):
    """A fresh course folder to generate `assignment` in (next to where its template goes):
    a copy of nbgrader_config.py and of source/<assignment>/. Returns its path."""
    course_root, templates_dir = Path(course_root), Path(templates_dir)
    templates_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{assignment}-", dir=templates_dir))
    shutil.copy(course_root / "nbgrader_config.py", scratch / "nbgrader_config.py")
    shutil.copytree(course_root / "source" / assignment, scratch / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return scratch


def generate(scratch, assignment, log):
    """`nbgrader generate_assignment <assignment> --force` in the staged folder, in this
    process (a worker, which has nbgrader imported already). Raises on failure."""
    from nbgrader.converters import GenerateAssignment, NbGraderException
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(scratch)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    converter = GenerateAssignment(coursedir=coursedir, config=config, log=log)
    converter.force = True
    try:
        converter.start()
    except NbGraderException as e:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed: {e}") from None


def finish(course_root, scratch, assignment, templates_dir):
    """Move a generated folder into place as the Template of `assignment`."""
    scratch, target = Path(scratch), Path(templates_dir) / assignment
    source_path = notebook_file(scratch / "source", assignment)
    spec = spec_from_notebooks(
        assignment, nbformat.read(source_path, as_version=4),
        nbformat.read(notebook_file(scratch / "release", assignment), as_version=4),
        source_path.name, fingerprint(course_root, assignment))
    (scratch / "spec.json").write_text(spec.to_json())
    if target.exists():
        shutil.rmtree(target)
    scratch.rename(target)
    return Template(target, spec)
