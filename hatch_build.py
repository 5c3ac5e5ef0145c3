"""Hatch build hook: every wheel and sdist ships the built front end (somwidget/static/*.js).

The bundles are esbuild output and are not tracked by git, so `pip install .`, `pip install
git+URL`, `python -m build` and a wheel built from the sdist all come through here. The hook
rebuilds the bundles when one is missing or older than the front-end sources (``npm ci`` first
when node_modules is missing, then ``npm run build``), and fails with a clear message when a
bundle named in ``ensured-targets`` is still missing afterwards. An sdist carries the bundles as
well as their sources, so installing it needs no node unless the sources are newer.

Configured in pyproject.toml under ``[tool.hatch.build.hooks.custom]``:
``ensured-targets`` (the bundles) and ``sources`` (glob patterns of the build inputs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SKIP_ENV = "SOMWIDGET_SKIP_NPM"


def _newest_mtime(root: Path, patterns: list[str]) -> float:
    newest = 0.0
    for pattern in patterns:
        for path in root.glob(pattern):
            if path.is_file() and "node_modules" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def stale_targets(root: Path, targets: list[str], sources: list[str]) -> list[str]:
    """The targets that are missing or older than the newest source file."""
    newest = _newest_mtime(root, sources)
    return [t for t in targets if not (root / t).is_file() or (root / t).stat().st_mtime < newest]


def _run(cmd: list[str], cwd: Path) -> None:
    exe = shutil.which(cmd[0])
    if exe is None:
        raise RuntimeError(
            f"building somwidget's front end needs node >= 20 with npm, and {cmd[0]!r} is not on "
            "PATH: install Node.js, or install somwidget from a wheel (which carries the bundles)"
        )
    subprocess.run([exe, *cmd[1:]], cwd=cwd, check=True)


class FrontEndBuildHook(BuildHookInterface):
    """Build somwidget/static/*.js with npm before hatchling collects the files."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name not in ("wheel", "sdist"):
            return
        root = Path(self.root)
        targets = list(self.config.get("ensured-targets", []))
        sources = list(self.config.get("sources", []))
        stale = stale_targets(root, targets, sources)
        if stale and os.environ.get(SKIP_ENV) != "1":
            self.app.display_info(
                f"somwidget: building the front end ({', '.join(stale)} missing or out of date)")
            if not (root / "node_modules").is_dir():
                _run(["npm", "ci", "--no-audit", "--no-fund", "--no-update-notifier",
                      "--loglevel=error"], root)
            _run(["npm", "run", "--silent", "build"], root)
        missing = [t for t in targets if not (root / t).is_file()]
        if missing:
            raise RuntimeError(
                f"the front-end bundles {missing} are missing after the build "
                f"(run `npm ci && npm run build`, or unset {SKIP_ENV})"
            )
