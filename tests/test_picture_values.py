"""Lattice pictures colour and label values correctly at any magnitude; pictures are valid XML;
views check ``max_rate_hz``, ``features`` and ``title`` up front.

Every expected colour is computed here from the values in float64, by hand:
``index = floor(clip((v - lo) / (hi - lo), 0, 1) * 255 + 0.5)`` with Python floats.
"""

from __future__ import annotations

import math
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.widgets import (
    ComponentPlanes,
    HitMap,
    LabelMap,
    LatticeView,
    QualityMap,
    UMatrix,
)
from somwidget.widgets.colormaps import colormap_table, hex_color, value_indices
from somwidget.widgets.elevation import ElevationMap
from somwidget.widgets.glyph_map import CodebookGlyphMap
from somwidget.widgets.index_map import NeuronIndexMap
from somwidget.widgets.input_space import InputSpaceView

CELL = re.compile(r'<polygon class="cell" data-k="(\d+)"[^>]*fill="([^"]+)"')
ENDS = re.compile(r'class="v(min|max)"[^>]*>([^<]*)<')


def hand_indices(values, lo: float, hi: float) -> list[int]:
    """Colour-table indices computed one value at a time with Python floats (NaN: -1)."""
    out = []
    for v in values:
        v = float(v)
        if math.isnan(v):
            out.append(-1)
            continue
        t = (v - lo) / (hi - lo) if hi > lo else 0.0
        out.append(math.floor(min(max(t, 0.0), 1.0) * 255 + 0.5))
    return out


def hand_fills(values, lo: float, hi: float, cmap: str = "viridis") -> list[str]:
    table = colormap_table(cmap)
    return [hex_color(table[i]) for i in hand_indices(values, lo, hi)]


def cell_fills(svg: str, n: int, plane: int = 0) -> list[str]:
    cells = CELL.findall(svg)[plane * n:(plane + 1) * n]
    assert [int(k) for k, _ in cells] == list(range(n))
    return [f for _, f in cells]


def end_labels(svg: str) -> list[tuple[str, str]]:
    return ENDS.findall(svg)


def assert_labels_close(svg: str, lo: float, hi: float, plane: int = 0) -> None:
    """The colour bar's ends read back as lo and hi, to 1 % of the range, and differ."""
    (k1, a), (k2, b) = end_labels(svg)[2 * plane:2 * plane + 2]
    assert (k1, k2) == ("min", "max")
    assert a != b
    for text, want in ((a, lo), (b, hi)):
        assert abs(float(text) - want) <= 0.01 * (hi - lo), (text, want)


@pytest.fixture(scope="module")
def offset_som():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"t": 1.7e9 + 30 * rng.normal(size=200), "v": rng.normal(size=200)})
    return SOM(mapsize=(4, 3), normalization="standard", random_state=0).fit(X, epochs=5), X


# ---- 1. values at a large offset ---------------------------------------------------------------
def test_component_plane_at_large_offset_is_coloured_in_float64(offset_som):
    som, _ = offset_som
    t = np.asarray(som.component_planes(), dtype=np.float64)[:, 0]
    lo, hi = float(np.min(t)), float(np.max(t))
    assert hi - lo > 1.0  # the plane has a real range ...
    assert np.float32(lo) == np.float32(hi) or len(set(np.float32(t))) < 6  # ... float32 loses it
    view = ComponentPlanes(som, features=["t"])
    svg = view.to_svg()
    assert cell_fills(svg, 12) == hand_fills(t, lo, hi)
    assert len(set(cell_fills(svg, 12))) > 3
    assert_labels_close(svg, lo, hi)
    # the browser gets what it needs to colour the same: float64 values, binary
    assert view.plane_values.dtype == np.float64
    np.testing.assert_array_equal(view.plane_values[0], t)
    assert view.vmins == [lo] and view.vmaxs == [hi]


def test_lattice_view_values_at_large_offset(offset_som):
    som, _ = offset_som
    v = 1.7e9 + np.arange(12.0)
    view = LatticeView(som, values=v)
    svg = view.to_svg()
    lo, hi = 1.7e9, 1.7e9 + 11.0
    assert cell_fills(svg, 12) == hand_fills(v, lo, hi)
    assert len(set(cell_fills(svg, 12))) == 12
    assert_labels_close(svg, lo, hi)
    assert view.values.dtype == np.float64 and view.values.tolist() == v.tolist()
    assert (view.vmin, view.vmax) == (lo, hi)
    # plain values stay float32 on the wire
    assert LatticeView(som, values=np.arange(12.0)).values.dtype == np.float32


def test_elevation_map_values_at_large_offset(offset_som):
    som, X = offset_som
    v = 1.7e9 + np.arange(12.0)
    view = ElevationMap(som, X, values=v)
    svg = view.to_svg()
    prisms = re.findall(r'<g class="prism" data-k="(\d+)".*?<polygon class="top"[^>]*fill="([^"]+)"', svg)
    tops = dict((int(k), f) for k, f in prisms)
    assert [tops[k] for k in range(12)] == hand_fills(v, 1.7e9, 1.7e9 + 11.0)
    lo, hi = 1.7e9, 1.7e9 + 11.0
    (_, a), (_, b) = end_labels(svg)[:2]
    assert a != b
    assert abs(float(a) - lo) <= 0.11 and abs(float(b) - hi) <= 0.11


def test_value_indices_match_hand_computation_at_any_magnitude():
    for lo, hi in ((1.7e9, 1.7e9 + 11), (0.0, 11e39), (-1e308, 1e308), (1e-320, 12e-320),
                   (3e-50, 14e-50), (-5.0, 6.0)):
        v = np.linspace(lo, hi, 12) if math.isfinite(hi - lo) else np.array([lo, 0.0, hi])
        want = hand_indices(v, lo, hi) if math.isfinite(hi - lo) else [0, 128, 255]
        assert value_indices(v, lo, hi).tolist() == want, (lo, hi)
    assert value_indices(np.array([np.nan, 1.0]), 0.0, 2.0).tolist() == [-1, 128]


# ---- 2. values beyond float32 range ------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e50, 1e-50])
def test_umatrix_beyond_float32_range(scale):
    rng = np.random.default_rng(0)
    som = SOM(mapsize=(4, 3), normalization="none", random_state=0).fit(
        rng.normal(size=(200, 2)) * scale, epochs=5)
    u = np.asarray(som.umatrix(), dtype=np.float64).ravel()
    lo, hi = float(u.min()), float(u.max())
    assert hi - lo < 0.2 * hi  # nearly constant: the scale is a span of 0.2 * hi around the values
    mid = lo / 2 + hi / 2
    lo, hi = max(0.0, mid - 0.1 * float(u.max())), max(0.0, mid - 0.1 * float(u.max())) + 0.2 * float(u.max())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = UMatrix(som)
        svg = view.to_svg()
    assert cell_fills(svg, 12) == hand_fills(u, lo, hi)
    assert_labels_close(svg, lo, hi)
    assert view.values.dtype == np.float64
    # a component plane of the same map
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = ComponentPlanes(som, features=[0]).to_svg()
    p = np.asarray(som.component_planes(), dtype=np.float64)[:, 0]
    assert cell_fills(svg, 12) == hand_fills(p, float(p.min()), float(p.max()))
    assert_labels_close(svg, float(p.min()), float(p.max()))


@pytest.mark.parametrize("scale", [1e39, 1e-50, 1e300])
def test_lattice_view_values_beyond_float32_range(offset_som, scale):
    som, _ = offset_som
    v = np.arange(12.0) * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = LatticeView(som, values=v)
        svg = view.to_svg()
    lo, hi = 0.0, 11.0 * scale
    assert cell_fills(svg, 12) == hand_fills(v, lo, hi)
    assert len(set(cell_fills(svg, 12))) == 12
    assert_labels_close(svg, lo, hi)
    assert view.values.dtype == np.float64 and (view.vmin, view.vmax) == (lo, hi)


# ---- 3. text that XML 1.0 forbids ---------------------------------------------------------------
def test_hitmap_labels_with_control_characters_and_surrogates_give_valid_xml(offset_som):
    som, X = offset_som
    for bad, shown in (("a\x0bb", "a\ufffdb"), ("a\ud800b", "a\ufffdb"),
                       ("a\x00\x1f\ufffeb", "a\ufffd\ufffd\ufffdb"), ("a\tb", "a\tb")):
        labels = np.array([bad, "c"] * (len(X) // 2), dtype=object)
        svg = HitMap(som, X, labels, label_overlay="majority").to_svg()
        svg.encode("utf-8")  # no lone surrogate
        root = ET.fromstring(svg)
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert shown in texts and "c" in texts


def test_component_plane_names_with_control_characters_give_valid_xml():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x\x0by": rng.normal(size=50), "z\x1b[0m": rng.normal(size=50)})
    som = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    svg = ComponentPlanes(som).to_svg()
    svg.encode("utf-8")
    root = ET.fromstring(svg)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
              if t.get("class") == "plane-title"]
    assert titles == ["x\ufffdy", "z\ufffd[0m"]


# ---- 4. max_rate_hz checked at construction -----------------------------------------------------
@pytest.mark.parametrize("bad", [0, -1.0, np.nan, float("inf"), "fast", None])
@pytest.mark.parametrize("make", [
    lambda som, X, r: UMatrix(som, max_rate_hz=r),
    lambda som, X, r: HitMap(som, X, max_rate_hz=r),
    lambda som, X, r: QualityMap(som, X, max_rate_hz=r),
    lambda som, X, r: ComponentPlanes(som, max_rate_hz=r),
    lambda som, X, r: LatticeView(som, values=np.arange(12.0), max_rate_hz=r),
    lambda som, X, r: LabelMap(som, X, np.array(["a", "b"] * 100), max_rate_hz=r),
], ids=["UMatrix", "HitMap", "QualityMap", "ComponentPlanes", "LatticeView", "LabelMap"])
def test_bad_max_rate_hz_is_refused_at_construction(offset_som, make, bad):
    som, X = offset_som
    with pytest.raises((ValueError, TypeError), match="max_rate_hz"):
        make(som, X, bad)


def test_cluster_map_refuses_bad_max_rate_hz(offset_som):
    from somwidget.widgets import ClusterMap

    som, _ = offset_som
    with pytest.raises(ValueError, match="max_rate_hz"):
        ClusterMap(som, n_clusters=2, max_rate_hz=0)


def test_good_max_rate_hz_is_kept(offset_som):
    som, _ = offset_som
    assert UMatrix(som, max_rate_hz=2).max_rate_hz == 2.0


# ---- 5. features: exact names first ------------------------------------------------------------
@pytest.fixture(scope="module")
def cased_som():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=80), "A": 100 + rng.normal(size=80),
                      " a": -100 + rng.normal(size=80), "Beta": rng.normal(size=80)})
    return SOM(mapsize=(3, 3), normalization="none", random_state=0).fit(X, epochs=2), X


@pytest.mark.parametrize("name, column", [("A", 1), ("a", 0), (" a", 2), ("beta", 3), (" BETA ", 3)])
def test_component_planes_pick_the_exact_column(cased_som, name, column):
    som, _ = cased_som
    view = ComponentPlanes(som, features=[name])
    assert view.plane_names == [list(som.feature_names_in_)[column]]
    np.testing.assert_allclose(view.plane_values[0], np.asarray(som.component_planes())[:, column],
                               rtol=1e-6)


@pytest.mark.parametrize("name", ["a ", "  A"])
def test_ambiguous_feature_names_are_refused(cased_som, name):
    som, X = cased_som
    with pytest.raises(ValueError, match=r"features.*'a'.*'A'"):
        ComponentPlanes(som, features=[name])
    with pytest.raises(ValueError, match=r"features.*'a'.*'A'"):
        InputSpaceView(som, X, features=[name, "Beta"])


def test_input_space_picks_the_exact_columns(cased_som):
    som, X = cased_som
    view = InputSpaceView(som, X, features=["A", " a"])
    assert view._resolve_features() == (1, 2)
    assert InputSpaceView(som, X, features=["beta", "a"])._resolve_features() == (3, 0)


# ---- 6. title must be a string ------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda som, X: ElevationMap(som, X, title=123),
    lambda som, X: CodebookGlyphMap(som, title=123),
    lambda som, X: NeuronIndexMap(som, title=123),
    lambda som, X: UMatrix(som, title=123),
    lambda som, X: HitMap(som, X, title=b"x"),
], ids=["ElevationMap", "CodebookGlyphMap", "NeuronIndexMap", "UMatrix", "HitMap"])
def test_non_string_title_is_a_type_error_naming_title(offset_som, make):
    som, X = offset_som
    with pytest.raises(TypeError, match="title"):
        make(som, X)


def test_string_titles_still_work(offset_som):
    som, X = offset_som
    assert "my map" in NeuronIndexMap(som, title="my map").to_svg()
    assert "my map" in CodebookGlyphMap(som, title="my map").to_svg()
    assert "my map" in ElevationMap(som, X, title="my map").to_svg()
