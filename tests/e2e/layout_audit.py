"""How a notebook's outputs are laid out, measured in the browser: what overlaps, what is cut off.

``layout_problems(page)`` looks at every output area of the open notebook and returns

* ``page``: how many pixels the page, the notebook's scrolling panel and the notebook itself are
  wider inside than they show (anything above 0 is a horizontal scrollbar on the whole page);
* ``overlaps``: pairs of shown pieces of one output that lie over each other by more than a
  pixel both ways. A piece is a figure (a canvas, measured as the box of its painted pixels; a
  top-level svg; an image), a control (button, input, select, textarea) or a run of text
  (measured as the text itself, a DOM ``Range``).
  Pieces of one figure (the canvases stacked in one box, everything in one bqplot figure) do
  not count against each other, nor does a piece against its own ancestor;
* ``clipped``: pieces that reach past the edge of a box that hides its overflow (``hidden``,
  ``clip``), past the left or top edge of a box that scrolls (it scrolls only to the right and
  down) or past the output area's own edges: what does not show and cannot be scrolled to.
  The text of a top-level svg counts as clipped where it leaves its svg. Overlaps are measured
  on what shows of each piece (cut by the boxes above it that hide or scroll their overflow);
* ``ellipsis``: texts cut short on purpose (their own box ends them with ``text-overflow:
  ellipsis``), with their ``title`` (the whole text, where there is one);
* ``scrolls``: boxes inside an output that scroll sideways (by design in a few places, e.g. a
  wide table), with how far what is drawn in them reaches past their right edge (``hides``,
  px) and ``needless`` where that is at most a pixel: a scrollbar that scrolls to nothing.

Each item names its output (index in document order) and its elements (tag.class path).
"""

from __future__ import annotations

from typing import Any

LAYOUT_AUDIT = r"""([maxItems, only, ignore]) => {
  const name = (e) => { if (!e || e.nodeType !== 1) return String(e);
    const cls = typeof e.className === 'string' ? e.className
      : (e.className && e.className.baseVal) || '';
    const dv = e.dataset && e.dataset.view ? `[${e.dataset.view}]` : '';
    return e.tagName.toLowerCase() + dv + (cls.trim() ? '.' + cls.trim().split(/\s+/).slice(0, 3).join('.') : ''); };
  const path = (e, stop) => { const parts = [];
    for (let a = e; a && a !== stop && parts.length < 5; a = a.parentElement) parts.push(name(a));
    return parts.join(' < '); };
  const box = (b) => ({l: +b.left.toFixed(1), t: +b.top.toFixed(1), r: +b.right.toFixed(1), b: +b.bottom.toFixed(1)});
  const shown = (e, stop) => { const b = e.getBoundingClientRect();
    if (b.width < 1 || b.height < 1) return false;
    for (let a = e; a && a !== stop.parentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false;
    }
    return true; };
  // the boxes of an element's own text, one per line it takes
  const textBoxes = (e) => { const out = [];
    for (const n of e.childNodes) {
      if (n.nodeType !== 3 || !n.textContent.trim()) continue;
      const rg = document.createRange(); rg.selectNodeContents(n);
      for (const q of rg.getClientRects()) if (q.width >= 0.5 && q.height >= 0.5) out.push(q);
    }
    return out; };
  // a canvas's painted part (its box less the transparent margin around the drawing), or null
  const inkBox = (c) => { const b = c.getBoundingClientRect();
    let ctx = null; try { ctx = c.width && c.height ? c.getContext('2d') : null; } catch (err) { ctx = null; }
    if (!ctx) return b;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
      if (d[(y * c.width + x) * 4 + 3] === 0) continue;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (x1 < 0) return null;
    const sx = b.width / c.width, sy = b.height / c.height;
    return {left: b.left + x0 * sx, right: b.left + (x1 + 1) * sx, top: b.top + y0 * sy, bottom: b.top + (y1 + 1) * sy}; };
  const ownText = (e) => Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
  // the element a piece belongs to as one figure: a bqplot figure, or a canvas's own box
  const group = (e) => e.closest('.bqplot') || (e.tagName === 'CANVAS' ? e.parentElement : e);

  const sc = document.scrollingElement;
  const outer = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  const result = {
    page: {width: window.innerWidth,
           document: sc.scrollWidth - sc.clientWidth,
           body: document.body.scrollWidth - document.body.clientWidth,
           panel: outer ? outer.scrollWidth - outer.clientWidth : null,
           notebook: nb ? nb.scrollWidth - nb.clientWidth : null,
           notebookWidth: nb ? nb.getBoundingClientRect().width : null},
    outputs: [], overlaps: [], clipped: [], ellipsis: [], scrolls: []};
  const outs = Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'));
  outs.forEach((out, oi) => {
    if (only !== null && !only.includes(oi)) return;
    const ob = out.getBoundingClientRect();
    result.outputs.push({i: oi, mime: out.dataset.mimeType || 'widget', ...box(ob)});
    const pieces = [], drawn = [];  // what shows; the right edge of everything drawn
    for (const e of out.querySelectorAll('canvas, svg, img, button, input, select, textarea, *')) {
      let kind = null;
      if (e.matches('canvas, img') || (e.tagName.toLowerCase() === 'svg' && !e.parentElement.closest('svg'))) kind = 'figure';
      else if (e.matches('button, input, select, textarea')) kind = 'control';
      else if (!(e instanceof SVGElement) && ownText(e) && !e.closest('button, select, option, textarea')) kind = 'text';
      if (!kind || !shown(e, out) || (ignore && e.closest(ignore))) continue;
      const boxes = kind === 'text' ? textBoxes(e) : [e.tagName === 'CANVAS' ? inkBox(e) : e.getBoundingClientRect()];
      for (const b of boxes) {
        if (!b) continue;
        // what of it shows: its box cut by every box above it that hides or scrolls its overflow
        const v = {left: b.left, top: b.top, right: b.right, bottom: b.bottom};
        let cut = null;
        for (let a = kind === 'text' ? e : e.parentElement; a && a !== out.parentElement; a = a.parentElement) {
          const s = getComputedStyle(a);
          if (s.display === 'inline') continue;  // overflow does not apply to an inline box
          const ab = a.getBoundingClientRect();
          const left = ab.left + a.clientLeft, right = left + a.clientWidth;
          const top = ab.top + a.clientTop, bottom = top + a.clientHeight;
          if (s.overflowX !== 'visible' || a === out) {
            // a box that scrolls shows what lies past its right edge, not what lies past its left
            const scrolls = s.overflowX === 'auto' || s.overflowX === 'scroll';
            if (!cut && ((!scrolls && b.right > right + 1) || b.left < left - 1))
              cut = {by: a, side: b.right > right + 1 ? 'right' : 'left', edge: b.right > right + 1 ? right : left,
                     overflow: s.overflowX};
            v.left = Math.max(v.left, left); v.right = Math.min(v.right, right);
          }
          if (s.overflowY !== 'visible') {
            const scrolls = s.overflowY === 'auto' || s.overflowY === 'scroll';
            if (!cut && ((!scrolls && b.bottom > bottom + 1) || b.top < top - 1))
              cut = {by: a, side: b.bottom > bottom + 1 ? 'bottom' : 'top', edge: b.bottom > bottom + 1 ? bottom : top,
                     overflow: s.overflowY};
            v.top = Math.max(v.top, top); v.bottom = Math.min(v.bottom, bottom);
          }
        }
        const text = kind === 'text' ? ownText(e).slice(0, 40) : undefined;
        // a text cut short on purpose, with an ellipsis (its box's own text-overflow)
        if (cut && cut.by === e && getComputedStyle(e).textOverflow === 'ellipsis') {
          if (result.ellipsis.length < maxItems)
            result.ellipsis.push({output: oi, text, el: path(e, out), title: e.title || null});
          cut = null;
        }
        if (cut && result.clipped.length < maxItems)
          result.clipped.push({output: oi, kind, text, el: path(e, out), ...box(b), by: name(cut.by),
                               side: cut.side, edge: +cut.edge.toFixed(1), overflow: cut.overflow});
        drawn.push({e, right: b.right});
        if (v.right - v.left < 1 || v.bottom - v.top < 1) continue;  // scrolled out of sight
        pieces.push({e, kind, b: v, g: group(e), text});
      }
    }
    // overlaps between pieces of different figures
    for (let i = 0; i < pieces.length; i++) for (let j = i + 1; j < pieces.length; j++) {
      const p = pieces[i], q = pieces[j];
      if (p.g === q.g || p.e.contains(q.e) || q.e.contains(p.e)) continue;
      if (p.g.contains(q.e) && p.kind === 'figure' && q.kind === 'figure') continue;
      const w = Math.min(p.b.right, q.b.right) - Math.max(p.b.left, q.b.left);
      const h = Math.min(p.b.bottom, q.b.bottom) - Math.max(p.b.top, q.b.top);
      if (w > 1 && h > 1 && result.overlaps.length < maxItems)
        result.overlaps.push({output: oi, by: [+w.toFixed(1), +h.toFixed(1)],
          a: {kind: p.kind, text: p.text, el: path(p.e, out), ...box(p.b)},
          b: {kind: q.kind, text: q.text, el: path(q.e, out), ...box(q.b)}});
    }
    // svg text that leaves its own svg
    for (const svg of out.querySelectorAll('svg')) {
      if (svg.parentElement.closest('svg') || !shown(svg, out)) continue;
      const sb = svg.getBoundingClientRect();
      for (const t of svg.querySelectorAll('text')) {
        if (!t.textContent.trim() || !shown(t, out)) continue;
        const tb = t.getBoundingClientRect();
        if ((tb.right > sb.right + 1 || tb.left < sb.left - 1 || tb.top < sb.top - 1 || tb.bottom > sb.bottom + 1)
            && result.clipped.length < maxItems)
          result.clipped.push({output: oi, kind: 'svg text', text: t.textContent.trim().slice(0, 40),
                               el: path(t, out), ...box(tb), by: name(svg), svg: box(sb)});
      }
    }
    for (const e of [out, ...out.querySelectorAll('*')]) {
      if (!(e instanceof HTMLElement) || e.scrollWidth <= e.clientWidth) continue;  // a pixel is a scrollbar too
      const s = getComputedStyle(e);
      if (s.overflowX !== 'auto' && s.overflowX !== 'scroll') continue;
      if (!shown(e, out)) continue;
      // how far what is drawn in it (ink, text, controls) reaches past its right edge: at most
      // a pixel means a scrollbar that scrolls to nothing (an empty box's margin, a canvas's
      // transparent border)
      const right = e.getBoundingClientRect().left + e.clientLeft + e.clientWidth;
      const inside = drawn.filter(d => e.contains(d.e) && d.e !== e).map(d => {
        let r = d.right;  // less what a box between them hides or scrolls of its own
        for (let a = d.e.parentElement; a && a !== e; a = a.parentElement) {
          const sa = getComputedStyle(a);
          if (sa.overflowX === 'visible' || sa.display === 'inline') continue;
          r = Math.min(r, a.getBoundingClientRect().left + a.clientLeft + a.clientWidth);
        }
        return r; });
      const hides = inside.length ? Math.max(...inside) - right : 0;
      if (result.scrolls.length < maxItems)
        result.scrolls.push({output: oi, el: path(e, out), scrollWidth: e.scrollWidth, clientWidth: e.clientWidth,
                             hides: +hides.toFixed(1), needless: hides <= 1});
    }
  });
  return result;
}"""


def layout_problems(page: Any, max_items: int = 60, only: list[int] | None = None,
                    ignore: str | None = None) -> dict[str, Any]:
    """The layout of the open notebook's outputs (see the module's docstring).

    Parameters
    ----------
    page : playwright.sync_api.Page
        A page showing a notebook in JupyterLab.
    max_items : int
        At most this many items in each of the lists.
    only : list of int, optional
        Look at these outputs only (indices among all the notebook's output areas).
    ignore : str, optional
        A CSS selector: what lies in an element it matches is no piece (e.g. an overlay laid
        over other pieces on purpose).

    Returns
    -------
    dict
        ``page``, ``outputs``, ``overlaps``, ``clipped``, ``ellipsis`` and ``scrolls``.
    """
    return page.evaluate(LAYOUT_AUDIT, [max_items, only, ignore])
