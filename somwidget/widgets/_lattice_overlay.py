"""The canvas lattice views drawn over a neutral grid: the glyph map and the index map.

They are :class:`~.lattice_view.LatticeView` s (the canvas front end of ``js/src/lattice.ts``:
hover tooltips, click / brush selection linked to the shared :class:`Selection`, keyboard
navigation, the live overhead budget) whose cells carry no value: every cell is the theme's
grid background (the ``"size"`` style with no markers, no colour bar), and what each view
writes in its cells (glyphs, indices) travels as binary buffers / small traits and is drawn by
the browser (``js/src/glyphs.ts``, ``js/src/cell_text.ts``). A refresh sends no SVG.

The static picture (:meth:`to_picture`) is the SVG of the subclass' ``_picture(selected)``,
drawn on the lattice of the last refresh (``_lattice``, the one the subclass derived its
arrays for): a selection change after a refit to another size shows that consistent state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ._svg_lattice import _check_som
from .codecs import NDArray
from .lattice_view import LatticeView, check_width
from .pictures.compose import Picture
from .selection import Selection

__all__ = ["_LatticeOverlayView"]


class _LatticeOverlayView(LatticeView):
    """Base of the glyph and index maps: a canvas lattice of neutral cells with an overlay.

    Subclasses provide ``_overlay()`` (derive what to draw from ``self._som`` and set their
    overlay traits; called inside the refresh's one message) and ``_picture(selected)`` (the
    static picture, on ``self._lattice``).
    """

    _overlay: Callable[[], None]
    _picture: Callable[[list[int]], Picture]
    _released_attributes = (*LatticeView._released_attributes, "_lattice")

    def __init__(self, som: Any, X: Any, selection: Selection | None, width: float | None,
                 title: str) -> None:
        som = _check_som(som, X=X)
        check_width(width)  # before the lattice work (LatticeView keeps it as _width)
        type(self)._array_defaults()  # looked up now: close() may run at interpreter shutdown
        self._lattice = som.lattice_
        self._overlay_title = title
        # a refresh on the training thread and the picture on the picture timer's thread: the
        # picture reads the arrays and the lattice of one refresh, never one's arrays with the
        # other's lattice (a refit to another size)
        self._overlay_lock = threading.RLock()
        super().__init__(som, selection=selection, title=title, width=width)

    def refresh(self, som: Any = None, **precomputed: Any) -> None:
        """Recompute from the SOM (or draw another one from now on) and send one message.

        Parameters
        ----------
        som : SOM, optional
            Draw this SOM from now on; the selection is kept.
        """
        if som is not None:
            som = _check_som(som)
        with self.hold_sync():  # the overlay's traits travel in the lattice's one message
            super().refresh(som)

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        m = int(self._som.lattice_.n_neurons)
        with self._overlay_lock:
            self._overlay()
            self._lattice = self._som.lattice_
        # no value per neuron: the grid's theme background, no markers (sizes = NaN / vmax)
        st = self._plain(np.full(m, np.nan), self._overlay_title, "")
        st.update(style="size", sizes_from_values=True, legend="none", tooltip=[])
        return st

    def close(self) -> None:
        """Close the view (see :meth:`ViewBase.close`) and empty the arrays its traits hold."""
        super().close()
        # straight into the closed widget's values (its traits' read-only empty defaults): no
        # validation, no change events, nothing to import (ipywidgets closes a widget it
        # collects at interpreter shutdown)
        values = self._trait_values  # type: ignore[attr-defined]
        for name, empty in type(self)._array_defaults():
            if name in values:
                values[name] = empty

    @classmethod
    def _array_defaults(cls) -> list[tuple[str, np.ndarray]]:
        """(name, empty default) of each array trait, looked up once per class."""
        found = cls.__dict__.get("_array_trait_defaults")
        if found is None:
            found = [(n, t.default_value) for n, t in cls.class_traits().items()
                     if isinstance(t, NDArray) and isinstance(t.default_value, np.ndarray)]
            cls._array_trait_defaults = found  # type: ignore[attr-defined]
        return found

    def to_picture(self) -> Picture:
        """The picture (of the last refresh, with the current selection) as a standalone SVG."""
        with self._overlay_lock:
            lattice = getattr(self, "_lattice", None)
            if lattice is None:
                raise ValueError(f"this {type(self).__name__} is closed: it has no picture")
            m = int(lattice.n_neurons)  # a shared selection may hold a larger map's neurons
            sel = self.selection
            return self._picture([] if sel is None else [int(k) for k in sel.neurons if 0 <= k < m])
