"""Every way of installing somwidget ships the built front end, its data files and one version.

The sdist and wheels are built from a clean copy of the checkout (no somwidget/static/*.js, no
node_modules): the build hook (hatch_build.py) must run npm itself. What must be inside is derived
from the checkout (its CSVs, JSON files and js/src files), not from the build's own output.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import tarfile
import zipfile

import pytest
from packaging_helpers import (
    BUNDLES,
    REPO,
    built_dists,
    clean_copy,
    require_build_tools,
    run_build,
    sdist_names,
    wheel_names,
)

pytestmark = pytest.mark.slow


def _pyproject_version() -> str:
    text = (REPO / "pyproject.toml").read_text()
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)["project"]["version"]
    return re.search(r'(?m)^version = "([^"]+)"', text).group(1)


def _repo_files(pattern: str) -> list[str]:
    return sorted(str(p.relative_to(REPO)) for p in (REPO / "somwidget").rglob(pattern)
                  if "__pycache__" not in p.parts)


def _check_bundle(name: str, data: bytes) -> None:
    # esbuild's ESM output for an anywidget entry: a default export carrying render()
    assert len(data) > 300, (name, len(data))
    text = data.decode("utf-8")
    assert "render" in text and re.search(r"export\s*\{[^}]*\bas default\b", text), name


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    return built_dists(tmp_path_factory)


def test_wheel_from_clean_checkout_has_bundles_and_data(dists):
    """`pip install .` / `pip install git+URL` build this way: straight from a fresh checkout."""
    names = wheel_names(dists.checkout_wheel)
    assert set(BUNDLES) <= names, sorted(n for n in names if n.startswith("somwidget/static"))
    csvs, jsons = _repo_files("*.csv"), _repo_files("*.json")
    assert csvs, "the checkout has dataset CSVs"
    assert set(csvs) <= names and set(jsons) <= names, (set(csvs) | set(jsons)) - names
    assert not [n for n in names if "node_modules" in n or n.startswith(("js/", "tests/"))]
    with zipfile.ZipFile(dists.checkout_wheel) as z:
        for b in BUNDLES:
            _check_bundle(b, z.read(b))
    # the copy had neither node_modules nor bundles: the hook installed the tools and built
    assert "building the front end" in dists.checkout_log, dists.checkout_log[-2000:]


def test_sdist_has_front_end_sources_and_bundles(dists):
    names = sdist_names(dists.sdist)
    js_src = sorted(str(p.relative_to(REPO)) for p in (REPO / "js" / "src").rglob("*") if p.is_file())
    assert js_src and set(js_src) <= names, set(js_src) - names
    for f in ("package.json", "package-lock.json", "js/build.mjs", "hatch_build.py", "pyproject.toml"):
        assert f in names, f
    assert set(BUNDLES) <= names  # so installing the sdist needs no node
    assert set(_repo_files("*.csv")) <= names
    assert not [n for n in names if "node_modules" in n or n.startswith(".venv")]


def test_wheel_built_from_sdist_has_bundles(dists):
    names = wheel_names(dists.sdist_wheel)
    assert set(BUNDLES) <= names
    assert set(_repo_files("*.csv")) <= names


def test_sdist_builds_its_front_end_from_sources(dists, tmp_path):
    """An sdist whose bundles are gone (or older than its sources) rebuilds them with npm."""
    require_build_tools()
    with tarfile.open(dists.sdist) as t:
        if hasattr(tarfile, "data_filter"):  # 3.12, and 3.10.12 / 3.11.4 on
            t.extractall(tmp_path, filter="data")
        else:
            t.extractall(tmp_path)
    (src,) = tmp_path.glob("somwidget-*")
    for b in BUNDLES:
        (src / b).unlink()
    log = run_build(src, tmp_path / "out", "--wheel")
    assert "building the front end" in log, log[-2000:]
    (wheel,) = (tmp_path / "out").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        for b in BUNDLES:
            _check_bundle(b, z.read(b))


def test_build_hook_fails_clearly_without_bundles(tmp_path):
    """With npm switched off and no bundles, the build stops and names the missing files."""
    require_build_tools()
    src = clean_copy(tmp_path / "src")
    with pytest.raises(AssertionError, match=r"front-end bundles .*lattice\.js.* are missing"):
        run_build(src, tmp_path / "out", "--wheel", skip_npm=True)
    assert not (src / "node_modules").exists()


def _load_hook():
    require_build_tools()  # hatch_build.py imports hatchling
    spec = importlib.util.spec_from_file_location("somwidget_hatch_build", REPO / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_hook_rebuilds_only_stale_bundles(tmp_path):
    hook = _load_hook()
    (tmp_path / "js" / "src").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    src, a, b = tmp_path / "js" / "src" / "x.ts", tmp_path / "out" / "a.js", tmp_path / "out" / "b.js"
    for p in (src, a, b):
        p.write_text("x")
    os.utime(src, (1000, 1000))
    os.utime(a, (2000, 2000))
    os.utime(b, (500, 500))
    targets, sources = ["out/a.js", "out/b.js", "out/c.js"], ["js/src/**/*"]
    # b is older than the source, c is missing; a is newer (equal would count as up to date)
    assert hook.stale_targets(tmp_path, targets, sources) == ["out/b.js", "out/c.js"]
    os.utime(b, (1000, 1000))
    assert hook.stale_targets(tmp_path, ["out/a.js", "out/b.js"], sources) == []


def test_version_lives_in_pyproject_only(dists, tmp_path):
    import somwidget
    from somwidget import SOM
    from somwidget._version import _source_tree_version

    want = _pyproject_version()
    assert somwidget.__version__ == importlib.metadata.version("somwidget") == want
    assert _source_tree_version() == want  # the fallback for a source tree that is not installed
    assert dists.checkout_wheel.name.startswith(f"somwidget-{want}-")
    with zipfile.ZipFile(dists.checkout_wheel) as z:
        meta = z.read(f"somwidget-{want}.dist-info/METADATA").decode()
    assert re.search(rf"(?m)^Version: {re.escape(want)}$", meta)
    # a saved model records the package version
    som = SOM(mapsize=(3, 2), random_state=0).fit([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], epochs=1)
    som.save(tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["somwidget_version"] == want
    # no other file of the package spells the version out
    for path in (REPO / "somwidget").rglob("*.py"):
        assert not re.search(rf"__version__\s*=\s*[\"']{re.escape(want)}", path.read_text()), path
