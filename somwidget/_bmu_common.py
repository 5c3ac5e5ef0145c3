"""What every BMU search shares: the data metrics (:data:`METRICS`, their aliases,
:func:`check_metric`, :func:`check_metric_domain`, scipy's ``cdist`` as :func:`metric_cdist`),
the chunk size (:func:`default_chunk_size`) and the k-smallest selection; re-exported by
:mod:`somwidget.bmu`."""

from __future__ import annotations

import numpy as np

from ._lazy import LazyModule
from .validation import check_choice, check_int

__all__ = [
    "BOOLEAN_METRICS",
    "DOMAIN_METRICS",
    "METRICS",
    "METRIC_ALIASES",
    "cdist",
    "check_metric",
    "check_metric_domain",
    "check_trainable_metric",
    "into_metric_box",
    "default_chunk_size",
    "keep_in_metric_domain",
    "metric_cdist",
    "outside_metric_domain",
]


#: Data metrics accepted for the BMU search (``scipy.spatial.distance.cdist`` names).
METRICS: tuple[str, ...] = (
    "euclidean",
    "sqeuclidean",
    "chebyshev",
    "cityblock",
    "minkowski",
    "cosine",
    "correlation",
    "braycurtis",
    "canberra",
    "jensenshannon",
    "hamming",
    "jaccard",
    "dice",
    "rogerstanimoto",
    "russellrao",
    "sokalsneath",
    "yule",
)
#: Extra spellings.
METRIC_ALIASES: dict[str, str] = {"manhattan": "cityblock", "l2": "euclidean", "l1": "cityblock"}

# Bytes of one float32 comparison block (chunk rows x M): 1 MiB stays in L2 between the
# product that writes it and the argmin that reads it (measured 10-20 % faster than 4 MiB).
_BLOCK_BYTES = 1 << 20
# Small data (at most this many bytes of float32 scores in all) are searched as one block when
# no chunk_size is given: there each block's multi-threaded GEMM call costs more than the cache
# misses of a larger block (digits, 1797 x 64 on 20 x 20: one block 0.56 ms, three 0.62 ms)
_WHOLE_BLOCK_BYTES = 1 << 23

_distance = LazyModule("scipy.spatial.distance")


def cdist(XA: np.ndarray, XB: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """:func:`scipy.spatial.distance.cdist` (scipy.spatial imported on first use)."""
    return _distance.cdist(XA, XB, metric=metric)


def check_metric(metric: object, name: str = "distance_metric") -> str:
    """Return the canonical metric name or raise a ``ValueError`` listing the allowed names."""
    return check_choice(name, metric, METRICS, METRIC_ALIASES)


#: The metrics whose distances are undefined for some vectors (see :func:`outside_metric_domain`).
DOMAIN_METRICS = ("cosine", "correlation", "jensenshannon", "dice")
#: The metrics scipy computes on booleans (every non-zero value is True) or on exact equality
#: (``hamming``): they rank given vectors (:func:`somwidget.bmu.find_bmus`), but not a SOM's
#: prototypes, which are averages of the data (0.3 of the way between 0 and 1 reads as True,
#: so every sample would find the same units); see :func:`check_trainable_metric`.
BOOLEAN_METRICS = ("hamming", "jaccard", "rogerstanimoto", "russellrao", "sokalsneath", "yule")


def into_metric_box(metric: str, codebook: np.ndarray) -> np.ndarray:
    """An initial codebook moved into ``metric``'s domain where that is a box: ``dice``'s
    [0, 1] (a PCA initialisation of binary data reaches past it); unchanged otherwise."""
    if metric == "dice":
        return np.clip(codebook, 0.0, 1.0)
    return codebook


def check_trainable_metric(metric: str) -> str:
    """``metric`` if a SOM can train with it; a ValueError naming the alternatives for the
    :data:`BOOLEAN_METRICS`."""
    if metric in BOOLEAN_METRICS:
        raise ValueError(
            f"distance_metric={metric!r} compares vectors as booleans (scipy reads every non-zero "
            "value as True{}), but a SOM's prototypes are averages of the data (0.3 between 0 "
            "and 1), which it would all read alike: every sample would find the same units. "
            "For binary data use 'dice' (it weighs fractions between 0 and 1), 'cityblock' "
            "(the Hamming distance of 0/1 vectors, times the number of features) or "
            "'euclidean'".format("" if metric != "hamming" else ", or counts unequal values")
        )
    return metric


def outside_metric_domain(metric: str, X: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The rows of ``X`` on which ``metric`` gives NaN or infinite distances (missing values
    ignored), and why; ``(None, "")`` for a metric defined everywhere.

    ``cosine`` needs no all-zero row, ``correlation`` no row whose values are all equal (so at
    least 2 features), ``jensenshannon`` (a distance between distributions) at least 2 features
    and non-negative rows with a positive sum, ``dice`` (between binary or fuzzy membership
    vectors) values in [0, 1].
    """
    if metric not in DOMAIN_METRICS:
        return None, ""
    with np.errstate(invalid="ignore"):
        if metric == "cosine":
            bad = ~(np.sqrt(np.nansum(X * X, axis=1)) > 0)  # also a norm that underflows
            why = "all-zero rows, whose angle to anything is undefined"
        elif metric == "correlation":
            centred = X - np.nanmean(X, axis=1, keepdims=True)
            bad = ~(np.sqrt(np.nansum(centred * centred, axis=1)) > 0)
            why = ("rows whose values are all equal (a correlation needs variation across at "
                   "least 2 features)")
        elif metric == "dice":
            bad = (np.nanmin(X, axis=1) < 0) | (np.nanmax(X, axis=1) > 1)
            why = ("values outside [0, 1] (it compares binary or fuzzy membership vectors, with "
                   "negative values its distances are negative; normalization='minmax' maps the "
                   "data there)")
        elif X.shape[1] < 2:
            bad = np.ones(X.shape[0], dtype=bool)
            why = ("rows of a single feature (every one is the same distribution; it compares "
                   "distributions over at least 2 features)")
        else:
            bad = (np.nanmin(X, axis=1) < 0) | ~(np.nansum(X, axis=1) > 0)
            why = "rows with negative values or a zero sum (it compares probability distributions)"
    return bad, why


def check_metric_domain(metric: str, X: np.ndarray, name: str = "X", hint: str = "") -> None:
    """Refuse data on which ``metric`` gives NaN or infinite distances (missing values ignored;
    the rows :func:`outside_metric_domain` finds).

    Raises
    ------
    ValueError
        Naming ``distance_metric``, ``name``, the offending rows and ``hint``.
    """
    if metric not in DOMAIN_METRICS or X.size == 0:
        return
    bad, why = outside_metric_domain(metric, X)
    if bad is not None and bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"distance_metric={metric!r} cannot compare {name}: it has {rows.size} {why} "
            f"(rows {rows[:5].tolist()}{', ...' if rows.size > 5 else ''}); its distances would "
            f"be NaN or infinite{hint}"
        )


def keep_in_metric_domain(metric: str, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """``new`` (an updated codebook), with each prototype the update put outside ``metric``'s
    domain (a zero vector under the cosine distance, ...) back at its vector in ``old``, where
    every distance is defined: a batch update averages data, and data that cancel out (-1 and 1)
    would leave a prototype that no sample can be compared with. ``new`` unchanged otherwise."""
    if metric not in DOMAIN_METRICS or new.size == 0:
        return new
    bad, _ = outside_metric_domain(metric, new)
    if bad is not None and bad.any():
        new = new.copy()
        new[bad] = old[bad]
    return new


def metric_cdist(A: np.ndarray, B: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """:func:`scipy.spatial.distance.cdist`, except that for ``jensenshannon`` the NaN scipy
    returns for two equal distributions with zero entries (the square root of a rounding error
    below 0) is the distance 0 it stands for (the BMU search, the U-matrix and the online loop
    all use this)."""
    d = cdist(A, B, metric=metric)
    if metric == "jensenshannon":
        np.nan_to_num(d, copy=False, nan=0.0)
    return d


def default_chunk_size(n_neurons: int) -> int:
    """Rows per chunk so that one float32 ``rows x n_neurons`` block is about 1 MiB
    (:data:`_BLOCK_BYTES`; 256 to 65536 rows)."""
    return min(max(_BLOCK_BYTES // (4 * max(int(n_neurons), 1)), 256), 65536)


def _resolve_chunk(chunk_size: int | None, n_neurons: int) -> int:
    if chunk_size is None:
        return default_chunk_size(n_neurons)
    return check_int("chunk_size", chunk_size, minimum=1)


def search_chunk(chunk_size: int | None, n_rows: int, n_neurons: int) -> int:
    """Rows per block of a Euclidean search of ``n_rows`` rows: the given ``chunk_size``, else
    all of them when their scores fit in :data:`_WHOLE_BLOCK_BYTES`, else
    :func:`default_chunk_size` (worker threads cap their blocks at 1 MiB of scores anyway,
    :func:`somwidget._block_threads.worker_rows`)."""
    if chunk_size is None and 4 * int(n_rows) * max(int(n_neurons), 1) <= _WHOLE_BLOCK_BYTES:
        return max(int(n_rows), 1)
    return _resolve_chunk(chunk_size, n_neurons)


def _smallest_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k smallest values per row, sorted ascending, ties by lower index
    first (as ``np.argsort(values, kind="stable")[:, :k]``; NaN last).

    For ``k < M`` one ``argpartition``, whose k candidates are sorted by (value, index); the
    rows where more than k entries are at most the k-th smallest value (a tie at it, among
    which ``argpartition`` picks arbitrarily) or fewer (a NaN among the k smallest) are sorted
    whole instead."""
    if k == 1:
        return np.argmin(values, axis=1)[:, None]
    m = values.shape[1]
    if k >= m or values.shape[0] == 0:
        return np.argsort(values, axis=1, kind="stable")[:, :k]
    part = np.argpartition(values, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(values, part[:, k - 1 : k], axis=1)  # the k-th smallest value
    part.sort(axis=1)
    vals = np.take_along_axis(values, part, axis=1)
    order = np.argsort(vals, axis=1, kind="stable")
    out = np.take_along_axis(part, order, axis=1)
    redo = np.flatnonzero(np.count_nonzero(values <= kth, axis=1) != k)
    if redo.size:
        out[redo] = np.argsort(values[redo], axis=1, kind="stable")[:, :k]
    return out
