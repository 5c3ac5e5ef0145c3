"""Sample weights of a Dask fit, split along the partitions of the data and checked lazily.

``SOM.fit(X, sample_weight=w)`` with a Dask ``X`` accepts ``w`` as

* a numpy array (or anything :func:`numpy.asarray` takes) of length N, already checked by
  :func:`somwidget.validation.check_sample_weight` and split here by the partition sizes;
* a Dask array of shape (N,), a Dask Series or a one-column Dask DataFrame, rechunked to the
  partitions of ``X`` when its chunks differ and checked partition by partition in one pass (the
  weights only): finite, non-negative, not all zero, with the messages of the in-memory check.

Like in memory (:func:`somwidget.euclidean.relative_weights`) the weights are divided by a
power of two near the largest (exact: only their ratios enter training), so weights near the
float maximum do not overflow the weighted sums. The epochs then read the weights of a partition next to its rows
(:meth:`somwidget.scale.dask.DaskData.with_weights`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..euclidean import pow2_scale, relative_weights
from ._graph import _compute, _tree
from ._optional import is_dask_collection, require_dask

__all__ = ["weight_blocks"]


def _length_error(n_weights: int, n_samples: int) -> ValueError:
    return ValueError(f"sample_weight has {n_weights} weight(s) but X has {n_samples} sample(s)")


def _as_weight_array(w: Any) -> Any:
    """A Dask collection of weights as a 1-D Dask array (the errors of the in-memory check)."""
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(w, dd.DataFrame):
        if len(w.columns) != 1:
            raise ValueError("sample_weight must be 1-D (one weight per sample); got a Dask "
                             f"DataFrame with {len(w.columns)} columns")
        w = w[w.columns[0]]
    if isinstance(w, dd.Series):
        w = w.to_dask_array()
    if not isinstance(w, da.Array):
        raise TypeError("sample_weight must be a numpy array, a Dask array, a Dask Series or a "
                        f"one-column Dask DataFrame; got {type(w).__name__}")
    if w.dtype == object or w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numbers; got an array of dtype {w.dtype}")
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D (one weight per sample); got shape {w.shape}")
    return w


def _block_check(w: Any) -> np.ndarray:
    """``[non-finite, negative, positive, smallest, largest]`` of one partition's weights."""
    v = np.asarray(w, dtype=np.float64)
    finite = np.isfinite(v)
    fin = v[finite]
    return np.array([v.size - fin.size, (fin < 0).sum(), (fin > 0).sum(),
                     fin.min() if fin.size else np.inf, fin.max() if fin.size else -np.inf])


def _combine_checks(*parts: np.ndarray) -> np.ndarray:
    stack = np.stack(parts)
    return np.concatenate([stack[:, :3].sum(axis=0), [stack[:, 3].min(), stack[:, 4].max()]])


def check_weight_summary(summary: np.ndarray) -> None:
    """The errors of :func:`somwidget.validation.check_sample_weight` from the reduced
    ``[non-finite, negative, positive, smallest, largest]`` counts."""
    bad, negative, positive, smallest = summary[:4]
    if bad:
        raise ValueError(f"sample_weight must be finite; got {int(bad)} NaN or infinite weight(s)")
    if negative:
        raise ValueError(f"sample_weight must be non-negative; got {int(negative)} negative "
                         f"weight(s) (smallest {smallest:g})")
    if not positive:
        raise ValueError("sample_weight must not be all zero: no sample would count")


def weight_blocks(sample_weight: Any, counts: np.ndarray) -> list[Any]:
    """The weights of each partition, for partitions of ``counts`` rows.

    Returns numpy arrays (for numpy weights) or the delayed partitions of the rechunked Dask
    array, divided by a power of two near the largest weight (as in memory); a wrong length, a bad dtype or shape, NaN, infinite, negative or all-zero weights
    raise the in-memory errors.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    bounds = np.concatenate([[0], np.cumsum(counts)])
    if not is_dask_collection(sample_weight):
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape[0] != n:
            raise _length_error(w.shape[0], n)
        w = relative_weights(w)[0]
        return [w[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    require_dask("sample_weight as a Dask collection")
    from dask import delayed

    w = _as_weight_array(sample_weight)
    if any(isinstance(c, float) and math.isnan(c) for c in w.chunks[0]):
        w = w.compute_chunk_sizes()  # a Series' partition lengths: one pass over the weights
    if w.shape[0] != n:
        raise _length_error(int(w.shape[0]), n)
    target = tuple(int(c) for c in counts)
    if tuple(int(c) for c in w.chunks[0]) != target:
        w = w.rechunk((target,))
    blocks = list(w.to_delayed().ravel())
    (summary,) = _compute(_tree([delayed(_block_check)(b) for b in blocks], _combine_checks))
    check_weight_summary(summary)
    scale = pow2_scale(float(summary[4]))
    return [delayed(_scaled)(b, scale) for b in blocks]


def _scaled(w: Any, scale: float) -> np.ndarray:
    """One partition's weights as float64, divided by ``scale`` (a power of two: exact)."""
    return np.asarray(w, dtype=np.float64) / scale
