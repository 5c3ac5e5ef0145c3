"""HitMap: how many samples each neuron wins, as colour or marker size, with label overlays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import traitlets

from ..labels import code_counts, encode_labels
from ..validation import check_choice
from .colormaps import CATEGORICAL
from .lattice_view import LatticeView
from .palettes import cap_categories
from .selection import Selection

__all__ = ["HITMAP_MODES", "LABEL_OVERLAYS", "HitMap"]

HITMAP_MODES = ("color", "size")
LABEL_OVERLAYS = ("majority", "proportion")


class HitMap(LatticeView):
    """How many samples each neuron wins (hits), as colour or as marker size.

    Parameters
    ----------
    som : SOM
        The map; initialised from ``X`` when it has not been yet.
    X : array-like or DataFrame of shape (N, D)
        The samples to map (the selection is bound to them).
    labels : array-like of shape (N,), optional
        One label per sample (for the overlay, tooltips and ``selection.samples``).
    selection : Selection, optional
        The shared selection.
    mode : {"color", "size"}
        Hits as colour, or as a marker whose area follows the count (somnium style). With
        ``label_overlay="majority"``, ``"size"`` shows hits and classes together: the marker's
        area is the hit count and its colour the majority class (Orange's SOM view).
    label_overlay : {None, "majority", "proportion"}
        Colour neurons by their majority label, or by the share of samples labelled ``label``.
    label : object, optional
        The label for ``label_overlay="proportion"``.
    colormap : str
        Perceptually uniform colour map name.
    clusters : MapClustering or array-like of shape (n_neurons,), optional
        Draw the borders of these clusters (``som.cluster()``) over the hit map.
    width : float, optional
        Width in CSS pixels of the live map (default: it fills its output, at most about 560
        pixels tall); a 100 x 100 map at ``width=1400`` has cells of about 14 pixels, in a box
        that scrolls sideways when its output is narrower. The static picture is that wide
        too. See :class:`~somwidget.widgets.LatticeView`.
    """

    _view = traitlets.Unicode("hits").tag(sync=True)
    _default_title = "Hit map: how many samples each neuron wins"
    #: Per-class counts go into the tooltips up to this many neurons (they cost one float32
    #: array per class in every frame); None: always.
    _class_counts_max_neurons: int | None = 2500

    def __init__(
        self,
        som: Any,
        X: Any = None,
        labels: Any = None,
        *,
        selection: Selection | None = None,
        mode: str = "color",
        label_overlay: str | None = None,
        label: Any = None,
        colormap: str = "viridis",
        title: str | None = None,
        max_rate_hz: float = 15.0,
        show_values: bool = False,
        clusters: Any = None,
        bmus: Any = None,
        width: float | None = None,
    ) -> None:
        if X is None:
            raise ValueError("X is required: the samples whose hits are counted")
        self._mode = check_choice("mode", mode, HITMAP_MODES)
        self._overlay = None if label_overlay is None else check_choice("label_overlay", label_overlay, LABEL_OVERLAYS)
        self._X = X
        self._n = len(X)
        self._codes: np.ndarray | None = None
        self._classes: list[Any] = []
        if labels is not None:
            self._codes, self._classes = encode_labels(labels, self._n)
        self._labels = None if labels is None else np.asarray(
            labels.to_numpy() if isinstance(labels, pd.Series) else labels)
        if self._overlay is not None and labels is None:
            raise ValueError(f"label_overlay={self._overlay!r} needs labels (one per sample of X)")
        self._label_index = -1
        if self._overlay == "proportion":
            if label is None:
                raise ValueError(f"label_overlay='proportion' needs label=, one of {self._classes}")
            if label not in self._classes:
                raise ValueError(f"label must be one of {self._classes}; got {label!r}")
            self._label_index = self._classes.index(label)
        self._label = label
        self._bound_selection: Selection | None = None
        super().__init__(som, X, selection=selection, colormap=colormap, title=title,
                         max_rate_hz=max_rate_hz, show_values=show_values, clusters=clusters,
                         width=width, _initial=None if bmus is None else {"bmus": bmus})

    def _bmus(self, bmus: np.ndarray | None) -> np.ndarray:
        if bmus is None:
            bmus = np.asarray(self._som.predict(self._X), dtype=np.int64)
        if bmus.shape != (self._n,):
            raise ValueError(f"bmus must have one entry per sample ({self._n}); got shape {bmus.shape}")
        return bmus

    def _bind(self, bmus: np.ndarray) -> None:
        # the selection lists the samples of the view that bound it first (the Explorer's,
        # with its extra columns, or this map's); a map of other data sharing it shares the
        # neurons only, and never writes its BMUs onto another view's samples
        sel = self.selection
        if sel is None:
            return
        # copy=False: the view only reads the user's data (a million rows are not copied)
        if sel._bind_view(self, bmus, data=self._X, labels=self._labels, copy=False,
                          n_neurons=int(self._som.lattice_.n_neurons)):
            self._bound_selection = sel

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        m = int(self._som.lattice_.rows * self._som.lattice_.cols)
        b = self._bmus(bmus)
        self._bind(b)
        hits = np.bincount(b, minlength=m).astype(np.float64)
        hmax = float(hits.max()) if hits.size else 0.0
        st = self._plain(hits, self._title_arg or self._default_title, "samples per neuron (hits)", "int")
        st["vmin"], st["vmax"] = 0.0, max(hmax, 1.0)
        if self._mode == "size":
            st["style"] = "size"
            st["sizes"] = hits / hmax if hmax > 0 else np.zeros(m)
            st["sizes_from_values"] = True  # = values / vmax (vmax is max(hmax, 1))
            st["value_label"] = f"marker area and colour = hits (max {int(hmax)})"
        if self._codes is not None:
            counts = code_counts(b, self._codes, len(self._classes), m)
            labelled = counts.sum(axis=1).astype(np.float64)  # missing labels are no class
            has = labelled > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                top = counts.argmax(axis=1) if counts.shape[1] else np.zeros(m, np.int64)
                majority = np.where(has, top, -1).astype(np.float64)
                share = np.where(has, counts.max(axis=1, initial=0) / labelled, np.nan)
            names = [str(c) for c in self._classes]
            label_tip: dict[str, Any] = {"name": "majority label", "format": "category"}
            true_majority = majority
            if len(names) > len(CATEGORICAL):  # beyond the palette: the most common classes
                label_tip["names"] = names  # the tooltip names the real class, not "N other"
                majority, names, st["category_colors"] = cap_categories(
                    majority, names, counts.sum(axis=0), "tableau")
            st["category_names"] = names
            st["tooltip"].append((label_tip, true_majority))
            if np.array_equal(labelled, hits):  # no missing labels: share = majority count / hits
                top_count = counts.max(axis=1, initial=0).astype(np.float64)
                st["tooltip"].append(({"name": "majority share", "format": "percent", "divide_by": "values"},
                                      top_count))
            else:
                st["tooltip"].append(({"name": "majority share", "format": "percent"}, share))
            big = self._class_counts_max_neurons is not None and m > self._class_counts_max_neurons
            if len(self._classes) <= 12 and not big:  # every class's count in the tooltip
                st["tooltip"] += [({"name": f"{c}", "format": "int"}, counts[:, i].astype(np.float64))
                                  for i, c in enumerate(self._classes)]
            if self._overlay == "majority":
                st["categories"] = majority
                st["legend"] = "categories"
                st["category_title"] = "majority label"
                if self._mode == "size":
                    st["category_title"] = f"majority class · marker area = hits (max {int(hmax)})"
                    if self._title_arg is None:
                        st["title"] = "Hits and classes: marker area = samples won, colour = majority class"
            elif self._overlay == "proportion":
                with np.errstate(invalid="ignore", divide="ignore"):
                    prop = np.where(has, counts[:, self._label_index] / labelled, np.nan)
                st["values"], st["vmin"], st["vmax"] = prop, 0.0, 1.0
                st["value_label"] = f"share of samples labelled {self._label!r}"
                st["tooltip"].append(({"name": f"share of {self._label}", "format": "percent"}, prop))
        return st
