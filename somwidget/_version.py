"""The package version, read from the installed distribution's metadata.

pyproject.toml's ``version`` is the one place the version is written; an installed somwidget
(wheel, sdist or editable install) reports it through :mod:`importlib.metadata`. A source tree
imported without being installed (``PYTHONPATH=.``) reads the same line from its pyproject.toml.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path


def _source_tree_version() -> str:
    """The ``version`` of the pyproject.toml next to the package, or "0+unknown" without one."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return "0+unknown"
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    found = project and re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.MULTILINE)
    return found.group(1) if found else "0+unknown"


def package_version() -> str:
    """The installed somwidget's version (falls back to the source tree's pyproject.toml)."""
    try:
        return metadata.version("somwidget")
    except metadata.PackageNotFoundError:
        return _source_tree_version()


__version__ = package_version()
