import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFloat32, encode } from "../src/codecs";
import { categoryCounts, categoryNeurons } from "../src/common";
import { combine, mapAriaLabel } from "../src/lattice_canvas";

// per-neuron categories as the kernel sends them (int8, -1: none), decoded as the view does
const cats = decodeFloat32(encode("int8", new Int8Array([2, 0, -1, 2, 1, 0, 2, -1, 1])));

test("a legend entry selects every neuron of its category, none for the 'no samples' entry", () => {
  const brute = (i: number) => [...cats.keys()].filter((k) => cats[k] === i);
  for (const i of [0, 1, 2]) assert.deepEqual(categoryNeurons(cats, i), brute(i));
  assert.deepEqual(categoryNeurons(cats, 2), [0, 3, 6]);
  assert.deepEqual(categoryNeurons(cats, 3), []); // a category no neuron has
  assert.deepEqual(categoryNeurons(cats, -1), []); // never the neurons without a category
  assert.deepEqual(categoryNeurons(cats, NaN), []);
  assert.deepEqual(categoryNeurons(new Float32Array([NaN, 0]), 0), [1]);
});

test("legend counts: neurons per category, the ones without none counted", () => {
  assert.deepEqual(categoryCounts(cats, 4), [2, 2, 3, 0]);
  assert.deepEqual(categoryCounts(cats, 2), [2, 2]); // ids past the names counted nowhere
  assert.deepEqual(categoryCounts(new Float32Array([NaN, 0.5, 1]), 2), [0, 1]);
  assert.deepEqual(categoryCounts(cats, 0), []);
});

test("legend clicks combine with the selection as cell clicks do", () => {
  const cluster = categoryNeurons(cats, 0); // [1, 5]
  assert.deepEqual(combine([3, 7], cluster, "replace"), [1, 5]);
  assert.deepEqual(combine([3, 7], cluster, "add"), [1, 3, 5, 7]);
  assert.deepEqual(combine([1, 3], cluster, "toggle"), [3, 5]);
});

test("a map's aria-label says what it is, its size and the keys", () => {
  const lat = { rows: 12, cols: 10, shape: "hexa" as const, wrapRows: false, wrapCols: false };
  const text = mapAriaLabel("SOM hit map", lat);
  assert.ok(text.startsWith("SOM hit map, 12 × 10 hexagonal: arrow keys move the selected neuron"), text);
  assert.ok(text.endsWith("Escape clears"), text);
  assert.ok(mapAriaLabel("SOM U-matrix", { ...lat, shape: "rect" }).includes("12 × 10 rectangular"));
});
