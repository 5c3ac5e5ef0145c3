// One canvas lattice renderer for every map-shaped view (hit map, U-matrix, component planes,
// quality map, label map): LatticeCanvas holds the elements (its box, the picture's and the
// overlay's canvases, the brush box, the live region), the lattice, data and selection, and
// redraws on the next frame. Its parts: the layout and backing store (canvas_size.ts), the
// picture of hexagons or squares (lattice_paint.ts), the selection and hover over it
// (lattice_overlay.ts), and the pointer and keys turned into selection requests
// (lattice_input.ts).
import {
  backingSize, centreInset, fitPicture, fixedWidth, latticePad, type Placement, scrollToShow, scrollToShowY,
  verticalScroller, watchPixelRatio,
} from "./canvas_size";
import { liveRegion, PageTooltip, watchTheme } from "./common";
import { bounds, centres, keyAnchor, type Lattice } from "./geometry";
import { type InputOptions, LatticeInput, mapAriaLabel } from "./lattice_input";
import { overlayMargin, SelectionOverlay, selectionHash } from "./lattice_overlay";
import { cellGeometry, type Geometry, paintPicture, type PlaneData } from "./lattice_paint";

export { GRID_FILL, type PlaneData, RASTER_BELOW, type Style } from "./lattice_paint";
export { PER_CELL_OUTLINE_MAX } from "./lattice_overlay";
export { clickMode, combine, mapAriaLabel, type SelectMode } from "./lattice_input";
export { LABEL_MIN_CELL } from "./cell_text";

export interface CanvasOptions extends InputOptions {
  maxHeight?: number; // CSS pixels
  /** A fixed picture width (CSS px; 0 / unset: the box's width). The picture is then that wide
   * and as tall as its lattice makes it (no maxHeight), and so is the root: a caller whose box
   * is narrower puts the root in a box that scrolls sideways. */
  width?: number;
  minScale?: number;
  interactive?: boolean;
  onDraw?: () => void;
  /** What the picture is, for screen readers ("SOM hit map"): the focusable element's
   * aria-label adds the map's size and the keys (see {@link mapAriaLabel}). */
  label?: string;
}

export class LatticeCanvas {
  readonly root: HTMLDivElement;
  readonly base: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  readonly tooltip: PageTooltip;
  readonly brushBox: HTMLDivElement;
  /** A visually hidden live region: the selected neuron's description (the tooltip's lines),
   * written when the selection changes while this view has the focus, for screen readers. */
  readonly status: HTMLDivElement;
  /** The neuron the keyboard moves from while the selection holds it: the last one an arrow
   * key moved to or a click picked in this view (else the lowest-index selected neuron). */
  cursor = -1;
  lat: Lattice | null = null;
  labelsDrawn = 0; // value labels written by the last draw (tests read it)
  painted = 0; // what the data's painter drew in the last draw (glyphs, indices; tests read it)
  /** CSS px from the canvas' left edge to the first pixel column the last draw painted (the
   * cells' edge less half their stroke, or a wrap mark's arrow). The picture keeps room on its
   * left for what the selection overlay draws around an outer neuron, so its cells start a few
   * pixels in: a view starts the legend under the picture here, and the two line up. */
  inkLeft = 0;
  bordersDrawn = 0; // border segments drawn by the last draw (tests read it)
  data: PlaneData | null = null;
  selected: number[] = [];
  hover = -1;
  draws = 0;
  overlayDraws = 0; // selection / hover redraws (tests and benchmarks read it)
  lastOverlayMs = 0; // how long the last one took
  private overlayPainter = new SelectionOverlay();
  private opts: CanvasOptions;
  private centresPlane: Float64Array = new Float64Array(0);
  private geom: Geometry | null = null;
  private scale = 1; // CSS px per plane unit
  private dpr = 1;
  private ox = 0; // CSS px offset of plane x = 0
  private oy = 0;
  private cssW = 0;
  private cssH = 0;
  private inset = { x: 0.5, y: 0.5 }; // plane units from the outermost centres to the cells' bounds
  private observer: ResizeObserver | null = null;
  private themeWatch: MutationObserver | null = null;
  private ratioWatch: { disconnect(): void } | null = null;
  private pending = 0;
  private input: LatticeInput | null = null;

  constructor(opts: CanvasOptions = {}) {
    this.opts = { maxHeight: 520, minScale: 2, interactive: true, ...opts };
    this.root = document.createElement("div");
    this.root.className = "somwidget-canvas";
    Object.assign(this.root.style, { position: "relative", width: this.fixedWidth() ? `${this.fixedWidth()}px` : "100%" });
    this.base = document.createElement("canvas");
    this.overlay = document.createElement("canvas");
    for (const c of [this.base, this.overlay]) {
      Object.assign(c.style, { position: "absolute", left: "0", top: "0", display: "block" });
    }
    this.base.style.position = "relative";
    this.overlay.style.pointerEvents = "none";
    this.tooltip = new PageTooltip();
    this.brushBox = document.createElement("div");
    Object.assign(this.brushBox.style, {
      position: "absolute", display: "none", pointerEvents: "none",
      border: "1px dashed #333", background: "rgba(70,130,220,0.15)",
    });
    this.status = liveRegion();
    this.root.append(this.base, this.overlay, this.brushBox, this.status);
    // hover, click, brush and keys (the root focusable)
    if (this.opts.interactive) this.input = new LatticeInput(this, this.opts);
    if (typeof ResizeObserver !== "undefined") {
      this.observer = new ResizeObserver(() => this.schedule());
      this.observer.observe(this.root);
    }
    // the picture reads theme colours as it draws: JupyterLab marks a theme change on <body>,
    // so draw again in the new theme's colours (else a switched theme keeps the old grid)
    this.themeWatch = watchTheme(() => this.schedule());
    // a new screen density (zoom, another screen): the backing store sized again at its ratio
    this.ratioWatch = watchPixelRatio(() => this.schedule());
  }

  destroy(): void {
    this.input?.destroy();
    this.observer?.disconnect();
    this.themeWatch?.disconnect();
    this.ratioWatch?.disconnect();
    if (this.pending) cancelAnimationFrame(this.pending);
    this.tooltip.remove();
  }

  setLattice(lat: Lattice): void {
    const same = this.lat && this.lat.rows === lat.rows && this.lat.cols === lat.cols &&
      this.lat.shape === lat.shape && this.lat.wrapRows === lat.wrapRows && this.lat.wrapCols === lat.wrapCols;
    if (same) return;
    this.lat = { ...lat };
    this.centresPlane = centres(lat);
    this.inset = centreInset(bounds(lat), this.centresPlane);
    this.geom = null;
    this.hover = -1;
    this.cursor = -1;
    this.updateLabel();
  }

  /** The focusable element's aria-label (what the picture is, its size, the keys). */
  private updateLabel(): void {
    if (!this.opts.interactive || !this.lat) return;
    this.root.setAttribute("aria-label", mapAriaLabel(this.opts.label ?? "SOM map", this.lat));
  }

  setData(d: PlaneData): void {
    this.data = d;
  }

  private selectedSum = 0;

  setSelected(neurons: number[]): void {
    this.selected = neurons.slice();
    this.selectedSum = selectionHash(this.selected);
    this.drawOverlay();
    this.announce();
  }

  /** Write the selection into the live region while this view has the focus (a change made
   * here, with the pointer or the keyboard), so a screen reader reads it once, not once per
   * linked view. */
  announce(): void {
    if (!this.lat || typeof document === "undefined" || document.activeElement !== this.root) return;
    const k = keyAnchor(this.lat, this.selected, this.cursor);
    let text = "no neuron selected";
    if (k >= 0) {
      const lines = this.opts.describe ? this.opts.describe(k) : [`neuron ${k}`];
      const n = this.selected.length;
      text = (n > 1 ? `${n} neurons selected; ` : "") + lines.join(", ");
    }
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  setOption<K extends keyof CanvasOptions>(key: K, value: CanvasOptions[K]): void {
    if (key === "width" && (value || 0) === (this.opts.width || 0)) return;
    this.opts[key] = value;
    if (key === "label") this.updateLabel();
    if (key === "width") {
      this.root.style.width = this.fixedWidth() ? `${this.fixedWidth()}px` : "100%";
      this.schedule();
    }
  }

  /** The fixed picture width (CSS px, whole), 0 when the picture fills its box. */
  private fixedWidth(): number {
    return fixedWidth(this.opts.width);
  }

  /** CSS px per plane unit (a cell's width) of the last layout. */
  get cellPx(): number {
    return this.scale;
  }

  /** Redraw on the next animation frame (coalesces bursts of updates). */
  schedule(): void {
    if (this.pending) return;
    const raf = typeof requestAnimationFrame !== "undefined" ? requestAnimationFrame : (f: FrameRequestCallback) => setTimeout(() => f(0), 16) as unknown as number;
    this.pending = raf(() => {
      this.pending = 0;
      this.draw();
    });
  }

  // ---- layout -------------------------------------------------------------------------------

  private layout(): boolean {
    if (!this.lat) return false;
    const b = bounds(this.lat);
    const pad = latticePad(this.lat);
    // the box's width to the pixel below: clientWidth rounds a 220.5 px box up to 221, and a
    // picture that wide spilled half a pixel past it (a horizontal scrollbar for that half pixel)
    const fixed = this.fixedWidth();
    const box = fixed || Math.floor(this.root.getBoundingClientRect().width) || 360;
    // a fixed width sets the scale: the height follows, uncapped
    let maxH = fixed ? Infinity : this.opts.maxHeight ?? 520;
    // a dashboard caps its maps' height with the inherited CSS variable --sw-canvas-max (px)
    if (!fixed && typeof getComputedStyle !== "undefined") {
      const cap = parseFloat(getComputedStyle(this.root).getPropertyValue("--sw-canvas-max"));
      if (Number.isFinite(cap) && cap > 0) maxH = Math.min(maxH, cap);
    }
    const fit = fitPicture(b, pad, box, maxH, this.opts.minScale ?? 2,
      (scale) => [overlayMargin(scale, pad.px, this.inset.x), overlayMargin(scale, pad.py, this.inset.y)]);
    const { scale, width, height } = fit;
    // the screen's pixel ratio, lowered for a canvas too big for the browser (canvas_size.ts)
    const back = backingSize(width, height, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
    const dpr = back.ratio;
    const changed = scale !== this.scale || dpr !== this.dpr || width !== this.cssW || height !== this.cssH;
    this.scale = scale;
    this.dpr = dpr;
    this.cssW = width;
    this.cssH = height;
    this.ox = fit.ox;
    this.oy = fit.oy;
    if (changed || this.base.width !== back.width) {
      // the overlay covers the picture exactly: the picture keeps the room (overlayMargin) for
      // what it draws around an outer neuron, so nothing of it reaches past the picture's box,
      // and the view's box gets no scrollable overflow (an overlay reaching past it gave every
      // box whose right edge a map filled a horizontal scrollbar that scrolled to nothing)
      for (const c of [this.base, this.overlay]) {
        c.width = back.width;
        c.height = back.height;
        c.style.width = `${width}px`;
        c.style.height = `${height}px`;
      }
      this.root.style.height = `${height}px`;
    }
    return true;
  }

  /** Where the plane lies on the backing store (the last layout's). */
  private place(): Placement {
    return { lat: this.lat!, centres: this.centresPlane, scale: this.scale, dpr: this.dpr, ox: this.ox, oy: this.oy };
  }

  private geometry(): Geometry {
    this.geom = cellGeometry(this.place(), this.geom);
    return this.geom;
  }

  /** Client (viewport) coordinates -> plane coordinates. */
  clientToPlane(clientX: number, clientY: number): [number, number] {
    const r = this.base.getBoundingClientRect();
    const sx = r.width > 0 ? this.cssW / r.width : 1;
    const sy = r.height > 0 ? this.cssH / r.height : 1;
    const cx = (clientX - r.left) * sx;
    const cy = (clientY - r.top) * sy;
    return [(cx - this.ox) / this.scale, (cy - this.oy) / this.scale];
  }

  /** A fixed-width canvas in a box that scrolls sideways: scroll it to show neuron k's cell. */
  reveal(k: number): void {
    if (k < 0 || 2 * k >= this.centresPlane.length) return;
    const box = this.root.parentElement;
    if (box && this.fixedWidth()) {
      const x = this.base.getBoundingClientRect().left + this.ox + this.centresPlane[2 * k] * this.scale;
      scrollToShow(box, x - this.scale, x + this.scale); // the cell and half of each neighbour
    }
    // a map taller than the notebook's panel (a wide width=, many rows): the panel scrolls
    // up or down to the neuron, as little as it takes
    const panel = verticalScroller(this.root);
    if (!panel) return;
    const y = this.neuronClientPoint(k).y;
    scrollToShowY(panel, y - this.scale, y + this.scale, window.innerHeight);
  }

  /** Page-independent client coordinates of the centre of neuron k (for tests: mouse.click). */
  neuronClientPoint(k: number): { x: number; y: number } {
    const r = this.base.getBoundingClientRect();
    const x = this.centresPlane[2 * k];
    const y = this.centresPlane[2 * k + 1];
    const sx = this.cssW > 0 ? r.width / this.cssW : 1;
    const sy = this.cssH > 0 ? r.height / this.cssH : 1;
    return { x: r.left + (this.ox + x * this.scale) * sx, y: r.top + (this.oy + y * this.scale) * sy };
  }

  // ---- drawing ------------------------------------------------------------------------------

  draw(): void {
    if (!this.layout() || !this.lat) return;
    const ctx = this.base.getContext("2d");
    if (!ctx) return;
    const done = paintPicture(ctx, this.place(), this.geometry(), this.data,
      (name, fallback) => this.themeColour(name, fallback));
    this.inkLeft = done.inkLeft;
    this.labelsDrawn = done.labels;
    this.painted = done.painted;
    this.bordersDrawn = done.borders;
    this.draws += 1;
    this.drawOverlay();
    this.opts.onDraw?.();
  }

  /** A JupyterLab theme colour (CSS variable) as seen from this view, or the fallback. */
  private themeColour(name: string, fallback: string): string {
    if (typeof getComputedStyle === "undefined") return fallback;
    const v = getComputedStyle(this.root).getPropertyValue(name).trim();
    return v || fallback;
  }

  drawOverlay(): void {
    if (!this.lat || !this.geom) return;
    const ctx = this.overlay.getContext("2d");
    if (!ctx) return;
    const t0 = typeof performance !== "undefined" ? performance.now() : 0;
    this.overlayPainter.paint(ctx, this.place(), this.geom, this.selected, this.selectedSum, this.hover);
    this.overlayDraws += 1;
    if (t0) this.lastOverlayMs = performance.now() - t0;
  }
}
