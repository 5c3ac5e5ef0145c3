"""Browser test of the lattice views: canvas drawing and selection linking in real JupyterLab.

One notebook shows a HitMap and a UMatrix sharing one Selection on a 100x100 hex map, and a
HitMap (size mode, label overlay), a UMatrix and ComponentPlanes sharing another Selection on a
small toroidal hex map, and a CodebookGlyphMap (bars) and a NeuronIndexMap sharing a third
Selection on a small rectangular map. The test checks the canvases are drawn (opaque, many colours), clicks a
neuron in one view and checks `data-selected` in the others and in Python, brushes a region,
clears with Escape, checks the glyphs' bars and the indices on the canvas, the glyph tooltip's
data units and a click in the glyph map reaching the index map, and takes screenshots into the
artifacts folder. An ElevationMap of the small map, sharing the second Selection, draws its prisms
on a canvas, names the hovered neuron, selects on click and turns with a drag and an arrow key
(the angles reach Python).
"""

from __future__ import annotations

import json
import math

from conftest import REPO
from labhelpers import (
    CANVAS_STATS,
    kernel_exec,
    open_notebook,
    run_all,
    wait_code_cells_executed,
    wait_idle,
    write_notebook,
)

SETUP = """\
import numpy as np
import ipywidgets as W
from somwidget import SOM
from somwidget.widgets import CodebookGlyphMap, ComponentPlanes, HitMap, NeuronIndexMap, Selection, UMatrix
rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 0.4, size=(100, 3)) for c in ([0, 0, 0], [3, 0, 1], [0, 3, 2])])
labels = np.repeat(["red", "green", "blue"], 100)
big = SOM(mapsize=(100, 100), lattice="hexa", random_state=0).initialize(X)
small = SOM(mapsize=(6, 8), lattice="toroidal_hexa", random_state=0).fit(X, epochs=5)
rect = SOM(mapsize=(3, 4), lattice="rect", random_state=0).fit(X, epochs=3)
"""

BIG = """\
sel = Selection()
hm = HitMap(big, X, selection=sel)
um = UMatrix(big, selection=sel)
hm.layout.width = um.layout.width = "49%"
W.HBox([hm, um])
"""

SMALL = """\
sel2 = Selection()
hm2 = HitMap(small, X, labels, selection=sel2, mode="size", label_overlay="majority")
um2 = UMatrix(small, selection=sel2, colormap="magma", show_values=True)
cp2 = ComponentPlanes(small, selection=sel2)
for w in (hm2, um2):
    w.layout.width = "32%"
cp2.layout.width = "34%"
W.VBox([sel2, W.HBox([hm2, um2, cp2])])
"""

ELEV = """\
from somwidget.widgets import ElevationMap
ev = ElevationMap(small, X, selection=sel2, azimuth=0, elevation=50, width=420)
ev
"""

# walking down from neuron k's top centre pixel by pixel: [what the pointer there hovers, the
# alpha of the canvas's pixel there]
ELEV_WALK = """(el, k) => {
  const c = el.querySelector('canvas.sw-elevation-canvas');
  const r = c.getBoundingClientRect(); const p = el.somwidget.neuronClientPoint(k);
  const f = c.width / r.width; const ctx = c.getContext('2d');
  const out = [];
  for (let dy = 0; p.y + dy < r.bottom - 1; dy++) {
    c.dispatchEvent(new PointerEvent('pointermove', {clientX: p.x, clientY: p.y + dy, bubbles: true}));
    const a = ctx.getImageData(Math.round((p.x - r.left) * f), Math.round((p.y + dy - r.top) * f), 1, 1).data[3];
    out.push([Number(el.dataset.hover), a]);
  }
  return out;
}"""

# the RGBA of the elevation canvas's pixel under neuron k's top face (and of its top-left corner)
ELEV_PIXEL = """(el, k) => {
  const c = el.querySelector('canvas.sw-elevation-canvas');
  const r = c.getBoundingClientRect(); const p = el.somwidget.neuronClientPoint(k);
  const f = c.width / r.width; const ctx = c.getContext('2d');
  const at = (x, y) => Array.from(ctx.getImageData(Math.round(x * f), Math.round(y * f), 1, 1).data);
  return {top: at(p.x - r.left, p.y - r.top), corner: at(1, 1)};
}"""

GLYPHS = """\
sel3 = Selection()
gm = CodebookGlyphMap(rect, selection=sel3, kind="bar")
im = NeuronIndexMap(rect, selection=sel3, show_row_col=True)
gm.layout.width = im.layout.width = "49%"
W.HBox([gm, im])
"""

# the base canvas' pixel under a client point, [r, g, b, a]
PIXEL = """(el, [x, y]) => {
  const c = el.querySelector('canvas'); const r = c.getBoundingClientRect();
  const px = Math.floor((x - r.left) * c.width / r.width), py = Math.floor((y - r.top) * c.height / r.height);
  return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data);
}"""


def _view(page, kind: str, nth: int):
    return page.locator(f'.somwidget-view[data-view="{kind}"]').nth(nth)


def _click_neuron(page, view, k: int, modifiers=None) -> None:
    view.scroll_into_view_if_needed()
    pt = view.evaluate(f"(el) => el.somwidget.neuronClientPoint({k})")
    page.mouse.move(pt["x"], pt["y"])
    if modifiers:
        for m in modifiers:
            page.keyboard.down(m)
    page.mouse.click(pt["x"], pt["y"])
    if modifiers:
        for m in modifiers:
            page.keyboard.up(m)


def _wait_selected(page, kind: str, nth: int, value: str, timeout: int = 10_000) -> None:
    page.wait_for_function(
        "([kind, nth, value]) => document.querySelectorAll("
        "`.somwidget-view[data-view=\"${kind}\"]`)[nth]?.dataset.selected === value",
        arg=[kind, nth, value], timeout=timeout,
    )


def _centres(rows: int, cols: int) -> list[tuple[float, float]]:
    return [(c + 0.5 * (r % 2), r * math.sqrt(3) / 2) for r in range(rows) for c in range(cols)]


def test_views_draw_and_link(lab, page, artifacts):
    write_notebook(lab["root"] / "views.ipynb", [SETUP, BIG, SMALL, ELEV, GLYPHS])
    open_notebook(page, lab, "views.ipynb")
    run_all(page)
    wait_idle(page, timeout_ms=90_000)
    # every view drew at least once: hits x2, umatrix x2, planes x1, elevation x1, glyphs x1, indices x1
    page.wait_for_function(
        "() => { const v = [...document.querySelectorAll('.somwidget-view')];"
        " return v.length === 8 && v.every(e => Number(e.dataset.draws) > 0 && e.dataset.frame === '1'); }",
        timeout=60_000,
    )
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors

    # --- canvases are not blank --------------------------------------------------------------
    # the untrained 100x100 U-matrix is nearly constant: a minimum colour span, few colours, and
    # its legend says so (it used to be stretched over the whole colour map, faking clusters)
    assert "nearly constant" in _view(page, "umatrix", 0).inner_text()
    for kind, nth, min_colours in [("hits", 0, 4), ("umatrix", 0, 2), ("hits", 1, 4), ("umatrix", 1, 20)]:
        stats = _view(page, kind, nth).evaluate(CANVAS_STATS)
        assert stats["w"] > 100 and stats["h"] > 50, stats
        # the cells are opaque; around them the canvas is transparent (the page's theme shows)
        assert stats["opaque"] >= 0.5 * stats["w"] * stats["h"], stats
        assert stats["colours"] >= min_colours, (kind, nth, stats)
    planes = _view(page, "planes", 0)
    assert planes.locator(".sw-plane").count() == 3  # one small plane per feature
    # show_values: the small U-matrix writes its 48 values; the 100x100 one has no room for text
    assert _view(page, "umatrix", 1).get_attribute("data-labels") == "48"
    assert _view(page, "umatrix", 0).get_attribute("data-labels") == "0"

    # --- 100x100: click a neuron in the hit map, the U-matrix outlines it ---------------------
    k = 50 * 100 + 37
    _click_neuron(page, _view(page, "hits", 0), k)
    _wait_selected(page, "umatrix", 0, str(k))
    assert _view(page, "hits", 0).get_attribute("data-selected") == str(k)
    _view(page, "hits", 0).screenshot(path=str(artifacts / "views-hitmap-100x100-selected.png"))

    # --- small toroidal map: click in the U-matrix -> hit map, planes, Python -----------------
    _click_neuron(page, _view(page, "umatrix", 1), 9)
    for kind in ("hits", "planes"):
        _wait_selected(page, kind, 1 if kind == "hits" else 0, "9")
    # shift-click adds a second neuron (in the component planes' first plane)
    _click_neuron(page, planes, 20, modifiers=["Shift"])
    _wait_selected(page, "umatrix", 1, "9,20")
    page.wait_for_function(
        "() => document.querySelector('.somwidget-selection')?.textContent.includes('2 neurons selected')")
    out = kernel_exec(page, "print(sel2.neurons, sel.neurons)")
    assert out.strip() == f"[9, 20] [{k}]", out

    # --- hover tooltip: neuron index, row/col, value, label info ----------------------------------
    hm2v = _view(page, "hits", 1)
    pt = hm2v.evaluate("(el) => el.somwidget.neuronClientPoint(12)")
    page.mouse.move(pt["x"], pt["y"])
    tip = page.locator("body > .somwidget-tooltip >> visible=true")  # an overlay on the page
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert "neuron 12" in text and "row 1, col 4" in text and "samples per neuron" in text, text
    assert "majority label" in text, text

    # --- arrow key moves a single selection; Escape clears --------------------------------------
    _click_neuron(page, _view(page, "hits", 1), 10)
    _wait_selected(page, "umatrix", 1, "10")
    page.keyboard.press("ArrowRight")
    _wait_selected(page, "umatrix", 1, "11")
    page.keyboard.press("Escape")
    _wait_selected(page, "umatrix", 1, "")
    _wait_selected(page, "hits", 1, "")

    # --- brush: drag from neuron 9's centre to neuron 27's centre in the hit map ----------------
    hm2 = _view(page, "hits", 1)
    hm2.scroll_into_view_if_needed()
    a = hm2.evaluate("(el) => el.somwidget.neuronClientPoint(9)")
    b = hm2.evaluate("(el) => el.somwidget.neuronClientPoint(27)")
    # a pixel inside the rectangle of the two centres: both end neurons are still brushed
    page.mouse.move(a["x"] + 1, a["y"] + 1)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=4)
    page.mouse.move(b["x"] - 1, b["y"] - 1, steps=4)
    page.mouse.up()
    cen = _centres(6, 8)
    (x0, y0), (x1, y1) = cen[9], cen[27]
    want = [j for j, (x, y) in enumerate(cen) if x0 - 1e-6 <= x <= x1 + 1e-6 and y0 - 1e-6 <= y <= y1 + 1e-6]
    assert len(want) >= 4
    _wait_selected(page, "umatrix", 1, ",".join(map(str, want)))
    out = kernel_exec(page, "print(sel2.neurons)")
    assert json.loads(out) == want

    _elevation(page, artifacts)
    _check_glyph_and_index_maps(page, artifacts)
    page.locator(".jp-OutputArea-output").nth(1).screenshot(path=str(artifacts / "views-small-linked.png"))
    page.locator(".jp-OutputArea-output").nth(0).screenshot(path=str(artifacts / "views-100x100.png"))
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors


def _elevation(page, artifacts) -> None:
    """The ElevationMap: prisms drawn in the colour map's colour, the hovered neuron's tooltip, a
    click selects in every view, a drag and an arrow key turn it and Python reads the angle."""
    ev = _view(page, "elevation", 0)
    ev.scroll_into_view_if_needed()
    # azimuth 0: the last row (row 5) is nearest the viewer, nothing hides its tops
    k = 5 * 8 + 3
    # the top face's colour: the colour map's at the neuron's hits (Python's table)
    colour, hits = json.loads(kernel_exec(
        page, "import json\nfrom somwidget.widgets.colormaps import colors_for_values\n"
              f"print(json.dumps([colors_for_values(ev.values, ev.vmin, ev.vmax, 'viridis')[{k}],"
              f" int(ev.values[{k}])]))"))
    px = ev.evaluate(ELEV_PIXEL, k)
    assert px["top"][3] == 255 and px["corner"][3] == 0, px  # a prism there; transparent around
    want = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    assert all(abs(a - b) <= 2 for a, b in zip(px["top"][:3], want, strict=True)), (px, colour)
    stats = ev.evaluate(CANVAS_STATS)
    assert stats["colours"] >= 8, stats
    pt = ev.evaluate(f"(el) => el.somwidget.neuronClientPoint({k})")
    page.mouse.move(pt["x"], pt["y"])
    tip = page.locator("body > .somwidget-tooltip >> visible=true")
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert f"neuron {k}" in text and "row 5, col 3" in text and f"samples won (hits): {hits}" in text, text
    # walking down from the tallest prism's top centre: its top, its front face (no prism is
    # taller, so some of it shows), then nearer prisms or nothing. Every opaque pixel hovers a
    # neuron (a side face too: the tallest first), every clear one none
    tall = int(kernel_exec(page, "print(int(ev.heights.argmax()))"))
    walk = ev.evaluate(ELEV_WALK, tall)
    opaque = [h for h, a in walk if a == 255]
    clear_ = [h for h, a in walk if a == 0]
    assert opaque and -1 not in opaque and set(clear_) <= {-1}, (tall, walk)
    page.mouse.move(pt["x"], pt["y"])
    page.mouse.click(pt["x"], pt["y"])  # selects it in every view sharing the selection
    _wait_selected(page, "umatrix", 1, str(k))
    ev.screenshot(path=str(artifacts / "views-elevation.png"))
    # drag 60 px to the right: 0.5 degree per pixel turns it by 30 degrees; then one arrow key
    box = ev.locator("canvas.sw-elevation-canvas").bounding_box()
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 30, y0, steps=3)
    page.mouse.move(x0 + 60, y0, steps=3)
    page.mouse.up()
    page.wait_for_function("(el) => el.dataset.azimuth === '30.00'", arg=ev.element_handle(), timeout=5_000)
    az, slider = map(float, kernel_exec(page, "print(ev.azimuth, ev.azimuth_slider.value)").split())
    assert abs(az - 30) < 0.01 and slider == az, (az, slider)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(el) => el.dataset.azimuth === '35.00'", arg=ev.element_handle(), timeout=5_000)
    az, el = map(float, kernel_exec(page, "print(ev.azimuth, ev.elevation)").split())
    assert abs(az - 35) < 0.01 and el == 50.0, (az, el)
    # "+" (typed with Shift on most layouts) tilts by 5 degrees as "-" does; PageDown turns by
    # 15 (Shift with an arrow key moves the focused prism: test_elevation_keys_e2e.py)
    for key, shift, want in (("+", True, "55.00"), ("-", False, "50.00"), ("ArrowUp", False, "55.00")):
        ev.locator("canvas.sw-elevation-canvas").dispatch_event("keydown", {"key": key, "shiftKey": shift})
        page.wait_for_function(f"(el) => el.dataset.elevation === '{want}'", arg=ev.element_handle(),
                               timeout=5_000)
    ev.locator("canvas.sw-elevation-canvas").dispatch_event("keydown", {"key": "PageDown"})
    page.wait_for_function("(el) => el.dataset.azimuth === '50.00'", arg=ev.element_handle(), timeout=5_000)
    assert kernel_exec(page, "print(sel2.neurons)").strip() == f"[{k}]"


def _check_glyph_and_index_maps(page, artifacts) -> None:
    """The glyph map's bars where the codebook puts them, its tooltip in data units, a click in it
    selecting in the index map and in Python, the index map writing every index."""
    assert kernel_exec(page, "import somwidget; print(somwidget.__file__)").strip() == \
        str(REPO / "somwidget" / "__init__.py")
    # the expected bars, computed here from the codebook (not from the view)
    info = json.loads(kernel_exec(page, (
        "import json\n"
        "w = rect.codebook_in_data_units(); s = (w - w.min(0)) / (w.max(0) - w.min(0))\n"
        "from somwidget.widgets.colormaps import label_colors\n"
        "print(json.dumps({'s': s.tolist(), 'w': w.tolist(), 'names': [str(n) for n in rect.feature_names_in_],"
        " 'colours': label_colors(3)}))")))
    gmv, imv = _view(page, "glyphs", 0), _view(page, "indices", 0)
    gmv.scroll_into_view_if_needed()
    assert gmv.get_attribute("data-painted") == "12" and imv.get_attribute("data-painted") == "12"
    legend = gmv.locator(".sw-glyph-legend").inner_text()
    assert all(n in legend for n in info["names"]), legend
    k = 6
    c0 = gmv.evaluate("(el) => el.somwidget.neuronClientPoint(0)")
    c1 = gmv.evaluate("(el) => el.somwidget.neuronClientPoint(1)")
    ck = gmv.evaluate(f"(el) => el.somwidget.neuronClientPoint({k})")
    scale = c1["x"] - c0["x"]  # CSS px per plane unit (a rect lattice's neighbours are 1 apart)
    assert scale > 20, scale
    w, h = 0.76 * scale, 0.5 * scale
    left, base = ck["x"] - w / 2, ck["y"] + h / 2
    for j, v in enumerate(info["s"][k]):
        x = left + (j + 0.5) * w / 3
        want = [int(info["colours"][j][i:i + 2], 16) for i in (1, 3, 5)]
        top = base - v * h
        if v * h > 4:  # inside the bar, 2 px below its top: the feature's colour
            got = gmv.evaluate(PIXEL, [x, top + 2])
            assert max(abs(a - b) for a, b in zip(got[:3], want, strict=True)) <= 3, (j, v, got, want)
        if (1 - v) * h > 4:  # 2 px above it: not that colour (the grid's background)
            got = gmv.evaluate(PIXEL, [x, top - 2])
            assert max(abs(a - b) for a, b in zip(got[:3], want, strict=True)) > 30, (j, v, got, want)
    # hover: the neuron, its row and column, each feature in data units
    page.mouse.move(ck["x"], ck["y"])
    tip = page.locator("body > .somwidget-tooltip >> visible=true")
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert "neuron 6" in text and "row 1, col 2" in text, text
    for name, want in zip(info["names"], info["w"][k], strict=True):
        line = next(t for t in text.splitlines() if t.startswith(f"{name}: "))
        got = float(line.split(": ")[1])
        assert abs(got - want) <= 1e-3 * max(1.0, abs(want)), (line, want)
    # the index map: dark text on the neutral cell at its centre (the index "6" is written there)
    imv.scroll_into_view_if_needed()
    ci = imv.evaluate(f"(el) => el.somwidget.neuronClientPoint({k})")
    shades = [sum(imv.evaluate(PIXEL, [ci["x"] + dx, ci["y"] + dy])[:3])
              for dx in range(-6, 7, 2) for dy in range(-12, 3, 2)]
    assert min(shades) < 300 < max(shades), shades  # glyph strokes of the digit on a light cell
    # a click on neuron 9 of the glyph map selects it in the index map and in Python
    _click_neuron(page, gmv, 9)
    _wait_selected(page, "indices", 0, "9")
    assert kernel_exec(page, "print(sel3.neurons)").strip() == "[9]"
    gmv.screenshot(path=str(artifacts / "views-glyph-map.png"))
    imv.screenshot(path=str(artifacts / "views-index-map.png"))


def _cell_px(view) -> float:
    """CSS px per cell of a rectangular map's view (neurons 0 and 1 are one plane unit apart)."""
    c0 = view.evaluate("(el) => el.somwidget.neuronClientPoint(0)")
    c1 = view.evaluate("(el) => el.somwidget.neuronClientPoint(1)")
    return c1["x"] - c0["x"]


def test_large_glyph_and_index_maps_say_why_cells_are_left_out(lab, page, artifacts):
    """A 100x100 glyph map filling the output says its cells are too small for glyphs (and hides
    the glyph legend); with width=4000 it draws all 10000, scrolling sideways in its own box; the
    100x100 index map says which indices it writes. (A notebook of its own: the 4000 px map
    would push the views notebook's first cells out of the window.)"""
    write_notebook(lab["root"] / "large_glyphs.ipynb", [GLYPHS_BIG])
    open_notebook(page, lab, "large_glyphs.ipynb")
    run_all(page)
    wait_code_cells_executed(page, timeout_ms=90_000)
    page.wait_for_function(
        "() => { const v = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view')];"
        " return v.length === 3 && v.every(e => Number(e.dataset.draws) > 0 && e.dataset.frame === '1'); }",
        timeout=60_000,
    )
    views = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view")
    small, wide, imv = views.nth(0), views.nth(1), views.nth(2)
    assert [v.get_attribute("data-view") for v in (small, wide, imv)] == ["glyphs", "glyphs", "indices"]
    small.scroll_into_view_if_needed()
    px = _cell_px(small)
    assert px < 6, px  # the premise: cells under the glyphs' 6 px
    assert small.get_attribute("data-painted") == "0"
    note = small.locator(".sw-size-note")
    assert note.is_visible() and not small.locator(".sw-glyph-legend").is_visible()
    text = note.inner_text()
    assert "too small for glyphs" in text and "width=4000" in text, text
    assert f"cells are {math.floor(px * 10) / 10:g} px" in text, (text, px)
    # width=4000: about 40 px per cell, every glyph drawn, no note, the legend back
    assert wide.get_attribute("data-painted") == "10000"
    assert not wide.locator(".sw-size-note").is_visible() and wide.locator(".sw-glyph-legend").is_visible()
    assert 39 < _cell_px(wide) < 40.5
    box = wide.evaluate("(el) => { const s = el.querySelector('.sw-canvas-scroll'); const c = el.querySelector('canvas');"
                        " return {sw: s.scrollWidth, cw: s.clientWidth, canvas: c.getBoundingClientRect().width}; }")
    assert 3990 <= box["canvas"] <= 4000 and box["cw"] < box["sw"] <= 4001, box  # scrolls to the canvas, no further
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    # the index map writes every s-th row's and column's index: a readable 8 px index of 4 digits
    # needs 0.62 * 4 * 8 / 0.8 = 24.8 px of cells
    ipx = _cell_px(imv)
    stride = max(2, math.ceil(24.8 / ipx))
    assert imv.get_attribute("data-painted") == str(math.ceil(100 / stride) ** 2)
    text = imv.locator(".sw-size-note").inner_text()
    nth = f"{stride}{'nd' if stride == 2 else 'rd' if stride == 3 else 'th'}"  # the stride is under 11 here
    assert stride < 11 and f"every {nth} row's and column's index" in text and "width=4000" in text, (text, ipx)
    small.screenshot(path=str(artifacts / "views-glyph-map-100x100-note.png"))
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors


# a 100x100 rectangular map: its cells in the output's width are too small for glyphs and
# for every index; width=4000 (about 40 px per cell) draws every glyph, in a box scrolling sideways
GLYPHS_BIG = """\
import numpy as np
from somwidget import SOM
from somwidget.widgets import CodebookGlyphMap, NeuronIndexMap
X = np.random.default_rng(0).normal(size=(300, 3))
square = SOM(mapsize=(100, 100), lattice="rect", random_state=0).initialize(X)
for view in (CodebookGlyphMap(square, kind="bar"), CodebookGlyphMap(square, kind="bar", width=4000),
             NeuronIndexMap(square)):
    display(view)  # each in its own output, as wide as the notebook's
"""
