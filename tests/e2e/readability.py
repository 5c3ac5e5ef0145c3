"""Readability of a notebook's outputs, measured in the browser (light or dark theme).

``unreadable(page)`` returns the text in the output areas whose contrast with what is behind it
(the first opaque background up the tree, translucent layers blended in) is below ``min_text``,
and the drawn bqplot lines and dots whose contrast with the figure's background is below
``min_mark``. The bounds are "readable", not WCAG AA: 3:1 for text (AA asks 4.5:1 for small
text, 3:1 for large) and 2:1 for marks. Left out: buttons, inputs and other controls (the widget
library's own styling), ipywidgets' tab bar, glyph-only colour keys (●, ✚), the SVG pictures
(static ones, drawn on their own white background) and what the canvases draw.
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
      if (!/[\p{L}\p{N}]/u.test(own) || !seen(el) || el.closest('button, select, input, option, .widget-button, .widget-toggle-button')) continue;
      if (el.closest('[disabled]') || el.matches(':disabled')) continue;
      if (el.closest('.lm-TabBar') || (el instanceof SVGElement && !el.closest('.bqplot'))) continue;
      const s = getComputedStyle(el);
      const isSvg = el instanceof SVGElement;
      let fg = parse(isSvg ? s.fill : s.color);
      if (!fg) continue;
      const bg = isSvg ? bgOf(el.closest('svg')) : bgOf(el);
      fg = over([fg[0], fg[1], fg[2], fg[3] * opacityOf(el)], bg);
      const ratio = contrast(fg, bg);
      if (ratio < minText) text.push({text: own.slice(0, 60), ratio: +ratio.toFixed(2), need: minText,
                                      fg: isSvg ? s.fill : s.color, where: path(el)});
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


# The text of every shown bqplot axis (tick labels and the axis label) as the screen
# quadrilaterals of their text boxes (rotated labels included), axis by axis.
AXIS_TEXT = r"""(root) => {
  const quad = (t) => { const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; }); };
  const shown = (t) => t.textContent.trim() && t.getBoundingClientRect().width > 0;
  const axes = [];
  for (const fig of (root || document).querySelectorAll('.bqplot')) {
    const title = fig.querySelector('.mainheading')?.textContent ?? '';
    for (const axis of fig.querySelectorAll('g.axis')) {
      const ticks = Array.from(axis.querySelectorAll('g.tick text')).filter(shown);
      const label = Array.from(axis.querySelectorAll('text.axislabel')).filter(shown)[0];
      if (!ticks.length) continue;
      axes.push({figure: title, ticks: ticks.map(t => ({text: t.textContent, quad: quad(t)})),
                 label: label ? {text: label.textContent, quad: quad(label)} : null});
    }
  }
  return axes;
}"""


def overlap_depth(a: list, b: list) -> float:
    """How deep two convex quadrilaterals overlap, in pixels (0 when apart; separating axes)."""
    depth = float("inf")
    for poly in (a, b):
        for i in range(4):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % 4]
            nx, ny = y1 - y2, x2 - x1
            norm = (nx * nx + ny * ny) ** 0.5 or 1.0
            pa = [(x * nx + y * ny) / norm for x, y in a]
            pb = [(x * nx + y * ny) / norm for x, y in b]
            depth = min(depth, min(max(pa), max(pb)) - max(min(pa), min(pb)))
            if depth <= 0:
                return 0.0
    return depth


def axis_text_overlaps(target, slack: float = 4.0) -> list[tuple[str, str, str]]:
    """``(figure title, text, text)`` for each pair of an axis' labels that overlap.

    Two tick labels of one axis, or the axis label and one of its tick labels, overlap when
    their text boxes intersect by more than ``slack`` pixels. A box spans the font's ascent and
    descent (about 1.3 em), the glyphs of digits about 0.7 em: boxes of a 10-12 px font that
    overlap by 4 px leave the glyphs apart, by more they touch. ``target``: a page (every chart
    on it) or a locator (the charts in it).
    """
    is_page = hasattr(target, "goto")  # a Page; a Locator hands its element to the function
    axes = target.evaluate(AXIS_TEXT, None) if is_page else target.evaluate(AXIS_TEXT)
    bad = []
    for axis in axes:
        texts = axis["ticks"] + ([axis["label"]] if axis["label"] else [])
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if overlap_depth(a["quad"], b["quad"]) > slack:
                    bad.append((axis["figure"], a["text"], b["text"]))
    return bad


# Every shown bqplot figure: its title's text box, its axis labels' boxes and its own box.
FIGURE_TITLES = r"""(root) => {
  const quad = (t) => { const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; }); };
  const shown = (t) => t.textContent.trim() && t.getBoundingClientRect().width > 0;
  return Array.from((root || document).querySelectorAll('.bqplot')).flatMap(fig => {
    const title = Array.from(fig.querySelectorAll('text.mainheading')).filter(shown)[0];
    const box = fig.querySelector('svg')?.getBoundingClientRect();
    if (!title || !box || !box.width) return [];
    return [{title: title.textContent, quad: quad(title), box: [box.left, box.top, box.right, box.bottom],
             labels: Array.from(fig.querySelectorAll('text.axislabel')).filter(shown)
               .map(t => ({text: t.textContent, quad: quad(t)}))}];
  });
}"""


def title_problems(target, slack: float = 1.0) -> list[tuple[str, str]]:
    """``(title, problem)`` for each chart title cut by its figure's edge or crossed by an axis
    label. ``target``: a page (every chart on it) or a locator (the charts in it)."""
    is_page = hasattr(target, "goto")
    figures = target.evaluate(FIGURE_TITLES, None) if is_page else target.evaluate(FIGURE_TITLES)
    bad = []
    for fig in figures:
        left, top, right, bottom = fig["box"]
        xs = [x for x, _ in fig["quad"]]
        if min(xs) < left - slack or max(xs) > right + slack:
            bad.append((fig["title"], f"cut by the figure's edge: {min(xs):.0f}..{max(xs):.0f} "
                                      f"outside {left:.0f}..{right:.0f}"))
        for label in fig["labels"]:
            if overlap_depth(fig["quad"], label["quad"]) > slack:
                bad.append((fig["title"], f"crossed by the axis label {label['text']!r}"))
    return bad
