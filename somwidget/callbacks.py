"""The training record: one type for SOM callbacks, the Trainer's events and every history.

Whatever trains a map reports its progress with one read-only :class:`TrainingRecord`:

* ``SOM.fit`` / ``fit_online`` / ``fit_auto`` / ``reinforce`` pass one to each training callback
  (``cb(record)``; returning ``False`` asks to stop) and, with ``collect_history=True``, keep
  the epoch-end records in ``som.history_``;
* the :class:`~somwidget.trainer.Trainer` passes one to each listener (epochs, online steps,
  status changes, resets, errors) and keeps the epoch-end records in ``trainer.history``;
* the views (:class:`~somwidget.widgets.curves.TrainingCurves` and the live maps) read the same
  fields whichever produced it.

Both histories are a :class:`History`: a list of epoch records with column access
(``history["quantization_error"]`` is the list of that column, ``history.to_frame()`` a
DataFrame). A history keeps the numbers of each epoch, not the model or its arrays
(:meth:`TrainingRecord.for_history`), so it stays small for long runs and pickles with the model.

``TrainingState`` (the name SOM callbacks used) is the same class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

import numpy as np

__all__ = [
    "HISTORY_COLUMNS",
    "HISTORY_KEYS",
    "KINDS",
    "METRIC_KEYS",
    "History",
    "OnlineStep",
    "TrainingRecord",
    "TrainingState",
    "asks_to_stop",
    "check_callbacks",
    "notify",
]

#: The per-epoch metrics, measured on the training data after the epoch's update.
METRIC_KEYS = ("quantization_error", "topographic_error", "vacancy_rate")
#: The columns a saved model keeps (``History.keys()``); ``epoch`` is ``total_epoch``.
HISTORY_KEYS = ("epoch", "mode", "phase", "radius", "learning_rate", *METRIC_KEYS)
#: Every column of :meth:`History.to_frame`.
HISTORY_COLUMNS = (*HISTORY_KEYS, "n_epochs", "neighborhood", "decay", "duration_s")
#: What a record reports: an epoch end, progress inside an epoch (an online segment or one
#: Trainer step), a Trainer status change, a Trainer reset, a Trainer error.
KINDS = ("epoch", "step", "status", "reset", "error")


@dataclass(frozen=True, eq=False, kw_only=True)
class OnlineStep:
    """One Kohonen update (``SOM.online_step``, ``Trainer.step``), for teaching views.

    Attributes
    ----------
    sample : ndarray (D,)
        The presented sample, training space.
    bmu : int
        Its best-matching unit before the update.
    weights : ndarray (M,)
        ``learning_rate * h(d_grid(i, bmu); radius)`` for every unit (lattice order).
    codebook_before, codebook_after : ndarray (M, D)
        The codebook (training space) around the update.
    radius, learning_rate : float
        The values the update used.
    sample_index : int or None
        Row of the sample in the training data (Trainer steps; None for ``SOM.online_step``).
    epoch, step, n_steps : int or None
        Trainer steps: epochs completed, samples presented in the current epoch including this
        one, samples per epoch.
    """

    sample: np.ndarray
    bmu: int
    weights: np.ndarray
    codebook_before: np.ndarray
    codebook_after: np.ndarray
    radius: float | None = None
    learning_rate: float | None = None
    sample_index: int | None = None
    epoch: int | None = None
    step: int | None = None
    n_steps: int | None = None


@dataclass(frozen=True, eq=False, kw_only=True)
class TrainingRecord:
    """What a training callback, a Trainer listener and a history see (read-only).

    Attributes
    ----------
    mode : {"batch", "online"}
    epoch : int
        Epochs completed in this run: the SOM training call (1 after its first epoch) or the
        Trainer since its last reset.
    n_epochs : int
        Epochs of this run (the call's ``epochs``; the Trainer's schedule length).
    total_epoch : int
        Epochs the model has been trained so far (``SOM.n_epochs_trained_``; for the Trainer
        its epochs since the last reset). Grows across training calls and phases: the x axis
        of the curves and the ``"epoch"`` column of a history. Defaults to ``epoch``.
    radius, learning_rate : float or None
        The values used by the most recent update (a Trainer record before any update: the
        schedule's next values).
    phase : str
        ``"train"``; ``"rough"`` / ``"fine"`` in ``fit_auto``; ``"reinforce"``.
    kind : {"epoch", "step", "status", "reset", "error"}
        ``"epoch"`` at an epoch end, ``"step"`` inside an epoch (an online segment of
        ``callback_every_samples``, or one :meth:`Trainer.step`); the Trainer's ``"status"``,
        ``"reset"`` and ``"error"`` events.
    status : str
        The Trainer's status (``"running"``, ``"paused"``, ...); ``"running"`` in a SOM call.
    step, n_steps : int
        Online: samples presented in the current epoch (``n_steps`` at its end) and samples per
        epoch; batch: 0.
    metrics : mapping or None
        ``{"quantization_error", "topographic_error", "vacancy_rate"}`` when measured (SOM:
        ``collect_history=True``, or a callback that :func:`wants_metrics`; Trainer:
        ``metrics=True``) at epoch ends, else None.
    neighborhood, decay : str or None
        The kernel and the schedule shape used.
    som : SOM or None
        The estimator (read its analyses, do not mutate it); None in a history.
    codebook : ndarray (M, D) or None
        Read-only view of the codebook (training space); None in a history.
    bmus : ndarray (N,) or None
        BMUs of the training data after the epoch when they are known without a search.
    final : bool
        True for the last record before training goes quiet (the end of a SOM call; the Trainer
        pausing, finishing, stopping or failing): throttled views must draw it.
    duration_s : float or None
        Seconds the epoch took.
    elapsed_s : float
        Training seconds so far in this run.
    eta_s : float or None
        Trainer: estimated seconds left.
    online_step : OnlineStep or None
        The Kohonen update of a Trainer step (and of the status event that follows it).
    error : BaseException or None
        The exception of an ``"error"`` record; ``message`` says it in words.
    """

    mode: str
    epoch: int
    n_epochs: int
    radius: float | None
    learning_rate: float | None
    total_epoch: int | None = None
    phase: str = "train"
    kind: str = "epoch"
    status: str = "running"
    step: int = 0
    n_steps: int = 0
    metrics: Mapping[str, float] | None = None
    neighborhood: str | None = None
    decay: str | None = None
    som: Any = field(default=None, repr=False)
    codebook: np.ndarray | None = field(default=None, repr=False)
    bmus: np.ndarray | None = field(default=None, repr=False)
    final: bool = False
    duration_s: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = None
    online_step: OnlineStep | None = field(default=None, repr=False)
    error: BaseException | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}; got {self.kind!r}")
        if self.total_epoch is None:
            object.__setattr__(self, "total_epoch", self.epoch)

    # the metrics as attributes (None when not measured)
    @property
    def quantization_error(self) -> float | None:
        """Mean BMU distance (training space, data metric), or None."""
        return None if self.metrics is None else self.metrics.get("quantization_error")

    @property
    def topographic_error(self) -> float | None:
        """Share of samples whose two best units are not lattice neighbours, or None."""
        return None if self.metrics is None else self.metrics.get("topographic_error")

    @property
    def vacancy_rate(self) -> float | None:
        """Share of units that win no sample, or None."""
        return None if self.metrics is None else self.metrics.get("vacancy_rate")

    @property
    def record(self) -> TrainingRecord | None:
        """This record at an epoch end, else None (the Trainer's ``event.record``)."""
        return self if self.kind == "epoch" else None

    def value(self, column: str) -> Any:
        """The value of one history column (``"epoch"`` is :attr:`total_epoch`)."""
        if column == "epoch":
            return self.total_epoch
        if column in METRIC_KEYS:
            return None if self.metrics is None else self.metrics.get(column)
        if column not in HISTORY_COLUMNS:
            raise KeyError(f"unknown history column {column!r}; columns: {', '.join(HISTORY_COLUMNS)}")
        return getattr(self, column)

    def for_history(self) -> TrainingRecord:
        """This record without the model and its arrays, as a history keeps it."""
        return replace(self, som=None, codebook=None, bmus=None, online_step=None, final=False,
                       error=None, eta_s=None)


#: The name SOM training callbacks have always used.
TrainingState = TrainingRecord


def _float_or_none(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


class History(Sequence[TrainingRecord]):
    """Epoch records in training order, with column access.

    * as a list: ``len(h)``, ``h[-1].radius``, ``for record in h``, ``h[2:5]`` (a History);
    * as columns: ``h["quantization_error"]`` (a list, None where not measured), ``h.keys()`` /
      ``h.items()`` / ``h.values()`` over :data:`HISTORY_KEYS`, :meth:`to_dict`,
      :meth:`to_frame` (every column of :data:`HISTORY_COLUMNS`).

    The ``"epoch"`` column is the cumulative :attr:`TrainingRecord.total_epoch`. A history
    equals another with the same :data:`HISTORY_KEYS` columns (what a saved model keeps; not the
    timings), a dict of column lists equal to its own, or a list of the same record objects.
    """

    __slots__ = ("_records",)

    def __init__(self, records: Iterable[TrainingRecord] = ()) -> None:
        self._records: list[TrainingRecord] = []
        for r in records:
            self.append(r)

    def append(self, record: TrainingRecord) -> None:
        """Add one record (kept as :meth:`TrainingRecord.for_history` gives it)."""
        if not isinstance(record, TrainingRecord):
            raise TypeError(f"a history holds TrainingRecord objects; got {type(record).__name__}")
        if record.som is not None or record.codebook is not None or record.bmus is not None:
            record = record.for_history()
        self._records.append(record)

    def clear(self) -> None:
        """Forget every record."""
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[TrainingRecord]:
        return iter(list(self._records))

    @overload
    def __getitem__(self, key: int) -> TrainingRecord: ...
    @overload
    def __getitem__(self, key: slice) -> History: ...
    @overload
    def __getitem__(self, key: str) -> list: ...

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.column(key)
        if isinstance(key, slice):
            return History(self._records[key])
        return self._records[key]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in HISTORY_COLUMNS
        return any(item is r for r in self._records)

    def column(self, name: str) -> list:
        """One column as a list (one entry per epoch)."""
        if name not in HISTORY_COLUMNS:
            raise KeyError(f"unknown history column {name!r}; columns: {', '.join(HISTORY_COLUMNS)}")
        return [r.value(name) for r in self._records]

    def keys(self) -> tuple[str, ...]:
        """The columns a saved model keeps (:data:`HISTORY_KEYS`)."""
        return HISTORY_KEYS

    def values(self) -> list[list]:
        return [self.column(k) for k in HISTORY_KEYS]

    def items(self) -> list[tuple[str, list]]:
        return [(k, self.column(k)) for k in HISTORY_KEYS]

    def to_dict(self, columns: Sequence[str] = HISTORY_KEYS) -> dict[str, list]:
        """The columns as a dict of lists."""
        return {c: self.column(c) for c in columns}

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per epoch, the columns of :data:`HISTORY_COLUMNS`."""
        import pandas as pd

        frame = pd.DataFrame(self.to_dict(HISTORY_COLUMNS), columns=list(HISTORY_COLUMNS))
        for c in ("radius", "learning_rate", *METRIC_KEYS, "duration_s"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
        return frame

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any]]) -> History:
        """A history from column lists (a saved model's, or ``History.to_dict()``).

        Missing columns are None; ``epoch`` counts 1, 2, ... when absent.
        """
        if not isinstance(columns, Mapping):
            raise TypeError(f"columns must be a mapping of per-epoch lists; got {type(columns).__name__}")
        unknown = sorted(set(map(str, columns)) - set(HISTORY_COLUMNS))
        if unknown:
            raise ValueError(f"unknown history column(s) {unknown}; columns: {', '.join(HISTORY_COLUMNS)}")
        lengths = {k: len(v) for k, v in columns.items()}
        n = max(lengths.values(), default=0)
        if any(m != n for m in lengths.values()):
            raise ValueError(f"history columns must all have the same length {n}; got lengths {lengths}")

        def col(name: str, default: Any = None) -> list:
            return list(columns[name]) if name in columns else [default] * n

        epochs = columns.get("epoch", range(1, n + 1))
        metrics = {k: col(k) for k in METRIC_KEYS}
        cols = {k: col(k) for k in ("mode", "phase", "radius", "learning_rate", "n_epochs",
                                     "neighborhood", "decay", "duration_s")}
        out = cls()
        for i, e in enumerate(epochs):
            m = {k: _float_or_none(metrics[k][i]) for k in METRIC_KEYS}
            n_epochs = cols["n_epochs"][i]
            out._records.append(TrainingRecord(
                mode=str(cols["mode"][i] if cols["mode"][i] is not None else "batch"),
                phase=str(cols["phase"][i] if cols["phase"][i] is not None else "train"),
                epoch=int(e), total_epoch=int(e),
                n_epochs=int(n_epochs) if n_epochs is not None else 0,
                radius=_float_or_none(cols["radius"][i]),
                learning_rate=_float_or_none(cols["learning_rate"][i]),
                metrics=None if all(v is None for v in m.values()) else m,
                neighborhood=cols["neighborhood"][i], decay=cols["decay"][i],
                duration_s=_float_or_none(cols["duration_s"][i]),
            ))
        return out

    @classmethod
    def coerce(cls, value: Any) -> History:
        """A History from a History, a mapping of column lists or an iterable of records."""
        if isinstance(value, History):
            return value
        if value is None:
            return cls()
        if isinstance(value, Mapping):
            return cls.from_columns(value)
        if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
            return cls(value)
        raise TypeError(
            "history must be a History, a mapping of per-epoch lists or a list of "
            f"TrainingRecord; got {type(value).__name__}"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            return self.to_dict() == other.to_dict()
        if isinstance(other, Mapping):
            try:
                return self.to_dict(tuple(other)) == {k: list(v) for k, v in other.items()}
            except KeyError:
                return False
        if isinstance(other, (list, tuple)):
            return len(other) == len(self._records) and all(
                a is b for a, b in zip(self._records, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if not self._records:
            return "History([])"
        last = self._records[-1]
        return (f"History({len(self._records)} epochs, last: epoch {last.total_epoch}, "
                f"radius {last.radius}, QE {last.quantization_error})")


def check_callbacks(callbacks: object) -> list[Callable[[TrainingRecord], Any]]:
    """``callbacks`` (None, one callable or an iterable of callables) as a list."""
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    if isinstance(callbacks, Iterable) and not isinstance(callbacks, (str, bytes)):
        out = list(callbacks)
        for cb in out:
            if not callable(cb):
                raise TypeError(f"callbacks must be callables taking a TrainingRecord; got {cb!r}")
        return out
    raise TypeError(
        "callbacks must be a callable or a list of callables taking a TrainingRecord; "
        f"got {callbacks!r}"
    )


def wants_metrics(callbacks: Sequence[Callable[[TrainingRecord], Any]]) -> bool:
    """Whether one of ``callbacks`` draws the epoch metrics: it (or the object of a bound
    method) has ``wants_metrics = True``, as :class:`~somwidget.widgets.TrainingCurves` has.

    A SOM training call then measures QE / TE / vacancy at the epoch ends it passes to the
    callbacks (every ``callback_every`` epochs and the last one), as ``collect_history=True``
    does at every epoch, but keeps no history. Other callbacks get ``metrics=None`` unless the
    call collects history, so they cost no BMU search.
    """
    for cb in callbacks:
        if getattr(cb, "wants_metrics", False) is True:
            return True
        if getattr(getattr(cb, "__self__", None), "wants_metrics", False) is True:
            return True
    return False


def asks_to_stop(answer: object) -> bool:
    """Whether a callback's return value asks training to stop: ``False``, also as a numpy
    boolean (``return qe_change > tol`` gives ``numpy.False_``). Anything else, ``None``
    included, lets it go on."""
    return answer is False or (isinstance(answer, np.bool_) and not answer)


def notify(callbacks: Sequence[Callable[[TrainingRecord], Any]], record: TrainingRecord) -> bool:
    """Call every callback with ``record``; False when one of them asked to stop
    (:func:`asks_to_stop`)."""
    keep = True
    for cb in callbacks:
        if asks_to_stop(cb(record)):
            keep = False
    return keep
