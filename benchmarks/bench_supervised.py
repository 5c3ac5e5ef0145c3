"""Held-out accuracy of SOMClassifier (unsupervised and supervised mode) against k-nearest
neighbours on scikit-learn's digits and breast cancer data.

One fixed stratified split per data set (75 % train, 25 % test, ``random_state=0``); every
model is ``make_pipeline(StandardScaler(), model)``. The SOM models use the SOM Toolbox map size
(``mapsize="auto"``) and are trained by ``fit`` (10 batch epochs, the SOM's defaults) or
``fit_auto``. With the default PCA initialisation batch training is deterministic (one figure);
with ``initialization="random"`` they run with the seeds 0, 1 and 2 (mean, min and max printed).
k-NN is deterministic. The majority-class rate is printed as the chance level.

Run: ``python -m benchmarks.bench_supervised`` (``--quick``: one seed); part of
``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from somwidget import SOM, SOMClassifier

DATASETS: dict[str, Callable] = {"digits": load_digits, "breast cancer": load_breast_cancer}


SOM_MODELS = {
    "SOM unsupervised, fit": {},
    "SOM unsupervised, fit_auto": {"training": "auto"},
    "SOM supervised, fit": {"mode": "supervised"},
    "SOM supervised, fit_auto": {"mode": "supervised", "training": "auto"},
}
KNN_MODELS = {"k-NN, k=1": 1, "k-NN, k=5": 5}


def _held_out(model: object, split: tuple) -> tuple[float, float, object]:
    Xa, Xb, ya, yb = split
    pipe = make_pipeline(StandardScaler(), model)
    t0 = time.perf_counter()
    pipe.fit(Xa, ya)
    return pipe.score(Xb, yb), time.perf_counter() - t0, pipe[-1]


def run(seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, dict[str, dict[str, object]]]:
    """``{data set: {model: figures}}``: ``acc`` and ``fit_s`` (k-NN, and the SOM with PCA
    initialisation), ``random_mean`` / ``random_min`` / ``random_max`` (random initialisation
    over ``seeds``), ``map`` and ``chance``."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    for name, load in DATASETS.items():
        X, y = load(return_X_y=True)
        split = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        chance = float(np.bincount(split[3]).max() / len(split[3]))
        rows: dict[str, dict[str, object]] = {}
        for label, k in KNN_MODELS.items():
            acc, fit_s, _ = _held_out(KNeighborsClassifier(n_neighbors=k), split)
            rows[label] = {"acc": acc, "fit_s": fit_s, "chance": chance}
        for label, kw in SOM_MODELS.items():
            acc, fit_s, clf = _held_out(SOMClassifier(SOM(random_state=0), **kw), split)
            accs = [_held_out(SOMClassifier(SOM(initialization="random", random_state=seed), **kw),
                              split)[0] for seed in seeds]
            rows[label] = {"acc": acc, "fit_s": fit_s, "chance": chance,
                           "map": "x".join(str(v) for v in clf.som_.mapsize_),
                           "random_mean": float(np.mean(accs)), "random_min": float(np.min(accs)),
                           "random_max": float(np.max(accs))}
        out[name] = rows
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_supervised",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed")
    args = parser.parse_args(argv)
    seeds = (0,) if args.quick else (0, 1, 2)
    results = run(seeds)
    for name, rows in results.items():
        chance = next(iter(rows.values()))["chance"]
        print(f"{name}: held-out accuracy, 25 % test split (chance {chance:.3f})")
        print(f"  {'model':28s} {'PCA init':>8s}  {'random init, seeds ' + ','.join(map(str, seeds)):>28s}"
              f"  {'fit':>9s}")
        for label, r in rows.items():
            rand = (f"{r['random_mean']:.3f} [{r['random_min']:.3f}, {r['random_max']:.3f}]"
                    if "random_mean" in r else "")
            shape = f"  map {r['map']}" if "map" in r else ""
            print(f"  {label:28s} {r['acc']:8.3f}  {rand:>28s}  {r['fit_s'] * 1e3:6.0f} ms{shape}")


if __name__ == "__main__":
    main()
