"""Static pictures for the seed APIs' one-off plots (GEMA's characteristics graphs).

:class:`StaticPicture` is a standalone SVG that Jupyter displays (``_repr_svg_``) and that can be
written to a file; :func:`weight_chart` draws one neuron's weight vector as a line or bar chart
with :class:`somwidget.widgets.pictures.chart.Chart` (imported when called, so importing this
module does not import ipywidgets).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape
from pathlib import Path

import numpy as np

__all__ = ["StaticPicture", "weight_chart"]


class StaticPicture:
    """A standalone SVG picture: shown inline by Jupyter, written by :meth:`save`.

    Attributes
    ----------
    svg : str
        The ``<svg>`` document.
    width, height : float
        Its size in pixels.
    values : ndarray
        The numbers drawn (for checks and further use).
    """

    def __init__(self, svg: str, width: float, height: float, values: np.ndarray) -> None:
        self.svg, self.width, self.height = svg, float(width), float(height)
        self.values = np.asarray(values)

    def to_svg(self) -> str:
        """The SVG text."""
        return self.svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike) -> Path:
        """Write the SVG to ``path`` (``.svg`` appended when it has no suffix); returns the path."""
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".svg")
        target.write_text(self.svg, encoding="utf-8")
        return target


def weight_chart(
    values: np.ndarray,
    labels: Sequence[str] | None,
    *,
    kind: str,
    title: str,
    width: float,
    height: float,
    angle: float = 45.0,
) -> StaticPicture:
    """One neuron's weight vector: a line through the values (``kind="line"``) or one bar per
    feature (``kind="bar"``), feature ``j`` at ``x = j``; ``labels`` name the features under the
    axis, turned by ``angle`` degrees."""
    from ..widgets.colormaps import CATEGORICAL
    from ..widgets.pictures.chart import Chart

    v = np.asarray(values, dtype=np.float64).ravel()
    d = v.size
    names = [str(n) for n in labels] if labels is not None and len(labels) else []
    if names and len(names) != d:
        raise ValueError(f"labels must name the {d} features; got {len(names)} labels")
    longest = max((len(n) for n in names), default=0)
    bottom = 30.0 + min(90.0, 5.0 * longest) if names else 40.0
    chart = Chart(width, height, title=title, margins=(34.0, 24.0, bottom, 56.0))
    x = np.arange(d, dtype=np.float64)
    lo = min(0.0, float(v.min())) if kind == "bar" else None
    chart.axis("x", "" if names else "feature", lo=-0.5, hi=d - 0.5, exact=True, fmt="int",
               ticks=max(1, min(d, 10)))
    chart.axis("left", "weight", lo=lo)
    if kind == "line":
        chart.line(x, v, "#4c78a8", width=2.0)
        chart.points(x, v, "#4c78a8", radius=3.0)
    else:
        px_per_unit = (width - 56.0 - 24.0) / d
        for j in range(d):
            chart.segments(np.array([[[x[j], 0.0], [x[j], v[j]]]]), CATEGORICAL[j % len(CATEGORICAL)],
                           width=max(1.0, 0.7 * px_per_unit), css="bar")
    picture = chart.to_picture()
    if names:
        px0, px1 = 56.0, width - 24.0
        py0 = height - bottom
        step = (px1 - px0) / d
        # the numeric ticks give way to the names
        svg = "".join(part for part in picture.svg.split("<text class=\"xtick\"")[0:1])
        rest = picture.svg.split("<text class=\"xtick\"")[1:]
        svg += "".join(part[part.index("</text>") + len("</text>"):] for part in rest)
        elements = []
        for j, name in enumerate(names):
            cx = px0 + step * (j + 0.5)
            cy = py0 + 12.0
            elements.append(
                f'<text class="feature-label" x="{cx:.2f}" y="{cy:.2f}" text-anchor="end" '
                f'transform="rotate(-{float(angle):g} {cx:.2f} {cy:.2f})" '
                f'style="font-family:sans-serif;font-size:10px">{escape(name)}</text>'
            )
        svg = svg[: -len("</svg>")] + "".join(elements) + "</svg>"
        return StaticPicture(svg, picture.width, picture.height, v)
    return StaticPicture(picture.svg, picture.width, picture.height, v)
