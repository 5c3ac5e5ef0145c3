"""Neighbourhood kernel values for training: :func:`kernel_row` (weights from squared grid
distances, the fast path of :func:`somwidget.neighborhood.neighborhood_weights`),
:func:`limit_inhibition` (the Mexican hat's negative lobe capped at ``kappa`` of the positive
one) and the separable Gaussian's per-axis factors (:class:`GaussianFactors`); shared by the
batch kernel operator (:mod:`somwidget.training`) and the online loop
(:mod:`somwidget._online_loop`), re-exported by :mod:`somwidget.training`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .neighborhood import BMU_ONLY_R2, neighborhood_weights

__all__ = ["GaussianFactors", "kernel_row", "limit_inhibition"]


@dataclass(frozen=True)
class GaussianFactors:
    """The per-axis factors of the Gaussian kernel of one lattice and radius.

    ``H[(r1, c1), (r2, c2)] = gy[r1, r2] * gx[parity[r1], parity[r2], c1, c2]`` exactly as
    :meth:`somwidget.lattice.Lattice.axis_squared_distances` splits the squared distance.

    Attributes
    ----------
    gx : ndarray (P, P, cols, cols)
        ``exp(-colsq / 2 r^2)`` (read-only).
    gy : ndarray (rows, rows)
        ``exp(-rowsq / 2 r^2)`` (read-only).
    groups : tuple of (parity, rows)
        The non-empty parity classes of the rows, each as a slice when its rows are evenly
        spaced (every lattice somwidget builds), else an index array.
    gy_rows : tuple of ndarray
        ``gy[rows]`` of each parity class, contiguous (indexed by parity).
    """

    gx: np.ndarray
    gy: np.ndarray
    groups: tuple[tuple[int, slice | np.ndarray], ...]
    gy_rows: tuple[np.ndarray, ...]


def _as_slice(idx: np.ndarray) -> slice | np.ndarray:
    """``idx`` (sorted, non-empty) as an equivalent slice when evenly spaced."""
    if idx.size == 1:
        return slice(int(idx[0]), int(idx[0]) + 1)
    step = int(idx[1] - idx[0])
    if step > 0 and np.array_equal(np.diff(idx), np.full(idx.size - 1, step)):
        return slice(int(idx[0]), int(idx[-1]) + 1, step)
    return idx


def _build_gaussian_factors(lattice: Any, radius: float) -> GaussianFactors:
    colsq, rowsq, parity = lattice.axis_squared_distances()
    r2 = radius * radius
    if r2 < BMU_ONLY_R2:  # the BMU alone: both axes' factors 1 only at distance 0
        gx, gy = (colsq == 0).astype(np.float64), (rowsq == 0).astype(np.float64)
    else:
        g = -0.5 / r2
        gx = np.exp(colsq * g)  # (P, P, C, C)
        gy = np.exp(rowsq * g)  # (R, R)
    groups = []
    gy_rows = []
    for p in range(colsq.shape[0]):
        rows = np.flatnonzero(parity == p)
        gy_rows.append(np.ascontiguousarray(gy[rows]))
        if rows.size:
            groups.append((p, _as_slice(rows)))
    for a in (gx, gy, *gy_rows):
        a.flags.writeable = False
    return GaussianFactors(gx, gy, tuple(groups), tuple(gy_rows))


def limit_inhibition(h: np.ndarray, kappa: float) -> np.ndarray:
    """Scale the negative entries of a kernel row in place so that their absolute sum is at most
    ``kappa`` times the sum of the positive entries (the online Mexican-hat rule); returns ``h``."""
    neg = h < 0
    q = -h[neg].sum()
    if q > 0:
        p = h[h > 0].sum()
        if q > kappa * p:
            h[neg] *= kappa * p / q
    return h


def kernel_row(name: str, d2: np.ndarray, radius: float) -> np.ndarray:
    """Neighbourhood weights from *squared* grid distances (fast path of
    :func:`somwidget.neighborhood.neighborhood_weights`, same formulas, no validation).
    Radius 0 (the end of a linear online schedule) is the limit of every kernel: the BMU alone,
    as is any radius below ``sqrt(BMU_ONLY_R2)`` (:data:`somwidget.neighborhood.BMU_ONLY_R2`)."""
    r2 = radius * radius
    if r2 < BMU_ONLY_R2:
        return (d2 == 0).astype(np.float64)
    if name == "gaussian":
        return np.exp(d2 * (-0.5 / r2))
    if name == "bubble":
        return (d2 <= r2).astype(np.float64)
    if name == "cut_gaussian":
        h = np.exp(d2 * (-0.5 / r2))
        h[d2 > r2] = 0.0
        return h
    if name == "epanechikov":
        h = 1.0 - d2 / r2
        np.maximum(h, 0.0, out=h)
        return h
    if name == "mexican_hat":
        u = d2 / r2
        return (1.0 - u) * np.exp(-0.5 * u)
    return neighborhood_weights(name, d2, radius, squared=True)
