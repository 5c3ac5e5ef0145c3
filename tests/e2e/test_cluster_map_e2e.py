"""Browser test of the ClusterMap: borders drawn on the canvas, a click selects a whole cluster.

One notebook shows a ClusterMap and a UMatrix with the same clusters' borders, sharing one
Selection, on a small toroidal hex map. The test reads the number of border segments each canvas
drew (``data-borders``) against Python's, checks that the border pixels are dark, clicks a neuron
of the ClusterMap and checks that the U-matrix and Python see every neuron of its cluster
selected, clicks (and shift-clicks) cluster entries of the legend and checks the selection is
those clusters' neurons, drives the map with the keyboard (an arrow with nothing selected starts
at neuron 0; the focused map's live region says what is selected), and takes screenshots into
the artifacts folder.
"""

from __future__ import annotations

import json

from labhelpers import (
    PROMPTS,
    kernel_exec,
    open_notebook,
    prompts,
    run_all,
    wait_idle,
    write_notebook,
)

SETUP = """\
import numpy as np
import ipywidgets as W
from somwidget import SOM
from somwidget.datasets import load_iris
from somwidget.widgets import ClusterMap, Selection, UMatrix
X = load_iris().drop(columns="label")
som = SOM(mapsize=(8, 10), lattice="toroidal_hexa", random_state=1).fit(X, epochs=8)
sel = Selection()
cm = ClusterMap(som, X, n_clusters=5, selection=sel)
um = UMatrix(som, selection=sel, clusters=cm.clustering)
cm.layout.width = um.layout.width = "49%"
W.HBox([cm, um])
"""

# fraction of very dark pixels (the border line colour #1a1a1a) on a canvas
DARK = """(el) => {
  const c = el.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let dark = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 50 && d[i + 1] < 50 && d[i + 2] < 50) dark++;
  return dark / (c.width * c.height);
}"""


def _view(page, kind: str, nth: int = 0):
    return page.locator(f'.somwidget-view[data-view="{kind}"]').nth(nth)


def test_cluster_map_borders_and_cluster_click(lab, page, artifacts):
    write_notebook(lab["root"] / "clusters.ipynb", [SETUP])
    open_notebook(page, lab, "clusters.ipynb")
    run_all(page)
    wait_idle(page, timeout_ms=90_000)
    page.wait_for_function(
        "() => { const v = [...document.querySelectorAll('.somwidget-view')];"
        " return v.length === 2 && v.every(e => Number(e.dataset.draws) > 0); }",
        timeout=60_000,
    )
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors
    info = json.loads(kernel_exec(
        page, "import json; print(json.dumps({'n': len(cm.borders), 'ids': cm.cluster_ids.tolist()}))"))
    assert info["n"] > 0
    cmv, umv = _view(page, "clusters"), _view(page, "umatrix")
    assert cmv.get_attribute("data-borders") == str(info["n"])
    assert umv.get_attribute("data-borders") == str(info["n"])
    # the border lines are drawn: a visible share of dark pixels (no cell colour is that dark)
    assert cmv.evaluate(DARK) > 0.01
    # the legend lists the clusters, with no "no samples" entry
    legend = cmv.locator(".sw-categories").inner_text()
    assert "cluster 0" in legend and "no samples" not in legend
    cmv.screenshot(path=str(artifacts / "cluster-map.png"))

    # click a neuron: its whole cluster is selected, in the U-matrix and in Python
    k = 37
    members = [i for i, c in enumerate(info["ids"]) if c == info["ids"][k]]
    assert len(members) > 1
    cmv.scroll_into_view_if_needed()
    pt = cmv.evaluate(f"(el) => el.somwidget.neuronClientPoint({k})")
    page.mouse.click(pt["x"], pt["y"])
    want = ",".join(map(str, members))
    page.wait_for_function(
        "(want) => document.querySelector('.somwidget-view[data-view=\"umatrix\"]')?.dataset.selected === want",
        arg=want, timeout=10_000,
    )
    out = kernel_exec(page, "print(sel.neurons == np.flatnonzero(cm.cluster_ids == cm.cluster_ids[37]).tolist(),"
                            " cm.selected_clusters)")
    assert out.split()[0] == "True", out
    assert out.strip().endswith(f"[{info['ids'][k]}]"), out
    umv.screenshot(path=str(artifacts / "cluster-umatrix-selected.png"))

    # the legend's clusters are buttons: a click selects the cluster's neurons (replacing the
    # selection), a shift-click adds another cluster
    n_clusters = max(info["ids"]) + 1
    buttons = cmv.locator(".sw-categories button.sw-legend-item")
    assert buttons.count() == n_clusters
    j = (info["ids"][k] + 1) % n_clusters
    cmv.locator(f'.sw-categories button[data-category="{j}"]').click()
    want = ",".join(str(i) for i, c in enumerate(info["ids"]) if c == j)
    page.wait_for_function(
        "(want) => document.querySelector('.somwidget-view[data-view=\"umatrix\"]')?.dataset.selected === want",
        arg=want, timeout=10_000,
    )
    out = kernel_exec(page, f"print(sel.neurons == np.flatnonzero(cm.cluster_ids == {j}).tolist())")
    assert out.strip() == "True", out
    j2 = (j + 1) % n_clusters
    cmv.locator(f'.sw-categories button[data-category="{j2}"]').click(modifiers=["Shift"])
    want = ",".join(str(i) for i, c in enumerate(info["ids"]) if c in (j, j2))
    page.wait_for_function(
        "(want) => document.querySelector('.somwidget-view[data-view=\"clusters\"]')?.dataset.selected === want",
        arg=want, timeout=10_000,
    )
    out = kernel_exec(page, f"print(sel.neurons == np.flatnonzero(np.isin(cm.cluster_ids, [{j}, {j2}])).tolist())")
    assert out.strip() == "True", out

    # keyboard: the map says what it is; with nothing selected an arrow key starts at neuron 0
    # (here its whole cluster), and the live region describes the neuron
    canvas = cmv.locator(".somwidget-canvas")
    label = canvas.get_attribute("aria-label")
    assert label.startswith("SOM cluster map, 8 × 10 hexagonal: arrow keys move the selected neuron"), label
    canvas.focus()
    page.keyboard.press("Escape")
    page.wait_for_function("(el) => el.dataset.selected === ''", arg=cmv.element_handle(), timeout=10_000)
    page.keyboard.press("ArrowRight")
    want = ",".join(str(i) for i, c in enumerate(info["ids"]) if c == info["ids"][0])
    page.wait_for_function("(w) => document.querySelector('.somwidget-view[data-view=\"clusters\"]')"
                           "?.dataset.selected === w", arg=want, timeout=10_000)
    status = cmv.locator('[role="status"]')
    page.wait_for_function("(el) => el.textContent.includes('neuron 0, row 0, col 0')",
                           arg=status.element_handle(), timeout=5_000)
    # the next arrow moves from the neuron moved to (0), not from its cluster's lowest neuron
    page.keyboard.press("ArrowRight")
    want = ",".join(str(i) for i, c in enumerate(info["ids"]) if c == info["ids"][1])
    page.wait_for_function("(w) => document.querySelector('.somwidget-view[data-view=\"clusters\"]')"
                           "?.dataset.selected === w", arg=want, timeout=10_000)
    page.wait_for_function("(el) => el.textContent.includes('neuron 1, row 0, col 1')",
                           arg=status.element_handle(), timeout=5_000)
    assert page.evaluate("() => document.activeElement.classList.contains('somwidget-canvas')")

    # the keys the map leaves alone go on to JupyterLab: Ctrl / Alt+Enter, Shift+Enter,
    # Shift+Space and Shift+Escape leave the canvas neither stopped nor default-prevented (seen,
    # then stopped, by the box around it here, so they run nothing) and select nothing
    before = cmv.get_attribute("data-selected")
    passed = canvas.evaluate("""(c) => { const seen = [];
      const keep = (e) => { seen.push([e.key, e.ctrlKey, e.altKey, e.shiftKey, e.defaultPrevented]); e.stopPropagation(); };
      c.parentElement.addEventListener('keydown', keep);
      for (const m of [{ctrlKey: true}, {altKey: true}, {shiftKey: true}, {shiftKey: true, key: ' '},
                       {shiftKey: true, key: 'Escape'}])
        c.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true, ...m}));
      c.parentElement.removeEventListener('keydown', keep);
      return seen; }""")
    assert passed == [["Enter", True, False, False, False], ["Enter", False, True, False, False],
                      ["Enter", False, False, True, False], [" ", False, False, True, False],
                      ["Escape", False, False, True, False]], passed
    assert cmv.get_attribute("data-selected") == before
    # and in JupyterLab, Shift+Enter on the focused map runs its cell and moves on (the last
    # cell's Shift+Enter adds a cell below): the notebook had 1 cell, now 2
    assert page.locator(".jp-Notebook .jp-Cell").count() == 1
    first_prompt = prompts(page)[0]
    canvas.focus()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-Cell').length === 2"
                           " && document.querySelectorAll('.jp-Notebook .jp-Cell')[1]"
                           ".classList.contains('jp-mod-active')", timeout=10_000)
    # the cell ran again: its prompt shows a later execution count
    page.wait_for_function(f"(was) => {{ const p = ({PROMPTS})()[0]; return /^\\[\\d+\\]:$/.test(p) && p !== was; }}",
                           arg=first_prompt, timeout=90_000, polling=200)
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors
