"""Feature choice shared by ComponentPlanes and CodebookGlyphMap, a one-feature line glyph, and
ElevationMap heights over a range that overflows float64."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.lattice import Lattice
from somwidget.widgets import CodebookGlyphMap, ComponentPlanes, ElevationMap

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def frame_som() -> SOM:
    X = pd.DataFrame(np.random.default_rng(1).normal(size=(40, 3)), columns=["a", "b", "c"])
    return SOM(mapsize=(3, 4), lattice="rect", random_state=0, epochs=2).fit(X)


VIEWS = [
    pytest.param(lambda som, f: ComponentPlanes(som, features=f).plane_names, id="planes"),
    pytest.param(lambda som, f: CodebookGlyphMap(som, features=f).feature_names, id="glyphs"),
]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("bad", [[True], [1.0], [None], 1.0, True, [b"a"], {"a": 1}])
def test_non_name_non_index_features_are_a_type_error_naming_features(frame_som, view, bad):
    with pytest.raises(TypeError, match="features"):
        view(frame_som, bad)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("bad", [["a", "a"], ["a", 0], ["A", "a"], [2, 2]])
def test_repeated_features_are_refused(frame_som, view, bad):
    with pytest.raises(ValueError, match="features must not repeat a feature"):
        view(frame_som, bad)


@pytest.mark.parametrize("view", VIEWS)
def test_both_views_match_names_by_the_same_rule(frame_som, view):
    assert view(frame_som, ["c", 0]) == ["c", "a"]
    assert view(frame_som, ["A", " b "]) == ["a", "b"]  # the one name equal up to case / spacing
    assert view(frame_som, "b") == ["b"]
    assert view(frame_som, np.int64(2)) == ["c"]
    with pytest.raises(ValueError, match="unknown feature 'z'; features must be one of 'a', 'b', 'c'"):
        view(frame_som, ["z"])
    with pytest.raises(ValueError, match="features must be at most 2"):
        view(frame_som, [3])
    with pytest.raises(ValueError, match="features must be at least 0"):
        view(frame_som, [-1])
    with pytest.raises(ValueError, match="features must name at least one feature"):
        view(frame_som, [])


@pytest.mark.parametrize("view", VIEWS)
def test_exact_name_wins_over_a_case_insensitive_one(view):
    X = pd.DataFrame(np.random.default_rng(2).normal(size=(30, 3)), columns=["a", "A", "b"])
    som = SOM(mapsize=(2, 3), random_state=0, epochs=1).fit(X)
    assert view(som, ["A"]) == ["A"]
    assert view(som, ["B"]) == ["b"]
    with pytest.raises(ValueError, match=r"features.*'a'.*'A'"):
        view(som, [" a "])  # two names match up to case / spacing: ambiguous


def test_one_feature_line_glyph_is_a_visible_level_tick():
    X = np.random.default_rng(0).normal(size=(30, 1))
    som = SOM(mapsize=(2, 3), lattice="rect", random_state=0, epochs=2).fit(X)
    gm = CodebookGlyphMap(som, kind="line")
    w = som.codebook_in_data_units()[:, 0]
    expected = (w - w.min()) / (w.max() - w.min())  # scaled by hand
    root = ET.fromstring(gm.to_picture().svg)
    glyphs = [g for g in root.iter(NS + "g") if g.get("class") == "glyph"]
    assert len(glyphs) == 6
    for g in glyphs:
        k, base, full = int(g.get("data-k")), float(g.get("data-base")), float(g.get("data-height"))
        left, width = float(g.get("data-left")), float(g.get("data-width"))
        (line,) = [e for e in g.iter(NS + "polyline")]
        pts = np.array([[float(v) for v in xy.split(",")] for xy in line.get("points").split()])
        assert pts.shape == (2, 2)  # two points: SVG draws a one-point polyline as nothing
        np.testing.assert_allclose(pts[:, 0], left + np.array([0.25, 0.75]) * width, atol=0.01)
        np.testing.assert_allclose((base - pts[:, 1]) / full, [expected[k]] * 2, atol=1e-3)


def test_elevation_heights_over_a_range_that_overflows():
    som = SOM(mapsize=(3, 4), lattice="rect", random_state=0).initialize(
        np.random.default_rng(0).normal(size=(20, 2)))
    v = np.r_[-1e308, np.full(11, 1e308)]
    em = ElevationMap(som, values=v)
    # by hand: b = -1e308, h = (v - b) / (v_max - b) -> 0 for the lowest, 1 for the rest
    np.testing.assert_allclose(em.heights / em.max_height, np.r_[0.0, np.ones(11)])
    v2 = np.r_[-1.5e308, 0.0, np.full(10, 1.5e308)]
    em2 = ElevationMap(som, values=v2)
    np.testing.assert_allclose(em2.heights / em2.max_height, np.r_[0.0, 0.5, np.ones(10)])
    # an ordinary range is unchanged: (v - min(0, vmin)) / (vmax - min(0, vmin))
    v3 = np.arange(12.0) - 3.0
    em3 = ElevationMap(som, values=v3)
    np.testing.assert_allclose(em3.heights / em3.max_height, (v3 + 3.0) / 11.0)


# ---- Lattice argument checks (grid distances by brute force over the plane coordinates)
@pytest.fixture
def lattice() -> Lattice:
    return Lattice(3, 4, "hexa")


def test_grid_distances_from_no_units_is_an_empty_block(lattice):
    out = lattice.grid_distances_squared_from([])
    assert out.shape == (0, 12)
    assert lattice.are_adjacent([], []).shape == (0,)
    xy = np.asarray(lattice.coordinates)
    brute = ((xy[[0, 5]][:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(lattice.grid_distances_squared_from([0, 5]), brute, atol=1e-12)
    np.testing.assert_allclose(lattice.grid_distances_squared_from(5), brute[1], atol=1e-12)


def test_grid_distances_from_a_2d_units_array_is_refused(lattice):
    with pytest.raises(ValueError, match=r"units must be a neuron index or a 1-D sequence.*\(2, 2\)"):
        lattice.grid_distances_squared_from([[0, 1], [2, 3]])


def test_are_adjacent_with_different_lengths_names_a_and_b(lattice):
    with pytest.raises(ValueError, match=r"a and b must have the same length.*\(2,\) and \(3,\)"):
        lattice.are_adjacent([0, 1], [1, 2, 3])
    xy = np.asarray(lattice.coordinates)
    b = np.arange(12)
    brute = np.isclose(((xy[0] - xy[b]) ** 2).sum(-1), 1.0)  # hex neighbours at distance 1
    np.testing.assert_array_equal(lattice.are_adjacent(0, b), brute)


@pytest.mark.parametrize("spacing", ["abc", "1.0x", True, [1.0], {}])
def test_from_dict_with_a_non_numeric_row_spacing_names_it(spacing):
    d = Lattice(3, 4, "rect").to_dict()
    d["row_spacing"] = spacing
    with pytest.raises(ValueError, match="row_spacing=.*not a number"):
        Lattice.from_dict(d)
