"""somnium's plotting functions (``somnium.visualization``), drawn by somwidget's views.

Each function keeps somnium's name and parameters and returns a somwidget view (a live widget
with a static SVG picture, ``view.to_svg()``) instead of drawing a matplotlib figure; Jupyter
shows it when it is the last expression of a cell. The functions that draw the data
(``plot_bmus``, ``plot_quality_map``, ``plot_label_map``) use the data of the model's latest
``fit`` / ``fit_online`` / ``fit_auto`` (as somnium did), or ``X`` when given.

``colormap`` accepts somwidget's names, somnium's matplotlib colour maps or their names; those
are mapped to the closest of somwidget's five (see ``docs/seeds.md``). ``figure_width`` and
``max_subplot_columns`` are accepted for compatibility: the views size and lay themselves out.
The views are imported when a function is called, so importing this module does not import
ipywidgets.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._colormaps import resolve_colormap

__all__ = [
    "plot_bmus",
    "plot_components",
    "plot_label_map",
    "plot_neuron_indices",
    "plot_quality_map",
    "plot_umatrix",
]


def _fitted(model: Any) -> Any:
    from ...som import SOM

    if not isinstance(model, SOM):
        raise TypeError(f"model must be a SOM; got {type(model).__name__}")
    model._check_initialized()
    return model


def _data(model: Any, X: Any, function: str) -> Any:
    if X is not None:
        return X
    data = getattr(model, "_seed_data", None)
    if data is None:
        raise ValueError(
            f"{function} needs the data: this model holds none from a fit (it was loaded, or is a "
            f"somwidget SOM); pass X=..."
        )
    return data


def plot_components(model: Any, names: Sequence[str] | None = None, colormap: Any = None,
                    max_subplot_columns: int = 5, figure_width: float = 20) -> Any:
    """One plane per input feature, in data units: a :class:`somwidget.ComponentPlanes`.

    ``names`` title the planes (default: the model's feature names). Default colour map
    viridis (somnium: jet).
    """
    from ...widgets import ComponentPlanes

    som = _fitted(model)
    if names is not None:
        titles = [str(n) for n in names]
        if len(titles) != som.n_features_in_:
            raise ValueError(f"names must title the {som.n_features_in_} features; got {len(titles)}")
        if titles != list(som.feature_names_in_):
            som = copy.copy(som)
            som.feature_names_in_ = titles
    return ComponentPlanes(som, colormap=resolve_colormap(colormap, "viridis"))


def plot_umatrix(model: Any, colormap: Any = None, figure_width: float = 20) -> Any:
    """Distances between neighbouring neurons: a :class:`somwidget.UMatrix` (bright ridges are
    cluster borders). Default colour map inferno (somnium: hot)."""
    from ...widgets import UMatrix

    return UMatrix(_fitted(model), colormap=resolve_colormap(colormap, "inferno"))


def plot_bmus(model: Any, figure_width: float = 20, X: Any = None) -> Any:
    """The hit map, each cell sized by how many samples it wins (somnium's size mode): a
    :class:`somwidget.HitMap` with ``mode="size"``, of the latest fit's data or ``X``."""
    from ...widgets import HitMap

    som = _fitted(model)
    return HitMap(som, _data(som, X, "plot_bmus"), mode="size")


def plot_quality_map(model: Any, colormap: Any = None, figure_width: float = 20,
                     X: Any = None) -> Any:
    """Per-neuron quantization error (mean distance to its samples; grey where a neuron wins
    none): a :class:`somwidget.QualityMap`. Default colour map magma (somnium: RdYlGn_r)."""
    from ...widgets import QualityMap

    som = _fitted(model)
    return QualityMap(som, _data(som, X, "plot_quality_map"),
                      colormap=resolve_colormap(colormap, "magma"))


def plot_label_map(model: Any, labels: Any, colormap: Any = None, max_subplot_columns: int = 5,
                   figure_width: float = 20, X: Any = None) -> Any:
    """Per-class proportion maps, one per label (sorted), side by side: a
    :class:`somwidget.Row` of :class:`somwidget.LabelMap` views (``label=`` each class) sharing
    one selection. Default colour map inferno (somnium: YlOrRd)."""
    from ...widgets import LabelMap, Row, Selection

    som = _fitted(model)
    data = _data(som, X, "plot_label_map")
    if labels is None:
        raise ValueError("labels is required: one label per sample of the data")
    lab = np.asarray(labels)
    classes = sorted(np.unique(lab).tolist())
    cmap = resolve_colormap(colormap, "inferno")
    selection = Selection()
    views = [LabelMap(som, data, lab, label=c, selection=selection, colormap=cmap) for c in classes]
    return Row(views)


def plot_neuron_indices(model: Any, figure_width: float = 20) -> Any:
    """The grid with each neuron's index (as ``predict`` returns it): a
    :class:`somwidget.NeuronIndexMap`."""
    from ...widgets import NeuronIndexMap

    return NeuronIndexMap(_fitted(model))
