"""Perceptually uniform colour maps and the categorical label palette.

The five 256-entry tables (viridis, magma, plasma, inferno, cividis), the categorical palette and
the NaN colour live in one data file, ``colormaps.json`` next to this module: the single source of
truth for both the Python SVG renderer (loaded here at import) and the TypeScript canvas renderer
(``js/src/colors.ts`` imports the same file, bundled by esbuild). ``tests/test_colormaps.py``
checks that the built bundle holds identical tables.

Mapping a value to a colour (identical in Python and TypeScript)::

    t = clip((v - vmin) / (vmax - vmin), 0, 1)      # t = 0 when vmax <= vmin
    index = floor(t * 255 + 0.5)

in float64, after scaling ``v``, ``vmin`` and ``vmax`` by one power of two that brings
``max(|vmin|, |vmax|)`` into [0.5, 1): exact, so the same result wherever nothing overflows, and
still right where ``vmax - vmin`` would overflow or the values are subnormal. NaN maps to
``NAN_COLOR``. The browser receives the values as float32 when float32 colours them the same and
as float64 otherwise (:func:`wire_values`).
"""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np

from ..validation import check_choice

__all__ = [
    "CATEGORICAL",
    "COLORMAPS",
    "NAN_COLOR",
    "colormap_table",
    "colors_for_values",
    "hex_color",
    "label_colors",
    "rgb_for_values",
    "value_indices",
    "beyond_float32",
    "value_positions",
    "wire_values",
]


def _load(text: str) -> tuple[dict[str, np.ndarray], tuple[str, ...], str]:
    """Parse and check colormaps.json: ({name: (256, 3) uint8}, categorical, nan colour)."""
    data = json.loads(text)
    hex6 = re.compile(r"^#[0-9a-f]{6}$")

    def rgb(colours: list[str], what: str) -> np.ndarray:
        bad = [c for c in colours if not (isinstance(c, str) and hex6.match(c))]
        if bad:
            raise ValueError(f"colormaps.json: {what} must hold '#rrggbb' colours; got {bad[:3]}")
        return np.frombuffer(bytes.fromhex("".join(c[1:] for c in colours)), dtype=np.uint8).reshape(-1, 3)

    tables = {}
    for name, colours in data["tables"].items():
        table = rgb(colours, f"table {name!r}").copy()
        if table.shape != (256, 3):
            raise ValueError(f"colormaps.json: table {name!r} has {len(table)} entries, expected 256")
        table.flags.writeable = False
        tables[name] = table
    categorical = tuple(data["categorical"])
    rgb(list(categorical), "categorical")
    rgb([data["nan"]], "nan")
    return tables, categorical, data["nan"]


_TABLES, _CATEGORICAL, _NAN = _load(
    resources.files(__package__).joinpath("colormaps.json").read_text(encoding="utf-8"))

#: The colour map names, in the order the front end's picker lists them.
COLORMAPS: tuple[str, ...] = tuple(_TABLES)

#: Colour of neurons without a value (e.g. quality map of a neuron with no hits).
NAN_COLOR: str = _NAN

#: Categorical palette for labels (Tableau 10, then 10 lighter companions); cycles beyond 20.
CATEGORICAL: tuple[str, ...] = _CATEGORICAL


def colormap_table(name: str = "viridis") -> np.ndarray:
    """Return the colour map ``name`` as a read-only ``(256, 3)`` uint8 RGB table.

    Parameters
    ----------
    name : str
        One of ``COLORMAPS``.
    """
    return _TABLES[check_choice("colormap", name, COLORMAPS)]


def _range_scales(vmin: float, vmax: float) -> tuple[float, float]:
    """Two powers of two whose product brings ``max(|vmin|, |vmax|)`` into [0.5, 1) ((1, 1) for 0
    or non-finite): two factors, each a normal float64, so that subnormal or huge ranges scale
    exactly (the front end's ``rangeScales``)."""
    top = max(abs(vmin), abs(vmax))
    if top == 0 or not np.isfinite(top):
        return 1.0, 1.0
    e = -int(np.frexp(top)[1])
    half = e // 2
    return float(np.ldexp(1.0, half)), float(np.ldexp(1.0, e - half))


def value_positions(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Position ``t`` in [0, 1] of every value on the colour scale (NaN stays NaN), in float64
    after the exact power-of-two scaling of the module docstring.

    Parameters
    ----------
    values : array-like
        Values (any real dtype).
    vmin, vmax : float
        The values at ``t = 0`` and ``t = 1`` (every ``t`` is 0 when ``vmax <= vmin``).
    """
    v = np.asarray(values, dtype=np.float64)
    lo, hi = float(vmin), float(vmax)
    a, b = _range_scales(lo, hi)
    slo, shi = lo * a * b, hi * a * b
    span = shi - slo
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        t = (v * a * b - slo) / span if span > 0 else np.where(np.isnan(v), np.nan, 0.0)
        return np.clip(t, 0.0, 1.0)


def value_indices(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Colour-table index (0..255) of every value; -1 where the value is NaN.

    Computed in float64 at any finite magnitude (see the module docstring): values far from 0
    with a small range, beyond float32's range or subnormal are coloured as they are.

    Parameters
    ----------
    values : array-like
        Values (any real dtype).
    vmin, vmax : float
        The values mapped to the first and the last table entry.
    """
    t = value_positions(values, vmin, vmax)
    idx = np.floor(np.nan_to_num(t) * 255.0 + 0.5)
    return np.where(np.isnan(t), -1, idx).astype(np.int64)


_F32 = np.finfo(np.float32)
#: float32 values are sent when they move no value by more than this on the colour scale (a
#: quarter of one of the 256 colour steps).
WIRE_TOLERANCE = 2.0 ** -10


def beyond_float32(values: np.ndarray) -> bool:
    """Whether a finite non-zero value lies beyond float32's range (it would become inf) or
    below its smallest normal number (it would lose its digits or become 0)."""
    v = np.asarray(values, dtype=np.float64)
    a = np.abs(v[np.isfinite(v) & (v != 0)])
    return bool(a.size and (a.max() > _F32.max or a.min() < _F32.tiny))


def wire_values(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """``values`` as the browser should receive them: float32 (half the bytes) when that keeps
    every finite value finite and every non-zero one non-zero and moves none by more than
    :data:`WIRE_TOLERANCE` on the colour scale, else float64 (a large offset with a small range,
    magnitudes beyond float32's range or below its smallest normal number). The static pictures
    colour these very values, so they show what the browser draws.

    Parameters
    ----------
    values : array-like
        Per-neuron values (NaN: none).
    vmin, vmax : float
        The colour range they are drawn with.
    """
    v = np.asarray(values, dtype=np.float64)
    if beyond_float32(v):
        return v
    f = v.astype(np.float32)
    moved = np.abs(value_positions(f, vmin, vmax) - value_positions(v, vmin, vmax))
    return f if not np.any(moved > WIRE_TOLERANCE) else v


def hex_color(rgb: np.ndarray | tuple[int, int, int]) -> str:
    """``(r, g, b)`` -> ``"#rrggbb"``."""
    r, g, b = (int(c) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def colors_for_values(
    values: np.ndarray, vmin: float, vmax: float, colormap: str = "viridis"
) -> list[str]:
    """Hex colour of every value (``NAN_COLOR`` for NaN), exactly as the front end draws it."""
    table = colormap_table(colormap)
    return [NAN_COLOR if i < 0 else hex_color(table[i]) for i in value_indices(values, vmin, vmax)]


def rgb_for_values(
    values: np.ndarray, vmin: float, vmax: float, colormap: str = "viridis"
) -> np.ndarray:
    """``(n, 3)`` uint8 colour of every value (``NAN_COLOR`` for NaN), straight from the table.

    The numpy twin of :func:`colors_for_values` (same colours, no ``#rrggbb`` strings): what the
    raster pictures of big maps paint.
    """
    table = colormap_table(colormap)
    idx = value_indices(values, vmin, vmax)
    out = table[np.clip(idx, 0, 255)]
    out[idx < 0] = [int(NAN_COLOR[i:i + 2], 16) for i in (1, 3, 5)]
    return out


def lightness(rgb: np.ndarray | tuple[int, int, int]) -> float:
    """CIE L* (0..100) of an sRGB colour (the front end's ``lightness``)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])
    f = y ** (1.0 / 3.0) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116
    return 116.0 * f - 16.0


def text_color_on(fill: str) -> str:
    """``"#000"`` or ``"#fff"``, whichever reads better on ``fill`` (``"#rrggbb"``), exactly as
    the front end's ``textOn``."""
    if not (fill.startswith("#") and len(fill) == 7):
        return "#000"
    rgb = tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#000" if lightness(rgb) > 55 else "#fff"


def label_colors(n: int) -> list[str]:
    """The first ``n`` categorical colours (cycling through ``CATEGORICAL``)."""
    return [CATEGORICAL[i % len(CATEGORICAL)] for i in range(int(n))]
