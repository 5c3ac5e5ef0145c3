// What the lattice canvas writes and draws inside its cells, above the fills: the value labels
// (show_values), and the CellFrame a data's painter (PlaneData.painter) draws with: the 2-D
// context and where each neuron's centre lies in device pixels.
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
