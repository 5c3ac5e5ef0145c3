"""close() releases everything a view created; every view takes (som, X) positionally.

The registry check compares ipywidgets' registry of live widgets before a view is built and after
it is closed; the memory check holds weak references to the user's SOM and data.
"""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest

pytest.importorskip("bqplot")

import ipywidgets  # noqa: E402

import somwidget  # noqa: E402
from somwidget import SOM  # noqa: E402
from somwidget import widgets as sw  # noqa: E402
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "selection.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("no_leaked_threads")


def registry() -> dict:
    """ipywidgets' registry of live widgets (``widget._instances`` in 8.x, ``Widget.widgets`` in 7.x)."""
    inst = getattr(ipywidgets.widgets.widget, "_instances", None)
    return inst if inst is not None else ipywidgets.Widget.widgets


def data(n: int = 90, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n // 2, d)), rng.normal(4, 1, (n - n // 2, d))])
    return X, np.repeat(["a", "b"], [n // 2, n - n // 2])


#: Every public view, built the way a user would: (som, X, labels where the view takes them).
VIEWS = {
    "HitMap": lambda som, X, y: sw.HitMap(som, X, y, label_overlay="majority"),
    "UMatrix": lambda som, X, y: sw.UMatrix(som, X),
    "QualityMap": lambda som, X, y: sw.QualityMap(som, X),
    "LabelMap": lambda som, X, y: sw.LabelMap(som, X, y),
    "ComponentPlanes": lambda som, X, y: sw.ComponentPlanes(som, X),
    "LatticeView": lambda som, X, y: sw.LatticeView(som, X),
    "ClusterMap": lambda som, X, y: sw.ClusterMap(som, X),
    "NeuronInspector": lambda som, X, y: sw.NeuronInspector(som, X, y),
    "TrainingCurves": lambda som, X, y: sw.TrainingCurves(som, X),
    "InputSpaceView": lambda som, X, y: sw.InputSpaceView(som, X, y),
    "HitHistogram": lambda som, X, y: sw.HitHistogram(som, X),
    "CodebookGlyphMap": lambda som, X, y: sw.CodebookGlyphMap(som, X),
    "NeuronIndexMap": lambda som, X, y: sw.NeuronIndexMap(som, X),
    "ElevationMap": lambda som, X, y: sw.ElevationMap(som, X),
    "Explorer": lambda som, X, y: sw.Explorer(som, X, y),
    "Studio": lambda som, X, y: sw.Studio(som, X, y, epochs=2),
}


def test_every_public_view_is_in_the_list():
    listed = set(VIEWS)
    views = {name for name in sw.__all__
             if isinstance(getattr(sw, name), type) and issubclass(getattr(sw, name), sw.ViewBase)
             and getattr(sw, name) is not sw.ViewBase}
    assert views == listed


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_takes_som_and_X_positionally_and_initialises_an_unfitted_som(name):
    X, y = data()
    som = SOM(mapsize=(4, 5), random_state=0)
    assert getattr(som, "codebook_", None) is None
    view = VIEWS[name](som, X, y)
    try:
        assert som.codebook_.shape == (20, 3)  # initialised from X
        assert som.n_features_in_ == 3
        assert view.to_svg().startswith("<svg")
        picture = view.to_picture()
        assert picture.svg == view.to_svg()
        assert picture.width > 0 and picture.height > 0
    finally:
        view.close()


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_close_leaves_no_widget_behind_and_frees_the_data(name):
    X, y = data()
    som = SOM(mapsize=(4, 5), random_state=0)
    gc.collect()
    before = set(registry())
    view = VIEWS[name](som, X, y)
    created = set(registry()) - before
    assert created, "the view registers widgets"
    ref_X, ref_som = weakref.ref(X), weakref.ref(som)
    trainer = getattr(view, "trainer", None)
    ref_trainer = weakref.ref(trainer) if trainer is not None else None
    del trainer
    view.close()
    assert set(registry()) - before == set()  # every widget it created is closed
    view.close()  # closing twice is harmless
    assert view.closed
    # the closed view (kept, e.g. by IPython's Out cache) no longer holds the SOM or the data
    del X, som, y
    gc.collect()
    assert ref_X() is None
    assert ref_som() is None
    if ref_trainer is not None:
        assert ref_trainer() is None
    assert isinstance(repr(view), str)  # repr still works on a closed view


def held_arrays(view) -> dict[str, tuple[int, ...]]:
    """The non-empty numpy arrays a view holds: its attributes and its traits' values."""
    held = {**view.__dict__, **view._trait_values}
    return {n: v.shape for n, v in held.items() if isinstance(v, np.ndarray) and v.size}


@pytest.mark.parametrize("name", ["CodebookGlyphMap", "NeuronIndexMap"])
def test_a_closed_overlay_view_holds_no_array(name):
    X, y = data()
    view = VIEWS[name](SOM(mapsize=(4, 5), random_state=0), X, y)
    assert held_arrays(view)  # the glyphs, the cells' values, the tooltips' ...
    view.close()
    assert held_arrays(view) == {}
    if name == "CodebookGlyphMap":
        assert view.scaled is None
    view.close()
    assert held_arrays(view) == {}


@pytest.mark.parametrize("frames_first", [0, 1])
def test_studio_close_stops_its_trainer_and_releases_every_widget(frames_first):
    """Closed before or after the first epoch: the first batch-mode record takes the
    learning-rate axis out of the schedule figure, and close() must still close it (a loaded
    machine let an epoch run before close(), which is why this failed only under load)."""
    X, y = data()
    gc.collect()
    before = set(registry())
    studio = sw.Studio(SOM(mapsize=(5, 6), random_state=0), X, y, epochs=50)
    trainer = studio.trainer
    n_created = len(set(registry()) - before)
    assert n_created > 100  # buttons, controls, their layouts and styles, figures, marks, ...
    studio.play()
    deadline = time.monotonic() + 30.0
    while studio.n_redraws < frames_first and time.monotonic() < deadline:
        time.sleep(0.001)
    assert studio.n_redraws >= frames_first  # a frame drawn while playing (the curves too)
    studio.close()
    assert trainer.status == "stopped"
    assert not any(t.is_alive() for t in trainer._threads)  # the training thread ended
    assert set(registry()) - before == set()
    del trainer


def test_training_curves_close_the_learning_rate_axis_batch_mode_took_out():
    X, y = data()
    som = SOM(mapsize=(4, 5), random_state=0).initialize(X)
    gc.collect()
    before = set(registry())
    curves = sw.TrainingCurves(som, X)
    som.fit(X, epochs=2, callbacks=[curves])  # batch: no learning rate, its axis is taken out
    assert curves._lr_axis not in curves.schedule_figure.axes
    curves.close()
    assert set(registry()) - before == set()


def test_closing_one_explorer_stops_its_observers_on_a_shared_selection():
    X, y = data()
    som = SOM(mapsize=(4, 5), random_state=0).fit(X)
    sel = sw.Selection()
    a = sw.Explorer(som, X, y, selection=sel)
    b = sw.Explorer(som, X, y, selection=sel)

    def owners() -> set[int]:
        handlers = sel._trait_notifiers.get("neurons", {}).get("change", [])
        return {id(getattr(h, "__self__", None)) for h in handlers}

    a_parts = {id(a), id(a.inspector)}
    b_parts = {id(b), id(b.inspector)}
    assert a_parts <= owners() and b_parts <= owners()
    a.close()
    assert not (a_parts & owners())  # the closed Explorer no longer hears the selection
    assert b_parts <= owners()  # the other one still does
    # the shared selection is the caller's: it stays open and keeps working for b
    assert sel.comm is not None and sel.model_id in registry()
    sel.select([3])
    assert 'data-neurons="3"' in b._bar_text.value
    b.close()
    assert owners() & (a_parts | b_parts) == set()
    assert sel.comm is not None
    sel.close()


def test_a_private_selection_is_closed_with_its_view_a_shared_one_is_not():
    X, _ = data()
    som = SOM(mapsize=(4, 5), random_state=0).fit(X)
    own = sw.UMatrix(som)
    private = own.selection
    own.close()
    assert private.comm is None
    shared = sw.Selection()
    view = sw.HitMap(som, X, selection=shared)
    view.close()
    assert shared.comm is not None
    shared.close()


def test_rebuilding_the_input_space_closes_the_replaced_data_marks():
    X, y = data()
    som = SOM(mapsize=(4, 5), random_state=0).fit(X)
    view = sw.InputSpaceView(som, X, y)
    old = [m for m, _ in view._data_marks]
    view.rebuild()
    assert all(m.comm is None for m in old)
    assert all(m.comm is not None for m, _ in view._data_marks)
    view.close()


def test_every_public_widget_is_importable_from_the_package():
    for name in [*sw.__all__, "QualityMap", "LabelMap"]:
        obj = getattr(somwidget, name)
        assert obj is getattr(sw, name)
        assert name in dir(somwidget)
    from somwidget import LabelMap, QualityMap  # the README's import

    assert QualityMap is sw.QualityMap and LabelMap is sw.LabelMap


def test_a_1d_array_in_the_data_slot_is_refused_with_the_fix():
    X, _ = data()
    som = SOM(mapsize=(4, 5), random_state=0).fit(X)
    with pytest.raises(TypeError, match="values="):
        sw.LatticeView(som, np.arange(20.0))
    view = sw.LatticeView(som, values=np.arange(20.0))
    assert view.vmax == 19.0
    view.close()


def test_an_unfitted_som_without_X_gets_a_clear_error():
    for make in (sw.UMatrix, sw.ComponentPlanes, sw.CodebookGlyphMap, sw.NeuronIndexMap):
        with pytest.raises(ValueError, match="not initialised.*pass X"):
            make(SOM(mapsize=(3, 3)))


def test_a_closed_private_selection_drops_the_samples_bound_to_it():
    X, y = data()
    som = SOM(mapsize=(4, 5), random_state=0).fit(X)
    view = sw.HitMap(som, X, y)
    sel = view.selection
    assert sel.bmus is not None and len(sel.samples.columns) >= 3  # bound to the view's samples
    view.close()
    assert sel.comm is None and sel.bmus is None and sel.labels is None
    with pytest.raises(ValueError, match="no samples bound"):
        sel.sample_mask  # noqa: B018


@pytest.mark.parametrize("name", ["HitMap", "ElevationMap", "Explorer"])
def test_a_closed_view_displayed_again_says_it_is_closed(name, monkeypatch):
    # displaying a closed view in a notebook printed ipywidgets' "'NoneType' object has no
    # attribute 'comm_id'" traceback; it now shows one line saying what happened
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    X, y = data()
    view = VIEWS[name](SOM(mapsize=(4, 5), random_state=0), X, y)
    view.close()
    view._ipython_display_()
    assert shown == [((
        {"text/plain": f"{name} (closed: close() released it; make a new {name} to show it again)"},
    ), {"raw": True})]
