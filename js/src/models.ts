// The typed front-end contract: one interface per Python anywidget class, naming the synced traits
// that class adds to ipywidgets' own, spelled exactly as Python declares them, with the type the
// model holds in the browser (anywidget's RenderProps pattern: render({model, el}) reads
// model.get("rows") as a number, model.get("values") as an encoded float32 array, ...).
//
// The "// python:" line above each interface names the Python classes it describes;
// tests/test_frontend_contract.py parses this file (one `name: type;` per line) and fails when a
// trait exists on one side only, when a trait's type does not match, or when an anywidget class of
// the package has no interface here.
import type { EncodedArray } from "./codecs";

/** What anywidget hands to render() as `model`, typed by the traits T (like @anywidget/types). */
export interface AnyModel<T> {
  get<K extends keyof T & string>(name: K): T[K];
  set<K extends keyof T & string>(name: K, value: T[K]): void;
  save_changes(): void;
  send?(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: string, cb: (...args: any[]) => void): void;
  off(event?: string | null, cb?: ((...args: any[]) => void) | null): void;
  widget_manager?: { get_model(id: string): Promise<AnyModel<unknown>> };
}

/** The argument of an anywidget render(). */
export interface RenderProps<T> {
  model: AnyModel<T>;
  el: HTMLElement;
}

/** "change:a change:b ...": the model events of some traits (names checked by tsc). */
export function changes<T>(...names: Array<keyof T & string>): string {
  return names.map((n) => `change:${n}`).join(" ");
}

/** A widget reference as ipywidgets' widget_serialization sends it: "IPY_MODEL_<id>". */
export type WidgetRef = string | null;

/** One per-neuron tooltip line (LatticeView.tooltip_fields). */
export interface TooltipField {
  name: string;
  format?: "int" | "float" | "percent" | "category";
  /** no row of its own in tooltip_values: the view's values or categories (sent once) */
  source?: "values" | "categories";
  /** shown as this row divided by the view's values (a share of the hits) */
  divide_by?: "values";
  /** a category field's own names (the real classes where the legend groups the rare ones) */
  names?: string[];
}

// python: Selection
export interface SelectionModel {
  neurons: number[];
}

// what every lattice canvas syncs (Python's LatticeGridTraits mixin)
export interface LatticeGridModel {
  _view: string;
  selection: WidgetRef;
  rows: number;
  cols: number;
  shape: "hexa" | "rect";
  wrap_rows: boolean;
  wrap_cols: boolean;
  title: string;
  value_label: string;
  values: EncodedArray<"float32" | "float64">; // float64 where float32 would colour wrongly; NaN: no value
  vmin: number;
  vmax: number;
  colormap: string;
  frame: number;
}

// python: LatticeView HitMap UMatrix QualityMap LabelMap ClusterMap _LatticeOverlayView
export interface LatticeModel extends LatticeGridModel {
  draw_style: "color" | "size";
  sizes: EncodedArray<"float32">; // empty with draw_style "size": area = values / vmax
  categories: EncodedArray<"int8" | "int16" | "int32">; // code per neuron, -1: none
  category_names: string[];
  category_title: string;
  legend: "colorbar" | "categories" | "both" | "none";
  tooltip_fields: TooltipField[];
  tooltip_values: EncodedArray<"float32" | "int8" | "int16" | "int32" | "uint8" | "uint16">;
  show_values: boolean;
  borders: EncodedArray<"float32">; // (S, 4) border segments [x0, y0, x1, y1], plane coordinates
  category_colors: string[]; // one colour per category (empty: the label palette)
  select_by: "neuron" | "category"; // a click selects the neuron or its whole category
  category_none: string; // legend entry for neurons without a category ("": none)
  canvas_width: number; // CSS px of the live picture (width=); 0: it fills the output's width
}

// python: CodebookGlyphMap
export interface GlyphMapModel extends LatticeModel {
  glyphs: EncodedArray<"float32">; // (neurons, features) scaled to [0, 1], NaN: a gap
  glyph_kind: "line" | "bar";
  glyph_names: string[];
  glyph_colors: string[]; // one per feature for bars (empty for lines)
  glyph_note: string; // what the heights mean (under the map)
  glyph_lo: EncodedArray<"float64">; // per feature: data units = lo + scaled * span
  glyph_span: EncodedArray<"float64">;
}

// python: NeuronIndexMap
export interface IndexMapModel extends LatticeModel {
  index_row_col: boolean; // also write row,col under each index
}

// python: ComponentPlanes
export interface PlanesModel extends LatticeModel {
  plane_names: string[];
  plane_values: EncodedArray<"float32" | "float64">; // float64 where float32 would colour wrongly
  vmins: number[];
  vmaxs: number[];
  enlarged: number;
  units_note: string; // what the colours are in: each feature's own units, or training space
}

// python: ElevationCanvas
export interface ElevationModel extends LatticeGridModel {
  heights: EncodedArray<"float32">; // prism heights in plane units (NaN values: 0)
  hits: EncodedArray<"float32">; // samples won per neuron; empty: the values are the hits, or no data
  max_height: number;
  azimuth: number; // degrees, [0, 360); set by the browser when turned
  elevation: number; // degrees, [0, 90]; set by the browser when tilted
  picture_width: number; // most CSS pixels wide
}
