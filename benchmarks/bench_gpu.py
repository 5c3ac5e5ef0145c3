"""GPU batch training: epoch time / float32 GEMM time on the device, at 1M x 32 and 10M x 64, 50 x 50.

Run ``python benchmarks/bench_gpu.py [--quick]`` on a machine with a CUDA GPU and CuPy or PyTorch.
Both numbers are timed on the device in the same run: the epoch is the marginal cost of one more
batch epoch of ``SOM(device="cuda").fit`` (BMU search, per-neuron sums, transfer of the (M, D)
sums, smoothing and update on the host), the reference one float32 GEMM ``(N x D+1)(D+1 x M)``
of the BMU-search shape. Without a GPU it says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from somwidget import SOM, backend  # noqa: E402

SHAPES = ((1_000_000, 32, 50), (10_000_000, 64, 50))


def _best(fn, ns, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        ns.synchronize()
        t0 = time.perf_counter()
        fn()
        ns.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best


def run(n: int, d: int, side: int, ns: backend.Namespace, epochs: int = 3) -> dict[str, float]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    m = side * side
    ops = [ns.asarray(np.ones((n, d + 1), dtype=np.float32)),
           ns.asarray(np.ones((d + 1, m), dtype=np.float32))]
    gemm = _best(lambda: ns.matmul(*ops), ns)
    ops.clear()  # free the device memory before the fit
    som = SOM((side, side), lattice="rect", random_state=0, device="cuda")
    som.initialize(X)
    t1 = _best(lambda: som.fit(X, epochs=1), ns, repeats=2)
    tk = _best(lambda: som.fit(X, epochs=1 + epochs), ns, repeats=2)
    epoch = (tk - t1) / epochs
    return {"gemm_s": gemm, "epoch_s": epoch, "ratio": epoch / gemm, "fit_setup_s": t1 - epoch}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1/10 of the sizes")
    args = ap.parse_args(argv)
    lib = backend.gpu_available()
    if lib is None:
        print("bench_gpu: no CUDA GPU here (CuPy / PyTorch missing or no device); nothing to measure")
        return 0
    ns = backend.namespace_for_device("cuda")
    print(f"bench_gpu: {lib} on the GPU")
    for n, d, side in SHAPES:
        if args.quick:
            n //= 10
        r = run(n, d, side, ns)
        print(f"  {n:>10,} x {d} on {side}x{side}: epoch {r['epoch_s'] * 1e3:8.1f} ms, "
              f"GEMM {r['gemm_s'] * 1e3:7.1f} ms, epoch / GEMM {r['ratio']:5.2f}, "
              f"per-fit setup {r['fit_setup_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
