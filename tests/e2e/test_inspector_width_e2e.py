"""The neuron inspector has no horizontal scrollbar of its own, at any width it is given.

In a Chromium that draws scrollbars, a scrollbar showed under the inspector's tabs: something
in it was a few pixels wider than the inspector. Only the tables scroll sideways (their own
``.somwidget-scroll`` boxes, by design, when there are many columns); the inspector and every
other box in it must fit, in both tabs, at a few widths from the narrowest (320 px) up. The
screenshots go to the artifacts folder, ``inspector-width-*.png``.
"""

from __future__ import annotations

from labhelpers import kernel_exec, open_notebook, run_all, wait_all_executed, write_notebook

INSPECTOR = """
import ipywidgets as W
from somwidget import SOM
from somwidget.datasets import load_wine
from somwidget.widgets import NeuronInspector
df = load_wine()
X = df.drop(columns="label")
som = SOM(mapsize=(8, 8), normalization="standard", random_state=0).fit(X, epochs=5)
ins = NeuronInspector(som, X, labels=df["label"])
ins.selection.neurons = [0, 1, 9]
box = W.HBox([ins])
box.layout.width = "340px"
box
"""

# Every box in the inspector (and the inspector itself) that is wider inside than it shows,
# other than the tables' own scroll boxes; for each, its widest children past its right edge.
OVERFLOW = """(root) => {
  const name = (e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const out = [];
  for (const e of [root, ...root.querySelectorAll('*')]) {
    if (e.closest('.somwidget-scroll') || !(e instanceof HTMLElement)) continue;
    if (e.offsetParent === null && e !== root) continue;  // not shown (the other tab)
    if (e.scrollWidth <= e.clientWidth) continue;
    const s = getComputedStyle(e);
    if (s.overflowX === 'visible' && e !== root) continue;  // spills, but scrolls nothing
    const b = e.getBoundingClientRect();
    const right = b.left + e.clientLeft + e.clientWidth;
    const wide = Array.from(e.querySelectorAll('*')).filter(c => c.getBoundingClientRect().right > right + 0.5)
      .slice(0, 6).map(c => ({el: name(c), right: c.getBoundingClientRect().right,
                              width: c.getBoundingClientRect().width}));
    out.push({el: name(e), overflowX: s.overflowX, scrollWidth: e.scrollWidth,
              clientWidth: e.clientWidth, right, wide});
  }
  return out;
}"""

# The inspector's sizes; the shown table's scroll box (it scrolls, the rest stays) and the
# sample table's controls (they stay inside the inspector).
SIZES = """(root) => {
  const r = root.getBoundingClientRect();
  const scroll = Array.from(root.querySelectorAll('.widget-tab .somwidget-scroll'))
    .find(e => e.offsetParent !== null);
  const bar = root.querySelector('.somwidget-table-bar');
  const barShown = bar && bar.offsetParent !== null;
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, width: r.width,
          table: scroll && {scrollWidth: scroll.scrollWidth, clientWidth: scroll.clientWidth,
                            right: scroll.getBoundingClientRect().right},
          barRight: barShown ? Math.max(...Array.from(bar.children)
            .map(c => c.getBoundingClientRect().right)) : null,
          right: r.left + root.clientLeft + root.clientWidth};
}"""


def test_inspector_has_no_horizontal_scrollbar(scrollbar_page, lab, artifacts):
    page = scrollbar_page
    write_notebook(lab["root"] / "inspector_width.ipynb", [INSPECTOR])
    page.set_viewport_size({"width": 1280, "height": 1400})
    open_notebook(page, lab, "inspector_width.ipynb")
    run_all(page)
    wait_all_executed(page, timeout_ms=120_000)
    inspector = page.locator(".somwidget-inspector").first
    page.wait_for_function("() => document.querySelector('.somwidget-inspector [data-shown]')"
                           "?.dataset.shown === '3'", timeout=30_000)
    inspector.scroll_into_view_if_needed()
    tabs = page.locator(".somwidget-inspector .widget-tab .lm-TabBar-tab")
    for width in (320, 340, 361, 420, 517, 640):  # from the inspector's narrowest
        kernel_exec(page, f"box.layout.width = '{width}px'")
        page.wait_for_function("(w) => Math.abs(document.querySelector('.somwidget-inspector')"
                               ".getBoundingClientRect().width - w) < 2", arg=width, timeout=10_000)
        for tab in (0, 1):
            tabs.nth(tab).click()
            page.wait_for_timeout(500)  # bqplot lays the figure out again on resize
            inspector.screenshot(path=str(artifacts / f"inspector-width-{width}px-tab{tab}.png"))
            sizes = inspector.evaluate(SIZES)
            overflow = inspector.evaluate(OVERFLOW)
            # the inspector is no wider inside than it is: no scrollbar of its own
            assert sizes["scrollWidth"] <= sizes["clientWidth"], (width, tab, sizes, overflow)
            # nor is any box in it, but the tables' own scroll boxes
            assert overflow == [], (width, tab, overflow)
            # the table (13 features) does scroll sideways, in its box inside the inspector,
            # and the sample table's controls stay in view
            table = sizes["table"]
            assert table and table["scrollWidth"] > table["clientWidth"], (width, tab, sizes)
            assert table["right"] <= sizes["right"] + 0.5, (width, tab, sizes)
            if tab == 0:
                assert sizes["barRight"] <= sizes["right"] + 0.5, (width, sizes)
    errors = [m for m in page.console_messages_seen if m.startswith("pageerror")]
    assert not errors, errors
