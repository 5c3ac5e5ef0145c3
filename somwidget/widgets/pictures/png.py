"""Compact raster pictures: a PNG encoder and a lattice rasteriser, numpy + zlib only.

A big map's static picture as one SVG polygon per neuron weighs megabytes (a 100 x 100 map:
about 28 MB with its selection); :func:`lattice_raster` paints the same cells, markers and
selection outline into an RGB array instead, and :func:`encode_png` writes it as a PNG (filter
0, zlib level 9; a 100 x 100 map is well under 1 MB). The lattice pictures embed it as an
``<image>`` inside their SVG, so titles, legends and colour bars stay text
(:func:`somwidget.widgets.pictures.lattice.render_picture`).

The cell of a pixel is the nearest neuron centre (a regular hexagonal lattice's Voronoi cells are
exactly its hexagons), kept only when the pixel lies inside that cell, so the picture matches the
vector one to the pixel.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ...lattice import HEX_CELL_RADIUS, HEX_ROW_SPACING

__all__ = ["decode_png", "encode_png", "hex_to_rgb", "lattice_raster", "png_data_uri"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(image: np.ndarray, level: int = 9) -> bytes:
    """PNG bytes of an 8-bit image.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3) or (H, W, 4)
        RGB or RGBA pixels, row 0 at the top.
    level : int
        zlib compression level (0-9).
    """
    img = np.asarray(image)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"image must be a uint8 array of shape (H, W, 3) or (H, W, 4); got "
                         f"{img.dtype} {img.shape}")
    h, w, c = img.shape
    if h == 0 or w == 0:
        raise ValueError(f"image must have at least one pixel; got shape {img.shape}")
    rows = np.empty((h, 1 + w * c), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) on every scanline
    rows[:, 1:] = np.ascontiguousarray(img).reshape(h, w * c)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 6, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _chunk(b"IEND", b""))


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of a PNG written by :func:`encode_png` (8-bit RGB/RGBA, filter 0 only)."""
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG: bad signature")
    pos, idat, shape = len(_SIGNATURE), b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"PNG chunk {kind!r} has a bad CRC")
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError("only 8-bit RGB / RGBA PNGs are decoded")
            shape = (h, w, 3 if colour == 2 else 4)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if shape is None:
        raise ValueError("PNG without IHDR")
    h, w, c = shape
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * c)
    if np.any(raw[:, 0] != 0):
        raise ValueError("only filter type 0 is decoded")
    return raw[:, 1:].reshape(h, w, c).copy()


def png_data_uri(data: bytes) -> str:
    """``data:image/png;base64,...`` for an ``<img>`` or SVG ``<image>``."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def hex_to_rgb(colors: Sequence[str]) -> np.ndarray:
    """``#rrggbb`` strings to an (n, 3) uint8 array."""
    out = np.empty((len(colors), 3), dtype=np.uint8)
    for i, c in enumerate(colors):
        s = c.lstrip("#")
        if len(s) == 3:
            s = "".join(ch * 2 for ch in s)
        out[i] = (int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16))
    return out


def _nearest_cell(x: np.ndarray, y: np.ndarray, rows: int, cols: int,
                  shape: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of the nearest neuron centre of plane points, and the offsets from it."""
    if shape != "hexa":
        r = np.clip(np.rint(y), 0, rows - 1).astype(np.int64)
        c = np.clip(np.rint(x), 0, cols - 1).astype(np.int64)
        return r * cols + c, x - c, y - r
    r0 = np.rint(y / HEX_ROW_SPACING).astype(np.int64)
    best = np.full(x.shape, np.inf)
    k = np.zeros(x.shape, dtype=np.int64)
    dx = np.zeros(x.shape)
    dy = np.zeros(x.shape)
    for dr in (-1, 0, 1):
        r = np.clip(r0 + dr, 0, rows - 1)
        shift = 0.5 * (r % 2)
        c = np.clip(np.rint(x - shift), 0, cols - 1).astype(np.int64)
        ex = x - (c + shift)
        ey = y - r * HEX_ROW_SPACING
        d = ex * ex + ey * ey
        better = d < best
        best = np.where(better, d, best)
        k = np.where(better, r * cols + c, k)
        dx = np.where(better, ex, dx)
        dy = np.where(better, ey, dy)
    return k, dx, dy


@lru_cache(maxsize=4)
def _pixel_cells(rows: int, cols: int, shape: str, width: int, height: int, x0: float, y0: float,
                 scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's neuron, offsets from its centre and whether it lies inside the cell.

    Cached (read-only arrays): the component planes of a map share one geometry, so a picture of
    16 planes finds each pixel's cell once.
    """
    xs = x0 + (np.arange(width) + 0.5) / scale
    ys = y0 + (np.arange(height) + 0.5) / scale
    X, Y = np.meshgrid(xs, ys)
    k, dx, dy = _nearest_cell(X, Y, rows, cols, shape)
    inside = _inside(dx, dy, shape)
    for a in (k, dx, dy, inside):
        a.flags.writeable = False
    return k, dx, dy, inside


def _inside(dx: np.ndarray, dy: np.ndarray, shape: str, f: np.ndarray | float = 1.0) -> np.ndarray:
    """Whether offsets lie inside a cell scaled by ``f`` (pointy-top hexagon or unit square)."""
    ax, ay = np.abs(dx), np.abs(dy)
    if shape == "hexa":
        return (ax <= 0.5 * f + 1e-9) & (ay + ax / np.sqrt(3.0) <= HEX_CELL_RADIUS * f + 1e-9)
    return (ax <= 0.5 * f + 1e-9) & (ay <= 0.5 * f + 1e-9)


def lattice_raster(
    fills: np.ndarray, *, rows: int, cols: int, shape: str, width: int, height: int,
    x0: float, y0: float, scale: float, sizes: np.ndarray | None = None,
    selected: Sequence[int] = (), background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Paint a lattice into an RGB image.

    Parameters
    ----------
    fills : ndarray (n_neurons, 3) of uint8
        Each neuron's colour.
    rows, cols, shape
        The lattice (``shape`` ``"hexa"`` or ``"rect"``).
    width, height : int
        Image size in pixels.
    x0, y0, scale : float
        Pixel ``(i, j)``'s centre is the plane point ``(x0 + (i + 0.5) / scale,
        y0 + (j + 0.5) / scale)``.
    sizes : ndarray (n_neurons,), optional
        Marker area fractions in [0, 1] ("size" style): light grey cells with a marker of the
        neuron's colour whose area is that fraction of the cell.
    selected : sequence of int
        Neurons outlined (a two-pixel dark-pink border around the selected region, with a white
        rim outside it).
    background : (r, g, b)
        Colour of pixels outside every cell.

    Returns
    -------
    ndarray (height, width, 3) of uint8
    """
    fills = np.asarray(fills, dtype=np.uint8).reshape(-1, 3)
    m = rows * cols
    if fills.shape[0] != m:
        raise ValueError(f"fills must have one colour per neuron ({m}); got {fills.shape[0]}")
    k, dx, dy, inside = _pixel_cells(int(rows), int(cols), str(shape), int(width), int(height),
                                     float(x0), float(y0), float(scale))
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:] = background
    if sizes is None:
        img[inside] = fills[k[inside]]
    else:
        f = np.sqrt(np.clip(np.nan_to_num(np.asarray(sizes, dtype=np.float64)), 0.0, 1.0))
        img[inside] = (243, 243, 243)
        marker = inside & _inside(dx, dy, shape, f[k])
        img[marker] = fills[k[marker]]
    sel = np.zeros(m, dtype=bool)
    idx = np.asarray([int(s) for s in selected if 0 <= int(s) < m], dtype=np.int64)
    if idx.size:
        sel[idx] = True
        on = inside & sel[k]
        # border pixels: selected pixels with an unselected (or empty) 4-neighbour
        pad = np.pad(on, 1, constant_values=False)
        edge = on & ~(pad[:-2, 1:-1] & pad[2:, 1:-1] & pad[1:-1, :-2] & pad[1:-1, 2:])
        thick = edge.copy()
        thick[1:, :] |= edge[:-1, :]
        thick[:, 1:] |= edge[:, :-1]
        thick &= on
        rim = np.zeros_like(on)
        rim[:-1, :] |= edge[1:, :]
        rim[1:, :] |= edge[:-1, :]
        rim[:, :-1] |= edge[:, 1:]
        rim[:, 1:] |= edge[:, :-1]
        rim &= ~on
        img[rim] = (255, 255, 255)
        img[thick] = (214, 0, 76)
    return img
