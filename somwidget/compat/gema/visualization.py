"""GEMA's ``Visualization``: its static plotting methods, drawn by somwidget's views.

Every method keeps GEMA's name and parameters and returns a somwidget view (a live widget with a
static SVG picture, ``view.to_svg()``) or, for the one-neuron charts, a
:class:`~somwidget.compat._pictures.StaticPicture`. Jupyter shows the returned object when it is
the last expression of a cell. The views are imported when a method is called, so importing this
module does not import ipywidgets.
"""

from __future__ import annotations

import copy
import math
import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._colormaps import resolve_colormap
from .._pictures import StaticPicture, weight_chart
from .classification import Classification
from .map import Map

__all__ = ["Visualization"]


def _map_of(obj: Any, what: str) -> Map:
    if isinstance(obj, Classification):
        return obj.som
    if isinstance(obj, Map):
        obj._check_trained()
        return obj
    raise TypeError(f"{what} must be a GEMA Map or Classification; got {type(obj).__name__}")


def _classification(obj: Any) -> Classification:
    if not isinstance(obj, Classification):
        raise TypeError(f"classification must be a Classification; got {type(obj).__name__}")
    return obj


def _names(labels: Any, d: int, parameter: str) -> list[str] | None:
    """Feature names from GEMA's ``labels`` / ``headers`` arrays (empty: None)."""
    if labels is None:
        return None
    names = [str(n) for n in np.asarray(labels, dtype=object).ravel()]
    if not names:
        return None
    if len(names) != d:
        raise ValueError(f"{parameter} must name the {d} features; got {len(names)}")
    return names


def _renamed(som: Any, names: list[str] | None) -> Any:
    """``som``, or a copy of it whose features carry ``names`` (for the views' titles)."""
    if names is None or names == list(som.feature_names_in_):
        return som
    clone = copy.copy(som)
    clone.feature_names_in_ = names
    return clone


def _inches(name: str, value: Any) -> float:
    """A figure size in inches: a finite number > 0 (TypeError / ValueError naming ``name``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of inches > 0; got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number of inches > 0; got {value!r}")
    return v


def _write_svg(view: Any, filename: str | os.PathLike | None) -> None:
    if filename is None:
        return
    target = Path(os.fspath(filename))
    if not target.suffix:
        target = target.with_suffix(".svg")
    target.write_text(view.to_svg(), encoding="utf-8")


class Visualization:
    """GEMA's plots as somwidget views. All methods are static."""

    @staticmethod
    def heat_map(classification: Classification, filename: str = "heat_map",
                 colorscale: Any = "Reds", cmax: float = 0) -> Any:
        """Activations per neuron with the counts written in the cells.

        Returns a :class:`somwidget.HitMap` (``show_values=True``, GEMA's annotated heat map).
        ``filename`` named GEMA's plotly figure and is not used; ``colorscale`` is mapped to the
        closest somwidget colour map (``'Reds'``: inferno); ``cmax`` is not supported (the
        colour bar spans the hits).
        """
        from ...widgets import HitMap

        c = _classification(classification)
        return HitMap(c.som.som, c.classification_data, show_values=True,
                      colormap=resolve_colormap(colorscale, "inferno", "colorscale"))

    @staticmethod
    def elevation_map(classification: Classification, filename: str = "elevation_map") -> Any:
        """Activations as a 3-D elevation map: a :class:`somwidget.ElevationMap` of the hits,
        titled ``filename`` as GEMA's plotly figure was."""
        from ...widgets import ElevationMap

        c = _classification(classification)
        return ElevationMap(c.som.som, c.classification_data, values="hits", title=filename)

    @staticmethod
    def characteristics_graph(map: Map, row: int, column: int, labels: Any = None,
                              size_x: float = 10, size_y: float = 10, angle: float = 45) -> StaticPicture:
        """Line plot of the weight vector of neuron ``[row, column]``.

        Returns a :class:`~somwidget.compat._pictures.StaticPicture` (SVG; ``size_x`` by
        ``size_y`` inches at 72 pixels per inch, like GEMA's matplotlib figure); ``labels`` name
        the features under the axis, turned by ``angle`` degrees.
        """
        return _weight_picture(map, row, column, labels, size_x, size_y, angle, "line")

    @staticmethod
    def characteristics_bargraph(map: Map, row: int, column: int, labels: Any = None,
                                 size_x: float = 10, size_y: float = 10,
                                 angle: float = 45) -> StaticPicture:
        """Bar chart of the weight vector of neuron ``[row, column]`` (one colour per feature).

        Returns a :class:`~somwidget.compat._pictures.StaticPicture`, as
        :meth:`characteristics_graph`.
        """
        return _weight_picture(map, row, column, labels, size_x, size_y, angle, "bar")

    @staticmethod
    def codebook_vector(map: Map, index: int = 0, header: str = "none",
                        filename: str = "codebook_vector") -> Any:
        """One feature's weight across the map, values written in the cells.

        Returns a :class:`somwidget.ComponentPlanes` showing feature ``index`` only
        (``show_values=True``), titled ``header`` unless it is ``'none'``; ``filename`` named
        GEMA's plotly figure and is not used.
        """
        from ...widgets import ComponentPlanes

        m = _map_of(map, "map")
        d = int(m.som.n_features_in_)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < d:
            raise ValueError(f"index must be a feature index in 0..{d - 1}; got {index!r}")
        title = None if header in (None, "none") else str(header)
        som = _renamed(m.som, None if title is None else
                       [title if j == index else n for j, n in enumerate(m.som.feature_names_in_)])
        return ComponentPlanes(som, features=[int(index)], show_values=True, title=title)

    @staticmethod
    def codebook_vectors(map: Map, headers: Any = None) -> Any:
        """Every feature's weight across the map: a :class:`somwidget.ComponentPlanes` with one
        plane per feature, titled by ``headers`` (default: the feature names)."""
        from ...widgets import ComponentPlanes

        m = _map_of(map, "map")
        names = _names(headers, int(m.som.n_features_in_), "headers")
        return ComponentPlanes(_renamed(m.som, names))

    @staticmethod
    def umatrix(classification: Classification, colorscale: Any = "binary") -> Any:
        """The U-matrix: a :class:`somwidget.UMatrix` view (each neuron's mean distance to its
        neighbours; the interstitial array GEMA drew is ``classification.umatriz``).
        ``colorscale`` is mapped to the closest somwidget colour map (``'binary'``: cividis)."""
        from ...widgets import UMatrix

        m = _map_of(classification, "classification")
        return UMatrix(m.som, colormap=resolve_colormap(colorscale, "cividis", "colorscale"))

    @staticmethod
    def full_map_weights(map: Map, labels: Any = None, size_x: float = 25,
                         size_y: float = 30, filename: str | None = "full_map_weights") -> Any:
        """Every neuron's weight vector as a small line chart in its cell.

        Returns a :class:`somwidget.CodebookGlyphMap` (features named by ``labels``) and, as
        GEMA saved its figure, writes its picture to ``filename`` (``.svg`` added when it has no
        suffix; ``None`` writes nothing). ``size_x`` is the width in inches at 72 pixels per
        inch; the height follows the map.
        """
        from ...widgets import CodebookGlyphMap

        m = _map_of(map, "map")
        width = _inches("size_x", size_x) * 72.0
        _inches("size_y", size_y)  # accepted as GEMA's; the height follows the map
        names = _names(labels, int(m.som.n_features_in_), "labels")
        view = CodebookGlyphMap(_renamed(m.som, names), kind="line", width=width)
        _write_svg(view, filename)
        return view

    @staticmethod
    def neurons_per_num_activations_map(classification: Classification,
                                        filename: str = "neurons_per_num_activations_map",
                                        save: bool = False) -> Any:
        """How many neurons won k samples, for every k: a :class:`somwidget.HitHistogram`;
        with ``save=True`` its picture is written to ``<filename>.svg``."""
        from ...widgets import HitHistogram

        c = _classification(classification)
        view = HitHistogram(c.som.som, c.classification_data)
        if save:
            _write_svg(view, filename)
        return view


def _weight_picture(map: Any, row: int, column: int, labels: Any, size_x: float,
                    size_y: float, angle: float, kind: str) -> StaticPicture:
    m = _map_of(map, "map")
    width, height = _inches("size_x", size_x) * 72.0, _inches("size_y", size_y) * 72.0
    if isinstance(angle, (bool, np.bool_)) or not isinstance(angle, numbers.Real):
        raise TypeError(f"angle must be a number of degrees; got {angle!r}")
    if not math.isfinite(angle):
        raise ValueError(f"angle must be a finite number of degrees; got {angle!r}")
    rows, cols = m.shape
    for name, v, n in (("row", row, rows), ("column", column, cols)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < n:
            raise ValueError(f"{name} must be an integer in 0..{n - 1}; got {v!r}")
    w = np.asarray(m.weights[int(row), int(column)], dtype=np.float64)
    names: Sequence[str] | None = _names(labels, w.size, "labels")
    return weight_chart(w, names, kind=kind, title=f"Neuron [{int(row)},{int(column)}]",
                        width=width, height=height, angle=float(angle))
