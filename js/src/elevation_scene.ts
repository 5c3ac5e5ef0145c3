// The ElevationMap's 3-D projection, the TypeScript twin of the formulas in the docstring of
// somwidget/widgets/elevation.py (and of its static SVG picture, elevation_picture.py): rotation
// by the azimuth about the middle of the neurons' bounding box, tilt by the elevation, prisms
// drawn far to near (painter's algorithm), side faces shaded by their outward normal.
import { cellVertices, centre, centres, type Direction, KEY_DIRECTIONS, type Lattice, neighbourAcross, nNeurons } from "./geometry";

/** Side faces are the top colour times SIDE_SHADE - SIDE_SHADE_SPREAD * n_x (Python's). */
export const SIDE_SHADE = 0.62;
export const SIDE_SHADE_SPREAD = 0.2;

/** The projection's constants: pixels per plane unit `s`, the screen origin (ox, oy), the
 * centre (cx, cy) of the neurons' bounding box and the angles in degrees. */
export interface View {
  s: number;
  ox: number;
  oy: number;
  cx: number;
  cy: number;
  azimuth: number;
  elevation: number;
}

/** Screen (x, y) and depth Y_r of the plane point (x, y) lifted to height z:
 * X_r = u cos a - v sin a, Y_r = u sin a + v cos a (u = x - cx, v = y - cy),
 * screen_x = ox + s X_r, screen_y = oy + s (Y_r sin e - z cos e). */
export function project(view: View, x: number, y: number, z: number): [number, number, number] {
  const a = (view.azimuth * Math.PI) / 180;
  const e = (view.elevation * Math.PI) / 180;
  const u = x - view.cx;
  const v = y - view.cy;
  const xr = u * Math.cos(a) - v * Math.sin(a);
  const yr = u * Math.sin(a) + v * Math.cos(a);
  return [view.ox + view.s * xr, view.oy + view.s * (yr * Math.sin(e) - z * Math.cos(e)), yr];
}

/** The middle of the neurons' bounding box and the largest ground distance of a prism corner
 * from it (the picture's half width), as Python's _centre() and _radius(). */
export function extent(lat: Lattice): { cx: number; cy: number; radius: number } {
  const c = centres(lat);
  const m = c.length / 2;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let k = 0; k < m; k++) {
    x0 = Math.min(x0, c[2 * k]); x1 = Math.max(x1, c[2 * k]);
    y0 = Math.min(y0, c[2 * k + 1]); y1 = Math.max(y1, c[2 * k + 1]);
  }
  const cx = m ? (x0 + x1) / 2 : 0;
  const cy = m ? (y0 + y1) / 2 : 0;
  let radius = 0;
  const foot = cellVertices(lat.shape);
  for (let k = 0; k < m; k++) {
    for (const [fx, fy] of foot) radius = Math.max(radius, Math.hypot(c[2 * k] - cx + fx, c[2 * k + 1] - cy + fy));
  }
  return { cx, cy, radius: radius || 1 };
}

/** The layout of a canvas `width` pixels wide: s = (width - 2 margin) / (2 radius), ox the
 * middle, and the height of the scene's extent at this elevation over every azimuth, so turning
 * never moves the page and a steep or low view leaves no empty band above the relief. The
 * ground spans Y_r in [-r, r] (r reached at some azimuth); a prism k whose corners lie at most
 * rho_k from the middle reaches s (rho_k sin e + h_k cos e) above it at worst, so the scene's top
 * is s max_k (rho_k sin e + h_k cos e) above oy (with `heights`; else the bound
 * s (r sin e + maxHeight cos e), the static picture's) and its bottom s r sin e below. */
export function layout(lat: Lattice, maxHeight: number, azimuth: number, elevation: number, width: number,
  margin = 14, heights: ArrayLike<number> | null = null): View & { height: number } {
  const { cx, cy, radius } = extent(lat);
  const s = Math.max(1e-6, (width - 2 * margin) / (2 * radius));
  const e = (elevation * Math.PI) / 180;
  const se = Math.sin(e);
  const ce = Math.cos(e);
  let up = radius * se + maxHeight * ce;
  if (heights) {
    const c = centres(lat);
    const foot = cellVertices(lat.shape);
    up = radius * se;
    for (let k = 0; k < c.length / 2 && k < heights.length; k++) {
      const h = heights[k];
      if (!(h > 0)) continue;
      let rho = 0;
      for (const [fx, fy] of foot) rho = Math.max(rho, Math.hypot(c[2 * k] - cx + fx, c[2 * k + 1] - cy + fy));
      up = Math.max(up, rho * se + h * ce);
    }
  }
  const height = Math.ceil(s * (up + radius * se) + 2 * margin);
  return { s, ox: margin + s * radius, oy: margin + s * up, cx, cy, azimuth, elevation, height };
}

/** A drawn scene: per neuron its top face's screen corners (V per neuron), its base corners,
 * its depth, the drawing order (far to near) and the visible side faces with their shades. */
export interface Scene {
  view: View;
  nv: number;
  top: Float64Array; // (M, V, 2)
  base: Float64Array; // (M, V, 2)
  depth: Float64Array; // (M,) Y_r of the neuron's centre
  lifted: Uint8Array; // (M,) 1 where the prism is drawn with side faces (height > 0)
  order: number[]; // painter's order: far (small Y_r) first; ties by X_r
  visible: number[]; // footprint edges i (corners i, i+1) whose faces face the viewer
  shades: number[]; // per footprint edge: SIDE_SHADE - SIDE_SHADE_SPREAD * n_x
}

export function scene(lat: Lattice, heights: ArrayLike<number>, view: View): Scene {
  const c = centres(lat);
  const m = c.length / 2;
  const foot = cellVertices(lat.shape);
  const nv = foot.length;
  const top = new Float64Array(m * nv * 2);
  const base = new Float64Array(m * nv * 2);
  const depth = new Float64Array(m);
  const xr = new Float64Array(m);
  const lifted = new Uint8Array(m);
  const a = (view.azimuth * Math.PI) / 180;
  for (let k = 0; k < m; k++) {
    const h = Number.isFinite(heights[k]) ? heights[k] : 0;
    lifted[k] = h > 0 ? 1 : 0;
    for (let i = 0; i < nv; i++) {
      const [bx, by] = project(view, c[2 * k] + foot[i][0], c[2 * k + 1] + foot[i][1], 0);
      const [tx, ty] = project(view, c[2 * k] + foot[i][0], c[2 * k + 1] + foot[i][1], h);
      const j = 2 * (k * nv + i);
      base[j] = bx; base[j + 1] = by; top[j] = tx; top[j + 1] = ty;
    }
    const u = c[2 * k] - view.cx;
    const v = c[2 * k + 1] - view.cy;
    xr[k] = u * Math.cos(a) - v * Math.sin(a);
    depth[k] = u * Math.sin(a) + v * Math.cos(a);
  }
  const order = Array.from({ length: m }, (_, k) => k);
  const rounded = Array.from(depth, (d) => Math.round(d * 1e9) / 1e9);
  order.sort((p, q) => rounded[p] - rounded[q] || xr[p] - xr[q] || p - q);
  // outward normals of the footprint's edges (regular polygons: towards the edge midpoints)
  const visible: number[] = [];
  const shades: number[] = [];
  const ce = Math.cos((view.elevation * Math.PI) / 180);
  for (let i = 0; i < nv; i++) {
    const j = (i + 1) % nv;
    const mx = (foot[i][0] + foot[j][0]) / 2;
    const my = (foot[i][1] + foot[j][1]) / 2;
    const n = Math.hypot(mx, my);
    const nx = (mx * Math.cos(a) - my * Math.sin(a)) / n;
    const ny = (mx * Math.sin(a) + my * Math.cos(a)) / n;
    shades.push(SIDE_SHADE - SIDE_SHADE_SPREAD * nx);
    if (ny > 1e-9 && ce > 1e-12) visible.push(i);
  }
  return { view, nv, top, base, depth, lifted, order, visible, shades };
}

/** Whether the screen point (x, y) lies inside the polygon of `nv` corners at `off` in `pts`. */
function inside(pts: Float64Array, off: number, nv: number, x: number, y: number): boolean {
  let yes = false;
  for (let i = 0, j = nv - 1; i < nv; j = i++) {
    const xi = pts[off + 2 * i], yi = pts[off + 2 * i + 1];
    const xj = pts[off + 2 * j], yj = pts[off + 2 * j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) yes = !yes;
  }
  return yes;
}

/** Whether (x, y) lies on side face i (footprint corners i, i + 1) of neuron k: the quad
 * base i, base i + 1, top i + 1, top i (tested in place: picking runs on every pointer move). */
function onSide(sc: Scene, k: number, i: number, x: number, y: number): boolean {
  const a = 2 * (k * sc.nv + i);
  const b = 2 * (k * sc.nv + ((i + 1) % sc.nv));
  const px = [sc.base[a], sc.base[b], sc.top[b], sc.top[a]];
  const py = [sc.base[a + 1], sc.base[b + 1], sc.top[b + 1], sc.top[a + 1]];
  if (y < Math.min(...py) || y > Math.max(...py) || x < Math.min(...px) || x > Math.max(...px)) return false;
  let yes = false;
  for (let p = 0, q = 3; p < 4; q = p++) {
    if ((py[p] > y) !== (py[q] > y) && x < ((px[q] - px[p]) * (y - py[p])) / (py[q] - py[p]) + px[p]) yes = !yes;
  }
  return yes;
}

/** The neuron drawn on top at the screen point, or -1: the prisms nearest first (the painter's
 * order reversed), each by the faces drawn of it (its visible side faces where it stands above
 * the ground, and its top face); the first hit wins, so a tall near prism's side face hides the
 * far prism behind it as on the canvas. */
export function pickPrism(sc: Scene, x: number, y: number): number {
  for (let r = sc.order.length - 1; r >= 0; r--) {
    const k = sc.order[r];
    if (inside(sc.top, 2 * k * sc.nv, sc.nv, x, y)) return k;
    if (sc.lifted[k]) for (const i of sc.visible) if (onSide(sc, k, i, x, y)) return k;
  }
  return -1;
}

/** Samples of neuron k's top face (fan triangles from its centre) and of its visible side faces. */
function samples(sc: Scene, k: number, n = 8): { top: Array<[number, number]>; side: Array<[number, number]> } {
  const [cx, cy] = topCentre(sc, k);
  const top: Array<[number, number]> = [];
  const side: Array<[number, number]> = [];
  const t = (i: number) => 2 * (k * sc.nv + (i % sc.nv));
  for (let i = 0; i < sc.nv; i++) {
    const a = t(i), b = t(i + 1);
    for (let p = 1; p < n; p++) {
      for (let q = 0; p + q < n; q++) {
        const u = p / n, w = q / n; // weights of corners i and i + 1; the rest the centre's
        top.push([cx + u * (sc.top[a] - cx) + w * (sc.top[b] - cx), cy + u * (sc.top[a + 1] - cy) + w * (sc.top[b + 1] - cy)]);
      }
    }
  }
  if (sc.lifted[k]) {
    for (const i of sc.visible) {
      const a = t(i), b = t(i + 1);
      for (let p = 1; p < n; p++) {
        for (let q = 1; q < n; q++) {
          const u = p / n, w = q / n; // along the edge, and up from the base
          const bx = sc.base[a] + u * (sc.base[b] - sc.base[a]), by = sc.base[a + 1] + u * (sc.base[b + 1] - sc.base[a + 1]);
          const tx = sc.top[a] + u * (sc.top[b] - sc.top[a]), ty = sc.top[a + 1] + u * (sc.top[b + 1] - sc.top[a + 1]);
          side.push([bx + w * (tx - bx), by + w * (ty - by)]);
        }
      }
    }
  }
  return { top, side };
}

/** A screen point where neuron k is drawn on top (pickPrism names it), for a test or a tooltip
 * to point at: its top centre when that shows; else inside its top face's visible part (the
 * visible samples' middle, or the visible sample nearest it); else on its visible side faces.
 * A neuron hidden whole behind nearer prisms has no such point: then its top centre. */
export function visiblePoint(sc: Scene, k: number): [number, number] {
  const centre = topCentre(sc, k);
  if (pickPrism(sc, centre[0], centre[1]) === k) return centre;
  const { top, side } = samples(sc, k);
  for (const pts of [top, side]) {
    const seen = pts.filter(([x, y]) => pickPrism(sc, x, y) === k);
    if (!seen.length) continue;
    const mx = seen.reduce((s, p) => s + p[0], 0) / seen.length;
    const my = seen.reduce((s, p) => s + p[1], 0) / seen.length;
    if (pickPrism(sc, mx, my) === k) return [mx, my];
    let best = seen[0];
    for (const p of seen) if (Math.hypot(p[0] - mx, p[1] - my) < Math.hypot(best[0] - mx, best[1] - my)) best = p;
    return best;
  }
  return centre;
}

/** The middle of neuron k's top face on screen (what a test or a tooltip points at). */
export function topCentre(sc: Scene, k: number): [number, number] {
  let x = 0, y = 0;
  for (let i = 0; i < sc.nv; i++) {
    x += sc.top[2 * (k * sc.nv + i)];
    y += sc.top[2 * (k * sc.nv + i) + 1];
  }
  return [x / sc.nv, y / sc.nv];
}

/** A "#rrggbb" colour times a factor (rounded, clipped to 0..255), as Python's _shade(). */
export function shade(css: string, factor: number): string {
  const h = (i: number) => Math.min(255, Math.max(0, Math.round(parseInt(css.slice(i, i + 2), 16) * factor)));
  return `#${[1, 3, 5].map((i) => h(i).toString(16).padStart(2, "0")).join("")}`;
}

/** Degrees a key press turns or tilts: the arrow keys and "+" / "-" by KEY_STEP, PageUp /
 * PageDown turn by PAGE_STEP (Shift with an arrow key moves the focused prism instead). */
export const KEY_STEP = 5;
export const PAGE_STEP = 15;

/** The view angles after a key press, or null for other keys: Left / Right turn by KEY_STEP
 * degrees and PageUp / PageDown by PAGE_STEP (PageUp as Left; azimuth, modulo 360), Up / "+"
 * tilt up and Down / "-" tilt down by KEY_STEP (elevation, 0..90). */
export function keyAngles(key: string, azimuth: number, elevation: number): [number, number] | null {
  const wrap = (a: number) => ((a % 360) + 360) % 360;
  const clamp = (e: number) => Math.min(90, Math.max(0, e));
  switch (key) {
    case "ArrowLeft": return [wrap(azimuth - KEY_STEP), elevation];
    case "ArrowRight": return [wrap(azimuth + KEY_STEP), elevation];
    case "PageUp": return [wrap(azimuth - PAGE_STEP), elevation];
    case "PageDown": return [wrap(azimuth + PAGE_STEP), elevation];
    case "ArrowUp": case "+": case "=": return [azimuth, clamp(elevation + KEY_STEP)];
    case "ArrowDown": case "-": case "_": return [azimuth, clamp(elevation - KEY_STEP)];
    default: return null;
  }
}

/**
 * The lattice neighbour of neuron k that lies in screen direction `dir` on the relief turned by
 * `azimuth` degrees, or k itself when none does (the map's edge). A neighbour n's offset on the
 * turned ground is (X_r, Y_r) of its centre less k's (the projection's rotation); up on the
 * screen is far (smaller Y_r) at every elevation, so the keys keep their sense in a side view.
 * The neighbour whose offset makes the smallest angle with the direction wins, if that angle is
 * under 60 degrees; of two as close (a square lattice turned by 45 degrees, a hexagonal one's
 * upper pair at azimuth 0) the one clockwise of the direction on the screen, so the four
 * directions reach four different neighbours. Wrap-around is not followed: the neuron across a
 * wrapped edge is drawn on the relief's other side.
 */
export function screenNeighbour(lat: Lattice, k: number, dir: Direction, azimuth: number): number {
  const m = nNeurons(lat);
  if (!(k >= 0 && k < m)) return k;
  const a = (azimuth * Math.PI) / 180;
  const ca = Math.cos(a), sa = Math.sin(a);
  const [dx, dy] = dir === "left" ? [-1, 0] : dir === "right" ? [1, 0] : dir === "up" ? [0, -1] : [0, 1];
  const [x0, y0] = centre(lat, k);
  let best = k;
  let bestCos = 0.5 + 1e-6;
  let bestCross = -Infinity;
  const nv = lat.shape === "hexa" ? 6 : 4;
  for (let e = 0; e < nv; e++) {
    const n = neighbourAcross(lat, k, e);
    if (n < 0) continue;
    const [x1, y1] = centre(lat, n);
    const u = x1 - x0, v = y1 - y0;
    const xr = u * ca - v * sa;
    const yr = u * sa + v * ca;
    const len = Math.hypot(xr, yr);
    const cos = (xr * dx + yr * dy) / len;
    const cross = (dx * yr - dy * xr) / len; // > 0: clockwise of the direction (y down)
    if (cos > bestCos + 1e-9 || (Math.abs(cos - bestCos) <= 1e-9 && cross > bestCross)) {
      best = n;
      bestCos = Math.max(cos, bestCos);
      bestCross = cross;
    }
  }
  return best;
}

/** The focused prism after a key press, or null for a key that does not move it: Shift with an
 * arrow key moves to the {@link screenNeighbour} in that direction, Home to neuron 0 (row 0,
 * col 0), End to the last neuron. With no prism focused yet (`focus` -1) the move starts at
 * neuron 0. */
export function focusKey(lat: Lattice, focus: number, key: string, shift: boolean, azimuth: number): number | null {
  const m = nNeurons(lat);
  if (m <= 0) return null;
  if (key === "Home") return 0;
  if (key === "End") return m - 1;
  const dir = shift && Object.prototype.hasOwnProperty.call(KEY_DIRECTIONS, key) ? KEY_DIRECTIONS[key] : undefined;
  if (!dir) return null;
  return screenNeighbour(lat, focus >= 0 && focus < m ? focus : 0, dir, azimuth);
}
