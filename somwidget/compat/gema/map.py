"""GEMA's ``Map``: a square SOM trained on construction for ``period`` presentations.

Built on :class:`somwidget.SOM` (kept as ``Map.som``): GEMA's parameters become the estimator's
(``use_decay`` picks the kernel, ``normalization`` / ``weights`` the normaliser and the
initialisation) and training is :meth:`somwidget.SOM.fit_online` with ``n_steps=period`` and
GEMA's schedules, per presentation ``i = 1 .. T`` (``T = period``)::

    eta(i) = initial_lr * (1 - i / T)                        # 0 at the last presentation
    v(i)   = v_final + initial_neighbourhood * (1 - i / T)   # v_final = 1 with use_decay, else 0

Every neuron within grid distance ``v(i)`` of the BMU moves by ``eta(i)`` (``use_decay=False``:
somwidget's ``bubble`` kernel) or by ``eta(i) * exp(-d^2 / 2 v(i)^2)`` (``use_decay=True``:
``cut_gaussian``), which is GEMA's update rule.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...persistence import FORMAT_NAME, write_atomically
from ...som import SOM
from ...validation import NotFittedError, check_array, check_choice, check_int
from ._model_file import gema_weights, json_path, read_json, real_array

__all__ = ["Map"]

DISTANCES = ("euclidean", "chebyshev")
NORMALIZATIONS = {"none": "none", "fwn": "standard", "01scale": "minmax", "euclidean": "l2"}
WEIGHTS = {"random": "random", "random_negative": "random_negative", "sample": "sample",
           "pca": "pca"}
PRESENTATIONS = ("random", "sequential")
TOPOLOGIES = {"rectangular": "rect", "hexagonal": "hexa"}


class Map:
    """A GEMA self-organising map (square, trained when ``data`` is given).

    Parameters
    ----------
    data : ndarray (N, D), optional
        Training data; when given, training starts immediately (:meth:`train`).
    size : int
        Side length of the square map (at least 2). Required.
    period : int
        Number of training iterations: single-sample presentations, not epochs (at least 2).
    initial_lr : float in (0, 1]
        Learning rate of the first presentation; it decays linearly to 0 at the last one.
    initial_neighbourhood : float >= 0
        Initial neighbourhood radius (grid units); 0 means ``size``.
    distance : {"euclidean", "chebyshev"}
        The data metric of the BMU search, the distances and the quantization error (GEMA
        applied it to the grid instead, where its Chebyshev branch had no axis and updated the
        whole map or nothing).
    use_decay : bool
        Gaussian decay of the update with the grid distance (``cut_gaussian``), and a radius
        that ends at 1 instead of 0.
    normalization : {"none", "fwn", "01scale", "euclidean"}
        Input normalisation, fitted on the training data and applied to everything the map
        sees afterwards (GEMA applied it to the training data only): ``fwn`` is somwidget's
        ``standard``, ``01scale`` its per-feature ``minmax`` (GEMA used the global min / max),
        ``euclidean`` its ``l2``.
    presentation : {"random", "sequential"}
        ``random``: a new random order each pass over the data (GEMA drew every sample with
        replacement); ``sequential``: data order from the first sample.
    weights : {"random", "random_negative", "sample", "PCA"}
        Initialisation (somwidget's): ``random`` uniform within the data's range per feature
        (GEMA: [0, 1], the same for data scaled to [0, 1]), ``random_negative`` uniform in
        [-1, 1], ``sample`` whole training samples, ``PCA`` along the two main principal axes
        scaled by their standard deviations (SOM Toolbox ``lininit``).
    topology : {"rectangular", "hexagonal"}
        Grid (GEMA's development version; hexagonal: odd rows shifted right by half a unit).
    random_state : int, numpy.random.Generator or None, keyword-only
        Seed. ``None`` draws one from numpy's global generator, so ``np.random.seed(...)``
        makes runs reproducible as it did with GEMA.

    Attributes
    ----------
    som : somwidget.SOM
        The estimator behind the map (every somwidget view and analysis accepts it).
    weights : ndarray (size, size, D)
        The codebook, in the training (normalised) space, as GEMA's ``weights``.
    map_size, period, initial_lr, neighbourhood, distance, use_decay, normalization,
    presentation, weights_init, topology, num_data, input_data_dimension
        GEMA's attributes (``neighbourhood`` is the resolved initial radius).
    """

    def __init__(
        self,
        data: Any = None,
        size: int | None = None,
        period: int = 10,
        initial_lr: float = 0.1,
        initial_neighbourhood: float = 0,
        distance: str = "euclidean",
        use_decay: bool = False,
        normalization: str = "none",
        presentation: str = "random",
        weights: str = "random",
        topology: str = "rectangular",
        *,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        if size is None:
            raise TypeError("Map() needs size: the side length of the square map (an integer >= 2)")
        self.map_size = check_int("size", size, minimum=2)
        self.period = check_int("period", period, minimum=2)
        self.initial_lr = _check_lr("initial_lr", initial_lr)
        if isinstance(initial_neighbourhood, bool) or not isinstance(initial_neighbourhood,
                                                                      numbers.Real):
            raise TypeError(f"initial_neighbourhood must be a number >= 0; got {initial_neighbourhood!r}")
        if not math.isfinite(initial_neighbourhood) or initial_neighbourhood < 0:
            raise ValueError(f"initial_neighbourhood must be a finite number >= 0 (0 means size); "
                             f"got {initial_neighbourhood!r}")
        self.neighbourhood = float(initial_neighbourhood) if initial_neighbourhood else self.map_size
        if float(self.neighbourhood).is_integer():
            self.neighbourhood = int(self.neighbourhood)
        self.distance = check_choice("distance", distance, DISTANCES)
        if not isinstance(use_decay, (bool, np.bool_)):
            raise TypeError(f"use_decay must be True or False; got {use_decay!r}")
        self.use_decay = bool(use_decay)
        self.normalization = check_choice("normalization", normalization, tuple(NORMALIZATIONS))
        self.presentation = check_choice("presentation", presentation, PRESENTATIONS)
        init = check_choice("weights", weights, tuple(WEIGHTS))
        self.weights_init = "PCA" if init == "pca" else init
        self.topology = check_choice("topology", topology, tuple(TOPOLOGIES))
        if random_state is None:
            # GEMA drew from the global generator: np.random.seed(...) keeps working
            random_state = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
        self.random_state = random_state
        self.num_data = 0
        self.input_data_dimension = 0
        self.som = self._new_som()
        if data is not None:
            self.train(data)

    # ------------------------------------------------------------------ the estimator
    def _grid(self) -> tuple[int, int]:
        """``(rows, cols)`` from ``map_size`` (an int for GEMA's square maps, or a pair for a
        map made from a non-square somwidget SOM)."""
        if isinstance(self.map_size, (tuple, list)):
            rows, cols = self.map_size
            return (int(rows), int(cols))
        return (int(self.map_size), int(self.map_size))

    def _new_som(self) -> SOM:
        return SOM(
            mapsize=self._grid(),
            lattice=TOPOLOGIES[self.topology],
            neighborhood="cut_gaussian" if self.use_decay else "bubble",
            normalization=NORMALIZATIONS.get(self.normalization, self.normalization),
            initialization=WEIGHTS[self.weights_init.lower()],
            distance_metric=self.distance,
            random_state=self.random_state,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the map."""
        if getattr(self.som, "mapsize_", None) is not None:
            return tuple(int(v) for v in self.som.mapsize_)
        return self._grid()

    @property
    def weights(self) -> np.ndarray:
        """The codebook as GEMA's ``(size, size, D)`` array (training space, read-only view)."""
        if getattr(self.som, "codebook_", None) is None:
            raise NotFittedError("this Map has no weights yet: train it (Map(data, ...) or train(data))")
        w = self.som.codebook_.reshape(*self.shape, -1)
        w.flags.writeable = False
        return w

    @weights.setter
    def weights(self, value: Any) -> None:
        rows, cols = self.shape
        w = real_array("weights", value, f"a ({rows}, {cols}, D) array of numbers")
        if w.ndim != 3 or w.shape[:2] != (rows, cols):
            raise ValueError(f"weights must have shape ({rows}, {cols}, D); got {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError("weights must be finite numbers; got NaN or infinite values")
        self.som = _som_from_codebook(self.som, w.reshape(rows * cols, -1))
        self.input_data_dimension = int(w.shape[2])

    # ------------------------------------------------------------------ training
    def train(self, data: Any) -> Map:
        """Initialise the weights and train for ``period`` presentations (GEMA's schedules).

        Parameters
        ----------
        data : ndarray (N, D)
            Training data.

        Returns
        -------
        Map
            ``self``.
        """
        arr, _ = check_array("data", data)
        self.num_data, self.input_data_dimension = (int(v) for v in arr.shape)
        self.som = self._new_som()
        t = self.period
        v_final = 1.0 if self.use_decay else 0.0
        self.som.fit_online(
            data,
            n_steps=t,
            radius_start=self.variation_neighbourhood(self.neighbourhood, 1, t, v_final),
            radius_end=v_final,
            learning_rate_start=self.variation_learning_rate(self.initial_lr, 1, t),
            learning_rate_end=0.0,
            decay="linear",
            presentation=self.presentation,
        )
        return self

    def reinforce(self, training_data: Any, reinforcement: int = 0, extension: float = 1,
                  compression: float = 0.5) -> Map:
        """Continue training with a compressed learning rate (GEMA's ``reinforce``).

        Each of the ``reinforcement`` rounds multiplies ``period`` by ``extension`` and
        ``initial_lr`` by ``compression`` (both kept, as in GEMA), then presents ``period``
        samples with the learning rate decaying linearly to 0 and a fixed radius of 1.

        Parameters
        ----------
        training_data : ndarray (N, D)
        reinforcement : int >= 0
            Number of rounds.
        extension : float > 0
            Factor on the period each round (``int(period * extension)`` must stay >= 2).
        compression : float in (0, 1]
            Factor on the learning rate each round.
        """
        self._check_trained()
        rounds = check_int("reinforcement", reinforcement, minimum=0)
        if isinstance(extension, bool) or not isinstance(extension, numbers.Real) or not extension > 0:
            raise ValueError(f"extension must be a number > 0; got {extension!r}")
        compression = _check_lr("compression", compression)
        for _ in range(rounds):
            period = int(self.period * extension)
            if period < 2:
                raise ValueError(f"extension={extension!r} shrinks period to {period}; it must stay >= 2")
            self.period = period
            self.initial_lr = self.initial_lr * compression
            self.som.fit_online(
                training_data, n_steps=period, radius_start=1.0, radius_end=1.0,
                learning_rate_start=self.variation_learning_rate(self.initial_lr, 1, period),
                learning_rate_end=0.0, decay="linear", presentation=self.presentation,
            )
        return self

    def _check_trained(self) -> None:
        if getattr(self.som, "codebook_", None) is None:
            raise NotFittedError("this Map is not trained: pass data to Map(...) or call train(data)")

    # ------------------------------------------------------------------ BMUs
    def calculate_bmu(self, pattern: Any) -> tuple[float, tuple[int, int], float, tuple[int, int]]:
        """The BMU and the second BMU of one pattern.

        Returns
        -------
        (bmu_distance, (row, col), second_bmu_distance, (row, col))
            Distances with the map's ``distance`` metric in the training space (GEMA returned
            squared Euclidean distances).
        """
        self._check_trained()
        x = real_array("pattern", pattern,
                        f"one sample, a 1-D array of {self.som.n_features_in_} numbers")
        if x.ndim != 1:
            raise ValueError(f"pattern must be one sample, a 1-D array of {self.som.n_features_in_} "
                             f"values; got shape {x.shape}")
        idx, dist = self.som.best_matching_units(x[None, :], k=2)
        cols = self.shape[1]
        b1, b2 = int(idx[0, 0]), int(idx[0, 1])
        return float(dist[0, 0]), divmod(b1, cols), float(dist[0, 1]), divmod(b2, cols)

    def calculate_distance(self, vector1: Any, vector2: Any) -> Any:
        """The map's ``distance`` between vectors (along the last axis)."""
        if self.distance == "chebyshev":
            return Map.chebyshev_distance(vector1, vector2)
        return Map.vector_distance(vector1, vector2)

    # ------------------------------------------------------------------ GEMA's formulas
    @staticmethod
    def variation_learning_rate(initial_lr: float, i: float, iterations_number: float) -> float:
        """GEMA's learning rate at presentation ``i`` of ``T``: ``initial_lr * (1 - i / T)``."""
        return initial_lr * (1.0 - i / iterations_number)

    @staticmethod
    def variation_neighbourhood(initial_neighbourhood: float, i: float, iterations_number: float,
                                final: float = 0) -> float:
        """GEMA's radius at presentation ``i`` of ``T``: ``final + initial * (1 - i / T)``."""
        return final + initial_neighbourhood * (1.0 - i / iterations_number)

    @staticmethod
    def decay(distance_BMU: Any, current_neighbourhood: float) -> Any:
        """GEMA's update decay ``exp(-d^2 / (2 v^2))``."""
        d = np.asarray(distance_BMU, dtype=np.float64)
        return np.exp(-(d**2) / (2.0 * current_neighbourhood**2))

    @staticmethod
    def vector_distance(vector1: Any, vector2: Any) -> Any:
        """Euclidean distance along the last axis."""
        diff = np.asarray(vector1, dtype=np.float64) - np.asarray(vector2, dtype=np.float64)
        return np.sqrt(np.sum(diff * diff, axis=-1))

    @staticmethod
    def chebyshev_distance(vector1: Any, vector2: Any) -> Any:
        """Chebyshev distance along the last axis (GEMA's took the maximum over every axis)."""
        diff = np.asarray(vector1, dtype=np.float64) - np.asarray(vector2, dtype=np.float64)
        return np.max(np.abs(diff), axis=-1)

    # ------------------------------------------------------------------ files
    def save_classifier(self, filename: str | os.PathLike = "Model") -> Path:
        """Save the map to ``<filename>.json`` in GEMA's format (GEMA reads it back).

        GEMA's fields (``{"model": [{"map_size", "input_data_dimension", "presentation",
        "initial_lr", "distance", "use_decay", "num_data", "period", "neighbourhood",
        "topology", "weights"}]}``) plus a ``"somwidget"`` entry holding the full somwidget model
        (normaliser included), which GEMA ignores. Returns the path written.
        """
        self._check_trained()
        path = json_path(filename)
        entry = {
            "map_size": self.map_size,
            "input_data_dimension": int(self.som.n_features_in_),
            "presentation": self.presentation,
            "initial_lr": float(self.initial_lr),
            "distance": self.distance,
            "use_decay": self.use_decay,
            "num_data": int(self.num_data),
            "period": int(self.period),
            "neighbourhood": self.neighbourhood,
            "topology": self.topology,
            "weights": np.asarray(self.weights).tolist(),
        }
        doc = {"model": [entry], "somwidget": self.som.to_dict()}
        data = json.dumps(doc).encode("utf-8")
        write_atomically(path, lambda f: f.write(data))  # a unique temporary file, then rename
        return path

    @classmethod
    def load_classifier(cls, filename: str | os.PathLike = "Model") -> Map:
        """Load a map from ``<filename>.json``: a GEMA model file or a somwidget model file.

        A GEMA file gives GEMA's attributes and weights (no normalisation: GEMA saved none); one
        written by :meth:`save_classifier` also restores the somwidget model it carries. A file
        written by :meth:`somwidget.SOM.save` becomes a Map around that SOM.

        Raises
        ------
        ValueError
            For a file that is neither, naming the file and what is wrong.
        """
        path = json_path(filename)
        doc = read_json(path)
        if isinstance(doc, dict) and doc.get("format") == FORMAT_NAME:
            return cls._from_som(SOM.from_dict(doc, source=path))
        if not (isinstance(doc, dict) and isinstance(doc.get("model"), list) and doc["model"]):
            raise ValueError(f"{path} is not a GEMA or somwidget model: expected a GEMA "
                             f"{{'model': [...]}} document or a {FORMAT_NAME!r} file")
        return cls._from_gema(doc["model"][-1], doc.get("somwidget"), path)

    @classmethod
    def _from_gema(cls, entry: Any, carried: Any, path: Path) -> Map:
        def fail(problem: str) -> ValueError:
            return ValueError(f"{path} is not a readable GEMA model: {problem}")

        (rows, cols), w, num_data = gema_weights(entry, fail)
        codebook = w.reshape(rows * cols, -1)
        # the somwidget model save_classifier carries: initialisation, seed and normaliser
        som = None
        if isinstance(carried, dict) and carried.get("format") == FORMAT_NAME:
            candidate = SOM.from_dict(carried, source=path)
            if candidate.codebook_.shape == codebook.shape and \
                    np.array_equal(candidate.codebook_, codebook):
                som = candidate
        extra: dict[str, Any] = {}
        if som is not None:
            init = som._validated()["initialization"]
            if init in WEIGHTS:
                extra["weights"] = init
            if som.random_state is not None:
                extra["random_state"] = som.random_state
        try:
            m = cls(
                size=max(rows, cols),
                period=entry.get("period", 10),
                initial_lr=entry.get("initial_lr", 0.1),
                initial_neighbourhood=entry.get("neighbourhood", 0),
                distance=entry.get("distance", "euclidean"),
                use_decay=entry.get("use_decay", False),
                presentation=entry.get("presentation", "random"),
                topology=entry.get("topology", "rectangular"),
                **extra,
            )
        except (TypeError, ValueError) as exc:
            raise fail(str(exc)) from None
        if rows != cols:  # a non-square map (saved from a somwidget SOM)
            m.map_size = (rows, cols)
        m.num_data = num_data
        m.input_data_dimension = int(w.shape[2])
        m.som = som if som is not None else _som_from_codebook(m._new_som(), codebook)
        if som is not None:
            m.normalization = _GEMA_NORMALIZATION.get(som.normalizer_.name, som.normalizer_.name)
        return m

    @classmethod
    def _from_som(cls, som: SOM) -> Map:
        """A Map around a fitted somwidget SOM (a non-square map gets ``map_size = (rows, cols)``)."""
        if not som._is_initialized():
            raise NotFittedError("this SOM is not fitted: fit it (som.fit(X)) before using it as "
                                 "a GEMA Map or classifying with it")
        rows, cols = (int(v) for v in som.mapsize_)
        p = som._validated()
        m = cls.__new__(cls)
        m.map_size = rows if rows == cols else (rows, cols)
        m.period = 10
        m.initial_lr = 0.1
        m.neighbourhood = max(rows, cols)
        m.distance = p["distance_metric"]
        m.use_decay = p["neighborhood"] == "cut_gaussian"
        m.normalization = _GEMA_NORMALIZATION.get(som.normalizer_.name, som.normalizer_.name)
        m.presentation = "random"
        m.weights_init = {"pca": "PCA"}.get(p["initialization"], p["initialization"])
        m.topology = "hexagonal" if som.lattice_.shape == "hexa" else "rectangular"
        m.random_state = som.random_state
        m.num_data = 0
        m.input_data_dimension = int(som.n_features_in_)
        m.som = som
        return m

    def __repr__(self) -> str:
        return (f"Map(size={self.map_size!r}, period={self.period}, initial_lr={self.initial_lr}, "
                f"initial_neighbourhood={self.neighbourhood!r}, distance={self.distance!r}, "
                f"use_decay={self.use_decay}, normalization={self.normalization!r}, "
                f"presentation={self.presentation!r}, weights={self.weights_init!r}, "
                f"topology={self.topology!r})")


_GEMA_NORMALIZATION = {"none": "none", "standard": "fwn", "minmax": "01scale", "l2": "euclidean"}


def _check_lr(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1]; got {value!r}")
    v = float(value)
    if not (0.0 < v <= 1.0):
        raise ValueError(f"{name} must be in (0, 1]; got {value!r}")
    return v


def _som_from_codebook(template: SOM, codebook: np.ndarray) -> SOM:
    """A fitted SOM with ``template``'s parameters and the given codebook: ``template``'s
    normaliser when it is fitted on as many features, else no normalisation."""
    if getattr(template, "codebook_", None) is not None and \
            template.codebook_.shape == codebook.shape:
        doc = template.to_dict()
    else:
        som = SOM(**{**template.get_params(), "normalization": "none"})
        som.initialize(codebook)  # resolves the lattice and a normaliser on D features
        doc = som.to_dict()
    doc["codebook"] = np.asarray(codebook, dtype=np.float64).tolist()
    doc.pop("data_bounds", None)
    return SOM.from_dict(doc, source="GEMA weights")
