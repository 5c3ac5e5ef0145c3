"""Checks of cluster ids and clusterings, shared by :mod:`somwidget.clustering`, the SOM and the
views: one integer id ``0 .. k-1`` per neuron, and a clustering that belongs to the map it is
used with.

:func:`check_clustering` is what a caller given ``clusters=`` (a :class:`MapClustering` or a
plain array of ids) runs before using the ids on a map: it refuses a clustering computed on
another lattice (a 4 x 4 map's clustering on a 2 x 8 map has the right number of ids, all of
them meaningless there) and ids that are not non-negative integers. The checks of
:func:`somwidget.clustering.cluster_codebook`'s own arguments (the codebook, the number of
clusters and the range of k searched) are here too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .euclidean import pow2_scale
from .lattice import Lattice, check_lattice
from .validation import check_array, check_int

__all__ = [
    "check_cluster_ids",
    "check_clustering",
    "check_n_clusters",
    "count_distinct_rows",
    "default_max_clusters",
    "scaled_codebook",
    "search_range",
]


def default_max_clusters(n_neurons: int) -> int:
    """``min(round(sqrt(M)), 20)``, at least 2 and at most ``M - 1``: the largest k tried."""
    m = int(n_neurons)
    return max(2, min(int(round(math.sqrt(m))), 20, m - 1))


def check_cluster_ids(name: str, labels: Any, n_neurons: int) -> np.ndarray:
    """One integer cluster id per neuron, as a new int64 array of shape ``(n_neurons,)``.

    Integer arrays are taken as they are; float arrays whose values are all integers (ids read
    back from a table) are converted. The largest id gives the number of clusters ``k``.

    Parameters
    ----------
    name : str
        Parameter name used in the messages (``"labels"``, ``"clusters"``).
    labels : array-like (M,)
        The ids.
    n_neurons : int
        The number of neurons M of the map.

    Returns
    -------
    ndarray of int64, shape (M,)

    Raises
    ------
    TypeError
        Booleans, strings or other non-numbers.
    ValueError
        A wrong shape, NaN, a fractional or a negative id.
    """
    lab = np.asarray(labels)
    m = int(n_neurons)
    allowed = f"{name} must hold integer cluster ids 0..k-1, one per neuron ({m})"
    if lab.shape != (m,):
        raise ValueError(f"{allowed}; got shape {lab.shape}")
    if lab.dtype.kind == "O":
        try:
            lab = lab.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{allowed}; got an array of dtype object holding non-numbers") from None
    if lab.dtype.kind not in "iuf":
        raise TypeError(f"{allowed}; got an array of dtype {lab.dtype}")
    if lab.dtype.kind == "f":
        bad = ~np.isfinite(lab) | (lab != np.round(lab))
        if bad.any():
            raise ValueError(f"{allowed}; got {float(lab[np.argmax(bad)])!r}")
    if lab.size and lab.min() < 0:
        raise ValueError(f"{allowed}; got the id {lab.min()!r}")
    if lab.dtype.kind == "u" and lab.size and lab.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{allowed}; got the id {lab.max()!r}")
    return lab.astype(np.int64)


def _describe(lattice: Lattice) -> str:
    text = repr(lattice)
    if "rect" in lattice.kind:  # 4- or 8-neighbour adjacency tells two rect maps apart
        text = f"{text[:-1]}, rect_adjacency={lattice.rect_adjacency})"
    return text


def check_clustering(clusters: Any, lattice: Lattice, name: str = "clusters") -> np.ndarray:
    """The cluster id of every neuron of ``lattice`` from ``clusters``, checked (int64, (M,)).

    Parameters
    ----------
    clusters : MapClustering or array-like (M,) of int
        A clustering (``som.cluster(...)``), which must have been computed on a map of this
        lattice (same rows, columns, kind and adjacency), or the ids themselves
        (:func:`check_cluster_ids`).
    lattice : Lattice
        The map the ids are used on (``som.lattice_``).
    name : str
        Parameter name used in the messages.

    Returns
    -------
    ndarray of int64, shape (M,)
    """
    check_lattice(lattice)
    # a MapClustering (or any clustering that records its lattice), told by its attributes:
    # somwidget.clustering, which defines it, imports this module
    if isinstance(getattr(clusters, "lattice", None), Lattice) and hasattr(clusters, "labels_"):
        if clusters.lattice != lattice:
            raise ValueError(
                f"{name} was computed on {_describe(clusters.lattice)} but this map is "
                f"{_describe(lattice)}; cluster this map (som.cluster(...)) instead"
            )
        clusters = clusters.labels_
    return check_cluster_ids(name, clusters, lattice.n_neurons)


def count_distinct_rows(a: np.ndarray) -> int:
    """Number of distinct rows of a 2-D float array (``-0.0`` equals ``0.0``; no NaN)."""
    if a.shape[0] == 0:
        return 0
    s = a[np.lexsort(a.T[::-1])] if a.shape[1] else a[:1]
    return 1 + int(np.count_nonzero(np.any(s[1:] != s[:-1], axis=1)))


def scaled_codebook(codebook: Any, n_neurons: int) -> tuple[np.ndarray, float, np.ndarray, int]:
    """The checked codebook, its power-of-two scale, the codebook divided by it and the number
    of its distinct rows.

    Dividing by the power of two :func:`~somwidget.euclidean.pow2_scale` of the largest
    magnitude is exact and brings every entry to at most 1: the clustering then neither
    overflows (squares beyond 1e154) nor underflows (below 1e-154).

    Parameters
    ----------
    codebook : array-like (M, D)
        Finite numbers, at least one feature.
    n_neurons : int
        M.

    Returns
    -------
    (ndarray (M, D), float, ndarray (M, D), int)
    """
    m = int(n_neurons)
    cb, _ = check_array("codebook", codebook, nan_hint="train the map first")
    if cb.shape[0] != m:
        raise ValueError(f"codebook must have shape (n_neurons={m}, D); got {cb.shape}")
    scale = pow2_scale(float(np.abs(cb).max()))
    cbs = cb / scale
    return cb, scale, cbs, count_distinct_rows(cbs)


def _vectors(n: int) -> str:
    return f"{n} distinct codebook vector{'' if n == 1 else 's'}"


def check_n_clusters(n_clusters: object, max_clusters: object, n_neurons: int,
                     distinct: int) -> int:
    """``n_clusters`` as an int in ``1 .. min(M, distinct)``, where ``distinct`` is the number
    of distinct codebook vectors (more clusters would split equal vectors arbitrarily), with
    ``max_clusters`` None."""
    if max_clusters is not None:
        raise ValueError("give n_clusters or max_clusters, not both "
                         "(max_clusters bounds the search when n_clusters=None)")
    k = check_int("n_clusters", n_clusters, minimum=1)
    if k > n_neurons:
        raise ValueError(f"n_clusters must be <= the number of neurons ({n_neurons}); got {k}")
    if k > distinct:
        raise ValueError(
            f"n_clusters={k} exceeds the {_vectors(distinct)} of this map: more clusters than "
            "distinct prototypes would split equal vectors arbitrarily (was the map trained on "
            f"constant data?); give n_clusters <= {distinct}")
    return k


def search_range(max_clusters: object, n_neurons: int, distinct: int) -> list[int]:
    """The k tried when ``n_clusters`` is None: ``2 .. min(max_clusters, distinct)``
    (``max_clusters`` default :func:`default_max_clusters`, at most M - 1)."""
    m = int(n_neurons)
    if m < 3:
        raise ValueError(f"choosing n_clusters needs a map of at least 3 neurons; this one has {m}: "
                         "give n_clusters")
    if distinct < 3:
        raise ValueError(
            f"choosing n_clusters needs at least 3 distinct codebook vectors; this map has "
            f"{distinct} (was it trained on constant data?): give n_clusters <= {distinct}")
    top = default_max_clusters(m) if max_clusters is None else check_int(
        "max_clusters", max_clusters, minimum=2)
    if top > m - 1:
        raise ValueError(f"max_clusters must be <= n_neurons - 1 = {m - 1}; got {top}")
    return list(range(2, min(top, distinct) + 1))
