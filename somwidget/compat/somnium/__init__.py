"""somnium's documented API on somwidget: ``from somwidget.compat.somnium import SOM`` (or
``from somwidget.compat.somnium.core import SOM``) in place of ``from somnium.core import SOM``,
and ``somwidget.compat.somnium.visualization`` in place of ``somnium.visualization``.

``docs/seeds.md`` maps every call of somnium's README and lists where the results differ.
"""

from .core import SOM

__all__ = ["SOM"]
