"""When a gradient agrees: the checker's numbers and tests, shared by course.gradcheck and
course.diagnose (a diagnosis must explain the numbers to the tolerance the check applied).

A value agrees with the expected one when

    |expected - got| <= atol + rtol * max(1e-8, |expected| + |got|)

CS231n's relative error below rtol, except for values so small that they drown in the rounding
noise of the finite differences: atol, estimated by `rounding_noise` from the size of the terms
of the function differenced.
"""

import numpy as np

EPS = 1e-6                                 # finite-difference step
RTOL = 1e-5                                # relative tolerance (CS231n relative error)
NOISE = 100 * np.finfo(np.float64).eps     # rounding noise of one evaluation, relative
MAX_ELEMENTWISE = 100                      # inputs up to this size: element by element


def excess(expected, got, rtol, atol):
    """|expected - got| as a multiple of the tolerance, element-wise: above 1 fails. NaN in
    expected (not checked): 0."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = atol + rtol * np.maximum(1e-8, np.abs(expected) + np.abs(got))
        return np.nan_to_num(np.abs(expected - got) / bound, nan=0.0, posinf=np.inf)


def agree(a, b, rtol, atol):
    """a and b agree to the tolerance, element-wise; a NaN in b counts as agreeing (not
    checked), anything not finite in a does not."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = atol + rtol * np.maximum(1e-8, np.abs(a) + np.abs(b))
        ok = np.abs(a - b) <= bound
    return (ok & np.isfinite(a)) | np.isnan(b)


def rel_error(a, b):
    """CS231n's relative error: the largest |a - b| / max(1e-8, |a| + |b|), element-wise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def rounding_noise(size, eps):
    """The rounding noise of a central difference with step eps of a function whose terms add
    up to `size` in absolute value: the atol below which no difference can be trusted."""
    return NOISE * size / eps
