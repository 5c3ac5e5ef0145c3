"""Map geometry: plane coordinates, grid distances, adjacency and wrap-around.

One convention is used everywhere (training, topographic error, U-matrix, drawing, saved models):

* neuron index ``k = row * cols + col`` (row-major);
* rect: ``x = col``, ``y = row``;
* hex: **odd rows (0-based) shifted right by 0.5**, row spacing ``sqrt(3)/2``, so that every
  interior unit has 6 neighbours at distance exactly 1;
* ``toroidal_*`` wraps both axes, ``cylindrical_*`` wraps the columns only (the left edge joins the
  right edge). Distances use the minimum image on every wrapped axis;
* grid distances are always Euclidean in the plane, whatever metric the data use.

The :class:`Lattice` holds this geometry (size, kind, coordinates, indexing, its dict form) and
gets its derived tables from two modules, one concept each: the exact grid distances
(:mod:`somwidget._lattice_distances`: the dense M x M matrix in row blocks, rows of it, the
radius search, the diameter) and the neighbour graph (:mod:`somwidget._lattice_adjacency`:
neighbour pairs, sparse and dense adjacency, neighbour lists, built in O(M)). The dtype of the one
M x M array a large lattice caches is decided here (:data:`FLOAT32_MIN_NEURONS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._keyword_checks import explained_signature
from ._lattice_adjacency import _AdjacencyMixin
from ._lattice_distances import _GridDistancesMixin, _readonly
from ._map_memory import check_map_memory
from .validation import check_choice, check_int

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


class Lattice(_GridDistancesMixin, _AdjacencyMixin):
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
    >>> from somwidget import Lattice
    >>> lat = Lattice(4, 5, "hexa")
    >>> lat.neighbors(lat.index(1, 1)).tolist()
    [1, 2, 5, 7, 11, 12]
    """

    @explained_signature(hint=lambda self, name: "a Lattice's shape is its kind= ('hexa', "
                         "'rect', ...)" if name in ("lattice", "shape", "topology") else None)
    def __init__(self, rows: int, cols: int, kind: str = "hexa", rect_adjacency: int = 4) -> None:
        rows = check_int("rows", rows, minimum=1)
        cols = check_int("cols", cols, minimum=1)
        kind = check_choice("lattice", kind, LATTICES, LATTICE_ALIASES)
        rect_adjacency = check_int("rect_adjacency", rect_adjacency)
        if rect_adjacency not in RECT_ADJACENCIES:
            raise ValueError(f"rect_adjacency must be one of 4, 8; got {rect_adjacency!r}")
        if rows * cols < 2:
            raise ValueError(f"a map needs at least 2 neurons; got rows={rows}, cols={cols}")
        check_map_memory(rows, cols, name="rows x cols")  # before any allocation
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
        if kk.size == 0 and kk.dtype.kind in "fO":  # [] is float64 to numpy: no units
            kk = kk.astype(np.intp)
        if kk.dtype.kind not in "iu":
            raise TypeError(f"neuron index must be an integer; got {k!r}")
        if np.any((kk < 0) | (kk >= self.n_neurons)):
            raise ValueError(f"neuron index must be in [0, {self.n_neurons - 1}]; got {k!r}")
        return kk

    def _distance_dtype(self) -> type:
        """float32 for maps above :data:`FLOAT32_MIN_NEURONS` neurons (exact, see the class doc)."""
        if self.n_neurons < FLOAT32_MIN_NEURONS:
            return np.float64
        # every squared distance is a multiple of 1/4: exact in float32 below 2**22
        bound = (self.cols**2 + self.rows**2) + 1
        return np.float32 if bound < 2**22 else np.float64

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
        if spacing is not None:
            try:
                if isinstance(spacing, bool):
                    raise TypeError
                value = float(spacing)
            except (TypeError, ValueError):
                raise ValueError(
                    f"lattice dict has row_spacing={spacing!r}, which is not a number; a {kind!r} "
                    f"map in somwidget has row spacing {expected!r}"
                ) from None
        if spacing is not None and not math.isclose(value, expected, rel_tol=1e-9):
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
