"""Best-of-N timing with the contenders interleaved.

The machine's cores are shared, so a single measurement says little: another process may have run
at the same moment. `compare` therefore

- calibrates, for each contender, how many calls make one sample last at least `min_sample` s;
- takes `repeat` rounds; in each round every contender takes one sample, in an order that rotates
  from round to round, so a burst of load from elsewhere hits all of them alike;
- keeps the best (smallest) time per call of each contender: noise only ever adds time.

As `timeit` does, the garbage collector is off while a sample is timed (`with_gc(fn)` turns it on
for one contender), and a full collection runs between samples (untimed). `compare` first
freezes every object alive (`gc.freeze`): collections then visit only what the benchmark itself
allocates, so their cost does not depend on what else the process imported (torch alone brings
some 150,000 objects, which would make every full collection ~0.1 s slower).

With `keep_results=True` the values the calls return are held until the sample's clock has
stopped, so freeing a big graph is not charged to the next call (engines whose graphs hold
reference cycles are freed by the collector, untimed; this keeps the others on the same footing).
"""

import gc
import math
import time

__all__ = ["compare", "time_calls", "with_gc", "format_seconds"]


def time_calls(fn, number, keep_results=False):
    """Seconds per call of `fn()`, over `number` consecutive calls (gc off while timing)."""
    held = [None] * number if keep_results else None
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if keep_results:
            start = time.perf_counter()
            for i in range(number):
                held[i] = fn()
            elapsed = time.perf_counter() - start
        else:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()
    del held
    gc.collect()
    return elapsed / number


def with_gc(fn):
    """fn, but with the garbage collector on while it runs (as in a notebook): for work whose
    cost includes the collections its allocations trigger."""
    def fn_with_gc():
        gc.enable()
        try:
            return fn()
        finally:
            gc.disable()

    fn_with_gc.__name__ = f"with_gc({getattr(fn, '__name__', 'fn')})"
    return fn_with_gc


def calibrate(fn, min_sample, keep_results=False, max_number=100_000):
    """How many calls of fn make a sample of at least `min_sample` seconds (at least 1)."""
    number = 1
    while True:
        t = time_calls(fn, number, keep_results) * number
        if t >= min_sample or number >= max_number:
            return number
        # Aim a little past the target, growing at most 10x per try.
        guess = math.ceil(number * 1.2 * min_sample / max(t, 1e-9))
        number = min(max_number, max(number + 1, min(guess, 10 * number)))


def compare(contenders, repeat=7, min_sample=0.05, keep_results=False):
    """Best seconds per call of each contender: {name: seconds}.

    contenders: {name: fn} with fn() doing one unit of work (call it once beforehand if it needs
    warming up: the calibration calls it too). repeat: rounds (each contender takes one sample per
    round). min_sample: the shortest sample, in seconds.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    names = list(contenders)
    gc.collect()
    gc.freeze()  # what is alive now is left out of every collection from here on
    try:
        numbers = {n: calibrate(contenders[n], min_sample, keep_results) for n in names}
        best = {n: math.inf for n in names}
        for r in range(repeat):
            k = r % len(names)
            for n in names[k:] + names[:k]:  # rotate who goes first
                best[n] = min(best[n], time_calls(contenders[n], numbers[n], keep_results))
    finally:
        gc.unfreeze()
    return best


def format_seconds(seconds):
    """A time with a unit that keeps 3 significant digits: 812 ns, 41.3 µs, 12.0 ms, 1.25 s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{_three_digits(seconds / scale)} {unit}"
    return f"{_three_digits(seconds / 1e-9)} ns"


def _three_digits(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"
