"""The principal plane of a PCA initial codebook, and the first epoch's search in it.

The PCA initialisation (SOM Toolbox ``som_lininit``) puts unit ``j`` at ``w_j = m + V u_j``:
``m`` the data mean, ``V`` (D x k, k <= 2) the leading unit eigenvectors of the covariance and
``u_j`` the unit's lattice position scaled by the square roots of their eigenvalues. Until the
first update moves it, the whole codebook lies in that plane, and with ``p = V^T (x - m)``::

    ||x - w_j||^2 = (||x - m||^2 - ||p||^2) + ||p - u_j||^2

The bracket is the same for every unit, so the first search of a fit is a nearest-neighbour
search in k dimensions instead of an ``N x D x M`` GEMM: one projection of the data
(``N x D x k``) and, per sample, along each lattice row (whose units share one plane coordinate
and are evenly ordered along the other) the two units that bracket the sample's coordinate.
:func:`plane_bmus` does that in one compiled loop (numba; without it the GEMM search runs).

Exactness: the training search's contract (:func:`somwidget._training_search.argmin_units`), a winner
within ``rtol`` of the best squared distance. The planar distances differ from the true ones by
at most a bound ``B`` (the rounding of the centred projection, of the stored codebook about the
exact plane, of ``V``'s orthonormality and of the loop's arithmetic, from the data's extent and
the codebook's norms); a sample whose planar best is not large enough against ``B`` (tight
clusters far from the centre, a sample on a unit) goes to the GEMM search like any other.
Ties: the lower unit index, like ``numpy.argmin``.

Used for a codebook that :meth:`PrincipalPlane.describes` (its values are still exactly
``m + V u_j`` as built), on complete, unweighted data of at least :data:`MIN_VALUES` values,
every row (no subsampling): the in-memory fit and each Dask partition alike.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _sums_jit
from ._numba_kernels import compiled_once

__all__ = ["MIN_VALUES", "PrincipalPlane", "pca_plane", "plane_bmus", "plane_rank", "wanted"]

_U = 2.0**-53
#: rows of the data centred and projected at a time (float64 scratch: rows x D)
_PROJECT_ROWS = 1 << 14

_Layout = tuple[np.ndarray, np.ndarray, np.ndarray, bool]

#: Data of fewer values than this (N x D) keep the GEMM search in their first epoch too: the
#: plane's loop would need numba loaded now (0.6 s, which a first small fit does not wait for,
#: :mod:`somwidget._numba_kernels`), and using it only once loaded in the background would make
#: a fit's BMUs (at float32 near-ties) depend on when it ran. The same size as the compiled
#: sums' (:data:`somwidget._sums_jit.BUILD_ELEMENTS`): 2 M values, 65k rows of 32 features.
MIN_VALUES = _sums_jit.BUILD_ELEMENTS


def wanted(n_values: int) -> bool:
    """Whether a first search over ``n_values`` data values runs in the plane: from
    :data:`MIN_VALUES` up, when numba is installed (and not switched off)."""
    return n_values >= MIN_VALUES and kernel() is not None


class PrincipalPlane:
    """The plane ``m + V u`` a PCA initial codebook lies in.

    Parameters
    ----------
    mean : ndarray (D,)
    coords : ndarray (M, k)
        ``u_j``, each unit's coordinates in the plane (k = 1 or 2).
    axes : ndarray (D, k)
        ``V``, orthonormal columns.
    rows, cols : int
        The lattice's shape (unit ``j`` in row ``j // cols``).
    """

    def __init__(self, mean: np.ndarray, coords: np.ndarray, axes: np.ndarray, rows: int,
                 cols: int) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.coords = np.asarray(coords, dtype=np.float64)
        self.axes = np.asarray(axes, dtype=np.float64)
        self.rows, self.cols = int(rows), int(cols)
        self._layout: _Layout | None | bool = False
        self._norms: tuple[float, float] | None = None

    def codebook(self) -> np.ndarray:
        """The codebook ``m + V u_j`` (M, D) float64: the PCA initialisation's."""
        return self.mean + self.coords @ self.axes.T

    def describes(self, codebook: np.ndarray) -> bool:
        """Whether ``codebook`` still holds exactly this plane's values (not edited, not yet
        trained)."""
        W = np.asarray(codebook)
        if W.dtype != np.float64 or W.shape != (self.coords.shape[0], self.mean.shape[0]):
            return False
        # a trained codebook differs in its first unit already: no need to build the plane's
        # (that unit alone rounds differently, hence a tolerance; the full test is exact)
        if not np.allclose(W[0], self.mean + self.coords[0] @ self.axes.T, rtol=1e-9, atol=0.0):
            return False
        return bool(np.array_equal(W, self.codebook()))

    def layout(self) -> _Layout | None:
        """Per lattice row: the axis its units are ordered along (``var_axis``, R), the other
        coordinate they share (``level``, R) and their ordered coordinates (``along``, R x C),
        and whether every row has the same axis and the levels ascend (``monotone``: the search
        then visits the rows outward from the sample's level); None when the units are not so
        laid out (a constant axis: degenerate data)."""
        if self._layout is False:
            self._layout = _row_layout(self.coords, self.rows, self.cols)
        return self._layout  # type: ignore[return-value]


def plane_rank(n_features: int, lattice: Any) -> int:
    """How many principal axes the PCA initialisation uses: one for a one-row or one-column map
    or a single feature, else two."""
    return 1 if (n_features == 1 or int(lattice.rows) == 1 or int(lattice.cols) == 1) else 2


def pca_plane(mean: np.ndarray, vals: np.ndarray, vecs: np.ndarray, lattice: Any,
              scale: float = 1.0) -> PrincipalPlane:
    """SOM Toolbox ``som_lininit``'s plane from the mean and the covariance's eigenpairs
    (eigenvalues descending, divided by ``scale**2``; eigenvectors in the columns): PC1 along the
    longer side of the lattice, each axis's lattice coordinates rescaled to [-1, 1] and
    multiplied by the square root of its eigenvalue; one axis for a one-row or one-column map
    or a single feature."""
    rows, cols = int(lattice.rows), int(lattice.cols)
    xy = np.asarray(lattice.coordinates, dtype=np.float64)
    cx, cy = _axis_coords(xy[:, 0]), _axis_coords(xy[:, 1])
    along = [cx, cy] if cols >= rows else [cy, cx]  # PC1 on the longer side
    k = plane_rank(mean.shape[0], lattice)
    c = np.column_stack(along[:k])  # (M, k)
    return PrincipalPlane(mean, c * (np.sqrt(vals[:k]) * scale), vecs[:, :k], rows, cols)


def _axis_coords(values: np.ndarray) -> np.ndarray:
    """Rescale one coordinate axis to [-1, 1] (all 0 for a constant axis)."""
    lo = values.min()
    span = values.max() - lo
    if span <= 0:
        return np.zeros_like(values)
    return 2.0 * (values - lo) / span - 1.0


def _row_layout(U: np.ndarray, rows: int, cols: int) -> _Layout | None:
    m, k = U.shape
    if m != rows * cols or not np.isfinite(U).all():
        return None
    U2 = np.zeros((m, 2))
    U2[:, :k] = U
    G = U2.reshape(rows, cols, 2)
    ok = np.empty((2, rows), dtype=bool)  # ok[a, r]: row r ordered along axis a, level in 1 - a
    for a in (0, 1):
        same = (G[:, :, 1 - a] == G[:, :1, 1 - a]).all(axis=1)
        ok[a] = same & ((np.diff(G[:, :, a], axis=1) > 0).all(axis=1) if cols > 1 else True)
    if not ok.any(axis=0).all():
        return None
    var_axis = np.where(ok[0], 0, 1).astype(np.intp)
    r = np.arange(rows)
    level = G[r, 0, 1 - var_axis]
    along = np.ascontiguousarray(G[r, :, var_axis])  # (R, C)
    monotone = bool((var_axis == var_axis[0]).all() and (np.diff(level) >= 0).all())
    return var_axis, level, along, monotone


def _build() -> Any:
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def first_at_or_beyond(xs: Any, v: float) -> int:  # pragma: no cover - compiled
        lo, hi = 0, xs.shape[0]  # binary search in ascending xs
        while lo < hi:
            mid = (lo + hi) // 2
            if xs[mid] < v:
                lo = mid + 1
            else:
                hi = mid
        return lo

    @numba.njit(cache=True, nogil=True)
    def nearest_in_row(pv: float, xs: Any, dc: float, base: int, best: float,
                       arg: int) -> tuple[float, int]:  # pragma: no cover - compiled
        cols = xs.shape[0]
        lo = first_at_or_beyond(xs, pv)  # the units bracketing pv: lo - 1 and lo
        for c in (lo - 1, lo):
            if 0 <= c < cols:
                dv = pv - xs[c]
                q = dc + dv * dv
                if q < best or (q == best and base + c < arg):
                    best = q
                    arg = base + c
        return best, arg

    @numba.njit(cache=True, nogil=True)
    def nearest_in_rows(P: Any, var_axis: Any, level: Any, along: Any, monotone: bool,
                        bmus: Any, best_q: Any) -> None:  # pragma: no cover - compiled
        n = P.shape[0]
        rows, cols = along.shape
        for i in range(n):
            best = np.inf
            arg = -1
            if monotone:  # one axis along every row, levels ascending: rows outward from p's
                pc = P[i, 1 - var_axis[0]]
                pv = P[i, var_axis[0]]
                up = first_at_or_beyond(level, pc)
                down = up - 1
                while True:  # each step moves up or down within the rows: it ends
                    du = (level[up] - pc) ** 2 if up < rows else np.inf
                    dd = (level[down] - pc) ** 2 if down >= 0 else np.inf
                    if up < rows and (down < 0 or du <= dd):
                        if du > best:
                            break
                        best, arg = nearest_in_row(pv, along[up], du, up * cols, best, arg)
                        up += 1
                    elif down >= 0:
                        if dd > best:
                            break
                        best, arg = nearest_in_row(pv, along[down], dd, down * cols, best, arg)
                        down -= 1
                    else:
                        break
            else:
                for r in range(rows):
                    a = var_axis[r]
                    dc = (P[i, 1 - a] - level[r]) ** 2
                    if dc <= best:
                        best, arg = nearest_in_row(P[i, a], along[r], dc, r * cols, best, arg)
            bmus[i] = arg
            best_q[i] = best

    return nearest_in_rows


def _warm(k: Any) -> None:
    P = np.zeros((2, 2))
    for monotone in (True, False):
        k(P, np.zeros(1, dtype=np.intp), np.zeros(1), np.zeros((1, 2)) + [0.0, 1.0], monotone,
          np.empty(2, dtype=np.intp), np.empty(2))


#: the compiled loop, or None (no numba, or ``SOMWIDGET_NUMBA=0``): see somwidget._numba_kernels
kernel = compiled_once(_build, _warm)


def _bound(plane: PrincipalPlane, xc: float) -> tuple[float, float]:
    """``(B, r_low)``: the bound on every planar squared distance's error, for samples within
    ``xc`` of the plane's mean, and how far below zero the common bracket can round."""
    V, U = plane.axes, plane.coords
    d, k = V.shape
    if plane._norms is None:
        umax = float(np.sqrt(np.einsum("ij,ij->i", U, U).max())) if U.size else 0.0
        f = float(np.linalg.norm(V.T @ V - np.eye(k))) + 4.0 * k * d * _U  # ||V^T V - I||
        plane._norms = (umax, f)
    umax, f = plane._norms
    # |w_j| <= |m| + |V u_j| (the codebook is the plane's, to rounding)
    wmax = (float(np.linalg.norm(plane.mean)) + math.sqrt(1.0 + f) * umax) * (1.0 + 1e-12)
    # the stored codebook about the exact plane (the sum m + V u, the product V u, rounded)
    E = 4.0 * _U * (wmax + math.sqrt(d) * k * umax)
    # the projection p = V^T fl(x - m): the centred row's rounding and the dot products'
    dp = math.sqrt(k) * (d + 2) * _U * xc * (1.0 + f)
    reach = (1.0 + f) * xc + umax  # |p - u_j|
    B = (2.0 * reach * dp + dp * dp + 8.0 * _U * reach * reach + f * umax * umax
         + 2.0 * (xc + umax + E) * E + E * E)
    return B * (1.0 + 1e-6), f * xc * xc


def plane_bmus(plane: PrincipalPlane, X: np.ndarray, data_extent: float, center: np.ndarray,
               rtol: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The BMUs of ``X`` for the plane's codebook (which the caller checked it describes), and the
    rows whose planar winner the bound cannot confirm within ``rtol`` (for the GEMM search);
    None when the loop or the lattice layout is not there (the GEMM search then does all).

    ``data_extent`` bounds ``|x - center|`` over every entry of ``X`` (the training search's)."""
    loop = kernel()
    lay = plane.layout()
    if loop is None or lay is None:
        return None
    var_axis, level, along, monotone = lay
    n, d = X.shape
    V, m = plane.axes, plane.mean
    k = V.shape[1]
    # |x - m| <= |x - c| + |c - m| per entry, for every row
    xc = math.sqrt(d) * (float(data_extent) + float(np.abs(np.asarray(center) - m).max()))
    if not math.isfinite(xc):
        return None
    B, r_low = _bound(plane, xc)
    Vc = np.ascontiguousarray(V)
    rows = min(n, _PROJECT_ROWS)
    buf, P, q = np.empty((rows, d)), np.zeros((rows, 2)), np.empty(rows)
    bmus = np.empty(n, dtype=np.intp)
    unsure = []
    for s in range(0, n, rows):  # bounded scratch: a block of rows at a time
        e = min(s + rows, n)
        blk = np.subtract(X[s:e], m, out=buf[: e - s], dtype=np.float64)
        Pb = P[: e - s]
        if k == 2:
            np.matmul(blk, Vc, out=Pb)
        else:
            Pb[:, 0] = blk @ Vc[:, 0]
        if not np.isfinite(Pb).all():  # beyond float64's squares: the GEMM search's scaling
            return None
        loop(Pb, var_axis, level, along, monotone, bmus[s:e], q[: e - s])
        unsure.append(s + np.flatnonzero(2.0 * B > rtol * np.maximum(q[: e - s] - B - r_low, 0.0)))
    return bmus, np.concatenate(unsure)
