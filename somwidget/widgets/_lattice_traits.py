"""The synced traits every lattice canvas shares: the map's geometry, its title, the values with
their colour scale, the shared selection and the frame counter.

:class:`~somwidget.widgets.lattice_view.LatticeView` (and every lattice view built on it) and
:class:`~somwidget.widgets.elevation_canvas.ElevationCanvas` mix them in before ``anywidget.AnyWidget``;
``js/src/models.ts``' ``LatticeGridModel`` is their front-end side.
"""

from __future__ import annotations

import traitlets
from ipywidgets import widget_serialization

from .codecs import array_trait
from .selection import Selection

__all__ = ["LatticeGridTraits"]


class LatticeGridTraits(traitlets.HasTraits):
    """The lattice canvases' shared synced traits (a mixin: it draws nothing by itself)."""

    #: which view the front end draws (each class sets its own default)
    _view = traitlets.Unicode("").tag(sync=True)
    selection = traitlets.Instance(Selection, allow_none=True).tag(sync=True, **widget_serialization)
    rows = traitlets.Int(0).tag(sync=True)
    cols = traitlets.Int(0).tag(sync=True)
    shape = traitlets.Unicode("hexa").tag(sync=True)
    wrap_rows = traitlets.Bool(False).tag(sync=True)
    wrap_cols = traitlets.Bool(False).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    value_label = traitlets.Unicode("").tag(sync=True)
    # float32, or float64 where float32 would colour them wrongly (colormaps.wire_values)
    values = array_trait(("float32", "float64"), ndim=1).tag(sync=True)
    vmin = traitlets.Float(0.0).tag(sync=True)
    vmax = traitlets.Float(1.0).tag(sync=True)
    colormap = traitlets.Unicode("viridis").tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
