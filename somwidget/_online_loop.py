"""The online (Kohonen) training loop: :func:`online_run` over an :class:`OnlineContext`, the
lattice rows it reads (:class:`LatticeRows`) and the per-sample schedules
(:func:`schedule_slice`); re-exported by :mod:`somwidget.training`.

Online epoch (Kohonen)
----------------------
For each presented sample ``x`` with BMU ``b``: ``w_i <- w_i + a(t) h(d_grid(i, b); r(t)) (x - w_i)``,
radius and learning rate decaying per sample over all epochs. The loop keeps the squared norms
of the (centred) prototypes up to date in O(M) per sample from the dot products it already has,
so the BMU search is one matrix-vector product; compact kernels only touch the units inside the
radius; a full-map update is one in-place row scaling plus one BLAS rank-1 update (``dger``) on
the column-major codebook, with no (M, D) temporary. With the Mexican hat the negative lobe of
the BMU's kernel row is scaled so that its mass over the lattice is at most ``kappa`` times the
positive lobe's (:func:`limit_inhibition`; the per-sample analogue of the batch rule, without data
weights), and the prototypes are clipped to the data's bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _online_jit
from ._lazy import LazyModule
from ._neighborhood_kernels import kernel_row, limit_inhibition
from .bmu import metric_cdist as cdist  # scipy's, with jensenshannon's rounding NaN fixed
from .neighborhood import COMPACT_NEIGHBORHOODS
from .schedules import schedule_values

__all__ = ["LatticeRows", "OnlineContext", "online_run", "schedule_slice"]

_COMPACT = COMPACT_NEIGHBORHOODS
_blas = LazyModule("scipy.linalg.blas")


def schedule_slice(
    start: float, end: float, total: int, t0: int, t1: int, decay: str
) -> np.ndarray:
    """Values ``t0 .. t1-1`` of :func:`somwidget.schedules.decay_schedule(start, end, total)`.

    Lets the online trainer evaluate a per-sample schedule one epoch at a time instead of
    materialising ``epochs * N`` values.
    """
    t = np.arange(t0, t1, dtype=np.float64)
    if total <= 1 or start == end:
        return np.full(t.shape, float(start))
    out = schedule_values(start, end, t, float(total - 1), decay)
    if t0 == 0 and t1 > 0:
        out[0] = start
    if t1 == total and t1 > t0:
        out[-1] = end
    return out


class LatticeRows:
    """``rows[b]``: the squared grid distances from unit ``b`` to every unit, computed when asked
    (the rows of ``Lattice.grid_distances_squared()`` without holding that M x M matrix; online
    training of large maps reads one row per sample)."""

    def __init__(self, lattice: Any) -> None:
        self.lattice = lattice
        m = int(lattice.n_neurons)
        self.shape = (m, m)

    def __getitem__(self, unit: int) -> np.ndarray:
        return self.lattice.grid_distances_squared_from(int(unit))


@dataclass
class OnlineContext:
    """State of an online run that lives across samples (centred codebook, norms, buffers).

    ``W`` is the codebook shifted by ``center`` (Euclidean only; zero centre otherwise), updated
    in place; :meth:`codebook` returns it in training space.
    """

    W: np.ndarray
    center: np.ndarray
    d2: np.ndarray | LatticeRows  # (M, M) squared grid distances, or their rows on demand
    neighborhood: str
    metric: str
    bounds: tuple[np.ndarray, np.ndarray] | None = None
    inhibition: float = 0.1
    wn: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # column-major, so that the rank-1 update is one BLAS dger on contiguous memory
        self.W = np.asfortranarray(self.W, dtype=np.float64)
        if self.bounds is not None:
            self.bounds = (self.bounds[0] - self.center, self.bounds[1] - self.center)
        self.refresh()

    @classmethod
    def create(
        cls,
        codebook: np.ndarray,
        X: np.ndarray,
        d2: np.ndarray | LatticeRows,
        neighborhood: str,
        metric: str,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
        inhibition: float = 0.1,
    ) -> OnlineContext:
        if metric != "euclidean":
            center = np.zeros(X.shape[1])
        else:  # the known values' mean with missing values (the codebook's if none)
            center = X.mean(axis=0)
            if np.isnan(center).any():
                known = ~np.isnan(X)
                total = np.where(known, X, 0.0).sum(axis=0)
                n_known = known.sum(axis=0)
                center = np.divide(total, n_known, out=codebook.mean(axis=0), where=n_known > 0)
        return cls(codebook - center, center, d2, neighborhood, metric, bounds, inhibition)

    def refresh(self) -> None:
        """Recompute the squared norms exactly (once per epoch, against rounding drift)."""
        self.wn = np.einsum("ij,ij->i", self.W, self.W)

    def codebook(self) -> np.ndarray:
        return np.ascontiguousarray(self.W + self.center)

    def bmu(self, xc: np.ndarray) -> tuple[int, np.ndarray | None]:
        """BMU of one centred sample; also returns ``W @ xc`` on the Euclidean path."""
        if self.metric == "euclidean":
            wx = self.W @ xc
            return int(np.argmin(self.wn - 2.0 * wx)), wx
        x = xc + self.center
        if self.metric == "chebyshev":
            d = np.abs(self.W - xc).max(axis=1)
        else:
            d = cdist(x[None, :], self.W + self.center, metric=self.metric)[0]
        return int(np.argmin(d)), None


def online_run(
    ctx: OnlineContext,
    Xc: np.ndarray,
    order: np.ndarray,
    radii: np.ndarray,
    rates: np.ndarray,
) -> None:
    """Present ``Xc[order[t]]`` with radius ``radii[t]`` and learning rate ``rates[t]``.

    ``Xc`` is the data already shifted by ``ctx.center``. Updates ``ctx.W`` in place.
    """
    W, d2all = ctx.W, ctx.d2
    dger = _blas.dger
    name, metric = ctx.neighborhood, ctx.metric
    compact = name in _COMPACT
    signed = name == "mexican_hat"
    euclid = metric == "euclidean"
    m = W.shape[0]
    xx_all = np.einsum("ij,ij->i", Xc, Xc) if euclid else None
    if euclid and not signed and name in _online_jit.KERNEL_CODES and isinstance(d2all, np.ndarray):
        run = _online_jit.kernel()
        if run is not None:  # numba: the same updates in one compiled loop
            Wc = np.ascontiguousarray(W)
            run(Wc, ctx.wn, np.ascontiguousarray(Xc, dtype=np.float64), xx_all,
                np.ascontiguousarray(order, dtype=np.int64), np.ascontiguousarray(radii, dtype=np.float64),
                np.ascontiguousarray(rates, dtype=np.float64), d2all, _online_jit.KERNEL_CODES[name])
            W[...] = Wc
            return
    wx = np.empty(m)
    score = np.empty(m)
    lo_hi = ctx.bounds
    for t in range(order.shape[0]):
        i = order[t]
        x = Xc[i]
        if euclid:
            np.dot(W, x, out=wx)
            np.multiply(wx, -2.0, out=score)
            score += ctx.wn
            b = int(score.argmin())
        else:
            b, _ = ctx.bmu(x)
        r = radii[t]
        lr = rates[t]
        row = d2all[b]
        if compact:
            idx = np.flatnonzero(row <= r * r)
            h = kernel_row(name, row[idx], r)
            h *= lr
            Wi = W[idx]
            Wi += h[:, None] * (x - Wi)
            W[idx] = Wi
            if euclid:
                g = 1.0 - h
                ctx.wn[idx] = g * g * ctx.wn[idx] + (2.0 * h * g) * wx[idx] + (h * h) * xx_all[i]
            continue
        h = kernel_row(name, row, r)
        if signed:
            limit_inhibition(h, ctx.inhibition)
        h *= lr
        g = 1.0 - h
        # w_i <- (1 - h_i) w_i + h_i x : one row scaling and one BLAS rank-1 update, in place
        np.multiply(W, g[:, None], out=W)
        dger(1.0, h, x, a=W, overwrite_a=1)
        if signed:
            if lo_hi is not None:
                np.clip(W, lo_hi[0], lo_hi[1], out=W)
            if euclid:
                np.einsum("ij,ij->i", W, W, out=ctx.wn)
        elif euclid:
            wn = ctx.wn
            wn *= g * g
            wx *= 2.0 * h * g
            wn += wx
            h *= h
            h *= xx_all[i]
            wn += h
