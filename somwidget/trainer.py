"""Trainer: run a SOM in a background thread with play / pause / step / stop and live parameters.

The Trainer belongs to the compute room: it imports no widget library. It drives a
:class:`~somwidget.som.SOM` through its public training API (``initialize``, ``fit``,
``fit_online``, ``online_step``, ``set_params``) one *unit of work* at a time:

* batch mode: one unit is one epoch, ``som.fit(X, epochs=1, ...)``;
* online mode: playing runs whole epochs (``som.fit_online(X, epochs=1, ...)``); ``step()`` applies
  one Kohonen update ``som.online_step(x, radius, learning_rate)`` for the next sample of the
  current epoch's presentation order (drawn from ``som.random_state_``), and the epoch is counted
  when its last sample has been presented.

Between two units the worker thread re-reads the :class:`TrainerParams`
(:mod:`somwidget.trainer_params`, re-exported here), so parameter changes made
while training runs take effect at the next epoch (or step) without a restart. The radius and the
learning rate are never stored as a precomputed schedule: for epoch ``e`` (0-based, the number of
epochs completed so far) they are ``decay_schedule(start, end, epochs, decay)[min(e, epochs - 1)]``
with the parameters as they are *now*. Within an online epoch both stay constant.

Everything that touches the SOM runs under :attr:`Trainer.lock` (a re-entrant lock), and training
applies whole epochs or whole steps, so pausing or stopping always leaves a consistent model:
``trainer.pause(); trainer.join()`` and the SOM is ready for ``predict``. Code that wants to read
the model while training runs takes the lock: ``with trainer.lock: som.umatrix()``.

The commands form a small state machine with one owner, the worker thread, and a generation
counter: :meth:`stop`, :meth:`reset` and :meth:`close` start a new generation, and a unit of work
the worker decided on in an older generation is dropped, never run. So the commands are
linearisable: called from any threads, in any interleaving, the result is that of some order of
the calls (a :meth:`play` racing a :meth:`reset` either is undone by it or starts after it; it
never leaves a worker training while the status says ``idle``). Calling :meth:`stop`,
:meth:`reset` or :meth:`close` while holding :attr:`lock` (or from a listener, on the training
thread) cannot deadlock: they do their work without waiting for the worker, which is parked
outside its unit and drops it; :meth:`join` there would wait forever and raises ``RuntimeError``.
Ctrl-C (``KeyboardInterrupt``) while in :meth:`join` stops the worker after its current unit.
A failed unit is rolled back: the codebook, ``som.n_epochs_trained_``, ``som.history_`` and the
trainer's epoch and step counters all stay as they were before it.

Listeners (plain callables) receive a :class:`~somwidget.callbacks.TrainingRecord` (the type SOM
training callbacks receive, so every live view is a listener too) after every epoch
(``kind="epoch"``) and step (``"step"``), on every status change (``"status"``), on a reset
(``"reset"``) and on errors (``"error"``). The epoch records are kept in :attr:`Trainer.history`,
a :class:`~somwidget.callbacks.History` like ``SOM.history_``. They run on the training thread while the lock is held, so they see
a consistent model; keep them short (the Studio throttles its redraws). An exception raised in the
training thread (by the SOM, a training callback or a listener) stops training, sets
``status == "error"`` and :attr:`Trainer.error`, is reported to the listeners as an ``"error"``
event, and is raised again by :meth:`Trainer.join` and :meth:`Trainer.result`.

Example
-------
>>> from somwidget import SOM
>>> from somwidget.trainer import Trainer
>>> trainer = Trainer(SOM(mapsize=(10, 10), random_state=0), X, epochs=20)  # doctest: +SKIP
>>> trainer.play(); trainer.join()                                             # doctest: +SKIP
>>> trainer.history[-1].radius                                                 # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .callbacks import History, OnlineStep, TrainingRecord
from .neighborhood import NEIGHBORHOOD_ALIASES, NEIGHBORHOODS
from .schedules import DECAY_ALIASES, DECAYS
from .trainer_params import DEFAULT_LEARNING_RATES, MODES, TrainerParams
from .training import schedule_slice
from .validation import NAN_HINT, check_array, check_choice

__all__ = [
    "MODES",
    "STATUSES",
    "EpochRecord",
    "StepRecord",
    "Trainer",
    "TrainerEvent",
    "TrainerParams",
]

STATUSES = ("idle", "running", "paused", "finished", "stopped", "error")

_thread_ids = itertools.count(1)


#: Every Trainer event, epoch record and history entry is a :class:`TrainingRecord` (the type SOM
#: callbacks receive); these names are kept for code written against the Trainer's own types.
TrainerEvent = TrainingRecord
EpochRecord = TrainingRecord
#: The Kohonen update of :meth:`Trainer.step` (with ``sample_index``, ``epoch``, ``step``).
StepRecord = OnlineStep


class Trainer:
    """Train a SOM in a background thread, controllable while it runs.

    Parameters
    ----------
    som : SOM
        The estimator. It is initialised on ``X`` (``som.initialize(X)``) unless it already has a
        codebook.
    X : array-like (n_samples, n_features)
        Training data in data units.
    mode, epochs, radius_start, radius_end, learning_rate_start, learning_rate_end, decay, neighborhood, inhibition
        Initial :class:`TrainerParams`; change them later through :attr:`params` (or
        :meth:`set_params`) at any time.
    callbacks : sequence of callables, optional
        SOM training callbacks ``cb(state)`` passed to every ``fit`` / ``fit_online`` call.
        Returning ``False`` stops the trainer (status ``"stopped"``) after the current epoch.
    metrics : bool
        Measure QE / TE / vacancy after every epoch (one BMU search with k=2,
        :func:`somwidget.analysis.epoch_metrics`, as ``SOM.fit(collect_history=True)``).
    listeners : sequence of callables, optional
        Called with a :class:`~somwidget.callbacks.TrainingRecord`; see :meth:`add_listener`.

    Attributes
    ----------
    som : SOM
    X : ndarray (n_samples, n_features)
    params : TrainerParams
    lock : threading.RLock
        Held while the SOM is trained or read by the trainer; take it to read the model safely.
    history : History
        One :class:`~somwidget.callbacks.TrainingRecord` per completed epoch since the last
        reset (``kind="epoch"``, the same type and columns as ``SOM.history_``).
    steps : deque of OnlineStep
        The last ``max_steps_kept`` (256) online steps applied sample by sample since the last
        reset (teaching mode), with ``sample_index``, ``epoch``, ``step``, ``radius`` and
        ``learning_rate``.
    last_step : OnlineStep or None
    bmus : ndarray or None
        BMUs of the training data after the last epoch (when ``metrics`` is on).
    error : BaseException or None
    """

    def __init__(
        self,
        som: Any,
        X: Any,
        *,
        mode: str = "batch",
        epochs: int = 20,
        radius_start: float | None = None,
        radius_end: float | None = None,
        learning_rate_start: float | None = None,
        learning_rate_end: float | None = None,
        decay: str = "linear",
        neighborhood: str | None = None,
        inhibition: float | None = None,
        callbacks: Sequence[Callable[[Any], bool | None]] | None = None,
        metrics: bool = True,
        listeners: Sequence[Callable[[TrainingRecord], None]] | None = None,
    ) -> None:
        self.som = som
        # NaN only for a SOM(missing="ignore"), which trains on the known values
        self.X, _ = check_array(
            "X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
            nan_hint=NAN_HINT,
        )
        self.params = TrainerParams(
            mode=mode,
            epochs=epochs,
            radius_start=radius_start,
            radius_end=radius_end,
            learning_rate_start=learning_rate_start,
            learning_rate_end=learning_rate_end,
            decay=decay,
            neighborhood=neighborhood,
            inhibition=inhibition,
        )
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not callable(cb):
                raise TypeError(f"callbacks must be callables; got {cb!r}")
        self.metrics = bool(metrics)
        self.max_steps_kept = 256
        self.lock = threading.RLock()
        self._cond = threading.Condition()
        self._listeners: list[Callable[[TrainingRecord], None]] = []
        for fn in listeners or []:
            self.add_listener(fn)
        self._threads: list[threading.Thread] = []
        self._gen = 0  # bumped by stop / reset: units decided before are dropped
        self._resetting: threading.Thread | None = None  # the thread inside reset()
        self._active = False  # a worker is running (or about to)
        self._playing = False
        self._pending_steps = 0
        self._stop_requested = False
        self._status = "idle"
        self._unit_gen = 0
        self.error: BaseException | None = None
        #: While playing: least seconds from the start of one unit of work to the next (0: as
        #: fast as possible); the wait ends at once on pause / stop. The Studio's speed control.
        self.pace_s = 0.0
        #: While playing in online mode: present the samples one at a time (``"step"`` events
        #: with the update, for slow motion) instead of whole epochs.
        self.play_samples = False
        with self.lock:
            if getattr(som, "codebook_", None) is None:
                som.initialize(self.X)
            self._clear_progress()

    # ------------------------------------------------------------------ state
    def _clear_progress(self) -> None:
        self.history = History()
        self.steps: deque[OnlineStep] = deque(maxlen=self.max_steps_kept)
        self.last_step: OnlineStep | None = None
        self.bmus: np.ndarray | None = None
        self._epochs_done = 0
        self._cursor = 0
        self._order: np.ndarray | None = None
        self._train_time = 0.0
        self._epoch_durations: list[float] = []
        self._last_unit = ""

    @property
    def status(self) -> str:
        """One of ``idle``, ``running``, ``paused``, ``finished``, ``stopped``, ``error``."""
        with self._cond:
            return self._status

    @property
    def epoch(self) -> int:
        """Number of epochs completed since the last reset."""
        return self._epochs_done

    @property
    def step_in_epoch(self) -> int:
        """Online mode: samples already presented in the current (unfinished) epoch."""
        return self._cursor

    @property
    def n_epochs(self) -> int:
        return self.params.epochs

    @property
    def is_alive(self) -> bool:
        """Whether a worker thread is running."""
        with self._cond:
            return self._active

    def current_schedule(self, epoch: int | None = None) -> tuple[float, float]:
        """Radius and learning rate the next unit (or ``epoch``, 0-based) would use now."""
        p = self.params.snapshot()
        return self._schedule(p, self._epochs_done if epoch is None else epoch)

    def resolved_params(self) -> dict[str, Any]:
        """The parameters with the defaults (None) replaced by the values they stand for now."""
        p = self.params.snapshot()
        r0, r1 = self._default_radius()
        l0, l1 = DEFAULT_LEARNING_RATES[p["mode"]]
        for key, default in (("radius_start", r0), ("radius_end", r1),
                             ("learning_rate_start", l0), ("learning_rate_end", l1)):
            if p[key] is None:
                p[key] = default
        if p["neighborhood"] is None:
            p["neighborhood"] = check_choice(
                "neighborhood", getattr(self.som, "neighborhood", "gaussian"), NEIGHBORHOODS,
                NEIGHBORHOOD_ALIASES,
            )
        if p["inhibition"] is None:
            p["inhibition"] = float(getattr(self.som, "inhibition", 0.1))
        return p

    def eta(self) -> float | None:
        """Estimated seconds left (mean epoch duration x epochs left), None before the first epoch."""
        if not self._epoch_durations:
            return None
        recent = self._epoch_durations[-10:]
        left = max(0, self.params.epochs - self._epochs_done)
        return float(np.mean(recent)) * left

    def __repr__(self) -> str:
        return (
            f"Trainer(status={self.status!r}, epoch={self._epochs_done}/{self.params.epochs}, "
            f"mode={self.params.mode!r})"
        )

    # -------------------------------------------------------------- listeners
    def add_listener(self, fn: Callable[[TrainingRecord], None]) -> None:
        """Register ``fn(event)``; it runs on the training thread with :attr:`lock` held."""
        if not callable(fn):
            raise TypeError(f"listener must be callable; got {fn!r}")
        with self._cond:
            if fn not in self._listeners:
                self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[TrainingRecord], None]) -> None:
        """Unregister a listener (no error when it was not registered)."""
        with self._cond:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def _emit(self, kind: str, final: bool = False, record: TrainingRecord | None = None,
              **extra: Any) -> None:
        """Send ``record`` (an epoch or step record), or a new record of ``kind``, to the listeners."""
        with self._cond:
            listeners = list(self._listeners)
            status = self._status
        if not listeners:
            return
        if record is None:
            record = self._make_record(kind, status, final, **extra)
        else:
            record = replace(record, status=status, final=final)
        for fn in listeners:
            fn(record)

    def _make_record(self, kind: str, status: str, final: bool, **fields: Any) -> TrainingRecord:
        """A record of the trainer's current state (the schedule's next values if nothing ran)."""
        p = self.params.snapshot()
        ostep = fields.pop("online_step", None)
        if ostep is None and kind == "status" and self._last_unit == "step":
            ostep = self.last_step  # a final event after a step still shows that step
        if "radius" not in fields:
            if ostep is not None:
                fields["radius"], fields["learning_rate"] = ostep.radius, ostep.learning_rate
            else:
                fields["radius"], fields["learning_rate"] = self._schedule(p, self._epochs_done)
        codebook = getattr(self.som, "codebook_", None)
        if codebook is not None:
            codebook = codebook.view()
            codebook.setflags(write=False)
        return TrainingRecord(
            kind=kind, status=status, som=self.som, mode=p["mode"], epoch=self._epochs_done,
            n_epochs=p["epochs"], step=self._cursor,
            n_steps=self.X.shape[0] if p["mode"] == "online" else 0,
            decay=p["decay"], codebook=codebook, bmus=self.bmus, final=final, eta_s=self.eta(),
            elapsed_s=self._train_time, online_step=ostep, **fields,
        )

    # --------------------------------------------------------------- commands
    def set_params(self, **changes: Any) -> Trainer:
        """Change training parameters; they apply from the next epoch (or step). Returns self."""
        self.params.update(**changes)
        return self

    def _holds_lock(self) -> bool:
        """Whether the calling thread holds :attr:`lock` (the worker does while it trains)."""
        return bool(self.lock._is_owned())

    def _wait_for_reset(self) -> None:
        # caller holds self._cond: a command issued while another thread resets runs after it
        while self._resetting is not None and self._resetting is not threading.current_thread():
            if self._holds_lock():  # the reset needs the lock: waiting here would never end
                raise RuntimeError(
                    "another thread is resetting the trainer and this one holds trainer.lock, "
                    "which the reset needs; release the lock first"
                )
            self._cond.wait(0.1)

    def play(self) -> None:
        """Train until the schedule's epochs are done, or :meth:`pause` / :meth:`stop`."""
        with self._cond:
            self._wait_for_reset()
            self._check_can_run("play")
            if self._epochs_done >= self.params.epochs and not self._active:
                self._status = "finished"
                notify = True
            else:
                self._playing = True
                self._status = "running"
                self._ensure_worker()
                notify = False
        if notify:
            with self.lock:
                self._emit("status", final=True, message="already finished")

    def pause(self) -> None:
        """Pause after the current epoch (or step); returns at once, see :meth:`join`."""
        with self._cond:
            self._playing = False
            self._pending_steps = 0
            self._cond.notify_all()

    def step(self) -> None:
        """Apply one unit of training in the background: an epoch (batch) or a sample (online).

        When the trainer is playing it pauses first (after the current epoch). Returns at once;
        :meth:`join` waits for the step to be applied.
        """
        with self._cond:
            self._wait_for_reset()
            self._check_can_run("step")
            if self._epochs_done >= self.params.epochs and self._cursor == 0 and not self._active:
                self._status = "finished"
                notify = True
            else:
                self._playing = False
                self._pending_steps += 1
                self._status = "running"
                self._ensure_worker()
                notify = False
        if notify:
            with self.lock:
                self._emit("status", final=True, message="already finished")

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the current epoch (or step) and wait for the worker. Status ``stopped``.

        A stopped trainer refuses :meth:`play` and :meth:`step` until :meth:`reset`. The model is
        consistent and usable at once after this call. Called while holding :attr:`lock` (or
        from a listener) it does not wait: the worker is outside its unit and drops it.
        """
        with self._cond:
            if self._status == "error":
                return
            running = self._active
            self._playing = False
            self._pending_steps = 0
            self._gen += 1
            self._stop_requested = running
            parked = running and self._holds_lock()
            if not running or parked:
                self._status = "stopped"
            self._cond.notify_all()
        if not running or parked:
            with self.lock:
                self._emit("status", final=True)
        if not parked:
            self._join_threads(timeout)

    def reset(self, timeout: float | None = None, **som_params: Any) -> None:
        """Stop any training and re-initialise the map (``som.initialize(X)``).

        Keyword arguments are SOM parameters applied first with ``som.set_params`` (e.g.
        ``lattice``, ``mapsize``, ``normalization``, ``initialization``): changes that need a new
        map. If the SOM refuses them (``ValueError`` naming the parameter), its parameters are
        restored and the error is raised, with the current map untouched (training stays
        stopped). Clears the history and any error; status becomes ``idle``. A :meth:`play` or
        :meth:`step` called by another thread meanwhile runs after the reset.
        """
        me = threading.current_thread()
        with self._cond:
            self._wait_for_reset()  # one reset at a time
            self._resetting = me
            self._playing = False
            self._pending_steps = 0
            self._gen += 1
            self._stop_requested = self._active
            self._cond.notify_all()
        try:
            if not self._holds_lock() and not self._join_threads(timeout):
                raise TimeoutError("the training thread did not stop in time; reset not applied")
            with self.lock:
                if som_params:
                    old = self.som.get_params()
                    try:
                        self.som.set_params(**som_params)
                        self.som.initialize(self.X)
                    except BaseException:
                        # a refused parameter leaves the map and the trainer as they were
                        self.som.set_params(**{k: old[k] for k in som_params if k in old})
                        raise
                else:
                    self.som.initialize(self.X)
                self._clear_progress()
                with self._cond:
                    self._status = "idle"
                    self._stop_requested = False
                    self.error = None
        finally:
            with self._cond:
                self._resetting = None
                self._cond.notify_all()
        with self.lock:
            self._emit("reset", final=True)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the worker thread goes quiet (paused, finished, stopped or error).

        Returns
        -------
        bool
            True when no worker is running any more, False on timeout.

        Raises
        ------
        BaseException
            The exception that stopped training in the background thread, if any.
        """
        with self._cond:
            waiting = self._active and threading.current_thread() not in self._threads
        if waiting and self._holds_lock():
            raise RuntimeError(
                "join() called while holding trainer.lock would wait forever (the worker needs "
                "the lock to finish its unit); release the lock first"
            )
        try:
            done = self._join_threads(timeout)
        except KeyboardInterrupt:
            self._interrupt()
            raise
        if self.error is not None:
            raise self.error
        return done

    def _interrupt(self) -> None:
        """Ctrl-C while waiting: the worker stops after its current unit (status ``stopped``)."""
        with self._cond:
            if self._status == "error" or not self._active:
                return
            self._playing = False
            self._pending_steps = 0
            self._gen += 1
            self._stop_requested = True
            self._cond.notify_all()

    def wait_until_paused(self, timeout: float | None = None) -> bool:
        """Ask to pause and wait for it; True when the worker has stopped (errors re-raised)."""
        self.pause()
        return self.join(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the worker (see :meth:`join`) and return the SOM."""
        if not self.join(timeout):
            raise TimeoutError(f"training still running after {timeout} s")
        return self.som

    def close(self, timeout: float | None = None) -> None:
        """Stop training, wait for the thread and drop the listeners."""
        self.stop(timeout)
        with self._cond:
            self._listeners.clear()

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- worker
    def _check_can_run(self, what: str) -> None:
        if self._status == "stopped":
            raise RuntimeError(f"cannot {what}: the trainer was stopped; call reset() to start again")
        if self._status == "error":
            raise RuntimeError(
                f"cannot {what}: training failed with {self.error!r}; call reset() to start again"
            )

    def _ensure_worker(self) -> None:
        # caller holds self._cond
        self._cond.notify_all()
        if self._active:
            return
        self._active = True
        self._threads = [t for t in self._threads if t.is_alive()]
        t = threading.Thread(
            target=self._worker, name=f"somwidget-trainer-{next(_thread_ids)}", daemon=True
        )
        self._threads.append(t)
        t.start()

    def _join_threads(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                threads = [t for t in self._threads if t.is_alive()]
            if not threads:
                return True
            for t in threads:
                if t is threading.current_thread():
                    return False
                # wait in short slices: the main thread then runs its signal handlers (Ctrl-C
                # raises KeyboardInterrupt here at once) whatever the platform's lock waits do
                while t.is_alive():
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    t.join(0.1 if left is None else min(0.1, left))

    def _next_action(self) -> tuple[str, int]:
        """Decide the next unit of work (and its generation), or go quiet. Caller holds nothing.

        Going quiet sets ``paused`` / ``finished`` only over ``running``: a status a command set
        (``idle`` after a reset, ``stopped``) stays.
        """
        with self._cond:
            gen = self._gen
            if self._stop_requested:
                self._stop_requested = False
                self._playing = False
                self._pending_steps = 0
                if self._status != "idle":
                    self._status = "stopped"
                self._active = False
                return "quit", gen
            if self._playing:
                if self._epochs_done >= self.params.epochs:
                    self._playing = False
                    self._status = "finished"
                    self._active = False
                    return "quit", gen
                if self.play_samples and self.params.mode == "online":
                    return "step", gen
                return "epoch", gen
            if self._pending_steps > 0:
                self._pending_steps -= 1
                return "step", gen
            if self._status == "running":
                self._status = "finished" if self._epochs_done >= self.params.epochs else "paused"
            self._active = False
            return "quit", gen

    def _current(self, gen: int) -> bool:
        """Whether a unit decided in generation ``gen`` may still run (no stop / reset since)."""
        with self._cond:
            return gen == self._gen and not self._stop_requested

    def _worker(self) -> None:
        try:
            while True:
                action, gen = self._next_action()
                if action == "quit":
                    with self.lock:
                        self._emit("status", final=True)
                    return
                t0 = time.monotonic()
                with self.lock:
                    if not self._current(gen):
                        continue  # stopped or reset while waiting for the lock: drop the unit
                    self._unit_gen = gen
                    if action == "epoch":
                        self._run_epoch()
                    else:
                        self._run_step()
                self._wait_pace(t0)
        except BaseException as exc:  # noqa: BLE001 - reported, re-raised on join()
            with self._cond:
                self.error = exc
                self._status = "error"
                self._playing = False
                self._pending_steps = 0
                self._active = False
            try:
                with self.lock:
                    self._emit("error", final=True, error=exc, message=f"{type(exc).__name__}: {exc}")
            except BaseException as listener_exc:  # noqa: BLE001 - never hang or lose the first error
                warnings.warn(
                    f"a trainer listener failed while reporting an error: {listener_exc!r}",
                    RuntimeWarning,
                    stacklevel=1,
                )

    def _wait_pace(self, started: float) -> None:
        """While playing, wait until ``pace_s`` seconds passed since ``started`` (pause, stop
        and a pace change end the wait at once)."""
        with self._cond:
            while self._playing and not self._stop_requested and self.pace_s > 0:
                left = started + self.pace_s - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.25))

    # --------------------------------------------------------------- training
    def _default_radius(self) -> tuple[float, float]:
        return self.som.default_radii()  # the SOM's own defaults (SOM.fit), for its kernel

    def _schedule(self, p: dict[str, Any], epoch: int) -> tuple[float, float]:
        """(radius, learning_rate) for 0-based ``epoch`` under parameters ``p``."""
        r0, r1 = self._default_radius()
        rs = p["radius_start"] if p["radius_start"] is not None else r0
        re = p["radius_end"] if p["radius_end"] is not None else r1
        l0, l1 = DEFAULT_LEARNING_RATES[p["mode"]]
        ls = p["learning_rate_start"] if p["learning_rate_start"] is not None else l0
        le = p["learning_rate_end"] if p["learning_rate_end"] is not None else l1
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

    def _stop_callback(self, state: Any) -> bool | None:
        """Wraps the user's callbacks: ``False`` from any of them asks the trainer to stop."""
        keep = True
        for cb in self.callbacks:
            if cb(state) is False:
                keep = False
        if not keep:
            with self._cond:
                self._stop_requested = True
        return None

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
        callbacks = [self._stop_callback] if self.callbacks else None
        t0 = time.perf_counter()
        checkpoint = self._checkpoint()
        try:
            with self.som._continuing():  # one more epoch of this map, even if warm_start=False
                if p["mode"] == "batch":
                    self.som.fit(
                        self.X, epochs=1, radius_start=radius, radius_end=radius, decay="linear",
                        learning_rate=lr, callbacks=callbacks,
                    )
                else:
                    self.som.fit_online(
                        self.X, epochs=1, radius_start=radius, radius_end=radius,
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
        metrics = None
        if self.metrics:
            from .analysis import epoch_metrics

            idx, dist = self.som.best_matching_units(self.X, k=2)
            metrics = epoch_metrics(idx, dist, self.som.lattice_)
            self.bmus = np.asarray(idx)[:, 0]
        with self._cond:
            status = self._status
        record = self._make_record(
            "epoch", status, False, radius=radius, learning_rate=lr, neighborhood=nb,
            metrics=metrics, duration_s=dt,
        )
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
            self._finish_epoch(p, radius, lr, nb, self._epoch_t)

