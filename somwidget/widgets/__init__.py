"""Widgets: everything that imports ipywidgets / anywidget / bqplot / traitlets."""

from .explorer import Explorer
from .inspector import NeuronInspector
from .lattice_view import ComponentPlanes, HitMap, LabelMap, LatticeView, QualityMap, UMatrix
from .live import LiveUpdateMixin, Throttle
from .selection import Selection

__all__ = [
    "ComponentPlanes",
    "Explorer",
    "HitMap",
    "LabelMap",
    "LatticeView",
    "LiveUpdateMixin",
    "NeuronInspector",
    "QualityMap",
    "Selection",
    "Throttle",
    "UMatrix",
]
