"""Box-Cox normalisation fitted on a Dask collection, in a few passes over its partitions.

:class:`somwidget.normalization.BoxCoxNormalizer` stores per feature a shift ``s`` (from the
minimum), the maximum-likelihood exponent ``lambda`` and the mean and standard deviation of the
transformed data. Every piece of its profile log-likelihood
(:func:`somwidget._boxcox.profile_llf`) is a one-pass reduction: for an exponent ``lambda``,
``sum(log x)``, the count of known values and the variance of ``expm1(lambda log x - m)`` with
``m = max(lambda log x)`` (``lambda`` times the log of the shifted maximum or minimum, known from
the moments pass). So one pass evaluates many exponents for every feature at once; the search
(:func:`somwidget._boxcox.boxcox_lambdas_from`) needs four such passes: 17 exponents over
[-2, 2] (step 0.25); 17 over the two grid cells around the best (step 1/32); 9 over the two steps
around the best of those, whose least-squares quartic gives a maximum (no pass); 9 exponents 0.001
apart around that maximum, the maximum of their quartic being the exponent. One more pass gives
the mean and the standard deviation of the transform.
Variances are reduced with the pairwise update of Chan et al.; missing values (NaN) are skipped
as in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._boxcox import _BOXCOX_MAX_EXPONENT, boxcox_lambdas_from, boxcox_shift, profile_llf
from .._lazy import LazyModule
from ..normalization import _safe_scale
from ._graph import MissingPolicy, _blocks, _check_block, _compute, _tree
from ._optional import require_dask

__all__ = ["boxcox_params"]

special = LazyModule("scipy.special")


def _stats(v: np.ndarray) -> np.ndarray:
    """``[count, mean, centred sum of squares]`` over the first axis, NaN skipped: (3, ...)."""
    known = ~np.isnan(v)
    count = known.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.where(known, v, 0.0).sum(axis=0) / np.maximum(count, 1), 0.0)
        dev = np.where(known, v - mean, 0.0)
    return np.stack([count, mean, (dev * dev).sum(axis=0)])


def _combine(*parts: np.ndarray) -> np.ndarray:
    """Chan et al.'s pairwise update of ``[count, mean, M2]`` stacks, elementwise."""
    acc = parts[0].copy()
    for b in parts[1:]:
        na, nb = acc[0], b[0]
        n = na + nb
        frac = np.divide(nb, n, out=np.zeros_like(n), where=n > 0)
        delta = b[1] - acc[1]
        acc[2] = acc[2] + b[2] + delta * delta * na * frac
        acc[1] = acc[1] + delta * frac
        acc[0] = n
    return acc


def _logs(block: Any, d: int, shift: np.ndarray, constant: np.ndarray,
          policy: MissingPolicy | None) -> np.ndarray:
    x = _check_block(block, d, policy)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.where(constant, 1.0, x + shift))


def _block_llf_stats(block: Any, d: int, shift: np.ndarray, constant: np.ndarray,
                     lmbda: np.ndarray, m: np.ndarray, policy: MissingPolicy | None) -> np.ndarray:
    """Per exponent (K) and feature: the stats of ``expm1(lambda log x - m)``, and in row K
    those of ``log x`` itself, shape (3, K + 1, D)."""
    y = _logs(block, d, shift, constant, policy)
    out = np.empty((3, lmbda.shape[0] + 1, d))
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(lmbda.shape[0]):
            out[:, k] = _stats(np.expm1(lmbda[k] * y - m[k]))
    out[:, -1] = _stats(y)
    return out


def _block_transform_stats(block: Any, d: int, shift: np.ndarray, lmbda: np.ndarray,
                           policy: MissingPolicy | None) -> np.ndarray:
    x = _check_block(block, d, policy)
    with np.errstate(over="ignore", invalid="ignore"):
        return _stats(special.boxcox(x + shift, lmbda))


def _reduce(arr: Any, func: Any, *args: Any, policy: MissingPolicy | None) -> np.ndarray:
    require_dask()
    from dask import delayed

    d = arr.shape[1]
    parts = [delayed(func)(b, d, *args, policy and policy.at(i))
             for i, b in enumerate(_blocks(arr))]
    (total,) = _compute(_tree(parts, _combine))
    return total


def boxcox_params(arr: Any, lo: np.ndarray, hi: np.ndarray,
                  policy: MissingPolicy | None = None) -> dict[str, np.ndarray]:
    """The parameters of ``BoxCoxNormalizer`` (``shift``, ``lmbda``, ``mean``, ``scale``) of
    the Dask array ``arr`` whose per-feature minimum and maximum (of the known values) are
    ``lo`` and ``hi``: five passes over ``arr`` (four for the exponents, one for the mean and
    standard deviation of the transform), the in-memory formulas and errors."""
    shift = boxcox_shift(lo, hi)
    constant = hi == lo
    with np.errstate(over="ignore"):
        top = hi + shift
    if not np.isfinite(top).all():
        raise ValueError("X is too wide for the 'boxcox' normalization: shifting it to "
                         "positive values overflows; use 'standard' or 'minmax'")
    with np.errstate(divide="ignore", invalid="ignore"):  # a minimum rounded to 0: -inf
        log_lo = np.log(np.where(constant, 1.0, lo + shift))
        log_hi = np.log(np.where(constant, 1.0, top))
    d = lo.shape[0]
    logs: dict[str, np.ndarray] = {}

    def evaluate(lmbda: np.ndarray) -> np.ndarray:
        # the extremes of lambda * log x from those of log x (log is monotone)
        with np.errstate(invalid="ignore"):
            up, down = lmbda * log_hi, lmbda * log_lo
        m, low = np.where(lmbda >= 0, up, down), np.where(lmbda >= 0, down, up)
        st = _reduce(arr, _block_llf_stats, shift, constant, lmbda, m, policy=policy)
        n, mean_log, m2_log = st[:, -1]
        logs.setdefault("sum", n * mean_log)
        var_log = np.divide(m2_log, n, out=np.zeros(d), where=n > 0)
        count = st[0, :-1]
        var_z = np.divide(st[2, :-1], count, out=np.zeros_like(count), where=count > 0)
        too_big = np.maximum(m, -low) > _BOXCOX_MAX_EXPONENT
        return profile_llf(lmbda, m, var_z, var_log[None, :], logs["sum"][None, :], n[None, :],
                           too_big, low)

    lmbda = np.where(constant, 1.0, boxcox_lambdas_from(evaluate, d))
    st = _reduce(arr, _block_transform_stats, shift, lmbda, policy=policy)
    count = st[0]
    mean = st[1]
    std = np.sqrt(np.divide(st[2], count, out=np.zeros(d), where=count > 0))
    if not (np.isfinite(mean).all() and np.isfinite(std).all()):
        raise ValueError("X is too wide for the 'boxcox' normalization (the transformed "
                         "values overflow); use 'standard' or 'minmax'")
    return {"shift": shift, "lmbda": lmbda, "mean": mean,
            "scale": _safe_scale(std, constant, mean)}
