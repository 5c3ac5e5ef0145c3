"""Explorer: the linked dashboard of one SOM (hit map, U-matrix, component planes, inspector).

Every view of an Explorer shares ONE :class:`~somwidget.widgets.selection.Selection`; linking
happens in the browser, so picking a neuron in one view marks it in all of them even while a
training cell keeps the kernel busy. The views are ordinary widgets (``ex.hit_map``,
``ex.umatrix``, ``ex.planes``, ``ex.inspector``) that can also be displayed anywhere else and stay
linked.

Passed as a training callback (``som.fit(X, callbacks=[ex])``), the Explorer redraws live: one
throttle for the whole dashboard, the BMUs of ``X`` computed once per refresh and shared by every
view, and the final state always drawn.

Building an Explorer costs ONE BMU pass over ``X`` (``som.best_matching_units(X, k=1)``: the BMU
and its distance), shared by the hit / label / quality maps, the inspector and the selection;
everything else is bincounts over that pass. The layout fits about one 1280 x 720 screen: the
maps side by side with the component planes in a grid under them (scrolling inside when there
are many features), the inspector beside them, one selection bar with one Clear button above.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..labels import encode_labels
from ..som import SOM
from ..validation import NAN_HINT, check_array, check_choice, check_fraction, check_positive
from ._base import ViewBase, _closed_guard
from ._common import (
    as_frame,
    as_labels,
    check_selection,
    ensure_initialized,
    feature_names,
    sample_index,
)
from .hit_map import HitMap
from .inspector import NeuronInspector
from .label_map import LabelMap
from .live import Throttle
from .pictures.compose import Picture, compose
from .planes import ComponentPlanes
from .quality_map import QualityMap
from .selection import (
    Selection,
    check_sample_columns,
    member_mask,
    neurons_of_samples,
    sample_rows,
)
from .umatrix import UMatrix

__all__ = ["DEFAULT_VIEWS", "VIEWS", "Explorer"]

#: Every view an Explorer can show, in layout order.
VIEWS: tuple[str, ...] = ("hits", "umatrix", "quality", "labels", "planes", "inspector")
PICK_A_CLASS = "(select a class)"
#: The views shown by default.
DEFAULT_VIEWS: tuple[str, ...] = ("hits", "umatrix", "planes", "inspector")


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` refused on a closed Explorer (its samples are gone) with a clear error."""
    return _closed_guard(method, "this {} is closed: it has no samples (build a new one)")


def _class_names(values: Sequence[Any]) -> list[str]:
    """One distinct dropdown entry per class: ``str`` of it, ``repr`` where two classes (1 and
    "1") or the placeholder would read alike."""
    plain = [str(c) for c in values]
    seen: dict[str, int] = {}
    for name in plain:
        seen[name] = seen.get(name, 0) + 1
    names = [repr(c) if seen[n] > 1 or n == PICK_A_CLASS else n for c, n in zip(values, plain, strict=True)]
    if len(set(names)) < len(names):  # reprs alike too: numbered
        names = [f"{n} ({k})" for k, n in enumerate(names)]
    return names


class Explorer(ViewBase, widgets.VBox):
    """A linked dashboard of one SOM, usable as a live training callback.

    Parameters
    ----------
    som : SOM
        The estimator. If it is not initialised yet it is initialised from ``X`` (the untrained
        map is shown).
    X : array-like or pandas.DataFrame, shape (N, D)
        Data in data units (the columns the SOM is trained on).
    labels : array-like of shape (N,), optional
        A class label per sample: overlaid on the hit map (majority class), listed by the
        inspector, and usable with :meth:`select_samples`.
    extra : pandas.DataFrame or array-like with N rows, optional
        Additional per-sample columns shown by the inspector and returned by
        :meth:`selected_samples`.
    selection : Selection, optional
        A selection to share with other views; a new one is created when omitted.
    colormap : str, default "viridis"
        Colour map of the lattice views ("viridis", "magma", "plasma", "inferno", "cividis").
    max_rate_hz : float, default 15
        At most this many live refreshes per second during training.
    views : sequence of str, default ("hits", "umatrix", "planes", "inspector")
        Which views to build, any of "hits", "umatrix", "quality", "labels", "planes",
        "inspector" ("labels" needs ``labels``).
    max_overhead : float in (0, 1], default 0.05
        Live refreshes take at most about this fraction of the training time: when the last two
        refreshes took at least ``t`` seconds each, the next one waits at least
        ``t * (1 - f) / f`` seconds (on top of ``max_rate_hz``), so a large data set is redrawn
        less often instead of slowing training, and one slow refresh (a one-off cost) holds
        back only one. The dashboard's construction counts as a refresh costing its BMU pass.
        1 disables this budget.
    clusters : MapClustering or array-like of shape (n_neurons,), optional
        Cluster ids per neuron (``som.cluster()``): adds a :class:`ClusterMap` (a click selects
        a whole cluster), draws the cluster borders on the hit map, U-matrix, quality and label
        maps, and adds a ``cluster`` column to :meth:`selected_samples`.

    Attributes
    ----------
    selection : Selection
        The one selection shared by every view.
    hit_map, umatrix, quality_map, label_map, planes, inspector, cluster_map : widget or None
        The views (None when not requested in ``views``).
    throttle : Throttle
        The dashboard's single live-update throttle (replace it, e.g. with
        ``Throttle(15, clock=...)``, to change the rate or inject a clock).
    clock : callable
        Timer used to measure refreshes for ``max_overhead`` (``time.perf_counter``).
    n_refreshes : int
        How many times the dashboard has been refreshed (including the first draw).
    timings : dict
        Seconds spent building the dashboard: ``"bmu_pass"`` (the one shared BMU pass) and
        ``"build"`` (everything, the pass included); the difference is the dashboard's own cost.
    """

    _released_attributes = ("som", "_X", "_X_user", "_labels", "_table", "_label_values", "_clusters",
                            "_bmus")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        labels: Any = None,
        *,
        extra: Any = None,
        selection: Selection | None = None,
        colormap: str = "viridis",
        max_rate_hz: float = 15.0,
        views: Sequence[str] = DEFAULT_VIEWS,
        max_overhead: float = 0.05,
        clusters: Any = None,
    ) -> None:
        if not isinstance(som, SOM):
            raise TypeError(f"som must be a somwidget SOM (somwidget.SOM); got {type(som).__name__}")
        if X is None:
            raise ValueError("X is required: the samples the dashboard maps (a map alone, say "
                             "one loaded from a file, shows in UMatrix(som) and "
                             "ComponentPlanes(som), which need no data)")
        # float32 stays float32 (one copy at most, shared by every view)
        data, names = check_array("X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
                                   nan_hint=NAN_HINT, keep_float32=True)
        n = data.shape[0]
        if isinstance(views, str):
            views = (views,)
        chosen = {check_choice("views", v, VIEWS) for v in views}
        if not chosen:
            raise ValueError(f"views must name at least one of {', '.join(map(repr, VIEWS))}")
        if "labels" in chosen and labels is None:
            raise ValueError("views includes 'labels', which needs labels=...; got labels=None")
        self.views: tuple[str, ...] = tuple(v for v in VIEWS if v in chosen)
        from .colormaps import COLORMAPS

        self.colormap = check_choice("colormap", colormap, COLORMAPS)
        self.max_rate_hz = max_rate_hz = check_positive("max_rate_hz", max_rate_hz)
        self.max_overhead = check_fraction("max_overhead", max_overhead)
        check_selection(selection)
        label_arr = as_labels(labels, n)
        extra_frame = as_frame(extra, n, "extra")
        ensure_initialized(som, X, data)

        self.som = som
        self._X = data
        self._X_user = X
        self._labels = label_arr
        self.throttle = Throttle(max_rate_hz)
        self.clock = time.perf_counter  # the overhead budget's timer (LiveUpdateMixin)
        self.n_refreshes = 0
        self._lock = threading.RLock()
        if selection is None:
            selection = self._own(Selection())
        else:
            self._share(selection)
        self.selection = selection
        features = feature_names(names, som, data.shape[1])
        # selected_samples() adds bmu / label / cluster columns and the inspector's table has
        # neuron / label / extra / feature columns: a clash would overwrite or drop one
        added = ["bmu", *(["label"] if label_arr is not None else []),
                 *(["cluster"] if clusters is not None else [])]
        check_sample_columns(features, added, "X", "selected_samples adds them")
        if extra_frame is not None:
            check_sample_columns(extra_frame.columns, [*added, "neuron", *features], "extra",
                                 "the features of X and the columns the sample tables add")
        table = pd.DataFrame(data, columns=features, index=sample_index(X, n), copy=False)
        if extra_frame is not None:
            extra_frame.index = table.index
            table = pd.concat([extra_frame, table], axis=1)
        self._table = table
        sel = self.selection
        self.hit_map = self.umatrix = self.quality_map = self.label_map = None
        self.planes = self.inspector = self.cluster_map = None
        cmap = self.colormap
        self._clusters = clusters
        free = sel._free()  # nothing holds its samples: the Explorer's table (extra columns) will
        if clusters is not None:
            from .cluster_map import ClusterMap

            self.cluster_map = ClusterMap(som, data, clusters=clusters, selection=sel)
        t0 = self.clock()
        bmus, dist = self._bmu_pass(som)  # the one pass every view shares
        self.timings: dict[str, float] = {"bmu_pass": self.clock() - t0}
        self._bmus = bmus
        # bind the full sample table (features + extra columns) first, so selection.samples
        # carries the extra columns; the views find it bound (later refreshes only update BMUs).
        # A selection holding another view's samples keeps them: selected_samples() lists this
        # Explorer's own rows either way
        self.selection._bind_view(self, bmus, data=self._table, labels=label_arr, copy=False,
                                  n_neurons=int(som.lattice_.n_neurons), claim=free)
        if "hits" in self.views:
            # with labels: hits and classes together (marker area = hits, colour = majority)
            self.hit_map = HitMap(som, data, labels=label_arr, selection=sel, colormap=cmap,
                                  mode="size" if label_arr is not None else "color",
                                  label_overlay="majority" if label_arr is not None else None,
                                  bmus=bmus, clusters=clusters)
        if "umatrix" in self.views:
            self.umatrix = UMatrix(som, selection=sel, colormap=cmap, clusters=clusters)
        if "quality" in self.views:
            self.quality_map = QualityMap(som, data, selection=sel, colormap=cmap, bmus=bmus,
                                          distances=dist, clusters=clusters)
        if "labels" in self.views:
            self.label_map = LabelMap(som, data, label_arr, selection=sel, colormap=cmap, bmus=bmus,
                                      clusters=clusters)
        if "planes" in self.views:
            self.planes = ComponentPlanes(som, selection=sel, colormap=cmap)
        if "inspector" in self.views:
            self.inspector = NeuronInspector(som, X, labels=label_arr, extra=extra_frame,
                                             selection=sel, bmus=bmus, distances=dist,
                                             _checked=(data, names))
        # the first picture counts as a refresh for the throttle and the overhead budget, at
        # what a refresh repeats of it (the BMU pass): the widgets' construction is a one-off
        # (in a fresh kernel it took half a second, and the dashboard then stayed still through
        # a 4-second training)
        end = self.clock()
        self._record_refresh(end - self.timings["bmu_pass"], end)
        self.timings["build"] = end - t0
        self.throttle.ready()

        self._bar_text = widgets.HTML()
        self._picker: widgets.Dropdown | None = None
        self._picker_busy = False
        clear = widgets.Button(description="Clear", icon="times", tooltip="Clear the selection",
                               layout=widgets.Layout(width="80px"))
        clear.on_click(lambda _: self.selection.clear())
        bar_items: list[widgets.Widget] = [self._bar_text, clear]
        if label_arr is not None:
            _, values = encode_labels(label_arr)  # the classes: missing labels are none
            classes = _class_names(values)
            self._label_values = dict(zip(classes, values, strict=True))
            picker = widgets.Dropdown(options=[PICK_A_CLASS, *classes], value=PICK_A_CLASS,
                                      layout=widgets.Layout(width="200px"),
                                      tooltip="select the neurons of one class's samples")
            picker.observe(self._on_pick_label, names="value")
            bar_items.append(picker)
            self._picker = picker
        bar = widgets.HBox(bar_items, layout=widgets.Layout(align_items="center"))
        bar.add_class("somwidget-selection-bar")
        self._observe_selection(self.selection, self._on_selection)
        self._update_bar(list(self.selection.neurons))
        super().__init__(children=[bar, self._layout()], layout=widgets.Layout(width="100%"))
        self.add_class("somwidget-explorer")
        self.n_refreshes = 1

    def _layout(self) -> widgets.Widget:
        """The maps side by side, the planes' grid under them, the inspector beside them."""
        maps = [v for v in (self.hit_map, self.umatrix, self.quality_map, self.label_map,
                            self.cluster_map) if v]
        left: list[widgets.Widget] = []
        if maps:
            row = widgets.HBox(maps, layout=widgets.Layout(flex_flow="row wrap",
                                                           align_items="flex-start"))
            row.add_class("somwidget-maps")
            left.append(row)
        if self.planes is not None:
            box = widgets.Box([self.planes])
            box.add_class("somwidget-planes-box")
            left.append(box)
        main: list[widgets.Widget] = []
        if left:
            col = widgets.VBox(left, layout=widgets.Layout(flex="1 1 440px", min_width="0"))
            col.add_class("somwidget-main")
            main.append(col)
        if self.inspector is not None:
            main.append(self.inspector)
        body = widgets.HBox(main, layout=widgets.Layout(flex_flow="row wrap",
                                                        align_items="flex-start", width="100%"))
        body.add_class("somwidget-body")
        return body

    def _bmu_pass(self, som: Any) -> tuple[np.ndarray, np.ndarray]:
        """BMU of every sample and its distance: the one pass all views share."""
        idx, dist = som.best_matching_units(self._X, k=1)
        return np.ascontiguousarray(idx[:, 0], dtype=np.intp), np.ascontiguousarray(dist[:, 0])

    # ------------------------------------------------------------------ views
    def _lattice_views(self) -> list[Any]:
        return [v for v in (self.hit_map, self.umatrix, self.quality_map, self.label_map,
                            self.cluster_map, self.planes) if v is not None]

    def _all_views(self) -> list[Any]:
        return [*self._lattice_views(), *([self.inspector] if self.inspector else [])]

    # ------------------------------------------------------------------ live updates
    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Recompute every view from the model and redraw (one message per view).

        The BMUs of ``X`` are computed once and shared by the views and the selection.

        Parameters
        ----------
        som : SOM, optional
            A new model to show (defaults to the current one).
        """
        if som is not None:
            self.som = som
        som = self.som
        with self._lock:  # its cost counts for the overhead budget (LiveUpdateMixin)
            bmus, dist = self._bmu_pass(som)
            for view in self._all_views():
                view.refresh(som, bmus=bmus, distances=dist)
            # the sample table was bound once in __init__: only the BMUs follow the model (and
            # only when the selection holds this Explorer's samples, not another view's)
            self._bmus = bmus
            self.selection._bind_view(self, bmus, data=self._table, labels=self._labels,
                                      copy=False, n_neurons=int(som.lattice_.n_neurons))
            self.n_refreshes += 1
        self._update_bar(list(self.selection.neurons))

    # ------------------------------------------------------------------ selection
    def _on_selection(self, change: dict) -> None:
        neurons = list(change["new"])
        self._update_bar(neurons)
        self._follow_picker(neurons)

    def _on_pick_label(self, change: dict) -> None:
        value = change["new"]
        if value in self._label_values and not self._picker_busy:
            self.select_samples(self._label_values[value])

    def _class_neurons(self, name: str) -> list[int]:
        """The neurons that ``select_samples(class)`` selects (the BMUs of its samples)."""
        bmus = self._bmus
        if bmus is None or self._labels is None:
            return []
        return np.unique(bmus[self._labels == self._label_values[name]]).tolist()

    def _follow_picker(self, neurons: list[int]) -> None:
        """The class dropdown names the class whose samples' BMUs are exactly the selection,
        else "(select a class)": it never keeps a class after the selection changed."""
        picker = self._picker
        if picker is None:
            return
        current = picker.value
        if current in self._label_values and self._class_neurons(current) == neurons:
            return
        self._picker_busy = True
        try:
            picker.value = PICK_A_CLASS
        finally:
            self._picker_busy = False

    def _update_bar(self, neurons: list[int]) -> None:
        bmus = self.__dict__.get("_bmus")
        n_samples = 0 if bmus is None else int(np.count_nonzero(member_mask(neurons, bmus)))
        if neurons:
            shown = ", ".join(map(str, neurons[:12])) + (" …" if len(neurons) > 12 else "")
            text = (f"<b>{len(neurons):,} neuron{'s' if len(neurons) != 1 else ''}</b> "
                    f"({html.escape(shown)}) · <b>{n_samples:,}</b> samples")
        else:
            text = "No selection: click a neuron (shift-click adds, drag brushes, Esc clears)"
        attr = html.escape(",".join(map(str, neurons)))
        self._bar_text.value = f'<span class="somwidget-selection-text" data-neurons="{attr}">{text}</span>'

    @_guarded
    def select_samples(self, which: Any) -> list[int]:
        """Select the BMUs of some samples.

        Parameters
        ----------
        which : bool array of shape (N,), a label, or a list of labels
            A boolean mask over the rows of ``X``, or class label(s) matched against ``labels``.

        Returns
        -------
        list of int
            The selected neurons.
        """
        self.selection.select(neurons_of_samples(
            which, self._bmus, self._labels, hint="build the Explorer with labels=..."))
        return list(self.selection.neurons)

    @_guarded
    def selected_samples(self) -> pd.DataFrame:
        """The rows of ``X`` mapped to the selected neurons (with ``bmu``, ``label`` and extra
        columns, and ``cluster`` when the Explorer was given ``clusters``).

        They are this Explorer's own rows, also when its selection is shared with views of
        other data (they share the selected neurons, each lists its own samples).
        """
        with self._lock:
            out = sample_rows(self._table, self._bmus, self._labels, self.selection.neurons)
        if self.cluster_map is not None:
            out["cluster"] = self.cluster_map.cluster_ids[out["bmu"].to_numpy(dtype=np.int64)]
        return out

    # ------------------------------------------------------------------ static picture
    def to_picture(self, max_width: float = 960.0, gap: float = 12.0) -> Picture:
        """One static SVG of the dashboard: the views' pictures side by side.

        Parameters
        ----------
        max_width : float
            Views flow left to right and wrap to a new row beyond this width (pixels).
        gap : float
            Space between views (pixels).

        Returns
        -------
        Picture
            A standalone ``<svg>`` document and its size.
        """
        return compose([view.to_picture() for view in self._all_views()], max_width, gap)

    def __repr__(self) -> str:
        if self.closed:
            return "Explorer(closed)"
        return (f"Explorer(views={list(self.views)}, map={self.som.mapsize_}, "
                f"selected={list(self.selection.neurons)})")
