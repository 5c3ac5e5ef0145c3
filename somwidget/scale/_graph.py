"""Dask plumbing shared by the out-of-core code: input conversion, partitions, tree sums.

Dask itself is imported inside the functions (:func:`~somwidget.scale._optional.require_dask`), so
importing this module needs no Dask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._array_checks import check_training_range
from .._bmu_common import check_metric_domain
from ..bmu import has_missing
from ..normalization import Normalizer
from ..validation import NAN_HINT, check_array, check_missing_rows
from ._optional import require_dask

_FAN_IN = 8


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
               if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))]
        if bad:
            raise ValueError(f"{name} has non-numeric columns {bad}; drop them (e.g. labels) or "
                             "encode them first (dd.get_dummies gives 0/1 columns, which are "
                             "accepted)")
        names = [str(c) for c in X.columns]
        # as in memory: bool / dummy columns as 0.0 / 1.0, nullable columns (Int64, Float64,
        # boolean) with pd.NA as NaN, every column float64 unless all are float32
        kinds = set(X.dtypes.map(str))
        target = np.float32 if kinds == {"float32"} else np.float64
        arr = X.to_dask_array().map_blocks(_as_float_block, target, dtype=target) if (
            kinds != {str(np.dtype(target))}) else X.to_dask_array()
    elif isinstance(X, da.Array):
        arr = X
        if arr.dtype == object or arr.dtype.kind in "USc":
            raise ValueError(f"{name} must be real-valued numbers; got a Dask array of dtype {arr.dtype}")
    else:
        raise TypeError(f"{name} must be a Dask array or DataFrame; got {type(X).__name__}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features); got {arr.ndim}-D shape {arr.shape}")
    if isinstance(arr.shape[1], float) and math.isnan(arr.shape[1]):
        raise ValueError(f"{name} has an unknown number of columns; give the Dask array its shape "
                         f"(da.from_delayed(..., shape=(n_rows, n_features)), or "
                         f"{name}.compute_chunk_sizes() on an array whose chunks are unknown)")
    if arr.shape[1] == 0:  # the in-memory message (not the normaliser's, deep inside)
        raise ValueError(f"{name} must have at least 1 feature; got 0 feature(s) "
                         f"(shape={arr.shape})")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the model was fitted with {n_features}")
    if arr.numblocks[1] != 1:
        arr = arr.rechunk({1: -1})
    return arr, names


def _as_float_block(block: Any, dtype: Any) -> np.ndarray:
    """A partition of a DataFrame's values as floats (pd.NA, an object in such blocks, as NaN)."""
    a = np.asarray(block)
    if a.dtype == object:
        import pandas as pd

        a = np.where(pd.isna(a), np.nan, a)
    return a.astype(dtype)


def _blocks(arr: Any) -> list[Any]:
    return list(arr.to_delayed().ravel())


class _PartitionRule:
    """What :class:`MissingPolicy` and :class:`BlockDomain` share: the partition a task reads
    (``index``) and, when known, the first row of every partition (``offsets``), which locate
    a refused partition in the message."""

    offsets: tuple[int, ...] | None
    index: int | None

    def at(self, index: int) -> Any:
        """This rule for the partition ``index``."""
        return replace(self, index=index)

    def where(self) -> str:
        if self.index is None:
            return "a partition"
        if self.offsets is not None and self.index < len(self.offsets):
            return f"the partition starting at row {self.offsets[self.index]}"
        return f"partition {self.index}"


@dataclass(frozen=True)
class MissingPolicy(_PartitionRule):
    """``SOM(missing="ignore")`` on Dask: NaN admitted, rows missing more than ``max_missing``
    of their values refused (the message names the partition: ``offsets`` are the first rows
    of the partitions when known, ``index`` the partition a task reads)."""

    max_missing: float
    offsets: tuple[int, ...] | None = None
    index: int | None = None


@dataclass(frozen=True)
class BlockDomain(_PartitionRule):
    """What a partition must satisfy in training space, as in memory
    (``SOM._to_training_space``): values within the training-space limit
    (:func:`~somwidget.validation.check_training_range`; ``training``: the message of a fit)
    and inside ``metric``'s domain (:func:`~somwidget.bmu.check_metric_domain`). ``offsets``
    and ``index`` locate the partition for the message, as in :class:`MissingPolicy`."""

    metric: str
    normalization: str = "none"
    training: bool = False
    offsets: tuple[int, ...] | None = None
    index: int | None = None

    def check(self, x: np.ndarray) -> None:
        """Raise the in-memory error for the training-space partition ``x`` (its rows and
        values counted in this partition)."""
        try:
            check_training_range("X", x, self.normalization, training=self.training)
            check_metric_domain(self.metric, x)
        except ValueError as exc:
            raise ValueError(f"{exc} (rows counted in {self.where()} of the Dask data)") from None


def row_offsets(arr: Any) -> tuple[int, ...] | None:
    """The first row of each partition of ``arr``, or None when its chunk sizes are unknown."""
    sizes = arr.chunks[0]
    if any(isinstance(c, float) and math.isnan(c) for c in sizes):
        return None
    return tuple(int(v) for v in np.concatenate([[0], np.cumsum(sizes)[:-1]]))


def _check_block(block: Any, n_features: int, policy: MissingPolicy | None = None) -> np.ndarray:
    try:
        x = check_array("X", np.asarray(block), n_features=n_features, min_samples=0,
                        allow_nan=policy is not None, nan_hint=NAN_HINT)[0]
    except ValueError as exc:  # its counts (of NaN, of infinite values) are one partition's
        where = policy.where() if policy is not None else "one partition"
        raise ValueError(f"{exc} (counted in {where} of the Dask data)") from None
    if policy is not None and has_missing(x):
        try:
            check_missing_rows("X", x, policy.max_missing)
        except ValueError as exc:  # the row numbers are those of one partition
            raise ValueError(f"{exc} (rows counted in {policy.where()})") from None
    return x


def _training_block(block: Any, n_features: int, normalizer: Normalizer | None,
                    check: bool = True, policy: MissingPolicy | None = None,
                    domain: BlockDomain | None = None) -> np.ndarray:
    """One partition in training space. ``check=False`` (the epochs, after the moments pass of
    the same call has checked every partition) skips the finiteness scan; ``policy`` admits
    missing values (:class:`MissingPolicy`); ``domain`` checks the training-space values
    (:class:`BlockDomain`)."""
    if check:
        x = _check_block(block, n_features, policy)
    else:
        x = np.asarray(block, dtype=np.float64)
    if normalizer is not None and normalizer.name != "none":
        x = np.ascontiguousarray(normalizer._transform(x))
    if domain is not None:
        domain.check(x)
    return x


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
