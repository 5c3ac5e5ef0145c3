"""Geometry of the input-space net: its edges as one polyline, a coarse net for big maps, and the
move arrows of one online update (used by :class:`~somwidget.widgets.input_space.InputSpaceView`)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "ARROW_MIN_WEIGHT", "MAX_NET_NEURONS", "coarse_net", "move_arrows", "net_polyline", "net_segments",
]

#: Maps with more neurons than this draw a coarser net: every s-th row and column of the lattice
#: (a 100 x 100 map's full net is 30,000 edges, ~0.8 MB per live frame and unreadable anyway).
MAX_NET_NEURONS = 1600


def coarse_net(rows: int, cols: int, max_neurons: int = MAX_NET_NEURONS) -> tuple[np.ndarray, np.ndarray, int]:
    """The neurons and edges of a coarse net: every ``s``-th row and column (the last ones
    included), joined along rows and columns. Returns ``(neurons, pairs, s)``; ``s == 1`` means
    the map is small enough for its full net (the caller keeps the lattice's own pairs)."""
    m = rows * cols
    s = max(1, int(np.ceil(np.sqrt(m / max_neurons))))
    if s == 1:
        return np.arange(m), np.zeros((0, 2), np.int64), 1
    rr = np.unique(np.r_[np.arange(0, rows, s), rows - 1])
    cc = np.unique(np.r_[np.arange(0, cols, s), cols - 1])
    grid = rr[:, None] * cols + cc[None, :]
    pairs = np.concatenate([np.column_stack([grid[:, :-1].ravel(), grid[:, 1:].ravel()]),
                            np.column_stack([grid[:-1, :].ravel(), grid[1:, :].ravel()])])
    return grid.ravel().astype(np.int64), pairs.astype(np.int64), s


#: Neurons whose neighbourhood weight is below this do not get a move arrow.
ARROW_MIN_WEIGHT = 0.05
_STEP_LEGEND = (
    "<div class='somwidget-step-legend' style='font-size:13px;line-height:1.6'>"
    "<b style='color:#d62728'>✚ sample</b> presented · "
    "<b style='color:#d62728'>● BMU</b> (best-matching unit) · "
    "<b>→</b> each neuron's move, old → new · "
    "<b style='color:#ff7f0e'>●</b> neighbourhood weight h (disc area = h, 1 at the "
    "BMU) · <span style='color:#777'>- - net before</span></div>"
)


def move_arrows(before: np.ndarray, after: np.ndarray, keep: np.ndarray,
                head: float) -> tuple[np.ndarray, np.ndarray]:
    """x and y of arrows from ``before`` to ``after`` for the ``keep`` neurons, one polyline
    broken by NaN: the shaft and two head strokes of ``head`` data units (at most 40 % of the
    shaft)."""
    b, a = before[keep], after[keep]
    d = a - b
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1e-12
    b, a, d, length = b[ok], a[ok], d[ok], length[ok]
    if not len(b):
        return np.zeros(0), np.zeros(0)
    u = d / length[:, None]
    h = np.minimum(head, 0.4 * length)[:, None]
    c, s = np.cos(np.pi / 7), np.sin(np.pi / 7)
    left = a - h * np.column_stack([u[:, 0] * c - u[:, 1] * s, u[:, 0] * s + u[:, 1] * c])
    right = a - h * np.column_stack([u[:, 0] * c + u[:, 1] * s, -u[:, 0] * s + u[:, 1] * c])
    nan = np.full_like(a, np.nan)
    pts = np.stack([b, a, nan, left, a, right, nan], axis=1).reshape(-1, 2)[:-1]  # see net_polyline
    return pts[:, 0], pts[:, 1]


def net_segments(adjacency: np.ndarray) -> np.ndarray:
    """Neighbour pairs ``(i, j)`` with ``i < j`` of a boolean adjacency matrix, shape (E, 2)."""
    adjacency = np.asarray(adjacency, dtype=bool)
    i, j = np.nonzero(np.triu(adjacency | adjacency.T, k=1))
    return np.column_stack([i, j]).astype(np.int64)


def net_polyline(points: np.ndarray, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of all segments as one polyline broken by NaN (one SVG path for the whole net)."""
    e = segments.shape[0]
    xy = np.full((e, 3, 2), np.nan)
    xy[:, 0] = points[segments[:, 0]]
    xy[:, 1] = points[segments[:, 1]]
    xy = xy.reshape(-1, 2)[:-1]  # no trailing NaN: bqplot places the line's end label there
    return xy[:, 0], xy[:, 1]
