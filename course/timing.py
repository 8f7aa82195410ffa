"""Timing a piece of code in a notebook: the best of a few runs (the least disturbed by the rest
of the machine)."""

import time


def best_time(fn, repeats=3):
    """(fn()'s result, the shortest wall time of `repeats` calls, in seconds)."""
    result, times = None, []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times)
