"""Widgets: everything that imports ipywidgets / anywidget / bqplot / traitlets."""

from .curves import TrainingCurves
from .explorer import Explorer
from .extra_views import CodebookGlyphMap, ElevationMap, HitHistogram, NeuronIndexMap
from .input_space import InputSpaceView
from .inspector import NeuronInspector
from .lattice_view import ComponentPlanes, HitMap, LabelMap, LatticeView, QualityMap, UMatrix
from .layout import Column, Row
from .live import LiveUpdateMixin, Throttle
from .selection import Selection
from .studio import Studio

__all__ = [
    "CodebookGlyphMap",
    "Column",
    "ComponentPlanes",
    "ElevationMap",
    "Explorer",
    "HitHistogram",
    "HitMap",
    "InputSpaceView",
    "LabelMap",
    "LatticeView",
    "LiveUpdateMixin",
    "NeuronIndexMap",
    "NeuronInspector",
    "QualityMap",
    "Row",
    "Selection",
    "Studio",
    "Throttle",
    "TrainingCurves",
    "UMatrix",
]
