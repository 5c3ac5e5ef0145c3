"""The static pictures of the views drawn live on a canvas from buffers (index map, glyph maps,
elevation map) stay the white standalone SVG a saved notebook keeps.

The static picture (``to_svg``, the MIME bundle, the picture output) is byte for byte what it was
when these views were live SVG pictures in an ``ipywidgets.HTML`` (the live copy carried a theme
``<style>``; the canvases follow the theme themselves now): no style, no theme variable, the
white background.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("anywidget")

from somwidget import SOM  # noqa: E402
from somwidget.widgets import CodebookGlyphMap, ElevationMap, NeuronIndexMap, Selection  # noqa: E402

VIEWS = ["index", "index_rect", "glyph_line", "glyph_bar", "elevation"]


@pytest.fixture(scope="module")
def views():
    X = np.random.default_rng(0).normal(size=(60, 3))
    som = SOM(mapsize=(5, 6), lattice="hexa", random_state=0).fit(X, epochs=2)
    sel = Selection()
    sel.neurons = [3, 7]
    rsom = SOM(mapsize=(4, 5), lattice="toroidal_rect", random_state=1).fit(X, epochs=2)
    return {
        "index": NeuronIndexMap(som, selection=sel, show_row_col=True),
        "index_rect": NeuronIndexMap(rsom),
        "glyph_line": CodebookGlyphMap(som, selection=sel),
        "glyph_bar": CodebookGlyphMap(rsom, kind="bar"),
        "elevation": ElevationMap(som, X, selection=sel),
    }


@pytest.mark.parametrize("name", VIEWS)
def test_static_picture_stays_the_white_standalone_picture(views, name):
    view = views[name]
    svg = view.to_svg()
    root = ET.fromstring(svg)
    first = next(iter(root))
    assert first.tag.endswith("rect") and first.get("fill") in ("#ffffff", "white"), first.attrib
    # and what a saved notebook keeps (the MIME bundle, the picture output) is that picture
    bundle = view._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["image/svg+xml"] == svg
    assert view.static_bundle()["image/svg+xml"] == svg
    assert "<style" not in svg and "sw-themed" not in svg and "--jp-" not in svg
