"""UMatrix: each neuron's mean distance to its lattice neighbours (the node-form U-matrix)."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from .lattice_view import LatticeView, honest_range
from .selection import Selection

__all__ = ["UMatrix"]


class UMatrix(LatticeView):
    """U-matrix (node form): each neuron's mean distance to its lattice neighbours.

    High values (bright ridges) mark cluster borders, low values (dark valleys) cluster cores.
    ``UMatrix(som, clusters=som.cluster())`` draws the borders of a clustering over it, to see
    whether they follow the ridges. ``width=`` (CSS pixels) sizes the live map and the static
    picture, for bigger cells on a large map (see :class:`LatticeView`).
    """

    _view = traitlets.Unicode("umatrix").tag(sync=True)
    _default_title = "U-matrix: mean distance to neighbouring neurons (bright = cluster border)"

    def __init__(self, som: Any, X: Any = None, *, selection: Selection | None = None,
                 colormap: str = "viridis", title: str | None = None, max_rate_hz: float = 15.0,
                 show_values: bool = False, clusters: Any = None, width: float | None = None) -> None:
        super().__init__(som, X, selection=selection, colormap=colormap, title=title,
                         max_rate_hz=max_rate_hz, show_values=show_values, clusters=clusters,
                         width=width)

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        u = np.asarray(self._som.umatrix(), dtype=np.float64).ravel()
        st = self._plain(u, self._title_arg or self._default_title,
                         "mean distance to neighbouring neurons")
        st["vmin"], st["vmax"], st["value_label"] = honest_range(u, st["value_label"])
        return st
