"""The Box-Cox exponent by maximum likelihood, for every feature at once.

:func:`boxcox_lambdas` is what :class:`somwidget.normalization.BoxCoxNormalizer` fits: the
profile log-likelihood of :func:`scipy.stats.boxcox_llf`, computed in log space (wide-range data
never overflow), maximised over :data:`BOXCOX_LAMBDA_BOUNDS` by a grid and a golden-section
search vectorised over the features (no scipy optimiser, so nothing can fail to bracket).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["BOXCOX_LAMBDA_BOUNDS", "boxcox_lambdas", "boxcox_lambdas_from", "boxcox_shift",
           "profile_llf"]

BOXCOX_LAMBDA_BOUNDS: tuple[float, float] = (-2.0, 2.0)

#: Largest ``|lambda * log(x)|`` an exponent may reach on the fitted data: beyond it the
#: transformed values' squares overflow float64, so such exponents are never chosen.
_BOXCOX_MAX_EXPONENT = 300.0

#: Smallest spread of the transformed values relative to their magnitude an exponent may leave
#: (a lower bound of ``std(boxcox) / max |boxcox|``): below it the transform maps the data onto
#: one float64 value plus rounding noise (``x ~ 5e6`` with ``lambda = -2`` gives ``0.5 - 2e-14 t``),
#: and the standardised values would be that noise, so such exponents are never chosen.
_BOXCOX_MIN_RELATIVE_SPREAD = 1e-7


def boxcox_shift(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The shift ``s`` that makes each feature positive: 0 where its minimum ``lo`` is > 0, else
    ``min(1, hi - lo) - lo``, so that the shifted minimum is 1, or the range when that is
    smaller (shifting a feature of range 1e-13 to 1 would leave its values a few ulps apart)."""
    with np.errstate(invalid="ignore", over="ignore"):
        span = hi - lo
        base = np.where(span > 0, np.minimum(1.0, span), 1.0)
        return np.where(lo > 0, 0.0, base - lo)


def profile_llf(lmbda: np.ndarray, m: np.ndarray, var_z: np.ndarray, var_log: Any,
                sum_log: np.ndarray, n: np.ndarray, too_big: np.ndarray,
                low: np.ndarray | None = None) -> np.ndarray:
    """The Box-Cox profile log-likelihood from reductions of the data (any shape, broadcast).

    ``m`` is ``max(lambda log x)``, ``var_z`` the variance of ``expm1(lambda log x - m)``,
    ``var_log`` that of ``log x`` (used where ``|lambda| < 1e-10``; None when no exponent is
    that small), ``sum_log`` the sum of ``log x`` and ``n`` the count of known values;
    ``too_big`` marks exponents with ``|lambda log x| > 300`` somewhere (``-inf``). With ``low``,
    ``min(lambda log x)``, so are exponents that collapse the data onto one float64 value
    (:data:`_BOXCOX_MIN_RELATIVE_SPREAD`): ``std(boxcox) / max |boxcox| = exp(m) sqrt(var_z) /
    max(|expm1(m)|, |expm1(low)|)``. The one formula the in-memory search
    (:func:`boxcox_lambdas`) and the Dask passes (:func:`boxcox_lambdas_from`) evaluate.
    """
    with np.errstate(all="ignore"):
        near_zero = np.abs(lmbda) < 1e-10
        collapsed: Any = False
        if low is not None:
            top = np.log(np.maximum(np.abs(np.expm1(m)), np.abs(np.expm1(low))))
            collapsed = ~near_zero & (m + 0.5 * np.log(var_z) - top
                                      < np.log(_BOXCOX_MIN_RELATIVE_SPREAD))
        log_var = np.where(
            near_zero,
            np.log(var_log) if var_log is not None else 0.0,
            2.0 * m + np.log(var_z) - 2.0 * np.log(np.where(near_zero, 1.0, np.abs(lmbda))),
        )
        llf = (lmbda - 1.0) * sum_log - 0.5 * n * log_var
    return np.where(too_big | collapsed | ~np.isfinite(llf), -np.inf, llf)


def _boxcox_llf(logx: np.ndarray, lmbda: np.ndarray, sum_log: np.ndarray,
                n: np.ndarray) -> np.ndarray:
    """Box-Cox profile log-likelihood per feature (that of :func:`scipy.stats.boxcox_llf`).

    ``llf = (lambda - 1) * sum(log x) - n / 2 * log(var(boxcox(x, lambda)))``, for every feature
    (column of ``logx``, NaN = missing) at its own ``lambda``. The variance is taken in log space,
    ``var(boxcox) = exp(2 m) var(expm1(y - m)) / lambda**2`` with ``y = lambda log x`` and
    ``m = max y``, so wide-range data never overflow; exponents with ``|y| >`` 300 give ``-inf``.
    """
    missing = bool(np.isnan(logx).any())
    vmax, vmin, var = (np.nanmax, np.nanmin, np.nanvar) if missing else (np.max, np.min, np.var)
    with np.errstate(all="ignore"):
        y = lmbda[None, :] * logx
        m = vmax(y, axis=0)
        low = vmin(y, axis=0)
        too_big = np.maximum(m, -low) > _BOXCOX_MAX_EXPONENT
        y -= m
        var_z = var(np.expm1(y, out=y), axis=0)
        near_zero = np.abs(lmbda) < 1e-10
        var_log = var(logx, axis=0) if near_zero.any() else None
    return profile_llf(lmbda, m, var_z, var_log, sum_log, n, too_big, low)


def boxcox_lambdas(X: np.ndarray) -> np.ndarray:
    """Maximum-likelihood Box-Cox exponents of the (positive) columns of ``X``, in
    :data:`BOXCOX_LAMBDA_BOUNDS`; NaN entries are ignored.

    Vectorised over the features: a grid over the bounds (step 0.25) finds the best cell, a
    golden-section search refines it to about 1e-9. Bounded and derivative-free, it cannot fail to
    bracket (scipy's optimiser could, on wide-range data) and costs about 65 passes over ``X``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        logx = np.log(X)
    n = np.sum(~np.isnan(logx), axis=0).astype(np.float64)
    sum_log = np.nansum(logx, axis=0)
    lo_b, hi_b = BOXCOX_LAMBDA_BOUNDS
    grid = np.linspace(lo_b, hi_b, 17)
    d = X.shape[1]
    scores = np.stack([_boxcox_llf(logx, np.full(d, g), sum_log, n) for g in grid])
    best = np.argmax(scores, axis=0)
    step = grid[1] - grid[0]
    a = np.maximum(grid[best] - step, lo_b)
    b = np.minimum(grid[best] + step, hi_b)
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    c, e = b - ratio * (b - a), a + ratio * (b - a)
    fc, fe = _boxcox_llf(logx, c, sum_log, n), _boxcox_llf(logx, e, sum_log, n)
    for _ in range(44):
        left = fc >= fe  # the maximum lies in [a, e]: drop (e, b]; else drop [a, c)
        a, b = np.where(left, a, c), np.where(left, e, b)
        c_new = np.where(left, b - ratio * (b - a), e)
        e_new = np.where(left, c, a + ratio * (b - a))
        f_new = _boxcox_llf(logx, np.where(left, c_new, e_new), sum_log, n)
        fc, fe = np.where(left, f_new, fe), np.where(left, fc, f_new)
        c, e = c_new, e_new
    lm = (a + b) / 2.0
    # the grid's best point when the refinement found nothing better (e.g. a flat likelihood)
    final = _boxcox_llf(logx, lm, sum_log, n)
    at_grid = scores[best, np.arange(d)]
    lm = np.where(final >= at_grid, lm, grid[best])
    # the bounds themselves, which the interior refinement only approaches
    for bound in (lo_b, hi_b):
        fb = _boxcox_llf(logx, np.full(d, bound), sum_log, n)
        cur = _boxcox_llf(logx, lm, sum_log, n)
        lm = np.where(fb > cur, bound, lm)
    # no admissible exponent at all (every one overflows or collapses the data): the identity
    lm = np.where(np.isfinite(scores).any(axis=0), lm, 1.0)
    return np.clip(lm, lo_b, hi_b)


def _quartic_argmax(lm: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per feature (column), the maximum of the least-squares quartic through ``f`` at the
    equally spaced exponents ``lm`` (K, D), searched on their span; the best sampled exponent
    where a value is not finite or the span is empty."""
    k, d = lm.shape
    out = lm[np.argmax(f, axis=0), np.arange(d)]
    P = np.polynomial.polynomial
    for j in range(d):
        a, b = lm[0, j], lm[-1, j]
        if not (b > a) or not np.isfinite(f[:, j]).all():
            continue
        t = (lm[:, j] - (a + b) / 2.0) / ((b - a) / 2.0)  # [-1, 1]: a well-conditioned fit
        c = P.polyfit(t, f[:, j], 4)
        roots = P.polyroots(P.polyder(c))
        cand = np.concatenate([[-1.0, 1.0], roots.real[(np.abs(roots.imag) < 1e-12)
                                                      & (np.abs(roots.real) <= 1.0)]])
        best = cand[np.argmax(P.polyval(cand, c))]
        out[j] = (a + b) / 2.0 + best * (b - a) / 2.0
    return out


def boxcox_lambdas_from(evaluate: Callable[[np.ndarray], np.ndarray], n_features: int,
                        points: int = 17) -> np.ndarray:
    """The maximum-likelihood exponents of :func:`boxcox_lambdas` when each evaluation is a
    pass over data that are not in memory (Dask): ``evaluate(lmbda)`` returns the profile
    log-likelihood (K, D) of K exponents per feature (``lmbda`` (K, D)) in one pass.

    Four passes: the grid of :func:`boxcox_lambdas` (17 exponents, step 0.25); ``points``
    exponents over the two grid cells around its best (step 1/32 for the default 17, clipped at
    the bounds); 9 over the two steps around the best of those; the maximum of a
    quartic through them (no pass), then 9 exponents 0.001 apart around it and the maximum of
    their quartic. The bounds win when their likelihood is higher, as in memory.
    """
    lo_b, hi_b = BOXCOX_LAMBDA_BOUNDS
    d = n_features
    grid = np.repeat(np.linspace(lo_b, hi_b, 17)[:, None], d, axis=1)
    f1 = evaluate(grid)
    cols = np.arange(d)
    g_best = grid[np.argmax(f1, axis=0), cols]
    a = np.maximum(g_best - 0.25, lo_b)
    b = np.minimum(g_best + 0.25, hi_b)
    g2 = a + (b - a) * np.linspace(0.0, 1.0, points)[:, None]
    f2 = evaluate(g2)
    step = (b - a) / (points - 1)
    c2 = g2[np.argmax(f2, axis=0), cols]
    a3, b3 = np.maximum(c2 - step, a), np.minimum(c2 + step, b)
    g3 = a3 + (b3 - a3) * np.linspace(0.0, 1.0, 9)[:, None]
    f3 = evaluate(g3)
    v = _quartic_argmax(g3, f3)
    a4, b4 = np.maximum(v - 0.004, a3), np.minimum(v + 0.004, b3)
    g4 = a4 + (b4 - a4) * np.linspace(0.0, 1.0, 9)[:, None]
    f4 = evaluate(g4)
    lm = _quartic_argmax(g4, f4)
    # the best evaluated exponent when the refinement found nothing better (a flat likelihood)
    evaluated = np.concatenate([grid, g2, g3, g4])
    scores = np.concatenate([f1, f2, f3, f4])
    top = np.argmax(scores, axis=0)
    finite_fit = np.isfinite(f4).all(axis=0)
    lm = np.where(finite_fit, lm, evaluated[top, cols])
    # the bounds themselves (on the first grid), which the refinement only approaches
    for row in (0, 16):
        better = f1[row] > np.max(np.concatenate([f2, f3, f4]), axis=0)
        lm = np.where(better, grid[row], lm)
    # no admissible exponent at all (every one overflows or collapses the data): the identity
    lm = np.where(np.isfinite(scores).any(axis=0), lm, 1.0)
    return np.clip(lm, lo_b, hi_b)
