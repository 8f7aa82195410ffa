"""New numbers for the hypotheses: f re-evaluated on a call, by central differences.

A hypothesis such as "the upstream gradient was not multiplied in" predicts what the student
got: the right answer of a changed problem (here: u = 1). `Numerics` computes right answers of
changed problems: whole Jacobians for inputs of at most `max_full` elements, agreement along
random directions above that. f's failures (an exception, a wrong shape) give None: a
hypothesis that cannot be evaluated does not fit.
"""

import warnings
from contextlib import ExitStack
from functools import cached_property

import numpy as np

from course.tolerances import agree, rounding_noise

NUM_DIRECTIONS = 3        # random directions per hypothesis for larger inputs


class Numerics:
    """Finite differences of the call's f (a course.diagnosis.problem.Call); Jacobians cached."""

    def __init__(self, call):
        self.call = call
        self._jacobians = {}

    def evaluate(self, xs):
        """f(*xs) as a new float64 array, or None when f fails."""
        if self.call.f is None:
            return None
        try:
            with np.errstate(all="ignore"):     # a copy: f may return a view of its input
                return np.array(self.call.f(*xs), dtype=np.float64)
        except Exception:   # a hypothesis the function cannot evaluate does not fit
            return None

    @cached_property
    def output(self):
        """f(*inputs), or None."""
        return self.evaluate(self.call.inputs) if self.call.inputs else None

    def small(self, j):
        """Is input j small enough for a whole Jacobian?"""
        return bool(self.call.inputs) and j is not None \
            and self.call.inputs[j].size <= self.call.max_full

    def jacobian(self, xs, j):
        """d f / d x_j at xs by central differences: (out.size, x_j.size), or None."""
        key = (j,) + tuple(id(x) for x in xs)
        if key in self._jacobians:
            return self._jacobians[key][0]
        if xs[j].size == 0:
            return None
        eps = self.call.eps
        x = xs[j].copy()
        flat = x.reshape(-1)
        columns = []
        for k in range(x.size):
            old = flat[k]
            flat[k] = old + eps
            up = flat[k] - old
            plus = self.evaluate(xs[:j] + (x,) + xs[j + 1:])
            flat[k] = old - eps
            down = old - flat[k]
            minus = self.evaluate(xs[:j] + (x,) + xs[j + 1:])
            flat[k] = old
            if plus is None or minus is None or plus.shape != minus.shape:
                self._jacobians[key] = (None, xs)
                return None
            columns.append(((plus - minus) / (up + down)).reshape(-1))
        J = np.stack(columns, axis=1)
        self._jacobians[key] = (J, xs)   # xs kept alive: the key holds their ids
        return J

    def gradient(self, xs, u, j):
        """The right dL/dx_j for L = sum(f(*xs) * u), from the whole Jacobian; None when x_j
        is too large for one (use `agrees`) or f fails."""
        if self.call.f is None or not xs or u is None or j is None or not self.small(j):
            return None
        J = self.jacobian(xs, j)
        if J is None or J.shape[0] != u.size and u.size != 1:
            return None
        uf = np.broadcast_to(u, (J.shape[0],)) if u.size == 1 else u.reshape(-1)
        return (uf @ J).reshape(xs[j].shape)

    def tangent(self, xs, tangents):
        """The right output tangent when the inputs xs move along `tangents`, or None."""
        if self.call.f is None or not xs or tangents is None:
            return None
        eps = self.call.eps
        plus = self.evaluate(tuple(x + eps * t for x, t in zip(xs, tangents)))
        minus = self.evaluate(tuple(x - eps * t for x, t in zip(xs, tangents)))
        if plus is None or minus is None or plus.shape != minus.shape:
            return None
        return (plus - minus) / (2 * eps)

    def agrees(self, a, xs, u, j, rtol, atol):
        """Is `a` the gradient of L = sum(f(*xs) * u) with respect to x_j? Tested along
        NUM_DIRECTIONS random directions, any size of input."""
        if self.call.f is None or not xs or u is None or j is None:
            return False
        if np.shape(a) != xs[j].shape or not np.all(np.isfinite(a)):
            return False
        out = self.evaluate(xs)
        if out is None or (out.shape != u.shape and u.size != 1):
            return False
        atol = max(atol, rounding_noise(float(np.sum(np.abs(out * u)))
                                        + float(np.sum(np.abs(a * xs[j]))), self.call.eps))
        rng = np.random.default_rng(self.call.seed + 7919)
        for _ in range(NUM_DIRECTIONS):
            d = rng.uniform(-1.0, 1.0, size=xs[j].shape)
            derivative = self.directional(xs, u, j, d)
            if derivative is None or not agree(float(np.sum(a * d)), derivative, rtol, atol):
                return False
        return True

    def directional(self, xs, u, j, d):
        """dL/dx_j along d (L = sum(f(*xs) * u)) by a central difference, or None."""
        eps = self.call.eps
        plus = self.evaluate(xs[:j] + (xs[j] + eps * d,) + xs[j + 1:])
        minus = self.evaluate(xs[:j] + (xs[j] - eps * d,) + xs[j + 1:])
        if plus is None or minus is None:
            return None
        return float(np.sum((plus - minus) * u)) / (2 * eps)

    def local_derivative(self, z):
        """f'(z) element by element, from one pair of evaluations (f element-wise in its only
        input), or None."""
        eps = self.call.eps
        rng = np.random.default_rng(self.call.seed + 31)
        d = rng.uniform(0.5, 1.5, size=z.shape) * rng.choice([-1.0, 1.0], size=z.shape)
        plus, minus = self.evaluate((z + eps * d,)), self.evaluate((z - eps * d,))
        if plus is None or minus is None or plus.shape != z.shape or minus.shape != z.shape:
            return None
        with np.errstate(all="ignore"):
            local = (plus - minus) / ((z + eps * d) - (z - eps * d))
        return local if np.all(np.isfinite(local)) else None

    def derivative_from_output(self, x):
        """h with f'(z) = h(f(z)), when h is a polynomial of degree <= 3 (tanh: 1 - y**2,
        sigmoid: y - y**2, exp: y), fitted on sample points of x's shape; None otherwise."""
        points = np.concatenate([np.linspace(-2.0, 2.0, 9), np.linspace(0.1, 3.0, 7)])
        ys, slopes = [], []
        for start in range(0, points.size, x.size):
            chunk = points[start:start + x.size]
            z = np.full(x.shape, chunk[0])
            z.reshape(-1)[:chunk.size] = chunk
            y, local = self.evaluate((z,)), self.local_derivative(z)
            if y is None or local is None or y.shape != x.shape:
                return None
            if x.size > 1:                       # the same function at every position?
                same = self.evaluate((np.full(x.shape, chunk[0]),))
                if same is None or not np.allclose(same, y.flat[0], equal_nan=True):
                    return None
            ys.append(y.reshape(-1)[:chunk.size])
            slopes.append(local.reshape(-1)[:chunk.size])
        y, slope = np.concatenate(ys), np.concatenate(slopes)
        keep = np.isfinite(y) & np.isfinite(slope) & (np.abs(y) < 1e6)
        y, slope = y[keep], slope[keep]
        if np.unique(np.round(y, 12)).size < 6:
            return None
        scale = max(float(np.max(np.abs(slope))), 1e-12)
        for degree in (1, 2, 3):
            poly = np.polynomial.Polynomial.fit(y, slope, degree)
            if np.max(np.abs(poly(y) - slope)) <= 1e-6 * scale:
                return poly
        return None


def quiet():
    """A context with no warnings while a diagnosis runs: a warning printed in a notebook's test
    cell costs the student the points, and f evaluated off its domain, or a fit, may warn.
    (A plain function: the canary checks that course's functions are the ones on disk, and a
    decorated one imported elsewhere looks replaced to it.)"""
    stack = ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(np.errstate(all="ignore"))
    return stack
