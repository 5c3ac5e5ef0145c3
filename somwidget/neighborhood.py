"""Neighbourhood kernels ``h(d; r)`` on grid distances.

=============  ==========================================  =========
name           formula (d = grid distance, r = radius)     support
=============  ==========================================  =========
gaussian       ``exp(-d² / 2r²)``                          infinite
cut_gaussian   ``exp(-d² / 2r²) · 1[d ≤ r]``               compact
bubble         ``1[d ≤ r]``                                compact
epanechikov    ``max(0, 1 - d²/r²)``                       compact
mexican_hat    ``(1 - d²/r²) · exp(-d² / 2r²)``            infinite (negative for d > r)
=============  ==========================================  =========

The compact kernels are exactly 0 outside the radius: no epsilon floor, so a unit outside every
neighbourhood in a batch epoch keeps its weight instead of collapsing to the global mean (the
trainer deals with empty denominators explicitly). ``epanechicov`` (somnium's spelling) and
``epanechnikov`` are accepted aliases of ``epanechikov``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_choice, check_positive

__all__ = ["NEIGHBORHOODS", "NEIGHBORHOOD_ALIASES", "neighborhood_weights"]

NEIGHBORHOODS = ("gaussian", "bubble", "cut_gaussian", "mexican_hat", "epanechikov")
NEIGHBORHOOD_ALIASES = {
    "epanechicov": "epanechikov",
    "epanechnikov": "epanechikov",
    "cutgauss": "cut_gaussian",
    "gauss": "gaussian",
    "ep": "epanechikov",
}
#: Kernels that are exactly zero beyond the radius.
COMPACT_NEIGHBORHOODS = ("bubble", "cut_gaussian", "epanechikov")


def neighborhood_weights(
    name: str, distances: ArrayLike, radius: float, *, squared: bool = False
) -> np.ndarray:
    """Evaluate a neighbourhood kernel on grid distances.

    Parameters
    ----------
    name : str
        One of :data:`NEIGHBORHOODS` (or an alias such as ``"epanechicov"``).
    distances : array-like
        Non-negative grid distances, any shape (e.g. the rows of ``Lattice.grid_distances()``
        for the BMUs of a batch).
    radius : float
        Kernel radius (the Gaussian sigma), > 0.
    squared : bool, keyword-only
        If True, ``distances`` already holds *squared* grid distances
        (``Lattice.grid_distances_squared()``), which saves a square root per entry.

    Returns
    -------
    ndarray of float64, same shape as ``distances``
        The weights. 1 at distance 0 for every kernel.

    Raises
    ------
    ValueError
        For an unknown kernel, a radius that is not > 0, or negative/NaN distances.
    """
    name = check_choice("neighborhood", name, NEIGHBORHOODS, NEIGHBORHOOD_ALIASES)
    r = check_positive("radius", radius)
    d = np.asarray(distances, dtype=np.float64)
    if d.size and not (d.min() >= 0):
        raise ValueError("distances must be non-negative and not NaN")
    d2 = d if squared else d * d
    r2 = r * r
    if name == "gaussian":
        return np.exp(-d2 / (2.0 * r2))
    if name == "bubble":
        return (d2 <= r2).astype(np.float64)
    if name == "cut_gaussian":
        return np.where(d2 <= r2, np.exp(-d2 / (2.0 * r2)), 0.0)
    if name == "epanechikov":
        return np.maximum(0.0, 1.0 - d2 / r2)
    # mexican_hat
    return (1.0 - d2 / r2) * np.exp(-d2 / (2.0 * r2))
