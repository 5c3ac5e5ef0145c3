"""The Trainer's progress and events: counters, history, listeners and the records they get.

:class:`_EventsMixin` gives :class:`~somwidget.trainer.Trainer` its progress since the last
reset (epochs done, the online cursor, ``history``, the last online ``steps``, the ETA) and its
listeners: plain callables that receive a :class:`~somwidget.callbacks.TrainingRecord` after
every epoch (``kind="epoch"``) and step (``"step"``), on every status change (``"status"``), on
a reset (``"reset"``) and on errors (``"error"``). Listeners run on the training thread while
the trainer's lock is held, so they see a consistent model.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .callbacks import History, OnlineStep, TrainingRecord


class _EventsMixin:
    """Progress bookkeeping and listeners of :class:`~somwidget.trainer.Trainer`."""

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
    def epoch(self) -> int:
        """Number of epochs completed since the last reset."""
        return self._epochs_done

    @property
    def step_in_epoch(self) -> int:
        """Online mode: samples already presented in the current (unfinished) epoch."""
        return self._cursor

    def eta(self) -> float | None:
        """Estimated seconds left: epochs left x the time an epoch takes (the mean of the last
        ones, or the pace when playing slower: ``pace_s`` per epoch, or per sample in slow
        motion). None before the first epoch unless a pace is set."""
        left = max(0, self.params.epochs - self._epochs_done)
        paced = self.pace_s * (self.X.shape[0] if self.play_samples
                               and self.params.mode == "online" else 1)
        if not self._epoch_durations:
            return paced * left if paced > 0 else None
        per_epoch = max(float(np.mean(self._epoch_durations[-10:])), paced)
        return per_epoch * left

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

    def _set_status(self, status: str, message: str | None = None, force: bool = False) -> None:
        """Change the status (caller holds ``_cond``) and queue its ``"status"`` record, once per
        change (``force``: also when unchanged, a command's reply such as "already finished");
        :meth:`_flush_status` sends the queued records in the order of the changes."""
        if status != self._status or force:
            self._status = status
            self._status_log.append((status, message))

    def _flush_status(self) -> None:
        """Send the queued status records (caller holds :attr:`lock`): every thread that sends
        them does so here, under the lock, so the listeners get them in the order of the
        changes, each once, with the status it changed to."""
        while True:
            with self._cond:
                if not self._status_log:
                    return
                status, message = self._status_log.popleft()
            self._emit("status", final=status != "running", status=status, message=message)

    def _emit(self, kind: str, final: bool = False, record: TrainingRecord | None = None,
              status: str | None = None, **extra: Any) -> None:
        """Send ``record`` (an epoch or step record), or a new record of ``kind``, to the
        listeners; ``status``: the one the record reports (default: the status now)."""
        with self._cond:
            listeners = list(self._listeners)
            if status is None:
                status = self._status
        if not listeners:
            return
        if record is None:
            record = self._make_record(kind, status, final, **extra)
        else:
            record = replace(record, status=status, final=final)
        for fn in listeners:
            fn(record)

    def _make_record(self, kind: str, status: str, final: bool,
                     params: dict[str, Any] | None = None, **fields: Any) -> TrainingRecord:
        """A record of the trainer's current state (the schedule's next values if nothing ran);
        ``params``: the snapshot a unit ran under (default: the parameters now)."""
        p = self.params.snapshot() if params is None else params
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
