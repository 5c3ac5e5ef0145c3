"""The repo's notebooks run once in a session's JupyterLab, for every test that looks at them.

A notebook of ``notebooks/`` takes a kernel start and most of a minute of training to run in
the browser; ``test_narrow_e2e`` (its layout at three widths) and ``test_notebooks_look_e2e``
(how it reads in the light theme) look at the same light-theme run. :class:`NotebookRuns` runs
each notebook the first time one of them asks for it and keeps the page for the other one,
which closes it when done (``release``). Either test run alone still gets its own run; a run
that fails is dropped, so the next test that asks runs it again (no test reads a half run).

The run: a 1280 x 900 page of the Chromium that draws scrollbars (``scrollbar_context``),
JupyterLab's file browser open, the light theme, every code cell executed, and the trainers
that run on after their cells (the teaching notebook's) joined: every test reads the finished
state, whichever asks first. Each test checks the cells' errors itself, so a failed run fails
every test that looks at it.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

from labhelpers import (
    cell_errors,
    code_prompts,
    kernel_exec,
    open_notebook,
    run_all,
    wait_code_cells_executed,
)

REPO = Path(__file__).resolve().parent.parent.parent

#: what a run waits for in the kernel once its cells are done: the trainers (threads) that a
#: notebook's cells start and leave running
JOIN = {"teaching": "trainer.join(120); color_trainer.join(120)"}


class NotebookRuns:
    """Pages of executed notebooks, by name (``quickstart`` for ``notebooks/quickstart.ipynb``).

    Parameters
    ----------
    lab : dict
        The session's JupyterLab (the ``lab`` fixture).
    context : playwright.sync_api.BrowserContext
        Where the pages open (the ``scrollbar_context`` fixture).
    artifacts : pathlib.Path
        Where a run that does not finish leaves ``light-<name>-timeout.png``.
    opener : callable
        ``opener(context)``: a context manager giving a new page (conftest's ``_recording_page``).
    """

    def __init__(self, lab: dict, context: Any, artifacts: Path, opener: Any) -> None:
        self.lab, self.context, self.artifacts, self._opener = lab, context, artifacts, opener
        self._pages: dict[str, tuple[Any, contextlib.ExitStack]] = {}

    def page(self, name: str, timeout_ms: int = 300_000) -> Any:
        """The page of ``notebooks/<name>.ipynb`` run to its end (run now unless it was)."""
        if name not in self._pages:
            stack = contextlib.ExitStack()
            page = stack.enter_context(self._opener(self.context))
            self._pages[name] = (page, stack)
            try:
                self._run(page, name, timeout_ms)
            except BaseException:
                self.release(name)  # a run that failed is no one's: the next asker runs it again
                raise
        page = self._pages[name][0]
        # a theme another page set (a user setting of the shared JupyterLab) must not have
        # reached the kept page: its canvases drew in the light one
        assert page.evaluate("() => document.body.dataset.jpThemeLight") == "true", name
        page.set_viewport_size({"width": 1280, "height": 900})
        return page

    def _run(self, page: Any, name: str, timeout_ms: int) -> None:
        file = f"light_{name}.ipynb"
        shutil.copy(REPO / "notebooks" / f"{name}.ipynb", self.lab["root"] / file)
        shutil.copytree(REPO / "notebooks" / "data", self.lab["root"] / "data", dirs_exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        open_notebook(page, self.lab, file)
        # the light theme before the cells run (canvases read the theme as they draw)
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme',"
                      " {theme: 'JupyterLab Light'}) && null")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=20_000)
        run_all(page)
        try:
            wait_code_cells_executed(page, timeout_ms=timeout_ms)
        except Exception:
            page.screenshot(path=str(self.artifacts / f"light-{name}-timeout.png"))
            raise AssertionError(f"{name} did not finish: prompts {code_prompts(page)}, "
                                 f"errors {cell_errors(page)}") from None
        if name in JOIN and not cell_errors(page):  # (a cell's error is each test's to report)
            out = kernel_exec(page, JOIN[name], timeout_ms=260_000)
            assert "Error" not in out, f"{name}: {JOIN[name]}: {out}"

    def release(self, name: str) -> None:
        """Close the page of ``name`` (a later ``page(name)`` runs the notebook again)."""
        if name in self._pages:
            self._pages.pop(name)[1].close()

    def close(self) -> None:
        for name in list(self._pages):
            self.release(name)
