"""Training kernels: one batch epoch, and runs of online (Kohonen) updates. numpy only.

Batch epoch (the SOM Toolbox batch rule)
----------------------------------------
With ``S_j`` the sum and ``n_j`` the number of the samples whose BMU is unit ``j`` and
``h_ij = h(d_grid(i, j); r)``::

    w_i <- sum_j h_ij S_j / sum_j h_ij n_j

A unit whose denominator is 0 (no data within its neighbourhood, possible with the compact
kernels) keeps its vector: it never collapses to the data mean. With ``learning_rate < 1`` the
result is blended, ``w <- (1 - lr) w + lr w_batch``. Under a distance with a restricted domain (cosine,
correlation, Jensen-Shannon) a prototype the update would put outside it, such as the zero
vector that averaging -1 and 1 gives under the cosine distance, keeps its vector too (the
training loops apply :func:`somwidget._bmu_common.keep_in_metric_domain`).

The Mexican hat is negative beyond the radius, and on a 2-D lattice its negative lobe outweighs
the positive one (in the plane it integrates to ``-2 pi r^2``). Used as it is, the ratio above
is then an affine, not convex, combination that leaves the data hull by orders of magnitude
(as somnium's batch Mexican hat does), or, clipped, piles the prototypes on the faces of the
data box and ends with a worse quantization error than the random map it started from. somwidget bounds the
*inhibition* instead (``SOM(inhibition=kappa)``, default 0.1). Per unit ``i``, with
``p_i = sum_j h+_ij n_j`` and ``q_i = sum_j h-_ij n_j`` the data-weighted masses of the
positive and (absolute) negative lobes, the negative lobe is scaled by
``g_i = min(1, kappa p_i / q_i)`` and the batch ratio applied to ``h+ - g_i h-``::

    w_i <- (P_i - g_i Q_i) / (p_i - g_i q_i)
         = m+_i + b_i / (1 - b_i) (m+_i - m-_i),        b_i = min(q_i / p_i, kappa)

(``P``, ``Q`` the lobes' weighted data sums, ``m+ = P/p`` and ``m- = Q/q`` their means). So each
prototype sits at the mean of the data it is excited by, pushed away from the mean of the data
it inhibits by at most ``kappa / (1 - kappa)`` of their distance (lateral inhibition sharpens the
contrast between regions), and is then clipped to the per-feature bounding box of the training
data. A unit with no data in its positive lobe keeps its vector. ``kappa = 0`` is the positive
lobe alone; for a non-negative kernel nothing changes.

BMUs use float32 GEMMs (see :mod:`somwidget.bmu`); the per-unit sums ``S_j`` are accumulated in
float64 (:func:`somwidget.backend.block_sums`: a compiled scatter-add with numba, else the
namespace's ``index_add``), and ``H @ S`` is float64. ``H`` is never stored: a
:class:`KernelOperator` builds it in row blocks from the lattice, and the Gaussian, which
factorises over the two lattice axes (wrap-around included), is applied one axis at a time in
O(M (rows + cols)) instead of O(M²): a 100 x 100 map trains in batch mode at about the cost of
its BMU search. The compact kernels at small radii on large maps become a sparse matrix of the
unit pairs within the radius (:meth:`somwidget.lattice.Lattice.pairs_within`).

The map step (:func:`block_sums`: the BMUs and per-unit sums of a block of data, and
:func:`unit_sums`) is in :mod:`somwidget._map_step`, the training centre and bounds
(:func:`column_stats`) in :mod:`somwidget._data_stats`, the online (Kohonen) loop in
:mod:`somwidget._online_loop`, the kernel values both loops use (:func:`kernel_row`,
:func:`limit_inhibition`, the Gaussian's per-axis factors) in
:mod:`somwidget._neighborhood_kernels`; their names are re-exported here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _sums_jit
from ._data_stats import column_stats
from ._lazy import LazyModule
from ._map_step import block_sums, unit_sums
from ._neighborhood_kernels import GaussianFactors, kernel_row, limit_inhibition
from ._neighborhood_kernels import _as_slice as _as_slice
from ._neighborhood_kernels import _build_gaussian_factors as _build_gaussian_factors
from ._online_loop import LatticeRows, OnlineContext, online_run, schedule_slice
from .bmu import euclidean_argmin
from .neighborhood import COMPACT_NEIGHBORHOODS

__all__ = [
    "GaussianFactors",
    "KernelOperator",
    "LatticeRows",
    "OnlineContext",
    "batch_epoch",
    "batch_update",
    "block_sums",
    "column_stats",
    "gaussian_factors",
    "kernel_row",
    "limit_inhibition",
    "online_run",
    "schedule_slice",
    "smooth",
    "unit_sums",
]

_COMPACT = COMPACT_NEIGHBORHOODS
sp = LazyModule("scipy.sparse")


def batch_update(
    codebook: np.ndarray,
    H: np.ndarray | KernelOperator,
    sums: np.ndarray,
    counts: np.ndarray,
    *,
    learning_rate: float = 1.0,
    inhibition: float | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The reduce step of a batch epoch: smooth the per-unit ``sums`` and ``counts`` (all data,
    from :func:`block_sums`) over the lattice with ``H`` and update the codebook (module notes:
    the batch ratio, or with ``inhibition`` the Mexican-hat rule clipped to ``bounds``)."""
    if inhibition is not None:
        new = _inhibited_batch(H, sums, counts, codebook, inhibition, learning_rate)
        if bounds is not None:
            np.clip(new, bounds[0], bounds[1], out=new)
        return new
    smoothed, _ = smooth(H, _stack(sums, counts))  # [H S | H n]
    return _ratio_update(codebook, smoothed, learning_rate)


def batch_epoch(
    X: np.ndarray,
    codebook: np.ndarray,
    H: np.ndarray,
    *,
    metric: str = "euclidean",
    Xa: np.ndarray | None = None,
    center: np.ndarray | None = None,
    chunk_size: int | None = None,
    learning_rate: float = 1.0,
    inhibition: float | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    search: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One batch epoch: :func:`block_sums` then :func:`batch_update`.

    Parameters
    ----------
    X : ndarray (N, D) float32 or float64
        Training data (training space).
    codebook : ndarray (M, D) float64
        Current prototypes (not modified).
    H : ndarray (M, M) or KernelOperator
        Neighbourhood weights ``h(d_grid(i, j); r)`` for this epoch (an operator builds them
        block by block instead of holding the M x M matrix).
    metric : str
        Data metric for the BMU search.
    Xa, center : ndarray, optional
        Prepared float32 queries from :func:`somwidget.bmu.prepare_queries` (Euclidean only;
        the older path without the float64 check). Without them the search reads ``X`` block
        by block (:func:`block_sums`).
    chunk_size : int, optional
        Samples per BMU block.
    learning_rate : float
        Blend factor in (0, 1].
    inhibition : float in [0, 1), optional
        For kernels with a negative lobe (the Mexican hat): the cap ``kappa`` on each unit's
        data-weighted inhibitory mass relative to its excitatory mass (see the module notes).
        ``None`` (non-negative kernels) applies the plain batch ratio.
    bounds : (lo, hi), optional
        Per-feature bounds the prototypes are clipped to (with ``inhibition`` only).
    search : somwidget.euclidean.EuclideanSearch, optional
        Prepared codebook for the Euclidean search (see :func:`block_sums`).

    Returns
    -------
    new_codebook : ndarray (M, D) float64
    bmus : ndarray (N,) intp
        The BMUs of ``X`` for the *incoming* codebook (the ones the update used).
    """
    if metric == "euclidean" and Xa is not None and center is not None:  # prepared queries
        bmus = euclidean_argmin(Xa, codebook, center, chunk_size)
        S, counts = unit_sums(X, bmus, codebook.shape[0])
    else:
        S, counts, bmus = block_sums(X, codebook, metric=metric, chunk_size=chunk_size,
                                     search=search)
    new = batch_update(codebook, H, S, counts, learning_rate=learning_rate,
                       inhibition=inhibition, bounds=bounds)
    return new, bmus


def _stack(S: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``[S | n]``: the per-unit sums and counts side by side, so one product smooths both."""
    A = np.empty((S.shape[0], S.shape[1] + 1))
    A[:, :-1] = S
    A[:, -1] = counts
    return A


def _ratio_update(codebook: np.ndarray, num: np.ndarray, learning_rate: float) -> np.ndarray:
    """``w_i <- num_i[:D] / num_i[D]`` where that denominator is > 0 (else ``w_i`` stays),
    blended with the old codebook when ``learning_rate < 1`` (at 1, one compiled pass once
    numba's loops are built, :mod:`somwidget._sums_jit`: the same values)."""
    d = codebook.shape[1]
    kernel = _sums_jit.kernel_for(codebook.size) if learning_rate >= 1.0 else None
    if (kernel is not None and _sums_jit.c_float64(codebook, num)
            and num.shape == (codebook.shape[0], d + 1)):
        new = np.empty_like(codebook)
        kernel.ratio_update(codebook, num, new)
        return new
    den = num[:, d]
    ok = den > 0
    if ok.all():  # every unit has data in its neighbourhood: whole-array operations
        target = num[:, :d] / den[:, None]
        if learning_rate >= 1.0:
            return target
        new = (1.0 - learning_rate) * codebook
        new += learning_rate * target
        return new
    new = codebook.copy()
    target = num[ok, :d] / den[ok][:, None]
    if learning_rate >= 1.0:
        new[ok] = target
    else:
        new[ok] = (1.0 - learning_rate) * codebook[ok] + learning_rate * target
    return new


class KernelOperator:
    """The neighbourhood matrix ``H[i, j] = h(d_grid(i, j); r)`` of a lattice, never stored whole.

    ``smooth`` multiplies it with per-unit sums one block of rows at a time, each block built
    from the lattice's squared grid distances (:meth:`somwidget.lattice.Lattice.grid_distances_squared_from`,
    which slices the cached M x M matrix when one exists). Memory stays at about
    ``block_elements`` float64 values however large the map: a 100 x 100 map trains in batch mode
    without the 800 MB matrix ``H`` or the 400 MB distance matrix.

    Parameters
    ----------
    lattice : Lattice
    name : str
        Canonical kernel name (see :data:`somwidget.neighborhood.NEIGHBORHOODS`).
    radius : float > 0
    block_elements : int
        About how many entries of ``H`` one block holds.
    sparse : bool or None
        For the compact kernels: build ``H`` as a sparse matrix from the unit pairs within the
        radius (:meth:`somwidget.lattice.Lattice.pairs_within`) instead of dense row blocks.
        None decides by size: maps of at least 2048 neurons whose radius covers at most 1/64 of
        the map.
    """

    def __init__(self, lattice: Any, name: str, radius: float, block_elements: int = 1 << 21,
                 sparse: bool | None = None) -> None:
        self.lattice = lattice
        self.name = name
        self.radius = float(radius)
        m = int(lattice.n_neurons)
        self.shape = (m, m)
        self.block = max(1, int(block_elements) // m)
        if name not in _COMPACT:
            sparse = False
        elif sparse is None:
            cell = float(getattr(lattice, "row_spacing", 1.0))  # area of one unit's cell
            pairs = m * (np.pi * self.radius**2 / cell + 1.0)
            sparse = m >= 2048 and pairs <= m * m / 64  # measured break-even ~ m²/48
        self.sparse = bool(sparse)

    def sparse_matrix(self) -> sp.csr_matrix:
        """``H`` as a CSR matrix (compact kernels: only the pairs within the radius)."""
        i, j, d2 = self.lattice.pairs_within(self.radius)
        h = kernel_row(self.name, d2, self.radius)
        keep = h != 0
        m = self.shape[0]
        return sp.csr_matrix((h[keep], (i[keep], j[keep])), shape=(m, m))

    def row_blocks(self) -> Iterator[tuple[slice, np.ndarray]]:
        """``(rows, H[rows])`` blocks covering all rows in order."""
        m = self.shape[0]
        for i0 in range(0, m, self.block):
            i1 = min(m, i0 + self.block)
            d2 = self.lattice.grid_distances_squared_from(np.arange(i0, i1))
            yield slice(i0, i1), kernel_row(self.name, d2, self.radius)

    def toarray(self) -> np.ndarray:
        """The whole matrix (tests and small maps)."""
        return np.vstack([h for _, h in self.row_blocks()])

    @property
    def separable(self) -> bool:
        """Whether ``H @ A`` can go one lattice axis at a time (the Gaussian factorises:
        ``exp(-(dx² + dy²) / 2r²) = exp(-dx² / 2r²) exp(-dy² / 2r²)``, wrap-around included)."""
        return self.name == "gaussian"

    def matmul_separable(self, A: np.ndarray) -> np.ndarray:
        """``H @ A`` for the Gaussian, one axis at a time: O(M (rows + cols) K) work and no
        M x M block at all (see :meth:`somwidget.lattice.Lattice.axis_squared_distances`).

        The per-axis factors of this lattice and radius come from a small cache
        (:func:`gaussian_factors`), and the rows of one parity are addressed as strided slices:
        a 20 x 20 map costs two small GEMMs and no copy of ``A``."""
        f = gaussian_factors(self.lattice, self.radius)
        R, C = f.gy.shape[0], f.gx.shape[-1]
        K = A.shape[1]
        A3 = np.ascontiguousarray(A, dtype=np.float64).reshape(R, C, K)
        if len(f.groups) == 1:  # rect maps: every row has the same column kernel
            T = np.matmul(f.gx[0, 0], A3)
            return np.matmul(f.gy, T.reshape(R, C * K)).reshape(R * C, K)
        out = np.empty((R, C * K))
        T = np.empty((R, C, K))
        T2 = T.reshape(R, C * K)
        for p1, rows1 in f.groups:
            # T[r2, c1] = sum_c2 gx[p1, parity(r2), c1, c2] A[r2, c2]: along the rows' columns
            for p2, rows2 in f.groups:
                if isinstance(rows2, slice):
                    np.matmul(f.gx[p1, p2], A3[rows2], out=T[rows2])
                else:
                    T[rows2] = np.matmul(f.gx[p1, p2], A3[rows2])
            # out[r1] = sum_r2 gy[r1, r2] T[r2]: along the rows
            if isinstance(rows1, slice):
                np.matmul(f.gy_rows[p1], T2, out=out[rows1])
            else:
                out[rows1] = f.gy_rows[p1] @ T2
        return out.reshape(R * C, K)




# (rows, cols, shape, wrap_rows, wrap_cols, radius) -> GaussianFactors, most recent last:
# a fit asks for one radius per epoch, and a repeated fit (a grid search, the Trainer) the same
# radii again
_FACTORS: OrderedDict[tuple, GaussianFactors] = OrderedDict()
_FACTORS_LOCK = threading.Lock()
_FACTORS_MAX_ENTRIES = 64
_FACTORS_MAX_BYTES = 16 << 20  # factors of larger maps are not kept


def gaussian_factors(lattice: Any, radius: float) -> GaussianFactors:
    """The separable Gaussian's per-axis factors of ``lattice`` at ``radius`` (cached).

    Equal to a fresh :class:`GaussianFactors` built from
    :meth:`~somwidget.lattice.Lattice.axis_squared_distances`; the cache holds the last 64
    (lattice geometry, radius) pairs of maps up to 16 MB of factors.
    """
    radius = float(radius)
    key = (int(lattice.rows), int(lattice.cols), str(lattice.shape), bool(lattice.wrap_rows),
           bool(lattice.wrap_cols), radius)
    with _FACTORS_LOCK:
        f = _FACTORS.get(key)
        if f is not None:
            _FACTORS.move_to_end(key)
            return f
    f = _build_gaussian_factors(lattice, radius)
    if f.gx.nbytes + 2 * f.gy.nbytes <= _FACTORS_MAX_BYTES:
        with _FACTORS_LOCK:
            _FACTORS[key] = f
            while len(_FACTORS) > _FACTORS_MAX_ENTRIES:
                _FACTORS.popitem(last=False)
    return f


def _row_blocks(H: np.ndarray | KernelOperator, block: int = 1024) -> Iterator[tuple[slice, np.ndarray]]:
    if isinstance(H, KernelOperator):
        yield from H.row_blocks()
        return
    m = H.shape[0]
    for i0 in range(0, m, block):
        sl = slice(i0, min(m, i0 + block))
        yield sl, H[sl]


def smooth(
    H: np.ndarray | KernelOperator, A: np.ndarray, negative: bool = False, block: int = 1024
) -> tuple[np.ndarray, np.ndarray | None]:
    """``H @ A``, and with ``negative`` also ``max(-H, 0) @ A`` (the negative lobe), in one pass
    over the rows of ``H`` (an M x M array, or a :class:`KernelOperator` that builds the rows)."""
    if isinstance(H, KernelOperator) and (H.separable or H.sparse):  # no negative lobe here
        out = H.matmul_separable(A) if H.separable else np.asarray(H.sparse_matrix() @ A)
        return out, (np.zeros_like(out) if negative else None)
    out = np.empty((H.shape[0], A.shape[1]))
    neg = np.empty_like(out) if negative else None
    for sl, h in _row_blocks(H, block):
        np.matmul(h, A, out=out[sl])
        if neg is not None:
            hn = np.negative(h, dtype=np.float64)
            np.maximum(hn, 0.0, out=hn)
            np.matmul(hn, A, out=neg[sl])
    return out, neg


def _inhibited_batch(
    H: np.ndarray | KernelOperator,
    S: np.ndarray,
    counts: np.ndarray,
    codebook: np.ndarray,
    kappa: float,
    learning_rate: float,
    block: int = 1024,
) -> np.ndarray:
    """Batch update with the negative lobe of ``H`` capped at ``kappa`` of the positive lobe's
    data-weighted mass, unit by unit (module notes). One blockwise pass over ``H``, so large maps
    need no second M x M matrix."""
    d = S.shape[1]
    signed, neg = smooth(H, _stack(S, counts), negative=True, block=block)  # [P-Q | p-q], [Q | q]
    assert neg is not None
    q = neg[:, d]
    p = signed[:, d] + q
    # g = min(1, kappa p / q), with g = 1 where there is no negative mass at all
    g = np.ones(q.shape[0])
    over = q > kappa * p
    g[over] = kappa * p[over] / q[over]
    num = signed + (1.0 - g)[:, None] * neg  # [P - gQ | p - gq]; p - gq >= (1 - kappa) p
    num[p <= 0, d] = 0.0  # no data in the positive lobe: the unit keeps its vector
    return _ratio_update(codebook, num, learning_rate)
