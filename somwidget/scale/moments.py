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

from ..initialization import _axis_coords
from ..lattice import Lattice
from ..normalization import Normalizer, make_normalizer
from ._graph import _blocks, _compute, _training_block, _tree
from ._optional import require_dask

__all__ = [
    "DASK_NORMALIZATIONS",
    "Moments",
    "auto_mapsize_from",
    "eigen",
    "fit_normalizer",
    "moments",
    "pca_codebook",
]

#: Normalisations whose parameters come from reduced moments.
DASK_NORMALIZATIONS = ("none", "standard", "minmax", "l2", "log", "logistic")


@dataclass
class Moments:
    """Count, mean, centred cross-product matrix ``sum (x - mean)(x - mean)^T``, min and max."""

    n: int
    mean: np.ndarray
    m2: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @property
    def covariance(self) -> np.ndarray:
        """Sample covariance (``ddof=1``); zeros with fewer than two samples."""
        if self.n < 2:
            return np.zeros_like(self.m2)
        return self.m2 / (self.n - 1)

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation per feature (``ddof=0``)."""
        return np.sqrt(np.maximum(np.diag(self.m2), 0.0) / max(self.n, 1))


def _block_moments(block: Any, n_features: int, normalizer: Normalizer | None) -> Moments:
    x = _training_block(block, n_features, normalizer)
    d = n_features
    if x.shape[0] == 0:
        return Moments(0, np.zeros(d), np.zeros((d, d)), np.full(d, np.inf), np.full(d, -np.inf))
    mean = x.mean(axis=0)
    xc = x - mean
    return Moments(x.shape[0], mean, xc.T @ xc, x.min(axis=0), x.max(axis=0))


def _combine_moments(*parts: Moments) -> Moments:
    acc = parts[0]
    for b in parts[1:]:
        if b.n == 0:
            continue
        if acc.n == 0:
            acc = b
            continue
        n = acc.n + b.n
        delta = b.mean - acc.mean
        acc = Moments(n, acc.mean + delta * (b.n / n),
                      acc.m2 + b.m2 + np.outer(delta, delta) * (acc.n * b.n / n),
                      np.minimum(acc.lo, b.lo), np.maximum(acc.hi, b.hi))
    return acc


def _count(m: Moments) -> int:
    return m.n


def moments(arr: Any, normalizer: Normalizer | None = None) -> tuple[Moments, np.ndarray]:
    """Moments of ``arr`` (through ``normalizer`` when given) and the rows of each partition."""
    require_dask()
    from dask import delayed

    d = arr.shape[1]
    parts = [delayed(_block_moments)(b, d, normalizer) for b in _blocks(arr)]
    total, counts = _compute(_tree(parts, _combine_moments), [delayed(_count)(p) for p in parts])
    return total, np.asarray(counts, dtype=np.int64)


def fit_normalizer(name: str, arr: Any) -> Normalizer:
    if name not in DASK_NORMALIZATIONS:
        raise ValueError(
            f"normalization={name!r} is not available for Dask input (its parameters need the "
            f"whole data); use one of {list(DASK_NORMALIZATIONS)}, or pass X.compute()"
        )
    d = arr.shape[1]
    params: dict[str, np.ndarray] = {}
    if name in ("standard", "logistic", "minmax", "log"):
        raw, _ = moments(arr)
        if raw.n < 1:
            raise ValueError("X must have at least 1 sample(s); got 0")
        if name in ("standard", "logistic"):
            params = {"mean": raw.mean, "scale": np.where(raw.hi == raw.lo, 1.0, raw.std)}
        elif name == "minmax":
            params = {"min": raw.lo, "scale": np.where(raw.hi > raw.lo, raw.hi - raw.lo, 1.0)}
        else:
            params = {"min": raw.lo}
    return Normalizer.from_dict({"name": make_normalizer(name).name, "n_features": d,
                                 "params": {k: v.tolist() for k, v in params.items()}})


def eigen(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending, clipped at 0) and sign-fixed eigenvectors, as
    :func:`somwidget.initialization.principal_components` gives them."""
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals[::-1], 0.0, None)
    vecs = vecs[:, ::-1]
    lead = np.argmax(np.abs(vecs), axis=0)
    signs = np.where(vecs[lead, np.arange(vecs.shape[1])] < 0, -1.0, 1.0)
    return vals, vecs * signs


def pca_codebook(mean: np.ndarray, vals: np.ndarray, vecs: np.ndarray, lattice: Lattice) -> np.ndarray:
    """SOM Toolbox ``som_lininit`` from the mean and the covariance's eigenpairs (the formula of
    :func:`somwidget.initialization.initialize_codebook`, ``"pca"``)."""
    d = mean.shape[0]
    rows_, cols_ = int(lattice.rows), int(lattice.cols)
    coords = np.asarray(lattice.coordinates, dtype=np.float64)
    cx, cy = _axis_coords(coords[:, 0]), _axis_coords(coords[:, 1])
    along = [cx, cy] if cols_ >= rows_ else [cy, cx]
    k = 1 if (d == 1 or rows_ == 1 or cols_ == 1) else 2
    c = np.column_stack(along[:k])
    return mean + (c * np.sqrt(vals[:k])) @ vecs[:, :k].T


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
