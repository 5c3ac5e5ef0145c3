// What the lattice canvas writes and draws inside its cells, above the fills: the value labels
// (show_values) and the neuron indices (NeuronIndexMap). The glyphs are in glyphs.ts. Each
// painter gets a CellFrame: the 2-D context and where each neuron's centre lies in device pixels.
import { formatLabel } from "./common";

/** The canvas a cell painter draws on (device pixels; `scale` is CSS px per plane unit). */
export interface CellFrame {
  ctx: CanvasRenderingContext2D;
  m: number; // neurons
  rows: number;
  cols: number;
  scale: number;
  dpr: number;
  /** Device-pixel centre of neuron k. */
  centre(k: number): [number, number];
  /** A theme colour (a JupyterLab CSS variable) as the view's element resolves it. */
  theme(name: string, fallback: string): string;
}

/** Paints over the cells; returns how many items it drew (tests read it). */
export type CellPainter = (f: CellFrame) => number;

/** Cells narrower than this (CSS px) get no value labels; the same limit as the SVG pictures. */
export const LABEL_MIN_CELL = 22;

const FONT = (px: number) => `${px}px system-ui, -apple-system, "Segoe UI", sans-serif`;

/** show_values: each value in its cell, 32 % of a cell between 8 and 12 px, shrunk to fit 85 %
 * of the cell's width and left out below 7 px (the SVG pictures follow the same rule). */
export function drawValueLabels(f: CellFrame, values: ArrayLike<number>, fill: (k: number) => string): number {
  if (f.scale < LABEL_MIN_CELL) return 0;
  const { ctx, dpr } = f;
  const size = Math.min(12, Math.max(8, 0.32 * f.scale));
  const room = 0.85 * f.scale;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  let n = 0;
  for (let k = 0; k < Math.min(f.m, values.length); k++) {
    const text = formatLabel(values[k]);
    if (!text) continue;
    ctx.font = FONT(size * dpr);
    const w = ctx.measureText(text).width / dpr;
    const px = w > room ? (size * room) / w : size;
    if (px < 7) continue;
    if (px !== size) ctx.font = FONT(px * dpr);
    const [cx, cy] = f.centre(k);
    ctx.fillStyle = fill(k);
    ctx.fillText(text, cx, cy);
    n += 1;
  }
  return n;
}

/** Smallest index font (CSS px) the index map writes; below it, it thins the indices out. */
export const INDEX_MIN_PX = 8;

/** The index map's text layout for cells `scale` CSS px across: the font size (the SVG picture's
 * rule: 36 % of a cell, shrunk so the widest index fills 80 % of it), and the stride s: every
 * s-th row's and column's index is written (1: all) where a readable font does not fit a cell. */
export function indexLayout(scale: number, m: number): { size: number; stride: number } {
  const digits = Math.max(String(Math.max(m - 1, 0)).length, 2);
  const size = Math.min(0.36 * scale, (0.8 * scale) / (0.62 * digits));
  if (size >= INDEX_MIN_PX) return { size, stride: 1 };
  // the widest index at the smallest font spans 0.62 * digits * INDEX_MIN_PX / 0.8 px of cells
  const need = (0.62 * digits * INDEX_MIN_PX) / 0.8;
  return { size: INDEX_MIN_PX, stride: Math.max(2, Math.ceil(need / Math.max(scale, 1e-9))) };
}

/** NeuronIndexMap: neuron k = row * cols + col written in its cell (and row,col under it when
 * every index is written and asked for). */
export function indexPainter(rowCol: boolean): CellPainter {
  return (f: CellFrame): number => {
    const { ctx, dpr } = f;
    const { size, stride } = indexLayout(f.scale, f.m);
    const both = rowCol && stride === 1;
    const dy = both ? 0.35 * size : 0;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const main = f.theme("--jp-ui-font-color1", "#222222");
    const faint = f.theme("--jp-ui-font-color2", "#777777");
    // two passes, one font each (setting ctx.font parses it: once per pass, not per cell)
    let n = 0;
    ctx.font = FONT(size * dpr);
    ctx.fillStyle = main;
    for (let r = 0; r < f.rows; r += stride) {
      for (let c = 0; c < f.cols; c += stride) {
        const k = r * f.cols + c;
        const [cx, cy] = f.centre(k);
        ctx.fillText(String(k), cx, cy - dy * dpr);
        n += 1;
      }
    }
    if (both) {
      ctx.font = FONT(0.7 * size * dpr);
      ctx.fillStyle = faint;
      for (let r = 0; r < f.rows; r++) {
        for (let c = 0; c < f.cols; c++) {
          const [cx, cy] = f.centre(r * f.cols + c);
          ctx.fillText(`${r},${c}`, cx, cy + 0.75 * size * dpr);
        }
      }
    }
    return n;
  };
}

/** CSS px per cell the size notes suggest: a width giving about this much is comfortable. */
export const SUGGESTED_CELL = 40;

/** A `width=` (CSS px, rounded to 100) giving about `perCell` px per cell across `cols`
 * columns (a hexagonal lattice's odd rows reach half a cell further). */
export function widthFor(cols: number, shape: string, perCell: number = SUGGESTED_CELL): number {
  const span = cols + (shape === "rect" ? 0 : 0.5);
  return Math.max(100, Math.round((span * perCell) / 100) * 100);
}

/** "5 px" for cells `scale` CSS px across (rounded down: a note never says a size that fits). */
export function cellSize(scale: number): string {
  const px = scale >= 10 ? Math.floor(scale) : Math.floor(scale * 10) / 10;
  return `${Math.max(0, px)} px`;
}

function ordinal(n: number): string {
  const t = n % 100;
  const suffix = t >= 11 && t <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
}

/** What the index map says under the map when it thins the indices out (every s-th row's and
 * column's index only, see {@link indexLayout}); "" when it writes them all. */
export function indexNote(scale: number, m: number, rowCol: boolean, cols: number, shape: string): string {
  const { stride } = indexLayout(scale, m);
  if (stride === 1) return "";
  return `cells are ${cellSize(scale)}: only every ${ordinal(stride)} row's and column's index is written`
    + `${rowCol ? " (and no row,col)" : ""} — hover a cell for its index, or pass `
    + `width=${widthFor(cols, shape)} (about ${SUGGESTED_CELL} px per cell)`;
}
