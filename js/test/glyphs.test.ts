import assert from "node:assert/strict";
import { test } from "node:test";
import { indexLayout } from "../src/cell_text";
import { barRects, glyphTooltip, linePoints } from "../src/glyphs";

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
