"""How long `course.gradcheck.check_vjp` takes on a 512 x 512 matmul with its correct VJP.

    f(x, w) = x @ w          vjp_fn(g, x, w) = (g @ w.T, x.T @ g)

Both inputs are far above the element-by-element limit, so the check goes along a few random
directions; what it costs is a handful of 512 x 512 matmuls. A notebook runs checks like this one
in every exercise, so it has to be quick.

Written against the documented signature `check_vjp(f, vjp_fn, *inputs)`, with
`vjp_fn(upstream, *inputs)` returning a tuple of gradients. When `course.gradcheck` cannot be
imported, `run` reports that instead of a time.
"""

import numpy as np

SIZE = 512


def load_check_vjp():
    """(check_vjp, None) or (None, the reason it cannot be imported)."""
    try:
        from course.gradcheck import check_vjp
    except ImportError as e:  # the module, or the name in it, is missing
        return None, f"course.gradcheck.check_vjp is not importable ({e})"
    return check_vjp, None


def matmul(x, w):
    return x @ w


def matmul_vjp(g, x, w):
    return g @ w.T, x.T @ g


def make_inputs(size=SIZE, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((size, size)), rng.standard_normal((size, size))


def run(repeat=7, min_sample=0.0, size=SIZE):
    """{size, time (seconds or None), skipped (reason or None), baseline_matmul (seconds)}.

    The check must pass (it raises otherwise): a correct VJP is timed, as a student would run it.
    """
    from benchmarks.timing import compare

    x, w = make_inputs(size)
    check_vjp, reason = load_check_vjp()

    def one_matmul():
        return x @ w

    contenders = {"matmul": one_matmul}
    if check_vjp is not None:
        def check():
            return check_vjp(matmul, matmul_vjp, x, w)

        check()  # warm-up, and a wrong verdict on a correct VJP stops the benchmark here
        contenders["check_vjp"] = check
    best = compare(contenders, repeat=repeat, min_sample=min_sample)
    return {"size": size, "time": best.get("check_vjp"), "skipped": reason,
            "matmul": best["matmul"]}
