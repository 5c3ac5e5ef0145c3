"""Widgets: everything that imports ipywidgets / anywidget / bqplot / traitlets."""

from ._base import PictureMixin, ViewBase
from .cluster_map import ClusterMap
from .curves import TrainingCurves
from .elevation import ElevationMap
from .explorer import Explorer
from .glyph_map import CodebookGlyphMap
from .hit_histogram import HitHistogram
from .hit_map import HitMap
from .index_map import NeuronIndexMap
from .input_space import InputSpaceView
from .inspector import NeuronInspector
from .label_map import LabelMap
from .lattice_view import LatticeView
from .layout import Column, Row
from .live import LiveUpdateMixin, Throttle
from .planes import ComponentPlanes
from .quality_map import QualityMap
from .selection import Selection
from .studio import Studio
from .umatrix import UMatrix

__all__ = [
    "ClusterMap",
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
    "PictureMixin",
    "QualityMap",
    "Row",
    "Selection",
    "Studio",
    "Throttle",
    "TrainingCurves",
    "UMatrix",
    "ViewBase",
]
