"""Modules imported on first use, so that ``import somwidget`` stays cheap (about 0.2 s).

``scipy.sparse``, ``scipy.spatial`` and ``scipy.special`` take 40 to 160 ms each to import and
most sessions of a module need at most one of them, late: ``LazyModule("scipy.sparse")`` stands
for the module and imports it on the first attribute access.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """A module imported on first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
