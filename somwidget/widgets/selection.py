"""The one shared selection of neurons that every linked view holds.

Views link to a :class:`Selection` in the browser (a widget reference resolved by the front end),
so a click in one view outlines the neuron in all of them at once, even while a training cell
keeps the kernel busy. Training never writes this model. Python reads the same state: the
selected ``neurons``, and after :meth:`Selection.bind`, the samples mapped to them.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Iterable
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..labels import encode_labels
from ..validation import default_feature_names

__all__ = ["STATIC_DIR", "Selection", "bundle_path"]

STATIC_DIR = pathlib.Path(__file__).resolve().parent.parent / "static"


def bundle_path(name: str) -> pathlib.Path:
    """Path of the built front-end bundle ``somwidget/static/<name>.js``.

    Raises
    ------
    FileNotFoundError
        With instructions when the front end has not been built.
    """
    path = STATIC_DIR / f"{name}.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"front end not built: run ./dev.sh test (or `npm install && npm run build` in the "
            f"repository root) to create {path}"
        )
    return path


def _as_neuron_list(neurons: object, name: str = "neurons") -> list[int]:
    """Validate neuron indices: a single int or an iterable of non-negative ints."""
    if isinstance(neurons, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a sequence of ints; got {neurons!r}")
    if isinstance(neurons, (int, np.integer)):
        arr = np.asarray([neurons])
    else:
        try:
            items = list(neurons) if not isinstance(neurons, np.ndarray) else neurons
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints; got {neurons!r}") from None
        if not isinstance(items, np.ndarray) and any(
                isinstance(k, (bool, np.bool_)) for k in items):  # [True, 2] would read as [1, 2]
            raise TypeError(f"{name} must contain integers; got a boolean in {neurons!r}")
        try:
            arr = np.asarray(items)
        except ValueError:  # ragged nesting
            raise TypeError(f"{name} must be an int or a flat sequence of ints; got {neurons!r}") from None
    if arr.size == 0:
        return []
    if arr.ndim > 1:
        raise TypeError(f"{name} must be an int or a flat sequence of ints; got shape {arr.shape}")
    if arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} must be neuron indices; got {int(arr.max())}")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must contain integers; got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise TypeError(f"{name} must contain integers; got non-integral values")
    arr = arr.astype(np.int64).ravel()
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative neuron indices; got {int(arr.min())}")
    return [int(k) for k in np.unique(arr)]


class Selection(anywidget.AnyWidget):
    """The shared set of selected neurons (sorted, unique).

    Display it to get a small bar "3 neurons selected · Clear". Pass the same instance to every
    view (``HitMap(som, X, selection=sel)``, ``UMatrix(som, selection=sel)``, ...) to link them.

    Parameters
    ----------
    neurons : iterable of int, optional
        Initially selected neurons.

    Notes
    -----
    Observers (``selection.observe(fn, "neurons")``) may run on a kernel subshell thread while a
    training cell is busy: keep them short and thread-safe.
    """

    neurons = traitlets.List(traitlets.Int(), default_value=[]).tag(sync=True)

    def __init__(self, neurons: Iterable[int] | None = None, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._bmus: np.ndarray | None = None
        self._data: pd.DataFrame | None = None
        self._labels: np.ndarray | None = None
        self._n_neurons: int | None = None
        super().__init__(**kwargs)
        if neurons is not None:
            self.select(neurons)

    @property
    def _esm(self) -> str:  # type: ignore[override]
        return bundle_path("selection").read_text(encoding="utf-8")

    @property
    def n_neurons(self) -> int | None:
        """The number of neurons of the map shown (set by the views as they draw it; None:
        not known yet)."""
        return self._n_neurons

    @n_neurons.setter
    def n_neurons(self, m: int | None) -> None:
        # a map refitted smaller (set_params(mapsize=...)): neurons it no longer has leave the
        # selection, which would otherwise refuse every later change and index past the map
        with self._lock:
            self._n_neurons = None if m is None else int(m)
            if m is not None and self.neurons and self.neurons[-1] >= m:
                self.neurons = [k for k in self.neurons if k < m]

    @traitlets.validate("neurons")
    def _validate_neurons(self, proposal: traitlets.Bunch) -> list[int]:
        ks = _as_neuron_list(proposal["value"])
        if self.n_neurons is not None and ks and ks[-1] >= self.n_neurons:
            raise ValueError(
                f"neurons must be < {self.n_neurons} (the map's number of neurons); got {ks[-1]}"
            )
        return ks

    # ---- selecting ---------------------------------------------------------------------------
    def select(self, neurons: int | Iterable[int]) -> None:
        """Replace the selection with ``neurons``."""
        self.neurons = _as_neuron_list(neurons)

    def add(self, neurons: int | Iterable[int]) -> None:
        """Add ``neurons`` to the selection."""
        self.neurons = sorted(set(self.neurons) | set(_as_neuron_list(neurons)))

    def clear(self) -> None:
        """Select nothing."""
        self.neurons = []

    # ---- samples -----------------------------------------------------------------------------
    def bind(self, bmus: Iterable[int], data: Any = None, labels: Iterable[Any] | None = None,
             *, copy: bool = True) -> None:
        """Attach the samples (Python side only, not synced).

        Parameters
        ----------
        bmus : array-like of int, shape (N,)
            Best-matching unit of every sample (``som.predict(X)``).
        data : array-like or DataFrame, shape (N, D), optional
            The sample table returned by :attr:`samples`. A DataFrame keeps its own index, so
            :attr:`samples` gives back the caller's rows (with their labels).
        labels : array-like, shape (N,), optional
            One label per sample; adds a ``label`` column to :attr:`samples` and enables
            ``select_samples("label")``.
        copy : bool, default True
            Keep a copy of a DataFrame ``data`` (False: keep the caller's frame itself, for a
            caller that owns it and never changes it, like the Explorer with a million rows).
        """
        b = np.asarray(bmus)
        if b.ndim != 1 or (b.size and b.dtype.kind not in "iu"):
            raise ValueError(f"bmus must be a 1-D array of neuron indices; got shape {b.shape}, dtype {b.dtype}")
        n = b.shape[0]
        frame: pd.DataFrame | None = None
        if data is not None:
            frame = (data.copy() if copy else data) if isinstance(data, pd.DataFrame) else None
            if frame is None:
                arr = np.asarray(data)
                if arr.ndim == 1:
                    arr = arr.reshape(-1, 1)
                if arr.ndim != 2:
                    raise ValueError(f"data must be 2-D (samples x features); got shape {arr.shape}")
                frame = pd.DataFrame(arr, columns=default_feature_names(arr.shape[1]))
            if len(frame) != n:
                raise ValueError(f"data has {len(frame)} rows but bmus has {n} entries")
        lab: np.ndarray | None = None
        if labels is not None:
            lab = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels)
            if lab.ndim != 1 or lab.shape[0] != n:
                raise ValueError(f"labels must be 1-D with {n} entries (one per sample); got shape {lab.shape}")
        with self._lock:
            self._bmus = b.astype(np.int64, copy=True)
            self._data = frame
            self._labels = lab

    def update_bmus(self, bmus: Iterable[int]) -> None:
        """Replace the bound BMUs (after the model changed), keeping the bound data and labels.

        Parameters
        ----------
        bmus : array-like of int, shape (N,)
            New best-matching unit of every bound sample; N must equal the number bound.
        """
        b = np.asarray(bmus)
        if b.ndim != 1 or (b.size and b.dtype.kind not in "iu"):
            raise ValueError(f"bmus must be a 1-D array of neuron indices; got shape {b.shape}, dtype {b.dtype}")
        with self._lock:
            bound = self._require_bound()
            if b.shape != bound.shape:
                raise ValueError(
                    f"bmus must have one entry per bound sample ({bound.shape[0]}); got shape {b.shape}"
                )
            self._bmus = b.astype(np.int64, copy=True)

    @property
    def bmus(self) -> np.ndarray | None:
        """The bound BMUs (or None before :meth:`bind`)."""
        return self._bmus

    @property
    def labels(self) -> np.ndarray | None:
        """The bound labels (or None)."""
        return self._labels

    def _require_bound(self) -> np.ndarray:
        if self._bmus is None:
            raise ValueError(
                "no samples bound to this selection: call selection.bind(som.predict(X), data=X) "
                "or pass X to a view that shares it"
            )
        return self._bmus

    def _mask(self, bmus: np.ndarray) -> np.ndarray:
        """True where a bound sample's BMU is selected: one lookup per sample (a table of the
        selected neurons indexed by BMU), fast for 10,000 neurons and a million samples."""
        ks = np.asarray(self.neurons, dtype=np.int64)
        if ks.size == 0 or bmus.size == 0:
            return np.zeros(bmus.shape, dtype=bool)
        member = np.zeros(max(int(ks[-1]), int(bmus.max())) + 1, dtype=bool)
        member[ks] = True
        return member[bmus]

    @property
    def sample_mask(self) -> np.ndarray:
        """Boolean mask over the bound samples: True where the sample's BMU is selected."""
        with self._lock:
            return self._mask(self._require_bound())

    @property
    def samples(self) -> pd.DataFrame:
        """The bound sample rows whose BMU is selected (with ``bmu`` and ``label`` columns).

        The rows keep the bound DataFrame's index (0..N-1 for arrays).
        """
        with self._lock:
            bmus = self._require_bound()
            mask = self._mask(bmus)
            frame = self._data if self._data is not None else pd.DataFrame(index=range(len(bmus)))
            out = frame.iloc[np.flatnonzero(mask)].copy()
            out["bmu"] = bmus[mask]
            if self._labels is not None:
                out["label"] = self._labels[mask]
            return out

    def select_samples(self, which: Any) -> None:
        """Select the BMUs of some samples.

        Parameters
        ----------
        which : bool array of shape (N,), a label, or a list of labels
            A boolean mask over the bound samples, or label value(s) matched against the bound
            labels.
        """
        with self._lock:
            bmus = self._require_bound()
            arr = np.asarray(which) if not isinstance(which, (str, bytes)) else np.asarray([which])
            if arr.dtype.kind == "b":
                if arr.shape != bmus.shape:
                    raise ValueError(
                        f"a boolean mask must have one entry per sample ({bmus.shape[0]}); got shape {arr.shape}"
                    )
                mask = arr
            else:
                if self._labels is None:
                    raise ValueError(
                        "select_samples with labels needs labels: call bind(bmus, data, labels=...)"
                    )
                wanted = (arr.ravel() if arr.ndim else arr.reshape(1)).tolist()
                # the classes as every label view has them: missing labels (None, NaN) never
                # a class, mixed kinds (numbers and strings) fine
                codes, classes = encode_labels(self._labels)
                unknown = [w for w in wanted if w not in classes]
                if unknown:
                    raise ValueError(
                        f"which: unknown label(s) {unknown}; known labels are {classes}"
                    )
                picked = [k for k, c in enumerate(classes) if c in wanted]
                mask = np.isin(codes, picked)
            self.neurons = [int(k) for k in np.unique(bmus[mask])]

    def close(self) -> None:
        """Close the widget and drop the bound samples (their table, BMUs and labels)."""
        with self._lock:
            self._bmus = self._data = self._labels = None
        super().close()
