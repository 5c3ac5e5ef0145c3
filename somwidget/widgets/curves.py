"""TrainingCurves: quantization error, topographic error and vacancy rate per epoch, live.

Two small bqplot charts stacked in one widget:

* **quality**: quantization error (left axis, training-space units) and topographic error and
  vacancy rate (right axis, fractions in [0, 1]) against the epoch;
* **schedule**: the neighbourhood radius (left axis, grid units) and the learning rate (right axis)
  actually used at every epoch;

plus a one-line text summary of the latest values. The legends sit above the charts (never
over the data); the epoch axis has whole-number ticks; batch training has no learning rate, so
batch epochs draw no learning-rate line (nor its axis).

It reads :class:`~somwidget.callbacks.TrainingRecord` objects, one way whoever made them:

* as a training callback: ``som.fit(X, callbacks=[curves])`` (every epoch-end record adds or
  updates one row; redraws are throttled, the final one always drawn). The curves have
  ``wants_metrics = True``: the fit measures QE / TE / vacancy at the epochs it shows them
  (:func:`~somwidget.callbacks.wants_metrics`), with or without ``collect_history``;
* as a :class:`~somwidget.trainer.Trainer` listener: ``curves.attach(trainer)``;
* from a history: ``TrainingCurves.from_history(som.history_)`` or ``(trainer.history)``.

The x axis is the record's cumulative ``total_epoch`` (it grows across phases and ``fit``
calls); a record whose epoch goes back (a re-initialised or another model) starts a new segment
after the previous epochs. The rows, and how records and histories become them, are
:class:`~somwidget.widgets.curve_records.CurveRecords` (:mod:`.curve_records`).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..validation import check_int, check_positive
from ._base import ViewBase
from ._chart_theme import theme_chart
from ._common import set_axis_ticks
from .colormaps import beyond_float32
from .curve_records import CURVE_COLUMNS, CurveRecords
from .live import Throttle
from .pictures.chart import Chart, css_pixels, nice_ticks, tick_format
from .pictures.compose import Picture, compose
from .pictures.text import text_block

__all__ = ["CURVE_COLUMNS", "TrainingCurves"]

_COLORS = {
    "quantization_error": "#1f77b4",
    "topographic_error": "#d62728",
    "vacancy_rate": "#2ca02c",
    "radius": "#9467bd",
    "learning_rate": "#d95f02",  # a darker orange: its tick labels read on white (3.8:1)
}
_NAMES = {
    "quantization_error": "QE",
    "topographic_error": "TE",
    "vacancy_rate": "vacancy",
    "radius": "radius",
    "learning_rate": "learning rate",
}


#: The QE line marks every epoch with a dot up to this many shown epochs.
MARKERS_UP_TO = 60


def _legend_html(items: list[tuple[str, str, bool]]) -> str:
    """One row of legend keys (name, colour, dashed) shown above a chart."""
    keys = []
    for name, color, dashed in items:
        style = "dashed" if dashed else "solid"
        keys.append(f"<span style='white-space:nowrap;margin-right:12px'><span style='display:inline-block;"
                    f"width:18px;border-top:2px {style} {color};vertical-align:middle;margin-right:4px'>"
                    f"</span>{html.escape(name)}</span>")
    return f"<div class='somwidget-legend' style='font-size:12px;margin-left:55px'>{''.join(keys)}</div>"


def epoch_ticks(last_epoch: float) -> np.ndarray:
    """Whole-number ticks of an epoch axis from 0 to at least ``last_epoch`` (at least 1)."""
    hi = float(last_epoch) if np.isfinite(last_epoch) and last_epoch > 0 else 1.0
    return nice_ticks(0.0, hi, 5, integer=True)


#: The schedule chart's y ticks before any epoch (0 to 1), and how many intervals the short
#: schedule chart and the quality chart's QE axis aim at (bqplot's own ten crowd them).
_SCHEDULE_TICKS = np.array([0.0, 0.5, 1.0])
_SCHEDULE_N_TICKS = 3
_QE_N_TICKS = 5
#: A right-hand axis label clear of tick labels as wide as "100%" or "0.45".
_RIGHT_LABEL_OFFSET = "44px"


def _round_axis(scale: bq.LinearScale, axis: bq.Axis, values: np.ndarray,
                n: int = _SCHEDULE_N_TICKS) -> None:
    """A few round ticks from 0 to the largest of ``values``, and the scale ending on the last."""
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ticks = nice_ticks(0.0, top, n).astype(np.float64)
    set_axis_ticks(scale, axis, ticks, tick_format(ticks))


def _chart_values(v: np.ndarray) -> np.ndarray:
    """A curve's values as they travel to the chart: float32 (half the bytes) unless a finite
    non-zero value lies beyond its range (a QE near 1e300 on unnormalised data would draw as
    inf, one near 1e-300 as 0); float64 then."""
    return v.astype(np.float64 if beyond_float32(v) else np.float32)


class TrainingCurves(CurveRecords, ViewBase, widgets.VBox):
    """Live training curves (bqplot).

    Parameters
    ----------
    som : SOM, optional
        Show this SOM's ``history_`` (what ``fit(..., collect_history=True)`` recorded) at once.
    X : array-like of shape (N, D), optional
        Data to initialise an unfitted ``som`` with (the curves start empty).
    max_rate_hz : float
        Most redraws per second when fed live (the final state is always drawn).
    width, height : str
        CSS size of each chart (the schedule chart is 60 % as high).
    title : str, optional
        Title above the quality chart.
    max_points : int
        At most this many points per line are sent to the browser (evenly spaced epochs, first
        and last always included); :attr:`data` keeps every epoch. Long runs would otherwise
        grow every redraw until the kernel's IOPub data-rate limit silently drops frames.

    Attributes
    ----------
    data : dict of str -> list of float
        One list per column of :data:`CURVE_COLUMNS`, one entry per epoch (NaN when unknown).
    frame : int
        Number of redraws sent so far.
    """

    def __init__(
        self,
        som: Any = None,
        X: Any = None,
        *,
        max_rate_hz: float = 15.0,
        width: str = "420px",
        height: str = "220px",
        title: str | None = "Training curves",
        max_points: int = 400,
    ) -> None:
        self.max_points = check_int("max_points", max_points, minimum=2)
        for name, size in (("width", width), ("height", height)):
            if not isinstance(size, str):
                raise TypeError(f"{name} must be a CSS length such as '420px' or '100%'; "
                                f"got {size!r}")
        self._lock = threading.RLock()
        self.max_rate_hz = check_positive("max_rate_hz", max_rate_hz)
        self._throttle = self.throttle = Throttle(max_rate_hz=max_rate_hz)
        self._forget_rows()
        self.frame = 0

        x = bq.LinearScale(min=0.0)
        y_qe = bq.LinearScale(min=0.0)
        y_rate = bq.LinearScale(min=0.0, max=1.0)
        self._qe_line = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": x, "y": y_qe},
            colors=[_COLORS["quantization_error"]], labels=["QE"], display_legend=False,
            marker="circle", marker_size=12, stroke_width=2,
        )
        self._rate_lines = bq.Lines(
            x=np.zeros(0), y=np.zeros((2, 0)), scales={"x": x, "y": y_rate},
            colors=[_COLORS["topographic_error"], _COLORS["vacancy_rate"]],
            labels=["TE", "vacancy"], display_legend=False, stroke_width=2,
        )
        self._x_scales = (x,)
        self._x_axes = [bq.Axis(scale=x, label="epoch", tick_format="d",
                                tick_values=epoch_ticks(0).astype(np.float64))]
        self._qe_scale = y_qe
        self._qe_axis = bq.Axis(scale=y_qe, label="QE", side="left",
                                color=_COLORS["quantization_error"], tick_values=_SCHEDULE_TICKS,
                                tick_format=tick_format(_SCHEDULE_TICKS))
        self.quality_figure = bq.Figure(
            marks=[self._qe_line, self._rate_lines],
            axes=[
                self._x_axes[0],
                self._qe_axis,
                bq.Axis(scale=y_rate, label="TE, vacancy", side="right",
                        tick_format=".0%", label_offset=_RIGHT_LABEL_OFFSET),
            ],
            title=title or "",
            legend_location="top-right",
            fig_margin={"top": 40 if title else 15, "bottom": 40, "left": 55, "right": 62},
            layout=widgets.Layout(width=width, height=height),
        )
        theme_chart(self.quality_figure)
        x2 = bq.LinearScale(min=0.0)
        y_radius = bq.LinearScale(min=0.0)
        y_lr = bq.LinearScale(min=0.0)
        self._radius_line = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": x2, "y": y_radius},
            colors=[_COLORS["radius"]], labels=["radius"], display_legend=False, stroke_width=2,
        )
        self._lr_line = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": x2, "y": y_lr},
            colors=[_COLORS["learning_rate"]], labels=["learning rate"], display_legend=False,
            stroke_width=2, line_style="dashed",
        )
        try:
            small = f"{int(float(height.rstrip('px')) * 0.6)}px"
        except ValueError:
            small = height
        self._x_scales = (x, x2)
        self._x_axes.append(bq.Axis(scale=x2, label="epoch", tick_format="d",
                                    tick_values=epoch_ticks(0).astype(np.float64)))
        # the schedule chart is short: a few round ticks (bqplot's own ten overlap there)
        self._schedule_scales = (y_radius, y_lr)
        self._radius_axis = bq.Axis(scale=y_radius, label="radius", side="left",
                                    color=_COLORS["radius"], tick_values=_SCHEDULE_TICKS,
                                    tick_format=tick_format(_SCHEDULE_TICKS))
        self._lr_axis = bq.Axis(scale=y_lr, label="learning rate", side="right",
                                color=_COLORS["learning_rate"], tick_values=_SCHEDULE_TICKS,
                                tick_format=tick_format(_SCHEDULE_TICKS),
                                label_offset=_RIGHT_LABEL_OFFSET)
        # taken out of the figure in batch mode (no learning rate): owned, so close() still
        # closes it when it is not in the widget tree
        self._own(self._lr_axis)
        self.schedule_figure = bq.Figure(
            marks=[self._radius_line, self._lr_line],
            axes=[self._x_axes[1], self._radius_axis, self._lr_axis],
            legend_location="top-right",
            fig_margin={"top": 10, "bottom": 40, "left": 55, "right": 62},
            layout=widgets.Layout(width=width, height=small),
        )
        theme_chart(self.schedule_figure)
        self._title = title
        self._size = (css_pixels(width, 420.0), css_pixels(height, 220.0))
        self.summary = widgets.HTML(value="<i>no epoch yet</i>")
        self.summary.add_class("somwidget-curves-summary")
        self.quality_legend = widgets.HTML(_legend_html([
            ("QE", _COLORS["quantization_error"], False), ("TE", _COLORS["topographic_error"], False),
            ("vacancy", _COLORS["vacancy_rate"], False)]))
        self.schedule_legend = widgets.HTML(self._schedule_legend(True))
        self._lr_shown = True
        for w in (self.quality_legend, self.schedule_legend):
            w.add_class("somwidget-curves-legend")
        super().__init__(children=[self.quality_legend, self.quality_figure, self.schedule_legend,
                                   self.schedule_figure, self.summary])
        self.add_class("somwidget-curves")
        if som is not None:
            self._ensure_initialized(som, X)
            if getattr(som, "history_", None):
                self.load_history(som.history_)

    # ---------------------------------------------------------------- feeding
    def __call__(self, record: Any) -> None:
        """Training callback and Trainer listener: read one training record; never stops training.

        Every record is read the same way, whoever made it (:meth:`read_record`): an epoch-end
        record adds (or updates) the row of its epoch, a record inside an epoch only updates
        the summary line, a reset clears the curves. Redraws are throttled; the final record is
        always drawn.
        """
        self.read_record(record)
        final = bool(getattr(record, "final", False))
        if final or self._throttle.ready():
            self.redraw()
            self._after_live_refresh(final)
        return None

    #: Trainer listener (the same as calling the widget).
    on_trainer_event = __call__

    #: A SOM training call measures the epoch metrics for these curves (the quality chart's
    #: lines) at the epochs it passes them, also without ``collect_history``.
    wants_metrics = True

    @staticmethod
    def _schedule_legend(with_rate: bool) -> str:
        items = [("radius", _COLORS["radius"], False)]
        if with_rate:
            items.append(("learning rate", _COLORS["learning_rate"], True))
        return _legend_html(items)

    # -------------------------------------------------------------- rendering
    def redraw(self) -> None:
        """Send the current data to the charts (one message per mark; float32 where it holds
        the values, :func:`_chart_values`)."""
        full = self.arrays()
        rows = self.shown_rows(full["epoch"].size)
        a = {c: _chart_values(v[rows]) for c, v in full.items()}
        x = a["epoch"]
        with self._lock:
            current = dict(self._current)
            self.frame += 1
        with self._qe_line.hold_sync():
            self._qe_line.x = x
            self._qe_line.y = a["quantization_error"]
            # a marker per epoch helps on short runs; hundreds of them only slow the page down
            marker = "circle" if x.size <= MARKERS_UP_TO else None
            if self._qe_line.marker != marker:
                self._qe_line.marker = marker
        with self._rate_lines.hold_sync():
            self._rate_lines.x = x
            self._rate_lines.y = np.vstack([a["topographic_error"], a["vacancy_rate"]]) if x.size else np.zeros((2, 0), np.float32)
        with self._radius_line.hold_sync():
            self._radius_line.x = x
            self._radius_line.y = a["radius"]
        lr = a["learning_rate"]
        has_rate = bool(np.isfinite(lr).any()) or x.size == 0
        with self._lr_line.hold_sync():  # all NaN would draw a "null" path: send nothing
            self._lr_line.x = x if has_rate else np.zeros(0, np.float32)
            self._lr_line.y = lr if has_rate else np.zeros(0, np.float32)
            self._lr_line.visible = has_rate
        if has_rate != self._lr_shown:
            self._lr_shown = has_rate
            self._lr_axis.visible = has_rate
            # a hidden axis still lays out ticks on its empty (NaN) domain: take it out
            axes = [a for a in self.schedule_figure.axes if a is not self._lr_axis]
            self.schedule_figure.axes = [*axes, self._lr_axis] if has_rate else axes
            self.schedule_legend.value = self._schedule_legend(has_rate)
        for scale, axis, values in zip(self._schedule_scales, (self._radius_axis, self._lr_axis),
                                       (a["radius"], lr), strict=True):
            _round_axis(scale, axis, values)
        _round_axis(self._qe_scale, self._qe_axis, a["quantization_error"], _QE_N_TICKS)
        ticks = epoch_ticks(float(np.nanmax(x)) if x.size else 0.0).astype(np.float64)
        for scale, axis in zip(self._x_scales, self._x_axes, strict=True):
            set_axis_ticks(scale, axis, ticks)
        self.summary.value = self._summary_html(current)

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Redraw; with ``som``, show its ``history_`` (when it has one) instead."""
        if som is not None and getattr(som, "history_", None):
            self.load_history(som.history_)
        else:
            self.redraw()

    def to_picture(self) -> Picture:
        """The two charts and the summary line as one standalone SVG (no browser needed)."""
        full = self.arrays()
        rows = self.shown_rows(full["epoch"].size)
        a = {c: v[rows] for c, v in full.items()}
        with self._lock:
            current = dict(self._current)
        x = a["epoch"]
        w, h = self._size
        last = float(np.nanmax(x)) if x.size else 0.0
        hi = float(epoch_ticks(last)[-1])
        quality = (Chart(w, h, title=self._title or None, legend="above")
                   .axis("x", "epoch", lo=0.0, hi=hi, fmt="int")
                   .axis("left", "QE", lo=0.0, color=_COLORS["quantization_error"])
                   .axis("right", "TE, vacancy", lo=0.0, hi=1.0, fmt="percent"))
        quality.line(x, a["quantization_error"], _COLORS["quantization_error"], label="QE",
                     css="qe")
        quality.line(x, a["topographic_error"], _COLORS["topographic_error"], axis="right",
                     label="TE", css="te")
        quality.line(x, a["vacancy_rate"], _COLORS["vacancy_rate"], axis="right",
                     label="vacancy", css="vacancy")
        has_rate = bool(np.isfinite(a["learning_rate"]).any()) or x.size == 0
        schedule = (Chart(w, max(120.0, 0.6 * h), legend="above")
                    .axis("x", "epoch", lo=0.0, hi=hi, fmt="int")
                    .axis("left", "radius", lo=0.0, color=_COLORS["radius"]))
        schedule.line(x, a["radius"], _COLORS["radius"], label="radius", css="radius")
        if has_rate:
            schedule.axis("right", "learning rate", lo=0.0, color=_COLORS["learning_rate"])
            schedule.line(x, a["learning_rate"], _COLORS["learning_rate"], axis="right",
                          label="learning rate", dashed=True, css="learning-rate")
        summary = text_block(self._summary_html(current), w, css="summary")
        return compose([quality.to_picture(), schedule.to_picture(), summary], max_width=0.0, gap=4.0)

    @staticmethod
    def _summary_html(current: Mapping[str, float]) -> str:
        if not current:
            return "<i>no epoch yet</i>"
        parts = []
        for c in CURVE_COLUMNS:
            v = current.get(c, float("nan"))
            if v is None or np.isnan(v):
                continue
            if c == "epoch":
                parts.append(f"epoch {int(v)}")
            elif c in ("topographic_error", "vacancy_rate"):
                parts.append(f"{_NAMES[c]} {v:.1%}")
            else:
                parts.append(f"{_NAMES[c]} {v:.4g}")
        return (
            "<span style='font-size:12px;font-family:var(--jp-code-font-family,monospace)'>"
            + html.escape(" · ".join(parts))
            + "</span>"
        )
