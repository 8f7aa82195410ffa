"""The instructor notebooks, built from their plain-text sources.

An assignment's source of truth is a jupytext percent script, `source/<a>/<a>.py`: `# %%` code
cells, `# %% [markdown]` text cells, each cell's nbgrader metadata in its `# %%` line. nbgrader,
nbval and JupyterLab need the notebook, so `build()` writes `source/<a>/<a>.ipynb` from it: no
outputs, no cell ids, nbformat 4.4, the same bytes for the same script (the ipynb is git-ignored;
`source/AUTHORING.md` says why).

`build()` never throws work away: a notebook that is newer than its script and differs from it
(edited in JupyterLab without jupytext, say) stops the build with a message instead of being
overwritten. `python -m autograder.sources` builds every assignment of the repository.
"""

import argparse
import os
import sys
from pathlib import Path

import jupytext
import nbformat

from autograder.course_layout import REPO, assignments

SCRIPT_FORMAT = "py:percent"
# The notebook metadata a script keeps in its header (jupytext's own would only add noise).
NOTEBOOK_METADATA_FILTER = "kernelspec,-jupytext"


class SourceConflict(RuntimeError):
    """A built notebook holds edits its script does not have."""


def script_path(notebook_path):
    return Path(notebook_path).with_suffix(".py")


def read_script(path):
    """The notebook a percent script describes, normalised as `build()` writes it."""
    nb = jupytext.reads(Path(path).read_text(encoding="utf-8"), fmt=SCRIPT_FORMAT)
    return _normalised(nb)


def write_script(nb, path):
    """Write `nb` as a percent script (outputs dropped): the other direction of `build()`."""
    nb = _normalised(nbformat.from_dict(nb))
    nb.metadata["jupytext"] = {"notebook_metadata_filter": NOTEBOOK_METADATA_FILTER}
    Path(path).write_text(jupytext.writes(nb, fmt=SCRIPT_FORMAT), encoding="utf-8")


def notebook_text(nb):
    return nbformat.writes(nb) + "\n"


def _normalised(nb):
    nb.metadata.pop("jupytext", None)
    nb.metadata["language_info"] = {"name": "python"}
    nb.nbformat, nb.nbformat_minor = 4, 4
    for cell in nb.cells:
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _same_cells(notebook_path, built):
    """True when the notebook at `notebook_path` is `built`, outputs and cell ids aside."""
    try:
        existing = _normalised(nbformat.read(notebook_path, as_version=4))
    except Exception:                                   # unreadable: it holds nothing to keep
        return False
    return notebook_text(existing) == notebook_text(built)


def build_one(script):
    """Write the notebook of one script; returns its path if it was (re)written, else None."""
    script = Path(script)
    notebook = script.with_suffix(".ipynb")
    built = read_script(script)
    text = notebook_text(built)
    if notebook.exists():
        if notebook.read_text(encoding="utf-8") == text:
            return None
        if notebook.stat().st_mtime > script.stat().st_mtime and not _same_cells(notebook, built):
            raise SourceConflict(
                f"{notebook} was edited after {script.name} and differs from it; the .py is the "
                f"source. Keep the notebook's edits with `jupytext --to {SCRIPT_FORMAT} "
                f"{notebook}` (then commit the .py), or delete the notebook to drop them.")
    tmp = notebook.with_name(f".{notebook.name}.building")
    tmp.write_text(text, encoding="utf-8")
    # The notebook carries its script's time: built from it, it is not newer than it (jupytext
    # refuses to open a pair whose notebook is newer than its script and differs from it).
    stamp = script.stat()
    os.utime(tmp, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    tmp.replace(notebook)                               # atomic: readers see old or new
    return notebook


def build(course_root=REPO, names=None):
    """Build the notebook of every assignment script below `course_root/source` (or of
    `names`); returns the paths written."""
    source = Path(course_root) / "source"
    written = []
    for name in names or assignments(course_root):
        script = source / name / f"{name}.py"
        if script.exists():
            path = build_one(script)
            if path:
                written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.sources", description=(
        "Build source/<a>/<a>.ipynb from each assignment's jupytext script source/<a>/<a>.py."))
    parser.add_argument("assignments", nargs="*", help="assignment folders (default: all)")
    parser.add_argument("--course-root", type=Path, default=REPO)
    args = parser.parse_args(argv)
    try:
        written = build(args.course_root, args.assignments or None)
    except SourceConflict as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(f"built {path.relative_to(args.course_root.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
