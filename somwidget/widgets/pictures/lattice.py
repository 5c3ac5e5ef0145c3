"""Static SVG pictures of lattice views, in pure Python (no browser, no matplotlib).

Same geometry, colours, colour bar and titles as the canvas front end, so a saved notebook shows
the picture on GitHub or in exported HTML. Cells are ``<polygon class="cell" data-k="k">`` in the
coordinates ``translate(ox, oy)`` + ``scale`` x plane coordinates (docs/internals.md), given on
the enclosing ``<g class="plane" data-scale=... data-ox=... data-oy=...>``.
:func:`render_picture` returns the picture with that geometry (:class:`~.compose.Picture`), so
code that draws on top of it never reads it back from the SVG.

The hex geometry (row spacing, cell radius, centres) is :mod:`somwidget.lattice`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...lattice import HEX_CELL_RADIUS, HEX_ROW_SPACING, plane_coordinates
from ..colormaps import NAN_COLOR, colormap_table, hex_color, text_color_on
from .compose import Picture, PlaneGeometry
from .png import encode_png, hex_to_rgb, lattice_raster, png_data_uri
from .text import (
    _FONT,
    _ellipsis,
    _f,
    _text_width,
    _wrap,
    escape,
    format_label,
    format_range,
    format_value,
)

__all__ = [
    "Plane",
    "cell_vertices",
    "format_label",
    "format_value",
    "lattice_centres",
    "lattice_subtitle",
    "render_picture",
    "render_svg",
]

#: The neuron centres in plane coordinates (:func:`somwidget.lattice.plane_coordinates`).
lattice_centres = plane_coordinates


def lattice_subtitle(rows: int, cols: int, shape: str, wrap_rows: bool = False,
                     wrap_cols: bool = False) -> str:
    """The plain-words line under a lattice picture's title: size, cell shape, wrap-around."""
    kind = "hexagonal" if shape == "hexa" else "rectangular"
    if wrap_rows and wrap_cols:
        wrap = " · toroidal: all edges wrap around"
    elif wrap_cols:
        wrap = " · cylindrical: left and right edges wrap around"
    else:
        wrap = ""
    return f"{rows} × {cols} {kind} map{wrap}"


def cell_vertices(shape: str) -> np.ndarray:
    """Vertices of one cell around the origin: pointy-top hexagon (circumradius 1/sqrt(3),
    starting at the top vertex, clockwise on screen) or unit square."""
    if shape == "hexa":
        a = np.pi / 3 * np.arange(6) - np.pi / 2
        return np.column_stack([HEX_CELL_RADIUS * np.cos(a), HEX_CELL_RADIUS * np.sin(a)])
    return np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])


def _bounds(rows: int, cols: int, shape: str) -> tuple[float, float, float, float]:
    if shape == "hexa":
        shift = 0.5 if rows > 1 else 0.0
        return (-0.5, -HEX_CELL_RADIUS, cols - 1 + shift + 0.5,
                (rows - 1) * HEX_ROW_SPACING + HEX_CELL_RADIUS)
    return -0.5, -0.5, cols - 0.5, rows - 0.5


@dataclass
class Plane:
    """One lattice picture: per-neuron fill colours and optional marker sizes and outlines.

    Parameters
    ----------
    fills : list of str or ndarray (n_neurons, 3) of uint8
        ``#rrggbb`` per neuron, or the RGB colours themselves (what :func:`fills_for` and
        :func:`category_fills` return: a big map's raster is painted from them directly).
    sizes : array of float, optional
        Marker area fraction in [0, 1] per neuron ("size" style): cells become light grey and a
        scaled marker of the fill colour is drawn inside.
    title : str
        Plane title (small multiples) or empty.
    colorbar : (colormap, vmin, vmax, label), optional
        A colour bar legend under the plane.
    categories : list of (name, colour), optional
        A categorical legend under the plane.
    labels : list of str, optional
        Text written in each cell (the values, GEMA's annotated heat maps), when the cells are
        at least :data:`LABEL_MIN_CELL` pixels wide; black or white, whichever reads better.
    borders : array (S, 4), optional
        Border segments ``[x0, y0, x1, y1]`` in plane coordinates (cluster borders,
        :func:`somwidget.clustering.border_segments`), drawn as one dark path with a white halo
        above the cells, below the selection.
    """

    fills: Sequence[str] | np.ndarray
    sizes: np.ndarray | None = None
    title: str = ""
    colorbar: tuple[str, float, float, str] | None = None
    categories: Sequence[tuple[str, str]] | None = None
    selected: Sequence[int] = field(default_factory=list)
    labels: Sequence[str] | None = None
    borders: np.ndarray | None = None


#: Cells narrower than this (pixels) get no value labels: the text would not fit.
LABEL_MIN_CELL = 22.0
#: Pictures with more cells than this (all planes together) draw each plane's cells as one
#: embedded PNG (:mod:`.png`) instead of one SVG polygon per neuron (a 100 x 100 map: about
#: 0.2 MB instead of megabytes).
RASTER_NEURONS = 2500
#: Pixels of the embedded PNG per picture pixel (2: sharp on high-density screens).
RASTER_DENSITY = 2.0


def _fill_rgb(fills: Sequence[str] | np.ndarray) -> np.ndarray:
    """(n, 3) uint8 colours of a plane's fills."""
    if isinstance(fills, np.ndarray) and fills.ndim == 2:
        return np.asarray(fills, dtype=np.uint8)
    return hex_to_rgb(fills)


def _fill_hex(fills: Sequence[str] | np.ndarray) -> Sequence[str]:
    """``#rrggbb`` strings of a plane's fills (the vector picture of a small map)."""
    if isinstance(fills, np.ndarray) and fills.ndim == 2:
        return [hex_color(c) for c in fills]
    return fills


def _raster_image(plane: Plane, rows: int, cols: int, shape: str,
                  bounds: tuple[float, float, float, float], scale: float) -> str:
    """The cells, markers and selection outline of a big plane as one SVG ``<image>`` (PNG)."""
    x0, y0, x1, y1 = bounds
    density = min(RASTER_DENSITY, 1600.0 / max((x1 - x0) * scale, 1.0))
    px = scale * density
    width = max(1, int(np.ceil((x1 - x0) * px)))
    height = max(1, int(np.ceil((y1 - y0) * px)))
    img = lattice_raster(_fill_rgb(plane.fills), rows=rows, cols=cols, shape=shape,
                         width=width, height=height, x0=x0, y0=y0, scale=px,
                         sizes=plane.sizes, selected=plane.selected)
    uri = png_data_uri(encode_png(img))
    return (f'<image class="cells-raster" x="{_f(x0 * scale)}" y="{_f(y0 * scale)}" '
            f'width="{_f(width / density)}" height="{_f(height / density)}" '
            f'preserveAspectRatio="none" href="{uri}"/>')


def _plane_svg(
    plane: Plane, rows: int, cols: int, shape: str, wrap_rows: bool, wrap_cols: bool,
    x: float, y: float, scale: float, legend_width: float = 0.0, raster: bool | None = None,
) -> tuple[list[str], float, float, PlaneGeometry]:
    """SVG elements of one plane placed at (x, y); returns (elements, width, height, geometry).
    ``raster``: the cells as one PNG (default: above :data:`RASTER_NEURONS` neurons)."""
    x0, y0, x1, y1 = _bounds(rows, cols, shape)
    px = 0.45 if wrap_cols else 0.06
    py = 0.45 if wrap_rows else 0.06
    ox = x + (px - x0) * scale
    oy = y + (py - y0) * scale
    w = (x1 - x0 + 2 * px) * scale
    h = (y1 - y0 + 2 * py) * scale
    out: list[str] = []
    cen = lattice_centres(rows, cols, shape) * scale
    verts = cell_vertices(shape) * scale
    pts = cen[:, None, :] + verts[None, :, :]  # (M, V, 2), relative to (ox, oy)
    size_mode = plane.sizes is not None
    raster = rows * cols > RASTER_NEURONS if raster is None else raster
    out.append(f'<g class="plane" data-scale="{scale!r}" data-ox="{ox!r}" data-oy="{oy!r}" '
               + ('data-raster="1" ' if raster else '')
               + f'transform="translate({_f(ox)},{_f(oy)})">')
    stroke = max(0.3, 0.04 * scale)
    if raster:
        out.append(_raster_image(plane, rows, cols, shape, (x0, y0, x1, y1), scale))
    fills = _fill_hex(plane.fills) if not raster or plane.labels is not None else ()
    for k in range(0 if raster else rows * cols):
        p = " ".join(f"{_f(a)},{_f(b)}" for a, b in pts[k])
        if size_mode:
            out.append(f'<polygon class="cell" data-k="{k}" points="{p}" fill="#f3f3f3" '
                       f'stroke="#d0d0d0" stroke-width="{_f(stroke)}"/>')
        else:
            fill = fills[k]
            out.append(f'<polygon class="cell" data-k="{k}" points="{p}" fill="{fill}" '
                       f'stroke="{fill}" stroke-width="{_f(stroke)}"/>')
    if size_mode and not raster:
        f = np.sqrt(np.clip(np.nan_to_num(np.asarray(plane.sizes, dtype=np.float64)), 0, 1))
        for k in np.flatnonzero(f > 0):
            mp = cen[k][None, :] + verts * f[k]
            p = " ".join(f"{_f(a)},{_f(b)}" for a, b in mp)
            out.append(f'<polygon class="marker" data-k="{k}" points="{p}" fill="{fills[k]}"/>')
    if plane.labels is not None and scale >= LABEL_MIN_CELL:
        # the front end's rule: 32 % of a cell, between 8 and 12 px, shrunk to 85 % of the cell's
        # width, left out below 7 px (text widths estimated)
        size, room = min(12.0, max(8.0, 0.32 * scale)), 0.85 * scale
        for k, text in enumerate(plane.labels[: rows * cols]):
            if not text:
                continue
            w = _text_width(text, size)
            px = size * room / w if w > room else size
            if px < 7:
                continue
            colour = "#333" if size_mode else text_color_on(fills[k])
            cx, cy = cen[k]
            out.append(f'<text class="value" data-k="{k}" x="{_f(cx)}" y="{_f(cy + 0.35 * px)}" '
                       f'text-anchor="middle" style="{_FONT};font-size:{_f(px)}px;fill:{colour}">'
                       f"{escape(text)}</text>")
    if plane.borders is not None and len(plane.borders):
        out += _border_svg(np.asarray(plane.borders, dtype=np.float64), scale)
    sw = max(1.5, min(3.0, 0.12 * scale))
    for k in ([] if raster else plane.selected):
        if 0 <= k < rows * cols:
            p = " ".join(f"{_f(a)},{_f(b)}" for a, b in pts[k])
            out.append(f'<polygon class="selected" data-k="{k}" points="{p}" fill="none" '
                       f'stroke="#ffffff" stroke-width="{_f(2.2 * sw)}" stroke-linejoin="round"/>')
            out.append(f'<polygon class="selected" data-k="{k}" points="{p}" fill="none" '
                       f'stroke="#d6004c" stroke-width="{_f(sw)}" stroke-linejoin="round"/>')
    if scale < 9 and len(plane.selected) <= 64:  # tiny cells: a ring as in the front end
        for k in plane.selected:
            if 0 <= k < rows * cols:
                cx, cy = cen[k]
                for colour, width in (("#ffffff", 3.5), ("#d6004c", 1.75)):
                    out.append(f'<circle class="selected-ring" data-k="{k}" cx="{_f(cx)}" cy="{_f(cy)}" '
                               f'r="8" fill="none" stroke="{colour}" stroke-width="{width}"/>')
    out.append("</g>")
    # wrap marks: dashed edges with outward arrows
    dash = 'stroke="#555" stroke-width="1.2" stroke-dasharray="5,4" fill="none"'
    alen = min(0.28 * scale, 9.0)

    def arrow(ax: float, ay: float, dx: float, dy: float) -> str:
        tip = (ax + dx * alen, ay + dy * alen)
        a = (ax - dy * alen * 0.6, ay + dx * alen * 0.6)
        b = (ax + dy * alen * 0.6, ay - dx * alen * 0.6)
        return (f'<polygon class="wrap-mark" points="{_f(tip[0])},{_f(tip[1])} {_f(a[0])},{_f(a[1])} '
                f'{_f(b[0])},{_f(b[1])}" fill="#555"/>')

    if wrap_cols:
        xl, xr = ox + (x0 - px * 0.45) * scale, ox + (x1 + px * 0.45) * scale
        ya, yb = oy + y0 * scale, oy + y1 * scale
        out.append(f'<path class="wrap-mark" d="M{_f(xl)},{_f(ya)}V{_f(yb)}M{_f(xr)},{_f(ya)}V{_f(yb)}" {dash}/>')
        out += [arrow(xl, (ya + yb) / 2, -1, 0), arrow(xr, (ya + yb) / 2, 1, 0)]
    if wrap_rows:
        yt, yb2 = oy + (y0 - py * 0.45) * scale, oy + (y1 + py * 0.45) * scale
        xa, xb = ox + x0 * scale, ox + x1 * scale
        out.append(f'<path class="wrap-mark" d="M{_f(xa)},{_f(yt)}H{_f(xb)}M{_f(xa)},{_f(yb2)}H{_f(xb)}" {dash}/>')
        out += [arrow((xa + xb) / 2, yt, 0, -1), arrow((xa + xb) / 2, yb2, 0, 1)]
    height = h
    ly = y + h + 8
    if plane.categories is not None:
        cx = x
        right = x + max(w, legend_width)
        for name, colour in plane.categories:
            full = str(name)
            short = legend_name(full, right - x - 27)
            label = escape(short) + (f"<title>{escape(full)}</title>" if short != full else "")
            item_w = 15 + _text_width(short, 11) + 12
            if cx > x and cx + item_w > right:
                cx = x
                ly += 16
            out.append(f'<rect class="legend-swatch" x="{_f(cx)}" y="{_f(ly)}" width="11" height="11" '
                       f'fill="{colour}" stroke="#777"/>')
            out.append(f'<text x="{_f(cx + 15)}" y="{_f(ly + 10)}" style="{_FONT};font-size:11px">{label}</text>')
            cx += item_w
        ly += 18
        height = ly - y
    if plane.colorbar is not None:
        cmap, vmin, vmax, label = plane.colorbar
        gid = f"cb{abs(hash((cmap, x, y))) % 10**8}"
        table = colormap_table(cmap)
        stops = "".join(f'<stop offset="{i / 255:.4f}" stop-color="{hex_color(table[i])}"/>'
                        for i in range(256))
        lo_s, hi_s = format_range(vmin, vmax)
        lo, hi = escape(lo_s), escape(hi_s)
        # one line "min [bar] max" that fits the plane's width (the front end's flex row)
        room = max(w, legend_width)
        bx = x + _text_width(lo_s, 11) + 5
        bw = min(200.0, max(28.0, room - (bx - x) - _text_width(hi_s, 11) - 10))
        out.append(f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>')
        out.append(f'<text class="vmin" x="{_f(x)}" y="{_f(ly + 10)}" style="{_FONT};font-size:11px">{lo}</text>')
        out.append(f'<rect class="colorbar" x="{_f(bx)}" y="{_f(ly)}" width="{_f(bw)}" height="12" '
                   f'fill="url(#{gid})" stroke="#aaa"/>')
        out.append(f'<text class="vmax" x="{_f(bx + bw + 5)}" y="{_f(ly + 10)}" style="{_FONT};font-size:11px">{hi}</text>')
        if label:
            for line in _wrap(label, room, 11):
                out.append(f'<text class="colorbar-label" x="{_f(x)}" y="{_f(ly + 27)}" '
                           f'style="{_FONT};font-size:11px;fill:#666">{escape(line)}</text>')
                ly += 15
        ly += 20
        height = ly - y
    return out, w, height, PlaneGeometry(scale, ox, oy)


def _border_svg(segments: np.ndarray, scale: float) -> list[str]:
    """The border segments as two paths (white halo, dark line): the canvas's widths."""
    seg = segments * scale
    d = "".join(f"M{_f(a)},{_f(b)}L{_f(c)},{_f(e)}" for a, b, c, e in seg)
    width = border_width(scale)
    return [f'<path class="border-halo" d="{d}" fill="none" stroke="#ffffff" '
            f'stroke-width="{_f(2.4 * width)}" stroke-linecap="round"/>',
            f'<path class="border" data-segments="{len(seg)}" d="{d}" fill="none" stroke="#1a1a1a" '
            f'stroke-width="{_f(width)}" stroke-linecap="round"/>']


def border_width(scale: float) -> float:
    """Border line width in pixels for cells of ``scale`` pixels (the front end's rule)."""
    return max(1.25, min(3.0, 0.09 * scale))


#: Default widths, the same as the front end: one lattice view in a dashboard, one small plane.
VIEW_WIDTH = 380.0
PLANE_WIDTH = 190.0
#: Canvas height limits of the front end (single view, small plane).
VIEW_MAX_HEIGHT = 560.0
PLANE_MAX_HEIGHT = 220.0


def render_svg(planes: Sequence[Plane], **kwargs: Any) -> str:
    """:func:`render_picture`'s SVG text (same parameters)."""
    return render_picture(planes, **kwargs).svg


def render_picture(
    planes: Sequence[Plane],
    *,
    rows: int,
    cols: int,
    shape: str,
    wrap_rows: bool = False,
    wrap_cols: bool = False,
    title: str = "",
    subtitle: str = "",
    width: float | None = None,
    columns: int | None = None,
) -> Picture:
    """Standalone picture of one plane or of small multiples, with each plane's geometry.

    The layout follows the canvas front end: the title and subtitle wrap to the picture's width,
    the colour bar is one line "min [gradient] max" with what the colour means below it, and small
    multiples are framed planes in a grid, each with its own title and colour bar.

    Parameters
    ----------
    planes : sequence of Plane
        One plane (a single view) or several (component planes, laid out in a grid).
    rows, cols, shape, wrap_rows, wrap_cols
        The lattice (``shape`` is ``"hexa"`` or ``"rect"``).
    title, subtitle : str
        Plain-words title and a grey line below it.
    width : float, optional
        Width in pixels of one plane (default: 380 for one plane, 190 for small multiples, with
        the front end's height limits of 560 and 220 pixels).
    columns : int, optional
        Planes per row for small multiples (default: up to 4).
    """
    n = len(planes)
    multi = n > 1
    # raster or vector by the cells of the whole picture (20 vector planes of 2500 neurons
    # each made an 8.8 MB SVG)
    raster = rows * cols * max(n, 1) > RASTER_NEURONS
    x0, y0, x1, y1 = _bounds(rows, cols, shape)
    bw = x1 - x0 + 2 * (0.45 if wrap_cols else 0.06)
    bh = y1 - y0 + 2 * (0.45 if wrap_rows else 0.06)
    plane_w = width or (PLANE_WIDTH if multi else VIEW_WIDTH)
    inner_w = plane_w - (12.0 if multi else 0.0)  # small planes sit in a padded frame
    scale = inner_w / bw
    if width is None:
        scale = min(scale, (PLANE_MAX_HEIGHT if multi else VIEW_MAX_HEIGHT) / bh)
    scale = max(2.0, min(40.0, scale))
    ncol = columns or min(n, 4)
    gap = 10.0 if multi else 18.0
    row_w = 8.0 + ncol * plane_w + (ncol - 1) * gap + 8.0
    text_w = max(row_w - 16.0, 240.0)
    body: list[str] = []
    y = 4.0
    for line in _wrap(title, text_w, 14, bold=True):
        y += 18.0
        body.append(f'<text class="title" x="8" y="{_f(y)}" style="{_FONT};font-size:14px;font-weight:600">'
                    f"{escape(line)}</text>")
    for line in _wrap(subtitle, text_w, 12):
        y += 16.0
        body.append(f'<text class="subtitle" x="8" y="{_f(y)}" style="{_FONT};font-size:12px;fill:#666">'
                    f"{escape(line)}</text>")
    y += 8.0
    total_w = 0.0
    row_h = 0.0
    geometry: list[PlaneGeometry] = []
    for i, plane in enumerate(planes):
        c = i % ncol
        if c == 0 and i > 0:
            y += row_h + gap
            row_h = 0.0
        x = 8.0 + c * (plane_w + gap)
        if multi:
            label = _ellipsis(plane.title, inner_w, 12, bold=True)
            py = y + 20.0
            els, w, h, geo = _plane_svg(
                replace(plane, title=""),
                rows, cols, shape, wrap_rows, wrap_cols, x + 6.0, py, scale, legend_width=inner_w,
                raster=raster)
            h += 22.0
            w = max(plane_w, w + 12.0)
            els = [
                f'<rect class="plane-frame" x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" '
                f'height="{_f(h)}" rx="3" fill="none" stroke="#e3e3e3"/>',
                f'<text class="plane-title" x="{_f(x + 6.0)}" y="{_f(y + 15.0)}" '
                f'style="{_FONT};font-size:12px;font-weight:600">{escape(label)}</text>',
                *els,
            ]
        else:
            els, w, h, geo = _plane_svg(plane, rows, cols, shape, wrap_rows, wrap_cols, x, y, scale,
                                   legend_width=plane_w, raster=raster)
            if plane.title:
                els.insert(0, f'<text class="plane-title" x="{_f(x)}" y="{_f(y - 5)}" '
                              f'style="{_FONT};font-size:12px;font-weight:600">{escape(plane.title)}</text>')
        body += els
        geometry.append(geo)
        row_h = max(row_h, h)
        total_w = max(total_w, x + max(plane_w, w) + 8.0)
    total_h = y + row_h + 8
    total_w = max(total_w, 248.0)
    w_text, h_text = _f(total_w), _f(total_h)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w_text}" height="{h_text}" '
        f'viewBox="0 0 {w_text} {h_text}">'
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )
    return Picture(svg, float(w_text), float(h_text), tuple(geometry))


def fills_for(values: np.ndarray, vmin: float, vmax: float, colormap: str) -> np.ndarray:
    """Per-neuron fill colours (as drawn by the front end), an (n, 3) uint8 array."""
    from ..colormaps import rgb_for_values

    return rgb_for_values(values, vmin, vmax, colormap)


#: Longer legend names are cut to this many characters (with "…"), like the planes' titles;
#: the full name is the entry's tooltip (an SVG ``<title>``).
LEGEND_CHARS = 24


def legend_name(name: str, width: float) -> str:
    """``name`` as a legend entry: at most :data:`LEGEND_CHARS` characters and ``width`` pixels
    (estimated, 11 px text), cut with an ellipsis."""
    if len(name) > LEGEND_CHARS:
        name = name[:LEGEND_CHARS - 1] + "…"
    return _ellipsis(name, max(width, 40.0), 11)


def category_fills(categories: np.ndarray, palette: Sequence[str]) -> np.ndarray:
    """Per-neuron categorical colours, an (n, 3) uint8 array; ``-1`` (no samples) is ``NAN_COLOR``."""
    cats = np.asarray(categories, dtype=np.float64)
    table = np.vstack([hex_to_rgb(list(palette)), hex_to_rgb([NAN_COLOR])])
    none = np.isnan(cats) | (cats < 0)
    idx = np.where(none, len(palette), np.nan_to_num(cats).astype(np.int64) % max(len(palette), 1))
    return table[idx]
