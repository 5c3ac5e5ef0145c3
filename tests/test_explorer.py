"""Explorer: state with a real SOM, the shared throttle, selection from Python, static SVG.

Expected values are computed independently (scipy cdist BMUs, numpy bincount), never read back
from what the Explorer just produced.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.widgets.explorer import Explorer
from somwidget.widgets.live import Throttle
from somwidget.widgets.selection import Selection

ROWS, COLS = 7, 6
M = ROWS * COLS
REPO = Path(__file__).resolve().parent.parent


def _data(seed: int = 0, n_per: int = 50) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 2.0], [0.0, 6.0, 4.0]])
    X = np.vstack([c + rng.normal(size=(n_per, 3)) for c in centres])
    labels = np.repeat(np.array([10, 20, 30]), n_per)
    return pd.DataFrame(X, columns=["x", "y", "z"]), labels


def _bmus(som, X) -> np.ndarray:
    """BMUs via scipy (normalization='none': the codebook is in data units)."""
    return cdist(np.asarray(X, dtype=float), som.codebook_).argmin(axis=1)


def _hits(som, X) -> np.ndarray:
    return np.bincount(_bmus(som, X), minlength=som.n_neurons_)


def _values(view) -> np.ndarray:
    """The float32 values a lattice view last sent to the browser."""
    return np.frombuffer(bytes(view.values), dtype="<f4")


@pytest.fixture
def explorer():
    X, labels = _data()
    extra = pd.DataFrame({"name": [f"w{i}" for i in range(len(X))]})
    som = SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=0)
    ex = Explorer(som, X, labels=labels, extra=extra)
    return ex, som, X, labels


def test_untrained_map_is_initialised_and_payloads_match(explorer):
    ex, som, X, labels = explorer
    assert som.codebook_.shape == (M, 3)
    np.testing.assert_array_equal(_values(ex.hit_map), _hits(som, X).astype(np.float32))
    assert ex.hit_map.selection is ex.selection
    assert ex.umatrix.selection is ex.selection
    assert ex.planes.selection is ex.selection
    assert ex.inspector.selection is ex.selection


def test_training_with_explorer_callback_draws_final_state(explorer):
    ex, som, X, labels = explorer
    frame0 = ex.hit_map.frame
    som.fit(X, epochs=12, radiusin=3, radiusfin=1, callbacks=[ex])
    # the final state is drawn: payloads equal the independently computed hits / U-matrix
    np.testing.assert_array_equal(_values(ex.hit_map), _hits(som, X).astype(np.float32))
    adj = som.lattice_.adjacency()
    d = cdist(som.codebook_, som.codebook_)
    expected_u = (d * adj).sum(axis=1) / adj.sum(axis=1)
    np.testing.assert_allclose(_values(ex.umatrix), expected_u, rtol=1e-5)
    assert ex.hit_map.frame > frame0
    assert ex.n_refreshes >= 2


class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_one_throttle_for_the_dashboard_final_always_sent(explorer):
    ex, som, X, labels = explorer
    clock = _Clock()
    ex.throttle = Throttle(15, clock=clock)
    ex.clock = clock  # refreshes take no simulated time: the overhead budget never binds
    frames0 = {name: getattr(ex, name).frame for name in ("hit_map", "umatrix", "planes")}
    refreshes0 = ex.n_refreshes
    state = SimpleNamespace(som=som, final=False)
    for _ in range(1000):  # 1000 callbacks over 1 simulated second
        ex(state)
        clock.t += 0.001
    n_live = ex.n_refreshes - refreshes0
    assert 1 <= n_live <= 16
    # every lattice view got exactly one message per dashboard refresh
    for name, f0 in frames0.items():
        assert getattr(ex, name).frame - f0 == n_live
    # the final state always refreshes, whatever the throttle says
    som.codebook_ = som.codebook_[::-1].copy()
    assert ex(SimpleNamespace(som=som, final=True)) is None
    assert ex.n_refreshes - refreshes0 == n_live + 1
    np.testing.assert_array_equal(_values(ex.hit_map), _hits(som, X).astype(np.float32))


def test_max_rate_is_configurable():
    X, labels = _data(n_per=10)
    som = SOM(mapsize=(4, 4), random_state=0)
    ex = Explorer(som, X, max_rate_hz=2)
    assert ex.throttle.max_rate_hz == 2
    clock = _Clock()
    ex.throttle = Throttle(ex.throttle.max_rate_hz, clock=clock)
    ex.clock = clock
    state = SimpleNamespace(som=som, final=False)
    before = ex.n_refreshes
    for _ in range(300):  # 3 simulated seconds
        ex(state)
        clock.t += 0.01
    assert 4 <= ex.n_refreshes - before <= 7


def test_overhead_budget_spaces_out_expensive_refreshes(explorer):
    ex, som, X, labels = explorer
    clock = _Clock()
    ex.throttle = Throttle(15, clock=clock)
    ex.clock = clock
    ex.max_overhead = 0.05
    draw = ex.umatrix.refresh

    starts = []

    def slow_refresh(*args, **kwargs):  # every dashboard refresh costs 50 simulated ms
        starts.append(clock.t)
        clock.t += 0.05
        draw(*args, **kwargs)

    ex.umatrix.refresh = slow_refresh
    before = ex.n_refreshes
    state = SimpleNamespace(som=som, final=False)
    for _ in range(4000):  # 4 simulated seconds of 1 ms epochs
        ex(state)
        clock.t += 0.001
    n = ex.n_refreshes - before
    assert ex.umatrix.frame >= n == len(starts)
    # 15 Hz alone would allow ~60; once two refreshes took 50 ms each, the 5% budget allows one
    # per 0.05 / 0.05 = 1 s (the first waits on the build's BMU pass only, a few ms)
    gaps = np.diff(starts)[1:]
    assert 3 <= len(gaps) <= 4, starts
    assert np.all((gaps >= 1.0) & (gaps <= 1.01)), gaps


def _slow_first_build(monkeypatch, clock, build_s):
    """Explorers built from now on read ``clock``, and their views' construction costs
    ``build_s`` simulated seconds (one-off costs: a fresh kernel's first widgets)."""
    from somwidget.widgets import explorer as explorer_module

    monkeypatch.setattr(explorer_module.time, "perf_counter", clock)
    real = explorer_module.UMatrix.__init__

    def slow_init(self, *args, **kwargs):
        clock.t += build_s
        real(self, *args, **kwargs)

    monkeypatch.setattr(explorer_module.UMatrix, "__init__", slow_init)


def test_a_slow_first_build_does_not_hold_back_the_live_refreshes(monkeypatch):
    # "Run All" in a fresh kernel: the views' one-off construction took 0.5 s, then a 4 s
    # training with 0.1 s epochs. The budget is about what a refresh costs (the BMU pass), not
    # the widgets' construction: the old 19 x 0.5 s wait drew no frame during the training
    X, _ = _data(n_per=10)
    clock = _Clock()
    _slow_first_build(monkeypatch, clock, 0.5)
    som = SOM(mapsize=(4, 4), random_state=0)
    ex = Explorer(som, X)
    ex.throttle = Throttle(15, clock=clock)
    assert ex.timings["build"] >= 0.5 > ex.timings["bmu_pass"]
    state = SimpleNamespace(som=som, final=False)
    before = ex.n_refreshes
    for _ in range(40):
        clock.t += 0.1
        ex(state)
    assert ex.n_refreshes - before >= 30


def test_one_slow_refresh_does_not_hold_back_the_next_ones(explorer):
    ex, som, X, labels = explorer
    clock = _Clock()
    ex.throttle = Throttle(15, clock=clock)
    ex.clock = clock
    draw = ex.umatrix.refresh
    costs = iter([1.0] + [0.002] * 100)  # the first live refresh hits a one-off cost

    def refresh(*args, **kwargs):
        clock.t += next(costs)
        draw(*args, **kwargs)

    ex.umatrix.refresh = refresh
    state = SimpleNamespace(som=som, final=False)
    before = ex.n_refreshes
    ex(state)
    assert ex.n_refreshes == before + 1
    before = ex.n_refreshes
    for _ in range(20):  # 2 s of 0.1 s epochs: not the 19 s a 1 s refresh would buy
        clock.t += 0.1
        ex(state)
    assert ex.n_refreshes - before >= 15


def test_select_samples_by_label_and_mask(explorer):
    ex, som, X, labels = explorer
    som.fit(X, epochs=8, radiusin=3, radiusfin=1)
    ex.refresh()
    bmus = _bmus(som, X)

    ex.select_samples(20)
    assert ex.selection.neurons == sorted(set(bmus[labels == 20].tolist()))
    ex.select_samples([10, 30])
    assert ex.selection.neurons == sorted(set(bmus[np.isin(labels, [10, 30])].tolist()))
    mask = X["x"].to_numpy() > 3
    ex.select_samples(mask)
    assert ex.selection.neurons == sorted(set(bmus[mask].tolist()))


def test_selected_samples_rows_match_cdist_predict(explorer):
    ex, som, X, labels = explorer
    som.fit(X, epochs=8, radiusin=3, radiusfin=1, callbacks=[ex])
    bmus = _bmus(som, X)
    chosen = sorted({int(bmus[0]), int(bmus[75]), int(bmus[-1])})
    ex.selection.select(chosen)
    rows = ex.selected_samples()
    expected = np.flatnonzero(np.isin(bmus, chosen))
    np.testing.assert_array_equal(rows.index.to_numpy(), X.index.to_numpy()[expected])
    np.testing.assert_allclose(rows[["x", "y", "z"]].to_numpy(), X.to_numpy()[expected])
    np.testing.assert_array_equal(rows["label"].to_numpy(), labels[expected])
    assert list(rows["name"]) == [f"w{i}" for i in expected]


def test_refresh_never_rebinds_so_extra_columns_stay(explorer):
    ex, som, X, labels = explorer
    seen = []
    sel = ex.selection
    original_bind = sel.bind

    def spy(*args, **kwargs):  # any re-bind during training would drop or replace the table
        seen.append(kwargs.get("data"))
        return original_bind(*args, **kwargs)

    sel.bind = spy
    sel.observe(lambda change: seen.append(list(sel.samples.columns)), names="neurons")
    som.fit(X, epochs=3, radiusin=3, radiusfin=1, callbacks=[ex])
    assert not [s for s in seen if not isinstance(s, list)]
    sel.select([int(_bmus(som, X)[0])])
    assert seen and all("name" in cols for cols in seen)
    assert "name" in ex.selected_samples().columns
    np.testing.assert_array_equal(sel.bmus, _bmus(som, X))


def test_selection_survives_retraining(explorer):
    ex, som, X, labels = explorer
    som.fit(X, epochs=5, radiusin=3, radiusfin=1, callbacks=[ex])
    ex.select_samples(10)
    kept = list(ex.selection.neurons)
    som.fit(X, epochs=5, radiusin=2, radiusfin=1, callbacks=[ex])
    assert ex.selection.neurons == kept
    bmus = _bmus(som, X)
    assert len(ex.selected_samples()) == int(np.isin(bmus, kept).sum())
    assert ex.inspector.neurons == kept


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mask=st.lists(st.booleans(), min_size=150, max_size=150))
def test_select_samples_any_mask(explorer, mask):
    ex, som, X, labels = explorer
    mask = np.asarray(mask)
    ex.select_samples(mask)
    assert ex.selection.neurons == sorted(set(_bmus(som, X)[mask].tolist()))


def test_views_share_an_external_selection_and_choice_of_views():
    X, labels = _data(n_per=10)
    som = SOM(mapsize=(4, 4), random_state=0)
    sel = Selection()
    ex = Explorer(som, X, labels=labels, selection=sel,
                  views=["hits", "quality", "labels", "inspector"], colormap="magma")
    assert ex.selection is sel
    assert ex.umatrix is None and ex.planes is None
    assert ex.quality_map.selection is sel and ex.label_map.selection is sel
    sel.select([1, 2])
    assert ex.inspector.neurons == [1, 2]


def test_to_svg_and_repr(explorer):
    ex, som, X, labels = explorer
    ex.selection.select([5])
    svg = ex.to_svg()
    root = ET.fromstring(svg)
    nested = [e for e in root if e.tag.endswith("g")]
    assert len(nested) == 4  # hits, umatrix, planes, inspector
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    bundle = ex._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["image/svg+xml"].startswith("<svg")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_argument_errors_name_the_parameter():
    X, labels = _data(n_per=5)
    som = SOM(mapsize=(3, 3), random_state=0)
    with pytest.raises(ValueError, match="views"):
        Explorer(som, X, views=["hits", "histogram"])
    with pytest.raises(ValueError, match="labels"):
        Explorer(som, X, views=["labels"])
    with pytest.raises(ValueError, match="colormap"):
        Explorer(som, X, colormap="jet")
    with pytest.raises(ValueError, match="max_rate_hz"):
        Explorer(som, X, max_rate_hz=0)
    with pytest.raises(ValueError, match="labels"):
        Explorer(som, X, labels=labels[:3])
    with pytest.raises(ValueError, match="max_overhead"):
        Explorer(som, X, max_overhead=1.5)
