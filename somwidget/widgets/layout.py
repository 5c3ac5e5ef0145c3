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


class _PictureBox(PictureMixin):
    """The static picture of a box of views (mixed into HBox / VBox)."""

    _max_width: float
    gap: float
    children: Sequence[Any]

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
        Pixels between the pictures.
    **kwargs
        Passed to ``ipywidgets.HBox``. A ``layout`` given here is used as it is, except that
        its ``flex_flow`` becomes ``"row wrap"`` when it sets none.
    """

    def __init__(self, children: Sequence[Any] = (), gap: float = 12.0, **kwargs: Any) -> None:
        self.gap = float(gap)
        self._max_width = float("inf")
        layout = kwargs.pop("layout", None)
        if layout is None:
            layout = widgets.Layout(flex_flow="row wrap")
        elif isinstance(layout, dict):
            layout = widgets.Layout(**{"flex_flow": "row wrap", **layout})
        elif not layout.flex_flow:
            layout.flex_flow = "row wrap"
        super().__init__(children=list(children), layout=layout, **kwargs)


class Column(_PictureBox, widgets.VBox):
    """Views one above the other (an ``ipywidgets.VBox``) with a stacked static picture.

    Parameters
    ----------
    children : sequence of widgets
    gap : float
        Pixels between the pictures.
    **kwargs
        Passed to ``ipywidgets.VBox``.
    """

    def __init__(self, children: Sequence[Any] = (), gap: float = 12.0, **kwargs: Any) -> None:
        self.gap = float(gap)
        self._max_width = 0.0
        super().__init__(children=list(children), **kwargs)
