"""Widgets: everything that imports ipywidgets / anywidget / bqplot / traitlets."""

from .lattice_view import ComponentPlanes, HitMap, LabelMap, LatticeView, QualityMap, UMatrix
from .live import LiveUpdateMixin, Throttle
from .selection import Selection

__all__ = [
    "ComponentPlanes",
    "HitMap",
    "LabelMap",
    "LatticeView",
    "LiveUpdateMixin",
    "QualityMap",
    "Selection",
    "Throttle",
    "UMatrix",
]
