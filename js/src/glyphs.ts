// CodebookGlyphMap's glyphs: every neuron's scaled codebook vector (values in [0, 1], NaN: no
// value) as a tiny line or bar chart in its cell, drawn on the lattice canvas over its cells
// (a CellPainter, cell_text.ts), and the feature legend under the map.
import { type CellFrame, type CellPainter, cellSize, SUGGESTED_CELL, widthFor } from "./cell_text";

/** The glyph's box in a cell, in plane units (the SVG picture's: fits a pointy-top hexagon of
 * width 1 and a unit square), centred on the cell. */
export const GLYPH_WIDTH = 0.76;
export const GLYPH_HEIGHT = 0.5;
/** Cells narrower than this (CSS px) get no glyphs (the tooltip still reads every neuron). */
export const GLYPH_MIN_CELL = 6;

export type GlyphKind = "line" | "bar";

/** Whether cells `scale` CSS px across get their glyphs. */
export function glyphsFit(scale: number): boolean {
  return scale >= GLYPH_MIN_CELL;
}

/** What the glyph map says in place of its legend when the cells are too small for glyphs
 * (`scale` CSS px per cell, `cols` columns of a `shape` lattice); "" when the glyphs are drawn. */
export function glyphNote(scale: number, cols: number, shape: string): string {
  if (glyphsFit(scale)) return "";
  return `cells are ${cellSize(scale)}: too small for glyphs (they need ${GLYPH_MIN_CELL} px) — hover a cell `
    + `for its values, or pass width=${widthFor(cols, shape)} (about ${SUGGESTED_CELL} px per cell)`;
}

/** A glyph's box for a cell centred on (cx, cy), `s` pixels per plane unit: its left edge,
 * its zero line (y grows downwards), width and height, in the same pixels. */
export function glyphBox(cx: number, cy: number, s: number): { left: number; base: number; w: number; h: number } {
  const w = GLYPH_WIDTH * s;
  const h = GLYPH_HEIGHT * s;
  return { left: cx - w / 2, base: cy + h / 2, w, h };
}

/** The line glyph's polylines [x0, y0, x1, y1, ...]: feature j of d at x = left + (j + 0.5) / d
 * of the width, its value v at y = base - v * height. A NaN value breaks the line (a gap); one
 * feature is a level tick across the middle half of the box (the SVG picture's). */
export function linePoints(cx: number, cy: number, s: number, values: ArrayLike<number>): number[][] {
  const { left, base, w, h } = glyphBox(cx, cy, s);
  const d = values.length;
  const out: number[][] = [];
  let run: number[] = [];
  const xs = d === 1 ? [0.25, 0.75] : Array.from({ length: d }, (_, j) => (j + 0.5) / d);
  for (let i = 0; i < xs.length; i++) {
    const v = values[d === 1 ? 0 : i];
    if (!Number.isFinite(v)) {
      if (run.length) out.push(run);
      run = [];
      continue;
    }
    run.push(left + xs[i] * w, base - Math.max(0, Math.min(1, v)) * h);
  }
  if (run.length) out.push(run);
  return out;
}

/** The bar glyph's bars: feature j's bar spans 86 % of its 1/d share of the width, from the
 * zero line up to its value; a NaN value has no bar. */
export function barRects(cx: number, cy: number, s: number, values: ArrayLike<number>):
  Array<{ j: number; x: number; y: number; w: number; h: number }> {
  const { left, base, w, h } = glyphBox(cx, cy, s);
  const d = values.length;
  const bw = w / Math.max(d, 1);
  const out: Array<{ j: number; x: number; y: number; w: number; h: number }> = [];
  for (let j = 0; j < d; j++) {
    const v = values[j];
    if (!Number.isFinite(v)) continue;
    const top = base - Math.max(0, Math.min(1, v)) * h;
    out.push({ j, x: left + (j + 0.07) * bw, y: top, w: 0.86 * bw, h: base - top });
  }
  return out;
}

function darkTheme(): boolean {
  return typeof document !== "undefined" && document.body?.dataset.jpThemeLight === "false";
}

/** The painter of a (neurons x d) row-major buffer of scaled values. */
export function glyphPainter(kind: GlyphKind, data: Float32Array, d: number, colours: string[]): CellPainter {
  return (f: CellFrame): number => {
    if (!glyphsFit(f.scale) || d < 1 || data.length < f.m * d) return 0;
    const { ctx } = f;
    const s = f.scale * f.dpr;
    const axis = new Path2D();
    const lines = new Path2D();
    const bars: Path2D[] = colours.length ? colours.map(() => new Path2D()) : [];
    for (let k = 0; k < f.m; k++) {
      const [cx, cy] = f.centre(k);
      const row = data.subarray(k * d, (k + 1) * d);
      const b = glyphBox(cx, cy, s);
      axis.moveTo(b.left, b.base);
      axis.lineTo(b.left + b.w, b.base);
      if (kind === "line") {
        for (const run of linePoints(cx, cy, s, row)) {
          lines.moveTo(run[0], run[1]);
          for (let i = 2; i < run.length; i += 2) lines.lineTo(run[i], run[i + 1]);
          if (run.length === 2) lines.lineTo(run[0] + 0.01, run[1]); // a lone value: a dot (round cap)
        }
      } else {
        for (const r of barRects(cx, cy, s, row)) bars[r.j % bars.length]?.rect(r.x, r.y, r.w, r.h);
      }
    }
    ctx.save();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = 0.6 * f.dpr;
    ctx.strokeStyle = f.theme(kind === "line" ? "--jp-border-color0" : "--jp-ui-font-color3",
      kind === "line" ? "#bbbbbb" : "#999999");
    if (kind === "bar") bars.forEach((p, j) => { ctx.fillStyle = colours[j]; ctx.fill(p); });
    ctx.stroke(axis);
    if (kind === "line") {
      ctx.strokeStyle = darkTheme() ? "#8ab4f8" : "#1f4e79";
      ctx.lineWidth = Math.max(0.6, 0.035 * f.scale) * f.dpr;
      ctx.stroke(lines);
    }
    ctx.restore();
    return f.m;
  };
}

/** The feature legend: a swatch per feature for bars, the left-to-right order for lines (in
 * the note), and what the heights mean. */
export function glyphLegend(kind: GlyphKind, names: string[], colours: string[], note: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "sw-glyph-legend";
  Object.assign(box.style, { font: "12px system-ui, sans-serif", color: "var(--jp-ui-font-color1, #222)",
    display: "flex", flexWrap: "wrap", gap: "4px 12px", alignItems: "center", marginTop: "4px" });
  if (kind === "bar") {
    names.forEach((n, j) => {
      const item = document.createElement("span");
      item.className = "sw-glyph-feature";
      const sw = document.createElement("span");
      Object.assign(sw.style, { display: "inline-block", width: "10px", height: "10px", marginRight: "4px",
        background: colours[j] ?? "#888", verticalAlign: "middle" });
      item.append(sw, document.createTextNode(n));
      box.append(item);
    });
  }
  const text = document.createElement("span");
  text.className = "sw-glyph-note";
  text.style.color = "var(--jp-ui-font-color2, #555)";
  text.textContent = note;
  box.append(text);
  return box;
}

/** The tooltip's lines of neuron k: each feature's codebook value in data units,
 * lo + scaled * span (the scaled value's float32 keeps ~7 digits of the span). */
export function glyphTooltip(k: number, names: string[], data: Float32Array, lo: ArrayLike<number>,
  span: ArrayLike<number>, format: (v: number) => string): string[] {
  const d = names.length;
  if (data.length < (k + 1) * d) return [];
  return names.map((n, j) => `${n}: ${format(lo[j] + data[k * d + j] * span[j])}`);
}
