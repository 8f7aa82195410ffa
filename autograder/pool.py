"""Run jobs in parallel worker processes, each job under a time limit.

`Pool(N, log_dir)` starts up to N worker processes (`python -m autograder.worker`) as work comes
and keeps them for the next `run(jobs, timeout, on_result)` (the templates, then the grading).
Jobs and answers are the JSON lines of the worker's protocol: a grading job's answer is a
results.Result's JSON.
Each worker takes the next job; `on_result(job, result)` is called as each finishes (from one
thread at a time). A job that runs longer than its limit, whatever its cells do, gets its
worker's whole process tree killed (the kernel too) and the result "timed out"; a worker that
dies gets "grading error"; either way a fresh worker takes the next job. On Ctrl-C or any error,
every worker tree is killed before returning. Threads only wait on pipes here: the work is done
in the worker processes.
"""

import json
import os
import queue
import selectors
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from autograder import results
from autograder.worker import sandbox_run_dirs
from autograder.course_layout import REPO, venv_environment

READY_TIMEOUT = 180  # seconds for a worker to import nbgrader and say it is ready


class WorkerDied(Exception):
    pass


class JobTimedOut(Exception):
    pass


class WorkerProcess:
    """One `python -m autograder.worker` and its pipes."""

    def __init__(self, log_path):
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.worker"], cwd=REPO, env=venv_environment(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True)  # Ctrl-C in the terminal reaches the pool, not the workers
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        ready = self.read_line(READY_TIMEOUT)
        if not ready.get("ready"):
            raise WorkerDied(f"the worker did not start: {ready}")

    def read_line(self, timeout):
        """The next JSON line from the worker, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise JobTimedOut()
            if not self.selector.select(min(left, 1.0)):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise WorkerDied(f"the worker exited with code {self.proc.wait()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def grade(self, job, timeout):
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise WorkerDied(f"the worker is gone ({e})") from None
        return self.read_line(timeout)

    def kill(self):
        """Kill the worker and everything it started (its kernel runs in a session of its own)."""
        try:
            tree = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            tree = []
        for p in [self.proc] + tree:
            try:
                p.kill()
            except (psutil.Error, ProcessLookupError, OSError):
                pass
        psutil.wait_procs([p for p in tree if isinstance(p, psutil.Process)], timeout=5)
        self.proc.wait()
        self.close_pipes()
        for folder in sandbox_run_dirs(self.proc.pid):  # its atexit did not run
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self):
        """Let the worker finish: close its stdin and wait; kill it if it does not exit."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self.close_pipes()

    def close_pipes(self):
        self.selector.close()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.log.close()


class Pool:
    """Up to `size` worker processes, kept between calls of run() (each costs a second or two
    to start: nbgrader's imports). Use as a context manager: leaving it stops them all."""

    def __init__(self, size, log_dir):
        self.size, self.log_dir = max(1, size), Path(log_dir)
        self.idle = []            # started workers waiting for work
        self.live = set()         # every started worker
        self.lock = threading.Lock()
        self.started = 0

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        self.close(kill=kind is not None)

    def take(self):
        with self.lock:
            if self.idle:
                return self.idle.pop()
            self.started += 1
            index = self.started
        worker = WorkerProcess(self.log_dir / f"worker-{index}.log")
        with self.lock:
            self.live.add(worker)
        return worker

    def give_back(self, worker):
        with self.lock:
            self.idle.append(worker)

    def discard(self, worker):
        with self.lock:
            self.live.discard(worker)
        worker.kill()

    def grade_one(self, job, timeout, worker=None, stopping=lambda: False):
        """Hand one job to `worker` (None: one of the pool's); returns (result, the worker to
        use next). A job past `timeout` seconds loses its worker (killed, tree and all) and
        gets a "timed out" result; one whose worker dies is given to a fresh worker once more,
        then gets "grading error". When `stopping()` says so after a worker was lost, returns
        (None, None): the run is being stopped."""
        started = time.perf_counter()
        for _ in (1, 2):  # a worker that dies gets one more chance
            if worker is None:
                worker = self.take()
            try:
                result = worker.grade(job, timeout)
                break
            except (JobTimedOut, WorkerDied) as e:
                self.discard(worker)
                worker = None
                if stopping():
                    return None, None
                result = failed_result(job, e, timeout)
                if isinstance(e, JobTimedOut):
                    break
        result.setdefault("timings", {})["wall"] = round(time.perf_counter() - started, 4)
        return result, worker

    def run(self, jobs, timeout, on_result):
        """Hand every job (a dict, see worker.py) to a worker, up to `size` at once (see
        grade_one); on_result(job, result) is called for each, one at a time."""
        todo = queue.Queue()
        for job in jobs:
            todo.put(job)
        report_lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def serve():
            worker = None
            try:
                while not stop.is_set():
                    try:
                        job = todo.get_nowait()
                    except queue.Empty:
                        return
                    result, worker = self.grade_one(job, timeout, worker, stop.is_set)
                    if result is None:
                        return
                    with report_lock:
                        if not stop.is_set():
                            on_result(job, result)
            except BaseException as e:  # noqa: BLE001  (reported to the caller below)
                errors.append(e)
                stop.set()
            finally:
                if worker is not None:
                    if stop.is_set():
                        self.discard(worker)
                    else:
                        self.give_back(worker)

        threads = [threading.Thread(target=serve, daemon=True)
                   for _ in range(min(self.size, len(jobs)))]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except BaseException:
            stop.set()
            self.close(kill=True)
            raise
        if errors:
            self.close(kill=True)
            raise errors[0]

    def close(self, kill=False):
        """Stop every worker: let idle ones finish (kill=False), or kill them all."""
        with self.lock:
            live, self.live, self.idle = list(self.live), set(), []
        for worker in live:
            worker.kill() if kill else worker.stop()


def failed_result(job, error, timeout):
    """The answer for a job whose worker was killed past `timeout` or died, as the worker would
    have given it: a results.Result's JSON (for a template: a failed "generate")."""
    timed_out = isinstance(error, JobTimedOut)
    if job.get("kind") == "generate":
        return {"status": "error", "message": f"stopped after {timeout:g} s" if timed_out
                else f"the process died: {error}"}
    if timed_out:
        status, text = results.TIMED_OUT, (f"the notebook ran longer than the {timeout:g} s "
                                           f"limit for a whole notebook and was stopped")
    else:
        status, text = results.GRADING_ERROR, f"the grading process died: {error}"
    return results.Result(student=job["student"], assignment=job["assignment"], status=status,
                          score=0.0, notes=[results.note(text, "review")],
                          timings={"total": timeout if status == results.TIMED_OUT else None}
                          ).to_json()
