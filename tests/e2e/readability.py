"""Readability of a notebook's outputs, measured in the browser (light or dark theme).

``unreadable(page)`` returns the text in the output areas whose contrast with what is behind it
(the first opaque background up the tree, translucent layers blended in) is below ``min_text``,
and the drawn bqplot lines and dots whose contrast with the figure's background is below
``min_mark``. The bounds are "readable", not WCAG AA: 3:1 for text (AA asks 4.5:1 for small
text, 3:1 for large) and 2:1 for marks. Left out: buttons, inputs and other controls (the
widget library's own styling), ipywidgets' tab bar, glyph-only colour keys (●, ✚) and the SVG
pictures, which carry their own white background.
"""

from __future__ import annotations

READABILITY = r"""([minText, minMark]) => {
  // WCAG contrast of every piece of text in the notebook's outputs against what is behind it,
  // and of every drawn bqplot line / dot against the figure's background.
  const parse = (c) => { const m = c && c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const over = (top, bottom) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
  const lum = (c) => { const f = (x) => { x /= 255; return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bodyBg = parse(getComputedStyle(document.querySelector('.jp-Notebook') || document.body).backgroundColor);
  const bgOf = (el) => { const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let bg = bodyBg && bodyBg[3] > 0 ? bodyBg : [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg; };
  const opacityOf = (el) => { let o = 1; for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
      && getComputedStyle(el).visibility !== 'hidden'; };
  const path = (el) => { const parts = []; for (let e = el; e && parts.length < 4; e = e.parentElement)
      parts.push(e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').slice(0, 2).join('.') : ''));
    return parts.join(' < '); };
  const text = [], marks = [];
  for (const out of document.querySelectorAll('.jp-OutputArea-output')) {
    for (const el of out.querySelectorAll('*')) {
      const own = Array.from(el.childNodes).filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim()).join(' ');
      // a colour key (a glyph such as ● or ✚, no letters or digits) is no text to read
      if (!/[\p{L}\p{N}]/u.test(own)) continue;
      if (!own || !seen(el) || el.closest('button, select, input, option, .widget-button, .widget-toggle-button')) continue;
      if (el.closest('[disabled]') || el.matches(':disabled')) continue;
      if (el.closest('.lm-TabBar') || (el instanceof SVGElement && !el.closest('.bqplot'))) continue;
      const s = getComputedStyle(el);
      const isSvg = el instanceof SVGElement;
      let fg = parse(isSvg ? s.fill : s.color);
      if (!fg) continue;
      const bg = isSvg ? bgOf(el.closest('svg')) : bgOf(el);
      fg = over([fg[0], fg[1], fg[2], fg[3] * opacityOf(el)], bg);
            const need = minText;
      const ratio = contrast(fg, bg);
      if (ratio < need) text.push({text: own.slice(0, 60), ratio: +ratio.toFixed(2), need, fg: s.color || s.fill, where: path(el)});
    }
    for (const el of out.querySelectorAll('.bqplot path.line, .bqplot path.dot')) {
      if (!seen(el)) continue;
      const s = getComputedStyle(el);
      const col = parse(el.classList.contains('dot') ? s.fill : s.stroke);
      if (!col) continue;
      const bg = bgOf(el.closest('svg'));
      const ratio = contrast(over([col[0], col[1], col[2], col[3]], bg), bg);
      if (ratio < minMark) marks.push({cls: el.getAttribute('class'), ratio: +ratio.toFixed(2), colour: el.classList.contains('dot') ? s.fill : s.stroke, where: path(el)});
    }
  }
  return {text, marks};
}"""


def unreadable(page, min_text: float = 3.0, min_mark: float = 2.0) -> dict:
    """``{"text": [...], "marks": [...]}``: what reads worse than the bounds (see module doc)."""
    return page.evaluate(READABILITY, [min_text, min_mark])
