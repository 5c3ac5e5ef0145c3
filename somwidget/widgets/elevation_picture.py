"""The ElevationMap's static SVG picture (``to_picture()``: saved notebooks, exports, no browser)
and the projection geometry it shares with the live canvas (``js/src/elevation_scene.ts``).

The formulas are in the docstring of :class:`somwidget.widgets.elevation.ElevationMap`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._svg_lattice import _lattice_args, _r
from .colormaps import colormap_table, colors_for_values, hex_color
from .pictures.compose import Picture
from .pictures.lattice import cell_vertices, lattice_subtitle
from .pictures.text import _FONT, _f, _wrap, escape, format_range, format_value

__all__ = ["SIDE_SHADE", "SIDE_SHADE_SPREAD", "elevation_picture", "lattice_radius"]

#: Side faces are the top colour times ``SIDE_SHADE - SIDE_SHADE_SPREAD * n_x`` (n_x: the face's
#: outward normal along the screen's horizontal axis), so faces turned to the left are lighter.
SIDE_SHADE = 0.62
SIDE_SHADE_SPREAD = 0.2


def _shade(colour: str, factor: float) -> str:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
    return hex_color(np.clip(np.round(rgb * factor), 0, 255))


def _footprint(lattice: Any) -> np.ndarray:
    return cell_vertices("rect" if str(lattice.shape) == "rect" else "hexa")


def _centre(lattice: Any) -> np.ndarray:
    xy = np.asarray(lattice.coordinates, dtype=np.float64)
    return (xy.min(axis=0) + xy.max(axis=0)) / 2


def lattice_radius(lattice: Any) -> float:
    """Largest ground distance of a prism corner from the middle of the neurons' bounding box
    (the picture's half width), in plane units."""
    xy = np.asarray(lattice.coordinates, dtype=np.float64) - _centre(lattice)
    corners = xy[:, None, :] + _footprint(lattice)[None, :, :]
    return float(np.sqrt((corners ** 2).sum(axis=-1)).max())


def _rotated(points: np.ndarray, centre: np.ndarray, azimuth: float) -> np.ndarray:
    """Ground points ``(..., 2)`` (plane coordinates) -> ``(X_r, Y_r)``."""
    a = math.radians(azimuth)
    u = points[..., 0] - centre[0]
    v = points[..., 1] - centre[1]
    return np.stack([u * math.cos(a) - v * math.sin(a), u * math.sin(a) + v * math.cos(a)], axis=-1)


def elevation_picture(
    lattice: Any, values: np.ndarray, heights: np.ndarray, *, vmin: float, vmax: float,
    colormap: str, azimuth: float, elevation: float, width: float, max_height: float,
    title: str, label: str, selected: Sequence[int],
) -> Picture:
    """The SVG picture of the prisms at the given angles (see ElevationMap's docstring)."""
    lat = _lattice_args(lattice)
    m = lat["rows"] * lat["cols"]
    e = math.radians(elevation)
    se, ce = math.sin(e), math.cos(e)
    margin = 14.0
    radius = lattice_radius(lattice)
    hmax = max_height
    s = (width - 2 * margin) / (2 * radius)
    text_w = width - 16.0
    head: list[str] = []
    y = 4.0
    for line in _wrap(title, text_w, 14, bold=True):
        y += 18.0
        head.append(f'<text class="title" x="8" y="{_f(y)}" style="{_FONT};font-size:14px;font-weight:600">'
                    f"{escape(line)}</text>")
    sub = (f"{lattice_subtitle(**lat)} · one prism per neuron, height and colour follow the value · "
           f"azimuth {azimuth:.0f}°, elevation {elevation:.0f}°")
    for line in _wrap(sub, text_w, 12):
        y += 16.0
        head.append(f'<text class="subtitle" x="8" y="{_f(y)}" style="{_FONT};font-size:12px;fill:#666">'
                    f"{escape(line)}</text>")
    top = y + 12.0
    ox = margin + s * radius
    oy = top + s * (radius * se + hmax * ce)
    bottom = oy + s * radius * se + 10.0

    centre = _centre(lattice)
    coords = np.asarray(lattice.coordinates, dtype=np.float64)
    foot = _footprint(lattice)
    nv = len(foot)
    ground = _rotated(coords[:, None, :] + foot[None, :, :], centre, azimuth)  # (M, V, 2)
    centre_r = _rotated(coords, centre, azimuth)  # (M, 2)
    h = heights
    sx = ox + s * ground[..., 0]
    base_y = oy + s * ground[..., 1] * se
    top_y = base_y - s * h[:, None] * ce
    depth = centre_r[:, 1]
    order = np.lexsort((centre_r[:, 0], np.round(depth, 9)))
    # outward normals of the footprint's edges (regular polygons: towards the edge midpoints)
    mid = (foot + np.roll(foot, -1, axis=0)) / 2
    normals = _rotated(mid + centre, centre, azimuth) / np.linalg.norm(mid, axis=1)[:, None]
    visible = np.flatnonzero(normals[:, 1] > 1e-9) if ce > 1e-12 else np.zeros(0, dtype=int)
    factors = SIDE_SHADE - SIDE_SHADE_SPREAD * normals[:, 0]
    fills = colors_for_values(values, vmin, vmax, colormap)
    rows_k, cols_k = lattice.row_col(np.arange(m))
    cx = ox + s * centre_r[:, 0]
    cy = oy + s * (centre_r[:, 1] * se - h * ce)
    body = [f'<g class="scene" data-scale="{_r(s)}" data-ox="{_r(ox)}" data-oy="{_r(oy)}" '
            f'data-azimuth="{_r(azimuth)}" data-elevation="{_r(elevation)}" '
            f'data-max-height="{_r(hmax)}" stroke-linejoin="round">']
    edge = _f(max(0.3, min(1.0, 0.03 * s)))
    for k in order:
        fill = fills[k]
        parts = [f'<g class="prism" data-k="{k}" data-depth="{_r(depth[k])}" data-value="{_r(values[k])}" '
                 f'data-height="{_r(h[k])}" data-cx="{_r(cx[k])}" data-cy="{_r(cy[k])}">'
                 f"<title>neuron {k} (row {int(rows_k[k])}, col {int(cols_k[k])}): "
                 f"{escape(format_value(float(values[k])))}</title>"]
        if h[k] > 0:
            for i in visible:
                j = (i + 1) % nv
                pts = (f"{_f(sx[k, i])},{_f(base_y[k, i])} {_f(sx[k, j])},{_f(base_y[k, j])} "
                       f"{_f(sx[k, j])},{_f(top_y[k, j])} {_f(sx[k, i])},{_f(top_y[k, i])}")
                parts.append(f'<polygon class="side" points="{pts}" fill="{_shade(fill, factors[i])}" '
                             f'stroke="#00000040" stroke-width="{edge}"/>')
        pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in zip(sx[k], top_y[k], strict=True))
        parts.append(f'<polygon class="top" points="{pts}" fill="{fill}" stroke="#00000030" '
                     f'stroke-width="{edge}"/></g>')
        body.append("".join(parts))
    sw = max(1.5, min(3.0, 0.08 * s))
    for k in selected:
        if 0 <= k < m:
            pts = " ".join(f"{_f(a)},{_f(b)}" for a, b in zip(sx[k], top_y[k], strict=True))
            for colour, w in (("#ffffff", 2.2 * sw), ("#d6004c", sw)):
                body.append(f'<polygon class="selected" data-k="{k}" points="{pts}" fill="none" '
                            f'stroke="{colour}" stroke-width="{_f(w)}"/>')
    body.append("</g>")
    bar = _colorbar(8.0, bottom, width - 16.0, label, colormap, vmin, vmax, bool(np.isnan(values).any()))
    body += bar
    total_h = bottom + 48.0 + 14.0 * (sum(p.startswith('<text class="colorbar-label"') for p in bar) - 1)
    w_text, h_text = _f(width), _f(total_h)
    return Picture(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w_text}" height="{h_text}" '
                   f'viewBox="0 0 {w_text} {h_text}"><rect width="100%" height="100%" fill="#ffffff"/>'
                   + "".join(head) + "".join(body) + "</svg>", float(w_text), float(h_text))


def _colorbar(x: float, y: float, room: float, label: str, colormap: str, vmin: float, vmax: float,
              has_nan: bool) -> list[str]:
    table = colormap_table(colormap)
    gid = f"elevation-colorbar-{colormap}"  # same id, same gradient: safe to repeat
    stops = "".join(f'<stop offset="{i / 255:.4f}" stop-color="{hex_color(table[i])}"/>'
                    for i in range(0, 256, 5))
    lo, hi = format_range(vmin, vmax)
    bx = x + len(lo) * 6.2 + 5
    bw = min(220.0, room - (bx - x) - len(hi) * 6.2 - 10)
    out = [f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>',
           f'<text class="vmin" x="{_f(x)}" y="{_f(y + 10)}" style="{_FONT};font-size:11px">{escape(lo)}</text>',
           f'<rect class="colorbar" x="{_f(bx)}" y="{_f(y)}" width="{_f(bw)}" height="12" '
           f'fill="url(#{gid})" stroke="#aaa"/>',
           f'<text class="vmax" x="{_f(bx + bw + 5)}" y="{_f(y + 10)}" style="{_FONT};font-size:11px">{escape(hi)}</text>']
    caption = f"{label}; prism height ∝ value{' · grey: no value' if has_nan else ''}"
    # one line where it fits, else as many as a narrow picture needs (10 % slack on the
    # estimated character widths: the theme's font may run wider)
    for i, line in enumerate(_wrap(caption, 0.9 * room, 11.0)):
        out.append(f'<text class="colorbar-label" x="{_f(x)}" y="{_f(y + 27 + 14 * i)}" '
                   f'style="{_FONT};font-size:11px;fill:#666">{escape(line)}</text>')
    return out
