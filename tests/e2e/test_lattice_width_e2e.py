"""Browser test of ``width=`` on a lattice view: a 100x100 HitMap at width=1400 in a 600 px
output has cells of at least 12 CSS px, scrolls sideways in its own box (the page does not),
and the pointer still finds the right neuron once the box is scrolled: hovering a neuron of the
right half shows the hits the kernel counts for it (scipy cdist argmin), a click selects
it in Python, and the arrow keys scroll the box to the neuron they move to. A second browser at devicePixelRatio 2 draws a width=4000 HitMap (8000 x 8000
backing pixels uncapped, which browsers refuse) with the canvas' backing store capped and its
cells still painted."""

from __future__ import annotations

import json
import math

from conftest import REPO, launch_browser
from labhelpers import kernel_exec, open_notebook, run_all, wait_code_cells_executed, write_notebook

SETUP = """\
import json
import numpy as np
from scipy.spatial.distance import cdist
from somwidget import SOM
from somwidget.widgets import HitMap
rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 0.4, size=(400, 3)) for c in ([0, 0, 0], [3, 0, 1], [0, 3, 2])])
# initialised (PCA), not trained: the three clusters' samples spread over the whole map
big = SOM(mapsize=(100, 100), lattice="hexa", normalization="none", random_state=0).initialize(X)
"""

WIDE = """\
hm = HitMap(big, X, width=1400)
hm.layout.width = "600px"  # a narrow output: the 1400 px map scrolls sideways inside it
hm
"""

HUGE = """\
huge = HitMap(big, X, width=4000)
huge.layout.width = "600px"
huge
"""

# the neuron to hover, chosen in the kernel from hits counted without the package: every
# sample's nearest codebook vector (cdist argmin, float64); neurons a nearly tied sample could
# go to either way are left out. The most hit such neuron in rows 0..39 (in the window with the
# map's top) and columns 50..96 (beyond the 600 px box at first; two Right presses from it stay in
# its row), with its hits and its colour.
PICK = """\
d = cdist(X, np.asarray(big.codebook_, dtype=np.float64))
best = d.argmin(axis=1)
hits = np.bincount(best, minlength=10000)
order = np.sort(d, axis=1)
near = d <= order[:, :1] * (1 + 1e-6) + 1e-12  # a sample's nearest neuron and any nearly tied
unsure = np.flatnonzero(near[near.sum(axis=1) > 1].any(axis=0))
row, col = np.divmod(np.arange(10000), 100)
ok = (row < 40) & (col >= 50) & (col <= 96) & ~np.isin(np.arange(10000), unsure)
k = int(np.flatnonzero(ok)[np.argmax(hits[ok])])
# its colour: viridis at its hits on the scale 0 .. the most hits (the table's nearest entry)
from somwidget.widgets.colormaps import colormap_table
rgb = colormap_table("viridis")[int(np.floor(hits[k] / hits.max() * 255 + 0.5))].tolist()
print(json.dumps({"k": k, "hits": int(hits[k]), "rgb": rgb, "unsure": len(unsure)}))
"""

BOX = """(el) => {
  const s = el.querySelector('.sw-canvas-scroll'); const c = el.querySelector('canvas');
  const r = c.getBoundingClientRect();
  return {sw: s.scrollWidth, cw: s.clientWidth, sh: s.scrollHeight, ch: s.clientHeight,
          left: s.scrollLeft, w: r.width, h: r.height, bw: c.width, bh: c.height, view: el.getBoundingClientRect().width};
}"""


def _point(view, k: int) -> dict:
    return view.evaluate(f"(el) => el.somwidget.neuronClientPoint({k})")


def _tooltip(page) -> str:
    tip = page.locator("body > .somwidget-tooltip >> visible=true")
    tip.wait_for(state="visible", timeout=5_000)
    return tip.inner_text()


def _wait_drawn(page, n: int) -> None:
    page.wait_for_function(
        "(n) => { const v = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view')];"
        " return v.length === n && v.every(e => Number(e.dataset.draws) > 0 && e.dataset.frame === '1'); }",
        arg=n, timeout=90_000,
    )


def _open_drawn(page, lab, name: str, cells: list[str], n_views: int) -> None:
    """Write, open and run the notebook ``name``; wait until its ``n_views`` views have drawn."""
    write_notebook(lab["root"] / name, cells)
    open_notebook(page, lab, name)
    run_all(page)
    wait_code_cells_executed(page, timeout_ms=120_000)
    _wait_drawn(page, n_views)


def test_a_wide_hit_map_scrolls_in_its_box_and_hovers_the_kernels_neuron(lab, page, artifacts):
    _open_drawn(page, lab, "lattice_width.ipynb", [SETUP, WIDE], 1)
    assert kernel_exec(page, "import somwidget; print(somwidget.__file__)").strip() == \
        str(REPO / "somwidget" / "__init__.py")
    want = json.loads(kernel_exec(page, PICK))
    k, hits = want["k"], want["hits"]
    assert hits >= 1, want
    view = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view").nth(0)
    view.evaluate("(el) => el.scrollIntoView({block: 'start'})")  # the map's top rows in the window
    box = view.evaluate(BOX)
    # the canvas is 1400 CSS px wide, as tall as the lattice makes it (no 560 px cap), in a box
    # no wider than the 600 px output that scrolls sideways to the canvas' edge and no further
    assert 1390 <= box["w"] <= 1400, box
    assert box["h"] > 1000, box  # 100 hexagon rows: sqrt(3) / 2 of the width, uncapped
    assert box["view"] <= 600.5 and box["cw"] <= 600, box
    assert box["cw"] < box["sw"] <= 1401 and box["sh"] == box["ch"], box
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    # cells of at least 12 CSS px: a hexagon row's neighbours are one cell apart
    c0, c1 = _point(view, 0), _point(view, 1)
    assert c1["x"] - c0["x"] >= 12, (c0, c1)
    # neuron k (column >= 50) lies beyond the box; scrolled by dx, it moves left by dx and the
    # pointer there (the old point less dx, not asked of the view again) hovers it
    before = _point(view, k)
    r = view.locator(".sw-canvas-scroll").bounding_box()
    assert before["x"] > r["x"] + r["width"], (before, r)
    want_dx = before["x"] - (r["x"] + r["width"] / 2)  # k to the box's middle
    dx = view.evaluate("(el, dx) => { const s = el.querySelector('.sw-canvas-scroll');"
                       " s.scrollLeft = dx; return s.scrollLeft; }", want_dx)
    assert dx > 100 and abs(dx - want_dx) <= 1, (dx, want_dx)  # the box scrolls that far
    x, y = before["x"] - dx, before["y"]
    assert r["x"] < x < r["x"] + r["width"], (x, r)
    page.mouse.move(x, y)
    text = _tooltip(page)
    row, col = divmod(k, 100)
    assert f"neuron {k}\n" in text + "\n" and f"row {row}, col {col}" in text, (text, k)
    assert f"samples per neuron (hits): {hits}" in text, (text, want)
    # its pixel is the colour map's colour of its hits (viridis, hits / max hits)
    rgb = want["rgb"]
    got = view.evaluate("""(el, [x, y]) => {
      const c = el.querySelector('canvas'); const r = c.getBoundingClientRect();
      const px = Math.floor((x - r.left) * c.width / r.width), py = Math.floor((y - r.top) * c.height / r.height);
      return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data); }""", [x, y])
    assert max(abs(a - b) for a, b in zip(got[:3], rgb, strict=True)) <= 3 and got[3] == 255, (got, rgb)
    # a click there selects neuron k in Python
    page.mouse.click(x, y)
    page.wait_for_function(f"(el) => el.dataset.selected === '{k}'", arg=view.element_handle(), timeout=10_000)
    assert kernel_exec(page, "print(hm.selection.neurons)").strip() == f"[{k}]"
    # the keyboard moves on from it: Right selects its right neighbour (same row)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"(el) => el.dataset.selected === '{k + 1}'", arg=view.element_handle(), timeout=10_000)
    # with the box scrolled back to its start (k + 1 beyond its right edge), Right selects k + 2
    # and scrolls the box to show it
    view.evaluate("(el) => { el.querySelector('.sw-canvas-scroll').scrollLeft = 0; }")
    assert _point(view, k + 1)["x"] > r["x"] + r["width"]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"(el) => el.dataset.selected === '{k + 2}'", arg=view.element_handle(), timeout=10_000)
    shown = _point(view, k + 2)
    assert r["x"] < shown["x"] < r["x"] + r["width"], (shown, r)
    assert kernel_exec(page, "print(hm.selection.neurons)").strip() == f"[{k + 2}]"
    view.screenshot(path=str(artifacts / "lattice-width-hitmap-1400.png"))
    # the map (1,200 px of rows) is taller than the window: Down 85 times walks to row 85+
    # below the window's bottom, and the notebook scrolls with it; Up 85 times walks back to
    # the top rows, above the window's top by then, and the notebook scrolls up again. The
    # selected neuron ends inside the window each time.
    inside = ("(el) => { const k = Number(el.dataset.selected); const p = el.somwidget.neuronClientPoint(k);"
              " return [k, p.y, window.innerHeight]; }")
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(85):
            page.keyboard.press(key)
        page.wait_for_timeout(100)
        sel, y, win_h = view.evaluate(inside)
        down = key == "ArrowDown"
        assert (sel // 100 >= 85) if down else (sel // 100 <= 10), (key, sel)
        assert 0 <= y <= win_h, (key, sel, y, win_h)
    assert kernel_exec(page, "print(hm.selection.neurons)").strip() == f"[{sel}]"
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors


def test_a_brush_dragged_to_the_boxs_edge_scrolls_it_and_selects_beyond(lab, page, artifacts):
    # a brush from a cell near the box's left edge held at its right edge: the box scrolls on
    # while the button is down, and the brush takes the cells it scrolled to (their columns
    # were beyond the box when the drag began)
    _open_drawn(page, lab, "lattice_brush.ipynb", [SETUP, WIDE], 1)
    view = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view").nth(0)
    view.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    r = view.locator(".sw-canvas-scroll").bounding_box()
    start = _point(view, 2 * 100 + 5)  # row 2, column 5
    # the last column whose centre shows in the box before the drag
    cols = [c for c in range(100) if _point(view, 2 * 100 + c)["x"] < r["x"] + r["width"]]
    last_shown = max(cols)
    assert last_shown < 60, last_shown
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(r["x"] + r["width"] / 2, start["y"] + 40, steps=5)
    page.mouse.move(r["x"] + r["width"] - 2, start["y"] + 40, steps=5)  # in the edge band
    page.wait_for_function("(el) => el.querySelector('.sw-canvas-scroll').scrollLeft > 200",
                           arg=view.element_handle(), timeout=10_000)
    page.mouse.move(r["x"] + r["width"] - 3, start["y"] + 40)  # hold it there a little longer
    scrolled = view.evaluate("(el) => el.querySelector('.sw-canvas-scroll').scrollLeft")
    brush = view.evaluate("(el) => { const b = [...el.querySelectorAll('div')].find("
                          "d => d.style.borderStyle === 'dashed' || d.style.border.includes('dashed'));"
                          " return b ? b.getBoundingClientRect().width : -1; }")
    page.mouse.up()
    page.wait_for_function("(el) => el.dataset.selected !== ''", arg=view.element_handle(), timeout=10_000)
    sel = json.loads(kernel_exec(page, "print(json.dumps(hm.selection.neurons))"))
    rows = {k // 100 for k in sel}
    cols = {k % 100 for k in sel}
    # from the press' cell (row 2, column 5) to the cells under the release, scrolled to
    assert 2 * 100 + 5 in sel and min(cols) == 5 and min(rows) == 2, (min(cols), min(rows))
    assert max(cols) > last_shown + 10, (max(cols), last_shown, scrolled)
    # the brush box drawn while scrolling spans the scrolled distance too
    assert brush > r["width"] - 40 + 200 - 50, (brush, scrolled)
    # a band of cells: every row between the two ends has cells from near the press' column
    # to near the release's (hexagon rows are offset by half a cell)
    for row in range(min(rows), max(rows) + 1):
        in_row = sorted(k % 100 for k in sel if k // 100 == row)
        assert in_row and in_row[0] <= 6 and in_row[-1] >= max(cols) - 1, (row, in_row[:3], in_row[-3:])
        assert in_row == list(range(in_row[0], in_row[-1] + 1)), row
    view.screenshot(path=str(artifacts / "lattice-width-brush-scrolled.png"))
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors


def test_a_4000_px_hit_map_at_pixel_ratio_2_draws_with_a_capped_backing_store(lab, playwright_session, artifacts):
    with launch_browser(playwright_session, device_scale_factor=2) as ctx:
        page = ctx.new_page()
        seen: list[str] = []
        page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
        write_notebook(lab["root"] / "lattice_width_huge.ipynb", [SETUP, HUGE])
        open_notebook(page, lab, "lattice_width_huge.ipynb")
        run_all(page)
        wait_code_cells_executed(page, timeout_ms=120_000)
        _wait_drawn(page, 1)
        assert page.evaluate("() => window.devicePixelRatio") == 2
        view = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view").nth(0)
        box = view.evaluate(BOX)
        # the CSS size asked for, the backing store at most 4096² px in all (not 8000 x 7000)
        assert 3990 <= box["w"] <= 4000 and box["h"] > 3000, box
        assert box["bw"] * box["bh"] <= 4096 * 4096, box
        # as many as the area cap allows (the ratio sqrt(4096² / (w h)), about 1.1), not 1
        assert box["bw"] * box["bh"] >= 0.998 * 4096 * 4096 and box["bw"] > 4096, box
        # and drawn: the centre of neuron 0 and of the last neuron are opaque paint
        for k in (0, 9999):
            p = _point(view, k)
            a = view.evaluate("""(el, k) => {
              const c = el.querySelector('canvas'); const r = c.getBoundingClientRect();
              const p = el.somwidget.neuronClientPoint(k);
              const px = Math.floor((p.x - r.left) * c.width / r.width), py = Math.floor((p.y - r.top) * c.height / r.height);
              return c.getContext('2d').getImageData(px, py, 1, 1).data[3]; }""", k)
            assert a == 255, (k, p, a)
        assert math.isclose(_point(view, 1)["x"] - _point(view, 0)["x"], box["w"] / 100.62, rel_tol=0.02)
        view.screenshot(path=str(artifacts / "lattice-width-hitmap-4000-dpr2.png"), timeout=60_000)
        assert not seen, seen


PLANES = """\
from somwidget.widgets import ComponentPlanes
cp = ComponentPlanes(big, width=1400)
cp.layout.width = "800px"
cp
"""


def test_component_planes_width_is_the_enlarged_planes(lab, page, artifacts):
    """ComponentPlanes(width=1400): the small planes keep their cards' size; the plane enlarged
    by a click on its title is 1400 CSS px wide, in its card's box that scrolls sideways."""
    write_notebook(lab["root"] / "lattice_width_planes.ipynb", [SETUP, PLANES])
    open_notebook(page, lab, "lattice_width_planes.ipynb")
    run_all(page)
    wait_code_cells_executed(page, timeout_ms=120_000)
    _wait_drawn(page, 1)
    view = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view").nth(0)
    view.scroll_into_view_if_needed()
    widths = view.evaluate("(el) => [...el.querySelectorAll('.sw-plane .somwidget-canvas > canvas:first-child')]"
                           ".map(c => c.getBoundingClientRect().width)")
    assert len(widths) == 3 and all(w <= 240 for w in widths), widths  # small multiples
    view.locator(".sw-plane-title").nth(1).click()
    page.wait_for_function("(el) => { const c = el.querySelector('.sw-plane.sw-enlarged .somwidget-canvas > canvas');"
                           " return c && c.getBoundingClientRect().width > 1300; }",
                           arg=view.element_handle(), timeout=10_000)
    assert kernel_exec(page, "print(cp.enlarged)").strip() == "1"
    box = view.evaluate("(el) => { const p = el.querySelector('.sw-plane.sw-enlarged');"
                        " const s = p.querySelector('.sw-canvas-scroll'); const c = p.querySelector('.somwidget-canvas > canvas');"
                        " return {w: c.getBoundingClientRect().width, sw: s.scrollWidth, cw: s.clientWidth,"
                        " card: p.getBoundingClientRect().width}; }")
    assert 1390 <= box["w"] <= 1400 and box["cw"] < box["sw"] <= 1401 and box["card"] <= 800, box
    others = view.evaluate("(el) => [...el.querySelectorAll('.sw-plane:not(.sw-enlarged) .somwidget-canvas > canvas:first-child')]"
                           ".map(c => c.getBoundingClientRect().width)")
    assert len(others) == 2 and all(w <= 240 for w in others), others
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    view.screenshot(path=str(artifacts / "lattice-width-planes-enlarged.png"))
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors


RING_CELLS = [
    """\
import numpy as np
from somwidget import SOM
from somwidget.widgets import HitMap
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
som = SOM(mapsize=(6, 20), random_state=0).initialize(X)
""",
    """\
wide = HitMap(som, X, width=900)
wide.layout.width = "420px"  # the 900 px map scrolls sideways in its box
wide
""",
    "HitMap(som, X)",
]

# the share of each edge of a PNG (base64) that has a pixel within 40 of the CSS colour `ring`
# in each channel in its outer `band` pixels: {top, bottom, left, right}
RING_EDGES = """async ([png, ring, band]) => {
  const img = new Image(); img.src = 'data:image/png;base64,' + png; await img.decode();
  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
  const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  ctx.fillStyle = ring; ctx.fillRect(0, 0, 1, 1);
  const want = ctx.getImageData(0, 0, 1, 1).data;
  const is = (x, y) => { const i = 4 * (y * c.width + x);
    return [0, 1, 2].every((j) => Math.abs(d[i + j] - want[j]) <= 40); };
  const share = (n, hit) => { let k = 0; for (let i = 0; i < n; i++) if (hit(i)) k++; return k / n; };
  const any = (f) => { for (let b = 0; b < band; b++) if (f(b)) return true; return false; };
  const W = c.width, H = c.height;
  return {
    top: share(W, (x) => any((b) => is(x, b))), bottom: share(W, (x) => any((b) => is(x, H - 1 - b))),
    left: share(H, (y) => any((b) => is(b, y))), right: share(H, (y) => any((b) => is(W - 1 - b, y))),
  };
}"""


def _ring_edges(page, png: bytes, ring: str, band: int) -> dict:
    import base64

    return page.evaluate(RING_EDGES, [base64.b64encode(png).decode(), ring, band])


def test_the_focus_ring_shows_around_a_map_in_a_scroll_box(lab, page, artifacts):
    """Tab to a width= HitMap that scrolls sideways: the keyboard's focus ring (the theme's
    brand colour) shows on all four sides of its box, scrolled to the start or the middle (the
    box clipped the canvas' own ring, drawn outside it); a map without width= shows its ring
    on all four sides too, just inside the canvas (outside it, the output area clipped the left
    side)."""
    write_notebook(lab["root"] / "lattice_ring.ipynb", RING_CELLS)
    open_notebook(page, lab, "lattice_ring.ipynb")
    run_all(page)
    wait_code_cells_executed(page, timeout_ms=120_000)
    page.wait_for_function(
        "() => { const v = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view')];"
        " return v.length === 2 && v.every(e => Number(e.dataset.draws) > 0); }", timeout=90_000)
    views = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .somwidget-view")
    ring = page.evaluate("() => getComputedStyle(document.body).getPropertyValue('--jp-brand-color1').trim()")
    assert ring, "the theme has a brand colour"
    for i, name in ((0, "wide"), (1, "plain")):
        view = views.nth(i)
        view.evaluate("(el) => el.scrollIntoView({block: 'center'})")
        # Tab from the colour-map picker to the map (Clear is disabled: nothing selected)
        view.locator("select").first.focus()
        page.keyboard.press("Tab")
        assert view.evaluate("(el) => document.activeElement === el.querySelector('.somwidget-canvas')")
        box = view.locator(".sw-canvas-scroll")
        if name == "wide":
            size = box.evaluate("(s) => [s.scrollWidth, s.clientWidth]")
            assert size[0] > size[1] + 200, size  # it does scroll sideways
            shots = {"start": box.screenshot()}
            box.evaluate("(s) => { s.scrollLeft = (s.scrollWidth - s.clientWidth) / 2; }")
            page.wait_for_timeout(100)  # a frame for the scroll to paint (no value read from it)
            shots["middle"] = box.screenshot()
            band = 4  # the ring is drawn inside the box
        else:
            r = view.locator(".somwidget-canvas").bounding_box()
            clip = {"x": r["x"], "y": r["y"], "width": r["width"], "height": r["height"]}
            shots = {"plain": page.screenshot(clip=clip)}
            # 2 px wide, just inside the canvas: all four sides show (drawn outside it, the
            # left side fell outside JupyterLab's output area, which clipped it)
            band = 4
        for where, png in shots.items():
            (artifacts / f"focus-ring-{where}.png").write_bytes(png)
            edges = _ring_edges(page, png, ring, band)
            assert min(edges.values()) > 0.9, (where, edges)
