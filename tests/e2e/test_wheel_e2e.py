"""A clean virtual environment with only the built wheel (and JupyterLab) renders a view.

The wheel is built from a clean copy of the checkout (tests/packaging_helpers.py: no bundles, no
node_modules), installed with `pip install <wheel> jupyterlab` into a fresh venv that knows
nothing of this repo (no editable install, no PYTHONPATH), and that venv's JupyterLab runs a
notebook showing a HitMap: the canvas must be drawn from the bundle inside the wheel.

The venv is cached under ~/.cache/somwidget-tests (or $SOMWIDGET_TEST_CACHE), keyed by the
wheel's sha256 and the Python version: the wheel is reproducible, so an unchanged source tree
reuses it, and any change to the package builds a new one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from labhelpers import (
    CANVAS_STATS,
    cell_outputs_text,
    open_notebook,
    run_all,
    wait_idle,
    write_notebook,
)
from packaging_helpers import built_dists

pytestmark = pytest.mark.slow

CACHE = Path(os.environ.get("SOMWIDGET_TEST_CACHE", Path.home() / ".cache" / "somwidget-tests"))
DEV_ONLY = ("pytest", "playwright", "minisom", "hypothesis", "ruff")

SETUP = """\
import sys
import numpy as np
import somwidget
from somwidget import SOM, HitMap
print(somwidget.__file__, sys.executable)
"""

SHOW = """\
X = np.random.default_rng(0).normal(size=(150, 3))
som = SOM(mapsize=(6, 5), random_state=0).fit(X, epochs=3)
HitMap(som, X)
"""


def _clean_env(base: Path) -> dict[str, str]:
    """The environment without anything that points at this repo or the test venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH")}
    env.update({
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "IPYTHONDIR": str(base / "ipython"),
    })
    return env


def _wheel_venv(wheel: Path) -> Path:
    """A venv holding only `wheel` and jupyterlab (and their dependencies), cached by wheel hash."""
    key = hashlib.sha256(wheel.read_bytes()).hexdigest()[:16]
    name = f"wheel-venv-py{sys.version_info[0]}{sys.version_info[1]}-{key}"
    venv = CACHE / name
    if (venv / ".complete").is_file():
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("wheel-venv-*"):  # one cached venv at a time
        shutil.rmtree(old, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(wheel), "jupyterlab"],
        capture_output=True, text=True, timeout=600, env=_clean_env(CACHE / "pip-env"),
    )
    if proc.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise AssertionError(f"pip install of the wheel failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    (venv / ".complete").write_text(wheel.name)
    return venv


def test_wheel_alone_renders_a_view(tmp_path_factory, page, artifacts, lab_starter):
    wheel = built_dists(tmp_path_factory).checkout_wheel
    t0 = time.perf_counter()
    venv = _wheel_venv(wheel)
    venv_s = time.perf_counter() - t0
    base = tmp_path_factory.mktemp("wheel-lab")

    # the venv has the wheel installed as files (not an editable link to this repo), no dev tools
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import importlib.metadata as m, somwidget; print(somwidget.__file__);"
         "print(' '.join(sorted(d.metadata['Name'].lower() for d in m.distributions())))"],
        capture_output=True, text=True, check=True, cwd=base, env=_clean_env(base),
    )
    location, installed = probe.stdout.splitlines()
    assert Path(location).resolve().is_relative_to(venv.resolve()), location
    assert (Path(location).parent / "static" / "lattice.js").is_file()
    assert not set(installed.split()) & set(DEV_ONLY), installed

    # the wheel's own JupyterLab, in an environment that does not point at this repo
    env = _clean_env(base)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])
    with lab_starter(base, python=str(venv / "bin" / "python"), env=env, timeout_s=90) as lab:
        write_notebook(lab["root"] / "wheel.ipynb", [SETUP, SHOW])
        open_notebook(page, lab, "wheel.ipynb")
        run_all(page)
        wait_idle(page, timeout_ms=90_000)
        page.wait_for_function(
            "() => { const v = document.querySelector('.somwidget-view[data-view=\"hits\"]');"
            " return v && Number(v.dataset.draws) > 0 && v.dataset.frame === '1'; }",
            timeout=60_000,
        )
        first = cell_outputs_text(page)[0]
        assert str(venv) in first and location in first, first  # the kernel is the clean venv's
        stats = page.locator('.somwidget-view[data-view="hits"]').evaluate(CANVAS_STATS)
        assert stats["w"] > 50 and stats["h"] > 50, stats
        # cells opaque, transparent around them (the page's theme shows through)
        assert stats["opaque"] >= 0.5 * stats["w"] * stats["h"] and stats["colours"] >= 3, stats
        page.locator(".jp-OutputArea-output").nth(1).screenshot(path=str(artifacts / "wheel-hitmap.png"))
        errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
        assert not errors, errors
    print(f"wheel venv ready in {venv_s:.1f} s")
