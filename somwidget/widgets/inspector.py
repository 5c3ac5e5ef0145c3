"""NeuronInspector: what the selected neuron(s) stand for.

For the neurons in a :class:`~somwidget.widgets.selection.Selection` it shows

* a summary: how many neurons and samples, the quantization error, and a table of the neurons
  with the most hits first (``max_neurons`` of them, saying "k of n" when there are more);
* a bqplot chart of the codebook against the data: per-feature z-score ``(w - mean) / sd`` in
  data units over the data's ±1 sd band, with round ticks. Up to ``max_lines`` neurons are drawn
  one line each (most hits first); a bigger selection is summarised as the mean of its codebook
  vectors with a ±1 sd band across them (and the mean of its samples, dashed);
* the samples mapped there in a paged, sortable :class:`~.sample_table.SampleTable` (labels and
  extra columns included; only one page of rows ever travels to the browser), and the codebook
  values in data units.

Every row a caption counts is on screen: the tables scroll sideways when there are many columns,
never down (a page of the sample table and the ``max_neurons`` summary rows are shown whole).

The BMU of every sample and its distance are computed once per refresh (one pass, or handed in
by the Explorer's shared pass); a selection change only reads those cached arrays, so selecting
10,000 neurons of a 100 x 100 map costs a few bincounts, not a distance matrix.

The inspector follows the Selection through a Python observer. That observer may run on a kernel
subshell thread while a training cell keeps the main thread busy, so it only reads cached arrays,
builds the new content and assigns it in one go under a lock. The HTML of the summary, the
codebook values and the legend is built by :mod:`.inspector_html`, the static chart by
:mod:`.inspector_picture`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..validation import NAN_HINT, check_array, check_bmus, check_int, check_positive
from ._base import ViewBase, _closed_guard
from ._chart_theme import theme_chart
from ._common import (
    as_frame,
    as_labels,
    check_selection,
    ensure_initialized,
    feature_names,
    sample_index,
)
from .inspector_html import legend_html, summary_html, vector_html
from .inspector_picture import LINE_COLORS as _LINE_COLORS
from .inspector_picture import chart_picture, round_ticks, tick_names
from .live import Throttle
from .pictures.compose import Picture
from .sample_table import SampleTable
from .selection import Selection, check_sample_columns

__all__ = ["NeuronInspector", "round_ticks", "tick_names"]


def _mean_sd(data: np.ndarray, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population sd of the values present (NaN, a missing value, left
    out; NaN for a column without any), in chunks (no full-size temporary for 1M rows)."""
    n, d = data.shape
    total, count, ss = np.zeros(d), np.zeros(d), np.zeros(d)
    for s in range(0, n, chunk):
        c = np.asarray(data[s:s + chunk], dtype=np.float64)  # float32 data: sums in float64
        present = ~np.isnan(c)
        total += np.where(present, c, 0.0).sum(axis=0)
        count += present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        for s in range(0, n, chunk):
            c = np.asarray(data[s:s + chunk], dtype=np.float64) - mean
            c = np.where(np.isnan(c), 0.0, c)
            ss += np.einsum("ij,ij->j", c, c)
        return mean, np.where(count > 0, np.sqrt(ss / np.maximum(count, 1)), np.nan)


def _guarded(method: Any) -> Any:
    """``method`` refused on a closed inspector (its data are gone) with a clear error."""
    return _closed_guard(method, "this {} is closed: it has no samples (build a new one)")


#: At most this many feature names under the chart (a 320 px inspector fits 14 at 45°).
_MAX_TICK_LABELS = 14


class NeuronInspector(ViewBase, widgets.VBox):
    """Details of the selected neuron(s): summary, codebook chart and the samples mapped there.

    Parameters
    ----------
    som : SOM
        The estimator. If it is not initialised yet it is initialised from ``X``.
    X : array-like or pandas.DataFrame, shape (N, D)
        Data in data units (the same columns the SOM was trained on).
    labels : array-like of shape (N,), optional
        A class label per sample, shown in the sample table.
    extra : pandas.DataFrame or array-like with N rows, optional
        Additional per-sample columns shown in the sample table (ids, names, ...).
    selection : Selection, optional
        The shared selection to follow. A new one is created when omitted.
    max_rows : int, default 20
        Sample rows per page of the sample table.
    max_lines : int, default 4
        Up to this many selected neurons are drawn one line each; more are summarised as their
        mean with a ±1 sd band.
    max_neurons : int, default 8
        Neurons listed in the summary table (most hits first; it says "k of n" when there are
        more).
    max_rate_hz : float, default 15
        Refresh rate cap when the inspector is used on its own as a training callback.
    bmus, distances : ndarray of shape (N,), optional
        The BMU of every sample of ``X`` and its distance (``som.best_matching_units(X, k=1)``),
        when the caller computed them already (the Explorer's shared pass).

    Attributes
    ----------
    selection : Selection
        The followed selection.
    throttle : Throttle
        Rate limit used when the inspector itself is a training callback.
    neurons : list of int
        The neurons currently shown (sorted; the summary, chart and table list them most hits
        first, ties by index).
    table : SampleTable
        The paged, sortable table of the samples mapped to the selection.
    """

    _released_attributes = ("som", "_X", "_index", "_labels", "_extra", "_bmus", "_dist",
                            "_planes", "_mean", "_sd", "_raw_sd")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        labels: Any = None,
        *,
        extra: Any = None,
        selection: Selection | None = None,
        max_rows: int = 20,
        max_lines: int = 4,
        max_neurons: int = 8,
        max_rate_hz: float = 15.0,
        bmus: Any = None,
        distances: Any = None,
        _checked: tuple[np.ndarray, list[str] | None] | None = None,
    ) -> None:
        if X is None:
            raise ValueError("X is required: the samples listed for the selected neurons")
        if _checked is not None:  # the Explorer's data, already checked: shared, not copied
            data, names = _checked
        else:  # float32 stays float32 (statistics are summed in float64)
            data, names = check_array("X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
                                       nan_hint=NAN_HINT, keep_float32=True)
        n = data.shape[0]
        self.max_rows = check_int("max_rows", max_rows, minimum=1)
        self.max_lines = check_int("max_lines", max_lines, minimum=1)
        self.max_neurons = check_int("max_neurons", max_neurons, minimum=1)
        check_selection(selection)
        ensure_initialized(som, X, data)
        self.som = som
        self._X = data
        self._index = sample_index(X, n)
        self.feature_names: list[str] = feature_names(names, som, data.shape[1])
        self._labels = as_labels(labels, n)
        self._extra = as_frame(extra, n, "extra")
        # the sample table's columns: neuron, label, extra, features (a clash would drop one)
        added = ["neuron", *(["label"] if self._labels is not None else [])]
        check_sample_columns(self.feature_names, added, "X", "the sample table adds them")
        if self._extra is not None:
            check_sample_columns(self._extra.columns, [*added, *self.feature_names], "extra",
                                 "the features of X and the columns the sample table adds")
        self._mean, self._raw_sd = _mean_sd(data)
        self._sd = np.where(self._raw_sd > 0, self._raw_sd, 1.0)  # NaN > 0 is False: 1
        self._bmus = np.zeros(n, dtype=np.intp)
        self._dist = np.zeros(n)
        self._planes = np.zeros((som.n_neurons_, data.shape[1]))
        self._lock = threading.RLock()
        self.neurons: list[int] = []
        if selection is None:
            selection = self._own(Selection())
        else:
            self._share(selection)
        self.selection = selection

        self._summary = widgets.HTML()
        self._legend = widgets.HTML()
        self._vector = widgets.HTML()
        self._samples = widgets.HTML()
        self.table = SampleTable(self._table_columns(), self._index, page_size=self.max_rows)
        self._build_chart()
        self._tabs = widgets.Tab(children=[widgets.VBox([self._samples, self.table]), self._vector])
        self._tabs.titles = ("samples", "codebook values")
        super().__init__(
            children=[self._summary, self._legend, self._figure, self._tabs],
            layout=widgets.Layout(min_width="320px", flex="1 1 340px"),
        )
        self.add_class("somwidget-inspector")
        self.max_rate_hz = check_positive("max_rate_hz", max_rate_hz)
        self.throttle = Throttle(self.max_rate_hz)
        self._observe_selection(self.selection, self._on_selection)
        self.refresh(bmus=bmus, distances=distances)

    # ------------------------------------------------------------------ construction
    def _table_columns(self) -> list[tuple[str, np.ndarray]]:
        cols: list[tuple[str, np.ndarray]] = [("neuron", self._bmus)]
        if self._labels is not None:
            cols.append(("label", self._labels))
        if self._extra is not None:
            cols += [(str(c), self._extra[c].to_numpy()) for c in self._extra.columns]
        cols += [(name, self._X[:, j]) for j, name in enumerate(self.feature_names)]
        return cols

    def _points(self, y: np.ndarray) -> np.ndarray:
        """A profile's values as the chart's points: with one feature each value twice (a
        one-point line is a 0-d array once bqplot squeezes it, which its marks refuse)."""
        return np.repeat(y, 2, axis=-1) if len(self.feature_names) == 1 else y

    def _build_chart(self) -> None:
        d = len(self.feature_names)
        names = tick_names(self.feature_names)
        xs = self._points(np.asarray(names, dtype=object))
        pts = self._points
        self._sx = bq.OrdinalScale(domain=names)
        self._sy = bq.LinearScale(min=-2.0, max=2.0)
        scales = {"x": self._sx, "y": self._sy}
        self._band = bq.Lines(
            x=xs, y=pts(np.vstack([-np.ones(d), np.ones(d)])), scales=scales, fill="between",
            fill_colors=["#9e9e9e"], fill_opacities=[0.3], colors=["#9e9e9e"],
            stroke_width=0.5, labels=["-1 sd", "+1 sd"],
        )
        self._zero = bq.Lines(x=xs, y=pts(np.zeros(d)), scales=scales, colors=["#888888"],
                              line_style="dashed", stroke_width=1)
        self._spread = bq.Lines(
            x=xs, y=pts(np.zeros((2, d))), scales=scales, fill="between", fill_colors=[_LINE_COLORS[0]],
            fill_opacities=[0.25], colors=[_LINE_COLORS[0]], stroke_width=0.5, visible=False,
        )
        self._sample_mean = bq.Lines(x=xs, y=pts(np.zeros(d)), scales=scales, colors=[_LINE_COLORS[1]],
                                     line_style="dashed", stroke_width=2, visible=False)
        self._lines = bq.Lines(
            x=xs, y=pts(np.zeros((1, d))), scales=scales, colors=_LINE_COLORS, marker="circle",
            marker_size=24, stroke_width=2, visible=False, labels=[""],
        )
        top, ticks = round_ticks(2.0)
        # short title and axis label: at the inspector's 320 px the long ones ran into each
        # other and off the figure (the legend says what the grey band is)
        self._ax_y = bq.Axis(scale=self._sy, side="left", label="sd from mean",
                             tick_values=ticks, tick_format=".2~f", grid_lines="dashed")
        # names at 45°, each ending at its tick (anchored at the end, so none reaches up into the
        # plot); every k-th name when more than fit side by side
        step = -(-d // _MAX_TICK_LABELS)
        self._ax_x = bq.Axis(scale=self._sx, tick_rotate=-45, tick_values=names[::step],
                             tick_style={"font-size": "10px", "text-anchor": "end"})
        self._figure = bq.Figure(
            marks=[self._band, self._zero, self._spread, self._sample_mean, self._lines],
            axes=[self._ax_x, self._ax_y],
            title="codebook vs data (z-scores)",
            fig_margin={"top": 28, "bottom": 78, "left": 60, "right": 24},
            # as wide as the inspector, margins included: ipywidgets' 2 px side margins on a
            # 100 % wide figure made the inspector 4 px wider inside than it is, and scroll
            layout=widgets.Layout(width="100%", height="230px", min_width="320px",
                                  margin="2px 0px"),
            title_style={"font-size": "12px"},
        )
        theme_chart(self._figure)

    # ------------------------------------------------------------------ updates
    def refresh(self, som: Any = None, bmus: Any = None, distances: Any = None, **_: Any) -> None:
        """Recompute from the model (after training) and redraw.

        Parameters
        ----------
        som : SOM, optional
            A new model to follow (defaults to the current one).
        bmus, distances : ndarray of shape (N,), optional
            Precomputed BMU of every sample of ``X`` and its distance (the Explorer computes
            them once per refresh and shares them); one ``som.best_matching_units(X, k=1)`` pass
            when omitted.
        """
        if som is not None:
            self.som = som
        som = self.som
        n = self._X.shape[0]
        if bmus is not None:  # handed in: indices of this map's neurons
            bmus = check_bmus("bmus", bmus, int(som.n_neurons_))
        if bmus is None or distances is None:
            idx, dist = som.best_matching_units(self._X, k=1)
            if bmus is None:
                bmus = idx[:, 0]
                distances = dist[:, 0]
            else:  # BMUs handed in: their distances from the pass where they agree
                b = np.asarray(bmus, dtype=np.intp)
                distances = np.where(b == idx[:, 0], dist[:, 0], np.nan) if b.shape == (n,) else None
        bmus = np.asarray(bmus, dtype=np.intp)
        if bmus.shape != (n,):
            raise ValueError(f"bmus must have shape ({n},); got {bmus.shape}")
        distances = np.asarray(distances, dtype=np.float64)
        if distances.shape != (n,):
            raise ValueError(f"distances must have shape ({n},); got {distances.shape}")
        planes = np.asarray(som.component_planes(), dtype=np.float64)
        # the map's size bounds the selection, as a lattice view's does (a neuron 999 of a
        # 20-neuron map is refused, not shown as "no neuron selected")
        self.selection.n_neurons = int(planes.shape[0])
        with self._lock:
            self._bmus = bmus
            self._dist = distances
            self._planes = planes
            self.table.set_column("neuron", bmus)
            self._render(list(self.selection.neurons))

    def _on_selection(self, change: dict) -> None:
        with self._lock:
            self._render(list(change["new"]))

    def _selected(self, neurons: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(neurons ordered by hits, positions of their samples, hits per neuron)."""
        m = self._planes.shape[0]
        ks = np.asarray([k for k in neurons if 0 <= int(k) < m], dtype=np.intp)
        member = np.zeros(m, dtype=bool)
        member[ks] = True
        idx = np.flatnonzero(member[self._bmus])
        hits = np.bincount(self._bmus[idx], minlength=m)
        sel = np.flatnonzero(member)
        sel = sel[np.argsort(-hits[sel], kind="stable")]  # most hits first, ties by index
        return sel, idx, hits

    def _render(self, neurons: Sequence[int]) -> None:
        """Build the new content for ``neurons`` and assign it (caller holds the lock)."""
        sel, idx, hits = self._selected(neurons)
        self.neurons = sorted(int(k) for k in sel)
        self._summary.value = self._summary_html(sel, idx, hits)
        self._vector.value = self._vector_html(sel, idx)
        n = idx.size
        self._samples.value = (
            f'<div class="somwidget-note somwidget-inspector-count" data-count="{n}">'
            f"{n:,} sample{'s' if n != 1 else ''} mapped to the selection</div>")
        self.table.show(idx)
        self._draw_chart(sel, idx)

    # ------------------------------------------------------------------ content
    def _summary_html(self, sel: np.ndarray, idx: np.ndarray, hits: np.ndarray) -> str:
        return summary_html(sel, idx, hits, self._bmus, self._dist, self._planes.shape[0],
                            self.som.lattice_.cols, self.max_neurons)

    @_guarded
    def summary_statistics(self) -> pd.DataFrame:
        """Per-feature statistics of the selection, in data units (what the chart summarises).

        Returns
        -------
        pandas.DataFrame
            Index: the feature names. Columns: ``neuron_mean`` / ``neuron_sd`` (mean and
            population sd of the selected neurons' codebook vectors, each neuron counted once),
            ``sample_mean`` / ``sample_sd`` (of the samples mapped to them; NaN without
            samples), ``data_mean`` / ``data_sd`` (of all samples). Missing values (NaN, with
            ``missing="ignore"``) are left out: each feature's statistics are of the values
            present.
        """
        with self._lock:
            sel, idx, _ = self._selected(self.neurons)
            return self._stats(sel, idx)

    def _stats(self, sel: np.ndarray, idx: np.ndarray) -> pd.DataFrame:
        d = self._X.shape[1]
        vec = self._planes[sel]
        nan = np.full(d, np.nan)
        s_mean, s_sd = _mean_sd(self._X[idx]) if idx.size else (nan, nan)  # missing values left out
        return pd.DataFrame({
            "neuron_mean": vec.mean(axis=0) if sel.size else nan,
            "neuron_sd": vec.std(axis=0) if sel.size else nan,
            "sample_mean": s_mean,
            "sample_sd": s_sd,
            "data_mean": self._mean,
            "data_sd": self._raw_sd,
        }, index=pd.Index(self.feature_names, name="feature"))

    def _vector_html(self, sel: np.ndarray, idx: np.ndarray) -> str:
        stats = self._stats(sel, idx) if sel.size > self.max_lines else None
        return vector_html(sel, self._planes, self.feature_names, self._mean, self._raw_sd,
                           stats, idx.size)

    def _chart_data(self, sel: np.ndarray, idx: np.ndarray) -> dict[str, Any]:
        """z-scores the chart draws: one line per neuron, or mean / band / sample mean."""
        z = (self._planes[sel] - self._mean) / self._sd
        if sel.size <= self.max_lines:
            return {"lines": z, "labels": [f"neuron {k}" for k in sel.tolist()],
                    "band": None, "samples": None}
        mean, sd = z.mean(axis=0), z.std(axis=0)
        zs = ((_mean_sd(self._X[idx])[0] - self._mean) / self._sd) if idx.size else None
        return {"lines": mean[None, :], "labels": [f"mean of {sel.size:,} neurons"],
                "band": np.vstack([mean - sd, mean + sd]), "samples": zs}

    def _draw_chart(self, sel: np.ndarray, idx: np.ndarray) -> None:
        if sel.size == 0:
            with self._figure.hold_sync():
                for mark in (self._lines, self._spread, self._sample_mean):
                    mark.visible = False
            self._legend.value = ""
            return
        c = self._chart_data(sel, idx)
        parts = [c["lines"]] + [a for a in (c["band"], c["samples"]) if a is not None]
        lim = max(1.0, *(float(np.nanmax(np.abs(a))) for a in parts if np.isfinite(a).any()))
        top, ticks = round_ticks(lim * 1.05)
        with self._figure.hold_sync():
            self._sy.min, self._sy.max = -top, top
            self._ax_y.tick_values = ticks
            self._lines.y = self._points(c["lines"])
            self._lines.labels = c["labels"]
            self._lines.visible = True
            self._spread.visible = c["band"] is not None
            if c["band"] is not None:
                self._spread.y = self._points(c["band"])
            self._sample_mean.visible = c["samples"] is not None
            if c["samples"] is not None:
                self._sample_mean.y = self._points(c["samples"])
        self._legend.value = legend_html(c["labels"], c["band"] is not None,
                                         c["samples"] is not None)

    # ------------------------------------------------------------------ reading
    @_guarded
    def sample_indices(self) -> np.ndarray:
        """Positions (0-based rows of X) of the samples mapped to the shown neurons."""
        with self._lock:
            return self._selected(self.neurons)[1]

    def to_picture(self, width: int = 360, height: int = 220) -> Picture:
        """A static picture of the inspector: the z-score chart of the shown neurons.

        Parameters
        ----------
        width, height : int
            Size of the SVG in pixels.

        Returns
        -------
        Picture
            A standalone ``<svg>`` document and its size.
        """
        with self._lock:
            sel, idx, _ = self._selected(self.neurons)
            c = self._chart_data(sel, idx) if sel.size else {"lines": np.zeros((0, 1)), "band": None,
                                                             "samples": None}
        what = ("no selection" if not self.neurons else f"neuron {self.neurons[0]}"
                if len(self.neurons) == 1 else f"{len(self.neurons)} neurons")
        return chart_picture(c, self.feature_names, "inspector: " + what, width, height)
