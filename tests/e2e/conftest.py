"""Fixtures for the browser end-to-end tests: a throw-away JupyterLab + headless Chromium.

Adapted from shared/design/e2e-example (the recipe proven on this machine).

Everything lives under pytest's tmp dirs; nothing touches ~/.jupyter.
Env knobs:
  CHROMIUM=/usr/bin/chromium   browser binary (Playwright's own download is not needed)
  E2E_ARTIFACTS=dir            where screenshots/metrics go (default: tmp dir)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_user_settings(settings_dir: Path, extra: dict) -> None:
    """extra: {"@jupyterlab/apputils-extension:kernels-settings": {...}, ...}"""
    files = {"@jupyterlab/apputils-extension:notification":
             # Silence the "fetch news?" toast and update checks (closed network).
             {"fetchNews": "false", "checkForUpdates": False}, **extra}
    for plugin_id, values in files.items():
        pkg, plugin = plugin_id.split(":")
        d = settings_dir / pkg
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))


@pytest.fixture(scope="session")
def lab_starter():
    """:func:`start_lab` for tests that start a JupyterLab of their own (another interpreter)."""
    return start_lab


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    d = os.environ.get("E2E_ARTIFACTS")
    path = Path(d) if d else REPO / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def start_lab(base: Path, extra_args=(), settings: dict | None = None, *,
              python: str = sys.executable, env: dict | None = None, timeout_s: float = 60):
    """Start `jupyter lab` on 127.0.0.1:<free port> with a random token.

    ``python``: the interpreter whose JupyterLab runs (default: this one, with the repo on the
    kernel's PYTHONPATH); ``env``: the whole environment instead of that default one (the wheel
    test's venv, which must not see the repo)."""
    root = base / "root"
    root.mkdir(parents=True)
    port, token = _free_port(), secrets.token_hex(16)
    env = env if env is not None else {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "IPYTHONDIR": str(base / "ipython"),
        # the kernel inherits this, so notebooks can import the repo's somwidget and test helpers
        "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE), os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    _write_user_settings(base / "settings", settings or {})
    log = open(base / "jupyter.log", "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            python, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for tests
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            # CI containers often run as root; jupyter refuses without this
            *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
            *extra_args,
        ],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError((base / "jupyter.log").read_text()[-3000:])
            time.sleep(0.2)
        yield {"url": url, "token": token, "root": root, "log": base / "jupyter.log",
               "startup_s": time.perf_counter() - t0, "proc": proc}
    finally:
        # Clean shutdown: the REST call stops kernels too; fall back to signals.
        try:
            req = urllib.request.Request(f"{url}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=5)
        except OSError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("lab")) as info:
        yield info


@pytest.fixture(scope="session")
def playwright_session():
    """The one Playwright driver of the session (a second ``sync_playwright()`` cannot start
    while one runs): tests that need a browser of their own launch it from this."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@contextlib.contextmanager
def launch_browser(playwright, **kwargs):
    """A headless Chromium with a fresh profile of its own (``launch_persistent_context``);
    ``kwargs`` go to Playwright (e.g. ``ignore_default_args``)."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        ctx = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            **kwargs,
        )
        try:
            yield ctx
        finally:
            ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context(playwright_session):
    with launch_browser(playwright_session) as ctx:
        yield ctx


@contextlib.contextmanager
def _recording_page(ctx, console: bool = True):
    """A new page of ``ctx`` that keeps its page errors (and console messages) in
    ``page.console_messages_seen``; closed on exit."""
    pg = ctx.new_page()
    pg.console_messages_seen = []
    if console:
        pg.on("console", lambda m: pg.console_messages_seen.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: pg.console_messages_seen.append(f"pageerror: {e}"))
    try:
        yield pg
    finally:
        pg.close()


@pytest.fixture
def page(browser_context):
    with _recording_page(browser_context) as pg:
        yield pg


@pytest.fixture(scope="session")
def scrollbar_context(playwright_session):
    # Playwright starts headless Chromium with --hide-scrollbars: this one draws them (the
    # tests of scrollbars and of what overflows)
    with launch_browser(playwright_session, ignore_default_args=["--hide-scrollbars"]) as ctx:
        yield ctx


@pytest.fixture
def scrollbar_page(scrollbar_context):
    with _recording_page(scrollbar_context, console=False) as pg:
        yield pg


@pytest.fixture(scope="session")
def notebook_runs(lab, scrollbar_context, artifacts):
    """The repo's notebooks, each run once in the light theme for every test that looks at
    it (``shared_runs.NotebookRuns``)."""
    from shared_runs import NotebookRuns

    runs = NotebookRuns(lab, scrollbar_context, artifacts, _recording_page)
    try:
        yield runs
    finally:
        runs.close()


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            # A real browser, a JupyterLab server and a kernel share 2 cores here: a rare timing
            # hiccup (e.g. a click landing while the page re-lays out) must not sink the suite.
            # A failure is retried once; pytest reports every rerun ("R"), so flakiness stays visible.
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
