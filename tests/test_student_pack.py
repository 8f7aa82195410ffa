"""The student pack (`make student-pack`): what it holds, what it must never hold, and that a
student can set it up from nothing and work in it.

- its contents: the released notebooks, the playground, the course wheel (course/ only), the
  student README, Makefile and environment.yml (generated from pyproject.toml);
- secrets: built from a release of a copy of source/ with a sentinel planted in every solution and
  hidden-test region, no file of the pack (nor of the wheel inside it) holds a sentinel, and no
  path is an instructor's (source/, autograder/, tests/, gradebook.db);
- from scratch: unpacked into an empty folder, `make setup` creates its own venv from the wheel;
  every released notebook runs up to its first stub (NotImplementedError) with `course` imported
  from that venv, the playground runs through, `make validate` reports the failing tests, and
  `make lab` serves JupyterLab with nbgrader's Validate and without its instructor tools.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import require_system_tool
from nbgrader_course import REPO, assignments
from sentinels import shared_planted_course

if str(REPO) not in sys.path:   # `pytest` started from elsewhere: find autograder/
    sys.path.insert(0, str(REPO))

from autograder import student_pack  # noqa: E402

# One worker runs this module and test_exchange.py: they share sentinels.shared_planted_course.
pytestmark = pytest.mark.xdist_group("planted-course")

TOP = f"{student_pack.course_id(REPO)}-student"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The course wheel, built once for the module (pip wheel: a few seconds)."""
    return student_pack.build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def pack(wheel, tmp_path_factory):
    """The pack of the repository's committed release."""
    return student_pack.build_pack(out_dir=tmp_path_factory.mktemp("pack"), wheel=wheel)


def canonical(requirement):
    """A requirement as (normalised name, specifier set): 'numpy<3,>=1.26' == 'numpy>=1.26,<3'."""
    req = Requirement(requirement)
    return canonicalize_name(req.name), req.specifier


def names_in(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        return [i.filename for i in zf.infolist() if not i.is_dir()]


# --- contents -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_pack_holds_the_release_the_playground_the_wheel_and_the_student_files(pack, wheel):
    expected = {f"{TOP}/{p.relative_to(REPO / 'release').as_posix()}"
                for a in assignments() for p in (REPO / "release" / a).glob("*.ipynb")}
    expected |= {f"{TOP}/playground/{p.name}" for p in (REPO / "playground").glob("*.ipynb")}
    expected |= {f"{TOP}/{n}" for n in ("README.md", "Makefile", "environment.yml",
                                        f"wheels/{wheel.name}")}
    assert pack.name == f"{TOP}.zip"
    assert set(names_in(pack)) == expected
    with zipfile.ZipFile(pack) as zf:
        for a in assignments():
            nb = next((REPO / "release" / a).glob("*.ipynb"))
            assert zf.read(f"{TOP}/{a}/{nb.name}") == nb.read_bytes(), f"{a} differs from release/"


@pytest.mark.slow
def test_wheel_holds_the_course_package_and_nothing_else(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    packaged = {n for n in names if n.startswith("course/")}
    ours = {p.relative_to(REPO).as_posix() for p in (REPO / "course").rglob("*.py")
            if "__pycache__" not in p.parts}
    assert packaged == ours
    assert all(n.startswith("course/") or re.match(r"[^/]+\.dist-info/", n) for n in names)
    # pip installs the course's runtime dependencies with it: the same list as pyproject.toml
    required = {canonical(line.split(":", 1)[1]) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert required == {canonical(d) for d in project["dependencies"]}


@pytest.mark.slow
def test_pack_has_no_instructor_paths_and_is_reproducible(pack, wheel, tmp_path):
    assert student_pack.problems(pack) == []
    for name, _ in student_pack.pack_members(pack):
        parts = set(re.split(r"[/!]+", name))
        assert not parts & {"source", "autograder", "tests", "gradebook.db"}, name
    again = student_pack.build_pack(out_dir=tmp_path, wheel=wheel)
    assert again.read_bytes() == pack.read_bytes(), "two builds of the same inputs differ"


@pytest.mark.slow
def test_student_environment_yml_is_generated_from_pyproject(pack, wheel):
    with zipfile.ZipFile(pack) as zf:
        spec = yaml.safe_load(zf.read(f"{TOP}/environment.yml"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    conda = [d for d in spec["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    assert conda == [f"python{project['requires-python']}", "pip", *project["dependencies"]]
    assert pip == [f"./wheels/{wheel.name}"]
    assert spec["name"] == TOP


@pytest.mark.slow
def test_student_readme_has_two_commands_and_names_every_folder(pack):
    with zipfile.ZipFile(pack) as zf:
        readme = zf.read(f"{TOP}/README.md").decode()
        makefile = zf.read(f"{TOP}/Makefile").decode()
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    assert first_block.split("\n")[:2] == [f"cd {TOP}", "make lab"], first_block
    for a in assignments():
        assert f"`{a}/`" in readme
    assert "{{" not in readme
    for target in ("lab:", "setup:", "validate:", "clean:"):
        assert re.search(rf"^{target}", makefile, re.M), target


def test_builder_refuses_instructor_notebooks(tmp_path):
    """Pointed at source/ by mistake, the builder stops and leaves no zip behind."""
    fake_wheel = tmp_path / "backprop_course-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(fake_wheel, "w") as zf:
        zf.writestr("course/__init__.py", "")
        zf.writestr("backprop_course-0.1.0.dist-info/METADATA", "Name: backprop-course\n")
    with pytest.raises(student_pack.PackError, match="BEGIN SOLUTION"):
        student_pack.build_pack(release_dir=REPO / "source", out_dir=tmp_path / "out",
                                wheel=fake_wheel)
    assert not list((tmp_path / "out").glob("*.zip"))


def test_builder_refuses_a_wheel_with_more_than_the_course(tmp_path):
    bad = tmp_path / "backprop_course-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("course/__init__.py", "")
        zf.writestr("tests/test_value.py", "")
    with pytest.raises(student_pack.PackError, match="strays"):
        student_pack.check_wheel(bad)


# --- secrets ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_no_planted_solution_or_hidden_test_reaches_the_pack(wheel, tmp_path_factory):
    course, sentinels = shared_planted_course(tmp_path_factory)
    source_text = "".join(p.read_text() for p in (course.root / "source").glob("*/*.ipynb"))
    assert sentinels.of_kind("SOLUTION") and sentinels.of_kind("HIDDEN")
    assert set(sentinels.found_in(source_text)) == set(sentinels.planted), "planting failed"

    pack = student_pack.build_pack(release_dir=course.root / "release",
                                   out_dir=tmp_path_factory.mktemp("planted-pack"), wheel=wheel)
    leaks, scanned = {}, 0
    for name, data in student_pack.pack_members(pack):
        scanned += 1
        found = sentinels.found_in(data)
        if found:
            leaks[name] = [f"{s} ({sentinels.planted[s]})" for s in found]
    assert not leaks, f"solutions or hidden tests in the student pack: {leaks}"
    assert scanned > len(assignments()) + 10
    assert student_pack.problems(pack) == []


# --- from scratch -------------------------------------------------------------------------------

RUNNER = r'''
"""Run by the pack's own venv: execute each notebook until its first error."""
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PROBE = "import course, sys\nprint(course.__file__)\nprint(sys.executable)"
report = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    ename = failed = None
    try:
        client.execute()
    except CellExecutionError as error:
        ename = error.ename
        failed = next(c.source for c in nb.cells if any(
            o.get("output_type") == "error" for o in c.get("outputs", [])))
    probe = "".join(o.get("text", "") for o in nb.cells[0].get("outputs", [])
                    if o.get("name") == "stdout").split("\n")
    report[path] = {"ename": ename, "failed": failed, "course": probe[0], "python": probe[1]}
print(json.dumps(report))
'''


def student_environment(tmp):
    """A student's shell: no trace of the repository's venv or of PYTHONPATH, and empty Jupyter
    user folders (pip keeps its configuration and cache)."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH",
                        "JUPYTER_PREFER_ENV_PATH", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    repo_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and Path(p).resolve() != Path(repo_bin).resolve())
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "MPLCONFIGDIR"):
        env[name] = str(tmp / name.lower())
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, token, data=None):
    req = urllib.request.Request(url, data=data, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=120) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_pack_sets_up_from_scratch_and_every_notebook_runs_to_its_first_stub(pack, tmp_path):
    make = require_system_tool("make")
    unpacked = tmp_path / "student"
    unpacked.mkdir()
    with zipfile.ZipFile(pack) as zf:
        zf.extractall(unpacked)
    folder = unpacked / TOP
    env = student_environment(tmp_path)
    base_python = getattr(sys, "_base_executable", None) or shutil.which("python3", path=env["PATH"])

    setup = subprocess.run([make, "setup", f"PYTHON={base_python}"], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, f"make setup failed:\n{setup.stdout[-3000:]}\n{setup.stderr[-3000:]}"
    venv = folder / ".venv"
    assert (venv / ".stamp").is_file()

    (tmp_path / "runner.py").write_text(RUNNER)
    notebooks = sorted(str(p.relative_to(folder)) for p in folder.glob("*/*.ipynb"))
    run_env = dict(env, PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", JUPYTER_PREFER_ENV_PATH="1")
    run = subprocess.run([str(venv / "bin" / "python"), str(tmp_path / "runner.py"), *notebooks],
                         cwd=folder, env=run_env, capture_output=True, text=True, timeout=900,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])

    site = venv.resolve()
    for path, result in report.items():
        assert Path(result["course"]).resolve().is_relative_to(site), (
            f"{path} imported course from {result['course']}, not from the pack's venv")
        assert Path(result["python"]).parent.resolve() == (venv / "bin").resolve(), result["python"]
        if path.startswith("playground/"):
            assert result["ename"] is None, f"{path} failed: {result}"
        else:
            assert result["ename"] == "NotImplementedError", (
                f"{path} must run until its first stub, but stopped with {result['ename']} in:\n"
                f"{result['failed']}")
    assert len(report) == len(assignments()) + len(list((REPO / "playground").glob("*.ipynb")))

    # `make validate`: the Validate button from the shell, on the untouched release
    validate = subprocess.run([make, "validate", f"NOTEBOOK={notebooks[0]}"], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert "VALIDATION FAILED ON" in validate.stdout, validate.stdout[-2000:] + validate.stderr[-2000:]
    assert "No nbgrader_config.py" not in validate.stdout + validate.stderr

    # `make lab`: JupyterLab in the folder, with nbgrader's Validate and none of its instructor tools
    port, token = free_port(), uuid.uuid4().hex
    log_path = tmp_path / "lab.log"
    with open(log_path, "w") as log:
        lab = subprocess.Popen(
            [make, "lab", f"LAB_ARGS=--no-browser --port={port} --ServerApp.ip=127.0.0.1 "
                          f"--IdentityProvider.token={token}"],
            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                request(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert lab.poll() is None, f"make lab exited {lab.returncode}:\n{log_path.read_text()[-3000:]}"
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        _, specs = request(f"{base}/api/kernelspecs", token)
        argv0 = json.loads(specs)["kernelspecs"]["python3"]["spec"]["argv"][0]
        assert Path(argv0).parent.resolve() == (venv / "bin").resolve(), f"the python3 kernel starts {argv0}"
        _, page = request(f"{base}/lab", token)
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                      r'(.*?)</script>', page, re.S).group(1))
        disabled = set(config.get("disabledExtensions", []))
        assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                "@jupyter/nbgrader:course-list"} <= disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        with pytest.raises(urllib.error.HTTPError) as missing:
            request(f"{base}/formgrader", token)
        assert missing.value.code == 404
        # the Validate button's request, on the untouched release: every test fails, by name
        notebook = "01-computational-graphs/01-computational-graphs.ipynb"
        _, answer = request(f"{base}/assignments/validate", token,
                            data=f"path={notebook}".encode())
        answer = json.loads(answer)
        assert answer["success"] is True, answer
        assert len(answer["value"]["failed"]) >= 10, answer["value"]
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()
