"""Out-of-core and distributed SOM training, prediction and metrics on Dask collections.

Everything here reads the data partition by partition (the rows of a Dask array, the partitions of
a Dask DataFrame) and sends back only small, additive summaries, so the data never has to fit in
the client's memory:

* **moments** (count, mean, centred D x D cross-products, min, max) per partition, combined with
  the pairwise update of Chan et al.; the normaliser's parameters come from the moments of the raw
  data, the PCA initialisation (mean and covariance, ``ddof=1``), the ``"auto"`` map size and the
  data box from those of the training-space data;
* **one batch epoch**: per partition the BMUs of the current codebook (the float32 search of
  :func:`somwidget.backend.block_bmus`, centred on the training-space mean) and the per-neuron sums
  and counts :func:`~somwidget.backend.block_sums`, stacked as an (M, D + 1) array and summed in
  a tree (fan-in 8); the neighbourhood smoothing and the update run once on the client
  (:mod:`somwidget.scale.loop`). Traffic per epoch is O(partitions x M x D), independent of N;
* **metrics**: quantisation error, topographic error, vacancy rate and hit counts from one
  best-two search per partition (:func:`somwidget.bmu.find_bmus` with ``k=2``), cached for the
  current codebook and collection;
* ``predict`` / ``transform`` return lazy Dask arrays (``map_blocks``).

The same initialisation and data give the same codebook as in-memory training (to float
tolerance): the per-partition search and sums are the in-memory ones applied to row blocks, and
the subsample of each epoch is drawn from the same generator. ``dask.compute`` runs the graphs, so
the threaded scheduler is used by default and a ``distributed.Client``, when one is active, runs
them on its workers. Box-Cox normalisation (a likelihood fit per feature) is not available here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import analysis
from .. import backend as _backend
from ..bmu import find_bmus
from ..initialization import _axis_coords
from ..lattice import Lattice
from ..normalization import Normalizer, make_normalizer
from ..validation import check_array
from ._optional import require_dask

__all__ = [
    "DaskData",
    "Moments",
    "as_dask_array",
    "initialize",
    "metrics",
    "moments",
    "predict",
    "prepare",
    "transform",
]

#: Normalisations whose parameters come from reduced moments.
DASK_NORMALIZATIONS = ("none", "standard", "minmax", "l2", "log", "logistic")
_FAN_IN = 8


# ---------------------------------------------------------------------------------- input
def as_dask_array(X: Any, name: str = "X", n_features: int | None = None) -> tuple[Any, list[str] | None]:
    """A 2-D Dask array chunked along the rows only, and the column names of a DataFrame."""
    require_dask()
    import dask.array as da
    import dask.dataframe as dd

    names: list[str] | None = None
    if isinstance(X, dd.Series):
        raise ValueError(f"{name} must be 2-D (samples x features); got a Dask Series. "
                         f"Use {name}.to_frame() for a single feature.")
    if isinstance(X, dd.DataFrame):
        import pandas as pd

        bad = [c for c, t in X.dtypes.items()
               if not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)]
        if bad:
            raise ValueError(f"{name} has non-numeric columns {bad}; drop them (e.g. labels) or "
                             "encode them first")
        names = [str(c) for c in X.columns]
        arr = X.to_dask_array()
    elif isinstance(X, da.Array):
        arr = X
        if arr.dtype == object or arr.dtype.kind in "USbc":
            raise ValueError(f"{name} must be real-valued numbers; got a Dask array of dtype {arr.dtype}")
    else:
        raise TypeError(f"{name} must be a Dask array or DataFrame; got {type(X).__name__}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features); got {arr.ndim}-D shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the model was fitted with {n_features}")
    if arr.numblocks[1] != 1:
        arr = arr.rechunk({1: -1})
    return arr, names


def _blocks(arr: Any) -> list[Any]:
    return list(arr.to_delayed().ravel())


def _check_block(block: Any, n_features: int) -> np.ndarray:
    return check_array("X", np.asarray(block), n_features=n_features, min_samples=0)[0]


def _training_block(block: Any, n_features: int, normalizer: Normalizer | None,
                    check: bool = True) -> np.ndarray:
    """One partition in training space. ``check=False`` (the epochs, after the moments pass of
    the same call has checked every partition) skips the finiteness scan."""
    if check:
        x = _check_block(block, n_features)
    else:
        x = np.asarray(block, dtype=np.float64)
    if normalizer is None or normalizer.name == "none":
        return x
    return np.ascontiguousarray(normalizer._transform(x))


def _tree(parts: list[Any], combine: Any) -> Any:
    from dask import delayed

    while len(parts) > 1:
        parts = [delayed(combine)(*parts[i:i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)]
    return parts[0]


def _add(*arrays: np.ndarray) -> np.ndarray:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return out


def _compute(*graphs: Any) -> tuple:
    """``dask.compute``; on the threaded scheduler with BLAS limited to one thread per task (the
    partitions already run on every core: nested BLAS threads only oversubscribe them)."""
    require_dask()
    import dask
    import dask.threaded
    from dask.base import get_scheduler

    if get_scheduler() is dask.threaded.get:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return dask.compute(*graphs)
    return dask.compute(*graphs)


# ---------------------------------------------------------------------------------- moments
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


def _fit_normalizer(name: str, arr: Any) -> Normalizer:
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


# ---------------------------------------------------------------------------------- data source
@dataclass
class DaskData:
    """Training-space view of a Dask collection for :mod:`somwidget.scale.loop` and the metrics."""

    arr: Any
    normalizer: Normalizer
    stats: Moments
    counts: np.ndarray
    metric: str
    chunk_size: int | None = None
    names: list[str] | None = None
    blocks: list[Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.blocks = _blocks(self.arr)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.stats.n), int(self.arr.shape[1]))

    def _local_rows(self, rows: np.ndarray | None) -> list[np.ndarray | None]:
        if rows is None:
            return [None] * len(self.blocks)
        lo = np.searchsorted(rows, self.offsets[:-1])
        hi = np.searchsorted(rows, self.offsets[1:])
        return [rows[a:b] - o for a, b, o in zip(lo, hi, self.offsets[:-1], strict=True)]

    def sums(self, codebook: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-neuron sums (M, D) and counts (M,) of the samples ``rows`` (all when None)."""
        require_dask()
        from dask import delayed

        d = self.shape[1]
        center = self.stats.mean
        WaT = _backend.augmented_codebook(codebook, center) if self.metric == "euclidean" else None
        cb = delayed(np.asarray(codebook, dtype=np.float64), pure=True)
        wa = delayed(WaT, pure=True)
        parts = [
            delayed(_block_epoch)(b, d, self.normalizer, self.metric, cb, wa, center, r, self.chunk_size)
            for b, r in zip(self.blocks, self._local_rows(rows), strict=True)
            if r is None or r.size
        ]
        (total,) = _compute(_tree(parts, _add))
        return total[:, :d], total[:, d]

    def epoch_metrics(self, som: Any) -> dict[str, float]:
        """QE, TE and vacancy after an epoch (the cached pass the metric calls then reuse)."""
        m = metrics(som) if som._dask_train is self else _compute_metrics(som, self)
        return {k: m[k] for k in ("quantization_error", "topographic_error", "vacancy_rate")}


def _block_epoch(block: Any, d: int, normalizer: Normalizer, metric: str, codebook: np.ndarray,
                 WaT: np.ndarray | None, center: np.ndarray, rows: np.ndarray | None,
                 chunk_size: int | None) -> np.ndarray:
    x = _training_block(block, d, normalizer, check=False)
    if rows is not None:
        x = x[rows]
    m = codebook.shape[0]
    out = np.zeros((m, d + 1))
    if x.shape[0] == 0:
        return out
    ns = _backend.get_namespace(x)
    if metric == "euclidean":
        bmus = _backend.block_bmus(ns, x, ns.asarray(WaT), ns.asarray(center), chunk_size)
    else:
        bmus = find_bmus(x, codebook, metric=metric, k=1, chunk_size=chunk_size)[0][:, 0]
    S, counts = _backend.block_sums(ns, x, bmus, m)
    out[:, :d] = ns.to_numpy(S)
    out[:, d] = ns.to_numpy(counts)
    return out


# ---------------------------------------------------------------------------------- initialisation
def _eigen(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    import math

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


def _take(block: Any, d: int, normalizer: Normalizer, rows: np.ndarray) -> np.ndarray:
    return _training_block(block, d, normalizer)[rows]


def _sample_rows(data: DaskData, idx: np.ndarray) -> np.ndarray:
    dask = require_dask()
    from dask import delayed

    uniq, inverse = np.unique(idx, return_inverse=True)
    local = data._local_rows(uniq)
    parts = [delayed(_take)(b, data.shape[1], data.normalizer, r)
             for b, r in zip(data.blocks, local, strict=True) if r.size]
    got = np.concatenate(dask.compute(*parts), axis=0)
    return got[inverse]


def _initial_codebook(method: str, data: DaskData, lattice: Lattice, rng: np.random.Generator) -> np.ndarray:
    n, d = data.shape
    m = int(lattice.n_neurons)
    st = data.stats
    if method == "random":
        return rng.uniform(st.lo, st.hi, size=(m, d))
    if method == "random_negative":
        return rng.uniform(-1.0, 1.0, size=(m, d))
    if method == "sample":
        return _sample_rows(data, rng.choice(n, size=m, replace=n < m))
    vals, vecs = _eigen(st.covariance)
    return pca_codebook(st.mean, vals, vecs, lattice)


def _check_names(som: Any, names: list[str] | None, name: str = "X") -> None:
    if names is not None and getattr(som, "_names_from_frame", False) and names != list(som.feature_names_in_):
        raise ValueError(f"{name} has columns {names}, but the model was fitted with "
                         f"{list(som.feature_names_in_)}")


def _source(som: Any, arr: Any, names: list[str] | None, normalizer: Normalizer) -> DaskData:
    if som._validated().get("missing", "raise") != "raise":
        raise ValueError("missing='ignore' is not available for Dask input: its partitions must "
                         "be complete (no NaN); fill or drop the missing values first")
    stats, counts = moments(arr, normalizer)
    if stats.n < 1:
        raise ValueError("X must have at least 1 sample(s); got 0")
    return DaskData(arr, normalizer, stats, counts, som._validated()["distance_metric"],
                    som.chunk_size, names)


def initialize(som: Any, X: Any) -> Any:
    """``SOM.initialize`` for a Dask collection: normaliser, map size and codebook from reduced
    moments (one pass over the data, two when the normaliser has parameters)."""
    p = som._validated()
    arr, names = as_dask_array(X)
    rs = p["random_state"]
    rng = rs if isinstance(rs, np.random.Generator) else np.random.default_rng(rs)
    normalizer = _fit_normalizer(p["normalization"], arr)
    data = _source(som, arr, names, normalizer)
    if p["mapsize"] == "auto":
        rows, cols = auto_mapsize_from(data.shape[0], _eigen(data.stats.covariance)[0], p["lattice"])
    else:
        rows, cols = p["mapsize"]
    lattice = Lattice(rows, cols, p["lattice"], rect_adjacency=p["rect_adjacency"])
    codebook = _initial_codebook(p["initialization"], data, lattice, rng)
    som._set_fitted(codebook=codebook, lattice=lattice, normalizer=normalizer, feature_names=names,
                    random_state=rng, training_data=None, data_bounds=(data.stats.lo, data.stats.hi))
    som._dask_train = data
    return som


def prepare(som: Any, X: Any) -> DaskData:
    """``SOM._prepare`` for a Dask collection: initialise on first use, else read ``X`` through the
    fitted normaliser (one moments pass: sample count, partition sizes, centre, data box)."""
    if not som._is_initialized() or som._structural_changed():
        som.initialize(X)
        return som._dask_train
    som._validated()
    arr, names = as_dask_array(X, n_features=som.n_features_in_)
    _check_names(som, names)
    data = _source(som, arr, names, som.normalizer_)
    hold = getattr(som, "_hold_training_data", None)
    if hold is not None:  # drop what the model held of earlier in-memory data
        hold(None)
    som._Xt = None
    som._dask_train = data
    som._bounds = (data.stats.lo, data.stats.hi, None)
    som._touch()
    return data


# ---------------------------------------------------------------------------------- results
def _block_predict(block: Any, *, d: int, normalizer: Normalizer, codebook: np.ndarray, metric: str,
                   chunk_size: int | None) -> np.ndarray:
    x = _training_block(block, d, normalizer)
    if x.shape[0] == 0:
        return np.empty(0, dtype=np.intp)
    return find_bmus(x, codebook, metric=metric, k=1, chunk_size=chunk_size)[0][:, 0]


def _block_transform(block: Any, *, d: int, normalizer: Normalizer, codebook: np.ndarray,
                     metric: str, chunk_size: int | None) -> np.ndarray:
    from ..bmu import distance_matrix

    x = _training_block(block, d, normalizer)
    return distance_matrix(x, codebook, metric=metric, chunk_size=chunk_size)


def _lazy(som: Any, X: Any, func: Any, **kw: Any) -> Any:
    som._check_initialized()
    arr, names = as_dask_array(X, n_features=som.n_features_in_)
    _check_names(som, names)
    f = functools.partial(func, d=som.n_features_in_, normalizer=som.normalizer_,
                          codebook=som.codebook_.copy(), metric=som._metric(),
                          chunk_size=som.chunk_size)
    return arr.map_blocks(f, **kw)


def predict(som: Any, X: Any) -> Any:
    """BMU index of each row, as a lazy Dask array of shape (N,) (one task per partition)."""
    return _lazy(som, X, _block_predict, dtype=np.intp, drop_axis=1)


def transform(som: Any, X: Any) -> Any:
    """Distances to every unit, a lazy Dask array of shape (N, M) float64."""
    m = som.n_neurons_ if som._is_initialized() else 0
    arr_chunks = None
    if som._is_initialized():
        arr_chunks = as_dask_array(X, n_features=som.n_features_in_)[0].chunks[0]
    return _lazy(som, X, _block_transform, dtype=np.float64, chunks=(arr_chunks, (m,)))


def _block_metrics(block: Any, d: int, normalizer: Normalizer, codebook: np.ndarray, metric: str,
                   lattice: Lattice, chunk_size: int | None) -> np.ndarray:
    """``[n, sum of BMU distances, topographic errors, hits per unit...]`` of one partition."""
    x = _training_block(block, d, normalizer)
    m = codebook.shape[0]
    out = np.zeros(3 + m)
    n = x.shape[0]
    if n == 0:
        return out
    idx, dist = find_bmus(x, codebook, metric=metric, k=min(2, m), chunk_size=chunk_size)
    out[0] = n
    out[1] = dist[:, 0].sum()
    if idx.shape[1] > 1:
        out[2] = analysis.topographic_error(idx[:, 0], idx[:, 1], lattice) * n
    out[3:] = np.bincount(idx[:, 0], minlength=m)
    return out


def _compute_metrics(som: Any, data: DaskData) -> dict[str, Any]:
    require_dask()
    from dask import delayed

    cb = delayed(som.codebook_.copy(), pure=True)
    parts = [delayed(_block_metrics)(b, data.shape[1], data.normalizer, cb, som._metric(),
                                     som.lattice_, som.chunk_size) for b in data.blocks]
    (tot,) = _compute(_tree(parts, _add))
    n = max(tot[0], 1.0)
    hits = tot[3:].astype(np.int64)
    return {
        "quantization_error": float(tot[1] / n),
        "topographic_error": float(tot[2] / n),
        "vacancy_rate": float(np.mean(hits == 0)),
        "hit_counts": hits,
    }


def metrics(som: Any, X: Any = None) -> dict[str, Any]:
    """QE, TE, vacancy rate and hit counts of ``X`` (None: the Dask training data) from one
    best-two pass, cached for the current codebook and collection."""
    som._check_initialized()
    if X is None:
        data = som._dask_train
        token: Any = "train"
    else:
        from dask.base import tokenize

        arr, names = as_dask_array(X, n_features=som.n_features_in_)
        _check_names(som, names)
        token = tokenize(arr)
        data = None
    key = (getattr(som, "_version", 0), id(som.codebook_), token)
    cache = getattr(som, "_dask_metrics", None)
    if cache is not None and cache[0] == key:
        return cache[1]
    if data is None:
        stats = Moments(0, np.zeros(0), np.zeros((0, 0)), np.zeros(0), np.zeros(0))
        data = DaskData(arr, som.normalizer_, stats, np.zeros(0, np.int64), som._metric(), som.chunk_size)
    result = _compute_metrics(som, data)
    som._dask_metrics = (key, result)
    return result
