"""NeuronInspector: what the selected neuron(s) stand for.

For the neurons in a :class:`~somwidget.widgets.selection.Selection` it shows

* a summary table: index, row/col, hits and quantization error of each selected neuron;
* a bqplot chart of the codebook vector against the data: per-feature z-score
  ``(w - mean) / sd`` of the codebook vector in data units, drawn over a ±1 sd band, with the
  feature names on the x axis, and the same vector in data units in a small table below;
* the table of the samples mapped there (labels and extra columns included), capped at
  ``max_rows`` rows with a note saying how many there are.

The inspector follows the Selection through a Python observer. That observer may run on a kernel
subshell thread while a training cell keeps the main thread busy, so it only reads cached arrays,
builds the new content and assigns it in one go under a lock.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from typing import Any

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from ..validation import NAN_HINT, check_array, check_int, check_positive
from ._base import ViewBase
from ._common import (
    as_frame,
    as_labels,
    check_selection,
    ensure_initialized,
    feature_names,
    sample_index,
)
from .live import Throttle
from .pictures.compose import Picture
from .selection import Selection

__all__ = ["NeuronInspector"]

_LINE_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

_CSS = """<style>
.somwidget-inspector table.somwidget-table {border-collapse: collapse; font-size: 12px;
  font-family: var(--jp-code-font-family, monospace); margin: 2px 0;}
.somwidget-inspector table.somwidget-table th, .somwidget-inspector table.somwidget-table td {
  border-bottom: 1px solid #ddd; padding: 1px 6px; text-align: right; white-space: nowrap;}
.somwidget-inspector table.somwidget-table th {background: #f4f4f4;}
.somwidget-inspector .somwidget-note {font-size: 12px; color: #555; margin: 2px 0;}
.somwidget-inspector .somwidget-scroll {overflow-x: auto; max-width: 100%;}
</style>"""


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    return f"{v:.4g}"


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
        Maximum number of sample rows shown (the note says how many there are).
    max_lines : int, default 8
        Maximum number of selected neurons drawn in the chart and listed in the summary.
    max_rate_hz : float, default 15
        Refresh rate cap when the inspector is used on its own as a training callback.

    Attributes
    ----------
    selection : Selection
        The followed selection.
    throttle : Throttle
        Rate limit used when the inspector itself is a training callback.
    neurons : list of int
        The neurons currently shown.
    """

    _released_attributes = ("som", "_X", "_index", "_labels", "_extra", "_bmus", "_planes",
                            "_mean", "_sd")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        labels: Any = None,
        *,
        extra: Any = None,
        selection: Selection | None = None,
        max_rows: int = 20,
        max_lines: int = 8,
        max_rate_hz: float = 15.0,
    ) -> None:
        if X is None:
            raise ValueError("X is required: the samples listed for the selected neurons")
        data, names = check_array("X", X, allow_nan=getattr(som, "missing", "raise") == "ignore",
                                   nan_hint=NAN_HINT)
        n = data.shape[0]
        self.max_rows = check_int("max_rows", max_rows, minimum=1)
        self.max_lines = check_int("max_lines", max_lines, minimum=1)
        check_selection(selection)
        ensure_initialized(som, X, data)
        self.som = som
        self._X = data
        self._index = sample_index(X, n)
        self.feature_names: list[str] = feature_names(names, som, data.shape[1])
        self._labels = as_labels(labels, n)
        self._extra = as_frame(extra, n, "extra")
        self._mean = data.mean(axis=0)
        sd = data.std(axis=0)
        self._sd = np.where(sd > 0, sd, 1.0)
        self._bmus = np.zeros(n, dtype=np.intp)
        self._planes = np.zeros((som.n_neurons_, data.shape[1]))
        self._lock = threading.RLock()
        self.neurons: list[int] = []
        if selection is None:
            selection = self._own(Selection())
        else:
            self._share(selection)
        self.selection = selection

        self._summary = widgets.HTML()
        self._vector = widgets.HTML()
        self._samples = widgets.HTML()
        self._build_chart()
        super().__init__(
            children=[self._summary, self._figure, self._vector, self._samples],
            layout=widgets.Layout(min_width="360px", flex="1 1 auto"),
        )
        self.add_class("somwidget-inspector")
        self.max_rate_hz = check_positive("max_rate_hz", max_rate_hz)
        self.throttle = Throttle(self.max_rate_hz)
        self._observe_selection(self.selection, self._on_selection)
        self.refresh()

    # ------------------------------------------------------------------ construction
    def _build_chart(self) -> None:
        d = len(self.feature_names)
        xs = np.asarray(self.feature_names, dtype=object)
        self._sx = bq.OrdinalScale(domain=list(self.feature_names))
        self._sy = bq.LinearScale()
        scales = {"x": self._sx, "y": self._sy}
        self._band = bq.Lines(
            x=xs, y=np.vstack([-np.ones(d), np.ones(d)]), scales=scales, fill="between",
            fill_colors=["#bbbbbb"], fill_opacities=[0.35], colors=["#bbbbbb"],
            stroke_width=0.5, labels=["-1 sd", "+1 sd"],
        )
        self._zero = bq.Lines(x=xs, y=np.zeros(d), scales=scales, colors=["#777777"],
                              line_style="dashed", stroke_width=1)
        self._lines = bq.Lines(
            x=xs, y=np.zeros((1, d)), scales=scales, colors=_LINE_COLORS, marker="circle",
            marker_size=24, stroke_width=2, visible=False, display_legend=True, labels=[""],
        )
        ax_x = bq.Axis(scale=self._sx, tick_rotate=-35, tick_style={"font-size": "10px"})
        ax_y = bq.Axis(scale=self._sy, side="left", label="z-score (sd from mean)", num_ticks=6,
                       grid_lines="dashed")
        self._figure = bq.Figure(
            marks=[self._band, self._zero, self._lines], axes=[ax_x, ax_y],
            title="codebook vs data (z-score, band = mean ± 1 sd)",
            fig_margin={"top": 40, "bottom": 80, "left": 60, "right": 20},
            legend_location="top-right",
            layout=widgets.Layout(width="100%", height="300px", min_width="340px"),
            title_style={"font-size": "13px"},
        )

    # ------------------------------------------------------------------ updates
    def refresh(self, som: Any = None, bmus: np.ndarray | None = None, **_: Any) -> None:
        """Recompute from the model (after training) and redraw.

        Parameters
        ----------
        som : SOM, optional
            A new model to follow (defaults to the current one).
        bmus : ndarray of shape (N,), optional
            Precomputed BMUs of ``X`` (the Explorer computes them once per refresh and shares
            them); computed with ``som.predict(X)`` when omitted.
        """
        if som is not None:
            self.som = som
        som = self.som
        if bmus is None:
            bmus = som.predict(self._X)
        bmus = np.asarray(bmus, dtype=np.intp)
        if bmus.shape != (self._X.shape[0],):
            raise ValueError(f"bmus must have shape ({self._X.shape[0]},); got {bmus.shape}")
        planes = np.asarray(som.component_planes(), dtype=np.float64)
        with self._lock:
            self._bmus = bmus
            self._planes = planes
            self._render(list(self.selection.neurons))

    def _on_selection(self, change: dict) -> None:
        with self._lock:
            self._render(list(change["new"]))

    def _render(self, neurons: Sequence[int]) -> None:
        """Build the new content for ``neurons`` and assign it (caller holds the lock)."""
        m = self._planes.shape[0]
        sel = np.unique(np.asarray([k for k in neurons if 0 <= int(k) < m], dtype=np.intp))
        summary, vector, samples, chart = self._content(sel)
        self.neurons = [int(k) for k in sel]
        self._summary.value = summary
        self._vector.value = vector
        self._samples.value = samples
        z, labels = chart
        if z.shape[0] == 0:
            self._lines.visible = False
        else:
            with self._lines.hold_sync():
                self._lines.y = z
                self._lines.labels = labels
                self._lines.visible = True

    def _content(self, sel: np.ndarray) -> tuple[str, str, str, tuple[np.ndarray, list[str]]]:
        """HTML for summary / vector / samples and the chart data for the neurons ``sel``."""
        som, bmus, planes = self.som, self._bmus, self._planes
        lattice = som.lattice_
        shown = sel[: self.max_lines]
        attr = html.escape(",".join(str(int(k)) for k in sel))
        if sel.size == 0:
            summary = (
                f'{_CSS}<div class="somwidget-inspector-summary" data-neurons="">'
                '<b>Neuron inspector</b> <span class="somwidget-note">no neuron selected: click a '
                "neuron in a map (shift-click adds, drag brushes) or use "
                "<code>select_samples()</code></span></div>"
            )
            return summary, "", "", (np.zeros((0, planes.shape[1])), [])

        in_sel = np.isin(bmus, sel)
        idx = np.flatnonzero(in_sel)
        hits = np.bincount(bmus[idx], minlength=planes.shape[0])
        # quantization error: distance of each selected sample to its BMU (SOM's metric)
        qe_sum = np.zeros(planes.shape[0])
        if idx.size:
            dist = np.asarray(som.transform(self._X[idx]))[np.arange(idx.size), bmus[idx]]
            qe_sum = np.bincount(bmus[idx], weights=dist, minlength=planes.shape[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            qe = qe_sum / hits
        rows, cols = np.divmod(shown, lattice.cols)
        body = "".join(
            f"<tr><td>{k}</td><td>{r}</td><td>{c}</td><td>{hits[k]}</td><td>{_fmt(qe[k])}</td></tr>"
            for k, r, c in zip(shown.tolist(), rows.tolist(), cols.tolist(), strict=True)
        )
        if sel.size > shown.size:
            body += f'<tr><td colspan="5">… and {sel.size - shown.size} more</td></tr>'
        if sel.size > 1:
            total_qe = qe_sum[sel].sum() / idx.size if idx.size else np.nan
            body += (f"<tr><th>all {sel.size}</th><td></td><td></td><th>{idx.size}</th>"
                     f"<th>{_fmt(total_qe)}</th></tr>")
        title = (f"Neuron {int(sel[0])} (row {int(sel[0]) // lattice.cols}, "
                 f"col {int(sel[0]) % lattice.cols})" if sel.size == 1
                 else f"{sel.size} neurons selected")
        summary = (
            f'{_CSS}<div class="somwidget-inspector-summary" data-neurons="{attr}">'
            f"<b>{html.escape(title)}</b>"
            '<table class="somwidget-table"><tr><th>neuron</th><th>row</th><th>col</th>'
            f"<th>hits</th><th>quantization error</th></tr>{body}</table></div>"
        )

        vecs = planes[shown]
        names = [html.escape(f) for f in self.feature_names]
        head = "".join(f"<th>{f}</th>" for f in names)
        vrows = "".join(
            f"<tr><th>neuron {k}</th>" + "".join(f"<td>{_fmt(v)}</td>" for v in vec) + "</tr>"
            for k, vec in zip(shown.tolist(), vecs, strict=True)
        )
        vrows += "<tr><th>data mean</th>" + "".join(f"<td>{_fmt(v)}</td>" for v in self._mean) + "</tr>"
        vrows += "<tr><th>data sd</th>" + "".join(
            f"<td>{_fmt(v)}</td>" for v in self._X.std(axis=0)) + "</tr>"
        vector = (
            '<div class="somwidget-note">codebook vector in data units</div>'
            f'<div class="somwidget-scroll"><table class="somwidget-table"><tr><th></th>{head}</tr>'
            f"{vrows}</table></div>"
        )

        samples = self._samples_html(idx, bmus)
        z = (vecs - self._mean) / self._sd
        return summary, vector, samples, (z, [f"neuron {k}" for k in shown.tolist()])

    def _samples_html(self, idx: np.ndarray, bmus: np.ndarray) -> str:
        n = idx.size
        if n == 0:
            return '<div class="somwidget-note">no samples are mapped to the selection</div>'
        take = idx[: self.max_rows]
        columns: list[tuple[str, list[str]]] = [("neuron", [str(b) for b in bmus[take].tolist()])]
        if self._labels is not None:
            columns.append(("label", [html.escape(str(v)) for v in self._labels[take].tolist()]))
        if self._extra is not None:
            extra = self._extra.iloc[take]
            for name in extra.columns:
                col = extra[name].to_numpy()
                cells = ([_fmt(float(v)) for v in col] if col.dtype.kind == "f"
                         else [html.escape(str(v)) for v in col.tolist()])
                columns.append((html.escape(str(name)), cells))
        for j, name in enumerate(self.feature_names):
            columns.append((html.escape(name), [_fmt(v) for v in self._X[take, j].tolist()]))
        head = "<th></th>" + "".join(f"<th>{name}</th>" for name, _ in columns)
        index = [html.escape(str(v)) for v in self._index[take].tolist()]
        body = "".join(
            f"<tr><th>{index[r]}</th>" + "".join(f"<td>{cells[r]}</td>" for _, cells in columns)
            + "</tr>"
            for r in range(take.size)
        )
        note = (f"{n} sample{'s' if n != 1 else ''} mapped to the selection"
                + (f" (showing the first {take.size})" if n > take.size else ""))
        return (
            f'<div class="somwidget-note somwidget-inspector-count" data-count="{n}">{note}</div>'
            f'<div class="somwidget-scroll"><table class="somwidget-table somwidget-samples">'
            f"<tr>{head}</tr>{body}</table></div>"
        )

    # ------------------------------------------------------------------ reading
    def sample_indices(self) -> np.ndarray:
        """Positions (0-based rows of X) of the samples mapped to the shown neurons."""
        with self._lock:
            return np.flatnonzero(np.isin(self._bmus, self.neurons))

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
            sel = np.asarray(self.neurons[: self.max_lines], dtype=np.intp)
            z = (self._planes[sel] - self._mean) / self._sd if sel.size else np.zeros((0, 1))
        d = len(self.feature_names)
        left, right, top, bottom = 40, 10, 22, 70
        pw, ph = width - left - right, height - top - bottom
        lim = max(2.0, float(np.nanmax(np.abs(z))) if z.size else 2.0)

        def px(i: np.ndarray) -> np.ndarray:
            return left + (i + 0.5) * pw / d

        def py(v: np.ndarray) -> np.ndarray:
            return top + (lim - v) * ph / (2 * lim)

        xs = px(np.arange(d))
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{left}" y="14" font-size="12">'
            + html.escape("inspector: " + (
                "no selection" if not self.neurons
                else f"neuron {self.neurons[0]}" if len(self.neurons) == 1
                else f"{len(self.neurons)} neurons"))
            + "</text>",
            f'<rect x="{left}" y="{py(1.0):.1f}" width="{pw}" height="{py(-1.0) - py(1.0):.1f}" '
            'fill="#bbbbbb" fill-opacity="0.35"/>',
            f'<line x1="{left}" x2="{left + pw}" y1="{py(0.0):.1f}" y2="{py(0.0):.1f}" '
            'stroke="#777" stroke-dasharray="4 3"/>',
            f'<text x="{left - 4}" y="{py(1.0):.1f}" text-anchor="end">+1</text>',
            f'<text x="{left - 4}" y="{py(-1.0):.1f}" text-anchor="end">-1</text>',
        ]
        for i, row in enumerate(z):
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, py(row), strict=True))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{_LINE_COLORS[i % 8]}" '
                         'stroke-width="2"/>')
        for x, name in zip(xs, self.feature_names, strict=True):
            parts.append(f'<text transform="translate({x:.1f},{top + ph + 8}) rotate(-45)" '
                         f'text-anchor="end">{html.escape(name[:18])}</text>')
        parts.append("</svg>")
        return Picture("".join(parts), float(width), float(height))
