// The lattice canvas' pointer and keys: hover (outline and tooltip), a click or a brush drag
// turned into a selection request (clickMode, combine; a brush held at the edge of a scrolling
// box or panel scrolls it, edgeScroll), the keys (latticeKey over geometry.ts keyAction:
// arrows, Enter, Space, Escape; the page's and JupyterLab's shortcuts pass) and the focusable
// element's aria-label.
import { verticalScroller } from "./canvas_size";
import { type PageTooltip } from "./common";
import { brushDrag, keyAction, type KeyAction, type Lattice, pick } from "./geometry";

export type SelectMode = "replace" | "toggle" | "add";

/** What the pointer and the keys ask for (a LatticeCanvas' options). */
export interface InputOptions {
  onSelect?: (neurons: number[], mode: SelectMode) => void;
  onClear?: () => void;
  describe?: (k: number) => string[];
}

/** The canvas the pointer and the keys act on (a LatticeCanvas): read when an event comes. */
export interface InputHost {
  readonly root: HTMLElement;
  readonly base: HTMLElement;
  readonly brushBox: HTMLElement;
  readonly tooltip: PageTooltip;
  readonly lat: Lattice | null;
  readonly selected: number[];
  /** The neuron the keyboard moves from while the selection holds it. */
  cursor: number;
  hover: number;
  clientToPlane(clientX: number, clientY: number): [number, number];
  drawOverlay(): void;
  /** Scroll the canvas' box to show neuron k. */
  reveal(k: number): void;
  /** Say the selection in the live region. */
  announce(): void;
}

/** Listens to a canvas' pointer and keys (the root focusable, its base canvas and the window's
 * pointer moves for a drag) until {@link destroy}. */
export class LatticeInput {
  // where a press began: client px (the 5 px drag threshold), px inside the root (the brush
  // box's corner, which moves with the root when its box scrolls) and the plane point under it
  private dragStart: {
    x: number; y: number; rx: number; ry: number; plane: [number, number]; shift: boolean; toggle: boolean;
  } | null = null;
  private dragging = false;
  private lastPointer: { x: number; y: number } | null = null;
  private scrollFrame = 0;
  // the notebook panel a drag may scroll, found once when the drag begins (not every frame)
  private dragPanel: HTMLElement | null = null;
  private listeners: Array<[EventTarget, string, EventListener]> = [];

  constructor(private readonly host: InputHost, private readonly opts: InputOptions) {
    host.root.tabIndex = 0;
    // a widget of its own keys: screen readers pass the arrow keys through to it
    host.root.setAttribute("role", "application");
    this.listen(host.base, "pointerdown", (e) => this.onDown(e as PointerEvent));
    this.listen(window, "pointermove", (e) => this.onDragMove(e as PointerEvent));
    this.listen(window, "pointerup", (e) => this.onUp(e as PointerEvent));
    this.listen(host.base, "pointermove", (e) => this.onHover(e as PointerEvent));
    this.listen(host.base, "pointerleave", () => this.setHover(-1));
    this.listen(host.root, "keydown", (e) => this.onKey(e as KeyboardEvent));
  }

  private listen(t: EventTarget, type: string, fn: EventListener): void {
    t.addEventListener(type, fn);
    this.listeners.push([t, type, fn]);
  }

  destroy(): void {
    for (const [t, type, fn] of this.listeners) t.removeEventListener(type, fn);
    this.listeners = [];
    this.stopScrolling();
  }

  private setHover(k: number, e?: PointerEvent): void {
    const host = this.host;
    if (k !== host.hover) {
      host.hover = k;
      host.drawOverlay();
    }
    if (k < 0 || !e || !this.opts.describe) {
      host.tooltip.hide();
      return;
    }
    host.tooltip.show(this.opts.describe(k), e.clientX, e.clientY);
  }

  private onHover(e: PointerEvent): void {
    const lat = this.host.lat;
    if (this.dragging || !lat) return;
    const [x, y] = this.host.clientToPlane(e.clientX, e.clientY);
    this.setHover(pick(lat, x, y), e);
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.host.root.focus({ preventScroll: true });
    const r = this.host.root.getBoundingClientRect();
    this.dragStart = {
      x: e.clientX, y: e.clientY, rx: e.clientX - r.left, ry: e.clientY - r.top,
      plane: this.host.clientToPlane(e.clientX, e.clientY), shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey,
    };
    this.dragging = false;
    e.preventDefault();
  }

  private onDragMove(e: PointerEvent): void {
    const s = this.dragStart;
    if (!s) return;
    if (!this.dragging) {
      if (Math.hypot(e.clientX - s.x, e.clientY - s.y) < 5) return;
      this.dragPanel = verticalScroller(this.host.root);
    }
    this.dragging = true;
    this.setHover(-1);
    this.lastPointer = { x: e.clientX, y: e.clientY };
    this.drawBrush();
    // near an edge of the map's scrolling box (width=) or of the notebook's panel (a tall map),
    // they scroll on each frame while the pointer stays there: a brush reaches cells beyond them
    if (!this.scrollFrame) this.scrollFrame = requestAnimationFrame(() => this.scrollStep());
  }

  /** The brush box from the press to the pointer, in the root's px (it scrolls with the root). */
  private drawBrush(): void {
    const s = this.dragStart;
    const p = this.lastPointer;
    if (!s || !p) return;
    const r = this.host.root.getBoundingClientRect();
    const px = p.x - r.left;
    const py = p.y - r.top;
    Object.assign(this.host.brushBox.style, {
      display: "block", left: `${Math.min(s.rx, px)}px`, top: `${Math.min(s.ry, py)}px`,
      width: `${Math.abs(px - s.rx)}px`, height: `${Math.abs(py - s.ry)}px`,
    });
  }

  private scrollStep(): void {
    this.scrollFrame = 0;
    const p = this.lastPointer;
    if (!this.dragging || !p) return;
    const box = this.host.root.parentElement;
    let moved = false;
    if (box && box.scrollWidth > box.clientWidth) {
      const r = box.getBoundingClientRect();
      const dx = edgeScroll(p.x, r.left, r.right);
      const before = box.scrollLeft;
      if (dx) box.scrollLeft = before + dx;
      moved = box.scrollLeft !== before;
    }
    const panel = this.dragPanel;
    if (panel) {
      const r = panel.getBoundingClientRect();
      const dy = edgeScroll(p.y, Math.max(r.top, 0), Math.min(r.bottom, window.innerHeight));
      const before = panel.scrollTop;
      if (dy) panel.scrollTop = before + dy;
      moved = moved || panel.scrollTop !== before;
    }
    if (moved) {
      this.drawBrush();
      this.scrollFrame = requestAnimationFrame(() => this.scrollStep());
    }
  }

  private stopScrolling(): void {
    if (this.scrollFrame) cancelAnimationFrame(this.scrollFrame);
    this.scrollFrame = 0;
    this.lastPointer = null;
    this.dragPanel = null;
  }

  private onUp(e: PointerEvent): void {
    const s = this.dragStart;
    const host = this.host;
    const lat = host.lat;
    if (!s || !lat) return;
    this.dragStart = null;
    // shift adds (as the docs say), ctrl / cmd toggles, a plain click or drag replaces
    const mode = clickMode(s.shift || e.shiftKey, s.toggle || e.ctrlKey || e.metaKey);
    if (this.dragging) {
      this.dragging = false;
      this.stopScrolling();
      host.brushBox.style.display = "none";
      // the press' plane point (taken then: the box may have scrolled since) to the release's
      const [xa, ya] = s.plane;
      const [xb, yb] = host.clientToPlane(e.clientX, e.clientY);
      // the neurons under the drag's two ends are taken whole (their centres included)
      const ks = brushDrag(lat, xa, ya, xb, yb);
      this.opts.onSelect?.(ks, mode === "replace" ? "replace" : "add");
      return;
    }
    const [x, y] = host.clientToPlane(e.clientX, e.clientY);
    const k = pick(lat, x, y);
    if (k < 0) {
      if (mode === "replace") this.opts.onClear?.();
      return;
    }
    host.cursor = k;
    this.opts.onSelect?.([k], mode);
  }

  /** Escape clears; arrows, Enter and Space as {@link keyAction} says (the key goes no
   * further: the notebook does not take it as a shortcut, the page does not scroll); the keys
   * {@link latticeKey} passes on reach JupyterLab untouched. */
  private onKey(e: KeyboardEvent): void {
    const host = this.host;
    const act = latticeKey(e, host.lat, host.selected, host.cursor);
    if (act.kind === "pass") return;
    if (act.kind === "clear") {
      host.cursor = -1;
      this.opts.onClear?.();
    } else {
      if (act.kind === "select") {
        host.cursor = act.neuron;
        this.opts.onSelect?.([act.neuron], "replace");
        host.reveal(act.neuron);
      }
      // the cursor may have moved inside an unchanged selection (a cluster): say where it is
      host.announce();
    }
    e.preventDefault();
    e.stopPropagation();
  }
}

/** The modifier keys and the key of a keydown (a KeyboardEvent, or a plain object in tests). */
export interface KeyPress {
  key: string;
  shiftKey?: boolean;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
}

/** What a key press on a lattice map does: "pass" leaves it to the page and JupyterLab (Ctrl,
 * Cmd or Alt with any key: their shortcuts; Shift+Enter runs the cell, Shift+Space and
 * Shift+Escape are the page's too; keys the map has no use for), "clear" empties the
 * selection (Escape), else {@link keyAction}'s move or keep (arrows, Shift+arrows included;
 * Enter, Space). */
export function latticeKey(e: KeyPress, lat: Lattice | null, selected: ArrayLike<number>,
  cursor: number): { kind: "pass" } | { kind: "clear" } | NonNullable<KeyAction> {
  if (e.altKey || e.ctrlKey || e.metaKey) return { kind: "pass" };
  const activate = e.key === "Enter" || e.key === " " || e.key === "Spacebar";
  if (e.shiftKey && (activate || e.key === "Escape")) return { kind: "pass" };
  if (e.key === "Escape") return { kind: "clear" };
  const act = lat ? keyAction(lat, selected, cursor, e.key) : null;
  return act ?? { kind: "pass" };
}

/** Within this many px of a scrolling box's edge a brush drag scrolls it. */
export const EDGE_SCROLL_PX = 32;
/** The most px a brush drag scrolls per frame (at the edge itself or beyond it). */
export const EDGE_SCROLL_MAX = 24;

/** How far a box spanning client [lo, hi] scrolls this frame with the pointer at `pos` during a
 * brush drag: 0 in its middle, negative (back) within {@link EDGE_SCROLL_PX} of `lo`, positive
 * within it of `hi`, growing to {@link EDGE_SCROLL_MAX} at the edge and past it. A box too small
 * for two edge bands scrolls only past its edges. */
export function edgeScroll(pos: number, lo: number, hi: number): number {
  if (!(hi > lo)) return 0;
  const band = Math.min(EDGE_SCROLL_PX, (hi - lo) / 4);
  const speed = (depth: number) => Math.ceil(EDGE_SCROLL_MAX * Math.min(1, depth / Math.max(band, 1)));
  if (pos > hi - band) return speed(pos - (hi - band));
  if (pos < lo + band) return -speed(lo + band - pos);
  return 0;
}

/** The aria-label of a map's focusable element: "SOM hit map, 12 × 10 hexagonal: arrow keys
 * move the selected neuron, Escape clears". */
export function mapAriaLabel(label: string, lat: Lattice): string {
  const kind = lat.shape === "hexa" ? "hexagonal" : "rectangular";
  return `${label}, ${lat.rows} × ${lat.cols} ${kind}: arrow keys move the selected neuron ` +
    "(Enter or an arrow key selects the top-left one when none is), Escape clears";
}

/** What a click does with these modifier keys: shift adds, ctrl / cmd toggles, else replaces. */
export function clickMode(shift: boolean, toggle: boolean): SelectMode {
  if (shift) return "add";
  if (toggle) return "toggle";
  return "replace";
}

/** New selection after a request, as a sorted unique array. */
export function combine(current: number[], neurons: number[], mode: SelectMode): number[] {
  let out: Set<number>;
  if (mode === "replace") out = new Set(neurons);
  else if (mode === "add") out = new Set([...current, ...neurons]);
  else {
    out = new Set(current);
    for (const k of neurons) {
      if (out.has(k)) out.delete(k);
      else out.add(k);
    }
  }
  return [...out].sort((a, b) => a - b);
}
