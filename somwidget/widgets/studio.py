"""Studio: pause, step and tweak a map while it learns.

>>> import numpy as np
>>> from somwidget import SOM, Studio
>>> X = np.random.default_rng(0).normal(size=(300, 4))
>>> y = np.where(X[:, 0] > 0, "right", "left")
>>> studio = Studio(SOM(mapsize=(15, 15), lattice="hexa"), X, labels=y)
>>> studio.trainer.status
'idle'
>>> studio.close()

In a notebook, ``studio`` as a cell's last line shows it; Play starts training.

The Studio is a :class:`~somwidget.trainer.Trainer` (``studio.trainer``) wrapped in controls and
linked views:

* buttons Play / Pause / Step / Reset / Stop; Play after the last epoch continues with
  ``more_epochs`` more at the schedule's final radius and learning rate (fine-tuning) and says so;
* a speed control (:data:`SPEEDS`): full speed, a few epochs per second, or slow motion that
  presents the samples one at a time (online mode) for teaching;
* training parameters that apply from the next epoch (or step) while training runs: mode,
  epochs, radius start / end, learning rate start / end, decay, neighbourhood;
* map parameters (lattice, rows, columns, initialisation, normalisation) that need a new map:
  before training starts they apply at once; afterwards they wait for Reset, and a visible
  message says so (the controls, and how their changes reach the trainer:
  :mod:`.studio_controls`);
* a progress line (epoch, radius, learning rate, time left) and an error box that shows any
  exception raised in the training thread;
* the Explorer's hit map and U-matrix, :class:`~somwidget.widgets.curves.TrainingCurves` and
  :class:`~somwidget.widgets.input_space.InputSpaceView`, all sharing one Selection.

Views are refreshed from the training thread at the browser's pace: a frame of the hit map and
the U-matrix, the input-space net (at most 5 a second, every step in slow motion), the curves
(at most 2 a second) and the progress line go out together, and the next one only once the
browser has drawn the maps' previous frame (:class:`~somwidget.widgets.live.FramePacer`) and at
most ``max_rate_hz`` times a second; the final state, after a pause, a step, the end or an
error, is always drawn at once. The comm
traffic of a playing Studio is so bounded by what the browser can draw, whatever the training
speed, and the page shows Pause and Stop at once. ``studio.lag()`` is the number of epochs the
drawn map lags behind the trainer (measured at each acknowledgement).

Browser test hooks: the progress element has class ``somwidget-progress`` and its text starts
with ``epoch N / M`` (the inner span also carries ``data-epoch``, ``data-epochs``, ``data-step``
and ``data-status``); every control has a ``somwidget-<name>`` class (``somwidget-play``,
``somwidget-radius-start``, ...), the message box ``somwidget-message`` and the error box
``somwidget-error``.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ..callbacks import TrainingRecord
from ..trainer import Trainer
from ..validation import NAN_HINT, check_array, check_int, check_positive
from ._base import ViewBase
from .curves import TrainingCurves
from .explorer import Explorer
from .input_space import InputSpaceView
from .live import Throttle
from .pictures.compose import Picture, compose
from .pictures.text import text_block
from .selection import Selection
from .studio_controls import INHIBITION_MAX as INHIBITION_MAX
from .studio_controls import MAP_PARAMS, StudioControls, _shown
from .studio_pace import SPEEDS, StudioPace

__all__ = ["MAP_PARAMS", "SPEEDS", "Studio"]


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    return f"{m} min {sec:02d} s"


class Studio(StudioControls, StudioPace, ViewBase, widgets.VBox):
    """Interactive training studio for one SOM.

    Parameters
    ----------
    som : SOM
        The estimator (initialised on ``X`` if needed).
    X : array-like or DataFrame (n_samples, n_features)
        Training data in data units.
    labels : array-like (n_samples,), optional
        Class labels: majority class on the hit map, colours in the input-space view.
    mode, epochs, radius_start, radius_end, learning_rate_start, learning_rate_end, decay, neighborhood, inhibition
        Initial training parameters (see :class:`~somwidget.trainer.Trainer`: None takes the
        SOM's constructor parameter of the same name, else the defaults; shown in the
        controls, whose ranges widen to hold any value given).
    features : pair of int or str, optional
        Features of the input-space view (default: the two features, or the two leading
        principal components).
    selection : Selection, optional
        A selection to share with other views (a new one otherwise).
    max_rate_hz : float
        Most redraws per second of each view during training.
    callbacks : sequence of callables, optional
        Extra SOM training callbacks, passed to the trainer.
    speed : str
        One of :data:`SPEEDS` (the speed control's initial choice).
    more_epochs : int, optional
        Epochs Play adds once all are done (default: ``epochs``).

    Attributes
    ----------
    trainer : Trainer
        Python access to the training (``studio.trainer.history``, ``.pause()``, ``.join()``).
    som : SOM
    selection : Selection
    explorer : Explorer
        The linked hit map and U-matrix (``explorer.hit_map``, ``explorer.umatrix``).
    curves : TrainingCurves
    input_space : InputSpaceView
    buttons : dict of str -> ipywidgets.Button
    controls : dict of str -> ipywidgets widget
    pending : dict
        Map parameters changed after training started, waiting for Reset.
    """

    _released_attributes = ("som", "trainer")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        labels: Any = None,
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
        features: Sequence[int | str] | None = None,
        selection: Selection | None = None,
        max_rate_hz: float = 15.0,
        callbacks: Sequence[Any] | None = None,
        speed: str = "full speed",
        more_epochs: int | None = None,
    ) -> None:
        if X is None:
            raise ValueError("X is required: the training data")
        check_array("X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
                                   nan_hint=NAN_HINT)
        self.max_rate_hz = max_rate_hz = check_positive("max_rate_hz", max_rate_hz)
        self._lock = threading.RLock()  # serialises the progress / button redraws
        self.trainer = Trainer(
            som, X, mode=mode, epochs=epochs, radius_start=radius_start, radius_end=radius_end,
            learning_rate_start=learning_rate_start, learning_rate_end=learning_rate_end,
            decay=decay, neighborhood=neighborhood, inhibition=inhibition, callbacks=callbacks,
        )
        self.som = som
        if selection is None:
            selection = self._own(Selection())
        else:
            self._share(selection)
        self.selection = selection
        self.pending: dict[str, Any] = {}
        self._throttle = Throttle(max_rate_hz)
        # bqplot cannot acknowledge its frames and redraws slowly: the net at most 5 times a
        # second (every step in slow motion), the curves, which grow every epoch, twice
        self._net_throttle = Throttle(min(max_rate_hz, 5.0))
        self._curves_throttle = Throttle(min(max_rate_hz, 2.0))
        self._syncing = False
        self.n_redraws = 0
        self.more_epochs = check_int(
            "more_epochs", self.trainer.params.epochs if more_epochs is None else more_epochs,
            minimum=1)
        #: the schedule before Play extended it for fine-tuning (restored by Reset)
        self._before_extension: dict[str, Any] | None = None
        self._frame_epochs: dict[int, int] = {}
        self._lag_lock = threading.Lock()  # acks arrive on the comm thread, frames on the worker
        self._requested = ""  # "pausing" / "stopping" until the worker has stopped
        self._lags: list[int] = []

        # -- views
        self.explorer = Explorer(som, X, labels=labels, selection=self.selection,
                                 views=("hits", "umatrix"), max_rate_hz=max_rate_hz)
        # its own limit (5 a second) applies where it is a callback; the Studio redraws it through
        # _curves_throttle (twice a second)
        self.curves = TrainingCurves(max_rate_hz=min(max_rate_hz, 5.0), title="Training curves")
        self.input_space = InputSpaceView(som, X, labels=labels, selection=self.selection,
                                          features=features, max_rate_hz=max_rate_hz)

        # -- controls (studio_controls.py)
        self._build_controls(speed)
        c = self.controls

        self.progress = widgets.HTML()
        self.progress.add_class("somwidget-progress")
        self.message = widgets.HTML()
        self.message.add_class("somwidget-message")
        self.error_box = widgets.HTML()
        self.error_box.add_class("somwidget-error")

        box = widgets.Layout(flex_flow="row wrap", align_items="center")
        buttons = widgets.HBox([*self.buttons.values(), c["speed"]], layout=box)
        training = widgets.HBox([c["mode"], c["epochs"], c["decay"], c["neighborhood"],
                                 c["inhibition"], c["radius_start"], c["radius_end"], c["learning_rate_start"],
                                 c["learning_rate_end"]], layout=box)
        map_box = widgets.HBox([widgets.HTML("<b>map</b>"), c["lattice"], c["rows"], c["cols"],
                                c["initialization"], c["normalization"]], layout=box)
        views = widgets.HBox([self.input_space, self.curves],
                             layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__(children=[buttons, training, map_box, self.progress, self.message,
                                   self.error_box, self.explorer, views],
                         layout=widgets.Layout(width="100%"))
        self.add_class("somwidget-studio")
        self.trainer.add_listener(self._on_event)
        hit_map = getattr(self.explorer, "hit_map", None)
        if hit_map is not None:
            hit_map.pacer.on_ack(self._on_ack)
        self._apply_speed(quiet=True)
        self._update_progress(None)

    # ---------------------------------------------------------------- helpers
    def _guard(self, action: Any) -> None:
        """Run a button action; show a refused command in the message box, never raise."""
        try:
            self.message.value = ""  # before: a message the action writes stays
            action()
        except (RuntimeError, ValueError, TypeError, TimeoutError) as exc:
            self._show_message(str(exc), kind="error")
        self._update_progress(None)

    def _show_message(self, text: str, kind: str = "info") -> None:
        color = {"info": "#0b5394", "warn": "#b45f06", "error": "#a61c00"}[kind]
        self.message.value = (f"<div style='color:{color};font-size:13px' data-kind='{kind}'>"
                              f"{html.escape(text)}</div>")

    @property
    def started(self) -> bool:
        """Whether this map has been trained at all since the last reset."""
        t = self.trainer
        return t.epoch > 0 or t.step_in_epoch > 0 or t.status not in ("idle",)

    # ------------------------------------------------------------- commands
    def reset(self) -> None:
        """Stop training and build a new map with the chosen map parameters (``pending``).

        The radii follow the new map's defaults if they were the old map's, and a schedule
        that Play extended for fine-tuning is back at the one chosen before. A map the SOM
        refuses leaves the map and its controls as they were (and raises its error)."""
        self._require_open()
        changes = self._map_changes()
        was = tuple(_shown(v) for v in self.trainer.default_radii())
        try:
            self.trainer.reset(**changes)
        except BaseException:
            self.pending = {}
            self._sync_map_controls()
            raise
        self.pending = {}
        self.selection.clear()
        self._undo_extension()
        self._sync_map_controls()
        self._move_if_default(("radius_start", "radius_end"), was,
                              tuple(_shown(v) for v in self.trainer.default_radii()))
        self._redraw_all()
        if changes:
            self._show_message("new map: " + ", ".join(f"{k}={v}" for k, v in changes.items()))

    def _redraw_all(self) -> None:
        with self.trainer.lock:
            self.explorer.refresh(self.som)
            self.input_space.rebuild()
            self.curves.redraw()
        self._update_progress(None)

    def _update_progress(self, event: TrainingRecord | None) -> None:
        """Draw the progress line, the error box and the buttons' enabled states.

        Two threads call this at once: the training thread (``_on_event``) and the thread that
        runs a button handler (the kernel's shell or comm subshell thread). Each redraw reads the
        trainer's state and writes it under ``self._lock``, so the redraws reach the browser in
        the order they read the state and the last one shows the newest status: a handler's
        redraw that read ``running`` before the worker paused can no longer land after the
        worker's final ``paused`` redraw and leave the page saying ``running``.
        """
        with self._lock:
            self._draw_progress(event)

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Redraw every view and the progress line from the trainer's model."""
        self._redraw_all()

    def to_picture(self, max_width: float = 960.0) -> Picture:
        """A static SVG of the studio (no browser needed): the progress line, then the linked
        maps, the input-space view and the training curves (the controls are left out)."""
        with self._lock:
            head = text_block(self.progress.value, max_width, size=13, css="progress")
        return compose([head, self.explorer.to_picture(), self.input_space.to_picture(),
                        self.curves.to_picture()], max_width=max_width)

    def _draw_progress(self, event: TrainingRecord | None) -> None:
        # caller holds self._lock. The status is the trainer's own (never an older event's) and
        # is read first: the worker counts an epoch before it pauses, so a 'paused' line always
        # carries the final epoch.
        t = self.trainer
        status = t.status
        p = t.resolved_params()
        epoch, n_epochs = t.epoch, p["epochs"]
        # the radius and learning rate of the last epoch trained, whatever drew the line (a
        # 'running' line used to show the finished epoch's, the 'paused' one the next's); the
        # schedule's current values before any epoch and in the middle of an online epoch
        last = t.history[-1] if t.history else None
        if event is not None and event.radius is not None:  # every record carries its values
            radius, lr = event.radius, event.learning_rate
        elif last is not None and last.radius is not None and not t.step_in_epoch:
            radius, lr = last.radius, last.learning_rate
        else:
            radius, lr = t.current_schedule()
        parts = [f"epoch {epoch} / {n_epochs}"]
        if p["mode"] == "online" and t.step_in_epoch:
            parts.append(f"sample {t.step_in_epoch} / {t.X.shape[0]}")
        shown = status
        if status == "running" and self._requested:
            shown = f"{self._requested} after this {'sample' if t.play_samples else 'epoch'}…"
        elif status != "running":
            self._requested = ""
        parts += [f"radius {radius:.3g}"]
        if p["mode"] == "online":  # batch training has no learning rate
            parts.append(f"learning rate {lr:.3g}")
        parts += [f"time left {_fmt_seconds(t.eta())}", shown]
        if last is not None and last.quantization_error is not None:
            parts.append(f"QE {last.quantization_error:.4g}")
        text = " · ".join(parts)
        self.progress.value = (
            f"<span class='somwidget-progress-text' data-epoch='{epoch}' data-epochs='{n_epochs}' "
            f"data-step='{t.step_in_epoch}' data-status='{status}' data-requested='{self._requested}' "
            f"style='font-family:var(--jp-code-font-family,monospace);font-size:13px'>"
            f"{html.escape(text)}</span>"
        )
        err = t.error
        if err is not None:
            self.error_box.value = (
                "<div style='color:#a61c00;border:1px solid #a61c00;padding:4px;font-size:13px'>"
                f"<b>training failed</b>: {html.escape(type(err).__name__)}: "
                f"{html.escape(str(err))} — press Reset to start again</div>"
            )
        else:
            self.error_box.value = ""
        running = status == "running"
        b = self.buttons
        b["play"].disabled = running or status in ("stopped", "error")
        b["pause"].disabled = not running
        b["step"].disabled = status in ("stopped", "error")
        b["stop"].disabled = status in ("stopped", "error", "idle")

    # -------------------------------------------------------------- teardown
    def close(self) -> None:
        """Stop the training thread, then close every widget and release the trainer, the SOM
        and the data (:meth:`ViewBase.close`). Idempotent."""
        trainer = self.__dict__.get("trainer")
        if trainer is not None and not self.closed:
            trainer.remove_listener(self._on_event)
            trainer.close()
        super().close()

    def __repr__(self) -> str:
        if self.closed:
            return "Studio(closed)"
        return f"Studio({self.trainer!r})"
