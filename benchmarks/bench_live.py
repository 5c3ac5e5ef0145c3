"""Live views overhead: SOM.fit with and without an Explorer as training callback.

Goal: the live dashboard slows training by at most 10% at N = 10,000 samples on a 20x15 map.
No browser is needed: without a frontend the widgets send their messages into a dummy comm, so
what is measured is the Python side of a refresh (BMUs, analyses, serialisation) under the
dashboard's throttle (15 refreshes/s by default).

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


def _fit_seconds(X: np.ndarray, epochs: int, live: bool, max_rate_hz: float) -> tuple[float, int]:
    from somwidget import SOM, Explorer

    som = SOM(mapsize=(20, 15), lattice="hexa", random_state=0)
    callbacks = None
    ex = None
    if live:
        ex = Explorer(som, X, max_rate_hz=max_rate_hz)
        callbacks = [ex]
    else:
        som.initialize(X)
    t0 = time.perf_counter()
    som.fit(X, epochs=epochs, radiusin=8, radiusfin=1, callbacks=callbacks)
    elapsed = time.perf_counter() - t0
    return elapsed, (ex.n_refreshes - 1 if ex is not None else 0)


def run(n: int = 10_000, epochs: int = 40, repeats: int = 3, max_rate_hz: float = 15.0) -> float:
    """Time both variants ``repeats`` times (interleaved, best of) and print the ratio."""
    X = make_data(n)
    _fit_seconds(X[:500], 2, live=True, max_rate_hz=max_rate_hz)  # warm up imports and caches
    plain, live, refreshes = [], [], 0
    for _ in range(repeats):
        plain.append(_fit_seconds(X, epochs, live=False, max_rate_hz=max_rate_hz)[0])
        t, refreshes = _fit_seconds(X, epochs, live=True, max_rate_hz=max_rate_hz)
        live.append(t)
    ratio = min(live) / min(plain)
    verdict = "ok" if ratio <= LIMIT else "SLOWER THAN GOAL"
    print(f"live views  N={n} map=20x15 epochs={epochs} max_rate={max_rate_hz:g} Hz: "
          f"fit {min(plain):.3f} s plain, {min(live):.3f} s with Explorer "
          f"({refreshes} refreshes) -> ratio {ratio:.3f} (goal <= {LIMIT:.2f}: {verdict})")
    return ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-rate-hz", type=float, default=15.0)
    args = parser.parse_args(argv)
    run(args.n, args.epochs, args.repeats, args.max_rate_hz)


if __name__ == "__main__":
    main()
