"""A real Dask cluster on this machine, for the tests and the benchmark: one `dask scheduler` and
N `dask worker` processes (each with its nanny) on 127.0.0.1, started the way the autograder
README's first recipe starts them on real machines (with the course's checkout on PYTHONPATH:
the workers run its `autograder`, and the scheduler unpickles the tasks that name it), and
stopped again.

    with DaskProcesses(workers=2, threads=1, folder=tmp) as dask:
        dask.address                  # tcp://127.0.0.1:PORT, for --cluster
        dask.kill_worker(0)           # SIGKILL worker 0 and everything it started: a lost machine

Nothing listens beyond 127.0.0.1 (no dashboard). `env` is added to the workers' environment
(e.g. BACKPROP_SANDBOX=off) and `scheduler_env` to the scheduler's (e.g. its allowed-failures).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

START_TIMEOUT = 120   # seconds for the scheduler and every worker to be up
REPO = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill(processes):
    """SIGKILL these psutil processes and wait for them."""
    for p in processes:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=10)


class DaskProcesses:
    def __init__(self, workers=2, threads=1, folder=".", env=None, scheduler_env=None):
        self.count, self.threads, self.folder = workers, threads, Path(folder)
        self.env, self.scheduler_env = dict(env or {}), dict(scheduler_env or {})
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler, self.workers, self.logs = None, [], []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind, error, tb):
        self.stop()

    def _spawn(self, args, name, extra):
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / f"{name}.log", "ab")
        self.logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, env={**os.environ, **extra},
                                cwd=self.folder)

    def start(self):
        import distributed

        host, port = self.address.removeprefix("tcp://").split(":")
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        self.scheduler = self._spawn(["scheduler", "--host", host, "--port", port,
                                      "--no-dashboard"], "scheduler",
                                     {"PYTHONPATH": path, **self.scheduler_env})
        for i in range(self.count):
            self.workers.append(self._spawn(
                ["worker", self.address, "--name", f"worker-{i}", "--nthreads",
                 str(self.threads), "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
                 "--local-directory", str(self.folder / f"worker-{i}"), "--death-timeout",
                 "60"], f"worker-{i}", {"PYTHONPATH": path, **self.env}))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with distributed.Client(self.address, timeout=10,
                                        set_as_default=False) as client:
                    client.wait_for_workers(self.count, timeout=max(1, deadline - time.monotonic()))
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise

    def worker_processes(self, index):
        """Worker `index`'s nanny and every process below it (the worker, its grading workers,
        their kernels)."""
        try:
            nanny = psutil.Process(self.workers[index].pid)
            return [nanny] + nanny.children(recursive=True)
        except psutil.Error:
            return []

    def kill_worker(self, index):
        """SIGKILL worker `index`, nanny and all: as if its machine were gone. Each process is
        stopped (SIGSTOP) first, until the tree holds no running one, so that none starts a
        process (a launcher its bwrap) between the look at the tree and the kill."""
        frozen = {}
        while True:
            new = [p for p in self.worker_processes(index) if p.pid not in frozen]
            if not new:
                break
            for p in new:
                try:
                    p.suspend()
                except psutil.Error:
                    pass
                frozen[p.pid] = p
        kill(list(frozen.values()))

    def stop(self):
        """Stop the workers (gracefully, then by force), then the scheduler."""
        for i, proc in enumerate(self.workers):
            tree = self.worker_processes(i)
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            kill(tree)         # what the nanny left behind
        if self.scheduler is not None:
            self.scheduler.terminate()
            try:
                self.scheduler.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.scheduler.kill()
                self.scheduler.wait()
        for log in self.logs:
            log.close()
