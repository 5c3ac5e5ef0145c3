"""The Trainer's training thread: started on demand, one unit of work at a time, waited for.

:class:`_WorkerMixin` starts the worker thread, decides its next unit under the trainer's
condition (an epoch, a step, or going quiet as ``paused`` / ``finished`` / ``stopped``), drops a
unit decided in an older generation (a stop or a reset came since), runs the unit under the
trainer's lock, paces playing (``pace_s``), turns the exception that stops training into status
``error`` (reported to the listeners, re-raised by ``join``) and joins the thread in short slices
so that Ctrl-C interrupts a wait. The commands that drive it are :mod:`somwidget.trainer`'s.
"""

from __future__ import annotations

import itertools
import threading
import time
import warnings

_thread_ids = itertools.count(1)


class _WorkerMixin:
    """The worker thread of :class:`~somwidget.trainer.Trainer`."""

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
                    self._set_status("stopped")
                self._active = False
                return "quit", gen
            if self._playing:
                if self._epochs_done >= self.params.epochs:
                    self._playing = False
                    self._set_status("finished")
                    self._active = False
                    return "quit", gen
                if self.play_samples and self.params.mode == "online":
                    return "step", gen
                return "epoch", gen
            if self._pending_steps > 0:
                if self._epochs_done < self.params.epochs or self._cursor > 0:
                    self._pending_steps -= 1
                    return "step", gen
                self._pending_steps = 0  # steps queued past the schedule's end: finished
            if self._status == "running":
                self._set_status("finished" if self._epochs_done >= self.params.epochs
                                 else "paused")
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
                        self._flush_status()
                    return
                t0 = time.monotonic()
                with self.lock:
                    self._flush_status()  # "running" before the unit's own records
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
                    self._flush_status()
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
