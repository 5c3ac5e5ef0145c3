// The lattice canvas' picture (its base canvas): the cells filled from the plane's values or
// categories (one path per cell, or one raster image of small cells), the size style's scaled
// markers on the grid, the value labels and the data's painter (cell_text.ts, glyphs.ts), the
// cluster borders and the wrap marks. What lies over it (selection, hover) is lattice_overlay.ts.
import { categoricalColour, NAN_COLOR, table, textOn, valueIndex } from "./colors";
import { type CellFrame, type CellPainter, drawValueLabels } from "./cell_text";
import { latticePad, type Placement, toDevice } from "./canvas_size";
import { type FloatArray } from "./codecs";
import { bounds, cellVertices, nNeurons, pick } from "./geometry";

export type Style = "color" | "size";

export interface PlaneData {
  values: FloatArray; // one value per neuron (may be empty), float32 or float64
  vmin: number;
  vmax: number;
  colormap: string;
  style: Style;
  sizes?: Float32Array | null; // "size" style: marker area fraction in [0, 1] per neuron
  categories?: Float32Array | null; // category index per neuron (-1: none): categorical fill
  showValues?: boolean; // write each value in its cell (when the cells are wide enough)
  categoryColors?: string[] | null; // one colour per category (else the label palette)
  borders?: Float32Array | null; // border segments, 4 floats each: x0, y0, x1, y1 (plane units)
  painter?: CellPainter | null; // draws over the cells (the glyph map's glyphs, the indices)
}

/** The cells' paths for one placement (device pixels), and the raster's pixel map. */
export interface Geometry {
  key: string;
  cells: Path2D[]; // device-pixel paths, one per neuron
  unit: Path2D; // one cell at the origin, device pixels (for scaled markers)
  grid: Path2D; // all cell outlines
  pixels: Int32Array | null; // device pixel -> neuron (-1: none), built for the raster path
}

/** A JupyterLab theme colour (CSS variable) as the view sees it, or the fallback. */
export type ThemeColour = (name: string, fallback: string) => string;

/** What a paint drew (tests and the views read it). */
export interface Painted {
  /** CSS px from the canvas' left edge to the first pixel column painted ({@link firstInkColumn}). */
  inkLeft: number;
  labels: number; // value labels written
  painted: number; // what the data's painter drew (glyphs, indices)
  borders: number; // border segments drawn
}

/** Cells smaller than this (device pixels across) are painted as a raster (one putImageData
 * of a cached pixel -> neuron map) instead of one path fill and stroke per cell: a 100 x 100
 * map's small multiples redraw in a few milliseconds, with no anti-aliasing seams. */
export const RASTER_BELOW = 8;
/** The grid's fill in the size style, as CSS (the legend's "no samples" swatch); the canvas
 *  reads the same theme variable. */
export const GRID_FILL = "var(--jp-layout-color2, #eeeeee)";

/** Neuron k's centre in device pixels. */
function centreOf(p: Placement, k: number): [number, number] {
  return toDevice(p, p.centres[2 * k], p.centres[2 * k + 1]);
}

/** The cells' paths at this placement: `cached` when it was built for the same one. */
export function cellGeometry(p: Placement, cached: Geometry | null): Geometry {
  const lat = p.lat;
  const key = `${lat.rows}x${lat.cols}:${lat.shape}:${p.scale}:${p.dpr}:${p.ox}:${p.oy}`;
  if (cached && cached.key === key) return cached;
  const s = p.scale * p.dpr;
  const verts = cellVertices(lat.shape).map(([vx, vy]) => [vx * s, vy * s]);
  const cells: Path2D[] = [];
  const grid = new Path2D();
  const m = nNeurons(lat);
  for (let k = 0; k < m; k++) {
    const [cx, cy] = centreOf(p, k);
    const path = new Path2D();
    path.moveTo(cx + verts[0][0], cy + verts[0][1]);
    for (let i = 1; i < verts.length; i++) path.lineTo(cx + verts[i][0], cy + verts[i][1]);
    path.closePath();
    cells.push(path);
    grid.addPath(path);
  }
  const unit = new Path2D();
  unit.moveTo(verts[0][0], verts[0][1]);
  for (let i = 1; i < verts.length; i++) unit.lineTo(verts[i][0], verts[i][1]);
  unit.closePath();
  return { key, cells, unit, grid, pixels: null };
}

/** Paint the picture of `d` (none: an empty plane) on the whole of ctx's canvas. */
export function paintPicture(ctx: CanvasRenderingContext2D, p: Placement, g: Geometry,
  d: PlaneData | null, theme: ThemeColour): Painted {
  const lat = p.lat;
  const m = nNeurons(lat);
  const w = ctx.canvas.width;
  const h = ctx.canvas.height;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  // transparent around the cells: the page's own background shows (light or dark theme)
  ctx.clearRect(0, 0, w, h);
  const values = d?.values ?? new Float32Array(0);
  const style = d?.style ?? "color";
  const inkLeft = firstInkColumn(p, style, style === "color" && p.scale * p.dpr < RASTER_BELOW);
  const cmap = table(d?.colormap ?? "viridis").css;
  const cats = d?.categories && d.categories.length >= m ? d.categories : null;
  const colourIndex = (k: number): string => {
    if (cats) {
      const c = Number.isNaN(cats[k]) ? -1 : cats[k];
      const own = d?.categoryColors;
      return own && c >= 0 && c < own.length ? own[c] : categoricalColour(c);
    }
    if (k >= values.length) return NAN_COLOR;
    const i = valueIndex(values[k], d!.vmin, d!.vmax);
    return i < 0 ? NAN_COLOR : cmap[i];
  };
  if (style === "color" && p.scale * p.dpr < RASTER_BELOW) {
    paintRaster(ctx, p, g, d!, m, cats, values);
  } else if (style === "color") {
    // group cells by colour: at most 256 + palette fillStyle changes per redraw
    const groups = new Map<string, number[]>();
    for (let k = 0; k < m; k++) {
      const c = colourIndex(k);
      let arr = groups.get(c);
      if (!arr) groups.set(c, (arr = []));
      arr.push(k);
    }
    for (const [c, ks] of groups) {
      ctx.fillStyle = c;
      for (const k of ks) ctx.fill(g.cells[k]);
    }
    // hairline strokes in the same colour close the anti-aliasing seams between cells (which
    // otherwise show as a light mesh on big maps with cells of a few pixels)
    {
      ctx.lineWidth = Math.max(0.75 * p.dpr, 0.04 * p.scale * p.dpr);
      ctx.lineJoin = "round";
      for (const [c, ks] of groups) {
        ctx.strokeStyle = c;
        for (const k of ks) ctx.stroke(g.cells[k]);
      }
    }
  } else {
    ctx.fillStyle = theme("--jp-layout-color2", "#eeeeee");
    ctx.fill(g.grid);
    ctx.strokeStyle = theme("--jp-border-color2", "#d0d0d0");
    ctx.lineWidth = Math.max(0.5, 0.03 * p.scale * p.dpr);
    ctx.stroke(g.grid);
    const sizes = d?.sizes ?? null;
    for (let k = 0; k < m; k++) {
      const f = sizes && k < sizes.length ? Math.sqrt(Math.max(0, Math.min(1, sizes[k]))) : 1;
      if (!(f > 0)) continue;
      const [cx, cy] = centreOf(p, k);
      ctx.setTransform(f, 0, 0, f, cx, cy);
      ctx.fillStyle = colourIndex(k);
      ctx.fill(g.unit);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }
  const frame: CellFrame = {
    ctx, m, rows: lat.rows, cols: lat.cols, scale: p.scale, dpr: p.dpr,
    centre: (k) => centreOf(p, k),
    theme,
  };
  const fg = d?.showValues && style !== "color" ? theme("--jp-ui-font-color1", "#333") : "";
  const labels = d?.showValues
    ? drawValueLabels(frame, values, (k) => (style === "color" ? textOn(colourIndex(k)) : fg)) : 0;
  const painted = d?.painter ? d.painter(frame) : 0;
  const borders = drawBorders(ctx, p, d?.borders);
  drawWrapMarks(ctx, p, theme);
  return { inkLeft, labels, painted, borders };
}

/** Where (CSS px from the canvas' left edge) the picture's paint starts: the outermost cells'
 * edge less half the stroke they are drawn with (none when painted as a raster), or the tip
 * of the left wrap mark's arrow when the columns wrap around. */
function firstInkColumn(p: Placement, style: Style, raster: boolean): number {
  const lat = p.lat;
  const b = bounds(lat);
  const s = p.scale;
  // the strokes' widths in paintPicture(), in CSS px
  const stroke = style === "color" ? (raster ? 0 : Math.max(0.75, 0.04 * s)) : Math.max(0.5 / p.dpr, 0.03 * s);
  let left = p.ox + b.x0 * s - stroke / 2;
  if (lat.wrapCols) {
    // drawWrapMarks(): the dashed edge at the padding's middle, its arrow pointing outward
    const xl = p.ox + (b.x0 - latticePad(lat).px * 0.45) * s;
    left = Math.min(left, xl - Math.min(0.28 * s, 9), xl - Math.max(1 / p.dpr, 1.2) / 2);
  }
  return Math.max(0, left);
}

/** Cluster / category borders: one path of all segments, a white halo under a dark line
 * (widths as the SVG pictures: max(1.25, min(3, 0.09 * cell)) CSS px). Returns the segments
 * drawn. */
function drawBorders(ctx: CanvasRenderingContext2D, p: Placement, segs: Float32Array | null | undefined): number {
  if (!segs || segs.length < 4) return 0;
  const n = Math.floor(segs.length / 4);
  const path = new Path2D();
  for (let i = 0; i < n; i++) {
    const [x0, y0] = toDevice(p, segs[4 * i], segs[4 * i + 1]);
    const [x1, y1] = toDevice(p, segs[4 * i + 2], segs[4 * i + 3]);
    path.moveTo(x0, y0);
    path.lineTo(x1, y1);
  }
  const w = Math.max(1.25, Math.min(3, 0.09 * p.scale)) * p.dpr;
  ctx.save();
  ctx.lineCap = "round";
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 2.4 * w;
  ctx.stroke(path);
  ctx.strokeStyle = "#1a1a1a";
  ctx.lineWidth = w;
  ctx.stroke(path);
  ctx.restore();
  return n;
}

/** The neuron under every device pixel of a w x h canvas (pixel centres; -1 outside the
 * cells), cached in g. */
function pixelCells(p: Placement, g: Geometry, w: number, h: number): Int32Array {
  if (g.pixels && g.pixels.length === w * h) return g.pixels;
  const out = new Int32Array(w * h);
  const inv = 1 / (p.scale * p.dpr);
  for (let py = 0; py < h; py++) {
    const y = ((py + 0.5) / p.dpr - p.oy) / p.scale;
    for (let px = 0; px < w; px++) {
      out[py * w + px] = pick(p.lat, (px + 0.5) * inv - p.ox / p.scale, y);
    }
  }
  g.pixels = out;
  return out;
}

/** Colour mode on small cells: every pixel takes its neuron's colour in one image. */
function paintRaster(ctx: CanvasRenderingContext2D, p: Placement, g: Geometry, d: PlaneData, m: number,
  cats: Float32Array | null, values: FloatArray): void {
  const rgba = new Uint8ClampedArray(4 * m);
  const rgb = table(d.colormap ?? "viridis").rgb;
  const parse = (css: string, k: number) => {
    rgba[4 * k] = parseInt(css.slice(1, 3), 16);
    rgba[4 * k + 1] = parseInt(css.slice(3, 5), 16);
    rgba[4 * k + 2] = parseInt(css.slice(5, 7), 16);
    rgba[4 * k + 3] = 255;
  };
  for (let k = 0; k < m; k++) {
    if (cats) {
      parse(categoricalColour(Number.isNaN(cats[k]) ? -1 : cats[k]), k);
      continue;
    }
    const i = k < values.length ? valueIndex(values[k], d.vmin, d.vmax) : -1;
    if (i < 0) parse(NAN_COLOR, k);
    else {
      rgba[4 * k] = rgb[3 * i];
      rgba[4 * k + 1] = rgb[3 * i + 1];
      rgba[4 * k + 2] = rgb[3 * i + 2];
      rgba[4 * k + 3] = 255;
    }
  }
  const pixels = pixelCells(p, g, ctx.canvas.width, ctx.canvas.height);
  const img = ctx.createImageData(ctx.canvas.width, ctx.canvas.height);
  const data = img.data;
  for (let q = 0; q < pixels.length; q++) {
    const k = pixels[q];
    if (k < 0) continue;
    const o = 4 * q;
    const c = 4 * k;
    data[o] = rgba[c];
    data[o + 1] = rgba[c + 1];
    data[o + 2] = rgba[c + 2];
    data[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Dashed lines in the padding of each axis whose edges wrap around, an arrow pointing out
 * at the middle of each. */
function drawWrapMarks(ctx: CanvasRenderingContext2D, p: Placement, theme: ThemeColour): void {
  const lat = p.lat;
  if (!lat.wrapCols && !lat.wrapRows) return;
  const b = bounds(lat);
  const { px, py } = latticePad(lat);
  const s = p.scale * p.dpr;
  const dpr = p.dpr;
  ctx.save();
  const ink = theme("--jp-ui-font-color2", "#555");
  ctx.strokeStyle = ink;
  ctx.fillStyle = ink;
  ctx.lineWidth = Math.max(1, 1.2 * dpr);
  ctx.setLineDash([5 * dpr, 4 * dpr]);
  const arrow = (x: number, y: number, dx: number, dy: number) => {
    const len = Math.min(0.28 * s, 9 * dpr);
    ctx.beginPath();
    ctx.moveTo(x + dx * len, y + dy * len);
    ctx.lineTo(x - dy * len * 0.6, y + dx * len * 0.6);
    ctx.lineTo(x + dy * len * 0.6, y - dx * len * 0.6);
    ctx.closePath();
    ctx.fill();
  };
  if (lat.wrapCols) {
    const xl = toDevice(p, b.x0 - px * 0.45, 0)[0];
    const xr = toDevice(p, b.x1 + px * 0.45, 0)[0];
    const [, y0] = toDevice(p, 0, b.y0);
    const [, y1] = toDevice(p, 0, b.y1);
    ctx.beginPath();
    ctx.moveTo(xl, y0); ctx.lineTo(xl, y1);
    ctx.moveTo(xr, y0); ctx.lineTo(xr, y1);
    ctx.stroke();
    ctx.setLineDash([]);
    const ym = (y0 + y1) / 2;
    arrow(xl, ym, -1, 0);
    arrow(xr, ym, 1, 0);
    ctx.setLineDash([5 * dpr, 4 * dpr]);
  }
  if (lat.wrapRows) {
    const yt = toDevice(p, 0, b.y0 - py * 0.45)[1];
    const yb = toDevice(p, 0, b.y1 + py * 0.45)[1];
    const [x0] = toDevice(p, b.x0, 0);
    const [x1] = toDevice(p, b.x1, 0);
    ctx.beginPath();
    ctx.moveTo(x0, yt); ctx.lineTo(x1, yt);
    ctx.moveTo(x0, yb); ctx.lineTo(x1, yb);
    ctx.stroke();
    ctx.setLineDash([]);
    const xm = (x0 + x1) / 2;
    arrow(xm, yt, 0, -1);
    arrow(xm, yb, 0, 1);
  }
  ctx.restore();
}
