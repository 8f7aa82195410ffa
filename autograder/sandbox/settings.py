"""What the launcher is told (`sandbox.json` in a run folder): the mode, the interpreter, the
folders the kernel may read, where the scratch space and the events file are, and the limits.

The settings are the whole contract between the grader and the launcher process (launcher.py),
which reads them as JSON and imports nothing of the grader's.
"""

import importlib.util
import os
import sys
from dataclasses import asdict
from pathlib import Path

from autograder.sandbox import launcher

LAUNCHER = Path(launcher.__file__).resolve()


def launcher_settings(run_dir, python, mode, bwrap, limits, extra_readonly):
    """The launcher's settings (a JSON-ready dict) for kernels run from `run_dir`.

    python: the kernel's interpreter; mode: "bwrap-root", "bwrap-user" or "unsandboxed"; bwrap:
    its path (or None); limits: a Limits; extra_readonly: more folders the kernel may read."""
    readonly = []
    for path in [sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix,
                 _python_prefix(python), _course_package(), *extra_readonly]:
        if path and os.path.isdir(path):
            path = os.path.realpath(path)
            if path not in readonly and not _is_system(path):
                readonly.append(path)
    return {
        "mode": mode,
        "bwrap": bwrap,
        "python": python,
        "readonly": readonly,
        "launcher": str(LAUNCHER),
        "scratch": str(Path(run_dir) / "scratch"),
        "events": str(Path(run_dir) / "events.jsonl"),
        "mpl_cache": _matplotlib_font_cache(),
        "limits": asdict(limits),
    }


def _is_system(path):
    return any(path == p or path.startswith(p + "/") for p in ("/usr", "/etc"))


def _python_prefix(python):
    """The venv of `python` (the folder above bin/), when it is one."""
    folder = Path(python).absolute().parent.parent
    return str(folder) if (folder / "pyvenv.cfg").exists() else None


def _course_package():
    """The folder of the `course` package the kernel imports (not imported here)."""
    spec = importlib.util.find_spec("course")
    if spec is None or not spec.origin:
        return None
    return str(Path(spec.origin).parent)


def _matplotlib_font_cache():
    """matplotlib's font list cache, copied into the kernel's config folder so that each
    kernel does not rebuild it (None when there is none)."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    name = f"fontlist-v{font_manager.FontManager.__version__}.json"
    path = Path(matplotlib.get_cachedir()) / name
    return str(path) if path.is_file() else None

