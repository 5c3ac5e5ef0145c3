"""Live views overhead: SOM.fit with and without an Explorer as training callback.

Goal: the live dashboard slows training by at most 10% at N = 10,000 samples on a 20x15 map.
No browser is needed: without a frontend the widgets send their messages into a dummy comm, so
what is measured is the Python side of a refresh (BMUs, analyses, serialisation) under the
dashboard's throttle (15 refreshes/s by default).

The fit runs long enough (200 epochs, about a second) for the throttle to engage; with the
default ``max_overhead=0.05`` the Explorer spaces its refreshes so that they take about 5% of
the training time. Timings are best-of-``repeats``, interleaved, because a shared machine is
noisy.

Run: ``python -m benchmarks.bench_live`` (or ``./dev.sh bench``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

LIMIT = 1.10


def make_data(n: int, d: int = 8, seed: int = 0) -> np.ndarray:
    """Gaussian blobs: ``n`` samples, ``d`` features, 6 centres."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(6, d))
    return centres[rng.integers(0, 6, n)] + rng.normal(size=(n, d))


def refresh_seconds(X: np.ndarray, repeats: int = 5) -> float:
    """Median wall time of one full dashboard refresh (BMUs + every view + the inspector)."""
    from somwidget import SOM, Explorer

    som = SOM(mapsize=(20, 15), lattice="hexa", random_state=0)
    ex = Explorer(som, X)
    ex.selection.select([0, 1, 2])  # the inspector has content to rebuild
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ex.refresh()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _fit_seconds(
    X: np.ndarray, epochs: int, live: bool, max_rate_hz: float
) -> tuple[float, float, int]:
    from somwidget import SOM, Explorer

    som = SOM(mapsize=(20, 15), lattice="hexa", random_state=0)
    callbacks = None
    ex = None
    if live:
        ex = Explorer(som, X, max_rate_hz=max_rate_hz)
        callbacks = [ex]
    else:
        som.initialize(X)
    t0, c0 = time.perf_counter(), time.process_time()
    som.fit(X, epochs=epochs, radiusin=8, radiusfin=1, callbacks=callbacks)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return elapsed, cpu, (ex.n_refreshes - 1 if ex is not None else 0)


def run(n: int = 10_000, epochs: int = 200, repeats: int = 5, max_rate_hz: float = 15.0) -> float:
    """Time both variants ``repeats`` times (interleaved, best of) and print the ratios.

    Returns the wall-time ratio (live / plain). The CPU-time ratio is printed too: on a busy
    shared machine it is the steadier measure of the extra work.
    """
    X = make_data(n)
    _fit_seconds(X[:500], 2, live=True, max_rate_hz=max_rate_hz)  # warm up imports and caches
    plain, live, plain_cpu, live_cpu, refreshes = [], [], [], [], 0
    for _ in range(repeats):
        t, c, _n = _fit_seconds(X, epochs, live=False, max_rate_hz=max_rate_hz)
        plain.append(t)
        plain_cpu.append(c)
        t, c, refreshes = _fit_seconds(X, epochs, live=True, max_rate_hz=max_rate_hz)
        live.append(t)
        live_cpu.append(c)
    ratio = min(live) / min(plain)
    cpu_ratio = min(live_cpu) / min(plain_cpu)
    cost = refresh_seconds(X)
    verdict = "ok" if ratio <= LIMIT else "SLOWER THAN GOAL"
    print(f"live views  N={n} map=20x15 epochs={epochs} max_rate={max_rate_hz:g} Hz: "
          f"fit {min(plain):.3f} s plain, {min(live):.3f} s with Explorer "
          f"({refreshes} refreshes, {1000 * cost:.1f} ms each) -> wall ratio {ratio:.3f} "
          f"(goal <= {LIMIT:.2f}: {verdict}), cpu ratio {cpu_ratio:.3f}")
    return ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-rate-hz", type=float, default=15.0)
    args = parser.parse_args(argv)
    run(args.n, args.epochs, args.repeats, args.max_rate_hz)


if __name__ == "__main__":
    main()
