"""LabelMap: each neuron coloured by the majority label of its samples (or one label's share)."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from .hit_map import HitMap
from .selection import Selection

__all__ = ["LabelMap"]


class LabelMap(HitMap):
    """Label map: each neuron coloured by the majority label of its samples.

    With ``label=`` it shows the share of samples carrying that label instead (somnium's per-class
    proportion map). Tooltips list the count of every class. ``width=`` sizes the live map as
    for :class:`HitMap`.
    """

    _view = traitlets.Unicode("labels").tag(sync=True)
    _class_counts_max_neurons = None
    _default_title = "Label map: the most common label among each neuron's samples"

    def __init__(self, som: Any, X: Any = None, labels: Any = None, *, label: Any = None,
                 selection: Selection | None = None, colormap: str = "viridis",
                 title: str | None = None, max_rate_hz: float = 15.0,
                 show_values: bool = False, clusters: Any = None, bmus: Any = None,
                 width: float | None = None) -> None:
        if labels is None:
            raise ValueError("labels is required: one label per sample of X")
        super().__init__(som, X, labels, selection=selection, mode="color",
                         label_overlay="majority" if label is None else "proportion", label=label,
                         colormap=colormap, title=title, max_rate_hz=max_rate_hz,
                         show_values=show_values, clusters=clusters, bmus=bmus, width=width)

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        st = super()._compute(bmus)
        if self._overlay == "proportion" and self._title_arg is None:
            st["title"] = f"Label map: share of each neuron's samples labelled {self._label!r}"
        return st
