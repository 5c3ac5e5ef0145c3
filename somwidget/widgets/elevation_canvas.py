"""The ElevationMap's live picture: :class:`ElevationCanvas`, the anywidget that
``js/src/elevation.ts`` draws (the lattice, values, heights and hits as binary buffers, the angles
synced both ways), and the angles' rules (wrapped or clamped, in hundredths of a degree) that its
validators, :class:`~somwidget.widgets.elevation.ElevationMap`'s checks and sliders share.
"""

from __future__ import annotations

import math
from typing import Any

import anywidget
import traitlets

from ..validation import check_choice
from ._lattice_traits import LatticeGridTraits
from .codecs import array_trait
from .colormaps import COLORMAPS
from .live import LiveUpdateMixin
from .selection import bundle_path

__all__ = ["ElevationCanvas"]


def _hundredths(angle: float) -> float:
    """An angle rounded to hundredths of a degree, as the browser sends them (a drag's pixels
    are fractional; a slider's steps add float noise such as 29.999999999999996)."""
    return round(float(angle), 2) + 0.0  # + 0.0: no -0.0


def _azimuth(angle: float) -> float:
    """A finite azimuth in [0, 360), in hundredths (359.999 rounds to 360, which wraps to 0)."""
    return _hundredths(float(angle) % 360.0) % 360.0


def _elevation(angle: float) -> float:
    """A finite elevation clamped to [0, 90], in hundredths."""
    return _hundredths(min(90.0, max(0.0, float(angle))))


class ElevationCanvas(LiveUpdateMixin, LatticeGridTraits, anywidget.AnyWidget):
    """The live picture of an :class:`ElevationMap` (built by it; not a view on its own).

    Each refresh of the map sends one message: the lattice (rows, cols, shape), ``values``
    (float32, float64 where float32 would colour them wrongly; NaN: no value, grey) and
    ``heights`` (float32, plane units) as binary buffers, the colour map and its range, and a new
    ``frame``, which the browser acknowledges once drawn (the live back-pressure of
    :mod:`somwidget.widgets.live`); ``hits`` (float32) the samples each neuron won when the
    values are something else (U-matrix, an array) and there are samples to count (not during
    training: the final state's follow it). ``azimuth`` and ``elevation`` (degrees, rounded to hundredths)
    are synced both ways: the browser turns the picture locally and sends the angles back.
    """

    _view = traitlets.Unicode("elevation").tag(sync=True)
    heights = array_trait("float32", ndim=1).tag(sync=True)
    #: samples won per neuron, for the tooltip and the keyboard's live region; empty when the
    #: values are the hits or there are no samples to count
    hits = array_trait("float32", ndim=1).tag(sync=True)
    max_height = traitlets.Float(1.0).tag(sync=True)
    azimuth = traitlets.Float(30.0).tag(sync=True)
    elevation = traitlets.Float(40.0).tag(sync=True)
    picture_width = traitlets.Float(640.0).tag(sync=True)

    #: The front end answers every drawn frame with ``{"drawn": frame}`` (FramePacer).
    _acks_frames = True

    @property
    def _esm(self) -> str:  # type: ignore[override]
        return bundle_path("elevation").read_text(encoding="utf-8")

    @traitlets.validate("azimuth")
    def _valid_azimuth(self, proposal: traitlets.Bunch) -> float:
        a = float(proposal["value"])
        return _azimuth(a) if math.isfinite(a) else float(self.azimuth)

    @traitlets.validate("elevation")
    def _valid_elevation(self, proposal: traitlets.Bunch) -> float:
        e = float(proposal["value"])
        return _elevation(e) if math.isfinite(e) else float(self.elevation)

    @traitlets.validate("colormap")
    def _valid_colormap(self, proposal: traitlets.Bunch) -> str:
        return check_choice("colormap", proposal["value"], COLORMAPS)

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Not a view of its own: its :class:`ElevationMap` refreshes it."""
        raise TypeError("ElevationCanvas is the picture of an ElevationMap: refresh the ElevationMap")
