"""Grid distances of a lattice: exact squared distances, the dense M x M matrix, radius search.

The :class:`~somwidget.lattice.Lattice` gets these methods from :class:`_GridDistancesMixin`.
Grid distances are always Euclidean in the plane (minimum image on wrapped axes), whatever
metric the data use.

Squared grid distances are computed exactly: the x offsets are multiples of 0.5 and the squared
row spacing is ``3/4`` (hex) or ``1`` (rect), so ``dx**2 + s**2 * drow**2`` is an exact binary
fraction. Neighbours therefore sit at distance ``1.0`` (and ``sqrt(2)`` for rect diagonals) to the
last bit, and kernels with a hard cut-off (bubble, cut_gaussian) behave identically on every unit.

Only training needs the dense squared grid distances (the batch neighbourhood matrix is M x M
anyway); they are filled in row blocks from two small exact tables, stored in float32 from
:data:`~somwidget.lattice.FLOAT32_MIN_NEURONS` neurons on (exact, ``4 * M**2`` bytes; the
lattice's ``_distance_dtype`` decides), and are the only M x M array a large lattice caches.
Everything else (rows of the matrix, the radius search, the diameter) is computed without one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .validation import check_positive

# Elements of one block when filling an M x M array (8 Mi entries: 32-64 MiB of temporaries).
_BLOCK_ELEMENTS = 1 << 23


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class _GridDistancesMixin:
    """The grid-distance methods of :class:`~somwidget.lattice.Lattice`.

    Uses the lattice's geometry attributes, its ``_cache`` dict, ``_check_k`` (neuron indices)
    and ``_distance_dtype`` (storage dtype of the M x M matrix).
    """

    rows: int
    cols: int
    shape: str
    wrap_rows: bool
    wrap_cols: bool
    n_neurons: int
    coordinates: np.ndarray
    period: tuple[float | None, float | None]
    _cache: dict[str, Any]

    # Squared grid distances are assembled from two small exact tables: a column table
    # ``colsq[p1, p2, c1, c2]`` (x offset in half units, by row parity) and a row table
    # ``rowsq[r1, r2]``, so no intermediate M x M integer or float array is ever built.
    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if "tables" not in self._cache:
            C, R = self.cols, self.rows
            n_par = 2 if self.shape == "hexa" else 1
            par = np.arange(n_par)
            c = np.arange(C)
            off = np.abs(
                2 * (c[None, None, None, :] - c[None, None, :, None])
                + (par[None, :, None, None] - par[:, None, None, None])
            )
            if self.wrap_cols:
                off = np.minimum(off, 2 * C - off)
            colsq = 0.25 * off.astype(np.float64) ** 2
            r = np.arange(R)
            dr = np.abs(r[None, :] - r[:, None])
            if self.wrap_rows:
                dr = np.minimum(dr, R - dr)
            rowsq = dr.astype(np.float64) ** 2 * (0.75 if self.shape == "hexa" else 1.0)
            parity = r % 2 if self.shape == "hexa" else np.zeros(R, dtype=np.intp)
            self._cache["tables"] = (colsq, rowsq, parity)
        return self._cache["tables"]

    def pairs_within(self, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All ordered pairs of units at grid distance at most ``radius``, each unit with itself.

        Found with a KD-tree over the plane coordinates (periodic on wrapped axes), in about
        ``O(M log M + pairs)``; the squared distances returned are the exact ones of
        :meth:`grid_distances_squared`, and the comparison with ``radius`` is done on them.

        Returns
        -------
        i, j : ndarray of intp
            The pairs, ``(i, j)`` and ``(j, i)`` both present.
        d2 : ndarray of float64
            Their squared grid distances, ``<= radius**2``.
        """
        r = check_positive("radius", radius, allow_zero=True)
        if "kdtree" not in self._cache:
            from scipy.spatial import KDTree

            xy = self.coordinates
            extent = xy.max(axis=0)
            # a non-wrapped axis gets a period so long that no pair reaches across it
            box = [p if p is not None else 2.0 * float(e) + 2.0
                   for p, e in zip(self.period, extent, strict=True)]
            self._cache["kdtree"] = KDTree(xy, boxsize=box)
        tree = self._cache["kdtree"]
        found = tree.sparse_distance_matrix(tree, r * (1.0 + 1e-9) + 1e-12, output_type="ndarray")
        i = found["i"].astype(np.intp)
        j = found["j"].astype(np.intp)
        colsq, rowsq, parity = self._tables()
        r1, c1 = np.divmod(i, self.cols)
        r2, c2 = np.divmod(j, self.cols)
        d2 = colsq[parity[r1], parity[r2], c1, c2] + rowsq[r1, r2]
        keep = d2 <= r * r
        return i[keep], j[keep], d2[keep]

    def axis_squared_distances(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The two per-axis parts of the squared grid distance (read-only copies).

        Returns
        -------
        colsq : ndarray (P, P, cols, cols)
            Squared horizontal distance from column ``c1`` of a row of parity ``p1`` to column
            ``c2`` of a row of parity ``p2`` (``P = 2`` on hex maps, where odd rows are shifted by
            half a unit; ``P = 1`` on rect maps), minimum image when columns wrap.
        rowsq : ndarray (rows, rows)
            Squared vertical distance between rows (``(3/4) dr**2`` on hex maps), minimum image
            when rows wrap.
        parity : ndarray (rows,)
            Each row's parity index into ``colsq``.

        Notes
        -----
        ``d²((r1, c1), (r2, c2)) = colsq[parity[r1], parity[r2], c1, c2] + rowsq[r1, r2]``
        exactly, so a kernel that factorises over the axes (the Gaussian) can be applied one axis
        at a time: O(M (rows + cols)) instead of O(M²).
        """
        colsq, rowsq, parity = self._tables()
        return colsq.copy(), rowsq.copy(), parity.copy()

    def _squared_rows_into(self, k: np.ndarray, out: np.ndarray) -> None:
        """Write the squared distances from units ``k`` to every unit into ``out`` (len(k), M)."""
        colsq, rowsq, parity = self._tables()
        if colsq.dtype != out.dtype:
            colsq, rowsq = colsq.astype(out.dtype), rowsq.astype(out.dtype)
        r1, c1 = np.divmod(k, self.cols)
        view = out.reshape(k.shape[0], self.rows, self.cols)
        np.add(
            colsq[parity[r1][:, None], parity[None, :], c1[:, None], :],
            rowsq[r1][:, :, None],
            out=view,
        )

    def _squared(self) -> np.ndarray:
        """Exact squared grid distances (see the module docstring), built block by block."""
        if "sq" not in self._cache:
            m = self.n_neurons
            sq = np.empty((m, m), dtype=self._distance_dtype())
            block = max(1, _BLOCK_ELEMENTS // m)
            for s in range(0, m, block):
                e = min(m, s + block)
                self._squared_rows_into(np.arange(s, e), sq[s:e])
            self._cache["sq"] = _readonly(sq)
        return self._cache["sq"]

    def grid_distances_squared(self) -> np.ndarray:
        """Squared grid distances, shape (M, M), cached and read-only.

        Exact (neighbours at ``1.0``, rect diagonals at ``2.0``). float64 for maps below
        :data:`FLOAT32_MIN_NEURONS` neurons, float32 above (still exact: every value is a
        multiple of 1/4 far below 2**22), so the one cached M x M array takes ``4 * M**2`` bytes
        (400 MB for a 100 x 100 map, 800 MB in float64). Built in row blocks without M x M
        temporaries. Only training needs it; adjacency, U-matrices and the topographic error
        never touch it. :meth:`release_grid_distances` frees it.
        """
        return self._squared()

    def grid_distances_squared_from(self, units: Any) -> np.ndarray:
        """Squared grid distances from the given units to every unit, shape (len(units), M).

        float64, exact. Uses the cached full matrix when it exists, otherwise computes only the
        requested rows (``8 * len(units) * M`` bytes), e.g. the BMU rows of a batch.

        Parameters
        ----------
        units : int or 1-D sequence of int
            Neuron indices in ``[0, M)``; one index gives one row of shape (M,), an empty
            sequence an array of shape (0, M).

        Raises
        ------
        TypeError
            If ``units`` holds non-integers.
        ValueError
            If an index is out of range or ``units`` has more than one dimension.
        """
        kk = self._check_k(units)
        if kk.ndim > 1:
            raise ValueError("units must be a neuron index or a 1-D sequence of them; got an "
                             f"array of shape {kk.shape}")
        flat = np.atleast_1d(kk).astype(np.intp, copy=False)
        if "sq" in self._cache:
            out = self._cache["sq"][flat].astype(np.float64, copy=False)
        else:
            out = np.empty((flat.shape[0], self.n_neurons))
            self._squared_rows_into(flat, out)
        return out[0] if kk.ndim == 0 else out

    def grid_distances(self) -> np.ndarray:
        """Euclidean grid distances in the plane (minimum image on wrapped axes).

        Returns
        -------
        ndarray of shape (n_neurons, n_neurons)
            Read-only. Below :data:`FLOAT32_MIN_NEURONS` neurons: float64 and cached (a second
            M x M array next to :meth:`grid_distances_squared`). Above: float32, computed from
            the squared distances on every call and *not* cached, so a large map never keeps
            two M x M arrays alive (``4 * M**2`` bytes per call).
        """
        if "d" in self._cache:
            return self._cache["d"]
        d = _readonly(np.sqrt(self._squared()))
        if d.dtype == np.float64:
            self._cache["d"] = d
        return d

    def release_grid_distances(self) -> None:
        """Drop the cached M x M arrays (grid distances and dense adjacency).

        They are rebuilt on demand. Neighbour pairs, the sparse adjacency and the neighbour
        lists (all O(M)) are kept.
        """
        for key in ("sq", "d", "adj"):
            self._cache.pop(key, None)

    @property
    def diameter(self) -> float:
        """The largest grid distance between two units.

        Computed from the units of the first and last columns only (O(rows * M), no M x M
        array): along a row the squared distance is convex in the column on a flat map, and
        depends only on the column difference on a wrapped one.
        """
        if "diameter" not in self._cache:
            ends = np.unique([0, self.cols - 1])
            src = (np.arange(self.rows)[:, None] * self.cols + ends[None, :]).ravel()
            best = 0.0
            block = max(1, _BLOCK_ELEMENTS // self.n_neurons)
            for s in range(0, src.shape[0], block):
                k = src[s : s + block]
                buf = np.empty((k.shape[0], self.n_neurons))
                self._squared_rows_into(k, buf)
                best = max(best, float(buf.max()))
            self._cache["diameter"] = math.sqrt(best)
        return self._cache["diameter"]
