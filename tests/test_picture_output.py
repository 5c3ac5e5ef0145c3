"""The picture a notebook stores follows the view: display writes it with a display id, live
refreshes and the end of training replace it, and exported HTML shows it without widget JS."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from somwidget import SOM
from somwidget.widgets import HitMap, TrainingCurves
from somwidget.widgets._base import PICTURE_CLASS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def published(monkeypatch):
    """Every display / update_display_data the IPython shell publishes."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    calls: list[dict] = []

    def publish(data, metadata=None, source=None, *, transient=None, update=False, **kw):
        calls.append({"data": data, "transient": transient or {}, "update": update})

    monkeypatch.setattr(shell.display_pub, "publish", publish)
    return calls


def fills_of(svg: str) -> list[str]:
    """The cells' fill colours in neuron order, whatever the attributes' order."""
    cells = {}
    for tag in re.findall(r"<polygon\b[^>]*>", svg):
        if 'class="cell"' in tag:
            k = int(re.search(r'data-k="(\d+)"', tag).group(1))
            cells[k] = re.search(r'fill="(#[0-9a-f]{6})"', tag).group(1)
    return [cells[k] for k in sorted(cells)]


def test_display_writes_the_widget_then_a_picture_with_a_display_id(published):
    from IPython.display import display

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    som = SOM(mapsize=(5, 4), random_state=0).initialize(X)
    hm = HitMap(som, X)
    display(hm)
    widget, picture = published
    assert "application/vnd.jupyter.widget-view+json" in widget["data"]
    assert "image/svg+xml" not in widget["data"]  # drawn once, in the picture output
    assert picture["transient"].get("display_id")
    html = picture["data"]["text/html"]
    assert PICTURE_CLASS in html and f"somwidget-live-{hm.model_id}" in html
    assert f"somwidget-live-{hm.model_id}" in hm._dom_classes  # the live view hides the picture
    before = fills_of(picture["data"]["image/svg+xml"])
    assert len(before) == 20

    som.fit(X, epochs=10, callbacks=[hm])  # the final state replaces the picture
    updates = [c for c in published if c["update"]]
    assert updates, "the end of training must refresh the picture"
    last = updates[-1]
    assert last["transient"]["display_id"] == picture["transient"]["display_id"]
    hits = np.bincount(som.predict(X), minlength=20)
    from somwidget.widgets.colormaps import colors_for_values

    expected = colors_for_values(hits.astype(float), 0.0, float(hits.max()), "viridis")
    assert fills_of(last["data"]["image/svg+xml"]) == list(expected)
    assert fills_of(last["data"]["image/svg+xml"]) != before
    hm.close()


def test_live_refreshes_update_the_picture_at_most_every_interval(published):
    from IPython.display import display

    curves = TrainingCurves()
    curves.picture_interval_s = 3600.0
    display(curves)
    assert curves.picture_displays == 1
    assert curves.update_picture(force=False) is False  # within the interval
    assert curves.update_picture() is True
    assert sum(c["update"] for c in published) == 1
    curves.close()


def test_without_display_there_is_nothing_to_update():
    curves = TrainingCurves()
    assert curves.update_picture() is False
    curves.close()


@pytest.mark.skipif(sys.platform == "win32", reason="kernel start-up")
def test_executed_notebook_and_its_html_show_the_trained_map(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbconvert import HTMLExporter

    cells = [
        "import numpy as np\nfrom somwidget import SOM\nfrom somwidget.widgets import HitMap\n"
        "X = np.random.default_rng(0).normal(size=(300, 3))\n"
        "som = SOM(mapsize=(6, 5), random_state=0).initialize(X)\nhm = HitMap(som, X)\nhm",
        "som.fit(X, epochs=15, callbacks=[hm])\n"
        "import re\nprint('FILLS', ','.join(re.findall(r'class=\"cell\" data-k=\"\\d+\" points=\"[^\"]*\" "
        "fill=\"(#[0-9a-f]{6})\"', hm.to_svg())))",
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    trained = re.search(r"FILLS (\S+)", printed).group(1).split(",")
    assert len(trained) == 30
    pictures = [o for o in nb.cells[0].outputs if "text/html" in o.get("data", {})
                and PICTURE_CLASS in o["data"]["text/html"]]
    assert len(pictures) == 1
    assert fills_of(pictures[0]["data"]["image/svg+xml"]) == trained  # the state at the end
    html, _ = HTMLExporter().from_notebook_node(nb)
    block = html[html.index(PICTURE_CLASS):]
    assert fills_of(block[: block.index("</svg>")]) == trained


def test_refresh_by_hand_updates_the_picture_within_the_rate_limit(published):
    import time as _time

    from IPython.display import display

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    som = SOM(mapsize=(5, 4), random_state=0).initialize(X)
    hm = HitMap(som, X)
    hm.picture_interval_s = 0.3
    display(hm)
    (picture,) = [c for c in published if "text/html" in c["data"]]
    before = fills_of(picture["data"]["image/svg+xml"])
    som.fit(X, epochs=5)  # trained without callbacks: the view does not know
    hm.refresh()  # by hand, right after display: within the interval, so scheduled
    assert not [c for c in published if c["update"]]
    hm.refresh()  # a second one while it is pending adds nothing
    deadline = _time.monotonic() + 5.0
    while not [c for c in published if c["update"]] and _time.monotonic() < deadline:
        _time.sleep(0.02)
    updates = [c for c in published if c["update"]]
    assert len(updates) == 1, "the scheduled picture must arrive once the interval passed"
    hits = np.bincount(som.predict(X), minlength=20)
    from somwidget.widgets.colormaps import colors_for_values

    expected = colors_for_values(hits.astype(float), 0.0, float(hits.max()), "viridis")
    assert fills_of(updates[0]["data"]["image/svg+xml"]) == list(expected) != before
    # the rate limit is the interval or 20x the picture's drawing time, whichever is longer
    # (on a loaded machine drawing can take more than 15 ms)
    _time.sleep(max(0.35, hm._picture_wait() + 0.05))
    hm.refresh()  # the interval passed: drawn at once
    assert len([c for c in published if c["update"]]) == 2
    # live refreshes inside a training callback do not schedule extra pictures
    hm.picture_interval_s = 3600.0
    som.fit(X, epochs=2, callbacks=[hm])
    assert len([c for c in published if c["update"]]) == 3  # the final state only
    assert hm.__dict__.get("_picture_timer") is None
    hm.close()


def test_close_cancels_a_scheduled_picture(published):
    import time as _time

    from IPython.display import display

    X = np.random.default_rng(0).normal(size=(100, 3))
    hm = HitMap(SOM(mapsize=(4, 4), random_state=0).initialize(X), X)
    hm.picture_interval_s = 0.2
    display(hm)
    hm.refresh()
    timer = hm.__dict__.get("_picture_timer")
    assert timer is not None
    hm.close()
    _time.sleep(0.3)
    assert not [c for c in published if c["update"]]


def test_colormap_and_width_set_from_python_update_the_shown_picture(published):
    import time as _time

    from IPython.display import display

    from somwidget.widgets.colormaps import colors_for_values

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    som = SOM(mapsize=(5, 4), random_state=0).fit(X, epochs=3)
    hm = HitMap(som, X)
    hm.picture_interval_s = 0.0
    display(hm)
    hits = np.bincount(som.predict(X), minlength=20).astype(float)
    hm.colormap = "magma"  # what a user types after seeing the map: the saved picture follows
    deadline = _time.monotonic() + 5.0
    while not [c for c in published if c["update"]] and _time.monotonic() < deadline:
        _time.sleep(0.02)
    updates = [c for c in published if c["update"]]
    assert updates, "a colormap set from Python must update the notebook's picture"
    svg = updates[-1]["data"]["image/svg+xml"]
    assert fills_of(svg) == list(colors_for_values(hits, 0.0, hits.max(), "magma"))
    hm.canvas_width = 700
    deadline = _time.monotonic() + 5.0
    while len([c for c in published if c["update"]]) < 2 and _time.monotonic() < deadline:
        _time.sleep(0.02)
    svg = [c for c in published if c["update"]][-1]["data"]["image/svg+xml"]
    assert float(re.search(r'<svg[^>]*\bwidth="([\d.]+)', svg).group(1)) > 700
    hm.close()
