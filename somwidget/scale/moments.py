"""Statistics from reduced moments: normaliser parameters, PCA initialisation, the "auto" map size.

Per partition: count, mean, centred D x D cross-products, min and max (:class:`Moments`), combined
pairwise with the update of Chan et al. (exact for any offset of the data, unlike raw power sums).
The formulas of the PCA initialisation and of ``som_topol_struct`` are those of
:mod:`somwidget.initialization`, fed with the reduced mean and covariance instead of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..initialization import eigenpairs
from ..normalization import (
    Normalizer,
    _safe_range,
    _safe_scale,
    check_log_resolution,
    make_normalizer,
)
from ._graph import _blocks, _compute, _training_block, _tree
from ._optional import require_dask

__all__ = [
    "DASK_NORMALIZATIONS",
    "Moments",
    "auto_mapsize_from",
    "eigen",
    "fit_normalizer",
    "moments",
]

#: Normalisations whose parameters come from reduced statistics (all of them).
DASK_NORMALIZATIONS = ("none", "standard", "minmax", "l2", "log", "logistic", "boxcox")


@dataclass
class Moments:
    """Count, mean, centred cross-product matrix ``sum (x - mean)(x - mean)^T``, min and max.

    With missing values (NaN) the statistics are those of the known values, as in memory
    (:func:`somwidget.initialization.covariance`): ``count`` (D,) known values per feature,
    ``mean`` over them, ``pairs`` (D, D) the rows where both features are known, ``m2`` the
    centred products over those rows and ``lin`` (D, D) ``sum (x_i - mean_i)`` over them (what
    a shift of the centre needs); all three None for complete data.
    """

    n: int
    mean: np.ndarray
    m2: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    count: np.ndarray | None = None
    pairs: np.ndarray | None = None
    lin: np.ndarray | None = None

    @property
    def has_missing(self) -> bool:
        """Whether some value was missing (NaN)."""
        return self.pairs is not None

    @property
    def known(self) -> np.ndarray:
        """Known values per feature (D,)."""
        return np.full(self.mean.shape[0], float(self.n)) if self.count is None else self.count

    @property
    def covariance(self) -> np.ndarray:
        """Sample covariance (``ddof=1``; pairwise-complete with missing values, each entry
        over ``pairs - 1``, at least 1); zeros with fewer than two samples."""
        if self.n < 2:
            return np.zeros_like(self.m2)
        if self.pairs is None:
            return self.m2 / (self.n - 1)
        return self.m2 / np.maximum(self.pairs - 1.0, 1.0)

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation per feature (``ddof=0``, over the known values)."""
        return np.sqrt(np.maximum(np.diag(self.m2), 0.0) / np.maximum(self.known, 1.0))


def _empty_moments(d: int) -> Moments:
    return Moments(0, np.zeros(d), np.zeros((d, d)), np.full(d, np.inf), np.full(d, -np.inf))


def _block_moments(block: Any, n_features: int, normalizer: Normalizer | None,
                   policy: Any = None, domain: Any = None) -> Moments:
    x = _training_block(block, n_features, normalizer, policy=policy, domain=domain)
    d = n_features
    if x.shape[0] == 0:
        return _empty_moments(d)
    with np.errstate(invalid="ignore", over="ignore"):
        total = x.sum(axis=0)
    if not np.isnan(total).any():
        with np.errstate(over="ignore", invalid="ignore"):  # near the float maximum: inf
            mean = x.mean(axis=0)
            xc = x - mean
            return Moments(x.shape[0], mean, xc.T @ xc, x.min(axis=0), x.max(axis=0))
    known = ~np.isnan(x)
    K = known.astype(np.float64)
    count = K.sum(axis=0)
    mean = np.divide(np.where(known, x, 0.0).sum(axis=0), count, out=np.zeros(d), where=count > 0)
    xc = np.where(known, x - mean, 0.0)
    lo = np.where(count > 0, np.fmin.reduce(x, axis=0), np.inf)
    hi = np.where(count > 0, np.fmax.reduce(x, axis=0), -np.inf)
    return Moments(x.shape[0], mean, xc.T @ xc, lo, hi, count, K.T @ K, xc.T @ K)


def _general(m: Moments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count``, ``pairs`` and ``lin`` of ``m``, filled in for complete data."""
    if m.pairs is not None:
        assert m.count is not None and m.lin is not None
        return m.count, m.pairs, m.lin
    d = m.mean.shape[0]
    return np.full(d, float(m.n)), np.full((d, d), float(m.n)), np.zeros((d, d))


def _shifted(m: Moments, center: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m2`` and ``lin`` of ``m`` about ``center`` instead of its mean (exact algebra:
    ``x - c = (x - mean) + delta``)."""
    _, pairs, lin = _general(m)
    delta = m.mean - center
    m2 = m.m2 + delta[None, :] * lin + delta[:, None] * lin.T + np.outer(delta, delta) * pairs
    return m2, lin + delta[:, None] * pairs


def _combine_general(a: Moments, b: Moments) -> Moments:
    ca, pa, _ = _general(a)
    cb, pb, _ = _general(b)
    count = ca + cb
    mean = np.where(count > 0, a.mean + (b.mean - a.mean) * np.divide(
        cb, count, out=np.zeros_like(cb), where=count > 0), 0.0)
    m2a, la = _shifted(a, mean)
    m2b, lb = _shifted(b, mean)
    return Moments(a.n + b.n, mean, m2a + m2b, np.minimum(a.lo, b.lo), np.maximum(a.hi, b.hi),
                   count, pa + pb, la + lb)


def _combine_moments(*parts: Moments) -> Moments:
    acc = parts[0]
    for b in parts[1:]:
        if b.n == 0:
            continue
        if acc.n == 0:
            acc = b
            continue
        if acc.pairs is not None or b.pairs is not None:
            acc = _combine_general(acc, b)
            continue
        n = acc.n + b.n
        delta = b.mean - acc.mean
        with np.errstate(over="ignore", invalid="ignore"):  # near the float maximum: inf
            acc = Moments(n, acc.mean + delta * (b.n / n),
                          acc.m2 + b.m2 + np.outer(delta, delta) * (acc.n * b.n / n),
                          np.minimum(acc.lo, b.lo), np.maximum(acc.hi, b.hi))
    return acc


def _count(m: Moments) -> int:
    return m.n


def moments(arr: Any, normalizer: Normalizer | None = None,
            policy: Any = None, domain: Any = None) -> tuple[Moments, np.ndarray]:
    """Moments of ``arr`` (through ``normalizer`` when given) and the rows of each partition.

    ``policy`` (:class:`somwidget.scale._graph.MissingPolicy`) admits missing values (NaN) and
    checks each partition's rows against ``max_missing``; None refuses NaN. ``domain``
    (:class:`somwidget.scale._graph.BlockDomain`) checks each partition's training-space
    values (range and metric domain), as a fit in memory does."""
    require_dask()
    from dask import delayed

    d = arr.shape[1]
    blocks = _blocks(arr)
    parts = [delayed(_block_moments)(b, d, normalizer, None if policy is None else policy.at(i),
                                     None if domain is None else domain.at(i))
             for i, b in enumerate(blocks)]
    total, counts = _compute(_tree(parts, _combine_moments), [delayed(_count)(p) for p in parts])
    return total, np.asarray(counts, dtype=np.int64)


def fit_normalizer(name: str, arr: Any, policy: Any = None) -> Normalizer:
    """The normaliser ``name`` fitted on the Dask array ``arr`` (data units) from reduced
    statistics: one moments pass (none for ``"none"`` and ``"l2"``), and for ``"boxcox"`` the
    likelihood passes of :func:`somwidget.scale.boxcox.boxcox_params`. ``policy`` admits
    missing values (the statistics of the known values, as in memory)."""
    if name not in DASK_NORMALIZATIONS:
        raise ValueError(
            f"normalization={name!r} is not available for Dask input; use one of "
            f"{list(DASK_NORMALIZATIONS)}, or pass X.compute()"
        )
    d = arr.shape[1]
    params: dict[str, np.ndarray] = {}
    if name in ("standard", "logistic", "minmax", "log", "boxcox"):
        raw, _ = moments(arr, policy=policy)
        if raw.n < 1:
            raise ValueError("X must have at least 1 sample(s); got 0")
        empty = np.flatnonzero(raw.known == 0)
        if empty.size:
            raise ValueError("X has features with no known (non-NaN) value: columns "
                             f"{empty.tolist()}")
        if name in ("standard", "logistic"):
            params = {"mean": raw.mean,
                      "scale": _safe_scale(raw.std, raw.hi == raw.lo, raw.mean)}
        elif name == "minmax":
            params = {"min": raw.lo, "scale": _safe_range(raw.lo, raw.hi)}
        elif name == "log":
            params = {"min": check_log_resolution(raw.lo)}
        else:
            from .boxcox import boxcox_params

            params = boxcox_params(arr, raw.lo, raw.hi, policy)
    bad = sorted(k for k, v in params.items() if not np.isfinite(np.asarray(v, float)).all())
    if bad:  # the in-memory message (Normalizer.fit), not the normaliser's parameter check
        raise ValueError(f"X is too wide for the {name!r} normalization: its {', '.join(bad)} "
                         "overflow (values near the float maximum); rescale the data first")
    return Normalizer.from_dict({"name": make_normalizer(name).name, "n_features": d,
                                 "params": {k: v.tolist() for k, v in params.items()}})


def eigen(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending, clipped at 0) and sign-fixed eigenvectors, as
    :func:`somwidget.initialization.principal_components` gives them (its
    :func:`~somwidget.initialization.eigenpairs`)."""
    return eigenpairs(cov)


def auto_mapsize_from(n: int, vals: np.ndarray, lattice_kind: str) -> tuple[int, int]:
    """SOM Toolbox ``som_topol_struct`` from the sample count and the covariance eigenvalues
    (the rule of :func:`somwidget.initialization.auto_mapsize`)."""
    munits = math.ceil(5.0 * math.sqrt(n))
    ratio = 1.0
    if n >= 2:
        l1 = float(vals[0])
        l2 = float(vals[1]) if vals.size > 1 else 0.0
        if l1 > 0 and not (l2 * munits < l1):
            ratio = math.sqrt(l1 / l2)
    base = munits / ratio * (math.sqrt(0.75) if lattice_kind.endswith("hexa") else 1.0)
    short = max(1, min(munits, int(math.floor(math.sqrt(base) + 0.5))))
    long = max(1, int(math.floor(munits / short + 0.5)))
    rows, cols = long, short
    if min(rows, cols) == 1:
        rows, cols = 1, max(rows, cols, 2)
    if lattice_kind == "toroidal_hexa" and rows % 2:
        rows += 1
    return rows, cols
