"""More pictures from the seed libraries, drawn as pure-Python SVG or bqplot.

- :class:`HitHistogram` (GEMA ``neurons_per_num_activations_map``): how many neurons won
  ``k`` samples, as a bqplot bar chart that can refresh live during training.
- :class:`CodebookGlyphMap` (GEMA ``full_map_weights``): every neuron's codebook vector as a tiny
  line or bar chart inside its cell.
- :class:`NeuronIndexMap` (somnium ``plot_neuron_indices``): the lattice with each neuron's
  index written in its cell, to cross-reference ``som.predict()`` output.
- :class:`ElevationMap` (GEMA ``elevation_map``): a 3-D picture of hits, U-matrix or any
  per-neuron value, one prism per neuron, with sliders to turn and tilt it.

The two lattice pictures reuse :func:`somwidget.widgets.svg.render_svg` for the cells, the wrap
marks and the selection outline, and draw on top of it in the same plane coordinates
(``<g class="plane" data-scale data-ox data-oy>``: pixel = offset + scale x plane coordinate).
They are shown in an ``ipywidgets.HTML`` so they work in every front end.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..som import SOM
from ..validation import NotFittedError, check_choice, check_int, check_positive
from ._common import check_selection as _check_selection
from ._common import lattice_geometry, stop_observing, with_svg_picture
from .colormaps import (
    COLORMAPS,
    colormap_table,
    colors_for_values,
    hex_color,
    label_colors,
)
from .live import Throttle
from .selection import Selection
from .svg import Plane, _wrap, cell_vertices, format_value, render_svg
from .svg_chart import nice_ticks

__all__ = ["ELEVATION_VALUES", "GLYPH_KINDS", "CodebookGlyphMap", "ElevationMap", "HitHistogram",
           "NeuronIndexMap"]

GLYPH_KINDS = ("line", "bar")

#: Glyph box inside a cell, in plane units (fits a pointy-top hexagon of width 1 and a unit square).
GLYPH_WIDTH = 0.76
GLYPH_HEIGHT = 0.5

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"
_PLANE_RE = re.compile(r'class="plane" data-scale="([^"]+)" data-ox="([^"]+)" data-oy="([^"]+)"')


def _f(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _r(x: float) -> str:
    """Exact float for data attributes (plain Python float repr, not numpy's)."""
    return repr(float(x))


def _check_som(som: Any, *, X: Any = None) -> SOM:
    """A SOM, initialised from ``X`` when it has not been yet (else a clear error)."""
    if not isinstance(som, SOM):
        raise TypeError(f"som must be a somwidget SOM; got {type(som).__name__}")
    if getattr(som, "codebook_", None) is None:
        if X is None:
            raise NotFittedError(
                "som is not initialised: fit it first or call som.initialize(X)"
            )
        som.initialize(X)
    return som


def _lattice_args(som: SOM) -> dict[str, Any]:
    return lattice_geometry(som.lattice_)


def _subtitle(lat: dict[str, Any]) -> str:
    kind = "hexagonal" if lat["shape"] == "hexa" else "rectangular"
    if lat["wrap_rows"] and lat["wrap_cols"]:
        wrap = " · toroidal: all edges wrap around"
    elif lat["wrap_cols"]:
        wrap = " · cylindrical: left and right edges wrap around"
    else:
        wrap = ""
    return f"{lat['rows']} × {lat['cols']} {kind} map{wrap}"


def _default_width(som: SOM, per_cell: float) -> float:
    """Plane width giving about ``per_cell`` pixels per cell (render_svg caps the scale at 40)."""
    cols = int(som.lattice_.cols)
    return float(min(1400.0, max(420.0, per_cell * (cols + 1.4))))


def _plane_geometry(svg: str) -> tuple[float, float, float]:
    """(scale, ox, oy) of the single plane of a :func:`render_svg` picture."""
    m = _PLANE_RE.search(svg)
    if m is None:  # pragma: no cover - render_svg always writes the plane group
        raise RuntimeError("render_svg output has no plane group")
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def _insert(svg: str, elements: Sequence[str]) -> str:
    """Append SVG elements just before the closing tag."""
    assert svg.endswith("</svg>")
    return svg[: -len("</svg>")] + "".join(elements) + "</svg>"


def _selected(selection: Selection | None) -> list[int]:
    return [] if selection is None else list(selection.neurons)


class _SvgLatticePicture(widgets.HTML):
    """Base of the SVG lattice pictures: an HTML widget whose value is the SVG.

    Subclasses provide ``_compute()`` (derive what to draw from ``self._som``) and
    ``_picture(selected) -> str`` (the SVG, with the selected neurons outlined).
    """

    _compute: Callable[[], None]
    _picture: Callable[[list[int]], str]

    def __init__(self, som: Any, selection: Selection | None, width: float | None) -> None:
        self._som = _check_som(som)
        self._selection = _check_selection(selection)
        if width is not None:
            width = check_positive("width", width)
        self._width = width
        self._lock = threading.RLock()
        self.frame = 0
        self._svg = ""
        super().__init__()
        self.add_class("somwidget-svg-picture")
        if self._selection is not None:
            self._selection.observe(self._on_selection, names="neurons")
        self.refresh()

    @property
    def som(self) -> SOM:
        """The SOM this picture draws."""
        return self._som

    @property
    def selection(self) -> Selection | None:
        """The shared selection whose neurons are outlined (or None)."""
        return self._selection

    def _on_selection(self, _change: Any = None) -> None:
        self._render()

    def refresh(self, som: Any = None) -> None:
        """Recompute from the SOM (or draw another one from now on) and redraw.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on; the selection is kept.
        """
        with self._lock:
            if som is not None:
                self._som = _check_som(som)
            self._compute()
            if self._selection is not None:
                self._selection.n_neurons = int(self._som.lattice_.n_neurons)
            self._render()

    def _render(self) -> None:
        with self._lock:
            self._svg = self._picture(_selected(self._selection))
            self.value = self._svg
            self.frame += 1

    def to_svg(self) -> str:
        """The picture as a standalone SVG string."""
        return self._svg

    def close(self) -> None:
        """Stop observing the selection and close the widget."""
        stop_observing(self.__dict__.get("_selection"), self._on_selection)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_svg_picture(super()._repr_mimebundle_(**kwargs), self.to_svg)


# ------------------------------------------------------------------------------------------------
class CodebookGlyphMap(_SvgLatticePicture):
    """Every neuron's codebook vector as a tiny line or bar chart in its cell (GEMA's
    ``full_map_weights``).

    Each feature is scaled to [0, 1] over the map, in data units
    (``(w - min) / (max - min)`` per feature over all neurons; a constant feature is drawn at
    0.5, as is one whose range is below 1e-9 of its magnitude). A glyph's horizontal axis runs
    through the chosen features in order (left to right). The non-invertible ``"l2"`` normalisation has no data units: its training-space codebook is
    drawn instead (the subtitle says so).

    Parameters
    ----------
    som : SOM
        An initialised or fitted SOM.
    selection : Selection, optional
        The shared selection; its neurons are outlined and the picture follows its changes.
    features : sequence of str or int, optional
        Feature names (``som.feature_names_in_``) or column indices to draw, in this order
        (default: all).
    kind : {"line", "bar"}
        A polyline through the scaled values, or one bar per feature (coloured per feature, with
        a legend).
    width : float, optional
        Width in pixels of the map (default: about 40 pixels per cell).
    title : str, optional
        Title in plain words.

    Attributes
    ----------
    scaled : ndarray of shape (n_neurons, n_chosen_features)
        The values drawn, in [0, 1].
    feature_names : list of str
        The chosen features, in glyph order.
    frame : int
        Number of redraws so far.
    """

    def __init__(
        self,
        som: Any,
        selection: Selection | None = None,
        features: Sequence[str | int] | None = None,
        kind: str = "line",
        *,
        width: float | None = None,
        title: str | None = None,
    ) -> None:
        self.kind = check_choice("kind", kind, GLYPH_KINDS)
        som = _check_som(som)
        self._features_arg = features
        self._columns = self._resolve_features(som, features)
        self._title = title or "Codebook vectors: each neuron's weights as a small chart"
        self.scaled = np.zeros((0, 0))
        self.feature_names: list[str] = []
        self._data_units = True
        super().__init__(som, selection, width)

    @staticmethod
    def _resolve_features(som: SOM, features: Sequence[str | int] | None) -> list[int]:
        names = [str(n) for n in som.feature_names_in_]
        d = len(names)
        if features is None:
            return list(range(d))
        if isinstance(features, (str, int, np.integer)):
            features = [features]
        try:
            items = list(features)
        except TypeError:
            raise TypeError(
                f"features must be a sequence of feature names or column indices; got {features!r}"
            ) from None
        if not items:
            raise ValueError("features must name at least one feature; got an empty sequence")
        cols: list[int] = []
        for f in items:
            if isinstance(f, str):
                if f not in names:
                    raise ValueError(f"features: unknown feature {f!r}; known features are {names}")
                cols.append(names.index(f))
            elif isinstance(f, (int, np.integer)) and not isinstance(f, (bool, np.bool_)):
                cols.append(check_int("features", int(f), minimum=0, maximum=d - 1))
            else:
                raise TypeError(f"features must contain feature names or column indices; got {f!r}")
        if len(set(cols)) != len(cols):
            raise ValueError(f"features must not repeat a feature; got {items!r}")
        return cols

    def refresh(self, som: Any = None) -> None:
        """Recompute the glyphs from the SOM (or draw another one from now on) and redraw.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on (its features must still match ``features``).
        """
        if som is not None:
            som = _check_som(som)
            self._columns = self._resolve_features(som, self._features_arg)
        super().refresh(som)

    def _compute(self) -> None:
        som = self._som
        try:
            cb = som.codebook_in_data_units()
            self._data_units = True
        except ValueError:
            cb = np.asarray(som.codebook_, dtype=np.float64)
            self._data_units = False
        cb = cb[:, self._columns]
        lo = np.nanmin(cb, axis=0) if cb.size else np.zeros(0)
        hi = np.nanmax(cb, axis=0) if cb.size else np.zeros(0)
        span = hi - lo
        # constant up to rounding (batch averages of a constant column differ in the last bits)
        flat = ~(span > 1e-9 * np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi))))
        scaled = (cb - lo) / np.where(flat, 1.0, span)
        scaled[:, flat] = 0.5
        self.scaled = np.clip(np.nan_to_num(scaled, nan=0.0), 0.0, 1.0)
        names = [str(n) for n in som.feature_names_in_]
        self.feature_names = [names[j] for j in self._columns]

    def _picture(self, selected: list[int]) -> str:
        som = self._som
        lat = _lattice_args(som)
        m = lat["rows"] * lat["cols"]
        d = len(self._columns)
        colours = label_colors(d)
        cats = [(n, colours[j]) for j, n in enumerate(self.feature_names)] if self.kind == "bar" else None
        units = "data units" if self._data_units else "training space (normalisation not invertible)"
        sub = f"{_subtitle(lat)} · each feature scaled to [0, 1] over the map ({units})"
        if self.kind == "line":
            sub += " · left to right: " + ", ".join(self.feature_names)
        plane = Plane(fills=["#f3f3f3"] * m, sizes=np.zeros(m), categories=cats, selected=selected)
        svg = render_svg([plane], title=self._title, subtitle=sub,
                         width=self._width or _default_width(som, 40.0), **lat)
        scale, ox, oy = _plane_geometry(svg)
        gw, gh = GLYPH_WIDTH * scale, GLYPH_HEIGHT * scale
        centres = np.asarray(som.lattice_.coordinates, dtype=np.float64) * scale + [ox, oy]
        left = centres[:, 0] - gw / 2
        base = centres[:, 1] + gh / 2  # y grows downwards: the glyph's zero line
        tops = base[:, None] - self.scaled * gh  # (M, D) y of each value
        out = [f'<g class="glyphs" data-kind="{self.kind}" data-features="{escape(",".join(self.feature_names))}">']
        sw = _f(max(0.6, 0.035 * scale))
        if self.kind == "line":
            xs = left[:, None] + (np.arange(d) + 0.5) / d * gw if d > 1 else centres[:, :1]
            for k in range(m):
                pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in zip(xs[k], tops[k], strict=True))
                out.append(
                    f'<g class="glyph" data-k="{k}" data-cx="{_r(centres[k, 0])}" data-cy="{_r(centres[k, 1])}" '
                    f'data-left="{_r(left[k])}" data-base="{_r(base[k])}" data-width="{_r(gw)}" data-height="{_r(gh)}">'
                    f'<line class="glyph-axis" x1="{_f(left[k])}" y1="{_f(base[k])}" x2="{_f(left[k] + gw)}" '
                    f'y2="{_f(base[k])}" stroke="#bbb" stroke-width="0.6"/>'
                    f'<polyline class="glyph-line" points="{pts}" '
                    f'fill="none" stroke="#1f4e79" stroke-width="{sw}" stroke-linejoin="round"/></g>'
                )
        else:
            bw = gw / d
            for k in range(m):
                bars = "".join(
                    f'<rect class="glyph-bar" data-j="{j}" x="{_f(left[k] + (j + 0.07) * bw)}" y="{_f(tops[k, j])}" '
                    f'width="{_f(bw * 0.86)}" height="{_f(base[k] - tops[k, j])}" fill="{colours[j]}"/>'
                    for j in range(d)
                )
                out.append(
                    f'<g class="glyph" data-k="{k}" data-cx="{_r(centres[k, 0])}" data-cy="{_r(centres[k, 1])}" '
                    f'data-left="{_r(left[k])}" data-base="{_r(base[k])}" data-width="{_r(gw)}" data-height="{_r(gh)}">'
                    f'{bars}<line class="glyph-axis" x1="{_f(left[k])}" y1="{_f(base[k])}" '
                    f'x2="{_f(left[k] + gw)}" y2="{_f(base[k])}" stroke="#999" stroke-width="0.6"/></g>'
                )
        out.append("</g>")
        return _insert(svg, out)

    def __repr__(self) -> str:
        return (f"CodebookGlyphMap(map={tuple(self._som.mapsize_)}, kind={self.kind!r}, "
                f"features={self.feature_names})")


# ------------------------------------------------------------------------------------------------
class NeuronIndexMap(_SvgLatticePicture):
    """The lattice with each neuron's index written in its cell (somnium's
    ``plot_neuron_indices``), to cross-reference ``som.predict()`` output.

    Neuron ``k = row * cols + col`` (row-major, row 0 at the top).

    Parameters
    ----------
    som : SOM
        An initialised or fitted SOM.
    selection : Selection, optional
        The shared selection; its neurons are outlined and the picture follows its changes.
    show_row_col : bool
        Also write ``row,col`` under the index.
    width : float, optional
        Width in pixels of the map (default: about 40 pixels per cell).
    title : str, optional
        Title in plain words.
    """

    def __init__(
        self,
        som: Any,
        selection: Selection | None = None,
        *,
        show_row_col: bool = False,
        width: float | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(show_row_col, (bool, np.bool_)):
            raise TypeError(f"show_row_col must be True or False; got {show_row_col!r}")
        self.show_row_col = bool(show_row_col)
        self._title = title or "Neuron indices (as returned by predict)"
        super().__init__(som, selection, width)

    def _compute(self) -> None:
        return None

    def _picture(self, selected: list[int]) -> str:
        som = self._som
        lat = _lattice_args(som)
        m = lat["rows"] * lat["cols"]
        plane = Plane(fills=["#f3f3f3"] * m, sizes=np.zeros(m), selected=selected)
        svg = render_svg([plane], title=self._title, subtitle=_subtitle(lat),
                         width=self._width or _default_width(som, 40.0), **lat)
        scale, ox, oy = _plane_geometry(svg)
        centres = np.asarray(som.lattice_.coordinates, dtype=np.float64) * scale + [ox, oy]
        digits = len(str(m - 1))
        size = min(0.36 * scale, 0.8 * scale / (0.62 * max(digits, 2)))
        small = size * 0.7
        rows, cols = som.lattice_.row_col(np.arange(m))
        dy = 0.35 * size if self.show_row_col else 0.0
        out = [f'<g class="indices" style="{_FONT}" text-anchor="middle" dominant-baseline="central">']
        for k in range(m):
            cx, cy = centres[k]
            out.append(f'<text class="index" data-k="{k}" data-cx="{_r(cx)}" data-cy="{_r(cy)}" x="{_f(cx)}" '
                       f'y="{_f(cy - dy)}" font-size="{_f(size)}" fill="#222">{k}</text>')
            if self.show_row_col:
                out.append(f'<text class="rowcol" data-k="{k}" x="{_f(cx)}" y="{_f(cy + 0.75 * size)}" '
                           f'font-size="{_f(small)}" fill="#777">{int(rows[k])},{int(cols[k])}</text>')
        out.append("</g>")
        return _insert(svg, out)

    def __repr__(self) -> str:
        return f"NeuronIndexMap(map={tuple(self._som.mapsize_)}, show_row_col={self.show_row_col})"


# ------------------------------------------------------------------------------------------------
class HitHistogram(widgets.VBox):
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
    width, height : str
        CSS size of the chart.
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

    def __init__(
        self,
        som: Any,
        X: Any,
        *,
        max_bars: int = 40,
        max_rate_hz: float = 15.0,
        width: str = "460px",
        height: str = "280px",
        title: str | None = None,
    ) -> None:
        if X is None:
            raise ValueError("X is required: the samples whose best-matching units are counted")
        self._som = _check_som(som, X=X)
        self._X = X
        self.max_bars = check_int("max_bars", max_bars, minimum=2)
        self._throttle = Throttle(max_rate_hz=max_rate_hz)
        self._lock = threading.RLock()
        self._title = title or "Neurons per number of hits"
        self.frame = 0
        self.hits = np.zeros(0, dtype=np.int64)
        self.bin_from = np.zeros(0, dtype=np.int64)
        self.bin_to = np.zeros(0, dtype=np.int64)
        self.neuron_counts = np.zeros(0, dtype=np.int64)

        self._x = bq.OrdinalScale()
        self._y = bq.LinearScale(min=0.0)
        self._bars = bq.Bars(x=[], y=[], scales={"x": self._x, "y": self._y},
                             colors=["#4e79a7"], padding=0.15,
                             tooltip=bq.Tooltip(fields=["x", "y"], labels=["hits", "neurons"]))
        self.figure = bq.Figure(
            marks=[self._bars],
            axes=[bq.Axis(scale=self._x, label="samples won (hits)"),
                  bq.Axis(scale=self._y, side="left", label="neurons", tick_format="d")],
            title=self._title,
            fig_margin={"top": 40, "bottom": 50, "left": 55, "right": 15},
            layout=widgets.Layout(width=width, height=height),
        )
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

    def histogram(self) -> pd.DataFrame:
        """The bars as a table: ``hits_from``, ``hits_to`` (inclusive) and ``neurons``."""
        with self._lock:
            return pd.DataFrame({"hits_from": self.bin_from, "hits_to": self.bin_to,
                                 "neurons": self.neuron_counts})

    def _labels(self) -> list[str]:
        return [str(a) if a == b else f"{a}–{b}" for a, b in zip(self.bin_from, self.bin_to, strict=True)]

    def refresh(self, som: Any = None) -> None:
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
            with self._bars.hold_sync():
                self._bars.x = labels
                self._bars.y = self.neuron_counts.astype(np.float64)
            self.summary.value = (
                f"<span style='color:#555'>{int(hits.sum())} samples on {hits.size} neurons · "
                f"{dead} without hits ({dead / max(hits.size, 1):.0%}) · busiest neuron wins "
                f"{int(hits.max()) if hits.size else 0}</span>"
            )
            self.frame += 1

    def __call__(self, state: Any) -> None:
        """Training callback: refresh (throttled; the final state always); never stops training."""
        if getattr(state, "final", False) or self._throttle.ready():
            self.refresh(getattr(state, "som", None))
        return None

    def to_svg(self) -> str:
        """The bar chart as a standalone SVG string (no browser needed)."""
        with self._lock:
            counts = self.neuron_counts
            labels = self._labels()
        w, h = 460.0, 280.0
        left, right, top, bottom = 55.0, 15.0, 46.0, 50.0
        pw, ph = w - left - right, h - top - bottom
        ticks = nice_ticks(0.0, max(float(counts.max()) if counts.size else 0.0, 1.0), integer=True)
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
        return "".join(out)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_svg_picture(super()._repr_mimebundle_(**kwargs), self.to_svg)

    def __repr__(self) -> str:
        return f"HitHistogram(bars={len(self.neuron_counts)}, neurons={self.hits.size})"


# ------------------------------------------------------------------------------------------------
ELEVATION_VALUES = ("hits", "umatrix")

_VALUE_WORDS = {
    "hits": ("Elevation map of the hits: taller, brighter neurons won more samples",
             "samples won (hits)"),
    "umatrix": ("Elevation map of the U-matrix: ridges are cluster borders, valleys cluster cores",
                "mean distance to the lattice neighbours (U-matrix)"),
    "array": ("Elevation map: taller, brighter neurons have higher values", "value"),
}

#: Side faces are the top colour times ``SIDE_SHADE - SIDE_SHADE_SPREAD * n_x`` (n_x: the face's
#: outward normal along the screen's horizontal axis), so faces turned to the left are lighter.
SIDE_SHADE = 0.62
SIDE_SHADE_SPREAD = 0.2


def _shade(colour: str, factor: float) -> str:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
    return hex_color(np.clip(np.round(rgb * factor), 0, 255))


class ElevationMap(widgets.VBox):
    """A 3-D elevation map of a per-neuron value (GEMA's ``elevation_map``): every neuron is a
    prism (hexagonal on hex lattices, square on rectangular ones) whose height and top colour
    follow the value, with sliders to turn (azimuth) and tilt (elevation) the picture.

    The picture is a pure-Python SVG in an ``ipywidgets.HTML`` (it works in every front end and in
    saved notebooks); moving a slider redraws it.

    **Projection.** Let ``(x_k, y_k)`` be neuron k's plane coordinates (``som.lattice_.coordinates``,
    y growing downwards as in every picture), ``(c_x, c_y)`` the middle of their bounding box,
    ``h_k`` its height in plane units, ``a`` the azimuth and ``e`` the elevation (radians). With
    ``u = x - c_x``, ``v = y - c_y``::

        X_r = u cos a - v sin a          Y_r = u sin a + v cos a
        screen_x = ox + s * X_r          screen_y = oy + s * (Y_r sin e - z cos e)

    where ``s`` (pixels per plane unit), ``ox`` and ``oy`` are written on the SVG's
    ``<g class="scene" data-scale data-ox data-oy>``. ``azimuth=0, elevation=90`` is the flat map
    seen from above; lower elevations lean it back so that the heights show. ``Y_r`` is the depth
    (larger is nearer the viewer): prisms are drawn far to near (painter's algorithm), each as
    ``<g class="prism" data-k data-depth ...>`` holding its visible side faces and its top face.

    **Heights.** ``h_k = max_height * (v_k - b) / (v_max - b)`` with ``b = min(0, v_min)``, i.e.
    proportional to the values when they are non-negative (hits, U-matrix). NaN values are drawn
    flat in grey.

    Parameters
    ----------
    som : SOM
        The map; initialised from ``X`` when it has not been yet.
    X : array-like or DataFrame of shape (N, D), optional
        Samples counted for ``values="hits"`` (default: the data of the SOM's most recent fit).
    values : {"hits", "umatrix"} or array-like of shape (n_neurons,) or (rows, cols)
        What the heights show. An array is kept as given (``refresh`` redraws it on the new
        codebook's map, which must have the same size).
    selection : Selection, optional
        The shared selection; its neurons' top faces are outlined and the picture follows it.
    azimuth : float
        Rotation about the vertical axis, in degrees (taken modulo 360).
    elevation : float
        Viewing angle above the ground, in degrees, from 0 (side view) to 90 (from above).
    width : float
        Width of the picture in pixels.
    max_height : float, optional
        Height of the tallest prism in plane units (one unit = the distance between neighbouring
        neurons); default: half the map's radius.
    colormap : str
        One of ``somwidget.widgets.colormaps.COLORMAPS``.
    max_rate_hz : float
        Most redraws per second when used as a training callback.
    title : str, optional
        Title in plain words.

    Attributes
    ----------
    values : ndarray of shape (n_neurons,)
        The values drawn.
    heights : ndarray of shape (n_neurons,)
        Prism heights in plane units.
    vmin, vmax : float
        The colour bar range.
    picture : ipywidgets.HTML
        The SVG picture.
    azimuth_slider, elevation_slider : ipywidgets.FloatSlider
        The rotation controls.
    frame : int
        Number of redraws so far.
    """

    def __init__(
        self,
        som: Any,
        X: Any = None,
        values: str | Any = "hits",
        selection: Selection | None = None,
        *,
        azimuth: float = 30.0,
        elevation: float = 40.0,
        width: float = 640.0,
        max_height: float | None = None,
        colormap: str = "viridis",
        max_rate_hz: float = 10.0,
        title: str | None = None,
    ) -> None:
        self._som = _check_som(som, X=X)
        self._X = X
        if isinstance(values, str):
            self._kind = check_choice("values", values, ELEVATION_VALUES)
            self._custom: np.ndarray | None = None
        else:
            self._kind = "array"
            self._custom = self._check_values(values, self._som)
        self._selection = _check_selection(selection)
        az, el = self._check_angles(azimuth, elevation)
        self._width = check_positive("width", width)
        self._max_height = None if max_height is None else check_positive("max_height", max_height)
        self.colormap = check_choice("colormap", colormap, COLORMAPS)
        self._throttle = Throttle(max_rate_hz=max_rate_hz)
        self._title = title or _VALUE_WORDS[self._kind][0]
        self._lock = threading.RLock()
        self._quiet = False
        self.frame = 0
        self._svg = ""
        self.values = np.zeros(0)
        self.heights = np.zeros(0)
        self.vmin, self.vmax = 0.0, 1.0

        self.picture = widgets.HTML()
        self.picture.add_class("somwidget-svg-picture")
        self.azimuth_slider = widgets.FloatSlider(
            value=az, min=0.0, max=360.0, step=5.0, description="azimuth °",
            continuous_update=True, readout_format=".0f", layout=widgets.Layout(width="300px"))
        self.elevation_slider = widgets.FloatSlider(
            value=el, min=0.0, max=90.0, step=5.0, description="elevation °",
            continuous_update=True, readout_format=".0f", layout=widgets.Layout(width="300px"))
        super().__init__(children=[self.picture, widgets.HBox([self.azimuth_slider, self.elevation_slider])])
        self.add_class("somwidget-elevation-map")
        self.azimuth_slider.observe(self._on_angle, names="value")
        self.elevation_slider.observe(self._on_angle, names="value")
        if self._selection is not None:
            self._selection.observe(self._on_selection, names="neurons")
        self.refresh()

    # ---- arguments -------------------------------------------------------------------------
    @staticmethod
    def _check_angles(azimuth: Any, elevation: Any) -> tuple[float, float]:
        if isinstance(azimuth, bool) or not isinstance(azimuth, (int, float, np.integer, np.floating)):
            raise TypeError(f"azimuth must be a number of degrees; got {azimuth!r}")
        if not math.isfinite(float(azimuth)):
            raise ValueError(f"azimuth must be finite; got {azimuth!r}")
        el = check_positive("elevation", elevation, allow_zero=True)
        if el > 90:
            raise ValueError(f"elevation must be in [0, 90] degrees; got {elevation!r}")
        return float(azimuth) % 360.0, el

    @staticmethod
    def _check_values(values: Any, som: SOM) -> np.ndarray:
        rows, cols = int(som.lattice_.rows), int(som.lattice_.cols)
        m = rows * cols
        try:
            v = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"values must be 'hits', 'umatrix' or an array of numbers, one per neuron; got {values!r}"
            ) from None
        if v.shape not in ((m,), (rows, cols)):
            raise ValueError(
                f"values must have one entry per neuron: shape ({m},) or ({rows}, {cols}); got shape {v.shape}"
            )
        if np.isinf(v).any():
            raise ValueError("values must be finite numbers (NaN is drawn flat in grey); got inf")
        return v.reshape(m).copy()

    # ---- state -----------------------------------------------------------------------------
    @property
    def som(self) -> SOM:
        """The SOM this picture draws."""
        return self._som

    @property
    def selection(self) -> Selection | None:
        """The shared selection whose neurons are outlined (or None)."""
        return self._selection

    @property
    def azimuth(self) -> float:
        """Rotation about the vertical axis in degrees, in [0, 360)."""
        return float(self.azimuth_slider.value) % 360.0

    @property
    def elevation(self) -> float:
        """Viewing angle above the ground in degrees, in [0, 90]."""
        return float(self.elevation_slider.value)

    @property
    def max_height(self) -> float:
        """Height of the tallest prism in plane units."""
        return self._max_height if self._max_height is not None else 0.5 * self._radius()

    def _on_angle(self, _change: Any = None) -> None:
        if not self._quiet:
            self._render()

    def _on_selection(self, _change: Any = None) -> None:
        self._render()

    def rotate(self, azimuth: float | None = None, elevation: float | None = None) -> None:
        """Turn and/or tilt the picture (moves the sliders; one redraw).

        Parameters
        ----------
        azimuth : float, optional
            Rotation about the vertical axis in degrees (taken modulo 360).
        elevation : float, optional
            Viewing angle above the ground in degrees, in [0, 90].
        """
        az, el = self._check_angles(self.azimuth if azimuth is None else azimuth,
                                    self.elevation if elevation is None else elevation)
        with self._lock:
            self._quiet = True
            try:
                self.azimuth_slider.value = az
                self.elevation_slider.value = el
            finally:
                self._quiet = False
            self._render()

    def refresh(self, som: Any = None) -> None:
        """Recompute the values from the SOM (or draw another one from now on) and redraw.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on; the selection and the view angles are kept.
        """
        with self._lock:
            if som is not None:
                som = _check_som(som, X=self._X)
                if self._custom is not None:
                    self._check_values(self._custom, som)
                self._som = som
            if self._kind == "hits":
                v = np.asarray(self._som.hit_counts(self._X), dtype=np.float64)
            elif self._kind == "umatrix":
                v = np.asarray(self._som.umatrix(), dtype=np.float64)
            else:
                v = self._custom
            self.values = v
            finite = v[np.isfinite(v)]
            vmin = float(finite.min()) if finite.size else 0.0
            vmax = float(finite.max()) if finite.size else 1.0
            base = min(0.0, vmin)
            span = vmax - base
            h = (v - base) / span if span > 0 else np.zeros_like(v)
            self.heights = np.nan_to_num(h, nan=0.0) * self.max_height
            self.vmin, self.vmax = vmin, vmax
            if self._selection is not None:
                self._selection.n_neurons = int(self._som.lattice_.n_neurons)
            self._render()

    def __call__(self, state: Any) -> None:
        """Training callback: refresh (throttled; the final state always); never stops training."""
        if getattr(state, "final", False) or self._throttle.ready():
            self.refresh(getattr(state, "som", None))
        return None

    # ---- geometry --------------------------------------------------------------------------
    def _footprint(self) -> np.ndarray:
        shape = "rect" if str(self._som.lattice_.shape) == "rect" else "hexa"
        return cell_vertices(shape)

    def _centre(self) -> np.ndarray:
        xy = np.asarray(self._som.lattice_.coordinates, dtype=np.float64)
        return (xy.min(axis=0) + xy.max(axis=0)) / 2

    def _radius(self) -> float:
        """Largest ground distance of a prism corner from the centre (the picture's half width)."""
        xy = np.asarray(self._som.lattice_.coordinates, dtype=np.float64) - self._centre()
        corners = xy[:, None, :] + self._footprint()[None, :, :]
        return float(np.sqrt((corners ** 2).sum(axis=-1)).max())

    def _rotated(self, points: np.ndarray) -> np.ndarray:
        """Ground points ``(..., 2)`` (plane coordinates) -> ``(X_r, Y_r)``."""
        a = math.radians(self.azimuth)
        u = points[..., 0] - self._centre()[0]
        v = points[..., 1] - self._centre()[1]
        return np.stack([u * math.cos(a) - v * math.sin(a), u * math.sin(a) + v * math.cos(a)], axis=-1)

    # ---- drawing ---------------------------------------------------------------------------
    def _render(self) -> None:
        with self._lock:
            self._svg = self._picture(_selected(self._selection))
            self.picture.value = self._svg
            self.frame += 1

    def _picture(self, selected: list[int]) -> str:
        som = self._som
        lat = _lattice_args(som)
        m = lat["rows"] * lat["cols"]
        e = math.radians(self.elevation)
        se, ce = math.sin(e), math.cos(e)
        width = self._width
        margin = 14.0
        radius = self._radius()
        hmax = self.max_height
        s = (width - 2 * margin) / (2 * radius)
        text_w = width - 16.0
        head: list[str] = []
        y = 4.0
        for line in _wrap(self._title, text_w, 14, bold=True):
            y += 18.0
            head.append(f'<text class="title" x="8" y="{_f(y)}" style="{_FONT};font-size:14px;font-weight:600">'
                        f"{escape(line)}</text>")
        sub = (f"{_subtitle(lat)} · one prism per neuron, height and colour follow the value · "
               f"azimuth {self.azimuth:.0f}°, elevation {self.elevation:.0f}°")
        for line in _wrap(sub, text_w, 12):
            y += 16.0
            head.append(f'<text class="subtitle" x="8" y="{_f(y)}" style="{_FONT};font-size:12px;fill:#666">'
                        f"{escape(line)}</text>")
        top = y + 12.0
        ox = margin + s * radius
        oy = top + s * (radius * se + hmax * ce)
        bottom = oy + s * radius * se + 10.0

        coords = np.asarray(som.lattice_.coordinates, dtype=np.float64)
        foot = self._footprint()
        nv = len(foot)
        ground = self._rotated(coords[:, None, :] + foot[None, :, :])  # (M, V, 2)
        centre_r = self._rotated(coords)  # (M, 2)
        h = self.heights
        sx = ox + s * ground[..., 0]
        base_y = oy + s * ground[..., 1] * se
        top_y = base_y - s * h[:, None] * ce
        depth = centre_r[:, 1]
        order = np.lexsort((centre_r[:, 0], np.round(depth, 9)))
        # outward normals of the footprint's edges (regular polygons: towards the edge midpoints)
        mid = (foot + np.roll(foot, -1, axis=0)) / 2
        normals = self._rotated(mid + self._centre()) / np.linalg.norm(mid, axis=1)[:, None]
        visible = np.flatnonzero(normals[:, 1] > 1e-9) if ce > 1e-12 else np.zeros(0, dtype=int)
        factors = SIDE_SHADE - SIDE_SHADE_SPREAD * normals[:, 0]
        fills = colors_for_values(self.values, self.vmin, self.vmax, self.colormap)
        rows_k, cols_k = som.lattice_.row_col(np.arange(m))
        label = _VALUE_WORDS[self._kind][1]
        cx = ox + s * centre_r[:, 0]
        cy = oy + s * (centre_r[:, 1] * se - h * ce)
        body = [f'<g class="scene" data-scale="{_r(s)}" data-ox="{_r(ox)}" data-oy="{_r(oy)}" '
                f'data-azimuth="{_r(self.azimuth)}" data-elevation="{_r(self.elevation)}" '
                f'data-max-height="{_r(hmax)}" stroke-linejoin="round">']
        edge = _f(max(0.3, min(1.0, 0.03 * s)))
        for k in order:
            fill = fills[k]
            parts = [f'<g class="prism" data-k="{k}" data-depth="{_r(depth[k])}" data-value="{_r(self.values[k])}" '
                     f'data-height="{_r(h[k])}" data-cx="{_r(cx[k])}" data-cy="{_r(cy[k])}">'
                     f"<title>neuron {k} (row {int(rows_k[k])}, col {int(cols_k[k])}): "
                     f"{escape(format_value(float(self.values[k])))}</title>"]
            if h[k] > 0:
                for i in visible:
                    j = (i + 1) % nv
                    pts = (f"{_f(sx[k, i])},{_f(base_y[k, i])} {_f(sx[k, j])},{_f(base_y[k, j])} "
                           f"{_f(sx[k, j])},{_f(top_y[k, j])} {_f(sx[k, i])},{_f(top_y[k, i])}")
                    parts.append(f'<polygon class="side" points="{pts}" fill="{_shade(fill, factors[i])}" '
                                 f'stroke="#00000040" stroke-width="{edge}"/>')
            pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in zip(sx[k], top_y[k], strict=True))
            parts.append(f'<polygon class="top" points="{pts}" fill="{fill}" stroke="#00000030" '
                         f'stroke-width="{edge}"/></g>')
            body.append("".join(parts))
        sw = max(1.5, min(3.0, 0.08 * s))
        for k in selected:
            if 0 <= k < m:
                pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in zip(sx[k], top_y[k], strict=True))
                for colour, w in (("#ffffff", 2.2 * sw), ("#d6004c", sw)):
                    body.append(f'<polygon class="selected" data-k="{k}" points="{pts}" fill="none" '
                                f'stroke="{colour}" stroke-width="{_f(w)}"/>')
        body.append("</g>")
        body += self._colorbar(8.0, bottom, width - 16.0, label)
        total_h = bottom + 48.0
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(total_h)}" '
                f'viewBox="0 0 {_f(width)} {_f(total_h)}"><rect width="100%" height="100%" fill="#ffffff"/>'
                + "".join(head) + "".join(body) + "</svg>")

    def _colorbar(self, x: float, y: float, room: float, label: str) -> list[str]:
        table = colormap_table(self.colormap)
        gid = f"elevation-colorbar-{self.colormap}"  # same id, same gradient: safe to repeat
        stops = "".join(f'<stop offset="{i / 255:.4f}" stop-color="{hex_color(table[i])}"/>'
                        for i in range(0, 256, 5))
        lo, hi = format_value(self.vmin), format_value(self.vmax)
        bx = x + len(lo) * 6.2 + 5
        bw = min(220.0, room - (bx - x) - len(hi) * 6.2 - 10)
        out = [f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>',
               f'<text class="vmin" x="{_f(x)}" y="{_f(y + 10)}" style="{_FONT};font-size:11px">{escape(lo)}</text>',
               f'<rect class="colorbar" x="{_f(bx)}" y="{_f(y)}" width="{_f(bw)}" height="12" '
               f'fill="url(#{gid})" stroke="#aaa"/>',
               f'<text class="vmax" x="{_f(bx + bw + 5)}" y="{_f(y + 10)}" style="{_FONT};font-size:11px">{escape(hi)}</text>',
               f'<text class="colorbar-label" x="{_f(x)}" y="{_f(y + 27)}" style="{_FONT};font-size:11px;fill:#666">'
               f"{escape(label)}; prism height ∝ value{'' if not np.isnan(self.values).any() else ' · grey: no value'}"
               "</text>"]
        return out

    def to_svg(self) -> str:
        """The picture as a standalone SVG string (at the current angles)."""
        return self._svg

    def close(self) -> None:
        """Stop observing the selection and close the widget and its sliders."""
        stop_observing(self.__dict__.get("_selection"), self._on_selection)
        for name in ("picture", "azimuth_slider", "elevation_slider"):
            w = self.__dict__.get(name)
            if w is not None:
                w.close()
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_svg_picture(super()._repr_mimebundle_(**kwargs), self.to_svg)

    def __repr__(self) -> str:
        return (f"ElevationMap(map={tuple(self._som.mapsize_)}, values={self._kind!r}, "
                f"azimuth={self.azimuth:.0f}, elevation={self.elevation:.0f})")
