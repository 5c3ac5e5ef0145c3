"""The live SVG pictures in JupyterLab's theme: a ``<style>`` scoped to the widget.

The SVG pictures shown live (the :class:`~somwidget.widgets.elevation.ElevationMap`'s; the
index and glyph maps are canvas views, and the rules for their text and glyph lines apply to
their static SVG when it is passed through :func:`live_svg`) are drawn for a white page: that is
their static picture (a saved notebook, GitHub, exported HTML, a PNG), and it stays so. The live
widget's value is the same SVG with a class on its root, a class on its background and a
``<style>`` whose rules (scoped to ``.somwidget-svg-picture svg.sw-themed``) set the neutral
parts' ``fill`` / ``stroke`` to JupyterLab's theme variables, today's colour as each fallback:

- the background: ``--jp-layout-color0``; titles ``--jp-ui-font-color0``, other text
  ``--jp-ui-font-color1``, subtitles and captions ``--jp-ui-font-color2``;
- empty cells (``#f3f3f3``): ``--jp-layout-color2`` with ``--jp-border-color1`` strokes, and the
  index text written on them ``--jp-ui-font-color0``; wrap marks, axes and legend frames in the
  theme's greys.

Data colours are left alone: data-coloured cells, prisms, glyph bars, and the value labels on
data-coloured cells (their contrast-chosen black or white is an inline style, which a style sheet
does not override). CSS rules beat SVG presentation attributes, and the variables change with the
theme, so a theme switch restyles the picture without a redraw; outside JupyterLab the fallbacks
give exactly the static picture's look.
"""

from __future__ import annotations

__all__ = ["THEME_CSS", "live_svg"]

#: The class on the live SVG's root element.
LIVE_CLASS = "sw-themed"

_P = f".somwidget-svg-picture svg.{LIVE_CLASS}"

_RULES = (
    # background and text
    (".background", "fill: var(--jp-layout-color0, #ffffff)"),
    ("text", "fill: var(--jp-ui-font-color1, #000000)"),
    (".title, .plane-title", "fill: var(--jp-ui-font-color0, #000000)"),
    # captions carry an inline fill: only !important beats it
    (".subtitle, .colorbar-label", "fill: var(--jp-ui-font-color2, #666666) !important"),
    # empty cells and what is written on them
    ('polygon.cell[fill="#f3f3f3"]',
     "fill: var(--jp-layout-color2, #f3f3f3); stroke: var(--jp-border-color1, #d0d0d0)"),
    ("text.index", "fill: var(--jp-ui-font-color0, #222222)"),
    ("text.rowcol", "fill: var(--jp-ui-font-color2, #777777)"),
    # neutral lines
    ("path.wrap-mark", "stroke: var(--jp-ui-font-color2, #555555)"),
    ("polygon.wrap-mark", "fill: var(--jp-ui-font-color2, #555555)"),
    ("rect.colorbar", "stroke: var(--jp-border-color0, #aaaaaa)"),
    ("rect.legend-swatch", "stroke: var(--jp-ui-font-color2, #777777)"),
    ("rect.plane-frame", "stroke: var(--jp-border-color2, #e3e3e3)"),
    ('line.glyph-axis[stroke="#bbb"]', "stroke: var(--jp-border-color0, #bbbbbb)"),
    ('line.glyph-axis[stroke="#999"]', "stroke: var(--jp-ui-font-color3, #999999)"),
)

#: The glyph map's line (one fixed dark blue): a light blue on dark themes, else as drawn.
_DARK_RULES = (
    ("polyline.glyph-line", "stroke: #8ab4f8"),
)


def _rule(selectors: str, body: str, prefix: str = _P) -> str:
    scoped = ", ".join(f"{prefix} {s.strip()}" for s in selectors.split(","))
    return f"{scoped} {{ {body}; }}"


THEME_CSS = " ".join(
    [_rule(s, b) for s, b in _RULES]
    + [_rule(s, b, prefix=f'body[data-jp-theme-light="false"] {_P}') for s, b in _DARK_RULES]
)

_BACKGROUND = '<rect width="100%" height="100%" fill="#ffffff"/>'


def live_svg(svg: str) -> str:
    """The live widget's value of a static SVG picture: the theme's scoped ``<style>`` first,
    a class on the root and on the white background; every other byte as in ``svg``."""
    if not svg.startswith("<svg "):
        raise ValueError("live_svg: not a standalone SVG picture")
    head, rest = svg.split(">", 1)
    rest = rest.replace(_BACKGROUND, '<rect class="background"' + _BACKGROUND[5:], 1)
    return f'<svg class="{LIVE_CLASS}"{head[4:]}><style>{THEME_CSS}</style>{rest}'
