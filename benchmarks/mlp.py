"""One training step of an MLP: forward, backward, SGD update. float64 throughout.

The network: `layers = (d_in, h_1, ..., h_k, C)`, a ReLU after every hidden layer, softmax
cross-entropy (mean over the batch) on the C logits. A step computes the loss, the gradients of
every weight and bias (not of the input batch, which no one needs) and applies
`p -= lr * dL/dp`.

Contenders, each on its own copy of the same initial parameters:
- numpy:    hand-written forward and analytic backward, the baseline;
- course:   `course.Tensor` parameters (requires_grad), `course.cross_entropy`, `.backward()`,
            `p.data -= lr * p.grad` (backward() overwrites .grad: no zero_grad);
- autograd: HIPS autograd, `value_and_grad` of the loss function;
- torch:    PyTorch CPU, float64, `loss.backward()` (grads reset to None first), no_grad update.

`check_first_step` runs one step of every contender from identical parameters and asserts that
each returns the numpy baseline's loss and gradients, and leaves the same updated parameters:
the timings compare the same work.
"""

import importlib

import numpy as np

SIZES = {
    "small": {"batch": 16, "layers": (32, 32, 32, 10)},
    "large": {"batch": 256, "layers": (256, 512, 512, 10)},
}
LR = 1e-3
RTOL, ATOL = 1e-9, 1e-12
ENGINES = ("numpy", "course", "autograd", "torch")
LABELS = {
    "numpy": "numpy, hand-written (baseline)",
    "course": "course.Tensor",
    "autograd": "HIPS autograd",
    "torch": "PyTorch (1 thread)",
}
MODULES = {"course": "course", "autograd": "autograd", "torch": "torch"}


def available(engine):
    """Whether the engine's package can be imported (numpy always can)."""
    module = MODULES.get(engine)
    if module is None:
        return True
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def make_problem(batch, layers, seed=0):
    """(params, X, y): He-initialised float64 weights (d_in, d_out) and zero biases, a batch."""
    rng = np.random.default_rng(seed)
    params = []
    for d_in, d_out in zip(layers[:-1], layers[1:]):
        params.append(rng.standard_normal((d_in, d_out)) * np.sqrt(2.0 / d_in))
        params.append(np.zeros(d_out))
    X = rng.standard_normal((batch, layers[0]))
    y = rng.integers(0, layers[-1], size=batch)
    return params, X, y


# --- the contenders: make_*(params, X, y, lr) -> step() returning (loss, [grads]) ------------
# Each copies the parameters it is given and then updates its own copy at every step.

def make_numpy(params, X, y, lr=LR):
    params = [p.copy() for p in params]
    weights, biases = params[0::2], params[1::2]
    n = len(y)
    rows = np.arange(n)
    last = len(weights) - 1

    def step():
        # forward: keep each layer's input and each pre-activation for the backward pass
        inputs, pre = [], []
        h = X
        for i, (W, b) in enumerate(zip(weights, biases)):
            inputs.append(h)
            z = h @ W + b
            if i < last:
                pre.append(z)
                h = np.maximum(z, 0.0)
            else:
                h = z
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - shifted[rows, y].mean()
        # backward: dL/dlogits = (softmax - one_hot) / n
        g = exp / total
        g[rows, y] -= 1.0
        g /= n
        grads = [None] * len(params)
        for i in range(last, -1, -1):
            grads[2 * i] = inputs[i].T @ g
            grads[2 * i + 1] = g.sum(axis=0)
            if i > 0:  # not for the input batch
                g = g @ weights[i].T
                g *= pre[i - 1] > 0
        for p, dp in zip(params, grads):
            p -= lr * dp
        return loss, grads

    step.params = params
    return step


def make_course(params, X, y, lr=LR):
    import course

    params = [course.Tensor(p.copy(), requires_grad=True) for p in params]
    weights, biases = params[0::2], params[1::2]
    X = course.Tensor(X)
    last = len(weights) - 1

    def step():
        h = X
        for i, (W, b) in enumerate(zip(weights, biases)):
            h = h @ W + b
            if i < last:
                h = h.relu()
        loss = course.cross_entropy(h, y)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss, [p.grad for p in params]

    step.params = params
    return step


def make_autograd(params, X, y, lr=LR):
    import autograd
    import autograd.numpy as anp

    params = [p.copy() for p in params]
    n = len(y)
    rows = np.arange(n)

    def loss_fn(params):
        h = X
        last = len(params) // 2 - 1
        for i in range(last + 1):
            h = anp.dot(h, params[2 * i]) + params[2 * i + 1]
            if i < last:
                h = anp.maximum(h, 0.0)
        shifted = h - anp.max(h, axis=1, keepdims=True)
        log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(log_probs[rows, y])

    value_and_grad = autograd.value_and_grad(loss_fn)

    def step():
        loss, grads = value_and_grad(params)
        for p, dp in zip(params, grads):
            p -= lr * dp
        return loss, grads

    step.params = params
    return step


def make_torch(params, X, y, lr=LR, threads=None):
    import torch
    import torch.nn.functional as F

    if threads is not None:
        torch.set_num_threads(threads)

    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    weights, biases = params[0::2], params[1::2]
    X = torch.from_numpy(X)
    y = torch.from_numpy(y.astype(np.int64))
    last = len(weights) - 1

    def step():
        h = X
        for i, (W, b) in enumerate(zip(weights, biases)):
            h = torch.addmm(b, h, W)
            if i < last:
                h = torch.relu(h)
        loss = F.cross_entropy(h, y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
        return loss, [p.grad for p in params]

    step.params = params
    return step


MAKERS = {"numpy": make_numpy, "course": make_course, "autograd": make_autograd,
          "torch": make_torch}


def _as_numpy(x):
    if hasattr(x, "detach"):  # torch.Tensor and course.Tensor both have detach() and numpy()
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64)


def check_first_step(steps, reference="numpy"):
    """Run one step of each contender (fresh, identical parameters) and compare with the reference.

    Returns {engine: the largest relative difference seen}; raises AssertionError on a mismatch.
    """
    ref_loss, ref_grads = steps[reference]()
    ref_params = [_as_numpy(p) for p in steps[reference].params]
    ref_loss = float(ref_loss)
    assert np.isfinite(ref_loss), f"{reference}: the loss is not finite"
    worst = {reference: 0.0}
    for engine, step in steps.items():
        if engine == reference:
            continue
        loss, grads = step()
        pairs = [("loss", np.float64(_as_numpy(loss)), np.float64(ref_loss))]
        assert len(grads) == len(ref_grads), (
            f"{engine}: {len(grads)} gradients, expected {len(ref_grads)}")
        pairs += [(f"gradient {k}", _as_numpy(g), r)
                  for k, (g, r) in enumerate(zip(grads, ref_grads))]
        pairs += [(f"updated parameter {k}", _as_numpy(p), r)
                  for k, (p, r) in enumerate(zip(step.params, ref_params))]
        worst[engine] = 0.0
        for what, got, expected in pairs:
            assert got.shape == np.shape(expected), (
                f"{engine}: {what} has shape {got.shape}, {reference} gives {np.shape(expected)}")
            if not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
                diff = np.max(np.abs(got - expected))
                raise AssertionError(f"{engine}: {what} differs from {reference} by up to "
                                     f"{diff:.3g} (rtol {RTOL}, atol {ATOL}): not the same "
                                     f"computation")
            scale = np.maximum(np.abs(expected), ATOL / RTOL)
            worst[engine] = max(worst[engine], float(np.max(np.abs(got - expected) / scale)))
    return worst


def run(size, repeat=7, min_sample=0.05, engines=ENGINES, seed=0, threads=1, spec=None):
    """Time one training step of each available engine on SIZES[size] (or on `spec`, a dict
    with batch and layers). threads: PyTorch's thread count (None: leave it as it is).

    Returns a dict: size, batch, layers, times {engine: seconds per step or None if not
    installed}, check {engine: largest relative difference on the first step}, installed.
    """
    from benchmarks.timing import compare

    spec = SIZES[size] if spec is None else spec
    params, X, y = make_problem(spec["batch"], spec["layers"], seed)
    present = [e for e in engines if available(e)]
    steps = {e: (make_torch(params, X, y, threads=threads) if e == "torch"
                 else MAKERS[e](params, X, y)) for e in present}
    check = check_first_step(steps)           # also the first (warm-up) call of each
    best = compare(steps, repeat=repeat, min_sample=min_sample)
    times = {e: best.get(e) for e in engines}
    return {"size": size, "batch": spec["batch"], "layers": spec["layers"], "times": times,
            "check": check, "installed": {e: available(e) for e in engines}}
