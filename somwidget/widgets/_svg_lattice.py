"""The SVG lattice pictures' shared part: an ``ipywidgets.HTML`` whose value is the SVG.

The lattice pictures (glyph map, index map) reuse the lattice picture
(:func:`~somwidget.widgets.pictures.lattice.render_picture`) for the cells, the wrap marks and
the selection outline, and draw on top of it in the same plane coordinates: the picture says
where its plane sits (:attr:`Picture.plane <somwidget.widgets.pictures.compose.Picture.plane>`:
pixel = ``(ox, oy) + scale`` x plane coordinate).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..som import SOM
from ..validation import check_positive
from ._base import ViewBase
from ._common import check_selection as _check_selection
from ._common import lattice_geometry
from ._svg_theme import live_svg
from .pictures.compose import Picture
from .selection import Selection

__all__ = ["_SvgLatticePicture"]


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


class _SvgLatticePicture(ViewBase, widgets.HTML):
    """Base of the SVG lattice pictures: an HTML widget whose value is the SVG.

    Subclasses provide ``_compute()`` (derive what to draw from ``self._som``) and
    ``_picture(selected) -> Picture`` (with the selected neurons outlined). ``_picture`` draws
    on ``self._lattice``, the lattice of the last refresh (the one ``_compute`` derived its
    arrays for): a selection change after a refit to another size redraws that consistent
    state, never the new lattice with the old arrays.
    """

    _compute: Callable[[], None]
    _picture: Callable[[list[int]], Picture]
    _released_attributes = ("_som", "_pic", "_lattice")

    def __init__(self, som: Any, X: Any, selection: Selection | None, width: float | None) -> None:
        self._som = _check_som(som, X=X)
        self._lattice = self._som.lattice_
        self._selection = _check_selection(selection)
        self._share(self._selection)
        if width is not None:
            width = check_positive("width", width)
        self._width = width
        self._lock = threading.RLock()
        self.frame = 0
        self._pic: Picture | None = None
        super().__init__()
        self.add_class("somwidget-svg-picture")
        if self._selection is not None:
            self._observe_selection(self._selection, self._on_selection)
        self.refresh()

    @property
    def som(self) -> SOM:
        """The SOM this picture draws."""
        return self._som

    @property
    def selection(self) -> Selection | None:
        """The shared selection whose neurons are outlined (or None)."""
        return self._selection

    def _on_selection(self, _change: Any = None) -> None:
        self._render()

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Recompute from the SOM (or draw another one from now on) and redraw.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on; the selection is kept.
        """
        with self._lock:
            if som is not None:
                self._som = _check_som(som)
            self._compute()
            self._lattice = self._som.lattice_
            if self._selection is not None:
                self._selection.n_neurons = int(self._som.lattice_.n_neurons)
            self._render()

    def _render(self) -> None:
        with self._lock:
            m = int(self._lattice.n_neurons)  # a shared selection may hold a larger map's neurons
            self._pic = self._picture([k for k in _selected(self._selection) if 0 <= k < m])
            self.value = live_svg(self._pic.svg)  # the static picture stays self._pic
            self.frame += 1

    def to_picture(self) -> Picture:
        """The picture (as last drawn) and its size."""
        if self._pic is None:
            raise ValueError(f"this {type(self).__name__} is closed: it has no picture")
        return self._pic
