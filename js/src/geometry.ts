// Lattice geometry shared by every view: neuron centres, cell shapes, hit testing, brushing.
// Conventions (docs/internals.md): neuron k = row * cols + col; rect: x = col, y = row;
// hex: odd rows (0-based) shifted right by 0.5, row spacing sqrt(3)/2, pointy-top hexagons of
// circumradius 1/sqrt(3). y grows downwards (row 0 at the top).

export type Shape = "hexa" | "rect";

export interface Lattice {
  rows: number;
  cols: number;
  shape: Shape;
  wrapRows: boolean;
  wrapCols: boolean;
}

export const ROW_SPACING = Math.sqrt(3) / 2;
export const HEX_RADIUS = 1 / Math.sqrt(3);

export function nNeurons(lat: Lattice): number {
  return lat.rows * lat.cols;
}

/** Plane coordinates of neuron k. */
export function centre(lat: Lattice, k: number): [number, number] {
  const row = Math.floor(k / lat.cols);
  const col = k - row * lat.cols;
  if (lat.shape === "hexa") return [col + 0.5 * (row % 2), row * ROW_SPACING];
  return [col, row];
}

/** All centres as a flat [x0, y0, x1, y1, ...] array. */
export function centres(lat: Lattice): Float64Array {
  const m = nNeurons(lat);
  const out = new Float64Array(2 * m);
  for (let k = 0; k < m; k++) {
    const [x, y] = centre(lat, k);
    out[2 * k] = x;
    out[2 * k + 1] = y;
  }
  return out;
}

/** Vertices of the cell around a centre at the origin (plane units). */
export function cellVertices(shape: Shape): Array<[number, number]> {
  if (shape === "hexa") {
    const r = HEX_RADIUS;
    const out: Array<[number, number]> = [];
    for (let i = 0; i < 6; i++) {
      const a = (Math.PI / 3) * i - Math.PI / 2; // start at the top vertex (pointy-top)
      out.push([r * Math.cos(a), r * Math.sin(a)]);
    }
    return out;
  }
  return [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]];
}

/** Bounding box of all cells in plane units. */
export function bounds(lat: Lattice): { x0: number; y0: number; x1: number; y1: number } {
  if (lat.shape === "hexa") {
    const oddShift = lat.rows > 1 ? 0.5 : 0;
    return {
      x0: -0.5,
      y0: -HEX_RADIUS,
      x1: lat.cols - 1 + oddShift + 0.5,
      y1: (lat.rows - 1) * ROW_SPACING + HEX_RADIUS,
    };
  }
  return { x0: -0.5, y0: -0.5, x1: lat.cols - 0.5, y1: lat.rows - 0.5 };
}

/** Whether (dx, dy) relative to a cell centre lies inside (or on the border of) the cell. */
export function insideCell(shape: Shape, dx: number, dy: number, eps = 1e-9): boolean {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  if (shape === "hexa") return ax <= 0.5 + eps && 0.5 * ax + ROW_SPACING * ay <= 0.5 + eps;
  return ax <= 0.5 + eps && ay <= 0.5 + eps;
}

/** Neuron whose cell contains the plane point (x, y), or -1 outside the map. */
export function pick(lat: Lattice, x: number, y: number): number {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return -1;
  if (lat.shape === "rect") {
    const col = Math.round(x);
    const row = Math.round(y);
    if (row < 0 || row >= lat.rows || col < 0 || col >= lat.cols) return -1;
    return insideCell("rect", x - col, y - row) ? (row * lat.cols + col) | 0 : -1;
  }
  // hex: the nearest centre among the 3x3 candidates around the estimated row/col is the
  // Voronoi cell, which is exactly the hexagon.
  const r0 = Math.round(y / ROW_SPACING);
  let best = -1;
  let bestD = Infinity;
  for (let row = r0 - 1; row <= r0 + 1; row++) {
    if (row < 0 || row >= lat.rows) continue;
    const shift = 0.5 * (row % 2);
    const c0 = Math.round(x - shift);
    for (let col = c0 - 1; col <= c0 + 1; col++) {
      if (col < 0 || col >= lat.cols) continue;
      const dx = x - (col + shift);
      const dy = y - row * ROW_SPACING;
      const d = dx * dx + dy * dy;
      if (d < bestD) {
        bestD = d;
        best = (row * lat.cols + col) | 0;
      }
    }
  }
  if (best < 0) return -1;
  const [cx, cy] = centre(lat, best);
  return insideCell("hexa", x - cx, y - cy) ? best : -1;
}

/** Neurons whose centres fall inside the rectangle spanned by two plane points (inclusive). */
export function brush(lat: Lattice, xa: number, ya: number, xb: number, yb: number): number[] {
  const x0 = Math.min(xa, xb);
  const x1 = Math.max(xa, xb);
  const y0 = Math.min(ya, yb);
  const y1 = Math.max(ya, yb);
  const out: number[] = [];
  const rowStep = lat.shape === "hexa" ? ROW_SPACING : 1;
  const rLo = Math.max(0, Math.ceil(y0 / rowStep - 1e-9));
  const rHi = Math.min(lat.rows - 1, Math.floor(y1 / rowStep + 1e-9));
  for (let row = rLo; row <= rHi; row++) {
    const shift = lat.shape === "hexa" ? 0.5 * (row % 2) : 0;
    const cLo = Math.max(0, Math.ceil(x0 - shift - 1e-9));
    const cHi = Math.min(lat.cols - 1, Math.floor(x1 - shift + 1e-9));
    for (let col = cLo; col <= cHi; col++) out.push(row * lat.cols + col);
  }
  return out;
}

/**
 * The neurons a drag from plane point a to plane point b brushes: the centres inside the
 * rectangle spanned by a, b and the centres of the neurons under a and b (inclusive), so a drag
 * from one neuron to another takes both, wherever in their cells it starts and ends (a drag
 * from one centre to another lost both end rows to the pointer's rounding).
 */
export function brushDrag(lat: Lattice, xa: number, ya: number, xb: number, yb: number): number[] {
  let x0 = Math.min(xa, xb);
  let x1 = Math.max(xa, xb);
  let y0 = Math.min(ya, yb);
  let y1 = Math.max(ya, yb);
  for (const [x, y] of [[xa, ya], [xb, yb]]) {
    const k = pick(lat, x, y);
    if (k < 0) continue;
    const [cx, cy] = centre(lat, k);
    x0 = Math.min(x0, cx);
    x1 = Math.max(x1, cx);
    y0 = Math.min(y0, cy);
    y1 = Math.max(y1, cy);
  }
  return brush(lat, x0, y0, x1, y1);
}

export type Direction = "left" | "right" | "up" | "down";

/**
 * The neighbour of k in a direction (arrow keys). Up/down keeps the column: on a hex map that is
 * a lattice neighbour (distance 1) and repeated moves zig-zag in place. Wraps on wrapped axes,
 * else stays at the edge.
 */
export function step(lat: Lattice, k: number, dir: Direction): number {
  const row = Math.floor(k / lat.cols);
  let col = k - row * lat.cols;
  if (dir === "left" || dir === "right") {
    col += dir === "left" ? -1 : 1;
    if (lat.wrapCols) col = (col + lat.cols) % lat.cols;
    col = Math.min(Math.max(col, 0), lat.cols - 1);
    return row * lat.cols + col;
  }
  let nr = row + (dir === "up" ? -1 : 1);
  if (lat.wrapRows) nr = (nr + lat.rows) % lat.rows;
  if (nr < 0 || nr >= lat.rows) return k;
  return nr * lat.cols + col;
}

/**
 * The neighbour across edge e of neuron k's cell (edges as cellVertices lists them: edge e runs
 * from vertex e to vertex e + 1), or -1 beyond the map's border. Wrap-around is ignored: the
 * cell across a wrapped border is drawn on the other side of the picture, not next to this one.
 * Hex (pointy-top, odd rows shifted right) edges: 0 upper-right, 1 right, 2 lower-right,
 * 3 lower-left, 4 left, 5 upper-left; rect edges: 0 top, 1 right, 2 bottom, 3 left.
 */
export function neighbourAcross(lat: Lattice, k: number, e: number): number {
  const row = Math.floor(k / lat.cols);
  const col = k - row * lat.cols;
  let r = row;
  let c = col;
  if (lat.shape === "rect") {
    if (e === 0) r -= 1;
    else if (e === 1) c += 1;
    else if (e === 2) r += 1;
    else c -= 1;
  } else {
    const odd = row % 2;
    if (e === 1) c += 1;
    else if (e === 4) c -= 1;
    else {
      r += e === 0 || e === 5 ? -1 : 1;
      c += e === 0 || e === 2 ? odd : odd - 1;
    }
  }
  if (r < 0 || r >= lat.rows || c < 0 || c >= lat.cols) return -1;
  return r * lat.cols + c;
}

/**
 * The outline of a set of neurons: the cell edges between a selected cell and one that is not
 * (or the map's border), as flat plane-coordinate segments [x0, y0, x1, y1, ...]. Drawn as one
 * path, a selection of 10,000 cells is one stroke of its region's boundary, not 10,000 outlines.
 */
export function boundarySegments(lat: Lattice, neurons: ArrayLike<number>): Float64Array {
  const m = nNeurons(lat);
  const member = new Uint8Array(m);
  for (let i = 0; i < neurons.length; i++) {
    const k = neurons[i];
    if (k >= 0 && k < m) member[k] = 1;
  }
  const verts = cellVertices(lat.shape);
  const nv = verts.length;
  const out: number[] = [];
  for (let k = 0; k < m; k++) {
    if (!member[k]) continue;
    const [cx, cy] = centre(lat, k);
    for (let e = 0; e < nv; e++) {
      const n = neighbourAcross(lat, k, e);
      if (n >= 0 && member[n]) continue;
      const a = verts[e];
      const b = verts[(e + 1) % nv];
      out.push(cx + a[0], cy + a[1], cx + b[0], cy + b[1]);
    }
  }
  return Float64Array.from(out);
}

/** The arrow keys' directions. */
export const KEY_DIRECTIONS: Readonly<Record<string, Direction>> = {
  ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down",
};

/** What a key does on a focused map: select one neuron (replacing the selection), keep the
 * selection as it is (a key the map handles that changes nothing), or nothing (not the map's). */
export type KeyAction = { kind: "select"; neuron: number } | { kind: "keep" } | null;

/**
 * The neuron the keyboard moves from: `cursor` (the neuron last moved to or clicked in this
 * view) while the selection holds it, else the lowest-index selected neuron; -1 when nothing
 * (on the map) is selected.
 */
export function keyAnchor(lat: Lattice, selected: ArrayLike<number>, cursor: number): number {
  const m = nNeurons(lat);
  let low = -1;
  for (let i = 0; i < selected.length; i++) {
    const k = selected[i];
    if (!(k >= 0 && k < m)) continue;
    if (k === cursor) return k;
    if (low < 0 || k < low) low = k;
  }
  return low;
}

/**
 * A key pressed on a focused map. With nothing selected an arrow key, Enter or Space selects
 * neuron 0 (the top-left); an arrow key moves from {@link keyAnchor} to its neighbour
 * ({@link step}), which becomes the selection; Enter / Space on a selection keeps it. Escape is
 * the view's (it clears). Other keys are not the map's.
 */
export function keyAction(lat: Lattice, selected: ArrayLike<number>, cursor: number, key: string): KeyAction {
  const dir = Object.prototype.hasOwnProperty.call(KEY_DIRECTIONS, key) ? KEY_DIRECTIONS[key] : undefined;
  const activate = key === "Enter" || key === " " || key === "Spacebar";
  if ((!dir && !activate) || nNeurons(lat) <= 0) return null;
  const from = keyAnchor(lat, selected, cursor);
  if (from < 0) return { kind: "select", neuron: 0 };
  if (!dir) return { kind: "keep" };
  return { kind: "select", neuron: step(lat, from, dir) };
}
