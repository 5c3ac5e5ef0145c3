"""Colour-map names of the seed libraries (matplotlib / plotly) mapped onto somwidget's five.

somwidget draws with five perceptually uniform maps (viridis, magma, plasma, inferno, cividis).
GEMA and somnium pass matplotlib colour maps (``plt.cm.jet``) or plotly colour scales
(``'Reds'``); :func:`resolve_colormap` turns those into the closest of the five, so ported code
runs unchanged. The table is documented in ``docs/seeds.md``.
"""

from __future__ import annotations

import warnings

__all__ = ["COLORMAP_SUBSTITUTES", "resolve_colormap"]

_OURS = ("viridis", "magma", "plasma", "inferno", "cividis")

#: Seed colour-map names (lower case, ``_r`` stripped) and the somwidget map drawn instead.
COLORMAP_SUBSTITUTES: dict[str, str] = {
    # rainbow-like maps: the perceptually uniform default
    "jet": "viridis", "rainbow": "viridis", "turbo": "viridis", "hsv": "viridis",
    "spectral": "viridis", "nipy_spectral": "viridis", "winter": "viridis", "cool": "viridis",
    "ylgnbu": "viridis", "gnbu": "viridis", "blues": "viridis", "greens": "viridis",
    # heat maps (hits, errors): dark to bright
    "hot": "inferno", "afmhot": "inferno", "gist_heat": "inferno", "reds": "inferno",
    "ylorrd": "inferno", "orrd": "inferno", "oranges": "inferno", "ylorbr": "inferno",
    "autumn": "inferno",
    # diverging "bad = red" maps (somnium's quality map)
    "rdylgn": "magma", "rdylbu": "magma", "rdbu": "magma", "coolwarm": "magma",
    "bwr": "magma", "seismic": "magma",
    # grey scales (GEMA's U-matrix): the colour-blind-safe map with the most even lightness
    "binary": "cividis", "gray": "cividis", "grey": "cividis", "greys": "cividis",
    "bone": "cividis", "gist_gray": "cividis",
}


def resolve_colormap(value: object, default: str, parameter: str = "colormap") -> str:
    """The somwidget colour map for a seed library's colour-map argument.

    Parameters
    ----------
    value : str, matplotlib colormap (anything with a ``name``) or None
        ``None`` gives ``default``; one of somwidget's names is used as it is; a name in
        :data:`COLORMAP_SUBSTITUTES` gives its substitute. Any other name gives ``default``
        with a ``UserWarning`` naming the parameter.
    default : str
        One of somwidget's colour maps.
    parameter : str
        The argument's name (for the warning).
    """
    if value is None:
        return default
    name = getattr(value, "name", value)
    if not isinstance(name, str):
        raise TypeError(f"{parameter} must be a colour-map name or a matplotlib colormap; "
                        f"got {type(value).__name__}")
    key = name.strip().lower()
    if key in _OURS:
        return key
    base = key[:-2] if key.endswith("_r") else key
    if base in _OURS:
        return base
    if base in COLORMAP_SUBSTITUTES:
        return COLORMAP_SUBSTITUTES[base]
    warnings.warn(
        f"{parameter}={name!r} is not a colour map somwidget draws with; using {default!r} "
        f"(available: {', '.join(_OURS)})",
        UserWarning,
        stacklevel=3,
    )
    return default
