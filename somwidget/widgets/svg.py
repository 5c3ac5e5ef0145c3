"""Static SVG pictures of lattice views, in pure Python (no browser, no matplotlib).

Same geometry, colours, colour bar and titles as the canvas front end, so a saved notebook shows
the picture on GitHub or in exported HTML. Cells are ``<polygon class="cell" data-k="k">`` in the
coordinates ``translate(ox, oy)`` + ``scale`` x plane coordinates (docs/internals.md), given on
the enclosing ``<g class="plane" data-scale=... data-ox=... data-oy=...>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np

from .colormaps import NAN_COLOR, colormap_table, hex_color

__all__ = ["Plane", "cell_vertices", "lattice_centres", "render_svg"]

ROW_SPACING = math.sqrt(3) / 2
HEX_RADIUS = 1 / math.sqrt(3)
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"


def lattice_centres(rows: int, cols: int, shape: str) -> np.ndarray:
    """Plane coordinates ``(M, 2)`` of the neuron centres (docs/internals.md convention)."""
    r, c = np.divmod(np.arange(rows * cols), cols)
    if shape == "hexa":
        return np.column_stack([c + 0.5 * (r % 2), r * ROW_SPACING]).astype(np.float64)
    return np.column_stack([c, r]).astype(np.float64)


def cell_vertices(shape: str) -> np.ndarray:
    """Vertices of one cell around the origin: pointy-top hexagon (circumradius 1/sqrt(3),
    starting at the top vertex, clockwise on screen) or unit square."""
    if shape == "hexa":
        a = np.pi / 3 * np.arange(6) - np.pi / 2
        return np.column_stack([HEX_RADIUS * np.cos(a), HEX_RADIUS * np.sin(a)])
    return np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])


def _bounds(rows: int, cols: int, shape: str) -> tuple[float, float, float, float]:
    if shape == "hexa":
        shift = 0.5 if rows > 1 else 0.0
        return -0.5, -HEX_RADIUS, cols - 1 + shift + 0.5, (rows - 1) * ROW_SPACING + HEX_RADIUS
    return -0.5, -0.5, cols - 0.5, rows - 0.5


def format_value(v: float) -> str:
    """Number formatting shared with the front end's colour bar (4 significant digits)."""
    if v is None or not math.isfinite(v):
        return "—"
    if float(v).is_integer() and abs(v) < 1e9:
        return str(int(v))
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return f"{v:.3e}"
    r = float(f"{v:.4g}")
    return str(int(r)) if r.is_integer() else f"{r:g}"


@dataclass
class Plane:
    """One lattice picture: per-neuron fill colours and optional marker sizes and outlines.

    Parameters
    ----------
    fills : list of str
        ``#rrggbb`` per neuron.
    sizes : array of float, optional
        Marker area fraction in [0, 1] per neuron ("size" style): cells become light grey and a
        scaled marker of the fill colour is drawn inside.
    title : str
        Plane title (small multiples) or empty.
    colorbar : (colormap, vmin, vmax, label), optional
        A colour bar legend under the plane.
    categories : list of (name, colour), optional
        A categorical legend under the plane.
    """

    fills: Sequence[str]
    sizes: np.ndarray | None = None
    title: str = ""
    colorbar: tuple[str, float, float, str] | None = None
    categories: Sequence[tuple[str, str]] | None = None
    selected: Sequence[int] = field(default_factory=list)


def _f(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _plane_svg(
    plane: Plane, rows: int, cols: int, shape: str, wrap_rows: bool, wrap_cols: bool,
    x: float, y: float, scale: float,
) -> tuple[list[str], float, float]:
    """SVG elements of one plane placed at (x, y); returns (elements, width, height)."""
    x0, y0, x1, y1 = _bounds(rows, cols, shape)
    px = 0.45 if wrap_cols else 0.06
    py = 0.45 if wrap_rows else 0.06
    ox = x + (px - x0) * scale
    oy = y + (py - y0) * scale
    w = (x1 - x0 + 2 * px) * scale
    h = (y1 - y0 + 2 * py) * scale
    out: list[str] = []
    if plane.title:
        out.append(f'<text x="{_f(x)}" y="{_f(y - 5)}" style="{_FONT};font-size:12px;font-weight:600">'
                   f"{escape(plane.title)}</text>")
    cen = lattice_centres(rows, cols, shape) * scale
    verts = cell_vertices(shape) * scale
    pts = cen[:, None, :] + verts[None, :, :]  # (M, V, 2), relative to (ox, oy)
    size_mode = plane.sizes is not None
    out.append(f'<g class="plane" data-scale="{scale!r}" data-ox="{ox!r}" data-oy="{oy!r}" '
               f'transform="translate({_f(ox)},{_f(oy)})">')
    stroke = max(0.3, 0.04 * scale)
    for k in range(rows * cols):
        p = " ".join(f"{_f(a)},{_f(b)}" for a, b in pts[k])
        if size_mode:
            out.append(f'<polygon class="cell" data-k="{k}" points="{p}" fill="#f3f3f3" '
                       f'stroke="#d0d0d0" stroke-width="{_f(stroke)}"/>')
        else:
            fill = plane.fills[k]
            out.append(f'<polygon class="cell" data-k="{k}" points="{p}" fill="{fill}" '
                       f'stroke="{fill}" stroke-width="{_f(stroke)}"/>')
    if size_mode:
        f = np.sqrt(np.clip(np.nan_to_num(np.asarray(plane.sizes, dtype=np.float64)), 0, 1))
        for k in np.flatnonzero(f > 0):
            mp = cen[k][None, :] + verts * f[k]
            p = " ".join(f"{_f(a)},{_f(b)}" for a, b in mp)
            out.append(f'<polygon class="marker" data-k="{k}" points="{p}" fill="{plane.fills[k]}"/>')
    sw = max(1.5, min(3.0, 0.12 * scale))
    for k in plane.selected:
        if 0 <= k < rows * cols:
            p = " ".join(f"{_f(a)},{_f(b)}" for a, b in pts[k])
            out.append(f'<polygon class="selected" data-k="{k}" points="{p}" fill="none" '
                       f'stroke="#ffffff" stroke-width="{_f(2.2 * sw)}" stroke-linejoin="round"/>')
            out.append(f'<polygon class="selected" data-k="{k}" points="{p}" fill="none" '
                       f'stroke="#d6004c" stroke-width="{_f(sw)}" stroke-linejoin="round"/>')
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
        for name, colour in plane.categories:
            label = escape(str(name))
            out.append(f'<rect class="legend-swatch" x="{_f(cx)}" y="{_f(ly)}" width="11" height="11" '
                       f'fill="{colour}" stroke="#777"/>')
            out.append(f'<text x="{_f(cx + 15)}" y="{_f(ly + 10)}" style="{_FONT};font-size:11px">{label}</text>')
            cx += 15 + 6.5 * len(str(name)) + 12
            if cx > x + max(w, 260) - 60:
                cx = x
                ly += 16
        ly += 18
        height = ly - y
    if plane.colorbar is not None:
        cmap, vmin, vmax, label = plane.colorbar
        gid = f"cb{abs(hash((cmap, x, y))) % 10**8}"
        table = colormap_table(cmap)
        stops = "".join(f'<stop offset="{i / 255:.4f}" stop-color="{hex_color(table[i])}"/>'
                        for i in range(256))
        lo, hi = escape(format_value(vmin)), escape(format_value(vmax))
        bx = x + 7 * len(lo) + 6
        bw = min(180.0, max(80.0, w - 7 * (len(lo) + len(hi)) - 20))
        out.append(f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>')
        out.append(f'<text class="vmin" x="{_f(x)}" y="{_f(ly + 10)}" style="{_FONT};font-size:11px">{lo}</text>')
        out.append(f'<rect class="colorbar" x="{_f(bx)}" y="{_f(ly)}" width="{_f(bw)}" height="12" '
                   f'fill="url(#{gid})" stroke="#aaa"/>')
        out.append(f'<text class="vmax" x="{_f(bx + bw + 5)}" y="{_f(ly + 10)}" style="{_FONT};font-size:11px">{hi}</text>')
        if label:
            out.append(f'<text x="{_f(x)}" y="{_f(ly + 27)}" style="{_FONT};font-size:11px;fill:#666">'
                       f"{escape(label)}</text>")
            ly += 16
        ly += 20
        height = ly - y
    return out, w, height


def render_svg(
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
) -> str:
    """Standalone SVG of one plane or of small multiples.

    Parameters
    ----------
    planes : sequence of Plane
        One plane (a single view) or several (component planes, laid out in a grid).
    rows, cols, shape, wrap_rows, wrap_cols
        The lattice (``shape`` is ``"hexa"`` or ``"rect"``).
    title, subtitle : str
        Plain-words title and a grey line below it.
    width : float, optional
        Width in pixels of one plane (default: 420 for one plane, 200 for small multiples).
    columns : int, optional
        Planes per row for small multiples (default: up to 4).
    """
    n = len(planes)
    x0, y0, x1, y1 = _bounds(rows, cols, shape)
    plane_w = width or (420.0 if n == 1 else 200.0)
    scale = max(2.0, min(40.0, plane_w / (x1 - x0 + 0.9)))
    ncol = columns or min(n, 4)
    gap = 18.0
    top = 12.0 + (20.0 if title else 0.0) + (16.0 if subtitle else 0.0)
    body: list[str] = []
    if title:
        body.append(f'<text class="title" x="8" y="22" style="{_FONT};font-size:15px;font-weight:600">'
                    f"{escape(title)}</text>")
    if subtitle:
        body.append(f'<text class="subtitle" x="8" y="{_f(top - 4)}" style="{_FONT};font-size:12px;fill:#666">'
                    f"{escape(subtitle)}</text>")
    y = top + (18.0 if n > 1 else 6.0)
    total_w = 0.0
    row_h = 0.0
    for i, plane in enumerate(planes):
        c = i % ncol
        if c == 0 and i > 0:
            y += row_h + gap + (16.0 if n > 1 else 0.0)
            row_h = 0.0
        x = 8.0 + c * (plane_w + 24.0 + gap)
        els, w, h = _plane_svg(plane, rows, cols, shape, wrap_rows, wrap_cols, x, y, scale)
        body += els
        row_h = max(row_h, h)
        total_w = max(total_w, x + max(w, 200.0) + 8)
    total_h = y + row_h + 8
    total_w = max(total_w, 16 + 8.8 * len(title), 16 + 7 * len(subtitle))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(total_w)}" height="{_f(total_h)}" '
        f'viewBox="0 0 {_f(total_w)} {_f(total_h)}">'
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def fills_for(values: np.ndarray, vmin: float, vmax: float, colormap: str) -> list[str]:
    """Per-neuron fill colours (as drawn by the front end)."""
    from .colormaps import colors_for_values

    return colors_for_values(values, vmin, vmax, colormap)


def category_fills(categories: np.ndarray, palette: Sequence[str]) -> list[str]:
    """Per-neuron categorical colours; ``-1`` (no samples) is ``NAN_COLOR``."""
    cats = np.asarray(categories)
    return [NAN_COLOR if c < 0 else palette[int(c) % len(palette)] for c in cats]
