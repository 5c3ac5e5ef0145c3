"""The one shared selection of neurons that every linked view holds.

Views link to a :class:`Selection` in the browser (a widget reference resolved by the front end),
so a click in one view outlines the neuron in all of them at once, even while a training cell
keeps the kernel busy. Training never writes this model. Python reads the same state: the
selected ``neurons``, and after :meth:`Selection.bind`, the samples mapped to them.
"""

from __future__ import annotations

import pathlib
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..labels import encode_labels
from ..validation import check_bmus, default_feature_names

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


def _own_bmus(bmus: Any, n_neurons: int | None) -> np.ndarray:
    """``bmus`` checked (:func:`somwidget.validation.check_bmus`), as the selection's own copy."""
    return np.array(check_bmus("bmus", bmus, n_neurons), dtype=np.int64, copy=True)


def member_mask(neurons: Iterable[int], bmus: np.ndarray) -> np.ndarray:
    """True where a sample's BMU is among ``neurons`` (sorted, non-negative): one lookup per
    sample in a table of the selected neurons indexed by BMU, fast for 10,000 neurons and a
    million samples."""
    ks = np.asarray(list(neurons), dtype=np.int64)
    if ks.size == 0 or bmus.size == 0:
        return np.zeros(bmus.shape, dtype=bool)
    member = np.zeros(max(int(ks.max()), int(bmus.max())) + 1, dtype=bool)
    member[ks] = True
    return member[bmus]


def check_sample_columns(columns: Iterable[Any], reserved: Iterable[str], name: str,
                         why: str = "", *, unique: bool = True) -> None:
    """Refuse columns of ``name`` that clash with ``reserved`` names (or with each other):
    the sample tables would otherwise overwrite or drop one of them silently.

    Raises
    ------
    ValueError
        Naming ``name`` and the clashing columns.
    """
    cols = [str(c) for c in columns]
    taken = set(reserved)
    clash = sorted({c for c in cols if c in taken})
    dup = (sorted({c for c in cols if cols.count(c) > 1})
           if unique and len(set(cols)) < len(cols) else [])
    if clash:
        raise ValueError(f"{name} has column(s) {clash} whose names are taken ({why or 'reserved'}: "
                         f"{sorted(taken)}): rename them")
    if dup:
        raise ValueError(f"{name} has duplicate column names {dup}: rename them")


def sample_rows(frame: pd.DataFrame | None, bmus: np.ndarray, labels: np.ndarray | None,
                neurons: Iterable[int]) -> pd.DataFrame:
    """The rows of ``frame`` whose BMU is in ``neurons``, with ``bmu`` (and ``label``) columns."""
    mask = member_mask(neurons, bmus)
    frame = frame if frame is not None else pd.DataFrame(index=range(len(bmus)))
    out = frame.iloc[np.flatnonzero(mask)].copy()
    out["bmu"] = bmus[mask]
    if labels is not None:
        out["label"] = labels[mask]
    return out


def _same_label(w: Any, c: Any) -> bool:
    """``w`` names class ``c``: equal, and both booleans or neither (True and 1 are two classes)."""
    is_bool = (bool, np.bool_)
    return bool(isinstance(w, is_bool) == isinstance(c, is_bool) and c == w)


def neurons_of_samples(which: Any, bmus: np.ndarray, labels: np.ndarray | None,
                       hint: str = "call bind(bmus, data, labels=...)") -> list[int]:
    """The BMUs of some samples: ``which`` a boolean mask over them, a label or labels.

    A scalar ``True`` / ``False`` is a label (a mask is an array with one entry per sample).
    """
    if isinstance(which, (str, bytes, bool, np.bool_)):
        arr = np.empty(1, dtype=object)
        arr[0] = which
    else:
        arr = np.asarray(which)
    if arr.dtype.kind == "b":
        if arr.shape != bmus.shape:
            raise ValueError(
                f"a boolean mask must have one entry per sample ({bmus.shape[0]}); got shape {arr.shape}"
            )
        mask = arr
    else:
        if labels is None:
            raise ValueError(f"select_samples with labels needs labels: {hint}")
        wanted = (arr.ravel() if arr.ndim else arr.reshape(1)).tolist()
        # the classes as every label view has them: missing labels (None, NaN) never
        # a class, mixed kinds (numbers and strings) fine; True and 1 are two classes
        codes, classes = encode_labels(labels)
        unknown = [w for w in wanted if not any(_same_label(w, c) for c in classes)]
        if unknown:
            raise ValueError(f"which: unknown label(s) {unknown}; known labels are {classes}")
        picked = [k for k, c in enumerate(classes) if any(_same_label(w, c) for w in wanted)]
        mask = np.isin(codes, picked)
    return [int(k) for k in np.unique(bmus[mask])]


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

    # elements checked by _validate_neurons (a named error, not a raw TraitError)
    neurons = traitlets.List(default_value=[]).tag(sync=True)

    def __init__(self, neurons: Iterable[int] | None = None, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._bmus: np.ndarray | None = None
        self._data: pd.DataFrame | None = None
        self._labels: np.ndarray | None = None
        self._n_neurons: int | None = None
        self._owner: weakref.ref[Any] | None = None  # the view whose samples are bound
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

        A selection holds one binding: the samples :attr:`samples` lists. Views on other data
        sharing the selection share its neurons, not its samples: each lists its own
        (``Explorer.selected_samples()``, ``NeuronInspector.sample_indices()``). A view binds
        the selection only when nothing holds it (unbound, or the view that bound it closed)
        and keeps its BMUs up to date; an explicit ``bind`` replaces any binding, and a view
        never replaces it (it adopts it when its samples have the bound BMUs, and keeps
        updating it when it held the binding of samples with those BMUs).

        Parameters
        ----------
        bmus : array-like of int, shape (N,)
            Best-matching unit of every sample (``som.predict(X)``): integers in
            ``[0, n_neurons)``.
        data : array-like or DataFrame, shape (N, D), optional
            The sample table returned by :attr:`samples`. A DataFrame keeps its own index, so
            :attr:`samples` gives back the caller's rows (with their labels). It must not have
            a ``bmu`` column (nor a ``label`` one with ``labels``): :attr:`samples` adds them.
        labels : array-like, shape (N,), optional
            One label per sample; adds a ``label`` column to :attr:`samples` and enables
            ``select_samples("label")``.
        copy : bool, default True
            Keep a copy of ``data`` (False: keep the caller's frame or array itself, as the
            views do with the data they draw, so a million rows are not copied; an array the
            user then edits in place shows its new values in :attr:`samples` next to the BMUs
            of the view's last refresh, until the view refreshes).

        Raises
        ------
        ValueError
            For BMUs that are not integers in ``[0, n_neurons)``, data or labels of another
            length, or data columns named ``bmu`` / ``label``.
        """
        b = _own_bmus(bmus, self._n_neurons)
        with self._lock:
            # a richer table of the samples a view holds (their BMUs): that view keeps it
            # up to date; any other binding by hand is the caller's to update
            holder = self._holder()
            same = holder is not None and self._bmus is not None and np.array_equal(self._bmus, b)
            self._bind(holder if same else None, b, data, labels, copy)

    def _bind(self, owner: Any, b: np.ndarray, data: Any, labels: Any, copy: bool) -> None:
        n = b.shape[0]
        frame: pd.DataFrame | None = None
        if data is not None:
            # copy=False: a shallow copy (copy-on-write: the caller's columns, never copied
            # unless one side writes)
            frame = data.copy(deep=copy) if isinstance(data, pd.DataFrame) else None
            if frame is None:
                arr = np.asarray(data)
                if arr.ndim == 1:
                    arr = arr.reshape(-1, 1)
                if arr.ndim != 2:
                    raise ValueError(f"data must be 2-D (samples x features); got shape {arr.shape}")
                # copy=False: the caller's array itself, no copy (pandas copies by default)
                frame = pd.DataFrame(arr, columns=default_feature_names(arr.shape[1]), copy=copy)
            if len(frame) != n:
                raise ValueError(f"data has {len(frame)} rows but bmus has {n} entries")
            check_sample_columns(frame.columns, ["bmu", *(["label"] if labels is not None else [])],
                                 "data", "samples adds them", unique=False)
        lab: np.ndarray | None = None
        if labels is not None:
            lab = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series) else labels)
            if lab.ndim != 1 or lab.shape[0] != n:
                raise ValueError(f"labels must be 1-D with {n} entries (one per sample); got shape {lab.shape}")
        with self._lock:
            self._bmus = b
            self._data = frame
            self._labels = lab
            self._owner = None if owner is None else weakref.ref(owner)

    def _free(self) -> bool:
        """Nothing holds the binding: unbound, or the view that bound it closed."""
        return self._holder() is None and (self._owner is not None or self._bmus is None)

    def _holder(self) -> Any:
        """The view holding the binding (None: unbound, bound by hand, or its view closed)."""
        ref = self._owner
        view = ref() if ref is not None else None
        return None if view is None or getattr(view, "closed", False) else view

    def _bind_view(self, view: Any, bmus: np.ndarray, data: Any = None, labels: Any = None,
                   *, n_neurons: int, copy: bool = True, claim: bool = False) -> bool:
        """A view's binding: the BMUs of ``view``'s samples follow its model when it holds the
        binding; it binds when nothing holds it (unbound, or its view closed), adopts a binding
        made by hand to the same BMUs (and keeps one to others), and leaves a binding of another
        view alone (views on other data share neurons, not samples). ``claim``: bind over a binding made by hand
        (the Explorer's over its own ClusterMap's, whose table lacks the extra columns).

        Returns
        -------
        bool
            Whether ``view`` holds the binding now.
        """
        bmus = _own_bmus(bmus, n_neurons)  # the view's map (the selection may know an older one)
        with self._lock:
            holder = self._holder()
            if holder is view:
                if self._bmus is not None and len(self._bmus) == len(bmus):
                    self._bmus = bmus
                    return True
            elif holder is not None:
                return False
            elif not claim and not self._free():  # bound by hand: kept
                if not np.array_equal(self._bmus, bmus):
                    return False  # to other samples (or to other BMUs: the caller updates them)
                self._owner = weakref.ref(view)  # to these samples' BMUs: adopted
                return True
            self._bind(view, bmus, data, labels, copy)
            return True

    def update_bmus(self, bmus: Iterable[int]) -> None:
        """Replace the bound BMUs (after the model changed), keeping the bound data and labels.

        Parameters
        ----------
        bmus : array-like of int, shape (N,)
            New best-matching unit of every bound sample (integers in ``[0, n_neurons)``); N
            must equal the number bound.
        """
        b = _own_bmus(bmus, self._n_neurons)
        with self._lock:
            bound = self._require_bound()
            if b.shape != bound.shape:
                raise ValueError(
                    f"bmus must have one entry per bound sample ({bound.shape[0]}); got shape {b.shape}"
                )
            self._bmus = b

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
        """True where a bound sample's BMU is selected."""
        return member_mask(self.neurons, bmus)

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
            return sample_rows(self._data, self._require_bound(), self._labels, self.neurons)

    def select_samples(self, which: Any) -> None:
        """Select the BMUs of some samples.

        Parameters
        ----------
        which : bool array of shape (N,), a label, or a list of labels
            A boolean mask over the bound samples, or label value(s) matched against the bound
            labels (a scalar ``True`` / ``False`` is a label).
        """
        with self._lock:
            self.neurons = neurons_of_samples(which, self._require_bound(), self._labels)

    def close(self) -> None:
        """Close the widget and drop the bound samples (their table, BMUs and labels)."""
        lock = self.__dict__.get("_lock")
        if lock is None:  # a call Python refused before __init__ ran; the collector closes it
            super().close()
            return
        with lock:
            self._bmus = self._data = self._labels = self._owner = None
        super().close()
