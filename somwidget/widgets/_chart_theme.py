"""The bqplot charts in JupyterLab's text colours, in the light and the dark theme.

bqplot's own dark theme (``[data-jp-theme-light='false']`` in its style sheet) sets
``--bq-content-font-color: orange``, and its figures draw their titles and axis labels in that
colour. :func:`theme_chart` gives them inline styles in JupyterLab's CSS variables instead (an
inline style beats the style sheet; the browser resolves the variable in the current theme, so a
theme switch needs no redraw).
"""

from __future__ import annotations

from typing import Any

#: The title of a chart: JupyterLab's strongest text colour, as the views' own titles.
TITLE_FILL = "var(--jp-ui-font-color0, #111111)"
#: An axis label: the body text colour.
AXIS_LABEL_FILL = "var(--jp-ui-font-color1, #333333)"


def theme_chart(figure: Any, axes: Any = ()) -> Any:
    """Put ``figure``'s title and the labels of its axes (and of ``axes``, axes that are not in
    the figure yet) in the theme's text colours; returns ``figure``.

    An axis label colour set already (``label_color``) is kept, and so is a title fill set in
    ``title_style``."""
    figure.title_style = {"fill": TITLE_FILL, **dict(figure.title_style or {})}
    for axis in [*figure.axes, *axes]:
        if not axis.label_color:
            axis.label_color = AXIS_LABEL_FILL
    return figure
