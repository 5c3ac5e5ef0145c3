"""The neighbour graph of a lattice: which units are adjacent, in O(M) memory.

The :class:`~somwidget.lattice.Lattice` gets these methods from :class:`_AdjacencyMixin`.
Adjacency never goes through an M x M array: :meth:`~_AdjacencyMixin.neighbor_pairs` is built
in O(M) from the neighbour offsets of the lattice kind (hex offsets depend on the row parity),
with wrap-around, and :meth:`~_AdjacencyMixin.adjacency_sparse`,
:meth:`~_AdjacencyMixin.are_adjacent`, :meth:`~_AdjacencyMixin.neighbors` and
:meth:`~_AdjacencyMixin.neighbor_lists` derive from it. The dense
:meth:`~_AdjacencyMixin.adjacency` (``M**2`` bytes) is for small maps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._lattice_distances import _readonly
from ._lazy import LazyModule

sparse = LazyModule("scipy.sparse")

#: Pairs :meth:`_AdjacencyMixin.are_adjacent` looks up at once (its int64 temporaries).
PAIR_BLOCK = 1 << 16


def _pairs_in(keys: np.ndarray, m: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each pair ``(a, b)`` is among the sorted pair ``keys`` (``min * m + max``) and
    not a unit with itself."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    q = np.minimum(a, b) * m + np.maximum(a, b)
    pos = np.searchsorted(keys, q)
    found = keys[np.minimum(pos, keys.shape[0] - 1)] == q
    return found & (a != b)


class _AdjacencyMixin:
    """The adjacency methods of :class:`~somwidget.lattice.Lattice`.

    Uses the lattice's geometry attributes, its ``_cache`` dict and ``_check_k`` (neuron
    indices).
    """

    rows: int
    cols: int
    shape: str
    rect_adjacency: int
    wrap_rows: bool
    wrap_cols: bool
    n_neurons: int
    _cache: dict[str, Any]

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

        ``a`` and ``b`` must have the same shape, or broadcast (e.g. one single unit); otherwise
        a ValueError naming both.

        A hashed lookup of the pair keys ``min * M + max`` in the sorted neighbour pairs:
        ``O(N log P)`` time, no M x M array. A unit is never adjacent to itself.
        """
        aa, bb = self._check_k(a), self._check_k(b)
        try:
            shape = np.broadcast_shapes(aa.shape, bb.shape)
        except ValueError:
            raise ValueError(
                "a and b must have the same length (or one be a single unit, numpy broadcasting); "
                f"got shapes {aa.shape} and {bb.shape}") from None
        self.neighbor_pairs()
        keys = self._cache["pair_keys"]
        if not shape:
            return _pairs_in(keys, self.n_neurons, aa, bb)
        # a block of the leading axis at a time: the int64 keys and their lookup for about
        # PAIR_BLOCK pairs, whatever the number of pairs asked
        A, B = np.broadcast_to(aa, shape), np.broadcast_to(bb, shape)
        out = np.empty(shape, dtype=bool)
        step = max(1, PAIR_BLOCK // max(1, math.prod(shape[1:])))
        for s in range(0, shape[0], step):
            out[s : s + step] = _pairs_in(keys, self.n_neurons, A[s : s + step], B[s : s + step])
        return out

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
