"""``python -m somwidget.demo``: train a map on the bundled wine data and print its metrics.

Standardises the 13 wine measurements, trains a hexagonal map with ``fit_auto`` (a rough and a
fine batch phase), then prints quantization error, topographic error, vacancy rate and how
well the map's neurons separate the three cultivars (majority-label purity). Takes a few
seconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from .som import SOM


def _load_wine() -> pd.DataFrame:
    try:
        from .datasets import load_wine
    except ImportError:  # the loaders are optional for the demo: read the bundled CSV
        from importlib.resources import files

        return pd.read_csv(files("somwidget.datasets").joinpath("wine.csv"))
    return load_wine()


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the demo; returns the printed metrics."""
    parser = argparse.ArgumentParser(prog="python -m somwidget.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--mapsize", type=int, nargs=2, default=(12, 10), metavar=("ROWS", "COLS"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    df = _load_wine()
    X, y = df.drop(columns="label"), df["label"]
    som = SOM(mapsize=tuple(args.mapsize), lattice="hexa", normalization="standard",
              random_state=args.seed)
    t0 = time.perf_counter()
    som.fit_auto(X, collect_history=True)
    dt = time.perf_counter() - t0
    counts = som.label_counts(y).to_numpy()
    purity = float(counts.max(axis=1).sum() / counts.sum())
    metrics = {
        "quantization_error": som.quantization_error(),
        "topographic_error": som.topographic_error(),
        "vacancy_rate": som.vacancy_rate(),
        "label_purity": purity,
    }
    print(f"wine: {X.shape[0]} samples x {X.shape[1]} features, standardised")
    print(f"map:  {som.mapsize_[0]} x {som.mapsize_[1]} hexa, {som.n_epochs_trained_} batch epochs "
          f"(fit_auto) in {dt:.2f} s")
    qe0 = som.history_["quantization_error"][0]
    print(f"quantization error  {metrics['quantization_error']:.4f}   (after epoch 1: {qe0:.4f})")
    print(f"topographic error   {metrics['topographic_error']:.4f}")
    print(f"vacancy rate        {metrics['vacancy_rate']:.4f}")
    print(f"label purity        {metrics['label_purity']:.4f}   (share of samples in a neuron "
          "whose majority cultivar is theirs)")
    hits = som.hit_counts()
    print(f"hits per neuron     min {hits.min()}, median {int(np.median(hits))}, max {hits.max()}")
    return metrics


if __name__ == "__main__":
    main()
