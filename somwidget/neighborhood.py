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

import functools
import math

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_choice, check_positive

__all__ = [
    "BMU_ONLY_R2",
    "COMPACT_NEIGHBORHOODS",
    "NEIGHBORHOODS",
    "NEIGHBORHOOD_ALIASES",
    "neighborhood_weights",
    "width_factor",
]

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
#: Below this squared radius every kernel is the BMU alone (1 at distance 0, else 0): the
#: limit at radius 0, and already what each kernel's formula gives there, since the nearest
#: other unit is at least 0.75 away in squared grid units (``exp(-0.375e200)`` is 0), while
#: ``1 / r^2`` and ``d^2 / r^2`` would overflow for radii near 1e-160 (NaN weights).
BMU_ONLY_R2 = 1e-200


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
    d = np.asarray(distances)
    if d.dtype.kind not in "biuf":
        raise TypeError(f"distances must be numbers (grid distances); got an array of dtype "
                        f"{d.dtype}")
    if d.ndim == 0:  # a single distance: the kernels write into arrays, so as shape (1,)
        return neighborhood_weights(name, d.reshape(1), radius, squared=squared).reshape(())
    if d.dtype.kind != "f":
        d = d.astype(np.float64)
    if d.size and not (d.min() >= 0):
        raise ValueError("distances must be non-negative and not NaN")
    # Large maps pass float32 M x M distances: compute in float64 straight into the result (one
    # M x M float64 array, two for mexican_hat), with no float64 copy of the input first.
    # ``scratch`` is an M x M float64 array this function owns and may overwrite, if any.
    if squared:
        d2, scratch = d, None
    else:
        d2 = scratch = np.multiply(d, d, dtype=np.float64)
    r2 = np.float64(r * r)  # a numpy scalar: comparisons with float32 distances run in float64
    if r2 < BMU_ONLY_R2:  # the BMU alone (see BMU_ONLY_R2)
        return (d2 == 0).astype(np.float64)
    if name == "bubble":
        return (d2 <= r2).astype(np.float64)
    if name == "epanechikov":
        w = np.divide(d2, r2, out=scratch, dtype=np.float64)
        np.subtract(1.0, w, out=w)
        return np.maximum(w, 0.0, out=w)
    if name == "mexican_hat":
        hat = np.divide(d2, r2, dtype=np.float64)
        np.subtract(1.0, hat, out=hat)
    outside = (d2 > r2) if name == "cut_gaussian" else None
    w = np.divide(d2, -2.0 * r2, out=scratch, dtype=np.float64)  # == -d2 / (2 r2), exactly
    np.exp(w, out=w)
    if outside is not None:
        w[outside] = 0.0
    elif name == "mexican_hat":
        with np.errstate(invalid="ignore"):
            np.multiply(hat, w, out=w)
        if hat.size and not np.isfinite(hat.min()):
            w[np.isinf(hat)] = 0.0  # -inf * 0 at an infinite distance: the limit 0
    return w


def width_factor(name: str) -> float:
    """The radius at which kernel ``name`` weighs a unit's direct neighbours (grid distance 1) as
    the Gaussian does at radius 1, ``exp(-1/2)``.

    1 for the Gaussian, the cut Gaussian and the bubble (which keeps neighbours at ``d = r``);
    ``1 / sqrt(1 - exp(-1/2)) = 1.594`` for the Epanechikov kernel; ``1.836`` for the Mexican hat
    (root of ``(1 - u) exp(-u/2) = exp(-1/2)``, ``u = 1 / r**2``). Schedules that end at radius 1
    (``SOM.fit_auto``) multiply their radii by it, so the kernels that vanish at ``d = r`` still
    couple neighbours at the end.
    """
    return _width_factor(check_choice("neighborhood", name, NEIGHBORHOODS, NEIGHBORHOOD_ALIASES))


@functools.cache
def _width_factor(name: str) -> float:
    target = math.exp(-0.5)
    if name == "epanechikov":
        return 1.0 / math.sqrt(1.0 - target)
    if name == "mexican_hat":
        from scipy.optimize import brentq

        u = brentq(lambda u: (1.0 - u) * math.exp(-u / 2.0) - target, 0.0, 1.0, xtol=1e-15)
        return 1.0 / math.sqrt(u)
    return 1.0
