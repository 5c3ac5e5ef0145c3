"""The training curves' table: one row per epoch, read from training records and histories.

:class:`CurveRecords` is the part of :class:`~somwidget.widgets.curves.TrainingCurves` that
holds no widget: the rows of :data:`CURVE_COLUMNS`, one per epoch, placed at the record's
cumulative ``total_epoch`` (an epoch that goes back starts a new segment after the previous
epochs), every value checked against its curve's range; histories (``som.history_``,
``trainer.history``, ``History.to_dict()``) loaded as the records they hold; and the rows drawn
of a long run (``max_points`` evenly spaced ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from ..callbacks import HISTORY_COLUMNS, HISTORY_KEYS, History, TrainingRecord
from ..validation import check_int

__all__ = ["CURVE_COLUMNS", "CurveRecords"]

#: Columns kept per epoch, in this order.
CURVE_COLUMNS = (
    "epoch",
    "quantization_error",
    "topographic_error",
    "vacancy_rate",
    "radius",
    "learning_rate",
)

#: The one segment key of rows placed at cumulative epochs (records never restart at 1).
_RECORDS = "records"


def _num(value: Any) -> float:
    if value is None:
        return float("nan")
    return float(value)



#: The range of each curve's values (None: unbounded above).
_CURVE_RANGES = {"quantization_error": (0.0, None), "topographic_error": (0.0, 1.0),
                 "vacancy_rate": (0.0, 1.0), "radius": (0.0, None), "learning_rate": (0.0, None)}


def _curve_value(name: str, value: Any) -> float:
    """One curve's value checked: None or NaN (not measured) as NaN, else a finite number in
    the curve's range (:data:`_CURVE_RANGES`); a clear error naming ``name`` otherwise."""
    if value is None:
        return float("nan")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number or None; got {value!r}")
    v = float(value)
    if np.isnan(v):
        return v
    lo, hi = _CURVE_RANGES[name]
    if not np.isfinite(v) or v < lo or (hi is not None and v > hi):
        allowed = f"in [{lo:g}, {hi:g}]" if hi is not None else f">= {lo:g}"
        raise ValueError(f"{name} must be finite and {allowed} (or None); got {value!r}")
    return v



def _check_history_columns(history: Mapping[str, Any]) -> None:
    """A history mapping's columns: known names (``History.to_dict()``'s), numbers in the
    numeric ones, whole epoch numbers. Raises ValueError naming the column."""
    unknown = sorted(str(k) for k in history if k not in HISTORY_COLUMNS)
    if unknown:
        raise ValueError(f"history has unknown column(s) {unknown}; the columns are "
                         f"{', '.join(HISTORY_COLUMNS)}")
    for key in CURVE_COLUMNS:
        if key not in history:
            continue
        try:
            values = np.asarray(history[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"history column {key!r} must hold numbers (or None); got "
                             f"{list(history[key])[:3]!r}...") from None
        if key == "epoch" and np.any(values[np.isfinite(values)] % 1 != 0):
            raise ValueError(f"history column 'epoch' must hold whole epoch numbers; got "
                             f"{values[np.isfinite(values) & (values % 1 != 0)][:3].tolist()}")


_C = TypeVar("_C", bound="CurveRecords")


class CurveRecords:
    """The per-epoch rows of the training curves (a mixin of
    :class:`~somwidget.widgets.curves.TrainingCurves`).

    The class it is mixed into provides ``_lock`` (an RLock), ``max_points`` and ``redraw()``,
    and calls :meth:`_forget_rows` before the first row.

    Attributes
    ----------
    data : dict of str -> list of float
        One list per column of :data:`CURVE_COLUMNS`, one entry per epoch (NaN when unknown).
    """

    _lock: Any
    max_points: int
    data: dict[str, list[float]]

    def redraw(self) -> None:
        """Draw the rows (the widget's)."""
        raise NotImplementedError

    def _forget_rows(self) -> None:
        """No row, no segment, no current values (caller holds ``_lock`` or is constructing)."""
        self.data = {c: [] for c in CURVE_COLUMNS}
        self._offset = 0
        self._last_raw_epoch = 0
        self._last_key: tuple[str, int] | None = None
        self._current: dict[str, float] = {}

    def add_epoch(
        self,
        epoch: int | None = None,
        *,
        quantization_error: float | None = None,
        topographic_error: float | None = None,
        vacancy_rate: float | None = None,
        radius: float | None = None,
        learning_rate: float | None = None,
        phase: str = "train",
        redraw: bool = True,
    ) -> None:
        """Add (or update) the row of one epoch and redraw.

        ``epoch`` counts within the current phase / fit call (1-based); a value that does not
        grow starts a new segment after the previous epochs. None appends after the last row.
        """
        values = {c: _curve_value(c, v) for c, v in (
            ("quantization_error", quantization_error), ("topographic_error", topographic_error),
            ("vacancy_rate", vacancy_rate), ("radius", radius), ("learning_rate", learning_rate))}
        if not isinstance(phase, str):
            raise TypeError(f"phase must be a string (the segment's name); got {phase!r}")
        with self._lock:
            if epoch is None:
                epoch = self._last_raw_epoch + 1
            epoch = check_int("epoch", epoch, minimum=0)
            key = (phase, epoch)
            if self._last_key is not None and key == self._last_key:
                row = len(self.data["epoch"]) - 1  # same epoch again (e.g. the final callback)
            else:
                if epoch <= self._last_raw_epoch or (
                    self._last_key is not None and phase != self._last_key[0]
                ):
                    self._offset += self._last_raw_epoch
                self._last_raw_epoch = epoch
                row = len(self.data["epoch"])
                for c in CURVE_COLUMNS:
                    self.data[c].append(float("nan"))
            self._last_key = key
            values = {"epoch": float(self._offset + epoch), **values}
            for c, v in values.items():
                if not (np.isnan(v) and c != "epoch" and not np.isnan(self.data[c][row])):
                    self.data[c][row] = v
            self._current = {c: self.data[c][row] for c in CURVE_COLUMNS}
        if redraw:
            self.redraw()

    def read_record(self, record: Any) -> bool:
        """Take one :class:`~somwidget.callbacks.TrainingRecord` in, without redrawing.

        Rows are placed at the record's cumulative ``total_epoch``. Returns True when a row was
        added or updated.
        """
        kind = getattr(record, "kind", "epoch")
        if kind == "reset":
            self.clear(redraw=False)
            return False
        if kind == "epoch":
            m = getattr(record, "metrics", None) or {}
            total = getattr(record, "total_epoch", None)
            self.add_epoch(
                total if total is not None else getattr(record, "epoch", None),
                quantization_error=m.get("quantization_error"),
                topographic_error=m.get("topographic_error"),
                vacancy_rate=m.get("vacancy_rate"),
                radius=getattr(record, "radius", None),
                learning_rate=self._record_rate(record),
                phase=_RECORDS,
                redraw=False,
            )
            return True
        with self._lock:
            self._current = {
                **self._current,
                "radius": _num(getattr(record, "radius", None)),
                "learning_rate": _num(self._record_rate(record)),
            }
        return False

    @staticmethod
    def _record_rate(record: Any) -> float | None:
        """The learning rate of a record; None in batch mode (batch training has none)."""
        if getattr(record, "mode", None) == "batch":
            return None
        return getattr(record, "learning_rate", None)

    def attach(self: _C, trainer: Any) -> _C:
        """Load a trainer's history so far and follow it from now on. Returns self."""
        self.clear(redraw=False)
        for record in list(trainer.history):
            self.read_record(record)
        trainer.add_listener(self.on_trainer_event)
        self.redraw()
        return self

    def load_history(self: _C, history: Any) -> _C:
        """Replace the data by a history: ``som.history_`` or ``trainer.history`` (a
        :class:`~somwidget.callbacks.History`), a list of training records, or a mapping of
        per-epoch lists (``History.to_dict()``). Returns self.

        Every record is read as :meth:`read_record` reads it (at its cumulative epoch).
        """
        if isinstance(history, Mapping):
            _check_history_columns(history)
            lengths = {k: len(v) for k, v in history.items()
                       if k in CURVE_COLUMNS or k == "phase"}
            n = max(lengths.values(), default=0)
            bad = {k: m for k, m in lengths.items() if m != n}
            if bad:
                raise ValueError(f"history lists must all have the same length {n}; got lengths {bad}")
            history = History.from_columns({k: v for k, v in history.items() if k in HISTORY_KEYS})
        elif not isinstance(history, History):
            items = list(history) if isinstance(history, (list, tuple)) else None
            if items is None or not all(isinstance(r, TrainingRecord) for r in items):
                raise TypeError(
                    "history must be a mapping of per-epoch lists or a sequence of training "
                    f"records (som.history_, trainer.history); got {type(history).__name__}"
                )
            history = History(items)
        self.clear(redraw=False)
        for record in history:
            self.read_record(record)
        self.redraw()
        return self

    @classmethod
    def from_history(cls: type[_C], history: Any, **kwargs: Any) -> _C:
        """A new widget showing a history (``som.history_``, ``trainer.history``)."""
        return cls(**kwargs).load_history(history)

    def clear(self, redraw: bool = True) -> None:
        """Forget every epoch."""
        with self._lock:
            self._forget_rows()
        if redraw:
            self.redraw()

    def arrays(self) -> dict[str, np.ndarray]:
        """The data as float64 arrays (a copy)."""
        with self._lock:
            return {c: np.asarray(v, dtype=np.float64) for c, v in self.data.items()}

    def shown_rows(self, n: int | None = None) -> np.ndarray:
        """Indices of the rows drawn: all of them, or ``max_points`` evenly spaced ones."""
        if n is None:
            n = len(self.data["epoch"])
        if n <= self.max_points:
            return np.arange(n)
        return np.unique(np.linspace(0, n - 1, self.max_points).round().astype(np.int64))
