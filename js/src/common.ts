// Glue shared by the anywidget entries: the lattice traits, the shared Selection model (resolved
// from its "IPY_MODEL_<id>" reference), header, legends, tooltips. The traits' types are in
// models.ts, the binary arrays' decoder in codecs.ts.
import type { FloatArray } from "./codecs";
import { CATEGORICAL, COLORMAP_NAMES, NAN_COLOR, table } from "./colors";
import type { Lattice, Shape } from "./geometry";
import { THEME_CSS } from "./styles";
import type { AnyModel, LatticeGridModel, SelectionModel, TooltipField } from "./models";

export type { AnyModel, RenderProps, TooltipField } from "./models";

export function latticeOf(model: AnyModel<LatticeGridModel>): Lattice {
  return {
    rows: model.get("rows") | 0,
    cols: model.get("cols") | 0,
    shape: (model.get("shape") === "rect" ? "rect" : "hexa") as Shape,
    wrapRows: !!model.get("wrap_rows"),
    wrapCols: !!model.get("wrap_cols"),
  };
}

/**
 * The shared selection: resolves the `selection` trait (a widget reference serialised by
 * ipywidgets as "IPY_MODEL_<id>") to the Selection model and listens to its neurons. Falls back
 * to view-local state when no Selection is linked.
 */
export class SelectionLink {
  private model: AnyModel<LatticeGridModel>;
  private sel: AnyModel<SelectionModel> | null = null;
  private local: number[] = [];
  private onChange: (neurons: number[]) => void;
  private handler = () => this.onChange(this.get());
  private refHandler = () => void this.resolve();
  private disposed = false;

  constructor(model: AnyModel<LatticeGridModel>, onChange: (neurons: number[]) => void) {
    this.model = model;
    this.onChange = onChange;
    model.on("change:selection", this.refHandler);
  }

  async resolve(): Promise<void> {
    if (this.sel) this.sel.off("change:neurons", this.handler);
    this.sel = null;
    const ref = this.model.get("selection");
    if (typeof ref === "string" && ref.length && this.model.widget_manager) {
      const id = ref.startsWith("IPY_MODEL_") ? ref.slice("IPY_MODEL_".length)
        : ref.startsWith("anywidget:") ? ref.slice("anywidget:".length) : ref;
      const sel = await this.model.widget_manager.get_model(id) as AnyModel<SelectionModel>;
      if (this.disposed) return;
      this.sel = sel;
      sel.on("change:neurons", this.handler);
    } else if (ref && typeof ref === "object" && typeof (ref as AnyModel<SelectionModel>).get === "function") {
      // a model object in place of the reference (a widget manager that resolved it already)
      this.sel = ref as AnyModel<SelectionModel>;
      this.sel.on("change:neurons", this.handler);
    }
    this.handler();
  }

  get(): number[] {
    const v = this.sel ? this.sel.get("neurons") : this.local;
    return Array.isArray(v) ? v.slice() : [];
  }

  set(neurons: number[]): void {
    const sorted = [...new Set(neurons)].sort((a, b) => a - b);
    if (this.sel) {
      this.sel.set("neurons", sorted);
      this.sel.save_changes();
    } else {
      this.local = sorted;
      this.handler();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.model.off("change:selection", this.refHandler);
    if (this.sel) this.sel.off("change:neurons", this.handler);
  }
}

/**
 * Back-pressure: tell the kernel which frame was drawn (a custom message `{drawn: frame}`), once
 * per frame. The kernel sends a view's next live frame only after this answer
 * (somwidget/widgets/live.py, FramePacer), so a slow page never queues frames.
 */
export class FrameAck {
  private model: AnyModel<LatticeGridModel>;
  private last = -1;
  sent = 0;

  constructor(model: AnyModel<LatticeGridModel>) {
    this.model = model;
  }

  drawn(frame: number): void {
    if (!(frame > this.last) || typeof this.model.send !== "function") return;
    this.last = frame;
    this.sent += 1;
    try {
      this.model.send({ drawn: frame });
    } catch {
      // a closed comm: nothing to acknowledge to
    }
  }
}

// A view inside a box that lays its children side by side (an HBox, a Row, a plain Box) is a
// dashboard card: 380 px (or its own --sw-dash-width), titles of two lines' height so the cards'
// pictures line up. Stacked in a VBox (a Column) it is laid out as on its own.
export const BASE_CSS = `
.somwidget-view { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; box-sizing: border-box; min-width: 0; max-width: 100%; }
.somwidget-view.sw-single { width: 100%; max-width: min(100%, var(--sw-view-width, 560px)); }
.widget-box:not(.widget-vbox) > .somwidget-view.sw-single { flex: 0 1 var(--sw-dash-width, 380px); width: var(--sw-dash-width, 380px); max-width: 100%; margin-right: 14px; }
.somwidget-view.sw-multi { width: 100%; }
.widget-box:not(.widget-vbox) > .somwidget-view.sw-multi { flex: 1 1 440px; width: auto; }
.somwidget-view .sw-head { margin: 2px 0 4px; }
.somwidget-view .sw-title { font-weight: 600; font-size: 14px; line-height: 1.35; }
.widget-box:not(.widget-vbox) > .somwidget-view.sw-single .sw-title { min-height: 2.7em; }
.somwidget-view .sw-headline { display: flex; align-items: center; gap: 4px 8px; flex-wrap: wrap; margin-top: 2px; }
.somwidget-view .sw-headline .sw-sub { flex: 1 1 auto; min-width: 0; }
.somwidget-view .sw-tools { display: flex; gap: 6px; flex: 0 0 auto; margin-left: auto; }
.somwidget-view .sw-sub { color: #666; font-size: 12px; }
.somwidget-view select { font-size: 12px; }
.somwidget-view .sw-legend { display: flex; align-items: center; gap: 2px 10px; margin-top: 6px; font-size: 12px; flex-wrap: wrap; }
.somwidget-view .sw-legend > span { white-space: nowrap; }
.somwidget-view .sw-legend > button.sw-legend-item { white-space: nowrap; font: inherit; color: inherit; background: none; border: 0; padding: 0 2px; margin: 0 -2px; cursor: pointer; border-radius: 2px; }
.somwidget-view .sw-legend > button.sw-legend-item:hover:not(:disabled) { text-decoration: underline; }
.somwidget-view .sw-legend > button.sw-legend-item:disabled { cursor: default; opacity: 0.6; }
.somwidget-view .sw-cb { display: flex; align-items: center; gap: 5px; flex: 0 1 280px; min-width: 0; white-space: nowrap; }
.somwidget-view .sw-cb canvas { flex: 1 1 160px; min-width: 28px; max-width: 200px; width: 0; height: 12px; border: 1px solid #aaa; }
.somwidget-view .sw-legend .sw-cb-label { color: #666; white-space: normal; }
.somwidget-view .sw-swatch { display: inline-block; width: 11px; height: 11px; border: 1px solid #777; margin-right: 3px; vertical-align: -1px; }
.somwidget-view .sw-planes { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; width: 100%; box-sizing: border-box; }
.somwidget-view .sw-plane { border: 1px solid #e3e3e3; padding: 4px 5px 5px; border-radius: 3px; min-width: 0; box-sizing: border-box; }
.somwidget-view .sw-plane.sw-enlarged { grid-column: 1 / -1; }
.somwidget-view .sw-plane-title { font-weight: 600; font-size: 12px; cursor: pointer; margin-bottom: 3px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.somwidget-view .sw-plane-title:hover { text-decoration: underline; }
.somwidget-view .sw-plane .sw-legend { margin-top: 4px; font-size: 11px; }
.somwidget-view .sw-plane .sw-cb { flex: 1 1 auto; gap: 4px; }
.somwidget-view button { font-size: 12px; }
`;

export function injectCss(el: HTMLElement): void {
  const style = document.createElement("style");
  style.textContent = BASE_CSS + THEME_CSS;
  el.append(style);
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return "—";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** The colour bar's two end labels: formatValue's, with more significant digits when the range
 * is small next to the values' magnitude, so each end reads within 1 % of the range and the two
 * differ (Python's text.format_range). */
export function formatRange(vmin: number, vmax: number): [string, string] {
  const lo = formatValue(vmin);
  const hi = formatValue(vmax);
  const span = vmax - vmin;
  if (!(span > 0 && Number.isFinite(span))) return [lo, hi];
  const top = Math.max(Math.abs(vmin), Math.abs(vmax));
  let digits = Math.floor(Math.log10(top)) - Math.floor(Math.log10(span)) + 3;
  if (digits <= 4 && lo !== hi) return [lo, hi];
  digits = Math.min(17, Math.max(5, digits));
  const fmt = (v: number): string => {
    if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(digits - 1);
    return Number(v.toPrecision(digits)).toString();
  };
  return [fmt(vmin), fmt(vmax)];
}

/** A value written inside a lattice cell: 3 significant digits (the same as Python's
 * ``svg.format_label``). */
export function formatLabel(v: number): string {
  if (!Number.isFinite(v)) return "";
  if (Number.isInteger(v) && Math.abs(v) < 1e5) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-2 || a >= 1e5)) return v.toExponential(1).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}

/** A colour-bar legend: gradient with min / max values and what the colour means. */
export function colourBar(name: string, vmin: number, vmax: number, label: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "sw-legend sw-colorbar";
  const lo = document.createElement("span");
  lo.className = "sw-min";
  const [loText, hiText] = formatRange(vmin, vmax);
  lo.textContent = loText;
  const hi = document.createElement("span");
  hi.className = "sw-max";
  hi.textContent = hiText;
  const c = document.createElement("canvas");
  c.width = 256;
  c.height = 1;
  const ctx = c.getContext("2d");
  if (ctx) {
    const img = ctx.createImageData(256, 1);
    const t = table(name).rgb;
    for (let i = 0; i < 256; i++) {
      img.data[4 * i] = t[3 * i];
      img.data[4 * i + 1] = t[3 * i + 1];
      img.data[4 * i + 2] = t[3 * i + 2];
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  const bar = document.createElement("span");
  bar.className = "sw-cb";
  bar.append(lo, c, hi);
  box.append(bar);
  if (label) {
    const what = document.createElement("span");
    what.className = "sw-cb-label";
    what.textContent = label;
    box.append(what);
  }
  box.title = `${label ? label + ": " : ""}${loText} (dark) to ${hiText} (bright)`;
  return box;
}

/** The neurons of category `index` in a per-neuron category array (-1 / NaN: none), in order:
 * what a click on the legend's entry `index` selects. */
export function categoryNeurons(categories: ArrayLike<number>, index: number): number[] {
  const out: number[] = [];
  if (!(index >= 0)) return out;
  for (let k = 0; k < categories.length; k++) if (categories[k] === index) out.push(k);
  return out;
}

/** How many neurons each of `n` categories has (entries outside 0..n-1 counted nowhere). */
export function categoryCounts(categories: ArrayLike<number>, n: number): number[] {
  const out = new Array<number>(Math.max(0, n)).fill(0);
  for (let k = 0; k < categories.length; k++) {
    const c = categories[k];
    if (c >= 0 && c < n && Number.isInteger(c)) out[c] += 1;
  }
  return out;
}

/** A legend entry's click (or Enter / Space on it): the category's index and the modifiers. */
export type LegendPick = (index: number, e: MouseEvent) => void;

/**
 * A categorical legend: one swatch per label, and one for the neurons without a category in
 * `noneColour`, the colour they are drawn in (the map's background in the size style). With
 * `onPick` each label is a button (reached with Tab, pressed with Enter / Space) that calls it
 * with its index; `counts` (neurons per category) disables the labels no neuron has. The "none"
 * entry is never a button.
 */
export function categoryLegend(
  names: string[], title: string, colours: string[] = [], none: string = "no samples",
  noneColour: string = NAN_COLOR, onPick?: LegendPick, counts?: number[],
): HTMLElement {
  const box = document.createElement("div");
  box.className = "sw-legend sw-categories";
  if (title) {
    const t = document.createElement("span");
    t.className = "sw-cb-label";
    t.textContent = title;
    box.append(t);
  }
  names.forEach((n, i) => {
    const sw = document.createElement("span");
    sw.className = "sw-swatch";
    sw.style.background = colours[i] ?? CATEGORICAL[i % CATEGORICAL.length];
    if (!onPick) {
      const item = document.createElement("span");
      item.append(sw, document.createTextNode(n));
      box.append(item);
      return;
    }
    const item = document.createElement("button");
    item.type = "button";
    item.className = "sw-legend-item";
    item.dataset.category = String(i);
    item.append(sw, document.createTextNode(n));
    const count = counts ? counts[i] ?? 0 : -1;
    if (count === 0) {
      item.disabled = true;
      item.title = `${n}: no neuron`;
    } else {
      const what = count > 0 ? `the ${count} neuron${count === 1 ? "" : "s"}` : "the neurons";
      item.title = `Select ${what} of ${n} (shift adds, ctrl/cmd toggles)`;
    }
    item.addEventListener("click", (e) => onPick(i, e));
    box.append(item);
  });
  if (none) {
    const item = document.createElement("span");
    const sw = document.createElement("span");
    sw.className = "sw-swatch";
    sw.style.background = noneColour;
    item.append(sw, document.createTextNode(none));
    box.append(item);
  }
  return box;
}

/**
 * The header: a plain-words title on its own line(s), then one line with the grey subtitle (map
 * size, wrap-around) on the left and the colour-map picker and "Clear selection" on the right.
 */
export function header(title: HTMLElement, sub: HTMLElement, ...tools: HTMLElement[]): HTMLDivElement {
  const head = document.createElement("div");
  head.className = "sw-head";
  const line = document.createElement("div");
  line.className = "sw-headline";
  const box = document.createElement("div");
  box.className = "sw-tools";
  box.append(...tools);
  line.append(sub, box);
  head.append(title, line);
  return head;
}

/** The parts every lattice view starts with (see {@link viewShell}). */
export interface ViewShell {
  title: HTMLDivElement;
  sub: HTMLDivElement;
  picker: HTMLSelectElement;
  clear: HTMLButtonElement;
  head: HTMLDivElement;
}

/**
 * Prepare a lattice view's element: its classes, the data attributes the browser tests read
 * (view, frame, draws, selected), the style sheet, and the header with title, subtitle,
 * colour-map picker and "Clear selection" button (not yet attached).
 */
export function viewShell(model: AnyModel<LatticeGridModel>, el: HTMLElement, layout: string, fallbackView: string): ViewShell {
  el.classList.add("somwidget-view", layout);
  el.dataset.view = model.get("_view") || fallbackView;
  el.dataset.frame = "-1";
  el.dataset.draws = "0";
  el.dataset.selected = "";
  injectCss(el);
  const title = document.createElement("div");
  title.className = "sw-title";
  const sub = document.createElement("div");
  sub.className = "sw-sub";
  const picker = colormapPicker(model);
  const clear = document.createElement("button");
  clear.textContent = "Clear selection";
  clear.title = "Clear the selection (Escape)";
  const head = header(title, sub, picker, clear);
  return { title, sub, picker, clear, head };
}

export function colormapPicker(model: AnyModel<LatticeGridModel>): HTMLSelectElement {
  const sel = document.createElement("select");
  sel.title = "Colour map";
  for (const n of COLORMAP_NAMES) {
    const o = document.createElement("option");
    o.value = n;
    o.textContent = n;
    sel.append(o);
  }
  sel.value = model.get("colormap");
  sel.addEventListener("change", () => {
    model.set("colormap", sel.value);
    model.save_changes();
  });
  return sel;
}

export function wrapText(lat: Lattice): string {
  if (lat.wrapRows && lat.wrapCols) return "toroidal: all edges wrap around";
  if (lat.wrapCols) return "cylindrical: left and right edges wrap around";
  return "";
}

/** Marker areas of the "size" style when the kernel sends none: values / vmax in [0, 1]. */
export function sizesFromValues(values: FloatArray, vmax: number): Float32Array {
  const out = new Float32Array(values.length);
  const d = vmax > 0 ? vmax : 1;
  for (let k = 0; k < values.length; k++) out[k] = Number.isNaN(values[k]) ? 0 : values[k] / d;
  return out;
}

/** Tooltip lines: neuron index, row/col, then the view's per-neuron fields. A field with
 * `source: "values"` (`"categories"`) reads the view's `values` (`categories`, sent once per
 * frame), the others their own row of `data` in order; `divide_by: "values"` shows the row
 * divided by the neuron's value (a share of its hits). */
export function describeNeuron(
  k: number, lat: Lattice, fields: TooltipField[], data: Float32Array, categoryNames: string[],
  values?: FloatArray, categories?: Float32Array,
): string[] {
  const m = lat.rows * lat.cols;
  const row = Math.floor(k / lat.cols);
  const col = k - row * lat.cols;
  const lines = [`neuron ${k}`, `row ${row}, col ${col}`];
  let r = 0;
  fields.forEach((f) => {
    let v: number;
    if (f.source === "values") v = values && values.length > k ? values[k] : NaN;
    else if (f.source === "categories") v = categories && categories.length > k ? categories[k] : NaN;
    else {
      const i = r++;
      v = data.length >= (i + 1) * m ? data[i * m + k] : NaN;
    }
    if (f.divide_by === "values") v = values && values.length > k && values[k] !== 0 ? v / values[k] : NaN;
    let s: string;
    if (f.format === "category") s = Number.isNaN(v) || v < 0 ? "—" : ((f.names ?? categoryNames)[v] ?? String(v));
    else if (f.format === "percent") s = Number.isNaN(v) ? "—" : `${(100 * v).toFixed(1)}%`;
    else if (f.format === "int") s = Number.isNaN(v) ? "—" : String(Math.round(v));
    else s = formatValue(v);
    lines.push(`${f.name}: ${s}`);
  });
  return lines;
}

/** Call `redraw` whenever JupyterLab switches its theme (it marks the theme on <body>): the
 * canvases read theme colours as they draw. Returns the watcher to disconnect with the view
 * (null where there is no DOM to watch). */
export function watchTheme(redraw: () => void): MutationObserver | null {
  if (typeof MutationObserver === "undefined" || typeof document === "undefined" || !document.body) return null;
  const watch = new MutationObserver(() => redraw());
  watch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  return watch;
}

/** A visually hidden live region (role "status", polite, read whole) for what a view's keyboard
 * focus and selection are, for screen readers; {@link announce} writes it. */
export function liveRegion(): HTMLDivElement {
  const status = document.createElement("div");
  status.className = "sw-sr-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.setAttribute("aria-atomic", "true");
  Object.assign(status.style, {
    position: "absolute", width: "1px", height: "1px", overflow: "hidden", clipPath: "inset(50%)",
    whiteSpace: "nowrap", pointerEvents: "none", left: "0", top: "0",
  });
  return status;
}

/** Write `text` into a live region made by {@link liveRegion}, when it differs from what it says
 * (a screen reader reads each change once). */
export function announce(status: HTMLElement, text: string): void {
  if (status.textContent !== text) status.textContent = text;
}

/** A hover tooltip in an overlay on the page (position: fixed in document.body), so no output
 * area, scroll box or card can clip it; beside the pointer, flipped left / above where it would
 * leave the window; the first line bold. `remove()` with the view. */
export class PageTooltip {
  readonly el: HTMLDivElement;

  constructor() {
    this.el = document.createElement("div");
    this.el.className = "somwidget-tooltip";
    Object.assign(this.el.style, {
      position: "fixed", display: "none", pointerEvents: "none", zIndex: "10000",
      background: "var(--jp-layout-color0, #fff)", border: "1px solid var(--jp-border-color1, #999)",
      borderRadius: "3px", padding: "3px 6px", font: "12px system-ui, sans-serif",
      color: "var(--jp-ui-font-color1, #222)", whiteSpace: "nowrap",
      boxShadow: "0 1px 4px rgba(0,0,0,0.3)",
    });
    if (typeof document !== "undefined" && document.body) document.body.append(this.el);
  }

  /** Show `lines` beside the pointer at (clientX, clientY). */
  show(lines: string[], clientX: number, clientY: number): void {
    this.el.replaceChildren(...lines.map((t, i) => {
      const div = document.createElement("div");
      div.textContent = t;
      if (i === 0) div.style.fontWeight = "600";
      return div;
    }));
    this.el.style.display = "block";
    const tw = this.el.offsetWidth;
    const th = this.el.offsetHeight;
    const vw = window.innerWidth || document.documentElement.clientWidth;
    const vh = window.innerHeight || document.documentElement.clientHeight;
    let x = clientX + 14;
    let y = clientY + 14;
    if (x + tw > vw - 4) x = Math.max(4, clientX - 14 - tw);
    if (y + th > vh - 4) y = Math.max(4, clientY - 14 - th);
    this.el.style.left = `${x}px`;
    this.el.style.top = `${y}px`;
  }

  hide(): void {
    this.el.style.display = "none";
  }

  remove(): void {
    this.el.remove();
  }
}
