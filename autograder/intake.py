"""Collect: every file of a folder or a .zip of submissions, with whose it is and what it claims.

Two layouts are accepted, file by file:

1. **nbgrader's tree**: `[submitted/]<student>/<assignment>/<file>` (what `nbgrader collect` and
   `nbgrader zip_collect` produce). Used when some `<x>/<y>/` folder is named after a known
   assignment; then every file two folders deep belongs to student `<x>` and assignment `<y>`,
   known or not (an unknown one is reported, not graded).
2. **A learning platform's export** (a zip of per-student files, maybe in nested folders):
   - Canvas: `<student>_<userid>_<submissionid>_<original name>` (ids of 3 or more digits;
     `LATE_` before the user id for late work; the submission id may be missing);
   - Blackboard: `<assignment title>_<student>_attempt_<date>_<original name>`;
   - Moodle: `<Full Name>_<id>_assignsubmission_file_/<original name>` (student `full-name`);
   - otherwise a file inside a folder named after the student: `<student>/<original name>`.
   Which assignment such a notebook belongs to is decided later, from its name or its cells
   (see plan.py).

Files and folders that operating systems add (`__MACOSX/`, `.DS_Store`, `.ipynb_checkpoints/`,
anything starting with a dot) are skipped. A file that fits none of these patterns is reported
as "not attributed". Student ids keep letters, digits and `.-_@`; anything else becomes `-`.
"""

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_UNZIPPED_BYTES = 4 * 1024 ** 3  # refuse zips that expand to more than this

CANVAS = re.compile(r"^(?P<student>[A-Za-z0-9][A-Za-z0-9.\-]*)_(?:LATE_|late_)?"
                    r"(?P<account>\d{3,})_(?:\d+_)?(?P<original>.+)$")
BLACKBOARD = re.compile(r"^.*?_(?P<student>[^_]+)_attempt_[0-9-]+_(?P<original>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<account>\d+)_assignsubmission_\w*$")
SYSTEM_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints"}


@dataclass
class Found:
    """One file of the input.

    path: where it is, relative to the input (for people); file: the file on disk.
    student: whose it is (None: not attributed); assignment: the assignment folder it was in
    (nbgrader tree), or None when only its name and cells can tell. original: its own name
    (without a platform's prefix). platform: "canvas", "moodle" or "blackboard" when its name
    says so; account: that platform's number for the student (Canvas's user id, Moodle's
    participant id); full_name: the name Moodle wrote. action/note: what became of it (filled
    in by plan.py).
    """

    path: str
    file: Path
    student: str = None
    assignment: str = None
    original: str = ""
    platform: str = None
    account: str = None
    full_name: str = None
    action: str = ""
    note: str = ""

    @property
    def is_notebook(self):
        return self.original.lower().endswith(".ipynb")


@dataclass
class Intake:
    """What collect() found: the files, the (student, assignment) folders of an nbgrader tree
    (including empty ones), and which layout it was."""

    files: list
    folders: set
    layout: str  # "nbgrader" or "platform"
    base: Path


def student_id(text):
    """A student id made safe for a folder name: letters, digits and .-_@ kept."""
    cleaned = re.sub(r"[^A-Za-z0-9._@-]+", "-", text.strip()).strip("-.")
    return cleaned or None


def is_system(parts):
    return any(p in SYSTEM_NAMES or p.startswith(".") for p in parts)


def extract_zip(zip_path, target):
    """Unpack zip_path into target (emptied first), refusing absolute paths, `..`, links and
    zip bombs. Returns target."""
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES:
            raise ValueError(f"{zip_path} expands to {total / 1e9:.1f} GB: refusing to unpack it")
        for info in infos:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or name.is_absolute() or ".." in name.parts:
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                continue
            dest = target.joinpath(*name.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
    return target


def find_base(folder):
    """Descend through wrapping folders (a lone top folder, `submitted/`)."""
    folder = Path(folder)
    while True:
        entries = [p for p in folder.iterdir() if not is_system([p.name])]
        subdirs = [p for p in entries if p.is_dir()]
        if (folder / "submitted").is_dir():
            folder = folder / "submitted"
        elif len(entries) == 1 and subdirs:
            folder = subdirs[0]
        else:
            return folder


def looks_like_nbgrader_tree(base, known_assignments):
    """True when some <student>/<assignment>/ folder of base is named after a known assignment."""
    known = set(known_assignments)
    return any(p.is_dir() and p.name in known
               for student in base.iterdir() if student.is_dir() and not is_system([student.name])
               for p in student.iterdir())


def attribute_platform_file(parts):
    """(student, original name) of a platform export's file, from its path parts."""
    name = parts[-1]
    for pattern in (BLACKBOARD, CANVAS):
        m = pattern.match(name)
        if m:
            return student_id(m["student"]), m["original"]
    if len(parts) >= 2:
        folder = parts[-2]
        m = MOODLE_FOLDER.match(folder)
        if m:
            return student_id(m["name"].lower()), name
        return student_id(folder), name
    return None, name


def platform_identity(parts):
    """What a platform export's file name tells of its student, from its path parts:
    (platform, account, full name): ("canvas", Canvas's user id, None), ("moodle", the
    participant id, the full name), ("blackboard", None, None), else (None, None, None)."""
    if BLACKBOARD.match(parts[-1]):
        return "blackboard", None, None
    m = CANVAS.match(parts[-1])
    if m:
        return "canvas", m["account"], None
    m = MOODLE_FOLDER.match(parts[-2]) if len(parts) >= 2 else None
    if m:
        return "moodle", m["account"], m["name"]
    return None, None, None


def collect(submissions, work_dir, known_assignments):
    """Every file of `submissions` (a folder or a .zip), attributed where possible."""
    submissions = Path(submissions)
    if not submissions.exists():
        raise FileNotFoundError(f"no such folder or zip file: {submissions}")
    if submissions.is_file():
        if not zipfile.is_zipfile(submissions):
            raise ValueError(f"{submissions} is neither a folder nor a zip file")
        root = extract_zip(submissions, Path(work_dir) / "unzipped")
    else:
        root = submissions
    base = find_base(root)
    tree = looks_like_nbgrader_tree(base, known_assignments)
    files, folders = [], set()
    # A zip is listed whole (what was left out is reported); a folder from its submissions on.
    walked = root if submissions.is_file() else base
    for path in sorted(walked.rglob("*")):
        shown = path.relative_to(walked).as_posix()  # as the TA sees it in the folder or zip
        if not path.is_relative_to(base):
            if path.is_file():
                files.append(Found(path=shown, file=path, original=path.name, action="ignored",
                                   note="system file" if is_system(path.relative_to(root).parts)
                                   else "outside the folder of submissions"))
            continue
        parts = path.relative_to(base).parts
        if path.is_dir():
            if tree and len(parts) == 2 and not is_system(parts):
                sid = student_id(parts[0])
                if sid:
                    folders.add((sid, parts[1]))
            continue
        found = Found(path=shown, file=path, original=parts[-1])
        if is_system(parts):
            found.action, found.note = "ignored", "system file"
        elif tree and len(parts) >= 3:
            found.student, found.assignment = student_id(parts[0]), parts[1]
            found.original = PurePosixPath(*parts[2:]).as_posix()
        else:
            found.student, found.original = attribute_platform_file(parts)
            found.platform, found.account, found.full_name = platform_identity(parts)
            if found.student is None:
                found.action = "not attributed"
                found.note = ("cannot tell whose file this is: expected <student>/<file>, "
                              "<student>_<id>_<id>_<file> (Canvas), <title>_<student>_attempt_"
                              "<date>_<file> (Blackboard) or a Moodle folder")
        files.append(found)
    return Intake(files=files, folders=folders, layout="nbgrader" if tree else "platform",
                  base=base)
