"""The inspector's HTML: the table of the selected neurons, their codebook values, the legend.

Pure functions of the arrays the :class:`~somwidget.widgets.inspector.NeuronInspector` caches
(BMUs, distances, codebook in data units, the data's mean and sd): each returns the markup one
of its ``ipywidgets.HTML`` children shows, styled by :data:`INSPECTOR_CSS` (theme variables,
tables that scroll sideways, never down).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .inspector_picture import LINE_COLORS

__all__ = ["INSPECTOR_CSS", "legend_html", "summary_html", "vector_html"]

INSPECTOR_CSS = """<style>
.somwidget-inspector {color: var(--jp-ui-font-color1, #222);}
.somwidget-inspector .widget-html-content {line-height: 1.35;}
.somwidget-inspector table.somwidget-table td, .somwidget-inspector table.somwidget-table th {
  line-height: 16px;}
.somwidget-inspector table.somwidget-table {border-collapse: collapse; font-size: 12px;
  font-family: var(--jp-code-font-family, monospace); margin: 2px 0;}
.somwidget-inspector table.somwidget-table th, .somwidget-inspector table.somwidget-table td {
  border-bottom: 1px solid var(--jp-border-color2, #ddd); padding: 1px 6px; text-align: right;
  white-space: nowrap;}
.somwidget-inspector table.somwidget-table th {background: var(--jp-layout-color2, #f4f4f4);}
.somwidget-inspector table.somwidget-table th.sorted {color: var(--jp-brand-color1, #1976d2);}
.somwidget-inspector .somwidget-note {font-size: 12px; color: var(--jp-ui-font-color2, #555);
  margin: 2px 0;}
.somwidget-inspector .somwidget-scroll {overflow-x: auto; overflow-y: hidden; max-width: 100%;}
.somwidget-inspector .widget-html-content {min-width: 0;}
.somwidget-inspector .sw-item {display: inline-block; white-space: nowrap; margin-right: 10px;}
.somwidget-inspector .sw-key {display: inline-block; width: 14px; height: 3px; margin: 0 4px 3px 0;
  vertical-align: middle;}
.somwidget-inspector .sw-key.sw-band {height: 9px; opacity: .45; margin-bottom: 0;}
.somwidget-inspector .sw-key.sw-dash {background: none !important; border-top: 2px dashed; height: 0;}
.somwidget-inspector .widget-tab > .p-TabBar, .somwidget-inspector .widget-tab > .lm-TabBar {
  font-size: 12px;}
</style>"""


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    return f"{v:.4g}"


def summary_html(sel: np.ndarray, idx: np.ndarray, hits: np.ndarray, bmus: np.ndarray,
                 distances: np.ndarray, n_neurons: int, lattice_cols: int,
                 max_neurons: int) -> str:
    """The summary above the chart: the selection's title and a table of its neurons (row,
    column, hits, mean quantization error), at most ``max_neurons`` of them, most hits first.

    ``sel``: the selected neurons ordered by hits; ``idx``: the positions of their samples;
    ``hits``: samples per neuron (M,); ``bmus``, ``distances``: every sample's BMU and its
    distance.
    """
    attr = ",".join(str(int(k)) for k in np.sort(sel))  # the selection, sorted
    if sel.size == 0:
        return (
            f'{INSPECTOR_CSS}<div class="somwidget-inspector-summary" data-neurons="">'
            '<b>Neuron inspector</b> <span class="somwidget-note">no neuron selected: click a '
            "neuron in a map (shift-click adds, drag brushes) or use "
            "<code>select_samples()</code></span></div>"
        )
    qe_sum = np.bincount(bmus[idx], weights=distances[idx], minlength=n_neurons)
    with np.errstate(invalid="ignore", divide="ignore"):
        qe = qe_sum / hits
    shown = sel[:max_neurons]
    rows, cols = np.divmod(shown, lattice_cols)
    body = "".join(
        f"<tr><td>{k}</td><td>{r}</td><td>{c}</td><td>{hits[k]}</td><td>{_fmt(qe[k])}</td></tr>"
        for k, r, c in zip(shown.tolist(), rows.tolist(), cols.tolist(), strict=True)
    )
    if sel.size > shown.size:
        body += (f'<tr><td colspan="5" class="somwidget-note">… {sel.size - shown.size:,} more '
                 "neurons</td></tr>")
    if sel.size > 1:
        total_qe = qe_sum[sel].sum() / idx.size if idx.size else np.nan
        body += (f"<tr><th>all {sel.size}</th><td></td><td></td><th>{idx.size}</th>"
                 f"<th>{_fmt(total_qe)}</th></tr>")
    if sel.size == 1:
        k = int(sel[0])
        title = f"Neuron {k} (row {k // lattice_cols}, col {k % lattice_cols})"
    else:
        empty = int(np.count_nonzero(hits[sel] == 0))
        title = (f"{sel.size:,} neurons selected · {idx.size:,} samples"
                 + (f" · {empty:,} neurons without samples" if empty else ""))
    note = (f"showing {shown.size} of {sel.size:,} neurons, most hits first" if sel.size > shown.size
            else "most hits first" if sel.size > 1 else "")
    return (
        f'{INSPECTOR_CSS}<div class="somwidget-inspector-summary" data-neurons="{attr}" '
        f'data-shown="{shown.size}"><b>{html.escape(title)}</b>'
        + (f' <span class="somwidget-note">({note})</span>' if note else "")
        + '<div class="somwidget-scroll"><table class="somwidget-table somwidget-neurons">'
        "<tr><th>neuron</th><th>row</th><th>col</th><th>hits</th><th>quantization error</th>"
        f"</tr>{body}</table></div></div>"
    )


def vector_html(sel: np.ndarray, planes: np.ndarray, feature_names: Sequence[str],
                mean: np.ndarray, sd: np.ndarray, stats: pd.DataFrame | None,
                n_samples: int) -> str:
    """The codebook values tab: the selected neurons' vectors in data units (one row each), or
    with ``stats`` (the inspector's ``summary_statistics`` of a larger selection) their mean and
    sd and those of their ``n_samples`` samples; then the data's ``mean`` and ``sd``."""
    if sel.size == 0:
        return ""
    names = [html.escape(f) for f in feature_names]
    head = "".join(f"<th>{f}</th>" for f in names)

    def row(name: str, values: np.ndarray) -> str:
        return f"<tr><th>{name}</th>" + "".join(f"<td>{_fmt(v)}</td>" for v in values) + "</tr>"

    if stats is None:
        rows = "".join(row(f"neuron {k}", planes[k]) for k in sel.tolist())
    else:
        rows = (row(f"mean of {sel.size:,} neurons", stats["neuron_mean"].to_numpy())
                + row("sd across them", stats["neuron_sd"].to_numpy())
                + row(f"mean of their {n_samples:,} samples", stats["sample_mean"].to_numpy())
                + row("sd of their samples", stats["sample_sd"].to_numpy()))
    rows += row("data mean", mean) + row("data sd", sd)
    return (
        '<div class="somwidget-note">codebook vectors in data units</div>'
        f'<div class="somwidget-scroll"><table class="somwidget-table"><tr><th></th>{head}</tr>'
        f"{rows}</table></div>"
    )


def legend_html(labels: Sequence[str], band: bool, samples: bool) -> str:
    """The chart's legend above it: one key per line (``labels``), the selection's ±1 sd
    ``band`` and the mean of its ``samples`` when drawn, and the data's ±1 sd band."""
    keys = [f'<span class="sw-key" style="background:{LINE_COLORS[i % 8]}"></span>'
            f"{html.escape(t)}" for i, t in enumerate(labels)]
    if band:
        keys.append(f'<span class="sw-key sw-band" style="background:{LINE_COLORS[0]}"></span>'
                    "± 1 sd across them")
    if samples:
        keys.append(f'<span class="sw-key sw-dash" style="color:{LINE_COLORS[1]}"></span>'
                    "mean of their samples")
    keys.append('<span class="sw-key sw-band" style="background:#9e9e9e"></span>data ± 1 sd')
    items = "".join(f'<span class="sw-item">{k}</span>' for k in keys)  # an entry never wraps
    return f'<div class="somwidget-note somwidget-legend">{items}</div>'
