"""Codebook initialisation and automatic map size.

:func:`initialize_codebook` builds the starting codebook in training space (the data passed in are
already normalised). Methods:

``random``
    Uniform in the data's bounding box, per feature ``min .. max``.
``random_negative``
    Uniform in ``[-1, 1]`` (GEMA's ``random_negative``).
``sample``
    Whole rows drawn from the data: without replacement when ``N >= M`` (so every neuron starts on
    a different sample), with replacement otherwise. Missing components of a drawn row are filled
    with the feature mean.
``pca``
    SOM Toolbox ``som_lininit``: ``w = mean + sum_d c_d * sqrt(lambda_d) * v_d`` where ``v_d`` and
    ``lambda_d`` are the eigenvectors and eigenvalues of the data covariance (``ddof=1``,
    :func:`numpy.linalg.eigh`; the covariance is accumulated block by block, :func:`covariance`)
    and ``c_d`` runs linearly from -1 to 1 along map axis ``d``. PC1
    goes along the map's longer side (the columns, x, when ``cols >= rows``, else the rows, y) and
    PC2 along the other. ``c_d`` are the lattice's plane coordinates rescaled to [-1, 1] per axis,
    so hex row offsets are respected. Each eigenvector's sign is fixed so that its largest-magnitude
    component is positive, which makes the result reproducible. One component is used when the data
    have one feature or the map has a single row or column; with fewer than two samples or zero
    variance every neuron starts at the data mean.

All randomness comes from the ``numpy.random.Generator`` passed in. Missing values (NaN) in ``X``
are ignored by every statistic (pairwise-complete covariance, as in the SOM Toolbox).

:func:`auto_mapsize` is the SOM Toolbox ``som_topol_struct`` heuristic.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from somwidget import _blas_threads, _data_stats
from somwidget._principal_plane import PrincipalPlane, pca_plane, plane_rank
from somwidget.euclidean import pow2_scale
from somwidget.lattice import LATTICE_ALIASES, LATTICES
from somwidget.validation import all_nan_columns, check_array, check_choice

__all__ = [
    "INITIALIZATIONS",
    "INITIALIZATION_ALIASES",
    "auto_mapsize",
    "covariance",
    "initialize_codebook",
    "eigenpairs",
    "principal_components",
]

INITIALIZATIONS: tuple[str, ...] = ("random", "random_negative", "sample", "pca")
#: Other accepted spellings: ``"linear"`` is the SOM Toolbox's name of the PCA init (``lininit``).
INITIALIZATION_ALIASES: dict[str, str] = {"linear": "pca"}


def _check_data(X: Any) -> np.ndarray:
    arr, _ = check_array("X", X, allow_nan=True, keep_float32=True)
    empty = all_nan_columns(arr)
    if empty.any():
        raise ValueError(
            f"X has features with no known (non-NaN) value: columns {np.flatnonzero(empty).tolist()}"
        )
    return arr


_CHUNK_ROWS = 1 << 14


def covariance(arr: np.ndarray, chunk_rows: int = _CHUNK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Feature means and the pairwise-complete covariance (``ddof=1``) of ``arr``, block by block.

    Two passes of ``chunk_rows`` rows in float64 (the means, then the centred D x D products),
    so the working set is one block whatever N is, and float32 data are never converted whole.
    Entry ``(i, j)`` sums over the rows where both features are known, divided by that count
    minus one (at least 1); the means are over each feature's known values. Without NaN the
    counts are all N and no mask is built. Inside a SOM call the first pass is the array's
    shared summary when its blocks are these (:mod:`somwidget._data_stats`).
    """
    mean, cov, scale = _scaled_covariance(arr, chunk_rows)
    if scale != 1.0:
        with np.errstate(over="ignore"):  # inf only where the covariance is beyond float64
            cov = cov * scale * scale  # (scale**2 alone may overflow)
    return mean, cov


#: Data whose largest centred value lies outside [2**-400, 2**400] have their covariance
#: computed on values divided by a power of two (exact): the sum of N squares of 1e154 overflows
#: and squares of 1e-200 underflow. Data in between are not rescaled (the same values as ever).
_COV_SCALE_RANGE = (2.0**-400, 2.0**400)


def _scaled_covariance(arr: np.ndarray, chunk_rows: int = _CHUNK_ROWS,
                       ) -> tuple[np.ndarray, np.ndarray, float]:
    """``(mean, C, s)``: the covariance of :func:`covariance` is ``C * s**2``, ``s`` a power of
    two that keeps ``C`` finite and its entries normal (1 for ordinary data)."""
    n, d = arr.shape
    summary = _data_stats.cached_summary(arr)
    mean = None if summary is None else summary.mean_in_blocks(chunk_rows)
    if mean is not None:
        scale = _covariance_scale(summary.lo, summary.hi, mean)
        return (*_centred_covariance(arr, mean, summary.has_nan, chunk_rows, scale), scale)
    total = np.zeros(d)
    count = np.zeros(d)
    lo, hi = np.full(d, np.inf), np.full(d, -np.inf)
    has_nan = False
    for s in range(0, n, chunk_rows):
        blk = np.asarray(arr[s : s + chunk_rows], dtype=np.float64)
        np.fmin(lo, np.fmin.reduce(blk, axis=0), out=lo)  # fmin / fmax skip NaN
        np.fmax(hi, np.fmax.reduce(blk, axis=0), out=hi)
        col = blk.sum(axis=0)
        if np.isnan(col).any():
            has_nan = True
            known = ~np.isnan(blk)
            total += np.where(known, blk, 0.0).sum(axis=0)
            count += known.sum(axis=0)
        else:
            total += col
            count += blk.shape[0]
    mean = total / np.maximum(count, 1.0)
    scale = _covariance_scale(lo, hi, mean)
    return (*_centred_covariance(arr, mean, has_nan, chunk_rows, scale), scale)


def _covariance_scale(lo: np.ndarray, hi: np.ndarray, mean: np.ndarray) -> float:
    """The power of two :func:`_scaled_covariance` divides the centred data by."""
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.concatenate([np.abs(hi - mean), np.abs(mean - lo)])
    spread = spread[np.isfinite(spread)]
    extent = float(spread.max()) if spread.size else 0.0
    low, high = _COV_SCALE_RANGE
    if extent == 0.0 or low <= extent <= high:
        return 1.0
    return pow2_scale(extent)


def _centred_covariance(arr: np.ndarray, mean: np.ndarray, has_nan: bool,
                        chunk_rows: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The second pass of :func:`covariance`: ``(mean, cov / scale**2)`` from the means."""
    n, d = arr.shape
    prod = np.zeros((d, d))
    pairs = np.zeros((d, d)) if has_nan else None
    inv = 1.0 / scale
    for s in range(0, n, chunk_rows):
        blk = np.asarray(arr[s : s + chunk_rows], dtype=np.float64) - mean
        if scale != 1.0:
            blk *= inv  # a power of two: exact
        if pairs is not None:
            known = ~np.isnan(blk)
            blk[~known] = 0.0
            k = known.astype(np.float64)
            pairs += k.T @ k
        prod += blk.T @ blk
    denom = np.maximum((pairs if pairs is not None else np.full((d, d), float(n))) - 1.0, 1.0)
    return mean, prod / denom


#: Between these numbers of features the eigendecomposition runs on one BLAS thread: for a
#: small matrix the threads' synchronisation costs more than the work (a 64 x 64 ``eigh`` takes
#: 0.26-0.3 ms on one thread, 0.23-0.7 ms on two of a busy 2-core machine, 128 x 128 1.1 ms
#: against 1.1-3.5 ms); the result is the same. Below, limiting the threads (~10 us) costs more
#: than it can save.
SINGLE_THREAD_EIGH_FEATURES = (40, 128)
#: From this many features up, the leading eigenpairs alone (scipy's LAPACK ``syevr`` with an
#: index range) rather than all of them (numpy's ``syevd``): 128 x 128, two pairs, 0.47 ms
#: against 1.4 ms; 512 x 512 12 ms against 45. The two drivers' eigenvectors differ in the last
#: bits, so the choice depends on the number of features alone, never on what is loaded: below
#: it, importing scipy.linalg for this (0.17-0.22 s) would cost a first ``fit`` more than the
#: subset saves (64 x 64: 0.16 ms against 0.35), and using scipy only once something else had
#: loaded it made a fit after a view was shown start from another map than the first fit.
SUBSET_EIGH_FEATURES = 128


def _eigh(cov: np.ndarray, n_components: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.linalg.eigh(cov)`` (ascending), on one BLAS thread for small matrices; with
    ``n_components`` only the largest ``n_components`` eigenpairs, still ascending (from
    :data:`SUBSET_EIGH_FEATURES` features up by scipy's ``syevr``, always on one thread: scipy
    brings an OpenBLAS of its own, whose threads would otherwise start for a small matrix)."""
    d = cov.shape[0]
    if n_components is not None and d >= SUBSET_EIGH_FEATURES and n_components < d:
        from scipy.linalg import eigh  # loaded before the hold, which then covers its BLAS

        with _blas_threads.single_threaded():
            return eigh(cov, subset_by_index=[d - n_components, d - 1], driver="evr",
                        check_finite=False)
    lo, hi = SINGLE_THREAD_EIGH_FEATURES
    with _blas_threads.single_threaded() if lo <= d <= hi else contextlib.nullcontext():
        vals, vecs = np.linalg.eigh(cov)
    if n_components is not None:
        return vals[d - n_components:], vecs[:, d - n_components:]
    return vals, vecs


def principal_components(
    X: Any, n_components: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, eigenvalues and eigenvectors of the covariance of ``X``, largest first.

    Parameters
    ----------
    X : array-like of shape (N, D)
        Data; NaN entries are ignored (pairwise-complete covariance).
    n_components : int, optional
        Only the ``n_components`` largest eigenpairs (the PCA initialisation needs two; the
        others are not computed). Default: all ``D``.

    Returns
    -------
    mean : ndarray of shape (D,)
        Feature means over the known values.
    eigenvalues : ndarray of shape (K,)
        Covariance eigenvalues (``ddof=1``), descending, clipped at 0. All zero when ``N < 2``.
        ``K`` is ``n_components`` (at most ``D``), else ``D``.
    eigenvectors : ndarray of shape (D, K)
        Unit eigenvectors in the columns, in the order of ``eigenvalues``, each with its
        largest-magnitude component positive (deterministic sign).
    """
    mean, vals, vecs, scale = _scaled_principal_components(X, n_components)
    if scale != 1.0:
        with np.errstate(over="ignore"):  # inf only beyond float64's range
            vals = vals * scale * scale
    return mean, vals, vecs


def _scaled_principal_components(
    X: Any, n_components: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """:func:`principal_components` with the eigenvalues divided by ``scale**2`` (returned
    last, a power of two: 1 for ordinary data), so that they stay finite for data near 1e154."""
    arr = _check_data(X)
    n, d = arr.shape
    mean, cov, scale = _scaled_covariance(arr)
    if n < 2:
        cov = np.zeros((d, d))
    return (mean, *eigenpairs(cov, n_components), scale)


#: Eigenvalues up to this times ``D`` times the largest are rounding noise (taken as 0).
_EIGEN_RTOL = 16 * float(np.finfo(np.float64).eps)


def eigenpairs(cov: np.ndarray, n_components: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending, clipped at 0) and unit eigenvectors (columns, each with its
    largest-magnitude component positive) of a covariance matrix: all ``D``, or the
    ``n_components`` largest (:func:`principal_components`; the Dask path's reduced covariance)."""
    d = cov.shape[0]
    k = None if n_components is None else max(1, min(int(n_components), d))
    vals, vecs = _eigh(cov, k)
    vals = np.clip(vals[::-1], 0.0, None)
    # eigenvalues at the rounding level of the largest are 0 (a direction without spread:
    # perfectly correlated features); their noise, which differs between the in-memory and the
    # Dask covariance, would otherwise set prototypes apart by its square root (1e-8)
    if vals.size and np.isfinite(vals[0]):
        vals[vals <= _EIGEN_RTOL * d * vals[0]] = 0.0
    vecs = vecs[:, ::-1]
    lead = np.argmax(np.abs(vecs), axis=0)
    signs = np.where(vecs[lead, np.arange(vecs.shape[1])] < 0, -1.0, 1.0)
    return vals, vecs * signs


def _check_lattice(lattice: Any) -> None:
    missing = [a for a in ("rows", "cols", "n_neurons", "coordinates") if not hasattr(lattice, a)]
    if missing:
        raise TypeError(
            f"lattice must be a somwidget.lattice.Lattice; got {type(lattice).__name__} "
            f"(missing {missing})"
        )


def initialize_codebook(
    method: str, X: Any, lattice: Any, rng: np.random.Generator
) -> np.ndarray:
    """Build an initial codebook.

    Parameters
    ----------
    method : str
        One of :data:`INITIALIZATIONS` or :data:`INITIALIZATION_ALIASES` (case-insensitive).
    X : array-like of shape (N, D)
        Data in training space (already normalised).
    lattice : somwidget.lattice.Lattice
        The map; its ``n_neurons``, ``rows``, ``cols`` and plane ``coordinates`` are used.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    ndarray of shape (lattice.n_neurons, D), float64
    """
    return initial_codebook_and_plane(method, X, lattice, rng)[0]


def initial_codebook_and_plane(
    method: str, X: Any, lattice: Any, rng: np.random.Generator
) -> tuple[np.ndarray, PrincipalPlane | None]:
    """:func:`initialize_codebook`, and for ``"pca"`` the plane the codebook lies in (training's
    first search runs in it, :mod:`somwidget._principal_plane`; None for the other methods)."""
    method = check_choice("initialization", method, INITIALIZATIONS, INITIALIZATION_ALIASES)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    _check_lattice(lattice)
    arr = _check_data(X)
    n, d = arr.shape
    m = int(lattice.n_neurons)

    if method == "random":
        return _uniform_in_box(rng, np.nanmin(arr, axis=0), np.nanmax(arr, axis=0), (m, d)), None
    if method == "random_negative":
        return rng.uniform(-1.0, 1.0, size=(m, d)), None
    if method == "sample":
        idx = rng.choice(n, size=m, replace=n < m)
        rows = arr[idx]
        if not np.isnan(rows).any():
            return np.asarray(rows, dtype=np.float64), None
        return np.where(np.isnan(rows), covariance(arr)[0], rows), None

    mean, vals, vecs, scale = _scaled_principal_components(arr,
                                                           n_components=plane_rank(d, lattice))
    plane = pca_plane(mean, vals, vecs, lattice, scale)
    return plane.codebook(), plane


def _uniform_in_box(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
                    size: tuple[int, int]) -> np.ndarray:
    """``rng.uniform(lo, hi, size)`` (the same draws and values), without its OverflowError when
    ``hi - lo`` exceeds the float range (data near the float maximum): there the point is the
    convex combination ``lo * (1 - u) + hi * u``, which cannot overflow."""
    u = rng.random(size)
    with np.errstate(over="ignore"):
        width = hi - lo
    if np.isfinite(width).all():
        return lo + width * u
    return np.where(np.isfinite(width), lo + np.where(np.isfinite(width), width, 0.0) * u,
                    lo * (1.0 - u) + hi * u)


def _round_half_up(v: float) -> int:
    """MATLAB ``round`` for positive numbers (halves away from zero, unlike ``numpy.round``)."""
    return int(math.floor(v + 0.5))


def auto_mapsize(X: Any, lattice_kind: str) -> tuple[int, int]:
    """Map size from the data, as the SOM Toolbox's ``som_topol_struct``.

    * ``munits = ceil(5 * sqrt(N))``;
    * ``ratio = sqrt(lambda1 / lambda2)`` of the two largest covariance eigenvalues, except
      ``ratio = 1`` when ``N < 2``, ``lambda1 == 0`` or ``lambda2 * munits < lambda1`` (a missing
      ``lambda2``, for one feature, counts as 0);
    * short side ``= min(munits, round(sqrt(munits / ratio * sqrt(0.75))))`` on hex maps (the
      ``sqrt(0.75)`` accounts for the hex row spacing), without ``sqrt(0.75)`` on rect maps;
    * long side ``= round(munits / short)`` (MATLAB rounding, halves up);
    * a map with a side of 1 becomes ``(1, n)`` (one row); a toroidal hex map gets an even row
      count (one row added when odd).

    As in the SOM Toolbox (where ``msize(1)`` is the long side and its axis has the hex row
    spacing), the long side is the number of **rows**: ``rows >= cols`` except for one-row maps.
    The PCA initialisation puts PC1 along the longer side, whichever it is.

    Parameters
    ----------
    X : array-like of shape (N, D)
        Data in training space.
    lattice_kind : str
        A lattice kind (see :data:`somwidget.lattice.LATTICES`).

    Returns
    -------
    (rows, cols) : tuple of int
        At least 2 neurons in total.
    """
    kind = check_choice("lattice", lattice_kind, LATTICES, LATTICE_ALIASES)
    arr = _check_data(X)
    n = arr.shape[0]
    munits = math.ceil(5.0 * math.sqrt(n))
    ratio = 1.0
    if n >= 2:
        _, vals, _, _ = _scaled_principal_components(arr, n_components=2)  # their ratio
        l1 = float(vals[0])
        l2 = float(vals[1]) if vals.size > 1 else 0.0
        if l1 > 0 and not (l2 * munits < l1):
            ratio = math.sqrt(l1 / l2)
    hexa = kind.endswith("hexa")
    base = munits / ratio * (math.sqrt(0.75) if hexa else 1.0)
    short = max(1, min(munits, _round_half_up(math.sqrt(base))))
    long = max(1, _round_half_up(munits / short))
    rows, cols = long, short
    if min(rows, cols) == 1:
        rows, cols = 1, max(rows, cols, 2)
    if kind == "toroidal_hexa" and rows % 2:
        rows += 1
    return rows, cols
