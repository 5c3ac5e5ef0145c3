"""CodebookGlyphMap (GEMA ``full_map_weights``): every neuron's codebook vector as a tiny
line or bar chart inside its cell.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import traitlets

from ..som import SOM
from ..validation import check_choice
from ._common import check_title, resolve_features
from ._lattice_overlay import _LatticeOverlayView
from ._svg_lattice import _check_som, _default_width, _lattice_args, _r
from .codecs import array_trait
from .colormaps import label_colors
from .pictures.compose import Picture
from .pictures.lattice import Plane, lattice_subtitle, legend_name, render_picture
from .pictures.text import _f, escape
from .selection import Selection

__all__ = ["GLYPH_KINDS", "CodebookGlyphMap"]


GLYPH_KINDS = ("line", "bar")

#: Glyph box inside a cell, in plane units (fits a pointy-top hexagon of width 1 and a unit square).
GLYPH_WIDTH = 0.76
GLYPH_HEIGHT = 0.5


def _line_runs(xs: np.ndarray, ys: np.ndarray) -> list[str]:
    """The polylines' points through a glyph's values, broken where a value is NaN; a lone value
    is a dot (two points 0.01 apart, drawn with round caps), as the browser draws it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if np.isnan(y):
            runs.append([])
        else:
            runs[-1].append((float(x), float(y)))
    runs = [run + [(run[0][0] + 0.01, run[0][1])] if len(run) == 1 else run for run in runs if run]
    return [" ".join(f"{_f(x)},{_f(y)}" for x, y in run) for run in runs]


class CodebookGlyphMap(_LatticeOverlayView):
    """Every neuron's codebook vector as a tiny line or bar chart in its cell (GEMA's
    ``full_map_weights``).

    A canvas lattice view (:class:`LatticeView`'s hover, click / brush selection linked to the
    shared selection, keyboard): the cells are the theme's neutral grid, and the browser draws
    the glyphs from one float32 buffer of the scaled codebook (``glyphs``, n_neurons x
    n_features; NaN: a gap); a cell's tooltip names the neuron, its row and column, and each
    chosen feature's codebook value in data units. Glyphs are left out where the cells are
    under 6 pixels across (the tooltip still reads every neuron), and the view says so where
    the legend was (with a ``width`` that fits them).

    Each feature is scaled to [0, 1] over the map, in data units
    (``(w - min) / (max - min)`` per feature over all neurons; a constant feature is drawn at
    0.5, as is one whose range is below 1e-9 of its magnitude). A glyph's horizontal axis runs
    through the chosen features in order (left to right); with one feature, a ``"line"`` glyph
    is a short level tick at the value's height. The non-invertible ``"l2"`` normalisation has
    no data units: its training-space codebook is drawn instead (the subtitle says so).

    Parameters
    ----------
    som : SOM
        An initialised or fitted SOM (or one to initialise from ``X``).
    X : array-like of shape (N, D), optional
        Data to initialise an unfitted SOM with.
    selection : Selection, optional
        The shared selection (a private one when omitted): its neurons are outlined, and a
        click, a brush or the keyboard on this view selects.
    features : sequence of str or int, optional
        Feature names (``som.feature_names_in_``) or column indices to draw, in this order
        (default: all). A name matches exactly, else the one name equal to it up to case and
        spacing (the rule of :class:`ComponentPlanes`); no feature may repeat.
    kind : {"line", "bar"}
        A polyline through the scaled values, or one bar per feature (coloured per feature, with
        a legend).
    width : float, optional
        Width in pixels of the map, live and static (default: the live canvas fills the width
        of its output, the static picture has about 40 pixels per cell); a live map wider than
        its output scrolls sideways in its own box. Pass about 40 pixels per column for a
        large map whose cells are otherwise too small for its glyphs.
    title : str, optional
        Title in plain words.

    Attributes
    ----------
    scaled : ndarray of shape (n_neurons, n_chosen_features)
        The values drawn, in [0, 1]; NaN where the codebook has no value (a gap in the glyph,
        live and in the static picture).
    feature_names : list of str
        The chosen features, in glyph order.
    frame : int
        Number of refreshes so far.
    """

    _view = traitlets.Unicode("glyphs").tag(sync=True)
    _default_title = "Codebook vectors: each neuron's weights as a small chart"
    #: (n_neurons, n_features) float32 in [0, 1] (NaN: no value, a gap in the glyph)
    glyphs = array_trait("float32", ndim=2).tag(sync=True)
    glyph_kind = traitlets.Unicode("line").tag(sync=True)
    glyph_names = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    glyph_colors = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    glyph_note = traitlets.Unicode("").tag(sync=True)
    # per feature: the tooltip's value in data units is lo + scaled * span
    glyph_lo = array_trait("float64", ndim=1).tag(sync=True)
    glyph_span = array_trait("float64", ndim=1).tag(sync=True)
    _released_attributes = (*_LatticeOverlayView._released_attributes, "scaled")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        *,
        selection: Selection | None = None,
        features: Sequence[str | int] | None = None,
        kind: str = "line",
        width: float | None = None,
        title: str | None = None,
    ) -> None:
        self.kind = check_choice("kind", kind, GLYPH_KINDS)
        som = _check_som(som, X=X)
        self._features_arg = features
        self._columns = self._resolve_features(som, features)
        self._title = check_title(title) or self._default_title
        self.scaled = np.zeros((0, 0))
        self.feature_names: list[str] = []
        self._data_units = True
        super().__init__(som, X, selection, width, self._title)

    @staticmethod
    def _resolve_features(som: SOM, features: Any) -> list[int]:
        return resolve_features(features, [str(n) for n in som.feature_names_in_])

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
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

    def _overlay(self) -> None:
        som = self._som
        try:
            cb = som.codebook_in_data_units()
            self._data_units = True
        except ValueError:
            cb = np.asarray(som.codebook_, dtype=np.float64)
            self._data_units = False
        cb = cb[:, self._columns]
        with warnings.catch_warnings():  # a feature with no value at all: "All-NaN slice"
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanmin(cb, axis=0) if cb.size else np.zeros(0)
            hi = np.nanmax(cb, axis=0) if cb.size else np.zeros(0)
        span = hi - lo
        # constant up to rounding (batch averages of a constant column differ in the last bits)
        flat = ~(span > 1e-9 * np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi))))
        with np.errstate(invalid="ignore"):
            scaled = (cb - lo) / np.where(flat, 1.0, span)
        scaled[:, flat] = np.where(np.isnan(cb[:, flat]), np.nan, 0.5)
        scaled = np.clip(scaled, 0.0, 1.0)  # NaN stays NaN: a gap, live and in the picture
        self.scaled = scaled
        names = [str(n) for n in som.feature_names_in_]
        self.feature_names = [names[j] for j in self._columns]
        units = "data units" if self._data_units else "training space (normalisation not invertible)"
        note = f"each feature scaled to [0, 1] over the map ({units})"
        if self.kind == "line":
            note += " · left to right: " + ", ".join(legend_name(n, 1e9) for n in self.feature_names)
        self.glyphs = scaled.astype(np.float32)
        self.glyph_kind = self.kind
        self.glyph_names = list(self.feature_names)
        self.glyph_colors = label_colors(len(self._columns)) if self.kind == "bar" else []
        self.glyph_note = note
        self.glyph_lo = np.where(np.isfinite(lo), lo, np.nan).astype(np.float64)
        self.glyph_span = np.where(np.isfinite(span), span, np.nan).astype(np.float64)

    def _picture(self, selected: list[int]) -> Picture:
        lattice = self._lattice  # of the last refresh, the one self.scaled is for
        lat = _lattice_args(lattice)
        m = lat["rows"] * lat["cols"]
        d = len(self._columns)
        colours = label_colors(d)
        cats = [(n, colours[j]) for j, n in enumerate(self.feature_names)] if self.kind == "bar" else None
        units = "data units" if self._data_units else "training space (normalisation not invertible)"
        sub = f"{lattice_subtitle(**lat)} · each feature scaled to [0, 1] over the map ({units})"
        if self.kind == "line":
            sub += " · left to right: " + ", ".join(legend_name(n, 1e9) for n in self.feature_names)
        plane = Plane(fills=["#f3f3f3"] * m, sizes=np.zeros(m), categories=cats, selected=selected)
        pic = render_picture([plane], title=self._title, subtitle=sub,
                         width=self._width or _default_width(lattice, 40.0), **lat)
        geo = pic.plane
        scale, ox, oy = geo.scale, geo.ox, geo.oy
        gw, gh = GLYPH_WIDTH * scale, GLYPH_HEIGHT * scale
        centres = np.asarray(lattice.coordinates, dtype=np.float64) * scale + [ox, oy]
        left = centres[:, 0] - gw / 2
        base = centres[:, 1] + gh / 2  # y grows downwards: the glyph's zero line
        tops = base[:, None] - self.scaled * gh  # (M, D) y of each value
        out = [f'<g class="glyphs" data-kind="{self.kind}" data-features="{escape(",".join(self.feature_names))}">']
        sw = _f(max(0.6, 0.035 * scale))
        if self.kind == "line":
            if d > 1:
                xs = left[:, None] + (np.arange(d) + 0.5) / d * gw
            else:  # one point draws nothing in SVG: a level tick across the middle half instead
                xs = left[:, None] + np.array([0.25, 0.75]) * gw
                tops = np.repeat(tops, 2, axis=1)
            for k in range(m):
                lines = "".join(
                    f'<polyline class="glyph-line" points="{pts}" fill="none" stroke="#1f4e79" '
                    f'stroke-width="{sw}" stroke-linejoin="round" stroke-linecap="round"/>'
                    for pts in _line_runs(xs[k], tops[k])
                )
                out.append(
                    f'<g class="glyph" data-k="{k}" data-cx="{_r(centres[k, 0])}" data-cy="{_r(centres[k, 1])}" '
                    f'data-left="{_r(left[k])}" data-base="{_r(base[k])}" data-width="{_r(gw)}" data-height="{_r(gh)}">'
                    f'<line class="glyph-axis" x1="{_f(left[k])}" y1="{_f(base[k])}" x2="{_f(left[k] + gw)}" '
                    f'y2="{_f(base[k])}" stroke="#bbb" stroke-width="0.6"/>{lines}</g>'
                )
        else:
            bw = gw / d
            for k in range(m):
                bars = "".join(
                    f'<rect class="glyph-bar" data-j="{j}" x="{_f(left[k] + (j + 0.07) * bw)}" y="{_f(tops[k, j])}" '
                    f'width="{_f(bw * 0.86)}" height="{_f(base[k] - tops[k, j])}" fill="{colours[j]}"/>'
                    for j in range(d) if not np.isnan(tops[k, j])  # no value: no bar
                )
                out.append(
                    f'<g class="glyph" data-k="{k}" data-cx="{_r(centres[k, 0])}" data-cy="{_r(centres[k, 1])}" '
                    f'data-left="{_r(left[k])}" data-base="{_r(base[k])}" data-width="{_r(gw)}" data-height="{_r(gh)}">'
                    f'{bars}<line class="glyph-axis" x1="{_f(left[k])}" y1="{_f(base[k])}" '
                    f'x2="{_f(left[k] + gw)}" y2="{_f(base[k])}" stroke="#999" stroke-width="0.6"/></g>'
                )
        out.append("</g>")
        return pic.with_elements(out)

    def __repr__(self) -> str:
        if self.closed:
            return f"{type(self).__name__}(closed)"
        return (f"CodebookGlyphMap(map={tuple(self._som.mapsize_)}, kind={self.kind!r}, "
                f"features={self.feature_names})")
