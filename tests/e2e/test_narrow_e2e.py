"""The views in a narrow notebook, as on a laptop with JupyterLab's file browser open, and a wide one.

Each notebook (a notebook of every composite view, the quickstart, the teaching and the
clusters notebook) is run once in a Chromium that draws scrollbars, with JupyterLab's file
browser open, and every output is measured (``layout_audit.layout_problems``) on pages 1280,
900 and 700 px wide (a notebook 950, 570 and 370 px wide). The repo's notebooks are the
light-theme runs ``test_notebooks_look_e2e`` reads too (``shared_runs.NotebookRuns``). At every
width:

* the page never scrolls sideways (the page, the notebook's panel, the notebook);
* no box in an output scrolls sideways to nothing: a box may scroll (a wide table, a chart wider
  than a 370 px notebook) only to show what is drawn past its edge. A lattice view's selection
  overlay reached 11 px past the picture on every side, transparent, and gave the Explorer's
  maps, the Studio's maps and every lone hit map, U-matrix or cluster map that fills the
  notebook's width a horizontal scrollbar that scrolled to nothing;
* nothing is cut off where it cannot be scrolled to (a box that hides its overflow, the left
  edge of a box that scrolls, the output area's edges, an svg's own edges);
* no two pieces (figures, controls, runs of text) of an output lie over each other. The
  component planes' "13 planes, scroll for more" hint lies over the planes' scroll box on
  purpose (a sticky fade at its bottom edge) and is left out.

Screenshots: ``narrow-<notebook>-<width>-<output>.png`` in the artifacts folder (what the page
shows with that output scrolled into view).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import _recording_page
from labhelpers import (
    cell_errors,
    open_notebook,
    run_all,
    wait_code_cells_executed,
    write_notebook,
)
from layout_audit import layout_problems

WIDTHS = (1280, 900, 700)
#: overlays laid over other pieces on purpose
IGNORE = ".sw-scroll-hint"

VIEWS = [
    """
import numpy as np, pandas as pd
from somwidget import SOM, Studio
from somwidget.datasets import load_iris, load_wine
from somwidget.widgets import (ClusterMap, ComponentPlanes, Explorer, HitMap, InputSpaceView,
                               NeuronInspector, Row, Selection, TrainingCurves, UMatrix)
df = load_wine()
X, y = df.drop(columns="label"), df["label"]
som = SOM(mapsize=(10, 12), lattice="hexa", normalization="standard", random_state=0).fit(X, epochs=10)
sel = Selection()
sel.neurons = [0, 11, 108, 119]  # the corners: their rings reach the pictures' edges
""",
    "HitMap(som, X, y, label_overlay='majority', selection=sel)",
    "UMatrix(som, selection=sel)",
    "ClusterMap(som, X, selection=sel)",
    "ComponentPlanes(som, selection=sel)",
    "InputSpaceView(som, X, labels=y, selection=sel)",
    """
curves = TrainingCurves(title="quality")
for e in range(1, 11):
    curves.add_epoch(e, quantization_error=1 / e, topographic_error=0.1, vacancy_rate=0.05,
                     radius=6 - e / 2, learning_rate=0.5 / e, redraw=False)
curves.redraw()
curves
""",
    "NeuronInspector(som, X, labels=y, selection=sel)",
    """
rng = np.random.default_rng(0)
centres = rng.uniform(-4, 4, size=(5, 16))
cls = rng.integers(0, 5, 3000)
X16 = pd.DataFrame(centres[cls] + rng.normal(size=(3000, 16)), columns=[f"feature {i}" for i in range(16)])
ex = Explorer(SOM(mapsize=(12, 10), random_state=0).fit(X16, epochs=10), X16,
              labels=np.array(["alpha", "beta", "gamma", "delta", "epsilon"])[cls])
ex.selection.neurons = [0, 1, 13]
ex
""",
    "Row([ex.umatrix, ex.inspector])",
    """
Xi, yi = load_iris(return_X_y=True)
studio = Studio(SOM(mapsize=(10, 10), lattice="hexa", normalization="standard", random_state=0),
                Xi, labels=yi, epochs=20)
studio
""",
    """
online = Studio(SOM(mapsize=(8, 8), normalization="standard", random_state=0), Xi, labels=yi,
                mode="online", epochs=3)
online
""",
]

# a fingerprint of the outputs' layout: the sizes of their figures and boxes
LAYOUT_SIGNATURE = """() => JSON.stringify(Array.from(document.querySelectorAll(
  '.jp-OutputArea-output svg, .jp-OutputArea-output canvas, .jp-OutputArea-output .widget-box'))
  .map(e => { const b = e.getBoundingClientRect(); return [Math.round(b.width), Math.round(b.height)]; }))"""


#: resolves once LAYOUT_SIGNATURE reads the same four times 250 ms apart (750 ms still) or after
#: ``maxMs``; polled in the page, so no round trip and no idle wait after the last reading
SETTLE = f"""async (maxMs) => {{
  const sig = {LAYOUT_SIGNATURE};
  const t0 = performance.now();
  let last = null, stable = 0;
  while (performance.now() - t0 < maxMs) {{
    const s = sig();
    stable = s === last ? stable + 1 : 0;
    last = s;
    if (stable >= 3) return;
    await new Promise((r) => setTimeout(r, 250));
  }}
}}"""

#: where an element lies in the viewport (it moves when any box around it scrolls)
TOP_LEFT = "(el) => { const b = el.getBoundingClientRect(); return [b.top, b.left]; }"


def _settle(page, max_ms: int = 8_000) -> None:
    """Wait until the outputs' layout holds still for 750 ms (bqplot redraws a resized figure
    a little later, and only once it is on screen)."""
    page.evaluate(SETTLE, max_ms)


def _measure(page, width: int, artifacts, name: str) -> dict[str, Any]:
    """``layout_problems`` of every output, each scrolled into view in a ``width`` x 900 page.

    The layout is let settle after the resize and after every scroll; an output that is on
    screen already (scrolling to it moved nothing) is measured in the layout that settled for
    the one before it (nothing is redrawn that was not resized or newly shown)."""
    page.set_viewport_size({"width": width, "height": 900})
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output")
    lists = ("overlaps", "clipped", "scrolls", "ellipsis")
    merged: dict[str, Any] = {key: [] for key in lists}
    settled = False
    for i in range(outputs.count()):
        if not outputs.nth(i).is_visible():  # an empty one (a widget's unused text fallback)
            continue
        before = outputs.nth(i).evaluate(TOP_LEFT)
        outputs.nth(i).scroll_into_view_if_needed()
        if not settled or outputs.nth(i).evaluate(TOP_LEFT) != before:
            _settle(page)
            settled = True
        found = layout_problems(page, only=[i], ignore=IGNORE)
        for key in lists:
            merged[key] += found[key]
        merged["page"] = found["page"]
        if not outputs.nth(i).get_attribute("data-mime-type"):  # a widget
            page.screenshot(path=str(artifacts / f"narrow-{name}-{width}-{i:02d}.png"))
    return merged


def _measure_widths(page, name: str, artifacts) -> dict[str, Any]:
    """{"name", width: measures for each of ``WIDTHS``, "pageerrors"} of a notebook run to its end.

    "pageerrors": the page's errors, and the console errors logged while it was measured. What
    the resizes here logged is this test's, not that of the next test to read the shared page
    (``test_notebooks_look_e2e`` checks the console of the run): it is dropped from the page,
    also when a measurement fails."""
    errors = cell_errors(page)
    assert not errors, errors[0]
    result: dict[str, Any] = {"name": name}
    seen = len(page.console_messages_seen)
    try:
        for width in WIDTHS:
            result[width] = _measure(page, width, artifacts, name)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
        resized = page.console_messages_seen[seen:]
        del page.console_messages_seen[seen:]
    result["pageerrors"] = [m for m in page.console_messages_seen if m.startswith("pageerror")] + [
        m for m in resized if m.startswith(("pageerror", "error")) and ANYWIDGET_SLOW not in m]
    return result


#: anywidget's Runtime rejects its ``ready`` promise when a model's front end has not started
#: within 2 s (``AbortSignal.timeout(2e3)`` in anywidget's runtime.ts), even if it starts later:
#: on the 2-core CI machine, busy with every kernel of the suite, the outputs the resizes scroll
#: into view met it (a fresh-clone run: once, in the teaching notebook). It is a measure of the
#: machine's load, not of the layout; any other error during the resizes fails the test.
ANYWIDGET_SLOW = "[anywidget] Failed to initialize model."


@pytest.fixture(scope="module", params=["views", "quickstart", "teaching", "clusters"])
def measured(request, lab, scrollbar_context, notebook_runs, artifacts) -> dict[str, Any]:
    """One notebook run once, measured at each of ``WIDTHS``: {"name", width: measures}.

    The repo's notebooks come from ``notebook_runs``: the same light-theme run that
    ``test_notebooks_look_e2e`` reads (and then closes)."""
    name = request.param
    if name != "views":
        return _measure_widths(notebook_runs.page(name), name, artifacts)
    file = f"narrow_{name}.ipynb"
    write_notebook(lab["root"] / file, VIEWS)
    with _recording_page(scrollbar_context, console=False) as page:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        open_notebook(page, lab, file)
        run_all(page)
        wait_code_cells_executed(page, timeout_ms=300_000)
        return _measure_widths(page, name, artifacts)


@pytest.mark.timeout(600)
def test_the_page_never_scrolls_sideways(measured):
    for width in WIDTHS:
        page = measured[width]["page"]
        # the file browser is open: the notebook is narrower than the page by its width
        assert page["notebookWidth"] < width - 250, (measured["name"], width, page)
        wide = {k: page[k] for k in ("document", "body", "panel", "notebook") if page[k]}
        assert not wide, (measured["name"], width, "the page scrolls sideways", page)
    assert not measured["pageerrors"], measured["pageerrors"][:3]


def _short(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """An item of ``layout_problems`` for a message: its output, its element's own name, ``keys``."""
    return {"output": item["output"], "el": item["el"].split(" < ")[0], **{k: item.get(k) for k in keys}}


@pytest.mark.timeout(600)
def test_no_box_scrolls_sideways_to_nothing(measured):
    needless = {width: [_short(s, ("scrollWidth", "clientWidth")) for s in measured[width]["scrolls"]
                        if s["needless"]] for width in WIDTHS}
    assert not any(needless.values()), (measured["name"], "scrollbars that scroll to nothing", needless)


@pytest.mark.timeout(600)
def test_nothing_is_cut_off(measured):
    clipped = {width: [_short(c, ("kind", "text", "r", "edge", "by")) for c in measured[width]["clipped"]]
               for width in WIDTHS}
    assert not any(clipped.values()), (measured["name"], "cut off", clipped)
    for width in WIDTHS:
        # a text cut short with an ellipsis keeps the whole of it in its tooltip
        untitled = [e for e in measured[width]["ellipsis"] if not (e["title"] or "").startswith(e["text"])]
        assert not untitled, (measured["name"], width, untitled[:4])


@pytest.mark.timeout(600)
def test_nothing_overlaps(measured):
    overlaps = {width: [{"output": o["output"], "by": o["by"], "a": (o["a"]["kind"], o["a"]["text"], o["a"]["el"]),
                         "b": (o["b"]["kind"], o["b"]["text"], o["b"]["el"])}
                        for o in measured[width]["overlaps"][:4]] for width in WIDTHS}
    assert not any(overlaps.values()), (measured["name"], "overlapping", overlaps)
