"""Widgets: everything that imports ipywidgets / anywidget / bqplot / traitlets."""

from .curves import TrainingCurves
from .explorer import Explorer
from .input_space import InputSpaceView
from .inspector import NeuronInspector
from .lattice_view import ComponentPlanes, HitMap, LabelMap, LatticeView, QualityMap, UMatrix
from .live import LiveUpdateMixin, Throttle
from .selection import Selection
from .studio import Studio

__all__ = [
    "ComponentPlanes",
    "Explorer",
    "HitMap",
    "InputSpaceView",
    "LabelMap",
    "LatticeView",
    "LiveUpdateMixin",
    "NeuronInspector",
    "QualityMap",
    "Selection",
    "Studio",
    "Throttle",
    "TrainingCurves",
    "UMatrix",
]
