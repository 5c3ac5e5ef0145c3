import assert from "node:assert/strict";
import { test } from "node:test";
import { COLORMAP_NAMES, colourOf, lightness, table, textOn, valueIndex } from "../src/colors";
import { clickMode, combine } from "../src/lattice_canvas";
import { formatLabel } from "../src/common";

test("five perceptually uniform maps with 256 entries each", () => {
  assert.deepEqual([...COLORMAP_NAMES].sort(), ["cividis", "inferno", "magma", "plasma", "viridis"]);
  for (const n of COLORMAP_NAMES) {
    assert.equal(table(n).css.length, 256);
    assert.equal(table(n).rgb.length, 768);
  }
});

test("colour scale endpoints: vmin -> first entry, vmax -> last entry, clipped outside", () => {
  assert.equal(colourOf("viridis", 0, 0, 1), "#440154");
  assert.equal(colourOf("viridis", 1, 0, 1), table("viridis").css[255]);
  assert.equal(colourOf("viridis", -5, 0, 1), "#440154");
  assert.equal(colourOf("viridis", 7, 0, 1), table("viridis").css[255]);
  assert.equal(valueIndex(0.5, 0, 1), 128); // floor(127.5 + 0.5)
  assert.equal(valueIndex(NaN, 0, 1), -1);
  assert.equal(valueIndex(3, 3, 3), 0); // constant values
});

test("lightness increases monotonically along every map", () => {
  for (const n of COLORMAP_NAMES) {
    const t = table(n).rgb;
    let prev = -Infinity;
    for (let i = 0; i < 256; i++) {
      const l = lightness(t[3 * i], t[3 * i + 1], t[3 * i + 2]);
      assert.ok(l >= prev - 0.05, `${n}[${i}] lightness ${l} < ${prev}`);
      prev = l;
    }
    const first = lightness(t[0], t[1], t[2]);
    const last = lightness(t[765], t[766], t[767]);
    assert.ok(last - first > 50, `${n}: lightness range ${first}..${last}`);
  }
});

test("selection combination: replace, toggle, add (sorted, unique)", () => {
  assert.deepEqual(combine([1, 5], [3], "replace"), [3]);
  assert.deepEqual(combine([1, 5], [5, 2], "toggle"), [1, 2]);
  assert.deepEqual(combine([5, 1], [3, 1], "add"), [1, 3, 5]);
  assert.deepEqual(combine([], [9, 9, 2], "replace"), [2, 9]);
});

test("value labels: light text on the dark end of every map, dark text on the light end", () => {
  for (const n of COLORMAP_NAMES) {
    assert.equal(textOn(table(n).css[0]), "#fff", n);
    assert.equal(textOn(table(n).css[255]), "#000", n);
  }
  assert.equal(textOn("#ffffff"), "#000");
  assert.equal(textOn("#000000"), "#fff");
});

test("value labels: 3 significant digits, short exponents (the same cases as Python's format_label)", () => {
  const cases: Array<[number, string]> = [
    [3, "3"], [0, "0"], [0.8563, "0.856"], [1.4005, "1.4"], [1545.3, "1550"], [-0.5, "-0.5"],
    [123456.7, "1.2e5"], [123456, "1.2e5"], [0.00123, "1.2e-3"], [NaN, ""],
  ];
  for (const [v, want] of cases) assert.equal(formatLabel(v), want, String(v));
});

test("click modifiers: shift adds, ctrl/cmd toggles, a plain click replaces", () => {
  assert.equal(clickMode(true, false), "add");
  assert.equal(clickMode(false, true), "toggle");
  assert.equal(clickMode(true, true), "add");
  assert.equal(clickMode(false, false), "replace");
  // shift-clicking a selected neuron keeps it (adds), ctrl-clicking it removes it
  assert.deepEqual(combine([4, 7], [7], clickMode(true, false)), [4, 7]);
  assert.deepEqual(combine([4, 7], [7], clickMode(false, true)), [4]);
});
