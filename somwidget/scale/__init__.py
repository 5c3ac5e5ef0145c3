"""Training and prediction beyond one in-memory numpy array: Dask collections and GPUs.

The SOM's public calls hand over to this package in a few lines each:

* a Dask array or DataFrame (detected from ``type(X).__module__`` without importing Dask) goes
  to :mod:`somwidget.scale.dask`: out-of-core batch training (per partition the BMUs and the
  per-neuron sums and counts, tree-reduced; the neighbourhood smoothing and the update on the
  client), normaliser and PCA statistics from reduced moments, a lazy ``predict`` /
  ``transform``, and the metrics from one best-two pass;
* ``SOM(device="cuda")`` (or ``"auto"`` on a machine with a GPU) goes to
  :mod:`somwidget.scale.device`: the BMU search and the batch sums on the GPU through the
  array-namespace layer :mod:`somwidget.backend`.

Both share the epoch loop of :mod:`somwidget.scale.loop`. Dask and distributed are the optional
extra ``somwidget[dask]``; :func:`require_dask` names it when they are missing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ._optional import DASK_EXTRA_HINT, is_dask_collection, refuse_dask, require_dask

__all__ = [
    "DASK_EXTRA_HINT",
    "dispatch",
    "is_dask_collection",
    "metric",
    "predict",
    "refuse_dask",
    "require_dask",
    "run_batch",
    "training_source",
    "uses_dask",
]


def is_dask_data(Xt: Any) -> bool:
    """Whether ``Xt`` is the training-space view of a Dask collection."""
    return type(Xt).__name__ == "DaskData" and type(Xt).__module__ == "somwidget.scale.dask"


def _device(som: Any) -> str:
    """The model's ``device`` as its canonical name (the parameter matches case-insensitively)."""
    device = getattr(som, "device", "cpu")
    return device.lower() if isinstance(device, str) else device


def training_source(som: Any, Xt: Any) -> Any | None:
    """The out-of-core or device data source for a batch run, or None for the numpy path."""
    from . import dask as _dask

    if isinstance(Xt, _dask.DaskData):
        return Xt
    device = _device(som)
    if device == "cpu":
        return None
    from .. import backend

    ns = backend.namespace_for_device(device)
    if ns.name == "numpy" and device == "auto":
        return None
    from .device import DeviceData

    return DeviceData(ns, Xt, som._validated()["distance_metric"], som.chunk_size)


def run_batch(som: Any, Xt: Any, *args: Any, sample_weight: Any = None) -> bool:
    """Run ``SOM._run_batch`` on Dask data or a GPU; False when the numpy path should run."""
    undo = som.__dict__.pop("_dask_undo", None)  # the state before this Dask fit (dask.remember)
    source = training_source(som, Xt)
    if source is None:
        return False
    if sample_weight is not None:
        if not is_dask_data(source):
            raise ValueError(f"sample_weight is not available with device={som.device!r}; train "
                             "without it, or on the CPU (device='cpu')")
        try:  # split along (or rechunked to) X's partitions, checked in one pass over them
            source = source.with_weights(sample_weight)
        except Exception:
            if undo is not None:  # refused weights: the model as it was before this fit
                from . import dask as _dask

                _dask.restore(som, undo)
            raise
    from .loop import run_batch as _run

    _run(som, source, *args)
    return True


def uses_dask(som: Any, X: object) -> bool:
    """Whether an analysis of ``X`` runs on Dask: ``X`` is a Dask collection, or ``X`` is None
    and the model's training data is the Dask collection of its latest fit."""
    if is_dask_collection(X):
        return True
    if X is None and getattr(som, "_dask_train", None) is not None:
        # no in-memory training data held (nor a reference to it) since the Dask fit
        return all(getattr(som, a, None) is None for a in ("_Xt", "_Xt_ref", "_source_ref"))
    return False


def predict(som: Any, X: object) -> Any | None:
    """``SOM.predict`` on Dask (lazy) or on the GPU; None: the numpy path."""
    if is_dask_collection(X):
        from . import dask as _dask

        return _dask.predict(som, X)
    if _device(som) != "cpu":
        from .device import predict_on_device

        return predict_on_device(som, X)
    return None


def metric(som: Any, X: object, name: str) -> Any | None:
    """A metric (``quantization_error``, ``topographic_error``, ``vacancy_rate``,
    ``hit_counts``, ``quality_map``, ``calculate_quantization_error``) on Dask data, from one
    cached best-two pass; None: the numpy path."""
    if not uses_dask(som, X):
        return None
    from . import dask as _dask

    value = _dask.metrics(som, X)[name]
    if value is None:  # somnium's error of data without one known value (the in-memory error)
        raise ValueError("Xt has no observed values")
    return value.copy() if hasattr(value, "copy") else value  # the cached arrays stay intact


def dask_bmus(som: Any, X: object) -> np.ndarray | None:
    """The BMU of each row of a Dask ``X`` (None: the Dask training data), computed into
    memory (N integers, what per-sample results such as label counts need); None when the
    analysis runs on in-memory data."""
    if not uses_dask(som, X):
        return None
    from . import dask as _dask
    from ._graph import _compute

    arr = som._dask_train.arr if X is None else X
    (bmus,) = _compute(_dask.predict(som, arr))
    return np.asarray(bmus)


def trained_on_dask_error(som: Any, X: object, what: str) -> None:
    """Refuse ``what`` without ``X`` on a model whose training data is a Dask collection (it is
    not held in memory), naming the fix."""
    if X is None and uses_dask(som, None):
        raise ValueError(f"X is required for {what}: this model was trained on a Dask "
                         "collection, which it does not hold in memory; pass X (e.g. the "
                         "collection, or X.compute() if it fits in memory)")


def transform(som: Any, X: object) -> Any | None:
    """``SOM.transform`` of a Dask collection (lazy); None: the numpy path."""
    if not is_dask_collection(X):
        return None
    from . import dask as _dask

    return _dask.transform(som, X)


def dispatch(kind: str) -> Callable[[Callable], Callable]:
    """Decorator of a SOM method whose first argument is ``X``: Dask collections (and, for
    ``predict``, ``device="cuda"``) are answered here, anything else by the method itself.

    ``kind`` is ``"initialize"``, ``"predict"``, ``"transform"`` or a metric name (see
    :func:`metric`).
    """

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: Any, X: object = None, *args: Any, **kwargs: Any) -> Any:
            if kind == "initialize":
                out = None
                if is_dask_collection(X):
                    from .._som_calls import _active_calls
                    from . import dask as _dask

                    nested = id(self) in _active_calls()  # inside fit: its weights come next
                    out = _dask.initialize(self, X)
                    if not nested:  # a call of its own: nothing to undo later
                        self.__dict__.pop("_dask_undo", None)
            elif kind == "predict":
                out = None if X is None else predict(self, X)
            elif kind == "transform":
                out = transform(self, X)
            else:
                out = metric(self, X, kind)
            return method(self, X, *args, **kwargs) if out is None else out

        return wrapper

    return decorate
