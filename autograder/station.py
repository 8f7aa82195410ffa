"""What a Dask worker runs for the autograder (cluster.py is the TA's side).

`Station` is a Dask worker plugin, registered once per run: the scheduler hands it to every
worker, and to workers that join later. At setup it unpacks the run's templates (tar bytes, see
pack_template) into the worker's local directory, once per worker, and checks that the worker
runs the same autograder and course as the TA (code_version). It keeps a pool.Pool of
`python -m autograder.worker` processes, one per worker thread, started as jobs come: every
notebook is graded by the same sandboxed worker code as on the TA's machine (bubblewrap, the
limits, the canary, the time limit per notebook, a fresh process after one dies).

`grade_task(station, job)` is the Dask task: it writes the notebook it carries into a scratch
folder, grades it there and returns the worker's answer with the graded notebook's bytes and
the log's text, for the TA's machine to write. Teardown (the plugin removed at the end of a
run, on Ctrl-C, or the worker closing) kills the grading processes, kernels and all.
"""

import hashlib
import io
import shutil
import tarfile
import uuid
from pathlib import Path

import distributed
from distributed.diagnostics.plugin import WorkerPlugin

from autograder import pool
from autograder.course_layout import REPO

STARTED = "autograder-started"   # Dask event topics: {"key": the task's key} as it starts,
READY = "autograder-station"     # {"worker": address, "templates": n} as a station is set up


class StationMissing(RuntimeError):
    """This Dask worker has no station: its setup failed (another version, see its log)."""


class StationStopped(RuntimeError):
    """The station was taken down (its worker closing) while it graded: grade it elsewhere."""


def code_version():
    """A hash of what decides a grade besides the templates: the autograder's and the engine's
    source, and nbgrader's version. The TA's machine and every Dask worker must agree."""
    import nbgrader

    h = hashlib.sha256(f"nbgrader {nbgrader.__version__}\n".encode())
    for package in ("autograder", "course"):
        for path in sorted((REPO / package).rglob("*.py")):
            h.update(f"\n{path.relative_to(REPO).as_posix()}\n".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def pack_template(root):
    """A template folder (templates.Template.root) as gzipped tar bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(root, arcname=".")
    return buffer.getvalue()


class Station(WorkerPlugin):
    """One run's templates and grading processes on one Dask worker.

    name: the plugin's name (one per run); templates: {template name: tar bytes};
    version: the TA's code_version()."""

    def __init__(self, name, templates, version):
        self.name, self.templates, self.version = name, templates, version
        self.root = self.pool = None
        self.stopping = False

    def setup(self, worker):
        mine = code_version()
        if mine != self.version:
            raise RuntimeError(
                f"the Dask worker {worker.address} runs another autograder or course than the "
                f"TA's machine (code version {mine[:12]}, not {self.version[:12]}): install the "
                f"same commit of the course there")
        self.root = Path(worker.local_directory) / "autograder" / self.name
        for name, data in self.templates.items():
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                tar.extractall(self.root / "templates" / name, filter="data")
        worker.log_event(READY, {"worker": worker.address, "templates": len(self.templates)})
        self.templates = {}      # unpacked: the bytes are not needed any more
        self.pool = pool.Pool(worker.state.nthreads, self.root / "logs")

    def teardown(self, worker):
        self.stopping = True
        if self.pool is not None:
            self.pool.close(kill=True)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def grade(self, job):
        """Grade one job (cluster.Cluster's payload) here: {"answer", "autograded", "log"}, or
        None when the station is being taken down."""
        scratch = self.root / "jobs" / uuid.uuid4().hex
        folder = scratch / "submission"
        folder.mkdir(parents=True)
        notebook = folder / job["notebook_name"]
        notebook.write_bytes(job["notebook"])
        if job["timestamp"] is not None:
            (folder / "timestamp.txt").write_bytes(job["timestamp"])
        here = {**job["job"], "notebook": str(notebook),
                "template": str(self.root / "templates" / job["template"]),
                "job_root": str(scratch / "job"), "autograded": str(scratch / "graded.ipynb"),
                "log": str(scratch / "grading.log")}
        try:
            answer, grader = self.pool.grade_one(here, job["timeout"],
                                                 stopping=lambda: self.stopping)
            if grader is not None:
                self.pool.give_back(grader)
            if answer is None:
                return None
            graded, log = Path(here["autograded"]), Path(here["log"])
            return {"answer": answer,
                    "autograded": graded.read_bytes() if answer.get("autograded") else None,
                    "log": log.read_text(errors="replace") if log.exists() else ""}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def grade_task(station_name, job):
    """The Dask task: grade `job` with this worker's Station (see Station.grade)."""
    worker = distributed.get_worker()
    worker.log_event(STARTED, {"key": job["key"]})
    station = worker.plugins.get(station_name)
    if station is None:
        raise StationMissing(f"the Dask worker {worker.address} has no autograder station: its "
                             f"setup failed (another version of the course? see its log)")
    reply = station.grade(job)
    if reply is None:
        raise StationStopped(f"the Dask worker {worker.address} closed while grading")
    return reply


def sandbox_status():
    """(can bubblewrap run here, why): run on each Dask worker at the start."""
    from autograder import sandbox

    return sandbox.sandbox_available()
