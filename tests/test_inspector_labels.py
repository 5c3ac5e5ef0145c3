"""The inspector chart's feature names: cut when long, distinct, thinned when many."""

from __future__ import annotations

import numpy as np
import pandas as pd

from somwidget import SOM
from somwidget.widgets.inspector import NeuronInspector, tick_names


def test_long_names_are_cut_and_short_ones_kept():
    names = ["alcohol", "od280/od315_of_diluted_wines", "nonflavanoid_phenols", "x" * 16]
    assert tick_names(names) == ["alcohol", "od280/od315_of_…", "nonflavanoid_ph…", "x" * 16]
    assert all(len(n) <= 16 for n in tick_names(names))


def test_cut_names_stay_distinct():
    # the same 15-character head: the cut keeps head and tail
    names = ["measurement_of_the_left_wing", "measurement_of_the_right_wing"]
    short = tick_names(names)
    assert short == ["measurem…ft_wing", "measurem…ht_wing"]
    assert len(set(short)) == 2
    # head and tail both clash: the full names are kept (the ordinal axis needs distinct names)
    names = ["abcdefghijklmnop_1_qrstuvwxyz", "abcdefghijklmnop_2_qrstuvwxyz"]
    assert tick_names(names) == names


def test_chart_uses_the_cut_names_and_thins_many():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(200, 64)), columns=[f"pixel_intensity_{i:02d}" for i in range(64)])
    som = SOM(mapsize=(4, 4), random_state=0).fit(wide, epochs=2)
    ins = NeuronInspector(som, wide)
    expected = [f"pixel_in…sity_{i:02d}" for i in range(64)]
    assert list(ins._sx.domain) == expected
    assert list(ins._lines.x) == expected
    # 64 names do not fit under a 320 px chart: every 5th (13 of them), the first one included
    assert list(ins._ax_x.tick_values) == expected[::5]
    ins.close()


def test_static_picture_cuts_the_names_as_the_browser_does():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(120, 3)),
                     columns=["od280/od315_of_diluted_wines", "alcohol", "nonflavanoid_phenols"])
    som = SOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    ins = NeuronInspector(som, X)
    ins.selection.select([0])
    svg = ins.to_picture().svg
    assert ">od280/od315_of_…</text>" in svg and ">nonflavanoid_ph…</text>" in svg
    assert ">alcohol</text>" in svg and "diluted" not in svg
    ins.close()
