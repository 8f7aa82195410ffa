"""Grading on a Dask cluster: a run's notebooks sent to the workers of an existing Dask
scheduler instead of the local pool (pool.py). Intake, plan, templates, merge, tables, feedback
and report stay on the TA's machine; station.py is what runs on the workers.

    with cluster.connect("tcp://host:8786") as workers:   # or connect(scheduler_file=...)
        workers.run(jobs, timeout, on_result)              # as pool.Pool.run, on the cluster

- **Connecting** fails at once, with what to do, when `distributed` is not installed, when the
  scheduler cannot be reached in CONNECT_TIMEOUT seconds, or when a worker runs another version
  of the autograder or the course (station.code_version).
- **Templates** go to each worker once per run, not once per notebook: the templates the jobs
  name, packed as tar bytes in one station.Station plugin, which the scheduler hands to every
  worker (and to those that join later).
- **A job** carries its notebook's bytes; the answer comes back with the graded notebook's bytes
  and the log, and is written here, atomically, where the local pool would have put it: re-runs
  are incremental and a crash loses nothing, as with the local pool.
- **Faults.** A worker that dies mid-notebook: the scheduler runs the task again on another one.
  A notebook whose grading kills its worker again and again: after the scheduler's
  `allowed-failures` it gives up (KilledWorker) and the notebook is "kernel died". A task that
  merely waited on workers that died (it started on fewer than two of them, as the tasks'
  station.STARTED events tell), or whose worker closed while grading it, is submitted again, up
  to RESUBMITS times.
- **Stopping** (Ctrl-C, an error): every future still pending is cancelled and the plugin is
  removed, whose teardown kills the grading processes on the workers, kernels and all.
"""

import collections
import os
import threading
import uuid
from pathlib import Path

from autograder import results

CONNECT_TIMEOUT = 10   # seconds to reach the scheduler
RESUBMITS = 3          # times a task that only waited on dying workers is submitted again
INSTALL = "pip install -e '.[cluster]'"


class ClusterError(Exception):
    """The cluster cannot be used: not installed, not reachable, or not the same code."""


def connect(address=None, scheduler_file=None, timeout=CONNECT_TIMEOUT):
    """A Cluster on the scheduler at `address` (tcp://host:8786) or in `scheduler_file`."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"grading on a Dask cluster needs Dask's distributed, which is not "
                           f"installed here: {INSTALL}") from None
    where = address or f"the scheduler file {scheduler_file}"
    try:
        client = distributed.Client(address, scheduler_file=scheduler_file, timeout=timeout,
                                    set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ClusterError(f"cannot reach the Dask scheduler at {where} within {timeout:g} s "
                           f"({type(e).__name__}: {e}); is `dask scheduler` running there, "
                           f"and the port open from here?") from None
    try:
        return Cluster(client, where)
    except BaseException:
        client.close()
        raise


class Cluster:
    """A connected Dask client, used like pool.Pool: run(jobs, timeout, on_result), and close()
    (or a `with` block)."""

    def __init__(self, client, where):
        from autograder import station

        self.client, self.where = client, where
        self.version = station.code_version()
        self.station = None          # the name of the plugin registered for this run
        self.starts = collections.Counter()
        self.lock = threading.Lock()
        client.subscribe_topic(station.STARTED, self._started)
        try:
            versions = client.run(station.code_version)
        except Exception as e:  # noqa: BLE001  (e.g. the workers cannot import the autograder)
            raise ClusterError(f"the Dask workers cannot run the autograder ({type(e).__name__}: "
                               f"{e}): install this course there ({INSTALL})") from None
        for address, theirs in versions.items():
            if theirs != self.version:
                raise ClusterError(f"the Dask worker {address} runs another autograder or "
                                   f"course than this machine: install the same commit there")

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        self.close()

    @property
    def threads(self):
        """Notebooks the cluster grades at once (its workers' threads)."""
        return sum(self.client.nthreads().values())

    def sandbox_note(self):
        """pipeline.sandbox_note's sentence for the cluster's workers."""
        from autograder import station

        status = self.client.run(station.sandbox_status)
        bare = {a: why for a, (ok, why) in status.items() if not ok}
        if not status:
            return f"no Dask worker is connected to {self.where} yet"
        if not bare:
            reasons = sorted({why for _, why in status.values()})
            return (f"students' code runs sandboxed on the {len(status)} Dask worker(s) "
                    f"({'; '.join(reasons)})")
        return (f"WARNING: students' code is NOT sandboxed on {len(bare)} of {len(status)} Dask "
                f"worker(s) ({'; '.join(f'{a}: {w}' for a, w in sorted(bare.items()))}): it runs "
                f"with the rights of the worker's user there; only the resource limits apply")

    def _started(self, event):
        _, message = event
        with self.lock:
            self.starts[message["key"]] += 1

    def _register(self, jobs):
        """Register one station for this run with the templates the jobs name; its name."""
        from autograder import station

        folders = {Path(j["template"]).name: j["template"] for j in jobs}
        name = f"autograder-{uuid.uuid4().hex[:12]}"
        plugin = station.Station(name, {n: station.pack_template(f) for n, f in folders.items()},
                                 self.version)
        try:
            self.client.register_plugin(plugin, name=name)
        except Exception as e:  # noqa: BLE001  (a worker's setup failed: say which and why)
            raise ClusterError(f"the Dask workers could not take the templates: {e}") from None
        self.station = name

    def _payload(self, job, timeout, key):
        notebook = Path(job["notebook"])
        stamp = notebook.parent / "timestamp.txt"
        return {"key": key, "job": job, "timeout": timeout, "notebook_name": notebook.name,
                "notebook": notebook.read_bytes(), "template": Path(job["template"]).name,
                "timestamp": stamp.read_bytes() if stamp.is_file() else None}

    def run(self, jobs, timeout, on_result):
        """Grade every job (pipeline.worker_job's dicts) on the cluster; on_result(job, answer)
        is called for each as it comes back, from this thread."""
        import distributed

        from autograder import station

        if not jobs:
            return
        self._register(jobs)
        run = uuid.uuid4().hex[:8]
        pending, resubmits = {}, collections.Counter()

        def submit(job):
            key = (f"autograde-{job['assignment']}-{job['student']}-{run}"
                   f"-{resubmits[job['student'], job['assignment']]}")
            future = self.client.submit(station.grade_task, self.station,
                                        self._payload(job, timeout, key), key=key, pure=False)
            pending[future.key] = (future, job)
            return future

        finished = distributed.as_completed([submit(job) for job in jobs], loop=self.client.loop)
        try:
            for future in finished:
                _, job = pending.pop(future.key)
                who = job["student"], job["assignment"]
                try:
                    reply = future.result()
                except (distributed.KilledWorker, station.StationStopped) as e:
                    with self.lock:
                        started = self.starts[future.key]
                    waited = isinstance(e, station.StationStopped) or started < 2
                    if waited and resubmits[who] < RESUBMITS:
                        resubmits[who] += 1
                        finished.add(submit(job))
                        continue
                    reply = {"answer": killed_result(job, started), "autograded": None,
                             "log": ""}
                except station.StationMissing as e:
                    raise ClusterError(str(e)) from None
                future.release()
                self._deliver(job, reply, on_result)
        except BaseException:
            self.client.cancel([f for f, _ in pending.values()], force=True)
            raise
        finally:
            self._unregister()

    def _deliver(self, job, reply, on_result):
        """Write what the worker sent back where the local pool writes it, then report it."""
        answer = reply["answer"]
        if reply["autograded"] is not None:
            dest = Path(job["autograded"])
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.tmp")
            tmp.write_bytes(reply["autograded"])
            os.replace(tmp, dest)
            answer["autograded"] = str(dest)
        results.write_if_changed(job["log"], reply["log"])
        on_result(job, answer)

    def _unregister(self):
        if self.station is not None:
            try:
                self.client.unregister_worker_plugin(self.station)
            except Exception:  # noqa: BLE001  (the workers may be gone already)
                pass
            self.station = None

    def close(self):
        self._unregister()
        self.client.close()


def killed_result(job, started):
    """The answer for a notebook whose grading killed its Dask worker each time it ran."""
    return results.Result(
        student=job["student"], assignment=job["assignment"], status=results.KERNEL_DIED,
        score=0.0, notes=[results.note(
            f"its grading stopped the Dask worker running it each time ({started} time(s) "
            f"seen, then the scheduler's allowed-failures gave up): not tried again",
            "review")]).to_json()
