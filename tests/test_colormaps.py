"""Colour tables: one data file (colormaps.json) that Python and the built TypeScript bundle both
read, checked against published values of the maps."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from somwidget.widgets import colormaps
from somwidget.widgets.colormaps import (
    CATEGORICAL,
    COLORMAPS,
    NAN_COLOR,
    colormap_table,
    colors_for_values,
    value_indices,
)
from somwidget.widgets.selection import STATIC_DIR

JSON_FILE = pathlib.Path(colormaps.__file__).with_name("colormaps.json")


def _lightness(rgb: np.ndarray) -> np.ndarray:
    s = rgb / 255.0
    lin = np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4)
    y = lin @ np.array([0.2126, 0.7152, 0.0722])
    f = np.where(y > 216 / 24389, np.cbrt(y), (24389 / 27 * y + 16) / 116)
    return 116 * f - 16


def test_tables_shape_and_known_entries():
    assert COLORMAPS == ("viridis", "magma", "plasma", "inferno", "cividis")
    for name in COLORMAPS:
        t = colormap_table(name)
        assert t.shape == (256, 3) and t.dtype == np.uint8
        assert not t.flags.writeable
    with pytest.raises(ValueError, match="colormap must be one of"):
        colormap_table("jet")


# Published values of the maps at 0, 1/4, 1/2, 3/4 and 1 (entries 0, 64, 128, 192, 255): matplotlib's
# data (van der Walt & Smith; Nunez et al. for cividis) rounded to 8 bits, the same hex codes that
# d3-scale-chromatic and matplotlib's documentation list.
KNOWN = {
    "viridis": ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
    "magma": ["#000004", "#51127c", "#b73779", "#fc8961", "#fcfdbf"],
    "inferno": ["#000004", "#57106e", "#bc3754", "#f98e09", "#fcffa4"],
    "plasma": ["#0d0887", "#7e03a8", "#cc4778", "#f89540", "#f0f921"],
    "cividis": ["#00224e", "#434e6c", "#7d7c78", "#bcae6c", "#fee838"],
}


@pytest.mark.parametrize("name", COLORMAPS)
def test_tables_hold_the_published_colours(name):
    table = colormap_table(name)
    got = ["#" + bytes(table[i]).hex() for i in (0, 64, 128, 192, 255)]
    assert got == KNOWN[name]
    # value -> colour follows: the ends of the scale are the ends of the published map
    assert colors_for_values([0.0, 0.5, 1.0], 0, 1, name) == [KNOWN[name][0], KNOWN[name][2], KNOWN[name][4]]


def test_the_data_file_is_the_one_table():
    data = json.loads(JSON_FILE.read_text(encoding="utf-8"))
    assert list(data["tables"]) == list(COLORMAPS)
    for name in COLORMAPS:
        want = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in data["tables"][name]])
        np.testing.assert_array_equal(colormap_table(name), want)
    assert data["categorical"] == list(CATEGORICAL) and data["nan"] == NAN_COLOR == "#d9d9d9"
    assert CATEGORICAL[:3] == ("#4e79a7", "#f28e2b", "#e15759")  # Tableau 10


def test_a_broken_data_file_is_refused():
    good = json.loads(JSON_FILE.read_text(encoding="utf-8"))
    short = {**good, "tables": {"viridis": good["tables"]["viridis"][:255]}}
    with pytest.raises(ValueError, match="table 'viridis' has 255 entries, expected 256"):
        colormaps._load(json.dumps(short))
    bad = {**good, "categorical": ["#4e79a7", "red"]}
    with pytest.raises(ValueError, match="categorical must hold '#rrggbb' colours; got \\['red'\\]"):
        colormaps._load(json.dumps(bad))


@pytest.mark.parametrize("name", COLORMAPS)
def test_lightness_is_monotonic(name):
    L = _lightness(colormap_table(name).astype(float))
    assert np.all(np.diff(L) >= -0.05)
    assert L[-1] - L[0] > 50


def test_value_mapping_rule():
    v = np.array([0.0, 0.5, 1.0, -1.0, 2.0, np.nan])
    np.testing.assert_array_equal(value_indices(v, 0, 1), [0, 128, 255, 0, 255, -1])
    np.testing.assert_array_equal(value_indices([3.0, 3.0], 3, 3), [0, 0])
    t = colormap_table("plasma")
    cols = colors_for_values([0, 1, np.nan], 0, 1, "plasma")
    hexes = ["#" + bytes(t[i]).hex() for i in (0, 255)]
    assert cols == [*hexes, NAN_COLOR]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_typescript_tables_identical_to_python():
    bundle = STATIC_DIR / "lattice.js"
    if not bundle.is_file():  # pragma: no cover - ./dev.sh builds first
        pytest.skip("front end not built (npm run build)")
    script = (
        f"import({json.dumps(bundle.as_uri())}).then(m => "
        "console.log(JSON.stringify({tables: m.colormapTables(), categorical: m.CATEGORICAL})))"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    got = json.loads(out)
    assert list(got["tables"]) == list(COLORMAPS)  # the same names in the same (picker) order
    for name in COLORMAPS:
        ts = np.frombuffer(bytes.fromhex(got["tables"][name]), dtype=np.uint8).reshape(256, 3)
        np.testing.assert_array_equal(ts, colormap_table(name))
    assert got["categorical"] == list(CATEGORICAL)
    # the bundle carries the data file's tables, not a second copy: every entry appears verbatim
    text = bundle.read_text(encoding="utf-8")
    data = json.loads(JSON_FILE.read_text(encoding="utf-8"))
    assert all(f'"{c}"' in text for name in COLORMAPS for c in data["tables"][name][::17])
