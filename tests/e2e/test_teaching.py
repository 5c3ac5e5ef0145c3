"""End to end: the teaching notebook's Studio cell in JupyterLab, driven by headless Chromium.

Builds a small notebook from the Studio cell of ``notebooks/teaching.ipynb`` (plus a cell that
makes the run long enough to interrupt), then in the browser: Play, the curves and the maps redraw,
Pause stops the epoch counter, a radius change reaches the trainer, Step advances the counter by
exactly one epoch with the new radius, and screenshots go to the artifacts folder.
"""

from __future__ import annotations

import json
import re
import time

import nbformat
from conftest import REPO
from labhelpers import (
    cell_errors,
    kernel_exec,
    open_notebook,
    run_all,
    wait_code_cells_executed,
    write_notebook,
)

NOTEBOOK = REPO / "notebooks" / "teaching.ipynb"
EPOCHS = 100_000

PROGRESS = """() => {
  const el = document.querySelector('.somwidget-progress .somwidget-progress-text');
  return el ? {epoch: +el.dataset.epoch, epochs: +el.dataset.epochs, status: el.dataset.status,
               text: el.innerText} : null;
}"""

VIEW_FRAME = """(name) => {
  const el = document.querySelector(`.somwidget-studio .somwidget-view[data-view="${name}"]`);
  return el ? {frame: +(el.dataset.frame ?? -1), draws: +(el.dataset.draws ?? -1)} : null;
}"""

# number of points of the QE line drawn by bqplot in the curves chart
CURVE_POINTS = """() => {
  const path = document.querySelector('.somwidget-curves .bqplot .line path.curve, .somwidget-curves .bqplot path.line');
  if (!path) return 0;
  const d = path.getAttribute('d') || '';
  return (d.match(/[ML]/g) || []).length;
}"""


def studio_source() -> str:
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "studio = Studio(" in cell.source:
            return cell.source
    raise AssertionError("the teaching notebook has no Studio cell")


def progress(page) -> dict:
    p = page.evaluate(PROGRESS)
    assert p is not None, "no progress element"
    m = re.search(r"epoch (\d+) / (\d+)", p["text"])
    assert m and int(m.group(1)) == p["epoch"], p
    return p


def test_teaching_studio_play_pause_step(lab, page, artifacts):
    t0 = time.perf_counter()
    write_notebook(lab["root"] / "teaching_studio.ipynb", [
        studio_source(),
        f"studio.controls['epochs'].value = {EPOCHS}",
    ])
    page.set_viewport_size({"width": 1600, "height": 1300})
    open_notebook(page, lab, "teaching_studio.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    run_all(page)
    wait_code_cells_executed(page, timeout_ms=90_000)
    assert not cell_errors(page), cell_errors(page)[0]
    page.locator(".somwidget-studio").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('.somwidget-progress .somwidget-progress-text')",
                           timeout=30_000)
    start = progress(page)
    assert (start["epoch"], start["epochs"], start["status"]) == (0, EPOCHS, "idle"), start
    hits0 = page.evaluate(VIEW_FRAME, "hits")
    umat0 = page.evaluate(VIEW_FRAME, "umatrix")
    assert hits0 and umat0, "the Studio's hit map / U-matrix are not on the page"

    # -- Play: the counter runs, the maps and the curves redraw ---------------------------
    page.locator("button.somwidget-play").click()
    page.wait_for_function(f"() => ({PROGRESS})()?.epoch >= 20", timeout=30_000, polling=50)
    page.wait_for_function(
        f"([h, u]) => ({VIEW_FRAME})('hits').frame >= h + 3 && ({VIEW_FRAME})('umatrix').frame >= u + 3",
        arg=[hits0["frame"], umat0["frame"]], timeout=30_000, polling=50)
    page.wait_for_function(f"() => ({CURVE_POINTS})() >= 5", timeout=30_000, polling=100)
    page.screenshot(path=str(artifacts / "teaching-studio-playing.png"))

    # -- Pause: the counter stops ------------------------------------------------------------
    page.locator("button.somwidget-pause").click()
    try:
        page.wait_for_function(f"() => ({PROGRESS})()?.status === 'paused'", timeout=30_000, polling=50)
    except Exception:
        page.screenshot(path=str(artifacts / "teaching-pause-timeout.png"))
        shown = page.evaluate(PROGRESS)
        kernel = kernel_exec(page, (
            "print({'status': studio.trainer.status, 'epoch': studio.trainer.epoch,"
            " 'error': repr(studio.trainer.error), 'alive': studio.trainer.is_alive,"
            " 'redraws': studio.n_redraws})"))
        raise AssertionError(f"Pause did not show 'paused': browser {shown}, kernel {kernel}") from None
    paused = progress(page)
    n = paused["epoch"]
    assert 20 <= n < EPOCHS
    page.wait_for_timeout(1000)  # the one place a wait is the point: nothing may move while paused
    assert progress(page)["epoch"] == n
    state = json.loads(kernel_exec(page, (
        "import json as _j\nprint(_j.dumps({'epoch': studio.trainer.epoch, 'status': studio.trainer.status,"
        " 'alive': studio.trainer.is_alive, 'history': len(studio.trainer.history)}))")))
    assert state == {"epoch": n, "status": "paused", "alive": False, "history": n}, state

    # -- change the radius in the control ----------------------------------------------------
    box = page.locator(".somwidget-radius-start input").first
    box.fill("1.5")
    box.press("Enter")
    page.wait_for_function("() => /radius start = 1.5/.test(document.querySelector('.somwidget-message')?.innerText ?? '')",
                           timeout=10_000)
    params = json.loads(kernel_exec(page, (
        "print(_j.dumps({'rs': studio.trainer.params.radius_start, 're': studio.trainer.params.radius_end,"
        " 'n': studio.trainer.params.epochs}))")))
    assert params["rs"] == 1.5 and params["n"] == EPOCHS

    # -- Step: exactly one more epoch, with the new radius ---------------------------------
    page.locator("button.somwidget-step").click()
    page.wait_for_function(f"(n) => ({PROGRESS})()?.epoch === n + 1 && ({PROGRESS})()?.status === 'paused'",
                           arg=n, timeout=30_000, polling=50)
    page.wait_for_timeout(300)
    assert progress(page)["epoch"] == n + 1
    last = json.loads(kernel_exec(page, (
        "_r = studio.trainer.history[-1]\n"
        "print(_j.dumps({'epoch': _r.epoch, 'radius': _r.radius, 'count': studio.trainer.epoch}))")))
    expected = 1.5 + (params["re"] - 1.5) * n / (EPOCHS - 1)  # linear schedule at epoch index n
    assert last["epoch"] == n + 1 and last["count"] == n + 1
    assert abs(last["radius"] - expected) < 1e-9, (last, expected)

    # the final frames reached the browser (none dropped by the IOPub rate limits)
    page.wait_for_function(
        "(n) => (document.querySelector('.somwidget-curves-summary')?.innerText ?? '')"
        ".startsWith(`epoch ${n + 1} `)", arg=n, timeout=10_000)
    page.screenshot(path=str(artifacts / "teaching-studio-page.png"))
    for name in ("explorer", "curves", "input-space"):
        part = page.locator(f".somwidget-studio .somwidget-{name}").first
        part.scroll_into_view_if_needed()
        part.screenshot(path=str(artifacts / f"teaching-studio-{name}.png"))

    # -- Stop ------------------------------------------------------------------------------------
    page.locator("button.somwidget-stop").click()
    page.wait_for_function(f"() => ({PROGRESS})()?.status === 'stopped'", timeout=30_000, polling=50)
    assert time.perf_counter() - t0 < 90
