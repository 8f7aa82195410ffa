"""The student pack: one zip with everything a student needs to work, and nothing that gives
answers away.

    python -m autograder.student_pack [--release DIR] [--out DIR]   (what `make student-pack` runs)

builds `dist/<course_id>-student.zip` (course_id from nbgrader_config.py, e.g. "backprop"):

    <course_id>-student/
        README.md        two commands: `cd` into the folder, `make lab`   (student/README.md)
        Makefile         lab / setup / validate / clean                   (student/Makefile)
        environment.yml  the same environment for conda users             (student/environment.yml)
        <assignment>/...          every folder of the release (release/ by default)
        playground/...            the ungraded widget tour
        wheels/<course wheel>     the `course` package, built from course/ alone

What it never holds: source/, autograder/, tests/, a gradebook, or a notebook with nbgrader's
solution or hidden-test markers. The wheel is built from a copy of pyproject.toml, README.md and
course/ only (so nothing else of the repository can slip in), and checked to hold nothing but
`course/` and its dist-info. After writing the zip the builder reads it back, wheel included, and
refuses to leave a pack behind that breaks one of these rules.

The zip is reproducible: entries in sorted order with a fixed timestamp, and the wheel built with
SOURCE_DATE_EPOCH set.
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "student"

# What a student's copy may never contain: the instructor's folders and files (as a path part
# anywhere in the pack) and nbgrader's markers, which only instructor notebooks hold (nbgrader
# removes them with the regions they delimit).
FORBIDDEN_PARTS = {"source", "autograder", "tests", "gradebook.db", "nbgrader_config.py",
                   ".git", "submitted", "autograded", "feedback"}
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Left out when copying folders: editor and Python caches, hidden files.
SKIPPED = {".ipynb_checkpoints", "__pycache__"}

ZIP_DATE = (1980, 1, 1, 0, 0, 0)         # the earliest a zip can say: reproducible archives
SOURCE_DATE_EPOCH = "315532800"          # the same instant, for the wheel
WHEEL_TIMEOUT = 600                      # seconds for `pip wheel` (it may fetch setuptools)


class PackError(RuntimeError):
    """The pack would break one of its rules (or could not be built)."""


# --- what goes in -----------------------------------------------------------------------------

def course_id(repo=REPO):
    """The course id set in the repository's nbgrader_config.py (e.g. "backprop")."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(repo)).load_config()
    name = config.CourseDirectory.get("course_id", "")
    if not name:
        raise PackError(f"{repo / 'nbgrader_config.py'} sets no CourseDirectory.course_id")
    return name


def _files_under(folder):
    """Every file below `folder`, sorted, without caches and hidden files."""
    for path in sorted(Path(folder).rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(p in SKIPPED or p.startswith(".") for p in parts):
            yield path


def release_folders(release_dir):
    """The assignment folders of a release: its sub-folders that hold a notebook, sorted."""
    return sorted(p for p in Path(release_dir).iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


def notebook_title(path):
    """The first markdown heading of a notebook, without the #s ('' when there is none)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def build_wheel(out_dir, repo=REPO):
    """Build the `course` wheel into `out_dir` from a copy of pyproject.toml, README.md and
    course/ alone; check what it holds; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="course-wheel-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (repo / name).is_file():
                shutil.copy2(repo / name, tree / name)
        shutil.copytree(repo / "course", tree / "course",
                        ignore=shutil.ignore_patterns(*SKIPPED, "*.pyc", ".*"))
        built = Path(tmp) / "wheels"
        env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
        env.pop("PYTHONPATH", None)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--progress-bar", "off",
             "--disable-pip-version-check", "--wheel-dir", str(built), str(tree)],
            capture_output=True, text=True, env=env, timeout=WHEEL_TIMEOUT,
            stdin=subprocess.DEVNULL)
        wheels = sorted(built.glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise PackError(f"pip wheel failed (exit {result.returncode}):\n"
                            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        wheel = out_dir / wheels[0].name
        shutil.copy2(wheels[0], wheel)
    check_wheel(wheel)
    return wheel


def check_wheel(wheel):
    """Raise PackError unless the wheel holds only `course/` and its own dist-info."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    strays = [n for n in names if not (n.startswith("course/") or
                                       re.match(r"[^/]+\.dist-info/", n))]
    if strays or not any(n == "course/__init__.py" for n in names):
        raise PackError(f"{wheel.name} must hold course/ and its dist-info only; "
                        f"strays: {strays[:10]}, course/__init__.py present: "
                        f"{'course/__init__.py' in names}")


def render(template, **values):
    """A template of student/ with each {{name}} replaced; every placeholder must be known."""
    text = (TEMPLATES / template).read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    if left:
        raise PackError(f"student/{template}: no value for {sorted(set(left))}")
    return text


def pack_entries(release_dir, wheel, repo=REPO, playground_dir=None):
    """{path inside the pack folder: bytes} of everything the pack holds."""
    release_dir = Path(release_dir)
    playground_dir = Path(playground_dir or repo / "playground")
    name = course_id(repo)
    folders = release_folders(release_dir)
    if not folders:
        raise PackError(f"{release_dir} holds no assignment folder with a notebook")
    entries = {}
    for folder in folders:
        for path in _files_under(folder):
            entries[f"{folder.name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    for path in _files_under(playground_dir):
        entries[f"playground/{path.relative_to(playground_dir).as_posix()}"] = path.read_bytes()
    entries[f"wheels/{wheel.name}"] = Path(wheel).read_bytes()

    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    rows = "".join(
        f"| `{f.name}/` | {notebook_title(sorted(f.glob('*.ipynb'))[0]) or 'an assignment'} |\n"
        for f in folders)
    entries["README.md"] = render(
        "README.md", folder=f"{name}-student", zip=f"{name}-student.zip", wheel=wheel.name,
        course=name, assignments=rows).encode()
    entries["Makefile"] = (TEMPLATES / "Makefile").read_bytes()
    entries["environment.yml"] = render(
        "environment.yml", course=name, python=project["requires-python"], wheel=wheel.name,
        dependencies="\n".join(f"  - {d}" for d in project["dependencies"])).encode()
    return entries


# --- reading a pack back ----------------------------------------------------------------------

def pack_members(zip_path):
    """Yield (name, bytes) for every file in the pack, and for every file inside each wheel
    of it (named '<wheel path>!/<member>')."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            data = zf.read(info)
            yield info.filename, data
            if info.filename.endswith(".whl"):
                with zipfile.ZipFile(io.BytesIO(data)) as wheel:
                    for inner in wheel.infolist():
                        if not inner.is_dir():
                            yield f"{info.filename}!/{inner.filename}", wheel.read(inner)


def problems(zip_path):
    """Every rule the pack at `zip_path` breaks, in words (empty when it is clean)."""
    found = []
    for name, data in pack_members(zip_path):
        parts = set(re.split(r"[/!]+", name))
        bad = parts & FORBIDDEN_PARTS
        if bad:
            found.append(f"{name}: an instructor's path ({', '.join(sorted(bad))})")
        if name.endswith(".ipynb"):
            text = data.decode("utf-8", errors="replace")
            for marker in MARKERS:
                if marker in text:
                    found.append(f"{name}: holds nbgrader's '### {marker}' marker "
                                 f"(an instructor notebook?)")
    return found


# --- writing ----------------------------------------------------------------------------------

def write_zip(entries, zip_path, top):
    """Write {relative path: bytes} under the folder `top` into a reproducible zip."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(zip_path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(entries):
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[rel])
    tmp.replace(zip_path)


def build_pack(release_dir=None, out_dir=None, repo=REPO, wheel=None, playground_dir=None):
    """Build `<out_dir>/<course_id>-student.zip` from `release_dir` (default: the repository's
    release/) and return its path. `wheel`: a course wheel already built (else one is built).
    Raises PackError, and leaves no zip, when the pack would break a rule."""
    repo = Path(repo)
    release_dir = Path(release_dir or repo / "release")
    out_dir = Path(out_dir or repo / "dist")
    name = course_id(repo)
    zip_path = out_dir / f"{name}-student.zip"
    with tempfile.TemporaryDirectory(prefix="student-pack-") as tmp:
        if wheel is None:
            wheel = build_wheel(tmp, repo)
        else:
            wheel = Path(wheel)
            check_wheel(wheel)
        entries = pack_entries(release_dir, wheel, repo, playground_dir)
        write_zip(entries, zip_path, f"{name}-student")
    found = problems(zip_path)
    if found:
        zip_path.unlink()
        raise PackError("the student pack breaks its rules:\n  " + "\n  ".join(found))
    return zip_path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.student_pack",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=REPO / "release",
                        help="the released notebooks to pack (default: release/)")
    parser.add_argument("--out", type=Path, default=REPO / "dist",
                        help="where the zip goes (default: dist/)")
    args = parser.parse_args(argv)
    try:
        zip_path = build_pack(args.release, args.out)
    except PackError as error:
        print(f"student-pack: {error}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(zip_path) as zf:
        names = [i.filename for i in zf.infolist()]
    print(f"{zip_path} ({zip_path.stat().st_size / 1024:.0f} KiB, {len(names)} files):")
    for n in names:
        print(f"  {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
