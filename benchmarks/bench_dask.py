"""Dask training throughput and the client's memory during an out-of-core fit.

``python benchmarks/bench_dask.py [--quick]`` prints

* batch-epoch samples per second on Dask, threaded scheduler and a 2-worker ``LocalCluster``
  (data generated on the workers and persisted there), each with the in-memory epoch rate of the same
  data as the reference timed in the same run;
* the client's peak RSS during a 10M x 32 out-of-core fit (``--quick``: 1M x 32) whose data are
  generated lazily per partition by ``dask.array.random`` (so they never sit in memory), as a ratio
  to the data's float64 bytes. Measured in a fresh process (``VmHWM``), the baseline after the
  imports printed apart.

``--out-of-core-only`` runs the second part alone.

An epoch is the marginal cost of more epochs in one ``fit`` call (the per-call moments pass, which
every Dask fit starts with to know N and the centre, is left out).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rss_mb() -> float:
    """Peak RSS of this process in MiB: ``VmHWM`` (reset by ``exec``, unlike ``ru_maxrss``, which
    a child started by ``subprocess`` inherits from its parent's high-water mark)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _best(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _epoch_time(som_factory, X, epochs: int = 3) -> float:
    """Marginal cost of one epoch: best of three ``fit(epochs=1)`` against best of three
    ``fit(epochs=1 + epochs)`` on an initialised map (the machine may be shared)."""
    som = som_factory()
    som.initialize(X)
    t1 = _best(lambda: som.fit(X, epochs=1))
    tk = _best(lambda: som.fit(X, epochs=1 + epochs))
    return max(tk - t1, 1e-9) / epochs


def throughput(n: int, d: int = 32, side: int = 20, chunk: int = 100_000) -> None:
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    from somwidget import SOM

    def factory():
        return SOM((side, side), lattice="rect", random_state=0)

    X = da.random.default_rng(0).normal(size=(n, d), chunks=(chunk, d))
    Xm = X.compute()
    mem = _epoch_time(factory, Xm)
    with dask.config.set(scheduler="threads"):
        Xp = X.persist()
        thr = _epoch_time(factory, Xp)
    print(f"  in memory        : {n / mem:12,.0f} samples/s (epoch {mem:.2f} s, {n:,} x {d}, {side}x{side})")
    print(f"  Dask, threads    : {n / thr:12,.0f} samples/s (epoch {thr:.2f} s) = {mem / thr:.2f} x in-memory")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        Xw = client.persist(X)
        wrk = _epoch_time(factory, Xw)
    print(f"  Dask, 2 workers  : {n / wrk:12,.0f} samples/s (epoch {wrk:.2f} s) = {mem / wrk:.2f} x in-memory")


def out_of_core(n: int, d: int = 32, side: int = 20, epochs: int = 2) -> dict:
    """Run in a fresh process: a lazily generated n x d fit; peak RSS of this (client) process."""
    import dask
    import dask.array as da

    from somwidget import SOM

    base = _rss_mb()
    X = da.random.default_rng(1).normal(size=(n, d), chunks=(250_000, d))
    t0 = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        som = SOM((side, side), lattice="rect", random_state=0).fit(X, epochs=epochs)
    return {"n": n, "d": d, "seconds": time.perf_counter() - t0, "base_mb": base,
            "peak_mb": _rss_mb(), "data_mb": n * d * 8 / 2**20,
            "finite": bool(np.isfinite(som.codebook_).all())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (200k throughput, 1M out of core)")
    ap.add_argument("--out-of-core-only", action="store_true", help="only the out-of-core RSS figure")
    ap.add_argument("--out-of-core-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.out_of_core_child:
        print(json.dumps(out_of_core(args.out_of_core_child)))
        return 0
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        print('bench_dask: dask / distributed are not installed (pip install "somwidget[dask]")')
        return 0
    n_thr = 200_000 if args.quick else 1_000_000
    n_ooc = 1_000_000 if args.quick else 10_000_000
    if not args.out_of_core_only:
        print("Dask batch epoch throughput:")
        throughput(n_thr)
    r = subprocess.run([sys.executable, __file__, "--out-of-core-child", str(n_ooc)],
                       capture_output=True, text=True, check=True)
    o = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"Out-of-core fit {o['n']:,} x {o['d']} (lazy dask.array.random, 2 epochs, threaded): "
          f"{o['seconds']:.1f} s, client peak RSS {o['peak_mb']:.0f} MB (after imports "
          f"{o['base_mb']:.0f} MB) for {o['data_mb']:.0f} MB of float64 data: "
          f"peak / data = {o['peak_mb'] / o['data_mb']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
