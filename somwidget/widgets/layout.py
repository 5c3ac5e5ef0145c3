"""Row and Column: ipywidgets boxes of views that keep a static picture.

An ``ipywidgets.HBox`` of views shows nothing where widgets cannot run (GitHub, exported HTML,
a closed kernel): the box itself has no picture. :class:`Row` and :class:`Column` are the same
boxes, live in JupyterLab, and their MIME bundle also carries one SVG made of their children's
pictures laid out the same way. A child counts as a picture when it has ``to_svg()`` (every
somwidget view, and Rows and Columns themselves) or is an ``ipywidgets.HTML`` whose value is an
SVG; other children (buttons, sliders) are left out of the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ..validation import check_positive
from ._base import PictureMixin
from .pictures.compose import Picture, compose

__all__ = ["Column", "Row"]


def _picture(child: Any) -> Picture | None:
    if hasattr(child, "to_picture"):
        return child.to_picture()
    if hasattr(child, "to_svg"):  # a picture from elsewhere: measured from its root element
        return Picture.from_svg(child.to_svg())
    if isinstance(child, widgets.HTML) and str(child.value).lstrip().startswith("<svg"):
        return Picture.from_svg(str(child.value))
    return None


def _check_box(kind: str, children: Any, gap: Any) -> tuple[list[Any], float]:
    """``children`` as a list of widgets and ``gap`` as a finite float >= 0, else a clear error."""
    gap = check_positive("gap", gap, allow_zero=True)
    if isinstance(children, (str, bytes, widgets.Widget)) or not hasattr(children, "__iter__"):
        raise TypeError(f"{kind} children must be a sequence of views or widgets; got "
                        f"{type(children).__name__}")
    children = list(children)
    bad = [c for c in children if not isinstance(c, widgets.Widget)]
    if bad:
        raise TypeError(f"{kind} children must be views or other ipywidgets widgets; got "
                        + ", ".join(f"{type(c).__name__} {c!r}"[:60] for c in bad[:3])
                        + (", ..." if len(bad) > 3 else ""))
    return children, gap


class _PictureBox(PictureMixin):
    """The static picture of a box of views (mixed into HBox / VBox)."""

    _max_width: float
    gap: float
    children: Sequence[Any]
    _own_layout: Any = None

    def close(self) -> None:
        """Close the box and the Layout it created itself (the children stay open, as in any
        ipywidgets box: close them yourself, or they may be shown elsewhere)."""
        own = self._own_layout
        self._own_layout = None
        super().close()  # type: ignore[misc]
        if own is not None:
            own.close()

    def to_picture(self) -> Picture:
        """The children's pictures in one standalone SVG.

        Raises
        ------
        ValueError
            When no child has a picture.
        """
        parts = [p for p in (_picture(c) for c in self.children) if p is not None]
        if not parts:
            raise ValueError("none of the children has a static picture (to_svg)")
        return compose(parts, max_width=self._max_width, gap=self.gap)


class Row(_PictureBox, widgets.HBox):
    """Views side by side (an ``ipywidgets.HBox``) with a side-by-side static picture.

    Where the notebook is too narrow for all of them, the views that do not fit go on to a new
    line (``flex-flow: row wrap``) instead of being squeezed over each other: a view's figure
    keeps its own width.

    Parameters
    ----------
    children : sequence of widgets
        The views (any widgets; those with a picture appear in the static one).
    gap : float
        Pixels between the pictures (a finite number >= 0).
    **kwargs
        Passed to ``ipywidgets.HBox``. A ``layout`` given here is used as it is, except that
        its ``flex_flow`` becomes ``"row wrap"`` when it sets none.
    """

    def __init__(self, children: Sequence[Any] = (), gap: float = 12.0, **kwargs: Any) -> None:
        children, self.gap = _check_box("Row", children, gap)
        self._max_width = float("inf")
        layout = kwargs.pop("layout", None)
        if layout is None:
            layout = self._own_layout = widgets.Layout(flex_flow="row wrap")
        elif isinstance(layout, dict):
            layout = self._own_layout = widgets.Layout(**{"flex_flow": "row wrap", **layout})
        elif not layout.flex_flow:
            layout.flex_flow = "row wrap"
        super().__init__(children=children, layout=layout, **kwargs)


class Column(_PictureBox, widgets.VBox):
    """Views one above the other (an ``ipywidgets.VBox``) with a stacked static picture.

    Parameters
    ----------
    children : sequence of widgets
    gap : float
        Pixels between the pictures (a finite number >= 0).
    **kwargs
        Passed to ``ipywidgets.VBox``.
    """

    def __init__(self, children: Sequence[Any] = (), gap: float = 12.0, **kwargs: Any) -> None:
        children, self.gap = _check_box("Column", children, gap)
        self._max_width = 0.0
        given = "layout" in kwargs
        super().__init__(children=children, **kwargs)
        if not given or isinstance(kwargs["layout"], dict):
            self._own_layout = self.layout
