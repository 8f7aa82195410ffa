"""The machine description and the results table (markdown), and writing it into README.md."""

import ctypes
import datetime
import importlib
import importlib.metadata
import os
import platform
import sys
from pathlib import Path

from benchmarks.timing import format_seconds

README = Path(__file__).resolve().parent / "README.md"
START = "<!-- results:start (written by `python -m benchmarks`; edits here are overwritten) -->"
END = "<!-- results:end -->"

# The targets: the most the course engine may take, as a ratio to the baseline (or in seconds),
# and how the table says it.
TARGETS = {
    "mlp small": (3.0, "≤ 3x numpy"),
    "mlp large": (1.10, "≤ 1.10x numpy"),
    "scalar chain": (0.5, "≤ 0.5x micrograd"),
    "check_vjp": (0.2, "< 0.2 s"),
    "grading": (1 / 1.8, "≤ 0.56x nbgrader (1.8x faster)"),
}


# --- the machine ------------------------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count()


def version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_description():
    """'scipy-openblas 0.3.31.188.0' or so, from numpy's build configuration; None if unknown."""
    try:
        import numpy as np

        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'BLAS')} {blas.get('version', '')}".strip()
    except Exception:  # numpy < 1.25, or a layout we do not know
        return None


def blas_threads():
    """The number of threads the OpenBLAS that numpy loaded will use, or None if unknown."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    names = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
             "openblas_get_num_threads64_", "openblas_get_num_threads")
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            function = getattr(lib, name, None)
            if function is not None:
                return int(function())
    return None


def torch_threads():
    torch = sys.modules.get("torch")
    return None if torch is None else torch.get_num_threads()


def importable(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def load_average():
    """The 1-minute load average, or None where the OS does not tell."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def machine(threads_requested, load_before=None):
    """{what: description} of the machine and the software, for the report.

    load_before: the 1-minute load average when the run started (reported beside the one now).
    """
    import numpy as np

    cores = os.cpu_count()
    usable = usable_cores()
    blas = blas_description()
    n_blas = blas_threads()
    numpy_line = np.__version__ + (f" with {blas}" if blas else "")
    if n_blas is not None:
        numpy_line += f", {n_blas} BLAS thread{'s' if n_blas != 1 else ''}"
    peers = []
    for package, module in (("torch", "torch"), ("autograd", "autograd"),
                            ("micrograd", "micrograd.engine")):
        v = version(package) or "(version unknown)"
        if not importable(module):
            peers.append(f"{package} not installed")
        elif package == "torch" and torch_threads() is not None:
            n = torch_threads()
            peers.append(f"torch {v} ({n} thread{'s' if n != 1 else ''})")
        else:
            peers.append(f"{package} {v}")
    env = ", ".join(f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                        "MKL_NUM_THREADS") if k in os.environ)
    return {
        "CPU": f"{cpu_model()}, {cores} core{'s' if cores != 1 else ''}"
               + (f" ({usable} usable)" if usable != cores else ""),
        "OS": f"{platform.system()} {platform.release()} {platform.machine()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": numpy_line,
        "peers": ", ".join(peers),
        "threads": f"{threads_requested} per engine" + (f" ({env})" if env else ""),
        "load": _load_line(load_before, load_average(), usable),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _load_line(before, after, cores):
    if after is None:
        return "unknown"
    line = (f"{before:.2f} at the start, {after:.2f} at the end" if before is not None
            else f"{after:.2f} at the end")
    line += " (1-minute load average"
    if max(after, before or 0.0) > 0.5 * cores + 0.5:
        line += "; other work was running: the times are inflated, the ratios less so"
    return line + ")"


# --- the table --------------------------------------------------------------------------------

def _ratio(x):
    return f"{x:.2f}x"


def _verdict(ok):
    return "pass" if ok else "**FAIL**"


def rows(results):
    """The table's rows: (benchmark, engine, time, ratio, target, result) strings; and the
    verdicts [(name, ok)] of every target that could be judged."""
    from benchmarks import mlp, scalar_chain

    table, verdicts = [], []
    for r in results.get("mlp", []):
        name = f"mlp {r['size']}"
        title = group = f"MLP step, batch {r['batch']}, {'-'.join(str(n) for n in r['layers'])}"
        base = r["times"]["numpy"]
        for engine in mlp.ENGINES:
            t = r["times"].get(engine)
            label = mlp.LABELS[engine]
            if t is None:
                table.append((title, label, "not installed", "", "", ""))
            else:
                target = result = ""
                if engine == "course":
                    limit, target = TARGETS[name]
                    ok = t / base <= limit
                    result = _verdict(ok)
                    verdicts.append((f"{group}: course", ok))
                table.append((title, label, format_seconds(t), _ratio(t / base), target, result))
            title = ""
    r = results.get("scalar")
    if r is not None:
        for mode in ("gc on", "gc off"):
            times = r["times"][mode]
            base = times.get("micrograd")
            title = f"scalar chain, {r['n']:,} × (x = x·a + b), {mode}"
            for engine in scalar_chain.ENGINES:
                t = times.get(engine)
                label = scalar_chain.LABELS[engine]
                if t is None:
                    table.append((title, label, "not installed", "", "", ""))
                else:
                    ratio = _ratio(t / base) if base else ""
                    target = result = ""
                    # The target is judged as the course is used, in a notebook: with the
                    # garbage collector on. The gc-off row is shown for the record (micrograd's
                    # reference cycles are what the collector spends its time on).
                    if engine == "course" and mode == "gc on":
                        limit, target = TARGETS["scalar chain"]
                        if base:
                            ok = t / base <= limit
                            result = _verdict(ok)
                            verdicts.append((f"scalar chain, {mode}: course", ok))
                        else:
                            result = "no baseline"
                    table.append((title, label, format_seconds(t), ratio, target, result))
                title = ""
    r = results.get("gradcheck")
    if r is not None:
        title = f"check_vjp, {r['size']} × {r['size']} matmul"
        limit, target = TARGETS["check_vjp"]
        if r["time"] is None:
            table.append((title, "course.gradcheck", f"skipped: {r['skipped']}", "", target,
                          "skipped"))
        else:
            ok = r["time"] < limit
            verdicts.append((f"{title}: course", ok))
            table.append((title, "course.gradcheck", format_seconds(r["time"]),
                          f"{r['time'] / r['matmul']:.1f} matmuls", target, _verdict(ok)))
    r = results.get("grading")
    if r is not None:
        title = (f"grading a class: {r['students']} students × {len(r['assignments'])} "
                 f"assignment{'s' if len(r['assignments']) != 1 else ''} "
                 f"({r['notebooks']} notebooks), end to end")
        base, ours = r["baseline"]["seconds"], r["autograder"]["seconds"]
        limit, target = TARGETS["grading"]
        ok = ours / base <= limit
        verdicts.append((f"{title}: autograder", ok))
        table.append((title, "nbgrader generate + autograde, sequential (baseline)",
                      format_seconds(base), _ratio(1.0), "", ""))
        table.append(("", f"autograder, {r['autograder']['workers']} workers",
                      format_seconds(ours), _ratio(ours / base), target, _verdict(ok)))
    r = results.get("cluster")
    if r is not None:   # a measured cost, no target
        title = (f"the demo class ({r['notebooks']} notebooks) through a Dask cluster, "
                 f"on the same cores")
        table.append((title, f"local pool, {r['workers']} workers (baseline)",
                      format_seconds(r["local"]), _ratio(1.0), "", ""))
        table.append(("", f"Dask scheduler + {r['workers']} workers × 1 thread",
                      format_seconds(r["cluster"]), _ratio(r["ratio"]), "none: a measured cost",
                      f"{r['overhead']:+.2f} s per notebook"))
    return table, verdicts


def checks_line(results):
    """What was cross-checked, and by how much the contenders agreed."""
    parts = []
    for r in results.get("mlp", []):
        others = {e: d for e, d in r["check"].items() if e != "numpy"}
        if others:
            worst = ", ".join(f"{e} {d:.1e}" for e, d in others.items())
            parts.append(f"MLP {r['size']}: loss, gradients and updated parameters of the first "
                         f"step match numpy (largest relative difference: {worst})")
    r = results.get("scalar")
    if r is not None and r["check"]:
        worst = ", ".join(f"{e} {d:.1e}" for e, d in r["check"].items())
        parts.append(f"scalar chain: value and gradients match the closed form "
                     f"(largest relative difference: {worst})")
    r = results.get("grading")
    if r is not None:
        from benchmarks import grading

        parts += grading.describe(r)
    r = results.get("cluster")
    if r is not None:
        from benchmarks import cluster

        parts.append(cluster.describe(r))
    return parts


def sandbox_lines(r):
    """The sandbox's cost per notebook: a heading line and benchmarks/sandbox.py's own table.

    A measured cost, not a target: it gives no verdict (rows() leaves it out).
    """
    from benchmarks import sandbox

    heading = (f"What the sandbox costs per notebook (`benchmarks/sandbox.py`, best of "
               f"{r['repeat']} rounds; no target):")
    return [heading, "", sandbox.table(r["times"], r["missing"])]


def markdown(results, info, settings):
    """The whole results section."""
    lines = [f"Measured by `python -m benchmarks` on {info['date']}: {settings}.", ""]
    keys = ("CPU", "OS", "Python", "numpy", "peers", "threads", "load")
    lines += [f"- {k}: {info[k]}" for k in keys]
    lines += ["", "| benchmark | engine | time | ratio | target | result |",
              "| --- | --- | ---: | ---: | --- | --- |"]
    table, _ = rows(results)
    lines += ["| " + " | ".join(row) + " |" for row in table]
    if "sandbox" in results:
        lines += [""] + sandbox_lines(results["sandbox"])
    checks = checks_line(results)
    if checks:
        lines += ["", "Cross-checks before timing:", ""] + [f"- {c}" for c in checks]
    return "\n".join(lines) + "\n"


def replace_section(text, section):
    """text with the part between START and END replaced by section (appended if absent)."""
    block = f"{START}\n{section.rstrip()}\n{END}"
    if START in text and END in text and text.index(START) < text.index(END):
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        return head + block + tail
    return text.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"


def write_readme(section, path=README):
    text = path.read_text() if path.exists() else ""
    path.write_text(replace_section(text, section))
