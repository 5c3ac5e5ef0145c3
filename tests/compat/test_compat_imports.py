"""Importing the seed APIs loads no widget toolkit; their colour-map table matches the views'."""

from __future__ import annotations

import subprocess
import sys

import pytest

TOOLKITS = ("ipywidgets", "anywidget", "bqplot", "traitlets")
CHECK = (
    "import sys\n"
    "{imports}\n"
    "print(sorted(m for m in {toolkits!r} if m in sys.modules))\n"
)


def _loaded_after(imports: str) -> str:
    code = CHECK.format(imports=imports, toolkits=TOOLKITS)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.strip()


def test_importing_the_seed_apis_loads_no_widget_toolkit():
    assert _loaded_after(
        "import somwidget.compat.gema\n"
        "from somwidget.compat.gema import Map, Classification, Visualization\n"
        "import somwidget.compat.somnium, somwidget.compat.somnium.core\n"
        "import somwidget.compat.somnium.visualization as v\n"
        "from somwidget.compat.somnium.visualization import plot_umatrix, plot_bmus"
    ) == "[]"


def test_a_plot_call_imports_the_views():  # the check above can fail
    out = _loaded_after(
        "import numpy as np\n"
        "from somwidget.compat.somnium import SOM\n"
        "from somwidget.compat.somnium.visualization import plot_umatrix\n"
        "plot_umatrix(SOM(mapsize=(3, 3)).fit(np.random.default_rng(0).normal(size=(20, 2)), 2))"
    )
    assert "ipywidgets" in out


def test_the_colormap_table_names_only_somwidgets_maps():
    from somwidget.compat import _colormaps
    from somwidget.widgets.colormaps import COLORMAPS

    assert set(_colormaps._OURS) == set(COLORMAPS)
    assert set(_colormaps.COLORMAP_SUBSTITUTES.values()) <= set(COLORMAPS)
    assert _colormaps.resolve_colormap("jet_r", "magma") == "viridis"
    assert _colormaps.resolve_colormap("Plasma", "magma") == "plasma"
    assert _colormaps.resolve_colormap(None, "magma") == "magma"
    with pytest.raises(TypeError, match="colormap must be a colour-map name"):
        _colormaps.resolve_colormap(3, "magma")
