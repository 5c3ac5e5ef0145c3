"""Every notebook in notebooks/ run as a newcomer would, in JupyterLab's light and dark themes.

For each notebook and theme: all cells run without an error output or a JavaScript error,
every piece of text in the outputs reads against its background and every drawn chart line
stands out from the figure (``readability.unreadable``: the SOM's net in the input-space view
was drawn in #333 on the dark figure, captions in #555, the step legend's words in orange on
white), no chart has tick labels on top of each other or under its axis label (the training
curves' schedule chart had ten ticks in 80 px), and in the quickstart the hit map's "no
samples" legend swatch has the colour the map draws neurons without samples in (it stayed the
light grey of the light theme while the dark map drew them dark grey). Screenshots of the widget
outputs go to the artifacts folder (``<theme>-<notebook>-<n>.png``).

The light theme is put back after each run: the theme is a user setting of the shared
JupyterLab, and the other e2e tests expect the light one. Both themes run in the Chromium that
draws scrollbars; the light run is the one ``test_narrow_e2e`` measures too
(``shared_runs.NotebookRuns``: each notebook runs once for both), closed here once read.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, _recording_page
from labhelpers import (
    cell_errors,
    code_prompts,
    kernel_exec,
    open_notebook,
    run_all,
    wait_code_cells_executed,
)
from readability import axis_text_overlaps, title_problems, unreadable

NOTEBOOKS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))

# the colour of the "no samples" swatch of a view's legend and of the canvas pixel at neuron k
SWATCH_AND_PIXEL = """([view, k]) => {
  const el = document.querySelector(`.somwidget-view[data-view="${view}"]`);
  const item = Array.from(el.querySelectorAll('.sw-categories > span'))
    .find(s => s.textContent.trim() === 'no samples');
  const swatch = getComputedStyle(item.querySelector('.sw-swatch')).backgroundColor;
  const c = el.somwidget.canvas.base, r = c.getBoundingClientRect();
  const p = el.somwidget.neuronClientPoint(k);
  const x = Math.round((p.x - r.left) * c.width / r.width), y = Math.round((p.y - r.top) * c.height / r.height);
  const d = c.getContext('2d').getImageData(x, y, 1, 1).data;
  return {swatch, pixel: [d[0], d[1], d[2]]};
}"""


def _set_theme(page, theme: str) -> None:
    light = "true" if theme == "JupyterLab Light" else "false"
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t}) && null",
                  theme)
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=20_000)


def _rgb(css: str) -> list[int]:
    return [round(float(v)) for v in css[css.index("(") + 1: css.index(")")].split(",")[:3]]


THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


@pytest.mark.timeout(420)
@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_reads_well(name, theme, lab, scrollbar_context, notebook_runs, artifacts):
    if theme == "light":  # the run test_narrow_e2e measures (run now if it has not been)
        try:
            page = notebook_runs.page(name)
            try:
                _reads_well(page, name, theme, artifacts)
            finally:
                page.set_viewport_size({"width": 1280, "height": 900})
        finally:
            notebook_runs.release(name)
        return
    shutil.copy(REPO / "notebooks" / f"{name}.ipynb", lab["root"] / f"{theme}_{name}.ipynb")
    shutil.copytree(REPO / "notebooks" / "data", lab["root"] / "data", dirs_exist_ok=True)
    with _recording_page(scrollbar_context) as page:
        page.set_viewport_size({"width": 1280, "height": 900})
        open_notebook(page, lab, f"{theme}_{name}.ipynb")
        try:
            _set_theme(page, THEMES[theme])  # before the cells run: canvases read the theme as they draw
            run_all(page)
            try:
                wait_code_cells_executed(page, timeout_ms=300_000)
            except Exception:
                page.screenshot(path=str(artifacts / f"{theme}-{name}-timeout.png"))
                raise AssertionError(f"{name} did not finish: prompts {code_prompts(page)}, "
                                     f"errors {cell_errors(page)}") from None
            _reads_well(page, name, theme, artifacts)
        finally:
            page.set_viewport_size({"width": 1280, "height": 900})
            _set_theme(page, "JupyterLab Light")


def _reads_well(page, name: str, theme: str, artifacts) -> None:
    """The checks of ``test_notebook_reads_well`` on a page that ran ``name`` in ``theme``."""
    errors = cell_errors(page)
    assert not errors, errors[0]
    # every cell laid out (the notebook renders only the cells on screen), then measured
    page.set_viewport_size({"width": 1280, "height": 16_000})
    page.wait_for_timeout(1_500)
    outputs = page.locator(".jp-OutputArea-output:not([data-mime-type])")  # the widget views
    for i in range(outputs.count()):
        outputs.nth(i).screenshot(path=str(artifacts / f"{theme}-{name}-{i:02d}.png"))
    bad = unreadable(page)
    assert not bad["text"], bad["text"][:5]
    assert not bad["marks"], bad["marks"][:5]
    # no chart's tick labels on top of each other or under their axis label
    overlaps = axis_text_overlaps(page)
    assert not overlaps, overlaps[:5]
    titles = title_problems(page)  # no chart title cut by its figure or under an axis label
    assert not titles, titles[:5]
    if name == "quickstart":
        empty = int(kernel_exec(page, "print(int((som.hit_counts(X) == 0).argmax()))"))
        colours = page.evaluate(SWATCH_AND_PIXEL, ["hits", empty])
        swatch, pixel = _rgb(colours["swatch"]), colours["pixel"]
        assert max(abs(a - b) for a, b in zip(swatch, pixel, strict=True)) <= 3, colours
    console = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not console, console[:5]
