"""The canvas views' benchmark runs, and a refresh sends a small part of the SVG it replaced."""

from __future__ import annotations

import pytest

pytest.importorskip("anywidget")

from benchmarks import bench_views  # noqa: E402


def test_a_refresh_sends_a_fraction_of_the_static_svg():
    results = bench_views.run(side=30, n=600, repeats=1)
    assert set(results) == {"CodebookGlyphMap", "NeuronIndexMap", "ElevationMap"}
    for name, r in results.items():
        assert r["sent_over_svg"] < 0.25, (name, r)  # the live SVG was the whole picture: 1
    assert results["ElevationMap"]["turn_over_svg"] < 0.01
