"""NeuronIndexMap (somnium ``plot_neuron_indices``): the lattice with each neuron's index
written in its cell, to cross-reference ``som.predict()`` output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ._common import check_title
from ._lattice_overlay import _LatticeOverlayView
from ._svg_lattice import _default_width, _lattice_args, _r
from .pictures.compose import Picture
from .pictures.lattice import Plane, lattice_subtitle, render_picture
from .pictures.text import _FONT, _f
from .selection import Selection

__all__ = ["NeuronIndexMap"]


class NeuronIndexMap(_LatticeOverlayView):
    """The lattice with each neuron's index written in its cell (somnium's
    ``plot_neuron_indices``), to cross-reference ``som.predict()`` output.

    Neuron ``k = row * cols + col`` (row-major, row 0 at the top). A canvas lattice view
    (:class:`LatticeView`'s hover tooltip with the index and row / column, click / brush
    selection linked to the shared selection, keyboard) on the theme's neutral grid; the
    browser writes the indices, sized to fit the cells: where they do not fit at a readable
    size it writes every s-th row's and column's only (the tooltip reads every neuron), and
    ``row,col`` only where every index is written, and then says so under the map (with a
    ``width`` that fits them all).

    Parameters
    ----------
    som : SOM
        An initialised or fitted SOM (or one to initialise from ``X``).
    X : array-like of shape (N, D), optional
        Data to initialise an unfitted SOM with.
    selection : Selection, optional
        The shared selection (a private one when omitted): its neurons are outlined, and a
        click, a brush or the keyboard on this view selects.
    show_row_col : bool
        Also write ``row,col`` under the index.
    width : float, optional
        Width in pixels of the map, live and static (default: the live canvas fills the width
        of its output, the static picture has about 40 pixels per cell); a live map wider than
        its output scrolls sideways in its own box. Pass about 40 pixels per column for a
        large map whose cells are otherwise too small for its indices.
    title : str, optional
        Title in plain words.
    """

    _view = traitlets.Unicode("indices").tag(sync=True)
    _default_title = "Neuron indices (as returned by predict)"
    #: the browser also writes row,col under each index
    index_row_col = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        som: Any,
        X: Any = None,
        *,
        selection: Selection | None = None,
        show_row_col: bool = False,
        width: float | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(show_row_col, (bool, np.bool_)):
            raise TypeError(f"show_row_col must be True or False; got {show_row_col!r}")
        self.show_row_col = bool(show_row_col)
        self._title = check_title(title) or self._default_title
        super().__init__(som, X, selection, width, self._title)

    def _overlay(self) -> None:
        self.index_row_col = self.show_row_col

    def _picture(self, selected: list[int]) -> Picture:
        lattice = self._lattice  # of the last refresh
        lat = _lattice_args(lattice)
        m = lat["rows"] * lat["cols"]
        plane = Plane(fills=["#f3f3f3"] * m, sizes=np.zeros(m), selected=selected)
        pic = render_picture([plane], title=self._title, subtitle=lattice_subtitle(**lat),
                         width=self._width or _default_width(lattice, 40.0), **lat)
        geo = pic.plane
        scale, ox, oy = geo.scale, geo.ox, geo.oy
        centres = np.asarray(lattice.coordinates, dtype=np.float64) * scale + [ox, oy]
        digits = len(str(m - 1))
        size = min(0.36 * scale, 0.8 * scale / (0.62 * max(digits, 2)))
        small = size * 0.7
        rows, cols = lattice.row_col(np.arange(m))
        dy = 0.35 * size if self.show_row_col else 0.0
        out = [f'<g class="indices" style="{_FONT}" text-anchor="middle" dominant-baseline="central">']
        for k in range(m):
            cx, cy = centres[k]
            out.append(f'<text class="index" data-k="{k}" data-cx="{_r(cx)}" data-cy="{_r(cy)}" x="{_f(cx)}" '
                       f'y="{_f(cy - dy)}" font-size="{_f(size)}" fill="#222">{k}</text>')
            if self.show_row_col:
                out.append(f'<text class="rowcol" data-k="{k}" x="{_f(cx)}" y="{_f(cy + 0.75 * size)}" '
                           f'font-size="{_f(small)}" fill="#777">{int(rows[k])},{int(cols[k])}</text>')
        out.append("</g>")
        return pic.with_elements(out)

    def __repr__(self) -> str:
        if self.closed:
            return f"{type(self).__name__}(closed)"
        return f"NeuronIndexMap(map={tuple(self._som.mapsize_)}, show_row_col={self.show_row_col})"
