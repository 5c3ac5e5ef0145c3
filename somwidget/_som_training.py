"""The training loops of a SOM: batch epochs, online presentations, one online step.

``_TrainingMixin`` (a base of :class:`~somwidget.som.SOM`) holds what the public training
calls of :mod:`somwidget.som` (``fit``, ``fit_online``, ``fit_auto``, ``reinforce``) run once
their arguments are checked: ``_prepare`` (the training-space data, initialising on first
use), the default radii, ``_run_batch`` and ``_run_online`` (the loops, reporting
:class:`~somwidget.callbacks.TrainingRecord` to the callbacks and ``history_``) and the public
``online_step``. The numerical kernels are in :mod:`somwidget.training`.
No module-level import of :mod:`somwidget.som` (no import cycle).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Any

import numpy as np

from . import _blas_threads, _data_stats
from . import bmu as _bmu
from . import masked as _masked
from . import scale as _scale
from . import training as _training
from ._bmu_common import keep_in_metric_domain
from ._training_search import PreparedQueries
from .callbacks import (
    OnlineStep,
    TrainingRecord,
    notify,
    wants_metrics,
)
from .euclidean import EuclideanSearch, relative_weights
from .lattice import FLOAT32_MIN_NEURONS
from .neighborhood import neighborhood_weights, width_factor
from .schedules import decay_schedule
from .validation import (
    check_fraction,
    check_positive,
)

# data up to this size get their scaled float32 queries built once per batch call (about the
# size of the data again, at float32); larger data are shifted and scaled block by block
_PREPARE_BYTES = 64 << 20
# online training centres the presented samples this many at a time (float64, 64 KiB rows of
# D values): no centred float64 copy of the whole data
_ONLINE_BLOCK = 1 << 16


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


def _present(run: Any, ctx: _training.OnlineContext, Xt: np.ndarray, order: np.ndarray,
             radii: np.ndarray, rates: np.ndarray) -> None:
    """Present ``Xt[order]`` to ``run`` (an online kernel) ``_ONLINE_BLOCK`` samples at a time, each
    block gathered and centred on ``ctx.center`` in float64 (``x - c`` is exact per row, so
    the updates are those of a centred copy of the whole data, without that copy)."""
    block = _ONLINE_BLOCK
    for a in range(0, order.shape[0], block):
        b = min(a + block, order.shape[0])
        Xc = np.subtract(Xt[order[a:b]], ctx.center, dtype=np.float64)
        run(ctx, Xc, np.arange(b - a), radii[a:b], rates[a:b])


#: The orders online training presents the samples in (``SOM(presentation=...)``): shuffled
#: each epoch, or as given.
PRESENTATIONS = ("random", "sequential")


class _TrainingMixin:
    """Training loops of :class:`~somwidget.som.SOM` (the public entry points are in som.py)."""

    def _prepare(self, X: object) -> np.ndarray:
        """Training-space data for a training call; initialises on first use."""
        _bmu.check_trainable_metric(self._validated()["distance_metric"])
        if _scale.is_dask_collection(X):  # out of core: a view of the partitions, not an array
            from .scale import dask as _scale_dask

            return _scale_dask.prepare(self, X)
        if not self._is_initialized() or self._structural_changed():
            return self._initialize_from(X)
        self._validated()
        Xt = np.ascontiguousarray(self._to_training_space(X, training=True))  # float32 stays
        if Xt.shape[0] < 1:
            raise ValueError("X must have at least 1 sample(s); got 0")
        self._hold_training_data(Xt, X)
        self._touch()
        return Xt

    # ------------------------------------------------------------------ helpers for training
    def default_radii(self, neighborhood: str | None = None) -> tuple[float, float]:
        """The radii ``fit`` and ``fit_online`` use when none are given, for this map and kernel.

        ``(max(1, max(rows, cols) / 2) * w, w)`` with ``w`` the kernel's
        :func:`~somwidget.neighborhood.width_factor`: 1 for the Gaussian, the cut Gaussian and the
        bubble; larger for the Epanechikov kernel and the Mexican hat, which vanish at ``d = r``
        and would otherwise end with every neuron on its own.

        Parameters
        ----------
        neighborhood : str, optional
            Another kernel than the SOM's own (what its defaults would be).
        """
        self._check_initialized()
        w = width_factor(self.neighborhood if neighborhood is None else neighborhood)
        return max(1.0, max(self.mapsize_) / 2.0) * w, w

    def _default_radii(self, radius_start: object, radius_end: object,
                       names: tuple[str, str] = ("radius_start", "radius_end"),
                       allow_zero_end: bool = False) -> tuple[float, float]:
        """The radii of a training call: the given ones checked, or :meth:`default_radii`.

        ``names`` are the spellings the caller used (for the error messages); ``allow_zero_end``
        lets the last radius be 0 (online training with a linear schedule: the BMU alone).
        """
        r_start, r_end = self.default_radii()
        rin = r_start if radius_start is None else check_positive(names[0], radius_start)
        if radius_end is None:
            rfin = min(r_end, rin)
        else:
            rfin = check_positive(names[1], radius_end, allow_zero=allow_zero_end)
        if rfin > rin:
            raise ValueError(
                f"{names[1]} must be <= {names[0]} (the neighbourhood shrinks); got "
                f"{names[0]}={rin}, {names[1]}={rfin}"
            )
        return rin, rfin

    def _epoch_metrics(self) -> dict[str, float]:
        """QE, TE and vacancy of the training data from one BMU search (cached for the views)."""
        from . import analysis

        idx, dist = self._bmus2(k=min(2, self.n_neurons_))  # the TE needs the second BMU
        return analysis.epoch_metrics(idx, dist, self.lattice_)

    def _record(self, **fields: Any) -> TrainingRecord:
        """A record of the current model (``som`` and a read-only view of the codebook added)."""
        return TrainingRecord(som=self, codebook=_readonly(self.codebook_),
                              total_epoch=self.n_epochs_trained_, **fields)

    def _with_progress(self, callbacks: list) -> list:
        """``callbacks`` plus a :class:`~somwidget.progress.TextProgress` when ``verbose``."""
        level = self._validated()["verbose"]
        if not level:
            return callbacks
        from .progress import TextProgress

        return [*callbacks, TextProgress(level)]

    def _notify(self, callbacks: list, record: TrainingRecord, final: bool = False) -> bool:
        """Pass ``record`` (as the final one when ``final``) to the callbacks; False: stop."""
        if not callbacks:
            return True
        if final:
            record = replace(record, final=True, som=self, codebook=_readonly(self.codebook_))
        return notify(callbacks, record)

    def _run_batch(
        self,
        Xt: np.ndarray,
        epochs: int,
        rin: float,
        rfin: float,
        decay: str,
        learning_rate: float,
        subsample_ratio: float,
        collect: bool,
        callbacks: list,
        phase: str,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        if _scale.run_batch(self, Xt, epochs, rin, rfin, decay, learning_rate, subsample_ratio,
                            collect, callbacks, phase, sample_weight=sample_weight):  # Dask, GPU
            return
        sample_weight = None if sample_weight is None else relative_weights(sample_weight)[0]
        p = self._validated()
        metric, name = p["distance_metric"], p["neighborhood"]
        every = p["callback_every"]
        radii = decay_schedule(rin, rfin, epochs, decay)
        n = Xt.shape[0]
        n_sub = max(1, int(round(subsample_ratio * n)))
        inhibition = p["inhibition"] if name == "mexican_hat" else None
        # the data's centre and extent, once per call: every epoch's search shifts and scales
        # alike (a prepared float32 copy only for data up to _PREPARE_BYTES, see
        # somwidget.euclidean)
        center, lo, hi = _training.column_stats(Xt)
        extent = float(max(np.abs(lo - center).max(), np.abs(hi - center).max()))
        if getattr(self, "_bounds", None) is None:
            self._bounds = (lo, hi)
        # missing values: the known mask, masked BMUs and per-component sums (SOM Toolbox)
        summary = _data_stats.cached_summary(Xt)
        missing = summary.has_nan if summary is not None else _bmu.has_missing(Xt)
        known = ~np.isnan(Xt) if missing else None
        _data_stats.forget()  # the callbacks below may change the data: check it afresh
        rng = self.random_state_
        prepared: PreparedQueries | None = None
        fit_search: EuclideanSearch | None = None
        record: TrainingRecord | None = None
        t_start = time.perf_counter()
        # a callback that draws the metrics (TrainingCurves) gets them at the epochs it is shown
        measure = bool(callbacks) and wants_metrics(callbacks)
        lat_small = self.lattice_.n_neurons <= 2500
        # BLAS on one thread for the whole call where the smoothing is small (separable
        # Gaussian, or maps up to 2,500 units): the searches share their blocks among worker
        # threads anyway, and a multi-threaded BLAS call between two of them leaves OpenBLAS's
        # threads spinning on the workers' cores (somwidget._blas_threads)
        hold = (_blas_threads.single_threaded() if name == "gaussian" or lat_small
                else contextlib.nullcontext())
        with hold:
            for epoch in range(1, epochs + 1):
                t0 = time.perf_counter()
                r = float(radii[epoch - 1])
                H = _training.KernelOperator(self.lattice_, name, r)
                if n_sub < n:
                    rows = np.sort(rng.choice(n, size=n_sub, replace=False))
                    Xe = Xt[rows]
                    we = None if sample_weight is None else sample_weight[rows]
                    ke = None if known is None else known[rows]
                else:
                    Xe, we, ke = Xt, sample_weight, known
                bounds = self._data_bounds() if inhibition is not None else None
                if we is not None or ke is not None:  # weighted and/or masked sums (exact BMUs)
                    new, bmus = _masked.batch_epoch_general(
                        Xe, self.codebook_, H, metric=metric, chunk_size=p["chunk_size"],
                        learning_rate=learning_rate, inhibition=inhibition, bounds=bounds,
                        sample_weight=we, known=ke,
                    )
                else:
                    search = None
                    if metric == "euclidean":  # one search per call, given each epoch's codebook
                        if fit_search is None:
                            fit_search = EuclideanSearch(self.codebook_, center, extent)
                        search = fit_search.set_codebook(self.codebook_)
                        if n_sub == n:  # a PCA initial codebook: the search in its plane
                            search.plane = self._initial_plane_of(self.codebook_, Xt.size)
                        if n_sub == n and Xt.nbytes <= _PREPARE_BYTES:
                            if prepared is None or prepared.scale != search.scale:
                                prepared = PreparedQueries(Xt, center, search.scale)
                            search.prepared = prepared
                    new, bmus = _training.batch_epoch(
                        Xe, self.codebook_, H, metric=metric, chunk_size=p["chunk_size"],
                        learning_rate=learning_rate, inhibition=inhibition, bounds=bounds,
                        search=search,
                    )
                new = keep_in_metric_domain(metric, new, self.codebook_)
                with self._model_lock:  # codebook, counters and history change together
                    self.codebook_ = new
                    self._last_radius = r
                    self.n_epochs_trained_ += 1
                    self._touch()
                    if not (collect or callbacks):  # nobody reads a record: don't build one per epoch
                        continue
                    shown = measure and (epoch == epochs or epoch % every == 0)
                    metrics = self._epoch_metrics() if collect or shown else None
                    now = time.perf_counter()
                    record = self._record(
                        kind="epoch", mode="batch", phase=phase, epoch=epoch, n_epochs=epochs,
                        radius=r, learning_rate=learning_rate, metrics=metrics, neighborhood=name,
                        decay=decay, bmus=bmus if n_sub == n else None, duration_s=now - t0,
                        elapsed_s=now - t_start,
                    )
                    if collect:
                        self.history_.append(record)
                if callbacks and epoch < epochs and epoch % every == 0:
                    with _blas_threads.released():  # the user's code: the user's threads
                        go_on = self._notify(callbacks, record)
                    if not go_on:
                        break
        if callbacks and record is not None:
            self._notify(callbacks, record, final=True)

    def _run_online(
        self,
        Xt: np.ndarray,
        epochs: int,
        rin: float,
        rfin: float,
        lr0: float,
        lr1: float,
        decay: str,
        presentation: str,
        collect: bool,
        callbacks: list,
        every_samples: int | None,
        phase: str,
        n_steps: int | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        p = self._validated()
        metric, name = p["distance_metric"], p["neighborhood"]
        n = Xt.shape[0]
        # n_steps: that many presentations, in passes of n samples, the last one partial
        total = epochs * n if n_steps is None else int(n_steps)
        epochs = -(-total // n)
        # small maps read rows of the cached M x M distances; large ones (where that matrix
        # is hundreds of MB) compute each sample's row, about 7 % of a 100 x 100 map's update
        lat = self.lattice_
        d2 = (lat.grid_distances_squared() if lat.n_neurons < FLOAT32_MIN_NEURONS
              else _training.LatticeRows(lat))
        ctx = _training.OnlineContext.create(
            self.codebook_, Xt, d2, name, metric,
            bounds=self._data_bounds() if name == "mexican_hat" else None, inhibition=p["inhibition"],
        )
        # NaN: masked BMUs and updates of the known components only (somwidget.masked)
        run = _masked.online_run_masked if _bmu.has_missing(Xt) else _training.online_run
        _data_stats.forget()  # the callbacks below may change the data: check it afresh
        # sample weights scale each presentation's learning rate: min(1, a(t) v_i / mean(v))
        sample_weight = None if sample_weight is None else relative_weights(sample_weight)[0]
        scale = None if sample_weight is None else sample_weight / sample_weight.mean()
        rng = self.random_state_
        # the per-sample BLAS calls are tiny: threads only add synchronisation (and can stall
        # badly on a busy machine), so the online loop runs BLAS single-threaded (from any
        # thread: a Studio trains in a background one, see somwidget._blas_threads)
        blas_hold = _blas_threads.single_threaded()
        blas_hold.__enter__()
        seg = every_samples if (callbacks and every_samples) else n
        measure = bool(callbacks) and wants_metrics(callbacks)  # see _run_batch
        stopped = False
        record: TrainingRecord | None = None
        t_start = time.perf_counter()
        common = {"mode": "online", "phase": phase, "n_epochs": epochs, "n_steps": n,
                  "neighborhood": name, "decay": decay}
        try:
            for epoch in range(1, epochs + 1):
                t0 = time.perf_counter()
                order = rng.permutation(n) if presentation == "random" else np.arange(n)
                t = (epoch - 1) * n
                count = min(n, total - t)  # samples presented in this pass
                order = order[:count]
                radii = _training.schedule_slice(rin, rfin, total, t, t + count, decay)
                rates = _training.schedule_slice(lr0, lr1, total, t, t + count, decay)
                applied = rates if scale is None else np.minimum(1.0, rates * scale[order])
                ctx.refresh()
                for s in range(0, count, seg):
                    e = min(s + seg, count)
                    _present(run, ctx, Xt, order[s:e], radii[s:e], applied[s:e])
                    if callbacks and every_samples and e < count:
                        with self._model_lock:
                            self.codebook_ = ctx.codebook()
                            self._touch()
                        record = self._record(
                            kind="step", epoch=epoch - 1, step=e, radius=float(radii[e - 1]),
                            learning_rate=float(rates[e - 1]),
                            elapsed_s=time.perf_counter() - t_start, **common,
                        )
                        if not self._notify(callbacks, record):
                            stopped = True
                            break
                if stopped:
                    with self._model_lock:
                        self.codebook_ = ctx.codebook()
                        self._touch()
                    break
                r, lr = float(radii[count - 1]), float(rates[count - 1])
                due = (epoch % p["callback_every"] == 0) if not every_samples else True
                shown = measure and (epoch == epochs or due)
                with self._model_lock:  # codebook, counters and history change together
                    self.codebook_ = ctx.codebook()
                    self._touch()
                    self.n_epochs_trained_ += 1
                    self._last_radius = r if r > 0 else 1.0  # a last radius of 0: the BMU alone
                    metrics = self._epoch_metrics() if collect or shown else None
                    now = time.perf_counter()
                    record = self._record(
                        kind="epoch", epoch=epoch, step=count, radius=r, learning_rate=lr,
                        metrics=metrics, duration_s=now - t0, elapsed_s=now - t_start, **common,
                    )
                    if collect:
                        self.history_.append(record)
                if callbacks and epoch < epochs:
                    if due and not self._notify(callbacks, record):
                        break
        finally:
            blas_hold.__exit__(None, None, None)
            with self._model_lock:
                self.codebook_ = ctx.codebook()
                self._touch()
        if callbacks and record is not None:
            self._notify(callbacks, record, final=True)

    def online_step(self, x: object, radius: float, learning_rate: float) -> OnlineStep:
        """Apply one Kohonen update for the sample ``x`` (data units) and describe it.

        Parameters
        ----------
        x : array-like (D,)
            One sample in data units.
        radius : float > 0
            Neighbourhood radius.
        learning_rate : float in (0, 1]

        Returns
        -------
        OnlineStep
            Sample (training space), BMU, per-unit weights ``lr * h`` (for the Mexican hat with
            its negative lobe limited by ``inhibition``), codebook before and after.
        """
        self._check_initialized()
        p = self._validated()
        _bmu.check_trainable_metric(p["distance_metric"])
        radius = check_positive("radius", radius)
        learning_rate = check_fraction("learning_rate", learning_rate)
        arr = np.asarray(x, dtype=np.float64) if not hasattr(x, "to_numpy") else x.to_numpy(float)
        if arr.ndim != 1:
            raise ValueError(f"x must be one sample, a 1-D array of {self.n_features_in_} values; got shape {arr.shape}")
        xt = self._to_training_space(arr[None, :], name="x", params=p, training=True)[0]
        before = self.codebook_.copy()
        b = int(_bmu.find_bmus(xt[None, :], before, metric=p["distance_metric"], k=1)[0][0, 0])
        h = neighborhood_weights(
            p["neighborhood"], self.lattice_.grid_distances_squared_from(b), radius, squared=True
        )
        if p["neighborhood"] == "mexican_hat":
            _training.limit_inhibition(h, p["inhibition"])
        h *= learning_rate
        diff = xt - before
        diff[:, np.isnan(xt)] = 0.0  # missing components (missing="ignore") stay
        after = before + h[:, None] * diff
        bounds = self._data_bounds() if p["neighborhood"] == "mexican_hat" else None
        if bounds is not None:
            np.clip(after, bounds[0], bounds[1], out=after)
        with self._model_lock:
            self.codebook_ = after
            self._touch()
        return OnlineStep(
            sample=_readonly(xt), bmu=b, weights=_readonly(h), codebook_before=_readonly(before),
            codebook_after=_readonly(after.copy()), radius=radius, learning_rate=learning_rate,
        )
