// The size of a lattice canvas: the box a fixed width (width=, canvas_width) scrolls sideways
// in, the picture's layout in it (the scale, the padding and margins around the cells, where
// plane coordinates land in device pixels), the backing store a CSS size gets (the screen's
// devicePixelRatio, lowered where that would make a canvas the browser refuses to draw), and
// the keyboard's scrolling of that box.
import { type Lattice } from "./geometry";

/** What {@link applyWidth} sizes: a LatticeCanvas (its root and its "width" option). */
export interface SizedCanvas {
  root: HTMLElement;
  setOption(key: "width", value: number | undefined): void;
}

/** The box a lattice canvas sits in: it scrolls sideways when the canvas is wider than the
 * output (a fixed width, {@link applyWidth}); else a plain block. */
export function canvasScroller(canvas: SizedCanvas): HTMLDivElement {
  const scroller = document.createElement("div");
  scroller.className = "sw-canvas-scroll";
  scroller.append(canvas.root);
  return scroller;
}

/** A view's canvas_width (CSS px; 0 or not a number: fill the output): the canvas that wide
 * and as tall as its lattice makes it, in a scroller that scrolls sideways (never down: the
 * canvas' own height is the box's). */
export function applyWidth(canvas: SizedCanvas, scroller: HTMLElement, canvasWidth: unknown): void {
  const w = Number(canvasWidth ?? 0);
  const fixed = Number.isFinite(w) && w > 0;
  canvas.setOption("width", fixed ? w : undefined);
  Object.assign(scroller.style, fixed ? { overflowX: "auto", overflowY: "hidden", maxWidth: "100%" }
    : { overflowX: "", overflowY: "", maxWidth: "" });
  // a box that clips its content would clip the canvas' focus ring (drawn outside it): the box
  // shows the ring instead, as its 2 px border (styles.ts, .sw-scrolls)
  scroller.classList.toggle("sw-scrolls", fixed);
}

/** The most backing pixels on either side of a canvas. Browsers cap a canvas' side (near
 * 32,767 px in Chrome and Firefox) and draw nothing, or crash the tab, beyond it; 16,384 stays
 * well below that, and the area cap below keeps Safari's 16.7M px: a wide map (width=6000 on
 * 60 columns, 1000 px tall) keeps the screen's ratio where a 4096 px side made it blurry. */
export const MAX_BACKING_SIDE = 16384;
/** The most backing pixels of a canvas in all (4096 x 4096, 64 MB of RGBA): browsers cap the
 * area too (about 268M px in Chrome, 16.7M px in iOS Safari), and a lattice view holds two
 * canvases of this size and, for small cells, a neuron per pixel (an Int32Array). */
export const MAX_BACKING_PIXELS = 4096 * 4096;

export interface BackingSize {
  /** backing pixels per CSS pixel (the devicePixelRatio, or less for a big canvas) */
  ratio: number;
  width: number; // backing pixels
  height: number;
}

/** The backing store of a canvas `cssW` x `cssH` CSS px on a screen of pixel ratio `dpr`:
 * `dpr` backing pixels per CSS pixel where that fits {@link MAX_BACKING_SIDE} and
 * {@link MAX_BACKING_PIXELS}, else the largest ratio that fits, so a huge canvas keeps the
 * CSS size asked for and draws (slightly blurrier, up-scaled by the browser) rather than
 * blanking. Width and height are whole and at least 1. */
export function backingSize(cssW: number, cssH: number, dpr: number): BackingSize {
  const w = Number.isFinite(cssW) && cssW > 0 ? cssW : 1;
  const h = Number.isFinite(cssH) && cssH > 0 ? cssH : 1;
  let ratio = Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
  ratio = Math.min(ratio, MAX_BACKING_SIDE / w, MAX_BACKING_SIDE / h, Math.sqrt(MAX_BACKING_PIXELS / (w * h)));
  let width = Math.max(1, Math.round(w * ratio));
  let height = Math.max(1, Math.round(h * ratio));
  if (width > MAX_BACKING_SIDE || height > MAX_BACKING_SIDE || width * height > MAX_BACKING_PIXELS) {
    // rounding up passed a cap: round down instead (still within a pixel of the CSS size at
    // the ratio, which stays the drawing scale)
    width = Math.max(1, Math.floor(w * ratio));
    height = Math.max(1, Math.floor(h * ratio));
  }
  width = Math.min(width, MAX_BACKING_SIDE);
  height = Math.min(height, MAX_BACKING_SIDE);
  while (width * height > MAX_BACKING_PIXELS) {
    if (width >= height) width -= 1;
    else height -= 1;
  }
  return { ratio, width, height };
}

/** What {@link scrollToShow} scrolls: an element's sideways scroll and where it is. */
export interface SideScroller {
  scrollLeft: number;
  scrollWidth: number;
  clientWidth: number;
  /** the width of its left border (0 when absent) */
  clientLeft?: number;
  getBoundingClientRect(): { left: number };
}

/** Scroll `box` sideways, as little as it takes, so that the client x range [left, right] (a
 * neuron the keyboard moved to) shows inside it; a range wider than the box shows its left
 * end. Nothing happens in a box that does not scroll. */
export function scrollToShow(box: SideScroller, left: number, right: number): void {
  if (box.scrollWidth <= box.clientWidth) return;
  // where the visible content starts: inside the box's border (the focus ring's, styles.ts)
  const boxLeft = box.getBoundingClientRect().left + (box.clientLeft ?? 0);
  box.scrollLeft = scrolledToShow(box.scrollLeft, box.scrollWidth - box.clientWidth,
    boxLeft, boxLeft + box.clientWidth, left, right);
}

/** A scroll offset (0 .. `most`) moved as little as it takes for the client range [a, b] to
 * show inside the visible client range [lo, hi]; a range longer than that keeps its start in
 * view. Both scrolls of {@link scrollToShow} and {@link scrollToShowY}. */
function scrolledToShow(scroll: number, most: number, lo: number, hi: number, a: number, b: number): number {
  let d = 0;
  if (b > hi) d = b - hi;
  if (a - d < lo) d = a - lo;
  return d ? Math.max(0, Math.min(most, scroll + d)) : scroll;
}

/** What {@link scrollToShowY} scrolls: an element's vertical scroll and where it is. */
export interface UpScroller {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  /** the height of its top border (0 when absent) */
  clientTop?: number;
  getBoundingClientRect(): { top: number };
}

/** Scroll `box` up or down, as little as it takes, so that the client y range [top, bottom]
 * (a neuron the keyboard moved to) shows inside it and inside the window's height `viewH`
 * (a notebook panel taller than the window still leaves the neuron on screen); a range taller
 * than what shows keeps its top in view. Nothing happens in a box that does not scroll. */
export function scrollToShowY(box: UpScroller, top: number, bottom: number, viewH = Infinity): void {
  if (box.scrollHeight <= box.clientHeight) return;
  const boxTop = box.getBoundingClientRect().top + (box.clientTop ?? 0);
  const lo = Math.max(boxTop, 0);
  const hi = Math.min(boxTop + box.clientHeight, viewH);
  if (!(hi > lo)) return; // the box itself is off screen: the page's business
  box.scrollTop = scrolledToShow(box.scrollTop, box.scrollHeight - box.clientHeight, lo, hi, top, bottom);
}

/** The nearest ancestor of `el` that scrolls vertically (JupyterLab's notebook panel), or null. */
export function verticalScroller(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    if (p.scrollHeight > p.clientHeight) {
      const oy = getComputedStyle(p).overflowY;
      if (oy === "auto" || oy === "scroll" || oy === "overlay") return p;
    }
  }
  const root = document.scrollingElement as HTMLElement | null;
  return root && root.scrollHeight > root.clientHeight ? root : null;
}

/** The padding (plane units) around the cells on an axis whose edges do not wrap. */
const PAD_FLAT = 0.06;
/** The padding on an axis whose edges wrap around: room for the dashed wrap marks. */
const PAD_WRAP = 0.45;

/** The padding (plane units) beyond the cells' bounds across (px) and down (py). */
export function latticePad(lat: Lattice): { px: number; py: number } {
  return { px: lat.wrapCols ? PAD_WRAP : PAD_FLAT, py: lat.wrapRows ? PAD_WRAP : PAD_FLAT };
}

/** A canvas' fixed picture width (CSS px, whole) from its "width" option, 0 when the picture
 * fills its box (unset, not finite or not positive). */
export function fixedWidth(w: number | undefined): number {
  return w !== undefined && Number.isFinite(w) && w > 0 ? Math.max(1, Math.floor(w)) : 0;
}

/** Plane units from the outermost neuron centres to the cells' bounds on each axis (the
 * nearer side), from the centres as x, y pairs; half a cell when there are none. */
export function centreInset(b: { x0: number; y0: number; x1: number; y1: number },
  centres: Float64Array): { x: number; y: number } {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < centres.length; i += 2) {
    x0 = Math.min(x0, centres[i]);
    x1 = Math.max(x1, centres[i]);
    y0 = Math.min(y0, centres[i + 1]);
    y1 = Math.max(y1, centres[i + 1]);
  }
  return x0 <= x1
    ? { x: Math.min(x0 - b.x0, b.x1 - x1), y: Math.min(y0 - b.y0, b.y1 - y1) }
    : { x: 0.5, y: 0.5 };
}

/** Where a picture's cells land: CSS px per plane unit, the CSS size and the CSS px offset of
 * plane (0, 0). */
export interface PictureFit {
  scale: number;
  width: number; // CSS px, whole
  height: number;
  ox: number;
  oy: number;
}

/** The picture of cells spanning `b` (plane units) with padding `pad` in a box `width` CSS px
 * wide and at most `maxH` tall: the largest scale (at least `minScale`) at which the cells, their
 * padding and the margins `margin(scale)` gives (CSS px across and down, kept on both sides)
 * fit. The margins depend on the scale and the scale on the margins: they grow until they hold
 * (8 rounds at most). */
export function fitPicture(b: { x0: number; y0: number; x1: number; y1: number },
  pad: { px: number; py: number }, width: number, maxH: number, minScale: number,
  margin: (scale: number) => [number, number]): PictureFit {
  const { px, py } = pad;
  const bw = b.x1 - b.x0 + 2 * px;
  const bh = b.y1 - b.y0 + 2 * py;
  let mx = 0;
  let my = 0;
  let scale = 0;
  for (let i = 0; i < 8; i++) {
    scale = Math.min((width - 2 * mx) / bw, (maxH - 2 * my) / bh);
    scale = Math.max(scale, minScale);
    const [nx, ny] = margin(scale);
    if (nx <= mx && ny <= my) break;
    mx = Math.max(mx, nx);
    my = Math.max(my, ny);
  }
  return {
    scale,
    width: Math.ceil(bw * scale + 2 * mx - 1e-6),
    height: Math.ceil(bh * scale + 2 * my - 1e-6),
    ox: mx + (px - b.x0) * scale,
    oy: my + (py - b.y0) * scale,
  };
}


/** Where a lattice's plane lies on a canvas' backing store: the lattice, its neuron centres
 * (plane units, x, y pairs), CSS px per plane unit, backing pixels per CSS px and the CSS px
 * offset of plane (0, 0). */
export interface Placement {
  lat: Lattice;
  centres: Float64Array;
  scale: number;
  dpr: number;
  ox: number;
  oy: number;
}

/** Plane -> device pixels of the canvas backing store. */
export function toDevice(p: Placement, x: number, y: number): [number, number] {
  return [(p.ox + x * p.scale) * p.dpr, (p.oy + y * p.scale) * p.dpr];
}

/** What {@link watchPixelRatio} reads of the window (a fake one in the unit tests). */
export interface RatioWindow {
  devicePixelRatio: number;
  matchMedia?: (query: string) => {
    addEventListener(type: "change", listener: () => void): void;
    removeEventListener(type: "change", listener: () => void): void;
  };
}

/** Call `redraw` whenever the screen's devicePixelRatio changes (the browser zoomed, the window
 * moved to a screen of another density), so a canvas sizes its backing store for the new ratio
 * instead of staying blurred or oversized until something else redraws it. A media query
 * matches the ratio now; when it stops matching, one for the new ratio replaces it. Returns the
 * watcher to disconnect with the view (null where the window has no matchMedia). */
export function watchPixelRatio(
  redraw: () => void,
  win: RatioWindow | undefined = typeof window !== "undefined" ? window : undefined,
): { disconnect(): void } | null {
  if (!win || typeof win.matchMedia !== "function") return null;
  const match = win.matchMedia.bind(win);
  let query: ReturnType<typeof match> | null = null;
  const stop = () => { query?.removeEventListener("change", onChange); query = null; };
  const listen = () => {
    stop();
    query = match(`(resolution: ${win.devicePixelRatio || 1}dppx)`);
    query.addEventListener("change", onChange);
  };
  function onChange(): void {
    listen();
    redraw();
  }
  listen();
  return { disconnect: stop };
}
