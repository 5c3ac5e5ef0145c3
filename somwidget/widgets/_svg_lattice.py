"""The SVG lattice pictures' shared part: an ``ipywidgets.HTML`` whose value is the SVG.

The lattice pictures (glyph map, index map) reuse the lattice picture for the cells, the
wrap marks and the selection outline, and draw on top of it in the same plane coordinates.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from ..som import SOM
from ..validation import NotFittedError, check_positive
from ._common import check_selection as _check_selection
from ._common import lattice_geometry, stop_observing, with_svg_picture
from .selection import Selection

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"
_PLANE_RE = re.compile(r'class="plane" data-scale="([^"]+)" data-ox="([^"]+)" data-oy="([^"]+)"')


def _f(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _r(x: float) -> str:
    """Exact float for data attributes (plain Python float repr, not numpy's)."""
    return repr(float(x))


def _check_som(som: Any, *, X: Any = None) -> SOM:
    """A SOM, initialised from ``X`` when it has not been yet (else a clear error)."""
    if not isinstance(som, SOM):
        raise TypeError(f"som must be a somwidget SOM; got {type(som).__name__}")
    if getattr(som, "codebook_", None) is None:
        if X is None:
            raise NotFittedError(
                "som is not initialised: fit it first or call som.initialize(X)"
            )
        som.initialize(X)
    return som


def _lattice_args(som: SOM) -> dict[str, Any]:
    return lattice_geometry(som.lattice_)


def _subtitle(lat: dict[str, Any]) -> str:
    kind = "hexagonal" if lat["shape"] == "hexa" else "rectangular"
    if lat["wrap_rows"] and lat["wrap_cols"]:
        wrap = " · toroidal: all edges wrap around"
    elif lat["wrap_cols"]:
        wrap = " · cylindrical: left and right edges wrap around"
    else:
        wrap = ""
    return f"{lat['rows']} × {lat['cols']} {kind} map{wrap}"


def _default_width(som: SOM, per_cell: float) -> float:
    """Plane width giving about ``per_cell`` pixels per cell (render_svg caps the scale at 40)."""
    cols = int(som.lattice_.cols)
    return float(min(1400.0, max(420.0, per_cell * (cols + 1.4))))


def _plane_geometry(svg: str) -> tuple[float, float, float]:
    """(scale, ox, oy) of the single plane of a :func:`render_svg` picture."""
    m = _PLANE_RE.search(svg)
    if m is None:  # pragma: no cover - render_svg always writes the plane group
        raise RuntimeError("render_svg output has no plane group")
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def _insert(svg: str, elements: Sequence[str]) -> str:
    """Append SVG elements just before the closing tag."""
    assert svg.endswith("</svg>")
    return svg[: -len("</svg>")] + "".join(elements) + "</svg>"


def _selected(selection: Selection | None) -> list[int]:
    return [] if selection is None else list(selection.neurons)


class _SvgLatticePicture(widgets.HTML):
    """Base of the SVG lattice pictures: an HTML widget whose value is the SVG.

    Subclasses provide ``_compute()`` (derive what to draw from ``self._som``) and
    ``_picture(selected) -> str`` (the SVG, with the selected neurons outlined).
    """

    _compute: Callable[[], None]
    _picture: Callable[[list[int]], str]

    def __init__(self, som: Any, selection: Selection | None, width: float | None) -> None:
        self._som = _check_som(som)
        self._selection = _check_selection(selection)
        if width is not None:
            width = check_positive("width", width)
        self._width = width
        self._lock = threading.RLock()
        self.frame = 0
        self._svg = ""
        super().__init__()
        self.add_class("somwidget-svg-picture")
        if self._selection is not None:
            self._selection.observe(self._on_selection, names="neurons")
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

    def refresh(self, som: Any = None) -> None:
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
            if self._selection is not None:
                self._selection.n_neurons = int(self._som.lattice_.n_neurons)
            self._render()

    def _render(self) -> None:
        with self._lock:
            self._svg = self._picture(_selected(self._selection))
            self.value = self._svg
            self.frame += 1

    def to_svg(self) -> str:
        """The picture as a standalone SVG string."""
        return self._svg

    def close(self) -> None:
        """Stop observing the selection and close the widget."""
        stop_observing(self.__dict__.get("_selection"), self._on_selection)
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_svg_picture(super()._repr_mimebundle_(**kwargs), self.to_svg)
