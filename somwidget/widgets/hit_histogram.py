"""HitHistogram (GEMA ``neurons_per_num_activations_map``): how many neurons won ``k``
samples, as a bqplot bar chart that can refresh live during training.
"""

from __future__ import annotations

import math
import threading
from html import escape
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..som import SOM
from ..validation import check_int
from ._base import ViewBase
from ._chart_theme import theme_chart
from ._common import check_title, css_length, set_axis_ticks
from ._svg_lattice import _check_som
from .live import Throttle
from .pictures.chart import nice_ticks
from .pictures.compose import Picture
from .pictures.text import _FONT, _f, format_value

__all__ = ["HitHistogram"]


class HitHistogram(ViewBase, widgets.VBox):
    """How many neurons won ``k`` samples, for k = 0, 1, 2, ... (GEMA's
    ``neurons_per_num_activations_map``), as a bqplot bar chart.

    When more than ``max_bars`` hit counts would be needed, ``k = 0`` (dead neurons) keeps its own
    bar and the hit counts 1..max are grouped into bins of equal integer width.

    Use it as a training callback (``som.fit(X, callbacks=[hist])``) to watch the distribution
    during training: redraws are throttled to ``max_rate_hz`` and the final state is always drawn.

    Parameters
    ----------
    som : SOM
        The map; initialised from ``X`` when it has not been yet.
    X : array-like or DataFrame of shape (N, D)
        The samples whose best-matching units are counted.
    max_bars : int
        Most bars drawn (at least 2).
    max_rate_hz : float
        Most redraws per second when fed live.
    width, height : str or float
        CSS size of the chart (``"460px"``, ``"100%"``), or a number of pixels.
    title : str, optional
        Title in plain words.

    Attributes
    ----------
    hits : ndarray of shape (n_neurons,)
        Samples won by each neuron.
    bin_from, bin_to : ndarray of int
        Inclusive hit-count range of each bar.
    neuron_counts : ndarray of int
        Number of neurons in each bar.
    frame : int
        Number of redraws sent so far.
    """

    _released_attributes = ("_som", "_X", "hits")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        *,
        max_bars: int = 40,
        max_rate_hz: float = 15.0,
        width: str | float = "460px",
        height: str | float = "280px",
        title: str | None = None,
    ) -> None:
        if X is None:
            raise ValueError("X is required: the samples whose best-matching units are counted")
        title = check_title(title)
        width, height = css_length("width", width), css_length("height", height)
        self._som = _check_som(som, X=X)
        self._X = X
        self.max_bars = check_int("max_bars", max_bars, minimum=2)
        self.max_rate_hz = max_rate_hz
        self.throttle = Throttle(max_rate_hz=max_rate_hz)
        self._lock = threading.RLock()
        self._title = title or "Neurons per number of hits"
        self.frame = 0
        self.hits = np.zeros(0, dtype=np.int64)
        self.bin_from = np.zeros(0, dtype=np.int64)
        self.bin_to = np.zeros(0, dtype=np.int64)
        self.neuron_counts = np.zeros(0, dtype=np.int64)

        self._x = bq.OrdinalScale()
        # neuron counts are whole numbers: whole-number ticks set here, the scale ending on the
        # last (bqplot's own ticks fall between integers and "d" repeated their labels)
        self._y = bq.LinearScale(min=0.0, max=1.0)
        self._bars = bq.Bars(x=[], y=[], scales={"x": self._x, "y": self._y},
                             colors=["#4e79a7"], padding=0.15,
                             tooltip=bq.Tooltip(fields=["x", "y"], labels=["hits", "neurons"]))
        self.figure = bq.Figure(
            marks=[self._bars],
            axes=[bq.Axis(scale=self._x, label="samples won (hits)"),
                  bq.Axis(scale=self._y, side="left", label="neurons", tick_format="d",
                          tick_values=self._count_ticks(0))],
            title=self._title,
            fig_margin={"top": 40, "bottom": 50, "left": 55, "right": 15},
            layout=widgets.Layout(width=width, height=height),
        )
        theme_chart(self.figure)
        self.summary = widgets.HTML()
        super().__init__(children=[self.figure, self.summary])
        self.add_class("somwidget-hit-histogram")
        self.refresh()

    @property
    def som(self) -> SOM:
        """The SOM this chart counts on."""
        return self._som

    @staticmethod
    def _bin(hits: np.ndarray, max_bars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        top = int(hits.max()) if hits.size else 0
        if top + 1 <= max_bars:
            lo = np.arange(top + 1, dtype=np.int64)
            return lo, lo.copy(), np.bincount(hits, minlength=top + 1).astype(np.int64)
        w = -(-top // (max_bars - 1))  # ceil: bins 1..w, w+1..2w, ... after the k = 0 bar
        n = -(-top // w)
        lo = np.concatenate([[0], 1 + w * np.arange(n)]).astype(np.int64)
        hi = np.concatenate([[0], np.minimum(w * np.arange(1, n + 1), top)]).astype(np.int64)
        idx = np.where(hits == 0, 0, (hits - 1) // w + 1)
        return lo, hi, np.bincount(idx, minlength=n + 1).astype(np.int64)

    @staticmethod
    def _count_ticks(top: float) -> np.ndarray:
        """Whole-number ticks of the neuron-count axis from 0 to at least ``top`` (at least 1)."""
        return nice_ticks(0.0, max(float(top), 1.0), integer=True).astype(np.float64)

    def histogram(self) -> pd.DataFrame:
        """The bars as a table: ``hits_from``, ``hits_to`` (inclusive) and ``neurons``."""
        with self._lock:
            return pd.DataFrame({"hits_from": self.bin_from, "hits_to": self.bin_to,
                                 "neurons": self.neuron_counts})

    def _labels(self) -> list[str]:
        return [str(a) if a == b else f"{a}–{b}" for a, b in zip(self.bin_from, self.bin_to, strict=True)]

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Recount the hits (of this chart's ``X``) and redraw in one message.

        Parameters
        ----------
        som : SOM, optional
            Count on this SOM from now on.
        """
        with self._lock:
            if som is not None:
                self._som = _check_som(som, X=self._X)
            hits = np.asarray(self._som.hit_counts(self._X), dtype=np.int64)
            self.hits = hits
            self.bin_from, self.bin_to, self.neuron_counts = self._bin(hits, self.max_bars)
            labels = self._labels()
            dead = int((hits == 0).sum())
            ticks = self._count_ticks(self.neuron_counts.max() if self.neuron_counts.size else 0)
            with self._bars.hold_sync():
                self._bars.x = labels
                self._bars.y = self.neuron_counts.astype(np.float64)
            set_axis_ticks(self._y, self.figure.axes[1], ticks)
            self.summary.value = (
                f"<span style='color:var(--jp-ui-font-color2, #555)'>{int(hits.sum())} samples on {hits.size} neurons · "
                f"{dead} without hits ({dead / max(hits.size, 1):.0%}) · busiest neuron wins "
                f"{int(hits.max()) if hits.size else 0}</span>"
            )
            self.frame += 1

    def to_picture(self) -> Picture:
        """The bar chart as a standalone SVG (no browser needed)."""
        with self._lock:
            counts = self.neuron_counts
            labels = self._labels()
        w, h = 460.0, 280.0
        left, right, top, bottom = 55.0, 15.0, 46.0, 50.0
        pw, ph = w - left - right, h - top - bottom
        ticks = self._count_ticks(counts.max() if counts.size else 0)
        ymax = float(ticks[-1])
        n = max(len(counts), 1)
        slot = pw / n
        bw = slot * 0.85
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(w)}" height="{_f(h)}" viewBox="0 0 {_f(w)} {_f(h)}">',
            '<rect width="100%" height="100%" fill="#ffffff"/>',
            f'<text class="title" x="8" y="22" style="{_FONT};font-size:15px;font-weight:600">{escape(self._title)}</text>',
        ]
        for t in ticks:
            y = top + ph - t / ymax * ph
            out.append(f'<line class="gridline" x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + pw)}" y2="{_f(y)}" '
                       f'stroke="#e5e5e5"/>')
            out.append(f'<text class="ytick" x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" '
                       f'style="{_FONT};font-size:11px">{format_value(float(t))}</text>')
        longest = max((len(lab) for lab in labels), default=1)
        every = max(1, math.ceil((6.2 * longest + 8) / slot))
        for i, (c, lab) in enumerate(zip(counts, labels, strict=True)):
            x = left + i * slot + (slot - bw) / 2
            bh = c / ymax * ph
            out.append(f'<rect class="bar" data-from="{self.bin_from[i]}" data-to="{self.bin_to[i]}" '
                       f'data-count="{int(c)}" x="{_f(x)}" y="{_f(top + ph - bh)}" width="{_f(bw)}" '
                       f'height="{_f(bh)}" fill="#4e79a7"><title>{escape(lab)} hits: {int(c)} neurons</title></rect>')
            if i % every == 0:
                out.append(f'<text class="xtick" x="{_f(x + bw / 2)}" y="{_f(top + ph + 14)}" text-anchor="middle" '
                           f'style="{_FONT};font-size:10px">{escape(lab)}</text>')
        out.append(f'<line x1="{_f(left)}" y1="{_f(top + ph)}" x2="{_f(left + pw)}" y2="{_f(top + ph)}" stroke="#555"/>')
        out.append(f'<text x="{_f(left + pw / 2)}" y="{_f(h - 10)}" text-anchor="middle" '
                   f'style="{_FONT};font-size:12px">samples won (hits)</text>')
        out.append(f'<text x="14" y="{_f(top + ph / 2)}" text-anchor="middle" transform="rotate(-90 14 {_f(top + ph / 2)})" '
                   f'style="{_FONT};font-size:12px">neurons</text>')
        out.append("</svg>")
        return Picture("".join(out), w, h)

    def __repr__(self) -> str:
        if self.closed:
            return f"{type(self).__name__}(closed)"
        return f"HitHistogram(bars={len(self.neuron_counts)}, neurons={self.hits.size})"
