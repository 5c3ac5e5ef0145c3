"""A Row of views never lays its children over each other: side by side where the notebook is
wide enough, the next one on a new line where it is not (measured in the browser: the children's
boxes and their drawn figures, at 1280 and 900 px pages). Screenshots: ``row-wide.png``,
``row-narrow.png`` in the artifacts folder."""

from __future__ import annotations

from labhelpers import cell_errors, run_notebook

ROW = """
import numpy as np
from somwidget import SOM
from somwidget.widgets import InputSpaceView, TrainingCurves, Row
square = np.random.default_rng(0).random((300, 2))
som = SOM(mapsize=(6, 6), lattice="rect", random_state=1).fit(square, epochs=3)
net = InputSpaceView(som, square, title="map over the square")
curves = TrainingCurves(title="quality")
for e in range(1, 6):
    curves.add_epoch(e, quantization_error=1 / e, topographic_error=0.1, vacancy_rate=0.05,
                     radius=6 - e, learning_rate=None, redraw=False)
curves.redraw()
Row([net, curves])
"""

# each child of the Row: its box, and the union of the boxes of the figures drawn inside it
BOXES = r"""() => {
  const row = document.querySelector('.jp-OutputArea-output .widget-hbox');
  const area = row.closest('.jp-OutputArea-output').getBoundingClientRect();
  const kids = Array.from(row.children).map(ch => {
    const own = ch.getBoundingClientRect();
    const figs = Array.from(ch.querySelectorAll('.bqplot > svg, canvas')).map(f => f.getBoundingClientRect())
      .filter(r => r.width > 0);
    const ink = figs.length ? {left: Math.min(...figs.map(r => r.left)), right: Math.max(...figs.map(r => r.right)),
                               top: Math.min(...figs.map(r => r.top)), bottom: Math.max(...figs.map(r => r.bottom))} : own;
    return {left: own.left, right: own.right, top: own.top, bottom: own.bottom, ink};
  });
  return {area: {left: area.left, right: area.right}, kids};
}"""


def _apart(a: dict, b: dict) -> bool:
    return (a["right"] <= b["left"] + 0.5 or b["right"] <= a["left"] + 0.5
            or a["bottom"] <= b["top"] + 0.5 or b["bottom"] <= a["top"] + 0.5)


def _check(boxes: dict, what: str) -> bool:
    """No two children's drawn figures overlap, and each stays inside the output area; returns
    whether the two children are side by side."""
    kids = boxes["kids"]
    assert len(kids) == 2, (what, boxes)
    a, b = kids[0]["ink"], kids[1]["ink"]
    assert _apart(a, b), (what, "the figures overlap", kids)
    for k in kids:
        assert k["ink"]["left"] >= boxes["area"]["left"] - 0.5, (what, k, boxes["area"])
        assert k["ink"]["right"] <= boxes["area"]["right"] + 0.5, (what, "clipped at the right", k, boxes["area"])
    return abs(kids[0]["top"] - kids[1]["top"]) < 1.0


def test_a_row_wraps_instead_of_overlapping(page, lab, artifacts):
    run_notebook(page, lab, "row_wrap.ipynb", [ROW], height=1400)
    assert not cell_errors(page), cell_errors(page)
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output .bqplot svg').length >= 3",
                           timeout=60_000)
    page.wait_for_timeout(1_000)
    assert _check(page.evaluate(BOXES), "1280 px"), "side by side on a wide page"
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(artifacts / "row-wide.png"))
    page.set_viewport_size({"width": 900, "height": 1400})
    page.wait_for_timeout(1_500)
    side = _check(page.evaluate(BOXES), "900 px")
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(artifacts / "row-narrow.png"))
    assert not side, "the second view goes to a new line when both do not fit"
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not [m for m in page.console_messages_seen if m.startswith("pageerror")]
