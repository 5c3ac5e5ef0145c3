"""``python -m somwidget.demo``: train a map on the bundled wine data and print its metrics.

Standardises the 13 wine measurements, trains a hexagonal map with ``fit_auto`` (a rough and a
fine batch phase), then prints quantization error, topographic error, vacancy rate and how
well the map's neurons separate the three cultivars (majority-label purity). Takes a few
seconds.

The map starts from the data's principal plane (PCA initialisation) and batch training is
deterministic, so every run prints the same numbers. ``--seed N`` starts instead from
prototypes drawn from the samples by a generator seeded with ``N``: different seeds, different
maps, the same seed, the same map.
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


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line, its values checked (a usage error, exit status 2, otherwise)."""
    parser = argparse.ArgumentParser(prog="python -m somwidget.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--mapsize", type=int, nargs=2, default=(12, 10), metavar=("ROWS", "COLS"),
                        help="map rows and columns, each >= 1, at least 2 neurons (default 12 10)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="start from prototypes drawn from the samples with this seed, an "
                             "integer >= 0 (default: the deterministic PCA initialisation)")
    args = parser.parse_args(argv)
    rows, cols = args.mapsize
    if rows < 1 or cols < 1 or rows * cols < 2:
        parser.error(f"--mapsize ROWS COLS needs rows >= 1, cols >= 1 and at least 2 neurons; "
                     f"got {rows} {cols}")
    if args.seed is not None and args.seed < 0:
        parser.error(f"--seed must be an integer >= 0; got {args.seed}")
    return args


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the demo.

    Parameters
    ----------
    argv : list of str, optional
        The command line arguments (default ``sys.argv[1:]``): ``--mapsize ROWS COLS`` and
        ``--seed N`` (see the module docstring).

    Returns
    -------
    dict
        The printed metrics: ``quantization_error``, ``topographic_error``, ``vacancy_rate``
        and ``label_purity``.
    """
    args = _parse(argv)
    df = _load_wine()
    X, y = df.drop(columns="label"), df["label"]
    init = "pca" if args.seed is None else "sample"
    som = SOM(mapsize=tuple(args.mapsize), lattice="hexa", normalization="standard",
              initialization=init, random_state=0 if args.seed is None else args.seed)
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
    start = "PCA initialisation" if args.seed is None else f"samples drawn with seed {args.seed}"
    print(f"map:  {som.mapsize_[0]} x {som.mapsize_[1]} hexa from {start}, "
          f"{som.n_epochs_trained_} batch epochs (fit_auto) in {dt:.2f} s")
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
