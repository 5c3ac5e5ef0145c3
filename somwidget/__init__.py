"""somwidget: Self-Organizing Maps with live, linked views for JupyterLab.

``import somwidget`` only loads the compute room, with numpy its one third-party import: the
scipy modules are imported on first use (:class:`somwidget._lazy.LazyModule`). The views
(``Explorer``, ``Studio``, ``HitMap``, ...) live in :mod:`somwidget.widgets` and are imported on
first access, so compute code never pulls in ipywidgets. ``SOMClassifier`` and
``SOMRegressor`` live in :mod:`somwidget.supervised` and are imported on first access too (they
load scikit-learn).
"""

from __future__ import annotations

import importlib
from typing import Any

from . import datasets
from ._version import __version__
from .callbacks import History, TrainingRecord
from .lattice import Lattice
from .som import SOM, OnlineStep, TrainingState

_LAZY_WIDGETS = (
    "Explorer",
    "Studio",
    "Selection",
    "HitMap",
    "UMatrix",
    "ComponentPlanes",
    "NeuronInspector",
    "TrainingCurves",
    "InputSpaceView",
    "HitHistogram",
    "CodebookGlyphMap",
    "NeuronIndexMap",
    "ElevationMap",
    "QualityMap",
    "LabelMap",
    "LatticeView",
    "ClusterMap",
    "Row",
    "Column",
    "LiveUpdateMixin",
    "Throttle",
    "PictureMixin",
    "ViewBase",
)

_LAZY_SUPERVISED = ("SOMClassifier", "SOMRegressor")
_LAZY_COMPUTE = {"MapClustering": ".clustering"}  # loads pandas: on first use only

__all__ = [
    "SOM",
    "SOMClassifier",
    "SOMRegressor",
    "History",
    "Lattice",
    "MapClustering",
    "OnlineStep",
    "TrainingRecord",
    "TrainingState",
    "datasets",
    "__version__",
    *_LAZY_WIDGETS,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_WIDGETS:
        widgets = importlib.import_module(".widgets", __name__)
        value = getattr(widgets, name)
        globals()[name] = value
        return value
    if name in _LAZY_SUPERVISED:
        value = getattr(importlib.import_module(".supervised", __name__), name)
        globals()[name] = value
        return value
    if name in _LAZY_COMPUTE:
        value = getattr(importlib.import_module(_LAZY_COMPUTE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'somwidget' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_WIDGETS) | set(_LAZY_SUPERVISED) | set(_LAZY_COMPUTE))
