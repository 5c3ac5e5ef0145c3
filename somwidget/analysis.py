"""Quality of a trained map, as pure functions on arrays: hits, quantization and topographic
errors, vacancy, the per-neuron quality maps, distortion, and the training metrics.

Every function takes plain arrays (codebook, BMU indices, BMU distances) plus a
:class:`~somwidget.lattice.Lattice` where geometry matters, and returns new arrays or floats.
The :class:`~somwidget.som.SOM` methods delegate to these; views call the SOM methods.
:func:`epoch_metrics` is the one place the training metrics are computed.

Conventions
-----------
* ``bmus`` and ``distances`` may be 1-D ``(N,)`` or the 2-D ``(N, k)`` output of
  :func:`somwidget.bmu.find_bmus`; for 2-D input the first column (the best match) is used.
* Distances between codebook vectors use the *data* metric (default ``"euclidean"``; any metric
  of :data:`somwidget.bmu.METRICS` through :func:`scipy.spatial.distance.cdist`). Which units are
  neighbours comes from the lattice (grid geometry, wrap-around included).
* Neuron index ``k = row * cols + col``.

The U-matrices (``umatrix``, ``umatrix_interstitial``, ``umatrix_interstitial_coordinates``)
live in :mod:`somwidget.umatrices`, the label functions (``encode_labels``, ``label_counts``,
``label_proportions``, ``majority_labels``, ``code_counts``, ``classification_table``) in
:mod:`somwidget.labels`; both stay importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from .bmu import check_metric, distance_matrix_masked, has_missing
from .bmu import metric_cdist as cdist  # scipy's, with jensenshannon's rounding NaN fixed
from .lattice import Lattice, check_lattice

if TYPE_CHECKING:  # re-exported lazily, see __getattr__ below
    from .labels import (
        classification_table,
        code_counts,
        encode_labels,
        label_counts,
        label_proportions,
        majority_labels,
    )
from .neighborhood import neighborhood_weights
from .umatrices import (
    check_codebook,
    umatrix,
    umatrix_interstitial,
    umatrix_interstitial_coordinates,
)
from .validation import check_array, check_choice, check_int
from .validation import check_bmus as _bmus
from .validation import check_distances as _distances
from .validation import check_n_neurons as _n_neurons

__all__ = [
    "classification_table",
    "code_counts",
    "distortion",
    "encode_labels",
    "epoch_metrics",
    "hit_counts",
    "label_counts",
    "label_proportions",
    "majority_labels",
    "mean_absolute_quantization_error",
    "quality_map",
    "quantization_error",
    "topographic_error",
    "topographic_error_map",
    "umatrix",
    "umatrix_interstitial",
    "umatrix_interstitial_coordinates",
    "vacancy_rate",
]

# the label functions (somwidget.labels, which imports pandas: ~0.3 s and ~120 MB) are
# re-exported on first access, so the metrics need neither
_LABEL_NAMES = ("classification_table", "code_counts", "encode_labels", "label_counts",
                "label_proportions", "majority_labels")


def __getattr__(name: str) -> Any:
    if name in _LABEL_NAMES:
        from . import labels

        return getattr(labels, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Samples of one distortion block times M (float64): 1 Mi entries = 8 MiB for each of the
# block's distances, squared grid distances and kernel weights (4 Mi entries made the working
# set 180 MB, nine times a 300k x 16 float32 data set).
_BLOCK_ELEMENTS = 1 << 20


def _bmu_distances(distances: ArrayLike, n: int | None = None) -> np.ndarray:
    """Distances to the BMUs as float64 (N,): numbers (TypeError otherwise), finite and >= 0
    (ValueError naming the first bad value), N = ``n`` when given."""
    raw = np.asarray(distances)
    if raw.dtype.kind == "O":
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("distances must be numeric (each sample's distance to its BMU); "
                            "got an array of dtype object holding non-numbers") from None
    if raw.dtype.kind not in "iuf":
        raise TypeError("distances must be numeric (each sample's distance to its BMU); got an "
                        f"array of dtype {raw.dtype}")
    d = _distances("distances", raw, n)
    finite = np.isfinite(d)
    if not finite.all():
        n_nan = int(np.count_nonzero(np.isnan(d)))
        what = f"{n_nan} NaN value(s)" if n_nan else f"{int(np.count_nonzero(~finite))} infinite value(s)"
        raise ValueError(f"distances holds {what}; distances to the BMU are finite numbers >= 0")
    if d.size and d.min() < 0:
        raise ValueError(f"distances must be >= 0 (distances to the BMU); got {float(d.min())!r}")
    return d


# ============================================================================ hits, quality
def hit_counts(bmus: ArrayLike, n_neurons: int) -> np.ndarray:
    """Number of samples whose BMU is each neuron.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
        BMU index of each sample.
    n_neurons : int
        Number of neurons M.

    Returns
    -------
    ndarray of int64, shape (M,)
    """
    m = _n_neurons(n_neurons)
    return np.bincount(_bmus("bmus", bmus, m), minlength=m).astype(np.int64)


def vacancy_rate(bmus: ArrayLike, n_neurons: int) -> float:
    """Fraction of neurons that are the BMU of no sample (somnium's vacancy rate)."""
    return float(np.mean(hit_counts(bmus, n_neurons) == 0))


def quality_map(
    bmus: ArrayLike, distances: ArrayLike, n_neurons: int, *, reduce: str = "mean"
) -> np.ndarray:
    """Per-neuron quantization quality: the BMU distances of the samples each neuron won.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
    distances : array-like of float, shape (N,) or (N, k)
        Distance of each sample to its BMU (data metric): finite numbers >= 0.
    n_neurons : int
    reduce : {"mean", "sum"}
        ``"mean"`` (default): mean BMU distance, NaN for a neuron without hits.
        ``"sum"``: total BMU distance (GEMA's ``distances_map``), 0 for a neuron without hits.

    Returns
    -------
    ndarray of float64, shape (M,)
    """
    m = _n_neurons(n_neurons)
    reduce = check_choice("reduce", reduce, ("mean", "sum"))
    b = _bmus("bmus", bmus, m)
    d = _bmu_distances(distances, b.shape[0])
    sums = np.bincount(b, weights=d, minlength=m)
    if reduce == "sum":
        return sums
    hits = np.bincount(b, minlength=m)
    return np.divide(sums, hits, out=np.full(m, np.nan), where=hits > 0)


def quantization_error(distances: ArrayLike) -> float:
    """Mean distance of the samples to their BMU (SOM Toolbox / MiniSom / GEMA definition).

    Parameters
    ----------
    distances : array-like of float, shape (N,) or (N, k)
        Distance of each sample to its BMU (column 0 of a 2-D array): finite numbers >= 0.

    Returns
    -------
    float
    """
    d = _bmu_distances(distances)
    if d.size == 0:
        raise ValueError("distances is empty; the quantization error needs at least one sample")
    return float(d.mean())


def mean_absolute_quantization_error(
    Xt: ArrayLike, codebook: ArrayLike, bmus: ArrayLike
) -> float:
    """somnium's quantization error: mean of ``|x - w_bmu|`` over samples *and* features.

    Computed in whatever space ``Xt`` and ``codebook`` share (somnium: the normalised training
    space). Missing values (NaN) in ``Xt`` are skipped. Not comparable with
    :func:`quantization_error`, which averages Euclidean norms.
    """
    X, _ = check_array("Xt", Xt, allow_nan=True)
    W, _ = check_array("codebook", codebook)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"Xt has {X.shape[1]} features but codebook has {W.shape[1]}")
    b = _bmus("bmus", bmus, W.shape[0])
    if b.shape[0] != X.shape[0]:
        raise ValueError(f"bmus has {b.shape[0]} entries but Xt has {X.shape[0]} samples")
    err = np.abs(X - W[b])
    if np.isnan(err).all():
        raise ValueError("Xt has no observed values")
    return float(np.nanmean(err))


def _adjacency_lookup(
    adjacency: Any,
) -> tuple[int, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """``(M, adjacent)`` where ``adjacent(i, j)`` tests index arrays pairwise (vectorised).

    A Lattice is queried through its neighbour pairs (:meth:`Lattice.are_adjacent`, no M x M
    array); a scipy sparse matrix through its CSR rows; a dense boolean matrix is indexed.
    """
    if isinstance(adjacency, Lattice):
        return adjacency.n_neurons, adjacency.are_adjacent
    if sparse.issparse(adjacency):
        if adjacency.ndim != 2 or adjacency.shape[0] != adjacency.shape[1]:
            raise ValueError(
                f"adjacency must be a square (M, M) matrix; got shape {adjacency.shape}"
            )
        csr = sparse.csr_array(adjacency)
        csr.sum_duplicates()
        csr.sort_indices()
        csr.eliminate_zeros()
        m = csr.shape[0]
        keys = np.repeat(np.arange(m, dtype=np.int64), np.diff(csr.indptr)) * m + csr.indices

        def lookup(i: np.ndarray, j: np.ndarray) -> np.ndarray:
            q = i * m + j
            pos = np.minimum(np.searchsorted(keys, q), max(keys.shape[0] - 1, 0))
            return keys[pos] == q if keys.size else np.zeros(q.shape, dtype=bool)

        return m, lookup
    adj = np.asarray(adjacency)
    if adj.ndim != 2 or adj.shape[0] != adj.shape[1] or adj.dtype != bool:
        raise ValueError(
            "adjacency must be a Lattice, a scipy sparse (M, M) matrix or a square boolean "
            f"(M, M) matrix such as Lattice.adjacency(); got dtype {adj.dtype}, shape {adj.shape}"
        )
    return adj.shape[0], lambda i, j: adj[i, j]


#: Samples per block of the topographic error's adjacency lookup.
_TE_BLOCK = 1 << 16


def _te_errors(bmu1: ArrayLike, bmu2: ArrayLike, adjacency: Any) -> np.ndarray:
    m, adjacent = _adjacency_lookup(adjacency)
    b1 = _bmus("bmu1", bmu1, m)
    b2 = _bmus("bmu2", bmu2, m)
    if b1.shape != b2.shape:
        raise ValueError(f"bmu1 and bmu2 must have the same length; got {b1.size} and {b2.size}")
    if b1.size == 0:
        raise ValueError("bmu1 is empty; the topographic error needs at least one sample")
    n_same = int(np.count_nonzero(b1 == b2))
    if n_same:
        raise ValueError(
            f"bmu2 equals bmu1 for {n_same} sample(s); bmu2 must be the second-best unit"
        )
    # block by block: the pair lookup makes about eight int64 temporaries of its input's length
    # (130 MB for 2M samples at once, a few MB per block)
    errors = np.empty(b1.shape[0], dtype=bool)
    for s in range(0, b1.shape[0], _TE_BLOCK):
        e = s + _TE_BLOCK
        np.logical_not(adjacent(b1[s:e], b2[s:e]), out=errors[s:e])
    return errors


def topographic_error(bmu1: ArrayLike, bmu2: ArrayLike, adjacency: Any) -> float:
    """Fraction of samples whose first and second BMU are not adjacent on the lattice.

    Parameters
    ----------
    bmu1, bmu2 : array-like of int, shape (N,)
        Best and second-best matching unit of each sample.
    adjacency : Lattice, scipy sparse matrix or ndarray of bool, shape (M, M)
        The lattice (preferred: its neighbour pairs are used, wrap-around and ``rect_adjacency``
        respected, ``O(N log M)`` and no M x M array), a sparse adjacency such as
        :meth:`Lattice.adjacency_sparse`, or a dense boolean matrix.

    Returns
    -------
    float in [0, 1]
    """
    return float(np.mean(_te_errors(bmu1, bmu2, adjacency)))


def epoch_metrics(bmus: ArrayLike, distances: ArrayLike, lattice: Lattice) -> dict[str, float]:
    """Quantization error, topographic error and vacancy rate from one BMU search.

    The metrics every training record carries (``SOM.fit(..., collect_history=True)`` and the
    :class:`~somwidget.trainer.Trainer`), all from the same ``k = 2`` search.

    Parameters
    ----------
    bmus : array-like of int, shape (N, 2) or (N,)
        Best and second-best unit of each sample (:func:`somwidget.bmu.find_bmus` with
        ``k=2``); with one column the topographic error is 0.
    distances : array-like of float, shape (N, k) or (N,)
        Distances to those units (column 0: the BMU).
    lattice : Lattice

    Returns
    -------
    dict
        ``{"quantization_error", "topographic_error", "vacancy_rate"}`` as floats.
    """
    check_lattice(lattice)
    idx = np.asarray(bmus)
    if idx.ndim not in (1, 2):
        raise ValueError(f"bmus must have shape (N,) or (N, k); got {idx.shape}")
    idx2 = idx.reshape(idx.shape[0], -1)
    bmu1 = idx2[:, 0]
    te = topographic_error(bmu1, idx2[:, 1], lattice) if idx2.shape[1] > 1 else 0.0
    return {
        "quantization_error": quantization_error(distances),
        "topographic_error": float(te),
        "vacancy_rate": vacancy_rate(bmu1, lattice.n_neurons),
    }


def topographic_error_map(bmu1: ArrayLike, bmu2: ArrayLike, adjacency: Any) -> np.ndarray:
    """Per-neuron topographic error: among the samples a neuron won, the fraction whose second
    BMU is not adjacent to it. NaN for neurons without hits. Shape (M,).

    ``adjacency`` as in :func:`topographic_error`."""
    errors = _te_errors(bmu1, bmu2, adjacency)
    m = _adjacency_lookup(adjacency)[0]
    b1 = _bmus("bmu1", bmu1, m)
    hits = np.bincount(b1, minlength=m)
    bad = np.bincount(b1, weights=errors.astype(np.float64), minlength=m)
    return np.divide(bad, hits, out=np.full(m, np.nan), where=hits > 0)


def distortion(
    Xt: ArrayLike,
    codebook: ArrayLike,
    bmus: ArrayLike,
    lattice: Lattice,
    neighborhood: str = "gaussian",
    radius: float = 1.0,
    *,
    metric: str = "euclidean",
    squared: bool = False,
    chunk_size: int | None = None,
) -> float:
    """MiniSom's distortion measure ``sum_i sum_c h(c, bmu_i) * ||x_i - w_c||``.

    By default the distances are **not** squared, as in MiniSom's code (its docstring says
    squared, its code does not square); ``squared=True`` gives the SOM energy function
    ``sum_i sum_c h(c, bmu_i) * ||x_i - w_c||**2``. The result is a sum, not a mean: it grows
    with the number of samples.

    Parameters
    ----------
    Xt : array-like, shape (N, D)
        Data in the codebook's (training) space; NaN marks a missing value (the distances then
        use the known components, see :mod:`somwidget.masked`).
    codebook : array-like, shape (M, D)
    bmus : array-like of int, shape (N,) or (N, k)
    lattice : Lattice
        Grid distances for the neighbourhood ``h``.
    neighborhood : str
        Kernel name (see :mod:`somwidget.neighborhood`).
    radius : float
        Kernel radius, > 0 (usually the final training radius).
    metric : str, keyword-only
        Data metric for ``||x - w||``.
    squared : bool, keyword-only
        Square the data distances (True or False; anything else is a TypeError).
    chunk_size : int, optional, keyword-only
        Samples per block (memory bound ``chunk_size x M``); chosen automatically by default.
    """
    if not isinstance(squared, (bool, np.bool_)):
        raise TypeError(f"squared must be True or False; got {squared!r}")
    W = check_codebook(codebook, lattice)
    X, _ = check_array("Xt", Xt, n_features=W.shape[1], allow_nan=True, keep_float32=True)
    m = lattice.n_neurons
    b = _bmus("bmus", bmus, m)
    if b.shape[0] != X.shape[0]:
        raise ValueError(f"bmus has {b.shape[0]} entries but Xt has {X.shape[0]} samples")
    metric = check_metric(metric, "metric")
    if chunk_size is None:
        chunk = max(1, _BLOCK_ELEMENTS // m)
    else:
        chunk = check_int("chunk_size", chunk_size, minimum=1)
    # validate the kernel once (clear errors), then work per block
    neighborhood_weights(neighborhood, np.zeros(1), radius)
    total = 0.0
    for s in range(0, X.shape[0], chunk):
        Xs = X[s : s + chunk]
        # NaN (missing values): the known components, rescaled (somwidget.masked)
        D = distance_matrix_masked(Xs, W, metric) if has_missing(Xs) else cdist(Xs, W, metric=metric)
        if squared:
            D *= D
        sq = lattice.grid_distances_squared_from(b[s : s + chunk])
        H = neighborhood_weights(neighborhood, sq, radius, squared=True)
        total += float(np.einsum("ij,ij->", H, D))
    return total
