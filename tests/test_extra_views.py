"""HitHistogram, CodebookGlyphMap and NeuronIndexMap against independent computations."""

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
from somwidget.widgets import CodebookGlyphMap, HitHistogram, NeuronIndexMap, Selection  # noqa: E402
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
    h._throttle = Throttle(max_rate_hz=2.0, clock=lambda: now[0])
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
    assert gm.frame == f + 1
    outlined = {int(p.get("data-k")) for p in by_class(parse(gm.value), "polygon", "selected")}
    assert outlined == {2, 5, 7}
    gm.close()
    sel.clear()
    assert gm.frame == f + 1  # no longer observing


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
