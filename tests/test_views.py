"""Lattice views: widget state and binary payloads against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

pytest.importorskip("anywidget")

from comm_helpers import RecordingComm

from somwidget import SOM  # noqa: E402
from somwidget.widgets import (  # noqa: E402
    ComponentPlanes,
    HitMap,
    LabelMap,
    LatticeView,
    QualityMap,
    Selection,
    UMatrix,
)
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "lattice.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)


DummyComm = RecordingComm


def f32(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<f4")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(c, 0.5, size=(60, 3)) for c in ([0, 0, 0], [4, 0, 1], [0, 4, 2])])
    labels = np.repeat(["a", "b", "c"], 60)
    som = SOM(mapsize=(5, 7), lattice="hexa", normalization="none", random_state=0).fit(X, epochs=4)
    return som, X, labels


def bmus_of(som, X):
    """Independent BMUs: scipy cdist against the codebook (normalization='none')."""
    return cdist(X, som.codebook_).argmin(axis=1)


def test_hitmap_payload_matches_independent_hits(data):
    som, X, _ = data
    hm = HitMap(som, X)
    want = np.bincount(bmus_of(som, X), minlength=35)
    got = f32(hm.values)
    assert got.dtype == np.float32 and got.shape == (35,)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, som.hit_counts(X))
    assert (hm.rows, hm.cols, hm.shape) == (5, 7, "hexa")
    assert (hm.vmin, hm.vmax) == (0.0, float(want.max()))
    assert hm.frame == 1 and hm._view == "hits"
    assert isinstance(hm, LatticeView)


def test_hitmap_size_mode_and_majority_overlay(data):
    som, X, labels = data
    hm = HitMap(som, X, labels, mode="size", label_overlay="majority")
    b = bmus_of(som, X)
    hits = np.bincount(b, minlength=35)
    # sizes are values / vmax: not sent, the browser derives them (and the picture draws them)
    assert f32(hm.sizes).size == 0
    np.testing.assert_allclose(hm._state["sizes"], hits / hits.max(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(hm.values) / hm.vmax, hits / hits.max(), rtol=1e-6)
    assert hm.draw_style == "size"
    table = pd.crosstab(b, labels).reindex(range(35), fill_value=0)
    majority = np.where(hits > 0, table.to_numpy().argmax(axis=1), -1)
    assert hm.categories.dtype == np.int8  # codes -1..2 travel as one byte each
    np.testing.assert_array_equal(hm.categories, majority)
    assert hm.category_names == ["a", "b", "c"]
    assert hm.legend == "categories"


def test_hitmap_proportion_overlay(data):
    som, X, labels = data
    hm = HitMap(som, X, labels, label_overlay="proportion", label="b")
    b = bmus_of(som, X)
    hits = np.bincount(b, minlength=35)
    nb = np.bincount(b[labels == "b"], minlength=35)
    with np.errstate(invalid="ignore"):
        want = nb / hits
    np.testing.assert_allclose(f32(hm.values), want, rtol=1e-6, equal_nan=True)
    assert (hm.vmin, hm.vmax) == (0.0, 1.0)


def test_hitmap_argument_errors(data):
    som, X, labels = data
    with pytest.raises(ValueError, match="mode must be one of"):
        HitMap(som, X, mode="area")
    with pytest.raises(ValueError, match="label_overlay must be one of"):
        HitMap(som, X, labels, label_overlay="most")
    with pytest.raises(ValueError, match="needs labels"):
        HitMap(som, X, label_overlay="majority")
    with pytest.raises(ValueError, match="label must be one of"):
        HitMap(som, X, labels, label_overlay="proportion", label="zzz")
    with pytest.raises(ValueError, match="colormap must be one of"):
        HitMap(som, X, colormap="jet")
    with pytest.raises(TypeError, match="selection must be"):
        HitMap(som, X, selection=[1, 2])
    with pytest.raises(ValueError, match="labels has 3 entries"):
        HitMap(som, X, ["a", "b", "c"])


def _umatrix_independent(som) -> np.ndarray:
    rows, cols = som.lattice_.rows, som.lattice_.cols
    r, c = np.divmod(np.arange(rows * cols), cols)
    xy = np.column_stack([c + 0.5 * (r % 2), r * math.sqrt(3) / 2])
    adj = np.isclose(cdist(xy, xy), 1.0)
    d = cdist(som.codebook_, som.codebook_)
    return (d * adj).sum(axis=1) / adj.sum(axis=1)


def test_umatrix_payload(data):
    som, _, _ = data
    um = UMatrix(som)
    want = _umatrix_independent(som)
    np.testing.assert_allclose(f32(um.values), want, rtol=1e-5)
    assert um.vmin == pytest.approx(want.min(), rel=1e-5)
    assert um.vmax == pytest.approx(want.max(), rel=1e-5)
    assert um._view == "umatrix"


def test_quality_map_payload(data):
    som, X, _ = data
    qm = QualityMap(som, X)
    b = bmus_of(som, X)
    d = np.linalg.norm(X - som.codebook_[b], axis=1)
    hits = np.bincount(b, minlength=35)
    with np.errstate(invalid="ignore"):
        want = np.bincount(b, weights=d, minlength=35) / hits
    np.testing.assert_allclose(f32(qm.values), want, rtol=1e-5, equal_nan=True)


def test_label_map_tooltip_counts(data):
    som, X, labels = data
    lm = LabelMap(som, X, labels)
    b = bmus_of(som, X)
    # fields whose array is `values` travel once, as values (no row of their own)
    names = [f["name"] for f in lm.tooltip_fields if f.get("source") not in ("values", "categories")]
    assert lm.tooltip_values.dtype.kind in "iu"  # whole counts travel as integers
    tips = np.asarray(lm.tooltip_values).reshape(len(names), 35)
    for cls in "abc":
        np.testing.assert_array_equal(tips[names.index(cls)], np.bincount(b[labels == cls], minlength=35))
    assert lm._view == "labels"


def test_component_planes_in_data_units():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"height": rng.normal(170, 10, 80), "weight": rng.normal(70, 8, 80),
                      "age": rng.uniform(20, 60, 80)})
    som = SOM(mapsize=(4, 5), lattice="rect", normalization="standard", random_state=0).fit(X, epochs=3)
    cp = ComponentPlanes(som)
    assert cp.plane_names == ["height", "weight", "age"]
    planes = f32(cp.plane_values).reshape(3, 20)
    # back to data units by hand: standard scaling undone with the data's own mean / std
    mean, std = X.mean().to_numpy(), X.std(ddof=0).to_numpy()
    np.testing.assert_allclose(planes.T, som.codebook_ * std + mean, rtol=1e-4)
    assert cp.vmins == pytest.approx(list(planes.min(axis=1)))
    sub = ComponentPlanes(som, features=["age", 0])
    assert sub.plane_names == ["age", "height"]
    with pytest.raises(ValueError, match="features must be one of"):
        ComponentPlanes(som, features=["shoe size"])


def test_one_message_per_refresh_with_binary_buffers(data):
    som, X, _ = data
    hm = HitMap(som, X)
    comm = DummyComm()
    hm.comm = comm
    frame = hm.frame
    hm.refresh()  # same SOM: only the frame counter changes, still one message
    som2 = SOM(mapsize=(5, 7), lattice="hexa", normalization="none", random_state=1).fit(X, epochs=1)
    hm.refresh(som=som2, bmus=bmus_of(som2, X))
    assert len(comm.messages) == 2
    assert comm.messages[0][0]["state"] == {"frame": frame + 1}
    msg, buffers = comm.messages[-1]
    assert msg["method"] == "update"
    assert msg["state"]["frame"] == frame + 2
    np.testing.assert_array_equal(f32(hm.values), np.bincount(bmus_of(som2, X), minlength=35))
    # float32 values travel as a binary buffer of the ndarray codec: {dtype, shape, buffer}
    assert ["values", "buffer"] in msg["buffer_paths"]
    assert msg["state"]["values"] == {"dtype": "float32", "shape": [35]}
    buf = buffers[msg["buffer_paths"].index(["values", "buffer"])]
    assert len(buf) == 35 * 4
    np.testing.assert_array_equal(np.frombuffer(buf, "<f4"), np.bincount(bmus_of(som2, X), minlength=35))


def test_views_share_one_selection_and_bind_samples(data):
    som, X, labels = data
    sel = Selection()
    hm = HitMap(som, X, labels, selection=sel)
    um = UMatrix(som, selection=sel)
    assert hm.selection is sel and um.selection is sel
    # serialised as a widget reference the front end resolves
    state = um.get_state()
    assert state["selection"] == f"IPY_MODEL_{sel.model_id}"
    b = bmus_of(som, X)
    k = int(np.bincount(b).argmax())
    sel.select([k])
    np.testing.assert_array_equal(sel.sample_mask, b == k)
    assert list(sel.samples["label"]) == list(labels[b == k])
    # the selection survives a refresh (retraining keeps neuron indices)
    hm.refresh()
    assert sel.neurons == [k]


def test_hitmap_binds_samples_once_then_only_updates_bmus(data):
    som, X, labels = data
    sel = Selection()
    hm = HitMap(som, X, labels, selection=sel)
    # someone else (an Explorer) binds a richer sample table to the shared selection
    n = len(X)
    table = pd.DataFrame({"name": [f"s{i}" for i in range(n)]}, index=[f"r{i}" for i in range(n)])
    sel.bind(bmus_of(som, X), data=table, labels=labels)
    som.fit(X, epochs=2, radiusin=2, radiusfin=1)
    hm.refresh()  # new BMUs, same samples: the richer table stays bound
    b = bmus_of(som, X)
    np.testing.assert_array_equal(sel.bmus, b)
    k = int(np.bincount(b).argmax())
    sel.select([k])
    out = sel.samples
    assert list(out.columns) == ["name", "bmu", "label"]
    assert list(out.index) == [f"r{i}" for i in np.flatnonzero(b == k)]


def test_uninitialised_som_is_initialised_from_X():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 2))
    som = SOM(mapsize=(3, 4), random_state=0)
    hm = HitMap(som, X)
    assert som.codebook_.shape == (12, 2)
    assert f32(hm.values).sum() == 50
    with pytest.raises(ValueError, match="not initialised"):
        UMatrix(SOM(mapsize=(3, 4)))


def test_live_callback_refreshes_throttled_and_always_final(data):
    som, X, _ = data
    hm = HitMap(som, X, max_rate_hz=1e-6)  # at most one refresh per ~11 days

    class State:
        def __init__(self, final):
            self.som, self.final, self.bmus = som, final, None

    f0 = hm.frame
    assert hm(State(False)) is None  # first call passes the throttle
    assert hm(State(False)) is None  # throttled
    assert hm.frame == f0 + 1
    hm(State(True))  # final state always drawn
    assert hm.frame == f0 + 2


def test_training_callback_in_fit(data):
    _, X, _ = data
    som = SOM(mapsize=(4, 4), normalization="none", random_state=0)
    som.initialize(X)
    hm = HitMap(som, X)
    som.fit(X, epochs=3, callbacks=[hm])
    np.testing.assert_array_equal(f32(hm.values), np.bincount(bmus_of(som, X), minlength=16))


def test_repr_carries_svg(data):
    som, X, _ = data
    data_, _meta = UMatrix(som)._repr_mimebundle_()
    assert data_["image/svg+xml"].startswith("<svg")
    assert "application/vnd.jupyter.widget-view+json" in data_


def test_missing_bundle_message(monkeypatch, tmp_path, data):
    from somwidget.widgets import selection as selmod

    monkeypatch.setattr(selmod, "STATIC_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="front end not built: run ./dev.sh"):
        Selection()


def test_input_space_view_of_a_single_sample_and_of_constant_data():
    """Studio(SOM(...), one sample) raised 'Eigenvalues did not converge': the view's PCA took
    np.cov of one row (NaN). It now uses the library's principal components (zero variance:
    the feature axes), as for constant data."""
    import xml.etree.ElementTree as ET

    from somwidget import Studio
    from somwidget.widgets import InputSpaceView

    one = np.array([[1.0, 2.0, 3.0]])
    studio = Studio(SOM((3, 3), random_state=0), one)
    ET.fromstring(studio.to_svg())
    studio.close()
    flat = np.ones((20, 3))
    view = InputSpaceView(SOM((3, 3), random_state=0).fit(flat, epochs=1), flat)
    assert np.isfinite(view.data_xy).all() and np.abs(view.data_xy).max() == 0.0
    # the projection is onto the two leading principal axes of ordinary data, as before
    X = np.random.default_rng(0).normal(size=(200, 3)) * [5.0, 2.0, 0.5]
    v = InputSpaceView(SOM((3, 3), random_state=0).fit(X, epochs=1), X)
    vals, vecs = np.linalg.eigh(np.cov(X, rowvar=False))
    lead = vecs[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(v.projection.T @ lead), np.eye(2), atol=1e-9)
    view.close()
    v.close()
