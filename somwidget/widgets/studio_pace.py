"""The Studio's commands and pace: Play / Pause / Step / Stop, the speed control, frames drawn
at the browser's pace, and the lag between the trainer and the drawn map.

:class:`StudioPace` is mixed into :class:`~somwidget.widgets.studio.Studio` (it uses the
Studio's trainer, controls, views and throttles); see the Studio's module docstring for what a
user sees.
"""

from __future__ import annotations

from typing import Any

from ..callbacks import TrainingRecord
from ..validation import check_choice
from .live import live_refresh

__all__ = ["SPEEDS", "StudioPace"]

#: The speed control's choices: (unit, rate per second); None is as fast as possible. Slow
#: motion presents the samples one at a time (online mode only).
SPEEDS: dict[str, tuple[str, float] | None] = {
    "full speed": None,
    "20 epochs/s": ("epoch", 20.0),
    "5 epochs/s": ("epoch", 5.0),
    "1 epoch/s": ("epoch", 1.0),
    "slow motion: 10 samples/s": ("sample", 10.0),
    "slow motion: 2 samples/s": ("sample", 2.0),
    "slow motion: 1 sample every 2 s": ("sample", 0.5),
}

class StudioPace:
    """Commands, speed control and live frames of a Studio (a mixin; see the module docstring)."""

    trainer: Any
    controls: dict[str, Any]
    explorer: Any
    input_space: Any
    curves: Any
    som: Any
    more_epochs: int
    _before_extension: dict[str, Any] | None
    _syncing: bool
    _requested: str
    message: Any
    _show_message: Any
    _update_progress: Any
    update_picture: Any

    def _require_open(self) -> None:
        """A closed Studio (its trainer, map and data released) refuses commands by name."""
        if self.__dict__.get("_view_closed"):
            raise ValueError("this Studio is closed: build a new Studio to train again")

    def play(self) -> None:
        """Same as the Play button: train on; once every epoch is done, add ``more_epochs``
        epochs at the schedule's final radius and learning rate (fine-tuning) and say so.
        A refused play (a stopped trainer, or one that failed) changes nothing."""
        self._require_open()
        t = self.trainer
        self._requested = ""
        undo = None
        if (t.status not in ("running", "stopped", "error") and t.epoch >= t.params.epochs
                and t.step_in_epoch == 0):
            undo = self._extend()
        try:
            t.play()
        except RuntimeError:
            if undo is not None:  # refused meanwhile (a stop from another thread): no extension
                undo()
            raise
        self._update_progress(None)  # the buttons follow the new status at once

    def _extend(self) -> Any:
        """Extend the schedule for fine-tuning; returns the function that undoes it."""
        t = self.trainer
        p = t.resolved_params()
        done, more = t.epoch, self.more_epochs
        c = self.controls
        keys = ("epochs", "radius_start", "learning_rate_start")
        saved = (t.params.snapshot(), {k: c[k].value for k in keys}, self._before_extension,
                 self.message.value)

        def undo() -> None:
            params, shown, self._before_extension, self.message.value = saved
            t.params.update(**{k: params[k] for k in keys})
            self._syncing = True
            try:
                for k in keys:
                    c[k].value = shown[k]
            finally:
                self._syncing = False

        if self._before_extension is None:
            self._before_extension = {k: p[k] for k in ("epochs", "radius_start",
                                                        "learning_rate_start")}
        t.params.update(epochs=done + more, radius_start=p["radius_end"],
                        learning_rate_start=p["learning_rate_end"])
        self._syncing = True
        try:
            c["epochs"].value = done + more
            c["radius_start"].value = round(p["radius_end"], 4)
            c["learning_rate_start"].value = p["learning_rate_end"]
        finally:
            self._syncing = False
        what = f"radius {p['radius_end']:.3g}"
        if p["mode"] == "online":
            what += f" and learning rate {p['learning_rate_end']:.3g}"
        self._show_message(f"All {done} epochs were done: training {more} more at the final {what} "
                           f"(fine-tuning; epochs = {done + more}). Reset starts a new map.")
        return undo

    @property
    def speed(self) -> str:
        """The speed control's choice (one of :data:`SPEEDS`)."""
        return str(self.controls["speed"].value)

    @speed.setter
    def speed(self, value: str) -> None:
        self.controls["speed"].value = check_choice("speed", value, SPEEDS)

    def _apply_speed(self, quiet: bool = False) -> None:
        """Set the trainer's pace from the speed control (and say what slow motion needs)."""
        choice = SPEEDS[self.speed]
        t = self.trainer
        with t._cond:
            if choice is None:
                t.pace_s, t.play_samples = 0.0, False
            else:
                unit, rate = choice
                t.play_samples = unit == "sample"
                t.pace_s = 1.0 / rate
                if unit == "sample" and t.params.mode != "online":
                    t.pace_s = 1.0  # batch epochs have no samples to show one by one
            t._cond.notify_all()
        if quiet:
            return
        if choice is not None and choice[0] == "sample" and t.params.mode != "online":
            self._show_message("Slow motion presents one sample at a time: it needs mode = online "
                               "(batch mode moves every neuron once per epoch). Playing batch "
                               "epochs at 1 epoch/s until the mode is online.", kind="warn")
        else:
            self._show_message(f"speed: {self.speed}")

    def lag(self) -> dict[str, float]:
        """How many epochs the drawn hit map lagged behind the trainer, at each acknowledgement
        of a drawn frame: ``{"n", "mean", "max", "last"}`` (n = 0 before any browser answered)."""
        with self._lag_lock:
            lags = list(self._lags)
        if not lags:
            return {"n": 0, "mean": 0.0, "max": 0.0, "last": 0.0}
        return {"n": len(lags), "mean": float(sum(lags) / len(lags)), "max": float(max(lags)),
                "last": float(lags[-1])}

    def _on_ack(self, frame: int, _t: float) -> None:
        with self._lag_lock:
            epoch = self._frame_epochs.pop(frame, None)
            if epoch is None:
                return
            for old in [f for f in self._frame_epochs if f < frame]:
                del self._frame_epochs[old]
            self._lags.append(self.trainer.epoch - epoch)
            del self._lags[:-500]

    def pause(self) -> None:
        """Same as the Pause button: pause after the current epoch (or sample); the progress
        line says ``pausing`` at once, ``paused`` when the worker has stopped."""
        self._require_open()
        self.trainer.pause()
        self._requested = "pausing"
        self._update_progress(None)  # "pausing" and the buttons follow at once

    def _stop_clicked(self) -> None:
        self._require_open()
        self._requested = "stopping"
        self._update_progress(None)  # shown before stop() waits for the worker
        self.trainer.stop()

    def step(self) -> None:
        """Same as the Step button."""
        self._require_open()
        self.trainer.step()
        self._update_progress(None)  # the buttons follow the new status at once

    def stop(self) -> None:
        """Same as the Stop button."""
        self._require_open()
        self.trainer.stop()
        self._update_progress(None)  # the buttons follow the new status at once

    # ---------------------------------------------------------------- events
    def _on_event(self, event: TrainingRecord) -> None:
        """Trainer listener (training thread): feed the views, draw one frame at the browser's
        pace (see the module docstring)."""
        self.curves.read_record(event)
        if event.kind == "reset":
            self.input_space.rebuild()
            return  # reset() redraws everything itself
        if not event.final and self._requested:
            return  # pausing / stopping: the final frame follows at once, draw only that one
        if event.final or (self.explorer.browser_ready() and self._throttle.ready()):
            self._draw_frame(event)

    def _draw_frame(self, event: TrainingRecord) -> None:
        if event.final:
            # "paused" / "finished" / "stopped" first: the views' frames queue behind it on the
            # comm, so the page shows the new status without waiting for them to be drawn
            self._update_progress(event)
        with live_refresh():  # the picture follows below, throttled
            self._draw_views(event)
        self._update_progress(event)
        self.n_redraws += 1
        self.update_picture(force=event.final)

    def _draw_views(self, event: TrainingRecord) -> None:
        self.explorer.refresh(self.som)
        self.explorer.mark_sent()
        hit_map = getattr(self.explorer, "hit_map", None)
        if hit_map is not None:
            with self._lag_lock:
                self._frame_epochs[hit_map.frame] = self.trainer.epoch
                if len(self._frame_epochs) > 1000:
                    self._frame_epochs.pop(next(iter(self._frame_epochs)))
        bmus = event.bmus if event.bmus is not None and len(event.bmus) == self.trainer.X.shape[0] else None
        slow_steps = event.kind == "step" and self.trainer.pace_s > 0
        if event.final or slow_steps or self._net_throttle.ready():
            self.input_space.refresh(bmus=bmus, step=event.online_step)
        if event.final or self._curves_throttle.ready():
            self.curves.redraw()
