"""Categorical palettes for per-neuron categories (clusters, classes, any label per neuron).

Two palettes live in ``colormaps.json`` (the one colour file Python and the front end share):

``"okabe_ito"``
    The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), seven colours told apart
    with every common colour-vision deficiency; its eighth colour, black, is left out because
    borders, outlines and text are drawn in dark colours.
``"tableau"``
    Tableau 10 and its 10 lighter companions (:data:`~.colormaps.CATEGORICAL`, the label
    palette of the label maps); more colours, but not all of them are distinct for everyone.

A view sends one colour per category (``category_colors``), so the browser and the static picture
draw the same colour for a category whatever the palette.

For clusters (:func:`cluster_colors`) the palette is Okabe–Ito; when there are more clusters
than colours, the clusters are coloured so that no two neighbouring clusters share a colour (a
greedy DSATUR colouring of the cluster adjacency graph; seven colours are always enough on the
maps seen in practice, and any map on a plane needs at most four), and the borders tell the
clusters apart. Only when the colouring needs more than seven colours does it fall back to
Tableau's 20. Above :data:`MAX_COLORED` (256) clusters there is no colouring: Tableau's 20 are
cycled in cluster order, and neighbouring clusters may share a colour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from ..validation import check_choice
from .colormaps import CATEGORICAL

__all__ = ["OKABE_ITO", "OTHER_COLOR", "PALETTES", "cap_categories", "category_colors", "cluster_colors",
           "greedy_coloring"]

#: Above this many clusters :func:`cluster_colors` cycles Tableau's 20 instead of colouring.
MAX_COLORED = 256

_HEX6 = re.compile(r"^#[0-9a-fA-F]{6}$")


def _okabe_ito() -> tuple[str, ...]:
    data = json.loads(resources.files(__package__).joinpath("colormaps.json").read_text(encoding="utf-8"))
    colours = tuple(data["okabe_ito"])
    bad = [c for c in colours if not _HEX6.match(str(c))]
    if bad or not colours:
        raise ValueError(f"colormaps.json: okabe_ito must hold '#rrggbb' colours; got {bad[:3]}")
    return colours


#: The Okabe–Ito palette without black (7 colours).
OKABE_ITO: tuple[str, ...] = _okabe_ito()
#: The named palettes.
PALETTES: dict[str, tuple[str, ...]] = {"okabe_ito": OKABE_ITO, "tableau": CATEGORICAL}


def _palette(palette: Any, n: int) -> tuple[str, ...]:
    """The colours of ``palette``: a name, a list of ``#rrggbb``, or None (Okabe–Ito up to 7
    categories, else Tableau's 20)."""
    if palette is None or (isinstance(palette, str) and palette.lower() == "auto"):
        return OKABE_ITO if n <= len(OKABE_ITO) else CATEGORICAL
    if isinstance(palette, str):
        return PALETTES[check_choice("palette", palette, (*PALETTES, "auto"))]
    colours = tuple(palette) if isinstance(palette, Sequence) else None
    if not colours or not all(isinstance(c, str) and _HEX6.match(c) for c in colours):
        raise ValueError("palette must be 'okabe_ito', 'tableau', 'auto' or a list of '#rrggbb' "
                         f"colours; got {palette!r}")
    return tuple(c.lower() for c in colours)


def category_colors(n: int, palette: Any = None) -> list[str]:
    """One colour per category ``0 .. n-1``, cycling through the palette."""
    colours = _palette(palette, int(n))
    return [colours[i % len(colours)] for i in range(int(n))]


#: The neutral grey of the categories beyond the palette ("N other classes"); not a palette
#: colour, nor the light grey of neurons without a category.
OTHER_COLOR = "#8c8c8c"


def cap_categories(codes: np.ndarray, names: Sequence[str], counts: np.ndarray,
                   palette: Any = None, other: str = "classes",
                   ) -> tuple[np.ndarray, list[str], list[str]]:
    """Categories within the palette: ``(codes, names, colours)`` with no colour for two.

    Up to as many categories as the palette has colours nothing changes (the palette's colours
    in category order). Beyond, the most frequent categories (``counts``, one per category;
    most frequent first, ties in category order) keep one colour each, and all the others
    become one last category, ``"N other <other>"``, drawn in :data:`OTHER_COLOR`.

    Parameters
    ----------
    codes : array of float or int, shape (n_neurons,)
        Category id per neuron (negative or NaN: none, kept as it is).
    names : sequence of str
        The category names, one per id.
    counts : array, shape (len(names),)
        How frequent each category is (samples, or neurons).
    palette : str or list of str, optional
        The palette (:func:`category_colors`).
    other : str
        What the categories are called in the "N other ..." entry.
    """
    n = len(names)
    colours = _palette(palette, n)
    if n <= len(colours):
        return np.asarray(codes), list(names), category_colors(n, palette)
    k = len(colours)
    order = np.lexsort((np.arange(n), -np.asarray(counts, dtype=np.float64)))  # most frequent first
    new_code = np.full(n, k, dtype=np.int64)
    new_code[order[:k]] = np.arange(k)
    arr = np.asarray(codes, dtype=np.float64)
    valid = np.isfinite(arr) & (arr >= 0)
    out = np.where(valid, new_code[np.where(valid, arr, 0).astype(np.int64)], arr)
    out_names = [str(names[i]) for i in order[:k]] + [f"{n - k:,} other {other}"]
    return out, out_names, [*colours, OTHER_COLOR]


def greedy_coloring(adjacency: np.ndarray, n_colors: int | None = None) -> np.ndarray:
    """DSATUR colouring of a graph: colour ids (int64) with neighbours always different.

    Vertices are coloured most-constrained first (most distinct neighbour colours, then highest
    degree, then lowest id). Each takes, among the first ``n_colors`` colours its neighbours do
    not use, the one used least so far (the palette is spread evenly); only when all of them are
    taken does it get a new colour id ``>= n_colors``.

    Parameters
    ----------
    adjacency : (k, k) bool array, symmetric
    n_colors : int, optional
        Colours available (default: as few as the greedy order needs).
    """
    adj = np.asarray(adjacency, dtype=bool)
    k = adj.shape[0]
    colour = np.full(k, -1, dtype=np.int64)
    degree = adj.sum(axis=1)
    used_count: dict[int, int] = {}
    for _ in range(k):
        todo = np.flatnonzero(colour < 0)
        sat = np.array([len({int(c) for c in colour[adj[v]] if c >= 0}) for v in todo])
        v = int(todo[np.lexsort((todo, -degree[todo], -sat))[0]])
        taken = {int(c) for c in colour[adj[v]] if c >= 0}
        free = [c for c in range(n_colors or 0) if c not in taken]
        if free:
            pick = min(free, key=lambda c: (used_count.get(c, 0), c))
        else:
            pick = next(c for c in range(n_colors or 0, k + 1 + (n_colors or 0)) if c not in taken)
        colour[v] = pick
        used_count[pick] = used_count.get(pick, 0) + 1
    return colour


def cluster_colors(adjacency: np.ndarray, palette: Any = "okabe_ito") -> list[str]:
    """One colour per cluster: palette order while the palette has enough colours, else a
    colouring where neighbouring clusters (``adjacency``, (k, k) bool) never share one; above
    :data:`MAX_COLORED` clusters Tableau's 20 cycled, without the colouring."""
    adj = np.asarray(adjacency, dtype=bool)
    k = adj.shape[0]
    colours = _palette(palette, k)
    if k <= len(colours):
        return list(colours[:k])
    if k > MAX_COLORED:  # hundreds of clusters: no colouring is readable anyway; cycle
        return category_colors(k, "tableau")
    ids = greedy_coloring(adj, len(colours))
    if int(ids.max()) < len(colours):
        return [colours[int(i)] for i in ids]
    wide = greedy_coloring(adj, len(CATEGORICAL))  # needs more colours than the palette has
    return [CATEGORICAL[int(i) % len(CATEGORICAL)] for i in wide]
