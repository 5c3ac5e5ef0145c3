"""Views stacked in a Column are laid out as each would be on its own; side by side in a Row
they are the dashboard's cards. Measured in the browser at a 1280 px page: a HitMap and a UMatrix
alone, those of a Column and those of a Row. The Column's maps are as wide as the lone ones
(560 px) with titles as tall (they were the Row's 380 px cards, with a title box of two
lines that left a blank line under a one-line title); the Row's cards stay 380 px with their
pictures' tops level. Screenshot: ``column-layout.png`` in the artifacts folder."""

from __future__ import annotations

from labhelpers import run_notebook

CELLS = ["""\
import numpy as np
from somwidget import SOM
from somwidget.widgets import Column, HitMap, Row, UMatrix
X = np.random.default_rng(0).normal(size=(300, 3))
som = SOM((10, 12), random_state=0).fit(X, epochs=3)
""", "HitMap(som, X)", "UMatrix(som)", "Column([HitMap(som, X), UMatrix(som)])",
         "Row([HitMap(som, X), UMatrix(som)])"]

MEASURE = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view')]
  .map(v => { const t = v.querySelector('.sw-title'); const c = v.querySelector('canvas');
    return {w: v.getBoundingClientRect().width, title: t.getBoundingClientRect().height,
            line: parseFloat(getComputedStyle(t).lineHeight), canvasTop: c.getBoundingClientRect().top}; })"""


def test_a_column_lays_its_maps_out_as_on_their_own(lab, page, artifacts):
    run_notebook(page, lab, "column_layout.ipynb", CELLS)
    page.wait_for_function(
        "() => { const v = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view')];"
        " return v.length === 6 && v.every(e => Number(e.dataset.draws) > 0); }", timeout=90_000)
    hit, um, col_hit, col_um, row_hit, row_um = page.evaluate(MEASURE)
    assert abs(hit["w"] - 560) <= 1 and abs(um["w"] - 560) <= 1, (hit, um)
    assert hit["title"] <= 1.5 * hit["line"], hit  # the hit map's title is one line
    for v, alone in ((col_hit, hit), (col_um, um)):
        # as wide as on its own, its title as tall (no blank line under a one-line title)
        assert abs(v["w"] - alone["w"]) <= 1, (v, alone)
        assert abs(v["title"] - alone["title"]) <= 1, (v, alone)
    for v in (row_hit, row_um):
        assert abs(v["w"] - 380) <= 1, v
    assert abs(row_hit["canvasTop"] - row_um["canvasTop"]) <= 1, (row_hit, row_um)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view").nth(2).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "column-layout.png"))
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors
