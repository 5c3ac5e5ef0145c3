"""InputSpaceView: the data and the codebook's net in input space (the classic unfolding picture).

The data are drawn as points and the codebook as the lattice's *net*: one node per neuron, joined
by a line to each of its lattice neighbours (``som.lattice_.neighbor_pairs()``, wrap-around
pairs included). While training, the net visibly unfolds over the data.

Projection
----------
Everything is drawn in the **training space** (the data after ``som.normalizer_``, where the
codebook lives), so the data and the codebook always share exactly one projection, whatever the
normalisation (``l2`` is not invertible, so data units would not always be possible):

* ``features=(i, j)`` (indices or names): those two training-space features;
* default: the two features themselves when the data have two, else the two leading principal
  components of the training-space data (computed once, so the picture does not jump while the
  net moves). Axis labels say which (:mod:`.input_space_projection`).

Selection and step mode
-----------------------
The view holds the shared :class:`~somwidget.widgets.selection.Selection`: selected neurons are
highlighted on the net and their samples stay opaque while the others fade; clicking a node
selects that neuron. In step mode (a :class:`~somwidget.trainer.StepRecord` or the SOM's
``OnlineStep``) the view is drawn to be read from the back of a lecture hall: the presented
sample (a large cross), a bold BMU marker joined to it by a thick red line, an arrow from the old
to the new position of every neuron that moved noticeably, the neighbourhood weight of every
neuron (orange discs whose area is the weight, 1 at the BMU) and the net before the update as a
faint dashed ghost; a legend above the chart says what each mark is (the marks of step mode:
:mod:`.input_space_step`; the net's polyline, coarse net and arrows: :mod:`.net_geometry`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..labels import encode_labels
from ..validation import NAN_HINT, check_array, check_bmus, check_int
from ._base import ViewBase, _closed_guard
from ._chart_theme import theme_chart
from ._common import (
    as_labels,
    check_selection,
    check_title,
    css_length,
    ensure_initialized,
    feature_names,
    lattice_geometry,
)
from .input_space_picture import InputSpaceDrawing, input_space_picture
from .input_space_projection import plane_projection, resolve_features, training_space
from .input_space_step import StepMarks
from .live import Throttle, live_refresh
from .net_geometry import ARROW_MIN_WEIGHT as ARROW_MIN_WEIGHT
from .net_geometry import (
    MAX_NET_NEURONS,
    coarse_net,
    move_arrows,
    net_polyline,
    net_segments,
)
from .pictures.chart import css_pixels
from .pictures.compose import Picture

__all__ = ["MAX_NET_NEURONS", "InputSpaceView", "coarse_net", "move_arrows", "net_segments"]

_PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]
_MAX_CLASSES = len(_PALETTE)
#: How samples without a label (None, NaN) are drawn and named in the legend.
_NO_LABEL, _NO_LABEL_COLOUR = "no label", "#bdbdbd"
#: The net's colour, and the moves': the theme's text colours (readable on light and dark).
_INK = "var(--jp-ui-font-color1, #333333)"
_INK_STRONG = "var(--jp-ui-font-color0, #111111)"
#: The selected nodes of the net: a disc of this colour and area (px^2) in a ring of the
#: theme's text colour (the nodes themselves are 18 px^2).
_CHOSEN = "#ffd400"
_CHOSEN_AREA = 90
_CHOSEN_RING_AREA = 200


def _closed_guard_mask(method: Any) -> Any:
    """``selected_sample_mask`` of a closed view: the ValueError of to_picture / refresh."""
    return _closed_guard(method, "this {} is closed: its samples and map are released")


class InputSpaceView(StepMarks, ViewBase, widgets.VBox):
    """Data points with the SOM's net drawn over them in input (training) space.

    Parameters
    ----------
    som : SOM
        The estimator; initialised on ``X`` if it has no codebook yet.
    X : array-like (n_samples, n_features)
        The data in data units (transformed with ``som.normalizer_`` for drawing).
    labels : array-like (n_samples,), optional
        Class of each sample; colours the points (up to 10 classes get their own colour).
    selection : Selection, optional
        The shared selection; a new one is created when omitted.
    features : pair of int or str, optional
        Two features to draw instead of the default projection (see the module docstring).
    max_points : int
        At most this many samples are drawn (a fixed random subset), to keep the browser fast.
    max_rate_hz : float
        Most redraws per second when fed live (the final state is always drawn).
    width, height : str or float
        CSS size of the chart (``"420px"``, ``"100%"``), or a number of pixels.
    title : str, optional
        Title above the chart.
    """

    _released_attributes = ("som", "X", "labels", "data_xy", "_bmus", "_bmus_of", "step_shown",
                            "_data_marks")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        labels: Any = None,
        *,
        selection: Any = None,
        features: Sequence[int | str] | None = None,
        max_points: int = 2000,
        max_rate_hz: float = 15.0,
        width: str | float = "420px",
        height: str | float = "420px",
        title: str | None = "Input space",
    ) -> None:
        self._lock = threading.RLock()
        self.som = som
        if X is None:
            raise ValueError("X is required: the samples drawn under the net")
        check_selection(selection)
        title = check_title(title)
        width, height = css_length("width", width), css_length("height", height)
        if features is not None and (isinstance(features, (str, bytes))
                                     or not isinstance(features, Sequence)):
            raise TypeError("features must be a pair of feature indices or names, e.g. (0, 2) or "
                            f"('f0', 'f2'); got {type(features).__name__} {features!r}")
        # float32 stays float32: the user's array itself (no full float64 copy kept)
        self.X, names = check_array("X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
                                   nan_hint=NAN_HINT, keep_float32=True)
        # no feature-count check here: som.normalizer_.transform names the mismatch
        ensure_initialized(som, X)
        self._names = names
        n = self.X.shape[0]
        self.labels = as_labels(labels, n)
        self.max_points = check_int("max_points", max_points, minimum=1)
        self._features_arg = features
        self.max_rate_hz = max_rate_hz
        self.throttle = Throttle(max_rate_hz)
        self.frame = 0
        self._bmus: np.ndarray | None = None
        self._bmus_of: np.ndarray | None = None  # the codebook self._bmus belong to
        self._syncing = False
        if n > self.max_points:
            rng = np.random.default_rng(0)
            self.shown_index = np.sort(rng.choice(n, self.max_points, replace=False))
        else:
            self.shown_index = np.arange(n)

        self._x_scale = bq.LinearScale()
        self._y_scale = bq.LinearScale()
        sc = {"x": self._x_scale, "y": self._y_scale}
        self._data_marks: list[tuple[bq.Scatter, np.ndarray]] = []
        # the net and the moves in the theme's text colour: dark on the light theme, light on
        # the dark one (bqplot sets colours as CSS, so a JupyterLab theme variable works)
        self._net = bq.Lines(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=[_INK],
                             stroke_width=1.2, opacities=[0.9])
        self._build_step_marks(sc, _INK_STRONG)  # the update of step mode (input_space_step.py)
        self._nodes = bq.Scatter(
            x=np.zeros(0), y=np.zeros(0), scales=sc, colors=[_INK], default_size=18,
            interactions={"click": "select"},
            selected_style={"fill": "#ffd400", "stroke": "black", "stroke-width": 2},
            unselected_style={},
        )
        # the selected nodes, under the net's nodes: a yellow disc in a ring of the theme's text
        # colour, big enough to find (a yellow fill on a 5 px node was lost among the others,
        # and its black stroke vanished on the dark theme); clicks still reach the nodes
        self._chosen_ring = bq.Scatter(x=np.zeros(0), y=np.zeros(0), scales=sc,
                                       colors=[_INK_STRONG], default_size=_CHOSEN_RING_AREA)
        self._chosen = bq.Scatter(x=np.zeros(0), y=np.zeros(0), scales=sc, colors=[_CHOSEN],
                                  default_size=_CHOSEN_AREA)
        self._x_axis = bq.Axis(scale=self._x_scale, label="")
        self._y_axis = bq.Axis(scale=self._y_scale, side="left", label="")
        self.figure = bq.Figure(
            marks=[],
            axes=[self._x_axis, self._y_axis],
            title=title or "",
            legend_location="top-right",
            # the class names in the text colour (the dots carry the class colours): orange
            # words on white did not read
            legend_text={"fill": _INK},
            fig_margin={"top": 40 if title else 15, "bottom": 45, "left": 55, "right": 15},
            layout=widgets.Layout(width=width, height=height),
        )
        theme_chart(self.figure)
        self.caption = widgets.HTML(value="")
        self.caption.add_class("somwidget-input-space-caption")
        self.step_legend = widgets.HTML(value="", layout=widgets.Layout(width=width))
        self.step_legend.add_class("somwidget-step-legend-box")
        super().__init__(children=[self.step_legend, self.figure, self.caption])
        self.add_class("somwidget-input-space")

        if selection is None:
            from .selection import Selection

            selection = self._own(Selection())
        else:
            self._share(selection)
        self.selection = selection
        self._nodes.observe(self._on_nodes_selected, names="selected")
        self._observe_selection(self.selection, self._on_selection)
        self.rebuild()

    # ------------------------------------------------------------ projection
    def _resolve_features(self) -> tuple[int, int] | None:
        d = self.X.shape[1]
        return resolve_features(self._features_arg, feature_names(self._names, self.som, d), d)

    def rebuild(self) -> None:
        """Recompute the projection, the net topology and the data marks (after a reset that
        changed the lattice, the map size or the normalisation), then redraw."""
        with self._lock:
            som = self.som
            Xt = training_space(som, self.X)
            names = feature_names(self._names, som, Xt.shape[1])
            plane = plane_projection(Xt, names, self._resolve_features())
            xlabel, ylabel = plane.x_label, plane.y_label
            self.projection_kind = plane.kind
            self.projection = plane.matrix
            self.center = plane.center
            self.data_xy = (Xt - plane.center) @ plane.matrix
            # O(M) neighbour pairs (i < j), never the dense M x M adjacency matrix
            lat = som.lattice_
            self.net_neurons, coarse, self.net_step = coarse_net(int(lat.rows), int(lat.cols))
            self.segments = (np.asarray(lat.neighbor_pairs(), dtype=np.int64) if self.net_step == 1
                             else coarse)
            self._node_position = np.full(int(lat.rows * lat.cols), -1, np.int64)
            self._node_position[self.net_neurons] = np.arange(self.net_neurons.size)
            self._lattice_drawn = lattice_geometry(lat)
            self._x_axis.label = xlabel
            self._y_axis.label = ylabel
            space = "training space" if getattr(som.normalizer_, "name", "none") != "none" else "data units"
            self.caption.value = (
                "<span style='font-size:12px;color:var(--jp-ui-font-color2, #555)'>"
                f"{len(self.shown_index)} of {self.X.shape[0]} samples, "
                f"{som.codebook_.shape[0]} neurons, {self.segments.shape[0]} net edges ({space})"
                + (f"; net drawn through one row and one column in {self.net_step}"
                   if self.net_step > 1 else "")
                + "</span>"
            )
            # fixed, equal-aspect scales around the data so the picture does not jump
            lo = self.data_xy.min(axis=0)
            hi = self.data_xy.max(axis=0)
            mid = (lo + hi) / 2
            half = max(float(np.max(hi - lo)) * 0.55, 1e-9)
            self._x_scale.min, self._x_scale.max = float(mid[0] - half), float(mid[0] + half)
            self._y_scale.min, self._y_scale.max = float(mid[1] - half), float(mid[1] + half)
            replaced = [m for m, _ in self.__dict__.get("_data_marks", [])]
            self._build_data_marks()
            self.figure.marks = [m for m, _ in self._data_marks] + [
                self._influence, self._ghost, self._net, self._chosen_ring, self._chosen,
                self._nodes, self._moves, self._arrow, self._bmu_mark, self._sample,
            ]
            for mark in replaced:  # the previous data marks are gone for good
                mark.close()
        self.refresh()

    def _build_data_marks(self) -> None:
        sc = {"x": self._x_scale, "y": self._y_scale}
        idx = self.shown_index
        xy = self.data_xy[idx]
        marks: list[tuple[bq.Scatter, np.ndarray]] = []
        style = {"opacity": 0.15}
        groups = self._label_groups(idx)
        if groups is not None:
            for mask, name, colour in groups:
                rows = idx[mask]
                pts = self.data_xy[rows]
                marks.append((bq.Scatter(
                    x=pts[:, 0], y=pts[:, 1], scales=sc, colors=[colour],
                    default_size=14, opacities=[0.7], labels=[name],
                    display_legend=True, unselected_style=style,
                ), rows))
            self._data_marks = marks
            return
        marks.append((bq.Scatter(x=xy[:, 0], y=xy[:, 1], scales=sc, colors=["#6baed6"],
                                 default_size=14, opacities=[0.7],
                                 unselected_style=style), idx))
        self._data_marks = marks

    def _check_features(self) -> None:
        """The map must still measure the view's samples (a refit on other data changes its
        number of features): else a clear error, not a broadcasting one."""
        d = int(getattr(self.som, "n_features_in_", self.X.shape[1]))
        if d != self.X.shape[1]:
            raise ValueError(
                f"X has {self.X.shape[1]} features, but the SOM now has {d} (it was fitted on "
                "other data): build a new InputSpaceView with that data"
            )

    def _label_groups(self, idx: np.ndarray) -> list[tuple[np.ndarray, str, str]] | None:
        """The shown samples ``idx`` by class: ``(mask over idx, name, colour)`` per class, as
        every label view has the classes (:func:`somwidget.labels.encode_labels`), then the
        samples without a label (None, NaN: never a class) in grey; None without labels or with
        more classes than colours."""
        if self.labels is None:
            return None
        if getattr(self, "_codes_of", None) is not self.labels:  # encoded once per labels
            self._codes = encode_labels(self.labels)
            self._codes_of = self.labels
        codes, classes = self._codes
        if not classes or len(classes) > _MAX_CLASSES:
            return None
        shown = codes[idx]
        groups = [(shown == c, str(cls), _PALETTE[c]) for c, cls in enumerate(classes)]
        if (shown < 0).any():
            groups.append((shown < 0, _NO_LABEL, _NO_LABEL_COLOUR))
        return groups

    def project(self, Y: np.ndarray) -> np.ndarray:
        """Project training-space vectors (codebook rows or samples) to the view's 2-D plane."""
        Y = np.asarray(Y, dtype=np.float64)
        return (Y - self.center) @ self.projection

    # -------------------------------------------------------------- updating
    def net_xy(self) -> np.ndarray:
        """Coordinates of the drawn net: (E, 2, 2) = segment, end point, (x, y)."""
        with self._lock:
            x = np.append(np.asarray(self._net.x, dtype=np.float64), np.nan).reshape(-1, 3)[:, :2]
            y = np.append(np.asarray(self._net.y, dtype=np.float64), np.nan).reshape(-1, 3)[:, :2]
        return np.stack([x, y], axis=-1)

    def refresh(self, som: Any = None, bmus: np.ndarray | None = None, step: Any = None) -> None:
        """Redraw the net from the current codebook (one message per mark).

        Parameters
        ----------
        som : SOM, optional
            A (new) estimator to show; the projection is rebuilt when its lattice changed.
        bmus : ndarray (n_samples,), optional
            Precomputed BMUs of ``X`` on the current codebook (saves a BMU search for the
            selection highlight); they count until the codebook changes.
        step : StepRecord or OnlineStep, optional
            An online update to show (sample, BMU, neighbourhood weights, net before/after).
        """
        if som is not None and som is not self.som:
            self.som = som
            self.rebuild()
        self._check_features()
        with self._lock:
            codebook = step.codebook_after if step is not None else self.som.codebook_
            if self._lattice_changed(codebook):
                self.rebuild()
                return
            if bmus is not None:
                b = check_bmus("bmus", bmus, int(self.som.codebook_.shape[0]))
                if b.shape != (self.X.shape[0],):
                    raise ValueError(f"bmus must have one entry per sample of X "
                                     f"({self.X.shape[0]}); got shape {b.shape}")
                self._bmus, self._bmus_of = b, np.array(self.som.codebook_, copy=True)
            nodes = self.project(codebook)
            self.frame += 1
            x, y = net_polyline(nodes, self.segments)
            with self._net.hold_sync():  # float32 halves the bytes of every live frame
                self._net.x, self._net.y = x.astype(np.float32), y.astype(np.float32)
            # a coarse net (big map) draws no nodes: a thousand SVG markers per frame would
            # slow the page down, and such maps are selected on their lattice views
            shown = nodes[self.net_neurons] if self.net_step == 1 else np.zeros((0, 2))
            with self._nodes.hold_sync():
                self._nodes.x = shown[:, 0].astype(np.float32)
                self._nodes.y = shown[:, 1].astype(np.float32)
            self._show_step(step)
            self._apply_selection(list(self.selection.neurons))

    def _lattice_changed(self, codebook: np.ndarray) -> bool:
        """Whether the map is no longer the one the net was built for (a refit to another
        size or lattice since the last :meth:`rebuild`)."""
        return (codebook.shape[0] != self.som.lattice_.n_neurons
                or codebook.shape[0] != self._node_position.size
                or lattice_geometry(self.som.lattice_) != self._lattice_drawn)

    def __call__(self, state: Any) -> None:
        """Training callback or trainer listener: throttled redraw, final state always drawn."""
        step = getattr(state, "online_step", None)
        final = bool(getattr(state, "final", False))
        if getattr(state, "kind", "") == "reset":
            self.rebuild()
            return None
        new_run = self._starts_a_run(state)
        if final or self._live_ready(new_run):
            # not state.bmus: those are the BMUs before the epoch's last update (the selection
            # highlight would be out of date); the BMUs of the codebook drawn are searched
            # when a selection needs them
            with live_refresh():
                self._timed_refresh(lambda: self.refresh(step=step))  # the overhead budget's
            self._after_live_refresh(final)
        return None

    # ------------------------------------------------------------ static picture
    def to_picture(self) -> Picture:
        """The view as a standalone SVG (no browser needed): the data points (class colours,
        faded outside the selection), the net with its nodes (selected ones in yellow), the
        update of step mode, and the caption (:mod:`.input_space_picture`)."""
        self._check_features()
        with self._lock:
            if self._lattice_changed(self.som.codebook_):  # refitted to another map since
                self.rebuild()
            step = self.step_shown
            codebook = step.codebook_after if step is not None else self.som.codebook_
            nodes = self.project(codebook)
            # neurons of this map only (a selection shared with a larger map's views)
            selected = sorted(int(k) for k in self.selection.neurons if k < nodes.shape[0])
            idx = self.shown_index
            mask = np.isin(self._sample_bmus()[idx], selected) if selected else np.ones(idx.size, bool)
            return input_space_picture(
                InputSpaceDrawing(
                    xy=self.data_xy[idx], opacity=np.where(mask, 0.7, 0.15),
                    groups=self._label_groups(idx), nodes=nodes, segments=self.segments,
                    net_neurons=self.net_neurons, selected=selected, step=step,
                    before=None if step is None else self.project(step.codebook_before),
                    sample=None if step is None else self.project(np.asarray(step.sample)[None, :])[0],
                    arrow_head=self._arrow_head(),
                ),
                width=css_pixels(self.figure.layout.width, 420.0),
                height=css_pixels(self.figure.layout.height, 420.0),
                title=self.figure.title or None,
                x_axis=(self._x_axis.label, self._x_scale.min, self._x_scale.max),
                y_axis=(self._y_axis.label, self._y_scale.min, self._y_scale.max),
                caption=self.caption.value,
            )

    # ------------------------------------------------------------- selection
    def _sample_bmus(self) -> np.ndarray:
        """BMUs of ``X`` on the current codebook: searched again whenever the codebook changed
        since (training updates it in place; a comparison is O(M D), a search O(N M D))."""
        cb = np.asarray(self.som.codebook_)
        of = self._bmus_of
        if (self._bmus is None or self._bmus.shape[0] != self.X.shape[0] or of is None
                or of.shape != cb.shape or not np.array_equal(of, cb, equal_nan=True)):
            self._bmus_of = np.array(cb, copy=True)
            self._bmus = np.asarray(self.som.predict(self.X))
        return self._bmus

    def _apply_selection(self, neurons: list[int]) -> None:
        with self._lock:
            self._syncing = True
            try:
                sel = np.asarray(sorted(int(k) for k in neurons), dtype=np.int64)
                pos = self._node_position[sel[sel < self._node_position.size]] if sel.size else sel
                pos = pos[pos >= 0]
                # a coarse net draws no nodes (see refresh): nothing to mark on it
                marked = pos if pos.size and self.net_step == 1 else None
                self._nodes.selected = marked
                xs = np.asarray(self._nodes.x, dtype=np.float32)
                ys = np.asarray(self._nodes.y, dtype=np.float32)
                marked = np.zeros(0, np.int64) if marked is None else marked[marked < xs.size]
                for mark in (self._chosen_ring, self._chosen):
                    with mark.hold_sync():
                        mark.x, mark.y = xs[marked], ys[marked]
                if sel.size:
                    mask = np.isin(self._sample_bmus(), sel)
                for mark, rows in self._data_marks:
                    mark.selected = np.nonzero(mask[rows])[0] if sel.size else None
            finally:
                self._syncing = False

    def _on_selection(self, change: dict) -> None:
        self._apply_selection(list(change["new"]))

    def _on_nodes_selected(self, change: dict) -> None:
        if self._syncing:
            return
        new = change["new"]
        neurons = ([] if new is None else
                   sorted({int(self.net_neurons[int(i)]) for i in np.asarray(new).ravel()}))
        if neurons != list(self.selection.neurons):
            self.selection.select(neurons)

    @_closed_guard_mask
    def selected_sample_mask(self) -> np.ndarray:
        """Boolean mask of the samples whose BMU is selected (as highlighted in this view)."""
        with self._lock:
            sel = np.asarray(list(self.selection.neurons), dtype=np.int64)
            return np.isin(self._sample_bmus(), sel)

