"""Map geometry: plane coordinates, grid distances, adjacency and wrap-around.

One convention is used everywhere (training, topographic error, U-matrix, drawing, saved models):

* neuron index ``k = row * cols + col`` (row-major);
* rect: ``x = col``, ``y = row``;
* hex: **odd rows (0-based) shifted right by 0.5**, row spacing ``sqrt(3)/2``, so that every
  interior unit has 6 neighbours at distance exactly 1;
* ``toroidal_*`` wraps both axes, ``cylindrical_*`` wraps the columns only (the left edge joins the
  right edge). Distances use the minimum image on every wrapped axis;
* grid distances are always Euclidean in the plane, whatever metric the data use.

Squared grid distances are computed exactly: the x offsets are multiples of 0.5 and the squared
row spacing is ``3/4`` (hex) or ``1`` (rect), so ``dx**2 + s**2 * drow**2`` is an exact binary
fraction. Neighbours therefore sit at distance ``1.0`` (and ``sqrt(2)`` for rect diagonals) to the
last bit, and kernels with a hard cut-off (bubble, cut_gaussian) behave identically on every unit.

Scaling to large maps
---------------------
Adjacency never goes through an M x M array: :meth:`Lattice.neighbor_pairs` is built in O(M)
from the neighbour offsets of the lattice kind (hex offsets depend on the row parity), with
wrap-around, and :meth:`Lattice.adjacency_sparse`, :meth:`Lattice.are_adjacent`,
:meth:`Lattice.neighbors` and :meth:`Lattice.neighbor_lists` derive from it. Only training needs
the dense squared grid distances (the batch neighbourhood matrix is M x M anyway); they are
filled in row blocks from two small exact tables, stored in float32 from
:data:`FLOAT32_MIN_NEURONS` neurons on (exact, ``4 * M**2`` bytes), and are the only M x M array
a large lattice caches. The dense :meth:`Lattice.adjacency` (``M**2`` bytes) is for small maps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._lazy import LazyModule
from .validation import check_choice, check_int, check_positive

__all__ = [
    "FLOAT32_MIN_NEURONS",
    "HEX_CELL_RADIUS",
    "HEX_OFFSET",
    "HEX_ROW_SPACING",
    "LATTICES",
    "Lattice",
    "check_lattice",
    "plane_coordinates",
]

sparse = LazyModule("scipy.sparse")

LATTICES = ("hexa", "rect", "toroidal_hexa", "toroidal_rect", "cylindrical_hexa", "cylindrical_rect")
LATTICE_ALIASES = {
    "hex": "hexa",
    "hexagonal": "hexa",
    "rectangular": "rect",
    "toroidal_hex": "toroidal_hexa",
    "cylindrical_hex": "cylindrical_hexa",
}
HEX_OFFSET = "odd_rows_right"
#: Vertical distance between hex rows: neighbours in adjacent rows are then exactly 1 apart.
HEX_ROW_SPACING = math.sqrt(3.0) / 2.0
#: Circumradius of a hex cell (pointy top): cells of neighbouring units share an edge.
HEX_CELL_RADIUS = 1.0 / math.sqrt(3.0)
RECT_ADJACENCIES = (4, 8)

#: Maps with at least this many neurons store their squared grid distances in float32
#: (exact, half the memory of float64); smaller maps use float64.
FLOAT32_MIN_NEURONS = 4096
# Elements of one block when filling an M x M array (8 Mi entries: 32-64 MiB of temporaries).
_BLOCK_ELEMENTS = 1 << 23


def plane_coordinates(rows: int, cols: int, shape: str) -> np.ndarray:
    """Plane coordinates ``(rows * cols, 2)`` of the neuron centres, ``[x, y]`` per neuron.

    Neuron ``k = row * cols + col``; rect: ``(col, row)``; hex (``shape="hexa"``): odd rows
    shifted right by 0.5 and rows :data:`HEX_ROW_SPACING` apart. The one definition used by
    :attr:`Lattice.coordinates` and by every picture.
    """
    r, c = np.divmod(np.arange(rows * cols), cols)
    x = c.astype(np.float64)
    if shape == "hexa":
        x = x + 0.5 * (r % 2)
    y = r * (HEX_ROW_SPACING if shape == "hexa" else 1.0)
    return np.column_stack([x, y]).astype(np.float64)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class Lattice:
    """A 2-D SOM lattice (map grid).

    Parameters
    ----------
    rows : int
        Number of rows (vertical size), at least 1.
    cols : int
        Number of columns (horizontal size), at least 1. ``rows * cols`` must be at least 2.
    kind : str
        One of ``"hexa"``, ``"rect"``, ``"toroidal_hexa"``, ``"toroidal_rect"``,
        ``"cylindrical_hexa"``, ``"cylindrical_rect"`` (``"hex"``/``"rectangular"`` accepted).
        A toroidal hex map needs an even number of rows.
    rect_adjacency : {4, 8}
        Which units count as adjacent on a rect map: 4 (SOM Toolbox, default) or 8 (MiniSom,
        diagonals included). Ignored on hex maps, where a unit always has 6 neighbours.

    Attributes
    ----------
    rows, cols, kind, rect_adjacency
        The constructor arguments (``kind`` canonical).
    shape : str
        ``"hexa"`` or ``"rect"``.
    wrap_rows, wrap_cols : bool
        Whether the rows (toroidal) / columns (toroidal or cylindrical) wrap around.
    n_neurons : int
        ``rows * cols``.
    coordinates : ndarray of shape (n_neurons, 2)
        Plane coordinates ``[x, y]`` (read-only), y growing downwards when drawn.
    period : tuple
        ``(x period, y period)``, each ``None`` when that axis does not wrap.

    Examples
    --------
    >>> lat = Lattice(4, 5, "hexa")
    >>> lat.neighbors(lat.index(1, 1)).tolist()
    [1, 2, 5, 7, 11, 12]
    """

    def __init__(self, rows: int, cols: int, kind: str = "hexa", rect_adjacency: int = 4) -> None:
        rows = check_int("rows", rows, minimum=1)
        cols = check_int("cols", cols, minimum=1)
        kind = check_choice("lattice", kind, LATTICES, LATTICE_ALIASES)
        rect_adjacency = check_int("rect_adjacency", rect_adjacency)
        if rect_adjacency not in RECT_ADJACENCIES:
            raise ValueError(f"rect_adjacency must be one of 4, 8; got {rect_adjacency!r}")
        if rows * cols < 2:
            raise ValueError(f"a map needs at least 2 neurons; got rows={rows}, cols={cols}")
        shape = "hexa" if kind.endswith("hexa") else "rect"
        wrap_rows = kind.startswith("toroidal")
        wrap_cols = wrap_rows or kind.startswith("cylindrical")
        if shape == "hexa" and wrap_rows and rows % 2 != 0:
            raise ValueError(
                f"a toroidal hex map needs an even number of rows (odd rows are shifted by half a "
                f"unit, so an odd row count cannot close into a torus); got rows={rows}. "
                f"Use an even row count (e.g. rows={rows + 1}) or lattice='cylindrical_hexa'"
            )
        self.rows = rows
        self.cols = cols
        self.kind = kind
        self.rect_adjacency = rect_adjacency
        self.shape = shape
        self.wrap_rows = wrap_rows
        self.wrap_cols = wrap_cols
        self.n_neurons = rows * cols
        self.row_spacing = HEX_ROW_SPACING if shape == "hexa" else 1.0

        self.coordinates = _readonly(plane_coordinates(rows, cols, shape))
        self.period: tuple[float | None, float | None] = (
            float(cols) if wrap_cols else None,
            float(rows) * self.row_spacing if wrap_rows else None,
        )
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ indexing
    def index(self, row: Any, col: Any) -> Any:
        """Neuron index ``row * cols + col`` (scalars or arrays).

        Raises
        ------
        ValueError
            If a row or column is out of range.
        """
        r = np.asarray(row)
        c = np.asarray(col)
        if r.dtype.kind not in "iu" or c.dtype.kind not in "iu":
            raise TypeError(f"row and col must be integers; got {row!r}, {col!r}")
        if np.any((r < 0) | (r >= self.rows)):
            raise ValueError(f"row must be in [0, {self.rows - 1}]; got {row!r}")
        if np.any((c < 0) | (c >= self.cols)):
            raise ValueError(f"col must be in [0, {self.cols - 1}]; got {col!r}")
        k = r * self.cols + c
        return int(k) if k.ndim == 0 else k

    def row_col(self, k: Any) -> tuple[Any, Any]:
        """``(row, col)`` of neuron index ``k`` (scalar or array)."""
        kk = self._check_k(k)
        r, c = np.divmod(kk, self.cols)
        if kk.ndim == 0:
            return int(r), int(c)
        return r, c

    def _check_k(self, k: Any) -> np.ndarray:
        kk = np.asarray(k)
        if kk.dtype.kind not in "iu":
            raise TypeError(f"neuron index must be an integer; got {k!r}")
        if np.any((kk < 0) | (kk >= self.n_neurons)):
            raise ValueError(f"neuron index must be in [0, {self.n_neurons - 1}]; got {k!r}")
        return kk

    # ------------------------------------------------------------------ distances
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

    def _distance_dtype(self) -> type:
        """float32 for maps above :data:`FLOAT32_MIN_NEURONS` neurons (exact, see the class doc)."""
        if self.n_neurons < FLOAT32_MIN_NEURONS:
            return np.float64
        # every squared distance is a multiple of 1/4: exact in float32 below 2**22
        bound = (self.cols**2 + self.rows**2) + 1
        return np.float32 if bound < 2**22 else np.float64

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
        """
        kk = self._check_k(units)
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

    # ------------------------------------------------------------------ adjacency
    def _offsets(self) -> list[np.ndarray]:
        """Neighbour offsets ``(drow, dcol)`` for a unit in an even / odd row."""
        if self.shape == "hexa":
            # odd rows shifted right: an even row touches columns c-1, c of the rows above and
            # below; an odd (shifted) row touches columns c, c+1.
            even = [(0, -1), (0, 1), (-1, -1), (-1, 0), (1, -1), (1, 0)]
            odd = [(0, -1), (0, 1), (-1, 0), (-1, 1), (1, 0), (1, 1)]
            return [np.array(even), np.array(odd)]
        off = [(0, -1), (0, 1), (-1, 0), (1, 0)]
        if self.rect_adjacency == 8:
            off += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
        return [np.array(off), np.array(off)]

    def neighbor_pairs(self) -> np.ndarray:
        """Every pair of adjacent units once, as an (P, 2) int64 array with ``i < j``.

        Sorted lexicographically, cached and read-only. Built in O(M) from the neighbour
        offsets of the lattice kind (hex offsets depend on the row parity), wrapping on wrapped
        axes; duplicates (tiny wrapped maps, where two offsets reach the same unit) and
        self-pairs are removed. ``16 * P`` bytes, ``P <= 4 M`` (hex: ``3 M``).
        """
        if "pairs" not in self._cache:
            R, C, M = self.rows, self.cols, self.n_neurons
            r, c = np.divmod(np.arange(M), C)
            par = r % 2
            src, dst = [], []
            for p, offsets in enumerate(self._offsets()):
                rows_p = par == p
                rp, cp, kp = r[rows_p], c[rows_p], np.flatnonzero(rows_p)
                for dr, dc in offsets:
                    r2, c2 = rp + dr, cp + dc
                    ok = np.ones(rp.shape, dtype=bool)
                    if self.wrap_rows:
                        r2 %= R
                    else:
                        ok &= (r2 >= 0) & (r2 < R)
                    if self.wrap_cols:
                        c2 %= C
                    else:
                        ok &= (c2 >= 0) & (c2 < C)
                    src.append(kp[ok])
                    dst.append(r2[ok] * C + c2[ok])
            a = np.concatenate(src).astype(np.int64)
            b = np.concatenate(dst).astype(np.int64)
            keep = a != b
            lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
            keys = np.unique(lo * M + hi)
            pairs = np.column_stack(np.divmod(keys, M)).astype(np.int64)
            self._cache["pairs"] = _readonly(pairs)
            self._cache["pair_keys"] = _readonly(keys)
        return self._cache["pairs"]

    def _csr_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, indices)`` of the symmetric adjacency, rows with sorted column indices."""
        if "csr" not in self._cache:
            pairs = self.neighbor_pairs()
            m = self.n_neurons
            rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
            cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
            order = np.argsort(rows * m + cols, kind="stable")
            indices = cols[order]
            indptr = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
            self._cache["csr"] = (_readonly(indptr), _readonly(indices))
        return self._cache["csr"]

    def adjacency_sparse(self) -> sparse.csr_array:
        """Boolean adjacency as a ``scipy.sparse.csr_array`` of shape (M, M).

        Symmetric, sorted indices, no diagonal; a fresh copy on every call (O(P), cheap), so it
        may be modified. Memory ``O(M)``: about ``10 * 2P`` bytes.
        """
        indptr, indices = self._csr_parts()
        mat = sparse.csr_array(
            (np.ones(indices.shape[0], dtype=bool), indices.copy(), indptr.copy()),
            shape=(self.n_neurons, self.n_neurons),
        )
        mat.has_sorted_indices = True
        return mat

    def are_adjacent(self, a: Any, b: Any) -> np.ndarray:
        """Whether units ``a[i]`` and ``b[i]`` are adjacent (vectorised; broadcasts).

        A hashed lookup of the pair keys ``min * M + max`` in the sorted neighbour pairs:
        ``O(N log P)`` time, no M x M array. A unit is never adjacent to itself.
        """
        aa = self._check_k(a).astype(np.int64)
        bb = self._check_k(b).astype(np.int64)
        self.neighbor_pairs()
        keys = self._cache["pair_keys"]
        q = np.minimum(aa, bb) * self.n_neurons + np.maximum(aa, bb)
        pos = np.searchsorted(keys, q)
        found = keys[np.minimum(pos, keys.shape[0] - 1)] == q
        return found & (aa != bb)

    def adjacency(self) -> np.ndarray:
        """Boolean adjacency matrix, shape (M, M), cached and read-only.

        Hex: grid distance 1 (6 neighbours inside the map). Rect: distance 1 (4 neighbours) or,
        with ``rect_adjacency=8``, distance 1 or sqrt(2). A unit is never its own neighbour.

        Dense, ``M**2`` bytes (100 MB for a 100 x 100 map): meant for small maps. Built from
        :meth:`neighbor_pairs`; large maps should use :meth:`neighbor_pairs`,
        :meth:`adjacency_sparse` or :meth:`are_adjacent` instead.
        """
        if "adj" not in self._cache:
            pairs = self.neighbor_pairs()
            adj = np.zeros((self.n_neurons, self.n_neurons), dtype=bool)
            adj[pairs[:, 0], pairs[:, 1]] = True
            adj[pairs[:, 1], pairs[:, 0]] = True
            self._cache["adj"] = _readonly(adj)
        return self._cache["adj"]

    def neighbors(self, k: int) -> np.ndarray:
        """Sorted indices of the units adjacent to neuron ``k`` (read-only)."""
        kk = self._check_k(k)
        if kk.ndim != 0:
            raise ValueError(f"neighbors takes a single neuron index; got {k!r}")
        indptr, indices = self._csr_parts()
        return indices[indptr[int(kk)] : indptr[int(kk) + 1]]

    def neighbor_counts(self) -> np.ndarray:
        """Number of neighbours of every unit, shape (M,) int64."""
        indptr, _ = self._csr_parts()
        return np.diff(indptr)

    def neighbor_lists(self) -> list[np.ndarray]:
        """For every neuron, the sorted indices of its adjacent units (read-only arrays).

        Views into one O(M) index array (no M x M array is built).
        """
        if "nl" not in self._cache:
            indptr, indices = self._csr_parts()
            self._cache["nl"] = np.split(indices, indptr[1:-1])
        return list(self._cache["nl"])

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

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, recording the coordinate convention."""
        return {
            "rows": self.rows,
            "cols": self.cols,
            "kind": self.kind,
            "rect_adjacency": self.rect_adjacency,
            "hex_offset": HEX_OFFSET,
            "row_spacing": self.row_spacing,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Lattice:
        """Rebuild a lattice from :meth:`to_dict`, refusing a different convention.

        Raises
        ------
        ValueError
            If keys are missing, the kind is unknown, or the dict records a hex offset or a row
            spacing other than somwidget's (``"odd_rows_right"``, ``sqrt(3)/2`` for hex).
        """
        if not isinstance(d, Mapping):
            raise TypeError(f"lattice dict must be a mapping; got {type(d).__name__}")
        missing = [key for key in ("rows", "cols", "kind") if key not in d]
        if missing:
            raise ValueError(f"lattice dict is missing {missing}")
        kind = d["kind"]
        if not isinstance(kind, str) or kind not in LATTICES:
            raise ValueError(
                f"lattice dict has unknown kind {kind!r}; expected one of "
                + ", ".join(repr(k) for k in LATTICES)
            )
        is_hex = kind.endswith("hexa")
        offset = d.get("hex_offset")
        if offset is None and is_hex:
            raise ValueError(
                "lattice dict for a hex map has no 'hex_offset'; refusing to guess the convention "
                f"(somwidget uses {HEX_OFFSET!r})"
            )
        if offset is not None and offset != HEX_OFFSET:
            raise ValueError(
                f"lattice dict uses hex_offset={offset!r}, but somwidget uses {HEX_OFFSET!r} "
                "(odd 0-based rows shifted right by 0.5); convert the model before loading it"
            )
        expected = HEX_ROW_SPACING if is_hex else 1.0
        spacing = d.get("row_spacing")
        if spacing is None and is_hex:
            raise ValueError(
                f"lattice dict for a hex map has no 'row_spacing'; expected {expected!r}"
            )
        if spacing is not None and not math.isclose(float(spacing), expected, rel_tol=1e-9):
            raise ValueError(
                f"lattice dict uses row_spacing={spacing!r}, but a {kind!r} map in somwidget has "
                f"row spacing {expected!r}"
            )
        return cls(d["rows"], d["cols"], kind, d.get("rect_adjacency", 4))

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lattice):
            return NotImplemented
        return (self.rows, self.cols, self.kind, self._effective_adjacency()) == (
            other.rows,
            other.cols,
            other.kind,
            other._effective_adjacency(),
        )

    def __hash__(self) -> int:
        return hash((self.rows, self.cols, self.kind, self._effective_adjacency()))

    def _effective_adjacency(self) -> int:
        return 6 if self.shape == "hexa" else self.rect_adjacency

    def __repr__(self) -> str:
        extra = f", rect_adjacency={self.rect_adjacency}" if self.shape == "rect" else ""
        return f"Lattice(rows={self.rows}, cols={self.cols}, kind={self.kind!r}{extra})"


def check_lattice(lattice: Any) -> Lattice:
    """Return ``lattice`` when it is a :class:`Lattice`.

    Raises
    ------
    TypeError
        Naming the parameter (``lattice must be a somwidget Lattice; got ...``) otherwise.
    """
    if not isinstance(lattice, Lattice):
        raise TypeError(f"lattice must be a somwidget Lattice; got {type(lattice).__name__}")
    return lattice
