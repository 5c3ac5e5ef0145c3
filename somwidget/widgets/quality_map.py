"""QualityMap: the mean distance between each neuron and the samples it wins."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from .. import analysis
from .lattice_view import LatticeView, honest_range
from .selection import Selection

__all__ = ["QualityMap"]


class QualityMap(LatticeView):
    """Quality map: mean distance between each neuron and the samples it wins (grey: no hits).

    ``width=`` (CSS pixels) sizes the live map and the static picture, for bigger cells on a
    large map (see :class:`LatticeView`).
    """

    _view = traitlets.Unicode("quality").tag(sync=True)
    _default_title = "Quality map: mean distance of each neuron's samples to it (lower is better)"

    def __init__(self, som: Any, X: Any = None, *, selection: Selection | None = None,
                 colormap: str = "viridis", title: str | None = None, max_rate_hz: float = 15.0,
                 show_values: bool = False, clusters: Any = None, bmus: Any = None,
                 distances: Any = None, width: float | None = None) -> None:
        if X is None:
            raise ValueError("X is required: the samples whose quantization error is mapped")
        self._X = X
        initial = None if bmus is None or distances is None else {"bmus": bmus, "distances": distances}
        super().__init__(som, X, selection=selection, colormap=colormap, title=title,
                         max_rate_hz=max_rate_hz, show_values=show_values, clusters=clusters,
                         width=width, _initial=initial)

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        m = int(self._som.lattice_.rows * self._som.lattice_.cols)
        if bmus is not None and distances is not None:  # the caller's BMU pass (the Explorer's)
            q = analysis.quality_map(bmus, distances, m)
        else:
            q = np.asarray(self._som.quality_map(self._X), dtype=np.float64).ravel()
        st = self._plain(q, self._title_arg or self._default_title,
                         "mean distance of the neuron's samples to it (quantization error)")
        st["vmin"], st["vmax"], st["value_label"] = honest_range(q, st["value_label"])
        return st
