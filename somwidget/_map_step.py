"""The map step of a batch epoch: BMUs and per-unit sums and counts of a block of data.

:func:`block_sums` is the map step every batch epoch runs (in memory, per Dask partition, on a
device; :func:`somwidget.training.batch_update` is the reduce step), :func:`unit_sums` the sums
for given BMUs; both are re-exported by :mod:`somwidget.training`.

In memory with the Euclidean metric it runs on every core (:func:`bmus_and_sums`): one batch
epoch is a float32 GEMM per block of rows, the argmin of each row and the per-unit sums of the
rows by BMU. The blocks are shared among
worker threads (:func:`somwidget._block_threads.run_blocks`, BLAS single-threaded in each):

* each worker searches its blocks with :func:`somwidget._training_search.argmin_block` (GEMM, argmin,
  the float32 error check and its float64 fallback) in its own score buffer, kept between
  epochs;
* with numba (``somwidget[fast]``) it adds each block's rows into its own float64 ``M x D``
  sums right after, :func:`somwidget.backend.block_sums` with ``out`` (whose compiled
  scatter-add runs without the GIL and reads float32 rows as they are); the partial sums are
  added at the end, in worker order. Without numba the sums are one ``block_sums`` after the
  search.

The BMUs equal the serial search's (the same float32 products per row); the sums differ from
it only in the order of the float64 additions, and a run is deterministic for a given number
of threads.

A search that carries the principal plane of its codebook (the first epoch from a PCA
initialisation, :mod:`somwidget._principal_plane`) finds the BMUs in that plane instead, the
rows it cannot confirm with the GEMM search, and adds the sums after.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import _blas_threads, _block_threads, _sums_jit
from . import backend as _backend
from ._bmu_common import search_chunk
from ._principal_plane import plane_bmus
from ._training_search import (
    BlockBuffers,
    PreparedQueries,
    argmin_block,
    argmin_units,
    matching_prepared,
)
from .bmu import as_float_array, nearest_units
from .euclidean import EuclideanSearch, _extent

__all__ = ["block_sums", "bmus_and_sums", "unit_sums"]

_local = threading.local()


def _buffers(rows: int, d: int, m: int, prepared: PreparedQueries | None) -> BlockBuffers:
    """The calling worker's own scratch (kept between epochs while the shapes hold)."""
    buf = getattr(_local, "buffers", None)
    if (buf is None or buf.gbuf.shape != (rows, m) or (buf.qbuf is None) != (prepared is not None)
            or (buf.qbuf is not None and buf.qbuf.shape != (rows, d + 1))):
        buf = BlockBuffers(rows, d, m, prepared, own=True)
        _local.buffers = buf
    return buf


def _planar_bmus(X: np.ndarray, search: EuclideanSearch, chunk: int,
                 rtol: float) -> np.ndarray | None:
    """The BMUs from the search's principal plane, the rows it leaves unsure searched as usual
    (None: no plane search here, see :func:`somwidget._principal_plane.plane_bmus`)."""
    extent = search.data_extent if search.data_extent is not None else _extent(X, search.center)
    got = plane_bmus(search.plane, X, extent, search.center, rtol)
    if got is None:
        return None
    bmus, unsure = got
    if unsure.size:
        bmus[unsure] = argmin_units(X[unsure], search, chunk, rtol)
    return bmus


def bmus_and_sums(
    X: np.ndarray, search: EuclideanSearch, chunk: int, rtol: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BMUs (N,) intp, per-unit sums (M, D) float64 and counts (M,) float64 of ``X``.

    The BMUs are those of :func:`somwidget._training_search.argmin_units` (``chunk`` rows per block at
    most), the sums those of :func:`somwidget.backend.block_sums`, computed on as many threads
    as the BLAS pool has (module notes).
    """
    n, d = X.shape
    m = search.W.shape[0]
    ns = _backend.get_namespace(X)
    if search.plane is not None:  # a PCA initial codebook: the search in its plane
        planar = _planar_bmus(X, search, chunk, rtol)
        if planar is not None:
            S, counts = _backend.block_sums(ns, X, planar, m)
            return planar, S, counts
    bmus = np.empty(n, dtype=np.intp)
    prepared = matching_prepared(search, n)
    rows, threads = _block_threads.plan(n, _block_threads.worker_rows(chunk, m), m * (d + 1))
    # on worker threads, with the compiled scatter-add, each block's sums follow its search (no
    # copy of the block); a serial (small) search loads no numba (somwidget._sums_jit)
    per_block = threads > 1 and _sums_jit.kernel() is not None
    partial = [(np.zeros((m, d)), np.zeros(m)) for _ in range(threads if per_block else 0)]
    searches = [search if k == 0 else search.for_worker() for k in range(threads)]

    def work(k: int, s: int, e: int) -> None:
        argmin_block(X, s, e, searches[k], prepared,
                     _buffers(rows, d, m, prepared), bmus, rtol)
        if per_block:
            _backend.block_sums(ns, X[s:e], bmus[s:e], m, out=partial[k])

    if _block_threads.run_blocks(n, rows, work, threads):
        if per_block:
            S, counts = partial[0]
            for P, c in partial[1:]:
                S += P
                counts += c
            return bmus, S, counts
    else:  # one thread: its GEMMs get the BLAS pool's threads (also inside a training's hold)
        buf = BlockBuffers(min(chunk, max(n, 1)), d, m, prepared)
        with _blas_threads.released():
            for s in range(0, n, chunk):
                argmin_block(X, s, min(s + chunk, n), search, prepared, buf, bmus, rtol)
    S, counts = _backend.block_sums(ns, X, bmus, m)
    return bmus, S, counts


def unit_sums(
    X: np.ndarray, bmus: np.ndarray, n_neurons: int, chunk_rows: int = 1 << 15
) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit data sums ``S`` (M, D) float64 and counts ``n`` (M,) for the given BMUs.

    ``X`` may be float32: it is accumulated in float64 block by block (``chunk_rows`` rows at a
    time), never converted whole. The sums are :func:`somwidget.backend.block_sums` with the
    namespace of ``X`` (the code Dask partitions and the device path run).
    """
    ns = _backend.get_namespace(X)
    return _backend.block_sums(ns, X, np.asarray(bmus, dtype=np.intp) if ns.name == "numpy"
                               else bmus, n_neurons, chunk_rows)


def block_sums(
    X: Any,
    codebook: np.ndarray,
    *,
    metric: str = "euclidean",
    chunk_size: int | None = None,
    search: Any = None,
    center: np.ndarray | None = None,
    ns: Any = None,
    plane: Any = None,
) -> tuple[Any, Any, Any]:
    """BMUs and per-neuron sums and counts for one block of data: the map step of a batch epoch.

    Every batch epoch is ``block_sums`` over the data (in one piece in memory, per partition on
    Dask with the sums and counts tree-reduced, or on a device) followed by
    :func:`batch_update` on the totals, so all of them run this one kernel: the BMUs, then
    :func:`somwidget.backend.block_sums` in the array namespace of ``X``.

    Parameters
    ----------
    X : array (n, D), float32 or float64
        One block of training-space data (read in its own dtype, no copy): a numpy array, or
        an array of ``ns`` (CuPy, PyTorch).
    codebook : ndarray (M, D)
    metric : str
        Data metric (canonical name; the Euclidean one only off numpy).
    chunk_size : int, optional
        Rows per BMU block.
    search : somwidget.euclidean.EuclideanSearch, optional
        numpy: the codebook prepared for the exact Euclidean search (centre and data extent of
        the whole data set, so every block is searched alike); built from ``codebook`` (and
        ``center``) when missing.
    center : ndarray (D,), optional
        The centre of the search when no ``search`` is given (default: the codebook mean; a
        Dask partition passes the training-space mean).
    ns : somwidget.backend.Namespace, optional
        The array namespace (default: that of ``X``). With numpy the BMUs are the exact search
        of :func:`somwidget.bmu.nearest_units`; with another library (a GPU) the float32
        augmented product :func:`somwidget.backend.block_bmus`.
    plane : somwidget._principal_plane.PrincipalPlane, optional
        numpy, Euclidean: the plane ``codebook`` lies in (the caller checked
        :meth:`~somwidget._principal_plane.PrincipalPlane.describes`): the BMUs are found in it
        (:func:`bmus_and_sums`).

    Returns
    -------
    sums : array (M, D) float64 of ``ns``
        Per-unit sum of the samples whose BMU the unit is.
    counts : array (M,) float64 of ``ns``
        Per-unit number of those samples.
    bmus : array (n,) of integer indices of ``ns``
    """
    ns = _backend.get_namespace(X) if ns is None else ns
    m = codebook.shape[0]
    if ns.name == "numpy":
        if metric == "euclidean":  # BMUs and sums on every core (bmus_and_sums)
            if search is None:
                search = EuclideanSearch(codebook, center)
            if plane is not None:
                search.plane = plane
            X = as_float_array(X)
            bmus, S, counts = bmus_and_sums(
                X, search, search_chunk(chunk_size, X.shape[0], m))
            return S, counts, bmus
        bmus = nearest_units(X, codebook, metric=metric, chunk_size=chunk_size, search=search)
    else:
        if metric != "euclidean":
            raise ValueError(f"the {ns.name} namespace supports distance_metric='euclidean' "
                             f"only; got {metric!r}")
        c = np.zeros(codebook.shape[1]) if center is None else np.asarray(center, dtype=np.float64)
        WaT = ns.asarray(_backend.augmented_codebook(codebook, c))
        bmus = _backend.block_bmus(ns, X, WaT, ns.asarray(c, dtype=ns.float64), chunk_size)
    S, counts = _backend.block_sums(ns, X, bmus, m)
    return S, counts, bmus
