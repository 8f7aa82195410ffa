"""What one kernel may use (`Limits`), and the grader's `--limit NAME=VALUE` texts for it."""

from dataclasses import asdict, dataclass

from autograder.sandbox.launcher import GiB, MiB


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. Per process (setrlimit): memory_bytes (address space), cpu_seconds,
    file_bytes (largest file written), tasks (processes + threads, RLIMIT_NPROC, counted per
    sandbox). For the whole sandbox (watchdog): wall_seconds, processes, total_memory_bytes
    (resident). Sizes of the tmpfs: scratch_bytes (the working folder), tmp_bytes (/tmp, home,
    /dev/shm each)."""

    memory_bytes: int = 3 * GiB
    cpu_seconds: int = 600
    file_bytes: int = 64 * MiB
    tasks: int = 128
    wall_seconds: float = 1800.0
    processes: int = 24
    total_memory_bytes: int = 4 * GiB
    scratch_bytes: int = 256 * MiB
    tmp_bytes: int = 64 * MiB


LIMIT_UNITS = {"memory": "bytes", "cpu": "seconds", "file": "bytes", "tasks": "count",
               "wall": "seconds", "processes": "count", "total_memory": "bytes",
               "scratch": "bytes", "tmp": "bytes"}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": MiB, "mb": MiB,
               "mib": MiB, "g": GiB, "gb": GiB, "gib": GiB}


def _field(name):
    """The Limits field of a short name: memory -> memory_bytes, cpu -> cpu_seconds."""
    unit = LIMIT_UNITS[name]
    return f"{name}_{unit}" if unit != "count" else name


def parse_limits(items, base=None):
    """Limits from NAME=VALUE texts (the grader's --limit), on top of `base` (default Limits()).

    Names: memory, file, scratch, tmp, total_memory (sizes: 512MiB, 2GiB, 1g); cpu, wall
    (seconds); tasks, processes (counts). Raises ValueError saying what is wrong."""
    values = asdict(base or Limits())
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or name not in LIMIT_UNITS:
            raise ValueError(f"--limit {item!r}: expected NAME=VALUE with NAME one of "
                             f"{', '.join(LIMIT_UNITS)}")
        unit, text = LIMIT_UNITS[name], text.strip().lower()
        try:
            if unit == "bytes":
                number = text.rstrip("kmgib")
                value = int(float(number) * _SIZE_UNITS[text[len(number):]])
            else:
                value = float(text.removesuffix("s")) if unit == "seconds" else int(text)
        except (KeyError, ValueError):
            kind, example = {"bytes": ("size", "2GiB"), "seconds": ("number of seconds", "600"),
                             "count": ("whole number", "24")}[unit]
            raise ValueError(f"--limit {item!r}: {text!r} is not a {kind} "
                             f"(e.g. {name}={example})") from None
        if value <= 0:
            raise ValueError(f"--limit {item!r}: must be positive")
        values[_field(name)] = int(value) if unit == "seconds" and name == "cpu" else value
    return Limits(**values)


def describe_limits(limits):
    """The limits in words, for the grader's output: "memory=3GiB cpu=600s ..."."""
    parts = []
    for name, unit in LIMIT_UNITS.items():
        value = getattr(limits, _field(name))
        if unit == "bytes":
            parts.append(f"{name}={value / GiB:g}GiB" if value >= GiB
                         else f"{name}={value / MiB:g}MiB")
        else:
            parts.append(f"{name}={value:g}{'s' if unit == 'seconds' else ''}")
    return " ".join(parts)

