"""Run every benchmark and print each figure as a ratio to a reference measured in the same run.

* batch epoch / one float32 GEMM (N x D)(D x M), N=100k, D=32, 20x20 map (target <= 2); the
  epoch is the marginal cost of more epochs in one ``fit`` call, the per-call setup is printed apart;
* peak memory of a batch fit / size of the float64 data (target: a small multiple);
* MiniSom ``train_random`` time per sample / ours (``fit_online``), 20x20 map, 64 features,
  Gaussian neighbourhood (target >= 2);
* BMU search (``find_bmus``, k=1) / the same GEMM;
* a 100 x 100 map in batch mode: epoch / GEMM, and peak memory / one dense M x M float64 matrix;
* the live views (bench_live.py) and SOMClassifier's held-out accuracy against k-NN on digits and
  breast cancer (bench_supervised.py).

Times are the best of a few repeats (the machine may be shared). Takes well under 2 minutes.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from somwidget import SOM
from somwidget.bmu import find_bmus


def best_time(fn: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_batch(n: int = 100_000, d: int = 32, side: int = 20, epochs: int = 4) -> dict[str, float]:
    """Per-epoch cost as the marginal cost of ``epochs`` more epochs in one ``fit`` call (so the
    once-per-call setup, validation and the float32 copy of the data, is reported on its own),
    with the GEMM reference timed in the same rounds."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    m = side * side
    A = X.astype(np.float32)
    B = rng.standard_normal((d, m)).astype(np.float32)
    out = np.empty((n, m), dtype=np.float32)
    som = SOM((side, side), lattice="rect", initialization="random", random_state=0).initialize(X)
    som.fit(X, epochs=1)  # warm up

    def fit(k: int) -> Callable[[], object]:
        return lambda: som.fit(X, epochs=k, radiusin=2, radiusfin=1)

    gemm = one = more = float("inf")
    for _ in range(3):  # interleaved rounds: a slow phase of the machine hits every figure
        gemm = min(gemm, best_time(lambda: np.matmul(A, B, out=out), repeats=3))
        one = min(one, best_time(fit(1), repeats=1))
        more = min(more, best_time(fit(1 + epochs), repeats=1))
    per_epoch = (more - one) / epochs
    bmu = best_time(lambda: find_bmus(X, som.codebook_, k=1))
    tracemalloc.start()
    tracemalloc.reset_peak()
    som.fit(X, epochs=2, radiusin=2, radiusfin=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "gemm_s": gemm,
        "epoch_s": per_epoch,
        "setup_s": max(0.0, one - per_epoch),
        "epoch_over_gemm": per_epoch / gemm,
        "fit1_over_gemm": one / gemm,
        "bmu_over_gemm": bmu / gemm,
        "peak_over_data": peak / X.nbytes,
    }


def bench_large_map(n: int = 10_000, d: int = 10, side: int = 100,
                    neighborhood: str = "gaussian", radius: float = 8.0) -> dict[str, float]:
    """A 100 x 100 map in batch mode: time per epoch against one (N x D)(D x M) float32 GEMM,
    and peak traced memory against one M x M float64 matrix (what a dense neighbourhood matrix
    would take). The Gaussian is smoothed one lattice axis at a time; other kernels go through
    row blocks of the M x M kernel."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))
    m = side * side
    A = X.astype(np.float32)
    B = rng.standard_normal((d, m)).astype(np.float32)
    buf = [np.empty((n, m), dtype=np.float32)]
    gemm = best_time(lambda: np.matmul(A, B, out=buf[0]), repeats=3)
    buf.clear()  # 400 MB that the measured fit must not find already taken
    som = SOM((side, side), neighborhood=neighborhood, initialization="random",
              random_state=0).initialize(X)
    epoch = best_time(lambda: som.fit(X, epochs=1, radiusin=radius, radiusfin=radius), repeats=2)
    tracemalloc.start()
    tracemalloc.reset_peak()
    som.fit(X, epochs=1, radiusin=radius, radiusfin=radius)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"epoch_s": epoch, "epoch_over_gemm": epoch / gemm,
            "peak_over_dense": peak / (8.0 * m * m), "peak_mb": peak / 1e6}


def bench_online(n: int = 4000, d: int = 64, side: int = 20) -> dict[str, float]:
    from minisom import MiniSom

    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))

    def minisom_run() -> None:
        ms = MiniSom(side, side, d, sigma=side / 4, learning_rate=0.5,
                     neighborhood_function="gaussian", random_seed=0)
        ms.train_random(X, n)

    def ours_run() -> None:
        som = SOM((side, side), lattice="rect", initialization="random", random_state=0)
        som.initialize(X)
        som.fit_online(X, epochs=1, radiusin=side / 4, radiusfin=1, learning_rate_init=0.5)

    t_minisom = best_time(minisom_run, repeats=2) / n
    t_ours = best_time(ours_run, repeats=2) / n
    return {
        "minisom_us": t_minisom * 1e6,
        "ours_us": t_ours * 1e6,
        "minisom_over_ours": t_minisom / t_ours,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    b = bench_batch(n=20_000 if args.quick else 100_000)
    print("batch SOM, N=%s, D=32, 20x20 map" % ("20k" if args.quick else "100k"))
    print(f"  float32 GEMM (N x D)(D x M)        {b['gemm_s'] * 1e3:8.1f} ms")
    print(f"  one batch epoch (marginal)         {b['epoch_s'] * 1e3:8.1f} ms")
    print(f"  setup once per fit call            {b['setup_s'] * 1e3:8.1f} ms")
    print(f"  ratio epoch / GEMM                 {b['epoch_over_gemm']:8.2f}   (target <= 2)")
    print(f"  ratio fit(epochs=1) / GEMM         {b['fit1_over_gemm']:8.2f}   (one epoch plus the setup)")
    print(f"  ratio BMU search / GEMM            {b['bmu_over_gemm']:8.2f}")
    print(f"  ratio peak memory / data (float64) {b['peak_over_data']:8.2f}")
    for kernel, radius, how in (("gaussian", 8.0, "separable, axis by axis"),
                                ("bubble", 8.0, "row blocks of M x M"),
                                ("bubble", 2.0, "sparse: the pairs within the radius")):
        big = bench_large_map(n=2_000 if args.quick else 10_000, side=50 if args.quick else 100,
                              neighborhood=kernel, radius=radius)
        n_txt, map_txt = ("2k", "50x50") if args.quick else ("10k", "100x100")
        print(f"large map, batch, N={n_txt}, D=10, {map_txt} map, {kernel} r={radius:g} ({how})")
        print(f"  one batch epoch                    {big['epoch_s'] * 1e3:8.1f} ms")
        print(f"  ratio epoch / GEMM                 {big['epoch_over_gemm']:8.2f}")
        print(f"  peak memory                        {big['peak_mb']:8.1f} MB")
        print(f"  ratio peak / one dense M x M       {big['peak_over_dense']:8.2f}   (target < 1: no dense matrix)")
    o = bench_online(n=1000 if args.quick else 4000)
    print("online SOM, 20x20 map, 64 features, gaussian")
    print(f"  MiniSom train_random per sample    {o['minisom_us']:8.1f} us")
    print(f"  somwidget fit_online per sample    {o['ours_us']:8.1f} us")
    print(f"  ratio MiniSom / somwidget          {o['minisom_over_ours']:8.2f}   (target >= 2)")
    from benchmarks import bench_live

    print("live views (benchmarks/bench_live.py)")
    bench_live.main([])
    from benchmarks import bench_supervised

    print("SOMClassifier against k-NN (benchmarks/bench_supervised.py)")
    bench_supervised.main(["--quick"] if args.quick else [])
    from benchmarks import bench_dask, bench_gpu

    print("Dask, out of core and on 2 workers (benchmarks/bench_dask.py)")
    bench_dask.main(["--quick"] if args.quick else [])
    print("GPU batch epoch / GEMM (benchmarks/bench_gpu.py)")
    bench_gpu.main(["--quick"] if args.quick else [])

    import os

    if os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
        from benchmarks import bench_browser

        print("live views in JupyterLab + Chromium (benchmarks/bench_browser.py)")
        bench_browser.main(["--seconds", "3" if args.quick else "5"])
    else:
        print("live views in a browser: skipped (no Chromium; set CHROMIUM=...)")
    print(f"(benchmarks took {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
