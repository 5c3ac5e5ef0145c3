"""A view called with a keyword it does not take names the view, the close matches and its
parameters (``HitMap(som, X, colour="red")``), as the estimators do; Python's bare
``TypeError: __init__() got an unexpected keyword argument`` named neither the view nor what it
takes. Every view class of :mod:`somwidget.widgets` is checked against its own signature, read
with :func:`inspect.signature` (which the wrapper leaves as it was)."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import somwidget.widgets as widgets
from somwidget import SOM
from somwidget.widgets._base import ViewBase

VIEWS = sorted(
    (obj for obj in vars(widgets).values()
     if inspect.isclass(obj) and issubclass(obj, ViewBase) and obj is not ViewBase
     and not obj.__name__.startswith("_")),
    key=lambda c: c.__name__,
)


def _keywords(cls: type) -> list[str]:
    return [p.name for p in inspect.signature(cls).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def test_every_public_view_is_checked() -> None:
    names = {c.__name__ for c in VIEWS}
    assert {"HitMap", "UMatrix", "ComponentPlanes", "Explorer", "Studio", "TrainingCurves",
            "NeuronInspector", "InputSpaceView", "ElevationMap", "LabelMap"} <= names


@pytest.mark.parametrize("cls", VIEWS, ids=lambda c: c.__name__)
def test_misspelt_keyword_names_the_view_and_the_match(cls: type) -> None:
    keywords = _keywords(cls)
    assert keywords, cls
    target = keywords[-1]  # e.g. width, max_rate_hz: a keyword each view takes
    wrong = target[:-1] + ("x" if target[-1] != "x" else "y")
    with pytest.raises(TypeError) as info:
        cls(None, **{wrong: 1})
    msg = str(info.value)
    assert msg.startswith(f"{cls.__name__}() got an unexpected keyword argument {wrong!r}"), msg
    assert f"did you mean {target!r}" in msg, msg
    listed = msg.split("Its parameters are: ", 1)[1].split(", ")
    assert listed == keywords, msg


def test_unknown_keyword_without_match_lists_the_parameters() -> None:
    with pytest.raises(TypeError, match=re.escape("UMatrix() got an unexpected keyword argument "
                                                  "'zzz'. Its parameters are: som, X, selection")):
        widgets.UMatrix(None, zzz=1)


def test_a_real_call_and_errors_raised_inside_are_unchanged() -> None:
    X = np.random.default_rng(0).random((60, 3))
    som = SOM((3, 4), random_state=0).fit(X, epochs=2)
    view = widgets.HitMap(som, X, colormap="magma")
    try:
        np.testing.assert_array_equal(
            np.asarray(view.values), np.bincount(som.predict(X), minlength=12))
    finally:
        view.close()
    # a TypeError the view raises about a value (not the call) keeps its own text
    with pytest.raises(TypeError, match="width must be a number; got 'big'"):
        widgets.HitMap(som, X, width="big")
    # a subclass' own signature is the one explained (LabelMap over HitMap)
    with pytest.raises(TypeError, match=r"^LabelMap\(\) got an unexpected keyword argument 'lables'"
                                        r"; did you mean 'labels'"):
        widgets.LabelMap(som, X, lables=[0] * 60)
