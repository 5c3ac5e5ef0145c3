"""ElevationMap (GEMA ``elevation_map``): a 3-D picture of hits, U-matrix or any per-neuron
value, one prism per neuron, with sliders to turn and tilt it.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..som import SOM
from ..validation import check_choice, check_positive
from ._base import ViewBase
from ._common import check_selection as _check_selection
from ._common import check_title
from ._svg_lattice import _check_som, _lattice_args, _r, _selected
from ._svg_theme import live_svg
from .colormaps import (
    COLORMAPS,
    colormap_table,
    colors_for_values,
    hex_color,
)
from .live import Throttle
from .pictures.compose import Picture
from .pictures.lattice import cell_vertices, lattice_subtitle
from .pictures.text import _FONT, _f, _wrap, escape, format_range, format_value
from .selection import Selection

__all__ = ["ELEVATION_VALUES", "ElevationMap"]


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


class ElevationMap(ViewBase, widgets.VBox):
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
        codebook's map, which must have the same size; after a refit to another size pass
        new ones, ``refresh(values=...)``).
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

    _released_attributes = ("_som", "_X", "_custom", "_pic", "values", "heights", "_lattice")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        *,
        values: str | Any = "hits",
        selection: Selection | None = None,
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
        self._kind, self._custom = self._check_kind(values, self._som)
        self._lattice = self._som.lattice_  # the lattice drawn: the one of the last refresh
        self._selection = _check_selection(selection)
        self._share(self._selection)
        az, el = self._check_angles(azimuth, elevation)
        self._width = check_positive("width", width)
        self._max_height = None if max_height is None else check_positive("max_height", max_height)
        self.colormap = check_choice("colormap", colormap, COLORMAPS)
        self.max_rate_hz = max_rate_hz
        self.throttle = Throttle(max_rate_hz=max_rate_hz)
        self._user_title = check_title(title)
        self._title = self._user_title or _VALUE_WORDS[self._kind][0]
        self._lock = threading.RLock()
        self._quiet = False
        self.frame = 0
        self._pic: Picture | None = None
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
            self._observe_selection(self._selection, self._on_selection)
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

    @classmethod
    def _check_kind(cls, values: Any, som: SOM) -> tuple[str, np.ndarray | None]:
        """``values`` as ``(kind, custom array or None)``."""
        if isinstance(values, str):
            return check_choice("values", values, ELEVATION_VALUES), None
        return "array", cls._check_values(values, som)

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

    def refresh(self, som: Any = None, values: Any = None, **precomputed: Any) -> None:
        """Recompute the values from the SOM (or draw another one from now on) and redraw.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on; the selection and the view angles are kept.
        values : {"hits", "umatrix"} or array-like, optional
            Show these from now on (as the constructor's ``values``); needed for an array of
            values after the map was refitted to another size.

        Raises
        ------
        ValueError
            When the view shows an array of values and the map no longer has one neuron per
            value (the picture keeps its last state).
        """
        with self._lock:
            new = self._som if som is None else _check_som(som, X=self._X)
            if values is not None:
                kind, custom = self._check_kind(values, new)
            else:
                kind, custom = self._kind, self._custom
                if custom is not None and custom.shape[0] != int(new.lattice_.n_neurons):
                    lat = new.lattice_
                    raise ValueError(
                        f"the map has {int(lat.n_neurons)} neurons now ({int(lat.rows)} x "
                        f"{int(lat.cols)}); values has {custom.shape[0]}: pass new values= with one "
                        "entry per neuron to refresh, or values='hits' / 'umatrix'")
            if kind == "hits":
                v = np.asarray(new.hit_counts(self._X), dtype=np.float64)
            elif kind == "umatrix":
                v = np.asarray(new.umatrix(), dtype=np.float64)
            else:
                v = custom
            # all at once, after everything that can fail: the picture's state stays consistent
            self._som, self._kind, self._custom = new, kind, custom
            self._title = self._user_title or _VALUE_WORDS[kind][0]
            self._lattice = new.lattice_
            self.values = v
            finite = v[np.isfinite(v)]
            vmin = float(finite.min()) if finite.size else 0.0
            vmax = float(finite.max()) if finite.size else 1.0
            base = min(0.0, vmin)
            # halved when the range overflows (e.g. -1e308 .. 1e308): v/2 - base/2 cannot overflow
            half = 1.0 if math.isfinite(vmax - base) else 0.5
            span = vmax * half - base * half
            h = (v * half - base * half) / span if span > 0 else np.zeros_like(v)
            self.heights = np.nan_to_num(h, nan=0.0) * self.max_height
            self.vmin, self.vmax = vmin, vmax
            if self._selection is not None:
                self._selection.n_neurons = int(self._lattice.n_neurons)
            self._render()

    # ---- geometry --------------------------------------------------------------------------
    def _footprint(self) -> np.ndarray:
        shape = "rect" if str(self._lattice.shape) == "rect" else "hexa"
        return cell_vertices(shape)

    def _centre(self) -> np.ndarray:
        xy = np.asarray(self._lattice.coordinates, dtype=np.float64)
        return (xy.min(axis=0) + xy.max(axis=0)) / 2

    def _radius(self) -> float:
        """Largest ground distance of a prism corner from the centre (the picture's half width)."""
        xy = np.asarray(self._lattice.coordinates, dtype=np.float64) - self._centre()
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
            self._pic = self._picture(_selected(self._selection))
            self.picture.value = live_svg(self._pic.svg)  # the static picture stays self._pic
            self.frame += 1

    def _picture(self, selected: list[int]) -> Picture:
        lattice = self._lattice  # of the last refresh, the one self.values is for
        lat = _lattice_args(lattice)
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
        sub = (f"{lattice_subtitle(**lat)} · one prism per neuron, height and colour follow the value · "
               f"azimuth {self.azimuth:.0f}°, elevation {self.elevation:.0f}°")
        for line in _wrap(sub, text_w, 12):
            y += 16.0
            head.append(f'<text class="subtitle" x="8" y="{_f(y)}" style="{_FONT};font-size:12px;fill:#666">'
                        f"{escape(line)}</text>")
        top = y + 12.0
        ox = margin + s * radius
        oy = top + s * (radius * se + hmax * ce)
        bottom = oy + s * radius * se + 10.0

        coords = np.asarray(lattice.coordinates, dtype=np.float64)
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
        rows_k, cols_k = lattice.row_col(np.arange(m))
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
        bar = self._colorbar(8.0, bottom, width - 16.0, label)
        body += bar
        total_h = bottom + 48.0 + 14.0 * (sum(p.startswith('<text class="colorbar-label"') for p in bar) - 1)
        w_text, h_text = _f(width), _f(total_h)
        return Picture(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w_text}" height="{h_text}" '
                       f'viewBox="0 0 {w_text} {h_text}"><rect width="100%" height="100%" fill="#ffffff"/>'
                       + "".join(head) + "".join(body) + "</svg>", float(w_text), float(h_text))

    def _colorbar(self, x: float, y: float, room: float, label: str) -> list[str]:
        table = colormap_table(self.colormap)
        gid = f"elevation-colorbar-{self.colormap}"  # same id, same gradient: safe to repeat
        stops = "".join(f'<stop offset="{i / 255:.4f}" stop-color="{hex_color(table[i])}"/>'
                        for i in range(0, 256, 5))
        lo, hi = format_range(self.vmin, self.vmax)
        bx = x + len(lo) * 6.2 + 5
        bw = min(220.0, room - (bx - x) - len(hi) * 6.2 - 10)
        out = [f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>',
               f'<text class="vmin" x="{_f(x)}" y="{_f(y + 10)}" style="{_FONT};font-size:11px">{escape(lo)}</text>',
               f'<rect class="colorbar" x="{_f(bx)}" y="{_f(y)}" width="{_f(bw)}" height="12" '
               f'fill="url(#{gid})" stroke="#aaa"/>',
               f'<text class="vmax" x="{_f(bx + bw + 5)}" y="{_f(y + 10)}" style="{_FONT};font-size:11px">{escape(hi)}</text>']
        caption = (f"{label}; prism height ∝ value"
                   f"{'' if not np.isnan(self.values).any() else ' · grey: no value'}")
        # one line where it fits, else as many as a narrow picture needs (10 % slack on the
        # estimated character widths: the theme's font may run wider)
        for i, line in enumerate(_wrap(caption, 0.9 * room, 11.0)):
            out.append(f'<text class="colorbar-label" x="{_f(x)}" y="{_f(y + 27 + 14 * i)}" '
                       f'style="{_FONT};font-size:11px;fill:#666">{escape(line)}</text>')
        return out

    def to_picture(self) -> Picture:
        """The picture (at the current angles) and its size."""
        if self._pic is None:
            raise ValueError("this ElevationMap is closed: it has no picture")
        return self._pic

    def __repr__(self) -> str:
        if self.closed:
            return f"{type(self).__name__}(closed)"
        return (f"ElevationMap(map={tuple(self._som.mapsize_)}, values={self._kind!r}, "
                f"azimuth={self.azimuth:.0f}, elevation={self.elevation:.0f})")
