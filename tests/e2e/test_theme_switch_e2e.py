"""Switching JupyterLab's theme with a map on screen redraws it in the new theme's colours.

A hit map in the size style (marker area = hits) draws its grid in the theme's
``--jp-layout-color2``; drawn in the light theme and then switched to the dark one, it kept the
light grey grid on the dark page until something else redrew it. The test reads the canvas
pixel at a neuron without samples before and after the switch, and compares it with the
legend's "no samples" swatch (which follows the theme through CSS).
"""

from __future__ import annotations

from labhelpers import kernel_exec, run_notebook

HITMAP = """
import numpy as np
from somwidget import SOM, HitMap
rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 0.3, size=(60, 3)) for c in ([0, 0, 0], [3, 0, 1], [0, 3, 2])])
labels = np.repeat(["red", "green", "blue"], 60)
som = SOM(mapsize=(12, 12), lattice="hexa", random_state=0).fit(X, epochs=5)
hm = HitMap(som, X, labels, mode="size", label_overlay="majority")
hm
"""

PIXEL_AND_SWATCH = """(k) => {
  const el = document.querySelector('.somwidget-view[data-view="hits"]');
  const item = Array.from(el.querySelectorAll('.sw-categories > span'))
    .find(s => s.textContent.trim() === 'no samples');
  const c = el.somwidget.canvas.base, r = c.getBoundingClientRect();
  const p = el.somwidget.neuronClientPoint(k);
  const x = Math.round((p.x - r.left) * c.width / r.width), y = Math.round((p.y - r.top) * c.height / r.height);
  const d = c.getContext('2d').getImageData(x, y, 1, 1).data;
  const sw = getComputedStyle(item.querySelector('.sw-swatch')).backgroundColor;
  return {pixel: [d[0], d[1], d[2]], swatch: sw.slice(sw.indexOf('(') + 1, sw.indexOf(')')).split(',')
          .slice(0, 3).map(Number), draws: Number(el.dataset.draws)};
}"""


def _theme(page, name: str, light: bool) -> None:
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t}) && null",
                  name)
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{str(light).lower()}'",
                           timeout=20_000)


def _close(a, b, tol=3):
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= tol


def test_map_redraws_in_the_new_theme(page, lab, artifacts):
    run_notebook(page, lab, "theme_switch.ipynb", [HITMAP])
    page.wait_for_function("() => Number(document.querySelector("
                           "'.somwidget-view[data-view=\"hits\"]')?.dataset.draws) > 0", timeout=30_000)
    empty = int(kernel_exec(page, "print(int((som.hit_counts(X) == 0).argmax()))"))
    assert kernel_exec(page, f"print(int(som.hit_counts(X)[{empty}]))").strip() == "0"
    light = page.evaluate(PIXEL_AND_SWATCH, empty)
    assert _close(light["pixel"], light["swatch"]), light
    try:
        _theme(page, "JupyterLab Dark", light=False)
        page.wait_for_timeout(1_000)
        dark = page.evaluate(PIXEL_AND_SWATCH, empty)
        page.locator(".somwidget-view").first.screenshot(path=str(artifacts / "theme-switch-dark.png"))
    finally:
        _theme(page, "JupyterLab Light", light=True)
    assert dark["draws"] > light["draws"], (light, dark)  # drawn again for the new theme
    assert not _close(dark["swatch"], light["swatch"], tol=40), (light, dark)  # the theme changed
    assert _close(dark["pixel"], dark["swatch"]), (light, dark)  # the grid follows it


ELEVATION = """
import numpy as np
from somwidget import SOM
from somwidget.widgets import ElevationMap
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
som = SOM(mapsize=(6, 7), lattice="hexa", random_state=0).fit(X, epochs=3)
em = ElevationMap(som, X)
em.selection.neurons = [5]
em
"""

#: the elevation canvas's selection halo colour, the theme's background it should be, its draws
HALO = """() => {
  const el = document.querySelector('.somwidget-view[data-view="elevation"]');
  return {halo: el.dataset.halo, theme: getComputedStyle(el).getPropertyValue('--jp-layout-color0').trim(),
          draws: Number(el.dataset.draws), selected: el.dataset.selected};
}"""


def test_elevation_map_redraws_its_selection_halo_in_the_new_theme(page, lab, artifacts):
    run_notebook(page, lab, "theme_switch_elevation.ipynb", [ELEVATION])
    page.wait_for_function("() => document.querySelector('.somwidget-view[data-view=\"elevation\"]')"
                           "?.dataset.selected === '5'", timeout=30_000)
    light = page.evaluate(HALO)
    assert light["halo"] == light["theme"], light
    try:
        _theme(page, "JupyterLab Dark", light=False)
        # the halo is drawn again in the dark background (no turn, no new data)
        page.wait_for_function(f"() => {{ const h = ({HALO})(); return h.halo === h.theme"
                               f" && h.draws > {light['draws']}; }}", timeout=20_000)
        dark = page.evaluate(HALO)
        page.locator(".somwidget-view").first.screenshot(path=str(artifacts / "theme-switch-elevation-dark.png"))
    finally:
        _theme(page, "JupyterLab Light", light=True)
    assert dark["halo"] != light["halo"], (light, dark)  # the theme changed
    assert kernel_exec(page, "print(em.selection.neurons)").strip() == "[5]"
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors
