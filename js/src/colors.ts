// Colour maps: the 256-entry tables, the categorical palette and the NaN colour come from
// somwidget/widgets/colormaps.json, the one table Python reads too (somwidget/widgets/colormaps.py);
// esbuild bundles the JSON file into the front end.
import COLORMAPS from "../../somwidget/widgets/colormaps.json";

const TABLES: Record<string, string[]> = COLORMAPS.tables;

export const COLORMAP_NAMES: string[] = Object.keys(TABLES);
export const CATEGORICAL: string[] = COLORMAPS.categorical;
export const NAN_COLOR: string = COLORMAPS.nan;

const cache = new Map<string, { rgb: Uint8Array; css: string[] }>();

/** The 256x3 RGB table of a colour map (falls back to viridis for unknown names). */
export function table(name: string): { rgb: Uint8Array; css: string[] } {
  const key = name in TABLES ? name : "viridis";
  let t = cache.get(key);
  if (!t) {
    const css = TABLES[key];
    const rgb = new Uint8Array(768);
    css.forEach((c, i) => {
      for (let k = 0; k < 3; k++) rgb[3 * i + k] = parseInt(c.slice(1 + 2 * k, 3 + 2 * k), 16);
    });
    t = { rgb, css };
    cache.set(key, t);
  }
  return t;
}

/** Two powers of two whose product brings max(|vmin|, |vmax|) into [0.5, 1) ([1, 1] for 0 or
 * non-finite): each a normal float64, so subnormal or huge ranges scale exactly (Python's
 * colormaps._range_scales). */
export function rangeScales(vmin: number, vmax: number): [number, number] {
  const top = Math.max(Math.abs(vmin), Math.abs(vmax));
  if (top === 0 || !Number.isFinite(top)) return [1, 1];
  // frexp's exponent (top = f * 2^e, f in [0.5, 1)), give or take one: any power of two near it
  // scales exactly, so the index is Python's either way
  const e = Math.floor(Math.log2(top)) + 1;
  const s = -e;
  const half = Math.floor(s / 2);
  return [Math.pow(2, half), Math.pow(2, s - half)];
}

/** Table index of a value, exactly as colormaps.value_indices in Python; -1 for NaN. The
 * values and the range are scaled by the same power of two first (exact), so a range far from
 * zero, beyond float32's or subnormal colours right and nothing overflows. */
export function valueIndex(v: number, vmin: number, vmax: number): number {
  if (Number.isNaN(v)) return -1;
  const [a, b] = rangeScales(vmin, vmax);
  const lo = vmin * a * b;
  const span = vmax * a * b - lo;
  let t = span > 0 ? (v * a * b - lo) / span : 0;
  t = Math.min(Math.max(t, 0), 1);
  return Math.floor(t * 255 + 0.5);
}

export function colourOf(name: string, v: number, vmin: number, vmax: number): string {
  const i = valueIndex(v, vmin, vmax);
  return i < 0 ? NAN_COLOR : table(name).css[i];
}

export function categoricalColour(i: number): string {
  return i < 0 ? NAN_COLOR : CATEGORICAL[i % CATEGORICAL.length];
}

/** CIE L* (0..100) of an sRGB colour, used to check that the maps are monotonic in lightness. */
export function lightness(r: number, g: number, b: number): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  const y = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const f = y > 216 / 24389 ? Math.cbrt(y) : (24389 / 27 * y + 16) / 116;
  return 116 * f - 16;
}

/** Black or white, whichever reads better on a background colour. */
export function textOn(css: string): string {
  if (!css.startsWith("#") || css.length !== 7) return "#000";
  const r = parseInt(css.slice(1, 3), 16);
  const g = parseInt(css.slice(3, 5), 16);
  const b = parseInt(css.slice(5, 7), 16);
  return lightness(r, g, b) > 55 ? "#000" : "#fff";
}
