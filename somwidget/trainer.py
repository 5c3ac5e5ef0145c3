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

This module holds the Trainer itself (construction, status and the commands); its worker
thread is :mod:`somwidget._trainer_worker`, its units of work and their schedule
:mod:`somwidget._trainer_units`, its progress, history and listeners
:mod:`somwidget._trainer_events`.

Example
-------
>>> import numpy as np
>>> from somwidget import SOM
>>> from somwidget.trainer import Trainer
>>> X = np.random.default_rng(0).normal(size=(500, 3))
>>> trainer = Trainer(SOM(mapsize=(10, 10), random_state=0), X, epochs=20)
>>> trainer.play(); trainer.join()
True
>>> trainer.history[-1].radius  # the schedule's final radius
1.0
>>> trainer.close()
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from ._keyword_checks import explained_signature
from ._trainer_events import _EventsMixin
from ._trainer_units import _UnitsMixin
from ._trainer_worker import _WorkerMixin
from .callbacks import OnlineStep, TrainingRecord, check_callbacks
from .trainer_params import DEFAULT_LEARNING_RATES, MODES, TrainerParams
from .validation import NAN_HINT, check_array, check_flag, check_positive

__all__ = [
    "DEFAULT_LEARNING_RATES",
    "MODES",
    "STATUSES",
    "EpochRecord",
    "StepRecord",
    "Trainer",
    "TrainerEvent",
    "TrainerParams",
]

STATUSES = ("idle", "running", "paused", "finished", "stopped", "error")

#: Every Trainer event, epoch record and history entry is a :class:`TrainingRecord` (the type SOM
#: callbacks receive); these names are kept for code written against the Trainer's own types.
TrainerEvent = TrainingRecord
EpochRecord = TrainingRecord
#: The Kohonen update of :meth:`Trainer.step` (with ``sample_index``, ``epoch``, ``step``).
StepRecord = OnlineStep


class Trainer(_EventsMixin, _UnitsMixin, _WorkerMixin):
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
        :meth:`set_params`) at any time. Left out (None), each takes the SOM's constructor
        parameter of the same name (``som.epochs``, ``som.decay``, ``som.radius_start`` ...;
        in batch mode the learning rate is ``som.learning_rate``), and where that is None too
        the defaults of ``SOM.fit`` (radii, :meth:`default_radii`) or of the mode
        (:data:`DEFAULT_LEARNING_RATES`, :meth:`default_learning_rates`): a Trainer trains as
        ``som.fit(X)`` would.
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
        The data as a float array (a DataFrame's values).
    feature_names : list of str or None
        A DataFrame's column names (None for an array): the map is initialised with them, and a
        map fitted on a DataFrame refuses other columns (``SOM.fit``'s check).
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

    @explained_signature()  # Trainer(som, X, epoch=3): names Trainer() and its parameters
    def __init__(
        self,
        som: Any,
        X: Any,
        *,
        mode: str = "batch",
        epochs: int | None = None,
        radius_start: float | None = None,
        radius_end: float | None = None,
        learning_rate_start: float | None = None,
        learning_rate_end: float | None = None,
        decay: str | None = None,
        neighborhood: str | None = None,
        inhibition: float | None = None,
        callbacks: Sequence[Callable[[Any], bool | None]] | None = None,
        metrics: bool = True,
        listeners: Sequence[Callable[[TrainingRecord], None]] | None = None,
    ) -> None:
        if not all(callable(getattr(som, name, None)) for name in ("initialize", "fit", "fit_online",
                                                                    "online_step")):
            raise TypeError(f"som must be a somwidget.SOM (or an estimator with its training "
                            f"API); got {som!r}")
        self.som = som
        # NaN only for a SOM(missing="ignore"), which trains on the known values
        self.X, self.feature_names = check_array(
            "X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
            nan_hint=NAN_HINT,
        )
        self.params = TrainerParams(
            mode=mode,
            epochs=getattr(som, "epochs", 20) if epochs is None else epochs,
            radius_start=radius_start,
            radius_end=radius_end,
            learning_rate_start=learning_rate_start,
            learning_rate_end=learning_rate_end,
            decay=getattr(som, "decay", "linear") if decay is None else decay,
            neighborhood=neighborhood,
            inhibition=inhibition,
        )
        self.callbacks = check_callbacks(callbacks)
        trained = getattr(som, "n_features_in_", None)
        if getattr(som, "codebook_", None) is not None and trained is not None and (
                self.X.shape[1] != trained):
            raise ValueError(f"X has {self.X.shape[1]} features, but the map was trained on "
                             f"{trained}: give data with the map's features, or a new SOM")
        if getattr(som, "codebook_", None) is not None:
            check_names = getattr(som, "_check_column_names", None)
            if check_names is not None:  # the SOM's own error for other columns than its fit's
                check_names(self.feature_names, "X")
        self.metrics = check_flag("metrics", metrics)  # bool("no") is True
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
        self._status_log: deque[tuple[str, str | None]] = deque()  # see _set_status
        self._unit_gen = 0
        self.error: BaseException | None = None
        self._pace_s = 0.0
        #: While playing in online mode: present the samples one at a time (``"step"`` events
        #: with the update, for slow motion) instead of whole epochs.
        self.play_samples = False
        with self.lock:
            if getattr(som, "codebook_", None) is None:
                som.initialize(self._named_data())
            self._clear_progress()

    # ------------------------------------------------------------------ state
    @property
    def pace_s(self) -> float:
        """While playing: least seconds from the start of one unit of work to the next (0: as
        fast as possible); the wait ends at once on pause / stop. The Studio's speed control."""
        return self._pace_s

    @pace_s.setter
    def pace_s(self, value: float) -> None:
        self._pace_s = check_positive("pace_s", value, allow_zero=True)

    @property
    def status(self) -> str:
        """One of ``idle``, ``running``, ``paused``, ``finished``, ``stopped``, ``error``."""
        with self._cond:
            return self._status

    @property
    def n_epochs(self) -> int:
        return self.params.epochs

    @property
    def is_alive(self) -> bool:
        """Whether a worker thread is running."""
        with self._cond:
            return self._active

    def __repr__(self) -> str:
        return (
            f"Trainer(status={self.status!r}, epoch={self._epochs_done}/{self.params.epochs}, "
            f"mode={self.params.mode!r})"
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
            finished = self._epochs_done >= self.params.epochs and not self._active
            if not finished:
                self._playing = True
            self._run_or_finish(finished)
        if finished:
            with self.lock:
                self._flush_status()

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
            finished = (self._epochs_done >= self.params.epochs and self._cursor == 0
                        and not self._active)
            if not finished:
                self._playing = False
                self._pending_steps += 1
            self._run_or_finish(finished)
        if finished:
            with self.lock:
                self._flush_status()

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
                self._set_status("stopped")
            self._cond.notify_all()
        if not running or parked:
            with self.lock:
                self._flush_status()
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
                        self.som.initialize(self._named_data())
                    except BaseException:
                        # a refused parameter leaves the map and the trainer as they were
                        self.som.set_params(**{k: old[k] for k in som_params if k in old})
                        raise
                else:
                    self.som.initialize(self._named_data())
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
            on_worker = threading.current_thread() in self._threads
            waiting = self._active and not on_worker
        if on_worker:
            raise RuntimeError(
                "join() called on the training thread (from a listener or a callback) would wait "
                "for itself; call it from another thread"
            )
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

    def _run_or_finish(self, finished: bool) -> None:
        """After :meth:`play` / :meth:`step` armed the worker (caller holds ``_cond``): status
        ``finished`` when nothing is left to run, else ``running`` with a worker thread."""
        if finished:
            self._set_status("finished", "already finished", force=True)
        else:
            self._set_status("running")  # its record: sent by the worker before its first unit
            self._ensure_worker()

    def _check_can_run(self, what: str) -> None:
        if self._status == "stopped":
            raise RuntimeError(f"cannot {what}: the trainer was stopped; call reset() to start again")
        if self._status == "error":
            raise RuntimeError(
                f"cannot {what}: training failed with {self.error!r}; call reset() to start again"
            )
