"""End to end: the quickstart notebook in a real JupyterLab, driven by headless Chromium.

Runs every cell of ``notebooks/quickstart.ipynb`` and checks, in the browser, that

* each view (hit map, U-matrix, component planes) drew a real picture (canvas pixels);
* the live training cell made the views redraw several times while it was still running;
* clicking a neuron in the hit map marks the same neuron in the U-matrix and the component
  planes and shows it in the inspector, and Python reads the same selection;

and saves screenshots to the artifacts folder.
"""

from __future__ import annotations

import json
import shutil
import time

from conftest import REPO
from labhelpers import (
    cell_errors,
    code_cell_index,
    code_prompts,
    kernel_exec,
    open_notebook,
    run_all,
    wait_code_cells_executed,
)

NOTEBOOK = REPO / "notebooks" / "quickstart.ipynb"

# Pixel statistics of the first canvas under a view's root element.
CANVAS_STATS = """(el) => {
  const c = el.querySelector('canvas');
  if (!c || !c.width || !c.height) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const colours = new Set(); let opaque = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] === 255) opaque++;
    colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return {w: c.width, h: c.height, opaque: opaque / (c.width * c.height), colours: colours.size};
}"""

# Record, every 25 ms, the training cell's prompt and each view's frame / draw counters.
RECORDER = """(trainIndex) => {
  window.__qsLog = [];
  const view = (name) => document.querySelector(`.somwidget-view[data-view="${name}"]`);
  window.__qsTimer = setInterval(() => {
    const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'));
    const p = prompts[trainIndex]?.textContent.trim() ?? '';
    const row = {t: performance.now(), prompt: p};
    for (const name of ['hits', 'umatrix', 'planes']) {
      const el = view(name);
      row[name] = el ? {frame: +(el.dataset.frame ?? -1), draws: +(el.dataset.draws ?? -1)} : null;
    }
    window.__qsLog.push(row);
  }, 25);
}"""

VIEWS = {"hits": "hit map", "umatrix": "U-matrix", "planes": "component planes"}


def _view(page, name):
    return page.locator(f'.somwidget-view[data-view="{name}"]').first


def test_quickstart_notebook_in_lab(lab, page, artifacts):
    t0 = time.perf_counter()
    shutil.copy(NOTEBOOK, lab["root"] / "quickstart.ipynb")
    train_index = code_cell_index(NOTEBOOK, "callbacks=[")
    open_notebook(page, lab, "quickstart.ipynb")
    page.evaluate(RECORDER, train_index)
    run_all(page)

    # -- the dashboard appears and the notebook runs to the end ----------------------------
    for name in VIEWS:
        _view(page, name).wait_for(timeout=60_000)
    try:
        wait_code_cells_executed(page, timeout_ms=90_000)
    except Exception:
        page.screenshot(path=str(artifacts / "quickstart-timeout.png"))
        raise AssertionError(
            f"notebook did not finish: prompts {code_prompts(page)}, errors {cell_errors(page)}"
        ) from None
    t_run = time.perf_counter()
    page.evaluate("() => clearInterval(window.__qsTimer)")
    log = page.evaluate("() => window.__qsLog")
    errors = cell_errors(page)
    assert not errors, errors[0]
    prompts = code_prompts(page)
    assert all(p.startswith("[") and p[1:-2].isdigit() for p in prompts), prompts

    # -- live redraws during the training cell --------------------------------------------
    running = [row for row in log if row["prompt"] == "[*]:"]
    assert running, "the recorder never saw the training cell running"
    live = {}
    for name in VIEWS:
        frames = sorted({row[name]["frame"] for row in running if row[name]})
        draws = [row[name]["draws"] for row in running if row[name]]
        live[name] = {"distinct_frames_while_running": len(frames),
                      "draws_grew_by": max(draws) - min(draws) if draws else 0}
        assert len(frames) >= 3, (name, frames)
        assert live[name]["draws_grew_by"] >= 3, (name, live[name])

    # -- every view drew a picture ----------------------------------------------------------
    page.set_viewport_size({"width": 1280, "height": 2200})  # whole widgets in the screenshots
    dashboard = page.locator(".somwidget-explorer").first
    dashboard.scroll_into_view_if_needed()
    dashboard.screenshot(path=str(artifacts / "quickstart-dashboard-trained.png"))
    pixels = {}
    for name in VIEWS:
        el = _view(page, name)
        el.scroll_into_view_if_needed()
        stats = el.evaluate(CANVAS_STATS)
        pixels[name] = stats
        assert stats is not None, f"{name}: no canvas"
        assert stats["opaque"] > 0.3, (name, stats)
        assert stats["colours"] > 20, (name, stats)
        el.screenshot(path=str(artifacts / f"quickstart-{name}.png"))

    # -- click a neuron in the hit map: every view and the inspector follow ----------------
    # the busiest neuron, so the inspector has samples to list
    k = int(kernel_exec(page, "print(int(som.hit_counts(X).argmax()))").strip())
    hits = _view(page, "hits")
    hits.scroll_into_view_if_needed()
    pt = hits.evaluate("(el, k) => el.somwidget.neuronClientPoint(k)", k)
    page.mouse.click(pt["x"], pt["y"])
    for name in VIEWS:
        page.wait_for_function(
            "([name, k]) => Array.from(document.querySelectorAll("
            "`.somwidget-view[data-view=\"${name}\"]`)).every(el => el.dataset.selected === String(k))",
            arg=[name, k], timeout=10_000,
        )
    page.wait_for_function(
        "(k) => { const els = document.querySelectorAll('.somwidget-inspector [data-neurons]');"
        " return els.length > 0 && Array.from(els).every(e => e.dataset.neurons === String(k)); }",
        arg=k, timeout=10_000,
    )
    inspector = page.locator(".somwidget-inspector").first
    assert f"Neuron {k}" in inspector.inner_text()
    assert page.locator(".somwidget-inspector .bqplot").first.is_visible()
    dashboard.scroll_into_view_if_needed()
    dashboard.screenshot(path=str(artifacts / "quickstart-dashboard-selected.png"))
    inspector.screenshot(path=str(artifacts / "quickstart-inspector.png"))
    out = kernel_exec(page, (
        "import json as _j\n_b = som.predict(X)\n"
        "print(_j.dumps({'neurons': list(ex.selection.neurons),"
        " 'n_selected': int(len(ex.selected_samples())),"
        f" 'n_expected': int((_b == {k}).sum())}}))"
    ))
    state = json.loads(out)
    assert state["neurons"] == [k], state
    assert state["n_selected"] == state["n_expected"], state

    # -- the static picture cell -------------------------------------------------------------
    svg = page.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml']").last
    svg.scroll_into_view_if_needed()
    svg.screenshot(path=str(artifacts / "quickstart-svg.png"))
    page.screenshot(path=str(artifacts / "quickstart-page.png"))

    console = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    metrics_path = artifacts / "metrics.json"
    data = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    data["quickstart_e2e"] = {
        "run_all_s": round(t_run - t0, 2),
        "total_s": round(time.perf_counter() - t0, 2),
        "live": live,
        "pixels": pixels,
        "console_errors": console[:5],
    }
    metrics_path.write_text(json.dumps(data, indent=2))
    assert not [m for m in console if m.startswith("pageerror")], console
