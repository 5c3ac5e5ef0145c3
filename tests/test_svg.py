"""Static SVG pictures: polygons, colours and geometry checked with xml.etree."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("anywidget")

from somwidget import SOM  # noqa: E402
from somwidget.widgets import ComponentPlanes, HitMap, LatticeView, Selection, UMatrix  # noqa: E402
from somwidget.widgets.colormaps import colormap_table  # noqa: E402
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "lattice.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)

NS = {"s": "http://www.w3.org/2000/svg"}


def _som(rows, cols, lattice, seed=0):
    X = np.random.default_rng(seed).normal(size=(40, 2))
    return SOM(mapsize=(rows, cols), lattice=lattice, random_state=seed).initialize(X), X


def _cells(svg: str):
    root = ET.fromstring(svg)
    return root, root.findall(".//s:polygon[@class='cell']", NS)


def _hex(rgb) -> str:
    return "#" + bytes(int(c) for c in rgb).hex()


@pytest.mark.parametrize("lattice,rows,cols", [("hexa", 5, 6), ("rect", 4, 7), ("toroidal_hexa", 4, 3)])
def test_one_polygon_per_neuron(lattice, rows, cols):
    som, X = _som(rows, cols, lattice)
    for view in (HitMap(som, X), UMatrix(som)):
        root, cells = _cells(view.to_svg())
        assert len(cells) == rows * cols
        assert sorted(int(c.get("data-k")) for c in cells) == list(range(rows * cols))


def test_fill_colours_equal_colormap_values():
    som, _ = _som(3, 4, "rect")
    values = np.linspace(0.0, 1.0, 12)
    values[5] = np.nan
    view = LatticeView(som, values=values, colormap="magma", title="Known values")
    _, cells = _cells(view.to_svg())
    table = colormap_table("magma")
    fills = {int(c.get("data-k")): c.get("fill") for c in cells}
    for k, v in enumerate(values):
        if np.isnan(v):
            assert fills[k] == "#d9d9d9"
        else:
            assert fills[k] == _hex(table[int(np.floor(v * 255 + 0.5))])
    assert fills[0] == _hex(table[0]) and fills[11] == _hex(table[255])


def test_hex_vertices_at_expected_coordinates():
    som, _ = _som(4, 5, "hexa")
    root, cells = _cells(UMatrix(som).to_svg())
    g = root.find(".//s:g[@class='plane']", NS)
    scale = float(g.get("data-scale"))
    r = 1 / math.sqrt(3)
    for c in cells:
        k = int(c.get("data-k"))
        row, col = divmod(k, 5)
        cx, cy = col + 0.5 * (row % 2), row * math.sqrt(3) / 2
        pts = np.array([[float(a) for a in p.split(",")] for p in c.get("points").split()])
        want = np.array([[cx + r * math.cos(a), cy + r * math.sin(a)]
                         for a in (math.pi / 3 * np.arange(6) - math.pi / 2)]) * scale
        np.testing.assert_allclose(pts, want, atol=0.006)
    # neighbouring hexagons share an edge: right neighbour of k=0 (x + 1) shares two vertices
    p0 = {tuple(np.round([float(a) for a in p.split(",")], 1)) for p in cells[0].get("points").split()}
    p1 = {tuple(np.round([float(a) for a in p.split(",")], 1)) for p in cells[1].get("points").split()}
    assert len(p0 & p1) == 2


def test_title_colorbar_selection_and_wrap_marks():
    som, X = _som(4, 6, "toroidal_hexa")
    sel = Selection([2, 7])
    view = HitMap(som, X, selection=sel)
    svg = view.to_svg()
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.findall(".//s:text", NS)]
    assert view.title in texts
    assert any("toroidal" in t for t in texts)
    hits = np.bincount(som.predict(X), minlength=24)
    assert root.find(".//s:text[@class='vmin']", NS).text == "0"
    assert root.find(".//s:text[@class='vmax']", NS).text == str(hits.max())
    outlined = {int(p.get("data-k")) for p in root.findall(".//s:polygon[@class='selected']", NS)}
    assert outlined == {2, 7}
    assert root.findall(".//*[@class='wrap-mark']", NS)
    flat_som, flat_X = _som(4, 6, "hexa")
    assert not ET.fromstring(HitMap(flat_som, flat_X).to_svg()).findall(".//*[@class='wrap-mark']", NS)


def test_size_mode_markers_scale_with_hits():
    som, X = _som(3, 3, "rect")
    view = HitMap(som, X, mode="size")
    root = ET.fromstring(view.to_svg())
    hits = np.bincount(som.predict(X), minlength=9)
    markers = root.findall(".//s:polygon[@class='marker']", NS)
    assert len(markers) == int((hits > 0).sum())
    scale = float(root.find(".//s:g[@class='plane']", NS).get("data-scale"))
    for m in markers:
        k = int(m.get("data-k"))
        pts = np.array([[float(a) for a in p.split(",")] for p in m.get("points").split()])
        area = np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]) / scale**2  # square marker area in plane units
        assert area == pytest.approx(hits[k] / hits.max(), abs=0.02)


def test_component_planes_small_multiples():
    som, _ = _som(3, 4, "hexa")
    view = ComponentPlanes(som)
    root = ET.fromstring(view.to_svg())
    assert len(root.findall(".//s:g[@class='plane']", NS)) == 2
    assert len(root.findall(".//s:polygon[@class='cell']", NS)) == 2 * 12


# ---- one hex geometry, pictures that know their own geometry -------------------------------------
def test_hex_geometry_has_one_home_shared_by_the_lattice_and_the_pictures():
    from somwidget import lattice as lat
    from somwidget.widgets.pictures import lattice as pic

    # neighbours in adjacent hex rows are exactly one unit apart; neighbouring cells share an edge
    assert math.isclose(lat.HEX_ROW_SPACING ** 2 + 0.5 ** 2, 1.0)
    assert math.isclose(2 * lat.HEX_CELL_RADIUS * math.cos(math.pi / 6), 1.0)
    assert not hasattr(pic, "ROW_SPACING") and not hasattr(pic, "HEX_RADIUS")  # no copies
    for kind, shape in (("hexa", "hexa"), ("rect", "rect"), ("toroidal_hexa", "hexa")):
        lattice = lat.Lattice(4, 5, kind)
        np.testing.assert_array_equal(lattice.coordinates, lat.plane_coordinates(4, 5, shape))
        np.testing.assert_array_equal(pic.lattice_centres(4, 5, shape), lattice.coordinates)
    # odd rows shifted right by half a unit, rows sqrt(3)/2 apart (docs/internals.md)
    xy = lat.plane_coordinates(2, 2, "hexa")
    np.testing.assert_allclose(xy, [[0, 0], [1, 0], [0.5, math.sqrt(3) / 2], [1.5, math.sqrt(3) / 2]])
    hexagon = pic.cell_vertices("hexa")
    np.testing.assert_allclose(np.hypot(*hexagon.T), lat.HEX_CELL_RADIUS)


@pytest.mark.parametrize("lattice", ["hexa", "toroidal_rect"])
def test_a_picture_reports_the_geometry_written_in_its_svg(lattice):
    som, X = _som(4, 5, lattice)
    views = (UMatrix(som), ComponentPlanes(som))
    for view in views:
        picture = view.to_picture()
        root = ET.fromstring(picture.svg)
        assert float(root.get("width")) == picture.width
        assert float(root.get("height")) == picture.height
        groups = root.findall(".//s:g[@class='plane']", NS)
        assert len(groups) == len(picture.planes) >= 1
        for g, geo in zip(groups, picture.planes, strict=True):
            assert (float(g.get("data-scale")), float(g.get("data-ox")), float(g.get("data-oy"))) == (
                geo.scale, geo.ox, geo.oy)
        view.close()
