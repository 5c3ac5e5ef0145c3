"""LatticeView: the canvas picture of one value per neuron, the base of every lattice view.

The views built on it: ``hit_map.py`` (HitMap), ``label_map.py`` (LabelMap), ``umatrix.py``
(UMatrix), ``quality_map.py`` (QualityMap), ``cluster_map.py`` (ClusterMap), ``planes.py``
(ComponentPlanes).

Every map-shaped view is one front-end renderer (``js/src/lattice_canvas.ts``) fed different
per-neuron arrays. Each refresh sends ONE comm message (``hold_sync``) with the arrays as
binary buffers (float32; the values float64 where float32 would colour them wrongly,
:func:`~.colormaps.wire_values`) (the ndarray codec of :mod:`.codecs`) and an incremented ``frame``. Views link
through a shared :class:`Selection`, resolved in the browser, so clicking a neuron in one view
outlines it in every view at once. The traits' browser types are in ``js/src/models.ts``.
"""

from __future__ import annotations

from typing import Any

import anywidget
import numpy as np
import traitlets

from ..clustering import border_segments
from ..labels import encode_labels
from ..validation import check_bmus, check_choice, check_positive
from ._base import ViewBase
from ._common import check_title, lattice_geometry
from ._lattice_traits import LatticeGridTraits
from .codecs import array_trait, narrowest_int
from .colormaps import COLORMAPS, label_colors, wire_values
from .live import pack_tooltips
from .palettes import cap_categories, category_colors
from .pictures.compose import Picture
from .pictures.lattice import (
    Plane,
    category_fills,
    fills_for,
    format_label,
    lattice_subtitle,
    render_picture,
)
from .selection import Selection, bundle_path

__all__ = ["MIN_RELATIVE_SPAN", "LatticeView", "check_width", "honest_range"]

def _range(values: np.ndarray) -> tuple[float, float]:
    """nan-aware (min, max) of the values, in float64; (0, 1) if none is finite."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


#: A distance field whose range is below this fraction of its largest value is "nearly
#: constant": its colour scale is widened to this span (centred on the values) and the legend
#: says so, so that an untrained map's near-uniform U-matrix does not look like clusters.
MIN_RELATIVE_SPAN = 0.2


def _neuron_values(values: Any) -> np.ndarray:
    """``values=`` of a LatticeView as float64 (one number per neuron, NaN: no value), or an
    error naming ``values``."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"values must be numbers, one per neuron (NaN: no value); {exc}") from None


def honest_range(values: np.ndarray, label: str) -> tuple[float, float, str]:
    """(vmin, vmax, label) of a non-negative distance field, widened when nearly constant.

    When ``vmax - vmin < MIN_RELATIVE_SPAN * vmax`` the scale becomes a span of
    ``MIN_RELATIVE_SPAN * vmax`` centred on the values (never below 0) and the label adds
    "nearly constant (range a–b)".
    """
    lo, hi = _range(values)
    top = max(abs(lo), abs(hi))
    span = MIN_RELATIVE_SPAN * top
    if top > 0 and hi - lo < span:
        mid = 0.5 * lo + 0.5 * hi  # lo + hi could overflow
        a = max(0.0, mid - span / 2) if lo >= 0 else mid - span / 2
        note = f"{label} · nearly constant ({format_label(lo)}–{format_label(hi)}): no real contrast"
        return a, a + span, note
    return lo, hi, label


class _CanvasWidth(traitlets.Float):
    """``canvas_width``: CSS px, a finite number >= 0 (0: the map fills its output); anything
    else, a boolean included (``True`` is not 1 px), is refused with an error naming it."""

    def validate(self, obj: Any, value: Any) -> float:
        if isinstance(value, (bool, np.bool_)):
            raise traitlets.TraitError(f"canvas_width must be a number of CSS px; got {value!r}")
        return check_positive("canvas_width", super().validate(obj, value), allow_zero=True)


def check_width(width: Any) -> float | None:
    """``width=`` of a lattice view: None (the map fills its output) or CSS px, a finite number
    > 0 (else an error naming ``width``)."""
    return None if width is None else check_positive("width", width)


def _check_data(X: Any, view: str) -> Any:
    """``X`` is the data (2-D): a 1-D array here is a per-neuron value array in the wrong place."""
    if X is not None and np.ndim(X) == 1:
        raise TypeError(f"{view}(som, X): X is the data (samples x features), got a 1-D array; "
                        "pass per-neuron values as values=...")
    return X


def _cluster_ids(clusters: Any, lattice: Any) -> np.ndarray:
    """Per-neuron cluster ids from a ``som.cluster()`` result (of a map of this lattice) or an
    array (validated, :func:`somwidget.clustering.check_clustering`)."""
    from ..clustering import check_clustering

    return check_clustering(clusters, lattice)


def _encode_categories(categories: Any, names: Any, m: int) -> tuple[np.ndarray, list[str]]:
    """(codes (M,) int64 with -1 = none, names) of a per-neuron category argument."""
    cats = getattr(categories, "labels_", categories)
    if np.shape(cats) != (m,):
        raise ValueError(f"categories must have one entry per neuron ({m}); got shape {np.shape(cats)}")
    if names is None and hasattr(categories, "labels_"):  # a som.cluster() result
        names = [f"cluster {i}" for i in range(int(np.max(cats)) + 1)]
    if names is None:
        codes, classes = encode_labels(cats, m)
        return codes, [str(c) for c in classes]
    names = [str(n) for n in names]
    arr = np.asarray(cats, dtype=np.float64)
    if arr.shape != (m,):
        raise ValueError(f"categories must have one entry per neuron ({m}); got shape {arr.shape}")
    known = arr[np.isfinite(arr) & (arr != -1)]
    if known.size and (np.any(known != np.round(known)) or known.min() < 0 or known.max() >= len(names)):
        raise ValueError(f"with category_names, categories must be integer ids in 0..{len(names) - 1} "
                         "(-1 or NaN: none)")
    return np.where(np.isfinite(arr), arr, -1).astype(np.int64), names


class LatticeView(ViewBase, LatticeGridTraits, anywidget.AnyWidget):
    """A canvas picture of one value per neuron on the SOM's lattice (the base of every view).

    Hexagonal or rectangular cells (docs/internals.md geometry), dashed edges with arrows on
    toroidal / cylindrical maps, a colour bar with min / max, hover tooltips, the shared selection
    outlined (a big selection as one outline of its region, so the data stays visible); click
    selects, shift-click adds, ctrl/cmd-click toggles, drag brushes a region (shift-drag adds;
    the neurons the drag starts and ends on are included). A category legend's entries (the
    ClusterMap's clusters, the majority classes, ``categories``) are buttons: clicking one, or
    Enter / Space on it, selects every neuron of that category, with the same modifiers.
    Keyboard: Tab focuses the map (announced to screen readers as the view's kind, size and
    keys; the selected neuron's tooltip lines are announced as it changes); with nothing
    selected an arrow key, Enter or Space selects neuron 0 (the top-left); an arrow key moves
    to the neighbour of the neuron last moved to or clicked, or else of the lowest-index
    selected neuron, and selects it alone (the ClusterMap: its cluster); Enter / Space on a
    selection keep it; Escape clears.

    Parameters
    ----------
    som : SOM
        An initialised or fitted SOM.
    X : array-like of shape (N, D), optional
        Data to initialise an unfitted SOM with.
    values : array-like of shape (n_neurons,), optional
        The value drawn per neuron (only for a plain ``LatticeView``; subclasses compute theirs).
    selection : Selection, optional
        The shared selection; a private one is created when omitted.
    colormap : str
        One of ``"viridis"``, ``"magma"``, ``"plasma"``, ``"inferno"``, ``"cividis"``.
    title : str, optional
        Title in plain words.
    value_label : str
        What the colour means (shown next to the colour bar).
    max_rate_hz : float
        Live refresh limit when used as a training callback.
    show_values : bool
        Write each neuron's value in its cell (GEMA's annotated heat maps), in the browser and in
        the static picture, when the cells are wide enough for the text (about 22 pixels).
    categories : array-like of shape (n_neurons,), optional
        One category per neuron (only for a plain ``LatticeView``): any labels (strings, a
        Categorical, ``som.cluster()``), or integer ids ``0..n-1`` with ``category_names``;
        None / NaN / -1 is no category (grey). Drawn with ``palette`` and a legend.
    category_names : sequence of str, optional
        The names of the integer ids in ``categories``.
    palette : {"okabe_ito", "tableau", "auto"} or list of "#rrggbb", optional
        Colours of the categories (:mod:`somwidget.widgets.palettes`); the default ``"auto"``
        is the colour-blind-safe Okabe–Ito palette up to 7 categories, else Tableau's 20.
    borders : bool
        Draw the borders between neighbouring neurons of different ``categories``.
    clusters : MapClustering or array-like of shape (n_neurons,), optional
        Cluster ids per neuron (``som.cluster()``) whose borders are drawn over the view's own
        colours (every lattice view: the U-matrix, the hit map, ...): the edges between
        neighbouring neurons of different clusters, on both sides of a wrapped edge.
    width : float, optional
        Width in CSS pixels of the live map (every lattice view takes it). Default None: the
        map fills the width of its output and is at most about 560 pixels tall, so a 100 x 100
        map gets cells of about 6 pixels; ``width=1400`` gives it cells of about 14 pixels and
        makes it as tall as its lattice needs, in a box that scrolls sideways when its output
        is narrower. The static picture is that wide too (its cells between 2 and 40 pixels).
        A very wide map keeps the size asked for and draws slightly blurrier on a high-density
        screen (the canvas' backing pixels are capped, ``js/src/canvas_size.ts``).
    """

    _view = traitlets.Unicode("lattice").tag(sync=True)
    draw_style = traitlets.Unicode("color").tag(sync=True)  # "color" | "size" ("style" is taken by DOMWidget)
    # empty: no marker sizes (with draw_style "size": the area is values / vmax, derived in the browser)
    sizes = array_trait("float32", ndim=1).tag(sync=True)
    # category code per neuron (-1: none), in the narrowest signed integer dtype; empty: no categories
    categories = array_trait(("int8", "int16", "int32"), ndim=1).tag(sync=True)
    category_names = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    category_title = traitlets.Unicode("").tag(sync=True)
    legend = traitlets.Unicode("colorbar").tag(sync=True)
    tooltip_fields = traitlets.List(traitlets.Dict(), default_value=[]).tag(sync=True)
    # (fields, neurons): whole-number rows as the narrowest integer dtype, others float32
    tooltip_values = array_trait(("float32", "int8", "int16", "int32", "uint8", "uint16"), ndim=2).tag(sync=True)
    show_values = traitlets.Bool(False).tag(sync=True)
    # cluster / category borders: (S, 4) segments [x0, y0, x1, y1] in plane coordinates
    borders = array_trait("float32", ndim=2).tag(sync=True)
    # one colour per category (empty: the Tableau label palette, cycling)
    category_colors = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    # what a click selects: the neuron, or every neuron of its category (cluster)
    select_by = traitlets.Unicode("neuron").tag(sync=True)
    # the legend's entry for neurons without a category ("": none)
    category_none = traitlets.Unicode("no samples").tag(sync=True)
    #: CSS px of the live picture and of the static one (the ``width`` argument; may be set
    #: later, ``view.canvas_width = 900``); 0: it fills the output's width. A picture wider than
    #: its output scrolls sideways in its own box.
    canvas_width = _CanvasWidth(0.0).tag(sync=True)

    _bundle = "lattice"
    _default_title = "Value per neuron"
    _released_attributes = ("_som", "_X", "_custom_values", "_labels", "_codes", "_state",
                            "_clusters", "_categories")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        *,
        values: Any = None,
        selection: Selection | None = None,
        colormap: str = "viridis",
        title: str | None = None,
        value_label: str = "value",
        max_rate_hz: float = 15.0,
        show_values: bool = False,
        categories: Any = None,
        category_names: Any = None,
        palette: Any = None,
        borders: bool = False,
        clusters: Any = None,
        width: float | None = None,
        _initial: dict[str, Any] | None = None,
    ) -> None:
        width = check_width(width)
        if selection is not None and not isinstance(selection, Selection):
            raise TypeError(f"selection must be a somwidget Selection or None; got {type(selection).__name__}")
        colormap = check_choice("colormap", colormap, COLORMAPS)
        self._som = self._ensure_initialized(som, _check_data(X, type(self).__name__))
        self._share(selection)
        self._custom_values = None if values is None else _neuron_values(values)
        m = int(self._som.lattice_.n_neurons)
        self._categories = None if categories is None else _encode_categories(categories, category_names, m)
        if categories is None and category_names is not None:
            raise ValueError("category_names needs categories= (one category per neuron)")
        self._palette = palette
        category_colors(1, palette)  # validates the palette now
        self._category_borders = bool(borders)
        self._clusters = None if clusters is None else _cluster_ids(clusters, self._som.lattice_)
        self._title_arg = check_title(title)
        self._value_label_arg = value_label
        self.max_rate_hz = max_rate_hz
        super().__init__(selection=selection if selection is not None else Selection(), colormap=colormap,
                         show_values=bool(show_values), canvas_width=width or 0.0)
        self.refresh(**(_initial or {}))

    @traitlets.observe("canvas_width", "show_values", "colormap")
    def _on_picture_trait(self, change: dict[str, Any]) -> None:
        """Set from Python after it was shown: the notebook's picture follows (rate-limited;
        traitlets calls this only when the value changed)."""
        self.schedule_picture()

    @property
    def _width(self) -> float | None:
        """The picture's width in CSS px (``canvas_width``; None: it fills the output)."""
        return float(self.canvas_width) or None

    @property
    def _esm(self) -> str:  # type: ignore[override]
        return bundle_path(self._bundle).read_text(encoding="utf-8")

    @traitlets.validate("colormap")
    def _validate_colormap(self, proposal: traitlets.Bunch) -> str:
        return check_choice("colormap", proposal["value"], COLORMAPS)

    # ---- computing -----------------------------------------------------------------------------
    @property
    def som(self) -> Any:
        """The SOM this view draws."""
        return self._som

    @property
    def n_neurons(self) -> int:
        return self.rows * self.cols

    def _lattice_state(self) -> dict[str, Any]:
        return lattice_geometry(self._som.lattice_)

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        """Trait values of one refresh (subclasses override)."""
        m = int(self._som.lattice_.rows * self._som.lattice_.cols)
        v = self._custom_values if self._custom_values is not None else np.full(m, np.nan)
        if v.shape != (m,):
            raise ValueError(f"values must have one entry per neuron ({m}); got shape {v.shape}")
        st = self._plain(v, self._title_arg or self._default_title, self._value_label_arg)
        if self._categories is not None:
            codes, names = self._categories
            if codes.shape != (m,):
                raise ValueError(f"categories must have one entry per neuron ({m}); got shape {codes.shape}")
            # more categories than colours: the most common ones (in neurons), then "N others"
            present = codes[codes >= 0]
            cats, names, colours = cap_categories(codes.astype(np.float64), names,
                                                  np.bincount(present, minlength=len(names)),
                                                  self._palette, other="categories")
            st.update(categories=cats, category_names=names, category_title=self._value_label_arg
                      if self._value_label_arg != "value" else "category",
                      legend="both" if self._custom_values is not None else "categories",
                      category_colors=colours, category_none="no category")
            if self._custom_values is None:
                st["values"], st["vmin"], st["vmax"] = cats, 0.0, max(len(names) - 1.0, 1.0)
                st["tooltip"] = []
            tip: dict[str, Any] = {"name": st["category_title"], "format": "category"}
            if np.array_equal(cats, codes.astype(np.float64), equal_nan=True):
                st["tooltip"].append((tip, cats))
            else:  # the rare categories grouped: the tooltip still names each neuron's own
                tip["names"] = [str(n) for n in self._categories[1]]
                st["tooltip"].append((tip, codes.astype(np.float64)))
            if self._category_borders:
                st["border_ids"] = codes
        return st

    def _plain(self, v: np.ndarray, title: str, label: str, fmt: str = "float") -> dict[str, Any]:
        vmin, vmax = _range(v)
        return {
            "values": v, "vmin": vmin, "vmax": vmax, "title": title, "value_label": label,
            "style": "color", "sizes": None, "categories": None, "category_names": [],
            "category_title": "", "legend": "colorbar",
            "tooltip": [({"name": label, "format": fmt}, v)],
        }

    def refresh(self, som: Any = None, bmus: Any = None, distances: Any = None, **_: Any) -> None:
        """Recompute from the SOM (or a new one) and send ONE message with a new ``frame``.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on (e.g. after retraining a copy); the selection is kept.
        bmus : array-like of int, optional
            Precomputed BMUs of this view's data (skips ``som.predict``).
        distances : array-like of float, optional
            The distance of each sample to its BMU (with ``bmus``; the quality map uses it).
        """
        if som is not None:
            self._som = som
        lat = self._lattice_state()
        if bmus is not None:  # handed in: indices of this map's neurons, integers
            bmus = check_bmus("bmus", bmus, int(lat["rows"] * lat["cols"]))
        st = self._compute(bmus,
                           None if distances is None else np.asarray(distances, dtype=np.float64))
        border_ids = st.get("border_ids", getattr(self, "_clusters", None))
        m_now = lat["rows"] * lat["cols"]
        if border_ids is not None and len(border_ids) != m_now:
            raise ValueError(f"clusters must have one id per neuron ({m_now}); got {len(border_ids)}")
        st["borders"] = (np.zeros((0, 4)) if border_ids is None
                         else border_segments(self._som.lattice_, np.asarray(border_ids)))
        st.setdefault("category_colors", [])
        st.setdefault("category_none", "no samples")
        self._state = {**lat, **st}
        tip = st["tooltip"]
        m = lat["rows"] * lat["cols"]
        tip_fields, tip_values = pack_tooltips(tip, st["values"], m, st["categories"])  # each array once
        sizes = st["sizes"]
        if sizes is not None and st["style"] == "size" and st.get("sizes_from_values"):
            sizes = None  # the browser derives them: values / vmax
        cats = None if st["categories"] is None else np.where(np.isnan(st["categories"]), -1, st["categories"])
        if self.selection is not None:
            self.selection.n_neurons = m
        with self.hold_sync():
            for k, v in lat.items():
                setattr(self, k, v)
            self.title = st["title"]
            self.value_label = st["value_label"]
            self.values = wire_values(st["values"], st["vmin"], st["vmax"])
            self.vmin, self.vmax = st["vmin"], st["vmax"]
            self.draw_style = st["style"]
            self.sizes = np.zeros(0) if sizes is None else sizes
            self.categories = np.zeros(0, np.int8) if cats is None else narrowest_int(cats, signed=True)
            self.category_names = [str(c) for c in st["category_names"]]
            self.category_title = st["category_title"]
            self.legend = st["legend"]
            self.borders = st["borders"]
            self.category_colors = list(st["category_colors"])
            self.category_none = st["category_none"]
            self.tooltip_fields = tip_fields
            self.tooltip_values = tip_values
            self.frame = self.frame + 1

    # ---- static picture ------------------------------------------------------------------------
    def _subtitle(self) -> str:
        return lattice_subtitle(self.rows, self.cols, self.shape, self.wrap_rows, self.wrap_cols)

    def _planes(self) -> list[Plane]:
        st = self._state
        names = st["category_names"]
        palette = list(st["category_colors"]) or label_colors(max(len(names), 1))
        if st["categories"] is not None:
            fills = category_fills(st["categories"], palette)
        else:
            # the values the browser received (float32 or float64): the picture shows its colours
            fills = fills_for(self.values, st["vmin"], st["vmax"], self.colormap)
        legend = st["legend"]
        colorbar = ((self.colormap, st["vmin"], st["vmax"], st["value_label"])
                    if legend in ("colorbar", "both") else None)
        none_label = st["category_none"]  # "": no grey legend entry
        none = [(none_label, "#d9d9d9")] if none_label else []
        cats = ([(str(n), palette[i % len(palette)]) for i, n in enumerate(names)] + none
                if legend in ("categories", "both") else None)
        labels = ([format_label(float(v)) for v in st["values"]]
                  if self.show_values and len(st["values"]) else None)
        return [Plane(fills=fills, sizes=st["sizes"], colorbar=colorbar, categories=cats,
                      selected=list(self.selection.neurons) if self.selection is not None else [],
                      labels=labels, borders=st["borders"] if len(st["borders"]) else None)]

    def _picture_width(self) -> float | None:
        """The static picture's plane width (px): the ``width`` argument (None: the default)."""
        return self._width

    def to_picture(self) -> Picture:
        """The same picture as a standalone SVG (no browser needed)."""
        return render_picture(
            self._planes(), rows=self.rows, cols=self.cols, shape=self.shape,
            wrap_rows=self.wrap_rows, wrap_cols=self.wrap_cols,
            title=self.title, subtitle=self._subtitle(), width=self._picture_width(),
        )
