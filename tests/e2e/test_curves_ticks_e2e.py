"""The training curves' epoch tick labels lie inside their figures, measured in the browser.

Every shown tick label of each chart's epoch axis (the quality and the schedule chart), as the
browser draws it (its text box in screen pixels), lies inside the chart's figure with at least
2 px to spare on either side: from 1 epoch to 25,000, at 250 px, the default 420 px and the full
width, online (with a learning-rate axis on the right) and batch (without it), in a box narrower
than the charts, and in the narrowest notebook width tried (700 px). The screenshot goes to the
artifacts folder, ``curves-ticks.png``.
"""

from __future__ import annotations

from labhelpers import cell_errors, run_notebook

CURVES = """
import ipywidgets as W
from somwidget.widgets import TrainingCurves
charts = []
for n, width, rate in ((1, "420px", 0.1), (3, "250px", 0.1), (37, "420px", None),
                       (137, "320px", 0.1), (1000, "420px", 0.1), (25000, "420px", None),
                       (20, "100%", 0.1)):
    c = TrainingCurves(title=f"{n} epochs, {width}", width=width)
    for e in sorted({*range(1, n + 1, max(1, n // 40)), n}):
        c.add_epoch(e, quantization_error=1 / e, topographic_error=0.1, vacancy_rate=0.05,
                    radius=3.0 * (n - e + 1) / n, learning_rate=rate, redraw=False)
    c.redraw()
    charts.append(c)
W.VBox(charts + [W.HBox([charts.pop()], layout=W.Layout(width="300px"))])
"""

# Every bqplot figure: its box and the screen boxes of its epoch axis' tick labels.
EPOCH_TICKS = r"""() => Array.from(document.querySelectorAll('.jp-OutputArea-output .bqplot')).map(fig => {
  const box = fig.querySelector('svg').getBoundingClientRect(), own = fig.getBoundingClientRect();
  const axis = Array.from(fig.querySelectorAll('g.axis'))
    .find(a => a.querySelector('text.axislabel')?.textContent === 'epoch');
  const ticks = axis ? Array.from(axis.querySelectorAll('g.tick text'))
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => { const r = t.getBoundingClientRect(); return {text: t.textContent, left: r.left, right: r.right}; }) : [];
  return {title: fig.querySelector('text.mainheading')?.textContent ?? '',
          left: Math.max(box.left, own.left), right: Math.min(box.right, own.right), ticks};
})"""


def _check(figures: list[dict], what: str) -> float:
    """Assert every epoch tick label is >= 2 px inside its figure; returns the least room (px;
    45.5 when written: the 25,000-epoch chart's last label)."""
    assert len(figures) == 14, (what, len(figures))  # 7 widgets, 2 charts each
    least = float("inf")
    for fig in figures:
        assert len(fig["ticks"]) >= 2, (what, fig)
        for t in fig["ticks"]:
            room = min(t["left"] - fig["left"], fig["right"] - t["right"])
            assert room >= 2.0, (what, fig["title"], t, fig["left"], fig["right"])
            least = min(least, room)
    return least


def test_epoch_tick_labels_lie_inside_the_figure(page, lab, artifacts):
    run_notebook(page, lab, "curves_ticks.ipynb", [CURVES], height=3000)
    assert not cell_errors(page), cell_errors(page)
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output .bqplot g.tick').length > 100",
                           timeout=60_000)
    page.wait_for_timeout(1_000)
    _check(page.evaluate(EPOCH_TICKS), "1280 px")
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(artifacts / "curves-ticks.png"))
    page.set_viewport_size({"width": 700, "height": 3000})
    page.wait_for_timeout(1_500)
    _check(page.evaluate(EPOCH_TICKS), "700 px")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not [m for m in page.console_messages_seen if m.startswith("pageerror")]
