"""The glyph map and the index map are canvas lattice views: a refresh sends binary buffers and
small traits (never an SVG string), the glyphs' buffer is the per-feature scaling of the codebook
in data units, and the shared selection is linked in the browser (no redraw message)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from comm_helpers import RecordingComm
from ipywidgets.widgets.widget import _remove_buffers

from somwidget import SOM
from somwidget.widgets import CodebookGlyphMap, NeuronIndexMap, Selection
from somwidget.widgets.codecs import array_from_json


@pytest.fixture(scope="module")
def big_som():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 16)).astype(np.float32) * np.tile([1, 10, 100, 0.1], 4) + np.arange(16)
    som = SOM(mapsize=(50, 50), normalization="standard", random_state=0).initialize(X)
    return som, X


def frame_bytes(msg: tuple[dict, list]) -> int:
    data, buffers = msg
    return len(json.dumps(data).encode()) + sum(memoryview(b).nbytes for b in buffers)


def longest_string(obj) -> int:
    if isinstance(obj, str):
        return len(obj)
    if isinstance(obj, dict):
        return max((longest_string(v) for v in obj.values()), default=0)
    if isinstance(obj, (list, tuple)):
        return max((longest_string(v) for v in obj), default=0)
    return 0


def live_frame(view, som, X):
    """The one message a live refresh (the training callback) sends after an epoch."""
    view.comm = RecordingComm()
    som.fit(X, epochs=1)
    view(type("S", (), {"som": som, "final": True})())
    (msg,) = [m for m in view.comm.messages if m[0].get("method") == "update"]
    return msg


def independent_scaling(som: SOM) -> np.ndarray:
    w = np.asarray(som.codebook_in_data_units(), dtype=np.float64)
    return (w - w.min(axis=0)) / (w.max(axis=0) - w.min(axis=0))


def test_a_50x50_glyph_map_refresh_sends_the_scaled_codebook_as_one_float32_buffer(big_som):
    som, X = big_som
    gm = CodebookGlyphMap(som)
    try:
        msg = live_frame(gm, som, X)
        data, buffers = msg
        m, d = 2500, 16
        # no picture text: the largest string is a short trait (title, a feature name)
        assert longest_string(data) < 2_000
        # the scaled glyphs (m x d float32), the neutral cells' NaN values (m float32), a header
        assert frame_bytes(msg) <= 4 * m * d + 4 * m + 4_000, frame_bytes(msg)
        paths = [tuple(p) for p in data["buffer_paths"]]
        enc = dict(data["state"]["glyphs"])
        enc["buffer"] = buffers[paths.index(("glyphs", "buffer"))]
        glyphs = array_from_json(enc)
        assert glyphs.dtype == np.float32 and glyphs.shape == (m, d)
        np.testing.assert_allclose(glyphs, independent_scaling(som), atol=1e-6)
        # the tooltip's data units: lo + scaled * span gives the codebook back
        w = som.codebook_in_data_units()
        back = gm.glyph_lo + glyphs.astype(np.float64) * gm.glyph_span
        np.testing.assert_allclose(back, w, rtol=1e-6, atol=1e-6 * np.abs(w).max())
        assert gm.glyph_names == [str(n) for n in som.feature_names_in_]
    finally:
        gm.close()


def test_a_50x50_index_map_refresh_sends_no_text_per_neuron(big_som):
    som, X = big_som
    im = NeuronIndexMap(som, show_row_col=True)
    try:
        msg = live_frame(im, som, X)
        assert longest_string(msg[0]) < 2_000
        assert frame_bytes(msg) <= 4 * 2500 + 4_000, frame_bytes(msg)
        assert im.index_row_col is True and (im.rows, im.cols) == (50, 50)
    finally:
        im.close()


@pytest.mark.parametrize("make", [CodebookGlyphMap, NeuronIndexMap], ids=["glyphs", "indices"])
def test_the_widget_state_holds_no_picture(make, big_som):
    som, _ = big_som
    view = make(som)
    try:
        state, _, _ = _remove_buffers(view.get_state())
        state.pop("_esm", None)  # the front-end bundle, sent once when the widget opens
        assert longest_string(state) < 2_000
        assert len(json.dumps(state)) < 10_000
    finally:
        view.close()


@pytest.mark.parametrize("make", [CodebookGlyphMap, NeuronIndexMap], ids=["glyphs", "indices"])
def test_a_selection_change_is_linked_in_the_browser_and_the_picture_follows(make):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    som = SOM(mapsize=(4, 5), random_state=0).fit(X, epochs=1)
    sel = Selection([3])
    view = make(som, selection=sel)
    try:
        assert view.selection is sel  # the canvas resolves the shared selection itself
        view.comm = RecordingComm()
        sel.select([2, 7])
        assert not [m for m in view.comm.messages if m[0].get("method") == "update"]
        outlined = {int(k) for k in re.findall(r'<polygon class="selected" data-k="(\d+)"', view.to_svg())}
        assert outlined == {2, 7}
    finally:
        view.close()


@pytest.mark.parametrize("make", [CodebookGlyphMap, NeuronIndexMap], ids=["glyphs", "indices"])
def test_width_sizes_the_live_canvas_too(make):
    som = SOM(mapsize=(10, 10), random_state=0).initialize(np.random.default_rng(2).normal(size=(50, 3)))
    view = make(som, width=4000)
    try:
        # the browser's canvas gets the width: a synced trait, in the widget's state
        assert view.canvas_width == 4000.0
        assert view.get_state()["canvas_width"] == 4000.0
    finally:
        view.close()
    default = make(som)
    try:
        assert default.canvas_width == 0.0  # 0: the canvas fills its output's width
    finally:
        default.close()


@pytest.mark.parametrize("make", [CodebookGlyphMap, NeuronIndexMap], ids=["glyphs", "indices"])
@pytest.mark.parametrize(("bad", "error", "why"), [
    (0, ValueError, "must be > 0"), (-40, ValueError, "must be > 0"), (float("nan"), ValueError, "finite"),
    (float("inf"), ValueError, "finite"), ("wide", TypeError, "a number"), (True, TypeError, "a number"),
])
def test_a_bad_width_is_refused_naming_width(make, bad, error, why):
    som = SOM(mapsize=(3, 4), random_state=0).initialize(np.random.default_rng(2).normal(size=(50, 3)))
    with pytest.raises(error, match=rf"^width .*{why}"):
        make(som, width=bad)


def test_a_codebook_without_a_value_leaves_gaps_live_and_in_the_picture(recwarn):
    # a NaN in a constant feature and an all-NaN feature were drawn as a level tick at 0.5 (the
    # constant-feature rule overwrote the NaN), numpy warned "All-NaN slice", and the static
    # picture drew every NaN at 0
    X = np.random.default_rng(0).normal(size=(60, 3))
    som = SOM(mapsize=(2, 3), lattice="rect", random_state=0).fit(X, epochs=1)
    cb = som.codebook_.copy()
    cb[:, 1] = 2.5  # constant
    cb[3, 1] = np.nan
    cb[:, 2] = np.nan  # no value anywhere
    som.codebook_ = cb
    w0 = cb[:, 0]
    want = np.column_stack([(w0 - w0.min()) / (w0.max() - w0.min()), np.full(6, 0.5), np.full(6, np.nan)])
    want[3, 1] = np.nan
    for kind in ("line", "bar"):
        gm = CodebookGlyphMap(som, kind=kind)
        try:
            np.testing.assert_allclose(np.asarray(gm.glyphs, dtype=np.float64), want, rtol=1e-6)
            np.testing.assert_allclose(gm.scaled, want, rtol=1e-12)
            svg = gm.to_svg()
        finally:
            gm.close()
        import xml.etree.ElementTree as ET

        ns = "{http://www.w3.org/2000/svg}"
        glyphs = {g.get("data-k"): g for g in ET.fromstring(svg).iter(f"{ns}g") if g.get("class") == "glyph"}
        if kind == "bar":  # one bar per value: neuron 3 has feature 0 only, the others 0 and 1
            bars = {k: sorted(r.get("data-j") for r in g.iter(f"{ns}rect")) for k, g in glyphs.items()}
            assert bars == {str(k): (["0"] if k == 3 else ["0", "1"]) for k in range(6)}
        else:  # the line runs through the values there are: neuron 3's single value is a tick
            for k, g in glyphs.items():
                lines = [p.get("points").split() for p in g.iter(f"{ns}polyline")]
                assert [len(p) for p in lines] == [2], (k, lines)
                if k != "3":  # through features 0 and 1, at their heights
                    base, height = float(g.get("data-base")), float(g.get("data-height"))
                    ys = [float(p.split(",")[1]) for p in lines[0]]
                    np.testing.assert_allclose(ys, base - want[int(k), :2] * height, atol=0.01)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
