"""Batch training and BMU search on a GPU through the array-namespace layer.

``SOM(device="cuda")`` (or ``"auto"`` when a GPU is usable) moves the training-space data to the
device once per training call as float32 ``Xt - center`` (centred on its mean; no column of
ones, not :func:`somwidget.bmu.prepare_queries`); the codebook is augmented instead
(:func:`somwidget.backend.augmented_codebook`), and :func:`~somwidget.backend.block_bmus` adds
the column of ones per block. Each epoch then runs the in-memory kernel
:func:`somwidget.training.block_sums` in the device's namespace
(:func:`somwidget.backend.block_bmus` and :func:`~somwidget.backend.block_sums`: one GEMM,
an argmin and a scatter-add per block, sums accumulated in float64) and brings back only the
(M, D) sums and the M counts; the smoothing and the update are the client step of
:mod:`somwidget.scale.loop`, on the host. The Euclidean metric only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as _backend
from .. import training as _training

__all__ = ["DeviceData", "predict_on_device"]


def _check_metric(metric: str) -> None:
    if metric != "euclidean":
        raise ValueError(
            f"device='cuda' supports distance_metric='euclidean' only; got {metric!r} "
            "(use device='cpu' for the other metrics)"
        )


class DeviceData:
    """Training-space data on a device, answering :mod:`somwidget.scale.loop`'s ``sums``."""

    def __init__(self, ns: _backend.Namespace, Xt: np.ndarray, metric: str,
                 chunk_size: int | None = None) -> None:
        _check_metric(metric)
        Xt = np.asarray(Xt, dtype=np.float64)
        if np.isnan(Xt).any():
            raise ValueError("device='cuda' needs complete data: X has missing values (NaN); "
                             "use device='cpu' with missing='ignore'")
        self.ns = ns
        self.shape = Xt.shape
        self.center = Xt.mean(axis=0) if Xt.shape[0] else np.zeros(Xt.shape[1])
        self.chunk_size = chunk_size
        self.X = ns.asarray(np.asarray(Xt - self.center, dtype=np.float32))  # centred queries
        self._zero = ns.asarray(np.zeros(Xt.shape[1]), dtype=ns.float64)

    def bmus(self, codebook: np.ndarray, X: Any = None) -> Any:
        """BMUs (on the device) of the stored data, or of centred device rows ``X``."""
        ns = self.ns
        WaT = ns.asarray(_backend.augmented_codebook(codebook, self.center))
        return _backend.block_bmus(ns, self.X if X is None else X, WaT, self._zero, self.chunk_size)

    def sums(self, codebook: np.ndarray, rows: np.ndarray | None = None,
             plane: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-neuron sums (M, D) float64 and counts (M,) for the samples ``rows`` (all: None).
        ``plane`` is not used: on a device every epoch is the GEMM search."""
        ns = self.ns
        X = self.X if rows is None else self.X[ns.asarray(rows)]
        # the in-memory kernel, in this namespace: rows centred on the device, so the codebook too
        S, counts, _ = _training.block_sums(X, np.asarray(codebook, dtype=np.float64) - self.center,
                                            chunk_size=self.chunk_size, ns=ns)
        S = ns.to_numpy(S)
        counts = ns.to_numpy(counts)
        return S + counts[:, None] * self.center, counts  # sums of the centred rows, shifted back

    def epoch_metrics(self, som: Any) -> dict[str, float]:
        from .. import analysis

        idx, dist = som._bmus2()
        return analysis.epoch_metrics(idx, dist, som.lattice_)


def predict_on_device(som: Any, X: object) -> np.ndarray | None:
    """``SOM.predict`` with the BMU search on the device (None when ``device`` resolves to numpy)."""
    device = str(som.device).lower()  # the parameter matches case-insensitively
    ns = _backend.namespace_for_device(device)
    if ns.name == "numpy" and device == "auto":
        return None
    Xt, _ = som._data(som._require(X))
    data = DeviceData(ns, Xt, som._metric(), som.chunk_size)
    return ns.to_numpy(data.bmus(som.codebook_)).astype(np.intp)
