"""GEMA's documented API on somwidget: ``from somwidget.compat.gema import Map, Classification,
Visualization`` in place of ``from GEMA import Map, Classification, Visualization``.

* :class:`Map`: a square map trained on construction for ``period`` presentations with GEMA's
  per-presentation schedules (:meth:`somwidget.SOM.fit_online` with ``n_steps``); GEMA's JSON
  model files load with :meth:`Map.load_classifier` and :meth:`Map.save_classifier` writes them.
* :class:`Classification`: GEMA's attributes (2-D activation / distance maps, errors, U-matrix,
  the per-sample table).
* :class:`Visualization`: GEMA's plots as somwidget views (imported when called).

``docs/seeds.md`` maps every call of GEMA's README and lists where the results differ.
"""

from .classification import Classification
from .map import Map
from .visualization import Visualization

__all__ = ["Classification", "Map", "Visualization"]
