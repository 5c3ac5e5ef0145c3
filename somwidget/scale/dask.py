"""Out-of-core and distributed SOM training, prediction and metrics on Dask collections.

Everything here reads the data partition by partition (the rows of a Dask array, the partitions of
a Dask DataFrame) and sends back only small, additive summaries, so the data never has to fit in
the client's memory:

* **moments** (count, mean, centred D x D cross-products, min, max) per partition, combined with
  the pairwise update of Chan et al.; with missing values (``SOM(missing="ignore")``) those of
  the known values, the cross-products pairwise-complete as in memory
  (:class:`~somwidget.scale.moments.Moments`). The normaliser's parameters come from the moments
  of the raw data (Box-Cox from a few likelihood passes, :mod:`somwidget.scale.boxcox`), the PCA
  initialisation (mean and covariance, ``ddof=1``), the ``"auto"`` map size and the data box from
  those of the training-space data;
* **one batch epoch**: per partition the in-memory kernel :func:`somwidget.training.block_sums`
  (the BMUs of the current codebook, the exact search centred on the training-space mean, or on
  GPU partitions :func:`somwidget.backend.block_bmus`; the per-neuron sums and counts of
  :func:`~somwidget.backend.block_sums`), stacked as an (M, D + 1) array and summed in
  a tree (fan-in 8); the neighbourhood smoothing and the update run once on the client
  (:mod:`somwidget.scale.loop`). Traffic per epoch is O(partitions x M x D), independent of N.
  With sample weights (:meth:`DaskData.with_weights`) or missing values a partition runs the
  in-memory weighted / masked step instead (:func:`somwidget.masked.general_sums`: masked BMUs,
  sums and counts per component, an (M, 2 D) array) and the client the matching update
  (:func:`somwidget.masked.update_general`); rows missing more than ``max_missing`` of their
  values are refused, the message naming the partition;
* **metrics**: quantisation error, topographic error, vacancy rate, hit counts, the quality map
  and somnium's error from one best-two search per partition (:func:`somwidget.bmu.find_bmus`
  with ``k=2``, on the known components of a row with missing values), cached for the current
  codebook, metric, missing-value policy and collection; the distortion from the in-memory sum
  per partition (:mod:`somwidget.scale.analyses`);
* **checks**: every partition read gets the in-memory checks of its training-space values (the
  training-space limit, the metric's domain: :class:`~somwidget.scale._graph.BlockDomain`), the
  error naming the partition;
* ``predict`` / ``transform`` return lazy Dask arrays (``map_blocks``).

The same initialisation and data give the same codebook as in-memory training (to float
tolerance; Box-Cox to the tolerance of its exponents, about 1e-7): the per-partition search and
sums are the in-memory ones applied to row blocks, and the subsample of each epoch is drawn from
the same generator. On millions of rows the codebooks drift apart over the epochs (1M x 32, ten
epochs: 4e-3 at most, quantisation errors 3e-6 apart): the training search accepts any winner
within ``rtol`` of the best, and near-tied rows of partitions round differently
(``docs/scale-out.md``). ``dask.compute`` runs the graphs, so the threaded scheduler is used by default
and a ``distributed.Client``, when one is active, runs them on its workers.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import analysis
from .. import backend as _backend
from .. import masked as _masked
from .. import training as _training
from .._bmu_common import into_metric_box
from .._map_memory import check_map_memory
from .._principal_plane import PrincipalPlane, pca_plane
from ..bmu import check_masked_metric, check_metric_domain, check_trainable_metric, find_bmus
from ..lattice import Lattice
from ..normalization import Normalizer
from ._graph import (
    BlockDomain,
    MissingPolicy,
    _add,
    _blocks,
    _compute,
    _training_block,
    _tree,
    as_dask_array,
    row_offsets,
)
from ._optional import require_dask
from .moments import Moments, auto_mapsize_from, eigen, fit_normalizer, moments
from .weights import weight_blocks

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


# ---------------------------------------------------------------------------------- data source
@dataclass
class DaskData:
    """Training-space view of a Dask collection for :mod:`somwidget.scale.loop` and the metrics.

    ``policy`` admits missing values (``SOM(missing="ignore")``); ``weights`` are the sample
    weights of each partition (:meth:`with_weights`), None without them.
    """

    arr: Any
    normalizer: Normalizer
    stats: Moments
    counts: np.ndarray
    metric: str
    chunk_size: int | None = None
    names: list[str] | None = None
    policy: MissingPolicy | None = None
    weights: list[Any] | None = None
    blocks: list[Any] = field(init=False, repr=False)
    base: DaskData | None = field(default=None, repr=False)
    _weighted: tuple[Any, DaskData] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.blocks = _blocks(self.arr)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.stats.n), int(self.arr.shape[1]))

    def with_weights(self, sample_weight: Any) -> DaskData:
        """This data with per-sample weights: a numpy array (split by the partitions) or a Dask
        array / Series / one-column DataFrame (rechunked to the partitions when they differ),
        checked as in memory (:func:`somwidget.scale.weights.weight_blocks`)."""
        cached = self._weighted
        if cached is not None and cached[0] is sample_weight:  # fit_auto's second phase
            return cached[1]
        blocks = weight_blocks(sample_weight, self.counts)
        out = dataclasses.replace(self, weights=blocks, base=self)
        self._weighted = (sample_weight, out)
        return out

    def _local_rows(self, rows: np.ndarray | None) -> list[np.ndarray | None]:
        if rows is None:
            return [None] * len(self.blocks)
        lo = np.searchsorted(rows, self.offsets[:-1])
        hi = np.searchsorted(rows, self.offsets[1:])
        return [rows[a:b] - o for a, b, o in zip(lo, hi, self.offsets[:-1], strict=True)]

    def sums(self, codebook: np.ndarray, rows: np.ndarray | None = None,
             plane: PrincipalPlane | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-neuron sums (M, D) and counts of the samples ``rows`` (all when None): (M,), or
        per component (M, D) when the data have missing values; weighted with ``weights``.
        ``plane``: the principal plane ``codebook`` lies in (each partition's BMUs found there,
        as in memory)."""
        require_dask()
        from dask import delayed

        d = self.shape[1]
        center = self.stats.mean
        masked = self.stats.has_missing
        cb = delayed(np.asarray(codebook, dtype=np.float64), pure=True)
        weights = self.weights if self.weights is not None else [None] * len(self.blocks)
        parts = [
            delayed(_block_epoch)(b, d, self.normalizer, self.metric, cb, center, r,
                                  self.chunk_size, w, masked, plane)
            for b, r, w in zip(self.blocks, self._local_rows(rows), weights, strict=True)
            if r is None or r.size
        ]
        (total,) = _compute(_tree(parts, _add))
        return total[:, :d], (total[:, d:] if masked else total[:, d])

    def epoch_metrics(self, som: Any) -> dict[str, float]:
        """QE, TE and vacancy after an epoch (the cached pass the metric calls then reuse)."""
        mine = som._dask_train is self or (self.base is not None and som._dask_train is self.base)
        m = metrics(som) if mine else _compute_metrics(som, self)
        return {k: m[k] for k in ("quantization_error", "topographic_error", "vacancy_rate")}


def _block_epoch(block: Any, d: int, normalizer: Normalizer, metric: str, codebook: np.ndarray,
                 center: np.ndarray, rows: np.ndarray | None,
                 chunk_size: int | None, weights: Any = None, masked: bool = False,
                 plane: PrincipalPlane | None = None) -> np.ndarray:
    x = _training_block(block, d, normalizer, check=False)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if rows is not None:
        x = x[rows]
        w = None if w is None else w[rows]
    m = codebook.shape[0]
    out = np.zeros((m, d + (d if masked else 1)))
    if x.shape[0] == 0:
        return out
    if w is not None or masked:  # weighted and / or masked sums: the in-memory general step
        S, C, _ = _masked.general_sums(x, codebook, metric=metric, chunk_size=chunk_size,
                                       sample_weight=w, known=~np.isnan(x) if masked else None)
        out[:, :d] = S
        out[:, d:] = C.reshape(m, -1)
        return out
    ns = _backend.get_namespace(x)
    # the in-memory kernel (exact search on numpy partitions, the augmented product on GPU ones)
    S, counts, _ = _training.block_sums(x, codebook, metric=metric, chunk_size=chunk_size,
                                        center=center, ns=ns, plane=plane)
    out[:, :d] = ns.to_numpy(S)
    out[:, d] = ns.to_numpy(counts)
    return out


# ---------------------------------------------------------------------------------- initialisation
def _take(block: Any, d: int, normalizer: Normalizer, rows: np.ndarray,
          policy: MissingPolicy | None = None) -> np.ndarray:
    return _training_block(block, d, normalizer, policy=policy)[rows]


def _sample_rows(data: DaskData, idx: np.ndarray) -> np.ndarray:
    dask = require_dask()
    from dask import delayed

    uniq, inverse = np.unique(idx, return_inverse=True)
    local = data._local_rows(uniq)
    pol = data.policy
    parts = [delayed(_take)(b, data.shape[1], data.normalizer, r, pol and pol.at(i))
             for i, (b, r) in enumerate(zip(data.blocks, local, strict=True)) if r.size]
    got = np.concatenate(dask.compute(*parts), axis=0)
    return got[inverse]


def _initial_codebook(method: str, data: DaskData, lattice: Lattice, rng: np.random.Generator,
                      ) -> tuple[np.ndarray, PrincipalPlane | None]:
    """The initial codebook, and for ``"pca"`` its plane (as in memory:
    :func:`somwidget.initialization.initial_codebook_and_plane`)."""
    n, d = data.shape
    m = int(lattice.n_neurons)
    st = data.stats
    if method == "random":
        return rng.uniform(st.lo, st.hi, size=(m, d)), None
    if method == "random_negative":
        return rng.uniform(-1.0, 1.0, size=(m, d)), None
    if method == "sample":  # a drawn row's missing values: the known values' means (as in memory)
        rows = _sample_rows(data, rng.choice(n, size=m, replace=n < m))
        return np.where(np.isnan(rows), st.mean, rows), None
    cov, scale = _pca_covariance(data)
    vals, vecs = eigen(cov)
    plane = pca_plane(st.mean, vals, vecs, lattice, scale)
    return plane.codebook(), plane


def _pca_covariance(data: DaskData) -> tuple[np.ndarray, float]:
    """``(C, s)``: the training-space covariance is ``C * s**2``, ``s`` a power of two (1 for
    ordinary data). Data beyond 2**+-400 (1e154: the sums of squares overflow) get one more
    moments pass over the values divided by ``s``, as the in-memory covariance is computed
    (:func:`somwidget.initialization._scaled_covariance`)."""
    from ..initialization import _covariance_scale

    st = data.stats
    scale = _covariance_scale(st.lo, st.hi, st.mean)
    if scale == 1.0:
        return st.covariance, 1.0
    if data.normalizer.name != "none":  # training space of another normaliser: its own range
        cov = st.covariance
        if not np.isfinite(cov).all():
            raise ValueError(
                f"X is too wide for the principal-component initialisation after the "
                f"{data.normalizer.name!r} normalization (its covariance overflows); use "
                "initialization='random' or 'sample', or rescale the data")
        return cov, 1.0
    scaled, _ = moments(data.arr * (1.0 / scale), None, data.policy)
    return scaled.covariance, scale


def _check_names(som: Any, names: list[str] | None, name: str = "X") -> None:
    if names is not None and getattr(som, "_names_from_frame", False) and names != list(som.feature_names_in_):
        raise ValueError(f"{name} has columns {names}, but the model was fitted with "
                         f"{list(som.feature_names_in_)}")


def missing_policy(som: Any, arr: Any) -> MissingPolicy | None:
    """The :class:`~somwidget.scale._graph.MissingPolicy` of ``SOM(missing="ignore")``
    (None: NaN refused), with the first row of each partition of ``arr`` when known."""
    p = som._validated()
    if p.get("missing", "raise") != "ignore":
        return None
    return MissingPolicy(float(p["max_missing"]), row_offsets(arr))


def check_known(stats: Moments, metric: str | None = None) -> None:
    """Refuse features without any known value and, with missing values, a metric that cannot
    be computed on the known components (the in-memory errors)."""
    if not stats.has_missing:
        return
    empty = np.flatnonzero(stats.known == 0)
    if empty.size:
        raise ValueError(f"X has features with no known (non-NaN) value: columns {empty.tolist()}")
    if metric is not None:
        check_masked_metric(metric)


def block_domain(som: Any, arr: Any, normalizer: Normalizer, training: bool) -> BlockDomain:
    """The training-space checks of each partition of ``arr`` (:class:`BlockDomain`): the
    range and the metric's domain, as ``SOM._to_training_space`` checks in-memory data."""
    return BlockDomain(som._metric(), normalizer.name, training, row_offsets(arr))


def _source(som: Any, arr: Any, names: list[str] | None, normalizer: Normalizer) -> DaskData:
    policy = missing_policy(som, arr)
    stats, counts = moments(arr, normalizer, policy, block_domain(som, arr, normalizer, True))
    if stats.n < 1:
        raise ValueError("X must have at least 1 sample(s); got 0")
    metric = som._validated()["distance_metric"]
    check_known(stats, metric)
    return DaskData(arr, normalizer, stats, counts, metric, som.chunk_size, names, policy)


def remember(som: Any) -> None:
    """Keep the model's state as it is before a Dask fit changes it (``_dask_undo``): the
    lazy sample weights of that fit are checked only afterwards, in the first pass over them
    (:func:`somwidget.scale.run_batch`), and weights it refuses must leave the model untouched
    (as in memory, where they are checked before anything changes). A shallow copy of the
    instance dictionary: the fitted state is replaced, never changed in place, by
    ``_set_fitted`` and :func:`prepare`."""
    state = {k: v for k, v in som.__dict__.items() if k != "_dask_undo"}
    som.__dict__["_dask_undo"] = state


def restore(som: Any, state: dict[str, Any]) -> None:
    """Put back the state :func:`remember` kept (the failed fit's changes dropped)."""
    with som._model_lock:
        for k in [k for k in som.__dict__ if k not in state]:
            del som.__dict__[k]
        som.__dict__.update(state)


def initialize(som: Any, X: Any) -> Any:
    """``SOM.initialize`` for a Dask collection: normaliser, map size and codebook from reduced
    moments (one pass over the data, two when the normaliser has parameters)."""
    p = som._validated()
    check_trainable_metric(p["distance_metric"])
    arr, names = as_dask_array(X)
    rs = p["random_state"]
    rng = rs if isinstance(rs, np.random.Generator) else np.random.default_rng(rs)
    normalizer = fit_normalizer(p["normalization"], arr, missing_policy(som, arr))
    data = _source(som, arr, names, normalizer)
    if p["mapsize"] == "auto":
        rows, cols = auto_mapsize_from(data.shape[0], eigen(_pca_covariance(data)[0])[0],
                                       p["lattice"])  # (their ratio)
    else:
        rows, cols = p["mapsize"]
    check_map_memory(rows, cols, data.shape[1])
    lattice = Lattice(rows, cols, p["lattice"], rect_adjacency=p["rect_adjacency"])
    codebook, plane = _initial_codebook(p["initialization"], data, lattice, rng)
    codebook = into_metric_box(p["distance_metric"], codebook)  # dice: into [0, 1]
    check_metric_domain(p["distance_metric"], codebook, "the initial codebook",
                        f"; initialization={p['initialization']!r} put prototypes there, try "
                        "'sample'")
    remember(som)
    som._set_fitted(codebook=codebook, lattice=lattice, normalizer=normalizer, feature_names=names,
                    random_state=rng, training_data=None, data_bounds=(data.stats.lo, data.stats.hi),
                    plane=plane)
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
    remember(som)
    hold = getattr(som, "_hold_training_data", None)
    if hold is not None:  # drop what the model held of earlier in-memory data
        hold(None)
    som._Xt = None
    som._dask_train = data
    som._bounds = (data.stats.lo, data.stats.hi, None)
    som._touch()
    return data


# ---------------------------------------------------------------------------------- results
def _located(policy: Any, block_info: dict | None) -> Any:
    """``policy`` for the partition ``map_blocks`` passes in ``block_info``."""
    if policy is None or not block_info:
        return policy
    return policy.at(int(block_info[0]["chunk-location"][0]))


def _block_predict(block: Any, *, d: int, normalizer: Normalizer, codebook: np.ndarray, metric: str,
                   chunk_size: int | None, policy: MissingPolicy | None = None,
                   domain: BlockDomain | None = None,
                   block_info: dict | None = None) -> np.ndarray:
    x = _training_block(block, d, normalizer, policy=_located(policy, block_info),
                        domain=_located(domain, block_info))
    if x.shape[0] == 0:
        return np.empty(0, dtype=np.intp)
    return find_bmus(x, codebook, metric=metric, k=1, chunk_size=chunk_size)[0][:, 0]


def _block_transform(block: Any, *, d: int, normalizer: Normalizer, codebook: np.ndarray,
                     metric: str, chunk_size: int | None, policy: MissingPolicy | None = None,
                     domain: BlockDomain | None = None, block_info: dict | None = None,
                     out_dtype: type = np.float64) -> np.ndarray:
    from ..bmu import distance_matrix

    x = _training_block(block, d, normalizer, policy=_located(policy, block_info),
                        domain=_located(domain, block_info))
    return distance_matrix(x, codebook, metric=metric, chunk_size=chunk_size, dtype=out_dtype)


def _lazy(som: Any, X: Any, func: Any, **kw: Any) -> Any:
    som._check_initialized()
    arr, names = as_dask_array(X, n_features=som.n_features_in_)
    _check_names(som, names)
    f = functools.partial(func, d=som.n_features_in_, normalizer=som.normalizer_,
                          codebook=som.codebook_.copy(), metric=som._metric(),
                          chunk_size=som.chunk_size, policy=missing_policy(som, arr),
                          domain=block_domain(som, arr, som.normalizer_, False))
    return arr.map_blocks(f, **kw)


def predict(som: Any, X: Any) -> Any:
    """BMU index of each row, as a lazy Dask array of shape (N,) (one task per partition)."""
    return _lazy(som, X, _block_predict, dtype=np.intp, drop_axis=1)


def transform(som: Any, X: Any) -> Any:
    """Distances to every unit, a lazy Dask array of shape (N, M): float32 for float32 data
    (as in memory), else float64."""
    m = som.n_neurons_ if som._is_initialized() else 0
    arr_chunks, out_dtype = None, np.float64
    if som._is_initialized():
        arr = as_dask_array(X, n_features=som.n_features_in_)[0]
        arr_chunks = arr.chunks[0]
        out_dtype = np.float32 if arr.dtype == np.float32 else np.float64
    return _lazy(som, X, _block_transform, dtype=out_dtype, chunks=(arr_chunks, (m,)),
                 out_dtype=out_dtype)


def _block_metrics(block: Any, d: int, normalizer: Normalizer, codebook: np.ndarray, metric: str,
                   lattice: Lattice, chunk_size: int | None,
                   policy: MissingPolicy | None = None,
                   domain: BlockDomain | None = None) -> np.ndarray:
    """``[n, sum of BMU distances, topographic errors, sum of |x - w_bmu|, known values of
    x, hits per unit..., BMU distances per unit...]`` of one partition (a sample with missing
    values is measured on its known components, as in memory)."""
    x = _training_block(block, d, normalizer, policy=policy, domain=domain)
    m = codebook.shape[0]
    out = np.zeros(5 + 2 * m)
    n = x.shape[0]
    if n == 0:
        return out
    idx, dist = find_bmus(x, codebook, metric=metric, k=min(2, m), chunk_size=chunk_size)
    out[0] = n
    out[1] = dist[:, 0].sum()
    if idx.shape[1] > 1:
        out[2] = analysis.topographic_error(idx[:, 0], idx[:, 1], lattice) * n
    err = np.abs(x - codebook[idx[:, 0]])  # somnium's error (calculate_quantization_error)
    known = ~np.isnan(err)
    out[3] = err[known].sum()
    out[4] = known.sum()
    out[5:5 + m] = np.bincount(idx[:, 0], minlength=m)
    out[5 + m:] = np.bincount(idx[:, 0], weights=dist[:, 0], minlength=m)
    return out


def _compute_metrics(som: Any, data: DaskData) -> dict[str, Any]:
    require_dask()
    from dask import delayed

    cb = delayed(som.codebook_.copy(), pure=True)
    pol = data.policy
    dom = block_domain(som, data.arr, data.normalizer, False)
    parts = [delayed(_block_metrics)(b, data.shape[1], data.normalizer, cb, som._metric(),
                                     som.lattice_, som.chunk_size, pol and pol.at(i), dom.at(i))
             for i, b in enumerate(data.blocks)]
    (tot,) = _compute(_tree(parts, _add))
    if tot[0] == 0:  # as in memory: no metric of no data (a QE of 0.0 would look perfect)
        raise ValueError("X must have at least 1 sample(s); got 0")
    n = tot[0]
    m = som.n_neurons_
    hits = tot[5:5 + m].astype(np.int64)
    sums = tot[5 + m:]
    return {
        "quantization_error": float(tot[1] / n),
        "topographic_error": float(tot[2] / n),
        "vacancy_rate": float(np.mean(hits == 0)),
        "hit_counts": hits,
        "quality_map": np.divide(sums, hits, out=np.full(m, np.nan), where=hits > 0),
        "calculate_quantization_error": float(tot[3] / tot[4]) if tot[4] else None,
    }


def dask_input(som: Any, X: Any) -> DaskData:
    """``X`` (a Dask collection; None: the Dask training data) as a :class:`DaskData` read
    through the fitted normaliser (no moments pass: the analyses need no statistics)."""
    som._check_initialized()
    if X is None:
        return som._dask_train
    arr, names = as_dask_array(X, n_features=som.n_features_in_)
    _check_names(som, names)
    stats = Moments(0, np.zeros(0), np.zeros((0, 0)), np.zeros(0), np.zeros(0))
    return DaskData(arr, som.normalizer_, stats, np.zeros(0, np.int64), som._metric(),
                    som.chunk_size, policy=missing_policy(som, arr))


def metrics(som: Any, X: Any = None) -> dict[str, Any]:
    """QE, TE, vacancy rate, hit counts, quality map and somnium's error
    (``calculate_quantization_error``, None without a known value) of ``X`` (None: the Dask
    training data) from one best-two pass, cached for the current codebook, the parameters that
    change the BMUs (``SOM._bmu_key``) and the collection."""
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
    key = (*som._bmu_key(), token)  # the metric and missing-value policy included
    cache = getattr(som, "_dask_metrics", None)
    if cache is not None and cache[0] == key:
        return cache[1]
    if data is None:
        data = dask_input(som, X)
    result = _compute_metrics(som, data)
    som._dask_metrics = (key, result)
    return result
