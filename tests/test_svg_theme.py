"""The live SVG pictures follow JupyterLab's theme; their static pictures stay as they were.

The live value (``ipywidgets.HTML.value``) carries a ``<style>`` scoped to the widget that sets
the neutral parts' ``fill`` / ``stroke`` to JupyterLab's theme variables (with today's colours as
fallbacks); the static picture (``to_svg``, the MIME bundle, the picture output) is byte for byte
what it was before the live styling existed (checked against checksums of main's pictures when
the styling was written; not pinned here, since the fitted maps' last bits may differ between
BLAS builds and between the numpy and compiled sums): no style, no theme variable, the white
background, and the live value is it plus the three additions.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("anywidget")

from somwidget import SOM  # noqa: E402
from somwidget.widgets import CodebookGlyphMap, ElevationMap, NeuronIndexMap, Selection  # noqa: E402

NS = {"s": "http://www.w3.org/2000/svg"}

VIEWS = ["index", "index_rect", "glyph_line", "glyph_bar", "elevation"]
# the live SVG pictures (the glyph and index maps are canvas views: their static picture only)
LIVE = ["elevation"]


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


def _live(view) -> str:
    return view.picture.value


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


@pytest.mark.parametrize("name", LIVE)
def test_live_value_carries_the_scoped_theme_style(views, name):
    view = views[name]
    live = _live(view)
    assert live != view.to_svg()
    assert live.startswith("<svg ")  # still an SVG (Row / Column read such HTML children)
    root = ET.fromstring(live)  # well-formed
    assert "sw-themed" in root.get("class", "").split()
    assert root.get("width") == ET.fromstring(view.to_svg()).get("width")
    style = root.find("s:style", NS)
    assert style is not None and root[0] is style  # before everything it styles
    css = style.text
    # every rule is scoped to the widget's own SVG
    selectors = re.findall(r"([^{}]+)\{", css)
    assert selectors
    for group in selectors:
        for sel in group.split(","):
            assert ".somwidget-svg-picture svg.sw-themed" in sel, sel
    # the theme's colours, with today's colours as fallbacks
    assert "var(--jp-layout-color0, #ffffff)" in css
    for var in ("--jp-ui-font-color0", "--jp-ui-font-color2"):
        assert f"var({var}," in css
    # the background is classed; the picture underneath is unchanged
    bg = root.find("s:rect", NS)
    assert bg.get("class") == "background" and bg.get("fill") == "#ffffff"
    stripped = re.sub(r"<style>.*?</style>", "", live, count=1, flags=re.S)
    stripped = stripped.replace('<svg class="sw-themed" ', "<svg ", 1)
    stripped = stripped.replace('<rect class="background" ', "<rect ", 1)
    assert stripped == view.to_svg()


def test_live_style_themes_the_neutral_parts_and_leaves_data_colours(views):
    css = ET.fromstring(_live(views["elevation"])).find("s:style", NS).text
    rules = dict((s.strip(), body) for s, body in re.findall(r"([^{}]+)\{([^}]*)\}", css))
    text = "\n".join(f"{k} {{{v}}}" for k, v in rules.items())
    for cls in (".title", ".subtitle", ".index", ".rowcol", ".background", "polygon.cell",
                ".wrap-mark", "svg.sw-themed text {", ".colorbar-label", ".glyph-axis"):
        assert cls in text, cls
    # the empty cells only: data-coloured cells (and their contrast-chosen value labels, the
    # prisms, the glyph bars) are not restyled
    assert 'polygon.cell[fill="#f3f3f3"]' in text
    assert not re.search(r"\.cell\s*\{", text)
    for data in (".value", ".top", ".side", ".glyph-bar", ".marker"):
        assert data not in text, data


def test_live_value_follows_redraws(views):
    view = views["elevation"]
    sel = view.selection
    before = view.to_svg()
    sel.neurons = [1]
    try:
        live = _live(view)
        selected = {p.get("data-k") for p in ET.fromstring(live).iter(f"{{{NS['s']}}}polygon")
                    if "selected" in (p.get("class") or "").split()}
        assert selected == {"1"}, selected
        assert "sw-themed" in live and "<style>" in live
        assert view.to_svg() != before  # a new selection, a new static picture
        assert "<style" not in view.to_svg()
    finally:
        sel.neurons = [3, 7]
    assert view.to_svg() == before
