"""The InputSpaceView's static picture: the data, the net and the step of step mode, in SVG.

:meth:`InputSpaceView.to_picture <somwidget.widgets.input_space.InputSpaceView.to_picture>`
gathers what the browser shows (projected points, the net, the selection, the step) into an
:class:`InputSpaceDrawing`; :func:`input_space_picture` draws it with the marks the browser's
chart uses (no browser needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .net_geometry import ARROW_MIN_WEIGHT, move_arrows
from .pictures.chart import Chart
from .pictures.compose import Picture, compose
from .pictures.text import text_block

__all__ = ["InputSpaceDrawing", "input_space_picture"]


@dataclass
class InputSpaceDrawing:
    """What one picture of the input space shows, already projected to the chart's plane.

    Attributes
    ----------
    xy : ndarray of shape (n, 2)
        The samples shown.
    opacity : ndarray of shape (n,)
        Each sample's opacity (faded outside the selection).
    groups : list of (mask, name, colour) or None
        The samples of each class (masks over ``xy``), or None without labels.
    nodes : ndarray of shape (M, 2)
        The neurons' positions (after the step's update in step mode).
    segments : ndarray of shape (S, 2)
        The net's segments as pairs of neuron indices.
    net_neurons : ndarray of int
        The neurons drawn as nodes.
    selected : sequence of int
        The selected neurons.
    step : object or None
        The step shown (``bmu``, ``weights``), or None.
    before : ndarray of shape (M, 2) or None
        The neurons' positions before the step's update.
    sample : ndarray of shape (2,) or None
        The step's sample.
    arrow_head : float
        The length of the arrow heads of the moves, in data units.
    """

    xy: np.ndarray
    opacity: np.ndarray
    groups: list[tuple[np.ndarray, str, str]] | None
    nodes: np.ndarray
    segments: np.ndarray
    net_neurons: np.ndarray
    selected: Sequence[int]
    step: Any = None
    before: np.ndarray | None = None
    sample: np.ndarray | None = None
    arrow_head: float = 0.0


def input_space_picture(drawing: InputSpaceDrawing, *, width: float, height: float,
                        title: str | None, x_axis: tuple[str, float, float],
                        y_axis: tuple[str, float, float], caption: str) -> Picture:
    """The picture of ``drawing`` on a chart of ``width`` x ``height`` pixels.

    Parameters
    ----------
    drawing : InputSpaceDrawing
    width, height : float
        The chart's size in pixels.
    title : str or None
    x_axis, y_axis : (label, lo, hi)
        The axes as the browser's chart has them.
    caption : str
        The text under the chart.
    """
    d = drawing
    chart = (Chart(width, height, title=title, margins=(34.0 if title else 12.0, 15.0, 45.0, 56.0))
             .axis("x", x_axis[0], lo=x_axis[1], hi=x_axis[2], exact=True)
             .axis("left", y_axis[0], lo=y_axis[1], hi=y_axis[2], exact=True))
    if d.groups:
        for rows, name, colour in d.groups:
            chart.points(d.xy[rows, 0], d.xy[rows, 1], colour, radius=2.2,
                         opacity=d.opacity[rows], label=name, css="sample")
    else:
        chart.points(d.xy[:, 0], d.xy[:, 1], "#6baed6", radius=2.2, opacity=d.opacity,
                     css="sample")
    nodes = d.nodes
    weights = None
    if d.step is not None:
        weights = np.clip(np.asarray(d.step.weights, dtype=np.float64), 0.0, None)
        keep = weights > 1e-3
        # bqplot sizes are areas: 400 px^2 at weight 1
        chart.points(nodes[keep, 0], nodes[keep, 1], "#ff7f0e",
                     radius=np.sqrt(400.0 * weights[keep] / np.pi), opacity=0.45,
                     css="influence")
        chart.segments(d.before[d.segments], "#999999", width=1.0, dashed=True,
                       opacity=0.6, css="ghost")
    chart.segments(nodes[d.segments], "#333333", width=1.2, opacity=0.9, css="net")
    is_sel = np.zeros(nodes.shape[0], bool)
    is_sel[list(d.selected)] = True
    ks = d.net_neurons
    chart.points(nodes[ks, 0], nodes[ks, 1],
                 ["#ffd400" if s else "#333333" for s in is_sel[ks]],
                 radius=np.where(is_sel[ks], 5.0, 2.6),
                 stroke="#000000", stroke_width=0.6, css="node",
                 attrs=[f'data-neuron="{k}"' + (' data-selected="1"' if is_sel[k] else "")
                        for k in ks])
    if d.step is not None:
        sample, b = d.sample, int(d.step.bmu)
        mx, my = move_arrows(d.before, nodes, weights >= ARROW_MIN_WEIGHT, d.arrow_head)
        if mx.size:
            chart.line(mx, my, "#111111", width=2.5, css="move")
        chart.line([sample[0], nodes[b, 0]], [sample[1], nodes[b, 1]], "#d62728",
                   width=4.0, css="arrow")
        chart.points([nodes[b, 0]], [nodes[b, 1]], "#d62728", radius=11.0,
                     stroke="#000000", stroke_width=4.0, css="bmu", label="BMU")
        chart.points([sample[0]], [sample[1]], "#d62728", radius=11.0, marker="cross",
                     css="step-sample", label="sample")
        chart.points([], [], "#ff7f0e", label="neighbourhood weight (area)")
    foot = text_block(caption, width, monospace=False, color="#555555", css="caption")
    return compose([chart.to_picture(), foot], max_width=0.0, gap=2.0)
