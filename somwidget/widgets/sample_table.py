"""SampleTable: a paged, sortable table of some rows of a (possibly huge) sample table.

Only the current page travels to the browser (``page_size`` rows of HTML), so a selection of a
million samples costs one page, never a million rows. Sorting is done in numpy on the shown rows
(a stable argsort of one column), paging by slicing the sorted positions.

The controls are plain ipywidgets (sort column, order, previous / next page); they are never
written by a training loop, so the kernel answers them on a subshell thread while a cell trains.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..validation import check_choice, check_int

__all__ = ["SampleTable"]

ORDERS = ("ascending", "descending")


def _cell(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "–"  # a missing value
        return ("inf" if v > 0 else "-inf") if np.isinf(v) else f"{float(v):.4g}"
    return html.escape(str(v))


def _sort_key(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An array whose argsort orders ``col`` (numbers numerically, anything else as text) and
    where ``col`` is missing (NaN, None, pd.NA, NaT: sorted last)."""
    if col.dtype.kind in "biu":
        return col, np.zeros(col.shape, dtype=bool)
    if col.dtype.kind == "f":
        return col, np.isnan(col)
    missing = np.asarray(pd.isna(col), dtype=bool).reshape(col.shape)
    present = col[~missing]
    if col.dtype == object and present.size and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
            for v in present):
        key = np.zeros(col.shape, dtype=np.float64)  # numbers in an object column: numerically
        key[~missing] = present.astype(np.float64)
        return key, missing
    key = np.full(col.shape, "", dtype=object)
    key[~missing] = [str(v) for v in present]
    return key.astype(str), missing


class SampleTable(widgets.VBox):
    """The rows at some positions of a sample table, one page at a time, sortable by any column.

    Parameters
    ----------
    columns : sequence of (name, ndarray of shape (N,))
        The columns, in display order (the first is the default sort column).
    index : pandas.Index of length N
        Row names shown in the first column.
    page_size : int, default 20
        Rows per page.

    Attributes
    ----------
    positions : ndarray of int
        The rows shown (0-based positions into the N rows), in their current sort order.
    page : int
        The current page (0-based).
    sort_by : str or None
        The sort column (None: the order the rows were given in).
    ascending : bool
        The sort order.
    """

    def __init__(self, columns: Sequence[tuple[str, np.ndarray]], index: pd.Index,
                 page_size: int = 20) -> None:
        self.page_size = check_int("page_size", page_size, minimum=1)
        names = [str(n) for n, _ in columns]
        dup = sorted({n for n in names if names.count(n) > 1}) if len(set(names)) < len(names) else []
        if dup:
            raise ValueError(f"columns must have distinct names; got {dup} more than once")
        self._columns: dict[str, np.ndarray] = {str(n): np.asarray(c) for n, c in columns}
        self._keys: dict[str, np.ndarray] = {}
        self._index = index
        self._lock = threading.RLock()
        self._given = np.zeros(0, dtype=np.intp)
        self.positions = self._given
        self.page = 0
        self.sort_by: str | None = None
        self.ascending = True
        self._html = widgets.HTML()
        self._info = widgets.HTML()
        small = widgets.Layout(width="auto")
        self._sort = widgets.Dropdown(options=["(as mapped)", *self._columns], value="(as mapped)",
                                      description="sort by", layout=widgets.Layout(width="190px"),
                                      style={"description_width": "48px"})
        self._order = widgets.ToggleButton(value=False, description="↑", tooltip="ascending / descending",
                                           layout=widgets.Layout(width="34px"))
        self._prev = widgets.Button(description="‹", tooltip="previous page", layout=small)
        self._next = widgets.Button(description="›", tooltip="next page", layout=small)
        self._sort.observe(lambda c: self.sort(None if c["new"] == "(as mapped)" else c["new"],
                                               self.ascending), names="value")
        self._order.observe(lambda c: self.sort(self.sort_by, not c["new"]), names="value")
        self._prev.on_click(lambda _: self.go(self.page - 1))
        self._next.on_click(lambda _: self.go(self.page + 1))
        bar = widgets.HBox([self._info, self._prev, self._next, self._sort, self._order],
                           layout=widgets.Layout(align_items="center", flex_flow="row wrap"))
        bar.add_class("somwidget-table-bar")
        super().__init__(children=[bar, self._html])
        self.add_class("somwidget-sample-table")
        self._render()

    # ------------------------------------------------------------------ data
    def set_column(self, name: str, values: np.ndarray) -> None:
        """Replace one column's values (e.g. the BMUs after the model changed) and redraw."""
        with self._lock:
            if name not in self._columns:
                raise ValueError(f"name must be one of {list(self._columns)}; got {name!r}")
            self._columns[name] = np.asarray(values)
            self._keys.pop(name, None)
            if self.sort_by == name:
                self.positions = self._ordered(self._given)
            self._render()

    def show(self, positions: np.ndarray) -> None:
        """Show these rows (back to the first page, the sort order kept)."""
        with self._lock:
            self._given = np.asarray(positions, dtype=np.intp).ravel()
            self.positions = self._ordered(self._given)
            self.page = 0
            self._render()

    def _rank(self, name: str) -> np.ndarray:
        """Dense rank of every row in column ``name`` (cached; missing: -1)."""
        r = self._keys.get(name)
        if r is None:
            key, missing = _sort_key(self._columns[name])
            _, inv = np.unique(key, return_inverse=True)
            r = inv.ravel().astype(np.int64)
            r[missing] = -1
            self._keys[name] = r
        return r

    def _ordered(self, pos: np.ndarray) -> np.ndarray:
        """``pos`` sorted by the sort column (stable: ties keep their given order; NaN last)."""
        if self.sort_by is None or pos.size == 0:
            return pos
        r = self._rank(self.sort_by)[pos]
        missing = r < 0
        r = r if self.ascending else -r
        r = np.where(missing, np.iinfo(np.int64).max, r)
        return pos[np.argsort(r, kind="stable")]

    # ------------------------------------------------------------------ controls
    @property
    def n_pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.positions.size // self.page_size))

    def go(self, page: int) -> None:
        """Show page ``page`` (clipped to the existing pages)."""
        with self._lock:
            self.page = int(min(max(page, 0), self.n_pages - 1))
            self._render()

    def sort(self, by: str | None, ascending: bool = True) -> None:
        """Sort the shown rows by column ``by`` (None: as given); back to the first page."""
        with self._lock:
            if by is not None:
                by = check_choice("by", by, tuple(self._columns))
            old = self.sort_by, self.ascending
            self.sort_by, self.ascending = by, bool(ascending)
            try:  # a column that cannot be ordered leaves the table as it was
                self.positions = self._ordered(self._given)
            except Exception:
                self.sort_by, self.ascending = old
                raise
            self.page = 0
            value = "(as mapped)" if by is None else by
            if self._sort.value != value:
                self._sort.value = value
            if self._order.value != (not self.ascending):
                self._order.value = not self.ascending
            self._order.description = "↑" if self.ascending else "↓"
            self._render()

    # ------------------------------------------------------------------ reading
    def page_positions(self) -> np.ndarray:
        """Positions of the rows on the current page, in display order."""
        s = self.page * self.page_size
        return self.positions[s: s + self.page_size]

    def page_frame(self) -> pd.DataFrame:
        """The current page as a DataFrame (what the browser shows)."""
        take = self.page_positions()
        return pd.DataFrame({n: c[take] for n, c in self._columns.items()},
                            index=self._index[take])

    def close(self) -> None:
        """Close the table and its controls and drop the columns (the caller's data)."""
        if "_lock" not in self.__dict__:  # construction refused (say, page_size=0): no controls
            super().close()
            return
        with self._lock:
            self._columns, self._keys = {}, {}
            self._index = pd.RangeIndex(0)
            self._given = self.positions = np.zeros(0, dtype=np.intp)
        for w in (self._html, self._info, self._sort, self._order, self._prev, self._next,
                  *self.children):
            w.close()
        super().close()

    # ------------------------------------------------------------------ drawing
    def _render(self) -> None:
        n = self.positions.size
        take = self.page_positions()
        s = self.page * self.page_size
        if n == 0:
            self._info.value = '<span class="somwidget-note">no samples</span>'
            self._html.value = ""
        else:
            self._info.value = (f'<span class="somwidget-note somwidget-page" data-page="{self.page}" '
                                f'data-pages="{self.n_pages}">rows {s + 1:,}–{s + take.size:,} '
                                f"of {n:,}</span>")
            head = "<th></th>" + "".join(
                f'<th{" class=sorted" if name == self.sort_by else ""}>{html.escape(name)}'
                + ((" ↑" if self.ascending else " ↓") if name == self.sort_by else "") + "</th>"
                for name in self._columns)
            cols = [c[take] for c in self._columns.values()]
            index = self._index[take]
            body = "".join(
                f"<tr><th>{_cell(index[r])}</th>" + "".join(f"<td>{_cell(c[r])}</td>" for c in cols)
                + "</tr>" for r in range(take.size))
            self._html.value = (f'<div class="somwidget-scroll"><table class="somwidget-table '
                                f'somwidget-samples" data-rows="{take.size}"><tr>{head}</tr>{body}'
                                "</table></div>")
        self._prev.disabled = self.page <= 0
        self._next.disabled = self.page >= self.n_pages - 1

