"""A lattice picture and its legend start at the same pixel column, measured in the browser.

The canvas keeps room around the cells for what the selection overlay draws around an outer
neuron (an outline's white halo; a ring on small cells), so that no box around the view cuts
it: the cells start a few pixels right of the canvas' left edge, and the legend under the
picture (colour bar, category swatches) started at the canvas' edge, 3-7 px left of the
drawn map. For hit maps, U-matrices and component planes of small maps (4 x 4, 5 x 5, flat and
toroidal, colour and size style, at several widths) and of a big one with selection rings (30
x 40 in a 304 px box): the first pixel column the picture draws is the legend's left edge
(within a pixel). The rings of the outer neurons stay whole: ``test_visual_cues_e2e`` checks
them. The screenshot goes to the artifacts folder, ``picture-alignment.png``.
"""

from __future__ import annotations

from labhelpers import cell_errors, run_notebook

VIEWS = """
import numpy as np
import ipywidgets as W
from somwidget import SOM
from somwidget.widgets import ComponentPlanes, HitMap, UMatrix
X = np.random.default_rng(0).normal(size=(400, 3))
rows = []
for mapsize, lattice, width in (((4, 4), "rect", "380px"), ((5, 5), "hexa", "380px"),
                                ((4, 4), "hexa", "250px"), ((5, 5), "toroidal_rect", "300px"),
                                ((30, 40), "hexa", "304px")):
    som = SOM(mapsize=mapsize, lattice=lattice, random_state=0).fit(X, epochs=2)
    box = W.HBox([HitMap(som, X), UMatrix(som), HitMap(som, X, mode="size")])
    box.layout.width = str(3 * (int(width[:-2]) + 14)) + "px"
    rows.append(box)
small = SOM(mapsize=(4, 4), lattice="rect", random_state=0).fit(X, epochs=2)
W.VBox(rows + [HitMap(small, X), ComponentPlanes(small)])
"""

# For every lattice canvas: the first and last pixel columns the picture draws (client px) and
# the left edge of the legend under it.
ALIGNMENT = r"""() => Array.from(document.querySelectorAll('.jp-OutputArea-output .somwidget-view')).flatMap(el => {
  const canvases = el.somwidget.planes ? el.somwidget.planes() : [el.somwidget.canvas];
  return canvases.map(lc => {
    const c = lc.base, r = c.getBoundingClientRect();
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let x0 = Infinity;
    for (let y = 0; y < c.height; y++) for (let x = 0; x < Math.min(x0, c.width); x++)
      if (d[4 * (y * c.width + x) + 3] > 24) { x0 = x; break; }
    const legend = (lc.root.closest('.sw-canvas-scroll') ?? lc.root).nextElementSibling?.querySelector('.sw-legend');  // the canvas sits in its width= box
    return {view: el.dataset.view, lattice: `${lc.lat.rows}x${lc.lat.cols} ${lc.lat.shape}`
              + (lc.lat.wrapCols ? ' wrapped' : ''), scale: lc.scale, width: r.width,
            firstColumn: r.left + x0 * r.width / c.width,
            legendLeft: legend ? legend.getBoundingClientRect().left : null};
  });
})"""


def test_picture_starts_at_its_legend_edge(page, lab, artifacts):
    run_notebook(page, lab, "picture_alignment.ipynb", [VIEWS], height=3000)
    assert not cell_errors(page), cell_errors(page)
    page.wait_for_function("() => { const v = document.querySelectorAll('.somwidget-view');"
                           " return v.length === 17 && [...v].every(e => Number(e.dataset.draws) > 0); }",
                           timeout=60_000)
    page.wait_for_timeout(1_000)
    rows = page.evaluate(ALIGNMENT)
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(artifacts / "picture-alignment.png"))
    assert len(rows) == 19, rows  # 15 maps in the boxes, a hit map and 3 planes
    assert {r["lattice"] for r in rows} >= {"4x4 rect", "5x5 hexa", "4x4 hexa", "5x5 rect wrapped",
                                            "30x40 hexa"}, rows
    assert any(r["scale"] < 9 for r in rows), rows  # a map with selection rings is among them
    off = [(r["view"], r["lattice"], round(r["scale"], 1), round(r["firstColumn"] - r["legendLeft"], 2))
           for r in rows]
    assert all(r["legendLeft"] is not None for r in rows), rows
    assert all(abs(o[-1]) <= 1.0 for o in off), "; ".join(map(str, off))
    assert not [m for m in page.console_messages_seen if m.startswith("pageerror")]
