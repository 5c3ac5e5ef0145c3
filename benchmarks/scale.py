"""One machine at any size: each figure as a ratio to a reference timed in the same run.

* ``epoch_over_gemm``: marginal batch epoch (``(fit(1 + k) - fit(1)) / k``) against one float32
  GEMM of the BMU-search shape ``(N x D)(D x M)``, computed in blocks of 65536 rows into one
  reused output block (the full N x M output would be 1.6 GB at 1M rows);
* ``fit_over_work``: a whole ``fit`` (new SOM, PCA initialisation included) against the same
  number of BMU searches ``argmin((N x D)(D x M))``;
* ``minimal_loop_over_work``: the floor under that fit, a bare 10-epoch numpy loop (no
  initialisation, checks or records), against the same work;
* ``peak_rss``: peak resident memory of a child process (its ``VmHWM``; ``getrusage`` reports
  the parent's RSS at the fork too) that creates float32 data and runs one fit (5 epochs, PCA
  initialisation), predict or the four metrics, against the data's bytes;
* ``metrics_over_pass``: quantization + topographic error + vacancy + hits of a fresh model
  against one best-two BMU search (``find_bmus(k=2)``) of the same data, and against a
  BMU-only search (``k=1``);
* ``online_vs_minisom``: MiniSom ``train_random`` time per sample against ``fit_online``'s,
  20 x 20 hexagonal map, 64 features.

Reference and subject are timed in alternating rounds, best of each: a slow phase of the
(shared) machine hits both. Within a round each function runs again and again for
:data:`ROUND_S` (at least twice, ``runs``): OpenBLAS's threads spin for 0.1-0.15 s after a
multi-threaded call, on the cores the next call needs, so the first runs after the other
function's GEMM are timed in its wake (a 10k-row fit's searches took 3.7 ms instead of 2.0
for about 0.12 s after the reference: 35-55 ms fits instead of 23), the later ones as in a loop
of their own. (Pausing instead is no better: a call timed after a sleep starts with cold
caches, 1.5-2.5x slower at the digits size.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from somwidget import SOM
from somwidget.bmu import find_bmus

_GEMM_ROWS = 1 << 16


#: Seconds each function keeps running within a round (module notes).
ROUND_S = 0.25


def best_of(fns: list[Callable[[], object]], rounds: int, runs: int = 1,
            round_s: float = 0.0) -> list[float]:
    """Best wall time of each function over ``rounds`` alternating rounds; within a round each
    runs ``runs`` times in a row, and again while less than ``round_s`` seconds have passed
    since its round began (module notes)."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            k = 0
            while k < runs or time.perf_counter() - start < round_s:
                t0 = time.perf_counter()
                fn()
                best[i] = min(best[i], time.perf_counter() - t0)
                k += 1
    return best


def gemm_blocks(A: np.ndarray, B: np.ndarray, argmin: bool = False) -> Callable[[], None]:
    """One float32 GEMM ``A @ B`` (optionally with the row argmin), in blocks of rows."""
    rows = min(_GEMM_ROWS, A.shape[0])
    out = np.empty((rows, B.shape[1]), dtype=np.float32)

    def run() -> None:
        for s in range(0, A.shape[0], rows):
            g = out[: min(rows, A.shape[0] - s)]
            np.matmul(A[s : s + rows], B, out=g)
            if argmin:
                g.argmin(axis=1)

    return run


def data(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d), dtype=np.float32)


def epoch_over_gemm(n: int, lattice: str, d: int = 32, side: int = 20, extra: int = 3,
                    rounds: int = 2) -> dict[str, float]:
    X = data(n, d)
    som = SOM((side, side), lattice=lattice, random_state=0).fit(X, epochs=1)
    B = np.ascontiguousarray(som.codebook_.T, dtype=np.float32)
    gemm, one, more = best_of([
        gemm_blocks(X, B),
        lambda: som.fit(X, epochs=1, radius_start=2, radius_end=1),
        lambda: som.fit(X, epochs=1 + extra, radius_start=2, radius_end=1),
    ], rounds, runs=2 if X.shape[0] <= 100_000 else 1,
        round_s=ROUND_S if X.shape[0] <= 100_000 else 0.0)
    epoch = max(more - one, 1e-9) / extra
    return {"gemm_s": gemm, "epoch_s": epoch, "ratio": epoch / gemm}


def fit_over_work(n: int, d: int, lattice: str, side: int = 20, epochs: int = 10,
                  rounds: int = 8) -> dict[str, float]:
    X = data(n, d).astype(np.float64)
    SOM((side, side), lattice=lattice, random_state=0).fit(X, epochs=1)  # warm up
    W = SOM((side, side), lattice=lattice, random_state=0).initialize(X).codebook_
    A, B = X.astype(np.float32), np.ascontiguousarray(W.T, dtype=np.float32)
    search = gemm_blocks(A, B, argmin=True)
    work, fit = best_of([
        lambda: [search() for _ in range(epochs)],
        lambda: SOM((side, side), lattice=lattice, random_state=0).fit(X, epochs=epochs),
    ], rounds, runs=2, round_s=ROUND_S)
    return {"work_s": work, "fit_s": fit, "ratio": fit / work}


def minimal_loop(X: np.ndarray, W0: np.ndarray, side: int,
                 epochs: int) -> Callable[[], np.ndarray]:
    """The least a batch fit of ``epochs`` epochs on a rectangular ``side`` x ``side`` map can do
    per epoch: one float32 search of prepared (centred) queries, the per-unit sums (numba's
    scatter-add where numba is there, else a sparse product), a separable Gaussian smoothing
    of ``[S | n]`` and the ratio. No initialisation, no input checks, no error bound, no
    record: the floor under :func:`fit_over_work`'s fit. ``run()`` returns the last codebook
    (that of ``SOM(lattice="rect")`` trained from ``W0`` with radii ``side / 4`` to 1)."""
    from scipy import sparse

    from somwidget import _sums_jit

    n, d = X.shape
    m = side * side
    c = X.mean(axis=0)
    Xq = np.empty((n, d + 1), dtype=np.float32)
    Xq[:, :d] = X - c
    Xq[:, d] = 1.0
    g = np.empty((n, m), dtype=np.float32)
    a = np.empty(n, dtype=np.intp)
    Wa = np.empty((m, d + 1), dtype=np.float32)
    axis = np.arange(side, dtype=np.float64)
    gaps2 = (axis[:, None] - axis[None, :]) ** 2
    kernels = [np.exp(-gaps2 / (2.0 * r * r)) for r in np.linspace(side / 4, 1.0, epochs)]
    kernel = _sums_jit.kernel()
    ones, rows = np.ones(n), np.arange(n)

    def run() -> np.ndarray:
        W = W0
        for k in kernels:
            Wc = W - c
            Wa[:, :d] = -2.0 * Wc
            Wa[:, d] = np.einsum("ij,ij->i", Wc, Wc)
            np.matmul(Xq, Wa.T, out=g)
            np.argmin(g, axis=1, out=a)
            S = np.zeros((m, d + 1))
            if kernel is not None:
                counts = np.zeros(m)
                kernel.scatter_rows_counts(S[:, :d], counts, X, a)
                S[:, d] = counts
            else:
                onehot = sparse.csr_matrix((ones, (a, rows)), shape=(m, n))
                S[:, :d] = onehot @ X
                S[:, d] = np.bincount(a, minlength=m)
            T = np.matmul(k, S.reshape(side, side, d + 1))  # along each row's columns
            N = np.matmul(k, T.reshape(side, side * (d + 1))).reshape(m, d + 1)  # along rows
            W = N[:, :d] / N[:, d:]
        return W

    return run


def minimal_loop_over_work(n: int, d: int, side: int = 20, epochs: int = 10,
                           rounds: int = 8) -> dict[str, float]:
    """:func:`minimal_loop` against :func:`fit_over_work`'s reference work (``epochs`` BMU
    searches), rectangular map: how far below the fit's target the floor itself lies."""
    X = data(n, d).astype(np.float64)
    W = SOM((side, side), lattice="rect", random_state=0).initialize(X).codebook_
    A, B = X.astype(np.float32), np.ascontiguousarray(W.T, dtype=np.float32)
    search = gemm_blocks(A, B, argmin=True)
    loop = minimal_loop(X, W, side, epochs)
    loop()
    work, floor = best_of([lambda: [search() for _ in range(epochs)], loop], rounds, runs=2,
                          round_s=ROUND_S)
    return {"work_s": work, "loop_s": floor, "ratio": floor / work}


def big_fit_over_gemms(n: int = 1_000_000, d: int = 32, side: int = 20,
                       epochs: int = 20) -> dict[str, float]:
    X = data(n, d)
    B = np.random.default_rng(1).standard_normal((d, side * side)).astype(np.float32)
    gemm = best_of([gemm_blocks(X, B)], 2)[0]
    t0 = time.perf_counter()
    SOM((side, side), lattice="rect", random_state=0).fit(X, epochs=epochs)
    fit = time.perf_counter() - t0
    return {"gemm_s": gemm, "fit_s": fit, "ratio": fit / (epochs * gemm)}


def metrics_over_pass(n: int = 100_000, d: int = 32, side: int = 20,
                      rounds: int = 3) -> dict[str, float]:
    X = data(n, d)
    som = SOM((side, side), random_state=0).fit(X, epochs=2)

    def metrics() -> None:
        som._bmu_cache.clear()  # a fresh codebook: the first metric searches, the rest reuse
        som.quantization_error()
        som.topographic_error()
        som.vacancy_rate()
        som.hit_counts()

    one, two, allm = best_of([lambda: find_bmus(X, som.codebook_, k=1),
                              lambda: find_bmus(X, som.codebook_, k=2), metrics], rounds)
    return {"pass1_s": one, "pass_s": two, "metrics_s": allm, "ratio": allm / two,
            "ratio1": allm / one}


def online_vs_minisom(n: int = 3000, d: int = 64, side: int = 20,
                      rounds: int = 3) -> dict[str, float]:
    from minisom import MiniSom

    X = np.random.default_rng(1).standard_normal((n, d))

    def minisom_run() -> None:
        ms = MiniSom(side, side, d, sigma=side / 4, learning_rate=0.5,
                     neighborhood_function="gaussian", topology="hexagonal", random_seed=0)
        ms.train_random(X, n)

    som = SOM((side, side), lattice="hexa", initialization="random", random_state=0).initialize(X)

    def ours_run() -> None:
        som.fit_online(X, epochs=1, radius_start=side / 4, radius_end=1, learning_rate_start=0.5)

    ours_run()  # compiles the numba loop once (cached on disk afterwards)
    t_ms, t_ours = best_of([minisom_run, ours_run], rounds)
    return {"minisom_us": t_ms / n * 1e6, "ours_us": t_ours / n * 1e6, "ratio": t_ms / t_ours}


def import_time(repeats: int = 5) -> dict[str, float]:
    """Best wall time of ``import somwidget`` and of ``import numpy`` in fresh interpreters."""
    def once(module: str) -> float:
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        return float(out.stdout.strip())

    som = min(once("somwidget") for _ in range(repeats))
    npy = min(once("numpy") for _ in range(repeats))
    return {"somwidget_s": som, "numpy_s": npy}


def first_fit_time(repeats: int = 3) -> dict[str, float]:
    """A 10-epoch fit of digits-sized data (1797 x 64, 20 x 20) in a fresh interpreter (what a
    notebook's first ``fit`` pays: lazy imports, compiled code loaded) against the same fit
    once warm (best of a few in that interpreter)."""
    code = ("import time, numpy as np\n"
            "from somwidget import SOM\n"
            "X = np.random.default_rng(0).standard_normal((1797, 64))\n"
            "def fit():\n"
            "    t = time.perf_counter(); SOM((20, 20), random_state=0).fit(X, epochs=10)\n"
            "    return time.perf_counter() - t\n"
            "first = fit()\n"
            "print(first, min(fit() for _ in range(20)))\n")
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        runs.append([float(v) for v in out.stdout.split()])
    first = min(r[0] for r in runs)
    warm = min(r[1] for r in runs)
    return {"first_s": first, "warm_s": warm, "ratio": first / warm}


# ---------------------------------------------------------------------- peak RSS, per child
def _peak_rss() -> int:
    """This process's peak resident set in bytes: ``VmHWM`` of /proc/self/status on Linux
    (``ru_maxrss`` would include the parent's RSS at the fork), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def child(case: str, n: int, d: int) -> None:
    """Run one memory case and print its figures as JSON (called in a fresh interpreter)."""
    X = data(n, d)
    base = _peak_rss()
    som = SOM((20, 20), random_state=0)
    if case == "fit":
        som.fit(X, epochs=5)
    else:
        som.initialize(X)
        base = _peak_rss()
        if case == "predict":
            som.predict(X)
        else:
            som.quantization_error()
            som.topographic_error()
            som.vacancy_rate()
            som.hit_counts()
    peak = _peak_rss()
    print(json.dumps({"peak": peak, "before": base, "data": X.nbytes}))


def peak_rss(case: str, n: int, d: int) -> dict[str, float]:
    code = f"from benchmarks.scale import child; child({case!r}, {n}, {d})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"peak_mb": r["peak"] / 2**20, "data_mb": r["data"] / 2**20,
            "over_data_mb": (r["peak"] - r["data"]) / 2**20, "ratio": r["peak"] / r["data"]}
