"""The NeuronInspector's static picture and the round ticks of its z-score axis.

The picture is the chart the browser shows, in plain SVG (no browser needed): the data's ±1 sd
band, one line per neuron, or for a big selection the mean with a ±1 sd band across the neurons
and the mean of their samples (dashed), on a symmetric axis with round ticks; the feature names
cut as under the browser's chart (:func:`tick_names`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from .pictures.compose import Picture

__all__ = ["LINE_COLORS", "chart_picture", "round_ticks", "tick_names"]

#: The colours of the inspector's lines (the first is also the spread band's).
LINE_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

#: Round tick steps of the z-score axis.
_STEPS = (0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)

#: Longer feature names are cut to this many characters (with "…") under the chart.
_TICK_CHARS = 16


def tick_names(names: Sequence[str], limit: int = _TICK_CHARS) -> list[str]:
    """The chart's x positions: the feature names, long ones cut to ``limit`` characters.

    The cut names stay distinct (a name that would clash keeps its head and its tail); when
    even those clash the full names are kept.
    """
    def cut(name: str, tail: int) -> str:
        if len(name) <= limit:
            return name
        head = limit - 1 - tail
        return name[:head] + "…" + (name[-tail:] if tail else "")

    for tail in (0, (limit - 1) // 2):
        short = [cut(str(n), tail) for n in names]
        if len(set(short)) == len(short):
            return short
    return [str(n) for n in names]


def round_ticks(limit: float, max_ticks: int = 9) -> tuple[float, np.ndarray]:
    """A symmetric axis ``[-L, L]`` covering ``limit`` with round ticks (at most ``max_ticks``).

    Returns ``(L, ticks)``: ``L`` a multiple of the tick step (one of 0.25, 0.5, 1, 2, 2.5,
    5, 10, ...), ticks from ``-L`` to ``L``.
    """
    limit = float(limit) if np.isfinite(limit) and limit > 0 else 1.0
    step = next((s for s in _STEPS if 2 * np.ceil(limit / s) + 1 <= max_ticks),
                10 ** np.ceil(np.log10(limit)))
    top = float(np.ceil(limit / step - 1e-9) * step)
    return top, np.round(np.arange(-top, top + step / 2, step), 10)


def chart_picture(c: dict[str, Any], names: Sequence[str], title: str, width: int = 360,
                  height: int = 220) -> Picture:
    """SVG of the inspector's chart data ``c`` (``lines``, ``band``, ``samples`` z-scores).

    Parameters
    ----------
    c : dict
        ``lines`` (k, D) z-scores, ``band`` (2, D) or None, ``samples`` (D,) or None.
    names : sequence of str
        The D feature names (x axis).
    title : str
        The picture's title.
    width, height : int
        Size of the SVG in pixels.

    Returns
    -------
    Picture
        A standalone ``<svg>`` document and its size.
    """
    d = len(names)
    left, right, top, bottom = 40, 10, 22, 70
    pw, ph = width - left - right, height - top - bottom
    parts_z = [a for a in (c["lines"], c["band"], c["samples"]) if a is not None and np.size(a)]
    lim = max([1.0, *(float(np.nanmax(np.abs(a))) for a in parts_z if np.isfinite(a).any())])
    lim, ticks = round_ticks(lim * 1.05, max_ticks=7)

    def px(i: np.ndarray) -> np.ndarray:
        return left + (i + 0.5) * pw / d

    def py(v: Any) -> Any:
        return top + (lim - v) * ph / (2 * lim)

    def pts(row: np.ndarray) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, py(row), strict=True))

    xs = px(np.arange(d))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="14" font-size="12">{html.escape(title)}</text>',
        f'<rect x="{left}" y="{py(1.0):.1f}" width="{pw}" height="{py(-1.0) - py(1.0):.1f}" '
        'fill="#9e9e9e" fill-opacity="0.3"/>',
        f'<line x1="{left}" x2="{left + pw}" y1="{py(0.0):.1f}" y2="{py(0.0):.1f}" '
        'stroke="#777" stroke-dasharray="4 3"/>',
    ]
    out += [f'<text x="{left - 4}" y="{py(t) + 3:.1f}" text-anchor="end">{t:g}</text>'
            for t in ticks]
    if c["band"] is not None:
        poly = pts(c["band"][1]) + " " + " ".join(
            f"{x:.1f},{y:.1f}" for x, y in zip(xs[::-1], py(c["band"][0][::-1]), strict=True))
        out.append(f'<polygon points="{poly}" fill="{LINE_COLORS[0]}" fill-opacity="0.25"/>')
    if c["samples"] is not None:
        out.append(f'<polyline class="samples" points="{pts(c["samples"])}" fill="none" '
                   f'stroke="{LINE_COLORS[1]}" stroke-width="2" stroke-dasharray="5 3"/>')
    for i, row in enumerate(c["lines"]):
        out.append(f'<polyline points="{pts(row)}" fill="none" stroke="{LINE_COLORS[i % 8]}" '
                   'stroke-width="2"/>')
    for x, name in zip(xs, tick_names(names), strict=True):  # the browser chart's names
        out.append(f'<text transform="translate({x:.1f},{top + ph + 8}) rotate(-45)" '
                   f'text-anchor="end">{html.escape(name)}</text>')
    out.append("</svg>")
    return Picture("".join(out), float(width), float(height))
