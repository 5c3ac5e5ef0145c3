import assert from "node:assert/strict";
import { test } from "node:test";
import { type CellFrame, indexLayout, indexNote, widthFor } from "../src/cell_text";
import { barRects, glyphNote, glyphPainter, glyphsFit, glyphTooltip, linePoints } from "../src/glyphs";

const close = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-9, `${i}: ${v} vs ${b[i]}`));
};

test("a line glyph's points: feature j at (j + 0.5) / d of the 0.76-wide box, value up from the base", () => {
  // a cell centred on (100, 50) at 40 px per plane unit: the box is 30.4 x 20 px,
  // left edge 84.8, zero line at y = 60
  const [run] = linePoints(100, 50, 40, [0, 0.5, 1, 0.25]);
  const xs = [0.5, 1.5, 2.5, 3.5].map((j) => 84.8 + (j / 4) * 30.4);
  const ys = [60, 50, 40, 55];
  close(run, xs.flatMap((x, i) => [x, ys[i]]));
});

test("a NaN value breaks the line; one feature is a level tick across the middle half", () => {
  const runs = linePoints(0, 0, 10, [0.2, 0.4, NaN, 1]);
  assert.equal(runs.length, 2);
  close(runs[0], [-3.8 + 0.125 * 7.6, 2.5 - 0.2 * 5, -3.8 + 0.375 * 7.6, 2.5 - 0.4 * 5]);
  close(runs[1], [-3.8 + 0.875 * 7.6, -2.5]);
  close(linePoints(0, 0, 10, [0.5])[0], [-3.8 + 0.25 * 7.6, 0, -3.8 + 0.75 * 7.6, 0]);
  assert.deepEqual(linePoints(0, 0, 10, [NaN]), []);
});

test("bar glyph: 86 % of each feature's share, from the zero line up to the value, none for NaN", () => {
  const bars = barRects(100, 50, 40, [1, NaN, 0.5]);
  assert.deepEqual(bars.map((b) => b.j), [0, 2]);
  const bw = 30.4 / 3;
  close([bars[0].x, bars[0].y, bars[0].w, bars[0].h], [84.8 + 0.07 * bw, 40, 0.86 * bw, 20]);
  close([bars[1].x, bars[1].y, bars[1].w, bars[1].h], [84.8 + 2.07 * bw, 50, 0.86 * bw, 10]);
});

test("the glyph tooltip reads each feature in data units (lo + scaled * span)", () => {
  const data = new Float32Array([0, 1, 0.5, 0.25]); // 2 neurons x 2 features
  const lines = glyphTooltip(1, ["a", "b"], data, [10, -2], [4, 8], (v) => v.toFixed(2));
  assert.deepEqual(lines, ["a: 12.00", "b: 0.00"]);
});

test("index text: all indices where they fit a readable font, else every s-th row and column", () => {
  const big = indexLayout(40, 100); // 2 digits: min(14.4, 32 / 1.24)
  assert.equal(big.stride, 1);
  assert.ok(Math.abs(big.size - 14.4) < 1e-9);
  const small = indexLayout(5, 10000); // 4 digits at 8 px need 24.8 px: every 5th
  assert.deepEqual(small, { size: 8, stride: 5 });
});

test("cells under 6 px get no glyphs, and the note says so in words with a width that fits", () => {
  // a 100 x 100 rectangular map filling a ~560 px output: cells about 5.5 px
  assert.equal(glyphNote(5.5, 100, "rect"),
    "cells are 5.5 px: too small for glyphs (they need 6 px) — hover a cell for its values, "
    + "or pass width=4000 (about 40 px per cell)");
  assert.equal(glyphNote(5.99, 100, "hexa").slice(0, 15), "cells are 5.9 p"); // rounded down, never "6 px"
  // 40 px per cell over a hex row of 100.5 cells: 4020, to the nearest 100
  assert.ok(glyphNote(3, 100, "hexa").includes("width=4000"));
  assert.equal(glyphNote(6, 100, "rect"), "");
  assert.equal(glyphNote(40, 3, "rect"), "");
  assert.equal(glyphsFit(5.999), false);
  assert.equal(glyphsFit(6), true);
  // the painter takes the same decision: nothing drawn (and the context untouched) below 6 px
  const frame = { ctx: null, m: 4, rows: 2, cols: 2, scale: 5.9, dpr: 1,
    centre: () => [0, 0], theme: (_n: string, f: string) => f } as unknown as CellFrame;
  assert.equal(glyphPainter("line", new Float32Array(8), 2, [])(frame), 0);
});

test("the suggested width: about 40 px per cell, to the nearest 100, at least 100", () => {
  assert.equal(widthFor(100, "rect"), 4000);
  assert.equal(widthFor(100, "hexa"), 4000); // 100.5 x 40 = 4020
  assert.equal(widthFor(30, "hexa"), 1200); // 30.5 x 40 = 1220
  assert.equal(widthFor(2, "rect"), 100);
});

test("the index map's note: every s-th index written, in words; none when all are", () => {
  // 10000 neurons: 4 digits; at 5.5 px a readable 8 px index needs 0.62 * 4 * 8 / 0.8 = 24.8 px,
  // so every ceil(24.8 / 5.5) = 5th row's and column's index is written
  assert.equal(indexNote(5.5, 10000, true, 100, "rect"),
    "cells are 5.5 px: only every 5th row's and column's index is written (and no row,col) — "
    + "hover a cell for its index, or pass width=4000 (about 40 px per cell)");
  assert.equal(indexLayout(5.5, 10000).stride, 5);
  assert.ok(indexNote(12.4, 10000, false, 100, "rect").includes("every 2nd row's"));
  assert.ok(indexNote(8.5, 10000, false, 100, "rect").includes("every 3rd row's"));
  assert.ok(indexNote(2.3, 10000, false, 100, "rect").includes("every 11th row's"));
  assert.ok(!indexNote(12.4, 10000, false, 100, "rect").includes("row,col"));
  // 40 px cells: a 12.9 px font fits every index
  assert.equal(indexNote(40, 10000, true, 100, "rect"), "");
});
