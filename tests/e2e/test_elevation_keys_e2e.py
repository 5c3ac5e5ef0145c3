"""Browser test of the ElevationMap without a mouse, in real JupyterLab: Tab focuses the relief,
Shift with the arrow keys moves the focused prism in screen directions (the same prism whatever
PageDown turned), Enter / Space toggle it in the shared Selection, Escape clears it; the live
region says the focused prism (row, col, value, hits counted in the kernel with scipy, selected
or not) and the prism is outlined in the theme's accent colour while the relief has the focus.
"""

from __future__ import annotations

import math
import re

from conftest import REPO
from labhelpers import kernel_exec, open_notebook, run_all, wait_code_cells_executed, write_notebook

CELLS = [
    """\
import numpy as np
from scipy.spatial.distance import cdist
from somwidget import SOM
from somwidget.widgets import ElevationMap, Selection
rng = np.random.default_rng(1)
X = np.vstack([rng.normal(c, 0.4, size=(80, 3)) for c in ([0, 0, 0], [3, 0, 1], [0, 3, 2])])
som = SOM(mapsize=(4, 5), lattice="hexa", random_state=0).fit(X, epochs=3)
sel = Selection()
""",
    """\
ev = ElevationMap(som, X, values="umatrix", selection=sel, azimuth=0, elevation=50, width=420)
ev
""",
]

# the canvas's pixels within 12 of the CSS colour `ring` in each channel
RING_PIXELS = """([el, ring]) => {
  const c = el.querySelector('canvas.sw-elevation-canvas');
  const probe = document.createElement('canvas').getContext('2d');
  probe.fillStyle = ring; probe.fillRect(0, 0, 1, 1);
  const want = probe.getImageData(0, 0, 1, 1).data;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 200 && Math.abs(d[i] - want[0]) <= 12 && Math.abs(d[i + 1] - want[1]) <= 12
        && Math.abs(d[i + 2] - want[2]) <= 12) n++;
  }
  return n;
}"""


def _status(ev) -> str:
    return ev.locator('[role="status"]').inner_text()


def _wait_status(page, ev, needle: str) -> None:
    page.wait_for_function(
        "([el, needle]) => (el.querySelector('[role=\"status\"]')?.textContent ?? '').includes(needle)",
        arg=[ev.element_handle(), needle], timeout=10_000)


def _count_status_writes(ev):
    """Start counting the writes to the view's live region; returns a function that reads the
    count so far."""
    ev.evaluate("""(el) => { const s = el.querySelector('[role="status"]'); el.__said = 0;
      new MutationObserver(() => { el.__said += 1; })
        .observe(s, {childList: true, characterData: true, subtree: true}); }""")
    return lambda: ev.evaluate("(el) => el.__said")


def _wait_kernel(page, code: str, want: str) -> None:
    """Until ``code`` prints ``want`` in the kernel (ipywidgets holds a model's changes back
    while a message of it is pending, so the kernel may read them a moment after the page)."""
    for _ in range(100):
        if kernel_exec(page, code).strip() == want:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{code} prints {kernel_exec(page, code).strip()}, not {want}")


def _wait_kernel_selection(page, want: list[int]) -> None:
    _wait_kernel(page, "print(sel.neurons)", str(want))


def test_elevation_map_selects_with_the_keyboard(lab, page, artifacts):
    write_notebook(lab["root"] / "elevation_keys.ipynb", CELLS)
    open_notebook(page, lab, "elevation_keys.ipynb")
    run_all(page)
    wait_code_cells_executed(page)
    # the kernel runs this worktree's somwidget (the bundle the page runs is read from it)
    path = kernel_exec(page, "import somwidget; print(somwidget.__file__)").strip()
    assert path == str(REPO / "somwidget" / "__init__.py"), path
    ev = page.locator('.somwidget-view[data-view="elevation"]').first
    ev.wait_for(timeout=60_000)
    page.wait_for_function("(el) => Number(el.dataset.draws) > 0", arg=ev.element_handle(), timeout=30_000)
    canvas = ev.locator("canvas.sw-elevation-canvas")
    label = canvas.get_attribute("aria-label")
    assert "Shift+arrow keys move the focused prism" in label and "Enter or Space" in label, label

    # Tab from the colour-map picker: "Clear selection" is disabled (nothing selected), so the
    # relief takes the focus; its focused prism is neuron 0, outlined in the theme's accent colour
    ev.locator("select").focus()
    page.keyboard.press("Tab")
    assert canvas.evaluate("(c) => document.activeElement === c")
    _wait_status(page, ev, "neuron 0,")
    page.wait_for_function("(el) => el.dataset.focusShown === '1'", arg=ev.element_handle(), timeout=5_000)
    ring = ev.evaluate("(el) => el.dataset.ring")
    assert page.evaluate(RING_PIXELS, [ev.element_handle(), ring]) > 20

    # training frames while the relief has the focus do not talk: five refreshes with new
    # values (each would change the focused prism's value in the live region) write nothing to
    # it; the live region speaks for keys, the focus and the selection only
    said = _count_status_writes(ev)
    before = _status(ev)
    frame = int(ev.evaluate("(el) => el.dataset.frame"))
    kernel_exec(page, "for i in range(5): ev.refresh(values=rng.random(20) + i)")
    page.wait_for_function("([el, f]) => Number(el.dataset.frame) >= f", arg=[ev.element_handle(), frame + 5],
                           timeout=10_000)
    assert said() == 0 and _status(ev) == before, (said(), _status(ev), before)
    kernel_exec(page, "ev.refresh(values='umatrix')")

    # the 4 x 5 hexagonal lattice (odd rows shifted right by half a column): neuron k is row
    # k // 5, col k % 5. At azimuth 0 the screen is the plane: Shift+Right twice 0 -> 1 -> 2;
    # Shift+Down from (0, 2) at x = 2: (1, 1) at x = 1.5 and (1, 2) at x = 2.5 are both 30
    # degrees off down, the one clockwise of down on the screen (down-left) wins: 6
    for key in ("Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowDown"):
        page.keyboard.press(key)
    _wait_status(page, ev, "neuron 6,")
    # six PageDowns turn by 15 degrees each to azimuth 90; the focused prism stays 6
    for _ in range(6):
        page.keyboard.press("PageDown")
    page.wait_for_function("(el) => el.dataset.azimuth === '90.00'", arg=ev.element_handle(), timeout=5_000)
    _wait_kernel(page, "print(ev.azimuth, ev.azimuth_slider.value)", "90.0 90.0")
    assert ev.evaluate("(el) => el.somwidget.focused()") == 6 and "neuron 6," in _status(ev)
    # azimuth 90 turns the plane offset (u, v) to the screen's (-v, u): plane down is screen
    # left. Shift+Left from (1, 1): (2, 1) and (2, 2) are 30 degrees off left, (2, 1) is
    # clockwise of it (above): 11. Enter selects it
    page.keyboard.press("Shift+ArrowLeft")
    _wait_status(page, ev, "neuron 11,")
    page.keyboard.press("Enter")
    _wait_kernel_selection(page, [11])
    # screen up is plane left: (2, 0) = 10; Space adds it; Escape clears both
    page.keyboard.press("Shift+ArrowUp")
    _wait_status(page, ev, "neuron 10,")
    page.keyboard.press(" ")
    _wait_kernel_selection(page, [10, 11])
    _wait_status(page, ev, "2 neurons selected")
    page.keyboard.press("Escape")
    _wait_kernel_selection(page, [])
    _wait_status(page, ev, "not selected")
    # screen down is plane right: back to 11, and Enter selects it alone
    page.keyboard.press("Shift+ArrowDown")
    _wait_status(page, ev, "neuron 11,")
    page.keyboard.press("Enter")
    _wait_kernel_selection(page, [11])
    _wait_status(page, ev, ", selected")

    # what the live region says, against the kernel: the unit, its row and col, its U-matrix
    # value and its hits counted with cdist's argmin
    hits, value = kernel_exec(
        page, "print(int(np.bincount(cdist(X, som.codebook_).argmin(axis=1), minlength=20)[11]),"
              " float(ev.values[11]))").split()
    text = _status(ev)
    assert text.startswith("neuron 11, row 2, col 1, ") and f"hits: {hits}, selected" in text, text
    m = re.search(r"\(U-matrix\): ([-0-9.e+]+), hits", text)
    assert m and math.isclose(float(m.group(1)), float(value), rel_tol=1e-3), (text, value)
    ev.screenshot(path=str(artifacts / "elevation-keys-focus.png"))
    # the view's own words name the keys for a sighted user too
    assert "Shift+arrows and Enter to select" in ev.locator(".sw-sub").inner_text()

    # away from the relief: no focus outline (the focused prism is kept for the next visit)
    canvas.evaluate("(c) => c.blur()")
    page.wait_for_function("(el) => el.dataset.focusShown === '0'", arg=ev.element_handle(), timeout=5_000)
    page.wait_for_function(f"([el, ring]) => ({RING_PIXELS})([el, ring]) === 0",
                           arg=[ev.element_handle(), ring], timeout=5_000)
    assert ev.evaluate("(el) => el.somwidget.focused()") == 11

    # the keys it does not handle go on to JupyterLab: Ctrl+Enter, Alt+Enter and Shift+Enter
    # leave the canvas neither stopped nor default-prevented (seen, then stopped, by the box
    # around it here, so they run nothing)
    canvas.focus()
    passed = canvas.evaluate("""(c) => { const seen = [];
      const keep = (e) => { seen.push([e.key, e.ctrlKey, e.altKey, e.shiftKey, e.defaultPrevented]); e.stopPropagation(); };
      c.parentElement.addEventListener('keydown', keep);
      for (const m of [{ctrlKey: true}, {altKey: true}, {shiftKey: true}, {shiftKey: true, key: ' '}])
        c.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true, ...m}));
      c.parentElement.removeEventListener('keydown', keep);
      return seen; }""")
    assert passed == [["Enter", True, False, False, False], ["Enter", False, True, False, False],
                      ["Enter", False, False, True, False], [" ", False, False, True, False]], passed
    assert kernel_exec(page, "print(sel.neurons)").strip() == "[11]"  # Shift+Space toggled nothing
    # and in JupyterLab, Shift+Enter on the focused relief runs its cell and moves to the next
    # (the last cell's Shift+Enter adds a cell below): the notebook had 2 cells, now 3
    assert page.locator(".jp-Notebook .jp-Cell").count() == 2
    canvas.focus()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-Cell').length === 3"
                           " && document.querySelectorAll('.jp-Notebook .jp-Cell')[2]"
                           ".classList.contains('jp-mod-active')", timeout=10_000)
    errors = [m for m in page.console_messages_seen if m.startswith(("error", "pageerror"))]
    assert not errors, errors
