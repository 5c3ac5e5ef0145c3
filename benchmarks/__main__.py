"""Run every benchmark and print each figure as a ratio to a reference measured in the same run.

* one machine at any size (:mod:`benchmarks.scale`): batch epoch / float32 GEMM at 10k, 100k and
  1M rows (rect and hex); whole fit / BMU-search work at 10k x 32 and the digits shape, and a
  1M x 32 fit of 20 epochs / 20 GEMMs; peak RSS / data bytes of fit, predict and the metrics at
  1M x 32 and 2M x 16 float32 (a child process per case); all metrics / one BMU pass; online
  per-sample time against MiniSom; ``import somwidget`` time;
* a 100 x 100 map in batch mode: epoch / GEMM, and peak memory / one dense M x M float64 matrix;
* the live views (:mod:`benchmarks.bench_live`) and SOMClassifier's held-out accuracy against
  k-NN on digits and breast cancer (bench_supervised.py).

Times are the best of a few alternating rounds (the machine may be shared); ``--quick`` runs
smaller sizes. The default run takes about 3 to 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from benchmarks import scale
from somwidget import SOM


def best_time(fn: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


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


def _line(label: str, value: float, unit: str = "", note: str = "") -> None:
    print(f"  {label:<44} {value:9.2f} {unit:<3} {note}".rstrip())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run, ~1 min)")
    args = parser.parse_args(argv)
    quick = args.quick
    t0 = time.perf_counter()

    import os

    from somwidget import _blas_threads

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"machine: {os.cpu_count()} cores, BLAS threads {_blas_threads.current_threads()} (the "
          f"searches use as many worker threads), load average {load} (other jobs' load inflates "
          "the multi-threaded GEMM references more than the worker threads: read the ratios with it)")
    print("batch epoch / one float32 GEMM (N x 32)(32 x 400), 20x20 map   (target <= 1.3)")
    for n in (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000):
        for lat in ("rect", "hexa"):
            r = scale.epoch_over_gemm(n, lat, extra=2 if n >= 1_000_000 else 3,
                                      rounds=1 if n >= 1_000_000 else 2)
            _line(f"N={n:,} {lat}: epoch {r['epoch_s'] * 1e3:.1f} ms, GEMM {r['gemm_s'] * 1e3:.1f} ms",
                  r["ratio"])

    print("whole fit (10 epochs, PCA init) / 10 BMU searches (GEMM + argmin)   (target <= 1.5)")
    for n, d, name in ((10_000, 32, "10k x 32"), (1797, 64, "1797 x 64 (digits shape)")):
        for lat in ("rect", "hexa"):
            r = scale.fit_over_work(n, d, lat)
            _line(f"{name} {lat}: fit {r['fit_s'] * 1e3:.1f} ms, work {r['work_s'] * 1e3:.1f} ms",
                  r["ratio"])
    print("  the floor: a bare 10-epoch numpy loop (no init, checks or records) / the same work")
    for n, d, name in ((10_000, 32, "10k x 32"), (1797, 64, "1797 x 64 (digits shape)")):
        r = scale.minimal_loop_over_work(n, d)
        _line(f"{name} rect: loop {r['loop_s'] * 1e3:.1f} ms, work {r['work_s'] * 1e3:.1f} ms",
              r["ratio"])
    if not quick:
        r = scale.big_fit_over_gemms()
        print("whole fit 1M x 32, 20x20 rect, 20 epochs incl. PCA init / 20 GEMMs   (target <= 2)")
        _line(f"fit {r['fit_s']:.1f} s, one GEMM {r['gemm_s'] * 1e3:.0f} ms", r["ratio"])

    print("peak RSS of a child process / data bytes, float32, 20x20 map   (target: data + 300 MB)")
    sizes = ((200_000, 32), (400_000, 16)) if quick else ((1_000_000, 32), (2_000_000, 16))
    for n, d in sizes:
        for case in ("fit", "predict", "metrics"):
            r = scale.peak_rss(case, n, d)
            _line(f"{n:,} x {d} {case}: peak {r['peak_mb']:.0f} MB, data {r['data_mb']:.0f} MB, "
                  f"+{r['over_data_mb']:.0f} MB", r["ratio"])

    r = scale.metrics_over_pass(n=20_000 if quick else 100_000)
    print("QE + TE + vacancy + hits / one best-two BMU pass   (target <= 1.2)")
    _line(f"metrics {r['metrics_s'] * 1e3:.1f} ms, best-two pass {r['pass_s'] * 1e3:.1f} ms",
          r["ratio"])
    _line(f"(against a BMU-only pass, {r['pass1_s'] * 1e3:.1f} ms)", r["ratio1"])

    r = scale.online_vs_minisom(n=1000 if quick else 3000)
    print("online, 20x20 hexa, 64 features: MiniSom train_random / somwidget fit_online   (target >= 4)")
    _line(f"MiniSom {r['minisom_us']:.1f} us/sample, somwidget {r['ours_us']:.1f} us/sample",
          r["ratio"])

    r = scale.import_time()
    print("import somwidget   (target <= 0.3 s)")
    _line(f"import somwidget (import numpy alone: {r['numpy_s']:.2f} s)", r["somwidget_s"], "s")
    r = scale.first_fit_time()
    print("first fit in a fresh process / the same fit warm (digits shape, 10 epochs, 20x20)")
    _line(f"first fit {r['first_s'] * 1e3:.0f} ms, warm {r['warm_s'] * 1e3:.1f} ms", r["ratio"])

    for kernel, radius, how in (("gaussian", 8.0, "separable, axis by axis"),
                                ("bubble", 8.0, "row blocks of M x M"),
                                ("bubble", 2.0, "sparse: the pairs within the radius")):
        big = bench_large_map(n=2_000 if quick else 10_000, side=50 if quick else 100,
                              neighborhood=kernel, radius=radius)
        n_txt, map_txt = ("2k", "50x50") if quick else ("10k", "100x100")
        print(f"large map, batch, N={n_txt}, D=10, {map_txt} map, {kernel} r={radius:g} ({how})")
        _line("one batch epoch", big["epoch_s"] * 1e3, "ms")
        _line("ratio epoch / GEMM", big["epoch_over_gemm"])
        _line("peak memory", big["peak_mb"], "MB")
        _line("ratio peak / one dense M x M", big["peak_over_dense"], "", "(target < 1)")
    from benchmarks import bench_live

    print("live views (benchmarks/bench_live.py)")
    bench_live.main([])
    from benchmarks import bench_views

    print("canvas views (benchmarks/bench_views.py)")
    bench_views.main(["--quick"] if args.quick else [])
    from benchmarks import bench_supervised

    print("SOMClassifier against k-NN (benchmarks/bench_supervised.py)")
    bench_supervised.main(["--quick"] if args.quick else [])
    from benchmarks import bench_dask, bench_gpu

    print("Dask, out of core and on 2 workers (benchmarks/bench_dask.py)")
    bench_dask.main(["--quick"] if args.quick else [])
    print("GPU batch epoch / GEMM (benchmarks/bench_gpu.py)")
    bench_gpu.main(["--quick"] if args.quick else [])

    if os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
        from benchmarks import bench_browser

        print("live views in JupyterLab + Chromium (benchmarks/bench_browser.py)")
        bench_browser.main(["--seconds", "3" if args.quick else "5"])
    else:
        print("live views in a browser: skipped (no Chromium; set CHROMIUM=...)")
    print(f"(benchmarks took {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
