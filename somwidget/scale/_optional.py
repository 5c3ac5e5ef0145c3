"""Detection of Dask collections (without importing Dask) and the optional-dependency errors."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DASK_EXTRA_HINT", "is_dask_collection", "refuse_dask", "require_dask"]

DASK_EXTRA_HINT = 'pip install "somwidget[dask]"'


def is_dask_collection(X: object) -> bool:
    """Whether ``X`` is a Dask array or DataFrame (checked without importing Dask)."""
    mod = type(X).__module__
    return mod == "dask" or mod.startswith(("dask.", "dask_expr"))


def require_dask(what: str = "Dask input") -> Any:
    """Import and return ``dask``; an ``ImportError`` naming the ``somwidget[dask]`` extra if missing."""
    try:
        dask = importlib.import_module("dask")
        importlib.import_module("dask.array")
    except ImportError as exc:
        raise ImportError(
            f"{what} needs the optional dependencies dask and distributed: {DASK_EXTRA_HINT} "
            f"(missing: {exc.name or exc})"
        ) from exc
    return dask


def refuse_dask(X: object, method: str) -> None:
    """A ``TypeError`` for calls that present samples one at a time (online training)."""
    if is_dask_collection(X):
        raise TypeError(
            f"{method} presents samples one at a time and needs X in memory; for a Dask "
            "collection use fit or fit_auto (out-of-core batch training), or pass X.compute()"
        )
