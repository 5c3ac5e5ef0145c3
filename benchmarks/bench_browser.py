"""Live views in a real browser: JupyterLab + headless Chromium (the e2e recipe).

Prints, for a Studio playing a fast run (``epochs=100000`` on 150 samples, so the trainer is
much faster than any page) on a 20 x 15 and a 100 x 100 map:

* ms per redraw of the hit map's canvas (in the page, ``performance.now()`` around ``draw()``);
* redraws per second the page achieved against the ``max_rate_hz`` asked;
* the lag: kernel epoch minus the epoch of the frame the browser just drew (``studio.lag()``,
  measured at each acknowledgement), and the progress line's epoch against the kernel's;
* Pause latency: click to the progress line saying ``pausing`` (the request is shown) and to
  ``paused`` (the worker stopped), and whether the drawn frame then stops;
* kernel responsiveness while the Studio plays (round trip of a trivial execute request);
* console errors (our code or bqplot's ``translate(undefined,undefined)``);

and, without a browser, the bytes of one live frame per view at both sizes.

Run: ``python -m benchmarks.bench_browser`` (needs /usr/bin/chromium and playwright; the e2e
test tests/e2e/test_live_e2e.py runs the same scenario with generous bounds).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
E2E = REPO / "tests" / "e2e"

STUDIO_SETUP = """\
import json, time
import numpy as np
from somwidget import SOM, Studio
rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 0.5, size=(50, 4)) for c in ([0, 0, 0, 0], [3, 0, 1, 0], [0, 3, 2, 1])])
y = np.repeat(["a", "b", "c"], 50)
studio = Studio(SOM(mapsize=({rows}, {cols}), random_state=0), X, labels=y, epochs=100000,
                max_rate_hz={rate})
studio
"""

STATE = ("import json as _j; _h = studio.explorer.hit_map\n"
         "print(_j.dumps({'epoch': studio.trainer.epoch, 'status': studio.trainer.status,"
         " 'lag': studio.lag(), 'frame': _h.frame, 'held': _h.pacer.n_held,"
         " 'stale': _h.pacer.n_stale, 'acks': _h.pacer.n_acks}))")

HITS = '.somwidget-studio .somwidget-view[data-view="hits"]'
PROGRESS = ".somwidget-studio .somwidget-progress-text"

PAUSE_PROBE = """() => { const root = document.querySelector('.somwidget-studio');
  const p = window.__swPause = {};
  root.querySelector('.somwidget-pause').addEventListener('click', () => { p.click = performance.now(); },
    { capture: true, once: true });
  const look = () => { const d = document.querySelector('""" + PROGRESS + """')?.dataset; const t = performance.now();
    if (p.click === undefined) return;
    if (p.pausing === undefined && (d?.requested === 'pausing' || d?.status === 'paused')) p.pausing = t;
    if (p.paused === undefined && d?.status === 'paused') { p.paused = t; obs.disconnect(); } };
  const obs = new MutationObserver(look);
  obs.observe(root, { subtree: true, childList: true, attributes: true, characterData: true }); }"""


def _span(probe: dict | None, what: str) -> float | None:
    """Seconds from the page's click event to the probe's ``what`` mark (None: not seen)."""
    if not probe or probe.get("click") is None or probe.get(what) is None:
        return None
    return round((probe[what] - probe["click"]) / 1000.0, 3)


REDRAW_MS = """(el) => { const c = el.somwidget.canvas; const n = 20; c.draw();
  const t0 = performance.now(); for (let i = 0; i < n; i++) c.draw();
  return (performance.now() - t0) / n; }"""


def _helpers():
    if str(E2E) not in sys.path:
        sys.path.insert(0, str(E2E))
    import labhelpers

    return labhelpers


def _state(page) -> dict:
    out = _helpers().kernel_exec(page, STATE)
    return json.loads(out.strip().splitlines()[-1])


def studio_run(page, lab: dict, rows: int = 20, cols: int = 15, seconds: float = 4.0,
               rate: float = 15.0, name: str | None = None) -> dict:
    """Open a notebook with a Studio, Play for ``seconds``, Pause; return the figures."""
    h = _helpers()
    name = name or f"live_studio_{rows}x{cols}.ipynb"
    h.write_notebook(lab["root"] / name, [STUDIO_SETUP.format(rows=rows, cols=cols, rate=rate)])
    h.open_notebook(page, lab, name)
    h.run_all(page)
    h.wait_code_cells_executed(page, timeout_ms=120_000)
    page.wait_for_function(f"() => Number(document.querySelector('{HITS}')?.dataset.draws) > 0",
                           timeout=60_000)
    hits = page.locator(HITS)
    hits.scroll_into_view_if_needed()
    redraw_ms = hits.evaluate(REDRAW_MS)
    frame0 = int(hits.get_attribute("data-frame"))
    page.locator(".somwidget-studio .somwidget-play").click()
    t0 = time.perf_counter()
    samples, rtts = [], []
    while time.perf_counter() - t0 < seconds:
        time.sleep(0.5)
        t1 = time.perf_counter()
        st = _state(page)  # an execute request while the Studio plays: the kernel answers
        rtts.append(time.perf_counter() - t1)
        shown = page.evaluate(f"() => Number(document.querySelector('{PROGRESS}')?.dataset.epoch)")
        samples.append({"kernel_epoch": st["epoch"], "shown_epoch": shown, **st})
    frame1 = int(hits.get_attribute("data-frame"))
    played = time.perf_counter() - t0
    # the page's own clock too: from the click event to the progress line changing (a
    # MutationObserver), without Playwright's actionability checks around click()
    page.evaluate(PAUSE_PROBE)
    t_click = time.perf_counter()
    page.locator(".somwidget-studio .somwidget-pause").click()
    page.wait_for_function(f"() => {{ const d = document.querySelector('{PROGRESS}')?.dataset;"
                           " return d?.requested === 'pausing' || d?.status === 'paused'; }",
                           timeout=30_000, polling=10)
    pausing_s = time.perf_counter() - t_click
    page.wait_for_function(f"() => document.querySelector('{PROGRESS}')?.dataset.status === 'paused'",
                           timeout=30_000, polling=10)
    pause_s = time.perf_counter() - t_click
    probe = page.evaluate("() => window.__swPause")
    time.sleep(0.3)
    frame_a = int(hits.get_attribute("data-frame"))
    time.sleep(1.0)
    frame_b = int(hits.get_attribute("data-frame"))
    final = _state(page)
    shown_final = page.evaluate(f"() => Number(document.querySelector('{PROGRESS}')?.dataset.epoch)")
    console = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))
               or "translate(undefined" in m]
    lags = [s["kernel_epoch"] - s["shown_epoch"] for s in samples]
    return {
        "map": f"{rows}x{cols}",
        "redraw_ms": round(redraw_ms, 2),
        "asked_hz": rate,
        "drawn_hz": round((frame1 - frame0) / played, 2),
        "epochs_per_s": round(samples[-1]["kernel_epoch"] / played, 1) if samples else 0.0,
        "lag_epochs": final["lag"],
        "progress_lag_epochs_max": max(lags) if lags else None,
        "pause_to_paused_s": round(pause_s, 3),
        "pause_to_pausing_shown_s": round(pausing_s, 3),
        "page_click_to_pausing_s": _span(probe, "pausing"),
        "page_click_to_paused_s": _span(probe, "paused"),
        "frame_stopped_after_pause": frame_a == frame_b,
        "shown_epoch_after_pause": shown_final,
        "kernel_epoch_after_pause": final["epoch"],
        "kernel_rtt_s_max": round(max(rtts), 3) if rtts else None,
        "held": final["held"], "stale": final["stale"], "acks": final["acks"],
        "console_errors": console[:5],
    }


def frame_bytes() -> dict[str, int]:
    """Bytes of one live frame (JSON + binary buffers) per view, at 20 x 15 and 100 x 100."""
    import numpy as np

    from somwidget import SOM
    from somwidget.widgets import HitMap, InputSpaceView, UMatrix

    class Comm:
        comm_id = "bench"

        def __init__(self) -> None:
            self.n = 0

        def send(self, data=None, buffers=None, **_: object) -> None:
            self.n += len(json.dumps(data).encode()) + sum(memoryview(b).nbytes for b in buffers or [])

        def on_msg(self, *_: object) -> None:
            pass

        def close(self, *_: object, **__: object) -> None:
            pass

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 16))
    y = rng.integers(0, 3, 5000).astype(str)
    out = {}
    for shape in ((20, 15), (100, 100)):
        som = SOM(mapsize=shape, random_state=0).initialize(X)
        views = {"hit map": HitMap(som, X), "hit map + labels": HitMap(som, X, y),
                 "U-matrix": UMatrix(som), "input-space net": InputSpaceView(som, X)}
        som.fit(X, epochs=1)
        for name, v in views.items():
            comms = []
            for w in [v, *getattr(v, "figure", type("F", (), {"marks": []})).marks]:
                w.comm = Comm()
                comms.append(w.comm)
            v.refresh()
            out[f"{shape[0]}x{shape[1]} {name}"] = sum(c.n for c in comms)
            v.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if str(E2E) not in sys.path:
        sys.path.insert(0, str(E2E))
    from conftest import CHROMIUM, CHROMIUM_ARGS, start_lab
    from playwright.sync_api import sync_playwright

    results: dict = {"frame_bytes": frame_bytes(), "studio": []}
    with tempfile.TemporaryDirectory() as tmp, start_lab(Path(tmp)) as lab, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(Path(tmp) / "profile"), executable_path=CHROMIUM,
                                                   headless=True, args=CHROMIUM_ARGS,
                                                   viewport={"width": 1280, "height": 900})
        for rows, cols in ((20, 15), (100, 100)):
            page = ctx.new_page()
            page.console_messages_seen = []
            page.on("console", lambda m, pg=page: pg.console_messages_seen.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e, pg=page: pg.console_messages_seen.append(f"pageerror: {e}"))
            results["studio"].append(studio_run(page, lab, rows, cols, seconds=args.seconds))
            page.close()
        ctx.close()
    print("bytes per live frame (JSON + binary buffers):")
    for k, v in results["frame_bytes"].items():
        print(f"  {k:32s} {v / 1000:8.1f} KB")
    for r in results["studio"]:
        print(f"Studio {r['map']} playing {args.seconds:g} s (trainer {r['epochs_per_s']} epochs/s):")
        print(f"  redraw of the hit-map canvas      {r['redraw_ms']} ms")
        print(f"  redraws/s drawn vs asked          {r['drawn_hz']} / {r['asked_hz']:g} "
              f"= {r['drawn_hz'] / r['asked_hz']:.2f}")
        print(f"  lag at acks (kernel - drawn)      mean {r['lag_epochs']['mean']:.1f}, "
              f"max {r['lag_epochs']['max']:.0f} epochs ({r['lag_epochs']['n']} acks)")
        print(f"  progress line lag (max)           {r['progress_lag_epochs_max']} epochs")
        print(f"  Pause -> 'pausing' shown          {r['pause_to_pausing_shown_s']} s")
        print(f"  click event -> 'pausing' / 'paused' in the page  {r['page_click_to_pausing_s']} s / "
              f"{r['page_click_to_paused_s']} s")
        print(f"  Pause -> 'paused' shown           {r['pause_to_paused_s']} s; drawn frame stops: "
              f"{r['frame_stopped_after_pause']}; epoch shown {r['shown_epoch_after_pause']} = "
              f"kernel {r['kernel_epoch_after_pause']}")
        print(f"  kernel round trip while playing   max {r['kernel_rtt_s_max']} s")
        print(f"  frames held by back-pressure      {r['held']} (stale: {r['stale']}, acks: {r['acks']})")
        print(f"  console errors                    {r['console_errors'] or 'none'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
