"""The ElevationMap's live picture is a canvas: a refresh sends the values and heights as binary
float32 buffers (no SVG), turning it sends two numbers, and the angles the browser sets come back
to Python (sliders, static picture)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from comm_helpers import RecordingComm
from ipywidgets.widgets.widget import _remove_buffers
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.widgets import ElevationMap, Selection
from somwidget.widgets.live import paced_views


def _attach(em: ElevationMap) -> list[RecordingComm]:
    """A recording comm on the map and on every widget it shows (the picture, the sliders)."""
    comms = []
    for w in (em, em.picture, em.children[1], em.azimuth_slider, em.elevation_slider):
        w.comm = RecordingComm()
        comms.append(w.comm)
    return comms


def _sent(comms: list[RecordingComm]) -> list[tuple[dict, list]]:
    out = [m for c in comms for m in c.messages]
    for c in comms:
        c.messages.clear()
    return out


def _decoded(msg: tuple[dict, list], name: str) -> np.ndarray:
    data, buffers = msg
    paths = [tuple(p) for p in data["buffer_paths"]]
    enc = data["state"][name]
    buf = buffers[paths.index((name, "buffer"))]
    return np.frombuffer(memoryview(buf).tobytes(), dtype=enc["dtype"]).reshape(enc["shape"])


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.5, size=(150, 4)) for c in ([0, 0, 0, 0], [3, 1, 0, 2], [0, 3, 2, 1])])
    som = SOM(mapsize=(9, 11), lattice="hexa", random_state=0).fit(X, epochs=3)
    return som, X


def test_a_refresh_sends_hits_and_heights_as_float32_buffers_and_no_svg(fitted):
    som, X = fitted
    em = ElevationMap(som, X, values="umatrix", max_height=3.0)
    comms = _attach(em)
    em.refresh(values="hits")
    msgs = _sent(comms)
    text = json.dumps([m for m, _ in msgs])
    assert "<svg" not in text and "polygon" not in text
    (msg,) = [m for m in msgs if "heights" in m[0].get("state", {})]
    hits = np.bincount(cdist(X, som.codebook_).argmin(axis=1), minlength=99)  # counted independently
    values = _decoded(msg, "values")
    heights = _decoded(msg, "heights")
    assert values.dtype == np.float32 and heights.dtype == np.float32
    np.testing.assert_array_equal(values, hits)
    np.testing.assert_allclose(heights, hits / hits.max() * 3.0, rtol=1e-6)
    c = em.picture
    assert (c.rows, c.cols, c.shape, c.vmin, c.vmax) == (9, 11, "hexa", hits.min(), hits.max())
    # the JSON beside the two buffers is a header, whatever the map's size; so is the whole
    # state a browser receives when the view is displayed
    assert len(json.dumps(msg[0]).encode()) < 2_000
    full, _, buffers = _remove_buffers(em.picture.get_state())
    full.pop("_esm")  # the front-end code, sent once
    assert len(json.dumps(full).encode()) < 2_000
    assert sum(memoryview(b).nbytes for b in buffers) == 2 * 4 * 99  # values + heights, float32
    em.close()


def test_umatrix_values_travel_as_computed_from_the_codebook(fitted):
    som, _ = fitted
    em = ElevationMap(som, values=np.zeros(99), max_height=1.0)
    comms = _attach(em)
    em.refresh(values="umatrix")
    (msg,) = [m for m in _sent(comms) if "values" in m[0].get("state", {})]
    d = cdist(som.codebook_, som.codebook_)
    nb = np.isclose(cdist(som.lattice_.coordinates, som.lattice_.coordinates), 1.0)
    expected = (d * nb).sum(axis=1) / nb.sum(axis=1)
    np.testing.assert_allclose(_decoded(msg, "values"), expected, rtol=1e-6)
    np.testing.assert_allclose(_decoded(msg, "heights"), expected / expected.max(), rtol=1e-6)
    em.close()


def test_the_hits_travel_beside_other_values_for_the_tooltip_and_the_keyboard(fitted, tmp_path):
    """A U-matrix (or array) relief also sends each neuron's hits (float32), which the tooltip
    and the keyboard's live region say; a relief of the hits sends none (its values are them),
    nor does a model loaded from a file with no X to count."""
    som, X = fitted
    counted = np.bincount(cdist(X, som.codebook_).argmin(axis=1), minlength=99)  # independently
    em = ElevationMap(som, X)  # of the hits: none sent
    assert em.picture.hits.shape == (0,)
    comms = _attach(em)
    em.refresh(values="umatrix")
    (msg,) = [m for m in _sent(comms) if "hits" in m[0].get("state", {})]
    hits = _decoded(msg, "hits")
    assert hits.dtype == np.float32
    np.testing.assert_array_equal(hits, counted)
    em.close()
    # without X: the latest fit's data (the same samples here)
    em = ElevationMap(som, values=np.arange(99.0))
    np.testing.assert_array_equal(em.picture.hits, counted)
    em.close()
    som.save(tmp_path / "m.json")
    loaded = SOM.load(tmp_path / "m.json")
    em = ElevationMap(loaded, values="umatrix")
    assert em.picture.hits.shape == (0,)
    em.refresh(values=np.zeros(99))
    assert em.picture.hits.shape == (0,)
    em.close()
    em = ElevationMap(loaded, X, values="umatrix")
    np.testing.assert_array_equal(em.picture.hits, counted)
    em.close()


def test_training_frames_skip_the_hits_and_the_final_state_sends_them(fitted):
    """A live frame of a U-matrix relief sends no hits (a BMU pass per frame); the training's
    final state sends the hits of the final codebook."""
    from types import SimpleNamespace

    from somwidget.widgets.live import live_refresh

    som, X = fitted
    em = ElevationMap(som, X, values="umatrix")
    with live_refresh():
        em.refresh()
    assert em.picture.hits.shape == (0,)
    em(SimpleNamespace(som=som, final=True))
    counted = np.bincount(cdist(X, som.codebook_).argmin(axis=1), minlength=99)
    np.testing.assert_array_equal(em.picture.hits, counted)
    em.close()


def test_the_keys_are_written_in_the_docstring():
    """The keyboard's scheme, as the canvas's aria-label (js/src/elevation.ts) names it."""
    doc = " ".join(ElevationMap.__doc__.split())
    for words in ("Left / Right turn by 5°", "PageUp / PageDown by 15°", "Shift with an arrow key moves it",
                  "Home / End", "Enter or Space adds it to the shared selection or takes it out",
                  "Escape clears the selection", 'role="status"'):
        assert words in doc, words


def test_turning_sends_the_angles_only(fitted):
    som, X = fitted
    em = ElevationMap(som, X)
    comms = _attach(em)
    em.rotate(azimuth=120, elevation=55)
    em.azimuth_slider.value = 200.0
    msgs = _sent(comms)
    assert msgs
    for data, buffers in msgs:
        assert not buffers
        assert set(data["state"]) <= {"azimuth", "elevation", "value"}, data["state"]
        assert len(json.dumps(data).encode()) < 300
    assert (em.picture.azimuth, em.picture.elevation) == (200.0, 55.0)
    em.close()


def test_angles_set_in_the_browser_reach_python_and_the_static_picture(fitted):
    som, X = fitted
    sel = Selection()
    em = ElevationMap(som, X, azimuth=30, elevation=40, selection=sel)
    _attach(em)
    f = em.frame
    em.picture.set_state({"azimuth": 100.0, "elevation": 65.0})  # as a drag in the browser sends them
    assert (em.azimuth, em.elevation) == (100.0, 65.0)
    assert (em.azimuth_slider.value, em.elevation_slider.value) == (100.0, 65.0)
    assert em.frame == f + 1  # one new state for one update of both angles
    svg = em.to_svg()
    assert 'data-azimuth="100.0"' in svg and 'data-elevation="65.0"' in svg
    assert svg == ElevationMap(som, X, azimuth=100, elevation=65, selection=sel).to_svg()
    em.picture.set_state({"azimuth": 725.0, "elevation": 120.0})  # out of range: wrapped, clamped
    assert (em.azimuth, em.elevation) == (5.0, 90.0)
    # the browser's colour map picker: the static picture follows
    em.picture.set_state({"colormap": "magma"})
    assert em.colormap == "magma" and "elevation-colorbar-magma" in em.to_svg()
    em.close()


def test_the_canvas_acknowledges_frames_and_shares_the_selection(fitted):
    som, X = fitted
    sel = Selection([3])
    em = ElevationMap(som, X, selection=sel)
    assert paced_views(em) == [em.picture]  # the live back-pressure waits for the canvas
    assert em.picture.selection is sel  # resolved in the browser: a click there selects here
    frame = em.picture.frame
    em.refresh()
    assert em.picture.frame == frame + 1
    em.picture._handle_custom_msg({"drawn": em.picture.frame}, [])
    assert em.picture.pacer.drawn_frame == em.picture.frame
    canvas = em.picture
    em.close()
    assert canvas.comm is None  # closed with the map
    assert sel.comm is not None  # the shared selection stays open


def test_without_a_selection_the_view_makes_its_own_and_closes_it(fitted):
    som, X = fitted
    em = ElevationMap(som, X)
    sel = em.selection
    assert isinstance(sel, Selection) and em.picture.selection is sel  # the browser's clicks land here
    assert 'class="selected"' not in em.to_svg()
    sel.set_state({"neurons": [7]})  # a click on prism 7 in the browser
    assert sel.n_neurons == 99
    assert 'class="selected" data-k="7"' in em.to_svg()
    em.close()
    assert sel.comm is None  # the view's own selection goes with it
    shared = Selection()
    em = ElevationMap(som, X, selection=shared)
    assert em.selection is shared
    em.close()
    assert shared.comm is not None  # a caller's selection stays open


def _slider_front_end(slider, msgs: list[tuple[dict, list]]) -> None:
    """What a browser slider does with a value from the kernel: it snaps it to its step (with
    the float noise of ``round(v / step) * step``) and sends the snapped value back if it differs."""
    for data, _ in msgs:
        v = data.get("state", {}).get("value")
        if v is not None:
            snapped = round(v / slider.step) * slider.step
            if snapped != v:
                slider.set_state({"value": snapped})


@pytest.mark.parametrize(("azimuth", "elevation"), [(30.0, 49.0), (30.0, 63.4), (63.4, 12.34)])
def test_an_angle_from_the_browser_is_kept_as_sent_and_not_sent_back(fitted, azimuth, elevation):
    som, X = fitted
    em = ElevationMap(som, X, azimuth=10, elevation=20)
    _attach(em)
    em.picture.set_state({"azimuth": azimuth, "elevation": elevation})  # the end of a drag
    for slider in (em.azimuth_slider, em.elevation_slider):
        sent = list(slider.comm.messages)
        slider.comm.messages.clear()
        _slider_front_end(slider, sent)
    assert (em.azimuth, em.elevation) == (azimuth, elevation)
    assert (em.picture.azimuth, em.picture.elevation) == (azimuth, elevation)
    assert (em.azimuth_slider.value, em.elevation_slider.value) == (azimuth, elevation)
    back = [d for d, _ in em.picture.comm.messages
            if d.get("method") == "update" and {"azimuth", "elevation"} & set(d.get("state", {}))]
    assert back == []  # the canvas keeps the angle it drew
    svg = em.to_svg()
    assert f'data-azimuth="{azimuth}"' in svg and f'data-elevation="{elevation}"' in svg
    em.close()


def test_angles_are_hundredths_on_both_sides(fitted):
    som, X = fitted
    em = ElevationMap(som, X, azimuth=29.999999999999996, elevation=40.004)
    assert (em.azimuth, em.elevation) == (30.0, 40.0)
    em.azimuth_slider.value = 6 * 5.000000000000001  # a slider's float noise
    assert em.azimuth == 30.0
    em.rotate(azimuth=359.999, elevation=12.345678)
    assert (em.azimuth, em.elevation) == (0.0, 12.35)
    assert (em.picture.azimuth, em.picture.elevation) == (0.0, 12.35)
    em.close()


@pytest.fixture()
def published(monkeypatch):
    """Every display / update_display_data the IPython shell publishes."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    calls: list[dict] = []

    def publish(data, metadata=None, source=None, *, transient=None, update=False, **kw):
        calls.append({"data": data, "update": update})

    monkeypatch.setattr(shell.display_pub, "publish", publish)
    return calls


def _next_update(published: list[dict], n: int) -> dict:
    """The n-th picture update (1-based), waited for: the rate limit schedules it."""
    import time

    deadline = time.monotonic() + 30.0  # a guard against hanging only; nothing is timed
    while len([c for c in published if c["update"]]) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    updates = [c for c in published if c["update"]]
    assert len(updates) >= n, "the turned picture never reached the notebook's picture output"
    return updates[n - 1]


def test_turning_updates_the_notebooks_picture_output(fitted, published):
    from IPython.display import display

    som, X = fitted
    em = ElevationMap(som, X, azimuth=30, elevation=40)
    em.picture_interval_s = 0.05
    display(em)
    (first,) = [c for c in published if "text/html" in c["data"]]
    assert 'data-azimuth="30.0" data-elevation="40.0"' in first["data"]["text/html"]
    em.picture.set_state({"azimuth": 100.5, "elevation": 65.25})  # turned in the browser
    html = _next_update(published, 1)["data"]["text/html"]
    assert 'data-azimuth="100.5" data-elevation="65.25"' in html
    em.rotate(azimuth=200, elevation=10)  # turned from Python
    html = _next_update(published, 2)["data"]["text/html"]
    assert 'data-azimuth="200.0" data-elevation="10.0"' in html
    em.close()


def test_selecting_and_recolouring_update_the_notebooks_picture_output(fitted, published):
    from IPython.display import display

    som, X = fitted
    sel = Selection()
    em = ElevationMap(som, X, selection=sel)
    em.picture_interval_s = 0.05
    display(em)
    (first,) = [c for c in published if "text/html" in c["data"]]
    assert 'class="selected"' not in first["data"]["text/html"]
    sel.neurons = [3]  # a click in the browser, or Python
    html = _next_update(published, 1)["data"]["text/html"]
    assert html.count('class="selected" data-k="3"') == 2  # its halo and its outline
    em.picture.set_state({"colormap": "magma"})  # the legend's colour picker
    html = _next_update(published, 2)["data"]["text/html"]
    assert "elevation-colorbar-magma" in html
    em.close()


def test_refresh_to_a_map_of_other_features_draws_its_umatrix_without_the_old_data():
    """The view's X has 5 features; a map of 3 draws its U-matrix (no data needed) with no hit
    tooltip, instead of failing on X; asked for hits, it names the mismatch and keeps its state."""
    rng = np.random.default_rng(0)
    X5, X3 = rng.random((60, 5)), rng.random((60, 3))
    som5 = SOM((4, 4), random_state=0).fit(X5, epochs=2)
    som3 = SOM((3, 5), random_state=0).fit(X3, epochs=2)
    em = ElevationMap(som5, X5, values="umatrix")
    em.refresh(som=som3)
    W = som3.codebook_
    lat = som3.lattice_
    # the U-matrix from the codebook: mean distance to each unit's lattice neighbours
    expected = [np.mean([np.linalg.norm(W[i] - W[j]) for j in lat.neighbors(i)])
                for i in range(lat.n_neurons)]
    np.testing.assert_allclose(em.values, expected, rtol=1e-6)
    assert em._hits.size == 0
    hits_view = ElevationMap(som5, X5, values="hits")
    before = hits_view.values.copy()
    with pytest.raises(ValueError, match="X has 5 features"):
        hits_view.refresh(som=som3)
    np.testing.assert_array_equal(hits_view.values, before)
    em.close()
    hits_view.close()
