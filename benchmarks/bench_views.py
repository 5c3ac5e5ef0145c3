"""Canvas views on big maps: what a refresh costs and sends, against the static SVG picture.

The glyph, index and elevation maps used to send their static SVG picture as the live view on
every refresh (and on every turn of the elevation map). They now send binary buffers and small
traits, and the browser draws. The reference, timed in the same run, is that static picture:
``view.to_svg()`` (what a refresh used to build and send).

For each view on a 100 x 100 map (20,000 x 16 float32 samples), printed as ratios to the SVG:

* bytes one refresh sends (the update message's JSON plus its binary buffers) / SVG bytes;
* seconds of a refresh / seconds of ``to_svg()``;
* for the elevation map, bytes one turn sends (``rotate``) / SVG bytes.

No browser is needed: the views send into a recording comm. Run:
``python -m benchmarks.bench_views`` (or ``./dev.sh bench``).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np


class _Recorder:
    """A widget comm that keeps what the widget sends."""

    comm_id = "bench-views"

    def __init__(self) -> None:
        self.messages: list[tuple[dict, list]] = []

    def send(self, data: Any = None, buffers: Any = None, **_: Any) -> None:
        self.messages.append((data, list(buffers or [])))

    def on_msg(self, *_: Any) -> None:
        pass

    def close(self, *_: Any, **__: Any) -> None:
        pass

    def sent_bytes(self) -> int:
        return sum(len(json.dumps(d, default=str).encode()) + sum(memoryview(b).nbytes for b in bufs)
                   for d, bufs in self.messages)


def _comms(view: Any) -> list[_Recorder]:
    """Recorders on the view and on its canvas child (the elevation map's picture)."""
    out = []
    for w in (view, getattr(view, "picture", None)):
        if w is not None and hasattr(w, "comm"):
            w.comm = _Recorder()
            out.append(w.comm)
    return out


def run(side: int = 100, n: int = 20_000, repeats: int = 3) -> dict[str, dict[str, float]]:
    """Measure the three views on a ``side`` x ``side`` map; returns the ratios per view."""
    from somwidget import SOM
    from somwidget.widgets import CodebookGlyphMap, ElevationMap, NeuronIndexMap

    X = np.random.default_rng(0).normal(size=(n, 16)).astype(np.float32)
    som = SOM(mapsize=(side, side), random_state=0).fit(X, epochs=1)
    views = {
        "CodebookGlyphMap": CodebookGlyphMap(som),
        "NeuronIndexMap": NeuronIndexMap(som),
        "ElevationMap": ElevationMap(som, X),
    }
    rng = np.random.default_rng(1)
    results: dict[str, dict[str, float]] = {}
    for name, view in views.items():
        comms = _comms(view)
        refresh_s, svg_s, sent, svg_bytes = [], [], [], 0
        for _ in range(repeats):
            # a new codebook, as after an epoch: everything the view draws changes
            som.codebook_ = som.codebook_ + rng.normal(0, 1e-3, som.codebook_.shape)
            for c in comms:
                c.messages.clear()
            t0 = time.perf_counter()
            view.refresh()
            refresh_s.append(time.perf_counter() - t0)
            sent.append(sum(c.sent_bytes() for c in comms))
            t0 = time.perf_counter()
            svg = view.to_svg()  # the picture of this refresh, drawn now
            svg_s.append(time.perf_counter() - t0)
            svg_bytes = len(svg.encode())
        row = {"svg_mb": svg_bytes / 1e6, "sent_mb": min(sent) / 1e6, "refresh_ms": min(refresh_s) * 1e3,
               "svg_ms": min(svg_s) * 1e3, "sent_over_svg": min(sent) / svg_bytes,
               "refresh_over_svg": min(refresh_s) / min(svg_s)}
        if name == "ElevationMap":
            for c in comms:
                c.messages.clear()
            view.rotate(azimuth=view.azimuth + 15)
            row["turn_over_svg"] = sum(c.sent_bytes() for c in comms) / svg_bytes
        results[name] = row
        view.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=100, help="map side (default 100)")
    parser.add_argument("--quick", action="store_true", help="a 50 x 50 map")
    args = parser.parse_args(argv)
    side = 50 if args.quick else args.side
    print(f"canvas views on a {side}x{side} map: a refresh / the static SVG it used to send   "
          "(target: bytes << 1)")
    for name, r in run(side=side).items():
        extra = f", turn {r['turn_over_svg']:.5f}" if "turn_over_svg" in r else ""
        print(f"  {name:<18} sent {r['sent_mb']:.3f} MB / SVG {r['svg_mb']:.2f} MB = "
              f"{r['sent_over_svg']:.4f}{extra};   refresh {r['refresh_ms']:.0f} ms / SVG "
              f"{r['svg_ms']:.0f} ms = {r['refresh_over_svg']:.3f}")


if __name__ == "__main__":
    main()
