"""Step mode of the input-space view: one online update drawn to be read from the back of a hall.

:class:`StepMarks` is mixed into :class:`~somwidget.widgets.input_space.InputSpaceView`. For a
:class:`~somwidget.trainer.StepRecord` or the SOM's ``OnlineStep`` it draws the presented sample
(a large cross), a bold BMU marker joined to it by a thick red line, an arrow from the old to the
new position of every neuron that moved noticeably (weight at least
:data:`~.net_geometry.ARROW_MIN_WEIGHT`), the neighbourhood weight of every neuron (orange discs
whose area is the weight, 1 at the BMU) and the net before the update as a faint dashed ghost,
with the legend above the chart; without a step it hides them all (sending nothing when they
are hidden already).
"""

from __future__ import annotations

from typing import Any

import bqplot as bq
import numpy as np

from .net_geometry import _STEP_LEGEND, ARROW_MIN_WEIGHT, move_arrows, net_polyline

__all__ = ["StepMarks"]


class StepMarks:
    """The marks of step mode and how a step is shown (a mixin; see the module docstring).

    The view provides ``project`` (training space to its plane), ``segments`` (the net's
    edges), ``step_legend`` (an ``ipywidgets.HTML``) and its x scale ``_x_scale``, and calls
    :meth:`_build_step_marks` before any step is shown.
    """

    segments: np.ndarray
    step_legend: Any
    _x_scale: Any
    project: Any

    def _build_step_marks(self, sc: dict[str, Any], ink: str) -> None:
        """The six marks of step mode, empty, on the scales ``sc`` (the moves drawn in ``ink``)."""
        self.step_shown: Any = None
        self._step_cleared = False
        self._ghost = bq.Lines(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=["#999999"],
                               stroke_width=1, line_style="dashed", opacities=[0.6])
        self._influence = bq.Scatter(
            x=np.zeros(0), y=np.zeros(0), scales={**sc, "size": bq.LinearScale(min=0.0, max=1.0)},
            colors=["#ff7f0e"], opacities=[0.45], size=np.zeros(0), default_size=400,
            stroke="#ff7f0e",
        )
        self._arrow = bq.Lines(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=["#d62728"],
                               stroke_width=4)
        self._moves = bq.Lines(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=[ink],
                               stroke_width=2.5)
        self._sample = bq.Scatter(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=["#d62728"],
                                  marker="cross", default_size=420, stroke="white",
                                  stroke_width=1.5)
        self._bmu_mark = bq.Scatter(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=["#d62728"],
                                    marker="circle", default_size=380, stroke="black",
                                    stroke_width=4)

    def _show_step(self, step: Any) -> None:
        shown_before = self.step_shown is not None
        self.step_shown = step
        empty = np.zeros(0)
        if step is None:
            if not shown_before and self._step_cleared:
                return  # already hidden: send nothing
            self._step_cleared = True
            self.step_legend.value = ""
            for m in (self._ghost, self._arrow, self._moves, self._sample, self._bmu_mark):
                with m.hold_sync():
                    m.x, m.y = empty, empty
            with self._influence.hold_sync():
                self._influence.x, self._influence.y, self._influence.size = empty, empty, empty
            return
        self._step_cleared = False
        before = self.project(step.codebook_before)
        after = self.project(step.codebook_after)
        sample = self.project(np.asarray(step.sample)[None, :])[0]
        bmu = int(step.bmu)
        weights = np.clip(np.asarray(step.weights, dtype=np.float64), 0.0, None)
        keep = weights > 1e-3
        gx, gy = net_polyline(before, self.segments)
        with self._ghost.hold_sync():
            self._ghost.x, self._ghost.y = gx, gy
        with self._influence.hold_sync():
            self._influence.x = after[keep, 0]
            self._influence.y = after[keep, 1]
            self._influence.size = weights[keep]
        mx, my = move_arrows(before, after, weights >= ARROW_MIN_WEIGHT, self._arrow_head())
        with self._moves.hold_sync():
            self._moves.x, self._moves.y = mx.astype(np.float32), my.astype(np.float32)
        with self._arrow.hold_sync():
            self._arrow.x = np.array([sample[0], after[bmu, 0]])
            self._arrow.y = np.array([sample[1], after[bmu, 1]])
        if self.step_legend.value != _STEP_LEGEND:
            self.step_legend.value = _STEP_LEGEND
        with self._sample.hold_sync():
            self._sample.x, self._sample.y = sample[:1], sample[1:]
        with self._bmu_mark.hold_sync():
            self._bmu_mark.x, self._bmu_mark.y = after[bmu:bmu + 1, 0], after[bmu:bmu + 1, 1]

    def _arrow_head(self) -> float:
        """Arrow-head length in data units: 2.5 % of the view's width."""
        lo, hi = self._x_scale.min, self._x_scale.max
        return 0.025 * (float(hi) - float(lo)) if lo is not None and hi is not None else 0.1
