"""The Trainer's units of work: one epoch or one online step, with the schedule value it uses.

:class:`_UnitsMixin` resolves the radius and learning rate of 0-based epoch ``e`` from the
parameters as they are now (``decay_schedule(start, end, epochs, decay)[min(e, epochs - 1)]``,
the one value that epoch needs, never a stored schedule), sets the kernel on the SOM, runs the
unit through the SOM's public training API (``fit(X, epochs=1)``, ``fit_online(X, epochs=1)``,
``online_step``), rolls a failed unit back and records a finished epoch (QE / TE / vacancy from
:func:`somwidget.analysis.epoch_metrics`). The worker thread runs the units with the trainer's
lock held.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from .callbacks import asks_to_stop, wants_metrics
from .neighborhood import NEIGHBORHOOD_ALIASES, NEIGHBORHOODS
from .schedules import DECAY_ALIASES, DECAYS
from .trainer_params import DEFAULT_LEARNING_RATES
from .training import schedule_slice
from .validation import check_choice


class _UnitsMixin:
    """Schedule resolution and the units of work of :class:`~somwidget.trainer.Trainer`."""

    def current_schedule(self, epoch: int | None = None) -> tuple[float, float]:
        """Radius and learning rate the next unit (or ``epoch``, 0-based) would use now."""
        p = self.params.snapshot()
        return self._schedule(p, self._epochs_done if epoch is None else epoch)

    def resolved_params(self) -> dict[str, Any]:
        """The parameters with the defaults (None) replaced by the values they stand for now."""
        p = self.params.snapshot()
        p["radius_start"], p["radius_end"], p["learning_rate_start"], p["learning_rate_end"] = (
            self._schedule_ends(p))
        if p["neighborhood"] is None:
            p["neighborhood"] = check_choice(
                "neighborhood", getattr(self.som, "neighborhood", "gaussian"), NEIGHBORHOODS,
                NEIGHBORHOOD_ALIASES,
            )
        if p["inhibition"] is None:
            p["inhibition"] = float(getattr(self.som, "inhibition", 0.1))
        return p

    # --------------------------------------------------------------- training
    def _named_data(self) -> Any:
        """The training data as the SOM should see it when it (re)initialises: a DataFrame
        over :attr:`X` (no copy) with the user's column names, so that ``feature_names_in_``
        are the frame's, as after ``SOM.fit(df)``; :attr:`X` itself for an array."""
        if self.feature_names is None:
            return self.X
        import pandas as pd  # the names came from a pandas DataFrame: pandas is loaded

        return pd.DataFrame(self.X, columns=self.feature_names, copy=False)

    def _fit_data(self) -> Any:
        """The data of a unit's ``fit`` call: :attr:`X`, or :meth:`_named_data` when that call
        initialises the map afresh (a structural parameter changed since), which sets the
        names."""
        changed = getattr(self.som, "_structural_changed", None)
        if self.feature_names is not None and changed is not None and changed():
            return self._named_data()
        return self.X

    def _default_radius(self) -> tuple[float, float]:
        return self.som.default_radii()  # the SOM's own defaults (SOM.fit), for its kernel

    def default_learning_rates(self, mode: str) -> tuple[float, float]:
        """The learning rates a unit of ``mode`` uses when the trainer is given none: the SOM's
        constructor values (batch: ``learning_rate`` at both ends; online:
        ``learning_rate_start`` / ``_end``), else :data:`DEFAULT_LEARNING_RATES`."""
        som = self._som_params()
        l0, l1 = DEFAULT_LEARNING_RATES[mode]
        if mode == "batch":
            rate = som.get("learning_rate")
            return (l0, l1) if rate is None else (float(rate), float(rate))
        start = som.get("learning_rate_start")
        ls = l0 if start is None else float(start)
        end = som.get("learning_rate_end")
        return ls, (min(l1, ls) if end is None else float(end))

    def default_radii(self) -> tuple[float, float]:
        """The radii a unit uses when the trainer is given none: the SOM's constructor values
        (``radius_start`` / ``radius_end``), else its :meth:`SOM.default_radii` for this map and
        kernel; a start below the default end ends at the start (as ``SOM.fit``)."""
        som = self._som_params()
        r0, r1 = self._default_radius()
        rs = som.get("radius_start")
        rs = r0 if rs is None else float(rs)
        re = som.get("radius_end")
        return rs, (min(r1, rs) if re is None else float(re))

    def _som_params(self) -> dict[str, Any]:
        """The SOM's checked constructor parameters (its own error for a bad one), or its raw
        attributes for an estimator without that check."""
        validated = getattr(self.som, "_validated", None)
        if validated is not None:
            return validated()
        return {k: getattr(self.som, k, None) for k in (
            "radius_start", "radius_end", "learning_rate", "learning_rate_start",
            "learning_rate_end")}

    def _schedule_ends(self, p: dict[str, Any]) -> tuple[float, float, float, float]:
        """Radius and learning rate at the schedule's two ends under parameters ``p``, each
        None replaced by :meth:`default_radii` / :meth:`default_learning_rates`."""
        r0, r1 = self.default_radii()
        l0, l1 = self.default_learning_rates(p["mode"])
        rs = p["radius_start"] if p["radius_start"] is not None else r0
        if p["radius_end"] is not None:
            re = p["radius_end"]
        else:
            re = r1 if p["radius_start"] is None else min(r1, rs)
        ls = p["learning_rate_start"] if p["learning_rate_start"] is not None else l0
        if p["learning_rate_end"] is not None:
            le = p["learning_rate_end"]
        else:
            le = l1 if p["learning_rate_start"] is None else min(l1, ls)
        return rs, re, ls, le

    def _schedule(self, p: dict[str, Any], epoch: int) -> tuple[float, float]:
        """(radius, learning_rate) for 0-based ``epoch`` under parameters ``p``."""
        rs, re, ls, le = self._schedule_ends(p)
        n = p["epochs"]
        i = min(max(epoch, 0), n - 1)
        decay = check_choice("decay", p["decay"], DECAYS, DECAY_ALIASES)
        # the one value of the schedule this epoch needs (not all n: epochs=1e6 in the Studio)
        radius = float(schedule_slice(rs, re, n, i, i + 1, decay)[0])
        lr = float(schedule_slice(ls, le, n, i, i + 1, decay)[0])
        return radius, lr

    def _apply_neighborhood(self, p: dict[str, Any]) -> str:
        """Set the kernel (and the Mexican hat's inhibition) on the SOM; returns the kernel."""
        nb = p["neighborhood"]
        if nb is not None and getattr(self.som, "neighborhood", None) != nb:
            self.som.set_params(neighborhood=nb)
        inh = p["inhibition"]
        if inh is not None and getattr(self.som, "inhibition", None) != inh:
            self.som.set_params(inhibition=inh)
        return str(getattr(self.som, "neighborhood", nb))

    def _relay_callbacks(self, p: dict[str, Any]) -> list[Any] | None:
        """The user's callbacks for one unit's training call, behind one relay: each gets the
        call's record with the trainer's epoch (``epoch`` of ``n_epochs`` since the last
        reset, ``final`` at the schedule's last), and the call measures the metrics when one
        of them draws them (:func:`somwidget.callbacks.wants_metrics`). ``False`` from any of
        them asks the trainer to stop."""
        if not self.callbacks:
            return None

        def relay(state: Any) -> None:
            self._call_callbacks(state, p, self._epochs_done + 1)

        relay.wants_metrics = wants_metrics(self.callbacks)  # type: ignore[attr-defined]
        return [relay]

    def _call_callbacks(self, state: Any, p: dict[str, Any], epoch: int) -> None:
        """Give every callback ``state`` as the trainer's ``epoch`` (1-based) of
        ``p["epochs"]``; ``False`` from any of them asks the trainer to stop."""
        state = replace(state, epoch=epoch, n_epochs=p["epochs"], final=epoch >= p["epochs"])
        keep = True
        for cb in self.callbacks:
            if asks_to_stop(cb(state)):
                keep = False
        if not keep:
            with self._cond:
                self._stop_requested = True

    def _run_epoch(self) -> None:
        p = self.params.snapshot()
        if p["mode"] == "online" and self._cursor > 0:
            # finish the epoch that step() started, sample by sample, with its schedule; a pause
            # or stop in the middle leaves the epoch unfinished at the sample reached
            while self._cursor > 0:
                self._online_update(p)
                with self._cond:
                    if not self._playing or self._gen != self._unit_gen:
                        break
            return
        if p["mode"] == "batch":
            self._cursor = 0
            self._order = None
        nb = self._apply_neighborhood(p)  # first: default radii depend on the kernel
        radius, lr = self._schedule(p, self._epochs_done)
        callbacks = self._relay_callbacks(p)
        t0 = time.perf_counter()
        checkpoint = self._checkpoint()
        try:
            with self.som._continuing():  # one more epoch of this map, even if warm_start=False
                if p["mode"] == "batch":
                    self.som.fit(
                        self._fit_data(), epochs=1, radius_start=radius, radius_end=radius, decay="linear",
                        learning_rate=lr, callbacks=callbacks,
                    )
                else:
                    self.som.fit_online(
                        self._fit_data(), epochs=1, radius_start=radius, radius_end=radius,
                        learning_rate_start=lr, learning_rate_end=lr, decay="linear",
                        presentation="random", callbacks=callbacks,
                    )
        except BaseException:
            self._rollback(checkpoint)  # never leave a half-applied epoch behind
            raise
        self._last_unit = "epoch"
        self._finish_epoch(p, radius, lr, nb, time.perf_counter() - t0)

    def _checkpoint(self) -> Any:
        """The SOM's codebook and counters before a unit (see ``SOM._checkpoint``)."""
        take = getattr(self.som, "_checkpoint", None)
        return take() if take is not None else self.som.codebook_.copy()

    def _rollback(self, checkpoint: Any) -> None:
        """Undo a failed unit: the codebook and every counter that goes with it."""
        undo = getattr(self.som, "_rollback", None)
        if undo is not None:
            undo(checkpoint)
        else:
            self.som.codebook_ = checkpoint

    def _finish_epoch(self, p: dict[str, Any], radius: float, lr: float, nb: str, dt: float) -> None:
        # the epoch is applied: count it first, so a failure below (the metrics, a listener)
        # leaves the counters matching the codebook
        self._train_time += dt
        self._epoch_durations.append(dt)
        self._epochs_done += 1
        stepped = self._last_unit == "step"  # the SOM's own call ran no callback
        metrics = None
        if self.metrics or (stepped and self.callbacks and wants_metrics(self.callbacks)):
            from .analysis import epoch_metrics

            idx, dist = self.som.best_matching_units(self.X, k=2)
            metrics = epoch_metrics(idx, dist, self.som.lattice_)
            self.bmus = np.asarray(idx)[:, 0]
        with self._cond:
            status = self._status
        record = self._make_record(
            "epoch", status, False, params=p, radius=radius, learning_rate=lr, neighborhood=nb,
            metrics=metrics, duration_s=dt,
        )
        if stepped and self.callbacks:
            # as fit_online calls them at an epoch's end (the epoch is counted already)
            self._call_callbacks(replace(record, status="running"), p, self._epochs_done)
        self.history.append(record)
        self._emit("epoch", record=record)

    def _run_step(self) -> None:
        p = self.params.snapshot()
        if p["mode"] == "batch":
            self._run_epoch()  # a batch step is exactly one epoch, as when playing
        else:
            self._online_update(p)

    def _online_update(self, p: dict[str, Any]) -> None:
        n = self.X.shape[0]
        if self._cursor == 0 or self._order is None:
            self._order = np.asarray(self.som.random_state_.permutation(n))
            self._cursor = 0
            self._epoch_t = 0.0
        nb = self._apply_neighborhood(p)  # first: default radii depend on the kernel
        radius, lr = self._schedule(p, self._epochs_done)
        i = int(self._order[self._cursor])
        t0 = time.perf_counter()
        out = self.som.online_step(self.X[i], radius, lr)
        dt = time.perf_counter() - t0
        self._epoch_t += dt
        self._cursor += 1
        rec = replace(out, sample_index=i, epoch=self._epochs_done, step=self._cursor, n_steps=n,
                      radius=radius, learning_rate=lr)
        self.steps.append(rec)
        self.last_step = rec
        self._last_unit = "step"
        self._emit("step", online_step=rec, radius=radius, learning_rate=lr)
        if self._cursor >= n:
            self._cursor = 0
            self._order = None
            if getattr(self.som, "n_epochs_trained_", None) is not None:
                self.som.n_epochs_trained_ += 1  # an epoch of the map, as fit_online counts it
            self._finish_epoch(p, radius, lr, nb, self._epoch_t)
