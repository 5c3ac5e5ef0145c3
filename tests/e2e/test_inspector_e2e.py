"""The neuron inspector in a real JupyterLab + Chromium: every row a caption counts is visible.

The quickstart's dashboard (the wine data, 20 x 15 hex map) with the 20 neurons that won the
strongest wines selected. The summary says "showing 8 of 20 neurons" and the sample table
"rows 1–20 of 32": the test counts, in the browser, the rows whose box lies wholly inside every
clipping box between them and the inspector (a scroll box cut the eighth neuron row and the
sample page in half before), checks that no legend entry breaks between its swatch and its
text, that the chart's feature names neither overlap nor reach into the plot and its title fits
(at the quickstart's width and at the inspector's narrowest, 320 px), and that the
selection rings of the component planes' right-edge neurons are drawn whole (the picture's edge
cut them in half), and saves a screenshot to the artifacts folder.
"""

from __future__ import annotations

import json
import re

from labhelpers import kernel_exec, open_notebook, run_all, wait_all_executed, write_notebook
from readability import axis_text_overlaps, overlap_depth, title_problems

DASHBOARD = """
from somwidget import SOM, Explorer
from somwidget.datasets import load_wine
df = load_wine()
X = df.drop(columns="label")
som = SOM(mapsize=(20, 15), lattice="hexa", normalization="standard", random_state=0)
som.fit(X, epochs=40, radius_start=8, radius_end=1)
ex = Explorer(som, X, labels=df["label"])
ex.select_samples((X["alcohol"] > 14.0).to_numpy())
ex
"""

# For the rows of each inspector table: how many there are and how many are wholly visible,
# i.e. inside every box between the row and the inspector that clips its overflow (vertically).
ROWS_SEEN = """(root) => {
  const clippers = (el) => { const out = [];
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflowY !== 'visible') out.push(a);
      if (a === root) break; }
    return out; };
  const seen = (el) => { const r = el.getBoundingClientRect();
    if (r.height < 1 || getComputedStyle(el).visibility === 'hidden') return false;
    return clippers(el).every(a => { const b = a.getBoundingClientRect();
      const top = b.top + a.clientTop, bottom = top + a.clientHeight;
      return r.top >= top - 0.5 && r.bottom <= bottom + 0.5; }); };
  const count = (rows) => ({n: rows.length, seen: rows.filter(seen).length});
  const summary = root.querySelector('.somwidget-inspector-summary');
  const samples = root.querySelector('table.somwidget-samples');
  const sumRows = Array.from(summary.querySelectorAll('table tr'));
  return {
    shown: Number(summary.dataset.shown),
    summaryText: summary.textContent,
    neurons: count(sumRows.filter(r => r.querySelector('td') && !r.querySelector('td[colspan]')
                                      && !/^all /.test(r.textContent))),
    allRows: count(sumRows),
    pageText: root.querySelector('.somwidget-page').textContent,
    dataRows: Number(samples.dataset.rows),
    samples: count(Array.from(samples.querySelectorAll('tr')).filter(r => r.querySelector('td'))),
  };
}"""

# Each legend entry: is its text on one line, and on the line of its colour swatch?
LEGEND_LINES = """(root) => Array.from(root.querySelectorAll('.somwidget-legend .sw-key')).map(key => {
  let t = key.nextSibling;
  while (t && t.nodeType !== Node.TEXT_NODE) t = t.nextSibling;
  const range = document.createRange(); range.selectNodeContents(t);
  const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0)
                        .map(r => Math.round(r.top)));
  const k = key.getBoundingClientRect(), text = range.getBoundingClientRect();
  const mid = (k.top + k.bottom) / 2;
  return {text: t.textContent, lines: lines.size, besideKey: mid >= text.top - 1 && mid <= text.bottom + 1};
})"""

# The x tick labels of the inspector's bqplot chart, as the screen quadrilaterals of their
# (rotated) text boxes; and the box of the figure they must stay inside.
TICK_LABELS = """(root) => {
  const fig = root.querySelector('.bqplot');
  const texts = Array.from(fig.querySelectorAll('g.axis g.tick text'))
    .filter(t => /rotate\\(-?[1-9]/.test(t.getAttribute('transform') || ''));  // the x axis'
  const axis = texts[0]?.closest('g.axis').querySelector('path.domain').getBoundingClientRect();
  const quad = (t) => { const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; }); };
  const f = fig.getBoundingClientRect();
  return {labels: texts.filter(t => t.textContent).map(t => ({text: t.textContent, quad: quad(t)})),
          figure: [f.left, f.top, f.right, f.bottom], axisTop: axis?.top};
}"""


def check_tick_labels(inspector) -> dict:
    """No two x tick labels of the chart overlap, each lies inside the figure and under the axis."""
    ticks = inspector.evaluate(TICK_LABELS)
    labels, (left, top, right, bottom) = ticks["labels"], ticks["figure"]
    assert labels, ticks
    for i, a in enumerate(labels):
        for x, y in a["quad"]:
            assert left - 1 <= x <= right + 1 and top - 1 <= y <= bottom + 1, (a, ticks["figure"])
            assert y >= ticks["axisTop"] - 1, ("a label reaches into the plot", a, ticks["axisTop"])
        for b in labels[i + 1:]:
            # text boxes include the font's ascent and descent: 1 px of touching is no overlap
            assert overlap_depth(a["quad"], b["quad"]) <= 1.0, (a, b)
    return ticks

# The first component plane: for neuron k, the rightmost point of its selection ring (8 px
# radius, 1.75 px stroke) and what the overlay canvas and the plane's card hold there.
RING_EDGE = """(k) => {
  const view = document.querySelector('.somwidget-explorer .somwidget-view[data-view="planes"]');
  const card = view.querySelector('.sw-plane'), overlay = card.querySelectorAll('canvas')[1];
  const p = view.somwidget.neuronClientPoint(k), x = p.x + 8, y = p.y;
  const o = overlay.getBoundingClientRect(), c = card.getBoundingClientRect();
  const inOverlay = x >= o.left && x < o.right && y >= o.top && y < o.bottom;
  let alpha = 0;
  for (let dx = -2; dx <= 2 && inOverlay; dx++) {  // the stroke is 1.75 px wide: look around it
    const px = Math.floor((x + dx - o.left) * overlay.width / o.width);
    const py = Math.floor((y - o.top) * overlay.height / o.height);
    if (px >= 0 && px < overlay.width) alpha = Math.max(alpha, overlay.getContext('2d').getImageData(px, py, 1, 1).data[3]);
  }
  return {k, x, inOverlay, inCard: x + 1 <= c.right, alpha};
}"""


def test_inspector_shows_every_row_its_captions_count(page, lab, artifacts):
    write_notebook(lab["root"] / "inspector_rows.ipynb", [DASHBOARD])
    page.set_viewport_size({"width": 1280, "height": 1600})  # the whole inspector on screen
    open_notebook(page, lab, "inspector_rows.ipynb")
    run_all(page)
    wait_all_executed(page, timeout_ms=120_000)
    inspector = page.locator(".somwidget-explorer .somwidget-inspector").first
    page.wait_for_function(
        "() => document.querySelector('.somwidget-inspector [data-shown]')?.dataset.shown === '8'",
        timeout=30_000)
    n_sel = int(kernel_exec(page, "print(len(ex.selection.neurons))"))
    n_samples = int(kernel_exec(page, "print(len(ex.selected_samples()))"))
    assert n_sel > 8 and n_samples > 20, (n_sel, n_samples)  # a caption that says "k of n"
    inspector.scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    inspector.screenshot(path=str(artifacts / "inspector-rows.png"))
    rows = inspector.evaluate(ROWS_SEEN)

    # the summary: "showing 8 of 20 neurons", and 8 neuron rows, all of them wholly visible
    claimed = re.search(r"showing (\d+) of ([\d,]+) neurons", rows["summaryText"])
    assert claimed, rows["summaryText"]
    assert int(claimed[1]) == rows["shown"] == 8
    assert int(claimed[2].replace(",", "")) == n_sel
    assert rows["neurons"]["n"] == 8, rows
    assert rows["neurons"]["seen"] == 8, rows
    assert rows["allRows"]["seen"] == rows["allRows"]["n"], rows  # "… 12 more", "all 20" too

    # the sample table: "rows 1–20 of 32", and 20 sample rows, all of them wholly visible
    page_caption = re.search(r"rows ([\d,]+)–([\d,]+) of ([\d,]+)", rows["pageText"])
    assert page_caption, rows["pageText"]
    first, last, total = (int(g.replace(",", "")) for g in page_caption.groups())
    assert total == n_samples
    assert last - first + 1 == rows["dataRows"] == rows["samples"]["n"] == 20, rows
    assert rows["samples"]["seen"] == rows["samples"]["n"], rows

    # the chart's legend: no entry breaks between its swatch and its words
    legend = inspector.evaluate(LEGEND_LINES)
    assert len(legend) == 4, legend  # mean line, its band, the samples' mean, the data band
    for entry in legend:
        assert entry["lines"] == 1 and entry["besideKey"], entry

    # the chart's feature names: readable, none on top of another, none cut by the figure
    ticks = check_tick_labels(inspector)
    assert len(ticks["labels"]) == 13, ticks  # the wine data's 13 features, each named
    assert not axis_text_overlaps(inspector)  # the y axis' ticks and label too

    # the component planes: a selected neuron on the right edge gets its whole ring (the
    # picture's edge cut the rings in half before)
    edge = json.loads(kernel_exec(page, "import json; print(json.dumps("
                                        "[k for k in ex.selection.neurons if k % 15 == 14]))"))
    assert edge, "no selected neuron in the right-most column"
    for k in edge:
        ring = page.evaluate(RING_EDGE, k)
        assert ring["inOverlay"] and ring["inCard"] and ring["alpha"] > 0, ring

    # at the inspector's narrowest (320 px, the Explorer with the file browser open) the chart's
    # title is neither cut by the figure nor crossed by the y axis' label, and no names overlap
    assert not title_problems(inspector)
    kernel_exec(page, "ex.inspector.layout.max_width = '320px'")
    page.wait_for_function("() => Math.round(document.querySelector('.somwidget-explorer"
                           " .somwidget-inspector').getBoundingClientRect().width) <= 320", timeout=10_000)
    page.wait_for_timeout(800)  # bqplot lays the figure out again on resize
    inspector.screenshot(path=str(artifacts / "inspector-320px.png"))
    assert not title_problems(inspector)
    assert not axis_text_overlaps(inspector)
    check_tick_labels(inspector)

    console = [m for m in page.console_messages_seen if m.startswith("pageerror")]
    assert not console, console
