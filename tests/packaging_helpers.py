"""Build somwidget's sdist and wheels from a clean copy of the checkout, once per test session.

Shared by tests/test_packaging.py and tests/e2e/test_wheel_e2e.py. "Clean" means what a fresh
`git clone` holds: git's tracked files (plus untracked files git does not ignore), with no
front-end bundles (somwidget/static/*.js, build output) and no node_modules, so the build hook
(hatch_build.py) has to run `npm ci` and `npm run build` itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUNDLES = ("somwidget/static/lattice.js", "somwidget/static/planes.js", "somwidget/static/selection.js",
           "somwidget/static/elevation.js")
_NEVER_COPIED = {".git", ".venv", "node_modules", "dist", "build", "artifacts", "__pycache__",
                 ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints"}


def _source_files() -> list[str]:
    """Paths (relative to the repo) a fresh clone would have."""
    if (REPO / ".git").exists() and shutil.which("git"):
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, check=True, capture_output=True,
        ).stdout.decode()
        files = [f for f in out.split("\0") if f]
    else:  # an unpacked sdist: everything but build output
        files = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file()]
    return [
        f for f in files
        if not set(Path(f).parts) & _NEVER_COPIED
        and not f.startswith("somwidget/static/")
        and (REPO / f).is_file() and not (REPO / f).is_symlink()
    ]


def clean_copy(dest: Path) -> Path:
    """Copy the checkout's source files into ``dest`` (no bundles, no node_modules)."""
    for rel in _source_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    return dest


def require_build_tools() -> None:
    """Fail with a clear message where the dev extras (`build`, `hatchling`) are missing."""
    for module in ("build", "hatchling"):
        try:
            __import__(module)
        except ImportError:
            pytest.fail(f"the packaging tests need {module!r} from the dev extras: run ./dev.sh test "
                        "(or pip install -e '.[dev]')")


def run_build(src: Path, outdir: Path, *flags: str, skip_npm: bool = False) -> str:
    """``python -m build --no-isolation [flags] src``; returns its output (raises with it on failure).

    npm uses its cache first (``prefer-offline``); ``skip_npm`` sets the hook's SOMWIDGET_SKIP_NPM.
    """
    env = {**os.environ, "npm_config_prefer_offline": "true", "npm_config_update_notifier": "false"}
    env.pop("SOMWIDGET_SKIP_NPM", None)
    if skip_npm:
        env["SOMWIDGET_SKIP_NPM"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", *flags, "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError(f"python -m build {' '.join(flags)} failed:\n{log[-4000:]}")
    return log


@dataclass(frozen=True)
class Dists:
    """The distributions built from one clean copy, and the build logs."""

    checkout_wheel: Path   # built straight from the checkout (pip install . / pip install git+URL)
    checkout_log: str
    sdist: Path            # python -m build: the sdist ...
    sdist_wheel: Path      # ... and the wheel built from the unpacked sdist
    sdist_log: str


_BUILT: dict[str, Dists] = {}


def built_dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """Build (once per session) a wheel from a clean checkout, and an sdist plus its wheel."""
    if "dists" not in _BUILT:
        require_build_tools()
        base = tmp_path_factory.mktemp("dists")
        one = clean_copy(base / "checkout-wheel")
        checkout_log = run_build(one, base / "out-wheel", "--wheel")
        two = clean_copy(base / "checkout-sdist")
        sdist_log = run_build(two, base / "out-sdist")
        (wheel,) = (base / "out-wheel").glob("*.whl")
        (sdist,) = (base / "out-sdist").glob("*.tar.gz")
        (sdist_wheel,) = (base / "out-sdist").glob("*.whl")
        _BUILT["dists"] = Dists(wheel, checkout_log, sdist, sdist_wheel, sdist_log)
    return _BUILT["dists"]


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def sdist_names(sdist: Path) -> set[str]:
    """Member paths of the sdist without its top folder (``somwidget-<version>/``)."""
    with tarfile.open(sdist) as t:
        return {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name and m.isfile()}
