"""A real JupyterLab server for tests: this environment's `jupyter lab` on a free local port, with
no token and a throw-away config, data, runtime and settings folder.

    with lab_server(root, home, log_path, Deadline(150)) as port:
        ... http://127.0.0.1:{port}/lab/tree/<notebook> ...
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


class Deadline:
    """A time budget for a whole test; `ms(at_most)` gives a Playwright timeout within it."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def ms(self, at_most):
        """A Playwright timeout: at most `at_most` seconds, never past the deadline."""
        left = self.end - time.monotonic()
        if left <= 0:
            pytest.fail(f"the test ran over its {self.seconds} s budget")
        return 1000 * min(at_most, left)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command(port, root, home):
    bin_dir = Path(sys.executable).parent          # the venv's bin, not resolved past symlinks
    script = bin_dir / "jupyter-lab"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "jupyterlab"]
    command += [
        "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
        "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def lab_environment(home):
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    # The news toast ("Would you like to receive official Jupyter news?") covers the page.
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Every cell stays in the page (no windowing), so all widgets can be found and counted.
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),   # the kernelspec's "python" is ours
        JUPYTER_PREFER_ENV_PATH="1",
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
    )
    env.pop("JPY_PARENT_PID", None)
    return env


def wait_for_server(port, server, log_path, deadline):
    while True:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n"
                        f"{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2):
                return
        except OSError:
            deadline.ms(60)          # fails the test when time is up
            time.sleep(0.3)


def stop(server):
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)        # the server and the kernels it started
        server.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(timeout=10)




@contextlib.contextmanager
def lab_server(root, home, log_path, deadline):
    """`jupyter lab` serving `root` (settings and runtime files in `home`), its output in
    `log_path`; yields the port once the server answers, stops it (and its kernels) after."""
    Path(home).mkdir(parents=True, exist_ok=True)
    port = free_port()
    with open(log_path, "w") as log:
        server = subprocess.Popen(lab_command(port, root, Path(home)),
                                  env=lab_environment(Path(home)), cwd=root, stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            wait_for_server(port, server, log_path, deadline)
            yield port
        finally:
            stop(server)
