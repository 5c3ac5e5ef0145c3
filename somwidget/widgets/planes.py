"""ComponentPlanes: one small canvas plane per feature, in the data's own units (small multiples)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import traitlets

from ..validation import default_feature_names
from ._common import feature_items, resolve_features
from .codecs import array_trait
from .colormaps import wire_values
from .lattice_view import LatticeView, _range
from .pictures.lattice import Plane, fills_for, format_label
from .selection import Selection

__all__ = ["ComponentPlanes"]


class ComponentPlanes(LatticeView):
    """One small plane per feature, in the data's own units (small multiples).

    Click a plane's title to enlarge it; the shared selection is outlined in every plane.

    Parameters
    ----------
    som : SOM
        The map.
    X : array-like of shape (N, D), optional
        Data to initialise an unfitted SOM with.
    selection : Selection, optional
        The shared selection.
    features : str, int, or a sequence of them, optional
        Which features to show (names from ``som.feature_names_in_`` or column indices; a
        single name or index is one plane). A name matches exactly, else the one name equal
        to it up to case and spacing; no feature may repeat; other item types are a TypeError.
    width : float, optional
        Width in CSS pixels of the enlarged plane (click a plane's title to enlarge it), which
        is then as tall as its lattice needs, in a box that scrolls sideways when the output
        is narrower: a large map's plane with cells big enough to read. Default None: the
        enlarged plane fills the output's width, at most about 520 pixels tall. The small
        planes keep their size (the overview) and so does the static picture.
    """

    _view = traitlets.Unicode("planes").tag(sync=True)
    plane_names = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    # (features, neurons): float32, or float64 where float32 would colour a plane wrongly
    plane_values = array_trait(("float32", "float64"), ndim=2).tag(sync=True)
    vmins = traitlets.List(traitlets.Float(), default_value=[]).tag(sync=True)
    vmaxs = traitlets.List(traitlets.Float(), default_value=[]).tag(sync=True)
    enlarged = traitlets.Int(-1).tag(sync=True, echo_update=False)
    #: what the colours are in, for the subtitle: each feature's own units, or training space
    #: where the normalisation cannot be inverted (l2)
    units_note = traitlets.Unicode("colours in each feature's own units").tag(sync=True)

    _bundle = "planes"
    _default_title = "Component planes: each feature's value across the map (data units)"
    #: The title when the normalisation cannot be inverted ("l2"): the planes are training space.
    _training_space_title = ("Component planes: each feature's value across the map "
                             "(training space: normalisation not invertible)")

    def __init__(self, som: Any, X: Any = None, *, selection: Selection | None = None,
                 features: Sequence[str | int] | None = None, colormap: str = "viridis",
                 title: str | None = None, max_rate_hz: float = 15.0,
                 show_values: bool = False, width: float | None = None) -> None:
        self._features_arg = feature_items(features)  # type-checked now, resolved per refresh
        super().__init__(som, X, selection=selection, colormap=colormap, title=title,
                         max_rate_hz=max_rate_hz, show_values=show_values, width=width)

    def _feature_indices(self, names: list[str]) -> list[int]:
        return resolve_features(self._features_arg, names)

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        planes = np.asarray(self._som.component_planes(), dtype=np.float64)
        # som.component_planes is in data units, but in training space for a normalisation
        # that cannot be inverted ("l2")
        self._data_units = bool(getattr(self._som.normalizer_, "invertible", True))
        default = self._default_title if self._data_units else self._training_space_title
        names = [str(n) for n in getattr(self._som, "feature_names_in_", None)
                 or default_feature_names(planes.shape[1])]
        idx = self._feature_indices(names)
        sel = planes[:, idx]
        st = self._plain(np.full(planes.shape[0], np.nan), self._title_arg or default, "")
        st["legend"] = "none"
        st["planes"] = sel
        st["plane_names"] = [names[i] for i in idx]
        st["ranges"] = [_range(sel[:, j]) for j in range(sel.shape[1])]
        st["tooltip"] = []
        return st

    def refresh(self, som: Any = None, bmus: Any = None, distances: Any = None, **_: Any) -> None:
        """Recompute the planes and send ONE message with a new ``frame``."""
        if som is not None:
            self._som = som
        lat = self._lattice_state()
        st = self._compute(None)
        self._state = {**lat, **st}
        if self.selection is not None:
            self.selection.n_neurons = lat["rows"] * lat["cols"]
        with self.hold_sync():
            for k, v in lat.items():
                setattr(self, k, v)
            self.title = st["title"]
            self.units_note = ("colours in each feature's own units" if self._data_units
                               else "colours in training space (normalisation not invertible)")
            self.plane_names = st["plane_names"]
            # plane-major: feature j at [j*M:(j+1)*M]; float64 when one plane needs it
            wire = [wire_values(st["planes"][:, j], lo, hi) for j, (lo, hi) in enumerate(st["ranges"])]
            wide = any(w.dtype == np.float64 for w in wire)
            self.plane_values = (np.stack(wire) if wire else st["planes"].T).astype(
                np.float64 if wide else np.float32)
            self.vmins = [r[0] for r in st["ranges"]]
            self.vmaxs = [r[1] for r in st["ranges"]]
            self.frame = self.frame + 1

    def _picture_width(self) -> float | None:
        return None  # ``width`` is the enlarged plane's, live; the small multiples keep theirs

    def _subtitle(self) -> str:
        return f"{len(self.plane_names)} features · " + super()._subtitle() + " · " + self.units_note

    def _planes(self) -> list[Plane]:
        st = self._state
        sel = list(self.selection.neurons) if self.selection is not None else []
        return [
            Plane(fills=fills_for(self.plane_values[j], lo, hi, self.colormap), title=name,
                  colorbar=(self.colormap, lo, hi, ""), selected=sel,
                  labels=([format_label(float(v)) for v in st["planes"][:, j]]
                          if self.show_values else None))
            for j, (name, (lo, hi)) in enumerate(zip(st["plane_names"], st["ranges"], strict=True))
        ]
