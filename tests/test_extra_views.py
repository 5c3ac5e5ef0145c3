"""HitHistogram, CodebookGlyphMap, NeuronIndexMap and ElevationMap against independent computations."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

pytest.importorskip("bqplot")

import somwidget  # noqa: E402
from somwidget import SOM  # noqa: E402
from somwidget.validation import NotFittedError  # noqa: E402
from somwidget.widgets import (  # noqa: E402
    CodebookGlyphMap,
    ElevationMap,
    HitHistogram,
    NeuronIndexMap,
    Selection,
)
from somwidget.widgets.live import Throttle  # noqa: E402
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "selection.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if e.get("class") == cls]


def plane_geometry(root: ET.Element) -> tuple[float, float, float]:
    (g,) = by_class(root, "g", "plane")
    return float(g.get("data-scale")), float(g.get("data-ox")), float(g.get("data-oy"))


def cell_centres_from_polygons(root: ET.Element) -> dict[int, np.ndarray]:
    """Centroid (page pixels) of every cell polygon drawn by the lattice renderer."""
    _, ox, oy = plane_geometry(root)
    out = {}
    for p in by_class(root, "polygon", "cell"):
        pts = np.array([[float(v) for v in xy.split(",")] for xy in p.get("points").split()])
        out[int(p.get("data-k"))] = pts.mean(axis=0) + [ox, oy]
    return out


def mimebundle(view) -> dict:
    bundle = view._repr_mimebundle_()
    return bundle[0] if isinstance(bundle, tuple) else bundle


def independent_bmus(som: SOM, X: np.ndarray) -> np.ndarray:
    Xt = som.normalizer_.transform(X)
    return cdist(Xt, som.codebook_).argmin(axis=1)


def independent_scaled(som: SOM, columns: list[int]) -> np.ndarray:
    cb = som.normalizer_.inverse_transform(som.codebook_)[:, columns]
    lo, hi = cb.min(axis=0), cb.max(axis=0)
    out = np.full(cb.shape, 0.5)
    ok = hi > lo
    out[:, ok] = (cb[:, ok] - lo[ok]) / (hi[ok] - lo[ok])
    return out


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(c, [0.4, 2.0, 10.0], size=(50, 3))
                   for c in ([0, 0, 0], [4, 0, 50], [0, 9, 20])])
    som = SOM(mapsize=(5, 6), lattice="hexa", normalization="standard", random_state=0).fit(X, epochs=4)
    return som, X


# ---- HitHistogram -------------------------------------------------------------------------------
def test_histogram_counts_match_bincount_of_cdist_bmus(data):
    som, X = data
    hits = np.bincount(independent_bmus(som, X), minlength=30)
    expected = np.bincount(hits)
    h = HitHistogram(som, X, max_bars=1000)
    np.testing.assert_array_equal(h.hits, hits)
    np.testing.assert_array_equal(h.neuron_counts, expected)
    np.testing.assert_array_equal(h.bin_from, np.arange(expected.size))
    np.testing.assert_array_equal(h.bin_to, np.arange(expected.size))
    np.testing.assert_array_equal(np.asarray(h._bars.y), expected)
    assert list(h._bars.x) == [str(k) for k in range(expected.size)]
    table = h.histogram()
    assert list(table.columns) == ["hits_from", "hits_to", "neurons"]
    assert table["neurons"].sum() == 30


def test_histogram_bins_large_ranges(data):
    som, X = data
    hits = np.bincount(independent_bmus(som, X), minlength=30)
    h = HitHistogram(som, X, max_bars=4)
    assert len(h.neuron_counts) <= 4
    assert h.bin_from[0] == 0 and h.bin_to[0] == 0  # dead neurons keep their own bar
    assert h.bin_to[-1] == hits.max()
    np.testing.assert_array_equal(h.bin_from[1:], h.bin_to[:-1] + 1)  # contiguous, no gaps
    for lo, hi, n in zip(h.bin_from, h.bin_to, h.neuron_counts, strict=True):
        assert n == np.sum((hits >= lo) & (hits <= hi))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=60), st.integers(2, 30))
def test_histogram_binning_property(hits, max_bars):
    hits = np.asarray(hits, dtype=np.int64)
    lo, hi, counts = HitHistogram._bin(hits, max_bars)
    assert len(counts) <= max_bars
    assert lo[0] == 0 and hi[-1] == hits.max()
    assert np.all(lo <= hi)
    np.testing.assert_array_equal(lo[1:], hi[:-1] + 1)
    expected = [np.sum((hits >= a) & (hits <= b)) for a, b in zip(lo, hi, strict=True)]
    np.testing.assert_array_equal(counts, expected)


def test_histogram_svg_bars(data):
    som, X = data
    h = HitHistogram(som, X)
    root = parse(h.to_svg())
    bars = by_class(root, "rect", "bar")
    assert [int(b.get("data-count")) for b in bars] == h.neuron_counts.tolist()
    heights = np.array([float(b.get("height")) for b in bars])
    top = h.neuron_counts.max()
    tallest = heights[h.neuron_counts == top][0]
    np.testing.assert_allclose(heights, h.neuron_counts / top * tallest, atol=0.02)
    assert "image/svg+xml" in mimebundle(h)


def _whole_distinct(values) -> list[int]:
    v = np.asarray(values, dtype=np.float64)
    assert v.size >= 2 and np.all(v == np.round(v)), v
    assert np.all(np.diff(v) > 0), v  # distinct, rising
    return [int(x) for x in v]


@pytest.mark.filterwarnings("ignore:the map has 2500 neurons")  # sparse on purpose: 2,400 empty
@pytest.mark.parametrize("mapsize", [(5, 6), (12, 12), (50, 50)])
def test_histogram_count_axis_ticks_are_distinct_whole_numbers(data, mapsize):
    # a neuron count is a whole number: a tick between two (d3's 0.5 steps for small counts,
    # formatted "d") repeated its neighbour's label, 4 4 3 3 2 2 ...
    _, X = data
    som = SOM(mapsize=mapsize, lattice="hexa", normalization="standard", random_state=0)
    som.fit(X, epochs=2)
    h = HitHistogram(som, X)
    top = int(h.neuron_counts.max())
    assert top >= (2000 if mapsize == (50, 50) else 2)
    axis = h.figure.axes[1]
    assert axis.scale is h._y and axis.tick_format == "d"
    ticks = _whole_distinct(axis.tick_values)
    assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 8
    assert h._y.min == 0 and h._y.max == ticks[-1]  # every tick in the domain, the top one too
    # the labels bqplot writes ("d" of a whole number) are those numbers, none repeated
    labels = [f"{t:d}" for t in ticks]
    assert len(set(labels)) == len(labels)
    # the static picture: the same ticks, each label once
    root = parse(h.to_svg())
    svg_labels = [t.text for t in by_class(root, "text", "ytick")]
    assert svg_labels == [str(t) for t in ticks], svg_labels
    h.close()


def test_histogram_count_ticks_follow_the_counts_live(data):
    _, X = data
    som = SOM(mapsize=(20, 20), lattice="hexa", normalization="standard", random_state=0)
    h = HitHistogram(som, X)  # initialised, not trained: a few busy neurons
    som.fit(X, epochs=3, callbacks=[h])
    ticks = _whole_distinct(h.figure.axes[1].tick_values)
    assert ticks[-1] >= h.neuron_counts.max() and h._y.max == ticks[-1]
    for top in (1, 2, 3, 4, 5, 7, 9, 11, 17, 99, 101, 999, 1001, 12345, 10**6 + 1):
        t = _whole_distinct(HitHistogram._count_ticks(top))
        assert t[0] == 0 and t[-1] >= top and len(t) <= 8, (top, t)
    h.close()


def test_histogram_live_callback_and_throttle(data):
    _, X = data
    som = SOM(mapsize=(4, 4), lattice="rect", random_state=1)
    h = HitHistogram(som, X)  # initialises the SOM from X
    f0 = h.frame
    som.fit(X, epochs=3, callbacks=[h])
    assert h.frame > f0
    hits = np.bincount(independent_bmus(som, X), minlength=16)
    np.testing.assert_array_equal(h.hits, hits)  # the final state is always drawn
    np.testing.assert_array_equal(h.neuron_counts, np.bincount(hits))

    now = [100.0]
    h.throttle = Throttle(max_rate_hz=2.0, clock=lambda: now[0])
    state = SimpleNamespace(som=som, final=False)
    f = h.frame
    assert h(state) is None
    h(state)  # same instant: throttled
    assert h.frame == f + 1
    h(SimpleNamespace(som=som, final=True))
    assert h.frame == f + 2
    now[0] += 1.0
    h(state)
    assert h.frame == f + 3


def test_histogram_bad_arguments(data):
    som, X = data
    with pytest.raises(ValueError, match="max_bars"):
        HitHistogram(som, X, max_bars=1)
    with pytest.raises(ValueError, match="X is required"):
        HitHistogram(som, None)
    with pytest.raises(ValueError, match="features"):
        HitHistogram(som, X[:, :2])
    with pytest.raises(TypeError, match="som must be a somwidget SOM"):
        HitHistogram("som", X)
    with pytest.raises(ValueError, match="max_rate_hz"):
        HitHistogram(som, X, max_rate_hz=0)


# ---- CodebookGlyphMap ---------------------------------------------------------------------------
@pytest.mark.parametrize("lattice", ["hexa", "rect", "toroidal_hexa"])
def test_one_glyph_per_neuron_at_the_cell_centre(data, lattice):
    _, X = data
    som = SOM(mapsize=(4, 5), lattice=lattice, random_state=0).fit(X, epochs=2)
    root = parse(CodebookGlyphMap(som).to_svg())
    scale, ox, oy = plane_geometry(root)
    glyphs = by_class(root, "g", "glyph")
    assert sorted(int(g.get("data-k")) for g in glyphs) == list(range(20))
    expected = som.lattice_.coordinates * scale + [ox, oy]
    polygons = cell_centres_from_polygons(root)
    for g in glyphs:
        k = int(g.get("data-k"))
        c = np.array([float(g.get("data-cx")), float(g.get("data-cy"))])
        np.testing.assert_allclose(c, expected[k], atol=1e-9)
        np.testing.assert_allclose(c, polygons[k], atol=0.02)
        # the glyph box is centred on the cell
        left, base = float(g.get("data-left")), float(g.get("data-base"))
        w, hgt = float(g.get("data-width")), float(g.get("data-height"))
        np.testing.assert_allclose([left + w / 2, base - hgt / 2], expected[k], atol=1e-9)


def test_bar_heights_follow_scaled_codebook(data):
    som, _ = data
    gm = CodebookGlyphMap(som, kind="bar")
    expected = independent_scaled(som, [0, 1, 2])
    np.testing.assert_allclose(gm.scaled, expected, atol=1e-12)
    root = parse(gm.to_svg())
    for g in by_class(root, "g", "glyph"):
        k, base, full = int(g.get("data-k")), float(g.get("data-base")), float(g.get("data-height"))
        bars = sorted(by_class(g, "rect", "glyph-bar"), key=lambda b: int(b.get("data-j")))
        assert len(bars) == 3
        heights = np.array([float(b.get("height")) for b in bars]) / full
        np.testing.assert_allclose(heights, expected[k], atol=1e-3)
        bottoms = np.array([float(b.get("y")) + float(b.get("height")) for b in bars])
        np.testing.assert_allclose(bottoms, base, atol=0.01)
    legend = [t.text for t in root.iter(NS + "text")]
    assert {"x0", "x1", "x2"} <= set(legend)


def test_line_points_follow_scaled_codebook_for_chosen_features(data):
    som, X = data
    # features by name and index, in the given order
    gm = CodebookGlyphMap(som, features=["x2", 0], kind="line")
    assert gm.feature_names == ["x2", "x0"]
    expected = independent_scaled(som, [2, 0])
    root = parse(gm.to_svg())
    for g in by_class(root, "g", "glyph"):
        k, base, full = int(g.get("data-k")), float(g.get("data-base")), float(g.get("data-height"))
        left, w = float(g.get("data-left")), float(g.get("data-width"))
        (line,) = by_class(g, "polyline", "glyph-line")
        pts = np.array([[float(v) for v in xy.split(",")] for xy in line.get("points").split()])
        np.testing.assert_allclose((base - pts[:, 1]) / full, expected[k], atol=1e-3)
        np.testing.assert_allclose(pts[:, 0], left + np.array([0.25, 0.75]) * w, atol=0.01)


def test_constant_feature_is_drawn_at_half_height():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=80), np.full(80, 3.0)])
    som = SOM(mapsize=(3, 3), normalization="none", random_state=0).fit(X, epochs=2)
    gm = CodebookGlyphMap(som, kind="bar")
    np.testing.assert_allclose(gm.scaled[:, 1], 0.5)
    np.testing.assert_allclose(gm.scaled[:, 0].min(), 0.0)
    np.testing.assert_allclose(gm.scaled[:, 0].max(), 1.0)


def test_glyph_map_outlines_the_shared_selection_and_follows_it(data):
    som, _ = data
    sel = Selection([2, 5])
    gm = CodebookGlyphMap(som, selection=sel)
    outlined = {int(p.get("data-k")) for p in by_class(parse(gm.to_svg()), "polygon", "selected")}
    assert outlined == {2, 5}
    f = gm.frame
    sel.add(7)
    assert gm.frame == f  # the canvas outlines the shared selection itself: no refresh
    outlined = {int(p.get("data-k")) for p in by_class(parse(gm.to_svg()), "polygon", "selected")}
    assert outlined == {2, 5, 7}
    gm.close()
    sel.clear()
    assert gm.frame == f


def test_glyph_map_refresh_follows_training(data):
    _, X = data
    som = SOM(mapsize=(3, 4), random_state=0).fit(X, epochs=1)
    gm = CodebookGlyphMap(som)
    som.fit(X, epochs=3)
    gm.refresh()
    np.testing.assert_allclose(gm.scaled, independent_scaled(som, [0, 1, 2]), atol=1e-12)
    assert mimebundle(gm)["image/svg+xml"] == gm.to_svg()


def test_glyph_map_non_invertible_normalisation_falls_back_to_training_space(data):
    _, X = data
    som = SOM(mapsize=(3, 3), normalization="l2", random_state=0).fit(X, epochs=1)
    gm = CodebookGlyphMap(som)
    cb = som.codebook_
    np.testing.assert_allclose(gm.scaled, (cb - cb.min(0)) / (cb.max(0) - cb.min(0)), atol=1e-12)
    assert "training space" in gm.to_svg()


def test_glyph_map_bad_arguments(data):
    som, _ = data
    with pytest.raises(ValueError, match="kind must be one of 'line', 'bar'"):
        CodebookGlyphMap(som, kind="pie")
    with pytest.raises(ValueError, match="unknown feature 'nope'"):
        CodebookGlyphMap(som, features=["nope"])
    with pytest.raises(ValueError, match="features must be at most 2"):
        CodebookGlyphMap(som, features=[3])
    with pytest.raises(ValueError, match="at least one feature"):
        CodebookGlyphMap(som, features=[])
    with pytest.raises(ValueError, match="must not repeat"):
        CodebookGlyphMap(som, features=[0, "x0"])
    with pytest.raises(TypeError, match="feature names or column indices"):
        CodebookGlyphMap(som, features=[1.5])
    with pytest.raises(TypeError, match="selection must be a somwidget Selection"):
        CodebookGlyphMap(som, selection=[1, 2])
    with pytest.raises(ValueError, match="width must be > 0"):
        CodebookGlyphMap(som, width=-3)
    with pytest.raises(NotFittedError, match="not initialised"):
        CodebookGlyphMap(SOM(mapsize=(3, 3)))
    with pytest.raises(TypeError, match="som must be a somwidget SOM"):
        CodebookGlyphMap(np.zeros((3, 3)))


# ---- NeuronIndexMap -----------------------------------------------------------------------------
@pytest.mark.parametrize("lattice", ["hexa", "rect", "cylindrical_hexa"])
def test_index_text_sits_at_the_centre_of_its_neuron(data, lattice):
    _, X = data
    som = SOM(mapsize=(4, 6), lattice=lattice, random_state=0).fit(X, epochs=1)
    root = parse(NeuronIndexMap(som).to_svg())
    scale, ox, oy = plane_geometry(root)
    texts = by_class(root, "text", "index")
    assert len(texts) == 24
    polygons = cell_centres_from_polygons(root)
    coords = som.lattice_.coordinates
    for t in texts:
        k = int(t.get("data-k"))
        assert t.text == str(k)
        xy = np.array([float(t.get("x")), float(t.get("y"))])
        np.testing.assert_allclose(xy, coords[k] * scale + [ox, oy], atol=0.01)
        np.testing.assert_allclose(xy, polygons[k], atol=0.02)
    # cross-reference with predict(): the text at the cell of sample 0's BMU names that BMU
    k0 = int(som.predict(X[:1])[0])
    assert k0 == int(independent_bmus(som, X[:1])[0])
    assert [t.text for t in texts if int(t.get("data-k")) == k0] == [str(k0)]


def test_index_map_row_col_and_selection(data):
    som, _ = data
    sel = Selection([0, 29])
    im = NeuronIndexMap(som, selection=sel, show_row_col=True)
    root = parse(im.to_svg())
    rc = {int(t.get("data-k")): t.text for t in by_class(root, "text", "rowcol")}
    assert rc == {k: f"{k // 6},{k % 6}" for k in range(30)}
    assert {int(p.get("data-k")) for p in by_class(root, "polygon", "selected")} == {0, 29}
    sel.select([11])
    assert {int(p.get("data-k")) for p in by_class(parse(im.to_svg()), "polygon", "selected")} == {11}
    assert "image/svg+xml" in mimebundle(im)


def test_index_map_bad_arguments(data):
    som, _ = data
    with pytest.raises(TypeError, match="show_row_col"):
        NeuronIndexMap(som, show_row_col="yes")
    with pytest.raises(TypeError, match="selection"):
        NeuronIndexMap(som, selection="all")
    with pytest.raises(NotFittedError):
        NeuronIndexMap(SOM(mapsize=(2, 2)))


def test_exported_lazily_from_the_package():
    assert somwidget.HitHistogram is HitHistogram
    assert somwidget.CodebookGlyphMap is CodebookGlyphMap
    assert somwidget.NeuronIndexMap is NeuronIndexMap
    assert somwidget.ElevationMap is ElevationMap


# ---- ElevationMap -------------------------------------------------------------------------------
def scene(root: ET.Element) -> tuple[float, float, float, float, float, float]:
    (g,) = by_class(root, "g", "scene")
    return tuple(float(g.get(a)) for a in ("data-scale", "data-ox", "data-oy", "data-azimuth",
                                          "data-elevation", "data-max-height"))


def polygon_points(p: ET.Element) -> np.ndarray:
    return np.array([[float(v) for v in xy.split(",")] for xy in p.get("points").split()])


def projected(points: np.ndarray, z: np.ndarray, coords: np.ndarray, s, ox, oy, az_deg, el_deg
              ) -> tuple[np.ndarray, np.ndarray]:
    """The documented projection, written out again: screen (x, y) and depth Y_r of ground
    ``points`` lifted to ``z``, rotating about the middle of the bounding box of ``coords``."""
    c = (coords.min(axis=0) + coords.max(axis=0)) / 2
    coords = points
    u, v = coords[:, 0] - c[0], coords[:, 1] - c[1]
    a, e = np.radians(az_deg), np.radians(el_deg)
    xr = u * np.cos(a) - v * np.sin(a)
    yr = u * np.sin(a) + v * np.cos(a)
    return np.column_stack([ox + s * xr, oy + s * (yr * np.sin(e) - z * np.cos(e))]), yr


@pytest.mark.parametrize(("lattice", "azimuth", "elevation"),
                         [("hexa", 30, 40), ("rect", 135, 25), ("toroidal_hexa", 250, 70)])
def test_elevation_prisms_sit_at_the_projection_of_their_neuron(data, lattice, azimuth, elevation):
    _, X = data
    som = SOM(mapsize=(4, 5), lattice=lattice, random_state=0).fit(X, epochs=2)
    em = ElevationMap(som, X, azimuth=azimuth, elevation=elevation, max_height=2.5)
    root = parse(em.to_svg())
    s, ox, oy, az, el, hmax = scene(root)
    assert (az, el, hmax) == (azimuth, elevation, 2.5)
    hits = np.bincount(independent_bmus(som, X), minlength=20)
    heights = hits / hits.max() * 2.5
    coords = som.lattice_.coordinates
    expected, depth = projected(coords, heights, coords, s, ox, oy, azimuth, elevation)
    prisms = by_class(root, "g", "prism")
    assert len(prisms) == 20
    assert sorted(int(g.get("data-k")) for g in prisms) == list(range(20))
    n_sides = 6 if lattice.endswith("hexa") else 4
    for g in prisms:
        k = int(g.get("data-k"))
        (top,) = by_class(g, "polygon", "top")
        pts = polygon_points(top)
        assert len(pts) == n_sides
        np.testing.assert_allclose(pts.mean(axis=0), expected[k], atol=0.01)  # affine: centroid maps to centre
        np.testing.assert_allclose(float(g.get("data-height")), heights[k], rtol=1e-12)
        np.testing.assert_allclose(float(g.get("data-depth")), depth[k], atol=1e-9)
        # top-face corners: the footprint (pointy-top hexagon of circumradius 1/sqrt(3), or the unit
        # square) around the neuron, lifted to h_k
        if n_sides == 6:
            ang = np.radians(-90 + 60 * np.arange(6))
            foot = np.column_stack([np.cos(ang), np.sin(ang)]) / np.sqrt(3)
        else:
            foot = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
        corners, _ = projected(coords[k] + foot, np.full(n_sides, heights[k]), coords,
                               s, ox, oy, azimuth, elevation)
        np.testing.assert_allclose(np.sort(pts, axis=0), np.sort(corners, axis=0), atol=0.01)
    # painter's algorithm: far (small Y_r) first
    order = [int(g.get("data-k")) for g in prisms]
    assert np.all(np.diff(depth[order]) >= -1e-9)


def test_elevation_heights_proportional_to_cdist_hits_and_umatrix(data):
    som, X = data
    hits = np.bincount(independent_bmus(som, X), minlength=30)
    em = ElevationMap(som, X, max_height=4.0)
    np.testing.assert_array_equal(em.values, hits)
    np.testing.assert_allclose(em.heights, hits / hits.max() * 4.0, rtol=1e-12)
    assert (em.vmin, em.vmax) == (hits.min(), hits.max())
    # U-matrix: mean codebook distance to the lattice neighbours (scipy, independent of analysis.py)
    um = ElevationMap(som, values="umatrix", max_height=1.0)
    d = cdist(som.codebook_, som.codebook_)
    gd = cdist(som.lattice_.coordinates, som.lattice_.coordinates)
    nb = np.isclose(gd, 1.0)
    expected = (d * nb).sum(axis=1) / nb.sum(axis=1)
    np.testing.assert_allclose(um.values, expected, rtol=1e-9)
    np.testing.assert_allclose(um.heights, expected / expected.max(), rtol=1e-9)
    # a given array: negative values lift the base to their minimum; NaN is flat and grey
    v = np.linspace(-1.0, 2.0, 30)
    v[3] = np.nan
    arr = ElevationMap(som, values=v.reshape(5, 6), max_height=3.0)
    np.testing.assert_allclose(arr.heights, np.nan_to_num((v + 1.0) / 3.0 * 3.0, nan=0.0), atol=1e-12)
    root = parse(arr.to_svg())
    (g3,) = [g for g in by_class(root, "g", "prism") if g.get("data-k") == "3"]
    assert by_class(g3, "polygon", "side") == []
    assert by_class(g3, "polygon", "top")[0].get("fill") == "#d9d9d9"


def test_elevation_side_faces_face_the_viewer_and_are_darker(data):
    som, X = data
    em = ElevationMap(som, X, azimuth=0, elevation=30)
    root = parse(em.to_svg())
    for g in by_class(root, "g", "prism"):
        sides = by_class(g, "polygon", "side")
        if float(g.get("data-height")) == 0:
            assert sides == []
            continue
        # azimuth 0, pointy-top hexagons: the two lower slanted edges face +y (the viewer); the
        # vertical edges are seen edge-on and are not drawn
        assert len(sides) == 2
        top = by_class(g, "polygon", "top")[0].get("fill")
        lum = [sum(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in [top] + [p.get("fill") for p in sides]]
        assert all(x <= lum[0] for x in lum[1:])
        for p in sides:  # vertical faces: two corners at the base, two straight above them
            pts = polygon_points(p)
            np.testing.assert_allclose(pts[0, 0], pts[3, 0], atol=0.01)
            np.testing.assert_allclose(pts[1, 0], pts[2, 0], atol=0.01)
            assert pts[3, 1] < pts[0, 1]


def test_elevation_selection_outline_on_top_and_follows(data):
    som, X = data
    sel = Selection([4, 17])
    em = ElevationMap(som, X, selection=sel)
    root = parse(em.to_svg())
    (g,) = by_class(root, "g", "scene")
    children = list(g)
    outlines = by_class(root, "polygon", "selected")
    assert {int(p.get("data-k")) for p in outlines} == {4, 17}
    last_prism = max(i for i, c in enumerate(children) if c.get("class") == "prism")
    assert all(children.index(p) > last_prism for p in outlines)  # drawn after every prism
    tops = {int(p.get("data-k")): polygon_points(by_class(p, "polygon", "top")[0])
            for p in by_class(root, "g", "prism")}
    for p in outlines:
        np.testing.assert_allclose(polygon_points(p), tops[int(p.get("data-k"))])
    f = em.frame
    sel.select([9])
    assert em.frame == f + 1
    assert {int(p.get("data-k")) for p in by_class(parse(em.to_svg()), "polygon", "selected")} == {9}
    em.close()
    sel.clear()
    assert em.frame == f + 1


def test_elevation_rotation_changes_the_picture_and_wraps_at_360(data):
    som, X = data
    em = ElevationMap(som, X, azimuth=0, elevation=40)
    a0 = em.to_svg()
    f = em.frame
    em.azimuth_slider.value = 90.0  # the slider redraws
    assert em.frame == f + 1 and em.to_svg() != a0
    assert scene(parse(em.to_svg()))[3] == 90.0
    em.rotate(azimuth=360)
    assert em.frame == f + 2  # one redraw for one rotate()
    assert em.azimuth == 0.0 and em.to_svg() == a0
    em.rotate(azimuth=720 + 45, elevation=40)
    assert em.to_svg() == ElevationMap(som, X, azimuth=45, elevation=40).to_svg()
    em.rotate(elevation=75)
    assert em.to_svg() != a0 and em.elevation == 75.0
    # seen from straight above at azimuth 0 the tops are the flat map: centres = s * (x, y) + offset
    em.rotate(azimuth=0, elevation=90)
    root = parse(em.to_svg())
    s, ox, oy, *_ = scene(root)
    coords = som.lattice_.coordinates
    c = (coords.min(axis=0) + coords.max(axis=0)) / 2
    for g in by_class(root, "g", "prism"):
        k = int(g.get("data-k"))
        assert by_class(g, "polygon", "side") == []
        np.testing.assert_allclose([float(g.get("data-cx")), float(g.get("data-cy"))],
                                   (coords[k] - c) * s + [ox, oy], atol=1e-9)


def test_elevation_refresh_callback_and_mimebundle(data):
    _, X = data
    som = SOM(mapsize=(4, 4), lattice="rect", random_state=1)
    em = ElevationMap(som, X)  # initialises the SOM from X
    f0 = em.frame
    som.fit(X, epochs=3, callbacks=[em])
    assert em.frame > f0
    np.testing.assert_array_equal(em.values, np.bincount(independent_bmus(som, X), minlength=16))
    now = [50.0]
    em.throttle = Throttle(max_rate_hz=2.0, clock=lambda: now[0])
    state = SimpleNamespace(som=som, final=False)
    f = em.frame
    assert em(state) is None
    em(state)
    assert em.frame == f + 1
    em(SimpleNamespace(som=som, final=True))
    assert em.frame == f + 2
    other = SOM(mapsize=(3, 5), lattice="hexa", random_state=0).fit(X, epochs=1)
    em.refresh(other)
    assert len(by_class(parse(em.to_svg()), "g", "prism")) == 15
    assert mimebundle(em)["image/svg+xml"] == em.to_svg()
    assert "Elevation map of the hits" in em.to_svg()


def test_elevation_bad_arguments(data):
    som, X = data
    with pytest.raises(ValueError, match="values must be one of 'hits', 'umatrix'"):
        ElevationMap(som, X, values="height")
    with pytest.raises(ValueError, match=r"values must have one entry per neuron: shape \(30,\)"):
        ElevationMap(som, values=np.ones(7))
    with pytest.raises(TypeError, match="values must be 'hits', 'umatrix' or an array"):
        ElevationMap(som, values=["a", "b"])
    with pytest.raises(ValueError, match="values must be finite"):
        ElevationMap(som, values=np.full(30, np.inf))
    with pytest.raises(ValueError, match=r"elevation must be in \[0, 90\]"):
        ElevationMap(som, X, elevation=120)
    with pytest.raises(ValueError, match="elevation must be >= 0"):
        ElevationMap(som, X, elevation=-5)
    with pytest.raises(TypeError, match="azimuth must be a number"):
        ElevationMap(som, X, azimuth="north")
    with pytest.raises(ValueError, match="width must be > 0"):
        ElevationMap(som, X, width=0)
    with pytest.raises(ValueError, match="max_height must be > 0"):
        ElevationMap(som, X, max_height=-1)
    with pytest.raises(ValueError, match="colormap must be one of"):
        ElevationMap(som, X, colormap="jet")
    with pytest.raises(TypeError, match="selection must be a somwidget Selection"):
        ElevationMap(som, X, selection=[1])
    with pytest.raises(NotFittedError, match="not initialised"):
        ElevationMap(SOM(mapsize=(3, 3)), values="umatrix")
    em = ElevationMap(som, values=np.arange(30.0))
    with pytest.raises(ValueError, match="elevation must be in"):
        em.rotate(elevation=91)
    with pytest.raises(ValueError, match="one entry per neuron"):
        em.refresh(SOM(mapsize=(2, 2), random_state=0).fit(X, epochs=1))


@pytest.mark.parametrize("width", [260.0, 300.0, 640.0])
def test_elevation_colour_bar_caption_fits_the_picture(data, width):
    """The caption under the colour bar wraps onto more lines where the picture is narrow: every
    line fits the width at a generous 0.6 em per character, and the picture is tall enough."""
    import re

    som, _ = data
    svg = ElevationMap(som, values="umatrix", width=width).to_svg()
    total_w, total_h = (float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups())
    lines = re.findall(r'<text class="colorbar-label" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg)
    assert lines
    words = " ".join(t for _, _, t in lines)
    assert words.startswith("mean distance to the lattice neighbours (U-matrix)") and "value" in words
    for x, y, text in lines:
        assert float(x) + len(text) * 11 * 0.6 <= total_w, (width, text)
        assert float(y) + 4 <= total_h, (width, text, y, total_h)
    if width >= 640:
        assert len(lines) == 1
