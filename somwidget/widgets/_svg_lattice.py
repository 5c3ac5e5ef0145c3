"""The SVG lattice pictures' shared helpers (the static pictures of the glyph map, the index
map, the elevation map and the hit histogram's checks).

The lattice pictures reuse the lattice picture
(:func:`~somwidget.widgets.pictures.lattice.render_picture`) for the cells, the wrap marks and
the selection outline, and draw on top of it in the same plane coordinates: the picture says
where its plane sits (:attr:`Picture.plane <somwidget.widgets.pictures.compose.Picture.plane>`:
pixel = ``(ox, oy) + scale`` x plane coordinate).
"""

from __future__ import annotations

from typing import Any

from ..som import SOM
from ._base import ViewBase
from ._common import lattice_geometry
from .selection import Selection

__all__ = ["_check_som", "_default_width", "_lattice_args", "_r", "_selected"]


def _r(x: float) -> str:
    """Exact float for data attributes (plain Python float repr, not numpy's)."""
    return repr(float(x))


def _check_som(som: Any, *, X: Any = None) -> SOM:
    """A SOM, initialised from ``X`` when it has not been yet (else a clear error)."""
    if not isinstance(som, SOM):
        raise TypeError(f"som must be a somwidget SOM; got {type(som).__name__}")
    return ViewBase._ensure_initialized(som, X)


def _lattice_args(som_or_lattice: Any) -> dict[str, Any]:
    """The picture geometry of a SOM's lattice (or of a lattice itself)."""
    return lattice_geometry(getattr(som_or_lattice, "lattice_", som_or_lattice))


def _default_width(som_or_lattice: Any, per_cell: float) -> float:
    """Plane width giving about ``per_cell`` pixels per cell (render_svg caps the scale at 40)."""
    cols = int(getattr(som_or_lattice, "lattice_", som_or_lattice).cols)
    return float(min(1400.0, max(420.0, per_cell * (cols + 1.4))))


def _selected(selection: Selection | None) -> list[int]:
    return [] if selection is None else list(selection.neurons)
