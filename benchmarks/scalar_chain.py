"""A long chain of scalar gates, built and differentiated: course.Value against micrograd.

    x = x0
    repeat n times:  x = x * a + b          (x0, a, b are Values: each gets a gradient)
    x.backward()

One unit of work builds the 2n-gate graph and runs the backward pass. The value and the three
gradients are checked against the closed form x = a**n x0 + b (1 - a**n) / (1 - a).

Both engines are timed with the garbage collector on, as in a notebook, and off, as `timeit`
does. The difference matters here: a micrograd node is an object with a __dict__, a set and a
closure that refers back to the node (a reference cycle), so building the chain allocates many
container objects and triggers many collections; a course.Value has __slots__ and a tuple.

micrograd sorts the graph with a recursive function, one Python frame per node: a chain of n
multiply-adds is 2n deep, so `sys.setrecursionlimit` is raised for it (and restored after), and
the benchmark runs in a thread with a large stack (Python 3.10 spends C stack on every frame).
course.Value sorts iteratively and needs neither.
"""

import importlib
import math
import sys
import threading

N = 20_000
X0, A, B = 0.5, 0.9999, 0.01
ENGINES = ("micrograd", "course")
LABELS = {"micrograd": "micrograd (baseline)", "course": "course.Value"}
MODULES = {"micrograd": "micrograd.engine", "course": "course.value"}
RTOL = 1e-8  # the closed form and the chain round differently
STACK_BYTES = 512 * 1024 * 1024


def available(engine):
    """Whether the engine's package can be imported."""
    try:
        importlib.import_module(MODULES[engine])
    except ImportError:
        return False
    return True


def _value_class(engine):
    if engine == "course":
        from course.value import Value
    else:
        from micrograd.engine import Value
    return Value


def make_chain(engine, n=N):
    """fn() building and differentiating the chain; returns (x, x0, a, b) with grads filled."""
    Value = _value_class(engine)

    def chain():
        x0, a, b = Value(X0), Value(A), Value(B)
        x = x0
        for _ in range(n):
            x = x * a + b
        x.backward()
        return x, x0, a, b

    return chain


def expected_grads(n=N):
    """(x, dx/dx0, dx/da, dx/db) in closed form."""
    an = A ** n
    x = an * X0 + B * (1 - an) / (1 - A)
    # x = a^n x0 + b (1 - a^n) / (1 - a); differentiate in a
    da = n * A ** (n - 1) * X0 + B * ((1 - an) - n * A ** (n - 1) * (1 - A)) / (1 - A) ** 2
    return x, an, da, (1 - an) / (1 - A)


def check(results, n=N):
    """Assert every engine's value and gradients match the closed form; {engine: worst rel diff}."""
    want = expected_grads(n)
    worst = {}
    for engine, (x, x0, a, b) in results.items():
        got = (x.data, x0.grad, a.grad, b.grad)
        worst[engine] = 0.0
        for what, g, w in zip(("x", "dx/dx0", "dx/da", "dx/db"), got, want):
            if not math.isclose(g, w, rel_tol=RTOL):
                raise AssertionError(f"{engine}: {what} = {g!r}, the closed form gives {w!r}")
            worst[engine] = max(worst[engine], abs(g - w) / abs(w))
    return worst


def _in_big_thread(fn, depth):
    """fn() in a thread with a large stack and a recursion limit above `depth` frames."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:  # re-raised in the caller
            box["error"] = e

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, depth + 10_000))
    try:
        threading.stack_size(STACK_BYTES)
        worker = threading.Thread(target=target, name="scalar-chain-benchmark")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["result"]


def run(repeat=7, min_sample=0.0, n=N, engines=ENGINES):
    """Time each available engine, with the garbage collector on (as in a notebook) and off.

    Returns {n, times {"gc on": {engine: s}, "gc off": {engine: s}} (None: not installed),
    check {engine: worst relative difference from the closed form}, installed {engine: bool}}.
    min_sample=0: one chain per sample, so a sample never holds several graphs at once.
    """
    from benchmarks.timing import compare, with_gc

    present = [e for e in engines if available(e)]

    def measure():
        chains = {e: make_chain(e, n) for e in present}
        worst = check({e: chain() for e, chain in chains.items()}, n)   # also the warm-up
        contenders = {}
        for e in present:
            contenders[("gc on", e)] = with_gc(chains[e])
            contenders[("gc off", e)] = chains[e]
        best = compare(contenders, repeat=repeat, min_sample=min_sample, keep_results=True)
        return worst, best

    worst, best = _in_big_thread(measure, depth=2 * n)
    times = {mode: {e: best.get((mode, e)) for e in engines} for mode in ("gc on", "gc off")}
    return {"n": n, "times": times, "check": worst,
            "installed": {e: available(e) for e in engines}}
