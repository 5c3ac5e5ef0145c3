"""The live SVG picture (the elevation map; the glyph and index maps are canvas views now)
follows JupyterLab's theme, live.

In each theme, measured where the picture is drawn: its background's computed fill is the
theme's ``--jp-layout-color0``, its neutral text (titles, subtitles, legends, colour-bar numbers)
reads against that background (contrast >= 4.5); ``readability.unreadable`` (the notebooks'
check, which reads the text of the live SVG pictures against what is painted under it) finds no
text below 3:1, and it does report a faint text put on a light shape or on the background.
A theme switch restyles the picture without a redraw: the same SVG element, no new frame from
the kernel. The screenshots go to the artifacts folder, ``svg-theme-<view>-<theme>.png``.
"""

from __future__ import annotations

import json

from labhelpers import cell_errors, kernel_exec, run_notebook
from readability import unreadable
from test_explorer_e2e import _luminance
from test_visual_cues_e2e import _theme

VIEWS = """
import numpy as np
import ipywidgets as W
from somwidget import SOM
from somwidget.widgets import ElevationMap, Selection
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
som = SOM(mapsize=(6, 6), lattice="toroidal_hexa", random_state=0).fit(X, epochs=3)
sel = Selection()
sel.neurons = [9]
views = [ElevationMap(som, X, selection=sel, width=460)]
W.VBox(views)
"""

# per SVG picture: its background, the theme's background probed beside it, the neutral text
MEASURE = """() => {
  const probe = (el, v) => { const s = document.createElement('span'); s.style.color = `var(${v})`;
    el.closest('.jp-OutputArea-output').append(s); const c = getComputedStyle(s).color; s.remove(); return c; };
  const cs = (e) => getComputedStyle(e);
  return Array.from(document.querySelectorAll('.jp-OutputArea-output .somwidget-svg-picture svg'))
    .map((svg, i) => {
      svg.dataset.seen = svg.dataset.seen || String(i);  // marks this element: a redraw replaces it
      const title = svg.querySelector('text.title');
      return {
        title: title && title.textContent, seen: svg.dataset.seen,
        bg: cs(svg.querySelector('rect.background') || svg.querySelector('rect')).fill, layout0: probe(svg, '--jp-layout-color0'),
        texts: Array.from(svg.querySelectorAll('text'))
          .filter(t => !['value'].includes(t.getAttribute('class')) && t.textContent.trim())
          .map(t => ({cls: t.getAttribute('class'), text: t.textContent.slice(0, 40), fill: cs(t).fill})),
      };
    });
}"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    nums = [float(v) for v in css[css.index("(") + 1: css.index(")")].replace("/", ",").split(",")]
    return (*nums[:3], nums[3] if len(nums) > 3 else 1.0)


def _over(fg: str, bg: str) -> tuple[float, float, float]:
    """``fg`` (maybe translucent) blended over the opaque ``bg``."""
    f, b = _rgba(fg), _rgba(bg)
    return tuple(f[i] * f[3] + b[i] * (1 - f[3]) for i in range(3))


def _contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(_over(fg, bg)), _luminance(_rgba(bg)[:3])), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _check(pics: list[dict], theme: str) -> None:
    assert len(pics) == 1, pics
    for pic in pics:
        what = (theme, pic["title"])
        assert pic["bg"] == pic["layout0"], (what, pic["bg"], pic["layout0"])
        assert len(pic["texts"]) >= 2, what
        for t in pic["texts"]:
            assert _contrast(t["fill"], pic["bg"]) >= 4.5, (what, t, pic["bg"])


# a faint text (#c8c8c8) in the elevation map's picture: on a light grey (#eeeeee) patch drawn
# into the picture, and on the background
FAINT = """() => {
  const svg = document.querySelector('.jp-OutputArea-output .somwidget-svg-picture svg');
  const ns = 'http://www.w3.org/2000/svg';
  const patch = document.createElementNS(ns, 'rect');
  patch.setAttribute('class', 'faint-probe'); patch.setAttribute('x', 20); patch.setAttribute('y', 40);
  patch.setAttribute('width', 60); patch.setAttribute('height', 20); patch.style.fill = '#eeeeee';
  svg.append(patch);
  const add = (x, y, words) => { const t = document.createElementNS(ns, 'text');
    t.setAttribute('class', 'faint-probe'); t.setAttribute('x', x); t.setAttribute('y', y);
    t.setAttribute('font-size', '9'); t.style.fill = '#c8c8c8'; t.textContent = words;
    svg.append(t); };
  add(30, 54, 'k0');
  add(4, 8, 'faint words');
}"""


def test_svg_pictures_follow_the_theme_live(page, lab, artifacts):
    run_notebook(page, lab, "svg_theme.ipynb", [VIEWS], height=1000)
    assert not cell_errors(page)
    page.wait_for_function("() => document.querySelectorAll('.somwidget-svg-picture svg').length === 1",
                           timeout=60_000)
    frames = kernel_exec(page, "import json; print(json.dumps([v.frame for v in views]))")
    seen = {}
    try:
        for dark in (False, True, False):
            theme = "dark" if dark else "light"
            _theme(page, dark)
            pics = page.evaluate(MEASURE)
            if theme not in seen:  # one screenshot per picture (the output is taller than the page)
                for i, name in enumerate(("elevation",)):
                    page.locator(".somwidget-svg-picture").nth(i).screenshot(
                        path=str(artifacts / f"svg-theme-{name}-{theme}.png"))
                pics = page.evaluate(MEASURE)  # after the scrolling, as drawn
            _check(pics, theme)
            bad = unreadable(page)  # every text of the live pictures against what is under it
            assert not bad["text"], (theme, bad["text"][:5])
            seen.setdefault(theme, pics)
            # restyled in place: the same SVG elements, and no redraw from the kernel
            assert [p["seen"] for p in pics] == ["0"], pics
            assert kernel_exec(page, "print(json.dumps([v.frame for v in views]))") == frames
    finally:
        _theme(page, False)
    # the check sees the pictures' text: a faint one on a cell (#eeeeee) and on the background
    page.evaluate(FAINT)
    faint = {t["text"]: t for t in unreadable(page)["text"]}
    page.evaluate("() => document.querySelectorAll('.faint-probe').forEach(t => t.remove())")
    assert set(faint) == {"k0", "faint words"}, faint
    assert faint["k0"]["bg"] == "rgb(238, 238, 238)" and faint["k0"]["ratio"] < 2, faint
    assert faint["faint words"]["bg"] == "rgb(255, 255, 255)" and faint["faint words"]["ratio"] < 2, faint
    light, dark = seen["light"][0], seen["dark"][0]
    assert light["bg"] == "rgb(255, 255, 255)"
    assert _luminance(_rgba(dark["bg"])[:3]) < 0.05
    assert json.loads(frames) == json.loads(kernel_exec(page, "print(json.dumps([v.frame for v in views]))"))
    errors = [m for m in page.console_messages_seen if m.startswith("pageerror")]
    assert not errors, errors
