"""The batch epoch loop over a data source that returns per-neuron sums and counts.

A source (:class:`somwidget.scale.dask.DaskData`, :class:`somwidget.scale.device.DeviceData`)
answers ``sums(codebook, rows)`` with the per-neuron data sums ``S`` (M, D) and counts ``n``
(M,) of the samples ``rows`` (all when None) for the BMUs of ``codebook``, wherever the data lie
(partitions on Dask workers, a GPU). The loop then does what :func:`somwidget.training.batch_epoch`
does after its BMU search, on the client and once per epoch (the order of Spark ML's SOM: the
neighbourhood smoothing ``w_i = sum_j h_ij S_j / sum_j h_ij n_j`` is applied to the reduced sums,
never per block), with the same kernels (:class:`~somwidget.training.KernelOperator`, the
inhibition rule of the Mexican hat), and reports the same
:class:`~somwidget.callbacks.TrainingRecord` as ``SOM._run_batch``. The subsample of an epoch is
drawn from ``random_state_`` exactly as the in-memory loop draws it, so both train the same map.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .. import masked as _masked
from .. import training as _training
from .._bmu_common import keep_in_metric_domain
from ..callbacks import wants_metrics
from ..schedules import decay_schedule

__all__ = ["run_batch"]


def run_batch(
    som: Any,
    source: Any,
    epochs: int,
    rin: float,
    rfin: float,
    decay: str,
    learning_rate: float,
    subsample_ratio: float,
    collect: bool,
    callbacks: list,
    phase: str,
) -> None:
    """``SOM._run_batch`` with the sums from ``source`` (same arguments after the data)."""
    p = som._validated()
    name = p["neighborhood"]
    every = p["callback_every"]
    radii = decay_schedule(rin, rfin, epochs, decay)
    n = int(source.shape[0])
    n_sub = max(1, int(round(subsample_ratio * n)))
    inhibition = p["inhibition"] if name == "mexican_hat" else None
    bounds = som._data_bounds() if inhibition is not None else None
    rng = som.random_state_
    record = None
    t_start = time.perf_counter()
    measure = bool(callbacks) and wants_metrics(callbacks)  # see SOM._run_batch
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        r = float(radii[epoch - 1])
        H = _training.KernelOperator(som.lattice_, name, r)
        rows = np.sort(rng.choice(n, size=n_sub, replace=False)) if n_sub < n else None
        # Dask partitions search a PCA initial codebook in its plane, as in memory
        plane = (som._initial_plane_of(som.codebook_, n * int(source.shape[1]))
                 if rows is None else None)
        S, counts = source.sums(som.codebook_, rows, plane=plane)
        # the plain rule for one count column, the per-component one for counts per component
        new = _masked.update_general(som.codebook_, H, S, counts, learning_rate=learning_rate,
                                     inhibition=inhibition, bounds=bounds)
        som.codebook_ = keep_in_metric_domain(p["distance_metric"], new, som.codebook_)
        som._last_radius = r
        som.n_epochs_trained_ += 1
        som._touch()
        shown = measure and (epoch == epochs or epoch % every == 0)
        metrics = source.epoch_metrics(som) if collect or shown else None
        now = time.perf_counter()
        record = som._record(
            kind="epoch", mode="batch", phase=phase, epoch=epoch, n_epochs=epochs, radius=r,
            learning_rate=learning_rate, metrics=metrics, neighborhood=name, decay=decay,
            bmus=None, duration_s=now - t0, elapsed_s=now - t_start,
        )
        if collect:
            som.history_.append(record)
        if callbacks and epoch < epochs and epoch % every == 0:
            if not som._notify(callbacks, record):
                break
    if callbacks and record is not None:
        som._notify(callbacks, record, final=True)
