"""show_values: each neuron's value written in its cell (GEMA's annotated heat maps)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM, ComponentPlanes, HitMap, UMatrix
from somwidget.widgets.colormaps import COLORMAPS, colormap_table, hex_color, text_color_on
from somwidget.widgets.selection import STATIC_DIR

if not (STATIC_DIR / "selection.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)

NS = "{http://www.w3.org/2000/svg}"
X = np.random.default_rng(8).normal(size=(300, 3))


def value_texts(svg: str) -> dict[int, ET.Element]:
    root = ET.fromstring(svg)
    return {int(e.get("data-k")): e for e in root.iter(NS + "text") if e.get("class") == "value"}


def test_hit_map_writes_the_hit_counts_in_the_cells():
    som = SOM((5, 6), random_state=0).fit(X, epochs=5)
    view = HitMap(som, X, show_values=True)
    assert view.show_values  # synced to the browser
    hits = np.bincount(cdist(X, som.codebook_).argmin(axis=1), minlength=30)
    texts = value_texts(view.to_svg())
    assert {k: int(e.text) for k, e in texts.items()} == dict(enumerate(hits.tolist()))
    view.show_values = False
    assert value_texts(view.to_svg()) == {}
    view.close()


def test_labels_are_black_or_white_for_contrast_and_skipped_on_tiny_cells():
    som = SOM((5, 6), random_state=0).fit(X, epochs=5)
    view = UMatrix(som, show_values=True)
    root = ET.fromstring(view.to_svg())
    fills = {int(e.get("data-k")): e.get("fill") for e in root.iter(NS + "polygon")
             if e.get("class") == "cell"}
    for k, e in value_texts(view.to_svg()).items():
        assert ("fill:#fff" in e.get("style")) == (text_color_on(fills[k]) == "#fff")
    big = SOM((60, 60), random_state=0).initialize(X)
    assert value_texts(UMatrix(big, show_values=True).to_svg()) == {}  # cells of ~6 px


def test_component_planes_label_every_plane_in_data_units():
    som = SOM((4, 5), normalization="standard", random_state=0).fit(X, epochs=3)
    view = ComponentPlanes(som, show_values=True)
    svg = view.to_svg()
    labels = [e for e in ET.fromstring(svg).iter(NS + "text") if e.get("class") == "value"]
    assert len(labels) == 3 * 20
    first_plane = [float(e.text) for e in labels[:20]]
    np.testing.assert_allclose(first_plane, som.codebook_in_data_units()[:, 0], rtol=5e-3)  # 3 digits


@pytest.mark.parametrize("name", COLORMAPS)
def test_text_colour_matches_the_front_end_rule(name):
    # the same expectations as js/test/colors.test.ts
    table = colormap_table(name)
    assert text_color_on(hex_color(table[0])) == "#fff"
    assert text_color_on(hex_color(table[255])) == "#000"
    assert text_color_on("#ffffff") == "#000" and text_color_on("#000000") == "#fff"


@pytest.mark.parametrize("value,text", [
    (3, "3"), (0, "0"), (0.8563, "0.856"), (1.4005, "1.4"), (1545.3, "1550"), (-0.5, "-0.5"),
    (123456.7, "1.2e5"), (123456, "1.2e5"), (0.00123, "1.2e-3"), (float("nan"), ""),
])
def test_label_format_matches_the_front_end(value, text):
    from somwidget.widgets.pictures.lattice import format_label

    assert format_label(value) == text  # the same cases as js/test/colors.test.ts


def test_long_labels_shrink_to_fit_or_are_left_out():
    from somwidget.widgets.pictures.lattice import Plane, render_svg

    fills = ["#000000"] * 4
    labels = ["1", "0.856", "-1.2e-3", "12345"]
    svg = render_svg([Plane(fills=fills, labels=labels)], rows=2, cols=2, shape="rect", width=60)
    texts = {int(e.get("data-k")): e for e in ET.fromstring(svg).iter(NS + "text")
             if e.get("class") == "value"}
    sizes = {k: float(e.get("style").split("font-size:")[1].split("px")[0]) for k, e in texts.items()}
    assert sizes[0] > sizes[1]  # the longer text is drawn smaller, to fit its cell
    assert all(s >= 7 for s in sizes.values())
    assert 2 not in texts  # too long for a cell of this size even at 7 px
