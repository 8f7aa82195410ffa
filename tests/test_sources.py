"""autograder/sources.py: the instructor notebooks built from their jupytext scripts.

The scripts (`source/<a>/<a>.py`) are the source of truth; the notebooks beside them are built,
git-ignored, and never overwritten when they hold edits the script lacks."""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import sources
from nbgrader_course import REPO, assignments

ASSIGNMENTS = assignments()


@pytest.fixture
def course_copy(tmp_path):
    """A copy of source/ (scripts only) in a course root of its own."""
    root = tmp_path / "course"
    for name in ASSIGNMENTS:
        (root / "source" / name).mkdir(parents=True)
        shutil.copy2(REPO / "source" / name / f"{name}.py", root / "source" / name)
    return root


def script(root, name):
    return root / "source" / name / f"{name}.py"


def notebook(root, name):
    return root / "source" / name / f"{name}.ipynb"


def later(path, seconds=5):
    """Make `path` look edited `seconds` after now (mtimes, not sleeps)."""
    stamp = path.stat().st_mtime + seconds
    os.utime(path, (stamp, stamp))


def test_every_assignment_has_a_script():
    assert ASSIGNMENTS, "source/ holds no assignment"
    missing = [a for a in ASSIGNMENTS if not script(REPO, a).exists()]
    assert not missing, f"assignments without their jupytext script source/<a>/<a>.py: {missing}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_script_round_trip_loses_nothing(assignment, tmp_path):
    nb = sources.read_script(script(REPO, assignment))
    assert nb.cells and nb.metadata["kernelspec"]["name"] == "python3"
    assert all("id" not in cell and not cell.get("outputs") for cell in nb.cells)
    again = tmp_path / f"{assignment}.py"
    sources.write_script(nb, again)
    assert sources.notebook_text(sources.read_script(again)) == sources.notebook_text(nb)
    header = script(REPO, assignment).read_text().split("# ---", 2)[1]
    assert "jupytext_version" not in header, "the header must not pin a jupytext version"


def test_build_writes_each_notebook_once_and_the_same_bytes(course_copy):
    written = sources.build(course_copy)
    assert sorted(p.name for p in written) == sorted(f"{a}.ipynb" for a in ASSIGNMENTS)
    first = {a: notebook(course_copy, a).read_bytes() for a in ASSIGNMENTS}
    assert sources.build(course_copy) == [], "a second build must write nothing"
    nb = nbformat.reads(first[ASSIGNMENTS[0]].decode(), as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 4)
    for name in ASSIGNMENTS:                       # the repository's own builds are the same
        assert notebook(REPO, name).read_bytes() == first[name], name


def test_an_edited_script_is_built_again(course_copy):
    name = ASSIGNMENTS[0]
    sources.build(course_copy, [name])
    path = script(course_copy, name)
    added = "# %% [markdown]\n# An added line.\n#"
    path.write_text(path.read_text().replace("# %% [markdown]", added, 1))
    later(path)
    assert sources.build(course_copy, [name]) == [notebook(course_copy, name)]
    assert "An added line." in notebook(course_copy, name).read_text()


def test_a_notebook_edited_after_its_script_is_never_overwritten(course_copy):
    name = ASSIGNMENTS[0]
    sources.build(course_copy, [name])
    path = notebook(course_copy, name)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nAn edit made in JupyterLab without jupytext."
    nbformat.write(nb, path)
    later(path)
    edited = path.read_bytes()
    with pytest.raises(sources.SourceConflict, match="jupytext --to py:percent"):
        sources.build(course_copy, [name])
    assert path.read_bytes() == edited
    result = subprocess.run([sys.executable, "-m", "autograder.sources", "--course-root",
                             str(course_copy), name], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2 and "was edited after" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == edited
    path.unlink()                                   # deleting it drops the edits
    assert sources.build(course_copy, [name]) == [path]


def test_outputs_and_cell_ids_alone_are_no_conflict(course_copy):
    """JupyterLab's paired save writes the notebook with outputs and cell ids: the build
    normalises it again (the cells are the script's), without an error."""
    name = ASSIGNMENTS[0]
    sources.build(course_copy, [name])
    path = notebook(course_copy, name)
    built = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    nb.nbformat_minor = 5
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    code.execution_count = 1
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)
    later(path)
    assert sources.build(course_copy, [name]) == [path]
    assert path.read_bytes() == built


@pytest.mark.slow
def test_jupyterlab_opens_the_script_as_a_notebook_and_saves_both(course_copy, tmp_path,
                                                                  artifacts_dir):
    """What an instructor does in `make lab`: open the .py as a notebook (jupytext's contents
    manager in the real server), change a cell, save; the script and its paired notebook
    both get the change, and the build then agrees with them."""
    import http.cookiejar
    import json
    import urllib.request

    from lab_server import Deadline, lab_server

    name = ASSIGNMENTS[0]
    shutil.copy(REPO / "source" / "jupytext.toml", course_copy / "source")
    sources.build(course_copy, [name])
    rel = f"source/{name}/{name}.py"
    with lab_server(course_copy, tmp_path / "home", artifacts_dir / "jupyterlab.log",
                    Deadline(90)) as port:
        url = f"http://127.0.0.1:{port}/api/contents/{rel}"
        cookies = http.cookiejar.CookieJar()           # the server's _xsrf cookie, as a browser
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        opener.open(f"http://127.0.0.1:{port}/lab", timeout=30).close()
        xsrf = next(c.value for c in cookies if c.name == "_xsrf")
        with opener.open(f"{url}?type=notebook&content=1", timeout=30) as response:
            model = json.load(response)
        assert model["type"] == "notebook"
        cells = model["content"]["cells"]
        solution = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("solution"))
        grade_id = solution["metadata"]["nbgrader"]["grade_id"]
        solution["source"] += "\n# edited in JupyterLab"
        body = json.dumps({"type": "notebook", "format": "json", "content": model["content"]})
        request = urllib.request.Request(url, data=body.encode(), method="PUT", headers={
            "Content-Type": "application/json", "X-XSRFToken": xsrf})
        with opener.open(request, timeout=30) as response:
            assert response.status in (200, 201)
    for nb in (sources.read_script(script(course_copy, name)),
               nbformat.read(notebook(course_copy, name), as_version=4)):
        cell = next(c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert cell.source.endswith("# edited in JupyterLab")
        assert cell.metadata["nbgrader"]["solution"] is True
    header = script(course_copy, name).read_text().split("# ---", 2)[1]
    assert "jupytext_version" not in header
    sources.build(course_copy, [name])          # no conflict: the two agree
