"""ElevationMap (GEMA ``elevation_map``): a 3-D picture of hits, U-matrix or any per-neuron
value, one prism per neuron, turned and tilted in the browser (canvas) or with its sliders.

The live picture is :class:`ElevationCanvas` (``elevation_canvas.py``, drawn by
``js/src/elevation.ts``); the static SVG picture
and the projection's geometry are in ``elevation_picture.py``.
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
from ._common import check_title, lattice_geometry
from ._svg_lattice import _check_som, _selected
from .colormaps import COLORMAPS, wire_values
from .elevation_canvas import ElevationCanvas, _azimuth, _elevation
from .elevation_picture import SIDE_SHADE, SIDE_SHADE_SPREAD, elevation_picture, lattice_radius
from .live import Throttle, in_live_refresh
from .pictures.compose import Picture
from .selection import Selection

__all__ = ["ELEVATION_VALUES", "SIDE_SHADE", "SIDE_SHADE_SPREAD", "ElevationCanvas", "ElevationMap"]


ELEVATION_VALUES = ("hits", "umatrix")

_VALUE_WORDS = {
    "hits": ("Elevation map of the hits: taller, brighter neurons won more samples",
             "samples won (hits)"),
    "umatrix": ("Elevation map of the U-matrix: ridges are cluster borders, valleys cluster cores",
                "mean distance to the lattice neighbours (U-matrix)"),
    "array": ("Elevation map: taller, brighter neurons have higher values", "value"),
}


class ElevationMap(ViewBase, widgets.VBox):
    """A 3-D elevation map of a per-neuron value (GEMA's ``elevation_map``): every neuron is a
    prism (hexagonal on hex lattices, square on rectangular ones) whose height and top colour
    follow the value, with sliders to turn (azimuth) and tilt (elevation) the picture.

    The live picture is a canvas (:class:`ElevationCanvas`, ``js/src/elevation.ts``): the kernel
    sends the lattice, the values and the heights (binary float buffers), the colour map and
    range, and the browser projects and draws, so turning and tilting never wait for the kernel.
    Drag on the picture to turn (horizontal, 0.5° per pixel) and tilt (vertical, 0.3° per pixel).
    The sliders and the picture share the angles both ways: :attr:`azimuth` and :attr:`elevation`
    read the view the browser shows (hundredths of a degree: an angle from the browser is kept as
    sent, and the sliders, whose step is 0.01°, show it without sending it back). Hovering a prism
    (the one drawn on top under the pointer, by its top or a side face) shows the neuron's
    index, row and column, its value and its hits (where known); a click selects it, shift-click adds it,
    ctrl/cmd-click toggles it (the shared selection; its top faces are outlined). The static
    picture (:meth:`to_picture`, the MIME bundle, saved notebooks) is an SVG of the same
    projection at the current angles (``elevation_picture.py``); the notebook's picture output
    follows the angles, the selection and the colour map within its rate limit
    (:meth:`schedule_picture`).

    **Keys**, with the picture focused (Tab or a click): Left / Right turn by 5°, PageUp /
    PageDown by 15° (PageUp as Left), Up or ``+`` tilts up and Down or ``-`` tilts down by 5°.
    The keyboard has a focused prism, outlined in the theme's accent colour while the picture
    has the focus (at first the lowest selected neuron, else neuron 0; a click moves it there):
    Shift with an arrow key moves it to the neighbouring prism in that direction on the screen
    (up is farther back; the keys follow the turn, and turning keeps the focused prism), Home /
    End to the first / last neuron; Enter or Space adds it to the shared selection or takes it
    out; Escape clears the selection. A live region (``role="status"``) says the focused prism
    for screen readers: index, row and column, value in the view's words, hits (when the values
    are not the hits) and whether it is selected. The canvas's ``aria-label`` and the subtitle
    name the keys.

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
        Without one the view makes its own (:attr:`selection`, closed with the view), so
        clicks in the browser always reach Python and the static picture.
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
    picture : ElevationCanvas
        The live canvas picture (its ``azimuth`` / ``elevation`` traits follow the browser).
    azimuth_slider, elevation_slider : ipywidgets.FloatSlider
        The rotation controls.
    frame : int
        Number of state changes drawn so far (refreshes, angles, selection).
    """

    _released_attributes = ("_som", "_X", "_custom", "_pic", "values", "heights", "_hits", "_lattice")

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
        if selection is None:
            self._selection: Selection = self._own(Selection())
        else:
            self._selection = _check_selection(selection)
            self._share(self._selection)
        az, el = self._check_angles(azimuth, elevation)
        self._width = check_positive("width", width)
        self._max_height = None if max_height is None else check_positive("max_height", max_height)
        cmap = check_choice("colormap", colormap, COLORMAPS)
        self.max_rate_hz = max_rate_hz
        self.throttle = Throttle(max_rate_hz=max_rate_hz)
        self._user_title = check_title(title)
        self._title = self._user_title or _VALUE_WORDS[self._kind][0]
        self._lock = threading.RLock()
        self._quiet = False
        self._pushing = False
        self.frame = 0
        self._pic: Picture | None = None
        self.values = np.zeros(0)
        self.heights = np.zeros(0)
        self._hits = np.zeros(0)
        self.vmin, self.vmax = 0.0, 1.0

        self.picture = ElevationCanvas(selection=self._selection, colormap=cmap, azimuth=az, elevation=el,
                                       picture_width=self._width)
        self.azimuth_slider = widgets.FloatSlider(
            value=az, min=0.0, max=360.0, step=0.01, description="azimuth °",
            continuous_update=True, readout_format=".2f",
            layout=widgets.Layout(width="300px", max_width="100%"))
        self.elevation_slider = widgets.FloatSlider(
            value=el, min=0.0, max=90.0, step=0.01, description="elevation °",
            continuous_update=True, readout_format=".2f",
            layout=widgets.Layout(width="300px", max_width="100%"))
        # the sliders wrap (and shrink) in a notebook narrower than the two of them
        angles = widgets.HBox([self.azimuth_slider, self.elevation_slider],
                              layout=widgets.Layout(flex_flow="row wrap", max_width="100%"))
        angles.add_class("sw-angles")
        super().__init__(children=[self.picture, angles], layout=widgets.Layout(max_width="100%"))
        self.add_class("somwidget-elevation-map")
        self.azimuth_slider.observe(self._on_angle, names="value")
        self.elevation_slider.observe(self._on_angle, names="value")
        # the browser turned the picture: the sliders follow (and through them the state)
        self.picture.observe(self._on_browser_angle, names=["azimuth", "elevation"])
        self.picture.observe(self._on_colormap, names="colormap")
        self._observe_selection(self._selection, self._on_selection)
        self.refresh()

    @staticmethod
    def _check_angles(azimuth: Any, elevation: Any) -> tuple[float, float]:
        if isinstance(azimuth, bool) or not isinstance(azimuth, (int, float, np.integer, np.floating)):
            raise TypeError(f"azimuth must be a number of degrees; got {azimuth!r}")
        if not math.isfinite(float(azimuth)):
            raise ValueError(f"azimuth must be finite; got {azimuth!r}")
        el = check_positive("elevation", elevation, allow_zero=True)
        if el > 90:
            raise ValueError(f"elevation must be in [0, 90] degrees; got {elevation!r}")
        return _azimuth(azimuth), _elevation(el)

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
    def selection(self) -> Selection:
        """The selection whose neurons are outlined: the one passed in, else the view's own."""
        return self._selection

    @property
    def colormap(self) -> str:
        """The colour map (one of ``COLORMAPS``); the browser's picker sets it too."""
        return str(self.picture.colormap)

    @colormap.setter
    def colormap(self, value: str) -> None:
        self.picture.colormap = check_choice("colormap", value, COLORMAPS)

    @property
    def azimuth(self) -> float:
        """Rotation about the vertical axis in degrees, in [0, 360) (hundredths)."""
        return float(self.picture.azimuth)

    @property
    def elevation(self) -> float:
        """Viewing angle above the ground in degrees, in [0, 90] (hundredths)."""
        return float(self.picture.elevation)

    @property
    def max_height(self) -> float:
        """Height of the tallest prism in plane units."""
        return self._max_height if self._max_height is not None else 0.5 * self._radius()

    def _set_angles(self, az: float, el: float, *, from_browser: bool = False) -> None:
        """The new angles (already checked) to the canvas and the sliders, one redraw of the
        static picture; an angle from the browser is not sent back to it, and the sliders take
        it as it is (their step is fine enough to show it unsnapped)."""
        with self._lock:
            self._pushing = True
            self._quiet = True
            try:
                if not from_browser:
                    with self.picture.hold_sync():  # one message for both angles
                        self.picture.azimuth = az
                        self.picture.elevation = el
                self.azimuth_slider.value = float(self.picture.azimuth)
                self.elevation_slider.value = float(self.picture.elevation)
            finally:
                self._pushing = False
                self._quiet = False
            self._render()
        self.schedule_picture()  # the notebook's saved picture follows, within its rate limit

    def _on_angle(self, _change: Any = None) -> None:
        """A slider moved (in the browser or from Python)."""
        if self._quiet:
            return
        az = _azimuth(self.azimuth_slider.value)
        el = _elevation(self.elevation_slider.value)
        if (az, el) == (self.azimuth, self.elevation):
            return  # the slider's own rounding of the angle the canvas has: nothing to send
        self._set_angles(az, el)

    def _on_browser_angle(self, _change: Any = None) -> None:
        """The browser turned the picture: the sliders follow, nothing goes back."""
        if self._pushing or (self.azimuth, self.elevation) == (
                float(self.azimuth_slider.value), float(self.elevation_slider.value)):
            return  # ours, or the second notification of one message with both angles
        self._set_angles(self.azimuth, self.elevation, from_browser=True)

    def _on_colormap(self, _change: Any = None) -> None:
        self._render()
        self.schedule_picture()  # the notebook's saved picture shows the new colours

    def _on_selection(self, _change: Any = None) -> None:
        self._render()
        self.schedule_picture()  # the notebook's saved picture outlines the new selection

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
        self._set_angles(az, el)

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
            # a live refresh (training) skips them: a BMU pass per frame (90 ms for 20,000
            # samples on a 50 x 50 map); the final state's come after it (_after_live_refresh)
            hits = np.zeros(0) if kind == "hits" or in_live_refresh() else self._hits_of(new)
            # all at once, after everything that can fail: the picture's state stays consistent
            self._som, self._kind, self._custom = new, kind, custom
            self._title = self._user_title or _VALUE_WORDS[kind][0]
            self._lattice = new.lattice_
            self.values = v
            self._hits = hits
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
            self._selection.n_neurons = int(self._lattice.n_neurons)
            self._send_frame()
            self._render()

    def _hits_of(self, som: SOM) -> np.ndarray:
        """The samples each neuron of ``som`` won, for the tooltip and the live region of a view
        whose values are not the hits: of ``X``, else of the latest fit's data; empty when the
        model holds no data (loaded from a file) and no ``X`` was given, or when ``X`` does not
        fit ``som`` (another map drawn since, with other features: its values need no data)."""
        if self._X is None and som._training_data() is None:
            return np.zeros(0)
        shape = getattr(self._X, "shape", None)
        if shape is not None and len(shape) == 2 and shape[1] != som.n_features_in_:
            return np.zeros(0)
        return np.asarray(som.hit_counts(self._X), dtype=np.float64)

    def _after_live_refresh(self, final: bool) -> None:
        """After the training's final state, its hits (the live frames sent none)."""
        if final and self._kind != "hits" and not self.closed:
            with self._lock:
                self._hits = self._hits_of(self._som)
                self.picture.hits = self._hits.astype(np.float32)
        super()._after_live_refresh(final)

    def _radius(self) -> float:
        return lattice_radius(self._lattice)

    # ---- drawing ---------------------------------------------------------------------------
    def _send_frame(self) -> None:
        """One message to the browser: the lattice, the values and heights (binary buffers),
        the colour range and a new frame (no picture: the browser draws it)."""
        c = self.picture
        with c.hold_sync():
            for k, v in lattice_geometry(self._lattice).items():
                setattr(c, k, v)
            c.title = self._title
            c.value_label = _VALUE_WORDS[self._kind][1]
            c.values = wire_values(self.values, self.vmin, self.vmax)
            c.heights = self.heights.astype(np.float32)
            c.hits = self._hits.astype(np.float32)
            c.vmin, c.vmax = self.vmin, self.vmax
            c.max_height = self.max_height
            c.frame = c.frame + 1

    def _render(self) -> None:
        """A new state (data, angles, selection, colours): the static picture is rebuilt when
        next asked for (``to_picture``, the MIME bundle). A refresh, as every view's, new angles,
        a new selection and a new colour map update the notebook's picture output within its
        rate limit (:meth:`schedule_picture`: one pending update, at most ~5 % of the time spent
        drawing), so a drag does not rebuild a multi-MB SVG per step."""
        with self._lock:
            self._pic = None
            self.frame += 1

    def to_picture(self) -> Picture:
        """The picture (at the current angles) and its size."""
        with self._lock:
            if self._pic is None:
                self._pic = elevation_picture(
                    self._lattice, self.values, self.heights, vmin=self.vmin, vmax=self.vmax,
                    colormap=self.colormap, azimuth=self.azimuth, elevation=self.elevation,
                    width=self._width, max_height=self.max_height, title=self._title,
                    label=_VALUE_WORDS[self._kind][1], selected=_selected(self._selection))
            return self._pic

    def __repr__(self) -> str:
        if self.closed:
            return f"{type(self).__name__}(closed)"
        return (f"ElevationMap(map={tuple(self._som.mapsize_)}, values={self._kind!r}, "
                f"azimuth={self.azimuth:.0f}, elevation={self.elevation:.0f})")
