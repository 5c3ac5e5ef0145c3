// anywidget entry for the single-plane lattice views: HitMap, UMatrix, QualityMap, LabelMap,
// ClusterMap, and the glyph and index maps (their cells' overlay: glyphs.ts, cell_text.ts).
import { COLORMAP_NAMES, table } from "./colors";
import { decodeData, decodeFloat, decodeFloat32, type FloatArray } from "./codecs";
import {
  categoryCounts,
  categoryLegend,
  categoryNeurons,
  colourBar,
  describeNeuron,
  FrameAck,
  latticeOf,
  SelectionLink,
  sizesFromValues,
  viewShell,
  wrapText,
} from "./common";
import { type CellPainter, indexNote, indexPainter } from "./cell_text";
import { formatValue } from "./common";
import { type GlyphKind, glyphLegend, glyphNote, glyphPainter, glyphTooltip } from "./glyphs";
import { applyWidth, canvasScroller } from "./canvas_size";
import { clickMode, combine, GRID_FILL, LatticeCanvas, type Style } from "./lattice_canvas";
import {
  changes, type GlyphMapModel, type IndexMapModel, type LatticeModel, type RenderProps, type TooltipField,
} from "./models";

export { brush, centre, pick } from "./geometry";

/** The colour tables as the front end decoded them (tests compare them with Python's). */
export function colormapTables(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of COLORMAP_NAMES) out[n] = table(n).css.map((c) => c.slice(1)).join("");
  return out;
}
export { CATEGORICAL } from "./colors";

/** What each view's picture is, for screen readers (the map's aria-label). */
const VIEW_NAMES: Record<string, string> = {
  hits: "SOM hit map", umatrix: "SOM U-matrix", quality: "SOM quality map", labels: "SOM label map",
  clusters: "SOM cluster map", lattice: "SOM map", glyphs: "SOM codebook glyph map", indices: "SOM neuron index map",
};

type Model = LatticeModel & Partial<GlyphMapModel> & Partial<IndexMapModel>;

function render({ model, el }: RenderProps<Model>): () => void {
  const { title, sub, picker, clear, head } = viewShell(model, el, "sw-single", "lattice");
  clear.classList.add("sw-clear"); // the Explorer shows one Clear button for all its views
  const legendBox = document.createElement("div");
  // the glyph and index maps: why glyphs / indices are left out (cells too small), in words
  const sizeNote = document.createElement("div");
  sizeNote.className = "sw-size-note";
  Object.assign(sizeNote.style, { font: "12px system-ui, sans-serif", color: "var(--jp-ui-font-color1, #222)",
    marginTop: "4px", display: "none" });
  let glyphLegendEl: HTMLElement | null = null;
  let drawnFrame = -1;
  const ack = new FrameAck(model);

  let fields: TooltipField[] = [];
  let tipData: Float32Array = new Float32Array(0);
  let tipCats: Float32Array = new Float32Array(0);
  let tipValues: FloatArray = new Float32Array(0);
  let catNames: string[] = [];
  // the glyph map's tooltip lines: each feature in data units
  let glyphs: Float32Array = new Float32Array(0);
  let glyphNames: string[] = [];
  let glyphLo: ArrayLike<number> = [];
  let glyphSpan: ArrayLike<number> = [];

  const link = new SelectionLink(model, (neurons) => {
    canvas.setSelected(neurons);
    el.dataset.selected = neurons.join(",");
    el.dataset.nselected = String(neurons.length);
    el.dataset.outlineMs = canvas.lastOverlayMs.toFixed(2);
    clear.disabled = neurons.length === 0;
  });
  const canvas: LatticeCanvas = new LatticeCanvas({
    maxHeight: 560,
    onSelect: (ks, mode) => link.set(combine(link.get(), wholeCategories(ks), mode)),
    onClear: () => link.set([]),
    describe: (k: number): string[] => [
      ...describeNeuron(k, canvas.lat!, fields, tipData, catNames, tipValues, tipCats),
      ...glyphTooltip(k, glyphNames, glyphs, glyphLo, glyphSpan, formatValue),
    ],
    onDraw: () => {
      // the legend starts where the picture's paint does (the canvas keeps room on its left
      // for the selection's halo and rings)
      const left = Math.round(canvas.inkLeft * 100) / 100;
      if (parseFloat(legendBox.style.marginLeft || "0") !== left) legendBox.style.marginLeft = `${left}px`;
      el.dataset.frame = String(drawnFrame);
      el.dataset.draws = String(canvas.draws);
      el.dataset.labels = String(canvas.labelsDrawn);
      el.dataset.borders = String(canvas.bordersDrawn);
      el.dataset.painted = String(canvas.painted);
      showSizeNote();
      ack.drawn(drawnFrame);
    },
  });
  clear.addEventListener("click", () => link.set([]));
  const view = model.get("_view");
  canvas.setOption("label", Object.prototype.hasOwnProperty.call(VIEW_NAMES, view) ? VIEW_NAMES[view] : "SOM map");

  /** A click on a category legend's entry selects every neuron of that category, with the
   * cells' modifiers (plain replaces, shift adds, ctrl / cmd toggles). */
  function pickCategory(i: number, e: MouseEvent): void {
    const ks = categoryNeurons(tipCats, i);
    if (ks.length) link.set(combine(link.get(), ks, clickMode(e.shiftKey, e.ctrlKey || e.metaKey)));
  }

  /** With select_by "category" (ClusterMap), a click or a brush takes every neuron of the
   * categories it touches. */
  function wholeCategories(ks: number[]): number[] {
    if (model.get("select_by") !== "category") return ks;
    const cats = decodeFloat32(model.get("categories"));
    if (!cats.length) return ks;
    const wanted = new Set<number>();
    for (const k of ks) if (k >= 0 && k < cats.length && cats[k] >= 0) wanted.add(cats[k]);
    const out: number[] = [];
    for (let k = 0; k < cats.length; k++) if (wanted.has(cats[k])) out.push(k);
    return out.length ? out : ks;
  }
  // the glyph and index maps draw an overlay in their cells (and say when the cells are too small)
  const overlaid = view === "glyphs" || view === "indices";
  // a canvas_width wider than the output scrolls sideways in its own box (every view)
  const scroller = canvasScroller(canvas);
  el.append(head, scroller, legendBox);

  /** The size note of the last draw's cells ("" hides it; the glyph legend shows instead). */
  function showSizeNote(): void {
    if (!overlaid || !canvas.lat) return;
    const { cols, shape } = canvas.lat;
    const text = view === "glyphs"
      ? glyphNote(canvas.cellPx, cols, shape)
      : indexNote(canvas.cellPx, canvas.lat.rows * cols, Boolean(model.get("index_row_col")), cols, shape);
    if (sizeNote.textContent !== text) sizeNote.textContent = text;
    const display = text ? "" : "none";
    if (sizeNote.style.display !== display) sizeNote.style.display = display;
    // the glyph legend explains glyphs: hidden while none are drawn
    const legend = text ? "none" : "flex";
    if (glyphLegendEl && glyphLegendEl.style.display !== legend) glyphLegendEl.style.display = legend;
    el.dataset.sizeNote = text ? "1" : "0";
  }

  function update(): void {
    applyWidth(canvas, scroller, model.get("canvas_width"));
    const lat = latticeOf(model);
    canvas.setLattice(lat);
    const vmin = model.get("vmin");
    const vmax = model.get("vmax");
    const cmap = model.get("colormap");
    const cats = decodeFloat32(model.get("categories"));
    tipValues = decodeFloat(model.get("values"));
    tipCats = cats;
    const style = (model.get("draw_style") === "size" ? "size" : "color") as Style;
    let sizes: Float32Array = decodeData(model.get("sizes"), "float32");
    if (style === "size" && !sizes.length) sizes = sizesFromValues(tipValues, vmax);
    let painter: CellPainter | null = null;
    let overlayLegend: HTMLElement | null = null;
    if (view === "glyphs") {
      const kind: GlyphKind = model.get("glyph_kind") === "bar" ? "bar" : "line";
      const colours = model.get("glyph_colors") ?? [];
      glyphs = decodeFloat32(model.get("glyphs"));
      glyphNames = model.get("glyph_names") ?? [];
      glyphLo = decodeFloat(model.get("glyph_lo"));
      glyphSpan = decodeFloat(model.get("glyph_span"));
      painter = glyphPainter(kind, glyphs, glyphNames.length, colours);
      overlayLegend = glyphLegend(kind, glyphNames, colours, model.get("glyph_note") ?? "");
      glyphLegendEl = overlayLegend;
    } else if (view === "indices") {
      painter = indexPainter(Boolean(model.get("index_row_col")));
    }
    canvas.setData({
      values: tipValues,
      vmin, vmax, colormap: cmap,
      style,
      sizes,
      categories: cats.length ? cats : null,
      showValues: Boolean(model.get("show_values")),
      categoryColors: model.get("category_colors") ?? [],
      borders: decodeData(model.get("borders"), "float32"),
      painter,
    });
    fields = model.get("tooltip_fields") ?? [];
    tipData = decodeFloat32(model.get("tooltip_values"));
    catNames = model.get("category_names") ?? [];
    const wrap = wrapText(lat);
    title.textContent = model.get("title");
    sub.textContent = wrap ? `${lat.rows} × ${lat.cols} ${lat.shape === "hexa" ? "hexagonal" : "rectangular"} map · ${wrap}` : `${lat.rows} × ${lat.cols} ${lat.shape === "hexa" ? "hexagonal" : "rectangular"} map`;
    canvas.root.title = wrap ? `Map edges wrap around (${wrap})` : "";
    picker.value = cmap;
    // a picture of categories only (ClusterMap, category views) has no colour map to pick
    picker.style.display = model.get("legend") === "categories" && model.get("select_by") === "category" ? "none" : "";
    const legend = model.get("legend");
    // every control shown works: no colour-map picker where classes, not the map, colour cells
    picker.style.display = legend === "categories" || legend === "none" ? "none" : "";
    const parts: HTMLElement[] = [];
    if (legend === "categories" || legend === "both") {
      // in the size style a neuron without samples is the grid's background, a theme colour
      const none = model.get("draw_style") === "size" ? GRID_FILL : undefined;
      parts.push(categoryLegend(catNames, model.get("category_title") || "majority label",
        model.get("category_colors") ?? [], model.get("category_none") ?? "no samples", none,
        pickCategory, categoryCounts(cats, catNames.length)));
    }
    if (legend === "colorbar" || legend === "both") parts.push(colourBar(cmap, vmin, vmax, model.get("value_label")));
    if (overlaid) parts.push(sizeNote);
    if (overlayLegend) parts.push(overlayLegend);
    legendBox.replaceChildren(...parts);
    drawnFrame = model.get("frame");
    canvas.schedule();
  }

  const events = changes<Model>("frame", "colormap", "title", "draw_style", "legend", "rows", "cols", "shape",
    "wrap_rows", "wrap_cols", "show_values", "canvas_width");
  model.on(events, update);
  update();
  void link.resolve();
  (el as HTMLElement & { somwidget?: unknown }).somwidget = {
    neuronClientPoint: (k: number) => canvas.neuronClientPoint(k),
    canvas,
    select: (neurons: number[]) => link.set(neurons), // tests and benchmarks: a selection request
  };
  return () => {
    model.off(events, update);
    link.dispose();
    canvas.destroy();
  };
}

export default { render };
