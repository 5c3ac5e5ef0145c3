"""The Box-Cox exponent by maximum likelihood, for every feature at once.

:func:`boxcox_lambdas` is what :class:`somwidget.normalization.BoxCoxNormalizer` fits: the
profile log-likelihood of :func:`scipy.stats.boxcox_llf`, computed in log space (wide-range data
never overflow), maximised over :data:`BOXCOX_LAMBDA_BOUNDS` by a grid and a golden-section
search vectorised over the features (no scipy optimiser, so nothing can fail to bracket).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOXCOX_LAMBDA_BOUNDS", "boxcox_lambdas"]

BOXCOX_LAMBDA_BOUNDS: tuple[float, float] = (-2.0, 2.0)

#: Largest ``|lambda * log(x)|`` an exponent may reach on the fitted data: beyond it the
#: transformed values' squares overflow float64, so such exponents are never chosen.
_BOXCOX_MAX_EXPONENT = 300.0


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
        too_big = np.maximum(m, -vmin(y, axis=0)) > _BOXCOX_MAX_EXPONENT
        y -= m
        var_z = var(np.expm1(y, out=y), axis=0)
        near_zero = np.abs(lmbda) < 1e-10
        log_var = np.where(
            near_zero,
            np.log(var(logx, axis=0)) if near_zero.any() else 0.0,
            2.0 * m + np.log(var_z) - 2.0 * np.log(np.where(near_zero, 1.0, np.abs(lmbda))),
        )
        llf = (lmbda - 1.0) * sum_log - 0.5 * n * log_var
    return np.where(too_big | ~np.isfinite(llf), -np.inf, llf)


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
    return np.clip(lm, lo_b, hi_b)
