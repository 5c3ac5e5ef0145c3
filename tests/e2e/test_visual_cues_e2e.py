"""Three things a user sees (or did not), measured in the browser, light and dark theme.

1. The Explorer's component-planes box (the wine data's 13 planes, 4 in view at 1280 x 720)
   shows that it scrolls: a themed scrollbar that takes room (the overlay scrollbar showed
   nothing until hovered) and, at the bottom edge, a fade with "13 planes, scroll for more"
   that goes once the last plane is in view, without covering it, without breaking the
   one-screen layout or the planes' keyboard navigation.
2. A selection ring around a neuron of the outer row or column is drawn whole at every width:
   nothing the selection overlay draws lies outside the boxes that clip the view (a plane's
   card, an ipywidgets box): they cut 1-3 px off the rings before.
3. bqplot chart titles (and axis labels) are in JupyterLab's text colour: bqplot's own dark
   theme painted them orange.

The screenshots go to the artifacts folder, ``visual-*.png``. The planes' test runs in a
Chromium of its own that draws scrollbars (Playwright's headless Chromium hides them all).
"""

from __future__ import annotations

import json

from labhelpers import kernel_exec, open_notebook, run_all, wait_all_executed, write_notebook
from test_explorer_e2e import BOXES, VIEWS_DRAWN, _check_fits, _luminance, _rgb, contrast


def _theme(page, dark: bool) -> None:
    name = "JupyterLab Dark" if dark else "JupyterLab Light"
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})"
                  " && null", name)
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{str(not dark).lower()}'",
                           timeout=20_000)
    page.wait_for_timeout(800)


def _each_theme(page, artifacts, name: str, shot: str = ".jp-OutputArea-output"):
    """Light, then dark: switches the theme, saves a screenshot of ``shot`` as
    ``visual-{name}-{theme}.png`` and yields the theme's name."""
    for dark in (False, True):
        theme = "dark" if dark else "light"
        _theme(page, dark)
        page.locator(shot).first.screenshot(path=str(artifacts / f"visual-{name}-{theme}.png"))
        yield theme


def _run(page, lab, name: str, cells: list[str], width=1280, height=720) -> None:
    write_notebook(lab["root"] / name, cells)
    page.set_viewport_size({"width": width, "height": height})
    open_notebook(page, lab, name)
    run_all(page)
    wait_all_executed(page, timeout_ms=120_000)


# ------------------------------------------------------------------------------------------------
# 1. the component planes' box shows that it scrolls

WINE = """
from somwidget import SOM, Explorer
from somwidget.datasets import load_wine
df = load_wine()
X = df.drop(columns="label")
som = SOM(mapsize=(12, 10), lattice="hexa", normalization="standard", random_state=0)
som.fit(X, epochs=10)
ex = Explorer(som, X, labels=df["label"])
ex
"""

# the planes' scroll box: sizes, its scrollbar (computed pseudo-element styles, which hold with
# hidden scrollbars too), the hint at its bottom edge and where the last plane card is
PLANES_BOX = """() => {
  const box = document.querySelector('.somwidget-explorer .somwidget-planes-box');
  const view = box.querySelector('.somwidget-view[data-view="planes"]');
  const r = (e) => { const b = e.getBoundingClientRect(); return {top: b.top, bottom: b.bottom, left: b.left, right: b.right}; };
  const bar = getComputedStyle(box, '::-webkit-scrollbar');
  const thumb = getComputedStyle(box, '::-webkit-scrollbar-thumb');
  const track = getComputedStyle(box, '::-webkit-scrollbar-track');
  const hint = view.querySelector('.sw-scroll-hint');
  const hs = hint && getComputedStyle(hint);
  const cards = Array.from(view.querySelectorAll('.sw-plane'));
  const b = r(box);
  const inView = cards.filter(c => { const q = r(c); return q.top >= b.top - 1 && q.bottom <= b.bottom + 1; }).length;
  let bg = null;
  for (let e = box; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
    if (c && !/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') { bg = c; break; } }
  return {
    scrollHeight: box.scrollHeight, clientHeight: box.clientHeight, scrollTop: box.scrollTop,
    gutter: box.offsetWidth - box.clientWidth - parseFloat(getComputedStyle(box).borderLeftWidth)
            - parseFloat(getComputedStyle(box).borderRightWidth),
    barWidth: bar.width, thumb: thumb.backgroundColor, track: track.backgroundColor, bg,
    box: b, cards: cards.length, inView, lastCard: r(cards[cards.length - 1]),
    hint: hint && {text: hint.textContent, rect: r(hint), visible: hs.visibility !== 'hidden'
                   && Number(hs.opacity) > 0.5 && hint.getBoundingClientRect().height > 0,
                   fg: hs.color, image: hs.backgroundImage, pointer: hs.pointerEvents},
  };
}"""


def _check_box(state: dict, theme: str) -> None:
    # a scrollbar that takes room and reads: themed, 8-12 px, its thumb set off from the track
    # and from the page
    bar = state["barWidth"]
    assert bar.endswith("px") and 8 <= float(bar[:-2]) <= 12, (theme, state)
    assert 8 <= state["gutter"] <= 12, (theme, state)
    assert contrast(state["thumb"], state["track"]) >= 1.8, (theme, state)
    assert contrast(state["thumb"], state["bg"]) >= 1.8, (theme, state)
    # the hint, readable, over a fade into the page's background, and no obstacle to a click
    hint = state["hint"]
    assert hint and hint["visible"], (theme, state)
    assert "13 planes" in hint["text"] and "scroll" in hint["text"], (theme, hint)
    assert "gradient" in hint["image"], (theme, hint)
    assert hint["pointer"] == "none", (theme, hint)
    assert contrast(hint["fg"], state["bg"]) >= 4.5, (theme, hint, state["bg"])
    # at the box's bottom edge
    assert abs(hint["rect"]["bottom"] - state["box"]["bottom"]) <= 2, (theme, state)


def test_planes_box_shows_that_it_scrolls(scrollbar_page, lab, artifacts):
    page = scrollbar_page
    _run(page, lab, "visual_planes.ipynb", [WINE])
    page.wait_for_function(VIEWS_DRAWN, arg=["hits", "umatrix", "planes"], timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area') && null")
    page.wait_for_timeout(800)
    page.locator(".somwidget-explorer").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    _check_fits(page.evaluate(BOXES))  # still one screen, the inspector beside the maps
    seen = {}
    try:
        for theme, dark in (("light", False), ("dark", True)):
            _theme(page, dark)
            page.locator(".somwidget-explorer").first.scroll_into_view_if_needed()
            state = page.evaluate(PLANES_BOX)
            page.screenshot(path=str(artifacts / f"visual-planes-{theme}-1280x720.png"))
            page.locator(".somwidget-explorer .somwidget-planes-box").first.screenshot(
                path=str(artifacts / f"visual-planes-box-{theme}.png"))
            assert state["cards"] == 13, state
            assert state["scrollHeight"] > state["clientHeight"] + 50, state  # it does scroll
            assert state["inView"] < 13, state
            _check_box(state, theme)
            seen[theme] = state
            # scrolled to the bottom: the hint goes and the last plane is wholly in view
            page.evaluate("() => { const b = document.querySelector('.somwidget-planes-box');"
                          " b.scrollTop = b.scrollHeight; }")
            page.wait_for_timeout(300)
            end = page.evaluate(PLANES_BOX)
            page.locator(".somwidget-explorer .somwidget-planes-box").first.screenshot(
                path=str(artifacts / f"visual-planes-box-{theme}-bottom.png"))
            assert end["scrollTop"] > 0, end
            assert not end["hint"]["visible"], end
            assert end["box"]["top"] - 1 <= end["lastCard"]["top"], end
            assert end["lastCard"]["bottom"] <= end["box"]["bottom"] + 1, end
            page.evaluate("() => { document.querySelector('.somwidget-planes-box').scrollTop = 0; }")
            page.wait_for_timeout(300)
            assert page.evaluate(PLANES_BOX)["hint"]["visible"]  # back at the top: shown again
    finally:
        _theme(page, False)
    # the scrollbar follows the theme (its track dark in the dark theme)
    assert _luminance(_rgb(seen["dark"]["track"])) < _luminance(_rgb(seen["light"]["track"]))

    # keyboard: a plane's map still takes focus and moves a single selection with the arrows; a
    # plane scrolled into view by focus is not left under the hint
    planes = page.locator('.somwidget-explorer .somwidget-view[data-view="planes"]').first
    planes.evaluate("(el) => el.somwidget.planes()[0].root.focus()")
    kernel_exec(page, "ex.selection.neurons = [3]")
    page.wait_for_function("(el) => el.dataset.selected === '3'", arg=planes.element_handle())
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(el) => el.dataset.selected === '4'", arg=planes.element_handle())
    assert json.loads(kernel_exec(page, "print(list(ex.selection.neurons))")) == [4]
    last = planes.evaluate(
        "(el) => { const c = el.somwidget.planes(); c[c.length - 1].root.focus(); return null; }")
    assert last is None
    page.wait_for_timeout(300)
    focus = page.evaluate("""() => { const box = document.querySelector('.somwidget-planes-box');
      const f = document.activeElement.getBoundingClientRect(), b = box.getBoundingClientRect();
      const h = box.querySelector('.sw-scroll-hint').getBoundingClientRect();
      const hidden = getComputedStyle(box.querySelector('.sw-scroll-hint')).visibility === 'hidden';
      return {top: f.top, bottom: f.bottom, boxTop: b.top, boxBottom: b.bottom, hintTop: h.top, hidden}; }""")
    assert focus["top"] >= focus["boxTop"] - 1 and focus["bottom"] <= focus["boxBottom"] + 1, focus
    assert focus["hidden"] or focus["bottom"] <= focus["hintTop"] + 1, focus
    assert not page.console_messages_seen, page.console_messages_seen


# ------------------------------------------------------------------------------------------------
# 2. selection rings on the outer rows and columns are drawn whole

RINGS = """
import numpy as np
import ipywidgets as W
from somwidget import SOM
from somwidget.widgets import ComponentPlanes, HitMap, Selection
rng = np.random.default_rng(0)
X = rng.normal(size=(600, 3))
som = SOM(mapsize=(30, 40), lattice="hexa", random_state=0).fit(X, epochs=2)
R, C = 30, 40
edge = sorted({0, C // 2, C - 1, (R // 2) * C, (R // 2) * C + C - 1, (R - 1) * C,
               (R - 1) * C + C // 2 + 1, R * C - 1})
sel = Selection()
hm = HitMap(som, X, selection=sel)
cp = ComponentPlanes(som, selection=sel)
hb, cb = W.HBox([hm]), W.HBox([cp])  # the boxes set the widths (the views flex in them)
hb.layout.width, cb.layout.width = "304px", "520px"
W.VBox([hb, cb])
"""

# For every canvas of a view: the box of the selection overlay's painted pixels (client px), the
# box that the view's clipping ancestors leave visible, and the selected neurons' centres.
OVERLAY_CLIP = """(el) => {
  const canvases = el.somwidget.planes ? el.somwidget.planes() : [el.somwidget.canvas];
  const ks = el.dataset.selected.split(',').filter(Boolean).map(Number);
  return canvases.map((lc) => {
    const o = lc.overlay, r = o.getBoundingClientRect();
    const d = o.getContext('2d').getImageData(0, 0, o.width, o.height).data;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let y = 0; y < o.height; y++) for (let x = 0; x < o.width; x++) {
      if (d[4 * (y * o.width + x) + 3] > 24) {
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; } }
    const sx = r.width / o.width, sy = r.height / o.height;
    const painted = {left: r.left + x0 * sx, right: r.left + (x1 + 1) * sx,
                     top: r.top + y0 * sy, bottom: r.top + (y1 + 1) * sy};
    let clip = {left: -1e9, right: 1e9, top: -1e9, bottom: 1e9};
    // up to the output area (the notebook's own scroll box beyond it only scrolls)
    for (let a = o.parentElement; a && !a.matches('.jp-OutputArea'); a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      const left = b.left + a.clientLeft, top = b.top + a.clientTop;
      clip = {left: Math.max(clip.left, left), top: Math.max(clip.top, top),
              right: Math.min(clip.right, left + a.clientWidth), bottom: Math.min(clip.bottom, top + a.clientHeight)};
    }
    const cs = ks.map(k => lc.neuronClientPoint(k));
    return {painted, clip, rings: lc.scale < 9, scale: lc.scale,
            cx0: Math.min(...cs.map(p => p.x)), cx1: Math.max(...cs.map(p => p.x)),
            cy0: Math.min(...cs.map(p => p.y)), cy1: Math.max(...cs.map(p => p.y))};
  });
}"""


def _check_rings(rows: list[dict], what: str) -> None:
    for row in rows:
        assert row["rings"], (what, row)  # cells small enough for rings: the case at hand
        p, c = row["painted"], row["clip"]
        # the outer rings are drawn (8 px radius + half the 3.5 px halo)...
        assert p["left"] <= row["cx0"] - 9 and p["right"] >= row["cx1"] + 9, (what, row)
        assert p["top"] <= row["cy0"] - 9 and p["bottom"] >= row["cy1"] + 9, (what, row)
        # ...and nothing of them is cut off by a box around the view
        assert p["left"] >= c["left"] - 0.5 and p["right"] <= c["right"] + 0.5, (what, row)
        assert p["top"] >= c["top"] - 0.5 and p["bottom"] <= c["bottom"] + 0.5, (what, row)


def _draws(view) -> int:
    return int(view.get_attribute("data-draws") or 0)


def test_edge_rings_are_drawn_whole_at_every_width(page, lab, artifacts):
    _run(page, lab, "visual_rings.ipynb", [RINGS], height=1000)
    hits = page.locator('.somwidget-view[data-view="hits"]').first
    planes = page.locator('.somwidget-view[data-view="planes"]').first
    page.wait_for_function(VIEWS_DRAWN.replace(".somwidget-explorer ", ""), arg=["hits", "planes"],
                           timeout=60_000)
    edge = json.loads(kernel_exec(page, "import json; print(json.dumps(edge))"))
    kernel_exec(page, "sel.neurons = edge")
    want = ",".join(map(str, edge))
    page.wait_for_function("(v) => { const e = [...document.querySelectorAll('.somwidget-view')];"
                           " return e.length === 2 && e.every(x => x.dataset.selected === v); }",
                           arg=want, timeout=10_000)
    hits.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    try:
        list(_each_theme(page, artifacts, "rings"))  # a screenshot in each theme
        # every width between a narrow card and the ring limit, odd pixels included
        # (the hit map is 14 px narrower than its box: its right margin)
        for hm_w, cp_w in ((195, 330), (221, 347), (247, 401), (273, 455), (311, 520),
                           (331, 563), (357, 611), (372, 640)):
            before = (_draws(hits), _draws(planes))
            kernel_exec(page, f"hb.layout.width = '{hm_w}px'; cb.layout.width = '{cp_w}px'")
            page.wait_for_function(
                "([a, b]) => { const h = document.querySelector('.somwidget-view[data-view=\"hits\"]');"
                " const p = document.querySelector('.somwidget-view[data-view=\"planes\"]');"
                " return Number(h.dataset.draws) > a && Number(p.dataset.draws) > b; }",
                arg=list(before), timeout=10_000)
            page.wait_for_timeout(250)
            _check_rings(hits.evaluate(OVERLAY_CLIP), f"hit map at {hm_w}px")
            _check_rings(planes.evaluate(OVERLAY_CLIP), f"planes at {cp_w}px")
        page.locator(".jp-OutputArea-output").first.screenshot(
            path=str(artifacts / "visual-rings-dark-358px.png"))
    finally:
        _theme(page, False)
    errors = [m for m in page.console_messages_seen if m.startswith("pageerror")]
    assert not errors, errors


# ------------------------------------------------------------------------------------------------
# 3. bqplot titles and axis labels in the theme's text colour

CHARTS = """
import numpy as np
import ipywidgets as W
from somwidget import SOM
from somwidget.widgets import HitHistogram, InputSpaceView, NeuronInspector, TrainingCurves
rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 0.4, size=(80, 2)) for c in ([0, 0], [3, 1], [0, 3])])
som = SOM(mapsize=(6, 6), random_state=0)
curves = TrainingCurves()
som.fit(X, epochs=6, callbacks=[curves])
ins = NeuronInspector(som, X)
ins.selection.neurons = [0, 1]
W.VBox([W.HBox([curves, InputSpaceView(som, X)]), W.HBox([HitHistogram(som, X), ins])])
"""

# every shown chart title and axis label: its fill and the theme's text colours, resolved where
# it is drawn
CHART_TEXT = """() => {
  const probe = (el, v) => { const s = document.createElement('span'); s.style.color = `var(${v})`;
    el.closest('.jp-OutputArea-output').append(s); const c = getComputedStyle(s).color; s.remove(); return c; };
  return Array.from(document.querySelectorAll('.jp-OutputArea-output .bqplot text.mainheading,'
      + ' .jp-OutputArea-output .bqplot text.axislabel'))
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => ({text: t.textContent, kind: t.classList.contains('mainheading') ? 'title' : 'axis',
                fill: getComputedStyle(t).fill, ui0: probe(t, '--jp-ui-font-color0'),
                ui1: probe(t, '--jp-ui-font-color1')}));
}"""


def test_chart_titles_follow_the_theme(page, lab, artifacts):
    _run(page, lab, "visual_charts.ipynb", [CHARTS], height=1000)
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output .bqplot"
                           " text.mainheading').length >= 4", timeout=60_000)
    page.wait_for_timeout(800)
    seen = {}
    try:
        for theme in _each_theme(page, artifacts, "charts"):
            rows = page.evaluate(CHART_TEXT)
            titles = [r for r in rows if r["kind"] == "title"]
            assert {"Training curves", "Input space"} <= {r["text"] for r in titles}, rows
            assert len([r for r in rows if r["kind"] == "axis"]) >= 4, rows
            for r in rows:
                assert r["fill"] in (r["ui0"], r["ui1"]), (theme, r)
            seen[theme] = rows
    finally:
        _theme(page, False)
    assert seen["light"][0]["fill"] != seen["dark"][0]["fill"], seen
